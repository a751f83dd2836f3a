"""Confidence intervals for counts and crude rates (Byar's and exact Poisson)."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np

from indicators.exceptions import ArgumentError
from indicators.stats.distributions import chi2_ppf
from indicators.stats.proportions import (
    ConfidenceInterval,
    _as_float_array,
    _broadcast,
    _check_confidence,
    _out,
    _z,
)

__all__ = ["RateMethod", "RateResult", "byar_ci", "exact_poisson_ci", "rate_ci"]

RateMethod = Literal["Exact", "Byars"]

#: Counts below this use the exact Poisson limits in :func:`rate_ci`.
EXACT_BELOW = 10


class RateResult(NamedTuple):
    """A crude rate with its confidence limits and the method used.

    Attributes
    ----------
    value, lower, upper : float or numpy.ndarray
        Rate per ``multiplier`` and its limits (NaN where data are missing).
    method : str, None or numpy.ndarray of object
        ``"Exact"`` (count < 10) or ``"Byars"`` (count >= 10) per row;
        ``None`` where the count is missing.
    """

    value: Any
    lower: Any
    upper: Any
    method: Any


def _counts(count: Any) -> np.ndarray:
    x = _as_float_array(count, "counts")
    if np.any(x < 0):
        raise ArgumentError("counts must be greater than or equal to zero")
    return x


def _byar_limits(x: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = x * (1.0 - 1.0 / (9.0 * x) - z / (3.0 * np.sqrt(x))) ** 3
    # x = 0 gives 0 * inf; the approximation turns negative for very small
    # counts at high confidence. A count's lower limit cannot be below 0.
    lower = np.where(x == 0, 0.0, np.maximum(lower, 0.0))
    lower = np.where(np.isnan(x), np.nan, lower)
    upper = (x + 1.0) * (1.0 - 1.0 / (9.0 * (x + 1.0)) + z / (3.0 * np.sqrt(x + 1.0))) ** 3
    return lower, upper


def _exact_limits(x: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore"):
        lower = chi2_ppf(alpha / 2.0, 2.0 * x) / 2.0
    lower = np.where(x == 0, 0.0, lower)
    upper = chi2_ppf(1.0 - alpha / 2.0, 2.0 * x + 2.0) / 2.0
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def byar_ci(count: Any, confidence: float = 0.95) -> ConfidenceInterval:
    """Byar's approximation to the exact Poisson confidence limits of a count.

    Parameters
    ----------
    count : float or array_like
        Observed number of events (scalar, list, numpy array or pandas
        Series); missing values allowed.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    ConfidenceInterval
        ``lower`` and ``upper`` limits for the count (not a rate).

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a count is negative or ``confidence`` is not in (0, 1).

    Notes
    -----
    ``lower = x (1 - 1/(9x) - z/(3 sqrt(x)))^3`` and
    ``upper = (x+1) (1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3`` (Breslow & Day
    1987, p. 69), exactly as PHEindicatormethods ``byars_lower`` and
    ``byars_upper``.

    One deliberate deviation: for a count of 0, and where the approximation
    turns negative (e.g. a count of 1 at 99.8%), the lower limit is set to 0.
    PHEindicatormethods returns the negative cube there (NaN for 0) and its
    test sheet leaves that cell empty. Use :func:`rate_ci`, which switches to
    the exact limits below 10 events, for small counts.

    Checked against the PHEindicatormethods v2.1.0 sheet
    ``testdata_Byars_Wilson.xlsx`` (95% and 99.8%) with rtol 1e-9.

    References
    ----------
    .. [1] Breslow NE, Day NE. Statistical Methods in Cancer Research, Volume
       II: The Design and Analysis of Cohort Studies. IARC Scientific
       Publications No. 82. Lyon: International Agency for Research on
       Cancer; 1987.
    .. [2] Fox S, Anderson G, Hough L, et al. PHEindicatormethods: Common
       Public Health Statistics and their Confidence Intervals. R package
       version 2.1.0. https://github.com/ukhsa-collaboration/PHEindicatormethods

    Examples
    --------
    >>> ci = byar_ci(65)
    >>> round(ci.lower, 4), round(ci.upper, 4)
    (50.1632, 82.8491)
    >>> byar_ci([1045, float("nan")], confidence=0.998).upper.round(2)
    array([1148.81,     nan])
    """
    z = _z(confidence)
    lower, upper = _byar_limits(_counts(count), z)
    return ConfidenceInterval(_out(lower), _out(upper))


def exact_poisson_ci(count: Any, confidence: float = 0.95) -> ConfidenceInterval:
    """Exact (Garwood) Poisson confidence limits of a count via chi-square quantiles.

    Parameters
    ----------
    count : float or array_like
        Observed number of events; missing values allowed.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    ConfidenceInterval
        ``lower`` and ``upper`` limits for the count.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a count is negative or ``confidence`` is not in (0, 1).

    Notes
    -----
    ``lower = chi2.ppf(alpha/2, 2x) / 2`` (0 for ``x = 0``) and
    ``upper = chi2.ppf(1 - alpha/2, 2x + 2) / 2`` with ``alpha = 1 -
    confidence`` (Garwood 1936; Armitage, Berry & Matthews 2002), as used by
    PHEindicatormethods ``phe_rate`` for counts below 10. Checked against the
    PHEindicatormethods rate test sheet and statsmodels
    ``confint_poisson(method="exact-c")``.

    References
    ----------
    .. [1] Garwood F. Fiducial limits for the Poisson distribution.
       Biometrika 1936;28(3/4):437-442. https://doi.org/10.2307/2333958
    .. [2] Armitage P, Berry G, Matthews JNS. Statistical Methods in Medical
       Research, 4th edn. Oxford: Blackwell Science; 2002.
       https://doi.org/10.1002/9780470773666

    Examples
    --------
    >>> ci = exact_poisson_ci(1)
    >>> round(ci.lower, 6), round(ci.upper, 6)
    (0.025318, 5.571643)
    >>> exact_poisson_ci([0, 5]).lower.round(4)
    array([0.    , 1.6235])
    """
    conf = _check_confidence(confidence)
    lower, upper = _exact_limits(_counts(count), conf)
    return ConfidenceInterval(_out(lower), _out(upper))


def rate_ci(
    numerator: Any,
    denominator: Any,
    multiplier: float = 1000,
    confidence: float = 0.95,
) -> RateResult:
    """Crude rate with exact (count < 10) or Byar's (count >= 10) confidence limits.

    Parameters
    ----------
    numerator : float or array_like
        Observed number of events; missing values allowed.
    denominator : float or array_like
        Population (person-years) at risk; broadcast against ``numerator``.
    multiplier : float, default 1000
        Rate per this many of the denominator (e.g. 1000 or 100000).
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    RateResult
        ``value``, ``lower``, ``upper`` (per ``multiplier``) and ``method``
        (``"Exact"``/``"Byars"``, ``None`` where the numerator is missing).

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a numerator is negative, a denominator is not greater than zero,
        ``multiplier`` is not a positive number, or ``confidence`` is not in
        (0, 1).

    Notes
    -----
    Follows PHEindicatormethods ``phe_rate`` / ``calculate_crude_rate``: the
    count's limits from :func:`exact_poisson_ci` (numerator < 10) or
    :func:`byar_ci` (numerator >= 10) are divided by the denominator and
    multiplied by ``multiplier``. As there, a numerator may exceed its
    denominator (a rate, not a proportion). Missing numerators or denominators
    give missing rates and limits; the method is reported whenever the
    numerator is known.

    Checked against the PHEindicatormethods v2.1.0 sheet
    ``testdata_Rate.xlsx`` (95% and 99.8%, per 100 and per 100000) with rtol
    1e-9.

    References
    ----------
    .. [1] Breslow NE, Day NE. Statistical Methods in Cancer Research, Volume
       II: The Design and Analysis of Cohort Studies. Lyon: IARC; 1987.
    .. [2] Armitage P, Berry G, Matthews JNS. Statistical Methods in Medical
       Research, 4th edn. Oxford: Blackwell Science; 2002.
    .. [3] Fox S, Anderson G, Hough L, et al. PHEindicatormethods: Common
       Public Health Statistics and their Confidence Intervals. R package
       version 2.1.0. https://github.com/ukhsa-collaboration/PHEindicatormethods

    Examples
    --------
    >>> r = rate_ci([1, 65], [100, 100], multiplier=100)
    >>> r.value
    array([ 1., 65.])
    >>> r.lower.round(4).tolist(), r.method.tolist()
    ([0.0253, 50.1632], ['Exact', 'Byars'])
    """
    conf = _check_confidence(confidence)
    if (
        isinstance(multiplier, bool)
        or not isinstance(multiplier, (int, float, np.number))
        or not multiplier > 0
    ):
        raise ArgumentError("multiplier must be a single number greater than zero")
    x, n = _broadcast(
        {
            "numerators": _as_float_array(numerator, "numerators"),
            "denominators": _as_float_array(denominator, "denominators"),
        }
    )
    if np.any(x < 0):
        raise ArgumentError("numerators must be greater than or equal to zero")
    if np.any(n <= 0):
        raise ArgumentError("denominators must be greater than zero")

    exact = x < EXACT_BELOW
    ex_lo, ex_hi = _exact_limits(x, conf)
    by_lo, by_hi = _byar_limits(x, _z(conf))
    scale = float(multiplier) / n
    value = x * scale
    lower = np.where(exact, ex_lo, by_lo) * scale
    upper = np.where(exact, ex_hi, by_hi) * scale

    method = np.where(exact, "Exact", "Byars").astype(object)
    method[np.isnan(x)] = None
    method_out = method.item() if method.ndim == 0 else method
    return RateResult(_out(value), _out(lower), _out(upper), method_out)
