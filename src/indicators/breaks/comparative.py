"""Comparative interrupted time series, difference-in-differences and event studies.

A single-series ITS attributes any break at the start date to the
intervention. Comparison areas remove breaks that happened everywhere (a
national policy, a change in the survey): :func:`comparative_its` fits the
ITS to the *gap* between the treated area and a comparison series;
:func:`did` and :func:`event_study` use a panel of many areas (for example all
Dutch municipalities, with the South Limburg ones treated).
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from indicators.breaks.its import ITSResult, SEMethod, default_hac_lags, fit_its
from indicators.exceptions import ArgumentError
from indicators.stats.proportions import _check_confidence

__all__ = [
    "ComparativeApproach",
    "ComparativeITSResult",
    "DiDResult",
    "comparative_its",
    "did",
    "event_study",
]

ComparativeApproach = Literal["gap", "pooled"]


class ComparativeITSResult(NamedTuple):
    """Result of :func:`comparative_its`.

    Attributes
    ----------
    method : str
        ``"comparative_its_gap"`` or ``"comparative_its_pooled_hac_panel"``.
    approach : {"gap", "pooled"}
        Which model was fitted.
    coefficients : pandas.DataFrame
        Indexed by ``baseline_difference``, ``pre_trend_difference``,
        ``level_change_difference`` and ``slope_change_difference`` (treated
        minus comparison), with ``estimate``, ``se``, ``lower``, ``upper``,
        ``p_value``.
    its : ITSResult or None
        The ITS of the gap series (approach ``"gap"``), with
        ``counterfactual`` and ``effect_at``; None for ``"pooled"``.
    n_periods : int
        Number of periods in both series.
    confidence : float
        Confidence level.
    """

    method: str
    approach: str
    coefficients: pd.DataFrame
    its: ITSResult | None
    n_periods: int
    confidence: float


class DiDResult(NamedTuple):
    """Two-way fixed-effects difference-in-differences estimate.

    Attributes
    ----------
    estimate, se, lower, upper, p_value : float
        Average effect on the treated units after ``post_start``, its
        cluster-robust standard error, confidence limits and p-value
        (t distribution with ``n_clusters - 1`` df).
    n_obs, n_units, n_treated_units, n_periods : int
        Panel size.
    confidence : float
        Confidence level.
    method : str
        ``"twfe_did_cluster"``.
    """

    estimate: float
    se: float
    lower: float
    upper: float
    p_value: float
    n_obs: int
    n_units: int
    n_treated_units: int
    n_periods: int
    confidence: float
    method: str


_TERMS = (
    "baseline_difference",
    "pre_trend_difference",
    "level_change_difference",
    "slope_change_difference",
)


def _series(frame: Any, name: str, time_col: str, outcome_col: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(f"{name} must be a pandas DataFrame")
    missing = [c for c in (time_col, outcome_col) if c not in frame.columns]
    if missing:
        raise ArgumentError(
            f"{name} must have columns {time_col}, {outcome_col}; missing {missing}"
        )
    out = frame[[time_col, outcome_col]].rename(columns={time_col: "t", outcome_col: "y"})
    if out["t"].duplicated().any():
        raise ArgumentError(f"{name}: each {time_col} must occur once")
    return out


def comparative_its(
    treated: pd.DataFrame,
    comparison: pd.DataFrame,
    *,
    time_col: str,
    outcome_col: str,
    intervention_start: float,
    approach: ComparativeApproach = "gap",
    se_method: SEMethod = "hac",
    hac_lags: int | None = None,
    confidence: float = 0.95,
) -> ComparativeITSResult:
    """Comparative ITS: did the treated series break away from the comparison series?

    Parameters
    ----------
    treated, comparison : pandas.DataFrame
        One row per period with ``time_col`` and ``outcome_col`` (e.g. South
        Limburg and the rest of the Netherlands). Only periods with a value
        in both series are used.
    time_col, outcome_col : str
        Column names, the same in both frames.
    intervention_start : float
        First period after the start of the intervention.
    approach : {"gap", "pooled"}, default "gap"
        ``"gap"``: a gaussian ITS (:func:`fit_its`) of ``treated -
        comparison``. ``"pooled"``: OLS on the stacked series with a group
        indicator interacted with every ITS term, with panel Newey-West
        standard errors (statsmodels ``cov_type="hac-panel"`` with
        ``use_correction="hac"``) and t inference on the residual df.
    se_method : {"hac", "ols", "ar1"}, default "hac"
        Standard errors of the gap ITS (see :func:`fit_its`); the pooled
        approach always uses panel HAC.
    hac_lags : int, optional
        Newey-West lags; default :func:`default_hac_lags` of the number of
        periods.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    ComparativeITSResult
        The differences treated minus comparison in baseline, pre-trend,
        level change and slope change, and (gap approach) the full gap ITS.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a frame lacks a column or repeats a period, ``approach`` is
        unknown, or there are too few periods (see :func:`fit_its`).

    Notes
    -----
    With the full set of interactions both approaches give the *same point
    estimates*: the pooled model is two separate segmented regressions, and
    OLS is linear, so its interaction terms equal the ITS coefficients of the
    gap (tested). They differ in the standard errors. The gap approach is the
    default and recommended one here: the gap is the Trendbreuk quantity, and
    its HAC standard errors automatically account for correlation between
    the two series in the same year (shared shocks), which the panel HAC of
    the pooled model ignores. The comparison series' own sampling error is
    part of the gap's residual variance, so it is not counted twice.

    A single comparison series cannot separate the intervention from any
    other event that hit only the treated area at the same time; with many
    comparison areas use :func:`did` and :func:`event_study`.

    References
    ----------
    .. [1] Lopez Bernal J, Cummins S, Gasparrini A. The use of controls in
       interrupted time series studies of public health interventions.
       International Journal of Epidemiology 2018;47(6):2082-2093.
       https://doi.org/10.1093/ije/dyy135
    .. [2] Linden A. Conducting interrupted time-series analysis for
       single- and multiple-group comparisons. Stata Journal
       2015;15(2):480-500. https://doi.org/10.1177/1536867X1501500208

    Examples
    --------
    >>> years = list(range(2010, 2024))
    >>> comp = pd.DataFrame({"year": years, "le": [81.0 + 0.1 * i for i in range(14)]})
    >>> effect = [0.0] * 8 + [0.1 * k for k in range(1, 7)]
    >>> trt = comp.assign(le=comp["le"] - 1.0 + effect)
    >>> trt.loc[trt["year"] % 2 == 0, "le"] += 0.01
    >>> r = comparative_its(trt, comp, time_col="year", outcome_col="le",
    ...                     intervention_start=2018)
    >>> float(round(r.coefficients.loc["slope_change_difference", "estimate"], 2))
    0.1
    """
    from scipy import stats
    from statsmodels.regression.linear_model import OLS

    if not isinstance(approach, str) or approach not in ("gap", "pooled"):
        raise ArgumentError(f"approach must be one of gap, pooled; got {approach!r}")
    conf = _check_confidence(confidence)
    a = _series(treated, "treated", time_col, outcome_col)
    b = _series(comparison, "comparison", time_col, outcome_col)
    m = a.merge(b, on="t", suffixes=("_a", "_b")).dropna().sort_values("t")
    gap = pd.DataFrame({"t": m["t"], "gap": m["y_a"] - m["y_b"]})
    its = fit_its(
        gap, time_col="t", outcome_col="gap", intervention_start=intervention_start,
        se_method=se_method, hac_lags=hac_lags, confidence=conf,
    )  # fmt: skip
    if approach == "gap":
        table = its.coefficients.loc[
            ["intercept", "pre_trend", "level_change", "slope_change"],
            ["estimate", "se", "lower", "upper", "p_value"],
        ].copy()
        table.index = pd.Index(_TERMS, name="term")
        return ComparativeITSResult("comparative_its_gap", "gap", table, its, its.n, conf)

    n = len(m)
    t = np.concatenate([m["t"].to_numpy(float)] * 2)
    y = np.concatenate([m["y_a"].to_numpy(float), m["y_b"].to_numpy(float)])
    g = np.repeat([1.0, 0.0], n)
    start = float(intervention_start)
    post = (t >= start).astype(float)
    base = np.column_stack([np.ones_like(t), t, post, (t - start) * post])
    X = np.column_stack([base, base * g[:, None]])
    lags = default_hac_lags(n) if hac_lags is None else int(hac_lags)
    # hac-panel needs the rows of each group together and in time order.
    groups = np.repeat([0, 1], n)
    res = OLS(y, X).fit(
        cov_type="hac-panel",
        cov_kwds={"groups": groups, "maxlags": lags, "use_correction": "hac"},
        use_t=True,
    )
    # statsmodels would use t(groups - 1) = t(1) here; with two series use the
    # residual df of the pooled fit, as the gap approach does.
    df = res.df_resid
    crit = float(stats.t.ppf(0.5 + conf / 2, df))
    est, se = res.params[4:], res.bse[4:]
    table = pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "lower": est - crit * se,
            "upper": est + crit * se,
            "p_value": 2 * stats.t.sf(np.abs(est / se), df),
        },
        index=pd.Index(_TERMS, name="term"),
    )
    return ComparativeITSResult("comparative_its_pooled_hac_panel", "pooled", table, None, n, conf)


def _panel(
    frame: Any, unit_col: str, period_col: str, outcome_col: str, treated_col: str
) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError("frame must be a pandas DataFrame")
    cols = [unit_col, period_col, outcome_col, treated_col]
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ArgumentError(f"frame must have columns {', '.join(cols)}; missing {missing}")
    d = frame[cols].copy()
    d.columns = ["unit", "period", "y", "treated"]
    if d[["unit", "period", "treated"]].isna().any().any():
        raise ArgumentError(f"{unit_col}, {period_col} and {treated_col} must not be missing")
    if d.duplicated(["unit", "period"]).any():
        raise ArgumentError(f"each ({unit_col}, {period_col}) pair must occur once")
    tr = d["treated"]
    if not tr.isin([0, 1, True, False]).all():
        raise ArgumentError(f"{treated_col} must be 0/1 or boolean")
    d["treated"] = tr.astype(float)
    if (d.groupby("unit")["treated"].nunique() > 1).any():
        raise ArgumentError(f"{treated_col} must be constant within each unit")
    d = d.dropna(subset=["y"])
    try:
        d["y"] = d["y"].astype(float)
    except (TypeError, ValueError) as err:
        raise ArgumentError(f"{outcome_col} must be numeric") from err
    n_treated = d.loc[d["treated"] == 1, "unit"].nunique()
    n_control = d.loc[d["treated"] == 0, "unit"].nunique()
    if n_treated < 1 or n_control < 1:
        raise ArgumentError("at least one treated and one comparison unit are needed")
    return d


def _effects(res: Any, k: int, conf: float) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Estimates, SEs, t critical value and p-values of the first ``k`` coefficients.

    Uses the inference df of the cluster covariance (G - 1). Only the effect
    columns are read: the fixed-effect dummies have cluster variances that are
    0 up to rounding.
    """
    from scipy import stats

    df = getattr(res, "df_resid_inference", None) or res.df_resid
    est = np.asarray(res.params)[:k]
    se = np.sqrt(np.diag(np.asarray(res.cov_params()))[:k])
    crit = float(stats.t.ppf(0.5 + conf / 2, df))
    return est, se, crit, 2 * stats.t.sf(np.abs(est / se), df)


def _twfe(d: pd.DataFrame, effects: np.ndarray) -> Any:
    """OLS of y on unit and period dummies plus ``effects``, unit-clustered SEs."""
    from statsmodels.regression.linear_model import OLS

    unit_codes, _ = pd.factorize(d["unit"], sort=True)
    period_codes, _ = pd.factorize(d["period"], sort=True)
    n_u, n_p = unit_codes.max() + 1, period_codes.max() + 1
    u = np.zeros((len(d), n_u))
    u[np.arange(len(d)), unit_codes] = 1.0
    p = np.zeros((len(d), n_p - 1))
    rows = period_codes > 0
    p[np.flatnonzero(rows), period_codes[rows] - 1] = 1.0
    X = np.column_stack([effects, u, p])
    return OLS(d["y"].to_numpy(), X).fit(
        cov_type="cluster", cov_kwds={"groups": unit_codes}, use_t=True
    )


def did(
    frame: pd.DataFrame,
    *,
    unit_col: str,
    period_col: str,
    outcome_col: str,
    treated_col: str,
    post_start: Any,
    confidence: float = 0.95,
) -> DiDResult:
    """Two-way fixed-effects difference-in-differences with cluster-robust SEs.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long panel: one row per unit and period.
    unit_col, period_col, outcome_col : str
        Unit (e.g. municipality code), period (sortable, e.g. year) and
        outcome columns. Rows with a missing outcome are dropped.
    treated_col : str
        0/1 (or boolean) indicator of treated units, constant within a unit.
    post_start : scalar
        First treated period (common to all treated units).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    DiDResult
        The coefficient of ``treated x (period >= post_start)`` with
        standard error clustered by unit.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a column is missing, a (unit, period) pair repeats, treatment is
        not constant within a unit, there are no treated or no comparison
        units, or no period before or from ``post_start``.

    Notes
    -----
    Model: ``y_it = a_i + l_t + delta D_it + e_it`` with unit and period fixed
    effects (dummies) and ``D_it = treated_i 1[t >= post_start]``; OLS with
    statsmodels ``cov_type="cluster"`` by unit (with its default small-sample
    correction) and t(G - 1) inference. With a single common start date the
    TWFE estimate is the classic 2x2 DiD and has no "forbidden comparison"
    problem of staggered adoption. Cluster-robust standard errors need
    enough clusters, in particular enough *treated* clusters: with fewer
    than about 10 treated units they are too small (Conley & Taber 2011;
    Cameron & Miller 2015), so read the interval with care when only a
    handful of municipalities are treated. The identifying assumption is
    parallel trends; check it with :func:`event_study`.

    References
    ----------
    .. [1] Angrist JD, Pischke J-S. Mostly Harmless Econometrics. Princeton
       University Press; 2009, ch. 5.
    .. [2] Cameron AC, Miller DL. A practitioner's guide to cluster-robust
       inference. Journal of Human Resources 2015;50(2):317-372.
       https://doi.org/10.3368/jhr.50.2.317
    .. [3] Conley TG, Taber CR. Inference with "difference in differences"
       with a small number of policy changes. Review of Economics and
       Statistics 2011;93(1):113-125. https://doi.org/10.1162/REST_a_00049

    Examples
    --------
    >>> rows = [(u, t, 1.0 * (u < 2), 10 + u + 0.5 * t + 2.0 * (u < 2) * (t >= 3)
    ...          + 0.05 * ((7 * u + 3 * t) % 5)) for u in range(6) for t in range(6)]
    >>> panel = pd.DataFrame(rows, columns=["unit", "year", "treated", "y"])
    >>> r = did(panel, unit_col="unit", period_col="year", outcome_col="y",
    ...         treated_col="treated", post_start=3)
    >>> round(r.estimate, 1), r.n_units, r.n_treated_units, r.method
    (2.0, 6, 2, 'twfe_did_cluster')
    """
    conf = _check_confidence(confidence)
    d = _panel(frame, unit_col, period_col, outcome_col, treated_col)
    post = (d["period"] >= post_start).to_numpy()
    if post.all() or not post.any():
        raise ArgumentError("periods both before and from post_start are needed")
    effect = (d["treated"].to_numpy() * post)[:, None]
    res = _twfe(d, effect)
    n_units = int(d["unit"].nunique())
    est, se, crit, pv = _effects(res, 1, conf)
    est, se, pv = float(est[0]), float(se[0]), float(pv[0])
    return DiDResult(
        est,
        se,
        est - crit * se,
        est + crit * se,
        pv,
        len(d),
        n_units,
        int(d.loc[d["treated"] == 1, "unit"].nunique()),
        int(d["period"].nunique()),
        conf,
        "twfe_did_cluster",
    )


def event_study(
    frame: pd.DataFrame,
    *,
    unit_col: str,
    period_col: str,
    outcome_col: str,
    treated_col: str,
    post_start: Any,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Event-study (leads and lags) coefficients relative to the period before the start.

    Parameters
    ----------
    frame, unit_col, period_col, outcome_col, treated_col, post_start, confidence
        As for :func:`did`.

    Returns
    -------
    pandas.DataFrame
        One row per period with ``period``, ``relative_period`` (position
        relative to ``post_start``: -1 for the reference period before the
        start, 0 for the first treated period), ``estimate``, ``se``,
        ``lower``, ``upper``, ``p_value``, ``reference`` (True for the
        omitted period, whose estimate is 0 by definition and whose other
        statistics are NaN), ``confidence`` and ``method``
        (``"twfe_event_study_cluster"``). ``attrs["pre_trend_p_value"]`` holds
        the joint Wald F-test p-value that all lead coefficients are 0.

    Raises
    ------
    indicators.exceptions.ArgumentError
        As :func:`did`; also if there is no period before ``post_start``.

    Notes
    -----
    Model: ``y_it = a_i + l_t + sum_{k != r} b_k treated_i 1[t = k] + e_it``,
    with the last period before ``post_start`` as reference ``r`` (omitted).
    ``b_k`` for periods after the start trace the effect over time; ``b_k``
    before it (leads) should be about 0 under parallel trends, and the joint
    test checks that. A null simulation (no effect, parallel trends) finds
    individual lead coefficients significant in about 5% of replicates
    (tested). Standard errors are clustered by unit as in :func:`did`.
    Relative periods count positions in the sorted periods present in the
    data, so a missing year in the panel shifts the numbering.

    References
    ----------
    .. [1] Freyaldenhoven S, Hansen C, Perez JP, Shapiro JM. Visualization,
       identification, and estimation in the linear panel event-study design.
       NBER Working Paper 29170; 2021. https://doi.org/10.3386/w29170
    .. [2] Cameron AC, Miller DL. A practitioner's guide to cluster-robust
       inference. Journal of Human Resources 2015;50(2):317-372.

    Examples
    --------
    >>> rows = [(u, t, 1.0 * (u < 3), 10 + u + 0.5 * t + 2.0 * (u < 3) * (t >= 3)
    ...          + 0.05 * ((7 * u + 3 * t) % 5)) for u in range(8) for t in range(6)]
    >>> panel = pd.DataFrame(rows, columns=["unit", "year", "treated", "y"])
    >>> es = event_study(panel, unit_col="unit", period_col="year", outcome_col="y",
    ...                  treated_col="treated", post_start=3)
    >>> es[["relative_period", "estimate"]].round(1).to_numpy().tolist()
    [[-3.0, 0.0], [-2.0, 0.0], [-1.0, 0.0], [0.0, 2.1], [1.0, 2.1], [2.0, 2.0]]
    """
    conf = _check_confidence(confidence)
    d = _panel(frame, unit_col, period_col, outcome_col, treated_col)
    periods = np.sort(d["period"].unique())
    before = periods[periods < post_start]
    if len(before) == 0 or not np.any(periods >= post_start):
        raise ArgumentError("periods both before and from post_start are needed")
    ref = before[-1]
    ref_pos = int(np.flatnonzero(periods == ref)[0])
    others = [p for p in periods if p != ref]
    tr = d["treated"].to_numpy()
    effects = np.column_stack([tr * (d["period"].to_numpy() == p) for p in others])
    res = _twfe(d, effects)
    k = len(others)
    est, se, crit, pv = _effects(res, k, conf)
    out = pd.DataFrame(
        {
            "period": others,
            "estimate": est,
            "se": se,
            "lower": est - crit * se,
            "upper": est + crit * se,
            "p_value": pv,
            "reference": False,
        }
    )
    ref_row = pd.DataFrame(
        {"period": [ref], "estimate": [0.0], "se": [np.nan], "lower": [np.nan],
         "upper": [np.nan], "p_value": [np.nan], "reference": [True]}
    )  # fmt: skip
    out = pd.concat([out, ref_row], ignore_index=True).sort_values("period", ignore_index=True)
    pos = {p: i for i, p in enumerate(periods)}
    out.insert(1, "relative_period", [pos[p] - ref_pos - 1 for p in out["period"]])
    out["confidence"] = conf
    out["method"] = "twfe_event_study_cluster"
    leads = [i for i, p in enumerate(others) if p < ref]
    if leads:
        r = np.zeros((len(leads), res.params.shape[0]))
        r[np.arange(len(leads)), leads] = 1.0
        out.attrs["pre_trend_p_value"] = float(np.asarray(res.f_test(r).pvalue))
    else:
        out.attrs["pre_trend_p_value"] = float("nan")
    return out
