"""Byte-reproducible Excel workbooks.

An ``.xlsx`` file is a zip archive. openpyxl stamps it with the wall clock
twice: every zip entry gets the current local time, and ``docProps/core.xml``
gets ``dcterms:modified`` = now (set inside ``save``, whatever the workbook's
properties say) and ``dcterms:created`` = the time the ``Workbook`` object was
made. Two builds of the same inputs therefore differ in their downloads.

:func:`make_reproducible` rewrites a saved workbook so that it depends only on
its content and one timestamp (``SOURCE_DATE_EPOCH``, else the last commit's
time; see :func:`indicators.store.source_date_epoch`): every entry gets that
time, the same permissions and compression, ``[Content_Types].xml`` comes
first and the other entries follow in name order, and the two dates in
``docProps/core.xml`` are set to that time. The file is replaced with
``os.replace`` from a complete copy.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

__all__ = ["make_reproducible", "stamp"]

CORE = "docProps/core.xml"
CONTENT_TYPES = "[Content_Types].xml"
_ZIP_MIN = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # the earliest date a zip entry can carry
_DATES = re.compile(
    r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)",
)


def stamp(epoch: int) -> dt.datetime:
    """UTC time of ``epoch``, not before 1980 (zip cannot store earlier dates).

    >>> stamp(1700000000).isoformat()
    '2023-11-14T22:13:20+00:00'
    >>> stamp(0).year
    1980
    """
    return max(dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC), _ZIP_MIN)


def _order(name: str) -> tuple[int, str]:
    return (0 if name == CONTENT_TYPES else 1, name)


def make_reproducible(path: str | Path, epoch: int | None = None) -> Path:
    """Rewrite a saved ``.xlsx`` so that two saves of the same content are byte-identical.

    Parameters
    ----------
    path : str or Path
        The workbook, as written by openpyxl (or any zip writer).
    epoch : int, optional
        Timestamp for the zip entries and the document properties; default
        :func:`indicators.store.source_date_epoch`.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from openpyxl import Workbook
    >>> book = Path(tempfile.mkdtemp()) / "a.xlsx"
    >>> Workbook().save(book)
    >>> _ = make_reproducible(book, 1700000000)
    >>> with zipfile.ZipFile(book) as z:
    ...     names = z.namelist()
    ...     times = {i.date_time for i in z.infolist()}
    ...     core = z.read("docProps/core.xml").decode()
    >>> names[0], times
    ('[Content_Types].xml', {(2023, 11, 14, 22, 13, 20)})
    >>> core.count("2023-11-14T22:13:20Z")
    2
    """
    path = Path(path)
    if epoch is None:
        from indicators.store import source_date_epoch

        epoch = source_date_epoch()
    when = stamp(epoch)
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as src:
        entries = {info.filename: src.read(info) for info in src.infolist()}
    if CORE in entries:
        entries[CORE] = _DATES.sub(
            lambda m: m.group(1) + iso + m.group(3), entries[CORE].decode("utf-8")
        ).encode("utf-8")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with zipfile.ZipFile(tmp, "w") as out:
            for name in sorted(entries, key=_order):
                info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, on every platform
                info.external_attr = 0o644 << 16
                out.writestr(info, entries[name], compresslevel=6)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
