"""End to end: fetch (local server) and import into snapshots, build-tables, validate, staleness."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from indicators.config import load_catalogue
from indicators.pipeline import Paths, load_inputs
from indicators.realdata.cli import build_tables, data_app, import_file, stale_reasons
from indicators.sources import load_observations, load_units
from tests.conftest import ROOT, SHARED, write
from tests.test_realdata_odata import FIXTURES, FixtureServer, Reply

runner = CliRunner()
TINY = FIXTURES / "realdata" / "kwb2019_limburg_gemeenten_tiny.csv"
LBM = FIXTURES / "leefbaarometer" / "scores_buurten_semicolon.csv"
SHARED_LIMBURG = SHARED / "realdata" / "cbs_kwb2019_gemeenten" / "kwb2019_limburg_gemeenten.csv"
SHARED_NATIONAL = SHARED / "realdata" / "cbs_kwb2019_gemeenten" / "kwb2019_gemeenten.csv"
REGION = "GM0917,GM1954,GM0935"
SHARED_URL = (
    "https://github.com/ujjwalx/dsa2022/blob/6e65c95c96b707b1ab2f53365074e9fb3467531c/kwb-2019.csv"
)


def _run(*args: str):
    res = runner.invoke(data_app, list(args))
    return res


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """Snapshots: KWB 2018 + 2019 fetched from the local server, the CSV extract, Leefbaarometer."""
    root = tmp_path_factory.mktemp("raw")
    with FixtureServer() as server:
        server.serve_kwb()
        res = _run(
            "fetch", "--source", "cbs-kwb", "--years", "2018-2019", "--region", REGION,
            "--raw-dir", str(root), "--date", "2025-11-24", "--base-url", server.base,
            "--timeout", "2", "--retries", "0",
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        assert "84583NED" in res.output and "84286NED" in res.output
        # the 2018 request included the three predecessors of Beekdaelen
        q2018 = next(p for p in server.log if "84286NED/TypedDataSet" in p)
        assert "0881" in q2018 and "0951" in q2018 and "0962" in q2018
    res = _run(
        "import", str(TINY), "--source", "cbs-kwb-csv", "--url", SHARED_URL,
        "--raw-dir", str(root), "--date", "2025-11-24",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    res = _run(
        "import", str(LBM), "--source", "leefbaarometer", "--raw-dir", str(root),
        "--date", "2025-11-24", "--url", "https://www.leefbaarometer.nl/page/Open%20data",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    return root


@pytest.fixture(scope="module")
def built(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    res = build_tables(
        "kwb", raw_root=raw, out_root=out, region=REGION, reference_year=2019,
        sources=["cbs-kwb", "leefbaarometer"],
    )  # fmt: skip
    return res


def test_build_tables_output_loads_with_the_package_loaders(built, catalogue):
    units = load_units(built.out_dir / "units.csv")
    obs = load_observations(built.out_dir / "observations.csv", catalogue=catalogue, units=units)
    assert set(units["unit_code"]) >= {"NL01", "GM0917", "GM1954", "GM0935", "BU09170101"}
    assert not {"GM0881", "GM0951", "GM0962"} & set(units["unit_code"])
    u = units.set_index("unit_code")
    assert u.at["GM0917", "region"] == "Zuid-Limburg" and u.at["BU09170101", "name"] == "Binnenstad"
    assert u.at["BU09170101", "wijk_code"] == "WK091701"
    assert set(obs["indicator_id"]) >= {"aandeel_65plus", "koopwoningen", "leefbaarometer_totaal"}
    assert built.n_observations == len(obs)


def test_merger_is_summed_and_recorded_in_the_build(built):
    obs = pd.read_csv(built.out_dir / "observations.csv")
    row = obs[(obs["unit_code"] == "GM1954") & (obs["period"] == 2018)].iloc[0]
    assert row["numerator"] == 2200 + 3900 + 3050 and row["denominator"] == 7850 + 14950 + 12950
    appr = pd.read_csv(built.out_dir / "approximations.csv")
    rec = appr[(appr["unit_code"] == "GM1954") & (appr["period"] == 2018)].iloc[0]
    assert rec["method"] == "merger_sum" and rec["from_codes"] == "GM0881+GM0951+GM0962"
    assert "Geografische harmonisatie" in (built.out_dir / "quality_report.md").read_text()


def test_secret_cells_are_empty_in_the_csv_never_zero(built):
    with (built.out_dir / "observations.csv").open() as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["unit_code"] == "BU09170101" and r["indicator_id"] == "aandeel_65plus"
        ]
    assert rows[0]["numerator"] == "" and rows[0]["denominator"] == "2375"


def test_flags_record_rounding_percentages_and_weights(built):
    flags = pd.read_csv(built.out_dir / "flags.csv").set_index(
        ["unit_code", "indicator_id", "period"]
    )["flags"]
    assert "cbs_rounded_5" in flags[("BU09170101", "aandeel_65plus", 2019)]
    assert "derived_from_percentage" in flags[("GM0917", "koopwoningen", 2019)]
    lbm = flags[("BU09170101", "leefbaarometer_totaal", 2020)]
    assert "total_from_dimensions" in lbm and "weight_from_2019" in lbm


def test_leefbaarometer_scores_are_imported_with_weights(built):
    obs = pd.read_csv(built.out_dir / "observations.csv").set_index(
        ["unit_code", "indicator_id", "period"]
    )
    r = obs.loc[("BU09170101", "leefbaarometer_totaal", 2020)]
    assert r["value"] == pytest.approx(0.02 - 0.09 - 0.07 + 0.02 - 0.03)
    assert r["denominator"] == 2375
    assert obs.loc[("BU09170101", "leefbaarometer_fysieke_omgeving", 2018), "value"] == 0.01
    assert pd.isna(obs.loc[("BU09170102", "leefbaarometer_totaal", 2020), "value"])
    appr = pd.read_csv(built.out_dir / "approximations.csv")
    dropped = appr[appr["method"] == "dropped_not_in_reference"]
    assert set(dropped["unit_code"]) == {"BU19540101"}  # not in the 2019 geography


def test_inputs_manifest_lists_every_snapshot_with_its_checksum(built, raw):
    import yaml

    man = yaml.safe_load((built.out_dir / "inputs.yml").read_text())
    assert man["digest"] == built.digest
    files = {Path(s["file"]).name for s in man["snapshots"]}
    assert any(f.startswith("84286NED.") for f in files) and "scores_buurten_semicolon.csv" in files
    assert all(len(s["sha256"]) == 64 for s in man["snapshots"])
    assert "synthetisch" not in (built.out_dir / "README.md").read_text().lower()


def test_rebuild_with_the_same_inputs_is_skipped(built, raw):
    again = build_tables(
        "kwb", raw_root=raw, out_root=built.out_dir.parent, region=REGION, reference_year=2019,
        sources=["cbs-kwb", "leefbaarometer"],
    )  # fmt: skip
    assert again.skipped and again.digest == built.digest


def test_provinces_file_is_an_input_of_the_build(built, raw, tmp_path):
    """Municipality lists and counts decide the PV31 and NL01 rows: recorded and checked."""
    import shutil

    manifest = yaml_load(built.out_dir / "inputs.yml")
    assert manifest["provinces"]["path"] == "data/mappings/provinces.yml"
    assert stale_reasons(built.out_dir, raw) == []
    old = tmp_path / "old"
    shutil.copytree(built.out_dir, old)
    manifest.pop("provinces")
    (old / "inputs.yml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    assert any("provinces.yml" in r for r in stale_reasons(old, raw))


def test_new_snapshot_marks_exactly_the_dependent_outputs_stale(raw, tmp_path):
    out = tmp_path / "processed"
    kwb_only = build_tables(
        "csv", raw_root=raw, out_root=out, region=REGION, sources=["cbs-kwb-csv"]
    )
    with_lbm = build_tables(
        "lbm", raw_root=raw, out_root=out, region=REGION, reference_year=2019,
        sources=["cbs-kwb", "leefbaarometer"],
    )  # fmt: skip
    assert stale_reasons(kwb_only.out_dir, raw) == [] == stale_reasons(with_lbm.out_dir, raw)
    import_file(
        FIXTURES / "leefbaarometer" / "scores_buurten_with_afw.csv", "leefbaarometer",
        raw_root=raw, day="2025-11-26", url="https://www.leefbaarometer.nl",
    )  # fmt: skip
    try:
        assert stale_reasons(kwb_only.out_dir, raw) == []
        reasons = stale_reasons(with_lbm.out_dir, raw)
        assert reasons and all("leefbaarometer" in r for r in reasons)
        rebuilt = build_tables(
            "lbm", raw_root=raw, out_root=out, region=REGION, reference_year=2019,
            sources=["cbs-kwb", "leefbaarometer"],
        )  # fmt: skip
        assert not rebuilt.skipped and stale_reasons(rebuilt.out_dir, raw) == []
    finally:  # keep the module-scoped snapshot root as the other tests expect it
        import shutil

        d = raw / "leefbaarometer" / "2025-11-26"
        for p in d.iterdir():
            os.chmod(p, 0o644)
        shutil.rmtree(d)


def test_pipeline_load_inputs_accepts_the_output(built, tmp_path):
    params = tmp_path / "params"
    write(
        params / "gemeente-heerlen.yml",
        "slug: gemeente-heerlen\nname: Heerlen\nkind: gemeente\nmunicipality: GM0917\n"
        "units: [GM0917]\nintervention_start: 2024\n",
    )
    paths = Paths.default(root=ROOT, data_dir=built.out_dir, params_dir=params)
    catalogue, areas, units, obs = load_inputs(paths)
    assert len(areas) == 1 and "GM0917" in set(units["unit_code"])
    assert set(obs.columns) == {
        "unit_code", "indicator_id", "period", "numerator", "denominator", "value", "se"
    }  # fmt: skip


def test_validate_command_writes_the_quality_report(built, tmp_path):
    res = _run("validate", "--data-dir", str(built.out_dir), "--out", str(tmp_path / "q"))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "q" / "quality_report.md").exists()
    assert (tmp_path / "q" / "quality_issues.csv").exists()


def test_validate_names_file_line_and_column_of_a_bad_cell(built, tmp_path):
    import shutil

    d = tmp_path / "bad"
    shutil.copytree(built.out_dir, d)
    lines = (d / "observations.csv").read_text().splitlines()
    parts = lines[3].split(",")
    parts[2] = "twintig"
    lines[3] = ",".join(parts)
    (d / "observations.csv").write_text("\n".join(lines) + "\n")
    res = _run("validate", "--data-dir", str(d))
    assert res.exit_code == 1
    assert "observations.csv, line 4, field 'period'" in res.output.replace("\n", "")


def test_verify_command_detects_a_changed_raw_file(raw, tmp_path):
    import shutil

    copy = tmp_path / "raw"
    shutil.copytree(raw, copy)
    assert _run("verify", "--raw-dir", str(copy)).exit_code == 0
    target = next(copy.rglob("*.csv"))
    os.chmod(target, 0o644)
    target.write_text(target.read_text().replace("86832", "86833"))
    res = _run("verify", "--raw-dir", str(copy))
    assert res.exit_code == 1 and "does not match the sidecar" in res.output.replace("\n", "")


def test_import_names_file_line_and_column_of_a_bad_cell(tmp_path):
    bad = write(
        tmp_path / "kwb.csv",
        TINY.read_text().replace("Maastricht,GM0935,121565", "Maastricht,GM0935,12l565"),
    )
    res = _run("import", str(bad), "--source", "cbs-kwb-csv", "--raw-dir", str(tmp_path / "raw"))
    assert res.exit_code == 1
    text = res.output.replace("\n", "")
    assert "kwb.csv, line 3, field 'population'" in text and "'12l565'" in text
    assert not (tmp_path / "raw").exists()  # nothing stored


def test_build_without_snapshots_explains_what_to_do(tmp_path):
    res = _run("build-tables", "--raw-dir", str(tmp_path), "--out-dir", str(tmp_path / "p"))
    assert res.exit_code == 1 and "indicators data fetch" in res.output


@pytest.mark.skipif(not SHARED_LIMBURG.exists(), reason="../shared is not available")
def test_real_kwb_2019_limburg_total_matches_the_file(tmp_path, catalogue):
    raw = tmp_path / "raw"
    import_file(SHARED_LIMBURG, "cbs-kwb-csv", raw_root=raw, day="2025-11-24", url=SHARED_URL)
    res = build_tables("limburg", raw_root=raw, out_root=tmp_path / "p", region="limburg")
    units = load_units(res.out_dir / "units.csv")
    obs = load_observations(res.out_dir / "observations.csv", catalogue=catalogue, units=units)
    with SHARED_LIMBURG.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    pv = obs[obs["unit_code"] == "PV31"].iloc[0]
    assert pv["denominator"] == sum(int(r["population"]) for r in rows) == 1_116_137
    assert pv["numerator"] == sum(int(r["b_65_oo"]) for r in rows)
    gm = obs[obs["unit_code"].str.startswith("GM")]
    assert len(gm) == 31 and set(units.loc[units["level"] == "gemeente", "region"]) == {
        "Noord-Limburg", "Midden-Limburg", "Zuid-Limburg"
    }  # fmt: skip
    assert (
        obs.set_index("unit_code").at["GM0917", "denominator"] == 86832
    )  # Heerlen, 1 January 2019
    # 31 of 355 municipalities: Nederland is not derived, and the README says why
    assert "NL01" not in set(units["unit_code"])
    readme = (res.out_dir / "README.md").read_text(encoding="utf-8")
    assert (
        "| Nederland (`NL01`) | `aandeel_65plus` | 2019 | niet afgeleid | 31 van de 355 gemeenten "
        "in de gegevens |" in readme
    )


@pytest.mark.skipif(not SHARED_NATIONAL.exists(), reason="../shared is not available")
def test_national_file_gives_nederland_and_limburg_before_the_region_filter(tmp_path, catalogue):
    """One municipality selected from the national file: NL01 (all 355) and PV31 (all 31)
    are still the sums over all municipalities, computed before the region filter."""
    raw = tmp_path / "raw"
    import_file(SHARED_NATIONAL, "cbs-kwb-csv", raw_root=raw, day="2025-11-24", url=SHARED_URL)
    res = build_tables("heerlen", raw_root=raw, out_root=tmp_path / "p", region="GM0917")
    units = load_units(res.out_dir / "units.csv")
    obs = load_observations(res.out_dir / "observations.csv", catalogue=catalogue, units=units)
    assert set(units["unit_code"]) == {"NL01", "PV31", "GM0917"}
    df = pd.read_csv(SHARED_NATIONAL, dtype={"unique_id": str})
    limburg = df[df["unique_id"].isin(load_units_limburg())]
    o = obs.set_index("unit_code")
    assert o.at["NL01", "denominator"] == df["population"].sum()
    assert o.at["NL01", "numerator"] == df["b_65_oo"].sum()
    assert o.at["PV31", "denominator"] == limburg["population"].sum()
    over = yaml_load(res.out_dir / "catalogue_overrides.yml")["indicators"]["aandeel_65plus"]
    assert "Nederland (2019): som van alle 355 gemeenten" in over["benchmark_note_nl"]
    assert "ci_method" not in over  # a benchmark note is not a "no interval" override
    # without derivation: no NL01, and the README says it was switched off
    res = build_tables(
        "heerlen-no-nl", raw_root=raw, out_root=tmp_path / "p", region="GM0917",
        derive_nederland=False,
    )  # fmt: skip
    assert "NL01" not in set(load_units(res.out_dir / "units.csv")["unit_code"])
    assert "uitgeschakeld" in (res.out_dir / "README.md").read_text(encoding="utf-8")


def load_units_limburg() -> list[str]:
    from indicators.realdata.cbs import load_provinces

    return list(load_provinces().provinces["PV31"].gemeenten)


def yaml_load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_compute_runs_on_real_population_data(tmp_path, catalogue):
    """The tiny real KWB 2019 extract goes through build-tables and the compute step."""
    from indicators.compute import compute_all

    raw = tmp_path / "raw"
    import_file(TINY, "cbs-kwb-csv", raw_root=raw, day="2025-11-24", url=SHARED_URL)
    res = build_tables("real", raw_root=raw, out_root=tmp_path / "p", region=REGION)
    params = tmp_path / "params"
    write(
        params / "gemeente-heerlen.yml",
        "slug: gemeente-heerlen\nname: Heerlen\nkind: gemeente\nmunicipality: GM0917\n"
        "units: [GM0917]\nintervention_start: 2024\n",
    )
    paths = Paths.default(root=ROOT, data_dir=res.out_dir, params_dir=params)
    cat, areas, units, obs = load_inputs(paths)
    values = compute_all(obs, units, cat, areas).values.set_index(["area", "indicator_id"])
    v = values.loc[("GM0917", "aandeel_65plus")]
    assert v["value"] == pytest.approx(19783 / 86832 * 100)


def test_fetch_check_compares_the_mapping_without_downloading(tmp_path):
    with FixtureServer() as server:
        server.serve_kwb()
        res = _run(
            "fetch", "--years", "2019", "--region", "GM0917", "--check", "--base-url",
            server.base, "--raw-dir", str(tmp_path), "--retries", "0",
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        assert "84583NED: OK" in res.output
        assert not any("TypedDataSet" in p for p in server.log)
        # the 2018 table lacks the 2019 housing columns -> reported, exit 1
        server.route("84583NED/DataProperties", Reply(file="84286NED/DataProperties.json"))
        res = _run(
            "fetch", "--years", "2019", "--region", "GM0917", "--check", "--base-url",
            server.base, "--raw-dir", str(tmp_path), "--retries", "0",
        )  # fmt: skip
        assert res.exit_code == 1 and "Koopwoningen_40" in res.output
