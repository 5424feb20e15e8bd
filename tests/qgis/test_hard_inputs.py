"""The data analysts really have: each awkward case gives a clear message or a per-record
reason, never a crash or a silent loss."""

import pytest
from hb_layers import write_gpkg
from osgeo import ogr
from qgis.core import NULL, QgsProcessingException, QgsVectorLayer

T = "2025-06-06T23:30:00"


def rows_of(uri, key="ref"):
    layer = QgsVectorLayer(uri, "x", "ogr")
    assert layer.isValid(), uri
    return {f[key]: f for f in layer.getFeatures()}


def blocks_layer(
    tmp_path, geometry_type=ogr.wkbLineString, features=None, fields=(("block_id", "str"),)
):
    features = features or [
        ("LINESTRING (0 0, 100 0)", {"block_id": "B1"}),
        ("LINESTRING (100 0, 200 0)", {"block_id": "B2"}),
    ]
    return write_gpkg(tmp_path / "blocks.gpkg", "blocks", geometry_type, features, list(fields))


def incidents(tmp_path, rows, fields=(("ref", "str"), ("t", "str")), name="inc"):
    return write_gpkg(tmp_path / f"{name}.gpkg", name, ogr.wkbPoint, rows, list(fields))


def join(run, tmp_path, inc, blocks, **extra):
    params = {
        "INCIDENTS": inc,
        "BLOCKS": blocks,
        "MAX_DISTANCE": 50,
        "TIME_FIELD": "t",
        "OUTPUT": str(tmp_path / "j.gpkg"),
        "UNMATCHED": str(tmp_path / "u.gpkg"),
    }
    params.update(extra)
    result = run("joinincidents", params)
    assert result["MATCHED_COUNT"] + result["UNMATCHED_COUNT"] == result["READ_COUNT"]
    return result, rows_of(result["OUTPUT"]), rows_of(result["UNMATCHED"])


def test_only_null_geometries(run, tmp_path):
    inc = incidents(tmp_path, [(None, {"ref": str(i), "t": T}) for i in range(4)])
    result, joined, unmatched = join(run, tmp_path, inc, blocks_layer(tmp_path))
    assert joined == {} and {f["reason"] for f in unmatched.values()} == {"no geometry"}
    roads = write_gpkg(
        tmp_path / "nullroads.gpkg",
        "roads",
        ogr.wkbLineString,
        [(None, {"id": "a"}), (None, {"id": "b"})],
        [("id", "str")],
    )
    built = run(
        "buildblocks", {"INPUT": roads, "MAX_LENGTH": 100, "OUTPUT": str(tmp_path / "b.gpkg")}
    )
    assert built["BLOCK_COUNT"] == 0 and built["SKIPPED_COUNT"] == 2


def test_empty_blocks_layer(run, tmp_path):
    empty = write_gpkg(
        tmp_path / "noblocks.gpkg", "blocks", ogr.wkbLineString, [], [("block_id", "str")]
    )
    inc = incidents(tmp_path, [("POINT (1 1)", {"ref": "a", "t": T})])
    _, joined, unmatched = join(run, tmp_path, inc, empty)
    assert joined == {} and unmatched["a"]["reason"] == "no blocks to join to"


def test_measured_and_3d_blocks(run, tmp_path):
    blocks = blocks_layer(
        tmp_path,
        ogr.wkbMultiLineString25D,
        [("MULTILINESTRING Z ((0 0 10, 100 0 12), (100 0 12, 200 0 9))", {"block_id": "M1"})],
    )
    measured = write_gpkg(
        tmp_path / "m.gpkg",
        "m",
        ogr.wkbLineStringM,
        [("LINESTRING M (0 50 0, 100 50 100)", {"block_id": "M2"})],
        [("block_id", "str")],
    )
    inc = incidents(
        tmp_path, [("POINT (150 3)", {"ref": "a", "t": T}), ("POINT (50 48)", {"ref": "b", "t": T})]
    )
    _, joined, _ = join(run, tmp_path, inc, blocks)
    assert joined["a"]["block_id"] == "M1" and joined["a"]["snap_dist"] == pytest.approx(3)
    _, joined, _ = join(
        run,
        tmp_path,
        inc,
        measured,
        OUTPUT=str(tmp_path / "j2.gpkg"),
        UNMATCHED=str(tmp_path / "u2.gpkg"),
    )
    assert joined["b"]["block_id"] == "M2" and joined["b"]["snap_dist"] == pytest.approx(2)
    built = run(
        "buildblocks", {"INPUT": measured, "MAX_LENGTH": 40, "OUTPUT": str(tmp_path / "mb.gpkg")}
    )
    assert built["BLOCK_COUNT"] == 3


def test_clock_change_days_are_valid_local_times(run, tmp_path):
    inc = incidents(
        tmp_path,
        [
            ("POINT (50 1)", {"ref": "autumn", "t": "26/10/2025 01:30"}),  # happens twice: valid
            (
                "POINT (50 1)",
                {"ref": "spring", "t": "30/03/2025 01:30"},
            ),  # skipped hour: kept as recorded
        ],
    )
    _, joined, unmatched = join(run, tmp_path, inc, blocks_layer(tmp_path))
    assert unmatched == {}
    assert joined["autumn"]["time_start"].toString("yyyy-MM-dd HH:mm") == "2025-10-26 01:30"
    assert joined["spring"]["time_start"].toString("yyyy-MM-dd HH:mm") == "2025-03-30 01:30"


def test_blocks_without_block_id_use_feature_ids(run, tmp_path):
    blocks = blocks_layer(
        tmp_path,
        features=[
            ("LINESTRING (0 0, 100 0)", {"name": "x"}),
            ("LINESTRING (0 50, 100 50)", {"name": "y"}),
        ],
        fields=(("name", "str"),),
    )
    inc = incidents(tmp_path, [("POINT (50 45)", {"ref": "a", "t": T})])
    _, joined, _ = join(run, tmp_path, inc, blocks)
    assert joined["a"]["block_id"] == "2"  # the second feature's id


def test_the_same_joined_layer_twice_is_refused(run, tmp_path):
    inc = incidents(tmp_path, [("POINT (50 1)", {"ref": "a", "t": T})])
    blocks = blocks_layer(tmp_path)
    result, _, _ = join(run, tmp_path, inc, blocks, SOURCE="ambulance")
    with pytest.raises(QgsProcessingException, match="more than once"):
        run(
            "computerisk",
            {
                "BLOCKS": blocks,
                "INCIDENTS": [result["OUTPUT"], result["OUTPUT"]],
                "OUTPUT": str(tmp_path / "r.gpkg"),
            },
        )


def test_ambiguous_time_fields_ask_the_user(run, tmp_path):
    inc = incidents(
        tmp_path,
        [("POINT (50 1)", {"ref": "a", "call_time": T, "incident_time": T})],
        fields=(("ref", "str"), ("call_time", "str"), ("incident_time", "str")),
    )
    with pytest.raises(QgsProcessingException, match="Choose the time field"):
        run(
            "joinincidents",
            {
                "INCIDENTS": inc,
                "BLOCKS": blocks_layer(tmp_path),
                "OUTPUT": str(tmp_path / "j.gpkg"),
                "UNMATCHED": str(tmp_path / "u.gpkg"),
            },
        )


def test_no_time_field_at_all_joins_without_times(run, tmp_path):
    inc = incidents(tmp_path, [("POINT (50 1)", {"ref": "a"})], fields=(("ref", "str"),))
    result = run(
        "joinincidents",
        {
            "INCIDENTS": inc,
            "BLOCKS": blocks_layer(tmp_path),
            "OUTPUT": str(tmp_path / "j.gpkg"),
            "UNMATCHED": str(tmp_path / "u.gpkg"),
        },
    )
    joined = rows_of(result["OUTPUT"])
    assert joined["a"]["block_id"] == "B1"
    assert joined["a"]["time_start"] == NULL  # missing stays missing


def test_risk_needs_at_least_one_incident_layer(run, tmp_path):
    with pytest.raises(QgsProcessingException):
        run(
            "computerisk",
            {"BLOCKS": blocks_layer(tmp_path), "INCIDENTS": [], "OUTPUT": str(tmp_path / "r.gpkg")},
        )


def test_missing_output_folder_is_created(run, tmp_path):
    inc = incidents(tmp_path, [("POINT (50 1)", {"ref": "a", "t": T})])
    result, joined, _ = join(
        run,
        tmp_path,
        inc,
        blocks_layer(tmp_path),
        OUTPUT=str(tmp_path / "new" / "folder" / "j.gpkg"),
    )
    assert joined["a"]["block_id"] == "B1"
