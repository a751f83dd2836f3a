"""Reports in a real browser: no script error, a visible page, and hostile names stay text.

One build (module fixture) makes every report type: an ordinary area
(``gemeente-vaals``), the province report, the survey report and the site
index, plus an area whose name is ``<script>alert(1)</script>" onerror="alert(2)``
plus an ``<img src=x onerror=...>`` that would set the page title to PWNED,
whose description carries markdown and HTML vectors (``javascript:`` link, a
remote image, ``<svg onload>``), and one indicator label that gets the same
treatment (``<script>``, ``" onerror=`` and an ``<img onerror>``). The pages
are opened in headless Chromium, driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: no WebDriver, no driver download).

Checked for each report type: no uncaught exception, no ``console.error``, no
browser log entry at level error (a resource that failed to load), no request
that left ``file:``/``data:``; and a screenshot of the first screen
(``_build/screenshots/<type>.png``, or ``$INDICATORS_SCREENSHOTS``) that is not
blank. Checked for the hostile area, the province report and the site index:
no JavaScript dialog opened, the title is not PWNED, no element carries an
event handler or script from the payload, and the name and label are shown as
text.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); every test is
skipped with that reason when it is missing, before anything is built.
"""

from __future__ import annotations

import base64
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

try:  # Pillow comes with matplotlib
    from PIL import Image, ImageChops
except ImportError:  # pragma: no cover
    Image = ImageChops = None

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
LABEL = (
    """Bijstand <img src=x onerror="document.title='PWN'+'ED'"><script>alert(6)</script>"""
    + """" onerror="alert(7)" x="""
)
INDICATOR = "bijstand"
AREA = "gemeente-vaals"  # an ordinary area, for the console and screenshot checks
REPORTS = {
    "area": f"areas/{AREA}/index.html",
    "province": "provincie/index.html",
    "survey": "enquete-arbeidsmigranten/index.html",
    "index": "index.html",
}
# Pages that show the hostile name, and whether they also show the hostile label.
HOSTILE_PAGES = {
    f"areas/{SLUG}/index.html": True,
    "provincie/index.html": True,
    "index.html": False,
}
SCREENSHOTS = Path(os.environ.get("INDICATORS_SCREENSHOTS") or ROOT / "_build" / "screenshots")
VIEWPORT = (1280, 900)

# Checked in the page after load: elements or scripts that only the payload could create.
PROBE = """(() => {
  const handlers = [...document.querySelectorAll('*')].filter(e =>
      [...e.attributes].some(a => a.name.startsWith('on') &&
          /alert|PWN/.test(a.value))).length;
  const scripts = [...document.scripts].filter(s => /alert|PWN/.test(s.textContent)).length;
  const frames = document.querySelectorAll('iframe, svg[onload], img[src="x"]').length;
  const jsLinks = [...document.querySelectorAll('a[href]')].filter(a =>
      a.href.trim().toLowerCase().startsWith('javascript:')).length;
  const text = document.body.innerText;
  return JSON.stringify({title: document.title, handlers, scripts, frames, jsLinks,
                         text: text.includes('<script>alert(1)</script>'),
                         label: /<script>alert\\(6\\)<\\/script>["'\u201d] onerror=["'\u201c\u201d]alert\\(7\\)/
                             .test(text)});
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
        width, height = VIEWPORT
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
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

    def screenshot(self, path: Path) -> Path:
        """PNG of the current page's first screen (the viewport)."""
        shot = self.send("Page.captureScreenshot", {"format": "png"})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

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


def _need_chromium() -> str:
    if CHROMIUM is None:
        pytest.skip(f"headless Chromium is not installed; install it with: {APT}")
    return CHROMIUM


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One build of every report type, with the hostile area among the areas."""
    _need_chromium()  # skip before the slow build
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
        [str(CLI), "build", "--area", SLUG, "--area", AREA, "--province", "--engine", "builtin"]
        + ["--output-dir", str(out)],
        env=cli_env(root),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if done.returncode != 0:
        pytest.fail(f"the build with the hostile area failed:\n{done.stdout}{done.stderr}")
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    tools = DevTools(_need_chromium(), tmp_path_factory.mktemp("chromium-profile"))
    yield tools
    tools.close()


@pytest.fixture(scope="module")
def loaded(site, browser):
    """Each report type opened once: its events, probe result and screenshot."""
    pages = {}
    for kind, rel in REPORTS.items():
        path = site / rel
        assert path.exists(), f"the build wrote no {rel}"
        probe = browser.open(path.as_uri())
        shot = browser.screenshot(SCREENSHOTS / f"{kind}.png")
        print(f"screenshot of the {kind} report: {shot}")
        pages[kind] = {"events": list(browser.events), "probe": probe, "png": shot}
    return pages


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
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            out.append(f"{p['entry'].get('text', '')} {p['entry'].get('url', '')}".strip())
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"request failed: {p.get('errorText', '')}")
    return out


def _blank(png: Path) -> str | None:
    """Why a screenshot looks blank or too small, or None when it shows a page."""
    if Image is None:  # pragma: no cover
        pytest.skip("Pillow is needed to inspect screenshots")
    with Image.open(png) as im:
        img = im.convert("RGB")
    width, height = img.size
    if (width, height) != VIEWPORT:
        return f"size {width}x{height}, expected {VIEWPORT[0]}x{VIEWPORT[1]}"
    colours = img.getcolors(maxcolors=width * height)
    count, background = max(colours)
    if len(colours) < 16:
        return f"only {len(colours)} colours"
    if count / (width * height) > 0.97:
        return f"{count / (width * height):.1%} of the pixels are {background}"
    ink = ImageChops.difference(img, Image.new("RGB", img.size, background))
    _left, top, _right, bottom = ink.getbbox() or (0, 0, 0, 0)
    if bottom - top < height / 4:
        return f"content only in rows {top}-{bottom}"
    return None


@pytest.mark.parametrize("page", sorted(HOSTILE_PAGES))
def test_hostile_names_run_no_script_and_fetch_nothing(site, browser, page):
    path = site / page
    assert path.exists()
    probe = browser.open(path.as_uri())
    events = browser.events
    dialogs = [e["params"] for e in events if e.get("method") == "Page.javascriptDialogOpening"]
    assert dialogs == [], f"a script ran: {dialogs}"
    assert "PWNED" not in probe["title"], probe
    assert probe["handlers"] == 0 and probe["scripts"] == 0, probe
    assert probe["frames"] == 0 and probe["jsLinks"] == 0, probe
    assert probe["text"], "the area name should be shown as text"
    if HOSTILE_PAGES[page]:
        assert probe["label"], "the indicator label should be shown as text"
    remote = [u for u in _requests(events) if not u.startswith(("file:", "data:", "about:"))]
    assert remote == [], f"requests left the file system: {remote}"
    assert _errors(events) == []


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_report_opens_without_console_errors(loaded, kind):
    events = loaded[kind]["events"]
    assert any(e.get("method") == "Page.loadEventFired" for e in events), "page did not load"
    assert _errors(events) == [], f"{REPORTS[kind]}: errors in the browser console"
    remote = [u for u in _requests(events) if not u.startswith(("file:", "data:", "about:"))]
    assert remote == [], f"{REPORTS[kind]}: requests left the file system: {remote}"


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_report_screenshot_is_not_blank(loaded, kind):
    png = loaded[kind]["png"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
    assert _blank(png) is None, f"{png}: looks blank: {_blank(png)}"


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


def test_the_browser_harness_sees_console_errors_and_blank_pages(browser, tmp_path):
    """Guard against checks that see nothing: each kind of error and a blank page are caught."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html lang="nl"><head><title>x</title></head><body>'
        '<img src="missing.png" alt="x"><script>console.error("kapot");</script>'
        "<script>undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    browser.open(page.as_uri())
    errors = " | ".join(_errors(browser.events))
    assert "kapot" in errors and "undefinedFunction" in errors, errors
    assert "ERR_FILE_NOT_FOUND" in errors, errors
    blank = tmp_path / "blank.html"
    blank.write_text('<!DOCTYPE html><html lang="nl"><body></body></html>', encoding="utf-8")
    browser.open(blank.as_uri())
    assert _blank(browser.screenshot(tmp_path / "blank.png")) is not None
