"""End to end: build real reports with the built-in engine and read them back.

The expected numbers are computed here independently from the raw demo CSV
(plain sums and division), not through the package's compute layer.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from indicators.config import load_areas, load_catalogue
from indicators.pipeline import Paths, build
from indicators.present.formatting import fmt_number

pytestmark = pytest.mark.integration

AREAS = ["heerlen-noord", "gemeente-vaals"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, root):
    out = tmp_path_factory.mktemp("out")
    paths = Paths.default(output_dir=out, build_dir=tmp_path_factory.mktemp("build"))
    outcomes = build(AREAS, engine="builtin", jobs=2, paths=paths, province=True)
    return paths, outcomes


def independent_latest(area_slug: str, indicator_id: str) -> tuple[int, float]:
    """Latest year's value for an area from the raw CSV: sum(num)/sum(den) * multiplier."""
    area = load_areas()[area_slug]
    ind = load_catalogue().by_id[indicator_id]
    units = set(area.units)
    by_year: dict[int, list[float]] = {}
    with open(Path(__file__).parents[1] / "data/demo/observations.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if (
                r["unit_code"] in units
                and r["indicator_id"] == indicator_id
                and r["numerator"]
                and r["denominator"]
            ):
                acc = by_year.setdefault(int(r["period"]), [0.0, 0.0])
                acc[0] += float(r["numerator"])
                acc[1] += float(r["denominator"])
    year = max(by_year)
    num, den = by_year[year]
    return year, num / den * ind.multiplier


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_all_requested_areas_built(built):
    _, outcomes = built
    assert [o.slug for o in outcomes] == sorted([*AREAS, "provincie", "enquete-arbeidsmigranten"])
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]


@pytest.mark.parametrize("indicator", ["bijstand", "sociale_huur"])
def test_html_shows_area_name_and_an_independently_computed_figure(built, indicator):
    paths, _ = built
    html = (paths.output_dir / "areas/heerlen-noord/index.html").read_text(encoding="utf-8")
    assert "Heerlen-Noord" in html
    year, value = independent_latest("heerlen-noord", indicator)
    assert fmt_number(value, 1) in html, f"{indicator} {year}: {fmt_number(value, 1)} not in HTML"


def test_pdf_shows_area_name_and_an_independently_computed_figure(built):
    paths, _ = built
    pdf = paths.output_dir / "areas/heerlen-noord/heerlen-noord.pdf"
    text = _pdf_text(pdf)
    assert "Heerlen-Noord" in text
    _, value = independent_latest("heerlen-noord", "bijstand")
    assert fmt_number(value, 1) in text
    assert "Inhoudsopgave" in text
    assert len(PdfReader(pdf).pages) >= 5


def test_every_page_and_report_says_the_data_are_synthetic(built):
    paths, _ = built
    for slug in AREAS:
        html = (paths.output_dir / f"areas/{slug}/index.html").read_text(encoding="utf-8")
        assert "Synthetische demonstratiegegevens" in html
        reader = PdfReader(paths.output_dir / f"areas/{slug}/{slug}.pdf")
        for page in reader.pages:
            assert "Synthetische demonstratiegegevens" in (page.extract_text() or "")
    assert "Synthetische demonstratiegegevens" in (paths.output_dir / "index.html").read_text(
        encoding="utf-8"
    )


def test_html_is_self_contained(built):
    paths, _ = built
    html = (paths.output_dir / "areas/heerlen-noord/index.html").read_text(encoding="utf-8")
    assert not re.search(
        r"""<(script|img|link|iframe|source)[^>]+(src|href)=["']?(https?:)?//""", html
    )
    assert "@import" not in html
    imgs = re.findall(r"<img[^>]*>", html)
    assert len(imgs) >= 7  # one figure per theme plus the overview
    assert all('src="data:image/svg+xml;base64,' in i for i in imgs)  # vector charts
    assert all(re.search(r'alt="[^"]{20,}"', i) for i in imgs), "every chart needs alt text"


def test_downloads_and_notebook_are_published(built):
    paths, _ = built
    d = paths.output_dir / "areas/heerlen-noord"
    assert (d / "downloads/heerlen-noord-waarden.csv").stat().st_size > 1000
    assert (d / "heerlen-noord.ipynb").exists()
    import nbformat

    nb = nbformat.read(d / "heerlen-noord.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters["area"] == "heerlen-noord"


def test_site_index_links_every_built_report(built):
    paths, _ = built
    index = (paths.output_dir / "index.html").read_text(encoding="utf-8")
    for slug in AREAS:
        assert f'href="areas/{slug}/index.html"' in index
        assert f'href="areas/{slug}/{slug}.pdf"' in index
    assert 'id="filter"' in index


def test_province_report_puts_the_areas_side_by_side(built):
    paths, _ = built
    d = paths.output_dir / "provincie"
    html = (d / "index.html").read_text(encoding="utf-8")
    for name in ("Heerlen-Noord", "Kerkrade-Oost", "Veulen en Castenray"):
        assert name in html
    text = _pdf_text(d / "provincie-limburg.pdf")
    assert "naast elkaar" in text and "Synthetische demonstratiegegevens" in text
    # Heerlen-Noord's bijstand value in the side-by-side table equals the raw-CSV computation.
    _, value = independent_latest("heerlen-noord", "bijstand")
    assert fmt_number(value, 1) in html
    index = (paths.output_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="provincie/index.html"' in index
    # The build computed the need index for the province report, tied to these results
    # (the notebook did not have to read every observation again).
    from indicators.need import load_need_index, need_file, results_key

    results = paths.build_dir / "compute"
    assert load_need_index(need_file(results), key=results_key(results)) is not None


def test_two_builds_of_the_same_inputs_are_byte_identical(built, tmp_path):
    paths, _ = built
    again = Paths.default(output_dir=tmp_path / "out", build_dir=tmp_path / "build")
    (o,) = build(["heerlen-noord"], engine="builtin", jobs=1, paths=again, province=False)
    assert o.ok, o.error
    for rel in (
        "index.html",
        "heerlen-noord.pdf",
        "downloads/heerlen-noord-waarden.csv",
        "downloads/heerlen-noord.xlsx",  # zip times and document dates from SOURCE_DATE_EPOCH
    ):
        a = (paths.output_dir / "areas/heerlen-noord" / rel).read_bytes()
        b = (again.output_dir / "areas/heerlen-noord" / rel).read_bytes()
        assert a == b, f"{rel} differs between two builds"
