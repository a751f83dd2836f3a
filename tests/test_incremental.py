"""Incremental compute (indicators.incremental): spliced results equal a full recompute, byte for byte.

Each scenario starts from the results of a full compute of the demo data,
changes the inputs, updates the results incrementally, and compares every
result file with those of a full recompute of the changed inputs in a fresh
build directory.
"""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from indicators import obsstore
from indicators.cache import ResultsIndex
from indicators.config import load_catalogue
from indicators.csvrecords import (
    SpliceError,
    TableIndex,
    first_field,
    read_records,
    splice_blocks,
    split_header,
)
from indicators.incremental import unit_digests
from indicators.pipeline import COMPUTE_STATE, Paths, run_compute
from indicators.sources import load_observations, load_units
from indicators.store import TABLES
from indicators.tabletypes import FloatColumns
from tests.conftest import ROOT

DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """Inputs and the build directory of a full compute of the demo data."""
    base = tmp_path_factory.mktemp("incremental-base")
    shutil.copytree(DEMO, base / "data")
    shutil.copytree(ROOT / "params", base / "params")
    # Small blocks: an edit leaves most of the demo file outside the range read again,
    # so the scenarios run the partial read of the kept observations (indicators.obsstore).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(obsstore, "BLOCK", 4096)
        run = run_compute(_paths(base))
    assert run.mode == "full" and "no state" in run.reason
    # what a build keeps about the tables for the report slices, carried over by splices
    assert ResultsIndex(base / "build" / "compute").float_columns
    return base


@pytest.fixture
def work(baseline, tmp_path) -> Path:
    """A copy of the baseline (inputs, results and state) to change."""
    shutil.copytree(baseline, tmp_path / "w", copy_function=shutil.copy2)
    return tmp_path / "w"


def _paths(base: Path, build: str = "build") -> Paths:
    return Paths.default(data_dir=base / "data", params_dir=base / "params", build_dir=base / build)


def _result_files(results: Path) -> list[Path]:
    return sorted(
        p.relative_to(results)
        for p in results.rglob("*")
        if p.is_file() and p.name != "meta.json" and not p.name.startswith(".")
    ) + [Path("trendbreak/meta.json")]


def _assert_same_as_full(base: Path, carried: bool = False) -> None:
    """Every result file equals that of a full recompute in a fresh build directory."""
    fresh = run_compute(_paths(base, "full"), incremental=False)
    assert fresh.mode == "full"
    got, want = base / "build" / "compute", base / "full" / "compute"
    files = _result_files(want)
    assert files == _result_files(got)
    assert len(files) == 15  # 14 tables and trendbreak/meta.json
    differ = [str(f) for f in files if not filecmp.cmp(got / f, want / f, shallow=False)]
    assert not differ, differ
    # the indexes and column types the splices kept equal those made from the tables
    for f in files:
        if f.suffix == ".csv" and f.name != "areas.csv":
            kept = TableIndex.load(got / f)
            assert kept is not None, f
            header, data = split_header((got / f).read_bytes(), got / f)
            scan = TableIndex.scan(header, data)
            assert (kept.runs, kept.digests, kept.length) == (scan.runs, scan.digests, scan.length)
    if carried:  # by the splices, not made again from the tables
        for t in ("values", "summary"):
            kept = FloatColumns.load(got / f"{t}.csv", TableIndex.of(got / f"{t}.csv")[0])
            assert kept is not None, f"{t}: the column types were not carried over"
    assert ResultsIndex(got).float_columns == ResultsIndex(want).float_columns
    for t in TABLES:
        df = pd.read_csv(got / f"{t}.csv")
        assert ResultsIndex(got).float_columns[f"{t}.csv"] == [
            i for i, c in enumerate(df.columns) if pd.api.types.is_float_dtype(df[c])
        ]


def _edit_obs(base: Path, unit: str, column: str = "numerator", delta: int = -1) -> None:
    """Change the first non-empty ``column`` cell of ``unit`` by ``delta``."""
    f = base / "data" / "observations.csv"
    lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
    col = lines[0].strip().split(",").index(column)
    for i, line in enumerate(lines[1:], start=1):
        cells = line.rstrip("\n").split(",")
        if cells[0] == unit and cells[col] not in ("", "0"):
            cells[col] = str(float(cells[col]) + delta)
            lines[i] = ",".join(cells) + "\n"
            break
    else:
        raise AssertionError(f"no {column} for {unit}")
    f.write_text("".join(lines), encoding="utf-8")


def _edit_params(base: Path, slug: str, **changes) -> None:
    f = base / "params" / f"{slug}.yml"
    p = yaml.safe_load(f.read_text(encoding="utf-8"))
    p.update(changes)
    f.write_text(yaml.safe_dump(p, allow_unicode=True, sort_keys=False), encoding="utf-8")


# --------------------------------------------------------------------------- scenarios


def test_one_buurt_recomputes_only_the_areas_that_contain_it(work):
    _edit_obs(work, "BU09280101")  # a buurt of Kerkrade-Oost
    run = run_compute(_paths(work))
    assert run.mode == "incremental", run.reason
    # its values and summary, and the trend-break rows of the areas compared with it
    comparing = {
        f.stem
        for f in (work / "params").glob("*.yml")
        if "kerkrade-oost" in yaml.safe_load(f.read_text(encoding="utf-8"))["comparison_areas"]
    }
    assert set(run.recomputed) == {"kerkrade-oost"} | comparing, run.recomputed
    assert "recomputed 4 of " in run.reason and "kerkrade-oost" in run.reason
    assert run.observations.startswith("read ") and "changed lines" in run.observations
    _assert_same_as_full(work, carried=True)


def test_a_gemeente_recomputes_it_its_region_and_the_summaries_compared_with_it(work):
    _edit_obs(work, "GM0917")  # Heerlen: benchmark of Heerlen-Noord, part of Zuid-Limburg
    run = run_compute(_paths(work))
    assert run.mode == "incremental", run.reason
    # Heerlen-Noord's summary compares with Heerlen; its values (buurten) stay, so the
    # trend-break rows of the areas compared with it (Kerkrade-Oost) stay too
    assert set(run.recomputed) == {
        "GM0917", "gemeente-heerlen", "heerlen-noord", "region:zuid-limburg"
    }  # fmt: skip
    _assert_same_as_full(work)


def test_a_weighted_mean_indicator_of_a_buurt(work):
    _edit_obs(work, "BU09170101", column="denominator", delta=7)
    assert run_compute(_paths(work)).mode == "incremental"
    _assert_same_as_full(work)


def test_intervention_start_changes_the_trend_break_rows_of_areas_compared_with_it(work):
    _edit_params(work, "heerlen-noord", intervention_start=2019)
    run = run_compute(_paths(work))
    assert run.mode == "incremental", run.reason
    assert {"heerlen-noord", "kerkrade-oost"} <= set(run.recomputed)
    _assert_same_as_full(work)


def test_renamed_area_and_other_municipality(work):
    _edit_params(work, "vaals-vallisveld", name="Vallisveld (Vaals)")
    _edit_params(work, "epen", municipality="GM0981")
    assert run_compute(_paths(work)).mode == "incremental"
    _assert_same_as_full(work)


def test_added_area(work):
    _edit_params(work, "epen")  # unchanged, to copy from
    new = yaml.safe_load((work / "params" / "epen.yml").read_text(encoding="utf-8"))
    new.update(slug="epen-zuid", name="Epen-Zuid", units=new["units"][:1], comparison_areas=[])
    (work / "params" / "epen-zuid.yml").write_text(yaml.safe_dump(new), encoding="utf-8")
    run = run_compute(_paths(work))
    assert run.mode == "incremental", run.reason
    assert "epen-zuid" in run.recomputed
    _assert_same_as_full(work)


def test_removed_area_and_the_comparisons_that_named_it(work):
    (work / "params" / "epen.yml").unlink()
    for f in (work / "params").glob("*.yml"):
        p = yaml.safe_load(f.read_text(encoding="utf-8"))
        if "epen" in p.get("comparison_areas", []):
            _edit_params(
                work, f.stem, comparison_areas=[c for c in p["comparison_areas"] if c != "epen"]
            )
    run = run_compute(_paths(work))
    assert run.mode == "incremental", run.reason
    assert "removed epen" in run.reason
    _assert_same_as_full(work)


def test_area_no_longer_of_a_trend_break_kind_loses_its_trend_break_rows(work):
    _edit_params(work, "epen", kind="gemeente")
    assert run_compute(_paths(work)).mode == "incremental"
    _assert_same_as_full(work)


def test_two_incremental_updates_in_a_row(work):
    _edit_obs(work, "BU09280101")
    assert run_compute(_paths(work)).mode == "incremental"
    _edit_obs(work, "BU17290301", delta=3)
    _edit_params(work, "kerkrade-oost", intervention_start=2020)
    assert run_compute(_paths(work)).mode == "incremental"
    _assert_same_as_full(work, carried=True)


def test_nothing_changed_rewrites_nothing_but_meta(work):
    before = {
        f: (work / "build" / "compute" / f).read_bytes()
        for f in _result_files(work / "build" / "compute")
    }
    run = run_compute(_paths(work))
    assert run.mode == "incremental" and run.reason == "incremental: no results changed"
    for f, data in before.items():
        assert (work / "build" / "compute" / f).read_bytes() == data, f


# --------------------------------------------------------------------------- full recompute


def test_data_of_nederland_means_a_full_recompute(work):
    _edit_obs(work, "NL01")
    run = run_compute(_paths(work))
    assert run.mode == "full" and run.reason == "full recompute: the data of NL01 changed"
    _assert_same_as_full(work)


def test_unit_list_change_means_a_full_recompute(work):
    f = work / "data" / "units.csv"
    f.write_text(
        f.read_text(encoding="utf-8").replace(",Epen,", ",Epen (dorp),", 1), encoding="utf-8"
    )
    run = run_compute(_paths(work))
    assert run.mode == "full" and run.reason == "full recompute: unit list changed"
    _assert_same_as_full(work)


def test_edited_results_mean_a_full_recompute(work):
    f = work / "build" / "compute" / "summary.csv"
    f.write_bytes(f.read_bytes().replace(b"\n", b"\r\n", 1))
    _edit_obs(work, "BU09280101")
    run = run_compute(_paths(work))
    assert (
        run.reason == "full recompute: the results on disk are not those of the last compute step"
    )
    _assert_same_as_full(work)


def test_missing_or_foreign_state_means_a_full_recompute(work):
    state = work / "build" / "cache" / COMPUTE_STATE
    state.write_text(json.dumps({"version": -1}), encoding="utf-8")
    assert run_compute(_paths(work)).reason == "full recompute: no state of an earlier compute step"
    data = json.loads(state.read_text(encoding="utf-8"))
    data["key"]["code"] = "something else"
    state.write_text(json.dumps(data), encoding="utf-8")
    assert run_compute(_paths(work)).reason == "full recompute: code changed"


def test_incremental_false_recomputes_everything(work):
    run = run_compute(_paths(work), incremental=False)
    assert run.mode == "full" and run.reason == "full recompute: asked for"


# --------------------------------------------------------------------------- building blocks


def test_every_entity_table_is_sorted_by_entity(baseline):
    """The precondition of splicing: the rows of an entity form one block, in order."""
    results = baseline / "build" / "compute"
    tables = [
        "values.csv",
        "summary.csv",
        *(f"trendbreak/{p.name}" for p in (results / "trendbreak").glob("*.csv")),
    ]
    assert len(tables) == 13
    for rel in tables:
        header, records = read_records(results / rel)
        assert header.startswith(b"area,"), rel
        keys = [first_field(r) for r in records]
        assert keys == sorted(keys), rel


def _table(path: Path, rows: list[str]) -> Path:
    path.write_bytes(("area,x\n" + "".join(r + "\n" for r in rows)).encode("utf-8"))
    return path


def test_splice_replaces_inserts_and_removes_blocks_keeping_other_bytes(tmp_path):
    f = _table(tmp_path / "t.csv", ["a,1", "a,2", "c,3", 'd,"x\ny"', "e,5"])
    splice_blocks(f, b"area,x", {"b": [b"b,9"], "c": [b"c,7", b"c,8"]}, {"c", "e"})
    assert f.read_bytes() == b'area,x\na,1\na,2\nb,9\nc,7\nc,8\nd,"x\ny"\n'


def test_splice_refuses_other_columns_and_unsorted_tables(tmp_path):
    f = _table(tmp_path / "t.csv", ["a,1", "b,2"])
    with pytest.raises(SpliceError, match="columns of t.csv changed"):
        splice_blocks(f, b"area,y", {}, {"a"})
    g = _table(tmp_path / "u.csv", ["a,1", "c,2", "b,3"])
    with pytest.raises(SpliceError, match="not sorted"):
        splice_blocks(g, b"area,x", {"b": [b"b,0"]}, {"b"})


def test_unit_digest_changes_with_one_cell_and_not_with_row_order():
    units = load_units(DEMO / "units.csv")
    obs = load_observations(DEMO / "observations.csv", catalogue=load_catalogue(), units=units)
    before = unit_digests(obs)
    assert unit_digests(obs.sample(frac=1.0, random_state=1)) == before
    changed = obs.copy()
    i = changed.index[changed["unit_code"] == "BU09280101"][0]
    changed.loc[i, "value"] = (
        0.5 if pd.isna(changed.loc[i, "value"]) else changed.loc[i, "value"] + 1e-12
    )
    after = unit_digests(changed)
    assert {u for u in before if before[u] != after[u]} == {"BU09280101"}
