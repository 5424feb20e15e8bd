"""Benchmark: a national-scale run (issue 12), step by step through processing.run.

A benchmark, not a test: prints a table and MET/MISSED lines, always exits 0.

The size of Great Britain's OS Open Roads: 4M road links and 10M incidents (``--size
national``; ``small`` and ``large`` run the same steps on the other cached sizes). The data
are ``_common.py``'s synthetic street grid and clustered incidents (made once, cached; the
national incidents go without a spatial index, see ``_common.py``). In ONE process, one after
another, all outputs to GeoPackage (the brief to PDF):

1. ``hotblocking:buildblocks``    roads -> blocks.gpkg (default MAX_LENGTH 100 m, noding on);
2. ``hotblocking:joinincidents``  incidents -> joined.gpkg + unmatched.gpkg (50 m, call_time);
3. ``hotblocking:computerisk``    three windows, BANDWIDTH=150 (network smoothing on);
4. ``hotblocking:taskingbrief``   the Fri/Sat nights window, TOP_N=9: a cover and nine block
   pages (10 pages).

When ``hotblocking:pipeline`` (the one-step algorithm) is registered it also runs, as a fifth
line, with the same inputs and settings mapped onto its parameters by name (``--no-pipeline``
skips it; ``--only-pipeline`` runs it alone).

Per step: wall and CPU seconds and peak RSS (VmHWM reset before each step, as in
bench_join.py), and the process's peak over the whole run (``ru_maxrss``). ``--profile
sample`` adds, per step, the plugin source lines where the time and memory go;
``--profile cprofile`` the top functions.

Targets (issue 12, this 2-core 24 GB machine): whole run < 3 min, peak < 8 GB.

    python bench/bench_national.py [--size national|large|small] [--seed N]
                                   [--profile [cprofile|sample]] [--no-pipeline|--only-pipeline]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C

LABELS = {"small": "50k/200k", "large": "500k/2M", "national": "4M/10M"}
WINDOWS = (
    "Fri/Sat nights=Fri-Sat 22:00-04:00; Lunch=weekdays 11:00-15:00; Evening=daily 18:00-22:00"
)
BRIEF_WINDOW = "Fri/Sat nights"
BANDWIDTH = 150.0
MAX_DISTANCE = 50.0
TOP_N = 9  # a cover and nine block pages
SOURCE_LABEL = "ambulance"
TARGET_SECONDS = 180.0
TARGET_PEAK_MB = 8 * 1024.0
PIPELINE = "hotblocking:pipeline"


def _uri(path: Path, layer: str) -> str:
    return f"{path}|layername={layer}"


def steps(size: str, seed: int, work: Path) -> list[tuple[str, str, dict]]:
    """(label, algorithm, parameters) of the four steps, each reading the one before."""
    roads = _uri(C.roads_path(size, seed), C.ROADS_LAYER)
    incidents = _uri(C.incidents_path(size, seed), C.INCIDENTS_LAYER)
    blocks, joined = str(work / "blocks.gpkg"), str(work / "joined.gpkg")
    hot = str(work / "hot_blocks.gpkg")
    return [
        ("buildblocks", "hotblocking:buildblocks", {"INPUT": roads, "OUTPUT": blocks}),
        (
            "joinincidents",
            "hotblocking:joinincidents",
            {
                "INCIDENTS": incidents,
                "BLOCKS": blocks,
                "SOURCE": SOURCE_LABEL,
                "MAX_DISTANCE": MAX_DISTANCE,
                "TIME_FIELD": "call_time",
                "OUTPUT": joined,
                "UNMATCHED": str(work / "unmatched.gpkg"),
            },
        ),
        (
            "computerisk",
            "hotblocking:computerisk",
            {
                "BLOCKS": blocks,
                "INCIDENTS": [joined],
                "WINDOWS": WINDOWS,
                "BANDWIDTH": BANDWIDTH,
                "OUTPUT": hot,
            },
        ),
        (
            "taskingbrief",
            "hotblocking:taskingbrief",
            {
                "HOTBLOCKS": hot,
                "WINDOW": BRIEF_WINDOW,
                "TOP_N": TOP_N,
                "OUTPUT": str(work / "brief.pdf"),
            },
        ),
    ]


def pipeline_parameters(alg, size: str, seed: int, work: Path) -> tuple[dict, list[str]]:
    """The one-step algorithm's parameters, filled by name from the four steps' settings;
    destinations go to files in ``work``. Returns (parameters, names left at their default)."""
    known = {}
    for label, _, params in steps(size, seed, work / "pipeline"):
        if label != "computerisk":  # its INCIDENTS is the join's output, not the input
            known.update({k: v for k, v in params.items() if k not in ("OUTPUT", "BLOCKS")})
    known.update(
        {
            "ROADS": known["INPUT"],
            "LINKS": known["INPUT"],
            "BRIEF_WINDOW": BRIEF_WINDOW,
            "INCIDENTS": [known["INCIDENTS"]],
            "WINDOWS": WINDOWS,
            "BANDWIDTH": BANDWIDTH,
        }
    )
    (work / "pipeline").mkdir(exist_ok=True)
    params, defaulted = {}, []
    for definition in alg.parameterDefinitions():
        name = definition.name()
        if definition.isDestination():
            suffix = ".pdf" if "pdf" in definition.defaultFileExtension().lower() else ".gpkg"
            params[name] = str(work / "pipeline" / f"{name.lower()}{suffix}")
        elif name in known:
            value = known[name]
            if definition.type() != "multilayer" and isinstance(value, list):
                value = value[0]
            params[name] = value
        else:
            defaulted.append(name)
    return params, defaulted


def warm_up() -> None:
    """Each step once, untimed, on the bundled sample (lazy imports, GDAL, PROJ, fonts)."""
    from tools.sample_pipeline import SAMPLE  # importable once QGIS is started

    work = Path(tempfile.mkdtemp(prefix="hb-bench-warm-"))
    try:
        for _, alg, params in steps("small", 1, work):
            params = dict(params)
            if alg.endswith("buildblocks"):
                params["INPUT"] = _uri(SAMPLE, "road_link")
            if alg.endswith("joinincidents"):
                params["INCIDENTS"] = _uri(SAMPLE, "ambulance")
                params.pop("SOURCE")
            if alg.endswith("taskingbrief"):
                params["TOP_N"] = 2
            C.run_alg(alg, params)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(label: str, alg: str, params: dict, profile: str | None, tag: str) -> dict:
    import cProfile

    load = os.getloadavg()[0]
    print(f"[{tag}] {alg} ... (load {load:.2f})", flush=True)
    baseline = C.reset_peak()
    profiler = cProfile.Profile() if profile == "cprofile" else None
    sampler = C.Sampler(interval=0.1) if profile == "sample" else None
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    if sampler:
        sampler.__enter__()
    log = C.info_log()
    try:
        result, _ = C.run_alg(alg, params, log)
        error = None
    except Exception as exc:  # a failed step is reported, the bench goes on
        result, error = {}, f"{type(exc).__name__}: {exc}"
    if sampler:
        sampler.__exit__(None, None, None)
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak = C.hwm_mb()
    print(
        f"    {seconds:.1f} s ({cpu:.1f} cpu s), peak {peak:.0f} MB"
        + (f"; FAILED: {error}" if error else ""),
        flush=True,
    )
    for line in log.lines:  # the one-step pipeline's own "Step time: ..." lines
        if line.startswith("Step time:"):
            print(f"      {line}", flush=True)
    if sampler:
        print(f"\n--- sampled time and RSS of {label} at {tag} ---")
        print(sampler.report(top=20), flush=True)
    if profiler:
        C.print_profile(profiler, f"national_{label}", f"{label} at {tag}", top=30)
    counts = {
        k: v
        for k, v in result.items()
        if k.endswith("_COUNT") or k in ("HOT_BLOCKS", "INCIDENTS_USED")
    }
    return {
        "label": label,
        "alg": alg,
        "seconds": seconds,
        "cpu": cpu,
        "peak": peak,
        "baseline": baseline,
        "load": load,
        "counts": counts,
        "error": error,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(C.SIZES), default="national")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile",
        nargs="?",
        const="sample",
        choices=["cprofile", "sample"],
        help="per step: 'sample' (default) time and peak RSS per plugin line, or cProfile",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-pipeline", action="store_true", help=f"skip {PIPELINE}")
    group.add_argument("--only-pipeline", action="store_true", help=f"run {PIPELINE} alone")
    parser.add_argument(
        "--keep", action="store_true", help="keep the outputs (their folder is printed)"
    )
    args = parser.parse_args()
    tag = LABELS[args.size]

    print(f"bench_national: {C.machine_line()}; {C.code_line()}", flush=True)
    C.ensure_data(args.size, args.seed)
    keep = C.start()  # noqa: F841
    from qgis.core import QgsApplication

    if not C.clear_refs_works():
        print("WARNING: VmHWM cannot be reset here: per-step peaks are peaks so far.")
    warm_up()
    pipeline = QgsApplication.processingRegistry().algorithmById(PIPELINE)
    work = Path(tempfile.mkdtemp(prefix=f"hb-bench-national-{args.size}-", dir=C.CACHE))
    rows = []
    try:
        if not args.only_pipeline:
            for label, alg, params in steps(args.size, args.seed, work):
                rows.append(measure(label, alg, params, args.profile, tag))
        if pipeline is not None and not args.no_pipeline:
            params, defaulted = pipeline_parameters(pipeline, args.size, args.seed, work)
            print(f"{PIPELINE}: parameters {params}; left at default: {defaulted}")
            rows.append(measure("pipeline (one step)", PIPELINE, params, args.profile, tag))
        elif not args.no_pipeline:
            print(f"({PIPELINE} is not registered in this checkout: steps only)")
        sizes = {p.name: p.stat().st_size / 2**20 for p in sorted(work.rglob("*")) if p.is_file()}
    finally:
        if args.keep:
            print(f"outputs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    whole_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\nbench_national results ({C.machine_line()}; {C.code_line()})")
    print(f"windows: {WINDOWS}; BANDWIDTH={BANDWIDTH:g}; brief: {BRIEF_WINDOW}, TOP_N={TOP_N}")
    table = [
        [
            tag,
            r["alg"],
            f"{r['seconds']:.1f}",
            f"{r['cpu']:.1f}",
            f"{r['peak']:.0f}",
            f"{r['peak'] - r['baseline']:+.0f}",
            f"{r['load']:.2f}",
            "FAILED" if r["error"] else ", ".join(f"{k}={v}" for k, v in r["counts"].items()),
        ]
        for r in rows
    ]
    steps_only = [r for r in rows if r["alg"] != PIPELINE]
    if steps_only:
        total = sum(r["seconds"] for r in steps_only)
        table.append(
            [
                tag,
                "four steps in sequence",
                f"{total:.1f}",
                f"{sum(r['cpu'] for r in steps_only):.1f}",
                f"{max(r['peak'] for r in steps_only):.0f}",
                "",
                "",
                "",
            ]
        )
    C.print_table(
        ["size (links/incidents)", "step", "seconds", "cpu s", "peak MB", "+MB", "load", "counts"],
        table,
    )
    print(f"\nprocess peak RSS over the whole run (ru_maxrss): {whole_peak:.0f} MB")
    print("outputs (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in sizes.items()))
    for r in rows:
        if r["error"]:
            print(f"{r['label']} FAILED: {r['error']}")
    for what, candidates in (
        ("four steps", steps_only),
        ("one step", [r for r in rows if r["alg"] == PIPELINE]),
    ):
        if not candidates:
            continue
        seconds = sum(r["seconds"] for r in candidates)
        peak = max(r["peak"] for r in candidates)
        failed = any(r["error"] for r in candidates)
        print(
            f"{tag} {what}: {seconds:.0f} s (target < {TARGET_SECONDS:.0f} s): "
            f"{'MET' if seconds < TARGET_SECONDS and not failed else 'MISSED'}; "
            f"peak {peak:.0f} MB (target < {TARGET_PEAK_MB:.0f} MB): "
            f"{'MET' if peak < TARGET_PEAK_MB and not failed else 'MISSED'}"
        )
    C.finish(0)


if __name__ == "__main__":
    main()
