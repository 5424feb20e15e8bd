"""block_ids against a row-by-row reference of its documented rule, on random inputs with
repeated, missing, numeric and '#'-looking ids."""

import numpy as np
import pytest

from hotblocking.blocks import block_ids, renumber_parts
from hotblocking.errors import InputError

POOL = np.array(["a", "b", "a#2", "c:1", None, np.nan, 7, 7.0, "7", "", " a"], dtype=object)


def reference(link_ids, part, link_index):
    text = ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in link_ids]
    seen_links = {}  # id -> links in order of first appearance
    previous = {}  # id -> (part of the previous row, occurrence) without link_index
    out = []
    for row, (t, p) in enumerate(zip(text, part)):
        if link_index is not None:
            links = seen_links.setdefault(t, [])
            if link_index[row] not in links:
                links.append(link_index[row])
            occ = links.index(link_index[row]) + 1
        else:
            last_part, occ = previous.get(t, (None, 0))
            if last_part is None or p <= last_part:
                occ += 1
            previous[t] = (p, occ)
        out.append(f"{t}#{occ}:{p}" if occ > 1 else f"{t}:{p}")
    if len(set(out)) != len(out):
        return InputError
    return out


@pytest.mark.parametrize("seed", range(60))
def test_block_ids_match_a_row_by_row_reference(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 30))
    ids = POOL[rng.integers(0, len(POOL) if seed % 2 else 4, n)]
    link = np.sort(rng.integers(0, 8, n)) if seed % 3 else rng.integers(0, 8, n)
    part = renumber_parts(link) if seed % 5 else rng.integers(1, 4, n)
    for link_index in (link, None):
        want = reference(list(ids), list(part), None if link_index is None else list(link))
        if want is InputError:
            with pytest.raises(InputError):
                block_ids(ids, part, link_index)
        else:
            assert list(block_ids(ids, part, link_index)) == want
