"""Human descriptions of blocks: which street, and between which streets.

A patrol brief needs "High St between Mill Ln and Bridge St", not "(unnamed street)" or a
block id. OpenStreetMap maps pavements as separate unnamed ``highway=footway`` ways beside
the street, so most blocks a crime snaps to near a busy street can be unnamed paths. Rules:

1. **Beside.** An unnamed path-like block (footway, path, cycleway, steps, ...) takes the name
   of the named street it runs beside: the nearest named street block within ``beside``
   (20 m) of its midpoint whose direction there is within ``angle`` (30 degrees) of the
   block's own direction (end to end). Its description reads "footway beside High St".
2. **Runs.** Blocks of the same street (or unnamed blocks of the same kind) that follow one
   another through nodes where nothing else meets form a run (a street between junctions).
3. **Ends.** At each end of a run, the cross street is a named street meeting it at that node
   (another name than the run's; roads before paths, then a street passing through the
   node before one starting there, then alphabetical); failing that, for paths (a pavement
   often stops short of the crossing street), the nearest other-named street within
   ``near`` (20 m) of the end point.
4. **Text.** "<street> between A and B" when the two ends give two streets; "<street> off A"
   when one end gives A and the other is a dead end (or gives A too); "<street> near A"
   otherwise. Unnamed blocks read "<kind> off A" ("steps off High St"), "unnamed road
   between A and B", or "unnamed footway" when nothing is known.

Vectorised: one STRtree query per rule, pandas merges and scipy connected components.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

__all__ = ["Descriptions", "describe_blocks"]


@dataclass(frozen=True, eq=False)
class Descriptions:
    """Per block: street name (own or from the street beside) and description."""

    name: np.ndarray
    """object: own name, else the name of the street beside (rule 1), else None."""
    description: np.ndarray
    """object of str: the human description."""
    beside: np.ndarray
    """bool: the name comes from the street beside."""
    with_ends: int
    """Blocks whose description names a cross street (between/off/near)."""


def _pairs_within(points: np.ndarray, targets: np.ndarray, distance: float):
    """(point index, target index, distance) for targets within ``distance`` of points."""
    if points.size == 0 or targets.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    xy = shapely.get_coordinates(points)
    boxes = shapely.box(
        xy[:, 0] - distance, xy[:, 1] - distance, xy[:, 0] + distance, xy[:, 1] + distance
    )
    pi, ti = shapely.STRtree(targets).query(boxes)
    d = shapely.distance(points[pi], targets[ti])
    near = d <= distance
    return pi[near], ti[near], d[near]


def _first_per(group: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Positions of the first row per ``group`` after sorting by ``keys`` (last key first)."""
    order = np.lexsort((*keys[::-1], group)) if keys else np.argsort(group, kind="stable")
    g = group[order]
    first = np.ones(g.shape[0], dtype=bool)
    first[1:] = g[1:] != g[:-1]
    return order[first]


def _beside(geoms, code, path_like, beside, angle, step):
    """Name code of the street beside each block (rule 1), -1 where there is none."""
    out = np.full(geoms.shape[0], -1, dtype=np.int64)
    cand = np.flatnonzero(path_like & (code < 0))
    streets = np.flatnonzero((code >= 0) & ~path_like)
    if cand.size == 0 or streets.size == 0 or beside <= 0:
        return out
    mid = shapely.line_interpolate_point(geoms[cand], 0.5, normalized=True)
    pi, si, d = _pairs_within(mid, geoms[streets], beside)
    a = shapely.get_coordinates(shapely.get_point(geoms[cand[pi]], 0))
    b = shapely.get_coordinates(shapely.get_point(geoms[cand[pi]], -1))
    street = geoms[streets[si]]
    at = shapely.line_locate_point(street, mid[pi])
    length = shapely.length(street)
    p = shapely.get_coordinates(shapely.line_interpolate_point(street, np.maximum(at - step, 0)))
    q = shapely.get_coordinates(
        shapely.line_interpolate_point(street, np.minimum(at + step, length))
    )
    u, v = b - a, q - p
    norm = np.hypot(*u.T) * np.hypot(*v.T)
    cos = np.abs((u * v).sum(axis=1)) / np.where(norm > 0, norm, np.inf)
    ok = cos >= np.cos(np.radians(angle))
    pi, si, d = pi[ok], si[ok], d[ok]
    best = _first_per(pi, d)
    out[cand[pi[best]]] = code[streets[si[best]]]
    return out


def _runs(key: np.ndarray, road: np.ndarray, start: np.ndarray, end: np.ndarray):
    """Run label per block, whether each incidence (block, node) is inside its run, and the
    node degree per incidence.

    Two blocks of the same key join at a node where they are the only two of that key and
    no other named road meets (unnamed ways and paths do not end a street's run).
    """
    n = key.shape[0]
    blk = np.concatenate([np.arange(n), np.arange(n)])
    node = np.concatenate([start, end])
    valid = node >= 0
    degree = np.bincount(node[valid], minlength=1)
    deg = np.where(valid, degree[np.maximum(node, 0)], 0)
    is_road = np.concatenate([road, road])
    inc = pd.DataFrame(
        {"node": node, "key": np.concatenate([key, key]), "road": is_road.astype(np.int64)}
    )[valid]
    group = inc.groupby(["node", "key"], sort=False)["road"]
    same = group.transform("size").to_numpy()
    roads_in_group = group.transform("sum").to_numpy()
    roads_here = np.bincount(node[valid & is_road], minlength=degree.shape[0])
    other_roads = roads_here[inc["node"].to_numpy()] - roads_in_group
    pos = np.flatnonzero(valid)[(same == 2) & (other_roads == 0)]
    pos = pos[np.lexsort((key[blk[pos]], node[pos]))]
    a, b = blk[pos[0::2]], blk[pos[1::2]]
    join = a != b
    inside = np.zeros(2 * n, dtype=bool)
    inside[pos[0::2][join]] = True
    inside[pos[1::2][join]] = True
    graph = sp.coo_matrix(
        (np.ones(int(join.sum()), dtype=np.int8), (a[join], b[join])), shape=(n, n)
    )
    _, run = connected_components(graph, directed=False)
    return run.astype(np.int64), inside, deg


def describe_blocks(
    geoms: np.ndarray,
    names: np.ndarray,
    kinds: np.ndarray,
    path_like: np.ndarray,
    start_node: np.ndarray,
    end_node: np.ndarray,
    *,
    beside: float = 20.0,
    near: float = 20.0,
    angle: float = 30.0,
    step: float = 1.0,
) -> Descriptions:
    """Street names and descriptions per block (module doc for the rules).

    ``geoms``: block LineStrings; ``names``: own street name or None; ``kinds``: a word for
    unnamed blocks ("footway", "steps", "road", ...); ``path_like``: blocks that may take the
    name of the street beside them; node ids from noding (-1 = none). ``beside``, ``near``
    and ``step`` (the distance over which a street's direction is read) are in layer units.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = geoms.shape[0]
    start = np.asarray(start_node, dtype=np.int64)
    end = np.asarray(end_node, dtype=np.int64)
    path_like = np.asarray(path_like, dtype=bool)
    if n == 0:
        empty = np.empty(0, dtype=object)
        return Descriptions(empty, empty, np.zeros(0, dtype=bool), 0)
    # names as integer codes in alphabetical order (-1 = none): every comparison below is
    # on integers; text is built once per run at the end
    clean = pd.Series(np.asarray(names, dtype=object), dtype=object).str.strip()  # else NaN
    code, labels = pd.factorize(clean.where(clean != "", None), sort=True)
    code = code.astype(np.int64)
    labels = np.asarray(labels, dtype=object)
    kind_code, kind_labels = pd.factorize(pd.Series(np.asarray(kinds, dtype=object)).fillna("road"))
    kind_code = kind_code.astype(np.int64)

    beside_code = _beside(geoms, code, path_like, beside, angle, step)
    is_beside = beside_code >= 0
    street = np.where(is_beside, beside_code, code)
    has_street = street >= 0
    key = (street + 1) * (len(kind_labels) + 1) + np.where(
        has_street & ~is_beside, 0, kind_code + 1
    )
    road = (code >= 0) & ~path_like
    run, inside, deg = _runs(key, road, start, end)

    # --- the two ends of each run ------------------------------------------------------------
    blk = np.concatenate([np.arange(n), np.arange(n)])
    node = np.concatenate([start, end])
    is_end = ~inside
    ends = pd.DataFrame(
        {"run": run[blk[is_end]], "node": node[is_end], "block": blk[is_end], "deg": deg[is_end]}
    )
    ends = ends.assign(slot=ends.groupby("run").cumcount())
    ends = ends[ends["slot"] < 2]
    ends = ends.assign(street=street[ends["block"].to_numpy()])

    # cross street by topology: a street (own name) at the same node, not the run's name;
    # roads before paths, then a street passing through the node (met twice there: the
    # crossing street) before one that starts there (often the run's continuation)
    named = np.flatnonzero(np.concatenate([code >= 0, code >= 0]) & (node >= 0))
    at_node = (
        pd.DataFrame(
            {"node": node[named], "cross": code[blk[named]], "path": path_like[blk[named]]}
        )
        .groupby(["node", "cross", "path"], as_index=False)
        .size()
    )
    met = ends[ends["node"] >= 0].merge(at_node, on="node")
    met = met[met["cross"] != met["street"]]
    met = met.sort_values(
        ["run", "slot", "path", "size", "cross"], ascending=[True, True, True, False, True]
    ).drop_duplicates(["run", "slot"])
    ends = ends.merge(met[["run", "slot", "cross"]], on=["run", "slot"], how="left")
    cross = ends["cross"].fillna(-1).to_numpy().astype(np.int64)

    # cross street by proximity for the ends still without one
    # (only for paths: a pavement often stops short of the crossing street; a road that
    # meets nothing at its end is a dead end, whatever runs nearby, e.g. on a bridge)
    lost = (cross < 0) & path_like[ends["block"].to_numpy()]
    if lost.any() and near > 0:
        rows = np.flatnonzero(lost)
        blocks_at = ends["block"].to_numpy()[rows]
        at_start = start[blocks_at] == ends["node"].to_numpy()[rows]
        points = np.where(
            at_start,
            shapely.get_point(geoms[blocks_at], 0),
            shapely.get_point(geoms[blocks_at], -1),
        )
        roads = np.flatnonzero(road)
        pi, ri, d = _pairs_within(points, geoms[roads], near)
        other = code[roads[ri]] != ends["street"].to_numpy()[rows[pi]]
        pi, ri, d = pi[other], ri[other], d[other]
        best = _first_per(pi, d)
        cross[rows[pi[best]]] = code[roads[ri[best]]]

    # --- text per run ----------------------------------------------------------------------------
    runs = np.unique(run)
    slot, at = ends["slot"].to_numpy(), np.searchsorted(runs, ends["run"].to_numpy())
    a = np.full(runs.shape[0], -1, dtype=np.int64)
    b = np.full(runs.shape[0], -1, dtype=np.int64)
    a[at[slot == 0]] = cross[slot == 0]
    b[at[slot == 1]] = cross[slot == 1]
    dead = np.zeros(runs.shape[0], dtype=bool)
    dead[at[ends["deg"].to_numpy() == 1]] = True
    suffix = _suffix(labels, a, b, dead)
    rep = _first_per(run)  # one block per run, runs in label order
    words = np.asarray(kind_labels, dtype=object)[kind_code[rep]]
    text = _text(labels, street[rep], words, is_beside[rep], code[rep] >= 0, suffix)
    label = np.searchsorted(runs, run)
    description = text[label]
    with_ends = int((suffix[label] != "").sum())
    name = np.full(n, None, dtype=object)
    name[has_street] = labels[street[has_street]]
    return Descriptions(name, description, is_beside, with_ends)


def _suffix(labels: np.ndarray, a: np.ndarray, b: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """ " between A and B" / " off A" / " near A" / "" per run (name codes, -1 = none)."""
    out = np.full(a.shape[0], "", dtype=object)
    has_a, has_b = a >= 0, b >= 0
    both = has_a & has_b & (a != b)
    one = (has_a | has_b) & ~both
    only = np.where(has_a, a, b)
    out[both] = " between " + labels[a[both]] + " and " + labels[b[both]]
    off = one & (dead | (has_a & has_b))
    out[off] = " off " + labels[only[off]]
    close = one & ~off
    out[close] = " near " + labels[only[close]]
    return out


def _text(labels, street, kind, beside, own, suffix) -> np.ndarray:
    """The description of each run from its street code, kind word and suffix."""
    by = beside & ~own
    unnamed = ~own & ~by
    out = np.empty(street.shape[0], dtype=object)
    out[own] = labels[street[own]] + suffix[own]
    out[by] = kind[by] + " beside " + labels[street[by]] + suffix[by]
    plain_kind = np.where(kind == "road", "unnamed road", kind)
    bare = unnamed & (suffix == "")
    out[unnamed] = plain_kind[unnamed] + suffix[unnamed]
    out[bare] = "unnamed " + kind[bare]
    return out
