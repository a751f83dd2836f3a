"""Maps: the tile-grid layout of the 31 municipalities and the optional choropleth."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from indicators.exceptions import ArgumentError, InputError
from indicators.maps import TILE_GRID, choropleth, tile_grid_map

# DESIGN.md: Limburg's 31 municipalities by region.
NOORD = ["GM0889", "GM0893", "GM0907", "GM1507", "GM0944", "GM1894", "GM0983", "GM0984"]
MIDDEN = ["GM1711", "GM1640", "GM1641", "GM0946", "GM1669", "GM0957", "GM0988"]
ZUID = [
    "GM0888", "GM1954", "GM0899", "GM1903", "GM1729", "GM0917", "GM0928", "GM0882",
    "GM0935", "GM0938", "GM0965", "GM1883", "GM0971", "GM0981", "GM0994", "GM0986",
]  # fmt: skip


def test_tile_grid_covers_all_31_municipalities_exactly_once(root):
    assert sorted(TILE_GRID) == sorted(NOORD + MIDDEN + ZUID)
    assert len(TILE_GRID) == 31
    units = pd.read_csv(root / "data" / "demo" / "units.csv")
    assert set(TILE_GRID) == set(units.loc[units["level"] == "gemeente", "unit_code"])


def test_tiles_do_not_overlap():
    cells = [(r, c) for r, c, _ in TILE_GRID.values()]
    assert len(set(cells)) == len(cells)


def test_tile_grid_roughly_follows_geography():
    row = {code: r for code, (r, _c, _s) in TILE_GRID.items()}
    col = {code: c for code, (_r, c, _s) in TILE_GRID.items()}
    assert max(row[c] for c in NOORD) < min(row[c] for c in ZUID)
    assert max(row[c] for c in MIDDEN) < min(row[c] for c in ZUID)
    assert row["GM0944"] == 0  # Mook en Middelaar at the top
    assert row["GM0981"] == max(row.values())  # Vaals at the bottom
    assert col["GM0988"] < col["GM0957"]  # Weert west of Roermond
    assert col["GM0935"] < col["GM0928"]  # Maastricht west of Kerkrade


def _values() -> pd.Series:
    codes = sorted(TILE_GRID)
    return pd.Series(np.linspace(10.0, 40.0, len(codes)), index=codes)


def test_tile_grid_map_writes_png_and_alt_names_highest_and_lowest(tmp_path):
    v = _values()
    v["GM0917"], v["GM0944"] = 99.5, 1.2
    chart = tile_grid_map(
        v.drop("GM0893"), tmp_path / "tiles.png", title="Bijstand", label="per 1.000", classes=4
    )
    assert chart.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Hoogst: Heerlen (99,5)" in chart.alt
    assert "Laagst: Mook en Middelaar (1,2)" in chart.alt
    assert "Geen waarde voor 1 gemeente" in chart.alt
    assert chart.caption == "Bijstand"


def test_tile_grid_map_rejects_codes_outside_limburg(tmp_path):
    with pytest.raises(ArgumentError, match="not Limburg municipalities.*GM0363"):
        tile_grid_map(
            pd.Series({"GM0363": 1.0}), tmp_path / "x.png", title="t", label="l"
        )  # fmt: skip


def test_choropleth_without_geopandas_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "geopandas", None)  # import now raises ImportError
    f = tmp_path / "wijkenbuurten.gpkg"
    with pytest.raises(InputError, match=r"wijkenbuurten\.gpkg.*needs the optional package"):
        choropleth(f, pd.Series({"BU1": 1.0}), path=tmp_path / "m.png", title="t", label="l")


@pytest.fixture
def gpkg(tmp_path):
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import box

    codes = [f"BU0917010{i}" for i in range(1, 5)]
    gdf = gpd.GeoDataFrame(
        {"statcode": codes, "statnaam": ["Noord", "Oost", "Zuid", "West"]},
        geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(4)],
        crs="EPSG:28992",
    )
    path = tmp_path / "buurten.gpkg"
    gdf.to_file(path, layer="buurten", driver="GPKG")
    return path


def test_choropleth_from_a_tiny_geopackage(gpkg, tmp_path):
    values = pd.Series({"BU09170101": 3.0, "BU09170102": 7.5, "BU09170103": 1.0})
    chart = choropleth(
        gpkg, values, path=tmp_path / "map.png", title="Bijstand", label="%", layer="buurten"
    )
    assert chart.path.read_bytes()[:4] == b"\x89PNG"
    assert "Hoogst: Oost (7,5)" in chart.alt
    assert "1 gebieden zonder waarde" in chart.alt


def test_choropleth_missing_code_column_is_named(gpkg, tmp_path):
    with pytest.raises(InputError, match=r"buurten\.gpkg.*code column 'buurtcode' not found"):
        choropleth(gpkg, pd.Series({"BU09170101": 1.0}), "buurtcode",
                   path=tmp_path / "m.png", title="t", label="l")  # fmt: skip


def test_choropleth_missing_layer_is_named(gpkg, tmp_path):
    with pytest.raises(InputError, match="layer 'wijken' not found; layers are \\['buurten'\\]"):
        choropleth(gpkg, pd.Series({"BU09170101": 1.0}), layer="wijken",
                   path=tmp_path / "m.png", title="t", label="l")  # fmt: skip


def test_choropleth_codes_that_do_not_match_are_an_error(gpkg, tmp_path):
    with pytest.raises(InputError, match="no code in column 'statcode' matches"):
        choropleth(gpkg, pd.Series({"WK091701": 1.0}), path=tmp_path / "m.png",
                   title="t", label="l")  # fmt: skip
