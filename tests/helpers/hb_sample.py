"""The bundled sample data run through the algorithms one by one, as scripts/demo.py does."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "hotblocking_sample.gpkg"
WINDOWS = "Fri/Sat nights=Fri-Sat 22:00-04:00; Weekday lunch=weekdays 11:00-15:00"
SOURCES = [  # layer, source label, time field, end field, harm field
    ("ambulance", "ambulance", "call_time", None, None),
    ("ae_istv", "A&E", "assault_datetime", None, None),
    ("police", "police", "committed_from", "committed_to", "harm_days"),
]


def run_alg(algorithm, parameters: dict) -> dict:
    """processing.run in a fresh context (the plugin must be loaded)."""
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    import processing

    return processing.run(
        algorithm, parameters, context=QgsProcessingContext(), feedback=QgsProcessingFeedback()
    )


def run_sample_pipeline(out: Path) -> dict:
    """buildblocks -> joinincidents (x3) -> computerisk on the sample; returns the URIs."""
    blocks = run_alg(
        "hotblocking:buildblocks",
        {
            "INPUT": f"{SAMPLE}|layername=road_link",
            "MAX_LENGTH": 100,
            "OUTPUT": str(out / "blocks.gpkg"),
        },
    )["OUTPUT"]
    joined = [
        run_alg(
            "hotblocking:joinincidents",
            {
                "INCIDENTS": f"{SAMPLE}|layername={layer}",
                "SOURCE": label,
                "BLOCKS": blocks,
                "MAX_DISTANCE": 50,
                "TIME_FIELD": time_field,
                "END_TIME_FIELD": end_field,
                "WEIGHT_FIELD": harm_field,
                "OUTPUT": str(out / f"joined_{layer}.gpkg"),
                "UNMATCHED": str(out / f"unmatched_{layer}.gpkg"),
            },
        )["OUTPUT"]
        for layer, label, time_field, end_field, harm_field in SOURCES
    ]
    hot = run_alg(
        "hotblocking:computerisk",
        {
            "BLOCKS": blocks,
            "INCIDENTS": joined,
            "WINDOWS": WINDOWS,
            "HOT_RULE": 0,
            "HOT_VALUE": 10,
            "OUTPUT": str(out / "hot_blocks.gpkg"),
        },
    )["OUTPUT"]
    return {"blocks": blocks, "joined": joined, "hot": hot}
