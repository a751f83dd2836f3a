"""Charts for reports: readable in black and white and for colour-blind readers.

Every series differs in line style *and* marker, not only in colour, and the
colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"),
which stays distinguishable under the common colour-vision deficiencies. Each
chart function returns the figure's alt text together with the file it wrote,
so no chart reaches a report without one.

The charts every area report draws (:func:`trend_panels`,
:func:`comparison_dots`) are written as SVG with :mod:`indicators.present.svg`,
which says why; the charts of the province and survey reports use matplotlib
with the settings in :data:`RC`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from indicators.present import svg  # noqa: E402
from indicators.present.formatting import fmt_number  # noqa: E402

# Okabe-Ito colours; the area itself is black so it survives any printer.
STYLES = {
    "area": {"color": "#000000", "linestyle": "-", "marker": "o", "linewidth": 2.0, "zorder": 5},
    "gemeente": {
        "color": "#D55E00",
        "linestyle": "--",
        "marker": "s",
        "linewidth": 1.4,
        "zorder": 4,
    },
    "limburg": {
        "color": "#0072B2",
        "linestyle": "-.",
        "marker": "^",
        "linewidth": 1.4,
        "zorder": 3,
    },
    "nederland": {
        "color": "#009E73",
        "linestyle": ":",
        "marker": "D",
        "linewidth": 1.6,
        "zorder": 2,
    },
}
BAND = {"color": "#000000", "alpha": 0.12, "linewidth": 0}

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    # A fixed title position: matplotlib otherwise measures every axis's tick labels on
    # each draw to move titles clear of top ticks, which these charts never have.
    "axes.titley": 1.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "savefig.dpi": 150,
    "svg.hashsalt": "limburg-indicators",
}


@dataclass(frozen=True)
class Chart:
    """A written chart: its file, caption and alt text."""

    path: Path
    caption: str
    alt: str


@dataclass(frozen=True)
class Series:
    """One line of a trend panel."""

    key: str  # one of STYLES
    label: str
    #: period, value, lower_ci, upper_ci: a DataFrame, or those columns as arrays
    frame: pd.DataFrame | Mapping[str, np.ndarray]


def _nl_tick(decimals: int):
    return FuncFormatter(lambda v, _pos: fmt_number(v, decimals))


def save(fig, path: Path, *, tight: bool = True) -> Path:
    """Save a figure reproducibly (no software/version metadata in the PNG).

    ``tight`` crops to the drawn content (``bbox_inches="tight"``), which costs
    an extra draw; figures laid out with fixed margins pass ``tight=False``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(
        path, format="png", bbox_inches="tight" if tight else None, metadata={"Software": None}
    )
    plt.close(fig)
    return path


# --- SVG charts of the area reports (indicators.present.svg says why not matplotlib) ---

# Sizes in points, from the matplotlib settings the charts followed (RC).
_FONT = RC["font.size"]  # tick labels
_TITLE = RC["axes.titlesize"]
_TICK_LEN, _TICK_PAD, _LABEL_PAD, _TITLE_PAD = 3.5, 3.5, 4.0, 6.0
_SPINE = 0.8
_LINE_SPACING = 1.2


def _finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def _segments(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[tuple[list, list, list]]:
    """Runs of consecutive points where both band bounds are finite (fill_between's gaps)."""
    ok = np.isfinite(lo) & np.isfinite(hi)
    out, start = [], None
    for i, good in enumerate([*ok, False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            out.append((x[start:i], lo[start:i], hi[start:i]))
            start = None
    return out


def floats(col: pd.Series | np.ndarray) -> np.ndarray:
    """A column as float64, missing values (NaN, None, pd.NA) as NaN."""
    if isinstance(col, np.ndarray) and col.dtype == np.float64:
        return col
    if col.dtype == np.float64:
        return col.to_numpy()
    return pd.to_numeric(pd.Series(col), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _panel_frames(panel: dict) -> list[tuple[Series, np.ndarray, ...]]:
    """Each series' points with a value, sorted by period: (series, x, value, lower, upper).

    Series without any value are left out. Missing bounds are NaN.
    """
    out = []
    for s in panel["series"]:
        f = s.frame
        x = floats(f["period"])
        v = floats(f["value"])
        keep = np.isfinite(x) & np.isfinite(v)
        if not keep.any():
            continue
        nan = np.full(len(x), np.nan)
        lo = floats(f["lower_ci"]) if "lower_ci" in f else nan
        hi = floats(f["upper_ci"]) if "upper_ci" in f else nan
        order = np.argsort(x[keep], kind="stable")
        out.append((s, x[keep][order], v[keep][order], lo[keep][order], hi[keep][order]))
    return out


def trend_panels(
    panels: list[dict],
    path: Path,
    *,
    ncols: int = 3,
    intervention_start: float | None = None,
    events: list[float] | None = None,
    caption: str,
    alt_intro: str,
) -> Chart:
    """Small multiples of trend lines with CI bands, one panel per indicator (SVG).

    Parameters
    ----------
    panels : list of dict
        Each with ``title`` (str), ``unit`` (str), ``decimals`` (int) and
        ``series`` (list of :class:`Series`; the first is the area).
    path : Path
        SVG file to write.
    intervention_start : float, optional
        Year the area approach started; drawn as a vertical dotted line.
    events : list of float, optional
        Start years of interventions in this theme; drawn as triangles on the time axis.
    caption, alt_intro : str
        Figure caption, and the first sentence of the alt text.

    Notes
    -----
    Drawn as matplotlib drew it before (issue 7 replaced matplotlib here for
    speed): panels share the time axis; each axis spans its data (lines and the
    area's band) plus 5 % margins, with ticks from ``MaxNLocator`` (5 bins,
    whole years on the time axis) and Dutch tick labels. Lines are drawn in the
    order Nederland, Limburg, gemeente, area, so the area is on top; the area's
    95% interval is a grey band with gaps where it is missing.
    """
    n = len(panels)
    if n == 0:
        raise ValueError("trend_panels needs at least one panel")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    frames = [_panel_frames(p) for p in panels]
    start = None
    if intervention_start is not None and not np.isnan(intervention_start):
        start = float(intervention_start)
    marks = sorted(set(events or []))

    # Shared time axis: every period, the start line and the event markers.
    xs = [v for fr in frames for _s, x, *_ in fr for v in x]
    xs += ([start] if start is not None else []) + [float(e) for e in marks]
    xlim = svg.view_limits(xs) or (0.0, 1.0)
    xticks = svg.ticks(*xlim, 5, integer=True)

    # Per panel: the value axis and its tick labels.
    axes = []
    for panel, fr in zip(panels, frames, strict=True):
        ys = []
        for s, _x, v, lo, hi in fr:
            ys += list(v)
            if s.key == "area":
                band = np.isfinite(lo) & np.isfinite(hi)
                ys += list(lo[band]) + list(hi[band])
        ylim = svg.view_limits(ys)
        d = panel.get("decimals", 1)
        yt = svg.ticks(*ylim, 5) if ylim else []
        axes.append((ylim, [(t, fmt_number(t, d)) for t in yt]))

    # Layout (points): one left margin for every column, wide enough for the
    # widest tick label and the longest wrapped unit label.
    titles = [svg.wrap(p["title"], 34) for p in panels]
    units = [svg.wrap(p["unit"], 28) for p in panels]
    tick_w = max([svg.text_width(lbl, _FONT) for _l, tl in axes for _t, lbl in tl] or [0.0])
    ylab_w = max(len(u) for u in units) * 7 * _LINE_SPACING
    left = 6 + ylab_w + _LABEL_PAD + tick_w + _TICK_PAD + _TICK_LEN
    title_h = max(len(t) for t in titles) * _TITLE * _LINE_SPACING + _TITLE_PAD
    legend_h, xticks_h, right = 24.5, 15.8, 8.6
    w = (2.55 * ncols + 0.3) * svg.INCH
    h = (2.15 * nrows + 0.55) * svg.INCH
    axw = (w - left - right - (ncols - 1) * left) / ncols
    axh = (h - legend_h - xticks_h - nrows * title_h - (nrows - 1) * xticks_h) / nrows

    c = svg.Canvas(w, h, label=caption)
    alt_parts = [alt_intro]
    present: dict[str, str] = {}
    for k, (panel, fr, (ylim, ytl)) in enumerate(zip(panels, frames, axes, strict=True)):
        row, col = divmod(k, ncols)
        x0 = left + col * (axw + left)
        top = title_h + row * (axh + xticks_h + title_h)
        bottom = top + axh
        sx = svg.Scale(*xlim, x0, x0 + axw)
        # Grid and value axis
        if ylim:
            sy = svg.Scale(*ylim, bottom, top)
            for t, lbl in ytl:
                y = sy(t)
                c.line(x0, y, x0 + axw, y, stroke=RC["grid.color"], width=RC["grid.linewidth"])
                c.line(x0 - _TICK_LEN, y, x0, y, stroke="#000000", width=_SPINE)
                c.text(x0 - _TICK_LEN - _TICK_PAD, y, lbl, size=_FONT, anchor="end",
                       valign="center")  # fmt: skip
        else:
            c.text(x0 + axw / 2, top + axh / 2, "geen gegevens", size=_FONT, anchor="middle",
                   valign="center", color="#555555")  # fmt: skip
        # Bands, then lines from the back (Nederland) to the front (area)
        if ylim:
            for s, x, _v, lo, hi in fr:
                if s.key != "area":
                    continue
                for sx_, slo, shi in _segments(x, lo, hi):
                    pts = [(sx(a), sy(b)) for a, b in zip(sx_, shi, strict=True)]
                    pts += [(sx(a), sy(b)) for a, b in zip(sx_[::-1], slo[::-1], strict=True)]
                    if len(sx_) == 1:  # fill_between of one point: a zero-width band
                        continue
                    c.polygon(pts, fill=BAND["color"], opacity=BAND["alpha"])
            for s, x, v, _lo, _hi in sorted(fr, key=lambda t: STYLES[t[0].key]["zorder"]):
                st = STYLES[s.key]
                pts = [(sx(a), sy(b)) for a, b in zip(x, v, strict=True)]
                c.polyline(pts, stroke=st["color"], width=st["linewidth"],
                           dash=svg.dash_for(st["linestyle"], st["linewidth"]))  # fmt: skip
                for px, py in pts:
                    c.marker(st["marker"], px, py, 3.2, color=st["color"])
                present.setdefault(s.key, s.label)
        if start is not None:
            xs_ = sx(start)
            c.line(xs_, top, xs_, bottom, stroke="#555555", width=0.8, dash=(0.8, 1.6))
        # Axes: left and bottom spines, time ticks
        c.line(x0, top, x0, bottom, stroke="#000000", width=_SPINE)
        c.line(x0, bottom, x0 + axw, bottom, stroke="#000000", width=_SPINE)
        for t in xticks:
            x = sx(t)
            c.line(x, bottom, x, bottom + _TICK_LEN, stroke="#000000", width=_SPINE)
            c.text(x, bottom + _TICK_LEN + _TICK_PAD, str(int(round(t))), size=_FONT,
                   anchor="middle", valign="top")  # fmt: skip
        for year in marks:
            # A triangle on the time axis marks the start of an intervention in this theme.
            c.marker("^", sx(float(year)), bottom, 5, color="#555555")
        # Title above, unit label to the left
        for i, line in enumerate(reversed(titles[k])):
            c.text(x0, top - _TITLE_PAD - i * _TITLE * _LINE_SPACING, line, size=_TITLE,
                   bold=True)  # fmt: skip
        ux = x0 - _TICK_LEN - _TICK_PAD - tick_w - _LABEL_PAD - DESCENT_7
        for i, line in enumerate(reversed(units[k])):
            c.text(ux - i * 7 * _LINE_SPACING, top + axh / 2, line, size=7, anchor="middle",
                   rotate=-90)  # fmt: skip
        alt_parts.append(_panel_alt(panel, fr))
    _legend(
        c,
        [(k, present[k]) for k in STYLES if k in present],
        band=any(s.key == "area" for p in panels for s in p["series"]),
        y=h - legend_h / 2,
    )
    c.write(path)
    return Chart(path=path, caption=caption, alt=" ".join(alt_parts))


DESCENT_7 = svg.DESCENT * 7


def _legend(c: svg.Canvas, entries: list[tuple[str, str]], *, band: bool, y: float) -> None:
    """One centred row: a line sample with its marker per series, then the band."""
    size, handle, pad, gap = 7.5, 15.0, 6.0, 15.0
    items = [(key, label) for key, label in entries]
    labels = [label for _k, label in items] + (["95%-betrouwbaarheidsinterval"] if band else [])
    total = sum(handle + pad + svg.text_width(lbl, size) for lbl in labels)
    total += gap * (len(labels) - 1)
    x = (c.width - total) / 2
    for key, label in items:
        st = STYLES[key]
        c.line(x, y, x + handle, y, stroke=st["color"], width=st["linewidth"],
               dash=svg.dash_for(st["linestyle"], st["linewidth"]))  # fmt: skip
        c.marker(st["marker"], x + handle / 2, y, 3.2, color=st["color"])
        c.text(x + handle + pad, y, label, size=size, valign="center")
        x += handle + pad + svg.text_width(label, size) + gap
    if band:
        c.rect(x, y - 3.5, handle, 7, fill=BAND["color"], opacity=BAND["alpha"])
        c.text(x + handle + pad, y, labels[-1], size=size, valign="center")


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _panel_alt(panel: dict, frames: list | None = None) -> str:
    """One alt-text sentence per panel: first and last value of each series.

    ``frames`` is the panel's :func:`_panel_frames`, when the caller has it.
    """
    bits = []
    d = panel.get("decimals", 1)
    for s, x, v, _lo, _hi in _panel_frames(panel) if frames is None else frames:
        bits.append(
            f"{s.label} van {fmt_number(float(v[0]), d)} ({int(x[0])}) "
            f"naar {fmt_number(float(v[-1]), d)} ({int(x[-1])})"
        )
    if not bits:
        return f"{panel['title']}: geen gegevens."
    return f"{panel['title']} ({panel['unit']}): " + "; ".join(bits) + "."


#: Marker of each comparison outcome: (marker, colour, filled).
DOT_MARKERS = {
    "better": ("o", "#009E73", True),
    "worse": ("X", "#D55E00", True),
    "similar": ("o", "#555555", False),
}
_NOT_TESTED = ("s", "#999999", False)


def comparison_dots(rows: pd.DataFrame, path: Path, *, caption: str, alt_intro: str) -> Chart:
    """Spine-style overview: each indicator's value as an index against NL (NL = 100), SVG.

    ``rows`` needs ``label``, ``value``, ``nederland_value``, ``vs_nederland``
    and ``polarity``, in reading order (the first row is drawn at the top).
    Markers encode the comparison by *shape* as well as colour: X = slechter,
    filled circle = beter, open circle = vergelijkbaar, open square = niet getoetst.
    """
    r = rows.dropna(subset=["value", "nederland_value"]).copy()
    r = r[r["nederland_value"] != 0]
    r["index"] = 100 * r["value"] / r["nederland_value"]
    n = len(r)
    labels = [svg.wrap(str(lbl), 48) for lbl in r["label"]]
    label_size, legend_size = 7.5, 7.0
    w = 6.6 * svg.INCH
    h = (0.24 * n + 0.9) * svg.INCH
    label_w = max([svg.text_width(line, label_size) for lines in labels for line in lines] or [0])
    left = 8 + label_w + _TICK_PAD + _TICK_LEN
    right, top, bottom_h = 14.0, 8.0, 54.0
    x0, x1, y0, y1 = left, w - right, top, h - bottom_h
    xlim = svg.view_limits([100.0, *r["index"]]) or (90.0, 110.0)
    sx = svg.Scale(*xlim, x0, x1)
    # Rows at 0..n-1 from the bottom, with matplotlib's 5 % margins.
    ylim = svg.view_limits(range(n)) or (-0.5, 0.5)
    sy = svg.Scale(*ylim, y1, y0)

    c = svg.Canvas(w, h, label=caption)
    xt = svg.ticks(*xlim, 7, steps=[1, 2, 2.5, 5, 10])
    for t in xt:
        c.line(sx(t), y0, sx(t), y1, stroke="#eeeeee", width=RC["grid.linewidth"])
    c.line(sx(100), y0, sx(100), y1, stroke="#333333", width=0.9)
    for i, (row, lines) in enumerate(zip(r.itertuples(), labels, strict=True)):
        y = sy(n - 1 - i)
        m, colour, filled = DOT_MARKERS.get(row.vs_nederland, _NOT_TESTED)
        c.line(sx(100), y, sx(row.index), y, stroke="#bbbbbb", width=0.8)
        c.marker(m, sx(row.index), y, math.sqrt(34), color=colour,
                 face=colour if filled else "#ffffff", edge=1.2)  # fmt: skip
        c.line(x0 - _TICK_LEN, y, x0, y, stroke="#000000", width=_SPINE)
        first = y - (len(lines) - 1) * label_size * _LINE_SPACING / 2
        for j, line in enumerate(lines):
            c.text(x0 - _TICK_LEN - _TICK_PAD, first + j * label_size * _LINE_SPACING, line,
                   size=label_size, anchor="end", valign="center")  # fmt: skip
    c.line(x0, y0, x0, y1, stroke="#000000", width=_SPINE)
    c.line(x0, y1, x1, y1, stroke="#000000", width=_SPINE)
    for t in xt:
        c.line(sx(t), y1, sx(t), y1 + _TICK_LEN, stroke="#000000", width=_SPINE)
        c.text(sx(t), y1 + _TICK_LEN + _TICK_PAD, fmt_number(t, 0), size=_FONT,
               anchor="middle", valign="top")  # fmt: skip
    c.text((x0 + x1) / 2, y1 + 30, "Index ten opzichte van Nederland (Nederland = 100)",
           size=_FONT, anchor="middle")  # fmt: skip
    legend = [
        ("X", "#D55E00", True, "slechter dan Nederland"),
        ("o", "#555555", False, "vergelijkbaar"),
        ("o", "#009E73", True, "beter dan Nederland"),
        ("s", "#999999", False, "niet getoetst"),
    ]
    gap, pad = 18.0, 5.0
    total = sum(7 + pad + svg.text_width(t, legend_size) for *_m, t in legend)
    x = (w - total - gap * (len(legend) - 1)) / 2
    y = h - 9
    for m, colour, filled, text in legend:
        c.marker(m, x + 3.5, y, 6.0, color=colour, face=colour if filled else "#ffffff", edge=1.2)
        c.text(x + 7 + pad, y, text, size=legend_size, valign="center")
        x += 7 + pad + svg.text_width(text, legend_size) + gap
    c.write(path)
    worse = r.loc[r["vs_nederland"] == "worse", "label"].tolist()
    alt = alt_intro + (
        f" Significant slechter dan Nederland: {', '.join(worse)}."
        if worse
        else " Geen indicator is significant slechter dan Nederland."
    )
    return Chart(path=path, caption=caption, alt=alt)
