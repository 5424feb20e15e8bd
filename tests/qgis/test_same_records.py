"""computerisk refuses joined layers that hold the same incidents under different labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "hotblocking_sample.gpkg"
POLICE_UK = ROOT / "sample_data" / "police_uk_street.csv"


@pytest.fixture(scope="module")
def blocks(plugin, tmp_path_factory):
    import processing

    out = tmp_path_factory.mktemp("same_records") / "blocks.gpkg"
    return processing.run(
        "hotblocking:buildblocks",
        {"INPUT": f"{SAMPLE}|layername=road_link", "MAX_LENGTH": 100, "OUTPUT": str(out)},
    )["OUTPUT"]


def join(run, tmp_path, blocks, incidents, label, **extra):
    return run(
        "joinincidents",
        {
            "INCIDENTS": incidents,
            "SOURCE": label,
            "BLOCKS": blocks,
            "OUTPUT": str(tmp_path / f"joined_{len(list(tmp_path.iterdir()))}.gpkg"),
            "UNMATCHED": str(tmp_path / f"unmatched_{len(list(tmp_path.iterdir()))}.gpkg"),
            **extra,
        },
    )["OUTPUT"]


def risk(run, tmp_path, blocks, joined):
    return run(
        "computerisk",
        {
            "BLOCKS": blocks,
            "INCIDENTS": joined,
            "WINDOWS": "all=all",
            "OUTPUT": str(tmp_path / "hot.gpkg"),
        },
    )


def test_one_layer_joined_under_three_labels_is_refused(run, tmp_path, blocks):
    layer = f"{SAMPLE}|layername=ambulance"
    joined = [
        join(run, tmp_path, blocks, layer, label, TIME_FIELD="call_time")
        for label in ("ambulance", "A&E", "police")
    ]
    with pytest.raises(QgsProcessingException) as refused:
        risk(run, tmp_path, blocks, joined)
    message = str(refused.value)
    assert "the joined layer of 'ambulance'" in message
    assert "the joined layer of 'A&E'" in message
    assert "hold the same incidents (2988 of 2988 records" in message
    assert "counted twice" in message
    assert not (tmp_path / "hot.gpkg").exists()


def test_different_sources_are_accepted(run, tmp_path, blocks):
    joined = [
        join(run, tmp_path, blocks, f"{SAMPLE}|layername=ambulance", "ambulance"),
        join(run, tmp_path, blocks, f"{SAMPLE}|layername=police", "police",
             TIME_FIELD="committed_from", END_TIME_FIELD="committed_to"),
    ]  # fmt: skip
    result = risk(run, tmp_path, blocks, joined)
    assert result["INCIDENTS_USED"] == 2988 + 2490


def test_one_file_split_by_filters_is_accepted(run, tmp_path, blocks):
    # Month-only records of one police.uk file as two sources: the same feature ids never
    # appear in both, so nothing is counted twice.
    uri = (
        f"file://{POLICE_UK}?type=csv&delimiter=,&xField=Longitude&yField=Latitude" "&crs=EPSG:4326"
    )
    layer = QgsVectorLayer(uri, "police_uk", "delimitedtext")
    assert layer.isValid()
    joined = [
        join(run, tmp_path, blocks, layer, label, TIME_FIELD="Month", FILTER=expression)
        for label, expression in (
            ("violence", "\"Crime type\" = 'Violence and sexual offences'"),
            ("public order", "\"Crime type\" = 'Public order'"),
        )
    ]
    result = risk(run, tmp_path, blocks, joined)
    assert result["INCIDENTS_USED"] > 2000
