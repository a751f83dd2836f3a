"""A small SVG canvas for the per-area report charts.

Why SVG written by hand, not matplotlib: an area report draws ten charts, and
issue 7 asks for a per-report cost far below a second. Measured on the
2-core build machine (``benchmarks/run.py`` part f), one 2x3 trend figure
costs 0.17-0.25 s in matplotlib (0.17 s as SVG with text kept as text, 0.25 s
as a 150 dpi PNG; building the artists alone is 0.08 s), and 0.10 s with
Vega-Lite through ``vl-convert``; ten of them were two thirds of a report.
Writing the same chart as SVG elements takes about 2 ms. The charts are
simple (lines, bands, markers, bars, text), their layout is fixed, and the
parts that need care come from libraries: tick positions and singular
limits from matplotlib's ``MaxNLocator``,
text widths from the DejaVu Sans font files matplotlib ships (read with
matplotlib's FreeType wrapper). The province and survey reports, built once
per build, keep their matplotlib charts.

The SVG is vector graphics, so it is sharp at any zoom and in print; text
stays text (DejaVu Sans, the font the PDF engine is given; browsers without
it fall back to Verdana, which has nearly the same metrics). Output is
deterministic: coordinates are rounded to 0.01 pt and no dates or ids from
the environment are written.

Units are points (1/72 inch); y grows downwards, as in SVG.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif"
#: Cap height of DejaVu Sans in em: to centre text vertically on a point.
CAP_HEIGHT = 0.729
#: Descent of DejaVu Sans in em.
DESCENT = 0.236
INCH = 72.0


@functools.cache
def _font(bold: bool):
    """DejaVu Sans (regular or bold) as bundled with matplotlib, set to 1000 units per em."""
    from matplotlib import ft2font
    from matplotlib.font_manager import FontProperties, findfont

    path = findfont(
        FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal"),
        fallback_to_default=True,
    )
    font = ft2font.FT2Font(path)
    font.set_size(1000, 72)
    return font


@functools.cache
def _advance(char: str, bold: bool) -> float:
    """Advance width of one character in thousandths of an em."""
    font = _font(bold)
    glyph = font.load_char(ord(char), flags=_no_hinting())
    return glyph.linearHoriAdvance / 65536


@functools.cache
def _no_hinting():
    from matplotlib import ft2font

    return ft2font.LoadFlags.NO_HINTING


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of ``text`` set in DejaVu Sans at ``size`` points (no kerning).

    >>> round(text_width("2024", 10), 2)
    25.45
    """
    return size * sum(_advance(c, bold) for c in text) / 1000


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters, broken at spaces (``textwrap``)."""
    import textwrap

    return textwrap.wrap(text, width) or [text]


def _n(x: float) -> str:
    """A coordinate: two decimals, no trailing zeros, no ``-0``."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _pts(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _dash(dash: Sequence[float] | None) -> str:
    return f' stroke-dasharray="{" ".join(_n(d) for d in dash)}"' if dash else ""


# Dash patterns of matplotlib's named line styles, in multiples of the line width
# (rcParams lines.dashed_pattern etc., with lines.scale_dashes).
DASHES = {
    "-": None,
    "--": (3.7, 1.6),
    "-.": (6.4, 1.6, 1.0, 1.6),
    ":": (1.0, 1.65),
}


def dash_for(style: str | tuple, width: float) -> tuple[float, ...] | None:
    """An SVG dash array for a matplotlib line style, scaled by the line width."""
    if isinstance(style, tuple):  # (offset, (on, off, ...)) as matplotlib takes it
        pattern = style[1]
    else:
        if style not in DASHES:
            raise ValueError(f"unknown line style {style!r} (expected one of {sorted(DASHES)})")
        pattern = DASHES[style]
    return None if pattern is None else tuple(p * width for p in pattern)


class Canvas:
    """An SVG document built element by element.

    Parameters
    ----------
    width, height : float
        Size in points.
    label : str
        Accessible name of the image (``aria-label``; the report's ``alt`` text
        is the full description).
    """

    def __init__(self, width: float, height: float, label: str = "") -> None:
        self.width = width
        self.height = height
        self.label = label
        self._defs: list[str] = []
        self._body: list[str] = []

    # --- shapes -------------------------------------------------------------------
    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: str = "none",
        stroke: str | None = None,
        width: float = 0.0,
        opacity: float | None = None,
    ) -> None:
        """A rectangle; ``fill`` may be a colour or ``url(#id)`` of a pattern."""
        self._body.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}"'
            + (f' stroke="{stroke}" stroke-width="{_n(width)}"' if stroke else "")
            + (f' fill-opacity="{_n(opacity)}"' if opacity is not None else "")
            + "/>"
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        *,
        stroke: str,
        width: float,
        dash: Sequence[float] | None = None,
    ) -> None:
        """A straight line (butt caps)."""
        self._body.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}"'
            f' stroke-width="{_n(width)}"{_dash(dash)}/>'
        )

    def polyline(
        self,
        points: Sequence[tuple[float, float]],
        *,
        stroke: str,
        width: float,
        dash: Sequence[float] | None = None,
    ) -> None:
        """An open line through ``points`` (round joins, as matplotlib draws data lines)."""
        if len(points) < 2:
            return
        self._body.append(
            f'<polyline points="{_pts(points)}" fill="none" stroke="{stroke}"'
            f' stroke-width="{_n(width)}" stroke-linejoin="round"{_dash(dash)}/>'
        )

    def polygon(
        self, points: Sequence[tuple[float, float]], *, fill: str, opacity: float | None = None
    ) -> None:
        """A filled closed shape without outline."""
        if len(points) < 3:
            return
        self._body.append(
            f'<polygon points="{_pts(points)}" fill="{fill}"'
            + (f' fill-opacity="{_n(opacity)}"' if opacity is not None else "")
            + "/>"
        )

    def marker(
        self,
        kind: str,
        x: float,
        y: float,
        size: float,
        *,
        color: str,
        face: str | None = None,
        edge: float = 1.0,
    ) -> None:
        """A data marker of ``size`` points (matplotlib's ``markersize``) centred on (x, y).

        ``kind`` is one of matplotlib's marker codes ``o s ^ D X >``; ``face`` is the
        fill (default: ``color``), ``edge`` the outline width in points.
        """
        face = face or color
        style = f'fill="{face}" stroke="{color}" stroke-width="{_n(edge)}"'
        r = size / 2
        if kind == "o":
            self._body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" {style}/>')
            return
        shapes = {
            "s": [(-r, -r), (r, -r), (r, r), (-r, r)],
            "^": [(0, -r), (r, r), (-r, r)],
            ">": [(r, 0), (-r, -r), (-r, r)],
            "D": [(0, -r * math.sqrt(2)), (r * math.sqrt(2), 0), (0, r * math.sqrt(2)),
                  (-r * math.sqrt(2), 0)],
            # matplotlib's filled X: a plus of arms 1/3 wide, turned by 45 degrees
            "X": _filled_x(r),
        }  # fmt: skip
        if kind not in shapes:
            raise ValueError(f"unknown marker {kind!r} (expected one of o s ^ > D X)")
        pts = [(x + dx, y + dy) for dx, dy in shapes[kind]]
        self._body.append(f'<polygon points="{_pts(pts)}" {style} stroke-linejoin="miter"/>')

    # --- text ---------------------------------------------------------------------
    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        anchor: str = "start",
        bold: bool = False,
        color: str = "#000000",
        rotate: float | None = None,
        valign: str = "baseline",
    ) -> None:
        """One line of text; ``valign`` ``"center"`` centres its capitals on ``y``.

        ``anchor`` is ``start``, ``middle`` or ``end`` (SVG ``text-anchor``);
        ``rotate`` turns it about (x, y) in degrees (negative: counter-clockwise).
        """
        if anchor not in ("start", "middle", "end"):
            raise ValueError(f"unknown anchor {anchor!r}")
        if valign == "center":
            shift = CAP_HEIGHT * size / 2
            if rotate is None:
                y += shift
            else:
                a = math.radians(rotate)
                x, y = x - shift * math.sin(a), y + shift * math.cos(a)
        elif valign == "top":
            shift = CAP_HEIGHT * size
            if rotate is None:
                y += shift
            else:
                a = math.radians(rotate)
                x, y = x - shift * math.sin(a), y + shift * math.cos(a)
        elif valign != "baseline":
            raise ValueError(f"unknown valign {valign!r}")
        attrs = f'x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if bold:
            attrs += ' font-weight="bold"'
        if color != "#000000":
            attrs += f' fill="{color}"'
        if rotate:
            attrs += f' transform="rotate({_n(rotate)} {_n(x)} {_n(y)})"'
        self._body.append(f"<text {attrs}>{escape(text)}</text>")

    def hatch(self, pid: str, *, color: str, background: str, spacing: float = 4.0) -> str:
        """Define a diagonal hatch pattern (``////``) on ``background``; returns its fill."""
        s = spacing
        self._defs.append(
            f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="{_n(s)}" height="{_n(s)}">'
            f'<rect width="{_n(s)}" height="{_n(s)}" fill="{background}"/>'
            f'<path d="M{_n(-s / 4)},{_n(s / 4)} L{_n(s / 4)},{_n(-s / 4)} M0,{_n(s)} L{_n(s)},0 '
            f'M{_n(s * 3 / 4)},{_n(s * 5 / 4)} L{_n(s * 5 / 4)},{_n(s * 3 / 4)}" stroke="{color}"'
            ' stroke-width="0.8"/></pattern>'
        )
        return f"url(#{pid})"

    # --- output -------------------------------------------------------------------
    def to_svg(self) -> str:
        """The document as a string."""
        w, h = _n(self.width), _n(self.height)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt"'
            f' viewBox="0 0 {w} {h}" role="img" aria-label={quoteattr(self.label)}'
            f' font-family="{FONT_FAMILY}">\n'
        )
        defs = f"<defs>{''.join(self._defs)}</defs>\n" if self._defs else ""
        background = f'<rect width="{w}" height="{h}" fill="#ffffff"/>\n'
        return head + defs + background + "\n".join(self._body) + "\n</svg>\n"

    def write(self, path: Path) -> Path:
        """Write the SVG file (UTF-8); creates the directory."""
        path = Path(path)
        if path.suffix.lower() != ".svg":
            raise ValueError(f"{path}: these charts are written as SVG (expected a .svg path)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_svg(), encoding="utf-8")
        return path


def _filled_x(r: float) -> list[tuple[float, float]]:
    """Outline of a filled X (a plus with arms of width 2r/3, rotated by 45 degrees)."""
    a = r / 3  # half the arm width
    plus = [(-a, -r), (a, -r), (a, -a), (r, -a), (r, a), (a, a), (a, r), (-a, r), (-a, a),
            (-r, a), (-r, -a), (-a, -a)]  # fmt: skip
    c = s = math.sqrt(0.5)
    return [(x * c - y * s, x * s + y * c) for x, y in plus]


class Scale:
    """A linear map from data values to points: ``Scale(d0, d1, p0, p1)(v)``."""

    def __init__(self, d0: float, d1: float, p0: float, p1: float) -> None:
        self.d0, self.d1, self.p0, self.p1 = d0, d1, p0, p1
        self._k = (p1 - p0) / (d1 - d0)

    def __call__(self, v: float) -> float:
        return self.p0 + (v - self.d0) * self._k


def view_limits(values: Iterable[float], margin: float = 0.05) -> tuple[float, float] | None:
    """Axis limits around the finite ``values``, as matplotlib autoscales them.

    A single value is first widened by 5 % (the locator's ``nonsingular``), then
    the range is widened by ``margin`` of its width on each side
    (``axes.xmargin``/``ymargin``). None when there is no finite value.
    """
    from matplotlib.ticker import MaxNLocator

    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return None
    lo, hi = (float(v) for v in MaxNLocator().nonsingular(min(finite), max(finite)))
    pad = (hi - lo) * margin
    return lo - pad, hi + pad


def ticks(
    lo: float, hi: float, nbins: int | str = 5, *, integer: bool = False, steps=None
) -> list[float]:
    """Tick positions inside [lo, hi] from matplotlib's ``MaxNLocator``."""
    from matplotlib.ticker import MaxNLocator

    loc = MaxNLocator(nbins, integer=integer, steps=steps)
    eps = (hi - lo) * 1e-9
    out = []
    for t in loc.tick_values(lo, hi):
        if lo - eps <= t <= hi + eps:
            t = float(t)
            out.append(0.0 if abs(t) < (hi - lo) * 1e-12 else t)
    return out
