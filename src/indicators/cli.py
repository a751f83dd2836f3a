"""Command line: ``indicators build | areas | validate | demo-data``.

User errors (:class:`~indicators.exceptions.IndicatorsError`) print one clear
message and exit with status 1, without a traceback; ``--debug`` shows it.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from indicators.exceptions import IndicatorsError

app = typer.Typer(
    help="Indicator reports for the social domain of the Province of Limburg.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()


class Engine(StrEnum):
    auto = "auto"
    quarto = "quarto"
    builtin = "builtin"


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Build and check the indicator reports."""
    if debug:
        os.environ["INDICATORS_DEBUG"] = "1"


def _fail(exc: Exception) -> None:
    if os.environ.get("INDICATORS_DEBUG"):
        raise exc
    err.print(f"[bold red]Fout:[/bold red] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def build(
    areas: Annotated[
        list[str] | None, typer.Option("--area", "-a", help="Area slug; repeat for several.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Build every defined area.")] = False,
    engine: Annotated[
        Engine,
        typer.Option(
            help="Render engine: quarto when on PATH (auto), or the built-in pandoc+typst engine."
        ),
    ] = Engine.auto,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", help="Parallel worker processes (default: all cores)."),
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option(help="Output directory (default: _output).")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Directory with units.csv and observations.csv (default: embedded demo data)."
        ),
    ] = None,
    province: Annotated[
        bool | None,
        typer.Option(
            "--province/--no-province",
            help="Also build the province-wide report (default: with --all or without --area).",
        ),
    ] = None,
) -> None:
    """Build per-area reports (HTML + PDF) and the site index into _output/."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from indicators.config import load_areas
    from indicators.pipeline import Paths, select
    from indicators.pipeline import build as run_build

    try:
        paths = Paths.default(output_dir=output_dir, data_dir=data_dir)
        todo = select(load_areas(paths.params_dir), areas, all_)
        with_province = province if province is not None else (all_ or not areas)
        total = len(todo) + int(with_province)
        with Progress(
            TextColumn("[bold]Rapporten"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.description}"), console=err, disable=not sys.stderr.isatty() and total < 2,
        ) as prog:  # fmt: skip
            task = prog.add_task("", total=total)

            def tick(o):
                prog.update(task, advance=1, description=f"{'✓' if o.ok else '✗'} {o.slug}")

            outcomes = run_build(
                areas,
                all_areas=all_,
                engine=engine.value,
                jobs=jobs,
                paths=paths,
                progress=tick,
                province=with_province,
            )
    except IndicatorsError as exc:
        _fail(exc)
        return
    ok = [o for o in outcomes if o.ok]
    bad = [o for o in outcomes if not o.ok]
    out.print(
        f"{len(ok)} rapport(en) gebouwd in {paths.output_dir}; index: {paths.output_dir / 'index.html'}"
    )
    for o in bad:
        nb = f" (notebook: {o.notebook})" if o.notebook else ""
        err.print(f"[red]✗ {o.slug}[/red]: {o.error}{nb}", highlight=False)
    if bad:
        raise typer.Exit(1)


@app.command("areas")
def list_areas(
    kind: Annotated[
        str | None,
        typer.Option(help="Only this kind: aandachtswijk, dorpsaanpak, gemeente, provincie."),
    ] = None,
) -> None:
    """List the defined areas (params/*.yml)."""
    from rich.table import Table

    from indicators.config import load_areas

    try:
        areas = load_areas()
    except IndicatorsError as exc:
        _fail(exc)
        return
    t = Table("slug", "naam", "soort", "gemeente", "eenheden", "start")
    for a in sorted(areas, key=lambda a: (a.kind, a.slug)):
        if kind and a.kind != kind:
            continue
        t.add_row(
            a.slug,
            a.name,
            a.kind,
            a.municipality or "",
            str(len(a.units)),
            str(a.intervention_start),
        )
    out.print(t)


@app.command()
def validate(
    data_dir: Annotated[
        Path | None, typer.Option(help="Directory with units.csv and observations.csv.")
    ] = None,
) -> None:
    """Check the catalogue, params and data without building anything."""
    from indicators.pipeline import Paths, load_inputs

    try:
        catalogue, areas, units, obs = load_inputs(Paths.default(data_dir=data_dir))
    except IndicatorsError as exc:
        _fail(exc)
        return
    out.print(
        f"OK: {len(catalogue.indicators)} indicatoren, {len(areas)} gebieden, "
        f"{len(units)} eenheden, {len(obs)} waarnemingen."
    )


@app.command("demo-data")
def demo_data(
    out_dir: Annotated[
        Path | None, typer.Option(help="Where to write (default: data/demo).")
    ] = None,
) -> None:
    """Regenerate the embedded synthetic demo data (deterministic, byte-identical)."""
    from indicators import demo

    files = demo.generate(out_dir or demo.data_dir() / "demo")
    for p in files.values():
        out.print(str(p))


if __name__ == "__main__":  # pragma: no cover
    app()
