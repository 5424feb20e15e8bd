"""Stage 2: cross-source duplicates merged (one assault recorded by ambulance and police)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..network import BlockNetwork
from .inputs import Incidents


def merge_duplicates(
    incidents: Incidents, n_sources: int, network: BlockNetwork | None, merge_minutes: float
) -> tuple[Incidents, np.ndarray]:
    """The incidents with duplicates merged, and which sources each one comes from.

    Returns ``(incidents, source_mask)``; ``source_mask`` is bool (incidents x sources).
    Groups come from :func:`merge_groups`; a group is kept as its earliest member (ties: the
    first given) with the group's largest harm weight. ``merge_minutes <= 0`` merges nothing.
    """
    n = len(incidents)
    if merge_minutes <= 0 or n == 0:
        source_mask = np.zeros((n, n_sources), dtype=bool)
        source_mask[np.arange(n), incidents.source] = True
        return incidents, source_mask
    group = merge_groups(
        incidents.block,
        incidents.start_utc,
        incidents.source,
        network.start_node,
        network.end_node,
        merge_minutes,
    )
    n_groups = int(group.max()) + 1
    untimed_last = np.where(
        np.isnat(incidents.start_utc), np.iinfo(np.int64).max, incidents.start_utc.view(np.int64)
    )
    order = np.lexsort((np.arange(group.size), untimed_last, group))
    first = np.concatenate([[True], group[order][1:] != group[order][:-1]])
    earliest = order[first]  # one member per group, groups in label order
    source_mask = np.zeros((n_groups, n_sources), dtype=bool)
    source_mask[group, incidents.source] = True
    largest_weight = pd.Series(incidents.weight).groupby(group).max().to_numpy(dtype=np.float64)
    return incidents.take(earliest, weight=largest_weight), source_mask


def merge_groups(
    block_index: np.ndarray,
    times_utc: np.ndarray,
    source_codes: np.ndarray,
    start_node: np.ndarray,
    end_node: np.ndarray,
    merge_minutes: float,
) -> np.ndarray:
    """Group label (0..g-1) per incident after cross-source duplicate merging.

    Two incidents are candidates when they come from different sources, lie on the same block
    or on blocks sharing an end node (``start_node``/``end_node`` per block, from
    :func:`hotblocking.network.endpoint_nodes`) and start within ``merge_minutes`` of each
    other. Each incident is paired with its closest-in-time candidate of each other source;
    pairs chosen by both sides (mutual nearest) are joined and groups are their connected
    components. This keeps busy places from chaining many incidents into one; a chain across
    three or more sources can still, rarely, hold two records of one source. Untimed incidents
    and incidents off the network never merge. Vectorised: incidents are listed under both end
    nodes of their block, sorted by (node, time), and compared with the next k entries for
    k = 1, 2, ... while any pair is still within the tolerance.
    """
    blocks = np.asarray(block_index, dtype=np.int64)
    n = blocks.size
    labels = np.arange(n, dtype=np.int64)
    times = np.asarray(times_utc).astype("datetime64[ms]")
    timed = np.flatnonzero(~np.isnat(times) & (blocks >= 0))
    if merge_minutes <= 0 or timed.size < 2:
        return labels
    seconds = _seconds(times[timed])
    sources = np.asarray(source_codes, dtype=np.int64)[timed]
    pairs = _candidate_pairs(
        blocks[timed],
        seconds,
        sources,
        np.asarray(start_node, dtype=np.int64)[blocks[timed]],
        np.asarray(end_node, dtype=np.int64)[blocks[timed]],
        round(merge_minutes * 60),
    )
    if pairs is None:
        return labels
    first, second = _mutual_nearest(*pairs, seconds, sources)
    if first.size == 0:
        return labels
    m = timed.size
    links = sp.coo_matrix((np.ones(first.size, dtype=np.int8), (first, second)), shape=(m, m))
    _, component = connected_components(links, directed=False)
    labels[timed] = n + component
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)


def _seconds(times: np.ndarray) -> np.ndarray:
    """Whole seconds since the earliest of ``times`` (int64)."""
    seconds = np.floor_divide(times.view(np.int64), 1000)
    return seconds - seconds.min()


def _candidate_pairs(blocks, seconds, sources, start_node, end_node, tolerance):
    """Pairs ``(i, j)`` of incidents of different sources that share a block end node (or
    a block without end points) and start within ``tolerance`` seconds; None when none."""
    m = blocks.size
    # one entry per (incident, end node); a block with no end points is its own "node"
    n_nodes = int(max(start_node.max(), end_node.max())) + 1
    start_node = np.where(start_node >= 0, start_node, n_nodes + blocks)
    second_entry = (end_node >= 0) & (end_node != start_node)
    entry_incident = np.concatenate([np.arange(m), np.flatnonzero(second_entry)])
    entry_node = np.concatenate([start_node, end_node[second_entry]])
    stride = int(seconds.max()) + tolerance + 2
    key = entry_node * stride + seconds[entry_incident]
    order = np.argsort(key, kind="stable")
    key, entry_incident = key[order], entry_incident[order]
    firsts, lasts = [], []
    active = np.arange(key.size - 1)
    k = 1
    while active.size:
        near = key[active + k] - key[active] <= tolerance  # same node (stride > tol) and close
        active = active[near]
        if not active.size:
            break
        i, j = entry_incident[active], entry_incident[active + k]
        other_source = sources[i] != sources[j]
        firsts.append(i[other_source])
        lasts.append(j[other_source])
        k += 1
        active = active[active + k < key.size]
    if not firsts:
        return None
    i, j = np.concatenate(firsts), np.concatenate(lasts)
    if i.size == 0:
        return None
    return i, j


def _mutual_nearest(i, j, seconds, sources):
    """The candidate pairs chosen by both sides: each incident's closest-in-time candidate
    of each other source (ties: the lower index)."""
    m = sources.size
    low, high = np.minimum(i, j), np.maximum(i, j)
    pair = np.unique(low * m + high)
    low, high = np.divmod(pair, m)
    i, j = np.concatenate([low, high]), np.concatenate([high, low])  # both directions
    n_sources = int(sources.max()) + 1
    gap = np.abs(seconds[i] - seconds[j])
    incident_and_source = i * n_sources + sources[j]
    order = np.lexsort((j, gap, incident_and_source))
    first = np.concatenate(
        [[True], incident_and_source[order][1:] != incident_and_source[order][:-1]]
    )
    chooser, chosen = i[order][first], j[order][first]
    choices = np.sort(chooser * m + chosen)
    back = chosen * m + chooser
    at = np.minimum(np.searchsorted(choices, back), choices.size - 1)
    mutual = choices[at] == back
    return chooser[mutual], chosen[mutual]
