"""Stage 2: records of one event merged (an assault recorded by ambulance and police; several
calls about one fight).

Merging decides what ``events``, ``risk``, ranks, significance and ``hot`` count; ``incidents``,
the ``n_<source>`` columns and ``harm`` stay sums over the joined records. Two rules, both
within ``merge_minutes`` and on the same block or on blocks sharing an end node, and only for
records whose time of day is known:

* **across sources** (mutual nearest): each record is paired with its closest-in-time record
  of each other source; pairs chosen by both sides are one event. Busy places do not chain
  many records into one;
* **repeats within a source**: records of one source that follow each other with gaps of
  at most ``merge_minutes`` form a run; a run is cut into events every ``merge_minutes`` from
  its first record (calls at 0, 5 and 8 minutes are one event; calls every 5 minutes for
  3 hours, with 30 minutes, are six).

Events are the connected groups of these links; an event takes its earliest record's time
and block, and its largest source weight and harm weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..network import BlockNetwork
from .inputs import Incidents


@dataclass(frozen=True, eq=False)
class Events:
    """Records grouped into events: ``group`` per record; per event its ``first`` record
    (earliest; ties: the first given), its sources (``source_mask``, events x sources) and
    its largest harm weight (NaN when none)."""

    group: np.ndarray
    first: np.ndarray
    source_mask: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return int(self.first.size)


def merge_duplicates(
    incidents: Incidents,
    n_sources: int,
    network: BlockNetwork | None,
    merge_minutes: float,
    repeats: bool = True,
) -> Events:
    """The events (module doc); ``merge_minutes <= 0``: every record is its own event."""
    n = len(incidents)
    if n == 0:
        none = np.array([], dtype=np.int64)
        return Events(none, none, np.zeros((0, n_sources), bool), np.array([], np.float64))
    if merge_minutes <= 0:
        group = np.arange(n, dtype=np.int64)
    else:
        group = merge_groups(
            incidents.block,
            np.where(incidents.time_of_day, incidents.start_utc, np.datetime64("NaT")),
            incidents.source,
            network.start_node,
            network.end_node,
            merge_minutes,
            repeats=repeats,
        )
    n_groups = int(group.max()) + 1
    untimed_last = np.where(
        np.isnat(incidents.start_utc), np.iinfo(np.int64).max, incidents.start_utc.view(np.int64)
    )
    order = np.lexsort((np.arange(n), untimed_last, group))
    first = np.concatenate([[True], group[order][1:] != group[order][:-1]])
    source_mask = np.zeros((n_groups, n_sources), dtype=bool)
    source_mask[group, incidents.source] = True
    largest = pd.Series(incidents.weight).groupby(group).max().to_numpy(dtype=np.float64)
    return Events(group, order[first], source_mask, largest)


def merge_groups(
    block_index: np.ndarray,
    times_utc: np.ndarray,
    source_codes: np.ndarray,
    start_node: np.ndarray,
    end_node: np.ndarray,
    merge_minutes: float,
    repeats: bool = False,
) -> np.ndarray:
    """Event label (0..g-1) per record (module doc); records with a NaT time (untimed, or no
    time of day) or off the network never merge.

    Vectorised: records are listed under both end nodes of their block, sorted by (node,
    time), and compared with the next k entries for k = 1, 2, ... while any pair is still
    within the tolerance; repeat runs come from the gaps in (node, source, time) order.
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
    tolerance = round(merge_minutes * 60)
    entries = _node_entries(
        blocks[timed],
        np.asarray(start_node, dtype=np.int64)[blocks[timed]],
        np.asarray(end_node, dtype=np.int64)[blocks[timed]],
    )
    links = []
    pairs = _candidate_pairs(entries, seconds, sources, tolerance)
    if pairs is not None:
        links.append(_mutual_nearest(*pairs, seconds, sources))
    if repeats:
        links.append(_repeat_links(entries, seconds, sources, tolerance))
    first = np.concatenate([a for a, _ in links]) if links else np.array([], np.int64)
    second = np.concatenate([b for _, b in links]) if links else np.array([], np.int64)
    if first.size == 0:
        return labels
    m = timed.size
    graph = sp.coo_matrix((np.ones(first.size, dtype=np.int8), (first, second)), shape=(m, m))
    _, component = connected_components(graph, directed=False)
    labels[timed] = n + component
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)


def _node_entries(blocks, start_node, end_node) -> tuple[np.ndarray, np.ndarray]:
    """(record, node) entries: one per end node of the record's block; a block without end
    points is its own node."""
    m = blocks.size
    n_nodes = int(max(start_node.max(), end_node.max(), -1)) + 1
    start_node = np.where(start_node >= 0, start_node, n_nodes + blocks)
    second_entry = (end_node >= 0) & (end_node != start_node)
    record = np.concatenate([np.arange(m), np.flatnonzero(second_entry)])
    node = np.concatenate([start_node, end_node[second_entry]])
    return record, node


def _repeat_links(entries, seconds, sources, tolerance) -> tuple[np.ndarray, np.ndarray]:
    """Links between records of one source at one node in the same repeat event."""
    record, node = entries
    order = np.lexsort((seconds[record], sources[record], node))
    record, node = record[order], node[order]
    t, source = seconds[record], sources[record]
    new_run = np.ones(record.size, dtype=bool)
    new_run[1:] = (
        (node[1:] != node[:-1]) | (source[1:] != source[:-1]) | (t[1:] - t[:-1] > tolerance)
    )
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(record.size), 0))
    piece = (t - t[run_start]) // (tolerance + 1)
    same = ~new_run[1:] & (piece[1:] == piece[:-1])
    return record[:-1][same], record[1:][same]


def _seconds(times: np.ndarray) -> np.ndarray:
    """Whole seconds since the earliest of ``times`` (int64)."""
    seconds = np.floor_divide(times.view(np.int64), 1000)
    return seconds - seconds.min()


def _candidate_pairs(entries, seconds, sources, tolerance):
    """Pairs ``(i, j)`` of records of different sources that share a node and start within
    ``tolerance`` seconds; None when none."""
    entry_record, entry_node = entries
    stride = int(seconds.max()) + tolerance + 2
    key = entry_node * stride + seconds[entry_record]
    order = np.argsort(key, kind="stable")
    key, entry_record = key[order], entry_record[order]
    firsts, lasts = [], []
    active = np.arange(key.size - 1)
    k = 1
    while active.size:
        near = key[active + k] - key[active] <= tolerance  # same node (stride > tol) and close
        active = active[near]
        if not active.size:
            break
        i, j = entry_record[active], entry_record[active + k]
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
