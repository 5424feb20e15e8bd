"""Which blocks a tasking brief lists: exactly the blocks the layer calls hot (pure).

The rule, so that the brief never disagrees with the layer it was made from:

* the brief lists the blocks whose ``hot`` field is true in the window (the hot rule
  computerisk applied: top N, a share of network length or significance), in rank order
  (ties: more events first, then block id), up to ``top_n`` (the brief's TOP_N);
* blocks tied at the rank of the last place are all listed, never some of them: a brief for
  10 blocks lists 11 when two share rank 10, and says so;
* when the layer calls more blocks hot than TOP_N, or fewer, the brief says how many and how
  many it lists; blocks ranked as high as a listed one that the layer does not call hot (a
  significance or length-share rule) are named by rank;
* a block with no incident of its own, or with risk that comes mostly from the blocks around
  it (network smoothing), is listed as the layer lists it but labelled "next to hot
  streets" (:func:`neighbour_flags`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema

NEIGHBOUR_SHARE = 0.5
"""A block is "next to hot streets" when its own events would make less than this share of
its risk (:func:`neighbour_flags`)."""


@dataclass(frozen=True)
class Selection:
    """The listed rows (page order) and what the brief says about the choice."""

    rows: pd.DataFrame
    hot: int  # blocks the layer calls hot in the window
    top_n: int
    cut_rank: int | None  # rank of the last listed block
    tied: int  # blocks listed beyond top_n because they tie at the cut
    not_hot_ranks: tuple[int, ...]  # ranks up to the cut held by blocks not hot

    @property
    def listed(self) -> int:
        return len(self.rows)

    @property
    def left_out(self) -> int:
        """Hot blocks in the layer that the brief does not list."""
        return self.hot - self.listed


def events_of(frame: pd.DataFrame) -> pd.Series:
    """Each row's own events (the merged count); its incidents where events is NULL."""
    events = pd.to_numeric(frame[schema.EVENTS], errors="coerce")
    return events.fillna(pd.to_numeric(frame[schema.INCIDENTS], errors="coerce")).fillna(0.0)


def is_hot(frame: pd.DataFrame) -> pd.Series:
    """The layer's ``hot`` field as booleans (NULL: not hot)."""
    return pd.to_numeric(frame[schema.HOT], errors="coerce").fillna(0) > 0


def select_blocks(frame: pd.DataFrame, top_n: int) -> Selection:
    """The rows of one window the brief lists (module doc)."""
    rank = _ranks(frame)
    hot_flags = is_hot(frame).to_numpy() & ~np.isnan(rank)
    n_hot = int(hot_flags.sum())
    if n_hot == 0:
        return Selection(frame.iloc[:0], 0, int(top_n), None, 0, ())
    # The cut is the top_n-th smallest hot rank (the last hot one when fewer): only rows
    # ranked up to it are sorted (a window has ~4M rows nationally, the brief lists ~10).
    kth = (min(top_n, n_hot) - 1) % n_hot
    cut = np.partition(rank[hot_flags], kth)[kth]  # compared as is: a layer may hold rank 1.5
    cut_rank = int(cut)
    order = _ranked_order(frame, np.flatnonzero(rank <= cut), rank)
    chosen = order[hot_flags[order]]
    cold = order[~hot_flags[order]]
    return Selection(
        rows=frame.iloc[chosen],
        hot=n_hot,
        top_n=int(top_n),
        cut_rank=cut_rank,
        tied=max(len(chosen) - int(top_n), 0),
        not_hot_ranks=tuple(int(r) for r in rank[cold]),
    )


def _ranks(frame: pd.DataFrame) -> np.ndarray:
    """The rank field as floats, NaN where missing (a nullable Int64 field too)."""
    return pd.to_numeric(frame[schema.RANK], errors="coerce").to_numpy(float, na_value=np.nan)


def _ranked_order(frame: pd.DataFrame, rows: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """``rows`` (positions) by rank, then most events, then block id (stable)."""
    events = events_of(frame).to_numpy(float, na_value=np.nan)
    keys = pd.DataFrame(
        {
            "rank": rank[rows],
            "neg_events": -events[rows],
            "block_id": frame[schema.BLOCK_ID].to_numpy()[rows],
        }
    )
    by_keys = keys.sort_values(list(keys.columns), kind="stable").index.to_numpy()
    return rows[by_keys]


def selection_notes(selection: Selection) -> list[str]:
    """What the brief says about the blocks it lists (none when it lists exactly TOP_N hot
    blocks and nothing else is hot)."""
    s, notes = selection, []
    if s.hot == 0:
        return ["The layer calls no block hot in this window: no block is listed."]
    if s.tied:
        sharing = int((s.rows[schema.RANK] == s.cut_rank).sum())
        notes.append(
            f"{sharing} blocks share rank {s.cut_rank}, the last place listed: all of them "
            f"are listed, so {s.listed} blocks rather than {s.top_n}."
        )
    if s.left_out:
        notes.append(
            f"The layer calls {s.hot} blocks hot in this window; the {s.listed} ranked "
            f"highest are listed (blocks to brief: {s.top_n}), the other {s.left_out} are on "
            "the layer."
        )
    elif s.hot < s.top_n:
        notes.append(
            f"The layer calls {s.hot} block{'s' if s.hot > 1 else ''} hot in this window, "
            f"fewer than the {s.top_n} asked for: {'all are' if s.hot > 1 else 'it is'} listed."
        )
    if s.not_hot_ranks:
        ranks = ", ".join(str(r) for r in s.not_hot_ranks[:12])
        more = "..." if len(s.not_hot_ranks) > 12 else ""
        notes.append(
            f"Not listed: {len(s.not_hot_ranks)} block(s) ranked as high as a listed one that "
            f"the layer does not call hot (rank {ranks}{more}): its hot rule is not a plain "
            "rank cut (significance or a share of network length)."
        )
    return notes


def neighbour_flags(rows: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """True for listed ``rows`` that are hot through their neighbours ("next to hot streets").

    A block with risk but no event of its own is always one. Where the window shows
    smoothing (some block has risk and no event), a block is one too when its own events,
    weighted as the window's average event (total risk / total events: smoothing keeps the
    total), would make less than :data:`NEIGHBOUR_SHARE` of its risk. Without smoothing every
    block's risk is its own, whatever its weights (harm, source, recency).
    """
    own = events_of(rows).to_numpy(dtype=float)
    risk = pd.to_numeric(rows[schema.RISK], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    flags = (own <= 0) & (risk > 0)
    all_risk = pd.to_numeric(frame[schema.RISK], errors="coerce").fillna(0.0)
    all_events = events_of(frame)
    smoothed = bool(((all_risk > 0) & (all_events <= 0)).any())
    if smoothed and all_events.sum() > 0 and all_risk.sum() > 0:
        per_event = float(all_risk.sum() / all_events.sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            own_share = np.where(risk > 0, own * per_event / risk, np.inf)
        flags |= own_share < NEIGHBOUR_SHARE
    return flags
