"""Kept column types of result tables (indicators.tabletypes) equal pandas' inference.

pandas reading the whole table is the reference: after any splice, the carried
answer is either withheld (None, so the table is read again) or exactly what
pandas infers for the new table.
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from indicators import csvrecords, tabletypes
from indicators.csvrecords import TableIndex

HEADER = b"area,n,x,label,flag"


def _cells(rng: random.Random, kind: str) -> list[str]:
    """One record's cells after the entity; ``kind`` biases the columns' types."""
    n = str(rng.randint(0, 500))
    x = rng.choice(["1", "2", "3.5", "", "17", "1e+17", "0.25"]) if kind != "int" else "4"
    label = rng.choice(["aap", "noot", "", "12"]) if kind != "int" else "7"
    flag = rng.choice(["True", "False", ""]) if kind == "mixed" else ""
    return [n, x, label, flag]


def _whole(table: dict[str, list[bytes]]) -> bytes:
    return HEADER + b"\n" + b"".join(r + b"\n" for k in sorted(table) for r in table[k])


def _rows(rng: random.Random, entity: str, kind: str) -> list[bytes]:
    return [",".join([entity, *_cells(rng, kind)]).encode() for _ in range(rng.randint(1, 3))]


def _pandas_floats(path) -> list[int]:
    df = pd.read_csv(path, keep_default_na=True)
    return [i for i, c in enumerate(df.columns) if pd.api.types.is_float_dtype(df[c])]


@pytest.mark.parametrize("seed", range(12))
def test_carried_types_are_pandas_types_or_withheld(tmp_path, seed):
    rng = random.Random(seed)
    names = [f"wk{i:02d}" for i in range(40)]
    kinds = ["int", "mixed", "plain"]
    table = {k: _rows(rng, k, rng.choice(kinds)) for k in rng.sample(names, 20)}
    f = tmp_path / "t.csv"
    f.write_bytes(_whole(table))
    index, _ = TableIndex.of(f)
    types = tabletypes.float_columns(f, index)
    assert types.floats == _pandas_floats(f)
    carried = 0
    for _ in range(30):
        blocks = {k: _rows(rng, k, rng.choice(kinds)) for k in rng.sample(names, rng.randint(0, 3))}
        drop = set(rng.sample(sorted(table), min(len(table) - 1, rng.randint(0, 3))))
        before = TableIndex.load(f)
        after = csvrecords.splice_blocks(f, HEADER, blocks, drop)
        for k in drop:
            table.pop(k)
        table.update(blocks)
        assert f.read_bytes() == _whole(table)
        got = tabletypes.after_splice(f, before, after, blocks, drop)
        if got is not None:
            carried += 1
            assert got.floats == _pandas_floats(f)
            assert tabletypes.FloatColumns.load(f, after) == got
        else:
            assert tabletypes.FloatColumns.load(f, after) is None
        # whatever happened, the answer for the new version equals pandas'
        assert tabletypes.float_columns(f, TableIndex.of(f)[0]).floats == _pandas_floats(f)
    assert carried  # the carried path is exercised, not only the fallback


def _setup(tmp_path, rows: dict[str, list[str]]):
    table = {k: [f"{k},{r}".encode() for r in v] for k, v in rows.items()}
    f = tmp_path / "t.csv"
    f.write_bytes(_whole(table))
    index, _ = TableIndex.of(f)
    tabletypes.float_columns(f, index)
    return f


def _splice(f, blocks: dict[str, list[str]], drop: set[str]):
    before = TableIndex.load(f)
    enc = {k: [f"{k},{r}".encode() for r in v] for k, v in blocks.items()}
    after = csvrecords.splice_blocks(f, HEADER, enc, drop)
    return tabletypes.after_splice(f, before, after, enc, drop)


def test_a_float_column_loses_its_only_fractions_and_the_answer_is_withheld(tmp_path):
    f = _setup(tmp_path, {"a": ["1,2.5,aap,"], "b": ["2,3,noot,"], "c": ["3,4,mies,"]})
    assert _pandas_floats(f) == [2, 4]  # x has a fraction; flag is empty everywhere
    assert _splice(f, {}, {"a"}) is None  # x's only witness went
    assert _pandas_floats(f) == [4]  # x is int64 now


def test_an_int_column_that_gets_an_empty_cell_is_withheld(tmp_path):
    f = _setup(tmp_path, {"a": ["1,2,aap,"], "b": ["2,3,noot,"]})
    assert _splice(f, {"b": [",3,noot,"]}, set()) is None
    assert 1 in _pandas_floats(f)


def test_a_text_column_keeps_its_kind_while_a_witness_stays(tmp_path):
    f = _setup(tmp_path, {"a": ["1,2.5,aap,"], "b": ["2,3,noot,"], "c": ["3,4.5,12,"]})
    got = _splice(f, {"d": ["4,5.5,13,"]}, {"a"})  # b's "noot" still makes label text
    assert got is not None and got.floats == _pandas_floats(f) == [2, 4]
    assert _splice(f, {}, {"b"}) is None  # only numbers left in label
    assert _pandas_floats(f) == [2, 4]  # (label is int64 now: not a float column)


def test_a_number_word_or_stray_text_is_withheld(tmp_path):
    f = _setup(tmp_path, {"a": ["1,2.5,aap,"], "b": ["2,3.5,noot,"]})
    assert _splice(f, {"c": ["3,inf,mies,"]}, set()) is None
    f = _setup(tmp_path, {"a": ["1,2.5,aap,"], "b": ["2,3.5,noot,"]})
    assert _splice(f, {"c": ["3,x,mies,"]}, set()) is None
    assert _pandas_floats(f) == [4]


def test_a_kept_answer_is_only_used_for_its_version_of_the_table(tmp_path):
    f = _setup(tmp_path, {"a": ["1,2.5,aap,"]})
    index = TableIndex.of(f)[0]
    assert tabletypes.FloatColumns.load(f, index) is not None
    other = f.with_name("o.csv")
    other.write_bytes(HEADER + b"\na,1,2,aap,\n")
    other.replace(f)
    assert tabletypes.FloatColumns.load(f, TableIndex.of(f)[0]) is None
    for junk in ("", "{", '{"version": 1}', '{"version": 1, "table": 1, "kinds": 2}'):
        tabletypes.FloatColumns.path_for(f).write_text(junk)
        assert tabletypes.FloatColumns.load(f, TableIndex.of(f)[0]) is None


def test_witnesses_are_the_entities_as_written(tmp_path):
    """Entity codes that look like numbers (0917) are witnesses as written, so a splice
    that replaces them withdraws what they proved."""
    f = tmp_path / "t.csv"
    f.write_bytes(b"area,x\n0917,2.5\n0918,3\n")
    index, _ = TableIndex.of(f)
    types = tabletypes.float_columns(f, index)
    assert types.witness[1] == ["0917"]
    before = TableIndex.load(f)
    after = csvrecords.splice_blocks(f, b"area,x", {"0917": [b"0917,2"]}, set())
    assert tabletypes.after_splice(f, before, after, {"0917": [b"0917,2"]}, set()) is None
    assert _pandas_floats(f) == []
