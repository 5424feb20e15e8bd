"""Joined-incident layers that carry the same records under different source labels.

The same incident layer joined twice (e.g. a single-source user giving one layer as each of
a model's three sources) gives two joined layers whose ``incident_id`` differ only by the
label (``ambulance:17`` and ``police:17``): the incidents would be counted twice. Such layers
are recognised by content: the feature id after the label, the block and the start and end
times of each record.

Two genuinely different sources can share a few such records by coincidence, mostly with
month-only data (many records share a month and a busy block, and both layers number their
features from 1). A layer pair counts as "the same records" only when most of the smaller
layer's records are also in the other (:data:`SAME_SHARE`); a repeat of a whole layer gives
100%, coincidence a few percent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SAME_SHARE = 0.5


@dataclass(frozen=True)
class RepeatedLayers:
    first: int  # index of a layer
    second: int  # index of a later layer
    shared: int  # records of the smaller one also in the other
    smaller: int  # records of the smaller one


def record_keys(
    incident_ids: np.ndarray,
    block_ids: np.ndarray,
    time_start: np.ndarray,
    time_end: np.ndarray,
) -> np.ndarray:
    """One 64-bit hash per record of (feature id without its source label, block, times).

    ``incident_ids`` are ``<label>:<feature id>``; the label may itself hold ':', the id
    does not.
    """
    ids = pd.Series(np.asarray(incident_ids, dtype=object), dtype=object)
    if len(ids) == 0:
        return np.zeros(0, dtype=np.uint64)
    feature_ids = ids.str.rpartition(":")[2]
    frame = pd.DataFrame(
        {
            "feature_id": feature_ids.to_numpy(dtype=object),
            "block_id": np.asarray(block_ids, dtype=object),
            "start": np.asarray(time_start, dtype="datetime64[ms]").view("int64"),
            "end": np.asarray(time_end, dtype="datetime64[ms]").view("int64"),
        }
    )
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def repeated_layers(keys: list[np.ndarray], share: float = SAME_SHARE) -> list[RepeatedLayers]:
    """Pairs of layers (given as :func:`record_keys` arrays) where more than ``share`` of the
    smaller layer's records are also in the other."""
    found = []
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            small, large = sorted((keys[i], keys[j]), key=len)
            if len(small) == 0:
                continue
            shared = int(np.isin(small, large).sum())
            if shared > share * len(small):
                found.append(RepeatedLayers(i, j, shared, len(small)))
    return found
