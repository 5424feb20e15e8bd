"""The sample pipeline, defined once: the bundled sample data and the settings the demo, the
tests, the benchmarks and the output comparison run it with (stdlib only).

buildblocks (``MAX_LENGTH`` m) -> joinincidents once per source (``MAX_DISTANCE`` m) ->
computerisk (``WINDOWS``, top ``HOT_VALUE`` blocks) -> taskingbrief (``BRIEF_WINDOW``); and the
backtest behind README's "Is the map any good?" (:func:`backtest_parameters`).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "hotblocking_sample.gpkg"
ROADS_LAYER = "road_link"
MAX_LENGTH = 100
MAX_DISTANCE = 50
WINDOWS = "Fri/Sat nights=Fri-Sat 22:00-04:00; Weekday lunch=weekdays 11:00-15:00"
BRIEF_WINDOW = "Fri/Sat nights"
HOT_RULE, HOT_VALUE = 0, 10  # top 10 blocks per window


class SampleSource(NamedTuple):
    """One incident layer of the sample and how it is joined."""

    layer: str
    label: str
    time_field: str
    end_field: str | None
    weight_field: str | None


SOURCES = (
    SampleSource("ambulance", "ambulance", "call_time", None, None),
    SampleSource("ae_istv", "A&E", "assault_datetime", None, None),
    SampleSource("police", "police", "committed_from", "committed_to", "harm_days"),
)


def layer_uri(layer: str, path: Path | str = SAMPLE) -> str:
    return f"{path}|layername={layer}"


def buildblocks_parameters(output) -> dict:
    return {"INPUT": layer_uri(ROADS_LAYER), "MAX_LENGTH": MAX_LENGTH, "OUTPUT": str(output)}


def join_parameters(source: SampleSource, blocks, output, unmatched) -> dict:
    return {
        "INCIDENTS": layer_uri(source.layer),
        "SOURCE": source.label,
        "BLOCKS": blocks,
        "MAX_DISTANCE": MAX_DISTANCE,
        "TIME_FIELD": source.time_field,
        "END_TIME_FIELD": source.end_field,
        "WEIGHT_FIELD": source.weight_field,
        "OUTPUT": str(output),
        "UNMATCHED": str(unmatched),
    }


def risk_parameters(blocks, joined: list, output, **more) -> dict:
    return {
        "BLOCKS": blocks,
        "INCIDENTS": list(joined),
        "WINDOWS": WINDOWS,
        "HOT_RULE": HOT_RULE,
        "HOT_VALUE": HOT_VALUE,
        "OUTPUT": str(output),
        **more,
    }


# The backtest: each month from April predicted from the three before it; computerisk as
# shipped, without each of its merging rules and with harm; a grid of bandwidths (m) and
# half-lives (days); every baseline.
BACKTEST_TRAIN_MONTHS = 3
BACKTEST_CONFIGURATIONS = (
    "computerisk defaults:; no merging: MERGE_MINUTES=0; "
    "no repeat merging: MERGE_REPEATS=no; harm weighted: USE_HARM=yes"
)
BACKTEST_BANDWIDTHS = "0, 50, 100, 150"
BACKTEST_HALF_LIVES = "0, 90, 180, 365"
BACKTEST_SEARCH_LEVEL = 5
BACKTEST_KDE = {"KDE_CELL_SIZE": 50, "KDE_BANDWIDTH": 100}
BACKTEST_SEED = 0
BACKTEST_SPLIT = "2025-10-01"  # the second run: nine months train, the last three test


def backtest_parameters(blocks, joined: list, output, **more) -> dict:
    return {
        "BLOCKS": blocks,
        "INCIDENTS": list(joined),
        "WINDOWS": WINDOWS,
        "TRAIN_MONTHS": BACKTEST_TRAIN_MONTHS,
        "TEST_MONTHS": 1,
        "CONFIGURATIONS": BACKTEST_CONFIGURATIONS,
        "BASELINES": [0, 1, 2, 3, 4],
        "COVERAGES": "1, 2, 5, 10, 20",
        "TOP_N": HOT_VALUE,
        "SEARCH_BANDWIDTHS": BACKTEST_BANDWIDTHS,
        "SEARCH_HALF_LIVES": BACKTEST_HALF_LIVES,
        "SEARCH_LEVEL": BACKTEST_SEARCH_LEVEL,
        "SEED": BACKTEST_SEED,
        **BACKTEST_KDE,
        "OUTPUT": str(output),
        **more,
    }


def run_pipeline(run, out: Path) -> dict:
    """buildblocks -> joinincidents (one per source) -> computerisk into ``out``, through
    ``run(algorithm_id, parameters) -> results``; returns each step's results."""
    blocks = run("hotblocking:buildblocks", buildblocks_parameters(out / "blocks.gpkg"))
    joins = [
        run(
            "hotblocking:joinincidents",
            join_parameters(
                source,
                blocks["OUTPUT"],
                out / f"joined_{source.layer}.gpkg",
                out / f"unmatched_{source.layer}.gpkg",
            ),
        )
        for source in SOURCES
    ]
    risk = run(
        "hotblocking:computerisk",
        risk_parameters(blocks["OUTPUT"], [j["OUTPUT"] for j in joins], out / "hot_blocks.gpkg"),
    )
    return {"blocks": blocks, "joins": joins, "risk": risk}
