"""End to end on real data: CBS KWB 2019 -> import -> build-tables -> `indicators build` -> HTML+PDF.

Builds the Limburg (PV31), Heerlen and Beekdaelen area reports and the
province report from the real gemeente-level table, which lacks wijken, a
row for Nederland and all but one catalogue indicator; the reports must say so.
The file holds all 355 municipalities of 2019, so ``build-tables`` derives
Nederland (NL01) as their sum and the reports compare with it.

The reference figures are computed here directly from the raw CBS file with
plain pandas (filter the 31 Limburg GM codes, sum; sum all rows for
Nederland), never through the toolkit. The file is the national extract, so
the region filter of ``build-tables`` is checked too.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from indicators.cli import app
from tests.conftest import SHARED, write

KWB_DIR = SHARED / "realdata" / "cbs_kwb2019_gemeenten"
NATIONAL = KWB_DIR / "kwb2019_gemeenten.csv"
LIMBURG_EXTRACT = KWB_DIR / "kwb2019_limburg_gemeenten.csv"
URL = (
    "https://github.com/ujjwalx/dsa2022/blob/6e65c95c96b707b1ab2f53365074e9fb3467531c/kwb-2019.csv"
)
# Limburg's 31 municipalities in 2019 (../shared/DESIGN.md), typed here on purpose
# rather than read from data/mappings/provinces.yml.
LIMBURG_2019 = (
    "GM0882 GM0888 GM0889 GM0893 GM0899 GM0907 GM0917 GM0928 GM0935 GM0938 GM0944 GM0946 "
    "GM0957 GM0965 GM0971 GM0981 GM0983 GM0984 GM0986 GM0988 GM0994 GM1507 GM1640 GM1641 "
    "GM1669 GM1711 GM1729 GM1883 GM1894 GM1903 GM1954"
).split()
REPORTS = ["limburg", "gemeente-heerlen", "gemeente-beekdaelen"]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not NATIONAL.exists(), reason="../shared is not available"),
]

runner = CliRunner()


def _cli(*args: str):
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return res


def _params(d: Path) -> Path:
    write(
        d / "limburg.yml",
        "slug: limburg\nname: Limburg\nkind: provincie\nmunicipality: null\nunits: [PV31]\n"
        "intervention_start: 2024\n",
    )
    write(
        d / "gemeente-heerlen.yml",
        "slug: gemeente-heerlen\nname: Heerlen\nkind: gemeente\nmunicipality: GM0917\n"
        "units: [GM0917]\ncomparison_areas: [gemeente-beekdaelen]\nintervention_start: 2024\n",
    )
    write(
        d / "gemeente-beekdaelen.yml",
        "slug: gemeente-beekdaelen\nname: Beekdaelen\nkind: gemeente\nmunicipality: GM1954\n"
        "units: [GM1954]\nintervention_start: 2024\n",
    )
    return d


@pytest.fixture(scope="module")
def national() -> pd.DataFrame:
    """The raw file itself, read with pandas only: every municipality of 2019."""
    return pd.read_csv(NATIONAL, dtype={"unique_id": str})


@pytest.fixture(scope="module")
def reference(national) -> pd.DataFrame:
    """The 31 Limburg rows of the raw file."""
    return national[national["unique_id"].isin(LIMBURG_2019)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("realdata-report")
    raw, processed = tmp / "raw", tmp / "processed"
    _cli(
        "data", "import", str(NATIONAL), "--source", "cbs-kwb-csv", "--url", URL,
        "--raw-dir", str(raw), "--date", "2025-11-24",
    )  # fmt: skip
    _cli(
        "data", "build-tables", "--name", "limburg", "--region", "limburg",
        "--raw-dir", str(raw), "--out-dir", str(processed),
    )  # fmt: skip
    # the province report too: since the build passes --data-dir/--params-dir to its
    # notebook, it must run on gemeente-level real data (no wijken, no Nederland)
    args = ["build", "--engine", "builtin", "--jobs", "1", "--province"]
    for slug in REPORTS:
        args += ["--area", slug]
    res = _cli(
        *args, "--data-dir", str(processed / "limburg"), "--params-dir", str(_params(tmp / "p")),
        "--build-dir", str(tmp / "build"), "--output-dir", str(tmp / "out"),
    )  # fmt: skip
    return tmp / "out", processed / "limburg", res.output


def _text(path: Path) -> str:
    t = path.read_text(encoding="utf-8")
    t = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", t, flags=re.S)
    t = html.unescape(re.sub(r"<[^>]+>", " ", t))
    return re.sub(r"\s+", " ", t)


def _pdf_text(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(path).pages))


def _nl(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def test_reference_file_has_31_limburg_municipalities(reference):
    assert len(reference) == 31
    # the Limburg extract next to it holds the same 31 rows
    ext = pd.read_csv(LIMBURG_EXTRACT, dtype={"unique_id": str})
    assert ext["population"].sum() == reference["population"].sum()


def test_every_report_renders_to_html_and_pdf(built):
    out, _, _ = built
    for slug in REPORTS:
        d = out / "areas" / slug
        assert (d / "index.html").stat().st_size > 10_000
        assert (d / f"{slug}.pdf").read_bytes()[:5] == b"%PDF-"
    assert (out / "index.html").exists()


def test_limburg_population_total_equals_the_sum_in_the_file(built, reference):
    out, processed, _ = built
    total = int(reference["population"].sum())
    over65 = int(reference["b_65_oo"].sum())
    d = out / "areas" / "limburg"
    # shown in the report text (HTML and PDF)
    assert f"telde Limburg {_nl(total)} inwoners" in _text(d / "index.html")
    assert _nl(total) in _pdf_text(d / "limburg.pdf")
    # derived: the report's own download of its values
    vals = pd.read_csv(d / "downloads" / "limburg-waarden.csv", na_values=".")
    row = vals[(vals["indicator_id"] == "aandeel_65plus") & (vals["period"] == 2019)].iloc[0]
    assert row["denominator"] == total
    assert row["numerator"] == over65
    assert row["value"] == pytest.approx(over65 / total * 100, rel=1e-5)
    assert pd.isna(row["lower_ci"])  # a complete count has no sampling interval
    # and the tidy table the build read
    obs = pd.read_csv(processed / "observations.csv", dtype={"unit_code": str})
    pv = obs[(obs["unit_code"] == "PV31") & (obs["indicator_id"] == "aandeel_65plus")]
    assert pv["denominator"].item() == total


def test_gemeente_reports_show_their_own_population(built, reference):
    out, _, _ = built
    pop = reference.set_index("unique_id")["population"]
    heerlen = _text(out / "areas" / "gemeente-heerlen" / "index.html")
    assert f"telde Heerlen {_nl(int(pop['GM0917']))} inwoners" in heerlen
    beekdaelen = _text(out / "areas" / "gemeente-beekdaelen" / "index.html")
    assert f"telde Beekdaelen {_nl(int(pop['GM1954']))} inwoners" in beekdaelen


def test_report_states_which_indicators_the_real_data_lack(built):
    out, _, _ = built
    for slug in REPORTS:
        t = _text(out / "areas" / slug / "index.html")
        assert "Niet in de gegevens." in t
        assert "ontbreken er 36 in de gebruikte gegevens" in t
        assert "Veiligheid (hele thema): Geregistreerde misdrijven" in t
        assert "Bevolking (context): Ingeschreven arbeidsmigranten" in t
        # Nederland is derived from the 355 municipalities, so it is not "missing"
        assert "geen cijfers voor Nederland" not in t
        # real data: no synthetic-data warning
        assert "Synthetische demonstratiegegevens" not in t


def test_province_report_renders_and_says_what_the_data_cannot_show(built):
    out, _, _ = built
    d = out / "provincie"
    assert (d / "provincie-limburg.pdf").read_bytes()[:5] == b"%PDF-"
    t = _text(d / "index.html")
    assert "De behoefte-index is niet berekend: de gebruikte gegevens bevatten geen wijken" in t
    # the trend-break table names the real reason (not in the data), not a level mismatch
    assert "Levensverwachting bij geboorte zit niet in de gebruikte gegevens" in t
    assert "op het niveau van dit gebied" not in t
    assert "Synthetische demonstratiegegevens" not in t.split("Arbeidsmigranten")[0]


def test_report_has_no_chapter_for_a_theme_without_data(built):
    out, _, _ = built
    t = _text(out / "areas" / "gemeente-heerlen" / "index.html")
    assert "Bevolking (context): laatste waarden" in t
    assert "Veiligheid: laatste waarden" not in t


def test_nederland_is_the_sum_of_every_municipality_in_the_file(built, national):
    _, processed, _ = built
    assert len(national) == national["unique_id"].nunique() == 355  # every municipality of 2019
    total, over65 = int(national["population"].sum()), int(national["b_65_oo"].sum())
    # (the file's sum is 17,282,163, CBS's population on 1 January 2019; asserted
    # against the file, not against a figure from memory)
    obs = pd.read_csv(processed / "observations.csv", dtype={"unit_code": str})
    nl = obs[(obs["unit_code"] == "NL01") & (obs["indicator_id"] == "aandeel_65plus")]
    assert nl["denominator"].item() == total
    assert nl["numerator"].item() == over65
    flags = pd.read_csv(processed / "flags.csv").set_index(["unit_code", "indicator_id"])
    assert flags.loc[("NL01", "aandeel_65plus"), "flags"] == "sum_of_all_gemeenten"
    readme = (processed / "README.md").read_text(encoding="utf-8")
    assert (
        "| Nederland (`NL01`) | `aandeel_65plus` | 2019 | afgeleid | som van alle 355 gemeenten "
        "(indeling 2019) |" in readme
    )


def _pct(df: pd.DataFrame) -> float:
    return df["b_65_oo"].sum() / df["population"].sum() * 100


def _dec1(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def test_heerlen_report_compares_with_nederland(built, national, reference):
    out, _, _ = built
    d = out / "areas" / "gemeente-heerlen"
    pct = _pct(national)
    summary = pd.read_csv(d / "downloads" / "gemeente-heerlen-samenvatting.csv", na_values=".")
    row = summary[summary["indicator_id"] == "aandeel_65plus"].iloc[0]
    assert row["nederland_value"] == pytest.approx(pct, rel=1e-5)
    t = _text(d / "index.html")
    heerlen = _dec1(_pct(national[national["unique_id"] == "GM0917"]))
    limburg, nl = _dec1(_pct(reference)), _dec1(pct)
    # the theme table: Heerlen, its gemeente, Limburg, Nederland
    assert f"Inwoners van 65 jaar en ouder 2019 {heerlen} {heerlen} {limburg} {nl} " in t
    assert nl in _pdf_text(d / "gemeente-heerlen.pdf")
    # what was derived is said in the report
    assert "Wat is berekend of benaderd." in t
    assert "Nederland (2019): som van alle 355 gemeenten (indeling 2019)" in t
    # a complete count has no interval: "not tested", never "no significant differences"
    assert "geen significante verschillen" not in t
    assert "Inwoners van 65 jaar en ouder is niet tegen Nederland getoetst" in t
