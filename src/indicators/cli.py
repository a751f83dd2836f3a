"""Command line: ``indicators build | areas | validate | demo-data | scale-data``.

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
from rich.markup import escape

from indicators.exceptions import IndicatorsError, InputError

app = typer.Typer(
    help="Indicator reports for the social domain of the Province of Limburg.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_data_commands() -> None:
    """``indicators data fetch | import | verify | build-tables | validate | status``."""
    from indicators.realdata.cli import data_app

    app.add_typer(
        data_app, name="data", help="Real data: fetch, import, snapshot, harmonise, validate."
    )


_register_data_commands()
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
    # The message may quote data cells: never let them be read as Rich markup.
    err.print(f"[bold red]Fout:[/bold red] {escape(str(exc))}", highlight=False, soft_wrap=True)
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
    # Incremental, warm and distributed builds (indicators.cache, .warm, .distributed):
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be rebuilt and why; build nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild every selected report, also when up to date.")
    ] = False,
    notebooks: Annotated[
        bool,
        typer.Option(
            "--notebooks",
            help="Run each notebook with papermill on a fresh kernel and publish the executed "
            "notebook (audit trail); default: warm in-process execution with a JSON audit record.",
        ),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address (tcp://host:8786) to run the reports on, "
            "or 'local' for a local Dask cluster.",
        ),
    ] = None,
    params_dir: Annotated[
        Path | None, typer.Option(help="Directory with the params/*.yml (default: params).")
    ] = None,
    build_dir: Annotated[
        Path | None, typer.Option(help="Build and cache directory (default: _build).")
    ] = None,
    survey_dir: Annotated[
        Path | None,
        typer.Option(help="Labour-migrant survey files (default: data/survey)."),
    ] = None,
    registers_dir: Annotated[
        Path | None,
        typer.Option(
            help="Registers: interventions, subsidies, statushouders as .xlsx or .csv "
            "(default: data/registers)."
        ),
    ] = None,
    boundaries: Annotated[
        Path | None,
        typer.Option(
            help="CBS wijk- en buurtkaart (GeoPackage): adds choropleths of wijken and buurten "
            "to the province report (needs geopandas).",
        ),
    ] = None,
) -> None:
    """Build per-area reports (HTML + PDF) and the site index into _output/.

    Incremental: only reports whose inputs (data slice, params, notebook, template,
    code, library versions) changed are rebuilt; the command says which and why.
    """
    from indicators.distributed import default_jobs

    if not dry_run and scheduler is None and (jobs or default_jobs()) > 1:
        # Report workers fork from a server that imports the report libraries: start
        # it before this process's own imports and planning (it ends with this process).
        from indicators.distributed import start_forkserver

        start_forkserver()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from indicators.cache import MODEL_CACHE
    from indicators.cache import build as run_build
    from indicators.config import load_areas, load_model_cache
    from indicators.pipeline import Paths, select

    try:
        for name, folder in (("--survey-dir", survey_dir), ("--registers-dir", registers_dir)):
            if folder is not None and not folder.is_dir():
                raise InputError(f"{name}: not a directory", path=str(folder))
        if boundaries is not None and not boundaries.is_file():
            raise InputError("--boundaries: file not found", path=str(boundaries))
        paths = Paths.default(
            output_dir=output_dir,
            data_dir=data_dir,
            params_dir=params_dir,
            build_dir=build_dir,
            survey_dir=survey_dir,
            registers_dir=registers_dir,
            boundaries=boundaries,
        )
        load_model_cache(paths.build_dir / "cache" / MODEL_CACHE)  # validated params
        todo = select(load_areas(paths.params_dir), areas, all_)
        _freeze_gc()
        with_province = province if province is not None else (all_ or not areas)
        total = len(todo) + 2 * int(with_province)  # the province and the survey report
        with Progress(
            TextColumn("[bold]Rapporten"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.description}"), console=err,
            disable=dry_run or (not sys.stderr.isatty() and total < 2),
        ) as prog:  # fmt: skip
            task = prog.add_task("", total=total)

            def tick(o):
                prog.update(task, advance=1, description=f"{'✓' if o.ok else '✗'} {o.slug}")

            result = run_build(
                areas,
                all_areas=all_,
                engine=engine.value,
                jobs=jobs,
                paths=paths,
                progress=tick,
                province=with_province,
                execution="papermill" if notebooks else "warm",
                notebooks=notebooks,
                force=force,
                dry_run=dry_run,
                scheduler=scheduler,
            )
    except IndicatorsError as exc:
        _fail(exc)
        return
    verb = "would rebuild" if dry_run else "rebuilt"
    for line in result.lines():
        out.print(f"{verb} {line}", highlight=False, soft_wrap=True)
    fresh = [s.name for s in result.steps if not s.stale]
    out.print(f"up to date: {len(fresh)} step(s)", highlight=False)
    if dry_run:
        return
    outcomes = result.outcomes
    ok = [o for o in outcomes if o.ok]
    bad = [o for o in outcomes if not o.ok]
    built = sum(1 for o in ok if not o.cached)
    out.print(
        f"{len(ok)} rapport(en) klaar ({built} gebouwd, {len(ok) - built} ongewijzigd) in "
        f"{paths.output_dir}; index: {paths.output_dir / 'index.html'}"
    )
    out.print(f"{result.seconds:.1f} s; {result.rss_line()}", highlight=False)
    for o in bad:
        nb = f" (notebook: {o.notebook})" if o.notebook else ""
        audit = f" (audit: {o.audit})" if o.audit else ""
        err.print(f"[red]✗ {o.slug}[/red]: {o.error}{nb}{audit}", highlight=False)
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


@app.command("scale-data")
def scale_data(
    n_buurten: Annotated[int, typer.Argument(help="Number of synthetic buurten (NL: ~14,500).")],
    out_dir: Annotated[Path, typer.Argument(help="Writes data/ and params/ here.")],
    areas: Annotated[
        int | None, typer.Option(help="Number of areas (default: one per wijk of 10 buurten).")
    ] = None,
) -> None:
    """Generate synthetic national-scale data (units, observations, params), streamed."""
    from indicators.scale import generate

    try:
        d = generate(n_buurten, out_dir, n_areas=areas)
    except IndicatorsError as exc:
        _fail(exc)
        return
    out.print(
        f"{d.n_buurten} buurten, {d.n_wijken} wijken, {d.n_gemeenten} gemeenten, "
        f"{d.n_observations} waarnemingen, {d.n_areas} gebieden in {d.seconds:.1f} s "
        f"(peak RSS {d.peak_rss_mb:.0f} MB)\n"
        f"indicators build --all --data-dir {d.data_dir} "
        f"--params-dir {d.params_dir} --build-dir {out_dir / 'build'} --output-dir {out_dir / 'out'}",
        highlight=False,
        soft_wrap=True,
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


#: True in the ``indicators`` process (:func:`run`); False for in-process callers.
_OWN_PROCESS = False


def _freeze_gc() -> None:
    """Leave what is loaded so far (modules, validated params) out of garbage collection.

    The cyclic garbage collector's full collections walk every tracked object:
    the toolkit's libraries and 3,000 params areas made six of them cost 0.35 s
    of a one-area rebuild at 3,000 areas (issue 7). ``gc.freeze`` moves the
    objects alive now to a generation that is never collected; what the build
    makes later is collected as usual. Only in the command's own process: a
    test or notebook that calls the CLI in-process keeps its collector as it is.
    """
    if _OWN_PROCESS:
        import gc

        gc.freeze()


def run() -> None:
    """The ``indicators`` command: the CLI, then an exit without the interpreter's teardown.

    Tearing down about a thousand modules and the build's in-memory caches
    took 0.25 s after every build at 3,000 areas (issue 7). This does what
    the interpreter does first when it exits (waits for non-daemon threads,
    runs the atexit handlers: the typst processes, multiprocessing's
    clean-up; flushes the standard streams) and then ends the process. An
    uncaught exception takes the usual way out. In-process use (tests,
    notebooks) calls ``app``, which does not end the process.
    """
    global _OWN_PROCESS
    _OWN_PROCESS = True
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code
    _exit_now(code)


def _exit_now(code) -> None:
    import atexit
    import logging
    import threading

    if code is None:
        code = 0
    elif not isinstance(code, int):  # as sys.exit("message") does
        print(code, file=sys.stderr)
        code = 1
    shutdown = getattr(threading, "_shutdown", None)  # what Py_FinalizeEx calls first
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing left to say
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
