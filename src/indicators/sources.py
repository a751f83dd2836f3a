"""Sources layer: read the unit list and the tidy observation table, validated.

Both tables enter the package here and nowhere else. CSV cells are read as
text first and converted explicitly, so that a bad cell produces an error that
names the file, the line (1-based, header = line 1) and the column, instead of
a silent ``NaN`` or a pandas traceback. Empty cells mean *missing or secret*
(CBS's ``.``) and stay missing; they never become 0.

The structural rules live in pandera schemas (:data:`UNITS_SCHEMA`,
:data:`OBSERVATIONS_SCHEMA`); pandera's failure cases are translated into
:class:`~indicators.exceptions.InputError`.

Dutch exports are read leniently (:mod:`indicators.csvsniff`): a ``;``
delimiter with decimal commas, a byte order mark, cp1252/latin-1 text. The
choices are recorded as ``df.attrs["read_notes"]`` (:class:`ReadNotes`) on the
returned frames and logged (logger ``indicators.sources``: INFO, WARNING when
the encoding had to be guessed). See ``docs/reliability.md``.
"""

from __future__ import annotations

import difflib
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from indicators.config import UNIT_CODE_RE, Catalogue, project_root
from indicators.csvsniff import (
    ReadNotes,
    normalise_decimal_comma,
    read_plain_table,
    read_text_table,
)
from indicators.exceptions import InputError

__all__ = [
    "OBSERVATIONS_SCHEMA",
    "ReadNotes",
    "UNITS_SCHEMA",
    "default_data_dir",
    "check_observations",
    "load_observations",
    "load_units",
    "read_notes",
]

log = logging.getLogger(__name__)

LEVELS = ["land", "provincie", "gemeente", "wijk", "buurt"]
UNIT_COLUMNS = ["unit_code", "level", "name", "gemeente_code", "wijk_code", "region"]
OBS_COLUMNS = ["unit_code", "indicator_id", "period", "numerator", "denominator", "value", "se"]
NUMERIC = ["numerator", "denominator", "value", "se"]
#: Row order of a loaded observation table.
SORT_KEY = ["indicator_id", "unit_code", "period"]

UNITS_SCHEMA = pa.DataFrameSchema(
    {
        "unit_code": pa.Column(str, pa.Check.str_matches(UNIT_CODE_RE.pattern), unique=True),
        "level": pa.Column(str, pa.Check.isin(LEVELS)),
        "name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "gemeente_code": pa.Column(str, nullable=True),
        "wijk_code": pa.Column(str, nullable=True),
        "region": pa.Column(str, nullable=True),
    },
    strict=True,
    name="units",
)

OBSERVATIONS_SCHEMA = pa.DataFrameSchema(
    {
        "unit_code": pa.Column(str),
        "indicator_id": pa.Column(str),
        "period": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "numerator": pa.Column(float, pa.Check.ge(0), nullable=True),
        "denominator": pa.Column(float, pa.Check.ge(0), nullable=True),
        "value": pa.Column(float, nullable=True),
        "se": pa.Column(float, pa.Check.ge(0), nullable=True),
    },
    unique=["unit_code", "indicator_id", "period"],
    strict=True,
    name="observations",
)


#: :data:`OBSERVATIONS_SCHEMA` without its uniqueness check: :func:`load_observations`
#: finds duplicate keys itself, on the keys it sorts anyway and with line numbers, in
#: a twentieth of the time pandera's check takes (0.32 s for 835,673 rows; issue 7).
_OBSERVATIONS_ROWS = pa.DataFrameSchema(
    OBSERVATIONS_SCHEMA.columns, strict=True, name="observations"
)


def default_data_dir() -> Path:
    """The embedded demo data directory (``data/demo``)."""
    return project_root() / "data" / "demo"


def read_notes(df: pd.DataFrame) -> ReadNotes | None:
    """How the CSV behind a loaded frame was read (encoding, delimiter, decimal comma)."""
    return df.attrs.get("read_notes")


def _column_hint(missing: list[str], found: list[str]) -> str:
    hints = []
    lowered = {f.lower().replace(" ", "_"): f for f in found if f not in missing}
    for m in missing:
        close = difflib.get_close_matches(m.lower(), list(lowered), n=1, cutoff=0.6)
        if close:
            hints.append(f"{lowered[close[0]]!r} instead of {m!r}?")
    return f" (renamed? {' '.join(hints)})" if hints else ""


def _read_text_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read a CSV file as text with exactly ``columns``; notes in ``attrs["read_notes"]``."""
    path = Path(path)
    header, rows, notes = read_text_table(path)
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; expected columns {columns}, found {header}"
            + _column_hint(missing, header),
            path=str(path),
            row=1,
        )
    extra = [c for c in header if c not in columns]
    if extra:
        raise InputError(
            f"unexpected column(s) {extra}; expected exactly the columns {columns}",
            path=str(path),
            row=1,
        )
    if rows:
        df = pd.DataFrame(rows, columns=header, dtype=str)
    else:
        df = pd.DataFrame({c: pd.Series([], dtype=str) for c in header})
    df = df[columns]
    df.attrs["read_notes"] = notes
    if notes.encoding in ("cp1252", "latin-1"):
        log.warning("%s", notes.summary())
    elif notes.lenient:
        log.info("%s", notes.summary())
    return df


def _to_number(df: pd.DataFrame, col: str, path: Path, integer: bool = False) -> pd.Series:
    notes = df.attrs.get("read_notes")
    s = df[col].str.strip()
    s = s.mask(s.isin(["", "."]))  # CBS '.' = missing or secret
    if notes is not None and notes.delimiter == ";":
        before = len(notes.decimal_comma_columns)
        s = normalise_decimal_comma(s, notes, str(path), col)
        if len(notes.decimal_comma_columns) > before:
            log.info("%s: column '%s' read with a decimal comma", path, col)
    num = pd.to_numeric(s, errors="coerce")
    bad = (num.isna() & s.notna()).to_numpy(dtype=bool)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        v = s.iloc[i]
        hint = (
            " (a decimal comma is only read in ';'-separated files; use '.' here)"
            if isinstance(v, str) and "," in v
            else ""
        )
        raise InputError(
            f"expected a number, got {v!r}{hint}", path=str(path), row=i + 2, field=col
        )
    infinite = np.isinf(num.to_numpy(dtype=float))
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        raise InputError(
            f"expected a finite number, got {s.iloc[i]!r}", path=str(path), row=i + 2, field=col
        )
    if integer:
        if num.isna().any():
            i = int(np.flatnonzero(num.isna().to_numpy())[0])
            raise InputError(
                "expected a whole number (year), got an empty cell",
                path=str(path),
                row=i + 2,
                field=col,
            )
        frac = num % 1 != 0
        if frac.any():
            i = int(np.flatnonzero(frac.to_numpy())[0])
            raise InputError(
                f"expected a whole number, got {s.iloc[i]!r}", path=str(path), row=i + 2, field=col
            )
        return num.astype("int64")
    return num.astype("float64")


def _schema_error(err: pa.errors.SchemaErrors | pa.errors.SchemaError, path: Path) -> InputError:
    cases = getattr(err, "failure_cases", None)
    if cases is not None and len(cases):
        first = cases.iloc[0]
        idx = first.get("index")
        row = int(idx) + 2 if idx is not None and pd.notna(idx) else None
        col = first.get("column")
        check = first.get("check")
        value = first.get("failure_case")
        msg = f"value {value!r} fails check {check}"
        if check == "column_in_dataframe" or check == "column_in_schema":
            msg = f"column problem: {value}"
        return InputError(msg, path=str(path), row=row, field=None if pd.isna(col) else str(col))
    return InputError(str(err), path=str(path))


def load_units(path: Path | None = None) -> pd.DataFrame:
    """Load ``units.csv``: one row per CBS unit (land, provincie, gemeente, wijk, buurt).

    ``attrs["read_notes"]`` of the result records how the file was read.
    """
    path = Path(path) if path else default_data_dir() / "units.csv"
    df = raw = _read_text_csv(path, UNIT_COLUMNS)
    for c in UNIT_COLUMNS:
        df[c] = df[c].str.strip()
    for c in ["gemeente_code", "wijk_code", "region"]:
        df[c] = df[c].mask(df[c] == "")

    def fail(mask: pd.Series, msg: str, field: str) -> None:
        bad = mask.to_numpy(dtype=bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                msg.format(v=df[field].iloc[i]), path=str(path), row=i + 2, field=field
            )

    fail(
        ~df["unit_code"].str.fullmatch(UNIT_CODE_RE.pattern.strip("^$")),
        "unit code {v!r} is not a CBS code; expected NL01, PV##, GM####, WK###### or BU########",
        "unit_code",
    )
    fail(
        ~df["level"].isin(LEVELS),
        "unknown level {v!r}; expected one of " + ", ".join(LEVELS),
        "level",
    )
    fail(df["name"] == "", "empty name; expected the name of the unit", "name")
    dup = df["unit_code"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy(dtype=bool))[0])
        code = df["unit_code"].iloc[i]
        first = int(np.flatnonzero((df["unit_code"] == code).to_numpy())[0])
        raise InputError(
            f"duplicate unit code {code!r}, also on line {first + 2}; expected each unit once",
            path=str(path),
            row=i + 2,
            field="unit_code",
        )
    try:
        df = UNITS_SCHEMA.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        raise _schema_error(err, path) from None
    df = df.reset_index(drop=True)
    df.attrs["read_notes"] = read_notes(raw)
    return df


def load_observations(
    path: Path | None = None,
    *,
    catalogue: Catalogue,
    units: pd.DataFrame,
) -> pd.DataFrame:
    """Load and validate the tidy observation table.

    Parameters
    ----------
    path : Path, optional
        ``observations.csv``; defaults to the embedded demo data.
    catalogue : Catalogue
        Indicator ids and their aggregation rules (which columns must be filled).
    units : DataFrame
        From :func:`load_units`; every unit code must be known.

    Returns
    -------
    DataFrame
        Columns ``unit_code, indicator_id, period, numerator, denominator, value, se``;
        ``attrs["read_notes"]`` records how the file was read (:class:`ReadNotes`).

    Raises
    ------
    InputError
        Naming the file, the line and the column of the first problem.
    """
    path = Path(path) if path else default_data_dir() / "observations.csv"
    df = _observations_plain(path)
    if df is None:
        df = _observations_lenient(path)
    return check_observations(df, path, catalogue=catalogue, units=units)[0]


def check_observations(
    df: pd.DataFrame, path: Path, *, catalogue: Catalogue, units: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    """Validate an observation table as read from ``path``; the rules of :func:`load_observations`.

    Returns the validated table sorted by :data:`SORT_KEY` and, per row of it,
    its row in ``df`` (row ``i`` of ``df`` is on line ``i + 2`` of the file).
    :mod:`indicators.obsstore` runs the same checks on the changed lines of a
    file.
    """

    def fail(mask: pd.Series, msg: str, field: str) -> None:
        bad = mask.to_numpy(dtype=bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            row = df.iloc[i]
            raise InputError(
                msg.format(v=row[field], num=row["numerator"], den=row["denominator"]),
                path=str(path),
                row=i + 2,
                field=field,
            )

    fail(
        ~df["unit_code"].isin(set(units["unit_code"])),
        "unknown area code {v!r}; expected a unit_code listed in units.csv",
        "unit_code",
    )
    fail(
        ~df["indicator_id"].isin(set(catalogue.by_id)),
        "unknown indicator {v!r}; expected an indicator id from the catalogue",
        "indicator_id",
    )
    fail(
        ~df["period"].between(1990, 2100),
        "year {v} out of range; expected a year from 1990 to 2100",
        "period",
    )
    for c in NUMERIC:
        if c != "value":
            fail(
                df[c] < 0,
                "negative value {v:g}; expected a count or standard error of 0 or more",
                c,
            )
    key = ["unit_code", "indicator_id", "period"]
    # Sorted by key (stable: equal keys keep their file order), a duplicate is equal to
    # the row before it; the first such row in file order is reported.
    df = df.reset_index(drop=True)  # labels are positions below
    order = df.sort_values(SORT_KEY, kind="stable").index.to_numpy()
    k = [df[c].to_numpy()[order] for c in SORT_KEY]
    same = np.ones(len(order) - 1, dtype=bool) if len(order) else np.zeros(0, dtype=bool)
    for col in k:
        same &= col[1:] == col[:-1]
    if same.any():
        i = int(order[1:][same].min())
        first = int(np.flatnonzero((df[key] == df[key].iloc[i]).all(axis=1).to_numpy())[0])
        raise InputError(
            f"duplicate key (unit_code, indicator_id, period) = ({df['unit_code'].iloc[i]!r}, "
            f"{df['indicator_id'].iloc[i]!r}, {df['period'].iloc[i]}), also on line {first + 2}; "
            "expected one row per unit, indicator and year",
            path=str(path),
            row=i + 2,
            field="unit_code",
        )

    cat = catalogue.frame().set_index("id")
    agg = df["indicator_id"].map(cat["aggregation"])
    vtype = df["indicator_id"].map(cat["value_type"])
    is_sum = agg == "sum"
    fail(
        is_sum & df["numerator"].notna() & df["denominator"].isna(),
        "numerator without denominator; expected both for an indicator aggregated by sum",
        "denominator",
    )
    fail(
        is_sum & (df["denominator"] == 0) & df["numerator"].notna(),
        "denominator is 0; expected a positive denominator when a numerator is given",
        "denominator",
    )
    fail(
        (vtype == "proportion") & (df["numerator"] > df["denominator"]),
        "numerator larger than its denominator ({num:g} > {den:g}); expected numerator <= "
        "denominator for a proportion",
        "numerator",
    )
    fail(
        ~is_sum & df["numerator"].notna(),
        "indicator is aggregated by weighted mean: expected an empty numerator, got {v:g}",
        "numerator",
    )
    try:
        df = _OBSERVATIONS_ROWS.validate(df, lazy=True)  # keys were checked above
    except pa.errors.SchemaErrors as err:
        raise _schema_error(err, path) from None
    notes = read_notes(df)
    df = df.take(order).reset_index(drop=True)
    df.attrs["read_notes"] = notes
    return df, order


def _observations_lenient(path: Path) -> pd.DataFrame:
    """The observation table read as text and converted cell by cell (any CSV dialect)."""
    raw = _read_text_csv(path, OBS_COLUMNS)
    if raw.empty:
        raise InputError(
            "no data rows; expected at least one row below the header", path=str(path), row=2
        )
    df = pd.DataFrame(
        {
            "unit_code": raw["unit_code"].str.strip(),
            "indicator_id": raw["indicator_id"].str.strip(),
            "period": _to_number(raw, "period", path, integer=True),
        }
    )
    for c in NUMERIC:
        df[c] = _to_number(raw, c, path)
    df.attrs["read_notes"] = read_notes(raw)
    return df


#: dtypes of the observation table as the C parser reads a plain file.
_OBS_DTYPES = {"unit_code": "str", "indicator_id": "str", "period": "int64"} | {
    c: "float64" for c in NUMERIC
}


def _observations_plain(path: Path, data: bytes | None = None) -> pd.DataFrame | None:
    """The observation table of a plain file, parsed in C; ``None`` when the lenient path must run.

    Gives the same frame as :func:`_observations_lenient` (same dtypes,
    values and bits) or ``None``: for files that are not plain
    (:func:`indicators.csvsniff.read_plain_table`), and for cells the lenient
    path would reject or convert differently (an empty text cell, an
    infinite number; ``-0`` or numbers beyond 2**53 in a column of whole
    numbers, which ``pd.to_numeric`` converts through int64). The lenient path then reads the
    file again and raises its errors naming line and field. Reading 835,673
    rows this way takes about a tenth of the lenient path's time (issue 7).
    """
    df = read_plain_table(path, _OBS_DTYPES, {c: ["", "."] for c in NUMERIC}, data=data)
    if df is None:
        return None
    for c in ("unit_code", "indicator_id"):
        col = df[c]
        if col.isna().any() or (col == "").any():
            return None
    for c in NUMERIC:
        x = df[c].to_numpy(dtype="float64")
        known = x[~np.isnan(x)]
        if not np.isfinite(known).all():
            return None
        # pd.to_numeric reads a column of whole numbers through int64, which turns
        # "-0" into 0.0 and rounds beyond 2**53 on its own; in a column with a
        # fraction it parses every cell as the C parser does (same bits).
        odd = np.signbit(known[known == 0]).any() or (np.abs(known) >= 2.0**53).any()
        if odd and (known % 1 == 0).all():
            return None
    return df
