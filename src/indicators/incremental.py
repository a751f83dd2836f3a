"""Incremental compute: recompute the entities whose inputs changed, splice in their rows.

The compute step (:func:`indicators.pipeline.run_compute`) writes the results
of every entity (params areas, regions, gemeenten, ``PV31``, ``NL01``) in
tables sorted by entity. After a change to one buurt's data or one params
file only a few entities' rows change. :func:`update_results` finds them,
recomputes them with :func:`indicators.compute.compute_all` and
:func:`indicators.trendbreak.compute_trendbreak` restricted to those entities
(``only=``), and replaces their blocks of lines in the tables
(:func:`indicators.csvrecords.splice_blocks`). The result files are the same
bytes as a full recompute writes (``tests/test_incremental.py`` compares them
after data, params and area changes).

Which rows depend on what (the rules of :func:`indicators.compute.compute_all`
and :func:`indicators.trendbreak.compute_trendbreak`):

``values``
    an entity's rows depend on the observations of its member units
    (:func:`indicators.compute.membership`) and its params;
``summary``
    on its ``values`` and those of its benchmarks (its gemeente, ``PV31``,
    ``NL01``);
``trendbreak/*``
    an entity's rows (the region or an area approach) on its ``values``,
    those of ``NL01`` (and for the region, the region's), its params and
    those of its comparison areas, and on which indicators have data at all;
``areas``
    on every params file and the unit list (written whole).

Everything else is a reason for a full recompute, stated in the build's
output: no earlier results or state, results on disk that are not the ones
recorded, a change to the catalogue (``data/catalogue/``, the data set's
catalogue overrides), the unit list, the compute code or library versions
(the *key* the caller passes), new data for ``PV31`` or ``NL01`` (every
comparison changes), a change to the set of indicators with data, or a table
whose columns or column types would come out differently.

The state (``_build/cache/compute-state.json``) records per unit a digest of
its observation rows, per area a digest of its params, per entity the
indicators with a value, and size, mtime and sha256 of every table written.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from indicators.compute import (
    REFERENCE_UNITS,
    Results,
    area_table,
    compute_all,
    membership,
    needed_entities,
)
from indicators.config import AreaSet, Catalogue
from indicators.csvrecords import (
    SpliceError,
    TableIndex,
    content_digest,
    group_records,
    same_content,
    splice_blocks,
    split_records,
)
from indicators.obsstore import ObservationView, unit_digests
from indicators.store import TABLES, save_results, table_bytes, write_meta, write_table
from indicators.tabletypes import after_splice
from indicators.trendbreak import (
    SUBFOLDER,
    TRENDBREAK_TABLES,
    TrendBreakConfig,
    TrendBreakResults,
    compute_trendbreak,
)

__all__ = ["STATE_VERSION", "ComputeRun", "unit_digests", "update_results"]

#: Version of the state file's layout; another version means a full recompute.
STATE_VERSION = 1
#: Table files relative to the results directory, with the entity-sorted ones.
_SORTED = ("values.csv", "summary.csv", *(f"{SUBFOLDER}/{t}.csv" for t in TRENDBREAK_TABLES))
_FILES = (*(f"{t}.csv" for t in TABLES), *_SORTED[2:], f"{SUBFOLDER}/meta.json")


@dataclass(frozen=True)
class ComputeRun:
    """What :func:`update_results` did.

    Attributes
    ----------
    mode : {"full", "incremental"}
    reason : str
        For the build's output: why everything was recomputed, or which
        entities were.
    recomputed : tuple of str
        The entities whose rows were recomputed (all of them for ``full``).
    """

    mode: Literal["full", "incremental"]
    reason: str
    recomputed: tuple[str, ...] = ()


class _Full(Exception):
    """A reason to recompute everything."""


def _digests(obs: pd.DataFrame | ObservationView) -> dict[str, list[int]]:
    return obs.digests() if isinstance(obs, ObservationView) else unit_digests(obs)


def _area_digests(areas: AreaSet) -> dict[str, str]:
    return {
        a.slug: hashlib.sha256(
            json.dumps(a.model_dump(mode="json"), sort_keys=True).encode("utf-8")
        ).hexdigest()
        for a in areas
    }


def _with_data(values: pd.DataFrame) -> dict[str, list[str]]:
    """Per entity: the indicators with a value."""
    v = values.loc[values["value"].notna(), ["area", "indicator_id"]].drop_duplicates()
    return {str(a): sorted(g.tolist()) for a, g in v.groupby("area", sort=True)["indicator_id"]}


def _kinds(df: pd.DataFrame) -> list[list[str]]:
    """Each column, in order, with how it is written: ``float`` (%.17g), ``int``, ``bool``, ``text``."""
    out = []
    for c in df.columns:
        kind = df[c].dtype.kind
        if kind in "fiub":
            out.append([str(c), {"f": "float", "i": "int", "u": "int", "b": "bool"}[kind]])
        else:
            inferred = pd.api.types.infer_dtype(df[c], skipna=True)
            out.append([str(c), "text" if inferred in ("string", "empty") else f"other:{inferred}"])
    return out


def _file_record(path: Path, index: TableIndex | None = None) -> list:
    st = path.stat()
    # a table by its index (kept up to date by the splice: not hashed whole again)
    return [st.st_size, st.st_mtime_ns, content_digest(path, scan=True, index=index)]


def _files_unchanged(out_dir: Path, recorded: dict[str, list]) -> bool:
    """The result files are those the state recorded (size and mtime, else content)."""
    for rel in _FILES:
        f = out_dir / rel
        if rel not in recorded or not f.is_file():
            return False
        size, mtime_ns, digest = recorded[rel]
        st = f.stat()
        if st.st_size != size:
            return False
        if st.st_mtime_ns != mtime_ns and not same_content(f, digest):
            return False
    return True


def _read_state(path: Path) -> dict | None:
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else None


def _write_state(path: Path, state: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _tables(results: Results, tb: TrendBreakResults) -> dict[str, pd.DataFrame]:
    """Every entity-sorted table as written, by file name."""
    return {
        "values.csv": results.values,
        "summary.csv": results.summary,
        **{f"{SUBFOLDER}/{t}.csv": tb.table(t) for t in TRENDBREAK_TABLES},
    }


def update_results(
    obs: pd.DataFrame | ObservationView,
    units: pd.DataFrame,
    catalogue: Catalogue,
    areas: AreaSet,
    config: TrendBreakConfig,
    out_dir: Path,
    prov: dict,
    *,
    state_path: Path,
    key: dict[str, str],
    incremental: bool = True,
) -> ComputeRun:
    """Bring the results in ``out_dir`` up to date with the inputs, recomputing what changed.

    Parameters
    ----------
    obs, units, catalogue, areas
        Validated inputs (:func:`indicators.pipeline.load_inputs`); the
        observations as a frame or as a view of the kept ones
        (:mod:`indicators.obsstore`), of which an incremental update reads
        only the rows of the units it recomputes.
    config : TrendBreakConfig
        The trend-break settings.
    out_dir : Path
        The results directory (``_build/compute``).
    prov : dict
        Provenance for ``meta.json`` (:func:`indicators.store.provenance`).
    state_path : Path
        Where the state of the last update is kept.
    key : dict of str to str
        Digests of everything else the results depend on, by name (e.g.
        ``{"catalogue": ..., "units": ..., "code": ..., "environment": ...}``);
        a changed entry means a full recompute, named in the reason.
    incremental : bool
        False: always recompute everything.

    Returns
    -------
    ComputeRun
        Full or incremental, and why.
    """
    out_dir = Path(out_dir)
    state = _read_state(state_path) if incremental else None
    try:
        if not incremental:
            raise _Full("asked for")
        if state is None:
            raise _Full("no state of an earlier compute step")
        changed = sorted(
            k for k in key.keys() | state["key"].keys() if key.get(k) != state["key"].get(k)
        )
        if changed:
            raise _Full(f"{', '.join(changed)} changed")
        if not _files_unchanged(out_dir, state["files"]):
            raise _Full("the results on disk are not those of the last compute step")
        return _incremental(
            state, obs, units, catalogue, areas, config, out_dir, prov, state_path, key
        )
    except (_Full, SpliceError) as why:
        return _full(obs, units, catalogue, areas, config, out_dir, prov, state_path, key, str(why))


def _full(
    obs: pd.DataFrame | ObservationView,
    units: pd.DataFrame,
    catalogue: Catalogue,
    areas: AreaSet,
    config: TrendBreakConfig,
    out_dir: Path,
    prov: dict,
    state_path: Path,
    key: dict[str, str],
    why: str,
) -> ComputeRun:
    Path(state_path).unlink(missing_ok=True)  # the files no longer match it from here on
    digests = _digests(obs)
    if isinstance(obs, ObservationView):
        obs = obs.frame()
    results = compute_all(obs, units, catalogue, areas)
    save_results(results, out_dir, prov)
    tb = compute_trendbreak(results, catalogue, areas, config)
    tb.save(out_dir)
    with_data = _with_data(results.values)
    entities = results.areas["area"].astype(str).tolist()
    _write_state(
        state_path,
        {
            "version": STATE_VERSION,
            "key": key,
            "units": digests,
            "areas": _area_digests(areas),
            "entities": sorted(entities),
            "with_data": with_data,
            "kinds": {rel: _kinds(df) for rel, df in _tables(results, tb).items()},
            "files": {rel: _file_record(out_dir / rel) for rel in _FILES},
        },
    )
    return ComputeRun("full", f"full recompute: {why}", tuple(entities))


def _incremental(
    state: dict,
    obs: pd.DataFrame | ObservationView,
    units: pd.DataFrame,
    catalogue: Catalogue,
    areas: AreaSet,
    config: TrendBreakConfig,
    out_dir: Path,
    prov: dict,
    state_path: Path,
    key: dict[str, str],
) -> ComputeRun:
    digests = _digests(obs)
    old_units = state["units"]
    changed_units = {
        u for u in digests.keys() | old_units.keys() if digests.get(u) != old_units.get(u)
    }
    area_digests = _area_digests(areas)
    old_areas = state["areas"]
    changed_areas = {
        s for s in area_digests.keys() | old_areas.keys() if area_digests.get(s) != old_areas.get(s)
    }
    members = membership(areas, units)
    tbl = area_table(areas, units)
    entities = set(tbl["area"])
    removed = set(state["entities"]) - entities
    # values: entities with a changed member unit, and changed params areas
    changed = set(members.loc[members["unit_code"].isin(changed_units), "area"]) | (
        changed_areas & entities
    )
    references = set(REFERENCE_UNITS.values())
    if changed & references:
        raise _Full(f"the data of {', '.join(sorted(changed & references))} changed")
    # summary: also the entities whose gemeente changed
    gemeente = {
        a: g for a, g in zip(tbl["area"], tbl["gemeente"], strict=True) if isinstance(g, str)
    }
    summary_of = changed | {e for e, g in gemeente.items() if g in changed}
    # trend-break rows: the region and area approaches whose values or comparison areas changed
    targets = {a.slug: a for a in areas if a.kind in config.area_kinds}
    touched = changed | removed
    trend = {config.region} & changed
    trend |= {s for s, a in targets.items() if s in touched or set(a.comparison_areas) & touched}
    comparisons = {c for s in trend if s in targets for c in targets[s].comparison_areas}
    only = summary_of | trend | comparisons | {config.region, config.national}
    if isinstance(obs, ObservationView):  # only the rows compute_all reads
        needed = members["area"].isin(needed_entities(only, tbl))
        obs = obs.rows(set(members.loc[needed, "unit_code"]))
    results = compute_all(obs, units, catalogue, areas, only=only, members=members)

    with_data = {e: v for e, v in state["with_data"].items() if e not in touched}
    fresh = _with_data(results.values[results.values["area"].isin(changed)])
    with_data.update(fresh)
    in_data = sorted({i for ids in with_data.values() for i in ids})
    if in_data != sorted({i for ids in state["with_data"].values() for i in ids}):
        raise _Full("the indicators with data changed")
    tb = compute_trendbreak(
        results, catalogue, areas, config, only=trend, indicators_with_data=in_data
    )
    new = {
        "values.csv": (results.values[results.values["area"].isin(changed)], changed),
        "summary.csv": (results.summary[results.summary["area"].isin(summary_of)], summary_of),
        # an area no longer of a trend-break kind loses its rows: replace every touched one
        **{f"{SUBFOLDER}/{t}.csv": (tb.table(t), trend | touched) for t in TRENDBREAK_TABLES},
    }
    blocks = {rel: _blocks(df, state["kinds"][rel], rel) for rel, (df, _) in new.items()}
    # Nothing is written before every table's new rows are known to fit.
    indexes = {}
    for rel, (_, recomputed) in new.items():
        header, rows = blocks[rel]
        before = TableIndex.load(out_dir / rel)
        indexes[rel] = splice_blocks(out_dir / rel, header, rows, recomputed | removed, before)
        used, indexes[rel].spliced_from = indexes[rel].spliced_from, None
        if before is not None and used is before:
            # the splice used that version of the table: carry its column types over
            after_splice(out_dir / rel, before, indexes[rel], rows, recomputed | removed)
    write_table(tbl, out_dir / "areas.csv")
    write_meta({**results.meta, "provenance": prov}, out_dir / "meta.json")
    write_meta(tb.meta, out_dir / SUBFOLDER / "meta.json")
    _write_state(
        state_path,
        {
            **state,
            "units": digests,
            "areas": area_digests,
            "entities": sorted(entities),
            "with_data": with_data,
            "files": {rel: _file_record(out_dir / rel, indexes.get(rel)) for rel in _FILES},
        },
    )
    recomputed = tuple(sorted(changed | summary_of | trend))
    if not recomputed and not removed:
        return ComputeRun("incremental", "incremental: no results changed")
    shown = ", ".join(recomputed[:5]) + (", ..." if len(recomputed) > 5 else "")
    gone = f"; removed {', '.join(sorted(removed))}" if removed else ""
    return ComputeRun(
        "incremental",
        f"incremental: recomputed {len(recomputed)} of {len(entities)} entities ({shown}){gone}",
        recomputed,
    )


def _blocks(
    df: pd.DataFrame, kinds: list[list[str]], rel: str
) -> tuple[bytes, dict[str, list[bytes]]]:
    """The header and the records per entity that a full write of ``df``'s rows gives.

    A cell is written the same way in a part of a table as in the whole table
    when its column has the same dtype; a column of another kind (e.g. whole
    numbers as int64 where the full table has float64) means a full recompute.
    """
    got = _kinds(df)
    if [c for c, _ in got] != [c for c, _ in kinds]:
        raise _Full(f"the columns of {rel} changed")
    for (col, kind), (_, before) in zip(got, kinds, strict=True):
        if kind != before and df[col].notna().any():
            raise _Full(f"column {col!r} of {rel} would be written as {kind}, not {before}")
    records = split_records(table_bytes(df))
    return records[0], group_records(records[1:])
