"""Downloads: every table a report shows, as CSV, plus one Excel workbook per report.

A notebook calls :func:`start` once; from then on every
:func:`indicators.present.tables.pipe_table` that has a caption or a name is
also written to ``downloads/NN-<name>.csv`` exactly as the report shows it
(Dutch labels, formatted values, ``.`` for suppressed or missing cells; the
markdown escaping is undone). :func:`write_workbook` bundles those CSV files,
with a metadata sheet (source, definition, date, method), into one ``.xlsx``.

Suppression happens before tables are drawn, so downloads can never show more
than the report does.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from indicators.xlsx import make_reproducible

_state: dict = {"dir": None, "n": 0}


def start(out_dir: Path) -> None:
    """Collect every captioned table from now on into ``out_dir`` (resets the counter)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _state["dir"] = out_dir
    _state["n"] = 0


def stop() -> None:
    """Stop collecting tables."""
    _state["dir"] = None


def _slug(text: str) -> str:
    """File-name part from a caption.

    >>> _slug("Veiligheid: laatste waarden")
    'veiligheid-laatste-waarden'
    """
    text = re.sub(r"\{#[^}]*\}", "", text)  # drop pandoc/Quarto attributes like {#tbl-x}
    s = re.sub(r"[^a-z0-9]+", "-", unescape_md(text).lower()).strip("-")
    return s[:60].rstrip("-") or "tabel"


def unescape_md(text: object) -> str:
    """Undo :func:`indicators.present.tables.escape_md` for plain-text downloads.

    >>> unescape_md("a \\\\| b &lt;c&gt; \\\\*d\\\\* &amp; e")
    'a | b <c> *d* & e'
    """
    s = str(text)
    if "\\" in s:  # most cells have nothing to undo: skip the regex (every cell, issue 7)
        s = _ESCAPED.sub(r"\1", s)
    if "&" in s:
        s = s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return s


_ESCAPED = re.compile(r"\\(.)")


def record(df: pd.DataFrame, name: str | None) -> Path | None:
    """Write one shown table as CSV when collecting; returns the file or None."""
    out = _state["dir"]
    if out is None or not name:
        return None
    _state["n"] += 1
    path = out / f"{_state['n']:02d}-{_slug(name)}.csv"
    # The csv module, as DataFrame.to_csv uses it, but without a DataFrame per table:
    # the same bytes in a fifth of the time (15 tables per area report; issue 7).
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow([unescape_md(c) for c in df.columns])
        writer.writerows(
            [unescape_md(v) for v in row] for row in df.itertuples(index=False, name=None)
        )
    return path


def write_workbook(
    out_dir: Path,
    path: Path,
    *,
    metadata: Sequence[tuple[str, str]],
    definitions: pd.DataFrame | None = None,
    epoch: int | None = None,
) -> Path:
    """Bundle the report's CSV downloads into one Excel workbook.

    Parameters
    ----------
    out_dir : Path
        Folder with the collected ``*.csv`` tables.
    path : Path
        The ``.xlsx`` to write.
    metadata : sequence of (key, value)
        Rows of the ``Metadata`` sheet (source, date, method, licence ...).
    definitions : DataFrame, optional
        Indicator definitions (label, unit, definition, source, method) for a
        second metadata block.
    epoch : int, optional
        Fixed timestamp for the document properties and the zip entries;
        default ``SOURCE_DATE_EPOCH``, else the last commit's time. Two
        calls with the same tables write byte-identical files
        (:func:`indicators.xlsx.make_reproducible`).
    """
    # XlsxWriter, not openpyxl: it writes this workbook (some 3,000 text cells per area
    # report) in half the time, 40 against 80 ms (issue 7). openpyxl still reads the
    # Excel registers. Cells are written as text; nothing becomes a formula or a link.
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with xlsxwriter.Workbook(str(path), options) as wb:
        bold = wb.add_format({"bold": True})
        meta = wb.add_worksheet("Metadata")
        meta.write_row(0, 0, ["Kenmerk", "Waarde"], bold)
        row = 1
        for k, v in metadata:
            meta.write_row(row, 0, [k, v])
            row += 1
        if definitions is not None and len(definitions):
            row += 1  # an empty row between the two blocks
            meta.write_row(row, 0, [str(c) for c in definitions.columns])
            for values in definitions.itertuples(index=False):
                row += 1
                meta.write_row(row, 0, [str(x) for x in values])
        used: set[str] = {"metadata"}  # Excel compares sheet names without case
        for f in sorted(Path(out_dir).glob("*.csv")):
            title = re.sub(r"[\[\]:*?/\\]", "-", f.stem)[:31]
            while title.casefold() in used:
                title = title[:28] + f"-{len(used)}"
            used.add(title.casefold())
            ws = wb.add_worksheet(title)
            with open(f, encoding="utf-8", newline="") as fh:
                for i, cells in enumerate(csv.reader(fh)):
                    fmt = bold if i == 0 else None
                    for j, value in enumerate(cells):
                        ws.write_string(i, j, value, fmt)
    return make_reproducible(path, epoch)
