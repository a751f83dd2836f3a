"""Leefbaarometer 3.x: liveability score and its five dimensions per buurt and year (CSV).

The open-data download of the Leefbaarometer (Ministerie van BZK,
leefbaarometer.nl) has one row per area and measurement year, e.g.
``Leefbaarometer-scores buurten 2002-2024.csv``::

    bu_code,jaar,lbm,afw,fys,onv,soc,vrz,won
    BU09170101,2020,4.01,-0.17,0.02,-0.08,-0.06,0.01,-0.06

Default column names (override with ``columns=``):

===========  ===============================  ======================================
column       meaning                           catalogue indicator
===========  ===============================  ======================================
``bu_code``  area code (or ``wk_code``,        unit_code
             ``gm_code``)
``jaar``     measurement year                  period
``afw``      total, deviation from the         leefbaarometer_totaal
             national mean
``fys``      fysieke omgeving                  leefbaarometer_fysieke_omgeving
``won``      woningvoorraad                    leefbaarometer_woningvoorraad
``vrz``      voorzieningen                     leefbaarometer_voorzieningen
``soc``      sociale samenhang                 leefbaarometer_sociale_samenhang
``onv``      overlast en onveiligheid          leefbaarometer_overlast_onveiligheid
===========  ===============================  ======================================

If the file has no ``afw`` column, the total is the sum of the five
dimensions (which is how Leefbaarometer 3.x decomposes the deviation) and the
rows are flagged ``total_from_dimensions``. Column names of the current
release must be verified against the download.

The scores are weighted means in the catalogue: the weight (denominator) is the
number of inhabitants from the KWB for the same unit and year (mapping
``from_indicator: aandeel_65plus``). Very small populations give extreme
scores; the quality report flags them as outliers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from indicators.exceptions import InputError
from indicators.realdata.mapping import TableMap, missing_to_nan, normalise_code
from indicators.realdata.quality import LEEFBAAROMETER_SCHEMA, validate_frame

DIMENSIONS = {
    "fys": "leefbaarometer_fysieke_omgeving",
    "won": "leefbaarometer_woningvoorraad",
    "vrz": "leefbaarometer_voorzieningen",
    "soc": "leefbaarometer_sociale_samenhang",
    "onv": "leefbaarometer_overlast_onveiligheid",
}
TOTAL = "afw"
CODE_COLUMNS = ("bu_code", "wk_code", "gm_code", "code")
YEAR_COLUMN = "jaar"
FLAG_TOTAL_FROM_DIMENSIONS = "total_from_dimensions"


def read_leefbaarometer(path: Path, table: TableMap | None = None) -> pd.DataFrame:
    """Read a Leefbaarometer scores CSV into a wide frame the mapping can use.

    Returns
    -------
    DataFrame
        The file's columns (scores as floats, missing stays NaN) plus
        ``unit_code`` (normalised), ``period`` (int) and, if needed, a derived
        ``afw`` column and a ``_flags`` column.

    Raises
    ------
    InputError
        Naming the file, the line and the column of the first bad cell.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")  # older downloads are Windows-1252
    lines = text.splitlines()
    if not lines:
        raise InputError("file is empty; expected a header row", path=str(path))
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    from io import StringIO

    try:
        df = pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed CSV: {exc}", path=str(path)) from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    code_col = table.code_column if table else next((c for c in CODE_COLUMNS if c in df), None)
    year_col = (table.period_column if table else None) or YEAR_COLUMN
    if code_col is None or code_col not in df.columns:
        raise InputError(
            f"no area code column (one of {list(CODE_COLUMNS)}); found {list(df.columns)}",
            path=str(path),
            row=1,
        )
    if year_col not in df.columns:
        raise InputError(
            f"no year column {year_col!r}; found {list(df.columns)}", path=str(path), row=1
        )
    dims_present = [c for c in DIMENSIONS if c in df.columns]
    if TOTAL not in df.columns and len(dims_present) < len(DIMENSIONS):
        raise InputError(
            f"need the total ({TOTAL!r}) or all five dimensions {list(DIMENSIONS)}; "
            f"found {list(df.columns)}",
            path=str(path),
            row=1,
        )
    decimal_comma = sep == ";"
    for col in [TOTAL, *DIMENSIONS, "lbm"]:
        if col not in df.columns:
            continue
        raw = df[col].str.strip()
        s = raw.str.replace(",", ".", regex=False) if decimal_comma else raw
        try:
            df[col] = missing_to_nan(s)
        except ValueError:
            bad = ~raw.isin(["", ".", "x"]) & pd.to_numeric(s, errors="coerce").isna()
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"expected a score (number), got {raw.iloc[i]!r}",
                path=str(path),
                row=i + 2,
                field=col,
            ) from None
    codes = df[code_col].map(normalise_code)
    if codes.isna().any():
        i = int(np.flatnonzero(codes.isna().to_numpy())[0])
        raise InputError(
            f"not a CBS area code: {df[code_col].iloc[i]!r}",
            path=str(path),
            row=i + 2,
            field=code_col,
        )
    years = pd.to_numeric(df[year_col].str.strip(), errors="coerce")
    if years.isna().any() or (years % 1 != 0).any():
        i = int(np.flatnonzero((years.isna() | (years % 1 != 0)).to_numpy())[0])
        raise InputError(
            f"expected a year, got {df[year_col].iloc[i]!r}",
            path=str(path),
            row=i + 2,
            field=year_col,
        )
    df["unit_code"] = codes
    df["period"] = years.astype("int64")
    flags = pd.Series("", index=df.index, dtype=object)
    if TOTAL not in df.columns:
        dims = df[list(DIMENSIONS)]
        df[TOTAL] = dims.sum(axis=1, min_count=len(DIMENSIONS))
        flags[df[TOTAL].notna()] = FLAG_TOTAL_FROM_DIMENSIONS
    df["_flags"] = flags
    validate_frame(df, LEEFBAAROMETER_SCHEMA, path)
    return df
