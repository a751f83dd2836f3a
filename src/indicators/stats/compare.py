"""Comparison of an area's confidence interval with a benchmark value, and Dutch labels."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from indicators.exceptions import ArgumentError
from indicators.stats.proportions import _as_float_array, _broadcast

__all__ = [
    "COMPARISON_LABELS_NL",
    "POLARITIES",
    "TREND_LABELS_NL",
    "Polarity",
    "compare_to_benchmark",
]

Polarity = Literal["higher_is_better", "lower_is_better", "neutral"]
POLARITIES: tuple[str, ...] = ("higher_is_better", "lower_is_better", "neutral")

COMPARISON_LABELS_NL: dict[str, str] = {
    "better": "beter",
    "worse": "slechter",
    "similar": "vergelijkbaar",
    "higher": "hoger",
    "lower": "lager",
    "not_compared": "niet getoetst",
}

TREND_LABELS_NL: dict[str, str] = {
    "increasing_better": "toenemend en verbeterend",
    "increasing_worse": "toenemend en verslechterend",
    "decreasing_better": "afnemend en verbeterend",
    "decreasing_worse": "afnemend en verslechterend",
    "increasing": "toenemend",
    "decreasing": "afnemend",
    "no_significant_change": "geen significante verandering",
    "cannot_calculate": "kan niet worden berekend",
}


def _check_polarity(polarity: Any) -> np.ndarray:
    """Return ``polarity`` as an object array, failing on any unknown name."""
    if isinstance(polarity, (pd.Series, pd.Index)):
        arr = polarity.to_numpy(dtype=object)
    else:
        arr = np.array(polarity, dtype=object)
    known = np.isin(arr, POLARITIES)
    if not np.all(known):
        bad = sorted({repr(v) for v in np.atleast_1d(arr)[~np.atleast_1d(known)]})
        raise ArgumentError(
            f"polarity must be one of {', '.join(POLARITIES)}; got {', '.join(bad)}"
        )
    return arr


def compare_to_benchmark(lower: Any, upper: Any, benchmark: Any, polarity: Any) -> Any:
    """Compare an area's confidence interval with a benchmark value (Fingertips RAG).

    Parameters
    ----------
    lower, upper : float or array_like
        Confidence limits of the area values (scalar, list, numpy array or
        pandas Series); missing values allowed.
    benchmark : float or array_like
        Benchmark point value (e.g. the national or provincial value),
        broadcast against the limits; missing values allowed.
    polarity : {"higher_is_better", "lower_is_better", "neutral"} or array_like
        Polarity of the indicator, one string or one per row. Unknown names
        (including missing) raise; there is no prefix matching.

    Returns
    -------
    str or numpy.ndarray of str
        One code per row: ``"better"``, ``"worse"``, ``"similar"`` or
        ``"not_compared"``; for neutral polarity ``"higher"`` or ``"lower"``
        instead of better/worse. A string for scalar input. Dutch labels are
        in :data:`COMPARISON_LABELS_NL`.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a polarity is unknown, a lower limit is larger than its upper
        limit, or the inputs have incompatible lengths.

    Notes
    -----
    Follows the Fingertips "compared with benchmark" rule for a benchmark
    without sampling error: the area is *higher* when its whole interval
    lies above the benchmark (``lower > benchmark``), *lower* when it lies
    below (``upper < benchmark``) and *similar* when the interval contains
    the benchmark (touching counts as containing). With a missing limit or
    benchmark the area is *not compared* -- missing data never becomes
    "similar". Polarity then maps higher/lower to better/worse.

    The significance level is that of the interval supplied (95% or 99.8%
    in Fingertips).

    References
    ----------
    .. [1] Public Health England / Office for Health Improvement and
       Disparities. Fingertips public health profiles: technical guidance,
       "Comparisons with benchmark". https://fingertips.phe.org.uk/profile/guidance
    .. [2] Flowers J, Hall P, Pencheon D. Public health indicators. Public
       Health 2005;119(4):239-245. https://doi.org/10.1016/j.puhe.2005.01.003

    Examples
    --------
    >>> compare_to_benchmark(0.30, 0.40, 0.25, "higher_is_better")
    'better'
    >>> compare_to_benchmark([0.30, 0.10, 0.20, None], [0.40, 0.20, 0.30, 0.3], 0.25,
    ...                      ["lower_is_better", "neutral", "neutral", "neutral"]).tolist()
    ['worse', 'lower', 'similar', 'not_compared']
    """
    lo, hi, bm = (
        _as_float_array(lower, "lower"),
        _as_float_array(upper, "upper"),
        _as_float_array(benchmark, "benchmark"),
    )
    pol = _check_polarity(polarity)
    lo, hi, bm, _ = _broadcast(
        {"lower": lo, "upper": hi, "benchmark": bm, "polarity": np.empty(pol.shape)}
    )
    pol = np.broadcast_to(pol, lo.shape)
    if np.any(lo > hi):
        raise ArgumentError("lower must not be larger than upper")

    missing = np.isnan(lo) | np.isnan(hi) | np.isnan(bm)
    higher = lo > bm
    lower_ = hi < bm
    hib = pol == "higher_is_better"
    lib = pol == "lower_is_better"
    codes = np.select(
        [
            missing,
            higher & hib,
            higher & lib,
            lower_ & hib,
            lower_ & lib,
            higher,
            lower_,
        ],
        ["not_compared", "better", "worse", "worse", "better", "higher", "lower"],
        default="similar",
    ).astype(object)
    return codes.item() if codes.ndim == 0 else codes
