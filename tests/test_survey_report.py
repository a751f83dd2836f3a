"""Tests for the labour-migrant survey report: demo data, analysis, fragments and downloads.

The published files are scanned as a reader would see them: no markdown
table, chart label, CSV row or Excel cell may show a number that rests on
fewer respondents than the disclosure threshold.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import papermill as pm
import pytest

from indicators.exceptions import InputError
from indicators.present import survey as report
from indicators.present.formatting import fmt_number
from indicators.render.features import check_sources
from indicators.survey import demo, load_codebook, read_microdata, validate_microdata
from indicators.survey.analysis import (
    CHAPTERS,
    area_survey,
    load_survey_results,
    run_survey_analysis,
    save_survey_results,
)
from tests.conftest import ROOT

DATA = ROOT / "data" / "survey"
THRESHOLD = 10
FIG = "_fragments/figures"


@pytest.fixture(scope="module")
def results():
    return run_survey_analysis(DATA, threshold=THRESHOLD)


@pytest.fixture(scope="module")
def written(results, tmp_path_factory):
    """The fragments and downloads, written as the notebook writes them."""
    out = tmp_path_factory.mktemp("survey-fragments")
    fig = out / "figures"
    md = {"summary.md": report.highlights_md(results, fig, FIG)}
    for key in CHAPTERS:
        md[f"{key}.md"] = report.thematic_md(results, fig, FIG, chapter=key)
    md["regional.md"] = report.regional_md(results, fig, FIG)
    md["annex.md"] = report.method_annex_md(results)
    for name, text in md.items():
        (out / name).write_text(text, encoding="utf-8")
    downloads = report.write_downloads(results, out / "downloads")
    return out, md, downloads


def _microdata() -> pd.DataFrame:
    return pd.read_csv(DATA / "microdata.csv", keep_default_na=False, na_values=[""])


def _dutch_int(text: str) -> int:
    return int(text.replace(".", ""))


def _tables(md: str) -> list[list[list[str]]]:
    """Pipe tables of a markdown text as lists of rows of cells (header first)."""
    blocks, current = [], []
    for line in md.splitlines():
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _published_ns(md: str) -> list[int]:
    """Every respondent count a markdown text shows: n columns, n rows and 'n = ...' labels."""
    ns = [_dutch_int(m) for m in re.findall(r"n = (\d[\d.]*\d|\d)", md)]
    for table in _tables(md):
        header, rows = table[0], table[2:]
        cols = [i for i, h in enumerate(header) if h == "n"]
        for row in rows:
            cells = [row[i] for i in cols]
            if row[0].startswith("n ("):
                cells += row[1:]
            ns += [_dutch_int(c) for c in cells if c != "."]
    return ns


# --------------------------------------------------------------------------
# Demo data
# --------------------------------------------------------------------------
def test_regeneration_is_byte_identical(tmp_path):
    paths = demo.generate(tmp_path)
    for name, path in paths.items():
        committed = DATA / path.name
        assert path.read_bytes() == committed.read_bytes(), (
            f"{name}: regenerating gives a different {path.name}; run "
            "python -m indicators.survey.demo and commit the result"
        )


def test_demo_is_labelled_synthetic():
    assert "SYNTHETISCH" in (DATA / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in (DATA / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETISCH" in (DATA / "codebook.yml").read_text(encoding="utf-8").splitlines()[0]
    assert "SYNTHETISCHE" in (load_codebook(DATA / "codebook.yml").title or "")


def test_microdata_validate_against_codebook():
    codebook = load_codebook(DATA / "codebook.yml")
    data = read_microdata(DATA / "microdata.csv", codebook)
    assert 1300 <= len(data) <= 1700
    assert set(data["regio"]) == {1.0, 2.0, 3.0}
    assert data["nationaliteit"].nunique() == 7
    # Routing: the SNF question only for large-scale or employer housing.
    asked = data["snf_keurmerk"].notna()
    assert data.loc[asked, "huisvesting"].isin([1.0, 3.0]).all()
    # Missing codes became missing.
    assert not (data.drop(columns="resp_id").select_dtypes("number") == 99).any().any()


def test_routing_violation_names_row_and_variable():
    codebook = load_codebook(DATA / "codebook.yml")
    raw = _microdata()
    row = int(np.flatnonzero(raw["huisvesting"] == 4)[0])
    raw.loc[row, "snf_keurmerk"] = 1
    with pytest.raises(InputError, match=r"snf_keurmerk.*|.*routing filter") as err:
        validate_microdata(raw, codebook, DATA / "microdata.csv")
    message = str(err.value)
    assert "snf_keurmerk" in message
    assert f"data row {row + 1}" in message
    assert "huisvesting in [1, 3]" in message


# --------------------------------------------------------------------------
# Weighting
# --------------------------------------------------------------------------
def test_raking_converges_to_margins(results):
    margins = pd.read_csv(DATA / "margins.csv", dtype={"code_1": str, "code_2": str})
    data = results.data
    for margin, rows in margins.groupby("margin"):
        a, b = rows["variable_1"].iloc[0], rows["variable_2"].iloc[0]
        weighted = data.groupby([data[a].astype(int), data[b].astype(int)])["gewicht"].sum()
        for r in rows.itertuples():
            achieved = weighted[(int(r.code_1), int(r.code_2))]
            assert achieved == pytest.approx(r.population, rel=1e-6), (margin, r.code_1, r.code_2)
    w = results.weighting
    assert w.converged
    assert w.history[-1] < w.tol
    assert w.weight_max <= w.trim_cap * (1 + 1e-4), "final weights exceed the trimming cap"
    kish = len(data) * np.sum(data["gewicht"] ** 2) / np.sum(data["gewicht"]) ** 2
    assert w.deff_final == pytest.approx(kish)
    assert w.deff_final > 1


# --------------------------------------------------------------------------
# Disclosure control in every published file
# --------------------------------------------------------------------------
def test_suppression_happens(results):
    reasons = set(results.estimates["suppression"])
    assert {"primair", "secundair", "domein"} <= reasons


def test_no_markdown_number_rests_on_fewer_than_threshold(written):
    _, md, _ = written
    for name, text in md.items():
        ns = _published_ns(text)
        small = [n for n in ns if n < THRESHOLD]
        assert not small, f"{name} shows n = {small}"
    assert len(_published_ns(md["summary.md"])) >= 5


def _check_estimates(frame: pd.DataFrame, where: str) -> None:
    shown = frame[frame["suppressed"] == "nee"]
    hidden = frame[frame["suppressed"] == "ja"]
    assert len(hidden) > 0
    n = shown["n"][shown["n"] != "."].astype(float)
    assert (n >= THRESHOLD).all(), f"{where}: published estimate with n < {THRESHOLD}"
    assert (shown["n"] != ".").all(), f"{where}: published estimate without its n"
    cat = shown["n_category"][shown["n_category"] != "."].astype(float)
    assert ((cat == 0) | (cat >= THRESHOLD)).all(), f"{where}: a small cell is published"
    for col in ("value", "lower_ci", "upper_ci", "se", "n_category", "method"):
        assert (hidden[col] == ".").all(), f"{where}: suppressed row shows {col}"
    all_n = frame["n"][frame["n"] != "."].astype(float)
    assert (all_n >= THRESHOLD).all(), f"{where}: a group size below {THRESHOLD} is shown"


def _check_crosstabs(frame: pd.DataFrame, where: str) -> None:
    cell = frame["n_cell"][frame["n_cell"] != "."].astype(float)
    assert ((cell == 0) | (cell >= THRESHOLD)).all(), f"{where}: small crosstab cell"
    assert (frame.loc[frame["n_cell"] == ".", "row_percent"] == ".").all()
    rows = frame["n_row"][frame["n_row"] != "."].astype(float)
    assert (rows >= THRESHOLD).all()


def test_no_csv_cell_rests_on_fewer_than_threshold(written):
    _, _, downloads = written
    est = pd.read_csv(downloads[0], dtype=str, keep_default_na=False)
    cross = pd.read_csv(downloads[1], dtype=str, keep_default_na=False)
    _check_estimates(est, downloads[0].name)
    _check_crosstabs(cross, downloads[1].name)


def test_excel_has_the_same_suppression_as_csv(written):
    pytest.importorskip("openpyxl")
    _, _, downloads = written
    xlsx = [p for p in downloads if p.suffix == ".xlsx"]
    assert xlsx, "no Excel download although openpyxl is installed"
    csv = pd.read_csv(downloads[0], dtype=str, keep_default_na=False)
    sheet = pd.read_excel(xlsx[0], sheet_name="Schattingen", dtype=str, keep_default_na=False)
    assert list(sheet.columns) == list(csv.columns)
    assert ((sheet == ".") == (csv == ".")).all().all()
    _check_estimates(sheet, "Excel Schattingen")
    cross = pd.read_excel(xlsx[0], sheet_name="Kruistabellen", dtype=str, keep_default_na=False)
    _check_crosstabs(cross, "Excel Kruistabellen")


def test_scanner_catches_a_small_published_cell():
    bad = pd.DataFrame(
        {
            "suppressed": ["nee", "ja"],
            "n": ["25", "30"],
            "n_category": ["4", "."],
            "value": ["16", "."],
            "lower_ci": ["5", "."],
            "upper_ci": ["30", "."],
            "se": ["3", "."],
            "method": ["logit", "."],
        }
    )
    with pytest.raises(AssertionError, match="small cell"):
        _check_estimates(bad, "fake")
    assert _published_ns("| Groep | n |\n|:--|--:|\n| A | 7 |\n") == [7]


# --------------------------------------------------------------------------
# Numbers in the report
# --------------------------------------------------------------------------
def test_independently_recomputed_share_appears_in_dutch_format(results, written):
    _, md, _ = written
    data = results.data
    w = data["gewicht"].to_numpy()
    gp = data["huisarts"].to_numpy()
    answered = ~np.isnan(gp)
    share = 100 * w[gp == 1].sum() / w[answered].sum()
    assert f"{fmt_number(share, 1)}%" in md["zorg.md"]
    # A domain share: more than two persons per bedroom on holiday parks.
    ppb = data["personen_woning"] / data["slaapkamers"]
    park = (data["huisvesting"] == 2) & ppb.notna()
    crowded = 100 * w[park & (ppb > 2)].sum() / w[park].sum()
    assert f"{fmt_number(crowded, 1)}%" in md["summary.md"]
    # Dutch formatting: decimal comma, never a decimal point in a percentage.
    assert not re.search(r"\d\.\d%", md["summary.md"])


def test_charts_are_written_with_alt_text(written):
    out, md, _ = written
    figures = re.findall(
        r"!\[[^\]]+\]\(([^)]+)\)\{#(fig-[\w-]+) fig-alt=\"([^\"]+)\"\}", "\n".join(md.values())
    )
    assert len(figures) >= 10
    ids = [f[1] for f in figures]
    assert len(ids) == len(set(ids)), "figure ids must be unique"
    for path, _, alt in figures:
        assert (out / path.removeprefix("_fragments/")).exists()
        assert "95%-BI" in alt or "niet gepubliceerd" in alt


# --------------------------------------------------------------------------
# Area sections
# --------------------------------------------------------------------------
def test_area_section_says_sample_too_small(results):
    per_gm = _microdata().groupby("gemeente").size()
    small = per_gm[(per_gm > 0) & (per_gm < THRESHOLD)]
    assert len(small) > 0, "the demo data need a municipality with a few respondents"
    code = small.index[0]
    name = results.municipality_names[code]
    area = area_survey(results, code)
    assert area.estimates is None and area.n is None
    text = report.area_section_md(results, code, name)
    assert "te klein" in text
    assert f"minder dan {THRESHOLD} respondenten" in text
    assert "|" not in text, "no table for a municipality with too few respondents"
    assert str(int(small.iloc[0])) not in re.findall(r"\d+", text), "the small n is not shown"


def test_area_section_without_respondents(results):
    per_gm = _microdata().groupby("gemeente").size()
    code = next(c for c in results.municipality_names if c not in per_gm.index)
    text = report.area_section_md(results, code, results.municipality_names[code])
    assert "geen respondenten" in text


def test_area_section_for_large_municipality(results):
    text = report.area_section_md(results, "GM0983", "Venlo")
    assert "| Indicator | Venlo | n | Limburg |" in text
    n = int((_microdata()["gemeente"] == "GM0983").sum())
    assert f"wonen {fmt_number(n, 0)} respondenten in Venlo" in text
    assert all(n >= THRESHOLD for n in _published_ns(text))


# --------------------------------------------------------------------------
# Notebook and template
# --------------------------------------------------------------------------
def test_template_uses_supported_features_and_written_fragments():
    qmd = ROOT / "reports" / "survey.qmd"
    assert check_sources([qmd]) == []
    notebook = (ROOT / "analysis" / "survey.ipynb").read_text(encoding="utf-8")
    for name in re.findall(r"include _fragments/(\S+)", qmd.read_text(encoding="utf-8")):
        key = name.removesuffix(".md")
        assert key in CHAPTERS or f'\\"{name}\\"' in notebook, f"no notebook writes {name}"


def test_notebook_parameters():
    params = pm.inspect_notebook(str(ROOT / "analysis" / "survey.ipynb"))
    assert set(params) == {"results_dir", "fragments_dir", "survey_dir", "threshold"}
    assert params["threshold"]["default"] == "10"


def test_results_round_trip_for_area_reports(results, tmp_path):
    path = save_survey_results(results, tmp_path / "survey.pkl")
    loaded = load_survey_results(path)
    pd.testing.assert_frame_equal(loaded.estimates, results.estimates)
    assert report.area_section_md(loaded, "GM0983", "Venlo") == report.area_section_md(
        results, "GM0983", "Venlo"
    )
