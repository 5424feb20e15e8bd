"""Every output on the sample has the fields hotblocking.schema declares, in its order and of
its kinds (the schema is the contract the brief, the styles and the dock read)."""

import pytest
from hb_sample import run_sample_pipeline
from hotblocking_under_test.hotblocking import schema
from hotblocking_under_test.processing.bridge import field_kind
from qgis.core import QgsVectorLayer


@pytest.fixture(scope="module")
def outputs(plugin, tmp_path_factory):
    out = tmp_path_factory.mktemp("schema")
    return run_sample_pipeline(out), out


def fields(uri):
    """(name, kind) of the layer's fields, the GeoPackage's own fid key left out."""
    layer = QgsVectorLayer(str(uri), "l", "ogr")
    assert layer.isValid(), uri
    return [(f.name(), field_kind(f)) for f in layer.fields() if f.name() != "fid"]


def declared(output, names):
    return [(n, output.field(n).kind) for n in names]


def test_blocks(outputs):
    uris, _ = outputs
    assert fields(uris["blocks"]) == declared(schema.BLOCKS, schema.BLOCKS.names())


def test_joined_and_unmatched_incidents_end_with_the_declared_fields(outputs):
    uris, out = outputs
    for joined, name in zip(uris["joined"], ("ambulance", "ae_istv", "police")):
        for uri, output in (
            (joined, schema.JOINED_INCIDENTS),
            (out / f"unmatched_{name}.gpkg", schema.UNMATCHED_INCIDENTS),
        ):
            names = output.names()  # after the incident's own attributes
            assert fields(uri)[-len(names) :] == declared(output, names), (name, output.table)


def test_hot_blocks_carry_window_spec_and_source_labels(outputs):
    uris, _ = outputs
    columns = ["n_a_e", "n_ambulance", "n_police"]
    assert fields(uris["hot"]) == declared(schema.HOT_BLOCKS, schema.HOT_BLOCKS.names(columns))
    layer = QgsVectorLayer(uris["hot"], "hot", "ogr")
    feature = next(layer.getFeatures())
    labels = schema.source_labels({name: feature[name] for name in layer.fields().names()})
    assert labels == {"n_a_e": "A&E", "n_ambulance": "ambulance", "n_police": "police"}
    assert feature["window_spec"] == "Fri/Sat nights=Fri,Sat 22:00-04:00"
