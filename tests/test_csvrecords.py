"""Record runs (indicators.csvrecords.record_runs): the numpy path equals the record-by-record one.

The numpy path compares first fields eight bytes at a time; these cases
put the differences where that could go wrong: names of 7, 8, 9 and 16+
bytes, names that are prefixes of each other, one-field records, a last
record without a newline, and random tables.
"""

from __future__ import annotations

import os
import random
import shutil

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


# --------------------------------------------------------------------------- table index


def _scan(path) -> csvrecords.TableIndex:
    header, data = csvrecords.split_header(path.read_bytes(), path)
    return csvrecords.TableIndex.scan(header, data)


def _same(a: csvrecords.TableIndex, b: csvrecords.TableIndex) -> bool:
    return (a.header, a.runs, a.digests, a.length) == (b.header, b.runs, b.digests, b.length)


def test_a_splice_writes_the_index_a_scan_of_the_new_table_gives(tmp_path):
    """Spliced again and again (kept digests carried over, new blocks hashed), the index
    equals a fresh scan of the file, and the file equals one written whole."""
    rng = random.Random(5)
    names = [f"e{i:03d}" for i in range(60)]
    table = {
        k: [f'{k},{rng.randint(0, 99)},"q{j}"'.encode() for j in range(rng.randint(1, 4))]
        for k in rng.sample(names, 30)
    }

    def whole() -> bytes:
        return b"area,x,y\n" + b"".join(r + b"\n" for k in sorted(table) for r in table[k])

    f = tmp_path / "t.csv"
    f.write_bytes(whole())
    csvrecords.TableIndex.of(f)  # kept next to the table
    for _ in range(25):
        blocks = {
            k: [f"{k},{rng.randint(0, 99)},new".encode() for _ in range(rng.randint(1, 3))]
            for k in rng.sample(names, 3)
        }
        drop = set(rng.sample(sorted(table), 2))
        index = csvrecords.splice_blocks(f, b"area,x,y", blocks, drop)
        for k in drop:
            table.pop(k)
        table.update(blocks)
        assert f.read_bytes() == whole()
        assert _same(index, _scan(f))
        loaded = csvrecords.TableIndex.load(f)
        assert loaded is not None and _same(loaded, index)


def test_an_index_is_not_used_for_another_file_or_when_damaged(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes(b"area,x\na,1\nb,2\n")
    index, data = csvrecords.TableIndex.of(f)
    assert data is not None  # made from the file
    assert csvrecords.TableIndex.of(f)[1] is None  # then loaded
    # rewritten (a new file in its place, as every writer of results does): not used
    tmp = tmp_path / "new.csv"
    tmp.write_bytes(b"area,x\na,1\nc,22\n")
    os.replace(tmp, f)
    assert csvrecords.TableIndex.load(f) is None
    again, data = csvrecords.TableIndex.of(f)
    assert data is not None and set(again.runs) == {"a", "c"}
    # a copy that keeps size and mtime (cp -p, a restored cache) keeps its index
    shutil.copy2(f, tmp_path / "copy.csv")
    shutil.copy2(
        csvrecords.TableIndex.path_for(f), csvrecords.TableIndex.path_for(tmp_path / "copy.csv")
    )
    assert _same(csvrecords.TableIndex.load(tmp_path / "copy.csv"), again)
    for junk in ("", "{", "[]", '{"version": 1}', '{"version": 1, "signature": 3}'):
        csvrecords.TableIndex.path_for(f).write_text(junk)
        csvrecords._LOADED.clear()  # another process: nothing kept in memory
        assert csvrecords.TableIndex.load(f) is None
    # a splice with a damaged index scans the table
    index = csvrecords.splice_blocks(f, b"area,x", {"b": [b"b,7"]}, set())
    assert f.read_bytes() == b"area,x\na,1\nb,7\nc,22\n"
    assert _same(index, _scan(f))


def test_a_last_record_without_a_newline_is_indexed_and_spliced_as_with_one(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes(b"area,x\na,1\nb,2")
    index, _ = csvrecords.TableIndex.of(f)
    g = tmp_path / "g.csv"
    g.write_bytes(b"area,x\na,1\nb,2\n")
    assert _same(index, csvrecords.TableIndex.of(g)[0])
    index = csvrecords.splice_blocks(f, b"area,x", {"a": [b"a,5"]}, set())
    assert f.read_bytes() == b"area,x\na,5\nb,2\n"
    assert _same(index, _scan(f))


@pytest.mark.parametrize("broken", ["raises", "copies nothing"])
def test_a_splice_copies_by_reading_where_the_kernel_cannot_copy(tmp_path, monkeypatch, broken):
    """Kept records are copied with os.copy_file_range; where that fails (another
    platform or file system) they are read and written, with the same result."""
    f = tmp_path / "t.csv"
    f.write_bytes(b"area,x\n" + b"".join(f"e{i:03d},{i}\n".encode() for i in range(500)))
    csvrecords.TableIndex.of(f)

    def fail(*args):
        if broken == "raises":
            raise OSError(18, "Invalid cross-device link")
        return 0

    monkeypatch.setattr(os, "copy_file_range", fail)
    index = csvrecords.splice_blocks(f, b"area,x", {"e250": [b"e250,new"]}, {"e100"})
    lines = f.read_bytes().split(b"\n")
    assert lines[0] == b"area,x" and b"e250,new" in lines and b"e100,100" not in lines
    assert len(lines) == 1 + 499 + 1 and lines[-2] == b"e499,499"
    assert _same(index, _scan(f))


def test_a_splice_copies_the_kept_records_between_new_blocks_in_one_call(tmp_path, monkeypatch):
    """The entities kept between two changes are one range of the old file: one copy each."""
    f = tmp_path / "t.csv"
    f.write_bytes(b"area,x\n" + b"".join(f"e{i:03d},{i}\n".encode() for i in range(500)))
    csvrecords.TableIndex.of(f)
    calls = []
    real = os.copy_file_range

    def counted(src, dst, count, offset_src=None, *args):
        calls.append((offset_src, count))
        return real(src, dst, count, offset_src, *args)

    monkeypatch.setattr(os, "copy_file_range", counted)
    csvrecords.splice_blocks(f, b"area,x", {"e250": [b"e250,new"]}, {"e100"})
    lines = f.read_bytes().split(b"\n")
    assert b"e250,new" in lines and b"e100,100" not in lines and lines[-2] == b"e499,499"
    assert len(calls) == 3  # e000-e099, e101-e249, e251-e499


def test_a_splice_frees_the_old_table_later_and_leaves_no_names_behind(tmp_path):
    """The replaced table keeps a second name until a thread removes it; names left by a
    killed build go with the next splice; readers that opened the old table still read it."""
    f = tmp_path / "t.csv"
    f.write_bytes(b"area,x\na,1\nb,2\nc,3\n")
    left = tmp_path / ".t.csv.old-1-2"  # of a build that was killed
    left.write_bytes(b"old")
    with open(f, "rb") as reader:
        csvrecords.splice_blocks(f, b"area,x", {"b": [b"b,20"]}, set())
        assert reader.read() == b"area,x\na,1\nb,2\nc,3\n"
    csvrecords._DISCARD.submit(lambda: None).result()  # the queued removals are done
    assert f.read_bytes() == b"area,x\na,1\nb,20\nc,3\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".t.csv.index.json", "t.csv"]
