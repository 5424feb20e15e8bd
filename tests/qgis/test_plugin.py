"""The plugin loads as QGIS loads it and registers its provider."""

import configparser

from hb_plugin import ROOT, load_plugin_package
from qgis.core import QgsApplication


def test_provider_registered_with_algorithms(plugin):
    provider = QgsApplication.processingRegistry().providerById("hotblocking")
    assert provider is not None
    assert provider.name() == "Hot Blocking"
    assert not provider.icon().isNull()
    names = {a.name() for a in provider.algorithms()}
    assert {"buildblocks", "joinincidents"} <= names


def test_version_comes_from_metadata(plugin):
    parser = configparser.ConfigParser()
    parser.read(ROOT / "metadata.txt")
    provider = QgsApplication.processingRegistry().providerById("hotblocking")
    assert provider.versionInfo() == parser["general"]["version"]
    assert parser["general"]["qgisMinimumVersion"] == "3.22"
    assert parser["general"]["hasProcessingProvider"] == "yes"


def test_loads_under_another_folder_name(plugin):
    registry = QgsApplication.processingRegistry()
    plugin.unload()  # free the provider id for the second copy
    try:
        module = load_plugin_package("Hot-Blocking-main")
        instance = module.classFactory(None)
        instance.initProcessing()
        assert registry.algorithmById("hotblocking:joinincidents") is not None
        instance.unload()
        assert registry.providerById("hotblocking") is None
    finally:
        plugin.initProcessing()
    assert registry.algorithmById("hotblocking:buildblocks") is not None


def test_every_parameter_has_help(plugin):
    provider = QgsApplication.processingRegistry().providerById("hotblocking")
    for algorithm in provider.algorithms():
        assert algorithm.shortHelpString()
        for parameter in algorithm.parameterDefinitions():
            assert parameter.help(), f"{algorithm.id()} {parameter.name()} has no help"
