"""Per-area report fragments: summary, findings, theme chapters, annex, provenance.

The per-area notebook (``analysis/area.ipynb``) calls these functions; each
returns markdown (and writes figures or CSV files) for ``reports/area.qmd`` to
include. Nothing here computes statistics: values, intervals, trends and
comparisons come from :func:`indicators.compute.compute_all`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from indicators.config import Catalogue, Indicator
from indicators.present import charts
from indicators.present.formatting import fmt_number
from indicators.present.tables import escape_md, md_attr, pipe_table

SYNTHETIC_NOTICE = (
    "::: {.callout-warning}\n"
    "## Synthetische demonstratiegegevens\n\n"
    "Alle cijfers in dit rapport zijn **synthetisch**: ze zijn door het programma "
    "gegenereerd om de werking te tonen en beschrijven geen echte situatie in {name}. "
    "Gebruik ze niet voor beleid.\n"
    ":::\n"
)

TREND_SHORT = {
    "increasing_better": "↑ verbeterend",
    "decreasing_better": "↓ verbeterend",
    "increasing_worse": "↑ verslechterend",
    "decreasing_worse": "↓ verslechterend",
    "increasing": "↑ toenemend",
    "decreasing": "↓ afnemend",
    "no_significant_change": "geen sign. verandering",
    "cannot_calculate": "kan niet worden berekend",
}

COMPARISON_SHORT = {
    "better": "▲ beter",
    "worse": "▼ slechter",
    "similar": "● vergelijkbaar",
    "higher": "hoger",
    "lower": "lager",
    "not_compared": "niet getoetst",
}


@dataclass(frozen=True)
class AreaView:
    """Everything a report needs about one area, selected from the results."""

    slug: str
    name: str
    kind: str
    gemeente: str | None
    gemeente_name: str | None
    intervention_start: float | None
    summary: pd.DataFrame  # this area's rows of Results.summary
    values: pd.DataFrame  # this area's and its benchmarks' rows of Results.values
    # (area, indicator_id) -> its rows of ``values``, filled on first use (_rows)
    _groups: dict = field(default_factory=dict, repr=False, compare=False)


def select_area(results, slug: str) -> AreaView:
    """Select one area and its benchmark series from the all-area results."""
    a = results.areas.set_index("area")
    if slug not in a.index:
        raise KeyError(f"area '{slug}' not in the computed results")
    row = a.loc[slug]
    keys = [slug, "PV31", "NL01"]
    gm = row["gemeente"] if isinstance(row["gemeente"], str) else None
    if gm and gm != slug:
        keys.append(gm)
    vals = results.values[results.values["area"].isin(keys)]
    return AreaView(
        slug=slug,
        name=str(row["name"]),
        kind=str(row["kind"]),
        gemeente=gm,
        gemeente_name=row["gemeente_name"] if isinstance(row["gemeente_name"], str) else None,
        intervention_start=float(row["intervention_start"])
        if pd.notna(row["intervention_start"])
        else None,
        summary=results.summary[results.summary["area"] == slug].copy(),
        values=vals,
    )


def _dec(ind: Indicator) -> int:
    if ind.value_type == "score":
        return 2
    return 1


def fmt_value_ci(value: float, lower: float, upper: float, decimals: int) -> str:
    """``12,3 (11,0–13,7)``; the interval is left out when there is none."""
    if pd.isna(value):
        return "."
    if pd.isna(lower) or pd.isna(upper):
        return fmt_number(value, decimals)
    return f"{fmt_number(value, decimals)} ({fmt_number(lower, decimals)}–{fmt_number(upper, decimals)})"


# --------------------------------------------------------------------------- summary


def theme_status(summary: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Traffic light per theme from the comparisons with Nederland and the trends.

    Rule (stated in the report): *Rood* when an indicator in the theme is
    significantly worse than Nederland and worsening, or at least half of the
    tested indicators are significantly worse; *Oranje* when at least one is
    significantly worse or worsening; otherwise *Groen*. Themes with no tested
    indicator get *Grijs* (niet te beoordelen).
    """
    rows = []
    for t in catalogue.themes:
        s = summary[summary["theme"] == t.id]
        if s.empty:
            continue
        tested = s["vs_nederland"].isin(["better", "worse", "similar"])
        worse = s["vs_nederland"].eq("worse")
        worsening = s["trend_code"].isin(["increasing_worse", "decreasing_worse"])
        n_tested = int(tested.sum())
        if n_tested == 0 and not worsening.any():
            status = "Grijs"
        elif (worse & worsening).any() or (n_tested and worse.sum() >= n_tested / 2):
            status = "Rood"
        elif worse.any() or worsening.any():
            status = "Oranje"
        else:
            status = "Groen"
        rows.append(
            {
                "theme": t.id,
                "Thema": t.label_nl,
                "Status": status,
                "Slechter": int(worse.sum()),
                "Gelijk": int(s["vs_nederland"].eq("similar").sum()),
                "Beter": int(s["vs_nederland"].eq("better").sum()),
                "Verslechtert": int(worsening.sum()),
                "Totaal": len(s),
            }
        )
    return pd.DataFrame(rows)


STATUS_SYMBOL = {"Rood": "● Rood", "Oranje": "◐ Oranje", "Groen": "○ Groen", "Grijs": "– Grijs"}


def summary_table_md(view: AreaView, catalogue: Catalogue) -> str:
    """Traffic-light table per theme (markdown), then which indicators the data lack.

    With real data many catalogue indicators (whole themes) can be absent;
    :func:`data_coverage_md` says which, so a missing chapter is explained.
    """
    st = theme_status(view.summary, catalogue)
    coverage = data_coverage_md(view, catalogue)
    if st.empty:
        table = (
            f"Voor {escape_md(view.name)} zijn in de gebruikte gegevens geen cijfers beschikbaar."
        )
    else:
        st["Status"] = st["Status"].map(STATUS_SYMBOL)
        table = pipe_table(
            st.drop(columns=["theme"]), align="llrrrrr", name="stoplichten per thema"
        )
    return table + ("\n\n" + coverage if coverage else "")


def data_coverage_md(view: AreaView, catalogue: Catalogue) -> str:
    """Which catalogue indicators have no figures in the data, and whether Nederland is missing.

    An indicator counts as absent when the data have no row for it for the
    area, its gemeente, Limburg or Nederland (an indicator published only at a
    higher level is therefore *not* absent; :func:`_unavailable_note` explains
    those). Empty when nothing is missing, as with the embedded demo data.
    """
    have = set(view.values["indicator_id"]) | set(view.summary["indicator_id"])
    missing = [i for i in catalogue.indicators if i.id not in have]
    parts = []
    if not (view.values["area"] == "NL01").any():
        parts.append(
            "De gebruikte gegevens bevatten geen cijfers voor Nederland. Vergelijkingen met "
            "Nederland en de stoplichten zijn daarom niet te maken (grijs)."
        )
    else:
        labels = list(comparison_state(view, catalogue).no_reference)
        if labels:
            one = len(labels) == 1
            parts.append(
                f"Voor {join_nl(labels)} bevatten de gebruikte gegevens geen cijfer voor "
                f"Nederland in het laatste jaar; een vergelijking met Nederland was voor "
                f"{'deze indicator' if one else 'deze indicatoren'} niet mogelijk."
            )
    derived = benchmark_notes_md(view, catalogue)
    if derived:
        parts.append(derived)
    if missing:
        n, total = len(missing), len(catalogue.indicators)
        lines = [
            f"**Niet in de gegevens.** Van de {total} indicatoren in de catalogus "
            f"{'ontbreekt er 1' if n == 1 else f'ontbreken er {n}'} in de gebruikte gegevens, "
            f"voor {escape_md(view.name)} en voor de vergelijkingsgebieden. Ze staan niet in dit "
            "rapport; een thema zonder enige indicator heeft geen hoofdstuk.",
            "",
        ]
        for t in catalogue.themes:
            labels = [escape_md(i.label_nl) for i in missing if i.theme == t.id]
            if labels:
                everything = len(labels) == sum(i.theme == t.id for i in catalogue.indicators)
                lines.append(
                    f"- {escape_md(t.label_nl)}{' (hele thema)' if everything else ''}: "
                    f"{join_nl(labels)}"
                )
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def benchmark_notes_md(view: AreaView, catalogue: Catalogue) -> str:
    """What was computed or approximated for the comparison figures (Nederland, Limburg).

    ``build-tables`` writes a ``benchmark_note_nl`` per indicator into the data
    set's catalogue overrides when it derived Nederland or a province from the
    municipalities (e.g. Nederland as the sum of all 355 municipalities of
    2019). Lists the notes of the indicators shown for this area; empty when
    there are none (published or demo figures).
    """
    have = set(view.values["indicator_id"]) | set(view.summary["indicator_id"])
    groups: dict[str, list[str]] = {}
    for i in catalogue.indicators:
        if i.id in have and i.benchmark_note_nl:
            groups.setdefault(i.benchmark_note_nl, []).append(escape_md(i.label_nl))
    if not groups:
        return ""
    lines = [
        "**Wat is berekend of benaderd.** De bron publiceert niet alle vergelijkingscijfers; "
        "deze zijn uit de gemeentecijfers berekend (gemiddelden, scores en modelschattingen "
        "niet, die ontbreken dan):",
        "",
    ]
    lines += [f"- {join_nl(labels)}: {escape_md(note)}" for note, labels in groups.items()]
    return "\n".join(lines)


TESTED = ("better", "worse", "similar", "higher", "lower")


@dataclass(frozen=True)
class ComparisonState:
    """Which of an area's indicators could be compared with Nederland, and why not.

    ``no_reference``: labels (escaped) of indicators without a Dutch value in
    their latest year; ``untested``: labels of indicators with a Dutch value
    but no test (no confidence interval: a complete count, score or model
    estimate). Used to word texts honestly when nothing was found.
    """

    n_indicators: int = 0
    n_tested: int = 0
    no_reference: tuple[str, ...] = ()
    untested: tuple[str, ...] = ()

    @property
    def no_reference_at_all(self) -> bool:
        return self.n_indicators > 0 and len(self.no_reference) == self.n_indicators

    def notes(self) -> str:
        """Sentences on what was not compared (empty when everything was tested)."""
        parts = []
        if self.no_reference_at_all:
            parts.append(
                "Een vergelijking met Nederland was niet mogelijk: de gebruikte gegevens bevatten "
                "geen cijfers voor Nederland. Of er verschillen met Nederland zijn, is dus niet "
                "getoetst."
            )
        elif self.no_reference:
            one = len(self.no_reference) == 1
            parts.append(
                f"Voor {join_nl(list(self.no_reference))} was geen vergelijking met Nederland "
                f"mogelijk (geen cijfer voor Nederland in de gebruikte gegevens); "
                f"{'die is' if one else 'die zijn'} dus niet getoetst."
            )
        if self.untested:
            one = len(self.untested) == 1
            parts.append(
                f"{join_nl(list(self.untested))} {'is' if one else 'zijn'} niet tegen Nederland "
                "getoetst: zonder betrouwbaarheidsinterval (een volledige telling, een score of "
                "een modelschatting) is er geen significantietoets; de waarde voor Nederland "
                "staat ter vergelijking in de tabellen."
            )
        return " ".join(parts)


def comparison_state(view: AreaView, catalogue: Catalogue) -> ComparisonState:
    """:class:`ComparisonState` of the area's summary."""
    s = view.summary
    if s.empty or "vs_nederland" not in s.columns:
        return ComparisonState(n_indicators=len(s))
    tested = s["vs_nederland"].isin(TESTED)
    if "nederland_value" in s.columns:
        no_ref = s["nederland_value"].isna()
    else:
        no_ref = pd.Series(False, index=s.index)

    def labels(mask: pd.Series) -> tuple[str, ...]:
        return tuple(escape_md(catalogue.by_id[i].label_nl) for i in s.loc[mask, "indicator_id"])

    return ComparisonState(
        n_indicators=len(s),
        n_tested=int(tested.sum()),
        no_reference=labels(no_ref),
        untested=labels(~tested & ~no_ref),
    )


def priority_table_md(view: AreaView, catalogue: Catalogue, n: int = 6) -> str:
    """The indicators that need attention first: worse than NL and worsening first."""
    s = view.summary[view.summary["priority"] <= 2].head(n)
    if s.empty:
        cs = comparison_state(view, catalogue)
        if cs.n_tested == 0 and cs.n_indicators:
            why = (
                "Of een indicator slechter is dan in Nederland is niet te zeggen: de gebruikte "
                "gegevens bevatten geen cijfers voor Nederland."
                if cs.no_reference_at_all
                else "Geen indicator is tegen Nederland getoetst (zie de kernbevindingen)."
            )
            return f"Geen enkele indicator verslechtert significant. {why}"
        return "Geen enkele indicator is significant slechter dan Nederland of verslechtert significant."
    rows = []
    for r in s.itertuples():
        ind = catalogue.by_id[r.indicator_id]
        d = _dec(ind)
        rows.append(
            {
                "Indicator": escape_md(ind.label_nl),
                "Jaar": str(int(r.latest_period)),
                view_name_col(view): fmt_value_ci(
                    r.latest_value, r.latest_lower_ci, r.latest_upper_ci, d
                ),
                "Nederland": fmt_number(r.nederland_value, d),
                "t.o.v. NL": COMPARISON_SHORT.get(r.vs_nederland, "."),
                "Trend": TREND_SHORT.get(r.trend_code, "."),
            }
        )
    return pipe_table(pd.DataFrame(rows), align="lrrrll", name="aandachtspunten")


def view_name_col(view: AreaView) -> str:
    return escape_md(view.name) + " (95%-BI)"


# --------------------------------------------------------------------------- findings


class KeyFindings(list):
    """The findings (a list of :class:`Finding`) and the area's :class:`ComparisonState`,
    so that :func:`findings_md` can tell "no significant differences" from "no
    comparison possible"."""

    def __init__(self, findings=(), state: ComparisonState | None = None):
        super().__init__(findings)
        self.state = state


@dataclass(frozen=True)
class Finding:
    """One key finding: the Dutch sentence and the numbers behind it."""

    text: str
    indicator_id: str
    value: float
    reference: float
    period: int


def key_findings(view: AreaView, catalogue: Catalogue, n: int = 5) -> KeyFindings:
    """Plain-Dutch sentences for the most important results.

    Order: significantly worse than Nederland *and* worsening, then worse, then
    significant trends, then significantly better. Each sentence states the
    area value, its year, the Dutch value and the test result, taken directly
    from the summary table; without a Dutch value it says that no comparison
    was possible. The returned list also carries how many indicators were
    tested and which had no Dutch value (:class:`KeyFindings`).
    """
    s = view.summary
    chosen = (
        pd.concat(
            [
                s[s["priority"] <= 2],
                s[s["vs_nederland"].eq("better")],
            ]
        )
        .drop_duplicates("indicator_id")
        .head(n)
    )
    out = []
    for r in chosen.itertuples():
        ind = catalogue.by_id[r.indicator_id]
        d = _dec(ind)
        label = ind.label_nl[0].lower() + ind.label_nl[1:]
        v, nl = fmt_number(r.latest_value, d), fmt_number(r.nederland_value, d)
        unit = ind.unit
        if pd.isna(r.nederland_value):
            cmp = "zonder vergelijking met Nederland (geen cijfer voor Nederland in de gegevens)"
        elif r.vs_nederland == "not_compared":
            cmp = f"niet getoetst tegen Nederland ({nl})"
        elif r.vs_nederland == "worse":
            cmp = f"significant ongunstiger dan in Nederland ({nl})"
        elif r.vs_nederland == "better":
            cmp = f"significant gunstiger dan in Nederland ({nl})"
        elif r.vs_nederland in ("higher", "lower"):
            cmp = f"significant {'hoger' if r.vs_nederland == 'higher' else 'lager'} dan in Nederland ({nl})"
        else:
            cmp = f"niet significant anders dan in Nederland ({nl})"
        text = f"In {escape_md(view.name)} is de waarde voor {escape_md(label)} {v} {escape_md(unit)} ({int(r.latest_period)}), {cmp}."
        if r.trend_code in (
            "increasing_worse",
            "decreasing_worse",
            "increasing_better",
            "decreasing_better",
        ):
            text += f" De recente trend is {r.trend_label}."
        out.append(
            Finding(
                text,
                r.indicator_id,
                float(r.latest_value),
                float(r.nederland_value),
                int(r.latest_period),
            )
        )
    return KeyFindings(out, comparison_state(view, catalogue))


def findings_md(findings: list[Finding]) -> str:
    """The key findings as a bullet list, or a sentence saying why there are none.

    With :class:`KeyFindings` (from :func:`key_findings`) the text tells "no
    significant differences" (among the indicators tested) from "no comparison
    with Nederland possible" (no Dutch figure in the data) and "not tested"
    (no interval), naming the indicators concerned. A plain list gives the
    old wording.
    """
    cs: ComparisonState | None = getattr(findings, "state", None)
    if cs is None:
        if not findings:
            return "Er zijn geen significante verschillen met Nederland gevonden."
        return "\n".join(f"- {f.text}" for f in findings)
    notes = cs.notes()
    if findings:
        # after significant findings, only say what could not be compared at all
        bullets = "\n".join(f"- {f.text}" for f in findings)
        ref_only = ComparisonState(cs.n_indicators, cs.n_tested, cs.no_reference).notes()
        return bullets + (f"\n\n{ref_only}" if ref_only else "")
    if not cs.n_indicators:
        return "Er zijn geen cijfers om met Nederland te vergelijken."
    if cs.n_tested == 0:
        return notes
    k = "de getoetste indicator" if cs.n_tested == 1 else f"de {cs.n_tested} getoetste indicatoren"
    return f"Bij {k} zijn geen significante verschillen met Nederland gevonden." + (
        f" {notes}" if notes else ""
    )


# --------------------------------------------------------------------------- themes


SERIES_LABELS = {"limburg": "Limburg", "nederland": "Nederland"}


_SERIES_COLS = ["period", "value", "lower_ci", "upper_ci"]


def _rows(view: AreaView, area: str, indicator_id: str) -> dict[str, np.ndarray]:
    """One area's series of one indicator: period, value and CI columns as float arrays.

    The view's values are grouped and turned into arrays once, on first use:
    selecting with boolean masks per series was a third of a report's notebook
    time, and then taking rows of a DataFrame per series and reading its columns
    again most of what was left of the charts' data handling (issue 7).
    """
    if not view._groups:
        v = view.values
        view._groups.update(v.groupby(["area", "indicator_id"], sort=False).indices)
        view._groups[None] = {c: charts.floats(v[c]) for c in _SERIES_COLS}
    columns = view._groups[None]
    at = view._groups.get((area, indicator_id))
    if at is None:
        at = np.empty(0, dtype=np.intp)
    return {c: a[at] for c, a in columns.items()}


def _series(view: AreaView, indicator_id: str) -> list[charts.Series]:
    out = [charts.Series("area", view.name, _rows(view, view.slug, indicator_id))]
    if view.gemeente and view.gemeente != view.slug:
        out.append(
            charts.Series(
                "gemeente",
                f"Gemeente {view.gemeente_name}",
                _rows(view, view.gemeente, indicator_id),
            )
        )
    if view.slug != "PV31" and view.kind != "provincie":
        out.append(charts.Series("limburg", "Limburg", _rows(view, "PV31", indicator_id)))
    out.append(charts.Series("nederland", "Nederland", _rows(view, "NL01", indicator_id)))
    return out


def theme_chapter_md(
    view: AreaView,
    catalogue: Catalogue,
    theme_id: str,
    fig_dir: Path,
    rel: str,
    starts: pd.DataFrame | None = None,
) -> str:
    """One theme chapter: a short text, the trend small multiples and the table.

    ``starts`` (columns theme, year, name; from
    :func:`indicators.registers.intervention_starts`) marks when interventions
    in this theme started, so readers can compare before and after.
    """
    ev = starts[starts["theme"] == theme_id] if starts is not None and len(starts) else None
    if ev is not None and ev.empty:
        ev = None
    theme = next(t for t in catalogue.themes if t.id == theme_id)
    inds = [i for i in catalogue.indicators if i.theme == theme_id]
    s = view.summary.set_index("indicator_id")
    panels = [
        {"title": i.label_nl, "unit": i.unit, "decimals": _dec(i), "series": _series(view, i.id)}
        for i in inds
    ]
    fname = f"theme-{theme_id}.svg"
    chart = charts.trend_panels(
        panels,
        fig_dir / fname,
        intervention_start=view.intervention_start
        if view.kind in ("aandachtswijk", "dorpsaanpak")
        else None,
        events=None if ev is None else [float(y) for y in ev["year"]],
        caption=f"{theme.label_nl}: ontwikkeling in {view.name} vergeleken met "
        + ("de gemeente, " if view.gemeente and view.gemeente != view.slug else "")
        + "Limburg en Nederland. De grijze band is het 95%-betrouwbaarheidsinterval."
        + (
            ""
            if ev is None
            else " Driehoekjes op de tijdas markeren de start van interventies in dit thema: "
            + join_nl([f"{n} ({int(y)})" for n, y in zip(ev["name"], ev["year"], strict=True)])
            + "."
        ),
        alt_intro=f"Lijngrafieken voor het thema {theme.label_nl} in {view.name}.",
    )
    rows = []
    n_worse = 0
    has_gm = bool(view.gemeente) and view.gemeente != view.slug
    show_limburg = view.kind != "provincie"
    for i in inds:
        row = {"Indicator": escape_md(i.label_nl), "Jaar": ".", "Waarde (95%-BI)": "."}
        if has_gm:
            row["Gemeente"] = "."
        if show_limburg:
            row["Limburg"] = "."
        row["Nederland"] = "."
        row["Trend"] = "."
        if i.id not in s.index:
            latest = _latest_benchmarks(view, i.id)
            for col, key in (
                ("Gemeente", view.gemeente),
                ("Limburg", "PV31"),
                ("Nederland", "NL01"),
            ):
                if col in row and key in latest:
                    row[col] = f"{fmt_number(latest[key][1], _dec(i))} ({latest[key][0]})"
        else:
            r = s.loc[i.id]
            d = _dec(i)
            n_worse += r["vs_nederland"] == "worse"
            row["Jaar"] = str(int(r["latest_period"]))
            row["Waarde (95%-BI)"] = fmt_value_ci(
                r["latest_value"], r["latest_lower_ci"], r["latest_upper_ci"], d
            )
            for col, key in (
                ("Gemeente", "gemeente"),
                ("Limburg", "limburg"),
                ("Nederland", "nederland"),
            ):
                if col in row:
                    row[col] = benchmark_cell(r[f"{key}_value"], r[f"vs_{key}"], d)
            row["Trend"] = TREND_SHORT.get(r["trend_code"], ".")
        rows.append(row)
    tbl = pd.DataFrame(rows)
    in_s = [i.id for i in inds if i.id in s.index]
    n_ref = int(s.loc[in_s, "nederland_value"].notna().sum()) if in_s else 0
    n_tested = int(s.loc[in_s, "vs_nederland"].isin(TESTED).sum()) if in_s else 0
    if n_ref == 0:
        cmp = (
            "Geen ervan kon met Nederland worden vergeleken: de gebruikte gegevens bevatten "
            "daarvoor geen cijfers voor Nederland."
        )
    elif n_tested == 0:
        cmp = (
            "Geen ervan is tegen Nederland getoetst (geen betrouwbaarheidsinterval); de tabel "
            "toont de waarde voor Nederland ter vergelijking."
        )
    else:
        cmp = (
            f"{n_worse} daarvan {'is' if n_worse == 1 else 'zijn'} in het laatste jaar "
            "significant ongunstiger dan in Nederland."
        )
        if n_ref < len(in_s):
            cmp += (
                f" Voor {len(in_s) - n_ref} van de {len(in_s)} indicatoren met een waarde voor "
                f"{escape_md(view.name)} is er geen cijfer voor Nederland (niet vergeleken)."
            )
    intro = (
        f"Dit hoofdstuk toont {len(inds)} indicatoren voor het thema {theme.label_nl.lower()}. "
        + cmp
    )
    note = _unavailable_note(view, inds, s) + _model_estimate_note(inds, s)
    legend = (
        "In de kolommen met vergelijkingsgebieden staat achter de waarde of "
        f"{escape_md(view.name)} daar significant van afwijkt: ▼ slechter, ▲ beter, "
        "● niet significant verschillend, ↑/↓ hoger/lager (zonder oordeel); geen teken: niet getoetst."
    )
    return (
        f"# {escape_md(theme.label_nl)}\n\n{intro}{note}\n\n"
        f'![{escape_md(chart.caption)}]({rel}/{fname}){{#fig-{theme_id} fig-alt="{md_attr(chart.alt)}"}}\n\n'
        + pipe_table(
            tbl,
            align="lr" + "r" * (len(tbl.columns) - 3) + "l",
            caption=f"{escape_md(theme.label_nl)}: laatste waarden",
        )
        + f"\n\n{legend}\n"
    )


def _latest_benchmarks(view: AreaView, indicator_id: str) -> dict[str, tuple[int, float]]:
    """Latest (period, value) of each benchmark series, for indicators the area lacks."""
    v = view.values[(view.values["indicator_id"] == indicator_id) & view.values["value"].notna()]
    last = v.sort_values("period").groupby("area").tail(1)
    return {r.area: (int(r.period), float(r.value)) for r in last.itertuples()}


BENCH_SYMBOL = {"worse": "▼", "better": "▲", "similar": "●", "higher": "↑", "lower": "↓"}


def benchmark_cell(value: float, comparison: str, decimals: int) -> str:
    """A benchmark's value followed by the significance symbol of the area against it."""
    sym = BENCH_SYMBOL.get(comparison, "")
    v = fmt_number(value, decimals)
    return f"{v} {sym}" if sym and v != "." else v


def join_nl(items: list[str]) -> str:
    """Dutch enumeration: ``a``, ``a en b``, ``a, b en c``.

    >>> join_nl(["a", "b", "c"])
    'a, b en c'
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1]


def _unavailable_note(view: AreaView, inds: list[Indicator], s: pd.DataFrame) -> str:
    """Explain indicators without a value for this area (published only at a higher level)."""
    if view.kind not in ("aandachtswijk", "dorpsaanpak"):
        return ""
    missing = [i for i in inds if i.id not in s.index]
    gm = [i.label_nl for i in missing if i.lowest_level == "gemeente"]
    wk = [i.label_nl for i in missing if i.lowest_level == "wijk"]
    parts = []
    partial = [
        i.label_nl
        for i in inds
        if i.id in s.index and "partial" in str(s.loc[i.id, "latest_flags"])
    ]
    if partial:
        parts.append(
            f"{escape_md(join_nl(partial))}: niet voor alle buurten of wijken van het gebied beschikbaar; "
            "de waarde beschrijft het deel met gegevens."
        )
    if gm:
        verb = "is" if len(gm) == 1 else "zijn"
        parts.append(f"{escape_md(join_nl(gm))} {verb} alleen op gemeenteniveau beschikbaar.")
    if wk:
        verb = "is" if len(wk) == 1 else "zijn"
        parts.append(
            f"{escape_md(join_nl(wk))} {verb} alleen per wijk beschikbaar, en het gebied bestaat niet uit hele wijken."
        )
    if not parts:
        return ""
    if gm or wk:
        parts.append("De grafiek toont voor die indicatoren alleen de vergelijkingsgebieden.")
    return "\n\n" + " ".join(parts)


def _model_estimate_note(inds: list[Indicator], s: pd.DataFrame) -> str:
    """Say which figures are model estimates and why they have no interval.

    An indicator counts when the catalogue (or the data set's
    ``catalogue_overrides.yml``) marks it ``model_estimate``, or when its
    computed values carry the model-estimate method label.
    """
    from indicators.compute import MODEL_ESTIMATE_METHOD

    def is_model(i: Indicator) -> bool:
        if i.model_estimate:
            return True
        return i.id in s.index and s.loc[i.id, "latest_method"] == MODEL_ESTIMATE_METHOD

    labels = [escape_md(i.label_nl) for i in inds if is_model(i)]
    if not labels:
        return ""
    one = len(labels) == 1
    return (
        f"\n\n{join_nl(labels)} {'is een modelschatting' if one else 'zijn modelschattingen'} "
        "(small-area estimation van RIVM en GGD'en uit de Gezondheidsmonitor), geen metingen in "
        "een steekproef van dit gebied. Een steekproefinterval uit een aantal personen zou veel te "
        f"smal zijn; daarom {'staat er' if one else 'staan ze'} zonder betrouwbaarheidsinterval "
        "en zonder toets tegen Nederland of trendtoets."
    )


def overview_figure_md(view: AreaView, catalogue: Catalogue, fig_dir: Path, rel: str) -> str:
    """Spine-style overview of all indicators against Nederland."""
    s = view.summary.copy()
    s["label"] = s["indicator_id"].map(lambda i: catalogue.by_id[i].label_nl)
    s = s.rename(columns={"latest_value": "value"})
    s = s[s["vs_nederland"] != "not_compared"]
    if s.empty:
        sm = view.summary
        if sm.empty or "nederland_value" not in sm or sm["nederland_value"].isna().all():
            return (
                "Geen indicator kon met Nederland worden vergeleken: de gebruikte gegevens "
                "bevatten geen cijfers voor Nederland.\n"
            )
        return "Geen indicator is tegen Nederland getoetst.\n"
    chart = charts.comparison_dots(
        s,
        fig_dir / "overview.svg",
        caption=f"Alle getoetste indicatoren van {view.name} als index ten opzichte van Nederland (= 100), in volgorde van urgentie.",
        alt_intro=f"Puntgrafiek met de waarde van elke indicator in {view.name} als index ten opzichte van Nederland.",
    )
    return f'![{escape_md(chart.caption)}]({rel}/overview.svg){{#fig-overview fig-alt="{md_attr(chart.alt)}"}}\n'


# --------------------------------------------------------------------------- annex, provenance, downloads


def annex_md(catalogue: Catalogue) -> str:
    """Indicator definitions and sources."""
    rows = [
        {
            "Indicator": escape_md(i.label_nl),
            "Eenheid": escape_md(i.unit),
            "Definitie": escape_md(i.definition),
            "Bron": escape_md(i.source),
            "Interval": {
                "wilson": "Wilson",
                "byar": "Byar / exact Poisson",
                "normal": "normaal (se)",
                "none": "geen",
            }[i.ci_method]
            + (f": {escape_md(i.ci_note_nl)}" if i.ci_note_nl else ""),
            **(
                {"Vergelijkingscijfers": escape_md(i.benchmark_note_nl) or "."}
                if any(j.benchmark_note_nl for j in catalogue.indicators)
                else {}
            ),
        }
        for i in catalogue.indicators
    ]
    df = pd.DataFrame(rows)
    return pipe_table(df, align="l" * len(df.columns), name="definities en bronnen")


def provenance_md(prov: dict) -> str:
    """Data checksums, parameters, package version and git commit."""
    lines = [
        f"- Pakket: limburg-indicators {escape_md(prov.get('package_version', '?'))}",
        f"- Git-commit: `{prov.get('git_commit', 'onbekend')}`",
        f"- Gegevens: {escape_md(prov.get('data_label', ''))}",
        f"- Parameters: {escape_md(', '.join(f'{k} = {v}' for k, v in sorted(prov.get('parameters', {}).items())))}",
        "",
    ]
    rows = [
        {"Bestand": f"`{escape_md(k)}`", "SHA-256": f"`{v[:16]}…`"}
        for k, v in sorted(prov.get("inputs", {}).items())
    ]
    return (
        "\n".join(lines)
        + "\n"
        + pipe_table(pd.DataFrame(rows), align="ll", caption="Invoerbestanden en controlegetallen")
    )


def write_downloads(view: AreaView, catalogue: Catalogue, out_dir: Path) -> list[Path]:
    """Write the report's tables as CSV files (Dutch column names, `.` = missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cat = catalogue.frame().set_index("id")
    v = view.values[view.values["area"] == view.slug].copy()
    v.insert(1, "indicator", v["indicator_id"].map(cat["label_nl"]))
    v = v[
        [
            "indicator_id",
            "indicator",
            "period",
            "numerator",
            "denominator",
            "value",
            "lower_ci",
            "upper_ci",
            "confidence",
            "method",
            "flags",
        ]
    ]
    s = view.summary.copy()
    s.insert(1, "indicator", s["indicator_id"].map(cat["label_nl"]))
    keep = [c for c in s.columns if c not in ("area",)]
    paths = [out_dir / f"{view.slug}-waarden.csv", out_dir / f"{view.slug}-samenvatting.csv"]
    v.to_csv(paths[0], index=False, na_rep=".", lineterminator="\n", float_format="%.6g")
    s[keep].to_csv(paths[1], index=False, na_rep=".", lineterminator="\n", float_format="%.6g")
    return paths


def downloads_md(paths: list[Path], rel: str) -> str:
    """List the report's downloads with a description of each."""
    fixed = {
        "waarden": "alle waarden per indicator en jaar, met betrouwbaarheidsintervallen (getallen)",
        "samenvatting": "laatste waarde, verandering, trend en vergelijkingen per indicator (getallen)",
    }
    lines = []
    complete = False
    for p in paths:
        kind = p.stem.rsplit("-", 1)[-1]
        name = p.stem.split("-", 1)[-1]
        if p.suffix == ".xlsx":
            text = "alle tabellen van dit rapport in één Excel-werkmap, met een tabblad metadata"
        elif kind in fixed and not p.stem[:2].isdigit():
            text = fixed[kind]
        elif name.startswith(COMPLETE_STEM):
            complete = True
            text = "volledige tabel (alle rijen) bij een ingekorte tabel of grafiek: " + name[
                len(COMPLETE_STEM) :
            ].replace("-", " ")
        else:
            text = "tabel uit het rapport: " + name.replace("-", " ")
        lines.append(f"- [{escape_md(p.name)}]({rel}/{p.name}): {text}")
    if complete:
        # Capped province tables and charts (indicators.present.cap).
        lines.insert(
            0,
            "Tabellen en grafieken met veel gebieden tonen in het rapport een selectie; de tekst "
            "erbij zegt welke en waarom. De bestanden met *volledig* in de naam bevatten alle "
            "rijen.\n",
        )
    return "\n".join(lines)


#: File-name part of a complete download (``Volledig: ...``, :mod:`indicators.present.cap`).
COMPLETE_STEM = "volledig-"


def intro_md(view: AreaView, description: str, n_units: int) -> str:
    kind_txt = {
        "aandachtswijk": "gebiedsgerichte aanpak",
        "dorpsaanpak": "dorps- of wijkaanpak",
        "gemeente": "gemeente",
        "provincie": "provincie",
    }[view.kind]
    bits = [f"Dit rapport beschrijft **{escape_md(view.name)}** ({kind_txt})."]
    if description:
        bits.append(escape_md(description))
    pop = population(view)
    if pop is not None:
        bits.append(
            f"Op 1 januari {pop[0]} telde {escape_md(view.name)} {fmt_number(pop[1], 0)} inwoners."
        )
    if view.kind in ("aandachtswijk", "dorpsaanpak"):
        bits.append(
            f"Het gebied bestaat uit {n_units} CBS-{'buurt' if n_units == 1 else 'buurten'} in de gemeente "
            f"{escape_md(view.gemeente_name or '')}. Cijfers voor het gebied zijn berekend uit de opgetelde tellers "
            f"en noemers van die buurten, niet als gemiddelde van buurtpercentages."
        )
        if view.intervention_start:
            bits.append(
                f"De aanpak startte in {int(view.intervention_start)}; de grafieken markeren dat jaar met een stippellijn."
            )
    return " ".join(bits)


POPULATION_INDICATOR = "aandeel_65plus"  # its denominator is the number of inhabitants


def population(view: AreaView) -> tuple[int, float] | None:
    """``(year, inhabitants)`` on 1 January of the latest year with a published count.

    The denominator of :data:`POPULATION_INDICATOR` (all inhabitants), summed
    over the area's units; ``None`` when the data have no such count.
    """
    v = view.values
    v = v[
        (v["area"] == view.slug)
        & (v["indicator_id"] == POPULATION_INDICATOR)
        & v["denominator"].notna()
    ]
    if v.empty:
        return None
    last = v.sort_values("period").iloc[-1]
    return int(last["period"]), float(last["denominator"])


def is_nan(x) -> bool:
    return x is None or (isinstance(x, float) and np.isnan(x))
