"""Immutable raw-data snapshots: ``data/raw/<source>/<date>/<file>`` plus a sidecar YAML.

Every raw file is stored exactly as received and never changed afterwards.
Next to it, ``<file>.meta.yml`` records where it came from (owid/etl's
``*.dvc`` snapshots, STYLE.md section 1)::

    source: cbs-kwb
    file: 84583NED.limburg.TypedDataSet.01-001.json
    url: https://opendata.cbs.nl/ODataApi/odata/84583NED/TypedDataSet?...
    table_id: 84583NED
    title: Kerncijfers wijken en buurten 2019
    licence: CC BY 4.0
    citation: CBS (2020). Kerncijfers wijken en buurten 2019 ...
    accessed: '2025-11-24T10:31:02+00:00'
    sha256: 9f2c...
    bytes: 48211
    media_type: application/json
    ...

Rules
-----
- A file that exists is never overwritten: writing the *same* bytes again is a
  no-op, writing *different* bytes raises :class:`SnapshotError`. New files may
  be added to an existing dated folder (another table fetched the same day).
- A set of files is committed all-or-nothing: conflicts are checked for every
  file before any is moved in, and each file appears atomically (``os.link``
  from a temporary file, which fails if the target exists).
- Files and sidecars are made read-only (``0o444``).
- :func:`verify` recomputes every checksum.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indicators import __version__
from indicators.config import _format_validation_error, read_yaml
from indicators.exceptions import IndicatorsError, InputError
from indicators.kept import sha256_file

SIDECAR_SUFFIX = ".meta.yml"
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SOURCE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CBS_LICENCE = "CC BY 4.0"


class SnapshotError(IndicatorsError):
    """A snapshot would be overwritten, or a stored file no longer matches its checksum."""


class Sidecar(BaseModel):
    """Provenance of one raw file (``<file>.meta.yml``)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    source: str = Field(pattern=SOURCE_RE.pattern)
    file: str
    url: str = Field(min_length=1)
    table_id: str | None = None
    title: str | None = None
    licence: str = Field(min_length=1)
    citation: str = Field(min_length=1)
    accessed: str = Field(min_length=10)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    media_type: str = "application/octet-stream"
    written_by: str = f"limburg-indicators {__version__}"


@dataclass(frozen=True)
class SnapshotFile:
    """A stored raw file and its sidecar."""

    path: Path
    meta: Sidecar

    @property
    def sidecar_path(self) -> Path:
        return sidecar_path(self.path)

    @property
    def date(self) -> str:
        return self.path.parent.name


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes.

    >>> sha256_bytes(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


def sidecar_path(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + SIDECAR_SUFFIX)


def snapshot_dir(raw_root: Path, source: str, day: str | date) -> Path:
    """``<raw_root>/<source>/<YYYY-MM-DD>``, with both parts checked."""
    day = day.isoformat() if isinstance(day, date) else str(day)
    if not SOURCE_RE.match(source):
        raise InputError(f"source {source!r} must be a slug like 'cbs-kwb'")
    if not DATE_RE.match(day):
        raise InputError(f"snapshot date {day!r} must look like YYYY-MM-DD")
    try:
        date.fromisoformat(day)
    except ValueError:
        raise InputError(f"snapshot date {day!r} is not a valid date") from None
    return Path(raw_root) / source / day


@dataclass(frozen=True)
class PendingFile:
    """A file to be written into a snapshot, with its provenance."""

    name: str
    content: bytes
    url: str
    licence: str
    citation: str
    accessed: datetime | str
    table_id: str | None = None
    title: str | None = None
    media_type: str = "application/octet-stream"
    extra: dict[str, Any] | None = None

    def sidecar(self, source: str) -> Sidecar:
        accessed = (
            self.accessed.astimezone(UTC).isoformat(timespec="seconds")
            if isinstance(self.accessed, datetime)
            else str(self.accessed)
        )
        fields: dict[str, Any] = {
            "source": source,
            "file": self.name,
            "url": self.url,
            "table_id": self.table_id,
            "title": self.title,
            "licence": self.licence,
            "citation": self.citation,
            "accessed": accessed,
            "sha256": sha256_bytes(self.content),
            "bytes": len(self.content),
            "media_type": self.media_type,
        }
        for k, v in (self.extra or {}).items():
            fields.setdefault(k, v)
        return Sidecar.model_validate(fields)


def _sidecar_bytes(meta: Sidecar) -> bytes:
    data = meta.model_dump(exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def _link_new(dest: Path, content: bytes) -> None:
    """Create ``dest`` with ``content`` atomically; fail if it already exists."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o444)
        os.link(tmp, dest)  # raises FileExistsError: never overwrites
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_snapshot(
    raw_root: Path, source: str, day: str | date, files: Iterable[PendingFile]
) -> list[SnapshotFile]:
    """Store files immutably under ``<raw_root>/<source>/<day>/`` with sidecars.

    Returns the stored files (existing identical files are returned as they
    are). Raises :class:`SnapshotError` before writing anything if any file
    name exists with different content.
    """
    folder = snapshot_dir(raw_root, source, day)
    files = list(files)
    names = [f.name for f in files]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SnapshotError(f"duplicate file names in one snapshot: {sorted(dup)}")
    plan: list[tuple[PendingFile, Sidecar, bool]] = []
    for f in files:
        if not FILE_RE.match(f.name) or f.name.endswith(SIDECAR_SUFFIX):
            raise SnapshotError(f"invalid snapshot file name {f.name!r}")
        meta = f.sidecar(source)
        dest = folder / f.name
        if dest.exists():
            have = sha256_file(dest)
            if have != meta.sha256:
                raise SnapshotError(
                    f"{dest} already exists with different content (sha256 {have[:12]}…, new "
                    f"{meta.sha256[:12]}…). Snapshots are immutable: use another date "
                    "(--date) for the new download; never edit or replace raw files."
                )
            plan.append((f, meta, True))
        else:
            plan.append((f, meta, False))
    folder.mkdir(parents=True, exist_ok=True)
    stored: list[SnapshotFile] = []
    for f, meta, exists in plan:
        dest = folder / f.name
        if not exists:
            try:
                _link_new(dest, f.content)
            except FileExistsError:  # a concurrent writer won the race
                if sha256_file(dest) != meta.sha256:
                    raise SnapshotError(
                        f"{dest} was written concurrently with other content"
                    ) from None
            if not sidecar_path(dest).exists():
                _link_new(sidecar_path(dest), _sidecar_bytes(meta))
            stored.append(SnapshotFile(dest, meta))
        else:
            stored.append(SnapshotFile(dest, read_sidecar(dest)))
    return stored


def read_sidecar(path: Path) -> Sidecar:
    """The validated sidecar of a raw file (errors name the sidecar file and key)."""
    sc = sidecar_path(path)
    raw = read_yaml(sc)
    if not isinstance(raw, dict):
        raise InputError("expected a mapping of provenance fields", path=str(sc))
    try:
        return Sidecar.model_validate(raw)
    except ValidationError as err:
        raise _format_validation_error(sc, err) from None


def iter_files(raw_root: Path, source: str | None = None) -> list[SnapshotFile]:
    """All stored raw files (with sidecars), sorted by source, date and name."""
    raw_root = Path(raw_root)
    if not raw_root.exists():
        return []
    sources = [raw_root / source] if source else sorted(p for p in raw_root.iterdir() if p.is_dir())
    out: list[SnapshotFile] = []
    for s in sources:
        if not s.is_dir():
            continue
        for d in sorted(p for p in s.iterdir() if p.is_dir() and DATE_RE.match(p.name)):
            for f in sorted(d.iterdir()):
                if f.name.endswith(SIDECAR_SUFFIX) or f.name.startswith(".") or not f.is_file():
                    continue
                out.append(SnapshotFile(f, read_sidecar(f)))
    return out


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`: files checked and problems found."""

    checked: list[Path]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(path: Path, *, raise_on_error: bool = True) -> VerifyResult:
    """Re-check the sha256 of every raw file under ``path`` against its sidecar.

    ``path`` may be a single file, a dated snapshot folder, a source folder or
    the whole ``data/raw``. Also reports files without a sidecar and sidecars
    without a file.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("snapshot path not found", path=str(path))
    candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    checked: list[Path] = []
    problems: list[str] = []
    for f in candidates:
        if f.name.startswith("."):
            continue
        if f.name.endswith(SIDECAR_SUFFIX):
            data_file = f.with_name(f.name[: -len(SIDECAR_SUFFIX)])
            if not data_file.exists():
                problems.append(f"{f}: sidecar without its data file {data_file.name}")
            continue
        if not sidecar_path(f).exists():
            problems.append(f"{f}: no sidecar {sidecar_path(f).name} (provenance unknown)")
            continue
        try:
            meta = read_sidecar(f)
        except InputError as exc:
            problems.append(str(exc))
            continue
        have = sha256_file(f)
        checked.append(f)
        if have != meta.sha256:
            problems.append(
                f"{f}: sha256 {have} does not match the sidecar ({meta.sha256}); "
                "the raw file was changed after it was stored"
            )
        elif f.stat().st_size != meta.bytes:
            problems.append(f"{f}: size {f.stat().st_size} differs from sidecar ({meta.bytes})")
    result = VerifyResult(checked=checked, problems=problems)
    if raise_on_error and problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SnapshotError(problems[0] + more)
    return result
