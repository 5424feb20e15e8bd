"""Shared pieces of the benchmarks: cached synthetic data, a headless QGIS, peak memory.

Not a test and not product code. Data are made once per (size, seed) by a child process
(so the measuring process does not carry the generator's garbage) and cached as
GeoPackages under ``bench/.cache`` (gitignored; ``HB_BENCH_CACHE`` overrides the folder).

Run ``python bench/_common.py generate --size small --seed 1`` to make the data alone.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import pstats
import re
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = Path(os.environ.get("HB_BENCH_CACHE", BENCH / ".cache"))

#: size -> (links, incidents)
SIZES = {
    "small": (50_000, 200_000),
    "large": (500_000, 2_000_000),
    "national": (4_000_000, 10_000_000),  # Great Britain's Open Roads (issue 12)
}
NO_INCIDENT_INDEX = ("national",)  # sizes whose incidents have no spatial index
ROADS_LAYER = "roads"
INCIDENTS_LAYER = "incidents"
JOINED_LAYER = "joined_incidents"
FAR_SHARE = 0.02  # incidents pushed 60-200 m off their street (exercise MAX_DISTANCE)


# ----------------------------------------------------------------------------------- data


def data_dir(size: str, seed: int) -> Path:
    return CACHE / f"{size}-seed{seed}"


def roads_path(size: str, seed: int) -> Path:
    return data_dir(size, seed) / "roads.gpkg"


def incidents_path(size: str, seed: int) -> Path:
    return data_dir(size, seed) / "incidents.gpkg"


def joined_path(size: str, seed: int) -> Path:
    return data_dir(size, seed) / "joined.gpkg"


def ensure_data(size: str, seed: int) -> None:
    """Make the roads and incidents GeoPackages in a child process if not cached."""
    if roads_path(size, seed).exists() and incidents_path(size, seed).exists():
        return
    print(f"[data] generating {size} (seed {seed}) into {data_dir(size, seed)} ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, str(Path(__file__)), "generate", "--size", size, "--seed", str(seed)],
        check=True,
    )
    print(f"[data] done in {time.perf_counter() - t0:.1f} s", flush=True)


def _load_writer():
    """processing/gpkg_writer.py without QGIS: the folder as a bare package (its
    ``__init__`` is empty), so the writer's relative imports resolve."""
    import importlib
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "hb_bench_processing",
        ROOT / "processing" / "__init__.py",
        submodule_search_locations=[str(ROOT / "processing")],
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    return importlib.import_module("hb_bench_processing.gpkg_writer")


def _bng_wkt() -> str:
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27700)
    return srs.ExportToWkt()


def _times(rng, n: int):
    """Incident times through 2025 with the simulator's weekly profile (local wall-clock)."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from tools.simulate import weekly_profile

    hour = rng.choice(168, size=n, p=weekly_profile("ambulance"))
    week = rng.integers(0, 51, n)  # Monday 2025-01-06 + 51 weeks stays inside 2025
    secs = week * 7 * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    t = np.datetime64("2025-01-06T00:00:00", "s") + secs.astype("timedelta64[s]")
    # 01:00-02:00 on 2025-03-30 does not exist in Europe/London: move it forward an hour.
    gap = (t >= np.datetime64("2025-03-30T01:00:00")) & (t < np.datetime64("2025-03-30T02:00:00"))
    t[gap] += np.timedelta64(1, "h")
    return t.astype("datetime64[ms]")


def generate(size: str, seed: int) -> None:
    import numpy as np
    import shapely

    sys.path.insert(0, str(ROOT))
    from tools import simulate

    writer = _load_writer()
    Column = writer.Column
    n_links, n_incidents = SIZES[size]
    out = data_dir(size, seed)
    out.mkdir(parents=True, exist_ok=True)
    wkt = _bng_wkt()

    t0 = time.perf_counter()
    geoms, attrs = simulate.street_grid(n_links, seed=seed)
    if not roads_path(size, seed).exists():  # (a run stopped after the roads keeps them)
        roads = [Column("block_id", "text", attrs["id"].to_numpy())]
        for name in attrs.columns:
            kind = "real" if name == "length" else "text"
            roads.append(Column(name, kind, attrs[name].to_numpy()))
        tmp = out / "roads.tmp.gpkg"
        writer.write_layer(
            str(tmp), ROADS_LAYER, geoms, "LineString", wkt, roads, spatial_index=True
        )
        os.replace(tmp, roads_path(size, seed))
        print(f"[data] {n_links} links in {time.perf_counter() - t0:.1f} s", flush=True)

    t0 = time.perf_counter()
    x, y = simulate.clustered_points(geoms, n_incidents, seed=seed + 1)
    del geoms, attrs
    rng = np.random.default_rng(seed + 2)
    far = rng.random(n_incidents) < FAR_SHARE
    angle = rng.uniform(0, 2 * np.pi, far.sum())
    dist = rng.uniform(60.0, 200.0, far.sum())
    x[far] += dist * np.cos(angle)
    y[far] += dist * np.sin(angle)
    points = shapely.points(x, y)
    refs = np.char.add("INC", np.char.zfill(np.arange(n_incidents).astype(str), 8)).astype(object)
    columns = [
        Column("ref", "text", refs),
        Column("call_time", "datetime", _times(rng, n_incidents)),
    ]
    tmp = out / "incidents.tmp.gpkg"
    # SQLite's R*Tree over 10M points in random order takes the best part of an hour here;
    # the plugin reads incidents whole (no spatial filter), so the national data go without.
    index = size not in NO_INCIDENT_INDEX
    writer.write_layer(
        str(tmp), INCIDENTS_LAYER, points, "Point", wkt, columns, spatial_index=index
    )
    os.replace(tmp, incidents_path(size, seed))
    print(f"[data] {n_incidents} incidents in {time.perf_counter() - t0:.1f} s", flush=True)


# --------------------------------------------------------------------------------- memory

_libc = ctypes.CDLL("libc.so.6")


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.MULTILINE).group(1))


def rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


def hwm_mb() -> float:
    return _status_kb("VmHWM") / 1024


def reset_peak() -> float:
    """Free what can be freed, reset VmHWM to the current RSS; returns that RSS (MB)."""
    gc.collect()
    _libc.malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return rss_mb()


def clear_refs_works() -> bool:
    """True when writing 5 to /proc/self/clear_refs resets VmHWM on this kernel."""
    try:
        block = bytearray(256 * 1024 * 1024)
        block[::4096] = b"x" * len(range(0, len(block), 4096))
        before = hwm_mb()
        del block
        reset_peak()
        return hwm_mb() < before - 200
    except OSError:
        return False


class Sampler:
    """Poor man's time-and-memory profiler: a thread samples VmRSS and the main thread's
    innermost frame in the plugin every ``interval`` s. Per plugin source line it reports
    the time spent there (samples x interval) and the highest RSS seen while there, so a
    peak can be pinned to a line. C calls that hold the GIL delay samples: approximate."""

    def __init__(self, interval: float = 0.05, marker: str = "hotblocking_plugin"):
        import threading

        self.interval, self.marker = interval, marker
        self.samples = []  # (t, rss MB, innermost plugin frame, outer plugin frames)
        self._stop = threading.Event()
        self._main = threading.main_thread().ident
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _where(self):
        frame = sys._current_frames().get(self._main)
        stack = []
        while frame is not None:
            code = frame.f_code
            if self.marker in code.co_filename:
                name = code.co_filename.split(self.marker + "/", 1)[1]
                stack.append(f"{name}:{frame.f_lineno} {code.co_name}")
            frame = frame.f_back
        return stack

    def _loop(self):
        t0 = time.perf_counter()
        while not self._stop.wait(self.interval):
            stack = self._where()
            self.samples.append(
                (
                    time.perf_counter() - t0,
                    rss_mb(),
                    stack[0] if stack else "(outside the plugin)",
                    stack[1:4],
                )
            )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self, top: int = 25) -> str:
        by_line = {}
        for _, rss, where, _ in self.samples:
            n, peak = by_line.get(where, (0, 0.0))
            by_line[where] = (n + 1, max(peak, rss))
        growth = {}  # RSS added while a line ran (positive steps between samples)
        for (_, before, _, _), (_, after, where, _) in zip(self.samples, self.samples[1:]):
            if after > before:
                growth[where] = growth.get(where, 0.0) + after - before
        lines = [f"{'seconds':>8} {'max RSS MB':>10} {'RSS +MB':>8}  innermost plugin line"]
        for where, (n, peak) in sorted(by_line.items(), key=lambda kv: -kv[1][0])[:top]:
            lines.append(
                f"{n * self.interval:8.2f} {peak:10.0f} " f"{growth.get(where, 0):8.0f}  {where}"
            )
        biggest = sorted(growth.items(), key=lambda kv: -kv[1])[:10]
        lines.append(
            "largest RSS growth by line: "
            + "; ".join(f"{where} +{mb:.0f} MB" for where, mb in biggest)
        )
        if self.samples:
            t, rss, where, outer = max(self.samples, key=lambda s: s[1])
            lines.append(
                f"peak RSS {rss:.0f} MB at t={t:.1f} s in {where}; called from "
                + " <- ".join(outer)
            )
            lines.append(
                "RSS timeline (every ~1 s): "
                + ", ".join(
                    f"{s[0]:.0f}s:{s[1]:.0f}"
                    for s in self.samples[:: max(1, int(1 / self.interval))]
                )
            )
        return "\n".join(lines)


def machine_line() -> str:
    load = os.getloadavg()
    return (
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, "
        f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def code_line() -> str:
    """The checkout measured: HEAD and whether product files had uncommitted edits."""

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], check=False, capture_output=True, text=True
        ).stdout.rstrip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    dirty = [
        ln[3:]
        for ln in git("status", "--porcelain").splitlines()
        if ln[3:].endswith(".py") and not ln[3:].startswith(("bench/", "tests/"))
    ]
    return f"code {head}" + (f" + uncommitted edits in {', '.join(dirty)}" if dirty else "")


RESULTS = BENCH / "results"  # gitignored: profiles and logs


# ---------------------------------------------------------------------------------- QGIS


def start():
    """Headless QGIS with Processing and the plugin (scripts/standalone.py)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from standalone import start_qgis

    return start_qgis()


def finish(code: int = 0) -> None:
    """QGIS 3.22 may crash on interpreter exit after Processing: leave at once."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def info_log():
    """A Processing feedback that keeps the log's info lines (``.lines``)."""
    from qgis.core import QgsProcessingFeedback

    class InfoLog(QgsProcessingFeedback):
        lines: list

        def pushInfo(self, info):  # noqa: N802 (QGIS's name)
            self.lines.append(info)

    feedback = InfoLog()
    feedback.lines = []
    return feedback


def run_alg(alg: str, params: dict, feedback=None):
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    import processing

    context = QgsProcessingContext()
    feedback = feedback or QgsProcessingFeedback()
    return processing.run(alg, params, context=context, feedback=feedback), context


def peak_check(label: str, who: str, peak_mb: float, limit_mb: float) -> tuple[str, bool]:
    """A MET/MISSED line for a peak-memory target, and whether it was met."""
    met = peak_mb < limit_mb
    return (
        f"{label}: {who} peak {peak_mb:.0f} MB (target < {limit_mb:.0f} MB): "
        f"{'MET' if met else 'MISSED'}",
        met,
    )


def report(name: str, headers: list[str], rows: list[list], checks: list[str], ok: bool):
    """A benchmark's closing table and checks."""
    print(f"\n{name} results ({machine_line()}; {code_line()})")
    print_table(headers, rows)
    print()
    for line in checks:
        print(line)
    print("\nall targets met and counts agree" if ok else "\nSOME TARGET MISSED (see above)")


def print_table(headers: list[str], rows: list[list], out=None) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    text = "\n".join(lines)
    print(text, flush=True)
    return text


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["generate"])
    parser.add_argument("--size", choices=sorted(SIZES), required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.size, args.seed)


def print_profile(profiler, name: str, title: str, top: int = 35, callers: str | None = None):
    """Save a cProfile run under results/ and print its top functions (both benches)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"profile_{name}.prof"
    profiler.dump_stats(str(path))
    print(f"(profile saved: {path})")
    stats = pstats.Stats(str(path))
    print(f"\n--- cProfile of {title}: top by cumulative ---")
    stats.sort_stats("cumulative").print_stats(top)
    print("--- top by own time ---")
    stats.sort_stats("tottime").print_stats(top - 10)
    if callers:
        print("--- who calls the costly built-ins ---")
        stats.print_callers(callers)
    sys.stdout.flush()
