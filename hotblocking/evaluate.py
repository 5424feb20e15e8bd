"""Does the map predict? Backtests of hot-block maps against what happened next.

For each test period ("origin") and time window, a method scores every block from the
training records only (everything before the test period), the best-scoring blocks are chosen
up to a share of the network length (1, 2, 5, 10, 20%) or a number of blocks (top N), and the
test period's in-window incidents decide how good the choice was:

* **hit rate** = test incidents on the chosen blocks / all test incidents;
* **PAI** (Chainey, Tompson & Uhlig 2008) = hit rate / share of network length chosen;
* **RRI** (recapture rate index, Levine 2008) = (test / training incidents on the chosen blocks)
  / (test / training incidents overall);
* **Jaccard** stability of the chosen set from one origin to the next.

Incidents count in a window exactly as computerisk counts them
(:func:`hotblocking.timeline.counted_shares`). Methods: any computerisk configuration (its
``risk``), and the baselines plain counts (training in-window counts), previous period (counts in
the training days just before the test period, as many as the test period has), random (seeded)
and a grid kernel density estimate on the incident points (a binned Gaussian KDE; cells chosen
to the same share of the network's area, and also mapped to streets by each block's middle and
chosen by length). Blocks of equal score are ordered by a seeded random draw, so a method
gets no credit from the input order.

Uncertainty: with several origins, the 2.5-97.5% spread of the origins' hit rates; with one, a
Poisson bootstrap of the test records (200 draws). Every method of one origin and window sees
the same tie order and the same bootstrap draws, so ``gain`` (hit rate minus plain counts') is
a paired comparison: identical scores give identical choices and a gain of exactly 0.
Everything is deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy.ndimage import gaussian_filter

from . import schema
from .configurations import settings_text
from .errors import Cancelled, HotBlockingError
from .network import BlockNetwork, build_network
from .risk import HotRule, compute_risk
from .timeline import counted_shares
from .windows import Window

__all__ = [
    "COVERAGE_LEVELS",
    "Method",
    "Origin",
    "evaluate",
    "on_known_blocks",
    "rolling_origins",
    "single_split",
]

COVERAGE_LEVELS = (0.01, 0.02, 0.05, 0.10, 0.20)
BOOTSTRAP_DRAWS = 200
ALL_ORIGINS = "all origins"

PLAIN_COUNTS = "plain counts"
PREVIOUS_PERIOD = "previous period"
RANDOM = "random"
KDE_CELLS = "grid KDE (cells)"
KDE_STREETS = "grid KDE (streets)"
BASELINES = (PLAIN_COUNTS, PREVIOUS_PERIOD, RANDOM, KDE_CELLS, KDE_STREETS)


@dataclass(frozen=True)
class Origin:
    """One test period: training is every record counted before ``test_start`` (from
    ``train_start`` when given); testing counts ``test_start..test_end`` (dates, inclusive)."""

    test_start: np.datetime64
    test_end: np.datetime64
    train_start: np.datetime64 | None = None

    @property
    def label(self) -> str:
        return str(self.test_start)

    @property
    def train_end(self) -> np.datetime64:
        return self.test_start - np.timedelta64(1, "D")

    @property
    def days(self) -> int:
        return int((self.test_end - self.test_start) / np.timedelta64(1, "D")) + 1


def single_split(split_date, last_date) -> list[Origin]:
    """Train on everything before ``split_date``, test from it to ``last_date``."""
    start, end = _day(split_date), _day(last_date)
    if end < start:
        raise HotBlockingError(f"the split date {start} is after the last record ({end})")
    return [Origin(start, end)]


def rolling_origins(first_date, last_date, train_months: int, step_months: int = 1) -> list[Origin]:
    """Each ``step_months``-month period predicted from the ``train_months`` months before it
    (whole calendar months between the first and the last record)."""
    if train_months < 1 or step_months < 1:
        raise HotBlockingError("training and test periods need at least one month each")
    first = _day(first_date).astype("datetime64[M]")
    last = _day(last_date).astype("datetime64[M]")
    origins = []
    test = first + np.timedelta64(train_months, "M")
    while test + np.timedelta64(step_months - 1, "M") <= last:
        after = test + np.timedelta64(step_months, "M")
        origins.append(
            Origin(
                test.astype("datetime64[D]"),
                after.astype("datetime64[D]") - np.timedelta64(1, "D"),
                (test - np.timedelta64(train_months, "M")).astype("datetime64[D]"),
            )
        )
        test = after
    if not origins:
        raise HotBlockingError(
            f"{train_months} training month(s) + {step_months} test month(s) do not fit in the "
            f"data ({first} to {last})"
        )
    return origins


def _day(value) -> np.datetime64:
    return np.datetime64(pd.Timestamp(value).date(), "D")


@dataclass(frozen=True)
class Method:
    """A way to score blocks: a baseline (``kind`` one of BASELINES) or ``"risk"`` with
    computerisk keyword arguments in ``config`` (bandwidth_m, half_life_days, use_harm...)."""

    label: str
    kind: str
    config: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in (*BASELINES, "risk"):
            raise HotBlockingError(f"unknown method {self.kind!r}")


@dataclass(frozen=True)
class KdeSettings:
    """Grid KDE baseline: cell size and Gaussian bandwidth in the blocks' CRS units."""

    cell_size: float
    bandwidth: float


@dataclass
class _Data:
    """Everything the methods need, aligned: incidents, their blocks and points."""

    frame: pd.DataFrame  # computerisk's incident columns
    block_index: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    time_of_day: np.ndarray
    xy: np.ndarray | None
    blocks: pd.DataFrame
    block_geoms: np.ndarray
    lengths: np.ndarray
    windows: list[Window]
    tz: object
    max_span_hours: float | None
    network: BlockNetwork | None = None  # built once when a risk configuration needs it

    def shares(self, window: Window, first_day, last_day) -> np.ndarray:
        return counted_shares(
            self.starts,
            self.ends,
            window,
            time_of_day=self.time_of_day,
            period_start=first_day,
            period_end=last_day,
            max_span_hours=self.max_span_hours,
            tz=self.tz,
        )

    def block_counts(self, shares: np.ndarray) -> np.ndarray:
        known = self.block_index >= 0
        return np.bincount(
            self.block_index[known], weights=shares[known], minlength=len(self.lengths)
        )


def evaluate(
    incidents: pd.DataFrame,
    blocks: pd.DataFrame,
    block_geoms: np.ndarray,
    windows: Sequence[Window],
    origins: Sequence[Origin],
    methods: Sequence[Method],
    *,
    points_xy: np.ndarray | None = None,
    coverages: Sequence[float] = COVERAGE_LEVELS,
    top_n: int = 10,
    kde: KdeSettings | None = None,
    seed: int = 0,
    tz="Europe/London",
    max_span_hours: float | None = 72.0,
    network: BlockNetwork | None = None,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """Backtest ``methods`` over ``origins`` and ``windows`` (module doc).

    ``incidents`` has computerisk's columns (block_id, source, time_start, time_end, weight,
    and time_precision when known); ``points_xy`` their points in the blocks' CRS (needed by
    the KDE baselines). Returns one row per window, method, origin and level
    (:data:`hotblocking.schema.EVALUATION`), then summary rows with origin ``"all origins"``:
    mean hit rate with the 2.5-97.5% spread of the origins' hit rates (with one origin, its
    bootstrap interval). ``gain`` is the hit rate minus plain counts' (when plain counts is
    among the methods) at the same window, origin and level; with one origin its interval
    comes from the same bootstrap draws (paired). Records whose block_id is not in ``blocks``
    are left out of training and test alike (:func:`on_known_blocks` finds them).
    ``network``: the blocks' adjacency for smoothing and merging, as computerisk builds it
    (default: block ends meeting, built from ``block_geoms`` when a configuration needs it).
    """
    _check_methods(methods)
    known = on_known_blocks(incidents, blocks)
    incidents = incidents[known].reset_index(drop=True)
    points_xy = None if points_xy is None else np.asarray(points_xy)[known]
    data = _prepare(incidents, blocks, block_geoms, windows, points_xy, tz, max_span_hours)
    if any(m.kind in (KDE_CELLS, KDE_STREETS) for m in methods) and (
        kde is None or data.xy is None
    ):
        raise HotBlockingError("the grid KDE baseline needs incident points and KDE settings")
    if network is not None:
        data.network = network
    elif any(m.kind == "risk" and _needs_network(m.config) for m in methods):
        data.network = build_network(data.block_geoms, data.lengths)
    rows: list[dict] = []
    chosen_before: dict[tuple, np.ndarray] = {}
    steps = max(len(origins) * len(methods), 1)
    for o_index, origin in enumerate(origins):
        tests = {w.label: data.shares(w, origin.test_start, origin.test_end) for w in data.windows}
        trains = {
            w.label: data.shares(w, origin.train_start, origin.train_end) for w in data.windows
        }
        shared = {
            w.label: _Shared.draw(tests[w.label], len(data.lengths), [seed, o_index, k, 1])
            for k, w in enumerate(data.windows)
        }
        origin_rows: list[dict] = []
        draws: dict[tuple, np.ndarray] = {}
        for m_index, method in enumerate(methods):
            if cancelled is not None and cancelled():
                raise Cancelled()
            rng = np.random.default_rng([seed, o_index, m_index])
            scores = _scores(method, data, origin, trains, rng, kde)
            for window in data.windows:
                origin_rows += _rows_for(
                    method, window, origin, data, scores[window.label], tests[window.label],
                    trains[window.label], coverages, top_n, shared[window.label],
                    chosen_before, kde, draws,
                )  # fmt: skip
            if progress is not None:
                progress((o_index * len(methods) + m_index + 1) / steps)
        _add_gains(origin_rows, draws, methods)
        rows += origin_rows
    table = pd.DataFrame(rows, columns=COLUMNS)
    for row_method in methods:
        table.loc[table["method"] == row_method.label, "settings"] = _settings(
            row_method, kde, seed
        )
    return pd.concat([table, _summaries(table)], ignore_index=True)


COLUMNS = schema.EVALUATION.names()
"""The evaluation table's columns, in :data:`hotblocking.schema.EVALUATION` order."""


def on_known_blocks(incidents: pd.DataFrame, blocks: pd.DataFrame) -> np.ndarray:
    """Whether each record's block_id is one of ``blocks``' (the others cannot be scored)."""
    ids = pd.Index(blocks["block_id"].astype(str))
    return ids.get_indexer(incidents["block_id"].astype(str)) >= 0


def _check_methods(methods: Sequence[Method]) -> None:
    labels = [m.label for m in methods]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise HotBlockingError(
            f"method labels must differ: {', '.join(repeated)} is used more than once"
        )
    if not methods:
        raise HotBlockingError("nothing to evaluate: choose a baseline or give a configuration")


def _needs_network(config: dict) -> bool:
    return config.get("bandwidth_m", 0) > 0 or config.get("merge_minutes", 0) > 0


def _settings(method: Method, kde: KdeSettings | None, seed: int) -> str:
    """What the method ran with, in computerisk's (or the KDE's) parameter names."""
    if method.kind == "risk":
        return settings_text(method.config)
    if method.kind in (KDE_CELLS, KDE_STREETS) and kde is not None:
        return f"KDE_CELL_SIZE={kde.cell_size:g}, KDE_BANDWIDTH={kde.bandwidth:g}"
    if method.kind == RANDOM:
        return f"SEED={seed}"
    return ""


@dataclass(frozen=True)
class _Shared:
    """What every method of one origin and window shares, so that their results differ only
    by their scores: the order among equal scores and the bootstrap's draws of the test
    records (common random numbers: a paired comparison)."""

    seed_words: tuple
    tiebreak: np.ndarray
    counted: np.ndarray  # the test records that count in the window
    weights: np.ndarray  # (draws, counted) Poisson(1) weights
    totals: np.ndarray  # (draws,) resampled test totals

    @classmethod
    def draw(cls, test: np.ndarray, blocks: int, seed_words: list[int]) -> _Shared:
        rng = np.random.default_rng(seed_words)
        tiebreak = rng.random(blocks)
        counted = np.flatnonzero(test > 0)
        weights = rng.poisson(1.0, size=(BOOTSTRAP_DRAWS, counted.size)).astype(np.float64)
        return cls(tuple(seed_words), tiebreak, counted, weights, weights @ test[counted])

    def cell_tiebreak(self, cells: int) -> np.ndarray:
        """The order among grid cells of equal density (the KDE baseline's own draw)."""
        return np.random.default_rng([*self.seed_words, 2]).random(cells)

    def rates(self, test: np.ndarray, hit: np.ndarray) -> np.ndarray:
        """Resampled hit rates when ``hit`` says per record whether it was on a chosen
        block or cell."""
        hits = self.weights @ (test[self.counted] * hit[self.counted])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.totals > 0, hits / self.totals, np.nan)


def _interval(draws: np.ndarray) -> tuple[float, float]:
    if draws.size == 0 or np.isnan(draws).all():
        return np.nan, np.nan
    low, high = np.nanpercentile(draws, [2.5, 97.5])
    return float(low), float(high)


def _add_gains(rows: list[dict], draws: dict, methods: Sequence[Method]) -> None:
    """Each row's hit rate minus plain counts' at the same window and level (paired draws)."""
    plain = next((m.label for m in methods if m.kind == PLAIN_COUNTS), None)
    if plain is None:
        return
    reference = {(r["window"], r["level"]): r for r in rows if r["method"] == plain}
    for row in rows:
        base = reference.get((row["window"], row["level"]))
        if base is None:
            continue
        row["gain"] = row["hit_rate"] - base["hit_rate"]
        paired = draws[(row["window"], row["method"], row["level"])]
        row["gain_low"], row["gain_high"] = _interval(
            paired - draws[(row["window"], plain, row["level"])]
        )


def _prepare(incidents, blocks, block_geoms, windows, points_xy, tz, max_span_hours) -> _Data:
    ids = pd.Index(blocks["block_id"].astype(str))
    block_index = ids.get_indexer(incidents["block_id"].astype(str)).astype(np.int64)
    starts = pd.to_datetime(incidents["time_start"]).to_numpy("datetime64[ms]")
    ends = pd.to_datetime(incidents["time_end"]).to_numpy("datetime64[ms]")
    if "time_precision" in incidents.columns:
        time_of_day = incidents["time_precision"].isin(["instant", "range"]).to_numpy()
    else:
        time_of_day = ~np.isnat(starts)
    lengths = shapely.length(np.asarray(block_geoms, dtype=object))
    return _Data(
        frame=incidents,
        block_index=block_index,
        starts=starts,
        ends=ends,
        time_of_day=time_of_day,
        xy=None if points_xy is None else np.asarray(points_xy, dtype=float),
        blocks=blocks,
        block_geoms=np.asarray(block_geoms, dtype=object),
        lengths=np.where(np.isfinite(lengths), lengths, 0.0),
        windows=list(windows),
        tz=tz,
        max_span_hours=max_span_hours,
    )


def _scores(method: Method, data: _Data, origin: Origin, trains, rng, kde) -> dict:
    """Per window: a score per block (higher = chosen first), or cell densities for KDE."""
    nb = len(data.lengths)
    if method.kind == PLAIN_COUNTS:
        return {label: data.block_counts(s) for label, s in trains.items()}
    if method.kind == PREVIOUS_PERIOD:
        first = origin.test_start - np.timedelta64(origin.days, "D")
        return {
            w.label: data.block_counts(data.shares(w, first, origin.train_end))
            for w in data.windows
        }
    if method.kind == RANDOM:
        return {w.label: rng.random(nb) for w in data.windows}
    if method.kind in (KDE_CELLS, KDE_STREETS):
        return {label: _kde_grid(data, s, kde) for label, s in trains.items()}
    result = compute_risk(
        data.frame,
        data.blocks,
        data.block_geoms,
        data.windows,
        hot_rule=HotRule("top_n", 1),
        period_start=origin.train_start,
        period_end=origin.train_end,
        tz=data.tz,
        max_span_hours=data.max_span_hours,
        network=data.network,
        **method.config,
    )
    risk = result.table["risk"].to_numpy(dtype=float).reshape(len(data.windows), nb)
    return {w.label: risk[k] for k, w in enumerate(data.windows)}


def _rows_for(
    method, window, origin, data, score, test, train, coverages, top_n, shared, before, kde, draws
) -> list[dict]:
    if method.kind == KDE_CELLS:
        return _kde_cell_rows(method, window, origin, data, score, test, coverages, kde, shared,
                              draws)  # fmt: skip
    if method.kind == KDE_STREETS:
        score = _kde_block_scores(data, score, kde)
    test_total = float(test.sum())
    train_total = float(train.sum())
    test_blocks = data.block_counts(test)
    train_blocks = data.block_counts(train)
    order = np.lexsort((shared.tiebreak, -np.nan_to_num(score, nan=-np.inf)))
    levels = [(level_name(c), _by_length(order, data.lengths, c)) for c in coverages]
    levels.append((f"top {top_n}", order[: max(int(top_n), 0)]))
    known = data.block_index >= 0
    rows = []
    for level, chosen in levels:
        mask = np.zeros(len(score), dtype=bool)
        mask[chosen] = True
        hits = float(test_blocks[mask].sum())
        coverage = float(data.lengths[mask].sum() / data.lengths.sum())
        key = (window.label, method.label, level)
        jaccard = _jaccard(before.get(key), mask)
        before[key] = mask
        draws[key] = shared.rates(test, known & mask[np.maximum(data.block_index, 0)])
        row = _row(window, method, origin, level, coverage, int(mask.sum()), test_total, hits,
                   draws[key])  # fmt: skip
        row["rri"] = _rri(hits, float(train_blocks[mask].sum()), test_total, train_total)
        row["jaccard"] = jaccard
        rows.append(row)
    return rows


def level_name(share: float) -> str:
    """A coverage level as the table names it: 0.05 -> "5%"."""
    return f"{round(share * 100, 3):g}%"


def _row(window, method, origin, level, coverage, blocks, test_total, hits, draws) -> dict:
    hit_rate = hits / test_total if test_total > 0 else np.nan
    low, high = _interval(draws)
    return {
        "window": window.label,
        "method": method.label,
        "settings": "",
        "origin": origin.label,
        "test_end": str(origin.test_end),
        "origins": 1,
        "level": level,
        "coverage": coverage,
        "blocks": float(blocks),
        "test_incidents": test_total,
        "hits": hits,
        "hit_rate": hit_rate,
        "hit_rate_low": low,
        "hit_rate_high": high,
        "pai": hit_rate / coverage if coverage > 0 else np.nan,
        "rri": np.nan,
        "jaccard": np.nan,
        "gain": np.nan,
        "gain_low": np.nan,
        "gain_high": np.nan,
        "best": False,
    }


def _by_length(order: np.ndarray, lengths: np.ndarray, share: float) -> np.ndarray:
    """The first blocks of ``order`` whose total length stays within ``share`` of the network."""
    cumulative = np.cumsum(lengths[order])
    return order[cumulative <= share * lengths.sum() + 1e-9]


def _rri(hits: float, train_hits: float, test_total: float, train_total: float) -> float:
    if train_hits <= 0 or test_total <= 0 or train_total <= 0:
        return np.nan
    return (hits / train_hits) / (test_total / train_total)


def _jaccard(previous: np.ndarray | None, current: np.ndarray) -> float:
    if previous is None or previous.shape != current.shape:
        return np.nan
    union = np.count_nonzero(previous | current)
    return np.count_nonzero(previous & current) / union if union else np.nan


def _grid(data: _Data, kde: KdeSettings):
    """Cell size, the grid's origin and shape over the network's extent (one cell of margin)."""
    x0, y0, x1, y1 = shapely.total_bounds(data.block_geoms)
    size = float(kde.cell_size)
    nx = int(np.ceil((x1 - x0) / size)) + 2
    ny = int(np.ceil((y1 - y0) / size)) + 2
    return size, x0 - size, y0 - size, nx, ny


def _cells_of(xy: np.ndarray, grid) -> np.ndarray:
    size, gx, gy, nx, ny = grid
    col = np.floor((xy[:, 0] - gx) / size).astype(np.int64)
    row = np.floor((xy[:, 1] - gy) / size).astype(np.int64)
    inside = np.isfinite(xy).all(axis=1) & (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    return np.where(inside, row * nx + col, -1)


def _kde_grid(data: _Data, train_shares: np.ndarray, kde: KdeSettings) -> np.ndarray:
    """Binned Gaussian KDE of the training points (weighted by their in-window share)."""
    grid = _grid(data, kde)
    _, _, _, nx, ny = grid
    cells = _cells_of(data.xy, grid)
    use = cells >= 0
    counts = np.bincount(cells[use], weights=train_shares[use], minlength=nx * ny)
    sigma = float(kde.bandwidth) / grid[0]
    return gaussian_filter(counts.reshape(ny, nx), sigma=sigma, mode="constant").ravel()


def _network_cells(data: _Data, grid) -> np.ndarray:
    """Cells the network passes through (sampled every half cell along each block)."""
    size = grid[0]
    lengths = np.maximum(data.lengths, 1e-9)
    per_block = np.maximum(np.ceil(lengths / (size / 2)).astype(np.int64), 1) + 1
    owner = np.repeat(np.arange(len(lengths)), per_block)
    step = np.arange(per_block.sum()) - np.repeat(np.cumsum(per_block) - per_block, per_block)
    fraction = step / (per_block[owner] - 1)
    points = shapely.line_interpolate_point(data.block_geoms[owner], fraction, normalized=True)
    cells = _cells_of(shapely.get_coordinates(points), grid)
    return np.unique(cells[cells >= 0])


def _kde_block_scores(data: _Data, density: np.ndarray, kde: KdeSettings) -> np.ndarray:
    grid = _grid(data, kde)
    middles = shapely.line_interpolate_point(data.block_geoms, 0.5, normalized=True)
    cells = _cells_of(shapely.get_coordinates(middles), grid)
    return np.where(cells >= 0, density[np.maximum(cells, 0)], 0.0)


def _kde_cell_rows(method, window, origin, data, density, test, coverages, kde, shared, draws):
    """Cells chosen by density up to a share of the network's cells; hits are test points."""
    grid = _grid(data, kde)
    study = _network_cells(data, grid)
    order = study[np.lexsort((shared.cell_tiebreak(study.size), -density[study]))]
    point_cells = _cells_of(data.xy, grid)
    test_total = float(test.sum())
    rows = []
    for share in coverages:
        chosen = order[: int(np.floor(share * study.size + 1e-9))]
        hit = np.isin(point_cells, chosen)
        level = level_name(share)
        key = (window.label, method.label, level)
        draws[key] = shared.rates(test, hit)
        hits, coverage = float(test[hit].sum()), chosen.size / study.size
        row = _row(window, method, origin, level, coverage, chosen.size, test_total, hits,
                   draws[key])  # fmt: skip
        rows.append(row)
    return rows


def _summaries(table: pd.DataFrame) -> pd.DataFrame:
    """Per window, method and level: mean over origins, with the origins' spread (with one
    origin, its bootstrap interval)."""
    if table.empty:
        return table
    keys = ["window", "method", "level"]
    grouped = table.groupby(keys, sort=False)
    means = ["coverage", "blocks", "test_incidents", "hits", "hit_rate", "pai", "rri", "jaccard"]
    out = grouped[means + ["gain"]].mean()
    out["settings"] = grouped["settings"].first()
    out["origins"] = grouped["origin"].count()
    single = (out["origins"] <= 1).to_numpy()
    for column in ("hit_rate", "gain"):
        spread_low = grouped[column].quantile(0.025).to_numpy()
        spread_high = grouped[column].quantile(0.975).to_numpy()
        out[f"{column}_low"] = np.where(single, grouped[f"{column}_low"].mean(), spread_low)
        out[f"{column}_high"] = np.where(single, grouped[f"{column}_high"].mean(), spread_high)
    out = out.reset_index()
    out["origin"] = ALL_ORIGINS
    out["test_end"] = None
    out["best"] = False
    return out[COLUMNS]


def best_settings(table: pd.DataFrame, level: str, among: Sequence[str] | None = None):
    """Per window: the summary row with the highest mean hit rate at ``level`` (among the
    methods ``among``, default all); a tie goes to the method that comes first in the table."""
    summary = table[(table["origin"] == ALL_ORIGINS) & (table["level"] == level)]
    if among is not None:
        summary = summary[summary["method"].isin(list(among))]
    summary = summary[summary["hit_rate"].notna()]
    if summary.empty:
        return summary
    best = summary.loc[summary.groupby("window", sort=False)["hit_rate"].idxmax()]
    return best.reset_index(drop=True)


def mark_best(table: pd.DataFrame, level: str, among: Sequence[str] | None = None) -> pd.DataFrame:
    """``table`` with ``best`` True on each window's best summary row (:func:`best_settings`)."""
    marked = table.copy()
    marked["best"] = False
    summary = marked[(marked["origin"] == ALL_ORIGINS) & (marked["level"] == level)]
    if among is not None:
        summary = summary[summary["method"].isin(list(among))]
    summary = summary[summary["hit_rate"].notna()]
    if not summary.empty:
        marked.loc[summary.groupby("window", sort=False)["hit_rate"].idxmax(), "best"] = True
    return marked


def wins_over_plain(table: pd.DataFrame, window: str, method: str, level: str) -> tuple[int, int]:
    """(origins where ``method`` hit more than plain counts, origins compared) at ``level``."""
    rows = table[
        (table["window"] == window)
        & (table["method"] == method)
        & (table["level"] == level)
        & (table["origin"] != ALL_ORIGINS)
        & table["gain"].notna()
    ]
    return int((rows["gain"] > 1e-12).sum()), len(rows)
