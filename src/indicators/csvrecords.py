"""Result tables as raw CSV records, grouped by their first field (the entity).

The compute step writes every results table sorted by its first column,
``area`` (:mod:`indicators.store`, :meth:`indicators.trendbreak.TrendBreakResults.save`),
so the rows of one entity form one block of lines. Two users work on those
lines as bytes, so that what they write is exactly what the full write would
have written:

- :class:`indicators.cache.ResultsIndex` hashes and slices the rows of each
  report's entities;
- :mod:`indicators.incremental` replaces the blocks of the entities it
  recomputed (:func:`splice_blocks`).

Hand-written rather than ``csv``/pandas: both would parse and re-format every
cell, and the point is to keep the other lines' bytes untouched.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Collection, Mapping
from pathlib import Path

from indicators.exceptions import IndicatorsError

__all__ = [
    "SpliceError",
    "first_field",
    "group_records",
    "read_records",
    "record_runs",
    "splice_blocks",
    "split_header",
    "split_records",
]


class SpliceError(IndicatorsError):
    """A results table cannot be spliced (other columns, rows not grouped by entity)."""


def split_records(data: bytes) -> list[bytes]:
    """The records of CSV text: lines, except that a quoted field may span lines.

    >>> split_records(b'a,b\\n1,"x\\ny"\\n2,z\\n')
    [b'a,b', b'1,"x\\ny"', b'2,z']
    """
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if b'"' not in data:  # nothing quoted: a record is a line
        return lines
    records: list[bytes] = []
    pending: bytes | None = None
    for line in lines:
        rec = line if pending is None else pending + b"\n" + line
        if rec.count(b'"') % 2:  # inside a quoted field that spans lines
            pending = rec
            continue
        pending = None
        records.append(rec)
    if pending is not None:
        records.append(pending)
    return records


def split_header(raw: bytes, path: Path) -> tuple[bytes, bytes]:
    """The header record of a CSV file's bytes and the bytes after it."""
    if not raw:
        raise SpliceError(f"empty results table: {path}")
    nl = raw.find(b"\n")
    head = raw if nl < 0 else raw[:nl]
    if head.count(b'"') % 2:  # a quoted header field spans lines
        first = split_records(raw)[0]
        return first, raw[len(first) + 1 :]
    return head, b"" if nl < 0 else raw[nl + 1 :]


def read_records(path: Path) -> tuple[bytes, list[bytes]]:
    """Header and data records of a CSV file, as raw bytes (quoted newlines kept).

    Raises
    ------
    SpliceError
        For a file without a header line.
    """
    records = split_records(Path(path).read_bytes())
    if not records:
        raise SpliceError(f"empty results table: {path}")
    return records[0], records[1:]


def first_field(record: bytes) -> str:
    """The first field of a record, unquoted.

    >>> first_field(b'GM0917,x,1'), first_field(b'"a,b",x')
    ('GM0917', 'a,b')
    """
    if record.startswith(b'"'):
        return next(csv.reader([record.decode("utf-8")]))[0]
    return record.split(b",", 1)[0].decode("utf-8")


def group_records(records: list[bytes]) -> dict[str, list[bytes]]:
    """Records by their first field, in order."""
    groups: dict[str, list[bytes]] = {}
    for rec in records:
        groups.setdefault(first_field(rec), []).append(rec)
    return groups


def record_runs(data: bytes) -> list[tuple[str, int, int]]:
    """Runs of consecutive records with the same first field: ``(field, start, end)`` byte ranges.

    ``data`` holds the records after a header line; each range covers whole
    records with their newlines (a last record without one ends at
    ``len(data)``). An entity whose records form one block has one run.

    >>> record_runs(b'a,1\\na,2\\nb,3\\n"c,d",4\\n')
    [('a', 0, 8), ('b', 8, 12), ('c,d', 12, 20)]
    """
    if not data:
        return []
    if b'"' in data and not _lines_are_records(data):
        return _record_runs_python(data)  # quoted newlines or a quoted first field
    return _plain_runs(data)


def _record_runs_python(data: bytes) -> list[tuple[str, int, int]]:
    """:func:`record_runs` record by record (any CSV; the reference for :func:`_plain_runs`)."""
    runs: list[tuple[str, int, int]] = []
    pos = 0
    for rec in split_records(data):
        end = min(pos + len(rec) + 1, len(data))
        key = first_field(rec)
        if runs and runs[-1][0] == key:
            runs[-1] = (key, runs[-1][1], end)
        else:
            runs.append((key, pos, end))
        pos = end
    return runs


def _lines_are_records(data: bytes) -> bool:
    """Every line holds an even number of quotes and starts with an unquoted field."""
    import numpy as np

    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == ord("\n"))
    quotes = np.flatnonzero(buf == ord('"'))
    per_line = np.bincount(np.searchsorted(ends, quotes), minlength=len(ends) + 1)
    starts = np.r_[0, ends + 1]
    starts = starts[starts < len(buf)]
    return bool((per_line % 2 == 0).all() and (buf[starts] != ord('"')).all())


def _plain_runs(data: bytes) -> list[tuple[str, int, int]]:
    """:func:`record_runs` of unquoted records, in numpy.

    Hand-written because Python's per-record split and decode took about 3 s
    for the 1.7 M records of the results at 3,000 areas (issue 7). The first
    field of each record is compared with the one before it eight bytes at a
    time, as little-endian integers masked to the field's length.
    """
    import numpy as np

    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == ord("\n")) + 1
    if not len(ends) or ends[-1] != len(data):
        ends = np.r_[ends, len(data)]
    starts = np.r_[0, ends[:-1]]
    padded = np.zeros(len(buf) + 8, dtype=np.uint8)
    padded[: len(buf)] = buf
    windows = np.lib.stride_tricks.sliding_window_view(padded, 8)
    n = len(starts)
    length = np.full(n, -1, dtype=np.int64)  # of each record's first field
    chunks = []
    j = 0
    while (length < 0).any():
        w = windows[np.minimum(starts + 8 * j, len(buf))]
        chunks.append(np.ascontiguousarray(w).view("<u8").ravel())
        stop = (w == ord(",")) | (w == ord("\n"))
        found = (length < 0) & stop.any(axis=1)
        length[found] = 8 * j + stop[found].argmax(axis=1)
        # a last record without a newline or comma ends at the end of the data
        past = (length < 0) & (starts + 8 * (j + 1) >= ends)
        length[past] = (ends - starts)[past]
        j += 1
    same = length[1:] == length[:-1]
    for k, v in enumerate(chunks):
        nbytes = np.clip(length - 8 * k, 0, 8).astype(np.uint64)
        mask = np.where(
            nbytes >= 8,
            np.uint64(0xFFFFFFFFFFFFFFFF),
            (np.uint64(1) << (np.uint64(8) * np.minimum(nbytes, 7))) - np.uint64(1),
        )
        masked = v & mask
        same &= masked[1:] == masked[:-1]
    first = np.flatnonzero(np.r_[True, ~same])
    last = np.r_[first[1:], n]
    return [
        (data[starts[a] : starts[a] + length[a]].decode("utf-8"), int(starts[a]), int(ends[b - 1]))
        for a, b in zip(first, last, strict=True)
    ]


def splice_blocks(
    path: Path,
    header: bytes,
    blocks: Mapping[str, list[bytes]],
    replace: Collection[str],
) -> None:
    """Rewrite a table sorted by its first field with new blocks for some entities.

    The records whose first field is in ``replace`` or in ``blocks`` are
    dropped, ``blocks`` are put in their sorted place, every other record is
    kept as it was (same bytes). The file is replaced atomically.

    Parameters
    ----------
    path : Path
        A table written sorted by its first column (string order).
    header : bytes
        The header the new records were formatted under; must equal the file's.
    blocks : mapping of str to list of bytes
        New records per entity.
    replace : collection of str
        Entities whose old records go (with or without a new block).

    Raises
    ------
    SpliceError
        If the header differs, or the file's records are not sorted by
        their first field (each entity one block, the blocks in order).
    """
    header_old, data = split_header(Path(path).read_bytes(), path)
    if header_old != header:
        raise SpliceError(f"the columns of {path.name} changed")
    runs = record_runs(data)
    keys = [k for k, _, _ in runs]
    if any(a >= b for a, b in zip(keys, keys[1:], strict=False)):
        raise SpliceError(f"{path.name} is not sorted by its first column")
    gone = set(replace) | set(blocks)
    new = sorted(blocks)
    view = memoryview(data)
    parts: list[bytes | memoryview] = [header + b"\n"]

    def block(key: str) -> bytes:
        return b"".join(r + b"\n" for r in blocks[key])

    i = 0
    for key, lo, hi in runs:
        while i < len(new) and new[i] < key:
            parts.append(block(new[i]))
            i += 1
        if key in gone:
            if i < len(new) and new[i] == key:
                parts.append(block(key))
                i += 1
            continue
        parts.append(view[lo:hi])
        if hi == len(data) and not data.endswith(b"\n"):
            parts.append(b"\n")
    parts += [block(k) for k in new[i:]]
    tmp = path.with_name(f".{path.name}.splice-{os.getpid()}")
    with open(tmp, "wb") as fh:
        for part in parts:
            fh.write(part)
    os.replace(tmp, path)
