"""Trend-break evidence for all areas: config, gaps, ITS, targets, DiD, storage, report text."""

from __future__ import annotations

import dataclasses
import re
import time

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from indicators.compute import Results, add_statistics
from indicators.config import AreaSet, load_areas, load_catalogue
from indicators.exceptions import InputError
from indicators.present.trendbreak import area_trendbreak_md, province_trendbreak_md
from indicators.store import load_results
from indicators.trendbreak import (
    TRENDBREAK_TABLES,
    TrendBreakResults,
    compute_trendbreak,
    load_trendbreak_config,
    parse_trendbreak_config,
)

REGION = "region:zuid-limburg"
CATALOGUE = load_catalogue()


def _raw(indicators=None, **kw) -> dict:
    raw = {
        "programme": "Trendbreuk Zuid-Limburg",
        "region": REGION,
        "national": "NL01",
        "reference": "rest_of_nl",
        "area_reference": "nl",
        "area_kinds": ["aandachtswijk", "dorpsaanpak"],
        "gap_kind": "difference",
        "start_year": 2018,
        "target_year": 2030,
        "fraction": 0.25,
        "confidence": 0.95,
        "se_method": "ols",
        "min_pre_points": 4,
        "min_post_points": 3,
        "indicators": indicators
        or [
            {
                "id": "netto_arbeidsparticipatie",
                "domain_nl": "Arbeidsparticipatie",
                "direction": "higher_is_better",
                "unit_short": "procentpunt",
            }
        ],
    }
    raw.update(kw)
    return raw


def _config(**kw):
    return parse_trendbreak_config(_raw(**kw), CATALOGUE, source="trendbreak.yml")


def _results(rows: list[dict]) -> Results:
    """Results from aggregated rows (area, indicator_id, period, numerator, denominator[, value_raw, se])."""
    agg = pd.DataFrame(rows)
    for col in ("value_raw", "se"):
        if col not in agg.columns:
            agg[col] = np.nan
    agg["n_units"] = agg["n_expected"] = 1
    values = add_statistics(agg, CATALOGUE)
    names = {"NL01": "Nederland", REGION: "Zuid-Limburg"}
    areas = pd.DataFrame({"area": sorted(set(agg["area"]))})
    areas["name"] = areas["area"].map(names).fillna(areas["area"])
    return Results(values=values, summary=pd.DataFrame(), areas=areas)


NO_AREAS = AreaSet(areas={}, paths={})


def _participation(
    slope_change: float, seed: int = 1, years=range(2010, 2025), shift: dict | None = None
) -> Results:
    """Region behind the rest of NL by 6 pp, changing by ``slope_change`` pp/year from 2018.

    ``shift`` ({year: pp}) adds a step to the backlog from that year on (a data break).
    """
    rng = np.random.default_rng(seed)
    rows = []
    den_reg, den_rest = 500_000, 9_500_000
    for t in years:
        p_rest = 0.66 + 0.002 * (t - 2010)
        backlog = 6.0 + slope_change * max(0, t - 2018) + rng.normal(0, 0.05)
        backlog += sum(v for y, v in (shift or {}).items() if t >= y)
        p_reg = p_rest - backlog / 100
        n_reg, n_rest = round(p_reg * den_reg), round(p_rest * den_rest)
        ind = "netto_arbeidsparticipatie"
        rows.append(dict(area=REGION, indicator_id=ind, period=t, numerator=n_reg,
                         denominator=den_reg))  # fmt: skip
        rows.append(dict(area="NL01", indicator_id=ind, period=t, numerator=n_reg + n_rest,
                         denominator=den_reg + den_rest))  # fmt: skip
    return _results(rows)


# --------------------------------------------------------------------------- config


def test_shipped_config_is_valid():
    cfg = load_trendbreak_config(catalogue=CATALOGUE)
    assert cfg.start_year == 2018 and cfg.target_year == 2030 and cfg.fraction == 0.25
    assert {"levensverwachting", "roken", "kinderen_armoede"} <= set(cfg.by_id)
    for spec in cfg.indicators:
        polarity = CATALOGUE.by_id[spec.id].polarity
        assert cfg.sign(spec.id) == (1.0 if polarity == "lower_is_better" else -1.0)


def test_minimum_points_default_to_four_before_three_after():
    raw = _raw()
    del raw["min_pre_points"], raw["min_post_points"]
    cfg = parse_trendbreak_config(raw, CATALOGUE)
    assert (cfg.min_pre_points, cfg.min_post_points) == (4, 3)
    shipped = load_trendbreak_config(catalogue=CATALOGUE)
    assert (shipped.min_pre_points, shipped.min_post_points) == (4, 3)


def test_shipped_config_labels_model_estimates_and_declares_breaks():
    cfg = load_trendbreak_config(catalogue=CATALOGUE)
    model = {s.id for s in cfg.indicators if s.model_estimate}
    assert model == {"ervaren_gezondheid_goed", "roken", "overgewicht"}
    assert all("SMAP" in cfg.by_id[i].estimate_note_nl for i in model)
    assert [b.year for b in cfg.by_id["tienermoeders"].breaks] == [2016]


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"min_pre_points": 2}, "key 'min_pre_points'", "greater than or equal to 3"),
        (
            {"indicators": [{"id": "roken", "domain_nl": "R", "direction": "higher_is_worse",
                             "model_estimate": True}]},
            "key 'indicators.0.estimate_note_nl'",
            "say which model",
        ),
        (
            {"indicators": [{"id": "roken", "domain_nl": "R", "direction": "higher_is_worse",
                             "breaks": [{"year": 2016, "reason_nl": "a"},
                                        {"year": 2016, "reason_nl": "b"}]}]},
            "key 'indicators.0.breaks.1.year'",
            "duplicate data break 2016",
        ),
        (
            {"indicators": [{"id": "roken", "domain_nl": "R", "direction": "higher_is_worse",
                             "breaks": [{"year": 2016, "reason_nl": ""}]}]},
            "key 'indicators.0.breaks.0.reason_nl'",
            "at least 1 character",
        ),
    ],
)  # fmt: skip
def test_honesty_config_errors(tmp_path, change, key, message):
    import yaml

    path = tmp_path / "trendbreak.yml"
    path.write_text(yaml.safe_dump(_raw(**change)), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(key)) as err:
        load_trendbreak_config(path, catalogue=CATALOGUE)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"colour": "red"}, "key 'colour'", "unknown key"),
        ({"fraction": 1.5}, "key 'fraction'", "less than or equal to 1"),
        ({"target_year": 2018}, "key 'target_year'", "must be after start_year"),
        (
            {
                "indicators": [
                    {"id": "roken", "domain_nl": "Roken", "direction": "higher_is_better"}
                ]
            },
            "key 'indicators.0.direction'",
            "contradicts catalogue polarity 'lower_is_better'",
        ),
        (
            {"indicators": [{"id": "nope", "domain_nl": "X", "direction": "higher_is_worse"}]},
            "key 'indicators.0.id'",
            "not in the catalogue",
        ),
        (
            {
                "indicators": [
                    {"id": "sociale_huur", "domain_nl": "X", "direction": "higher_is_worse"}
                ]
            },
            "key 'indicators.0.id'",
            "polarity 'neutral'",
        ),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, change, key, message):
    import yaml

    path = tmp_path / "trendbreak.yml"
    path.write_text(yaml.safe_dump(_raw(**change)), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(key)) as err:
        load_trendbreak_config(path, catalogue=CATALOGUE)
    assert str(path) in str(err.value)
    assert message in str(err.value)


# --------------------------------------------------------------------------- region


def test_rest_of_nl_difference_by_hand():
    # Participation (higher is better): region 150/1000, NL 1000/10000, so the
    # rest of NL is 850/9000 = 9.444% and the oriented gap rest - region < 0.
    # Life expectancy (weighted mean, weights in millions): rest = (17*80 - 0.6*79) / 16.4.
    rows = [
        dict(area=REGION, indicator_id="netto_arbeidsparticipatie", period=2020, numerator=150,
             denominator=1000),
        dict(area="NL01", indicator_id="netto_arbeidsparticipatie", period=2020, numerator=1000,
             denominator=10000),
        dict(area=REGION, indicator_id="levensverwachting", period=2020, numerator=np.nan,
             denominator=600_000, value_raw=79.0, se=0.3),
        dict(area="NL01", indicator_id="levensverwachting", period=2020, numerator=np.nan,
             denominator=17_000_000, value_raw=80.0, se=0.1),
    ]  # fmt: skip
    cfg = _config(
        indicators=[
            {"id": "netto_arbeidsparticipatie", "domain_nl": "A", "direction": "higher_is_better"},
            {"id": "levensverwachting", "domain_nl": "L", "direction": "higher_is_better"},
        ]
    )
    tb = compute_trendbreak(_results(rows), CATALOGUE, NO_AREAS, cfg)
    g = tb.gaps.set_index("indicator_id")
    assert_allclose(g.loc["netto_arbeidsparticipatie", "reference_value"], 850 / 9000 * 100)
    assert_allclose(g.loc["netto_arbeidsparticipatie", "gap"], 850 / 9000 * 100 - 15.0)
    rest_le = (17 * 80.0 - 0.6 * 79.0) / 16.4
    assert_allclose(g.loc["levensverwachting", "reference_value"], rest_le)
    assert_allclose(g.loc["levensverwachting", "gap"], rest_le - 79.0)  # backlog ~1.04 year
    assert (g["reference"] == "rest_nl").all()
    assert (g["lower"] <= g["gap"]).all() and (g["gap"] <= g["upper"]).all()


def test_closing_gap_slope_change_and_on_track():
    tb = compute_trendbreak(_participation(-0.3), CATALOGUE, NO_AREAS, _config())
    its = tb.its[(tb.its["primary"]) & (tb.its["term"] == "slope_change")].iloc[0]
    assert its["se_method"] == "ols" and its["method"] == "segmented_ols"
    assert abs(its["estimate"] - (-0.3)) < 0.05
    assert its["lower"] < -0.3 < its["upper"]
    t = tb.targets.iloc[0]
    assert t["verdict_code"] == "on_track" and t["verdict_nl"] == "op koers"
    assert_allclose(t["required_gap"], 0.75 * t["start_gap"])
    d = tb.diagnostics.iloc[0]
    assert d["n"] == 15 and d["n_pre"] == 8 and d["n_post"] == 7
    assert 0 < d["durbin_watson"] < 4 and 0 <= d["bg_p_value"] <= 1
    cf = tb.counterfactual
    assert cf.loc[cf["post"], "lower"].notna().all() and cf.loc[~cf["post"], "lower"].isna().all()
    # The counterfactual keeps the old (flat) backlog; the fit follows the closing gap.
    last = cf.iloc[-1]
    assert last["counterfactual"] > last["fitted"] + 1.5
    assert tb.trajectory["period"].min() == 2018 and tb.trajectory["period"].max() == 2030


def test_widening_gap_is_off_track():
    tb = compute_trendbreak(_participation(+0.3), CATALOGUE, NO_AREAS, _config())
    t = tb.targets.iloc[0]
    assert t["verdict_code"] == "off_track" and t["verdict_nl"] == "niet op koers"
    slope = tb.its[(tb.its["primary"]) & (tb.its["term"] == "slope_change")]["estimate"].iloc[0]
    assert abs(slope - 0.3) < 0.05


def test_survey_series_not_assessable_without_its():
    rows = []
    for t in (2012, 2016, 2020, 2024):
        rows.append(dict(area=REGION, indicator_id="roken", period=t, numerator=2600,
                         denominator=10000))  # fmt: skip
        rows.append(dict(area="NL01", indicator_id="roken", period=t, numerator=22000,
                         denominator=100000))  # fmt: skip
    cfg = _config(
        indicators=[{"id": "roken", "domain_nl": "Roken", "direction": "higher_is_worse"}]
    )
    tb = compute_trendbreak(_results(rows), CATALOGUE, NO_AREAS, cfg)
    assert len(tb.gaps) == 4 and tb.its.empty and tb.diagnostics.empty
    t = tb.targets.iloc[0]
    assert t["verdict_nl"] == "nog niet te beoordelen"
    assert "Te weinig meetpunten" in t["reason_nl"] and "2012, 2016, 2020 en 2024" in t["reason_nl"]
    st = tb.status.set_index("analysis")
    assert st.loc["its", "status"] == "not_annual"
    assert "te weinig meetpunten" in st.loc["its", "reason_nl"]


def _slope(tb, area=REGION):
    r = tb.its[(tb.its["area"] == area) & tb.its["primary"] & (tb.its["term"] == "slope_change")]
    return r.iloc[0] if len(r) else None


@pytest.mark.parametrize(
    ("years", "code", "text"),
    [
        (range(2015, 2025), "too_few_pre", "te weinig meetpunten vóór de start (3;"),
        (range(2010, 2021), "too_few_post", "te weinig meetpunten na de start (2)"),
    ],
)
def test_too_few_points_gives_no_number_and_says_why(tmp_path, years, code, text):
    tb = compute_trendbreak(_participation(-0.3, years=years), CATALOGUE, NO_AREAS, _config())
    assert tb.its.empty and tb.diagnostics.empty and tb.counterfactual.empty
    st = tb.status.set_index("analysis").loc["its"]
    assert st["status"] == code
    assert st["reason_nl"].startswith(text)
    assert "minstens 4 jaarlijkse metingen vóór 2018 en 3 na 2018" in st["reason_nl"]
    md = province_trendbreak_md(tb, CATALOGUE, tmp_path, "f")
    # two tables of the same rows (seven columns did not fit a PDF page): the gap, then
    # the trend break and the verdict
    rows = [line for line in md.splitlines() if line.startswith("| Arbeidsparticipatie")]
    assert len(rows) == 2 and [r.count("|") - 1 for r in rows] == [5, 4]
    assert rows[0].rstrip(" |").endswith(str(max(years)))  # the latest year, own column
    cells = [c.strip() for c in rows[1].strip("|").split("|")]
    assert cells[1] == "." and cells[2] == "geen schatting"  # no slope change, no interval
    assert "Een trendbreukschatting is (nog) niet mogelijk: " + text in md
    # Configurable: with 3 points before the start the same data do get an estimate.
    if code == "too_few_pre":
        tb3 = compute_trendbreak(
            _participation(-0.3, years=years), CATALOGUE, NO_AREAS, _config(min_pre_points=3)
        )
        assert _slope(tb3) is not None


def _break_config(*years, areas=None):
    return _config(
        indicators=[
            {
                "id": "netto_arbeidsparticipatie", "domain_nl": "Arbeidsparticipatie",
                "direction": "higher_is_better", "unit_short": "procentpunt",
                "breaks": [{"year": y, "kind": "definitie", "reason_nl": f"nieuwe enquête {y}",
                            **({"areas": areas} if areas else {})} for y in years],
            }
        ]
    )  # fmt: skip


def test_data_break_before_start_fits_only_the_segment_after_it(tmp_path):
    # A 3 pp step in 2013 from a definition change; the true slope change is -0.3.
    res = _participation(-0.3, shift={2013: -3.0})
    naive = compute_trendbreak(res, CATALOGUE, NO_AREAS, _config())
    tb = compute_trendbreak(res, CATALOGUE, NO_AREAS, _break_config(2013))
    d = tb.diagnostics.iloc[0]
    assert (d["first_period"], d["last_period"], d["n"], d["n_pre"]) == (2013, 2024, 12, 5)
    assert abs(_slope(tb)["estimate"] - (-0.3)) < 0.05
    assert abs(_slope(naive)["estimate"] - (-0.3)) > 0.1  # fitted across the step: biased
    st = tb.status.set_index("analysis").loc["its"]
    assert st["status"] == "ok" and "Databreuk in 2013" in st["reason_nl"]
    assert tb.counterfactual["period"].min() == 2013
    assert tb.breaks[["area", "indicator_id", "year"]].values.tolist() == [
        [REGION, "netto_arbeidsparticipatie", 2013]
    ]
    md = province_trendbreak_md(tb, CATALOGUE, tmp_path, "f")
    assert "**Databreuken.**" in md and "databreuk in 2013 (andere definitie): nieuwe enquête" in md
    assert "databreuk in 2013" in _alts(md)[0][1]  # marker described in the chart's alt text


def test_data_break_after_start_or_in_start_year_gives_no_estimate():
    res = _participation(-0.3)
    after = compute_trendbreak(res, CATALOGUE, NO_AREAS, _break_config(2020))
    st = after.status.set_index("analysis")
    assert after.its.empty and st.loc["its", "status"] == "too_few_post"
    assert "Databreuk in 2020" in st.loc["its", "reason_nl"]
    assert "2010–2019" in st.loc["its", "reason_nl"]
    # The target's trend since 2018 would cross the 2020 break.
    assert st.loc["target", "status"] == "data_break"
    assert after.targets.iloc[0]["verdict_nl"] == "nog niet te beoordelen"
    same = compute_trendbreak(res, CATALOGUE, NO_AREAS, _break_config(2018))
    st = same.status.set_index("analysis").loc["its"]
    assert same.its.empty and st["status"] == "data_break"
    assert "valt in het startjaar" in st["reason_nl"]
    # A break declared for another entity does not apply to the region.
    other = compute_trendbreak(res, CATALOGUE, NO_AREAS, _break_config(2020, areas=["neer"]))
    assert not other.its.empty and other.breaks.empty


def test_does_not_mutate_results():
    res = _participation(-0.3)
    before = res.values.copy()
    compute_trendbreak(res, CATALOGUE, NO_AREAS, _config())
    pd.testing.assert_frame_equal(res.values, before)


# --------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from indicators.pipeline import Paths, compute_step

    build = tmp_path_factory.mktemp("build")
    results_dir = compute_step(Paths.default(build_dir=build))
    results = load_results(results_dir)
    areas = load_areas()
    cfg = load_trendbreak_config(catalogue=CATALOGUE)
    t0 = time.perf_counter()
    tb = compute_trendbreak(results, CATALOGUE, areas, cfg)
    elapsed = time.perf_counter() - t0
    return {"tb": tb, "areas": areas, "results_dir": results_dir, "elapsed": elapsed}


def test_demo_runs_fast(demo):
    assert demo["elapsed"] < 5.0, f"compute_trendbreak took {demo['elapsed']:.1f} s"


def test_every_area_approach_has_a_verdict_or_a_reason(demo):
    tb, areas = demo["tb"], demo["areas"]
    slugs = [a.slug for a in areas if a.kind in ("aandachtswijk", "dorpsaanpak")]
    assert set(tb.entities["area"]) == set(slugs) | {REGION}
    for slug in slugs:
        t = tb.targets[tb.targets["area"] == slug]
        assert len(t), slug
        assert (t["verdict_nl"] != "").all() and (t["reason_nl"] != "").all(), slug
        st = tb.status[tb.status["area"] == slug]
        assert set(st["analysis"]) == {"its", "target", "did"}
        assert (st.loc[st["status"] != "ok", "reason_nl"] != "").all(), slug
    # Heerlen-Noord started in 2024, like all its comparison areas.
    hn = tb.status[(tb.status["area"] == "heerlen-noord")].set_index(["indicator_id", "analysis"])
    assert hn.loc[("jeugdzorg", "its"), "reason_nl"].startswith("te weinig meetpunten na de start")
    assert hn.loc[("jeugdzorg", "did"), "status"] == "no_clean_comparison"


def test_did_uses_only_clean_comparisons(demo):
    tb, areas = demo["tb"], demo["areas"]
    assert len(tb.did) and len(tb.event_study)
    for r in tb.did.itertuples():
        start = areas[r.area].intervention_start
        for c in r.comparison_areas.split(";"):
            assert areas[c].intervention_start > start
            assert r.window_end < areas[c].intervention_start
        es = tb.event_study[
            (tb.event_study["area"] == r.area) & (tb.event_study["indicator_id"] == r.indicator_id)
        ]
        ref = es[es["reference"]]
        assert len(ref) == 1 and ref["relative_period"].iloc[0] == -1
        assert ref["period"].iloc[0] == start - 1 and ref["estimate"].iloc[0] == 0


def test_region_verdicts_on_demo(demo):
    t = demo["tb"].targets[demo["tb"].targets["area"] == REGION].set_index("indicator_id")
    assert set(t["verdict_code"]) <= {"on_track", "off_track", "not_assessable"}
    for ind in ("roken", "overgewicht", "ervaren_gezondheid_goed"):
        assert t.loc[ind, "verdict_nl"] == "nog niet te beoordelen"
    assert t.loc["levensverwachting", "status"] == "ok"


def test_demo_generated_trend_break_found_for_donderberg_not_for_venlo(demo, tmp_path):
    # data/demo has one generated break: Donderberg (start 2017) participation +1.0 pp/year
    # after 2017 (indicators.demo.TREND_BREAKS); Vastenavondkamp-Blerick (2019) has none.
    tb = demo["tb"]
    its = tb.its[tb.its["primary"] & (tb.its["term"] == "slope_change")]
    don = its[its["area"] == "roermond-donderberg"].set_index("indicator_id")
    part = don.loc["netto_arbeidsparticipatie"]
    assert part["upper"] < 0  # the gap closes faster after 2017
    assert part["lower"] < -1.0 < part["upper"]  # the generated -1.0 pp/year is covered
    venlo = its[its["area"] == "venlo-vastenavondkamp-blerick"]
    assert len(venlo) >= 2 and ((venlo["lower"] < 0) & (venlo["upper"] > 0)).all()

    def row(md: str, label: str) -> str:  # the ITS table row: "13 (5/8)" points
        rows = [r for r in md.splitlines() if r.startswith(f"| {label} |")]
        return next(r for r in rows if "/" in r.split("|")[2])

    md_don = area_trendbreak_md(tb, "roermond-donderberg", CATALOGUE, tmp_path, "f")
    assert "trendbreuk: kloof wordt sneller kleiner" in row(md_don, "Arbeidsparticipatie")
    md_venlo = area_trendbreak_md(tb, "venlo-vastenavondkamp-blerick", CATALOGUE, tmp_path, "f")
    assert "geen trendbreuk aangetoond" in row(md_venlo, "Arbeidsparticipatie")
    assert "trendbreuk: kloof wordt sneller kleiner" not in md_venlo


def test_demo_labels_model_estimates_and_shows_the_data_break(demo, tmp_path):
    tb = demo["tb"]
    g = tb.gaps.drop_duplicates("indicator_id").set_index("indicator_id")["model_estimate"]
    assert g["roken"] and g["overgewicht"] and g["ervaren_gezondheid_goed"]
    assert not g["netto_arbeidsparticipatie"] and not g["levensverwachting"]
    md = province_trendbreak_md(tb, CATALOGUE, tmp_path, "f")
    for label in ("Ervaren gezondheid (modelschatting)", "Leefstijl (roken; modelschatting)"):
        assert f"| {label} |" in md  # table
        assert label in _alts(md)[0][1]  # chart panel (alt text)
    assert "**Modelschattingen.**" in md and "SMAP" in md
    assert "Tienerzwangerschap**: databreuk in 2016" in md
    st = tb.status.set_index(["area", "indicator_id", "analysis"])
    assert st.loc[(REGION, "tienermoeders", "its"), "status"] == "too_few_pre"
    assert "databreuk" in st.loc[(REGION, "tienermoeders", "its"), "reason_nl"]
    area_md = area_trendbreak_md(tb, "heerlen-noord", CATALOGUE, tmp_path, "f")
    assert "| Leefstijl (roken; modelschatting) |" in area_md


def test_save_load_round_trip_is_exact(demo, tmp_path):
    tb = demo["tb"]
    out = tb.save(tmp_path)
    assert out == tmp_path / "trendbreak"
    assert sorted(p.stem for p in out.glob("*.csv")) == sorted(TRENDBREAK_TABLES)
    back = TrendBreakResults.load(tmp_path)
    for name in TRENDBREAK_TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(tb, name), check_exact=True)
    assert back.meta == tb.meta
    # Deterministic: saving again gives the same bytes.
    first = {p.name: p.read_bytes() for p in out.glob("*.csv")}
    back.save(tmp_path)
    assert first == {p.name: p.read_bytes() for p in out.glob("*.csv")}


def test_typed_read_equals_the_general_path(demo, tmp_path):
    """load() lets read_csv type the columns; that must give what reading as text and
    conforming gives (the former load), also for rows out of order (a report's slice
    holds its own rows before its comparison areas') and for a file the typed read
    does not fit (a bool cell other than True/False, read as False as before)."""
    from indicators.trendbreak import _B, SCHEMAS, _conform, _read_table

    out = demo["tb"].save(tmp_path)

    def general(path, name):
        schema = SCHEMAS[name]
        df = pd.read_csv(
            path,
            dtype={c: str for c, k in schema if k in ("str", _B)},
            keep_default_na=False,
            na_values={c: [""] for c, k in schema if k == "float"},
        )
        return _conform(name, df)

    for name in TRENDBREAK_TABLES:
        path = out / f"{name}.csv"
        pd.testing.assert_frame_equal(
            _read_table(path, name), general(path, name), check_exact=True
        )
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if len(lines) > 3:  # reversed rows come back in the saved order
            path.write_text(lines[0] + "".join(reversed(lines[1:])), encoding="utf-8")
            got = _read_table(path, name)
            pd.testing.assert_frame_equal(got, general(path, name), check_exact=True)
            pd.testing.assert_frame_equal(got, demo["tb"].table(name), check_exact=True)
    bools = [n for n in TRENDBREAK_TABLES if any(k == _B for _, k in SCHEMAS[n])]
    name = bools[0]
    col = next(c for c, k in SCHEMAS[name] if k == _B)
    df = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
    df.loc[df.index[0], col] = ""
    df.to_csv(out / f"{name}.csv", index=False)
    got = _read_table(out / f"{name}.csv", name)
    pd.testing.assert_frame_equal(got, general(out / f"{name}.csv", name), check_exact=True)
    assert got[col].dtype == bool and (~got[col]).sum() >= 1


# --------------------------------------------------------------------------- report text


def _alts(md: str) -> list[tuple[str, str]]:
    return re.findall(r"\]\(([^)]+\.png)\)\{#fig-tb-[a-z-]+ fig-alt=\"([^\"]+)\"\}", md)


def test_province_chapter_and_chart(demo, tmp_path):
    md = province_trendbreak_md(demo["tb"], CATALOGUE, tmp_path, "figs")
    assert md.startswith("## ") and "\n# " not in md
    assert "nog niet te beoordelen" in md and "Durbin-Watson" in md
    assert "bij benadering" in md
    figs = _alts(md)
    assert len(figs) == 1
    path, alt = figs[0]
    assert path == "figs/trendbreak-gaps.png" and (tmp_path / "trendbreak-gaps.png").stat().st_size
    assert "Levensverwachting" in alt and "oordeel" in alt


def test_area_section_with_event_study(demo, tmp_path):
    md = area_trendbreak_md(demo["tb"], "venlo-vastenavondkamp-blerick", CATALOGUE, tmp_path, "f")
    assert md.startswith("## ") and "Placebo-p" in md
    figs = _alts(md)
    assert [p for p, _ in figs] == ["f/trendbreak-event-study.png"]
    assert (tmp_path / "trendbreak-event-study.png").stat().st_size > 0
    assert "ten opzichte van de start" in figs[0][1]


def test_area_section_states_reasons(demo, tmp_path):
    md = area_trendbreak_md(demo["tb"], "heerlen-noord", CATALOGUE, tmp_path, "f")
    assert "te weinig meetpunten na de start (0)" in md
    assert "geen onbehandelde vergelijkingsgroep" in md
    assert not list(tmp_path.glob("*.png"))


def test_markdown_escapes_names(demo, tmp_path):
    tb = demo["tb"]
    evil = "<script>alert(1)</script>"
    ent = tb.entities.copy()
    ent.loc[ent["area"].isin([REGION, "venlo-vastenavondkamp-blerick",
                              "beesel-reuver-offenbeek"]), "name"] = evil  # fmt: skip
    bad = dataclasses.replace(tb, entities=ent)
    md = province_trendbreak_md(bad, CATALOGUE, tmp_path, "f") + area_trendbreak_md(
        bad, "venlo-vastenavondkamp-blerick", CATALOGUE, tmp_path, "f"
    )
    assert "<script>" not in md
    assert "&lt;script&gt;" in md
