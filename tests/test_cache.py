"""Incremental builds (indicators.cache): keys, slices, manifest, and what gets rebuilt.

The DAG tests run the real compute step on a three-gemeente subset of the demo
data and replace only the per-report step (notebook + render) by a stub that
writes placeholder outputs; the integration test at the end builds for real.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from indicators import cache
from indicators.cache import Manifest, ResultsIndex, Step, code_closure, imports_in_source
from indicators.pipeline import AreaOutcome, Paths

GEMEENTEN = ["GM0917", "GM0928", "GM0981"]  # Heerlen, Kerkrade, Vaals
AREAS = ["heerlen-noord", "kerkrade-oost", "gemeente-heerlen", "gemeente-vaals"]


# --------------------------------------------------------------------------- keys and code


def test_step_key_depends_on_every_input_and_the_step():
    base = cache.step_key("report:a", {"x": "1", "y": "2"})
    assert cache.step_key("report:a", {"y": "2", "x": "1"}) == base  # order does not matter
    assert cache.step_key("report:a", {"x": "1", "y": "3"}) != base
    assert cache.step_key("report:b", {"x": "1", "y": "2"}) != base


def test_imports_in_source_resolves_relative_imports():
    found = imports_in_source(
        "from .charts import save\nfrom . import tables", "indicators.present"
    )
    assert found == {"indicators.present", "indicators.present.charts", "indicators.present.tables"}


def test_code_closure_follows_imports_but_stops_at_the_compute_layer():
    files = {
        str(p.relative_to(cache.PACKAGE_DIR)) for p in code_closure(["indicators.store"]).values()
    }
    assert {"store.py", "config.py", "__init__.py"} <= files
    assert "compute.py" not in files  # its effect reaches reports through the hashed results
    charts = code_closure(["indicators.present.area"])
    assert "indicators.present.charts" in charts and "indicators.present" in charts


# --------------------------------------------------------------------------- project fixture


def _stub_report(calls: list[str], fail: set[str] = frozenset()):
    """Stand-in for pipeline.build_report: records the call, writes placeholder outputs."""

    def build_report(spec, paths, results_dir, engine="auto", keep_notebook=True, execution="warm"):
        calls.append(spec.key)
        if spec.key in fail:
            return AreaOutcome(spec.key, False, error="stub failure")
        dest = paths.output_dir / spec.dest
        dest.mkdir(parents=True, exist_ok=True)
        files = [dest / "index.html", dest / spec.pdf_name]
        for f in files:
            f.write_text(f"{spec.key} from {Path(results_dir).name}\n", encoding="utf-8")
        return AreaOutcome(
            spec.key, True, outputs={"html": files[0], "pdf": files[1]}, published=files
        )

    return build_report


@pytest.fixture(scope="module")
def built_project(tmp_path_factory):
    """A subset project built once (real compute step, stubbed reports)."""
    from indicators.scale import subset

    root = tmp_path_factory.mktemp("project")
    subset(root, GEMEENTEN, AREAS, comparisons=False)
    shutil.copytree(Paths.default().survey_dir, root / "survey")
    mp = pytest.MonkeyPatch()
    mp.setattr("indicators.pipeline.build_report", _stub_report([]))
    try:
        result = cache.build(paths=_paths(root), engine="builtin", jobs=1)
    finally:
        mp.undo()
    assert not result.failed
    return root


def _paths(root: Path) -> Paths:
    return Paths.default(
        data_dir=root / "data",
        params_dir=root / "params",
        build_dir=root / "build",
        output_dir=root / "out",
        survey_dir=root / "survey",
    )


@pytest.fixture
def project(built_project, tmp_path, monkeypatch):
    """A copy of the built project (the manifest is relocatable) and the list of reports built."""
    root = tmp_path / "p"
    shutil.copytree(built_project, root)
    calls: list[str] = []
    monkeypatch.setattr("indicators.pipeline.build_report", _stub_report(calls))
    return root, calls


def _rebuild(root: Path, **kw) -> cache.BuildResult:
    return cache.build(paths=_paths(root), engine="builtin", jobs=1, **kw)


def _reasons(result: cache.BuildResult) -> dict[str, list[str]]:
    return {s.name: s.reasons for s in result.steps if s.stale}


def _edit_observation(root: Path, unit: str) -> None:
    """Lower the first non-zero numerator of ``unit`` by one."""
    path = root / "data" / "observations.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        f = line.split(",")
        if f[0] == unit and f[3] not in ("", "0"):
            f[3] = str(int(float(f[3])) - 1)
            lines[i] = ",".join(f)
            break
    else:
        raise AssertionError(f"no numerator for {unit}")
    path.write_text("".join(lines), encoding="utf-8")


# --------------------------------------------------------------------------- the DAG


def test_first_build_built_everything(built_project):
    manifest = Manifest(built_project / "build" / "cache" / "manifest.json")
    assert set(manifest.steps) == {"compute", "survey-analysis", "need", "index"} | {
        f"report:{k}" for k in [*AREAS, "provincie", "enquete-arbeidsmigranten"]
    }


def test_second_build_rebuilds_nothing(project):
    root, calls = project
    result = _rebuild(root)
    assert calls == []
    assert result.rebuilt == []
    assert all(o.ok and o.cached for o in result.outcomes)


def test_touching_files_without_changing_them_rebuilds_nothing(project):
    root, calls = project
    for f in [root / "params" / "heerlen-noord.yml", root / "data" / "observations.csv"]:
        f.touch()
    assert _rebuild(root).rebuilt == [] and calls == []


def test_changing_one_params_file_rebuilds_that_area_and_the_province(project):
    root, calls = project
    f = root / "params" / "kerkrade-oost.yml"
    f.write_text(f.read_text(encoding="utf-8") + "# herzien\n", encoding="utf-8")
    result = _rebuild(root)
    assert sorted(calls) == ["kerkrade-oost", "provincie"]
    reasons = _reasons(result)
    assert reasons["kerkrade-oost"] == ["params/kerkrade-oost.yml changed"]
    assert "params/kerkrade-oost.yml changed" in reasons["provincie"]
    # the compute step reruns, finds the same area definition (a comment) and recomputes nothing
    assert reasons["compute"] == [
        "params/kerkrade-oost.yml changed",
        "incremental: no results changed; observations: unchanged",
    ]


def test_a_params_change_does_not_rerun_the_survey_analysis(project):
    root, _ = project
    f = root / "params" / "gemeente-vaals.yml"
    f.write_text(f.read_text(encoding="utf-8") + "# herzien\n", encoding="utf-8")
    assert "survey analysis" not in _reasons(_rebuild(root))


def test_a_survey_change_reruns_only_the_survey_analysis_and_what_reads_it(project):
    """A byte change with the same results reruns the analysis but rebuilds no report;
    a change in the results rebuilds every report that shows survey figures."""
    root, calls = project
    readme = root / "survey" / "README.md"  # in the survey folder, not read by the analysis
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOpmerking.\n", "utf-8")
    reasons = _reasons(_rebuild(root))
    assert reasons["survey analysis"] == ["survey/README.md changed"]
    assert "compute" not in reasons
    assert calls == [], reasons  # same survey results: nothing downstream is stale
    micro = root / "survey" / "microdata.csv"
    lines = micro.read_text(encoding="utf-8").splitlines(keepends=True)
    micro.write_text("".join(lines[:-40]), encoding="utf-8")  # 40 fewer respondents
    reasons = _reasons(_rebuild(root))
    assert "compute" not in reasons
    assert sorted(calls) == sorted([*AREAS, "provincie", "enquete-arbeidsmigranten"])
    assert reasons["enquete-arbeidsmigranten"] == ["survey results changed"]


def test_data_changes_rebuild_only_the_reports_whose_slice_changed(project):
    """A buurt rebuilds the areas that contain it; a gemeente every report that shows it."""
    root, calls = project
    _edit_observation(root, "BU09280101")  # a buurt in Kerkrade-Oost
    _edit_observation(root, "GM0917")  # Heerlen: itself, and benchmark of Heerlen-Noord
    result = _rebuild(root)
    assert sorted(calls) == ["gemeente-heerlen", "heerlen-noord", "kerkrade-oost", "provincie"]
    reasons = _reasons(result)
    assert reasons["kerkrade-oost"] == ["results for kerkrade-oost changed"]
    assert reasons["heerlen-noord"] == ["results for GM0917 changed"]
    assert "gemeente-vaals" not in reasons
    assert "data/observations.csv changed" in reasons["provincie"]
    # only the entities whose rows depend on the two units are recomputed (issue 7)
    assert reasons["compute"][0] == "data/observations.csv changed"
    assert reasons["compute"][1].startswith("incremental: recomputed "), reasons["compute"]


def test_a_missing_output_rebuilds_only_that_report(project):
    root, calls = project
    (root / "out" / "areas" / "gemeente-vaals" / "gemeente-vaals.pdf").unlink()
    result = _rebuild(root)
    assert calls == ["gemeente-vaals"]
    assert _reasons(result)["gemeente-vaals"][0].startswith("output missing:")


def test_an_edited_output_is_rebuilt(project):
    root, calls = project
    (root / "out" / "areas" / "gemeente-vaals" / "index.html").write_text("edited by hand\n")
    result = _rebuild(root)
    assert calls == ["gemeente-vaals"]
    assert _reasons(result)["gemeente-vaals"][0].startswith("output changed:")


def test_dry_run_lists_what_would_be_rebuilt_and_changes_nothing(project):
    root, calls = project
    _edit_observation(root, "BU09170101")
    manifest = (root / "build" / "cache" / "manifest.json").read_bytes()
    result = _rebuild(root, dry_run=True)
    assert calls == []
    assert (root / "build" / "cache" / "manifest.json").read_bytes() == manifest
    assert {s.name for s in result.rebuilt} == {
        "compute",
        "heerlen-noord",
        "need index",  # for the province report, which is rebuilt
        "provincie",
        "index",
    }
    assert "heerlen-noord: results for heerlen-noord changed" in result.lines()
    assert any(r.startswith("incremental: recomputed ") for r in _reasons(result)["compute"])


def test_dry_run_reads_the_kept_observations_and_writes_nothing(project, monkeypatch):
    """A dry run works out the new results in a scratch directory, reading only the
    changed lines against the kept observations (at 3,000 areas a full read made it
    take 28 s against 4 s for the build itself). It writes nothing under the build
    directory: not the comparison (``seen.json``), not a new base. The build after it
    reads the same lines."""
    from indicators import obsstore

    root, calls = project
    build = root / "build"
    # kept with 4 KiB blocks, so one changed line is a small part of the demo file
    monkeypatch.setattr(obsstore, "BLOCK", 4096)
    shutil.rmtree(build / "cache" / "observations")
    _rebuild(root, force=True)
    assert (build / "cache" / "observations" / "meta.json").exists()
    _edit_observation(root, "BU09170101")
    calls.clear()
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in build.rglob("*") if p.is_file()}
    result = _rebuild(root, dry_run=True)
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in build.rglob("*") if p.is_file()}
    assert after == before
    reason = _reasons(result)["compute"][-1]
    assert "observations: read " in reason and " changed lines" in reason, reason
    assert calls == []
    built = _rebuild(root)
    assert _reasons(built)["compute"][-1] == reason
    assert "heerlen-noord" in calls


def test_a_failed_report_is_rebuilt_next_time(project, monkeypatch):
    root, calls = project
    (root / "out" / "areas" / "heerlen-noord" / "index.html").unlink()
    monkeypatch.setattr(
        "indicators.pipeline.build_report", _stub_report(calls, fail={"heerlen-noord"})
    )
    assert [o.slug for o in _rebuild(root).failed] == ["heerlen-noord"]
    monkeypatch.setattr("indicators.pipeline.build_report", _stub_report(calls))
    calls.clear()
    assert _reasons(_rebuild(root))["heerlen-noord"] == ["not built before"]
    assert calls == ["heerlen-noord"]


def test_comparison_areas_are_part_of_an_areas_slice(project):
    root, _ = project
    index = ResultsIndex(root / "build" / "compute")
    assert index.entities("heerlen-noord", "benchmarks") == [
        "heerlen-noord",
        "GM0917",
        "PV31",
        "NL01",
    ]
    assert index.entities("heerlen-noord", "comparisons") == ["heerlen-noord"]  # none in subset


# --------------------------------------------------------------------------- slices


def test_a_slice_gives_the_notebook_the_same_frames_as_the_full_results(project, tmp_path):
    """Same rows, values and dtypes (empty text columns aside) for every area."""
    from indicators.present.area import select_area
    from indicators.store import load_results

    root, _ = project
    full_dir = root / "build" / "compute"
    index, full = ResultsIndex(full_dir), load_results(full_dir)
    for slug in AREAS:
        part = load_results(index.write_slice(slug, tmp_path / slug))
        a, b = select_area(full, slug), select_area(part, slug)
        for name in ("summary", "values"):
            fa, fb = (
                getattr(a, name).reset_index(drop=True),
                getattr(b, name).reset_index(drop=True),
            )
            text = [c for c in fa.columns if not pd.api.types.is_numeric_dtype(fa[c])]
            pd.testing.assert_frame_equal(
                fa.astype(dict.fromkeys(text, object)), fb.astype(dict.fromkeys(text, object))
            )
        assert (a.name, a.gemeente, a.kind) == (b.name, b.gemeente, b.kind)


def test_a_slice_holds_only_the_areas_rows_and_its_benchmarks(project, tmp_path):
    root, _ = project
    index = ResultsIndex(root / "build" / "compute")
    d = index.write_slice("heerlen-noord", tmp_path / "s")
    values = pd.read_csv(d / "values.csv")
    assert set(values["area"]) == {"heerlen-noord", "GM0917", "PV31", "NL01"}
    assert (d / "meta.json").exists()


def test_kept_table_indexes_give_the_slices_and_keys_a_scan_gives(project, tmp_path):
    """The results index reads each table's kept index (written by the first reader or a
    splice); its report keys and slices equal those made from the tables themselves."""
    import hashlib
    import shutil

    from indicators.csvrecords import TableIndex

    root, _ = project
    results = root / "build" / "compute"
    ResultsIndex(results)  # makes the indexes where missing
    kept = ResultsIndex(results)
    assert all(t._data is None for t in kept.tables.values())  # nothing read whole
    fresh_dir = tmp_path / "fresh"
    shutil.copytree(results, fresh_dir, ignore=shutil.ignore_patterns(".*"))
    fresh = ResultsIndex(fresh_dir)  # scans every table
    for slug in [*AREAS, "nobody"]:
        assert kept.slice_inputs(slug) == fresh.slice_inputs(slug)
        a, b = (
            kept.write_slice(slug, tmp_path / "a" / slug),
            fresh.write_slice(slug, tmp_path / "b" / slug),
        )
        for rel in ("values.csv", "summary.csv", "areas.csv"):
            assert (a / rel).read_bytes() == (b / rel).read_bytes()
    # a table rewritten after its index was kept: the index is made again
    values = results / "values.csv"
    lines = values.read_bytes().split(b"\n")
    i = next(k for k, line in enumerate(lines) if line.startswith(b"heerlen-noord,"))
    lines[i] = lines[i] + b"1"  # one more digit in its last cell
    tmp = values.with_name("v.tmp")
    tmp.write_bytes(b"\n".join(lines))
    tmp.replace(values)
    assert TableIndex.load(values) is None
    again = ResultsIndex(results)
    own = again.tables["values.csv"].index.digests["heerlen-noord"]
    assert own != kept.tables["values.csv"].index.digests["heerlen-noord"]
    lo, hi = again.tables["values.csv"].runs["heerlen-noord"][0]
    start = values.read_bytes().index(b"\n") + 1
    assert own == hashlib.sha256(values.read_bytes()[start + lo : start + hi]).hexdigest()


# --------------------------------------------------------------------------- manifest


def test_manifest_names_changed_code_files(tmp_path):
    m = Manifest(tmp_path / "m.json")
    old = Step("report:a", "a", {"code": "1", "params/a.yml": "x"}, code={"src/p.py": "s1"})
    m.record(old, [], 0.1)
    new = Step("report:a", "a", {"code": "2", "params/a.yml": "x"}, code={"src/p.py": "s2"})
    assert m.reasons(new, env={}) == ["code changed: src/p.py"]


def test_force_makes_an_up_to_date_step_stale(tmp_path):
    m = Manifest(tmp_path / "m.json")
    st = Step("report:a", "a", {"k": "v"})
    m.record(st, [], 0.1)
    assert m.reasons(st, env={}) == []
    assert m.reasons(st, env={}, force=True) == ["--force"]


def test_manifest_survives_a_save_and_load(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("x")
    m = Manifest(tmp_path / "m.json", output_dir=out)
    st = Step("report:a", "a", {"k": "v"}, outputs=[out / "index.html"])
    m.record(st, [out / "index.html"], 0.1)
    m.save({"python": "3"})
    again = Manifest(tmp_path / "m.json", output_dir=out)
    assert again.reasons(st, env={}) == []
    assert list(again.entry("report:a")["outputs"]) == ["output:index.html"]


def test_only_one_build_at_a_time_per_build_dir(tmp_path):
    with cache.build_lock(tmp_path), pytest.raises(cache.CacheError, match="another build"):
        with cache.build_lock(tmp_path):
            pass


# --------------------------------------------------------------------------- real builds


@pytest.mark.integration
def test_real_builds_are_incremental(tmp_path):
    """Build for real twice: the second run rebuilds nothing and is much faster; then
    changing one params file rebuilds exactly that area and the province."""
    from indicators.scale import subset

    subset(tmp_path, GEMEENTEN, ["heerlen-noord", "gemeente-vaals"], comparisons=False)
    shutil.copytree(Paths.default().survey_dir, tmp_path / "survey")
    paths = _paths(tmp_path)

    def run():
        t = time.perf_counter()
        r = cache.build(paths=paths, engine="builtin", jobs=2)
        assert not r.failed, [(o.slug, o.error) for o in r.failed]
        return r, time.perf_counter() - t

    first, t_first = run()
    assert {o.slug for o in first.outcomes if not o.cached} == {
        "heerlen-noord",
        "gemeente-vaals",
        "provincie",
        "enquete-arbeidsmigranten",
    }
    second, t_second = run()
    assert second.rebuilt == []
    assert t_second < 0.25 * t_first, (t_first, t_second)
    f = paths.params_dir / "gemeente-vaals.yml"
    f.write_text(f.read_text(encoding="utf-8").replace("Gemeente Vaals", "Grensgemeente-Vaals"))
    third, _ = run()
    assert {o.slug for o in third.outcomes if not o.cached} == {"gemeente-vaals", "provincie"}
    assert [line.split(":")[0] for line in third.lines()] == [
        "compute",
        "need index",
        "provincie",
        "gemeente-vaals",
        "index",
    ]
    html = (paths.output_dir / "areas/gemeente-vaals/index.html").read_text(encoding="utf-8")
    assert "Grensgemeente-Vaals" in html


def test_parsed_imports_are_kept_between_builds_by_content(tmp_path, monkeypatch):
    """imports.json spares the parse of unchanged files; a changed file is parsed again."""
    from indicators import cache

    src = tmp_path / "mod.py"
    src.write_text("from indicators.present import charts\nimport os\n", encoding="utf-8")
    monkeypatch.setattr(cache, "_IMPORTS", {})
    monkeypatch.setattr(cache, "_IMPORTS_USED", set())
    first = cache._file_imports(src, "indicators")
    assert first == {"indicators.present", "indicators.present.charts"}
    store = tmp_path / "cache" / "imports.json"
    cache.save_import_cache(store)

    monkeypatch.setattr(cache, "_IMPORTS", {})
    cache.load_import_cache(store)

    def no_parse(*_a, **_k):
        raise AssertionError("an unchanged file was parsed again")

    monkeypatch.setattr(cache, "_imported_names", no_parse)
    assert cache._file_imports(src, "indicators") == first
    src.write_text("from indicators import store\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="parsed again"):
        cache._file_imports(src, "indicators")
    store.write_text("{not json", encoding="utf-8")
    cache.load_import_cache(store)  # a damaged cache is ignored, not an error


def test_validated_inputs_are_reused_until_the_data_change(project, monkeypatch):
    """The compute step keeps the validated observations (indicators.obsstore): a params
    edit does not parse the CSV again, the kept frame equals a fresh read, a data edit
    reads the file again (in part or, for a file this small, in full) and a damaged
    store is read again too."""
    from indicators import pipeline, sources

    root, _ = project
    paths = _paths(root)
    store = paths.build_dir / "cache" / "observations"
    assert (store / "meta.json").exists()  # written by the build's compute step
    fresh = pipeline.load_inputs(paths)  # no cache: always read
    real = sources.check_observations
    reads: list[int] = []

    def counting(df, *a, **k):
        reads.append(len(df))
        return real(df, *a, **k)

    monkeypatch.setattr(sources, "check_observations", counting)
    _, _, units, obs = pipeline.load_inputs(paths, cache=True)
    assert reads == []
    pd.testing.assert_frame_equal(obs, fresh[3])
    pd.testing.assert_frame_equal(units, fresh[2])

    _edit_observation(root, "BU09280101")
    _, _, _, view = pipeline.load_inputs(paths, cache=True, view=True)
    assert reads == [len(obs)] and view.how == "full read"  # 4.8 MB: 2 MiB blocks are too many
    assert not view.frame().equals(obs)
    (store / "meta.json").write_text("{", encoding="utf-8")
    old = paths.build_dir / "cache" / "inputs.pkl"  # the frame earlier versions kept
    old.write_bytes(b"stale")
    pipeline.load_inputs(paths, cache=True)
    assert reads == [len(obs)] * 2
    assert not old.exists()


def test_input_digests_are_reused_only_while_the_file_is_unchanged(tmp_path):
    """The planner and the provenance share one hash of each input per build."""
    import hashlib

    from indicators import store

    f = tmp_path / "obs.csv"
    f.write_bytes(b"a,b\n1,2\n")
    first = store.input_digest(f)
    assert first == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    hashed = []
    real = store.sha256_file
    try:
        store.sha256_file = lambda p: hashed.append(p) or real(p)
        assert store.input_digest(f) == first and hashed == []  # reused
        st = f.stat()
        f.write_bytes(b"a,b\n1,3\n")  # same size
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # another mtime
        assert store.input_digest(f) == hashlib.sha256(b"a,b\n1,3\n").hexdigest()
        assert hashed == [f]
    finally:
        store.sha256_file = real


def test_validated_units_are_kept_until_their_file_or_the_code_changes(project, monkeypatch):
    from indicators import pipeline, sources

    root, _ = project
    paths = _paths(root)
    fresh = pipeline.load_inputs(paths)[2]
    kept = paths.build_dir / "cache" / "units.pkl"
    assert kept.exists()  # written by the build's compute step
    reads = []
    real = sources.load_units
    monkeypatch.setattr(sources, "load_units", lambda p: reads.append(p) or real(p))
    units = pipeline.load_inputs(paths, cache=True)[2]
    assert reads == []
    pd.testing.assert_frame_equal(units, fresh)
    assert units.attrs == fresh.attrs
    f = paths.data_dir / "units.csv"
    f.write_text(f.read_text(encoding="utf-8").replace("Heerlen", "Heerle", 1), encoding="utf-8")
    units = pipeline.load_inputs(paths, cache=True)[2]
    assert reads == [f] and not units.equals(fresh)
    kept.write_bytes(b"damaged")
    pipeline.load_inputs(paths, cache=True)
    assert reads == [f, f]


def test_a_result_table_output_is_recorded_by_its_index_and_checked_by_content(tmp_path):
    """The compute step's tables are recorded by their kept index (not hashed whole);
    a table touched without change is fine, one changed in place is noticed."""
    from indicators import csvrecords

    out = tmp_path / "out"
    out.mkdir()
    table = out / "values.csv"
    table.write_bytes(b"area,x\na,1\nb,2\n")
    csvrecords.TableIndex.of(table)
    m = Manifest(tmp_path / "m.json", output_dir=out)
    st = Step("compute", "compute", {"k": "v"}, outputs=[table])
    m.record(st, [table], 0.1)
    assert m.entry("compute")["outputs"]["output:values.csv"][0].startswith("index:")
    m.save({})
    os.utime(table, ns=(1, 2))  # the same bytes, another mtime (a restored cache)
    csvrecords._LOADED.clear()  # a new process
    assert Manifest(tmp_path / "m.json", output_dir=out).reasons(st, env={}) == []
    table.write_bytes(b"area,x\na,1\nb,3\n")  # same size, other content
    csvrecords._LOADED.clear()
    assert Manifest(tmp_path / "m.json", output_dir=out).reasons(st, env={}) == [
        f"output changed: {table}"
    ]


def test_a_dry_run_keeps_nothing_next_to_the_results(project):
    """What a build learns about the result tables (indexes, column types) is kept next
    to them by real builds only: a dry run leaves the build directory as it was."""
    root, _ = project
    results = root / "build" / "compute"
    for kept in [*results.rglob(".*.index.json"), *results.rglob(".*.types.json")]:
        kept.unlink()
    (root / "params" / "heerlen-noord.yml").write_text(
        (root / "params" / "heerlen-noord.yml").read_text(encoding="utf-8") + "\n# edit\n",
        encoding="utf-8",
    )
    before = sorted(p.relative_to(root) for p in (root / "build").rglob("*"))
    _rebuild(root, dry_run=True)
    assert sorted(p.relative_to(root) for p in (root / "build").rglob("*")) == before


def test_an_unreadable_table_is_a_changed_output_not_a_crash(tmp_path):
    from indicators import csvrecords

    table = tmp_path / "values.csv"
    table.write_bytes(b"area,x\na,1\n")
    recorded = csvrecords.content_digest(table, scan=True)
    table.write_bytes(b"area,x\n\xff,1\n")  # same size, not UTF-8
    csvrecords._LOADED.clear()
    assert not csvrecords.same_content(table, recorded)
    table.unlink()
    assert not csvrecords.same_content(table, recorded)


def _saved_manifest(tmp_path: Path, names: list[str]) -> tuple[Path, Path]:
    """A manifest with one report step per name (output ``out/index.html``), saved;
    returns its path and the output dir."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("x")
    path = tmp_path / "m.json"
    m = Manifest(path, output_dir=out)
    for name in names:
        m.record(Step(f"report:{name}", name, {"k": name}), [out / "index.html"], 0.1)
    m.save({"python": "3"})
    return path, out


def test_the_manifest_is_written_one_step_per_line_and_only_when_changed(tmp_path):
    path, out = _saved_manifest(tmp_path, ["a", "b"])
    text = path.read_text(encoding="utf-8")
    assert json.loads(text)["steps"].keys() == {"report:a", "report:b"}
    assert [line.split(":")[0] for line in text.splitlines() if "report:" in line] == [
        ' "report',
        ' "report',
    ]
    os.utime(path, ns=(1, 1))
    again = Manifest(path, output_dir=out)
    again.save({"python": "3"})  # nothing changed: not written
    assert path.stat().st_mtime_ns == 1
    again.forget("report:a")
    again.save({"python": "3"})
    assert path.stat().st_mtime_ns != 1
    assert list(json.loads(path.read_text(encoding="utf-8"))["steps"]) == ["report:b"]


def test_the_manifest_decodes_only_the_entries_it_uses(tmp_path):
    names = ["a", 'quote"d', "back\\slash", "é, {x}: y", "z"]
    path, out = _saved_manifest(tmp_path, names)
    whole = json.loads(path.read_text(encoding="utf-8"))
    again = Manifest(path, output_dir=out)
    assert again.steps._decoded == {}  # nothing decoded by reading
    assert set(again.steps) == {f"report:{n}" for n in names}
    assert again.entry('report:quote"d') == whole["steps"]['report:quote"d']
    assert len(again.steps._decoded) == 1
    assert again.data["code"] == whole["code"] and again.data["env"] == {"python": "3"}
    # An entry that was used and changed is written from its new form, the rest as read.
    again.entry("report:a")["seconds"] = 9.5
    again._dirty = True
    again.save({"python": "3"})
    after = json.loads(path.read_text(encoding="utf-8"))
    whole["steps"]["report:a"]["seconds"] = 9.5
    assert after == whole


def test_a_manifest_in_another_layout_or_with_a_damaged_entry_is_still_read(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("x")
    path = tmp_path / "m.json"
    m = Manifest(path, output_dir=out)
    st = Step("report:a", "a", {"k": "v"}, outputs=[out / "index.html"])
    m.record(st, [out / "index.html"], 0.1)
    m.record(Step("report:b", "b", {"k": "w"}), [], 0.1)
    m.save({"python": "3"})
    data = json.loads(path.read_text(encoding="utf-8"))
    # Indented by hand (or by an older version): decoded as a whole.
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    assert Manifest(path, output_dir=out).reasons(st, env={}) == []
    # One damaged entry: that step counts as not built, the others are kept.
    m.save({"python": "4"})  # back to the line layout
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [ln.replace('"w"', "w") if "report:b" in ln else ln for ln in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    again = Manifest(path, output_dir=out)
    assert again.reasons(st, env={}) == []
    assert again.entry("report:b") is None
    assert again.reasons(Step("report:b", "b", {"k": "w"}), env={}) == ["not built before"]
    # Not JSON at all: everything rebuilds.
    path.write_text("{not json", encoding="utf-8")
    assert Manifest(path, output_dir=out).reasons(st, env={}) == ["not built before"]


def test_inputs_resolve_paths_as_path_resolve_does(tmp_path):
    inp = cache.Inputs(Paths.default(), "builtin")
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.yml").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "b.yml").symlink_to(tmp_path / "real" / "a.yml")
    for p in [
        tmp_path / "link" / "a.yml",
        tmp_path / "link" / "b.yml",  # a link to a file
        tmp_path / "link" / ".." / "real" / "a.yml",
        tmp_path / "link" / "missing.yml",
        Path("params") / "heerlen-noord.yml",
        Path("."),
        Path("/"),
    ]:
        assert inp._resolve(p) == p.resolve(), p


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 64 + 3])
def test_file_digests_are_sha256sum_at_every_chunk_boundary(tmp_path, monkeypatch, size):
    """Files are hashed in chunks (issue 7): the digest is the SHA-256 of the whole file,
    as ``sha256sum`` prints it, whatever the chunk size and file length."""
    import hashlib

    from indicators import kept

    monkeypatch.setattr(kept, "_CHUNK", 8)
    f = tmp_path / "f.bin"
    data = bytes(range(256))[:size] if size < 256 else b""
    f.write_bytes(data)
    assert kept.sha256_file(f) == hashlib.sha256(data).hexdigest()
    if size == 0:
        assert kept.sha256_file(f) == (
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
