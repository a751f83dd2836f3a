"""Builtin render engine: pandoc (HTML, Typst markup) + the ``typst`` package (PDF).

It renders the Quarto sources of a report working directory without Quarto, for the
feature set in :mod:`indicators.render.features`:

1. Settings are merged, later wins, the same order as Quarto (``_meta.yml`` is a
   project-level ``metadata-files`` entry there)::

       _quarto.yml top level < _quarto.yml format.<fmt> < _meta.yml
           < document front matter < front matter format.<fmt>

   So ``_meta.yml`` sets the title unless the document's front matter sets one too.
2. ``{{< include path >}}`` shortcodes are resolved recursively (paths relative to the
   including file, ``/path`` relative to the working directory); other shortcodes and
   missing files raise :class:`~indicators.exceptions.RenderError`.
3. pandoc reads the document once, metadata block included, into its JSON AST
   (:mod:`indicators.render.pandoc`; fragments shared by many reports, such as the
   annex, are read once per process, :mod:`indicators.render.fragments`), and writes
   from that AST, in parallel, one
   self-contained HTML file (CSS inlined and images as data URIs by
   :mod:`indicators.render.embed`; no scripts, no web fonts) and Typst markup, both through the Lua filter
   ``assets/quarto-compat.lua`` (figures, ``fig-alt``, numbering, cross-references,
   callouts, numeric columns; ``FORMAT`` is the output format, as the filter runs in the
   writing call) and the templates ``assets/report.html`` / ``assets/report.typ``. The
   formats' documents are the same unless format-specific settings reach the document
   metadata; each distinct document is read once.
4. ``typst.compile`` makes the PDF in a long-lived child process
   (:mod:`indicators.render.typst_pool`, replaced as it grows), with
   ``timestamp=source_date_epoch`` and only bundled fonts, so two renders give
   byte-identical files. If typst fails, the markup is kept as ``<stem>.typ`` next to
   the outputs and named in the error.

``synthetic-data: true`` adds ``assets/synthetic-banner.html`` before the HTML body and
``assets/synthetic-header.typ`` (a running header) to the Typst header; the Quarto engine
uses the same two files.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import indicators
from indicators.exceptions import RenderError
from indicators.render import fragments, pandoc, typst_pool
from indicators.render.embed import embed_resources
from indicators.render.features import SHORTCODE_RE
from indicators.render.pandoc import pandoc_path

__all__ = [
    "PandocJob",
    "ReportSource",
    "find_project_config",
    "format_date",
    "html_job",
    "merged_metadata",
    "pandoc_path",
    "pdf_job",
    "read_source",
    "render_builtin",
    "render_html",
    "render_pdf",
    "resolve_includes",
]

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
REPO_ROOT = Path(indicators.__file__).resolve().parents[2]
LUA_FILTER = ASSETS / "quarto-compat.lua"
HTML_TEMPLATE = ASSETS / "report.html"
TYPST_TEMPLATE = ASSETS / "report.typ"
BASE_CSS = ASSETS / "builtin.css"
SYNTHETIC_BANNER = ASSETS / "synthetic-banner.html"
SYNTHETIC_HEADER = ASSETS / "synthetic-header.typ"

#: Top-level keys of _quarto.yml that are configuration, not document metadata.
RESERVED_KEYS = frozenset({"project", "format", "execute", "metadata-files"})
#: Output format key -> Quarto format name.
FORMAT_NAMES = {"html": "html", "pdf": "typst"}

_MONTHS_NL = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()
_MAX_INCLUDE_DEPTH = 20


# --- configuration and metadata ----------------------------------------------------------


def find_project_config(workdir: Path, project_config: Path | None = None) -> Path:
    """Return the ``_quarto.yml`` to use: the given one, the repository's, or the workdir's."""
    if project_config is not None:
        path = Path(project_config)
        if not path.is_file():
            raise RenderError(f"project config not found: {path}")
        return path.resolve()
    for candidate in (REPO_ROOT / "_quarto.yml", Path(workdir) / "_quarto.yml"):
        if candidate.is_file():
            return candidate.resolve()
    raise RenderError(
        f"no _quarto.yml found (looked in {REPO_ROOT} and {workdir}); pass project_config="
    )


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping; an empty file is ``{}``; errors name the file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RenderError(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RenderError(f"invalid YAML in {path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RenderError(f"{path}: expected a YAML mapping at the top level")
    return data


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """Split a ``---`` YAML front matter block off a document; returns (metadata, body)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            try:
                meta = yaml.safe_load("".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                raise RenderError(f"invalid YAML front matter in {path}: {exc}") from exc
            if not isinstance(meta, dict):
                raise RenderError(f"{path}: front matter must be a YAML mapping")
            # keep line numbers of the body stable for error messages
            return meta, "\n" * i + "".join(lines[i + 1 :])
    raise RenderError(f"{path}: front matter starts with '---' but is never closed")


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated recursively with ``override`` (mappings merge, rest replaces)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _format_section(config: dict[str, Any], fmt: str, path: Path) -> dict[str, Any]:
    section = (config.get("format") or {}).get(fmt) or {}
    if not isinstance(section, dict):
        raise RenderError(f"{path}: format.{fmt} must be a mapping")
    return section


def _absolute_css(section: dict[str, Any], base: Path) -> dict[str, Any]:
    if "css" not in section:
        return section
    css = section["css"]
    css = [css] if isinstance(css, str) else list(css or [])
    return {**section, "css": [str((base / c).resolve()) for c in css]}


@dataclass(frozen=True)
class ReportSource:
    """A report's settings and text, each file read once (see :func:`read_source`)."""

    workdir: Path
    doc_path: Path
    config_path: Path
    project: dict[str, Any]
    meta_path: Path
    meta_file: dict[str, Any]
    front: dict[str, Any]
    #: The document after its front matter; includes not resolved.
    body: str

    def metadata(self, fmt: str | None) -> dict[str, Any]:
        """Merged settings for one Quarto format (``None``: top-level metadata only).

        ``css`` entries are made absolute; the order is the module docstring's.
        """
        layers: list[dict[str, Any]] = []
        for data, base, path in (
            (self.project, self.config_path.parent, self.config_path),
            (self.meta_file, self.workdir, self.meta_path),
            (self.front, self.workdir, self.doc_path),
        ):
            layers.append({k: v for k, v in data.items() if k not in RESERVED_KEYS})
            if fmt is not None:
                layers.append(_absolute_css(_format_section(data, fmt, path), base))
        merged: dict[str, Any] = {}
        for layer in layers:
            merged = deep_merge(merged, layer)
        return merged


def read_source(workdir: Path, source: str, config_path: Path) -> ReportSource:
    """Read the document, ``_meta.yml`` and the project config of a report."""
    workdir = Path(workdir)
    doc_path = workdir / source
    try:
        text = doc_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot read report source {doc_path}: {exc}") from exc
    front, body = split_front_matter(text, doc_path)
    project = load_yaml(config_path)
    meta_path = workdir / "_meta.yml"
    meta_file = load_yaml(meta_path) if meta_path.is_file() else {}
    return ReportSource(
        workdir, doc_path, Path(config_path), project, meta_path, meta_file, front, body
    )


def merged_metadata(
    workdir: Path, source: str, config_path: Path, fmt: str | None
) -> tuple[dict[str, Any], str]:
    """Merge project config, ``_meta.yml`` and front matter for one format.

    Parameters
    ----------
    fmt : {"html", "typst"} or None
        Quarto format name; None merges the top-level metadata only.

    Returns
    -------
    (metadata, body)
        The merged metadata (``css`` entries made absolute) and the document body.
    """
    report = read_source(workdir, source, config_path)
    return report.metadata(fmt), report.body


def is_synthetic(meta: dict[str, Any]) -> bool:
    """True when the report is built from demo data (``synthetic-data: true``)."""
    value = meta.get("synthetic-data", False)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def format_date(value: Any, lang: str = "nl") -> str:
    """Format an ISO date as a Dutch long date ("15 januari 2025"); other values as text.

    >>> format_date("2025-01-15")
    '15 januari 2025'
    >>> format_date("voorjaar 2025")
    'voorjaar 2025'
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(value, dt.date) and lang.lower().startswith("nl"):
        return f"{value.day} {_MONTHS_NL[value.month - 1]} {value.year}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- includes and shortcodes -------------------------------------------------------------


def resolve_includes(text: str, path: Path, root: Path, _stack: tuple[Path, ...] = ()) -> str:
    """Replace ``{{< include file >}}`` shortcodes by the file contents, recursively.

    Paths are relative to the including file (``/x`` relative to ``root``). Any other
    shortcode, a missing file or an include cycle raises RenderError naming the file and
    line.
    """
    stack = (*_stack, path.resolve())
    if len(stack) > _MAX_INCLUDE_DEPTH:
        raise RenderError(f"{path}: includes nested deeper than {_MAX_INCLUDE_DEPTH} levels")

    def replace(match: re.Match[str]) -> str:
        line = text.count("\n", 0, match.start()) + 1
        if match.group(1) != "include":
            raise RenderError(
                f"{path}, line {line}: unsupported shortcode {match.group(0)} "
                "(the builtin engine supports only {{< include file >}})"
            )
        arg, target = include_target(match, path, root)
        if not arg:
            raise RenderError(f"{path}, line {line}: include shortcode without a file")
        if not target.is_file():
            raise RenderError(
                f"{path}, line {line}: include file not found: {arg} (looked for {target})"
            )
        if target.resolve() in stack:
            raise RenderError(f"{path}, line {line}: include cycle through {arg}")
        return resolve_includes(included_text(target), target, root, stack)

    return SHORTCODE_RE.sub(replace, text)


def include_target(match: re.Match[str], path: Path, root: Path) -> tuple[str, Path]:
    """The file an include shortcode names, as written and as a path: relative to the
    including file ``path``, or to ``root`` when it starts with ``/``."""
    arg = match.group(2).strip().strip("\"'")
    return arg, (root / arg.lstrip("/")) if arg.startswith("/") else (path.parent / arg)


def included_text(target: Path) -> str:
    """An included file's text as the include inserts it: no front matter, no blank
    lines around it (its own includes not resolved)."""
    _, text = split_front_matter(target.read_text(encoding="utf-8"), target)
    return text.strip("\n")


# --- pandoc and typst --------------------------------------------------------------------


@dataclass(frozen=True)
class PandocJob:
    """One output format: the document pandoc reads and the options it writes with."""

    #: Metadata block (this format's merged settings) and body, includes resolved.
    document: str
    #: Writer options (``--to``, template, TOC, ...).
    args: list[str]
    #: For messages: ``"<document> to HTML"``.
    what: str


def _document(meta: dict[str, Any], body: str) -> str:
    dumped = yaml.safe_dump(meta, sort_keys=True, allow_unicode=True, default_flow_style=False)
    return f"---\n{dumped}---\n{body}"


def _pandoc_meta(meta: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split merged metadata into (document metadata, format options)."""
    options_keys = {
        "toc",
        "toc-depth",
        "number-sections",
        "css",
        "embed-resources",
        "section-numbering",
        "papersize",
    }
    doc = {k: v for k, v in meta.items() if k not in options_keys}
    opts = {k: v for k, v in meta.items() if k in options_keys}
    lang = str(doc.get("lang") or "nl")
    doc["lang"] = lang
    if "date" in doc:
        doc["date"] = format_date(doc["date"], lang)
    for key in ("title", "subtitle", "area-name"):
        if key in doc and not isinstance(doc[key], str):
            doc[key] = str(doc[key])
    return doc, opts


def _toc_args(opts: dict[str, Any]) -> list[str]:
    if not opts.get("toc"):
        return []
    return ["--toc", f"--toc-depth={int(opts.get('toc-depth', 3))}"]


def html_job(report: ReportSource, body: str) -> PandocJob:
    """The HTML job: one self-contained file (resources embedded by :func:`render_html`)."""
    meta = report.metadata("html")
    doc, opts = _pandoc_meta(meta)
    doc.setdefault("toc-title", "Inhoudsopgave")
    # Stylesheets and images are embedded afterwards (indicators.render.embed), not with
    # pandoc's --embed-resources, which re-writes the whole document to do it.
    args = [
        "--to",
        "html5",
        "--template",
        str(HTML_TEMPLATE),
        "--section-divs",
        "--css",
        str(BASE_CSS),
    ]
    for css in opts.get("css", []):
        if not Path(css).is_file():
            raise RenderError(f"stylesheet not found: {css} (format.html.css)")
        args += ["--css", css]
    args += _toc_args(opts)
    if opts.get("number-sections"):
        args.append("--number-sections")
    if is_synthetic(meta):
        args += ["--include-before-body", str(SYNTHETIC_BANNER)]
    return PandocJob(_document(doc, body), args, f"{report.doc_path} to HTML")


def pdf_job(report: ReportSource, body: str) -> PandocJob:
    """The PDF job: Typst markup, compiled by :func:`render_pdf`."""
    meta = report.metadata("typst")
    doc, opts = _pandoc_meta(meta)
    lang = doc["lang"]
    args = ["--to", "typst", "--template", str(TYPST_TEMPLATE)]
    args += ["-V", f"lang={lang.split('-')[0].lower()}"]
    args += ["-V", f"papersize={opts.get('papersize', 'a4')}"]
    args += _toc_args(opts)
    if opts.get("number-sections"):
        args += ["-V", f"section-numbering={opts.get('section-numbering') or '1.1'}"]
    if is_synthetic(meta):
        args += ["--include-in-header", str(SYNTHETIC_HEADER)]
    return PandocJob(_document(doc, body), args, f"{report.doc_path} to PDF")


def render_html(job: PandocJob, ast: bytes, workdir: Path, out: Path, env: dict[str, str]) -> Path:
    """Write the HTML file ``out`` from the document's AST."""
    html = pandoc.write_format(ast, job.args, LUA_FILTER, workdir, env, job.what)
    out.write_text(embed_resources(html, workdir), encoding="utf-8")
    return out


@functools.cache
def _typst_fonts() -> tuple[str, ...]:
    import matplotlib

    return (str(Path(matplotlib.get_data_path()) / "fonts" / "ttf"),)


def render_pdf(
    job: PandocJob,
    ast: bytes,
    workdir: Path,
    out: Path,
    env: dict[str, str],
    source_date_epoch: int,
) -> Path:
    """Write Typst markup from the document's AST and compile it to the PDF ``out``.

    If typst fails, the markup is kept next to ``out`` (``.typ``) and named in the error.
    """
    markup = pandoc.write_format(ast, job.args, LUA_FILTER, workdir, env, job.what)
    result = typst_pool.pool().compile(markup, workdir, list(_typst_fonts()), source_date_epoch)
    if not result.ok:
        debug = out.with_suffix(".typ")
        debug.write_text(markup, encoding="utf-8")
        detail = result.data.decode("utf-8", "replace")
        detail = re.sub(r"__typst_py_bytes__\.typ", debug.name, detail)
        raise RenderError(
            f"typst could not compile {job.what} (generated Typst source kept in {debug}):\n"
            f"{detail}"
        )
    out.write_bytes(result.data)
    return out


def _read_all(
    documents: list[str],
    workdir: Path,
    env: dict[str, str],
    name: str,
    set_aside: dict[str, str] | None = None,
) -> dict[str, bytes]:
    """Each distinct document read once (in parallel if the formats' documents differ).

    ``set_aside`` maps placeholders in the documents to fragments read on their own
    and kept per process (:mod:`indicators.render.fragments`).
    """

    def read(document: str) -> bytes:
        return fragments.read_with(
            document,
            set_aside or {},
            lambda text: pandoc.read_markdown(text, workdir, env, name),
        )

    unique = list(dict.fromkeys(documents))
    if len(unique) == 1:
        return {unique[0]: read(unique[0])}
    with ThreadPoolExecutor(max_workers=len(unique)) as threads:
        futures = {d: threads.submit(read, d) for d in unique}
        return {d: f.result() for d, f in futures.items()}


def render_builtin(
    workdir: Path,
    *,
    source: str = "index.qmd",
    formats: tuple[str, ...] = ("html", "pdf"),
    project_config: Path | None = None,
    source_date_epoch: int = 0,
) -> dict[str, Path]:
    """Render a report working directory with pandoc + typst; see the module docstring."""
    workdir = Path(workdir).resolve()
    config_path = find_project_config(workdir, project_config)
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(source_date_epoch)}
    stem = Path(source).stem
    unknown = [f for f in formats if f not in ("html", "pdf")]
    if unknown:
        raise RenderError(f"unknown output format {unknown[0]!r} (expected 'html' or 'pdf')")
    if not formats:
        return {}
    if "pdf" in formats:
        typst_pool.pool().warm()  # its start-up overlaps reading and writing
    report = read_source(workdir, source, config_path)
    # Shared fragments (the annex) are read once per process, not with each report.
    text, set_aside = fragments.set_aside(report.body, report.doc_path, workdir)
    body = resolve_includes(text, report.doc_path, workdir)
    jobs = {fmt: (html_job if fmt == "html" else pdf_job)(report, body) for fmt in formats}
    # The formats' documents differ only if their metadata does (not for _quarto.yml).
    documents = [j.document for j in jobs.values()]
    asts = _read_all(documents, workdir, env, str(report.doc_path), set_aside)

    def one(fmt: str) -> Path:
        out = workdir / f"{stem}.{fmt}"
        ast = asts[jobs[fmt].document]
        if fmt == "html":
            return render_html(jobs[fmt], ast, workdir, out, env)
        return render_pdf(jobs[fmt], ast, workdir, out, env, source_date_epoch)

    if len(formats) < 2:
        return {fmt: one(fmt) for fmt in formats}
    # HTML and PDF are independent: write them at once (pandoc and typst run in other
    # processes), which shortens a report's wall time; outputs do not change.
    with ThreadPoolExecutor(max_workers=len(formats)) as threads:
        futures = {fmt: threads.submit(one, fmt) for fmt in formats}
        return {fmt: fut.result() for fmt, fut in futures.items()}
