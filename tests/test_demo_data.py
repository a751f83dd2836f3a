"""Tests of the synthetic demo data, the indicator catalogue and the area params files."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from indicators import demo

DATA = demo.data_dir()
DEMO = DATA / "demo"
PARAMS = DATA.parent / "params"
FILES = ("units.csv", "observations.csv", "README.md")

# Real CBS population on 1 January 2019 (Kerncijfers wijken en buurten 2019).
REAL_POP_2019 = {
    "GM0882": 37591, "GM0888": 15929, "GM0889": 13519, "GM0893": 13140, "GM0899": 28103,
    "GM0907": 17071, "GM0917": 86832, "GM0928": 45642, "GM0935": 121565, "GM0938": 18923,
    "GM0944": 7806, "GM0946": 17001, "GM0957": 58209, "GM0965": 10516, "GM0971": 24961,
    "GM0981": 10092, "GM0983": 101603, "GM0984": 43326, "GM0986": 12452, "GM0988": 49842,
    "GM0994": 16470, "GM1507": 42291, "GM1640": 35681, "GM1641": 23716, "GM1669": 20615,
    "GM1711": 31638, "GM1729": 14246, "GM1883": 92661, "GM1894": 43311, "GM1903": 25658,
    "GM1954": 35727,
}  # fmt: skip
NAMES = {"GM0889": "Beesel", "GM0917": "Heerlen", "GM0928": "Kerkrade", "GM1954": "Beekdaelen"}
REGIONS = {
    "Noord-Limburg": {
        "GM0889",
        "GM0893",
        "GM0907",
        "GM1507",
        "GM0944",
        "GM1894",
        "GM0983",
        "GM0984",
    },
    "Midden-Limburg": {"GM1711", "GM1640", "GM1641", "GM0946", "GM1669", "GM0957", "GM0988"},
}
CATALOGUE_KEYS = {
    "id", "label_nl", "label_en", "theme", "unit", "value_type", "multiplier", "polarity",
    "definition", "source", "ci_method", "aggregation", "min_count", "min_denominator",
    "frequency", "lowest_level",
}  # fmt: skip
THEMES = {
    "veiligheid", "gezondheid", "leren", "werken", "wonen", "leefbaarheid", "sociale_samenhang",
}  # fmt: skip
PARAMS_KEYS = [
    "slug", "name", "kind", "municipality", "units", "comparison_areas",
    "intervention_start", "language", "description",
]  # fmt: skip
AANDACHTSWIJKEN = {
    "beesel-reuver-offenbeek", "heerlen-noord", "kerkrade-oost", "maastricht-pottenberg-nazareth",
    "roermond-donderberg", "sittard-geleen-geleen-zuid", "vaals-vallisveld",
    "venlo-vastenavondkamp-blerick",
}  # fmt: skip
LEVEL_RANK = {"buurt": 0, "wijk": 1, "gemeente": 2, "provincie": 3, "land": 4}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    first = tmp_path_factory.mktemp("demo1")
    second = tmp_path_factory.mktemp("demo2")
    demo.generate(first)
    demo.generate(second)
    return first, second


@pytest.fixture(scope="module")
def units():
    return pd.read_csv(DEMO / "units.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def obs(units):
    o = pd.read_csv(
        DEMO / "observations.csv",
        dtype={"unit_code": str, "indicator_id": str, "numerator": "Int64", "denominator": "Int64"},
    )
    return o.merge(units[["unit_code", "level", "gemeente_code", "wijk_code"]], on="unit_code")


@pytest.fixture(scope="module")
def catalogue():
    with open(DATA / "catalogue" / "indicators.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def entries(catalogue):
    return {e["id"]: e for e in catalogue["indicators"]}


@pytest.fixture(scope="module")
def params():
    out = {}
    for p in sorted(PARAMS.glob("*.yml")):
        with open(p, encoding="utf-8") as fh:
            out[p.stem] = yaml.safe_load(fh)
    return out


# --------------------------------------------------------------------- determinism
def test_generation_is_deterministic(generated):
    first, second = generated
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_committed_files_equal_generated(generated):
    first, _ = generated
    for name in FILES:
        assert (DEMO / name).read_bytes() == (first / name).read_bytes(), (
            f"data/demo/{name} differs from the generator output: run `make demo-data` "
            "and do not edit the demo data by hand"
        )


def test_size_and_readme():
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert total < 10 * 1024 * 1024
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "Synthetisch" in readme
    assert "geen echte cijfers" in readme
    assert "CC BY 4.0" in readme


# --------------------------------------------------------------------------- units
def test_units(units):
    assert list(units.columns) == [
        "unit_code",
        "level",
        "name",
        "gemeente_code",
        "wijk_code",
        "region",
    ]
    assert units["unit_code"].is_unique
    assert set(units["level"]) == {"land", "provincie", "gemeente", "wijk", "buurt"}
    gm = units[units["level"] == "gemeente"].set_index("unit_code")
    assert set(gm.index) == set(REAL_POP_2019)
    assert (gm["name"] != "").all()
    for code, name in NAMES.items():
        assert gm.loc[code, "name"] == name
    for region, codes in REGIONS.items():
        assert set(gm.index[gm["region"] == region]) == codes
    assert (gm["region"] == "Zuid-Limburg").sum() == 16
    wk = units[units["level"] == "wijk"]
    bu = units[units["level"] == "buurt"]
    assert wk["unit_code"].str.fullmatch(r"WK\d{6}").all()
    assert bu["unit_code"].str.fullmatch(r"BU\d{8}").all()
    assert (wk["unit_code"].str[2:6] == wk["gemeente_code"].str[2:]).all()
    assert (bu["unit_code"].str[2:8] == bu["wijk_code"].str[2:]).all()
    assert set(bu["wijk_code"]) <= set(wk["unit_code"])
    assert 200 <= len(bu) <= 350


def test_population_2019_matches_cbs(obs):
    pop = obs[
        (obs["indicator_id"] == "aandeel_65plus")
        & (obs["period"] == 2019)
        & (obs["level"] == "gemeente")
    ].set_index("unit_code")["denominator"]
    for code, real in REAL_POP_2019.items():
        assert abs(pop[code] - real) <= 0.01 * real, code
    nl = obs[(obs["unit_code"] == "NL01") & (obs["indicator_id"] == "aandeel_65plus")]
    assert nl["denominator"].between(16_500_000, 18_500_000).all()


def test_heerlen_noord_and_small_buurten(obs, params):
    pop = obs[(obs["indicator_id"] == "aandeel_65plus") & (obs["period"] == 2019)]
    pop = pop.set_index("unit_code")["denominator"]
    hn = params["heerlen-noord"]["units"]
    assert len(hn) == 14
    assert 53_000 <= pop[hn].sum() <= 59_000
    buurt_pop = pop[pop.index.str.startswith("BU")]
    assert (buurt_pop < 100).sum() >= 2


# -------------------------------------------------------------------- observations
def test_observation_columns_and_counts(obs, entries):
    assert list(obs.columns[:7]) == [
        "unit_code",
        "indicator_id",
        "period",
        "numerator",
        "denominator",
        "value",
        "se",
    ]
    assert not obs.duplicated(["unit_code", "indicator_id", "period"]).any()
    assert obs["period"].between(2012, 2024).all()
    assert (obs["numerator"].dropna() >= 0).all()
    assert (obs["denominator"].dropna() >= 0).all()
    sums = obs["indicator_id"].map(lambda i: entries[i]["aggregation"] == "sum")
    assert obs.loc[sums, "value"].isna().all() and obs.loc[sums, "se"].isna().all()
    assert obs.loc[~sums, "numerator"].isna().all()
    assert obs.loc[~sums, "denominator"].notna().all()
    assert (obs["denominator"].dropna() > 0).all()
    # a few suppressed / missing cells, as empty fields
    assert obs.loc[sums & (obs["level"] == "buurt"), "numerator"].isna().sum() >= 5
    assert obs.loc[~sums & (obs["level"] == "buurt"), "value"].isna().sum() >= 2


def test_proportions_bounded(obs, entries):
    props = [i for i, e in entries.items() if e["value_type"] == "proportion"]
    s = obs[obs["indicator_id"].isin(props)].dropna(subset=["numerator", "denominator"])
    assert (s["numerator"] <= s["denominator"]).all()


def test_catalogue_and_observations_match(obs, entries):
    assert set(obs["indicator_id"]) == set(entries)
    for iid, e in entries.items():
        s = obs[obs["indicator_id"] == iid]
        ranks = s["level"].map(LEVEL_RANK)
        assert ranks.min() == LEVEL_RANK[e["lowest_level"]], iid
        assert {"PV31", "NL01"} <= set(s["unit_code"]), iid
        years = set(s["period"])
        if e["frequency"] == "biennial":
            assert all(y % 2 == 0 for y in years), iid
        elif e["frequency"] == "survey":
            assert years <= {2012, 2016, 2020, 2024}, iid
        assert len(years) >= 3, iid


def _children(units, level):
    """Map child unit code -> parent code for buurt->wijk, wijk->gemeente, gemeente->PV31."""
    u = units[units["level"] == level]
    if level == "buurt":
        return dict(zip(u["unit_code"], u["wijk_code"], strict=True))
    if level == "wijk":
        return dict(zip(u["unit_code"], u["gemeente_code"], strict=True))
    return dict.fromkeys(u["unit_code"], "PV31")


@pytest.mark.parametrize("level", ["buurt", "wijk", "gemeente"])
def test_sum_consistency(obs, units, entries, level):
    parent = _children(units, level)
    sums = [i for i, e in entries.items() if e["aggregation"] == "sum"]
    child = obs[(obs["level"] == level) & obs["indicator_id"].isin(sums)].copy()
    child["parent"] = child["unit_code"].map(parent)
    child["complete"] = child["numerator"].notna() & child["denominator"].notna()
    g = child.groupby(["parent", "indicator_id", "period"]).agg(
        num=("numerator", "sum"), den=("denominator", "sum"), complete=("complete", "all")
    )
    par = obs.set_index(["unit_code", "indicator_id", "period"])[["numerator", "denominator"]]
    m = g.join(par.rename_axis(["parent", "indicator_id", "period"]), how="inner")
    assert len(m) == len(g)
    full = m[m["complete"]]
    assert (full["num"] == full["numerator"]).all()
    assert (full["den"] == full["denominator"]).all()
    part = m[~m["complete"]]  # blanked buurt cells: parent holds the full count
    assert (part["num"] <= part["numerator"]).all()


@pytest.mark.parametrize("level", ["buurt", "wijk", "gemeente"])
def test_weighted_mean_consistency(obs, units, entries, level):
    parent = _children(units, level)
    wms = [i for i, e in entries.items() if e["aggregation"] == "weighted_mean"]
    child = obs[(obs["level"] == level) & obs["indicator_id"].isin(wms)].copy()
    child["parent"] = child["unit_code"].map(parent)
    child["w"] = child["denominator"].astype(float)
    child["vw"] = child["value"] * child["w"]
    child["complete"] = child["value"].notna()
    g = child.groupby(["parent", "indicator_id", "period"]).agg(
        vw=("vw", "sum"), w=("w", "sum"), complete=("complete", "all")
    )
    par = obs.set_index(["unit_code", "indicator_id", "period"])[["value", "denominator"]]
    m = g.join(par.rename_axis(["parent", "indicator_id", "period"]), how="inner")
    assert len(m) == len(g)
    assert (m["w"] == m["denominator"]).all()
    full = m[m["complete"]]
    rel = (full["vw"] / full["w"] - full["value"]).abs() / full["value"].abs().clip(lower=1)
    assert (rel < 2e-3).all()


def test_leefbaarometer_dimensions_sum_to_total(obs):
    lbm = obs[obs["indicator_id"].str.startswith("leefbaarometer_")]
    wide = lbm.pivot_table(index=["unit_code", "period"], columns="indicator_id", values="value")
    dims = [c for c in wide.columns if c != "leefbaarometer_totaal"]
    assert len(dims) == 5
    diff = (wide[dims].sum(axis=1) - wide["leefbaarometer_totaal"]).abs()
    assert (diff < 1e-3).all()
    aw = wide.loc[wide.index.get_level_values(0).str.startswith("NL"), "leefbaarometer_totaal"]
    assert aw.abs().max() < 0.05


def test_life_expectancy_gap_zuid_limburg(obs, units):
    zuid = set(units.loc[units["region"] == "Zuid-Limburg", "unit_code"]) & set(REAL_POP_2019)
    le = obs[obs["indicator_id"] == "levensverwachting"]
    nl = le[le["unit_code"] == "NL01"].set_index("period")["value"]
    assert nl.loc[2012] == pytest.approx(81.2, abs=0.15)
    assert nl.loc[2024] == pytest.approx(81.9, abs=0.15)
    assert nl.loc[2020] < nl.loc[2019]
    z = le[le["unit_code"].isin(zuid)]
    zl = z.groupby("period").apply(
        lambda x: np.average(x["value"], weights=x["denominator"].astype(float)),
        include_groups=False,
    )
    gap = nl - zl
    assert gap.between(0.7, 1.3).all(), gap
    assert gap.loc[2020] >= gap.loc[2016] - 0.1  # not narrowing ("trend-following")


def test_aandachtswijken_have_higher_need(obs, params):
    bij = obs[(obs["indicator_id"] == "bijstand") & (obs["period"] == 2022)]
    bij = bij.set_index("unit_code")
    nl = bij.loc["NL01", "numerator"] / bij.loc["NL01", "denominator"]
    for slug in AANDACHTSWIJKEN:
        s = bij.loc[params[slug]["units"]]
        assert s["numerator"].sum() / s["denominator"].sum() > 1.3 * nl, slug


def test_generated_trend_break_donderberg_and_none_in_venlo(obs, params):
    # demo.TREND_BREAKS: Donderberg's participation rises 1.0 pp/year extra after its start
    # (2017); Vastenavondkamp-Blerick (start 2019) has no built-in effect.
    assert demo.TREND_BREAKS == {"roermond-donderberg": {"netto_arbeidsparticipatie": 1.0}}
    assert params["roermond-donderberg"]["intervention_start"] == 2017
    assert params["venlo-vastenavondkamp-blerick"]["intervention_start"] == 2019
    part = obs[obs["indicator_id"] == "netto_arbeidsparticipatie"]
    nl = part[part["unit_code"] == "NL01"].set_index("period")
    nl = 100 * nl["numerator"] / nl["denominator"]

    def gap(slug):  # NL minus area, percentage points (positive = backlog)
        a = part[part["unit_code"].isin(params[slug]["units"])].groupby("period")
        a = a[["numerator", "denominator"]].sum()
        return nl - 100 * a["numerator"] / a["denominator"]

    don, venlo = gap("roermond-donderberg"), gap("venlo-vastenavondkamp-blerick")
    pre = don.loc[2012:2017]
    assert pre.max() - pre.min() < 2.5  # flat backlog of ~12-14 pp before the start
    assert don.loc[2022:2024].mean() < pre.mean() - 4.0  # about 1 pp per year closed since
    assert abs(venlo.loc[2022:2024].mean() - venlo.loc[2012:2018].mean()) < 1.0
    # Plausible: the generated participation stays within a realistic range.
    a = part[part["unit_code"].isin(params["roermond-donderberg"]["units"])]
    assert (a["numerator"] / a["denominator"]).between(0.4, 0.8).all()
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "## Ingebouwde trendbreuk" in readme
    assert "`roermond-donderberg`" in readme and "`venlo-vastenavondkamp-blerick`" in readme


# ----------------------------------------------------------------------- catalogue
def test_catalogue_schema(catalogue, entries):
    theme_ids = [t["id"] for t in catalogue["themes"]]
    assert THEMES <= set(theme_ids) <= THEMES | {"context"}
    for t in catalogue["themes"]:
        assert set(t) == {"id", "label_nl", "label_en"}
    assert len(catalogue["indicators"]) == len(entries) >= 28
    for e in catalogue["indicators"]:
        assert set(e) == CATALOGUE_KEYS, e["id"]
        assert re.fullmatch(r"[a-z][a-z0-9_]*", e["id"])
        assert e["theme"] in theme_ids
        assert e["value_type"] in {"proportion", "rate", "mean", "score"}
        assert e["polarity"] in {"higher_is_better", "lower_is_better", "neutral"}
        assert e["ci_method"] in {"wilson", "byar", "normal", "none"}
        assert e["aggregation"] in {"sum", "weighted_mean"}
        assert e["frequency"] in {"annual", "biennial", "survey"}
        assert e["lowest_level"] in {"buurt", "wijk", "gemeente"}
        assert isinstance(e["min_count"], int) and isinstance(e["min_denominator"], int)
        if e["value_type"] in {"mean", "score"}:
            assert e["aggregation"] == "weighted_mean" and e["multiplier"] == 1, e["id"]
        if e["ci_method"] == "normal":
            assert e["aggregation"] == "weighted_mean", e["id"]
    assert {e["theme"] for e in catalogue["indicators"]} >= THEMES
    le = entries["levensverwachting"]
    assert (le["value_type"], le["ci_method"], le["lowest_level"]) == ("mean", "normal", "gemeente")


def test_weighted_mean_se_matches_ci_method(obs, entries):
    for iid, e in entries.items():
        if e["aggregation"] != "weighted_mean":
            continue
        s = obs[(obs["indicator_id"] == iid) & obs["value"].notna()]
        if e["ci_method"] == "normal":
            assert s["se"].notna().all() and (s["se"] > 0).all(), iid
        else:
            assert s["se"].isna().all(), iid


# -------------------------------------------------------------------------- params
def test_params_files(params, units):
    codes = set(units["unit_code"])
    level = dict(zip(units["unit_code"], units["level"], strict=True))
    gemeente = dict(zip(units["unit_code"], units["gemeente_code"], strict=True))
    assert AANDACHTSWIJKEN <= set(params)
    kinds = pd.Series({s: p["kind"] for s, p in params.items()})
    assert (kinds == "aandachtswijk").sum() == 8
    assert (kinds == "dorpsaanpak").sum() >= 10
    assert (kinds == "gemeente").sum() == 31
    assert (kinds == "provincie").sum() == 1
    assert params["veulen-castenray"]["kind"] == "dorpsaanpak"
    for slug, p in params.items():
        assert list(p) == PARAMS_KEYS, slug
        assert p["slug"] == slug and re.fullmatch(r"[a-z0-9-]+", slug)
        assert p["units"] and set(p["units"]) <= codes, slug
        assert set(p["comparison_areas"]) <= set(params) and slug not in p["comparison_areas"]
        assert isinstance(p["intervention_start"], int) and p["language"] == "nl"
        assert isinstance(p["description"], str) and p["description"]
        if p["kind"] in {"aandachtswijk", "dorpsaanpak"}:
            assert {level[u] for u in p["units"]} == {"buurt"}, slug
            assert {gemeente[u] for u in p["units"]} == {p["municipality"]}, slug
            assert 2 <= len(p["comparison_areas"]) <= 3, slug
            other = {params[c]["kind"] for c in p["comparison_areas"]}
            assert other == {p["kind"]}, slug
        elif p["kind"] == "gemeente":
            assert p["units"] == [p["municipality"]] and level[p["municipality"]] == "gemeente"
            regions = {units.set_index("unit_code").loc[params[c]["units"][0], "region"]
                       for c in p["comparison_areas"] + [slug]}  # fmt: skip
            assert len(regions) == 1, slug
        else:
            assert p["municipality"] is None and p["units"] == ["PV31"]
            assert p["comparison_areas"] == []
    assert params["roermond-donderberg"]["intervention_start"] < 2024
    assert params["venlo-vastenavondkamp-blerick"]["intervention_start"] < 2024
