"""Recent-trend tests and classification (PHE Fingertips "recent trends").

The tests work on one series at a time (:func:`chi_square_trend`,
:func:`wls_trend`, :func:`classify_recent_trend`); :func:`recent_trends` runs
the classification for every group of a long data frame in one vectorised
pass. All of them share the same private engine, so a group classified by
:func:`recent_trends` gets exactly what :func:`classify_recent_trend` gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from indicators.exceptions import ArgumentError
from indicators.stats.compare import TREND_LABELS_NL, Polarity, _check_polarity
from indicators.stats.distributions import chi2_sf, t_sf
from indicators.stats.proportions import _as_float_array, _check_confidence, _z

__all__ = [
    "VALUE_TYPES",
    "RecentTrend",
    "TrendMethod",
    "TrendTest",
    "ValueType",
    "chi_square_trend",
    "classify_recent_trend",
    "recent_trends",
    "wls_trend",
]

ValueType = Literal["proportion", "rate", "mean", "score"]
VALUE_TYPES: tuple[str, ...] = ("proportion", "rate", "mean", "score")
TrendMethod = Literal["chi_square_trend", "wls"]


class TrendTest(NamedTuple):
    """Result of a test for linear trend.

    Attributes
    ----------
    statistic : float
        Chi-square statistic (1 df) for :func:`chi_square_trend`; t statistic
        of the slope for :func:`wls_trend`.
    p_value : float
        Two-sided p-value.
    slope : float
        Fitted slope of the value (proportion for the chi-square test) per
        unit of score/period.
    """

    statistic: float
    p_value: float
    slope: float


class RecentTrend(NamedTuple):
    """Recent-trend classification of one series.

    Attributes
    ----------
    code : str
        One of ``"increasing_better"``, ``"increasing_worse"``,
        ``"decreasing_better"``, ``"decreasing_worse"``, ``"increasing"``,
        ``"decreasing"`` (neutral polarity), ``"no_significant_change"`` or
        ``"cannot_calculate"``.
    label_nl : str
        Dutch label of ``code`` (see ``TREND_LABELS_NL``).
    direction : {"increasing", "decreasing"} or None
        Direction of a significant and stable trend; None otherwise.
    slope : float
        Fitted slope per period unit (NaN when not calculated).
    p_value : float
        p-value of the trend test (NaN when not calculated).
    n_points : int
        Number of points used; when the trend cannot be calculated, the
        number of consecutive most recent non-missing points found (at most
        ``n_points``).
    method : {"chi_square_trend", "wls"} or None
        Test used; None when the trend cannot be calculated.
    """

    code: str
    label_nl: str
    direction: str | None
    slope: float
    p_value: float
    n_points: int
    method: str | None


# --------------------------------------------------------------------------
# Vectorised engine: every array below has shape (groups, points).
# --------------------------------------------------------------------------


def _weighted_slope(
    x: np.ndarray, y: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least-squares slope over the last axis: (slope, sxx, x mean, y mean)."""
    sw = w.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        xm = (w * x).sum(axis=-1) / sw
        ym = (w * y).sum(axis=-1) / sw
        dx = x - xm[..., None]
        sxx = (w * dx * dx).sum(axis=-1)
        sxy = (w * dx * (y - ym[..., None])).sum(axis=-1)
        slope = sxy / sxx
    return slope, sxx, xm, ym


def _loo_slopes(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Slopes refitted with each single point left out (weight set to 0)."""
    k = x.shape[-1]
    keep = 1.0 - np.eye(k)
    return _weighted_slope(x[:, None, :], y[:, None, :], w[:, None, :] * keep)[0]


def _wls_batch(x: np.ndarray, y: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, ...]:
    """WLS of y on x with weights 1/se^2 and residual-based scale (as statsmodels WLS)."""
    w = 1.0 / se**2
    slope, sxx, xm, ym = _weighted_slope(x, y, w)
    df = x.shape[-1] - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = y - ym[:, None] - slope[:, None] * (x - xm[:, None])
        sigma2 = (w * resid**2).sum(axis=-1) / df
        t = slope / np.sqrt(sigma2 / sxx)
    p = 2.0 * t_sf(np.abs(t), df)
    return t, p, slope, _loo_slopes(x, y, w)


def _chi_batch(s: np.ndarray, num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, ...]:
    """Chi-square test for trend in proportions (R ``prop.trend.test``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = num / den
        slope, sxx, _, _ = _weighted_slope(s, prop, den)
        pbar = num.sum(axis=-1) / den.sum(axis=-1)
        chisq = slope**2 * sxx / (pbar * (1.0 - pbar))
    p = chi2_sf(chisq, 1)
    return chisq, p, slope, _loo_slopes(s, prop, den)


def _codes(direction: np.ndarray, polarity: np.ndarray) -> np.ndarray:
    inc = direction == "increasing"
    dec = direction == "decreasing"
    hib = polarity == "higher_is_better"
    lib = polarity == "lower_is_better"
    return np.select(
        [inc & hib, inc & lib, dec & hib, dec & lib, inc, dec],
        [
            "increasing_better",
            "increasing_worse",
            "decreasing_worse",
            "decreasing_better",
            "increasing",
            "decreasing",
        ],
        default="no_significant_change",
    ).astype(object)


def _engine(
    group: np.ndarray,
    period: np.ndarray,
    value: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    num: np.ndarray,
    den: np.ndarray,
    value_type: np.ndarray,
    polarity: np.ndarray,
    *,
    n_points: int,
    alpha: float,
    ci_confidence: float,
) -> dict[str, np.ndarray]:
    """Classify every group. Rows must be sorted by (group, period); groups are 0..G-1.

    ``value_type`` and ``polarity`` hold one entry per group.
    """
    k = n_points
    n_groups = len(value_type)
    counts = np.bincount(group, minlength=n_groups)
    end = np.cumsum(counts)
    start = end - counts
    idx = np.arange(len(group))

    # Consecutive non-missing points counted back from the most recent period.
    last_missing = np.full(n_groups, -1)
    miss = np.isnan(value)
    np.maximum.at(last_missing, group[miss], idx[miss])
    trailing = np.where(last_missing >= start, end - 1 - last_missing, counts)
    n_found = np.minimum(trailing, k)

    code = np.full(n_groups, "cannot_calculate", dtype=object)
    direction = np.full(n_groups, None, dtype=object)
    method = np.full(n_groups, None, dtype=object)
    slope_out = np.full(n_groups, np.nan)
    p_out = np.full(n_groups, np.nan)

    # A window is usable when the k most recent periods all have a value.
    usable = np.flatnonzero(n_found >= k)
    if usable.size:
        rows = end[usable, None] - k + np.arange(k)
        x, y = period[rows], value[rows]
        lo, hi, n_, d_ = lower[rows], upper[rows], num[rows], den[rows]

        is_chi = (value_type[usable] == "proportion") & ~np.isnan(n_).any(1) & ~np.isnan(d_).any(1)
        if np.any(d_[is_chi] <= 0):
            raise ArgumentError("denominators must be greater than zero")
        if np.any(n_[is_chi] < 0):
            raise ArgumentError("numerators must be greater than or equal to zero")
        if np.any(n_[is_chi] > d_[is_chi]):
            raise ArgumentError("numerators must not be larger than denominators")
        if np.any(lo > hi):
            raise ArgumentError("lower confidence limits must not be larger than upper limits")

        se = (hi - lo) / (2.0 * _z(ci_confidence))
        is_wls = ~is_chi & np.isfinite(se).all(1) & (se > 0).all(1)

        g_slope = np.full(len(usable), np.nan)
        g_p = np.full(len(usable), np.nan)
        g_loo = np.full((len(usable), k), np.nan)
        if is_chi.any():
            _, g_p[is_chi], g_slope[is_chi], g_loo[is_chi] = _chi_batch(
                x[is_chi], n_[is_chi], d_[is_chi]
            )
        if is_wls.any():
            _, g_p[is_wls], g_slope[is_wls], g_loo[is_wls] = _wls_batch(
                x[is_wls], y[is_wls], se[is_wls]
            )

        done = (is_chi | is_wls) & ~np.isnan(g_p)
        stable = (np.sign(g_loo) == np.sign(g_slope)[:, None]).all(1) & (g_slope != 0)
        sig = done & (g_p < alpha) & stable
        g_dir = np.where(sig, np.where(g_slope > 0, "increasing", "decreasing"), None)
        g_code = np.where(done, _codes(g_dir.astype(object), polarity[usable]), "cannot_calculate")

        code[usable] = g_code
        direction[usable] = np.where(sig, g_dir, None)
        method[usable] = np.where(done, np.where(is_chi, "chi_square_trend", "wls"), None)
        slope_out[usable] = np.where(done, g_slope, np.nan)
        p_out[usable] = np.where(done, g_p, np.nan)

    label = np.array([TREND_LABELS_NL[c] for c in code], dtype=object)
    return {
        "code": code,
        "label": label,
        "direction": direction,
        "slope": slope_out,
        "p_value": p_out,
        "n_points": n_found.astype(int),
        "method": method,
    }


# --------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------


def _check_series(arrays: dict[str, np.ndarray]) -> None:
    lengths = {a.shape for a in arrays.values()}
    if any(a.ndim != 1 for a in arrays.values()) or len(lengths) != 1:
        raise ArgumentError(f"{' and '.join(arrays)} must be one-dimensional and of equal length")


def _check_value_type(value_type: Any) -> np.ndarray:
    arr = np.array(value_type, dtype=object)
    known = np.isin(arr, VALUE_TYPES)
    if not np.all(known):
        bad = sorted({repr(v) for v in np.atleast_1d(arr)[~np.atleast_1d(known)]})
        raise ArgumentError(
            f"value_type must be one of {', '.join(VALUE_TYPES)}; got {', '.join(bad)}"
        )
    return arr


def _check_options(n_points: int, alpha: float, ci_confidence: float) -> None:
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 3:
        raise ArgumentError("n_points must be an integer of at least 3")
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, (int, float, np.number))
        or not 0.0 < float(alpha) < 1.0
    ):
        raise ArgumentError("alpha must be a single number between 0 and 1 (exclusive)")
    _check_confidence(ci_confidence)


def _check_periods(period: np.ndarray, group: np.ndarray) -> None:
    if np.isnan(period).any():
        raise ArgumentError("periods must not be missing")
    same = (group[1:] == group[:-1]) & (period[1:] == period[:-1])
    if same.any():
        raise ArgumentError("periods must be unique within each series")


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def chi_square_trend(numerators: Any, denominators: Any, scores: Any = None) -> TrendTest:
    """Chi-square test for trend in proportions (Cochran-Armitage), as R ``prop.trend.test``.

    Parameters
    ----------
    numerators : array_like
        Number of cases in each group/period (one series).
    denominators : array_like
        Number of trials in each group/period, same length.
    scores : array_like, optional
        Scores of the groups (e.g. years); default ``1, 2, ..., k`` as in R.

    Returns
    -------
    TrendTest
        ``statistic`` (chi-square, 1 df), ``p_value`` and ``slope`` (change in
        proportion per score unit). All NaN if any input is missing;
        ``statistic`` and ``p_value`` are NaN when the pooled proportion is
        0 or 1 (the test is undefined there).

    Raises
    ------
    indicators.exceptions.ArgumentError
        If the inputs differ in length or have fewer than 2 points, a
        denominator is not greater than zero, or a numerator is negative or
        larger than its denominator.

    Notes
    -----
    With ``p_i = x_i/n_i``, pooled ``p = sum(x)/sum(n)`` and ``s_bar`` the
    ``n``-weighted mean score, the statistic is::

        X2 = (sum x_i (s_i - s_bar))^2 / (p (1 - p) sum n_i (s_i - s_bar)^2)

    which is the regression sum of squares of the weighted linear regression
    of ``p_i`` on ``s_i`` with weights ``n_i / (p (1 - p))`` -- exactly how R
    computes ``prop.trend.test`` -- i.e. the score test for the slope of a
    linear probability model. ``slope`` is that regression's slope. The
    linear-by-linear association statistic ``M^2 = (N - 1) r^2`` (statsmodels
    ``Table.test_ordinal_association``) equals ``X2 (N - 1) / N``.

    Checked against the published output of R's documentation example
    ``prop.trend.test(smokers, patients)`` (X-squared = 8.2249, p-value =
    0.004132) and, at full precision, against statsmodels (weighted
    regression sum of squares and ``test_ordinal_association``); see
    ``tests/reference/README.md``.

    References
    ----------
    .. [1] Cochran WG. Some methods for strengthening the common chi-squared
       tests. Biometrics 1954;10(4):417-451. https://doi.org/10.2307/3001616
    .. [2] Armitage P. Tests for linear trends in proportions and
       frequencies. Biometrics 1955;11(3):375-386.
       https://doi.org/10.2307/3001775
    .. [3] R Core Team. R: A Language and Environment for Statistical
       Computing, function ``stats::prop.trend.test``. R Foundation for
       Statistical Computing, Vienna. https://www.R-project.org/

    Examples
    --------
    >>> r = chi_square_trend([83, 90, 129, 70], [86, 93, 136, 82])
    >>> round(r.statistic, 4), round(r.p_value, 6)
    (8.2249, 0.004132)
    """
    x = _as_float_array(numerators, "numerators")
    n = _as_float_array(denominators, "denominators")
    s = np.arange(1.0, x.size + 1.0) if scores is None else _as_float_array(scores, "scores")
    _check_series({"numerators": x, "denominators": n, "scores": s})
    if x.size < 2:
        raise ArgumentError("at least 2 points are needed for a test for trend")
    if np.any(n <= 0):
        raise ArgumentError("denominators must be greater than zero")
    if np.any(x < 0):
        raise ArgumentError("numerators must be greater than or equal to zero")
    if np.any(x > n):
        raise ArgumentError("numerators must not be larger than denominators")
    if np.isnan(x).any() or np.isnan(n).any() or np.isnan(s).any():
        return TrendTest(np.nan, np.nan, np.nan)
    chisq, p, slope, _ = _chi_batch(s[None, :], x[None, :], n[None, :])
    return TrendTest(float(chisq[0]), float(p[0]), float(slope[0]))


def wls_trend(periods: Any, values: Any, se: Any) -> TrendTest:
    """Weighted least-squares linear trend of values on periods, weights ``1/se^2``.

    Parameters
    ----------
    periods : array_like
        Numeric periods (e.g. years) of one series.
    values : array_like
        Values, same length.
    se : array_like
        Standard errors of the values, same length, greater than zero.

    Returns
    -------
    TrendTest
        ``statistic`` (t statistic of the slope), two-sided ``p_value`` from
        the t distribution with ``k - 2`` degrees of freedom, and ``slope``
        per period unit. All NaN if any input is missing.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If the inputs differ in length or have fewer than 3 points, or a
        standard error is not greater than zero.

    Notes
    -----
    Same estimates as statsmodels ``WLS(values, add_constant(periods),
    weights=1/se**2).fit()`` (slope ``params[1]``, ``tvalues[1]``,
    ``pvalues[1]``): the residual variance is estimated, so the standard
    errors only set the relative weights and over-dispersion between periods
    is allowed for. Computed in closed form so that thousands of series can
    be processed at once; tested against statsmodels.

    References
    ----------
    .. [1] Draper NR, Smith H. Applied Regression Analysis, 3rd edn. New
       York: Wiley; 1998. https://doi.org/10.1002/9781118625590
    .. [2] Seabold S, Perktold J. statsmodels: Econometric and statistical
       modeling with Python. Proceedings of the 9th Python in Science
       Conference, 2010. https://doi.org/10.25080/Majora-92bf1922-011

    Examples
    --------
    >>> r = wls_trend([2019, 2020, 2021, 2022, 2023], [10.0, 10.9, 12.1, 13.0, 13.9],
    ...               [0.3, 0.3, 0.4, 0.4, 0.5])
    >>> round(r.slope, 3), r.p_value < 0.001
    (0.998, True)
    """
    x = _as_float_array(periods, "periods")
    y = _as_float_array(values, "values")
    s = _as_float_array(se, "standard errors")
    _check_series({"periods": x, "values": y, "standard errors": s})
    if x.size < 3:
        raise ArgumentError("at least 3 points are needed for a weighted least squares trend")
    if np.any(s <= 0):
        raise ArgumentError("standard errors must be greater than zero")
    if np.isnan(x).any() or np.isnan(y).any() or np.isnan(s).any():
        return TrendTest(np.nan, np.nan, np.nan)
    t, p, slope, _ = _wls_batch(x[None, :], y[None, :], s[None, :])
    return TrendTest(float(t[0]), float(p[0]), float(slope[0]))


def classify_recent_trend(
    periods: Any,
    values: Any,
    lower: Any,
    upper: Any,
    numerators: Any = None,
    denominators: Any = None,
    *,
    value_type: ValueType,
    polarity: Polarity,
    n_points: int = 5,
    alpha: float = 0.05,
    ci_confidence: float = 0.95,
) -> RecentTrend:
    """Classify the recent trend of one series, following PHE Fingertips.

    Parameters
    ----------
    periods : array_like
        Numeric, unique periods (e.g. years), in any order. A period without
        data must be present with a missing value, otherwise a gap cannot be
        seen.
    values : array_like
        Indicator values, same length (missing allowed).
    lower, upper : array_like or None
        Confidence limits of the values (at level ``ci_confidence``); used to
        derive standard errors for the weighted regression. None means
        "not available".
    numerators, denominators : array_like, optional
        Counts for proportions; used for the chi-square test for trend when
        ``value_type="proportion"``.
    value_type : {"proportion", "rate", "mean", "score"}
        Kind of value; selects the test.
    polarity : {"higher_is_better", "lower_is_better", "neutral"}
        Whether an increase is an improvement.
    n_points : int, default 5
        Number of most recent consecutive points used (at least 3).
    alpha : float, default 0.05
        Significance level of the trend test.
    ci_confidence : float, default 0.95
        Confidence level of ``lower``/``upper``.

    Returns
    -------
    RecentTrend
        Code, Dutch label, direction, slope, p-value, number of points and
        method (see :class:`RecentTrend`).

    Raises
    ------
    indicators.exceptions.ArgumentError
        On an unknown ``value_type`` or ``polarity`` (exact names only), inputs
        of unequal length, missing or duplicate periods, ``n_points < 3``,
        ``alpha`` outside (0, 1), or invalid counts/limits in the window.

    Notes
    -----
    Rules, after the Fingertips "recent trends" method:

    1. The window is the ``n_points`` most recent periods of the series. All
       of them must have a value; otherwise (fewer points, a missing value in
       the window, or a missing most recent value) the code is
       ``"cannot_calculate"`` ("kan niet worden berekend").
    2. ``value_type="proportion"`` with numerators and denominators for the
       whole window uses :func:`chi_square_trend` with the periods as scores.
       Everything else uses :func:`wls_trend` with
       ``se = (upper - lower) / (2 z)``. Without usable limits (missing, or
       zero width) the trend cannot be calculated: an unweighted regression
       on, e.g., scores without an interval is deliberately not used. For
       asymmetric intervals this ``se`` is an approximation.
    3. A trend is reported when ``p < alpha`` **and** the trend is stable.
       Stability is our interpretation of the Fingertips check that a single
       point does not drive the trend: the fitted slope keeps its sign
       whenever any one of the points is left out (same test, same weights).
       Otherwise the code is ``"no_significant_change"`` ("geen significante
       verandering"). An undefined test (e.g. all proportions 0) gives
       ``"cannot_calculate"``.
    4. The direction is combined with the polarity: increasing and higher is
       better gives ``"increasing_better"`` ("toenemend en verbeterend"),
       etc.; neutral polarity gives ``"increasing"``/``"decreasing"``.

    Validated by simulation (known true trends, flat series) in
    ``tests/test_stats_trends.py``.

    References
    ----------
    .. [1] Public Health England / Office for Health Improvement and
       Disparities. Fingertips public health profiles: technical guidance,
       "Recent trends". https://fingertips.phe.org.uk/profile/guidance
    .. [2] Armitage P. Tests for linear trends in proportions and
       frequencies. Biometrics 1955;11(3):375-386.
       https://doi.org/10.2307/3001775

    Examples
    --------
    >>> t = classify_recent_trend(
    ...     [2019, 2020, 2021, 2022, 2023], [0.20, 0.22, 0.25, 0.27, 0.30], None, None,
    ...     [200, 220, 250, 270, 300], [1000, 1000, 1000, 1000, 1000],
    ...     value_type="proportion", polarity="lower_is_better")
    >>> t.code, t.label_nl, t.method
    ('increasing_worse', 'toenemend en verslechterend', 'chi_square_trend')
    >>> classify_recent_trend([2020, 2021, 2022], [1.0, 2.0, 3.0], [0.5, 1.5, 2.5],
    ...                       [1.5, 2.5, 3.5], value_type="mean", polarity="neutral").label_nl
    'kan niet worden berekend'
    """
    vt = _check_value_type(value_type)
    pol = _check_polarity(polarity)
    if vt.ndim or pol.ndim:
        raise ArgumentError("value_type and polarity must be single names for one series")
    _check_options(n_points, alpha, ci_confidence)

    period = _as_float_array(periods, "periods")
    value = _as_float_array(values, "values")

    def optional(arg: Any, name: str) -> np.ndarray:
        return np.full(value.shape, np.nan) if arg is None else _as_float_array(arg, name)

    arrays = {
        "periods": period,
        "values": value,
        "lower": optional(lower, "lower"),
        "upper": optional(upper, "upper"),
        "numerators": optional(numerators, "numerators"),
        "denominators": optional(denominators, "denominators"),
    }
    _check_series(arrays)
    order = np.argsort(period, kind="stable")
    period, value, lo, hi, num, den = (a[order] for a in arrays.values())
    group = np.zeros(period.size, dtype=int)
    _check_periods(period, group)

    res = _engine(
        group,
        period,
        value,
        lo,
        hi,
        num,
        den,
        vt.reshape(1),
        pol.reshape(1),
        n_points=int(n_points),
        alpha=float(alpha),
        ci_confidence=ci_confidence,
    )
    return RecentTrend(
        code=res["code"][0],
        label_nl=res["label"][0],
        direction=res["direction"][0],
        slope=float(res["slope"][0]),
        p_value=float(res["p_value"][0]),
        n_points=int(res["n_points"][0]),
        method=res["method"][0],
    )


def recent_trends(
    frame: pd.DataFrame,
    *,
    by: str | Sequence[str],
    period_col: str = "period",
    value_col: str = "value",
    lower_col: str | None = "lower_ci",
    upper_col: str | None = "upper_ci",
    numerator_col: str | None = "numerator",
    denominator_col: str | None = "denominator",
    value_type_col: str = "value_type",
    polarity_col: str = "polarity",
    n_points: int = 5,
    alpha: float = 0.05,
    ci_confidence: float = 0.95,
) -> pd.DataFrame:
    """Classify the recent trend of every series in a long data frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per series and period, with the ``by`` columns, numeric
        periods, values, confidence limits, optional numerators and
        denominators, and the value type and polarity (constant within each
        series). Not modified.
    by : str or sequence of str
        Columns identifying a series (e.g. indicator, area, sex).
    period_col, value_col : str
        Column names of the periods and values.
    lower_col, upper_col, numerator_col, denominator_col : str or None
        Column names; None when the frame has no such column (treated as
        missing). A named column that is absent raises.
    value_type_col, polarity_col : str
        Columns holding the value type and polarity names.
    n_points, alpha, ci_confidence
        As in :func:`classify_recent_trend`.

    Returns
    -------
    pandas.DataFrame
        One row per series (sorted by ``by``; missing keys kept) with the
        ``by`` columns and ``trend_code``, ``trend_label``, ``trend_slope``,
        ``trend_p_value``, ``trend_n_points`` and ``trend_method``.

    Raises
    ------
    indicators.exceptions.ArgumentError
        On missing columns, non-numeric, missing or duplicate periods within
        a series, value type or polarity not constant within a series, and
        anything :func:`classify_recent_trend` rejects.

    Notes
    -----
    Every series gets exactly the result of :func:`classify_recent_trend`
    (the same engine, tested row by row); the work is vectorised over
    series, so thousands of series take well under a second.

    References
    ----------
    .. [1] Public Health England / Office for Health Improvement and
       Disparities. Fingertips public health profiles: technical guidance,
       "Recent trends". https://fingertips.phe.org.uk/profile/guidance

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "area": ["A"] * 5 + ["B"] * 4,
    ...     "period": [2019, 2020, 2021, 2022, 2023, 2020, 2021, 2022, 2023],
    ...     "value": [10.0, 11.0, 12.1, 13.0, 14.2, 5.0, 5.1, 4.9, 5.0],
    ...     "lower_ci": [9.5, 10.5, 11.6, 12.5, 13.7, 4.5, 4.6, 4.4, 4.5],
    ...     "upper_ci": [10.5, 11.5, 12.6, 13.5, 14.7, 5.5, 5.6, 5.4, 5.5],
    ...     "value_type": "mean", "polarity": "higher_is_better"})
    >>> recent_trends(df, by="area", numerator_col=None, denominator_col=None)[
    ...     ["area", "trend_code", "trend_n_points"]]
      area         trend_code  trend_n_points
    0    A  increasing_better               5
    1    B   cannot_calculate               4
    """
    _check_options(n_points, alpha, ci_confidence)
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError("frame must be a pandas DataFrame")
    by_cols = [by] if isinstance(by, str) else list(by)
    if not by_cols:
        raise ArgumentError("by must name at least one column")
    named = [period_col, value_col, value_type_col, polarity_col]
    named += [c for c in (lower_col, upper_col, numerator_col, denominator_col) if c is not None]
    absent = [c for c in dict.fromkeys(by_cols + named) if c not in frame.columns]
    if absent:
        raise ArgumentError(f"frame is missing column(s): {', '.join(map(str, absent))}")
    if not pd.api.types.is_numeric_dtype(frame[period_col]):
        raise ArgumentError(f"period column '{period_col}' must be numeric")

    n_rows = len(frame)

    def column(name: str | None) -> np.ndarray:
        if name is None:
            return np.full(n_rows, np.nan)
        return _as_float_array(frame[name], name)

    group_all = frame.groupby(by_cols, sort=True, dropna=False).ngroup().to_numpy()
    period_all = column(period_col)
    order = np.lexsort((period_all, group_all))
    group = group_all[order]
    period = period_all[order]
    _check_periods(period, group)

    n_groups = int(group.max()) + 1 if n_rows else 0
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if n_rows else np.array([], int)

    value_type = frame[value_type_col].to_numpy(dtype=object)[order]
    polarity = frame[polarity_col].to_numpy(dtype=object)[order]
    _check_value_type(value_type)
    _check_polarity(polarity)
    for name, arr in ((value_type_col, value_type), (polarity_col, polarity)):
        if np.any(arr != arr[first][group]):
            raise ArgumentError(f"{name} must be constant within each group")

    res = _engine(
        group,
        period,
        column(value_col)[order],
        column(lower_col)[order],
        column(upper_col)[order],
        column(numerator_col)[order],
        column(denominator_col)[order],
        value_type[first],
        polarity[first],
        n_points=int(n_points),
        alpha=float(alpha),
        ci_confidence=ci_confidence,
    )
    out = frame[by_cols].iloc[order[first]].reset_index(drop=True)
    assert len(out) == n_groups, "one output row per group"
    out["trend_code"] = res["code"]
    out["trend_label"] = res["label"]
    out["trend_slope"] = res["slope"]
    out["trend_p_value"] = res["p_value"]
    out["trend_n_points"] = res["n_points"]
    out["trend_method"] = res["method"]
    return out
