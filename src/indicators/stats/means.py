"""Normal-approximation confidence intervals for estimates with a standard error."""

from __future__ import annotations

from typing import Any

import numpy as np

from indicators.exceptions import ArgumentError
from indicators.stats.proportions import (
    ConfidenceInterval,
    _as_float_array,
    _broadcast,
    _out,
    _z,
)

__all__ = ["normal_ci"]


def normal_ci(value: Any, se: Any, confidence: float = 0.95) -> ConfidenceInterval:
    """Symmetric normal (Wald) confidence interval ``value -/+ z * se``.

    For model-based estimates that come with a standard error, such as life
    expectancy, survey-weighted means or regression predictions.

    Parameters
    ----------
    value : float or array_like
        Point estimates (scalar, list, numpy array or pandas Series); missing
        values allowed.
    se : float or array_like
        Standard errors of the estimates, broadcast against ``value``.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    ConfidenceInterval
        ``lower`` and ``upper`` limits; NaN where ``value`` or ``se`` is missing.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a standard error is negative, or ``confidence`` is not in (0, 1).

    Notes
    -----
    ``z`` is the ``0.5 + confidence/2`` quantile of the standard normal
    distribution. The interval assumes the estimate is approximately normally
    distributed with known standard error; for means of small samples a
    t-based interval is wider. Checked against statsmodels
    ``stats.weightstats._zconfint_generic`` and hand values from
    ``scipy.stats.norm``.

    References
    ----------
    .. [1] Altman DG, Machin D, Bryant TN, Gardner MJ. Statistics with
       Confidence, 2nd edn. London: BMJ Books; 2000.
    .. [2] Seabold S, Perktold J. statsmodels: Econometric and statistical
       modeling with Python. Proceedings of the 9th Python in Science
       Conference, 2010. https://doi.org/10.25080/Majora-92bf1922-011

    Examples
    --------
    >>> ci = normal_ci(80.0, 0.5)
    >>> round(ci.lower, 4), round(ci.upper, 4)
    (79.02, 80.98)
    >>> normal_ci([80.0, 81.0], [0.5, None]).upper.round(3)
    array([80.98,   nan])
    """
    z = _z(confidence)
    v, s = _broadcast(
        {
            "values": _as_float_array(value, "values"),
            "standard errors": _as_float_array(se, "standard errors"),
        }
    )
    if np.any(s < 0):
        raise ArgumentError("standard errors must be greater than or equal to zero")
    return ConfidenceInterval(_out(v - z * s), _out(v + z * s))
