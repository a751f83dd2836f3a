"""Design-based estimates: means, totals, proportions, crosstabs and Likert items.

Every estimator returns the point estimate with its Taylor-linearisation
standard error (see :meth:`indicators.survey.design.SurveyDesign.variance`),
the design effect, a confidence interval and the unweighted number of
respondents it rests on (for :func:`indicators.survey.disclosure.apply_to_estimates`).

Domain (subgroup) estimates with ``by=`` are computed over the full design:
respondents outside the domain get score zero but keep their stratum and PSU,
which is the correct variance for a random-sized domain (R ``svyby``).
Subsetting the design instead would drop PSUs and understate the variance.
Respondents with a missing value of the analysis variable (for example because
the question was routed past them) are treated the same way.

statsmodels offers no design-based (stratified, clustered, fpc) estimators,
so the linearised scores, the logit and Korn-Graubard intervals and the
Rao-Scott correction are written here following R ``survey``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
import pandas as pd
from scipy import special  # scipy.stats is imported where used: it costs 0.6 s (issue 7)

from indicators.exceptions import ArgumentError
from indicators.survey.design import SurveyDesign, _as_list

__all__ = [
    "CIMethod",
    "CrosstabResult",
    "DeffReference",
    "LikertSummary",
    "likert_summary",
    "svy_crosstab",
    "svy_mean",
    "svy_proportion",
    "svy_total",
]

CIMethod = Literal["logit", "korn-graubard", "wald"]
CI_METHODS: tuple[str, ...] = get_args(CIMethod)
DeffReference = Literal["srswor", "srswr"]
DEFF_REFERENCES: tuple[str, ...] = get_args(DeffReference)

_ESTIMATE_COLUMNS = [
    "variable",
    "estimate",
    "se",
    "lower_ci",
    "upper_ci",
    "deff",
    "n",
    "df",
    "confidence",
    "method",
]


# ----------------------------------------------------------------------
# Argument checks and domains
# ----------------------------------------------------------------------
def _check_design(design: Any) -> SurveyDesign:
    if not isinstance(design, SurveyDesign):
        raise ArgumentError("design must be a SurveyDesign (use SurveyDesign.from_frame)")
    return design


def _check_confidence(confidence: float) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.number)):
        raise ArgumentError("confidence must be a single number between 0 and 1, e.g. 0.95")
    if not 0.0 < float(confidence) < 1.0:
        raise ArgumentError(f"confidence must be between 0 and 1; got {confidence!r}")
    return float(confidence)


def _check_df(df: float | None) -> float | None:
    if df is None:
        return None
    if isinstance(df, bool) or not isinstance(df, (int, float, np.number)) or not df > 0:
        raise ArgumentError(f"df must be a positive number or None; got {df!r}")
    return float(df)


def _check_choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ArgumentError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _variable(design: SurveyDesign, var: str, *, numeric: bool) -> pd.Series:
    if not isinstance(var, str):
        raise ArgumentError(f"var must be a column name (str); got {var!r}")
    if var not in design.data.columns:
        raise ArgumentError(f"variable '{var}' is not in the design data")
    series = design.data[var]
    if numeric:
        try:
            return pd.to_numeric(series, errors="raise").astype(float)
        except (TypeError, ValueError) as err:
            raise ArgumentError(f"variable '{var}' must be numeric for this estimate") from err
    return series


def _domains(
    design: SurveyDesign, by: str | Sequence[str] | None
) -> list[tuple[tuple, np.ndarray]]:
    """(key, mask) per domain; rows with a missing ``by`` value are in no domain."""
    cols = _as_list(by)
    if not cols:
        return [((), np.ones(design.n, dtype=bool))]
    for col in cols:
        if col not in design.data.columns:
            raise ArgumentError(f"by column '{col}' is not in the design data")
    frame = design.data[cols]
    complete = frame.notna().all(axis=1).to_numpy()
    groups = frame[complete].drop_duplicates().sort_values(cols)
    out = []
    for key in groups.itertuples(index=False, name=None):
        mask = complete.copy()
        for col, value in zip(cols, key, strict=True):
            mask &= (frame[col] == value).fillna(False).to_numpy(dtype=bool)
        out.append((tuple(key), mask))
    return out


def _quantile(confidence: float, df: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + confidence / 2, df))


# ----------------------------------------------------------------------
# Linearised cores
# ----------------------------------------------------------------------
class _Core(NamedTuple):
    estimate: np.ndarray  # k
    variance: np.ndarray  # k
    vsrs: np.ndarray  # k, variance under simple random sampling
    n: int
    df: int


def _mean_core(
    design: SurveyDesign,
    y: np.ndarray,
    mask: np.ndarray,
    deff: DeffReference,
    total: bool = False,
) -> _Core:
    """Weighted mean (or total) of the columns of ``y`` in the domain ``mask``.

    ``y`` is ``n x k`` without missing values inside ``mask``.
    """
    w = np.where(mask, design.weights, 0.0)
    n_obs = int(mask.sum())
    k = y.shape[1]
    df = design.domain_degrees_of_freedom(mask)
    if n_obs == 0:
        nan = np.full(k, np.nan)
        return _Core(nan, nan, nan, 0, df)
    ym = np.where(mask[:, None], y, 0.0)
    w_sum = w.sum()
    mean = (w[:, None] * ym).sum(axis=0) / w_sum
    resid = np.where(mask[:, None], ym - mean, 0.0)
    if total:
        estimate = (w[:, None] * ym).sum(axis=0)
        scores = w[:, None] * ym
    else:
        estimate = mean
        scores = w[:, None] * resid / w_sum
    variance = np.diag(design.variance(scores)).copy()
    # Variance under simple random sampling, as R svymean/svytotal(deff=TRUE):
    # svyvar = sum w (y - ybar)^2 / sum w * n / (n - 1).
    if n_obs > 1:
        svyvar = (w[:, None] * resid**2).sum(axis=0) / w_sum * n_obs / (n_obs - 1)
    else:
        svyvar = np.full(k, np.nan)
    vsrs = svyvar / n_obs
    if deff == "srswor":
        vsrs = vsrs * (w_sum - n_obs) / w_sum
    if total:
        vsrs = vsrs * w_sum**2
    return _Core(estimate, variance, vsrs, n_obs, df)


def _deff(core: _Core) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(core.vsrs > 0, core.variance / core.vsrs, np.nan)


def _finite_mask(design: SurveyDesign, values: pd.Series, dmask: np.ndarray) -> np.ndarray:
    return dmask & values.notna().to_numpy() & (design.weights > 0)


def _by_columns(by: str | Sequence[str] | None, key: tuple) -> dict[str, Any]:
    return dict(zip(_as_list(by), key, strict=True))


# ----------------------------------------------------------------------
# Means and totals
# ----------------------------------------------------------------------
def _mean_or_total(
    design: SurveyDesign,
    var: str,
    *,
    by: str | Sequence[str] | None,
    confidence: float,
    df: float | None,
    deff: DeffReference,
    total: bool,
) -> pd.DataFrame:
    design = _check_design(design)
    confidence = _check_confidence(confidence)
    df = _check_df(df)
    _check_choice(deff, DEFF_REFERENCES, "deff")
    y = _variable(design, var, numeric=True)
    values = y.to_numpy(dtype=float)[:, None]
    rows = []
    for key, dmask in _domains(design, by):
        mask = _finite_mask(design, y, dmask)
        core = _mean_core(design, np.nan_to_num(values), mask, deff, total=total)
        dfi = df if df is not None else float(core.df)
        se = float(np.sqrt(core.variance[0]))
        q = _quantile(confidence, dfi)
        est = float(core.estimate[0])
        rows.append(
            {
                **_by_columns(by, key),
                "variable": var,
                "estimate": est,
                "se": se,
                "lower_ci": est - q * se,
                "upper_ci": est + q * se,
                "deff": float(_deff(core)[0]),
                "n": core.n,
                "df": dfi,
                "confidence": confidence,
                "method": "wald" if np.isfinite(dfi) else "wald-normal",
            }
        )
    return pd.DataFrame(rows, columns=[*_as_list(by), *_ESTIMATE_COLUMNS])


def svy_mean(
    design: SurveyDesign,
    var: str,
    *,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    df: float | None = None,
    deff: DeffReference = "srswor",
) -> pd.DataFrame:
    """Weighted mean with its linearised standard error, design effect and CI.

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    var : str
        Numeric column of ``design.data``; missing values are left out (the
        respondent is outside the domain of the estimate).
    by : str or list of str, optional
        Columns defining domains (subgroups); one row per domain.
    confidence : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom of the t interval. Default: the design degrees of
        freedom of the domain (PSUs minus strata with respondents in it).
        ``numpy.inf`` gives the normal interval of R ``confint(svymean())``.
    deff : {"srswor", "srswr"}, default "srswor"
        Reference variance for the design effect: simple random sampling
        without replacement from a population of ``sum(weights)`` (R
        ``deff=TRUE``) or with replacement (R ``deff="replace"``). Use
        ``"srswr"`` when the weights are scaled to the sample size: the
        ``"srswor"`` reference is then zero and the deff missing.

    Returns
    -------
    pandas.DataFrame
        Columns ``by...``, ``variable``, ``estimate``, ``se``, ``lower_ci``,
        ``upper_ci``, ``deff``, ``n`` (unweighted respondents), ``df``,
        ``confidence`` and ``method`` (``"wald"``: estimate -/+ t * se).

    Notes
    -----
    The mean is the ratio ``sum w y / sum w``; its scores are
    ``w (y - ybar) / sum w``. Checked against R survey 4.x (``svymean``) for
    the stratified, clustered and lonely-PSU API designs; see
    ``tests/reference/survey/README.md``.

    References
    ----------
    .. [1] Lumley T. Analysis of complex survey samples. J Stat Softw.
       2004;9(8):1-19. doi:10.18637/jss.v009.i08

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1.0, 1.0, 2.0, 2.0], "h": [1, 1, 2, 2], "y": [1.0, 3.0, 5.0, 7.0]})
    >>> d = SurveyDesign.from_frame(df, weights="w", strata="h")
    >>> round(float(svy_mean(d, "y")["estimate"].iloc[0]), 4)
    4.6667
    """
    return _mean_or_total(design, var, by=by, confidence=confidence, df=df, deff=deff, total=False)


def svy_total(
    design: SurveyDesign,
    var: str,
    *,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    df: float | None = None,
    deff: DeffReference = "srswor",
) -> pd.DataFrame:
    """Weighted population total with its linearised standard error and CI.

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    var : str
        Numeric column; missing values count as outside the domain.
    by : str or list of str, optional
        Columns defining domains; one total per domain.
    confidence : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom of the t interval (default: design degrees of
        freedom of the domain; ``numpy.inf`` for a normal interval).
    deff : {"srswor", "srswr"}, default "srswor"
        Reference variance for the design effect (see :func:`svy_mean`).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`svy_mean`; ``estimate`` is ``sum w y`` over the
        domain.

    Notes
    -----
    Checked against R survey ``svytotal`` (``tests/reference/survey/README.md``).

    Examples
    --------
    >>> df = pd.DataFrame({"w": [10.0, 10.0, 20.0, 20.0], "y": [1.0, 0.0, 1.0, 1.0]})
    >>> d = SurveyDesign.from_frame(df, weights="w")
    >>> float(svy_total(d, "y")["estimate"].iloc[0])
    50.0
    """
    return _mean_or_total(design, var, by=by, confidence=confidence, df=df, deff=deff, total=True)


# ----------------------------------------------------------------------
# Proportions
# ----------------------------------------------------------------------
def _proportion_ci(
    p: float, se: float, n: int, df: float, confidence: float, method: CIMethod
) -> tuple[float, float, str]:
    """Confidence interval for a proportion; returns (lower, upper, method used)."""
    from scipy import stats

    alpha = 1.0 - confidence
    if not np.isfinite(p) or n == 0:
        return np.nan, np.nan, method
    if p <= 0.0 or p >= 1.0 or se <= 0.0:
        # All three methods degenerate at 0 and 1 (R: "none of the methods will
        # work when the observed proportion is exactly 0 or 1"); fall back to
        # the Clopper-Pearson interval with the unweighted number of respondents.
        x = p * n
        lower = 0.0 if x <= 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
        upper = 1.0 if x >= n else float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x))
        return lower, upper, "clopper-pearson"
    if method == "wald":
        q = _quantile(confidence, df)
        return max(p - q * se, 0.0), min(p + q * se, 1.0), method
    if method == "logit":
        # R svyciprop(method="logit"): Wald interval for the intercept of a
        # quasibinomial svyglm, whose SE is se(p) / (p (1 - p)).
        q = _quantile(confidence, df)
        eta = special.logit(p)
        half = q * se / (p * (1.0 - p))
        return float(special.expit(eta - half)), float(special.expit(eta + half)), method
    # Korn and Graubard (1998), as R svyciprop(method="beta"): Clopper-Pearson
    # with the effective sample size p(1-p)/var, df-adjusted.
    n_eff = p * (1.0 - p) / se**2
    if n > 1:
        n_eff *= (stats.t.ppf(alpha / 2, n - 1) / stats.t.ppf(alpha / 2, df)) ** 2
    x = n_eff * p
    lower = float(stats.beta.ppf(alpha / 2, x, n_eff - x + 1))
    upper = float(stats.beta.ppf(1 - alpha / 2, x + 1, n_eff - x))
    return lower, upper, method


def svy_proportion(
    design: SurveyDesign,
    var: str,
    *,
    by: str | Sequence[str] | None = None,
    categories: Sequence[Any] | None = None,
    ci_method: CIMethod = "logit",
    confidence: float = 0.95,
    df: float | None = None,
    deff: DeffReference = "srswor",
) -> pd.DataFrame:
    """Weighted share of each category of ``var``, with SE, deff and CI.

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    var : str
        Categorical column; missing values are left out of the denominator.
    by : str or list of str, optional
        Columns defining domains; shares are computed within each domain.
    categories : sequence, optional
        Categories to report, in this order, including ones nobody chose
        (share 0). Default: the observed categories, sorted.
    ci_method : {"logit", "korn-graubard", "wald"}, default "logit"
        ``"logit"``: interval on the log-odds scale (R ``svyciprop(method=
        "logit")``); ``"korn-graubard"``: Clopper-Pearson with an effective
        sample size (R ``method="beta"``); ``"wald"``: ``p -/+ t se``, clipped
        to [0, 1]. Logit and Korn-Graubard keep intervals inside (0, 1) and
        behave better near 0 and 1.
    confidence : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom (default: design degrees of freedom of the domain,
        as R ``svyciprop``).
    deff : {"srswor", "srswr"}, default "srswor"
        Reference for the design effect (see :func:`svy_mean`).

    Returns
    -------
    pandas.DataFrame
        Columns ``by...``, ``variable``, ``category``, ``estimate`` (share
        between 0 and 1), ``se``, ``lower_ci``, ``upper_ci``, ``deff``, ``n``
        (respondents in the domain with an answer), ``n_category``
        (respondents in the category), ``df``, ``confidence`` and ``method``.

    Notes
    -----
    When a share is exactly 0 or 1 its linearised SE is 0 and no method above
    works; those rows get the Clopper-Pearson interval for ``n`` respondents
    and ``method == "clopper-pearson"``.

    References
    ----------
    .. [1] Korn EL, Graubard BI. Confidence intervals for proportions with
       small expected number of positive counts estimated from survey data.
       Survey Methodology. 1998;24(2):193-201.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1.0, 1.0, 2.0, 2.0], "q": ["ja", "nee", "ja", "ja"]})
    >>> d = SurveyDesign.from_frame(df, weights="w")
    >>> svy_proportion(d, "q")[["category", "estimate"]].round(3).to_dict("list")
    {'category': ['ja', 'nee'], 'estimate': [0.833, 0.167]}
    """
    design = _check_design(design)
    confidence = _check_confidence(confidence)
    df = _check_df(df)
    _check_choice(ci_method, CI_METHODS, "ci_method")
    _check_choice(deff, DEFF_REFERENCES, "deff")
    x = _variable(design, var, numeric=False)
    observed = pd.unique(x.dropna())
    if categories is None:
        cats = sorted(observed.tolist(), key=_sort_key)
    else:
        cats = list(categories)
        unknown = [c for c in observed.tolist() if c not in cats]
        if unknown:
            raise ArgumentError(f"variable '{var}' has values not in categories: {unknown[:5]!r}")
    if not cats:
        raise ArgumentError(f"variable '{var}' has no non-missing values")
    indicators = np.column_stack([(x == c).fillna(False).to_numpy(dtype=float) for c in cats])
    rows = []
    for key, dmask in _domains(design, by):
        mask = _finite_mask(design, x, dmask)
        core = _mean_core(design, indicators, mask, deff)
        dfi = df if df is not None else float(core.df)
        deffs = _deff(core)
        for j, cat in enumerate(cats):
            p = float(core.estimate[j])
            se = float(np.sqrt(max(core.variance[j], 0.0)))
            lower, upper, used = _proportion_ci(p, se, core.n, dfi, confidence, ci_method)
            rows.append(
                {
                    **_by_columns(by, key),
                    "variable": var,
                    "category": cat,
                    "estimate": p,
                    "se": se,
                    "lower_ci": lower,
                    "upper_ci": upper,
                    "deff": float(deffs[j]),
                    "n": core.n,
                    "n_category": int((mask & (indicators[:, j] > 0)).sum()),
                    "df": dfi,
                    "confidence": confidence,
                    "method": used,
                }
            )
    columns = [*_as_list(by), *_ESTIMATE_COLUMNS]
    columns.insert(columns.index("estimate"), "category")
    columns.insert(columns.index("n") + 1, "n_category")
    return pd.DataFrame(rows, columns=columns)


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))


# ----------------------------------------------------------------------
# Crosstab with Rao-Scott test
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class CrosstabResult:
    """Weighted crosstab and the Rao-Scott second-order corrected test.

    Attributes
    ----------
    table : pandas.DataFrame
        Weighted counts (estimated population numbers), rows x columns.
    shares : pandas.DataFrame
        Column percentages as shares: each column sums to 1.
    counts : pandas.DataFrame
        Unweighted numbers of respondents per cell (for disclosure control).
    pearson : float
        Pearson X^2 of the weighted table rescaled to the number of respondents.
    statistic : float
        Rao-Scott F statistic ``pearson / trace(Delta)``.
    ndf, ddf : float
        Numerator and denominator degrees of freedom of the F distribution
        (Satterthwaite: ``ndf = tr(Delta)^2 / tr(Delta^2)``, ``ddf = ndf * df``).
    p_value : float
        P-value of the F test.
    first_order_p_value : float
        P-value of the first-order correction ``pearson / mean(eigenvalues)``
        against chi-square with ``(r-1)(c-1)`` df (R ``statistic="Chisq"``).
    mean_deff : float
        Mean generalised design effect ``trace(Delta) / ((r-1)(c-1))``.
    df : int
        Design degrees of freedom used for ``ddf``.
    method : str
        ``"rao-scott-f"``.
    """

    table: pd.DataFrame
    shares: pd.DataFrame
    counts: pd.DataFrame
    pearson: float
    statistic: float
    ndf: float
    ddf: float
    p_value: float
    first_order_p_value: float
    mean_deff: float
    df: int
    method: str = "rao-scott-f"


def svy_crosstab(design: SurveyDesign, row: str, col: str) -> CrosstabResult:
    """Weighted crosstab of two categorical variables with a Rao-Scott test.

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    row, col : str
        Categorical columns; respondents missing either are left out.

    Returns
    -------
    CrosstabResult

    Notes
    -----
    Second-order Rao-Scott correction with an F reference distribution, as R
    ``svychisq(~row + col, design, statistic="F")``: with ``P`` the estimated
    cell shares and ``V`` their design covariance, ``C`` the interaction
    contrasts orthogonal to the main effects,
    ``Delta = (C' D^-1 C / N)^-1 C' D^-1 V D^-1 C`` with ``D = diag(P)``.
    Reproduces R's documented ``svychisq(~sch.wide + stype, dclus1)``
    (F = 5.1934, ndf = 1.4946, ddf = 20.925, p = 0.02175).

    References
    ----------
    .. [1] Rao JNK, Scott AJ. On chi-squared tests for multiway contingency
       tables with cell proportions estimated from survey data. Ann Stat.
       1984;12(1):46-60. doi:10.1214/aos/1176346391
    """
    from scipy import stats

    design = _check_design(design)
    xr = _variable(design, row, numeric=False)
    xc = _variable(design, col, numeric=False)
    mask = xr.notna().to_numpy() & xc.notna().to_numpy()
    rlev = sorted(pd.unique(xr[mask]).tolist(), key=_sort_key)
    clev = sorted(pd.unique(xc[mask]).tolist(), key=_sort_key)
    nr, nc = len(rlev), len(clev)
    if nr < 2 or nc < 2:
        raise ArgumentError(f"svy_crosstab needs at least two categories in '{row}' and in '{col}'")
    # Cells in R's interaction() order: row level varies fastest.
    cells = np.zeros((design.n, nr * nc))
    rv, cv = xr.to_numpy(), xc.to_numpy()
    for j, cval in enumerate(clev):
        for i, rval in enumerate(rlev):
            cells[:, i + nr * j] = mask & (rv == rval) & (cv == cval)
    w = np.where(mask, design.weights, 0.0)
    n_obs = int(mask.sum())
    w_sum = w.sum()
    p = (w[:, None] * cells).sum(axis=0) / w_sum
    scores = w[:, None] * np.where(mask[:, None], cells - p, 0.0) / w_sum
    v = design.variance(scores)

    grid_r = np.tile(np.arange(nr), nc)
    grid_c = np.repeat(np.arange(nc), nr)
    main = np.column_stack(
        [np.ones(nr * nc)]
        + [(grid_r == i).astype(float) for i in range(1, nr)]
        + [(grid_c == j).astype(float) for j in range(1, nc)]
    )
    inter = np.column_stack(
        [(grid_r == i) & (grid_c == j) for j in range(1, nc) for i in range(1, nr)]
    ).astype(float)
    contrasts = inter - main @ np.linalg.lstsq(main, inter, rcond=None)[0]
    inv_p = np.where(p > 0, 1.0 / np.where(p > 0, p, 1.0), 0.0)
    denom = contrasts.T @ (inv_p[:, None] * contrasts) / n_obs
    numr = contrasts.T @ (inv_p[:, None] * v * inv_p[None, :]) @ contrasts
    try:
        delta = np.linalg.solve(denom, numr)
    except np.linalg.LinAlgError as err:
        raise ArgumentError(
            f"the crosstab of '{row}' by '{col}' has too many empty cells for the Rao-Scott "
            "test; collapse categories"
        ) from err
    tr = float(np.trace(delta))
    tr2 = float(np.trace(delta @ delta))

    observed = (p * n_obs).reshape(nc, nr).T
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n_obs
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.nansum((observed - expected) ** 2 / expected))
    dof = (nr - 1) * (nc - 1)
    nu = design.domain_degrees_of_freedom(mask)
    statistic = pearson / tr
    ndf = tr**2 / tr2
    ddf = ndf * nu
    p_value = float(stats.f.sf(statistic, ndf, ddf))
    first = float(stats.chi2.sf(pearson / (tr / dof), dof))

    index = pd.Index(rlev, name=row)
    columns = pd.Index(clev, name=col)
    totals = (w[:, None] * cells).sum(axis=0).reshape(nc, nr).T
    counts = cells[mask].sum(axis=0).reshape(nc, nr).T.astype(int)
    table = pd.DataFrame(totals, index=index, columns=columns)
    return CrosstabResult(
        table=table,
        shares=table / table.sum(axis=0),
        counts=pd.DataFrame(counts, index=index, columns=columns),
        pearson=pearson,
        statistic=statistic,
        ndf=ndf,
        ddf=ddf,
        p_value=p_value,
        first_order_p_value=first,
        mean_deff=tr / dof,
        df=nu,
    )


# ----------------------------------------------------------------------
# Likert items
# ----------------------------------------------------------------------
class LikertSummary(NamedTuple):
    """Summary of a Likert item.

    Attributes
    ----------
    shares : pandas.DataFrame
        Weighted share per answer category (columns of :func:`svy_proportion`
        plus ``label``).
    top2 : pandas.DataFrame
        Share in the two highest categories, with CI (one row per domain).
    mean : pandas.DataFrame
        Weighted mean score with CI (columns of :func:`svy_mean`).
    top_codes : tuple
        The codes counted as top-2-box.
    method : str
        CI methods used: ``"<ci_method> (shares, top-2), wald (mean)"``.
    """

    shares: pd.DataFrame
    top2: pd.DataFrame
    mean: pd.DataFrame
    top_codes: tuple
    method: str


def likert_summary(
    design: SurveyDesign,
    var: str,
    labels: Mapping[Any, str],
    *,
    by: str | Sequence[str] | None = None,
    top_codes: Sequence[Any] | None = None,
    ci_method: CIMethod = "logit",
    confidence: float = 0.95,
    df: float | None = None,
) -> LikertSummary:
    """Shares per category, top-2-box share and mean score of a Likert item.

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    var : str
        Column with numeric scores; missing codes must already be missing
        (see :func:`indicators.survey.codebook.validate_microdata`).
    labels : mapping
        Score -> label, e.g. ``{1: "Zeer ontevreden", ..., 5: "Zeer tevreden"}``.
        All categories are reported, also those nobody chose.
    by : str or list of str, optional
        Domains.
    top_codes : sequence, optional
        Codes of the top box; default the two highest scores in ``labels``.
    ci_method : {"logit", "korn-graubard", "wald"}, default "logit"
        Interval for the shares and the top-2-box share.
    confidence : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom (default: design degrees of freedom of the domain).

    Returns
    -------
    LikertSummary

    Raises
    ------
    indicators.exceptions.ArgumentError
        If ``var`` holds a value that is not in ``labels``.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1.0] * 6, "s": [1, 2, 4, 5, 5, 4]})
    >>> d = SurveyDesign.from_frame(df, weights="w")
    >>> res = likert_summary(d, "s", {1: "slecht", 2: "matig", 3: "neutraal", 4: "goed", 5: "prima"})
    >>> round(float(res.top2["estimate"].iloc[0]), 3), float(res.mean["estimate"].iloc[0])
    (0.667, 3.5)
    """
    design = _check_design(design)
    if not isinstance(labels, Mapping) or len(labels) < 2:
        raise ArgumentError("labels must map at least two scores to their labels")
    codes = sorted(labels, key=_sort_key)
    if top_codes is None:
        top = tuple(codes[-2:])
    else:
        top = tuple(top_codes)
        missing = [c for c in top if c not in labels]
        if missing:
            raise ArgumentError(f"top_codes {missing!r} are not in labels")
    scores = _variable(design, var, numeric=True)
    numeric_codes = [float(c) for c in codes]
    bad = scores.notna() & ~scores.isin(numeric_codes)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ArgumentError(
            f"variable '{var}' has value {float(scores.iloc[row]):g} (row {row + 1}) that is not "
            "in labels; recode missing codes to missing first"
        )
    shares = svy_proportion(
        design,
        var,
        by=by,
        categories=[float(c) for c in codes],
        ci_method=ci_method,
        confidence=confidence,
        df=df,
    )
    label_of = {float(c): labels[c] for c in codes}
    shares.insert(shares.columns.get_loc("category") + 1, "label", shares["category"].map(label_of))
    top_name = "__top2__"
    top_values = np.where(scores.isna(), np.nan, scores.isin([float(c) for c in top]).astype(float))
    top_design = _with_column(design, top_name, top_values)
    top2 = svy_proportion(
        top_design,
        top_name,
        by=by,
        categories=[1.0, 0.0],
        ci_method=ci_method,
        confidence=confidence,
        df=df,
    )
    top2 = top2[top2["category"] == 1.0].drop(columns="category").reset_index(drop=True)
    top2["variable"] = var
    mean = svy_mean(design, var, by=by, confidence=confidence, df=df)
    return LikertSummary(
        shares=shares,
        top2=top2,
        mean=mean,
        top_codes=top,
        method=f"{ci_method} (shares, top-2), wald (mean)",
    )


def _with_column(design: SurveyDesign, name: str, values: np.ndarray) -> SurveyDesign:
    return replace(design, data=design.data.assign(**{name: values}))
