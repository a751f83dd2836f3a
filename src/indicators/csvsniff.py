"""Read a CSV file as text, the way Dutch users save them, and say what was chosen.

Excel in a Dutch locale saves "CSV" with ``;`` between fields, a decimal
comma and, depending on the version, Windows-1252 text or UTF-8 with a byte
order mark. Those readings are accepted here and recorded in a
:class:`ReadNotes`; everything else that is ambiguous fails with an
:class:`~indicators.exceptions.InputError` naming the file and the line.

Lenient (accepted and recorded):

- a UTF-8 byte order mark (also UTF-16 with a BOM, Excel's "Unicode text");
- text that is not UTF-8: decoded as cp1252 (Windows Western), or latin-1
  when cp1252 cannot decode it;
- the delimiter ``,``, ``;`` or a tab, sniffed from the header line;
- a decimal comma in number cells, only in ``;``-separated files
  (see :func:`normalise_decimal_comma`);
- empty rows at the end of the file (Excel's trailing ``;;;;``).

Strict (an error naming the line):

- a ragged row (more or fewer fields than the header);
- an empty row between data rows; a quoted field running over several lines
  (usually an unclosed quote); a stray quote;
- a header that splits equally well on two delimiters, empty or repeated
  column names;
- binary files (an ``.xlsx`` or ``.sav`` given as CSV), empty files;
- a file that mixes UTF-8 and another encoding;
- in ``;`` files: numbers with thousands separators (``1.234`` or
  ``1.234,5``) and a column mixing decimal commas and decimal points.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from indicators.exceptions import InputError

__all__ = [
    "DELIMITERS",
    "ReadNotes",
    "normalise_decimal_comma",
    "read_plain_table",
    "read_text_table",
]

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_NAMES = {",": "','", ";": "';'", "\t": "tab"}

# Valid UTF-8 multi-byte sequences: their presence in a file that is not valid
# UTF-8 means the file mixes encodings (one bad byte, or pasted text).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_DECIMAL_COMMA = r"[+-]?\d+,\d+"
_THOUSANDS = r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?"
_DECIMAL_POINT = r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?"


@dataclass
class ReadNotes:
    """How a CSV file was read: the lenient choices made, for the record.

    Attached to the frames that :mod:`indicators.sources` returns as
    ``df.attrs["read_notes"]``.

    Attributes
    ----------
    path : str
        The file.
    encoding : {"utf-8", "utf-16", "cp1252", "latin-1"}
        The encoding the text was decoded with.
    bom : bool
        Whether the file started with a byte order mark (removed).
    delimiter : {",", ";", "\\t"}
        Field separator, sniffed from the header line.
    first_non_utf8_line : int or None
        For cp1252/latin-1: the first line that is not valid UTF-8.
    trailing_empty_rows : int
        Empty rows at the end of the file that were skipped.
    decimal_comma_columns : list of str
        Columns whose numbers were written with a decimal comma.
    """

    path: str
    encoding: str = "utf-8"
    bom: bool = False
    delimiter: str = ","
    first_non_utf8_line: int | None = None
    trailing_empty_rows: int = 0
    decimal_comma_columns: list[str] = field(default_factory=list)

    @property
    def lenient(self) -> bool:
        """True when anything other than plain UTF-8, comma-separated text was accepted."""
        return bool(
            self.encoding != "utf-8"
            or self.bom
            or self.delimiter != ","
            or self.trailing_empty_rows
            or self.decimal_comma_columns
        )

    def summary(self) -> str:
        """One line for a log: ``file: encoding cp1252 (not UTF-8 from line 4), delimiter ';'``."""
        parts = [f"encoding {self.encoding}"]
        if self.first_non_utf8_line is not None:
            parts[-1] += f" (not UTF-8 from line {self.first_non_utf8_line})"
        if self.bom:
            parts.append("byte order mark removed")
        parts.append(f"delimiter {_NAMES[self.delimiter]}")
        if self.decimal_comma_columns:
            parts.append(f"decimal comma in {', '.join(self.decimal_comma_columns)}")
        if self.trailing_empty_rows:
            parts.append(f"{self.trailing_empty_rows} empty row(s) at the end skipped")
        return f"{self.path}: read with " + ", ".join(parts)


def _decode(data: bytes, path: str) -> tuple[str, ReadNotes]:
    notes = ReadNotes(path=path)
    if data.startswith(codecs.BOM_UTF8):
        notes.bom = True
        data = data[len(codecs.BOM_UTF8) :]
        try:
            return data.decode("utf-8"), notes
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                "starts with a UTF-8 byte order mark but is not valid UTF-8; "
                "expected one encoding for the whole file",
                path=path,
                row=line,
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        notes.bom = True
        notes.encoding = "utf-16"
        try:
            return data.decode("utf-16"), notes
        except UnicodeDecodeError:
            raise InputError(
                "starts with a UTF-16 byte order mark but is not valid UTF-16", path=path
            ) from None
    if b"\x00" in data[:65536]:
        raise InputError(
            "binary file, not CSV text (an Excel .xlsx or SPSS .sav file?); "
            "expected text with one row per line, fields separated by ',' or ';'",
            path=path,
        )
    try:
        return data.decode("utf-8"), notes
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
    mixed = _UTF8_MULTIBYTE.search(data)
    if mixed:
        other = data[: mixed.start()].count(b"\n") + 1
        raise InputError(
            f"mixes encodings: line {other} is UTF-8 but line {line} is not; "
            "expected one encoding for the whole file (save it as UTF-8)",
            path=path,
            row=line,
        )
    notes.first_non_utf8_line = line
    try:
        text = data.decode("cp1252")
        notes.encoding = "cp1252"
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        notes.encoding = "latin-1"
    return text, notes


def _sniff(header: str, path: str) -> str:
    counts = {d: len(next(csv.reader([header], delimiter=d))) for d in DELIMITERS}
    best = max(counts.values())
    if best <= 1:
        return ","  # a single column; the caller's column check explains the rest
    winners = [d for d, n in counts.items() if n == best]
    if len(winners) > 1:
        raise InputError(
            f"cannot tell the delimiter: the header splits into {best} fields on both "
            f"{' and '.join(_NAMES[d] for d in winners)}; expected one of ',' ';' or tab",
            path=path,
            row=1,
        )
    return winners[0]


def read_text_table(path: str | Path) -> tuple[list[str], list[list[str]], ReadNotes]:
    """Read a CSV file into its header and rows of text, checking its shape.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    header : list of str
        Column names, stripped of surrounding spaces.
    rows : list of list of str
        Data rows; row ``i`` is on line ``i + 2`` of the file.
    notes : ReadNotes
        Encoding, BOM and delimiter used.

    Raises
    ------
    InputError
        For a missing, empty, binary or malformed file; names the line.
    """
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise InputError("file not found", path=where)
    text, notes = _decode(path.read_bytes(), where)
    if not text.strip():
        raise InputError("file is empty; expected a header row", path=where)
    header_line = re.split(r"\r\n|\n|\r", text, maxsplit=1)[0]
    if not header_line.strip():
        raise InputError("line 1 is empty; expected the header row with column names", path=where)
    notes.delimiter = delim = _sniff(header_line, where)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    start = 1
    try:
        header = [h.strip() for h in next(reader)]
        if reader.line_num != 1:
            raise InputError(
                "the header row runs over several lines (an unclosed quote?); "
                "expected the column names on line 1",
                path=where,
                row=1,
            )
        for j, name in enumerate(header):
            if not name:
                raise InputError(
                    f"column {j + 1} has no name; expected a name for every column",
                    path=where,
                    row=1,
                )
            if name in header[:j]:
                raise InputError(f"column name {name!r} occurs twice", path=where, row=1)
        n = len(header)
        rows: list[list[str]] = []
        empty: list[int] = []
        start = reader.line_num + 1
        for rec in reader:
            line, start = start, reader.line_num + 1
            if reader.line_num != line:
                raise InputError(
                    f"a quoted field runs over lines {line}-{reader.line_num} (an unclosed "
                    "quote?); expected one row per line",
                    path=where,
                    row=line,
                )
            if not "".join(rec).strip():  # no cell with text (one C call, not one per cell)
                empty.append(line)
                continue
            if empty:
                raise InputError(
                    f"empty row between data rows; expected a row of {n} fields",
                    path=where,
                    row=empty[0],
                )
            if len(rec) != n:
                raise InputError(
                    f"found {len(rec)} fields but the header has {n} "
                    f"(delimiter {_NAMES[delim]}); expected {n} fields on every row",
                    path=where,
                    row=line,
                )
            rows.append(rec)
    except csv.Error as exc:
        if "end of data" in str(exc) or "field larger" in str(exc):
            problem = "a quote opened on this line is never closed"
        else:
            problem = f"malformed CSV ({exc})"
        raise InputError(
            f"{problem}; expected each field either unquoted or wholly in double quotes, "
            'with quotes inside doubled ("")',
            path=where,
            row=start,
        ) from None
    notes.trailing_empty_rows = len(empty)
    return header, rows, notes


# Bytes a *plain* file may hold (:func:`read_plain_table`): printable ASCII without
# space and double quote, and the line feed. Everything else (a BOM, other encodings,
# quotes, spaces to strip, tabs, carriage returns) goes to the lenient reader.
_PLAIN_BYTES = bytes(b for b in range(0x21, 0x7F) if b != ord('"')) + b"\n"
# Cells pandas' C parser reads as booleans (case-insensitive) in a number column,
# where pd.to_numeric and the lenient reader see text.
_BOOLEAN_WORDS = (b"true", b"false")


def read_plain_table(
    path: str | Path,
    dtypes: dict[str, str],
    missing: dict[str, list[str]],
    *,
    data: bytes | None = None,
) -> pd.DataFrame | None:
    """Read a *plain* CSV file with pandas' C parser; ``None`` when it is not plain.

    The fast path of a loader: a file written by a program rather than saved
    from Excel (UTF-8 without BOM, ``,`` between fields, header exactly
    ``dtypes``' keys in that order, no quotes, spaces, tabs or carriage
    returns, every line with the header's number of fields, at least one data
    row) is parsed in C with explicit dtypes. Anything else, and any cell the
    parser cannot convert, returns ``None``: the caller then reads the file
    with :func:`read_text_table`, whose errors name the line and field. The
    caller must check that the typed values are those its lenient conversion
    would give (see :func:`indicators.sources.load_observations`).

    Parameters
    ----------
    path : str or Path
        The file.
    dtypes : dict
        Column name -> pandas dtype, in header order (``str``, ``"int64"``,
        ``"float64"``).
    missing : dict
        Column name -> cells read as missing (e.g. ``["", "."]``); other
        columns have no missing cells (an empty text cell stays ``""``).
    data : bytes, optional
        The file's bytes, when the caller has them (``path`` then only names
        the file).

    Returns
    -------
    DataFrame or None
        Row ``i`` is on line ``i + 2``; ``attrs["read_notes"]`` is the
        :class:`ReadNotes` of a plain file.

    Notes
    -----
    Hand-written checks on the raw bytes (``bytes.translate`` and ``count``,
    both in C) decide what is plain, because the C parser is silently lenient
    where the strict reader is not: it pads short rows with missing cells,
    skips or pads empty lines and reads ``TRUE``/``false`` in number columns
    as 1 and 0.
    """
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
    header = ",".join(dtypes).encode("ascii")
    n_fields = len(dtypes)
    if data.translate(None, _PLAIN_BYTES) or not data.startswith(header + b"\n") or b"\n\n" in data:
        return None
    n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    # The parser fails on a line with too many fields, so this count means every
    # line has exactly the header's fields (it pads short lines silently).
    if n_lines < 2 or data.count(b",") != (n_fields - 1) * n_lines:
        return None
    lowered = data.lower()
    if any(w in lowered for w in _BOOLEAN_WORDS):
        return None
    try:
        df = pd.read_csv(
            io.BytesIO(data),
            dtype=dtypes,
            keep_default_na=False,
            na_values={c: v for c, v in missing.items() if c in dtypes},
            skip_blank_lines=False,
            encoding="utf-8",
            engine="c",
        )
    except (ValueError, OverflowError, TypeError, UnicodeDecodeError):
        return None
    if len(df) != n_lines - 1 or list(df.columns) != list(dtypes):
        return None  # pragma: no cover - the checks above rule this out
    df.attrs["read_notes"] = ReadNotes(path=str(path))
    return df


def normalise_decimal_comma(
    s: pd.Series, notes: ReadNotes | None, path: str, col: str
) -> pd.Series:
    """Turn decimal commas into points in a ``;``-separated file's number column.

    Parameters
    ----------
    s : pandas.Series of str
        Stripped cells; missing cells as missing.
    notes : ReadNotes or None
        How the file was read; nothing changes unless its delimiter is ``;``.
    path, col : str
        Named in errors.

    Returns
    -------
    pandas.Series
        ``"12,5"`` becomes ``"12.5"``; other cells are unchanged.

    Raises
    ------
    InputError
        For a number with thousands separators (``1.234`` is ambiguous in a
        Dutch file) or a column that mixes decimal commas and points.

    Examples
    --------
    >>> notes = ReadNotes(path="x.csv", delimiter=";")
    >>> normalise_decimal_comma(pd.Series(["12,5", "3", None]), notes, "x.csv", "v").tolist()
    ['12.5', '3', None]
    >>> notes.decimal_comma_columns
    ['v']
    """
    if notes is None or notes.delimiter != ";":
        return s
    text = s.astype(object).where(s.notna(), None)
    filled = text.fillna("")
    comma = filled.str.fullmatch(_DECIMAL_COMMA).to_numpy(dtype=bool)
    thousands = filled.str.fullmatch(_THOUSANDS).to_numpy(dtype=bool)
    if thousands.any():
        i = int(np.flatnonzero(thousands)[0])
        v = text.iloc[i]
        raise InputError(
            f"ambiguous number {v!r}: '.' may be a thousands separator in a ';'-separated "
            f"file; expected a decimal comma and no thousands separator, e.g. "
            f"{v.replace('.', '')!r}",
            path=path,
            row=i + 2,
            field=col,
        )
    if not comma.any():
        return s
    point = filled.str.fullmatch(_DECIMAL_POINT).to_numpy(dtype=bool)
    if point.any():
        i = int(np.flatnonzero(point)[0])
        first = int(np.flatnonzero(comma)[0]) + 2
        raise InputError(
            f"decimal point in {text.iloc[i]!r} but a decimal comma on line {first}; "
            "expected one decimal mark per column",
            path=path,
            row=i + 2,
            field=col,
        )
    if col not in notes.decimal_comma_columns:
        notes.decimal_comma_columns.append(col)
    out = text.where(~comma, filled.str.replace(",", ".", regex=False))
    return out
