"""The sample pipeline with every output to a destination of one's choice, and the GeoPackage
run of it made once per test session (several store tests compare against it)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hb_sample import SAMPLE

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
    """The sample pipeline (tools/sample_pipeline.py's settings) reading ``source(layer)``
    and writing each output to ``dest(name)``, then a brief of its hot blocks."""
    settings = _settings()
    params = settings.buildblocks_parameters(dest("blocks"))
    params["INPUT"] = source(settings.ROADS_LAYER)
    out = {"blocks": run("buildblocks", params)["OUTPUT"]}
    joined = []
    for sample_source in settings.SOURCES:
        layer = sample_source.layer
        params = settings.join_parameters(
            sample_source, out["blocks"], dest(f"joined_{layer}"), dest(f"unmatched_{layer}")
        )
        params["INCIDENTS"] = source(layer)
        result = run("joinincidents", params)
        joined.append(result["OUTPUT"])
        out[f"joined_{layer}"], out[f"unmatched_{layer}"] = result["OUTPUT"], result["UNMATCHED"]
    risk = run(
        "computerisk",
        settings.risk_parameters(
            out["blocks"], joined, dest("hot_blocks"), PROFILES=dest("profiles")
        ),
    )
    out["hot_blocks"], out["profiles"] = risk["OUTPUT"], risk["PROFILES"]
    out["brief_pages"] = run(
        "taskingbrief",
        {"HOTBLOCKS": out["hot_blocks"], "TOP_N": 3, "OUTPUT": dest("brief") + ".pdf"},
    )["PAGE_COUNT"]
    return out


def _settings():
    """tools.sample_pipeline (the one definition of the sample's settings)."""
    import hb_sample

    return hb_sample._settings


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
