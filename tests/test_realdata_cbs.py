"""CBS tables: fetching into snapshots, parsing ('.' stays missing), regions."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from indicators.config import load_catalogue
from indicators.exceptions import InputError
from indicators.realdata import cbs
from indicators.realdata.geography import Correspondence, load_correspondence
from indicators.realdata.mapping import load_mapping, missing_to_nan
from indicators.realdata.odata import ODataClient
from indicators.realdata.snapshot import iter_files, verify
from tests.test_realdata_odata import FIXTURES, FixtureServer  # noqa: F401


@pytest.fixture(scope="module")
def mapping():
    return load_mapping(catalogue=load_catalogue())


@pytest.fixture
def server():
    with FixtureServer() as s:
        s.serve_kwb()
        yield s


def _request(mapping, tid):
    (req,) = [r for r in cbs.table_requests(mapping, "cbs-kwb", None) if r.table_id == tid]
    return req


def _fetch(server, mapping, tmp_path, tid="84583NED", region="GM0917,GM1954,GM0935"):
    client = ODataClient(server.base, timeout=2, max_retries=0)
    reg = cbs.resolve_region(region)
    return cbs.fetch_table(client, _request(mapping, tid), reg, tmp_path, "2025-11-24")


def test_fetch_writes_every_page_as_a_snapshot_file_with_sidecar(server, mapping, tmp_path):
    stored = _fetch(server, mapping, tmp_path)
    names = sorted(f.path.name for f in stored)
    slug = "gm3-gm0917"
    assert names == sorted(
        [
            f"84583NED.{slug}.TableInfos.001.json",
            f"84583NED.{slug}.DataProperties.001.json",
            f"84583NED.{slug}.TypedDataSet.01-001.json",
            f"84583NED.{slug}.TypedDataSet.01-002.json",
            f"84583NED.{slug}.WijkenEnBuurten.01-001.json",
        ]
    )
    page2 = next(f for f in stored if f.path.name.endswith("01-002.json"))
    assert page2.meta.licence == "CC BY 4.0" and page2.meta.table_id == "84583NED"
    assert (
        "$skiptoken=4" in page2.meta.url and "Kerncijfers wijken en buurten" in page2.meta.citation
    )
    assert verify(tmp_path).ok
    # the request asked only for the mapped columns, for the three municipalities and NL
    query = next(p for p in server.log if "TypedDataSet" in p and "skiptoken" not in p)
    assert "substringof%28%270917%27%2CWijkenEnBuurten%29" in query
    assert "k_65JaarOfOuder_12" in query and "NL00" in query


def test_parse_keeps_dot_and_null_as_missing_never_zero(server, mapping, tmp_path):
    _fetch(server, mapping, tmp_path)
    t = cbs.read_table(iter_files(tmp_path), mapping.table("84583NED"))
    d = t.data.set_index("code")
    assert len(d) == 7 and d.index[0] == "NL01"  # NL00 becomes NL01; padding stripped
    assert math.isnan(d.at["BU09170101", "k_65JaarOfOuder_12"])  # secret (null)
    assert math.isnan(d.at["BU09170102", "GemiddeldeWoningwaarde_35"])
    assert d.at["GM0917", "AantalInwoners_5"] == 86832
    assert (d["k_65JaarOfOuder_12"].fillna(-1) != 0).all()
    assert t.names["BU09170101"] == "Binnenstad" and t.names["NL01"] == "Nederland"
    assert d.at["GM0917", "Gemeentenaam_1"] == "Heerlen"


def test_untyped_strings_with_dot_become_missing():
    rows = json.loads((FIXTURES / "84583NED" / "UntypedDataSet.json").read_text())["value"]
    df = pd.DataFrame(rows)
    assert missing_to_nan(df["AantalInwoners_5"]).tolist() == [2375.0]
    assert np.isnan(missing_to_nan(df["k_65JaarOfOuder_12"]).iloc[0])


def test_dash_is_not_silently_missing():
    with pytest.raises(ValueError, match="not a number"):
        missing_to_nan(pd.Series(["12", "-"]))


def test_check_reports_renamed_columns_with_suggestions(server, mapping, tmp_path):
    # the 2018 fixture has no housing columns; a 2019-style mapping checked against it fails
    req = _request(mapping, "84583NED")
    props = json.loads((FIXTURES / "84286NED" / "DataProperties.json").read_text())["value"]
    problems = cbs.check_columns(props, req.mapping, "84286NED")
    assert any("Koopwoningen_40" in p for p in problems)
    # a renumbered key is suggested from the same stem
    props.append({"Key": "Koopwoningen_47", "Type": "Topic"})
    problems = cbs.check_columns(props, req.mapping, "X")
    assert any("Koopwoningen_40" in p and "Koopwoningen_47" in p for p in problems)


def test_fetch_check_only_downloads_no_data(server, mapping, tmp_path):
    client = ODataClient(server.base, timeout=2, max_retries=0)
    problems = cbs.fetch_table(
        client, _request(mapping, "84583NED"), cbs.resolve_region("GM0917"), tmp_path,
        "2025-11-24", check_only=True,
    )  # fmt: skip
    assert problems == []
    assert not any("TypedDataSet" in p for p in server.log)
    assert iter_files(tmp_path) == []


def test_fetch_fails_before_download_when_mapping_is_stale(server, mapping, tmp_path):
    server.route("84583NED/DataProperties", _reply("84286NED/DataProperties.json"))
    with pytest.raises(InputError, match="does not match the live table"):
        _fetch(server, mapping, tmp_path)
    assert iter_files(tmp_path) == []


def _reply(file):
    from tests.test_realdata_odata import Reply

    return Reply(file=file)


# ------------------------------------------------------------------ regions
def test_limburg_has_its_31_municipalities():
    reg = cbs.resolve_region("limburg")
    assert len(reg.gemeenten) == 31 and reg.province == "PV31" and "GM1954" in reg.gemeenten
    assert cbs.resolve_region("PV31") == reg


def test_region_before_the_merger_adds_the_predecessors():
    from indicators.realdata.cli import region_codes_for_year

    reg = cbs.resolve_region("limburg")
    corr = load_correspondence()
    codes_2018 = region_codes_for_year(reg, 2018, corr, 2019)
    assert {"GM0881", "GM0951", "GM0962"} <= set(codes_2018) and len(codes_2018) == 34
    assert len(region_codes_for_year(reg, 2024, corr, 2019)) == 31
    assert (
        region_codes_for_year(cbs.resolve_region("all"), 2018, Correspondence.empty(), 2019) is None
    )


def test_unlisted_province_asks_for_its_municipalities():
    with pytest.raises(InputError, match="no municipality list"):
        cbs.resolve_region("Zeeland")
    with pytest.raises(InputError, match="unknown region"):
        cbs.resolve_region("Atlantis")


def test_keep_region_drops_codes_that_only_contain_the_digits():
    codes = pd.Series(["GM0917", "WK091701", "BU09170101", "BU01230917", "NL01", "GM0935"])
    assert cbs.keep_region(codes, ["GM0917"]).tolist() == [True, True, True, False, True, False]


def test_table_requests_select_by_year(mapping):
    reqs = cbs.table_requests(mapping, "cbs-kwb", [2019, 2024])
    assert [r.table_id for r in reqs] == ["84583NED", "85984NED"]
    assert cbs.table_requests(mapping, "rivm", [2020])[0].table_id == "50090NED"
    with pytest.raises(InputError, match="no cbs-kwb table"):
        cbs.table_requests(mapping, "cbs-kwb", [2030])


def test_design_table_ids_are_in_the_mapping(mapping):
    for year, tid in cbs.KWB_TABLES.items():
        assert mapping.table(tid).period == year
