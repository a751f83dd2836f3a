"""Tests for indicators.stats.rates (Byar's, exact Poisson and crude rates).

Reference values: PHEindicatormethods v2.1.0 test sheets, see tests/reference/README.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.rates import confint_poisson

from indicators.exceptions import ArgumentError
from indicators.stats import RateResult, byar_ci, exact_poisson_ci, rate_ci

SHARED = Path(__file__).parents[2] / "shared" / "realdata" / "pheim" / "expected"
LOCAL = Path(__file__).parent / "reference"
CONFIDENCE = {"95%": 0.95, "99.8%": 0.998}


def _pheim(name: str) -> pd.DataFrame:
    """Read a PHEindicatormethods sheet from ../shared, else from the copy in tests/reference."""
    shared = SHARED / f"{name}.csv"
    return pd.read_csv(shared if shared.exists() else LOCAL / f"pheim_{name}.csv")


def _method(values) -> list:
    return [None if pd.isna(v) else v for v in values]


# ---------------------------------------------------------------- Byar's


@pytest.mark.parametrize("label", ["95%", "99.8%"])
def test_byar_matches_pheim_byars_wilson_sheet(label):
    sheet = _pheim("testdata_B_W")
    rows = sheet[(sheet["method"] == "Byars") & (sheet["confidence"] == label)]
    rows = rows[rows["lowercl"].notna()]
    assert len(rows) == 3
    ci = byar_ci(rows["x"], CONFIDENCE[label])
    assert_allclose(ci.lower, rows["lowercl"], rtol=1e-9)
    assert_allclose(ci.upper, rows["uppercl"], rtol=1e-9)


def test_byar_lower_is_clipped_at_zero_where_pheim_sheet_is_empty():
    # Last sheet row: x = 1 at 99.8%; the approximation is negative (-0.0028),
    # the sheet leaves the lower limit empty, byar_ci returns 0 (see Notes).
    sheet = _pheim("testdata_B_W")
    row = sheet[(sheet["method"] == "Byars") & sheet["lowercl"].isna()].iloc[0]
    assert (row["x"], row["confidence"]) == (1, "99.8%")
    ci = byar_ci(row["x"], 0.998)
    assert ci.lower == 0.0
    assert_allclose(ci.upper, row["uppercl"], rtol=1e-9)


def test_byar_zero_count():
    ci = byar_ci(0)
    assert ci.lower == 0.0
    assert_allclose(ci.upper, 1 * (1 - 1 / 9 + 1.959963984540054 / 3) ** 3, rtol=1e-9)


def test_byar_close_to_exact_for_large_counts():
    counts = np.array([50.0, 200.0, 1000.0, 10000.0])
    assert_allclose(byar_ci(counts), exact_poisson_ci(counts), rtol=2e-3)


# ---------------------------------------------------------------- exact Poisson


@pytest.mark.parametrize("confidence", [0.90, 0.95, 0.998])
def test_exact_poisson_matches_statsmodels(confidence):
    counts = np.arange(0, 60, dtype=float)
    lower, upper = confint_poisson(counts, 1.0, method="exact-c", alpha=1 - confidence)
    ci = exact_poisson_ci(counts, confidence)
    assert_allclose(ci.lower, lower, rtol=1e-9, atol=1e-300)
    assert_allclose(ci.upper, upper, rtol=1e-9)


def test_exact_poisson_zero_count_lower_is_zero():
    ci = exact_poisson_ci(0)
    assert ci.lower == 0.0
    assert_allclose(ci.upper, -np.log(0.025), rtol=1e-12)


# ---------------------------------------------------------------- rates


@pytest.mark.parametrize(
    ("confidence", "lower_col", "upper_col"),
    [(0.95, "lower95_0cl", "upper95_0cl"), (0.998, "lower99_8cl", "upper99_8cl")],
)
def test_rate_matches_pheim_rate_sheet(confidence, lower_col, upper_col):
    sheet = _pheim("testdata_Rate")
    for multiplier, rows in sheet.groupby("multiplier"):
        r = rate_ci(rows["Numerator"], rows["Denominator"], multiplier, confidence)
        assert_allclose(r.value, rows["value"], rtol=1e-9)
        assert_allclose(r.lower, rows[lower_col], rtol=1e-9)
        assert_allclose(r.upper, rows[upper_col], rtol=1e-9)
        assert _method(r.method) == _method(rows["method"])


def test_rate_matches_pheim_grouped_rate_sheet():
    sheet = _pheim("testdata_Rate_g")
    assert (sheet["confidence"] == "95%").all()
    r = rate_ci(sheet["Numerator"], sheet["Denominator"], 100000, 0.95)
    assert_allclose(r.value, sheet["value"], rtol=1e-9)
    assert_allclose(r.lower, sheet["lowercl"], rtol=1e-9)
    assert_allclose(r.upper, sheet["uppercl"], rtol=1e-9)
    assert _method(r.method) == _method(sheet["method"])


def test_rate_switches_method_at_ten():
    r = rate_ci([9, 10], [1000, 1000])
    assert r.method.tolist() == ["Exact", "Byars"]
    assert_allclose(r.lower[0], exact_poisson_ci(9).lower, rtol=1e-12)
    assert_allclose(r.lower[1], byar_ci(10).lower, rtol=1e-12)


def test_rate_allows_numerator_above_denominator():
    r = rate_ci(250, 220, multiplier=100000)
    assert_allclose(r.value, 113636.36363636365, rtol=1e-12)


def test_rate_missing_stays_missing():
    r = rate_ci([np.nan, 10, 5], [100, np.nan, 100])
    assert np.isnan(r.value[:2]).all() and np.isnan(r.lower[:2]).all()
    assert np.isnan(r.upper[:2]).all()
    assert r.method.tolist() == [None, "Byars", "Exact"]


def test_rate_scalar_input():
    r = rate_ci(5, 100)
    assert isinstance(r, RateResult)
    assert isinstance(r.value, float) and isinstance(r.lower, float)
    assert r.method == "Exact"
    assert r.value == 50.0


def test_rate_series_input_and_does_not_mutate():
    num = pd.Series([1.0, 65.0, np.nan], index=["a", "b", "c"])
    den = pd.Series([100.0, 100.0, 100.0], index=["a", "b", "c"])
    num_before, den_before = num.copy(), den.copy()
    r = rate_ci(num, den, multiplier=100)
    pd.testing.assert_series_equal(num, num_before)
    pd.testing.assert_series_equal(den, den_before)
    assert isinstance(r.value, np.ndarray)
    assert_allclose(r.lower[:2], [0.025317807984289897, 50.163187710459454], rtol=1e-9)


def test_byar_and_exact_do_not_mutate_series():
    counts = pd.Series([0.0, 5.0, np.nan])
    before = counts.copy()
    byar_ci(counts)
    exact_poisson_ci(counts)
    pd.testing.assert_series_equal(counts, before)


# ---------------------------------------------------------------- argument checks


@pytest.mark.parametrize("func", [byar_ci, exact_poisson_ci])
def test_negative_counts_raise(func):
    with pytest.raises(ArgumentError, match="counts must be greater than or equal to zero"):
        func([65, 0, -4])


@pytest.mark.parametrize("func", [byar_ci, exact_poisson_ci])
@pytest.mark.parametrize("confidence", [0.0, 1.0, 95, "95%"])
def test_invalid_confidence_raises(func, confidence):
    with pytest.raises(ArgumentError, match="confidence must be"):
        func(10, confidence)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"numerator": [-1], "denominator": [100]}, "numerators must be greater than or equal"),
        ({"numerator": [1], "denominator": [0]}, "denominators must be greater than zero"),
        ({"numerator": [1, 2], "denominator": [1, 2, 3]}, "must have the same length"),
        ({"numerator": 1, "denominator": 100, "multiplier": 0}, "multiplier must be"),
        ({"numerator": 1, "denominator": 100, "multiplier": "1000"}, "multiplier must be"),
        ({"numerator": 1, "denominator": 100, "confidence": 1.5}, "confidence must be"),
    ],
)
def test_rate_invalid_arguments(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        rate_ci(**kwargs)
