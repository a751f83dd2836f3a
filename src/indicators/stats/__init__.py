"""Indicator statistics: confidence intervals, change, recent trend and benchmarking.

All functions are vectorised over scalars, lists, numpy arrays and pandas
Series, keep missing data missing (NaN in, NaN out), return documented
``NamedTuple`` results and raise :class:`indicators.exceptions.ArgumentError`
on invalid arguments.
"""

from __future__ import annotations

from indicators.stats.change import DifferenceResult, difference_ci
from indicators.stats.compare import (
    COMPARISON_LABELS_NL,
    POLARITIES,
    TREND_LABELS_NL,
    Polarity,
    compare_to_benchmark,
)
from indicators.stats.means import normal_ci
from indicators.stats.proportions import ConfidenceInterval, wilson_ci
from indicators.stats.rates import RateMethod, RateResult, byar_ci, exact_poisson_ci, rate_ci
from indicators.stats.trends import (
    VALUE_TYPES,
    RecentTrend,
    TrendMethod,
    TrendTest,
    ValueType,
    chi_square_trend,
    classify_recent_trend,
    recent_trends,
    wls_trend,
)

__all__ = [
    "COMPARISON_LABELS_NL",
    "POLARITIES",
    "TREND_LABELS_NL",
    "VALUE_TYPES",
    "ConfidenceInterval",
    "DifferenceResult",
    "Polarity",
    "RateMethod",
    "RateResult",
    "RecentTrend",
    "TrendMethod",
    "TrendTest",
    "ValueType",
    "byar_ci",
    "chi_square_trend",
    "classify_recent_trend",
    "compare_to_benchmark",
    "difference_ci",
    "exact_poisson_ci",
    "normal_ci",
    "rate_ci",
    "recent_trends",
    "wilson_ci",
    "wls_trend",
]
