"""Tests for indicators.survey.design (SurveyDesign and its linearised variance).

Reference values: R survey saved test output, see tests/reference/survey/README.md.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indicators.exceptions import ArgumentError
from indicators.survey import SurveyDesign, svy_mean, svy_total

REF = Path(__file__).parent / "reference" / "survey"
SHARED = Path(__file__).parents[2] / "shared" / "realdata"


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


def _r(case: str, quantity: str) -> str:
    ref = pd.read_csv(REF / "r_survey_values.csv", dtype=str)
    row = ref[(ref["case"] == case) & (ref["quantity"] == quantity)]
    assert len(row) == 1, f"no reference value for {case}/{quantity}"
    return row["value"].iloc[0]


def assert_matches_r(value: float, printed: str, slack: float = 0.0) -> None:
    """``value`` rounded to the digits R printed equals R's printed value.

    ``slack`` widens the rounding interval (absolute); only used where the
    README documents why.
    """
    decimals = max(-Decimal(printed).as_tuple().exponent, 0)
    tolerance = 0.5 * 10.0**-decimals * (1 + 1e-9) + slack
    assert abs(value - float(printed)) <= tolerance, f"{value} does not round to R's {printed}"


@pytest.mark.parametrize(
    ("src", "name"),
    [
        ("survey_api", "apistrat.csv"),
        ("survey_api", "apiclus1.csv"),
        ("survey_api", "apisrs.csv"),
        ("survey_api", "fpc.csv"),
        ("kalton_raking", "kalton_cells.csv"),
    ],
)
def test_reference_copy_matches_shared(src, name):
    local = REF / name
    assert local.exists(), f"{local} is missing: tests must not depend on ../shared"
    shared = SHARED / src / name
    if shared.exists():
        assert local.read_bytes() == shared.read_bytes(), f"{local} differs from {shared}"


# --------------------------------------------------------------------------
# R reference values
# --------------------------------------------------------------------------
def test_stratified_design_matches_r_dstrat():
    d = SurveyDesign.from_frame(_data("apistrat.csv"), weights="pw", strata="stype", fpc="fpc")
    mean = svy_mean(d, "api00").iloc[0]
    total = svy_total(d, "enroll").iloc[0]
    assert_matches_r(mean["estimate"], _r("dstrat_api00", "mean"))
    assert_matches_r(mean["se"], _r("dstrat_api00", "se"))
    assert_matches_r(total["estimate"], _r("dstrat_enroll", "total"))
    assert_matches_r(total["se"], _r("dstrat_enroll", "se"))


def test_cluster_design_matches_r_dclus1():
    d = SurveyDesign.from_frame(_data("apiclus1.csv"), weights="pw", clusters="dnum", fpc="fpc")
    mean = svy_mean(d, "api00").iloc[0]
    total = svy_total(d, "enroll").iloc[0]
    assert_matches_r(mean["estimate"], _r("dclus1_api00", "mean"))
    assert_matches_r(mean["se"], _r("dclus1_api00", "se"))
    assert_matches_r(total["estimate"], _r("dclus1_enroll", "total"))
    assert_matches_r(total["se"], _r("dclus1_enroll", "se"))


@pytest.mark.parametrize(("fpc", "case"), [(None, "withoutfpc_x"), ("Nh", "withfpc_x")])
def test_stratified_cluster_design_with_and_without_fpc_matches_r(fpc, case):
    d = SurveyDesign.from_frame(
        _data("fpc.csv"), weights="weight", strata="stratid", clusters="psuid", fpc=fpc
    )
    row = svy_mean(d, "x").iloc[0]
    assert_matches_r(row["estimate"], _r(case, "mean"))
    assert_matches_r(row["se"], _r(case, "se"))


def test_fpc_as_sampling_fraction_equals_population_size():
    df = _data("fpc.csv").assign(f=lambda x: x["nh"] / x["Nh"])
    by_size = SurveyDesign.from_frame(
        df, weights="weight", strata="stratid", clusters="psuid", fpc="Nh"
    )
    by_fraction = SurveyDesign.from_frame(
        df, weights="weight", strata="stratid", clusters="psuid", fpc="f"
    )
    assert svy_mean(by_size, "x")["se"].iloc[0] == pytest.approx(
        svy_mean(by_fraction, "x")["se"].iloc[0], rel=1e-12
    )


def test_psu_labels_are_nested_in_strata():
    # psuid restarts at 1 in each stratum of fpc.csv: 8 PSUs, not 5.
    d = SurveyDesign.from_frame(
        _data("fpc.csv"), weights="weight", strata="stratid", clusters="psuid"
    )
    assert (d.n_psu, d.n_strata, d.degrees_of_freedom) == (8, 2, 6)


@pytest.mark.parametrize(
    ("rule", "case"),
    [
        ("remove", "lonely_remove_api00"),
        ("certainty", "lonely_certainty_api00"),
        ("adjust", "lonely_adjust_api00"),
    ],
)
def test_lonely_psu_rules_match_r(rule, case):
    d = SurveyDesign.from_frame(_data("apiclus1.csv"), weights="pw", strata="dnum", lonely_psu=rule)
    assert_matches_r(svy_mean(d, "api00")["se"].iloc[0], _r(case, "se"))


def test_lonely_psu_fails_by_default_naming_the_stratum():
    with pytest.raises(ArgumentError, match=r"single PSU .*stratum 413"):
        SurveyDesign.from_frame(_data("apiclus1.csv"), weights="pw", strata="dnum")


def test_lonely_psu_in_fully_sampled_stratum_is_allowed():
    df = _data("apiclus1.csv")
    df["f"] = np.where(df["dnum"] == 413, 1, 1000)
    d = SurveyDesign.from_frame(df, weights="pw", strata="dnum", fpc="f")
    assert_matches_r(svy_mean(d, "api00")["se"].iloc[0], _r("lonely_fpc_api00", "se"))


# --------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------
def _tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {"w": [1.0, 2.0, 3.0, 4.0], "h": ["a", "a", "b", "b"], "psu": [1, 2, 1, 2], "N": 10}
    )


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        ({"w": [1.0, 0.0, 3.0, 4.0]}, {}, "weights must be positive"),
        ({"w": [1.0, -2.0, 3.0, 4.0]}, {}, "weights must be positive"),
        ({"w": [1.0, None, 3.0, 4.0]}, {}, "weights column 'w' has a missing value in row 2"),
        ({"h": ["a", None, "b", "b"]}, {"strata": "h"}, "strata column 'h' has a missing"),
        ({"N": [10, 11, 10, 10]}, {"strata": "h", "fpc": "N"}, "constant within a stratum"),
        ({"N": [1.5, 1.5, 10, 10]}, {"strata": "h", "fpc": "N"}, "at least the number of sampled"),
        ({"N": [0, 0, 10, 10]}, {"strata": "h", "fpc": "N"}, "fpc must be positive"),
        ({}, {"strata": "nope"}, "strata column 'nope' is not in the data"),
        ({}, {"lonely_psu": "average"}, "lonely_psu must be one of"),
    ],
)
def test_from_frame_checks_arguments(change, kwargs, message):
    df = _tiny().assign(**change)
    with pytest.raises(ArgumentError, match=message):
        SurveyDesign.from_frame(df, weights="w", **kwargs)


def test_from_frame_does_not_mutate_input():
    df = _tiny().set_index(pd.Index([10, 11, 12, 13]))
    before = df.copy()
    SurveyDesign.from_frame(df, weights="w", strata="h", clusters="psu", fpc="N")
    pd.testing.assert_frame_equal(df, before)


def test_variance_of_srs_total_matches_textbook_formula():
    # With-replacement SRS: V(sum w y) = n/(n-1) sum (w y - mean(w y))^2
    rng = np.random.default_rng(1)
    y = rng.normal(size=30)
    d = SurveyDesign.from_frame(pd.DataFrame({"w": 5.0, "y": y}), weights="w")
    u = 5.0 * y
    expected = 30 / 29 * np.sum((u - u.mean()) ** 2)
    assert d.variance(u)[0, 0] == pytest.approx(expected, rel=1e-12)


def test_summary_lists_strata():
    d = SurveyDesign.from_frame(_data("apistrat.csv"), weights="pw", strata="stype", fpc="fpc")
    summary = d.summary()
    assert summary["respondents"].tolist() == [100, 50, 50]
    assert summary["weight_sum"].round().tolist() == [4421, 755, 1018]
