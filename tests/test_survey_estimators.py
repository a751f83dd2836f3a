"""Tests for indicators.survey.estimators.

Reference values: R survey (quoted saved output and documentation), see
tests/reference/survey/README.md; cross-checks against statsmodels.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special, stats
from statsmodels.stats.proportion import proportion_confint

from indicators.exceptions import ArgumentError
from indicators.survey import (
    SurveyDesign,
    likert_summary,
    svy_crosstab,
    svy_mean,
    svy_proportion,
    svy_total,
)
from tests.test_survey_design import _r, assert_matches_r

REF = Path(__file__).parent / "reference" / "survey"


def _dclus1(fpc: str | None = "fpc") -> SurveyDesign:
    df = pd.read_csv(REF / "apiclus1.csv")
    df["ell0"] = (df["ell"] == 0).astype(float)
    return SurveyDesign.from_frame(df, weights="pw", clusters="dnum", fpc=fpc)


def _fpc_design() -> SurveyDesign:
    df = pd.read_csv(REF / "fpc.csv")
    df["big"] = df["x"] > 4
    return SurveyDesign.from_frame(df, weights="weight", strata="stratid", clusters="psuid")


# --------------------------------------------------------------------------
# Means, totals, domains, design effects (R)
# --------------------------------------------------------------------------
def test_domain_means_match_r_svyby():
    out = svy_mean(_fpc_design(), "x", by="big")
    assert out["big"].tolist() == [False, True]
    assert_matches_r(out["estimate"].iloc[0], _r("domain_x_le4", "mean"))
    assert_matches_r(out["se"].iloc[0], _r("domain_x_le4", "se"))
    assert_matches_r(out["estimate"].iloc[1], _r("domain_x_gt4", "mean"))
    assert_matches_r(out["se"].iloc[1], _r("domain_x_gt4", "se"))


def test_domain_is_not_the_same_as_subsetting_the_design():
    # Subsetting drops PSUs and strata; a domain keeps them (with zero scores).
    design = _fpc_design()
    domain_se = svy_mean(design, "x", by="big")["se"].iloc[1]
    subset = design.data[design.data["big"]]
    sub_design = SurveyDesign.from_frame(
        subset, weights="weight", strata="stratid", clusters="psuid"
    )
    assert svy_mean(sub_design, "x")["se"].iloc[0] != pytest.approx(domain_se, rel=1e-3)


def test_missing_values_are_treated_as_outside_the_domain():
    design = _fpc_design()
    masked = design.data.assign(x=design.data["x"].where(design.data["big"]))
    d2 = SurveyDesign.from_frame(masked, weights="weight", strata="stratid", clusters="psuid")
    assert svy_mean(d2, "x")["se"].iloc[0] == pytest.approx(
        svy_mean(design, "x", by="big")["se"].iloc[1], rel=1e-12
    )


@pytest.mark.parametrize(
    ("weights", "deff", "case"),
    [("srs.w", "srswor", "kigyo_srs_uriage"), ("pps.w", "srswr", "kigyo_pps_uriage")],
)
def test_design_effects_match_r(weights, deff, case):
    d = SurveyDesign.from_frame(pd.read_csv(REF / "kigyo.csv"), weights=weights)
    mean = svy_mean(d, "uriage", deff=deff).iloc[0]
    total = svy_total(d, "uriage", deff=deff).iloc[0]
    assert_matches_r(mean["estimate"], _r(case, "mean"))
    assert_matches_r(mean["se"], _r(case, "se"))
    assert_matches_r(mean["deff"], _r(case, "deff"))
    assert_matches_r(total["estimate"], _r(case, "total"))
    assert_matches_r(total["se"], _r(case, "total_se"))
    assert_matches_r(total["deff"], _r(case, "total_deff"))


def test_normal_interval_matches_r_confint():
    df = pd.read_csv(REF / "apisrs.csv")
    d = SurveyDesign.from_frame(df, weights="pw", fpc="fpc")
    row = svy_mean(d, "enroll", df=np.inf).iloc[0]
    assert_matches_r(row["estimate"], _r("srs_enroll", "mean"))
    assert_matches_r(row["lower_ci"], _r("srs_enroll", "lower_ci"))
    assert_matches_r(row["upper_ci"], _r("srs_enroll", "upper_ci"))
    assert row["method"] == "wald-normal"


def test_default_interval_uses_t_with_design_df():
    row = svy_mean(_dclus1(), "api00").iloc[0]
    assert row["df"] == 14
    q = stats.t.ppf(0.975, 14)
    assert row["lower_ci"] == pytest.approx(row["estimate"] - q * row["se"], rel=1e-12)
    assert list(svy_mean(_dclus1(), "api00").columns[-3:]) == ["df", "confidence", "method"]


def test_by_with_two_columns_and_output_columns():
    out = svy_mean(_dclus1(), "api00", by=["stype", "sch.wide"])
    assert list(out.columns[:3]) == ["stype", "sch.wide", "variable"]
    assert {"lower_ci", "upper_ci", "confidence", "method", "n"} <= set(out.columns)
    assert out["n"].sum() == 183


def test_estimators_check_arguments():
    d = _dclus1()
    with pytest.raises(ArgumentError, match="variable 'nope' is not in the design data"):
        svy_mean(d, "nope")
    with pytest.raises(ArgumentError, match="must be numeric"):
        svy_mean(d, "stype")
    with pytest.raises(ArgumentError, match="confidence must be between 0 and 1"):
        svy_total(d, "enroll", confidence=95)
    with pytest.raises(ArgumentError, match="ci_method must be one of logit"):
        svy_proportion(d, "stype", ci_method="wilson")
    with pytest.raises(ArgumentError, match="by column 'nope'"):
        svy_mean(d, "api00", by="nope")
    with pytest.raises(ArgumentError, match="design must be a SurveyDesign"):
        svy_mean(d.data, "api00")


# --------------------------------------------------------------------------
# Proportions
# --------------------------------------------------------------------------
def test_proportions_sum_to_one_and_match_weighted_shares():
    d = _dclus1()
    out = svy_proportion(d, "stype")
    assert out["estimate"].sum() == pytest.approx(1.0)
    w = d.data.groupby("stype")["pw"].sum()
    assert out["estimate"].to_numpy() == pytest.approx((w / w.sum()).to_numpy())
    assert out["n_category"].tolist() == d.data["stype"].value_counts().sort_index().tolist()


def test_logit_interval_matches_statsmodels_glm_sandwich():
    # Independent implementation: weighted binomial GLM, cluster-robust covariance.
    d = _dclus1(fpc=None)
    row = svy_proportion(d, "ell0", ci_method="logit").iloc[1]
    data = d.data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "cov_type not fully supported with var_weights"
        fit = sm.GLM(
            data["ell0"],
            np.ones((len(data), 1)),
            family=sm.families.Binomial(),
            var_weights=data["pw"],
        ).fit(cov_type="cluster", cov_kwds={"groups": data["dnum"].to_numpy()})
    assert special.expit(fit.params.iloc[0]) == pytest.approx(row["estimate"], rel=1e-10)
    se_logit = row["se"] / (row["estimate"] * (1 - row["estimate"]))
    assert fit.bse.iloc[0] == pytest.approx(se_logit, rel=1e-8)
    q = stats.t.ppf(0.975, 14)
    lower = special.expit(fit.params.iloc[0] - q * fit.bse.iloc[0])
    upper = special.expit(fit.params.iloc[0] + q * fit.bse.iloc[0])
    assert (row["lower_ci"], row["upper_ci"]) == pytest.approx((lower, upper), rel=1e-8)


def test_korn_graubard_equals_clopper_pearson_for_unweighted_srs():
    # For SRS with replacement var(p) = p(1-p)/(n-1), so n_eff = n - 1 and the
    # df adjustment is 1: Clopper-Pearson at n - 1 (statsmodels "beta").
    y = np.r_[np.ones(3), np.zeros(57)]
    d = SurveyDesign.from_frame(pd.DataFrame({"w": 1.0, "y": y}), weights="w")
    row = svy_proportion(d, "y", ci_method="korn-graubard").iloc[1]
    n_eff = 59
    lower, upper = proportion_confint(row["estimate"] * n_eff, n_eff, method="beta")
    assert (row["lower_ci"], row["upper_ci"]) == pytest.approx((lower, upper), rel=1e-10)


@pytest.mark.parametrize("method", ["logit", "korn-graubard", "wald"])
def test_proportion_intervals_stay_in_unit_interval_and_cover_estimate(method):
    out = svy_proportion(_dclus1(), "ell0", ci_method=method)
    assert (out["lower_ci"] >= 0).all() and (out["upper_ci"] <= 1).all()
    assert (out["lower_ci"] <= out["estimate"]).all()
    assert (out["estimate"] <= out["upper_ci"]).all()
    assert (out["method"] == method).all()


def test_logit_interval_is_asymmetric_near_zero():
    row = svy_proportion(_dclus1(), "ell0").iloc[1]
    assert row["estimate"] - row["lower_ci"] < row["upper_ci"] - row["estimate"]


def test_zero_share_category_gets_clopper_pearson_fallback():
    d = _dclus1()
    out = svy_proportion(d, "stype", categories=["E", "H", "M", "X"])
    zero = out[out["category"] == "X"].iloc[0]
    assert zero["estimate"] == 0 and zero["lower_ci"] == 0
    assert zero["method"] == "clopper-pearson"
    assert zero["upper_ci"] == pytest.approx(1 - 0.025 ** (1 / 183))


def test_proportion_domains_use_domain_df():
    out = svy_proportion(_dclus1(), "sch.wide", by="stype")
    assert len(out) == 6
    assert out.groupby("stype")["estimate"].sum().to_numpy() == pytest.approx(np.ones(3))
    assert (out["df"] <= 14).all()


# --------------------------------------------------------------------------
# Crosstab with Rao-Scott
# --------------------------------------------------------------------------
def test_rao_scott_matches_r_svychisq():
    res = svy_crosstab(_dclus1(), "sch.wide", "stype")
    assert_matches_r(res.statistic, _r("svychisq_schwide_stype", "F"))
    assert_matches_r(res.ndf, _r("svychisq_schwide_stype", "ndf"))
    assert_matches_r(res.ddf, _r("svychisq_schwide_stype", "ddf"))
    assert_matches_r(res.p_value, _r("svychisq_schwide_stype", "p"))
    assert_matches_r(res.pearson, _r("svychisq_schwide_stype", "chisq_pearson"))
    assert_matches_r(res.first_order_p_value, _r("svychisq_schwide_stype", "chisq_p"))
    assert res.method == "rao-scott-f"


def test_crosstab_tables():
    res = svy_crosstab(_dclus1(), "sch.wide", "stype")
    # R: svytable(~sch.wide + stype, dclus1), r-survey example-chisq page
    assert res.table.loc["No", "E"] == pytest.approx(406.1640, abs=5e-5)
    assert res.table.loc["Yes", "M"] == pytest.approx(575.3989, abs=5e-5)
    assert res.counts.to_numpy().sum() == 183
    assert res.shares.sum(axis=0).to_numpy() == pytest.approx(np.ones(3))


def test_rao_scott_equals_pearson_under_srs_with_replacement_scale():
    # Unweighted SRS: Delta ~ n/(n-1) I, so F ~ X^2 * (n-1)/n / df.
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"a": rng.integers(0, 2, 400), "b": rng.integers(0, 3, 400), "w": 1.0})
    res = svy_crosstab(SurveyDesign.from_frame(df, weights="w"), "a", "b")
    chi2 = stats.chi2_contingency(pd.crosstab(df["a"], df["b"]), correction=False)[0]
    assert res.pearson == pytest.approx(chi2, rel=1e-10)
    assert res.mean_deff == pytest.approx(400 / 399, rel=1e-10)


def test_crosstab_needs_two_categories():
    df = _dclus1().data.assign(one="x")
    d = SurveyDesign.from_frame(df, weights="pw", clusters="dnum")
    with pytest.raises(ArgumentError, match="at least two categories in 'stype' and in 'one'"):
        svy_crosstab(d, "stype", "one")


# --------------------------------------------------------------------------
# Likert
# --------------------------------------------------------------------------
LABELS = {1: "Zeer ontevreden", 2: "Ontevreden", 3: "Neutraal", 4: "Tevreden", 5: "Zeer tevreden"}


def _likert_design() -> SurveyDesign:
    rng = np.random.default_rng(3)
    n = 120
    df = pd.DataFrame(
        {
            "score": rng.choice([1, 2, 4, 5], size=n, p=[0.1, 0.2, 0.4, 0.3]).astype(float),
            "w": rng.uniform(0.5, 2.0, n),
            "loc": np.repeat(np.arange(12), 10),
            "groep": np.tile(["A", "B"], n // 2),
        }
    )
    df.loc[[0, 1], "score"] = np.nan  # missing code already recoded
    return SurveyDesign.from_frame(df, weights="w", clusters="loc")


def test_likert_summary_shares_top2_and_mean():
    d = _likert_design()
    res = likert_summary(d, "score", LABELS)
    assert res.shares["label"].tolist() == list(LABELS.values())
    assert res.shares["estimate"].sum() == pytest.approx(1.0)
    assert res.shares.loc[res.shares["category"] == 3, "estimate"].iloc[0] == 0
    top = res.shares.loc[res.shares["category"].isin([4.0, 5.0]), "estimate"].sum()
    assert res.top2["estimate"].iloc[0] == pytest.approx(top)
    assert res.top_codes == (4, 5)
    x = d.data.dropna(subset=["score"])
    assert res.mean["estimate"].iloc[0] == pytest.approx(np.average(x["score"], weights=x["w"]))
    assert res.top2["lower_ci"].iloc[0] < top < res.top2["upper_ci"].iloc[0]
    assert res.mean["n"].iloc[0] == 118


def test_likert_summary_by_group():
    res = likert_summary(_likert_design(), "score", LABELS, by="groep")
    assert res.top2["groep"].tolist() == ["A", "B"]
    assert len(res.shares) == 10


def test_likert_rejects_values_outside_labels():
    d = _likert_design()
    d2 = SurveyDesign.from_frame(d.data.assign(score=d.data["score"].fillna(9)), weights="w")
    with pytest.raises(ArgumentError, match=r"value 9 \(row 1\) that is not in labels"):
        likert_summary(d2, "score", LABELS)
