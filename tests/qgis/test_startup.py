"""Loading the plugin costs QGIS nothing it does not need: no numpy, pandas, scipy or shapely.

QGIS loads every enabled plugin when it starts, used or not, and lists the toolbox from the
algorithms' parameters. Each case runs in a fresh process (scripts/startup_probe.py), as QGIS
does: an in-process test would see modules earlier tests imported. The heavy modules must
arrive once an algorithm runs, not before (bench/bench_startup.py measures what that saves).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hb_plugin import ALGORITHM_NAMES

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "scripts" / "startup_probe.py"
HEAVY = {"numpy", "pandas", "scipy", "shapely"}
ALGORITHMS = {f"hotblocking:{name}" for name in ALGORITHM_NAMES} | {
    "hotblocking:Hot Blocking: roads + incidents to brief",
    "hotblocking:Hot Blocking: roads + one incident source to brief",
    "hotblocking:Hot Blocking: roads + two incident sources to brief",
}


def probe(*args) -> dict:
    done = subprocess.run(
        [sys.executable, str(PROBE), "--plugin", str(ROOT), *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "mode", [["--list-parameters"], ["--gui", "--list-parameters"]], ids=["processing", "desktop"]
)
def test_loading_the_plugin_imports_no_heavy_module(mode):
    result = probe(*mode)
    assert result["heavy_before"] == []  # QGIS and its Processing alone import none of them
    assert set(result["algorithms"]) == ALGORITHMS  # loaded whole: seven algorithms, the model
    assert not HEAVY & set(result["heavy_after_load"]), result["heavy_after_load"]
    assert result["distance_widget_after_load"] is False  # only when a dialog opens


def test_the_heavy_modules_arrive_when_an_algorithm_runs():
    result = probe("--run-sample")
    assert result["heavy_after_load"] == []
    assert {"numpy", "pandas", "shapely"} <= set(result["heavy_after_run"])
