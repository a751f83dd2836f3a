"""Project and subsidy register: counts against P&C targets and the spread over Limburg.

``data/registers/subsidies.csv`` has one row per application:

==================  ===========================================================
project_id          unique id, e.g. ``KG-2024-001``
title               project title (at most 150 characters)
applicant_type      {inwoner, stichting_vereniging_cooperatie, gemeente}
scheme              a scheme id of the config (``schemes``), e.g. ``regenboog``
area                area or village slug (``params/<slug>.yml``); may be empty
gemeente_code       CBS code ``GM####`` of one of the 31 municipalities
amount_eur          amount requested or granted by the province, in euro (> 0)
province_share_pct  the province's share of the eligible costs, in %; at most
                    the scheme's ``max_share_pct`` (Regenboogprovincie: 35%)
date_applied        ``YYYY-MM-DD``
date_granted        ``YYYY-MM-DD``; required for verleend, vastgesteld and
                    ingetrokken, empty for aangevraagd and afgewezen
status              {aangevraagd, verleend, vastgesteld, afgewezen, ingetrokken}
==================  ===========================================================

The register may also be a sheet of an Excel workbook (``.xlsx``, same
columns in row 1; see :mod:`indicators.registers.sheets`). The frame that
leaves :func:`load_subsidies` satisfies :func:`subsidies_schema`.

A *grant* ("toekenning") is a row whose status is in ``granted_statuses`` of
the config (verleend, vastgesteld) with a grant date on or before the
reference date. A *project subsidy* is a grant under a scheme with
``project_subsidy: true``.

Imbalance rule
--------------
The spread of grants is compared with the spread of the population
(1 January 2019). A region or municipality is flagged when **both**

1. its share of the grants differs from its population share by more than
   ``threshold_pp`` percentage points (config ``imbalance``: 10 for regions,
   5 for municipalities), **and**
2. the exact two-sided binomial test of *k* of *n* grants against
   p0 = population share rejects at level ``alpha`` (0.05), Bonferroni-
   corrected for the number of units at that level (alpha / 3 for regions,
   alpha / 31 for municipalities);

and at least ``min_grants`` (20) grants are counted. The first condition
keeps statistically detectable but unimportant differences out, the second
keeps chance differences in small numbers out. Across all units a
chi-square goodness-of-fit test (Pearson 1900) is reported as well; when an
expected count is below 5 its p-value is computed by Monte Carlo simulation
from the multinomial null (20,000 draws, fixed seed) instead of the
chi-square distribution.

References
----------
Conover, W. J. (1999). *Practical Nonparametric Statistics*, 3rd ed., Wiley,
section 3.1 (the binomial test) and 4.5 (the chi-squared goodness-of-fit test).

Pearson, K. (1900). On the criterion that a given system of deviations ...
*Philosophical Magazine* 50(302), 157-175. https://doi.org/10.1080/14786440009463897
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pandera.pandas as pa  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from indicators.config import GEMEENTE_RE, AreaParams  # noqa: E402
from indicators.exceptions import ArgumentError, InputError  # noqa: E402
from indicators.present.charts import RC, Chart, save  # noqa: E402
from indicators.present.formatting import fmt_date, fmt_eur_mln, fmt_number  # noqa: E402
from indicators.present.tables import escape_md, pipe_table  # noqa: E402
from indicators.registers import (  # noqa: E402
    APPLICANT_TYPES,
    GRANT_STATUSES,
    REGIONS,
    RegistersConfig,
    area_index,
    check_rows,
    default_paths,
    empty_to_na,
    figure_md,
    load_config,
    load_municipalities,
    mpl_text,
    nl_list,
    parse_dates,
    registers_dir,
    required_text,
)
from indicators.registers.sheets import (  # noqa: E402
    located,
    read_register,
    source_of,
    validate_schema,
)
from indicators.sources import _to_number  # noqa: E402
from indicators.stats.distributions import chi2_sf  # noqa: E402

COLUMNS = [
    "project_id", "title", "applicant_type", "scheme", "area", "gemeente_code", "amount_eur",
    "province_share_pct", "date_applied", "date_granted", "status",
]  # fmt: skip
DATED_STATUSES = frozenset({"verleend", "vastgesteld", "ingetrokken"})
MC_DRAWS = 20_000
MC_SEED = 20250630
Level = Literal["regio", "gemeente"]


def subsidies_schema(
    config: RegistersConfig | None = None,
    areas: dict[str, AreaParams] | None = None,
    municipalities: pd.DataFrame | None = None,
) -> pa.DataFrameSchema:
    """The pandera schema of a validated project and subsidy register.

    Parameters
    ----------
    config : RegistersConfig, optional
        Schemes and their caps; default :func:`~indicators.registers.load_config`.
    areas : dict of AreaParams, optional
        Allowed area slugs; default every ``params/*.yml``.
    municipalities : DataFrame, optional
        Allowed GM codes; default :func:`~indicators.registers.load_municipalities`.

    Returns
    -------
    pandera.DataFrameSchema
        Exactly the columns of :func:`load_subsidies`, in order: unique
        ``project_id``; applicant type, scheme, status and GM code from closed
        lists; ``amount_eur`` > 0; ``province_share_pct`` in (0, 100] and at
        most the scheme's cap; ``date_granted`` present exactly for verleend,
        vastgesteld and ingetrokken, and not before ``date_applied``.
    """
    config = config or load_config()
    gm = municipalities if municipalities is not None else load_municipalities()
    caps = {k: v.max_share_pct for k, v in config.schemes.items()}
    return pa.DataFrameSchema(
        {
            "project_id": pa.Column(str, pa.Check.str_length(1, 40), unique=True),
            "title": pa.Column(str, pa.Check.str_length(1, 150)),
            "applicant_type": pa.Column(str, pa.Check.isin(list(APPLICANT_TYPES))),
            "scheme": pa.Column(str, pa.Check.isin(sorted(config.schemes))),
            "area": pa.Column(str, pa.Check.isin(sorted(area_index(areas))), nullable=True),
            "gemeente_code": pa.Column(
                str,
                [
                    pa.Check.str_matches(GEMEENTE_RE.pattern),
                    pa.Check.isin(sorted(gm["gemeente_code"])),
                ],
            ),
            "amount_eur": pa.Column(float, pa.Check.gt(0)),
            "province_share_pct": pa.Column(float, pa.Check.in_range(0, 100, include_min=False)),
            "date_applied": pa.Column("datetime64[ns]"),
            "date_granted": pa.Column("datetime64[ns]", nullable=True),
            "status": pa.Column(str, pa.Check.isin(list(GRANT_STATUSES))),
        },
        checks=[
            pa.Check(
                lambda d: d["province_share_pct"] <= d["scheme"].map(caps).astype(float),
                name="share_within_scheme_cap",
            ),
            pa.Check(
                lambda d: d["status"].isin(DATED_STATUSES) == d["date_granted"].notna(),
                name="grant_date_matches_status",
            ),
            pa.Check(
                lambda d: d["date_granted"].isna() | (d["date_granted"] >= d["date_applied"]),
                name="granted_not_before_applied",
            ),
        ],
        strict=True,
        ordered=True,
        name="subsidies",
        metadata={
            "check_fields": {
                "share_within_scheme_cap": "province_share_pct",
                "grant_date_matches_status": "date_granted",
                "granted_not_before_applied": "date_granted",
            }
        },
    )


def load_subsidies(
    path: Path | None = None,
    *,
    sheet: str | None = None,
    config: RegistersConfig | None = None,
    areas: dict[str, AreaParams] | None = None,
    municipalities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Load and validate the project and subsidy register (CSV or Excel).

    Parameters
    ----------
    path : Path, optional
        Defaults to ``data/registers/subsidies.csv``. A ``.xlsx`` file is read
        as an Excel workbook (:func:`~indicators.registers.sheets.read_register`).
    sheet : str, optional
        Excel only: the worksheet; default the first sheet.
    config : RegistersConfig, optional
        Schemes with their caps, applicant types, statuses.
    areas : dict of AreaParams, optional
        Known area slugs (default: every ``params/*.yml``).
    municipalities : DataFrame, optional
        From :func:`~indicators.registers.load_municipalities`.

    Returns
    -------
    DataFrame
        The columns of the file; amounts and shares as floats, dates as
        datetimes (``date_granted`` NaT where empty), ``area`` missing where
        empty. Sorted by ``project_id``. Satisfies :func:`subsidies_schema`.
        ``attrs["register_path"]`` is the file read (used by :func:`pc_inputs` to
        label the demo register as synthetic).

    Raises
    ------
    InputError
        Naming file, line and field (Excel: file, sheet, row, column and
        field) of the first problem: unknown applicant type, scheme, area, GM
        code or status; an applicant type the scheme does not allow; an area in
        another municipality; an amount <= 0; a province share above the scheme
        cap; missing, extra or inconsistent grant dates; duplicate project ids.
    """
    path = Path(path) if path else default_paths().subsidies
    config = config or load_config()
    known_areas = area_index(areas)
    gm = municipalities if municipalities is not None else load_municipalities()
    raw = read_register(path, COLUMNS, sheet=sheet)
    with located(source_of(raw)):
        df = _validate(raw, path, config, known_areas, gm)
    df.attrs["register_path"] = path
    return df


def _validate(
    raw: pd.DataFrame,
    path: Path,
    config: RegistersConfig,
    known_areas: dict[str, AreaParams],
    gm: pd.DataFrame,
) -> pd.DataFrame:
    if raw.empty:
        raise InputError("no data rows", path=str(path), row=2)

    pid = required_text(raw, "project_id", path, max_len=40)
    check_rows(pid.duplicated(), path, "project_id", lambda i: f"duplicate id {pid.iloc[i]!r}")
    title = required_text(raw, "title", path, max_len=150)
    appl = raw["applicant_type"].str.strip()
    check_rows(
        ~appl.isin(APPLICANT_TYPES),
        path,
        "applicant_type",
        lambda i: (
            f"unknown applicant type {appl.iloc[i]!r}; expected one of {list(APPLICANT_TYPES)}"
        ),
    )
    scheme = raw["scheme"].str.strip()
    check_rows(
        ~scheme.isin(set(config.schemes)),
        path,
        "scheme",
        lambda i: f"unknown scheme {scheme.iloc[i]!r}; expected one of {sorted(config.schemes)}",
    )
    allowed = scheme.map({k: set(v.applicant_types) for k, v in config.schemes.items()})
    check_rows(
        pd.Series([a not in s for a, s in zip(appl, allowed, strict=True)], index=raw.index),
        path,
        "applicant_type",
        lambda i: (
            f"scheme {scheme.iloc[i]!r} does not accept applicant type {appl.iloc[i]!r} "
            f"(allowed: {config.schemes[scheme.iloc[i]].applicant_types})"
        ),
    )
    gm_code = raw["gemeente_code"].str.strip()
    check_rows(
        ~gm_code.str.match(GEMEENTE_RE.pattern),
        path,
        "gemeente_code",
        lambda i: f"expected a CBS gemeente code like 'GM0917', got {gm_code.iloc[i]!r}",
    )
    check_rows(
        ~gm_code.isin(set(gm["gemeente_code"])),
        path,
        "gemeente_code",
        lambda i: f"unknown gemeente code {gm_code.iloc[i]!r} (not one of the 31 in units.csv)",
    )
    area = empty_to_na(raw["area"])
    check_rows(
        area.notna() & ~area.isin(set(known_areas)),
        path,
        "area",
        lambda i: f"unknown area slug {area.iloc[i]!r} (no params/{area.iloc[i]}.yml)",
    )
    area_gm = area.map({s: a.municipality for s, a in known_areas.items()})
    check_rows(
        area_gm.notna() & (area_gm != gm_code),
        path,
        "gemeente_code",
        lambda i: f"area {area.iloc[i]!r} lies in {area_gm.iloc[i]}, not in {gm_code.iloc[i]!r}",
    )
    amount = _to_number(raw, "amount_eur", path)
    check_rows(
        amount.isna() | (amount <= 0),
        path,
        "amount_eur",
        lambda i: f"amount must be a number above 0 euro, got {raw['amount_eur'].iloc[i]!r}",
    )
    share = _to_number(raw, "province_share_pct", path)
    check_rows(
        share.isna() | (share <= 0) | (share > 100),
        path,
        "province_share_pct",
        lambda i: (
            f"share must be a percentage in (0, 100], got {raw['province_share_pct'].iloc[i]!r}"
        ),
    )
    cap = scheme.map({k: v.max_share_pct for k, v in config.schemes.items()})
    check_rows(
        share > cap,
        path,
        "province_share_pct",
        lambda i: (
            f"province share {fmt_number(share.iloc[i], 1)}% exceeds the cap of "
            f"{fmt_number(cap.iloc[i], 0)}% for scheme {scheme.iloc[i]!r}"
        ),
    )
    status = raw["status"].str.strip()
    check_rows(
        ~status.isin(GRANT_STATUSES),
        path,
        "status",
        lambda i: f"unknown status {status.iloc[i]!r}; expected one of {list(GRANT_STATUSES)}",
    )
    applied = parse_dates(raw, "date_applied", path, nullable=False)
    granted = parse_dates(raw, "date_granted", path, nullable=True)
    dated = status.isin(DATED_STATUSES)
    check_rows(
        dated & granted.isna(),
        path,
        "date_granted",
        lambda i: f"status {status.iloc[i]!r} needs a grant date",
    )
    check_rows(
        ~dated & granted.notna(),
        path,
        "date_granted",
        lambda i: f"status {status.iloc[i]!r} cannot have a grant date; leave it empty",
    )
    check_rows(
        granted.notna() & (granted < applied),
        path,
        "date_granted",
        lambda i: (
            f"grant date {granted.iloc[i].date().isoformat()} is before the application "
            f"date {applied.iloc[i].date().isoformat()}"
        ),
    )
    df = pd.DataFrame(
        {
            "project_id": pid,
            "title": title,
            "applicant_type": appl,
            "scheme": scheme,
            "area": area,
            "gemeente_code": gm_code,
            "amount_eur": amount,
            "province_share_pct": share,
            "date_applied": applied,
            "date_granted": granted,
            "status": status,
        }
    )
    df = validate_schema(df, subsidies_schema(config, known_areas, gm), path)
    return df.sort_values("project_id", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- counts


@dataclass(frozen=True)
class GrantCount:
    """Grants counted up to a date.

    Attributes
    ----------
    until : date
        Grants with a grant date on or before this date are counted.
    statuses : tuple of str
        Current statuses that count as a grant.
    n_grants, n_project : int
        All grants, and those under a project-subsidy scheme.
    project_share : float
        ``n_project / n_grants`` (NaN without grants).
    amount_eur, amount_project_eur : float
        Amounts granted, in euro.
    """

    until: dt.date
    statuses: tuple[str, ...]
    n_grants: int
    n_project: int
    project_share: float
    amount_eur: float
    amount_project_eur: float


def _granted(
    df: pd.DataFrame, until: dt.date, statuses: tuple[str, ...] | None, config: RegistersConfig
) -> pd.DataFrame:
    statuses = tuple(statuses) if statuses is not None else tuple(config.granted_statuses)
    bad = [s for s in statuses if s not in GRANT_STATUSES]
    if bad:
        raise ArgumentError(f"statuses must be among {list(GRANT_STATUSES)}; got {bad}")
    m = df["status"].isin(statuses) & (df["date_granted"] <= pd.Timestamp(until))
    return df.loc[m]


def _is_project(df: pd.DataFrame, config: RegistersConfig) -> pd.Series:
    return df["scheme"].map({k: v.project_subsidy for k, v in config.schemes.items()}).astype(bool)


def count_grants(
    df: pd.DataFrame,
    until: dt.date = dt.date(2025, 6, 30),
    statuses: tuple[str, ...] | None = None,
    *,
    config: RegistersConfig | None = None,
) -> GrantCount:
    """Count grants (all, and project subsidies) granted on or before a date.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_subsidies`.
    until : date, default 30 June 2025
        Reference date (inclusive).
    statuses : tuple of {"aangevraagd", "verleend", "vastgesteld", "afgewezen", "ingetrokken"}, optional
        Which current statuses count; default the config's ``granted_statuses``
        (verleend, vastgesteld).

    Notes
    -----
    The register holds the *current* status. A grant that was withdrawn after
    ``until`` is therefore not counted by default, although it was a grant on
    that date; count ``ingetrokken`` as well to reconstruct the historical
    number.
    """
    config = config or load_config()
    g = _granted(df, until, statuses, config)
    proj = _is_project(g, config)
    n = len(g)
    return GrantCount(
        until=until,
        statuses=tuple(statuses) if statuses is not None else tuple(config.granted_statuses),
        n_grants=n,
        n_project=int(proj.sum()),
        project_share=float(proj.sum() / n) if n else float("nan"),
        amount_eur=float(g["amount_eur"].sum()),
        amount_project_eur=float(g.loc[proj, "amount_eur"].sum()),
    )


def targets_table(df: pd.DataFrame, *, config: RegistersConfig | None = None) -> pd.DataFrame:
    """Progress against the config's ``grant_targets``.

    Returns
    -------
    DataFrame
        ``id, label, until, target, achieved, met`` (one row per target).
    """
    config = config or load_config()
    rows = []
    for t in config.grant_targets:
        c = count_grants(df, t.until, config=config)
        achieved = c.n_project if t.project_only else c.n_grants
        rows.append(
            {
                "id": t.id,
                "label": t.label,
                "until": t.until,
                "target": t.count,
                "achieved": achieved,
                "met": achieved >= t.count,
            }
        )
    return pd.DataFrame(rows, columns=["id", "label", "until", "target", "achieved", "met"])


def schemes_table(
    df: pd.DataFrame, as_of: dt.date, *, config: RegistersConfig | None = None
) -> pd.DataFrame:
    """Applications and grants per scheme up to a date, with a total row.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_subsidies`.
    as_of : date
        Applications with ``date_applied`` and grants (config
        ``granted_statuses``) with ``date_granted`` on or before this date.

    Returns
    -------
    DataFrame
        ``scheme, label, max_share_pct, applications, granted,
        rejected_or_withdrawn, amount_granted_eur``: one row per scheme of the
        config, then ``scheme == "totaal"`` (``max_share_pct`` NaN). The table
        of :func:`subsidy_section_md`.
    """
    config = config or load_config()
    g = _granted(df, as_of, None, config)
    applied = df.loc[df["date_applied"] <= pd.Timestamp(as_of)]
    rows = []
    for sid, s in config.schemes.items():
        ga = g.loc[g["scheme"] == sid]
        aa = applied.loc[applied["scheme"] == sid]
        rows.append((sid, s.label, float(s.max_share_pct), aa, ga))
    rows.append(("totaal", "Totaal", np.nan, applied, g))
    return pd.DataFrame(
        [
            {
                "scheme": sid,
                "label": label,
                "max_share_pct": cap,
                "applications": len(aa),
                "granted": len(ga),
                "rejected_or_withdrawn": int(aa["status"].isin(["afgewezen", "ingetrokken"]).sum()),
                "amount_granted_eur": float(ga["amount_eur"].sum()),
            }
            for sid, label, cap, aa, ga in rows
        ]
    )


# --------------------------------------------------------------------------- spread


@dataclass(frozen=True)
class SpreadResult:
    """Spread of grants over regions or municipalities against population.

    Attributes
    ----------
    level : {"regio", "gemeente"}
    table : DataFrame
        One row per unit: ``unit, name, region, n_grants, amount_eur,
        grant_share, population, population_share, diff_pp, p_value,
        alpha_unit, flagged, direction``.
    n : int
        Number of grants.
    chi2, chi2_p : float
        Goodness-of-fit statistic and p-value over all units.
    rule : str
        The imbalance rule with this level's thresholds (Dutch, for the report).
    gof_method : str
        How ``chi2_p`` was computed (Dutch).
    """

    level: str
    table: pd.DataFrame
    n: int
    chi2: float
    chi2_p: float
    rule: str
    gof_method: str


def _gof(observed: np.ndarray, p0: np.ndarray) -> tuple[float, float, str]:
    """Chi-square goodness of fit; Monte Carlo p-value when an expected count < 5."""
    n = int(observed.sum())
    expected = n * p0
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    if expected.min() >= 5:
        p = float(chi2_sf(chi2, len(observed) - 1))
        return chi2, p, f"{len(observed) - 1} vrijheidsgraden"
    rng = np.random.default_rng(MC_SEED)
    sims = rng.multinomial(n, p0, size=MC_DRAWS)
    sim_chi2 = ((sims - expected) ** 2 / expected).sum(axis=1)
    p = float((1 + np.sum(sim_chi2 >= chi2 - 1e-9)) / (MC_DRAWS + 1))
    return chi2, p, f"Monte-Carlo-p-waarde uit {fmt_number(MC_DRAWS, 0)} trekkingen"


def spread(
    df: pd.DataFrame,
    as_of: dt.date,
    level: Level = "regio",
    *,
    config: RegistersConfig | None = None,
    municipalities: pd.DataFrame | None = None,
) -> SpreadResult:
    """Spread of grants over regions or municipalities, with the imbalance rule.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_subsidies`.
    as_of : date
        Grants granted on or before this date (config ``granted_statuses``).
    level : {"regio", "gemeente"}
        Noord-/Midden-/Zuid-Limburg or the 31 municipalities.

    Notes
    -----
    The rule is stated in the module docstring; its thresholds come from the
    config (``imbalance.<level>``). Binomial p-values are exact
    (:func:`scipy.stats.binomtest`, two-sided, "minlike" method).
    """
    if level not in ("regio", "gemeente"):
        raise ArgumentError(f"level must be 'regio' or 'gemeente', got {level!r}")
    config = config or load_config()
    rule = config.imbalance[level]
    gm = municipalities if municipalities is not None else load_municipalities()
    g = _granted(df, as_of, None, config).merge(
        gm[["gemeente_code", "region"]], on="gemeente_code", how="left"
    )
    if level == "regio":
        units = gm.groupby("region", sort=False)["population"].sum().reindex(REGIONS).reset_index()
        units = units.rename(columns={"region": "unit"})
        units["name"] = units["unit"]
        units["region"] = units["unit"]
        key = "region"
    else:
        units = gm.rename(columns={"gemeente_code": "unit"})[
            ["unit", "name", "region", "population"]
        ]
        key = "gemeente_code"
    counts = g.groupby(key)["project_id"].count()
    amounts = g.groupby(key)["amount_eur"].sum()
    t = units.copy()
    t["n_grants"] = t["unit"].map(counts).fillna(0).astype("int64")
    t["amount_eur"] = t["unit"].map(amounts).fillna(0.0)
    n = int(t["n_grants"].sum())
    t["population_share"] = t["population"] / t["population"].sum()
    t["grant_share"] = t["n_grants"] / n if n else np.nan
    t["diff_pp"] = 100 * (t["grant_share"] - t["population_share"])
    m = len(t)
    alpha_unit = rule.alpha / m if rule.correction == "bonferroni" else rule.alpha
    from scipy import stats  # here: it costs 0.6 s to import (issue 7)

    t["p_value"] = [
        stats.binomtest(int(k), n, float(p)).pvalue if n else np.nan
        for k, p in zip(t["n_grants"], t["population_share"], strict=True)
    ]
    t["alpha_unit"] = alpha_unit
    t["flagged"] = (
        (n >= rule.min_grants)
        & (t["diff_pp"].abs() > rule.threshold_pp)
        & (t["p_value"] < alpha_unit)
    )
    t["direction"] = np.where(
        t["diff_pp"] > 0, "meer", np.where(t["diff_pp"] < 0, "minder", "gelijk")
    )
    if n:
        chi2, chi2_p, how = _gof(t["n_grants"].to_numpy(float), t["population_share"].to_numpy())
    else:
        chi2, chi2_p, how = np.nan, np.nan, "geen toekenningen"
    corr = (
        f"alfa {fmt_number(rule.alpha, 2)} gedeeld door {m} (Bonferroni)"
        if rule.correction == "bonferroni"
        else f"alfa {fmt_number(rule.alpha, 2)}"
    )
    rule_nl = (
        f"meer dan {fmt_number(rule.threshold_pp, 0)} procentpunt verschil tussen het aandeel "
        f"toekenningen en het aandeel inwoners én een significante exacte binomiaaltoets "
        f"(tweezijdig, {corr}), bij ten minste {rule.min_grants} toekenningen"
    )
    cols = ["unit", "name", "region", "n_grants", "amount_eur", "grant_share", "population"]
    cols += ["population_share", "diff_pp", "p_value", "alpha_unit", "flagged", "direction"]
    return SpreadResult(
        level=level,
        table=t[cols].reset_index(drop=True),
        n=n,
        chi2=chi2,
        chi2_p=chi2_p,
        rule=rule_nl,
        gof_method=how,
    )


# --------------------------------------------------------------------------- P&C


def _ruim(n: int) -> str:
    """Round down to a multiple of five in words: 27 -> 'ruim 25'.

    >>> _ruim(27), _ruim(25), _ruim(7)
    ('ruim 25', '25', '7')
    """
    if n < 10 or n % 5 == 0:
        return str(n)
    return f"ruim {n - n % 5}"


def _fraction_nl(share: float) -> str:
    """A share in words when close to a simple fraction, else a percentage.

    >>> _fraction_nl(0.52), _fraction_nl(0.7)
    ('ongeveer de helft', '70%')
    """
    for value, words in ((0.25, "een kwart"), (1 / 3, "een derde"), (0.5, "de helft")):
        if abs(share - value) <= 0.05:
            return f"ongeveer {words}"
    for value, words in ((2 / 3, "twee derde"), (0.75, "drie kwart")):
        if abs(share - value) <= 0.03:
            return f"ongeveer {words}"
    return f"{fmt_number(100 * share, 0)}%"


def is_synthetic_register(path: Path | None) -> bool | None:
    """Whether a register file is the synthetic demo data.

    The same rule as the downloads' source label: the file lies in
    ``data/registers`` and that folder's README carries the ``SYNTHETIC`` notice
    (removed when real registers replace the demo files). None when the path is
    not known.
    """
    if path is None:
        return None
    readme = registers_dir() / "README.md"
    return (
        Path(path).resolve().parent == registers_dir().resolve()
        and readme.exists()
        and "SYNTHETIC" in readme.read_text(encoding="utf-8")
    )


def pc_inputs(
    df: pd.DataFrame,
    as_of: dt.date,
    *,
    config: RegistersConfig | None = None,
    source: Path | None = None,
) -> dict:
    """Counts and amounts for the P&C module (Voorjaars-/Najaarsnota).

    Pass the result to :func:`indicators.pc.pc_section_md` (``register=``) or
    :func:`indicators.pc.apply_register`: the P&C report whose figures refer to
    ``as_of`` is then checked against, and its computed status computed from,
    these counts.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_subsidies`.
    as_of : date
        Reference date (inclusive).
    config : RegistersConfig, optional
        Schemes, granted statuses and grant targets.
    source : Path, optional
        The register file; default ``df.attrs["register_path"]`` as set by
        :func:`load_subsidies`. Decides ``synthetic``.

    Returns
    -------
    dict
        ``as_of`` (ISO date), ``n_grants``, ``n_project_subsidies``,
        ``project_share`` (0-1), ``amount_eur_mln``, ``amount_project_eur_mln``,
        ``targets`` (list of dicts: id, label, until, target, project_only,
        achieved, met), ``regions_flagged`` (list of region names),
        ``text_nl`` (one Dutch sentence, e.g. "Op 30 juni 2025 zijn ruim 25
        projectsubsidies verleend, ongeveer de helft van alle 51
        toekenningen."), ``source`` (the file, or None) and ``synthetic``
        (True for the demo register, see :func:`is_synthetic_register`; None
        when the file is not known).
    """
    config = config or load_config()
    source = source if source is not None else df.attrs.get("register_path")
    only = {t.id: t.project_only for t in config.grant_targets}
    c = count_grants(df, as_of, config=config)
    sp = spread(df, as_of, "regio", config=config)
    tt = targets_table(df, config=config)
    text = (
        f"Op {fmt_date(as_of)} zijn {_ruim(c.n_project)} projectsubsidies verleend"
        + (
            f", {_fraction_nl(c.project_share)} van alle {c.n_grants} toekenningen"
            if c.n_grants
            else ""
        )
        + f" (samen {fmt_eur_mln(c.amount_eur / 1e6)})."
    )
    return {
        "as_of": as_of.isoformat(),
        "n_grants": c.n_grants,
        "n_project_subsidies": c.n_project,
        "project_share": c.project_share,
        "amount_eur_mln": round(c.amount_eur / 1e6, 4),
        "amount_project_eur_mln": round(c.amount_project_eur / 1e6, 4),
        "targets": [
            {
                **r,
                "until": r["until"].isoformat(),
                "project_only": only[r["id"]],
                "met": bool(r["met"]),
            }
            for r in tt.to_dict("records")
        ],
        "regions_flagged": sp.table.loc[sp.table["flagged"], "name"].tolist(),
        "text_nl": text,
        "source": str(source) if source is not None else None,
        "synthetic": is_synthetic_register(source),
    }


# --------------------------------------------------------------------------- report section


def _pct(x: float, d: int = 1) -> str:
    return f"{fmt_number(100 * x, d)}%"


def _p(p: float) -> str:
    if np.isnan(p):
        return "."
    return "< 0,001" if p < 0.001 else fmt_number(p, 3)


def _spread_chart(reg: SpreadResult, mun: SpreadResult, path: Path, as_of: dt.date) -> Chart:
    """Grant share (dot) against population share (bar), regions above municipalities."""
    r = reg.table
    m = mun.table
    n_r, n_m = len(r), len(m)
    with plt.rc_context(RC):
        fig, (ax1, ax2) = plt.subplots(
            2,
            1,
            figsize=(6.6, 0.165 * (n_r + n_m) + 2.2),
            gridspec_kw={"height_ratios": [n_r + 1.2, n_m]},
        )
        for ax, t, title in (
            (ax1, r, "Regio's (tussen haakjes: aantal toekenningen)"),
            (ax2, m, "Gemeenten, per regio"),
        ):
            y = np.arange(len(t))
            ax.set_axisbelow(True)
            ax.barh(
                y, 100 * t["population_share"], height=0.6, color="#cccccc", edgecolor="#777777",
                linewidth=0.5, zorder=1,
            )  # fmt: skip
            flag = t["flagged"].to_numpy(bool)
            ax.scatter(
                100 * t["grant_share"][~flag], y[~flag], marker="o", s=22, color="#000000",
                zorder=3,
            )  # fmt: skip
            ax.scatter(
                100 * t["grant_share"][flag], y[flag], marker="X", s=46, color="#D55E00",
                edgecolors="#000000", linewidths=0.6, zorder=4,
            )  # fmt: skip
            labels = [
                f"{mpl_text(nm)} ({k})" for nm, k in zip(t["name"], t["n_grants"], strict=True)
            ]
            ax.set_yticks(y, labels, fontsize=6.5 if ax is ax2 else 7.5)
            ax.set_ylim(len(t) - 0.5, -0.5)
            ax.set_title(title, loc="left")
            ax.grid(axis="x", color="#e5e5e5")
            ax.grid(axis="y", visible=False)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_number(v, 0) + "%"))
        regs = m["region"].tolist()
        starts = [0] + [i for i in range(1, len(regs)) if regs[i] != regs[i - 1]]
        for i in starts[1:]:
            ax2.axhline(i - 0.5, color="#777777", linewidth=0.6, linestyle="--")
        for i0, i1 in zip(starts, starts[1:] + [len(regs)], strict=True):
            ax2.text(
                1.01, (i0 + i1 - 1) / 2, regs[i0], rotation=270, ha="left", va="center",
                fontsize=7, color="#333333", transform=ax2.get_yaxis_transform(),
            )  # fmt: skip
        ax2.set_xlabel(f"Aandeel in Limburg (%), toekenningen tot en met {fmt_date(as_of)}")
        leg = [
            Patch(facecolor="#cccccc", edgecolor="#777777", label="aandeel inwoners (2019)"),
            Line2D([], [], marker="o", color="#000000", linestyle="", label="aandeel toekenningen"),
            Line2D(
                [],
                [],
                marker="X",
                color="#D55E00",
                markeredgecolor="#000000",
                linestyle="",
                label="signaal: onevenwichtig",
            ),  # fmt: skip
        ]
        fig.legend(handles=leg, loc="lower center", ncol=3, fontsize=7, bbox_to_anchor=(0.5, 0.0))
        fig.tight_layout(rect=(0, 0.35 / fig.get_figheight() + 0.01, 1, 1))
        save(fig, path)
    bits = [
        f"{row.name} {_pct(row.grant_share, 0)} van de toekenningen tegen "
        f"{_pct(row.population_share, 0)} van de inwoners"
        for row in r.itertuples(index=False)
    ]
    flagged = r.loc[r["flagged"], "name"].tolist() + m.loc[m["flagged"], "name"].tolist()
    alt = (
        f"Stippen (aandeel van de {reg.n} toekenningen) naast balken (aandeel inwoners) per "
        f"regio en per gemeente. {'; '.join(bits)}. "
        + (
            f"Signaal van onevenwichtige spreiding bij {nl_list(flagged)}."
            if flagged
            else "Geen regio of gemeente krijgt een signaal van onevenwichtige spreiding."
        )
    )
    caption = "Aandeel toekenningen en aandeel inwoners per regio en gemeente"
    return Chart(path=path, caption=caption, alt=alt)


def subsidy_section_md(
    df: pd.DataFrame,
    as_of: dt.date,
    fig_dir: Path,
    rel: str,
    *,
    config: RegistersConfig | None = None,
    municipalities: pd.DataFrame | None = None,
) -> str:
    """Markdown section: grants per scheme, targets, and the spread over Limburg.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_subsidies`.
    as_of : date
        Reference date for counting grants.
    fig_dir, rel : Path, str
        Where ``subsidies-spreiding.png`` is written and how the report links to it.
    """
    config = config or load_config()
    gm = municipalities if municipalities is not None else load_municipalities()
    c = count_grants(df, as_of, config=config)
    g = _granted(df, as_of, None, config)
    applied = df.loc[df["date_applied"] <= pd.Timestamp(as_of)]
    head = "## Projecten en subsidies\n\n"
    granted_words = nl_list([config.grant_statuses[s] for s in config.granted_statuses])
    intro = (
        f"Tot en met {fmt_date(as_of)} zijn {len(applied)} aanvragen ontvangen en "
        f"{c.n_grants} subsidies toegekend (status {escape_md(granted_words)}), samen "
        f"{fmt_eur_mln(c.amount_eur / 1e6)}. Daarvan zijn {c.n_project} projectsubsidies"
        + (f" ({_pct(c.project_share, 0)} van de toekenningen)" if c.n_grants else "")
        + "."
    )
    st = schemes_table(df, as_of, config=config)
    rows = [
        {
            "Regeling": "**Totaal**" if r.scheme == "totaal" else escape_md(r.label),
            "Max. aandeel provincie": (
                "" if r.scheme == "totaal" else f"{fmt_number(r.max_share_pct, 0)}%"
            ),
            "Aanvragen": fmt_number(r.applications, 0),
            "Toegekend": fmt_number(r.granted, 0),
            "Afgewezen of ingetrokken": fmt_number(r.rejected_or_withdrawn, 0),
            "Bedrag toegekend": fmt_eur_mln(r.amount_granted_eur / 1e6),
        }
        for r in st.itertuples(index=False)
    ]
    schemes_tbl = pipe_table(
        pd.DataFrame(rows),
        align="lrrrrr",
        caption=f"Aanvragen en toekenningen per regeling tot en met {fmt_date(as_of)} {{#tbl-subsidies-regelingen}}",
    )
    by_type = g.groupby("applicant_type")["project_id"].count()
    type_words = nl_list(
        [
            f"{int(by_type.get(a, 0))} aan {escape_md(config.applicant_types[a].lower())}"
            for a in APPLICANT_TYPES
        ]
    )
    out = head + intro + f" Naar aanvrager: {type_words}.\n\n" + schemes_tbl + "\n"

    tt = targets_table(df, config=config)
    if len(tt):
        trows = [
            {
                "Doel": escape_md(r.label),
                "Peildatum": fmt_date(r.until),
                "Doel (aantal)": f"ten minste {r.target}",
                "Gerealiseerd": fmt_number(r.achieved, 0),
                "Gehaald": "ja" if r.met else "nee",
            }
            for r in tt.itertuples(index=False)
        ]
        out += (
            "\n"
            + pipe_table(
                pd.DataFrame(trows),
                align="llrrl",
                caption="Doelen uit de P&C-cyclus {#tbl-subsidies-doelen}",
            )
            + "\n"
        )

    reg = spread(df, as_of, "regio", config=config, municipalities=gm)
    mun = spread(df, as_of, "gemeente", config=config, municipalities=gm)
    chart = _spread_chart(reg, mun, Path(fig_dir) / "subsidies-spreiding.png", as_of)
    rt = reg.table
    rrows = [
        {
            "Regio": escape_md(r.name),
            "Toekenningen": fmt_number(r.n_grants, 0),
            "Aandeel toekenningen": _pct(r.grant_share),
            "Aandeel inwoners": _pct(r.population_share),
            "Verschil (procentpunt)": fmt_number(r.diff_pp, 1, sign=True),
            "p (binomiaal)": _p(r.p_value),
            "Signaal": "onevenwichtig" if r.flagged else "nee",
        }
        for r in rt.itertuples(index=False)
    ]
    out += "\n### Spreiding over de provincie\n\n"
    out += (
        "De provincie wil de subsidies evenwichtig over Limburg spreiden. Het aandeel van elke "
        "regio en gemeente in de toekenningen is vergeleken met haar aandeel in de inwoners "
        f"(1 januari 2019). Een regio krijgt een signaal bij {escape_md(reg.rule)}; een "
        f"gemeente bij {escape_md(mun.rule)}. Over alle eenheden samen toetst een "
        f"chi-kwadraattoets op gelijke spreiding: regio's chi-kwadraat {fmt_number(reg.chi2, 2)}, "
        f"p = {_p(reg.chi2_p)} ({escape_md(reg.gof_method)}); gemeenten chi-kwadraat "
        f"{fmt_number(mun.chi2, 2)}, p = {_p(mun.chi2_p)} ({escape_md(mun.gof_method)}).\n\n"
    )
    out += figure_md(chart, rel, "subsidies-spreiding") + "\n\n"
    out += pipe_table(
        pd.DataFrame(rrows),
        align="lrrrrrl",
        caption="Spreiding van de toekenningen over de regio's {#tbl-subsidies-regio}",
    )
    flagged = pd.concat([rt.loc[rt["flagged"]], mun.table.loc[mun.table["flagged"]]])
    if len(flagged):
        out += "\n\nSignaal van onevenwichtige spreiding:\n\n" + "\n".join(
            f"- {escape_md(r.name)}: {_pct(r.grant_share)} van de toekenningen tegen "
            f"{_pct(r.population_share)} van de inwoners ({r.direction} dan naar inwonertal "
            f"te verwachten, p {_p(r.p_value) if r.p_value < 0.001 else '= ' + _p(r.p_value)})."
            for r in flagged.itertuples(index=False)
        )
    else:
        out += (
            "\n\nGeen regio of gemeente voldoet aan de regel voor onevenwichtige spreiding. "
            "Bij kleine aantallen per gemeente zegt een afwijking weinig; de regel vraagt daarom "
            "ook een significante toets."
        )
    missing_gm = mun.table.loc[mun.table["n_grants"] == 0, "name"].tolist()
    if missing_gm:
        out += (
            f"\n\nGemeenten zonder toekenning tot en met {fmt_date(as_of)}: "
            f"{escape_md(nl_list(missing_gm))}."
        )
    return out + "\n"
