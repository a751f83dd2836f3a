"""Catalogue and params files: validation with errors that name file and key."""

from __future__ import annotations

import shutil

import pytest

from indicators.config import load_area, load_areas, load_catalogue
from indicators.exceptions import InputError
from tests.conftest import ROOT, write

GOOD = """slug: test-wijk
name: Testwijk
kind: aandachtswijk
municipality: GM0917
units: [BU09170101]
comparison_areas: []
intervention_start: 2024
language: nl
description: Een testgebied.
"""


def test_shipped_catalogue_is_valid_and_covers_all_themes():
    cat = load_catalogue()
    themes = {i.theme for i in cat.indicators}
    assert {
        "veiligheid",
        "gezondheid",
        "leren",
        "werken",
        "wonen",
        "leefbaarheid",
        "sociale_samenhang",
    } <= themes
    assert len(cat.indicators) >= 25


def test_shipped_params_are_valid():
    areas = load_areas()
    kinds = [a.kind for a in areas]
    assert kinds.count("aandachtswijk") == 8
    assert kinds.count("dorpsaanpak") >= 10
    assert kinds.count("gemeente") == 31
    assert kinds.count("provincie") == 1


def test_good_params_file_loads(tmp_path):
    a = load_area(write(tmp_path / "test-wijk.yml", GOOD))
    assert a.name == "Testwijk" and a.units == ["BU09170101"]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (("kind: aandachtswijk", "kind: wijk"), r"test-wijk.yml.*key 'kind'"),
        (("language: nl", "language: nl\ncolour: red"), r"key 'colour'.*unknown key"),
        (("intervention_start: 2024", "intervention_start: soon"), r"key 'intervention_start'"),
        (("units: [BU09170101]", "units: [Heerlen]"), r"key 'units'.*not CBS unit codes"),
        (("municipality: GM0917", "municipality: 917"), r"key 'municipality'"),
        (("name: Testwijk\n", ""), r"key 'name'.*required key is missing"),
    ],
)
def test_bad_params_name_file_and_key(tmp_path, change, match):
    p = write(tmp_path / "test-wijk.yml", GOOD.replace(*change))
    with pytest.raises(InputError, match=match):
        load_area(p)


def test_slug_must_match_file_name(tmp_path):
    with pytest.raises(
        InputError, match=r"other.yml.*slug 'test-wijk' must equal the file name 'other'"
    ):
        load_area(write(tmp_path / "other.yml", GOOD))


def test_invalid_slug_is_rejected(tmp_path):
    p = write(tmp_path / "Test_Wijk.yml", GOOD.replace("slug: test-wijk", "slug: Test_Wijk"))
    with pytest.raises(InputError, match=r"key 'slug'.*must be a slug"):
        load_area(p)


def test_yaml_syntax_error_names_the_line(tmp_path):
    p = write(tmp_path / "test-wijk.yml", GOOD.replace("name: Testwijk", "name: [Testwijk"))
    with pytest.raises(InputError, match=r"test-wijk.yml, line \d+: invalid YAML"):
        load_area(p)


def test_yaml_is_loaded_safely(tmp_path):
    p = write(
        tmp_path / "test-wijk.yml",
        GOOD.replace("name: Testwijk", "name: !!python/object/apply:os.system ['echo hi']"),
    )
    with pytest.raises(InputError, match="invalid YAML"):
        load_area(p)


def test_unknown_comparison_area_is_reported(tmp_path):
    write(
        tmp_path / "test-wijk.yml",
        GOOD.replace("comparison_areas: []", "comparison_areas: [nergens]"),
    )
    with pytest.raises(InputError, match=r"key 'comparison_areas'.*\['nergens'\]"):
        load_areas(tmp_path)


def test_catalogue_with_unknown_theme_is_rejected(tmp_path, root):
    text = (root / "data/catalogue/indicators.yml").read_text(encoding="utf-8")
    p = write(tmp_path / "indicators.yml", text.replace("theme: veiligheid", "theme: sport", 1))
    with pytest.raises(InputError, match=r"indicators.yml.*theme 'sport' is not one of"):
        load_catalogue(p)


def test_validated_models_are_kept_between_builds_by_file_text(tmp_path, monkeypatch):
    """A build keeps the params it validated; the next one reads the same files without
    parsing or validating them again, and an edited file is read anew."""
    from indicators import config

    params = tmp_path / "params"
    shutil.copytree(ROOT / "params", params)
    kept = tmp_path / "models.pkl"
    monkeypatch.setattr(config, "_MODELS", {})
    monkeypatch.setattr(config, "_MODELS_USED", set())
    monkeypatch.setattr(config, "_MODEL_CACHE_LOADED", set())
    first = config.load_areas(params)
    config.save_model_cache(kept)
    # a new process: an empty memo, filled from the file
    monkeypatch.setattr(config, "_MODELS", {})
    monkeypatch.setattr(config, "_AREA_SETS", {})
    monkeypatch.setattr(config, "_MODEL_CACHE_LOADED", set())
    config.load_model_cache(kept)
    parsed = []
    real = config._parse_yaml
    monkeypatch.setattr(config, "_parse_yaml", lambda t, p: parsed.append(p) or real(t, p))
    again = config.load_areas(params)
    assert parsed == [] and again.areas == first.areas
    f = params / "heerlen-noord.yml"
    f.write_text(f.read_text(encoding="utf-8").replace("Heerlen-Noord", "Heerlen Noord"))
    assert config.load_areas(params)["heerlen-noord"].name == "Heerlen Noord"
    assert parsed == [f]


def test_the_area_set_is_kept_while_no_params_file_changes(tmp_path, monkeypatch):
    """A build asks for the areas several times; they are read again only when a file in
    the directory is added, removed or changed (also to the same size)."""
    import os

    from indicators import config

    params = tmp_path / "params"
    shutil.copytree(ROOT / "params", params)
    monkeypatch.setattr(config, "_AREA_SETS", {})
    first = config.load_areas(params)
    assert config.load_areas(params) is first
    f = params / "heerlen-noord.yml"
    text = f.read_text(encoding="utf-8")
    st = f.stat()
    f.write_text(text.replace("Heerlen-Noord", "Heerlen+Noord"), encoding="utf-8")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size and mtime: ctime differs
    again = config.load_areas(params)
    assert again is not first and again["heerlen-noord"].name.startswith("Heerlen+Noord")
    extra = params / "extra.yml"
    extra.write_text(text.replace("slug: heerlen-noord", "slug: extra"), encoding="utf-8")
    assert config.load_areas(params)["extra"].name == "Heerlen-Noord"
    extra.unlink()
    assert "extra" not in config.load_areas(params).areas


def test_a_foreign_or_damaged_model_file_is_ignored(tmp_path, monkeypatch):
    import pickle

    from indicators import config

    monkeypatch.setattr(config, "_MODELS", {})
    monkeypatch.setattr(config, "_MODEL_CACHE_LOADED", set())
    bad = tmp_path / "models.pkl"
    head = pickle.dumps({"key": config._model_cache_key()})
    for content in (
        b"",
        b"junk",
        pickle.dumps({"key": {"code": "other"}}),
        head,  # the right header, no body
        head + b"\x80\x05garbage",  # the right header, a damaged body
        head + pickle.dumps(["not", "a", "mapping"]),
    ):
        bad.write_bytes(content)
        config._MODEL_CACHE_LOADED.clear()
        config.load_model_cache(bad)
        assert config._MODELS == {}
