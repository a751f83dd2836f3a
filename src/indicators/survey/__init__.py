"""Design-based analysis of survey microdata (labour-migrant survey findings).

- :mod:`~indicators.survey.codebook`: YAML codebooks, reading and checking
  microdata (codes, ranges, routing).
- :mod:`~indicators.survey.design`: :class:`SurveyDesign` (weights, strata,
  clusters, fpc) and Taylor-linearisation variances.
- :mod:`~indicators.survey.weighting`: post-stratification, raking, trimming,
  Kish's design effect.
- :mod:`~indicators.survey.estimators`: means, totals, proportions, crosstabs
  with the Rao-Scott test, Likert summaries.
- :mod:`~indicators.survey.disclosure`: small-cell suppression.

Checked against R ``survey`` (Lumley); see ``tests/reference/survey/README.md``.
"""

from __future__ import annotations

from indicators.survey.codebook import (
    Codebook,
    Condition,
    Variable,
    VariableType,
    load_codebook,
    parse_condition,
    read_microdata,
    validate_microdata,
)
from indicators.survey.design import Calibration, LonelyPSU, SurveyDesign
from indicators.survey.disclosure import SuppressionResult, apply_to_estimates, suppress_table
from indicators.survey.estimators import (
    CIMethod,
    CrosstabResult,
    DeffReference,
    LikertSummary,
    likert_summary,
    svy_crosstab,
    svy_mean,
    svy_proportion,
    svy_total,
)
from indicators.survey.weighting import (
    RakingConvergenceError,
    RakingConvergenceWarning,
    TrimmingResult,
    WeightingResult,
    kish_deff,
    poststratify,
    rake,
    trim_weights,
)

__all__ = [
    "CIMethod",
    "Calibration",
    "Codebook",
    "Condition",
    "CrosstabResult",
    "DeffReference",
    "LikertSummary",
    "LonelyPSU",
    "RakingConvergenceError",
    "RakingConvergenceWarning",
    "SuppressionResult",
    "SurveyDesign",
    "TrimmingResult",
    "Variable",
    "VariableType",
    "WeightingResult",
    "apply_to_estimates",
    "kish_deff",
    "likert_summary",
    "load_codebook",
    "parse_condition",
    "poststratify",
    "rake",
    "read_microdata",
    "suppress_table",
    "svy_crosstab",
    "svy_mean",
    "svy_proportion",
    "svy_total",
    "trim_weights",
    "validate_microdata",
]
