"""Tests for indicators.stats.compare (benchmark comparison and Dutch labels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.exceptions import ArgumentError
from indicators.stats import (
    COMPARISON_LABELS_NL,
    POLARITIES,
    TREND_LABELS_NL,
    compare_to_benchmark,
)

BENCHMARK = 0.25
ABOVE = (0.30, 0.40)
BELOW = (0.10, 0.20)
OVERLAP = (0.20, 0.30)


@pytest.mark.parametrize(
    ("interval", "polarity", "expected"),
    [
        (ABOVE, "higher_is_better", "better"),
        (ABOVE, "lower_is_better", "worse"),
        (ABOVE, "neutral", "higher"),
        (BELOW, "higher_is_better", "worse"),
        (BELOW, "lower_is_better", "better"),
        (BELOW, "neutral", "lower"),
        (OVERLAP, "higher_is_better", "similar"),
        (OVERLAP, "lower_is_better", "similar"),
        (OVERLAP, "neutral", "similar"),
    ],
)
def test_all_interval_polarity_cases(interval, polarity, expected):
    assert compare_to_benchmark(*interval, BENCHMARK, polarity) == expected


@pytest.mark.parametrize("polarity", POLARITIES)
@pytest.mark.parametrize(
    ("lower", "upper", "benchmark"),
    [
        (np.nan, 0.3, 0.25),
        (0.2, np.nan, 0.25),
        (0.2, 0.3, np.nan),
        (None, None, 0.25),
        (pd.NA, 0.3, 0.25),
    ],
)
def test_missing_ci_or_benchmark_is_not_compared(lower, upper, benchmark, polarity):
    assert compare_to_benchmark(lower, upper, benchmark, polarity) == "not_compared"


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [(0.25, 0.30, "similar"), (0.20, 0.25, "similar"), (0.25, 0.25, "similar")],
)
def test_touching_the_benchmark_is_similar(lower, upper, expected):
    assert compare_to_benchmark(lower, upper, BENCHMARK, "neutral") == expected


def test_vectorised_with_polarity_array():
    lower = np.array([0.30, 0.30, 0.10, 0.10, 0.20, np.nan])
    upper = np.array([0.40, 0.40, 0.20, 0.20, 0.30, 0.30])
    polarity = np.array(
        ["higher_is_better", "lower_is_better", "higher_is_better", "neutral", "neutral", "neutral"]
    )
    codes = compare_to_benchmark(lower, upper, BENCHMARK, polarity)
    assert isinstance(codes, np.ndarray)
    assert codes.tolist() == ["better", "worse", "worse", "lower", "similar", "not_compared"]


def test_benchmark_per_row():
    codes = compare_to_benchmark([0.3, 0.3], [0.4, 0.4], [0.25, 0.35], "higher_is_better")
    assert codes.tolist() == ["better", "similar"]


def test_large_input_is_fast_and_correct():
    rng = np.random.default_rng(5)
    n = 100_000
    centre = rng.normal(0.25, 0.05, n)
    half = rng.uniform(0.0, 0.05, n)
    codes = compare_to_benchmark(centre - half, centre + half, BENCHMARK, "higher_is_better")
    expected = np.where(
        centre - half > BENCHMARK,
        "better",
        np.where(centre + half < BENCHMARK, "worse", "similar"),
    )
    assert (codes == expected).all()


def test_series_input_does_not_mutate():
    lower = pd.Series([0.3, 0.1, np.nan])
    upper = pd.Series([0.4, 0.2, 0.3])
    polarity = pd.Series(["higher_is_better", "lower_is_better", "neutral"])
    before = lower.copy(), upper.copy(), polarity.copy()
    codes = compare_to_benchmark(lower, upper, BENCHMARK, polarity)
    assert codes.tolist() == ["better", "better", "not_compared"]
    pd.testing.assert_series_equal(lower, before[0])
    pd.testing.assert_series_equal(upper, before[1])
    pd.testing.assert_series_equal(polarity, before[2])


@pytest.mark.parametrize("polarity", ["higher", "Higher_is_better", "", None, np.nan, "low"])
def test_unknown_polarity_raises(polarity):
    with pytest.raises(ArgumentError, match="polarity must be one of higher_is_better"):
        compare_to_benchmark(0.3, 0.4, 0.25, polarity)


def test_unknown_polarity_in_array_raises_and_names_it():
    with pytest.raises(ArgumentError, match="got 'better'"):
        compare_to_benchmark([0.3, 0.3], [0.4, 0.4], 0.25, ["neutral", "better"])


def test_lower_above_upper_raises():
    with pytest.raises(ArgumentError, match="lower must not be larger than upper"):
        compare_to_benchmark(0.5, 0.4, 0.25, "neutral")


def test_length_mismatch_raises():
    with pytest.raises(ArgumentError, match="must have the same length"):
        compare_to_benchmark([0.1, 0.2], [0.3, 0.4, 0.5], 0.25, "neutral")


def test_every_code_has_a_dutch_label():
    codes = {"better", "worse", "similar", "higher", "lower", "not_compared"}
    assert set(COMPARISON_LABELS_NL) == codes
    assert COMPARISON_LABELS_NL == {
        "better": "beter",
        "worse": "slechter",
        "similar": "vergelijkbaar",
        "higher": "hoger",
        "lower": "lager",
        "not_compared": "niet getoetst",
    }


def test_trend_labels():
    assert TREND_LABELS_NL == {
        "increasing_better": "toenemend en verbeterend",
        "increasing_worse": "toenemend en verslechterend",
        "decreasing_better": "afnemend en verbeterend",
        "decreasing_worse": "afnemend en verslechterend",
        "increasing": "toenemend",
        "decreasing": "afnemend",
        "no_significant_change": "geen significante verandering",
        "cannot_calculate": "kan niet worden berekend",
    }
