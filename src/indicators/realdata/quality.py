"""Schemas for real-data tables and a data-quality report (markdown + CSV).

The report has three parts, each computed per indicator on the value that a
report would show (numerator / denominator x multiplier for ``sum``
indicators, the value for ``weighted_mean`` indicators):

Missing values by indicator and year
    Units with a row but no value (suppressed, secret, not published), and
    *missing years*: years inside an indicator's span with no value at all,
    given its frequency (annual: every year; biennial: every other year from
    the first; survey: the Gezondheidsmonitor waves 2012, 2016, 2020, 2024).

Outliers (per indicator, year and level, across units; at least 5 units)
    The robust z-score ``z = 0.6745 (x - median) / MAD`` flags ``|z| > 3.5``
    (Iglewicz and Hoaglin, 1993). When MAD is 0 (many identical values), the
    IQR rule is used instead: outside ``[Q1 - 3 IQR, Q3 + 3 IQR]`` (Tukey's
    "far out" fences). Small units give extreme but true values (Leefbaarometer
    notes this), so outliers are *flagged for checking*, never removed.

Breaks in series (per unit and indicator, at least 5 values)
    A level shift between consecutive published years: the jump
    ``d_t = x_t - x_{t-1}`` is flagged when ``|d_t - median(d)| > k * s`` with
    ``s = max(1.4826 MAD(d), 0.01 |median(x)|, 1e-9)`` and ``k = 5``. A jump
    that is reversed by the next one (``|d_t + d_{t+1}| < 0.5 |d_t|``) is a
    one-year spike (an outlier), not a level shift, and is not reported here.
    Typical causes: a redefinition, a new source year, an unharmonised
    boundary change.

References
----------
Iglewicz, B. and Hoaglin, D. C. (1993). *How to Detect and Handle Outliers*.
ASQC Quality Press.
Tukey, J. W. (1977). *Exploratory Data Analysis*. Addison-Wesley.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from indicators.config import UNIT_CODE_RE, Catalogue
from indicators.exceptions import InputError

ROBUST_Z = 3.5
IQR_K = 3.0
BREAK_K = 5.0
MIN_UNITS = 5
MIN_SERIES = 5
SURVEY_WAVES = (2012, 2016, 2020, 2024)

ISSUE_COLUMNS = [
    "check",
    "indicator_id",
    "unit_code",
    "period",
    "value",
    "statistic",
    "threshold",
    "detail",
]

#: A wide source table after parsing (before mapping): codes must be CBS codes.
SOURCE_SCHEMA = pa.DataFrameSchema(
    {"code": pa.Column(str, pa.Check.str_matches(UNIT_CODE_RE.pattern), nullable=False)},
    strict=False,
    name="source table",
)

#: Leefbaarometer scores after reading (one row per unit and year).
LEEFBAAROMETER_SCHEMA = pa.DataFrameSchema(
    {
        "unit_code": pa.Column(str, pa.Check.str_matches(UNIT_CODE_RE.pattern)),
        "period": pa.Column(int, pa.Check.in_range(2002, 2100)),
    },
    unique=["unit_code", "period"],
    strict=False,
    name="leefbaarometer",
)

FLAGS_SCHEMA = pa.DataFrameSchema(
    {
        "unit_code": pa.Column(str, pa.Check.str_matches(UNIT_CODE_RE.pattern)),
        "indicator_id": pa.Column(str),
        "period": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "flags": pa.Column(str, pa.Check.str_length(min_value=1)),
    },
    unique=["unit_code", "indicator_id", "period"],
    strict=True,
    coerce=True,
    name="flags",
)

APPROXIMATIONS_SCHEMA = pa.DataFrameSchema(
    {
        "unit_code": pa.Column(str, pa.Check.str_matches(UNIT_CODE_RE.pattern)),
        "indicator_id": pa.Column(str),
        "period": pa.Column(int),
        "geo_year": pa.Column(int),
        "reference_year": pa.Column(int),
        "from_codes": pa.Column(str),
        "method": pa.Column(str),
        "approximate": pa.Column(bool),
        "note": pa.Column(str, nullable=True),
    },
    strict=True,
    coerce=True,
    name="approximations",
)


def validate_frame(df: pd.DataFrame, schema: pa.DataFrameSchema, path: str | Path) -> pd.DataFrame:
    """Validate with pandera; the first failure becomes an :class:`InputError`
    naming the file, the CSV line (header = line 1) and the column."""
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        first = cases.iloc[0]
        idx = first.get("index")
        row = int(idx) + 2 if idx is not None and pd.notna(idx) else None
        col = first.get("column")
        raise InputError(
            f"value {first.get('failure_case')!r} fails check {first.get('check')} "
            f"({len(cases)} failure(s) in {schema.name})",
            path=str(path),
            row=row,
            field=None if col is None or pd.isna(col) else str(col),
        ) from None


@dataclass(frozen=True)
class QualityReport:
    """Missing values, outliers and breaks (each a DataFrame), with the thresholds used."""

    missing: pd.DataFrame  # indicator_id, period, n_rows, n_missing, share_missing, year_missing
    issues: pd.DataFrame  # ISSUE_COLUMNS

    def count(self, check: str) -> int:
        return int((self.issues["check"] == check).sum())


def effective_values(obs: pd.DataFrame, catalogue: Catalogue) -> pd.Series:
    """The value a report shows: num/den x multiplier for sum indicators, else ``value``."""
    cat = catalogue.frame().set_index("id")
    mult = obs["indicator_id"].map(cat["multiplier"]).astype(float)
    is_sum = obs["indicator_id"].map(cat["aggregation"]).eq("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = obs["numerator"] / obs["denominator"].where(obs["denominator"] > 0) * mult
    return pd.Series(np.where(is_sum, ratio, obs["value"]), index=obs.index, dtype="float64")


def expected_years(first: int, last: int, frequency: str) -> list[int]:
    """Years an indicator should have between its first and last published year.

    >>> expected_years(2013, 2019, "biennial")
    [2013, 2015, 2017, 2019]
    >>> expected_years(2012, 2024, "survey")
    [2012, 2016, 2020, 2024]
    """
    if frequency == "annual":
        return list(range(first, last + 1))
    if frequency == "biennial":
        return list(range(first, last + 1, 2))
    return [y for y in SURVEY_WAVES if first <= y <= last] or [first]


def _missing(obs: pd.DataFrame, vals: pd.Series, catalogue: Catalogue) -> tuple[pd.DataFrame, list]:
    rows, issues = [], []
    df = obs.assign(_v=vals)
    for ind, g in df.groupby("indicator_id", sort=True):
        freq = catalogue.by_id[ind].frequency if ind in catalogue.by_id else "annual"
        have = g.groupby("period")["_v"].agg(n_rows="size", n_value="count")
        with_value = sorted(int(p) for p in have.index[have["n_value"] > 0])
        span = expected_years(min(with_value), max(with_value), freq) if with_value else []
        for p in sorted(set(span) | {int(x) for x in have.index}):
            n_rows = int(have["n_rows"].get(p, 0))
            n_val = int(have["n_value"].get(p, 0))
            year_missing = p in span and n_val == 0
            rows.append(
                {
                    "indicator_id": ind,
                    "period": p,
                    "n_rows": n_rows,
                    "n_missing": n_rows - n_val,
                    "share_missing": (n_rows - n_val) / n_rows if n_rows else 1.0,
                    "year_missing": year_missing,
                }
            )
            if year_missing:
                issues.append(
                    {
                        "check": "missing_year",
                        "indicator_id": ind,
                        "unit_code": "",
                        "period": p,
                        "value": np.nan,
                        "statistic": np.nan,
                        "threshold": np.nan,
                        "detail": f"no value for {p} ({freq} series {span[0]}-{span[-1]})",
                    }
                )
    return pd.DataFrame(rows), issues


def robust_z(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Robust z-scores ``0.6745 (x - median) / MAD`` and the MAD.

    >>> z, mad = robust_z(np.array([1.0, 2.0, 3.0, 4.0, 100.0]))
    >>> round(float(z[-1]), 1), mad
    (65.4, 1.0)
    """
    med = float(np.median(x))
    mad = float(np.median(np.abs(x - med)))
    if mad == 0:
        return np.zeros_like(x, dtype=float), 0.0
    return 0.6745 * (x - med) / mad, mad


def _outliers(obs: pd.DataFrame, vals: pd.Series) -> list:
    issues = []
    df = obs.assign(_v=vals, _level=obs["unit_code"].str[:2])
    df = df[df["_v"].notna()]
    for (ind, period, _lvl), g in df.groupby(["indicator_id", "period", "_level"], sort=True):
        if len(g) < MIN_UNITS:
            continue
        x = g["_v"].to_numpy(float)
        z, mad = robust_z(x)
        if mad > 0:
            hit = np.abs(z) > ROBUST_Z
            for i in np.flatnonzero(hit):
                issues.append(
                    {
                        "check": "outlier",
                        "indicator_id": ind,
                        "unit_code": g["unit_code"].iloc[i],
                        "period": int(period),
                        "value": x[i],
                        "statistic": float(z[i]),
                        "threshold": ROBUST_Z,
                        "detail": f"robust z {z[i]:.1f} (median {np.median(x):.4g}, MAD {mad:.4g}, "
                        f"{len(x)} units)",
                    }
                )
        else:
            q1, q3 = np.percentile(x, [25, 75])
            iqr = q3 - q1
            lo, hi = q1 - IQR_K * iqr, q3 + IQR_K * iqr
            for i in np.flatnonzero((x < lo) | (x > hi)):
                issues.append(
                    {
                        "check": "outlier",
                        "indicator_id": ind,
                        "unit_code": g["unit_code"].iloc[i],
                        "period": int(period),
                        "value": x[i],
                        "statistic": float(x[i]),
                        "threshold": float(hi if x[i] > hi else lo),
                        "detail": f"outside the IQR fences [{lo:.4g}, {hi:.4g}] (MAD = 0)",
                    }
                )
    return issues


def level_breaks(
    periods: np.ndarray, x: np.ndarray, k: float = BREAK_K
) -> list[tuple[int, float, float]]:
    """Level shifts in one series: ``(period, jump, threshold)`` per break.

    >>> level_breaks(np.arange(2013, 2021), np.array([10, 10.2, 10.1, 10.3, 30, 30.2, 30.1, 30.4]))
    [(2017, 19.7, 1.0075)]
    """
    order = np.argsort(periods)
    p, v = periods[order], x[order]
    if len(v) < MIN_SERIES:
        return []
    d = np.diff(v)
    med_d = float(np.median(d))
    s = max(1.4826 * float(np.median(np.abs(d - med_d))), 0.01 * abs(float(np.median(v))), 1e-9)
    out = []
    for t in range(len(d)):
        if abs(d[t] - med_d) <= k * s:
            continue
        if t + 1 < len(d) and abs(d[t] + d[t + 1]) < 0.5 * abs(d[t]):
            continue  # a one-year spike, reported as an outlier
        if t > 0 and abs(d[t] + d[t - 1]) < 0.5 * abs(d[t]):
            continue  # the return from a spike
        out.append((int(p[t + 1]), round(float(d[t]), 6), round(k * s, 6)))
    return out


def _breaks(obs: pd.DataFrame, vals: pd.Series) -> list:
    issues = []
    df = obs.assign(_v=vals)
    df = df[df["_v"].notna()]
    for (ind, unit), g in df.groupby(["indicator_id", "unit_code"], sort=True):
        if len(g) < MIN_SERIES:
            continue
        for period, jump, thr in level_breaks(g["period"].to_numpy(int), g["_v"].to_numpy(float)):
            issues.append(
                {
                    "check": "level_break",
                    "indicator_id": ind,
                    "unit_code": unit,
                    "period": period,
                    "value": float(g.loc[g["period"] == period, "_v"].iloc[0]),
                    "statistic": jump,
                    "threshold": thr,
                    "detail": f"level shift of {jump:+.4g} from the previous year "
                    f"(threshold {thr:.4g} = {BREAK_K:g} robust SD of the yearly changes)",
                }
            )
    return issues


def quality_report(obs: pd.DataFrame, catalogue: Catalogue) -> QualityReport:
    """Missing values by indicator and year, outliers and level breaks (see the module notes)."""
    vals = effective_values(obs, catalogue)
    missing, issues = _missing(obs, vals, catalogue)
    issues += _outliers(obs, vals)
    issues += _breaks(obs, vals)
    return QualityReport(missing=missing, issues=pd.DataFrame(issues, columns=ISSUE_COLUMNS))


def write_report(
    report: QualityReport,
    out_dir: Path,
    *,
    title: str = "Datakwaliteit",
    approximations: pd.DataFrame | None = None,
    flags: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write ``quality_report.md``, ``quality_missing.csv`` and ``quality_issues.csv``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / "quality_report.md",
        "missing": out_dir / "quality_missing.csv",
        "issues": out_dir / "quality_issues.csv",
    }
    report.missing.to_csv(paths["missing"], index=False, lineterminator="\n")
    report.issues.to_csv(paths["issues"], index=False, lineterminator="\n", float_format="%.6g")
    paths["markdown"].write_text(
        render_markdown(report, title=title, approximations=approximations, flags=flags),
        encoding="utf-8",
    )
    return paths


def _md_table(df: pd.DataFrame, max_rows: int = 50) -> str:
    if df.empty:
        return "_geen_\n"
    shown = df.head(max_rows)
    lines = [
        "| " + " | ".join(map(str, shown.columns)) + " |",
        "|" + "---|" * len(shown.columns),
    ]
    for row in shown.itertuples(index=False):
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    if len(df) > max_rows:
        lines.append(f"\n_… en nog {len(df) - max_rows} rijen (zie CSV)._")
    return "\n".join(lines) + "\n"


def render_markdown(
    report: QualityReport,
    *,
    title: str = "Datakwaliteit",
    approximations: pd.DataFrame | None = None,
    flags: pd.DataFrame | None = None,
) -> str:
    """The report as markdown (Dutch headings; methods stated)."""
    miss = report.missing
    pivot = (
        miss.pivot_table(index="indicator_id", columns="period", values="n_missing", aggfunc="sum")
        .fillna(0)
        .astype(int)
        if not miss.empty
        else pd.DataFrame()
    )
    parts = [
        f"# {title}\n",
        "Automatisch gemaakt door `indicators data validate` / `build-tables`.\n",
        "## Ontbrekende waarden per indicator en jaar\n",
        "Aantal eenheden met een rij maar zonder waarde (geheim, onderdrukt of niet "
        "gepubliceerd; CBS `.`). Ontbrekende waarden blijven leeg, nooit 0.\n",
        _md_table(pivot.reset_index()) if not pivot.empty else "_geen gegevens_\n",
        "\n### Ontbrekende jaren\n",
        _md_table(
            report.issues.loc[
                report.issues["check"] == "missing_year", ["indicator_id", "period", "detail"]
            ]
        ),
        "\n## Uitschieters\n",
        f"Robuuste z-score `0,6745 (x - mediaan) / MAD`, gemarkeerd bij |z| > {ROBUST_Z:g} "
        f"(Iglewicz en Hoaglin, 1993); bij MAD = 0 de IQR-regel met k = {IQR_K:g}. Per "
        f"indicator, jaar en niveau, vanaf {MIN_UNITS} eenheden. Uitschieters worden "
        "gemarkeerd om te controleren, niet verwijderd (kleine buurten geven extreme maar "
        "echte waarden).\n",
        _md_table(
            report.issues.loc[
                report.issues["check"] == "outlier",
                ["indicator_id", "unit_code", "period", "value", "statistic", "detail"],
            ]
        ),
        "\n## Breuken in reeksen\n",
        f"Niveausprong tussen opeenvolgende jaren groter dan {BREAK_K:g} keer de robuuste "
        "standaardafwijking (1,4826 MAD) van de jaarlijkse veranderingen in dezelfde reeks; "
        "een sprong die het jaar erna terugveert geldt als uitschieter. Vanaf "
        f"{MIN_SERIES} waarden per reeks.\n",
        _md_table(
            report.issues.loc[
                report.issues["check"] == "level_break",
                ["indicator_id", "unit_code", "period", "value", "statistic", "detail"],
            ]
        ),
    ]
    if approximations is not None:
        parts += [
            "\n## Geografische harmonisatie\n",
            "Elke eenheid-jaar die naar de referentie-indeling is omgezet. `approximate = True` "
            "betekent benaderd (verdeeld naar inwoners of oppervlakte, of onvolledig).\n",
        ]
        if approximations.empty:
            parts.append("_Geen omzettingen nodig._\n")
        else:
            summary = (
                approximations.groupby(["method", "approximate"])
                .size()
                .rename("aantal")
                .reset_index()
            )
            parts.append(_md_table(summary))
            parts.append("\n")
            parts.append(
                _md_table(
                    approximations.loc[
                        approximations["approximate"].astype(bool),
                        ["unit_code", "indicator_id", "period", "from_codes", "method", "note"],
                    ]
                )
            )
    if flags is not None and not flags.empty:
        counts = (
            flags["flags"].str.split(";").explode().value_counts().rename("aantal").reset_index()
        )
        counts.columns = ["markering", "aantal"]
        parts += [
            "\n## Markeringen\n",
            "`cbs_rounded_5`: door CBS afgerond op vijftallen (buurt/wijk); "
            "`derived_from_percentage`: teller berekend uit een gepubliceerd (afgerond) "
            "percentage; `model_estimate`: modelschatting (RIVM/GGD, SMAP), geen meting; "
            "`harmonised`: omgezet naar de referentie-indeling.\n",
            _md_table(counts),
        ]
    return "\n".join(parts)
