"""The Quarto feature set that both render engines support, and a static check for it.

Report sources (``reports/*.qmd`` and ``_quarto.yml``) are rendered by Quarto when it is
installed and by the builtin engine (pandoc + typst, :mod:`indicators.render.builtin`)
otherwise. Both must give the same report, so sources may only use this feature set:

Documents (``.qmd``: text and layout only, the numbers come from generated fragments)

- Pandoc markdown: headings, paragraphs, emphasis, lists, links, block quotes, pipe
  tables (with an optional caption ``: Caption {#tbl-x}``), footnotes, non-executable
  code blocks.
- Heading attributes: ids and the classes ``.unnumbered`` and ``.unlisted``.
- Shortcodes: only ``{{< include path >}}`` (path relative to the including file, or to
  the report's working directory when it starts with ``/``). Quarto pastes included text
  verbatim, so image paths inside fragments are relative to the main document.
- Figures: ``![Caption](path.png){#fig-x fig-alt="Alt text" width=80%}`` with local image
  files; attributes ``fig-alt``, ``width`` and ``height``. Figures with a ``fig-`` id are
  numbered "Figuur N".
- Cross-references ``@fig-x`` and ``@tbl-x`` ("Figuur 1", "Tabel 1"); no ``@sec-``,
  ``@eq-`` and other reference types.
- Fenced divs: only callouts ``::: {.callout-note}`` / ``-warning`` / ``-important`` /
  ``-tip`` / ``-caution``, with an optional first ``## Title`` or ``title="..."``.
- Spans: ``[text]{.smallcaps}`` and ``[text]{.underline}``.
- Front matter keys: see :data:`FRONT_MATTER_KEYS`.

Not supported (flagged by :func:`check_sources`): executable code cells (```` ```{python} ````
and inline `` `{python} x` ``), raw format blocks (```` ```{=html} ````), other shortcodes
(``{{< embed >}}`` pulls scripts from a CDN into the HTML), other div classes (layout
columns, ``.column-margin``, panels, tabsets), display math ``$$`` (MathJax needs the
network), remote images.

``_quarto.yml``: see :data:`CONFIG_KEYS` -- ``project.type: default``, ``lang``, and for
the formats ``html`` and ``typst`` only: ``toc``, ``toc-title``, ``toc-depth``,
``number-sections``; html: ``embed-resources: true`` (required), ``css``; typst:
``papersize``, ``section-numbering``.

Report metadata (``_meta.yml``, written by the build): ``title``, ``subtitle``, ``date``,
``lang``, ``area-name`` and ``synthetic-data: true`` (demo data: a yellow banner in HTML and
a running header on every PDF page).

>>> from pathlib import Path
>>> Problem(Path("reports/a.qmd"), 3, "unsupported shortcode")
Problem(file=PosixPath('reports/a.qmd'), line=3, message='unsupported shortcode')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = [
    "CALLOUT_CLASSES",
    "CONFIG_KEYS",
    "CROSSREF_PREFIXES",
    "FRONT_MATTER_KEYS",
    "SHORTCODE_RE",
    "SUPPORTED_SHORTCODES",
    "Problem",
    "check_sources",
]

SUPPORTED_SHORTCODES = frozenset({"include"})
CALLOUT_CLASSES = frozenset(
    {"callout-note", "callout-warning", "callout-important", "callout-tip", "callout-caution"}
)
DIV_CLASSES = CALLOUT_CLASSES
HEADING_CLASSES = frozenset({"unnumbered", "unlisted"})
SPAN_CLASSES = frozenset({"smallcaps", "underline"})
IMAGE_ATTRIBUTES = frozenset({"fig-alt", "width", "height"})
CROSSREF_PREFIXES = frozenset({"fig", "tbl"})
#: Quarto cross-reference prefixes that we do not support (``@sec-intro`` etc.).
OTHER_CROSSREF_PREFIXES = frozenset(
    {
        "sec",
        "eq",
        "lst",
        "thm",
        "lem",
        "cor",
        "prp",
        "cnj",
        "def",
        "exm",
        "exr",
        "sol",
        "rem",
        "alg",
    }
)

#: Format options honoured by both engines, per format.
FORMAT_KEYS: dict[str, frozenset[str]] = {
    "html": frozenset(
        {"embed-resources", "toc", "toc-title", "toc-depth", "number-sections", "css"}
    ),
    "typst": frozenset(
        {"papersize", "toc", "toc-title", "toc-depth", "number-sections", "section-numbering"}
    ),
}

#: Allowed keys of ``_quarto.yml``; ``None`` means any value.
CONFIG_KEYS: dict[str, object] = {
    "project": {"type": None, "output-dir": None},
    "lang": None,
    "format": {fmt: {key: None for key in keys} for fmt, keys in FORMAT_KEYS.items()},
    "execute": {"echo": None},
}

#: Allowed keys of a report's front matter (and of ``_meta.yml``).
FRONT_MATTER_KEYS: dict[str, object] = {
    "title": None,
    "subtitle": None,
    "date": None,
    "author": None,
    "lang": None,
    "area-name": None,
    "synthetic-data": None,
    "toc": None,
    "toc-title": None,
    "toc-depth": None,
    "number-sections": None,
    "section-numbering": None,
    "papersize": None,
    "format": CONFIG_KEYS["format"],
    "execute": {"echo": None},
}

#: A Quarto shortcode ``{{< name args >}}``; group 1 = name, group 2 = arguments.
SHORTCODE_RE = re.compile(r"\{\{<\s*([^\s>]+)\s*(.*?)\s*>\}\}")

_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*(.*?)\s*$")
_DIV_RE = re.compile(r"^\s{0,3}:{3,}\s*(\{[^}]*\}|[\w-]+)?\s*:*\s*$")
_HEADING_ATTR_RE = re.compile(r"^\s{0,3}#{1,6}\s.*\{([^}]*)\}\s*$")
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?[^)]*\)(\{[^}]*\})?")
_SPAN_RE = re.compile(r"(?<!!)\[[^\]]*\]\{([^}]*)\}")
_CROSSREF_RE = re.compile(r"(?<![\w.@/])@([a-z]+)-[\w-]+")
_INLINE_CODE_RE = re.compile(r"`\{\s*(python|r|julia|ojs)\s*\}")
_ATTR_TOKEN_RE = re.compile(r'([.#]?[\w:-]+)(?:=("[^"]*"|\'[^\']*\'|\S+))?')


@dataclass(frozen=True)
class Problem:
    """One use of an unsupported feature: file, 1-based line and what is wrong."""

    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def check_sources(paths: Iterable[Path | str]) -> list[Problem]:
    """Check report sources against the supported feature set.

    Parameters
    ----------
    paths : iterable of path
        ``.qmd``/``.md`` documents, ``_quarto.yml`` files, or directories (their
        ``*.qmd`` files and ``_quarto.yml``).

    Returns
    -------
    list of Problem
        Empty when everything is supported; sorted by file and line.
    """
    problems: list[Problem] = []
    for path in _expand(paths):
        if path.suffix in (".yml", ".yaml"):
            problems += _check_config(path)
        else:
            problems += _check_document(path)
    return sorted(problems, key=lambda p: (str(p.file), p.line, p.message))


def _expand(paths: Iterable[Path | str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(p.glob("*.qmd"))
            if (p / "_quarto.yml").exists():
                out.append(p / "_quarto.yml")
        else:
            out.append(p)
    return out


# --- YAML ------------------------------------------------------------------------------


def _check_yaml_keys(
    node: yaml.Node, allowed: object, path: Path, where: str, line_offset: int = 0
) -> list[Problem]:
    problems: list[Problem] = []
    if allowed is None or not isinstance(node, yaml.MappingNode):
        return problems
    assert isinstance(allowed, dict)
    for key_node, value_node in node.value:
        key = key_node.value
        line = key_node.start_mark.line + 1 + line_offset
        name = f"{where}.{key}" if where else key
        if key not in allowed:
            problems.append(Problem(path, line, f"unsupported option '{name}'"))
            continue
        problems += _check_yaml_keys(value_node, allowed[key], path, name, line_offset)
    return problems


def _scalar(node: yaml.Node, *keys: str) -> yaml.ScalarNode | None:
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((v for k, v in node.value if k.value == key), None)
        if node is None:
            return None
    return node if isinstance(node, yaml.ScalarNode) else None


def _compose(text: str, path: Path, line_offset: int = 0) -> tuple[yaml.Node | None, list]:
    try:
        return yaml.compose(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 1 if mark else 1) + line_offset
        return None, [Problem(path, line, f"invalid YAML: {exc}")]


def _check_config(path: Path) -> list[Problem]:
    node, problems = _compose(path.read_text(encoding="utf-8"), path)
    if node is None:
        return problems
    problems += _check_yaml_keys(node, CONFIG_KEYS, path, "")
    ptype = _scalar(node, "project", "type")
    if ptype is not None and ptype.value != "default":
        problems.append(Problem(path, ptype.start_mark.line + 1, "project.type must be 'default'"))
    embed = _scalar(node, "format", "html", "embed-resources")
    if embed is None or embed.value not in ("true", "True", "yes"):
        line = embed.start_mark.line + 1 if embed is not None else 1
        problems.append(
            Problem(path, line, "format.html.embed-resources must be true (one offline file)")
        )
    return problems


# --- documents -----------------------------------------------------------------------


def _check_document(path: Path) -> list[Problem]:
    lines = path.read_text(encoding="utf-8").splitlines()
    problems: list[Problem] = []
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is not None:
            node, yaml_problems = _compose("\n".join(lines[1:end]), path, line_offset=1)
            problems += yaml_problems
            if node is not None:
                problems += _check_yaml_keys(node, FRONT_MATTER_KEYS, path, "", line_offset=1)
            start = end + 1

    fence: str | None = None
    for i in range(start, len(lines)):
        line, lineno = lines[i], i + 1
        m = _FENCE_RE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2):
                fence = None
            continue
        if m:
            fence = m.group(1)
            info = m.group(2)
            if re.match(r"^\{\s*[A-Za-z]", info):
                problems.append(
                    Problem(
                        path,
                        lineno,
                        f"executable code cell '{info}' (report templates are text and "
                        "layout only; numbers come from generated fragments)",
                    )
                )
            elif info.startswith("{="):
                problems.append(
                    Problem(path, lineno, f"raw format block '{info}' reaches only one format")
                )
            continue
        problems += _check_line(path, lineno, line)
    return problems


def _attr_tokens(attr: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in _ATTR_TOKEN_RE.finditer(attr.strip("{} "))]


def _check_line(path: Path, lineno: int, line: str) -> list[Problem]:
    out: list[Problem] = []

    def add(msg: str) -> None:
        out.append(Problem(path, lineno, msg))

    for m in SHORTCODE_RE.finditer(line):
        name = m.group(1)
        if name == "embed":
            add(
                "shortcode {{< embed >}} is not supported (it pulls scripts from a CDN "
                "into the HTML and needs executed notebooks); use an include of a fragment"
            )
        elif name not in SUPPORTED_SHORTCODES:
            add(f"unsupported shortcode {{{{< {name} >}}}} (only include is supported)")
        elif not m.group(2):
            add("include shortcode without a file")
    if _INLINE_CODE_RE.search(line):
        add("inline executable code (report templates are text and layout only)")

    m = _DIV_RE.match(line)
    if m and m.group(1):
        spec = m.group(1)
        classes = (
            [tok[1:] for tok, _ in _attr_tokens(spec) if tok.startswith(".")]
            if spec.startswith("{")
            else [spec]
        )
        for cls in classes:
            if cls not in DIV_CLASSES:
                add(
                    f"unsupported div class '.{cls}' (supported: "
                    + ", ".join(sorted(DIV_CLASSES))
                    + ")"
                )

    m = _HEADING_ATTR_RE.match(line)
    if m:
        for tok, _ in _attr_tokens(m.group(1)):
            if tok.startswith(".") and tok[1:] not in HEADING_CLASSES:
                add(f"unsupported heading class '{tok}'")
            elif not tok.startswith((".", "#")):
                add(f"unsupported heading attribute '{tok}'")

    for m in _IMAGE_RE.finditer(line):
        src = m.group(1)
        if re.match(r"^(https?:)?//", src):
            add(f"remote image '{src}' (reports must work offline)")
        for tok, _ in _attr_tokens(m.group(2) or ""):
            if tok.startswith("."):
                add(f"unsupported image class '{tok}'")
            elif not tok.startswith("#") and tok not in IMAGE_ATTRIBUTES:
                add(
                    f"unsupported image attribute '{tok}' (supported: "
                    + ", ".join(sorted(IMAGE_ATTRIBUTES))
                    + ")"
                )

    for m in _SPAN_RE.finditer(_IMAGE_RE.sub("", line)):
        for tok, _ in _attr_tokens(m.group(1)):
            if tok.startswith(".") and tok[1:] not in SPAN_CLASSES:
                add(f"unsupported span class '{tok}'")

    for m in _CROSSREF_RE.finditer(line):
        prefix = m.group(1)
        if prefix in OTHER_CROSSREF_PREFIXES:
            add(f"unsupported cross-reference '{m.group(0)}' (only @fig- and @tbl-)")

    if "$$" in line:
        add("display math '$$' is not supported (Quarto's MathJax needs the network)")
    return out
