"""Incremental builds: content-hashed steps as a Merkle DAG (cf. OWID etl checksums).

Every step has named inputs, each a content hash; the step's key is the
sha256 of its name and those inputs. A step is *stale* when its key changed
or one of its recorded outputs is missing or changed; only stale steps run.
Quarto's freeze is not used: it ignores data changes (quarto-cli #6793).

Steps and their inputs::

    compute    the data files, every file under data/ (catalogue, P&C, survey, ...),
               every params file, the notebooks and templates (their checksums go into
               the provenance), code, environment; when it runs, it recomputes only the
               entities whose data or params changed (indicators.incremental) and says so
    <area>     its results slice: the rows of values/summary/areas for the area and
               its benchmarks (gemeente, PV31, NL01), hashed per entity; its params
               file; notebook, template, _quarto.yml, styles, catalogue, interventions
               register; code; environment; report settings (title, engine)
    provincie  all results, the data files, every params file, registers, P&C, code, ...
    index      which reports exist in the output, every params file, site code

*Code* is the package version plus the sources in the static import closure of
what the step runs (for a report: the modules its notebook imports, plus
:mod:`indicators.render` and its assets, plus ``pipeline.py``), so a change to,
say, ``present/charts.py`` rebuilds the reports but not the compute step, and a
change to ``compute.py`` reruns compute but rebuilds only the reports whose
slice of the results changed. *Environment* is the versions of the libraries
that shape the output (pandas, matplotlib, pandoc, typst, ...).

Because an area report is keyed on its own slice, a change to one buurt's
data rebuilds exactly the reports whose rows changed (the areas that contain
the buurt, and those whose benchmark changed) plus the province report, which
reads everything. Each area notebook also *reads* only its slice (written to
``_build/slices/<slug>/``), so the per-report cost does not grow with the
number of areas.

The manifest (``_build/cache/manifest.json``) records each step's key, inputs
and outputs (sha256, size, mtime). Outputs whose size and mtime are unchanged
are trusted; others are hashed again. The reasons a step is stale are derived
by comparing the recorded inputs with the current ones, e.g.
``heerlen-noord: params/heerlen-noord.yml changed``.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path

import indicators
from indicators.config import CATALOGUE_OVERRIDES, load_model_cache, save_model_cache
from indicators.csvrecords import (
    SpliceError,
    TableIndex,
    content_digest,
    same_content,
    split_header,
    split_records,
)
from indicators.exceptions import IndicatorsError
from indicators.kept import sha256_file

MANIFEST_VERSION = 1
TABLES = ("values", "summary", "areas")
BENCHMARK_KEYS = ("PV31", "NL01")
#: Libraries whose version can change a report byte for byte.
ENV_PACKAGES = (
    "limburg-indicators",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "pyyaml",
    "pydantic",
    "pandera",
    "pypandoc-binary",
    "typst",
)
#: Modules whose effect on a report reaches it only through the (hashed) results.
DATA_BOUNDARY = frozenset({"indicators.compute"})
PACKAGE_DIR = Path(indicators.__file__).resolve().parent


class CacheError(IndicatorsError):
    """The build cache cannot be used (locked by another build, unreadable manifest)."""


# --------------------------------------------------------------------------- hashing


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(obj) -> str:
    """sha256 of a JSON-serialisable object in canonical form (sorted keys)."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return sha256_bytes(text.encode("utf-8"))


def step_key(step: str, inputs: dict[str, str]) -> str:
    """The Merkle key of a step: its name and the hashes of all its inputs.

    >>> step_key("x", {"a": "1"}) == step_key("x", {"a": "1"})
    True
    >>> step_key("x", {"a": "1"}) == step_key("x", {"a": "2"})
    False
    """
    return digest({"step": step, "inputs": inputs})


# --------------------------------------------------------------------------- code version


def _module_file(name: str) -> Path | None:
    """Source file of an ``indicators`` module (package ``__init__`` or module)."""
    parts = name.split(".")
    if parts[0] != "indicators":
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    py = base.with_suffix(".py")
    return py if py.is_file() else None


def _package_of(name: str, file: Path) -> str:
    return name if file.name == "__init__.py" else name.rpartition(".")[0]


def _imported_names(source: str, package: str) -> set[str]:
    """Every ``indicators...`` name an import statement in ``source`` mentions."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # e.g. IPython magics in a notebook cell: fall back to a regex
        return set(re.findall(r"^\s*(?:from|import)\s+(indicators(?:\.\w+)*)", source, re.M))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import submodule`
    return {m for m in found if m.split(".")[0] == "indicators"}


def imports_in_source(source: str, package: str = "indicators") -> set[str]:
    """``indicators`` modules imported anywhere in ``source`` (also inside functions).

    >>> sorted(imports_in_source("from indicators.present import area\\nimport os"))
    ['indicators.present', 'indicators.present.area']
    """
    return {m for m in _imported_names(source, package) if _module_file(m)}


# Imported names per source file, keyed by the file's content: parsing the ~60
# modules of a report's code closure cost 0.3-0.9 s per build (issue 7), so the
# names are kept in the build's cache directory (imports.json) between builds.
# The names are stored unfiltered; which of them are modules is checked on use.
_IMPORTS: dict[str, list[str]] = {}
_IMPORTS_USED: set[str] = set()


def _file_imports(file: Path, package: str) -> set[str]:
    """:func:`imports_in_source` of a file, parsed once per content version."""
    data = file.read_bytes()
    key = hashlib.sha256(package.encode() + b"\0" + data).hexdigest()
    names = _IMPORTS.get(key)
    if names is None:
        names = _IMPORTS[key] = sorted(_imported_names(data.decode("utf-8"), package))
    _IMPORTS_USED.add(key)
    return {m for m in names if _module_file(m)}


#: Validated params and catalogue models kept between builds (:func:`indicators.config.load_model_cache`).
MODEL_CACHE = "models.pkl"


def load_import_cache(path: Path) -> None:
    """Read the parsed imports kept by an earlier build (a damaged file is ignored)."""
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, dict):
            _IMPORTS.update({k: v for k, v in data.items() if isinstance(v, list)})


def save_import_cache(path: Path) -> None:
    """Keep the parsed imports of the files this build used (an old version is dropped)."""
    path = Path(path)
    used = {k: _IMPORTS[k] for k in sorted(_IMPORTS_USED)}
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text(encoding="utf-8")) == used:
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(used, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def code_closure(roots: Iterable[str], stop: frozenset[str] = DATA_BOUNDARY) -> dict[str, Path]:
    """Static import closure of ``roots`` inside the package, with parent packages.

    Modules in ``stop`` are left out and not followed: their effect on a report
    reaches it only through data that is hashed separately (the results).
    """
    todo = list(roots)
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        if name in seen or name in stop:
            continue
        file = _module_file(name)
        if file is None:
            continue
        seen[name] = file
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_file_imports(file, _package_of(name, file)) - seen.keys())
    return dict(sorted(seen.items()))


def notebook_imports(notebook: Path) -> set[str]:
    """``indicators`` modules imported by a notebook's code cells."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    found: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            found |= imports_in_source(src)
    return found


def environment() -> dict[str, str]:
    """Versions of Python and of the libraries that shape the outputs."""
    env = {"python": platform.python_version()}
    for pkg in ENV_PACKAGES:
        try:
            env[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            env[pkg] = "absent"
    return env


# --------------------------------------------------------------------------- results slices


def meta_digest(meta: dict) -> str:
    """Digest of ``meta.json`` without the fields that change with every commit or input.

    The git commit and the input checksums in the provenance change whenever
    anything changes; the rows of the results say what changed for a report.
    """
    meta = dict(meta)
    prov = dict(meta.get("provenance", {}))
    prov.pop("git_commit", None)
    prov.pop("inputs", None)
    meta["provenance"] = prov
    return digest(meta)


def result_files(results_dir: Path) -> list[str]:
    """Every results file except ``meta.json`` and temporary files, as relative paths."""
    d = Path(results_dir)
    rels = (p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())
    return sorted(r for r in rels if r != "meta.json" and not r.startswith(".") and "/." not in r)


def read_meta(results_dir: Path) -> dict:
    return json.loads((Path(results_dir) / "meta.json").read_text(encoding="utf-8"))


#: Whose rows an area report reads from each results table, beyond its own:
#: ``benchmarks`` = the area, its gemeente, PV31 and NL01 (as
#: :func:`indicators.present.area.select_area`); ``comparisons`` = the area and
#: the areas named in the ``comparison_areas`` column of its rows (the trend-break
#: section shows their names). Any other table whose first column is ``area``
#: gives the area's own rows; files without an ``area`` column are read whole.
#: tests/test_cache.py checks that notebooks produce the same fragments from a
#: slice as from the full results.
SLICE_RULES = {
    "values.csv": "benchmarks",
    "summary.csv": "benchmarks",
    "areas.csv": "benchmarks",
    "trendbreak/entities.csv": "comparisons",
}


_WHOLE = re.compile(r"^-?\d+$")
_NO_RECORDS = hashlib.sha256().hexdigest()


class _Table:
    """One entity table of the results: its :class:`~indicators.csvrecords.TableIndex`,
    and its bytes, read only when a slice needs records."""

    def __init__(self, path: Path, keep: bool = True):
        self.path = Path(path)
        self.index, data = TableIndex.of(self.path, keep=keep)
        self.header = self.index.header
        self.runs = self.index.runs
        self._data = data

    @property
    def data(self) -> bytes:
        """The records after the header, each ending in a newline."""
        if self._data is None:
            _, self._data = split_header(self.path.read_bytes(), self.path)
        if self._data and not self._data.endswith(b"\n"):
            self._data += b"\n"
        if len(self._data) != self.index.length:
            raise CacheError(f"{self.path} changed while the build read it")
        return self._data

    def records(self, entities: Iterable[str]) -> list[bytes]:
        """The records of these entities, in file order."""
        spans = sorted(s for e in entities for s in self.runs.get(e, []))
        if not spans:
            return []
        return split_records(b"".join(self._read(lo, hi) for lo, hi in spans))

    def _read(self, lo: int, hi: int) -> bytes:
        if self._data is not None:
            return self.data[lo:hi]
        if not self.index.fits(self.path):
            raise CacheError(f"{self.path} changed while the build read it")
        start = len(self.header) + 1  # the header line (an entity table's is one line)
        with open(self.path, "rb") as fh:
            fh.seek(start + lo)
            got = fh.read(hi - lo)
        if len(got) == hi - lo - 1 and hi == self.index.length:
            got += b"\n"  # the last record, without its newline
        return got

    def column(self, name: str, entity: str) -> list[str]:
        import csv

        cols = next(csv.reader([self.header.decode("utf-8")]))
        if name not in cols:
            return []
        k = cols.index(name)
        return [next(csv.reader([r.decode("utf-8")]))[k] for r in self.records([entity])]


class ResultsIndex:
    """The compute results, hashed per table and entity, for slicing per report.

    Records are kept as raw bytes, so a slice written by :meth:`write_slice`
    holds exactly the lines of the full tables (same order), and the digests
    in a report's key are digests of exactly those lines. Each entity's
    records are found as byte ranges (:func:`indicators.csvrecords.record_runs`)
    and hashed only when a report asks for them.
    """

    def __init__(self, results_dir: Path, keep: bool = True):
        self.dir = Path(results_dir)
        self.keep = keep  # what is learnt about the tables is kept next to them (not in a dry run)
        self.tables: dict[str, _Table] = {}
        self.whole: dict[str, str] = {}  # relpath -> sha256 of files read whole
        for rel in result_files(self.dir):
            f = self.dir / rel
            if f.suffix == ".csv":
                with open(f, "rb") as fh:
                    first = fh.read(5)
                if first == b"area," or first == b"area\n":
                    try:
                        self.tables[rel] = _Table(f, keep)
                    except SpliceError as err:
                        raise CacheError(str(err)) from None
                    continue
                if not first:
                    raise CacheError(f"empty results table: {f}")
            self.whole[rel] = sha256_file(f)
        missing = [t for t in TABLES if f"{t}.csv" not in self.tables]
        if missing:
            raise CacheError(f"results in {self.dir} lack the table(s) {missing}")
        self.meta = read_meta(self.dir)
        areas = self.tables["areas.csv"]
        self.gemeente = {a: g for a in areas.runs for g in areas.column("gemeente", a) if g}

    def rule(self, table: str) -> str:
        return SLICE_RULES.get(table, "self")

    def entities(self, slug: str, rule: str) -> list[str]:
        """The entities whose rows a report of ``slug`` reads under ``rule``."""
        if rule == "self":
            return [slug]
        if rule == "benchmarks":
            keys = [slug, *BENCHMARK_KEYS]
            gm = self.gemeente.get(slug)
            if gm and gm != slug:
                keys.insert(1, gm)
            return keys
        if rule == "comparisons":
            refs: set[str] = set()
            for t in self.tables.values():
                for cell in t.column("comparison_areas", slug):
                    refs.update(c for c in cell.split(";") if c)
            return [slug, *sorted(refs - {slug})]
        raise CacheError(f"unknown slice rule {rule!r}")

    def _table_digest(self, table: str, entity: str) -> str:
        """SHA-256 of the entity's records in the table (of nothing when it has none)."""
        return self.tables[table].index.digests.get(entity, _NO_RECORDS)

    def slice_inputs(self, slug: str) -> dict[str, str]:
        """The named input hashes of an area report: its rows per entity, plus shared files."""
        per_entity: dict[str, dict[str, str]] = {}
        for table in self.tables:
            for e in self.entities(slug, self.rule(table)):
                per_entity.setdefault(e, {})[table] = self._table_digest(table, e)
        inputs = {f"results for {e}": digest(d) for e, d in per_entity.items()}
        inputs["results columns"] = digest(
            {
                "headers": {k: t.header.decode() for k, t in self.tables.items()},
                # which columns a slice writes as floats: set by all rows of the table
                "floats": self.float_columns,
            }
        )
        inputs["results meta"] = meta_digest(self.meta)
        inputs.update({f"results {rel}": sha for rel, sha in self.whole.items()})
        return inputs

    @cached_property
    def float_columns(self) -> dict[str, list[int]]:
        """Positions of the columns :func:`indicators.store.load_results` reads as floats.

        pandas infers a column's type from the rows it reads: ``denominator`` is
        float64 in the full table (some cells are empty) but would be int64 in a
        slice where every cell is a whole number. Slices write such cells as
        ``12.0`` (the same value), so a notebook gets the same dtypes from its
        slice as from the full results. Kept per version of each table
        (:mod:`indicators.tabletypes`), so a one-area rebuild does not read the
        whole tables with pandas again.
        """
        from indicators.tabletypes import float_columns

        out = {}
        for table in TABLES:
            rel = f"{table}.csv"
            out[rel] = float_columns(self.dir / rel, self.tables[rel].index, keep=self.keep).floats
        return out

    def _rows_bytes(self, table: str, entities: list[str]) -> bytes:
        t = self.tables[table]
        floats = self.float_columns.get(table) if table in SLICE_RULES else None
        records = t.records(entities)
        if not floats:
            return b"".join(r + b"\n" for r in records)
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for rec in records:
            cells = next(csv.reader([rec.decode("utf-8")]))
            for k in floats:
                if _WHOLE.match(cells[k]):
                    cells[k] += ".0"
            w.writerow(cells)
        return buf.getvalue().encode("utf-8")

    def write_slice(self, slug: str, dest: Path) -> Path:
        """Write the rows a report of ``slug`` reads as a results directory of its own."""
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for table, t in self.tables.items():
            keys = self.entities(slug, self.rule(table))
            out = dest / table
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(t.header + b"\n" + self._rows_bytes(table, keys))
        for rel in [*self.whole, "meta.json"]:
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            try:  # shared whole files (e.g. survey results): a link, not a copy per area
                os.link(self.dir / rel, out)
            except OSError:
                shutil.copyfile(self.dir / rel, out)
        return dest


# --------------------------------------------------------------------------- manifest


@dataclass
class Step:
    """One step of the build: its inputs, key, expected outputs and why it is stale."""

    id: str  # manifest id: "compute", "report:<key>", "index"
    name: str  # what the user sees: "compute", the area slug, "provincie", "index"
    inputs: dict[str, str]
    outputs: list[Path] = field(default_factory=list)  # expected outputs (checked when known)
    reasons: list[str] = field(default_factory=list)
    code: dict[str, str] = field(default_factory=dict)  # code files -> sha256 (for reasons)

    @cached_property
    def key(self) -> str:
        return step_key(self.id, self.inputs)

    @property
    def stale(self) -> bool:
        return bool(self.reasons)


class Manifest:
    """``_build/cache/manifest.json``: the key, inputs and outputs of every built step.

    Output paths are recorded relative to the output or build directory
    (``output:areas/x/index.html``, ``build:compute/values.csv``), so a cache
    restored into another checkout (CI) stays valid.
    """

    def __init__(self, path: Path, output_dir: Path | None = None, build_dir: Path | None = None):
        self.path = Path(path)
        self.bases = {
            k: Path(v).resolve()
            for k, v in (("output", output_dir), ("build", build_dir))
            if v is not None
        }
        self.data: dict = {
            "version": MANIFEST_VERSION,
            "code": {},
            "env": {},
            "steps": _Steps(),
        }
        if self.path.exists():
            try:
                data = _read_manifest(self.path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                data = None  # unreadable: start afresh, everything rebuilds
            if (
                isinstance(data, dict)
                and data.get("version") == MANIFEST_VERSION
                and isinstance(data.get("steps"), _Steps)
                and isinstance(data.get("code"), dict)
                and isinstance(data.get("env"), dict)
            ):
                self.data = data
        self._dirty = not self.path.exists()  # changed since read (or never written)

    @property
    def steps(self) -> _Steps:
        return self.data["steps"]

    def entry(self, step_id: str) -> dict | None:
        return self.steps.get(step_id)

    def reasons(self, step: Step, env: dict[str, str], force: bool = False) -> list[str]:
        """Why ``step`` must run; empty when it is up to date."""
        if force:
            return ["--force"]
        old = self.entry(step.id)
        if old is None:
            return ["not built before"]
        reasons: list[str] = []
        if old.get("key") != step.key:
            reasons = _explain(old.get("inputs", {}), step, self.data, env)
        if not reasons:
            reasons = self._output_problems(old, step)
        return reasons

    def token(self, path: Path) -> str:
        """How an output path is recorded: relative to the output or build dir if inside."""
        path = Path(path).resolve()
        for name, base in self.bases.items():
            with contextlib.suppress(ValueError):
                return f"{name}:{path.relative_to(base).as_posix()}"
        return str(path)

    def resolve(self, token: str) -> Path:
        name, sep, rel = token.partition(":")
        if sep and name in self.bases:
            return self.bases[name] / rel
        return Path(token)

    def outputs(self, step_id: str) -> list[Path]:
        """The recorded outputs of a step, as paths."""
        return [self.resolve(t) for t in (self.entry(step_id) or {}).get("outputs", {})]

    def _output_problems(self, old: dict, step: Step) -> list[str]:
        recorded = old.get("outputs", {})
        problems = [f"output missing: {p}" for p in step.outputs if self.token(p) not in recorded]
        for tok, (sha, size, mtime_ns) in recorded.items():
            path = self.resolve(tok)
            try:
                st = path.stat()
            except FileNotFoundError:
                problems.append(f"output missing: {path}")
                continue
            if st.st_size == size and st.st_mtime_ns == mtime_ns:
                continue
            if st.st_size != size or not same_content(path, sha):
                problems.append(f"output changed: {path}")
            else:  # same content, new mtime (e.g. restored from a cache): remember it
                recorded[tok] = [sha, st.st_size, st.st_mtime_ns]
                self._dirty = True
        return problems

    def record(self, step: Step, outputs: Iterable[Path], seconds: float) -> None:
        recs = {}
        for p in outputs:
            p = Path(p)
            st = p.stat()
            recs[self.token(p)] = [content_digest(p), st.st_size, st.st_mtime_ns]
        self.steps[step.id] = {
            "key": step.key,
            "inputs": step.inputs,
            "outputs": dict(sorted(recs.items())),
            "seconds": round(seconds, 3),
        }
        self.data["code"].update(step.code)
        self._dirty = True

    def forget(self, step_id: str) -> None:
        if self.steps.pop(step_id, None) is not None:
            self._dirty = True

    def save(self, env: dict[str, str] | None = None) -> None:
        """Write the manifest (one line per step), unless it is what was last read or written.

        At 3,000 areas it is about 15 MB: written with indentation it took 0.24 s,
        three times per build, also for a one-area rebuild (issue 7).
        """
        if env is not None and self.data.get("env") != env:
            self.data["env"] = env
            self._dirty = True
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        tmp.write_text(_manifest_text(self.data), encoding="utf-8")
        os.replace(tmp, self.path)
        self._dirty = False


def _compact(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _Steps(MutableMapping):
    """The manifest's steps: entries kept as their JSON text until one is used.

    A one-area rebuild at 3,000 areas uses four of 3,004 entries; decoding and
    encoding all of them (15 MB) took 0.3 s of it (issue 7). An entry is
    decoded when it is looked up, and written back from its decoded (perhaps
    updated) form; the others are written back as read.
    """

    def __init__(self, raw: dict[str, str] | None = None):
        self._raw: dict[str, str] = dict(raw or {})
        self._decoded: dict[str, dict] = {}

    def __getitem__(self, key: str) -> dict:
        got = self._decoded.get(key)
        if got is None:
            text = self._raw[key]
            try:
                got = json.loads(text)
            except json.JSONDecodeError:
                got = None
            if not isinstance(got, dict):  # a damaged entry: that step is not built
                del self._raw[key]
                raise KeyError(key)
            self._decoded[key] = got
        return got

    def __setitem__(self, key: str, value: dict) -> None:
        # Written as text now: a full build saves its manifest every 30 s, and its
        # entries, once recorded, do not change (a looked-up entry may, so it is
        # written from its decoded form).
        self._raw[key] = _compact(value)
        self._decoded.pop(key, None)

    def __delitem__(self, key: str) -> None:
        del self._raw[key]
        self._decoded.pop(key, None)

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def text(self, key: str) -> str:
        """The entry as compact JSON with sorted keys."""
        if key in self._decoded:
            return _compact(self._decoded[key])
        return self._raw[key]


def _manifest_text(data: dict) -> str:
    """JSON with sorted keys, each step on a line of its own (diffable, fast to write).

    :func:`_read_manifest` reads these lines back without decoding every step.
    """
    lines = []
    for key in sorted(data):
        value = data[key]
        if key == "steps" and isinstance(value, Mapping):
            if not isinstance(value, _Steps):
                value = _Steps({k: _compact(v) for k, v in value.items()})
            steps = [f" {_compact(k)}: {value.text(k)}" for k in sorted(value)]
            value = "{\n" + ",\n".join(steps) + "\n}" if steps else "{}"
        else:
            value = _compact(value)
        lines.append(f"{_compact(key)}: {value}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


_STEP_LINE = re.compile(r' ("(?:[^"\\]|\\.)*"): (\{.*\}),?')


def _read_manifest(text: str) -> dict:
    """The manifest's contents, steps as :class:`_Steps` (entries not decoded).

    Text in the layout :func:`_manifest_text` writes is split into lines: each
    step's entry stays text until it is used. Any other JSON (an older layout,
    a file edited by hand) is decoded as a whole. Raises JSONDecodeError for
    text that is not JSON.
    """
    lines = text.split("\n")
    try:
        start = lines.index('"steps": {')
        end = lines.index("},", start)
    except ValueError:
        start = end = -1
    if start > 0 and lines[0] == "{":
        raw = {}
        for line in lines[start + 1 : end]:
            m = _STEP_LINE.fullmatch(line)
            if m is None:
                break
            raw[json.loads(m.group(1))] = m.group(2)
        else:
            # The rest of the file, with an empty steps object in their place.
            data = json.loads("\n".join([*lines[:start], '"steps": {},', *lines[end + 1 :]]))
            if isinstance(data, dict):
                data["steps"] = _Steps(raw)
            return data
    data = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get("steps"), dict):
        data["steps"] = _Steps({k: _compact(v) for k, v in data["steps"].items()})
    return data


def _explain(old: dict[str, str], step: Step, manifest: dict, env: dict[str, str]) -> list[str]:
    """Name the inputs that differ between the last build and now."""
    out = []
    for name in sorted(old.keys() | step.inputs.keys()):
        if old.get(name) == step.inputs.get(name):
            continue
        if name not in old:
            out.append(f"{name} added")
        elif name not in step.inputs:
            out.append(f"{name} removed")
        elif name == "code":
            before = manifest.get("code", {})
            files = [f for f, sha in step.code.items() if before.get(f) not in (None, sha)]
            files += [f for f in step.code if f not in before]
            out.append("code changed: " + (", ".join(sorted(files)) if files else "(modules)"))
        elif name == "environment":
            before = manifest.get("env", {})
            diff = [
                f"{k} {before.get(k, '?')} -> {v}" for k, v in env.items() if before.get(k) != v
            ]
            out.append("environment changed: " + (", ".join(diff) if diff else "(versions)"))
        else:
            out.append(f"{name} changed")
    return out or ["inputs changed"]


@contextlib.contextmanager
def build_lock(build_dir: Path):
    """One build at a time per build directory (the manifest is not shared safely)."""
    lock = Path(build_dir) / "cache" / ".lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CacheError(
                f"another build is running with the same build directory ({build_dir})"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- step inputs


def _input_digest(path: Path) -> str:
    from indicators.store import input_digest

    return input_digest(path)


class Inputs:
    """Content hashes of the files and code a build reads, each computed once."""

    def __init__(self, paths, engine: str):
        self.paths = paths
        self.root = Path(paths.root)
        self.engine = engine
        self._files: dict[Path, str] = {}
        self._resolved: dict[str, Path] = {}
        self._names: dict[Path, str] = {}
        self._code: dict[tuple, dict[str, str]] = {}
        self._nb_imports: dict[Path, set[str]] = {}
        self.env = environment()
        if engine == "quarto":
            self.env["quarto"] = _quarto_version()
        self.env_digest = digest(self.env)

    @cached_property
    def _bases(self) -> tuple[Path, Path]:
        return self.root.resolve(), Path(self.paths.params_dir).resolve().parent

    def _resolve(self, path: Path) -> Path:
        """``path.resolve()``, once per path (3,000 params files are named in several steps).

        The directory is resolved once: a file that is not a symbolic link
        resolves to its resolved directory plus its name (0.11 s less for
        3,000 params files).
        """
        key = os.fspath(path)
        got = self._resolved.get(key)
        if got is None:
            path = Path(path)
            if path.name in ("", ".", "..") or os.path.islink(path):
                got = path.resolve()
            else:
                got = self._resolve(path.parent) / path.name
            self._resolved[key] = got
        return got

    def name(self, path: Path) -> str:
        """How a file is named in reasons: relative to the project, else ``<dir>/<file>``."""
        path = self._resolve(path)
        got = self._names.get(path)
        if got is None:
            got = self._names[path] = self._name(path)
        return got

    def _name(self, path: Path) -> str:
        # On the strings of resolved paths: pathlib's relative_to took 0.1 s for
        # 3,000 params files.
        text = os.fspath(path)
        for base in self._bases:
            prefix = os.fspath(base).rstrip("/") + "/"
            if text.startswith(prefix):
                return text[len(prefix) :]
            if text == os.fspath(base):
                return "."
        return f"{path.parent.name}/{path.name}"

    def file(self, path: Path) -> str:
        path = self._resolve(path)
        if path not in self._files:
            self._files[path] = _input_digest(path) if path.exists() else "absent"
        return self._files[path]

    def files(self, paths: Iterable[Path]) -> dict[str, str]:
        return {self.name(p): self.file(p) for p in paths}

    def folder(self, folder: Path, pattern: str = "*") -> dict[str, str]:
        folder = Path(folder)
        return self.files(sorted(p for p in folder.glob(pattern) if p.is_file()))

    def code(
        self,
        roots: Iterable[str],
        extra_files: Iterable[Path] = (),
        stop: frozenset[str] = DATA_BOUNDARY,
    ) -> dict[str, str]:
        """Code files (closure of ``roots`` plus ``extra_files``) -> sha256."""
        key = (frozenset(roots), tuple(extra_files), stop)
        if key not in self._code:
            files = [*code_closure(roots, stop).values(), *extra_files]
            self._code[key] = {self.name(f): self.file(f) for f in sorted(set(files))}
        return self._code[key]

    def params_files(self) -> list[Path]:
        return sorted(Path(self.paths.params_dir).glob("*.yml"), key=os.fspath)  # see load_areas


def _quarto_version() -> str:
    import subprocess

    from indicators.render.quarto import quarto_executable

    exe = quarto_executable()
    if exe is None:
        return "absent"
    try:
        return subprocess.run(
            [exe, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _with_code(step_id: str, name: str, inputs: dict, code: dict, env: str, outputs) -> Step:
    inputs = {**inputs, "code": digest(code), "environment": env}
    return Step(id=step_id, name=name, inputs=inputs, outputs=list(outputs), code=code)


def compute_step_plan(inp: Inputs) -> Step:
    """The compute step: everything :func:`indicators.pipeline.compute_step` reads or records."""
    from indicators import pipeline as pl

    p, root = inp.paths, inp.root
    data = [p.data_dir / "units.csv", p.data_dir / "observations.csv", p.data_dir / "README.md"]
    data.append(p.data_dir / CATALOGUE_OVERRIDES)  # "absent" when the data set has none
    docs = [root / pl.NOTEBOOK, root / pl.TEMPLATE, root / pl.PROVINCE_NOTEBOOK]
    docs.append(root / pl.PROVINCE_TEMPLATE)
    inputs = {
        **inp.files(data),
        # Everything else under data/ (catalogue, P&C, registers) except the survey, which
        # has its own step: the compute step reads most of it, and a file it does not read
        # only costs a rerun whose results come out the same (so no report is rebuilt).
        **inp.files(
            sorted(
                f
                for f in (root / "data").rglob("*")
                if f.is_file()
                and not f.name.startswith(".")
                and (root / "data" / "survey") not in f.parents
            )
        ),
        **inp.files(inp.params_files()),
        **inp.files(docs),  # their checksums are part of the recorded provenance
    }
    code = inp.code(compute_code_roots(), [Path(pl.__file__)], stop=frozenset())
    out = p.build_dir / "compute"
    outputs = [out / f"{t}.csv" for t in TABLES] + [out / "meta.json"]
    return _with_code("compute", "compute", inputs, code, inp.env_digest, outputs)


def survey_analysis_plan(inp: Inputs) -> Step:
    """The survey analysis: the survey data (microdata, codebook, margins, config) and code.

    It reads nothing else, so an indicator or params change does not rerun it,
    and a survey change does not rerun the indicator compute step.
    """
    import inspect

    from indicators import pipeline as pl

    survey_dir = Path(inp.paths.survey_dir or inp.root / "data" / "survey")
    inputs = {**inp.files(sorted(f for f in survey_dir.rglob("*") if f.is_file()))}
    roots = imports_in_source(inspect.getsource(pl.survey_step))
    code = inp.code(roots, [Path(pl.__file__)], stop=frozenset())
    out = inp.paths.build_dir / "compute" / pl.SURVEY_RESULTS
    return _with_code("survey-analysis", "survey analysis", inputs, code, inp.env_digest, [out])


def compute_code_roots() -> set[str]:
    """Modules the compute step runs: what ``compute_step`` and ``load_inputs`` import."""
    import inspect

    from indicators import pipeline as pl

    src = "".join(inspect.getsource(f) for f in (pl.compute_step, pl.run_compute, pl.load_inputs))
    return imports_in_source(src) | {"indicators.compute", "indicators.store"}


def _report_common(inp: Inputs, spec) -> tuple[dict[str, str], dict[str, str]]:
    from indicators import pipeline as pl
    from indicators import render

    root = inp.root
    inputs = {
        **inp.files([root / spec.notebook, root / spec.template, root / "_quarto.yml"]),
        **inp.folder(root / "reports" / "styles"),
        "report settings": digest(
            {
                "title": spec.title,
                "subtitle": spec.subtitle,
                "area_name": spec.area_name,
                "dest": spec.dest,
                "pdf_name": spec.pdf_name,
                "parameters": sorted(k for k in spec.parameters),
                "engine": inp.engine,
            }
        ),
    }
    assets = sorted((Path(render.__file__).parent / "assets").glob("*"))
    nb = root / spec.notebook
    if nb not in inp._nb_imports:
        inp._nb_imports[nb] = notebook_imports(nb)
    code = inp.code(
        inp._nb_imports[nb]
        | {"indicators.render", "indicators.present.formatting", "indicators.present.tables"},
        [Path(pl.__file__), *assets],
    )
    return inputs, code


def _register_files(inp: Inputs):
    """The register files the reports read (CSV or Excel, see ``config.default_paths``)."""
    from indicators.config import default_paths

    return default_paths(inp.paths.registers_dir)


def report_outputs(paths, spec, notebooks: bool) -> list[Path]:
    dest = Path(paths.output_dir) / spec.dest
    outs = [dest / "index.html", dest / spec.pdf_name]
    if notebooks:
        outs.append(dest / f"{spec.key}.ipynb")
    return outs


def area_step_plan(inp: Inputs, spec, index: ResultsIndex, notebooks: bool) -> Step:
    """An area report: its results slice, its own params file, notebook, template, code."""
    root = inp.root
    common, code = _report_common(inp, spec)
    inputs = {
        **index.slice_inputs(spec.key),
        **inp.files([Path(spec.parameters["params_file"])]),
        **inp.files([root / "data" / "catalogue" / "indicators.yml"]),
        **inp.files([Path(inp.paths.data_dir) / CATALOGUE_OVERRIDES]),
        **inp.files([_register_files(inp).interventions]),
        **inp.files([root / "data" / "registers" / "config.yml"]),
        **common,
    }
    outputs = report_outputs(inp.paths, spec, notebooks)
    return _with_code(f"report:{spec.key}", spec.key, inputs, code, inp.env_digest, outputs)


def province_step_plan(inp: Inputs, spec, notebooks: bool, results_dir: Path) -> Step:
    """The province report reads everything: all results, data, params and registers."""
    p, root = inp.paths, inp.root
    common, code = _report_common(inp, spec)
    inputs = {
        **{
            f"results {rel}": inp.file(Path(results_dir) / rel) for rel in result_files(results_dir)
        },
        "results meta": meta_digest(read_meta(results_dir)),
        **inp.files([p.data_dir / "units.csv", p.data_dir / "observations.csv"]),
        **inp.files([p.data_dir / CATALOGUE_OVERRIDES]),
        **inp.files(inp.params_files()),
        **inp.folder(root / "data" / "catalogue"),
        **inp.folder(root / "data" / "pc"),
        **inp.folder(root / "data" / "registers"),
        **inp.files(vars(_register_files(inp)).values()),
        **inp.folder(root / "data" / "demo" / "reference"),
        **({"boundaries": inp.file(p.boundaries)} if p.boundaries else {}),
        **common,
    }
    outputs = report_outputs(p, spec, notebooks)
    return _with_code(f"report:{spec.key}", spec.key, inputs, code, inp.env_digest, outputs)


def survey_step_plan(inp: Inputs, spec, notebooks: bool, results_dir: Path) -> Step:
    """The survey report reads only the survey results (which record the sha256 of
    every survey file they were computed from).

    It does not depend on the indicator data or on any area's params, so
    changing those does not rebuild it.
    """
    p = inp.paths
    common, code = _report_common(inp, spec)
    meta = meta_digest(read_meta(results_dir))
    inputs = {
        "survey results": inp.file(Path(results_dir) / "survey.pkl"),
        "results meta": meta,
        **common,
    }
    outputs = report_outputs(p, spec, notebooks)
    return _with_code(f"report:{spec.key}", spec.key, inputs, code, inp.env_digest, outputs)


def index_step_plan(inp: Inputs) -> Step:
    """The site index lists the reports that exist in the output directory."""
    from indicators.pipeline import SURVEY_KEY

    out = Path(inp.paths.output_dir)
    present = sorted(
        str(p.relative_to(out))
        for pattern in ("areas/*/index.html", "areas/*/*.pdf", "provincie/*", f"{SURVEY_KEY}/*")
        for p in out.glob(pattern)
    )
    inputs = {
        "reports in the site": digest(present),
        **inp.files(inp.params_files()),
        "results meta": meta_digest(read_meta(inp.paths.build_dir / "compute")),
    }
    code = inp.code(["indicators.site"])
    return _with_code("index", "index", inputs, code, inp.env_digest, [out / "index.html"])


# --------------------------------------------------------------------------- the build


@dataclass
class BuildResult:
    """What :func:`build` did: every step with its reasons, the report outcomes, costs."""

    steps: list[Step]
    outcomes: list = field(default_factory=list)  # list[AreaOutcome]
    dry_run: bool = False
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # this process
    peak_rss_workers_mb: float = 0.0  # the largest report worker process
    peak_rss_typst_mb: float = 0.0  # the largest typst compile process (one per worker)

    def rss_line(self) -> str:
        return (
            f"peak RSS: {self.peak_rss_mb:.0f} MB (build process), "
            f"{self.peak_rss_workers_mb:.0f} MB (largest report worker), "
            f"{self.peak_rss_typst_mb:.0f} MB (largest typst process)"
        )

    @property
    def rebuilt(self) -> list[Step]:
        return [s for s in self.steps if s.stale]

    @property
    def failed(self) -> list:
        return [o for o in self.outcomes if not o.ok]

    def lines(self) -> list[str]:
        """``<step>: <reason>; <reason>`` for every stale step (what was or would be rebuilt)."""
        return [f"{s.name}: {'; '.join(s.reasons)}" for s in self.steps if s.stale]


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident set size of this process and of its largest finished child, in MB."""
    import resource
    import sys

    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 1024 / 1024  # KB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return round(own, 1), round(kids, 1)


def _compute_reason(outcome) -> str:
    """What the compute step did, for the build's output: results, and how the data were read."""
    return f"{outcome.reason}; observations: {outcome.observations}"


def build(
    slugs: list[str] | None = None,
    *,
    all_areas: bool = False,
    engine: str = "auto",
    jobs: int | None = None,
    paths=None,
    progress: Callable | None = None,
    province: bool | None = None,
    execution: str = "warm",
    notebooks: bool = False,
    force: bool = False,
    dry_run: bool = False,
    scheduler: str | None = None,
) -> BuildResult:
    """Build the reports whose inputs changed; see the module docstring.

    Parameters
    ----------
    slugs, all_areas, engine, jobs, paths, progress, province
        As :func:`indicators.pipeline.build`.
    execution : {"warm", "papermill"}
        Run notebooks in warm worker processes (:mod:`indicators.warm`) or with
        papermill on a fresh kernel per report.
    notebooks : bool
        Publish each report's executed notebook next to it (audit trail).
    force : bool
        Rebuild every selected step.
    dry_run : bool
        Only work out what would be rebuilt and why. If the compute step is
        stale it runs into a scratch directory (to find which slices change);
        no report is rendered and nothing in the build or output dir changes.
    scheduler : str, optional
        Dask scheduler address (or ``"local"``) to run the reports on.
    """
    from indicators.config import load_areas
    from indicators.pipeline import (
        COMPUTE_STATE,
        PROVINCE_KEY,
        SURVEY_KEY,
        SURVEY_RESULTS,
        AreaOutcome,
        Paths,
        area_spec,
        need_step,
        province_spec,
        run_compute,
        select,
        survey_spec,
        survey_step,
    )
    from indicators.render import available_engine

    # Reports that read all results (not a per-area slice).
    WHOLE_RESULTS = (PROVINCE_KEY, SURVEY_KEY)  # noqa: N806
    if execution not in ("warm", "papermill"):
        raise IndicatorsError(f"unknown execution {execution!r} (expected 'warm' or 'papermill')")
    t0 = time.perf_counter()
    paths = paths or Paths.default()
    engine_name = available_engine(engine)  # fail early when quarto is requested but missing
    lock = contextlib.nullcontext() if dry_run else build_lock(paths.build_dir)
    with lock, tempfile.TemporaryDirectory(prefix="indicators-dry-") as scratch:
        # The largest input (378 MB at 3,000 areas): hashed for the planner, and compared
        # with the kept observations for the compute step, in two threads while the
        # planner does the rest (hashlib releases the GIL).
        from indicators import obsstore, store

        obs_file = paths.data_dir / "observations.csv"
        store.start_input_digest(obs_file)
        if not dry_run:
            obsstore.start_comparing(obs_file, paths.build_dir / "cache" / "observations")
        manifest = Manifest(
            paths.build_dir / "cache" / "manifest.json", paths.output_dir, paths.build_dir
        )
        imports_cache = paths.build_dir / "cache" / "imports.json"
        load_import_cache(imports_cache)
        load_model_cache(paths.build_dir / "cache" / MODEL_CACHE)
        inp = Inputs(paths, engine_name)
        steps: list[Step] = []

        # Compute (once, all areas) and the survey analysis: two independent steps
        # writing into one results directory.
        comp = compute_step_plan(inp)
        comp.reasons = manifest.reasons(comp, inp.env, force)
        surv = survey_analysis_plan(inp)
        surv.reasons = manifest.reasons(surv, inp.env, force)
        steps += [comp, surv]
        results_dir = paths.build_dir / "compute"
        areas = load_areas(paths.params_dir)
        selected = select(areas, slugs, all_areas)
        with_province = bool(province or (province is None and (all_areas or not slugs)))
        # New results mean reports to rebuild: start the workers now, so their start-up
        # runs on another core while the compute step runs. Not for a dry run, for Dask,
        # or with --jobs 1 (reports then run in this process, as asked).
        from indicators.distributed import WorkerPool, default_jobs

        pool = None
        n_jobs = jobs or default_jobs()
        if comp.stale and not dry_run and scheduler is None and n_jobs > 1:
            n = min(n_jobs, len(selected) + 2 * with_province)
            pool = WorkerPool(n, execution) if n > 0 else None
        try:
            if dry_run and (comp.stale or surv.stale):
                # Work out the new results in a scratch copy; the build dir stays untouched.
                scratch_paths = Paths(**{**vars(paths), "build_dir": Path(scratch)})
                scratch_dir = Path(scratch) / "compute"
                if results_dir.is_dir():  # the earlier results, to update (or to reuse)
                    shutil.copytree(results_dir, scratch_dir, dirs_exist_ok=True)
                if comp.stale:
                    state = paths.build_dir / "cache" / COMPUTE_STATE
                    if state.is_file():
                        (Path(scratch) / "cache").mkdir(exist_ok=True)
                        shutil.copy2(state, Path(scratch) / "cache" / COMPUTE_STATE)
                    # the kept observations are read, never written (a partial read)
                    outcome = run_compute(scratch_paths, kept_from=paths.build_dir)
                    comp.reasons.append(_compute_reason(outcome))
                if surv.stale:
                    survey_step(scratch_paths)
                elif (results_dir / SURVEY_RESULTS).exists():
                    shutil.copyfile(results_dir / SURVEY_RESULTS, scratch_dir / SURVEY_RESULTS)
                results_dir = scratch_dir
            elif not dry_run:
                if comp.stale:
                    tc = time.perf_counter()
                    comp.reasons.append(_compute_reason(run_compute(paths)))
                    rels = [r for r in result_files(results_dir) if r != SURVEY_RESULTS]
                    produced = [results_dir / r for r in [*rels, "meta.json"]]
                    manifest.record(comp, produced, time.perf_counter() - tc)
                    manifest.save(inp.env)
                if surv.stale:
                    tc = time.perf_counter()
                    manifest.record(surv, [survey_step(paths)], time.perf_counter() - tc)
                    manifest.save(inp.env)

            # Reports
            specs = [area_spec(s, areas) for s in selected]
            if with_province:
                specs[:0] = [province_spec(), survey_spec()]  # the province-wide reports
            index = ResultsIndex(results_dir, keep=not dry_run)
            by_key = {}
            for spec in specs:
                if spec.key == SURVEY_KEY:
                    st = survey_step_plan(inp, spec, notebooks, results_dir)
                elif spec.key in WHOLE_RESULTS:
                    st = province_step_plan(inp, spec, notebooks, results_dir)
                else:
                    st = area_step_plan(inp, spec, index, notebooks)
                st.reasons = manifest.reasons(st, inp.env, force)
                steps.append(st)
                by_key[spec.key] = (spec, st)

            if dry_run:
                prov = by_key.get(PROVINCE_KEY, (None, None))[1]
                if prov is not None and prov.stale:
                    need = Step(id="need", name="need index", inputs={})
                    need.reasons = ["provincie is rebuilt"]
                    steps.insert(steps.index(prov), need)
                steps.append(_index_dry(inp, steps, manifest))
                return BuildResult(steps, [], True, time.perf_counter() - t0, peak_rss_mb()[0])

            from indicators.distributed import ReportTask, run_reports

            # The need index over all wijken, for the province report only (a one-area
            # rebuild does not pay for it): recomputed whenever that report is rebuilt.
            prov_step = by_key.get(PROVINCE_KEY, (None, None))[1]
            if prov_step is not None and prov_step.stale:
                tn = time.perf_counter()
                need_path, _ = need_step(paths, results_dir, force=True)
                ns = Step(id="need", name="need index", inputs={}, outputs=[need_path])
                ns.reasons = ["provincie is rebuilt"]
                steps.insert(steps.index(prov_step), ns)
                manifest.record(ns, [need_path], time.perf_counter() - tn)

            # The province reads all results; an area its own slice, written just before
            # its task is sent (run_reports' ``prepare``), so few slices exist at a time.
            tasks = [
                ReportTask(
                    spec=spec, results_dir=results_dir if spec.key in WHOLE_RESULTS else None
                )
                for spec, st in by_key.values()
                if st.stale
            ]

            def prepare(task: ReportTask) -> ReportTask:
                if task.results_dir is not None:
                    return task
                d = index.write_slice(task.spec.key, paths.build_dir / "slices" / task.spec.key)
                return ReportTask(spec=task.spec, results_dir=d)

            outcomes: list = []
            last_save = time.perf_counter()

            def done(o) -> None:
                nonlocal last_save
                spec, st = by_key[o.slug]
                o.reasons = list(st.reasons)
                if o.ok:
                    published = {Path(p).resolve() for p in o.published or o.outputs.values()}
                    for p in set(manifest.outputs(st.id)) - published:
                        with contextlib.suppress(FileNotFoundError):
                            p.unlink()  # left over from the previous build of this report
                    manifest.record(st, sorted(published), o.seconds)
                    shutil.rmtree(paths.build_dir / "slices" / spec.key, ignore_errors=True)
                    with contextlib.suppress(FileNotFoundError):  # an older failure, now fixed
                        (paths.build_dir / "failed" / f"{spec.key}.ipynb").unlink()
                else:
                    manifest.forget(st.id)
                outcomes.append(o)
                if time.perf_counter() - last_save > 30:
                    manifest.save(inp.env)
                    last_save = time.perf_counter()
                if progress:
                    progress(o)

            for spec, st in by_key.values():
                if not st.stale:
                    o = AreaOutcome(
                        spec.key,
                        True,
                        outputs={"html": st.outputs[0], "pdf": st.outputs[1]},
                        published=manifest.outputs(st.id),
                        cached=True,
                    )
                    outcomes.append(o)
                    if progress:
                        progress(o)
            try:
                run_reports(
                    tasks,
                    paths=paths,
                    engine=engine_name,
                    execution=execution,
                    notebooks=notebooks,
                    jobs=jobs,
                    scheduler=scheduler,
                    on_done=done,
                    prepare=prepare,
                    pool=pool,
                )
            except BaseException:
                manifest.save(inp.env)  # keep the reports built so far
                raise

            # Index
            from indicators.site import write_index

            idx = index_step_plan(inp)
            idx.reasons = manifest.reasons(idx, inp.env, force)
            steps.append(idx)
            if idx.stale:
                ti = time.perf_counter()
                write_index(paths.output_dir, areas, results_dir)
                manifest.record(idx, idx.outputs, time.perf_counter() - ti)
            manifest.save(inp.env)
            save_import_cache(imports_cache)
            save_model_cache(paths.build_dir / "cache" / MODEL_CACHE)
        finally:
            if pool is not None:
                pool.close()  # unused (nothing to rebuild) or after a failure; idempotent
    outcomes.sort(key=lambda o: o.slug)
    own = peak_rss_mb()[0]
    built = [o for o in outcomes if not o.cached]
    workers = max([o.peak_rss_mb for o in built] or [0.0])
    typst = max([o.peak_rss_typst_mb for o in built] or [0.0])
    return BuildResult(steps, outcomes, False, time.perf_counter() - t0, own, workers, typst)


def _index_dry(inp: Inputs, steps: list[Step], manifest: Manifest) -> Step:
    """In a dry run the index is rebuilt when any report is (its listing may change)."""
    idx = Step(id="index", name="index", inputs={})
    if any(s.stale for s in steps if s.id.startswith("report:")):
        idx.reasons = ["reports rebuilt"]
    elif manifest.entry("index") is None:
        idx.reasons = ["not built before"]
    return idx
