"""Interventions register: what started when in each area, and the lessons learned.

``data/registers/interventions.csv`` has one row per intervention or project:

=========  ==============================================================
area       area slug (``params/<slug>.yml``)
name       name of the intervention (free text, at most 120 characters)
kind       one of the closed list ``intervention_kinds`` in the config
theme      catalogue theme id (veiligheid, gezondheid, leren, werken,
           wonen, leefbaarheid, sociale_samenhang)
start      start date, ``YYYY-MM-DD``
end        end date, ``YYYY-MM-DD``; empty = still running
partners   partner organisations separated by ``;`` (may be empty)
lesson     lesson learned, short Dutch text (may be empty, at most 300
           characters)
=========  ==============================================================

The register may also be a sheet of an Excel workbook (``.xlsx``, same
columns in row 1; see :mod:`indicators.registers.sheets`). The frame that
leaves :func:`load_interventions` satisfies :func:`interventions_schema`.

The timeline per area and the learning-network overview are Markdown
fragments for the reports; :func:`intervention_starts` lets trend charts mark
when interventions started.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pandera.pandas as pa  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from indicators.config import AreaParams  # noqa: E402
from indicators.exceptions import InputError  # noqa: E402
from indicators.present import svg  # noqa: E402
from indicators.present.charts import RC, Chart, _wrap, save  # noqa: E402
from indicators.present.formatting import fmt_date, fmt_number  # noqa: E402
from indicators.present.tables import escape_md, pipe_table  # noqa: E402
from indicators.registers import (  # noqa: E402
    RegistersConfig,
    area_index,
    check_rows,
    default_paths,
    empty_to_na,
    figure_md,
    load_config,
    mpl_text,
    nl_list,
    parse_dates,
    required_text,
    theme_labels,
)
from indicators.registers.sheets import (  # noqa: E402
    located,
    read_register,
    source_of,
    validate_schema,
)

COLUMNS = ["area", "name", "kind", "theme", "start", "end", "partners", "lesson"]
#: Catalogue themes that are not intervention themes.
NON_INTERVENTION_THEMES = frozenset({"context"})
THEME_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]
STATE_LABELS = {"lopend": "loopt", "afgerond": "afgerond", "gepland": "gepland"}


def interventions_schema(
    config: RegistersConfig | None = None, areas: dict[str, AreaParams] | None = None
) -> pa.DataFrameSchema:
    """The pandera schema of a validated interventions register.

    Parameters
    ----------
    config : RegistersConfig, optional
        Allowed intervention kinds; default :func:`~indicators.registers.load_config`.
    areas : dict of AreaParams, optional
        Allowed area slugs; default every ``params/*.yml``.

    Returns
    -------
    pandera.DataFrameSchema
        Exactly the columns of :func:`load_interventions`, in order: text
        columns from closed lists, ``name`` 1-120 characters, ``lesson`` at
        most 300 (or missing), ``start`` a date, ``end`` a date or missing and
        not before ``start``, unique (area, name, start).
    """
    config = config or load_config()
    themes = [t for t in theme_labels() if t not in NON_INTERVENTION_THEMES]
    return pa.DataFrameSchema(
        {
            "area": pa.Column(str, pa.Check.isin(sorted(area_index(areas)))),
            "name": pa.Column(str, pa.Check.str_length(1, 120)),
            "kind": pa.Column(str, pa.Check.isin(sorted(config.intervention_kinds))),
            "theme": pa.Column(str, pa.Check.isin(themes)),
            "start": pa.Column("datetime64[ns]"),
            "end": pa.Column("datetime64[ns]", nullable=True),
            "partners": pa.Column(str),
            "lesson": pa.Column(str, pa.Check.str_length(1, 300), nullable=True),
        },
        checks=[
            pa.Check(
                lambda d: d["end"].isna() | (d["end"] >= d["start"]), name="end_not_before_start"
            )
        ],
        unique=["area", "name", "start"],
        strict=True,
        ordered=True,
        name="interventions",
        metadata={"check_fields": {"end_not_before_start": "end"}},
    )


def load_interventions(
    path: Path | None = None,
    *,
    sheet: str | None = None,
    config: RegistersConfig | None = None,
    areas: dict[str, AreaParams] | None = None,
) -> pd.DataFrame:
    """Load and validate the interventions register (CSV or Excel).

    Parameters
    ----------
    path : Path, optional
        Defaults to ``data/registers/interventions.csv``. A ``.xlsx`` file is
        read as an Excel workbook (:func:`~indicators.registers.sheets.read_register`).
    sheet : str, optional
        Excel only: the worksheet; default the first sheet.
    config : RegistersConfig, optional
        Closed list of kinds; defaults to :func:`~indicators.registers.load_config`.
    areas : dict of AreaParams, optional
        Known areas by slug; defaults to every ``params/*.yml``.

    Returns
    -------
    DataFrame
        Columns ``area, name, kind, theme, start, end, partners, lesson``;
        ``start``/``end`` are datetimes (``end`` NaT while running), ``lesson``
        is missing when none was recorded. Sorted by area, start and name.
        Satisfies :func:`interventions_schema`.

    Raises
    ------
    InputError
        Naming file, line and field (Excel: file, sheet, row, column and
        field): unknown area slug, kind or theme, a bad or missing date, an
        end before the start, a duplicate row.
    """
    path = Path(path) if path else default_paths().interventions
    config = config or load_config()
    known_areas = area_index(areas)
    raw = read_register(path, COLUMNS, sheet=sheet)
    with located(source_of(raw)):
        return _validate(raw, path, config, known_areas)


def _validate(
    raw: pd.DataFrame, path: Path, config: RegistersConfig, known_areas: dict[str, AreaParams]
) -> pd.DataFrame:
    themes = [t for t in theme_labels() if t not in NON_INTERVENTION_THEMES]
    if raw.empty:
        raise InputError("no data rows", path=str(path), row=2)

    area = raw["area"].str.strip()
    check_rows(
        ~area.isin(set(known_areas)),
        path,
        "area",
        lambda i: f"unknown area slug {area.iloc[i]!r} (no params/{area.iloc[i]}.yml)",
    )
    name = required_text(raw, "name", path, max_len=120)
    kind = raw["kind"].str.strip()
    check_rows(
        ~kind.isin(set(config.intervention_kinds)),
        path,
        "kind",
        lambda i: (
            f"unknown kind {kind.iloc[i]!r}; expected one of {sorted(config.intervention_kinds)}"
        ),
    )
    theme = raw["theme"].str.strip()
    check_rows(
        ~theme.isin(set(themes)),
        path,
        "theme",
        lambda i: f"unknown theme {theme.iloc[i]!r}; expected one of {themes}",
    )
    start = parse_dates(raw, "start", path, nullable=False)
    end = parse_dates(raw, "end", path, nullable=True)
    check_rows(
        end.notna() & (end < start),
        path,
        "end",
        lambda i: (
            f"end {end.iloc[i].date().isoformat()} is before start {start.iloc[i].date().isoformat()}"
        ),
    )
    partners = raw["partners"].str.strip()
    lesson = empty_to_na(raw["lesson"])
    check_rows(
        lesson.fillna("").str.len() > 300,
        path,
        "lesson",
        lambda i: f"lesson longer than 300 characters ({len(lesson.iloc[i])}); keep it short",
    )
    df = pd.DataFrame(
        {
            "area": area,
            "name": name,
            "kind": kind,
            "theme": theme,
            "start": start,
            "end": end,
            "partners": partners.map(_norm_partners),
            "lesson": lesson,
        }
    )
    check_rows(
        df.duplicated(["area", "name", "start"]),
        path,
        "name",
        lambda i: f"duplicate intervention {name.iloc[i]!r} with the same area and start",
    )
    df = validate_schema(df, interventions_schema(config, known_areas), path)
    return df.sort_values(["area", "start", "name"], kind="stable").reset_index(drop=True)


def _norm_partners(text: str) -> str:
    return "; ".join(p.strip() for p in text.split(";") if p.strip())


def intervention_starts(df: pd.DataFrame, area_slug: str) -> pd.DataFrame:
    """Start years of the interventions in one area, for marking trend charts.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_interventions`.
    area_slug : str
        The area.

    Returns
    -------
    DataFrame
        Columns ``theme`` (catalogue theme id), ``year`` (int) and ``name``,
        sorted by year, theme and name; empty when the area has none.
    """
    sub = df.loc[df["area"] == area_slug]
    out = pd.DataFrame(
        {
            "theme": sub["theme"].astype(str),
            "year": sub["start"].dt.year.astype("int64"),
            "name": sub["name"].astype(str),
        }
    )
    return out.sort_values(["year", "theme", "name"], kind="stable").reset_index(drop=True)


def _default_as_of(df: pd.DataFrame) -> dt.date:
    """End of the latest year that appears in the register (start or end)."""
    years = pd.concat([df["start"], df["end"]]).dropna().dt.year
    return dt.date(int(years.max()) if len(years) else dt.date.today().year, 12, 31)


def _state(df: pd.DataFrame, as_of: dt.date) -> pd.Series:
    ts = pd.Timestamp(as_of)
    state = np.where(
        df["start"] > ts,
        "gepland",
        np.where(df["end"].notna() & (df["end"] < ts), "afgerond", "lopend"),
    )
    return pd.Series(state, index=df.index)


def _theme_colour(themes: list[str]) -> dict[str, str]:
    return {t: THEME_COLOURS[i % len(THEME_COLOURS)] for i, t in enumerate(themes)}


def _period_nl(start: pd.Timestamp, end: pd.Timestamp) -> str:
    s = fmt_date(start.date())
    return f"{s} tot {fmt_date(end.date())}" if pd.notna(end) else f"sinds {s} (loopt nog)"


def _timeline_chart(
    sub: pd.DataFrame,
    path: Path,
    *,
    as_of: dt.date,
    area_name: str,
    area_start: int | None,
    kinds: dict[str, str],
    themes: dict[str, str],
) -> Chart:
    """Gantt-like bars (SVG): colour and label by theme, hatching for running ones.

    Drawn with :mod:`indicators.present.svg` (every area report has one; see there
    why not matplotlib). The time axis runs from 60 days before the first start
    (or the start of the area approach) to 60 days after the reference date, with
    a tick on 1 January of every year.
    """
    colours = _theme_colour(list(themes))
    n = len(sub)
    as_of_d = pd.Timestamp(as_of).date()
    size, legend_size = 7.2, 7.0
    labels = [
        [*svg.wrap(str(r.name), 46), f"({themes.get(r.theme, r.theme).lower()})"]
        for r in sub.itertuples(index=False)
    ]
    w, h = 6.8 * svg.INCH, (0.5 * n + 0.9) * svg.INCH
    label_w = max(svg.text_width(line, size) for lines in labels for line in lines)
    x0 = 8 + label_w + 7.0
    x1, y0, y1 = w - 10.0, 8.0, h - 44.0
    lo = sub["start"].min().date().toordinal()
    if area_start is not None:
        lo = min(lo, dt.date(area_start, 1, 1).toordinal())
    d0, d1 = lo - 60, as_of_d.toordinal() + 60
    sx = svg.Scale(d0, d1, x0, x1)
    sy = svg.Scale(-0.7, n - 0.3, y1, y0)
    c = svg.Canvas(w, h, label=f"Interventies en projecten in {area_name}")
    hatch = {}
    years = [
        dt.date(y, 1, 1).toordinal()
        for y in range(dt.date.fromordinal(d0).year, dt.date.fromordinal(d1).year + 1)
        if d0 <= dt.date(y, 1, 1).toordinal() <= d1
    ]
    for t in years:  # grid behind the bars
        c.line(sx(t), y0, sx(t), y1, stroke="#dddddd", width=0.6)
    bar_h = 0.58 * (y1 - y0) / n  # rows are one unit apart on (-0.7, n - 0.3)
    for i, (row, lines) in enumerate(zip(sub.itertuples(index=False), labels, strict=True)):
        yi = sy(n - 1 - i)
        start = row.start.date().toordinal()
        running = pd.isna(row.end) or row.end > pd.Timestamp(as_of)
        end = (min(row.end.date(), as_of_d) if pd.notna(row.end) else as_of_d).toordinal()
        colour = colours.get(row.theme, "#999999")
        fill = colour
        if running:
            if colour not in hatch:
                hatch[colour] = c.hatch(
                    f"hatch{len(hatch)}", color="#000000", background=colour, spacing=5.0
                )
            fill = hatch[colour]
        bx = sx(start)
        c.rect(bx, yi - bar_h / 2, sx(start + max(end - start, 20)) - bx, bar_h, fill=fill,
               stroke="#000000", width=0.8)  # fmt: skip
        if running:
            c.marker(">", sx(end), yi, 6, color="#000000")
        c.line(x0 - 3.5, yi, x0, yi, stroke="#000000", width=0.8)
        first = yi - (len(lines) - 1) * size * 1.2 / 2
        for j, line in enumerate(lines):
            c.text(x0 - 7.0, first + j * size * 1.2, line, size=size, anchor="end",
                   valign="center")  # fmt: skip
    c.line(sx(as_of_d.toordinal()), y0, sx(as_of_d.toordinal()), y1, stroke="#555555",
           width=0.9, dash=svg.dash_for("--", 0.9))  # fmt: skip
    legend = [
        ("rect", "#bbbbbb", "afgerond"),
        ("hatch", "#bbbbbb", "loopt nog"),
        ("--", "#555555", f"peildatum {fmt_date(as_of)}"),
    ]
    if area_start is not None:
        xa = sx(dt.date(area_start, 1, 1).toordinal())
        c.line(xa, y0, xa, y1, stroke="#000000", width=1.1, dash=svg.dash_for(":", 1.1))
        legend.append((":", "#000000", f"start aanpak ({area_start})"))
    c.line(x0, y0, x0, y1, stroke="#000000", width=0.8)
    c.line(x0, y1, x1, y1, stroke="#000000", width=0.8)
    for t in years:
        c.line(sx(t), y1, sx(t), y1 + 3.5, stroke="#000000", width=0.8)
        c.text(sx(t), y1 + 7.0, str(dt.date.fromordinal(t).year), size=RC["font.size"],
               anchor="middle", valign="top")  # fmt: skip
    handle, pad, gap = 16.0, 5.0, 16.0
    total = sum(handle + pad + svg.text_width(t, legend_size) for *_k, t in legend)
    x = (w - total - gap * (len(legend) - 1)) / 2
    y = h - 10.0
    grey_hatch = c.hatch("hatch-legend", color="#000000", background="#bbbbbb", spacing=5.0)
    for kind, colour, text in legend:
        if kind in ("rect", "hatch"):
            c.rect(x, y - 3.5, handle, 7, fill=colour if kind == "rect" else grey_hatch,
                   stroke="#000000", width=0.8)  # fmt: skip
        else:
            width = 0.9 if kind == "--" else 1.1
            c.line(x, y, x + handle, y, stroke=colour, width=width, dash=svg.dash_for(kind, width))
        c.text(x + handle + pad, y, text, size=legend_size, valign="center")
        x += handle + pad + svg.text_width(text, legend_size) + gap
    c.write(path)
    parts = [
        f"{r.name} ({kinds.get(r.kind, r.kind)}, thema {themes.get(r.theme, r.theme).lower()}) "
        f"{_period_nl(r.start, r.end)}"
        for r in sub.itertuples(index=False)
    ]
    alt = (
        f"Tijdlijn van {n} interventie{'s' if n != 1 else ''} in {area_name}, "
        f"peildatum {fmt_date(as_of)}: " + "; ".join(parts) + "."
    )
    caption = f"Interventies en projecten in {area_name}; gearceerd: loopt nog"
    return Chart(path=path, caption=caption, alt=alt)


def interventions_timeline_md(
    df: pd.DataFrame,
    area_slug: str,
    fig_dir: Path,
    rel: str,
    *,
    as_of: dt.date | None = None,
    areas: dict[str, AreaParams] | None = None,
    config: RegistersConfig | None = None,
) -> str:
    """Markdown section: timeline chart and table of an area's interventions.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_interventions`.
    area_slug : str
        The area.
    fig_dir : Path
        Directory the chart SVG is written to (``interventies-<slug>.svg``).
    rel : str
        Path of ``fig_dir`` relative to the report, used in the image link.
    as_of : date, optional
        Reference date for "still running"; default 31 December of the latest
        year in the register.

    Returns
    -------
    str
        Dutch Markdown starting with a ``##`` heading; all data text escaped.
    """
    config = config or load_config()
    known = area_index(areas)
    if area_slug not in known:
        raise InputError(f"unknown area {area_slug!r}")
    area = known[area_slug]
    as_of = as_of or _default_as_of(df)
    themes = theme_labels()
    kinds = {k: v.label for k, v in config.intervention_kinds.items()}
    sub = df.loc[df["area"] == area_slug].sort_values(["start", "name"], kind="stable")
    head = f"## Interventies en projecten in {escape_md(area.name)}\n\n"
    if sub.empty:
        return head + (
            f"In het interventieregister staan (nog) geen interventies voor "
            f"{escape_md(area.name)}.\n"
        )
    state = _state(sub, as_of)
    n_run = int((state == "lopend").sum())
    chart = _timeline_chart(
        sub,
        Path(fig_dir) / f"interventies-{area_slug}.svg",
        as_of=as_of,
        area_name=area.name,
        area_start=area.intervention_start,
        kinds=kinds,
        themes=themes,
    )
    first = sub["start"].min().date()
    intro = (
        f"Het interventieregister noemt {len(sub)} interventie{'s' if len(sub) != 1 else ''} "
        f"in {escape_md(area.name)}, de eerste gestart op {fmt_date(first)}; op "
        f"{fmt_date(as_of)} {'loopt' if n_run == 1 else 'lopen'} er {n_run}. "
        f"De gebiedsaanpak startte in {area.intervention_start}. Een interventie die start, "
        "is geen bewijs van effect: de trendgrafieken markeren alleen wanneer iets begon."
    )
    tbl = pd.DataFrame(
        {
            "Interventie": [escape_md(v) for v in sub["name"]],
            "Soort": [escape_md(kinds.get(k, k)) for k in sub["kind"]],
            "Thema": [escape_md(themes.get(t, t)) for t in sub["theme"]],
            "Start": [fmt_date(v.date()) for v in sub["start"]],
            "Einde": [fmt_date(v.date()) if pd.notna(v) else "loopt" for v in sub["end"]],
            "Partners": [escape_md(p) if p else "." for p in sub["partners"]],
        }
    )
    table = pipe_table(
        tbl,
        align="llllll",
        caption=f"Interventies in {escape_md(area.name)} {{#tbl-interventies-{area_slug}}}",
    )
    lessons = sub.dropna(subset=["lesson"])
    out = head + intro + "\n\n" + figure_md(chart, rel, f"interventies-{area_slug}") + "\n\n"
    out += table + "\n"
    if len(lessons):
        out += "\n### Geleerde lessen\n\n"
        out += "\n".join(
            f"- **{escape_md(r.name)}**: {escape_md(r.lesson)}"
            for r in lessons.itertuples(index=False)
        )
        out += "\n"
    return out


def _area_order(slugs: list[str], known: dict[str, AreaParams]) -> list[str]:
    rank = {"aandachtswijk": 0, "dorpsaanpak": 1, "gemeente": 2, "provincie": 3}
    return sorted(slugs, key=lambda s: (rank.get(known[s].kind, 9), known[s].name))


def _matrix_chart(
    df: pd.DataFrame,
    state: pd.Series,
    path: Path,
    *,
    as_of: dt.date,
    known: dict[str, AreaParams],
    kinds: dict[str, str],
) -> tuple[Chart, list[str]]:
    areas = _area_order(sorted(df["area"].unique()), known)
    kind_ids = [k for k in kinds if k in set(df["kind"])]
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(0.3 * len(areas) + 3.6, 0.32 * len(kind_ids) + 2.4))
        styles = {
            "lopend": {"marker": "o", "facecolors": "#000000", "edgecolors": "#000000"},
            "afgerond": {"marker": "o", "facecolors": "white", "edgecolors": "#000000"},
            "gepland": {"marker": "s", "facecolors": "white", "edgecolors": "#555555"},
        }
        any_multi = False
        for yi, k in enumerate(kind_ids):
            for xi, a in enumerate(areas):
                m = (df["kind"] == k) & (df["area"] == a)
                if not m.any():
                    continue
                st = state[m]
                s = "lopend" if (st == "lopend").any() else st.iloc[0]
                ax.scatter(xi, yi, s=42, linewidths=1.1, zorder=3, **styles[s])
                if m.sum() > 1:
                    any_multi = True
                    ax.annotate(
                        str(int(m.sum())),
                        (xi, yi),
                        xytext=(4, 3),
                        textcoords="offset points",
                        fontsize=6,
                    )
        n_wijk = sum(known[a].kind == "aandachtswijk" for a in areas)
        n_dorp = sum(known[a].kind == "dorpsaanpak" for a in areas)
        if 0 < n_wijk < len(areas):
            ax.axvline(n_wijk - 0.5, color="#888888", linewidth=0.8)
        for x0, k, label in ((0, n_wijk, "Aandachtswijken"), (n_wijk, n_dorp, "Dorpen")):
            if k:
                ax.text(
                    x0 + (k - 1) / 2, -1.05, label, ha="center", va="center", fontsize=7.5,
                    fontweight="bold",
                )  # fmt: skip
        ax.set_xticks(
            range(len(areas)), [mpl_text(known[a].name) for a in areas], rotation=60, ha="right"
        )
        ax.set_yticks(range(len(kind_ids)), [mpl_text(_wrap(kinds[k], 38)) for k in kind_ids])
        ax.set_xlim(-0.6, len(areas) - 0.4)
        ax.set_ylim(len(kind_ids) - 0.5, -1.4)
        ax.grid(axis="both", color="#eeeeee", linewidth=0.6)
        ax.tick_params(labelsize=7)
        leg = [
            Line2D([], [], marker="o", color="#000000", linestyle="", label="loopt"),
            Line2D(
                [],
                [],
                marker="o",
                markerfacecolor="white",
                color="#000000",
                linestyle="",
                label="afgerond",
            ),  # fmt: skip
        ]
        if any_multi:
            leg.append(
                Line2D([], [], linestyle="", marker="$2$", color="#000000", label="cijfer: aantal")
            )
        fig.legend(handles=leg, loc="upper center", ncol=3, fontsize=7, bbox_to_anchor=(0.5, 1.0))
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()))
        save(fig, path)
    busiest = df.groupby("kind")["area"].nunique().sort_values(ascending=False, kind="stable")
    top = [f"{kinds[k]} in {int(v)} gebieden" for k, v in busiest.head(3).items()]
    alt = (
        f"Matrix van {len(kind_ids)} soorten interventies (rijen) en {len(areas)} gebieden "
        f"(kolommen, eerst de aandachtswijken, dan de dorpen); een gevulde stip betekent dat "
        f"er op {fmt_date(as_of)} een interventie van die soort loopt, een open stip dat die "
        f"is afgerond. Meest verspreid: {nl_list(top)}."
    )
    caption = "Lerend netwerk: welke soorten interventies lopen waar"
    return Chart(path=path, caption=caption, alt=alt), areas


def learning_network_md(
    df: pd.DataFrame,
    fig_dir: Path,
    rel: str,
    *,
    as_of: dt.date | None = None,
    areas: dict[str, AreaParams] | None = None,
    config: RegistersConfig | None = None,
) -> str:
    """Markdown section: cross-area overview (kind x area matrix) and the lessons.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_interventions`.
    fig_dir, rel : Path, str
        Where the chart ``lerend-netwerk.png`` is written and how the report
        links to it.
    as_of : date, optional
        Reference date for "running" (default: end of the latest register year).
    """
    config = config or load_config()
    known = area_index(areas)
    kinds = {k: v.label for k, v in config.intervention_kinds.items()}
    head = "## Lerend netwerk: wat loopt waar\n\n"
    if df.empty:
        return head + "Het interventieregister is leeg.\n"
    as_of = as_of or _default_as_of(df)
    state = _state(df, as_of)
    chart, order = _matrix_chart(
        df, state, Path(fig_dir) / "lerend-netwerk.png", as_of=as_of, known=known, kinds=kinds
    )
    n_run = int((state == "lopend").sum())
    intro = (
        f"Het interventieregister telt {len(df)} interventies in {df['area'].nunique()} "
        f"gebieden, van {df['kind'].nunique()} soorten; op {fmt_date(as_of)} lopen er "
        f"{n_run}. Het lerend netwerk deelt wat waar loopt en wat dat heeft geleerd."
    )
    names = {a: known[a].name for a in order}
    rows = []
    for k in [k for k in kinds if k in set(df["kind"])]:
        m = df["kind"] == k
        run = _area_order(sorted(df.loc[m & (state == "lopend"), "area"].unique()), known)
        done = [
            a for a in _area_order(sorted(df.loc[m, "area"].unique()), known) if a not in set(run)
        ]
        rows.append(
            {
                "Soort interventie": escape_md(kinds[k]),
                "Gebieden": fmt_number(df.loc[m, "area"].nunique(), 0),
                "Loopt in": escape_md(", ".join(names[a] for a in run)) or ".",
                "Afgerond in": escape_md(", ".join(names[a] for a in done)) or ".",
            }
        )
    table = pipe_table(
        pd.DataFrame(rows),
        align="lrll",
        caption="Soorten interventies per gebied {#tbl-lerend-netwerk}",
    )
    lessons = df.dropna(subset=["lesson"]).copy()
    lessons["_k"] = lessons["kind"].map({k: i for i, k in enumerate(kinds)})
    lessons = lessons.sort_values(["_k", "area", "start"], kind="stable")
    out = head + intro + "\n\n" + figure_md(chart, rel, "lerend-netwerk") + "\n\n" + table + "\n"
    if len(lessons):
        ltbl = pd.DataFrame(
            {
                "Soort": [escape_md(kinds[k]) for k in lessons["kind"]],
                "Gebied": [escape_md(known[a].name) for a in lessons["area"]],
                "Interventie": [escape_md(v) for v in lessons["name"]],
                "Les": [escape_md(v) for v in lessons["lesson"]],
            }
        )
        out += (
            "\n### Geleerde lessen\n\n"
            + pipe_table(ltbl, align="llll", caption="Lessen uit het interventieregister")
            + "\n"
        )
    return out
