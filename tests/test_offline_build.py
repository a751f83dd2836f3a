"""Builds make no network access: block every non-Unix socket and build anyway."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

# Loaded by every Python process of the build (main, workers, kernels) through PYTHONPATH.
SITECUSTOMIZE = """
import os, socket

_log = os.environ["NO_NETWORK_LOG"]
_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _refuse(what):
    with open(_log, "a", encoding="utf-8") as f:
        f.write(f"{os.getpid()} {what}\\n")
    raise OSError(101, "network blocked by test_offline_build: " + what)


def connect(self, address):
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address)
    _refuse(f"connect {address!r}")


def getaddrinfo(host, *args, **kwargs):
    _refuse(f"getaddrinfo {host!r}")


socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo
socket.create_connection = lambda address, *a, **k: _refuse(f"create_connection {address!r}")
"""


def test_a_build_runs_with_the_network_blocked(tmp_path, root):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = tmp_path / "attempts.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        "NO_NETWORK_LOG": str(log),
    }
    # The block itself works (else this test would pass vacuously).
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 80), 1)"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert probe.returncode != 0 and "network blocked" in probe.stderr
    log.unlink()
    out, build = tmp_path / "out", tmp_path / "build"
    exe = Path(sys.executable).parent / "indicators"
    r = subprocess.run(
        [str(exe), "build", "--area", "gemeente-vaals", "--province", "--engine", "builtin",
         "--output-dir", str(out), "--build-dir", str(build)],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    attempts = log.read_text(encoding="utf-8") if log.exists() else ""
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert attempts == "", f"network access attempted:\n{attempts}"
    assert (out / "areas/gemeente-vaals/index.html").exists()
    assert (out / "provincie/provincie-limburg.pdf").exists()
