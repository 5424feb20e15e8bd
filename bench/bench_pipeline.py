"""Benchmark: hotblocking:pipeline (roads and incidents to brief, in one step) against QGIS's
native:joinbynearest alone (speed, memory).

A benchmark, not a test (``make bench``). For each size it times, in ONE process and side by
side, whole ``processing.run`` calls on the same cached GeoPackages (see ``_common.py``):

* ``hotblocking:pipeline``: blocks (MAX_LENGTH 100 m), the join (MAX_DISTANCE 50 m), risk in
  three windows with 150 m network smoothing, a 10-page brief (TOP_N 9: a cover and nine
  block pages), every output to a GeoPackage (BLOCKS, OUTPUT, JOINED, UNMATCHED, PROFILES);
* ``native:joinbynearest`` (FIELDS_TO_COPY=block_id, NEIGHBORS=1, MAX_DISTANCE=50) to
  TEMPORARY_OUTPUT: the join alone, as an analyst runs it.

Where the pipeline's time goes comes from its own log ("Step time: ..." lines). Peak memory:
VmHWM reset before each run (as bench_join.py). Targets at 500k links / 2M incidents: the
pipeline at least 3x faster than the native join alone, under 3 GB.

    python bench/bench_pipeline.py [--size small|large|both] [--seed N] [--only CASE]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C
from bench_join import LABELS, MAX_DISTANCE, run_case

WINDOWS = (
    "Fri/Sat nights=Fri-Sat 22:00-04:00; Lunch=weekdays 11:00-15:00; Evening=daily 18:00-22:00"
)
BANDWIDTH = 150.0
TOP_N = 9  # a cover and nine block pages
TARGET_RATIO = 3.0
TARGET_PEAK_MB = {"large": 3072.0}
CASES = ("pipeline", "native_temp")
TOOL_NAMES = {
    "pipeline": "hotblocking:pipeline -> gpkg (all outputs) + PDF",
    "native_temp": "native:joinbynearest -> TEMPORARY_OUTPUT",
}
STEP_TIME = re.compile(r"^Step time: (?P<step>.+) (?P<seconds>[\d.]+) s\.$")


def pipeline_case(size: str, seed: int, work: Path) -> dict:
    from qgis.core import QgsProcessingContext

    import processing

    params = {
        "ROADS": f"{C.roads_path(size, seed)}|layername={C.ROADS_LAYER}",
        "INCIDENTS": [f"{C.incidents_path(size, seed)}|layername={C.INCIDENTS_LAYER}"],
        "MAX_LENGTH": 100,
        "MAX_DISTANCE": MAX_DISTANCE,
        "WINDOWS": WINDOWS,
        "BANDWIDTH": BANDWIDTH,
        "TOP_N": TOP_N,
        "BLOCKS": str(work / "blocks.gpkg"),
        "OUTPUT": str(work / "hot_blocks.gpkg"),
        "JOINED": str(work / "joined.gpkg"),
        "UNMATCHED": str(work / "unmatched.gpkg"),
        "PROFILES": str(work / "profiles.gpkg"),
        "PDF": str(work / "brief.pdf"),
    }
    log = C.info_log()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = processing.run(
        "hotblocking:pipeline", params, context=QgsProcessingContext(), feedback=log
    )
    seconds, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    steps = [m.groupdict() for m in map(STEP_TIME.match, log.lines) if m]
    return {
        "case": "pipeline",
        "seconds": seconds,
        "cpu": cpu,
        "rows": result["BLOCK_COUNT"],
        "matched": int(result["MATCHED_COUNT"]),
        "read": int(result["READ_COUNT"]),
        "unmatched": int(result["UNMATCHED_COUNT"]),
        "pages": int(result["PAGE_COUNT"]),
        "steps": [(s["step"], float(s["seconds"])) for s in steps],
    }


def measure(case: str, size: str, seed: int, work: Path) -> dict:
    baseline = C.reset_peak()
    if case == "pipeline":
        res = pipeline_case(size, seed, work)
    else:
        res = run_case(case, size, seed, work)
    res.update(peak=C.hwm_mb(), baseline=baseline)
    return res


def warm_up() -> None:
    """One untimed run of each on the bundled sample (lazy imports, drivers, PROJ)."""
    from tools.sample_pipeline import SAMPLE

    work = Path(tempfile.mkdtemp(prefix="hb-bench-warm-"))
    try:
        C.run_alg(
            "hotblocking:pipeline",
            {
                "ROADS": f"{SAMPLE}|layername=road_link",
                "INCIDENTS": [f"{SAMPLE}|layername=ambulance"],
                "BLOCKS": str(work / "b.gpkg"),
                "OUTPUT": str(work / "h.gpkg"),
                "PDF": str(work / "b.pdf"),
            },
        )
        C.run_alg(
            "native:joinbynearest",
            {
                "INPUT": f"{SAMPLE}|layername=ambulance",
                "INPUT_2": f"{SAMPLE}|layername=road_link",
                "FIELDS_TO_COPY": ["id"],
                "NEIGHBORS": 1,
                "MAX_DISTANCE": MAX_DISTANCE,
                "OUTPUT": "TEMPORARY_OUTPUT",
            },
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=["small", "large", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=CASES, action="append")
    args = parser.parse_args()
    sizes = ["small", "large"] if args.size == "both" else [args.size]
    cases = list(args.only or CASES)

    print(f"bench_pipeline: {C.machine_line()}; {C.code_line()}", flush=True)
    for size in sizes:
        C.ensure_data(size, args.seed)
    keep = C.start()  # noqa: F841 (must stay referenced)
    if not C.clear_refs_works():
        print("peak memory: VmHWM cannot be reset here; peaks are the process's so far")
    warm_up()
    rows, checks, ok_all = [], [], True
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"hb-bench-pipeline-{size}-"))
        results = {}
        try:
            for case in cases:
                load = os.getloadavg()[0]
                print(f"[{LABELS[size]}] {TOOL_NAMES[case]} ... (load {load:.2f})", flush=True)
                res = measure(case, size, args.seed, work)
                res["load"] = load
                results[case] = res
                print(f"    {res['seconds']:.1f} s, peak {res['peak']:.0f} MB", flush=True)
                for step, seconds in res.get("steps", []):
                    print(f"      step: {step} {seconds:.1f} s", flush=True)
                for f in work.iterdir():
                    f.unlink()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        ours = results.get("pipeline")
        for case in cases:
            r = results[case]
            ratio = f"{r['seconds'] / ours['seconds']:.2f}x" if ours and case != "pipeline" else ""
            rows.append(
                [
                    LABELS[size],
                    TOOL_NAMES[case],
                    f"{r['seconds']:.1f}",
                    f"{r['cpu']:.1f}",
                    f"{r['peak']:.0f}",
                    f"{r['peak'] - r['baseline']:+.0f}",
                    "" if r.get("matched") is None else r["matched"],
                    ratio,
                    f"{r['load']:.2f}",
                ]
            )
        if ours:
            steps = "; ".join(f"{step} {seconds:.1f} s" for step, seconds in ours["steps"])
            checks.append(f"{LABELS[size]}: pipeline steps: {steps}; {ours['pages']} pages")
            balanced = ours["read"] == ours["matched"] + ours["unmatched"]
            checks.append(
                f"{LABELS[size]}: read {ours['read']} = joined {ours['matched']} + unmatched "
                f"{ours['unmatched']}: {'OK' if balanced else 'BAD'}"
            )
            ok_all &= balanced
            native = results.get("native_temp")
            if native:
                ratio = native["seconds"] / ours["seconds"]
                met = ratio >= TARGET_RATIO
                ok_all &= met
                checks.append(
                    f"{LABELS[size]}: native join alone / pipeline = {ratio:.2f}x (target >= "
                    f"{TARGET_RATIO:.0f}x): {'MET' if met else 'MISSED'}"
                )
                same = native["matched"] == ours["matched"]
                ok_all &= same
                checks.append(
                    f"{LABELS[size]}: matched incidents pipeline {ours['matched']} vs native "
                    f"{native['matched']} (distinct ref): {'AGREE' if same else 'DIFFER'}"
                )
            if size in TARGET_PEAK_MB:
                line, met = C.peak_check(
                    LABELS[size], "pipeline", ours["peak"], TARGET_PEAK_MB[size]
                )
                ok_all &= met
                checks.append(line)

    C.report(
        "bench_pipeline",
        ["size", "tool", "seconds", "cpu s", "peak MB", "+MB", "matched", "native/ours", "load"],
        rows,
        checks,
        ok_all,
    )
    C.finish(0)


if __name__ == "__main__":
    main()
