"""Accessibility basics (WCAG 2.1 AA, required for Dutch government publications).

Static checks on the built HTML (lang attribute, alt text on every image,
header cells in every table) and contrast checks on the palette: chart colours
against the white background need 3:1 (non-text contrast, SC 1.4.11); text
colours of the report style sheet need 4.5:1 (SC 1.4.3).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from indicators.present.charts import STYLES
from tests.test_end_to_end import built  # noqa: F401  (shared module-scoped build)

CSS = Path(__file__).parents[1] / "src/indicators/render/assets/builtin.css"


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    c = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def contrast(a: str, b: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two sRGB colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_wcag_reference_values():
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#777777") == pytest.approx(4.48, abs=0.01)  # the classic 'just fails AA' grey


@pytest.mark.parametrize("series", sorted(STYLES))
def test_chart_series_colours_have_3_to_1_contrast_on_white(series):
    assert contrast(STYLES[series]["color"]) >= 3.0, STYLES[series]["color"]


@pytest.mark.parametrize("var", ["--ink", "--muted", "--accent"])
def test_report_text_colours_have_4_5_to_1_contrast_on_white(var):
    m = re.search(rf"{var}:\s*(#[0-9a-fA-F]{{6}})", CSS.read_text(encoding="utf-8"))
    assert m, f"{var} not found in {CSS.name}"
    assert contrast(m.group(1)) >= 4.5, m.group(1)


class _A11y(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.images_without_alt = 0
        self.images = 0
        self.tables = 0
        self.tables_with_th = 0
        self._table_has_th: list[bool] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "img":
            self.images += 1
            if not (a.get("alt") or "").strip():
                self.images_without_alt += 1
        elif tag == "table":
            self.tables += 1
            self._table_has_th.append(False)
        elif tag == "th" and self._table_has_th:
            self._table_has_th[-1] = True

    def handle_endtag(self, tag):
        if tag == "table" and self._table_has_th:
            self.tables_with_th += self._table_has_th.pop()


@pytest.mark.integration
@pytest.mark.parametrize(
    "rel",
    [
        "areas/heerlen-noord/index.html",
        "provincie/index.html",
        "enquete-arbeidsmigranten/index.html",
    ],
)
def test_html_reports_declare_dutch_have_alt_text_and_table_headers(built, rel):  # noqa: F811
    paths, _ = built
    scan = _A11y()
    scan.feed((paths.output_dir / rel).read_text(encoding="utf-8"))
    assert scan.lang == "nl"
    assert scan.images > 0 and scan.images_without_alt == 0
    assert scan.tables > 0 and scan.tables_with_th == scan.tables
