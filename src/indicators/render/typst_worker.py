"""The typst compile process: compiles Typst documents to PDF, one after another.

:mod:`indicators.render.typst_pool` starts it as ``python -P <this file>`` and sends it
jobs over its standard input; it answers on its standard output and exits when its
input closes. It imports only the standard library and ``typst``, so it starts in about
30 ms and never loads the toolkit, pandas or matplotlib.

Messages are framed by :class:`multiprocessing.connection.Connection` (a length-prefixed
byte string each). A job is two messages, a JSON header ``{"root", "fonts", "timestamp",
"cwd"}`` and the Typst markup (UTF-8); the reply is a JSON header ``{"ok", "rss_mb",
"peak_rss_mb", "cpu_s"}`` followed by the PDF (``ok``) or typst's diagnostic (UTF-8).
``rss_mb`` is the resident memory after the job, so the pool can retire a process that
has grown: typst memoises what it computes in process-wide caches that Python cannot
evict (typst/typst#8495).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from multiprocessing.connection import Connection


def memory_mb() -> tuple[float, float]:
    """Resident and peak resident memory of this process, in MB (Linux; else peak twice)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        scale = 1024 if sys.platform != "darwin" else 1024 * 1024
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
        return peak, peak


def _fonts(typst, paths: list[str]):
    """A font set for ``paths`` without system fonts: a ``typst.Fonts`` where available
    (searched once per process instead of once per document), else the paths."""
    fonts_class = getattr(typst, "Fonts", None)
    if fonts_class is None:  # typst-py before 0.14
        return paths
    return fonts_class(include_system_fonts=False, font_paths=paths)


def serve(requests: Connection, replies: Connection) -> None:
    """Compile every job read from ``requests`` until it closes; reply on ``replies``."""
    import typst

    fonts: dict[tuple[str, ...], object] = {}
    while True:
        try:
            job = json.loads(requests.recv_bytes())
            markup = requests.recv_bytes()
        except EOFError:
            return
        # typst names files in diagnostics relative to the working directory: the
        # caller's, as when each PDF had a process of its own
        if job.get("cwd"):
            try:
                os.chdir(job["cwd"])
            except OSError:
                pass  # only the paths in messages depend on it
        key = tuple(job["fonts"])
        try:
            if key not in fonts:
                fonts[key] = _fonts(typst, list(key))
            payload = typst.compile(
                markup,
                root=job["root"],
                font_paths=fonts[key],
                ignore_system_fonts=True,
                timestamp=job["timestamp"],
                format="pdf",
            )
            ok = True
        except Exception as exc:  # typst.TypstError and whatever else the compile raises
            payload = str(getattr(exc, "diagnostic", "") or exc).strip().encode("utf-8")
            ok = False
        rss, peak = memory_mb()
        header = {"ok": ok, "rss_mb": rss, "peak_rss_mb": peak, "cpu_s": time.process_time()}
        replies.send_bytes(json.dumps(header).encode("utf-8"))
        replies.send_bytes(payload)


def main() -> None:
    """Serve jobs on stdin/stdout; anything else written to stdout goes to stderr."""
    replies = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # a stray print (Python or Rust) must not corrupt the replies
    serve(Connection(0, writable=False), replies)


if __name__ == "__main__":
    main()
