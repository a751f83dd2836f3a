"""Tests for indicators.stats.proportions (Wilson score interval).

Reference values: PHEindicatormethods v2.1.0 test sheets, see tests/reference/README.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.proportion import proportion_confint

import indicators.stats as st
from indicators.exceptions import ArgumentError
from indicators.stats import ConfidenceInterval, wilson_ci

SHARED = Path(__file__).parents[2] / "shared" / "realdata" / "pheim" / "expected"
LOCAL = Path(__file__).parent / "reference"


def _pheim(name: str) -> pd.DataFrame:
    """Read a PHEindicatormethods sheet from ../shared, else from the copy in tests/reference."""
    shared = SHARED / f"{name}.csv"
    return pd.read_csv(shared if shared.exists() else LOCAL / f"pheim_{name}.csv")


@pytest.mark.parametrize(
    "name", ["testdata_Prop", "testdata_Prop_g", "testdata_B_W", "testdata_Rate", "testdata_Rate_g"]
)
def test_reference_copy_exists_and_matches_shared(name):
    local = LOCAL / f"pheim_{name}.csv"
    assert local.exists(), f"{local} is missing: tests must not depend on ../shared"
    shared = SHARED / f"{name}.csv"
    if shared.exists():
        assert local.read_bytes() == shared.read_bytes(), f"{local} differs from {shared}"


# ---------------------------------------------------------------- reference values


@pytest.mark.parametrize(
    ("confidence", "lower_col", "upper_col"),
    [(0.95, "lower95_0cl", "upper95_0cl"), (0.998, "lower99_8cl", "upper99_8cl")],
)
def test_wilson_matches_pheim_proportion_sheet(confidence, lower_col, upper_col):
    sheet = _pheim("testdata_Prop")
    ci = wilson_ci(sheet["Numerator"], sheet["Denominator"], confidence)
    mult = sheet["multiplier"].to_numpy()
    assert_allclose(ci.lower * mult, sheet[lower_col], rtol=1e-9)
    assert_allclose(ci.upper * mult, sheet[upper_col], rtol=1e-9)


def test_wilson_missing_rows_of_pheim_sheet_stay_missing():
    sheet = _pheim("testdata_Prop")
    missing = sheet["Numerator"].isna() | sheet["Denominator"].isna()
    assert missing.sum() == 3
    ci = wilson_ci(sheet["Numerator"], sheet["Denominator"])
    assert np.isnan(ci.lower[missing.to_numpy()]).all()
    assert np.isnan(ci.upper[missing.to_numpy()]).all()


def test_wilson_matches_pheim_grouped_sheet():
    sheet = _pheim("testdata_Prop_g")
    assert (sheet["confidence"] == "95%").all()
    ci = wilson_ci(sheet["Numerator"], sheet["Denominator"], 0.95)
    assert_allclose(ci.lower, sheet["lowercl"], rtol=1e-9)
    assert_allclose(ci.upper, sheet["uppercl"], rtol=1e-9)


@pytest.mark.parametrize(("label", "confidence"), [("95%", 0.95), ("99.8%", 0.998)])
def test_wilson_matches_pheim_byars_wilson_sheet(label, confidence):
    sheet = _pheim("testdata_B_W")
    rows = sheet[(sheet["method"] == "Wilson") & (sheet["confidence"] == label)]
    assert len(rows) == 3
    ci = wilson_ci(rows["x"], rows["n"], confidence)
    assert_allclose(ci.lower, rows["lowercl"], rtol=1e-9)
    assert_allclose(ci.upper, rows["uppercl"], rtol=1e-9)


def test_wilson_matches_closed_form_on_random_cases():
    rng = np.random.default_rng(20240501)
    n = rng.integers(1, 5000, 2000).astype(float)
    x = np.floor(rng.random(2000) * (n + 1))
    z = 1.959963984540054
    root = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
    ci = wilson_ci(x, n)
    assert_allclose(ci.lower, (2 * x + z**2 - root) / 2 / (n + z**2), rtol=1e-9, atol=1e-15)
    assert_allclose(ci.upper, (2 * x + z**2 + root) / 2 / (n + z**2), rtol=1e-9)


# ---------------------------------------------------------------- edge cases


def test_wilson_zero_and_all():
    ci = wilson_ci([0, 20], [20, 20])
    assert ci.lower[0] == 0.0
    assert ci.upper[1] == 1.0
    low, upp = proportion_confint(18, 20, method="wilson")
    assert_allclose(wilson_ci(18, 20), (low, upp), rtol=1e-12)


@pytest.mark.parametrize(
    ("numerator", "denominator"),
    [(np.nan, 100), (10, np.nan), (None, 100), (pd.NA, 100)],
)
def test_wilson_missing_input_gives_nan_not_zero(numerator, denominator):
    ci = wilson_ci(numerator, denominator)
    assert np.isnan(ci.lower) and np.isnan(ci.upper)


# ---------------------------------------------------------------- input types


def test_scalar_input_returns_floats():
    ci = wilson_ci(65, 100)
    assert isinstance(ci, ConfidenceInterval)
    assert isinstance(ci.lower, float) and isinstance(ci.upper, float)


@pytest.mark.parametrize(
    "make",
    [
        list,
        np.asarray,
        pd.Series,
        lambda v: pd.Series(v, dtype="Int64"),
        lambda v: pd.Series(v, index=[10, 20, 30]),
    ],
    ids=["list", "ndarray", "series", "nullable-int", "series-index"],
)
def test_array_like_inputs_give_same_arrays(make):
    expected = wilson_ci(np.array([1.0, 5.0, 20.0]), np.array([100.0, 100.0, 100.0]))
    ci = wilson_ci(make([1, 5, 20]), make([100, 100, 100]))
    assert isinstance(ci.lower, np.ndarray)
    assert_allclose(ci.lower, expected.lower, rtol=0)
    assert_allclose(ci.upper, expected.upper, rtol=0)


def test_nullable_series_with_na():
    ci = wilson_ci(pd.Series([1, pd.NA], dtype="Int64"), pd.Series([100, 100], dtype="Int64"))
    assert np.isfinite(ci.lower[0]) and np.isnan(ci.lower[1])


def test_scalar_denominator_broadcasts():
    ci = wilson_ci([1, 5], 100)
    assert_allclose(ci.upper, wilson_ci([1, 5], [100, 100]).upper, rtol=0)


def test_does_not_mutate_input():
    num = pd.Series([1.0, np.nan, 20.0])
    den = pd.Series([100.0, 100.0, np.nan])
    num_before, den_before = num.copy(), den.copy()
    wilson_ci(num, den)
    pd.testing.assert_series_equal(num, num_before)
    pd.testing.assert_series_equal(den, den_before)


# ---------------------------------------------------------------- argument checks


@pytest.mark.parametrize(
    ("numerator", "denominator", "message"),
    [
        ([1, 2], [100, 0], "denominators must be greater than zero"),
        ([1, 2], [100, -5], "denominators must be greater than zero"),
        ([-1, 2], [100, 100], "numerators must be greater than or equal to zero"),
        ([101, 2], [100, 100], "numerators must not be larger than denominators"),
        ([1, 2, 3], [100, 100], "numerators and denominators must have the same length"),
        (["a"], [100], "numerators must be numeric"),
    ],
)
def test_invalid_arguments_name_the_rule(numerator, denominator, message):
    with pytest.raises(ArgumentError, match=message):
        wilson_ci(numerator, denominator)


@pytest.mark.parametrize("confidence", [0, 1, 95, -0.5, [0.95, 0.998], "0.95", True])
def test_invalid_confidence(confidence):
    with pytest.raises(ArgumentError, match="confidence must be"):
        wilson_ci(1, 100, confidence)


def test_argument_error_is_a_value_error():
    with pytest.raises(ValueError, match="denominators must be greater than zero"):
        wilson_ci(1, 0)


# ---------------------------------------------------------------- package API


def test_stats_package_exports_its_public_names():
    assert sorted(st.__all__) == sorted(set(st.__all__))
    for name in st.__all__:
        assert hasattr(st, name), name


def test_wilson_limits_are_statsmodels_floats_bit_for_bit():
    """The written-out formula gives exactly statsmodels' ``proportion_confint`` floats."""
    rng = np.random.default_rng(11)
    n = rng.integers(1, 100_000, size=3000).astype(float)
    x = np.floor(rng.uniform(size=3000) * (n + 1))
    x[:5] = [0, 1, n[2] - 1, n[3], 0.5]  # the ends and a weighted (non-integer) count
    for conf in (0.8, 0.9, 0.95, 0.99, 0.998):
        ci = wilson_ci(x, n, conf)
        lo, up = proportion_confint(x, n, alpha=1 - conf, method="wilson")
        lo = np.where(x == 0, 0.0, lo)  # wilson_ci sets the exact ends
        up = np.where(x == n, 1.0, up)
        assert np.array_equal(ci.lower, lo) and np.array_equal(ci.upper, up)
