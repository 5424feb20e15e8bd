"""The brief's words and numbers from a hot-blocks table (hotblocking.brief_content)."""

import pandas as pd
import pytest

from hotblocking.brief_content import BriefOptions, build_content, busiest_hours, hour_grid
from hotblocking.windows import parse_windows


def test_hour_grid_from_profile_text():
    values = ["0"] * 168
    values[4 * 24 + 23] = "2.5"
    values[5 * 24 + 1] = "1"
    grid = hour_grid(",".join(values))
    assert grid.shape == (7, 24)
    assert grid[4, 23] == 2.5 and grid[5, 1] == 1 and grid.sum() == 3.5
    assert hour_grid("").sum() == 0 and hour_grid(None).sum() == 0
    with pytest.raises(ValueError, match="168 values"):
        hour_grid("1,2,3")
    assert busiest_hours(grid) == [4 * 24 + 23, 5 * 24 + 1]


def rows(sources):
    profile = ["0"] * 168
    profile[4 * 24 + 23] = "3"
    return pd.DataFrame(
        {
            "block_id": ["B1", "B2"],
            "name": ["High Street", None],
            "window": "night",
            "window_spec": "night=Fri,Sat 22:00-04:00",
            "incidents": [3.0, 0.0],
            "n_a_e": [1.0, 0.0],
            "n_door_staff": [2.0, 0.0],
            "harm": [3.0, 0.0],
            "rank": [1, 2],
            "expected": [1.0, 1.0],
            "p_value": [0.08, 1.0],
            "q_value": [0.16, 1.0],
            "peak": ["Fri 23:00-24:00", ""],
            "profile": [",".join(profile), ""],
            "trend": [float("nan")] * 2,
            "first_seen": pd.to_datetime(["2025-01-03 23:10", None]),
            "last_seen": pd.to_datetime(["2025-03-07 23:40", None]),
            "sources": sources,
        }
    )


def test_sources_are_named_by_their_stored_labels():
    (window,) = parse_windows("night=Fri-Sat 22:00-04:00")
    content = build_content(
        rows("A&E=n_a_e;door staff=n_door_staff"), window, BriefOptions(top_n=5)
    )
    assert content.sources == [("A&E", "1"), ("Door staff", "2")]
    (page,) = content.blocks  # the block without incidents is not briefed
    assert page.why[0] == "3 incidents in this window: A&E 1, Door staff 2."
    assert page.when[0] == "Window: night: Fri and Sat, 22:00 to 04:00 next day."
    assert content.period == "3 Jan 2025 to 7 Mar 2025"
