"""What a build keeps between runs, and when to trust it.

- Keyed pickles (``_build/cache/*.pkl``): a first record ``{"key": key}``, then
  the kept object. A reader gets the object only for the key it asks for; a
  missing, damaged or foreign file is no cache. The key comes first so it can
  be read without the object (:func:`saved_key`). Pickles, as the survey
  results: exact floats and dtypes, and the build directory is trusted.
- File versions (:func:`file_version`): size, modification and change time and
  inode, by which in-memory and kept results stand for a file's content, as
  make's do.
- File digests (:func:`sha256_file`): the SHA-256 that every step keys its
  inputs and outputs on.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

__all__ = ["MISSING", "file_version", "load_keyed", "save_keyed", "saved_key", "sha256_file"]

#: Bytes read and hashed at a time by :func:`sha256_file`.
_CHUNK = 1 << 24

#: What :func:`load_keyed` returns when there is nothing kept for the key.
MISSING: Any = object()


def save_keyed(path: Path, key: Any, obj: Any) -> Path:
    """Keep ``obj`` under ``key`` in ``path`` (written atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        pickle.dump({"key": key}, fh, protocol=5)
        pickle.dump(obj, fh, protocol=5)
    os.replace(tmp, path)
    return path


def load_keyed(path: Path, key: Any) -> Any:
    """The object kept in ``path`` under ``key``, else :data:`MISSING`."""
    try:
        with open(path, "rb") as fh:
            if pickle.load(fh) != {"key": key}:
                return MISSING
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - a damaged or foreign cache is no cache
        return MISSING


def saved_key(path: Path) -> Any:
    """The key ``path`` was kept under, without loading the object; None if unreadable."""
    try:
        with open(path, "rb") as fh:
            head = pickle.load(fh)
    except Exception:  # noqa: BLE001 - as load_keyed
        return None
    return head.get("key") if isinstance(head, dict) else None


def file_version(path: Path | int) -> tuple[int, int, int, int]:
    """Size, modification time, change time and inode of a path or an open file.

    A file written again (in place or replaced) differs in at least one of
    them, except within the timestamps' granularity: callers that keep a
    record across processes must allow for that (see ``indicators.obsstore``).
    """
    st = os.fstat(path) if isinstance(path, int) else os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as ``sha256sum`` prints it.

    Read and hashed 16 MiB at a time. ``hashlib.file_digest`` reads 256 KiB at
    a time and takes the GIL back after every read and every update: hashing
    the 378 MB observations file in a build's background thread (issue 7) then
    waited for the GIL about 3,000 times, each wait up to the switch interval
    (5 ms) while the main thread ran Python code; measured with a busy main
    thread, 26 s instead of 0.3 s. Plain reads, not a memory map: a file cut
    short while it is hashed must not end the process (SIGBUS).
    """
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        if size < _CHUNK:  # most inputs: params files, code (no 16 MiB buffer to clear)
            while data := f.read(max(size, 1 << 16)):
                h.update(data)
            return h.hexdigest()
        buf = bytearray(_CHUNK)
        view = memoryview(buf)
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()
