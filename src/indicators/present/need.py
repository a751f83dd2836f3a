"""The need-index section of the province report: tables, rank chart and their caps.

Presentation only: the index itself (scores, ranks, rank intervals, weight
sensitivity) is computed once in the compute step (:mod:`indicators.need`);
these functions select and lay it out. Every table of area approaches' units,
and of other units that score as high, shows at most
:data:`indicators.present.cap.MAX_SHOWN` rows per kind (issue 7).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from indicators.config import AreaParams
from indicators.need import (
    KIND_NL,
    LEVEL_WORDS,
    NeedIndexResult,
    SelectedAreaRanks,
    selected_area_ranks,
)
from indicators.present.cap import MAX_SHOWN, cap_note_md, record_complete, select_top
from indicators.present.charts import RC, Chart, save
from indicators.present.formatting import fmt_number
from indicators.present.tables import escape_md, md_attr, pipe_table

__all__ = ["need_section_md", "rank_chart"]


def _rank_txt(r: float) -> str:
    return "." if pd.isna(r) else str(int(r))


def _interval_txt(lo: float, hi: float) -> str:
    return "." if pd.isna(lo) or pd.isna(hi) else f"{int(lo)}–{int(hi)}"


def _join_nl(items: list[str]) -> str:
    """Dutch enumeration: ``a, b en c``.

    >>> _join_nl(["a", "b", "c"])
    'a, b en c'
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1]


def _pct(x: float) -> str:

    return "." if pd.isna(x) else f"{fmt_number(100 * x, 0)}%"


def rank_chart(
    result: NeedIndexResult,
    sel: SelectedAreaRanks,
    path: Path,
    *,
    top: int = 30,
):
    """Dot (rank) and line (90% rank interval) for the ``top`` ranked units.

    Units of aandachtswijken are drawn as vermilion squares, of village
    approaches as blue diamonds, all others as black circles: shape *and*
    colour, so the chart reads in black and white.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    one, many = LEVEL_WORDS.get(result.level, ("eenheid", "eenheden"))
    t = result.table[result.table["rank"].notna()].head(top).iloc[::-1]
    kind_of = (
        sel.members.drop_duplicates("unit_code").set_index("unit_code")["kind"]
        if len(sel.members)
        else pd.Series(dtype=object)
    )
    styles = {
        "aandachtswijk": ("s", "#D55E00", "aandachtswijk"),
        "dorpsaanpak": ("D", "#0072B2", "dorpsaanpak"),
        None: ("o", "#000000", "overige " + many),
    }
    labels = [
        # "$" would start matplotlib mathtext in data text.
        (f"{n} ({g})" if isinstance(g, str) and g else str(n)).replace("$", r"\$")
        for n, g in zip(
            t.get("name", t["unit_code"]),
            t.get("gemeente_name", pd.Series("", index=t.index)),
            strict=True,
        )
    ]
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(6.6, 0.2 * len(t) + 1.1))
        y = np.arange(len(t))
        used = set()
        for yi, row in zip(y, t.itertuples(), strict=True):
            kind = kind_of.get(row.unit_code)
            m, c, _ = styles.get(kind, styles[None])
            used.add(kind if kind in styles else None)
            if pd.notna(row.rank_lower):
                ax.plot([row.rank_lower, row.rank_upper], [yi, yi], color=c, linewidth=1.2)
            ax.plot(row.rank, yi, marker=m, color=c, markersize=5, linestyle="", zorder=3)
        ax.set_yticks(y, labels, fontsize=7)
        ax.set_xlabel(f"Rang (1 = hoogste behoefte-score van alle {many})")
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: fmt_number(v, 0)))
        ax.set_xlim(0.5, None)
        ax.grid(axis="x", color="#eeeeee")
        ax.grid(axis="y", visible=False)
        handles = [
            Line2D(
                [], [], marker=styles[k][0], color=styles[k][1], linestyle="", label=styles[k][2]
            )
            for k in ("aandachtswijk", "dorpsaanpak", None)
            if k in used
        ]
        handles.append(
            Line2D([], [], color="#555555", linewidth=1.2, label="90%-interval van de rang")
        )
        fig.tight_layout()
        fig.legend(
            handles=handles, loc="lower center", ncol=len(handles), fontsize=7,
            bbox_to_anchor=(0.5, 0.0),
        )  # fmt: skip
        fig.subplots_adjust(bottom=max(0.06, 0.7 / fig.get_figheight() + 0.02))
        save(fig, Path(path))
    first = result.table.iloc[0]
    in_top = [
        f"{n} (rang {_rank_txt(r)})"
        for n, r, u in zip(t["name"], t["rank"], t["unit_code"], strict=True)
        if u in kind_of.index
    ][::-1]
    alt = (
        f"Rang met 90%-interval van de {len(t)} {many} met de hoogste behoefte-score. "
        f"Nummer 1 is {first.get('name', first['unit_code'])}, rang-interval "
        f"{_interval_txt(first['rank_lower'], first['rank_upper'])}. "
        + (
            f"{many.capitalize()} in een gebiedsaanpak in deze top: {', '.join(in_top)}."
            if in_top
            else f"Geen van deze {many} ligt geheel in een gebiedsaanpak."
        )
    )
    caption = f"Behoefte-index: rang en 90%-interval van de {len(t)} hoogst scorende {many}"
    return Chart(path=Path(path), caption=caption, alt=alt)


def need_section_md(
    result: NeedIndexResult,
    areas: Iterable[AreaParams],
    fig_dir: Path,
    rel: str,
    *,
    units: pd.DataFrame | None = None,
    top: int = 20,
    chart_top: int = 30,
    limit: int = MAX_SHOWN,
) -> str:
    """Markdown section (Dutch) on the need index, with tables and a rank chart.

    Parameters
    ----------
    result : NeedIndexResult
    areas : iterable of AreaParams
    fig_dir : Path
        Directory to write the figure to.
    rel : str
        Path of ``fig_dir`` relative to the document (used in the image link).
    units : DataFrame, optional
        Unit list for mapping areas to wijken (default ``result.geography``).
    top, chart_top : int
        Rows in the top table and units in the chart.
    limit : int
        At most this many rows per kind of area approach in the table of the
        approaches' units, and in the table of other units that score as high
        (:data:`indicators.present.cap.MAX_SHOWN`). A capped table
        names its selection rule (the best ranks) and is also written in full
        as a download ``Volledig: ...`` (:mod:`indicators.present.cap`).

    Returns
    -------
    str
        Markdown with level-2 headings, pipe tables and one figure
        ``{#fig-need-ranks-<level>}``; all data strings pass through
        :func:`~indicators.present.tables.escape_md`.
    """

    if result.meta.get("unavailable"):
        many = LEVEL_WORDS.get(result.level, ("eenheid", "eenheden"))[1]
        return (
            f"## Behoefte-index: alle {many} van Limburg vergeleken\n\n"
            f"De behoefte-index is niet berekend: {escape_md(result.meta['unavailable'])}. "
            f"De index vergelijkt {many} met Nederland en heeft daarvoor cijfers per "
            f"{LEVEL_WORDS.get(result.level, ('eenheid',))[0]} en voor Nederland nodig.\n"
        )
    areas = list(areas)
    sel = selected_area_ranks(result, areas, units)
    one, many = LEVEL_WORDS.get(result.level, ("eenheid", "eenheden"))
    One, Many = one.capitalize(), many.capitalize()
    meta = result.meta
    tbl = result.table
    used = result.indicators[result.indicators["status"] == "used"]
    dropped = result.indicators[result.indicators["status"] != "used"]
    n_unranked = int(tbl["rank"].isna().sum())
    tw = meta.get("theme_weights", {})
    core = [t for t, x in tw.items() if x == max(tw.values())] if tw else []
    labels = meta.get("theme_labels", {})
    area_of = (
        sel.members.groupby("unit_code")["area_name"].agg(lambda s: ", ".join(sorted(set(s))))
        if len(sel.members)
        else pd.Series(dtype=object)
    )

    if n_unranked == 0:
        unranked_txt = f"dat geldt hier voor geen enkele {one}"
    else:
        nm = tbl.loc[tbl["rank"].isna(), "name"] if "name" in tbl else tbl["unit_code"]
        unranked_txt = (
            f"dat geldt hier voor {fmt_number(n_unranked, 0)} {one if n_unranked == 1 else many}"
        ) + (f" ({_join_nl([escape_md(x) for x in nm])})" if n_unranked <= 10 else "")
    parts = [f"## Behoefte-index: alle {many} van Limburg vergeleken\n"]
    years = sorted({int(p) for p in used["period"].dropna()})
    yrs = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else ".")
    method = (
        f"Deze index vergelijkt alle {fmt_number(meta['n_units'], 0)} {many} op {len(used)} "
        "indicatoren uit "
        f"{used['theme'].nunique()} thema's. Per indicator is het laatste jaar gebruikt waarvoor "
        f"voor Nederland en voor de meeste {many} cijfers zijn ({yrs}). Elke waarde is omgerekend "
        f"naar een z-score: het verschil met Nederland, gedeeld door de spreiding tussen de "
        f"{many}, en zo gedraaid dat een hogere score altijd meer behoefte betekent"
        + (f" (afgekapt op ±{fmt_number(meta['z_cap'], 0)})" if meta.get("z_cap") else "")
        + ". De index is het gewogen gemiddelde van die z-scores. Score 0 is het Nederlandse "
        "niveau; score 1 betekent gemiddeld één standaardafwijking ongunstiger dan Nederland.\n\n"
        + (
            f"De thema's {_join_nl([escape_md(labels.get(t, t).lower()) for t in core])} "
            "wegen even zwaar; "
            "de overige thema's wegen minder (zie `data/catalogue/need_index.yml`). "
            if core and len(core) < len(tw)
            else ""
        )
        + f"Ontbreken cijfers, dan telt het gemiddelde over de beschikbare indicatoren; de kolom "
        f"*Dekking* toont welk deel van het gewicht beschikbaar was. {Many} met minder dan "
        f"{_pct(meta['min_coverage'])} dekking krijgen geen rang; {unranked_txt}.\n\n"
        f"Cijfers van een {one} zijn schattingen met onzekerheid. Daarom is de rangorde "
        f"{meta['n_boot']} keer opnieuw berekend met waarden getrokken uit hun "
        f"betrouwbaarheidsintervallen. Het {_pct(meta['rank_interval'])}-interval van de rang "
        f"laat zien tussen welke rangen een {one} plausibel ligt: overlappen de intervallen van "
        f"twee {many}, dan zijn ze op deze cijfers niet betrouwbaar te onderscheiden. De methode "
        "volgt het OECD/JRC-handboek voor samengestelde indicatoren (2008)."
    )
    if result.level == "buurt":
        method += (
            " Indicatoren die alleen per wijk bestaan (onderwijs, werkloosheid, schulden), "
            "krijgen voor een buurt de waarde van haar wijk."
        )
    if len(dropped):
        method += " Niet gebruikt: " + ", ".join(
            f"{escape_md(r.label)} ({escape_md(r.status)})" for r in dropped.itertuples()
        )
        method += "."
    parts.append(method + "\n")

    # Top table.
    parts.append(f"## De {top} {many} met de hoogste score\n")
    t = tbl[tbl["rank"].notna()].head(top)
    top_tbl = pd.DataFrame(
        {
            "Rang": [_rank_txt(r) for r in t["rank"]],
            One: [escape_md(x) for x in t["name"]],
            "Gemeente": [escape_md(x) for x in t["gemeente_name"]],
            "Score": [fmt_number(x, 2) for x in t["score"]],
            "Rang (90%-interval)": [
                _interval_txt(a, b) for a, b in zip(t["rank_lower"], t["rank_upper"], strict=True)
            ],
            "Dekking": [_pct(x) for x in t["coverage"]],
            "Gebiedsaanpak": [escape_md(area_of.get(u, "")) for u in t["unit_code"]],
        }
    )
    parts.append(
        pipe_table(
            top_tbl,
            align="rllrrrl",
            caption=f"Behoefte-index: de {len(t)} {many} met de hoogste score",
        )
        + "\n"
    )

    # Chart.
    fname = f"need_ranks_{result.level}.png"
    chart = rank_chart(result, sel, Path(fig_dir) / fname, top=chart_top)
    parts.append(
        f"![{escape_md(chart.caption)}]({rel}/{fname})"
        f'{{#fig-need-ranks-{result.level} fig-alt="{md_attr(chart.alt)}"}}\n'
    )

    # Sensitivity.
    parts.append("## Gevoeligheid voor de gewichten\n")
    parts.append(
        f"De gewichten zijn een keuze. Daarom is de index ook berekend met gelijke gewichten "
        f"voor alle indicatoren, telkens zonder één thema, en met "
        f"{meta.get('n_dirichlet', 0)} willekeurige verdelingen van de themagewichten "
        f"({meta['n_scenarios']} scenario's in totaal). De laatste twee kolommen geven het "
        f"aandeel van die scenario's waarin de {one} in de top {meta['top_n']} staat, en in de "
        f"top {_pct(meta['top_share'])} (de eerste {meta['top_pct_n']} {many}).\n"
    )
    sens = pd.DataFrame(
        {
            "Rang": [_rank_txt(r) for r in t["rank"]],
            One: [escape_md(x) for x in t["name"]],
            "Gelijke gewichten": [_rank_txt(r) for r in t["rank_equal"]],
            "Zonder één thema": [
                _interval_txt(a, b)
                for a, b in zip(t["rank_loto_best"], t["rank_loto_worst"], strict=True)
            ],
            f"In top {meta['top_n']}": [_pct(x) for x in t["share_top_n"]],
            f"In top {_pct(meta['top_share'])}": [_pct(x) for x in t["share_top_pct"]],
        }
    )
    parts.append(
        pipe_table(
            sens,
            align="rlrrrr",
            caption="Rang van de hoogst scorende " + many + " onder andere gewichten",
        )  # fmt: skip
        + "\n"
    )

    # Selected areas.
    parts.append("## De gebiedsaanpakken in de index\n")
    parts.extend(_members_md(sel, one, many, limit))
    parts.extend(_no_unit_md(sel, one, many, limit))

    # Others as high or higher.
    parts.append(f"## Andere {many} die even hoog of hoger scoren\n")
    ref = sel.reference
    if ref is None:
        parts.append("Er is geen aandachtswijk met een rang om mee te vergelijken.\n")
    else:
        o = sel.others
        n_score = int((o["basis"] == "score").sum())
        n_int = int((o["basis"] == "interval").sum())
        parts.append(
            f"Vergelijkingspunt is de laagst scorende {one} van de aandachtswijken: "
            f"{escape_md(ref['name'])} ({escape_md(ref['area_name'])}, score "
            f"{fmt_number(ref['score'], 2)}, rang {_rank_txt(ref['rank'])}). "
            f"{fmt_number(n_score, 0)} {many} buiten de gebiedsaanpakken scoren even hoog of "
            f"hoger; nog {fmt_number(n_int, 0)} scoren lager, maar hun rang-interval overlapt met dat van "
            f"{escape_md(ref['name'])}, zodat het verschil niet betrouwbaar is.\n"
        )
        if len(o):
            parts.append(_others_md(o, one, many, limit))
    return "\n".join(parts)


def _members_md(sel: SelectedAreaRanks, one: str, many: str, limit: int) -> list[str]:
    """The table of the units wholly inside an approach: at most ``limit`` rows per kind.

    A kind with more rows shows those with the best (lowest) rank, ties by
    approach name and then unit code; the rows stay in the order of
    :attr:`SelectedAreaRanks.members` (kind, approach, rank), and the complete
    table is an extra download.
    """

    m = sel.members
    if not len(m):
        return []
    key = m["area"].astype(str) + "/" + m["unit_code"].astype(str)
    counts, keep = [], pd.Series(True, index=m.index)
    for kind in dict.fromkeys(m["kind"]):
        of_kind = m["kind"] == kind
        shown = select_top(
            m[of_kind].assign(_key=key[of_kind]),
            key="_key",
            name="area_name",
            by=[("rank", True), ("score", False)],
            limit=limit,
        )
        keep &= ~of_kind | key.isin(shown.keys)
        counts.append((kind, shown))

    def frame(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "Gebiedsaanpak": [escape_md(x) for x in rows["area_name"]],
                "Soort": [escape_md(KIND_NL.get(x, x)) for x in rows["kind"]],
                one.capitalize(): [escape_md(x) for x in rows["name"]],
                "Rang": [_rank_txt(r) for r in rows["rank"]],
                "Rang (90%-interval)": [
                    _interval_txt(a, b)
                    for a, b in zip(rows["rank_lower"], rows["rank_upper"], strict=True)
                ],
                "Score": [fmt_number(x, 2) for x in rows["score"]],
            }
        )

    caption = f"{many.capitalize()} die geheel in een gebiedsaanpak liggen"
    if not any(shown.capped for _, shown in counts):
        return [pipe_table(frame(m), align="lllrrr", caption=caption) + "\n"]
    # The rows shown in order of need within each kind (the complete table keeps
    # the order by approach).
    rows = m[keep].sort_values(["kind", "rank", "area_name", "unit_code"], kind="stable")
    table = pipe_table(frame(rows), align="lllrrr", caption=f"{caption} (selectie)")
    download = record_complete(frame(m), f"{many} in een gebiedsaanpak")
    n = fmt_number(len(m), 0)
    where = (
        f"de download [{escape_md(download.name)}](downloads/{download.name})"
        if download is not None
        else "de volledige download bij dit rapport"
    )
    text = (
        f"De tabel toont per soort aanpak ten hoogste {fmt_number(limit, 0)} {many}: "
        + _join_nl(
            [
                f"{fmt_number(len(shown.keys), 0)} van de {fmt_number(shown.n_total, 0)} in een "
                f"{KIND_NL.get(kind, kind)}"
                for kind, shown in counts
            ]
        )
        + f". Gekozen zijn de {many} met de meeste behoefte volgens de index (de laagste "
        "rangnummers; bij gelijke rang de hoogste score, daarna de naam van de aanpak en de "
        f"{one}code); ze staan per soort op rang. Alle {n} staan in {where}."
    )
    return [text + "\n", table + "\n"]


def _no_unit_md(sel: SelectedAreaRanks, one: str, many: str, limit: int) -> list[str]:
    """The approaches with no unit wholly inside: named, or counted when more than ``limit``."""

    none = sel.areas[sel.areas["n_units"] == 0]
    if not len(none):
        return []
    if len(none) <= limit:
        return [
            f"Geen {one} ligt geheel binnen: "
            + ", ".join(escape_md(x) for x in none["area_name"])
            + f". Deze gebieden zijn kleiner dan een {one} en staan daarom niet in de tabel.\n"
        ]
    rows = none.sort_values(["area_name", "area"], kind="stable")
    download = record_complete(
        pd.DataFrame(
            {
                "Gebiedsaanpak": [escape_md(x) for x in rows["area_name"]],
                "Soort": [escape_md(KIND_NL.get(x, x)) for x in rows["kind"]],
                f"Geraakte {many}": [fmt_number(x, 0) for x in rows["n_touched"]],
            }
        ),
        f"gebiedsaanpakken zonder hele {one}",
    )
    where = (
        f"de download [{escape_md(download.name)}](downloads/{download.name})"
        if download is not None
        else "de volledige download bij dit rapport"
    )
    return [
        f"In {fmt_number(len(none), 0)} gebiedsaanpakken ligt geen {one} geheel binnen. Deze "
        f"gebieden zijn kleiner dan een {one} en staan daarom niet in de tabel; hun namen staan "
        f"in {where}.\n"
    ]


def _others_md(o: pd.DataFrame, one: str, many: str, limit: int) -> str:
    """The table of other units scoring as high: at most ``limit`` rows, the best ranks."""

    def frame(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "Rang": [_rank_txt(r) for r in rows["rank"]],
                one.capitalize(): [escape_md(x) for x in rows["name"]],
                "Gemeente": [escape_md(x) for x in rows["gemeente_name"]],
                "Score": [fmt_number(x, 2) for x in rows["score"]],
                "Rang (90%-interval)": [
                    _interval_txt(a, b)
                    for a, b in zip(rows["rank_lower"], rows["rank_upper"], strict=True)
                ],
                "Waarom": [
                    "score even hoog of hoger" if b == "score" else "rang-interval overlapt"
                    for b in rows["basis"]
                ],
                "Deels in": [escape_md(x) for x in rows["partly_in"]],
            }
        )

    caption = (
        f"{many.capitalize()} buiten de gebiedsaanpakken met een vergelijkbare of hogere "
        "behoefte-score"
    )
    shown = select_top(
        o, key="unit_code", name="name", by=[("rank", True), ("score", False)], limit=limit
    )
    if not shown.capped:
        return pipe_table(frame(o), align="rllrrll", caption=caption) + "\n"
    rows = o[o["unit_code"].isin(shown.keys)]
    short = f"{many} buiten de aanpakken met vergelijkbare score"
    table = pipe_table(
        frame(rows), align="rllrrll", caption=f"{caption} (selectie)", name=f"{short} (selectie)"
    )
    download = record_complete(frame(o), short)
    note = cap_note_md(
        shown,
        subject="De tabel",
        things=f"{many} buiten de gebiedsaanpakken die even hoog scoren of niet te onderscheiden zijn",
        rule=f"met de meeste behoefte (de laagste rangnummers; bij gelijke rang de hoogste score, "
        f"daarna de naam en de {one}code)",
        order="op rang",
        download=download,
    )
    return note + "\n\n" + table + "\n"
