"""Interrupted time series (ITS) by segmented regression.

:func:`fit_its` fits the standard segmented model (Wagner et al. 2002;
Lopez Bernal, Cummins & Gasparrini 2017)::

    g(E[y_t]) = b0 + b1 t + b2 post_t + b3 (t - t0) post_t [+ Fourier terms] [+ log offset]

with ``post_t = 1`` from the intervention start ``t0`` on. ``b1`` is the
pre-intervention trend, ``b2`` the level change at ``t0`` and ``b3`` the
change in slope. It returns an :class:`ITSResult` that can project the
counterfactual (the pre-intervention trend continued) with a confidence band
and the effect at any post-intervention period.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from indicators.exceptions import ArgumentError
from indicators.stats.proportions import _check_confidence

__all__ = [
    "ITS_FAMILIES",
    "ITSDiagnostics",
    "ITSEffect",
    "ITSFamily",
    "ITSResult",
    "SE_METHODS",
    "SEMethod",
    "default_hac_lags",
    "fit_its",
    "newey_west",
]

ITSFamily = Literal["gaussian", "poisson", "quasipoisson", "negbin"]
ITS_FAMILIES: tuple[str, ...] = ("gaussian", "poisson", "quasipoisson", "negbin")
SEMethod = Literal["hac", "ols", "ar1"]
SE_METHODS: tuple[str, ...] = ("hac", "ols", "ar1")
_GAUSSIAN_METHODS = {
    "hac": "segmented_ols_hac",
    "ols": "segmented_ols",
    "ar1": "segmented_glsar_ar1",
}
_METHODS = {
    "poisson": "segmented_glm_poisson",
    "quasipoisson": "segmented_glm_quasipoisson",
    "negbin": "segmented_negbin2",
}
MIN_POINTS_PER_SEGMENT = 3


def default_hac_lags(n: int) -> int:
    """Newey-West lag rule ``floor(4 (n / 100)^(2/9))``, at least 1.

    Examples
    --------
    >>> default_hac_lags(15), default_hac_lags(59), default_hac_lags(200)
    (2, 3, 4)
    """
    return max(1, math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


class ITSDiagnostics(NamedTuple):
    """Residual diagnostics of an ITS fit.

    Attributes
    ----------
    breusch_godfrey_lm, breusch_godfrey_p_value : float
        Breusch-Godfrey LM statistic and p-value for residual autocorrelation
        up to ``breusch_godfrey_lags`` (statsmodels ``acorr_breusch_godfrey``).
        For count families the test is run on an OLS of the Pearson residuals
        on the design (see :func:`fit_its` Notes).
    breusch_godfrey_lags : int
        Number of lags tested.
    durbin_watson : float
        Durbin-Watson statistic of the same residuals (about 2 without
        first-order autocorrelation, towards 0 with positive autocorrelation).
    dispersion : float
        Gaussian: residual variance. Count families: Pearson chi-square over
        residual degrees of freedom (the quasi-Poisson scale; values well
        above 1 mean overdispersion).
    negbin_alpha : float
        NB2 overdispersion ``alpha`` (variance ``mu + alpha mu^2``); NaN for
        other families.
    ar1_rho : float
        Estimated AR(1) coefficient of the errors for ``se_method="ar1"``;
        NaN otherwise.
    hac_lags : int or None
        Newey-West lags of the HAC covariance (``se_method="hac"`` only).
    """

    breusch_godfrey_lm: float
    breusch_godfrey_p_value: float
    breusch_godfrey_lags: int
    durbin_watson: float
    dispersion: float
    negbin_alpha: float
    ar1_rho: float
    hac_lags: int | None


class ITSEffect(NamedTuple):
    """Effect of the intervention at one period: fit with intervention minus counterfactual.

    Attributes
    ----------
    period : float
        The period (on the time scale of the fit).
    difference, lower, upper : float
        Absolute effect (outcome units; for count families per unit of
        offset, or times the ``offset`` given) with delta-method limits.
    ratio, ratio_lower, ratio_upper : float
        Count families: rate ratio ``exp(b2 + b3 (t - t0))`` with limits;
        NaN for the gaussian family.
    confidence : float
        Confidence level.
    method : str
        ``"delta_method"``.
    """

    period: float
    difference: float
    lower: float
    upper: float
    ratio: float
    ratio_lower: float
    ratio_upper: float
    confidence: float
    method: str


@dataclass(frozen=True)
class _Spec:
    """Everything needed to rebuild the design matrix for new periods."""

    intervention_start: float
    level_change: bool
    slope_change: bool
    fourier_harmonics: int
    period_length: float
    terms: tuple[str, ...]
    log_link: bool
    has_offset: bool
    crit: float


def _design(t: np.ndarray, spec: _Spec, *, intervention: bool = True) -> np.ndarray:
    """Design matrix for times ``t``; ``intervention=False`` gives the counterfactual."""
    t = np.asarray(t, dtype=float)
    post = (t >= spec.intervention_start).astype(float) if intervention else np.zeros_like(t)
    cols = [np.ones_like(t), t]
    if spec.level_change:
        cols.append(post)
    if spec.slope_change:
        cols.append((t - spec.intervention_start) * post)
    for k in range(1, spec.fourier_harmonics + 1):
        angle = 2.0 * np.pi * k * t / spec.period_length
        cols.extend([np.sin(angle), np.cos(angle)])
    return np.column_stack(cols)


def _terms(level: bool, slope: bool, harmonics: int) -> tuple[str, ...]:
    terms = ["intercept", "pre_trend"]
    if level:
        terms.append("level_change")
    if slope:
        terms.append("slope_change")
    for k in range(1, harmonics + 1):
        terms.extend([f"sin{k}", f"cos{k}"])
    return tuple(terms)


@dataclass(frozen=True, eq=False)
class ITSResult:
    """Result of :func:`fit_its`.

    Attributes
    ----------
    method : str
        ``"segmented_ols_hac"``, ``"segmented_ols"``, ``"segmented_glsar_ar1"``,
        ``"segmented_glm_poisson"``,
        ``"segmented_glm_quasipoisson"`` or ``"segmented_negbin2"``.
    family : {"gaussian", "poisson", "quasipoisson", "negbin"}
        Family of the fit.
    n, n_pre, n_post : int
        Number of periods used, before and from the intervention start.
    intervention_start : float
        First period of the post-intervention segment.
    confidence : float
        Level of all intervals.
    coefficients : pandas.DataFrame
        Indexed by term (``intercept``, ``pre_trend``, ``level_change``,
        ``slope_change``, then ``sin1``, ``cos1``, ... for Fourier terms), with
        ``estimate``, ``se``, ``lower``, ``upper``, ``p_value``; for count
        families also ``rate_ratio``, ``rr_lower``, ``rr_upper`` (exp of the
        estimate and limits; NaN for gaussian).
    diagnostics : ITSDiagnostics
        Autocorrelation and dispersion diagnostics.
    fitted : pandas.DataFrame
        ``period``, ``observed``, ``fitted`` (with the intervention) and
        ``counterfactual`` (without), on the outcome scale (counts, using the
        observed offset, for count families).
    """

    method: str
    family: str
    n: int
    n_pre: int
    n_post: int
    intervention_start: float
    confidence: float
    coefficients: pd.DataFrame
    diagnostics: ITSDiagnostics
    fitted: pd.DataFrame
    params: np.ndarray = field(repr=False)
    cov: np.ndarray = field(repr=False)
    _spec: _Spec = field(repr=False)

    def _offset(self, offset: Any, size: int) -> np.ndarray:
        if offset is None:
            return np.ones(size)
        if not self._spec.log_link:
            raise ArgumentError("offset applies to count families only")
        off = np.broadcast_to(np.asarray(offset, dtype=float), (size,))
        if np.any(~(off > 0)):
            raise ArgumentError("offset must be greater than zero")
        return off

    def counterfactual(self, periods: Any = None, *, offset: Any = None) -> pd.DataFrame:
        """Pre-intervention trend projected over ``periods``, with a confidence band.

        Parameters
        ----------
        periods : array_like, optional
            Periods on the time scale of the fit; default the fitted periods.
        offset : float or array_like, optional
            Count families only: exposure (e.g. population) to scale the
            predictions to counts. Default 1, i.e. rates per unit of the
            offset used in the fit (counts when the fit had no offset).

        Returns
        -------
        pandas.DataFrame
            ``period``, ``counterfactual``, ``lower``, ``upper`` (band for the
            counterfactual mean), ``fitted`` (prediction with the
            intervention, no band), ``confidence`` and ``method``
            (``"delta_method"``).

        Notes
        -----
        The band is ``x'b -/+ c sqrt(x' V x)`` on the linear predictor with
        ``V`` the coefficient covariance (HAC for gaussian) and ``c`` the
        critical value used for the coefficients; for log-link families the
        prediction and the band are exponentiated (so the band is
        asymmetric and stays positive). It reflects uncertainty in the
        fitted pre-trend only, not year-to-year noise, and assumes the
        pre-intervention trend would have continued linearly.
        """
        t = (
            self.fitted["period"].to_numpy(dtype=float)
            if periods is None
            else np.atleast_1d(np.asarray(periods, dtype=float))
        )
        if np.any(np.isnan(t)):
            raise ArgumentError("periods must not be missing")
        off = self._offset(offset, len(t))
        x0 = _design(t, self._spec, intervention=False)
        x1 = _design(t, self._spec, intervention=True)
        eta0 = x0 @ self.params
        se = np.sqrt(np.einsum("ij,jk,ik->i", x0, self.cov, x0))
        lo, hi = eta0 - self._spec.crit * se, eta0 + self._spec.crit * se
        eta1 = x1 @ self.params
        if self._spec.log_link:
            cf, lo, hi = np.exp(eta0) * off, np.exp(lo) * off, np.exp(hi) * off
            fit = np.exp(eta1) * off
        else:
            cf, fit = eta0, eta1
        return pd.DataFrame(
            {
                "period": t,
                "counterfactual": cf,
                "lower": lo,
                "upper": hi,
                "fitted": fit,
                "confidence": self.confidence,
                "method": "delta_method",
            }
        )

    def effect_at(self, period: float, *, offset: Any = None) -> ITSEffect:
        """Effect at ``period``: fitted value with the intervention minus the counterfactual.

        Parameters
        ----------
        period : float
            A period at or after ``intervention_start`` (may lie beyond the
            data: then it is an extrapolation of the fitted segments).
        offset : float, optional
            Count families: exposure for the absolute difference (default 1:
            difference in rates per unit of offset).

        Returns
        -------
        ITSEffect
            Absolute difference with delta-method limits and, for count
            families, the rate ratio ``exp(b2 + b3 (t - t0))`` with limits.

        Raises
        ------
        indicators.exceptions.ArgumentError
            If ``period`` is before the intervention start or missing.

        Notes
        -----
        Gaussian: ``d = b2 + b3 (t - t0)``, ``se^2 = c' V c``. Log link: the
        ratio is ``exp(d)`` with limits ``exp(d -/+ c se)``; the difference
        ``mu1 - mu0`` has gradient ``mu1 x1 - mu0 x0`` (delta method).
        """
        t = float(period)
        if math.isnan(t):
            raise ArgumentError("period must not be missing")
        if t < self._spec.intervention_start:
            raise ArgumentError("period must be at or after intervention_start")
        off = float(self._offset(offset, 1)[0])
        x1 = _design(np.array([t]), self._spec, intervention=True)[0]
        x0 = _design(np.array([t]), self._spec, intervention=False)[0]
        c = x1 - x0
        d = float(c @ self.params)
        se_d = float(np.sqrt(c @ self.cov @ c))
        crit = self._spec.crit
        if not self._spec.log_link:
            nan = float("nan")
            return ITSEffect(
                t, d, d - crit * se_d, d + crit * se_d, nan, nan, nan, self.confidence,
                "delta_method",
            )  # fmt: skip
        mu1 = float(np.exp(x1 @ self.params)) * off
        mu0 = float(np.exp(x0 @ self.params)) * off
        g = mu1 * x1 - mu0 * x0
        se_diff = float(np.sqrt(g @ self.cov @ g))
        diff = mu1 - mu0
        return ITSEffect(
            t,
            diff,
            diff - crit * se_diff,
            diff + crit * se_diff,
            float(np.exp(d)),
            float(np.exp(d - crit * se_d)),
            float(np.exp(d + crit * se_d)),
            self.confidence,
            "delta_method",
        )


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ArgumentError(f"{name} must be an integer of at least {minimum}; got {value!r}")
    return int(value)


def fit_its(
    frame: pd.DataFrame,
    *,
    time_col: str,
    outcome_col: str,
    intervention_start: float,
    family: ITSFamily = "gaussian",
    offset_col: str | None = None,
    se_method: SEMethod = "hac",
    hac_lags: int | None = None,
    hac_small_sample: bool = True,
    fourier_harmonics: int = 0,
    period_length: float = 12,
    level_change: bool = True,
    slope_change: bool = True,
    bg_lags: int | None = None,
    confidence: float = 0.95,
) -> ITSResult:
    """Fit a segmented-regression interrupted time series.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per period. Rows with a missing outcome (or offset) are
        dropped; the remaining periods must be unique.
    time_col : str
        Numeric time column (e.g. year, or month number 1, 2, ...). Periods
        should be equally spaced for the autocorrelation corrections.
    outcome_col : str
        Outcome: any number for gaussian, a non-negative count otherwise.
    intervention_start : float
        First period of the post-intervention segment (``post = time >=
        intervention_start``).
    family : {"gaussian", "poisson", "quasipoisson", "negbin"}, default "gaussian"
        Gaussian: OLS with Newey-West (HAC) standard errors. Poisson:
        log-link GLM. Quasi-Poisson: Poisson GLM with scale = Pearson
        chi-square / residual df. Negbin: NB2 negative binomial regression
        with ``alpha`` estimated by maximum likelihood.
    offset_col : str, optional
        Exposure column for count families (e.g. population); ``log(offset)``
        enters the linear predictor with coefficient 1, so the model is for
        rates.
    se_method : {"hac", "ols", "ar1"}, default "hac"
        Gaussian family only. ``"hac"``: OLS with Newey-West standard
        errors. ``"ols"``: classical OLS standard errors (no
        autocorrelation). ``"ar1"``: feasible GLS with AR(1) errors
        (iterated Cochrane-Orcutt, statsmodels ``GLSAR``).
    hac_lags : int, optional
        Newey-West maximum lag; default :func:`default_hac_lags`
        ``floor(4 (n/100)^(2/9))``, at least 1.
    hac_small_sample : bool, default True
        Multiply the HAC covariance by ``n / (n - k)`` (statsmodels
        ``use_correction=True``).
    fourier_harmonics : int, default 0
        Number of sine/cosine pairs ``sin(2 pi k t / period_length)``,
        ``cos(2 pi k t / period_length)``, ``k = 1..K``, for seasonality.
    period_length : float, default 12
        Length of the seasonal cycle in time units (12 for monthly data).
    level_change, slope_change : bool, default True
        Include the level-change (``post``) and slope-change
        (``(t - t0) post``) terms. Lopez Bernal et al.'s main model is level
        change only (``slope_change=False``).
    bg_lags : int, optional
        Lags of the Breusch-Godfrey test; default as ``hac_lags``' default.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    ITSResult
        Coefficients, diagnostics, fitted values, and methods
        :meth:`ITSResult.counterfactual` and :meth:`ITSResult.effect_at`.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a column is missing or not numeric, periods repeat, fewer than 3
        periods lie before or from the start, there are not more periods
        than coefficients, counts are negative, offsets are not positive,
        ``family`` is unknown, or an option does not apply to the family.

    Notes
    -----
    *Coding.* The slope-change term is ``(t - t0) post``, zero at the first
    post period, so ``level_change`` is the effect at ``t0`` itself.
    Lopez Bernal et al.'s R code codes it ``I(time - 36):smokban`` with
    ``t0 = 37``; their level change equals ours minus ``slope_change``.

    *Gaussian.* ``se_method="hac"``: OLS with the Newey-West HAC covariance
    (Bartlett kernel; statsmodels ``OLS(...).fit(cov_type="HAC",
    cov_kwds={"maxlags": L, "use_correction": True}, use_t=True)``; tested to
    equal that call, and the call without ``use_correction`` when
    ``hac_small_sample=False``; the same code path, :func:`newey_west`, matches
    Stata's ``newey, lag(4)`` to 1e-9). Intervals and p-values use the t
    distribution with ``n - k`` df. ``"ar1"`` uses statsmodels
    ``GLSAR(y, X, rho=1).iterative_fit()``; ``"ols"`` plain OLS.

    HAC standard errors are known to be too small in short series, and
    they are worse with trend regressors such as the slope change. Coverage of the
    95% slope-change interval, simulated with 600 replicates, level change 2,
    slope change 0.1, AR(1) noise with unit innovations and the start halfway:

    ======  ====  ==========  =========  ==========
    n       phi   hac         ols        ar1
    ======  ====  ==========  =========  ==========
    15      0.0   0.81        0.95       0.86
    15      0.3   0.69        0.86       0.80
    30      0.3   0.78        0.85       0.88
    60      0.3   0.84        0.84       0.90
    120     0.3   0.90        0.87       0.93
    ======  ====  ==========  =========  ==========

    ``benchmarks/its_coverage.py`` (1000 replicates, level change 2, slope
    change 0.1; results in ``benchmarks/results/its_coverage.json``) gives
    for the slope change: 13 annual points with independent errors OLS 0.96
    (in the 93-97% range), AR(1) 0.85, HAC 0.75; with AR(1) errors phi = 0.3
    OLS 0.88, AR(1) 0.81, HAC 0.66; monthly, phi = 0.3, HAC 0.86 (n = 60)
    and 0.90 (n = 120), AR(1) 0.92 (n = 60), 0.94 (n = 120) and 0.94
    (n = 240).

    So the default HAC interval is only trustworthy for long (e.g. monthly)
    series. For annual gap series of 10-20 points, prefer ``"ols"`` when the
    Breusch-Godfrey test finds no autocorrelation, and ``"ar1"`` otherwise.
    In both cases, report the interval as approximate.

    *Count families.* Model-based standard errors and normal (Wald)
    intervals, as R ``glm`` with ``Epi::ci.exp``. Tested against the Sicily
    smoking-ban example of Lopez Bernal et al. (2017): level-change rate
    ratio 0.894 (0.865 to 0.925) Poisson, 0.894 (0.839 to 0.953)
    quasi-Poisson, 0.885 (0.839 to 0.933) quasi-Poisson with
    ``harmonic(month, 2, 12)``; see ``tests/reference/its/README.md``.

    *Diagnostics.* Breusch-Godfrey and Durbin-Watson use the OLS residuals
    (gaussian) or, for count families, the residuals of an OLS of the
    Pearson residuals on the design, which tests autocorrelation of the
    standardised residuals beyond what the design explains (an
    approximation; the rate-scale analogue of the test in Lopez Bernal et
    al.'s ACF/PACF step). Autocorrelation left in count models is not
    corrected: consider the gaussian family on the log rate with HAC.

    *Fourier terms* use the time column, so time must be counted in units of
    ``period_length`` from a fixed origin (month 1 = January for
    ``time = 1, 2, ...`` starting in January, as in the Sicily data).

    References
    ----------
    .. [1] Lopez Bernal J, Cummins S, Gasparrini A. Interrupted time series
       regression for the evaluation of public health interventions: a
       tutorial. International Journal of Epidemiology 2017;46(1):348-355.
       https://doi.org/10.1093/ije/dyw098
    .. [2] Wagner AK, Soumerai SB, Zhang F, Ross-Degnan D. Segmented
       regression analysis of interrupted time series studies in medication
       use research. Journal of Clinical Pharmacy and Therapeutics
       2002;27(4):299-309. https://doi.org/10.1046/j.1365-2710.2002.00430.x
    .. [3] Newey WK, West KD. Automatic lag selection in covariance matrix
       estimation. Review of Economic Studies 1994;61(4):631-653.
       https://doi.org/10.2307/2297912

    Examples
    --------
    >>> df = pd.DataFrame({"year": range(2010, 2024)})
    >>> df["gap"] = -1.0 + 0.0 * df["year"] + 0.1 * (df["year"] - 2018).clip(lower=0)
    >>> df.loc[df["year"] % 2 == 0, "gap"] += 0.02
    >>> res = fit_its(df, time_col="year", outcome_col="gap", intervention_start=2018)
    >>> res.method, res.n_pre, res.n_post
    ('segmented_ols_hac', 8, 6)
    >>> float(round(res.coefficients.loc["slope_change", "estimate"], 2))
    0.1
    >>> round(res.effect_at(2023).difference, 2)
    0.5
    """
    # The modules themselves, not statsmodels.api (0.4 s more to import; issue 7).
    from scipy import stats
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.regression.linear_model import GLSAR, OLS
    from statsmodels.stats.diagnostic import acorr_breusch_godfrey
    from statsmodels.stats.stattools import durbin_watson

    family = _check_family(family)
    conf = _check_confidence(confidence)
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError("frame must be a pandas DataFrame")
    needed = [time_col, outcome_col] + ([offset_col] if offset_col is not None else [])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ArgumentError(f"frame must have columns {', '.join(needed)}; missing {missing}")
    if offset_col is not None and family == "gaussian":
        raise ArgumentError("offset_col applies to count families only, not gaussian")
    if not isinstance(se_method, str) or se_method not in SE_METHODS:
        raise ArgumentError(f"se_method must be one of {', '.join(SE_METHODS)}; got {se_method!r}")
    if se_method != "hac" and family != "gaussian":
        raise ArgumentError("se_method applies to family='gaussian' only")
    if hac_lags is not None and (family != "gaussian" or se_method != "hac"):
        raise ArgumentError("hac_lags applies to family='gaussian' with se_method='hac' only")
    if not (level_change or slope_change):
        raise ArgumentError("at least one of level_change and slope_change must be True")
    harmonics = _check_int(fourier_harmonics, "fourier_harmonics", 0)
    if isinstance(period_length, bool) or not isinstance(period_length, (int, float, np.number)):
        raise ArgumentError("period_length must be a number greater than zero")
    if harmonics and not 2 * harmonics < period_length:
        raise ArgumentError("fourier_harmonics must be less than period_length / 2")
    try:
        start = float(intervention_start)
    except (TypeError, ValueError) as err:
        raise ArgumentError("intervention_start must be a number") from err

    data = pd.DataFrame({"t": frame[time_col], "y": frame[outcome_col]})
    if offset_col is not None:
        data["off"] = frame[offset_col]
    try:
        data = data.apply(pd.to_numeric, errors="raise").astype(float)
    except (TypeError, ValueError) as err:
        raise ArgumentError(f"{', '.join(needed)} must be numeric") from err
    if data["t"].isna().any():
        raise ArgumentError(f"{time_col} must not be missing")
    data = data.dropna().sort_values("t")
    if data["t"].duplicated().any():
        raise ArgumentError(f"each {time_col} must occur once")
    t, y = data["t"].to_numpy(), data["y"].to_numpy()
    n, n_pre = len(t), int(np.sum(t < start))
    n_post = n - n_pre
    if n_pre < MIN_POINTS_PER_SEGMENT or n_post < MIN_POINTS_PER_SEGMENT:
        raise ArgumentError(
            f"at least {MIN_POINTS_PER_SEGMENT} periods before and {MIN_POINTS_PER_SEGMENT} "
            f"from intervention_start are needed; got {n_pre} and {n_post}"
        )
    if family != "gaussian" and np.any(y < 0):
        raise ArgumentError("counts must be greater than or equal to zero")
    off = data["off"].to_numpy() if offset_col is not None else None
    if off is not None and np.any(off <= 0):
        raise ArgumentError("offsets must be greater than zero")

    terms = _terms(level_change, slope_change, harmonics)
    k = len(terms)
    if n <= k:
        raise ArgumentError(f"more periods than coefficients are needed; got {n} for {k}")
    lags_default = default_hac_lags(n)
    bg = lags_default if bg_lags is None else _check_int(bg_lags, "bg_lags", 1)
    if n <= k + bg:
        bg = max(1, n - k - 1)
    alpha = 1.0 - conf
    log_link = family != "gaussian"
    spec0 = _Spec(start, level_change, slope_change, harmonics, float(period_length), terms,
                  log_link, offset_col is not None, 0.0)  # fmt: skip
    X = pd.DataFrame(_design(t, spec0), columns=list(terms))
    log_off = np.log(off) if off is not None else None

    nb_alpha = ar_rho = float("nan")
    used_lags: int | None = None
    if family == "gaussian":
        ols = OLS(y, X)
        if se_method == "hac":
            used_lags = lags_default if hac_lags is None else _check_int(hac_lags, "hac_lags", 0)
            res = _ols_hac(ols, used_lags, hac_small_sample)
            resid_for_tests = res
        elif se_method == "ols":
            res = resid_for_tests = ols.fit()
        else:
            resid_for_tests = ols.fit()
            res = GLSAR(y, X, rho=1).iterative_fit(maxiter=50)
            ar_rho = float(np.asarray(res.model.rho).ravel()[0])
        params, cov = res.params.to_numpy(), res.cov_params().to_numpy()
        crit = float(stats.t.ppf(1 - alpha / 2, res.df_resid))
        dispersion = float(res.scale)
        pvalues = res.pvalues.to_numpy()
    else:
        if family == "negbin":
            res = _fit_negbin(y, X, log_off)
            params, cov = res.params.to_numpy()[:k], res.cov_params().to_numpy()[:k, :k]
            nb_alpha = float(res.params.iloc[-1])
            mu = np.exp(X.to_numpy() @ params + (log_off if log_off is not None else 0.0))
            var_fn = mu + nb_alpha * mu**2
        else:
            glm = GLM(y, X, family=families.Poisson(), offset=log_off)
            res = glm.fit(scale="X2" if family == "quasipoisson" else None)
            params, cov = res.params.to_numpy(), res.cov_params().to_numpy()
            mu = np.asarray(res.mu)
            var_fn = mu
        crit = float(stats.norm.ppf(1 - alpha / 2))
        pearson = (y - mu) / np.sqrt(var_fn)
        dispersion = float(np.sum(pearson**2) / (n - k))
        resid_for_tests = OLS(pearson, X).fit()
        se_ = np.sqrt(np.diag(cov))
        pvalues = 2 * stats.norm.sf(np.abs(params / se_))
    bg_res = acorr_breusch_godfrey(resid_for_tests, nlags=bg, result_object=True)
    diagnostics = ITSDiagnostics(
        float(bg_res.lm), float(bg_res.lmpval), int(bg),
        float(durbin_watson(np.asarray(resid_for_tests.resid))), dispersion, nb_alpha, ar_rho,
        used_lags,
    )  # fmt: skip

    se = np.sqrt(np.diag(cov))
    table = pd.DataFrame(
        {
            "estimate": params,
            "se": se,
            "lower": params - crit * se,
            "upper": params + crit * se,
            "p_value": pvalues,
        },
        index=pd.Index(terms, name="term"),
    )
    if log_link:
        table["rate_ratio"] = np.exp(table["estimate"])
        table["rr_lower"] = np.exp(table["lower"])
        table["rr_upper"] = np.exp(table["upper"])
    else:
        table["rate_ratio"] = table["rr_lower"] = table["rr_upper"] = np.nan

    spec = _Spec(start, level_change, slope_change, harmonics, float(period_length), terms,
                 log_link, offset_col is not None, crit)  # fmt: skip
    eta1 = X.to_numpy() @ params
    eta0 = _design(t, spec, intervention=False) @ params
    if log_link:
        scale = off if off is not None else 1.0
        fit1, fit0 = np.exp(eta1) * scale, np.exp(eta0) * scale
    else:
        fit1, fit0 = eta1, eta0
    fitted = pd.DataFrame({"period": t, "observed": y, "fitted": fit1, "counterfactual": fit0})
    return ITSResult(
        method=_GAUSSIAN_METHODS[se_method] if family == "gaussian" else _METHODS[family],
        family=family,
        n=n,
        n_pre=n_pre,
        n_post=n_post,
        intervention_start=start,
        confidence=conf,
        coefficients=table,
        diagnostics=diagnostics,
        fitted=fitted,
        params=params,
        cov=cov,
        _spec=spec,
    )


def _ols_hac(model: Any, lags: int, small_sample: bool) -> Any:
    """OLS with the Newey-West (Bartlett) covariance; the one HAC code path of this module."""
    kwds = {"maxlags": int(lags), "use_correction": bool(small_sample)}
    return model.fit(cov_type="HAC", cov_kwds=kwds, use_t=True)


def newey_west(
    y: Any,
    X: Any,
    *,
    lags: int,
    small_sample: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """OLS with Newey-West (HAC) standard errors for any design, as Stata ``newey``.

    This is the covariance :func:`fit_its` uses for ``se_method="hac"``,
    exposed for designs other than the segmented one (and for validation).

    Parameters
    ----------
    y : array_like
        Outcome, one value per period, in time order.
    X : array_like or pandas.DataFrame
        Regressors including the constant; column names are kept.
    lags : int
        Maximum lag of the Bartlett kernel (Stata ``lag()``), at least 0.
    small_sample : bool, default True
        Multiply the covariance by ``n / (n - k)``, as Stata ``newey`` does.
    confidence : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        Indexed by regressor: ``estimate, se, t, p_value, lower, upper``
        (t distribution with ``n - k`` df). ``attrs`` holds ``cov`` (the
        covariance matrix as a DataFrame), ``df_resid``, ``lags`` and ``n``.

    Notes
    -----
    Tested against Stata's ``newey g_realinv g_realgdp L.realint, lag(4)``
    on statsmodels' macrodata (published in statsmodels'
    ``results_macro_ols_robust.py``); see ``tests/reference/its/README.md``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.arange(30.0)
    >>> X = pd.DataFrame({"const": 1.0, "x": x})
    >>> tab = newey_west(2 + 0.5 * x + rng.normal(size=30), X, lags=2)
    >>> list(tab.columns)
    ['estimate', 'se', 't', 'p_value', 'lower', 'upper']
    """
    from statsmodels.regression.linear_model import OLS

    conf = _check_confidence(confidence)
    lags = _check_int(lags, "lags", 0)
    Xf = X.copy() if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=float))
    yv = np.asarray(y, dtype=float).ravel()
    if Xf.ndim != 2 or len(Xf) != len(yv):
        raise ArgumentError("X must be a matrix with one row per value of y")
    if not (np.all(np.isfinite(yv)) and np.all(np.isfinite(Xf.to_numpy(dtype=float)))):
        raise ArgumentError("y and X must be finite (drop missing rows first)")
    if len(yv) <= Xf.shape[1]:
        raise ArgumentError("more observations than regressors are needed")
    res = _ols_hac(OLS(yv, Xf.astype(float)), lags, small_sample)
    ci = np.asarray(res.conf_int(alpha=1.0 - conf))
    params = np.asarray(res.params)
    out = pd.DataFrame(
        {
            "estimate": params,
            "se": np.asarray(res.bse),
            "t": np.asarray(res.tvalues),
            "p_value": np.asarray(res.pvalues),
            "lower": ci[:, 0],
            "upper": ci[:, 1],
        },
        index=pd.Index(list(Xf.columns), name="term"),
    )
    out.attrs.update(
        cov=pd.DataFrame(np.asarray(res.cov_params()), index=out.index, columns=out.index),
        df_resid=float(res.df_resid),
        lags=lags,
        n=len(yv),
    )
    return out


def _fit_negbin(y: np.ndarray, X: pd.DataFrame, log_off: np.ndarray | None) -> Any:
    """NB2 maximum likelihood started from the Poisson fit and a moment estimate of alpha."""
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    pois = GLM(y, X, family=families.Poisson(), offset=log_off).fit()
    mu = np.asarray(pois.mu)
    alpha0 = max(1e-4, float(np.mean(((y - mu) ** 2 - mu) / mu**2)))
    start = np.r_[pois.params.to_numpy(), alpha0]
    model = NegativeBinomial(y, X, offset=log_off, loglike_method="nb2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = model.fit(start_params=start, disp=0, maxiter=200)
        if not res.mle_retvals.get("converged", False) or not np.all(np.isfinite(res.params)):
            res = model.fit(start_params=start, method="nm", disp=0, maxiter=20000)
            res = model.fit(start_params=res.params, disp=0, maxiter=200)
    if not res.mle_retvals.get("converged", False) or not np.all(np.isfinite(res.params)):
        raise ArgumentError(
            "the negative binomial fit did not converge; use family='quasipoisson' instead"
        )
    return res


def _check_family(family: Any) -> str:
    if not isinstance(family, str) or family not in ITS_FAMILIES:
        raise ArgumentError(f"family must be one of {', '.join(ITS_FAMILIES)}; got {family!r}")
    return family
