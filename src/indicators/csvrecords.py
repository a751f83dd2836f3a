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
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Mapping
from pathlib import Path

from indicators.exceptions import IndicatorsError

__all__ = [
    "SpliceError",
    "first_field",
    "group_records",
    "read_records",
    "splice_blocks",
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
        If the header differs, or the file's records are not in order of
        their first field around a block (a local check: the caller must know
        the file was written sorted, e.g. from its digest).
    """
    old_header, records = read_records(path)
    if old_header != header:
        raise SpliceError(f"the columns of {path.name} changed")
    parts: list[list[bytes]] = []
    pos = 0
    for key in sorted(set(replace) | set(blocks)):
        # Binary search: the records are sorted by entity, and only the boundaries
        # of the replaced blocks are needed, not the first field of every record.
        lo = bisect_left(records, key, lo=pos, key=first_field)
        hi = bisect_right(records, key, lo=lo, key=first_field)
        if (lo > pos and first_field(records[lo - 1]) > key) or any(
            first_field(r) != key for r in records[lo:hi]
        ):
            raise SpliceError(f"{path.name} is not sorted by its first column")
        parts += [records[pos:lo], list(blocks.get(key, []))]
        pos = hi
    parts.append(records[pos:])
    out = [header, *(r for part in parts for r in part)]
    tmp = path.with_name(f".{path.name}.splice-{os.getpid()}")
    tmp.write_bytes(b"\n".join(out) + b"\n")
    os.replace(tmp, path)
