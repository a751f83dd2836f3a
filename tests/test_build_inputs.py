"""The build reads what it is pointed at: data, params, registers (Excel) and boundary files.

One real build (built-in engine) of a three-gemeente subset: the province
report must count the subset's areas (not the project's params), read the
registers from ``.xlsx`` files in ``--registers-dir`` and, given a tiny CBS
boundary GeoPackage made here, draw choropleths of wijken and buurten.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from indicators.pipeline import Paths, build
from indicators.registers import default_paths
from indicators.scale import subset

pytestmark = pytest.mark.integration

GEMEENTEN = ["GM0917", "GM0928", "GM0981"]  # Heerlen, Kerkrade, Vaals
AREAS = ["heerlen-noord", "kerkrade-oost", "gemeente-vaals"]
EXCEL_LESSON = "Les uit het Excel-register: start klein en bouw op vertrouwen"


def _boundaries(units: pd.DataFrame, path: Path) -> Path:
    """A GeoPackage shaped like CBS's wijkenbuurten files: layers wijken and buurten."""
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import box

    for level, layer, code, name in (
        ("wijk", "wijken", "wijkcode", "wijknaam"),
        ("buurt", "buurten", "buurtcode", "buurtnaam"),
    ):
        u = units[units["level"] == level].reset_index(drop=True)
        gdf = gpd.GeoDataFrame(
            {code: u["unit_code"], name: u["name"], "gemeentecode": u["gemeente_code"]},
            geometry=[
                box((i % 10) * 100, (i // 10) * 100, (i % 10) * 100 + 90, (i // 10) * 100 + 90)
                for i in range(len(u))
            ],  # fmt: skip
            crs="EPSG:28992",
        )
        gdf.to_file(path, layer=layer, driver="GPKG")
    # A feature of a municipality outside the data: must not be drawn (restrict).
    far = gpd.GeoDataFrame(
        {"wijkcode": ["WK036300"], "wijknaam": ["Amsterdam-Centrum"], "gemeentecode": ["GM0363"]},
        geometry=[box(5000, 5000, 5100, 5100)],
        crs="EPSG:28992",
    )
    far.to_file(path, layer="wijken", driver="GPKG", mode="a")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    pytest.importorskip("openpyxl")
    root = tmp_path_factory.mktemp("inputs")
    data, params = subset(root, GEMEENTEN, AREAS, comparisons=False)
    registers = root / "registers"
    registers.mkdir()
    src = default_paths()
    for name in ("interventions", "subsidies", "statushouders"):
        df = pd.read_csv(getattr(src, name), dtype=str, keep_default_na=False)
        if name == "interventions":
            df.loc[df.index[df["area"] == "heerlen-noord"][0], "lesson"] = EXCEL_LESSON
        df.to_excel(registers / f"{name}.xlsx", index=False)
    # The data set's catalogue overrides: treat smoking as a model estimate (no interval).
    (data / "catalogue_overrides.yml").write_text(
        "description: test\nindicators:\n  roken:\n    ci_method: none\n    model_estimate: true\n",
        encoding="utf-8",
    )
    units = pd.read_csv(data / "units.csv", dtype=str, keep_default_na=False)
    gpkg = _boundaries(units, root / "wijkenbuurten.gpkg")
    paths = Paths.default(
        data_dir=data,
        params_dir=params,
        build_dir=root / "build",
        output_dir=root / "out",
        registers_dir=registers,
        boundaries=gpkg,
    )
    outcomes = build(["gemeente-vaals"], engine="builtin", jobs=1, paths=paths, province=True)
    failed = [f"{o.slug}: {o.error}" for o in outcomes if not o.ok]
    assert not failed, failed
    html = (paths.output_dir / "provincie" / "index.html").read_text(encoding="utf-8")
    return paths, html


def test_registers_are_read_from_excel_files_in_the_registers_dir(built):
    paths, html = built
    assert default_paths(paths.registers_dir).interventions.suffix == ".xlsx"
    assert EXCEL_LESSON in " ".join(html.split())


def test_province_report_counts_the_areas_of_the_params_dir(built):
    _, html = built
    text = re.sub(r"<[^>]+>", " ", html)
    assert re.search(r"Dit overzicht omvat 2 gebiedsgerichte aanpakken, 0 dorps- en wijkaanpakken "
                     r"en 1 gemeenten", " ".join(text.split())), "counts not from --params-dir"  # fmt: skip


def test_boundary_file_gives_choropleths_of_wijken_and_buurten(built):
    _, html = built
    assert "Wijken en buurten op de kaart" in html
    assert 'id="fig-kaart-wijken"' in html and 'id="fig-kaart-buurten"' in html
    assert "wijkenbuurten.gpkg" in html
    alt = re.search(r'alt="(Kaart van \d+ gebieden: Behoefte-index per wijk[^"]*)"', html)
    assert alt, "no alt text on the wijk map"
    n_wijken = int(re.search(r"Kaart van (\d+) gebieden", alt.group(1)).group(1))
    assert n_wijken >= 1
    assert "Amsterdam" not in alt.group(1)  # restricted to the data's municipalities


def test_without_boundary_file_there_is_no_map_section(tmp_path):
    from indicators.present.province import boundary_maps_md

    assert boundary_maps_md("", pd.DataFrame(), pd.DataFrame(), None, tmp_path, "f") == ""


def test_missing_register_dir_is_a_clear_cli_error(tmp_path):
    from typer.testing import CliRunner

    from indicators.cli import app

    r = CliRunner().invoke(app, ["build", "--registers-dir", str(tmp_path / "nope"), "--dry-run"])
    assert r.exit_code == 1
    assert "--registers-dir: not a directory" in r.output and "nope" in r.output
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_register_counts_feed_the_pc_section(built):
    """The subsidy register (here the Excel copy) is counted into the P&C section."""
    _, html = built
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Volgens het subsidieregister (peildatum 30 juni 2025): 27 projectsubsidies" in text
    assert "de berekende status gebruikt het subsidieregister" in text


def test_catalogue_overrides_of_the_data_set_reach_the_area_report(built):
    """A model estimate (override in the data dir) is shown without a sampling interval."""
    paths, _ = built
    html = (paths.output_dir / "areas" / "gemeente-vaals" / "index.html").read_text("utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Rookt is een modelschatting" in text and "steekproefinterval" in text


def test_the_command_freezes_the_collector_only_in_its_own_process(monkeypatch):
    """``gc.freeze`` (issue 7) is for the ``indicators`` process: a test or notebook that
    calls the CLI in-process keeps its garbage collector as it was."""
    import gc

    from indicators import cli

    before = gc.get_freeze_count()
    cli._freeze_gc()
    assert gc.get_freeze_count() == before
    seen = {}
    monkeypatch.setattr(cli, "_OWN_PROCESS", False)
    monkeypatch.setattr(cli, "app", lambda: seen.setdefault("own process", cli._OWN_PROCESS))
    monkeypatch.setattr(cli, "_exit_now", lambda code: seen.setdefault("exit", code))
    cli.run()
    assert seen == {"own process": True, "exit": 0}
