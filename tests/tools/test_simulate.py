"""Tests for tools.simulate: determinism, network shape, timing and spatial model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from tools import simulate as sim

ROOT = Path(__file__).resolve().parents[2]
ROAD_COLUMNS = [
    "id",
    "name_1",
    "road_classification",
    "road_function",
    "form_of_way",
    "road_classification_number",
    "length",
    "start_node",
    "end_node",
]


@pytest.fixture(scope="module")
def grid():
    return sim.street_grid(600, seed=3)


@pytest.fixture(scope="module")
def ambulance(grid):
    geoms, attrs = grid
    return sim.simulate_incidents(geoms, n=6000, seed=11, names=attrs["name_1"].to_numpy())


def fri_sat_night(times) -> np.ndarray:
    """Friday or Saturday night, 21:00-04:00, computed independently of the simulator."""
    t = pd.DatetimeIndex(times)
    dow, hour = t.dayofweek, t.hour
    return np.asarray(
        ((dow == 4) & (hour >= 21))
        | ((dow == 5) & (hour < 4))
        | ((dow == 5) & (hour >= 21))
        | ((dow == 6) & (hour < 4))
    )


def weekday_hours(times, h0: int, h1: int) -> np.ndarray:
    t = pd.DatetimeIndex(times)
    return np.asarray((t.dayofweek < 5) & (t.hour >= h0) & (t.hour < h1))


# ---------------------------------------------------------------------------- street_grid


@pytest.mark.parametrize("n", [1, 2, 7, 100, 1001])
def test_street_grid_has_exactly_n_links_and_open_roads_columns(n):
    geoms, attrs = sim.street_grid(n, seed=1)
    assert len(geoms) == n and len(attrs) == n
    assert list(attrs.columns) == ROAD_COLUMNS
    assert attrs["id"].is_unique
    assert shapely.get_type_id(geoms).tolist() == [1] * n  # LineString
    np.testing.assert_allclose(attrs["length"], shapely.length(geoms), atol=0.006)


def test_street_grid_is_deterministic_for_a_seed():
    g1, a1 = sim.street_grid(500, seed=42)
    g2, a2 = sim.street_grid(500, seed=42)
    g3, _ = sim.street_grid(500, seed=43)
    assert shapely.equals_exact(g1, g2, tolerance=0).all()
    pd.testing.assert_frame_equal(a1, a2)
    assert not shapely.equals_exact(g1, g3, tolerance=0).all()


def test_street_grid_is_noded_endpoints_shared_and_nothing_crosses(grid):
    geoms, attrs = grid
    first = shapely.get_coordinates(shapely.get_point(geoms, 0))
    last = shapely.get_coordinates(shapely.get_point(geoms, -1))
    # One node id <-> one coordinate.
    ends = pd.DataFrame(
        {
            "node": np.concatenate([attrs["start_node"], attrs["end_node"]]),
            "x": np.concatenate([first[:, 0], last[:, 0]]),
            "y": np.concatenate([first[:, 1], last[:, 1]]),
        }
    )
    assert (ends.groupby("node")[["x", "y"]].nunique() == 1).all().all()
    assert len(ends.drop_duplicates(["x", "y"])) == ends["node"].nunique()
    # Almost every link end is shared with another link (a street network, not spaghetti).
    degree = ends["node"].map(ends["node"].value_counts())
    assert (degree >= 2).mean() > 0.95
    # Links meet only at shared end vertices.
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    pairs = i < j
    i, j = i[pairs], j[pairs]
    meet = shapely.intersection(geoms[i], geoms[j])
    assert (shapely.get_type_id(meet) == 0).all()  # a single point each
    node_xy = {(round(x, 6), round(y, 6)) for x, y in zip(ends["x"], ends["y"])}
    assert all((round(x, 6), round(y, 6)) in node_xy for x, y in shapely.get_coordinates(meet))


def test_street_grid_has_diagonal_curved_and_classified_streets():
    geoms, attrs = sim.street_grid(5000, seed=5)
    n_vertices = shapely.get_num_coordinates(geoms)
    assert (n_vertices > 2).mean() > 0.05
    assert set(attrs["road_classification"]) == {
        "A Road",
        "B Road",
        "Classified Unnumbered",
        "Unclassified",
    }
    a_roads = attrs["road_classification"] == "A Road"
    assert attrs.loc[a_roads, "road_classification_number"].str.fullmatch(r"A\d+").all()
    assert (
        attrs.loc[
            ~a_roads & (attrs["road_classification"] != "B Road"),
            "road_classification_number",
        ]
        .isna()
        .all()
    )
    assert attrs["name_1"].notna().all()


def test_street_grid_origin_and_spacing():
    geoms, _ = sim.street_grid(2000, seed=1, origin=(400000.0, 300000.0), spacing=50.0)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    assert 399980 < xmin < 400020 and 299980 < ymin < 300020
    assert xmax - xmin < 50 * 40 and ymax - ymin < 50 * 40


# ----------------------------------------------------------------------- simulate_incidents


def test_simulate_incidents_is_deterministic_for_a_seed(grid):
    geoms, _ = grid
    for source in sim.SOURCES:
        a = sim.simulate_incidents(geoms, n=300, seed=5, source=source, defects=4)
        b = sim.simulate_incidents(geoms, n=300, seed=5, source=source, defects=4)
        c = sim.simulate_incidents(geoms, n=300, seed=6, source=source, defects=4)
        pd.testing.assert_frame_equal(a, b)
        assert not np.allclose(a["x"].fillna(0), c["x"].fillna(0))


def test_sources_differ_for_one_seed_but_share_hot_blocks(grid):
    geoms, _ = grid
    amb = sim.simulate_incidents(geoms, n=500, seed=5, source="ambulance")
    pol = sim.simulate_incidents(geoms, n=500, seed=5, source="police")
    assert not np.allclose(amb["x"], pol["x"])
    assert amb.attrs["hot_blocks"] == pol.attrs["hot_blocks"]


def test_ambulance_most_incidents_on_friday_saturday_nights(ambulance):
    night = fri_sat_night(ambulance["call_time"])
    assert night.mean() > 0.5
    daytime = weekday_hours(ambulance["call_time"], 7, 17)
    assert daytime.mean() < 0.15  # 50 weekday daytime hours hold little
    evening = weekday_hours(ambulance["call_time"], 19, 24)
    assert evening.mean() / 25 > daytime.mean() / 50  # weekday evening beats weekday day


def test_police_less_night_bound_than_ambulance(grid, ambulance):
    geoms, _ = grid
    police = sim.simulate_incidents(geoms, n=6000, seed=11, source="police")
    assert fri_sat_night(police["true_time"]).mean() < fri_sat_night(ambulance["true_time"]).mean()


def test_planted_hot_links_get_far_more_than_the_median_link(grid, ambulance):
    geoms, _ = grid
    counts = np.bincount(ambulance["true_link"], minlength=len(geoms))
    median = max(np.median(counts), 1.0)
    for block in ambulance.attrs["hot_blocks"]:
        assert (counts[list(block.links)] > 5 * median).all(), block.name


def test_rank_one_link_differs_between_time_windows(ambulance):
    blocks = {b.name: b for b in ambulance.attrs["hot_blocks"]}
    link = ambulance["true_link"].to_numpy()

    def top(mask):
        return int(np.argmax(np.bincount(link[mask])))

    night_top = top(fri_sat_night(ambulance["call_time"]))
    lunch_top = top(weekday_hours(ambulance["call_time"], 11, 14))
    assert night_top in blocks["night_time_economy"].links
    assert lunch_top in blocks["weekday_lunchtime"].links
    assert night_top != lunch_top


def test_hot_block_incidents_mostly_in_their_window(ambulance):
    for block in ambulance.attrs["hot_blocks"]:
        rows = ambulance["hot_block"] == block.name
        assert rows.sum() == int(block.share * len(ambulance))
        assert block.contains(ambulance.loc[rows, "true_time"]).mean() > 0.75


def test_hot_block_window_edges():
    nte = sim.HotBlock("nte", (0,), (4, 5), 21.0, 4.0, 0.1)
    times = pd.to_datetime(
        [
            "2025-06-13 23:00",
            "2025-06-14 03:59",
            "2025-06-14 04:00",
            "2025-06-12 23:00",
            "2025-06-15 02:00",
            "2025-06-13 20:59",
        ]
    )
    assert nte.contains(times).tolist() == [True, True, False, False, True, False]


def test_points_lie_near_their_street_with_a_few_far_ones(grid, ambulance):
    geoms, _ = grid
    points = shapely.points(ambulance["x"], ambulance["y"])
    dist = shapely.distance(points, geoms[ambulance["true_link"]])
    assert (dist <= 15.0 + 1e-6).mean() > 0.95
    far = dist > 15.0 + 1e-6
    assert 0.01 < far.mean() < 0.06
    assert (dist[far] >= 60.0 - 1e-6).all() and (dist <= 200.0 + 1e-6).all()


def test_times_are_within_range_sorted_and_exist_in_london(ambulance):
    t = ambulance["true_time"]
    assert t.is_monotonic_increasing
    assert t.min() >= pd.Timestamp("2025-01-01") and t.max() < pd.Timestamp("2026-01-01")
    pd.DatetimeIndex(t).tz_localize("Europe/London", nonexistent="raise", ambiguous="NaT")
    assert (ambulance["call_time"] > ambulance["true_time"]).all()


def test_ambulance_fields(ambulance):
    assert ambulance["call_id"].is_unique
    assert ambulance["call_id"].str.fullmatch(r"\d{6}-\d{4}").all()
    assert ambulance["category"].value_counts().index[0] == "Assault/Sexual assault"
    assert ambulance["defect"].isna().all()


def test_ae_istv_fields_are_text_in_uk_day_first_form(grid):
    geoms, attrs = grid
    ae = sim.simulate_incidents(
        geoms, n=2000, seed=2, source="ae_istv", names=attrs["name_1"].to_numpy()
    )
    assault = pd.to_datetime(ae["assault_datetime"], format="%d/%m/%Y %H:%M")
    arrival = pd.to_datetime(ae["arrival_datetime"], format="%d/%m/%Y %H:%M")
    assert ae["assault_datetime"].map(type).eq(str).all()
    assert (arrival.dropna() >= assault[arrival.notna()]).all()
    assert 0 < arrival.isna().mean() < 0.05
    named = ae["assault_location_description"].dropna()
    streets = attrs["name_1"].to_numpy()[ae.loc[named.index, "true_link"]]
    assert all(s in d for s, d in zip(streets, named))
    assert set(ae["geocode_quality"]) == {"Premises", "Street", "Postcode centroid"}
    assert ae["attendance_id"].is_unique


def test_police_fields_ranges_and_harm(grid):
    geoms, _ = grid
    pol = sim.simulate_incidents(geoms, n=3000, seed=4, source="police")
    assert pol["crime_ref"].is_unique
    assert (pol["harm_days"] == pol["offence"].map(sim.HARM_DAYS)).all()
    c_from, c_to = pol["committed_from"], pol["committed_to"]
    open_ended = c_to.isna()
    assert 0.01 < open_ended.mean() < 0.06
    width = (c_to - c_from)[~open_ended]
    assert (width >= pd.Timedelta(0)).all() and (width <= pd.Timedelta(hours=6)).all()
    assert 0.4 < (width == pd.Timedelta(0)).mean() < 0.7
    true = pol["true_time"]
    assert ((c_from <= true) & ((c_to >= true) | open_ended)).all()
    assert (pol["month"] == c_from.dt.strftime("%Y-%m")).all()


def test_defects_only_on_request_and_labelled(grid):
    geoms, _ = grid
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    for source in sim.SOURCES:
        clean = sim.simulate_incidents(geoms, n=400, seed=8, source=source)
        assert clean["defect"].isna().all() and clean[["x", "y"]].notna().all().all()
        bad = sim.simulate_incidents(geoms, n=400, seed=8, source=source, defects=8)
        labelled = bad[bad["defect"].notna()]
        assert len(labelled) == 8
        assert set(labelled["defect"]) == set(sim._DEFECTS[sim._canonical(source)])
        for _, row in labelled.iterrows():
            if row["defect"] == "null_geometry":
                assert np.isnan(row["x"]) and np.isnan(row["y"])
            elif row["defect"] == "far_500m":
                gap = max(xmin - row["x"], row["x"] - xmax, ymin - row["y"], row["y"] - ymax)
                assert gap >= 500.0
            elif row["defect"] == "null_time":
                column = "call_time" if source == "ambulance" else "committed_from"
                assert pd.isna(row[column])
            elif row["defect"] == "unparseable_time":
                assert pd.isna(
                    pd.to_datetime(
                        row["assault_datetime"],
                        format="%d/%m/%Y %H:%M",
                        errors="coerce",
                    )
                )
            elif row["defect"] == "to_before_from":
                assert row["committed_to"] < row["committed_from"]
        good = bad["defect"].isna()
        assert bad.loc[good, ["x", "y"]].notna().all().all()


def test_unknown_source_is_rejected(grid):
    with pytest.raises(ValueError, match="unknown source"):
        sim.simulate_incidents(grid[0], n=10, seed=1, source="fire")


# ------------------------------------------------------------------------ clustered_points


def test_clustered_points_deterministic_near_streets_and_concentrated(grid):
    geoms, _ = grid
    x, y, link = sim.clustered_points(geoms, 20000, seed=9, return_links=True)
    x2, y2 = sim.clustered_points(geoms, 20000, seed=9)
    assert len(x) == 20000 and np.array_equal(x, x2) and np.array_equal(y, y2)
    dist = shapely.distance(shapely.points(x, y), geoms[link])
    assert (dist <= 15.0 + 1e-6).all()
    counts = np.sort(np.bincount(link, minlength=len(geoms)))[::-1]
    top5 = counts[: len(geoms) // 20].sum() / counts.sum()
    assert top5 > 0.3  # Weisburd-like concentration on few links


def test_weekly_profile_sums_to_one_and_peaks_on_friday_saturday_nights():
    for source in sim.SOURCES:
        p = sim.weekly_profile(source).reshape(7, 24)
        assert p.shape == (7, 24) and np.isclose(p.sum(), 1.0)
        assert np.unravel_index(np.argmax(p), p.shape)[0] in (4, 5, 6)


def test_simulate_module_is_pure():
    code = (
        "import sys, tools.simulate; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('qgis', 'osgeo', 'PyQt5')]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT).returncode == 0
