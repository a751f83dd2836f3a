"""Tests for indicators.survey.codebook (YAML codebook, routing conditions, microdata)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indicators.exceptions import InputError
from indicators.survey import load_codebook, parse_condition, read_microdata, validate_microdata
from tests.conftest import write

CODEBOOK = """\
title: Arbeidsmigranten in Limburg 2025
variables:
  - name: resp_id
    type: id
  - name: nationaliteit
    question: "Wat is uw nationaliteit?"
    type: categorical
    labels: {PL: "Pools", RO: "Roemeens", BG: "Bulgaars"}
    missing: ["XX"]
  - name: werk_status
    question: "Heeft u op dit moment betaald werk?"
    type: categorical
    labels: {1: "Ja", 2: "Nee"}
    missing: [9]
  - name: uren
    question: "Hoeveel uur per week werkt u gemiddeld?"
    type: numeric
    range: [0, 80]
    missing: [-1]
    filter: "werk_status == 1"
  - name: tevreden_woning
    question: "Hoe tevreden bent u met uw woning?"
    type: likert
    labels: {1: "Zeer ontevreden", 2: "Ontevreden", 3: "Neutraal", 4: "Tevreden", 5: "Zeer tevreden"}
    missing: [9]
  - name: opmerking
    question: "Heeft u nog opmerkingen?"
    type: text
    required: false
"""

DATA = """\
resp_id,nationaliteit,werk_status,uren,tevreden_woning,opmerking
101,PL,1,40,4,
102,RO,2,,5,Goed geregeld
103,BG,1,-1,9,
104,XX,9,,3,
"""


@pytest.fixture
def codebook(tmp_path):
    return load_codebook(write(tmp_path / "codebook.yml", CODEBOOK))


def _frame(changes: dict | None = None) -> pd.DataFrame:
    df = pd.read_csv(io.StringIO(DATA), keep_default_na=False, na_values=[""]).astype(object)
    for (col, row), value in (changes or {}).items():
        df.loc[row, col] = value
    return df


# --------------------------------------------------------------------------
# Condition language
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a == 1", [True, False, False, False]),
        ("a != 1", [False, True, True, False]),
        ("a >= 2", [False, True, True, False]),
        ("a < 2 or b == 'x'", [True, True, False, True]),
        ("a in [1, 3]", [True, False, True, False]),
        ("a not in [1, 3]", [False, True, False, False]),
        ("not (a == 1 or a == 2)", [False, False, True, False]),
        ("a > 0 and not b == 'x'", [True, False, True, False]),
        ('b == "x"', [False, True, False, True]),
    ],
)
def test_condition_language(text, expected):
    df = pd.DataFrame({"a": [1, 2, 3, None], "b": ["y", "x", "z", "x"]})
    value, _known = parse_condition(text).evaluate(df)
    assert value.tolist() == expected


def test_condition_is_unknown_when_a_value_is_missing():
    df = pd.DataFrame({"a": [1.0, None, None], "b": [1, 1, 2]})
    _, known = parse_condition("a == 1 and b == 1").evaluate(df)
    assert known.tolist() == [True, False, True]  # False and unknown is known False
    _, known = parse_condition("a == 1 or b == 1").evaluate(df)
    assert known.tolist() == [True, True, False]  # True or unknown is known True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a ==", "ends too early"),
        ("a = 1", "unexpected character"),
        ("a == 1 b == 2", "unexpected 'b'"),
        ("__import__('os') == 1", "expected a comparison"),
        ("a in [1, b]", "only hold numbers and quoted text"),
        ("(a == 1", "ends too early"),
        ("1 == a", "expected a variable name"),
        ("", "non-empty"),
    ],
)
def test_condition_syntax_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_condition(text)


# --------------------------------------------------------------------------
# Codebook loading
# --------------------------------------------------------------------------
def test_load_codebook(codebook):
    assert codebook.id_variable == "resp_id"
    assert codebook.names[:3] == ["resp_id", "nationaliteit", "werk_status"]
    assert codebook["uren"].condition.variables == frozenset({"werk_status"})
    assert codebook["werk_status"].question == "Heeft u op dit moment betaald werk?"


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ("type: numeric", "type: getal", "variables[3].type", "Input should be"),
        ('filter: "werk_status == 1"', 'filter: "werk == 1"', "variables[3]", "unknown variables"),
        ('filter: "werk_status == 1"', 'filter: "werk_status = 1"', "variables[3].filter", "unexp"),
        ("range: [0, 80]", "range: [80, 0]", "variables[3]", "exceeds maximum"),
        ('    labels: {1: "Ja", 2: "Nee"}\n', "", "variables[2]", "needs labels"),
        ("missing: [9]\n  - name: uren", "missing: [1]\n  - name: uren", "variables[2]", "both"),
    ],
)
def test_codebook_errors_name_file_key_and_variable(tmp_path, old, new, where, message):
    assert old in CODEBOOK
    path = write(tmp_path / "cb.yml", CODEBOOK.replace(old, new, 1))
    with pytest.raises(InputError, match=message) as info:
        load_codebook(path)
    assert info.value.path == str(path)
    assert info.value.row.startswith(where)
    assert str(path) in str(info.value)


def test_codebook_rejects_invalid_yaml_and_duplicates(tmp_path):
    with pytest.raises(InputError, match="not valid YAML") as info:
        load_codebook(write(tmp_path / "bad.yml", "variables: [\n  - name: x\n"))
    assert info.value.row is not None
    dup = CODEBOOK + "  - name: uren\n    type: numeric\n"
    with pytest.raises(InputError, match="repeated: uren"):
        load_codebook(write(tmp_path / "dup.yml", dup))


# --------------------------------------------------------------------------
# Microdata validation
# --------------------------------------------------------------------------
def test_validate_cleans_missing_codes(codebook):
    clean = validate_microdata(_frame(), codebook, "data.csv")
    assert clean["uren"].tolist()[0] == 40.0
    assert np.isnan(clean["uren"].iloc[2])  # -1 = missing code
    assert np.isnan(clean["tevreden_woning"].iloc[2])  # 9 = missing code
    assert pd.isna(clean.loc[3, "nationaliteit"])  # "XX"
    assert clean["werk_status"].dtype == float
    assert clean["opmerking"].iloc[1] == "Goed geregeld"


def test_validate_does_not_mutate_input(codebook):
    df = _frame()
    before = df.copy()
    validate_microdata(df, codebook)
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize(
    ("changes", "field", "row", "message"),
    [
        ({("werk_status", 1): 3}, "werk_status", "data row 2 (respondent 102)", "unknown code 3"),
        ({("nationaliteit", 0): "DE"}, "nationaliteit", "data row 1", "unknown code 'DE'"),
        ({("uren", 0): 95}, "uren", "data row 1 (respondent 101)", "outside the valid range 0-80"),
        ({("uren", 0): "veel"}, "uren", "data row 1", "expected a number but found 'veel'"),
        ({("tevreden_woning", 3): 6}, "tevreden_woning", "data row 4", "expected one of 1, 2"),
        ({("uren", 1): 12}, "uren", "data row 2 (respondent 102)", "routing filter"),
        ({("uren", 0): None}, "uren", "data row 1 (respondent 101)", "no answer and no missing"),
        ({("werk_status", 0): None}, "werk_status", "data row 1", "asked to every respondent"),
        ({("resp_id", 1): 101}, "resp_id", "data row 2", "also occurs in data row 1"),
    ],
)
def test_validate_reports_file_row_respondent_and_variable(codebook, changes, field, row, message):
    df = _frame(changes)
    with pytest.raises(InputError, match=message) as info:
        validate_microdata(df, codebook, "enquete.csv")
    err = info.value
    assert (err.path, err.field) == ("enquete.csv", field)
    assert err.row.startswith(row)
    assert str(err).startswith("enquete.csv, ")


def test_routing_with_unknown_filter_value_is_not_checked(codebook):
    # werk_status 9 (weet niet) is missing, so the filter is unknown: both a
    # blank and an answer on "uren" are accepted.
    validate_microdata(_frame({("uren", 3): 20}), codebook)


def test_answer_while_filtered_out_may_be_a_missing_code(codebook):
    validate_microdata(_frame({("uren", 1): -1}), codebook)


def test_missing_columns_are_listed(codebook):
    with pytest.raises(InputError, match="missing from the data: uren, opmerking") as info:
        validate_microdata(_frame().drop(columns=["uren", "opmerking"]), codebook, "x.csv")
    assert info.value.field == "uren"


def test_more_rows_with_the_same_problem_are_counted(codebook):
    df = _frame({("werk_status", 1): 7, ("werk_status", 2): 7})
    with pytest.raises(InputError, match=r"\(1 more rows with this problem\)"):
        validate_microdata(df, codebook)


# --------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------
def test_read_csv_and_semicolon_csv(tmp_path, codebook):
    clean = read_microdata(write(tmp_path / "d.csv", DATA), codebook)
    assert len(clean) == 4
    dutch = DATA.replace(",", ";").replace(";40;", ";37,5;")
    clean = read_microdata(write(tmp_path / "nl.csv", dutch), codebook, sep=";", decimal=",")
    assert clean["uren"].iloc[0] == 37.5


def test_read_csv_sniffs_the_dutch_export_and_records_it(tmp_path, codebook):
    dutch = DATA.replace(",", ";").replace(";40;", ";37,5;")
    path = tmp_path / "nl.csv"
    path.write_bytes(b"\xef\xbb\xbf" + dutch.encode("utf-8"))
    clean = read_microdata(path, codebook)  # no sep or decimal given
    assert clean["uren"].iloc[0] == 37.5
    notes = clean.attrs["read_notes"]
    assert (notes.delimiter, notes.bom, notes.decimal_comma_columns) == (";", True, ["uren"])
    assert clean.columns[0] == codebook.variables[0].name


def test_read_csv_with_another_delimiter_than_given_fails(tmp_path, codebook):
    path = write(tmp_path / "d.csv", DATA)
    with pytest.raises(InputError, match=r"d\.csv, line 1: the header is separated by comma"):
        read_microdata(path, codebook, sep=";")


def test_read_reports_row_of_bad_value_in_file(tmp_path, codebook):
    path = write(tmp_path / "d.csv", DATA.replace("102,RO,2", "102,RO,5"))
    with pytest.raises(InputError, match="unknown code 5") as info:
        read_microdata(path, codebook)
    assert info.value.path == str(path)


def test_read_unsupported_and_missing_files(tmp_path, codebook):
    with pytest.raises(InputError, match="not found"):
        read_microdata(tmp_path / "nope.csv", codebook)
    with pytest.raises(InputError, match="unsupported microdata format '.xlsx'"):
        read_microdata(write(tmp_path / "d.xlsx", "x"), codebook)


def test_read_sav_without_pyreadstat_says_what_is_needed(tmp_path, codebook, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyreadstat", None)
    path = write(tmp_path / "d.sav", "not really spss")
    with pytest.raises(InputError, match="needs the optional package pyreadstat"):
        read_microdata(path, codebook)


def test_read_sav_roundtrip(tmp_path, codebook):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = _frame()
    df["opmerking"] = df["opmerking"].fillna("")
    path = Path(tmp_path / "d.sav")
    pyreadstat.write_sav(df, str(path))
    clean = read_microdata(path, codebook)
    assert clean["uren"].iloc[0] == 40.0
    assert np.isnan(clean["uren"].iloc[2])
