"""Compile Typst to PDF in long-lived child processes that are replaced as they grow.

typst keeps what it memoises in process-wide caches (comemo) that typst-py cannot evict
(typst/typst#8495); typst-py evicts entries unused for ten compiles, so a process that
compiles report after report grows by about 55 MB per report (the decoded figures) up to
about 800 MB. The build process and its report workers therefore never import typst.
Each PDF used to be compiled in a new Python process; now a child
(:mod:`indicators.render.typst_worker`) compiles many PDFs and is replaced once it has
compiled ``max_documents`` of them or its resident memory passed ``max_rss_mb``, which
bounds the memory and saves a Python start, the ``typst`` import and the font search per
PDF.

A pool holds idle children; a compile takes one (or starts one), so concurrent renders
in one process (threads, e.g. a Dask worker) each get their own. Children are not
shared with forked processes (a forked process starts with an empty pool), and exit when
their parent closes the pipe or dies.

Errors: typst's own diagnostic comes back as a :class:`CompileResult` with ``ok`` false;
a child that dies during a compile (killed, out of memory, a crash in typst) raises
:class:`~indicators.exceptions.RenderError` with its exit status and the end of its
stderr. A child found dead when a compile takes it, or whose pipe is closed when the
job is sent, is replaced and the job sent to a new one. One that is still exiting at
that moment (a killed process stays "alive" for a few milliseconds while its threads
end) takes the job into its pipe and the compile fails with that error; the build
reports the failed report and the next one gets a new process.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NamedTuple

from indicators.exceptions import RenderError

log = logging.getLogger(__name__)

WORKER = Path(__file__).resolve().with_name("typst_worker.py")
#: Defaults: a child compiles at most this many PDFs ...
MAX_DOCUMENTS = 20
#: ... and is replaced once its resident memory after a PDF passed this (MB).
MAX_RSS_MB = 350.0
_STDERR_TAIL = 2000


@dataclass(frozen=True)
class CompileResult:
    """Result of one compile: ``ok`` and the PDF, or not ``ok`` and typst's diagnostic."""

    ok: bool
    data: bytes


class PoolStats(NamedTuple):
    """What a pool's children cost so far."""

    #: Children started.
    started: int
    #: The largest peak resident memory any of them reported (MB).
    peak_rss_mb: float
    #: CPU time of the idle children (retired ones were reaped: they count among this
    #: process's children in ``os.times()``).
    cpu_s: float


class _Child:
    """One typst compile process and its pipes."""

    def __init__(self) -> None:
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-P", str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        # multiprocessing's framing (length-prefixed messages) over the two pipes; the
        # Connections own duplicates of the descriptors, the Popen keeps its own.
        self.requests = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.replies = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.documents = 0
        self.rss_mb = 0.0
        self.peak_rss_mb = 0.0
        self.cpu_s = 0.0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, header: dict, markup: bytes) -> None:
        self.requests.send_bytes(json.dumps(header).encode("utf-8"))
        self.requests.send_bytes(markup)

    def receive(self) -> CompileResult:
        reply = json.loads(self.replies.recv_bytes())
        data = self.replies.recv_bytes()
        self.documents += 1
        self.rss_mb = reply["rss_mb"]
        self.peak_rss_mb = max(self.peak_rss_mb, reply["peak_rss_mb"])
        self.cpu_s = reply["cpu_s"]
        return CompileResult(bool(reply["ok"]), data)

    def failure(self) -> RenderError:
        """The error for a child that died: exit status and the end of its stderr."""
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            status = f"killed by {name}" + (" (out of memory?)" if -code == 9 else "")
        else:
            status = f"exit {code}"
        self.stderr.seek(0)
        tail = self.stderr.read().decode("utf-8", "replace").strip()[-_STDERR_TAIL:]
        self.close()
        return RenderError(f"the typst process failed ({status})" + (f": {tail}" if tail else ""))

    def close(self) -> None:
        """Close the pipes (the child exits on end of input) and reap the child."""
        for conn in (self.requests, self.replies):
            try:
                conn.close()
            except OSError:
                pass
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()

    def forget(self) -> None:
        """In a forked process: drop this process's copies of the pipes, leave the child."""
        for pipe in (self.requests, self.replies, self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class TypstPool:
    """Idle typst compile processes, handed out one per compile and recycled.

    Parameters
    ----------
    max_documents : int
        A child is replaced after this many PDFs.
    max_rss_mb : float
        A child is replaced when its resident memory after a PDF is above this (MB).

    Notes
    -----
    Thread-safe. :meth:`stats` says how many children were started, the largest peak
    resident memory any of them reported and the CPU time of the idle ones.
    """

    def __init__(self, max_documents: int = MAX_DOCUMENTS, max_rss_mb: float = MAX_RSS_MB):
        if max_documents < 1:
            raise ValueError("max_documents must be at least 1")
        self.max_documents = max_documents
        self.max_rss_mb = max_rss_mb
        self._idle: list[_Child] = []
        self._lock = threading.Lock()
        self.started = 0
        self.peak_rss_mb = 0.0

    def _take(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.alive():
                    return child
                log.warning("typst process %s ended while idle; starting another", child.proc.pid)
                self._settle(child)
                child.close()
            self.started += 1
        return _Child()

    def _settle(self, child: _Child) -> None:
        """Account for a child that will not compile again (lock held)."""
        self.peak_rss_mb = max(self.peak_rss_mb, child.peak_rss_mb)

    def _give_back(self, child: _Child) -> None:
        retire = child.documents >= self.max_documents or child.rss_mb > self.max_rss_mb
        with self._lock:
            self.peak_rss_mb = max(self.peak_rss_mb, child.peak_rss_mb)
            if not retire:
                self._idle.append(child)
                return
            self._settle(child)
        child.close()

    def warm(self) -> None:
        """Start a child now if none is idle, so its start overlaps other work."""
        with self._lock:
            if self._idle:
                return
            self.started += 1
        child = _Child()
        with self._lock:
            self._idle.append(child)

    def compile(self, markup: str, root: Path, fonts: list[str], timestamp: int) -> CompileResult:
        """Compile Typst ``markup`` to PDF with files resolved under ``root``.

        Parameters
        ----------
        fonts : list of str
            Font directories; system fonts are never used.
        timestamp : int
            The PDF's creation date (seconds since the epoch), for reproducible files.
        """
        try:
            cwd = os.getcwd()
        except OSError:  # removed working directory: messages name files as typst can
            cwd = None
        header = {"root": str(root), "fonts": list(fonts), "timestamp": int(timestamp), "cwd": cwd}
        data = markup.encode("utf-8")
        child = self._take()
        try:
            child.send(header, data)
        except OSError:
            # died before it got the job (e.g. killed while idle): one more try
            log.warning(
                "typst process %s ended before a job: %s", child.proc.pid, self._discard(child)
            )
            child = self._take()
            try:
                child.send(header, data)
            except OSError:
                raise self._discard(child) from None
        try:
            result = child.receive()
        except (EOFError, OSError):
            raise self._discard(child) from None
        self._give_back(child)
        return result

    def _discard(self, child: _Child) -> RenderError:
        error = child.failure()
        with self._lock:
            self._settle(child)
        return error

    def stats(self) -> PoolStats:
        """Children started, their largest peak memory and their CPU time so far."""
        with self._lock:
            idle = list(self._idle)
            peak = max([self.peak_rss_mb, *(c.peak_rss_mb for c in idle)])
            return PoolStats(self.started, round(peak, 1), sum(c.cpu_s for c in idle))

    def idle_pids(self) -> list[int]:
        """Process ids of the idle children."""
        with self._lock:
            return [c.proc.pid for c in self._idle]

    def close(self) -> None:
        """Stop the idle children."""
        with self._lock:
            idle, self._idle = self._idle, []
            for child in idle:
                self._settle(child)
        for child in idle:
            child.close()

    def _after_fork(self) -> None:
        idle, self._idle = self._idle, []
        self._lock = threading.Lock()
        for child in idle:
            child.forget()


_POOL: TypstPool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> TypstPool:
    """This process's pool (created on first use, stopped at exit)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = TypstPool()
            atexit.register(_POOL.close)
        return _POOL


def _reset_after_fork() -> None:
    global _POOL_LOCK
    _POOL_LOCK = threading.Lock()
    if _POOL is not None:
        _POOL._after_fork()


os.register_at_fork(after_in_child=_reset_after_fork)
