"""README's worked example: a CSV export made into points with QGIS's own
'Create points layer from table', then joined."""

from hb_plugin import ROOT
from qgis.core import QgsCoordinateReferenceSystem, QgsProcessingContext, QgsProcessingFeedback

from tools import sample_pipeline as sample


def test_csv_export_to_points_to_blocks(run, tmp_path):
    import processing

    context, feedback = QgsProcessingContext(), QgsProcessingFeedback()
    points = processing.run(
        "native:createpointslayerfromtable",
        {
            "INPUT": str(ROOT / "sample_data" / "ambulance_calls.csv"),
            "XFIELD": "easting",
            "YFIELD": "northing",
            "TARGET_CRS": QgsCoordinateReferenceSystem("EPSG:27700"),
            "OUTPUT": str(tmp_path / "ambulance_points.gpkg"),
        },
        context=context,
        feedback=feedback,
    )
    blocks = run(
        "buildblocks",
        {
            "INPUT": sample.layer_uri(sample.ROADS_LAYER),
            "MAX_LENGTH": 100,
            "OUTPUT": str(tmp_path / "blocks.gpkg"),
        },
    )
    joined = run(
        "joinincidents",
        {
            "INCIDENTS": points["OUTPUT"],
            "SOURCE": "ambulance",
            "BLOCKS": blocks["OUTPUT"],
            "TIME_FIELD": "call_time",
            "OUTPUT": str(tmp_path / "j.gpkg"),
            "UNMATCHED": str(tmp_path / "u.gpkg"),
        },
    )
    assert joined["READ_COUNT"] == 300  # every CSV row, including rows without coordinates
    assert joined["MATCHED_COUNT"] + joined["UNMATCHED_COUNT"] == 300
    assert joined["MATCHED_COUNT"] >= 290
