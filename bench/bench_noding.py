"""Noding and block building at scale (core only, no QGIS): how long buildblocks' network
steps take on 500k-link synthetic networks. A benchmark, not a test: prints a table, exits 0.

Three networks of a square street lattice (spacing 100 m, each cross street's links 5 vertices
with a little wobble):
- ``unnoded``: every east-west street is ONE line from edge to edge, and the north-south links
  end on its segments (no vertex there): every junction is a T for the "touch" rule to cut;
- ``osm``: the same, but the east-west lines carry a vertex at every junction (OSM ways share
  nodes): the "shared_vertex" rule;
- ``noded``: every link already runs junction to junction (OS Open Roads).

    .venv/bin/python bench/bench_noding.py            # 500k links (about 710 x 710 streets)
    .venv/bin/python bench/bench_noding.py --side 300 # ~90k links
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hotblocking.blocks import chain_nodes, split_links  # noqa: E402
from hotblocking.describe import describe_blocks  # noqa: E402
from hotblocking.network import connectivity  # noqa: E402
from hotblocking.noding import node_network  # noqa: E402

SPACING = 100.0


def lattice(side: int, seed: int = 1):
    """(unnoded, osm, noded) geometry arrays of a side x side street lattice."""
    rng = np.random.default_rng(seed)
    rows, cols = np.repeat(np.arange(side - 1), side), np.tile(np.arange(side), side - 1)
    t = np.linspace(0.0, 1.0, 6)
    wobble = np.where((t > 0) & (t < 1), rng.normal(0, 2, (rows.size, t.size)), 0.0)
    xs = cols[:, None] * SPACING + 37.0 + wobble
    ys = (rows[:, None] + t[None, :]) * SPACING
    cross = shapely.linestrings(
        np.stack([xs, ys], -1).reshape(-1, 2), indices=np.repeat(np.arange(rows.size), t.size)
    )
    width = side * SPACING
    ends = np.array([[[0.0, k * SPACING], [width, k * SPACING]] for k in range(side)])
    through = shapely.linestrings(ends.reshape(-1, 2), indices=np.repeat(np.arange(side), 2))
    junction_x = np.arange(side) * SPACING + 37.0
    hx = np.concatenate([[0.0], junction_x, [width]])
    osm_through = shapely.linestrings(
        np.stack([np.tile(hx, side), np.repeat(np.arange(side) * SPACING, hx.size)], -1),
        indices=np.repeat(np.arange(side), hx.size),
    )
    # noded: the east-west streets cut at every junction
    seg_x0, seg_x1 = hx[:-1], hx[1:]
    k = np.repeat(np.arange(side), seg_x0.size)
    seg = np.stack(
        [
            np.stack([np.tile(seg_x0, side), k * SPACING], -1),
            np.stack([np.tile(seg_x1, side), k * SPACING], -1),
        ],
        1,
    )
    noded_through = shapely.linestrings(
        seg.reshape(-1, 2), indices=np.repeat(np.arange(len(seg)), 2)
    )
    return (
        np.concatenate([through, cross]),
        np.concatenate([osm_through, cross]),
        np.concatenate([noded_through, cross]),
    )


def run(label: str, geoms: np.ndarray, mode: str, gap: float) -> None:
    gc.collect()
    t0 = time.perf_counter()
    net = node_network(geoms, mode=mode, gap=gap, tolerance=0.01, min_length=0.01)
    t1 = time.perf_counter()
    split = split_links(net.geometry, 100.0)
    start, end = chain_nodes(split, net.start_node, net.end_node, net.node_count)
    t2 = time.perf_counter()
    n = len(split)
    street = np.char.add("Street ", (np.arange(n) % 997).astype(str)).astype(object)
    names = np.where(np.arange(n) % 7 == 0, None, street)
    describe_blocks(
        split.geometry,
        names.astype(object),
        np.full(n, "road", dtype=object),
        np.zeros(n, dtype=bool),
        start,
        end,
    )
    t3 = time.perf_counter()
    c = connectivity(start, end)
    t4 = time.perf_counter()
    print(
        f"| {label} | {geoms.size:,} | {net.cuts:,} | {n:,} | {c.components} | {c.isolated} | "
        f"{t1 - t0:.1f} | {t2 - t1:.1f} | {t3 - t2:.1f} | {t4 - t3:.1f} | {t4 - t0:.1f} |"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=710, help="streets each way (710: ~500k links)")
    args = parser.parse_args(argv)
    unnoded, osm, noded = lattice(args.side)
    print(
        "| network | links | junctions made | blocks | components | isolated | noding s | "
        "split s | describe s | connectivity s | total s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    run("unnoded, touch rule (+1 m gap)", unnoded, "touch", 1.0)
    run("OSM-like, shared nodes", osm, "shared_vertex", 0.0)
    run("noded (Open Roads), touch rule", noded, "touch", 1.0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory {peak:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
