"""Benchmark of the province report at N synthetic areas: time, peak RSS and sizes (issue 7).

Run with ``.venv/bin/python benchmarks/province.py 300 3000`` (not part of
``make test``; about 5 minutes for 3,000 areas, most of it generating the data and
the compute step). For each N it

1. generates ``10 N`` synthetic buurten in N areas (:mod:`indicators.scale`), or
   reuses ``--data-root/<N>`` when it holds them already;
2. runs the compute step (its own process, not timed here: ``benchmarks/run.py``
   measures it);
3. builds the province report alone in a fresh process, as ``indicators build``
   does (warm notebook, then the built-in engine), and reports the notebook's and
   the render's wall time, the peak RSS of that process and its children
   (pandoc, typst; ``ru_maxrss``, the same number ``/usr/bin/time -v`` prints), and
   the sizes of the fragments, figures, HTML, PDF and downloads.

``--keep DIR`` keeps each run's work dir (fragments, figures, HTML, PDF) in
``DIR/<N>`` for inspection; ``--demo`` measures the embedded demo data too.
Prints one JSON object per run and writes them to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

COMPUTE = """
import sys
from pathlib import Path
from indicators.pipeline import Paths, compute_step
data, params, build = map(Path, sys.argv[1:4])
compute_step(Paths.default(data_dir=data, params_dir=params, build_dir=build))
"""

# The province report as pipeline.build_report makes it, minus publishing, so that
# the work dir (fragments, figures) can be kept.
PROVINCE = """
import json, resource, shutil, sys, time
from pathlib import Path

import yaml

from indicators import pipeline
from indicators.render import render
from indicators.store import source_date_epoch
from indicators.warm import execute

data, params, build, work = map(Path, sys.argv[1:5])
paths = pipeline.Paths.default(data_dir=data, params_dir=params, build_dir=build)
spec = pipeline.province_spec()
results_dir = build / "compute"
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
shutil.copyfile(paths.root / spec.template, work / "index.qmd")
meta = json.loads((results_dir / "meta.json").read_text(encoding="utf-8"))
epoch = source_date_epoch(paths.root)
(work / "_meta.yml").write_text(
    yaml.safe_dump(
        pipeline._meta(spec, bool(meta["provenance"].get("synthetic")), epoch),
        allow_unicode=True, sort_keys=True,
    ),
    encoding="utf-8",
)
params_nb = {
    **spec.parameters,
    **{name: paths.notebook_value(name) for name in spec.path_params},
    "results_dir": str(results_dir.resolve()),
    "fragments_dir": str((work / "_fragments").resolve()),
}
t = time.perf_counter()
execute(paths.root / spec.notebook, work / "provincie.ipynb", params_nb, work,
        keep_notebook=False, audit_out=work / "audit.json")
t_nb = time.perf_counter() - t
rss_nb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
out = render(work, engine="builtin", source_date_epoch=epoch)
t_render = time.perf_counter() - t

def size(p):
    p = Path(p)
    return p.stat().st_size if p.is_file() else sum(f.stat().st_size for f in p.rglob("*") if f.is_file())

frag = work / "_fragments"
audit = json.loads((work / "audit.json").read_text(encoding="utf-8"))
print(json.dumps({
    "notebook_s": round(t_nb, 2),
    "cell_s": audit["cell_seconds"],
    "render_s": round(t_render, 2),
    "peak_rss_notebook_mb": round(rss_nb),
    "peak_rss_process_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    "peak_rss_children_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    "markdown_kb": {f.name: round(f.stat().st_size / 1024, 1) for f in sorted(frag.glob("*.md"))},
    "figures_mb": round(size(frag / "figures") / 2**20, 2),
    "downloads_mb": round(size(frag / "downloads") / 2**20, 2),
    "html_mb": round(size(out["html"]) / 2**20, 2),
    "pdf_mb": round(size(out["pdf"]) / 2**20, 2),
}))
"""


def _run(code: str, *args: object) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return out.stdout


def measure(data: Path, params: Path, build: Path, work: Path) -> dict:
    """Compute once, then build the province report in a fresh process and measure it."""
    if not (build / "compute" / "meta.json").exists():
        _run(COMPUTE, data, params, build)
    return json.loads(_run(PROVINCE, data, params, build, work).strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("areas", type=int, nargs="*", default=[300, 3000], help="numbers of areas")
    ap.add_argument("--demo", action="store_true", help="also measure the embedded demo data")
    ap.add_argument("--data-root", type=Path, help="reuse (or keep) generated data here")
    ap.add_argument("--keep", type=Path, help="keep each run's work dir in KEEP/<N>")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "province.json")
    args = ap.parse_args(argv)
    from indicators.scale import generate

    tmp = Path(tempfile.mkdtemp(prefix="indicators-province-"))
    root = args.data_root or tmp
    runs = []
    try:
        cases: list[tuple[str, Path, Path, Path]] = []
        if args.demo:
            cases.append(("demo", ROOT / "data" / "demo", ROOT / "params", tmp / "demo-build"))
        for n in args.areas:
            d = root / str(n)
            if not (d / "params").is_dir() or len(list((d / "params").glob("*.yml"))) != n:
                generate(n * 10, d, n_areas=n)
            cases.append((str(n), d / "data", d / "params", d / "build"))
        for label, data, params, build in cases:
            work = (args.keep or tmp / "work") / label
            r = {"areas": label, **measure(data, params, build, work)}
            print(json.dumps(r, ensure_ascii=False), flush=True)
            runs.append(r)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return runs


if __name__ == "__main__":
    main()
