"""The plain-file fast path of the observation reader gives exactly the lenient reader's frame.

``sources._observations_plain`` parses a plain CSV with pandas' C parser;
``sources._observations_lenient`` reads any dialect as text and converts cell
by cell. For every file the fast path accepts, the two frames must be equal
bit for bit (dtypes, values, the sign of zero, ``attrs``); every other file
must be left to the lenient path (``None``), whose errors name line and field.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from indicators.config import load_catalogue
from indicators.exceptions import InputError
from indicators.sources import (
    _observations_lenient,
    _observations_plain,
    load_observations,
    load_units,
)
from tests.conftest import ROOT, write

DEMO = ROOT / "data" / "demo"
HEADER = "unit_code,indicator_id,period,numerator,denominator,value,se\n"


def _assert_identical(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert list(fast.dtypes) == list(slow.dtypes)
    assert fast.attrs == slow.attrs
    for c in fast.columns:
        a, b = fast[c].to_numpy(), slow[c].to_numpy()
        if a.dtype.kind == "f":  # same bits: -0.0 and 0.0 compare equal otherwise
            assert np.array_equal(a.view("u8"), b.view("u8")), c


def test_demo_observations_take_the_fast_path_and_match_the_lenient_reader():
    fast = _observations_plain(DEMO / "observations.csv")
    assert fast is not None, "the demo data is a plain file"
    _assert_identical(fast, _observations_lenient(DEMO / "observations.csv"))


def _number(rng: random.Random) -> str:
    """A number cell as programs write them (and a few they rarely do)."""
    k = rng.random()
    if k < 0.1:
        return rng.choice(["", ".", "0", "-0.0", "-0.0000", "00012", "1.", ".5", "+3", "1E+05"])
    if k < 0.4:
        return str(rng.randint(0, 10 ** rng.randint(1, 15)))
    if k < 0.7:
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 22)))
        return f"{rng.choice(['', '-'])}{rng.randint(0, 10**6)}.{digits}"
    if k < 0.9:
        return f"{rng.uniform(-1e4, 1e4):.{rng.randint(1, 18)}e}"
    return repr(rng.uniform(-1, 1) * 10 ** rng.randint(-300, 300))


def test_tricky_numbers_convert_to_the_same_bits(tmp_path):
    rng = random.Random(7)
    rows = [
        f"BU{i:08d},ind_{i % 7},{2000 + i % 25},{_number(rng)},{_number(rng)},"
        f"{_number(rng)},{_number(rng)}"
        for i in range(20_000)
    ]
    p = write(tmp_path / "observations.csv", HEADER + "\n".join(rows) + "\n")
    fast = _observations_plain(p)
    assert fast is not None
    _assert_identical(fast, _observations_lenient(p))


@pytest.mark.parametrize(
    ("denominators", "plain"),
    [
        (["4", "-0"], False),  # whole numbers: to_numeric reads "-0" as int 0, so +0.0
        (["4.5", "-0"], True),  # a decimal in the column: to_numeric keeps -0.0 too
        (["4", "", "-0"], None),  # whole numbers with a gap: either way, the same bits
    ],
)
def test_negative_zero_follows_pd_to_numeric(tmp_path, denominators, plain):
    rows = [f"BU{i:08d},x,2020,,{d},1.5,0.1" for i, d in enumerate(denominators)]
    p = write(tmp_path / "observations.csv", HEADER + "\n".join(rows) + "\n")
    fast = _observations_plain(p)
    if plain is not None:
        assert (fast is not None) == plain
    if fast is not None:
        _assert_identical(fast, _observations_lenient(p))


GOOD_ROW = "BU09170101,aandeel_65plus,2020,12,200,,"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("\ufeff" + HEADER + GOOD_ROW + "\n", "byte order mark"),
        (HEADER.replace(",", ";") + GOOD_ROW.replace(",", ";") + "\n", "semicolons"),
        (HEADER + GOOD_ROW.replace("\n", "") + "\r\n", "carriage return"),
        (HEADER + GOOD_ROW.replace("12", " 12") + "\n", "a space to strip"),
        (HEADER + GOOD_ROW.replace("12", '"12"') + "\n", "quotes"),
        (HEADER + GOOD_ROW[:-1] + "\n", "a row with too few fields"),
        (HEADER + GOOD_ROW + ",\n", "a row with too many fields"),
        (HEADER + "\n" + GOOD_ROW + "\n", "an empty line"),
        (HEADER + GOOD_ROW + "\n,,,,,,\n", "an empty row at the end"),
        (HEADER + GOOD_ROW.replace("12", "TRUE") + "\n", "a boolean word"),
        (HEADER + GOOD_ROW.replace("12", "inf") + "\n", "an infinite number"),
        (HEADER + GOOD_ROW.replace("12", "nan") + "\n", "the text nan"),
        (HEADER + GOOD_ROW.replace("2020", "2020.5") + "\n", "a year with a fraction"),
        (HEADER + GOOD_ROW.replace("12", "9007199254740993") + "\n", "beyond 2**53"),
        (HEADER + GOOD_ROW.replace("BU09170101", "") + "\n", "an empty unit code"),
        (HEADER + GOOD_ROW.replace("BU09170101", "BÜ0917") + "\n", "non-ASCII text"),
        ("indicator_id,unit_code" + HEADER[19:] + GOOD_ROW + "\n", "another column order"),
        (HEADER, "no data rows"),
    ],
)
def test_files_that_are_not_plain_go_to_the_lenient_reader(tmp_path, text, why):
    p = write(tmp_path / "observations.csv", text)
    assert _observations_plain(p) is None, why


@pytest.mark.parametrize("year", ["2020.0", "2.02e3", "+2020", "02020"])
def test_years_in_other_notations_read_as_the_lenient_reader_does(tmp_path, year):
    p = write(tmp_path / "observations.csv", HEADER + GOOD_ROW.replace("2020", year) + "\n")
    fast, slow = _observations_plain(p), _observations_lenient(p)
    if fast is not None:
        _assert_identical(fast, slow)
    assert slow["period"].tolist() == [2020]


def test_missing_file_goes_to_the_lenient_reader_and_its_error(tmp_path):
    assert _observations_plain(tmp_path / "absent.csv") is None
    units = load_units(DEMO / "units.csv")
    with pytest.raises(InputError, match=r"absent\.csv.*file not found"):
        load_observations(tmp_path / "absent.csv", catalogue=load_catalogue(), units=units)


def test_validation_errors_of_a_plain_file_name_line_and_field(tmp_path):
    """The fast path feeds the same checks: a plain file with a bad row fails as before."""
    rows = DEMO.joinpath("observations.csv").read_text(encoding="utf-8").splitlines()
    rows[5] = rows[5].replace(rows[5].split(",")[0], "BU99999999", 1)
    p = write(tmp_path / "observations.csv", "\n".join(rows) + "\n")
    assert _observations_plain(p) is not None
    units = load_units(DEMO / "units.csv")
    with pytest.raises(InputError, match=r"line 6, field 'unit_code': unknown area code"):
        load_observations(p, catalogue=load_catalogue(), units=units)


CORPUS = sorted(
    p
    for p in (ROOT / "tests" / "bad_inputs").glob("*/observations.csv")
    if not p.parent.name.startswith("_")
)


@pytest.mark.parametrize("path", CORPUS, ids=[p.parent.name for p in CORPUS])
def test_bad_input_corpus_fast_path_declines_or_matches(path):
    """A file the lenient conversion rejects never passes the fast path."""
    fast = _observations_plain(path)
    try:
        slow = _observations_lenient(path)
    except InputError:
        assert fast is None
        return
    if fast is not None:
        _assert_identical(fast, slow)
