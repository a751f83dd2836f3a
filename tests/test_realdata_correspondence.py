"""Correspondence table: wijk/buurt recodes, boundary corrections and redraws with overlap weights.

Fixture ``tests/fixtures/geo/correspondence_wijk_buurt.csv`` (illustrative codes
and sizes): a wijk recode (2020), a boundary correction that moves part of
buurt 0101 into the existing buurt 0102 (2021), a redraw of buurten 0201 and
0202 into 0211 and 0212 (many to many, 2021) and a split with only area
overlaps. Expected numbers are worked out by hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indicators.config import load_catalogue
from indicators.exceptions import InputError
from indicators.realdata.geography import harmonise, load_correspondence, load_weights
from indicators.realdata.mapping import LONG_COLUMNS
from tests.conftest import write

FIXTURE = Path(__file__).parent / "fixtures" / "geo" / "correspondence_wijk_buurt.csv"
CATALOGUE = load_catalogue()


def _obs(rows) -> pd.DataFrame:
    """rows: (unit, numerator, denominator, geo_year); indicator aandeel_65plus, period = geo_year."""
    return pd.DataFrame(
        [
            {
                "unit_code": u, "indicator_id": "aandeel_65plus", "period": g, "numerator": n,
                "denominator": d, "value": np.nan, "se": np.nan, "geo_year": g,
                "table_id": f"kwb{g}", "flags": "", "weight_from": "",
            }
            for u, n, d, g in rows
        ]
    )[LONG_COLUMNS]  # fmt: skip


OBS = _obs(
    [
        ("WK091701", 2540, 11205, 2019),
        ("BU09170101", 400, 2000, 2020),
        ("BU09170102", 10, 50, 2020),
        ("BU09170201", 120, 1000, 2020),
        ("BU09170202", 250, 1000, 2020),
        ("BU09170211", 75, 620, 2021),  # already on the reference geography
    ]
)


def _run(kind: str, **kw):
    corr = load_correspondence(FIXTURE)
    obs = OBS[~OBS["unit_code"].str.startswith("BU091703")]
    h = harmonise(obs, corr, 2021, CATALOGUE, weight_kind=kind, **kw)
    return h, h.observations.set_index(["unit_code", "period"])


def test_fixture_loads_with_overlap_columns_and_the_committed_table_without():
    corr = load_correspondence(FIXTURE)
    by = {(c.old_code, c.new_code): c for c in corr.changes}
    assert by[("BU09170101", "BU09170102")].population == 100
    assert by[("BU09170101", "BU09170102")].area == 7.5
    assert by[("BU09170301", "BU09170311")].population is None
    committed = load_correspondence()  # six columns, no overlap sizes: still valid
    assert {c.new_code for c in committed.changes} == {"GM1954"}


def test_redraw_by_population_overlaps(tmp_path):
    h, r = _run("population")
    # boundary correction: 0101 keeps 1900/2000 = 95%, 0102 gets 5% on top of its own
    assert (r.loc[("BU09170101", 2020), "numerator"], r.loc[("BU09170101", 2020), "denominator"]) == pytest.approx((380, 1900))  # fmt: skip
    assert (r.loc[("BU09170102", 2020), "numerator"], r.loc[("BU09170102", 2020), "denominator"]) == pytest.approx((10 + 20, 50 + 100))  # fmt: skip
    # redraw: 0201 -> 60% / 40%, 0202 -> 0% / 100% (its part of 0211 has no inhabitants)
    assert r.loc[("BU09170211", 2020), "numerator"] == pytest.approx(0.6 * 120 + 0 * 250)
    assert r.loc[("BU09170211", 2020), "denominator"] == pytest.approx(600)
    assert r.loc[("BU09170212", 2020), "numerator"] == pytest.approx(0.4 * 120 + 250)
    assert r.loc[("BU09170212", 2020), "denominator"] == pytest.approx(400 + 1000)
    # nothing is lost or invented: totals are preserved
    before = OBS[OBS["period"] == 2020][["numerator", "denominator"]].sum()
    after = r.xs(2020, level="period")[["numerator", "denominator"]].sum()
    assert after.to_dict() == pytest.approx(before.to_dict())
    # the 2021 figures of the new buurt are untouched
    assert r.loc[("BU09170211", 2021), "numerator"] == 75
    # the wijk recode carries the whole wijk, exactly
    assert r.loc[("WK091710", 2019), "denominator"] == 11205
    assert "WK091701" not in r.index.get_level_values(0)
    appr = h.approximations.set_index("unit_code")
    assert appr.loc["WK091710", "method"] == "recode" and not appr.loc["WK091710", "approximate"]
    assert appr.loc["BU09170212", "method"] == "merger_sum"  # parts of two old buurten
    assert appr.loc["BU09170212", "from_codes"] == "BU09170201+BU09170202"
    assert appr.loc["BU09170101", "method"] == "apportion_population"
    assert appr.loc["BU09170101", "approximate"]
    assert "apportioned_population" in r.loc[("BU09170212", 2020), "flags"]


def test_redraw_by_area_overlaps():
    _, r = _run("area")
    # 0101: 12.5 / 20 ha stays, 7.5 / 20 ha moves to 0102
    assert r.loc[("BU09170101", 2020), "denominator"] == pytest.approx(2000 * 0.625)
    assert r.loc[("BU09170102", 2020), "numerator"] == pytest.approx(10 + 400 * 0.375)
    # 0201: 30 / 40 ha and 10 / 40 ha; 0202: 5 / 60 ha and 55 / 60 ha
    assert r.loc[("BU09170211", 2020), "numerator"] == pytest.approx(0.75 * 120 + 5 / 60 * 250)
    assert r.loc[("BU09170212", 2020), "denominator"] == pytest.approx(250 + 55 / 60 * 1000)
    assert "apportioned_area" in r.loc[("BU09170212", 2020), "flags"]


def test_split_without_population_overlaps_needs_a_weights_table(tmp_path):
    corr = load_correspondence(FIXTURE)
    obs = _obs([("BU09170301", 30, 200, 2020)])
    with pytest.raises(InputError, match="weights table"):
        harmonise(obs, corr, 2021, CATALOGUE, weight_kind="population")
    # by area the overlap sizes suffice: 20 / 80 and 60 / 80
    r = harmonise(obs, corr, 2021, CATALOGUE, weight_kind="area").observations
    r = r.set_index("unit_code")
    assert r.loc["BU09170311", "denominator"] == pytest.approx(50)
    # or population weights of the new buurten from a weights table
    w = load_weights(
        write(
            tmp_path / "w.csv",
            "unit_code,kind,weight\nBU09170311,population,150\nBU09170312,population,50\n",
        )
    )
    r = harmonise(obs, corr, 2021, CATALOGUE, weight_kind="population", weights=w)
    assert r.observations.set_index("unit_code").loc["BU09170311", "numerator"] == pytest.approx(
        22.5
    )


def test_given_share_wins_over_overlap_sizes(tmp_path):
    path = write(
        tmp_path / "c.csv",
        "year,old_code,new_code,kind,share,note,population\n"
        "2021,BU09170101,BU09170111,split,0.5,,900\n"
        "2021,BU09170101,BU09170112,split,0.5,,100\n",
    )
    r = harmonise(
        _obs([("BU09170101", 400, 2000, 2020)]), load_correspondence(path), 2021, CATALOGUE
    ).observations.set_index("unit_code")
    assert r.loc["BU09170111", "denominator"] == pytest.approx(1000)


@pytest.mark.parametrize(
    ("rows", "field", "match"),
    [
        ("2021,GM0881,GM1954,merger,,x,5000,", "population", "only for splits"),
        ("2021,BU09170101,BU09170111,split,,x,-3,", "population", ">= 0"),
        ("2021,BU09170101,BU09170101,recode,,x,,", "new_code", "same code changes nothing"),
    ],
)
def test_overlap_errors_name_line_and_field(tmp_path, rows, field, match):
    path = write(
        tmp_path / "c.csv", "year,old_code,new_code,kind,share,note,population,area\n" + rows + "\n"
    )
    with pytest.raises(InputError, match=match) as exc:
        load_correspondence(path)
    assert "line 2" in str(exc.value) and f"field '{field}'" in str(exc.value)
