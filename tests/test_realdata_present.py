"""Reports on real data with few indicators: absent themes, no Nederland, no crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from indicators.compute import Results, add_statistics
from indicators.config import AreaParams, AreaSet, load_catalogue
from indicators.present import area as report
from indicators.present.trendbreak import area_trendbreak_md, province_trendbreak_md
from indicators.trendbreak import compute_trendbreak, load_trendbreak_config

CATALOGUE = load_catalogue()
REGION = "region:zuid-limburg"


def _results(rows: list[dict], names: dict[str, str]) -> Results:
    agg = pd.DataFrame(rows)
    agg["value_raw"] = agg["se"] = np.nan
    agg["n_units"] = agg["n_expected"] = 1
    values = add_statistics(agg, CATALOGUE)
    areas = pd.DataFrame({"area": sorted(set(agg["area"]))})
    areas["name"] = areas["area"].map(names)
    return Results(values=values, summary=pd.DataFrame(), areas=areas)


def _rows(areas: list[str], indicator: str = "netto_arbeidsparticipatie") -> list[dict]:
    return [
        {"area": a, "indicator_id": indicator, "period": y, "numerator": (10 if a == "NL01" else 1) * (600.0 + y % 7),
         "denominator": 10_000.0 if a == "NL01" else 1000.0}
        for a in areas
        for y in range(2012, 2024)
    ]  # fmt: skip


def _wijk(slug: str = "heerlen-noord") -> AreaSet:
    a = AreaParams(
        slug=slug, name="Heerlen-Noord", kind="aandachtswijk", municipality="GM0917",
        units=["BU09170000"], intervention_start=2020,
    )  # fmt: skip
    return AreaSet(areas={slug: a}, paths={slug: Path(f"{slug}.yml")})


def test_trendbreak_without_nederland_gives_no_gap_and_says_why(tmp_path):
    """Real data without a row for Nederland: no gaps, a reason, no exception."""
    names = {REGION: "Zuid-Limburg", "heerlen-noord": "Heerlen-Noord"}
    res = _results(_rows([REGION, "heerlen-noord"]), names)
    cfg = load_trendbreak_config(catalogue=CATALOGUE)
    tb = compute_trendbreak(res, CATALOGUE, _wijk(), cfg)
    assert tb.meta["absent_entities"] == ["NL01"]
    assert tb.gaps.empty and tb.its.empty
    assert set(tb.status["status"]) == {"no_reference"}
    assert tb.status["reason_nl"].str.contains("geen cijfers voor Nederland").all()
    assert (tb.targets["status"] == "no_reference").all()
    md = area_trendbreak_md(tb, "heerlen-noord", CATALOGUE, tmp_path, "f")
    assert "geen cijfers voor Nederland" in md
    assert "op het niveau van" not in md  # not the (wrong) level explanation
    prov = province_trendbreak_md(tb, CATALOGUE, tmp_path, "f")
    assert "geen cijfers voor Nederland" in prov and "|" not in prov  # no empty table


def test_trendbreak_with_nederland_lists_nothing_absent():
    names = {REGION: "Zuid-Limburg", "NL01": "Nederland"}
    res = _results(_rows([REGION, "NL01"]), names)
    cfg = load_trendbreak_config(catalogue=CATALOGUE)
    tb = compute_trendbreak(res, CATALOGUE, AreaSet(areas={}, paths={}), cfg)
    assert tb.meta["absent_entities"] == []
    assert not tb.gaps.empty


def test_trendbreak_with_nederland_names_the_real_reason_for_a_missing_series():
    """NL01 present (e.g. summed from the municipalities) but not every indicator: the
    reason is "not in the data" or "no Dutch figure", never the wrong level explanation."""
    names = {REGION: "Zuid-Limburg", "NL01": "Nederland"}
    rows = _rows([REGION, "NL01"]) + _rows([REGION], indicator="jeugdzorg")
    res = _results(rows, names)
    cfg = load_trendbreak_config(catalogue=CATALOGUE)
    tb = compute_trendbreak(res, CATALOGUE, AreaSet(areas={}, paths={}), cfg)
    assert tb.meta["absent_entities"] == []
    st = tb.status[tb.status["area"] == REGION].set_index(["indicator_id", "analysis"])
    tg = tb.targets.set_index(["area", "indicator_id"])
    assert (
        st.loc[("roken", "its"), "reason_nl"] == "de indicator zit niet in de gebruikte gegevens."
    )
    assert tg.loc[(REGION, "roken"), "reason_nl"] == (
        "Niet te beoordelen: Rookt zit niet in de gebruikte gegevens."
    )
    # the region has jeugdzorg, Nederland does not: no reference
    assert st.loc[("jeugdzorg", "its"), "status"] == "no_reference"
    assert "geen cijfers voor Nederland" in st.loc[("jeugdzorg", "its"), "reason_nl"]
    assert not tb.status["reason_nl"].str.contains("op het niveau van").any()
    assert not tb.targets["reason_nl"].str.contains("op het niveau van").any()


def test_coverage_note_shows_how_nederland_was_derived_and_what_lacks_it():
    from indicators.config import CatalogueOverrides, IndicatorOverride, apply_catalogue_overrides

    note = "Nederland (2019): som van alle 355 gemeenten (indeling 2019)"
    cat = apply_catalogue_overrides(
        CATALOGUE,
        CatalogueOverrides(
            indicators={"aandeel_65plus": IndicatorOverride(benchmark_note_nl=note)}
        ),
    )
    values = _values([("limburg", "aandeel_65plus", 2019, 1.0, 2.0),
                      ("NL01", "aandeel_65plus", 2019, 1.0, 3.0),
                      ("limburg", "woz_waarde", 2019, np.nan, 2.0)])  # fmt: skip
    summary = pd.DataFrame({"indicator_id": ["aandeel_65plus", "woz_waarde"], "theme": "context",
                            "vs_nederland": "not_compared", "trend_code": "cannot_calculate",
                            "nederland_value": [19.2, np.nan]})  # fmt: skip
    md = report.data_coverage_md(_view(values, summary), cat)
    assert "**Wat is berekend of benaderd.**" in md
    assert f"- Inwoners van 65 jaar en ouder: {report.escape_md(note)}" in md
    assert "Voor Gemiddelde WOZ-waarde" in md and "niet mogelijk" in md
    assert "De gebruikte gegevens bevatten geen cijfers voor Nederland." not in md


def _view(values: pd.DataFrame, summary: pd.DataFrame | None = None) -> report.AreaView:
    if summary is None:
        summary = pd.DataFrame(
            {
                "indicator_id": values["indicator_id"].unique(),
                "theme": "context",
                "vs_nederland": "not_compared",
                "trend_code": "cannot_calculate",
            }
        )
    return report.AreaView(
        slug="limburg", name="Limburg", kind="provincie", gemeente=None, gemeente_name=None,
        intervention_start=None, summary=summary, values=values,
    )  # fmt: skip


def _values(rows: list[tuple[str, str, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["area", "indicator_id", "period", "numerator", "denominator"]
    )


def test_coverage_note_lists_absent_indicators_by_theme_and_missing_nederland():
    v = _view(_values([("limburg", "aandeel_65plus", 2019, 261179.0, 1116137.0)]))
    md = report.data_coverage_md(v, CATALOGUE)
    n = len(CATALOGUE.indicators) - 1
    assert f"ontbreken er {n} in de gebruikte gegevens" in md
    assert "- Veiligheid (hele thema): Geregistreerde misdrijven" in md
    # a theme that is only partly absent is not called a whole theme
    assert "- Bevolking (context): Ingeschreven arbeidsmigranten" in md
    assert "geen cijfers voor Nederland" in md
    # the summary fragment carries the note under the traffic-light table
    assert md in report.summary_table_md(v, CATALOGUE)


def test_coverage_note_is_empty_when_every_indicator_and_nederland_are_there():
    rows = [("NL01", i.id, 2020, 1.0, 10.0) for i in CATALOGUE.indicators]
    v = _view(_values(rows))
    assert report.data_coverage_md(v, CATALOGUE) == ""


def test_summary_without_any_data_says_so_instead_of_crashing():
    v = _view(_values([]), pd.DataFrame(columns=["indicator_id", "theme", "vs_nederland",
                                                 "trend_code"]))  # fmt: skip
    md = report.summary_table_md(v, CATALOGUE)
    assert md.startswith("Voor Limburg zijn in de gebruikte gegevens geen cijfers beschikbaar.")


def test_intro_states_the_population_from_the_latest_count():
    v = _view(
        _values(
            [
                ("limburg", "aandeel_65plus", 2018, 1.0, 1_117_000.0),
                ("limburg", "aandeel_65plus", 2019, 261179.0, 1116137.0),
                ("NL01", "aandeel_65plus", 2019, 1.0, 17_000_000.0),
            ]
        )
    )
    assert report.population(v) == (2019, 1116137.0)
    assert "Op 1 januari 2019 telde Limburg 1.116.137 inwoners." in report.intro_md(v, "", 1)
    assert report.population(_view(_values([("NL01", "aandeel_65plus", 2019, 1, 2)]))) is None


def test_need_index_without_wijken_or_nederland_says_why(tmp_path):
    """Gemeente-level real data: no wijken and no NL01, so no index, and the section says so."""
    from indicators import need
    from indicators.present.need import need_section_md

    units = pd.DataFrame(
        {
            "unit_code": ["PV31", "GM0917", "GM0935"],
            "level": ["provincie", "gemeente", "gemeente"],
            "name": ["Limburg", "Heerlen", "Maastricht"],
            "gemeente_code": [None, "GM0917", "GM0935"],
            "wijk_code": [None, None, None],
            "region": [None, "Zuid-Limburg", "Zuid-Limburg"],
        }
    )
    obs = pd.DataFrame(
        {"unit_code": ["GM0917"], "indicator_id": ["aandeel_65plus"], "period": [2019],
         "numerator": [19783.0], "denominator": [86832.0], "value": [np.nan], "se": [np.nan]}
    )  # fmt: skip
    vals = need.unit_values(obs, units, CATALOGUE, level="wijk")
    assert vals.empty and "geen wijken" in vals.attrs["unavailable"]
    assert "geen cijfers voor Nederland" in vals.attrs["unavailable"]
    res = need.compute_need_index(vals, need.load_need_config(catalogue=CATALOGUE), units=units)
    md = need_section_md(res, [], tmp_path, "f", units=units)
    assert "De behoefte-index is niet berekend" in md and "geen wijken" in md
