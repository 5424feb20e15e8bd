"""Benchmark: hotblocking:computerisk on joined incidents (speed, memory).

A benchmark, not a test. Inputs are the cached synthetic data of ``_common.py`` (roads =
blocks with a block_id, incidents with call_time); the joined-incident GeoPackage is made once
per (size, seed) by running hotblocking:joinincidents in a child process and is cached too.

For each size it measures, in one process:

* the whole ``processing.run('hotblocking:computerisk')`` (three windows, BANDWIDTH=150 so
  network smoothing is on, OUTPUT to a .gpkg), wall and CPU seconds and peak RSS;
* the core ``hotblocking.risk.compute_risk`` alone on the same inputs, read beforehand with
  the algorithm's own readers (reading not timed), with a phase breakdown taken from its
  progress callback (the fractions are the ones compute_risk reports).

Peak RSS as in bench_join.py: VmHWM reset through /proc/self/clear_refs before each run.
Targets at 500k blocks / 2M incidents: whole run < 30 s and peak < 2 GB.

    python bench/bench_risk.py [--size small|large|both] [--seed N] [--profile [cprofile|sample]]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C

LABELS = {"small": "50k/200k", "large": "500k/2M"}
WINDOWS = (
    "Fri/Sat nights=Fri-Sat 22:00-04:00; Lunch=weekdays 11:00-15:00; " "Evening=daily 18:00-22:00"
)
BANDWIDTH = 150.0
TARGET_SECONDS = {"large": 30.0}
TARGET_PEAK_MB = {"large": 2048.0}
SOURCE_LABEL = "ambulance"
# compute_risk's progress fractions (hotblocking/risk/pipeline.py): each phase ends at the last
# progress call at or below its fraction (the last phase ends with the call).
PHASES = [
    (0.10, "prepare incidents (ids, sources, times to UTC)"),
    (0.15, "build network (smoothing graph)"),
    (0.20, "merge duplicates / source mask"),
    (0.25, "flags, weights, study period"),
    (0.30, "hour-of-week profiles"),
    (0.60, "per-window aoristic counts"),
    (0.85, "network smoothing"),
    (2.00, "ranks, significance, hot, profile text, table"),
]


def _uri(path: Path, layer: str) -> str:
    return f"{path}|layername={layer}"


def ensure_joined(size: str, seed: int) -> None:
    if C.joined_path(size, seed).exists():
        return
    print(f"[data] joining {size} incidents once (child process) ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--make-joined", size, "--seed", str(seed)], check=True
    )
    print(f"[data] joined in {time.perf_counter() - t0:.1f} s", flush=True)


def make_joined(size: str, seed: int) -> None:
    keep = C.start()  # noqa: F841
    work = Path(tempfile.mkdtemp(prefix="hb-bench-joined-"))
    try:
        tmp = C.data_dir(size, seed) / "joined.tmp.gpkg"
        result, _ = C.run_alg(
            "hotblocking:joinincidents",
            {
                "INCIDENTS": _uri(C.incidents_path(size, seed), C.INCIDENTS_LAYER),
                "BLOCKS": _uri(C.roads_path(size, seed), C.ROADS_LAYER),
                "SOURCE": SOURCE_LABEL,
                "MAX_DISTANCE": 50,
                "TIME_FIELD": "call_time",
                "OUTPUT": str(tmp),  # table joined_incidents (the algorithm's default)
                "UNMATCHED": str(work / "unmatched.gpkg"),
            },
        )
        os.replace(tmp, C.joined_path(size, seed))
        print(f"[data] {result['MATCHED_COUNT']} joined incidents", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    C.finish(0)


def risk_params(size: str, seed: int, output: str) -> dict:
    return {
        "BLOCKS": _uri(C.roads_path(size, seed), C.ROADS_LAYER),
        "INCIDENTS": [_uri(C.joined_path(size, seed), C.JOINED_LAYER)],
        "WINDOWS": WINDOWS,
        "BANDWIDTH": BANDWIDTH,
        "OUTPUT": output,
    }


def warm_up() -> None:
    """Untimed joinincidents + computerisk on the bundled sample (lazy imports, GDAL, PROJ)."""
    from tools.sample_pipeline import SAMPLE  # importable once QGIS is started

    work = Path(tempfile.mkdtemp(prefix="hb-bench-warm-"))
    try:
        roads = _uri(SAMPLE, "road_link")
        C.run_alg(
            "hotblocking:joinincidents",
            {
                "INCIDENTS": _uri(SAMPLE, "ambulance"),
                "BLOCKS": roads,
                "MAX_DISTANCE": 50,
                "TIME_FIELD": "call_time",
                "OUTPUT": str(work / "j.gpkg"),
                "UNMATCHED": str(work / "u.gpkg"),
            },
        )
        C.run_alg("hotblocking:buildblocks", {"INPUT": roads, "OUTPUT": str(work / "b.gpkg")})
        C.run_alg(
            "hotblocking:computerisk",
            {
                "BLOCKS": str(work / "b.gpkg"),
                "INCIDENTS": [str(work / "j.gpkg")],
                "WINDOWS": WINDOWS,
                "BANDWIDTH": BANDWIDTH,
                "OUTPUT": str(work / "r.gpkg"),
            },
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_whole(size: str, seed: int, work: Path, profile: bool) -> dict:
    import cProfile

    output = str(work / "risk.gpkg")
    baseline = C.reset_peak()
    profiler = cProfile.Profile() if profile == "cprofile" else None
    sampler = C.Sampler() if profile == "sample" else None
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    if sampler:
        sampler.__enter__()
    result, _ = C.run_alg("hotblocking:computerisk", risk_params(size, seed, output))
    if sampler:
        sampler.__exit__(None, None, None)
        print(f"\n--- sampled time and RSS of computerisk at {LABELS[size]} ---")
        print(sampler.report(), flush=True)
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak = C.hwm_mb()
    if profiler:
        C.print_profile(profiler, f"risk_{size}", f"computerisk at {LABELS[size]}", top=40)
    with sqlite3.connect(output) as db:
        (table,) = db.execute("SELECT table_name FROM gpkg_contents LIMIT 1").fetchone()
        rows = db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak": peak,
        "baseline": baseline,
        "rows": rows,
        "hot": result.get("HOT_BLOCKS"),
        "used": result.get("INCIDENTS_USED"),
    }


def read_inputs(size: str, seed: int):
    """Blocks and incidents as computerisk reads them (the bridge's typed readers)."""
    import importlib

    from qgis.core import QgsProcessingContext, QgsVectorLayer

    bridge = importlib.import_module("hotblocking_plugin.processing.bridge")
    context = QgsProcessingContext()
    blocks_layer = QgsVectorLayer(_uri(C.roads_path(size, seed), C.ROADS_LAYER), "blocks", "ogr")
    blocks = bridge.read_blocks(bridge.layer_input(blocks_layer, context))  # metres: BNG
    layer = QgsVectorLayer(_uri(C.joined_path(size, seed), C.JOINED_LAYER), "joined", "ogr")
    incidents = bridge.read_joined_incidents([bridge.layer_input(layer, context)])
    return blocks, incidents


def run_core(size: str, seed: int) -> dict:
    import importlib

    pkg = "hotblocking_plugin"
    risk = importlib.import_module(f"{pkg}.hotblocking.risk")
    windows_mod = importlib.import_module(f"{pkg}.hotblocking.windows")
    t0 = time.perf_counter()
    (frame, geoms), incidents = read_inputs(size, seed)
    read_seconds = time.perf_counter() - t0
    windows = windows_mod.parse_windows(WINDOWS)
    marks = []

    def progress(fraction: float) -> None:
        marks.append((fraction, time.perf_counter()))

    baseline = C.reset_peak()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = risk.compute_risk(
        incidents,
        frame,
        geoms,
        windows,
        hot_rule=risk.HotRule("top_n", 10.0),
        bandwidth_m=BANDWIDTH,
        max_span_hours=72.0,
        progress=progress,
    )
    end = time.perf_counter()
    seconds, cpu = end - wall0, time.process_time() - cpu0
    peak = C.hwm_mb()
    phases, last, k = [], wall0, 0
    for limit, name in PHASES:
        stamp = last
        while k < len(marks) and marks[k][0] <= limit + 1e-9:
            stamp = marks[k][1]
            k += 1
        if limit > 1:
            stamp = end
        phases.append((name, stamp - last))
        last = stamp
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak": peak,
        "baseline": baseline,
        "rows": len(result.table),
        "read_seconds": read_seconds,
        "phases": phases,
        "incidents": len(incidents),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=["small", "large", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile",
        nargs="?",
        const="cprofile",
        choices=["cprofile", "sample"],
        help="profile the whole computerisk run: cProfile (default) top "
        "functions, or 'sample': time, peak RSS and RSS growth per line",
    )
    parser.add_argument("--no-core", action="store_true", help="skip the core-only run")
    parser.add_argument("--make-joined", choices=sorted(C.SIZES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_joined:
        make_joined(args.make_joined, args.seed)
        return
    sizes = ["small", "large"] if args.size == "both" else [args.size]

    print(f"bench_risk: {C.machine_line()}; {C.code_line()}", flush=True)
    for size in sizes:
        C.ensure_data(size, args.seed)
        ensure_joined(size, args.seed)
    keep = C.start()  # noqa: F841
    if not C.clear_refs_works():
        print(
            "WARNING: /proc/self/clear_refs does not reset VmHWM on this kernel: the peak "
            "column is the process's peak so far, not per run.",
            flush=True,
        )
    warm_up()

    rows, checks, breakdown, ok_all = [], [], [], True
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"hb-bench-risk-{size}-"))
        try:
            load = os.getloadavg()[0]
            print(
                f"[{LABELS[size]}] hotblocking:computerisk (whole run) ... (load {load:.2f})",
                flush=True,
            )
            whole = run_whole(size, args.seed, work, args.profile)
            print(f"    {whole['seconds']:.1f} s, peak {whole['peak']:.0f} MB", flush=True)
            rows.append(
                [
                    LABELS[size],
                    "hotblocking:computerisk -> gpkg (whole run)",
                    f"{whole['seconds']:.1f}",
                    f"{whole['cpu']:.1f}",
                    f"{whole['peak']:.0f}",
                    f"{whole['peak'] - whole['baseline']:+.0f}",
                    whole["rows"],
                    f"{load:.2f}",
                ]
            )
            if size in TARGET_SECONDS:
                met = whole["seconds"] < TARGET_SECONDS[size]
                ok_all &= met
                checks.append(
                    f"{LABELS[size]}: whole run {whole['seconds']:.1f} s (target < "
                    f"{TARGET_SECONDS[size]:.0f} s): {'MET' if met else 'MISSED'}"
                )
                met = whole["peak"] < TARGET_PEAK_MB[size]
                ok_all &= met
                checks.append(
                    f"{LABELS[size]}: peak {whole['peak']:.0f} MB (target < "
                    f"{TARGET_PEAK_MB[size]:.0f} MB): {'MET' if met else 'MISSED'}"
                )
            checks.append(
                f"{LABELS[size]}: {whole['used']} incidents used, "
                f"{whole['hot']} hot blocks, {whole['rows']} output rows"
            )
            if not args.no_core:
                load = os.getloadavg()[0]
                print(f"[{LABELS[size]}] core compute_risk alone ... (load {load:.2f})", flush=True)
                core = run_core(size, args.seed)
                print(f"    {core['seconds']:.1f} s, peak {core['peak']:.0f} MB", flush=True)
                rows.append(
                    [
                        LABELS[size],
                        "core compute_risk only (inputs in memory)",
                        f"{core['seconds']:.1f}",
                        f"{core['cpu']:.1f}",
                        f"{core['peak']:.0f}",
                        f"{core['peak'] - core['baseline']:+.0f}",
                        core["rows"],
                        f"{load:.2f}",
                    ]
                )
                breakdown.append(
                    f"{LABELS[size]}: reading inputs (untimed above) "
                    f"{core['read_seconds']:.1f} s; compute_risk phases:"
                )
                breakdown += [f"    {sec:6.2f} s  {name}" for name, sec in core["phases"]]
        finally:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nbench_risk results ({C.machine_line()}; {C.code_line()})")
    print(f"windows: {WINDOWS}; BANDWIDTH={BANDWIDTH:g}")
    C.print_table(
        [
            "size (blocks/incidents)",
            "what",
            "seconds",
            "cpu s",
            "peak MB",
            "+MB",
            "rows out",
            "load",
        ],
        rows,
    )
    print()
    for line in checks + breakdown:
        print(line)
    print("\nall targets met" if ok_all else "\nSOME TARGET MISSED (see above)")
    C.finish(0)


if __name__ == "__main__":
    main()
