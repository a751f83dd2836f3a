"""Kept observations (indicators.obsstore): a partial read gives what a full read gives.

Each scenario keeps a base from the demo observations, edits the file
(cells, inserted, deleted and moved lines, the first and the last line, the
end of the file) and compares the view with a full read of the edited file:
the whole frame (values, dtypes, order), the rows of chosen units and the
per-unit digests. The block size is made small so that an edit leaves most
of the 4.8 MB file outside the changed range, as at national size.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indicators import obsstore
from indicators.config import load_catalogue
from indicators.exceptions import InputError
from indicators.sources import load_observations, load_units
from tests.conftest import ROOT

DEMO = ROOT / "data" / "demo"
KEY = "test-key"


@pytest.fixture(scope="module")
def inputs():
    return load_catalogue(), load_units(DEMO / "units.csv")


@pytest.fixture
def work(tmp_path, monkeypatch, inputs):
    """A copy of the demo observations with a base kept from it (4 KiB blocks)."""
    monkeypatch.setattr(obsstore, "BLOCK", 4096)
    path = tmp_path / "observations.csv"
    shutil.copy(DEMO / "observations.csv", path)
    view = _load(path, inputs)
    assert isinstance(view, obsstore.ObservationView) and view.how == "full read"
    return path


def _load(path: Path, inputs, key: str = KEY):
    catalogue, units = inputs
    return obsstore.load(path, path.parent / "store", catalogue=catalogue, units=units, key=key)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="ascii").splitlines(keepends=True)


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(lines), encoding="ascii")


def _same_as_full_read(path: Path, inputs, *, how: str | None = None) -> obsstore.ObservationView:
    catalogue, units = inputs
    view = _load(path, inputs)
    assert isinstance(view, obsstore.ObservationView)
    if how is not None:
        assert view.how.endswith(how), view.how
    full = load_observations(path, catalogue=catalogue, units=units)
    got = view.frame()
    pd.testing.assert_frame_equal(got, full)
    assert got.attrs["read_notes"] == full.attrs["read_notes"]
    assert len(view) == len(full)
    assert view.digests() == obsstore.unit_digests(full)
    pick = {"BU09280101", "GM0928", "NL01", "BU09170305", "BU99999999"}
    pd.testing.assert_frame_equal(
        view.rows(pick), full[full["unit_code"].isin(pick)].reset_index(drop=True)
    )
    return view


def _edit_cell(line: str, field: int, value: str) -> str:
    f = line.rstrip("\n").split(",")
    f[field] = value
    return ",".join(f) + "\n"


def _toggle(line: str) -> str:
    """The line with its standard error filled in or emptied."""
    return _edit_cell(line, 6, "0.125" if line.rstrip("\n").split(",")[6] == "" else "")


def test_unchanged_file_reads_nothing(work, inputs):
    view = _same_as_full_read(work, inputs, how="unchanged")
    assert view.changed_units == set()


@pytest.mark.parametrize("where", [1, 2, 5000, 60000, -2, -1])
def test_one_changed_cell_anywhere(work, inputs, where):
    lines = _lines(work)
    i = where if where > 0 else len(lines) + where
    f = lines[i].split(",")
    lines[i] = _edit_cell(lines[i], 6, "0.125" if f[6].strip() == "" else "")
    _write(work, lines)
    view = _same_as_full_read(work, inputs, how="changed lines")
    assert view.changed_units >= {f[0]}


def test_inserted_deleted_and_moved_lines(work, inputs):
    lines = _lines(work)
    moved = lines.pop(70000)
    del lines[70010:70040]  # deleted
    lines.insert(70100, moved)  # the same row elsewhere
    lines.insert(70200, "BU09280101,aandeel_65plus,1995,10,100,,\n")  # a new row
    _write(work, lines)
    _same_as_full_read(work, inputs, how="changed lines")


def test_lines_appended_and_a_last_line_without_newline(work, inputs):
    lines = _lines(work)
    lines += [
        "BU09280101,aandeel_65plus,1996,10,100,,\n",
        "BU09280101,aandeel_65plus,1997,11,100,,",
    ]
    _write(work, lines)
    _same_as_full_read(work, inputs, how="changed lines")


def test_lines_removed_at_the_end(work, inputs):
    _write(work, _lines(work)[:-25])
    view = _same_as_full_read(work, inputs, how="changed lines")
    assert view.changed_units


def test_edits_accumulate_against_the_kept_base(work, inputs):
    """The base is not rewritten after a partial read: a second edit is compared with it too."""
    lines = _lines(work)
    lines[40000] = _toggle(lines[40000])
    _write(work, lines)
    _same_as_full_read(work, inputs, how="changed lines")
    lines[40500] = _toggle(lines[40500])
    _write(work, lines)
    _same_as_full_read(work, inputs, how="changed lines")
    lines[40000] = _load_original_line(40000)
    lines[40500] = _load_original_line(40500)
    _write(work, lines)
    _same_as_full_read(work, inputs, how="unchanged")


def _load_original_line(i: int) -> str:
    return _lines(DEMO / "observations.csv")[i]


def test_a_large_change_is_a_full_read_and_a_new_base(work, inputs):
    lines = _lines(work)
    lines[10] = _toggle(lines[10])
    lines[-10] = _toggle(lines[-10])
    _write(work, lines)
    _same_as_full_read(work, inputs, how="full read")
    _same_as_full_read(work, inputs, how="unchanged")


def test_other_key_or_header_means_a_full_read(work, inputs):
    assert _load(work, inputs, key="other").how == "full read"
    text = work.read_text(encoding="ascii")
    work.write_text(text.replace("se\n", "SE\n", 1), encoding="ascii")
    with pytest.raises(InputError):
        _load(work, inputs)


def test_a_damaged_base_is_read_again(work, inputs):
    store = work.parent / "store"
    (store / "key.npy").write_bytes(b"damaged")
    _same_as_full_read(work, inputs, how="full read")
    (store / "meta.json").write_text("{", encoding="utf-8")
    _same_as_full_read(work, inputs, how="full read")
    np.save(store / "unit.npy", np.zeros(3, np.int32))  # the wrong length
    _same_as_full_read(work, inputs, how="full read")
    digests = np.load(store / "digest_unit.npy")
    np.save(store / "digest_unit.npy", digests[:-5])  # a digest list of other units
    lines = _lines(work)
    lines[50000] = _toggle(lines[50000])
    _write(work, lines)
    _same_as_full_read(work, inputs, how="full read")


def test_the_folders_of_killed_builds_are_removed(work, inputs):
    left = work.parent / ".store.tmp-999999"
    left.mkdir()
    (left / "key.npy").write_bytes(b"half written")
    (work.parent / "store" / "meta.json").unlink()
    _same_as_full_read(work, inputs, how="full read")
    assert not left.exists()


@pytest.mark.parametrize(
    "edit",
    [
        lambda f: f.__setitem__(2, "1850"),  # year out of range
        lambda f: f.__setitem__(0, "BU00000000"),  # unknown unit
        lambda f: f.__setitem__(3, "x"),  # not a number
        lambda f: f.__setitem__(3, '"x"'),  # quoted: read leniently, then the same error
    ],
)
def test_errors_in_changed_lines_are_those_of_a_full_read(work, inputs, edit):
    catalogue, units = inputs
    lines = _lines(work)
    f = lines[50000].rstrip("\n").split(",")
    edit(f)
    lines[50000] = ",".join(f) + "\n"
    _write(work, lines)
    with pytest.raises(InputError) as full:
        load_observations(work, catalogue=catalogue, units=units)
    with pytest.raises(InputError) as partial:
        _load(work, inputs)
    assert str(partial.value) == str(full.value)
    assert "line 50001" in str(full.value) or "50001" in str(full.value)


def test_a_changed_line_that_duplicates_a_kept_row_is_the_full_reads_error(work, inputs):
    catalogue, units = inputs
    lines = _lines(work)
    lines[50000] = lines[10]  # the key of line 11, kept unchanged
    _write(work, lines)
    with pytest.raises(InputError) as full:
        load_observations(work, catalogue=catalogue, units=units)
    with pytest.raises(InputError) as partial:
        _load(work, inputs)
    assert str(partial.value) == str(full.value) and "duplicate key" in str(full.value)


def test_a_row_changed_into_the_key_of_a_removed_row_is_no_duplicate(work, inputs):
    lines = _lines(work)
    f = lines[50000].split(",")
    g = lines[50001].split(",")
    lines[50001] = ",".join(f[:3] + g[3:])  # 50001 takes 50000's key ...
    lines[50000] = ",".join(g[:3] + f[3:])  # ... and 50000 takes 50001's
    _write(work, lines)
    _same_as_full_read(work, inputs, how="changed lines")


def test_minus_zero_keeps_the_base_only_while_its_column_has_fractions(work, inputs):
    """``-0`` in a column of whole numbers is read leniently (as 0.0): a partial read must not
    read it in C."""
    catalogue, units = inputs
    lines = _lines(work)
    num = [i for i, ln in enumerate(lines[1:], 1) if ln.split(",")[3] not in ("",)][:1]
    (i,) = num
    lines[i] = _edit_cell(lines[i], 3, "-0")
    _write(work, lines)
    view = _load(work, inputs)
    full = load_observations(work, catalogue=catalogue, units=units)
    assert isinstance(view, pd.DataFrame)  # read in full, leniently, and not kept
    pd.testing.assert_frame_equal(view, full)
    lines[i] = _load_original_line(i)
    _write(work, lines)
    _same_as_full_read(work, inputs, how="full read")
    j = [k for k, ln in enumerate(lines) if "." in ln.split(",")[5]][100]
    lines[j] = _edit_cell(lines[j], 5, "-0")  # value: fractions in the changed lines too
    _write(work, lines)
    _same_as_full_read(work, inputs, how="changed lines")


def test_a_quoted_cell_in_the_changed_lines_means_a_full_read(work, inputs):
    lines = _lines(work)
    f = lines[50000].rstrip("\n").split(",")
    f[0] = f'"{f[0]}"'
    lines[50000] = ",".join(f) + "\n"
    _write(work, lines)
    catalogue, units = inputs
    got = _load(work, inputs)
    assert isinstance(got, pd.DataFrame)  # not plain: not kept
    pd.testing.assert_frame_equal(got, load_observations(work, catalogue=catalogue, units=units))


def test_a_file_that_is_not_plain_is_read_in_full_and_not_kept(tmp_path, inputs):
    path = tmp_path / "observations.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (DEMO / "observations.csv").read_bytes())  # a BOM
    got = _load(path, inputs)
    assert isinstance(got, pd.DataFrame)
    assert not (tmp_path / "store").exists()


def test_digests_of_a_unit_new_to_the_file_and_of_one_that_lost_all_rows(work, inputs):
    lines = _lines(work)
    unit = lines[60000].split(",")[0]
    keep = [ln for ln in lines[59000:61000] if not ln.startswith(unit + ",")]
    lines[59000:61000] = keep
    lines.insert(59500, "BU09280101,aandeel_65plus,1994,10,100,,\n")
    _write(work, lines)
    view = _same_as_full_read(work, inputs, how="changed lines")
    if unit not in {ln.split(",")[0] for ln in lines[1:]}:
        assert unit not in view.digests()


def _counting(monkeypatch) -> list[int]:
    """Count the block comparisons (each hashes up to the whole file)."""
    calls: list[int] = []
    real = obsstore._compare_blocks
    monkeypatch.setattr(obsstore, "_compare_blocks", lambda d, m: calls.append(1) or real(d, m))
    return calls


def test_a_file_version_seen_before_is_not_compared_again(work, inputs, monkeypatch):
    """``seen.json`` keeps the comparison of a file version with the base: the next
    build with the same file (size, times, inode) does not hash it again."""
    monkeypatch.setattr(obsstore, "_RACY_NS", 0)  # as if the file were written long ago
    calls = _counting(monkeypatch)
    lines = _lines(work)
    lines[100] = _toggle(lines[100])
    _write(work, lines)
    _same_as_full_read(work, inputs, how="changed lines")
    assert len(calls) == 1
    _same_as_full_read(work, inputs, how="changed lines")  # the same version
    assert len(calls) == 1
    lines[150] = _toggle(lines[150])  # a new version (another size)
    _write(work, lines)
    _same_as_full_read(work, inputs, how="changed lines")
    assert len(calls) == 2
    (work.parent / "store" / "seen.json").write_text("{damaged", encoding="utf-8")
    _same_as_full_read(work, inputs, how="changed lines")
    assert len(calls) == 3


def test_a_record_made_just_after_the_file_changed_is_not_trusted(work, inputs, monkeypatch):
    """Racily clean, as git says: within 2 s of the file's change, another change of the same size
    could keep its timestamps; the comparison is made again."""
    calls = _counting(monkeypatch)
    lines = _lines(work)
    lines[100] = _toggle(lines[100])
    _write(work, lines)
    _same_as_full_read(work, inputs, how="changed lines")
    _same_as_full_read(work, inputs, how="changed lines")
    assert len(calls) == 2


def test_a_comparison_started_ahead_is_used_once(work, inputs, monkeypatch):
    """The build starts the comparison before it plans; the load uses its result."""
    calls = _counting(monkeypatch)
    lines = _lines(work)
    lines[-5] = _toggle(lines[-5])
    _write(work, lines)
    obsstore.start_comparing(work, work.parent / "store")
    future = next(iter(obsstore._AHEAD.values()))
    future.result(timeout=60)
    assert len(calls) == 1
    _same_as_full_read(work, inputs, how="changed lines")
    assert len(calls) == 1 and obsstore._AHEAD == {}
    # A file changed after the comparison started: compared again, as it is now.
    obsstore.start_comparing(work, work.parent / "store")
    next(iter(obsstore._AHEAD.values())).result(timeout=60)
    lines[-9] = _toggle(lines[-9])
    _write(work, lines)
    _same_as_full_read(work, inputs, how="changed lines")
    assert len(calls) == 3


def test_a_read_without_keeping_reads_the_base_and_writes_nothing(work, inputs):
    """``keep=False`` (a dry run): the changed lines are read against the base as
    usual, but neither the comparison nor a new base is written; where the base does
    not fit (another key), the whole file is read and the store stays as it was."""
    catalogue, units = inputs
    store = work.parent / "store"
    lines = _lines(work)
    lines[10] = _edit_cell(lines[10], 3, "7")
    _write(work, lines)

    def snapshot() -> dict:
        return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in store.iterdir()}

    before = snapshot()
    view = obsstore.load(work, store, catalogue=catalogue, units=units, key=KEY, keep=False)
    assert isinstance(view, obsstore.ObservationView) and view.how.endswith(" changed lines")
    full = load_observations(work, catalogue=catalogue, units=units)
    pd.testing.assert_frame_equal(view.frame(), full)
    assert snapshot() == before  # no seen.json
    other = obsstore.load(work, store, catalogue=catalogue, units=units, key="other", keep=False)
    pd.testing.assert_frame_equal(other, full)
    assert snapshot() == before  # no new base either
