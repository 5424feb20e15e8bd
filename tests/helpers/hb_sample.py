"""The bundled sample data run through the algorithms one by one, as scripts/demo.py does.

The settings are :mod:`tools.sample_pipeline`'s (one definition for the demo, the tests and
the benchmarks).
"""

from __future__ import annotations

from pathlib import Path

from tools.sample_pipeline import SAMPLE, SOURCES, WINDOWS, run_pipeline

__all__ = ["SAMPLE", "SOURCES", "WINDOWS", "run_alg", "run_sample_pipeline"]


def run_alg(algorithm, parameters: dict) -> dict:
    """processing.run in a fresh context (the plugin must be loaded)."""
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    import processing

    return processing.run(
        algorithm, parameters, context=QgsProcessingContext(), feedback=QgsProcessingFeedback()
    )


def run_sample_pipeline(out: Path) -> dict:
    """buildblocks -> joinincidents (x3) -> computerisk on the sample; returns the URIs."""
    results = run_pipeline(run_alg, out)
    return {
        "blocks": results["blocks"]["OUTPUT"],
        "joined": [j["OUTPUT"] for j in results["joins"]],
        "hot": results["risk"]["OUTPUT"],
    }
