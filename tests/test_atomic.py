"""Atomic outputs: a build killed with SIGKILL never leaves a broken report behind.

A good build (``SOURCE_DATE_EPOCH`` A) is made once. Then builds with epoch B
(so that their HTML and PDF differ from A's) are killed with SIGKILL at
deterministic points, in the order a build passes them: while saving the
compute results, while the notebook runs (killed from outside as soon as it
writes its first fragment), before the PDF is rendered, after the first file of
a report is staged for publishing, in the middle of staging its second file,
right after the report's directory is swapped in (before the old version is
removed), and just before the site index is replaced. The killing is done by a
small driver that wraps ``os.replace`` / ``shutil.copyfile`` /
``atomic.exchange`` / ``render_pdf`` and sends itself SIGKILL at the chosen
call: a real SIGKILL at a reproducible moment, no sleeps.

After every kill, each visible file under the output dir must be readable
(HTML parses, PDF opens with pypdf, CSV parses) and byte-identical to either
build A's or build B's version; each kill's build also shows that the build
after an earlier kill runs past that point. A final build must complete.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.test_bad_inputs import BUILD, CLI, cli_env, mirror_root

pytestmark = pytest.mark.integration

EPOCH_A, EPOCH_B = "1700000000", "1750000000"
REPORT = Path("areas/gemeente-vaals")

DRIVER = r"""
import os, shutil, signal, sys
from pathlib import Path

point, out = sys.argv[1], Path(sys.argv[2]).resolve()
args = sys.argv[3:]


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def under_out(p):
    try:
        Path(p).resolve().relative_to(out)
        return True
    except ValueError:
        return False


real_replace, real_copyfile = os.replace, shutil.copyfile
calls = {"n": 0}


def replace(src, dst, *a, **k):
    if point == "index" and Path(dst).resolve() == out / "index.html":
        die()  # temp index fully written, not yet moved into place
    real_replace(src, dst, *a, **k)
    if point == "compute" and Path(dst).parent.name == "compute":
        die()  # first results table saved, the others not


def copyfile(src, dst, *a, **k):
    staging = any(part.startswith(".publish-") for part in Path(dst).parts) or (
        under_out(dst) and (".tmp-" in str(dst) or ".staging-" in str(dst))
    )  # a publish copy: staged in the build dir or (other filesystem) beside the target
    if not staging:
        return real_copyfile(src, dst, *a, **k)
    calls["n"] += 1
    if point == "publish-mid-file" and calls["n"] == 2:  # half of the second file copied
        data = Path(src).read_bytes()
        Path(dst).write_bytes(data[: len(data) // 2])
        die()
    result = real_copyfile(src, dst, *a, **k)
    if point == "publish-between" and calls["n"] == 1:
        die()  # the report's first file staged, the others not
    return result


os.replace, shutil.copyfile = replace, copyfile
import indicators.atomic as atomic

real_exchange = atomic.exchange


def exchange(a, b):
    real_exchange(a, b)
    if point == "publish-swapped":
        die()  # new report in place, the old one not yet removed from the staging dir


atomic.exchange = exchange
if point == "render":
    import indicators.render.builtin as builtin

    def render_pdf(*a, **k):
        die()  # HTML rendered in the work dir, PDF not yet

    builtin.render_pdf = render_pdf

from indicators.cli import app

app(args, prog_name="indicators")
"""

STAGES = [
    "compute",
    "notebook",
    "render",
    "publish-between",
    "publish-mid-file",
    "publish-swapped",
    "index",
]


def _visible(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)
    }


def _hidden(out: Path) -> list[str]:
    return sorted(
        str(p.relative_to(out))
        for p in out.rglob("*")
        if p.is_file() and any(part.startswith(".") for part in p.relative_to(out).parts)
    )


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def assert_readable(out: Path) -> None:
    """Every visible output opens: HTML parses to a whole page, PDFs open, CSVs parse."""
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out)
        if not p.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if p.suffix == ".html":
            text = p.read_text(encoding="utf-8")
            parser = _Html()
            parser.feed(text)
            assert "body" in parser.tags and text.rstrip().endswith("</html>"), rel
        elif p.suffix == ".pdf":
            reader = PdfReader(p)
            assert len(reader.pages) >= 1 and reader.pages[-1].extract_text() is not None, rel
        elif p.suffix == ".csv":
            with open(p, encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
            assert len(rows) >= 2 and len({len(r) for r in rows}) == 1, rel


def _driver(stage: str, out: Path, root: Path) -> subprocess.Popen:
    env = cli_env(root)
    env["SOURCE_DATE_EPOCH"] = EPOCH_B
    args = [*BUILD, "--output-dir", str(out)]
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, stage, str(out), *args],
        env=env,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _kill_when_notebook_runs(proc: subprocess.Popen, root: Path) -> None:
    """SIGKILL the build's process group once its notebook has started writing fragments."""
    work = root / "_build" / "areas"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if work.is_dir() and any(work.glob("gemeente-vaals.*/_fragments")):
            os.killpg(proc.pid, signal.SIGKILL)  # the notebook is writing its fragments
            return
        time.sleep(0.01)
    raise AssertionError("the build never reached the notebook step")


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """Build A, kill builds B at each stage, then complete build B; record every state.

    A and B use separate build dirs (project roots), so B's incremental cache
    knows nothing of A and really rebuilds; B's build dir keeps whatever each
    kill left behind, which the next build has to cope with.
    """
    root_a = mirror_root(tmp_path_factory.mktemp("root-a"))
    root = mirror_root(tmp_path_factory.mktemp("root-b"))
    out = tmp_path_factory.mktemp("out")
    env = cli_env(root_a)
    env["SOURCE_DATE_EPOCH"] = EPOCH_A
    done = subprocess.run(
        [str(CLI), *BUILD, "--output-dir", str(out)],
        env=env,
        cwd=root_a,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"build A failed:\n{done.stderr}")
    version_a = _visible(out)
    env = cli_env(root)
    states = {}
    for stage in STAGES:
        proc = _driver(stage, out, root)
        if stage == "notebook":
            _kill_when_notebook_runs(proc, root)
        _, stderr = proc.communicate(timeout=300)
        if proc.returncode != -signal.SIGKILL or "Traceback" in stderr:
            pytest.fail(f"{stage}: the build ended before the kill point\n{stderr}")
        try:
            assert_readable(out)
            unreadable = None
        except AssertionError as exc:
            unreadable = f"unreadable output: {exc}"
        states[stage] = {"visible": _visible(out), "hidden": _hidden(out), "unreadable": unreadable}
        snapshot_dir = tmp_path_factory.mktemp(f"after-{stage}")
        shutil.copytree(out, snapshot_dir, dirs_exist_ok=True)
        states[stage]["copy"] = snapshot_dir
    env["SOURCE_DATE_EPOCH"] = EPOCH_B
    final = subprocess.run(
        [str(CLI), *BUILD, "--output-dir", str(out)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
    )
    return {
        "out": out,
        "a": version_a,
        "b": _visible(out),
        "states": states,
        "final": final,
        "hidden_after_final": _hidden(out),
    }


def test_builds_a_and_b_differ_so_the_checks_can_tell_them_apart(killed):
    a, b = killed["a"], killed["b"]
    assert a[str(REPORT / "index.html")] != b[str(REPORT / "index.html")]
    assert a[str(REPORT / "gemeente-vaals.pdf")] != b[str(REPORT / "gemeente-vaals.pdf")]


@pytest.mark.parametrize("stage", STAGES)
def test_after_sigkill_every_output_is_a_whole_earlier_or_new_version(killed, stage):
    a, b = killed["a"], killed["b"]
    state = killed["states"][stage]
    assert set(state["visible"]) == set(a), "files appeared or disappeared"
    for rel, digest in state["visible"].items():
        assert digest in (a[rel], b.get(rel)), f"{stage}: {rel} is neither build's version"
    assert state["unreadable"] is None, state["unreadable"]
    assert_readable(state["copy"])


@pytest.mark.parametrize("stage", ["compute", "notebook", "render"])
def test_a_kill_before_publishing_leaves_the_previous_reports_untouched(killed, stage):
    assert killed["states"][stage]["visible"] == killed["a"]
    assert killed["states"][stage]["hidden"] == []


def test_the_next_build_completes(killed):
    final = killed["final"]
    assert final.returncode == 0, final.stderr
    assert_readable(killed["out"])
    assert set(killed["b"]) == set(killed["a"])


def test_a_kill_mid_copy_leaves_no_half_written_file_in_the_output_dir(killed):
    assert killed["states"]["publish-mid-file"]["hidden"] == []
    assert killed["hidden_after_final"] == []


@pytest.mark.parametrize("stage", ["publish-between", "publish-mid-file", "publish-swapped"])
def test_a_report_is_replaced_as_a_whole(killed, stage):
    a, b = killed["a"], killed["b"]
    state = killed["states"][stage]["visible"]
    report = [rel for rel in state if rel.startswith(str(REPORT))]
    gens = {("a" if state[r] == a[r] else "b") for r in report if a[r] != b[r]}
    assert len(gens) == 1, f"one report mixes builds: {sorted(gens)}"
    expected = "b" if stage == "publish-swapped" else "a"  # swapped in, or not yet
    assert gens == {expected}, (stage, gens)


def test_the_directory_swap_is_atomic_and_removes_files_of_the_old_version(tmp_path):
    from indicators.atomic import replace_dir

    dst = tmp_path / "out" / "areas" / "x"
    old, stale = tmp_path / "old.txt", tmp_path / "stale.csv"
    old.write_text("old")
    stale.write_text("a,b\n1,2\n")
    replace_dir({old: Path("index.html"), stale: Path("stale.csv")}, dst, tmp_path / "stage")
    new = tmp_path / "new.txt"
    new.write_text("new")
    published = replace_dir({new: Path("index.html")}, dst, tmp_path / "stage")
    assert published == [dst / "index.html"]
    assert sorted(p.name for p in dst.iterdir()) == ["index.html"]
    assert (dst / "index.html").read_text() == "new"
    assert list((tmp_path / "stage").iterdir()) == []  # the old version is gone


def test_without_the_exchange_call_the_swap_falls_back_to_two_renames(tmp_path, monkeypatch):
    import errno

    from indicators import atomic

    def unsupported(a, b):
        raise OSError(errno.ENOSYS, "no renameat2")

    monkeypatch.setattr(atomic, "exchange", unsupported)
    dst = tmp_path / "report"
    for text in ("A", "B"):
        f = tmp_path / f"{text}.html"
        f.write_text(text)
        atomic.replace_dir({f: Path("index.html")}, dst, tmp_path / "stage")
    assert (dst / "index.html").read_text() == "B"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["A.html", "B.html", "report", "stage"]
