"""What loading Hot Blocking adds to QGIS's start-up: time and peak memory (not a test).

Each case is a fresh process (scripts/startup_probe.py) that starts QGIS and Processing, then
loads the plugin as QGIS does: ``classFactory(None).initProcessing()`` ("processing", what
qgis_process and a headless script do) or ``classFactory(iface).initGui()`` ("desktop",
with a stand-in iface and a real main window for the explorer dock). Every algorithm's
parameters are read, as the toolbox does. Cases:

- QGIS alone (no plugin);
- this checkout;
- with ``--before REV``: the plugin as it was at git revision REV (``git archive`` into a
  temporary folder), e.g. the last commit before the heavy imports were deferred.

Printed per case: median over ``--runs`` of the plugin's load time, wall and CPU (import to
the toolbox listed; CPU time is the fairer figure on a busy machine), and of the process's
peak RSS, and which heavy modules were imported.

    source scripts/env.sh && .venv/bin/python bench/bench_startup.py [--runs 5] [--before REV]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "scripts" / "startup_probe.py"


def probe(plugin: str | None, gui: bool) -> dict:
    command = [sys.executable, str(PROBE), "--list-parameters"]
    if plugin:
        command += ["--plugin", plugin]
    if gui:
        command.append("--gui")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def checkout(revision: str, folder: Path) -> Path:
    """The plugin's files at ``revision``, unpacked into ``folder``."""
    target = folder / "plugin"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def measure(label: str, plugin: str | None, gui: bool, runs: int) -> dict:
    probe(plugin, gui)  # warm-up: .pyc files written, file cache filled
    results = [probe(plugin, gui) for _ in range(runs)]
    return {
        "label": label,
        "load_s": statistics.median(r.get("plugin_seconds", 0.0) for r in results),
        "load_cpu_s": statistics.median(r.get("plugin_cpu_seconds", 0.0) for r in results),
        "qgis_s": statistics.median(r["qgis_seconds"] for r in results),
        "peak_mb": statistics.median(r["peak_rss_mb"] for r in results),
        "heavy": ", ".join(results[-1].get("heavy_after_load", [])) or "none",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", help="git revision of an earlier plugin to compare with")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hb-bench-startup-") as scratch:
        cases = [("QGIS alone", None), ("Hot Blocking (this checkout)", str(ROOT))]
        if args.before:
            old = checkout(args.before, Path(scratch))
            cases.append((f"Hot Blocking at {args.before}", str(old)))
        for gui in (False, True):
            mode = "desktop: initGui()" if gui else "processing: initProcessing()"
            load = os.getloadavg()[0]
            print(f"\n{mode}, median of {args.runs} fresh processes (load {load:.1f})")
            rows = [measure(label, plugin, gui, args.runs) for label, plugin in cases]
            base = rows[0]["peak_mb"]
            print(
                f"{'case':34} {'load wall s':>11} {'load CPU s':>10} {'peak RSS MB':>12} "
                f"{'+ MB':>6}  heavy imports"
            )
            for row in rows:
                print(
                    f"{row['label']:34} {row['load_s']:11.3f} {row['load_cpu_s']:10.3f} "
                    f"{row['peak_mb']:12.1f} {row['peak_mb'] - base:6.1f}  "
                    f"{row['heavy'] if row is not rows[0] else ''}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
