"""Report tasks on local workers and on a Dask cluster (indicators.distributed).

The tasks are real (notebook execution, render, publish) but use a tiny notebook
and template, so the tests are about scheduling, isolation and failures.
"""

from __future__ import annotations

import gc
import json
import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from indicators.distributed import ReportTask, run_reports
from indicators.pipeline import Paths, ReportSpec

NOTEBOOK = """\
from pathlib import Path

if area == "kapot":
    raise RuntimeError("opzettelijk kapot")
if area.startswith("dood"):  # kills its worker process, as the out-of-memory killer would
    import os, signal

    os.kill(os.getpid(), signal.SIGKILL)
out = Path(fragments_dir)
out.mkdir(parents=True, exist_ok=True)
(out / "body.md").write_text(f"Rapport voor **{area}**.\\n", encoding="utf-8")
"""
TEMPLATE = """\
---
lang: nl
---

# Inhoud

{{< include _fragments/body.md >}}
"""


@pytest.fixture
def tiny(tmp_path) -> tuple[Paths, list[ReportTask]]:
    """A project with a tiny notebook and template, and tasks for three reports."""
    params = new_code_cell('area = ""\nresults_dir = ""\nfragments_dir = ""')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(
        cells=[params, new_code_cell(NOTEBOOK)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    (tmp_path / "analysis").mkdir()
    (tmp_path / "reports").mkdir()
    nbformat.write(nb, str(tmp_path / "analysis" / "tiny.ipynb"))
    (tmp_path / "reports" / "tiny.qmd").write_text(TEMPLATE, encoding="utf-8")
    results = tmp_path / "results"
    results.mkdir()
    (results / "meta.json").write_text(json.dumps({"provenance": {"synthetic": True}}))
    paths = Paths(
        root=tmp_path,
        data_dir=tmp_path / "data",
        params_dir=tmp_path / "params",
        build_dir=tmp_path / "build",
        output_dir=tmp_path / "out",
    )
    tasks = [
        ReportTask(
            ReportSpec(
                key=key,
                notebook="analysis/tiny.ipynb",
                template="reports/tiny.qmd",
                parameters={"area": key},
                dest=f"areas/{key}",
                pdf_name=f"{key}.pdf",
                title=f"Rapport {key}",
                subtitle="Test",
                area_name=key,
            ),
            results,
        )
        for key in ("een", "kapot", "twee")
    ]
    return paths, tasks


def _check(paths: Paths, outcomes: list) -> dict:
    by = {o.slug: o for o in outcomes}
    assert sorted(by) == ["een", "kapot", "twee"]
    for key in ("een", "twee"):  # the failure did not stop the others
        assert by[key].ok, by[key].error
        html = (paths.output_dir / f"areas/{key}/index.html").read_text(encoding="utf-8")
        assert f"Rapport voor <strong>{key}</strong>" in html
        assert (paths.output_dir / f"areas/{key}/{key}.pdf").stat().st_size > 1000
    bad = by["kapot"]
    assert not bad.ok and "opzettelijk kapot" in bad.error
    assert bad.notebook == paths.build_dir / "failed" / "kapot.ipynb" and bad.notebook.exists()
    assert json.loads(bad.audit.read_text())["ok"] is False
    assert not (paths.output_dir / "areas/kapot").exists()
    return by


def _work_dirs(paths: Paths, keys=("een", "twee")) -> set[str]:
    audits = [json.loads((paths.build_dir / "audit" / f"{k}.json").read_text()) for k in keys]
    return {a["parameters"]["fragments_dir"] for a in audits}


def test_in_process_a_failed_report_does_not_stop_the_others(tiny):
    paths, tasks = tiny
    done = []
    outcomes = run_reports(tasks, paths=paths, engine="builtin", jobs=1, on_done=done.append)
    _check(paths, outcomes)
    assert done == outcomes


def test_a_failure_points_at_this_runs_records_only(tiny):
    """A report that fails before its notebook runs (here: its template is gone) has no
    failed notebook and no audit record of this run; the ones an earlier run left
    (an older failure, an older success) are not reported as if they were this run's."""
    import dataclasses

    paths, tasks = tiny
    spec = dataclasses.replace(tasks[0].spec, template="reports/weg.qmd")
    for sub, name in (("failed", "een.ipynb"), ("audit", "een.json")):
        (paths.build_dir / sub).mkdir(parents=True, exist_ok=True)
        (paths.build_dir / sub / name).write_text("{}")
    [outcome] = run_reports(
        [dataclasses.replace(tasks[0], spec=spec)], paths=paths, engine="builtin", jobs=1
    )
    assert not outcome.ok and "weg.qmd" in outcome.error
    assert outcome.notebook is None and outcome.audit is None
    assert not (paths.build_dir / "failed" / "een.ipynb").exists()


def test_a_lost_report_whose_notebook_finished_keeps_its_cell_times(tiny):
    """A worker that dies after the notebook (in the render) leaves this run's audit
    record: the build marks it failed with the reason and keeps the cell times; the
    failed notebook is the parameterised one, not run."""
    from concurrent.futures.process import BrokenProcessPool

    from indicators.distributed import _lost

    paths, tasks = tiny
    audit = paths.build_dir / "audit" / "een.json"
    audit.parent.mkdir(parents=True)
    audit.write_text(json.dumps({"ok": True, "error": None, "cell_seconds": [0.1, 0.2]}))
    outcome = _lost(tasks[0], paths, BrokenProcessPool("gestopt"), "warm", alone=True)
    assert not outcome.ok and "died while running this report alone" in outcome.error
    record = json.loads(outcome.audit.read_text())
    assert record["ok"] is False and "gestopt" in record["error"]
    assert record["cell_seconds"] == [0.1, 0.2]
    nb = nbformat.read(str(outcome.notebook), 4)
    assert any('area = "een"' in c.source for c in nb.cells)
    assert "gestopt" in nb.metadata["indicators"]["not_run"]


def test_local_worker_processes_run_each_report_in_its_own_work_dir(tiny):
    paths, tasks = tiny
    by = _check(paths, run_reports(tasks, paths=paths, engine="builtin", jobs=2))
    assert len(_work_dirs(paths)) == 2
    pids = {json.loads(by[k].audit.read_text())["pid"] for k in ("een", "twee")}
    assert os.getpid() not in pids  # ran on the workers, not here
    # each worker compiled its PDF in a typst process of its own, whose memory is reported
    assert all(by[k].peak_rss_typst_mb > 0 for k in ("een", "twee"))


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    yield cluster
    cluster.close()


def test_dask_cluster_runs_the_same_tasks_and_reports_failures(tiny, dask_cluster):
    paths, tasks = tiny
    outcomes = run_reports(
        tasks, paths=paths, engine="builtin", scheduler=dask_cluster.scheduler_address
    )
    by = _check(paths, outcomes)
    assert len(_work_dirs(paths)) == 2
    assert all(by[k].peak_rss_mb > 0 for k in ("een", "twee"))
    pids = {json.loads(by[k].audit.read_text())["pid"] for k in ("een", "twee")}
    assert os.getpid() not in pids


def test_papermill_execution_also_works_on_workers(tiny):
    paths, tasks = tiny
    outcomes = run_reports(
        tasks, paths=paths, engine="builtin", jobs=2, execution="papermill", notebooks=True
    )
    _check(paths, outcomes)
    nb = nbformat.read(str(paths.output_dir / "areas/een/een.ipynb"), 4)
    assert nb.metadata.papermill.parameters["area"] == "een"


def test_no_tasks_is_not_an_error(tiny):
    paths, _ = tiny
    assert run_reports([], paths=paths, engine="builtin") == []


def test_workers_started_before_their_tasks_run_them(tiny):
    from indicators.distributed import WorkerPool

    paths, tasks = tiny
    pool = WorkerPool(1)  # returns at once: the start-up goes on in the background
    worker_pid = pool.executor.submit(os.getpid).result()
    assert worker_pid != os.getpid()
    # the worker left its libraries out of garbage collection once it was warm
    assert pool.executor.submit(gc.get_freeze_count).result() > 10_000
    by = _check(paths, run_reports(tasks, paths=paths, engine="builtin", pool=pool))
    pids = {json.loads(by[k].audit.read_text())["pid"] for k in ("een", "twee")}
    assert pids == {worker_pid}  # one report at a time on the one pre-started worker
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.executor.submit(os.getpid)  # run_reports closed the pool


def test_an_unused_pool_is_closed_with_no_tasks(tiny):
    from indicators.distributed import WorkerPool

    paths, _ = tiny
    pool = WorkerPool(2)
    assert run_reports([], paths=paths, engine="builtin", pool=pool) == []
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.executor.submit(os.getpid)
    pool.close()  # idempotent


def test_a_forkserver_started_early_ends_with_its_unused_parent():
    """``indicators build`` starts the forkserver before knowing whether reports follow.
    Unused, it must not outlive the build (nor keep it waiting): a process that starts
    it and exits at once, mid-import, leaves no server behind."""
    import subprocess
    import sys
    import time

    code = (
        "from indicators.distributed import start_forkserver; start_forkserver(); "
        "from multiprocessing import forkserver; print(forkserver._forkserver._forkserver_pid)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    pid = int(out.stdout)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail(f"forkserver {pid} still runs after its parent ended")


def test_workers_fork_from_the_forkserver_started_before_them():
    """In a fresh process (no forkserver yet): the server started early is the parent
    of the workers started later, and it preloaded the report libraries."""
    import subprocess
    import sys

    code = """
import os
from multiprocessing import forkserver
from indicators.distributed import WorkerPool, start_forkserver
start_forkserver()
server = forkserver._forkserver._forkserver_pid
with WorkerPool(1) as pool:
    parent = pool.executor.submit(os.getppid).result()
    modules = pool.executor.submit(eval, "sorted(__import__('sys').modules)").result()
print(server == parent, "pandas" in modules and "indicators.present.area" in modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"], out.stderr


def test_a_report_that_kills_its_worker_fails_alone_and_the_build_goes_on(tiny):
    """A worker that dies breaks Python's process pool: every report in flight fails
    and nothing more can be sent. The reports in flight then run again one at a
    time on new workers; the one that kills its worker alone is the one that fails,
    and every other report, in flight or not yet sent, is built."""
    import dataclasses

    paths, tasks = tiny

    def task(key: str):
        spec = dataclasses.replace(
            tasks[0].spec, key=key, parameters={"area": key}, dest=f"areas/{key}",
            pdf_name=f"{key}.pdf", title=f"Rapport {key}", area_name=key,
        )  # fmt: skip
        return dataclasses.replace(tasks[0], spec=spec)

    keys = ["een", "dood", "twee", "drie", "vier", "vijf", "zes", "dood2", "zeven"]
    # records of an earlier, successful run: this run's failure must not point at them
    (paths.build_dir / "audit").mkdir(parents=True)
    (paths.build_dir / "audit" / "dood.json").write_text('{"ok": true, "error": null}')
    done = []
    outcomes = run_reports(
        [task(k) for k in keys], paths=paths, engine="builtin", jobs=2, on_done=done.append
    )
    by = {o.slug: o for o in outcomes}
    assert sorted(by) == sorted(keys) and len(outcomes) == len(keys) and done == outcomes
    for key in ("dood", "dood2"):
        assert not by[key].ok
        assert "died while running this report alone" in by[key].error
        assert not (paths.output_dir / f"areas/{key}").exists()
        # the audit record says so, and the failed notebook is the parameterised one
        # its worker ran (not run), to run again by hand
        record = json.loads(by[key].audit.read_text())
        assert record["ok"] is False and "died while running" in record["error"]
        assert record["parameters"]["area"] == key
        assert by[key].notebook == paths.build_dir / "failed" / f"{key}.ipynb"
        nb = nbformat.read(str(by[key].notebook), 4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert f'area = "{key}"' in injected[0].source
        assert "died while running" in nb.metadata["indicators"]["not_run"]
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    for key in set(keys) - {"dood", "dood2"}:
        assert by[key].ok, (key, by[key].error)
        assert (paths.output_dir / f"areas/{key}/{key}.pdf").stat().st_size > 1000


def test_workers_that_die_before_any_report_stop_the_build_with_a_reason(tiny, monkeypatch):
    """Recovery must not loop: workers that break every pool before a single report
    comes back (say, they cannot import the libraries) end the build with an error."""
    from concurrent.futures.process import BrokenProcessPool

    from indicators import distributed
    from indicators.exceptions import IndicatorsError

    class DeadExecutor:
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("a child process terminated abruptly")

    class DeadPool:
        started = 0

        def __init__(self, jobs, execution="warm"):
            self.jobs = jobs
            DeadPool.started += 1

        executor = DeadExecutor()

        def close(self):
            pass

    monkeypatch.setattr(distributed, "WorkerPool", DeadPool)
    paths, tasks = tiny
    with pytest.raises(IndicatorsError, match="keep dying before any report finishes"):
        run_reports(tasks, paths=paths, engine="builtin", pool=DeadPool(2))
    assert DeadPool.started == 3  # the first pool and two new ones, then it gave up


KILLED_BUILD = """
import os, signal, sys
from indicators.distributed import WorkerPool

if __name__ == "__main__":
    pool = WorkerPool(2)
    pids = {pool.executor.submit(os.getpid).result() for _ in range(4)}
    print(" ".join(map(str, sorted(pids))), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
"""


def test_workers_end_when_the_build_process_is_killed(tmp_path):
    import subprocess
    import sys
    import time

    script = tmp_path / "killed_build.py"
    script.write_text(KILLED_BUILD, encoding="utf-8")
    # capture_output: communicate() returns only when every process holding the
    # build's stdout/stderr (workers, forkserver) has ended
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -9
    pids = [int(p) for p in proc.stdout.split()]
    assert pids and os.getpid() not in pids
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{p}") for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)
