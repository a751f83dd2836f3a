"""The need index: standardisation, re-weighting, rank bootstrap, sensitivity, report fragment."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from indicators.config import AreaParams, Catalogue, Indicator, Theme, load_catalogue
from indicators.exceptions import ArgumentError, InputError
from indicators.need import (
    build_need_index,
    compute_need_index,
    load_need_config,
    parse_need_config,
    selected_area_ranks,
    unit_values,
)
from indicators.present.need import need_section_md
from indicators.stats import wilson_ci

THEMES = [
    Theme(id="veiligheid", label_nl="Veiligheid", label_en="Safety"),
    Theme(id="werken", label_nl="Werk en inkomen", label_en="Work"),
    Theme(id="wonen", label_nl="Wonen", label_en="Housing"),
]


def _ind(id_: str, **kw) -> Indicator:
    base = dict(
        id=id_, label_nl=id_, label_en=id_, theme="veiligheid", unit="%", value_type="proportion",
        multiplier=100, polarity="lower_is_better", definition="d", source="s", ci_method="wilson",
        aggregation="sum", min_count=1, min_denominator=1, frequency="annual", lowest_level="buurt",
    )  # fmt: skip
    base.update(kw)
    return Indicator(**base)


def _catalogue() -> Catalogue:
    return Catalogue(
        themes=THEMES,
        indicators=[
            _ind("i1"),
            _ind("i2", theme="werken", polarity="higher_is_better"),
            _ind("i3", theme="wonen", polarity="neutral"),
            _ind("i4", theme="werken", lowest_level="wijk"),
        ],
    )


def _config(themes=None, indicators=None, **kw):
    raw = {
        "themes": themes or {"veiligheid": 1.0, "werken": 1.0},
        "indicators": indicators
        or [
            {"id": "i1", "weight": 1, "direction": "higher_is_worse"},
            {"id": "i2", "weight": 1, "direction": "higher_is_better"},
        ],
        "standardisation": {"z_cap": None},
        "min_coverage": 0.6,
        "sensitivity": {"n_dirichlet": 50, "top_n": 1, "top_share": 0.1},
    }
    raw.update(kw)
    return parse_need_config(raw, _catalogue())


def _values(data: dict[str, dict[str, float]], *, se=None, names=None, period=2024):
    """data: indicator -> {area: value}; ``se``: same shape or a constant."""
    rows = []
    for ind, by_area in data.items():
        for area, v in by_area.items():
            s = se if not isinstance(se, dict) else se.get(ind, {}).get(area, 0.0)
            s = 0.0 if s is None else s
            rows.append(
                {
                    "area": area,
                    "indicator_id": ind,
                    "period": period,
                    "value": v,
                    "lower_ci": v - 1.959964 * s if not np.isnan(v) else np.nan,
                    "upper_ci": v + 1.959964 * s if not np.isnan(v) else np.nan,
                    "name": (names or {}).get(area, area),
                    "gemeente_code": "GM0917",
                    "gemeente_name": "Heerlen",
                    "level": "land" if area == "NL01" else "wijk",
                }
            )
    return pd.DataFrame(rows)


# Three wijken, two indicators; i1 higher = worse, i2 higher = better.
#   i1: A 10, B 20, C 30; NL 20; SD 10           -> z = -1, 0, 1
#   i2: A 5, B 3, C 1;   NL 4;  SD 2 (higher better) -> z = -(x - 4) / 2 = -0.5, 0.5, 1.5
#   equal theme weights -> score = (-0.75, 0.25, 1.25)
SIMPLE = {
    "i1": {"NL01": 20.0, "WK091701": 10.0, "WK091702": 20.0, "WK091703": 30.0},
    "i2": {"NL01": 4.0, "WK091701": 5.0, "WK091702": 3.0, "WK091703": 1.0},
}


def _by_unit(res, col):
    return res.table.set_index("unit_code")[col]


def test_standardisation_and_direction_match_a_hand_computation():
    res = compute_need_index(_values(SIMPLE), _config(), n_boot=0)
    z = res.standardised
    assert_allclose(z["i1"].to_numpy(), [-1.0, 0.0, 1.0])
    assert_allclose(z["i2"].to_numpy(), [-0.5, 0.5, 1.5])
    score = _by_unit(res, "score")
    assert_allclose(score[["WK091701", "WK091702", "WK091703"]], [-0.75, 0.25, 1.25])
    assert _by_unit(res, "rank")[["WK091701", "WK091702", "WK091703"]].tolist() == [3, 2, 1]
    assert res.table["unit_code"].iloc[0] == "WK091703"


def test_z_scores_are_capped():
    vals = {
        "i1": {"NL01": 0.0, "WK091701": 100.0, "WK091702": 0.0, "WK091703": 1.0},
        "i2": SIMPLE["i2"],
    }
    res = compute_need_index(_values(vals), _config(standardisation={"z_cap": 1}), n_boot=0)
    assert res.standardised.abs().max().max() <= 1.0


def test_missing_indicator_is_reweighted_and_low_coverage_is_flagged_not_ranked():
    data = {"i1": dict(SIMPLE["i1"]), "i2": dict(SIMPLE["i2"])}
    data["i2"]["WK091703"] = np.nan
    res = compute_need_index(_values(data), _config(), n_boot=0)
    # i2 now from A=5, B=3 only: SD = sqrt(2); C's score is its i1 z-score alone.
    score, cov = _by_unit(res, "score"), _by_unit(res, "coverage")
    assert_allclose(score["WK091703"], 1.0)
    assert_allclose(score["WK091701"], (-1.0 - 1 / np.sqrt(2)) / 2)
    assert_allclose(cov[["WK091701", "WK091703"]], [1.0, 0.5])
    t = res.table.set_index("unit_code")
    assert bool(t.loc["WK091703", "low_coverage"]) and np.isnan(t.loc["WK091703", "rank"])
    assert t.loc[["WK091701", "WK091702"], "rank"].tolist() == [2, 1]
    assert t.loc["WK091703", "n_indicators"] == 1


def test_reference_year_is_latest_year_with_national_and_enough_unit_values():
    old = _values(SIMPLE, period=2022)
    new = _values({"i1": SIMPLE["i1"]}, period=2024)
    new.loc[new["area"] == "NL01", "value"] = np.nan  # no national value in 2024
    res = compute_need_index(pd.concat([old, new]), _config(), n_boot=0)
    assert res.indicators.set_index("indicator_id")["period"].to_dict() == {"i1": 2022, "i2": 2022}


def test_zero_width_intervals_collapse_rank_interval_to_point_rank():
    res = compute_need_index(_values(SIMPLE, se=0.0), _config(), n_boot=200, seed=1)
    t = res.table
    assert (t["rank_lower"] == t["rank"]).all()
    assert (t["rank_upper"] == t["rank"]).all()
    assert (t["rank_median"] == t["rank"]).all()


def test_bootstrap_rank_intervals_contain_the_true_rank_in_most_cases():
    rng = np.random.default_rng(7)
    n, se = 40, 1.0
    # True values 0.38 se apart; the composite of two indicators has se 0.5 (in units of
    # the indicator scale), so neighbouring units overlap and intervals span ~5 ranks.
    truth = np.linspace(0, 15, n)
    codes = [f"WK{917000 + i:06d}" for i in range(n)]
    hits = []
    for rep in range(5):
        obs1 = truth + rng.normal(0, se, n)
        obs2 = -truth + rng.normal(0, se, n)  # i2: higher is better -> same ordering
        data = {
            "i1": {"NL01": 20.0, **dict(zip(codes, obs1, strict=True))},
            "i2": {"NL01": -20.0, **dict(zip(codes, obs2, strict=True))},
        }
        res = compute_need_index(_values(data, se=se), _config(), n_boot=400, seed=rep)
        true_rank = pd.Series(np.arange(n, 0, -1), index=codes)  # highest truth = rank 1
        t = res.table.set_index("unit_code")
        lo, hi = t["rank_lower"], t["rank_upper"]
        hits.append(((lo <= true_rank[t.index]) & (true_rank[t.index] <= hi)).mean())
        assert (hi - lo).mean() > 2  # intervals are not degenerate
    assert np.mean(hits) >= 0.8


def test_sensitivity_shares_are_proportions_and_equal_weights_match_hand_computation():
    # Theme weights 3:1 make the weighted and the equal-weight ranking differ.
    #   i1 (higher worse): 10, 20, 30; NL 20; SD 10 -> z1 = -1, 0, 1
    #   i2 (higher worse): 7, 3, 2; NL 4; SD sqrt(7) -> z2 = 3, -1, -2 over sqrt(7)
    data = {
        "i1": SIMPLE["i1"],
        "i4": {"NL01": 4.0, "WK091701": 7.0, "WK091702": 3.0, "WK091703": 2.0},
    }
    cfg = _config(
        themes={"veiligheid": 3.0, "werken": 1.0},
        indicators=[
            {"id": "i1", "weight": 1, "direction": "higher_is_worse"},
            {"id": "i4", "weight": 1, "direction": "higher_is_worse"},
        ],
    )
    res = compute_need_index(_values(data), cfg, n_boot=0)
    z1 = np.array([-1.0, 0.0, 1.0])
    z2 = np.array([3.0, -1.0, -2.0]) / np.sqrt(7)
    assert_allclose(_by_unit(res, "score").sort_index(), (3 * z1 + z2) / 4)
    equal = (z1 + z2) / 2  # 0.067, -0.189, 0.122 -> ranks 2, 3, 1
    expected = pd.Series([2.0, 3.0, 1.0], index=["WK091701", "WK091702", "WK091703"])
    assert_allclose(np.argsort(np.argsort(-equal)) + 1, expected.to_numpy())
    sr = res.scenario_ranks
    assert sr["gelijke_gewichten"].sort_index().tolist() == expected.tolist()
    assert _by_unit(res, "rank_equal").sort_index().tolist() == expected.tolist()
    # Leave one theme out: only i4 ranks A first; only i1 ranks C first.
    assert sr["zonder_veiligheid"].sort_index().tolist() == [1, 2, 3]
    assert sr["zonder_werken"].sort_index().tolist() == [3, 2, 1]
    t = res.table.set_index("unit_code")
    assert t.loc["WK091701", ["rank_loto_best", "rank_loto_worst"]].tolist() == [1, 3]
    for col in ("share_top_n", "share_top_pct"):
        assert t[col].between(0, 1).all()
    assert_allclose(t["share_top_n"].sum(), 1.0)  # top_n = 1: one unit on top per scenario
    assert res.meta["n_scenarios"] == 1 + 2 + 50


def test_does_not_mutate_input():
    v = _values(SIMPLE, se=0.5)
    before = v.copy()
    compute_need_index(v, _config(), n_boot=20)
    pd.testing.assert_frame_equal(v, before)


def test_values_without_national_reference_are_rejected():
    v = _values(SIMPLE)
    with pytest.raises(ArgumentError, match="national reference 'NL01'"):
        compute_need_index(v[v["area"] != "NL01"], _config())


def test_bootstrap_is_fast_for_300_units_20_indicators_500_draws():
    rng = np.random.default_rng(0)
    n, k = 300, 20
    cat = Catalogue(themes=THEMES, indicators=[_ind(f"x{j}") for j in range(k)])
    cfg = parse_need_config(
        {
            "themes": {"veiligheid": 1.0},
            "indicators": [{"id": f"x{j}", "weight": 1, "direction": "higher_is_worse"} for j in range(k)],
        },
        cat,
    )  # fmt: skip
    codes = [f"BU{i:08d}" for i in range(n)] + ["NL01"]
    rows = pd.DataFrame(
        {
            "area": np.repeat(codes, k),
            "indicator_id": np.tile([f"x{j}" for j in range(k)], n + 1),
            "period": 2024,
            "value": rng.normal(10, 2, (n + 1) * k),
        }
    )
    rows["lower_ci"], rows["upper_ci"] = rows["value"] - 1, rows["value"] + 1
    t0 = time.perf_counter()
    res = compute_need_index(rows, cfg, n_boot=500)
    assert time.perf_counter() - t0 < 2.0
    assert res.table["rank"].notna().sum() == n


# ------------------------------------------------------------------ configuration


def test_neutral_indicator_needs_a_reason():
    with pytest.raises(InputError, match="polarity 'neutral'.*give a 'reason'"):
        _config(
            themes={"wonen": 1.0},
            indicators=[{"id": "i3", "weight": 1, "direction": "higher_is_worse"}],
        )


def test_direction_must_agree_with_catalogue_polarity():
    with pytest.raises(InputError, match="contradicts catalogue polarity 'lower_is_better'"):
        _config(indicators=[{"id": "i1", "weight": 1, "direction": "higher_is_better"}])


def test_unknown_indicator_is_rejected():
    with pytest.raises(InputError, match="'nope' is not in the catalogue"):
        _config(indicators=[{"id": "nope", "weight": 1, "direction": "higher_is_worse"}])


def test_project_config_loads_and_covers_the_five_core_themes(root):
    cfg = load_need_config(root / "data" / "catalogue" / "need_index.yml", load_catalogue())
    themes = set(cfg.indicators["theme"])
    assert {"veiligheid", "gezondheid", "leren", "werken", "wonen"} <= themes
    assert_allclose(cfg.indicators["weight"].sum(), 1.0)
    neutral = cfg.indicators[cfg.indicators["polarity"] == "neutral"]
    assert (neutral["reason"].str.len() > 20).all()


# ------------------------------------------------------------------ unit values


def _units() -> pd.DataFrame:
    rows = [
        ("NL01", "land", "Nederland", None, None, None),
        ("PV31", "provincie", "Limburg", None, None, None),
        ("GM0917", "gemeente", "Heerlen", "GM0917", None, "Zuid-Limburg"),
        ("WK091701", "wijk", "W1", "GM0917", "WK091701", "Zuid-Limburg"),
        ("WK091702", "wijk", "W2", "GM0917", "WK091702", "Zuid-Limburg"),
        ("WK091703", "wijk", "W3", "GM0917", "WK091703", "Zuid-Limburg"),
        ("BU09170101", "buurt", "B1", "GM0917", "WK091701", "Zuid-Limburg"),
        ("BU09170102", "buurt", "B2", "GM0917", "WK091701", "Zuid-Limburg"),
        ("BU09170201", "buurt", "B3", "GM0917", "WK091702", "Zuid-Limburg"),
        ("BU09170301", "buurt", "B4", "GM0917", "WK091703", "Zuid-Limburg"),
    ]
    return pd.DataFrame(
        rows, columns=["unit_code", "level", "name", "gemeente_code", "wijk_code", "region"]
    )


def _obs(rows) -> pd.DataFrame:
    df = pd.DataFrame(
        rows,
        columns=["unit_code", "indicator_id", "period", "numerator", "denominator", "value", "se"],
    )
    return df.astype({"period": "int64", "numerator": float, "denominator": float,
                      "value": float, "se": float})  # fmt: skip


def test_unit_values_treat_every_wijk_as_its_own_entity_with_wilson_ci():
    obs = _obs(
        [
            ("WK091701", "i1", 2024, 30, 200, None, None),
            ("WK091702", "i1", 2024, 10, 200, None, None),
            ("NL01", "i1", 2024, 1000, 10000, None, None),
            ("BU09170101", "i1", 2024, 20, 100, None, None),
        ]
    )
    v = unit_values(obs, _units(), _catalogue(), "wijk")
    assert set(v["area"]) == {"WK091701", "WK091702", "NL01"}
    r = v.set_index("area").loc["WK091701"]
    ci = wilson_ci(30, 200)
    assert_allclose(
        [r["value"], r["lower_ci"], r["upper_ci"]], [15, 100 * ci.lower, 100 * ci.upper]
    )
    assert r["name"] == "W1" and r["gemeente_name"] == "Heerlen"


def test_buurten_inherit_wijk_only_indicators_flagged():
    obs = _obs(
        [
            ("WK091701", "i4", 2024, 30, 200, None, None),
            ("NL01", "i4", 2024, 1000, 10000, None, None),
            ("BU09170101", "i1", 2024, 20, 100, None, None),
        ]
    )
    v = unit_values(obs, _units(), _catalogue(), "buurt")
    i4 = v[(v["indicator_id"] == "i4") & v["area"].str.startswith("BU")].set_index("area")
    assert sorted(i4.index) == ["BU09170101", "BU09170102"]
    assert_allclose(i4["value"], 15.0)
    assert i4["flags"].str.contains("inherited").all()
    v2 = unit_values(obs, _units(), _catalogue(), "buurt", inherit=False)
    assert not (v2["area"].str.startswith("BU") & (v2["indicator_id"] == "i4")).any()


# ------------------------------------------------------------------ areas and markdown


def _area(slug, units, kind="aandachtswijk", name=None):
    return AreaParams(
        slug=slug, name=name or slug.title(), kind=kind, municipality="GM0917", units=units,
        intervention_start=2024,
    )  # fmt: skip


def test_selected_areas_units_found_and_others_scoring_as_high_listed():
    res = compute_need_index(_values(SIMPLE, se=0.0), _config(), n_boot=50, units=_units())
    areas = [
        # wholly covers WK091702 (score 0.25, rank 2); WK091703 scores higher
        _area("testwijk", ["BU09170201"]),
        _area("halfwijk", ["BU09170101"], kind="dorpsaanpak"),
        _area("gemeente-x", ["GM0917"]).model_copy(update={"kind": "gemeente"}),
    ]
    sel = selected_area_ranks(res, areas)
    assert sel.members[["area", "unit_code"]].values.tolist() == [["testwijk", "WK091702"]]
    a = sel.areas.set_index("area")
    assert a.loc["halfwijk", "n_units"] == 0 and a.loc["halfwijk", "n_touched"] == 1
    assert "gemeente-x" not in a.index
    assert sel.reference["unit_code"] == "WK091702"
    o = sel.others.set_index("unit_code")
    assert list(o.index) == ["WK091703"] and o.loc["WK091703", "basis"] == "score"


def test_other_units_with_overlapping_rank_intervals_are_listed_as_interval():
    data = {
        "i1": {"NL01": 20.0, "WK091701": 19.0, "WK091702": 20.0, "WK091703": 30.0},
        "i2": {"NL01": 4.0, "WK091701": 3.2, "WK091702": 3.0, "WK091703": 1.0},
    }
    res = compute_need_index(_values(data, se=2.0), _config(), n_boot=300, units=_units())
    sel = selected_area_ranks(res, [_area("testwijk", ["BU09170201"])])
    o = sel.others.set_index("unit_code")
    assert o.loc["WK091701", "basis"] == "interval"


def test_buurt_level_maps_area_buurten_directly():
    bu = {"NL01": "NL01", "WK091701": "BU09170101", "WK091702": "BU09170201",
          "WK091703": "BU09170301"}  # fmt: skip
    data = {ind: {bu[c]: v for c, v in d.items()} for ind, d in SIMPLE.items()}
    v = _values(data)
    v["level"] = np.where(v["area"] == "NL01", "land", "buurt")
    res = compute_need_index(v, _config(), n_boot=0)
    sel = selected_area_ranks(res, [_area("testwijk", ["BU09170201", "BU09170301"])])
    assert sorted(sel.members["unit_code"]) == ["BU09170201", "BU09170301"]


def test_section_markdown_names_top_unit_escapes_names_and_writes_the_figure(tmp_path):
    names = {"WK091703": "Topwijk", "WK091702": "<script>alert(1)</script>", "WK091701": "W1"}
    res = compute_need_index(_values(SIMPLE, names=names), _config(), n_boot=20, units=_units())
    md = need_section_md(res, [_area("testwijk", ["BU09170201"])], tmp_path, "fig")
    assert "Topwijk" in md
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert (tmp_path / "need_ranks_wijk.png").exists()
    assert '](fig/need_ranks_wijk.png){#fig-need-ranks-wijk fig-alt="' in md
    headings = [ln for ln in md.splitlines() if ln.startswith("#")]
    assert headings and all(h.startswith("## ") for h in headings)
    assert "| Rang | Wijk | Gemeente | Score | Rang (90%-interval) | Dekking |" in md


@pytest.mark.parametrize("level", ["wijk"])
def test_demo_data_aandachtswijken_rank_high(root, level):
    from indicators.config import load_areas
    from indicators.sources import load_observations, load_units

    cat = load_catalogue()
    units = load_units()
    obs = load_observations(catalogue=cat, units=units)
    res = compute_need_index(
        unit_values(obs, units, cat, level), load_need_config(catalogue=cat), n_boot=50,
        units=units,
    )  # fmt: skip
    sel = selected_area_ranks(res, load_areas(root / "params"))
    best = sel.areas.set_index("area")["best_rank"]
    assert best["heerlen-noord"] <= 5 and best["kerkrade-oost"] <= 5
    assert res.table["rank"].notna().sum() == res.meta["n_ranked"] == len(res.table)


# ------------------------------------------------------------------ in the build (issue 7)


def test_build_need_index_is_compute_need_index_of_the_unit_values():
    cat = _catalogue()
    obs = _obs(
        [
            ("NL01", "i1", 2024, 1000, 10000, None, None),
            ("WK091701", "i1", 2024, 30, 100, None, None),
            ("WK091702", "i1", 2024, 10, 100, None, None),
            ("WK091703", "i1", 2024, 40, 100, None, None),
        ]
    )
    config = _config(
        themes={"veiligheid": 1.0},
        indicators=[{"id": "i1", "weight": 1, "direction": "higher_is_worse"}],
    )
    got = build_need_index(obs, _units(), cat, config=config, n_boot=30)
    want = compute_need_index(unit_values(obs, _units(), cat), config, n_boot=30, units=_units())
    pd.testing.assert_frame_equal(got.table, want.table)
    assert got.geography is not None


def test_build_need_index_without_enough_wijken_is_unavailable_with_a_dutch_reason():
    units = _units()
    units = units[~units["unit_code"].isin(["WK091702", "WK091703", "BU09170201", "BU09170301"])]
    obs = _obs([("NL01", "i1", 2024, 1000, 10000, None, None),
                ("WK091701", "i1", 2024, 30, 100, None, None)])  # fmt: skip
    res = build_need_index(obs, units, _catalogue(), config=_config(), n_boot=0)
    assert res.meta["unavailable"] == (
        "er zijn te weinig wijken met cijfers, of geen indicator heeft een referentiejaar en "
        "spreiding tussen de wijken"
    )
    assert "at least 2 units" in res.meta["error"]
    assert res.geography is units


def test_saved_need_index_loads_only_for_its_key(tmp_path):
    from indicators.need import load_need_index, save_need_index

    res = compute_need_index(_values(SIMPLE), _config(), n_boot=10, units=_units())
    path = save_need_index(res, tmp_path / "cache" / "need.pkl", key="abc")
    back = load_need_index(path, key="abc")
    pd.testing.assert_frame_equal(back.table, res.table)
    assert back.meta == res.meta
    assert load_need_index(path, key="other") is None
    assert load_need_index(tmp_path / "absent.pkl", key="abc") is None
    path.write_bytes(b"not a pickle")
    assert load_need_index(path, key="abc") is None


@pytest.mark.integration
def test_need_step_keeps_the_need_index_of_its_results_outside_them(tmp_path, root):
    from indicators.cache import code_closure, compute_code_roots, result_files
    from indicators.need import load_need_index, need_file, results_key
    from indicators.pipeline import Paths, compute_step, load_inputs, need_step

    paths = Paths.default(build_dir=tmp_path / "build")
    out = compute_step(paths, survey=False)
    assert not need_file(out).exists()  # the compute step does not make it (issue 7)
    path, made = need_step(paths)
    assert made and path == need_file(out)
    assert not any("need" in r for r in result_files(out))  # not an input of area reports
    saved = load_need_index(path, key=results_key(out))
    cat, _, units, obs = load_inputs(paths)
    pd.testing.assert_frame_equal(saved.table, build_need_index(obs, units, cat).table)
    assert need_step(paths) == (path, False)  # up to date for the same results
    assert need_step(paths, force=True) == (path, True)
    # The compute step runs neither the need index nor presentation code, so a chart
    # change does not rerun it.
    closure = code_closure(compute_code_roots(), stop=frozenset())
    assert not {"indicators.present.need", "indicators.present.cap"} & set(closure)


def test_saved_need_key_is_read_without_the_index(tmp_path):
    from indicators.need import save_need_index, saved_need_key

    res = compute_need_index(_values(SIMPLE), _config(), n_boot=10, units=_units())
    path = save_need_index(res, tmp_path / "need.pkl", key="k1")
    assert saved_need_key(path) == "k1"
    assert saved_need_key(tmp_path / "absent.pkl") is None


@pytest.mark.integration
def test_only_builds_with_the_province_report_compute_the_need_index(tmp_path):
    from indicators import cache
    from indicators.need import need_file
    from indicators.pipeline import Paths

    paths = Paths.default(build_dir=tmp_path / "build", output_dir=tmp_path / "out")
    r = cache.build(["neer"], paths=paths, engine="builtin", jobs=1, province=False)
    assert not r.failed, [o.error for o in r.failed]
    assert not need_file(paths.build_dir / "compute").exists()
    assert not any(s.id == "need" for s in r.steps)
    dry = cache.build(["neer"], paths=paths, engine="builtin", province=True, dry_run=True)
    assert "need index: provincie is rebuilt" in dry.lines()
    assert not need_file(paths.build_dir / "compute").exists()  # a dry run computes nothing
