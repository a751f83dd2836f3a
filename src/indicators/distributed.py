"""Run report tasks: in this process, on local worker processes, or on a Dask cluster.

A task is one report (:class:`ReportTask`): its spec and the results directory
it reads (its own slice). Every task renders in its own temporary work dir
(:func:`indicators.pipeline.build_report`), so tasks share no state and can
run in any order (quarto-cli #6116, #5861). A failed task never stops the
others: it comes back as a failed :class:`~indicators.pipeline.AreaOutcome`
with the path of its failed notebook and audit record, also when the worker
process itself died.

Backends:

- ``jobs=1``: in this process (warm after the first report).
- ``jobs=N``: ``N`` local worker processes (default: all cores) that import the
  libraries once (:func:`indicators.warm.warm_up`) and run many reports each;
  they fork from a ``forkserver`` that preloaded the libraries. A build starts
  them (:class:`WorkerPool`) before its compute step when reports will follow,
  also for one report, so their start-up overlaps the compute step.
- ``scheduler=ADDRESS``: the same tasks on a Dask distributed cluster
  (``dask.distributed.Client(ADDRESS)``); ``scheduler="local"`` starts a
  :class:`~dask.distributed.LocalCluster` with ``jobs`` single-threaded worker
  processes. Workers must see the project, build and output directories at the
  same paths (a shared filesystem), as papermill-on-Dask setups also assume.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from indicators.exceptions import IndicatorsError


@dataclass(frozen=True)
class ReportTask:
    """One report to build: what (spec) and from which results directory."""

    spec: object  # indicators.pipeline.ReportSpec
    results_dir: Path | None  # None: filled in by ``prepare`` just before the task is sent


#: Tasks in flight per worker: enough to keep workers busy, few enough that the
#: per-task inputs (results slices), prepared just before sending, stay few.
WINDOW_PER_WORKER = 2


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_report(
    task: ReportTask, paths, engine: str, execution: str = "warm", notebooks: bool = False
):
    """Build one report (in whatever process this runs); never raises for a report error."""
    from indicators.pipeline import build_report

    if execution == "warm":
        from indicators.warm import warm_up

        warm_up()
    t = time.perf_counter()
    outcome = build_report(
        task.spec, paths, task.results_dir, engine, keep_notebook=notebooks, execution=execution
    )
    outcome.seconds = time.perf_counter() - t
    from indicators.cache import peak_rss_mb
    from indicators.render import typst_pool

    outcome.peak_rss_mb = peak_rss_mb()[0]
    outcome.peak_rss_typst_mb = typst_pool.pool().stats().peak_rss_mb
    return outcome


def _context():
    """Workers fork from a small server process that has the libraries imported.

    ``forkserver`` rather than ``fork``: workers do not inherit the build
    process's memory (the compute results) or its threads, and they still
    start with pandas, matplotlib and the toolkit imported, once.
    """
    import multiprocessing as mp

    from indicators.warm import WARM_MODULES

    if "forkserver" not in mp.get_all_start_methods():
        return None  # the platform default (spawn on Windows and macOS)
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["indicators.warm", *WARM_MODULES])
    return ctx


def start_forkserver() -> None:
    """Start the forkserver now, so it imports the report libraries while the caller goes on.

    Returns at once: the server process imports :data:`indicators.warm.WARM_MODULES`
    (about 2 s of CPU) on another core, and workers started later
    (:class:`WorkerPool`) fork from it as soon as it is ready. ``indicators
    build`` calls this first thing, before its own imports and planning, since
    for a one-area rebuild the workers' start-up was the longest path (issue 7).
    Unused, it costs no wait: the server ends by itself when this process ends
    (its "alive" pipe closes). Nothing happens where there is no forkserver.
    """
    ctx = _context()
    if ctx is None:
        return
    from multiprocessing import forkserver

    forkserver.ensure_running()


class WorkerPool:
    """Local warm worker processes, started before their tasks exist.

    The build starts them before its compute step when reports will follow, so
    that the worker start-up (a forkserver importing pandas, matplotlib and the
    toolkit, about 2.5 s of CPU) runs on another core while the compute step
    runs, instead of after it (issue 7: a one-area rebuild waited for it).
    :func:`run_reports` then sends its tasks to these workers. Close it
    (:meth:`close`, or use it as a context manager) when it is not used.
    """

    def __init__(self, jobs: int, execution: str = "warm") -> None:
        import threading

        self.jobs = max(1, int(jobs))
        self._executor: ProcessPoolExecutor | None = None
        self._error: BaseException | None = None
        # Starting a worker waits until the forkserver has imported the libraries
        # (about 1.3 s): a thread does that waiting, so the caller goes on at once.
        self._starting = threading.Thread(
            target=self._start, args=(execution,), name="start-workers", daemon=True
        )
        self._starting.start()

    def _start(self, execution: str) -> None:
        try:
            ex = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=_context(),
                initializer=_init_worker,
                initargs=(execution,),
            )
            # ProcessPoolExecutor starts a process per submitted task while none is
            # idle: one trivial task per worker starts them all now.
            for _ in range(self.jobs):
                ex.submit(os.getpid)
            self._executor = ex
        except BaseException as exc:  # reported when the executor is used
            self._error = exc

    @property
    def executor(self) -> ProcessPoolExecutor:
        """The started executor (waits for the start if it is still going on)."""
        self._starting.join()
        if self._error is not None:
            raise IndicatorsError(f"could not start the report workers: {self._error}")
        assert self._executor is not None
        return self._executor

    def close(self) -> None:
        """Stop the workers (after any task they are running); idempotent."""
        self._starting.join()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _init_worker(execution: str) -> None:
    """Start a worker process: exit with its parent, import the libraries (warm).

    Then everything loaded so far is left out of garbage collection
    (``gc.freeze``): the libraries stay for the worker's life, and the
    collector's full collections no longer walk them (12 of the 17 ms it took
    per area report). It also keeps the collector from writing to the pages
    the worker shares with the forkserver it was forked from.
    """
    import gc

    _exit_with_parent()
    if execution == "warm":
        from indicators.warm import warm_up

        warm_up()
    gc.freeze()


def _exit_with_parent() -> None:
    """End this worker as soon as the process that started it ends.

    A worker waits for tasks on a queue whose write end it holds itself, so it
    never sees the build process end; and the forkserver it was forked from
    stays up while any worker lives. A build killed outright (out of memory,
    SIGKILL) therefore left its workers and the forkserver running, holding
    the build's output pipes. multiprocessing gives every child a sentinel
    that becomes ready when its parent (the build process, also for a
    forkserver child) ends; a thread waits on it. Written by hand:
    ProcessPoolExecutor has no option for it.
    """
    import multiprocessing as mp
    import threading
    from multiprocessing.connection import wait as wait_ready

    parent = mp.parent_process()
    if parent is None:  # not a multiprocessing child
        return

    def watch() -> None:
        wait_ready([parent.sentinel])
        os._exit(70)  # EX_SOFTWARE: no cleanup, the build that wanted the results is gone

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _lost(task: ReportTask, paths, exc: BaseException, execution: str, *, alone: bool = False):
    """Outcome of a task whose worker failed outside the report (crash, lost worker).

    ``alone``: the task ran alone on its worker when the worker died, so it is the
    cause (the worker was killed, e.g. for memory, or crashed). Its worker wrote no
    failed notebook and no final audit record, so they are written here: the audit
    record says the report failed and why (keeping what the worker recorded, if its
    notebook had finished), and the failed notebook is the parameterised notebook the
    worker ran, to run again by hand (``papermill`` or Jupyter) from the project."""
    from indicators.pipeline import AreaOutcome

    key = task.spec.key
    audit = Path(paths.build_dir) / "audit" / f"{key}.json"
    failed = Path(paths.build_dir) / "failed" / f"{key}.ipynb"
    what = (
        "the worker process died while running this report alone (killed, e.g. for "
        "memory, or crashed)"
        if alone
        else "worker failed"
    )
    error = f"{what}: {type(exc).__name__}: {exc}".strip()
    try:
        _record_lost(task, paths, execution, error, audit, failed if alone else None)
    except Exception as record_exc:  # the outcome matters more than its records
        error += f" (its audit record could not be written: {record_exc})"
    return AreaOutcome(
        key,
        False,
        error=error,
        notebook=failed if failed.exists() else None,
        audit=audit if audit.exists() else None,
    )


def _record_lost(task: ReportTask, paths, execution: str, error: str, audit, failed) -> None:
    """The audit record (and with ``failed``, the parameterised notebook) of a lost report."""
    import json

    import nbformat

    from indicators.pipeline import report_parameters
    from indicators.warm import cells_digest, prepare, write_audit, write_record

    spec = task.spec
    if audit.exists():  # the worker's notebook finished; render or publish did not
        record = json.loads(audit.read_text(encoding="utf-8"))
        write_record(audit, {**record, "ok": False, "error": error})
        if failed is None:
            return
    # The work dir the worker made for it, if it got that far (its fragments stay there).
    works = sorted(
        (Path(paths.build_dir) / "areas").glob(f"{spec.key}.*"), key=lambda p: p.stat().st_mtime
    )
    work = works[-1] if works else Path(paths.build_dir) / "areas" / f"{spec.key}.lost"
    results_dir = task.results_dir or Path(paths.build_dir) / "slices" / spec.key
    parameters = report_parameters(spec, paths, results_dir, work)
    notebook = Path(paths.root) / spec.notebook
    nb = prepare(notebook, parameters)
    if failed is not None:
        failed.parent.mkdir(parents=True, exist_ok=True)
        nb.metadata["indicators"] = {"execution": execution, "not_run": error}
        nbformat.write(nb, str(failed))
    if not audit.exists():
        write_audit(
            audit,
            notebook=notebook,
            parameters=parameters,
            execution=execution,
            cells=cells_digest(nb),
            seconds=0.0,
            error=error,
            notebook_written=failed is not None and failed.exists(),
        )


def run_reports(
    tasks: list[ReportTask],
    *,
    paths,
    engine: str,
    execution: str = "warm",
    notebooks: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
    on_done: Callable | None = None,
    prepare: Callable[[ReportTask], ReportTask] | None = None,
    pool: WorkerPool | None = None,
) -> list:
    """Run every task; returns their outcomes (failed ones included), calling ``on_done``.

    ``prepare(task)`` runs here, just before a task is sent, and returns the
    task to send (the build writes the task's results slice then), so only the
    inputs of the tasks in flight exist at any time. ``pool``: workers started
    earlier (:class:`WorkerPool`), used instead of new ones and closed at the end.
    """
    outcomes: list = []

    def done(o) -> None:
        outcomes.append(o)
        if on_done:
            on_done(o)

    def ready(task: ReportTask) -> ReportTask:
        return prepare(task) if prepare else task

    if not tasks:
        if pool is not None:
            pool.close()
        return outcomes
    if scheduler:
        _run_dask(tasks, scheduler, paths, engine, execution, notebooks, jobs, done, ready)
        return outcomes
    if pool is None:
        jobs = max(1, min(jobs or default_jobs(), len(tasks)))
        if jobs == 1:
            for task in tasks:
                done(run_report(ready(task), paths, engine, execution, notebooks))
            return outcomes
        pool = WorkerPool(jobs, execution)
    _run_local(pool, tasks, paths, engine, execution, notebooks, done, ready)
    return outcomes


def _run_local(pool, tasks, paths, engine, execution, notebooks, done, ready) -> None:
    """Run ``tasks`` on the local ``pool``, at most ``WINDOW_PER_WORKER`` per worker in flight.

    A worker that dies (killed for memory, a crash in a library) breaks the whole
    ``ProcessPoolExecutor``: every task in flight fails with ``BrokenProcessPool``
    and no new task can be sent. Which of them killed the worker is unknown, so
    the build starts new workers and runs those tasks again one at a time: one that
    breaks its worker while running alone is the cause and fails (with the signal);
    the others and all tasks not yet sent run as usual. Written by hand because
    ``concurrent.futures`` has no such recovery; Dask reschedules by itself.
    """
    from collections import deque
    from concurrent.futures.process import BrokenProcessPool

    jobs = pool.jobs
    todo = iter(tasks)
    suspects: deque[ReportTask] = deque()  # in flight when a worker died
    unsent: deque[ReportTask] = deque()  # prepared, but the pool broke before sending

    n_done = [0]  # reports come back so far

    def finish(o) -> None:
        n_done[0] += 1
        done(o)

    def send(ex: ProcessPoolExecutor, task: ReportTask):
        return ex.submit(run_report, task, paths, engine, execution, notebooks)

    def fill(ex: ProcessPoolExecutor, running: dict) -> None:
        while len(running) < jobs * WINDOW_PER_WORKER:
            if unsent:
                task = unsent.popleft()  # prepared already
            else:
                task = next(todo, None)
                if task is None:
                    return
                task = ready(task)
            try:
                running[send(ex, task)] = task
            except BrokenProcessPool:
                unsent.appendleft(task)
                raise

    def run_suspects(ex: ProcessPoolExecutor) -> None:
        while suspects:  # one at a time, to find the one that kills its worker
            task = suspects[0]
            try:
                o = send(ex, task).result()
            except BrokenProcessPool as exc:
                suspects.popleft()
                finish(_lost(task, paths, exc, execution, alone=True))
                raise
            except Exception as exc:
                o = _lost(task, paths, exc, execution)
            suspects.popleft()
            finish(o)

    def run_window(ex: ProcessPoolExecutor) -> None:
        running: dict = {}
        try:
            fill(ex, running)
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = None
                for fut in finished:
                    task = running.pop(fut)
                    try:
                        o = fut.result()
                    except BrokenProcessPool as exc:
                        suspects.append(task)
                        broken = exc
                        continue
                    except Exception as exc:
                        o = _lost(task, paths, exc, execution)
                    finish(o)
                if broken is not None:
                    raise broken
                fill(ex, running)
        finally:
            suspects.extend(running.values())  # still in flight when the pool broke

    idle_breaks = 0  # pools in a row that broke before a single report came back
    try:
        while True:
            before = n_done[0]
            try:
                run_suspects(pool.executor)
                run_window(pool.executor)
                return
            except BrokenProcessPool as exc:
                idle_breaks = idle_breaks + 1 if n_done[0] == before else 0
                if idle_breaks >= 3:  # workers that cannot even start: stop, say why
                    raise IndicatorsError(
                        f"the report workers keep dying before any report finishes: {exc}"
                    ) from exc
                pool.close()
                pool = WorkerPool(jobs, execution)
    finally:
        pool.close()


def _run_dask(tasks, scheduler, paths, engine, execution, notebooks, jobs, done, ready) -> None:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:
        raise IndicatorsError("--scheduler needs Dask: pip install 'dask[distributed]'") from exc
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=jobs or default_jobs(),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        target = cluster
    else:
        target = scheduler
    try:
        with Client(target) as client:
            if execution == "warm":
                from indicators.warm import warm_up

                client.run(warm_up)  # imports once on every worker, in parallel
            window = max(1, sum(client.nthreads().values())) * WINDOW_PER_WORKER
            todo = iter(tasks)
            by_key: dict = {}
            queue = dask_completed()

            def fill() -> None:
                while len(by_key) < window:
                    task = next(todo, None)
                    if task is None:
                        return
                    task = ready(task)
                    fut = client.submit(
                        run_report,
                        task,
                        paths,
                        engine,
                        execution,
                        notebooks,
                        key=f"report-{task.spec.key}-{os.getpid()}-{time.monotonic_ns()}",
                        pure=False,
                    )
                    by_key[fut.key] = task
                    queue.add(fut)

            fill()
            for fut in queue:
                task = by_key.pop(fut.key)
                try:
                    o = fut.result()
                except Exception as exc:  # lost worker, unpicklable error, ...
                    o = _lost(task, paths, exc, execution)
                done(o)
                fill()
    finally:
        if cluster is not None:
            cluster.close()
