"""Tests for indicators.stats.trends (chi-square test for trend, WLS, recent-trend rules).

Reference values for chi_square_trend: tests/reference/r_prop_trend_test.csv (R
documentation example of prop.trend.test; the command is in tests/reference/README.md).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from statsmodels.stats.contingency_tables import Table

from indicators.exceptions import ArgumentError
from indicators.stats import (
    TREND_LABELS_NL,
    RecentTrend,
    TrendTest,
    chi_square_trend,
    classify_recent_trend,
    recent_trends,
    wls_trend,
)

REFERENCE = Path(__file__).parent / "reference"
SMOKERS = [83, 90, 129, 70]
PATIENTS = [86, 93, 136, 82]
YEARS = np.arange(2019, 2024)

# ====================================================================== chi_square_trend


def test_chi_square_trend_matches_r_prop_trend_test():
    ref = pd.read_csv(REFERENCE / "r_prop_trend_test.csv").set_index("case").loc["smokers_patients"]
    r = chi_square_trend(SMOKERS, PATIENTS)
    assert isinstance(r, TrendTest)
    assert_allclose(r.statistic, ref["statistic"], rtol=0, atol=ref["statistic_atol"])
    assert_allclose(r.p_value, ref["p_value"], rtol=0, atol=ref["p_value_atol"])


def _weighted_regression_ss(x, n, scores):
    """R's definition: regression SS of x/n on scores, weights n/(p(1-p))."""
    x, n, scores = (np.asarray(v, dtype=float) for v in (x, n, scores))
    p = x.sum() / n.sum()
    fit = sm.WLS(x / n, sm.add_constant(scores), weights=n / p / (1 - p)).fit()
    return fit.ess, fit.params[1]


@pytest.mark.parametrize("seed", range(5))
def test_chi_square_trend_equals_weighted_regression_ss(seed):
    rng = np.random.default_rng(seed)
    k = rng.integers(3, 9)
    n = rng.integers(20, 5000, k).astype(float)
    x = rng.binomial(n.astype(int), rng.uniform(0.05, 0.95)).astype(float)
    scores = np.sort(rng.choice(np.arange(1990, 2030), k, replace=False)).astype(float)
    ess, slope = _weighted_regression_ss(x, n, scores)
    r = chi_square_trend(x, n, scores)
    assert_allclose(r.statistic, ess, rtol=1e-9)
    assert_allclose(r.slope, slope, rtol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_chi_square_trend_relates_to_linear_by_linear_statistic(seed):
    # statsmodels' test_ordinal_association is M^2 = (N-1) r^2 = X^2 (N-1)/N.
    rng = np.random.default_rng(100 + seed)
    k = rng.integers(3, 8)
    n = rng.integers(20, 3000, k).astype(float)
    x = rng.binomial(n.astype(int), rng.uniform(0.1, 0.9)).astype(float)
    big_n = n.sum()
    lbl = Table(np.column_stack([x, n - x])).test_ordinal_association()
    r = chi_square_trend(x, n)
    assert_allclose(lbl.zscore**2, r.statistic * (big_n - 1) / big_n, rtol=1e-9)


def test_chi_square_trend_r_example_full_precision_cross_check():
    ess, _ = _weighted_regression_ss(SMOKERS, PATIENTS, [1, 2, 3, 4])
    assert_allclose(chi_square_trend(SMOKERS, PATIENTS).statistic, ess, rtol=1e-9)


def test_chi_square_trend_invariant_to_linear_rescaling_of_scores():
    a = chi_square_trend(SMOKERS, PATIENTS, [1, 2, 3, 4])
    b = chi_square_trend(SMOKERS, PATIENTS, [2015, 2016, 2017, 2018])
    assert_allclose(a.statistic, b.statistic, rtol=1e-9)
    assert_allclose(a.slope, b.slope, rtol=1e-9)


def test_chi_square_trend_missing_or_degenerate_gives_nan():
    assert np.isnan(chi_square_trend([1, np.nan, 3], [10, 10, 10])).all()
    r = chi_square_trend([0, 0, 0], [10, 10, 10])
    assert np.isnan(r.statistic) and np.isnan(r.p_value) and r.slope == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1, 2], [10, 10, 10]), "must be one-dimensional and of equal length"),
        (([1], [10]), "at least 2 points are needed"),
        (([1, 2], [10, 0]), "denominators must be greater than zero"),
        (([-1, 2], [10, 10]), "numerators must be greater than or equal to zero"),
        (([11, 2], [10, 10]), "numerators must not be larger than denominators"),
    ],
)
def test_chi_square_trend_invalid_arguments(args, message):
    with pytest.raises(ArgumentError, match=message):
        chi_square_trend(*args)


# ====================================================================== wls_trend


@pytest.mark.parametrize("seed", range(6))
def test_wls_trend_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    k = rng.integers(3, 10)
    periods = np.sort(rng.choice(np.arange(2000, 2030), k, replace=False)).astype(float)
    se = rng.uniform(0.2, 2.0, k)
    values = 10 + rng.normal(0, 1) * (periods - 2000) + rng.normal(0, se)
    fit = sm.WLS(values, sm.add_constant(periods), weights=1 / se**2).fit()
    r = wls_trend(periods, values, se)
    assert_allclose(r.slope, fit.params[1], rtol=1e-8)
    assert_allclose(r.statistic, fit.tvalues[1], rtol=1e-8)
    assert_allclose(r.p_value, fit.pvalues[1], rtol=1e-8)


def test_wls_trend_missing_gives_nan():
    assert np.isnan(wls_trend([1, 2, 3], [1.0, np.nan, 3.0], [0.1, 0.1, 0.1])).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1, 2], [1.0, 2.0], [0.1, 0.1]), "at least 3 points are needed"),
        (([1, 2, 3], [1.0, 2.0, 3.0], [0.1, 0.0, 0.1]), "standard errors must be greater"),
        (([1, 2, 3], [1.0, 2.0], [0.1, 0.1, 0.1]), "must be one-dimensional and of equal length"),
    ],
)
def test_wls_trend_invalid_arguments(args, message):
    with pytest.raises(ArgumentError, match=message):
        wls_trend(*args)


# ====================================================================== builders


def _proportion_series(p, n=2000, rng=None):
    """Counts with proportions ``p`` (exact if no rng, binomial draws otherwise)."""
    p = np.asarray(p, dtype=float)
    den = np.full(p.shape, float(n))
    num = np.round(p * n) if rng is None else rng.binomial(n, p).astype(float)
    return num, den


def _mean_series(values, se=0.5):
    values = np.asarray(values, dtype=float)
    z = 1.959963984540054
    return values, values - z * se, values + z * se


def _sim_frame(kind, slope, reps, seed, polarity="higher_is_better"):
    """Long frame with ``reps`` simulated series of five years each."""
    rng = np.random.default_rng(seed)
    t = np.tile(np.arange(5.0), reps)
    rep = np.repeat(np.arange(reps), 5)
    if kind == "proportion":
        num, den = _proportion_series(0.30 + slope * t, n=2000, rng=rng)
        value = num / den
        se = np.sqrt(value * (1 - value) / den)
    else:
        se = np.full(t.shape, 0.5)
        value = 50.0 + slope * t + rng.normal(0.0, se)
        num = den = np.full(t.shape, np.nan)
    return pd.DataFrame(
        {
            "rep": rep,
            "period": 2019 + t,
            "value": value,
            "lower_ci": value - 1.96 * se,
            "upper_ci": value + 1.96 * se,
            "numerator": num,
            "denominator": den,
            "value_type": kind,
            "polarity": polarity,
        }
    )


# ====================================================================== simulation


STRONG = {"proportion": 0.03, "mean": 2.0}


@pytest.mark.parametrize("kind", ["proportion", "mean"])
@pytest.mark.parametrize(
    ("sign", "polarity", "expected"),
    [
        (+1, "higher_is_better", "increasing_better"),
        (+1, "lower_is_better", "increasing_worse"),
        (-1, "higher_is_better", "decreasing_worse"),
        (-1, "lower_is_better", "decreasing_better"),
        (+1, "neutral", "increasing"),
        (-1, "neutral", "decreasing"),
    ],
)
def test_strong_true_trend_is_detected(kind, sign, polarity, expected):
    frame = _sim_frame(kind, sign * STRONG[kind], reps=1000, seed=42, polarity=polarity)
    out = recent_trends(frame, by="rep")
    share = (out["trend_code"] == expected).mean()
    assert share >= 0.95, f"{kind} {expected}: only {share:.3f} of replicates"
    assert (out["trend_label"][out["trend_code"] == expected] == TREND_LABELS_NL[expected]).all()
    assert set(out["trend_method"]) == {"chi_square_trend" if kind == "proportion" else "wls"}


@pytest.mark.parametrize("kind", ["proportion", "mean"])
def test_flat_series_show_no_significant_change_about_95_percent(kind):
    out = recent_trends(_sim_frame(kind, 0.0, reps=2000, seed=2024), by="rep")
    share = (out["trend_label"] == "geen significante verandering").mean()
    assert 0.90 <= share <= 0.99, f"{kind}: {share:.3f}"


# ====================================================================== rules and edge cases


def _classify_mean(values, periods=YEARS, polarity="higher_is_better", **kwargs):
    v, lo, hi = _mean_series(values)
    return classify_recent_trend(periods, v, lo, hi, value_type="mean", polarity=polarity, **kwargs)


def test_clear_increase_in_means():
    r = _classify_mean([10, 12, 14, 16, 18.3])
    assert isinstance(r, RecentTrend)
    assert (r.code, r.label_nl, r.direction, r.method) == (
        "increasing_better",
        "toenemend en verbeterend",
        "increasing",
        "wls",
    )
    assert r.n_points == 5 and r.slope > 0 and r.p_value < 0.05


def test_proportion_uses_chi_square_with_counts():
    num, den = _proportion_series([0.30, 0.28, 0.26, 0.24, 0.22])
    r = classify_recent_trend(
        YEARS, num / den, None, None, num, den, value_type="proportion", polarity="lower_is_better"
    )
    assert (r.code, r.method) == ("decreasing_better", "chi_square_trend")
    expected = chi_square_trend(num, den, YEARS)
    assert_allclose([r.slope, r.p_value], [expected.slope, expected.p_value], rtol=1e-12)


def test_only_last_five_points_are_used():
    # A big early drop followed by five flat years: no significant recent change.
    values = [30, 25, 20, 10, 10.1, 9.9, 10, 10.05]
    r = _classify_mean(values, periods=np.arange(2016, 2024))
    assert r.code == "no_significant_change"
    assert r.n_points == 5


def test_four_points_cannot_be_calculated():
    r = _classify_mean([10, 12, 14, 16], periods=YEARS[:4])
    assert (r.code, r.label_nl) == ("cannot_calculate", "kan niet worden berekend")
    assert r.n_points == 4 and r.method is None and np.isnan(r.p_value)


def test_gap_inside_window_cannot_be_calculated():
    r = _classify_mean([8, 10, 12, np.nan, 16, 18], periods=np.arange(2018, 2024))
    assert r.code == "cannot_calculate"
    assert r.n_points == 2


def test_missing_latest_value_cannot_be_calculated():
    r = _classify_mean([8, 10, 12, 14, 16, np.nan], periods=np.arange(2018, 2024))
    assert r.code == "cannot_calculate"
    assert r.n_points == 0


def test_missing_value_before_window_is_fine():
    r = _classify_mean([np.nan, 10, 12, 14, 16, 18.2], periods=np.arange(2018, 2024))
    assert r.code == "increasing_better"


def test_unsorted_periods_are_sorted():
    values = np.array([10, 12, 14, 16, 18.3])
    order = [3, 0, 4, 1, 2]
    v, lo, hi = _mean_series(values)
    r = classify_recent_trend(
        YEARS[order], v[order], lo[order], hi[order], value_type="mean", polarity="neutral"
    )
    assert r.code == "increasing"


def test_missing_confidence_limit_cannot_be_calculated():
    v, lo, hi = _mean_series([10, 12, 14, 16, 18.3])
    lo[2] = np.nan
    r = classify_recent_trend(YEARS, v, lo, hi, value_type="rate", polarity="neutral")
    assert r.code == "cannot_calculate"


def test_score_without_ci_cannot_be_calculated():
    r = classify_recent_trend(
        YEARS, [6.1, 6.5, 6.9, 7.3, 7.7], None, None, value_type="score", polarity="neutral"
    )
    assert r.code == "cannot_calculate" and r.method is None


def test_zero_width_ci_cannot_be_calculated():
    values = [6.1, 6.5, 6.9, 7.3, 7.7]
    r = classify_recent_trend(YEARS, values, values, values, value_type="score", polarity="neutral")
    assert r.code == "cannot_calculate"


def test_proportion_without_counts_falls_back_to_wls():
    p = np.array([0.30, 0.28, 0.26, 0.24, 0.22])
    se = np.sqrt(p * (1 - p) / 2000)
    r = classify_recent_trend(
        YEARS, p, p - 1.96 * se, p + 1.96 * se, value_type="proportion", polarity="lower_is_better"
    )
    assert (r.code, r.method) == ("decreasing_better", "wls")


def test_all_zero_proportions_cannot_be_calculated():
    zeros = np.zeros(5)
    r = classify_recent_trend(
        YEARS, zeros, zeros, zeros + 0.01, zeros, zeros + 100,
        value_type="proportion", polarity="lower_is_better",
    )  # fmt: skip
    assert r.code == "cannot_calculate"


def test_significant_but_unstable_trend_is_no_significant_change():
    # Flat at 10% and a jump in the last year: significant, but leaving out the
    # last point gives a slope of exactly zero, so the trend is not stable.
    num, den = _proportion_series([0.10, 0.10, 0.10, 0.10, 0.30], n=10000)
    assert chi_square_trend(num, den, YEARS).p_value < 1e-10
    r = classify_recent_trend(
        YEARS, num / den, None, None, num, den, value_type="proportion", polarity="neutral"
    )
    assert (r.code, r.label_nl) == ("no_significant_change", "geen significante verandering")
    assert r.direction is None and r.p_value < 1e-10


def test_not_significant_is_no_significant_change():
    r = _classify_mean([10, 10.2, 9.9, 10.1, 10.0])
    assert r.code == "no_significant_change" and r.p_value >= 0.05


def test_alpha_and_n_points_options():
    values = [10, 10.4, 11.1, 11.3, 12.2]
    strict = _classify_mean(values, alpha=1e-6)
    assert strict.code == "no_significant_change"
    r = _classify_mean([10, 10.1, 12, 14, 16, 18.2], periods=np.arange(2018, 2024), n_points=3)
    assert r.n_points == 3 and r.code == "increasing_better"


@pytest.mark.parametrize("polarity", ["higher", "neutraal", "Neutral", "", None])
def test_unknown_polarity_raises(polarity):
    with pytest.raises(ArgumentError, match="polarity must be one of higher_is_better"):
        _classify_mean([10, 12, 14, 16, 18], polarity=polarity)


@pytest.mark.parametrize("value_type", ["prop", "percentage", "Mean", None])
def test_unknown_value_type_raises(value_type):
    v, lo, hi = _mean_series([10, 12, 14, 16, 18])
    with pytest.raises(ArgumentError, match="value_type must be one of proportion"):
        classify_recent_trend(YEARS, v, lo, hi, value_type=value_type, polarity="neutral")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"periods": [2019, 2019, 2020, 2021, 2022]}, "periods must be unique"),
        ({"periods": [2019, np.nan, 2020, 2021, 2022]}, "periods must not be missing"),
        ({"periods": [2019, 2020, 2021]}, "must be one-dimensional and of equal length"),
        ({"n_points": 2}, "n_points must be an integer of at least 3"),
        ({"alpha": 0.0}, "alpha must be a single number between 0 and 1"),
        ({"ci_confidence": 95}, "confidence must be"),
    ],
)
def test_classify_invalid_arguments(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        _classify_mean([10, 12, 14, 16, 18], **kwargs)


def test_classify_does_not_mutate_series():
    v, lo, hi = (pd.Series(a) for a in _mean_series([10, 12, np.nan, 16, 18, 20]))
    periods = pd.Series(np.arange(2018, 2024)[::-1])
    before = [s.copy() for s in (periods, v, lo, hi)]
    classify_recent_trend(periods, v, lo, hi, value_type="mean", polarity="neutral")
    for s, b in zip((periods, v, lo, hi), before, strict=True):
        pd.testing.assert_series_equal(s, b)


# ====================================================================== recent_trends


def _mixed_frame(groups=300, seed=9):
    rng = np.random.default_rng(seed)
    years = np.arange(2015, 2024)
    g = np.repeat(np.arange(groups), len(years))
    period = np.tile(years, groups).astype(float)
    den = rng.integers(50, 3000, g.size).astype(float)
    p = np.clip(0.3 + 0.01 * (period - 2015) * (g % 3 - 1), 0.01, 0.99)
    num = rng.binomial(den.astype(int), p).astype(float)
    value = num / den
    se = np.sqrt(value * (1 - value) / den)
    frame = pd.DataFrame(
        {
            "indicator": np.where(g % 2 == 0, "smoking", "wellbeing"),
            "area": g,
            "period": period,
            "value": value,
            "lower_ci": value - 1.96 * se,
            "upper_ci": value + 1.96 * se,
            "numerator": num,
            "denominator": den,
            "value_type": np.where(g % 2 == 0, "proportion", "score"),
            "polarity": np.array(["higher_is_better", "lower_is_better", "neutral"])[g % 3],
        }
    )
    frame.loc[rng.random(len(frame)) < 0.04, "value"] = np.nan
    frame.loc[rng.random(len(frame)) < 0.01, "lower_ci"] = np.nan
    return frame.sample(frac=1.0, random_state=1).reset_index(drop=True)  # shuffled rows


def test_recent_trends_equals_classify_per_group():
    frame = _mixed_frame()
    out = recent_trends(frame, by=["indicator", "area"])
    assert list(out.columns) == [
        "indicator",
        "area",
        "trend_code",
        "trend_label",
        "trend_slope",
        "trend_p_value",
        "trend_n_points",
        "trend_method",
    ]
    assert len(out) == frame.groupby(["indicator", "area"]).ngroups
    assert out["trend_code"].nunique() >= 4
    for row in out.itertuples(index=False):
        s = frame[(frame["indicator"] == row.indicator) & (frame["area"] == row.area)]
        r = classify_recent_trend(
            s["period"], s["value"], s["lower_ci"], s["upper_ci"], s["numerator"],
            s["denominator"], value_type=s["value_type"].iloc[0], polarity=s["polarity"].iloc[0],
        )  # fmt: skip
        assert (row.trend_code, row.trend_label, row.trend_n_points) == (
            r.code,
            r.label_nl,
            r.n_points,
        )
        assert_allclose([row.trend_slope, row.trend_p_value], [r.slope, r.p_value], rtol=1e-12)
        assert (None if pd.isna(row.trend_method) else row.trend_method) == r.method


def test_recent_trends_is_fast_for_thousands_of_groups():
    frame = _mixed_frame(groups=5000, seed=3)
    start = time.perf_counter()
    out = recent_trends(frame, by=["indicator", "area"])
    elapsed = time.perf_counter() - start
    assert len(out) == 5000
    assert elapsed < 2.0, f"recent_trends took {elapsed:.2f} s for 5000 groups"


def test_recent_trends_does_not_mutate_input():
    frame = _mixed_frame(groups=20)
    before = frame.copy()
    recent_trends(frame, by=["indicator", "area"])
    pd.testing.assert_frame_equal(frame, before)


def test_recent_trends_keeps_groups_with_missing_keys():
    frame = _sim_frame("mean", 2.0, reps=2, seed=1)
    frame["sex"] = np.where(frame["rep"] == 0, "f", None)
    out = recent_trends(frame, by=["sex"], numerator_col=None, denominator_col=None)
    assert len(out) == 2
    assert out["sex"].isna().sum() == 1


def test_recent_trends_optional_columns_none():
    frame = _sim_frame("mean", 2.0, reps=3, seed=1).drop(columns=["numerator", "denominator"])
    out = recent_trends(frame, by="rep", numerator_col=None, denominator_col=None)
    assert (out["trend_code"] == "increasing_better").all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["value"]), "frame is missing column"),
        (lambda f: f.assign(period=f["period"].astype(str)), "must be numeric"),
        (lambda f: pd.concat([f, f.iloc[:1]]), "periods must be unique"),
        (
            lambda f: f.assign(value_type=np.where(f.index == 0, "rate", f["value_type"])),
            "value_type must be constant within each group",
        ),
        (
            lambda f: f.assign(polarity=np.where(f.index == 0, "neutral", f["polarity"])),
            "polarity must be constant within each group",
        ),
        (lambda f: f.assign(polarity="higher"), "polarity must be one of"),
        (lambda f: f.assign(value_type="percent"), "value_type must be one of"),
    ],
)
def test_recent_trends_invalid_frames(change, message):
    frame = change(_sim_frame("mean", 1.0, reps=2, seed=1))
    with pytest.raises(ArgumentError, match=message):
        recent_trends(frame, by="rep")
