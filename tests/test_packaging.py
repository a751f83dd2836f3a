"""The project's set-up files agree with each other."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def _spec(req: str) -> str:
    return req.replace(" ", "")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda = [d for d in env if isinstance(d, str)]
    pip = next(d["pip"] for d in env if isinstance(d, dict))
    env_reqs = {_name(d): _spec(d) for d in conda + pip if not d.startswith("-e")}
    # conda-only extras that pyproject cannot express
    for extra in ("python", "quarto", "pip"):
        env_reqs.pop(extra, None)
    py_reqs = {_name(d): _spec(d) for d in py}
    assert env_reqs == py_reqs


def test_environment_yml_adds_quarto_from_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    assert any(isinstance(d, str) and d.startswith("quarto") for d in env["dependencies"])


def test_make_help_documents_every_target():
    mk = (ROOT / "Makefile").read_text()
    targets = re.findall(r"^([a-z][a-z-]*):", mk, flags=re.M)
    documented = set(re.findall(r"^([a-z][a-z-]*):.*## ", mk, flags=re.M))
    assert {"reports", "test", "help"} <= documented
    assert set(targets) - {"env"} <= documented | {"env"}


def test_readme_starts_with_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    head = readme[:1500]
    assert "make reports" in head and "make test" in head


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_command_ends_fast_but_runs_exit_handlers_and_keeps_exit_codes(tmp_path):
    """``indicators`` (``cli.run``) skips the interpreter's teardown, not what comes
    before it: non-daemon threads finish, atexit handlers run, output is flushed,
    and the exit code is the command's."""
    import subprocess
    import sys

    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"] == {
        "indicators": "indicators.entry:main"
    }
    marker = tmp_path / "handlers.txt"
    prog = (
        "import atexit, sys, threading, time\n"
        "from pathlib import Path\n"
        f"out = Path({str(marker)!r})\n"
        "def late():\n"
        "    time.sleep(0.2)\n"
        "    with out.open('a') as f: f.write('thread ')\n"
        "threading.Thread(target=late).start()\n"
        "atexit.register(lambda: out.open('a').write('atexit'))\n"
        "from indicators.cli import run\n"
        "sys.argv = ['indicators', *sys.argv[1:]]\n"
        "print('before', end='')\n"
        "run()\n"
    )
    ok = subprocess.run([sys.executable, "-c", prog, "areas"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("before") and "heerlen-noord" in ok.stdout
    assert marker.read_text() == "thread atexit"
    marker.unlink()
    bad = subprocess.run(
        [sys.executable, "-c", prog, "build", "--dry-run", "--registers-dir", str(tmp_path / "x")],
        capture_output=True, text=True,
    )  # fmt: skip
    usage = subprocess.run([sys.executable, "-c", prog, "no-such-command"], text=True,
                           capture_output=True)  # fmt: skip
    assert bad.returncode == 1 and "--registers-dir" in bad.stderr, bad.stderr
    assert usage.returncode == 2, usage.stderr
    assert "no-such-command" in usage.stderr
    assert marker.read_text() == "thread atexitthread atexit"


def test_the_entry_point_starts_the_workers_server_only_for_local_builds():
    from indicators.entry import builds_with_local_workers as guess

    assert guess(["build", "--all"]) and guess(["build", "--area", "x", "-j", "2"])
    assert guess(["build", "--jobs=4"]) and guess(["build", "-j3"])
    for argv in (
        [],
        ["areas"],
        ["build", "--dry-run"],
        ["build", "--help"],
        ["build", "--scheduler", "local"],
        ["build", "--scheduler=tcp://h:8786"],
        ["build", "-j", "1"],
        ["build", "--jobs", "1"],
        ["build", "--jobs=1"],
        ["build", "-j1"],
    ):
        assert not guess(argv), argv
