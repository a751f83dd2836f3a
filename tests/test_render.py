"""Tests of indicators.render: builtin engine (pandoc + typst), Quarto engine, feature check."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from indicators.exceptions import RenderError
from indicators.render import available_engine, check_sources, render
from indicators.render.builtin import REPO_ROOT
from indicators.render.quarto import project_config_for

FIXTURE = Path(__file__).parent / "fixtures" / "render" / "sample"
PROJECT_CONFIG = REPO_ROOT / "_quarto.yml"


# --- fixtures ----------------------------------------------------------------------------


def _make_figure(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    years = [2016, 2018, 2020, 2022, 2024]
    share = [44.0, 45.1, 45.9, 48.7, 49.8]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=120)
    ax.fill_between(years, [v - 2 for v in share], [v + 2 for v in share], alpha=0.2)
    ax.plot(years, share, marker="o")
    ax.set_ylabel("%")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


@pytest.fixture(scope="module")
def figure_png(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("figure") / "trend.png"
    _make_figure(path)
    return path


def _workdir(dest: Path, figure_png: Path) -> Path:
    shutil.copytree(FIXTURE, dest)
    target = dest / "_fragments" / "figures" / "trend.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(figure_png, target)
    return dest


@pytest.fixture
def workdir(tmp_path, figure_png) -> Path:
    return _workdir(tmp_path / "report", figure_png)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, figure_png) -> dict[str, Path]:
    wd = _workdir(tmp_path_factory.mktemp("rendered") / "report", figure_png)
    return render(wd, engine="builtin", project_config=PROJECT_CONFIG)


@pytest.fixture(scope="module")
def html(rendered) -> str:
    return rendered["html"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf_text(rendered) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(rendered["pdf"]).pages]


# --- builtin engine: HTML ----------------------------------------------------------------


def test_render_returns_both_outputs(rendered):
    wd = rendered["html"].parent
    assert rendered == {"html": wd / "index.html", "pdf": wd / "index.pdf"}
    assert rendered["pdf"].read_bytes().startswith(b"%PDF-")


def test_html_is_self_contained(html):
    assert 'src="http' not in html
    assert not re.search(r"<link[^>]+href=\"http", html)
    assert "<script" not in html
    assert "@import" not in html and "url(http" not in html
    imgs = re.findall(r"<img\b[^>]*>", html)
    assert imgs, "the figure is missing"
    assert all('src="data:image/png;base64,' in img for img in imgs)
    assert "<style" in html and "synthetic-banner" in html  # CSS inlined


def test_html_metadata_title_toc_and_lang(html):
    assert '<html lang="nl">' in html
    assert "<title>Gezondheid en welzijn in Heerlen-Noord</title>" in html
    assert "Monitor sociaal domein 2024" in html
    assert "14 maart 2025" in html  # ISO date from _meta.yml, formatted in Dutch
    assert 'id="TOC"' in html and "Inhoudsopgave" in html
    assert 'class="header-section-number">1</span>' in html


def test_html_synthetic_banner(html):
    banner = html.index('class="synthetic-banner"')
    assert banner < html.index('id="title-block-header"')
    assert "Synthetische demonstratiegegevens" in html


def test_html_figure_alt_caption_and_crossref(html):
    fig = re.search(r"<figure id=\"fig-trend\">(.*?)</figure>", html, re.S)
    assert fig
    assert 'alt="Lijngrafiek: het aandeel eenzame inwoners' in fig.group(1)
    assert "<figcaption>" in fig.group(1) and "Figuur\u00a01:" in fig.group(1)
    assert 'href="#fig-trend"' in html and 'href="#tbl-regio"' in html
    assert "@fig-trend" not in html


def test_html_table_callouts_and_includes(html):
    assert "Tabel\u00a01:" in html
    assert '<td style="text-align: right;">71,4</td>' in html
    assert 'class="callout callout-note"' in html
    assert '<div class="callout-title">\nOver deze cijfers' in html
    assert "Let op bij kleine aantallen" in html
    assert "{{<" not in html  # all includes resolved, including the nested one
    assert "Voldoet aan beweegrichtlijn" in html


# --- builtin engine: PDF -----------------------------------------------------------------


def test_pdf_content(pdf_text):
    text = "\n".join(pdf_text)
    assert len(pdf_text) >= 1
    assert "Gezondheid en welzijn in Heerlen" in pdf_text[0]
    assert "Monitor sociaal domein 2024" in pdf_text[0]
    assert "Inhoudsopgave" in pdf_text[0]
    assert "Figuur 1" in text and "Tabel 1" in text
    assert "Over deze cijfers" in text
    assert "Voldoet aan beweegrichtlijn" in text


def test_pdf_running_header_and_page_numbers(pdf_text):
    n = len(pdf_text)
    for i, page in enumerate(pdf_text, start=1):
        assert "Synthetische demonstratiegegevens" in page
        assert f"Pagina {i} van {n}" in page


def test_pdf_metadata_uses_source_date_epoch(workdir):
    from pypdf import PdfReader

    out = render(
        workdir,
        engine="builtin",
        formats=("pdf",),
        project_config=PROJECT_CONFIG,
        source_date_epoch=86400 * 366,
    )
    meta = PdfReader(out["pdf"]).metadata
    assert meta["/CreationDate"].startswith("D:19710102")
    assert meta["/Title"] == "Gezondheid en welzijn in Heerlen-Noord"


def test_no_banner_without_synthetic_data(workdir):
    meta = yaml.safe_load((workdir / "_meta.yml").read_text(encoding="utf-8"))
    meta["synthetic-data"] = False
    (workdir / "_meta.yml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    out = render(workdir, engine="builtin", project_config=PROJECT_CONFIG)
    assert 'class="synthetic-banner"' not in out["html"].read_text(encoding="utf-8")
    from pypdf import PdfReader

    assert "Synthetische" not in PdfReader(out["pdf"]).pages[0].extract_text()


def test_front_matter_overrides_meta_file(workdir):
    qmd = workdir / "index.qmd"
    qmd.write_text("---\ntitle: Eigen titel\ntoc: false\n---\n\nAlleen tekst.\n", encoding="utf-8")
    out = render(workdir, engine="builtin", formats=("html",), project_config=PROJECT_CONFIG)
    html = out["html"].read_text(encoding="utf-8")
    assert "<title>Eigen titel</title>" in html
    assert 'id="TOC"' not in html
    assert "Monitor sociaal domein 2024" in html  # subtitle still from _meta.yml


# --- builtin engine: reproducibility and speed -------------------------------------------


def test_reproducible_byte_identical(tmp_path, figure_png):
    a = render(_workdir(tmp_path / "a", figure_png), engine="builtin", source_date_epoch=0)
    b = render(_workdir(tmp_path / "b", figure_png), engine="builtin", source_date_epoch=0)
    again = {k: v.read_bytes() for k, v in a.items()}
    render(tmp_path / "a", engine="builtin", source_date_epoch=0)
    for fmt in ("html", "pdf"):
        assert a[fmt].read_bytes() == b[fmt].read_bytes(), fmt
        assert a[fmt].read_bytes() == again[fmt], fmt


def test_render_is_fast(workdir):
    render(workdir, engine="builtin")  # warm-up (imports, font scan)
    start = time.perf_counter()
    render(workdir, engine="builtin")
    assert time.perf_counter() - start < 3.0  # typically ~0.5 s


# --- builtin engine: errors --------------------------------------------------------------


def test_missing_include_names_file(workdir):
    (workdir / "_fragments" / "trend.md").unlink()
    with pytest.raises(RenderError, match=r"index\.qmd.*line \d+.*_fragments/trend\.md"):
        render(workdir, engine="builtin")


def test_missing_nested_include_names_including_file(workdir):
    (workdir / "_fragments" / "table-body.md").unlink()
    with pytest.raises(RenderError, match=r"_fragments/table\.md.*table-body\.md"):
        render(workdir, engine="builtin")


def test_unknown_shortcode_rejected(workdir):
    qmd = workdir / "index.qmd"
    qmd.write_text(qmd.read_text(encoding="utf-8") + "\n{{< pagebreak >}}\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"index\.qmd.*unsupported shortcode \{\{< pagebreak"):
        render(workdir, engine="builtin")


def test_missing_figure_names_file(workdir):
    (workdir / "_fragments" / "figures" / "trend.png").unlink()
    with pytest.raises(RenderError, match=r"missing figure file: _fragments/figures/trend\.png"):
        render(workdir, engine="builtin", formats=("html",))
    with pytest.raises(RenderError, match=r"trend\.png"):
        render(workdir, engine="builtin", formats=("pdf",))


def test_unknown_crossref_rejected(workdir):
    qmd = workdir / "index.qmd"
    qmd.write_text(qmd.read_text(encoding="utf-8") + "\nZie @fig-bestaat-niet.\n", "utf-8")
    with pytest.raises(RenderError, match="fig-bestaat-niet"):
        render(workdir, engine="builtin", formats=("html",))


def test_typst_error_is_reported(workdir):
    qmd = workdir / "index.qmd"
    raw = "\n```{=typst}\n#geen-functie()\n```\n"
    qmd.write_text(qmd.read_text(encoding="utf-8") + raw, encoding="utf-8")
    with pytest.raises(
        RenderError, match=r"(?s)typst could not compile .*index\.qmd.*geen-functie"
    ) as caught:
        render(workdir, engine="builtin", formats=("pdf",))
    kept = workdir / "index.typ"
    assert f"generated Typst source kept in {kept}" in str(caught.value)
    assert "#geen-functie()" in kept.read_text(encoding="utf-8")
    assert "unknown variable: geen-functie" in str(caught.value)
    assert not (workdir / "index.pdf").exists()


def test_typst_error_with_html_still_names_the_kept_source(workdir):
    """HTML and PDF are written at once; the PDF's error is still the one raised."""
    qmd = workdir / "index.qmd"
    raw = "\n```{=typst}\n#geen-functie()\n```\n"
    qmd.write_text(qmd.read_text(encoding="utf-8") + raw, encoding="utf-8")
    with pytest.raises(RenderError, match=r"generated Typst source kept in .*index\.typ"):
        render(workdir, engine="builtin")
    assert (workdir / "index.typ").is_file()


def test_reading_once_gives_the_outputs_of_one_call_per_format(workdir):
    """Markdown is read once into pandoc's JSON AST and each format written from it, the
    Lua filter running in the writing call: the HTML and the Typst markup must be those
    of one markdown-to-format pandoc call each (the former engine), byte for byte."""
    from indicators.render import builtin, pandoc

    qmd = workdir / "index.qmd"
    extra = (
        "\n\nEen voetnoot[^1], wiskunde $a^2$ en een [link][ref]; zie @fig-trend.\n\n"
        '[^1]: De noot.\n\n[ref]: https://example.org "Titel"\n\n'
        "::: {.callout-tip}\nTip zonder titel.\n:::\n\n## Zelfde kop\n\n## Zelfde kop\n"
    )
    qmd.write_text(qmd.read_text(encoding="utf-8") + extra, encoding="utf-8")
    report = builtin.read_source(workdir, "index.qmd", PROJECT_CONFIG)
    body = builtin.resolve_includes(report.body, report.doc_path, workdir)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    for job in (builtin.html_job(report, body), builtin.pdf_job(report, body)):
        one_call = ["--from", "markdown", "--standalone", "--lua-filter", str(builtin.LUA_FILTER)]
        reference = pandoc.run_pandoc(
            one_call + job.args, job.document.encode("utf-8"), workdir, env, "reference"
        ).decode("utf-8")
        ast = pandoc.read_markdown(job.document, workdir, env, "index.qmd")
        written = pandoc.write_format(ast, job.args, builtin.LUA_FILTER, workdir, env, job.what)
        assert written == reference, job.what


def test_format_specific_metadata_reaches_only_its_format(workdir):
    """Documents whose metadata differs per format are read once per format."""
    from pypdf import PdfReader

    qmd = workdir / "index.qmd"
    front = "---\nformat:\n  html:\n    subtitle: Alleen in HTML\n---\n"
    qmd.write_text(front + qmd.read_text(encoding="utf-8"), encoding="utf-8")
    out = render(workdir, engine="builtin", project_config=PROJECT_CONFIG)
    assert "Alleen in HTML" in out["html"].read_text(encoding="utf-8")
    first_page = PdfReader(out["pdf"]).pages[0].extract_text()
    assert "Alleen in HTML" not in first_page
    assert "Monitor sociaal domein 2024" in first_page  # the subtitle of _meta.yml


def test_pdfs_are_compiled_outside_the_build_process(workdir):
    """typst's memo caches cannot be evicted from Python: a long-lived worker would grow
    with every report, so the compile runs in a child process (recycled as it grows,
    tests/test_typst_pool.py) and typst is never imported here."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from indicators.render import render; "
        f"render(Path({str(workdir)!r}), engine='builtin', formats=('pdf',)); "
        "print('typst' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
    assert (workdir / "index.pdf").read_bytes()[:5] == b"%PDF-"


TABLE_CELLS = [
    "**vet** en *schuin*",
    "`code_{x}`",
    "[link](https://example.org/a_b)",
    "",
    "1.234,5",
    'a #hash $dollar \\ back <lt> "quote"',
    "tekst met \x1fcell\x1f marker",  # the filter's own separator, in the text
    "lange tekst " * 12,
]


@pytest.mark.parametrize("with_marker", [False, True])
def test_typst_table_cells_match_pandoc_per_cell(tmp_path, with_marker):
    """The filter writes all cells of a table with one pandoc call; each cell must be
    what pandoc's Typst writer makes of that cell on its own (the reference)."""
    import subprocess

    from indicators.render.builtin import LUA_FILTER, pandoc_path

    cells = [c for c in TABLE_CELLS if with_marker or "\x1f" not in c]
    rows = [cells[i : i + 2] + [""] * (2 - len(cells[i : i + 2])) for i in range(0, len(cells), 2)]
    md = "| kolom A | kolom B |\n|---|---|\n" + "".join(f"| {a} | {b} |\n" for a, b in rows)

    def typst(text: str, *extra: str) -> str:
        out = subprocess.run(
            [pandoc_path(), "-f", "markdown", "-t", "typst", *extra],
            input=text.encode(),
            capture_output=True,
            check=True,
        )
        return out.stdout.decode()

    got = typst(md, "--lua-filter", str(LUA_FILTER))
    expected = ["kolom A", "kolom B"] + [typst(c).rstrip() for row in rows for c in row]
    body = got[got.index("table.header(") :]
    cells_out = re.findall(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]", body)
    assert cells_out[: len(expected)] == expected


def _typst_columns(md: str) -> list[str]:
    import subprocess

    from indicators.render.builtin import LUA_FILTER, pandoc_path

    out = subprocess.run(
        [pandoc_path(), "-f", "markdown", "-t", "typst", "--lua-filter", str(LUA_FILTER)],
        input=md.encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    return re.search(r"columns: \((.*?),?\),", out).group(1).split(", ")


def test_typst_number_columns_leave_the_name_column_room():
    """The province's side-by-side table: six number columns with a comparison symbol
    and long headers. The number columns share what the longest area name leaves of the
    58 em (their headers hyphenate), and at least 38 em, so the names keep one line;
    before, the symbol made them text columns and every column got an equal share,
    names wrapping over four lines."""
    from indicators.present.svg import text_width

    head = ["Gebied", "Geregistreerde misdrijven", "Ervaren gezondheid (zeer) goed",
            "Voortijdig schoolverlaters", "Personen met bijstand",
            "Sociale huurwoningen (corporatiebezit)", "Ernstig eenzaam"]  # fmt: skip
    rows = [["Vastenavondkamp-Blerick", "114,8 \u25bc", "69,0 \u25cf", ".", "84,3 \u25bc",
             "51,7", "16,8 \u25b2"], ["*Nederland*", "47,1", "75,6", "2,0", "31,5", "28,5",
             "11,4"]]  # fmt: skip
    md = "| " + " | ".join(head) + " |\n|:--" + "|--:" * 6 + "|\n"
    md += "".join("| " + " | ".join(r) + " |\n" for r in rows)
    cols = _typst_columns(md)
    assert cols[0] == "1fr"
    widths = [float(c.removesuffix("em")) for c in cols[1:]]
    name = text_width("Vastenavondkamp-Blerick", 1) + 1.75 + 0.3
    assert sum(widths) == pytest.approx(58 - name, abs=0.35)
    # long names keep the text columns at least 20 em
    longer = md.replace("Vastenavondkamp-Blerick", "Vastenavondkamp-Blerick en Blerick-Noord")
    longer_widths = [float(c.removesuffix("em")) for c in _typst_columns(longer)[1:]]
    assert sum(longer_widths) == pytest.approx(38, abs=0.35)
    # a number column still holds its longest value, in DejaVu Sans with the inset
    assert widths[0] >= text_width("114,8 \u25bc", 1) + 1.75 - 0.05
    # a narrow table keeps the widths its (bold) header words ask for
    small = "| Gebied | Waarde |\n|:--|--:|\n| Vaals | 12,5 \u25bc |\n"
    want = max(text_width("12,5 \u25bc", 1), text_width("Waarde", 1, bold=True)) + 1.75 + 0.3
    assert _typst_columns(small) == ["1fr", f"{want:.1f}em"]
    # a bold cell (a total row) is measured in bold, in number and text columns
    for amount in ("0,06", "€ 0,06 mln"):
        total = (
            f"| Onderdeel | Som |\n|:--|--:|\n| a | {amount} |\n"
            f"| **Totaal** | **{amount}** |\n| b | {amount} |\n"
        )
        bold = text_width(amount, 1, bold=True) + 1.75 + 0.3
        unit = "em" if amount == "0,06" else "fr"  # "mln": a text column
        assert _typst_columns(total)[1] == f"{bold:.1f}{unit}"
    # values that alone do not fit fall back to automatic columns
    wide = "| a | " + " | ".join(f"k{i}" for i in range(9)) + " |\n|--" + "|--" * 9 + "|\n"
    wide += "| x | " + " | ".join("1.234.567,8" for _ in range(9)) + " |\n"
    assert set(_typst_columns(wide)) == {"auto"}


def test_typst_text_columns_share_the_room_by_their_text():
    """Several text columns: a column whose longest cell fits an equal share gets that
    width (typst's automatic columns), the others their longest word plus room in
    proportion to what their longest cell needs beyond it (CSS automatic table layout).
    Before, every text column got an equal share: a long definition was set as narrow as
    "Wilson" and "procentpunt" hyphenated beside a name with room to spare."""
    from indicators.present.svg import text_width

    def em(text: str, bold: bool = False) -> float:
        return text_width(text, 1, bold)

    definition = "Aantal door de politie geregistreerde misdrijven met pleegplaats " * 3
    md = (
        "| Indicator | Eenheid | Definitie | Interval |\n|---|---|---|---|\n"
        f"| Geregistreerde misdrijven | per 1.000 inwoners | {definition} | Wilson |\n"
        f"| Rookt | % van de inwoners van 18 jaar en ouder | {definition} | Byar |\n"
    )
    cols = _typst_columns(md)
    assert all(c.endswith("fr") for c in cols)
    shares = [float(c.removesuffix("fr")) for c in cols]
    inset, slack = 1.75, 0.3
    assert sum(shares) == pytest.approx(58, abs=0.2)  # the room the table has
    # "Interval" (bold header) is its longest cell and fits a quarter of 58 em; then
    # "Geregistreerde misdrijven" fits a third of what is left
    assert shares[3] == pytest.approx(em("Interval", bold=True) + inset + slack, abs=0.06)
    assert shares[0] == pytest.approx(em("Geregistreerde misdrijven") + inset + slack, abs=0.06)
    # the other two get their longest word (at most 7 em) and a share of the rest in
    # proportion to what their longest cell needs beyond it: the definition most
    assert shares[1] >= em("inwoners") + inset + slack - 0.06
    assert shares[2] > 2.5 * shares[1]
    longest_eenheid = em("% van de inwoners van 18 jaar en ouder") + inset + slack
    left = 58 - shares[3] - shares[0]
    least = [em("inwoners") + inset + slack, 7 + inset + slack]
    most = [longest_eenheid, em(definition.strip()) + inset + slack]
    part = (left - sum(least)) / (sum(most) - sum(least))
    assert shares[1] == pytest.approx(least[0] + (most[0] - least[0]) * part, abs=0.06)

    # all cells fit on one line: the columns are as wide as their cells (plus an equal
    # part of what is left, as fr shares); a number column keeps its own width
    fits = "| Domein | Eenheid | Waarde |\n|---|---|--:|\n| Jeugdhulp | procentpunt | 5,2 |\n"
    domein, eenheid, waarde = _typst_columns(fits)
    assert float(domein.removesuffix("fr")) == pytest.approx(
        em("Jeugdhulp") + inset + slack, abs=0.06
    )
    assert float(eenheid.removesuffix("fr")) == pytest.approx(
        em("procentpunt") + inset + slack, abs=0.06
    )
    assert waarde.endswith("em")
    # one text column keeps the whole rest
    assert _typst_columns("| Gebied | Toelichting |\n|---|---|\n| Vaals | 1,5 |\n")[0] == "1fr"


def test_typst_filter_carries_the_fonts_widths():
    """The filter's advance widths are DejaVu Sans's, as matplotlib ships it (the PDF's
    font): the table ``python -m indicators.render.fontwidths`` writes, unchanged."""
    from indicators.render import fontwidths
    from indicators.render.builtin import LUA_FILTER

    lua = LUA_FILTER.read_text()
    start, end = lua.index(fontwidths.BEGIN), lua.index(fontwidths.END)
    assert lua[start : end + len(fontwidths.END) + 1] == fontwidths.lua_table()
    assert fontwidths.advances(bold=False)[ord("0")] == 636  # DejaVu Sans's figures


def test_typst_markup_of_a_document_is_written_at_once():
    """The filter writes all Typst pieces of a document (cells, captions, callouts) with
    one pandoc call and puts each in place of its token: a table inside a callout
    (tokens within a piece) comes out whole, captions and titles as pandoc writes
    them, and no token is left."""
    import subprocess

    from indicators.render.builtin import LUA_FILTER, pandoc_path

    md = (
        "::: {.callout-note}\n## Let *op*\n\nTekst met **nadruk**.\n\n"
        "| a | b |\n|---|---|\n| *x* | 1,5 |\n\n: Tabel in een callout {#tbl-in}\n:::\n\n"
        "Zie @tbl-in.\n"
    )

    def typst(text: str, *extra: str) -> str:
        return subprocess.run(
            [pandoc_path(), "-f", "markdown", "-t", "typst", *extra],
            input=text.encode(),
            capture_output=True,
            check=True,
        ).stdout.decode()

    out = typst(md, "--lua-filter", str(LUA_FILTER))
    assert "\x1f" not in out
    callout = out[out.index("#callout(") :]
    assert callout.startswith('#callout(kind: "note", title: [Let #emph[op]])[\n')
    assert "Tekst met #strong[nadruk]." in callout
    table = callout[callout.index("#figure(\n  table(") :]
    assert "[#emph[x]], [1,5]," in table
    assert "  caption: [Tabel in een callout]," in table and table.index("<tbl-in>")
    assert "Zie @tbl-in." in out


def test_typst_tables_with_spans_are_left_to_pandoc():
    """Only plain grids get the filter's own Typst table; a table with a column span
    (a grid table) keeps pandoc's markup, which knows spans. The filter reads a table's
    spans once, and only for Typst."""
    import subprocess

    from indicators.render.builtin import LUA_FILTER, pandoc_path

    grid = (
        "+-------+-------+\n| Twee kolommen |\n+=======+=======+\n"
        "| 1,5   | 2,5   |\n+-------+-------+\n"
    )
    plain = "| a | b |\n|---|---|\n| 1,5 | 2,5 |\n"

    def typst(md: str, to: str = "typst") -> str:
        return subprocess.run(
            [pandoc_path(), "-f", "markdown", "-t", to, "--lua-filter", str(LUA_FILTER)],
            input=md.encode(),
            capture_output=True,
            check=True,
        ).stdout.decode()

    spanned = typst(grid)
    assert "table.cell(colspan: 2)[Twee kolommen]" in spanned
    assert "align(center)[#table(" in spanned  # pandoc's writer
    own = typst(plain)
    assert "#figure(\n  table(\n    columns: (1fr, 1fr,)," not in own  # numbers fit
    assert "#figure(\n  table(\n    columns: (" in own and "table.header([a], [b])" in own
    # HTML: the numbers are right-aligned in both (the filter's numeric columns)
    assert typst(grid, "html5").count('style="text-align: right;"') >= 2


def test_pandoc_heap_option_only_where_accepted(tmp_path):
    """The bundled pandoc runs with a 16 MB heap (+RTS -H16m); a pandoc that refuses
    runtime options gets none, and the answer is asked once per binary."""
    from indicators.render import pandoc

    pandoc.rts_options.cache_clear()
    assert pandoc.rts_options(pandoc.pandoc_path()) == pandoc.HEAP_RTS
    strict = tmp_path / "pandoc-strict"
    calls = tmp_path / "calls"
    strict.write_text(
        f'#!/bin/sh\necho "$@" >> {calls}\n'
        'case "$1" in +RTS) echo "pandoc: Most RTS options are disabled." >&2; exit 1;; esac\n'
        "cat\n"
    )
    strict.chmod(0o755)
    assert pandoc.rts_options(str(strict)) == ()
    assert pandoc.rts_options(str(strict)) == ()
    assert calls.read_text().count("+RTS") == 1
    assert pandoc.rts_options(str(tmp_path / "missing")) == ()
    pandoc.rts_options.cache_clear()


def test_bad_format_and_source(workdir):
    with pytest.raises(RenderError, match="docx"):
        render(workdir, formats=("docx",), engine="builtin")
    with pytest.raises(RenderError, match="nope.qmd"):
        render(workdir, source="nope.qmd", engine="builtin")


# --- engine selection and the Quarto engine (fake executable) ----------------------------

FAKE_QUARTO = """\
#!{python}
import json, os, pathlib, sys
with open(os.environ["FAKE_QUARTO_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(),
                          "epoch": os.environ.get("SOURCE_DATE_EPOCH")}}) + "\\n")
if os.environ.get("FAKE_QUARTO_FAIL"):
    sys.stderr.write("ERROR: compilation failed\\nsee index.typ line 3\\n")
    sys.exit(1)
to = sys.argv[sys.argv.index("--to") + 1]
out = pathlib.Path(sys.argv[2]).stem + {{"html": ".html", "typst": ".pdf"}}[to]
pathlib.Path(out).write_text("fake " + to)
"""


@pytest.fixture
def fake_quarto(tmp_path, monkeypatch) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "quarto"
    exe.write_text(FAKE_QUARTO.format(python=sys.executable), encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    log = tmp_path / "quarto-calls.jsonl"
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("FAKE_QUARTO_LOG", str(log))
    return log


@pytest.fixture
def no_quarto(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_auto_picks_builtin_without_quarto(no_quarto, workdir):
    assert available_engine("auto") == "builtin"
    assert available_engine("builtin") == "builtin"
    with pytest.raises(RenderError, match="'quarto' command is not on PATH"):
        available_engine("quarto")
    with pytest.raises(RenderError, match="not on PATH"):
        render(workdir, engine="quarto")
    out = render(workdir, engine="auto", formats=("html",))
    assert out["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_auto_picks_quarto_when_on_path(fake_quarto, workdir):
    assert available_engine("auto") == "quarto"
    out = render(workdir, engine="auto", source_date_epoch=1700000000)
    assert out == {"html": workdir / "index.html", "pdf": workdir / "index.pdf"}
    assert out["html"].read_text() == "fake html"
    assert out["pdf"].read_text() == "fake typst"
    calls = [json.loads(line) for line in fake_quarto.read_text().splitlines()]
    assert [c["argv"] for c in calls] == [
        ["render", "index.qmd", "--to", "html"],
        ["render", "index.qmd", "--to", "typst"],
    ]
    assert {c["cwd"] for c in calls} == {str(workdir.resolve())}
    assert {c["epoch"] for c in calls} == {"1700000000"}


def test_quarto_workdir_config(fake_quarto, workdir):
    render(workdir, engine="quarto", project_config=PROJECT_CONFIG)
    config = yaml.safe_load((workdir / "_quarto.yml").read_text(encoding="utf-8"))
    repo = yaml.safe_load(PROJECT_CONFIG.read_text(encoding="utf-8"))
    assert config["project"] == {"type": "default"}  # no output-dir: outputs next to index.qmd
    assert config["metadata-files"] == ["_meta.yml"]
    assert config["lang"] == repo["lang"] == "nl"
    html, typst = config["format"]["html"], config["format"]["typst"]
    assert html["css"] == ["_render/report.css"]
    assert (workdir / "_render" / "report.css").is_file()
    assert html["embed-resources"] is True and html["toc"] is True
    assert html["include-before-body"] == ["_render/synthetic-banner.html"]
    assert typst["include-in-header"] == ["_render/synthetic-header.typ"]
    assert (workdir / "_render" / "synthetic-header.typ").is_file()
    # every other format option is copied unchanged from the repository config
    for fmt, section in repo["format"].items():
        for key, value in section.items():
            if key != "css":
                assert config["format"][fmt][key] == value


def test_quarto_config_without_synthetic_data(workdir):
    (workdir / "_meta.yml").write_text("title: Echt\nsynthetic-data: false\n", encoding="utf-8")
    config = project_config_for(workdir, project_config=PROJECT_CONFIG)
    assert "include-before-body" not in config["format"]["html"]
    assert "include-in-header" not in config["format"]["typst"]


def test_quarto_failure_reports_stderr_tail(fake_quarto, workdir, monkeypatch):
    monkeypatch.setenv("FAKE_QUARTO_FAIL", "1")
    with pytest.raises(RenderError, match=r"(?s)quarto render .*index\.qmd.*compilation failed"):
        render(workdir, engine="quarto")


# --- feature check -----------------------------------------------------------------------


def test_sample_and_repository_config_pass():
    sources = [FIXTURE / "index.qmd", PROJECT_CONFIG]
    assert check_sources(sources) == []


def test_repository_report_sources_pass():
    reports = REPO_ROOT / "reports"
    sources = sorted(reports.glob("*.qmd")) + [PROJECT_CONFIG]
    problems = check_sources(sources)
    assert problems == [], "\n".join(map(str, problems))


FORBIDDEN = {
    "python cell": ("```{python}\nprint(1)\n```", "executable code cell"),
    "r cell": ("```{r}\n1\n```", "executable code cell"),
    "inline code": ("Het is `{python} 1 + 1`.", "inline executable code"),
    "raw block": ("```{=html}\n<b>x</b>\n```", "raw format block"),
    "embed": ("{{< embed nb.ipynb#fig-x >}}", "embed"),
    "other shortcode": ("{{< pagebreak >}}", "unsupported shortcode {{< pagebreak >}}"),
    "margin div": ("::: {.column-margin}\nx\n:::", "unsupported div class '.column-margin'"),
    "tabset": ("::: panel-tabset\nx\n:::", "unsupported div class '.panel-tabset'"),
    "sec crossref": ("Zie @sec-inleiding.", "unsupported cross-reference '@sec-inleiding'"),
    "remote image": ("![x](https://example.org/a.png)", "remote image"),
    "image option": ("![x](a.png){fig-align=center}", "unsupported image attribute 'fig-align'"),
    "heading class": ("# Kop {.smaller}", "unsupported heading class '.smaller'"),
    "span class": ("Tekst [opzij]{.aside} hier.", "unsupported span class '.aside'"),
    "display math": ("$$x^2$$", "display math"),
}


@pytest.mark.parametrize("name", sorted(FORBIDDEN))
def test_feature_check_flags_forbidden(tmp_path, name):
    snippet, message = FORBIDDEN[name]
    qmd = tmp_path / "bad.qmd"
    qmd.write_text(f"---\ntitle: x\n---\n\n# Kop\n\n{snippet}\n", encoding="utf-8")
    problems = check_sources([qmd])
    assert len(problems) >= 1, name
    assert problems[0].file == qmd
    assert problems[0].line == 7
    assert any(message in p.message for p in problems), problems


def test_feature_check_allows_supported_set(tmp_path):
    qmd = tmp_path / "ok.qmd"
    qmd.write_text(
        textwrap.dedent(
            """\
            ---
            title: Goed
            toc: true
            format:
              typst:
                papersize: a4
            ---

            # Inleiding {#sec-inleiding .unnumbered}

            {{< include _fragments/summary.md >}}

            ![Bijschrift](figuren/a.png){#fig-a fig-alt="Alt" width=80%}

            Zie @fig-a en @tbl-b; mail info@limburg.nl of @provincie.

            ::: {.callout-important title="Let op"}
            [Klein]{.smallcaps} en `code` is tekst.
            :::

            ```python
            {{< embed dit-is-code >}}
            ```
            """
        ),
        encoding="utf-8",
    )
    assert check_sources([qmd]) == []


def test_feature_check_front_matter_and_config(tmp_path):
    qmd = tmp_path / "front.qmd"
    qmd.write_text("---\ntitle: x\njupyter: python3\n---\n\nTekst.\n", encoding="utf-8")
    cfg = tmp_path / "_quarto.yml"
    cfg.write_text(
        textwrap.dedent(
            """\
            project:
              type: website
            format:
              html:
                embed-resources: false
                theme: cosmo
              pdf:
                documentclass: article
            """
        ),
        encoding="utf-8",
    )
    problems = check_sources([tmp_path])
    found = {(p.file.name, p.line, p.message) for p in problems}
    assert ("front.qmd", 3, "unsupported option 'jupyter'") in found
    assert ("_quarto.yml", 2, "project.type must be 'default'") in found
    assert ("_quarto.yml", 6, "unsupported option 'format.html.theme'") in found
    assert ("_quarto.yml", 7, "unsupported option 'format.pdf'") in found
    assert any(
        name == "_quarto.yml" and line == 5 and "embed-resources" in msg
        for name, line, msg in found
    )
    assert str(problems[0]).startswith(str(problems[0].file) + ":")
