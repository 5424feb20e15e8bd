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
gets no credit from the input order. Everything is deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy.ndimage import gaussian_filter

from .errors import Cancelled, HotBlockingError
from .risk import HotRule, compute_risk
from .timeline import counted_shares
from .windows import Window

__all__ = [
    "COVERAGE_LEVELS",
    "Method",
    "Origin",
    "evaluate",
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
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """Backtest ``methods`` over ``origins`` and ``windows`` (module doc).

    ``incidents`` has computerisk's columns (block_id, source, time_start, time_end, weight,
    and time_precision when known); ``points_xy`` their points in the blocks' CRS (needed by
    the KDE baselines). Returns one row per window, method, origin and level, then summary rows
    with origin ``"all origins"``: mean hit rate with the 2.5-97.5% spread of the origins'
    hit rates (with one origin, its bootstrap interval).
    """
    data = _prepare(incidents, blocks, block_geoms, windows, points_xy, tz, max_span_hours)
    if any(m.kind in (KDE_CELLS, KDE_STREETS) for m in methods) and (
        kde is None or data.xy is None
    ):
        raise HotBlockingError("the grid KDE baseline needs incident points and KDE settings")
    rows: list[dict] = []
    chosen_before: dict[tuple, np.ndarray] = {}
    steps = max(len(origins) * len(methods), 1)
    for o_index, origin in enumerate(origins):
        tests = {w.label: data.shares(w, origin.test_start, origin.test_end) for w in data.windows}
        trains = {
            w.label: data.shares(w, origin.train_start, origin.train_end) for w in data.windows
        }
        for m_index, method in enumerate(methods):
            if cancelled is not None and cancelled():
                raise Cancelled()
            rng = np.random.default_rng([seed, o_index, m_index])
            scores = _scores(method, data, origin, trains, rng, kde)
            for window in data.windows:
                rows += _rows_for(
                    method, window, origin, data, scores[window.label], tests[window.label],
                    trains[window.label], coverages, top_n, rng, chosen_before, kde,
                )  # fmt: skip
            if progress is not None:
                progress((o_index * len(methods) + m_index + 1) / steps)
    table = pd.DataFrame(rows, columns=_COLUMNS)
    return pd.concat([table, _summaries(table)], ignore_index=True)


_COLUMNS = [
    "window",
    "method",
    "origin",
    "level",
    "coverage",
    "blocks",
    "test_incidents",
    "hits",
    "hit_rate",
    "hit_rate_low",
    "hit_rate_high",
    "pai",
    "rri",
    "jaccard",
]


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
        **method.config,
    )
    risk = result.table["risk"].to_numpy(dtype=float).reshape(len(data.windows), nb)
    return {w.label: risk[k] for k, w in enumerate(data.windows)}


def _rows_for(
    method, window, origin, data, score, test, train, coverages, top_n, rng, before, kde
) -> list[dict]:
    test_total = float(test.sum())
    train_total = float(train.sum())
    test_blocks = data.block_counts(test)
    train_blocks = data.block_counts(train)
    if method.kind == KDE_CELLS:
        return _kde_cell_rows(method, window, origin, data, score, test, coverages, kde, rng)
    if method.kind == KDE_STREETS:
        score = _kde_block_scores(data, score, kde)
    tiebreak = rng.random(len(score))
    order = np.lexsort((tiebreak, -np.nan_to_num(score, nan=-np.inf)))
    rows = []
    levels = [(f"{round(c * 100, 3):g}%", _by_length(order, data.lengths, c)) for c in coverages]
    levels.append((f"top {top_n}", order[: max(int(top_n), 0)]))
    for level, chosen in levels:
        mask = np.zeros(len(score), dtype=bool)
        mask[chosen] = True
        hits = float(test_blocks[mask].sum())
        coverage = float(data.lengths[mask].sum() / data.lengths.sum())
        key = (window.label, method.label, level)
        jaccard = _jaccard(before.get(key), mask)
        before[key] = mask
        known = data.block_index >= 0
        low, high = _bootstrap(test, known & mask[np.maximum(data.block_index, 0)], rng)
        rows.append(
            _row(
                window,
                method,
                origin,
                level,
                coverage,
                int(mask.sum()),
                test_total,
                hits,
                low,
                high,
                _rri(hits, float(train_blocks[mask].sum()), test_total, train_total),
                jaccard,
            )  # fmt: skip
        )
    return rows


def _row(window, method, origin, level, coverage, blocks, test_total, hits, low, high, rri, jac):
    hit_rate = hits / test_total if test_total > 0 else np.nan
    pai = hit_rate / coverage if coverage > 0 else np.nan
    return {
        "window": window.label,
        "method": method.label,
        "origin": origin.label,
        "level": level,
        "coverage": coverage,
        "blocks": blocks,
        "test_incidents": test_total,
        "hits": hits,
        "hit_rate": hit_rate,
        "hit_rate_low": low,
        "hit_rate_high": high,
        "pai": pai,
        "rri": rri,
        "jaccard": jac,
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


def _bootstrap(shares: np.ndarray, hit: np.ndarray, rng) -> tuple[float, float]:
    """95% interval of the hit rate when the test records are resampled (Poisson bootstrap);
    ``hit`` says per record whether it fell on the chosen blocks or cells."""
    counted = np.flatnonzero(shares > 0)
    if counted.size == 0:
        return np.nan, np.nan
    hit = hit[counted]
    weights = rng.poisson(1.0, size=(BOOTSTRAP_DRAWS, counted.size)).astype(np.float32)
    total = weights @ shares[counted].astype(np.float32)
    hits = weights @ (shares[counted] * hit).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(total > 0, hits / total, np.nan)
    if np.isnan(rates).all():
        return np.nan, np.nan
    low, high = np.nanpercentile(rates, [2.5, 97.5])
    return float(low), float(high)


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


def _kde_cell_rows(method, window, origin, data, density, test, coverages, kde, rng):
    """Cells chosen by density up to a share of the network's cells; hits are test points."""
    grid = _grid(data, kde)
    study = _network_cells(data, grid)
    order = study[np.lexsort((rng.random(study.size), -density[study]))]
    point_cells = _cells_of(data.xy, grid)
    test_total = float(test.sum())
    rows = []
    for share in coverages:
        chosen = order[: int(np.floor(share * study.size + 1e-9))]
        hit = np.isin(point_cells, chosen)
        hits = float(test[hit].sum())
        low, high = _bootstrap(test, hit, rng)
        rows.append(
            _row(
                window,
                method,
                origin,
                f"{round(share * 100, 3):g}%",
                chosen.size / study.size,
                int(chosen.size),
                test_total,
                hits,
                low,
                high,
                np.nan,
                np.nan,
            )  # fmt: skip
        )
    return rows


def _summaries(table: pd.DataFrame) -> pd.DataFrame:
    """Per window, method and level: mean over origins, with the origins' spread."""
    if table.empty:
        return table
    keys = ["window", "method", "level"]
    grouped = table.groupby(keys, sort=False)
    out = grouped[["coverage", "blocks", "test_incidents", "hits", "hit_rate", "pai", "rri"]].mean()
    out["jaccard"] = grouped["jaccard"].mean()
    count = grouped["hit_rate"].count()
    spread_low = grouped["hit_rate"].quantile(0.025)
    spread_high = grouped["hit_rate"].quantile(0.975)
    single = count <= 1
    out["hit_rate_low"] = np.where(single, grouped["hit_rate_low"].mean(), spread_low)
    out["hit_rate_high"] = np.where(single, grouped["hit_rate_high"].mean(), spread_high)
    out = out.reset_index()
    out["origin"] = ALL_ORIGINS
    return out[_COLUMNS]


def best_settings(table: pd.DataFrame, level: str) -> pd.DataFrame:
    """Per window: the method with the highest mean hit rate at ``level``, with its spread."""
    summary = table[(table["origin"] == ALL_ORIGINS) & (table["level"] == level)]
    if summary.empty:
        return summary
    best = summary.loc[summary.groupby("window", sort=False)["hit_rate"].idxmax()]
    return best.reset_index(drop=True)
