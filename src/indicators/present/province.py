"""Province-wide report fragments: all area approaches side by side.

Like :mod:`indicators.present.area`, these functions only select and lay out
results that :func:`indicators.compute.compute_all` computed for all areas.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from indicators.config import Catalogue
from indicators.present import charts
from indicators.present.area import BENCH_SYMBOL, _dec
from indicators.present.cap import (
    MAX_SHOWN,
    MAX_SHOWN_CHART,
    cap_note_md,
    record_complete,
    select_most_worse,
)
from indicators.present.formatting import fmt_number
from indicators.present.tables import escape_md, md_attr, pipe_table


def workbook_metadata(prov: dict, title: str) -> list[tuple[str, str]]:
    """Rows of a report workbook's metadata sheet."""
    return [
        ("Rapport", title),
        ("Bron", prov.get("data_label", "")),
        ("Synthetische gegevens", "ja" if prov.get("synthetic") else "nee"),
        ("Methode", "Zie de bijlage 'Leeswijzer en methode' van het rapport en docs/methods.md."),
        ("Ontbrekend of geheim", "een punt (.)"),
        ("Pakketversie", str(prov.get("package_version", ""))),
        ("Git-commit", str(prov.get("git_commit", ""))),
        ("Licentie", "CC BY 4.0 (CBS-bronnen); demonstratiegegevens synthetisch"),
    ]


def definitions_frame(catalogue: Catalogue) -> pd.DataFrame:
    """Indicator definitions for a workbook's metadata sheet."""
    return pd.DataFrame(
        [
            {
                "Indicator": i.label_nl,
                "Eenheid": i.unit,
                "Definitie": i.definition,
                "Bron": i.source,
                "Interval": i.ci_method,
            }
            for i in catalogue.indicators
        ]
    )


KIND_LABELS = {
    "aandachtswijk": "gebiedsgerichte aanpakken",
    "dorpsaanpak": "dorps- en wijkaanpakken",
}
KIND_LABEL_ONE = {
    "aandachtswijk": "gebiedsgerichte aanpak",
    "dorpsaanpak": "dorps- of wijkaanpak",
}
TIE_BREAK = (
    "(bij gelijke stand telt het aantal van alle indicatoren dat significant slechter is, "
    "daarna de naam)"
)


def _by_name(areas: pd.DataFrame) -> pd.DataFrame:
    """Areas in name order; equal names by their key, so the order never depends on the input."""
    return areas.sort_values(["name", "area"], kind="stable")


def _comparison_frame(
    summary: pd.DataFrame, catalogue: Catalogue, indicator_ids: list[str], a: pd.DataFrame
) -> pd.DataFrame:
    """Rows of the side-by-side table for the areas ``a`` (in that order): value + symbol vs NL.

    One reindex per indicator instead of a lookup per area and indicator, so
    the cost stays linear in the number of areas (the complete download of
    1,500 approaches is built with it too).
    """
    s = summary[summary["area"].isin(a["area"]) & summary["indicator_id"].isin(indicator_ids)]
    df = pd.DataFrame({"Gebied": [escape_md(n) for n in a["name"]]})
    for i in indicator_ids:
        ind = catalogue.by_id[i]
        d = _dec(ind)
        si = s[s["indicator_id"] == i].set_index("area").reindex(a["area"])
        # A missing row and a missing value both show as "." (no symbol without a value row).
        df[escape_md(ind.label_nl)] = [
            f"{fmt_number(v, d)} {BENCH_SYMBOL.get(c, '')}".strip()
            for v, c in zip(si["latest_value"], si["vs_nederland"], strict=True)
        ]
    return df


def _nederland_row(results, catalogue: Catalogue, indicator_ids: list[str]) -> dict[str, str]:
    nl = results.values[results.values["area"] == "NL01"]
    nl = nl[nl["value"].notna()].sort_values("period")
    row = {"Gebied": "*Nederland*"}
    for i in indicator_ids:
        ind = catalogue.by_id[i]
        v = nl.loc[nl["indicator_id"] == i, "value"]
        row[escape_md(ind.label_nl)] = fmt_number(v.iloc[-1], _dec(ind)) if len(v) else "."
    return row


def comparison_table_md(
    results, catalogue: Catalogue, indicator_ids: list[str], kind: str, *, limit: int = MAX_SHOWN
) -> str:
    """One row per area of ``kind``, one column per headline indicator (value + symbol vs NL).

    With more than ``limit`` areas of the kind, the table shows the ``limit``
    areas with the most of these indicators significantly worse than Nederland
    (:func:`indicators.present.cap.select_most_worse`), says so above the table,
    and records the table of every area as a download ``Volledig: ...``.
    Rows are in name order, the Nederland row last.
    """
    a = _by_name(results.areas[results.areas["kind"] == kind])
    label = KIND_LABELS.get(kind, kind)
    shown = select_most_worse(results.summary, a, indicator_ids, limit)
    nl_row = _nederland_row(results, catalogue, indicator_ids)
    align = "l" + "r" * len(indicator_ids)
    if not shown.capped:
        df = pd.concat(
            [
                _comparison_frame(results.summary, catalogue, indicator_ids, a),
                pd.DataFrame([nl_row]),
            ],
            ignore_index=True,
        )
        return pipe_table(df, align=align, name=f"{label} naast elkaar")
    sub = a[a["area"].isin(shown.keys)]
    df = pd.concat(
        [_comparison_frame(results.summary, catalogue, indicator_ids, sub), pd.DataFrame([nl_row])],
        ignore_index=True,
    )
    table = pipe_table(df, align=align, name=f"{label} naast elkaar (selectie)")
    full = pd.concat(
        [_comparison_frame(results.summary, catalogue, indicator_ids, a), pd.DataFrame([nl_row])],
        ignore_index=True,
    )
    download = record_complete(full, f"{label} naast elkaar")
    note = cap_note_md(
        shown,
        subject="De tabel",
        things=label,
        rule=f"met de meeste van deze {len(indicator_ids)} indicatoren significant slechter dan "
        f"Nederland {TIE_BREAK}",
        order="op naam",
        download=download,
    )
    return note + "\n\n" + table


_MARKERS = {  # vs_nederland -> (marker, filled); anything else: an open square
    "worse": ("X", True),
    "better": ("o", True),
    "similar": ("o", False),
}


def theme_values_frame(results, catalogue: Catalogue, kind: str) -> pd.DataFrame:
    """The data of every theme dot plot of ``kind`` as one table: a row per indicator and area.

    The complete download behind capped dot plots: theme, indicator, area,
    latest year, value and 95% interval (Dutch number format, ``.`` when
    missing) and the comparison with Nederland. Themes and indicators in
    catalogue order, areas by name; indicators without a value for any area
    of the kind are left out, as in the plots.
    """
    from indicators.present.area import COMPARISON_SHORT

    a = _by_name(results.areas[results.areas["kind"] == kind])
    s = results.summary[results.summary["area"].isin(a["area"])]
    names = [escape_md(n) for n in a["name"]]
    frames = []
    for theme in catalogue.themes:
        for ind in (i for i in catalogue.indicators if i.theme == theme.id):
            si = s[s["indicator_id"] == ind.id]
            if si.empty:
                continue
            si = si.set_index("area").reindex(a["area"])
            d = _dec(ind)
            frames.append(
                pd.DataFrame(
                    {
                        "Thema": escape_md(theme.label_nl),
                        "Indicator": escape_md(ind.label_nl),
                        "Gebied": names,
                        "Jaar": [str(int(p)) if pd.notna(p) else "." for p in si["latest_period"]],
                        "Waarde": [fmt_number(v, d) for v in si["latest_value"]],
                        "95%-BI ondergrens": [fmt_number(v, d) for v in si["latest_lower_ci"]],
                        "95%-BI bovengrens": [fmt_number(v, d) for v in si["latest_upper_ci"]],
                        "Vergelijking met Nederland": [
                            COMPARISON_SHORT.get(c, ".") if isinstance(c, str) else "."
                            for c in si["vs_nederland"]
                        ],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def theme_dots(
    results,
    catalogue: Catalogue,
    theme_id: str,
    kind: str,
    fig_dir: Path,
    rel: str,
    *,
    limit: int = MAX_SHOWN_CHART,
    download: Path | None = None,
) -> str:
    """Small multiples for one theme: each area's latest value with its 95% CI.

    One panel per indicator; the vertical lines mark Nederland (solid) and
    Limburg (dashed). Areas significantly worse than Nederland get a cross,
    better a filled circle, not different an open circle, so the chart reads
    in black and white.

    With more than ``limit`` areas of ``kind``, the chart shows the ``limit``
    areas with the most indicators of this theme significantly worse than
    Nederland (:func:`indicators.present.cap.select_most_worse`) and says so
    above the figure, naming ``download`` (:func:`theme_values_frame`, recorded
    by :func:`overview_md`) as the place of the complete data.
    """
    inds = [i for i in catalogue.indicators if i.theme == theme_id]
    a_all = results.areas[results.areas["kind"] == kind]
    s_all = results.summary[results.summary["area"].isin(a_all["area"])]
    inds = [i for i in inds if (s_all["indicator_id"] == i.id).any()]
    if not inds:
        return ""
    ids = [i.id for i in inds]
    shown = select_most_worse(s_all, a_all, ids, limit)
    a = _by_name(a_all[a_all["area"].isin(shown.keys)]).iloc[::-1]  # top to bottom: A to Z
    s = s_all[s_all["area"].isin(a["area"])]
    theme = next(t for t in catalogue.themes if t.id == theme_id)
    ncols = 3
    nrows = math.ceil(len(inds) / ncols)
    names = a.set_index("area")["name"]
    with plt.rc_context(charts.RC):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(2.55 * ncols + 1.6, 0.19 * len(a) * nrows + 0.9 * nrows),
            squeeze=False,
        )
        for k, (ax, ind) in enumerate(zip(axes.flat, inds, strict=False)):
            si = s[s["indicator_id"] == ind.id].set_index("area").reindex(a["area"])
            y = np.arange(len(a))
            ax.hlines(
                y, si["latest_lower_ci"], si["latest_upper_ci"], color="#777777", linewidth=1.2
            )
            # One scatter per marker style instead of one per point (the rows never
            # overlap, so the pixels are the same; 3 artists instead of len(a)).
            value = si["latest_value"].to_numpy(float)
            cls = si["vs_nederland"].where(si["vs_nederland"].isin(list(_MARKERS)), "other")
            cls = cls.to_numpy(object)
            has = ~np.isnan(value)
            for c in dict.fromkeys(cls[has]):
                m, filled = _MARKERS.get(c, ("s", False))
                sel = has & (cls == c)
                ax.scatter(
                    value[sel], y[sel], marker=m, s=26, zorder=3, linewidths=1.1,
                    facecolors="#000000" if filled else "white", edgecolors="#000000",
                )  # fmt: skip
            nlv = si["nederland_value"].dropna()
            if len(nlv):
                ax.axvline(nlv.iloc[0], color=charts.STYLES["nederland"]["color"], linewidth=1.4)
            lv = si["limburg_value"].dropna()
            if len(lv):
                ax.axvline(
                    lv.iloc[0],
                    color=charts.STYLES["limburg"]["color"],
                    linewidth=1.2,
                    linestyle="--",
                )
            ax.set_yticks(y, [names[c] for c in a["area"]] if k % ncols == 0 else [], fontsize=7)
            ax.set_title(charts._wrap(ind.label_nl, 30), loc="left")
            ax.set_xlabel(charts._wrap(ind.unit, 34), fontsize=7)
            ax.xaxis.set_major_formatter(charts._nl_tick(_dec(ind)))
            ax.grid(axis="x", color="#eeeeee")
            ax.grid(axis="y", visible=False)
        for ax in list(axes.flat)[len(inds) :]:
            ax.set_visible(False)
        from matplotlib.lines import Line2D

        leg = [
            Line2D([], [], color=charts.STYLES["nederland"]["color"], label="Nederland"),
            Line2D(
                [], [], color=charts.STYLES["limburg"]["color"], linestyle="--", label="Limburg"
            ),
            Line2D([], [], marker="X", color="#000000", linestyle="", label="slechter dan NL"),
            Line2D(
                [],
                [],
                marker="o",
                markerfacecolor="white",
                color="#000000",
                linestyle="",
                label="niet verschillend",
            ),
            Line2D([], [], marker="o", color="#000000", linestyle="", label="beter dan NL"),
        ]
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        fig.legend(handles=leg, loc="lower center", ncol=5, fontsize=7)
        path = charts.save(fig, fig_dir / f"province-{kind}-{theme_id}.png")
    label = KIND_LABELS.get(kind, kind)
    in_theme = s["indicator_id"].isin(ids)
    worse = s[(s["vs_nederland"] == "worse") & in_theme]
    alt = (
        f"Puntgrafieken met betrouwbaarheidsintervallen voor het thema {theme.label_nl}, per "
        f"{KIND_LABEL_ONE.get(kind, kind)}. {len(worse)} van de {int(in_theme.sum())} "
        "combinaties van gebied en indicator zijn significant slechter dan Nederland."
    )
    caption = (
        f"{theme.label_nl}: laatste waarde per gebied met 95%-betrouwbaarheidsinterval; "
        "doorgetrokken lijn Nederland, gestreepte lijn Limburg."
    )
    note = ""
    if shown.capped:
        all_in_theme = s_all["indicator_id"].isin(ids)
        n_worse_all = int((all_in_theme & (s_all["vs_nederland"] == "worse")).sum())
        alt += (
            f" De grafiek toont {len(a)} van de {fmt_number(shown.n_total, 0)} {label}; over "
            f"alle {label} samen zijn {fmt_number(n_worse_all, 0)} van de "
            f"{fmt_number(int(all_in_theme.sum()), 0)} combinaties significant slechter."
        )
        note = (
            cap_note_md(
                shown,
                subject="De grafiek",
                things=label,
                rule="met de meeste indicatoren van dit thema significant slechter dan Nederland "
                + TIE_BREAK,
                order="op naam",
                download=download,
            )
            + "\n\n"
        )
    return (
        f"## {escape_md(theme.label_nl)}\n\n"
        + note
        + f'![{escape_md(caption)}]({rel}/{path.name}){{#fig-prov-{kind}-{theme_id} fig-alt="{md_attr(alt)}"}}\n'
    )


def overview_md(
    results,
    catalogue: Catalogue,
    headline: list[str],
    fig_dir: Path,
    rel: str,
    *,
    limit: int = MAX_SHOWN,
    chart_limit: int = MAX_SHOWN_CHART,
) -> str:
    """The side-by-side chapter: comparison tables and small multiples per theme.

    Every table shows at most ``limit`` areas of a kind and every dot plot
    ``chart_limit`` (:mod:`indicators.present.cap`); when a kind has more, the
    complete tables are extra downloads (``Volledig: ...``) and the text says
    which areas are shown and why.
    """
    parts = []
    for kind in ("aandachtswijk", "dorpsaanpak"):
        n = int((results.areas["kind"] == kind).sum())
        if not n:
            continue
        parts.append(f"## De {fmt_number(n, 0)} {KIND_LABELS[kind]} naast elkaar\n")
        parts.append(
            "Laatste waarde per gebied; ▼ significant slechter, ▲ significant beter, ● niet significant "
            "verschillend van Nederland, geen teken: niet getoetst.\n"
        )
        parts.append(comparison_table_md(results, catalogue, headline, kind, limit=limit) + "\n")
    parts.append("## Per thema: de gebiedsgerichte aanpakken\n")
    kind = "aandachtswijk"
    download = None
    if int((results.areas["kind"] == kind).sum()) > chart_limit:
        download = record_complete(
            theme_values_frame(results, catalogue, kind),
            f"laatste waarden per thema, {KIND_LABELS[kind]}",
        )
    for t in catalogue.themes:
        md = theme_dots(
            results, catalogue, t.id, kind, fig_dir, rel, limit=chart_limit, download=download
        )
        if md:
            parts.append(md.replace("## ", "### ", 1))
    return "\n".join(parts)


def boundary_maps_md(
    boundaries: Path | str | None,
    need_table: pd.DataFrame,
    buurt_values: pd.DataFrame,
    catalogue: Catalogue,
    fig_dir: Path,
    rel: str,
    indicator: str = "bijstand",
) -> str:
    """Choropleths of wijken (need-index score) and buurten (one indicator) from a boundary file.

    Parameters
    ----------
    boundaries : Path or None
        A CBS wijk- en buurtkaart (GeoPackage with ``wijken`` and ``buurten``
        layers); ``None`` or ``""``: no maps, an empty fragment.
    need_table : DataFrame
        :attr:`indicators.need.NeedIndexResult.table` (``unit_code``, ``score``).
    buurt_values : DataFrame
        :func:`indicators.need.unit_values` at buurt level (``area``,
        ``indicator_id``, ``period``, ``value``).
    catalogue : Catalogue
    fig_dir, rel : Path, str
        Where to write the PNGs, and that folder relative to the document.
    indicator : str
        The indicator mapped per buurt (its latest period).
    """
    from indicators.maps import choropleth

    if not boundaries:
        return ""
    boundaries = Path(boundaries)
    fig_dir = Path(fig_dir)
    parts = [
        "## Wijken en buurten op de kaart",
        "Kaarten van wijken en buurten, getekend uit het CBS-grenzenbestand "
        f"*{escape_md(boundaries.name)}*. Gebieden zonder waarde zijn gearceerd.",
    ]
    has_score = {"unit_code", "score"} <= set(need_table.columns)
    score = need_table.set_index("unit_code")["score"].dropna() if has_score else pd.Series()
    if len(score):
        wk = choropleth(
            boundaries,
            score,
            path=fig_dir / "kaart-wijken-behoefte.png",
            title="Behoefte-index per wijk",
            label="score (z, hoger = meer behoefte)",
            decimals=2,
        )
        parts.append(
            f'![{escape_md(wk.caption)}]({rel}/{wk.path.name}){{#fig-kaart-wijken fig-alt="{md_attr(wk.alt)}"}}'
        )
    ind = catalogue.by_id.get(indicator)
    rows = buurt_values[
        (buurt_values["indicator_id"] == indicator)
        & buurt_values["area"].astype(str).str.startswith("BU")
    ]
    rows = rows[rows["value"].notna()]
    if ind is not None and len(rows):
        period = rows["period"].max()
        latest = rows[rows["period"] == period].set_index("area")["value"]
        bu = choropleth(
            boundaries,
            latest,
            path=fig_dir / f"kaart-buurten-{indicator}.png",
            title=f"{ind.label_nl} per buurt, {period}",
            label=ind.unit,
            decimals=_dec(ind),
        )
        parts.append(
            f'![{escape_md(bu.caption)}]({rel}/{bu.path.name}){{#fig-kaart-buurten fig-alt="{md_attr(bu.alt)}"}}'
        )
    return "\n\n".join(parts) + "\n"


def tile_map_md(
    summary: pd.DataFrame,
    catalogue: Catalogue,
    names: dict[str, str],
    fig_dir: Path,
    rel: str,
    indicator: str = "bijstand",
) -> str:
    """The tile-grid map of Limburg's 31 municipalities for one indicator's latest value.

    Municipalities outside Limburg (other provinces, synthetic scale data) are
    left out; without any Limburg municipality in the data the fragment says so.
    """
    from indicators.maps import TILE_GRID, tile_grid_map

    gm = summary[
        summary["area"].astype(str).isin(TILE_GRID) & (summary["indicator_id"] == indicator)
    ]
    ind = catalogue.by_id.get(indicator)
    if ind is None or gm.empty:
        return (
            "Geen kaart van de gemeenten: de gegevens bevatten geen Limburgse gemeenten "
            f"met de indicator '{escape_md(ind.label_nl if ind else indicator)}'."
        )
    tile = tile_grid_map(
        gm.set_index("area")["latest_value"],
        Path(fig_dir) / f"tile-{indicator}.png",
        title=f"{ind.label_nl} per gemeente",
        label=ind.unit,
        names=names,
    )
    return (
        f"![{escape_md(tile.caption)}]({rel}/{tile.path.name})"
        f'{{#fig-tile-{indicator} fig-alt="{md_attr(tile.alt)}"}}'
    )
