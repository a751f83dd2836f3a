"""Trend-break evidence for health gaps (Trendbreuk Zuid-Limburg).

The Trendbreuk programme (since 2018) aims to close a quarter of South
Limburg's health backlog against the rest of the Netherlands by 2030. The
evidence question has four parts, each answered by one module:

1. *What is the gap?* -- :mod:`~indicators.breaks.gap`:
   :func:`rest_of_reference` removes the region from the national figure
   ("rest of NL"), and :func:`gap_series` turns the area and reference series
   into a gap series (difference by MOVER, ratio by MOVER-R or log-delta)
   with confidence limits.
2. *Did the gap's trend change after the intervention started, and by how
   much?* -- :mod:`~indicators.breaks.its`: :func:`fit_its` fits a segmented
   regression (level change and slope change at the start; OLS with
   Newey-West (:func:`newey_west`, as Stata ``newey``), OLS or AR(1)
   errors; Poisson, quasi-Poisson or negative binomial for counts with an
   offset and optional Fourier seasonality).
   :meth:`ITSResult.counterfactual` projects the pre-start trend with a
   confidence band, and :meth:`ITSResult.effect_at` gives the effect in a
   given year.
3. *Is the break specific to the area?* -- :mod:`~indicators.breaks.comparative`:
   :func:`comparative_its` fits the ITS to the gap with a comparison series;
   :func:`did` and :func:`event_study` use a panel of many areas
   (two-way fixed effects, standard errors clustered by area). The leads of
   the event study check the parallel-trends assumption.
4. *Are we on course for 2030?* -- :mod:`~indicators.breaks.target`:
   :func:`target_trajectory` draws the path to "a quarter closed", and
   :func:`assess_target` projects the trend since the start with a
   confidence band and says, in Dutch, "op koers", "niet op koers" or "nog
   niet te beoordelen", with the numbers.

*How sure are we* is in every result: confidence limits, p-values,
autocorrelation diagnostics (Breusch-Godfrey, Durbin-Watson) and the name of
the method that produced them.
"""

from __future__ import annotations

from indicators.breaks.comparative import (
    ComparativeApproach,
    ComparativeITSResult,
    DiDResult,
    comparative_its,
    did,
    event_study,
)
from indicators.breaks.gap import (
    GAP_KINDS,
    GapKind,
    RatioMethod,
    RestKind,
    gap_series,
    rest_of_reference,
)
from indicators.breaks.its import (
    ITS_FAMILIES,
    SE_METHODS,
    ITSDiagnostics,
    ITSEffect,
    ITSFamily,
    ITSResult,
    SEMethod,
    default_hac_lags,
    fit_its,
    newey_west,
)
from indicators.breaks.target import (
    MIN_POST_START_POINTS,
    TARGET_VERDICTS_NL,
    TargetAssessment,
    TargetPolarity,
    assess_target,
    assess_target_arrays,
    target_path,
    target_trajectory,
)

__all__ = [
    "GAP_KINDS",
    "ITS_FAMILIES",
    "MIN_POST_START_POINTS",
    "SE_METHODS",
    "TARGET_VERDICTS_NL",
    "ComparativeApproach",
    "ComparativeITSResult",
    "DiDResult",
    "GapKind",
    "ITSDiagnostics",
    "ITSEffect",
    "ITSFamily",
    "ITSResult",
    "RatioMethod",
    "RestKind",
    "SEMethod",
    "TargetAssessment",
    "TargetPolarity",
    "assess_target",
    "assess_target_arrays",
    "comparative_its",
    "default_hac_lags",
    "did",
    "event_study",
    "fit_its",
    "gap_series",
    "newey_west",
    "rest_of_reference",
    "target_path",
    "target_trajectory",
]
