"""Stage 5: hour-of-week profiles per block, and what a window shows of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import schema
from ..constants import DAY_NAMES, HOURS_PER_DAY, HOURS_PER_WEEK
from ..timeline import hour_profile_utc
from ..windows import Window, hour_of_week_label
from .inputs import Incidents

NO_PEAK = HOURS_PER_WEEK
PEAK_LABELS = np.array([hour_of_week_label(i) for i in range(HOURS_PER_WEEK)] + [""], dtype=object)
DAY_CATEGORIES = pd.CategoricalDtype(list(DAY_NAMES), ordered=True)


def hour_profiles(incidents: Incidents, countable: np.ndarray, n_blocks: int, tz) -> sp.csr_matrix:
    """Aoristic hour-of-week profile (n_blocks x 168, unweighted) of the countable
    incidents (:func:`hotblocking.timeline.hour_profile_utc`)."""
    rows = np.flatnonzero(countable)
    return hour_profile_utc(
        incidents.block[rows], incidents.start_utc[rows], incidents.end_utc[rows], n_blocks, tz=tz
    )


def window_profiles(profiles: sp.csr_matrix, window: Window) -> sp.csr_matrix:
    """The profiles restricted to the hours ``window`` touches (other cells dropped)."""
    return keep_columns(profiles, window.hour_mask())


def keep_columns(matrix: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """``matrix`` with the columns outside ``keep`` (bool) dropped to zero, explicit zeros
    removed, indices sorted."""
    matrix = sp.csr_matrix(matrix)
    on = np.asarray(keep, dtype=bool)[matrix.indices] & (matrix.data != 0)
    row = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    counts = np.bincount(row[on], minlength=matrix.shape[0])
    indptr = np.concatenate([[0], np.cumsum(counts)])
    out = sp.csr_matrix((matrix.data[on], matrix.indices[on], indptr), shape=matrix.shape)
    out.sort_indices()
    return out


def row_argmax(matrix: sp.csr_matrix) -> np.ndarray:
    """Column of each row's largest positive value (lowest column on ties); the column
    count when the row has none. Vectorised (``csr.argmax(axis=1)`` loops over rows)."""
    matrix = sp.csr_matrix(matrix)
    matrix.sort_indices()
    n = matrix.shape[0]
    out = np.full(n, matrix.shape[1], dtype=np.int64)
    filled = np.diff(matrix.indptr) > 0
    if not filled.any():
        return out
    row = np.repeat(np.arange(n), np.diff(matrix.indptr))
    row_max = np.full(n, -np.inf)
    row_max[filled] = np.maximum.reduceat(matrix.data, matrix.indptr[:-1][filled])
    hit = np.flatnonzero((matrix.data == row_max[row]) & (matrix.data > 0))
    rows, first = np.unique(row[hit], return_index=True)
    out[rows] = matrix.indices[hit[first]]
    return out


def peak_labels(profiles: sp.csr_matrix, counts: np.ndarray) -> np.ndarray:
    """``"Sat 01:00-02:00"``: each block's busiest hour; ``""`` without incidents."""
    return PEAK_LABELS[np.where(counts > 0, row_argmax(profiles), NO_PEAK)]


def long_profiles(
    profiles: sp.csr_matrix, block_ids: np.ndarray, window_code: int, windows: pd.CategoricalDtype
) -> pd.DataFrame:
    """The non-zero cells as rows of the :data:`hotblocking.schema.PROFILES` table."""
    cells = profiles.tocoo()
    return pd.DataFrame(
        {
            schema.BLOCK_ID: block_ids[cells.row],
            schema.WINDOW: pd.Categorical.from_codes(
                np.full(cells.nnz, window_code, dtype=np.int8), dtype=windows
            ),
            schema.DAY: pd.Categorical.from_codes(cells.col // HOURS_PER_DAY, dtype=DAY_CATEGORIES),
            schema.HOUR: (cells.col % HOURS_PER_DAY).astype(np.int64),
            schema.VALUE: cells.data,
        }
    )
