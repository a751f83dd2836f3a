"""Tests for indicators.stats.change (MOVER difference) and indicators.stats.means (normal CI)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.weightstats import _zconfint_generic

from indicators.exceptions import ArgumentError
from indicators.stats import (
    ConfidenceInterval,
    DifferenceResult,
    difference_ci,
    normal_ci,
    wilson_ci,
)


def _random_proportion_cases(seed: int, size: int):
    rng = np.random.default_rng(seed)
    nobs1 = rng.integers(1, 3000, size).astype(float)
    nobs2 = rng.integers(1, 3000, size).astype(float)
    count1 = np.floor(rng.random(size) * (nobs1 + 1))
    count2 = np.floor(rng.random(size) * (nobs2 + 1))
    return count1, nobs1, count2, nobs2


def _mover_from_counts(count1, nobs1, count2, nobs2, confidence=0.95):
    ci1 = wilson_ci(count1, nobs1, confidence)
    ci2 = wilson_ci(count2, nobs2, confidence)
    return difference_ci(count1 / nobs1, ci1.lower, ci1.upper, count2 / nobs2, ci2.lower, ci2.upper)


# ---------------------------------------------------------------- MOVER / Newcombe


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_newcombe_matches_statsmodels_on_random_cases(confidence):
    count1, nobs1, count2, nobs2 = _random_proportion_cases(7, 500)
    ours = _mover_from_counts(count1, nobs1, count2, nobs2, confidence)
    for i in range(len(count1)):
        # statsmodels reports p1 - p2; ours is value2 - value1: flip and swap.
        low, upp = confint_proportions_2indep(
            count1[i], nobs1[i], count2[i], nobs2[i],
            method="newcomb", compare="diff", alpha=1 - confidence,
        )  # fmt: skip
        assert_allclose(ours.lower[i], -upp, rtol=1e-8, atol=1e-12)
        assert_allclose(ours.upper[i], -low, rtol=1e-8, atol=1e-12)
    assert_allclose(ours.difference, count2 / nobs2 - count1 / nobs1, rtol=1e-12)


def test_newcombe_matches_statsmodels_with_groups_swapped():
    count1, nobs1, count2, nobs2 = _random_proportion_cases(11, 100)
    ours = _mover_from_counts(count1, nobs1, count2, nobs2)
    for i in range(len(count1)):
        low, upp = confint_proportions_2indep(
            count2[i], nobs2[i], count1[i], nobs1[i], method="newcomb", compare="diff"
        )
        assert_allclose([ours.lower[i], ours.upper[i]], [low, upp], rtol=1e-8, atol=1e-12)


def test_newcombe_boundary_counts():
    # 0/n and n/n, where Wilson limits touch 0 and 1.
    count1, nobs1 = np.array([0.0, 50.0, 0.0]), np.array([50.0, 50.0, 10.0])
    count2, nobs2 = np.array([5.0, 50.0, 10.0]), np.array([40.0, 50.0, 10.0])
    ours = _mover_from_counts(count1, nobs1, count2, nobs2)
    for i in range(3):
        low, upp = confint_proportions_2indep(
            count2[i], nobs2[i], count1[i], nobs1[i], method="newcomb", compare="diff"
        )
        assert_allclose([ours.lower[i], ours.upper[i]], [low, upp], rtol=1e-8, atol=1e-12)


def test_symmetric_intervals_give_root_sum_of_squares():
    # With symmetric limits MOVER reduces to d -/+ sqrt(h1^2 + h2^2).
    r = difference_ci(10.0, 8.0, 12.0, 13.0, 12.0, 14.0)
    assert r.difference == 3.0
    assert_allclose([r.lower, r.upper], [3 - np.sqrt(5), 3 + np.sqrt(5)], rtol=1e-12)


def test_difference_missing_stays_missing():
    r = difference_ci([0.1, np.nan], [0.05, 0.1], [0.15, 0.3], [0.2, 0.2], [0.15, 0.1], [0.25, 0.3])
    assert np.isfinite(r.difference[0])
    assert np.isnan(r.difference[1]) and np.isnan(r.lower[1]) and np.isnan(r.upper[1])
    r = difference_ci(0.1, np.nan, 0.15, 0.2, 0.15, 0.25)
    assert not np.isnan(r.difference) and np.isnan(r.upper)


def test_difference_scalar_returns_floats():
    r = difference_ci(0.20, 0.15, 0.26, 0.30, 0.24, 0.37)
    assert isinstance(r, DifferenceResult)
    assert all(isinstance(v, float) for v in r)


def test_difference_series_input_does_not_mutate():
    cols = {
        name: pd.Series(vals)
        for name, vals in {
            "value1": [0.1, 0.2],
            "lower1": [0.05, 0.15],
            "upper1": [0.15, 0.25],
            "value2": [0.2, np.nan],
            "lower2": [0.15, 0.1],
            "upper2": [0.25, 0.3],
        }.items()
    }
    before = {k: v.copy() for k, v in cols.items()}
    r = difference_ci(**cols)
    for k, v in cols.items():
        pd.testing.assert_series_equal(v, before[k])
    assert isinstance(r.lower, np.ndarray) and len(r.lower) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.1, 0.2, 0.3, 0.2, 0.1, 0.3), "lower1 must not be larger than value1"),
        ((0.1, 0.0, 0.05, 0.2, 0.1, 0.3), "value1 must not be larger than upper1"),
        ((0.1, 0.0, 0.2, 0.2, 0.25, 0.3), "lower2 must not be larger than value2"),
        ((0.1, 0.0, 0.2, 0.4, 0.1, 0.3), "value2 must not be larger than upper2"),
        (([0.1, 0.2], 0.0, 0.3, [0.1, 0.2, 0.3], 0.0, 0.5), "must have the same length"),
    ],
)
def test_difference_invalid_arguments(args, message):
    with pytest.raises(ArgumentError, match=message):
        difference_ci(*args)


# ---------------------------------------------------------------- means.normal_ci


@pytest.mark.parametrize("confidence", [0.90, 0.95, 0.998])
def test_normal_ci_matches_scipy_hand_values(confidence):
    value = np.array([80.1, 79.4, 83.0])
    se = np.array([0.25, 0.4, 1.1])
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    ci = normal_ci(value, se, confidence)
    assert_allclose(ci.lower, value - z * se, rtol=1e-12)
    assert_allclose(ci.upper, value + z * se, rtol=1e-12)


def test_normal_ci_known_value():
    # 1.959963984540054 = scipy.stats.norm.ppf(0.975)
    ci = normal_ci(80.0, 0.5)
    assert_allclose([ci.lower, ci.upper], [80 - 0.979981992270027, 80 + 0.979981992270027])


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_normal_ci_matches_statsmodels(confidence):
    rng = np.random.default_rng(3)
    value, se = rng.normal(50, 10, 200), rng.uniform(0.1, 3, 200)
    lower, upper = _zconfint_generic(value, se, 1 - confidence, "two-sided")
    ci = normal_ci(value, se, confidence)
    assert_allclose(ci.lower, lower, rtol=1e-12)
    assert_allclose(ci.upper, upper, rtol=1e-12)


def test_normal_ci_missing_and_scalar():
    ci = normal_ci([80.0, np.nan, 81.0], [0.5, 0.5, None])
    assert np.isfinite(ci.lower[0]) and np.isnan(ci.lower[1:]).all()
    assert isinstance(normal_ci(1.0, 0.1), ConfidenceInterval)
    assert isinstance(normal_ci(1.0, 0.1).lower, float)


def test_normal_ci_does_not_mutate_series():
    value, se = pd.Series([80.0, 81.0]), pd.Series([0.5, np.nan])
    before = value.copy(), se.copy()
    normal_ci(value, se)
    pd.testing.assert_series_equal(value, before[0])
    pd.testing.assert_series_equal(se, before[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((80.0, -0.1), "standard errors must be greater than or equal to zero"),
        (([80.0, 81.0], [0.1, 0.2, 0.3]), "values and standard errors must have the same length"),
        ((80.0, 0.1, 0.0), "confidence must be"),
    ],
)
def test_normal_ci_invalid_arguments(args, message):
    with pytest.raises(ArgumentError, match=message):
        normal_ci(*args)
