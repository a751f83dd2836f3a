"""Sources layer: read the unit list and the tidy observation table, validated.

Both tables enter the package here and nowhere else. CSV cells are read as
text first and converted explicitly, so that a bad cell produces an error that
names the file, the line (1-based, header = line 1) and the column, instead of
a silent ``NaN`` or a pandas traceback. Empty cells mean *missing or secret*
(CBS's ``.``) and stay missing; they never become 0.

The structural rules live in pandera schemas (:data:`UNITS_SCHEMA`,
:data:`OBSERVATIONS_SCHEMA`); pandera's failure cases are translated into
:class:`~indicators.exceptions.InputError`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from indicators.config import UNIT_CODE_RE, Catalogue, project_root
from indicators.exceptions import InputError

LEVELS = ["land", "provincie", "gemeente", "wijk", "buurt"]
UNIT_COLUMNS = ["unit_code", "level", "name", "gemeente_code", "wijk_code", "region"]
OBS_COLUMNS = ["unit_code", "indicator_id", "period", "numerator", "denominator", "value", "se"]
NUMERIC = ["numerator", "denominator", "value", "se"]

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


def default_data_dir() -> Path:
    """The embedded demo data directory (``data/demo``)."""
    return project_root() / "data" / "demo"


def _read_text_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=str(path))
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=str(path)) from None
    except pd.errors.EmptyDataError:
        raise InputError("file is empty; expected a header row", path=str(path)) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed CSV: {exc}", path=str(path)) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; expected columns {columns}, found {list(df.columns)}",
            path=str(path),
            row=1,
        )
    extra = [c for c in df.columns if c not in columns]
    if extra:
        raise InputError(f"unexpected column(s) {extra}", path=str(path), row=1)
    return df[columns]


def _to_number(df: pd.DataFrame, col: str, path: Path, integer: bool = False) -> pd.Series:
    s = df[col].str.strip()
    s = s.mask(s.isin(["", "."]))  # CBS '.' = missing or secret
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna() & s.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"expected a number, got {s.iloc[i]!r}", path=str(path), row=i + 2, field=col
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
    """Load ``units.csv``: one row per CBS unit (land, provincie, gemeente, wijk, buurt)."""
    path = Path(path) if path else default_data_dir() / "units.csv"
    df = _read_text_csv(path, UNIT_COLUMNS)
    for c in ["gemeente_code", "wijk_code", "region"]:
        df[c] = df[c].mask(df[c].str.strip() == "")
    try:
        df = UNITS_SCHEMA.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        raise _schema_error(err, path) from None
    dup = df["unit_code"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            f"duplicate unit code {df['unit_code'].iloc[i]!r}",
            path=str(path),
            row=i + 2,
            field="unit_code",
        )
    return df.reset_index(drop=True)


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
        Columns ``unit_code, indicator_id, period, numerator, denominator, value, se``.

    Raises
    ------
    InputError
        Naming the file, the line and the column of the first problem.
    """
    path = Path(path) if path else default_data_dir() / "observations.csv"
    raw = _read_text_csv(path, OBS_COLUMNS)
    if raw.empty:
        raise InputError("no data rows", path=str(path), row=2)
    df = pd.DataFrame(
        {
            "unit_code": raw["unit_code"].str.strip(),
            "indicator_id": raw["indicator_id"].str.strip(),
            "period": _to_number(raw, "period", path, integer=True),
        }
    )
    for c in NUMERIC:
        df[c] = _to_number(raw, c, path)

    def fail(mask: pd.Series, msg: str, field: str) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask.to_numpy())[0])
            raise InputError(
                msg.format(v=df[field].iloc[i]), path=str(path), row=i + 2, field=field
            )

    fail(
        ~df["unit_code"].isin(set(units["unit_code"])),
        "unknown area code {v!r} (not in units.csv)",
        "unit_code",
    )
    fail(
        ~df["indicator_id"].isin(set(catalogue.by_id)),
        "unknown indicator {v!r} (not in the catalogue)",
        "indicator_id",
    )
    fail(~df["period"].between(1990, 2100), "year {v} out of range 1990-2100", "period")
    for c in NUMERIC:
        if c != "value":
            fail(df[c] < 0, "negative value {v} (counts and standard errors cannot be negative)", c)
    fail(
        df.duplicated(["unit_code", "indicator_id", "period"]),
        "duplicate key (unit_code, indicator_id, period) for unit {v!r}",
        "unit_code",
    )

    cat = catalogue.frame().set_index("id")
    agg = df["indicator_id"].map(cat["aggregation"])
    vtype = df["indicator_id"].map(cat["value_type"])
    is_sum = agg == "sum"
    fail(
        is_sum & df["numerator"].notna() & df["denominator"].isna(),
        "numerator without denominator",
        "denominator",
    )
    fail(
        is_sum & (df["denominator"] == 0) & df["numerator"].notna(),
        "denominator is 0",
        "denominator",
    )
    fail(
        (vtype == "proportion") & (df["numerator"] > df["denominator"]),
        "numerator larger than its denominator ({v})",
        "numerator",
    )
    fail(
        ~is_sum & df["numerator"].notna(),
        "indicator is aggregated by weighted mean: leave numerator empty, got {v}",
        "numerator",
    )
    try:
        df = OBSERVATIONS_SCHEMA.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        raise _schema_error(err, path) from None
    return df.sort_values(["indicator_id", "unit_code", "period"], kind="stable").reset_index(
        drop=True
    )
