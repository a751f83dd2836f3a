"""Versioned column mapping: different years' column names, roles, flags, real KWB 2019 data."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indicators.config import load_catalogue
from indicators.exceptions import InputError
from indicators.realdata.cbs import read_csv_table
from indicators.realdata.mapping import (
    FLAG_MODEL,
    FLAG_NO_WEIGHT,
    FLAG_PERCENT,
    FLAG_ROUNDED,
    apply_mapping,
    load_mapping,
    resolve_weights,
)
from tests.conftest import SHARED, write

TINY = (
    Path(__file__).parent / "fixtures" / "odata" / "realdata" / "kwb2019_limburg_gemeenten_tiny.csv"
)
SHARED_LIMBURG = SHARED / "realdata" / "cbs_kwb2019_gemeenten" / "kwb2019_limburg_gemeenten.csv"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def mapping(catalogue):
    return load_mapping(catalogue=catalogue)


def _kwb(code, **cols):
    return {"WijkenEnBuurten": code.ljust(10), **cols}


def test_two_years_with_different_column_names_map_to_the_same_indicators(mapping):
    y2019 = pd.DataFrame(
        [_kwb("GM0917", AantalInwoners_5=86832.0, k_65JaarOfOuder_12=19783.0,
              Woningvoorraad_34=45000.0, GemiddeldeWoningwaarde_35=160.0,
              Koopwoningen_40=47.0, InBezitWoningcorporatie_42=34.0)]
    )  # fmt: skip
    y2024 = pd.DataFrame(
        [_kwb("GM0917", AantalInwoners_5=87000.0, k_65JaarOfOuder_12=21000.0,
              Woningvoorraad_35=46000.0, GemiddeldeWOZWaardeVanWoningen_39=230.0,
              Koopwoningen_47=48.0, InBezitWoningcorporatie_49=33.0)]
    )  # fmt: skip
    a = apply_mapping(y2019, "84583NED", mapping.table("84583NED"))
    b = apply_mapping(y2024, "85984NED", mapping.table("85984NED"))
    assert set(a["indicator_id"]) == set(b["indicator_id"]) == {
        "aandeel_65plus", "koopwoningen", "sociale_huur", "woz_waarde"
    }  # fmt: skip
    both = pd.concat([a, b]).set_index(["indicator_id", "period"])
    assert both.loc[("koopwoningen", 2019), "numerator"] == pytest.approx(0.47 * 45000)
    assert both.loc[("koopwoningen", 2024), "numerator"] == pytest.approx(0.48 * 46000)
    assert both.loc[("woz_waarde", 2024), "value"] == 230.0
    assert both.loc[("woz_waarde", 2024), "denominator"] == 46000.0  # the weight
    assert np.isnan(both.loc[("woz_waarde", 2019), "numerator"])
    assert FLAG_PERCENT in both.loc[("sociale_huur", 2019), "flags"]


def test_missing_values_stay_missing_and_rounding_is_flagged_for_buurten(mapping):
    df = pd.DataFrame(
        [
            _kwb("GM0917", AantalInwoners_5=86832.0, k_65JaarOfOuder_12=19783.0),
            _kwb("BU09170101", AantalInwoners_5=2375.0, k_65JaarOfOuder_12=None),
            _kwb("WK091701", AantalInwoners_5=".", k_65JaarOfOuder_12="."),
        ]
    )
    t = mapping.table("83765NED")  # 2017: population only
    long = apply_mapping(df, "83765NED", t).set_index("unit_code")
    assert np.isnan(long.at["BU09170101", "numerator"])  # secret, not 0
    assert np.isnan(long.at["WK091701", "denominator"])
    assert FLAG_ROUNDED in long.at["BU09170101", "flags"]
    assert FLAG_ROUNDED in long.at["WK091701", "flags"]
    assert FLAG_ROUNDED not in long.at["GM0917", "flags"]


def test_a_renamed_column_fails_with_suggestions(mapping):
    df = pd.DataFrame([_kwb("GM0917", AantalInwoners_5=1.0, k_65JaarOfOuder_13=1.0)])
    with pytest.raises(
        InputError, match=r"k_65JaarOfOuder_12.*not in the data.*k_65JaarOfOuder_13"
    ):
        apply_mapping(df, "83765NED", mapping.table("83765NED"))


def test_model_estimates_get_inhabitants_as_weight_and_keep_the_percentage(mapping, catalogue):
    kwb = apply_mapping(
        pd.DataFrame([_kwb("BU09170101", AantalInwoners_5=2000.0, k_65JaarOfOuder_12=500.0)]),
        "83765NED",
        mapping.table("83765NED"),
    ).assign(period=2020)
    rivm = pd.DataFrame(
        [
            {"WijkenEnBuurten": "BU09170101", "Perioden": "2020JJ00", "Leeftijd": "20300",
             "Marges": "MW00000", "ErvarenGezondheidGoedZeerGoed_4": 71.0, "Overgewicht_9": 55.0,
             "Roker_11": None, "HoogRisicoOpAngstOfDepressie_25": 52.0,
             "ErnstigZeerErnstigEenzaam_29": 12.0, "Vrijwilligerswerk_33": 25.0},
            {"WijkenEnBuurten": "BU09170101", "Perioden": "2020JJ00", "Leeftijd": "20300",
             "Marges": "MOG0095", "ErvarenGezondheidGoedZeerGoed_4": 68.0, "Overgewicht_9": 50.0,
             "Roker_11": 20.0, "HoogRisicoOpAngstOfDepressie_25": 48.0,
             "ErnstigZeerErnstigEenzaam_29": 10.0, "Vrijwilligerswerk_33": 22.0},
            {"WijkenEnBuurten": "BU09170102", "Perioden": "2016JJ00", "Leeftijd": "20300",
             "Marges": "MW00000", "ErvarenGezondheidGoedZeerGoed_4": 80.0, "Overgewicht_9": 40.0,
             "Roker_11": 18.0, "HoogRisicoOpAngstOfDepressie_25": 40.0,
             "ErnstigZeerErnstigEenzaam_29": 8.0, "Vrijwilligerswerk_33": 30.0},
        ]
    )  # fmt: skip
    health = apply_mapping(rivm, "50090NED", mapping.table("50090NED"))
    assert len(health) == 12  # margins filtered out, 2 units x 6 indicators
    obs = resolve_weights(pd.concat([kwb, health], ignore_index=True))
    g = obs.set_index(["unit_code", "indicator_id"])
    row = g.loc[("BU09170101", "ervaren_gezondheid_goed")]
    assert row["denominator"] == 2000.0 and row["numerator"] == pytest.approx(0.71 * 2000)
    assert row["numerator"] / row["denominator"] * 100 == pytest.approx(71.0)  # exactly kept
    assert FLAG_MODEL in row["flags"] and FLAG_PERCENT in row["flags"]
    assert np.isnan(g.loc[("BU09170101", "roken"), "numerator"])  # missing stays missing
    other = g.loc[("BU09170102", "overgewicht")]  # no KWB population for this unit
    assert np.isnan(other["numerator"]) and other["value"] == 40.0
    assert FLAG_NO_WEIGHT in other["flags"]


def test_catalogue_rules_are_enforced(tmp_path, catalogue):
    text = (Path(__file__).parents[1] / "data" / "mappings" / "cbs_kwb.yml").read_text()
    bad = text.replace(
        "        denominator: {column: AantalInwoners_4, rounded: true}\n", "", 1
    )  # 2013: sum indicator without denominator
    path = write(tmp_path / "m.yml", bad)
    with pytest.raises(
        InputError,
        match=r"m.yml, key 'tables.82339NED.indicators.aandeel_65plus': a 'sum' indicator needs",
    ):
        load_mapping(path, catalogue)
    unknown = text.replace("      aandeel_65plus:\n", "      aandeel_75plus:\n", 1)
    with pytest.raises(InputError, match="unknown indicator"):
        load_mapping(write(tmp_path / "u.yml", unknown), catalogue)
    typo = text.replace("percent_of_denominator: true", "percent_of_denominatr: true", 1)
    with pytest.raises(InputError, match="unknown key"):
        load_mapping(write(tmp_path / "t.yml", typo), catalogue)


# ------------------------------------------------------------------ the real KWB 2019 extract
def _check_real_extract(path: Path, mapping) -> pd.DataFrame:
    t = mapping.table("kwb2019-gemeenten-extract")
    long = apply_mapping(read_csv_table(path, t), "kwb2019-gemeenten-extract", t)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(long) == len(rows)
    mapped = long.set_index("unit_code")
    for r in rows:  # population per municipality lands on the right unit code
        assert mapped.at[r["unique_id"], "denominator"] == float(r["population"])
        assert mapped.at[r["unique_id"], "numerator"] == float(r["b_65_oo"])
    assert set(long["period"]) == {2019} and set(long["indicator_id"]) == {"aandeel_65plus"}
    return long


def test_tiny_copy_of_the_real_kwb_2019_extract_maps_to_the_right_codes(mapping):
    long = _check_real_extract(TINY, mapping).set_index("unit_code")
    assert long.at["GM0917", "denominator"] == 86832  # Heerlen, 1 January 2019
    assert long.at["GM1954", "numerator"] == 9230  # Beekdaelen 65+


@pytest.mark.skipif(not SHARED_LIMBURG.exists(), reason="../shared is not available")
def test_real_kwb_2019_limburg_extract_maps_to_the_31_municipalities(mapping):
    from indicators.realdata.cbs import resolve_region

    long = _check_real_extract(SHARED_LIMBURG, mapping)
    assert set(long["unit_code"]) == set(resolve_region("limburg").gemeenten)
    with SHARED_LIMBURG.open(newline="", encoding="utf-8") as f:
        total = sum(int(r["population"]) for r in csv.DictReader(f))
    assert long["denominator"].sum() == total
