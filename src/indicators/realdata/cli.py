"""``indicators data ...``: fetch, import, verify, build-tables, validate, status.

Registered by the main command line with ``app.add_typer(data_app, name="data")``.

``build-tables`` (:func:`build_tables`) is the one step from snapshots to the
tidy tables that ``indicators build --data-dir`` reads::

    data/raw/<source>/<date>/...           (immutable snapshots + sidecars)
      -> data/processed/<name>/units.csv, observations.csv
                              flags.csv, approximations.csv
                              quality_report.md, quality_missing.csv, quality_issues.csv
                              inputs.yml (exact snapshot files, checksums, mapping version)
                              README.md

It reads only snapshots (offline and reproducible), re-checks every snapshot
checksum first, and is skipped when ``inputs.yml`` shows the same inputs; a new
snapshot of a source makes exactly the processed tables that use that source
stale (:func:`stale_reasons`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
import yaml
from rich.console import Console

from indicators import __version__
from indicators.config import Catalogue, IndicatorOverride, load_catalogue
from indicators.exceptions import IndicatorsError, InputError

data_app = typer.Typer(
    help="Real data: fetch CBS/RIVM tables, import files, build and check the tidy tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

OBS_FLOAT_FORMAT = "%.15g"


class FetchSource(StrEnum):
    cbs_kwb = "cbs-kwb"
    rivm = "rivm"


class ImportSource(StrEnum):
    leefbaarometer = "leefbaarometer"
    cbs_kwb_csv = "cbs-kwb-csv"


class WeightKind(StrEnum):
    population = "population"
    area = "area"


def _fail(exc: Exception) -> None:
    if os.environ.get("INDICATORS_DEBUG"):
        raise exc
    err.print(f"[bold red]Fout:[/bold red] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def parse_years(spec: str | None) -> list[int]:
    """``"2019"``, ``"2013-2016"``, ``"2016,2019-2020"`` -> sorted years.

    >>> parse_years("2016,2019-2021")
    [2016, 2019, 2020, 2021]
    """
    if not spec:
        return []
    years: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        try:
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                if b < a or b - a > 50:
                    raise ValueError
                years.update(range(a, b + 1))
            else:
                years.add(int(part))
        except ValueError:
            raise InputError(f"--years: cannot read {part!r}; use e.g. 2019 or 2013-2025") from None
    bad = [y for y in years if not 1990 <= y <= 2100]
    if bad:
        raise InputError(f"--years out of range 1990-2100: {bad}")
    return sorted(years)


# =========================================================================== fetch
@data_app.command()
def fetch(
    source: Annotated[
        FetchSource, typer.Option(help="Which StatLine source.")
    ] = FetchSource.cbs_kwb,
    years: Annotated[
        str | None, typer.Option(help="Years, e.g. 2019 or 2013-2025 (KWB) / 2020 (RIVM).")
    ] = None,
    region: Annotated[
        str, typer.Option(help="limburg (or another listed province), all, or GM0917,GM0935.")
    ] = "limburg",
    raw_dir: Annotated[Path | None, typer.Option(help="Snapshot root (default data/raw).")] = None,
    snapshot_date: Annotated[
        str | None, typer.Option("--date", help="Snapshot folder date (default today).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OData service root (default from the mapping file).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 60.0,
    retries: Annotated[int, typer.Option(help="Retries on 429/5xx/timeouts.")] = 5,
    check: Annotated[
        bool, typer.Option("--check", help="Only compare the mapping with the live columns.")
    ] = False,
    mapping: Annotated[Path | None, typer.Option(help="Mapping file.")] = None,
) -> None:
    """Download CBS StatLine tables into immutable snapshots (data/raw/<source>/<date>/)."""
    from indicators.realdata import cbs
    from indicators.realdata import raw_dir as default_raw
    from indicators.realdata.geography import load_correspondence
    from indicators.realdata.mapping import load_mapping
    from indicators.realdata.odata import ODataClient

    try:
        mp = load_mapping(mapping, load_catalogue())
        reqs = cbs.table_requests(mp, source.value, parse_years(years))
        provinces = cbs.load_provinces()
        reg = cbs.resolve_region(region, provinces)
        corr = load_correspondence()
        default_url = mp.sources[source.value].base_url or cbs.SOURCES[source.value]
        clients: dict[tuple[str, bool], ODataClient] = {}
        day = snapshot_date or date.today().isoformat()
        problems: list[str] = []
        for req in reqs:
            # a v4 table may live at its own service root; --base-url overrides all
            url = base_url or req.mapping.base_url or default_url
            v3 = req.mapping.format == "odata"
            if (url, v3) not in clients:  # v4 needs no $format=json (JSON is the default)
                clients[url, v3] = ODataClient(
                    url, timeout=timeout, max_retries=retries, json_format_param=v3
                )
            client = clients[url, v3]
            gms = region_codes_for_year(
                reg, req.mapping.geography_year, corr, provinces.geography_year
            )
            res = cbs.fetch_table(
                client, req, reg, raw_dir or default_raw(), day, gemeenten=gms, check_only=check
            )
            if check:
                problems += res  # type: ignore[arg-type]
                out.print(f"{req.table_id}: {'OK' if not res else f'{len(res)} problem(s)'}")
            else:
                n = len(res)
                out.print(f"{req.table_id} ({req.mapping.title}): {n} file(s) in snapshot {day}")
        for p in problems:
            err.print(p, highlight=False)
        if problems:
            raise typer.Exit(1)
    except IndicatorsError as exc:
        _fail(exc)


def region_codes_for_year(region, year: int | None, corr, list_year: int) -> list[str] | None:
    """The region's municipalities as coded in ``year``: predecessors before a merger,
    successors after one (from the correspondence table)."""
    if region.gemeenten is None:
        return None
    codes = set(region.gemeenten)
    if year is None:
        return sorted(codes)
    if year < list_year:
        codes |= set(corr.predecessors(list(region.gemeenten), year, list_year))
    elif year > list_year:
        tr = corr.translation(list_year, year)
        for old in list(codes):
            for tgt, _ in tr.get(old, []):
                codes.add(tgt)
    gm = sorted(c for c in codes if c.startswith("GM"))
    return gm


# =========================================================================== import
@data_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="The file to import (CSV).")],
    source: Annotated[ImportSource, typer.Option(help="What the file is.")],
    table: Annotated[
        str | None, typer.Option(help="Mapping table id (default: detected from the columns).")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Where the file was downloaded from (provenance).")
    ] = None,
    licence: Annotated[str | None, typer.Option(help="Licence (default from the mapping).")] = None,
    geography_year: Annotated[
        int | None, typer.Option(help="Geography (code) year of the file, if not in the mapping.")
    ] = None,
    raw_dir: Annotated[Path | None, typer.Option(help="Snapshot root (default data/raw).")] = None,
    snapshot_date: Annotated[
        str | None, typer.Option("--date", help="Snapshot folder date (default today).")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="Mapping file.")] = None,
) -> None:
    """Check a downloaded file and store it as an immutable snapshot with a sidecar."""
    from indicators.realdata import raw_dir as default_raw

    try:
        stored = import_file(
            file,
            source.value,
            table_id=table,
            url=url,
            licence=licence,
            geography_year=geography_year,
            raw_root=raw_dir or default_raw(),
            day=snapshot_date,
            mapping_path=mapping,
        )
    except IndicatorsError as exc:
        _fail(exc)
        return
    out.print(f"Opgeslagen: {stored.path} (sha256 {stored.meta.sha256[:12]}…)")


def import_file(
    file: Path,
    source: str,
    *,
    table_id: str | None = None,
    url: str | None = None,
    licence: str | None = None,
    citation: str | None = None,
    geography_year: int | None = None,
    raw_root: Path,
    day: str | None = None,
    mapping_path: Path | None = None,
):
    """Parse ``file`` with its mapping (errors name file, line, column), then snapshot it."""
    from indicators.realdata.cbs import read_csv_table
    from indicators.realdata.leefbaarometer import read_leefbaarometer
    from indicators.realdata.mapping import apply_mapping, load_mapping
    from indicators.realdata.snapshot import PendingFile, write_snapshot

    file = Path(file)
    if not file.is_file():
        raise InputError("file not found", path=str(file))
    mp = load_mapping(mapping_path, load_catalogue())
    candidates = mp.tables_for(source)
    if table_id is None:
        header = file.read_text(encoding="utf-8-sig", errors="replace").splitlines()[:1]
        cols = {
            c.strip().lower() for c in (header[0].replace(";", ",").split(",") if header else [])
        }
        fits = [
            tid
            for tid, t in candidates.items()
            if t.format == "csv"
            and (source == "leefbaarometer" or {c.lower() for c in t.columns()} <= cols)
        ]
        if len(fits) != 1:
            raise InputError(
                f"cannot tell which mapping table fits this file (candidates {sorted(candidates)}, "
                f"matching {fits}); pass --table",
                path=str(file),
                row=1,
            )
        table_id = fits[0]
    tmap = mp.table(table_id)
    if tmap.source != source:
        raise InputError(f"table {table_id} belongs to source {tmap.source}, not {source}")
    if source == "leefbaarometer":
        df = read_leefbaarometer(file)
        if geography_year is None and tmap.geography_year is None:
            geography_year = int(df["period"].max())
    else:
        df = read_csv_table(file, tmap)
    long = apply_mapping(
        df, table_id, tmap, geography_year=geography_year, source_path=str(file)
    )  # fails early with file/line/column
    if long.empty:
        raise InputError("no rows with CBS area codes in the file", path=str(file))
    info = mp.sources[source]
    extra = {"part": "csv", "original_name": file.name, "rows": int(len(df))}
    if geography_year or tmap.geography_year:
        extra["geography_year"] = int(geography_year or tmap.geography_year)  # type: ignore[arg-type]
    pending = PendingFile(
        name=_safe_name(file.name),
        content=file.read_bytes(),
        url=url or f"local file {file.name} (origin not recorded: pass --url)",
        licence=licence or info.licence,
        citation=citation or mp.citation(table_id),
        accessed=datetime.now(UTC),
        table_id=table_id,
        title=tmap.title,
        media_type="text/csv",
        extra=extra,
    )
    (stored,) = write_snapshot(raw_root, source, day or date.today().isoformat(), [pending])
    return stored


def _safe_name(name: str) -> str:
    import re

    s = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file.csv"
    return s


# =========================================================================== verify
@data_app.command()
def verify(
    raw_dir: Annotated[Path | None, typer.Option(help="Snapshot root (default data/raw).")] = None,
) -> None:
    """Re-check the sha256 of every snapshot file against its sidecar."""
    from indicators.realdata import raw_dir as default_raw
    from indicators.realdata.snapshot import verify as verify_snapshots

    root = raw_dir or default_raw()
    try:
        res = verify_snapshots(root, raise_on_error=False)
    except IndicatorsError as exc:
        _fail(exc)
        return
    for p in res.problems:
        err.print(f"[red]✗[/red] {p}", highlight=False, soft_wrap=True)
    out.print(
        f"{len(res.checked)} bestand(en) gecontroleerd, {len(res.problems)} probleem/problemen."
    )
    if res.problems:
        raise typer.Exit(1)


# =========================================================================== build-tables
@dataclass
class BuildResult:
    """What :func:`build_tables` produced."""

    out_dir: Path
    skipped: bool
    digest: str
    n_units: int = 0
    n_observations: int = 0
    n_approximated: int = 0
    files: dict[str, Path] = field(default_factory=dict)


def _file_digest(path: Path | None) -> str | None:
    from indicators.realdata.snapshot import sha256_file

    return sha256_file(path) if path and Path(path).exists() else None


def select_snapshots(
    raw_root: Path,
    mapping,
    region_slug: str,
    pins: dict[str, str] | None = None,
    sources: list[str] | None = None,
):
    """Pick, per (source, table), the latest snapshot date (or the pinned one) and region.

    Returns a dict ``(source, table_id) -> list[SnapshotFile]``. Region choice:
    the requested region, else ``all`` (filtered later), else the only one.
    ``sources`` restricts the selection (default: every source with snapshots).
    """
    from indicators.realdata.snapshot import iter_files

    files = [
        f
        for f in iter_files(raw_root)
        if f.meta.table_id in mapping.tables and (not sources or f.meta.source in sources)
    ]
    groups: dict[tuple[str, str], dict[tuple[str, str], list]] = {}
    for f in files:
        extra = f.meta.model_dump()
        key = (f.meta.source, str(f.meta.table_id))
        sub = (f.date, str(extra.get("region", "")))
        groups.setdefault(key, {}).setdefault(sub, []).append(f)
    pins = pins or {}
    chosen = {}
    for key, subs in sorted(groups.items()):
        source = key[0]
        dates = sorted({d for d, _ in subs})
        if source in pins:
            if pins[source] not in dates:
                continue
            dates = [pins[source]]
        day = dates[-1]
        regions = {r: fs for (d, r), fs in subs.items() if d == day}
        if region_slug in regions:
            pick = regions[region_slug]
        elif "all" in regions:
            pick = regions["all"]
        elif "" in regions:
            pick = regions[""]
        elif len(regions) == 1:
            pick = next(iter(regions.values()))
        else:
            raise InputError(
                f"snapshot {source}/{day} has {key[1]} for regions {sorted(regions)} but not "
                f"for '{region_slug}' or 'all'; fetch it for the region or pass --region"
            )
        chosen[key] = sorted(pick, key=lambda f: f.path.name)
    for source, day in pins.items():
        if not any(k[0] == source for k in chosen):
            raise InputError(f"--snapshot {source}={day}: no such snapshot under {raw_root}")
    return chosen


def _rel(path: Path | None) -> str | None:
    """A path relative to the project root when inside it (keeps digests machine-independent)."""
    from indicators.config import project_root

    if path is None:
        return None
    p = Path(path).resolve()
    try:
        return str(p.relative_to(project_root().resolve()))
    except ValueError:
        return str(p)


def _abs(path: str) -> Path:
    from indicators.config import project_root

    p = Path(path)
    return p if p.is_absolute() else project_root() / p


def _inputs_manifest(
    chosen, raw_root: Path, *, arguments: dict, mapping_path: Path, corr_path: Path,
    weights_path: Path | None, catalogue_path: Path, provinces_path: Path | None = None,
) -> dict:  # fmt: skip
    files = []
    for (source, tid), fs in sorted(chosen.items()):
        for f in fs:
            files.append(
                {
                    "source": source,
                    "table_id": tid,
                    "date": f.date,
                    "file": str(f.path.relative_to(raw_root)),
                    "sha256": f.meta.sha256,
                }
            )
    inputs = {
        "snapshots": files,
        "mapping": {"path": _rel(mapping_path), "sha256": _file_digest(mapping_path)},
        "correspondence": {"path": _rel(corr_path), "sha256": _file_digest(corr_path)},
        "weights": {"path": _rel(weights_path), "sha256": _file_digest(weights_path)}
        if weights_path
        else None,
        "catalogue": {"path": _rel(catalogue_path), "sha256": _file_digest(catalogue_path)},
        # province lists and municipality counts decide the PV and NL01 rows
        "provinces": {"path": _rel(provinces_path), "sha256": _file_digest(provinces_path)}
        if provinces_path
        else None,
        "arguments": arguments,
        "package_version": __version__,
    }
    canon = json.dumps(inputs, sort_keys=True, default=str).encode()
    return {"digest": hashlib.sha256(canon).hexdigest(), **inputs}


def build_tables(
    name: str,
    *,
    raw_root: Path,
    out_root: Path,
    region: str = "limburg",
    reference_year: int | None = None,
    mapping_path: Path | None = None,
    correspondence_path: Path | None = None,
    weights_path: Path | None = None,
    weight_kind: str = "population",
    pins: dict[str, str] | None = None,
    sources: list[str] | None = None,
    force: bool = False,
    catalogue_path: Path | None = None,
    derive_nederland: bool = True,
) -> BuildResult:
    """Snapshots -> harmonised ``units.csv`` + ``observations.csv`` in ``out_root/name``.

    Parameters
    ----------
    name : str
        Folder name under ``out_root`` (e.g. ``limburg``).
    raw_root : Path
        The snapshot root (``data/raw``).
    region : str
        ``limburg``, ``all`` or GM codes (see :func:`~indicators.realdata.cbs.resolve_region`).
        With a province, a ``PV..`` unit is added whose rows are sums (or
        weighted means) of all its municipalities (missing if one is missing);
        so is any other province with a municipality list whose municipalities
        are all in the data (computed before the region filter).
    reference_year : int, optional
        Geography to harmonise to (default: the newest geography in the data).
    weights_path, weight_kind
        Weights table and kind for apportioning splits.
    pins : dict, optional
        ``{source: date}`` to use an older snapshot of a source.
    sources : list of str, optional
        Only these sources (e.g. ``["cbs-kwb", "leefbaarometer"]``); default all.
    force : bool
        Rebuild even if ``inputs.yml`` shows identical inputs.
    derive_nederland : bool
        When a table covers every municipality of the country and has no row
        for Nederland, add ``NL01`` as the sum over all municipalities for
        count-based indicators (:func:`indicators.realdata.totals.national_rows`),
        before the region filter. The README says what was derived and why not.

    Returns
    -------
    BuildResult
    """
    from indicators.config import project_root
    from indicators.realdata import cbs
    from indicators.realdata.geography import harmonise, load_correspondence, load_weights
    from indicators.realdata.mapping import catalogue_overrides, default_mapping_path, load_mapping
    from indicators.realdata.snapshot import verify as verify_file
    from indicators.realdata.totals import (
        benchmark_notes,
        national_rows,
        province_derivations,
    )

    if not name or "/" in name or name.startswith("."):
        raise InputError(f"invalid output name {name!r}")
    raw_root, out_root = Path(raw_root), Path(out_root)
    catalogue_path = catalogue_path or project_root() / "data" / "catalogue" / "indicators.yml"
    catalogue = load_catalogue(catalogue_path)
    mapping_path = Path(mapping_path) if mapping_path else default_mapping_path()
    from indicators.realdata import mappings_dir

    corr_path = (
        Path(correspondence_path)
        if correspondence_path
        else mappings_dir() / "geo_correspondence.csv"
    )
    mp = load_mapping(mapping_path, catalogue)
    corr = load_correspondence(corr_path)
    weights = load_weights(weights_path) if weights_path else None
    provinces = cbs.load_provinces()
    reg = cbs.resolve_region(region, provinces)
    chosen = select_snapshots(raw_root, mp, reg.slug, pins, sources)
    if not chosen:
        raise InputError(
            f"no snapshots under {raw_root} match the mapping; run `indicators data fetch` "
            "or `indicators data import` first"
        )
    for fs in chosen.values():
        for f in fs:
            verify_file(f.path)  # checksum first: never build from a changed raw file
    arguments = {
        "name": name,
        "region": reg.slug,
        "reference_year": reference_year,
        "weight_kind": weight_kind,
        "pins": dict(sorted((pins or {}).items())),
        "sources": sorted(sources) if sources else None,
        "derive_nederland": derive_nederland,
    }
    manifest = _inputs_manifest(
        chosen, raw_root, arguments=arguments, mapping_path=mapping_path, corr_path=corr_path,
        weights_path=weights_path, catalogue_path=catalogue_path,
        provinces_path=mappings_dir() / "provinces.yml",
    )  # fmt: skip
    out_dir = out_root / name
    old = out_dir / "inputs.yml"
    if not force and old.exists():
        try:
            prev = yaml.safe_load(old.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            prev = {}
        if prev.get("digest") == manifest["digest"] and (out_dir / "observations.csv").exists():
            return BuildResult(out_dir=out_dir, skipped=True, digest=manifest["digest"])

    obs, names, approx_extra = _load_and_map(chosen, mp)
    # Nederland from all municipalities: before harmonisation (a national total does not
    # depend on the geography) and before the region filter
    if derive_nederland:
        nl_rows, derivations = national_rows(obs, catalogue, provinces.municipality_counts)
    else:
        nl_rows, derivations = obs.iloc[0:0], []
    geo_years = sorted(set(obs["geo_year"]))
    ref = reference_year or max(geo_years)
    harm = harmonise(obs, corr, ref, catalogue, weights=weights, weight_kind=weight_kind)  # type: ignore[arg-type]
    obs = harm.observations
    approximations = pd.concat(
        [a for a in [harm.approximations, approx_extra] if not a.empty] or [harm.approximations],
        ignore_index=True,
    )
    # only the reference geography's codes remain
    ref_codes = set(names.get(ref, {}))
    if ref_codes:
        stray = ~obs["unit_code"].isin(ref_codes) & obs["unit_code"].str[:2].isin(
            ["GM", "WK", "BU"]
        )
        if stray.any():
            dropped = obs[stray]
            approximations = pd.concat(
                [approximations, _dropped_rows(dropped, ref)], ignore_index=True
            )
            obs = obs[~stray]
    obs = _sanitise(obs, catalogue)
    # Provinces from their municipalities, before the region filter: the selected
    # province always (incomplete rows flagged), any other listed province only where
    # all its municipalities are present. Published province figures win.
    prov_parts = []
    for code, info in provinces.provinces.items():
        if not info.gemeenten:
            continue
        own = code == reg.province
        p_reg = reg if own else cbs.Region(info.name.lower(), tuple(sorted(info.gemeenten)), code)
        rows = _province_rows(obs, p_reg, catalogue)
        if not own:
            rows = rows[~rows["flags"].str.contains("incomplete")]
        prov_parts.append(rows)
    gms = reg.gemeenten
    if gms is not None:  # keeps NL01 and the listed provinces' own (published) rows
        pv_codes = [c for c, i in provinces.provinces.items() if i.gemeenten]
        keep = cbs.keep_region(obs["unit_code"], gms) | obs["unit_code"].isin(pv_codes)
        obs = obs[keep.to_numpy()]
    have = set(zip(obs["unit_code"], obs["indicator_id"], obs["period"], strict=True))
    for prov in prov_parts:
        keys = list(zip(prov["unit_code"], prov["indicator_id"], prov["period"], strict=True))
        n_gm = {c: len(i.gemeenten) for c, i in provinces.provinces.items()}
        derivations += province_derivations(prov, [k for k in keys if k in have], n_gm)
        obs = pd.concat([obs, prov[[k not in have for k in keys]]], ignore_index=True)
    if len(nl_rows):
        obs = pd.concat([obs, nl_rows.assign(geo_year=ref)], ignore_index=True)
    units = _units(obs, names, ref, provinces, reg)
    obs = obs.sort_values(["indicator_id", "unit_code", "period"], kind="stable").reset_index(
        drop=True
    )
    overrides = catalogue_overrides(
        mp, sorted({tid for _, tid in chosen}), set(obs["indicator_id"])
    )
    unit_names = {
        "NL01": "Nederland",
        **{c: p.name for c, p in provinces.provinces.items()},
        **dict(zip(units["unit_code"], units["name"], strict=True)),
    }
    for ind, note in benchmark_notes(derivations, unit_names).items():
        prev = overrides.get(ind)
        overrides[ind] = (
            prev.model_copy(update={"benchmark_note_nl": note})
            if prev
            else IndicatorOverride(benchmark_note_nl=note)
        )
    files = _write_outputs(
        out_root, name, units, obs, approximations, manifest, catalogue, chosen, mp, ref, reg,
        overrides, (derivations, unit_names, derive_nederland),
    )  # fmt: skip
    return BuildResult(
        out_dir=out_dir,
        skipped=False,
        digest=manifest["digest"],
        n_units=len(units),
        n_observations=len(obs),
        n_approximated=int(approximations["approximate"].astype(bool).sum())
        if len(approximations)
        else 0,
        files=files,
    )


def _load_and_map(chosen, mp):
    from indicators.realdata import cbs
    from indicators.realdata.geography import APPROX_COLUMNS
    from indicators.realdata.leefbaarometer import FLAG_TOTAL_FROM_DIMENSIONS, read_leefbaarometer
    from indicators.realdata.mapping import add_flag, apply_mapping, resolve_weights

    parts = []
    names: dict[int, dict[str, str]] = {}
    for (source, tid), fs in chosen.items():
        tmap = mp.table(tid)
        meta = fs[0].meta.model_dump()
        geo_year = tmap.geography_year or meta.get("geography_year")
        if tmap.is_odata:
            t = cbs.read_table(fs, tmap)
            df, path = t.data, str(fs[0].path.parent)
            names.setdefault(int(geo_year), {}).update(t.names)
        else:
            if len(fs) != 1:
                raise InputError(f"expected one CSV file for {tid}, found {len(fs)}")
            path = str(fs[0].path)
            if source == "leefbaarometer":
                df = read_leefbaarometer(fs[0].path)
            else:
                df = cbs.read_csv_table(fs[0].path, tmap)
            if tmap.name_column:
                codes = df[tmap.code_column].map(lambda c: str(c).strip().upper())
                nm = dict(zip(codes, df[tmap.name_column].str.strip(), strict=True))
                names.setdefault(int(geo_year), {}).update(nm)  # type: ignore[arg-type]
        long = apply_mapping(df, tid, tmap, geography_year=geo_year, source_path=path)
        if "_flags" in df.columns:
            marked = df.loc[df["_flags"] == FLAG_TOTAL_FROM_DIMENSIONS, ["unit_code", "period"]]
            keys = set(zip(marked["unit_code"], marked["period"], strict=True))
            hit = long["indicator_id"].eq("leefbaarometer_totaal") & pd.Series(
                [(u, p) in keys for u, p in zip(long["unit_code"], long["period"], strict=True)],
                index=long.index,
            )
            long["flags"] = add_flag(long["flags"], FLAG_TOTAL_FROM_DIMENSIONS, hit)
        parts.append(long)
    obs = pd.concat(parts, ignore_index=True)
    dup = obs.duplicated(["unit_code", "indicator_id", "period"], keep=False)
    if dup.any():
        r = obs[dup].iloc[0]
        raise InputError(
            f"{r.unit_code} {r.indicator_id} {r.period} comes from more than one table "
            f"({sorted(set(obs.loc[dup, 'table_id']))}); map each indicator-year from one table"
        )
    obs = resolve_weights(obs)
    return obs, names, pd.DataFrame(columns=APPROX_COLUMNS)


def _dropped_rows(dropped: pd.DataFrame, ref: int) -> pd.DataFrame:
    from indicators.realdata.geography import APPROX_COLUMNS

    rows = [
        {
            "unit_code": r.unit_code,
            "indicator_id": r.indicator_id,
            "period": int(r.period),
            "geo_year": int(r.geo_year),
            "reference_year": int(ref),
            "from_codes": r.unit_code,
            "method": "dropped_not_in_reference",
            "approximate": True,
            "note": "code not in the reference geography and not in the correspondence table",
        }
        for r in dropped.itertuples()
    ]
    return pd.DataFrame(rows, columns=APPROX_COLUMNS)


def _sanitise(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Keep cells the tidy-table rules accept; inconsistent cells become missing (flagged)."""
    from indicators.realdata.mapping import add_flag

    obs = obs.copy()
    cat = catalogue.frame().set_index("id")
    is_sum = obs["indicator_id"].map(cat["aggregation"]).eq("sum")
    prop = obs["indicator_id"].map(cat["value_type"]).eq("proportion")
    no_den = (
        is_sum & obs["numerator"].notna() & (obs["denominator"].isna() | (obs["denominator"] == 0))
    )
    obs.loc[no_den, "numerator"] = np.nan
    obs["flags"] = add_flag(obs["flags"], "no_denominator", no_den.to_numpy())
    # rounding to 5 can make a count exceed its total in tiny units
    over = prop & (obs["numerator"] > obs["denominator"] + 1e-9)
    obs.loc[over, "numerator"] = np.nan
    obs["flags"] = add_flag(obs["flags"], "inconsistent_after_rounding", over.to_numpy())
    obs.loc[~is_sum, "numerator"] = np.nan
    neg = (obs["numerator"] < 0) | (obs["denominator"] < 0) | (obs["se"] < 0)
    if neg.any():
        r = obs[neg].iloc[0]
        raise InputError(f"negative count for {r.unit_code} {r.indicator_id} {r.period}")
    return obs


def _province_rows(obs: pd.DataFrame, reg, catalogue: Catalogue) -> pd.DataFrame:
    """PV rows as sums / weighted means over *all* municipalities (missing if one is missing)."""
    from indicators.realdata.mapping import LONG_COLUMNS

    cat = catalogue.frame().set_index("id")
    gm = obs[obs["unit_code"].isin(reg.gemeenten)]
    rows = []
    n_all = len(reg.gemeenten)
    for (ind, period), g in gm.groupby(["indicator_id", "period"]):
        complete = g["unit_code"].nunique() == n_all
        den_ok = complete and bool(g["denominator"].notna().all())
        den = float(g["denominator"].sum()) if den_ok else np.nan
        num = val = se = np.nan
        if cat.at[ind, "aggregation"] == "sum":
            if den_ok and g["numerator"].notna().all():
                num = float(g["numerator"].sum())
        elif den_ok and g["value"].notna().all() and den > 0:
            w = g["denominator"]
            val = float((g["value"] * w).sum() / den)
            if g["se"].notna().all():
                se = float(np.sqrt(((w * g["se"]) ** 2).sum()) / den)
        flags = "aggregated_from_gemeenten" + ("" if complete else ";incomplete")
        rows.append(
            {
                "unit_code": reg.province,
                "indicator_id": ind,
                "period": int(period),
                "numerator": num,
                "denominator": den,
                "value": val,
                "se": se,
                "geo_year": int(g["geo_year"].iloc[0]),
                "table_id": ";".join(sorted(set(g["table_id"]))),
                "flags": flags,
                "weight_from": "",
            }
        )
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


def _units(
    obs: pd.DataFrame, names: dict[int, dict[str, str]], ref: int, provinces, reg
) -> pd.DataFrame:
    """``units.csv`` for every code in the observations (names from the reference year first)."""
    gm_info = {c: g for p in provinces.provinces.values() for c, g in p.gemeenten.items()}
    pv_name = {c: p.name for c, p in provinces.provinces.items()}
    lookup: dict[str, str] = {}
    for y in sorted(names):  # newer years overwrite; the reference year last of all
        if y != ref:
            lookup.update(names[y])
    lookup.update(names.get(ref, {}))
    rows = []
    for code in sorted(set(obs["unit_code"])):
        prefix = code[:2]
        level = {"NL": "land", "PV": "provincie", "GM": "gemeente", "WK": "wijk", "BU": "buurt"}[
            prefix
        ]
        gm = f"GM{code[2:6]}" if prefix in ("GM", "WK", "BU") else None
        wk = f"WK{code[2:8]}" if prefix == "BU" else None
        name = lookup.get(code) or (
            "Nederland"
            if prefix == "NL"
            else pv_name.get(code) or (gm_info[code].name if code in gm_info else None) or code
        )
        region = gm_info[gm].region if gm and gm in gm_info else None
        rows.append(
            {
                "unit_code": code,
                "level": level,
                "name": name,
                "gemeente_code": gm,
                "wijk_code": wk,
                "region": region,
            }
        )
    order = {"land": 0, "provincie": 1, "gemeente": 2, "wijk": 3, "buurt": 4}
    units = pd.DataFrame(rows)
    return units.sort_values(
        ["level", "unit_code"], key=lambda s: s.map(order) if s.name == "level" else s
    ).reset_index(drop=True)


def _write_outputs(
    out_root, name, units, obs, approximations, manifest, catalogue, chosen, mp, ref, reg,
    overrides, reference=None,
) -> dict[str, Path]:  # fmt: skip
    from indicators.config import (
        CATALOGUE_OVERRIDES,
        CatalogueOverrides,
        apply_catalogue_overrides,
    )
    from indicators.realdata.quality import (
        APPROXIMATIONS_SCHEMA,
        FLAGS_SCHEMA,
        quality_report,
        validate_frame,
        write_report,
    )
    from indicators.sources import OBS_COLUMNS, load_observations, load_units

    out_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out_root))
    try:
        units.to_csv(tmp / "units.csv", index=False, lineterminator="\n")
        obs[OBS_COLUMNS].to_csv(
            tmp / "observations.csv",
            index=False,
            lineterminator="\n",
            float_format=OBS_FLOAT_FORMAT,
        )
        flags = obs.loc[obs["flags"] != "", ["unit_code", "indicator_id", "period", "flags"]]
        flags = flags.astype({"period": "int64"}).reset_index(drop=True)
        validate_frame(flags, FLAGS_SCHEMA, tmp / "flags.csv")
        flags.to_csv(tmp / "flags.csv", index=False, lineterminator="\n")
        appr = approximations.astype({"approximate": bool, "period": "int64"}).reset_index(
            drop=True
        )
        appr["note"] = appr["note"].fillna("")
        validate_frame(appr, APPROXIMATIONS_SCHEMA, tmp / "approximations.csv")
        appr.to_csv(tmp / "approximations.csv", index=False, lineterminator="\n")
        ov = CatalogueOverrides(
            description="Geschreven door `indicators data build-tables`: catalogusinstellingen "
            "die voor deze gegevens anders zijn dan in data/catalogue/indicators.yml "
            "(modelschattingen hebben geen steekproefinterval; benchmark_note_nl zegt hoe "
            "cijfers voor Nederland of de provincie uit de gemeenten zijn berekend).",
            indicators=overrides,
        )
        (tmp / CATALOGUE_OVERRIDES).write_text(
            yaml.safe_dump(
                ov.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False
            ),
            encoding="utf-8",
        )
        catalogue = apply_catalogue_overrides(catalogue, ov, path=tmp / CATALOGUE_OVERRIDES)
        # the files must load exactly as `indicators build --data-dir` loads them
        u = load_units(tmp / "units.csv")
        o = load_observations(tmp / "observations.csv", catalogue=catalogue, units=u)
        report = quality_report(o, catalogue)
        write_report(report, tmp, title=f"Datakwaliteit {name}", approximations=appr, flags=flags)
        (tmp / "inputs.yml").write_text(
            yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        (tmp / "README.md").write_text(
            _readme(name, units, obs, appr, chosen, mp, ref, reg, report, overrides, reference),
            encoding="utf-8",
        )
        final = out_root / name
        if final.exists():
            old = out_root / f".{name}.old"
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {p.name: p for p in sorted(final.iterdir())}


def _readme(
    name, units, obs, appr, chosen, mp, ref, reg, report, overrides=None, reference=None
) -> str:
    lines = [
        f"# Echte gegevens: {name}",
        "",
        "Gebouwd met `indicators data build-tables` uit snapshots in `data/raw/` "
        "(zie `inputs.yml` voor bestanden en sha256). Niet met de hand bewerken; opnieuw "
        "bouwen geeft dezelfde bestanden.",
        "",
        f"- Regio: {reg.label or reg.slug}; referentie-indeling (geografie): {ref}.",
        f"- Eenheden: {len(units)}; waarnemingen: {len(obs)}; indicatoren: "
        f"{obs['indicator_id'].nunique()}.",
        f"- Omgezette eenheid-jaren: {len(appr)}, waarvan benaderd: "
        f"{int(appr['approximate'].sum()) if len(appr) else 0} (`approximations.csv`).",
        f"- Kwaliteit: {report.count('missing_year')} ontbrekende jaren, "
        f"{report.count('outlier')} uitschieters, {report.count('level_break')} breuken "
        "(`quality_report.md`).",
        "",
        "## Bronnen",
        "",
    ]
    for (_source, tid), fs in sorted(chosen.items()):
        m = fs[0].meta
        lines.append(f"- {mp.citation(tid)} Geraadpleegd {m.accessed}; licentie {m.licence}.")
        t = mp.table(tid)
        if t.model_estimate:
            lines.append("  Modelschattingen (RIVM/GGD, SMAP), geen metingen.")
        if t.verified != "checked-against-data":
            lines.append(f"  Kolomkoppeling: {t.verified} (zie data/mappings/cbs_kwb.yml).")
    no_ci = sorted(i for i, o in (overrides or {}).items() if o.ci_method is not None)
    if no_ci:
        lines += [
            "",
            "Zonder steekproefinterval (modelschattingen; `catalogue_overrides.yml`, lees met "
            "`indicators.config.load_catalogue(overrides=<deze map>)`): "
            + ", ".join(f"`{i}`" for i in no_ci)
            + ".",
        ]
    lines += [
        "",
        "Ontbrekende of geheime waarden (CBS `.`) zijn leeg gelaten, nooit 0. "
        "Markeringen per cel staan in `flags.csv`.",
        "",
    ]
    if reference is not None:
        from indicators.realdata.totals import readme_section

        derivations, unit_names, enabled = reference
        lines += [readme_section(derivations, unit_names, enabled)]
    return "\n".join(lines)


def stale_reasons(processed: Path, raw_root: Path) -> list[str]:
    """Why ``processed`` (a build-tables output) is out of date, or ``[]`` if it is current.

    Compares the recorded inputs with what :func:`build_tables` would pick now
    (newest snapshots, mapping and correspondence checksums), without parsing.
    """
    from indicators.realdata.mapping import load_mapping

    path = Path(processed) / "inputs.yml"
    if not path.exists():
        return [f"{path} missing (not built by build-tables)"]
    prev = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    args = prev.get("arguments", {})
    reasons = []
    mapping_path = _abs(prev["mapping"]["path"])
    if _file_digest(mapping_path) != prev["mapping"]["sha256"]:
        reasons.append(f"mapping changed: {mapping_path}")
    corr = prev.get("correspondence") or {}
    if corr and _file_digest(_abs(corr["path"])) != corr.get("sha256"):
        reasons.append(f"correspondence changed: {corr['path']}")
    from indicators.realdata import mappings_dir

    prov = prev.get("provinces") or {}
    if not prov:
        reasons.append("built before provinces.yml was recorded (NL01/PV rows may be missing)")
    elif _file_digest(mappings_dir() / "provinces.yml") != prov.get("sha256"):
        reasons.append(f"provinces changed: {prov['path']}")
    mp = load_mapping(mapping_path)
    chosen = select_snapshots(
        raw_root, mp, args.get("region", ""), args.get("pins") or {}, args.get("sources")
    )
    now = {(s, t, f.date, f.path.name, f.meta.sha256) for (s, t), fs in chosen.items() for f in fs}
    before = {
        (x["source"], x["table_id"], x["date"], Path(x["file"]).name, x["sha256"])
        for x in prev.get("snapshots", [])
    }
    for s, t, d, _, _ in sorted(now - before):
        reasons.append(f"new snapshot {s}/{d} ({t})")
    gone = {(s, t, d) for s, t, d, _, _ in before - now} - {(s, t, d) for s, t, d, _, _ in now}
    for s, t, d in sorted(gone):
        reasons.append(f"snapshot {s}/{d} ({t}) no longer selected or missing")
    return list(dict.fromkeys(reasons))


@data_app.command("build-tables")
def build_tables_cmd(
    name: Annotated[str, typer.Option(help="Output folder name under --out-dir.")] = "limburg",
    region: Annotated[str, typer.Option(help="limburg, all, or GM codes.")] = "limburg",
    reference_year: Annotated[
        int | None, typer.Option(help="Geography to harmonise to (default: newest).")
    ] = None,
    raw_dir: Annotated[Path | None, typer.Option(help="Snapshot root (default data/raw).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option(help="Output root (default data/processed).")
    ] = None,
    weights: Annotated[
        Path | None, typer.Option(help="Weights CSV (unit_code,kind,weight) for splits.")
    ] = None,
    weight_kind: Annotated[
        WeightKind, typer.Option(help="Apportion splits by.")
    ] = WeightKind.population,
    snapshot: Annotated[
        list[str] | None,
        typer.Option(help="Use an older snapshot: SOURCE=YYYY-MM-DD (repeatable)."),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(help="Only these sources, e.g. cbs-kwb (repeatable; default all)."),
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="Mapping file.")] = None,
    correspondence: Annotated[Path | None, typer.Option(help="Correspondence CSV.")] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if the inputs are unchanged.")] = False,
    derive_nederland: Annotated[
        bool,
        typer.Option(
            help="Without a row for Nederland: sum count-based indicators over all "
            "municipalities when a table has every municipality of the country."
        ),
    ] = True,
) -> None:
    """Build harmonised units.csv + observations.csv (for `indicators build --data-dir`)."""
    from indicators.realdata import processed_dir
    from indicators.realdata import raw_dir as default_raw

    try:
        pins = {}
        for s in snapshot or []:
            if "=" not in s:
                raise InputError(f"--snapshot {s!r}: use SOURCE=YYYY-MM-DD")
            k, v = s.split("=", 1)
            pins[k.strip()] = v.strip()
        res = build_tables(
            name,
            raw_root=raw_dir or default_raw(),
            out_root=out_dir or processed_dir(),
            region=region,
            reference_year=reference_year,
            mapping_path=mapping,
            correspondence_path=correspondence,
            weights_path=weights,
            weight_kind=weight_kind.value,
            pins=pins,
            sources=source,
            force=force,
            derive_nederland=derive_nederland,
        )
    except IndicatorsError as exc:
        _fail(exc)
        return
    if res.skipped:
        out.print(
            f"Ongewijzigde invoer: {res.out_dir} is actueel (gebruik --force om te herbouwen)."
        )
    else:
        out.print(
            f"{res.out_dir}: {res.n_units} eenheden, {res.n_observations} waarnemingen, "
            f"{res.n_approximated} benaderde eenheid-jaren. Gebruik: indicators build "
            f"--data-dir {res.out_dir}"
        )


# =========================================================================== validate / status
@data_app.command()
def validate(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder with units.csv and observations.csv (default data/processed/limburg)."
        ),
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the report (default: the data dir for build-tables output, "
            "else _build/quality/<name>).",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit with status 2 when outliers, breaks or gaps are found.")
    ] = False,
) -> None:
    """Check a data folder (schemas; errors name file, line, column) and write the quality report."""
    from indicators.config import project_root
    from indicators.realdata import processed_dir
    from indicators.realdata.quality import quality_report, write_report
    from indicators.sources import load_observations, load_units

    data_dir = data_dir or processed_dir() / "limburg"
    if report_dir is None:  # never write into committed data (e.g. data/demo)
        own = (data_dir / "inputs.yml").exists()
        report_dir = data_dir if own else project_root() / "_build" / "quality" / data_dir.name
    try:
        catalogue = load_catalogue(overrides=data_dir)  # catalogue_overrides.yml, if any
        units = load_units(data_dir / "units.csv")
        obs = load_observations(data_dir / "observations.csv", catalogue=catalogue, units=units)
        appr = _optional_csv(data_dir / "approximations.csv")
        flags = _optional_csv(data_dir / "flags.csv")
        report = quality_report(obs, catalogue)
        paths = write_report(
            report,
            report_dir,
            title=f"Datakwaliteit {data_dir.name}",
            approximations=appr,
            flags=flags,
        )
    except IndicatorsError as exc:
        _fail(exc)
        return
    out.print(
        f"OK: {len(units)} eenheden, {len(obs)} waarnemingen. Rapport: {paths['markdown']} "
        f"({report.count('missing_year')} ontbrekende jaren, {report.count('outlier')} "
        f"uitschieters, {report.count('level_break')} breuken)."
    )
    if strict and len(report.issues):
        raise typer.Exit(2)


def _optional_csv(path: Path) -> pd.DataFrame | None:
    from indicators.realdata.quality import APPROXIMATIONS_SCHEMA, FLAGS_SCHEMA, validate_frame

    if not path.exists():
        return None
    df = pd.read_csv(path, dtype={"unit_code": str, "note": str}, keep_default_na=False)
    schema = APPROXIMATIONS_SCHEMA if path.name == "approximations.csv" else FLAGS_SCHEMA
    if path.name == "approximations.csv":
        df["approximate"] = df["approximate"].astype(str).str.lower().eq("true")
    return validate_frame(df, schema, path)


@data_app.command()
def status(
    raw_dir: Annotated[Path | None, typer.Option(help="Snapshot root (default data/raw).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option(help="Processed root (default data/processed).")
    ] = None,
) -> None:
    """List the processed tables and whether a newer snapshot or mapping makes them stale."""
    from indicators.realdata import processed_dir
    from indicators.realdata import raw_dir as default_raw

    root = out_dir or processed_dir()
    try:
        dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except FileNotFoundError:
        dirs = []
    if not dirs:
        out.print(f"Geen verwerkte tabellen in {root}.")
        return
    any_stale = False
    for d in dirs:
        try:
            reasons = stale_reasons(d, raw_dir or default_raw())
        except IndicatorsError as exc:
            reasons = [str(exc)]
        any_stale |= bool(reasons)
        out.print(f"{d.name}: {'verouderd' if reasons else 'actueel'}")
        for r in reasons:
            out.print(f"  - {r}", highlight=False)
    if any_stale:
        raise typer.Exit(3)
