"""Kept validated observations, brought up to date from the lines of the file that changed.

Reading and validating ``observations.csv`` was most of a one-area rebuild at
national size: at 3,000 areas (8.35 M rows, 378 MB) about 14 s, plus 4 s for
the per-unit digests the incremental compute step compares
(:func:`unit_digests`), for a change to one buurt (issue 7).

After a full read the validated rows are kept as column arrays in
``<build>/cache/observations/`` (the *base*), in the loaded frame's order,
with the byte offset of each row's line, the per-unit digests, and SHA-256
digests of the file's 1 MiB blocks counted from its start and from its end.
The next read (:func:`load`) compares the file's blocks with those digests
to find the first and the last byte that changed; only the lines in between
are parsed and validated, with the reader and the checks of a full read
(:func:`indicators.sources.check_observations`), and the result is a
:class:`ObservationView`: the base without the rows of the old lines in
that range, plus the rows of the new ones. It gives the rows of chosen units
(what an incremental compute step reads), the digests of all units (the
base's, corrected by the hashes of the rows removed and added) or the whole
frame; each is what a full read gives, the same values, dtypes and order
(``tests/test_obsstore.py`` compares them after edits, insertions and
deletions anywhere in the file).

Exact, not sampled: bytes outside the range are unchanged because their
blocks' SHA-256 digests are. Whatever the changed lines cannot prove falls
back to a full read, which raises the errors of a full read (naming the
line and field in the whole file) and makes a new base: a file that is not
plain (:func:`indicators.csvsniff.read_plain_table`), a problem in the
changed lines, a key that the kept rows already have, a changed header, a
change spanning more than a fifth of the file, a column left with ``-0``
or numbers beyond 2**53 and no fractions (their conversion depends on the
whole column), and a base made by other reading code, pandas, catalogue or unit list (the
*key*). The base is not rewritten after an incremental read: later reads
compare with it again, so edits accumulate in the range until a full read
is cheaper.

Why hand-written: no library keeps a validated pandas frame in step with a
CSV file by line; the block digests are hashlib's, the arrays numpy's
``.npy`` files (memory-mapped, so a read touches only the pages it needs).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import shutil
import threading
import time
from collections.abc import Collection
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from indicators.config import Catalogue
from indicators.exceptions import InputError
from indicators.kept import file_version

__all__ = ["BLOCK", "STORE_VERSION", "ObservationView", "load", "start_comparing", "unit_digests"]

#: Version of the store's layout; another version means a full read.
STORE_VERSION = 1
#: Block size of the file digests; the changed range is a whole number of blocks
#: (widened to whole lines), so a one-line edit parses about 2 MiB of lines.
BLOCK = 1 << 20
#: Above this share of the file's bytes the changed range is read in full (a new base).
MAX_SHARE = 0.2
#: Two keys for the row hashes (pandas' SipHash): 128 bits per unit digest.
_HASH_KEYS = ("limburg-ind-0001", "limburg-ind-0002")
_STRINGS = ("unit_code", "indicator_id")
_NUMBERS = ("numerator", "denominator", "value", "se")
_ARRAYS = ("ind", "unit", "period", *_NUMBERS, "offset", "key")
_YEARS = (1990, 2100)  # the period range the checks allow (indicators.sources)


def row_hashes(obs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Two 64-bit hashes of every row over every column (pandas ``hash_pandas_object``, SipHash)."""
    return tuple(
        pd.util.hash_pandas_object(obs, index=False, hash_key=k).to_numpy() for k in _HASH_KEYS
    )


def unit_digests(obs: pd.DataFrame) -> dict[str, list[int]]:
    """Per unit code: number of observation rows and two 64-bit sums of their row hashes.

    A row's hash covers every column (pandas ``hash_pandas_object``, SipHash
    with two keys); the sum over a unit's rows does not depend on their order,
    and rows can be taken out of it by subtraction (modulo 2**64). Two
    different sets of rows get the same digest with a probability of about
    2**-128.
    """
    if obs.empty:
        return {}
    codes, uniques = pd.factorize(obs["unit_code"])
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    counts = np.diff(np.r_[starts, len(order)])
    sums = [np.add.reduceat(h[order], starts) for h in row_hashes(obs)]  # uint64: wraps
    first = codes[order][starts]
    return {
        str(uniques[c]): [int(n), int(a), int(b)]
        for c, n, a, b in zip(first, counts, sums[0], sums[1], strict=True)
    }


def _categories(units: pd.DataFrame, catalogue: Catalogue) -> tuple[np.ndarray, np.ndarray]:
    """Unit codes and indicator ids, sorted as ``sort_values`` sorts them (Python's ``<``)."""
    return (
        np.array(sorted(set(units["unit_code"])), dtype=object),
        np.array(sorted(catalogue.by_id), dtype=object),
    )


def _keys(ind: np.ndarray, unit: np.ndarray, period: np.ndarray, n_units: int) -> np.ndarray:
    """One int64 per (indicator, unit, year), increasing in the loaded frame's order."""
    span = _YEARS[1] - _YEARS[0] + 1
    return (ind.astype(np.int64) * n_units + unit) * span + (period - _YEARS[0])


def _block_digests(
    data: memoryview, backward: bool, block: int, stop: list[str] | None = None
) -> list[str]:
    """SHA-256 of each ``block`` bytes of ``data`` from its start (or its end); the last may be shorter.

    With ``stop``, digests are computed only while they equal ``stop``'s:
    the first that differs is the last one returned.
    """
    size = len(data)
    out = []
    for i in range(-(-size // block)):
        if backward:
            lo, hi = max(size - (i + 1) * block, 0), size - i * block
        else:
            lo, hi = i * block, min((i + 1) * block, size)
        d = hashlib.sha256(data[lo:hi]).hexdigest()
        out.append(d)
        if stop is not None and (i >= len(stop) or stop[i] != d):
            break
    return out


def _same_blocks(data: memoryview, backward: bool, block: int, recorded: list[str]) -> int:
    """How many blocks from the start (or the end) have the recorded digests."""
    got = _block_digests(data, backward, block, stop=recorded)
    return sum(1 for mine, kept in zip(got, recorded, strict=False) if mine == kept)


def _file_version(path: Path | int) -> list[int]:
    """:func:`indicators.kept.file_version`, as a list (as it is kept in ``seen.json``)."""
    return list(file_version(path))


def _base_id(meta: dict) -> str:
    """Which base a comparison was made with (its block digests)."""
    listing = [meta.get("size"), meta.get("block"), meta.get("forward"), meta.get("backward")]
    return hashlib.sha256(json.dumps(listing).encode("ascii")).hexdigest()


def _compare_blocks(data, meta: dict) -> tuple[int, int | None]:
    """Blocks equal to the base's from the start, and from the end (None: not needed,
    the file is the base's: same size, every block from the start the same)."""
    view = memoryview(data)
    try:
        block = meta["block"]
        same_fwd = _same_blocks(view, False, block, meta["forward"])
        if len(data) == meta["size"] and same_fwd == len(meta["forward"]):
            return same_fwd, None
        return same_fwd, _same_blocks(view, True, block, meta["backward"])
    finally:
        view.release()


@contextlib.contextmanager
def _mapped(path: Path):
    """The file's bytes, memory-mapped (read-only; no 378 MB copy at 3,000 areas), and
    the version (:func:`_file_version`) of what was opened."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        yield data, _file_version(fh.fileno())


#: A file whose timestamps are this close to the record's time may have changed unseen.
_RACY_NS = 2_000_000_000

#: Comparisons started by :func:`start_comparing`, by file version and base.
_AHEAD: dict[tuple, Future] = {}


def start_comparing(path: Path, folder: Path) -> None:
    """Start comparing a new version of ``path`` with the kept base, in a background thread.

    A build calls this before it plans: comparing the blocks of the 378 MB
    file at 3,000 areas (0.3 s) then runs while the planner hashes the
    whole file, instead of after it (issue 7). Only for a version of the
    file that :func:`load` has not seen (``seen.json``): an unchanged file
    costs nothing, and nothing waits for a comparison that is not used.
    """
    try:
        meta = json.loads((Path(folder) / "meta.json").read_text(encoding="utf-8"))
        version = _file_version(path)
        if meta.get("version") != STORE_VERSION or _seen(folder, version, meta) is not None:
            return
    except (OSError, ValueError, TypeError, AttributeError):
        return
    ahead = (os.path.abspath(path), *version, _base_id(meta))
    if ahead in _AHEAD:
        return
    future: Future = Future()
    _AHEAD.clear()  # one file version at a time
    _AHEAD[ahead] = future

    def run() -> None:
        try:
            with _mapped(path) as (data, opened):
                got = _compare_blocks(data, meta) if opened == version else None
            future.set_result(got if _file_version(path) == version else None)
        except BaseException as exc:  # noqa: BLE001 - handed to load(), which compares again
            future.set_exception(exc)

    threading.Thread(target=run, name="obsstore-compare", daemon=True).start()


def _seen(folder: Path, version: list[int], meta: dict) -> tuple[int, int | None] | None:
    """The comparison recorded for this version of the file and this base, if any."""
    try:
        seen = json.loads((Path(folder) / "seen.json").read_text(encoding="utf-8"))
        # "Racily clean" (as git calls it): a file changed within its timestamps'
        # granularity of the record (2 s, FAT's) could have been changed again without
        # a new timestamp; such a record is not trusted.
        racy = max(version[1], version[2]) > int(seen["at"]) - _RACY_NS
        if not racy and seen["file"] == version and seen["base"] == _base_id(meta):
            return int(seen["forward"]), (
                None if seen["backward"] is None else int(seen["backward"])
            )
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _compare(
    path: Path, data, version: list[int], meta: dict, folder: Path, record: bool = True
) -> tuple[int, int | None]:
    """:func:`_compare_blocks` for ``data``, the bytes of ``version`` of the file: from
    ``seen.json``, from a comparison started ahead, or made now; with ``record``,
    recorded in ``seen.json`` for the next build.

    ``seen.json`` trusts the file's size, times and inode, as make does (and
    as the results tables' indexes do).
    """
    got = _seen(folder, version, meta)
    if got is not None:
        return got
    future = _AHEAD.pop((os.path.abspath(path), *version, _base_id(meta)), None)
    if future is not None:
        try:
            got = future.result()
        except Exception:  # noqa: BLE001 - compared again below
            got = None
    if got is None:
        got = _compare_blocks(data, meta)
    if record and _file_version(path) == version:  # not changed while it was compared
        seen = {
            "file": version,
            "base": _base_id(meta),
            "forward": got[0],
            "backward": got[1],
            "at": time.time_ns(),
        }
        tmp = Path(folder) / f".seen.json.tmp-{os.getpid()}"
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps(seen), encoding="utf-8")
            os.replace(tmp, Path(folder) / "seen.json")
    return got


def _line_starts(data: bytes, header_len: int) -> np.ndarray:
    """Byte offset of every data line (after the header line)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == ord("\n"))
    starts = nl + 1
    return starts[(starts > header_len) & (starts < len(data))]


class _Fallback(Exception):
    """The changed lines cannot be read on their own: read the whole file."""


@dataclass
class _Base:
    """The kept rows of the last full read (memory-mapped arrays) and its file digests."""

    dir: Path
    meta: dict
    arrays: dict[str, np.ndarray]
    digests: dict[str, np.ndarray]

    @classmethod
    def open(cls, folder: Path, key: str) -> _Base | None:
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if meta.get("version") != STORE_VERSION or meta.get("key") != key:
                return None
            arrays = {a: np.load(folder / f"{a}.npy", mmap_mode="r") for a in _ARRAYS}
            digests = {a: np.load(folder / f"digest_{a}.npy") for a in ("unit", "n", "a", "b")}
            if any(len(v) != meta["n_rows"] for v in arrays.values()):
                return None
            if len({len(v) for v in digests.values()}) != 1:
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return cls(folder, meta, arrays, digests)

    def column(self, name: str, idx: np.ndarray, whole: bool = False) -> np.ndarray:
        """Rows ``idx`` (ascending) of one array; ``whole``: read the file rather than the map
        (for most rows: a map's pages would stay resident as long as the base)."""
        if whole:
            values = np.load(self.dir / f"{name}.npy")
            return values if len(idx) == len(values) else values[idx]
        return np.asarray(self.arrays[name][idx])


class ObservationView:
    """The validated observations of the current file: the kept base, less and plus some rows.

    Built by :func:`load`. Each method gives what
    :func:`indicators.sources.load_observations` would (same values, dtypes
    and row order).
    """

    def __init__(
        self,
        path: Path,
        base: _Base,
        cats: tuple[np.ndarray, np.ndarray],
        removed: np.ndarray,
        added: pd.DataFrame,
        *,
        how: str,
    ):
        self.path = Path(path)
        self._base = base
        self._units, self._inds = cats
        self._removed = removed  # base positions, sorted
        self._added = added.reset_index(drop=True)  # validated, in loaded order
        self.how = how  # for the build's output: "full read", "N changed lines" ...
        self._frame: pd.DataFrame | None = None  # kept after a full read
        self._digests: dict[str, list[int]] | None = None
        unit_index = pd.Index(self._units)
        ind_index = pd.Index(self._inds)
        self._added_unit = unit_index.get_indexer(self._added["unit_code"]).astype(np.int32)
        self._added_ind = ind_index.get_indexer(self._added["indicator_id"]).astype(np.int32)
        self._added_key = _keys(
            self._added_ind,
            self._added_unit,
            self._added["period"].to_numpy(np.int64),
            len(self._units),
        )

    def __len__(self) -> int:
        return len(self._base.arrays["key"]) - len(self._removed) + len(self._added)

    @property
    def changed_units(self) -> set[str]:
        """Units with a row removed from or added to the base (a superset of those that differ)."""
        gone = self._base.arrays["unit"][self._removed]
        return {str(u) for u in self._units[np.union1d(gone, self._added_unit)]}

    def _kept(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Base positions that are kept (and, with ``mask``, selected by it), ascending."""
        keep = np.ones(len(self._base.arrays["key"]), dtype=bool) if mask is None else mask.copy()
        keep[self._removed] = False
        return np.flatnonzero(keep)

    def _base_frame(self, idx: np.ndarray) -> pd.DataFrame:
        """Base rows ``idx`` (ascending) as the loaded frame has them."""
        return self._merge(idx, np.zeros(0, dtype=np.int64))

    def _merge(self, idx: np.ndarray, added: np.ndarray) -> pd.DataFrame:
        """Kept base rows ``idx`` and added rows ``added`` (positions), in loaded order.

        Both are sorted by key and no key is in both (checked by :func:`load`),
        so each added row goes where ``searchsorted`` puts it; built column by
        column, without sorting or a frame-wide ``take`` (at 8.35 M rows those
        took 5 s and 1.3 GB more).
        """
        from indicators.csvsniff import ReadNotes

        base, new = self._base, self._added.iloc[added]
        whole = 2 * len(idx) > len(base.arrays["key"])  # most rows: read the files, not the maps
        at = np.searchsorted(base.column("key", idx, whole), self._added_key[added])
        at += np.arange(len(added))
        n = len(idx) + len(added)
        kept = np.ones(n, dtype=bool)
        kept[at] = False

        def column(old: np.ndarray, fresh: np.ndarray) -> np.ndarray:
            if not len(fresh):
                return old
            out = np.empty(n, dtype=old.dtype)
            out[kept] = old
            out[at] = fresh
            return out

        # The number columns are filled into one 2-D array that becomes the frame's
        # float block as it is: pandas would otherwise stack them (1 s, 270 MB).
        numbers = np.empty((len(_NUMBERS), n), dtype=np.float64)
        for k, c in enumerate(_NUMBERS):
            numbers[k] = column(base.column(c, idx, whole), new[c].to_numpy(np.float64))
        df = pd.DataFrame(numbers.T, columns=list(_NUMBERS), copy=False)
        period = column(base.column("period", idx, whole), new["period"].to_numpy(np.int64))
        df.insert(0, "period", period)
        for name, cats, code in (
            ("indicator_id", self._inds, "ind"),
            ("unit_code", self._units, "unit"),
        ):
            values = column(cats.take(base.column(code, idx, whole)), new[name].to_numpy(object))
            df.insert(0, name, pd.array(values, dtype="str"))
        df.attrs["read_notes"] = ReadNotes(path=str(self.path))
        return df

    def frame(self) -> pd.DataFrame:
        """The whole validated observation table."""
        if self._frame is not None:
            return self._frame
        return self._merge(self._kept(), np.arange(len(self._added)))

    def rows(self, unit_codes: Collection[str]) -> pd.DataFrame:
        """The rows of these units (what ``obs[obs["unit_code"].isin(unit_codes)]`` holds)."""
        pick = np.zeros(len(self._units), dtype=bool)
        at = pd.Index(self._units).get_indexer(list(unit_codes))
        pick[at[at >= 0]] = True
        idx = self._kept(pick[np.asarray(self._base.arrays["unit"])])
        return self._merge(idx, np.flatnonzero(pick[self._added_unit]))

    def digests(self) -> dict[str, list[int]]:
        """:func:`unit_digests` of the whole table, from the base's and the changed rows."""
        if self._digests is not None:
            return self._digests
        d = self._base.digests
        n = d["n"].astype(np.int64).copy()
        sums = [d["a"].astype(np.uint64).copy(), d["b"].astype(np.uint64).copy()]
        position = np.full(len(self._units), -1, dtype=np.int64)
        position[d["unit"]] = np.arange(len(d["unit"]))
        extra = np.setdiff1d(np.union1d(self._base.arrays["unit"][self._removed], self._added_unit),
                             d["unit"])  # fmt: skip
        if len(extra):  # units without rows in the base
            position[extra] = len(n) + np.arange(len(extra))
            n = np.r_[n, np.zeros(len(extra), np.int64)]
            sums = [np.r_[s, np.zeros(len(extra), np.uint64)] for s in sums]
        units = np.r_[d["unit"], extra].astype(np.int64)
        for frame, unit, sign in (
            (self._base_frame(self._removed), self._base.arrays["unit"][self._removed], -1),
            (self._added, self._added_unit, 1),
        ):
            if not len(frame):
                continue
            pos = position[np.asarray(unit)]
            np.add.at(n, pos, sign)
            for s, h in zip(sums, row_hashes(frame), strict=True):
                with np.errstate(over="ignore"):
                    np.add.at(s, pos, h if sign > 0 else (~h + np.uint64(1)))  # -h mod 2**64
        return {
            str(self._units[u]): [int(k), int(a), int(b)]
            for u, k, a, b in zip(units, n, sums[0], sums[1], strict=True)
            if k > 0
        }


def load(
    path: Path,
    folder: Path,
    *,
    catalogue: Catalogue,
    units: pd.DataFrame,
    key: str,
    keep: bool = True,
) -> ObservationView | pd.DataFrame:
    """The validated observations of ``path``, read in part when a kept base allows it.

    Parameters
    ----------
    path : Path
        ``observations.csv``.
    folder : Path
        Where the base is kept (``<build>/cache/observations``).
    catalogue, units
        As for :func:`indicators.sources.load_observations` (validated units).
    key : str
        Digest of what else the validated rows depend on (reading code,
        catalogue, unit list, library versions): a base with another key is
        not used.
    keep : bool
        Write to ``folder``: the comparison (``seen.json``) and, after a full
        read, the new base. Without it the base is only read (a dry run).

    Returns
    -------
    ObservationView or DataFrame
        A view over the base; a DataFrame (from a full read) when the file
        cannot be kept as a base (not plain, or with cells whose conversion
        depends on their whole column).

    Raises
    ------
    InputError
        As a full read does.
    """
    path, folder = Path(path), Path(folder)
    cats = _categories(units, catalogue)
    base = _Base.open(folder, key)
    if base is not None:
        try:
            with _mapped(path) as (data, version):
                return _update(path, data, version, base, cats, catalogue, units, folder, keep)
        except (_Fallback, IndexError, KeyError, ValueError, TypeError, OSError, BufferError):
            # A damaged base (e.g. arrays of the wrong length) is read again as well:
            # the full read is the reference, and it raises the input errors.
            pass
    if not keep:
        from indicators.sources import load_observations

        return load_observations(path, catalogue=catalogue, units=units)
    return _full(path, folder, cats, catalogue, units, key)


def _update(
    path, data, version, base, cats, catalogue, units, folder, record=True
) -> ObservationView:
    """The view of ``data`` over ``base``; the comparison is kept with ``record``."""
    from indicators.sources import _observations_plain, check_observations

    meta = base.meta
    size, old_size, header_len = len(data), meta["size"], meta["header_len"]
    block = meta["block"]
    same_fwd, same_bwd = _compare(path, data, version, meta, folder, record)
    if same_bwd is None:
        return ObservationView(path, base, cats, np.zeros(0, np.int64), _empty(), how="unchanged")
    if data[: header_len + 1] != meta["header"].encode("ascii") + b"\n":
        raise _Fallback("the header changed")
    # Bytes [0, prefix) and the last ``suffix`` bytes are the same in both files.
    prefix = min(same_fwd * block, size, old_size)
    suffix = min(same_bwd * block, size, old_size)
    suffix = min(suffix, min(size, old_size) - prefix)
    # Lines [a, end) of the new file replace lines [a, old_end) of the old one: a
    # follows a newline in the common prefix, end (old_end) one in the common suffix.
    a = max(data.rfind(b"\n", 0, prefix) + 1, header_len + 1)
    end, old_end = size, old_size
    nl = data.find(b"\n", size - suffix) if suffix else -1
    if nl >= 0:
        end, old_end = nl + 1, old_size - (size - (nl + 1))
    if max(end - a, old_end - a) > MAX_SHARE * max(size, 1):
        raise _Fallback("too much changed")
    offset = base.arrays["offset"]
    removed = np.flatnonzero((offset >= a) & (offset < old_end))
    fragment = data[: header_len + 1] + data[a:end]
    if end > a:
        raw = _observations_plain(path, data=fragment)
        if raw is None:
            raise _Fallback("the changed lines are not plain")
        try:
            added, _ = check_observations(raw, path, catalogue=catalogue, units=units)
        except InputError as err:
            raise _Fallback(str(err)) from None
    else:
        added = _empty()
    if len(base.arrays["key"]) - len(removed) + len(added) == 0:
        raise _Fallback("no rows")
    obs = ObservationView(
        path, base, cats, removed, added, how=f"read {len(added):,} changed lines"
    )
    gone, new = _cell_counts(obs._base_frame(removed)), _cell_counts(added)
    for c, (odd, frac) in meta["cells"].items():
        odd, frac = odd - gone[c][0] + new[c][0], frac - gone[c][1] + new[c][1]
        if odd and not frac:  # the whole file is no longer read in C
            raise _Fallback(f"column {c} holds only whole numbers and -0 or huge ones")
    # A key of a changed line that a kept row has: the full read names both lines.
    keys = np.asarray(base.arrays["key"])
    pos = np.searchsorted(keys, obs._added_key)
    hit = pos < len(keys)
    hit[hit] = keys[pos[hit]] == obs._added_key[hit]
    if hit.any() and not np.isin(pos[hit], removed).all():
        raise _Fallback("duplicate key")
    return obs


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_code": pd.array([], dtype="str"),
            "indicator_id": pd.array([], dtype="str"),
            "period": np.zeros(0, np.int64),
            **{c: np.zeros(0, np.float64) for c in _NUMBERS},
        }
    )


def _full(path, folder, cats, catalogue, units, key) -> ObservationView | pd.DataFrame:
    """Read the whole file; keep it as the new base when it is plain."""
    from indicators.sources import (
        _observations_lenient,
        _observations_plain,
        check_observations,
    )

    shutil.rmtree(folder, ignore_errors=True)  # from here on it is not the file's
    data = path.read_bytes()
    raw = _observations_plain(path, data=data)
    if raw is None:
        del data
        return check_observations(_observations_lenient(path), path, catalogue=catalogue,
                                  units=units)[0]  # fmt: skip
    header_len = data.index(b"\n")
    starts = _line_starts(data, header_len)
    meta = {
        "version": STORE_VERSION,
        "key": key,
        "size": len(data),
        "header": data[:header_len].decode("ascii"),
        "header_len": header_len,
        "block": BLOCK,
        "forward": _block_digests(memoryview(data), False, BLOCK),
        "backward": _block_digests(memoryview(data), True, BLOCK),
    }
    del data
    obs, order = check_observations(raw, path, catalogue=catalogue, units=units)
    del raw
    if len(starts) != len(obs):  # pragma: no cover - a plain file has one row per line
        return obs
    meta["n_rows"] = len(obs)
    meta["cells"] = _cell_counts(obs)
    unit_cat, ind_cat = cats
    for left in folder.parent.glob(f".{folder.name}.tmp-*"):  # of builds that were killed
        shutil.rmtree(left, ignore_errors=True)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    tmp.mkdir(parents=True)
    # One array at a time: the build's peak memory is this step's.
    ind = pd.Index(ind_cat).get_indexer(obs["indicator_id"]).astype(np.int32)
    unit = pd.Index(unit_cat).get_indexer(obs["unit_code"]).astype(np.int32)
    np.save(tmp / "key.npy", _keys(ind, unit, obs["period"].to_numpy(np.int64), len(unit_cat)))
    np.save(tmp / "ind.npy", ind)
    np.save(tmp / "unit.npy", unit)
    del ind, unit
    np.save(tmp / "period.npy", obs["period"].to_numpy(np.int64))
    for c in _NUMBERS:
        np.save(tmp / f"{c}.npy", obs[c].to_numpy(np.float64))
    np.save(tmp / "offset.npy", starts[order].astype(np.int64))
    del starts, order
    digests = unit_digests(obs)
    vals = np.array(list(digests.values()), dtype=np.uint64).reshape(-1, 3)
    np.save(tmp / "digest_unit.npy", pd.Index(unit_cat).get_indexer(list(digests)).astype(np.int64))
    np.save(tmp / "digest_n.npy", vals[:, 0].astype(np.int64))
    np.save(tmp / "digest_a.npy", vals[:, 1])
    np.save(tmp / "digest_b.npy", vals[:, 2])
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")  # last: marks it whole
    os.replace(tmp, folder)
    base = _Base.open(folder, key)
    if base is None:  # pragma: no cover - just written
        return obs
    view = ObservationView(path, base, cats, np.zeros(0, np.int64), _empty(), how="full read")
    view._frame, view._digests = obs, digests  # what was just read and computed
    return view


def _cell_counts(obs: pd.DataFrame) -> dict[str, list[int]]:
    """Per number column: cells read differently in a column of whole numbers, and fractions.

    ``-0`` and numbers beyond 2**53 convert differently when their column
    holds only whole numbers (see ``indicators.sources._observations_plain``,
    which then reads the whole file leniently), so whether a file is read in
    C depends on these two counts over the whole column.
    """
    out = {}
    for c in _NUMBERS:
        x = obs[c].to_numpy(np.float64)
        known = x[~np.isnan(x)]
        odd = np.signbit(known[known == 0]).sum() + (np.abs(known) >= 2.0**53).sum()
        out[c] = [int(odd), int((known % 1 != 0).sum())]
    return out
