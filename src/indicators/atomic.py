"""Atomic replacement of output files, staged outside the output directory.

A finished file is first copied to a staging file next to its *source* (in
``_build``), then moved over the target with :func:`os.replace`, which is
atomic on one filesystem. A build killed at any moment therefore leaves each
output either the complete old or the complete new version, and leaves no
half-written temporary file in ``_output``. Only when source and output are
on different filesystems does the temporary file go beside the target; stale
ones from a killed run are removed the next time that target is written.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path


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
