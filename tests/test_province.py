"""The province report stays bounded: at most MAX_SHOWN areas per chart and table (issue 7).

A section built from more areas than the cap shows exactly the cap, says so in
Dutch with its selection rule, writes the complete table as a download and is
deterministic; below the cap nothing changes.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from indicators.compute import Results
from indicators.config import AreaParams, Catalogue, load_catalogue
from indicators.exceptions import ArgumentError
from indicators.need import compute_need_index, parse_need_config
from indicators.present import downloads
from indicators.present.cap import (
    MAX_SHOWN,
    MAX_SHOWN_CHART,
    Shown,
    cap_note_md,
    select_top,
    worse_counts,
)
from indicators.present.need import need_section_md
from indicators.present.province import comparison_table_md, overview_md, theme_dots

# Three themes of the real catalogue keep the figure tests quick.
_FULL = load_catalogue()
_THEMES = ["veiligheid", "gezondheid", "werken"]
CATALOGUE = Catalogue(
    themes=[t for t in _FULL.themes if t.id in _THEMES],
    indicators=[i for i in _FULL.indicators if i.theme in _THEMES],
)
HEADLINE = ["misdrijven_totaal", "ervaren_gezondheid_goed", "bijstand"]


def _results(n: int, kind: str = "aandachtswijk", *, seed: int = 0) -> Results:
    """``n`` areas of ``kind`` with every catalogue indicator; some significantly worse.

    Area ``i`` is worse than Nederland on indicator ``j`` when ``(i * 7 + j * 3) % 5 < 2``
    (so the counts differ between areas and ties occur), better when it is 2.
    Names repeat every 10 areas so that the name tie-break is exercised too.
    """
    rng = np.random.default_rng(seed)
    areas = pd.DataFrame(
        {
            "area": [f"{kind}-{i:04d}" for i in range(n)],
            "name": [f"Wijk {i % 10:02d}" if i % 3 == 0 else f"Wijk {i:04d}" for i in range(n)],
            "kind": kind,
            "gemeente": "GM0917",
            "gemeente_name": "Heerlen",
            "intervention_start": 2024.0,
            "is_params_area": True,
        }
    )
    rows = []
    for i, area in enumerate(areas["area"]):
        for j, ind in enumerate(CATALOGUE.indicators):
            r = (i * 7 + j * 3) % 5
            v = 20 + rng.normal()
            rows.append(
                {
                    "area": area,
                    "indicator_id": ind.id,
                    "latest_period": 2024,
                    "latest_value": v,
                    "latest_lower_ci": v - 1,
                    "latest_upper_ci": v + 1,
                    "vs_nederland": "worse" if r < 2 else "better" if r == 2 else "similar",
                    "nederland_value": 20.0,
                    "limburg_value": 21.0,
                }
            )
    values = pd.DataFrame(
        {
            "area": "NL01",
            "indicator_id": [i.id for i in CATALOGUE.indicators],
            "period": 2024,
            "value": 20.0,
        }
    )
    return Results(values=values, summary=pd.DataFrame(rows), areas=areas)


def _expected(res: Results, ids: list[str], limit: int) -> list[str]:
    """The selection rule written out independently: most worse in ``ids``, then in all."""
    s = res.summary[res.summary["vs_nederland"] == "worse"]
    key = {}
    for a, name in zip(res.areas["area"], res.areas["name"], strict=True):
        mine = s[s["area"] == a]
        key[a] = (-int(mine["indicator_id"].isin(ids).sum()), -len(mine), name, a)
    return sorted(key, key=key.get)[:limit]


def _table_rows(md: str) -> list[list[str]]:
    lines = [ln for ln in md.splitlines() if ln.startswith("| ")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[1:]]


def _csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture
def collect(tmp_path):
    out = tmp_path / "downloads"
    downloads.start(out)
    yield out
    downloads.stop()


# ------------------------------------------------------------------ selection rule


def test_select_top_breaks_ties_by_name_then_key():
    f = pd.DataFrame({"k": ["b", "a", "c", "d"], "n": ["X", "X", "W", "V"], "v": [1, 1, 1, 0]})
    assert select_top(f, key="k", name="n", by=[("v", False)], limit=3).keys == ["c", "a", "b"]


def test_select_top_sorts_missing_values_last():
    f = pd.DataFrame({"k": ["a", "b"], "n": ["A", "B"], "r": [np.nan, 5.0]})
    assert select_top(f, key="k", name="n", by=[("r", True)], limit=1).keys == ["b"]


def test_select_top_rejects_duplicate_keys_and_a_limit_below_one():
    f = pd.DataFrame({"k": ["a", "a"], "n": ["A", "B"], "v": [1, 2]})
    with pytest.raises(ArgumentError, match="key column 'k' must be unique; 'a' occurs twice"):
        select_top(f, key="k", name="n", by=[("v", False)])
    with pytest.raises(ArgumentError, match="limit must be at least 1, got 0"):
        select_top(f.iloc[:1], key="k", name="n", by=[("v", False)], limit=0)


def test_worse_counts_count_shown_and_all_indicators_and_zero_for_areas_without_rows():
    res = _results(6)
    c = worse_counts(res.summary, [*res.areas["area"], "elders"], HEADLINE)
    s = res.summary[res.summary["vs_nederland"] == "worse"]
    a0 = "aandachtswijk-0000"
    assert c.loc[a0, "n_worse_all"] == (s["area"] == a0).sum()
    assert c.loc[a0, "n_worse"] == ((s["area"] == a0) & s["indicator_id"].isin(HEADLINE)).sum()
    assert c.loc["elders"].tolist() == [0, 0]


def test_cap_note_is_dutch_names_the_rule_and_links_the_download():
    note = cap_note_md(
        Shown(["x"] * 40, 1500, 40),
        subject="De grafiek",
        things="gebiedsgerichte aanpakken",
        rule="met de meeste indicatoren significant slechter dan Nederland",
        order="op naam",
        download=Path("07-volledig-x.csv"),
    )
    assert note == (
        "De grafiek toont 40 van de 1.500 gebiedsgerichte aanpakken: de 40 met de meeste "
        "indicatoren significant slechter dan Nederland; ze staan op naam. Alle 1.500 staan in "
        "de download [07-volledig-x.csv](downloads/07-volledig-x.csv)."
    )


# ------------------------------------------------------------------ side-by-side table


def test_side_by_side_table_over_the_cap_shows_exactly_the_cap_and_says_why(collect):
    res = _results(MAX_SHOWN + 17)
    md = comparison_table_md(res, CATALOGUE, HEADLINE, "aandachtswijk")
    rows = _table_rows(md)
    assert len(rows) == MAX_SHOWN + 1 and rows[-1][0] == "*Nederland*"
    names = res.areas.set_index("area")["name"]
    expected = _expected(res, HEADLINE, MAX_SHOWN)
    assert [r[0] for r in rows[:-1]] == sorted(names[a] for a in expected)
    assert (
        f"De tabel toont {MAX_SHOWN} van de {MAX_SHOWN + 17} gebiedsgerichte aanpakken: de "
        f"{MAX_SHOWN} met de meeste van deze {len(HEADLINE)} indicatoren significant slechter "
        "dan Nederland (bij gelijke stand telt het aantal van alle indicatoren" in md
    )
    files = sorted(p.name for p in collect.iterdir())
    assert files == [
        "01-gebiedsgerichte-aanpakken-naast-elkaar-selectie.csv",
        "02-volledig-gebiedsgerichte-aanpakken-naast-elkaar.csv",
    ]
    assert "](downloads/02-volledig-gebiedsgerichte-aanpakken-naast-elkaar.csv)" in md
    assert len(_csv(collect / files[0])) == 1 + MAX_SHOWN + 1  # header, areas, Nederland
    full = _csv(collect / files[1])
    assert len(full) == 1 + MAX_SHOWN + 17 + 1
    assert [r[0] for r in full[1:-1]] == sorted(res.areas["name"])


def test_side_by_side_numbers_are_the_summary_values(collect):
    res = _results(MAX_SHOWN + 1)
    comparison_table_md(res, CATALOGUE, HEADLINE, "aandachtswijk")
    full = _csv(collect / "02-volledig-gebiedsgerichte-aanpakken-naast-elkaar.csv")
    header, first = full[0], full[1]
    a = res.areas.sort_values("name").iloc[0]["area"]
    s = res.summary.set_index(["area", "indicator_id"])
    label = CATALOGUE.by_id["bijstand"].label_nl
    r = s.loc[(a, "bijstand")]
    sym = {"worse": "▼", "better": "▲", "similar": "●"}[r["vs_nederland"]]
    value = f"{r['latest_value']:.1f}".replace(".", ",")
    assert first[header.index(label)] == f"{value} {sym}"


def test_side_by_side_selection_is_deterministic_whatever_the_row_order(tmp_path):
    res = _results(MAX_SHOWN + 25)
    shuffled = Results(
        values=res.values,
        summary=res.summary.sample(frac=1, random_state=3),
        areas=res.areas.sample(frac=1, random_state=4),
    )
    out = []
    for k, r in enumerate((res, shuffled)):
        downloads.start(tmp_path / str(k))
        try:
            out.append(comparison_table_md(r, CATALOGUE, HEADLINE, "aandachtswijk"))
        finally:
            downloads.stop()
    assert out[0] == out[1]
    for name in ("01-gebiedsgerichte-aanpakken-naast-elkaar-selectie.csv",
                 "02-volledig-gebiedsgerichte-aanpakken-naast-elkaar.csv"):  # fmt: skip
        assert (tmp_path / "0" / name).read_bytes() == (tmp_path / "1" / name).read_bytes()


def test_side_by_side_below_the_cap_lists_every_area_without_note_or_extra_download(collect):
    res = _results(8)
    md = comparison_table_md(res, CATALOGUE, HEADLINE, "aandachtswijk")
    assert md == comparison_table_md(res, CATALOGUE, HEADLINE, "aandachtswijk", limit=10**6)
    assert "toont" not in md and "volledig" not in md
    assert [r[0] for r in _table_rows(md)][:-1] == sorted(res.areas["name"])
    assert [p.name for p in sorted(collect.iterdir())] == [
        "01-gebiedsgerichte-aanpakken-naast-elkaar.csv",
        "02-gebiedsgerichte-aanpakken-naast-elkaar.csv",
    ]


# ------------------------------------------------------------------ theme dot plots


def test_theme_dots_over_the_cap_draw_the_cap_and_name_the_rule(tmp_path):
    limit = 6
    figs = {}
    for n in (limit, 3 * limit):
        d = tmp_path / str(n)
        d.mkdir()
        md = theme_dots(
            _results(n), CATALOGUE, "gezondheid", "aandachtswijk", d, "f", limit=limit,
            download=Path("05-volledig-x.csv"),
        )  # fmt: skip
        figs[n] = (md, Image.open(d / "province-aandachtswijk-gezondheid.png").size)
    md_small, size_small = figs[limit]
    md_big, size_big = figs[3 * limit]
    # The chart does not grow with the number of areas (the width follows the longest name).
    assert size_big[1] == size_small[1]
    assert "toont" not in md_small
    assert (
        f"De grafiek toont {limit} van de {3 * limit} gebiedsgerichte aanpakken: de {limit} met "
        "de meeste indicatoren van dit thema significant slechter dan Nederland" in md_big
    )
    assert "[05-volledig-x.csv](downloads/05-volledig-x.csv)" in md_big
    assert f"De grafiek toont {limit} van de {3 * limit} gebiedsgerichte aanpakken;" in md_big


def test_the_largest_theme_dot_plot_at_the_cap_fits_an_a4_page(tmp_path):
    """Scaled to the text width (16 cm), the plot with the most indicators stays under 22 cm."""
    largest = max(_FULL.themes, key=lambda t: sum(i.theme == t.id for i in _FULL.indicators))
    res = _results(MAX_SHOWN_CHART + 10)
    res.areas["name"] = "Synthetisch gebied " + res.areas["area"]  # long names, as at scale
    theme_dots(res, _FULL, largest.id, "aandachtswijk", tmp_path, "f")
    width, height = Image.open(tmp_path / f"province-aandachtswijk-{largest.id}.png").size
    assert 16 * height / width <= 22


def test_overview_over_the_cap_writes_complete_downloads_with_every_area(tmp_path, collect):
    limit = 5
    res = _results(2 * limit + 3)
    md = overview_md(res, CATALOGUE, HEADLINE, tmp_path, "f", limit=limit, chart_limit=limit)
    full = collect / "03-volledig-laatste-waarden-per-thema-gebiedsgerichte-aanpakken.csv"
    rows = _csv(full)
    assert rows[0] == ["Thema", "Indicator", "Gebied", "Jaar", "Waarde", "95%-BI ondergrens",
                       "95%-BI bovengrens", "Vergelijking met Nederland"]  # fmt: skip
    assert len(rows) - 1 == len(res.summary)  # every area and indicator
    assert md.count(f"](downloads/{full.name})") == len(CATALOGUE.themes)
    assert md.startswith("## De 13 gebiedsgerichte aanpakken naast elkaar")


def test_overview_below_the_cap_is_unchanged_by_the_cap(tmp_path):
    res = _results(8)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    capped = overview_md(res, CATALOGUE, HEADLINE, tmp_path / "a", "f")
    free = overview_md(
        res, CATALOGUE, HEADLINE, tmp_path / "b", "f", limit=10**6, chart_limit=10**6
    )
    assert capped == free
    for png in (tmp_path / "a").glob("*.png"):
        assert png.read_bytes() == (tmp_path / "b" / png.name).read_bytes()


# ------------------------------------------------------------------ need index


def _wijken(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` wijken of one buurt each in one gemeente, and values for two indicators."""
    rng = np.random.default_rng(5)
    units = [("NL01", "land", "Nederland", None, None, None),
             ("GM0917", "gemeente", "Heerlen", "GM0917", None, "Zuid-Limburg")]  # fmt: skip
    rows = []
    for ind in ("bijstand", "eenzaamheid"):
        rows.append(("NL01", ind, 20.0))
        rows += [(f"WK0917{i:04d}", ind, 20 + 5 * rng.normal()) for i in range(n)]
    for i in range(n):
        units.append((f"WK0917{i:04d}", "wijk", f"Wijk {i:04d}", "GM0917", f"WK0917{i:04d}",
                      "Zuid-Limburg"))  # fmt: skip
        units.append((f"BU0917{i:04d}", "buurt", f"Buurt {i:04d}", "GM0917", f"WK0917{i:04d}",
                      "Zuid-Limburg"))  # fmt: skip
    units = pd.DataFrame(
        units, columns=["unit_code", "level", "name", "gemeente_code", "wijk_code", "region"]
    )
    v = pd.DataFrame(rows, columns=["area", "indicator_id", "value"])
    v = v.assign(period=2024, lower_ci=v["value"] - 1, upper_ci=v["value"] + 1)
    v["level"] = np.where(v["area"] == "NL01", "land", "wijk")
    v["name"] = v["area"].map(units.set_index("unit_code")["name"])
    v["gemeente_code"], v["gemeente_name"] = "GM0917", "Heerlen"
    return units, v


def _need(n: int):
    units, values = _wijken(n)
    config = parse_need_config(
        {
            "themes": {"werken": 1.0, "sociale_samenhang": 1.0},
            "indicators": [
                {"id": "bijstand", "weight": 1, "direction": "higher_is_worse"},
                {"id": "eenzaamheid", "weight": 1, "direction": "higher_is_worse"},
            ],
            "sensitivity": {"n_dirichlet": 5},
        },
        _FULL,
    )
    res = compute_need_index(values, config, n_boot=20, units=units)
    # Every third wijk is an aandachtswijk, the others village approaches (one buurt each).
    areas = [
        AreaParams(
            slug=f"a-{i:04d}",
            name=f"Aanpak {i:04d}",
            municipality="GM0917",
            kind="aandachtswijk" if i % 3 == 0 else "dorpsaanpak",
            units=[f"BU0917{i:04d}"],
            intervention_start=2024,
        )
        for i in range(0, n, 2)
    ]
    return res, areas, units


def _section(md: str, heading: str) -> str:
    part = md.split(f"## {heading}\n", 1)[1]
    return part.split("\n## ", 1)[0]


def test_need_tables_over_the_cap_show_the_best_ranks_per_kind_and_say_so(tmp_path, collect):
    limit = 4
    res, areas, units = _need(60)
    md = need_section_md(res, areas, tmp_path, "f", units=units, limit=limit)
    members = _table_rows(_section(md, "De gebiedsaanpakken in de index"))
    by_kind = pd.Series([r[1] for r in members]).value_counts()
    assert by_kind.to_dict() == {"aandachtswijk": limit, "dorpsaanpak": limit}
    rank = res.table.set_index("name")["rank"]
    kind_of = {a.name: a.kind for a in areas}
    unit_of = {a.name: "Wijk " + a.units[0][-4:] for a in areas}
    for kind in ("aandachtswijk", "dorpsaanpak"):
        ranks = sorted(rank[unit_of[a]] for a in kind_of if kind_of[a] == kind)
        shown = sorted(int(r[3]) for r in members if r[1] == kind)
        assert shown == ranks[:limit]
    assert (
        f"De tabel toont per soort aanpak ten hoogste {limit} wijken: {limit} van de 10 in een "
        f"aandachtswijk en {limit} van de 20 in een dorpsaanpak. Gekozen zijn de wijken met de "
        "meeste behoefte volgens de index (de laagste rangnummers;" in md
    )
    full = _csv(collect / "04-volledig-wijken-in-een-gebiedsaanpak.csv")
    assert len(full) == 1 + len(areas)
    others = _section(md, "Andere wijken die even hoog of hoger scoren")
    other_rows = _table_rows(others)
    assert len(other_rows) <= limit
    n_others = (
        len(_csv(collect / "06-volledig-wijken-buiten-de-aanpakken-met-vergelijkbare-score.csv"))
        - 1
    )
    if n_others > limit:
        assert len(other_rows) == limit
        assert (
            f"De tabel toont {limit} van de {n_others} wijken buiten de gebiedsaanpakken" in others
        )
        assert [int(r[0]) for r in other_rows] == sorted(int(r[0]) for r in other_rows)


def test_need_section_is_deterministic_and_unchanged_below_the_cap(tmp_path):
    res, areas, units = _need(60)
    a = need_section_md(res, areas, tmp_path, "f", units=units, limit=4)
    b = need_section_md(res, areas[::-1], tmp_path, "f", units=units, limit=4)
    assert a == b
    free = need_section_md(res, areas, tmp_path, "f", units=units, limit=10**6)
    assert need_section_md(res, areas, tmp_path, "f", units=units, limit=len(areas)) == free
    assert "De tabel toont" not in free and "volledig" not in free


def test_need_names_of_approaches_without_a_whole_wijk_are_counted_over_the_cap(tmp_path, collect):
    res, areas, units = _need(12)
    # Every approach is buurt BU09170000 alone, and its wijk gets a second buurt: no
    # approach holds a whole wijk.
    extra = pd.DataFrame(
        [("BU09170099", "buurt", "Extra", "GM0917", "WK09170000", "Zuid-Limburg")],
        columns=units.columns,
    )
    units = pd.concat([units, extra], ignore_index=True)
    small = [a.model_copy(update={"units": ["BU09170000"]}) for a in areas]
    md = need_section_md(res, small, tmp_path, "f", units=units, limit=2)
    assert f"In {len(small)} gebiedsaanpakken ligt geen wijk geheel binnen." in md
    full = collect / "03-volledig-gebiedsaanpakken-zonder-hele-wijk.csv"
    assert len(_csv(full)) == 1 + len(small)
    assert f"](downloads/{full.name})" in md


def test_downloads_list_says_what_the_complete_files_are(tmp_path, collect):
    from indicators.present.area import downloads_md

    comparison_table_md(_results(MAX_SHOWN + 1), CATALOGUE, HEADLINE, "aandachtswijk")
    md = downloads_md(sorted(collect.iterdir()), "downloads")
    assert md.startswith(
        "Tabellen en grafieken met veel gebieden tonen in het rapport een selectie"
    )
    assert (
        "02-volledig-gebiedsgerichte-aanpakken-naast-elkaar.csv): volledige tabel (alle rijen) "
        "bij een ingekorte tabel of grafiek: gebiedsgerichte aanpakken naast elkaar" in md
    )
    assert "selectie" not in downloads_md([collect / "x.xlsx"], "downloads")
