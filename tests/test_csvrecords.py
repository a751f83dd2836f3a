"""Record runs (indicators.csvrecords.record_runs): the numpy path equals the record-by-record one.

The numpy path compares first fields eight bytes at a time; these cases
put the differences where that could go wrong: names of 7, 8, 9 and 16+
bytes, names that are prefixes of each other, one-field records, a last
record without a newline, and random tables.
"""

from __future__ import annotations

import random

import pytest

from indicators import csvrecords
from indicators.csvrecords import record_runs


def _reference(data: bytes) -> list[tuple[str, int, int]]:
    return csvrecords._record_runs_python(data)


CASES = [
    b"",
    b"a,1\n",
    b"a,1",
    b"a\nb\nb\n",
    b"abcdefg,1\nabcdefg,2\nabcdefgh,3\nabcdefgh,4\nabcdefghi,5\nabcdefgh,6\n",
    b"ab,1\nabc,1\nab,2\nabcdefghijklmnopq,1\nabcdefghijklmnopr,1\nabcdefghijklmnopr,2\n",
    b"syn-wk000101,1,2\nsyn-wk000101,3,4\nsyn-wk000102,1,2\nsyn-wk000102,,",
    b"x,1\n,2\n,3\ny,4\n",  # empty first fields
    "ønderby,1\nønderby,2\nørsted,3\n".encode(),  # multi-byte UTF-8
]


@pytest.mark.parametrize("data", CASES)
def test_runs_equal_the_record_by_record_reference(data):
    assert record_runs(data) == _reference(data)
    if data and b'"' not in data:
        assert csvrecords._plain_runs(data) == _reference(data)


def test_quoted_fields_take_the_record_by_record_path():
    data = b'a,1\n"a",2\n"b,c","x\ny"\n"b,c",3\n'
    assert record_runs(data) == _reference(data) == [("a", 0, 10), ("b,c", 10, len(data))]


@pytest.mark.parametrize("seed", range(20))
def test_random_tables(seed):
    rng = random.Random(seed)
    names = sorted({"".join(rng.choices("ab-0", k=rng.randint(1, 19))) for _ in range(12)})
    lines = []
    for name in names:
        for _ in range(rng.randint(1, 4)):
            lines.append(f"{name},{rng.randint(0, 9)},{'x' * rng.randint(0, 9)}")
    data = ("\n".join(lines) + ("\n" if seed % 2 else "")).encode()
    got = record_runs(data)
    assert got == _reference(data)
    assert [k for k, _, _ in got] == names


def test_quoted_fields_after_an_unquoted_first_field_take_the_numpy_path(monkeypatch):
    data = b'a,"x,y",1\na,"",2\nb,"q ""z""",3\n'
    monkeypatch.setattr(csvrecords, "split_records", None)  # the Python path would fail
    assert record_runs(data) == [("a", 0, 17), ("b", 17, len(data))]
