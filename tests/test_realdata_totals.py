"""Nederland (NL01) summed over all municipalities, only when that is exact and complete."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.config import load_catalogue
from indicators.realdata.mapping import LONG_COLUMNS
from indicators.realdata.totals import benchmark_notes, national_rows, readme_section

CATALOGUE = load_catalogue()
COUNTS = {2019: 3}


def _obs(rows: list[tuple]) -> pd.DataFrame:
    """rows: (unit, indicator, numerator, denominator, value, flags); period and geo 2019."""
    df = pd.DataFrame(
        [
            {"unit_code": u, "indicator_id": i, "period": 2019, "numerator": n,
             "denominator": d, "value": v, "se": np.nan, "geo_year": 2019, "table_id": "t",
             "flags": f, "weight_from": ""}
            for u, i, n, d, v, f in rows
        ]
    )  # fmt: skip
    return df[LONG_COLUMNS]


def _three(ind: str = "aandeel_65plus", flags: str = "", secret: bool = False) -> list[tuple]:
    return [
        ("GM0001", ind, 10.0, 100.0, np.nan, flags),
        ("GM0002", ind, np.nan if secret else 20.0, 300.0, np.nan, flags),
        ("GM0003", ind, 30.0, 600.0, np.nan, flags),
    ]


def _one(notes, ind="aandeel_65plus"):
    (d,) = [n for n in notes if n.indicator_id == ind]
    return d


def test_all_municipalities_give_the_exact_national_sum():
    rows, notes = national_rows(_obs(_three()), CATALOGUE, COUNTS)
    r = rows.iloc[0]
    assert (r.unit_code, r.numerator, r.denominator) == ("NL01", 60.0, 1000.0)
    assert r["flags"] == "sum_of_all_gemeenten" and np.isnan(r.value)
    d = _one(notes)
    assert d.status == "derived" and d.exact and d.n_gemeenten == d.expected == 3


def test_a_missing_municipality_means_no_national_figure_and_says_so():
    rows, notes = national_rows(_obs(_three()[:2]), CATALOGUE, COUNTS)
    assert rows.empty
    d = _one(notes)
    assert d.status == "not_derived" and d.reason == "2 van de 3 gemeenten in de gegevens"


def test_a_secret_cell_means_no_national_figure():
    rows, notes = national_rows(_obs(_three(secret=True)), CATALOGUE, COUNTS)
    assert rows.empty and "1 van de 3 gemeenten zonder bruikbare teller" in _one(notes).reason


def test_unknown_number_of_municipalities_means_no_national_figure():
    rows, notes = national_rows(_obs(_three()), CATALOGUE, {2020: 3})
    assert rows.empty and "onbekend" in _one(notes).reason


def test_averages_scores_and_model_estimates_are_not_derived():
    obs = _obs(
        [(f"GM000{k}", "woz_waarde", np.nan, 100.0, 250.0, "") for k in (1, 2, 3)]  # weighted mean
        + _three("roken", flags="model_estimate;derived_from_percentage")
    )
    rows, notes = national_rows(obs, CATALOGUE, COUNTS)
    assert rows.empty
    assert "gemiddelde of score" in _one(notes, "woz_waarde").reason
    assert "modelschatting" in _one(notes, "roken").reason


def test_a_published_national_row_wins():
    obs = _obs([*_three(), ("NL01", "aandeel_65plus", 61.0, 1001.0, np.nan, "")])
    rows, notes = national_rows(obs, CATALOGUE, COUNTS)
    assert rows.empty and _one(notes).status == "published"


def test_percentages_make_the_sum_approximate_and_the_notes_say_so():
    rows, notes = national_rows(
        _obs(_three("koopwoningen", flags="derived_from_percentage")), CATALOGUE, COUNTS
    )
    assert rows.iloc[0]["flags"] == "sum_of_all_gemeenten;derived_from_percentage"
    d = _one(notes, "koopwoningen")
    assert not d.exact and "benadering" in d.reason
    note = benchmark_notes(notes, {"NL01": "Nederland"})["koopwoningen"]
    assert note.startswith("Nederland (2019): som van alle 3 gemeenten") and "Exact" not in note


def test_readme_section_lists_derived_and_not_derived_rows():
    _, ok = national_rows(_obs(_three()), CATALOGUE, COUNTS)
    _, missing = national_rows(_obs(_three("koopwoningen")[:2]), CATALOGUE, COUNTS)
    md = readme_section(ok + missing, {"NL01": "Nederland"}, enabled=True)
    assert "| Nederland (`NL01`) | `aandeel_65plus` | 2019 | afgeleid |" in md
    assert "| `koopwoningen` | 2019 | niet afgeleid | 2 van de 3 gemeenten in de gegevens |" in md
    assert "uitgeschakeld" in readme_section([], {}, enabled=False)
