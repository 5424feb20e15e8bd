"""Run inside desktop QGIS (``qgis --code``) by tests/system/test_desktop.py; writes JSON, exits.

Two scenarios, chosen by $HB_SCENARIO:

- ``pipeline``: the plugin installed by `make install`; runs the sample pipeline, the brief
  and the shipped model through ``processing.run`` in this desktop QGIS.
- ``zip``: installs $HB_ZIP with QGIS's own Plugin Manager code ("Install from ZIP") into a
  profile whose Python lacks packages; reports what the user is shown: the message bar, the
  Plugin Manager's entry, the toolbox's refusal and a run's refusal.

Results go to $HB_RESULT; QGIS is then ended at once (no exit-time crash, nothing to save).
"""

import json
import os
import sys
import traceback
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsSettings,
)

HELPERS = Path(os.environ["HB_HELPERS"])
SAMPLE = Path(os.environ["HB_SAMPLE"])
OUT = Path(os.environ["HB_OUT"])


def run(algorithm, parameters):
    import processing

    return processing.run(
        algorithm, parameters, context=QgsProcessingContext(), feedback=QgsProcessingFeedback()
    )


def message_bar(iface):
    return [
        {"title": item.title(), "text": item.text(), "level": int(item.level())}
        for item in iface.messageBar().items()
    ]


def pipeline(iface, result):
    import qgis.utils

    result["active"] = "hotblocking" in qgis.utils.active_plugins
    result["message_bar"] = message_bar(iface)
    sys.path.insert(0, str(HELPERS))
    from hb_sample import run_sample_pipeline

    uris = run_sample_pipeline(OUT)
    brief = run(
        "hotblocking:taskingbrief",
        {
            "HOTBLOCKS": uris["hot"],
            "WINDOW": "Fri/Sat nights",
            "TOP_N": 10,
            "CONTEXT": uris["blocks"],
            "AREA": "Sample city centre",
            "OUTPUT": str(OUT / "brief.pdf"),
        },
    )
    result["brief_pages"] = brief["PAGE_COUNT"]
    provider = QgsApplication.processingRegistry().providerById("hotblocking")
    [model] = [
        a
        for a in provider.algorithms()
        if isinstance(a, QgsProcessingModelAlgorithm)
        and a.name() == "Hot Blocking: roads + incidents to brief"
    ]
    inputs = {
        "ROADS": f"{SAMPLE}|layername=road_link",
        "AMBULANCE": f"{SAMPLE}|layername=ambulance",
        "AMBULANCE_TIME": "call_time",
        "AE": f"{SAMPLE}|layername=ae_istv",
        "AE_TIME": "assault_datetime",
        "POLICE": f"{SAMPLE}|layername=police",
        "POLICE_TIME": "committed_from",
        "POLICE_END_TIME": "committed_to",
        "POLICE_HARM": "harm_days",
        "WINDOWS": "Fri/Sat nights=Fri-Sat 22:00-04:00; Weekday lunch=weekdays 11:00-15:00",
        "AREA": "Sample city centre",
    }
    model_dir = OUT / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    for index, parameter in enumerate(model.destinationParameterDefinitions()):
        extension = "pdf" if parameter.type() == "fileDestination" else "gpkg"
        inputs[parameter.name()] = str(model_dir / f"output_{index}.{extension}")
    outputs = run(model.id(), inputs)
    result["model_outputs"] = {k: v for k, v in outputs.items() if isinstance(v, str)}
    result["uris"] = {"blocks": uris["blocks"], "hot": uris["hot"], "joined": uris["joined"]}
    result["module_files"] = {
        name: sys.modules[name].__file__ for name in ("numpy", "pandas", "scipy", "shapely")
    }


def zip_install(iface, result):
    import pyplugin_installer
    import qgis.utils
    from pyplugin_installer.installer_data import plugins

    import processing  # noqa: F401  (Processing is loaded on the desktop)

    installer = pyplugin_installer.instance()
    installer.installFromZipFile(os.environ["HB_ZIP"])
    result["active"] = "hotblocking" in qgis.utils.active_plugins
    result["message_bar"] = message_bar(iface)
    manager = iface.pluginManagerInterface()

    def entry():
        metadata = manager.pluginMetadata("hotblocking") or {}
        return {key: metadata.get(key) for key in ("name", "error", "error_details")}

    result["plugin_manager"] = entry()
    plugins.getAllInstalled()  # what the Plugin Manager does on a rescan
    plugins.rebuild()
    installer.exportPluginsToManager()
    result["plugin_manager_after_rescan"] = entry()

    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("hotblocking")
    algorithms = sorted(a.id() for a in provider.algorithms()) if provider else []
    result["algorithms"] = algorithms
    result["can_execute"] = {i: list(registry.algorithmById(i).canExecute()) for i in algorithms}
    try:
        run(
            "hotblocking:buildblocks",
            {"INPUT": f"{SAMPLE}|layername=road_link", "OUTPUT": str(OUT / "blocks.gpkg")},
        )
        result["run"] = "ran"
    except QgsProcessingException as error:
        result["run"] = str(error)


def main():
    from qgis.utils import iface

    result = {}
    try:
        {"pipeline": pipeline, "zip": zip_install}[os.environ["HB_SCENARIO"]](iface, result)
        QgsSettings().sync()
    except Exception:  # reported to the test, which fails with it
        result["error"] = traceback.format_exc()
    finally:
        with open(os.environ["HB_RESULT"], "w", encoding="utf-8") as answer:
            json.dump(result, answer)
        os._exit(0)


main()
