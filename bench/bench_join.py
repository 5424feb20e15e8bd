"""Benchmark: hotblocking:joinincidents against QGIS's native:joinbynearest (speed, memory).

A benchmark, not a test (``make bench``). For each size it times, in ONE process and side
by side, whole ``processing.run`` calls on the same cached GeoPackages (see ``_common.py``):

* ``hotblocking:joinincidents`` (MAX_DISTANCE=50, TIME_FIELD=call_time, OUTPUT and UNMATCHED
  to .gpkg files);
* ``native:joinbynearest`` (FIELDS_TO_COPY=block_id, NEIGHBORS=1, MAX_DISTANCE=50) to
  TEMPORARY_OUTPUT, as an analyst runs it, and once more to a .gpkg file (like for like);
* optionally ``hotblocking:buildblocks`` on the same roads, as an extra line (not compared).

Peak memory per run: the process's VmHWM is reset before each run (``5`` into
``/proc/self/clear_refs``) and read after it; where the kernel does not support that, each run
goes to a child process and its ``ru_maxrss`` is used (the table says which). "peak MB" is the
process's whole peak (QGIS included); "+MB" is that peak over the RSS just before the run.

Counts must agree: our MATCHED_COUNT against native's matched rows, counted as distinct
incidents (``ref``) with a block_id (native repeats a row for each tied nearest block).

    python bench/bench_join.py [--size small|large|both] [--seed N] [--no-buildblocks]
                               [--profile [cprofile|sample]]  # where ours spends time/memory
"""

from __future__ import annotations

import argparse
import json
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
TARGET_RATIO = {"small": 3.0, "large": 5.0}
OUR_PEAK_LIMIT_MB = {"large": 1536.0}
MAX_DISTANCE = 50
CASES = ("ours", "native_temp", "native_gpkg", "buildblocks")
TOOL_NAMES = {
    "ours": "hotblocking:joinincidents -> gpkg",
    "native_temp": "native:joinbynearest -> TEMPORARY_OUTPUT",
    "native_gpkg": "native:joinbynearest -> gpkg",
    "buildblocks": "(extra) hotblocking:buildblocks -> gpkg",
}


def _uri(path: Path, layer: str) -> str:
    return f"{path}|layername={layer}"


def _gpkg_counts(path: str, matched_sql: str | None = None) -> tuple[int, int | None]:
    """(rows, matched) of the single table in a GeoPackage."""
    with sqlite3.connect(path) as db:
        (table,) = db.execute("SELECT table_name FROM gpkg_contents LIMIT 1").fetchone()
        rows = db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        matched = None
        if matched_sql:
            matched = db.execute(matched_sql.format(table=table)).fetchone()[0]
    return rows, matched


def run_case(case: str, size: str, seed: int, work: Path, profile: str | None = None) -> dict:
    """One whole processing.run; returns seconds, cpu seconds, rows and matched counts."""
    import cProfile

    roads = _uri(C.roads_path(size, seed), C.ROADS_LAYER)
    incidents = _uri(C.incidents_path(size, seed), C.INCIDENTS_LAYER)
    if case == "ours":
        alg = "hotblocking:joinincidents"
        params = {
            "INCIDENTS": incidents,
            "BLOCKS": roads,
            "MAX_DISTANCE": MAX_DISTANCE,
            "TIME_FIELD": "call_time",
            "OUTPUT": str(work / "ours_joined.gpkg"),
            "UNMATCHED": str(work / "ours_unmatched.gpkg"),
        }
    elif case in ("native_temp", "native_gpkg"):
        alg = "native:joinbynearest"
        params = {
            "INPUT": incidents,
            "INPUT_2": roads,
            "FIELDS_TO_COPY": ["block_id"],
            "NEIGHBORS": 1,
            "MAX_DISTANCE": MAX_DISTANCE,
            "OUTPUT": "TEMPORARY_OUTPUT"
            if case == "native_temp"
            else str(work / "native_joined.gpkg"),
        }
    elif case == "buildblocks":
        alg = "hotblocking:buildblocks"
        params = {"INPUT": roads, "OUTPUT": str(work / "blocks.gpkg")}
    else:
        raise ValueError(case)

    profiler = cProfile.Profile() if profile == "cprofile" else None
    sampler = C.Sampler() if profile == "sample" else None

    wall0, cpu0 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    if sampler:
        sampler.__enter__()
    result, context = C.run_alg(alg, params)
    if sampler:
        sampler.__exit__(None, None, None)

    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    out = {"case": case, "seconds": seconds, "cpu": cpu}
    if sampler:
        print(f"\n--- sampled time and RSS of {TOOL_NAMES[case]} at {LABELS[size]} ---")
        print(sampler.report(), flush=True)
    if profiler:
        C.print_profile(
            profiler,
            f"join_{case}_{size}",
            f"{TOOL_NAMES[case]} at {LABELS[size]}",
            callers="executemany|_vec_string|force_2d|from_wkb|to_wkb|'astype'",
        )

    # Counting happens after the clock stops (and after the peak is read by the caller).
    if case == "ours":
        rows, _ = _gpkg_counts(params["OUTPUT"])
        out.update(
            rows=rows,
            matched=int(result["MATCHED_COUNT"]),
            unmatched=int(result["UNMATCHED_COUNT"]),
            read=int(result["READ_COUNT"]),
        )
    elif case == "native_gpkg":
        rows, matched = _gpkg_counts(
            params["OUTPUT"], 'SELECT COUNT(DISTINCT ref) FROM "{table}" WHERE block_id IS NOT NULL'
        )
        _, with_block = _gpkg_counts(
            params["OUTPUT"], 'SELECT COUNT(*) FROM "{table}" WHERE block_id IS NOT NULL'
        )
        out.update(rows=rows, matched=matched, with_block=with_block)
    elif case == "native_temp":
        out.update(_memory_counts(result["OUTPUT"], context))
    else:
        out.update(rows=_gpkg_counts(str(work / "blocks.gpkg"))[0], matched=None)
    return out


def _memory_counts(layer, context) -> dict:
    from qgis.core import QgsAggregateCalculator, QgsMapLayer, QgsProcessingUtils

    if not isinstance(layer, QgsMapLayer):
        layer = QgsProcessingUtils.mapLayerFromString(layer, context)
    rows = layer.featureCount()
    params = QgsAggregateCalculator.AggregateParameters()
    params.filter = '"block_id" IS NOT NULL'
    value, ok = layer.aggregate(QgsAggregateCalculator.CountDistinct, "ref", params)
    with_block, ok2 = layer.aggregate(QgsAggregateCalculator.Count, "ref", params)
    if not (ok and ok2):
        raise RuntimeError("could not count native's matched incidents")
    # drop the 2M-feature memory layer before the next run
    if hasattr(layer, "dataProvider"):
        layer.dataProvider().truncate()
    del layer
    return {"rows": rows, "matched": int(value), "with_block": int(with_block)}


def warm_up(cases) -> None:
    """One untimed run of each algorithm on the small bundled sample (lazy imports, GDAL
    driver and PROJ set-up), so the first timed run does not pay them."""
    from tools.sample_pipeline import SAMPLE  # importable once QGIS is started

    roads, incidents = _uri(SAMPLE, "road_link"), _uri(SAMPLE, "ambulance")
    work = Path(tempfile.mkdtemp(prefix="hb-bench-warm-"))
    try:
        if "ours" in cases:
            blocks = roads
            C.run_alg(
                "hotblocking:joinincidents",
                {
                    "INCIDENTS": incidents,
                    "BLOCKS": blocks,
                    "MAX_DISTANCE": MAX_DISTANCE,
                    "TIME_FIELD": "call_time",
                    "OUTPUT": str(work / "a.gpkg"),
                    "UNMATCHED": str(work / "b.gpkg"),
                },
            )
        if any(c.startswith("native") for c in cases):
            for out in ("TEMPORARY_OUTPUT", str(work / "c.gpkg")):
                C.run_alg(
                    "native:joinbynearest",
                    {
                        "INPUT": incidents,
                        "INPUT_2": roads,
                        "FIELDS_TO_COPY": ["id"],
                        "NEIGHBORS": 1,
                        "MAX_DISTANCE": MAX_DISTANCE,
                        "OUTPUT": out,
                    },
                )
        if "buildblocks" in cases:
            C.run_alg("hotblocking:buildblocks", {"INPUT": roads, "OUTPUT": str(work / "d.gpkg")})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_in_process(case, size, seed, work, profile) -> dict:
    baseline = C.reset_peak()
    res = run_case(case, size, seed, work, profile=profile if case == "ours" else None)
    # run_case counts after the run; the peak of the run itself was taken by then only if
    # counting uses less memory than the run, which holds (SQL counts, one aggregate).
    res.update(peak=C.hwm_mb(), baseline=baseline)
    return res


def measure_in_child(case, size, seed, work, profile) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        json.dumps(
            {"case": case, "size": size, "seed": seed, "work": str(work), "profile": profile}
        ),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    line = [ln for ln in output.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"child run of {case} failed:\n{output[-3000:]}")
    res = json.loads(line[-1][len("RESULT ") :])
    res.update(peak=usage.ru_maxrss / 1024, baseline=float("nan"))
    return res


def child_main(spec: str) -> None:
    s = json.loads(spec)
    keep = C.start()  # noqa: F841 (must stay referenced)
    res = run_case(s["case"], s["size"], s["seed"], Path(s["work"]), s["profile"])
    print("RESULT " + json.dumps(res), flush=True)
    C.finish(0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=["small", "large", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-buildblocks", action="store_true", help="skip the extra buildblocks line"
    )
    parser.add_argument(
        "--only", choices=CASES, action="append", help="run only these cases (repeatable)"
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="cprofile",
        choices=["cprofile", "sample"],
        help="profile our joinincidents run: cProfile (default) top functions, "
        "or 'sample': time, peak RSS and RSS growth per plugin source line",
    )
    parser.add_argument(
        "--child-processes",
        action="store_true",
        help="run each case in its own process (peak = ru_maxrss), as is done "
        "automatically where clear_refs cannot reset VmHWM",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child)
        return
    sizes = ["small", "large"] if args.size == "both" else [args.size]
    cases = list(args.only or CASES)
    if args.no_buildblocks and "buildblocks" in cases:
        cases.remove("buildblocks")

    print(f"bench_join: {C.machine_line()}; {C.code_line()}", flush=True)
    for size in sizes:
        C.ensure_data(size, args.seed)
    keep = C.start()  # noqa: F841 (must stay referenced)
    in_process = C.clear_refs_works() and not args.child_processes
    measure = measure_in_process if in_process else measure_in_child
    print(
        "peak memory: "
        + (
            "VmHWM reset via /proc/self/clear_refs, all runs in this process"
            if in_process
            else "each run in a child process, peak = its ru_maxrss (QGIS "
            "start-up included; no warm-up)"
        ),
        flush=True,
    )

    if in_process:
        warm_up(cases)
    rows, checks, ok_all = [], [], True
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"hb-bench-join-{size}-"))
        results = {}
        try:
            for case in cases:
                load = os.getloadavg()[0]
                print(f"[{LABELS[size]}] {TOOL_NAMES[case]} ... (load {load:.2f})", flush=True)
                res = measure(case, size, args.seed, work, args.profile)
                res["load"] = load
                results[case] = res
                print(
                    f"    {res['seconds']:.1f} s, peak {res['peak']:.0f} MB, "
                    f"rows {res['rows']}",
                    flush=True,
                )
                for f in work.glob("*.gpkg"):
                    f.unlink()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        ours = results.get("ours")
        for case in cases:
            r = results[case]
            ratio = ""
            if ours and case.startswith("native"):
                ratio = f"{r['seconds'] / ours['seconds']:.1f}x"
            growth = r["peak"] - r["baseline"]  # NaN in child-process mode
            rows.append(
                [
                    LABELS[size],
                    TOOL_NAMES[case],
                    f"{r['seconds']:.1f}",
                    f"{r['cpu']:.1f}",
                    f"{r['peak']:.0f}",
                    "n/a" if growth != growth else f"{growth:+.0f}",
                    r["rows"],
                    "" if r.get("matched") is None else r["matched"],
                    ratio,
                    f"{r['load']:.2f}",
                ]
            )
        if ours:
            for case in ("native_temp", "native_gpkg"):
                if case not in results:
                    continue
                r = results[case]
                ratio = r["seconds"] / ours["seconds"]
                met = ratio >= TARGET_RATIO[size]
                ok_all &= met
                checks.append(
                    f"{LABELS[size]}: {TOOL_NAMES[case]} / ours = {ratio:.1f}x "
                    f"(target >= {TARGET_RATIO[size]:.0f}x): "
                    f"{'MET' if met else 'MISSED'}"
                )
                same = r["matched"] == ours["matched"]
                ok_all &= same
                checks.append(
                    f"{LABELS[size]}: matched incidents ours {ours['matched']} vs "
                    f"native {r['matched']} (distinct ref; native rows {r['rows']} = "
                    f"{r['with_block']} with a block, of which "
                    f"{r['with_block'] - r['matched']} tie repeats, + "
                    f"{r['rows'] - r['with_block']} unmatched kept): "
                    f"{'AGREE' if same else 'DIFFER'}"
                )
            balanced = ours["read"] == ours["matched"] + ours["unmatched"]
            checks.append(
                f"{LABELS[size]}: ours read {ours['read']} = joined {ours['matched']} "
                f"+ unmatched {ours['unmatched']}: {'OK' if balanced else 'BAD'}"
            )
            if size in OUR_PEAK_LIMIT_MB:
                line, met = C.peak_check(LABELS[size], "our", ours["peak"], OUR_PEAK_LIMIT_MB[size])
                ok_all &= met
                checks.append(line)

    C.report(
        "bench_join",
        [
            "size (links/incidents)",
            "tool",
            "seconds",
            "cpu s",
            "peak MB",
            "+MB",
            "rows out",
            "matched",
            "native/ours",
            "load",
        ],
        rows,
        checks,
        ok_all,
    )
    C.finish(0)


if __name__ == "__main__":
    main()
