"""Warm execution (indicators.warm): papermill's parameters, in-process, isolated, audited."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from indicators.warm import NotebookCellError, run_notebook


def _notebook(path: Path, *cells: str, params: str = 'name = "default"\nout = "out.txt"') -> Path:
    """A tiny notebook: a tagged parameters cell, then ``cells``."""
    p = new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb = new_notebook(
        cells=[new_markdown_cell("# test"), p, *(new_code_cell(c) for c in cells)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, str(path))
    return path


def test_parameters_are_injected_after_the_parameters_cell_as_papermill_does(tmp_path):
    nb_path = _notebook(
        tmp_path / "nb.ipynb", "from pathlib import Path\nPath(out).write_text(name)"
    )
    nb = run_notebook(nb_path, {"name": "heerlen-noord"}, tmp_path)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags[1] == ["parameters"] and tags[2] == ["injected-parameters"]
    assert nb.cells[2].source == '# Parameters\nname = "heerlen-noord"\n'
    assert nb.metadata.papermill.parameters == {"name": "heerlen-noord"}
    assert (tmp_path / "out.txt").read_text() == "heerlen-noord"


def test_cells_run_in_the_work_dir_and_the_cwd_is_restored(tmp_path):
    nb_path = _notebook(tmp_path / "nb.ipynb", "import os\nwhere = os.getcwd()\nprint(where)")
    work = tmp_path / "work"
    work.mkdir()
    before = os.getcwd()
    nb = run_notebook(nb_path, {}, work)
    assert nb.cells[2].outputs[0]["text"].strip() == str(work)
    assert os.getcwd() == before


def test_every_run_gets_a_fresh_namespace(tmp_path):
    first = _notebook(tmp_path / "a.ipynb", "leftover = 1")
    second = _notebook(tmp_path / "b.ipynb", "print('leftover' in dir())")
    run_notebook(first, {}, tmp_path)
    nb = run_notebook(second, {}, tmp_path)
    assert nb.cells[2].outputs[0]["text"].strip() == "False"


def test_matplotlib_state_is_restored_and_figures_closed(tmp_path):
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    size = mpl.rcParams["font.size"]
    nb_path = _notebook(
        tmp_path / "nb.ipynb",
        "import matplotlib as mpl, matplotlib.pyplot as plt\n"
        "mpl.rcParams['font.size'] = 31\nfig = plt.figure()",
    )
    run_notebook(nb_path, {}, tmp_path)
    assert mpl.rcParams["font.size"] == size
    assert plt.get_fignums() == []
    assert mpl.get_backend().lower() == "agg"


def test_display_and_last_expression_become_outputs(tmp_path):
    nb_path = _notebook(
        tmp_path / "nb.ipynb",
        "from IPython.display import Markdown, display\ndisplay(Markdown('**vet**'))\n1 + 1",
        "x = 3;",
    )
    nb = run_notebook(nb_path, {}, tmp_path)  # no parameters: nothing injected
    kinds = [o["output_type"] for o in nb.cells[2].outputs]
    assert kinds == ["display_data", "execute_result"]
    assert nb.cells[2].outputs[0]["data"]["text/markdown"] == "**vet**"
    assert nb.cells[2].outputs[1]["data"]["text/plain"] == "2"
    assert nb.cells[3].outputs == []  # a trailing ';' suppresses the result


def test_a_failing_cell_names_the_cell_and_keeps_the_failed_notebook(tmp_path):
    nb_path = _notebook(tmp_path / "nb.ipynb", "ok = 1", "raise ValueError('kapot')", "never = 1")
    out, audit = tmp_path / "failed.ipynb", tmp_path / "audit.json"
    with pytest.raises(NotebookCellError, match=r"nb\.ipynb, In \[4\]: ValueError: kapot"):
        run_notebook(nb_path, {"name": "x"}, tmp_path, notebook_out=out, audit_out=audit)
    nb = nbformat.read(str(out), 4)  # markdown, parameters, injected, ok, raise, never
    assert nb.cells[4].outputs[-1]["output_type"] == "error"
    assert nb.cells[4].outputs[-1]["evalue"] == "kapot"
    assert nb.cells[5].get("execution_count") is None  # later cells did not run
    record = json.loads(audit.read_text())
    assert record["ok"] is False and "kapot" in record["error"]


def test_the_audit_record_has_parameters_cell_hash_and_durations(tmp_path):
    nb_path = _notebook(tmp_path / "nb.ipynb", "y = 2")
    audit = tmp_path / "audit.json"
    run_notebook(nb_path, {"name": "x"}, tmp_path, audit_out=audit)
    record = json.loads(audit.read_text())
    assert record["parameters"] == {"name": "x"}
    assert record["execution"] == "warm" and record["ok"] is True
    assert len(record["cells_sha256"]) == 64
    assert len(record["cell_seconds"]) == 3  # parameters, injected, one cell
    assert record["notebook_written"] is False  # only when asked for or failed


def test_sys_exit_in_a_cell_is_a_cell_error_not_the_end_of_the_worker(tmp_path):
    nb_path = _notebook(tmp_path / "nb.ipynb", "import sys\nsys.exit(3)")
    with pytest.raises(NotebookCellError, match="SystemExit: 3"):
        run_notebook(nb_path, {}, tmp_path)


# --------------------------------------------------------------------------- real notebook


@pytest.fixture(scope="module")
def subset_results(tmp_path_factory):
    """Compute results of a three-gemeente subset of the demo data (about 2 s)."""
    from indicators.cache import ResultsIndex
    from indicators.pipeline import Paths, compute_step
    from indicators.scale import subset

    out = tmp_path_factory.mktemp("subset")
    data, params = subset(
        out, ["GM0917", "GM0928", "GM0981"], ["heerlen-noord", "kerkrade-oost", "gemeente-vaals"]
    )
    paths = Paths.default(data_dir=data, params_dir=params, build_dir=out / "build")
    full = compute_step(paths)
    sliced = ResultsIndex(full).write_slice("heerlen-noord", out / "slice")
    return params, full, sliced


def _content(path: Path) -> bytes | dict[str, bytes]:
    """A file's bytes; for a workbook (.xlsx) its members, without the save time.

    Zip entries and ``dcterms:modified`` carry the wall-clock time of saving
    (openpyxl sets it on save), so two runs differ there whatever runs them.
    """
    if path.suffix == ".xlsx":
        import re
        import zipfile

        with zipfile.ZipFile(path) as z:
            members = {n: z.read(n) for n in sorted(z.namelist())}
        core = members.get("docProps/core.xml", b"")
        members["docProps/core.xml"] = re.sub(rb"<dcterms:modified[^<]*<", b"<", core)
        return members
    return path.read_bytes()


def _fragments(root: Path) -> dict:
    return {str(p.relative_to(root)): _content(p) for p in sorted(root.rglob("*")) if p.is_file()}


def test_warm_execution_on_a_slice_gives_byte_identical_fragments_to_papermill(
    subset_results, tmp_path, root
):
    """Warm (in-process, reading the area's slice) == papermill (fresh kernel, full results)."""
    from indicators.pipeline import execute_notebook

    params, full, sliced = subset_results

    def parameters(results: Path, work: Path) -> dict:
        return {
            "area": "heerlen-noord",
            "params_file": str(params / "heerlen-noord.yml"),
            "results_dir": str(results),
            "fragments_dir": str(work / "_fragments"),
        }

    pm_work, warm_work = tmp_path / "pm", tmp_path / "warm"
    pm_work.mkdir()
    warm_work.mkdir()
    execute_notebook(
        root / "analysis/area.ipynb", pm_work / "nb.ipynb", parameters(full, pm_work), pm_work
    )
    run_notebook(root / "analysis/area.ipynb", parameters(sliced, warm_work), warm_work)
    pm, warm = _fragments(pm_work / "_fragments"), _fragments(warm_work / "_fragments")
    assert len(pm) > 10 and any(k.endswith(".svg") for k in pm)
    assert sorted(pm) == sorted(warm)
    different = [k for k in pm if pm[k] != warm[k]]
    assert different == []
