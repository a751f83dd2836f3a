"""The area reports' SVG charts (indicators.present.svg, charts.trend_panels,
charts.comparison_dots, the interventions timeline).

Axis limits, ticks and text widths are checked against matplotlib itself (an
independent implementation: the charts were drawn with it before issue 7);
the drawn geometry is checked by mapping the SVG coordinates back to the data;
the typst engine must render every chart to PDF with its text as text.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from indicators.present import charts, svg  # noqa: E402
from indicators.present.charts import Series  # noqa: E402

NS = {"s": "http://www.w3.org/2000/svg"}
SCRIPT = "<script>alert(1)</script> & \"q\" 'a'"


def _parse(path) -> ET.Element:
    return ET.fromstring(path.read_bytes())  # raises on malformed XML


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def _points(el: ET.Element) -> np.ndarray:
    return np.array([[float(v) for v in p.split(",")] for p in el.get("points").split()])


def _series(key: str, years, values, lower=None, upper=None) -> Series:
    values = np.asarray(values, dtype=float)
    frame = pd.DataFrame(
        {
            "period": years,
            "value": values,
            "lower_ci": values - 1 if lower is None else lower,
            "upper_ci": values + 1 if upper is None else upper,
        }
    )
    return Series(key, key.title(), frame)


def _panels(seed: int, n: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    years = np.arange(2012 + seed % 3, 2025)
    panels = []
    for i in range(n):
        base = rng.uniform(1, 10 ** rng.integers(1, 4))
        series = []
        for key in ("area", "gemeente", "limburg", "nederland"):
            v = base * (1 + 0.1 * rng.standard_normal(len(years)).cumsum())
            series.append(_series(key, years, v, v * 0.95, v * 1.05))
        panels.append(
            {"title": f"Indicator {seed}.{i} met een lange naam", "unit": "% van de inwoners",
             "decimals": int(rng.integers(0, 3)), "series": series}
        )  # fmt: skip
    return panels


# --- primitives against matplotlib ----------------------------------------------------


@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("text", ["2024", "Geregistreerde misdrijven", "per 1.000 inwoners"])
def test_text_width_matches_matplotlib(text, bold):
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family="DejaVu Sans", size=9, weight="bold" if bold else "normal")
    expected, _h, _d = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    # matplotlib applies kerning, svg.text_width does not: within 2 %
    assert svg.text_width(text, 9, bold) == pytest.approx(expected, rel=0.02)


@pytest.mark.parametrize(
    "values",
    [[41.2, 92.3], [0.0, 0.4, 0.9], [5.0], [-3.2, 7.7], [1234.0, 1290.5], [0.012, 0.0185]],
)
def test_view_limits_and_ticks_match_matplotlib_autoscaling(values):
    fig, ax = plt.subplots()
    ax.plot(np.arange(len(values)), values)
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
    lo, hi = ax.get_ylim()
    expected = [t for t in ax.get_yticks() if lo - 1e-9 * (hi - lo) <= t <= hi + 1e-9 * (hi - lo)]
    plt.close(fig)
    got = svg.view_limits(values)
    assert got == pytest.approx((lo, hi), rel=1e-12, abs=1e-12)
    assert svg.ticks(*got, 5) == pytest.approx(expected)


def test_view_limits_ignore_missing_values():
    assert svg.view_limits([np.nan, None, float("inf")]) is None
    assert svg.view_limits([1.0, np.nan, 3.0]) == pytest.approx((0.9, 3.1))


def test_dash_patterns_scale_with_line_width_and_unknown_styles_fail():
    assert svg.dash_for("--", 2.0) == pytest.approx((7.4, 3.2))
    assert svg.dash_for("-", 2.0) is None
    with pytest.raises(ValueError, match="unknown line style"):
        svg.dash_for("~~", 1.0)


def test_canvas_escapes_text_and_refuses_other_formats(tmp_path):
    c = svg.Canvas(100, 50, label=SCRIPT)
    c.text(10, 20, SCRIPT, size=8)
    with pytest.raises(ValueError, match="expected a .svg path"):
        c.write(tmp_path / "x.png")
    root = _parse(c.write(tmp_path / "x.svg"))
    assert _texts(root) == [SCRIPT]
    assert root.get("aria-label") == SCRIPT
    assert "<script>" not in (tmp_path / "x.svg").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="unknown marker"):
        c.marker("*", 1, 1, 3, color="#000000")


# --- trend panels -------------------------------------------------------------------------


def _draw(tmp_path, panels, name="t.svg", **kw):
    path = tmp_path / name
    chart = charts.trend_panels(panels, path, caption="Cap", alt_intro="Alt.", **kw)
    return chart, _parse(path)


def test_trend_lines_map_back_to_the_data(tmp_path):
    years = np.arange(2014, 2025)
    v = np.array([10, 12, 11, 15, 14, 13, 18, 17, 16, 20, 19.5])
    panel = {
        "title": "Eén indicator",
        "unit": "%",
        "decimals": 1,
        "series": [_series("area", years, v), _series("nederland", years, v / 2)],
    }
    _chart, root = _draw(tmp_path, [panel])
    lines = root.findall("s:polyline", NS)
    assert len(lines) == 2
    nl, area = lines  # Nederland is drawn first, the area on top
    assert area.get("stroke") == charts.STYLES["area"]["color"]
    assert nl.get("stroke-dasharray")  # dotted line style
    for el, data in ((area, v), (nl, v / 2)):
        p = _points(el)
        assert len(p) == len(years)
        # x and y are affine in the data, to the 0.01 pt the file keeps
        ax_, bx = np.polyfit(years, p[:, 0], 1)
        assert np.abs(ax_ * years + bx - p[:, 0]).max() < 0.02
        ay, by = np.polyfit(data, p[:, 1], 1)
        assert ay < 0  # higher values are drawn higher up
        assert np.abs(ay * data + by - p[:, 1]).max() < 0.02
    # the two series share one scale
    pa, pn = _points(area), _points(nl)
    k = (pa[:, 1] - pn[:, 1]) / (v - v / 2)
    assert np.allclose(k, k[0], atol=1e-3)


def test_missing_values_are_skipped_and_the_band_has_gaps(tmp_path):
    years = np.arange(2015, 2025)
    v = np.linspace(20, 30, len(years))
    v[3] = np.nan
    lo, hi = v - 2, v + 2
    lo[6] = np.nan  # no interval in one year: the band breaks there
    panel = {
        "title": "T",
        "unit": "%",
        "decimals": 1,
        "series": [_series("area", years, v, lo, hi)],
    }
    _chart, root = _draw(tmp_path, [panel])
    (line,) = root.findall("s:polyline", NS)
    assert len(_points(line)) == len(years) - 1  # the line joins across the gap
    bands = [p for p in root.findall("s:polygon", NS) if p.get("fill-opacity")]
    assert len(bands) == 2  # 2015-2020 without 2018's value ... and 2022-2024
    assert [len(_points(b)) for b in bands] == [2 * 5, 2 * 3]


def test_tick_labels_are_dutch_and_cover_the_data(tmp_path):
    years = np.arange(2012, 2025)
    v = np.linspace(1200.5, 1900.25, len(years))
    panel = {"title": "T", "unit": "u", "decimals": 1, "series": [_series("area", years, v)]}
    _chart, root = _draw(tmp_path, [panel])
    texts = _texts(root)
    assert "1.400,0" in texts and "1.800,0" in texts
    assert {"2014", "2017", "2020", "2023"} <= set(texts)


def test_panel_without_data_says_so(tmp_path):
    empty = _series("area", [2020], [np.nan])
    panels = [
        {"title": "Leeg", "unit": "%", "decimals": 1, "series": [empty]},
        *_panels(1, 1),
    ]
    chart, root = _draw(tmp_path, panels)
    assert "geen gegevens" in _texts(root)
    assert "Leeg: geen gegevens." in chart.alt


def test_intervention_start_and_events_are_drawn_on_every_panel(tmp_path):
    _chart, root = _draw(
        tmp_path, _panels(2, 4), intervention_start=2019.0, events=[2021.0, 2026.0]
    )
    dotted = [ln for ln in root.findall("s:line", NS) if ln.get("stroke-dasharray") == "0.8 1.6"]
    assert len(dotted) == 4
    triangles = [p for p in root.findall("s:polygon", NS) if p.get("fill") == "#555555"]
    assert len(triangles) == 2 * 4
    # 2026 lies beyond the data: the shared time axis widens to show it
    assert "2026" in _texts(root) or max(_points(t)[:, 0].max() for t in triangles) < 2.55 * 3 * 72


def test_layout_uses_a_grid_and_a_legend(tmp_path):
    chart, root = _draw(tmp_path, _panels(3, 5))
    assert root.get("width") == f"{svg._n((2.55 * 3 + 0.3) * 72)}pt"
    assert root.get("height") == f"{svg._n((2.15 * 2 + 0.55) * 72)}pt"
    texts = _texts(root)
    for label in ("Area", "Gemeente", "Limburg", "Nederland", "95%-betrouwbaarheidsinterval"):
        assert label in texts
    assert texts.count("% van de inwoners") == 5
    assert chart.alt.startswith(
        "Alt. Indicator 3.0 met een lange naam (% van de inwoners): Area van"
    )


def test_hostile_labels_are_inert(tmp_path):
    panels = _panels(4, 1)
    panels[0]["title"] = SCRIPT
    panels[0]["series"][0] = Series("area", SCRIPT, panels[0]["series"][0].frame)
    _chart, root = _draw(tmp_path, panels)
    text = (tmp_path / "t.svg").read_text(encoding="utf-8")
    assert "<script" not in text
    assert any("alert(1)" in t for t in _texts(root))


def test_charts_are_deterministic(tmp_path):
    a = _draw(tmp_path, _panels(5, 5), "a.svg", intervention_start=2018.0)
    b = _draw(tmp_path, _panels(5, 5), "b.svg", intervention_start=2018.0)
    assert a[0].alt == b[0].alt
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_trend_panels_does_not_mutate_its_input(tmp_path):
    panels = _panels(6, 3)
    before = [p["series"][0].frame.copy() for p in panels]
    _draw(tmp_path, panels)
    for b, p in zip(before, panels, strict=True):
        pd.testing.assert_frame_equal(b, p["series"][0].frame)


# --- comparison dots ----------------------------------------------------------------------


def _dots_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["Slechter", "Beter", "Gelijk", "Niet getoetst", "Geen NL"],
            "value": [150.0, 40.0, 101.0, 80.0, 5.0],
            "nederland_value": [100.0, 50.0, 100.0, 100.0, np.nan],
            "vs_nederland": ["worse", "better", "similar", "not_tested", "worse"],
            "polarity": ["higher_is_worse"] * 5,
        }
    )


def test_comparison_dots_place_each_index_on_one_scale(tmp_path):
    chart = charts.comparison_dots(_dots_rows(), tmp_path / "o.svg", caption="C", alt_intro="A.")
    root = _parse(tmp_path / "o.svg")
    # grey connectors run from 100 to each index: their end points give the scale
    conn = [ln for ln in root.findall("s:line", NS) if ln.get("stroke") == "#bbbbbb"]
    assert len(conn) == 4  # the row without a Nederland value is left out
    x100 = {float(c.get("x1")) for c in conn}
    assert len(x100) == 1
    ends = np.array([float(c.get("x2")) for c in conn])
    idx = np.array([150.0, 80.0, 101.0, 80.0])
    k, b = np.polyfit(idx, ends, 1)
    assert np.abs(k * idx + b - ends).max() < 0.02
    assert k * 100 + b == pytest.approx(x100.pop(), abs=0.02)
    # rows from top to bottom in the given order
    ys = [float(c.get("y1")) for c in conn]
    assert ys == sorted(ys)
    texts = _texts(root)
    assert texts.index("Slechter") < texts.index("Niet getoetst")
    assert chart.alt == "A. Significant slechter dan Nederland: Slechter."
    # open markers for 'similar' and 'not tested'
    assert (
        len(
            [
                e
                for e in root.iter()
                if e.get("fill") == "#ffffff" and e.tag != "{http://www.w3.org/2000/svg}rect"
            ]
        )
        >= 2
    )


# --- interventions timeline ---------------------------------------------------------------


def test_timeline_bars_span_start_to_end(tmp_path):
    from indicators.registers.interventions import _timeline_chart

    sub = pd.DataFrame(
        {
            "name": ["Afgerond project", "Loopt nog"],
            "kind": ["project", "project"],
            "theme": ["gezondheid", "wonen"],
            "start": pd.to_datetime(["2024-01-01", "2024-07-01"]),
            "end": pd.to_datetime(["2024-12-31", None]),
        }
    )
    themes = {"gezondheid": "Gezondheid", "wonen": "Wonen"}
    _timeline_chart(
        sub, tmp_path / "tl.svg", as_of=dt.date(2025, 12, 31), area_name="Gebied",
        area_start=2024, kinds={"project": "Project"}, themes=themes,
    )  # fmt: skip
    root = _parse(tmp_path / "tl.svg")
    bars = [r for r in root.findall("s:rect", NS) if r.get("stroke") == "#000000"][:2]
    assert bars[0].get("fill").startswith("#")  # finished: plain colour
    assert bars[1].get("fill").startswith("url(#hatch")  # running: hatched
    x0, w0 = float(bars[0].get("x")), float(bars[0].get("width"))
    x1, w1 = float(bars[1].get("x")), float(bars[1].get("width"))
    # days are proportional to points: 365 days of bar 0, 548 of bar 1 (to the reference date)
    assert w1 / w0 == pytest.approx(
        (dt.date(2025, 12, 31) - dt.date(2024, 7, 1)).days
        / (dt.date(2024, 12, 31) - dt.date(2024, 1, 1)).days,
        rel=1e-3,
    )
    assert x1 > x0
    texts = _texts(root)
    assert {"2024", "2025", "2026"} <= set(texts)
    assert "(gezondheid)" in texts and "peildatum 31 december 2025" in texts


# --- the PDF engine renders them ----------------------------------------------------------


def test_typst_renders_each_chart_with_text_as_text(tmp_path):
    import io
    from pathlib import Path

    import typst
    from pypdf import PdfReader

    charts.trend_panels(_panels(7, 5), tmp_path / "t.svg", caption="C", alt_intro="A",
                        intervention_start=2019.0, events=[2020.0])  # fmt: skip
    charts.comparison_dots(_dots_rows(), tmp_path / "o.svg", caption="C", alt_intro="A")
    fonts = [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")]
    for name, probe in (("t.svg", "Indicator 7.0 met een lange naam"), ("o.svg", "Slechter")):
        src = f'#set page(width: 17cm, height: auto)\n#image("{name}", width: 100%)\n'
        pdf = typst.compile(src.encode(), root=str(tmp_path), font_paths=fonts,
                            ignore_system_fonts=True, format="pdf")  # fmt: skip
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert probe in re.sub(r"\s+", " ", text), (name, text[:200])
