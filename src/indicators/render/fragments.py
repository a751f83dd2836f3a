"""Shared fragments read once per process: pandoc reads the rest of a report.

Every area report includes the same annex (definitions and sources of all
indicators: a 10 KB pipe table), and pipe tables are slow to read: the annex was
about a quarter of pandoc's read of a report (0.04 of 0.18 s of CPU; issue 7). A
warm worker renders hundreds of reports, so the builtin engine reads such a
fragment once, keeps its blocks, and splices them into the AST of each report at
the place of a placeholder paragraph.

A fragment is set aside only where reading it on its own cannot change the
result:

* its include shortcode stands alone on its line, at the start of the line, with
  a blank line (or the start or end of the text) before and after it, and
  neither neighbouring paragraph is a table caption (``: ...``, ``Table: ...``),
  which pandoc would attach to a table of the fragment;
* the fragment is pipe-table lines only (every non-blank line starts with ``|``),
  at least :data:`MIN_CHARS` long, without shortcodes, and without the
  characters by which markdown refers to or defines something elsewhere in the
  document: ``[`` ``]`` (links, reference definitions, footnotes, spans,
  citations), ``@`` (citations, example lists), ``<`` (raw HTML), ``^`` and
  backticks.

The placeholder is a paragraph of one word, ``LIFRAGMENT<sha256 prefix>``, whose
JSON pandoc writes as ``{"t":"Para","c":[{"t":"Str","c":"LIFRAGMENT..."}]}``.
If that text is not in the AST exactly once, or a fragment has no blocks, the
document is read whole, as without this module. ``tests/test_render.py``
checks that a real area report's spliced AST equals its whole read.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from indicators.render.features import SHORTCODE_RE

__all__ = ["MIN_CHARS", "is_self_contained", "read_with", "restore", "set_aside"]

#: Smaller fragments are read with the document: a pandoc call of their own would cost
#: more than it saves.
MIN_CHARS = 2000
#: Fragments kept per process (by text).
KEEP = 8

_REFERS = re.compile(r"[\[\]@<^`]")
_CAPTION = re.compile(r"^(:|[Tt]able:)")
_PREFIX = "LIFRAGMENT"
_kept: OrderedDict[str, str] = OrderedDict()  # key -> the fragment's blocks as JSON, no brackets
_lock = threading.Lock()


def is_self_contained(text: str) -> bool:
    """True when ``text`` reads the same on its own as inside a document (module docstring)."""
    if len(text) < MIN_CHARS or _REFERS.search(text) or "{{<" in text:
        return False
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(line.startswith("|") for line in lines)


def _placeholder(text: str) -> str:
    return _PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _alone(text: str, start: int, end: int) -> bool:
    """Whether the shortcode at ``text[start:end]`` is a paragraph of its own, not next to
    a caption paragraph."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if line_start != start or text[end:line_end].strip():
        return False
    before = text[:line_start].split("\n")[:-1]  # the lines before this one
    after = text[line_end + 1 :].split("\n") if line_end < len(text) else []
    if before and before[-1].strip():
        return False
    if after and after[0].strip():
        return False
    for lines in (reversed(before), after):
        neighbour = next((line for line in lines if line.strip()), "")
        if _CAPTION.match(neighbour.lstrip()):
            return False
    return True


def set_aside(text: str, path: Path, root: Path) -> tuple[str, dict[str, str]]:
    """Replace the includes of self-contained fragments in ``text`` by placeholders.

    Parameters
    ----------
    text : str
        A document body whose includes are not resolved yet.
    path, root : Path
        The document and the working directory, to find included files as
        :func:`indicators.render.builtin.resolve_includes` does.

    Returns
    -------
    (text, fragments)
        ``text`` with placeholders; ``fragments`` maps each placeholder to the
        fragment's text (as the include would insert it). Includes that do not
        qualify, or whose files cannot be read, are left for ``resolve_includes``.
    """
    from indicators.render.builtin import include_target, included_text

    pieces: dict[str, str] = {}
    out: list[str] = []
    last = 0
    for match in SHORTCODE_RE.finditer(text):
        if match.group(1) != "include" or not _alone(text, match.start(), match.end()):
            continue
        arg, target = include_target(match, path, root)
        if not arg:
            continue
        try:
            included = included_text(target)
        except Exception:  # noqa: BLE001 - resolve_includes reports it, naming the line
            continue
        if not is_self_contained(included):
            continue
        name = _placeholder(included)
        if name in text:
            continue
        pieces[name] = included
        out += [text[last : match.start()], name]
        last = match.end()
    if not pieces:
        return text, {}
    out.append(text[last:])
    return "".join(out), pieces


def restore(document: str, fragments: dict[str, str]) -> str:
    """``document`` with each placeholder replaced by its fragment's text."""
    for name, text in fragments.items():
        document = document.replace(name, text)
    return document


def _blocks(text: str, read: Callable[[str], bytes]) -> str | None:
    """The fragment's blocks as JSON without the list's brackets (kept per process)."""
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    blocks = json.loads(read(text))["blocks"]
    if not blocks:
        return None
    joined = json.dumps(blocks, ensure_ascii=False, separators=(",", ":"))[1:-1]
    with _lock:
        _kept[key] = joined
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
    return joined


def read_with(document: str, fragments: dict[str, str], read: Callable[[str], bytes]) -> bytes:
    """pandoc's JSON AST of ``restore(document, fragments)``, reading kept fragments once.

    ``read`` turns markdown into pandoc's JSON AST (one pandoc call).
    """
    present = {k: v for k, v in fragments.items() if k in document}
    if not present:
        return read(document)
    ast = read(document)
    for name, text in present.items():
        marker = ('{"t":"Para","c":[{"t":"Str","c":"' + name + '"}]}').encode("utf-8")
        blocks = _blocks(text, read)
        if blocks is None or ast.count(marker) != 1:
            return read(restore(document, fragments))
        ast = ast.replace(marker, blocks.encode("utf-8"))
    return ast


def clear() -> None:
    """Forget the kept fragments (tests)."""
    with _lock:
        _kept.clear()
