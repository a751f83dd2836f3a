"""Confidence intervals for proportions (Wilson score interval).

This module also holds the small input helpers shared by the other
``indicators.stats`` modules (array conversion, confidence checks), so that
every function converts and validates its arguments the same way.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from indicators.exceptions import ArgumentError
from indicators.stats.distributions import norm_isf, norm_ppf

__all__ = ["ConfidenceInterval", "wilson_ci"]


class ConfidenceInterval(NamedTuple):
    """Lower and upper confidence limits.

    Attributes
    ----------
    lower, upper : float or numpy.ndarray
        The limits; floats for scalar input, arrays otherwise. Missing input
        gives NaN limits.
    """

    lower: Any
    upper: Any


# --------------------------------------------------------------------------
# Shared private helpers (used by rates, means, change, trends and compare).
# --------------------------------------------------------------------------


def _as_float_array(x: Any, name: str) -> np.ndarray:
    """Convert scalar, list, array or Series ``x`` to a float array (NaN for missing)."""
    if isinstance(x, pd.DataFrame):
        raise ArgumentError(f"{name} must be one-dimensional, not a DataFrame")
    if isinstance(x, (pd.Series, pd.Index)):
        try:
            return x.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as err:
            raise ArgumentError(f"{name} must be numeric") from err
    try:
        return np.array(x, dtype=float)
    except (TypeError, ValueError):
        pass
    # Lists or scalars holding pd.NA: convert the missing markers to NaN first.
    obj = np.array(x, dtype=object)
    try:
        return np.where(pd.isna(obj), np.nan, obj).astype(float)
    except (TypeError, ValueError) as err:
        raise ArgumentError(f"{name} must be numeric") from err


def _broadcast(arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Broadcast the named arrays together, or fail naming them."""
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError as err:
        names = " and ".join(arrays)
        raise ArgumentError(f"{names} must have the same length") from err


def _check_confidence(confidence: float) -> float:
    """Check that ``confidence`` is a single number strictly between 0 and 1."""
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.number)):
        raise ArgumentError("confidence must be a single number between 0 and 1, e.g. 0.95")
    value = float(confidence)
    if not 0.0 < value < 1.0:
        raise ArgumentError(
            f"confidence must be between 0 and 1 (exclusive), e.g. 0.95; got {confidence!r}"
        )
    return value


def _z(confidence: float) -> float:
    """Two-sided standard normal quantile for ``confidence``."""
    return float(norm_ppf(0.5 + _check_confidence(confidence) / 2.0))


def _out(arr: np.ndarray) -> Any:
    """Return a float for 0-d results and the array otherwise."""
    return float(arr) if np.ndim(arr) == 0 else arr


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def _wilson_limits(count: np.ndarray, nobs: np.ndarray, alpha: float) -> tuple[np.ndarray, ...]:
    """statsmodels 0.15 ``proportion_confint(count, nobs, alpha, method="wilson")``, line by line."""
    alpha = alpha / 2.0  # two-sided
    q_ = count / nobs
    crit = norm_isf(alpha)[()]
    crit2 = crit**2
    denom = 1 + crit2 / nobs
    center = (q_ + crit2 / (2 * nobs)) / denom
    dist = crit * np.sqrt(q_ * (1.0 - q_) / nobs + crit2 / (4.0 * nobs**2))
    dist /= denom
    return np.clip(center - dist, 0, 1), np.clip(center + dist, 0, 1)


def wilson_ci(numerator: Any, denominator: Any, confidence: float = 0.95) -> ConfidenceInterval:
    """Wilson score confidence interval for a proportion.

    Parameters
    ----------
    numerator : float or array_like
        Number of cases meeting the condition (scalar, list, numpy array or
        pandas Series). Missing values (NaN, None, ``pd.NA``) are allowed.
    denominator : float or array_like
        Number of cases in the sample; broadcast against ``numerator``.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1 (0.998 for 99.8%).

    Returns
    -------
    ConfidenceInterval
        ``lower`` and ``upper`` limits as proportions in 0..1: floats for
        scalar input, numpy arrays otherwise.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a denominator is not greater than zero, a numerator is negative or
        larger than its denominator, or ``confidence`` is not in (0, 1).

    Notes
    -----
    The limits are ``(2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))``
    with ``z`` the two-sided standard normal quantile (Wilson, 1927; Newcombe,
    1998, method 3). They are computed as statsmodels
    ``proportion_confint(method="wilson")`` computes them (the same operations
    in the same order, so the same floats; ``tests/test_stats_proportions.py``
    compares them bit for bit), clipped to 0..1; the lower limit of 0/n is set
    to exactly 0 and the upper limit of n/n to exactly 1 (the formula leaves
    rounding noise there). Written out rather than called because importing
    ``statsmodels.stats.proportion`` (with ``scipy.stats``) took 0.6 s, more
    than the rest of a one-area incremental compute step (issue 7).

    A missing numerator or denominator gives missing limits; it is never
    treated as zero. Non-integer numerators (e.g. weighted counts) are
    accepted, as in PHEindicatormethods ``wilson_lower``/``wilson_upper``.

    Checked against the PHEindicatormethods v2.1.0 test sheets
    (``testdata_Proportion.xlsx`` and ``testdata_Byars_Wilson.xlsx``, 95% and
    99.8%) to a relative tolerance of 1e-9; see ``tests/test_stats_proportions.py``.

    References
    ----------
    .. [1] Wilson EB. Probable inference, the law of succession, and
       statistical inference. Journal of the American Statistical Association
       1927;22(158):209-212. https://doi.org/10.1080/01621459.1927.10502953
    .. [2] Newcombe RG. Two-sided confidence intervals for the single
       proportion: comparison of seven methods. Statistics in Medicine
       1998;17(8):857-872.
       https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8<857::AID-SIM777>3.0.CO;2-E
    .. [3] Fox S, Anderson G, Hough L, et al. PHEindicatormethods: Common
       Public Health Statistics and their Confidence Intervals. R package
       version 2.1.0, UK Health Security Agency / Office for Health
       Improvement and Disparities.
       https://github.com/ukhsa-collaboration/PHEindicatormethods

    Examples
    --------
    >>> ci = wilson_ci(65, 100)
    >>> round(ci.lower, 6), round(ci.upper, 6)
    (0.552544, 0.736358)
    >>> wilson_ci([1, None], [100, 100]).upper.round(4)
    array([0.0545,    nan])
    """
    conf = _check_confidence(confidence)
    x, n = _broadcast(
        {
            "numerators": _as_float_array(numerator, "numerators"),
            "denominators": _as_float_array(denominator, "denominators"),
        }
    )
    if np.any(n <= 0):
        raise ArgumentError("denominators must be greater than zero")
    if np.any(x < 0):
        raise ArgumentError("numerators must be greater than or equal to zero")
    if np.any(x > n):
        raise ArgumentError("numerators must not be larger than denominators")

    missing = np.isnan(x) | np.isnan(n)
    # Keep NaN/zero arithmetic out: fill, compute, re-mask.
    x_f = np.where(missing, 0.0, x)
    n_f = np.where(missing, 1.0, n)
    lower, upper = _wilson_limits(np.atleast_1d(x_f), np.atleast_1d(n_f), 1.0 - conf)
    # Exact boundaries for 0/n and n/n (the formula leaves rounding noise there).
    lower = np.where(x == 0, 0.0, np.reshape(lower, x.shape))
    upper = np.where(x == n, 1.0, np.reshape(upper, x.shape))
    lower = np.where(missing, np.nan, lower)
    upper = np.where(missing, np.nan, upper)
    return ConfidenceInterval(_out(lower), _out(upper))
