"""Trendbreuk report fragments: the province chapter and the per-area section.

Like the other ``present`` modules these functions only select and lay out
what :func:`indicators.trendbreak.compute_trendbreak` computed once for all
areas; they write the figures and return Dutch markdown (pipe tables,
headings from ``##``, every figure with alt text, every data string through
:func:`~indicators.present.tables.escape_md`).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from indicators.config import Catalogue
from indicators.present import charts
from indicators.present.area import join_nl
from indicators.present.formatting import fmt_number
from indicators.present.tables import escape_md, md_attr, pipe_table
from indicators.trendbreak import TrendBreakResults

__all__ = [
    "area_trendbreak_md",
    "event_study_chart",
    "gap_panels_chart",
    "province_trendbreak_md",
]

# Okabe-Ito colours; every series also has its own line style and marker.
TB_STYLES = {
    "gap": {"color": "#000000", "linestyle": "-", "marker": "o", "linewidth": 1.6, "zorder": 5},
    "fitted": {
        "color": "#0072B2", "linestyle": "-.", "marker": "^", "linewidth": 1.3, "zorder": 4,
        "markerfacecolor": "white", "markersize": 3.0,
    },
    "counterfactual": {
        "color": "#D55E00", "linestyle": "--", "marker": "v", "linewidth": 1.3, "zorder": 3,
        "markerfacecolor": "white", "markersize": 3.0,
    },
    "target": {
        "color": "#009E73", "linestyle": ":", "marker": "s", "linewidth": 1.6, "zorder": 3,
        "markerfacecolor": "white", "markersize": 2.6,
    },
    "projection": {"color": "#D55E00", "linestyle": "", "marker": "D", "zorder": 6},
}  # fmt: skip
START_LINE = {"color": "#555555", "linewidth": 0.9, "linestyle": (0, (1, 2))}
# Data break: reddish purple, long dash-dot, drawn between the last old and the first new year.
BREAK_LINE = {"color": "#CC79A7", "linewidth": 1.3, "linestyle": (0, (6, 2, 1, 2))}
P_ALPHA = 0.05
MODEL_LABEL = "modelschatting"


# --------------------------------------------------------------------------- helpers


def _settings(tb: TrendBreakResults, catalogue: Catalogue) -> dict:
    cfg = tb.meta.get("config") if isinstance(tb.meta, dict) else None
    if not cfg:
        from indicators.trendbreak import load_trendbreak_config

        cfg = load_trendbreak_config(catalogue=catalogue).model_dump(mode="json")
    return cfg


def _absent_md(tb: TrendBreakResults, cfg: dict, area: str | None = None) -> str:
    """Why there is no gap at all: the data have no figures for Nederland (or the region).

    ``area`` is an area slug (its gap needs Nederland only); ``None`` is the region.
    """
    absent = tb.meta.get("absent_entities") if isinstance(tb.meta, dict) else None
    need = [cfg["national"]] if area else [cfg["region"], cfg["national"]]
    lack = [k for k in need if k in (absent or [])]
    if not lack:
        return ""
    names = ["Nederland" if k == cfg["national"] else escape_md(_name(tb, k)) for k in lack]
    return (
        f"De gebruikte gegevens bevatten geen cijfers voor {join_nl(names)}. Zonder die "
        "vergelijkingscijfers is er geen kloof te berekenen, dus ook geen trendbreukanalyse en "
        "geen oordeel over het doel.\n"
    )


def _specs(cfg: dict, catalogue: Catalogue) -> list[dict]:
    """Configured indicators that are in the catalogue, with labels and formats."""
    out = []
    for s in cfg["indicators"]:
        ind = catalogue.by_id.get(s["id"])
        if ind is None:
            continue
        unit = s.get("unit_short", "")
        out.append({**s, "label": ind.label_nl, "ind": ind, "unit_sfx": f" {unit}" if unit else ""})
    return out


def _num(x: float, d: int, *, sign: bool = False) -> str:
    return fmt_number(None if x is None or pd.isna(x) else float(x), d, sign=sign)


def _ci(est: float, lo: float, hi: float, d: int, *, sign: bool = False) -> str:
    """``-0,05 (-0,08 tot -0,02)``; without an interval just the estimate."""
    if pd.isna(est):
        return "."
    if pd.isna(lo) or pd.isna(hi):
        return _num(est, d, sign=sign)
    return f"{_num(est, d, sign=sign)} ({_num(lo, d, sign=sign)} tot {_num(hi, d, sign=sign)})"


def _p(p: float) -> str:
    if pd.isna(p):
        return "."
    return "< 0,001" if p < 0.001 else fmt_number(p, 3)


def _name(tb: TrendBreakResults, key: str) -> str:
    e = tb.entities.set_index("area")
    return str(e.loc[key, "name"]) if key in e.index else key


def _rows(df: pd.DataFrame, area: str, ind: str | None = None) -> pd.DataFrame:
    m = df["area"] == area
    if ind is not None:
        m &= df["indicator_id"] == ind
    return df[m]


def _one(df: pd.DataFrame, area: str, ind: str) -> pd.Series | None:
    r = _rows(df, area, ind)
    return r.iloc[0] if len(r) else None


def _its_term(tb: TrendBreakResults, area: str, ind: str, term: str, primary: bool = True):
    r = tb.its[
        (tb.its["area"] == area)
        & (tb.its["indicator_id"] == ind)
        & (tb.its["term"] == term)
        & (tb.its["primary"] == primary)
    ]
    return r.iloc[0] if len(r) else None


def _figure(chart: charts.Chart, rel: str, fig_id: str) -> str:
    return (
        f"![{escape_md(chart.caption)}]({rel}/{chart.path.name})"
        f'{{#{fig_id} fig-alt="{md_attr(chart.alt)}"}}\n'
    )


def _label(s: dict) -> str:
    """Domain name, marked "modelschatting" for small-area model estimates.

    ``Ervaren gezondheid (modelschatting)``; a name that already ends in
    brackets gets it inside them: ``Leefstijl (roken; modelschatting)``.
    """
    name = str(s["domain_nl"])
    if not s.get("model_estimate"):
        return name
    if name.endswith(")"):
        return f"{name[:-1]}; {MODEL_LABEL})"
    return f"{name} ({MODEL_LABEL})"


def _breaks(tb: TrendBreakResults, area: str, ind: str | None = None) -> pd.DataFrame:
    b = getattr(tb, "breaks", None)
    if b is None or b.empty:
        return pd.DataFrame(columns=["area", "indicator_id", "year", "kind", "reason_nl"])
    return _rows(b, area, ind).sort_values("year")


_KIND_NL = {"definitie": "andere definitie", "indeling": "andere gebiedsindeling",
            "bron": "andere bron"}  # fmt: skip


def _breaks_md(tb: TrendBreakResults, area: str, specs: list[dict]) -> str:
    """Bullets with every data break in the area's series, or ``""``."""
    lines = []
    for s in specs:
        for b in _breaks(tb, area, s["id"]).itertuples():
            lines.append(
                f"- **{escape_md(_label(s))}**: databreuk in {int(b.year)} "
                f"({_KIND_NL.get(b.kind, b.kind)}): {escape_md(str(b.reason_nl).strip())}"
                + ("" if str(b.reason_nl).strip().endswith(".") else ".")
            )
    if not lines:
        return ""
    return (
        "**Databreuken.** De cijfers vóór en na deze jaren zijn niet vergelijkbaar; in de "
        "grafieken staat op die plek een verticale streep-stippellijn. Een trendbreuk wordt nooit "
        "over een databreuk heen geschat: alleen het stuk van de reeks rond de start telt mee, of "
        "er staat waarom er geen schatting is.\n\n" + "\n".join(lines) + "\n"
    )


def _model_md(specs: list[dict]) -> str:
    """Note on the small-area model estimates among ``specs``, or ``""``."""
    by_note: dict[str, list[str]] = {}
    for s in specs:
        if s.get("model_estimate"):
            by_note.setdefault(str(s.get("estimate_note_nl", "")).strip(), []).append(
                s["domain_nl"]
            )
    if not by_note:
        return ""
    bits = [
        f"{escape_md(join_nl(labels))}: {escape_md(note.rstrip('.'))}."
        for note, labels in by_note.items()
    ]
    return (
        f"**Modelschattingen.** Cijfers met *({MODEL_LABEL})* zijn geen tellingen of directe "
        "metingen maar uitkomsten van een model. " + " ".join(bits) + " Het interval geeft de "
        "onzekerheid van het model maar ten dele weer; kleine verschillen tussen jaren of gebieden "
        "kunnen uit het model komen.\n"
    )


def _its_conclusion(tb: TrendBreakResults, area: str, ind: str) -> str:
    """Dutch one-line conclusion of the ITS from the 95% intervals (``"."`` without a fit)."""
    sc = _its_term(tb, area, ind, "slope_change")
    lc = _its_term(tb, area, ind, "level_change")
    if sc is None:
        return "geen schatting"
    if sc["upper"] < 0:
        return "trendbreuk: kloof wordt sneller kleiner"
    if sc["lower"] > 0:
        return "kloof wordt sneller groter"
    if lc is not None and lc["upper"] < 0:
        return "eenmalig kleiner (sprong); geen trendbreuk aangetoond"
    if lc is not None and lc["lower"] > 0:
        return "eenmalig groter (sprong); geen trendbreuk aangetoond"
    return "geen trendbreuk aangetoond"


def _sentence(text: str) -> str:
    """``text`` with a final full stop (and no leading or trailing space)."""
    t = str(text).strip()
    return t if not t or t.endswith(".") else t + "."


def _group_reasons(items: list[tuple[str, str]]) -> list[str]:
    """``[(label, reason)]`` -> one markdown bullet per distinct reason, labels joined."""
    by_reason: dict[str, list[str]] = {}
    for label, reason in items:
        by_reason.setdefault(reason, []).append(label)
    return [
        f"- {escape_md(join_nl(labels))}: {escape_md(reason)}"
        for reason, labels in by_reason.items()
    ]


# --------------------------------------------------------------------------- charts


def gap_panels_chart(
    tb: TrendBreakResults,
    area: str,
    catalogue: Catalogue,
    path: Path,
    *,
    caption: str,
    alt_intro: str,
    ncols: int = 3,
) -> charts.Chart:
    """Small multiples of the gap per indicator, readable in black and white.

    Each panel: the gap with its 95% band (black line, circles, grey band),
    the fitted ITS trend before and after the start (blue dash-dot,
    triangles), the counterfactual (pre-trend continued; red dashed, with a
    hatched band), the straight path to the 2030 target (green dotted,
    squares), the trend since the start projected to 2030 with its interval
    (orange diamond), a dotted vertical line at the start year and a thin
    zero line (no gap).
    """
    cfg = _settings(tb, catalogue)
    start, target = int(cfg["start_year"]), int(cfg["target_year"])
    specs = [s for s in _specs(cfg, catalogue) if len(_rows(tb.gaps, area, s["id"]))]
    n = max(1, len(specs))
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    alt = [alt_intro]
    used: set[str] = set()
    with plt.rc_context(charts.RC):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(2.75 * ncols + 0.3, 2.3 * nrows + 0.7), squeeze=False,
            sharex=True,
        )  # fmt: skip
        for ax, s in zip(axes.flat, specs, strict=False):
            d = int(s.get("decimals", 1))
            g = _rows(tb.gaps, area, s["id"]).sort_values("period")
            ax.axhline(0, color="#888888", linewidth=0.7, zorder=1)
            years = [int(y) for y in _breaks(tb, area, s["id"])["year"]]
            # Never draw the gap line across a data break: one piece per segment.
            edges = [-math.inf, *years, math.inf]
            for lo, hi in zip(edges[:-1], edges[1:], strict=True):
                seg = g[(g["period"] >= lo) & (g["period"] < hi)]
                ax.fill_between(seg["period"], seg["lower"], seg["upper"], **charts.BAND)
                ax.plot(seg["period"], seg["gap"], markersize=3.2, **TB_STYLES["gap"])
            for y in years:
                ax.axvline(y - 0.5, zorder=2, **BREAK_LINE)
                ax.annotate(
                    "databreuk", (y - 0.5, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(2, -2), textcoords="offset points", ha="left", va="top",
                    fontsize=6.5, color=BREAK_LINE["color"],
                )  # fmt: skip
                used.add("break")
            used.add("gap")
            cf = _rows(tb.counterfactual, area, s["id"]).sort_values("period")
            if len(cf):
                for seg in (cf[~cf["post"]], cf[cf["post"]]):
                    ax.plot(seg["period"], seg["fitted"], **TB_STYLES["fitted"])
                post = cf[cf["post"]]
                ax.plot(post["period"], post["counterfactual"], **TB_STYLES["counterfactual"])
                ax.fill_between(
                    post["period"], post["lower"], post["upper"], facecolor="none",
                    edgecolor=TB_STYLES["counterfactual"]["color"], hatch="////", linewidth=0,
                    alpha=0.45,
                )  # fmt: skip
                used.update({"fitted", "counterfactual"})
            tr = _rows(tb.trajectory, area, s["id"]).sort_values("period")
            if len(tr):
                ax.plot(tr["period"], tr["target_gap"], **TB_STYLES["target"])
                used.add("target")
            t = _one(tb.targets, area, s["id"])
            if t is not None and pd.notna(t["projected"]):
                ax.errorbar(
                    [target], [t["projected"]],
                    yerr=[[t["projected"] - t["lower"]], [t["upper"] - t["projected"]]],
                    capsize=2.5, markersize=4, elinewidth=1.1, **TB_STYLES["projection"],
                )  # fmt: skip
                used.add("projection")
            ax.axvline(start, **START_LINE)
            ax.set_title(charts._wrap(_label(s), 30), loc="left")
            ax.set_ylabel(charts._wrap(f"achterstand ({s.get('unit_short') or 'eenheid'})", 26),
                          fontsize=7)  # fmt: skip
            ax.yaxis.set_major_formatter(charts._nl_tick(d))
            ax.xaxis.set_major_locator(plt.MaxNLocator(5, integer=True))
            alt.append(_gap_alt(tb, area, s, start))
        for ax in list(axes.flat)[len(specs) :]:
            ax.set_visible(False)
        labels = {
            "gap": "kloof (positief = achterstand)",
            "fitted": "trend vóór en na de start (model)",
            "counterfactual": "zonder trendbreuk (oude trend doorgetrokken)",
            "target": f"doel: een kwart ingelopen in {target}",
            "projection": f"trend sinds {start} doorgetrokken tot {target}",
        }
        handles = []
        for k in ("gap", "fitted", "counterfactual", "target", "projection"):
            if k in used:
                st = {kk: vv for kk, vv in TB_STYLES[k].items() if kk != "zorder"}
                handles.append(Line2D([], [], label=labels[k], **st))
        handles.append(Patch(facecolor="#000000", alpha=0.12, label="95%-interval van de kloof"))
        if "counterfactual" in used:
            handles.append(
                Patch(facecolor="none", edgecolor="#D55E00", hatch="////", alpha=0.45,
                      label="95%-band zonder trendbreuk")
            )  # fmt: skip
        handles.append(Line2D([], [], label=f"start {start}", **START_LINE))
        if "break" in used:
            handles.append(Line2D([], [], label="databreuk (niet vergelijkbaar)", **BREAK_LINE))
        fig.tight_layout(rect=(0, 0.1 if nrows > 1 else 0.2, 1, 1))
        fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7, frameon=False)
        charts.save(fig, path)
    return charts.Chart(path=path, caption=caption, alt=" ".join(alt))


def _gap_alt(tb: TrendBreakResults, area: str, s: dict, start: int) -> str:
    d = int(s.get("decimals", 1))
    g = _rows(tb.gaps, area, s["id"]).sort_values("period")
    first, last = g.iloc[0], g.iloc[-1]
    bits = [
        f"{_label(s)}: achterstand {_num(first['gap'], d)}{s['unit_sfx']} in "
        f"{int(first['period'])} en {_num(last['gap'], d)}{s['unit_sfx']} in {int(last['period'])}"
    ]
    for y in _breaks(tb, area, s["id"])["year"]:
        bits.append(f"databreuk in {int(y)}")
    sc = _its_term(tb, area, s["id"], "slope_change")
    if sc is not None:
        bits.append(f"hellingverandering vanaf {start} {_num(sc['estimate'], d + 1, sign=True)}")
    else:
        bits.append("geen trendbreukschatting")
    t = _one(tb.targets, area, s["id"])
    if t is not None:
        bits.append(f"oordeel {t['verdict_nl']}")
    return "; ".join(bits) + "."


def event_study_chart(
    tb: TrendBreakResults,
    area: str,
    catalogue: Catalogue,
    path: Path,
    *,
    caption: str,
    alt_intro: str,
    ncols: int = 3,
) -> charts.Chart | None:
    """Event-study coefficients per year relative to the start, one panel per indicator.

    Filled circles with 95% intervals; the reference year (the year before the
    start, 0 by definition) is an open square; a solid zero line and a dotted
    vertical line between the reference year and the start. Returns None when
    the area has no event study.
    """
    cfg = _settings(tb, catalogue)
    specs = [s for s in _specs(cfg, catalogue) if len(_rows(tb.event_study, area, s["id"]))]
    if not specs:
        return None
    n = len(specs)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    alt = [alt_intro]
    with plt.rc_context(charts.RC):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(2.75 * ncols + 0.3, 2.3 * nrows + 0.6), squeeze=False
        )
        for ax, s in zip(axes.flat, specs, strict=False):
            d = int(s.get("decimals", 1))
            es = _rows(tb.event_study, area, s["id"]).sort_values("relative_period")
            est = es[~es["reference"]]
            ref = es[es["reference"]]
            ax.axhline(0, color="#333333", linewidth=0.9, zorder=1)
            ax.axvline(-0.5, **START_LINE)
            has_ci = est["lower"].notna()
            ax.errorbar(
                est.loc[has_ci, "relative_period"], est.loc[has_ci, "estimate"],
                yerr=[est.loc[has_ci, "estimate"] - est.loc[has_ci, "lower"],
                      est.loc[has_ci, "upper"] - est.loc[has_ci, "estimate"]],
                fmt="o", color="#000000", markersize=3.5, capsize=2, elinewidth=1, zorder=4,
            )  # fmt: skip
            if (~has_ci).any():
                ax.plot(
                    est.loc[~has_ci, "relative_period"], est.loc[~has_ci, "estimate"], "x",
                    color="#000000", markersize=4, zorder=4,
                )  # fmt: skip
            ax.plot(
                ref["relative_period"], ref["estimate"], "s", markerfacecolor="white",
                markeredgecolor="#0072B2", markersize=5.5, zorder=5,
            )  # fmt: skip
            for r in ref.itertuples():
                ax.annotate(
                    f"referentie\n{int(r.period)}", (r.relative_period, 0), xytext=(0, 8),
                    textcoords="offset points", ha="center", fontsize=6.5, color="#0072B2",
                )  # fmt: skip
            ax.set_title(charts._wrap(_label(s), 30), loc="left")
            ax.set_ylabel(charts._wrap(f"effect op de kloof ({s.get('unit_short') or ''})", 26),
                          fontsize=7)  # fmt: skip
            ax.set_xlabel("jaren ten opzichte van de start", fontsize=7)
            ax.yaxis.set_major_formatter(charts._nl_tick(d))
            ax.xaxis.set_major_locator(plt.MaxNLocator(6, integer=True))
            alt.append(_es_alt(es, s))
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        handles = [
            Line2D([], [], marker="o", color="#000000", linestyle="-", markersize=3.5,
                   label="schatting met 95%-interval"),
            Line2D([], [], marker="s", markerfacecolor="white", markeredgecolor="#0072B2",
                   linestyle="", label="referentiejaar (= 0)"),
            Line2D([], [], label="start van de aanpak", **START_LINE),
        ]  # fmt: skip
        fig.tight_layout(rect=(0, 0.12 if nrows > 1 else 0.16, 1, 1))
        fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7, frameon=False)
        charts.save(fig, path)
    return charts.Chart(path=path, caption=caption, alt=" ".join(alt))


def _es_alt(es: pd.DataFrame, s: dict) -> str:
    d = int(s.get("decimals", 1))
    leads = es[(es["relative_period"] < -1)]
    lags = es[es["relative_period"] >= 0]
    parts = [f"{s['domain_nl']}:"]
    if len(leads):
        parts.append(
            f"vóór de start liggen de schattingen tussen {_num(leads['estimate'].min(), d)} en "
            f"{_num(leads['estimate'].max(), d)};"
        )
    if len(lags):
        parts.append(
            "vanaf de start "
            + ", ".join(
                f"{_num(r.estimate, d, sign=True)} in {int(r.period)}" for r in lags.itertuples()
            )
            + "."
        )
    return " ".join(parts)


# --------------------------------------------------------------------------- province


def province_trendbreak_md(
    tb: TrendBreakResults, catalogue: Catalogue, fig_dir: Path, rel: str
) -> str:
    """The Trendbreuk chapter of the province report (headings from ``##``).

    Parameters
    ----------
    tb : TrendBreakResults
    catalogue : Catalogue
    fig_dir : Path
        Where the figure is written (``trendbreak-gaps.png``).
    rel : str
        Path from the report to ``fig_dir``, used in the markdown.
    """
    cfg = _settings(tb, catalogue)
    region = cfg["region"]
    start, target = int(cfg["start_year"]), int(cfg["target_year"])
    share = {0.25: "een kwart", 0.5: "de helft"}.get(
        float(cfg["fraction"]), f"{fmt_number(100 * float(cfg['fraction']), 0)}%"
    )
    rname = escape_md(_name(tb, region))
    programme = escape_md(cfg.get("programme", "Trendbreuk"))
    specs = _specs(cfg, catalogue)
    parts = [f"## {programme}: wordt de achterstand kleiner?\n"]
    absent = _absent_md(tb, cfg)
    if absent:
        return "\n".join([*parts, absent])
    parts.append(
        f"Sinds {start} werken overheden en partners in {rname} aan een trendbreuk: in {target} "
        f"moet {share} van de achterstand in gezondheid en kansen ten opzichte van de rest van "
        f"Nederland zijn ingelopen. Een vervolgonderzoek uit 2025 vond dat Limburg "
        "*trendvolgend* is: de verschillen werden tussen 2016 en 2020 niet kleiner. Daarom kijken "
        f"we hier niet naar de niveaus maar naar de **kloof**: het verschil tussen {rname} en de "
        f"rest van Nederland (Nederland zonder {rname}). Een positieve kloof is een achterstand. "
        f"Als heel Nederland vooruitgaat en {rname} even hard meegaat, blijft de kloof even groot "
        "en is er geen trendbreuk.\n"
    )
    parts.append(
        "Per indicator beantwoorden we twee vragen:\n\n"
        f"1. *Loopt de kloof sinds {start} anders dan daarvoor?* We passen een rechte lijn aan de "
        f"jaren vóór {start} en een aan de jaren erna (onderbroken tijdreeks). De "
        "*hellingverandering* is hoeveel sneller de kloof per jaar kleiner wordt (negatief) of "
        "groter (positief) dan volgens de oude trend.\n"
        f"2. *Is {rname} op koers voor {target}?* We trekken de trend sinds {start} door tot "
        f"{target} en vergelijken die met het doel. *Op koers* als het hele "
        "95%-betrouwbaarheidsinterval onder het doel ligt, *niet op koers* als het er helemaal "
        "boven ligt, anders *nog niet te beoordelen*.\n\n"
        f"Een trendbreuk schatten we alleen met minstens {int(cfg.get('min_pre_points', 4))} "
        f"jaarlijkse metingen vóór de start en {int(cfg.get('min_post_points', 3))} erna. Met "
        "minder geven we bewust geen getal (geen schatting en geen interval) en zeggen we waarom. "
        "Over een databreuk (een andere definitie of gebiedsindeling) heen schatten we nooit.\n"
    )

    # Two tables with the same rows: the gap, then the trend break and the verdict. As
    # one table of seven columns the PDF's columns were too narrow for the names.
    gaps, verdicts, reasons = [], [], []
    for s in specs:
        d = int(s.get("decimals", 1))
        g = _rows(tb.gaps, region, s["id"]).sort_values("period")
        t = _one(tb.targets, region, s["id"])
        at_start = g[g["period"] == start]
        last = g.iloc[-1] if len(g) else None
        sc = _its_term(tb, region, s["id"], "slope_change")
        gaps.append(
            {
                "Domein": escape_md(_label(s)),
                "Eenheid": escape_md(s.get("unit_short", "")),
                f"Achterstand {start}": _num(at_start["gap"].iloc[0], d) if len(at_start) else ".",
                "Laatste achterstand (95%-BI)": "."
                if last is None
                else _ci(last["gap"], last["lower"], last["upper"], d),
                "Laatste jaar": "." if last is None else str(int(last["period"])),
            }
        )
        verdicts.append(
            {
                "Domein": escape_md(_label(s)),
                "Hellingverandering per jaar (95%-BI)": "."
                if sc is None
                else _ci(sc["estimate"], sc["lower"], sc["upper"], d + 1, sign=True),
                "Trendbreuk": _its_conclusion(tb, region, s["id"]),
                f"Oordeel {target}": escape_md(t["verdict_nl"]) if t is not None else ".",
            }
        )
        bits = []
        if t is not None:
            bits.append(escape_md(t["reason_nl"]))
        st = _one(tb.status[tb.status["analysis"] == "its"], region, s["id"])
        if st is not None and st["status"] != "ok":
            bits.append(
                "Een trendbreukschatting is (nog) niet mogelijk: "
                + escape_md(_sentence(st["reason_nl"]))
            )
        elif st is not None and st["reason_nl"]:
            bits.append("Trendbreuk: " + escape_md(_sentence(st["reason_nl"])))
        if bits:
            reasons.append(f"- **{escape_md(_label(s))}**: " + " ".join(bits))
    parts.append("### Oordeel per indicator\n")
    parts.append(
        pipe_table(
            pd.DataFrame(gaps),
            align="llrrr",
            caption=f"Achterstand van {rname} ten opzichte van de rest van Nederland "
            "(positief = achterstand)",
        )
        + "\n"
    )
    parts.append(
        pipe_table(
            pd.DataFrame(verdicts),
            align="lrll",
            caption=f"Trendbreuk sinds {start} en het oordeel over het doel voor {target}",
        )
        + "\n"
    )
    parts.append(
        "Een punt (.) betekent: niet te berekenen; de toelichting hieronder zegt waarom. "
        "*Trendbreuk* vat de hellingverandering samen: alleen als het hele 95%-interval onder "
        "nul ligt, spreken we van een trendbreuk.\n\n" + "\n".join(reasons) + "\n"
    )
    for note in (_model_md(specs), _breaks_md(tb, region, specs)):
        if note:
            parts.append(note)

    # Figure.
    fig_dir = Path(fig_dir)
    chart = gap_panels_chart(
        tb,
        region,
        catalogue,
        fig_dir / "trendbreak-gaps.png",
        caption=f"Kloof tussen {_name(tb, region)} en de rest van Nederland per indicator "
        f"(positief = achterstand), met 95%-interval, de trend vóór en na {start}, de oude trend "
        f"doorgetrokken (zonder trendbreuk), het pad naar het doel voor {target} en de trend "
        f"sinds {start} doorgetrokken tot {target}."
        + (
            " Een paarse streep-stippellijn markeert een databreuk."
            if len(_breaks(tb, region))
            else ""
        )
        + (
            f" Panelen met ({MODEL_LABEL}) tonen modelschattingen."
            if any(s.get("model_estimate") for s in specs)
            else ""
        ),
        alt_intro=f"Kleine grafieken van de kloof tussen {_name(tb, region)} en de rest van "
        f"Nederland per indicator, van het eerste meetjaar tot {target}.",
    )
    parts.append("### De kloof per jaar\n")
    parts.append(_figure(chart, rel, "fig-tb-gaps"))
    parts.append(_province_caveats(tb, cfg, specs, region, start))
    return "\n".join(parts)


def _province_caveats(
    tb: TrendBreakResults, cfg: dict, specs: list[dict], region: str, start: int
) -> str:
    diag = _rows(tb.diagnostics, region)
    n_max = int(diag["n"].max()) if len(diag) else 0
    out = ["### Kanttekeningen\n"]
    out.append(
        f"- **Korte reeksen.** Per indicator zijn er hooguit {n_max} jaarlijkse meetpunten "
        f"(ongeveer de helft vóór {start}). De intervallen zijn daarom bij benadering: lees ze "
        "als een indicatie van de onzekerheid, niet als een exacte grens.\n"
        "- **Standaardfouten.** We gebruiken gewone (OLS-)standaardfouten. In simulaties met 13 "
        "jaarlijkse punten bevat het 95%-interval de echte hellingverandering in 96% van de "
        "gevallen als de afwijkingen van jaar tot jaar onafhankelijk zijn, maar in maar 88% als "
        "ze samenhangen (autocorrelatie 0,3). De gebruikelijke correctie voor autocorrelatie "
        "(Newey-West) is bij zo weinig jaren slechter: 66 tot 75% in plaats van 95%. Wel toetsen we op "
        "autocorrelatie met de Durbin-Watson-statistiek (rond 2: geen autocorrelatie) en de "
        "Breusch-Godfrey-toets, en schatten we ter controle ook een model met AR(1)-fouten "
        "(tabel hieronder).\n"
    )
    rows, flagged = [], []
    for s in specs:
        r = _one(diag, region, s["id"])
        if r is None:
            continue
        d = int(s.get("decimals", 1))
        ar = _its_term(tb, region, s["id"], "slope_change", primary=False)
        rows.append(
            {
                "Domein": escape_md(_label(s)),
                "Punten (vóór/vanaf start)": f"{int(r['n'])} ({int(r['n_pre'])}/{int(r['n_post'])})",
                "Durbin-Watson": fmt_number(r["durbin_watson"], 2),
                "Breusch-Godfrey p": _p(r["bg_p_value"]),
                "Hellingverandering met AR(1)-fouten": "."
                if ar is None
                else _ci(ar["estimate"], ar["lower"], ar["upper"], d + 1, sign=True),
            }
        )
        if r["bg_p_value"] < P_ALPHA:
            flagged.append(s["domain_nl"])
    if rows:
        out.append(
            pipe_table(
                pd.DataFrame(rows),
                align="lrrrr",
                caption="Controle van de modellen: autocorrelatie en een model met AR(1)-fouten",
            )
            + "\n"
        )
        if flagged:
            out.append(
                f"Bij {escape_md(join_nl(flagged))} wijst de Breusch-Godfrey-toets op "
                "autocorrelatie (p < 0,05). Daar zijn de OLS-intervallen waarschijnlijk te smal "
                "of te breed; vergelijk met de AR(1)-kolom en lees het resultaat voorzichtig.\n"
            )
        else:
            out.append("Geen van de toetsen wijst op autocorrelatie (alle p ≥ 0,05).\n")
    model = [s["domain_nl"] for s in specs if s.get("model_estimate")]
    weighted = [s["domain_nl"] for s in specs if s["ind"].aggregation == "weighted_mean"]
    out.append(
        "- **Modelschattingen en afgeleide cijfers.** "
        + (
            f"{escape_md(join_nl(model))} zijn modelschattingen (kleinegebiedsschattingen uit "
            "de Gezondheidsmonitor, vier metingen) en staan daarom overal met "
            f"*({MODEL_LABEL})*. "
            if model
            else ""
        )
        + (
            f"{escape_md(join_nl(weighted))} van de regio is een naar inwoners gewogen "
            "gemiddelde van gemeentecijfers, geen berekening uit één sterftetafel. "
            if weighted
            else ""
        )
        + "De rest van Nederland is berekend door de regio van het landelijke cijfer af te "
        "trekken (tellingen, of gewogen gemiddelden met hun standaardfout).\n"
        f"- **Geen bewijs van oorzaak.** Een onderbroken tijdreeks schrijft elke verandering "
        f"rond {start} toe aan de start. Andere gebeurtenissen veranderen de kloof ook, zoals "
        "COVID-19 in 2020 en 2021 (dat de sterfte in Zuid-Limburg sterk trof). De vergelijking "
        "met andere gebieden staat per gebied in de gebiedsrapporten.\n"
        f"- **Rechte lijn tot {cfg['target_year']}.** De vooruitblik neemt aan dat de trend "
        f"sinds {start} recht doorloopt; het interval gaat over die trend, niet over de meting "
        "in één jaar. Hoe verder weg het doeljaar, hoe breder het interval.\n"
    )
    return "\n".join(out)


# --------------------------------------------------------------------------- area


def area_trendbreak_md(
    tb: TrendBreakResults, area_slug: str, catalogue: Catalogue, fig_dir: Path, rel: str
) -> str:
    """The Trendbreuk section of one area's report (headings from ``##``).

    Shows the area's gap with Nederland for the Trendbreuk indicators
    available at its level, the interrupted time series at the area's own
    start year (or why it cannot be estimated), and the comparison with its
    comparison areas (difference-in-differences and an event-study chart),
    or why that cannot be estimated.
    """
    cfg = _settings(tb, catalogue)
    ent = tb.entities.set_index("area")
    if area_slug not in ent.index or area_slug == cfg["region"]:
        return (
            "## Trendbreuk: de kloof met Nederland\n\n"
            "Voor dit gebied is geen trendbreukanalyse gemaakt: die wordt alleen gemaakt voor de "
            "gebiedsgerichte aanpakken en de dorps- en wijkaanpakken.\n"
        )
    e = ent.loc[area_slug]
    name = escape_md(e["name"])
    start = int(e["intervention_start"])
    tb_start, target = int(cfg["start_year"]), int(cfg["target_year"])
    specs = _specs(cfg, catalogue)
    avail = [s for s in specs if len(_rows(tb.gaps, area_slug, s["id"]))]
    missing = [s for s in specs if s not in avail]
    parts = ["## Trendbreuk: de kloof met Nederland\n"]
    parts.append(
        f"Hoe groot is de achterstand van {name} op de indicatoren van de Trendbreuk "
        f"Zuid-Limburg, en wordt die kleiner? De kloof is het verschil met Nederland, zo "
        "gedraaid dat een positieve kloof een achterstand is. Het oordeel gebruikt dezelfde "
        f"maatstaf als de Trendbreuk: is in {target} een kwart van de achterstand van {tb_start} "
        "ingelopen, als de trend sinds dat jaar doorzet?\n"
    )
    if not avail:
        parts.append(
            _absent_md(tb, cfg, area_slug)
            or f"Geen van de indicatoren is op het niveau van {name} beschikbaar.\n"
        )
        return "\n".join(parts)
    rows, reasons = [], []
    for s in avail:
        d = int(s.get("decimals", 1))
        g = _rows(tb.gaps, area_slug, s["id"]).sort_values("period")
        first, last = g.iloc[0], g.iloc[-1]
        t = _one(tb.targets, area_slug, s["id"])
        rows.append(
            {
                "Domein": escape_md(_label(s)),
                "Eenheid": escape_md(s.get("unit_short", "")),
                "Eerste kloof": f"{_num(first['gap'], d)} in {int(first['period'])}",
                "Laatste kloof (95%-BI)": f"{_ci(last['gap'], last['lower'], last['upper'], d)}"
                f" in {int(last['period'])}",
                f"Oordeel {target}": escape_md(t["verdict_nl"]) if t is not None else ".",
            }
        )
        if t is not None:
            reasons.append(f"- **{escape_md(_label(s))}**: {escape_md(t['reason_nl'])}")
    parts.append(
        pipe_table(
            pd.DataFrame(rows),
            align="llrrl",
            caption=f"Kloof van {name} met Nederland (positief = achterstand)",
        )
        + "\n"
    )
    parts.append("\n".join(reasons) + "\n")
    for note in (_model_md(avail), _breaks_md(tb, area_slug, avail)):
        if note:
            parts.append(note)
    partial = [
        s["domain_nl"]
        for s in avail
        if _rows(tb.gaps, area_slug, s["id"])["flags"].str.contains("partial").any()
    ]
    if partial:
        parts.append(
            f"{escape_md(join_nl(partial))}: niet voor alle buurten of wijken van {name} "
            "beschikbaar; de kloof beschrijft het deel met gegevens.\n"
        )
    if missing:
        level = {"gemeente": "per gemeente", "wijk": "per hele wijk", "buurt": "per buurt"}
        by_level: dict[str, list[str]] = {}
        for s in missing:
            by_level.setdefault(s["ind"].lowest_level, []).append(s["label"])
        bits = [
            f"{escape_md(join_nl(labels))} {'wordt' if len(labels) == 1 else 'worden'} alleen "
            f"{level[lv]} gepubliceerd"
            for lv, labels in by_level.items()
        ]
        parts.append(f"Niet beschikbaar op het niveau van {name}: {'; '.join(bits)}.\n")
    parts.append(_area_its_md(tb, area_slug, name, start, avail))
    parts.append(_area_did_md(tb, area_slug, name, start, avail, catalogue, Path(fig_dir), rel))
    return "\n".join(parts)


def _status_items(tb: TrendBreakResults, area: str, analysis: str, specs: list[dict]):
    st = tb.status[(tb.status["area"] == area) & (tb.status["analysis"] == analysis)]
    st = st.set_index("indicator_id")
    ok, no = [], []
    for s in specs:
        if s["id"] not in st.index:
            continue
        r = st.loc[s["id"]]
        (ok if r["status"] == "ok" else no).append((s, str(r["reason_nl"])))
    return ok, no


def _area_its_md(tb: TrendBreakResults, area: str, name: str, start: int, specs: list[dict]) -> str:
    out = [f"### Veranderde de kloof na de start van de aanpak ({start})?\n"]
    ok, no = _status_items(tb, area, "its", specs)
    if ok:
        rows = []
        for s, _ in ok:
            d = int(s.get("decimals", 1))
            lc = _its_term(tb, area, s["id"], "level_change")
            sc = _its_term(tb, area, s["id"], "slope_change")
            dg = _one(tb.diagnostics, area, s["id"])
            rows.append(
                {
                    "Domein": escape_md(_label(s)),
                    "Punten (vóór/vanaf start)": "."
                    if dg is None
                    else f"{int(dg['n'])} ({int(dg['n_pre'])}/{int(dg['n_post'])})",
                    f"Sprong in {start} (95%-BI)": "."
                    if lc is None
                    else _ci(lc["estimate"], lc["lower"], lc["upper"], d, sign=True),
                    "Hellingverandering per jaar (95%-BI)": "."
                    if sc is None
                    else _ci(sc["estimate"], sc["lower"], sc["upper"], d + 1, sign=True),
                    "Trendbreuk": _its_conclusion(tb, area, s["id"]),
                    "Durbin-Watson": "." if dg is None else fmt_number(dg["durbin_watson"], 2),
                    "Breusch-Godfrey p": "." if dg is None else _p(dg["bg_p_value"]),
                }
            )
        out.append(
            f"Een onderbroken tijdreeks van de kloof met de start in {start}: een negatieve sprong "
            "of hellingverandering betekent dat de achterstand sneller kleiner werd dan volgens "
            "de trend ervoor. Met zo weinig jaarlijkse punten zijn de intervallen bij benadering "
            "(gewone OLS-standaardfouten; Durbin-Watson rond 2 en Breusch-Godfrey p ≥ 0,05 "
            "betekenen: geen aanwijzing voor autocorrelatie). *Trendbreuk* staat er alleen als "
            "het hele 95%-interval van de hellingverandering onder nul ligt. Het model kan een "
            "verandering niet aan de aanpak toeschrijven: alles wat rond de start veranderde "
            "telt mee.\n"
        )
        out.append(
            pipe_table(
                pd.DataFrame(rows),
                align="lrrrlrr",
                caption=f"Onderbroken tijdreeks van de kloof van {name} met Nederland",
            )
            + "\n"
        )
        notes = [(_label(s), _sentence(r)) for s, r in ok if r]
        if notes:
            out.append("\n".join(_group_reasons(notes)) + "\n")
    if no:
        lead = (
            "Voor de overige indicatoren is een trendbreukschatting (nog) niet mogelijk; er staat "
            "bewust geen getal:"
            if ok
            else "Een trendbreukschatting is hier (nog) niet mogelijk; er staat bewust geen getal:"
        )
        out.append(
            lead + "\n\n" + "\n".join(_group_reasons([(_label(s), _sentence(r)) for s, r in no]))
        )
        out.append("")
    return "\n".join(out)


def _area_did_md(
    tb: TrendBreakResults,
    area: str,
    name: str,
    start: int,
    specs: list[dict],
    catalogue: Catalogue,
    fig_dir: Path,
    rel: str,
) -> str:
    out = ["### Vergelijking met andere gebieden\n"]
    ok, no = _status_items(tb, area, "did", specs)
    comp = str(tb.entities.set_index("area").loc[area, "comparison_areas"])
    comp_names = [escape_md(_name(tb, c)) for c in comp.split(";") if c]
    out.append(
        "Een verschil-in-verschillenanalyse vergelijkt hoe de kloof van "
        f"{name} veranderde vanaf {start} met hoe die veranderde in de vergelijkingsgebieden"
        + (f" ({join_nl(comp_names)})" if comp_names else "")
        + ". Een vergelijkingsgebied telt alleen mee als het later met een eigen aanpak begon, "
        "en dan alleen tot het jaar vóór die start; begon het tegelijk of eerder, dan is het geen "
        "zuivere vergelijking.\n"
    )
    if ok:
        rows, notes, pretrend = [], [], []
        for s, note in ok:
            d = int(s.get("decimals", 1))
            r = _one(tb.did, area, s["id"])
            if r is None:
                continue
            rows.append(
                {
                    "Domein": escape_md(_label(s)),
                    "Vergelijking": escape_md(
                        join_nl([_name(tb, c) for c in str(r["comparison_areas"]).split(";") if c])
                    ),
                    "Jaren": f"{int(r['window_start'])}–{int(r['window_end'])}",
                    "Effect op de kloof (95%-BI)": _ci(
                        r["estimate"], r["lower"], r["upper"], d, sign=True
                    ),
                    "Placebo-p": _p(r["placebo_p_value"]),
                    "Parallelle trends vooraf, p": _p(r["pre_trend_p_value"]),
                }
            )
            if note:
                notes.append((_label(s), _sentence(note)))
            if pd.notna(r["pre_trend_p_value"]) and r["pre_trend_p_value"] < P_ALPHA:
                pretrend.append(s["domain_nl"])
        out.append(
            pipe_table(
                pd.DataFrame(rows),
                align="lllrrr",
                caption=f"Verschil-in-verschillen: verandering van de kloof van {name} vanaf "
                f"{start} vergeleken met de vergelijkingsgebieden (negatief = achterstand "
                "kleiner geworden)",
            )
            + "\n"
        )
        out.append(
            "Lees deze cijfers als een beschrijving, niet als bewijs. Er is maar één gebied met de "
            "aanpak en er zijn maar een paar vergelijkingsgebieden: dan zijn de gebruikelijke "
            "(cluster-robuuste) intervallen onbetrouwbaar, meestal te smal. Daarom staat er ook "
            "een *placebo-p*: hoe vaak een vergelijkingsgebied, gedaan alsof het zelf de aanpak "
            "had, een even groot effect laat zien. Met twee vergelijkingsgebieden kan die nooit "
            "kleiner zijn dan 0,33. De laatste kolom toetst of de kloof vóór de start in alle "
            "gebieden gelijk opliep (een kleine p betekent: niet gelijk, en dan is de "
            "vergelijking twijfelachtig).\n"
        )
        if pretrend:
            out.append(
                f"Bij {escape_md(join_nl(pretrend))} liep de kloof vóór de start niet gelijk op "
                "(p < 0,05): de vergelijking is daar niet betrouwbaar.\n"
            )
        if notes:
            out.append("\n".join(_group_reasons(notes)) + "\n")
        chart = event_study_chart(
            tb,
            area,
            catalogue,
            Path(fig_dir) / "trendbreak-event-study.png",
            caption=f"Verschil in de kloof tussen {_name(tb, area)} en de vergelijkingsgebieden "
            "per jaar, ten opzichte van het jaar vóór de start (referentie, 0), met 95%-interval. "
            "Punten links van de stippellijn horen rond 0 te liggen als de gebieden vooraf gelijk "
            "opliepen.",
            alt_intro=f"Grafiek per indicator met het verschil in de kloof tussen "
            f"{_name(tb, area)} en de vergelijkingsgebieden per jaar ten opzichte van de start in "
            f"{start}.",
        )
        if chart is not None:
            out.append(_figure(chart, rel, "fig-tb-event-study"))
    if no:
        lead = (
            "Voor de overige indicatoren is geen vergelijking te schatten:"
            if ok
            else "Een vergelijking is hier (nog) niet te schatten:"
        )
        out.append(
            lead + "\n\n" + "\n".join(_group_reasons([(_label(s), _sentence(r)) for s, r in no]))
        )
        out.append("")
    return "\n".join(out)
