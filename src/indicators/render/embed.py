"""Make pandoc's HTML self-contained: stylesheets inlined, images as data URIs.

pandoc's ``--embed-resources`` does this too, but it re-reads and re-writes the
whole HTML document to do it: 0.09 s of CPU per area report, about a tenth of
its render (issue 7). The built-in engine's HTML references exactly two kinds
of local resources, both written by our own template and Lua filter:
``<link rel="stylesheet" href="...">`` for the ``--css`` files and
``<img src="...">`` for figures. Those are replaced here in a few
milliseconds. Anything else that points at a local or remote resource (a
script, an iframe, a ``url()`` in a stylesheet) is an error, so a report can
never depend on a file or the network when it is read (the check pandoc's
option gave for free).

Images are read relative to the report's work dir (pandoc's
``--resource-path``); stylesheets by the absolute paths the engine passes.
SVG images get ``role="img"`` and an ``aria-label`` equal to their alt text,
as pandoc writes them, so screen readers announce them in every browser.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from pathlib import Path

from indicators.exceptions import RenderError

_LINK = re.compile(r'<link rel="stylesheet" href="([^"]*)"\s*/?>')
_IMG = re.compile(r"<img\b([^>]*)>")
_SRC = re.compile(r'\bsrc="([^"]*)"')
_ALT = re.compile(r'\balt="([^"]*)"')
#: Elements that load a resource when the page is shown, with the attribute naming it.
_LOADS = re.compile(
    r"<(img|script|link|iframe|source|video|audio|embed|object|track|input)\b[^>]*?"
    r"\b(src|href|data|poster)=\"(?!data:|#)([^\"]*)\"",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"url\(\s*['\"]?(?!data:)([^'\")]*)", re.IGNORECASE)

MIME = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def _mime(path: Path) -> str:
    return (
        MIME.get(path.suffix.lower())
        or mimetypes.guess_type(path.name)[0]
        or ("application/octet-stream")
    )


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RenderError(f"cannot embed {what} {path}: {exc.strerror or exc}") from exc


def embed_resources(document: str, workdir: Path) -> str:
    """Inline the stylesheets and images of ``document`` (HTML written by pandoc).

    Parameters
    ----------
    document : str
        HTML with ``<link rel="stylesheet" href>`` to absolute or work-dir
        relative files and ``<img src>`` relative to ``workdir``.
    workdir : Path
        The report's work dir (pandoc's ``--resource-path``).

    Returns
    -------
    str
        The same document with ``<style>`` elements and ``data:`` URIs.

    Raises
    ------
    RenderError
        A resource is missing, remote, or of a kind this function does not
        embed, naming it.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.svg").write_text("<svg/>", encoding="utf-8")
    >>> embed_resources('<p><img src="a.svg" alt="A &amp; B" /></p>', d)
    '<p><img role="img" aria-label="A &amp; B" src="data:image/svg+xml;base64,PHN2Zy8+" alt="A &amp; B" /></p>'
    """
    workdir = Path(workdir)

    def local(ref: str, what: str) -> Path:
        ref = html.unescape(ref)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref, re.IGNORECASE):
            raise RenderError(f"cannot embed remote {what} {ref} (reports must work offline)")
        path = Path(ref)
        return path if path.is_absolute() else workdir / path

    def style(m: re.Match[str]) -> str:
        path = local(m.group(1), "stylesheet")
        css = _read(path, "stylesheet").decode("utf-8")
        bad = _CSS_URL.search(css)
        if bad:
            raise RenderError(
                f"cannot embed stylesheet {path}: it refers to {bad.group(1)!r} "
                "(stylesheets of the built-in engine may not load other files)"
            )
        return f'<style type="text/css">\n{css.strip()}\n</style>'

    def image(m: re.Match[str]) -> str:
        attrs = m.group(1)
        src = _SRC.search(attrs)
        if src is None or src.group(1).startswith("data:"):
            return m.group(0)
        path = local(src.group(1), "image")
        data = base64.b64encode(_read(path, "image")).decode("ascii")
        attrs = attrs[: src.start(1)] + f"data:{_mime(path)};base64,{data}" + attrs[src.end(1) :]
        alt = _ALT.search(attrs)
        if path.suffix.lower() == ".svg" and alt and "role=" not in attrs:
            attrs = f' role="img" aria-label="{alt.group(1)}"' + attrs
        return f"<img{attrs}>"

    out = _IMG.sub(image, _LINK.sub(style, document))
    left = _LOADS.search(out)
    if left:
        raise RenderError(
            f'cannot embed <{left.group(1)} {left.group(2)}="{left.group(3)}">: the built-in '
            "engine embeds only stylesheets and images (the HTML must work offline)"
        )
    return out
