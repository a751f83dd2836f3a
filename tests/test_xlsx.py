"""Excel downloads are byte-reproducible: no wall-clock time in the zip or its properties.

openpyxl stamps each zip entry with the current time and ``docProps/core.xml``
with ``modified = now``; :func:`indicators.xlsx.make_reproducible` replaces
both with ``SOURCE_DATE_EPOCH``. Each of the three workbook writers (area and
province reports, survey report, register sections) is called twice, more
than two seconds apart (the zip time resolution), and the files must be
byte-identical. The end-to-end build comparison is in
``tests/test_end_to_end.py``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from indicators.present import downloads
from indicators.present import survey as survey_report
from indicators.registers import register_downloads
from indicators.xlsx import make_reproducible, stamp
from tests.conftest import ROOT

EPOCH = 1700000000
ISO = "2023-11-14T22:13:20Z"


@pytest.fixture(scope="module")
def survey_results():
    from indicators.survey.analysis import run_survey_analysis

    return run_survey_analysis(ROOT / "data" / "survey", threshold=10)


def _write_all(out: Path, survey_results) -> dict[str, Path]:
    tables = out / "tables"
    tables.mkdir(parents=True)
    (tables / "01-waarden.csv").write_text('Indicator,Waarde\nBijstand,"4,5"\n', "utf-8")
    area = downloads.write_workbook(
        tables, out / "area.xlsx", metadata=[("Bron", "demo")], epoch=EPOCH
    )
    (survey,) = [
        p
        for p in survey_report.write_downloads(survey_results, out / "survey")
        if p.suffix == ".xlsx"
    ]
    (registers,) = [
        p
        for p in register_downloads(out / "registers", as_of=dt.date(2025, 6, 30), excel=True)
        if p.suffix == ".xlsx"
    ]
    return {"area": area, "survey": survey, "registers": registers}


@pytest.fixture(scope="module")
def two_writes(tmp_path_factory, survey_results):
    first = _write_all(tmp_path_factory.mktemp("first"), survey_results)
    time.sleep(2.1)  # beyond the zip format's two-second resolution
    second = _write_all(tmp_path_factory.mktemp("second"), survey_results)
    return first, second


@pytest.mark.parametrize("kind", ["area", "survey", "registers"])
def test_two_writes_of_a_workbook_are_byte_identical(two_writes, kind):
    first, second = two_writes
    a, b = first[kind].read_bytes(), second[kind].read_bytes()
    assert a == b, f"{kind}: the .xlsx differs between two writes"
    load_workbook(first[kind])  # still a valid workbook


@pytest.mark.parametrize("kind", ["area", "survey", "registers"])
def test_workbook_carries_no_wall_clock_time(two_writes, kind):
    with zipfile.ZipFile(two_writes[0][kind]) as z:
        names = z.namelist()
        times = {i.date_time for i in z.infolist()}
        core = z.read("docProps/core.xml").decode()
    assert names[0] == "[Content_Types].xml" and names[1:] == sorted(names[1:])
    assert len(times) == 1, times
    dates = re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core)
    assert len(dates) == 2 and len(set(dates)) == 1, core
    if kind == "area":  # the explicit epoch; the others use SOURCE_DATE_EPOCH or the commit time
        assert dates == [ISO, ISO]
        assert times == {(2023, 11, 14, 22, 13, 20)}


def test_source_date_epoch_sets_the_workbook_time(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    book = tmp_path / "b.xlsx"
    Workbook().save(book)
    make_reproducible(book)
    props = load_workbook(book).properties
    assert props.created == props.modified == dt.datetime(2023, 11, 14, 22, 13, 20)


def test_epochs_before_1980_are_clamped_for_zip():
    assert stamp(0) == dt.datetime(1980, 1, 1, tzinfo=dt.UTC)


def test_report_workbook_content(tmp_path):
    """The report workbook: a metadata sheet (bold header, the definitions after an
    empty row), then one sheet per CSV table in name order, every cell as text (a
    value starting with '=' or a URL stays text), the header row bold. Sheet names
    that Excel would take for the same (case ignored) are made distinct."""
    import pandas as pd

    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "01-waarden.csv").write_text(
        'Indicator,Waarde\nBijstand,"4,5"\n=SUM(A1),https://example.org\n', "utf-8"
    )
    (tables / "02-Waarden.csv").write_text("a\n1.234\n", "utf-8")
    (tables / "02-waarden.csv").write_text("b\n.\n", "utf-8")
    definitions = pd.DataFrame([{"Indicator": "Bijstand", "Eenheid": "%"}])
    book = downloads.write_workbook(
        tables,
        tmp_path / "r.xlsx",
        metadata=[("Bron", "demo"), ("Rapport", "Neer")],
        definitions=definitions,
        epoch=EPOCH,
    )
    wb = load_workbook(book)
    assert wb.sheetnames == ["Metadata", "01-waarden", "02-Waarden", "02-waarden-3"]
    meta = [[c.value for c in row] for row in wb["Metadata"].iter_rows()]
    assert meta == [
        ["Kenmerk", "Waarde"],
        ["Bron", "demo"],
        ["Rapport", "Neer"],
        [None, None],
        ["Indicator", "Eenheid"],
        ["Bijstand", "%"],
    ]
    assert all(c.font.b for c in wb["Metadata"][1]) and not wb["Metadata"]["A2"].font.b
    ws = wb["01-waarden"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows == [
        ["Indicator", "Waarde"],
        ["Bijstand", "4,5"],
        ["=SUM(A1)", "https://example.org"],
    ]
    assert {c.data_type for row in ws.iter_rows() for c in row} == {"s"}
    assert all(c.hyperlink is None for row in ws.iter_rows() for c in row)
    assert [c.font.b for c in ws[1]] == [True, True] and not ws["A2"].font.b
    assert wb["02-Waarden"]["A2"].value == "1.234"  # text, not the number 1234
