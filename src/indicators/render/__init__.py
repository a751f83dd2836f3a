"""Render a report working directory to HTML and PDF, with Quarto or the builtin engine.

A working directory holds ``index.qmd`` (text and layout only), ``_meta.yml`` (title,
subtitle, date, lang, area-name, ``synthetic-data``) and ``_fragments/`` (generated
markdown and figures, pulled in with ``{{< include _fragments/x.md >}}``). Each report
gets its own directory, so renders can run in parallel.

Engines:

- ``"quarto"`` (:mod:`indicators.render.quarto`): the reference renderer, used when
  ``quarto`` is on PATH.
- ``"builtin"`` (:mod:`indicators.render.builtin`): pandoc + typst, no Quarto needed.
- ``"auto"``: Quarto when available, else builtin.

Both read the shared format settings from the repository's ``_quarto.yml`` and support the
feature set documented in :mod:`indicators.render.features`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from indicators.exceptions import RenderError
from indicators.render.builtin import render_builtin
from indicators.render.features import Problem, check_sources
from indicators.render.quarto import quarto_executable, render_quarto

__all__ = ["Problem", "RenderError", "available_engine", "check_sources", "render"]

Engine = Literal["auto", "quarto", "builtin"]


def available_engine(engine: Engine = "auto") -> str:
    """Resolve an engine name to the one that will run.

    ``"auto"`` gives ``"quarto"`` when ``quarto`` is on PATH, else ``"builtin"``;
    ``"quarto"`` without Quarto installed raises RenderError.
    """
    if engine == "builtin":
        return "builtin"
    if engine == "quarto":
        if quarto_executable() is None:
            raise RenderError(
                "render engine 'quarto' requested but the 'quarto' command is not on PATH; "
                "install Quarto (https://quarto.org) or use engine='builtin'/'auto'"
            )
        return "quarto"
    if engine == "auto":
        return "quarto" if quarto_executable() is not None else "builtin"
    raise RenderError(f"unknown render engine {engine!r} (expected auto, quarto or builtin)")


def _epoch(source_date_epoch: int | None) -> int:
    if source_date_epoch is not None:
        return int(source_date_epoch)
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return 0
    try:
        return int(value)
    except ValueError as exc:
        raise RenderError(f"SOURCE_DATE_EPOCH must be an integer, got {value!r}") from exc


def render(
    workdir: Path,
    *,
    source: str = "index.qmd",
    formats: tuple[str, ...] | list[str] = ("html", "pdf"),
    engine: Engine = "auto",
    project_config: Path | None = None,
    source_date_epoch: int | None = None,
) -> dict[str, Path]:
    """Render ``workdir/source`` to the requested formats.

    Parameters
    ----------
    workdir : Path
        The report's own working directory (index.qmd, _meta.yml, _fragments/).
    source : str
        Document to render, relative to ``workdir``.
    formats : tuple of {"html", "pdf"}
        Outputs to produce.
    engine : {"auto", "quarto", "builtin"}
        See :func:`available_engine`.
    project_config : Path, optional
        The shared ``_quarto.yml``; default: the repository's.
    source_date_epoch : int, optional
        Timestamp for reproducible outputs; default ``$SOURCE_DATE_EPOCH`` or 0.

    Returns
    -------
    dict
        ``{"html": workdir/"index.html", "pdf": workdir/"index.pdf"}`` (requested keys).

    Raises
    ------
    RenderError
        Naming the file: missing include or figure, unsupported shortcode, pandoc,
        typst or Quarto errors.
    """
    workdir = Path(workdir)
    if not (workdir / source).is_file():
        raise RenderError(f"report source not found: {workdir / source}")
    formats = tuple(formats)
    unknown = [f for f in formats if f not in ("html", "pdf")]
    if unknown:
        raise RenderError(f"unknown output format(s) {unknown} (expected 'html' and/or 'pdf')")
    kwargs = dict(
        source=source,
        formats=formats,
        project_config=project_config,
        source_date_epoch=_epoch(source_date_epoch),
    )
    if available_engine(engine) == "quarto":
        return render_quarto(workdir, **kwargs)
    return render_builtin(workdir, **kwargs)
