"""Labour-migrant survey: from microdata to every published estimate, computed once.

:func:`run_survey_analysis` reads and validates the microdata against the
codebook, builds the stratified cluster design, rakes the weights to the
population margins (with trimming and Kish's design effect), and computes
every estimate the reports publish: shares, means and Likert summaries
overall and by region, nationality, housing type and municipality, and
crosstabs with the Rao-Scott test. Disclosure control is applied here, before
anything is written, so the markdown fragments, CSV and Excel downloads all
show the same suppressed table (:attr:`SurveyResults.estimates`).

:func:`area_survey` selects one municipality's estimates for the per-area
reports, or says why the sample does not allow it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from indicators.config import project_root
from indicators.exceptions import ArgumentError, InputError
from indicators.survey.codebook import Codebook, load_codebook, read_microdata
from indicators.survey.design import Calibration, SurveyDesign
from indicators.survey.disclosure import apply_to_estimates, suppress_table
from indicators.survey.estimators import likert_summary, svy_crosstab, svy_mean, svy_proportion
from indicators.survey.weighting import kish_deff, rake, trim_weights

__all__ = [
    "CHAPTERS",
    "DOMAIN_TYPES",
    "ITEMS",
    "AreaSurvey",
    "Item",
    "PublishedCrosstab",
    "SurveyResults",
    "WeightingSummary",
    "area_survey",
    "load_survey_results",
    "run_survey_analysis",
    "save_survey_results",
]

Kind = Literal["share", "mean", "likert"]

#: Report chapters, in order.
CHAPTERS: dict[str, str] = {
    "wonen": "Wonen",
    "werk": "Werk",
    "taal": "Taal en zelfredzaamheid",
    "zorg": "Zorg",
    "sociaal": "Sociale contacten",
    "toekomst": "Toekomst",
}

#: Domain (subgroup) breakdowns; "totaal" is all of Limburg.
DOMAIN_TYPES: dict[str, str] = {
    "totaal": "Limburg",
    "regio": "Regio",
    "nationaliteit": "Nationaliteit",
    "huisvesting": "Woonsituatie",
    "gemeente": "Gemeente",
}


@dataclass(frozen=True)
class Item:
    """One published survey item.

    Attributes
    ----------
    variable : str
        Column of the analysis data (codebook variable or derived).
    chapter : str
        Key of :data:`CHAPTERS`.
    kind : {"share", "mean", "likert"}
        Categorical shares, a mean, or a Likert item (distribution, top-2 box
        and mean score for Limburg; the top-2 box per domain).
    label : str
        Short Dutch label for charts and tables.
    unit : str
        Unit of a mean ("personen", "uur").
    decimals : int
        Display decimals of a mean.
    universe : str
        Who was asked, when not everybody (routing), in Dutch.
    """

    variable: str
    chapter: str
    kind: Kind
    label: str
    unit: str = ""
    decimals: int = 1
    universe: str = ""


ROUTED_EMPLOYER = (
    "wie op een grootschalige huisvestingslocatie of in een woning via de werkgever woont"
)

#: Every published item, in report order.
ITEMS: tuple[Item, ...] = (
    Item("huisvesting", "wonen", "share", "Woonsituatie"),
    Item("overbewoning", "wonen", "share", "Personen per slaapkamer"),
    Item(
        "personen_per_slaapkamer",
        "wonen",
        "mean",
        "Personen per slaapkamer (gemiddeld)",
        unit="personen",
        decimals=2,
    ),
    Item("snf_keurmerk", "wonen", "share", "SNF-keurmerk", universe=ROUTED_EMPLOYER),
    Item("woonkwaliteit", "wonen", "likert", "Tevreden over de woonkwaliteit"),
    Item("sector", "werk", "share", "Sector"),
    Item("contract", "werk", "share", "Arbeidscontract"),
    Item("uitzendbureau", "werk", "share", "In dienst van een uitzendbureau"),
    Item(
        "huur_inhouding",
        "werk",
        "share",
        "Huur ingehouden op het loon",
        universe="wie via de werkgever, op een grootschalige locatie of op een vakantiepark woont",
    ),
    Item("uren_per_week", "werk", "mean", "Uren werk per week (gemiddeld)", unit="uur"),
    Item("taal_nl", "taal", "likert", "Spreekt goed Nederlands"),
    Item("taal_en", "taal", "likert", "Spreekt goed Engels"),
    Item("weet_waar_hulp", "taal", "likert", "Weet bij wie terecht met vragen"),
    Item("brp", "taal", "share", "Ingeschreven in de BRP"),
    Item("huisarts", "zorg", "share", "Ingeschreven bij een huisarts"),
    Item("zorg_toegang", "zorg", "likert", "Weet hoe zorg te krijgen"),
    Item("contact_nl", "sociaal", "likert", "Vaak contact met Nederlanders"),
    Item("thuis_buurt", "sociaal", "likert", "Voelt zich thuis in de buurt"),
    Item("blijven", "toekomst", "share", "Van plan te blijven"),
    Item("jaren_nl", "toekomst", "mean", "Jaren in Nederland (gemiddeld)", unit="jaar"),
)

#: Items also estimated per municipality (for the area reports).
AREA_ITEMS = (
    "huisvesting",
    "overbewoning",
    "snf_keurmerk",
    "uitzendbureau",
    "taal_nl",
    "huisarts",
    "contact_nl",
    "blijven",
)
#: Domain types with means (municipalities get shares only).
MEAN_DOMAINS = ("totaal", "regio", "nationaliteit", "huisvesting")

#: Derived variables: question text and labels (not in the codebook).
DERIVED = {
    "overbewoning": (
        "Afgeleid: personen in de woning of unit gedeeld door het aantal slaapkamers",
        {
            1.0: "Hoogstens 1 persoon per slaapkamer",
            2.0: "Meer dan 1 tot en met 2",
            3.0: "Meer dan 2 personen per slaapkamer",
        },
    ),
    "personen_per_slaapkamer": (
        "Afgeleid: personen in de woning of unit gedeeld door het aantal slaapkamers",
        None,
    ),
}

#: Crosstabs with a Rao-Scott test: name -> (row variable, column variable).
CROSSTABS: dict[str, tuple[str, str]] = {
    "huisvesting_overbewoning": ("huisvesting", "overbewoning"),
    "regio_huisvesting": ("regio", "huisvesting"),
    "nationaliteit_blijven": ("nationaliteit", "blijven"),
}

#: Raking margins: name in margins.csv -> analysis column holding the joint cell.
RAKING_CELLS = {
    "nationaliteit_regio": "cel_nationaliteit_regio",
    "leeftijdsklasse_geslacht": "cel_leeftijd_geslacht",
}

ESTIMATE_COLUMNS = [
    "chapter",
    "variable",
    "label",
    "question",
    "statistic",
    "domain_type",
    "domain",
    "domain_label",
    "category",
    "category_label",
    "estimate",
    "se",
    "lower_ci",
    "upper_ci",
    "deff",
    "n",
    "n_category",
    "df",
    "confidence",
    "method",
    "suppressed",
    "suppression",
]


@dataclass(frozen=True)
class WeightingSummary:
    """Diagnostics of the weighting: raking convergence, trimming, design effects.

    Attributes
    ----------
    margins : pandas.DataFrame
        Per margin cell: ``margin``, ``cell``, ``population``, ``respondents``,
        ``base_total`` (sum of base weights), ``final_total`` and
        ``relative_error`` (final vs population).
    converged : bool
        Whether the final raking reproduced every margin within ``tol``.
    iterations : int
        Raking passes of the first raking.
    history : tuple of float
        Largest relative margin error after each pass of the first raking.
    max_margin_error : float
        Largest relative margin error of the final weights.
    trim_factor, trim_cap : float
        Weights are capped at ``trim_factor`` times the mean weight (``trim_cap``).
    n_trimmed : int
        Weights at the cap after the last trimming.
    trim_cycles : int
        Trim-and-rake cycles until the raked weights stayed below the cap.
    deff_base, deff_raked, deff_final : float
        Kish's design effect of unequal weights for the base, raked and final
        (trimmed and re-raked) weights.
    n_effective : float
        Respondents divided by ``deff_final``.
    weight_min, weight_max : float
        Smallest and largest final weight.
    tol : float
        Raking tolerance.
    """

    margins: pd.DataFrame
    converged: bool
    iterations: int
    history: tuple[float, ...]
    max_margin_error: float
    trim_factor: float
    trim_cap: float
    n_trimmed: int
    trim_cycles: int
    deff_base: float
    deff_raked: float
    deff_final: float
    n_effective: float
    weight_min: float
    weight_max: float
    tol: float


@dataclass(frozen=True)
class PublishedCrosstab:
    """A crosstab with its Rao-Scott test; the cells are published estimates.

    The row percentages are the shares of ``col`` within the domains of
    ``row``, taken from :attr:`SurveyResults.estimates`, so a crosstab cell
    and the same number elsewhere in the report always carry the same
    confidence interval and the same suppression.

    Attributes
    ----------
    name, row, col : str
        Key and the row and column variables.
    row_question, col_question : str
        Short labels of the two variables.
    cells : pandas.DataFrame
        The published estimate rows (``domain_type == row`` plus the Limburg
        total), columns of :attr:`SurveyResults.estimates`.
    statistic, ndf, ddf, p_value : float
        Rao-Scott second-order corrected F test.
    first_order_p_value : float
        P-value of the first-order correction.
    mean_deff : float
        Mean generalised design effect.
    df : int
        Design degrees of freedom used.
    n : int
        Respondents in the table (not published when below the threshold).
    method : str
        ``"rao-scott-f"``.
    """

    name: str
    row: str
    col: str
    row_question: str
    col_question: str
    cells: pd.DataFrame
    statistic: float
    ndf: float
    ddf: float
    p_value: float
    first_order_p_value: float
    mean_deff: float
    df: int
    n: int
    method: str

    def _pivot(self, column: str) -> pd.DataFrame:
        c = self.cells
        out = c.pivot(index="domain_label", columns="category_label", values=column)
        rows = list(dict.fromkeys(c["domain_label"]))
        cols = list(dict.fromkeys(c["category_label"]))
        return out.loc[rows, cols]

    @property
    def percent(self) -> pd.DataFrame:
        """Row percentages (rows: row categories and Limburg), NaN where suppressed."""
        return self._pivot("estimate").astype(float) * 100

    @property
    def lower(self) -> pd.DataFrame:
        """Lower 95% limits of :attr:`percent`."""
        return self._pivot("lower_ci").astype(float) * 100

    @property
    def upper(self) -> pd.DataFrame:
        """Upper 95% limits of :attr:`percent`."""
        return self._pivot("upper_ci").astype(float) * 100

    @property
    def counts(self) -> pd.DataFrame:
        """Published unweighted counts per cell, NaN where suppressed."""
        return self._pivot("n_category").astype(float)

    @property
    def row_n(self) -> pd.Series:
        """Respondents per row (NaN below the threshold)."""
        c = self.cells.drop_duplicates("domain_label")
        return pd.Series(c["n"].astype(float).to_numpy(), index=c["domain_label"].to_numpy())


@dataclass(frozen=True)
class SurveyResults:
    """Everything the survey reports publish, after disclosure control.

    Attributes
    ----------
    title : str
        Survey title from the codebook.
    synthetic : bool
        True for the synthetic demo data.
    threshold : int
        Minimum number of respondents per published cell.
    n_respondents : int
        Respondents in the microdata.
    estimates : pandas.DataFrame
        The published estimates, one row each (columns
        :data:`ESTIMATE_COLUMNS`). Shares are between 0 and 1. Suppressed rows
        have ``estimate``, ``se``, the CI, ``deff`` and ``n_category`` missing;
        ``n`` is missing when below ``threshold``.
    crosstabs : dict of str to PublishedCrosstab
        Published crosstabs.
    design_summary : pandas.DataFrame
        Per stratum: respondents, sampled and population PSUs, sampling
        fraction, sum of final weights.
    weighting : WeightingSummary
        Raking, trimming and design-effect diagnostics.
    rule_text_nl : str
        The suppression rule in Dutch (from :func:`suppress_table`).
    df : int
        Design degrees of freedom (PSUs minus strata).
    items : tuple of Item
        The published items.
    labels : dict
        Variable -> {code: label} for codebook and derived variables.
    questions : dict
        Variable -> question text.
    municipality_names : dict
        Municipality code -> name (codebook labels).
    respondents_by_municipality : pandas.Series
        Respondents per municipality code. Internal: used to decide whether an
        area section can be published; not itself published below the
        threshold.
    inputs : dict
        Input file name -> SHA-256.
    data : pandas.DataFrame
        The analysis microdata with the final weight ``gewicht``. Never
        publish it; it is here for checks and independent recomputation.
    """

    title: str
    synthetic: bool
    threshold: int
    n_respondents: int
    estimates: pd.DataFrame
    crosstabs: dict[str, PublishedCrosstab]
    design_summary: pd.DataFrame
    weighting: WeightingSummary
    rule_text_nl: str
    df: int
    items: tuple[Item, ...]
    labels: dict[str, dict]
    questions: dict[str, str]
    municipality_names: dict[str, str]
    respondents_by_municipality: pd.Series
    inputs: dict[str, str]
    data: pd.DataFrame = field(repr=False)

    def item(self, variable: str) -> Item:
        """The :class:`Item` of ``variable``."""
        for it in self.items:
            if it.variable == variable:
                return it
        raise KeyError(variable)

    def select(
        self,
        variable: str,
        *,
        statistic: str | None = None,
        domain_type: str = "totaal",
        domain: str | None = None,
        category: str | None = None,
    ) -> pd.DataFrame:
        """Rows of :attr:`estimates` for one variable (and optional filters)."""
        e = self._by_variable().get((variable, domain_type))
        if e is None:
            return self.estimates.iloc[:0]
        keep = np.ones(len(e), dtype=bool)
        if statistic is not None:
            keep &= (e["statistic"] == statistic).to_numpy()
        if domain is not None:
            keep &= (e["domain"] == domain).to_numpy()
        if category is not None:
            keep &= (e["category"] == category).to_numpy()
        return e[keep]

    def _by_variable(self) -> dict[tuple[str, str], pd.DataFrame]:
        """:attr:`estimates` grouped by (variable, domain_type), built on first use.

        A report looks up dozens of single estimates; masking the whole table for
        each was most of the survey section's time (issue 7).
        """
        cache = self.__dict__.get("_groups")
        if cache is None:
            cache = {
                key: g for key, g in self.estimates.groupby(["variable", "domain_type"], sort=False)
            }
            object.__setattr__(self, "_groups", cache)  # frozen: a derived, private cache
        return cache

    def value(
        self, variable: str, statistic: str, category: str = "", **kwargs
    ) -> pd.Series | None:
        """One estimate row, or None when absent."""
        rows = self.select(variable, statistic=statistic, category=category, **kwargs)
        return None if rows.empty else rows.iloc[0]


@dataclass(frozen=True)
class AreaSurvey:
    """Survey estimates for one municipality, or the reason there are none.

    Attributes
    ----------
    municipality_code, municipality_name : str
        CBS code (``GM####``) and name.
    n : int or None
        Respondents in the municipality; None when below the threshold (the
        exact small number is not published).
    estimates : pandas.DataFrame or None
        The municipality's published estimates (``domain_type == "gemeente"``),
        None when the sample does not allow them.
    reason : str or None
        Dutch sentence why there are no estimates.
    threshold : int
        The disclosure threshold.
    """

    municipality_code: str
    municipality_name: str
    n: int | None
    estimates: pd.DataFrame | None
    reason: str | None
    threshold: int


# ----------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _microdata_file(data_dir: Path) -> Path:
    for name in ("microdata.csv", "microdata.sav"):
        if (data_dir / name).exists():
            return data_dir / name
    raise InputError(
        "no microdata.csv or microdata.sav in the survey directory", path=str(data_dir)
    )


def load_margins(path: Path) -> dict[str, pd.Series]:
    """Read ``margins.csv`` into raking targets keyed by :data:`RAKING_CELLS` columns.

    The file has columns ``margin, variable_1, code_1, variable_2, code_2,
    population``; the cell key is ``"<code_1>|<code_2>"``.
    """
    try:
        frame = pd.read_csv(path, dtype={"code_1": str, "code_2": str})
    except OSError as err:
        raise InputError(f"cannot read margins: {err.strerror}", path=str(path)) from err
    need = {"margin", "variable_1", "code_1", "variable_2", "code_2", "population"}
    missing = sorted(need - set(frame.columns))
    if missing:
        raise InputError(f"margins file misses columns: {', '.join(missing)}", path=str(path))
    out = {}
    for margin, rows in frame.groupby("margin", sort=False):
        if margin not in RAKING_CELLS:
            raise InputError(f"unknown margin '{margin}'", path=str(path), field="margin")
        keys = [
            f"{_code(a)}|{_code(b)}" for a, b in zip(rows["code_1"], rows["code_2"], strict=True)
        ]
        out[RAKING_CELLS[margin]] = pd.Series(rows["population"].to_numpy(float), index=keys)
    return out


def _code(value) -> str:
    """Codes as text: 1.0 -> "1", "GM0983" stays."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return str(int(number)) if number.is_integer() else value
    return str(value)


def _top2_column(variable: str) -> str:
    return f"{variable}__top2"


def _prepare(data: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Derived variables, top-2-box indicators of Likert items and raking cells."""
    df = data.copy()
    for item in ITEMS:
        if item.kind == "likert":
            top = sorted(float(c) for c in codebook[item.variable].labels or {})[-2:]
            values = df[item.variable]
            df[_top2_column(item.variable)] = values.isin(top).astype(float).where(values.notna())
    ppb = df["personen_woning"] / df["slaapkamers"]
    df["personen_per_slaapkamer"] = ppb
    df["overbewoning"] = np.select([ppb <= 1, ppb <= 2, ppb > 2], [1.0, 2.0, 3.0], np.nan)
    df.loc[ppb.isna(), "overbewoning"] = np.nan
    df["cel_nationaliteit_regio"] = [
        f"{_code(a)}|{_code(b)}" for a, b in zip(df["nationaliteit"], df["regio"], strict=True)
    ]
    df["cel_leeftijd_geslacht"] = [
        f"{_code(a)}|{_code(b)}" for a, b in zip(df["leeftijdsklasse"], df["geslacht"], strict=True)
    ]
    return df


# ----------------------------------------------------------------------
# Weighting
# ----------------------------------------------------------------------
def _weight(
    design: SurveyDesign,
    margins: dict[str, pd.Series],
    *,
    trim_factor: float,
    tol: float = 1e-8,
    max_cycles: int = 20,
) -> tuple[SurveyDesign, WeightingSummary]:
    """Rake, then trim at ``trim_factor`` x mean weight and rake again until stable."""
    first = rake(design, margins, tol=tol, max_iter=200)
    raked = first.design
    deff_raked = kish_deff(raked)
    cap = trim_factor * float(np.mean(raked.weights))
    current = raked
    cycles = 0
    n_trimmed = 0
    last = first
    for cycles in range(1, max_cycles + 1):  # noqa: B007 - reported
        if current.weights.max() <= cap * (1 + 1e-6):
            break
        trimmed = trim_weights(current.weights, upper=cap)
        n_trimmed = int(trimmed.trimmed_upper.sum())
        last = rake(
            current.with_weights(trimmed.weights.to_numpy()), margins, tol=tol, max_iter=200
        )
        current = last.design
    else:
        cycles = max_cycles
    if cycles == 1 and current is raked:
        cycles = 0
    w_base = design.weights
    w = current.weights
    rows = []
    for col, target in margins.items():
        margin = next(k for k, v in RAKING_CELLS.items() if v == col)
        keys = current.data[col]
        for cell, pop in target.items():
            sel = (keys == cell).to_numpy()
            final = float(w[sel].sum())
            rows.append(
                {
                    "margin": margin,
                    "cell": cell,
                    "population": float(pop),
                    "respondents": int(sel.sum()),
                    "base_total": float(w_base[sel].sum()),
                    "final_total": final,
                    "relative_error": abs(final - pop) / pop,
                }
            )
    table = pd.DataFrame(rows)
    deff_final = kish_deff(current)
    summary = WeightingSummary(
        margins=table,
        converged=bool(last.converged),
        iterations=first.iterations,
        history=first.history,
        max_margin_error=float(table["relative_error"].max()),
        trim_factor=trim_factor,
        trim_cap=cap,
        n_trimmed=n_trimmed,
        trim_cycles=cycles,
        deff_base=kish_deff(design),
        deff_raked=deff_raked,
        deff_final=deff_final,
        n_effective=design.n / deff_final,
        weight_min=float(w.min()),
        weight_max=float(w.max()),
        tol=tol,
    )
    # One calibration record for the whole rake-trim-rake chain: the final
    # weights are a (bounded) calibration of the base weights on the same
    # margin indicators, so the GREG linearisation of SurveyDesign.variance
    # applies with g = final / base. Chaining every cycle gives the same
    # residuals (the projections coincide) at many times the cost.
    aux = current.calibrations[-1].aux
    final = design.with_weights(w, Calibration(aux, design.weights, w, "rake"))
    return final, summary


# ----------------------------------------------------------------------
# Disclosure control
# ----------------------------------------------------------------------
def _protect_vector(
    counts: np.ndarray, threshold: int, groups: Sequence[Sequence[int]]
) -> np.ndarray:
    """Primary and secondary suppression of one distribution with a published total.

    Cells with 1 to ``threshold - 1`` respondents are hidden; then no group
    (the whole distribution, and e.g. the top-2 box codes whose sum is
    published) may hold exactly one hidden cell, else it would follow from
    the group total: the smallest other cell of the group is hidden too.
    """
    c = np.asarray(counts, dtype=float)
    hidden = (c > 0) & (c < threshold)
    lines = [list(range(len(c))), *[list(g) for g in groups]]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if hidden[line].sum() == 1:
                others = [i for i in line if not hidden[i]]
                if not others:
                    continue
                pick = min(others, key=lambda i: (c[i] == 0, c[i], i))
                hidden[pick] = True
                changed = True
    return hidden


def _vector_reason(counts: pd.Series, hidden: np.ndarray, threshold: int) -> np.ndarray:
    c = counts.to_numpy(dtype=float)
    primary = (c > 0) & (c < threshold)
    return np.where(hidden & primary, "primair", np.where(hidden, "secundair", ""))


def _protect_table(
    counts: pd.DataFrame, n: pd.Series, threshold: int
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Suppression of a categories x domains table whose margins are published.

    Returns (hidden, reason, rule text). Domains with fewer than ``threshold``
    respondents are hidden entirely (their empty cells too); the rest follows
    :func:`suppress_table` with ``totals=False``: the domain sizes and the
    overall shares are published elsewhere, so a hidden cell must not follow
    from them.
    """
    small = n.reindex(counts.columns).fillna(0) < threshold
    work = counts.copy().astype(int)
    # Force every cell of a small domain to be primary (zero cells too).
    for col in counts.columns[small.to_numpy()]:
        work[col] = work[col].clip(lower=1)
    reason = pd.DataFrame("", index=counts.index, columns=counts.columns)
    if work.shape[0] >= 2 and work.shape[1] >= 2:
        try:
            res = suppress_table(work, threshold=threshold, totals=False)
        except ArgumentError:
            hidden = pd.DataFrame(True, index=counts.index, columns=counts.columns)
            reason[:] = "tabel"
            return hidden, reason, ""
        primary = res.primary_mask.to_numpy()
        secondary = res.secondary_mask.to_numpy()
        text = res.rule_text_nl
    else:
        values = work.to_numpy(dtype=float)
        primary = (values > 0) & (values < threshold)
        secondary = np.zeros_like(primary)
        text = ""
    reason = reason.mask(primary, "primair").mask(secondary, "secundair")
    reason.loc[:, small.to_numpy()] = "domein"
    hidden = reason != ""
    return hidden, reason, text


# ----------------------------------------------------------------------
# Estimation
# ----------------------------------------------------------------------
def _labels_of(codebook: Codebook) -> tuple[dict[str, dict], dict[str, str]]:
    labels: dict[str, dict] = {}
    questions: dict[str, str] = {}
    for var in codebook.variables:
        questions[var.name] = var.question or var.name
        if var.labels:
            labels[var.name] = {_code(k): v for k, v in var.labels.items()}
    for name, (question, lab) in DERIVED.items():
        questions[name] = question
        if lab:
            labels[name] = {_code(k): v for k, v in lab.items()}
    return labels, questions


class _Builder:
    """Collects published estimate rows for all items and domains."""

    def __init__(
        self,
        design: SurveyDesign,
        threshold: int,
        labels: dict[str, dict],
        questions: dict[str, str],
    ) -> None:
        self.design = design
        self.threshold = threshold
        self.labels = labels
        self.questions = questions
        self.rows: list[pd.DataFrame] = []
        self.rule_texts: list[str] = []

    # -- helpers ---------------------------------------------------------
    def _domain_label(self, domain_type: str, code: str) -> str:
        if domain_type == "totaal":
            return "Limburg"
        return self.labels.get(domain_type, {}).get(code, code)

    def _frame(
        self, est: pd.DataFrame, item: Item, statistic: str, domain_type: str
    ) -> pd.DataFrame:
        out = est.copy()
        by = None if domain_type == "totaal" else domain_type
        out["domain"] = "PV31" if by is None else [_code(v) for v in out[by]]
        out["domain_label"] = [self._domain_label(domain_type, d) for d in out["domain"]]
        if "category" in out.columns:
            out["category"] = [_code(v) for v in out["category"]]
        else:
            out["category"] = ""
        if statistic == "top2":
            labels = self.labels[item.variable]
            codes = sorted(labels, key=float)[-2:]
            out["category"] = "top2"
            out["category_label"] = f"{labels[codes[0]]} of {labels[codes[1]].lower()}"
        else:
            out["category_label"] = [
                self.labels.get(item.variable, {}).get(c, "") for c in out["category"]
            ]
        if "n_category" not in out.columns:
            out["n_category"] = np.nan
        out["chapter"] = item.chapter
        out["variable"] = item.variable
        out["label"] = item.label
        out["question"] = self.questions.get(item.variable, item.variable)
        out["statistic"] = statistic
        out["domain_type"] = domain_type
        return out

    def _finish(self, out: pd.DataFrame, hidden: np.ndarray, reason: Sequence[str]) -> None:
        out = out.copy()
        out["suppressed"] = hidden
        out["suppression"] = list(reason)
        for col in ("estimate", "se", "lower_ci", "upper_ci", "deff", "n_category", "df"):
            out[col] = out[col].astype(float).mask(out["suppressed"])
        # The method reveals a share of exactly 0 or 1 (Clopper-Pearson): hide it too.
        out["method"] = out["method"].astype(object).mask(out["suppressed"])
        out["n"] = out["n"].astype(float).mask(out["n"] < self.threshold)
        self.rows.append(out[ESTIMATE_COLUMNS])

    def _categories(self, item: Item) -> list[float | str]:
        codes = self.labels[item.variable]
        cats: list[float | str] = []
        for c in codes:
            try:
                cats.append(float(c))
            except ValueError:
                cats.append(c)
        return cats

    # -- shares ------------------------------------------------------------
    def shares(self, item: Item, domain_type: str, groups: Sequence[Sequence[str]] = ()) -> None:
        by = None if domain_type == "totaal" else domain_type
        est = svy_proportion(
            self.design, item.variable, by=by, categories=self._categories(item), ci_method="logit"
        )
        est = est[est["n"] > 0]
        out = self._frame(est, item, "share", domain_type)
        if by is None:
            cats = list(out["category"])
            hidden = _protect_vector(
                out["n_category"].to_numpy(),
                self.threshold,
                [[cats.index(c) for c in g] for g in groups],
            )
            if (out["n"].iloc[0] if len(out) else 0) < self.threshold:
                hidden[:] = True
            self._finish(out, hidden, _vector_reason(out["n_category"], hidden, self.threshold))
            return
        self._table(out)

    def _table(self, out: pd.DataFrame) -> None:
        """Suppress a categories x domains table (shares or top-2 with its complement)."""
        counts = out.pivot(index="category", columns="domain", values="n_category").fillna(0)
        n = out.groupby("domain")["n"].first()
        hidden, reason, text = _protect_table(counts, n, self.threshold)
        if text:
            self.rule_texts.append(text)
        h = [bool(hidden.at[c, d]) for c, d in zip(out["category"], out["domain"], strict=True)]
        r = [reason.at[c, d] for c, d in zip(out["category"], out["domain"], strict=True)]
        self._finish(out, np.array(h), r)

    # -- means -------------------------------------------------------------
    def means(self, item: Item, domain_type: str) -> None:
        by = None if domain_type == "totaal" else domain_type
        est = svy_mean(self.design, item.variable, by=by)
        self._means(est[est["n"] > 0], item, domain_type)

    def _means(self, est: pd.DataFrame, item: Item, domain_type: str) -> None:
        by = None if domain_type == "totaal" else domain_type
        out = self._frame(est, item, "mean", domain_type)
        hidden = apply_to_estimates(out, "n", self.threshold)["suppressed"].to_numpy().copy()
        reason = np.where(hidden, "domein" if by else "primair", "").astype(object)
        if by is not None and hidden.sum() == 1 and (~hidden).any():
            # With the overall mean and the (raked, hence known) domain sizes
            # published, one hidden domain mean would follow: hide another.
            pos = int(np.argmin(np.where(hidden, np.inf, out["n"].to_numpy(float))))
            hidden[pos] = True
            reason[pos] = "secundair"
        self._finish(out, hidden, reason)

    # -- Likert ------------------------------------------------------------
    def likert(self, item: Item, domain_type: str) -> None:
        by = None if domain_type == "totaal" else domain_type
        labels = {float(k): v for k, v in self.labels[item.variable].items()}
        if by is None:
            summary = likert_summary(self.design, item.variable, labels, ci_method="logit")
            top = [_code(c) for c in summary.top_codes]
            shares = summary.shares[summary.shares["n"] > 0].drop(columns="label")
            out = self._frame(shares, item, "share", domain_type)
            cats = list(out["category"])
            hidden = _protect_vector(
                out["n_category"].to_numpy(),
                self.threshold,
                [[cats.index(c) for c in top], [cats.index(c) for c in cats if c not in top]],
            )
            if out["n"].iloc[0] < self.threshold:
                hidden[:] = True
            self._finish(out, hidden, _vector_reason(out["n_category"], hidden, self.threshold))
            # The top-2 share is the sum of the top codes, which the group rule
            # above keeps both hidden or both shown; it is hidden itself only
            # when it rests on 1 to threshold - 1 respondents.
            top2 = self._frame(summary.top2, item, "top2", domain_type)
            k = top2["n_category"].iloc[0]
            hide = np.array([top2["n"].iloc[0] < self.threshold or 0 < k < self.threshold])
            self._finish(top2, hide, np.where(hide, "primair", ""))
            self._means(summary.mean[summary.mean["n"] > 0], item, domain_type)
            return
        # Domains: the top-2 share only. Not the full distribution, whose cells
        # would be linked to the top-2 share; the mean score is for Limburg only.
        top2 = svy_proportion(
            self.design, _top2_column(item.variable), by=by, categories=[1.0, 0.0]
        )
        top2 = top2[(top2["n"] > 0) & (top2["category"] == 1.0)].drop(columns="category")
        out = self._frame(top2, item, "top2", domain_type)
        # Protect the top-2 share together with its complement (rest).
        rest = out.assign(category="rest", n_category=out["n"] - out["n_category"])
        both = pd.concat([out, rest], ignore_index=True)
        counts = both.pivot(index="category", columns="domain", values="n_category").fillna(0)
        n = out.groupby("domain")["n"].first()
        hidden, reason, text = _protect_table(counts, n, self.threshold)
        if text:
            self.rule_texts.append(text)
        h = np.array([bool(hidden.at["top2", d]) for d in out["domain"]])
        r = [reason.at["top2", d] for d in out["domain"]]
        self._finish(out, h, r)

    def frame(self) -> pd.DataFrame:
        out = pd.concat(self.rows, ignore_index=True)
        out["n"] = out["n"].astype("Int64")
        out["n_category"] = out["n_category"].astype("Int64")
        return out


def _crosstab(
    design: SurveyDesign,
    estimates: pd.DataFrame,
    name: str,
    row: str,
    col: str,
    items: dict[str, Item],
) -> PublishedCrosstab:
    ct = svy_crosstab(design, row, col)
    share = estimates[(estimates["variable"] == col) & (estimates["statistic"] == "share")]
    cells = pd.concat(
        [share[share["domain_type"] == row], share[share["domain_type"] == "totaal"]],
        ignore_index=True,
    )
    return PublishedCrosstab(
        name=name,
        row=row,
        col=col,
        row_question=DOMAIN_TYPES.get(row, row),
        col_question=items[col].label if col in items else col,
        cells=cells,
        statistic=float(ct.statistic),
        ndf=float(ct.ndf),
        ddf=float(ct.ddf),
        p_value=float(ct.p_value),
        first_order_p_value=float(ct.first_order_p_value),
        mean_deff=float(ct.mean_deff),
        df=int(ct.df),
        n=int(ct.counts.to_numpy().sum()),
        method=ct.method,
    )


# ----------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------
def run_survey_analysis(
    data_dir: Path | str | None = None,
    *,
    threshold: int = 10,
    trim_factor: float = 3.5,
) -> SurveyResults:
    """Validate, weight and estimate the labour-migrant survey, with disclosure control.

    Parameters
    ----------
    data_dir : Path, optional
        Directory with ``microdata.csv`` (or ``microdata.sav``), ``codebook.yml``
        and ``margins.csv``; default ``data/survey`` in the project root.
    threshold : int, default 10
        Minimum number of respondents per published cell.
    trim_factor : float, default 3.5
        Weights are capped at this multiple of the mean weight (then raked
        again, until the raked weights stay under the cap).

    Returns
    -------
    SurveyResults

    Raises
    ------
    indicators.exceptions.InputError
        If a file is missing or the microdata break the codebook (naming the
        file, respondent row and variable).
    indicators.exceptions.ArgumentError
        If ``threshold`` is not a positive integer.

    Notes
    -----
    Design: strata ``regio``, PSUs ``locatie``, fpc ``locaties_populatie``
    (population number of PSUs), base weight ``gewicht_basis``. Weights are
    raked to ``nationaliteit x regio`` and ``leeftijdsklasse x geslacht``.
    Shares use logit intervals (Clopper-Pearson at 0 and 1), means Wald t
    intervals, all with the design degrees of freedom of the domain.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise ArgumentError(f"threshold must be a positive integer; got {threshold!r}")
    threshold = int(threshold)

    # Load inputs
    ddir = Path(data_dir) if data_dir is not None else project_root() / "data" / "survey"
    codebook_path = ddir / "codebook.yml"
    codebook = load_codebook(codebook_path)
    micro_path = _microdata_file(ddir)
    raw = read_microdata(micro_path, codebook)
    margins_path = ddir / "margins.csv"
    margins = load_margins(margins_path)
    readme = ddir / "README.md"
    synthetic = "synthetisch" in (codebook.title or "").lower() or (
        readme.exists() and "synthetisch" in readme.read_text(encoding="utf-8").lower()
    )
    inputs = {p.name: _sha256(p) for p in (micro_path, codebook_path, margins_path)}

    # Process data
    data = _prepare(raw, codebook)
    notes = data.attrs.get("read_notes")
    if notes is not None:  # the pickled results carry no absolute paths (cache keys, moves)
        data.attrs["read_notes"] = dataclasses.replace(notes, path=Path(notes.path).name)
    base = SurveyDesign.from_frame(
        data, weights="gewicht_basis", strata="regio", clusters="locatie", fpc="locaties_populatie"
    )
    design, weighting = _weight(base, margins, trim_factor=trim_factor)
    data = design.data.assign(gewicht=design.weights)
    design = SurveyDesign(
        data=data,
        weights=design.weights,
        strata=design.strata,
        clusters=design.clusters,
        sampling_fraction=design.sampling_fraction,
        lonely_psu=design.lonely_psu,
        weights_col="gewicht",
        strata_col=design.strata_col,
        clusters_col=design.clusters_col,
        fpc_col=design.fpc_col,
        calibrations=design.calibrations,
    )
    labels, questions = _labels_of(codebook)
    builder = _Builder(design, threshold, labels, questions)
    for item in ITEMS:
        for domain_type in DOMAIN_TYPES:
            if domain_type == item.variable:
                continue
            if domain_type == "gemeente" and item.variable not in AREA_ITEMS:
                continue
            if item.kind == "mean" and domain_type not in MEAN_DOMAINS:
                continue
            if item.kind == "share":
                builder.shares(item, domain_type)
            elif item.kind == "mean":
                builder.means(item, domain_type)
            else:
                builder.likert(item, domain_type)
    estimates = builder.frame()
    items_by_var = {it.variable: it for it in ITEMS}
    crosstabs = {
        name: _crosstab(design, estimates, name, row, col, items_by_var)
        for name, (row, col) in CROSSTABS.items()
    }
    texts = list(builder.rule_texts)
    rule_text = (
        max(texts, key=len)
        if texts
        else (f"Cellen met minder dan {threshold} respondenten zijn niet gepubliceerd (.).")
    )
    summary = design.summary()
    summary["stratum"] = [labels["regio"].get(_code(s), _code(s)) for s in summary["stratum"]]
    frame_psus = data.groupby("regio")["locaties_populatie"].first()
    summary["population_psus"] = frame_psus.to_numpy()
    by_gm = data.groupby("gemeente").size()
    results = SurveyResults(
        title=codebook.title or "Enquête arbeidsmigranten",
        synthetic=synthetic,
        threshold=threshold,
        n_respondents=int(len(data)),
        estimates=estimates,
        crosstabs=crosstabs,
        design_summary=summary,
        weighting=weighting,
        rule_text_nl=rule_text,
        df=design.degrees_of_freedom,
        items=ITEMS,
        labels=labels,
        questions=questions,
        municipality_names=dict(labels.get("gemeente", {})),
        respondents_by_municipality=by_gm,
        inputs=inputs,
        data=data,
    )
    _sanity_checks(results)
    return results


def _sanity_checks(results: SurveyResults) -> None:
    e = results.estimates
    t = results.threshold
    shown = e[~e["suppressed"]]
    assert (shown["n"].fillna(0) >= t).all(), "a published estimate rests on fewer than threshold"
    hidden = e[e["suppressed"]]
    assert hidden[["estimate", "lower_ci", "upper_ci", "method"]].isna().all().all(), (
        "a suppressed row still shows its estimate, interval or method"
    )
    cat = shown["n_category"].dropna()
    assert ((cat == 0) | (cat >= t)).all(), (
        "a published share cell has 1 to threshold-1 respondents"
    )
    shares = shown[shown["statistic"] != "mean"]["estimate"]
    assert shares.between(-1e-9, 1 + 1e-9).all(), "shares must lie between 0 and 1"
    assert results.weighting.converged, "raking did not converge"
    for ct in results.crosstabs.values():
        counts = ct.counts.to_numpy()
        for value in counts.ravel():
            assert value == "." or value == 0 or value >= t, (
                f"crosstab {ct.name} shows a small cell"
            )


def area_survey(results: SurveyResults, municipality_code: str) -> AreaSurvey:
    """Survey estimates for one municipality, if its sample allows them.

    Parameters
    ----------
    results : SurveyResults
        From :func:`run_survey_analysis`.
    municipality_code : str
        CBS code ``GM####``.

    Returns
    -------
    AreaSurvey
        ``estimates`` holds the municipality's published rows when it has at
        least ``threshold`` respondents; otherwise ``estimates`` and ``n`` are
        None and ``reason`` says why (in Dutch).
    """
    code = str(municipality_code)
    name = results.municipality_names.get(code, code)
    n = int(results.respondents_by_municipality.get(code, 0))
    t = results.threshold
    if n == 0:
        return AreaSurvey(
            code,
            name,
            None,
            None,
            f"In de enquête onder arbeidsmigranten zijn geen respondenten uit {name}; "
            "de steekproef laat geen uitspraken over deze gemeente toe.",
            t,
        )
    if n < t:
        return AreaSurvey(
            code,
            name,
            None,
            None,
            f"In de enquête onder arbeidsmigranten zijn minder dan {t} respondenten uit {name}; "
            "de steekproef is te klein voor uitspraken over deze gemeente en de cijfers worden "
            "om de privacy te beschermen niet gepubliceerd.",
            t,
        )
    rows = results.estimates[
        (results.estimates["domain_type"] == "gemeente") & (results.estimates["domain"] == code)
    ]
    return AreaSurvey(code, name, n, rows.reset_index(drop=True), None, t)


def save_survey_results(results: SurveyResults, path: Path | str) -> Path:
    """Store the results once (e.g. in the compute step) for the per-area reports.

    The per-area notebooks then load them in milliseconds instead of running
    :func:`run_survey_analysis` (a few seconds) for every area. The file is a
    pickle: only load files this toolkit wrote itself.
    """
    if not isinstance(results, SurveyResults):
        raise ArgumentError("results must be a SurveyResults (from run_survey_analysis)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as fh:
        pickle.dump(results, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return path


#: Loaded survey results by sha256 of the file, per process: every area report of a
#: build reads the same ``survey.pkl`` (issue 7: a warm worker unpickles it once).
_LOADED: dict[bytes, SurveyResults] = {}


def load_survey_results(path: Path | str) -> SurveyResults:
    """Load results written by :func:`save_survey_results` (a trusted build artefact).

    A file with the same content as one loaded before in this process returns
    the same (frozen) object.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read survey results: {err.strerror}", path=str(path)) from err
    key = hashlib.sha256(data).digest()
    if key in _LOADED:
        return _LOADED[key]
    try:
        results = pickle.loads(data)  # noqa: S301 - our own build artefact
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError) as err:
        raise InputError(f"not a survey results file ({err})", path=str(path)) from err
    if not isinstance(results, SurveyResults):
        raise InputError("not a survey results file", path=str(path))
    if len(_LOADED) >= 4:
        _LOADED.clear()
    _LOADED[key] = results
    return results
