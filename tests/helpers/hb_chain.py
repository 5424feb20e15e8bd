"""The sample pipeline with every output to a destination of one's choice, and the GeoPackage
run of it made once per test session (several store tests compare against it)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hb_sample import SAMPLE, SOURCES, WINDOWS

_GPKG_RUN: dict = {}


def run(algorithm, parameters):
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    import processing

    return processing.run(
        f"hotblocking:{algorithm}",
        parameters,
        context=QgsProcessingContext(),
        feedback=QgsProcessingFeedback(),
    )


def pipeline(source, dest) -> dict:
    """buildblocks -> joinincidents x3 -> computerisk (+ profiles) -> taskingbrief, reading
    ``source(layer)`` and writing each output to ``dest(name)``."""
    out = {
        "blocks": run(
            "buildblocks",
            {"INPUT": source("road_link"), "MAX_LENGTH": 100, "OUTPUT": dest("blocks")},
        )["OUTPUT"]
    }
    joined = []
    for layer, label, time, end, harm in SOURCES:
        result = run(
            "joinincidents",
            {
                "INCIDENTS": source(layer),
                "SOURCE": label,
                "BLOCKS": out["blocks"],
                "MAX_DISTANCE": 50,
                "TIME_FIELD": time,
                "END_TIME_FIELD": end,
                "WEIGHT_FIELD": harm,
                "OUTPUT": dest(f"joined_{layer}"),
                "UNMATCHED": dest(f"unmatched_{layer}"),
            },
        )
        joined.append(result["OUTPUT"])
        out[f"joined_{layer}"], out[f"unmatched_{layer}"] = result["OUTPUT"], result["UNMATCHED"]
    risk = run(
        "computerisk",
        {
            "BLOCKS": out["blocks"],
            "INCIDENTS": joined,
            "WINDOWS": WINDOWS,
            "HOT_RULE": 0,
            "HOT_VALUE": 10,
            "OUTPUT": dest("hot_blocks"),
            "PROFILES": dest("profiles"),
        },
    )
    out["hot_blocks"], out["profiles"] = risk["OUTPUT"], risk["PROFILES"]
    out["brief_pages"] = run(
        "taskingbrief",
        {"HOTBLOCKS": out["hot_blocks"], "TOP_N": 3, "OUTPUT": dest("brief") + ".pdf"},
    )["PAGE_COUNT"]
    return out


def gpkg_run() -> dict:
    """The sample pipeline into GeoPackages, made once per session (the plugin is loaded)."""
    if not _GPKG_RUN:
        folder = Path(tempfile.mkdtemp(prefix="hb-sample-gpkg-"))
        _GPKG_RUN.update(
            pipeline(
                lambda layer: f"{SAMPLE}|layername={layer}",
                lambda name: str(folder / f"{name}.gpkg")
                if name != "brief"
                else str(folder / name),
            )
        )
    return dict(_GPKG_RUN)
