"""Data-quality report: injected outlier, missing year and level break are found; clean data is not flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.config import load_catalogue
from indicators.exceptions import InputError
from indicators.realdata.quality import (
    FLAGS_SCHEMA,
    level_breaks,
    quality_report,
    robust_z,
    validate_frame,
    write_report,
)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _table(years=range(2013, 2024), n_units=12, seed=1) -> pd.DataFrame:
    """Smooth, plausible aandeel_65plus (sum) and woz_waarde (weighted mean) series."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_units):
        code = f"BU0917{u // 4 + 1:02d}{u % 4 + 1:02d}"
        base, pop = 0.18 + 0.01 * u, 1000 + 100 * u
        for k, y in enumerate(years):
            share = base + 0.002 * k + rng.normal(0, 0.001)
            rows.append((code, "aandeel_65plus", y, round(share * pop), pop, np.nan))
            rows.append((code, "woz_waarde", y, np.nan, 400, 150 + 3 * k + u + rng.normal(0, 0.5)))
    return pd.DataFrame(
        rows, columns=["unit_code", "indicator_id", "period", "numerator", "denominator", "value"]
    ).assign(se=np.nan)


def test_clean_data_gives_no_issues(catalogue):
    rep = quality_report(_table(), catalogue)
    assert rep.issues.empty, rep.issues


def test_injected_outlier_is_flagged(catalogue):
    df = _table()
    hit = (
        (df["unit_code"] == "BU09170203")
        & (df["indicator_id"] == "woz_waarde")
        & (df["period"] == 2018)
    )
    df.loc[hit, "value"] = 900.0
    rep = quality_report(df, catalogue)
    out = rep.issues[rep.issues["check"] == "outlier"]
    assert len(out) == 1
    (row,) = out.itertuples()
    assert (row.unit_code, row.indicator_id, row.period) == ("BU09170203", "woz_waarde", 2018)
    assert row.statistic > 3.5 and "robust z" in row.detail
    assert rep.count("level_break") == 0  # a one-year spike is not a level shift


def test_missing_year_is_flagged(catalogue):
    df = _table()
    df = df[~((df["indicator_id"] == "aandeel_65plus") & (df["period"] == 2016))]
    rep = quality_report(df, catalogue)
    gaps = rep.issues[rep.issues["check"] == "missing_year"]
    assert gaps[["indicator_id", "period"]].values.tolist() == [["aandeel_65plus", 2016]]
    m = rep.missing.set_index(["indicator_id", "period"])
    assert bool(m.at[("aandeel_65plus", 2016), "year_missing"])


def test_suppressed_cells_are_counted_as_missing(catalogue):
    df = _table()
    df.loc[(df["unit_code"] == "BU09170101") & (df["period"] == 2020), "numerator"] = np.nan
    m = quality_report(df, catalogue).missing.set_index(["indicator_id", "period"])
    assert m.at[("aandeel_65plus", 2020), "n_missing"] == 1
    assert m.at[("aandeel_65plus", 2020), "n_rows"] == 12
    assert not m.at[("aandeel_65plus", 2020), "year_missing"]


def test_level_break_is_flagged(catalogue):
    df = _table()
    hit = (
        (df["unit_code"] == "BU09170302")
        & (df["indicator_id"] == "woz_waarde")
        & (df["period"] >= 2019)
    )
    df.loc[hit, "value"] += 60.0  # e.g. a redrawn buurt from 2019 on
    rep = quality_report(df, catalogue)
    br = rep.issues[rep.issues["check"] == "level_break"]
    assert br[["unit_code", "indicator_id", "period"]].values.tolist() == [
        ["BU09170302", "woz_waarde", 2019]
    ]
    assert br["statistic"].iloc[0] == pytest.approx(63, abs=3)


def test_biennial_and_survey_series_only_expect_their_years(catalogue):
    df = pd.DataFrame(
        {
            "unit_code": "BU09170101",
            "indicator_id": ["leefbaarometer_totaal"] * 3 + ["roken"] * 3,
            "period": [2018, 2020, 2022, 2012, 2016, 2020],
            "numerator": [np.nan] * 3 + [20.0, 21.0, 19.0],
            "denominator": [100.0] * 3 + [100.0] * 3,
            "value": [0.1, 0.12, 0.11, np.nan, np.nan, np.nan],
            "se": np.nan,
        }
    )
    assert quality_report(df, catalogue).count("missing_year") == 0


def test_robust_z_and_mad_zero_fallback(catalogue):
    z, mad = robust_z(np.array([5.0, 5.0, 5.0, 5.0, 5.0, 9.0]))
    assert mad == 0 and (z == 0).all()
    df = pd.DataFrame(
        {
            "unit_code": [f"GM09{i:02d}" for i in range(10, 16)],
            "indicator_id": "woz_waarde",
            "period": 2020,
            "numerator": np.nan,
            "denominator": 100.0,
            "value": [5.0, 5.0, 5.0, 5.0, 5.0, 9.0],
            "se": np.nan,
        }
    )
    out = quality_report(df, catalogue).issues
    assert out["unit_code"].tolist() == ["GM0915"] and "IQR" in out["detail"].iloc[0]


def test_level_breaks_need_enough_values():
    assert level_breaks(np.arange(4), np.array([1.0, 1.0, 9.0, 9.0])) == []


def test_report_is_written_as_markdown_and_csv(tmp_path, catalogue):
    df = _table()
    df.loc[(df["indicator_id"] == "woz_waarde") & (df["unit_code"] == "BU09170101"), "value"] *= 4
    paths = write_report(quality_report(df, catalogue), tmp_path, title="Test")
    md = paths["markdown"].read_text()
    for heading in ("# Test", "Ontbrekende waarden", "Uitschieters", "Breuken in reeksen"):
        assert heading in md
    assert "Iglewicz" in md and "BU09170101" in md
    issues = pd.read_csv(paths["issues"])
    assert list(issues.columns[:4]) == ["check", "indicator_id", "unit_code", "period"]
    assert (pd.read_csv(paths["missing"])["n_rows"] > 0).all()


def test_schema_errors_name_file_line_and_column():
    bad = pd.DataFrame(
        {"unit_code": ["GM0917", "XX1"], "indicator_id": ["a", "a"], "period": [2019, 2019],
         "flags": ["x", "y"]}
    )  # fmt: skip
    with pytest.raises(InputError, match=r"flags.csv, line 3, field 'unit_code'"):
        validate_frame(bad, FLAGS_SCHEMA, "flags.csv")
