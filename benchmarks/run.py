"""Benchmarks: per-report cost of the baseline and of the toolkit's build, in one run.

Run with ``make bench`` (not part of ``make test``). Every ratio is against a
baseline measured in the same run on the same areas, so a busy machine shifts
both sides; absolute seconds are only comparable within one run.

Measures, on K areas of the embedded demo data (built-in render engine):

a. baseline: plain papermill per area in a fresh process with a fresh kernel,
   followed by a render (the common practice; ``execution="papermill"``);
   a2. the same, as many processes at a time as (c) has workers;
b. warm: the toolkit's build with warm execution, one process (per report), and the
   notebook's part of it (the audit records' cell time);
c. warm, ``--jobs`` workers (all cores): wall time per report;
d. cache hit: the same build again, nothing stale (wall time per report);
e. incremental: one params file changed, rebuild of that area;
f. figures: one 2x3 trend figure written as SVG;
g. scale: generating N buurten and running the compute step (own process, peak RSS),
   then changing one buurt and running the (incremental) compute step again;
h. full builds of N areas (default 300; ``--full 300 3000``): ``indicators build --all``
   on synthetic national-shape data (10 buurten per area), in its own process, with
   wall time, peak RSS per process and of the whole process tree; then one buurt's data changed and ``indicators build --area``
   for the area that contains it (the incremental rebuild of one area);
i. render: the built-in engine on the K reports' work dirs (kept from (b)), per report:
   wall and CPU time (this process, pandoc and the typst processes), HTML and PDF at
   once as a build does, the CPU of reading the markdown and the wall time of the
   typst compile; peak memory of the typst processes;
j. floor: the notebook (b) plus the typst compile (i), the report's own work without
   writing any markup; (a) over it bounds the ratio (a)/(b) of any render design.

Writes ``benchmarks/results/latest.json`` and ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
AREAS = [
    "heerlen-noord",
    "gemeente-vaals",
    "veulen-castenray",
    "kerkrade-oost",
    "gemeente-venlo",
    "roermond-donderberg",
    "neer",
    "gemeente-weert",
]

BASELINE = """
import sys
from pathlib import Path
from indicators.config import load_areas
from indicators.pipeline import Paths, area_spec, build_report
slug, build, out, results = sys.argv[1:5]
paths = Paths.default(build_dir=Path(build), output_dir=Path(out))
spec = area_spec(slug, load_areas(paths.params_dir))
o = build_report(spec, paths, Path(results), "builtin", keep_notebook=True, execution="papermill")
sys.exit(0 if o.ok else o.error)
"""

SCALE = """
import json, sys, time
from pathlib import Path
from indicators.cache import ResultsIndex, peak_rss_mb
from indicators.pipeline import Paths, run_compute, survey_step
from indicators.scale import change_one_buurt, generate
n, out = int(sys.argv[1]), Path(sys.argv[2])
d = generate(n, out)
paths = Paths.default(data_dir=d.data_dir, params_dir=d.params_dir, build_dir=out / "build")
t = time.perf_counter()
results = run_compute(paths).results_dir
t_compute = time.perf_counter() - t
survey_step(paths)
t = time.perf_counter()
index = ResultsIndex(results)
keys = [index.slice_inputs(p.stem) for p in sorted(d.params_dir.glob("*.yml"))]
t_index = time.perf_counter() - t
# One buurt's numerator changed: the incremental compute step (issue 7).
change_one_buurt(d.data_dir, d.params_dir)
t = time.perf_counter()
run = run_compute(paths)
t_one = time.perf_counter() - t
print(json.dumps({
    "buurten": d.n_buurten, "wijken": d.n_wijken, "gemeenten": d.n_gemeenten,
    "areas": d.n_areas, "observations": d.n_observations,
    "generate_s": round(d.seconds, 2), "compute_s": round(t_compute, 2),
    "hash_slices_s": round(t_index, 3), "compute_one_buurt_s": round(t_one, 2),
    "compute_one_buurt": run.reason, "peak_rss_mb": peak_rss_mb()[0],
}))
"""


def _env() -> dict:
    versions = {}
    for pkg in ("limburg-indicators", "pandas", "numpy", "matplotlib", "papermill", "ipykernel",
                "pypandoc-binary", "typst", "xlsxwriter", "dask", "distributed"):  # fmt: skip
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "absent"
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "load_average_at_start": load,
        "versions": versions,
    }


def _median(xs: list[float]) -> float:
    return round(statistics.median(xs), 3) if xs else float("nan")


def _figures(n: int = 8) -> dict:
    """A report's 2x3 trend figure (five panels, four series, CI bands, event markers),
    written as SVG by :func:`indicators.present.charts.trend_panels`: seconds per figure."""
    import tempfile

    import numpy as np
    import pandas as pd

    from indicators.present import charts

    rng = np.random.default_rng(7)
    years = np.arange(2012, 2025)

    def panels(k: int) -> list[dict]:
        out = []
        for i in range(5):
            series = []
            for key in charts.STYLES:
                v = 50 * (1 + 0.05 * rng.standard_normal(len(years)).cumsum())
                frame = pd.DataFrame(
                    {"period": years, "value": v, "lower_ci": v - 2, "upper_ci": v + 2}
                )
                series.append(charts.Series(key, key, frame))
            out.append(
                {"title": f"Indicator {k}.{i}", "unit": "%", "decimals": 1, "series": series}
            )
        return out

    data = [panels(k) for k in range(n + 1)]
    with tempfile.TemporaryDirectory() as tmp:

        def draw(k: int) -> None:
            charts.trend_panels(
                data[k], Path(tmp) / "f.svg", intervention_start=2019.0, events=[2021.0],
                caption="c", alt_intro="a",
            )  # fmt: skip

        draw(n)  # load the font metrics
        t = time.perf_counter()
        for k in range(n):
            draw(k)
        per = (time.perf_counter() - t) / n
    return {"trend_figure_s": round(per, 4)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", "--areas", type=int, default=6, help="number of area reports (K)")
    ap.add_argument("--scale", type=int, default=3000, help="buurten in the scale run (0: skip)")
    ap.add_argument("--jobs", type=int, default=None, help="workers for (c) (default: all cores)")
    ap.add_argument(
        "--full",
        type=int,
        nargs="*",
        default=[300],
        help="full builds of these numbers of areas (h); none: skip",
    )
    ap.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = ap.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")

    from indicators import cache
    from indicators.distributed import default_jobs
    from indicators.pipeline import Paths

    slugs = AREAS[: args.areas]
    jobs = args.jobs or default_jobs()
    tmp = Path(tempfile.mkdtemp(prefix="indicators-bench-"))
    res: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "env": _env()}
    res["areas"] = slugs
    print(f"benchmark: {len(slugs)} area reports, {jobs} workers, scratch {tmp}", flush=True)
    try:
        params = tmp / "params"
        shutil.copytree(ROOT / "params", params)
        paths = Paths.default(params_dir=params, build_dir=tmp / "build", output_dir=tmp / "out")

        t = time.perf_counter()
        cache.build(slugs[:1], paths=paths, engine="builtin", jobs=1, province=False)
        res["first_build_one_area_s"] = round(time.perf_counter() - t, 2)  # compute + warm-up
        results_dir = paths.build_dir / "compute"

        # (a) baseline: a fresh process and kernel per report, then a render
        base = []
        for slug in slugs:
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", BASELINE, slug, str(tmp / "build-a"), str(tmp / "out-a"),
                 str(results_dir)],
                check=True, cwd=ROOT, env={**os.environ, "INDICATORS_ROOT": str(ROOT)},
            )  # fmt: skip
            base.append(time.perf_counter() - t)
            print(f"  (a) papermill {slug}: {base[-1]:.1f} s", flush=True)
        res["baseline_papermill_s"] = {"median": _median(base), "each": [round(x, 2) for x in base]}

        # (a2) the same baseline with as many processes at a time as (c) has workers:
        # the like-for-like comparison for parallel builds
        t = time.perf_counter()
        _parallel(
            [
                [sys.executable, "-c", BASELINE, slug, str(tmp / f"build-a2-{i}"),
                 str(tmp / "out-a2"), str(results_dir)]
                for i, slug in enumerate(slugs)
            ],
            jobs,
        )  # fmt: skip
        wall_a2 = time.perf_counter() - t
        res["baseline_parallel"] = {
            "jobs": jobs,
            "wall_s": round(wall_a2, 2),
            "wall_per_report": round(wall_a2 / len(slugs), 3),
        }
        print(
            f"  (a2) papermill, {jobs} at a time: {wall_a2 / len(slugs):.2f} s/report", flush=True
        )

        # (b) warm, one process: the per-report cost once the libraries are loaded.
        # Each report's work dir is kept for (i) (a copy after its render, ~5 ms).
        workdirs = tmp / "workdirs"
        t = time.perf_counter()
        with _keeping_workdirs(workdirs):
            r = cache.build(
                slugs, paths=paths, engine="builtin", jobs=1, province=False, force=True
            )
        wall_b = time.perf_counter() - t
        warm = [o.seconds for o in r.outcomes if not o.cached]
        assert not r.failed, [(o.slug, o.error) for o in r.failed]
        # the notebook's part of each report: its cells, as the audit record times them
        notebook = [
            json.loads((paths.build_dir / "audit" / f"{s}.json").read_text())["seconds"]
            for s in slugs
        ]
        res["warm_s"] = {
            "median": _median(warm),
            "each": [round(x, 2) for x in warm],
            "wall_per_report": round(wall_b / len(slugs), 3),
            "notebook_median": _median(notebook),
        }
        print(f"  (b) warm, 1 process: median {res['warm_s']['median']:.2f} s/report", flush=True)

        # (c) warm workers, all cores (fresh workers: includes their start-up)
        t = time.perf_counter()
        r = cache.build(slugs, paths=paths, engine="builtin", jobs=jobs, province=False, force=True)
        wall_c = time.perf_counter() - t
        assert not r.failed
        res["warm_jobs"] = {
            "jobs": jobs,
            "wall_s": round(wall_c, 2),
            "wall_per_report": round(wall_c / len(slugs), 3),
            "peak_rss_mb": r.peak_rss_mb,
            "peak_rss_worker_mb": r.peak_rss_workers_mb,
        }
        print(f"  (c) warm, {jobs} workers: {wall_c / len(slugs):.2f} s/report", flush=True)

        # (d) cache hit: nothing stale
        t = time.perf_counter()
        r = cache.build(slugs, paths=paths, engine="builtin", jobs=jobs, province=False)
        wall_d = time.perf_counter() - t
        assert r.rebuilt == [], r.lines()
        res["cache_hit"] = {
            "wall_s": round(wall_d, 3),
            "wall_per_report": round(wall_d / len(slugs), 3),
        }
        print(f"  (d) cache hit: {wall_d:.2f} s for {len(slugs)} reports", flush=True)

        # (e) incremental: one params file changed
        f = params / f"{slugs[0]}.yml"
        f.write_text(f.read_text(encoding="utf-8") + "# bewerkt\n", encoding="utf-8")
        t = time.perf_counter()
        r = cache.build(slugs, paths=paths, engine="builtin", jobs=jobs, province=False)
        wall_e = time.perf_counter() - t
        res["incremental_one_area"] = {
            "wall_s": round(wall_e, 2),
            "rebuilt": r.lines(),
            "compute_s": _seconds(paths, "compute"),
        }
        print(f"  (e) one params file changed: {wall_e:.1f} s ({'; '.join(r.lines())})", flush=True)

        # (f) figures
        res["figures"] = _figures()
        print(f"  (f) figure: {res['figures']}", flush=True)

        # (g) scale: own process, so its peak RSS is its own
        if args.scale:
            out = subprocess.run(
                [sys.executable, "-c", SCALE, str(args.scale), str(tmp / "scale")],
                check=True, capture_output=True, text=True, cwd=ROOT,
            )  # fmt: skip
            res["scale"] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"  (g) scale: {res['scale']}", flush=True)

        # (i) the built-in render engine alone
        res["render"] = _render(sorted(workdirs.iterdir()), tmp / "render")
        print(f"  (i) render: {res['render']}", flush=True)

        # (h) full builds of N areas, and one area's incremental rebuild
        res["full"] = [_full_build(n, tmp / f"full-{n}", jobs) for n in args.full or []]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    a = res["baseline_papermill_s"]["median"]
    a2 = res["baseline_parallel"]["wall_per_report"]
    res["ratios"] = {
        "baseline/warm (per report, 1 process)": round(a / res["warm_s"]["median"], 2),
        f"baseline/warm {jobs} workers (wall per report)": round(
            a / res["warm_jobs"]["wall_per_report"], 2
        ),
        "baseline/cache hit (wall per report)": round(a / res["cache_hit"]["wall_per_report"], 1),
        f"baseline {jobs} at a time / warm {jobs} workers (wall per report)": round(
            a2 / res["warm_jobs"]["wall_per_report"], 2
        ),
    }
    if "render" in res:
        # (j) What no renderer can remove: the notebook and the PDF's typst compile,
        # the part of (b) that is the report's own work (pandoc writes HTML and Typst
        # markup in between). (a) over it bounds the ratio of any render design.
        floor = res["warm_s"]["notebook_median"] + res["render"]["typst_compile_wall_s"]
        res["floor"] = {"seconds": round(floor, 3), "ratio_bound": round(a / floor, 2)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (HERE / "RESULTS.md").write_text(_markdown(res), encoding="utf-8")
    print(_markdown(res))
    return res


def _parallel(commands: list[list[str]], jobs: int) -> None:
    """Run the commands, ``jobs`` at a time; fail if one fails."""
    env = {**os.environ, "INDICATORS_ROOT": str(ROOT)}
    pending, running = list(commands), []
    while pending or running:
        while pending and len(running) < jobs:
            running.append(subprocess.Popen(pending.pop(0), cwd=ROOT, env=env))
        running[0].wait()
        for p in [p for p in running if p.poll() is not None]:
            if p.returncode:
                raise subprocess.CalledProcessError(p.returncode, p.args)
            running.remove(p)


@contextlib.contextmanager
def _keeping_workdirs(dest: Path):
    """Copy each report's work dir (without its outputs) to ``dest`` after its render."""
    import indicators.render as render_pkg

    real = render_pkg.render

    def render(work, **kwargs):
        produced = real(work, **kwargs)
        keep = {p.resolve() for p in produced.values()}
        shutil.copytree(
            work,
            dest / Path(work).name.split(".")[0],
            ignore=lambda d, names: [n for n in names if (Path(d) / n).resolve() in keep],
        )
        return produced

    render_pkg.render = render  # build_report imports it at call time
    try:
        yield
    finally:
        render_pkg.render = real


def _render(workdirs: list[Path], scratch: Path, rounds: int = 3) -> dict:
    """(i) ``render_builtin`` on kept work dirs: per-report wall and CPU (medians)."""
    from indicators.render import pandoc, typst_pool
    from indicators.render.builtin import render_builtin

    def cpu() -> float:
        # this process, its finished children (pandoc, retired typst processes) and the
        # typst processes still running: a difference counts each CPU second once
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system + pool.stats().cpu_s

    def children() -> float:
        t = os.times()
        return t.children_user + t.children_system

    reads: list[float] = []
    real_read = pandoc.read_markdown

    def read(*args, **kwargs):
        c = children()  # nothing else runs while the markdown is read
        out = real_read(*args, **kwargs)
        reads.append(children() - c)
        return out

    pool = typst_pool.pool()
    render_builtin(_fresh(workdirs[0], scratch))  # start-up: imports, first typst process
    walls, cpus = [], []
    compiles: list[float] = []
    real_compile = pool.compile

    def compile_(*args, **kwargs):
        t = time.perf_counter()
        out = real_compile(*args, **kwargs)
        compiles.append(time.perf_counter() - t)
        return out

    pandoc.read_markdown = read
    pool.compile = compile_
    try:
        for _ in range(rounds):
            for wd in workdirs:
                work = _fresh(wd, scratch)
                c, t = cpu(), time.perf_counter()
                render_builtin(work)
                walls.append(time.perf_counter() - t)
                cpus.append(cpu() - c)
    finally:
        pandoc.read_markdown = real_read
        del pool.compile
    stats = pool.stats()
    return {
        "reports": len(workdirs),
        "rounds": rounds,
        "wall_s": _median(walls),
        "cpu_s": _median(cpus),
        "pandoc_read_cpu_s": _median(reads),
        "typst_compile_wall_s": _median(compiles),
        "typst_processes_started": stats.started,
        "typst_peak_rss_mb": stats.peak_rss_mb,
    }


def _fresh(workdir: Path, scratch: Path) -> Path:
    """A new copy of a kept work dir (a render writes its outputs into it)."""
    dest = scratch / f"{workdir.name}-{time.perf_counter_ns()}"
    shutil.copytree(workdir, dest)
    return dest


def _cli(args: list[str]) -> tuple[float, str]:
    wall, text, _ = _cli_tree(args, sample=False)
    return wall, text


def _cli_tree(args: list[str], sample: bool = True) -> tuple[float, str, float]:
    """Run ``indicators ARGS``; with ``sample``, also the peak of the summed resident
    memory of the process and all its descendants (workers, pandoc, typst), sampled
    every 0.2 s with psutil (a dependency of dask.distributed). A sum of RSS counts
    pages shared between forked workers more than once: an upper bound."""
    import tempfile
    import threading

    import psutil

    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("indicators")), *args],
            stdout=log, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        )  # fmt: skip
        peak = 0.0
        stop = threading.Event()

        def watch() -> None:
            nonlocal peak
            root = psutil.Process(proc.pid)
            while not stop.wait(0.2):
                total = 0
                try:
                    tree = [root, *root.children(recursive=True)]
                except psutil.NoSuchProcess:
                    return
                for p in tree:
                    try:
                        total += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
                peak = max(peak, total / 2**20)

        watcher = threading.Thread(target=watch, daemon=True)
        if sample:
            watcher.start()
        rc = proc.wait()
        wall = time.perf_counter() - t
        stop.set()
        if sample:
            watcher.join()
        log.seek(0)
        text = log.read()
    if rc != 0:
        raise subprocess.CalledProcessError(rc, args, output=text)
    return wall, text, round(peak)


def _rss(text: str) -> tuple[float, float, float]:
    """Peak RSS (MB) of the build process, the largest report worker and the largest
    typst process, as printed."""
    import re

    text = " ".join(text.split())  # the console wraps long lines where it likes
    m = re.search(r"peak RSS: (\d+) MB \(build process\), (\d+) MB.*?, (\d+) MB", text)
    return tuple(float(g) for g in m.groups()) if m else (float("nan"),) * 3


def _full_build(n_areas: int, out: Path, jobs: int) -> dict:
    """(h) ``indicators build --all`` on N synthetic areas, then one buurt changed."""
    from indicators.scale import change_one_buurt, generate

    d = generate(n_areas * 10, out, n_areas=n_areas)
    dirs = ["--data-dir", str(d.data_dir), "--params-dir", str(d.params_dir),
            "--build-dir", str(out / "build"), "--output-dir", str(out / "out")]  # fmt: skip
    wall, text, tree_mb = _cli_tree(["build", "--all", "--jobs", str(jobs), *dirs])
    rss = _rss(text)
    print(
        f"  (h) full build, {n_areas} areas: {wall:.0f} s, peak RSS {rss}, "
        f"process tree {tree_mb} MB",
        flush=True,
    )
    # One buurt's numerator changed: rebuild the area that contains it.
    slug, _, _ = change_one_buurt(d.data_dir, d.params_dir)
    inc_wall, inc_text = _cli(["build", "--area", slug, "--jobs", str(jobs), *dirs])
    rebuilt = [ln for ln in inc_text.splitlines() if ln.startswith("rebuilt")]
    print(f"  (h) one buurt changed, rebuild {slug}: {inc_wall:.1f} s", flush=True)
    shutil.rmtree(out, ignore_errors=True)
    return {
        "areas": n_areas,
        "buurten": d.n_buurten,
        "observations": d.n_observations,
        "reports": n_areas + 2,  # and the province and survey reports
        "wall_s": round(wall, 1),
        "peak_rss_build_mb": rss[0],
        "peak_rss_worker_mb": rss[1],
        "peak_rss_typst_mb": rss[2],
        "peak_rss_tree_mb": tree_mb,
        "incremental_one_area_s": round(inc_wall, 2),
        "incremental_rebuilt": rebuilt,
    }


def _seconds(paths, step: str) -> float:
    m = json.loads((paths.build_dir / "cache" / "manifest.json").read_text(encoding="utf-8"))
    return float(m["steps"].get(step, {}).get("seconds", float("nan")))


def _markdown(r: dict) -> str:
    env = r["env"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `benchmarks/run.py` (`make bench`) on {r['date']}: {env['machine']}, "
        f"{env['cpus']} cores, Python {env['python']}, load average at start "
        f"{env['load_average_at_start']}. Ratios are against the baseline measured in the same "
        "run; absolute seconds depend on the machine's load.",
        "",
        f"Areas (K = {len(r['areas'])}): {', '.join(r['areas'])}; built-in render engine "
        "(HTML + PDF).",
        "",
        "| measure | seconds | ratio vs baseline |",
        "|---|---:|---:|",
        f"| (a) baseline: papermill, fresh process + kernel, then render (median per report) "
        f"| {r['baseline_papermill_s']['median']:.2f} | 1 |",
        f"| (a2) baseline, {r['baseline_parallel']['jobs']} processes at a time (wall per report) "
        f"| {r['baseline_parallel']['wall_per_report']:.2f} | |",
        f"| (b) warm execution, one process (median per report) | {r['warm_s']['median']:.2f} "
        f"| {list(r['ratios'].values())[0]} |",
        f"| (c) warm, {r['warm_jobs']['jobs']} workers (wall per report) "
        f"| {r['warm_jobs']['wall_per_report']:.2f} | {list(r['ratios'].values())[1]} |",
        f"| (d) cache hit, nothing stale (wall per report) | {r['cache_hit']['wall_per_report']:.3f} "
        f"| {list(r['ratios'].values())[2]} |",
        f"| (c) against (a2): both {r['warm_jobs']['jobs']} at a time (wall per report) | "
        f"| {list(r['ratios'].values())[3]} |",
        f"| (e) one params file changed: rebuild (compute + that area) | "
        f"{r['incremental_one_area']['wall_s']:.2f} | |",
        f"| (f) trend figure (2x3 panels, SVG) | {r['figures']['trend_figure_s']:.4f} | |",
    ]
    if "render" in r:
        x = r["render"]
        lines += [
            f"| (i) render, built-in engine, HTML + PDF at once: wall (median per report) "
            f"| {x['wall_s']:.3f} | |",
            f"| (i) render: CPU, this process + pandoc + typst (median per report) "
            f"| {x['cpu_s']:.3f} | |",
            f"| (i) render: of which pandoc reading the markdown (once per report) "
            f"| {x['pandoc_read_cpu_s']:.3f} | |",
            f"| (i) render: of which typst compiling the PDF (wall, median per report) "
            f"| {x['typst_compile_wall_s']:.3f} | |",
            f"| (j) floor: the notebook (b, cells) plus the PDF compile (i), no markup written "
            f"| {r['floor']['seconds']:.2f} | {r['floor']['ratio_bound']} |",
            f"| (i) render: typst processes started for {x['reports'] * x['rounds'] + 1} PDFs; "
            f"their peak RSS (MB) | {x['typst_processes_started']} / "
            f"{x['typst_peak_rss_mb']:.0f} | |",
        ]
    if "scale" in r:
        s = r["scale"]
        lines += [
            f"| (g) scale: generate {s['buurten']} buurten ({s['observations']} rows) "
            f"| {s['generate_s']:.1f} | |",
            f"| (g) scale: compute step, {s['areas']} areas | {s['compute_s']:.1f} | |",
            f"| (g) scale: hash every area's slice | {s['hash_slices_s']:.3f} | |",
            f"| (g) scale: compute step after one buurt changed ({s['compute_one_buurt']}) "
            f"| {s['compute_one_buurt_s']:.2f} | |",
        ]
    for f in r.get("full", []):
        lines += [
            f"| (h) full build, {f['areas']} areas ({f['reports']} reports, {f['buurten']} "
            f"buurten), `indicators build --all` | {f['wall_s']:.0f} | |",
            f"| (h) one buurt changed: `indicators build --area` ({f['areas']} areas) | "
            f"{f['incremental_one_area_s']:.1f} | |",
            f"| (h) peak RSS, {f['areas']} areas: build process / largest worker / largest "
            f"typst process (MB) | {f['peak_rss_build_mb']:.0f} / {f['peak_rss_worker_mb']:.0f}"
            f" / {f.get('peak_rss_typst_mb', float('nan')):.0f} | |",
            f"| (h) peak of the summed RSS of the build's whole process tree, {f['areas']} "
            f"areas (MB) | {f.get('peak_rss_tree_mb', float('nan')):.0f} | |",
        ]
    lines += [
        "",
        f"Peak RSS: build process {r['warm_jobs']['peak_rss_mb']:.0f} MB, largest report worker "
        f"{r['warm_jobs']['peak_rss_worker_mb']:.0f} MB"
        + (f", scale run {r['scale']['peak_rss_mb']:.0f} MB." if "scale" in r else "."),
        "",
        "Library versions: " + ", ".join(f"{k} {v}" for k, v in r["env"]["versions"].items()) + ".",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
