"""Strings from params cannot inject HTML or scripts into reports."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pytest
import yaml

from indicators.pipeline import Paths, build

pytestmark = pytest.mark.integration

HOSTILE = '<script>alert(1)</script>" onerror="alert(2)'


class _Scan(HTMLParser):
    """Collect event-handler attributes and script bodies, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.handlers: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.handlers += [(tag, k) for k, _ in attrs if k.startswith("on")]
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _assert_inert(html: str) -> None:
    scan = _Scan()
    scan.feed(html)
    assert scan.handlers == [], scan.handlers
    assert not any("alert(" in s for s in scan.scripts)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory, root):
    params = tmp_path_factory.mktemp("params")
    for f in (root / "params").glob("*.yml"):
        shutil.copy(f, params / f.name)
    area = yaml.safe_load((params / "heerlen-noord.yml").read_text(encoding="utf-8"))
    area.update(slug="hostile", name=HOSTILE, description=HOSTILE, comparison_areas=[])
    (params / "hostile.yml").write_text(yaml.safe_dump(area, allow_unicode=True), encoding="utf-8")
    paths = Paths.default(
        output_dir=tmp_path_factory.mktemp("out"),
        build_dir=tmp_path_factory.mktemp("build"),
        params_dir=params,
    )
    outcomes = build(["hostile"], engine="builtin", jobs=1, paths=paths, province=False)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    return paths


def test_area_name_is_escaped_in_the_html_report(hostile_build):
    html = (hostile_build.output_dir / "areas/hostile/index.html").read_text(encoding="utf-8")
    _assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not run


def test_area_name_is_escaped_in_the_site_index(hostile_build):
    index = (hostile_build.output_dir / "index.html").read_text(encoding="utf-8")
    _assert_inert(index)
