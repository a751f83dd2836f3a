"""indicators.render.embed: the built-in engine's HTML made self-contained in Python."""

from __future__ import annotations

import base64
import re

import pytest

from indicators.exceptions import RenderError
from indicators.render.embed import embed_resources


@pytest.fixture
def work(tmp_path):
    (tmp_path / "figs").mkdir()
    (tmp_path / "figs" / "a.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "figs" / "b.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (tmp_path / "style.css").write_text("body { color: #111; }\n")
    return tmp_path


def _data(html: str, mime: str) -> bytes:
    m = re.search(rf'src="data:{re.escape(mime)};base64,([^"]+)"', html)
    assert m, html
    return base64.b64decode(m.group(1))


def test_images_become_data_uris_with_their_bytes(work):
    doc = '<img src="figs/a.svg" alt="Grafiek &amp; tekst" /><img src="figs/b.png" alt="x" />'
    out = embed_resources(doc, work)
    assert _data(out, "image/svg+xml") == (work / "figs/a.svg").read_bytes()
    assert _data(out, "image/png") == (work / "figs/b.png").read_bytes()
    # SVG images are announced as images, with their alt text, as pandoc writes them
    assert '<img role="img" aria-label="Grafiek &amp; tekst" src="data:image/svg+xml' in out
    assert out.count('role="img"') == 1  # not for the PNG


def test_stylesheets_are_inlined(work):
    doc = f'<head><link rel="stylesheet" href="{work / "style.css"}" /></head>'
    out = embed_resources(doc, work)
    assert out == '<head><style type="text/css">\nbody { color: #111; }\n</style></head>'


def test_data_uris_and_links_stay_as_they_are(work):
    doc = '<img src="data:image/png;base64,AAAA" alt="x" /><a href="downloads/x.csv">x</a>'
    assert embed_resources(doc, work) == doc


def test_a_missing_image_is_named(work):
    with pytest.raises(RenderError, match=r"cannot embed image .*figs/missing\.svg"):
        embed_resources('<img src="figs/missing.svg" alt="x" />', work)


@pytest.mark.parametrize("src", ["https://example.invalid/x.png", "//cdn.invalid/x.png"])
def test_remote_images_are_refused(work, src):
    with pytest.raises(RenderError, match="reports must work offline"):
        embed_resources(f'<img src="{src}" alt="x" />', work)


@pytest.mark.parametrize(
    "doc",
    [
        '<script src="app.js"></script>',
        '<iframe src="page.html"></iframe>',
        '<link rel="icon" href="favicon.ico" />',
    ],
)
def test_other_resources_are_refused(work, doc):
    with pytest.raises(RenderError, match="embeds only stylesheets and images"):
        embed_resources(doc, work)


def test_a_stylesheet_that_loads_files_is_refused(work):
    (work / "font.css").write_text("@font-face { src: url('font.woff2'); }")
    doc = f'<link rel="stylesheet" href="{work / "font.css"}" />'
    with pytest.raises(RenderError, match="may not load other files"):
        embed_resources(doc, work)
