"""Build pipeline: load -> compute (once, all areas) -> per-area notebook -> render.

Steps and their inputs::

    load      data/demo/units.csv, data/demo/observations.csv,
              data/catalogue/indicators.yml, params/*.yml
    compute   load                                   -> _build/compute/*.csv, meta.json
    area      compute, analysis/area.ipynb,
              reports/area.qmd, params/<slug>.yml    -> _build/areas/<slug>/ (notebook, fragments)
    render    area, _quarto.yml                      -> _output/areas/<slug>/
    index     all rendered areas                     -> _output/index.html

Each area is built in its own working directory (no shared state between
parallel renders; quarto-cli #6116, #5861) and only copied into ``_output``
when it is complete, as a whole (a directory swap, :func:`indicators.atomic.replace_dir`),
so an interrupted build never leaves a half-written or mixed report over a good one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from indicators.config import (
    CATALOGUE_OVERRIDES,
    AreaSet,
    load_areas,
    load_catalogue,
    project_root,
)
from indicators.exceptions import IndicatorsError
from indicators.present.formatting import fmt_date
from indicators.present.tables import escape_md

NOTEBOOK = "analysis/area.ipynb"
TEMPLATE = "reports/area.qmd"
PROVINCE_NOTEBOOK = "analysis/province.ipynb"
PROVINCE_TEMPLATE = "reports/province.qmd"
PROVINCE_KEY = "provincie"


@dataclass(frozen=True)
class Paths:
    """Where the build reads and writes; all derived from the project root."""

    root: Path
    data_dir: Path
    params_dir: Path
    build_dir: Path
    output_dir: Path
    #: The labour-migrant survey (microdata, codebook, margins).
    survey_dir: Path | None = None
    #: The registers (interventions, subsidies, status holders; CSV or Excel).
    registers_dir: Path | None = None
    #: Optional CBS wijk/buurt boundary file (GeoPackage) for the province's choropleths.
    boundaries: Path | None = None

    @classmethod
    def default(
        cls,
        root: Path | None = None,
        output_dir: Path | None = None,
        data_dir: Path | None = None,
        build_dir: Path | None = None,
        params_dir: Path | None = None,
        survey_dir: Path | None = None,
        registers_dir: Path | None = None,
        boundaries: Path | None = None,
    ) -> Paths:
        root = root or project_root()
        return cls(
            root=root,
            data_dir=data_dir or root / "data" / "demo",
            params_dir=params_dir or root / "params",
            build_dir=build_dir or root / "_build",
            output_dir=output_dir or root / "_output",
            survey_dir=survey_dir or root / "data" / "survey",
            registers_dir=registers_dir or root / "data" / "registers",
            boundaries=boundaries,
        )

    def notebook_value(self, name: str) -> str:
        """A path as a notebook parameter: absolute, or ``""`` when not given."""
        value = getattr(self, name)
        return str(Path(value).resolve()) if value else ""


@dataclass
class AreaOutcome:
    slug: str
    ok: bool
    outputs: dict[str, Path] = field(default_factory=dict)
    error: str = ""
    notebook: Path | None = None
    # Incremental and warm builds (indicators.cache, indicators.warm, indicators.distributed):
    audit: Path | None = None  # JSON audit record of the notebook run
    published: list[Path] = field(default_factory=list)  # every file copied into the output
    cached: bool = False  # up to date: not rebuilt
    reasons: list[str] = field(default_factory=list)  # why it was rebuilt
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # of the process that built it
    peak_rss_typst_mb: float = 0.0  # of its largest typst compile process so far


def load_inputs(
    paths: Paths, cache: bool = False, *, view: bool = False, kept_from: Path | None = None
):
    """Load and validate every input; raises InputError naming file/line/field.

    With ``cache``, the validated observations are kept in
    ``<build>/cache/observations/`` and the next read parses only the lines
    that changed (:mod:`indicators.obsstore`): reading and validating the
    whole file was most of a one-area rebuild at national size (issue 7).
    With ``view`` as well, the observations come as the store's
    :class:`~indicators.obsstore.ObservationView` (or a DataFrame when the
    file cannot be kept), for the incremental compute step, which reads only
    the rows of the units it recomputes. ``kept_from``: another build directory
    whose kept observations and units are used but never written (a dry run
    works in a scratch directory and leaves the build directory as it was).
    """
    from indicators.sources import load_observations, load_units

    # A data set may carry catalogue overrides (e.g. no sampling interval for the
    # RIVM model estimates; written by ``indicators data build-tables``).
    catalogue_file = paths.root / "data" / "catalogue" / "indicators.yml"
    catalogue = load_catalogue(catalogue_file, overrides=paths.data_dir)
    areas = load_areas(paths.params_dir)
    units_file, obs_file = paths.data_dir / "units.csv", paths.data_dir / "observations.csv"
    if cache:
        from indicators import obsstore

        keep = kept_from is None
        kept = Path(kept_from or paths.build_dir) / "cache"
        if keep:  # the kept frame of earlier versions (420 MB at 3,000 areas)
            (kept / "inputs.pkl").unlink(missing_ok=True)
        key = _inputs_key(paths, catalogue_file, units_file)
        units = _kept_units(units_file, kept / "units.pkl", key, keep=keep)
        obs = obsstore.load(
            obs_file,
            kept / "observations",
            catalogue=catalogue,
            units=units,
            key=key,
            keep=keep,
        )
        if not view and isinstance(obs, obsstore.ObservationView):
            obs = obs.frame()
    else:
        units = load_units(units_file)
        obs = load_observations(obs_file, catalogue=catalogue, units=units)
    areas.check_units(set(units["unit_code"]))
    return catalogue, areas, units, obs


def _kept_units(units_file: Path, kept: Path, key: str, *, keep: bool = True):
    """The validated units, kept in ``kept`` (unless not ``keep``) for the next build with
    the same inputs key.

    Reading and validating 34,000 units took 0.2 s of a one-area rebuild at
    3,000 areas (issue 7). ``key`` (:func:`_inputs_key`) covers the file's
    content, the reading code and the library versions; a damaged or foreign
    file is read again from ``units_file``.
    """
    import dataclasses

    import pandas as pd

    from indicators.kept import load_keyed, save_keyed
    from indicators.sources import load_units

    units = load_keyed(kept, key)
    if isinstance(units, pd.DataFrame):
        notes = units.attrs.get("read_notes")
        if notes is not None:  # where the file is now (a moved project)
            units.attrs["read_notes"] = dataclasses.replace(notes, path=str(Path(units_file)))
        return units
    units = load_units(units_file)
    if keep:
        save_keyed(kept, key, units)
    return units


def _inputs_key(paths: Paths, *files: Path) -> str:
    """What the kept validated observations depend on besides their file."""
    import numpy as np
    import pandas as pd

    from indicators.cache import code_closure, digest, sha256_file

    inputs = [*files, paths.data_dir / CATALOGUE_OVERRIDES]
    code = code_closure({"indicators.sources", "indicators.obsstore"}, stop=frozenset())
    return digest(
        {
            "files": [sha256_file(f) if f.exists() else "absent" for f in inputs],
            "code": {name: sha256_file(f) for name, f in sorted(code.items())},
            "pandas": pd.__version__,
            "numpy": np.__version__,
        }
    )


def compute_step(paths: Paths, survey: bool = True, incremental: bool = True) -> Path:
    """Compute all statistics for all areas once; returns the results directory.

    With ``survey`` (the default) the survey analysis (:func:`survey_step`) runs
    too, so the directory is complete. The incremental build runs the two as
    separate steps: the survey does not depend on the indicator data or params.
    ``incremental``: see :func:`run_compute`.
    """
    out = run_compute(paths, incremental=incremental).results_dir
    if survey:
        survey_step(paths)
    return out


@dataclass(frozen=True)
class ComputeOutcome:
    """The results directory and what :func:`run_compute` recomputed (and why)."""

    results_dir: Path
    mode: str  # "full" or "incremental"
    reason: str
    recomputed: tuple[str, ...] = ()
    observations: str = "full read"  # how they were read (indicators.obsstore)


COMPUTE_STATE = "compute-state.json"


def run_compute(
    paths: Paths, incremental: bool = True, *, kept_from: Path | None = None
) -> ComputeOutcome:
    """Bring the indicator and trend-break results in ``<build>/compute`` up to date.

    With ``incremental`` (default) only the entities whose data or params
    changed are recomputed and their rows spliced into the earlier results
    (:mod:`indicators.incremental`; the same bytes as a full recompute); a
    change to the catalogue, the unit list, the compute code or the library
    versions, or no earlier results, recomputes everything. The outcome's
    ``reason`` says which. ``kept_from``: as for :func:`load_inputs`.
    """
    from indicators.incremental import update_results
    from indicators.store import path_label, provenance
    from indicators.trendbreak import load_trendbreak_config

    catalogue, areas, units, obs = load_inputs(paths, cache=True, view=True, kept_from=kept_from)
    inputs = {
        "units": paths.data_dir / "units.csv",
        "observations": paths.data_dir / "observations.csv",
        **(
            {"catalogue overrides": paths.data_dir / CATALOGUE_OVERRIDES}
            if (paths.data_dir / CATALOGUE_OVERRIDES).exists()
            else {}
        ),
        "notebook": paths.root / NOTEBOOK,
        "template": paths.root / TEMPLATE,
        "province-notebook": paths.root / PROVINCE_NOTEBOOK,
        "province-template": paths.root / PROVINCE_TEMPLATE,
    }
    for folder in (paths.root / "data" / "catalogue", paths.root / "data" / "pc", paths.params_dir):
        inputs[str(folder)] = folder  # a folder gets one digest over its *.yml files
    synthetic = (paths.data_dir / "README.md").exists() and "synthetisch" in (
        paths.data_dir / "README.md"
    ).read_text(encoding="utf-8").lower()
    prov = provenance(
        inputs,
        data_label="Synthetische demonstratiegegevens (ingebouwd, deterministisch)"
        if synthetic
        else path_label(paths.data_dir, paths.root),
        synthetic=synthetic,
    )
    out = paths.build_dir / "compute"
    # Values, summary and the trend-break evidence (gap series, ITS, DiD, 2030 target).
    run = update_results(
        obs,
        units,
        catalogue,
        areas,
        load_trendbreak_config(catalogue=catalogue),
        out,
        prov,
        state_path=paths.build_dir / "cache" / COMPUTE_STATE,
        key=_compute_key(paths),
        incremental=incremental,
    )
    how = getattr(
        obs,
        "how",
        "full read (the kept observations do not fit, and a dry run keeps none)"
        if kept_from is not None
        else "full read (the file is not kept: not a plain CSV file)",
    )
    return ComputeOutcome(out, run.mode, run.reason, run.recomputed, how)


def _compute_key(paths: Paths) -> dict[str, str]:
    """What the results depend on besides the observations and params (a change: full recompute)."""
    from indicators.cache import code_closure, digest, environment, sha256_file
    from indicators.store import sha256_path

    overrides = paths.data_dir / CATALOGUE_OVERRIDES
    units = paths.data_dir / "units.csv"
    code = code_closure({"indicators.incremental", "indicators.sources"}, stop=frozenset())
    code["indicators.pipeline"] = Path(__file__)
    return {
        "catalogue": digest(
            [
                sha256_path(paths.root / "data" / "catalogue"),
                sha256_file(overrides) if overrides.exists() else "absent",
                # load_trendbreak_config reads the project's copy, also under another root
                sha256_file(project_root() / "data" / "catalogue" / "trendbreak.yml"),
            ]
        ),
        "unit list": sha256_file(units) if units.exists() else "absent",
        "code": digest({name: sha256_file(f) for name, f in sorted(code.items())}),
        "library versions": digest(environment()),
    }


SURVEY_RESULTS = "survey.pkl"


def need_step(
    paths: Paths, results_dir: Path | None = None, *, force: bool = False
) -> tuple[Path, bool]:
    """The need index over all wijken, for the province report: ``(file, recomputed)``.

    Kept beside the results (:func:`indicators.need.need_file`), not in them, so
    area reports do not depend on it, and tied to one compute run by the hash
    of its ``meta.json`` (:func:`indicators.need.results_key`). Up to date when
    the saved key matches; otherwise computed from the validated inputs the
    compute step keeps (``<build>/cache/observations``). ``force`` recomputes it anyway: the
    build does so whenever it rebuilds the province report, whose key covers
    the need code, so a code change cannot leave an old index in place. Only
    builds that include the province report run it, so a one-area rebuild
    does not pay for it (issue 7).
    """
    from indicators import need

    results_dir = Path(results_dir or paths.build_dir / "compute")
    path, key = need.need_file(results_dir), need.results_key(results_dir)
    if not force and need.saved_need_key(path) == key:
        return path, False
    catalogue, _, units, obs = load_inputs(paths, cache=True)
    need.save_need_index(need.build_need_index(obs, units, catalogue), path, key=key)
    return path, True


def survey_step(paths: Paths) -> Path:
    """The labour-migrant survey: validated, weighted, estimated and suppressed once.

    Writes ``<build>/compute/survey.pkl`` (read by the area, province and survey
    reports); returns its path.
    """
    from indicators.survey.analysis import run_survey_analysis, save_survey_results

    out = paths.build_dir / "compute"
    out.mkdir(parents=True, exist_ok=True)
    return save_survey_results(run_survey_analysis(paths.survey_dir), out / SURVEY_RESULTS)


@dataclass(frozen=True)
class ReportSpec:
    """One report to build: which notebook and template, with which parameters, to where."""

    key: str  # area slug, or "provincie"
    notebook: str  # relative to the project root
    template: str
    parameters: dict
    dest: str  # relative to the output dir
    pdf_name: str
    title: str
    subtitle: str
    area_name: str
    #: Names of :class:`Paths` fields passed to the notebook as parameters (absolute).
    path_params: tuple[str, ...] = ()


KIND_SUBTITLE = {
    "aandachtswijk": "Gebiedsgerichte aanpak",
    "dorpsaanpak": "Dorps- en wijkaanpak",
    "gemeente": "Gemeente",
    "provincie": "Provincie",
}
PROGRAMME = "Samen leven en bestaanszekerheid 2024-2027"


def area_spec(slug: str, areas: AreaSet) -> ReportSpec:
    area = areas[slug]
    return ReportSpec(
        key=slug,
        notebook=NOTEBOOK,
        template=TEMPLATE,
        parameters={"area": slug, "params_file": str(areas.paths[slug].resolve())},
        dest=f"areas/{slug}",
        pdf_name=f"{slug}.pdf",
        title=f"Indicatorenrapport {area.name}",
        subtitle=f"{KIND_SUBTITLE[area.kind]} · {PROGRAMME}",
        area_name=area.name,
        path_params=("data_dir", "registers_dir"),
    )


def province_spec() -> ReportSpec:
    return ReportSpec(
        key=PROVINCE_KEY,
        notebook=PROVINCE_NOTEBOOK,
        template=PROVINCE_TEMPLATE,
        parameters={},
        dest="provincie",
        pdf_name="provincie-limburg.pdf",
        title="Provinciaal overzicht Samen leven en bestaanszekerheid",
        subtitle=f"Alle gebiedsgerichte aanpakken, behoefte-index en planning en control · {PROGRAMME}",
        area_name="Provincie Limburg",
        path_params=("data_dir", "params_dir", "registers_dir", "boundaries"),
    )


SURVEY_KEY = "enquete-arbeidsmigranten"


def survey_spec() -> ReportSpec:
    """The thematic labour-migrant survey report (built with the province report)."""
    return ReportSpec(
        key=SURVEY_KEY,
        notebook="analysis/survey.ipynb",
        template="reports/survey.qmd",
        parameters={},
        dest=SURVEY_KEY,
        pdf_name=f"{SURVEY_KEY}.pdf",
        title="Arbeidsmigranten in Limburg: wonen, werk en behoeften",
        subtitle=f"Thematisch enquêterapport · {PROGRAMME}",
        area_name="Enquête arbeidsmigranten",
        path_params=("survey_dir",),
    )


def _meta(spec: ReportSpec, synthetic: bool, epoch: int) -> dict:
    import datetime as dt

    date = dt.datetime.fromtimestamp(epoch, tz=dt.UTC).date()
    subtitle = spec.subtitle + (" · Synthetische demonstratiegegevens" if synthetic else "")
    # Metadata strings are parsed as markdown by pandoc and Quarto: escape the
    # ones that carry names from params, so a name can never inject HTML.
    return {
        "title": escape_md(spec.title),
        "subtitle": escape_md(subtitle),
        "date": fmt_date(date),
        "lang": "nl",
        "author": "Provincie Limburg, limburg-indicators",
        "synthetic-data": synthetic,
        "area-name": escape_md(spec.area_name),
    }


def build_area(
    slug: str, paths: Paths, results_dir: Path, engine: str = "auto", keep_notebook: bool = True
) -> AreaOutcome:
    """Build the report of one area (see :func:`build_report`)."""
    return build_report(
        area_spec(slug, load_areas(paths.params_dir)), paths, results_dir, engine, keep_notebook
    )


def report_parameters(spec: ReportSpec, paths: Paths, results_dir: Path, work: Path) -> dict:
    """The parameters papermill injects into a report's notebook run in ``work``."""
    return {
        **spec.parameters,
        **{name: paths.notebook_value(name) for name in spec.path_params},
        "results_dir": str(results_dir.resolve()),
        "fragments_dir": str((work / "_fragments").resolve()),
    }


def build_report(
    spec: ReportSpec,
    paths: Paths,
    results_dir: Path,
    engine: str = "auto",
    keep_notebook: bool = True,
    execution: str = "warm",
) -> AreaOutcome:
    """Execute a report's notebook in its own work dir, render it, and publish it atomically.

    ``execution`` is ``"warm"`` (in this process, :mod:`indicators.warm`) or
    ``"papermill"`` (a fresh kernel); both write ``_build/audit/<key>.json``.
    """
    import json

    from indicators.render import render
    from indicators.store import source_date_epoch

    slug = spec.key
    work_root = paths.build_dir / "areas"
    work_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{slug}.", dir=work_root))
    nb_out = work / f"{slug}.ipynb"
    audit = paths.build_dir / "audit" / f"{slug}.json"
    failed = paths.build_dir / "failed" / f"{slug}.ipynb"
    # Records of an earlier run of this report: what this run leaves is all about it
    # (a failure must not point at an older failed notebook or an older "ok").
    for old in (audit, failed):
        old.unlink(missing_ok=True)
    try:
        shutil.copyfile(paths.root / spec.template, work / "index.qmd")
        meta = json.loads((results_dir / "meta.json").read_text(encoding="utf-8"))
        synthetic = bool(meta["provenance"].get("synthetic"))
        epoch = source_date_epoch(paths.root)
        (work / "_meta.yml").write_text(
            yaml.safe_dump(_meta(spec, synthetic, epoch), allow_unicode=True, sort_keys=True),
            encoding="utf-8",
        )
        from indicators.warm import execute

        execute(
            paths.root / spec.notebook,
            nb_out,
            report_parameters(spec, paths, results_dir, work),
            work,
            execution=execution,
            keep_notebook=keep_notebook,
            audit_out=audit,
        )
        produced = render(work, engine=engine, source_date_epoch=epoch)
        dest = paths.output_dir / spec.dest
        files = {produced["html"]: Path("index.html"), produced["pdf"]: Path(spec.pdf_name)}
        for src in sorted((work / "_fragments" / "downloads").glob("*")):
            files[src] = Path("downloads") / src.name
        if keep_notebook:
            files[nb_out] = Path(f"{slug}.ipynb")
        published = publish(files, dest, paths.build_dir / "publish")
        shutil.rmtree(work, ignore_errors=True)
        return AreaOutcome(
            slug,
            True,
            outputs={"html": dest / "index.html", "pdf": dest / spec.pdf_name},
            audit=audit,
            published=published,
        )
    except Exception as exc:  # one failed report must not stop the others
        if nb_out.exists():
            failed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(nb_out, failed)
        debug = bool(os.environ.get("INDICATORS_DEBUG"))
        msg = str(exc) if isinstance(exc, IndicatorsError) else f"{type(exc).__name__}: {exc}"
        if debug:
            msg += "\n" + traceback.format_exc()
        else:
            msg = msg.strip().splitlines()[-1] if msg.strip() else type(exc).__name__
        return AreaOutcome(
            slug,
            False,
            error=msg,
            notebook=failed if failed.exists() else None,
            audit=audit if audit.exists() else None,
        )


def execute_notebook(notebook: Path, out: Path, parameters: dict, cwd: Path) -> None:
    """Run a notebook with papermill on a kernel that talks over local IPC sockets.

    IPC (Unix sockets in the work dir) instead of papermill's default TCP
    ports: nothing listens on the network, and ipykernel does not warn about
    unencrypted TCP for every report.
    """
    import papermill as pm
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(cwd / ".kernel"))
    try:
        pm.execute_notebook(
            str(notebook),
            str(out),
            parameters=parameters,
            cwd=str(cwd),
            km=km,
            progress_bar=False,
            log_output=False,
        )
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)


def publish(files: dict[Path, Path], dest: Path, stage_root: Path) -> list[Path]:
    """Put a finished report in place as a whole (see :func:`indicators.atomic.replace_dir`).

    ``files`` maps each produced file to its path relative to ``dest``.
    """
    from indicators.atomic import replace_dir

    return replace_dir(files, dest, stage_root)


def select(areas: AreaSet, slugs: list[str] | None, all_: bool) -> list[str]:
    if all_ or not slugs:
        return sorted(a.slug for a in areas)
    return [areas[s].slug for s in slugs]


def build(
    slugs: list[str] | None = None,
    *,
    all_areas: bool = False,
    engine: str = "auto",
    jobs: int | None = None,
    paths: Paths | None = None,
    progress=None,
    province: bool | None = None,
    execution: str = "warm",
    notebooks: bool = True,
    force: bool = False,
    scheduler: str | None = None,
) -> list[AreaOutcome]:
    """Build reports: compute once, then every selected area (in parallel), then the index.

    Incremental: only steps whose inputs changed are rebuilt (:mod:`indicators.cache`);
    up-to-date reports come back with ``cached=True``.

    Parameters
    ----------
    slugs : list of str, optional
        Areas to build; all when empty or ``all_areas``.
    engine : {"auto", "quarto", "builtin"}
    jobs : int, optional
        Worker processes (default: all cores).
    progress : callable, optional
        Called as ``progress(outcome)`` after each report.
    province : bool, optional
        Also build the province-wide report; default: when building all areas.
    execution : {"warm", "papermill"}
        Warm worker processes (default) or a fresh papermill kernel per report.
    notebooks : bool
        Publish each report's executed notebook next to it.
    force : bool
        Rebuild everything selected, also when up to date.
    scheduler : str, optional
        Dask scheduler address (or ``"local"``); see :mod:`indicators.distributed`.
    """
    from indicators.cache import build as incremental_build

    return incremental_build(
        slugs,
        all_areas=all_areas,
        engine=engine,
        jobs=jobs,
        paths=paths,
        progress=progress,
        province=province,
        execution=execution,
        notebooks=notebooks,
        force=force,
        scheduler=scheduler,
    ).outcomes
