"""Report fragments for the labour-migrant survey (Dutch): findings, chapters, annex, downloads.

Every function here only selects and lays out :class:`SurveyResults`; the
estimates, their intervals and the disclosure control come from
:func:`indicators.survey.analysis.run_survey_analysis`, so the markdown, the
charts, the CSV and the Excel downloads all show the same (suppressed)
numbers. Every chart shows the 95% confidence interval and the unweighted
number of respondents (n) in its labels; suppressed estimates are drawn as
"niet gepubliceerd".
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from indicators.present import charts
from indicators.present.formatting import fmt_number
from indicators.present.tables import escape_md, md_attr, pipe_table
from indicators.survey.analysis import CHAPTERS, DOMAIN_TYPES, SurveyResults, area_survey

__all__ = [
    "area_section_md",
    "downloads_md",
    "highlights_md",
    "method_annex_md",
    "provenance_md",
    "regional_md",
    "thematic_md",
    "write_downloads",
]

DOT = "#0072B2"  # Okabe-Ito blue
REF = "#D55E00"  # Okabe-Ito vermillion, dashed: the Limburg value
MISSING = "."
CI_NOTE = (
    "Punt: gewogen schatting; lijn: 95%-betrouwbaarheidsinterval; n: ongewogen aantal respondenten."
)
STAT_NL = {"share": "aandeel", "top2": "aandeel top-2", "mean": "gemiddelde"}


# ----------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------


def _num(x, decimals: int = 1) -> str:
    return MISSING if x is None or pd.isna(x) else fmt_number(float(x), decimals)


def _n(x) -> str:
    return MISSING if x is None or pd.isna(x) else fmt_number(float(x), 0)


def _scale(row: pd.Series) -> float:
    return 1.0 if row["statistic"] == "mean" else 100.0


def _value_ci(row: pd.Series | None, decimals: int = 1) -> str:
    """``47,9 (39,7–56,1)``, or ``.`` when suppressed or absent."""
    if row is None or bool(row["suppressed"]) or pd.isna(row["estimate"]):
        return MISSING
    k = _scale(row)
    return (
        f"{_num(row['estimate'] * k, decimals)} "
        f"({_num(row['lower_ci'] * k, decimals)}–{_num(row['upper_ci'] * k, decimals)})"
    )


def _pct(row: pd.Series | None) -> str | None:
    """``47,9%`` or None when the estimate is not published."""
    if row is None or bool(row["suppressed"]) or pd.isna(row["estimate"]):
        return None
    return f"{_num(row['estimate'] * 100)}%"


def _pct_ci(row: pd.Series | None) -> str | None:
    """``47,9% (95%-BI 39,7–56,1)`` or None."""
    if _pct(row) is None:
        return None
    return f"{_pct(row)} ({_num(row['lower_ci'] * 100)}–{_num(row['upper_ci'] * 100)})"


def _p_value(p: float) -> str:
    return "p < 0,001" if p < 0.001 else f"p = {fmt_number(p, 3)}"


def _figure(path: Path, rel: str, caption: str, alt: str, fig_id: str) -> str:
    return f'![{escape_md(caption)}]({rel}/{path.name}){{#{fig_id} fig-alt="{md_attr(alt)}"}}\n'


def _domain_order(results: SurveyResults, domain_type: str) -> list[str]:
    labels = results.labels.get(domain_type, {})
    return list(labels)


def _universe(results: SurveyResults, variable: str) -> str:
    item = results.item(variable)
    return f" (gevraagd aan {item.universe})" if item.universe else ""


# ----------------------------------------------------------------------
# Charts
# ----------------------------------------------------------------------
def _chart_rows(
    frame: pd.DataFrame, labels: Sequence[str], *, n_col: str = "n"
) -> list[tuple[str, pd.Series | None, float | None]]:
    """(label, estimate row, n) triples in display order."""
    out = []
    for label, (_, row) in zip(labels, frame.iterrows(), strict=True):
        n = row[n_col] if n_col in row.index else np.nan
        out.append((label, row, None if pd.isna(n) else float(n)))
    return out


def _tick_label(label: str, n_txt: str, width: int = 50) -> str:
    """``label (n = 1.234)``, wrapped to ``width`` characters, n kept in one piece."""
    lines = textwrap.wrap(label, width) or [""]
    if len(lines[-1]) + len(n_txt) + 3 <= width:
        lines[-1] = f"{lines[-1]} ({n_txt})"
    else:
        lines.append(f"({n_txt})")
    return "\n".join(lines)


def _label_lines(rows) -> int:
    """Total text lines of the tick labels (for the figure height)."""
    return sum(_tick_label(label, "n = 1.234").count("\n") + 1 for label, _, _ in rows)


def _draw_dots(
    ax,
    rows: list[tuple[str, pd.Series | None, float | None]],
    *,
    decimals: int,
    ref: float | None,
    xmax: float | None,
) -> list[str]:
    """Dots with CI whiskers, value labels, and 'niet gepubliceerd' for suppressed rows."""
    y = np.arange(len(rows))[::-1]
    tick_labels, alt = [], []
    shown = [r for _, r, _ in rows if r is not None and not r["suppressed"]]
    shown = [r for r in shown if pd.notna(r["upper_ci"])]
    top = max((float(r["upper_ci"]) * _scale(r) for r in shown), default=1.0)
    is_mean = bool(shown) and shown[0]["statistic"] == "mean"
    if xmax is None:
        xmax = top * 1.22 if is_mean else min(100.0, top * 1.18 + 4)
    pad = xmax * 0.015
    for yy, (label, row, n) in zip(y, rows, strict=True):
        n_txt = f"n = {_n(n)}" if n is not None else "n < drempel"
        tick_labels.append(_tick_label(label, n_txt))
        if row is None or bool(row["suppressed"]) or pd.isna(row["estimate"]):
            ax.text(
                pad, yy, "niet gepubliceerd (te weinig respondenten)", va="center",
                fontsize=7, color="#555555", style="italic",
            )  # fmt: skip
            alt.append(f"{label}: niet gepubliceerd")
            continue
        k = _scale(row)
        v, lo, hi = (float(row[c]) * k for c in ("estimate", "lower_ci", "upper_ci"))
        ax.errorbar(
            v, yy, xerr=[[v - lo], [hi - v]], fmt="o", color=DOT, ecolor="#000000",
            elinewidth=1.1, capsize=2.5, markersize=5.5, markeredgecolor="#000000",
            markeredgewidth=0.6, zorder=3,
        )  # fmt: skip
        unit = "%" if k == 100 else ""
        ax.text(hi + pad, yy, f"{_num(v, decimals)}{unit}", va="center", fontsize=7)
        alt.append(
            f"{label}: {_num(v, decimals)}{unit} (95%-BI {_num(lo, decimals)}–"
            f"{_num(hi, decimals)}, n = {_n(n)})"
        )
    if ref is not None and not np.isnan(ref):
        ax.axvline(ref, color=REF, linestyle="--", linewidth=1.0, zorder=1)
        unit = "" if is_mean else "%"
        ax.annotate(
            f"Limburg {_num(ref, decimals)}{unit}", xy=(ref, 1.0), xycoords=("data", "axes fraction"),
            xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=7,
            color=REF,
        )  # fmt: skip
    ax.set_yticks(y, tick_labels, fontsize=7.5)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlim(0, xmax)
    ax.xaxis.set_major_formatter(charts._nl_tick(0 if xmax > 10 else 1))
    ax.grid(axis="x", color="#eeeeee")
    ax.grid(axis="y", visible=False)
    return alt


def dot_chart(
    rows: list[tuple[str, pd.Series | None, float | None]],
    path: Path,
    *,
    xlabel: str,
    caption: str,
    alt_intro: str,
    decimals: int = 1,
    ref: float | None = None,
    xmax: float | None = None,
) -> charts.Chart:
    """One horizontal dot chart with 95% CIs; labels carry the unweighted n."""
    with plt.rc_context(charts.RC):
        height = 0.3 * len(rows) + 0.14 * (_label_lines(rows) - len(rows)) + 0.95
        fig, ax = plt.subplots(figsize=(6.4, height))
        alt = _draw_dots(ax, rows, decimals=decimals, ref=ref, xmax=xmax)
        ax.set_xlabel(xlabel)
        fig.tight_layout()
        charts.save(fig, path)
    return charts.Chart(path=path, caption=caption, alt=f"{alt_intro} " + "; ".join(alt) + ".")


def panel_chart(
    panels: list[tuple[str, list[tuple[str, pd.Series | None, float | None]], float | None]],
    path: Path,
    *,
    xlabel: str,
    caption: str,
    alt_intro: str,
    ncols: int = 2,
    decimals: int = 1,
) -> charts.Chart:
    """Small multiples of dot charts (title, rows, Limburg reference) with CIs and n."""
    nrows = int(np.ceil(len(panels) / ncols))
    height = max(len(p[1]) for p in panels) * 0.27 + 0.85
    with plt.rc_context(charts.RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(6.6, height * nrows + 0.3), squeeze=False)
        alt = []
        for ax, (title, rows, ref) in zip(axes.flat, panels, strict=False):
            bits = _draw_dots(ax, rows, decimals=decimals, ref=ref, xmax=None)
            ax.set_title(charts._wrap(title, 40), loc="left", fontsize=8, pad=15)
            ax.set_xlabel(xlabel, fontsize=7)
            alt.append(f"{title}: " + "; ".join(bits))
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_visible(False)
        fig.tight_layout()
        charts.save(fig, path)
    return charts.Chart(path=path, caption=caption, alt=f"{alt_intro} " + ". ".join(alt) + ".")


def _distribution_rows(results: SurveyResults, variable: str, statistic: str = "share"):
    """Chart rows of a distribution (Limburg): n is the respondents per category."""
    rows = results.select(variable, statistic=statistic)
    labels = [escape_md(x) for x in rows["category_label"]]
    return _chart_rows(rows, labels, n_col="n_category")


def _domain_rows(
    results: SurveyResults,
    variable: str,
    statistic: str,
    domain_type: str,
    category: str | None = None,
):
    rows = results.select(variable, statistic=statistic, domain_type=domain_type, category=category)
    order = {c: i for i, c in enumerate(_domain_order(results, domain_type))}
    rows = rows.assign(_o=rows["domain"].map(order)).sort_values("_o")
    return _chart_rows(rows, list(rows["domain_label"]))


def _total(results: SurveyResults, variable: str, statistic: str, category: str = ""):
    return results.value(variable, statistic, category)


def _ref(row: pd.Series | None) -> float | None:
    if row is None or bool(row["suppressed"]) or pd.isna(row["estimate"]):
        return None
    return float(row["estimate"]) * _scale(row)


# ----------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------
def share_table(
    results: SurveyResults, variable: str, domain_type: str | None = None, caption: str = ""
) -> str:
    """Shares (with 95% CI) per category: Limburg and, optionally, per domain.

    Rows are the answer categories, columns Limburg and the domains; the last
    row gives the unweighted number of respondents.
    """
    total = results.select(variable, statistic="share")
    cats = list(total["category"])
    cat_labels = list(total["category_label"])
    columns: list[tuple[str, pd.DataFrame]] = [("Limburg", total)]
    if domain_type is not None:
        dom = results.select(variable, statistic="share", domain_type=domain_type)
        for code in _domain_order(results, domain_type):
            part = dom[dom["domain"] == code]
            if not part.empty:
                columns.append((str(part["domain_label"].iloc[0]), part))
    body = []
    for cat, label in zip(cats, cat_labels, strict=True):
        row = {"Antwoord": escape_md(label)}
        for name, frame in columns:
            hit = frame[frame["category"] == cat]
            row[escape_md(name)] = _value_ci(None if hit.empty else hit.iloc[0])
        body.append(row)
    n_row = {"Antwoord": "n (ongewogen)"}
    for name, frame in columns:
        n_row[escape_md(name)] = _n(frame["n"].iloc[0])
    body.append(n_row)
    df = pd.DataFrame(body)
    return pipe_table(df, align="l" + "r" * (len(df.columns) - 1), caption=caption or None)


def domain_table(
    results: SurveyResults,
    specs: Sequence[tuple[str, str, str, str]],
    domain_type: str,
    caption: str = "",
    decimals: Sequence[int] | None = None,
) -> str:
    """Rows: Limburg and the domains; per spec a value (95% CI) and an n column.

    ``specs`` holds ``(variable, statistic, category, column title)``.
    """
    decimals = list(decimals) if decimals is not None else [1] * len(specs)
    order = ["PV31", *_domain_order(results, domain_type)]
    body = []
    for code in order:
        dt = "totaal" if code == "PV31" else domain_type
        row: dict[str, str] = {}
        label = None
        for (var, stat, cat, title), dec in zip(specs, decimals, strict=True):
            hit = results.select(var, statistic=stat, domain_type=dt, domain=code, category=cat)
            est = None if hit.empty else hit.iloc[0]
            if est is not None:
                label = est["domain_label"]
            row[escape_md(title)] = _value_ci(est, dec)
            row[f"n{' ' * len(row)}"] = _n(None if est is None else est["n"])
        if label is None:
            continue
        body.append({DOMAIN_TYPES[domain_type]: escape_md(label), **row})
    df = pd.DataFrame(body)
    df.columns = [c.strip() if c.startswith("n ") else c for c in df.columns]
    return pipe_table(df, align="l" + "r" * (len(df.columns) - 1), caption=caption or None)


def crosstab_md(results: SurveyResults, name: str, caption: str, *, transpose: bool = False) -> str:
    """A crosstab (row percentages with 95% CI) and its Rao-Scott test sentence.

    With ``transpose=True`` the groups are columns and the answers rows (for
    tables with many answer categories); the last row then holds the n.
    """
    ct = results.crosstabs[name]
    pct, lo, hi, n = ct.percent, ct.lower, ct.upper, ct.row_n

    def cell(r: str, c: str) -> str:
        v = pct.at[r, c]
        return MISSING if pd.isna(v) else f"{_num(v)} ({_num(lo.at[r, c])}–{_num(hi.at[r, c])})"

    body = []
    if transpose:
        for c in pct.columns:
            row = {escape_md(ct.col_question): escape_md(c)}
            row.update({escape_md(r): cell(r, c) for r in pct.index})
            body.append(row)
        n_row = {escape_md(ct.col_question): "n (ongewogen)"}
        n_row.update({escape_md(r): _n(n.get(r)) for r in pct.index})
        body.append(n_row)
    else:
        for r in pct.index:
            row = {escape_md(ct.row_question): escape_md(r)}
            row.update({escape_md(c): cell(r, c) for c in pct.columns})
            row["n"] = _n(n.get(r))
            body.append(row)
    df = pd.DataFrame(body)
    table = pipe_table(df, align="l" + "r" * (len(df.columns) - 1), caption=caption)
    verdict = "verschillen significant" if ct.p_value < 0.05 else "verschillen niet significant"
    test = (
        f"De verdelingen {verdict} tussen de groepen (Rao-Scott-toets met correctie voor "
        f"het steekproefontwerp: F = {_num(ct.statistic, 2)}; vrijheidsgraden "
        f"{_num(ct.ndf, 1)} en {_num(ct.ddf, 1)}; {_p_value(ct.p_value)})."
    )
    return f"{table}\n\n{test}\n"


def likert_table(results: SurveyResults, variables: Sequence[str], caption: str) -> str:
    """Full answer distribution (Limburg) of Likert items sharing one answer scale.

    Rows are the answers, one column per item; the last row is the unweighted n.
    """
    first = results.select(variables[0], statistic="share")
    body = []
    for cat, label in zip(first["category"], first["category_label"], strict=True):
        row = {"Antwoord": escape_md(label)}
        for var in variables:
            rows = results.select(var, statistic="share", category=cat)
            row[escape_md(results.item(var).label)] = _value_ci(
                None if rows.empty else rows.iloc[0]
            )
        body.append(row)
    n_row = {"Antwoord": "n (ongewogen)"}
    for var in variables:
        n_row[escape_md(results.item(var).label)] = _n(
            results.select(var, statistic="share")["n"].iloc[0]
        )
    body.append(n_row)
    df = pd.DataFrame(body)
    return pipe_table(df, align="l" + "r" * (len(df.columns) - 1), caption=caption)


# ----------------------------------------------------------------------
# Highlights (also for the province report)
# ----------------------------------------------------------------------
HIGHLIGHT_SPECS = (
    ("huisvesting", "share", "1", "Woont op grootschalige huisvestingslocatie"),
    ("huisvesting", "share", "2", "Woont op een vakantiepark"),
    ("overbewoning", "share", "3", "Meer dan 2 personen per slaapkamer"),
    ("snf_keurmerk", "share", "1", "SNF-keurmerk (volgens bewoner)"),
    ("uitzendbureau", "share", "1", "In dienst van een uitzendbureau"),
    ("taal_nl", "top2", "top2", "Spreekt (zeer) goed Nederlands"),
    ("huisarts", "share", "1", "Ingeschreven bij een huisarts"),
    ("contact_nl", "top2", "top2", "Vaak contact met Nederlanders"),
    ("blijven", "share", "1", "Van plan te blijven (5 jaar)"),
)


def _findings(results: SurveyResults) -> list[str]:
    """Key findings as sentences; a finding is left out when a number is suppressed."""
    v = results.value
    out = []
    large, park = v("huisvesting", "share", "1"), v("huisvesting", "share", "2")
    if _pct(large) and _pct(park):
        out.append(
            f"**Wonen.** {_pct_ci(large)} van de arbeidsmigranten woont op een grootschalige "
            f"huisvestingslocatie en {_pct_ci(park)} op een vakantiepark."
        )
    crowd = v("overbewoning", "share", "3")
    crowd_park = results.value("overbewoning", "share", "3", domain_type="huisvesting", domain="2")
    if _pct(crowd):
        extra = f"; op vakantieparken is dat {_pct(crowd_park)}" if _pct(crowd_park) else ""
        out.append(
            f"**Overbewoning.** {_pct_ci(crowd)} woont met meer dan twee personen per "
            f"slaapkamer{extra}."
        )
    snf_yes, snf_dk = v("snf_keurmerk", "share", "1"), v("snf_keurmerk", "share", "3")
    if _pct(snf_yes) and _pct(snf_dk):
        out.append(
            f"**SNF-keurmerk.** Van wie op een grootschalige locatie of in een woning via de "
            f"werkgever woont, zegt {_pct_ci(snf_yes)} dat de huisvesting een SNF-keurmerk "
            f"heeft; {_pct(snf_dk)} weet het niet."
        )
    agency, deduct = v("uitzendbureau", "share", "1"), v("huur_inhouding", "share", "1")
    if _pct(agency) and _pct(deduct):
        out.append(
            f"**Werk.** {_pct_ci(agency)} is in dienst van een uitzendbureau. Van wie via de "
            f"werkgever of op een locatie of park woont, krijgt {_pct(deduct)} de huur "
            "ingehouden op het loon: wonen en werk hangen dan samen."
        )
    dutch, gp = v("taal_nl", "top2", "top2"), v("huisarts", "share", "1")
    if _pct(dutch) and _pct(gp):
        out.append(
            f"**Taal en zorg.** {_pct_ci(dutch)} spreekt goed of zeer goed Nederlands; "
            f"{_pct_ci(gp)} is ingeschreven bij een huisarts."
        )
    stay, dk = v("blijven", "share", "1"), v("blijven", "share", "3")
    if _pct(stay) and _pct(dk):
        out.append(
            f"**Toekomst.** {_pct_ci(stay)} is van plan de komende vijf jaar in Nederland te "
            f"blijven; {_pct(dk)} weet het nog niet."
        )
    return out


def highlights_md(
    results: SurveyResults, fig_dir: Path, rel: str, *, fig_id: str = "fig-enquete-kern"
) -> str:
    """A short section of key findings (sentences backed by numbers) and one chart.

    No heading: the including report puts it under its own. Percentages are
    weighted; between brackets the 95% confidence interval.
    """
    fig_dir = Path(fig_dir)
    synthetic = " (synthetische demonstratiegegevens)" if results.synthetic else ""
    intro = (
        f"De enquête onder arbeidsmigranten{synthetic} telt {_n(results.n_respondents)} "
        "respondenten in Noord-, Midden- en Zuid-Limburg. De percentages zijn gewogen naar "
        "nationaliteit, regio, leeftijd en geslacht; tussen haakjes staat het "
        "95%-betrouwbaarheidsinterval."
    )
    bullets = "\n".join(f"- {s}" for s in _findings(results))
    rows = []
    for var, stat, cat, label in HIGHLIGHT_SPECS:
        row = results.value(var, stat, cat)
        rows.append((label, row, None if row is None or pd.isna(row["n"]) else float(row["n"])))
    chart = dot_chart(
        rows,
        fig_dir / f"{fig_id.removeprefix('fig-')}.png",
        xlabel="Percentage (gewogen)",
        caption=(
            "Kerncijfers arbeidsmigranten in Limburg: gewogen percentage met "
            "95%-betrouwbaarheidsinterval; n is het ongewogen aantal respondenten dat de vraag "
            "beantwoordde."
        ),
        alt_intro="Puntgrafiek met kerncijfers van de enquête onder arbeidsmigranten.",
        xmax=100,
    )
    return (
        f"{intro}\n\n{bullets}\n\n"
        + _figure(chart.path, rel, chart.caption, chart.alt, fig_id)
        + f"\n{escape_md(results.rule_text_nl)}\n"
    )


# ----------------------------------------------------------------------
# Thematic chapters
# ----------------------------------------------------------------------
def _wonen(results: SurveyResults, fig_dir: Path, rel: str) -> str:
    parts = []
    housing = dot_chart(
        _distribution_rows(results, "huisvesting"),
        fig_dir / "enquete-huisvesting.png",
        xlabel="Percentage van de arbeidsmigranten (gewogen)",
        caption=f"Waar arbeidsmigranten wonen. {CI_NOTE}",
        alt_intro="Puntgrafiek van de woonsituatie van arbeidsmigranten.",
    )
    large = results.value("huisvesting", "share", "1")
    park = results.value("huisvesting", "share", "2")
    rent = results.value("huisvesting", "share", "4")
    text = []
    if _pct(large) and _pct(park):
        text.append(
            f"{_pct_ci(large)} van de arbeidsmigranten woont op een grootschalige "
            f"huisvestingslocatie en {_pct_ci(park)} op een vakantiepark"
            + (f"; {_pct(rent)} huurt een reguliere woning." if _pct(rent) else ".")
        )
    parts.append("## Woonsituatie\n")
    parts.append(" ".join(text) + "\n")
    parts.append(
        _figure(housing.path, rel, housing.caption, housing.alt, "fig-enquete-huisvesting")
    )
    parts.append(
        "De woonsituatie verschilt sterk per regio; de tabel staat in het hoofdstuk "
        "Regionale verschillen."
    )

    parts.append("\n## Overbewoning\n")
    crowd = results.value("overbewoning", "share", "3")
    mean = results.value("personen_per_slaapkamer", "mean")
    sentence = []
    if _pct(crowd):
        sentence.append(
            f"{_pct_ci(crowd)} woont met meer dan twee personen per slaapkamer (aantal "
            "bewoners van de woning of unit gedeeld door het aantal slaapkamers)."
        )
    if mean is not None and not mean["suppressed"]:
        sentence.append(f"Gemiddeld zijn dat {_value_ci(mean, 2)} personen per slaapkamer.")
    parts.append(" ".join(sentence) + "\n")
    chart = dot_chart(
        _domain_rows(results, "overbewoning", "share", "huisvesting", "3"),
        fig_dir / "enquete-overbewoning.png",
        xlabel="Percentage met meer dan 2 personen per slaapkamer (gewogen)",
        caption=(
            "Meer dan twee personen per slaapkamer, naar woonsituatie; de gestreepte lijn is "
            f"het Limburgse percentage. {CI_NOTE}"
        ),
        alt_intro="Puntgrafiek van het aandeel met meer dan twee personen per slaapkamer.",
        ref=_ref(crowd),
    )
    parts.append(_figure(chart.path, rel, chart.caption, chart.alt, "fig-enquete-overbewoning"))
    parts.append(
        crosstab_md(
            results,
            "huisvesting_overbewoning",
            "Personen per slaapkamer naar woonsituatie: rijpercentages (95%-betrouwbaarheidsinterval)",
        )
    )

    parts.append("\n## SNF-keurmerk\n")
    snf_yes = results.value("snf_keurmerk", "share", "1")
    snf_no = results.value("snf_keurmerk", "share", "2")
    snf_dk = results.value("snf_keurmerk", "share", "3")
    if _pct(snf_yes):
        parts.append(
            "Het keurmerk van de Stichting Normering Flexwonen (SNF) stelt eisen aan "
            "huisvesting van arbeidsmigranten. De vraag is gesteld aan wie op een grootschalige "
            f"locatie of in een woning via de werkgever woont. Van hen zegt {_pct_ci(snf_yes)} "
            f"dat de huisvesting een SNF-keurmerk heeft, {_pct(snf_no) or MISSING} zegt van niet en "
            f"{_pct(snf_dk) or MISSING} weet het niet. Het is de kennis van de bewoner, geen "
            "controle van het keurmerk.\n"
        )
    parts.append(
        share_table(
            results,
            "snf_keurmerk",
            "huisvesting",
            "SNF-keurmerk volgens de bewoner, naar woonsituatie: gewogen percentage "
            "(95%-betrouwbaarheidsinterval)",
        )
    )

    parts.append("\n## Tevredenheid over de woonruimte\n")
    sat = results.value("woonkwaliteit", "top2", "top2")
    if _pct(sat):
        parts.append(
            f"{_pct_ci(sat)} is tevreden of zeer tevreden over de kwaliteit van de woonruimte.\n"
        )
    chart = dot_chart(
        _domain_rows(results, "woonkwaliteit", "top2", "huisvesting"),
        fig_dir / "enquete-woonkwaliteit.png",
        xlabel="Percentage (zeer) tevreden (gewogen)",
        caption=(
            "(Zeer) tevreden over de kwaliteit van de woonruimte, naar woonsituatie; de "
            f"gestreepte lijn is het Limburgse percentage. {CI_NOTE}"
        ),
        alt_intro="Puntgrafiek van de tevredenheid over de woonruimte.",
        ref=_ref(sat),
    )
    parts.append(_figure(chart.path, rel, chart.caption, chart.alt, "fig-enquete-woonkwaliteit"))
    parts.append(
        likert_table(
            results,
            ["woonkwaliteit"],
            "Tevredenheid over de kwaliteit van de woonruimte, Limburg: gewogen percentage "
            "(95%-betrouwbaarheidsinterval)",
        )
    )
    return "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def _werk(results: SurveyResults, fig_dir: Path, rel: str) -> str:
    parts = ["## Sector\n"]
    chart = dot_chart(
        _distribution_rows(results, "sector"),
        fig_dir / "enquete-sector.png",
        xlabel="Percentage van de arbeidsmigranten (gewogen)",
        caption=f"Sector waarin arbeidsmigranten werken. {CI_NOTE}",
        alt_intro="Puntgrafiek van de sector waarin arbeidsmigranten werken.",
    )
    top = results.select("sector", statistic="share").sort_values("estimate", ascending=False)
    if not top.empty and not top.iloc[0]["suppressed"]:
        first = top.iloc[0]
        parts.append(
            f"De grootste sector is {escape_md(first['category_label']).lower()} "
            f"({_pct_ci(first)}). De verdeling verschilt per regio (tabel hieronder).\n"
        )
    parts.append(_figure(chart.path, rel, chart.caption, chart.alt, "fig-enquete-sector"))
    parts.append(
        share_table(
            results,
            "sector",
            "regio",
            "Sector naar regio: gewogen percentage (95%-betrouwbaarheidsinterval)",
        )
    )
    parts.append("\n## Contract, uitzendbureau en huur via het loon\n")
    agency = results.value("uitzendbureau", "share", "1")
    deduct = results.value("huur_inhouding", "share", "1")
    hours = results.value("uren_per_week", "mean")
    bits = []
    if _pct(agency):
        bits.append(f"{_pct_ci(agency)} is in dienst van een uitzendbureau.")
    if _pct(deduct):
        bits.append(
            f"Van wie via de werkgever, op een grootschalige locatie of op een vakantiepark "
            f"woont, krijgt {_pct_ci(deduct)} de huur ingehouden op het loon. Wie zijn baan "
            "verliest, verliest dan ook zijn woonruimte."
        )
    if hours is not None and not hours["suppressed"]:
        bits.append(f"Gemiddeld werken arbeidsmigranten {_value_ci(hours)} uur per week.")
    parts.append(" ".join(bits) + "\n")
    parts.append(
        share_table(
            results,
            "contract",
            "regio",
            "Arbeidscontract naar regio: gewogen percentage (95%-betrouwbaarheidsinterval)",
        )
    )
    chart = dot_chart(
        _domain_rows(results, "uitzendbureau", "share", "nationaliteit", "1"),
        fig_dir / "enquete-uitzendbureau.png",
        xlabel="Percentage in dienst van een uitzendbureau (gewogen)",
        caption=(
            "In dienst van een uitzendbureau, naar nationaliteit; de gestreepte lijn is het "
            f"Limburgse percentage. {CI_NOTE}"
        ),
        alt_intro="Puntgrafiek van het aandeel in dienst van een uitzendbureau.",
        ref=_ref(agency),
    )
    parts.append(_figure(chart.path, rel, chart.caption, chart.alt, "fig-enquete-uitzendbureau"))
    parts.append(
        domain_table(
            results,
            [
                ("uitzendbureau", "share", "1", "Uitzendbureau %"),
                ("huur_inhouding", "share", "1", "Huur via loon %"),
                ("uren_per_week", "mean", "", "Uren per week"),
            ],
            "huisvesting",
            "Werk naar woonsituatie: gewogen percentage of gemiddelde "
            "(95%-betrouwbaarheidsinterval); huur via het loon alleen gevraagd bij huisvesting "
            "via de werkgever, op een locatie of een park",
        )
    )
    return "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def _taal(results: SurveyResults, fig_dir: Path, rel: str) -> str:
    parts = []
    dutch = results.value("taal_nl", "top2", "top2")
    english = results.value("taal_en", "top2", "top2")
    help_ = results.value("weet_waar_hulp", "top2", "top2")
    brp = results.value("brp", "share", "1")
    bits = []
    if _pct(dutch) and _pct(english):
        bits.append(
            f"{_pct_ci(dutch)} spreekt goed of zeer goed Nederlands, {_pct_ci(english)} goed of "
            "zeer goed Engels."
        )
    if _pct(help_):
        bits.append(
            f"{_pct_ci(help_)} weet bij wie hij of zij terecht kan met vragen over werk, wonen of "
            "geld."
        )
    if _pct(brp):
        bits.append(
            f"{_pct_ci(brp)} staat ingeschreven in de gemeente (BRP); wie niet is ingeschreven, "
            "is voor de gemeente moeilijker te bereiken."
        )
    parts.append(" ".join(bits) + "\n")
    rows = []
    for var, stat, cat in (
        ("taal_nl", "top2", "top2"),
        ("taal_en", "top2", "top2"),
        ("weet_waar_hulp", "top2", "top2"),
        ("brp", "share", "1"),
    ):
        row = results.value(var, stat, cat)
        rows.append(
            (results.item(var).label, row, None if row is None or pd.isna(row["n"]) else row["n"])
        )
    chart = dot_chart(
        rows,
        fig_dir / "enquete-taal.png",
        xlabel="Percentage (gewogen)",
        caption=(
            "Taal en zelfredzaamheid: (zeer) goed Nederlands of Engels, (helemaal) eens met "
            f"'ik weet bij wie ik terecht kan', en ingeschreven in de BRP. {CI_NOTE}"
        ),
        alt_intro="Puntgrafiek van taalvaardigheid en zelfredzaamheid.",
        xmax=100,
    )
    parts.append(_figure(chart.path, rel, chart.caption, chart.alt, "fig-enquete-taal"))
    parts.append(
        domain_table(
            results,
            [
                ("taal_nl", "top2", "top2", "Nederlands %"),
                ("taal_en", "top2", "top2", "Engels %"),
                ("brp", "share", "1", "BRP %"),
            ],
            "nationaliteit",
            "Spreekt (zeer) goed Nederlands of Engels en is ingeschreven in de BRP, naar "
            "nationaliteit: gewogen percentage (95%-betrouwbaarheidsinterval)",
        )
    )
    parts.append("")
    parts.append(
        likert_table(
            results,
            ["taal_nl", "taal_en"],
            "Hoe goed spreekt u Nederlands en Engels? Limburg: gewogen percentage "
            "(95%-betrouwbaarheidsinterval)",
        )
    )
    return "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def _zorg(results: SurveyResults, fig_dir: Path, rel: str) -> str:
    parts = []
    gp = results.value("huisarts", "share", "1")
    gp_dk = results.value("huisarts", "share", "3")
    access = results.value("zorg_toegang", "top2", "top2")
    bits = []
    if _pct(gp):
        bits.append(
            f"{_pct_ci(gp)} is in Nederland ingeschreven bij een huisarts"
            + (f"; {_pct(gp_dk)} weet het niet." if _pct(gp_dk) else ".")
        )
    if _pct(access):
        bits.append(
            f"{_pct_ci(access)} is het (helemaal) eens met 'als ik zorg nodig heb, weet ik hoe ik "
            "een huisarts of andere zorg kan krijgen'."
        )
    parts.append(" ".join(bits) + "\n")
    chart = dot_chart(
        _domain_rows(results, "huisarts", "share", "nationaliteit", "1"),
        fig_dir / "enquete-huisarts.png",
        xlabel="Percentage ingeschreven bij een huisarts (gewogen)",
        caption=(
            "Ingeschreven bij een huisarts, naar nationaliteit; de gestreepte lijn is het "
            f"Limburgse percentage. {CI_NOTE}"
        ),
        alt_intro="Puntgrafiek van de inschrijving bij een huisarts.",
        ref=_ref(gp),
    )
    parts.append(_figure(chart.path, rel, chart.caption, chart.alt, "fig-enquete-huisarts"))
    parts.append(
        domain_table(
            results,
            [
                ("huisarts", "share", "1", "Huisarts %"),
                ("zorg_toegang", "top2", "top2", "Weet hoe zorg te krijgen %"),
            ],
            "huisvesting",
            "Zorg naar woonsituatie: gewogen percentage (95%-betrouwbaarheidsinterval)",
        )
    )
    return "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def _sociaal(results: SurveyResults, fig_dir: Path, rel: str) -> str:
    parts = []
    contact = results.value("contact_nl", "top2", "top2")
    never = results.value("contact_nl", "share", "1")
    home = results.value("thuis_buurt", "top2", "top2")
    bits = []
    if _pct(contact):
        bits.append(
            f"{_pct_ci(contact)} heeft buiten het werk vaak of heel vaak contact met "
            "Nederlanders" + (f"; {_pct(never)} nooit." if _pct(never) else ".")
        )
    if _pct(home):
        bits.append(f"{_pct_ci(home)} voelt zich thuis in de eigen buurt of het eigen dorp.")
    parts.append(" ".join(bits) + "\n")
    panels = [
        (
            "Vaak of heel vaak contact met Nederlanders",
            _domain_rows(results, "contact_nl", "top2", "huisvesting"),
            _ref(contact),
        ),
        (
            "Voelt zich thuis in de buurt",
            _domain_rows(results, "thuis_buurt", "top2", "huisvesting"),
            _ref(home),
        ),
    ]
    chart = panel_chart(
        panels,
        fig_dir / "enquete-sociaal.png",
        xlabel="Percentage (gewogen)",
        caption=(
            "Sociale contacten naar woonsituatie; de gestreepte lijn is het Limburgse "
            f"percentage. {CI_NOTE}"
        ),
        alt_intro="Twee puntgrafieken van sociale contacten naar woonsituatie.",
        ncols=1,
    )
    parts.append(_figure(chart.path, rel, chart.caption, chart.alt, "fig-enquete-sociaal"))
    parts.append(
        domain_table(
            results,
            [
                ("contact_nl", "top2", "top2", "Vaak contact %"),
                ("thuis_buurt", "top2", "top2", "Thuis in de buurt %"),
            ],
            "nationaliteit",
            "Sociale contacten naar nationaliteit: gewogen percentage "
            "(95%-betrouwbaarheidsinterval)",
        )
    )
    parts.append("")
    parts.append(
        likert_table(
            results,
            ["contact_nl"],
            "Hoe vaak heeft u buiten uw werk contact met Nederlanders? Limburg: gewogen "
            "percentage (95%-betrouwbaarheidsinterval)",
        )
    )
    return "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def _toekomst(results: SurveyResults, fig_dir: Path, rel: str) -> str:
    parts = []
    stay = results.value("blijven", "share", "1")
    no = results.value("blijven", "share", "2")
    dk = results.value("blijven", "share", "3")
    years = results.value("jaren_nl", "mean")
    bits = []
    if _pct(stay):
        bits.append(
            f"{_pct_ci(stay)} is van plan de komende vijf jaar in Nederland te blijven wonen, "
            f"{_pct(no) or MISSING} niet en {_pct(dk) or MISSING} weet het nog niet."
        )
    if years is not None and not years["suppressed"]:
        bits.append(
            f"Gemiddeld werken en wonen de respondenten {_value_ci(years)} jaar in Nederland."
        )
    parts.append(" ".join(bits) + "\n")
    chart = dot_chart(
        _domain_rows(results, "blijven", "share", "nationaliteit", "1"),
        fig_dir / "enquete-blijven.png",
        xlabel="Percentage dat van plan is te blijven (gewogen)",
        caption=(
            "Van plan de komende vijf jaar in Nederland te blijven, naar nationaliteit; de "
            f"gestreepte lijn is het Limburgse percentage. {CI_NOTE}"
        ),
        alt_intro="Puntgrafiek van het voornemen om te blijven.",
        ref=_ref(stay),
    )
    parts.append(_figure(chart.path, rel, chart.caption, chart.alt, "fig-enquete-blijven"))
    parts.append(
        crosstab_md(
            results,
            "nationaliteit_blijven",
            "Van plan te blijven naar nationaliteit: rijpercentages (95%-betrouwbaarheidsinterval)",
        )
    )
    parts.append(
        domain_table(
            results,
            [
                ("blijven", "share", "1", "Wil blijven %"),
                ("jaren_nl", "mean", "", "Jaren in Nederland"),
            ],
            "huisvesting",
            "Toekomst naar woonsituatie: gewogen percentage of gemiddelde "
            "(95%-betrouwbaarheidsinterval)",
        )
    )
    return "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


_CHAPTER_FUNCS = {
    "wonen": _wonen,
    "werk": _werk,
    "taal": _taal,
    "zorg": _zorg,
    "sociaal": _sociaal,
    "toekomst": _toekomst,
}


def thematic_md(results: SurveyResults, fig_dir: Path, rel: str, chapter: str | None = None) -> str:
    """The thematic chapters: wonen, werk, taal en zelfredzaamheid, zorg, sociale contacten, toekomst.

    Parameters
    ----------
    results : SurveyResults
    fig_dir : Path
        Where the PNG charts are written.
    rel : str
        Path of ``fig_dir`` as seen from the report (e.g. ``_fragments/figures``).
    chapter : str, optional
        A key of :data:`indicators.survey.analysis.CHAPTERS`: return only that
        chapter's body (its sections start at ``##``; the template supplies the
        chapter heading and introduction). Default: all chapters, each with a
        ``#`` heading.
    """
    fig_dir = Path(fig_dir)
    fig_dir.mkdir(parents=True, exist_ok=True)
    if chapter is not None:
        if chapter not in _CHAPTER_FUNCS:
            raise KeyError(f"unknown chapter '{chapter}'; expected one of {', '.join(CHAPTERS)}")
        return _CHAPTER_FUNCS[chapter](results, fig_dir, rel)
    return "\n\n".join(
        f"# {CHAPTERS[key]}\n\n{func(results, fig_dir, rel)}"
        for key, func in _CHAPTER_FUNCS.items()
    )


# ----------------------------------------------------------------------
# Regional breakdown
# ----------------------------------------------------------------------
REGIONAL_SPECS = (
    ("huisvesting", "share", "1", "Grootschalige huisvestingslocatie"),
    ("overbewoning", "share", "3", "Meer dan 2 personen per slaapkamer"),
    ("snf_keurmerk", "share", "1", "SNF-keurmerk (volgens bewoner)"),
    ("uitzendbureau", "share", "1", "In dienst van een uitzendbureau"),
    ("taal_nl", "top2", "top2", "Spreekt (zeer) goed Nederlands"),
    ("huisarts", "share", "1", "Ingeschreven bij een huisarts"),
    ("contact_nl", "top2", "top2", "Vaak contact met Nederlanders"),
    ("blijven", "share", "1", "Van plan te blijven"),
)


def regional_md(results: SurveyResults, fig_dir: Path, rel: str) -> str:
    """Breakdown by region (Noord-, Midden-, Zuid-Limburg): table, small multiples, crosstab."""
    fig_dir = Path(fig_dir)
    fig_dir.mkdir(parents=True, exist_ok=True)
    regions = _domain_order(results, "regio")
    region_names = [results.labels["regio"][r] for r in regions]
    body = []
    for var, stat, cat, label in REGIONAL_SPECS:
        row = {"Indicator": escape_md(label)}
        for code, name in zip(regions, region_names, strict=True):
            hit = results.value(var, stat, cat, domain_type="regio", domain=code)
            row[escape_md(name)] = _value_ci(hit)
        row["Limburg"] = _value_ci(results.value(var, stat, cat))
        body.append(row)
    n_row = {"Indicator": "n (ongewogen, alle respondenten)"}
    counts = results.data.groupby("regio").size()
    for code, name in zip(regions, region_names, strict=True):
        n = counts.get(float(code), 0)
        n_row[escape_md(name)] = _n(n if n >= results.threshold else None)
    n_row["Limburg"] = _n(results.n_respondents)
    body.append(n_row)
    table = pipe_table(
        pd.DataFrame(body),
        align="lrrrr",
        caption="Kernindicatoren naar regio: gewogen percentage (95%-betrouwbaarheidsinterval)",
    )
    panels = []
    for var, stat, cat, label in REGIONAL_SPECS:
        rows = _domain_rows(results, var, stat, "regio", cat)
        rows = [(lbl.replace("-Limburg", ""), r, n) for lbl, r, n in rows]
        panels.append((label, rows, _ref(results.value(var, stat, cat))))
    chart = panel_chart(
        panels,
        fig_dir / "enquete-regio.png",
        xlabel="Percentage (gewogen)",
        caption=(
            f"Kernindicatoren naar regio; de gestreepte lijn is het Limburgse percentage. {CI_NOTE}"
        ),
        alt_intro="Kleine puntgrafieken van acht kernindicatoren per regio.",
    )
    ct = results.crosstabs["regio_huisvesting"]
    zuid = results.value("huisvesting", "share", "4", domain_type="regio", domain="3")
    noord = results.value("huisvesting", "share", "1", domain_type="regio", domain="1")
    lead = (
        "Noord- en Midden-Limburg, met veel glastuinbouw en logistiek, hebben de meeste "
        "arbeidsmigranten op grootschalige locaties en vakantieparken"
    )
    if _pct(noord) and _pct(zuid):
        lead += (
            f" (Noord-Limburg: {_pct_ci(noord)} op een grootschalige locatie); in Zuid-Limburg "
            f"huurt {_pct_ci(zuid)} een reguliere woning."
        )
    else:
        lead += "."
    return (
        f"{lead}\n\n{table}\n\n"
        + _figure(chart.path, rel, chart.caption, chart.alt, "fig-enquete-regio")
        + "\n"
        + crosstab_md(
            results,
            ct.name,
            "Woonsituatie naar regio: gewogen percentage per regio (95%-betrouwbaarheidsinterval)",
            transpose=True,
        )
    )


# ----------------------------------------------------------------------
# Method annex
# ----------------------------------------------------------------------
def method_annex_md(results: SurveyResults) -> str:
    """Design, weighting (margins, convergence, trimming, deff), estimation and suppression."""
    w = results.weighting
    ds = results.design_summary
    design_rows = [
        {
            "Stratum (regio)": escape_md(r.stratum),
            "Respondenten": _n(r.respondents),
            "Locaties in steekproef": _n(r.psus),
            "Locaties in kader": _n(r.population_psus),
            "Steekproeffractie": f"{_num(100 * r.sampling_fraction)}%",
        }
        for r in ds.itertuples()
    ]
    design_table = pipe_table(
        pd.DataFrame(design_rows),
        align="lrrrr",
        caption="Steekproefopzet: strata, locaties (primaire eenheden) en steekproeffracties",
    )
    margin_tables = _margin_tables(results)
    history = ", ".join(_sci(x) for x in w.history[:6]) + (" …" if len(w.history) > 6 else "")
    synthetic = (
        "De gegevens zijn **synthetisch**: een programma heeft respondenten, locaties en "
        "populatieaantallen verzonnen om de werkwijze te laten zien. "
        if results.synthetic
        else ""
    )
    items = []
    for it in results.items:
        items.append(
            {
                "Onderwerp": escape_md(it.label),
                "Vraag": escape_md(results.questions.get(it.variable, it.variable)),
                "Gesteld aan": escape_md(it.universe or "iedereen"),
            }
        )
    item_table = pipe_table(
        pd.DataFrame(items), align="lll", caption="Vragen in dit rapport (codeboek)"
    )
    return f"""\
## Steekproef en ontwerp

{synthetic}De enquête is een gestratificeerde clustersteekproef. De strata zijn de drie regio's. Per regio is een aselecte steekproef getrokken van *locaties*: grootschalige huisvestingslocaties, vakantieparken en werkgevers. Op elke locatie zijn enkele arbeidsmigranten ondervraagd. In totaal deden {_n(results.n_respondents)} respondenten op {_n(ds["psus"].sum())} locaties mee. Omdat een flink deel van de locaties in het steekproefkader is getrokken, is bij de variantie een eindige-populatiecorrectie per regio toegepast.

{design_table}

## Weging

Het basisgewicht van een respondent is het omgekeerde van de kans om in de steekproef te komen: (locaties in het kader / locaties in de steekproef) × (arbeidsmigranten op de locatie / respondenten op de locatie). Daarna zijn de gewichten met *raking* (iteratief proportioneel aanpassen) afgestemd op twee populatiemarges: nationaliteit × regio en leeftijdsklasse × geslacht. Zo tellen groepen die minder vaak meededen (vrouwen, ouderen, andere nationaliteiten dan de Poolse) naar hun aandeel in de populatie mee.

- **Convergentie.** De eerste raking convergeerde na {w.iterations} ronden; de grootste relatieve afwijking van een marge per ronde was {history}. Na de laatste ronde is de grootste afwijking {_sci(w.max_margin_error)} (tolerantie {_sci(w.tol)}).
- **Aftoppen.** Gewichten boven {_num(w.trim_factor, 1)} keer het gemiddelde gewicht ({_num(w.trim_cap, 1)}) zijn afgetopt en het overschot is over de andere gewichten verdeeld; daarna is opnieuw geraked, tot de gewichten onder de grens bleven ({w.trim_cycles} rondes; {w.n_trimmed} gewichten afgetopt in de laatste ronde). De gewichten lopen van {_num(w.weight_min, 1)} tot {_num(w.weight_max, 1)}.
- **Design-effect van de weging (Kish).** {_num(w.deff_base, 2)} voor de basisgewichten, {_num(w.deff_raked, 2)} na raking en {_num(w.deff_final, 2)} na aftoppen. De effectieve steekproefomvang is daarmee ongeveer {_n(w.n_effective)} respondenten. Het design-effect van een schatting (kolom `deff` in de downloads) bevat daarnaast het effect van de clustering op locaties.

{margin_tables}

## Schattingen en onzekerheid

Alle percentages en gemiddelden zijn gewogen. De standaardfouten houden rekening met strata, clustering op locaties, de eindige-populatiecorrectie en de weging (Taylor-linearisatie; de weging als kalibratie met regressieresiduen). Betrouwbaarheidsintervallen (95%) gebruiken de t-verdeling met {results.df} vrijheidsgraden (locaties min strata; voor subgroepen de locaties en strata met respondenten in de groep). Percentages krijgen een logit-interval, dat binnen 0-100% blijft; bij precies 0% of 100% het Clopper-Pearson-interval. Gemiddelden krijgen een symmetrisch interval. Subgroepen (regio, nationaliteit, woonsituatie, gemeente) zijn geschat binnen het volledige ontwerp. Verschillen tussen groepen in een kruistabel zijn getoetst met de Rao-Scott-toets (tweede-orde correctie, F-verdeling). Bij Likert-vragen (vijf antwoorden) tonen de grafieken en tabellen per groep het aandeel in de twee hoogste antwoorden (top-2); de volledige verdeling en het gemiddelde op de schaal 1-5 staan alleen voor heel Limburg in de tabellen en downloads.

Overbewoning is afgeleid: het aantal personen in de woning of unit gedeeld door het aantal slaapkamers, ingedeeld in hoogstens 1, meer dan 1 tot en met 2, en meer dan 2 personen per slaapkamer. Dit rapport noemt meer dan twee personen per slaapkamer overbewoning; het is geen wettelijke norm.

## Onthulling (privacy)

{escape_md(results.rule_text_nl)} De grens is {results.threshold} respondenten per cel: voor percentages het aantal respondenten in de antwoordcategorie en in de groep, voor gemiddelden het aantal respondenten in de groep. Een groep met minder dan {results.threshold} respondenten wordt helemaal niet gepubliceerd. Cellen met 0 respondenten beschrijven niemand en blijven zichtbaar. Dezelfde regels gelden voor de CSV- en Excel-downloads.

{item_table}
"""


def _margin_tables(results: SurveyResults) -> str:
    """The raking margins: population, respondents and base-weighted totals per cell."""
    m = results.weighting.margins
    labels = results.labels
    t = results.threshold
    out = []
    for margin, (first, second), caption in (
        (
            "nationaliteit_regio",
            ("nationaliteit", "regio"),
            "Marge nationaliteit × regio: populatie, respondenten en gewogen aantal met het "
            "basisgewicht (vóór de weging)",
        ),
        (
            "leeftijdsklasse_geslacht",
            ("leeftijdsklasse", "geslacht"),
            "Marge leeftijdsklasse × geslacht: populatie, respondenten en gewogen aantal met "
            "het basisgewicht (vóór de weging)",
        ),
    ):
        rows = []
        for r in m[m["margin"] == margin].itertuples():
            a, b = r.cell.split("|")
            rows.append(
                {
                    first.capitalize(): escape_md(labels[first][a]),
                    second.capitalize(): escape_md(labels[second][b]),
                    "Populatie": _n(r.population),
                    "Respondenten": _n(r.respondents if r.respondents >= t else None),
                    "Basisgewicht": _n(r.base_total if r.respondents >= t else None),
                }
            )
        out.append(pipe_table(pd.DataFrame(rows), align="llrrr", caption=caption))
    w = results.weighting
    return (
        "\n\n".join(out)
        + f"\n\nNa de weging zijn de gewogen aantallen in elke cel gelijk aan de populatie "
        f"(grootste relatieve afwijking {_sci(w.max_margin_error)}).\n"
    )


def provenance_md(results: SurveyResults) -> str:
    """Package version, git commit, disclosure threshold and input checksums."""
    from indicators import __version__
    from indicators.store import git_commit

    lines = [
        f"- Pakket: limburg-indicators {escape_md(__version__)}",
        f"- Git-commit: `{git_commit()}`",
        f"- Onthullingsgrens: {results.threshold} respondenten per cel",
        f"- Gegevens: {escape_md(results.title)}",
    ]
    inputs = pipe_table(
        pd.DataFrame(
            [
                {"Bestand": f"`{escape_md(k)}`", "SHA-256": f"`{v[:16]}…`"}
                for k, v in sorted(results.inputs.items())
            ]
        ),
        align="ll",
        caption="Invoerbestanden van de enquête en hun controlegetallen",
    )
    return "\n".join(lines) + "\n\n" + inputs + "\n"


def _sci(x: float) -> str:
    """Small numbers in Dutch scientific notation: ``6,2 × 10^-10^``."""
    if x == 0:
        return "0"
    exp = int(np.floor(np.log10(abs(x))))
    if -3 <= exp <= 3:
        return fmt_number(x, max(0, 3 - exp))
    return f"{fmt_number(x / 10**exp, 1)} × 10^{exp}^"


# ----------------------------------------------------------------------
# Area reports
# ----------------------------------------------------------------------
def area_section_md(results: SurveyResults, municipality_code: str, municipality_name: str) -> str:
    """Survey section for a per-area report, or a sentence that the sample does not allow it.

    The estimates are those of the area's municipality (gemeente), computed
    once for all municipalities in :func:`run_survey_analysis`; no heading
    (the area report supplies it).
    """
    area = area_survey(results, municipality_code)
    name = escape_md(municipality_name or area.municipality_name)
    synthetic = " (synthetische demonstratiegegevens)" if results.synthetic else ""
    if area.estimates is None:
        reason = escape_md(area.reason or "")
        return (
            f"De enquête onder arbeidsmigranten in Limburg{synthetic} laat voor {name} geen "
            f"uitspraken toe. {reason}\n"
        )
    specs = [
        ("huisvesting", "share", "1", "Woont op een grootschalige huisvestingslocatie"),
        ("huisvesting", "share", "2", "Woont op een vakantiepark"),
        ("overbewoning", "share", "3", "Meer dan 2 personen per slaapkamer"),
        ("snf_keurmerk", "share", "1", "SNF-keurmerk (volgens bewoner)"),
        ("uitzendbureau", "share", "1", "In dienst van een uitzendbureau"),
        ("taal_nl", "top2", "top2", "Spreekt (zeer) goed Nederlands"),
        ("huisarts", "share", "1", "Ingeschreven bij een huisarts"),
        ("contact_nl", "top2", "top2", "Vaak contact met Nederlanders"),
        ("blijven", "share", "1", "Van plan te blijven"),
    ]
    est = area.estimates
    rows = []
    for var, stat, cat, label in specs:
        hit = est[(est["variable"] == var) & (est["statistic"] == stat) & (est["category"] == cat)]
        row = None if hit.empty else hit.iloc[0]
        rows.append(
            {
                "Indicator": escape_md(label),
                name: _value_ci(row),
                "n": _n(None if row is None else row["n"]),
                "Limburg": _value_ci(results.value(var, stat, cat)),
            }
        )
    table = pipe_table(
        pd.DataFrame(rows),
        align="lrrr",
        caption=(
            f"Arbeidsmigranten in {name} en in Limburg: gewogen percentage "
            "(95%-betrouwbaarheidsinterval); n = ongewogen aantal respondenten"
        ),
    )
    small = (
        f" De steekproef in {name} is klein: de marges zijn breed, lees de cijfers als indicatie."
        if area.n is not None and area.n < 50
        else ""
    )
    return (
        f"In de enquête onder arbeidsmigranten in Limburg{synthetic} wonen {_n(area.n)} "
        f"respondenten in {name}. De tabel zet hun antwoorden naast die van heel Limburg; "
        f"cellen met minder dan {results.threshold} respondenten staan als een punt (.).{small}"
        f"\n\n{table}\n"
    )


# ----------------------------------------------------------------------
# Downloads
# ----------------------------------------------------------------------
DOWNLOAD_STEM = "enquete-arbeidsmigranten"


def _download_frame(results: SurveyResults) -> pd.DataFrame:
    e = results.estimates.copy()
    scale = np.where(e["statistic"] == "mean", 1.0, 100.0)
    out = pd.DataFrame(
        {
            "chapter": e["chapter"].map(CHAPTERS),
            "variable": e["variable"],
            "label": e["label"],
            "question": e["question"],
            "statistic": e["statistic"].map(STAT_NL),
            "breakdown": e["domain_type"].map(DOMAIN_TYPES),
            "group_code": e["domain"],
            "group": e["domain_label"],
            "category_code": e["category"],
            "category": e["category_label"],
            "value": e["estimate"] * scale,
            "unit": [
                "%" if s != "mean" else (results.item(v).unit or "score")
                for s, v in zip(e["statistic"], e["variable"], strict=True)
            ],
            "se": e["se"] * scale,
            "lower_ci": e["lower_ci"] * scale,
            "upper_ci": e["upper_ci"] * scale,
            "deff": e["deff"],
            "n": e["n"],
            "n_category": e["n_category"],
            "df": e["df"],
            "confidence": e["confidence"],
            "method": e["method"],
            "suppressed": np.where(e["suppressed"], "ja", "nee"),
        }
    )
    return out


def _crosstab_frame(results: SurveyResults) -> pd.DataFrame:
    rows = []
    for ct in results.crosstabs.values():
        pct, lo, hi, counts, n = ct.percent, ct.lower, ct.upper, ct.counts, ct.row_n
        for r in pct.index:
            for c in pct.columns:
                rows.append(
                    {
                        "crosstab": ct.name,
                        "row_variable": ct.row,
                        "row": r,
                        "column_variable": ct.col,
                        "column": c,
                        "row_percent": pct.at[r, c],
                        "lower_ci": lo.at[r, c],
                        "upper_ci": hi.at[r, c],
                        "n_cell": counts.at[r, c],
                        "n_row": n.get(r),
                        "rao_scott_f": ct.statistic,
                        "ndf": ct.ndf,
                        "ddf": ct.ddf,
                        "p_value": ct.p_value,
                        "method": ct.method,
                    }
                )
    return pd.DataFrame(rows)


README_SHEET = (
    "Enquête arbeidsmigranten Limburg: gewogen schattingen met 95%-betrouwbaarheidsinterval.",
    "Een punt (.) betekent: niet gepubliceerd (te weinig respondenten) of niet van toepassing.",
    "n = ongewogen aantal respondenten in de groep met een antwoord; n_category = in de "
    "antwoordcategorie.",
)


def write_downloads(results: SurveyResults, out_dir: Path) -> list[Path]:
    """Write the published estimates and crosstabs as CSV and (if openpyxl is installed) Excel.

    The files hold exactly the suppressed numbers of the report: suppressed
    cells are ``.``, as are numbers of respondents below the threshold.

    Returns
    -------
    list of Path
        The CSV files and, when openpyxl is available, the ``.xlsx`` workbook.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    est = _download_frame(results)
    cross = _crosstab_frame(results)
    paths = [
        out_dir / f"{DOWNLOAD_STEM}-schattingen.csv",
        out_dir / f"{DOWNLOAD_STEM}-kruistabellen.csv",
    ]
    opts = {"index": False, "na_rep": MISSING, "lineterminator": "\n", "float_format": "%.6g"}
    est.to_csv(paths[0], **opts)
    cross.to_csv(paths[1], **opts)
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return paths
    xlsx = out_dir / f"{DOWNLOAD_STEM}.xlsx"
    notes = list(README_SHEET) + [results.rule_text_nl]
    if results.synthetic:
        notes.insert(0, "SYNTHETISCHE DEMONSTRATIEGEGEVENS: geen echte cijfers.")
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        pd.DataFrame({"Toelichting": notes}).to_excel(writer, sheet_name="Toelichting", index=False)
        _excel_values(est).to_excel(writer, sheet_name="Schattingen", index=False)
        _excel_values(cross).to_excel(writer, sheet_name="Kruistabellen", index=False)
    from indicators.xlsx import make_reproducible

    paths.append(make_reproducible(xlsx))  # no wall-clock times: two builds are identical
    return paths


def _excel_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing (suppressed) numbers as ``.``, like the CSV files."""
    out = frame.astype(object).where(frame.notna(), MISSING)
    return out


def downloads_md(paths: list[Path], rel: str = "downloads") -> str:
    """Bullet list of the download files, with a note when Excel is not available."""
    descr = {
        "schattingen.csv": "alle gepubliceerde schattingen (percentages en gemiddelden) per "
        "groep, met betrouwbaarheidsinterval, n en methode",
        "kruistabellen.csv": "de kruistabellen met rijpercentages en de Rao-Scott-toets",
        ".xlsx": "dezelfde tabellen als Excel-werkmap, met een toelichting",
    }
    lines = []
    for p in paths:
        key = next((k for k in descr if p.name.endswith(k)), "")
        lines.append(f"- [{escape_md(p.name)}]({rel}/{p.name}): {descr.get(key, '')}")
    if not any(p.suffix == ".xlsx" for p in paths):
        lines.append("- Een Excel-versie ontbreekt: het pakket openpyxl is niet geïnstalleerd.")
    return "\n".join(lines) + "\n"
