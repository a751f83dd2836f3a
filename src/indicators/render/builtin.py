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
3. pandoc writes one self-contained HTML file (``--embed-resources``: CSS inlined,
   images as data URIs, no scripts, no web fonts) and Typst markup, both through the Lua
   filter ``assets/quarto-compat.lua`` (figures, ``fig-alt``, numbering, cross-references,
   callouts, numeric columns) and the templates ``assets/report.html`` /
   ``assets/report.typ``.
4. ``typst.compile`` makes the PDF in-process, with ``timestamp=source_date_epoch`` and
   only bundled fonts, so two renders give byte-identical files.

``synthetic-data: true`` adds ``assets/synthetic-banner.html`` before the HTML body and
``assets/synthetic-header.typ`` (a running header) to the Typst header; the Quarto engine
uses the same two files.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

import indicators
from indicators.exceptions import RenderError
from indicators.render.features import SHORTCODE_RE

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

    layers: list[dict[str, Any]] = []
    for data, base, path in (
        (project, config_path.parent, config_path),
        (meta_file, workdir, meta_path),
        (front, workdir, doc_path),
    ):
        layers.append({k: v for k, v in data.items() if k not in RESERVED_KEYS})
        if fmt is not None:
            layers.append(_absolute_css(_format_section(data, fmt, path), base))
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer)
    return merged, body


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
        name, arg = match.group(1), match.group(2).strip().strip("\"'")
        if name != "include":
            raise RenderError(
                f"{path}, line {line}: unsupported shortcode {match.group(0)} "
                "(the builtin engine supports only {{< include file >}})"
            )
        if not arg:
            raise RenderError(f"{path}, line {line}: include shortcode without a file")
        target = (root / arg.lstrip("/")) if arg.startswith("/") else (path.parent / arg)
        if not target.is_file():
            raise RenderError(
                f"{path}, line {line}: include file not found: {arg} (looked for {target})"
            )
        if target.resolve() in stack:
            raise RenderError(f"{path}, line {line}: include cycle through {arg}")
        included = target.read_text(encoding="utf-8")
        _, included = split_front_matter(included, target)
        return resolve_includes(included.strip("\n"), target, root, stack)

    return SHORTCODE_RE.sub(replace, text)


# --- pandoc and typst --------------------------------------------------------------------


def pandoc_path() -> str:
    """The pandoc binary bundled by pypandoc-binary (or found by pypandoc)."""
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on the install
        raise RenderError(f"pandoc not available: {exc}") from exc


def _run_pandoc(
    args: list[str], document: str, workdir: Path, env: dict[str, str], what: str
) -> str:
    cmd = [pandoc_path(), "--from", "markdown", "--standalone", "--lua-filter", str(LUA_FILTER)]
    proc = subprocess.run(
        cmd + args,
        input=document.encode("utf-8"),
        capture_output=True,
        cwd=workdir,
        env=env,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        message = stderr.split("stack traceback:")[0].strip()
        message = re.sub(r"^Error running (Lua|filter \S+):\s*", "", message)
        message = re.sub(r"\S*quarto-compat\.lua:\d+: ", "", message)
        raise RenderError(f"pandoc could not render {what}: {message}")
    for line in stderr.splitlines():
        if line.strip():
            log.warning("pandoc (%s): %s", what, line)
    return proc.stdout.decode("utf-8")


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


def render_html(
    workdir: Path, source: str, config_path: Path, out: Path, env: dict[str, str]
) -> Path:
    """Render ``workdir/source`` to one self-contained HTML file ``out``."""
    meta, body = merged_metadata(workdir, source, config_path, "html")
    body = resolve_includes(body, workdir / source, workdir)
    doc, opts = _pandoc_meta(meta)
    doc.setdefault("toc-title", "Inhoudsopgave")
    args = [
        "--to",
        "html5",
        "--template",
        str(HTML_TEMPLATE),
        "--embed-resources",
        "--section-divs",
        "--resource-path",
        str(workdir),
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
    html = _run_pandoc(args, _document(doc, body), workdir, env, f"{workdir / source} to HTML")
    out.write_text(html, encoding="utf-8")
    return out


def _typst_fonts() -> list[str]:
    import matplotlib

    return [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")]


def render_pdf(
    workdir: Path,
    source: str,
    config_path: Path,
    out: Path,
    env: dict[str, str],
    source_date_epoch: int,
) -> Path:
    """Render ``workdir/source`` to Typst markup with pandoc and compile it to ``out``."""
    meta, body = merged_metadata(workdir, source, config_path, "typst")
    body = resolve_includes(body, workdir / source, workdir)
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
    what = f"{workdir / source} to PDF"
    markup = _run_pandoc(args, _document(doc, body), workdir, env, what)
    ok, result = _typst_compile(markup, workdir, _typst_fonts(), source_date_epoch)
    if not ok:
        debug = out.with_suffix(".typ")
        debug.write_text(markup, encoding="utf-8")
        detail = re.sub(r"__typst_py_bytes__\.typ", debug.name, result.decode("utf-8", "replace"))
        raise RenderError(
            f"typst could not compile {what} (generated Typst source kept in {debug}):\n{detail}"
        )
    out.write_bytes(result)
    return out


# typst keeps everything it memoises (comemo) in process-global caches, and
# typst-py has no way to evict them: in a long-lived worker the memory grew by
# about 60 MB per report (typst/typst#8495). Each PDF is therefore compiled in a
# short-lived child process (about 0.1 s to start), so the caches go with it.
_TYPST_CHILD = r"""
import json, sys
import typst
job = json.loads(sys.stdin.buffer.read())
try:
    pdf = typst.compile(
        job["markup"].encode("utf-8"), root=job["root"], font_paths=job["fonts"],
        ignore_system_fonts=True, timestamp=job["timestamp"], format="pdf",
    )
except Exception as exc:  # typst.TypstError and friends
    sys.stderr.write(str(getattr(exc, "diagnostic", "") or exc).strip())
    sys.exit(3)
sys.stdout.buffer.write(pdf)
"""


def _typst_compile(markup: str, root: Path, fonts: list[str], timestamp: int) -> tuple[bool, bytes]:
    """Compile Typst markup to PDF in a child process: ``(True, pdf)`` or ``(False, message)``."""
    import json
    import sys

    job = {"markup": markup, "root": str(root), "fonts": fonts, "timestamp": timestamp}
    proc = subprocess.run(
        [sys.executable, "-c", _TYPST_CHILD],
        input=json.dumps(job).encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if proc.returncode == 0:
        return True, proc.stdout
    if proc.returncode == 3:
        return False, proc.stderr
    raise RenderError(
        f"the typst process failed (exit {proc.returncode}): "
        + proc.stderr.decode("utf-8", "replace").strip()[-2000:]
    )


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

    def one(fmt: str) -> Path:
        out = workdir / f"{stem}.{fmt}"
        if fmt == "html":
            return render_html(workdir, source, config_path, out, env)
        return render_pdf(workdir, source, config_path, out, env, source_date_epoch)

    if len(formats) < 2:
        return {fmt: one(fmt) for fmt in formats}
    # HTML and PDF are independent: render them at once (pandoc and typst run outside
    # the GIL), which shortens a single report's wall time; outputs do not change.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(formats)) as pool:
        futures = {fmt: pool.submit(one, fmt) for fmt in formats}
        return {fmt: fut.result() for fmt, fut in futures.items()}
