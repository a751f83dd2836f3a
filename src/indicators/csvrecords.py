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

Both find the blocks through a :class:`TableIndex` kept next to each table
(``.<name>.index.json``): each entity's byte ranges and the SHA-256 of its
records. A splice writes the new table's index from the old one (it knows
where every block went and hashes only the new blocks), so neither a splice
nor the next build scans or hashes the whole table again (issue 7: at 3,000
areas that was about 1.5 s of a one-area rebuild). An index is used only
while the table's size and modification time are those it recorded;
otherwise it is made again from the table. Writers of whole tables
(:func:`indicators.store.write_table`) remove it.

Hand-written rather than ``csv``/pandas: both would parse and re-format every
cell, and the point is to keep the other lines' bytes untouched.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import time
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from indicators.exceptions import IndicatorsError
from indicators.kept import sha256_file

__all__ = [
    "SpliceError",
    "TableIndex",
    "content_digest",
    "first_field",
    "forget_index",
    "group_records",
    "read_records",
    "record_runs",
    "same_content",
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
    index: TableIndex | None = None,
) -> TableIndex:
    """Rewrite a table sorted by its first field with new blocks for some entities.

    The records whose first field is in ``replace`` or in ``blocks`` are
    dropped, ``blocks`` are put in their sorted place, every other record is
    kept as it was (same bytes). The file is replaced atomically, and its
    :class:`TableIndex` written from the old one (only the new blocks are hashed).

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
    index : TableIndex, optional
        The table's kept index, already loaded by the caller (else loaded here);
        used only if it matches the file.

    Returns
    -------
    TableIndex
        The index of the new table (also saved next to it).

    Raises
    ------
    SpliceError
        If the header differs, or the file's records are not sorted by
        their first field (each entity one block, the blocks in order).
    """
    path = Path(path)
    old = index if index is not None else TableIndex.load(path)
    with open(path, "rb", buffering=0) as src:
        fd = src.fileno()
        st = os.fstat(fd)
        size = st.st_size
        if old is not None and old.signature != [st.st_size, st.st_mtime_ns]:
            old = None  # not the version the index describes: scan what was opened
        head = os.pread(fd, 1 << 16, 0)
        nl = head.find(b"\n")
        # With an index that fits the file, the kept records are copied by the kernel
        # (os.copy_file_range) without being read: 0.06 s instead of 0.45 s for the
        # 160 MB values table at 3,000 areas.
        if (
            old is not None
            and nl >= 0
            and head[:nl] == old.header
            and old.header.count(b'"') % 2 == 0
            and size == nl + 1 + old.length
            and (old.length == 0 or os.pread(fd, 1, size - 1) == b"\n")
        ):
            header_old, start, view = old.header, nl + 1, None
        else:
            raw = head if len(head) >= size else src.read()  # pread left the position at 0
            header_old, view = _header_and_data(raw, path)
            start = 0
        if header_old != header:
            raise SpliceError(f"the columns of {path.name} changed")
        if view is not None and (
            old is None or old.header != header_old or old.length != len(view)
        ):
            old = TableIndex.scan(header_old, bytes(view))
        index, parts = _splice_plan(path, old, header, blocks, replace, view, start)
        tmp = path.with_name(f".{path.name}.splice-{os.getpid()}")
        try:
            with open(tmp, "wb", buffering=0) as dst:
                for part in _coalesced(parts):
                    if isinstance(part, tuple):
                        _copy_range(fd, dst.fileno(), *part)
                    else:
                        _write_all(dst.fileno(), part)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    _replace(tmp, path)
    index.save(path)
    return index


#: Frees the blocks of replaced tables (one thread; joined when the process ends).
_DISCARD: ThreadPoolExecutor | None = None


def _replace(tmp: Path, path: Path) -> None:
    """``os.replace(tmp, path)``, with the old file's blocks freed in a background thread.

    Freeing the blocks of the 13 replaced tables (245 MB at 3,000 areas) took
    about 0.1 s of each incremental compute step. The old file is first given
    a second name, so the replace only drops a name; a thread then removes that
    name. Names left by a build that was killed are removed by the next splice.
    """
    global _DISCARD
    path = Path(path)
    for left in path.parent.glob(f".{path.name}.old-*"):
        left.unlink(missing_ok=True)
    old = path.with_name(f".{path.name}.old-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.link(path, old)
    except OSError:  # no hard links here (or no old file): a plain replace
        os.replace(tmp, path)
        return
    try:
        os.replace(tmp, path)
    except BaseException:
        old.unlink(missing_ok=True)
        raise
    if _DISCARD is None:
        _DISCARD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="discard")
    _DISCARD.submit(old.unlink, missing_ok=True)


def _header_and_data(raw: bytes, path: Path) -> tuple[bytes, memoryview]:
    """A table's header and a view of its data (ending in a newline, as an index counts it)."""
    header, data = split_header(raw[: raw.find(b"\n") + 1] or raw, path)
    if not data and header.count(b'"') % 2 == 0:
        # The header is the first line: the data are the bytes after it, not copied.
        view = memoryview(raw)[len(header) + 1 :]
    else:  # a quoted header that spans lines
        header, rest = split_header(raw, path)
        view = memoryview(rest)
    if len(view) and view[-1] != ord("\n"):
        view = memoryview(bytes(view) + b"\n")
    return header, view


def _splice_plan(path, old, header, blocks, replace, view, start) -> tuple[TableIndex, list]:
    """The new table's index and the parts to write: bytes, or ``(offset, length)``
    ranges of the old file to copy (when ``view`` of its data is None)."""
    runs = old.ordered()
    keys = [k for k, _, _ in runs]
    if any(a >= b for a, b in zip(keys, keys[1:], strict=False)):
        raise SpliceError(f"{path.name} is not sorted by its first column")
    gone = set(replace) | set(blocks)
    new = sorted(blocks)
    index = TableIndex(header, {}, {}, 0, spliced_from=old)
    parts: list = [header + b"\n"]
    pos = 0  # in the new file's data

    def put(key: str, part, n: int, digest: str) -> None:
        nonlocal pos
        parts.append(part)
        index.runs[key] = [(pos, pos + n)]
        index.digests[key] = digest
        pos += n

    def block(key: str) -> None:
        data = b"".join(r + b"\n" for r in blocks[key])
        put(key, data, len(data), hashlib.sha256(data).hexdigest())

    i = 0
    for key, lo, hi in runs:
        while i < len(new) and new[i] < key:
            block(new[i])
            i += 1
        if key in gone:
            if i < len(new) and new[i] == key:
                block(key)
                i += 1
            continue
        kept = (start + lo, hi - lo) if view is None else view[lo:hi]
        put(key, kept, hi - lo, old.digests[key])
    for k in new[i:]:
        block(k)
    index.length = pos
    return index, parts


def _coalesced(parts: list) -> list:
    """``parts`` with adjacent ranges of the old file joined: the kept entities between
    two new blocks are one copy, not one system call each (22,000 calls, about 0.1 s,
    for the 13 tables at 3,000 areas)."""
    out: list = []
    for part in parts:
        if isinstance(part, tuple) and out and isinstance(out[-1], tuple):
            offset, count = out[-1]
            if offset + count == part[0]:
                out[-1] = (offset, count + part[1])
                continue
        out.append(part)
    return out


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while len(view):
        view = view[os.write(fd, view) :]


def _copy_range(src: int, dst: int, offset: int, count: int) -> None:
    """Append ``count`` bytes of ``src`` from ``offset`` to ``dst`` (in the kernel if it can)."""
    while count > 0:
        try:
            k = os.copy_file_range(src, dst, count, offset)
        except (AttributeError, OSError):  # not on this platform or file system
            k = 0
        if k <= 0:
            chunk = os.pread(src, min(count, 1 << 24), offset)
            if not chunk:
                raise SpliceError("the table got shorter while it was spliced")
            _write_all(dst, chunk)
            k = len(chunk)
        offset += k
        count -= k


#: Bump when the index file changes shape.
INDEX_VERSION = 1
#: Indexes this process saved or loaded: absolute path -> (signature, index).
_LOADED: dict[str, tuple[list[int], TableIndex]] = {}


def forget_index(table: Path) -> None:
    """Drop what is kept about ``table`` (its index, its column types): for a writer
    that replaces the whole table."""
    table = Path(table)
    _LOADED.pop(os.path.abspath(table), None)
    for kept in (TableIndex.path_for(table), table.with_name(f".{table.name}.types.json")):
        kept.unlink(missing_ok=True)


def content_digest(path: Path, *, scan: bool = False, index: TableIndex | None = None) -> str:
    """A digest of a file's content, for noticing changes.

    For a table with a kept :class:`TableIndex` (or any ``.csv`` when
    ``scan``), ``"index:"`` and :meth:`TableIndex.digest`, so that a table a
    splice just wrote is not read and hashed whole again (issue 7); else the
    file's SHA-256. :func:`same_content` compares a file with either form.
    """
    path = Path(path)
    if index is None and path.suffix == ".csv":
        index = TableIndex.of(path)[0] if scan else TableIndex.load(path)
    if index is not None:
        return "index:" + index.digest()
    return sha256_file(path)


def same_content(path: Path, recorded: str) -> bool:
    """Whether ``path`` holds the content :func:`content_digest` recorded.

    Reads only (keeps nothing): a dry run checks outputs too. A file that
    cannot be read or indexed is not the recorded one.
    """
    path = Path(path)
    try:
        if recorded.startswith("index:"):
            index = TableIndex.load(path) or TableIndex.of(path, keep=False)[0]
            return content_digest(path, index=index) == recorded
        return sha256_file(path) == recorded
    except (OSError, SpliceError):
        return False


@dataclass
class TableIndex:
    """Where each entity's records are in a results table, and their SHA-256.

    ``runs`` maps each entity (first field) to the byte ranges of its records
    in the data after the header line (one range in a sorted table);
    ``digests`` to the SHA-256 of those bytes, in file order. A last record
    without a newline is counted with one, as if the file ended in a newline.
    ``length`` is the length of that data.
    """

    header: bytes
    runs: dict[str, list[tuple[int, int]]]
    digests: dict[str, str]
    length: int
    #: The table's size and mtime this index was checked against or written for.
    signature: list[int] | None = field(default=None, compare=False)
    #: For an index a splice wrote: the index of the table it spliced (given or made).
    spliced_from: TableIndex | None = field(default=None, compare=False, repr=False)
    _digest: str | None = field(default=None, compare=False, repr=False)

    @staticmethod
    def path_for(table: Path) -> Path:
        table = Path(table)
        return table.with_name(f".{table.name}.index.json")

    @staticmethod
    def _signature(table: Path) -> list[int]:
        """Size and modification time: a copy that keeps both (``cp -p``, a restored CI
        cache) keeps its index; the build's own writers remove or rewrite it."""
        st = Path(table).stat()
        return [st.st_size, st.st_mtime_ns]

    @classmethod
    def scan(cls, header: bytes, data: bytes) -> TableIndex:
        """The index of a table's data (the bytes after its header line).

        Raises
        ------
        SpliceError
            For records that are not UTF-8 CSV.
        """
        if data and not data.endswith(b"\n"):
            data += b"\n"
        runs: dict[str, list[tuple[int, int]]] = {}
        try:
            found = record_runs(data)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SpliceError(f"a results table is not UTF-8 CSV: {exc}") from None
        for key, lo, hi in found:
            runs.setdefault(key, []).append((lo, hi))
        view = memoryview(data)
        digests = {}
        for key, spans in runs.items():
            h = hashlib.sha256()
            for lo, hi in spans:
                h.update(view[lo:hi])
            digests[key] = h.hexdigest()
        return cls(header, runs, digests, len(data))

    @classmethod
    def load(cls, table: Path) -> TableIndex | None:
        """The saved index of ``table`` if it still describes the file, else None.

        Indexes this process saved or loaded are kept in memory by path and
        signature (the build's splice, state and results index each use them).
        """
        try:
            signature = cls._signature(table)
            memo = _LOADED.get(os.path.abspath(table))
            if memo is not None and memo[0] == signature:
                return memo[1]
            raw = json.loads(cls.path_for(table).read_text(encoding="utf-8"))
            if raw.get("version") != INDEX_VERSION or raw["signature"] != signature:
                return None
            runs = {k: [(int(lo), int(hi)) for lo, hi in v] for k, v in raw["runs"].items()}
            digests = dict(raw["digests"])
            if set(digests) != set(runs):
                return None
            got = cls(raw["header"].encode("utf-8"), runs, digests, int(raw["length"]), signature)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        _LOADED[os.path.abspath(table)] = (signature, got)
        return got

    @classmethod
    def of(cls, table: Path, *, keep: bool = True) -> tuple[TableIndex, bytes | None]:
        """The index of ``table``: the saved one, or made from the file (and saved, with
        ``keep``; a dry run leaves the build directory as it is).

        Returns the index and, when the file was read to make it, its data
        (the bytes after the header line).

        Raises
        ------
        SpliceError
            For an empty table or records that are not UTF-8 CSV.
        """
        table = Path(table)
        index = cls.load(table)
        if index is not None:
            return index, None
        before = cls._signature(table)
        header, data = split_header(table.read_bytes(), table)
        index = cls.scan(header, data)
        if cls._signature(table) == before:  # not changed while it was read
            index.signature = before
            if keep:
                index.save(table, before)
        return index, data

    def save(self, table: Path, signature: list[int] | None = None) -> None:
        """Write the index next to ``table`` (atomically), with the table's signature.

        An index that cannot be written (a read-only directory, a header that is
        not UTF-8) is not kept; the next reader makes it again from the table.
        """
        dest = self.path_for(table)
        tmp = dest.with_name(f"{dest.name}.tmp-{os.getpid()}")
        try:
            self.signature = signature or self._signature(table)
            body = {
                "version": INDEX_VERSION,
                "signature": self.signature,
                "header": self.header.decode("utf-8"),
                "length": self.length,
                "runs": self.runs,
                "digests": self.digests,
            }
            tmp.write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, dest)
        except (OSError, UnicodeDecodeError):
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            return
        _LOADED[os.path.abspath(table)] = (self.signature, self)

    def fits(self, table: Path) -> bool:
        """Whether ``table`` is still the version this index describes (size and mtime)."""
        try:
            return self.signature is not None and self._signature(table) == self.signature
        except OSError:
            return False

    def digest(self) -> str:
        """A digest of the table's bytes, from the index: the header, every run of records
        in file order with its byte range, and each entity's SHA-256 (computed once: an
        index is not changed after it is made)."""
        if self._digest is None:
            listing = [self.header.decode("utf-8"), self.length, self.ordered(), self.digests]
            self._digest = hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()
        return self._digest

    def ordered(self) -> list[tuple[str, int, int]]:
        """Every run as ``(entity, start, end)``, in file order."""
        return sorted(
            ((k, lo, hi) for k, spans in self.runs.items() for lo, hi in spans),
            key=lambda r: r[1],
        )
