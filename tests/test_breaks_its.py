"""Tests for indicators.breaks.its (segmented-regression interrupted time series)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from statsmodels.stats.diagnostic import acorr_breusch_godfrey
from statsmodels.stats.stattools import durbin_watson

from indicators.breaks import ITSResult, default_hac_lags, fit_its
from indicators.exceptions import ArgumentError

LOCAL = Path(__file__).parent / "reference" / "its"
SHARED = Path(__file__).parents[2] / "shared" / "realdata" / "sicily_its" / "sicily.csv"


def _sicily() -> pd.DataFrame:
    return pd.read_csv(LOCAL / "sicily.csv")


def _reference(model: str) -> pd.DataFrame:
    ref = pd.read_csv(LOCAL / "sicily_glm_reference.csv")
    return ref[ref["model"] == model].set_index("term")


def _simulate(rng, n=40, start=20, phi=0.0, level=2.0, slope=0.1, sd=1.0) -> pd.DataFrame:
    t = np.arange(n, dtype=float)
    e = np.empty(n)
    e[0] = rng.normal(0, sd / np.sqrt(1 - phi**2))
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal(0, sd)
    post = t >= start
    y = 10 + 0.05 * t + level * post + slope * (t - start) * post + e
    return pd.DataFrame({"t": t, "y": y})


def _design(t, start, slope=True):
    post = (t >= start).astype(float)
    cols = [np.ones_like(t), t, post] + ([(t - start) * post] if slope else [])
    return np.column_stack(cols)


# ---------------------------------------------------------------- Sicily reference


def test_reference_copy_exists_and_matches_shared():
    local = LOCAL / "sicily.csv"
    assert local.exists(), f"{local} is missing: tests must not depend on ../shared"
    if SHARED.exists():
        assert local.read_bytes() == SHARED.read_bytes()


@pytest.mark.parametrize(
    ("model", "family", "harmonics"),
    [
        ("model1_poisson", "poisson", 0),
        ("model2_quasipoisson", "quasipoisson", 0),
        ("model3_quasipoisson_harmonic", "quasipoisson", 2),
    ],
)
def test_sicily_level_change_matches_reference_glm(model, family, harmonics):
    res = fit_its(
        _sicily(), time_col="time", outcome_col="aces", intervention_start=37, family=family,
        offset_col="stdpop", slope_change=False, fourier_harmonics=harmonics, period_length=12,
    )  # fmt: skip
    ref = _reference(model)
    for ours, theirs in (("level_change", "smokban"), ("pre_trend", "time")):
        row = res.coefficients.loc[ours]
        expected = ref.loc[theirs, ["estimate", "se", "rr", "rr_lower", "rr_upper"]]
        got = row[["estimate", "se", "rate_ratio", "rr_lower", "rr_upper"]]
        assert_allclose(got.to_numpy(float), expected.to_numpy(float), rtol=1e-6)
    # The Pearson dispersion is reported for every count family (the quasi scale).
    quasi = model.replace("model1_poisson", "model2_quasipoisson")
    expected_dispersion = _reference(quasi)["dispersion"].iloc[0]
    assert res.diagnostics.dispersion == pytest.approx(expected_dispersion, rel=1e-6)
    assert "slope_change" not in res.coefficients.index
    assert res.n == 59 and res.n_pre == 36 and res.n_post == 23


def test_sicily_published_style_rate_ratios_to_three_decimals():
    # The numbers quoted in tests/reference/its/README.md (rounded).
    kw = dict(time_col="time", outcome_col="aces", intervention_start=37, offset_col="stdpop",
              slope_change=False)  # fmt: skip
    pois = fit_its(_sicily(), family="poisson", **kw).coefficients.loc["level_change"]
    quasi = fit_its(_sicily(), family="quasipoisson", fourier_harmonics=2, **kw).coefficients
    assert pois[["rate_ratio", "rr_lower", "rr_upper"]].round(3).tolist() == [0.894, 0.865, 0.925]
    got = quasi.loc["level_change", ["rate_ratio", "rr_lower", "rr_upper"]].round(3).tolist()
    assert got == [0.885, 0.839, 0.933]


def test_sicily_slope_change_model_matches_reference_with_recoded_level():
    res = fit_its(
        _sicily(), time_col="time", outcome_col="aces", intervention_start=37,
        family="quasipoisson", offset_col="stdpop", fourier_harmonics=2,
    )  # fmt: skip
    ref = _reference("model4_quasipoisson_slope")
    c = res.coefficients
    assert_allclose(c.loc["slope_change", ["estimate", "se"]].to_numpy(float),
                    ref.loc["slope36", ["estimate", "se"]].to_numpy(float), rtol=1e-6)  # fmt: skip
    assert c.loc["pre_trend", "estimate"] == pytest.approx(ref.loc["time", "estimate"], rel=1e-6)
    # Their level is at time 36.5-ish coding (time - 36); ours at time 37.
    assert c.loc["level_change", "estimate"] - c.loc["slope_change", "estimate"] == pytest.approx(
        ref.loc["smokban", "estimate"], rel=1e-6
    )


def test_sicily_negbin_equals_glm_negative_binomial_at_estimated_alpha():
    res = fit_its(_sicily(), time_col="time", outcome_col="aces", intervention_start=37,
                  family="negbin", offset_col="stdpop", slope_change=False)  # fmt: skip
    alpha = res.diagnostics.negbin_alpha
    assert alpha > 0
    d = _sicily()
    X = _design(d["time"].to_numpy(float), 37.0, slope=False)
    glm = sm.GLM(d["aces"], X, family=sm.families.NegativeBinomial(alpha=alpha),
                 offset=np.log(d["stdpop"])).fit()  # fmt: skip
    assert_allclose(res.params, glm.params.to_numpy(), rtol=1e-5)
    assert res.method == "segmented_negbin2"


def test_counterfactual_band_for_log_link_equals_glm_prediction():
    d = _sicily()
    res = fit_its(d, time_col="time", outcome_col="aces", intervention_start=37,
                  family="poisson", offset_col="stdpop", slope_change=False)  # fmt: skip
    glm = sm.GLM(d["aces"], _design(d["time"].to_numpy(float), 37.0, slope=False),
                 family=sm.families.Poisson(), offset=np.log(d["stdpop"])).fit()  # fmt: skip
    t = np.array([37.0, 48.0, 59.0, 70.0])
    x0 = np.column_stack([np.ones_like(t), t, np.zeros_like(t)])
    pred = glm.get_prediction(x0, offset=np.zeros_like(t), which="linear")
    lo, hi = np.exp(pred.conf_int()).T
    cf = res.counterfactual(t)
    assert_allclose(cf["counterfactual"], np.exp(pred.predicted), rtol=1e-8)
    assert_allclose(cf["lower"], lo, rtol=1e-8)
    assert_allclose(cf["upper"], hi, rtol=1e-8)
    scaled = res.counterfactual(t, offset=380000.0)
    assert_allclose(scaled["counterfactual"], cf["counterfactual"] * 380000.0)


def test_effect_at_log_link_gives_rate_ratio_and_rate_difference():
    res = fit_its(_sicily(), time_col="time", outcome_col="aces", intervention_start=37,
                  family="quasipoisson", offset_col="stdpop", slope_change=False)  # fmt: skip
    eff = res.effect_at(50, offset=1e5)
    row = res.coefficients.loc["level_change"]
    assert eff.ratio == pytest.approx(row["rate_ratio"])
    assert eff.ratio_lower == pytest.approx(row["rr_lower"])
    cf = res.counterfactual([50], offset=1e5).iloc[0]
    assert eff.difference == pytest.approx(cf["fitted"] - cf["counterfactual"])
    assert eff.lower < eff.difference < eff.upper < 0
    assert eff.method == "delta_method"


# ---------------------------------------------------------------- gaussian / HAC


@pytest.mark.parametrize("lags", [None, 0, 1, 4])
def test_hac_standard_errors_equal_statsmodels(lags):
    d = _simulate(np.random.default_rng(1), n=50, start=25, phi=0.5)
    res = fit_its(d, time_col="t", outcome_col="y", intervention_start=25, hac_lags=lags,
                  hac_small_sample=False)  # fmt: skip
    maxlags = default_hac_lags(50) if lags is None else lags
    sm_res = sm.OLS(d["y"], _design(d["t"].to_numpy(), 25.0)).fit(
        cov_type="HAC", cov_kwds={"maxlags": maxlags}
    )
    assert_allclose(res.params, sm_res.params.to_numpy(), rtol=1e-10)
    assert_allclose(res.coefficients["se"], sm_res.bse.to_numpy(), rtol=1e-10)
    assert res.diagnostics.hac_lags == maxlags


def test_default_hac_uses_small_sample_correction_and_t_intervals():
    d = _simulate(np.random.default_rng(2), n=30, start=15, phi=0.3)
    res = fit_its(d, time_col="t", outcome_col="y", intervention_start=15)
    sm_res = sm.OLS(d["y"], _design(d["t"].to_numpy(), 15.0)).fit(
        cov_type="HAC",
        cov_kwds={"maxlags": default_hac_lags(30), "use_correction": True},
        use_t=True,
    )
    assert_allclose(res.coefficients["se"], sm_res.bse.to_numpy(), rtol=1e-10)
    assert_allclose(res.coefficients[["lower", "upper"]], sm_res.conf_int(), rtol=1e-10)
    assert_allclose(res.coefficients["p_value"], sm_res.pvalues.to_numpy(), rtol=1e-10)
    assert res.method == "segmented_ols_hac"
    assert res.coefficients["rate_ratio"].isna().all()


def test_default_hac_lag_rule():
    assert [default_hac_lags(n) for n in (10, 15, 59, 100, 500)] == [2, 2, 3, 4, 5]


def test_se_method_ols_and_ar1_equal_statsmodels():
    d = _simulate(np.random.default_rng(3), n=40, start=20, phi=0.5)
    X = _design(d["t"].to_numpy(), 20.0)
    ols = fit_its(d, time_col="t", outcome_col="y", intervention_start=20, se_method="ols")
    assert_allclose(ols.coefficients["se"], sm.OLS(d["y"], X).fit().bse.to_numpy(), rtol=1e-10)
    ar1 = fit_its(d, time_col="t", outcome_col="y", intervention_start=20, se_method="ar1")
    gls = sm.GLSAR(d["y"].to_numpy(), X, rho=1).iterative_fit(maxiter=50)
    assert_allclose(ar1.params, gls.params, rtol=1e-8)
    assert_allclose(ar1.coefficients["se"], gls.bse, rtol=1e-8)
    assert ar1.diagnostics.ar1_rho == pytest.approx(float(gls.model.rho[0]))
    assert (ols.method, ar1.method) == ("segmented_ols", "segmented_glsar_ar1")


def test_diagnostics_equal_statsmodels_breusch_godfrey_and_durbin_watson():
    d = _simulate(np.random.default_rng(4), n=100, start=50, phi=0.7)
    res = fit_its(d, time_col="t", outcome_col="y", intervention_start=50, bg_lags=2)
    ols = sm.OLS(d["y"], _design(d["t"].to_numpy(), 50.0)).fit()
    bg = acorr_breusch_godfrey(ols, nlags=2, result_object=True)
    assert res.diagnostics.breusch_godfrey_p_value == pytest.approx(bg.lmpval)
    assert res.diagnostics.durbin_watson == pytest.approx(durbin_watson(ols.resid))
    assert res.diagnostics.breusch_godfrey_p_value < 0.01  # strong AR(1) is detected


def test_counterfactual_band_gaussian_equals_statsmodels_prediction():
    d = _simulate(np.random.default_rng(5), n=30, start=15)
    res = fit_its(d, time_col="t", outcome_col="y", intervention_start=15)
    sm_res = sm.OLS(d["y"], _design(d["t"].to_numpy(), 15.0)).fit(
        cov_type="HAC",
        cov_kwds={"maxlags": default_hac_lags(30), "use_correction": True},
        use_t=True,
    )
    t = np.array([15.0, 20.0, 29.0, 35.0])
    x0 = np.column_stack([np.ones_like(t), t, np.zeros_like(t), np.zeros_like(t)])
    ci = sm_res.get_prediction(x0).conf_int()
    cf = res.counterfactual(t)
    assert_allclose(cf["counterfactual"], x0 @ sm_res.params.to_numpy())
    assert_allclose(cf[["lower", "upper"]], ci, rtol=1e-10)
    assert (cf["method"] == "delta_method").all()


def test_effect_at_gaussian_equals_linear_contrast():
    d = _simulate(np.random.default_rng(6), n=30, start=15)
    res = fit_its(d, time_col="t", outcome_col="y", intervention_start=15)
    sm_res = sm.OLS(d["y"], _design(d["t"].to_numpy(), 15.0)).fit(
        cov_type="HAC",
        cov_kwds={"maxlags": default_hac_lags(30), "use_correction": True},
        use_t=True,
    )
    test = sm_res.t_test(np.array([[0.0, 0.0, 1.0, 7.0]]))
    eff = res.effect_at(22)
    assert eff.difference == pytest.approx(float(test.effect[0]))
    assert [eff.lower, eff.upper] == pytest.approx(test.conf_int()[0].tolist())
    assert np.isnan(eff.ratio)


def test_fitted_equals_counterfactual_before_start():
    d = _simulate(np.random.default_rng(7), n=20, start=10)
    f = fit_its(d, time_col="t", outcome_col="y", intervention_start=10).fitted
    pre = f[f["period"] < 10]
    assert_allclose(pre["fitted"], pre["counterfactual"])
    assert list(f.columns) == ["period", "observed", "fitted", "counterfactual"]


def test_simulation_unbiased_and_hac_coverage_reasonable():
    # Known truth: level change 2, slope change 0.1, AR(1) noise phi = 0.3, n = 120.
    rng = np.random.default_rng(20240612)
    reps, level, slope = 300, 2.0, 0.1
    est, covered = [], []
    for _ in range(reps):
        d = _simulate(rng, n=120, start=60, phi=0.3, level=level, slope=slope)
        c = fit_its(d, time_col="t", outcome_col="y", intervention_start=60).coefficients
        est.append(c.loc[["level_change", "slope_change"], "estimate"].to_numpy())
        covered.append(c.loc["slope_change", "lower"] <= slope <= c.loc["slope_change", "upper"])
    mean = np.mean(est, axis=0)
    assert mean[0] == pytest.approx(level, abs=0.1)
    assert mean[1] == pytest.approx(slope, abs=0.005)
    coverage = float(np.mean(covered))
    assert 0.85 <= coverage <= 0.99, coverage  # observed 0.89 with this seed


# ---------------------------------------------------------------- input handling


def test_missing_outcomes_are_dropped_and_input_not_mutated():
    d = _simulate(np.random.default_rng(8), n=20, start=10)
    d.loc[3, "y"] = np.nan
    before = d.copy()
    res = fit_its(d, time_col="t", outcome_col="y", intervention_start=10)
    assert res.n == 19
    pd.testing.assert_frame_equal(d, before)
    assert isinstance(res, ITSResult)


def test_unsorted_input_gives_same_fit():
    d = _simulate(np.random.default_rng(9), n=20, start=10)
    a = fit_its(d, time_col="t", outcome_col="y", intervention_start=10)
    b = fit_its(d.sample(frac=1, random_state=1), time_col="t", outcome_col="y",
                intervention_start=10)  # fmt: skip
    assert_allclose(a.params, b.params)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"family": "quasi"}, "family must be one of gaussian, poisson, quasipoisson, negbin"),
        ({"se_method": "newey"}, "se_method must be one of hac, ols, ar1"),
        ({"offset_col": "pop"}, "offset_col applies to count families only"),
        ({"family": "poisson", "hac_lags": 2}, "hac_lags applies to family='gaussian'"),
        ({"family": "poisson", "se_method": "ols"}, "se_method applies to family='gaussian'"),
        ({"intervention_start": 18}, "at least 3 periods before and 3 from intervention_start"),
        ({"fourier_harmonics": 6}, "fourier_harmonics must be less than period_length / 2"),
        ({"fourier_harmonics": -1}, "fourier_harmonics must be an integer of at least 0"),
        ({"level_change": False, "slope_change": False}, "at least one of level_change"),
        ({"outcome_col": "nope"}, r"frame must have columns .*missing \['nope'\]"),
    ],
)
def test_fit_its_argument_errors_name_the_rule(kwargs, message):
    d = _simulate(np.random.default_rng(10), n=20, start=10).assign(pop=1000.0)
    args = {"time_col": "t", "outcome_col": "y", "intervention_start": 10} | kwargs
    with pytest.raises(ArgumentError, match=message):
        fit_its(d, **args)


def test_fit_its_rejects_negative_counts_and_repeated_periods():
    d = pd.DataFrame({"t": np.arange(10.0), "y": [5.0] * 9 + [-1.0]})
    with pytest.raises(ArgumentError, match="counts must be greater than or equal to zero"):
        fit_its(d, time_col="t", outcome_col="y", intervention_start=5, family="poisson")
    with pytest.raises(ArgumentError, match="each t must occur once"):
        fit_its(pd.concat([d, d]), time_col="t", outcome_col="y", intervention_start=5)


def test_effect_at_before_start_raises():
    d = _simulate(np.random.default_rng(11), n=20, start=10)
    res = fit_its(d, time_col="t", outcome_col="y", intervention_start=10)
    with pytest.raises(ArgumentError, match="period must be at or after intervention_start"):
        res.effect_at(5)
    with pytest.raises(ArgumentError, match="offset applies to count families only"):
        res.counterfactual([12], offset=10.0)
