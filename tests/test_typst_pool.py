"""Tests of indicators.render.typst_pool: long-lived typst compile processes.

Every test runs real typst child processes; crashes are real signals sent to them.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from indicators.exceptions import RenderError
from indicators.render import typst_pool
from indicators.render.builtin import _typst_fonts
from indicators.render.typst_pool import TypstPool

FONTS = list(_typst_fonts())
DOC_A = '#set page(paper: "a6")\n= Kop A\n\nTekst met *nadruk* en een tabel:\n#table(columns: 2, [a], [1])\n'
DOC_B = '#set page(paper: "a5")\n= Kop B\n\nAndere tekst, 12,5%.\n'
#: Runs for minutes; the test kills the process long before.
ENDLESS = "#for i in range(1000000000) {}\nklaar\n"


@pytest.fixture
def pool():
    p = TypstPool()
    yield p
    p.close()


def _compile(p: TypstPool, markup: str, root: Path) -> bytes:
    result = p.compile(markup, root, FONTS, 0)
    assert result.ok, result.data.decode()
    return result.data


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_compiles_a_pdf(pool, tmp_path):
    assert _compile(pool, DOC_A, tmp_path)[:5] == b"%PDF-"


def test_reused_child_gives_the_same_bytes_as_a_new_one(tmp_path):
    """A child's memo caches must not change what it writes (reproducible PDFs)."""
    fresh = TypstPool(max_documents=1)
    reused = TypstPool(max_documents=10)
    try:
        expected = _compile(fresh, DOC_A, tmp_path)
        _compile(reused, DOC_B, tmp_path)
        _compile(reused, DOC_A, tmp_path)
        assert _compile(reused, DOC_A, tmp_path) == expected
        assert reused.stats().started == 1
    finally:
        fresh.close()
        reused.close()


def test_child_is_replaced_after_max_documents(tmp_path):
    p = TypstPool(max_documents=2)
    try:
        pids = []
        for _ in range(5):
            _compile(p, DOC_A, tmp_path)
            pids.append(tuple(p.idle_pids()))
        assert p.stats().started == 3
        assert pids[1] == pids[3] == ()  # retired after its second PDF
        assert len({pids[0], pids[2], pids[4]}) == 3
    finally:
        p.close()


def test_child_is_replaced_when_its_memory_passes_the_limit(tmp_path):
    p = TypstPool(max_rss_mb=0)
    try:
        for _ in range(3):
            _compile(p, DOC_A, tmp_path)
        stats = p.stats()
        assert stats.started == 3
        assert stats.peak_rss_mb > 0
        assert p.idle_pids() == []
    finally:
        p.close()


def test_max_documents_must_be_positive():
    with pytest.raises(ValueError, match="max_documents must be at least 1"):
        TypstPool(max_documents=0)


def test_typst_error_is_a_result_and_the_child_stays(pool, tmp_path):
    _compile(pool, DOC_A, tmp_path)
    (pid,) = pool.idle_pids()
    result = pool.compile("#geen-functie()\n", tmp_path, FONTS, 0)
    assert not result.ok
    assert "unknown variable: geen-functie" in result.data.decode()
    assert pool.idle_pids() == [pid]
    _compile(pool, DOC_B, tmp_path)


def test_child_killed_during_a_compile_is_reported(pool, tmp_path):
    pool.warm()
    (pid,) = pool.idle_pids()
    start = _cpu_ticks(pid)
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = pool.compile(ENDLESS, tmp_path, FONTS, 0)
        except RenderError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    # typst is busy with the job once the process has used a second of CPU beyond its
    # start-up (imports and the font search take well under one)
    _wait_for(lambda: _cpu_ticks(pid) - start > os.sysconf("SC_CLK_TCK"), "the compile")
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=30)
    assert "result" not in outcome
    assert str(outcome["error"]) == "the typst process failed (killed by SIGKILL (out of memory?))"
    assert pool.idle_pids() == []
    _compile(pool, DOC_A, tmp_path)  # the next compile gets a new child
    assert pool.stats().started == 2


def test_child_that_died_while_idle_is_replaced(pool, tmp_path, caplog):
    _compile(pool, DOC_A, tmp_path)
    (pid,) = pool.idle_pids()
    os.kill(pid, signal.SIGKILL)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped by the pool
    with caplog.at_level("WARNING", logger="indicators.render.typst_pool"):
        _compile(pool, DOC_B, tmp_path)
    assert f"typst process {pid} ended while idle" in caplog.text
    assert pool.stats().started == 2


def test_forked_process_starts_its_own_child(tmp_path):
    """A fork must not talk to its parent's child (two writers on one pipe)."""
    default = typst_pool.pool()
    default.warm()
    parent_children = default.idle_pids()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked process
        code = 1
        try:
            fresh = typst_pool.pool().idle_pids() == []
            ok = typst_pool.pool().compile(DOC_A, tmp_path, FONTS, 0).ok
            mine = typst_pool.pool().idle_pids()
            code = 0 if fresh and ok and not set(mine) & set(parent_children) else 2
        finally:
            typst_pool.pool().close()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert default.idle_pids() == parent_children
    _compile(default, DOC_B, tmp_path)  # the parent's child still answers
