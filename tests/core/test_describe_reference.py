"""describe_blocks against a plain-Python reference of its topological rules (runs, cross
streets at run ends, dead ends, text) on small random networks.

The reference walks blocks and nodes one by one, as the module doc states the rules, so it
shares no code with the vectorised implementation. The geometric rules (beside, near) are
switched off (``beside=0``, ``near=0``); they have their own hand-built tests.
"""

from collections import defaultdict

import numpy as np
import pytest
from shapely.geometry import LineString

from hotblocking.describe import describe_blocks

NAMES = ["High St", "Mill Ln", " Bridge St ", "Abbey Rd", "", None]


def _clean(name):
    if not isinstance(name, str) or not name.strip():
        return None
    return name.strip()


def reference(names, kinds, path_like, start, end):
    n = len(names)
    name = [_clean(x) for x in names]
    key = [(name[i], None) if name[i] else (None, kinds[i]) for i in range(n)]
    road = [name[i] is not None and not path_like[i] for i in range(n)]
    incidences = [(i, start[i]) for i in range(n)] + [(i, end[i]) for i in range(n)]
    at_node = defaultdict(list)
    for k, (i, v) in enumerate(incidences):
        if v >= 0:
            at_node[v].append(k)

    # runs: blocks of one key meet at a node where they are the only two of that key and
    # no other named road meets
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    inside = [False] * (2 * n)
    for v, ks in at_node.items():
        by_key = defaultdict(list)
        for k in ks:
            by_key[key[incidences[k][0]]].append(k)
        roads_here = sum(road[incidences[k][0]] for k in ks)
        for group in by_key.values():
            roads_in_group = sum(road[incidences[k][0]] for k in group)
            if len(group) == 2 and roads_here - roads_in_group == 0:
                (i, _), (j, _) = incidences[group[0]], incidences[group[1]]
                if i != j:
                    inside[group[0]] = inside[group[1]] = True
                    parent[find(i)] = find(j)

    run_ends = defaultdict(list)
    for k, (i, _) in enumerate(incidences):
        if not inside[k]:
            run_ends[find(i)].append(k)

    def cross_at(k):
        i, v = incidences[k]
        if v < 0:
            return None
        count = defaultdict(int)
        for m in at_node[v]:
            j = incidences[m][0]
            if name[j] is not None:
                count[(name[j], path_like[j])] += 1
        options = [(p, -c, s) for (s, p), c in count.items() if s != name[i]]
        return min(options)[2] if options else None

    out = []
    for i in range(n):
        ends = run_ends[find(i)][:2]
        crosses = [cross_at(k) for k in ends]
        dead = any(len(at_node[incidences[k][1]]) == 1 for k in ends if incidences[k][1] >= 0)
        a = crosses[0] if len(crosses) > 0 else None
        b = crosses[1] if len(crosses) > 1 else None
        if a and b and a != b:
            suffix = f" between {a} and {b}"
        elif a or b:
            only = a or b
            suffix = f" off {only}" if dead or (a and b) else f" near {only}"
        else:
            suffix = ""
        # the run's representative is its first block (all blocks of a run share the key)
        first = min(j for j in range(n) if find(j) == find(i))
        if name[first]:
            out.append(name[first] + suffix)
        elif suffix:
            word = "unnamed road" if kinds[first] == "road" else kinds[first]
            out.append(word + suffix)
        else:
            out.append("unnamed " + kinds[first])
    return out, name


@pytest.mark.parametrize("seed", range(40))
def test_descriptions_match_a_block_by_block_reference(seed):
    rng = np.random.default_rng(seed)
    n, nodes = int(rng.integers(1, 30)), int(rng.integers(2, 15))
    start = rng.integers(-1, nodes, n)
    end = rng.integers(-1, nodes, n)
    names = np.array([NAMES[k] for k in rng.integers(0, len(NAMES), n)], dtype=object)
    kinds = rng.choice(np.array(["road", "footway", "steps"], dtype=object), n)
    path_like = kinds != "road"
    geoms = np.array([LineString([(i, 0), (i, 1)]) for i in range(n)], dtype=object)

    got = describe_blocks(geoms, names, kinds, path_like, start, end, beside=0.0, near=0.0)
    want, want_names = reference(list(names), list(kinds), list(path_like), start, end)
    assert list(got.description) == want
    assert list(got.name) == want_names
    assert got.with_ends == sum(
        (" between " in t) or (" off " in t) or (" near " in t) for t in want
    )
