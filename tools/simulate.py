"""Seeded simulation of street networks and violent-incident records, for tests and benchmarks.

A developer tool, not shipped in the analysis core: numpy, pandas and shapely only; no QGIS,
no I/O, no global random state. Every random function takes a ``seed`` and draws through its
own ``numpy.random.default_rng``, so equal arguments give equal results.

The model, and what it assumes
------------------------------
*Where.* Each street link has a latent risk ``length * exp(s_link * Z_link + s_cell * Z_cell)``:
a lognormal link effect plus a lognormal effect shared by all links in the same coarse cell
(about 250 m), so risk is both concentrated and spatially clustered. With the defaults about
half of the background incidents fall on 5-10% of the links, the range Weisburd (2015) reports
for street segments (50% of crime on 2.1-6.0%). The latent risk depends on the network and
``risk_seed`` only, so ambulance, A&E and police records simulated on one network share it.
On top of it, planted hot blocks (:class:`HotBlock`) receive a fixed share of the incidents
inside their own weekly time window.

*When.* Background times follow a weekly profile of 168 hourly weights (:func:`weekly_profile`):
low in the day, a weekday evening secondary peak, and a night-time-economy peak on Friday and
Saturday nights 21:00-04:00 that holds most assaults. Times are local Europe/London wall-clock
(naive datetimes); the hour that does not exist when clocks go forward is shifted forward.

*Position.* A point lies uniformly along its link, pushed perpendicular to it by a half-normal
distance capped at ``near_offset`` (15 m: a geocoded address or a GPS fix beside the street).
A share ``far_share`` is pushed 60-200 m instead, to exercise a snapping ``MAX_DISTANCE``.

*Records.* Each source gets the fields its real export carries (see :func:`simulate_incidents`).
Ground truth is returned in extra columns (:data:`TRUTH_COLUMNS`) that a real export would not
have; drop them before writing sample data. Deliberately bad records (``defects``) are only made
on request and are labelled in the ``defect`` column, never silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

__all__ = [
    "AE_ISTV",
    "AMBULANCE",
    "HARM_DAYS",
    "POLICE",
    "SOURCES",
    "TRUTH_COLUMNS",
    "HotBlock",
    "clustered_points",
    "plant_hot_blocks",
    "simulate_incidents",
    "street_grid",
    "weekly_profile",
]

AMBULANCE, AE_ISTV, POLICE = "ambulance", "ae_istv", "police"
SOURCES = (AMBULANCE, AE_ISTV, POLICE)
_SOURCE_ALIASES = {
    "ambulance": AMBULANCE,
    "ae_istv": AE_ISTV,
    "ae": AE_ISTV,
    "a&e": AE_ISTV,
    "police": POLICE,
}

#: Columns holding the simulation's ground truth: generating link index (-1 for none), true
#: event time, planted hot block name (None for background) and defect label (None if clean).
TRUTH_COLUMNS = ("true_link", "true_time", "hot_block", "defect")

#: Illustrative Cambridge Crime Harm Index style weights, in days of imprisonment at a
#: sentencing starting point for a typical offence of the class. NOT the published index
#: values: they only give the sample data a plausible spread of harm.
HARM_DAYS = {
    "Violence with injury": 182,  # e.g. ABH, 26 weeks' custody
    "Violence without injury": 10,  # e.g. common assault, community order
    "Public order": 2,  # e.g. s.4 / s.5 Public Order Act, fine
    "Robbery": 1460,  # e.g. street robbery, 4 years' custody
    "Sexual offences": 365,  # e.g. sexual assault, 1 year's custody
}

_DEFAULT_ORIGIN = (529000.0, 180000.0)
_DAY = np.timedelta64(1, "D")


# ----------------------------------------------------------------------------------------
# Hot blocks and time windows
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotBlock:
    """A planted hot spot: some links that get ``share`` of the incidents, mostly in a window.

    ``days`` are the weekdays (0 = Monday) on which the window *opens*; a window whose
    ``end_hour`` is not after ``start_hour`` runs past midnight, so ``days=(4, 5)``,
    ``start_hour=21``, ``end_hour=4`` is Friday and Saturday nights, 21:00-04:00.
    ``in_window`` of the block's incidents fall uniformly inside the window; the rest follow
    the source's background weekly profile.
    """

    name: str
    links: tuple[int, ...]
    days: tuple[int, ...]
    start_hour: float
    end_hour: float
    share: float
    in_window: float = 0.85

    @property
    def duration(self) -> float:
        """Window length in hours."""
        return (self.end_hour - self.start_hour) % 24 or 24.0

    def contains(self, times: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
        """True where a time (naive, local) falls inside this block's weekly window."""
        t = pd.DatetimeIndex(np.asarray(times, dtype="datetime64[ns]"))
        how = t.dayofweek * 24.0 + t.hour + t.minute / 60.0 + t.second / 3600.0
        how = np.asarray(how, dtype=float)
        inside = np.zeros(len(t), dtype=bool)
        for d in self.days:
            inside |= (how - (d * 24.0 + self.start_hour)) % 168.0 < self.duration
        return inside & ~np.isnan(how)


def weekly_profile(source: str = AMBULANCE) -> np.ndarray:
    """Relative incident rate for each hour of the week (index 0 = Monday 00:00), sum 1.

    Rates per hour (before normalising), for ambulance and A&E assaults: early morning
    04:00-07:00 0.3; day 07:00-17:00 1; the weekday evening secondary peak, 17:00-21:00 2 and
    21:00-24:00 3 (small hours 00:00-04:00 1.5), strongest on Thursday nights 21:00-03:00 (6);
    and Friday and Saturday nights 21:00-04:00 at 28, so that about 60% of background
    assaults fall in those 14 hours of the week. Police records of violence are less
    night-bound: daytime 2, Thursday nights 4, Friday and Saturday nights 14.
    """
    src = _canonical(source)
    rate = np.empty((7, 24))
    day_rate = 2.0 if src == POLICE else 1.0
    rate[:, 0:4] = 1.5
    rate[:, 4:7] = 0.3
    rate[:, 7:17] = day_rate
    rate[:, 17:21] = 2.0
    rate[:, 21:24] = 3.0
    peak, thursday = (14.0, 4.0) if src == POLICE else (28.0, 6.0)
    rate[3, 21:24] = thursday  # Thursday night, the weekday secondary peak
    rate[4, 0:3] = thursday
    for night in (4, 5):  # Friday and Saturday nights, 21:00-04:00
        rate[night, 21:24] = peak
        rate[night + 1, 0:4] = peak
    flat = rate.ravel()
    return flat / flat.sum()


def _canonical(source: str) -> str:
    try:
        return _SOURCE_ALIASES[source.lower()]
    except KeyError:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}") from None


def _week_grid(start: str, end: str) -> tuple[np.datetime64, np.datetime64, np.datetime64, int]:
    """Monday 00:00 on or before ``start``, the range [start, end + 1 day) and its week count."""
    t_start = np.datetime64(pd.Timestamp(start).normalize(), "s")
    t_end = np.datetime64(pd.Timestamp(end).normalize(), "s") + _DAY
    if t_end <= t_start:
        raise ValueError("end must not be before start")
    monday = t_start - int(pd.Timestamp(start).dayofweek) * _DAY
    n_weeks = int(np.ceil((t_end - monday) / np.timedelta64(7, "D")))
    return monday, t_start, t_end, n_weeks


def _times_from_hours(
    rng: np.random.Generator, n: int, draw_hours, start: str, end: str
) -> np.ndarray:
    """Times in [start, end + 1 day) whose hour-of-week (float hours) comes from ``draw_hours``."""
    monday, t_start, t_end, n_weeks = _week_grid(start, end)
    out = np.empty(0, dtype="datetime64[s]")
    while len(out) < n:
        m = int((n - len(out)) * 1.2) + 16
        hours = draw_hours(m)
        weeks = rng.integers(0, n_weeks, m)
        secs = np.round((weeks * 168.0 + hours) * 3600.0).astype(np.int64)
        t = monday + secs.astype("timedelta64[s]")
        out = np.concatenate([out, t[(t >= t_start) & (t < t_end)]])
    return _shift_nonexistent(out[:n])


def _shift_nonexistent(t: np.ndarray) -> np.ndarray:
    """Move wall-clock times that do not exist in Europe/London (clocks forward) forward."""
    idx = pd.DatetimeIndex(t.astype("datetime64[ns]"))
    local = idx.tz_localize(
        "Europe/London",
        nonexistent="shift_forward",
        ambiguous=np.ones(len(idx), dtype=bool),
    )
    return local.tz_localize(None).to_numpy()


def _background_times(rng, n, source, start, end) -> np.ndarray:
    p = weekly_profile(source)
    return _times_from_hours(
        rng, n, lambda m: rng.choice(168, size=m, p=p) + rng.random(m), start, end
    )


def _window_times(rng, n, block: HotBlock, start, end) -> np.ndarray:
    days = np.asarray(block.days, dtype=float)

    def draw(m):
        opening = rng.choice(days, size=m) * 24.0 + block.start_hour
        return (opening + rng.random(m) * block.duration) % 168.0

    return _times_from_hours(rng, n, draw, start, end)


# ----------------------------------------------------------------------------------------
# Geometry helpers: sampling points along links
# ----------------------------------------------------------------------------------------


class _Links:
    """Segments of all links flattened into arrays, for fast sampling along the network."""

    def __init__(self, geoms: np.ndarray):
        geoms = np.asarray(geoms, dtype=object)
        self.n = len(geoms)
        coords, idx = shapely.get_coordinates(geoms, return_index=True)
        same = idx[1:] == idx[:-1]
        self.p0 = coords[:-1][same]
        self.p1 = coords[1:][same]
        seg_line = idx[:-1][same]
        d = self.p1 - self.p0
        self.seg_len = np.hypot(d[:, 0], d[:, 1])
        self.cum = np.cumsum(self.seg_len)
        self.length = np.bincount(seg_line, weights=self.seg_len, minlength=self.n)
        n_seg = np.bincount(seg_line, minlength=self.n)
        self.first_seg = np.concatenate([[0], np.cumsum(n_seg)[:-1]])
        self.last_seg = self.first_seg + n_seg - 1
        safe_first = np.minimum(self.first_seg, max(len(self.cum) - 1, 0))
        self.cum0 = (self.cum[safe_first] - self.seg_len[safe_first]) if len(self.cum) else 0.0
        mids = np.zeros((self.n, 2))
        has = n_seg > 0
        mids[has] = 0.5 * (self.p0[self.first_seg[has]] + self.p1[self.last_seg[has]])
        self.mid = mids
        self.bounds = (coords.min(axis=0), coords.max(axis=0)) if len(coords) else None

    def end_nodes(self) -> tuple[np.ndarray, np.ndarray]:
        """Integer node ids of each link's first and last vertex (equal coordinates, equal id)."""
        last = max(len(self.p0) - 1, 0)
        ends = np.vstack(
            [
                self.p0[self.first_seg.clip(0, last)],
                self.p1[self.last_seg.clip(0, last)],
            ]
        )
        _, node = np.unique(ends, axis=0, return_inverse=True)
        node = node.ravel()
        return node[: self.n], node[self.n :]

    def sample(self, link: np.ndarray, offset: np.ndarray, rng: np.random.Generator):
        """Points uniform along ``link`` (by length), moved ``offset`` metres to a random side."""
        along = self.cum0[link] + rng.random(len(link)) * self.length[link]
        seg = np.searchsorted(self.cum, along, side="right")
        seg = np.clip(seg, self.first_seg[link], self.last_seg[link])
        seg_len = self.seg_len[seg]
        safe_len = np.where(seg_len > 0, seg_len, 1.0)
        t = np.clip((along - (self.cum[seg] - seg_len)) / safe_len, 0.0, 1.0)
        d = self.p1[seg] - self.p0[seg]
        xy = self.p0[seg] + t[:, None] * d
        unit = d / safe_len[:, None]
        side = np.where(rng.random(len(link)) < 0.5, -1.0, 1.0) * offset
        xy[:, 0] -= unit[:, 1] * side
        xy[:, 1] += unit[:, 0] * side
        return xy[:, 0], xy[:, 1]

    def risk(
        self, risk_seed: int, link_sigma: float, cell_sigma: float, cell_size: float
    ) -> np.ndarray:
        """Latent background risk per link (see the module docstring); zero for empty links."""
        rng = np.random.default_rng(risk_seed)
        z_link = rng.standard_normal(self.n)
        cells = np.floor(self.mid / cell_size).astype(np.int64)
        cells -= cells.min(axis=0) if self.n else 0
        _, cell_of = np.unique(
            cells[:, 0] * (cells[:, 1].max() + 1) + cells[:, 1], return_inverse=True
        )
        z_cell = rng.standard_normal(cell_of.max() + 1 if self.n else 0)
        return self.length * np.exp(link_sigma * z_link + cell_sigma * z_cell[cell_of])


def _near_offsets(rng, n: int, near_offset: float) -> np.ndarray:
    """Half-normal distances (scale near_offset / 2.5) capped at ``near_offset``."""
    return np.minimum(np.abs(rng.normal(0.0, near_offset / 2.5, n)), near_offset)


# ----------------------------------------------------------------------------------------
# Networks
# ----------------------------------------------------------------------------------------

_STREET_WORDS = ["High", "Church", "Station", "Market", "Mill", "Victoria"]
_STREET_WORDS += ["King", "Queen", "Park", "Bridge", "Castle", "George"]
_STREET_WORDS += ["Albert", "Chapel", "Green", "North", "South", "West"]
_STREET_WORDS += ["East", "New", "York", "Princes", "Union", "Water"]
_ROW_SUFFIX = ["Street", "Road", "Lane", "Row"]
_COL_SUFFIX = ["Avenue", "Road", "Street", "Way"]
_DIAG_SUFFIX = ["Walk", "Terrace", "Passage", "Crescent"]
_CLASSES = np.array(["A Road", "B Road", "Classified Unnumbered", "Unclassified"], object)
_FUNCTIONS = np.array(["A Road", "B Road", "Minor Road", "Local Road"], dtype=object)


def _names(n: int, suffixes: list[str]) -> np.ndarray:
    """``n`` street names; past the word list they repeat with a number ("High Street 2")."""
    base = [f"{w} {s}" for s in suffixes for w in _STREET_WORDS]
    names = [base[i % len(base)] + (f" {i // len(base) + 1}" if i >= len(base) else "")
             for i in range(n)]  # fmt: skip
    return np.array(names, dtype=object)


def street_grid(
    n_links: int,
    *,
    seed: int,
    origin: tuple[float, float] = _DEFAULT_ORIGIN,
    spacing: float = 100.0,
    diagonal_share: float = 0.08,
    curved_share: float = 0.12,
) -> tuple[np.ndarray, pd.DataFrame]:
    """A noded, street-like network of exactly ``n_links`` links, for tests and benchmarks.

    A square lattice of junctions ``spacing`` metres apart from ``origin`` (lower left), each
    jittered by about 8% of the spacing. Links join lattice neighbours; ``diagonal_share`` of the
    cells also get one diagonal street; ``curved_share`` of the links bow sideways through 2-5
    extra vertices. Links are taken row by row from the bottom, so a smaller network is the
    lower part of a larger one with the same seed and size class. Links meet only at shared
    end vertices (noded, like OS Open Roads); nothing crosses.

    Returns ``(geoms, attributes)``: an array of shapely LineStrings and a DataFrame with the
    OS Open Roads GeoPackage columns ``id``, ``name_1``, ``road_classification``,
    ``road_function``, ``form_of_way``, ``road_classification_number``, ``length`` (metres,
    from the geometry), ``start_node`` and ``end_node``. Every 12th lattice row and column is
    an A road, every 6th otherwise a B road, diagonals are minor roads, the rest local roads.
    """
    if n_links < 1:
        raise ValueError("n_links must be at least 1")
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_links / (2.0 + diagonal_share)))) + 1  # cells per side
    nn = side + 1  # lattice nodes per side
    ii, jj = np.meshgrid(np.arange(nn), np.arange(nn))
    ii, jj = ii.ravel(), jj.ravel()
    jitter = np.clip(rng.normal(0.0, 0.08 * spacing, (nn * nn, 2)), -0.2 * spacing, 0.2 * spacing)
    nodes = np.column_stack([origin[0] + ii * spacing, origin[1] + jj * spacing]) + jitter

    # Candidate links: kind 0 horizontal (i,j)-(i+1,j), 1 vertical (i,j)-(i,j+1), 2 diagonal.
    node = jj * nn + ii
    h = ii < side
    v = jj < side
    cell = h & v
    diag = cell & (rng.random(nn * nn) < diagonal_share)
    up = (ii + jj) % 2 == 0  # alternate diagonal direction between cells
    a = np.concatenate([node[h], node[v], np.where(up, node, node + 1)[diag]])
    b = np.concatenate([node[h] + 1, node[v] + nn, np.where(up, node + nn + 1, node + nn)[diag]])
    kind = np.concatenate([np.zeros(h.sum(), int), np.ones(v.sum(), int), np.full(diag.sum(), 2)])
    order_key = np.concatenate([node[h], node[v], node[diag]]) * 3 + kind
    keep = np.argsort(order_key, kind="stable")[:n_links]
    a, b, kind = a[keep], b[keep], kind[keep]

    # Vertices: 2 for straight links; curved ones bow through 2-5 interior vertices.
    n_inner = np.where(rng.random(n_links) < curved_share, rng.integers(2, 6, n_links), 0)
    sagitta = rng.uniform(-0.12, 0.12, n_links) * spacing
    n_vert = n_inner + 2
    starts = np.concatenate([[0], np.cumsum(n_vert)[:-1]])
    pos = np.arange(n_vert.sum()) - np.repeat(starts, n_vert)
    link_of = np.repeat(np.arange(n_links), n_vert)
    t = pos / (n_vert[link_of] - 1)
    p0, p1 = nodes[a][link_of], nodes[b][link_of]
    d = p1 - p0
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / np.hypot(d[:, 0], d[:, 1])[:, None]
    bow = (4.0 * sagitta[link_of] * t * (1.0 - t))[:, None]
    coords = p0 + t[:, None] * d + bow * normal
    coords[pos == 0] = nodes[a]  # exact shared end vertices
    coords[pos == n_vert[link_of] - 1] = nodes[b]
    geoms = shapely.linestrings(coords, indices=link_of)

    # Attributes in the Open Roads GeoPackage form.
    row, col = b // nn, a % nn  # horizontal: lattice row; vertical: lattice column
    line_no = np.where(kind == 0, row, col)
    is_a = (kind < 2) & (line_no % 12 == 0)
    is_b = (kind < 2) & ~is_a & (line_no % 6 == 0)
    grade = np.select([is_a, is_b, kind == 2], [0, 1, 2], 3)
    road_class = _CLASSES[grade]
    function = _FUNCTIONS[grade]
    number = np.full(n_links, None, dtype=object)
    road_no = (np.where(kind == 0, 1000, 2000) + line_no).astype(str)
    number[is_a] = np.char.add("A", road_no[is_a]).astype(object)
    number[is_b] = np.char.add("B", road_no[is_b]).astype(object)
    names = np.where(kind == 0, _names(nn, _ROW_SUFFIX)[row], _names(nn, _COL_SUFFIX)[col])
    names[kind == 2] = _names(2 * nn, _DIAG_SUFFIX)[row[kind == 2] + col[kind == 2]]
    form = np.where(is_a, "Collapsed Dual Carriageway", "Single Carriageway")
    node_ids = np.array([f"N{k:07d}" for k in range(nn * nn)], dtype=object)
    attributes = pd.DataFrame(
        {
            "id": np.array([f"L{k:07d}" for k in range(n_links)], dtype=object),
            "name_1": names,
            "road_classification": road_class,
            "road_function": function,
            "form_of_way": form.astype(object),
            "road_classification_number": number,
            "length": np.round(shapely.length(geoms), 2),
            "start_node": node_ids[a],
            "end_node": node_ids[b],
        }
    )
    return geoms, attributes


def plant_hot_blocks(
    geoms: np.ndarray, *, seed: int = 0, links_per_block: int = 3
) -> list[HotBlock]:
    """Three default hot blocks, each a few connected links near the middle of the network.

    ``night_time_economy``: Friday and Saturday nights 21:00-04:00, 8% of incidents.
    ``weekday_lunchtime``: Monday-Friday 11:00-14:00, 4%.
    ``weekday_commute``: Monday-Friday 16:00-19:00, 4%.
    Blocks are at least 200 m apart (where the network allows) and never share a link.
    """
    links = _Links(geoms)
    rng = np.random.default_rng(seed)
    start_node, end_node = links.end_nodes()
    usable = links.length >= 20.0
    if not usable.any():  # a toy network: any link with a length will do
        usable = links.length > 0
    if not usable.any():
        return []
    centre = np.median(links.mid[usable], axis=0)
    dist = np.hypot(*(links.mid - centre).T)
    candidates = np.flatnonzero(usable & (dist <= np.quantile(dist[usable], 0.4)))
    rng.shuffle(candidates)
    specs = [
        ("night_time_economy", (4, 5), 21.0, 4.0, 0.08),
        ("weekday_lunchtime", (0, 1, 2, 3, 4), 11.0, 14.0, 0.04),
        ("weekday_commute", (0, 1, 2, 3, 4), 16.0, 19.0, 0.04),
    ]
    blocks: list[HotBlock] = []
    taken: set[int] = set()

    def grow(first: int) -> list[int]:
        """``first`` plus its longest free neighbours, until ``links_per_block`` links."""
        chosen = [first]
        while len(chosen) < links_per_block:
            nodes = np.concatenate([start_node[chosen], end_node[chosen]])
            near = usable & (np.isin(start_node, nodes) | np.isin(end_node, nodes))
            near[list(taken) + chosen] = False
            if not near.any():
                break
            nxt = np.flatnonzero(near)
            chosen.append(int(nxt[np.argmax(links.length[nxt])]))
        return chosen

    for min_gap in (200.0, 100.0, 0.0):  # relax the spacing on small networks
        for first in candidates:
            if len(blocks) == len(specs):
                return blocks
            gaps = [np.hypot(*(links.mid[list(b.links)] - links.mid[first]).T).min()
                    for b in blocks]  # fmt: skip
            if first in taken or min(gaps, default=np.inf) < min_gap:
                continue
            chosen = grow(int(first))
            name, days, h0, h1, share = specs[len(blocks)]
            blocks.append(HotBlock(name, tuple(chosen), days, h0, h1, share))
            taken.update(chosen)
    return blocks


# ----------------------------------------------------------------------------------------
# Points and incident records
# ----------------------------------------------------------------------------------------


def clustered_points(
    geoms: np.ndarray,
    n: int,
    *,
    seed: int,
    link_sigma: float = 1.2,
    cell_sigma: float = 1.2,
    cell_size: float = 250.0,
    near_offset: float = 15.0,
    return_links: bool = False,
) -> tuple[np.ndarray, ...]:
    """``n`` points near the streets, concentrated on few links and clustered in space.

    For benchmarks: links are drawn with the latent risk of the module docstring (lognormal
    link and cell effects, ``seed`` fixing both), points lie uniformly along them and up to
    ``near_offset`` metres to one side. Returns ``(x, y)``, or ``(x, y, link)`` with
    ``return_links``. 2M points take about 1-2 s on a 500k-link network.
    """
    links = _Links(geoms)
    rng = np.random.default_rng(seed)
    w = links.risk(seed, link_sigma, cell_sigma, cell_size)
    cdf = np.cumsum(w)
    # Sorted uniforms (normalised exponential spacings) keep the searches cache-friendly;
    # the final permutation restores a random order.
    u = np.cumsum(rng.standard_exponential(n + 1))
    link = np.searchsorted(cdf, u[:-1] * (cdf[-1] / u[-1]), side="right").clip(0, links.n - 1)
    x, y = links.sample(link, _near_offsets(rng, n, near_offset), rng)
    perm = rng.permutation(n)
    return (x[perm], y[perm], link[perm]) if return_links else (x[perm], y[perm])


# Categorical fields: value -> probability.
_AMB_CATEGORIES = {
    "Assault/Sexual assault": 0.78,
    "Stab/Gunshot/Penetrating trauma": 0.07,
    "Traumatic injuries": 0.10,
    "Unconscious/Fainting": 0.05,
}
_AE_METHODS = {
    "Hit, kicked or punched": 0.58,
    "Glass or bottle": 0.12,
    "Knife or other sharp object": 0.08,
    "Blunt object": 0.07,
    "Other": 0.07,
    "Not known": 0.08,
}
_AE_PLACES = {
    "Street": 0.52,
    "Licensed premises (pub, bar, club)": 0.27,
    "Public transport": 0.05,
    "Shop or takeaway": 0.06,
    "Other": 0.05,
    "Not known": 0.05,
}
_OFFENCES = {
    "Violence with injury": 0.40,
    "Violence without injury": 0.32,
    "Public order": 0.18,
    "Robbery": 0.07,
    "Sexual offences": 0.03,
}
_VENUES = ["The Crown pub", "The Red Lion", "The Kings Arms", "Bar Nine", "Club Aurora"]
_VENUES += ["The Old Bell", "Chicken Express", "the kebab shop", "the taxi rank"]
_VENUES += ["the bus stop", "the cashpoint", "the station entrance"]
_DEFECTS = {
    AMBULANCE: ["null_geometry", "null_time", "far_500m"],
    AE_ISTV: ["null_geometry", "unparseable_time", "far_500m"],
    POLICE: ["null_geometry", "null_time", "to_before_from", "far_500m"],
}
_BAD_TEXT_TIMES = ["31/02/2025 23:10", "unknown", "2025-13-45 25:61", "21/11/2025 2315"]


def simulate_incidents(
    geoms: np.ndarray,
    *,
    n: int,
    seed: int,
    hot_blocks: Sequence[HotBlock] | None = None,
    start: str = "2025-01-01",
    end: str = "2025-12-31",
    source: str = AMBULANCE,
    names: Sequence[str | None] | None = None,
    risk_seed: int = 0,
    link_sigma: float = 1.0,
    cell_sigma: float = 0.8,
    cell_size: float = 250.0,
    near_offset: float = 15.0,
    far_share: float = 0.03,
    far_offset: tuple[float, float] = (60.0, 200.0),
    defects: int = 0,
) -> pd.DataFrame:
    """``n`` simulated violent-incident records of one ``source``, one row each, sorted by time.

    Every frame has ``x``, ``y`` (same CRS as ``geoms``; NaN for a null geometry) and the
    ground-truth :data:`TRUTH_COLUMNS`; then, per source:

    - ``"ambulance"``: ``call_id`` (CAD style ``DDMMYY-NNNN``), ``call_time`` (datetime, 1-8
      minutes after the assault), ``category`` (the dispatch code's chief complaint); the point
      is the automatically captured location.
    - ``"ae_istv"`` (ISTV minimum data set, geocoded by an analyst): ``attendance_id``,
      ``assault_datetime`` and ``arrival_datetime`` as *text* ``DD/MM/YYYY HH:MM`` like a CSV
      export (assault times often rounded to 15 minutes by the patient's recall; arrival a
      lognormal 10 minutes to 18 hours later, 1% missing), ``assault_method``,
      ``assault_location_type``, ``assault_location_description`` (free text built from
      ``names[link]`` and invented venues; 5% empty) and ``geocode_quality`` (``Premises``,
      ``Street``, or ``Postcode centroid`` for the far-offset points).
    - ``"police"`` (force crime records): ``crime_ref``, ``offence``, ``harm_days``
      (:data:`HARM_DAYS`), ``committed_from``/``committed_to`` (datetimes: 55% a single time,
      42% a 15-minute to 6-hour range that contains the event, 3% with ``committed_to``
      missing) and ``month`` (``YYYY-MM`` of ``committed_from``).

    ``hot_blocks`` default to :func:`plant_hot_blocks` ``(geoms)``, which does not depend on
    ``seed``, so every source simulated on one network shares the same hot blocks (as does the
    latent risk, fixed by ``risk_seed``). ``defects`` rows (chosen at random) are made bad on
    purpose, cycling through the source's kinds: ``null_geometry``, ``null_time`` or
    ``unparseable_time``, ``far_500m`` (500-600 m outside the network's bounding box) and, for
    police, ``to_before_from``; the ``defect`` column names each one.
    """
    src = _canonical(source)
    geoms = np.asarray(geoms, dtype=object)
    links = _Links(geoms)
    if hot_blocks is None:
        hot_blocks = plant_hot_blocks(geoms)
    # One seed gives each source its own stream, so sources do not repeat each other.
    rng = np.random.default_rng([seed, SOURCES.index(src)])

    # Split the n records between hot blocks and the background.
    shares = np.array([b.share for b in hot_blocks] + [0.0])
    if shares.sum() > 1.0:
        raise ValueError("hot block shares add up to more than 1")
    shares[-1] = 1.0 - shares.sum()
    counts = np.floor(shares * n).astype(int)
    counts[-1] += n - counts.sum()

    link_parts, time_parts, block_parts = [], [], []
    for block, k in zip(hot_blocks, counts[:-1]):
        blinks = np.asarray(block.links, dtype=int)
        p = links.length[blinks] / links.length[blinks].sum()
        link_parts.append(rng.choice(blinks, size=k, p=p))
        k_in = int(rng.binomial(k, block.in_window))
        t = np.concatenate(
            [
                _window_times(rng, k_in, block, start, end),
                _background_times(rng, k - k_in, src, start, end),
            ]
        )
        time_parts.append(rng.permutation(t))
        block_parts.append(np.full(k, block.name, dtype=object))
    w = links.risk(risk_seed, link_sigma, cell_sigma, cell_size)
    k = counts[-1]
    link_parts.append(rng.choice(links.n, size=k, p=w / w.sum()))
    time_parts.append(_background_times(rng, k, src, start, end))
    block_parts.append(np.full(k, None, dtype=object))

    link = np.concatenate(link_parts)
    true_time = np.concatenate(time_parts).astype("datetime64[ns]")
    block = np.concatenate(block_parts)
    far = rng.random(n) < far_share
    offset = np.where(far, rng.uniform(*far_offset, n), _near_offsets(rng, n, near_offset))
    x, y = links.sample(link, offset, rng)

    order = np.argsort(true_time, kind="stable")
    df = pd.DataFrame({"x": x[order], "y": y[order]})
    link, true_time, block, far = (
        link[order],
        true_time[order],
        block[order],
        far[order],
    )
    fields = {
        AMBULANCE: _ambulance_fields,
        AE_ISTV: _ae_fields,
        POLICE: _police_fields,
    }[src]
    for col, values in fields(rng, true_time, link, far, names).items():
        df[col] = values
    df["true_link"] = link
    df["true_time"] = true_time
    df["hot_block"] = block
    df["defect"] = np.full(n, None, dtype=object)
    df.attrs["hot_blocks"] = list(hot_blocks)
    if defects:
        _add_defects(df, src, min(defects, n), rng, links)
    return df


def _choice(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    return rng.choice(list(table), size=n, p=list(table.values())).astype(object)


def _ambulance_fields(rng, t, link, far, names) -> dict:
    n = len(t)
    call = t + (rng.uniform(1.0, 8.0, n) * 60).astype("timedelta64[s]")
    day = pd.DatetimeIndex(call).strftime("%d%m%y")
    seq = pd.Series(np.arange(n)).groupby(np.asarray(day)).cumcount().to_numpy() + 1
    return {
        "call_id": [f"{d}-{s:04d}" for d, s in zip(day, seq)],
        "call_time": call.astype("datetime64[ns]"),
        "category": _choice(rng, _AMB_CATEGORIES, n),
    }


def _ae_text(t: np.ndarray) -> np.ndarray:
    out = pd.DatetimeIndex(t).strftime("%d/%m/%Y %H:%M").to_numpy(dtype=object)
    out[pd.isna(t)] = None
    return out


def _ae_fields(rng, t, link, far, names) -> dict:
    n = len(t)
    ts = pd.DatetimeIndex(t)
    rounded = rng.random(n) < 0.6  # patients often recall "about quarter past eleven"
    reported = np.where(rounded, ts.round("15min").to_numpy(), ts.floor("min").to_numpy())
    delay = np.clip(rng.lognormal(np.log(50.0), 0.8, n), 10.0, 18 * 60.0)
    arrival = ts.to_numpy() + (delay * 60).astype("timedelta64[s]")
    arrival = np.where(rng.random(n) < 0.01, np.datetime64("NaT"), arrival)
    names = [None] * (int(link.max()) + 1) if names is None else names
    street = [names[k] or "unnamed road" for k in link]
    venue = rng.choice(_VENUES, size=n)
    form = rng.choice(5, size=n, p=[0.35, 0.2, 0.2, 0.15, 0.1])
    templates = ["outside {v}, {s}", "{s}, near {v}", "{s}", "inside {v}, {s}"]
    templates += ["queue for {v}, {s}"]
    desc = [templates[f].format(v=v, s=s) for f, v, s in zip(form, venue, street)]
    desc = np.array(desc, dtype=object)
    desc[rng.random(n) < 0.05] = None
    quality = np.where(far, "Postcode centroid", np.where(form == 2, "Street", "Premises")).astype(
        object
    )
    return {
        "attendance_id": [f"ED{str(a.year)[2:]}{i + 1:06d}" for i, a in enumerate(ts)],
        "assault_datetime": _ae_text(reported),
        "arrival_datetime": _ae_text(arrival),
        "assault_method": _choice(rng, _AE_METHODS, n),
        "assault_location_type": _choice(rng, _AE_PLACES, n),
        "assault_location_description": desc,
        "geocode_quality": quality,
    }


def _police_fields(rng, t, link, far, names) -> dict:
    n = len(t)
    kind = rng.choice(3, size=n, p=[0.55, 0.42, 0.03])  # exact, range, open-ended
    width = (rng.uniform(0.25, 6.0, n) * 3600).astype("timedelta64[s]")
    lead = (rng.random(n) * width.astype(float)).astype("timedelta64[s]")
    t_s = t.astype("datetime64[s]")
    c_from = np.where(kind == 1, t_s - lead, t_s)
    c_to = np.where(kind == 1, c_from + width, np.where(kind == 0, c_from, np.datetime64("NaT")))
    offence = _choice(rng, _OFFENCES, n)
    years = pd.DatetimeIndex(t).year
    return {
        "crime_ref": [f"HB/{i + 1:05d}/{str(y)[2:]}" for i, y in enumerate(years)],
        "offence": offence,
        "harm_days": np.array([HARM_DAYS[o] for o in offence], dtype=np.int64),
        "committed_from": c_from.astype("datetime64[ns]"),
        "committed_to": c_to.astype("datetime64[ns]"),
        "month": pd.DatetimeIndex(c_from).strftime("%Y-%m").to_numpy(dtype=object),
    }


def _add_defects(df: pd.DataFrame, src: str, k: int, rng, links: _Links) -> None:
    rows = rng.choice(len(df), size=k, replace=False)
    kinds = _DEFECTS[src]
    (x0, y0), (x1, y1) = links.bounds
    for j, row in enumerate(rows):
        kind = kinds[j % len(kinds)]
        df.loc[row, "defect"] = kind
        if kind == "null_geometry":
            df.loc[row, ["x", "y"]] = np.nan
        elif kind == "far_500m":
            gap = 500.0 + rng.random() * 100.0
            side = j // len(kinds) % 4
            df.loc[row, "x"] = [x1 + gap, x0 - gap, (x0 + x1) / 2, (x0 + x1) / 2][side]
            df.loc[row, "y"] = [(y0 + y1) / 2, (y0 + y1) / 2, y1 + gap, y0 - gap][side]
        elif kind == "null_time":
            df.loc[row, "call_time" if src == AMBULANCE else "committed_from"] = pd.NaT
            if src == POLICE:
                df.loc[row, "month"] = None
        elif kind == "unparseable_time":
            df.loc[row, "assault_datetime"] = _BAD_TEXT_TIMES[
                j // len(kinds) % len(_BAD_TEXT_TIMES)
            ]
        elif kind == "to_before_from":
            start = df.loc[row, "committed_from"]
            df.loc[row, "committed_to"] = start - pd.Timedelta(hours=1 + 4 * rng.random())
