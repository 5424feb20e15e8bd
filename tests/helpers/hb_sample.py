"""The bundled sample data run through the algorithms one by one, as scripts/demo.py does.

The settings are :mod:`tools.sample_pipeline`'s (one definition for the demo, the tests and
the benchmarks).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _sample_pipeline():
    """tools.sample_pipeline; in a separate process that has only tests/helpers on its path
    (scripts run by the system tests) it is loaded from its file, as the repo root is never
    put on sys.path (its processing/ would shadow QGIS's)."""
    try:
        from tools import sample_pipeline
    except ModuleNotFoundError:
        path = Path(__file__).resolve().parents[2] / "tools" / "sample_pipeline.py"
        spec = importlib.util.spec_from_file_location("hb_sample_pipeline", path)
        sample_pipeline = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = sample_pipeline  # registered, so its classes can be found
        spec.loader.exec_module(sample_pipeline)
    return sample_pipeline


_settings = _sample_pipeline()
SAMPLE, SOURCES, WINDOWS = _settings.SAMPLE, _settings.SOURCES, _settings.WINDOWS
run_pipeline = _settings.run_pipeline

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
