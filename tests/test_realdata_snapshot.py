"""Snapshots are immutable, carry complete provenance and are verified by checksum."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import UTC, datetime

import pytest
import yaml

from indicators.exceptions import InputError
from indicators.realdata.snapshot import (
    CBS_LICENCE,
    PendingFile,
    SnapshotError,
    iter_files,
    read_sidecar,
    sidecar_path,
    verify,
    write_snapshot,
)

ACCESSED = datetime(2025, 11, 24, 10, 31, 2, tzinfo=UTC)


def _file(content: bytes = b'{"value": []}', name: str = "84583NED.limburg.TableInfos.001.json"):
    return PendingFile(
        name=name,
        content=content,
        url="https://opendata.cbs.nl/ODataApi/odata/84583NED/TableInfos?%24format=json",
        licence=CBS_LICENCE,
        citation="Centraal Bureau voor de Statistiek (CBS). Kerncijfers wijken en buurten 2019.",
        accessed=ACCESSED,
        table_id="84583NED",
        title="Kerncijfers wijken en buurten 2019",
        media_type="application/json",
        extra={"part": "TableInfos", "region": "limburg"},
    )


def test_write_stores_file_and_complete_sidecar(tmp_path):
    (sf,) = write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file()])
    assert sf.path == tmp_path / "cbs-kwb" / "2025-11-24" / "84583NED.limburg.TableInfos.001.json"
    assert sf.path.read_bytes() == b'{"value": []}'
    meta = yaml.safe_load(sidecar_path(sf.path).read_text())
    for key in ("source", "file", "url", "table_id", "licence", "citation", "accessed", "sha256"):
        assert meta[key], key
    assert meta["licence"] == "CC BY 4.0"
    assert meta["accessed"] == "2025-11-24T10:31:02+00:00"
    assert meta["sha256"] == hashlib.sha256(b'{"value": []}').hexdigest()
    assert meta["bytes"] == 13 and meta["part"] == "TableInfos"
    assert read_sidecar(sf.path).table_id == "84583NED"


def test_files_are_read_only(tmp_path):
    (sf,) = write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file()])
    for p in (sf.path, sidecar_path(sf.path)):
        assert not os.stat(p).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_same_content_again_is_a_no_op(tmp_path):
    write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file()])
    (again,) = write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file()])
    assert again.meta.accessed == "2025-11-24T10:31:02+00:00"
    assert len(iter_files(tmp_path)) == 1


def test_different_content_for_the_same_date_is_refused(tmp_path):
    write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file()])
    with pytest.raises(SnapshotError, match="already exists with different content.*immutable"):
        write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file(b'{"value": [1]}')])
    stored = tmp_path / "cbs-kwb" / "2025-11-24" / "84583NED.limburg.TableInfos.001.json"
    assert stored.read_bytes() == b'{"value": []}'


def test_conflict_writes_nothing_of_the_batch(tmp_path):
    write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file()])
    batch = [_file(name="84583NED.limburg.DataProperties.001.json"), _file(b"changed")]
    with pytest.raises(SnapshotError):
        write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", batch)
    assert not (
        tmp_path / "cbs-kwb" / "2025-11-24" / "84583NED.limburg.DataProperties.001.json"
    ).exists()


def test_new_date_takes_the_new_content(tmp_path):
    write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file()])
    write_snapshot(tmp_path, "cbs-kwb", "2025-11-25", [_file(b'{"value": [1]}')])
    assert [f.date for f in iter_files(tmp_path, "cbs-kwb")] == ["2025-11-24", "2025-11-25"]


def test_verify_rechecks_checksums(tmp_path):
    (sf,) = write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file()])
    assert verify(tmp_path).checked == [sf.path]
    os.chmod(sf.path, 0o644)
    sf.path.write_bytes(b'{"value": [0]}')  # someone edits raw data
    with pytest.raises(SnapshotError, match="does not match the sidecar"):
        verify(tmp_path)
    res = verify(sf.path, raise_on_error=False)
    assert not res.ok and "changed after it was stored" in res.problems[0]


def test_verify_reports_files_without_provenance(tmp_path):
    write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file()])
    (tmp_path / "cbs-kwb" / "2025-11-24" / "stray.csv").write_text("a,b\n")
    res = verify(tmp_path, raise_on_error=False)
    assert any("no sidecar" in p for p in res.problems)


@pytest.mark.parametrize(
    ("source", "day", "match"),
    [("CBS KWB", "2025-11-24", "slug"), ("cbs-kwb", "24-11-2025", "YYYY-MM-DD"),
     ("cbs-kwb", "2025-02-30", "not a valid date")],
)  # fmt: skip
def test_snapshot_path_parts_are_checked(tmp_path, source, day, match):
    with pytest.raises(InputError, match=match):
        write_snapshot(tmp_path, source, day, [_file()])


def test_file_names_cannot_escape_the_folder(tmp_path):
    with pytest.raises(SnapshotError, match="invalid snapshot file name"):
        write_snapshot(tmp_path, "cbs-kwb", "2025-11-24", [_file(name="../evil.json")])
