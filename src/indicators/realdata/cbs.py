"""CBS StatLine tables: Kerncijfers wijken en buurten (KWB) and RIVM/GGD health per wijk/buurt.

Fetching writes immutable snapshots (one file per response page, each with a
sidecar); parsing reads only snapshots, so builds are reproducible offline.

Per table the snapshot holds::

    <table>.<region>.TableInfos.json          title, period, modification date
    <table>.<region>.DataProperties.json      column keys, types and units
    <table>.<region>.WijkenEnBuurten.<chunk>-<page>.json   unit names
    <table>.<region>.TypedDataSet.<chunk>-<page>.json      the numbers

OData v4 tables (mapping ``format: odata4``, CBS ``datasets.cbs.nl/odata/v1/CBS/<id>/``)
are stored the same way, with the v4 entity sets::

    <table>.<region>.Properties.json          title, period, modification date (one entity)
    <table>.<region>.Dimensions.001.json      dimension identifiers and kinds
    <table>.<region>.MeasureCodes.001.json    measure identifiers, titles, units
    <table>.<region>.WijkenEnBuurtenCodes.<chunk>-<page>.json   unit names
    <table>.<region>.Observations.<chunk>-<page>.json           the numbers, one row per measure

and :func:`read_table` pivots the observations (``Measure``/``Value`` plus the
dimension codes) into the same wide table as a v3 ``TypedDataSet``, so the
mapping and everything after it do not depend on the API version. In v4 a
missing or secret cell has ``Value: null`` and a ``ValueAttribute`` other than
``None`` (e.g. ``Impossible``, ``Confidential``); it stays missing.

CBS conventions kept here: ``.`` (or ``null`` in the typed data set) means
missing or secret and stays missing, never 0; keys are right-padded with
spaces (stripped); the country is ``NL00`` (becomes ``NL01``). KWB counts of
buurten (and wijken) are rounded to multiples of 5: the mapping's ``rounding``
marks those rows ``cbs_rounded_5``. RIVM health figures are small-area model
estimates (SMAP) from the Gezondheidsmonitor and are flagged ``model_estimate``.

Table ids are those of ``../shared/DESIGN.md``; they (and the column keys in
``data/mappings/cbs_kwb.yml``) must be verified online: ``indicators data fetch
--check`` compares the mapping with the live ``DataProperties`` without
downloading data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indicators.config import GEMEENTE_RE, _format_validation_error, read_yaml
from indicators.exceptions import InputError
from indicators.realdata.mapping import MappingFile, TableMap, missing_to_nan, normalise_code
from indicators.realdata.odata import ODataClient
from indicators.realdata.snapshot import PendingFile, SnapshotFile, write_snapshot

CBS_ODATA = "https://opendata.cbs.nl/ODataApi/odata/"
RIVM_ODATA = "https://dataderden.cbs.nl/ODataApi/odata/"
#: CBS OData v4 service root for the CBS catalogue (tables as ``<root><id>/``).
CBS_ODATA4 = "https://datasets.cbs.nl/odata/v1/CBS/"
#: Fields of a v4 observation that are not dimensions.
V4_FIELDS = {"Id", "Measure", "ValueAttribute", "Value", "StringValue"}

#: KWB table id per year (DESIGN.md; verify online).
KWB_TABLES: dict[int, str] = {
    2013: "82339NED",
    2014: "82931NED",
    2015: "83220NED",
    2016: "83487NED",
    2017: "83765NED",
    2018: "84286NED",
    2019: "84583NED",
    2020: "84799NED",
    2021: "85039NED",
    2022: "85318NED",
    2023: "85618NED",
    2024: "85984NED",
    2025: "86165NED",
}

#: RIVM/GGD "Gezondheid per wijk en buurt" tables (catalogue RIVM, dataderden.cbs.nl).
RIVM_TABLES: dict[str, tuple[int, ...]] = {
    "50090NED": (2012, 2016, 2020),  # indeling 2020
}

SOURCES = {"cbs-kwb": CBS_ODATA, "rivm": RIVM_ODATA}
NUMERIC_TYPES = {"Long", "Integer", "Double", "Float", "Decimal", "Short", "Byte", "Single"}
DEFAULT_CHUNK = 10  # municipalities per request: keeps the URL well below 2,048 characters


# --------------------------------------------------------------------------- regions
class GemeenteInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    region: str | None = None


class ProvinceInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    gemeenten: dict[str, GemeenteInfo] = Field(default_factory=dict)


class ProvinceFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    geography_year: int
    provinces: dict[str, ProvinceInfo]
    #: municipalities in the country per geography year (completeness check for NL01)
    municipality_counts: dict[int, int] = Field(default_factory=dict)


def load_provinces(path: Path | None = None) -> ProvinceFile:
    """``data/mappings/provinces.yml``: province codes, names and (where listed) municipalities."""
    from indicators.realdata import mappings_dir

    path = Path(path) if path else mappings_dir() / "provinces.yml"
    raw = read_yaml(path)
    try:
        pf = ProvinceFile.model_validate(raw)
    except ValidationError as err:
        raise _format_validation_error(path, err) from None
    for pv, info in pf.provinces.items():
        bad = [g for g in info.gemeenten if not GEMEENTE_RE.match(g)]
        if bad:
            raise InputError(f"not gemeente codes: {bad}", path=str(path), row=f"key '{pv}'")
    return pf


@dataclass(frozen=True)
class Region:
    """A selection of municipalities (``gemeenten=None`` means all of the Netherlands)."""

    slug: str
    gemeenten: tuple[str, ...] | None
    province: str | None = None
    label: str = ""


def resolve_region(spec: str, provinces: ProvinceFile | None = None) -> Region:
    """Parse ``--region``: ``limburg`` / ``PV31`` / a province name, ``all``, or GM codes.

    >>> resolve_region("GM0917,GM0935").gemeenten
    ('GM0917', 'GM0935')
    >>> resolve_region("all").gemeenten is None
    True
    """
    s = spec.strip()
    if s.lower() in ("all", "nl", "nederland"):
        return Region("all", None, None, "Nederland")
    parts = [p.strip().upper() for p in s.replace(";", ",").split(",") if p.strip()]
    if parts and all(GEMEENTE_RE.match(p) for p in parts):
        codes = tuple(dict.fromkeys(parts))
        slug = codes[0].lower() if len(codes) == 1 else f"gm{len(codes)}-{codes[0].lower()}"
        return Region(slug, codes, None, ", ".join(codes))
    pf = provinces or load_provinces()
    for code, info in pf.provinces.items():
        if s.upper() == code or s.lower() == info.name.lower():
            if not info.gemeenten:
                raise InputError(
                    f"province {info.name} ({code}) has no municipality list in "
                    "data/mappings/provinces.yml; add its GM codes there (CBS 'Gebieden in "
                    "Nederland') or pass --region GM####,GM####"
                )
            return Region(info.name.lower(), tuple(sorted(info.gemeenten)), code, info.name)
    raise InputError(
        f"unknown region {spec!r}: use 'limburg' (or another province with a municipality "
        "list in data/mappings/provinces.yml), 'all', or GM codes like 'GM0917,GM0935'"
    )


def odata_region_filter(gemeenten: Sequence[str], key: str = "WijkenEnBuurten") -> str:
    """An OData v3 ``$filter`` selecting municipalities with their wijken and buurten.

    ``substringof('0917', key)`` matches GM0917, WK0917.. and BU0917....; rows
    whose code merely contains the digits elsewhere are dropped after parsing
    (:func:`keep_region`).

    >>> odata_region_filter(["GM0917"])
    "(substringof('0917',WijkenEnBuurten))"
    """
    clauses = [f"substringof('{g[2:]}',{key})" for g in gemeenten]
    return "(" + " or ".join(clauses) + ")"


def odata4_region_filter(gemeenten: Sequence[str], key: str = "WijkenEnBuurten") -> str:
    """An OData v4 ``$filter`` selecting municipalities with their wijken and buurten.

    v4 has ``contains`` where v3 has ``substringof``; stray matches are dropped
    after parsing, as for v3 (:func:`keep_region`).

    >>> odata4_region_filter(["GM0917", "GM1954"])
    "(contains(WijkenEnBuurten,'0917') or contains(WijkenEnBuurten,'1954'))"
    """
    return "(" + " or ".join(f"contains({key},'{g[2:]}')" for g in gemeenten) + ")"


def odata4_any(column: str, values: Sequence[str]) -> str:
    """``(col eq 'a' or col eq 'b')``, the v4 filter for a list of codes.

    >>> odata4_any("Measure", ["T001036", "M000001"])
    "(Measure eq 'T001036' or Measure eq 'M000001')"
    """
    return "(" + " or ".join(f"{column} eq '{v}'" for v in values) + ")"


def keep_region(codes: pd.Series, gemeenten: Sequence[str] | None) -> pd.Series:
    """Mask of codes in the municipalities (plus NL01); all when ``gemeenten`` is None."""
    if gemeenten is None:
        return pd.Series(True, index=codes.index)
    nums = {g[2:] for g in gemeenten}
    digits = codes.str[2:6]
    return (codes == "NL01") | (codes.str[:2].isin(["GM", "WK", "BU"]) & digits.isin(nums))


# --------------------------------------------------------------------------- fetching
@dataclass(frozen=True)
class TableRequest:
    """What to download of one table."""

    table_id: str
    source: str  # cbs-kwb | rivm
    mapping: TableMap
    citation: str
    licence: str


def check_columns(properties: list[dict], table: TableMap, table_id: str) -> list[str]:
    """Mapped columns that the live table lacks, each with close matches."""
    import difflib

    keys = [str(p.get("Key", "")) for p in properties]
    problems = []
    for col in table.columns():
        if col not in keys:
            stem = col.rsplit("_", 1)[0]
            near = [k for k in keys if k.rsplit("_", 1)[0] == stem] or difflib.get_close_matches(
                col, keys, n=3, cutoff=0.6
            )
            problems.append(f"{table_id}: column {col!r} not found; close: {near or 'none'}")
    return problems


def fetch_table(
    client: ODataClient,
    req: TableRequest,
    region: Region,
    raw_root: Path,
    day: str | date,
    *,
    gemeenten: Sequence[str] | None = None,
    chunk: int = DEFAULT_CHUNK,
    check_only: bool = False,
) -> list[SnapshotFile] | list[str]:
    """Download one table for a region into a snapshot (or, with ``check_only``, only compare
    the mapping with the live column list and return the problems).

    ``gemeenten`` overrides the region's list (e.g. with predecessors of merged
    municipalities for years before the merger). Tables mapped as ``odata4``
    are fetched with :func:`fetch_table4`.
    """
    if req.mapping.format == "odata4":
        return fetch_table4(
            client, req, region, raw_root, day, gemeenten=gemeenten, chunk=chunk,
            check_only=check_only,
        )  # fmt: skip
    tid, table = req.table_id, req.mapping
    pending: list[PendingFile] = []
    prefix = f"{tid}.{region.slug}"

    def add(name: str, page, part: str, chunk_no: int | None = None, page_no: int | None = None):
        extra = {"part": part, "region": region.slug, "geography_year": table.geography_year}
        if table.period is not None:
            extra["period"] = table.period
        if chunk_no is not None:
            extra["chunk"], extra["page"] = chunk_no, page_no
        pending.append(
            PendingFile(
                name=name,
                content=page.body,
                url=page.url,
                licence=req.licence,
                citation=req.citation,
                accessed=page.accessed,
                table_id=tid,
                title=table.title,
                media_type="application/json",
                extra=extra,
            )
        )

    props_pages = list(client.iter_pages(f"{tid}/DataProperties"))
    props = [r for p in props_pages for r in p.rows]
    problems = check_columns(props, table, tid)
    if check_only:
        return problems
    if problems:
        raise InputError(
            "the mapping does not match the live table; fix data/mappings/cbs_kwb.yml:\n  "
            + "\n  ".join(problems)
        )
    for i, p in enumerate(client.iter_pages(f"{tid}/TableInfos"), 1):
        add(f"{prefix}.TableInfos.{i:03d}.json", p, "TableInfos")
    for i, p in enumerate(props_pages, 1):
        add(f"{prefix}.DataProperties.{i:03d}.json", p, "DataProperties")

    keys = {str(p.get("Key")) for p in props}
    select = [c for c in ["ID", *table.columns(), "Gemeentenaam_1", "SoortRegio_2"] if c in keys]
    if "ID" not in select:
        select.insert(0, "ID")
    dim_filters = [f"{k} eq '{v}'" for k, v in table.filters.items()]
    gms = list(gemeenten) if gemeenten is not None else region.gemeenten
    groups: list[list[str] | None] = (
        [list(gms[i : i + chunk]) for i in range(0, len(gms), chunk)] if gms else [None]
    )
    for c, group in enumerate(groups, 1):
        geo = odata_region_filter(group, table.code_column) if group else None
        if group and c == 1:
            geo = f"({geo} or substringof('NL00',{table.code_column}))"
        flt = " and ".join([x for x in [geo, *dim_filters] if x])
        params = {"$select": ",".join(select)}
        if flt:
            params["$filter"] = flt
        for i, p in enumerate(client.iter_pages(f"{tid}/TypedDataSet", params), 1):
            add(f"{prefix}.TypedDataSet.{c:02d}-{i:03d}.json", p, "TypedDataSet", c, i)
        dparams = {}
        if group:
            dparams["$filter"] = odata_region_filter(group, "Key")
            if c == 1:
                dparams["$filter"] = f"({dparams['$filter']} or substringof('NL00',Key))"
        dim = table.code_column
        for i, p in enumerate(client.iter_pages(f"{tid}/{dim}", dparams), 1):
            add(f"{prefix}.{dim}.{c:02d}-{i:03d}.json", p, f"dimension:{dim}", c, i)
    return write_snapshot(raw_root, req.source, day, pending)


def _pending(req: TableRequest, region: Region, name: str, resp, part: str, **extra) -> PendingFile:
    table = req.mapping
    meta = {"part": part, "region": region.slug, "geography_year": table.geography_year}
    if table.period is not None:
        meta["period"] = table.period
    meta.update({k: v for k, v in extra.items() if v is not None})
    return PendingFile(
        name=name,
        content=resp.body,
        url=resp.url,
        licence=req.licence,
        citation=req.citation,
        accessed=resp.accessed,
        table_id=req.table_id,
        title=table.title,
        media_type="application/json",
        extra=meta,
    )


def fetch_table4(
    client: ODataClient,
    req: TableRequest,
    region: Region,
    raw_root: Path,
    day: str | date,
    *,
    gemeenten: Sequence[str] | None = None,
    chunk: int = DEFAULT_CHUNK,
    check_only: bool = False,
) -> list[SnapshotFile] | list[str]:
    """:func:`fetch_table` for a CBS OData v4 table (``Observations`` and its code lists).

    Downloads ``Properties`` (one entity), ``Dimensions``, ``MeasureCodes``, and
    per chunk of municipalities the ``Observations`` of the mapped measures
    (``$filter`` on ``Measure``, the region with ``contains`` and the mapping's
    dimension filters) and the names from ``<code_column>Codes``. With
    ``check_only`` it only compares the mapping's measures and dimensions with
    the live ``MeasureCodes`` and ``Dimensions``.
    """
    tid, table = req.table_id, req.mapping
    prefix = f"{tid}.{region.slug}"
    dim_pages = list(client.iter_pages(f"{tid}/Dimensions"))
    measure_pages = list(client.iter_pages(f"{tid}/MeasureCodes"))
    known = [{"Key": r.get("Identifier")} for p in dim_pages + measure_pages for r in p.rows]
    problems = check_columns(known, table, tid)
    if check_only:
        return problems
    if problems:
        raise InputError(
            "the mapping does not match the live table; fix data/mappings/cbs_kwb.yml:\n  "
            + "\n  ".join(problems)
        )
    pending = [
        _pending(req, region, f"{prefix}.Properties.json", client.get_entity(f"{tid}/Properties"),
                 "Properties")
    ]  # fmt: skip
    for name, pages in (("Dimensions", dim_pages), ("MeasureCodes", measure_pages)):
        for i, p in enumerate(pages, 1):
            pending.append(_pending(req, region, f"{prefix}.{name}.{i:03d}.json", p, name))
    geo_key = table.code_column
    dim_filters = [odata4_any(k, [v]) for k, v in table.filters.items()]
    measures = odata4_any("Measure", table.measures())
    gms = list(gemeenten) if gemeenten is not None else region.gemeenten
    groups: list[list[str] | None] = (
        [list(gms[i : i + chunk]) for i in range(0, len(gms), chunk)] if gms else [None]
    )
    for c, group in enumerate(groups, 1):
        geo = odata4_region_filter(group, geo_key) if group else None
        if group and c == 1:  # Nederland once, for the benchmark
            geo = f"({geo} or startswith({geo_key},'NL'))"
        flt = " and ".join(x for x in [measures, geo, *dim_filters] if x)
        for i, p in enumerate(client.iter_pages(f"{tid}/Observations", {"$filter": flt}), 1):
            pending.append(
                _pending(req, region, f"{prefix}.Observations.{c:02d}-{i:03d}.json", p,
                         "Observations", chunk=c, page=i)
            )  # fmt: skip
        cparams = {}
        if group:
            cparams["$filter"] = odata4_region_filter(group, "Identifier")
            if c == 1:
                cparams["$filter"] = f"({cparams['$filter']} or startswith(Identifier,'NL'))"
        for i, p in enumerate(client.iter_pages(f"{tid}/{geo_key}Codes", cparams), 1):
            pending.append(
                _pending(req, region, f"{prefix}.{geo_key}Codes.{c:02d}-{i:03d}.json", p,
                         f"dimension:{geo_key}", chunk=c, page=i)
            )  # fmt: skip
    return write_snapshot(raw_root, req.source, day, pending)


# --------------------------------------------------------------------------- parsing
@dataclass(frozen=True)
class CbsTable:
    """A parsed table from a snapshot."""

    table_id: str
    data: pd.DataFrame  # one row per unit (and period); codes normalised in column 'code'
    properties: pd.DataFrame
    names: dict[str, str]
    info: dict
    files: list[SnapshotFile]


def _load_rows(f: SnapshotFile) -> list[dict]:
    try:
        data = json.loads(f.path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"malformed JSON ({exc})", path=str(f.path)) from None
    rows = data.get("value") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputError("not an OData collection (no 'value' list)", path=str(f.path))
    return rows


def _order(f: SnapshotFile) -> tuple:
    m = f.meta.model_dump()
    return (m.get("chunk") or 0, m.get("page") or 0, f.path.name)


def read_table(files: Sequence[SnapshotFile], table: TableMap | None = None) -> CbsTable:
    """Parse the snapshot files of one table (one region) into a DataFrame.

    Topic columns with a numeric ``Datatype`` become floats; ``.``, empty and
    ``null`` become NaN. A value that is neither a number nor a missing marker
    raises :class:`InputError` naming the file, the row (0-based position in
    the ``value`` list) and the column.
    """
    if not files:
        raise InputError("no snapshot files for this table")
    tids = {f.meta.table_id for f in files}
    if len(tids) != 1:
        raise InputError(f"files of several tables given together: {sorted(map(str, tids))}")
    tid = tids.pop() or ""
    by_part: dict[str, list[SnapshotFile]] = {}
    for f in files:
        part = str(f.meta.model_dump().get("part", ""))
        by_part.setdefault(part, []).append(f)
    if "Observations" in by_part:
        return _read_table4(tid, by_part, list(files), table)
    if "TypedDataSet" not in by_part:
        raise InputError(f"snapshot of {tid} has no TypedDataSet file", path=str(files[0].path))
    props = [
        r for f in sorted(by_part.get("DataProperties", []), key=_order) for r in _load_rows(f)
    ]
    info_rows = [r for f in by_part.get("TableInfos", []) for r in _load_rows(f)]
    frames = []
    for f in sorted(by_part["TypedDataSet"], key=_order):
        rows = _load_rows(f)
        df = pd.DataFrame(rows)
        df["_file"] = str(f.path)
        df["_row"] = np.arange(len(df))
        frames.append(df)
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    ptab = pd.DataFrame(props)
    numeric = set()
    if len(ptab) and "Type" in ptab:
        topics = ptab[ptab["Type"].astype(str) == "Topic"]
        if "Datatype" in topics:
            numeric = set(topics.loc[topics["Datatype"].isin(NUMERIC_TYPES), "Key"].astype(str))
    for col in data.columns:
        if col.startswith("_"):
            continue
        if col in numeric:
            try:
                data[col] = missing_to_nan(data[col])
            except ValueError:
                s = data[col].map(lambda v: v.strip() if isinstance(v, str) else v)
                bad = pd.to_numeric(s.mask(s.isin(["", "."])), errors="coerce").isna() & s.notna()
                bad &= ~s.isin(["", "."])
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(
                    f"expected a number or '.', got {s.iloc[i]!r} (row {data['_row'].iloc[i]})",
                    path=data["_file"].iloc[i],
                    field=col,
                ) from None
        elif data[col].dtype == object or pd.api.types.is_string_dtype(data[col]):
            data[col] = data[col].map(lambda v: v.strip() if isinstance(v, str) else v)
    code_col = table.code_column if table else "WijkenEnBuurten"
    if code_col in data.columns:
        data["code"] = data[code_col].map(normalise_code)
    return CbsTable(
        table_id=tid,
        data=data,
        properties=ptab,
        names=_names(by_part),
        info=info_rows[0] if info_rows else {},
        files=list(files),
    )


def _names(by_part: dict[str, list[SnapshotFile]]) -> dict[str, str]:
    """Unit names from the geo dimension's code list (v3 ``Key``, v4 ``Identifier``)."""
    names: dict[str, str] = {}
    for part, fs in by_part.items():
        if part.startswith("dimension:"):
            for f in sorted(fs, key=_order):
                for r in _load_rows(f):
                    code = normalise_code(r.get("Key", r.get("Identifier")))
                    if code and r.get("Title"):
                        names[code] = str(r["Title"]).strip()
    return names


def _load_entity(f: SnapshotFile) -> dict:
    try:
        data = json.loads(f.path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"malformed JSON ({exc})", path=str(f.path)) from None
    if not isinstance(data, dict) or isinstance(data.get("value"), list):
        raise InputError("not a single OData entity", path=str(f.path))
    return {k: v for k, v in data.items() if not k.startswith("@odata.")}


def _read_table4(
    tid: str, by_part: dict[str, list[SnapshotFile]], files: list[SnapshotFile], table
) -> CbsTable:
    """Pivot CBS v4 ``Observations`` (one row per unit x measure) to one row per unit.

    The dimension columns (every field but ``Id, Measure, ValueAttribute, Value,
    StringValue``) become the row key, each measure a column. ``Value: null``
    stays NaN whatever the ``ValueAttribute``; a value that is not a number
    raises :class:`InputError` naming file, row and field.
    """
    frames = []
    for f in sorted(by_part["Observations"], key=_order):
        df = pd.DataFrame(_load_rows(f))
        df["_file"] = str(f.path)
        df["_row"] = np.arange(len(df))
        frames.append(df)
    obs = pd.concat(frames, ignore_index=True)
    measures = [
        str(r.get("Identifier"))
        for f in sorted(by_part.get("MeasureCodes", []), key=_order)
        for r in _load_rows(f)
    ]
    if obs.empty:
        raise InputError(f"snapshot of {tid} has no observations", path=str(files[0].path))
    for col in ("Measure", "Value"):
        if col not in obs.columns:
            raise InputError(
                f"not CBS v4 observations: no {col!r} field", path=obs["_file"].iloc[0], field=col
            )
    dims = [c for c in obs.columns if c not in V4_FIELDS and not c.startswith("_")]
    for c in [*dims, "Measure"]:
        obs[c] = obs[c].map(lambda v: v.strip() if isinstance(v, str) else v)
    bad = obs["Value"].map(lambda v: not (v is None or isinstance(v, (int, float))))
    bad &= ~obs["Value"].isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"expected a number or null, got {obs['Value'].iloc[i]!r} "
            f"(row {obs['_row'].iloc[i]}, measure {obs['Measure'].iloc[i]})",
            path=obs["_file"].iloc[i],
            field="Value",
        )
    obs["Value"] = pd.to_numeric(obs["Value"], errors="coerce").astype("float64")
    dup = obs.duplicated([*dims, "Measure"], keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        key = ", ".join(f"{d}={obs[d].iloc[i]}" for d in dims)
        raise InputError(
            f"more than one observation for {key}, measure {obs['Measure'].iloc[i]}",
            path=obs["_file"].iloc[i],
        )
    wide = obs.pivot(index=dims, columns="Measure", values="Value").reset_index()
    wide.columns.name = None
    for m in measures:  # a listed measure without any observation is missing, not an error
        if m not in wide.columns:
            wide[m] = np.nan
    code_col = table.code_column if table else "WijkenEnBuurten"
    if code_col in wide.columns:
        wide["code"] = wide[code_col].map(normalise_code)
    mcodes = [r for f in by_part.get("MeasureCodes", []) for r in _load_rows(f)]
    props = by_part.get("Properties", [])
    return CbsTable(
        table_id=tid,
        data=wide,
        properties=pd.DataFrame(mcodes),
        names=_names(by_part),
        info=_load_entity(props[0]) if props else {},
        files=files,
    )


def read_csv_table(
    path: Path, table: TableMap, *, decimal_comma: bool | None = None
) -> pd.DataFrame:
    """Read a CSV extract (e.g. a KWB download) with the columns the mapping needs.

    Cells are read as text; the separator (``,`` or ``;``) is detected from the
    header; with ``;`` a decimal comma is assumed unless told otherwise. Missing
    required columns raise :class:`InputError` naming the file and line 1.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=str(path))
    try:
        head = path.read_text(encoding="utf-8-sig").splitlines()[:1]
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=str(path)) from None
    if not head:
        raise InputError("file is empty; expected a header row", path=str(path))
    sep = ";" if head[0].count(";") > head[0].count(",") else ","
    try:
        df = pd.read_csv(
            path, sep=sep, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
        )
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed CSV: {exc}", path=str(path)) from None
    df.columns = [str(c).strip() for c in df.columns]
    need = table.columns()
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; found {list(df.columns)}", path=str(path), row=1
        )
    use_comma = decimal_comma if decimal_comma is not None else sep == ";"
    role_cols = {c for m in table.indicators.values() for c in m.columns()}
    for col in role_cols:
        raw = df[col].str.strip()
        s = raw
        if use_comma:
            s = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        s = s.mask(raw == ".", ".")
        try:
            df[col] = missing_to_nan(s)
        except ValueError:
            bad = ~raw.isin(["", "."]) & pd.to_numeric(s, errors="coerce").isna()
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"expected a number or '.', got {raw.iloc[i]!r}",
                path=str(path),
                row=i + 2,
                field=col,
            ) from None
    return df


def table_requests(
    mapping: MappingFile, source: str, years: Sequence[int] | None
) -> list[TableRequest]:
    """The tables of a source to fetch, selected by year (KWB) or period (RIVM)."""
    out = []
    for tid, t in sorted(mapping.tables_for(source).items()):
        if not t.is_odata:
            continue
        if years:
            covered = {t.period} if t.period is not None else set(RIVM_TABLES.get(tid, ()))
            if not covered & set(years):
                continue
        info = mapping.sources[t.source]
        out.append(TableRequest(tid, t.source, t, mapping.citation(tid), info.licence))
    if not out:
        known = sorted(
            {t.period for t in mapping.tables_for(source).values() if t.period is not None}
        )
        raise InputError(
            f"no {source} table in the mapping for years {list(years or [])}"
            + (f"; mapped years: {known}" if known else "")
        )
    return out
