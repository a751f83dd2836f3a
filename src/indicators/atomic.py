"""Atomic replacement of outputs, staged outside the output directory.

Files (the site index): a finished file is first copied to a staging file
next to its *source* (in ``_build``), then moved over the target with
:func:`os.replace`, which is atomic on one filesystem.

Reports (:func:`replace_dir`): a report is a directory (HTML, PDF, downloads,
notebook) that must change as a whole, never HTML of one build next to the
PDF of another. Its new version is assembled completely in a staging
directory in ``_build``, then swapped with the published directory in one
``renameat2(RENAME_EXCHANGE)`` system call (Linux 3.15+), and the old version,
now in the staging place, is removed.

A build killed at any moment therefore leaves each report either wholly the
old or wholly the new version, and no half-written temporary file in
``_output``. Only when ``_build`` and ``_output`` are on different filesystems
does the staging go beside the target (a hidden ``.<name>.staging-<pid>``);
stale ones from a killed run are removed the next time that target is written.
Where the exchange call is unavailable (not Linux, or a filesystem without
it) the old directory is renamed away and the new one renamed into place:
two atomic renames with a moment in between where the report is absent, but
never mixed.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
from pathlib import Path

# renameat2 by hand (ctypes): the standard library has no atomic directory
# exchange and no maintained package on PyPI wraps it; it is one libc call.
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _renameat2():
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None, use_errno=True).renameat2
    return None


_RENAMEAT2 = _renameat2()


def exchange(a: Path, b: Path) -> None:
    """Atomically swap two paths (both must exist); raises OSError when unsupported."""
    if _RENAMEAT2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available on this system", str(a))
    rc = _RENAMEAT2(
        _AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE
    )
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(a), None, str(b))


def _clean_stale_dirs(dst: Path) -> None:
    for stale in dst.parent.glob(f".{dst.name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in dst.parent.glob(f".{dst.name}.old-*"):
        shutil.rmtree(stale, ignore_errors=True)


def replace_dir(files: dict[Path, Path], dst: Path, stage_root: Path) -> list[Path]:
    """Publish a directory as a whole: ``files`` maps source files to paths relative to ``dst``.

    The directory is assembled in ``stage_root`` (e.g. ``_build/publish``),
    then swapped in (see the module docstring). Whatever ``dst`` held before
    is gone afterwards, so files of the previous version that this one does
    not have do not linger. Returns the published paths.
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_dirs(dst)
    stage_root = Path(stage_root)
    stage_root.mkdir(parents=True, exist_ok=True)
    stage = stage_root / f".publish-{dst.name}-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        for src, rel in sorted(files.items(), key=lambda kv: str(kv[1])):
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
        stage = _swap_in(stage, dst)
    finally:
        shutil.rmtree(stage, ignore_errors=True)  # the old version (or an unused stage)
    return [dst / rel for rel in files.values()]


def _swap_in(stage: Path, dst: Path) -> Path:
    """Put ``stage`` at ``dst``; return where the old version (to be removed) now is."""
    if not dst.exists():
        try:
            os.rename(stage, dst)
            return stage
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            return _swap_in(_beside(stage, dst), dst)
    try:
        exchange(stage, dst)
        return stage
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            return _swap_in(_beside(stage, dst), dst)
        if exc.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise
    old = dst.with_name(f".{dst.name}.old-{os.getpid()}")
    os.rename(dst, old)
    os.rename(stage, dst)
    return old


def _beside(stage: Path, dst: Path) -> Path:
    """Move a staged directory to the target's filesystem (hidden, next to it)."""
    near = dst.with_name(f".{dst.name}.staging-{os.getpid()}")
    shutil.rmtree(near, ignore_errors=True)
    shutil.copytree(stage, near)
    shutil.rmtree(stage, ignore_errors=True)
    return near


def _clean_stale(dst: Path) -> None:
    for stale in dst.parent.glob(f".{dst.name}.tmp-*"):
        stale.unlink(missing_ok=True)


def replace_file(src: Path, dst: Path, stage_dir: Path | None = None) -> None:
    """Copy ``src`` over ``dst`` atomically, staging in ``stage_dir`` (default: src's folder)."""
    src, dst = Path(src), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(dst)
    stage = Path(stage_dir or src.parent) / f".publish-{os.getpid()}-{dst.name}"
    shutil.copyfile(src, stage)
    try:
        os.replace(stage, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            stage.unlink(missing_ok=True)
            raise
        # Different filesystems: stage beside the target instead.
        tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
        shutil.move(stage, tmp)
        os.replace(tmp, dst)


def write_text(dst: Path, text: str, stage_dir: Path) -> None:
    """Write text to ``dst`` atomically, staged in ``stage_dir``."""
    stage_dir = Path(stage_dir)
    stage_dir.mkdir(parents=True, exist_ok=True)
    src = stage_dir / f".text-{os.getpid()}-{Path(dst).name}"
    src.write_text(text, encoding="utf-8")
    try:
        replace_file(src, Path(dst), stage_dir)
    finally:
        src.unlink(missing_ok=True)
