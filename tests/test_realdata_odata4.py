"""CBS OData v4 (datasets.cbs.nl): payload shape, fetching, Observations -> wide table, build.

The fixtures under ``tests/fixtures/odata/v4/`` have the shape of the v4
service (``@odata.context``, ``value``, ``@odata.nextLink``, ``Properties`` as
a single entity, ``Observations`` with ``Id, Measure, ValueAttribute, Value,
StringValue`` and one field per dimension). ``84583NED`` carries the same
numbers as the v3 fixture of that table, so both API versions must give the
same tidy rows. They are served by the loopback server of
``tests/test_realdata_odata.py``.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from indicators.config import load_catalogue, read_yaml
from indicators.exceptions import InputError
from indicators.realdata import cbs
from indicators.realdata.cli import build_tables, data_app
from indicators.realdata.mapping import apply_mapping, default_mapping_path, load_mapping
from indicators.realdata.odata import ODataClient, ODataError
from tests.test_realdata_odata import FixtureServer, Reply

REGION = "GM0917,GM1954,GM0935"
DAY = "2025-11-24"
CATALOGUE = load_catalogue()

# v3 key -> v4 measure identifier in the fixture (T001036 as in third-party code for KWB
# in v4; the others are placeholders in CBS's format)
MEASURES = {
    "AantalInwoners_5": "T001036",
    "k_65JaarOfOuder_12": "M000361",
    "Woningvoorraad_34": "M000297",
    "GemiddeldeWoningwaarde_35": "M001642",
    "Koopwoningen_40": "1014800",
    "InBezitWoningcorporatie_42": "1014850_2",
}


def _v4_mapping(tmp_path):
    """The committed mapping, with 84583NED as a v4 table and 50090NED as its v4 fixture."""
    raw = read_yaml(default_mapping_path())
    kwb = copy.deepcopy(raw["tables"]["84583NED"])
    kwb["format"] = "odata4"
    for m in kwb["indicators"].values():
        for role in m.values():
            if "column" in role:
                role["column"] = MEASURES[role["column"]]
    rivm = copy.deepcopy(raw["tables"]["50090NED"])
    rivm.update(format="odata4", period_column="Perioden")
    rivm["filters"] = {"Leeftijd": "20300", "Marges": "MW00000"}
    rivm["indicators"] = {
        "ervaren_gezondheid_goed": {
            "numerator": {"column": "M009876", "percent_of_denominator": True},
            "denominator": {"from_indicator": "aandeel_65plus"},
        },
        "roken": {
            "numerator": {"column": "M009877", "percent_of_denominator": True},
            "denominator": {"from_indicator": "aandeel_65plus"},
        },
    }
    raw["tables"] = {"84583NED": kwb, "50090NED": rivm}
    path = tmp_path / "mapping_v4.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def serve_v4(server: FixtureServer) -> None:
    for tid in ("84583NED", "50090NED"):
        for name in ("Properties", "Dimensions", "MeasureCodes", "WijkenEnBuurtenCodes"):
            server.route(f"{tid}/{name}", Reply(file=f"v4/{tid}/{name}.json"))
    server.route("84583NED/Observations", Reply(file="v4/84583NED/Observations.page1.json"))
    server.route(
        "84583NED/Observations",
        Reply(file="v4/84583NED/Observations.page2.json"),
        query="$skip=24",
    )
    server.route("50090NED/Observations", Reply(file="v4/50090NED/Observations.json"))


@pytest.fixture
def server():
    with FixtureServer() as s:
        serve_v4(s)
        s.serve_kwb()  # the v3 routes of 84583NED, for comparison
        yield s


@pytest.fixture
def v4map(tmp_path):
    return load_mapping(_v4_mapping(tmp_path), CATALOGUE)


def _fetch(server, mapping, raw, tid, source="cbs-kwb", json_format=False):
    client = ODataClient(server.base, timeout=2, max_retries=0, json_format_param=json_format)
    (req,) = [r for r in cbs.table_requests(mapping, source, None) if r.table_id == tid]
    return cbs.fetch_table(client, req, cbs.resolve_region(REGION), raw, DAY)


# ------------------------------------------------------------------ client: v4 payloads
def test_v4_pages_are_recognised_and_followed(server):
    c = ODataClient(server.base, timeout=2, max_retries=0, json_format_param=False)
    pages = list(c.iter_pages("84583NED/Observations"))
    assert [p.version for p in pages] == [4, 4]
    assert pages[0].next_link.endswith("84583NED/Observations?$skip=24")
    assert sum(len(p.rows) for p in pages) == 42
    assert all("%24format" not in u for u in server.log)  # v4: JSON without $format


def test_v4_single_entity_properties(server):
    c = ODataClient(server.base, timeout=2, max_retries=0, json_format_param=False)
    page = c.get_entity("84583NED/Properties")
    assert page.version == 4 and page.data["Identifier"] == "84583NED"
    with pytest.raises(ODataError, match="expected a single entity"):
        c.get_entity("84583NED/MeasureCodes")


def test_v4_error_body_gives_the_server_message(server):
    server.route("84583NED/Observations", Reply(400, file="errors/v4_400.json"), query="Meassure")
    c = ODataClient(server.base, timeout=2, max_retries=3, json_format_param=False)
    with pytest.raises(ODataError) as exc:
        c.get_all("84583NED/Observations", {"$filter": "Meassure eq 'T001036'"})
    assert "HTTP 400" in str(exc.value)
    assert "Could not find a property named 'Meassure'" in str(exc.value)


# ------------------------------------------------------------------ fetch + parse
def test_fetch_v4_stores_every_entity_set_and_filters_on_measures_and_region(
    server, v4map, tmp_path
):
    stored = _fetch(server, v4map, tmp_path, "84583NED")
    slug = "gm3-gm0917"
    assert sorted(f.path.name for f in stored) == sorted(
        [
            f"84583NED.{slug}.Properties.json",
            f"84583NED.{slug}.Dimensions.001.json",
            f"84583NED.{slug}.MeasureCodes.001.json",
            f"84583NED.{slug}.Observations.01-001.json",
            f"84583NED.{slug}.Observations.01-002.json",
            f"84583NED.{slug}.WijkenEnBuurtenCodes.01-001.json",
        ]
    )
    import urllib.parse

    q = urllib.parse.unquote_plus(next(u for u in server.log if "Observations?" in u))
    assert "Measure eq 'T001036'" in q and "Measure eq 'M000361'" in q
    assert "contains(WijkenEnBuurten,'0917')" in q and "contains(WijkenEnBuurten,'1954')" in q
    assert "startswith(WijkenEnBuurten,'NL')" in q  # Nederland, for the benchmark
    assert "substringof" not in q  # that is v3


def test_v4_and_v3_of_the_same_table_give_the_same_rows(server, v4map, tmp_path):
    v3map = load_mapping(catalogue=CATALOGUE)
    v3files = _fetch(server, v3map, tmp_path / "v3", "84583NED", json_format=True)
    v4files = _fetch(server, v4map, tmp_path / "v4", "84583NED")
    t3 = cbs.read_table(v3files, v3map.table("84583NED"))
    t4 = cbs.read_table(v4files, v4map.table("84583NED"))
    assert t4.names == t3.names and t4.names["BU09170101"] == "Binnenstad"
    assert t4.info["Identifier"] == "84583NED"
    assert set(t4.properties["Identifier"]) == set(MEASURES.values())
    long3 = apply_mapping(t3.data, "84583NED", v3map.table("84583NED"))
    long4 = apply_mapping(t4.data, "84583NED", v4map.table("84583NED"))
    key = ["unit_code", "indicator_id", "period"]
    a = long3.sort_values(key).reset_index(drop=True)
    b = long4.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    # null stays missing, never 0 (the secret 65+ count of a buurt)
    row = b[(b["unit_code"] == "BU09170101") & (b["indicator_id"] == "aandeel_65plus")].iloc[0]
    assert np.isnan(row["numerator"]) and row["denominator"] == 2375
    heerlen = b[(b["unit_code"] == "GM0917") & (b["indicator_id"] == "aandeel_65plus")].iloc[0]
    assert (heerlen["numerator"], heerlen["denominator"]) == (19783, 86832)


def test_v4_observations_with_several_dimensions_are_filtered_and_keep_their_period(
    server, v4map, tmp_path
):
    files = _fetch(server, v4map, tmp_path, "50090NED", source="rivm")
    tmap = v4map.table("50090NED")
    t = cbs.read_table(files, tmap)
    assert {"WijkenEnBuurten", "Perioden", "Leeftijd", "Marges", "M009876", "M009877"} <= set(
        t.data.columns
    )
    assert len(t.data) == 16  # 4 units x 2 years x 2 margins, one row each
    long = apply_mapping(t.data, "50090NED", tmap)
    eg = long[long["indicator_id"] == "ervaren_gezondheid_goed"].set_index(["unit_code", "period"])
    assert eg.loc[("GM0917", 2016), "value"] == 70.0  # the value, not the lower margin (68)
    assert sorted(set(long["period"])) == [2016, 2020]
    assert long["flags"].str.contains("model_estimate").all()
    roken = long[long["indicator_id"] == "roken"].set_index(["unit_code", "period"])
    assert np.isnan(roken.loc[("BU09170101", 2016), "value"])  # Confidential: missing


def test_bad_v4_value_names_file_row_and_field(server, v4map, tmp_path):
    import json
    import os

    files = _fetch(server, v4map, tmp_path, "84583NED")
    f = next(x for x in files if x.path.name.endswith("Observations.01-002.json"))
    data = json.loads(f.path.read_text())
    data["value"][3]["Value"] = "12l"
    os.chmod(f.path, 0o644)
    f.path.write_text(json.dumps(data))
    with pytest.raises(InputError) as exc:
        cbs.read_table(files, v4map.table("84583NED"))
    msg = str(exc.value)
    assert f.path.name in msg and "field 'Value'" in msg and "'12l'" in msg and "row 3" in msg


def test_check_compares_v4_measures_and_dimensions(server, v4map, tmp_path):
    path = _v4_mapping(tmp_path)
    res = CliRunner().invoke(
        data_app,
        ["fetch", "--years", "2019", "--region", "GM0917", "--check", "--mapping", str(path),
         "--base-url", server.base, "--raw-dir", str(tmp_path / "raw"), "--retries", "0"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "84583NED: OK" in res.output
    assert not any("Observations" in u for u in server.log)
    text = path.read_text().replace("M000361", "M000362")
    path.write_text(text)
    res = CliRunner().invoke(
        data_app,
        ["fetch", "--years", "2019", "--region", "GM0917", "--check", "--mapping", str(path),
         "--base-url", server.base, "--raw-dir", str(tmp_path / "raw"), "--retries", "0"],
    )  # fmt: skip
    assert res.exit_code == 1 and "'M000362' not found" in res.output.replace("\n", "")


# ------------------------------------------------------------------ build + model estimates
@pytest.fixture
def built_v4(server, tmp_path):
    path = _v4_mapping(tmp_path)
    mp = load_mapping(path, CATALOGUE)
    raw = tmp_path / "raw"
    _fetch(server, mp, raw, "84583NED")
    _fetch(server, mp, raw, "50090NED", source="rivm")
    return build_tables(
        "v4", raw_root=raw, out_root=tmp_path / "p", region=REGION, mapping_path=path,
        reference_year=2019,
    )  # fmt: skip


def test_build_tables_reads_v4_snapshots(built_v4):
    from indicators.sources import load_observations, load_units

    cat = load_catalogue(overrides=built_v4.out_dir)
    units = load_units(built_v4.out_dir / "units.csv")
    obs = load_observations(built_v4.out_dir / "observations.csv", catalogue=cat, units=units)
    o = obs.set_index(["unit_code", "indicator_id", "period"])
    assert o.loc[("GM0917", "aandeel_65plus", 2019), "denominator"] == 86832
    assert o.loc[("NL01", "aandeel_65plus", 2019), "numerator"] == 3344710
    assert o.loc[("GM0917", "ervaren_gezondheid_goed", 2020), "numerator"] == pytest.approx(
        0.71 * 86832
    )
    assert "Binnenstad" in set(units["name"])


def test_build_marks_model_estimates_no_interval_in_catalogue_overrides(built_v4):
    ov = read_yaml(built_v4.out_dir / "catalogue_overrides.yml")["indicators"]
    assert set(ov) == {"ervaren_gezondheid_goed", "roken"}  # not the KWB counts
    for o in ov.values():
        assert o["ci_method"] == "none" and o["model_estimate"] is True
        assert "modelschatting" in o["ci_note_nl"] and "50090NED" in o["source"]
    # the committed mapping says the same for the real RIVM table
    assert load_mapping().table("50090NED").effective_ci_method == "none"
    assert load_mapping().table("84583NED").effective_ci_method is None


def test_model_estimates_have_no_sampling_interval_and_the_report_says_why(built_v4, tmp_path):
    from indicators.compute import MODEL_ESTIMATE_METHOD, compute_all
    from indicators.config import load_areas
    from indicators.present import area as report
    from indicators.sources import load_observations, load_units

    params = tmp_path / "params"
    params.mkdir()
    (params / "gemeente-heerlen.yml").write_text(
        "slug: gemeente-heerlen\nname: Heerlen\nkind: gemeente\nmunicipality: GM0917\n"
        "units: [GM0917]\nintervention_start: 2024\n",
        encoding="utf-8",
    )
    areas = load_areas(params)
    d = built_v4.out_dir
    units = load_units(d / "units.csv")

    def results(cat):
        obs = load_observations(d / "observations.csv", catalogue=cat, units=units)
        return compute_all(obs, units, cat, areas)

    # Without the data set's overrides: a Wilson interval from 86,832 inhabitants as n,
    # well under one percentage point wide. That is the error the overrides prevent.
    naive = results(load_catalogue()).values.set_index(["area", "indicator_id", "period"])
    r = naive.loc[("gemeente-heerlen", "ervaren_gezondheid_goed", 2020)]
    assert r["method"] == "Wilson" and r["upper_ci"] - r["lower_ci"] < 1.0

    cat = load_catalogue(overrides=d)
    assert cat.by_id["roken"].ci_method == "none" and cat.by_id["roken"].model_estimate
    res = results(cat)
    v = res.values.set_index(["area", "indicator_id", "period"])
    r = v.loc[("gemeente-heerlen", "ervaren_gezondheid_goed", 2020)]
    assert r["value"] == pytest.approx(71.0)
    assert np.isnan(r["lower_ci"]) and np.isnan(r["upper_ci"])
    assert r["method"] == MODEL_ESTIMATE_METHOD
    s = res.summary.set_index(["area", "indicator_id"]).loc[
        ("gemeente-heerlen", "ervaren_gezondheid_goed")
    ]
    assert s["vs_nederland"] == "not_compared"  # no interval, no test
    assert s["trend_code"] == "cannot_calculate"

    view = report.select_area(res, "gemeente-heerlen")
    md = report.theme_chapter_md(view, cat, "gezondheid", tmp_path, "f")
    assert "Ervaren gezondheid (zeer) goed en Rookt zijn modelschattingen" in md
    assert "zonder betrouwbaarheidsinterval" in md
    assert "| 71,0 |" in md  # the value without an interval
    annex = report.annex_md(cat)
    assert "geen: modelschatting (small-area estimation" in annex
    # a v3 KWB count keeps its catalogue method
    assert cat.by_id["aandeel_65plus"].ci_note_nl == ""
