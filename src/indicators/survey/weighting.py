"""Weighting: post-stratification, raking, weight trimming and Kish's deff.

Each weighting function returns the new weights and a new
:class:`~indicators.survey.design.SurveyDesign` that remembers the step, so
that standard errors account for the calibration (see
:meth:`SurveyDesign.variance`).

Raking is iterative proportional fitting written out here (a dozen lines):
statsmodels has no survey raking, and ``statsmodels.stats.contingency_tables``
only fits tables, not respondent weights.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
import pandas as pd

from indicators.exceptions import ArgumentError, IndicatorsError
from indicators.survey.design import Calibration, SurveyDesign, _as_list

__all__ = [
    "NonConvergence",
    "RakingConvergenceError",
    "RakingConvergenceWarning",
    "TrimmingResult",
    "WeightingResult",
    "kish_deff",
    "poststratify",
    "rake",
    "trim_weights",
]

NonConvergence = Literal["raise", "warn"]


class RakingConvergenceError(IndicatorsError):
    """Raking did not reach the tolerance within ``max_iter`` iterations."""


class RakingConvergenceWarning(UserWarning):
    """Raking did not converge; the weights returned miss some margins."""


class WeightingResult(NamedTuple):
    """Result of :func:`poststratify` or :func:`rake`.

    Attributes
    ----------
    weights : pandas.Series
        New weights, indexed like ``design.data``.
    converged : bool
        Whether every margin was reproduced within the tolerance.
    iterations : int
        Number of full passes over the margins (1 for post-stratification).
    max_margin_error : float
        Largest relative difference ``|weighted count - target| / target``
        over all margin categories after the last pass.
    history : tuple of float
        ``max_margin_error`` after each pass.
    design : SurveyDesign
        The design with the new weights and the calibration recorded.
    method : str
        ``"poststratify"`` or ``"rake"``.
    """

    weights: pd.Series
    converged: bool
    iterations: int
    max_margin_error: float
    history: tuple[float, ...]
    design: SurveyDesign
    method: str


class TrimmingResult(NamedTuple):
    """Result of :func:`trim_weights`.

    Attributes
    ----------
    weights : pandas.Series
        Trimmed weights with the same total as the input.
    trimmed_upper, trimmed_lower : pandas.Series
        Boolean masks of weights set to the upper or lower bound.
    iterations : int
        Trim-and-redistribute passes needed.
    method : str
        ``"trim-redistribute"``.
    """

    weights: pd.Series
    trimmed_upper: pd.Series
    trimmed_lower: pd.Series
    iterations: int
    method: str


# ----------------------------------------------------------------------
# Post-stratification
# ----------------------------------------------------------------------
def _cell_keys(design: SurveyDesign, cols: list[str]) -> pd.Series:
    for col in cols:
        if col not in design.data.columns:
            raise ArgumentError(f"cell column '{col}' is not in the design data")
        if design.data[col].isna().any():
            row = int(np.flatnonzero(design.data[col].isna().to_numpy())[0]) + 1
            raise ArgumentError(
                f"cell column '{col}' has a missing value in row {row}; every respondent "
                "needs a weighting cell"
            )
    if len(cols) == 1:
        return design.data[cols[0]]
    return pd.Series(list(design.data[cols].itertuples(index=False, name=None)))


def _targets(population: Any, name: str) -> pd.Series:
    if isinstance(population, Mapping):
        population = pd.Series(dict(population))
    if not isinstance(population, pd.Series):
        raise ArgumentError(f"{name} must be a pandas Series (category -> population count)")
    values = pd.to_numeric(population, errors="coerce")
    if values.isna().any() or (values <= 0).any():
        raise ArgumentError(f"{name} must hold positive population counts")
    if values.index.has_duplicates:
        raise ArgumentError(f"{name} has duplicate categories")
    if isinstance(values.index, pd.MultiIndex):
        values.index = pd.Index(list(values.index), tupleize_cols=False)
    return values.astype(float)


def _indicators(keys: pd.Series, targets: pd.Series, name: str) -> np.ndarray:
    """Respondent x category indicator matrix; checks the categories match."""
    known = set(targets.index.tolist())
    observed = pd.unique(keys).tolist()
    unknown = [k for k in observed if k not in known]
    if unknown:
        raise ArgumentError(f"{name} has no population count for sample categories {unknown[:5]!r}")
    key_list = keys.tolist()
    cats = targets.index.tolist()
    position = {c: j for j, c in enumerate(cats)}
    x = np.zeros((len(key_list), len(cats)))
    x[np.arange(len(key_list)), [position[k] for k in key_list]] = 1.0
    empty = [c for c, filled in zip(cats, x.sum(axis=0) > 0, strict=True) if not filled]
    if empty:
        raise ArgumentError(
            f"{name}: categories {empty[:5]!r} have a population count but no respondents; "
            "collapse them with a neighbouring category"
        )
    return x


def poststratify(
    design: SurveyDesign,
    cells: str | Sequence[str],
    population_counts: pd.Series | Mapping[Any, float],
) -> WeightingResult:
    """Post-stratify the weights to known population counts per cell.

    Within each cell the weights are multiplied by ``N_c / sum_c(w)``, so the
    weighted count of every cell equals its population count.

    Parameters
    ----------
    design : SurveyDesign
        The design whose weights are adjusted.
    cells : str or list of str
        Column(s) defining the post-strata. With several columns,
        ``population_counts`` is indexed by tuples (or a MultiIndex).
    population_counts : pandas.Series or mapping
        Population count per cell.

    Returns
    -------
    WeightingResult
        ``method == "poststratify"``; ``converged`` is always True.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a cell column has missing values, a sample cell has no population
        count, or a population cell has no respondents.

    Notes
    -----
    Standard errors from the returned design use the residuals within cells,
    as R ``postStratify``; checked against R for ``dclus1`` post-stratified on
    school type (mean api00 642.31, SE 23.921).

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1.0, 1.0, 1.0], "sex": ["m", "v", "v"]})
    >>> d = SurveyDesign.from_frame(df, weights="w")
    >>> poststratify(d, "sex", pd.Series({"m": 50, "v": 50})).weights.tolist()
    [50.0, 25.0, 25.0]
    """
    if not isinstance(design, SurveyDesign):
        raise ArgumentError("design must be a SurveyDesign")
    cols = _as_list(cells)
    if not cols:
        raise ArgumentError("cells must name at least one column")
    targets = _targets(population_counts, "population_counts")
    keys = _cell_keys(design, cols)
    x = _indicators(keys, targets, "population_counts")
    w0 = design.weights
    achieved = x.T @ w0
    g = x @ (targets.to_numpy() / achieved)
    w = w0 * g
    error = _max_error([x], [targets.to_numpy()], w)
    new = design.with_weights(w, Calibration(x, w0, w, "poststratify"))
    return WeightingResult(
        weights=pd.Series(w, index=design.data.index, name="weight"),
        converged=True,
        iterations=1,
        max_margin_error=error,
        history=(error,),
        design=new,
        method="poststratify",
    )


# ----------------------------------------------------------------------
# Raking
# ----------------------------------------------------------------------
def _max_error(xs: list[np.ndarray], targets: list[np.ndarray], w: np.ndarray) -> float:
    return float(max(np.max(np.abs(x.T @ w - t) / t) for x, t in zip(xs, targets, strict=True)))


def rake(
    design: SurveyDesign,
    margins: Mapping[str, pd.Series],
    *,
    max_iter: int = 100,
    tol: float = 1e-8,
    on_nonconvergence: NonConvergence = "raise",
) -> WeightingResult:
    """Rake the weights to population margins (iterative proportional fitting).

    Each pass post-stratifies to every margin in turn; passes repeat until the
    largest relative margin error is below ``tol``.

    Parameters
    ----------
    design : SurveyDesign
        The design whose weights are adjusted.
    margins : dict of str to pandas.Series
        Column name -> population count per category. All margins must have
        the same total. For a joint margin, make a combined column first.
    max_iter : int, default 100
        Maximum number of passes.
    tol : float, default 1e-8
        Convergence tolerance on ``|weighted count - target| / target``.
    on_nonconvergence : {"raise", "warn"}, default "raise"
        Raise :class:`RakingConvergenceError`, or warn with
        :class:`RakingConvergenceWarning` and return the last weights
        (``converged=False``).

    Returns
    -------
    WeightingResult
        ``method == "rake"`` with convergence diagnostics and the new design.

    Raises
    ------
    indicators.exceptions.ArgumentError
        If a margin column is missing, categories do not match, or the margin
        totals differ.
    RakingConvergenceError
        If the margins are not reached in ``max_iter`` passes (message gives
        the margin error).

    Notes
    -----
    The raked weights are those of R ``rake()`` and of
    ``calibrate(calfun="raking")``; checked against the Kalton and
    Flores-Cervantes (2003) example and R ``rake`` on ``dclus1``.
    Standard errors use the generalised regression residuals on all margin
    indicators (as R ``calibrate``), the usual linearisation for raking.

    References
    ----------
    .. [1] Kalton G, Flores-Cervantes I. Weighting methods. J Off Stat.
       2003;19(2):81-97.
    .. [2] Deming WE, Stephan FF. On a least squares adjustment of a sampled
       frequency table when the expected marginal totals are known. Ann Math
       Stat. 1940;11(4):427-444.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1.0] * 4, "a": [1, 1, 2, 2], "b": ["x", "y", "x", "y"]})
    >>> d = SurveyDesign.from_frame(df, weights="w")
    >>> res = rake(d, {"a": pd.Series({1: 30, 2: 70}), "b": pd.Series({"x": 40, "y": 60})})
    >>> res.converged, res.weights.round(1).tolist()
    (True, [12.0, 18.0, 28.0, 42.0])
    """
    if not isinstance(design, SurveyDesign):
        raise ArgumentError("design must be a SurveyDesign")
    if not isinstance(margins, Mapping) or not margins:
        raise ArgumentError("margins must be a non-empty dict of column -> population Series")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ArgumentError(f"max_iter must be a positive integer; got {max_iter!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol > 0:
        raise ArgumentError(f"tol must be a positive number; got {tol!r}")
    if on_nonconvergence not in get_args(NonConvergence):
        raise ArgumentError(
            f"on_nonconvergence must be 'raise' or 'warn'; got {on_nonconvergence!r}"
        )
    xs, targets, names = [], [], []
    for col, population in margins.items():
        t = _targets(population, f"margin '{col}'")
        keys = _cell_keys(design, [col])
        xs.append(_indicators(keys, t, f"margin '{col}'"))
        targets.append(t.to_numpy())
        names.append(col)
    sums = [float(t.sum()) for t in targets]
    if max(sums) - min(sums) > 1e-9 * max(sums):
        detail = ", ".join(f"{n}: {s:g}" for n, s in zip(names, sums, strict=True))
        raise ArgumentError(f"all margins must have the same population total; got {detail}")

    w0 = design.weights
    w = w0.copy()
    history: list[float] = []
    converged = False
    for _ in range(max_iter):
        for x, t in zip(xs, targets, strict=True):
            w = w * (x @ (t / (x.T @ w)))
        error = _max_error(xs, targets, w)
        history.append(error)
        if error < tol:
            converged = True
            break
    if not converged:
        errors = [float(np.max(np.abs(x.T @ w - t) / t)) for x, t in zip(xs, targets, strict=True)]
        worst = max(zip(names, errors, strict=True), key=lambda item: item[1])
        message = (
            f"raking did not converge in {max_iter} iterations: largest relative margin "
            f"error {history[-1]:.3g} (margin '{worst[0]}') exceeds tol {tol:g}; raise "
            "max_iter, collapse sparse categories or check that the margins are consistent"
        )
        if on_nonconvergence == "raise":
            raise RakingConvergenceError(message)
        warnings.warn(message, RakingConvergenceWarning, stacklevel=2)
    aux = np.column_stack(xs)
    new = design.with_weights(w, Calibration(aux, w0, w, "rake"))
    return WeightingResult(
        weights=pd.Series(w, index=design.data.index, name="weight"),
        converged=converged,
        iterations=len(history),
        max_margin_error=history[-1],
        history=tuple(history),
        design=new,
        method="rake",
    )


# ----------------------------------------------------------------------
# Trimming and Kish
# ----------------------------------------------------------------------
def trim_weights(
    w: Any,
    *,
    upper: float | None = None,
    lower: float | None = None,
    max_iter: int = 100,
) -> TrimmingResult:
    """Cap extreme weights and redistribute the excess to keep the total.

    Weights above ``upper`` are set to ``upper`` and those below ``lower`` to
    ``lower``; the difference is spread over the untrimmed weights in
    proportion to their size. This repeats until no weight is out of bounds.

    Parameters
    ----------
    w : array_like or pandas.Series
        Positive weights.
    upper, lower : float, optional
        Bounds (absolute weight values). At least one is required.
    max_iter : int, default 100
        Maximum number of trim-and-redistribute passes.

    Returns
    -------
    TrimmingResult

    Raises
    ------
    indicators.exceptions.ArgumentError
        If no bound is given, ``lower >= upper``, weights are not positive, or
        the bounds cannot hold the total (``n * upper < sum(w)`` or
        ``n * lower > sum(w)``).

    Notes
    -----
    Trimming after raking moves the margins away from their targets; rake
    again (or trim inside the raking loop) when the margins must hold exactly.

    Examples
    --------
    >>> trim_weights([1.0, 1.0, 1.0, 5.0], upper=3.0).weights.tolist()
    [1.6666666666666667, 1.6666666666666667, 1.6666666666666667, 3.0]
    """
    index = w.index if isinstance(w, pd.Series) else None
    values = np.asarray(w, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ArgumentError("w must be a non-empty one-dimensional array of weights")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ArgumentError("weights must be positive and not missing")
    if upper is None and lower is None:
        raise ArgumentError("give upper, lower or both")
    hi = np.inf if upper is None else float(upper)
    lo = 0.0 if lower is None else float(lower)
    if lo >= hi:
        raise ArgumentError(f"lower must be smaller than upper; got lower={lo:g}, upper={hi:g}")
    total = values.sum()
    n = values.size
    if n * hi < total * (1 - 1e-12):
        raise ArgumentError(
            f"upper {hi:g} is too small: {n} weights of at most {hi:g} cannot keep the "
            f"total {total:g}"
        )
    if n * lo > total * (1 + 1e-12):
        raise ArgumentError(
            f"lower {lo:g} is too large: {n} weights of at least {lo:g} exceed the total {total:g}"
        )
    out = values.copy()
    at_hi = np.zeros(n, dtype=bool)
    at_lo = np.zeros(n, dtype=bool)
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - reported below
        at_hi |= out > hi * (1 + 1e-12)
        at_lo |= out < lo * (1 - 1e-12)
        out[at_hi] = hi
        out[at_lo] = lo
        free = ~(at_hi | at_lo)
        remaining = total - out[~free].sum()
        if not free.any():
            break
        out[free] *= remaining / out[free].sum()
        if not (np.any(out[free] > hi * (1 + 1e-12)) or np.any(out[free] < lo * (1 - 1e-12))):
            break
    return TrimmingResult(
        weights=pd.Series(out, index=index, name="weight"),
        trimmed_upper=pd.Series(at_hi, index=index),
        trimmed_lower=pd.Series(at_lo, index=index),
        iterations=iterations,
        method="trim-redistribute",
    )


def kish_deff(weights: Any) -> float:
    """Kish's design effect due to unequal weights: ``n sum(w^2) / sum(w)^2``.

    Parameters
    ----------
    weights : array_like or SurveyDesign
        Positive weights (or a design, whose weights are used).

    Returns
    -------
    float
        1 for equal weights; the effective sample size is ``n / kish_deff``.

    References
    ----------
    .. [1] Kish L. Weighting for unequal Pi. J Off Stat. 1992;8(2):183-200.

    Examples
    --------
    >>> kish_deff([1, 1, 1, 1])
    1.0
    >>> kish_deff([1, 1, 2, 4])
    1.375
    """
    w = weights.weights if isinstance(weights, SurveyDesign) else np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0:
        raise ArgumentError("weights must be a non-empty one-dimensional array")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ArgumentError("weights must be positive and not missing")
    return float(w.size * np.sum(w**2) / np.sum(w) ** 2)
