"""Hostile names in params and the catalogue run no script in a real browser.

An area is built whose name is ``<script>alert(1)</script>" onerror="alert(2)``
plus an ``<img src=x onerror=...>`` that would set the page title to PWNED,
whose description carries markdown and HTML vectors (``javascript:`` link, a
remote image, ``<svg onload>``), and one indicator label gets the same
treatment. The area report and the site index are then opened in headless
Chromium, driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: no WebDriver, no downloads). Checked: no
JavaScript dialog opened, the title is not PWNED, no element carries an event
handler or script from the payload, no request left ``file:``/``data:``, and
no script error was thrown.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); skipped with that
reason when it is missing.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.test_bad_inputs import CLI, cli_env, mirror_root

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
APT = "apt-get update && apt-get install -y chromium"
SLUG = "hostile"
NAME = """<script>alert(1)</script>" onerror="alert(2)" <img src=x onerror="document.title='PWN'+'ED'">"""
DESCRIPTION = (
    NAME
    + " <svg onload=\"document.title='PWN'+'ED'\"></svg> [klik](javascript:alert(4))"
    + ' ![x](http://example.invalid/x.png) <iframe src="http://example.invalid/"></iframe>'
    + " ' onmouseover='alert(5)"
)
LABEL = """Bijstand <img src=x onerror="document.title='PWN'+'ED'"><script>alert(6)</script>"""
INDICATOR = "bijstand"

# Checked in the page after load: elements or scripts that only the payload could create.
PROBE = """(() => {
  const handlers = [...document.querySelectorAll('*')].filter(e =>
      [...e.attributes].some(a => a.name.startsWith('on') &&
          /alert|PWN/.test(a.value))).length;
  const scripts = [...document.scripts].filter(s => /alert|PWN/.test(s.textContent)).length;
  const frames = document.querySelectorAll('iframe, svg[onload], img[src="x"]').length;
  const jsLinks = [...document.querySelectorAll('a[href]')].filter(a =>
      a.href.trim().toLowerCase().startsWith('javascript:')).length;
  return JSON.stringify({title: document.title, handlers, scripts, frames, jsLinks,
                         text: document.body.innerText.includes('<script>alert(1)</script>')});
})()"""


class DevTools:
    """A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe``."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds() -> None:  # the pipe protocol uses fds 3 (commands in) and 4 (replies out)
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=fds,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    def _read(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                return None
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._read(deadline - time.monotonic())
            if reply is None:
                break
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._event(reply)
        raise TimeoutError(method)

    def _event(self, msg: dict) -> None:
        self.events.append(msg)
        if msg.get("method") == "Page.javascriptDialogOpening":  # never leave the page blocked
            self._id += 1
            reply = {
                "id": self._id,
                "method": "Page.handleJavaScriptDialog",
                "params": {"accept": True},
                "sessionId": self.session,
            }
            os.write(self._to_child, json.dumps(reply).encode() + b"\0")

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            msg = self._read(left)
            if msg is not None and "id" not in msg:
                self._event(msg)

    def open(self, url: str) -> dict:
        """Load ``url`` in a fresh page; return the probe result and the events seen."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            e.get("method") == "Page.loadEventFired" for e in self.events
        ):
            self.pump(0.2)
        self.pump(1.0)  # let timers and late handlers run
        probe = self.send("Runtime.evaluate", {"expression": PROBE, "returnByValue": True})
        return json.loads(probe["result"]["value"])

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    area = yaml.safe_load((ROOT / "params" / "heerlen-noord.yml").read_text(encoding="utf-8"))
    area.update(slug=SLUG, name=NAME, description=DESCRIPTION, comparison_areas=[])
    (tmp / f"{SLUG}.yml").write_text(yaml.safe_dump(area, allow_unicode=True), encoding="utf-8")
    cat = yaml.safe_load(
        (ROOT / "data" / "catalogue" / "indicators.yml").read_text(encoding="utf-8")
    )
    for ind in cat["indicators"]:
        if ind["id"] == INDICATOR:
            ind["label_nl"] = LABEL
    (tmp / "indicators.yml").write_text(yaml.safe_dump(cat, allow_unicode=True), encoding="utf-8")
    root = mirror_root(
        tmp / "root",
        {
            f"params/{SLUG}.yml": tmp / f"{SLUG}.yml",
            "data/catalogue/indicators.yml": tmp / "indicators.yml",
        },
    )
    out = tmp / "out"
    done = subprocess.run(
        [str(CLI), "build", "--area", SLUG, "--no-province", "--engine", "builtin"]
        + ["--output-dir", str(out)],
        env=cli_env(root),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"the hostile build failed:\n{done.stdout}{done.stderr}")
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip(f"headless Chromium is not installed; install it with: {APT}")
    tools = DevTools(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))
    yield tools
    tools.close()


def _requests(events: list[dict]) -> list[str]:
    return [
        e["params"]["request"]["url"]
        for e in events
        if e.get("method") == "Network.requestWillBeSent"
    ]


def _errors(events: list[dict]) -> list[str]:
    out = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            out.append(
                p["exceptionDetails"].get("text", "")
                + " "
                + str(p["exceptionDetails"].get("exception", {}).get("description", ""))
            )
        elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
            out.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
    return out


@pytest.mark.parametrize("page", ["areas/hostile/index.html", "index.html"])
def test_hostile_names_run_no_script_and_fetch_nothing(hostile_site, browser, page):
    path = hostile_site / page
    assert path.exists()
    probe = browser.open(path.as_uri())
    events = browser.events
    dialogs = [e["params"] for e in events if e.get("method") == "Page.javascriptDialogOpening"]
    assert dialogs == [], f"a script ran: {dialogs}"
    assert "PWNED" not in probe["title"], probe
    assert probe["handlers"] == 0 and probe["scripts"] == 0, probe
    assert probe["frames"] == 0 and probe["jsLinks"] == 0, probe
    assert probe["text"], "the name should be shown as text"
    remote = [u for u in _requests(events) if not u.startswith(("file:", "data:", "about:"))]
    assert remote == [], f"requests left the file system: {remote}"
    assert _errors(events) == []


def test_the_browser_harness_sees_a_script_that_does_run(browser, tmp_path):
    """Guard against a harness that sees nothing: an unescaped payload is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        f'<!DOCTYPE html><html lang="nl"><head><title>ok</title></head><body>{NAME}'
        '<img src="http://example.invalid/x.png"></body></html>',
        encoding="utf-8",
    )
    probe = browser.open(page.as_uri())
    assert any(e.get("method") == "Page.javascriptDialogOpening" for e in browser.events)
    assert probe["title"] == "PWNED"
    assert any(u.startswith("http://example.invalid") for u in _requests(browser.events))
