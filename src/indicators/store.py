"""Save and load computed results, with provenance, between build steps.

The compute step runs once per build and writes its tables here; every
per-area notebook reads them back. CSV keeps the tables inspectable; floats are
written with 17 significant digits, so a round trip is exact.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
from concurrent.futures import Future
from pathlib import Path

import pandas as pd

from indicators import __version__
from indicators.compute import Results
from indicators.config import project_root
from indicators.csvrecords import forget_index
from indicators.kept import file_version, sha256_file

TABLES = ("values", "summary", "areas")


#: Digests of input files already read by this process, by path and stat (issue 7: the
#: build's planner and the provenance each hashed the 378 MB observations file at 3,000
#: areas); a Future while a thread started by :func:`start_input_digest` hashes it.
_INPUT_DIGESTS: dict[tuple, str | Future] = {}
_INPUT_LOCK = threading.Lock()


def _input_key(path: Path) -> tuple:
    return (os.path.abspath(path), *file_version(path))


def input_digest(path: Path) -> str:
    """SHA-256 of an input file, computed once per process while the file is unchanged.

    For the files a build reads and never writes (data, params): a file is hashed
    again when its size, modification time, inode or change time differ.
    """
    key = _input_key(path)
    with _INPUT_LOCK:
        got = _INPUT_DIGESTS.get(key)
    if isinstance(got, Future):
        try:
            got = got.result()
        except OSError:
            got = None  # hashed again here, which raises the error to the caller
    if got is None:
        key = _input_key(path)
        got = sha256_file(path)
        with _INPUT_LOCK:
            _INPUT_DIGESTS[key] = got
    return got


def start_input_digest(path: Path) -> None:
    """Start hashing an input file in a background thread; :func:`input_digest` waits for it.

    A build starts the 378 MB observations file (0.35 s at 3,000 areas) before it
    plans, so the hashing overlaps the planner's other work and the kept
    observations' own comparison (hashlib releases the GIL; issue 7).
    """
    try:
        key = _input_key(path)
    except OSError:
        return  # input_digest raises it where the file is used
    future: Future = Future()
    with _INPUT_LOCK:
        if key in _INPUT_DIGESTS:
            return
        _INPUT_DIGESTS[key] = future

    def run() -> None:
        try:
            got = sha256_file(path)
            # A file changed while it was read has another key: this digest is not used.
            future.set_result(got if _input_key(path) == key else None)
        except BaseException as exc:  # noqa: BLE001 - input_digest hashes again
            future.set_exception(exc if isinstance(exc, OSError) else OSError(str(exc)))

    threading.Thread(target=run, name="input-digest", daemon=True).start()


def sha256_path(path: Path) -> str:
    """Digest of a file, or of a folder's ``*.yml`` files (names and contents, sorted)."""
    path = Path(path)
    if not path.is_dir():
        return input_digest(path)
    h = hashlib.sha256()
    for f in sorted(path.glob("*.yml"), key=os.fspath):
        h.update(f.name.encode() + b"\0" + input_digest(f).encode() + b"\n")
    return h.hexdigest()


def git_commit(root: Path | None = None) -> str:
    """The current git commit (with ``-dirty`` when the tree has changes), or ``unknown``."""
    root = root or project_root()
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def source_date_epoch(root: Path | None = None) -> int:
    """Build timestamp: ``SOURCE_DATE_EPOCH`` if set, else the last commit's time.

    Using the commit time instead of the wall clock keeps two builds of the
    same commit byte-identical (reproducible-builds.org convention).
    """
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        return int(env)
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=root or project_root(),
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        return int(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return 0


def path_label(path: Path, root: Path | None = None) -> str:
    """How outputs name a path: relative to the project, else ``…/<parent>/<name>``.

    A published report must not show a local home directory, and must not
    change with where its inputs live.
    """
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path(root or project_root()).resolve()))
    except ValueError:
        return f"…/{path.parent.name}/{path.name}" if path.parent.name else path.name


def provenance(inputs: dict[str, Path], *, data_label: str, synthetic: bool) -> dict:
    """Checksums of every input file, package version, git commit."""
    root = project_root()

    return {
        "package_version": __version__,
        "git_commit": git_commit(),
        "data_label": data_label,
        "synthetic": synthetic,
        "inputs": {
            path_label(p, root) + ("/*.yml" if Path(p).is_dir() else ""): sha256_path(p)
            for p in sorted(inputs.values(), key=str)
        },
    }


#: How every results table is written (a float's 17 significant digits read back exactly).
CSV_FORMAT = {"index": False, "float_format": "%.17g", "lineterminator": "\n"}


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write a results table as CSV (:data:`CSV_FORMAT`), atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, **CSV_FORMAT)
    forget_index(path)  # what was kept about the old table (its index and column types)
    os.replace(tmp, path)


def table_bytes(df: pd.DataFrame) -> bytes:
    """The bytes :func:`write_table` writes for ``df`` (header line first)."""
    return df.to_csv(**CSV_FORMAT).encode("utf-8")


def write_meta(meta: dict, path: Path) -> None:
    """Write a ``meta.json`` (sorted keys, two-space indent), atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def save_results(results: Results, out_dir: Path, prov: dict) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        write_table(getattr(results, name), out_dir / f"{name}.csv")
    write_meta({**results.meta, "provenance": prov}, out_dir / "meta.json")


def load_results(out_dir: Path) -> Results:
    out_dir = Path(out_dir)
    tables = {}
    for name in TABLES:
        df = pd.read_csv(out_dir / f"{name}.csv", keep_default_na=True)
        for col in ("flags", "method", "trend_code", "trend_label", "trend_method"):
            if col in df.columns:
                # object first: an all-empty text column is read as float NaN
                df[col] = df[col].astype(object).where(df[col].notna(), "")
        tables[name] = df
    meta = json.loads((out_dir / "meta.json").read_text(encoding="utf-8"))
    return Results(
        values=tables["values"], summary=tables["summary"], areas=tables["areas"], meta=meta
    )
