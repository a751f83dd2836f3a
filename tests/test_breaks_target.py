"""Tests for indicators.breaks.target (Trendbreuk target tracking)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

from indicators.breaks import (
    TARGET_VERDICTS_NL,
    assess_target,
    assess_target_arrays,
    target_path,
    target_trajectory,
)
from indicators.exceptions import ArgumentError


def _gap(years, values, half_width=0.1) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    hw = np.broadcast_to(np.asarray(half_width, dtype=float), values.shape)
    return pd.DataFrame({"period": list(years), "gap": values, "lower": values - hw,
                         "upper": values + hw})  # fmt: skip


def _life_expectancy_gap(post_slope: float, last_year: int = 2024) -> pd.DataFrame:
    """Gap South Limburg minus rest of NL: -1.2 years until 2018, then a trend."""
    years = np.arange(2012, last_year + 1)
    gap = np.where(years <= 2018, -1.2, -1.2 + post_slope * (years - 2018))
    wiggle = 0.02 * np.where(years % 2 == 0, 1, -1)
    return _gap(years, gap + wiggle)


# ---------------------------------------------------------------- trajectory


def test_target_trajectory_is_linear_to_three_quarters():
    path = target_trajectory(2018, -1.2)
    assert path["period"].tolist() == list(range(2018, 2031))
    assert path["target_gap"].iloc[0] == pytest.approx(-1.2)
    assert path["target_gap"].iloc[-1] == pytest.approx(-0.9)
    assert_allclose(np.diff(path["target_gap"]), 0.3 / 12)
    assert (path["method"] == "linear_target_path").all()


def test_target_trajectory_ratio_closes_towards_one():
    path = target_trajectory(2018, 1.4, 2030, 0.5, neutral=1.0)
    assert path["target_gap"].iloc[-1] == pytest.approx(1.2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_year": 2018}, "target_year must be after start_year"),
        ({"fraction": 0.0}, "fraction must be greater than 0 and at most 1"),
        ({"fraction": 1.5}, "fraction must be greater than 0 and at most 1"),
    ],
)
def test_target_trajectory_argument_errors(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        target_trajectory(2018, -1.0, **kwargs)


# ---------------------------------------------------------------- verdicts


def test_clearly_closing_gap_is_on_track():
    a = assess_target(_life_expectancy_gap(0.06), start_year=2018, polarity="higher_is_better")
    assert (a.verdict_code, a.verdict_nl) == ("on_track", "op koers")
    # Higher is better: on track means the whole band lies closer to 0 than the target.
    assert a.start_gap == pytest.approx(-1.18)  # the observed 2018 gap, wiggle included
    assert a.required_gap_at_target == pytest.approx(0.75 * -1.18)
    assert a.lower > a.required_gap_at_target
    assert a.n_points == 6 and a.method == "wls_trend_since_start"


def test_widening_gap_is_not_on_track():
    a = assess_target(_life_expectancy_gap(-0.05), start_year=2018, polarity="higher_is_better")
    assert (a.verdict_code, a.verdict_nl) == ("off_track", "niet op koers")
    assert a.upper < a.required_gap_at_target
    assert "groter dan het doel" in a.reason_nl


def test_two_post_start_points_cannot_be_assessed_yet():
    a = assess_target(_life_expectancy_gap(0.1, last_year=2020), start_year=2018,
                      polarity="higher_is_better")  # fmt: skip
    assert (a.verdict_code, a.verdict_nl) == ("not_assessable", "nog niet te beoordelen")
    assert "pas 2 metingen na 2018" in a.reason_nl
    assert np.isnan(a.projected_gap_at_target) and a.n_points == 2


def test_band_containing_the_target_cannot_be_assessed_yet():
    years = np.arange(2016, 2023)
    g = _gap(years, [-1.2, -1.2, -1.2, -1.15, -1.3, -1.05, -1.2], half_width=0.3)
    a = assess_target(g, start_year=2018, polarity="higher_is_better")
    assert a.verdict_code == "not_assessable"
    assert a.lower < a.required_gap_at_target < a.upper
    assert "het interval omvat het doel" in a.reason_nl


def test_lower_is_better_mirrors_higher_is_better():
    le = _life_expectancy_gap(0.06)
    smoking = le.assign(gap=-le["gap"], lower=-le["upper"], upper=-le["lower"])
    a = assess_target(le, start_year=2018, polarity="higher_is_better")
    b = assess_target(smoking, start_year=2018, polarity="lower_is_better")
    assert a.verdict_code == b.verdict_code == "on_track"
    assert b.projected_gap_at_target == pytest.approx(-a.projected_gap_at_target)
    assert (b.lower, b.upper) == pytest.approx((-a.upper, -a.lower))
    assert a.reason_nl == b.reason_nl


def test_reason_states_numbers_in_dutch_format():
    a = assess_target(_life_expectancy_gap(0.06), start_year=2018, polarity="higher_is_better",
                      unit=" jaar")  # fmt: skip
    assert a.reason_nl.startswith("De achterstand was 1,2 jaar in 2018; het doel is hoogstens "
                                  "0,9 jaar in 2030 (een kwart ingelopen).")  # fmt: skip
    assert "95%-betrouwbaarheidsinterval" in a.reason_nl
    assert "6 metingen na 2018" in a.reason_nl
    assert "." not in a.reason_nl.split("achterstand in 2030 ")[1].split(" (")[0]


def test_overshoot_past_zero_counts_as_closed():
    a = assess_target(_life_expectancy_gap(0.2), start_year=2018, polarity="higher_is_better")
    assert a.projected_gap_at_target > 0  # area better than the rest of NL by 2030
    assert a.verdict_code == "on_track"


def test_no_backlog_at_start_is_not_assessable():
    g = _life_expectancy_gap(0.06).assign(gap=lambda x: x["gap"] + 2.0,
                                          lower=lambda x: x["lower"] + 2.0,
                                          upper=lambda x: x["upper"] + 2.0)  # fmt: skip
    a = assess_target(g, start_year=2018, polarity="higher_is_better")
    assert a.verdict_code == "not_assessable"
    assert "geen achterstand" in a.reason_nl


def test_points_before_start_are_not_used():
    a = assess_target(_life_expectancy_gap(0.06), start_year=2018, polarity="higher_is_better")
    g = _life_expectancy_gap(0.06)
    g.loc[g["period"] < 2018, ["gap", "lower", "upper"]] -= 5.0
    b = assess_target(g, start_year=2018, polarity="higher_is_better")
    assert (b.projected_gap_at_target, b.lower, b.upper) == pytest.approx(
        (a.projected_gap_at_target, a.lower, a.upper)
    )


def test_projection_band_equals_statsmodels_wls_when_scale_exceeds_one():
    years = np.arange(2018, 2025)
    values = np.array([-1.2, -1.1, -1.18, -1.0, -1.05, -0.9, -0.95])
    g = _gap(years, values, half_width=0.02)  # tiny CIs: residual scale >> 1
    a = assess_target(g, start_year=2018, polarity="higher_is_better")
    se = 0.02 / stats.norm.ppf(0.975)
    res = sm.WLS(values, sm.add_constant(years - 2030.0), weights=np.full(7, 1 / se**2)).fit()
    assert res.scale > 1
    pred = res.get_prediction(np.array([[1.0, 0.0]]))
    assert a.projected_gap_at_target == pytest.approx(float(pred.predicted[0]))
    assert [a.lower, a.upper] == pytest.approx(pred.conf_int()[0].tolist())
    assert a.slope == pytest.approx(res.params[1])


def test_band_never_narrower_than_sampling_error():
    years = np.arange(2018, 2025)
    exact = _gap(years, -1.2 + 0.05 * (years - 2018), half_width=0.1)
    a = assess_target(exact, start_year=2018, polarity="higher_is_better")
    assert a.upper - a.lower > 0.1  # perfect fit, but the band keeps the sampling error


def test_start_gap_argument_replaces_missing_start_year():
    g = _life_expectancy_gap(0.06)
    g = g[g["period"] != 2018]
    with pytest.raises(ArgumentError, match="no gap value in start_year 2018"):
        assess_target(g, start_year=2018, polarity="higher_is_better")
    a = assess_target(g, start_year=2018, polarity="higher_is_better", start_gap=-1.2)
    assert a.start_gap == -1.2 and a.verdict_code == "on_track"


def test_assess_target_rejects_neutral_polarity_and_bad_frames():
    g = _life_expectancy_gap(0.06)
    with pytest.raises(ArgumentError, match="polarity must be one of higher_is_better"):
        assess_target(g, start_year=2018, polarity="neutral")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=r"gap must have columns .*missing \['upper'\]"):
        assess_target(g.drop(columns="upper"), start_year=2018, polarity="lower_is_better")
    with pytest.raises(ArgumentError, match="lower <= gap <= upper must hold"):
        assess_target(g.assign(lower=g["gap"] + 1), start_year=2018, polarity="lower_is_better")


def test_assess_target_does_not_mutate_input():
    g = _life_expectancy_gap(0.06)
    before = g.copy()
    assess_target(g, start_year=2018, polarity="higher_is_better")
    pd.testing.assert_frame_equal(g, before)


def test_verdict_labels():
    assert TARGET_VERDICTS_NL == {
        "on_track": "op koers",
        "off_track": "niet op koers",
        "not_assessable": "nog niet te beoordelen",
    }


# ---------------------------------------------------------------- array entry points (issue 7)


def _negated(g: pd.DataFrame) -> pd.DataFrame:
    return g.assign(gap=-g["gap"], lower=-g["upper"], upper=-g["lower"])


def _shuffled_with_gaps() -> pd.DataFrame:
    g = _life_expectancy_gap(0.06)
    g.loc[3, "gap"] = np.nan  # a row without a gap is dropped, as in assess_target
    return g.sample(frac=1.0, random_state=3)  # periods out of order


@pytest.mark.parametrize(
    ("gap", "kwargs"),
    [
        (_life_expectancy_gap(0.06), {"polarity": "higher_is_better"}),
        (_life_expectancy_gap(-0.02), {"polarity": "higher_is_better", "unit": " jaar"}),
        (_negated(_life_expectancy_gap(0.06)), {"polarity": "lower_is_better", "decimals": 2}),
        (_shuffled_with_gaps(), {"polarity": "higher_is_better", "confidence": 0.9}),
        (_life_expectancy_gap(0.06), {"polarity": "higher_is_better", "start_gap": -1.0}),
        (_life_expectancy_gap(0.06, 2019), {"polarity": "higher_is_better"}),
    ],
)
def test_assess_target_arrays_equals_assess_target(gap, kwargs):
    expected = assess_target(gap, start_year=2018, **kwargs)
    got = assess_target_arrays(
        gap["period"].to_numpy(), gap["gap"].to_numpy(), gap["lower"].to_numpy(),
        gap["upper"].to_numpy(), start_year=2018, **kwargs,
    )  # fmt: skip
    for field, a, b in zip(expected._fields, got, expected, strict=True):
        same = a == b or (isinstance(a, float) and np.isnan(a) and np.isnan(b))
        assert same, (field, a, b)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"polarity": "neutral"}, "polarity must be one of"),
        ({"period": [2018, 2018, 2019, 2020]}, "each period must occur once"),
        ({"gap": [1.0, 0.9]}, "1-d arrays of one length"),
        ({"start_year": 2010}, "no gap value in start_year 2010"),
    ],
)
def test_assess_target_arrays_argument_errors(change, message):
    args = {
        "period": [2018, 2019, 2020, 2021],
        "gap": [1.0, 0.9, 0.8, 0.7],
        "lower": [0.9, 0.8, 0.7, 0.6],
        "upper": [1.1, 1.0, 0.9, 0.8],
        "start_year": 2018,
        "polarity": "lower_is_better",
        **change,
    }
    with pytest.raises(ArgumentError, match=message):
        assess_target_arrays(
            args.pop("period"), args.pop("gap"), args.pop("lower"), args.pop("upper"), **args
        )


def test_target_path_is_target_trajectory_as_arrays():
    years, path = target_path(2018, -1.2, 2030, 0.25)
    frame = target_trajectory(2018, -1.2, 2030, 0.25)
    assert years.astype(int).tolist() == frame["period"].tolist()
    assert np.array_equal(path, frame["target_gap"].to_numpy())


def test_the_written_out_wls_fit_is_statsmodels_bit_for_bit():
    """target._wls_fit replaces statsmodels' WLS (for its import time); same floats."""
    from statsmodels.regression.linear_model import WLS
    from statsmodels.tools.tools import add_constant

    from indicators.breaks import target

    rng = np.random.default_rng(3)
    for _ in range(500):
        n = int(rng.integers(3, 15))
        x = np.sort(rng.choice(np.arange(2000, 2030), n, replace=False)).astype(float)
        y = rng.normal(size=n) * rng.uniform(0.1, 10)
        w = 1.0 / rng.uniform(0.05, 3, size=n) ** 2
        X = add_constant(x - float(rng.integers(2010, 2025)), has_constant="add")
        res = WLS(y, X, weights=w).fit()
        params, cov, scale = target._wls_fit(y, X, w)
        assert np.array_equal(params, res.params)
        assert np.array_equal(cov, res.normalized_cov_params)
        assert scale == res.scale
