"""Reading units and observations: bad cells name file, line and column; missing stays missing."""

from __future__ import annotations

import numpy as np
import pytest

from indicators.config import load_catalogue
from indicators.exceptions import InputError
from indicators.sources import load_observations, load_units
from tests.conftest import write

UNITS = """unit_code,level,name,gemeente_code,wijk_code,region
NL01,land,Nederland,,,
PV31,provincie,Limburg,,,
GM0917,gemeente,Heerlen,GM0917,,Zuid-Limburg
WK091701,wijk,Wijk 1,GM0917,,Zuid-Limburg
BU09170101,buurt,Buurt 1,GM0917,WK091701,Zuid-Limburg
"""

HEADER = "unit_code,indicator_id,period,numerator,denominator,value,se\n"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture
def units(tmp_path):
    return load_units(write(tmp_path / "units.csv", UNITS))


def _sum_indicator(catalogue, value_type="proportion"):
    return next(
        i.id for i in catalogue.indicators if i.aggregation == "sum" and i.value_type == value_type
    )


def _obs(tmp_path, rows: str):
    return write(tmp_path / "observations.csv", HEADER + rows)


def test_empty_cells_stay_missing_never_zero(tmp_path, catalogue, units):
    ind = _sum_indicator(catalogue)
    p = _obs(tmp_path, f"BU09170101,{ind},2020,,,,\nBU09170101,{ind},2021,.,.,,\n")
    df = load_observations(p, catalogue=catalogue, units=units)
    assert df["numerator"].isna().all() and df["denominator"].isna().all()
    assert not (df[["numerator", "denominator"]] == 0).any().any()


def test_valid_rows_load(tmp_path, catalogue, units):
    ind = _sum_indicator(catalogue)
    df = load_observations(
        _obs(tmp_path, f"BU09170101,{ind},2020,12,200,,\n"), catalogue=catalogue, units=units
    )
    assert df.loc[0, "numerator"] == 12 and df.loc[0, "denominator"] == 200
    assert np.isnan(df.loc[0, "value"])


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (
            "BU09170101,{ind},2020,twelve,200,,",
            r"line 2, field 'numerator': expected a number, got 'twelve'",
        ),
        (
            "BU99999999,{ind},2020,12,200,,",
            r"line 2, field 'unit_code': unknown area code 'BU99999999'",
        ),
        (
            "BU09170101,nonexistent,2020,12,200,,",
            r"line 2, field 'indicator_id': unknown indicator 'nonexistent'",
        ),
        ("BU09170101,{ind},1850,12,200,,", r"line 2, field 'period': year 1850 out of range"),
        ("BU09170101,{ind},2020,-3,200,,", r"line 2, field 'numerator': negative value -3"),
        (
            "BU09170101,{ind},2020,300,200,,",
            r"line 2, field 'numerator': numerator larger than its denominator",
        ),
        ("BU09170101,{ind},2020.5,3,200,,", r"line 2, field 'period': expected a whole number"),
    ],
)
def test_bad_cells_name_file_line_and_field(tmp_path, catalogue, units, row, match):
    p = _obs(tmp_path, row.format(ind=_sum_indicator(catalogue)) + "\n")
    with pytest.raises(InputError, match=r"observations.csv, " + match):
        load_observations(p, catalogue=catalogue, units=units)


def test_duplicate_keys_are_rejected_with_the_line(tmp_path, catalogue, units):
    ind = _sum_indicator(catalogue)
    p = _obs(tmp_path, f"BU09170101,{ind},2020,1,20,,\nBU09170101,{ind},2020,2,20,,\n")
    with pytest.raises(InputError, match=r"line 3, field 'unit_code': duplicate key"):
        load_observations(p, catalogue=catalogue, units=units)


def test_the_first_duplicate_in_file_order_is_reported(tmp_path, catalogue, units):
    # Two duplicated keys, neither next to its first row; in sorted order the bijstand
    # pair comes first, in file order the later werkloosheid row (line 5) does.
    p = _obs(
        tmp_path,
        "BU09170101,werkloosheid,2020,10,100,,\n"
        "BU09170101,bijstand,2020,5,100,,\n"
        "GM0917,bijstand,2020,5,100,,\n"
        "BU09170101,werkloosheid,2020,11,100,,\n"
        "BU09170101,bijstand,2020,6,100,,\n",
    )
    with pytest.raises(
        InputError,
        match=r"line 5, field 'unit_code': duplicate key .*'werkloosheid'.*also on line 2",
    ):
        load_observations(p, catalogue=catalogue, units=units)


def test_observations_are_checked_against_the_whole_schema():
    from indicators.sources import _OBSERVATIONS_ROWS, OBSERVATIONS_SCHEMA

    # the rows are checked without pandera's uniqueness check (done on the sorted keys)
    def spec(schema):
        return {
            name: (str(c.dtype), [str(k) for k in c.checks], c.nullable)
            for name, c in schema.columns.items()
        }

    assert spec(_OBSERVATIONS_ROWS) == spec(OBSERVATIONS_SCHEMA)
    assert OBSERVATIONS_SCHEMA.unique == ["unit_code", "indicator_id", "period"]
    assert _OBSERVATIONS_ROWS.strict and not _OBSERVATIONS_ROWS.unique


def test_missing_column_is_reported(tmp_path, catalogue, units):
    p = write(tmp_path / "observations.csv", "unit_code,indicator_id,period,numerator,value,se\n")
    with pytest.raises(InputError, match=r"line 1: missing column\(s\) \['denominator'\]"):
        load_observations(p, catalogue=catalogue, units=units)


def test_empty_file_is_reported(tmp_path, catalogue, units):
    p = write(tmp_path / "observations.csv", "")
    with pytest.raises(InputError, match="file is empty"):
        load_observations(p, catalogue=catalogue, units=units)


def test_missing_file_is_reported(tmp_path, catalogue, units):
    with pytest.raises(InputError, match=r"nope.csv: file not found"):
        load_observations(tmp_path / "nope.csv", catalogue=catalogue, units=units)


def test_unknown_unit_level_is_rejected(tmp_path):
    p = write(tmp_path / "units.csv", UNITS.replace("WK091701,wijk", "WK091701,district"))
    with pytest.raises(InputError, match=r"units.csv.*field 'level'"):
        load_units(p)


def test_shipped_demo_data_validate(root):
    cat = load_catalogue()
    units = load_units()
    obs = load_observations(catalogue=cat, units=units)
    assert len(obs) > 10_000
