"""Tests for indicators.breaks.gap (gap series and rest-of-reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from indicators.breaks import gap_series, rest_of_reference
from indicators.exceptions import ArgumentError
from indicators.stats import wilson_ci

Z95 = stats.norm.ppf(0.975)


def _series(periods, value, lower, upper) -> pd.DataFrame:
    return pd.DataFrame({"period": periods, "value": value, "lower_ci": lower, "upper_ci": upper})


def _wilson_series(count, nobs) -> pd.DataFrame:
    ci = wilson_ci(count, nobs)
    return _series(np.arange(len(count)), count / nobs, ci.lower, ci.upper)


def _random_counts(seed: int, size: int):
    rng = np.random.default_rng(seed)
    n1 = rng.integers(50, 3000, size).astype(float)
    n2 = rng.integers(50, 3000, size).astype(float)
    x1 = np.floor(rng.uniform(0.05, 0.95, size) * n1)
    x2 = np.floor(rng.uniform(0.05, 0.95, size) * n2)
    return x1, n1, x2, n2


# ---------------------------------------------------------------- difference (MOVER)


def test_difference_equals_statsmodels_newcombe():
    x1, n1, x2, n2 = _random_counts(3, 200)
    g = gap_series(_wilson_series(x1, n1), _wilson_series(x2, n2), kind="difference")
    for i in range(len(x1)):
        low, upp = confint_proportions_2indep(
            x1[i], n1[i], x2[i], n2[i], method="newcomb", compare="diff"
        )
        assert_allclose([g["lower"][i], g["upper"][i]], [low, upp], rtol=1e-8, atol=1e-12)
    assert_allclose(g["gap"], x1 / n1 - x2 / n2, rtol=1e-12)
    assert (g["method"] == "mover").all()
    assert (g["kind"] == "difference").all()


def test_difference_is_area_minus_reference():
    area = _series([2020], [79.5], [79.0], [80.0])
    ref = _series([2020], [81.5], [81.4], [81.6])
    g = gap_series(area, ref)
    assert g["gap"].iloc[0] == pytest.approx(-2.0)
    assert g["lower"].iloc[0] < -2.0 < g["upper"].iloc[0]


# ---------------------------------------------------------------- ratio


def test_ratio_log_method_equals_statsmodels_log():
    x1, n1, x2, n2 = _random_counts(5, 200)

    def log_wald(x, n):
        p = x / n
        d = Z95 * np.sqrt(1 / x - 1 / n)
        return _series(np.arange(len(x)), p, p * np.exp(-d), p * np.exp(d))

    g = gap_series(log_wald(x1, n1), log_wald(x2, n2), kind="ratio", ratio_method="log")
    for i in range(len(x1)):
        low, upp = confint_proportions_2indep(
            x1[i], n1[i], x2[i], n2[i], method="log", compare="ratio"
        )
        assert_allclose([g["lower"][i], g["upper"][i]], [low, upp], rtol=1e-9)
    assert (g["method"] == "log-delta").all()


def test_mover_r_with_wald_limits_equals_fieller():
    rng = np.random.default_rng(8)
    a, b = rng.uniform(1, 10, 100), rng.uniform(5, 10, 100)
    sa, sb = rng.uniform(0.05, 1, 100), rng.uniform(0.05, 1, 100)
    area = _series(np.arange(100), a, a - Z95 * sa, a + Z95 * sa)
    ref = _series(np.arange(100), b, b - Z95 * sb, b + Z95 * sb)
    g = gap_series(area, ref, kind="ratio")
    # Fieller: (a - r b)^2 = z^2 (sa^2 + r^2 sb^2), a quadratic in r.
    qa = b**2 - Z95**2 * sb**2
    qb = -2 * a * b
    qc = a**2 - Z95**2 * sa**2
    disc = np.sqrt(qb**2 - 4 * qa * qc)
    assert_allclose(g["lower"], (-qb - disc) / (2 * qa), rtol=1e-9)
    assert_allclose(g["upper"], (-qb + disc) / (2 * qa), rtol=1e-9)
    assert (g["method"] == "mover-r").all()


@pytest.mark.parametrize("ratio_method", ["mover", "log"])
def test_ratio_interval_covers_about_95_percent_with_wilson_limits(ratio_method):
    # 4000 replicates as 4000 "periods" of one vectorised call.
    rng = np.random.default_rng(20240611)
    reps, n1, n2, p1, p2 = 4000, 400, 2000, 0.3, 0.2
    x1 = rng.binomial(n1, p1, reps).astype(float)
    x2 = rng.binomial(n2, p2, reps).astype(float)
    area = _wilson_series(x1, np.full(reps, n1, dtype=float))
    ref = _wilson_series(x2, np.full(reps, n2, dtype=float))
    g = gap_series(area, ref, kind="ratio", ratio_method=ratio_method)
    coverage = np.mean((g["lower"] <= p1 / p2) & (p1 / p2 <= g["upper"]))
    assert 0.935 <= coverage <= 0.965, coverage


def test_mover_r_is_unbounded_when_reference_interval_reaches_zero():
    area = _series([1], [0.5], [0.3], [0.7])
    ref = _series([1], [0.02], [0.0], [0.05])
    g = gap_series(area, ref, kind="ratio")
    assert np.isinf(g["upper"].iloc[0])


def test_ratio_requires_positive_values():
    with pytest.raises(ArgumentError, match="values must be greater than zero for a ratio gap"):
        gap_series(_series([1], [0.0], [0.0], [0.1]), _series([1], [1.0], [0.9], [1.1]),
                   kind="ratio")  # fmt: skip


# ---------------------------------------------------------------- frames and errors


def test_period_in_one_frame_only_gives_missing_gap():
    area = _series([2019, 2020], [1.0, 1.1], [0.9, 1.0], [1.1, 1.2])
    ref = _series([2020, 2021], [1.0, 1.0], [0.95, 0.95], [1.05, 1.05])
    g = gap_series(area, ref)
    assert g["period"].tolist() == [2019, 2020, 2021]
    assert g["gap"].isna().tolist() == [True, False, True]
    assert g["lower"].isna().tolist() == [True, False, True]


def test_missing_value_stays_missing_for_ratio():
    area = _series([1, 2], [1.0, None], [0.9, None], [1.1, None])
    ref = _series([1, 2], [2.0, 2.0], [1.9, 1.9], [2.1, 2.1])
    g = gap_series(area, ref, kind="ratio")
    assert g["gap"].isna().tolist() == [False, True]
    assert g["upper"].isna().tolist() == [False, True]


def test_gap_series_does_not_mutate_inputs():
    area = _series([2], [1.0], [0.9], [1.1])
    ref = _series([2], [2.0], [1.9], [2.1])
    before = (area.copy(), ref.copy())
    gap_series(area, ref, kind="ratio")
    pd.testing.assert_frame_equal(area, before[0])
    pd.testing.assert_frame_equal(ref, before[1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "diff"}, "kind must be one of difference, ratio; got 'diff'"),
        ({"kind": "ratio", "ratio_method": "mov"}, "ratio_method must be one of mover, log"),
        ({"confidence": 95}, "confidence must be between 0 and 1"),
    ],
)
def test_gap_series_rejects_unknown_options(kwargs, message):
    s = _series([1], [1.0], [0.9], [1.1])
    with pytest.raises(ArgumentError, match=message):
        gap_series(s, s, **kwargs)


def test_gap_series_names_missing_column_and_repeated_period():
    s = _series([1], [1.0], [0.9], [1.1])
    with pytest.raises(ArgumentError, match=r"area must have columns .*missing \['upper_ci'\]"):
        gap_series(s.drop(columns="upper_ci"), s)
    with pytest.raises(ArgumentError, match=r"reference: each period must occur once"):
        gap_series(s, pd.concat([s, s]))


def test_gap_series_rejects_limits_on_wrong_side():
    good = _series([1], [1.0], [0.9], [1.1])
    with pytest.raises(ArgumentError, match="area: lower_ci must not be larger than value"):
        gap_series(_series([1], [1.0], [1.2], [1.3]), good)


# ---------------------------------------------------------------- rest of reference


def test_rest_of_reference_counts_proportion():
    nl = pd.DataFrame({"period": [2019, 2020], "numerator": [1000, 1100],
                       "denominator": [10000, 10000]})  # fmt: skip
    zl = pd.DataFrame({"period": [2019, 2020], "numerator": [150, 160],
                       "denominator": [1000, 1000]})  # fmt: skip
    r = rest_of_reference(nl, zl, kind="proportion", multiplier=100)
    assert_allclose(r["value"], [850 / 9000 * 100, 940 / 9000 * 100])
    ci = wilson_ci(np.array([850.0, 940.0]), np.array([9000.0, 9000.0]))
    assert_allclose(r["lower_ci"], ci.lower * 100)
    assert_allclose(r["upper_ci"], ci.upper * 100)
    assert r["numerator"].tolist() == [850, 940]
    assert (r["method"] == "wilson").all()


def test_rest_of_reference_counts_rate_feeds_gap_series():
    nl = pd.DataFrame({"period": [2020], "numerator": [5000], "denominator": [1_000_000]})
    zl = pd.DataFrame({"period": [2020], "numerator": [800], "denominator": [100_000]})
    rest = rest_of_reference(nl, zl, kind="rate", multiplier=1000)
    assert rest["value"].iloc[0] == pytest.approx(4200 / 900_000 * 1000)
    assert rest["method"].iloc[0] == "Byars"
    area = rest_of_reference(zl.assign(numerator=1600, denominator=200_000), zl, kind="rate",
                             multiplier=1000)  # fmt: skip
    g = gap_series(area, rest)
    assert g["gap"].iloc[0] == pytest.approx(8.0 - 4200 / 900)


def test_rest_of_reference_weighted_mean_recovers_the_rest():
    # Build NL from an area and an independent rest, then take the area out again.
    w_a, v_a, se_a = 600.0, 79.0, 0.30
    w_rest, v_rest, se_rest = 16400.0, 81.2, 0.11
    w_nl = w_a + w_rest
    v_nl = (w_a * v_a + w_rest * v_rest) / w_nl
    se_nl = np.sqrt(w_a**2 * se_a**2 + w_rest**2 * se_rest**2) / w_nl
    nl = pd.DataFrame({"period": [2020], "value": [v_nl], "se": [se_nl], "weight": [w_nl]})
    zl = pd.DataFrame({"period": [2020], "value": [v_a], "se": [se_a], "weight": [w_a]})
    r = rest_of_reference(nl, zl, kind="weighted_mean")
    assert_allclose(r[["value", "se", "weight"]].iloc[0], [v_rest, se_rest, w_rest], rtol=1e-10)
    assert_allclose(r["upper_ci"].iloc[0] - r["value"].iloc[0], Z95 * se_rest, rtol=1e-10)


def test_rest_of_reference_inconsistent_se_gives_missing_not_zero():
    nl = pd.DataFrame({"period": [1], "value": [80.0], "se": [0.01], "weight": [1000.0]})
    zl = pd.DataFrame({"period": [1], "value": [79.0], "se": [1.0], "weight": [500.0]})
    r = rest_of_reference(nl, zl, kind="weighted_mean")
    assert np.isnan(r["se"].iloc[0]) and np.isnan(r["lower_ci"].iloc[0])
    assert r["value"].iloc[0] == pytest.approx(81.0)


@pytest.mark.parametrize(
    ("area_row", "message"),
    [
        ({"numerator": 2000, "denominator": 1000}, "reference numerator must be at least"),
        ({"numerator": 10, "denominator": 10000}, "reference denominator must be larger"),
    ],
)
def test_rest_of_reference_rejects_area_larger_than_reference(area_row, message):
    nl = pd.DataFrame({"period": [1], "numerator": [1000], "denominator": [10000]})
    zl = pd.DataFrame({"period": [1], **{k: [v] for k, v in area_row.items()}})
    with pytest.raises(ArgumentError, match=message):
        rest_of_reference(nl, zl, kind="proportion")


def test_rest_of_reference_kind_has_no_default_and_no_prefix_matching():
    nl = pd.DataFrame({"period": [1], "numerator": [1000], "denominator": [10000]})
    with pytest.raises(TypeError):
        rest_of_reference(nl, nl)  # type: ignore[call-arg]
    with pytest.raises(ArgumentError, match="kind must be one of proportion, rate, weighted_mean"):
        rest_of_reference(nl, nl, kind="prop")  # type: ignore[arg-type]
