"""Reading a register from CSV or Excel, and naming the place of every problem.

The province keeps its registers in Excel; the demo keeps them in CSV. Both
enter through :func:`read_register`, which returns the cells **as text** in
the register's columns, so that one and the same validation runs on both and
reports problems the same way:

* CSV -- ``<file>, line <n>, field '<column>': <problem>`` (header = line 1);
* Excel -- ``<file>, sheet '<name>', row <n>, column <letter>, field
  '<column>': <problem>``, with the row number as Excel shows it (header =
  row 1) and the column letter of that field (:class:`SheetInputError`).

The validation code raises :class:`~indicators.exceptions.InputError` with a
CSV-style line (data row ``i`` = line ``i + 2``); :func:`located` translates
such an error into the Excel row, sheet and column.

Excel cells are turned into text as follows: text stays as it is; whole
numbers lose their ``.0``; other numbers use the shortest exact decimal
(``0.35``); a cell formatted as a percentage holds its value times 100 (a
cell showing ``35%`` reads as ``35``); a date (or date-time at midnight) reads
as ``YYYY-MM-DD``; an empty cell or a formula without a stored result as empty.
The header must be row 1 of the sheet, one name per cell; merged cells, empty
header cells inside the table, values in columns without a header and empty
rows between data rows are errors. Empty rows and columns after the table
(often left over from formatting) are ignored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from indicators.exceptions import ArgumentError, InputError
from indicators.sources import _column_hint, _read_text_csv

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
#: Suffixes refused with a hint instead of being read as CSV.
UNSUPPORTED_SUFFIXES = {
    ".xls": "the old .xls format is not supported; save the workbook as .xlsx",
    ".ods": "OpenDocument spreadsheets are not supported; save the workbook as .xlsx",
}
_DECIMAL_COMMA_HINT = " (a decimal comma is only read in ';'-separated files; use '.' here)"
_EXCEL_NUMBER_HINT = " (type it as a number cell, or use '.' as the decimal separator)"


class SheetInputError(InputError):
    """A problem in an Excel register: names file, sheet, row, column and field.

    Attributes
    ----------
    path : str
        The workbook.
    sheet : str
        The worksheet.
    row : int or None
        Row number as Excel shows it (header = row 1).
    column : str or None
        Column letter (``"G"``).
    field : str or None
        Column name in the header.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str,
        sheet: str,
        row: int | None = None,
        column: str | None = None,
        field: str | None = None,
    ) -> None:
        where = f"sheet '{sheet}'"
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column}"
        super().__init__(message, path=path, row=where, field=field)
        self.sheet = sheet
        self.row = row
        self.column = column


@dataclass(frozen=True)
class RegisterSource:
    """Where the rows of a register frame come from.

    Attributes
    ----------
    path : Path
        The file.
    sheet : str or None
        The worksheet (None for CSV).
    rows : tuple of int
        Line (CSV) or Excel row number of each data row, in frame order.
    letters : dict of str to str
        Excel column letter of each field (empty for CSV).
    """

    path: Path
    sheet: str | None
    rows: tuple[int, ...]
    letters: dict[str, str]

    @property
    def is_excel(self) -> bool:
        return self.sheet is not None

    def line(self, position: int) -> int:
        """The line or row number of the data row at ``position`` (0-based)."""
        return self.rows[position] if 0 <= position < len(self.rows) else position + 2


def is_excel(path: Path) -> bool:
    """Whether ``path`` is read as an Excel workbook (by its suffix)."""
    return Path(path).suffix.lower() in EXCEL_SUFFIXES


def read_register(path: Path, columns: list[str], *, sheet: str | None = None) -> pd.DataFrame:
    """Read a register file as text: a CSV file or a sheet of an ``.xlsx`` workbook.

    Parameters
    ----------
    path : Path
        ``.xlsx``/``.xlsm``: read as Excel; anything else (normally ``.csv``)
        as CSV (``.xls`` and ``.ods`` are refused with a hint).
    columns : list of str
        The register's columns; the file must have exactly these (any order).
    sheet : str, optional
        Worksheet name (Excel only); default the first sheet.

    Returns
    -------
    DataFrame
        One text column per register column (cells not stripped, empty cells
        as ``""``), data rows in file order; ``attrs["register_source"]`` is a
        :class:`RegisterSource` used by :func:`located`.

    Raises
    ------
    InputError
        A missing or unreadable file, a missing sheet, a bad header (missing,
        extra, duplicate, empty or merged header cells), values outside the
        table or empty rows between data rows.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED_SUFFIXES:
        raise InputError(UNSUPPORTED_SUFFIXES[suffix], path=str(path))
    if suffix not in EXCEL_SUFFIXES:
        if sheet is not None:
            raise ArgumentError(f"sheet={sheet!r} given, but {path} is read as CSV, not Excel")
        raw = _read_text_csv(path, columns)
        raw.attrs["register_source"] = RegisterSource(
            path=path, sheet=None, rows=tuple(range(2, len(raw) + 2)), letters={}
        )
        return raw
    return _read_excel(path, columns, sheet)


def source_of(raw: pd.DataFrame) -> RegisterSource | None:
    """The :class:`RegisterSource` attached by :func:`read_register`, if any."""
    return raw.attrs.get("register_source")


@contextlib.contextmanager
def located(source: RegisterSource | None) -> Iterator[None]:
    """Translate CSV-style errors about ``source`` into Excel rows, sheet and column.

    Inside the block, validation raises :class:`InputError` with
    ``row = position + 2`` (the CSV line of data row ``position``). For an
    Excel source the error is re-raised as :class:`SheetInputError` with the
    Excel row and column letter; CSV errors pass unchanged.
    """
    try:
        yield
    except SheetInputError:
        raise
    except InputError as err:
        if source is None or not source.is_excel or err.path != str(source.path):
            raise
        raise relocate(err, source) from None


def relocate(err: InputError, source: RegisterSource) -> SheetInputError:
    """The Excel version of a CSV-style error (see :func:`located`)."""
    row = err.row
    if isinstance(row, int):
        row = 1 if row == 1 else source.line(row - 2)
    elif row is not None:
        row = None  # a key path or other text: keep only the sheet
    reason = err.reason.replace(_DECIMAL_COMMA_HINT, _EXCEL_NUMBER_HINT)
    return SheetInputError(
        reason,
        path=str(source.path),
        sheet=str(source.sheet),
        row=row,
        column=source.letters.get(err.field) if err.field else None,
        field=err.field,
    )


def validate_schema(
    df: pd.DataFrame,
    schema: pa.DataFrameSchema,
    path: Path,
    positions: pd.Series | None = None,
) -> pd.DataFrame:
    """Validate a loader's result with its pandera schema; failures become InputError.

    Parameters
    ----------
    df : DataFrame
        The validated register frame.
    schema : pandera.DataFrameSchema
        The register's schema.
    path : Path
        The register file (named in the error).
    positions : Series or array-like, optional
        Data-row position in the file (0-based) for each row of ``df`` (a
        Series is matched on the index); default: the index is the position.

    Notes
    -----
    The loaders check every rule row by row before this point, with specific
    messages; the schema is the contract of the frame that leaves the loader
    and catches any rule the row checks missed.
    """
    if positions is not None and not isinstance(positions, pd.Series):
        positions = pd.Series(list(positions), index=df.index)
    try:
        return schema.validate(df, lazy=False)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as err:
        raise _schema_input_error(err, schema, path, df, positions) from None


def _schema_input_error(
    err: pa.errors.SchemaError | pa.errors.SchemaErrors,
    schema: pa.DataFrameSchema,
    path: Path,
    df: pd.DataFrame,
    positions: pd.Series | None,
) -> InputError:
    """The first failure of a pandera error as an InputError naming line and field."""
    if isinstance(err, pa.errors.SchemaErrors):  # lazy validation: first failure only
        cases = err.failure_cases
        first = cases.iloc[0] if len(cases) else None
        check_name = str(first["check"]) if first is not None else "?"
        field = first["column"] if first is not None else None
        cases = cases.iloc[:1]
    else:
        check = err.check
        check_name = getattr(check, "name", None) or str(check)
        field = getattr(err, "column_name", None)
        cases = err.failure_cases
    fields = (schema.metadata or {}).get("check_fields", {})
    if field is None or field not in df.columns:
        field = fields.get(check_name)
    value = idx = None
    if isinstance(cases, pd.DataFrame) and len(cases) and "index" in cases:
        if "column" in cases and field is not None and (cases["column"] == field).any():
            cases = cases.loc[cases["column"] == field]
        pick = cases.iloc[-1] if "uniqueness" in check_name else cases.iloc[0]
        idx, value = pick["index"], pick.get("failure_case")
    msg = f"{schema.name or 'register'} schema: check {check_name} failed"
    if value is not None and not (isinstance(value, float) and pd.isna(value)):
        msg += f" for value {value!r}"
    elif idx is None:
        msg += f" ({str(err).splitlines()[0]})"
    row = None
    if idx is not None and not pd.isna(idx) and idx in df.index:
        pos = positions.loc[idx] if positions is not None else idx
        row = int(pos) + 2
    return InputError(msg, path=str(path), row=row, field=str(field) if field else None)


# --------------------------------------------------------------------------- Excel


def _read_excel(path: Path, columns: list[str], sheet: str | None) -> pd.DataFrame:
    where = str(path)
    if not path.exists():
        raise InputError("file not found", path=where)
    try:
        import openpyxl
        from openpyxl.utils import get_column_letter
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise InputError(
            "reading Excel registers needs the package openpyxl (pip install openpyxl)",
            path=where,
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unsupported extensions, default styles
            wb = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        raise InputError(
            f"not a readable .xlsx workbook ({type(exc).__name__}: {exc}); save it from "
            "Excel as 'Excel-werkmap (*.xlsx)'",
            path=where,
        ) from None
    try:
        if sheet is None:
            if not wb.worksheets:
                raise InputError("the workbook has no worksheets", path=where)
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames and sheet in [w.title for w in wb.worksheets]:
            ws = wb[sheet]
        else:
            raise InputError(
                f"no worksheet named {sheet!r}; the workbook has {wb.sheetnames}", path=where
            )
        return _sheet_frame(ws, path, columns, get_column_letter)
    finally:
        wb.close()


def _sheet_frame(ws, path: Path, columns: list[str], letter) -> pd.DataFrame:
    where, name = str(path), ws.title

    def fail(message: str, row: int | None = None, col: int | None = None, field=None):
        raise SheetInputError(
            message,
            path=where,
            sheet=name,
            row=row,
            column=letter(col) if col else None,
            field=field,
        )

    cells = [[_cell_text(c) for c in r] for r in ws.iter_rows()]
    # Last row and column that hold anything (formatting alone does not count).
    filled = [i for i, r in enumerate(cells) if any(v.strip() for v in r)]
    if not filled:
        fail("the sheet is empty; expected the header row with column names in row 1", row=1)
    n_rows = filled[-1] + 1
    n_cols = max((j + 1 for r in cells[:n_rows] for j, v in enumerate(r) if v.strip()), default=0)
    for rng in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        if rng.min_row <= n_rows and rng.min_col <= n_cols:
            part = "header cells" if rng.min_row == 1 else "cells"
            fail(
                f"{part} {rng.coord} are merged; unmerge them and give every "
                + ("column its own name" if rng.min_row == 1 else "cell its own value"),
                row=rng.min_row,
                col=rng.min_col,
            )
    header_cells = cells[0] + [""] * (n_cols - len(cells[0]))
    header = [h.strip() for h in header_cells[:n_cols]]
    if not any(header):
        fail("row 1 is empty; expected the header row with column names in row 1", row=1)
    width = max(j + 1 for j, h in enumerate(header) if h)
    for j, h in enumerate(header[:width]):
        if not h:
            fail(
                f"header cell {letter(j + 1)}1 is empty; expected a column name in every "
                "header cell (no blank or merged header cells)",
                row=1,
                col=j + 1,
            )
        if h in header[:j]:
            fail(f"column name {h!r} occurs twice", row=1, col=j + 1)
    missing = [c for c in columns if c not in header[:width]]
    if missing:
        fail(
            f"missing column(s) {missing}; expected columns {columns}, found {header[:width]}"
            + _column_hint(missing, header[:width]),
            row=1,
        )
    extra = [c for c in header[:width] if c not in columns]
    if extra:
        fail(
            f"unexpected column(s) {extra}; expected exactly the columns {columns}",
            row=1,
            col=header.index(extra[0]) + 1,
        )
    rows: list[list[str]] = []
    numbers: list[int] = []
    empty: list[int] = []
    for i in range(1, n_rows):
        rec = cells[i] + [""] * (n_cols - len(cells[i]))
        excel_row = i + 1
        if not any(v.strip() for v in rec):
            empty.append(excel_row)
            continue
        if empty:
            fail(
                f"empty row between data rows; expected a row of {width} cells",
                row=empty[0],
            )
        outside = [j for j in range(width, n_cols) if rec[j].strip()]
        if outside:
            j = outside[0]
            fail(
                f"cell {letter(j + 1)}{excel_row} has a value but column {letter(j + 1)} has no "
                "name in row 1; remove it or add a column name",
                row=excel_row,
                col=j + 1,
            )
        rows.append(rec[:width])
        numbers.append(excel_row)
    df = pd.DataFrame(rows, columns=header[:width], dtype=str)
    if not rows:
        df = pd.DataFrame({c: pd.Series([], dtype=str) for c in header[:width]})
    df = df[columns]
    df.attrs["register_source"] = RegisterSource(
        path=path,
        sheet=name,
        rows=tuple(numbers),
        letters={h: letter(j + 1) for j, h in enumerate(header[:width])},
    )
    return df


def _cell_text(cell) -> str:
    """The text of one Excel cell (see the module docstring).

    >>> class C:
    ...     def __init__(self, value, number_format="General"):
    ...         self.value, self.number_format = value, number_format
    >>> [_cell_text(C(v)) for v in (None, "a ", 46000.0, 0.35, dt.datetime(2024, 3, 2))]
    ['', 'a ', '46000', '0.35', '2024-03-02']
    >>> _cell_text(C(0.35, "0%")), _cell_text(C(0.125, "0.0%"))
    ('35', '12.5')
    """
    v = cell.value
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0, 0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, int | float):
        fmt = getattr(cell, "number_format", "") or ""
        if "%" in fmt:
            v = round(v * 100, 9)
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v) if isinstance(v, float) else str(v)
    return str(v)
