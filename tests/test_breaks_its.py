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

from indicators.breaks import ITSResult, default_hac_lags, fit_its, newey_west
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


def _independent_glm(family: str, harmonics: int, slope: bool):
    """statsmodels GLM written here, independent of indicators.breaks: harmonics from the
    calendar month, the slope term coded (time - 37) * smokban."""
    d = _sicily()
    X = pd.DataFrame({"const": 1.0, "time": d["time"], "smokban": d["smokban"]}, dtype=float)
    if slope:
        X["slope"] = (d["time"] - 37) * d["smokban"]
    for k in range(1, harmonics + 1):
        X[f"sin{k}"] = np.sin(2 * np.pi * k * d["month"] / 12)
        X[f"cos{k}"] = np.cos(2 * np.pi * k * d["month"] / 12)
    glm = sm.GLM(d["aces"], X, family=sm.families.Poisson(), offset=np.log(d["stdpop"]))
    return glm.fit(scale="X2" if family == "quasipoisson" else None)


@pytest.mark.parametrize("slope", [False, True], ids=["level", "level+slope"])
@pytest.mark.parametrize("harmonics", [0, 2], ids=["no-season", "2-harmonics"])
@pytest.mark.parametrize("family", ["poisson", "quasipoisson"])
def test_sicily_public_api_equals_independent_glm(family, harmonics, slope):
    res = fit_its(
        _sicily(), time_col="time", outcome_col="aces", intervention_start=37, family=family,
        offset_col="stdpop", slope_change=slope, fourier_harmonics=harmonics, period_length=12,
    )  # fmt: skip
    glm = _independent_glm(family, harmonics, slope)
    names = {"intercept": "const", "pre_trend": "time", "level_change": "smokban",
             "slope_change": "slope"}  # fmt: skip
    names |= {f"{f}{k}": f"{f}{k}" for k in range(1, harmonics + 1) for f in ("sin", "cos")}
    c = res.coefficients
    assert list(c.index) == list(names)[: 4 - (not slope)] + list(names)[4:]
    ci = glm.conf_int()
    for ours, theirs in names.items():
        if ours not in c.index:
            continue
        row = c.loc[ours]
        assert row["estimate"] == pytest.approx(glm.params[theirs], rel=1e-6, abs=1e-9)
        assert row["se"] == pytest.approx(glm.bse[theirs], rel=1e-6)
        assert row["p_value"] == pytest.approx(glm.pvalues[theirs], rel=1e-5, abs=1e-12)
        assert [row["lower"], row["upper"]] == pytest.approx(ci.loc[theirs].tolist(), rel=1e-6,
                                                             abs=1e-9)  # fmt: skip
        assert row["rate_ratio"] == pytest.approx(np.exp(glm.params[theirs]), rel=1e-6)
    # Quasi-Poisson: same estimates as Poisson, standard errors times sqrt(dispersion).
    assert res.diagnostics.dispersion == pytest.approx(
        float(np.sum(glm.resid_pearson**2) / glm.df_resid), rel=1e-8
    )
    if family == "quasipoisson":
        assert glm.scale == pytest.approx(res.diagnostics.dispersion, rel=1e-8)
    fitted = res.fitted["fitted"].to_numpy()
    assert_allclose(fitted, glm.fittedvalues.to_numpy(), rtol=1e-6)
    assert res.n == 59 and res.n_pre == 36 and res.n_post == 23


# ---------------------------------------------------------------- Stata newey (macrodata)

MACRO = LOCAL / "macrodata.csv"
MACRO_SHARED = Path(__file__).parents[2] / "shared" / "realdata" / "macrodata_hac" / "macrodata.csv"
# Stata: newey g_realinv g_realgdp L.realint, lag(4); N = 202, df_r = 199. Published in
# statsmodels/regression/tests/results/results_macro_ols_robust.py (results_newey4):
# rows g_realgdp, L.realint, _cons; columns b, se, t, pvalue, ll, ul.
STATA_NEWEY4 = np.array([
    [4.3742216647032, 0.33125644884286, 13.204940401864, 5.282334606e-29,
     3.7209983425819, 5.0274449868245],
    [-0.61399696947899, 0.29582347593197, -2.0755518727668, 0.03922090940364,
     -1.1973480087863, -0.03064593017165],
    [-9.4816727746549, 1.1859338087713, -7.9951112823729, 1.036821797e-13,
     -11.820282709911, -7.1430628393989],
])  # fmt: skip
STATA_NEWEY4_COV = np.array([
    [0.10973083489998, 0.0003953117603, -0.31803287070833],
    [0.0003953117603, 0.08751152891247, -0.06062111121649],
    [-0.31803287070833, -0.06062111121649, 1.4064389987868],
])  # fmt: skip


def _macro():
    d = pd.read_csv(MACRO)
    y = 400 * np.diff(np.log(d["realinv"].to_numpy()))
    X = pd.DataFrame({
        "g_realgdp": 400 * np.diff(np.log(d["realgdp"].to_numpy())),
        "L.realint": d["realint"].to_numpy()[:-1],
        "_cons": 1.0,
    })  # fmt: skip
    return y, X


def test_macrodata_copy_exists_and_matches_shared():
    assert MACRO.exists(), f"{MACRO} is missing: tests must not depend on ../shared"
    if MACRO_SHARED.exists():
        assert MACRO.read_bytes() == MACRO_SHARED.read_bytes()


def test_newey_west_equals_stata_newey_lag4():
    y, X = _macro()
    assert len(y) == 202
    tab = newey_west(y, X, lags=4)
    got = tab[["estimate", "se", "t", "p_value", "lower", "upper"]].to_numpy()
    assert_allclose(got[:, :3], STATA_NEWEY4[:, :3], rtol=1e-9)
    assert_allclose(got[:, 3], STATA_NEWEY4[:, 3], rtol=1e-6)  # p-values: Stata prints 10 digits
    assert_allclose(got[:, 4:], STATA_NEWEY4[:, 4:], rtol=1e-9)
    assert_allclose(tab.attrs["cov"].to_numpy(), STATA_NEWEY4_COV, rtol=1e-9)
    assert tab.attrs["df_resid"] == 199 and tab.attrs["lags"] == 4 and tab.attrs["n"] == 202
    # Without the small-sample factor n / (n - k) the standard errors are smaller.
    large = newey_west(y, X, lags=4, small_sample=False)
    assert_allclose(large["se"] ** 2, tab["se"] ** 2 * 199 / 202, rtol=1e-10)


def test_fit_its_hac_is_the_same_code_path_as_newey_west():
    d = _simulate(np.random.default_rng(12), n=60, start=30, phi=0.4)
    res = fit_its(d, time_col="t", outcome_col="y", intervention_start=30, hac_lags=4)
    X = pd.DataFrame(_design(d["t"].to_numpy(), 30.0),
                     columns=["intercept", "pre_trend", "level_change", "slope_change"])  # fmt: skip
    tab = newey_west(d["y"], X, lags=4)
    assert_allclose(res.coefficients[["estimate", "se", "lower", "upper", "p_value"]],
                    tab[["estimate", "se", "lower", "upper", "p_value"]], rtol=1e-10)  # fmt: skip


def test_newey_west_rejects_bad_input():
    y, X = _macro()
    with pytest.raises(ArgumentError, match="one row per value of y"):
        newey_west(y[:-1], X, lags=4)
    with pytest.raises(ArgumentError, match="lags must be an integer"):
        newey_west(y, X, lags=-1)
    with pytest.raises(ArgumentError, match="must be finite"):
        newey_west(np.r_[np.nan, y[1:]], X, lags=4)


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


def _benchmark():
    """The simulation code of benchmarks/its_coverage.py (same code as the full study)."""
    import importlib.util

    path = Path(__file__).parents[1] / "benchmarks" / "its_coverage.py"
    spec = importlib.util.spec_from_file_location("its_coverage", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fast_coverage_simulation_annual_ols():
    # Fast version of benchmarks/its_coverage.py: 100 replicates of the report's
    # annual design (13 years, start after 5) with OLS and independent errors.
    # The full study (1000 replicates) asserts 0.93-0.97; here the tolerance is wide.
    bench = _benchmark()
    setting = next(s for s in bench.SETTINGS if s["name"] == "annual_n13_iid_ols")
    r = bench.coverage(setting, reps=100, seed=7)
    assert 0.85 <= r["coverage_level_change"] <= 1.0, r
    assert 0.85 <= r["coverage_slope_change"] <= 1.0, r
    assert abs(r["bias_slope_change"]) < 0.05 and abs(r["bias_level_change"]) < 0.3, r


def test_fast_simulation_hac_short_series_undercovers():
    # Documents why the report does not use Newey-West for annual series.
    bench = _benchmark()
    setting = next(s for s in bench.SETTINGS if s["name"] == "annual_n13_ar0.3_hac")
    r = bench.coverage(setting, reps=100, seed=7)
    assert r["coverage_slope_change"] < 0.85, r


def test_benchmark_results_file_is_complete():
    import json

    path = Path(__file__).parents[1] / "benchmarks" / "results" / "its_coverage.json"
    res = json.loads(path.read_text(encoding="utf-8"))
    rows = {r["name"]: r for r in res["settings"]}
    assert all(r["reps"] >= 500 for r in rows.values())
    asserted = [r for r in rows.values() if r["asserted"]]
    assert asserted and all(r["within_93_97"] for r in asserted)
    assert rows["annual_n13_iid_ols"]["asserted"]
    for r in rows.values():
        lo, hi = res["coverage_range"]
        ok = lo <= r["coverage_level_change"] <= hi and lo <= r["coverage_slope_change"] <= hi
        assert r["within_93_97"] == ok
    pw = res["power"]
    assert pw["area"] == "roermond-donderberg" and pw["generated_slope_change_of_gap"] == -1.0
    assert pw["demo_estimate"]["upper"] < 0


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
