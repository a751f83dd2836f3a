"""Warm execution: run a report notebook in this process instead of on a fresh kernel.

Papermill starts a kernel per report and the kernel imports pandas, matplotlib
and the toolkit again: about 2 s per report before the first figure is drawn
(and papermill cannot reuse kernels, papermill #326). A warm worker imports the
libraries once (:func:`warm_up`) and then, per report:

1. parameterises the notebook with papermill itself
   (``execute_notebook(..., prepare_only=True)``), so the injected cell after
   the ``parameters`` cell is exactly the one papermill writes;
2. executes the code cells in a fresh namespace, with the report's work dir as
   the current directory and matplotlib's Agg backend; IPython's ``display``
   and the value of a cell's last expression are recorded as notebook outputs;
3. restores the process: current directory, ``sys.path``, matplotlib
   rcParams, warning filters; closes every figure.

Every run writes a small JSON audit record (parameters, a hash of the executed
cell sources, durations, the error if any). The executed notebook, with its
outputs and papermill's metadata, is written when asked for and always when a
cell fails (the failed notebook). ``execution="papermill"`` keeps the kernel
path for users who want papermill's own executed notebook as the audit trail.

Limits: IPython magics and shell escapes are not supported in warm mode (use
papermill); one notebook runs at a time per process (the current directory is
process-wide), guarded by a lock.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import hashlib
import io
import json
import linecache
import os
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indicators.exceptions import IndicatorsError

_LOCK = threading.Lock()
_WARM = False

#: Imported once per worker by :func:`warm_up` (what the report notebooks import).
WARM_MODULES = (
    "pandas",
    "numpy",
    "matplotlib.pyplot",
    "nbformat",
    "papermill",
    "IPython.display",
    "IPython.core.formatters",
    "indicators.config",
    "indicators.store",
    "indicators.present.area",
    "indicators.present.province",
    "indicators.registers",
    "indicators.pc",
    "indicators.need",
    "indicators.present.need",
    "indicators.maps",
    "indicators.render",
    "indicators.render.builtin",
    "indicators.pipeline",
    # what the area notebook imports in its later cells, and the Excel writer
    "indicators.present.trendbreak",
    "indicators.trendbreak",
    "indicators.present.survey",
    "indicators.survey.analysis",
    "indicators.present.downloads",
    "xlsxwriter",
    "openpyxl",
    "lxml.etree",
)


class NotebookCellError(IndicatorsError):
    """A cell of a warm-executed notebook raised; the message names the cell and the error."""


def warm_up() -> float:
    """Import the report libraries, draw one figure and load the chart fonts, once per
    process; returns seconds."""
    global _WARM
    if _WARM:
        return 0.0
    t = time.perf_counter()
    os.environ.setdefault("MPLBACKEND", "Agg")
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    for name in WARM_MODULES:
        importlib.import_module(name)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()  # loads the font cache and the Agg renderer
    ax.plot([0, 1], [0, 1])
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    from indicators.present import svg

    for bold in (False, True):  # the fonts the SVG charts measure text with
        svg.text_width("0123456789,.", 1.0, bold)
    _WARM = True
    return time.perf_counter() - t


@dataclass
class CellRun:
    index: int  # position in the executed notebook
    sha256: str
    seconds: float
    outputs: list = field(default_factory=list)


def prepare(notebook: Path, parameters: dict):
    """The notebook parameterised by papermill, without executing it."""
    import papermill as pm

    with _quiet_papermill():
        return pm.execute_notebook(
            str(notebook),
            None,
            parameters=parameters,
            prepare_only=True,
            progress_bar=False,
            log_output=False,
        )


@contextlib.contextmanager
def _quiet_papermill() -> Iterator[None]:
    import logging

    log = logging.getLogger("papermill")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


_FORMATTER = None


def _formatter():
    """IPython's display formatter (mimebundles for ``display()``), made once per process."""
    global _FORMATTER
    if _FORMATTER is None:
        from IPython.core.formatters import DisplayFormatter

        _FORMATTER = DisplayFormatter()
    return _FORMATTER


def _rich_output(kind: str, obj, count: int | None = None):
    from nbformat.v4 import new_output

    data, meta = _formatter().format(obj)
    if kind == "execute_result":
        return new_output(kind, data=data, metadata=meta, execution_count=count)
    return new_output(kind, data=data, metadata=meta)


@contextlib.contextmanager
def _display_to(sink: list) -> Iterator:
    """Route IPython's ``display()`` to ``sink`` (no shell in a warm worker)."""
    import IPython.core.display_functions as dfun
    import IPython.display as idisp

    def display(*objs, **kwargs):
        for obj in objs:
            sink.append(_rich_output("display_data", obj))

    saved = dfun.display, idisp.display
    dfun.display = idisp.display = display
    try:
        yield display
    finally:
        dfun.display, idisp.display = saved


@contextlib.contextmanager
def _isolated(cwd: Path) -> Iterator[None]:
    """Run in ``cwd`` and restore the process state that a notebook may change."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    old_cwd, old_path = os.getcwd(), list(sys.path)
    os.chdir(cwd)
    sys.path.insert(0, str(cwd))  # as a kernel started in cwd has ''
    try:
        with warnings.catch_warnings(), mpl.rc_context():
            yield
    finally:
        plt.close("all")
        os.chdir(old_cwd)
        sys.path[:] = old_path


def _stream(name: str, text: str):
    from nbformat.v4 import new_output

    return new_output("stream", name=name, text=text)


def _run_cell(source: str, ns: dict, filename: str, count: int, outputs: list) -> None:
    """Execute one cell as IPython would: a trailing expression becomes the result."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    tree = ast.parse(source, filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(";"):
        last = ast.Expression(tree.body.pop().value)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(compile(tree, filename, "exec"), ns)
            value = eval(compile(last, filename, "eval"), ns) if last is not None else None
    finally:
        # Streams first, as a kernel flushes them before the result.
        streams = [_stream(n, s.getvalue()) for n, s in (("stdout", out), ("stderr", err))]
        outputs[:0] = [s for s in streams if s.text]
    if value is not None:
        outputs.append(_rich_output("execute_result", value, count))


def _error_output(exc: BaseException, filename: str):
    from nbformat.v4 import new_output

    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    start = next((i for i, line in enumerate(tb) if filename in line), 1)
    return new_output(
        "error",
        ename=type(exc).__name__,
        evalue=str(exc),
        traceback=[tb[0], *tb[start:]],
    )


def cells_digest(nb) -> str:
    """sha256 of the executed notebook's code cell sources (injected parameters included)."""
    h = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            h.update(cell.source.encode("utf-8") + b"\0")
    return h.hexdigest()


def run_notebook(
    notebook: Path,
    parameters: dict,
    cwd: Path,
    *,
    notebook_out: Path | None = None,
    keep_notebook: bool = False,
    audit_out: Path | None = None,
):
    """Execute ``notebook`` with ``parameters`` in this process; return the executed notebook.

    Parameters
    ----------
    notebook : Path
        The ``.ipynb`` with a cell tagged ``parameters``.
    parameters : dict
        Injected after the ``parameters`` cell, as papermill does.
    cwd : Path
        The report's work directory (current directory while the cells run).
    notebook_out : Path, optional
        Where to write the executed notebook: when ``keep_notebook`` or a cell failed.
    audit_out : Path, optional
        Where to write the JSON audit record.

    Raises
    ------
    NotebookCellError
        Naming the cell as Jupyter does (``In [n]``, the n-th code cell run) and
        the error; the executed notebook up to and including the failed cell is
        written to ``notebook_out`` first.
    """
    import nbformat

    warm_up()
    t0 = time.perf_counter()
    nb = prepare(notebook, parameters)
    runs: list[CellRun] = []
    error: BaseException | None = None
    failed_cell = None
    with _LOCK, _isolated(Path(cwd)):
        ns: dict = {"__name__": "__main__", "__builtins__": builtins}
        count = 0
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            count += 1
            cell.execution_count = count
            cell.outputs = []
            filename = f"<cell {count}>"
            t = time.perf_counter()
            try:
                with _display_to(cell.outputs) as display:
                    ns["display"] = display
                    _run_cell(cell.source, ns, filename, count, cell.outputs)
            except (Exception, SystemExit) as exc:  # the notebook's error (a kernel's too)
                cell.outputs.append(_error_output(exc, filename))
                error, failed_cell = exc, count
            runs.append(
                CellRun(
                    i,
                    hashlib.sha256(cell.source.encode()).hexdigest(),
                    round(time.perf_counter() - t, 4),
                )
            )
            cell.metadata.setdefault("papermill", {})["duration"] = runs[-1].seconds
            if error is not None:
                break
    seconds = time.perf_counter() - t0
    pm_meta = nb.metadata.setdefault("papermill", {})
    pm_meta.update({"duration": round(seconds, 4), "exception": error is not None})
    nb.metadata["indicators"] = {"execution": "warm"}
    if notebook_out is not None and (keep_notebook or error is not None):
        Path(notebook_out).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(notebook_out))
    if audit_out is not None:
        write_audit(
            audit_out,
            notebook=notebook,
            parameters=parameters,
            execution="warm",
            cells=cells_digest(nb),
            seconds=seconds,
            cell_seconds=[r.seconds for r in runs],
            error=None if error is None else f"In [{failed_cell}]: {type(error).__name__}: {error}",
            notebook_written=bool(notebook_out and Path(notebook_out).exists()),
        )
    if error is not None:
        raise NotebookCellError(
            f"{Path(notebook).name}, In [{failed_cell}]: {type(error).__name__}: {error}"
        ) from error
    return nb


def write_audit(
    path: Path,
    *,
    notebook: Path,
    parameters: dict,
    execution: str,
    cells: str,
    seconds: float,
    cell_seconds: list[float] | None = None,
    error: str | None = None,
    notebook_written: bool = False,
) -> Path:
    """The audit record of one notebook run (JSON, sorted keys)."""
    from indicators import __version__
    from indicators.store import sha256_file

    record = {
        "notebook": str(notebook),
        "notebook_sha256": sha256_file(Path(notebook)),
        "execution": execution,
        "parameters": parameters,
        "cells_sha256": cells,
        "seconds": round(seconds, 3),
        "cell_seconds": cell_seconds or [],
        "ok": error is None,
        "error": error,
        "notebook_written": notebook_written,
        "package_version": __version__,
        "python": sys.version.split()[0],
        "pid": os.getpid(),
    }
    return write_record(path, record)


def write_record(path: Path, record: dict) -> Path:
    """Write an audit record (JSON, sorted keys) in place of ``path``'s, at once."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def execute(
    notebook: Path,
    notebook_out: Path,
    parameters: dict,
    cwd: Path,
    *,
    execution: str = "warm",
    keep_notebook: bool = True,
    audit_out: Path | None = None,
) -> None:
    """Run a report notebook warm (in-process) or with papermill; write the audit record.

    With papermill the executed notebook is always written to ``notebook_out``
    (papermill writes it, also on failure).
    """
    if execution == "warm":
        run_notebook(
            notebook,
            parameters,
            cwd,
            notebook_out=notebook_out,
            keep_notebook=keep_notebook,
            audit_out=audit_out,
        )
        return
    if execution != "papermill":
        raise IndicatorsError(f"unknown execution {execution!r} (expected 'warm' or 'papermill')")
    import nbformat

    from indicators.pipeline import execute_notebook

    t = time.perf_counter()
    error = None
    try:
        execute_notebook(notebook, notebook_out, parameters, cwd)
    except Exception as exc:
        error = (
            f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
        )
        raise
    finally:
        if audit_out is not None:
            executed = Path(notebook_out)
            cells = cells_digest(nbformat.read(str(executed), 4)) if executed.exists() else ""
            write_audit(
                audit_out,
                notebook=notebook,
                parameters=parameters,
                execution="papermill",
                cells=cells,
                seconds=time.perf_counter() - t,
                error=error,
                notebook_written=executed.exists(),
            )
