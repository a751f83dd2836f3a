"""Complex survey designs and their Taylor-linearisation variance.

A :class:`SurveyDesign` describes a single-stage (stratified, clustered)
sample as R ``survey::svydesign(id=~cluster, strata=~stratum, weights=~w,
fpc=~fpc)`` does: weights, strata, primary sampling units (PSUs, for example
the housing location of labour migrants) and an optional finite population
correction per stratum. Estimators in :mod:`indicators.survey.estimators`
turn each estimate into per-respondent *scores* (influence values); the design
turns scores into a variance with :meth:`SurveyDesign.variance`.

The variance formula is written here by hand: statsmodels has cluster-robust
("sandwich") covariances but no stratified with-replacement estimator with a
per-stratum finite population correction, lonely-PSU rules or calibration
residuals, and matching R ``survey`` needs all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal, get_args

import numpy as np
import pandas as pd

from indicators.exceptions import ArgumentError

__all__ = ["Calibration", "LonelyPSU", "SurveyDesign"]

LonelyPSU = Literal["fail", "remove", "certainty", "adjust"]
LONELY_PSU_RULES: tuple[str, ...] = get_args(LonelyPSU)


@dataclass(frozen=True, eq=False)
class Calibration:
    """Record of one weighting step, used to correct variances for calibration.

    Attributes
    ----------
    aux : numpy.ndarray
        ``n x p`` matrix of auxiliary variables (cell or margin indicators)
        whose weighted totals the step fixed to population values.
    base_weights : numpy.ndarray
        Weights before the step.
    weights : numpy.ndarray
        Weights after the step.
    method : str
        ``"poststratify"`` or ``"rake"``.
    """

    aux: np.ndarray
    base_weights: np.ndarray
    weights: np.ndarray
    method: str


@dataclass(frozen=True, eq=False)
class SurveyDesign:
    """A single-stage stratified cluster design with weights.

    Build it with :meth:`SurveyDesign.from_frame`; the constructor does not
    check its arguments.

    Attributes
    ----------
    data : pandas.DataFrame
        The respondents (one row each), index reset to ``0..n-1``.
    weights : numpy.ndarray
        Positive analysis weights.
    strata : numpy.ndarray
        Integer stratum code per row (all 0 when unstratified).
    clusters : numpy.ndarray
        Integer PSU code per row, unique across strata (PSUs are nested in
        strata). Each respondent is its own PSU when no clusters are given.
    sampling_fraction : numpy.ndarray
        Sampling fraction of PSUs ``f_h`` in the row's stratum (0 without fpc).
    lonely_psu : {"fail", "remove", "certainty", "adjust"}
        Rule for strata with a single PSU (see :meth:`from_frame`).
    weights_col, strata_col, clusters_col, fpc_col : str or None
        The columns the design was built from.
    calibrations : tuple of Calibration
        Weighting steps applied (post-stratification, raking), in order.
    """

    data: pd.DataFrame
    weights: np.ndarray
    strata: np.ndarray
    clusters: np.ndarray
    sampling_fraction: np.ndarray
    lonely_psu: LonelyPSU = "fail"
    weights_col: str | None = None
    strata_col: str | None = None
    clusters_col: str | None = None
    fpc_col: str | None = None
    calibrations: tuple[Calibration, ...] = field(default=())

    # ------------------------------------------------------------------
    # Construction
    # ------------------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        weights: str,
        strata: str | None = None,
        clusters: str | None = None,
        fpc: str | None = None,
        lonely_psu: LonelyPSU = "fail",
    ) -> SurveyDesign:
        """Build a design from a data frame, checking every design column.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per respondent.
        weights : str
            Column of analysis weights (inverse inclusion probabilities, or
            weights after nonresponse adjustment); all must be positive.
        strata : str, optional
            Column with the stratum of each respondent.
        clusters : str, optional
            Column with the primary sampling unit (PSU) of each respondent,
            e.g. the housing location. PSU labels are nested within strata
            (R ``nest=TRUE``). Without it each respondent is a PSU.
        fpc : str, optional
            Finite population correction, constant within a stratum: either the
            population number of PSUs in the stratum (values > 1, at least the
            number of sampled PSUs) or the sampling fraction (0 < f <= 1).
        lonely_psu : {"fail", "remove", "certainty", "adjust"}, default "fail"
            What to do with a stratum holding a single PSU, whose variance
            cannot be estimated (R ``options(survey.lonely.psu=)``):
            ``"fail"`` raises an ArgumentError naming the strata, unless the
            fpc marks the stratum as fully sampled; ``"remove"`` and
            ``"certainty"`` give the stratum no variance contribution (the same
            for single-stage designs); ``"adjust"`` centres the lonely PSU at
            the mean of all PSU totals instead of its stratum mean, which is
            conservative. Prefer collapsing strata before the analysis.

        Returns
        -------
        SurveyDesign

        Raises
        ------
        indicators.exceptions.ArgumentError
            If a column is missing or holds missing values, a weight is not
            positive, the fpc varies within a stratum or is smaller than the
            number of sampled PSUs, or a stratum has a single PSU under
            ``lonely_psu="fail"``.

        Examples
        --------
        >>> df = pd.DataFrame({"w": [2.0, 2.0, 3.0, 3.0], "h": ["a", "a", "b", "b"]})
        >>> d = SurveyDesign.from_frame(df, weights="w", strata="h")
        >>> d.n, d.n_psu, d.n_strata, d.degrees_of_freedom
        (4, 4, 2, 2)
        """
        if not isinstance(df, pd.DataFrame):
            raise ArgumentError("df must be a pandas DataFrame")
        if lonely_psu not in LONELY_PSU_RULES:
            raise ArgumentError(
                f"lonely_psu must be one of {', '.join(LONELY_PSU_RULES)}; got {lonely_psu!r}"
            )
        if len(df) == 0:
            raise ArgumentError("df has no rows: a design needs at least one respondent")
        data = df.reset_index(drop=True)
        w = _numeric_column(data, weights, "weights")
        if np.any(w <= 0):
            bad = int(np.flatnonzero(w <= 0)[0])
            raise ArgumentError(
                f"weights must be positive; column '{weights}' has {w[bad]!r} in row {bad + 1}"
            )
        n = len(data)
        if strata is None:
            strata_codes = np.zeros(n, dtype=np.int64)
        else:
            strata_codes = _codes(data, strata, "strata")
        if clusters is None:
            local = np.arange(n)
        else:
            local = _codes(data, clusters, "clusters")
        # Nest PSUs in strata: a PSU is the pair (stratum, cluster label).
        psu_codes, _ = pd.factorize(pd.Series(list(zip(strata_codes, local, strict=True))))
        psu_codes = np.asarray(psu_codes, dtype=np.int64)
        n_strata = int(strata_codes.max()) + 1
        psu_stratum = np.zeros(int(psu_codes.max()) + 1, dtype=np.int64)
        psu_stratum[psu_codes] = strata_codes
        psu_per_stratum = np.bincount(psu_stratum, minlength=n_strata)

        fraction = np.zeros(n)
        if fpc is not None:
            values = _numeric_column(data, fpc, "fpc")
            for h in range(n_strata):
                in_h = strata_codes == h
                vals = np.unique(values[in_h])
                label = _stratum_label(data, strata, in_h)
                if len(vals) > 1:
                    raise ArgumentError(
                        f"fpc must be constant within a stratum; column '{fpc}' has "
                        f"{len(vals)} different values in stratum {label}"
                    )
                value = float(vals[0])
                n_h = int(psu_per_stratum[h])
                if value <= 0:
                    raise ArgumentError(
                        f"fpc must be positive; column '{fpc}' is {value:g} in stratum {label}"
                    )
                if value <= 1:
                    fraction[in_h] = value
                elif value < n_h:
                    raise ArgumentError(
                        f"fpc (population number of PSUs) must be at least the number of "
                        f"sampled PSUs; stratum {label} has {n_h} sampled PSUs but "
                        f"fpc {value:g}"
                    )
                else:
                    fraction[in_h] = n_h / value

        design = cls(
            data=data,
            weights=w,
            strata=strata_codes,
            clusters=psu_codes,
            sampling_fraction=fraction,
            lonely_psu=lonely_psu,
            weights_col=weights,
            strata_col=strata,
            clusters_col=clusters,
            fpc_col=fpc,
        )
        if lonely_psu == "fail":
            lonely = [
                h
                for h in range(n_strata)
                if psu_per_stratum[h] == 1 and design._stratum_fraction[h] < 1
            ]
            if lonely:
                labels = [_stratum_label(data, strata, strata_codes == h) for h in lonely]
                raise ArgumentError(
                    "a stratum with a single PSU has no variance estimate: stratum "
                    f"{', '.join(labels)}; collapse strata or choose lonely_psu="
                    "'remove', 'certainty' or 'adjust'"
                )
        return design

    def with_weights(
        self, weights: np.ndarray | pd.Series, calibration: Calibration | None = None
    ) -> SurveyDesign:
        """Return a copy of the design with new weights (e.g. after trimming).

        Parameters
        ----------
        weights : array_like
            One positive weight per respondent, in the order of ``data``.
        calibration : Calibration, optional
            Record of the weighting step, so that variances account for it.

        Returns
        -------
        SurveyDesign
        """
        w = np.asarray(weights, dtype=float)
        if w.shape != self.weights.shape:
            raise ArgumentError(f"weights must have length {self.n}; got shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise ArgumentError("weights must be positive and not missing")
        cals = self.calibrations + ((calibration,) if calibration is not None else ())
        return replace(self, weights=w, calibrations=cals)

    # ------------------------------------------------------------------
    # Summary quantities
    # ------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(len(self.weights))

    @cached_property
    def _psu_stratum(self) -> np.ndarray:
        out = np.zeros(int(self.clusters.max()) + 1, dtype=np.int64)
        out[self.clusters] = self.strata
        return out

    @cached_property
    def _psu_per_stratum(self) -> np.ndarray:
        return np.bincount(self._psu_stratum, minlength=self.n_strata)

    @cached_property
    def _stratum_fraction(self) -> np.ndarray:
        out = np.zeros(self.n_strata)
        out[self.strata] = self.sampling_fraction
        return out

    @property
    def n_psu(self) -> int:
        """Number of sampled PSUs."""
        return int(self.clusters.max()) + 1

    @property
    def n_strata(self) -> int:
        """Number of strata."""
        return int(self.strata.max()) + 1

    @property
    def degrees_of_freedom(self) -> int:
        """Design degrees of freedom: PSUs minus strata (R ``degf``)."""
        return self.n_psu - self.n_strata

    def domain_degrees_of_freedom(self, mask: np.ndarray) -> int:
        """Design degrees of freedom of a domain, as R ``degf(subset(design, ...))``.

        PSUs and strata with at least one domain respondent are counted; the
        result is at least 1.
        """
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return 1
        psus = np.unique(self.clusters[mask]).size
        strata = np.unique(self.strata[mask]).size
        return max(psus - strata, 1)

    # ------------------------------------------------------------------
    # Variance
    # ------------------------------------------------------------------
    def variance(self, scores: np.ndarray) -> np.ndarray:
        """Design-based covariance matrix of the totals of ``scores``.

        Parameters
        ----------
        scores : numpy.ndarray
            ``n`` or ``n x k`` array of weighted influence values: an estimate
            ``theta`` with ``theta - theta_true ~ sum_i scores_i``.

        Returns
        -------
        numpy.ndarray
            ``k x k`` covariance matrix.

        Notes
        -----
        With-replacement (Hansen-Hurwitz) estimator with finite population
        correction, as R ``survey::svyrecvar`` for one stage::

            V = sum_h (1 - f_h) n_h / (n_h - 1) sum_i (z_hi - zbar_h)(z_hi - zbar_h)'

        where ``z_hi`` are the PSU totals of the scores. After post-stratification
        or raking the scores are first replaced by their residuals from a
        weighted regression on the calibration variables (the generalised
        regression linearisation of Deville and Särndal, as R
        ``calibrate()``); the regression uses the weights from before the
        step, as R does.
        """
        u = np.asarray(scores, dtype=float)
        one_dim = u.ndim == 1
        if one_dim:
            u = u[:, None]
        if u.shape[0] != self.n:
            raise ArgumentError(f"scores must have {self.n} rows; got {u.shape[0]}")
        for cal in self.calibrations:
            u = _calibration_residuals(u, cal)
        totals = np.zeros((self.n_psu, u.shape[1]))
        np.add.at(totals, self.clusters, u)
        n_h = self._psu_per_stratum.astype(float)
        means = np.zeros((self.n_strata, u.shape[1]))
        np.add.at(means, self._psu_stratum, totals)
        means /= n_h[:, None]
        centred = totals - means[self._psu_stratum]
        fpc = 1.0 - self._stratum_fraction
        scale_h = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0) * fpc
        lonely_h = n_h == 1
        if lonely_h.any():
            lonely_psu = lonely_h[self._psu_stratum]
            if self.lonely_psu in ("remove", "certainty", "fail"):
                # "fail" only reaches here for fully sampled strata (f_h = 1).
                centred[lonely_psu] = 0.0
            else:  # "adjust": centre at the mean of all PSU totals
                grand = totals.sum(axis=0) / self.n_psu
                centred[lonely_psu] = totals[lonely_psu] - grand
        scale = scale_h[self._psu_stratum]
        cov = (centred * scale[:, None]).T @ centred
        return cov

    def summary(self) -> pd.DataFrame:
        """Respondents, PSUs, weight sum and sampling fraction per stratum."""
        labels = (
            self.data[self.strata_col].to_numpy()
            if self.strata_col is not None
            else np.full(self.n, "(all)", dtype=object)
        )
        frame = pd.DataFrame(
            {
                "stratum": labels,
                "respondents": 1,
                "psu": self.clusters,
                "weight_sum": self.weights,
                "sampling_fraction": self.sampling_fraction,
            }
        )
        out = frame.groupby("stratum", sort=True).agg(
            respondents=("respondents", "sum"),
            psus=("psu", "nunique"),
            weight_sum=("weight_sum", "sum"),
            sampling_fraction=("sampling_fraction", "first"),
        )
        return out.reset_index()


# ----------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------
def _calibration_residuals(u: np.ndarray, cal: Calibration) -> np.ndarray:
    """Replace scores by residuals from the calibration regression (GREG).

    ``u = w e``; the residual is ``w (e - X b)`` with ``b`` the regression of
    ``e`` on ``X`` weighted by the weights from before the step (R
    ``calibrate``: ``qr.resid(qr(X * sqrt(w0)), x / (g sqrt(w0))) * g sqrt(w0)``).
    """
    x = cal.aux
    g = cal.weights / cal.base_weights
    xtwx = x.T @ (x * cal.base_weights[:, None])
    xtu = x.T @ (u / g[:, None])
    beta = np.linalg.lstsq(xtwx, xtu, rcond=None)[0]
    return u - cal.weights[:, None] * (x @ beta)


def _column(data: pd.DataFrame, col: str, role: str) -> pd.Series:
    if not isinstance(col, str):
        raise ArgumentError(f"{role} must be a column name (str); got {col!r}")
    if col not in data.columns:
        raise ArgumentError(f"{role} column '{col}' is not in the data")
    series = data[col]
    if series.isna().any():
        row = int(np.flatnonzero(series.isna().to_numpy())[0]) + 1
        raise ArgumentError(f"{role} column '{col}' has a missing value in row {row}")
    return series


def _numeric_column(data: pd.DataFrame, col: str, role: str) -> np.ndarray:
    series = _column(data, col, role)
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        raise ArgumentError(f"{role} column '{col}' must be numeric") from err
    if not np.all(np.isfinite(values)):
        raise ArgumentError(f"{role} column '{col}' must be finite")
    return values


def _codes(data: pd.DataFrame, col: str, role: str) -> np.ndarray:
    series = _column(data, col, role)
    codes, _ = pd.factorize(series, sort=True)
    return np.asarray(codes, dtype=np.int64)


def _stratum_label(data: pd.DataFrame, strata: str | None, mask: np.ndarray) -> str:
    if strata is None:
        return "(all)"
    value = data.loc[mask, strata].iloc[0]
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)
