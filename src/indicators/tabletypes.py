"""Which columns of a results table pandas reads as floats, kept per version of the table.

A report reads a *slice* of the results (its own rows and its benchmarks'),
and pandas infers each column's type from the rows it reads: ``denominator``
is float64 in the full table (some cells are empty) but would be int64 in a
slice whose cells are all whole numbers. So the slice writer
(:meth:`indicators.cache.ResultsIndex.write_slice`) writes whole numbers in
the full table's float columns as ``12.0``, and needs to know those columns.

Finding them takes a pandas read of the whole table (about 0.7 s at 3,000
areas). This module keeps the answer next to the table
(``.<name>.types.json``), for the table's exact version (the digest of its
:class:`~indicators.csvrecords.TableIndex`), with *witnesses*: for each float
column some entities with an empty or fractional cell in it, and for each
text column some entities with a text cell. After a splice
(:func:`after_splice`) the answer still holds, without reading the table, when
a witness of each float and text column is among the entities kept, and the
new rows' cells are of their column's kind (whole numbers in an integer
column; numbers or empty cells in a float column). Otherwise it is made again
from the table. Hand-written because pandas has no incremental type inference.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from indicators.csvrecords import TableIndex

__all__ = ["FloatColumns", "after_splice", "float_columns"]

#: Bump when the file changes shape or meaning.
TYPES_VERSION = 1
#: Witnesses kept per column (from different entities).
WITNESSES = 8

#: The cells pandas reads as missing by default (``keep_default_na=True``).
_NA = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
     "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)  # fmt: skip
#: Whole numbers pandas reads as int64 (fewer than 19 digits: no overflow).
_INT = re.compile(r"[+-]?\d{1,18}", re.ASCII)
#: Decimal numbers as ``%.17g`` writes them.
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
#: Words some parsers read as numbers.
_NUMBER_WORDS = re.compile(r"[+-]?(inf|infinity|nan)", re.IGNORECASE)


def version(index: TableIndex) -> str:
    """Digest of one version of a table (:meth:`TableIndex.digest`) and of the pandas
    version whose inference the answer records."""
    import pandas as pd

    return hashlib.sha256(f"{index.digest()} pandas {pd.__version__}".encode()).hexdigest()


@dataclass
class FloatColumns:
    """The kinds of a table's columns as pandas reads the whole table, with witnesses.

    ``kinds[i]`` is ``"float"``, ``"int"`` or ``"other"`` (text, bool, or mixed);
    ``witness[i]`` the entities that make a float column float (an empty or
    fractional cell) or an other column other (a cell that is not a number).
    """

    version: str
    kinds: list[str]
    witness: list[list[str]]

    @property
    def floats(self) -> list[int]:
        return [i for i, k in enumerate(self.kinds) if k == "float"]

    @staticmethod
    def path_for(table: Path) -> Path:
        table = Path(table)
        return table.with_name(f".{table.name}.types.json")

    @classmethod
    def load(cls, table: Path, index: TableIndex) -> FloatColumns | None:
        """The kept answer for this version of ``table``, if there is one."""
        try:
            raw = json.loads(cls.path_for(table).read_text(encoding="utf-8"))
            if raw.get("version") != TYPES_VERSION or raw["table"] != version(index):
                return None
            kinds, witness = list(raw["kinds"]), [list(w) for w in raw["witness"]]
            if len(kinds) != len(witness) or not set(kinds) <= {"float", "int", "other"}:
                return None
            return cls(raw["table"], kinds, witness)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def save(self, table: Path) -> None:
        dest = self.path_for(table)
        tmp = dest.with_name(f"{dest.name}.tmp-{os.getpid()}")
        body = {
            "version": TYPES_VERSION,
            "table": self.version,
            "kinds": self.kinds,
            "witness": self.witness,
        }
        tmp.write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, dest)


def _first_entities(entities, mask) -> list[str]:
    """Up to :data:`WITNESSES` different entities among the rows in ``mask``."""
    out: list[str] = []
    for e in entities[mask]:
        if e not in out:
            out.append(str(e))
            if len(out) == WITNESSES:
                break
    return out


def scan(table: Path, index: TableIndex) -> FloatColumns:
    """Read the whole table with pandas (as :func:`indicators.store.load_results` does)."""
    import numpy as np
    import pandas as pd

    df = pd.read_csv(table, keep_default_na=True)
    if not len(df.columns):
        entities = np.array([])
    elif pd.api.types.is_string_dtype(df.iloc[:, 0]) and df.iloc[:, 0].notna().all():
        entities = df.iloc[:, 0].to_numpy()
    else:  # the entities as written (``0917``, not 917)
        first = pd.read_csv(table, usecols=[0], dtype=str, keep_default_na=False)
        entities = first.iloc[:, 0].to_numpy()
    kinds, witness = [], []
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_float_dtype(s):
            v = s.to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                fractional = np.isnan(v) | (v != np.floor(v))
            kinds.append("float")
            witness.append(_first_entities(entities, fractional))
        elif pd.api.types.is_integer_dtype(s):
            kinds.append("int")
            witness.append([])
        else:
            if pd.api.types.is_bool_dtype(s):
                text = s.notna().to_numpy()  # True and False are not numbers
            else:
                words = [u for u in pd.unique(s[s.notna()]) if _surely_text(str(u))]
                text = s.isin(words).to_numpy()
            kinds.append("other")
            witness.append(_first_entities(entities, text))
    return FloatColumns(version(index), kinds, witness)


def _is_number(cell: str) -> bool:
    """A cell as the results writer writes numbers (whole or ``%.17g``)."""
    return bool(_INT.fullmatch(cell) or _DECIMAL.fullmatch(cell))


def _surely_text(cell: str) -> bool:
    """A cell no reader takes for a number or a missing value (it has a letter, not only
    an exponent's ``e``, and is no spelling of infinity or NaN)."""
    c = cell.strip()
    return (
        cell not in _NA
        and c not in _NA
        and not _is_number(c)
        and not _NUMBER_WORDS.fullmatch(c)
        and re.search(r"[^\d\s.+\-eE]", c) is not None
    )


def float_columns(table: Path, index: TableIndex, *, keep: bool = True) -> FloatColumns:
    """The kept answer for this version of the table, else a scan (kept for next time,
    with ``keep``)."""
    kept = FloatColumns.load(table, index)
    if kept is not None:
        return kept
    got = scan(table, index)
    if keep:
        got.save(table)
    return got


def after_splice(
    table: Path,
    before: TableIndex,
    after: TableIndex,
    blocks: Mapping[str, list[bytes]],
    replaced: Collection[str],
) -> FloatColumns | None:
    """Carry the kept answer over a splice (:func:`indicators.csvrecords.splice_blocks`).

    ``before`` and ``after`` are the table's indexes around the splice, which
    put ``blocks`` in and took the old records of ``replaced`` (and of the
    blocks' entities) out. Returns the answer for the new version, saved next
    to the table, or None (and removes the kept answer) when it cannot be
    shown from the witnesses and the new cells.
    """
    old = FloatColumns.load(table, before)
    new = _carry(old, after, blocks, set(replaced) | set(blocks)) if old is not None else None
    if new is None:
        FloatColumns.path_for(table).unlink(missing_ok=True)
        return None
    new.save(table)
    return new


def _carry(
    old: FloatColumns, after: TableIndex, blocks: Mapping[str, list[bytes]], gone: set[str]
) -> FloatColumns | None:
    rows = [
        (entity, next(csv.reader([r.decode("utf-8")])))
        for entity in sorted(blocks)
        for r in blocks[entity]
    ]
    n = len(old.kinds)
    if any(len(cells) != n for _, cells in rows):
        return None
    witness = []
    for i, kind in enumerate(old.kinds):
        kept = [e for e in old.witness[i] if e not in gone]
        cells = [(e, cells[i]) for e, cells in rows]
        if kind == "int":
            if not all(_INT.fullmatch(v) for _, v in cells):
                return None  # an empty, fractional or text cell may make it float or text
            witness.append([])
            continue
        if kind == "float":
            if not all(v in _NA or _is_number(v) for _, v in cells):
                return None  # text (or a number word) may make it other
            fresh = [e for e, v in cells if v in _NA or not _INT.fullmatch(v)]
        else:
            fresh = [e for e, v in cells if _surely_text(v)]
        proof = list(dict.fromkeys([*kept, *fresh]))[:WITNESSES]
        if not proof:
            return None  # the kept rows alone might read as another type
        witness.append(proof)
    return FloatColumns(version(after), list(old.kinds), witness)
