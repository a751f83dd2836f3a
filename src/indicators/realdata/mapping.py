"""Versioned mapping of source columns to catalogue indicators (``data/mappings/cbs_kwb.yml``).

CBS renumbers and renames columns between the yearly KWB tables (``Koopwoningen_40``
in 2019, ``Koopwoningen_47`` in 2024; ``GemiddeldeWoningwaarde_35`` became
``GemiddeldeWOZWaardeVanWoningen_35``), so each table id gets its own entry:

.. code-block:: yaml

    tables:
      84583NED:                       # KWB 2019
        source: cbs-kwb
        period: 2019
        geography_year: 2019
        indicators:
          aandeel_65plus:
            numerator: {column: k_65JaarOfOuder_12, rounded: true}
            denominator: {column: AantalInwoners_5, rounded: true}
          koopwoningen:               # CBS publishes a percentage of the stock
            numerator: {column: Koopwoningen_40, percent_of_denominator: true}
            denominator: {column: Woningvoorraad_34, rounded: true}

Roles per indicator follow the tidy table: ``numerator``, ``denominator``,
``value`` and ``se``. A role reads one ``column`` times ``scale`` (unit
conversion), or for a numerator ``percent_of_denominator`` (numerator =
percentage / 100 x denominator, flagged ``derived_from_percentage``), or for a
denominator ``from_indicator`` (the denominator of another indicator for the
same unit and period, e.g. inhabitants as the weight of a model estimate).

The rules checked against the catalogue: a ``sum`` indicator needs a numerator
and a denominator (the value is recomputed, never read); a ``weighted_mean``
indicator needs a value and no numerator (its denominator is the weight).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from indicators.config import (
    UNIT_CODE_RE,
    Catalogue,
    CIMethod,
    IndicatorOverride,
    _format_validation_error,
    read_yaml,
)
from indicators.exceptions import InputError

Level = Literal["land", "provincie", "gemeente", "wijk", "buurt"]
PERIOD_RE = re.compile(r"^(\d{4})")

#: Columns of the long table produced by :func:`apply_mapping`.
LONG_COLUMNS = [
    "unit_code",
    "indicator_id",
    "period",
    "numerator",
    "denominator",
    "value",
    "se",
    "geo_year",
    "table_id",
    "flags",
    "weight_from",
]

FLAG_ROUNDED = "cbs_rounded_5"
FLAG_PERCENT = "derived_from_percentage"
FLAG_MODEL = "model_estimate"
FLAG_NO_WEIGHT = "no_weight"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RoleSpec(_Strict):
    """Where one role (numerator, denominator, value, se) comes from."""

    column: str | None = None
    scale: float = Field(default=1.0, gt=0)
    percent_of_denominator: bool = False
    from_indicator: str | None = None
    rounded: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> RoleSpec:
        if (self.column is None) == (self.from_indicator is None):
            raise ValueError("give exactly one of 'column' or 'from_indicator'")
        return self


class IndicatorMap(_Strict):
    """The roles of one indicator in one table."""

    numerator: RoleSpec | None = None
    denominator: RoleSpec | None = None
    value: RoleSpec | None = None
    se: RoleSpec | None = None
    note: str = ""

    @model_validator(mode="after")
    def _roles(self) -> IndicatorMap:
        for name in ("denominator", "value", "se"):
            spec = getattr(self, name)
            if spec is not None and spec.percent_of_denominator:
                raise ValueError(
                    f"'percent_of_denominator' is only valid for the numerator, not {name}"
                )
        for name in ("numerator", "value", "se"):
            spec = getattr(self, name)
            if spec is not None and spec.from_indicator:
                raise ValueError(f"'from_indicator' is only valid for the denominator, not {name}")
        if (
            self.numerator is not None
            and self.numerator.percent_of_denominator
            and self.denominator is None
        ):
            raise ValueError("'percent_of_denominator' needs a denominator")
        return self

    def columns(self) -> list[str]:
        return [
            s.column
            for s in (self.numerator, self.denominator, self.value, self.se)
            if s is not None and s.column
        ]


class Rounding(_Strict):
    """CBS rounds counts of small units (buurt counts to multiples of 5)."""

    base: int = Field(default=5, ge=1)
    levels: list[Level] = Field(default_factory=lambda: ["buurt"])


class SourceInfo(_Strict):
    """Publisher, licence and citation template of a source."""

    title: str
    publisher: str
    licence: str
    citation: str  # template: {title}, {table_id}, {period}, {publisher}
    base_url: str | None = None
    homepage: str | None = None


class TableMap(_Strict):
    """Mapping of one source table (one KWB year, one RIVM table, a CSV layout)."""

    source: str
    title: str
    #: ``odata``: CBS OData v3, one column per topic (``TypedDataSet``);
    #: ``odata4``: CBS OData v4 (``Observations``, one row per measure): the role
    #: ``column`` is then a measure identifier (``MeasureCodes``, e.g. ``T001036``)
    #: and ``code_column`` / ``period_column`` / ``filters`` name dimensions;
    #: ``csv``: an imported file.
    format: Literal["odata", "odata4", "csv"] = "odata"
    #: Service root for this table when it differs from the source's (e.g. v4 tables
    #: at ``https://datasets.cbs.nl/odata/v1/CBS/`` next to v3 tables of the same source).
    base_url: str | None = None
    period: int | None = Field(default=None, ge=1990, le=2100)
    period_column: str | None = None
    geography_year: int | None = Field(default=None, ge=1990, le=2100)
    code_column: str = "WijkenEnBuurten"
    name_column: str | None = None
    filters: dict[str, str] = Field(default_factory=dict)
    verified: Literal["checked-against-data", "seen-in-other-code", "unverified"]
    evidence: str = ""
    model_estimate: bool = False
    #: Interval for this table's figures when it differs from the catalogue's. Model
    #: estimates default to ``none``: a Wilson or Byar interval from a nominal n (here the
    #: number of inhabitants used as weight) would be far too narrow.
    ci_method: CIMethod | None = None
    ci_note_nl: str = ""
    rounding: Rounding | None = None
    indicators: dict[str, IndicatorMap]

    @model_validator(mode="after")
    def _period(self) -> TableMap:
        if (self.period is None) == (self.period_column is None):
            raise ValueError("give exactly one of 'period' (fixed year) or 'period_column'")
        if not self.indicators:
            raise ValueError("maps no indicators")
        return self

    @property
    def effective_ci_method(self) -> CIMethod | None:
        """``ci_method``, else ``none`` for model estimates, else ``None`` (the catalogue's)."""
        if self.ci_method is not None:
            return self.ci_method
        return "none" if self.model_estimate else None

    @property
    def is_odata(self) -> bool:
        return self.format in ("odata", "odata4")

    def measures(self) -> list[str]:
        """The role columns (for ``odata4``: the measure identifiers to download)."""
        return list(dict.fromkeys(c for m in self.indicators.values() for c in m.columns()))

    def dimensions(self) -> list[str]:
        """Code, period and filter columns (for ``odata4``: dimensions)."""
        cols = [self.code_column, self.period_column, *self.filters]
        return list(dict.fromkeys(c for c in cols if c))

    def columns(self) -> list[str]:
        """Every source column this table needs (code, name, period, filters, roles)."""
        cols = [self.code_column]
        for c in [self.name_column, self.period_column, *self.filters]:
            if c:
                cols.append(c)
        for m in self.indicators.values():
            cols.extend(m.columns())
        return list(dict.fromkeys(cols))


class MappingFile(_Strict):
    """The whole mapping file."""

    version: str = Field(min_length=1)
    description: str = ""
    sources: dict[str, SourceInfo]
    tables: dict[str, TableMap]

    @model_validator(mode="after")
    def _sources(self) -> MappingFile:
        for tid, t in self.tables.items():
            if t.source not in self.sources:
                raise ValueError(f"tables.{tid}: source '{t.source}' is not in 'sources'")
        return self

    def table(self, table_id: str) -> TableMap:
        try:
            return self.tables[table_id]
        except KeyError:
            known = ", ".join(sorted(self.tables))
            raise InputError(
                f"table {table_id!r} has no entry in the mapping file; known tables: {known}"
            ) from None

    def tables_for(self, source: str) -> dict[str, TableMap]:
        return {k: v for k, v in self.tables.items() if v.source == source}

    def citation(self, table_id: str) -> str:
        t = self.table(table_id)
        s = self.sources[t.source]
        period = t.period if t.period is not None else "alle jaren"
        return s.citation.format(
            title=t.title, table_id=table_id, period=period, publisher=s.publisher
        )


def default_mapping_path() -> Path:
    from indicators.realdata import mappings_dir

    return mappings_dir() / "cbs_kwb.yml"


def load_mapping(path: Path | None = None, catalogue: Catalogue | None = None) -> MappingFile:
    """Load and validate the mapping file; with a catalogue, also check the indicator rules."""
    path = Path(path) if path else default_mapping_path()
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise InputError("expected a mapping with keys version, sources, tables", path=str(path))
    try:
        mapping = MappingFile.model_validate(raw)
    except ValidationError as err:
        raise _format_validation_error(path, err) from None
    if catalogue is not None:
        check_against_catalogue(mapping, catalogue, path)
    return mapping


def check_against_catalogue(mapping: MappingFile, catalogue: Catalogue, path: Path) -> None:
    """Fail if a mapped indicator is unknown or its roles break the aggregation rule."""
    for tid, t in mapping.tables.items():
        for ind_id, m in t.indicators.items():
            where = f"key 'tables.{tid}.indicators.{ind_id}'"
            ind = catalogue.by_id.get(ind_id)
            if ind is None:
                raise InputError(
                    "unknown indicator (not in data/catalogue/indicators.yml)",
                    path=str(path),
                    row=where,
                )
            if ind.aggregation == "sum":
                if m.numerator is None or m.denominator is None:
                    raise InputError(
                        "a 'sum' indicator needs a numerator and a denominator "
                        "(its value is recomputed from them)",
                        path=str(path),
                        row=where,
                    )
                if m.value is not None:
                    raise InputError(
                        "a 'sum' indicator must not map 'value' (it is recomputed)",
                        path=str(path),
                        row=where,
                    )
            else:
                if m.value is None:
                    raise InputError(
                        "a 'weighted_mean' indicator needs a value", path=str(path), row=where
                    )
                if m.numerator is not None:
                    raise InputError(
                        "a 'weighted_mean' indicator has no numerator (denominator = weight)",
                        path=str(path),
                        row=where,
                    )
            den = m.denominator
            if den is not None and den.from_indicator:
                if den.from_indicator not in catalogue.by_id:
                    raise InputError(
                        f"from_indicator {den.from_indicator!r} is not in the catalogue",
                        path=str(path),
                        row=where,
                    )


MODEL_ESTIMATE_NOTE_NL = (
    "modelschatting (small-area estimation, RIVM/GGD SMAP), geen meting in een steekproef: een "
    "steekproefinterval (Wilson) uit het aantal inwoners zou veel te smal zijn, dus er staat geen "
    "interval bij en het cijfer wordt niet getoetst"
)


def catalogue_overrides(
    mapping: MappingFile, table_ids: list[str], indicator_ids: set[str] | None = None
) -> dict[str, IndicatorOverride]:
    """Catalogue settings implied by the tables used: no interval for model estimates.

    For every indicator mapped by a table whose :attr:`TableMap.effective_ci_method`
    is set (and, with ``indicator_ids``, present in the data), one
    :class:`~indicators.config.IndicatorOverride`. An indicator fed by a model
    estimate in any table gets the model-estimate setting (conservative), and
    its source names that table.

    >>> mp = load_mapping()
    >>> o = catalogue_overrides(mp, ["50090NED", "84583NED"])
    >>> o["roken"].ci_method, o["roken"].model_estimate, "aandeel_65plus" in o
    ('none', True, False)
    """
    out: dict[str, IndicatorOverride] = {}
    for tid in sorted(table_ids):
        t = mapping.table(tid)
        method = t.effective_ci_method
        if method is None:
            continue
        for ind in t.indicators:
            if indicator_ids is not None and ind not in indicator_ids:
                continue
            prev = out.get(ind)
            if prev is not None and prev.model_estimate and not t.model_estimate:
                continue
            note = t.ci_note_nl or (MODEL_ESTIMATE_NOTE_NL if t.model_estimate else "")
            out[ind] = IndicatorOverride(
                ci_method=method,
                model_estimate=t.model_estimate,
                ci_note_nl=note,
                source=mapping.citation(tid),
            )
    return out


def unit_level(code: str) -> str:
    """Level of a CBS unit code.

    >>> [unit_level(c) for c in ["NL01", "PV31", "GM0917", "WK091701", "BU09170101"]]
    ['land', 'provincie', 'gemeente', 'wijk', 'buurt']
    """
    return {"NL": "land", "PV": "provincie", "GM": "gemeente", "WK": "wijk", "BU": "buurt"}[
        code[:2]
    ]


def normalise_code(code: object) -> str | None:
    """Strip CBS padding; ``NL00`` (CBS's code for Nederland) becomes ``NL01``.

    >>> normalise_code("GM0917    "), normalise_code("NL00"), normalise_code("XX12")
    ('GM0917', 'NL01', None)
    """
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return None
    c = str(code).strip().upper()
    if c == "NL00":
        c = "NL01"
    return c if UNIT_CODE_RE.match(c) else None


def parse_period(value: object) -> int | None:
    """Year from a CBS period key or a year.

    >>> parse_period("2020JJ00"), parse_period(2016), parse_period("  ")
    (2020, 2016, None)
    """
    if value is None:
        return None
    m = PERIOD_RE.match(str(value).strip())
    return int(m.group(1)) if m else None


def missing_to_nan(s: pd.Series) -> pd.Series:
    """CBS missing markers (``.``, ``x``, empty, ``None``) become NaN; never 0.

    CBS's ``-`` ("nihil") is *not* treated as missing: it raises, so that a
    true zero is never silently lost or invented.

    >>> missing_to_nan(pd.Series(["12", " . ", "", None, "3.5"])).tolist()
    [12.0, nan, nan, nan, 3.5]
    """
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    t = s.astype("object").map(lambda v: v.strip() if isinstance(v, str) else v)
    t = t.mask(t.isin(["", ".", "x"]) | t.isna())
    out = pd.to_numeric(t, errors="coerce")
    bad = out.isna() & t.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"not a number: {t.iloc[i]!r} (row {i})")
    return out.astype("float64")


def _role_values(
    df: pd.DataFrame, spec: RoleSpec | None, table_id: str, source_path: str | None
) -> pd.Series:
    if spec is None or spec.column is None:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    if spec.column not in df.columns:
        raise InputError(
            f"column {spec.column!r} of table {table_id} is not in the data; "
            f"update data/mappings/cbs_kwb.yml (columns found: {_close(spec.column, df.columns)})",
            path=source_path,
            field=spec.column,
        )
    try:
        vals = missing_to_nan(df[spec.column])
    except ValueError as exc:
        raise InputError(str(exc), path=source_path, field=spec.column) from None
    return vals * spec.scale


def _close(name: str, columns) -> str:
    import difflib

    stem = name.rsplit("_", 1)[0]
    cands = [c for c in columns if str(c).rsplit("_", 1)[0] == stem]
    cands += difflib.get_close_matches(name, [str(c) for c in columns], n=3, cutoff=0.6)
    cands = list(dict.fromkeys(cands))
    return ", ".join(cands[:5]) if cands else f"{len(columns)} columns, none similar"


def apply_mapping(
    df: pd.DataFrame,
    table_id: str,
    table: TableMap,
    *,
    geography_year: int | None = None,
    source_path: str | None = None,
) -> pd.DataFrame:
    """Turn one wide source table into long rows for the tidy table.

    Parameters
    ----------
    df : DataFrame
        The table as parsed (:func:`indicators.realdata.cbs.read_table` or a CSV
        reader), one row per unit (and period).
    table_id, table : str, TableMap
        The mapping entry.
    geography_year : int, optional
        Overrides ``table.geography_year`` (e.g. from the snapshot sidecar).

    Returns
    -------
    DataFrame
        Columns :data:`LONG_COLUMNS`. Missing cells stay NaN. ``flags`` holds
        ``;``-separated markers: ``cbs_rounded_5``, ``derived_from_percentage``,
        ``model_estimate``.
    """
    geo_year = geography_year or table.geography_year
    if geo_year is None:
        raise InputError(
            f"table {table_id}: geography year unknown (set geography_year in the mapping "
            "or on import)",
            path=source_path,
        )
    if table.code_column not in df.columns:
        raise InputError(
            f"table {table_id}: code column {table.code_column!r} not found "
            f"(columns: {_close(table.code_column, df.columns)})",
            path=source_path,
            field=table.code_column,
        )
    data = df
    for col, want in table.filters.items():
        if col not in data.columns:
            raise InputError(f"filter column {col!r} not in table {table_id}", path=source_path)
        data = data[data[col].astype(str).str.strip() == want]
    codes = data[table.code_column].map(normalise_code)
    data = data[codes.notna()]
    codes = codes[codes.notna()]
    if table.period_column:
        periods = data[table.period_column].map(parse_period)
        if periods.isna().any():
            i = int(np.flatnonzero(periods.isna().to_numpy())[0])
            raise InputError(
                f"cannot read a year from {data[table.period_column].iloc[i]!r}",
                path=source_path,
                field=table.period_column,
            )
    else:
        periods = pd.Series(table.period, index=data.index)
    levels = codes.map(unit_level)
    rounded_levels = set(table.rounding.levels) if table.rounding else set()
    parts = []
    for ind_id, m in table.indicators.items():
        num = _role_values(data, m.numerator, table_id, source_path)
        den = _role_values(data, m.denominator, table_id, source_path)
        val = _role_values(data, m.value, table_id, source_path)
        se = _role_values(data, m.se, table_id, source_path)
        flags = [[] for _ in range(len(data))]
        if m.numerator is not None and m.numerator.percent_of_denominator:
            if m.denominator is not None and m.denominator.from_indicator:
                # the weight comes later (resolve_weights): keep the percentage as the value
                val, num = num, pd.Series(np.nan, index=num.index)
                pct_ok = val.notna()
            else:
                num = num / 100.0 * den
                pct_ok = num.notna()
            for f, ok in zip(flags, pct_ok, strict=True):
                if ok:
                    f.append(FLAG_PERCENT)
        rounded_roles = [
            s for s in (m.numerator, m.denominator) if s is not None and s.rounded and s.column
        ]
        if rounded_roles and rounded_levels:
            for f, lev in zip(flags, levels, strict=True):
                if lev in rounded_levels:
                    f.append(FLAG_ROUNDED)
        if table.model_estimate:
            for f in flags:
                f.append(FLAG_MODEL)
        weight_from = (
            m.denominator.from_indicator
            if m.denominator is not None and m.denominator.from_indicator
            else ""
        )
        parts.append(
            pd.DataFrame(
                {
                    "unit_code": codes.to_numpy(),
                    "indicator_id": ind_id,
                    "period": periods.astype("int64").to_numpy(),
                    "numerator": num.to_numpy(float),
                    "denominator": den.to_numpy(float),
                    "value": val.to_numpy(float),
                    "se": se.to_numpy(float),
                    "geo_year": int(geo_year),
                    "table_id": table_id,
                    "flags": [";".join(f) for f in flags],
                    "weight_from": weight_from,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LONG_COLUMNS)
    dup = out.duplicated(["unit_code", "indicator_id", "period"])
    if dup.any():
        r = out[dup].iloc[0]
        raise InputError(
            f"table {table_id}: more than one row for unit {r.unit_code} in {r.period} "
            "(are the dimension filters in the mapping complete?)",
            path=source_path,
        )
    return out[LONG_COLUMNS]


def add_flag(flags: pd.Series, flag: str, mask: pd.Series | np.ndarray) -> pd.Series:
    """Append ``flag`` to the ``;``-separated flags where ``mask`` holds."""
    mask = np.asarray(mask, dtype=bool)
    out = flags.copy()
    out[mask] = [
        ";".join(dict.fromkeys([x for x in (s.split(";") if s else []) + [flag]]))
        for s in flags[mask]
    ]
    return out


def resolve_weights(obs: pd.DataFrame) -> pd.DataFrame:
    """Fill ``from_indicator`` denominators and the numerators derived from them.

    For rows with ``weight_from`` set, the denominator is the denominator of that
    indicator for the same unit and period; if that period is missing, the
    nearest period of the same unit is used (flag ``weight_from_<year>``). A
    percentage row (numerator role ``percent_of_denominator``, kept as the value
    by :func:`apply_mapping`) gets numerator = value / 100 x weight, so the
    recomputed value equals the published percentage. Without any weight the
    row keeps only its value (flag ``no_weight``).
    """
    need = obs["weight_from"].astype(str) != ""
    if not need.any():
        return obs
    out = obs.copy()
    donors = obs[~need & obs["denominator"].notna()][
        ["unit_code", "indicator_id", "period", "denominator"]
    ]
    for w_ind in sorted(set(out.loc[need, "weight_from"])):
        rows = need & (out["weight_from"] == w_ind)
        d = donors[donors["indicator_id"] == w_ind]
        exact = d.set_index(["unit_code", "period"])["denominator"]
        keys = pd.MultiIndex.from_frame(out.loc[rows, ["unit_code", "period"]])
        den = pd.Series(exact.reindex(keys).to_numpy(), index=out.index[rows])
        note = pd.Series("", index=den.index, dtype=object)
        missing = den.isna()
        if missing.any() and len(d):
            by_unit = {u: g.sort_values("period") for u, g in d.groupby("unit_code")}
            for idx in den.index[missing]:
                g = by_unit.get(out.at[idx, "unit_code"])
                if g is None:
                    continue
                p = int(out.at[idx, "period"])
                j = int(np.argmin(np.abs(g["period"].to_numpy() - p)))
                den[idx] = g["denominator"].iloc[j]
                note[idx] = f"weight_from_{int(g['period'].iloc[j])}"
        out.loc[rows, "denominator"] = den
        is_pct = out["flags"].str.split(";").map(lambda f: FLAG_PERCENT in f)
        pct = rows & is_pct & out["numerator"].isna() & out["value"].notna()
        out.loc[pct, "numerator"] = out.loc[pct, "value"] / 100.0 * out.loc[pct, "denominator"]
        for idx in note.index[note != ""]:
            out.at[idx, "flags"] = add_flag(out.loc[[idx], "flags"], note[idx], [True]).iloc[0]
        no_w = rows & out["denominator"].isna()
        out["flags"] = add_flag(out["flags"], FLAG_NO_WEIGHT, no_w)
    return out
