"""Tests for indicators.breaks.comparative (comparative ITS, DiD, event study)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose

from indicators.breaks import comparative_its, did, event_study, fit_its
from indicators.exceptions import ArgumentError


def _two_series(seed: int, effect_slope: float = 0.1, n: int = 16, start: int = 2018):
    rng = np.random.default_rng(seed)
    years = np.arange(start - n // 2, start + n - n // 2)
    shared = rng.normal(0, 0.1, n)  # shocks hitting both series in the same year
    comp = 81.0 + 0.1 * (years - years[0]) + shared + rng.normal(0, 0.05, n)
    post = years >= start
    trt = comp - 1.0 + effect_slope * (years - start) * post + rng.normal(0, 0.05, n)
    return (pd.DataFrame({"year": years, "le": trt}), pd.DataFrame({"year": years, "le": comp}))


def _panel(rng, n_units=30, n_treated=10, n_periods=10, start=6, effect=1.5, sd=1.0):
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    treated = (unit < n_treated).astype(int)
    unit_fe = rng.normal(0, 2, n_units)[unit]
    period_fe = rng.normal(0, 1, n_periods)[period]
    y = unit_fe + period_fe + effect * treated * (period >= start) + rng.normal(0, sd, len(unit))
    return pd.DataFrame({"gm": unit, "jaar": period, "treated": treated, "y": y})


_PANEL_KW = dict(unit_col="gm", period_col="jaar", outcome_col="y", treated_col="treated")


# ---------------------------------------------------------------- comparative ITS


def test_gap_and_pooled_give_the_same_point_estimates():
    trt, comp = _two_series(1)
    kw = dict(time_col="year", outcome_col="le", intervention_start=2018)
    gap = comparative_its(trt, comp, approach="gap", **kw)
    pooled = comparative_its(trt, comp, approach="pooled", **kw)
    assert_allclose(gap.coefficients["estimate"], pooled.coefficients["estimate"], rtol=1e-8)
    assert gap.method == "comparative_its_gap" and gap.its is not None
    assert pooled.method == "comparative_its_pooled_hac_panel" and pooled.its is None
    assert list(gap.coefficients.index) == [
        "baseline_difference", "pre_trend_difference",
        "level_change_difference", "slope_change_difference",
    ]  # fmt: skip


def test_gap_approach_is_the_its_of_the_difference():
    trt, comp = _two_series(2)
    res = comparative_its(trt, comp, time_col="year", outcome_col="le", intervention_start=2018)
    direct = fit_its(pd.DataFrame({"t": trt["year"], "g": trt["le"] - comp["le"]}),
                     time_col="t", outcome_col="g", intervention_start=2018)  # fmt: skip
    assert_allclose(res.coefficients["se"].to_numpy(),
                    direct.coefficients.loc[["intercept", "pre_trend", "level_change",
                                             "slope_change"], "se"].to_numpy())  # fmt: skip
    slope = res.coefficients.loc["slope_change_difference"]
    assert slope["lower"] < 0.1 < slope["upper"]


def test_comparative_uses_common_periods_only():
    trt, comp = _two_series(3)
    res = comparative_its(trt.iloc[1:], comp.iloc[:-1], time_col="year", outcome_col="le",
                          intervention_start=2018)  # fmt: skip
    assert res.n_periods == len(trt) - 2


def test_comparative_rejects_unknown_approach():
    trt, comp = _two_series(4)
    with pytest.raises(ArgumentError, match="approach must be one of gap, pooled; got 'pool'"):
        comparative_its(trt, comp, time_col="year", outcome_col="le", intervention_start=2018,
                        approach="pool")  # type: ignore[arg-type]  # fmt: skip


# ---------------------------------------------------------------- DiD


def test_did_equals_two_by_two_means_on_a_balanced_panel():
    d = _panel(np.random.default_rng(5))
    res = did(d, post_start=6, **_PANEL_KW)
    m = d.assign(post=d["jaar"] >= 6).groupby(["treated", "post"])["y"].mean()
    expected = (m[1, True] - m[1, False]) - (m[0, True] - m[0, False])
    assert res.estimate == pytest.approx(expected, rel=1e-9)
    assert (res.n_obs, res.n_units, res.n_treated_units, res.n_periods) == (300, 30, 10, 10)


def test_did_cluster_se_equals_statsmodels_formula_fit():
    d = _panel(np.random.default_rng(6))
    res = did(d, post_start=6, **_PANEL_KW)
    d = d.assign(D=d["treated"] * (d["jaar"] >= 6))
    f = smf.ols("y ~ D + C(gm) + C(jaar)", data=d).fit(
        cov_type="cluster", cov_kwds={"groups": d["gm"]}, use_t=True
    )
    assert res.se == pytest.approx(f.bse["D"], rel=1e-8)
    assert [res.lower, res.upper] == pytest.approx(f.conf_int().loc["D"].tolist(), rel=1e-8)
    assert res.p_value == pytest.approx(f.pvalues["D"], rel=1e-6)


def test_did_recovers_known_effect_in_simulation():
    rng = np.random.default_rng(7)
    estimates, covered = [], []
    for _ in range(50):
        r = did(_panel(rng), post_start=6, **_PANEL_KW)
        estimates.append(r.estimate)
        covered.append(r.lower <= 1.5 <= r.upper)
    assert np.mean(estimates) == pytest.approx(1.5, abs=0.05)
    assert np.mean(covered) >= 0.85


def test_did_argument_errors_name_the_rule():
    d = _panel(np.random.default_rng(8))
    bad = d.copy()
    bad.loc[0, "treated"] = 0
    with pytest.raises(ArgumentError, match="treated must be constant within each unit"):
        did(bad, post_start=6, **_PANEL_KW)
    with pytest.raises(ArgumentError, match=r"each \(gm, jaar\) pair must occur once"):
        did(pd.concat([d, d.iloc[:1]]), post_start=6, **_PANEL_KW)
    with pytest.raises(ArgumentError, match="periods both before and from post_start"):
        did(d, post_start=0, **_PANEL_KW)
    with pytest.raises(ArgumentError, match="at least one treated and one comparison unit"):
        did(d.assign(treated=1), post_start=6, **_PANEL_KW)


def test_did_does_not_mutate_input():
    d = _panel(np.random.default_rng(9))
    before = d.copy()
    did(d, post_start=6, **_PANEL_KW)
    pd.testing.assert_frame_equal(d, before)


# ---------------------------------------------------------------- event study


def test_event_study_layout_and_known_effect():
    d = _panel(np.random.default_rng(10), sd=0.3)
    es = event_study(d, post_start=6, **_PANEL_KW)
    assert es["relative_period"].tolist() == list(range(-6, 4))
    ref = es[es["reference"]]
    assert ref["period"].tolist() == [5] and ref["estimate"].tolist() == [0.0]
    assert ref["se"].isna().all()
    post = es[es["relative_period"] >= 0]
    assert_allclose(post["estimate"], 1.5, atol=0.5)
    assert (post["lower"] > 0).all()
    assert (es["method"] == "twfe_event_study_cluster").all()
    assert 0 <= es.attrs["pre_trend_p_value"] <= 1


def test_event_study_leads_not_significant_in_null_simulation():
    # No effect, parallel trends: leads should be significant in about 5% of cases.
    rng = np.random.default_rng(11)
    lead_sig, any_sig, joint_sig = [], [], []
    for _ in range(100):
        d = _panel(rng, n_units=24, n_treated=8, n_periods=8, start=5, effect=0.0)
        es = event_study(d, post_start=5, **_PANEL_KW)
        leads = es[(es["relative_period"] < -1)]
        sig = leads["p_value"] < 0.05
        lead_sig.extend(sig)
        any_sig.append(sig.any())
        joint_sig.append(es.attrs["pre_trend_p_value"] < 0.05)
    assert np.mean(lead_sig) <= 0.12
    assert np.mean(any_sig) <= 0.30  # most replicates show no significant lead
    assert np.mean(joint_sig) <= 0.15


def test_event_study_needs_a_period_before_the_start():
    d = _panel(np.random.default_rng(12))
    with pytest.raises(ArgumentError, match="periods both before and from post_start"):
        event_study(d, post_start=0, **_PANEL_KW)
