"""The compute layer: aggregation rules, suppression, coverage flags, benchmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from indicators.compute import compute_all, membership
from indicators.config import AreaParams, AreaSet, Catalogue, Indicator, Theme

THEMES = [Theme(id="werken", label_nl="Werken", label_en="Work")]


def _ind(id_: str, **kw) -> Indicator:
    base = dict(
        id=id_, label_nl=id_, label_en=id_, theme="werken", unit="%", value_type="proportion",
        multiplier=100, polarity="lower_is_better", definition="d", source="s", ci_method="wilson",
        aggregation="sum", min_count=5, min_denominator=10, frequency="annual", lowest_level="buurt",
    )  # fmt: skip
    base.update(kw)
    return Indicator(**base)


def _catalogue(*inds: Indicator) -> Catalogue:
    return Catalogue(themes=THEMES, indicators=list(inds))


def _units() -> pd.DataFrame:
    rows = [
        ("NL01", "land", "Nederland", None, None, None),
        ("PV31", "provincie", "Limburg", None, None, None),
        ("GM0917", "gemeente", "Heerlen", "GM0917", None, "Zuid-Limburg"),
        ("WK091701", "wijk", "W1", "GM0917", None, "Zuid-Limburg"),
        ("WK091702", "wijk", "W2", "GM0917", None, "Zuid-Limburg"),
        ("BU09170101", "buurt", "B1", "GM0917", "WK091701", "Zuid-Limburg"),
        ("BU09170102", "buurt", "B2", "GM0917", "WK091701", "Zuid-Limburg"),
        ("BU09170201", "buurt", "B3", "GM0917", "WK091702", "Zuid-Limburg"),
        ("BU09170202", "buurt", "B4", "GM0917", "WK091702", "Zuid-Limburg"),
    ]
    return pd.DataFrame(
        rows, columns=["unit_code", "level", "name", "gemeente_code", "wijk_code", "region"]
    )


def _areas(**units) -> AreaSet:
    areas = {
        slug: AreaParams(
            slug=slug,
            name=slug.title(),
            kind="aandachtswijk",
            municipality="GM0917",
            units=u,
            intervention_start=2020,
        )  # fmt: skip
        for slug, u in units.items()
    }
    return AreaSet(areas=areas, paths={s: Path(f"params/{s}.yml") for s in areas})


def _obs(rows) -> pd.DataFrame:
    df = pd.DataFrame(
        rows,
        columns=["unit_code", "indicator_id", "period", "numerator", "denominator", "value", "se"],
    )
    return df.astype(
        {"period": "int64", **{c: "float64" for c in ["numerator", "denominator", "value", "se"]}}
    )


def _row(res, area, ind="x", period=2020):
    v = res.values
    return v[(v["area"] == area) & (v["indicator_id"] == ind) & (v["period"] == period)].iloc[0]


def test_composed_area_rate_uses_summed_counts_not_averaged_rates():
    # B1: 10/100 = 10%; B2: 90/900 = 10%... make them differ: B2: 450/900 = 50%.
    obs = _obs([
        ("BU09170101", "x", 2020, 10, 100, None, None),
        ("BU09170102", "x", 2020, 450, 900, None, None),
        ("NL01", "x", 2020, 1000, 10000, None, None),
        ("PV31", "x", 2020, 460, 1000, None, None),
        ("GM0917", "x", 2020, 460, 1000, None, None),
    ])  # fmt: skip
    res = compute_all(obs, _units(), _catalogue(_ind("x")), _areas(a=["BU09170101", "BU09170102"]))
    r = _row(res, "a")
    assert r["numerator"] == 460 and r["denominator"] == 1000
    assert r["value"] == pytest.approx(46.0)  # averaging the rates would give 30%
    lo, hi = proportion_confint(460, 1000, alpha=0.05, method="wilson")
    assert (r["lower_ci"], r["upper_ci"]) == pytest.approx((100 * lo, 100 * hi), rel=1e-9)
    assert r["method"] == "Wilson"


def test_weighted_mean_indicators_combine_by_weight_with_independent_se():
    ind = _ind("le", value_type="mean", multiplier=1, ci_method="normal", aggregation="weighted_mean",
               polarity="higher_is_better", min_count=0, min_denominator=0)  # fmt: skip
    obs = _obs([
        ("BU09170101", "le", 2020, None, 100, 80.0, 0.5),
        ("BU09170102", "le", 2020, None, 300, 82.0, 0.3),
        ("NL01", "le", 2020, None, 1e6, 81.5, 0.05),
    ])  # fmt: skip
    res = compute_all(obs, _units(), _catalogue(ind), _areas(a=["BU09170101", "BU09170102"]))
    r = _row(res, "a", "le")
    assert r["value"] == pytest.approx((100 * 80 + 300 * 82) / 400)
    se = np.sqrt((100 * 0.5) ** 2 + (300 * 0.3) ** 2) / 400
    assert r["upper_ci"] - r["value"] == pytest.approx(1.959963984540054 * se)


def test_small_numerators_are_suppressed_and_do_not_leak():
    obs = _obs(
        [
            ("BU09170101", "x", 2020, 3, 100, None, None),
            ("BU09170102", "x", 2020, 0, 50, None, None),
        ]
    )
    res = compute_all(
        obs, _units(), _catalogue(_ind("x")), _areas(a=["BU09170101"], b=["BU09170102"])
    )
    a = _row(res, "a")
    assert np.isnan(a["value"]) and np.isnan(a["lower_ci"]) and np.isnan(a["numerator"])
    assert "suppressed" in a["flags"]
    b = _row(res, "b")  # zero events is publishable: it reveals no individual
    assert b["value"] == 0 and b["flags"] == ""


def test_small_denominators_are_suppressed():
    obs = _obs([("BU09170101", "x", 2020, 0, 8, None, None)])
    res = compute_all(obs, _units(), _catalogue(_ind("x")), _areas(a=["BU09170101"]))
    assert "suppressed" in _row(res, "a")["flags"]


def test_missing_member_unit_flags_partial_and_never_counts_as_zero():
    obs = _obs(
        [
            ("BU09170101", "x", 2020, 10, 100, None, None),
            ("BU09170102", "x", 2020, None, None, None, None),
        ]
    )
    res = compute_all(obs, _units(), _catalogue(_ind("x")), _areas(a=["BU09170101", "BU09170102"]))
    r = _row(res, "a")
    assert r["flags"] == "partial" and r["denominator"] == 100


def test_wijk_level_indicator_uses_whole_wijken_only():
    ind = _ind("w", lowest_level="wijk")
    obs = _obs(
        [("WK091701", "w", 2020, 30, 200, None, None), ("WK091702", "w", 2020, 60, 200, None, None)]
    )
    areas = _areas(whole=["BU09170101", "BU09170102"], part=["BU09170101", "BU09170201"])
    res = compute_all(obs, _units(), _catalogue(ind), areas)
    assert _row(res, "whole", "w")["value"] == pytest.approx(15.0)
    assert not ((res.values["area"] == "part") & (res.values["indicator_id"] == "w")).any()


def test_membership_lists_benchmark_units_as_themselves():
    m = membership(_areas(a=["BU09170101"]), _units())
    gm = m[m["area"] == "GM0917"]
    assert set(gm["unit_code"]) == {"GM0917"} and set(gm["level"]) == {"buurt", "wijk", "gemeente"}


def test_benchmark_comparison_follows_polarity():
    obs = _obs([
        ("BU09170101", "x", 2020, 400, 1000, None, None),
        ("NL01", "x", 2020, 1000, 10000, None, None),
        ("PV31", "x", 2020, 395, 1000, None, None),
        ("GM0917", "x", 2020, 400, 1000, None, None),
    ])  # fmt: skip
    res = compute_all(obs, _units(), _catalogue(_ind("x")), _areas(a=["BU09170101"]))
    s = res.summary.set_index("area").loc["a"]
    assert s["vs_nederland"] == "worse"  # 40% vs 10%, lower is better
    assert s["vs_limburg"] == "similar"
    assert s["nederland_value"] == pytest.approx(10.0)


def test_compute_does_not_mutate_its_inputs():
    obs = _obs([("BU09170101", "x", 2020, 10, 100, None, None)])
    units = _units()
    before = (obs.copy(), units.copy())
    compute_all(obs, units, _catalogue(_ind("x")), _areas(a=["BU09170101"]))
    pd.testing.assert_frame_equal(obs, before[0])
    pd.testing.assert_frame_equal(units, before[1])
