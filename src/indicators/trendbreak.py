"""Trend-break evidence for every area at once (Trendbreuk Zuid-Limburg).

The Trendbreuk aim (since 2018) is that by 2030 a quarter of South Limburg's
health backlog against the rest of the Netherlands is closed; a 2025
follow-up found the gaps did not narrow 2016-2020 ("trend-following"). The
evidence is therefore about the *gap* series. :func:`compute_trendbreak` runs
once per build, after :func:`indicators.compute.compute_all`, and answers for
the region and for every area approach:

* the gap per indicator and year, oriented so that a positive gap is a backlog
  (region: against the rest of NL, ``NL01`` minus the region; areas: against
  ``NL01``);
* an interrupted time series (ITS) of the annual gap at the start year (level
  and slope change, OLS standard errors, Durbin-Watson and Breusch-Godfrey),
  with the counterfactual (pre-trend continued) and its band;
* the 2030 target assessment ("op koers", "niet op koers", "nog niet te
  beoordelen") with the Dutch reason;
* for the areas, a difference-in-differences estimate and an event study
  against the area's comparison areas, where these make a clean control.

Every analysis that cannot be done gets a row in ``status`` with the reason
in Dutch, so a report never silently leaves something out. Honesty rules:
with fewer than ``min_pre_points`` (4) annual points before or
``min_post_points`` (3) after the start there is no estimate at all; declared
data breaks are listed and never modelled across; small-area model estimates
are flagged (``model_estimate``). The settings live
in ``data/catalogue/trendbreak.yml`` (:func:`load_trendbreak_config`).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indicators.breaks import (
    MIN_POST_START_POINTS,
    assess_target_arrays,
    did,
    event_study,
    fit_its,
    gap_series,
    rest_of_reference,
    target_path,
)
from indicators.breaks.its import MIN_POINTS_PER_SEGMENT
from indicators.compute import Results
from indicators.config import (
    AreaSet,
    Catalogue,
    Indicator,
    _format_validation_error,
    project_root,
    read_yaml,
)
from indicators.exceptions import ArgumentError, InputError

__all__ = [
    "TRENDBREAK_TABLES",
    "DataBreak",
    "TrendBreakConfig",
    "TrendBreakIndicator",
    "TrendBreakResults",
    "compute_trendbreak",
    "load_trendbreak_config",
    "parse_trendbreak_config",
]

Direction = Literal["higher_is_worse", "higher_is_better"]
EXPECTED_DIRECTION = {"lower_is_better": "higher_is_worse", "higher_is_better": "higher_is_better"}
SUBFOLDER = "trendbreak"


# ----------------------------------------------------------------- configuration


class _Strict(BaseModel):
    # No whitespace stripping: nothing here needs it, and it would be surprising.
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataBreak(_Strict):
    """A declared break in an indicator's series (definition, geography or source).

    Attributes
    ----------
    year : int
        First year on the new basis: values from ``year`` on are not
        comparable with values before it.
    kind : {"definitie", "indeling", "bron"}
        What changed: the definition, the geography (boundaries) or the source.
    reason_nl : str
        Dutch explanation shown in the report.
    areas : list of str
        Entity keys (``region:zuid-limburg`` or area slugs) the break applies
        to; empty (default) means every entity.
    """

    year: int = Field(ge=1900, le=2100)
    kind: Literal["definitie", "indeling", "bron"] = "definitie"
    reason_nl: str = Field(min_length=1)
    areas: list[str] = Field(default_factory=list)

    def applies_to(self, key: str) -> bool:
        return not self.areas or key in self.areas


class TrendBreakIndicator(_Strict):
    """One gap domain mapped to a catalogue indicator.

    Attributes
    ----------
    id : str
        Catalogue indicator id.
    domain_nl : str
        Trendbreuk gap domain, in Dutch (e.g. ``"Leefstijl (roken)"``).
    direction : {"higher_is_worse", "higher_is_better"}
        Sign of the backlog: ``higher_is_worse`` gives ``gap = area -
        reference``, ``higher_is_better`` ``gap = reference - area``, so a
        positive gap is always a backlog. Must agree with the catalogue
        polarity.
    unit_short : str
        Short unit for sentences (``"jaar"``, ``"procentpunt"``).
    decimals : int
        Decimals for gaps in the report.
    model_estimate : bool
        True when the published figures are small-area model estimates (e.g.
        RIVM SMAP estimates from the Gezondheidsmonitor), not counts or
        direct survey estimates; the report labels them "modelschatting".
    estimate_note_nl : str
        Dutch description of the model estimate (source, method).
    breaks : list of DataBreak
        Declared data breaks; the ITS is never fitted across one.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    domain_nl: str = Field(min_length=1)
    direction: Direction
    unit_short: str = ""
    decimals: int = Field(1, ge=0, le=4)
    model_estimate: bool = False
    estimate_note_nl: str = ""
    breaks: list[DataBreak] = Field(default_factory=list)

    def breaks_for(self, key: str) -> list[DataBreak]:
        """Breaks that apply to entity ``key``, by year."""
        return sorted((b for b in self.breaks if b.applies_to(key)), key=lambda b: b.year)


class TrendBreakConfig(_Strict):
    """Validated ``data/catalogue/trendbreak.yml`` (see the file for the rules)."""

    programme: str = Field(min_length=1)
    region: str = Field(pattern=r"^region:[a-z0-9]+(?:-[a-z0-9]+)*$")
    national: str = Field("NL01", pattern=r"^NL01$")
    reference: Literal["rest_of_nl"]
    area_reference: Literal["nl"]
    area_kinds: list[Literal["aandachtswijk", "dorpsaanpak", "gemeente", "provincie"]]
    gap_kind: Literal["difference"]
    start_year: int = Field(ge=2000, le=2100)
    target_year: int = Field(ge=2000, le=2100)
    fraction: float = Field(gt=0, le=1)
    confidence: float = Field(0.95, gt=0, lt=1)
    se_method: Literal["ols", "ar1", "hac"] = "ols"
    min_pre_points: int = Field(4, ge=MIN_POINTS_PER_SEGMENT)
    min_post_points: int = Field(3, ge=MIN_POINTS_PER_SEGMENT - 1)
    indicators: list[TrendBreakIndicator] = Field(min_length=1)

    @property
    def by_id(self) -> dict[str, TrendBreakIndicator]:
        return {i.id: i for i in self.indicators}

    def sign(self, indicator_id: str) -> float:
        """+1 when a higher value is worse (gap = area - reference), else -1."""
        return 1.0 if self.by_id[indicator_id].direction == "higher_is_worse" else -1.0


def parse_trendbreak_config(
    raw: object, catalogue: Catalogue, source: str | Path = "<dict>"
) -> TrendBreakConfig:
    """Validate a Trendbreuk configuration mapping against the catalogue.

    Parameters
    ----------
    raw : dict
        The parsed YAML.
    catalogue : Catalogue
        Every indicator must exist there, and its ``direction`` must agree
        with the catalogue polarity (``lower_is_better`` -> ``higher_is_worse``,
        ``higher_is_better`` -> ``higher_is_better``; ``neutral`` indicators
        have no backlog and are rejected).
    source : str or Path
        File name used in error messages.

    Raises
    ------
    indicators.exceptions.InputError
        Naming the file and the key (``key 'indicators.2.direction'``).
    """
    if not isinstance(raw, dict):
        raise InputError("expected a mapping of Trendbreuk settings", path=str(source))
    try:
        cfg = TrendBreakConfig.model_validate(raw)
    except ValidationError as err:
        raise _format_validation_error(Path(source), err) from None

    def fail(msg: str, key: str) -> InputError:
        return InputError(msg, path=str(source), row=f"key '{key}'")

    if not cfg.target_year > cfg.start_year:
        raise fail(
            f"target_year ({cfg.target_year}) must be after start_year ({cfg.start_year})",
            "target_year",
        )
    seen: set[str] = set()
    for k, ind in enumerate(cfg.indicators):
        if ind.id in seen:
            raise fail(f"duplicate indicator '{ind.id}'", f"indicators.{k}.id")
        seen.add(ind.id)
        if ind.id not in catalogue.by_id:
            raise fail(f"indicator '{ind.id}' is not in the catalogue", f"indicators.{k}.id")
        polarity = catalogue.by_id[ind.id].polarity
        if polarity == "neutral":
            raise fail(
                f"indicator '{ind.id}' has polarity 'neutral' in the catalogue: without a "
                "better side there is no backlog",
                f"indicators.{k}.id",
            )
        if ind.direction != EXPECTED_DIRECTION[polarity]:
            raise fail(
                f"direction '{ind.direction}' of '{ind.id}' contradicts catalogue polarity "
                f"'{polarity}' (expected '{EXPECTED_DIRECTION[polarity]}')",
                f"indicators.{k}.direction",
            )
        if ind.model_estimate and not ind.estimate_note_nl.strip():
            raise fail(
                f"indicator '{ind.id}' is a model estimate: say which model in estimate_note_nl",
                f"indicators.{k}.estimate_note_nl",
            )
        years: set[tuple[int, str]] = set()
        for j, br in enumerate(ind.breaks):
            for key in br.areas or ["*"]:
                if (br.year, key) in years:
                    raise fail(
                        f"duplicate data break {br.year} for '{ind.id}'"
                        + ("" if key == "*" else f" in '{key}'"),
                        f"indicators.{k}.breaks.{j}.year",
                    )
                years.add((br.year, key))
            for key in br.areas:
                if not re.fullmatch(r"(region:)?[a-z0-9]+(?:-[a-z0-9]+)*", key):
                    raise fail(
                        f"'{key}' is not an area slug or region key",
                        f"indicators.{k}.breaks.{j}.areas",
                    )
    return cfg


def load_trendbreak_config(
    path: Path | None = None, catalogue: Catalogue | None = None
) -> TrendBreakConfig:
    """Load and validate ``data/catalogue/trendbreak.yml`` (or ``path``)."""
    from indicators.config import load_catalogue

    path = Path(path) if path else project_root() / "data" / "catalogue" / "trendbreak.yml"
    catalogue = catalogue if catalogue is not None else load_catalogue()
    return parse_trendbreak_config(read_yaml(path), catalogue, source=path)


# ----------------------------------------------------------------- output tables

_S, _F, _I, _B = "str", "float", "int", "bool"
SCHEMAS: dict[str, tuple[tuple[str, str], ...]] = {
    "entities": (
        ("area", _S), ("name", _S), ("kind", _S), ("intervention_start", _I),
        ("reference", _S), ("comparison_areas", _S),
    ),
    "gaps": (
        ("area", _S), ("indicator_id", _S), ("period", _I), ("area_value", _F),
        ("area_lower", _F), ("area_upper", _F), ("reference_value", _F),
        ("reference_lower", _F), ("reference_upper", _F), ("gap", _F), ("lower", _F),
        ("upper", _F), ("sign", _F), ("reference", _S), ("method", _S), ("flags", _S),
        ("model_estimate", _B),
    ),
    "its": (
        ("area", _S), ("indicator_id", _S), ("se_method", _S), ("term", _S),
        ("estimate", _F), ("se", _F), ("lower", _F), ("upper", _F), ("p_value", _F),
        ("primary", _B), ("intervention_start", _I), ("method", _S),
    ),
    "diagnostics": (
        ("area", _S), ("indicator_id", _S), ("intervention_start", _I), ("n", _I),
        ("n_pre", _I), ("n_post", _I), ("durbin_watson", _F), ("bg_lm", _F),
        ("bg_p_value", _F), ("bg_lags", _I), ("residual_sd", _F), ("ar1_rho", _F),
        ("se_method", _S), ("method", _S), ("first_period", _I), ("last_period", _I),
    ),
    "counterfactual": (
        ("area", _S), ("indicator_id", _S), ("period", _I), ("post", _B), ("observed", _F),
        ("fitted", _F), ("counterfactual", _F), ("lower", _F), ("upper", _F),
    ),
    "trajectory": (
        ("area", _S), ("indicator_id", _S), ("period", _I), ("target_gap", _F),
    ),
    "targets": (
        ("area", _S), ("indicator_id", _S), ("start_year", _I), ("target_year", _I),
        ("fraction", _F), ("start_gap", _F), ("required_gap", _F), ("projected", _F),
        ("lower", _F), ("upper", _F), ("slope", _F), ("n_points", _I),
        ("verdict_code", _S), ("verdict_nl", _S), ("reason_nl", _S), ("status", _S),
        ("confidence", _F), ("method", _S),
    ),
    "did": (
        ("area", _S), ("indicator_id", _S), ("post_start", _I), ("window_start", _I),
        ("window_end", _I), ("comparison_areas", _S), ("estimate", _F), ("se", _F),
        ("lower", _F), ("upper", _F), ("p_value", _F), ("pre_trend_p_value", _F),
        ("placebo_p_value", _F), ("n_placebo", _I), ("n_obs", _I), ("n_units", _I), ("n_treated_units", _I), ("n_periods", _I),
        ("confidence", _F), ("method", _S),
    ),
    "event_study": (
        ("area", _S), ("indicator_id", _S), ("period", _I), ("relative_period", _I),
        ("estimate", _F), ("se", _F), ("lower", _F), ("upper", _F), ("p_value", _F),
        ("reference", _B), ("method", _S),
    ),
    "status": (
        ("area", _S), ("indicator_id", _S), ("analysis", _S), ("status", _S),
        ("reason_nl", _S),
    ),
    "breaks": (
        ("area", _S), ("indicator_id", _S), ("year", _I), ("kind", _S), ("reason_nl", _S),
    ),
}  # fmt: skip
_SORT_KEYS = {
    "entities": ["area"],
    "gaps": ["area", "indicator_id", "period"],
    "its": ["area", "indicator_id", "se_method", "term"],
    "diagnostics": ["area", "indicator_id"],
    "counterfactual": ["area", "indicator_id", "period"],
    "trajectory": ["area", "indicator_id", "period"],
    "targets": ["area", "indicator_id"],
    "did": ["area", "indicator_id"],
    "event_study": ["area", "indicator_id", "period"],
    "status": ["area", "indicator_id", "analysis"],
    "breaks": ["area", "indicator_id", "year"],
}
TRENDBREAK_TABLES: tuple[str, ...] = tuple(SCHEMAS)


def _to_bool(v: object) -> bool:
    return v == "True" if isinstance(v, str) else bool(v)


def _to_str(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _conform(name: str, rows: pd.DataFrame | list[dict]) -> pd.DataFrame:
    """Columns in schema order, canonical dtypes, deterministic row order."""
    schema = SCHEMAS[name]
    df = pd.DataFrame(rows) if isinstance(rows, list) else rows.copy()
    cols = [c for c, _ in schema]
    for c in cols:
        if c not in df.columns:
            df[c] = np.nan if dict(schema)[c] == _F else ""
    df = df[cols]
    out = {}
    for c, kind in schema:
        s = df[c]
        if kind == _F:
            out[c] = pd.to_numeric(s, errors="raise").astype("float64")
        elif kind == _I:
            out[c] = pd.to_numeric(s, errors="raise").astype("int64")
        elif kind == _B:
            out[c] = s.map(_to_bool).astype(bool)
        elif not s.isna().any() and pd.api.types.infer_dtype(s, skipna=False) == "string":
            out[c] = s.astype(str)  # text without gaps: what the per-cell map gives, at once
        else:
            out[c] = s.map(_to_str).astype(str)
    df = pd.DataFrame(out, columns=cols)
    return df.sort_values(_SORT_KEYS[name], kind="stable").reset_index(drop=True)


#: read_csv's dtype per schema kind (text stays text: no NA values are read).
_READ_DTYPES = {_F: "float64", _I: "int64", _B: "bool", _S: "str"}


def _read_table(path: Path, name: str) -> pd.DataFrame:
    """Table ``name`` as :meth:`TrendBreakResults.save` wrote it, back in its dtypes.

    read_csv types the columns itself, so only the row order is set here (a report's
    slice holds its own rows before those of its comparison areas). Typing every
    column after reading, as :func:`_conform` does for computed rows, took three
    quarters of a report's trend-break load (about 30 of 43 ms; issue 7). A file
    this does not fit (other columns, a bool cell that is not ``True``/``False``)
    takes the general path: read as text, then :func:`_conform`. Both give the same
    frame for a saved table (tests/test_trendbreak.py).
    """
    schema = SCHEMAS[name]
    cols = [c for c, _ in schema]
    floats = {c: [""] for c, k in schema if k == _F}
    try:
        df = pd.read_csv(
            path,
            dtype={c: _READ_DTYPES[k] for c, k in schema},
            keep_default_na=False,
            na_values=floats,
        )
    except ValueError:
        df = None
    if df is None or list(df.columns) != cols:
        df = pd.read_csv(
            path,
            dtype={c: str for c, k in schema if k in (_S, _B)},
            keep_default_na=False,
            na_values=floats,
        )
        return _conform(name, df)
    return df.sort_values(_SORT_KEYS[name], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class TrendBreakResults:
    """Output of :func:`compute_trendbreak`: tidy tables, one row per entity x indicator [x ...].

    ``area`` is the entity key as in :class:`indicators.compute.Results`
    (``region:zuid-limburg`` or an area slug). Gaps are oriented so that a
    positive gap is a backlog.

    Attributes
    ----------
    entities : DataFrame
        ``area, name, kind, intervention_start, reference`` (``rest_nl`` or
        ``NL01``), ``comparison_areas`` (slugs joined by ``;``).
    gaps : DataFrame
        Per area, indicator and period: the area's and the reference's value
        and 95% CI, the oriented ``gap`` with ``lower``/``upper`` (MOVER),
        ``sign`` (+1: gap = area - reference; -1: reference - area),
        ``reference``, ``method``, the area's ``flags`` and
        ``model_estimate`` (True for small-area model estimates).
    its : DataFrame
        ITS coefficients per ``se_method`` and ``term``: ``intercept`` (the
        pre-trend gap in the start year; time is centred there),
        ``pre_trend``, ``level_change``, ``slope_change`` (per year), with
        ``estimate, se, lower, upper, p_value``; ``primary`` is False for the
        AR(1) sensitivity fit of the region.
    diagnostics : DataFrame
        Per ITS fit: ``n, n_pre, n_post`` (points before / from the start),
        ``durbin_watson``, Breusch-Godfrey ``bg_lm, bg_p_value, bg_lags``,
        ``residual_sd``, ``ar1_rho`` (region sensitivity fit), ``se_method``,
        ``first_period``/``last_period`` of the segment fitted (a data break
        shortens it).
    counterfactual : DataFrame
        Per fitted period: ``observed``, ``fitted`` (with the break),
        ``counterfactual`` (pre-trend continued) and its band ``lower``/
        ``upper`` for the post period (``post`` True).
    trajectory : DataFrame
        Straight path from the start-year backlog to the target (``target_gap``).
    targets : DataFrame
        One row per entity and indicator: ``verdict_code``, ``verdict_nl``,
        ``reason_nl``, ``projected`` (gap in the target year) with ``lower``/
        ``upper``, ``required_gap``, ``start_gap``, ``slope``, ``n_points``
        (values after the start year), ``status``.
    did : DataFrame
        Two-way FE difference-in-differences of the oriented gap, area vs its
        clean comparison areas, within ``window_start..window_end``.
    event_study : DataFrame
        Leads and lags (``relative_period``; reference = year before start).
    status : DataFrame
        Per entity, indicator and analysis (``its``, ``target``, ``did``):
        ``status`` (``ok`` or why not) and ``reason_nl`` (for ``ok`` rows a
        note, e.g. which segment was used because of a data break).
    breaks : DataFrame
        Declared data breaks that fall inside an entity's gap series
        (``year`` after its first period): ``year``, ``kind``, ``reason_nl``.
    meta : dict
        The configuration used.
    """

    entities: pd.DataFrame
    gaps: pd.DataFrame
    its: pd.DataFrame
    diagnostics: pd.DataFrame
    counterfactual: pd.DataFrame
    trajectory: pd.DataFrame
    targets: pd.DataFrame
    did: pd.DataFrame
    event_study: pd.DataFrame
    status: pd.DataFrame
    breaks: pd.DataFrame
    meta: dict = field(default_factory=dict)

    def save(self, results_dir: Path) -> Path:
        """Write every table as CSV to ``results_dir/trendbreak/`` (floats ``%.17g``)."""
        from indicators.store import write_meta, write_table

        out = Path(results_dir) / SUBFOLDER
        out.mkdir(parents=True, exist_ok=True)
        for name in TRENDBREAK_TABLES:
            write_table(self.table(name), out / f"{name}.csv")
        write_meta(self.meta, out / "meta.json")
        return out

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` as :meth:`save` writes it (schema columns, dtypes and row order)."""
        return _conform(name, getattr(self, name))

    @classmethod
    def load(cls, results_dir: Path) -> TrendBreakResults:
        """Read the tables written by :meth:`save` (exact round trip)."""
        d = Path(results_dir) / SUBFOLDER
        if not d.is_dir():
            raise InputError("no trend-break results; run the compute step", path=str(d))
        tables = {name: _read_table(d / f"{name}.csv", name) for name in TRENDBREAK_TABLES}
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        return cls(**tables, meta=meta)


# ----------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _GapSeries:
    """One entity's oriented gap series for one indicator, as arrays (rows in period order).

    The per-entity loop of :func:`compute_trendbreak` reads a few values of
    each series; small DataFrames made pandas' per-call overhead most of the
    step's time (issue 7). :meth:`frame` builds the DataFrame where a model
    needs one (ITS, DiD).
    """

    period: np.ndarray
    gap: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def empty(self) -> bool:
        return not len(self.period)

    def take(self, mask: np.ndarray) -> _GapSeries:
        """The rows where ``mask`` is true."""
        return _GapSeries(self.period[mask], self.gap[mask], self.lower[mask], self.upper[mask])

    def frame(self) -> pd.DataFrame:
        """``period, gap, lower, upper`` as a DataFrame."""
        return pd.DataFrame(
            {"period": self.period, "gap": self.gap, "lower": self.lower, "upper": self.upper}
        )


_NO_GAPS = _GapSeries(*(np.array([], dtype=t) for t in ("int64", "float64", "float64", "float64")))


def _split_gaps(gaps: pd.DataFrame) -> dict[tuple[str, str], _GapSeries]:
    """The gap rows per (area, indicator_id), in their order in ``gaps``."""
    if gaps.empty:
        return {}
    cols = [gaps[c].to_numpy() for c in ("period", "gap", "lower", "upper")]
    return {
        (k[0], k[1]): _GapSeries(*(c[ix] for c in cols))
        for k, ix in gaps.groupby(["area", "indicator_id"], sort=True).indices.items()
    }


def _join_nl(items: list[str]) -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


def _years(periods) -> str:
    return _join_nl([str(int(p)) for p in sorted(periods)])


def _series(values: pd.DataFrame, area: str, indicator_id: str) -> pd.DataFrame:
    return values[(values["area"] == area) & (values["indicator_id"] == indicator_id)]


def _rest_of_nl(
    nl: pd.DataFrame, region: pd.DataFrame, ind: Indicator, confidence: float
) -> pd.DataFrame:
    """NL minus the region: from counts for sum indicators, weighted means otherwise."""
    if ind.aggregation == "sum":
        cols = ["period", "numerator", "denominator"]
        kind = "proportion" if ind.value_type == "proportion" else "rate"
        return rest_of_reference(
            nl[cols], region[cols], kind=kind, multiplier=ind.multiplier, confidence=confidence
        )
    cols = ["period", "value", "se", "weight"]
    return rest_of_reference(
        nl.assign(weight=nl["denominator"])[cols],
        region.assign(weight=region["denominator"])[cols],
        kind="weighted_mean",
        confidence=confidence,
    )


def _oriented_gaps(
    area: pd.DataFrame, ref: pd.DataFrame, sign: float, confidence: float
) -> pd.DataFrame:
    """``gap_series`` (area - reference) times ``sign``, so that a backlog is positive.

    ``area`` holds the rows of one indicator for any number of areas (``area,
    period, value, lower_ci, upper_ci, flags``); ``ref`` the reference rows
    per ``area`` and ``period``. One :func:`indicators.breaks.gap_series`
    call handles all areas: each row gets a unique key (area code x 10,000 +
    year), which is allowed because the gap is computed row by row.
    """
    cols = ["area", "period", "value", "lower_ci", "upper_ci"]
    a = area.dropna(subset=["value"])
    m = a[[*cols, "flags"]].merge(
        ref[cols].dropna(subset=["value"]), on=["area", "period"], suffixes=("", "_ref")
    )
    codes, _ = pd.factorize(m["area"])
    m = m.assign(key=codes * 10_000 + m["period"].astype(int)).sort_values("key")
    series = ["value", "lower_ci", "upper_ci"]
    g = gap_series(
        m[["key", *series]].rename(columns={"key": "period"}),
        m[["key"] + [f"{c}_ref" for c in series]].rename(
            columns={"key": "period", **{f"{c}_ref": c for c in series}}
        ),
        kind="difference",
        confidence=confidence,
    )
    if not np.array_equal(g["period"].to_numpy(), m["key"].to_numpy()):
        raise AssertionError("gap_series changed the row order")  # pragma: no cover
    lo, hi = g["lower"].to_numpy(), g["upper"].to_numpy()
    return pd.DataFrame(
        {
            "area": m["area"].to_numpy(),
            "period": m["period"].astype(int).to_numpy(),
            "area_value": m["value"].to_numpy(),
            "area_lower": m["lower_ci"].to_numpy(),
            "area_upper": m["upper_ci"].to_numpy(),
            "reference_value": m["value_ref"].to_numpy(),
            "reference_lower": m["lower_ci_ref"].to_numpy(),
            "reference_upper": m["upper_ci_ref"].to_numpy(),
            "gap": sign * g["gap"].to_numpy(),
            "lower": sign * (lo if sign > 0 else hi),
            "upper": sign * (hi if sign > 0 else lo),
            "sign": sign,
            "method": g["method"].to_numpy(),
            "flags": m["flags"].to_numpy(),
        }
    )


def _status(area: str, ind: str, analysis: str, status: str, reason: str = "") -> dict:
    return {
        "area": area,
        "indicator_id": ind,
        "analysis": analysis,
        "status": status,
        "reason_nl": reason,
    }


def _level_reason(ind: Indicator) -> str:
    level = {"gemeente": "per gemeente", "wijk": "per hele wijk", "buurt": "per buurt"}
    return (
        f"niet beschikbaar op het niveau van dit gebied ({ind.label_nl} wordt alleen "
        f"{level[ind.lowest_level]} gepubliceerd)."
    )


def _explain_missing(
    status_rows: list[dict],
    target_rows: list[dict],
    values: pd.DataFrame,
    cat: dict[str, Indicator],
    config: TrendBreakConfig,
    names: dict[str, str],
    absent: list[str],
    in_data: Collection[str] | None = None,
) -> None:
    """Replace the level explanation of an empty gap series by the real reason, in place.

    :func:`_level_reason` ("only published per gemeente") is right when the
    indicator is in the data but not at the area's level. With real data the
    indicator may be missing altogether, or only Nederland's (or the region's)
    figure may be missing (e.g. an average that ``build-tables`` does not
    derive from the municipalities); then the report must say that instead.
    Entities that are absent altogether are handled by the caller. ``in_data``
    (default: from ``values``) are the indicators with a value for any entity.
    """
    v = values[values["value"].notna()] if "value" in values.columns else values
    in_data = set(v["indicator_id"].unique()) if in_data is None else set(in_data)
    # only the reference entities' pairs are looked up (not a set of every row: issue 7)
    refs = v[v["area"].isin([config.national, config.region])]
    have = set(zip(refs["area"], refs["indicator_id"], strict=True))
    # the same form as the level reason they replace (targets carry a prefix)
    for rows, prefix in ((status_rows, ""), (target_rows, "Niet te beoordelen: ")):
        for row in rows:
            ind = cat.get(row["indicator_id"])
            if row.get("status") != "no_data" or ind is None:
                continue
            if not str(row.get("reason_nl", "")).endswith(_level_reason(ind)):
                continue
            area, iid = row["area"], row["indicator_id"]
            if iid not in in_data:
                text = f"{ind.label_nl} zit niet in de gebruikte gegevens."
                if not prefix:  # a status reason starts in lower case, like the level reason
                    text = "de indicator zit niet in de gebruikte gegevens."
            elif config.national not in absent and (config.national, iid) not in have:
                row["status"] = "no_reference"
                text = (
                    f"de gegevens bevatten voor {ind.label_nl} geen cijfers voor Nederland, dus "
                    "er is geen kloof te berekenen."
                )
            elif (
                area == config.region
                and config.region not in absent
                and (config.region, iid) not in have
            ):
                region = names.get(config.region, "de regio")
                text = (
                    f"de gegevens bevatten voor {ind.label_nl} geen cijfers voor {region}, dus "
                    "er is geen kloof te berekenen."
                )
            else:
                continue
            row["reason_nl"] = prefix + text


def _segment_bounds(breaks: list[DataBreak], start: int) -> tuple[float, float]:
    """Years ``[lo, hi)`` of the segment around ``start`` not crossed by a data break."""
    lo = max((b.year for b in breaks if b.year <= start), default=-math.inf)
    hi = min((b.year for b in breaks if b.year > start), default=math.inf)
    return lo, hi


def _inside(breaks: list[DataBreak], periods) -> list[DataBreak]:
    """Breaks that split the series: after its first period, at or before its last."""
    p = np.asarray(periods, dtype=float)
    if not len(p):
        return []
    return [b for b in breaks if p.min() < b.year <= p.max()]


def _break_text(b: DataBreak) -> str:
    kind = {"definitie": "andere definitie", "indeling": "andere gebiedsindeling",
            "bron": "andere bron"}[b.kind]  # fmt: skip
    return f"databreuk in {b.year} ({kind}: {b.reason_nl.strip().rstrip('.')})"


def _its_eligibility(
    gap: _GapSeries,
    ind: Indicator,
    start: int,
    cfg: TrendBreakConfig,
    breaks: list[DataBreak] | None = None,
) -> tuple[str, str, _GapSeries]:
    """Status code, Dutch reason or note, and the gap rows to fit.

    The fit uses only the segment around ``start`` that no declared data
    break crosses (:func:`_segment_bounds`); the minimum points apply to that
    segment. For ``ok`` the text is a note (empty unless a break shortened
    the series).
    """
    if gap.empty:
        return "no_data", _level_reason(ind), gap
    periods = gap.period
    if ind.frequency != "annual":
        return (
            "not_annual",
            (
                f"enquête-indicator met metingen in {_years(periods)}: te weinig meetpunten voor een "
                "onderbroken tijdreeks, die jaarlijkse metingen vraagt."
            ),
            gap,
        )
    inside = _inside(breaks or [], periods)
    lo, hi = _segment_bounds(inside, start)
    seg = gap.take((periods >= lo) & (periods < hi))
    used = [b for b in inside if b.year in (lo, hi)]
    why = ""
    if used:
        texts = "; ".join(_break_text(b) for b in used)
        span = (
            f"alleen de metingen {int(seg.period.min())}–{int(seg.period.max())} tellen mee"
            if not seg.empty
            else "er blijven geen metingen over"
        )
        why = (
            f"{texts[0].upper()}{texts[1:]}. Er wordt niet over een databreuk heen geschat: {span}"
        )
    if lo == start:
        return (
            "data_break",
            (
                f"de {_break_text(used[0])} valt in het startjaar zelf: een verandering door de aanpak "
                "is dan niet te scheiden van de verandering in de cijfers, dus geen schatting."
            ),
            seg,
        )
    sp = seg.period
    n_pre = int(np.sum(sp < start))
    n_after = int(np.sum(sp > start))
    n_from = int(np.sum(sp >= start))
    rule = (
        f"een onderbroken tijdreeks vraagt minstens {cfg.min_pre_points} jaarlijkse metingen "
        f"vóór {start} en {cfg.min_post_points} na {start}, anders geven we geen schatting"
    )
    suffix = f" {why}." if why else ""
    if n_after < cfg.min_post_points or n_from < MIN_POINTS_PER_SEGMENT:
        return "too_few_post", f"te weinig meetpunten na de start ({n_after}): {rule}.{suffix}", seg
    if n_pre < cfg.min_pre_points:
        first = int(sp.min()) if len(sp) else int(periods.min())
        begin = f"de reeks begint in {first}" if not why else f"na de databreuk vanaf {first}"
        return (
            "too_few_pre",
            (f"te weinig meetpunten vóór de start ({n_pre}; {begin}): {rule}.{suffix}"),
            seg,
        )
    return "ok", (f"{why}." if why else ""), seg


def _fit(gap: _GapSeries, start: int, se_method: str, conf: float):
    frame = pd.DataFrame({"t": gap.period - start, "gap": gap.gap})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_its(
            frame, time_col="t", outcome_col="gap", intervention_start=0,
            se_method=se_method, confidence=conf,
        )  # fmt: skip


def _its_rows(
    key: str, ind_id: str, gap: _GapSeries, start: int, cfg: TrendBreakConfig, sensitivity: bool
) -> tuple[list[dict], dict, list[dict]]:
    res = _fit(gap, start, cfg.se_method, cfg.confidence)
    fits = [(cfg.se_method, res, True)]
    rho = float("nan")
    if sensitivity and cfg.se_method != "ar1":
        try:
            ar = _fit(gap, start, "ar1", cfg.confidence)
            fits.append(("ar1", ar, False))
            rho = ar.diagnostics.ar1_rho
        except (ArgumentError, np.linalg.LinAlgError, ValueError):
            pass
    coef_rows = []
    for se_method, r, primary in fits:
        for term, row in r.coefficients.iterrows():
            coef_rows.append(
                {
                    "area": key, "indicator_id": ind_id, "se_method": se_method, "term": term,
                    "estimate": row["estimate"], "se": row["se"], "lower": row["lower"],
                    "upper": row["upper"], "p_value": row["p_value"], "primary": primary,
                    "intervention_start": start, "method": r.method,
                }
            )  # fmt: skip
    d = res.diagnostics
    diag = {
        "area": key, "indicator_id": ind_id, "intervention_start": start, "n": res.n,
        "n_pre": res.n_pre, "n_post": res.n_post, "durbin_watson": d.durbin_watson,
        "bg_lm": d.breusch_godfrey_lm, "bg_p_value": d.breusch_godfrey_p_value,
        "bg_lags": d.breusch_godfrey_lags, "residual_sd": math.sqrt(d.dispersion),
        "ar1_rho": rho, "se_method": cfg.se_method, "method": res.method,
        "first_period": int(gap.period.min()), "last_period": int(gap.period.max()),
    }  # fmt: skip
    cf = res.counterfactual()
    post = cf["period"].to_numpy() >= 0
    cf_rows = pd.DataFrame(
        {
            "area": key,
            "indicator_id": ind_id,
            "period": (cf["period"].to_numpy() + start).round().astype(int),
            "post": post,
            "observed": res.fitted["observed"].to_numpy(),
            "fitted": cf["fitted"].to_numpy(),
            "counterfactual": cf["counterfactual"].to_numpy(),
            "lower": np.where(post, cf["lower"].to_numpy(), np.nan),
            "upper": np.where(post, cf["upper"].to_numpy(), np.nan),
        }
    ).to_dict("records")
    return coef_rows, diag, cf_rows


def _target_row(
    key: str,
    ind: Indicator,
    spec: TrendBreakIndicator,
    gap: _GapSeries,
    cfg: TrendBreakConfig,
    breaks: list[DataBreak] | None = None,
) -> tuple[dict, list[dict]]:
    start, target = cfg.start_year, cfg.target_year
    base = {
        "area": key, "indicator_id": ind.id, "start_year": start, "target_year": target,
        "fraction": cfg.fraction, "confidence": cfg.confidence, "method": "wls_trend_since_start",
    }  # fmt: skip
    nan = float("nan")
    periods = gap.period
    at_start = gap.gap[periods == start]
    g0 = float(at_start[0]) if len(at_start) else nan
    n_after = int((periods > start).sum())

    def not_assessable(status: str, reason: str) -> tuple[dict, list[dict]]:
        required = (1 - cfg.fraction) * g0 if g0 > 0 else nan
        return {
            **base, "start_gap": g0, "required_gap": required, "projected": nan, "lower": nan,
            "upper": nan, "slope": nan, "n_points": n_after, "verdict_code": "not_assessable",
            "verdict_nl": "nog niet te beoordelen", "reason_nl": reason, "status": status,
        }, []  # fmt: skip

    if gap.empty:
        return not_assessable("no_data", "Niet te beoordelen: " + _level_reason(ind))
    if ind.frequency != "annual":
        return not_assessable(
            "not_annual",
            f"Te weinig meetpunten voor een trend: alleen enquêtemetingen in "
            f"{_years(periods)}, waarvan {n_after} na {start}; voor een oordeel zijn "
            f"minstens {MIN_POST_START_POINTS} metingen na {start} nodig.",
        )
    crossing = [b for b in _inside(breaks, periods) if b.year > start] if breaks else []
    if crossing:
        return not_assessable(
            "data_break",
            f"Niet te beoordelen: {_break_text(crossing[0])}. De trend sinds {start} zou over die "
            "breuk heen lopen, en de cijfers ervoor en erna zijn niet vergelijkbaar.",
        )
    if math.isnan(g0):
        return not_assessable(
            "no_start_value",
            f"Geen meting in {start}: de reeks begint in {int(periods.min())}, dus de "
            f"achterstand bij de start van het programma is onbekend.",
        )
    unit = f" {spec.unit_short}" if spec.unit_short else ""
    try:
        a = assess_target_arrays(
            gap.period, gap.gap, gap.lower, gap.upper, start_year=start,
            polarity="lower_is_better", target_year=target, fraction=cfg.fraction,
            confidence=cfg.confidence, decimals=spec.decimals, unit=unit,
        )  # fmt: skip
    except ArgumentError as err:
        return not_assessable("failed", f"Niet te beoordelen: {err}.")
    row = {
        **base, "start_gap": a.start_gap, "required_gap": a.required_gap_at_target,
        "projected": a.projected_gap_at_target, "lower": a.lower, "upper": a.upper,
        "slope": a.slope, "n_points": a.n_points, "verdict_code": a.verdict_code,
        "verdict_nl": a.verdict_nl, "reason_nl": a.reason_nl, "status": "ok",
        "method": a.method,
    }  # fmt: skip
    traj = []
    if a.start_gap > 0:
        years, path = target_path(start, a.start_gap, target, cfg.fraction)
        traj = [
            {"area": key, "indicator_id": ind.id, "period": int(p), "target_gap": float(v)}
            for p, v in zip(years, path, strict=True)
        ]
    return row, traj


def _did_rows(
    slug: str,
    ind: Indicator,
    areas: AreaSet,
    gaps_by: dict[tuple[str, str], _GapSeries],
    names: dict[str, str],
    cfg: TrendBreakConfig,
    spec: TrendBreakIndicator | None = None,
) -> tuple[dict | None, list[dict], dict]:
    """DiD and event study of one area against its clean comparison areas.

    Eligibility rule: a comparison area is a clean control only if its own
    approach started *later* than the area's (or after the data end, i.e. not
    during the window). The window ends the year before the earliest start
    among the clean controls (or at the last year with data), so the controls
    are untreated throughout, and it never crosses a declared data break of
    any unit in the panel. At least ``min_pre_points`` years before the start
    and ``min_post_points`` after it are needed (as for the ITS).
    """
    area = areas[slug]
    start = area.intervention_start
    gap = gaps_by.get((slug, ind.id), _NO_GAPS)

    def no(status: str, reason: str):
        return None, [], _status(slug, ind.id, "did", status, reason)

    if gap.empty:
        return no("no_data", _level_reason(ind))
    if ind.frequency != "annual":
        return no("not_annual", "enquête-indicator: te weinig meetpunten voor een vergelijking.")
    if not area.comparison_areas:
        return no("no_comparison", "geen vergelijkingsgebieden opgegeven.")
    clean = [c for c in area.comparison_areas if areas[c].intervention_start > start]
    earlier = [c for c in area.comparison_areas if c not in clean]
    if not clean:
        return no(
            "no_clean_comparison",
            f"alle vergelijkingsgebieden ({_join_nl([names.get(c, c) for c in earlier])}) "
            f"zijn in of vóór {start} met een eigen aanpak begonnen, dus er is geen onbehandelde "
            "vergelijkingsgroep.",
        )
    last = int(gap.period.max())
    window_end = min(last, min(areas[c].intervention_start for c in clean) - 1)
    units = {slug: gap}
    for c in clean:
        cg = gaps_by.get((c, ind.id), _NO_GAPS)
        if not cg.empty:
            units[c] = cg
    controls = [c for c in clean if c in units]
    if not controls:
        return no("no_data", "geen gegevens voor de vergelijkingsgebieden.")
    panel = pd.concat(
        [pd.DataFrame({"unit": u, "period": g.period, "gap": g.gap, "treated": float(u == slug)})
         for u, g in units.items()],
        ignore_index=True,
    )  # fmt: skip
    panel = panel[panel["period"] <= window_end]
    brks: dict[int, DataBreak] = {}
    if spec is not None:
        for u in units:
            for b in _inside(spec.breaks_for(u), panel["period"]):
                brks.setdefault(b.year, b)
    lo, hi = _segment_bounds(list(brks.values()), start)
    note_break = ""
    if brks:
        if lo == start:
            return no(
                "data_break",
                f"de {_break_text(brks[int(lo)])} valt in het startjaar: geen vergelijking.",
            )
        panel = panel[(panel["period"] >= lo) & (panel["period"] < hi)]
        used = [brks[int(y)] for y in (lo, hi) if np.isfinite(y)]
        note_break = (
            "; ".join(_break_text(b) for b in used)
            + f", dus alleen {int(panel['period'].min())}–{int(panel['period'].max())} gebruikt"
        )
    tp = panel.loc[panel["unit"] == slug, "period"]
    n_pre, n_after = int((tp < start).sum()), int((tp > start).sum())
    need = (
        f"een vergelijking vraagt minstens {cfg.min_pre_points} jaarlijkse metingen vóór {start} "
        f"en {cfg.min_post_points} na {start}"
    )
    extra = f" ({note_break})" if note_break else ""
    if n_after < cfg.min_post_points:
        where = (
            f", want de vergelijking stopt in {window_end}, het jaar voordat de "
            "vergelijkingsgebieden zelf begonnen"
            if window_end < last
            else ""
        )
        return no(
            "too_few_post", f"te weinig meetpunten na de start ({n_after}{where}): {need}{extra}."
        )
    if n_pre < cfg.min_pre_points:
        return no("too_few_pre", f"te weinig meetpunten vóór de start ({n_pre}): {need}{extra}.")
    window_start = int(panel["period"].min())
    kw = dict(
        unit_col="unit", period_col="period", outcome_col="gap", treated_col="treated",
        post_start=start, confidence=cfg.confidence,
    )  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = did(panel, **kw)
            es = event_study(panel, **kw)
    except (ArgumentError, np.linalg.LinAlgError, ValueError) as err:
        return no("failed", f"niet te schatten: {err}.")
    placebo_p, n_placebo = _placebo_p_value(panel, slug, r.estimate, kw)
    notes = []
    se, lower, upper, p_value = r.se, r.lower, r.upper, r.p_value
    if not _usable_se(se, r.estimate):
        se = lower = upper = p_value = float("nan")
        notes.append(
            "de cluster-robuuste standaardfout is ontaard (één behandeld gebied en te weinig "
            "vergelijkingsmetingen na de start): geen interval"
        )
    row = {
        "area": slug, "indicator_id": ind.id, "post_start": start, "window_start": window_start,
        "window_end": window_end, "comparison_areas": ";".join(controls), "estimate": r.estimate,
        "se": se, "lower": lower, "upper": upper, "p_value": p_value,
        "pre_trend_p_value": es.attrs.get("pre_trend_p_value", float("nan")),
        "placebo_p_value": placebo_p, "n_placebo": n_placebo,
        "n_obs": r.n_obs, "n_units": r.n_units, "n_treated_units": r.n_treated_units,
        "n_periods": r.n_periods, "confidence": r.confidence, "method": r.method,
    }  # fmt: skip
    es_rows = []
    for e in es.itertuples():
        ok = bool(e.reference) or _usable_se(e.se, e.estimate)
        nan = float("nan")
        es_rows.append(
            {
                "area": slug, "indicator_id": ind.id, "period": int(e.period),
                "relative_period": int(e.relative_period), "estimate": e.estimate,
                "se": e.se if ok else nan, "lower": e.lower if ok else nan,
                "upper": e.upper if ok else nan, "p_value": e.p_value if ok else nan,
                "reference": bool(e.reference), "method": e.method,
            }
        )  # fmt: skip
    if earlier:
        notes.append(
            f"{_join_nl([names.get(c, c) for c in earlier])} niet als vergelijking gebruikt "
            f"(in of vóór {start} begonnen)"
        )
    if note_break:
        notes.append(note_break)
    note = "; ".join(notes) + ("." if notes else "")
    return row, es_rows, _status(slug, ind.id, "did", "ok", note)


def _usable_se(se: float, estimate: float) -> bool:
    """A standard error that is finite and not numerically zero."""
    return bool(np.isfinite(se) and se > 1e-9 * max(1.0, abs(estimate)))


def _placebo_p_value(
    panel: pd.DataFrame, treated: str, estimate: float, kw: dict
) -> tuple[float, int]:
    """Placebo-in-space p-value for a DiD with one treated unit.

    Each comparison unit in turn is treated as if it had started at the same
    time, with the real treated unit left out; ``p = (1 + #{|placebo| >=
    |estimate|}) / (1 + n_placebo)`` (Abadie, Diamond & Hainmueller 2010,
    section 4; Conley & Taber 2011 for why cluster-robust intervals fail with
    one treated unit). With ``k`` comparison units ``p`` cannot be below
    ``1 / (k + 1)``; with fewer than two comparison units there is no placebo.
    """
    rest = panel[panel["unit"] != treated]
    units = sorted(rest["unit"].unique())
    if len(units) < 2:
        return float("nan"), 0
    placebo = []
    for u in units:
        p = rest.assign(treated=(rest["unit"] == u).astype(float))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                placebo.append(did(p, **kw).estimate)
        except (ArgumentError, np.linalg.LinAlgError, ValueError):
            continue
    if not placebo:
        return float("nan"), 0
    hits = int(np.sum(np.abs(placebo) >= abs(estimate) * (1 - 1e-12)))
    return (1 + hits) / (1 + len(placebo)), len(placebo)


# ----------------------------------------------------------------- main entry


def compute_trendbreak(
    results: Results,
    catalogue: Catalogue,
    areas: AreaSet,
    config: TrendBreakConfig,
    *,
    only: Collection[str] | None = None,
    indicators_with_data: Collection[str] | None = None,
) -> TrendBreakResults:
    """Trend-break evidence for the region and every area approach, in one pass.

    Parameters
    ----------
    results : Results
        Output of :func:`indicators.compute.compute_all` (or
        :func:`indicators.store.load_results`); needs the region, ``NL01``
        and the params areas among its entities.
    catalogue : Catalogue
    areas : AreaSet
        Params areas: kind, ``intervention_start`` and ``comparison_areas``.
    config : TrendBreakConfig
        From :func:`load_trendbreak_config`.
    only : collection of str, optional
        Compute the rows of these entities only (region key or area slugs;
        for an incremental build, :mod:`indicators.incremental`). ``results``
        must then hold the values of these entities, their comparison areas,
        the region and ``NL01``. The rows are those of a full run.
    indicators_with_data : collection of str, optional
        The indicators with a value for any entity in the full results
        (default: from ``results.values``), which decide how a missing gap
        series is explained; needed with ``only``.

    Returns
    -------
    TrendBreakResults

    Notes
    -----
    *Region.* ``gap = s (region - rest of NL)`` with ``s`` from the configured
    direction, the rest of NL from :func:`indicators.breaks.rest_of_reference`
    (counts for sum indicators, population-weighted means with standard errors
    for life expectancy), and MOVER limits (:func:`indicators.breaks.gap_series`).
    ITS at ``start_year`` with ``se_method`` (``"ols"``: Newey-West undercovers
    badly with ~13 annual points), plus an AR(1) fit stored as sensitivity.

    *Areas* of the configured kinds: ``gap = s (area - NL01)``; ITS at the
    area's own ``intervention_start`` when there are at least
    ``min_pre_points`` annual points before and ``min_post_points`` after the
    start year; the target uses the programme's ``start_year`` for every
    entity (the same yardstick as the region).

    *DiD and event study* (areas only), on the oriented gap with the area
    and its ``comparison_areas`` as units (two-way fixed effects). A
    comparison area is a clean control only if its own approach started
    *later* than the area's (or not at all during the data window); areas
    that started in the same year or earlier are left out, and if none is
    left the reason is stated. The window ends the year before the earliest
    start among the clean controls (or at the last year with data), so the
    controls are untreated throughout. At least ``min_pre_points`` years
    before the start and one from it are needed. With one treated area the
    cluster-robust interval is unreliable (Conley & Taber 2011), so a
    placebo-in-space p-value is stored too; a numerically zero standard
    error gives no interval.

    *Minimum points (honesty rule).* ITS and DiD: at least ``min_pre_points``
    (default 4) annual gap values before the start year and
    ``min_post_points`` (default 3) after it (the start year itself not
    counted). Below that there is no estimate and no interval, only a status
    row with the Dutch reason. Target: a gap in the start year and at least 3
    after it (:func:`indicators.breaks.assess_target`). Survey indicators
    (four waves) get a gap table only.

    *Data breaks.* A declared break (``breaks:`` per indicator in the
    configuration) in year ``B`` means values from ``B`` on are not
    comparable with earlier ones. The ITS is fitted only on the segment
    around the start year that no break crosses (values from the last break
    at or before the start, up to the year before the first break after
    it); the minimum points apply to that segment, and a break in the start
    year itself gives no estimate. The DiD window is cut the same way. The
    target is not assessed when a break lies after the programme start year
    (the trend since the start would cross it). Every break inside an
    entity's series is listed in ``breaks`` for the report.

    *Model estimates.* Indicators marked ``model_estimate`` (small-area
    model estimates such as RIVM SMAP) get ``model_estimate = True`` in
    ``gaps``; the report labels them "modelschatting".

    *Missing reference.* If the region or ``NL01`` is not in ``results``
    (real data without a row for Nederland), there are no gaps; every
    analysis gets a status row saying so and ``meta["absent_entities"]``
    lists the missing keys (:func:`indicators.present.trendbreak` says so in
    the report).

    Raises
    ------
    indicators.exceptions.InputError
        If a configured indicator is not in the catalogue.
    """
    conf = config.confidence
    cat = catalogue.by_id
    missing = [s.id for s in config.indicators if s.id not in cat]
    if missing:
        raise InputError(f"trend-break indicators not in the catalogue: {missing}")
    ids = [s.id for s in config.indicators]
    known = set(results.areas["area"])
    # Real data may lack the reference (e.g. a Limburg-only extract without a
    # row for Nederland): then there is no gap to compute, and the report says
    # why instead of the build failing.
    absent = [key for key in (config.region, config.national) if key not in known]
    targets_areas = sorted(a.slug for a in areas if a.kind in config.area_kinds)
    if only is not None:
        targets_areas = [s for s in targets_areas if s in set(only)]
    comparisons = {c for s in targets_areas for c in areas[s].comparison_areas}
    with_comparisons = sorted((set(targets_areas) | comparisons) & known)
    with_region = only is None or config.region in set(only)
    keep = [config.region, config.national, *with_comparisons]
    v = results.values
    v = v[v["indicator_id"].isin(ids) & v["area"].isin(keep)]
    bench = v[v["area"].isin([config.region, config.national])]
    grouped = {k: g for k, g in bench.groupby(["area", "indicator_id"], sort=True)}
    empty = v.iloc[0:0]
    names = results.areas.set_index("area")["name"].astype(str).to_dict()

    gap_rows: list[pd.DataFrame] = []
    for ind_id in ids:
        ind = cat[ind_id]
        sign = config.sign(ind_id)
        nl = grouped.get((config.national, ind_id), empty)
        if nl.empty:
            continue
        reg = grouped.get((config.region, ind_id), empty)
        if not reg.empty and with_region:
            rest = _rest_of_nl(nl, reg, ind, conf).assign(area=config.region)
            g = _oriented_gaps(reg, rest, sign, conf)
            gap_rows.append(g.assign(indicator_id=ind_id, reference="rest_nl"))
        a = v[(v["indicator_id"] == ind_id) & v["area"].isin(with_comparisons)]
        if not a.empty:
            ref = a[["area", "period"]].merge(nl.drop(columns="area"), on="period")
            g = _oriented_gaps(a, ref, sign, conf)
            gap_rows.append(g.assign(indicator_id=ind_id, reference=config.national))
    gaps_all = pd.concat(gap_rows, ignore_index=True) if gap_rows else _conform("gaps", [])
    gaps_by = _split_gaps(gaps_all)

    its_rows: list[dict] = []
    diag_rows: list[dict] = []
    cf_rows: list[dict] = []
    traj_rows: list[dict] = []
    target_rows: list[dict] = []
    did_rows: list[dict] = []
    es_rows: list[dict] = []
    status_rows: list[dict] = []
    entities = [
        {
            "area": config.region, "name": names.get(config.region, config.region),
            "kind": "regio", "intervention_start": config.start_year, "reference": "rest_nl",
            "comparison_areas": "",
        }
    ]  # fmt: skip
    if not with_region:
        entities = []
    for slug in targets_areas:
        a = areas[slug]
        entities.append(
            {
                "area": slug, "name": names.get(slug, a.name), "kind": a.kind,
                "intervention_start": a.intervention_start, "reference": config.national,
                "comparison_areas": ";".join(a.comparison_areas),
            }
        )  # fmt: skip

    break_rows: list[dict] = []
    for ent in entities:
        key, start = ent["area"], int(ent["intervention_start"])
        is_region = key == config.region
        for spec in config.indicators:
            ind = cat[spec.id]
            gap = gaps_by.get((key, spec.id), _NO_GAPS)
            brks = _inside(spec.breaks_for(key), gap.period)
            break_rows += [
                {"area": key, "indicator_id": spec.id, "year": b.year, "kind": b.kind,
                 "reason_nl": b.reason_nl}
                for b in brks
            ]  # fmt: skip
            code, reason, seg = _its_eligibility(gap, ind, start, config, brks)
            if code == "ok":
                try:
                    c, d, cf = _its_rows(key, spec.id, seg, start, config, is_region)
                    its_rows += c
                    diag_rows.append(d)
                    cf_rows += cf
                except (ArgumentError, np.linalg.LinAlgError, ValueError) as err:
                    code, reason = "failed", f"niet te schatten: {err}."
            status_rows.append(_status(key, spec.id, "its", code, reason))
            trow, traj = _target_row(key, ind, spec, gap, config, brks)
            target_rows.append(trow)
            traj_rows += traj
            status_rows.append(
                _status(key, spec.id, "target", trow["status"],
                        "" if trow["status"] == "ok" else trow["reason_nl"])
            )  # fmt: skip
            if not is_region:
                drow, es, st = _did_rows(key, ind, areas, gaps_by, names, config, spec)
                if drow is not None:
                    did_rows.append(drow)
                    es_rows += es
                status_rows.append(st)

    if absent:
        labels = {config.national: "Nederland", config.region: names.get(config.region, "de regio")}

        def why(area: str) -> str:
            # the region's gap needs the region and NL; an area's gap needs NL only
            need = (config.region, config.national) if area == config.region else (config.national,)
            lack = [labels[k] for k in need if k in absent]
            if not lack:
                return ""
            return (
                f"de gegevens bevatten geen cijfers voor {_join_nl(lack)}, dus er is geen kloof "
                "te berekenen."
            )

        for rows, prefix in (
            (status_rows, "niet te berekenen: "),
            (target_rows, "Niet te beoordelen: "),
        ):
            for row in rows:
                text = why(row["area"])
                if row.get("status") == "no_data" and text:
                    row["status"], row["reason_nl"] = "no_reference", prefix + text
    _explain_missing(
        status_rows, target_rows, results.values, cat, config, names, absent, indicators_with_data
    )
    gaps = gaps_all[gaps_all["area"].isin([e["area"] for e in entities])].copy()
    model = {s.id for s in config.indicators if s.model_estimate}
    gaps["model_estimate"] = gaps["indicator_id"].isin(model)
    return TrendBreakResults(
        entities=_conform("entities", entities),
        gaps=_conform("gaps", gaps),
        its=_conform("its", its_rows),
        diagnostics=_conform("diagnostics", diag_rows),
        counterfactual=_conform("counterfactual", cf_rows),
        trajectory=_conform("trajectory", traj_rows),
        targets=_conform("targets", target_rows),
        did=_conform("did", did_rows),
        event_study=_conform("event_study", es_rows),
        status=_conform("status", status_rows),
        breaks=_conform("breaks", break_rows),
        meta={"config": config.model_dump(mode="json"), "absent_entities": absent},
    )
