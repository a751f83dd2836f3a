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


def comparison_table_md(results, catalogue: Catalogue, indicator_ids: list[str], kind: str) -> str:
    """One row per area of ``kind``, one column per headline indicator (value + symbol vs NL)."""
    a = results.areas[results.areas["kind"] == kind].sort_values("name")
    s = results.summary.set_index(["area", "indicator_id"])
    nl = results.values[results.values["area"] == "NL01"]
    rows = []
    for area in a.itertuples():
        row = {"Gebied": escape_md(area.name)}
        for i in indicator_ids:
            ind = catalogue.by_id[i]
            key = (area.area, i)
            if key in s.index:
                r = s.loc[key]
                sym = BENCH_SYMBOL.get(r["vs_nederland"], "")
                row[escape_md(ind.label_nl)] = (
                    f"{fmt_number(r['latest_value'], _dec(ind))} {sym}".strip()
                )
            else:
                row[escape_md(ind.label_nl)] = "."
        rows.append(row)
    nl_row = {"Gebied": "*Nederland*"}
    for i in indicator_ids:
        ind = catalogue.by_id[i]
        v = nl[(nl["indicator_id"] == i) & nl["value"].notna()].sort_values("period")
        nl_row[escape_md(ind.label_nl)] = (
            fmt_number(v["value"].iloc[-1], _dec(ind)) if len(v) else "."
        )
    rows.append(nl_row)
    df = pd.DataFrame(rows)
    return pipe_table(
        df,
        align="l" + "r" * (len(df.columns) - 1),
        name=f"{KIND_LABELS.get(kind, kind)} naast elkaar",
    )


def theme_dots(
    results, catalogue: Catalogue, theme_id: str, kind: str, fig_dir: Path, rel: str
) -> str:
    """Small multiples for one theme: each area's latest value with its 95% CI.

    One panel per indicator; the vertical lines mark Nederland (solid) and
    Limburg (dashed). Areas significantly worse than Nederland get a cross,
    better a filled circle, not different an open circle, so the chart reads
    in black and white.
    """
    inds = [i for i in catalogue.indicators if i.theme == theme_id]
    a = results.areas[results.areas["kind"] == kind].sort_values("name", ascending=False)
    s = results.summary[results.summary["area"].isin(a["area"])]
    inds = [i for i in inds if (s["indicator_id"] == i.id).any()]
    if not inds:
        return ""
    theme = next(t for t in catalogue.themes if t.id == theme_id)
    ncols = 3
    nrows = math.ceil(len(inds) / ncols)
    names = a.set_index("area")["name"]
    marker = {"worse": ("X", True), "better": ("o", True), "similar": ("o", False)}
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
            for yy, r in zip(y, si.itertuples(), strict=True):
                if pd.isna(r.latest_value):
                    continue
                m, filled = marker.get(r.vs_nederland, ("s", False))
                ax.scatter(
                    r.latest_value, yy, marker=m, s=26, zorder=3, linewidths=1.1,
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
    worse = s[(s["vs_nederland"] == "worse") & s["indicator_id"].isin([i.id for i in inds])]
    alt = (
        f"Puntgrafieken met betrouwbaarheidsintervallen voor het thema {theme.label_nl}, per "
        f"{KIND_LABELS.get(kind, kind)[:-1]}. {len(worse)} van de {len(s[s['indicator_id'].isin([i.id for i in inds])])} "
        "combinaties van gebied en indicator zijn significant slechter dan Nederland."
    )
    caption = (
        f"{theme.label_nl}: laatste waarde per gebied met 95%-betrouwbaarheidsinterval; "
        "doorgetrokken lijn Nederland, gestreepte lijn Limburg."
    )
    return (
        f"## {escape_md(theme.label_nl)}\n\n"
        f'![{escape_md(caption)}]({rel}/{path.name}){{#fig-prov-{kind}-{theme_id} fig-alt="{md_attr(alt)}"}}\n'
    )


def overview_md(results, catalogue: Catalogue, headline: list[str], fig_dir: Path, rel: str) -> str:
    """The side-by-side chapter: comparison tables and small multiples per theme."""
    parts = []
    for kind in ("aandachtswijk", "dorpsaanpak"):
        n = int((results.areas["kind"] == kind).sum())
        if not n:
            continue
        parts.append(f"## De {n} {KIND_LABELS[kind]} naast elkaar\n")
        parts.append(
            "Laatste waarde per gebied; ▼ significant slechter, ▲ significant beter, ● niet significant "
            "verschillend van Nederland, geen teken: niet getoetst.\n"
        )
        parts.append(comparison_table_md(results, catalogue, headline, kind) + "\n")
    parts.append("## Per thema: de gebiedsgerichte aanpakken\n")
    for t in catalogue.themes:
        md = theme_dots(results, catalogue, t.id, "aandachtswijk", fig_dir, rel)
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
