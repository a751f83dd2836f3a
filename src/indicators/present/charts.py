"""Charts for reports: readable in black and white and for colour-blind readers.

Every series differs in line style *and* marker, not only in colour, and the
colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"),
which stays distinguishable under the common colour-vision deficiencies. Each
chart function returns the figure's alt text together with the file it wrote,
so no chart reaches a report without one.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

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
    frame: pd.DataFrame  # period, value, lower_ci, upper_ci


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


# Fixed-margin layout, written by hand: tight_layout and bbox_inches="tight" measure
# every text's extent by drawing the figure, about half of a report's figure time
# (issue 7). The margins below follow from the fonts in RC, so they are computed.
_PT = 1 / 72  # inch


def _text_width(chars: int, size: float) -> float:
    """Upper estimate of a DejaVu Sans string's width in inches (0.62 em per character)."""
    return chars * 0.62 * size * _PT


def _tick_chars(panel: dict) -> int:
    """Characters of the widest y tick label a panel can get (Dutch number format)."""
    d = panel.get("decimals", 1)
    vals = []
    for s in panel["series"]:
        for col in ("value", "lower_ci", "upper_ci"):
            if col in s.frame:
                vals.extend(pd.to_numeric(s.frame[col], errors="coerce").dropna().tolist())
    if not vals:
        return 3
    lo, hi = min(vals), max(vals)
    step = (hi - lo) / 4 or abs(hi) or 1.0
    return max(len(fmt_number(v, d)) for v in (lo - step, hi + step, 0.0))


def _panel_layout(panels: list[dict], titles: list[str], ylabels: list[str], nrows, ncols):
    """Margins (inches) of a small-multiples figure: left, gap between columns, title height."""
    tick_w = _text_width(max(_tick_chars(p) for p in panels), RC["font.size"])
    ylab_lines = max(t.count("\n") + 1 for t in ylabels)
    ylab_w = ylab_lines * 7 * 1.25 * _PT
    left = 0.08 + ylab_w + 0.05 + tick_w + 0.06
    title_lines = max(t.count("\n") + 1 for t in titles)
    title_h = title_lines * RC["axes.titlesize"] * 1.25 * _PT + 0.08
    return left, title_h


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
    """Small multiples of trend lines with CI bands, one panel per indicator.

    Parameters
    ----------
    panels : list of dict
        Each with ``title`` (str), ``unit`` (str), ``decimals`` (int) and
        ``series`` (list of :class:`Series`; the first is the area).
    path : Path
        PNG file to write.
    intervention_start : float, optional
        Year the area approach started; drawn as a vertical line.
    events : list of float, optional
        Start years of interventions in this theme; drawn as triangles on the time axis.
    caption, alt_intro : str
        Figure caption, and the first sentence of the alt text.
    """
    n = len(panels)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    with plt.rc_context(RC):
        fig, axes = _panel_grid(nrows, ncols, n)
        # Lay out before drawing: the axes' positions are part of the transforms the
        # limits of lines in axis coordinates go through (see _panel_grid).
        left, title_h = _panel_layout(
            panels,
            [_wrap(p["title"], 34) for p in panels],
            [_wrap(p["unit"], 28) for p in panels],
            nrows,
            ncols,
        )
        w, h = fig.get_size_inches()
        legend_h, xticks_h, right = 0.34, 0.22, 0.12
        axw = (w - left - right - (ncols - 1) * left) / ncols
        axh = (h - legend_h - xticks_h - nrows * title_h - (nrows - 1) * xticks_h) / nrows
        fig.subplots_adjust(
            left=left / w,
            right=1 - right / w,
            bottom=(legend_h + xticks_h) / h,
            top=1 - title_h / h,
            wspace=left / axw,
            hspace=(title_h + xticks_h) / axh,
        )
        handles = {}
        alt_parts = [alt_intro]
        for ax, panel in zip(axes.flat, panels, strict=False):
            for s in panel["series"]:
                f = s.frame.dropna(subset=["value"]).sort_values("period")
                if f.empty:
                    continue
                st = STYLES[s.key]
                (line,) = ax.plot(
                    f["period"],
                    f["value"],
                    markersize=3.2,
                    label=s.label,
                    **st,
                )
                handles.setdefault(s.key, line)
                if s.key == "area" and f["lower_ci"].notna().any():
                    ax.fill_between(f["period"], f["lower_ci"], f["upper_ci"], **BAND)
            if intervention_start is not None and not np.isnan(intervention_start):
                ax.axvline(
                    intervention_start, color="#555555", linewidth=0.8, linestyle=(0, (1, 2))
                )
            for year in sorted(set(events or [])):
                # A triangle on the time axis marks the start of an intervention in this theme.
                ax.plot(
                    year, 0, marker="^", markersize=5, color="#555555", clip_on=False, zorder=6,
                    transform=ax.get_xaxis_transform(),
                )  # fmt: skip
            ax.set_title(_wrap(panel["title"], 34), loc="left")
            ax.set_ylabel(_wrap(panel["unit"], 28), fontsize=7)
            ax.yaxis.set_major_formatter(_nl_tick(panel.get("decimals", 1)))
            ax.yaxis.set_major_locator(MaxNLocator(5))
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
            alt_parts.append(_panel_alt(panel))
        labels = {k: h.get_label() for k, h in handles.items()}
        order = [k for k in STYLES if k in handles]
        extra = []
        if any(s.key == "area" for p in panels for s in p["series"]):
            from matplotlib.patches import Patch

            extra = [Patch(facecolor="#000000", alpha=0.12, label="95%-betrouwbaarheidsinterval")]
        fig.legend(
            [handles[k] for k in order] + extra,
            [labels[k] for k in order] + [e.get_label() for e in extra],
            loc="lower center",
            ncol=min(5, len(order) + len(extra)),
            bbox_to_anchor=(0.5, 0.0),
            fontsize=7.5,
        )
        save(fig, path, tight=False)
    return Chart(path=path, caption=caption, alt=" ".join(alt_parts))


# Trend figures are reused, one per grid shape and thread (issue 7: "reuse figure
# objects"). Creating the axes and their ticks was about 40 % of a figure's time;
# a report draws eight of them and every area report has the same grids. Written
# by hand because matplotlib has no figure pool: a reused grid is emptied to the
# state of a new one (no lines or bands, null data limits, no legend), so the PNG
# is byte-identical to a fresh figure's (tests/test_present.py checks this).
_GRIDS = threading.local()


def _panel_grid(nrows: int, ncols: int, n: int):
    """An empty ``nrows`` x ``ncols`` grid of trend axes, the first ``n`` visible."""
    grids = _GRIDS.__dict__.setdefault("grids", {})
    key = (nrows, ncols, n, tuple(sorted((k, str(v)) for k, v in RC.items())))
    if key not in grids:
        fig = Figure(figsize=(2.55 * ncols + 0.3, 2.15 * nrows + 0.55))
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
        for ax in axes.flat[:n]:
            ax.tick_params(axis="x", labelbottom=True)  # every panel shows its years
        for ax in axes.flat[n:]:
            ax.set_visible(False)
        grids[key] = (fig, axes)
        return fig, axes
    fig, axes = grids[key]
    for legend in list(fig.legends):
        legend.remove()
    for ax in axes.flat[:n]:
        for artist in [*ax.lines, *ax.collections]:
            artist.remove()
        ax.relim()  # null data limits: autoscaling starts afresh, as on new axes
        # The view limits of new axes too: limits of lines drawn in axis coordinates
        # (event markers) are computed through the current view, to the last bit.
        ax.set_xlim(0.0, 1.0, auto=None)
        ax.set_ylim(0.0, 1.0, auto=None)
        ax._stale_viewlims.update(x=False, y=False)  # noqa: SLF001 - as after Axes.clear
    return fig, axes


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _panel_alt(panel: dict) -> str:
    """One alt-text sentence per panel: first and last value of each series."""
    bits = []
    for s in panel["series"]:
        f = s.frame.dropna(subset=["value"]).sort_values("period")
        if f.empty:
            continue
        a, b = f.iloc[0], f.iloc[-1]
        d = panel.get("decimals", 1)
        bits.append(
            f"{s.label} van {fmt_number(a['value'], d)} ({int(a['period'])}) "
            f"naar {fmt_number(b['value'], d)} ({int(b['period'])})"
        )
    if not bits:
        return f"{panel['title']}: geen gegevens."
    return f"{panel['title']} ({panel['unit']}): " + "; ".join(bits) + "."


def comparison_dots(rows: pd.DataFrame, path: Path, *, caption: str, alt_intro: str) -> Chart:
    """Spine-style overview: each indicator's value as an index against NL (NL = 100).

    ``rows`` needs ``label``, ``value``, ``nederland_value``, ``vs_nederland``
    and ``polarity``. Markers encode the comparison by *shape* as well as
    colour: filled circle = beter, cross = slechter, open circle = vergelijkbaar.
    """
    r = rows.dropna(subset=["value", "nederland_value"]).copy()
    r = r[r["nederland_value"] != 0]
    r["index"] = 100 * r["value"] / r["nederland_value"]
    r = r.iloc[::-1]
    marker = {
        "better": ("o", "#009E73", True),
        "worse": ("X", "#D55E00", True),
        "similar": ("o", "#555555", False),
    }
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(6.6, 0.24 * len(r) + 0.9))
        ax.axvline(100, color="#333333", linewidth=0.9)
        ypos = np.arange(len(r))
        for y, row in zip(ypos, r.itertuples(), strict=True):
            m, c, filled = marker.get(row.vs_nederland, ("s", "#999999", False))
            ax.plot([100, row.index], [y, y], color="#bbbbbb", linewidth=0.8, zorder=1)
            ax.scatter(
                row.index, y, marker=m, s=34, zorder=3,
                facecolors=c if filled else "white", edgecolors=c, linewidths=1.2,
            )  # fmt: skip
        ax.set_yticks(ypos, [_wrap(lbl, 48) for lbl in r["label"]], fontsize=7.5)
        ax.set_xlabel("Index ten opzichte van Nederland (Nederland = 100)")
        ax.xaxis.set_major_formatter(_nl_tick(0))
        ax.grid(axis="x", color="#eeeeee")
        ax.grid(axis="y", visible=False)
        from matplotlib.lines import Line2D

        leg = [
            Line2D(
                [], [], marker="X", color="#D55E00", linestyle="", label="slechter dan Nederland"
            ),
            Line2D(
                [],
                [],
                marker="o",
                markerfacecolor="white",
                color="#555555",
                linestyle="",
                label="vergelijkbaar",
            ),
            Line2D([], [], marker="o", color="#009E73", linestyle="", label="beter dan Nederland"),
            Line2D(
                [],
                [],
                marker="s",
                markerfacecolor="white",
                color="#999999",
                linestyle="",
                label="niet getoetst",
            ),
        ]
        fig.tight_layout()
        fig.legend(handles=leg, loc="lower center", ncol=4, fontsize=7, bbox_to_anchor=(0.5, 0.0))
        fig.subplots_adjust(bottom=max(0.08, 0.75 / fig.get_figheight() + 0.02))
        save(fig, path)
    worse = r.loc[r["vs_nederland"] == "worse", "label"].tolist()[::-1]
    alt = alt_intro + (
        f" Significant slechter dan Nederland: {', '.join(worse)}."
        if worse
        else " Geen indicator is significant slechter dan Nederland."
    )
    return Chart(path=path, caption=caption, alt=alt)
