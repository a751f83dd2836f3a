"""Synthetic scale data: the one-buurt edit the benchmarks time."""

from __future__ import annotations

import pytest
import yaml

from indicators.scale import change_one_buurt, generate


def test_change_one_buurt_changes_one_cell_of_the_first_area(tmp_path):
    d = generate(20, tmp_path, n_areas=2)
    obs = d.data_dir / "observations.csv"
    before = obs.read_text(encoding="utf-8").splitlines()
    slug, buurt, line = change_one_buurt(d.data_dir, d.params_dir)
    after = obs.read_text(encoding="utf-8").splitlines()

    assert slug == sorted(p.stem for p in d.params_dir.glob("*.yml"))[0]
    units = yaml.safe_load((d.params_dir / f"{slug}.yml").read_text(encoding="utf-8"))["units"]
    assert buurt == units[0]
    assert len(after) == len(before)
    diff = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert diff == [line - 1]  # one line; line numbers count the header as 1
    old, new = before[line - 1].split(","), after[line - 1].split(",")
    assert old[0] == new[0] == buurt
    assert [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b] == [3]
    assert float(new[3]) == float(old[3]) - 1


def test_change_one_buurt_says_when_there_is_nothing_to_change(tmp_path):
    d = generate(20, tmp_path, n_areas=1)
    obs = d.data_dir / "observations.csv"
    lines = obs.read_text(encoding="utf-8").splitlines(keepends=True)
    slug = sorted(p.stem for p in d.params_dir.glob("*.yml"))[0]
    buurt = yaml.safe_load((d.params_dir / f"{slug}.yml").read_text(encoding="utf-8"))["units"][0]
    kept = [ln for ln in lines[1:] if ln.split(",", 1)[0] != buurt]
    obs.write_text(lines[0] + "".join(kept), encoding="utf-8")
    with pytest.raises(ValueError, match=buurt):
        change_one_buurt(d.data_dir, d.params_dir)
