"""Trendbreuk target tracking: is a quarter of the backlog closed by 2030?

The Trendbreuk Zuid-Limburg aim (since 2018) is that by 2030 a quarter of
South Limburg's health backlog against the rest of the Netherlands is
closed. :func:`target_trajectory` draws the straight path from the start gap
to the target, and :func:`assess_target` projects the gap's own trend since
the start to the target year and says, in Dutch, whether it is on course.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from indicators.exceptions import ArgumentError
from indicators.present.formatting import fmt_number
from indicators.stats.distributions import norm_ppf, t_ppf
from indicators.stats.proportions import _check_confidence

__all__ = [
    "MIN_POST_START_POINTS",
    "TARGET_VERDICTS_NL",
    "TargetAssessment",
    "TargetPolarity",
    "assess_target",
    "assess_target_arrays",
    "target_path",
    "target_trajectory",
]

TargetPolarity = Literal["higher_is_better", "lower_is_better"]

TARGET_VERDICTS_NL: dict[str, str] = {
    "on_track": "op koers",
    "off_track": "niet op koers",
    "not_assessable": "nog niet te beoordelen",
}

MIN_POST_START_POINTS = 3


class TargetAssessment(NamedTuple):
    """Verdict on the Trendbreuk target for one gap series.

    Attributes
    ----------
    verdict_code : {"on_track", "off_track", "not_assessable"}
        Machine-readable verdict.
    verdict_nl : str
        ``"op koers"``, ``"niet op koers"`` or ``"nog niet te beoordelen"``.
    reason_nl : str
        One or two Dutch sentences with the numbers behind the verdict.
    projected_gap_at_target, lower, upper : float
        Projected gap in ``target_year`` and its confidence limits (on the
        gap scale, as in the input); NaN when not projected.
    required_gap_at_target : float
        Gap at which exactly ``fraction`` of the start backlog is closed.
    start_gap : float
        The gap in the start year used as the baseline.
    slope : float
        Fitted change of the gap per period since the start (NaN when not
        fitted).
    n_points : int
        Number of gap values after the start year.
    confidence : float
        Confidence level of the band.
    method : str
        ``"wls_trend_since_start"``.
    """

    verdict_code: str
    verdict_nl: str
    reason_nl: str
    projected_gap_at_target: float
    lower: float
    upper: float
    required_gap_at_target: float
    start_gap: float
    slope: float
    n_points: int
    confidence: float
    method: str


def _number(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.number)) or math.isnan(x):
        raise ArgumentError(f"{name} must be a number")
    return float(x)


def _check_years(start_year: Any, target_year: Any) -> tuple[float, float]:
    start, target = _number(start_year, "start_year"), _number(target_year, "target_year")
    if not target > start:
        raise ArgumentError("target_year must be after start_year")
    return start, target


def _check_fraction(fraction: Any) -> float:
    f = _number(fraction, "fraction")
    if not 0 < f <= 1:
        raise ArgumentError("fraction must be greater than 0 and at most 1")
    return f


def target_trajectory(
    start_year: int,
    start_gap: float,
    target_year: int = 2030,
    fraction: float = 0.25,
    *,
    neutral: float = 0.0,
) -> pd.DataFrame:
    """Straight path from the start gap to the gap with ``fraction`` of it closed.

    Parameters
    ----------
    start_year : int
        Year the programme started (2018 for Trendbreuk).
    start_gap : float
        Gap in ``start_year``.
    target_year : int, default 2030
        Year by which ``fraction`` of the gap should be closed.
    fraction : float, default 0.25
        Share of the start gap to close, in (0, 1].
    neutral : float, default 0.0
        Gap value meaning "no gap": 0 for differences, 1 for ratios.

    Returns
    -------
    pandas.DataFrame
        ``period`` (every year from ``start_year`` to ``target_year``),
        ``target_gap`` and ``method`` (``"linear_target_path"``).

    Raises
    ------
    indicators.exceptions.ArgumentError
        If ``target_year`` is not after ``start_year``, ``fraction`` is not in
        (0, 1], or ``start_gap`` is not a number.

    Notes
    -----
    ``target_gap(y) = neutral + (start_gap - neutral) (1 - fraction (y -
    start_year) / (target_year - start_year))``: closing at a constant pace.
    The policy text fixes only the end point; the straight line is the
    simplest reading of "on course" in between.

    Examples
    --------
    >>> target_trajectory(2018, -1.2, 2030, 0.25).iloc[[0, 6, 12]]["target_gap"].round(3).tolist()
    [-1.2, -1.05, -0.9]
    """
    years, path = target_path(start_year, start_gap, target_year, fraction, neutral=neutral)
    out = pd.DataFrame({"period": years, "target_gap": path, "method": "linear_target_path"})
    if float(start_year).is_integer() and float(target_year).is_integer():
        out["period"] = out["period"].astype(int)
    return out


def target_path(
    start_year: int,
    start_gap: float,
    target_year: int = 2030,
    fraction: float = 0.25,
    *,
    neutral: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`target_trajectory` as two arrays: years (floats) and target gaps.

    For callers that need the path of many series (the trend-break step, once
    per area and indicator), without a DataFrame per series. Same arguments,
    checks and numbers as :func:`target_trajectory`.

    >>> years, path = target_path(2018, -1.2, 2030, 0.25)
    >>> int(years[6]), round(float(path[6]), 3)
    (2024, -1.05)
    """
    start, target = _check_years(start_year, target_year)
    f = _check_fraction(fraction)
    g0 = _number(start_gap, "start_gap")
    nu = _number(neutral, "neutral")
    years = np.arange(start, target + 1)
    return years, nu + (g0 - nu) * (1.0 - f * (years - start) / (target - start))


def _gap_array(gap: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """``gap[cols]`` as floats, rows without period or gap dropped, sorted by period."""
    if all(isinstance(gap[c].dtype, np.dtype) and gap[c].dtype.kind in "fiu" for c in cols):
        d = np.column_stack([gap[c].to_numpy(dtype=float) for c in cols])
    else:  # text, nullable or other columns: pandas' conversion and its errors
        d = gap[cols].astype(float).to_numpy(dtype=float, na_value=np.nan)
    d = d[~(np.isnan(d[:, 0]) | np.isnan(d[:, 1]))]
    return d[np.argsort(d[:, 0], kind="stable")]


@functools.cache
def _t_quantile(q: float, df: int) -> float:
    """``scipy.stats.t.ppf(q, df)``, kept per argument (called once per area and indicator)."""
    return float(t_ppf(q, df))


@functools.cache
def _z_quantile(q: float) -> float:
    """``scipy.stats.norm.ppf(q)``, kept per argument."""
    return float(norm_ppf(q))


def _wls_projection(
    x: np.ndarray, y: np.ndarray, se: np.ndarray, at: float, confidence: float
) -> tuple[float, float, float, float]:
    """WLS line through (x, y) with weights 1/se^2; projection at ``at`` with a band.

    The residual scale is used when larger than 1 (extra year-to-year
    variation), never below 1 (the sampling error alone).
    """
    from statsmodels.tools.tools import add_constant

    X = add_constant(x - at, has_constant="add")
    params, normalized_cov, res_scale = _wls_fit(y, X, 1.0 / se**2)
    scale = max(1.0, float(res_scale))
    cov = normalized_cov * scale
    est, se_at = float(params[0]), float(np.sqrt(cov[0, 0]))
    crit = _t_quantile(0.5 + confidence / 2, len(x) - 2)
    return est, est - crit * se_at, est + crit * se_at, float(params[1])


def _wls_fit(y: np.ndarray, X: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, ...]:
    """statsmodels ``WLS(y, X, weights).fit()``: its ``params``, ``normalized_cov_params``
    and ``scale``, by the same operations (statsmodels 0.15,
    ``RegressionModel.fit(method="pinv")``, ``WLS.whiten``, ``RegressionResults.scale``).

    Written out because importing ``statsmodels.regression.linear_model`` (with
    ``scipy.stats``) took 0.6 s, most of the compute step when one area of a
    trend-break approach is recomputed (issue 7); the pseudo-inverse is still
    statsmodels' own (``pinv_extended``). ``tests/test_breaks_target.py`` checks
    the results equal statsmodels' bit for bit.
    """
    from statsmodels.tools.tools import pinv_extended

    root_w = np.sqrt(weights)
    wexog = root_w[:, None] * np.asarray(X)
    wendog = np.asarray(y) * root_w
    pinv_wexog, singular_values = pinv_extended(wexog)
    normalized_cov = np.dot(pinv_wexog, np.transpose(pinv_wexog))
    params = np.dot(pinv_wexog, wendog)
    rank = np.linalg.matrix_rank(np.diag(singular_values))
    wresid = wendog - np.dot(wexog, params)
    return params, normalized_cov, np.dot(wresid, wresid) / (len(wendog) - rank)


def assess_target(
    gap: pd.DataFrame,
    *,
    start_year: int,
    polarity: TargetPolarity,
    target_year: int = 2030,
    fraction: float = 0.25,
    start_gap: float | None = None,
    neutral: float = 0.0,
    confidence: float = 0.95,
    decimals: int = 1,
    unit: str = "",
) -> TargetAssessment:
    """Is the gap on course to have ``fraction`` of its start backlog closed by ``target_year``?

    Parameters
    ----------
    gap : pandas.DataFrame
        Gap series with ``period``, ``gap``, ``lower``, ``upper`` (as from
        :func:`indicators.breaks.gap_series`; ``gap = area - reference``).
    start_year : int
        Start of the programme; the baseline gap is the one in this year.
    polarity : {"higher_is_better", "lower_is_better"}
        Polarity of the *indicator*. With ``gap = area - reference`` a
        negative gap is a backlog for "higher is better" (life expectancy)
        and a positive gap for "lower is better" (smoking). "neutral" is not
        accepted: without a better side there is no backlog.
    target_year : int, default 2030
        Year of the target.
    fraction : float, default 0.25
        Share of the start backlog to close.
    start_gap : float, optional
        Baseline gap; default the gap in ``start_year`` from ``gap``.
    neutral : float, default 0.0
        Gap meaning "no gap" (1 for ratio gaps).
    confidence : float, default 0.95
        Level of the projection band; also the level the input limits are
        assumed to have when converting them to standard errors.
    decimals : int, default 1
        Decimals for the numbers in ``reason_nl``.
    unit : str, default ""
        Unit appended to the numbers in ``reason_nl`` (e.g. ``" jaar"``).

    Returns
    -------
    TargetAssessment
        Verdict code, Dutch verdict and reason, projection with limits, and
        the required gap.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a column is missing, periods repeat, ``polarity`` is unknown, there
        is no start gap, or a limit lies on the wrong side of its gap.

    Notes
    -----
    *Backlog.* ``backlog = s (gap - neutral)`` with ``s = -1`` for "higher is
    better" and ``+1`` for "lower is better", so a backlog is positive and
    "closing" means moving towards 0 from either side. Overshooting past 0
    (the area doing better than the reference) counts as closed. The target
    is ``backlog <= (1 - fraction) backlog_start`` in ``target_year``.

    *Projection.* A straight line fitted by weighted least squares (weights
    ``1 / se^2``, ``se = (upper - lower) / (2 z)``) to the gap values from the
    start year on (the start year included), extrapolated to
    ``target_year``, with a t-based (``n - 2`` df) confidence band for the
    *trend value* in that year -- not a prediction interval for a single
    future measurement. The residual scale is used when it exceeds 1
    (year-to-year variation beyond sampling error), so the band is never
    narrower than the sampling error implies. Points before the start are
    deliberately *not* used, even when there are few after it: they describe
    the trend before the programme, and the question is whether the trend
    since the start is enough. The band assumes the trend stays linear to
    the target year; the earlier in the programme, the longer the
    extrapolation and the wider the band.

    *Verdict.* With fewer than 3 gap values after the start year:
    "nog niet te beoordelen". Otherwise, on the backlog scale with required
    value ``R``: "op koers" when the whole band lies at or below ``R``
    (upper backlog limit ``<= R``), "niet op koers" when the whole band lies
    above ``R``, and "nog niet te beoordelen" when the band contains ``R``.
    Without a backlog at the start (start gap on the good side of
    ``neutral``) the verdict is "nog niet te beoordelen" with that reason.

    Examples
    --------
    >>> g = pd.DataFrame({"period": range(2014, 2025)})
    >>> g["gap"] = [-1.2] * 5 + [-1.2 + 0.05 * k for k in range(1, 7)]
    >>> g["lower"], g["upper"] = g["gap"] - 0.1, g["gap"] + 0.1
    >>> a = assess_target(g, start_year=2018, polarity="higher_is_better")
    >>> a.verdict_nl, round(a.projected_gap_at_target, 2), round(a.required_gap_at_target, 2)
    ('op koers', -0.6, -0.9)
    >>> print(a.reason_nl)  # doctest: +NORMALIZE_WHITESPACE
    De achterstand was 1,2 in 2018; het doel is hoogstens 0,9 in 2030 (een kwart
    ingelopen). Volgens de trend sinds 2018 (6 metingen na 2018) is de achterstand
    in 2030 0,6 (95%-betrouwbaarheidsinterval 0,4 tot 0,8): kleiner dan het doel.
    """
    checked = _check_target_args(polarity, start_year, target_year, fraction, confidence, neutral)
    if not isinstance(gap, pd.DataFrame):
        raise ArgumentError("gap must be a pandas DataFrame")
    cols = ["period", "gap", "lower", "upper"]
    missing = [c for c in cols if c not in gap.columns]
    if missing:
        raise ArgumentError(f"gap must have columns {', '.join(cols)}; missing {missing}")
    return _assess(
        _gap_array(gap, cols), checked, polarity, start_year, target_year, start_gap, decimals,
        unit,
    )  # fmt: skip


def assess_target_arrays(
    period: np.ndarray,
    gap: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    start_year: int,
    polarity: TargetPolarity,
    target_year: int = 2030,
    fraction: float = 0.25,
    start_gap: float | None = None,
    neutral: float = 0.0,
    confidence: float = 0.95,
    decimals: int = 1,
    unit: str = "",
) -> TargetAssessment:
    """:func:`assess_target` on a gap series given as four arrays of equal length.

    For callers that assess many series (the trend-break step, once per area
    and indicator): the same checks, numbers and Dutch text as
    :func:`assess_target` with ``pd.DataFrame({"period": period, "gap": gap,
    "lower": lower, "upper": upper})``, without building that frame.

    >>> period, gap = [2018, 2019, 2020, 2021, 2022], [1.0, 0.9, 0.8, 0.7, 0.6]
    >>> lower, upper = [g - 0.05 for g in gap], [g + 0.05 for g in gap]
    >>> a = assess_target_arrays(
    ...     period, gap, lower, upper, start_year=2018, polarity="lower_is_better"
    ... )
    >>> a.verdict_code, round(a.projected_gap_at_target, 2)
    ('on_track', -0.2)
    >>> frame = pd.DataFrame({"period": period, "gap": gap, "lower": lower, "upper": upper})
    >>> a == assess_target(frame, start_year=2018, polarity="lower_is_better")
    True
    """
    checked = _check_target_args(polarity, start_year, target_year, fraction, confidence, neutral)
    cols = [np.asarray(c, dtype=float) for c in (period, gap, lower, upper)]
    if len({len(c) for c in cols}) != 1 or any(c.ndim != 1 for c in cols):
        raise ArgumentError("period, gap, lower and upper must be 1-d arrays of one length")
    d = np.column_stack(cols)
    d = d[~(np.isnan(d[:, 0]) | np.isnan(d[:, 1]))]
    d = d[np.argsort(d[:, 0], kind="stable")]
    return _assess(d, checked, polarity, start_year, target_year, start_gap, decimals, unit)


def _check_target_args(
    polarity: Any, start_year: Any, target_year: Any, fraction: Any, confidence: Any, neutral: Any
) -> tuple[float, float, float, float, float]:
    """Checked ``start, target, fraction, confidence, neutral`` as floats."""
    if polarity not in ("higher_is_better", "lower_is_better"):
        raise ArgumentError(
            f"polarity must be one of higher_is_better, lower_is_better; got {polarity!r}"
        )
    start, target = _check_years(start_year, target_year)
    f = _check_fraction(fraction)
    conf = _check_confidence(confidence)
    return start, target, f, conf, _number(neutral, "neutral")


def _assess(
    d: np.ndarray,
    checked: tuple[float, float, float, float, float],
    polarity: TargetPolarity,
    start_year: Any,
    target_year: Any,
    start_gap: float | None,
    decimals: int,
    unit: str,
) -> TargetAssessment:
    """The assessment on ``d`` = (period, gap, lower, upper) rows, sorted by period.

    numpy only: the trend-break step calls this once per area and indicator,
    and pandas' per-call overhead on these few rows was most of its time (issue 7).
    """
    start, target, f, conf, nu = checked
    period, g, lower, upper = d.T
    if np.any(np.diff(period) == 0):
        raise ArgumentError("each period must occur once in gap")
    if np.any(lower > g) or np.any(g > upper):
        raise ArgumentError("lower <= gap <= upper must hold in every row")
    s = -1.0 if polarity == "higher_is_better" else 1.0

    if start_gap is None:
        at_start = g[period == start]
        if not len(at_start):
            raise ArgumentError(
                f"no gap value in start_year {start_year}: pass start_gap explicitly"
            )
        g0 = float(at_start[0])
    else:
        g0 = _number(start_gap, "start_gap")
    required = nu + (1.0 - f) * (g0 - nu)
    b0 = s * (g0 - nu)
    b_req = (1.0 - f) * b0

    def num(x: float) -> str:
        return fmt_number(x, decimals) + unit

    sy, ty = _year(start_year), _year(target_year)
    share = {0.25: "een kwart", 0.5: "de helft", 1.0: "alles"}.get(f, f"{fmt_number(100 * f, 0)}%")
    intro = (
        f"De achterstand was {num(b0)} in {sy}; het doel is hoogstens {num(b_req)} in {ty} "
        f"({share} ingelopen)."
    )
    nan = float("nan")
    method = "wls_trend_since_start"

    def result(code: str, reason: str, proj=nan, lo=nan, hi=nan, slope=nan, n=0):
        return TargetAssessment(
            code, TARGET_VERDICTS_NL[code], reason, proj, lo, hi, required, g0, slope, n, conf,
            method,
        )  # fmt: skip

    since = d[period >= start]
    n_after = int((since[:, 0] > start).sum())
    if not b0 > 0:
        return result(
            "not_assessable",
            f"In {sy} was er geen achterstand (kloof {num(g0 - nu)}): het doel is hier niet "
            "van toepassing.",
            n=n_after,
        )
    if n_after < MIN_POST_START_POINTS:
        return result(
            "not_assessable",
            f"{intro} Er zijn pas {n_after} metingen na {sy}; voor een trend zijn er minstens "
            f"{MIN_POST_START_POINTS} nodig.",
            n=n_after,
        )
    z = _z_quantile(0.5 + conf / 2)
    se = (since[:, 3] - since[:, 2]) / (2 * z)
    if np.any(~np.isfinite(se)) or np.any(se <= 0):
        raise ArgumentError("every gap after the start needs lower < upper to weight the trend")
    proj, lo, hi, slope = _wls_projection(since[:, 0], since[:, 1], se, target, conf)
    # Backlog scale: s flips the order of the limits for higher_is_better.
    b_proj = s * (proj - nu)
    b_lo, b_hi = sorted((s * (lo - nu), s * (hi - nu)))
    pct = fmt_number(100 * conf, 0)
    band = (
        f"Volgens de trend sinds {sy} ({n_after} metingen na {sy}) is de achterstand in {ty} "
        f"{num(b_proj)} ({pct}%-betrouwbaarheidsinterval {num(b_lo)} tot {num(b_hi)})"
    )
    if b_hi <= b_req:
        code, tail = "on_track", ": kleiner dan het doel."
    elif b_lo > b_req:
        code, tail = "off_track", ": groter dan het doel."
    else:
        code, tail = "not_assessable", f"; het interval omvat het doel van {num(b_req)}."
    return result(code, f"{intro} {band}{tail}", proj, lo, hi, slope, n_after)


def _year(x: Any) -> str:
    v = float(x)
    return str(int(v)) if v.is_integer() else fmt_number(v, 1)
