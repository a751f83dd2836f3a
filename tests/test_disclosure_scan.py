"""Disclosure scan: no published output shows a count below its catalogue threshold.

A small dorpsaanpak (Mesch, one buurt, many suppressed cells) and the province
report are built; then every output file is scanned, by type:

- CSV downloads and Excel workbooks: every ``*numerator`` / ``*denominator``
  column pair (``numerator``, ``latest_numerator``, ...) is checked per row
  against the row's indicator: a numerator in ``1 .. min_count - 1`` (for
  indicators aggregated by sum) or a denominator below ``min_denominator``
  is a disclosure; a row flagged ``suppressed`` must show no value, interval
  or numerator.
- Presentation tables, in the HTML (parsed as a browser would) and in their
  CSV and Excel copies: a row naming an indicator and a year must not show a
  value for a suppressed cell; columns of counts (teller, noemer,
  respondenten, n) must not hold small counts.
- HTML text and PDF text (pypdf): phrases such as ``n = 7`` or
  ``7 respondenten`` must not state fewer than 10.
- Survey outputs (``_output/survey``, when built): no cell may rest on fewer
  than 10 respondents. Skipped, with a reason, while no survey output exists.

Any other file type in the output makes the scan fail, so a new output type
cannot slip past it.
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from indicators.config import load_catalogue
from indicators.pipeline import Paths, build

pytestmark = pytest.mark.integration

AREA = "mesch"
SURVEY_MIN_RESPONDENTS = 10
SCANNED = {".html", ".pdf", ".csv", ".xlsx", ".ipynb"}
COUNT_HEADER = re.compile(r"^(n|teller|noemer|respondenten|aantal respondenten|ongewogen n)$", re.I)
SMALL_N_TEXT = re.compile(
    r"(?<![\w.,])(?:[nN]\s*=\s*(\d+)|(\d+)\s+(?:respondenten|deelnemers|ondervraagden))\b"
)
SURVEY_COUNT_COLUMN = re.compile(
    r"^(n|n_.*|.*_n|count|.*respond.*|ongewogen.*|unweighted.*)$", re.I
)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue().frame().set_index("id")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    paths = Paths.default(output_dir=out, build_dir=tmp_path_factory.mktemp("build"))
    outcomes = build([AREA], engine="builtin", jobs=2, paths=paths, province=True)
    if not all(o.ok for o in outcomes):  # pytest.fail: not an AssertionError for the xfail below
        pytest.fail(f"build failed: {[o.error for o in outcomes if not o.ok]}")
    files = sorted(p for p in out.rglob("*") if p.is_file())
    return out, files


def _number(cell) -> float:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return math.nan
    text = str(cell).strip()
    if text in ("", "."):
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


def _frames(path: Path) -> list[tuple[str, pd.DataFrame]]:
    if path.suffix == ".csv":
        return [(path.name, pd.read_csv(path, dtype=str, keep_default_na=False))]
    sheets = pd.read_excel(path, sheet_name=None, dtype=str)
    return [(f"{path.name}[{name}]", df.fillna("")) for name, df in sheets.items()]


def table_violations(name: str, df: pd.DataFrame, cat: pd.DataFrame) -> dict[str, list[str]]:
    """Small numerators, small denominators and suppressed rows that show a figure."""
    found: dict[str, list[str]] = {"numerator": [], "denominator": [], "suppressed": []}
    id_col = "indicator_id" if "indicator_id" in df.columns else None
    pairs = [
        (c, c.replace("numerator", "denominator"))
        for c in df.columns
        if "numerator" in c and c.replace("numerator", "denominator") in df.columns
    ]
    if pairs and id_col is None:
        found["numerator"].append(f"{name}: counts without an indicator_id column to check them")
        return found
    for i, row in df.iterrows():
        if id_col is None:
            break
        ind = row[id_col]
        if ind not in cat.index:
            continue
        rule = cat.loc[ind]
        where = f"{name} row {i + 2} ({ind}"
        for ncol, dcol in pairs:
            num, den = _number(row[ncol]), _number(row[dcol])
            if rule["aggregation"] == "sum" and 0 < num < rule["min_count"]:
                found["numerator"].append(f"{where}): {ncol} = {num:g} < {rule['min_count']:g}")
            if den < rule["min_denominator"]:
                found["denominator"].append(
                    f"{where}): {dcol} = {den:g} < {rule['min_denominator']:g}"
                )
        if "flags" in df.columns and "suppressed" in str(row["flags"]):
            shown = [
                c
                for c in ("value", "lower_ci", "upper_ci", "numerator")
                if c in df.columns and not math.isnan(_number(row[c]))
            ]
            if shown:
                found["suppressed"].append(f"{where}, {row.get('period')}): shows {shown}")
    return found


class _Tables(HTMLParser):
    """Tables as lists of rows of cell text, plus the visible text of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.text: list[str] = []
        self._stack: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: str | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            self._stack[-1].append(self._row)
            self._row = None
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell += data


def _dutch_number(text: str) -> float:
    m = re.match(r"^-?[\d.]*\d(,\d+)?", text.strip())
    return float(m.group(0).replace(".", "").replace(",", ".")) if m else math.nan


def rows_violations(
    name: str,
    header: list[str],
    rows: list[list[str]],
    cat: pd.DataFrame,
    suppressed: set[tuple[str, int]],
) -> list[str]:
    """A presentation table (HTML, or its CSV/Excel download): suppressed cells, small counts.

    A row whose first cell is an indicator label and which has a ``Jaar``
    column must not show a value for a suppressed (indicator, year); a column
    of counts (teller, noemer, respondenten, n) must not hold a small count.
    """
    by_label = {" ".join(str(v).split()): k for k, v in cat["label_nl"].items()}
    header = [" ".join(str(h).split()) for h in header]
    counts = [j for j, h in enumerate(header) if COUNT_HEADER.match(h)]
    year = header.index("Jaar") if "Jaar" in header else None
    found = []
    for r, row in enumerate(rows, start=1):
        row = [" ".join(str(c).split()) for c in row]
        ind = by_label.get(row[0]) if row else None
        if year is not None and ind and year + 1 < len(row) and row[year].isdigit():
            if (ind, int(row[year])) in suppressed and not math.isnan(_dutch_number(row[year + 1])):
                found.append(f"{name} row {r}: suppressed cell {ind} {row[year]} = {row[year + 1]}")
        for j in counts:
            n = _dutch_number(row[j]) if j < len(row) else math.nan
            limit = cat.loc[ind, "min_count"] if ind else SURVEY_MIN_RESPONDENTS
            if 0 < n < limit:
                found.append(f"{name} row {r}: {header[j]} = {row[j]}")
    return found


def html_violations(
    name: str, html: str, cat: pd.DataFrame, suppressed: set[tuple[str, int]]
) -> list[str]:
    """Every table of the page (see :func:`rows_violations`) and its visible text."""
    parser = _Tables()
    parser.feed(html)
    found = []
    for t, table in enumerate(parser.tables):
        if table:
            found += rows_violations(f"{name} table {t}", table[0], table[1:], cat, suppressed)
    found += text_violations(name, " ".join(parser.text))
    return found


def text_violations(name: str, text: str) -> list[str]:
    found = []
    for m in SMALL_N_TEXT.finditer(text):
        n = int(m.group(1) or m.group(2))
        if 0 < n < SURVEY_MIN_RESPONDENTS:
            found.append(f"{name}: {m.group(0)!r}")
    return found


def _suppressed_cells(out: Path) -> set[tuple[str, int]]:
    """(indicator, year) of every row flagged suppressed in a machine-readable download."""
    cells = set()
    for p in out.rglob("*.csv"):
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        if not {"indicator_id", "period", "flags"} <= set(df.columns):
            continue
        hit = df["flags"].str.contains("suppressed")
        for ind, period in df.loc[hit, ["indicator_id", "period"]].itertuples(index=False):
            cells.add((ind, int(period)))
    return cells


def _scan(outputs, cat) -> dict[str, list[str]]:
    out, files = outputs
    found: dict[str, list[str]] = {"numerator": [], "denominator": [], "suppressed": [], "text": []}
    suppressed = _suppressed_cells(out)
    for p in files:
        rel = str(p.relative_to(out))
        if p.suffix in (".csv", ".xlsx"):
            for name, df in _frames(p):
                for k, v in table_violations(f"{rel}:{name}", df, cat).items():
                    found[k] += v
                rows = df.astype(str).to_numpy().tolist()
                found["text"] += rows_violations(
                    f"{rel}:{name}", list(df.columns), rows, cat, suppressed
                )
        elif p.suffix == ".html":
            found["text"] += html_violations(rel, p.read_text(encoding="utf-8"), cat, suppressed)
        elif p.suffix == ".pdf":
            text = "\n".join(page.extract_text() or "" for page in PdfReader(p).pages)
            found["text"] += text_violations(rel, text)
    return found


@pytest.fixture(scope="module")
def scan(outputs, catalogue):
    return _scan(outputs, catalogue)


def test_every_output_file_is_of_a_scanned_type(outputs):
    out, files = outputs
    kinds = {p.suffix for p in files}
    assert kinds <= SCANNED, f"unscanned output types: {sorted(kinds - SCANNED)}"
    assert {".html", ".pdf", ".csv"} <= kinds
    assert (out / "provincie" / "index.html").exists()
    assert (out / "areas" / AREA / "index.html").exists()


def test_the_scanned_area_has_suppressed_cells(outputs):
    """Otherwise the scan below proves nothing."""
    assert len(_suppressed_cells(outputs[0])) >= 10


def test_no_published_numerator_below_min_count(scan):
    assert scan["numerator"] == [], "\n".join(scan["numerator"][:20])


def test_no_published_denominator_below_min_denominator(scan):
    assert scan["denominator"] == [], "\n".join(scan["denominator"][:20])


def test_suppressed_rows_show_no_value_interval_or_numerator(scan):
    assert scan["suppressed"] == [], "\n".join(scan["suppressed"][:20])


def test_html_tables_and_pdf_text_show_no_suppressed_cell_or_small_count(scan):
    assert scan["text"] == [], "\n".join(scan["text"][:20])


def test_the_scan_catches_planted_small_cells(catalogue):
    """The checks themselves: a small count in each kind of output is found."""
    ind = "bijstand"  # sum, min_count 5, min_denominator 10
    df = pd.DataFrame(
        {
            "indicator_id": [ind, ind, ind],
            "period": ["2020", "2021", "2022"],
            "numerator": ["3", "50", "."],
            "denominator": ["900", "8", "900"],
            "value": ["3.3", ".", "4.1"],
            "flags": ["", "", "suppressed"],
        }
    )
    found = table_violations("planted.csv", df, catalogue)
    assert len(found["numerator"]) == 1 and len(found["denominator"]) == 1
    assert len(found["suppressed"]) == 1
    label = catalogue.loc[ind, "label_nl"]
    html = (
        "<table><tr><th>Indicator</th><th>Jaar</th><th>Waarde</th><th>Teller</th></tr>"
        f"<tr><td>{label}</td><td>2022</td><td>4,1</td><td>3</td></tr></table>"
        "<p>Gebaseerd op n = 7 antwoorden.</p>"
    )
    assert len(html_violations("planted.html", html, catalogue, {(ind, 2022)})) == 3
    assert text_violations("planted.pdf", "per 1.000 inwoners; 12 respondenten") == []


def _survey_dirs(outputs) -> list[Path]:
    from indicators.pipeline import SURVEY_KEY

    return [outputs[0] / SURVEY_KEY]  # built by the fixture together with the province report


def test_survey_cells_rest_on_at_least_10_respondents(outputs):
    dirs = _survey_dirs(outputs)
    assert all(d.is_dir() for d in dirs), "the survey report was not built"
    assert any(p.suffix == ".csv" for d in dirs for p in d.rglob("*")), "no survey downloads"
    found = []
    for d in dirs:
        for p in sorted(d.rglob("*")):
            if p.suffix in (".csv", ".xlsx"):
                for name, df in _frames(p):
                    for col in (c for c in df.columns if SURVEY_COUNT_COLUMN.match(str(c))):
                        for i, cell in enumerate(df[col]):
                            if 0 < _number(cell) < SURVEY_MIN_RESPONDENTS:
                                found.append(f"{p}:{name} row {i + 2}: {col} = {cell}")
            elif p.suffix == ".html":
                found += html_violations(
                    str(p),
                    p.read_text(encoding="utf-8"),
                    pd.DataFrame({"label_nl": [], "min_count": []}),
                    set(),
                )
            elif p.suffix == ".pdf":
                text = "\n".join(page.extract_text() or "" for page in PdfReader(p).pages)
                found += text_violations(str(p), text)
    assert found == [], "\n".join(found[:20])
