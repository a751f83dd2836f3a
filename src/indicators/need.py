"""Need index: a composite score over all wijken (or buurten), with rank uncertainty.

The index answers "which neighbourhoods in Limburg show the most need?" for the
selection of aandachtswijken (Voorjaarsnota 2024: "need shown with data"). It
is computed once for all units of one level, from the same aggregated values
and confidence intervals as the reports (:func:`indicators.compute.aggregate`
and :func:`indicators.compute.add_statistics`); the indicators, weights and
directions live in ``data/catalogue/need_index.yml``.

Method, in the order of the OECD/JRC Handbook (2008):

1. **Reference year.** Per indicator the latest year in which the Netherlands
   (``NL01``) and at least ``min_unit_share`` of the units have a value.
2. **Normalisation.** ``z = d * (x - x_NL) / SD``: distance to the Dutch level
   in units of the between-unit standard deviation, ``d = +1`` when a higher
   value means more need and ``-1`` otherwise, capped at ``+/- z_cap``.
   Centring on NL (rather than on the Limburg mean) keeps the policy question
   of the Trendbreuk in view: 0 is the Dutch level. Dividing by the spread
   across units (rather than expressing values relative to NL, ``x / x_NL``)
   makes indicators with very different spreads commensurable.
3. **Aggregation.** Weighted arithmetic mean of the z-scores over the
   indicators a unit has (weights re-normalised); ``coverage`` is the share of
   the total weight that was available. Units below ``min_coverage`` keep a
   score but get no rank.
4. **Uncertainty of ranks.** Parametric bootstrap: each value is drawn from a
   normal distribution with the standard error implied by its 95% interval,
   ``se = (upper - lower) / (2 * 1.96)`` (for the asymmetric Wilson and Byar
   intervals an approximation), the standardisation constants (NL value, SD)
   are held fixed, and scores and ranks are recomputed. The median rank and
   the 5th and 95th percentiles (the 90% rank interval) are reported
   (Goldstein & Spiegelhalter 1996; Marshall & Spiegelhalter 1998). Values
   without an interval (complete counts, Leefbaarometer, WOZ) are held fixed.
5. **Sensitivity to weights.** Ranks under equal indicator weights, under
   leaving out one theme at a time, and under ``n_dirichlet`` random theme
   weights drawn from a flat Dirichlet distribution (within-theme shares
   fixed); for every unit the share of these scenarios in which it is in the
   top ``top_n`` and in the top ``top_share`` (Saisana, Saltelli & Tarantola
   2005).

References
----------
OECD/JRC (2008). *Handbook on Constructing Composite Indicators: Methodology
and User Guide.* OECD Publishing, Paris. https://doi.org/10.1787/9789264043466-en

Goldstein, H. & Spiegelhalter, D. J. (1996). League tables and their
limitations: statistical issues in comparisons of institutional performance.
*Journal of the Royal Statistical Society A* 159(3), 385-443.
https://doi.org/10.2307/2983325

Marshall, E. C. & Spiegelhalter, D. J. (1998). Reliability of league tables of
in vitro fertilisation clinics: retrospective analysis of live birth rates.
*BMJ* 316, 1701-1705. https://doi.org/10.1136/bmj.316.7146.1701

Saisana, M., Saltelli, A. & Tarantola, S. (2005). Uncertainty and sensitivity
analysis techniques as tools for the quality assessment of composite
indicators. *Journal of the Royal Statistical Society A* 168(2), 307-323.
https://doi.org/10.1111/j.1467-985X.2005.00350.x
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indicators.compute import CONFIDENCE, add_statistics, aggregate, membership
from indicators.config import AreaParams, Catalogue, project_root, read_yaml
from indicators.exceptions import ArgumentError, IndicatorsError, InputError
from indicators.stats.distributions import norm_ppf

__all__ = [
    "NeedConfig",
    "NeedIndexResult",
    "SelectedAreaRanks",
    "build_need_index",
    "compute_need_index",
    "load_need_config",
    "load_need_index",
    "need_file",
    "parse_need_config",
    "results_key",
    "save_need_index",
    "selected_area_ranks",
    "unit_values",
]

DEFAULT_SEED = 20261124
NATIONAL = "NL01"
SELECTED_KINDS = ("aandachtswijk", "dorpsaanpak")
LEVEL_WORDS = {"wijk": ("wijk", "wijken"), "buurt": ("buurt", "buurten")}
KIND_NL = {"aandachtswijk": "aandachtswijk", "dorpsaanpak": "dorpsaanpak"}
Level = Literal["wijk", "buurt"]
Direction = Literal["higher_is_worse", "higher_is_better"]
EXPECTED_DIRECTION = {"lower_is_better": "higher_is_worse", "higher_is_better": "higher_is_better"}
VALUE_COLUMNS = ["area", "indicator_id", "period", "value", "lower_ci", "upper_ci"]


# ----------------------------------------------------------------- configuration


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _IndicatorSpec(_Strict):
    id: str
    weight: float = Field(gt=0)
    direction: Direction
    reason: str = ""


class _ReferenceYear(_Strict):
    rule: Literal["latest_available"] = "latest_available"
    min_unit_share: float = Field(0.5, gt=0, le=1)


class _Standardisation(_Strict):
    method: Literal["z_nl"] = "z_nl"
    z_cap: float | None = Field(3.0, gt=0)


class _Uncertainty(_Strict):
    rank_interval: float = Field(0.90, gt=0, lt=1)


class _Sensitivity(_Strict):
    n_dirichlet: int = Field(200, ge=0)
    dirichlet_alpha: float = Field(1.0, gt=0)
    top_n: int = Field(10, ge=1)
    top_share: float = Field(0.10, gt=0, le=1)


class _Spec(_Strict):
    reference_year: _ReferenceYear = _ReferenceYear()
    standardisation: _Standardisation = _Standardisation()
    min_coverage: float = Field(0.6, ge=0, le=1)
    uncertainty: _Uncertainty = _Uncertainty()
    sensitivity: _Sensitivity = _Sensitivity()
    themes: dict[str, float]
    indicators: list[_IndicatorSpec] = Field(min_length=1)


@dataclass(frozen=True)
class NeedConfig:
    """A validated need-index configuration (``data/catalogue/need_index.yml``).

    Attributes
    ----------
    indicators : DataFrame
        Indexed by indicator id: ``theme``, ``label``, ``weight`` (effective
        weight, summing to 1), ``sign`` (+1 when a higher value means more
        need), ``direction``, ``polarity``, ``reason``, ``lowest_level``.
    theme_weights : Series
        Theme weights, normalised to sum to 1.
    """

    indicators: pd.DataFrame
    theme_weights: pd.Series
    min_unit_share: float = 0.5
    z_cap: float | None = 3.0
    min_coverage: float = 0.6
    rank_interval: float = 0.90
    n_dirichlet: int = 200
    dirichlet_alpha: float = 1.0
    top_n: int = 10
    top_share: float = 0.10
    source: str = "<dict>"
    theme_labels: dict = field(default_factory=dict)


def _err(source: str, msg: str, key: str | None = None) -> InputError:
    return InputError(msg, path=source, row=f"key '{key}'" if key else None)


def parse_need_config(raw: object, catalogue: Catalogue, source: str = "<dict>") -> NeedConfig:
    """Validate a need-index configuration mapping against the catalogue.

    Parameters
    ----------
    raw : dict
        The parsed YAML (see ``data/catalogue/need_index.yml`` for the keys).
    catalogue : Catalogue
        Indicator catalogue; every indicator must exist there.
    source : str
        Name used in error messages (the file path).

    Notes
    -----
    The direction of an indicator must agree with its catalogue polarity
    (``lower_is_better`` -> ``higher_is_worse``); an indicator with polarity
    ``neutral`` needs an explicit ``reason`` for the chosen direction.
    """
    if not isinstance(raw, dict):
        raise _err(source, "expected a mapping with keys 'themes' and 'indicators'")
    try:
        spec = _Spec.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        msg = first["msg"]
        if first["type"] == "extra_forbidden":
            msg = "unknown key (not part of the schema)"
        elif first["type"] == "missing":
            msg = "required key is missing"
        raise _err(source, f"{msg}; got {first.get('input')!r}", loc) from None
    by_id = catalogue.by_id
    theme_ids = {t.id for t in catalogue.themes}
    for t, w in spec.themes.items():
        if t not in theme_ids:
            raise _err(source, f"theme '{t}' is not a catalogue theme", f"themes.{t}")
        if not w > 0:
            raise _err(source, f"theme weight must be greater than zero, got {w}", f"themes.{t}")
    seen: set[str] = set()
    rows = []
    for k, ind in enumerate(spec.indicators):
        key = f"indicators.{k}"
        if ind.id in seen:
            raise _err(source, f"duplicate indicator '{ind.id}'", key)
        seen.add(ind.id)
        if ind.id not in by_id:
            raise _err(source, f"indicator '{ind.id}' is not in the catalogue", key)
        cat = by_id[ind.id]
        if cat.theme not in spec.themes:
            raise _err(
                source,
                f"theme '{cat.theme}' of indicator '{ind.id}' has no weight under 'themes'",
                key,
            )
        if cat.polarity == "neutral":
            if not ind.reason:
                raise _err(
                    source,
                    f"indicator '{ind.id}' has polarity 'neutral' in the catalogue; "
                    "give a 'reason' for its direction",
                    key,
                )
        elif ind.direction != EXPECTED_DIRECTION[cat.polarity]:
            raise _err(
                source,
                f"direction '{ind.direction}' of '{ind.id}' contradicts catalogue polarity "
                f"'{cat.polarity}' (expected '{EXPECTED_DIRECTION[cat.polarity]}')",
                key,
            )
        rows.append(
            {
                "id": ind.id,
                "theme": cat.theme,
                "label": cat.label_nl,
                "raw_weight": ind.weight,
                "direction": ind.direction,
                "sign": 1.0 if ind.direction == "higher_is_worse" else -1.0,
                "polarity": cat.polarity,
                "reason": ind.reason,
                "lowest_level": cat.lowest_level,
            }
        )
    df = pd.DataFrame(rows).set_index("id")
    empty = [t for t in spec.themes if t not in set(df["theme"])]
    if empty:
        raise _err(source, f"theme(s) {empty} have a weight but no indicators", "themes")
    tw = pd.Series(spec.themes, dtype=float)
    tw = tw / tw.sum()
    within = df["raw_weight"] / df.groupby("theme")["raw_weight"].transform("sum")
    df["weight"] = df["theme"].map(tw) * within
    return NeedConfig(
        indicators=df.drop(columns="raw_weight"),
        theme_weights=tw,
        min_unit_share=spec.reference_year.min_unit_share,
        z_cap=spec.standardisation.z_cap,
        min_coverage=spec.min_coverage,
        rank_interval=spec.uncertainty.rank_interval,
        n_dirichlet=spec.sensitivity.n_dirichlet,
        dirichlet_alpha=spec.sensitivity.dirichlet_alpha,
        top_n=spec.sensitivity.top_n,
        top_share=spec.sensitivity.top_share,
        source=source,
        theme_labels={t.id: t.label_nl for t in catalogue.themes if t.id in spec.themes},
    )


def load_need_config(path: Path | None = None, catalogue: Catalogue | None = None) -> NeedConfig:
    """Load and validate ``data/catalogue/need_index.yml`` (or ``path``)."""
    from indicators.config import load_catalogue

    path = Path(path) if path else project_root() / "data" / "catalogue" / "need_index.yml"
    catalogue = catalogue if catalogue is not None else load_catalogue()
    return parse_need_config(read_yaml(path), catalogue, source=str(path))


# ----------------------------------------------------------------- unit values


def _self_values(
    obs: pd.DataFrame, codes: list[str], catalogue: Catalogue, confidence: float
) -> pd.DataFrame:
    """Every unit as its own entity (cf. ``membership``'s ``add_self``)."""
    members = pd.DataFrame(
        [(c, lv, c, 1) for c in codes for lv in ("buurt", "wijk", "gemeente")],
        columns=["area", "level", "unit_code", "n_expected"],
    )
    agg = aggregate(obs[obs["unit_code"].isin(codes)], members, catalogue)
    return add_statistics(agg, catalogue, confidence)


def unit_values(
    obs: pd.DataFrame,
    units: pd.DataFrame,
    catalogue: Catalogue,
    level: Level = "wijk",
    *,
    inherit: bool = True,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Value and confidence interval of every wijk (or buurt) and of Nederland.

    Each unit is an entity of its own and goes through the same aggregation
    and interval code as the areas (:func:`indicators.compute.aggregate`,
    :func:`indicators.compute.add_statistics`), so suppression rules and
    interval methods are identical. ``NL01`` is included as the reference for
    standardisation.

    Parameters
    ----------
    obs, units : DataFrame
        Validated observations and units (:mod:`indicators.sources`).
    catalogue : Catalogue
    level : {"wijk", "buurt"}
    inherit : bool
        At buurt level, indicators published only per wijk (catalogue
        ``lowest_level: wijk``) take the value and interval of the buurt's wijk,
        flagged ``inherited``. These describe the wijk, not the buurt.
    confidence : float

    Returns
    -------
    DataFrame
        The columns of :func:`~indicators.compute.add_statistics` (``area`` is
        the unit code) plus ``level``, ``name``, ``gemeente_code``,
        ``gemeente_name`` and ``wijk_code``.
    """
    if level not in LEVEL_WORDS:
        raise ArgumentError(f"level must be one of {sorted(LEVEL_WORDS)}, got {level!r}")
    codes = units.loc[units["level"] == level, "unit_code"].tolist()
    missing = []
    if not codes:
        missing.append(f"geen {LEVEL_WORDS[level][1]}")
    if NATIONAL not in set(units["unit_code"]):
        missing.append("geen cijfers voor Nederland (nodig om te standaardiseren)")
    if missing:
        # Real data may hold only gemeenten, or no row for Nederland: no index, and
        # compute_need_index / need_section_md say why instead of failing the report.
        empty = pd.DataFrame(columns=[*VALUE_COLUMNS, "level", "name", "gemeente_code"])
        empty.attrs["unavailable"] = "de gebruikte gegevens bevatten " + " en ".join(missing)
        empty.attrs["level"] = level
        return empty
    vals = _self_values(obs, codes + [NATIONAL], catalogue, confidence)
    u = units.set_index("unit_code")
    if level == "buurt" and inherit:
        wijk_level = [i.id for i in catalogue.indicators if i.lowest_level == "wijk"]
        wijken = units.loc[units["level"] == "wijk", "unit_code"].tolist()
        if wijk_level and wijken:
            wv = _self_values(
                obs[obs["indicator_id"].isin(wijk_level)], wijken, catalogue, confidence
            )
            link = u.loc[codes, "wijk_code"].dropna().rename("wijk").reset_index()
            link.columns = ["buurt", "wijk"]
            inh = link.merge(wv, left_on="wijk", right_on="area").drop(columns=["area"])
            inh = inh.rename(columns={"buurt": "area"})
            inh["flags"] = np.where(
                inh["flags"].eq(""), "inherited", inh["flags"].astype(str) + ";inherited"
            )
            have = pd.MultiIndex.from_frame(vals[["area", "indicator_id", "period"]])
            key = pd.MultiIndex.from_frame(inh[["area", "indicator_id", "period"]])
            inh = inh[~key.isin(have)].drop(columns=["wijk"])
            vals = pd.concat([vals, inh[vals.columns]], ignore_index=True)
    gm_names = u.loc[u["level"] == "gemeente", "name"]
    vals["level"] = vals["area"].map(u["level"])
    vals["name"] = vals["area"].map(u["name"])
    vals["gemeente_code"] = vals["area"].map(u["gemeente_code"])
    vals["gemeente_name"] = vals["gemeente_code"].map(gm_names)
    vals["wijk_code"] = vals["area"].map(u["wijk_code"])
    return vals.sort_values(["area", "indicator_id", "period"], kind="stable").reset_index(
        drop=True
    )


# ----------------------------------------------------------------- the index


@dataclass(frozen=True)
class NeedIndexResult:
    """Output of :func:`compute_need_index`.

    Attributes
    ----------
    table : DataFrame
        One row per unit, sorted by rank: ``unit_code, name, gemeente_code,
        gemeente_name, score, coverage, n_indicators, n_inherited,
        low_coverage, rank`` (1 = most need; NaN when not ranked),
        ``rank_median, rank_lower, rank_upper`` (bootstrap), ``rank_equal,
        rank_loto_best, rank_loto_worst, share_top_n, share_top_pct``
        (sensitivity) and ``method``.
    standardised : DataFrame
        Units x indicators: the capped, oriented z-scores (NaN = missing).
    theme_scores : DataFrame
        Units x themes: weighted mean z-score per theme.
    indicators : DataFrame
        One row per configured indicator: theme, label, weight, direction,
        reference ``period``, ``nl_value``, ``sd``, ``n_units`` and ``status``
        (``used`` or why it was dropped).
    scenario_ranks : DataFrame
        Units x weight scenarios (``gelijke_gewichten``, ``zonder_<theme>``,
        ``dirichlet_###``): rank in each scenario.
    level : str
        ``"wijk"`` or ``"buurt"``.
    meta : dict
        Parameters: ``n_boot``, ``seed``, ``rank_interval``, ``top_n``,
        ``top_pct_n``, ``min_coverage``, ``z_cap``, ``n_scenarios``, ...
    geography : DataFrame or None
        The unit list, when given, for :func:`selected_area_ranks`.
    """

    table: pd.DataFrame
    standardised: pd.DataFrame
    theme_scores: pd.DataFrame
    indicators: pd.DataFrame
    scenario_ranks: pd.DataFrame
    level: str
    meta: dict = field(default_factory=dict)
    geography: pd.DataFrame | None = None


def unavailable_result(reason: str, level: str = "wijk") -> NeedIndexResult:
    """An empty :class:`NeedIndexResult` recording why no index could be computed.

    :func:`need_section_md` turns it into a short section that says so.
    """
    empty = pd.DataFrame()
    return NeedIndexResult(
        table=pd.DataFrame(columns=["unit_code", "name", "score", "rank"]),
        standardised=empty,
        theme_scores=empty,
        indicators=pd.DataFrame(columns=["indicator_id", "status"]),
        scenario_ranks=empty,
        level=level,
        meta={"unavailable": reason},
    )


METHOD = (
    "z-score t.o.v. Nederland / SD tussen eenheden (OECD/JRC 2008), gewogen gemiddelde met "
    "herweging bij ontbrekende waarden; parametrische bootstrap van de rangen"
)


def _rank_desc(scores: np.ndarray, ranked: np.ndarray) -> np.ndarray:
    """Rank along the last axis, 1 = highest score; ties share the best rank.

    Units outside ``ranked`` get NaN; a NaN score of a ranked unit counts as
    the lowest score.
    """
    s = np.where(ranked, scores, -np.inf)
    s = np.where(np.isnan(s), -np.inf, s)
    from scipy.stats import rankdata  # here: scipy.stats costs 0.6 s to import (issue 7)

    r = rankdata(-s, method="min", axis=-1).astype(float)
    return np.where(ranked, r, np.nan)


def _weighted(z0: np.ndarray, avail: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean over available indicators: z0 (..., n, k), avail (n, k), w (k,) or (k, s)."""
    num = z0 @ w
    den = avail @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _check_values(values: pd.DataFrame) -> None:
    missing = [c for c in VALUE_COLUMNS if c not in values.columns]
    if missing:
        raise ArgumentError(f"values must have columns {VALUE_COLUMNS}; missing {missing}")
    if not (values["area"] == NATIONAL).any():
        raise ArgumentError(f"values must contain the national reference '{NATIONAL}'")


def compute_need_index(
    values: pd.DataFrame,
    config: NeedConfig,
    *,
    n_boot: int = 500,
    seed: int = DEFAULT_SEED,
    units: pd.DataFrame | None = None,
) -> NeedIndexResult:
    """Composite need score, rank, rank interval and weight sensitivity per unit.

    Parameters
    ----------
    values : DataFrame
        Output of :func:`unit_values` (or any frame with ``area, indicator_id,
        period, value, lower_ci, upper_ci``; optional ``name``,
        ``gemeente_code``, ``gemeente_name``, ``level``, ``flags``,
        ``confidence``), including the rows of ``NL01``.
    config : NeedConfig
    n_boot : int
        Bootstrap draws for the rank intervals (0 to skip).
    seed : int
        Seed of the random draws (bootstrap and Dirichlet weights).
    units : DataFrame, optional
        The unit list, kept in the result for :func:`selected_area_ranks`.

    Returns
    -------
    NeedIndexResult

    Notes
    -----
    See the module docstring for the method. The bootstrap holds the NL value
    and the between-unit SD fixed, so the rank intervals reflect the sampling
    error of the unit values only (not the uncertainty of the weights, which
    the sensitivity scenarios cover). Standard errors come from the 95%
    intervals as ``(upper - lower) / (2 z)``; values without an interval are
    treated as exact. Vectorised: about 0.2 s for 283 buurten x 24 indicators x
    500 draws.
    """
    if values.attrs.get("unavailable") and values.empty:
        return unavailable_result(values.attrs["unavailable"], values.attrs.get("level", "wijk"))
    _check_values(values)
    if n_boot < 0:
        raise ArgumentError("n_boot must be zero or greater")
    cfg = config.indicators
    v = values[values["indicator_id"].isin(cfg.index)]
    info_cols = [c for c in ("name", "gemeente_code", "gemeente_name", "level") if c in v]
    unit_rows = values[values["area"] != NATIONAL].drop_duplicates("area").set_index("area")
    codes = unit_rows.index.sort_values()
    n = len(codes)
    if n < 2:
        raise ArgumentError("at least 2 units are needed to standardise across units")
    level = str(unit_rows["level"].iloc[0]) if "level" in unit_rows else "wijk"

    # 1. Reference year per indicator.
    nl = v[v["area"] == NATIONAL].set_index(["indicator_id", "period"])["value"]
    uv = v[v["area"].isin(codes) & v["value"].notna()]
    counts = uv.groupby(["indicator_id", "period"]).size()
    share = counts / n
    ok = share[share >= config.min_unit_share].index
    ok = [k for k in ok if k in nl.index and pd.notna(nl.loc[k])]
    ref_period = pd.Series(dtype=float)
    if ok:
        ref_period = (
            pd.DataFrame(ok, columns=["indicator_id", "period"])
            .groupby("indicator_id")["period"]
            .max()
        )
    ind = cfg.copy()
    ind["period"] = ref_period.reindex(ind.index)
    ind["status"] = np.where(ind["period"].isna(), "geen referentiejaar", "used")

    # 2. Matrices at the reference year.
    ids = ind.index[ind["status"] == "used"].tolist()
    sel = v.merge(
        ind.loc[ids, ["period"]].rename_axis("indicator_id").reset_index(),
        on=["indicator_id", "period"],
    )
    su = sel[sel["area"].isin(codes)]
    X = su.pivot(index="area", columns="indicator_id", values="value").reindex(
        index=codes, columns=ids
    )
    z95 = norm_ppf(0.5 + su.get("confidence", pd.Series(CONFIDENCE, index=su.index)) / 2)
    se_rows = (su["upper_ci"] - su["lower_ci"]) / (2 * np.asarray(z95, float))
    SE = (
        su.assign(se_ci=se_rows)
        .pivot(index="area", columns="indicator_id", values="se_ci")
        .reindex(index=codes, columns=ids)
    )
    if "flags" in su:
        inh = su.assign(inh=su["flags"].astype(str).str.contains("inherited")).pivot(
            index="area", columns="indicator_id", values="inh"
        )
        inh = inh.reindex(index=codes, columns=ids).fillna(False).astype(bool).to_numpy()
    else:
        inh = np.zeros((n, len(ids)), bool)
    x = X.to_numpy(float)
    se = np.nan_to_num(SE.to_numpy(float), nan=0.0)
    nl_val = np.array([nl.get((i, ind.loc[i, "period"]), np.nan) for i in ids], float)
    sd = np.nanstd(x, axis=0, ddof=1) if n > 1 else np.full(len(ids), np.nan)
    flat = ~(sd > 0)
    ind.loc[ids, "nl_value"] = nl_val
    ind.loc[ids, "sd"] = sd
    ind.loc[ids, "n_units"] = np.sum(~np.isnan(x), axis=0)
    if flat.any():
        ind.loc[np.array(ids)[flat], "status"] = "geen spreiding tussen eenheden"
        keep = ~flat
        ids = [i for i, k in zip(ids, keep, strict=True) if k]
        x, se, inh, nl_val, sd = x[:, keep], se[:, keep], inh[:, keep], nl_val[keep], sd[keep]
    if not ids:
        raise ArgumentError("no indicator has a reference year and spread across units")
    k = len(ids)
    sign = ind.loc[ids, "sign"].to_numpy(float)
    w = ind.loc[ids, "weight"].to_numpy(float)
    w = w / w.sum()
    themes = ind.loc[ids, "theme"].to_numpy()
    cap = config.z_cap if config.z_cap is not None else np.inf

    def standardise(xx: np.ndarray) -> np.ndarray:
        return np.clip(sign * (xx - nl_val) / sd, -cap, cap)

    avail = ~np.isnan(x)
    availf = avail.astype(float)
    z = standardise(x)
    z0 = np.where(avail, z, 0.0)

    # 3. Scores, coverage and point ranks.
    score = _weighted(z0, availf, w)
    coverage = availf @ w
    ranked = coverage >= config.min_coverage - 1e-12
    rank = _rank_desc(score, ranked)
    n_ranked = int(ranked.sum())

    # 4. Parametric bootstrap of the ranks.
    q = (1 - config.rank_interval) / 2
    ss = np.random.SeedSequence(seed)
    rng_boot, rng_dir = (np.random.default_rng(s) for s in ss.spawn(2))
    if n_boot > 0:
        boot = np.empty((n_boot, n))
        chunk = max(1, int(2_000_000 // max(1, n * k)))
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            draw = x + se * rng_boot.standard_normal((b, n, k))
            zb = np.where(avail, standardise(draw), 0.0)
            boot[start : start + b] = _rank_desc(_weighted(zb, availf, w), ranked)
        rank_median = np.median(boot, axis=0)
        rank_lower = np.quantile(boot, q, axis=0, method="lower")
        rank_upper = np.quantile(boot, 1 - q, axis=0, method="higher")
    else:
        rank_median = rank_lower = rank_upper = np.full(n, np.nan)

    # 5. Sensitivity to the weights.
    theme_list = [t for t in config.theme_weights.index if t in set(themes)]
    within = w / np.array([w[themes == t].sum() for t in themes])
    names, W = ["gelijke_gewichten"], [np.full(k, 1.0 / k)]
    for t in theme_list:
        wt = np.where(themes == t, 0.0, w)
        if wt.sum() > 0:
            names.append(f"zonder_{t}")
            W.append(wt / wt.sum())
    n_loto = len(names) - 1
    if config.n_dirichlet > 0 and len(theme_list) > 1:
        tw = rng_dir.dirichlet(np.full(len(theme_list), config.dirichlet_alpha), config.n_dirichlet)
        pos = np.array([theme_list.index(t) for t in themes])
        Wd = tw[:, pos] * within
        names += [f"dirichlet_{i + 1:03d}" for i in range(config.n_dirichlet)]
        W += list(Wd)
    Wm = np.array(W).T  # (k, s)
    sc = _weighted(z0, availf, Wm)  # (n, s)
    sc_rank = _rank_desc(sc.T, ranked).T  # (n, s)
    top_pct_n = max(1, math.ceil(config.top_share * n_ranked))
    with np.errstate(invalid="ignore"):
        share_top_n = np.where(ranked, np.mean(sc_rank <= config.top_n, axis=1), np.nan)
        share_top_pct = np.where(ranked, np.mean(sc_rank <= top_pct_n, axis=1), np.nan)
    loto = np.where(ranked[:, None], sc_rank[:, 1 : 1 + n_loto], 0.0)
    rank_loto_best = np.where(ranked & (n_loto > 0), loto.min(axis=1, initial=np.inf), np.nan)
    rank_loto_worst = np.where(ranked & (n_loto > 0), loto.max(axis=1, initial=-np.inf), np.nan)

    # Theme sub-scores (for the report and for checking what drives a score).
    theme_scores = pd.DataFrame(
        {t: _weighted(z0, availf, np.where(themes == t, w, 0.0)) for t in theme_list},
        index=codes,
    )

    tbl = pd.DataFrame(index=codes)
    for c in info_cols:
        tbl[c] = unit_rows.loc[codes, c]
    tbl["score"] = score
    tbl["coverage"] = coverage
    tbl["n_indicators"] = avail.sum(axis=1)
    tbl["n_inherited"] = (inh & avail).sum(axis=1)
    tbl["low_coverage"] = ~ranked
    tbl["rank"] = rank
    tbl["rank_median"] = rank_median
    tbl["rank_lower"] = np.where(ranked, rank_lower, np.nan)
    tbl["rank_upper"] = np.where(ranked, rank_upper, np.nan)
    tbl["rank_equal"] = sc_rank[:, 0]
    tbl["rank_loto_best"] = rank_loto_best
    tbl["rank_loto_worst"] = rank_loto_worst
    tbl["share_top_n"] = share_top_n
    tbl["share_top_pct"] = share_top_pct
    tbl["method"] = METHOD
    tbl = (
        tbl.rename_axis("unit_code")
        .reset_index()
        .sort_values(["rank", "score"], ascending=[True, False], na_position="last")
        .reset_index(drop=True)
    )
    return NeedIndexResult(
        table=tbl,
        standardised=pd.DataFrame(np.where(avail, z, np.nan), index=codes, columns=ids),
        theme_scores=theme_scores,
        indicators=ind.drop(columns=["sign"]).rename_axis("indicator_id").reset_index(),
        scenario_ranks=pd.DataFrame(sc_rank, index=codes, columns=names),
        level=level,
        meta={
            "n_boot": n_boot,
            "seed": seed,
            "rank_interval": config.rank_interval,
            "top_n": config.top_n,
            "top_share": config.top_share,
            "top_pct_n": top_pct_n,
            "min_coverage": config.min_coverage,
            "z_cap": config.z_cap,
            "n_units": n,
            "n_ranked": n_ranked,
            "n_scenarios": len(names),
            "n_dirichlet": len(names) - 1 - n_loto,
            "dirichlet_alpha": config.dirichlet_alpha,
            "theme_weights": config.theme_weights.to_dict(),
            "theme_labels": dict(config.theme_labels),
            "config": config.source,
            "method": METHOD,
        },
        geography=units,
    )


# ----------------------------------------------------------------- selected areas


@dataclass(frozen=True)
class SelectedAreaRanks:
    """Where the params areas stand in the need index (:func:`selected_area_ranks`).

    Attributes
    ----------
    members : DataFrame
        One row per (area, unit wholly inside it): ``area, area_name, kind``
        and the unit's columns from ``NeedIndexResult.table``.
    areas : DataFrame
        One row per area: ``area, area_name, kind, n_units`` (units of the
        index level wholly inside), ``n_touched`` (units it touches),
        ``best_rank``.
    others : DataFrame
        Units in no selected area that score as high or higher than the
        reference unit, or whose rank interval overlaps its interval;
        ``basis`` is ``"score"`` or ``"interval"``; ``partly_in`` names areas
        that cover part of the unit.
    reference : dict or None
        The reference unit: the lowest-scoring ranked unit of the areas of the
        reference kinds (``unit_code, name, area, score, rank, rank_upper``).
    """

    members: pd.DataFrame
    areas: pd.DataFrame
    others: pd.DataFrame
    reference: dict | None


def selected_area_ranks(
    result: NeedIndexResult,
    areas: Iterable[AreaParams],
    units: pd.DataFrame | None = None,
    *,
    reference_kinds: Iterable[str] = ("aandachtswijk",),
) -> SelectedAreaRanks:
    """Ranks of the units of each aandachtswijk/dorpsaanpak, and who else scores as high.

    Parameters
    ----------
    result : NeedIndexResult
    areas : iterable of AreaParams
        E.g. :func:`indicators.config.load_areas`; only kinds ``aandachtswijk``
        and ``dorpsaanpak`` are used.
    units : DataFrame, optional
        The unit list; defaults to ``result.geography``. Needed to map an
        area's buurten to wijken.
    reference_kinds : iterable of str
        Kinds of areas that set the threshold for "as high or higher".

    Notes
    -----
    An area belongs to the units of the index level that lie *wholly* inside
    it (same rule as :func:`indicators.compute.membership`); at wijk level a
    village of one buurt usually has no such wijk and is reported with
    ``n_units = 0``.

    "Scores as high or higher" is defined against one reference unit: the
    lowest-scoring ranked unit among the areas of ``reference_kinds`` (by
    default the aandachtswijken, which were selected on need; village
    approaches were chosen for other reasons). A unit in no selected area is
    listed with ``basis="score"`` when its score is at least the reference
    score, and with ``basis="interval"`` when its score is lower but its 90%
    rank interval overlaps that of the reference unit (its best plausible rank
    is at least as good as the reference unit's worst plausible rank), i.e.
    the data cannot tell them apart.
    """
    geo = units if units is not None else result.geography
    sel = [a for a in areas if a.kind in SELECTED_KINDS]
    level = result.level
    tbl = result.table
    empty_members = pd.DataFrame(columns=["area", "area_name", "kind", *tbl.columns])
    rows, touched_rows = [], []
    if geo is None:
        if level != "buurt":
            raise ArgumentError(
                "units are needed to map the areas' buurten to wijken; "
                "pass units= or compute_need_index(..., units=units)"
            )
        for a in sel:
            bu = [c for c in a.units if c.startswith("BU")]
            rows += [(a.slug, level, c, len(bu)) for c in bu]
            touched_rows += [(a.slug, c) for c in bu]
        mem = pd.DataFrame(rows, columns=["area", "level", "unit_code", "n_expected"])
    else:
        known = set(geo["unit_code"])
        for a in sel:
            missing = [c for c in a.units if c not in known]
            if missing:
                raise ArgumentError(f"area '{a.slug}': unit codes not in the unit list: {missing}")
        mem = membership(sel, geo) if sel else pd.DataFrame(columns=["area", "level", "unit_code"])
        mem = mem[mem["area"].isin([a.slug for a in sel])]
        bu = mem[mem["level"] == "buurt"]
        if level == "wijk":
            wk = bu["unit_code"].map(geo.set_index("unit_code")["wijk_code"])
            touched_rows = list(zip(bu["area"], wk, strict=True))
        else:
            touched_rows = list(zip(bu["area"], bu["unit_code"], strict=True))
        mem = mem[mem["level"] == level]
    touched = pd.DataFrame(touched_rows, columns=["area", "unit_code"]).drop_duplicates()
    meta = {a.slug: (a.name, a.kind) for a in sel}
    members = mem[["area", "unit_code"]].merge(tbl, on="unit_code", how="inner")
    if len(members):
        members.insert(1, "area_name", members["area"].map(lambda s: meta[s][0]))
        members.insert(2, "kind", members["area"].map(lambda s: meta[s][1]))
        members = members.sort_values(["kind", "area", "rank"], na_position="last")
        members = members.reset_index(drop=True)
    else:
        members = empty_members
    # One groupby instead of a filter per area (quadratic at 3,000 areas).
    per_area = pd.DataFrame(
        {
            "area": [a.slug for a in sel],
            "area_name": [a.name for a in sel],
            "kind": [a.kind for a in sel],
        }
    )
    n_units = members.groupby("area").size()
    n_touched = touched.groupby("area").size()
    best_rank = pd.to_numeric(members["rank"], errors="coerce").groupby(members["area"]).min()
    area_tbl = per_area.assign(
        n_units=per_area["area"].map(n_units).fillna(0).astype(int),
        n_touched=per_area["area"].map(n_touched).fillna(0).astype(int),
        best_rank=per_area["area"].map(best_rank).astype(float),
    )

    kinds = set(reference_kinds)
    ref_pool = members[members["kind"].isin(kinds) & members["rank"].notna()]
    selected_units = set(members["unit_code"])
    reference = None
    others = pd.DataFrame(columns=[*tbl.columns, "basis", "partly_in"])
    if len(ref_pool):
        r = ref_pool.loc[ref_pool["score"].idxmin()]
        reference = {
            "unit_code": r["unit_code"],
            "name": r["name"] if "name" in r else r["unit_code"],
            "area": r["area"],
            "area_name": r["area_name"],
            "score": float(r["score"]),
            "rank": float(r["rank"]),
            "rank_upper": float(r["rank_upper"]),
        }
        cand = tbl[~tbl["unit_code"].isin(selected_units) & tbl["rank"].notna()].copy()
        by_score = cand["score"] >= reference["score"]
        by_interval = ~by_score & (cand["rank_lower"] <= reference["rank_upper"])
        cand["basis"] = np.where(by_score, "score", np.where(by_interval, "interval", ""))
        others = cand[cand["basis"] != ""].copy()
        part = touched.assign(area_name=touched["area"].map(lambda s: meta[s][0]))
        part = part.groupby("unit_code")["area_name"].agg(lambda s: ", ".join(sorted(set(s))))
        others["partly_in"] = others["unit_code"].map(part).fillna("")
        others = others.sort_values("rank").reset_index(drop=True)
    return SelectedAreaRanks(members=members, areas=area_tbl, others=others, reference=reference)


# ----------------------------------------------------------------- in the build


NEED_FILE = "need.pkl"
NO_INDEX_NL = (
    "er zijn te weinig {many} met cijfers, of geen indicator heeft een referentiejaar en "
    "spreiding tussen de {many}"
)


def build_need_index(
    obs: pd.DataFrame,
    units: pd.DataFrame,
    catalogue: Catalogue,
    *,
    level: Level = "wijk",
    config: NeedConfig | None = None,
    n_boot: int = 500,
    seed: int = DEFAULT_SEED,
) -> NeedIndexResult:
    """The need index of the build: :func:`unit_values` then :func:`compute_need_index`.

    Runs in the build process before the province report
    (:func:`indicators.pipeline.need_step`), from the validated observations
    the compute step keeps; the province report then only loads the result
    (:func:`load_need_index`) instead of reading every observation again (at
    3,000 areas that took 80 s and 5 GB in the report). Data that cannot carry an index (fewer than
    two units, no indicator with spread) give an *unavailable* result whose
    Dutch reason the report prints, instead of failing the compute step.

    Parameters
    ----------
    obs, units : DataFrame
        Validated observations and units (:mod:`indicators.sources`).
    catalogue : Catalogue
    level : {"wijk", "buurt"}
    config : NeedConfig, optional
        Default :func:`load_need_config` with ``catalogue``.
    n_boot, seed : int
        See :func:`compute_need_index`.
    """
    config = config or load_need_config(catalogue=catalogue)
    values = unit_values(obs, units, catalogue, level=level)
    try:
        result = compute_need_index(values, config, n_boot=n_boot, seed=seed, units=units)
    except ArgumentError as exc:
        result = unavailable_result(NO_INDEX_NL.format(many=LEVEL_WORDS[level][1]), level)
        result.meta["error"] = str(exc)
    # The report also takes the unit list from here (names for the tile map), so an
    # unavailable index carries it too.
    return result if result.geography is not None else replace(result, geography=units)


def need_file(results_dir: Path) -> Path:
    """Where the build keeps the need index: the build's cache, next to ``results_dir``.

    Not inside ``results_dir``: every file there is an input of every area
    report (:class:`indicators.cache.ResultsIndex`), and the index changes with
    any buurt; only the province report reads it.
    """
    return Path(results_dir).parent / "cache" / NEED_FILE


def results_key(results_dir: Path) -> str:
    """The key that ties a saved need index to one compute run: sha256 of its ``meta.json``.

    ``meta.json`` holds the checksums of every input, the package version and
    the git commit, and each compute run writes it together with the index.
    """
    import hashlib

    return hashlib.sha256((Path(results_dir) / "meta.json").read_bytes()).hexdigest()


def save_need_index(result: NeedIndexResult, path: Path, *, key: str) -> Path:
    """Write ``result`` with the ``key`` of the results it belongs to (atomic replace).

    ``key`` ties the file to one compute run (:func:`load_need_index` returns
    None for another key), so a report never combines the need index of
    other data with its results. A pickle, as the survey results: exact
    floats and dtypes, no schema to keep in step. The key is written first,
    so :func:`saved_need_key` reads it without loading the index.
    """
    from indicators.kept import save_keyed

    return save_keyed(path, key, {"result": result})


def saved_need_key(path: Path) -> str | None:
    """The key a saved need index was written with; None when absent or damaged."""
    from indicators.kept import saved_key

    return saved_key(path)


def load_need_index(path: Path, *, key: str) -> NeedIndexResult | None:
    """The result :func:`save_need_index` wrote for ``key``; None when absent, damaged or stale."""
    from indicators.kept import MISSING, load_keyed

    saved = load_keyed(path, key)
    if saved is MISSING:
        return None
    result = saved.get("result") if isinstance(saved, dict) else None
    if not isinstance(result, NeedIndexResult):
        raise IndicatorsError(f"{path}: expected a saved need index, got {type(result).__name__}")
    return result
