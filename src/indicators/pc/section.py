"""The P&C report section: status tables, targets, budget, milestones and progress.

Statuses are written as a symbol *and* a word (``✓ Groen``, ``! Oranje``, ``✗ Rood``), so
they read the same in black and white and for colour-blind readers. Every string that
comes from the data goes through :func:`~indicators.present.tables.escape_md`.

With ``register=`` (the output of :func:`indicators.registers.pc_inputs`) the computed
statuses use the subsidy register where :func:`~indicators.pc.register.apply_register`
says so; the tables still show the document's own figures, with the register's figure
in an extra column and a Dutch note per linked item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from indicators.exceptions import InputError  # noqa: E402
from indicators.pc.model import PCReport, Target  # noqa: E402
from indicators.pc.register import (  # noqa: E402
    RegisterApplied,
    RegisterInputs,
    apply_register,
)
from indicators.pc.status import RULES, PCStatus, StatusRules, assess  # noqa: E402
from indicators.present.charts import RC, save  # noqa: E402
from indicators.present.formatting import fmt_date, fmt_eur_mln, fmt_number  # noqa: E402
from indicators.present.tables import escape_md, pipe_table  # noqa: E402

__all__ = ["ASPECT_LABEL", "STATUS_LABEL", "pc_progress_chart", "pc_section_md", "status_label"]

#: Status as symbol + word: distinct in black and white.
STATUS_LABEL = {"groen": "✓ Groen", "oranje": "! Oranje", "rood": "✗ Rood"}
ASPECT_LABEL = {"kwaliteit": "Kwaliteit", "tijd": "Tijd", "geld": "Geld"}
COMPARISON_NL = {">=": "ten minste", "<=": "ten hoogste", "==": "gelijk aan"}
MISSING_NOTE = "Een punt (.) betekent: niet vastgelegd in de gegevens."

# Okabe-Ito: realisation blue with filled markers, target vermillion dashed.
REALISED_STYLE = {"color": "#0072B2", "linestyle": "-", "marker": "o", "linewidth": 1.6}
BOUND_STYLE = {"color": "#0072B2", "linestyle": "", "marker": "^", "markersize": 7}
TARGET_STYLE = {
    "color": "#D55E00",
    "linestyle": "--",
    "marker": "D",
    "markerfacecolor": "white",
    "linewidth": 1.2,
}


def status_label(status: str) -> str:
    """'✓ Groen', '! Oranje' or '✗ Rood'.

    >>> status_label("rood")
    '✗ Rood'
    """
    return STATUS_LABEL[status]


def _attr(text: str) -> str:
    """Make text safe inside a double-quoted markdown attribute."""
    return (
        text.replace("\\", "")
        .replace('"', "'")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("{", "(")
        .replace("}", ")")
        .replace("\n", " ")
    )


def _dot(text: str | None) -> str:
    return escape_md(text) if text else "."


def _change(x: float | None) -> str:
    if x is None:
        return "."
    return ("+ " if x >= 0 else "- ") + fmt_eur_mln(abs(x))


def _amount(x: float | None) -> str:
    return "." if x is None else fmt_eur_mln(x)


def _pct(x: float) -> str:
    return fmt_number(100 * x, 0) + "%"


# --------------------------------------------------------------------------- tables


def _register_basis(applied: RegisterApplied | None, aspect: str) -> str:
    """' Telling uit het subsidieregister (...).' when the aspect's status rests on it."""
    if applied is None or not any(c.used == "register" for c in applied.checks_for(aspect)):
        return ""
    what = "Telling" if aspect == "kwaliteit" else "Realisatie"
    return f" {what} uit {applied.register.label_nl}."


def _status_table(st: PCStatus, applied: RegisterApplied | None = None) -> str:
    rows = []
    for a in st.aspects:
        final = status_label(a.final) + (" (handmatig)" if a.override else "")
        rows.append(
            {
                "Aspect": ASPECT_LABEL[a.aspect],
                "Gepubliceerd": status_label(a.reported),
                "Berekend": status_label(a.computed),
                "Eindoordeel": final,
                "Toelichting bij de berekening": escape_md(
                    a.reason + _register_basis(applied, a.aspect)
                ),
            }
        )
    return pipe_table(
        pd.DataFrame(rows),
        align="lllll",
        caption=f"{escape_md(st.report.title)}: status Kwaliteit, Tijd en Geld",
    )


def _override_notes(st: PCStatus, applied: RegisterApplied | None = None) -> str:
    out = []
    for a in st.aspects:
        o = a.override
        if o is None:
            continue
        out.append(
            f"**Handmatige status {ASPECT_LABEL[a.aspect]}: {status_label(o.status)}** "
            f"(berekend: {status_label(a.computed)}; vastgesteld door {escape_md(o.by)} "
            f"op {fmt_date(o.date)}). Reden: {escape_md(o.reason)}"
        )
    differ = [
        ASPECT_LABEL[a.aspect]
        + (" (berekend met het subsidieregister)" if _register_basis(applied, a.aspect) else "")
        for a in st.aspects
        if not a.matches_reported
    ]
    if differ:
        out.append(
            "De berekende status wijkt af van de gepubliceerde status bij: "
            + ", ".join(differ)
            + "."
        )
    return "\n\n".join(out)


def _norm(t: Target) -> str:
    if t.target is None or t.comparison is None:
        return "geen streefwaarde"
    s = f"{COMPARISON_NL[t.comparison]} {fmt_number(t.target, t.decimals)}"
    if t.start is not None and t.deadline is not None:
        s += f" ({t.start.label_nl} t/m {t.deadline.label_nl})"
    elif t.deadline is not None:
        s += f" (uiterlijk {t.deadline.label_nl})"
    return s


def _realised(t: Target) -> str:
    if t.realised is None:
        return "onbekend"
    s = fmt_number(t.realised, t.decimals)
    if t.realised_bound == "more_than":
        s = f"meer dan {s}"
    if t.realised_at is not None:
        s += f" ({t.realised_at.label_nl})"
    return s


def _targets_table(st: PCStatus, r: PCReport, applied: RegisterApplied | None = None) -> str:
    """The document's targets as published (``r``), judged as computed (``st``)."""
    items = st.kwaliteit.items
    with_register = applied is not None and bool(applied.checks_for("kwaliteit"))
    rows = []
    for i, (t, it) in enumerate(zip(r.targets, items, strict=True)):
        judged = f"{status_label(it.status)}: {it.note}" if it.status else it.note
        row = {
            "Streefwaarde": escape_md(t.label_nl),
            "Norm": _norm(t),
            "Realisatie": _realised(t),
        }
        if with_register:
            c = applied.check_for_target(i)
            row["Subsidieregister"] = (
                "."
                if c is None
                else f"{fmt_number(c.register_value, t.decimals)} ({applied.register.tag_nl})"
            )
            if c is not None:
                judged += "; telling uit het subsidieregister"
                if c.norm_source == "register":
                    judged += ", streefwaarde uit de registerconfiguratie"
        row |= {
            "Eenheid": escape_md(t.unit),
            "Beoordeling": escape_md(judged),
            "Bron": escape_md(t.source),
        }
        rows.append(row)
    return pipe_table(
        pd.DataFrame(rows),
        align="l" * len(rows[0]),
        caption=f"{escape_md(r.title)}: kwantitatieve doelen",
    )


def _milestones_table(st: PCStatus) -> str:  # milestones do not change with the register
    r = st.report
    rows = []
    for m, it in zip(r.milestones, st.tijd.items, strict=True):
        if m.achieved is True:
            achieved = "ja (datum niet vermeld)"
        elif m.achieved is None:
            achieved = "nee"
        else:
            achieved = m.achieved.label_nl
        judged = f"{status_label(it.status)}: {it.note}" if it.status else it.note
        rows.append(
            {
                "Mijlpaal": escape_md(m.name),
                "Termijn": m.due.label_nl if m.due else ".",
                "Gehaald": achieved,
                "Beoordeling": escape_md(judged),
                "Toelichting": _dot(m.text),
            }
        )
    return pipe_table(pd.DataFrame(rows), align="lllll", caption=f"{escape_md(r.title)}: mijlpalen")


def _budget_table(r: PCReport, applied: RegisterApplied | None = None) -> str:
    """The document's budget lines as published, with the register's amount if linked."""
    with_register = applied is not None and bool(applied.checks_for("geld"))
    rows = []
    for j, b in enumerate(r.budget.lines):
        row = {
            "Onderdeel": escape_md(b.label),
            "Begroting": _amount(b.budget),
            "Wijziging": _change(b.change),
            "Realisatie": _amount(b.realisation),
        }
        if with_register:
            c = applied.check_for_line(j)
            row["Subsidieregister"] = (
                "." if c is None else f"{fmt_eur_mln(c.register_value)} ({applied.register.tag_nl})"
            )
        row |= {
            "Aard": {True: "structureel", False: "incidenteel", None: "."}[b.structural],
            "Toelichting": _dot(b.reason),
        }
        rows.append(row)
    net = r.budget.net_change
    if net is not None and len(r.budget.lines) > 1:
        rows.append(
            {k: "" for k in rows[0]}
            | {
                "Onderdeel": "**Totaal wijziging**",
                "Wijziging": f"**{_change(net)}**",
            }
        )
    return pipe_table(
        pd.DataFrame(rows),
        align="lrrr" + ("r" if with_register else "") + "ll",
        caption=f"{escape_md(r.title)}: budget (bedragen in miljoenen euro)",
    )


def _aspect_text(text: str) -> str:
    return escape_md(text) if text else "Het document geeft geen toelichting."


# --------------------------------------------------------------------------- per moment


def _register_notes(applied: RegisterApplied | None, aspect: str) -> list[str]:
    if applied is None or not applied.matched:
        return []
    return [f"*{escape_md(label)}:* {escape_md(note)}" for label, note in applied.notes_for(aspect)]


def _moment_md(st: PCStatus, r: PCReport, applied: RegisterApplied | None = None) -> str:
    """One P&C moment: ``r`` is the report as published, ``st`` its computed status."""
    parts = [
        f"### {escape_md(r.title)}",
        f"Document: {escape_md(r.document)}. Peildatum: {r.reference_date.label_nl}.",
        "#### Status Kwaliteit, Tijd en Geld",
        _status_table(st, applied),
    ]
    notes = _override_notes(st, applied)
    if notes:
        parts.append(notes)
    parts.append("#### Kwaliteit")
    if r.goals:
        parts.append("Doelen:\n\n" + "\n".join(f"- {escape_md(g)}" for g in r.goals))
    parts.append(_aspect_text(r.aspects.kwaliteit.text))
    if r.targets:
        parts.append(_targets_table(st, r, applied))
    parts += _register_notes(applied, "kwaliteit")
    parts.append("#### Tijd")
    parts.append(_aspect_text(r.aspects.tijd.text))
    if r.milestones:
        parts.append(_milestones_table(st) + "\n\n" + MISSING_NOTE)
    parts.append("#### Geld")
    parts.append(_aspect_text(r.aspects.geld.text))
    if r.budget.lines:
        parts.append(_budget_table(r, applied) + "\n\n" + MISSING_NOTE)
    parts += _register_notes(applied, "geld")
    if r.notes:
        parts.append(f"*Noot bij de gegevens:* {escape_md(r.notes)}")
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- progress


def _progress_table(statuses: Sequence[PCStatus]) -> str:
    rows = []
    for st in statuses:
        row = {
            "Moment": escape_md(st.report.title),
            "Peildatum": st.report.reference_date.label_nl,
        }
        for a in st.aspects:
            row[ASPECT_LABEL[a.aspect]] = status_label(a.final) + (
                " (handmatig)" if a.override else ""
            )
        differ = [ASPECT_LABEL[a.aspect] for a in st.aspects if not a.matches_reported]
        row["Berekend gelijk aan gepubliceerd"] = (
            "ja" if not differ else "nee (" + ", ".join(differ) + ")"
        )
        rows.append(row)
    return pipe_table(
        pd.DataFrame(rows),
        align="llllll",
        caption="Eindoordeel per P&C-moment (Kwaliteit, Tijd, Geld)",
    )


def _target_ids(reports: Sequence[PCReport]) -> list[str]:
    ids: list[str] = []
    for r in reports:
        for t in r.targets:
            if t.id not in ids:
                ids.append(t.id)
    return ids


def pc_progress_chart(reports: Sequence[PCReport], path: Path) -> tuple[Path, str]:
    """Small multiples: realised value and target per P&C moment, one panel per target.

    Realised values are blue circles on a solid line, "more than" values blue triangles,
    targets vermillion open diamonds on a dashed line; unknown values are written as
    "onbekend". Saved reproducibly (no software metadata). Returns the path and alt text.
    """
    ids = _target_ids(reports)
    x_labels = [f"{r.title.split()[0]}\n{r.year}" for r in reports]
    xs = list(range(len(reports)))
    ncols = min(3, max(1, len(ids)))
    nrows = max(1, -(-len(ids) // ncols))
    alt = [
        f"Realisatie en streefwaarde per P&C-moment voor product {reports[0].product.id}."
        if reports
        else "Geen P&C-gegevens."
    ]
    fmt0 = FuncFormatter(lambda v, _pos: fmt_number(v, 0))
    with plt.rc_context(RC):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(2.3 * ncols + 0.6, 2.2 * nrows + 0.6), squeeze=False
        )
        for ax, tid in zip(axes.flat, ids, strict=False):
            per = [next((t for t in r.targets if t.id == tid), None) for r in reports]
            label = next(t.label_nl for t in per if t is not None)
            dec = next(t.decimals for t in per if t is not None)
            known = [(x, t) for x, t in zip(xs, per, strict=True) if t and t.realised is not None]
            exact = [(x, t.realised) for x, t in known if t.realised_bound == "exact"]
            bound = [(x, t.realised) for x, t in known if t.realised_bound == "more_than"]
            if len(known) > 1:
                line = {**REALISED_STYLE, "marker": ""}
                ax.plot([x for x, _ in known], [t.realised for _, t in known], **line)
            if exact:
                ax.plot([x for x, _ in exact], [v for _, v in exact], zorder=4, **REALISED_STYLE)
            if bound:
                ax.plot([x for x, _ in bound], [v for _, v in bound], zorder=4, **BOUND_STYLE)
            for x, t in known:
                pre = "> " if t.realised_bound == "more_than" else ""
                ax.annotate(
                    pre + fmt_number(t.realised, dec),
                    (x, t.realised),
                    xytext=(7, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=7,
                    color="#000000",
                )
            goals = [(x, t.target) for x, t in zip(xs, per, strict=True) if t and t.target]
            if goals:
                ax.plot([x for x, _ in goals], [v for _, v in goals], zorder=3, **TARGET_STYLE)
            top = max([v for _, v in goals] + [t.realised for _, t in known] + [1.0])
            ax.set_ylim(0, top * 1.25)
            bits = []
            for x, t, r in zip(xs, per, reports, strict=True):
                if t is None:
                    ax.text(x, top * 0.06, "niet gerapporteerd", ha="center", fontsize=6.5)
                    bits.append(f"{r.title}: niet gerapporteerd")
                elif t.realised is None:
                    ax.text(x, top * 0.06, "onbekend", ha="center", fontsize=6.5)
                    bits.append(f"{r.title}: realisatie onbekend")
                else:
                    pre = "meer dan " if t.realised_bound == "more_than" else ""
                    bits.append(f"{r.title}: {pre}{fmt_number(t.realised, dec)}")
            goal_txt = [_norm(t) for t in per if t is not None and t.target is not None]
            alt.append(
                f"{label}"
                + (f" (streefwaarde {goal_txt[-1]})" if goal_txt else " (geen streefwaarde)")
                + ": "
                + "; ".join(bits)
                + "."
            )
            ax.set_title(_wrap(label, 30), loc="left")
            ax.set_xticks(xs, x_labels, fontsize=7)
            ax.set_xlim(-0.5, len(xs) - 0.5)
            ax.yaxis.set_major_formatter(fmt0)
            ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        for ax in list(axes.flat)[len(ids) :]:
            ax.set_visible(False)
        legend = [
            Line2D([], [], label="realisatie", **REALISED_STYLE),
            Line2D([], [], label="meer dan (ondergrens)", **BOUND_STYLE),
            Line2D([], [], label="streefwaarde", **TARGET_STYLE),
        ]
        fig.legend(handles=legend, loc="lower center", ncol=3, fontsize=7.5)
        fig.tight_layout(rect=(0, 0.1 if nrows == 1 else 0.05, 1, 1))
        save(fig, path)
    return path, " ".join(alt)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


# --------------------------------------------------------------------------- rules


def rules_md(rules: StatusRules = RULES) -> str:
    """The status rules in Dutch, with the thresholds in use."""
    o = _pct(rules.kwaliteit_oranje_min_attainment)
    m = rules.tijd_oranje_max_delay_months
    g1, g2 = _pct(rules.geld_groen_max_deviation), _pct(rules.geld_oranje_max_deviation)
    return "\n".join(
        [
            "De berekende status volgt uit de gegevens, per uitzondering: een aspect is "
            "Groen tenzij de gegevens een afwijking laten zien; de toelichting zegt op "
            "hoeveel onderdelen het oordeel rust. Een handmatige status gaat voor, met "
            "reden.",
            "",
            "- **Kwaliteit**: ✓ Groen als elke kwantitatieve streefwaarde gehaald is of "
            "naar rato van de verstreken looptijd op schema ligt; ! Oranje als een "
            f"streefwaarde niet gehaald is maar op ten minste {o} ervan ligt, of als de "
            "realisatie na de termijn niet gerapporteerd is; ✗ Rood als een streefwaarde "
            f"onder {o} blijft.",
            "- **Tijd**: ✓ Groen als elke mijlpaal waarvan de termijn op de peildatum "
            f"verstreken was op tijd gehaald is; ! Oranje als er een ten hoogste {m} "
            f"maanden te laat gehaald is; ✗ Rood als er een meer dan {m} maanden te laat "
            "of niet gehaald is.",
            f"- **Geld**: ✓ Groen als de realisatie ten hoogste {g1} van de (gewijzigde) "
            f"begroting afwijkt, ! Oranje tot en met {g2}, ✗ Rood daarboven. Zolang de "
            "realisatie onbekend is, telt of elke verhoging van het budget is toegelicht; "
            "niet-toegelichte verhogingen worden met dezelfde grenzen tegen de begroting "
            "gelegd (Oranje als de begroting onbekend is).",
        ]
    )


# --------------------------------------------------------------------------- section


def _register_summary(
    reg: RegisterInputs, reports: Sequence[PCReport], applied: Sequence[RegisterApplied | None]
) -> str:
    """Which moments the register fed, and the precedence rule, in Dutch."""
    used = [r.title for r, a in zip(reports, applied, strict=True) if a and a.used]
    shown = [r.title for r, a in zip(reports, applied, strict=True) if a and a.matched]
    src = escape_md(reg.label_nl[0].upper() + reg.label_nl[1:])
    if not shown:
        return (
            f"*Subsidieregister:* {src} is niet gebruikt: geen P&C-moment van dit product "
            "rapporteert over die datum."
        )
    if used:
        head = (
            f"*Subsidieregister:* de berekende status gebruikt {escape_md(reg.label_nl)} bij: "
            f"{escape_md(', '.join(used))}."
        )
    else:
        head = (
            f"*Subsidieregister:* {src} is ter vergelijking getoond bij "
            f"{escape_md(', '.join(shown))}; geen berekende status steunt erop."
        )
    return (
        head + " De cijfers en statussen van de P&C-documenten staan zoals gepubliceerd. "
        "Voor de berekende status Kwaliteit telt het register (een exacte telling op de "
        "peildatum); voor Geld het document (de financiële administratie), tenzij het "
        "document geen realisatie noemt. Waar register en document verschillen, staat dat "
        "bij het moment."
    )


def pc_section_md(
    reports: Sequence[PCReport],
    product_id: str,
    fig_dir: Path,
    rel: str,
    *,
    rules: StatusRules = RULES,
    register: RegisterInputs | Mapping[str, Any] | None = None,
) -> str:
    """The P&C section for one product, as markdown starting at heading level 2.

    Parameters
    ----------
    reports : sequence of PCReport
        P&C reports (e.g. from :func:`~indicators.pc.load_pc`); those of other products
        are ignored.
    product_id : str
        Product to show, e.g. ``"2.2.1"``.
    fig_dir : Path
        Directory the progress chart is written to.
    rel : str
        Path of ``fig_dir`` relative to the document, used in the image link.
    rules : StatusRules, optional
        Thresholds of the status rules.
    register : dict, optional
        The output of :func:`indicators.registers.pc_inputs`. Applied with
        :func:`~indicators.pc.register.apply_register` to each report whose figures
        refer to its as-of date: linked targets are computed from the register's count
        (Kwaliteit), linked budget lines without a realisation from its amount (Geld).
        The document's statuses, counts and amounts are still shown as published; the
        register's figures appear in an extra column and in Dutch notes that say whether
        they agree, marked as synthetic for the demo register. A paragraph under the
        progress table says which moments used the register, or that none did.

    Returns
    -------
    str
        Markdown (pipe tables, one figure ``#fig-pc-progress``).
    """
    mine = sorted((r for r in reports if r.product.id == product_id), key=PCReport.sort_key)
    if not mine:
        known = sorted({r.product.id for r in reports})
        raise InputError(f"no P&C reports for product '{product_id}'; known products: {known}")
    applied: list[RegisterApplied | None] = (
        [apply_register(r, register) for r in mine] if register is not None else [None] * len(mine)
    )
    statuses = [assess(a.effective if a else r, rules) for r, a in zip(mine, applied, strict=True)]
    product = mine[-1].product
    fname = f"pc-{product.id.replace('.', '-')}-voortgang.png"
    path, alt = pc_progress_chart(mine, Path(fig_dir) / fname)
    caption = f"Product {escape_md(product.id)}: realisatie en streefwaarden per P&C-moment"
    parts = [
        f"## Planning en control: product {escape_md(product.id)} {escape_md(product.name)}",
        "Per P&C-moment de status van Kwaliteit, Tijd en Geld zoals gepubliceerd en zoals "
        "berekend uit de vastgelegde gegevens (regels onderaan deze paragraaf), met de "
        "kwantitatieve doelen, de mijlpalen en het budget.",
        "### Voortgang over de P&C-momenten",
        _progress_table(statuses),
    ]
    if register is not None:
        parts.append(_register_summary(RegisterInputs.parse(register), mine, applied))
    parts.append(f'![{caption}]({rel}/{path.name}){{#fig-pc-progress fig-alt="{_attr(alt)}"}}')
    parts += [_moment_md(st, r, a) for st, r, a in zip(statuses, mine, applied, strict=True)]
    parts += ["### Hoe de status wordt berekend", rules_md(rules)]
    return "\n\n".join(parts) + "\n"
