"""Run the bundled pandoc: read a markdown document once, write each format from its AST.

A report is read once (markdown to pandoc's JSON AST, :func:`read_markdown`) and each
output format is written from that AST (:func:`write_format`), with the Lua filter run in
the writing call so that the filter's ``FORMAT`` is the output format. Reading was about
half of each of the two former markdown-to-format calls (issue 7).

Errors name the document and the format; the Lua filter's messages lose pandoc's
"Error running filter" prefix, the script path and the stack traceback. Warnings on
pandoc's stderr are logged.
"""

from __future__ import annotations

import functools
import logging
import re
import subprocess
from pathlib import Path

from indicators.exceptions import RenderError

log = logging.getLogger(__name__)

#: Options of the reading call. ``--standalone`` as in the writing calls: pandoc
#: passes it to the reader too, so the reader options stay those of a one-call render.
READ_ARGS = ("--from", "markdown", "--to", "json", "--standalone")


#: GHC runtime options for each pandoc call: a 16 MB suggested heap. The binary of
#: pypandoc-binary is linked with ``-with-rtsopts=-H64m``; with a 64 MB heap the
#: allocation area outgrows the CPU caches and every call faults in fresh pages.
#: Measured on a report's three calls (read, HTML, Typst; 12 alternating runs):
#: CPU 0.73 to 0.61 s, wall 0.25/0.20/0.27 to 0.20/0.19/0.23 s. Output does not
#: change (a GC setting). 8-24 MB were all better than 64 MB; 16 MB was best.
HEAP_RTS = ("+RTS", "-H16m", "-RTS")


def pandoc_path() -> str:
    """The pandoc binary bundled by pypandoc-binary (or found by pypandoc)."""
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on the install
        raise RenderError(f"pandoc not available: {exc}") from exc


@functools.cache
def rts_options(path: str) -> tuple[str, ...]:
    """:data:`HEAP_RTS` if the pandoc at ``path`` takes runtime options, else ``()``.

    A pandoc linked without ``-rtsopts`` (a distribution's build, found by pypandoc)
    refuses ``+RTS -H``; one ``--version`` call per process finds out.
    """
    try:
        probe = subprocess.run(
            [path, *HEAP_RTS, "--version"], capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return HEAP_RTS if probe.returncode == 0 and not probe.stderr.strip() else ()


def _message(stderr: str, lua_filter: Path | None) -> str:
    """The useful part of pandoc's error output (a Lua error without its decoration)."""
    message = stderr.split("stack traceback:")[0].strip()
    message = re.sub(r"^Error running (Lua|filter \S+):\s*", "", message)
    if lua_filter is not None:
        message = re.sub(rf"\S*{re.escape(lua_filter.name)}:\d+: ", "", message)
    return message


def run_pandoc(
    args: list[str],
    stdin: bytes,
    workdir: Path,
    env: dict[str, str],
    what: str,
    lua_filter: Path | None = None,
) -> bytes:
    """Run pandoc with ``args`` on ``stdin`` in ``workdir``; its output, or RenderError.

    Parameters
    ----------
    what : str
        What is being done, for messages: ``"could not read <doc>"`` or
        ``"could not render <doc> to HTML"`` (the error reads ``pandoc <what>: ...``).
    lua_filter : Path, optional
        The filter among ``args``, whose path and line number are cut from its errors.
    """
    path = pandoc_path()
    proc = subprocess.run(
        [path, *rts_options(path), *args],
        input=stdin,
        capture_output=True,
        cwd=workdir,
        env=env,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RenderError(f"pandoc {what}: {_message(stderr, lua_filter)}")
    for line in stderr.splitlines():
        if line.strip():
            log.warning("pandoc (%s): %s", what, line)
    return proc.stdout


def read_markdown(document: str, workdir: Path, env: dict[str, str], name: str) -> bytes:
    """Read a markdown document (YAML metadata block first) into pandoc's JSON AST.

    Parameters
    ----------
    document : str
        The whole document: metadata block and body, includes already resolved.
    name : str
        The document's path, for messages.

    Returns
    -------
    bytes
        The AST as pandoc's JSON, to be passed to :func:`write_format` unchanged.
    """
    data = document.encode("utf-8")
    return run_pandoc(list(READ_ARGS), data, workdir, env, f"could not read {name}")


def write_format(
    ast: bytes,
    args: list[str],
    lua_filter: Path,
    workdir: Path,
    env: dict[str, str],
    what: str,
) -> str:
    """Write a standalone document from a JSON AST, through ``lua_filter``.

    Parameters
    ----------
    ast : bytes
        Output of :func:`read_markdown`.
    args : list of str
        The writer's options (``--to``, ``--template``, ``--toc``, ...).
    what : str
        For messages, e.g. ``"<doc> to HTML"``.
    """
    cmd = ["--from", "json", "--standalone", "--lua-filter", str(lua_filter), *args]
    out = run_pandoc(cmd, ast, workdir, env, f"could not render {what}", lua_filter)
    return out.decode("utf-8")
