"""Harmonisation to one reference geography: mergers summed, splits apportioned, all recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.config import load_catalogue
from indicators.exceptions import InputError
from indicators.realdata.geography import (
    Change,
    Correspondence,
    harmonise,
    load_correspondence,
    load_weights,
)
from indicators.realdata.mapping import LONG_COLUMNS
from tests.conftest import write

BEEKDAELEN = ["GM0881", "GM0951", "GM0962"]  # Onderbanken, Nuth, Schinnen


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _obs(rows) -> pd.DataFrame:
    """rows: (unit, indicator, period, num, den, value, geo_year)."""
    df = pd.DataFrame(
        [
            {
                "unit_code": u, "indicator_id": i, "period": p, "numerator": n,
                "denominator": d, "value": v, "se": np.nan, "geo_year": g,
                "table_id": f"kwb{g}", "flags": "", "weight_from": "",
            }
            for u, i, p, n, d, v, g in rows
        ]
    )  # fmt: skip
    return df[LONG_COLUMNS]


def test_merger_of_three_municipalities_sums_counts_and_is_recorded(catalogue):
    obs = _obs(
        [
            ("GM0881", "aandeel_65plus", 2018, 2200, 7850, np.nan, 2018),
            ("GM0951", "aandeel_65plus", 2018, 3900, 14950, np.nan, 2018),
            ("GM0962", "aandeel_65plus", 2018, 3050, 12950, np.nan, 2018),
            ("GM0917", "aandeel_65plus", 2018, 19500, 86900, np.nan, 2018),
            ("GM1954", "aandeel_65plus", 2019, 9230, 35727, np.nan, 2019),
        ]
    )
    h = harmonise(obs, load_correspondence(), 2019, catalogue)
    res = h.observations.set_index(["unit_code", "period"])
    assert res.at[("GM1954", 2018), "numerator"] == 2200 + 3900 + 3050
    assert res.at[("GM1954", 2018), "denominator"] == 7850 + 14950 + 12950
    assert res.at[("GM1954", 2019), "denominator"] == 35727  # already on the reference
    assert not set(BEEKDAELEN) & set(h.observations["unit_code"])
    assert "harmonised" in res.at[("GM1954", 2018), "flags"]
    assert (h.observations["geo_year"] == 2019).all()
    (rec,) = h.approximations.itertuples()
    assert (rec.unit_code, rec.period, rec.method) == ("GM1954", 2018, "merger_sum")
    assert rec.from_codes == "GM0881+GM0951+GM0962" and not rec.approximate


def test_merger_with_a_missing_part_stays_missing_never_a_partial_sum(catalogue):
    obs = _obs(
        [
            ("GM0881", "aandeel_65plus", 2017, 2200, 7850, np.nan, 2017),
            ("GM0951", "aandeel_65plus", 2017, np.nan, 14950, np.nan, 2017),  # secret
            ("GM0962", "aandeel_65plus", 2017, 3050, 12950, np.nan, 2017),
            ("GM0881", "aandeel_65plus", 2016, 2100, 7900, np.nan, 2016),
            ("GM0951", "aandeel_65plus", 2016, 3800, 15000, np.nan, 2016),  # Schinnen absent
        ]
    )
    h = harmonise(obs, load_correspondence(), 2019, catalogue)
    res = h.observations.set_index(["unit_code", "period"])
    assert np.isnan(res.at[("GM1954", 2017), "numerator"])
    assert res.at[("GM1954", 2017), "denominator"] == 7850 + 14950 + 12950
    assert np.isnan(res.at[("GM1954", 2016), "numerator"])
    assert np.isnan(res.at[("GM1954", 2016), "denominator"])
    rec = h.approximations.set_index("period")
    assert rec.at[2016, "method"] == "incomplete" and rec.at[2016, "approximate"]
    assert "GM0962" in rec.at[2016, "note"]


def test_merger_of_a_weighted_mean_uses_the_denominators_as_weights(catalogue):
    obs = _obs(
        [
            ("GM0881", "woz_waarde", 2018, np.nan, 3000, 200.0, 2018),
            ("GM0951", "woz_waarde", 2018, np.nan, 6000, 230.0, 2018),
            ("GM0962", "woz_waarde", 2018, np.nan, 1000, 260.0, 2018),
        ]
    )
    h = harmonise(obs, load_correspondence(), 2019, catalogue)
    (row,) = h.observations.itertuples()
    assert row.value == pytest.approx((200 * 3000 + 230 * 6000 + 260 * 1000) / 10000)
    assert row.denominator == 10000 and np.isnan(row.numerator)
    assert h.approximations["method"].tolist() == ["merger_weighted_mean"]


def test_split_buurt_is_apportioned_by_population_weights(tmp_path, catalogue):
    corr = Correspondence(
        (
            Change(2020, "BU09170101", "BU09170111", "split", None),
            Change(2020, "BU09170101", "BU09170112", "split", None),
        )
    )
    weights = load_weights(
        write(
            tmp_path / "w.csv",
            "unit_code,kind,weight\nBU09170111,population,1500\nBU09170112,population,500\n"
            "BU09170111,area,10\nBU09170112,area,30\n",
        )
    )
    obs = _obs(
        [
            ("BU09170101", "aandeel_65plus", 2019, 400, 2000, np.nan, 2019),
            ("BU09170101", "woz_waarde", 2019, np.nan, 800, 180.0, 2019),
            ("BU09170111", "aandeel_65plus", 2020, 310, 1510, np.nan, 2020),
        ]
    )
    h = harmonise(obs, corr, 2020, catalogue, weights=weights)
    res = h.observations.set_index(["unit_code", "indicator_id", "period"])
    a = res.loc[("BU09170111", "aandeel_65plus", 2019)]
    b = res.loc[("BU09170112", "aandeel_65plus", 2019)]
    assert (a["numerator"], a["denominator"]) == pytest.approx((300, 1500))  # 3/4
    assert (b["numerator"], b["denominator"]) == pytest.approx((100, 500))  # 1/4
    assert res.loc[("BU09170112", "woz_waarde", 2019), "value"] == 180.0  # a mean is copied
    assert res.loc[("BU09170112", "woz_waarde", 2019), "denominator"] == pytest.approx(200)
    assert "apportioned_population" in a["flags"]
    assert res.loc[("BU09170111", "aandeel_65plus", 2020), "numerator"] == 310
    appr = h.approximations
    assert len(appr) == 4 and appr["approximate"].all()
    assert set(appr["method"]) == {"apportion_population"}
    # the same split by area
    h2 = harmonise(obs, corr, 2020, catalogue, weights=weights, weight_kind="area")
    r2 = h2.observations.set_index(["unit_code", "indicator_id", "period"])
    assert r2.loc[("BU09170111", "aandeel_65plus", 2019), "denominator"] == pytest.approx(500)


def test_split_without_weights_or_shares_is_an_error(catalogue):
    corr = Correspondence(
        (
            Change(2020, "BU09170101", "BU09170111", "split", None),
            Change(2020, "BU09170101", "BU09170112", "split", None),
        )
    )
    obs = _obs([("BU09170101", "aandeel_65plus", 2019, 400, 2000, np.nan, 2019)])
    with pytest.raises(InputError, match="supply a weights table"):
        harmonise(obs, corr, 2020, catalogue)


def test_recode_then_merger_chain(catalogue):
    corr = Correspondence(
        (
            Change(2016, "GM0001", "GM0002", "recode", None),
            Change(2019, "GM0002", "GM0003", "merger", None),
            Change(2019, "GM0004", "GM0003", "merger", None),
        )
    )
    assert corr.translation(2015, 2019) == {
        "GM0001": [("GM0003", 1.0)],
        "GM0004": [("GM0003", 1.0)],
    }
    obs = _obs(
        [
            ("GM0001", "aandeel_65plus", 2015, 10, 100, np.nan, 2015),
            ("GM0004", "aandeel_65plus", 2015, 20, 200, np.nan, 2015),
        ]
    )
    h = harmonise(obs, corr, 2019, catalogue)
    (row,) = h.observations.itertuples()
    assert (row.unit_code, row.numerator, row.denominator) == ("GM0003", 30, 300)


def test_does_not_mutate_its_input(catalogue):
    obs = _obs([("GM0881", "aandeel_65plus", 2018, 2200, 7850, np.nan, 2018)])
    before = obs.copy()
    harmonise(obs, load_correspondence(), 2019, catalogue)
    pd.testing.assert_frame_equal(obs, before)


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("2019,GM881,GM1954,merger,,x", "line 2, field 'old_code': not a CBS unit code"),
        ("2019,GM0881,WK195401,merger,,x", "same level"),
        ("2019,GM0881,GM1954,annexed,,x", "field 'kind': kind must be"),
        ("2019,GM0881,GM1954,merger,0.5,x", "leave share empty"),
    ],
)
def test_correspondence_errors_name_line_and_field(tmp_path, line, match):
    path = write(tmp_path / "c.csv", "year,old_code,new_code,kind,share,note\n" + line + "\n")
    with pytest.raises(InputError, match=match):
        load_correspondence(path)


def test_split_shares_must_add_up(tmp_path):
    path = write(
        tmp_path / "c.csv",
        "year,old_code,new_code,kind,share,note\n"
        "2020,BU09170101,BU09170111,split,0.5,\n2020,BU09170101,BU09170112,split,0.3,\n",
    )
    with pytest.raises(InputError, match="add up to 0.800"):
        load_correspondence(path)
