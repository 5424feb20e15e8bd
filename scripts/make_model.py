"""Build the shipped graphical model models/hot_blocking_roads_incidents_to_brief.model3.

The model chains the provider's algorithms as scripts/demo.py does: road links -> blocks ->
incidents of three sources joined to blocks -> risk per block per time window -> tasking
brief PDF. It is made with the public model API (QgsProcessingModelAlgorithm and friends),
so it opens, edits and runs in the graphical modeller like a hand-drawn one; this script is
its source of truth. Run it after changing an algorithm's parameters:

    source scripts/env.sh && .venv/bin/python scripts/make_model.py

The provider (processing/provider.py) loads every models/*.model3 into the toolbox under
"Hot Blocking"; its id is ``hotblocking:`` + the model's name. On the desktop, Plugins > Hot
Blocking > "Copy the model into my models" puts an editable copy in the user's models folder.

Output names are words ("Hot blocks", "Joined A&E incidents"): QGIS 3.22 names a model
output's layer after the output's name, and the model's output parameters are
``<step>:<name>`` (``computerisk:Hot blocks``), as for a model drawn in the modeller.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_NAME = "Hot Blocking: roads + incidents to brief"
MODEL_GROUP = "Hot Blocking"
MODEL_FILE = ROOT / "models" / "hot_blocking_roads_incidents_to_brief.model3"
DEFAULT_WINDOWS = "Fri-Sat 22:00-04:00"  # hotblocking.windows.DEFAULT_WINDOWS
DEFAULT_TITLE = "Violence reduction patrol brief"  # taskingbrief's own default

# (child id, SOURCE label, layer parameter, time, end time, harm, description, y)
SOURCES = [
    ("join_ambulance", "ambulance", "AMBULANCE", "AMBULANCE_TIME", None, None, "ambulance", 300),
    ("join_ae", "A&E", "AE", "AE_TIME", None, None, "A&E", 450),
    (
        "join_police",
        "police",
        "POLICE",
        "POLICE_TIME",
        "POLICE_END_TIME",
        "POLICE_HARM",
        "police",
        660,
    ),
]
# Modeller layout (component centres and sizes): inputs, steps, outputs from left to right.
INPUT_X, CHILD_X, OUTPUT_X, RISK_X, FINAL_X = 150, 520, 850, 1160, 1480
INPUT_SIZE, CHILD_SIZE, OUTPUT_SIZE = (260, 30), (260, 44), (240, 30)

HELP = {
    "ALG_DESC": (
        "The whole Hot Blocking pipeline in one run: road links are cut into blocks; ambulance "
        "call-outs, A&E (ISTV) assaults and police crimes are each joined to their nearest "
        "block; risk is computed per block per time window over the three sources; and a patrol "
        "tasking brief (PDF) is made for the first window.\n\n"
        "Each step is one of the Hot Blocking algorithms, with their defaults for everything not "
        "asked for here (hot blocks = top 10 per window, all sources weigh 1, no harm weighting, "
        "no smoothing). To change them, choose Plugins > Hot Blocking > Copy the model into my "
        "models: an editable copy appears in the Processing Toolbox under Models > Hot Blocking, "
        "and right-click > Edit Model opens it in the graphical modeller. Or run the algorithms "
        "one by one.\n\n"
        "All three incident layers are needed: a join step cannot be skipped in a QGIS 3.22 "
        "model. Distances are in the road layer's units, which must be projected (metres, e.g. "
        "EPSG:27700). Times are read as local Europe/London wall-clock."
    ),
    "ALG_CREATOR": "Hot Blocking",
    "ALG_HELP_CREATOR": "Hot Blocking",
    "SHORT_DESCRIPTION": (
        "Road links and ambulance, A&E and police incidents to blocks, hot blocks by time "
        "window and a patrol tasking brief (PDF), in one run."
    ),
}


def model_inputs(c):
    """The model's inputs in toolbox order: (definition, help, y in the modeller)."""
    source = c.QgsProcessingParameterFeatureSource
    field = c.QgsProcessingParameterField
    line, point = [c.QgsProcessing.TypeVectorLine], [c.QgsProcessing.TypeVectorPoint]
    text_time = "DateTime, Date or text: ISO 8601 or UK day-first, never month-first"
    return [
        (
            source("ROADS", "Road links", line),
            "Road lines in any CRS: OS Open Roads, MasterMap Highways RoadLink, an OSM extract "
            "(file.osm.pbf|layername=lines) or any line layer.",
            60,
        ),
        (
            c.QgsProcessingParameterDistance(
                "MAX_LENGTH", "Maximum block length", 100.0, "ROADS", minValue=0.0
            ),
            "Pieces longer than this are cut into equal parts no longer than it (road layer "
            "units; metres for a layer in degrees). 0 keeps them whole.",
            120,
        ),
        (
            c.QgsProcessingParameterDistance(
                "MAX_DISTANCE", "Maximum distance to a block", 50.0, "ROADS", minValue=0.0
            ),
            "Incidents farther than this from every block are not joined (reason: beyond max "
            "distance), for all three sources. In the blocks' units (metres when the roads "
            "were in degrees); 0 = no limit.",
            180,
        ),
        (
            source("AMBULANCE", "Ambulance call-outs", point),
            "Ambulance call-out points for assault.",
            270,
        ),
        (
            field("AMBULANCE_TIME", "Ambulance: time field", parentLayerParameterName="AMBULANCE"),
            f"When the call happened ({text_time}).",
            330,
        ),
        (
            source("AE", "A&E assaults (ISTV)", point),
            "Geocoded A&E assault records (Cardiff Model / ISTV data).",
            420,
        ),
        (
            field("AE_TIME", "A&E: time field", parentLayerParameterName="AE"),
            f"When the assault happened ({text_time}).",
            480,
        ),
        (source("POLICE", "Police crimes", point), "Recorded violent crimes (points).", 570),
        (
            field("POLICE_TIME", "Police: committed from field", parentLayerParameterName="POLICE"),
            f"When the crime happened, or the start of its committed from/to range ({text_time}).",
            630,
        ),
        (
            field(
                "POLICE_END_TIME",
                "Police: committed to field",
                parentLayerParameterName="POLICE",
                optional=True,
            ),
            "Optional end of the committed from/to range, counted aoristically. Empty: instants.",
            690,
        ),
        (
            field(
                "POLICE_HARM",
                "Police: harm weight field",
                parentLayerParameterName="POLICE",
                type=field.Numeric,
                optional=True,
            ),
            "Optional harm weight per crime (e.g. Cambridge Crime Harm Index days): the hot "
            "blocks' harm column and the brief's harm figures. Blocks are ranked by incidents, "
            "not harm, in this model.",
            750,
        ),
        (
            c.QgsProcessingParameterString("WINDOWS", "Time windows", DEFAULT_WINDOWS),
            "Windows separated by ';': [LABEL=]DAYS HH:MM-HH:MM, e.g. 'Fri/Sat nights=Fri-Sat "
            "22:00-04:00; Lunch=weekdays 11:00-15:00'. The brief covers the first window.",
            840,
        ),
        (
            c.QgsProcessingParameterString("TITLE", "Brief title", DEFAULT_TITLE),
            "The brief's title (cover).",
            900,
        ),
        (
            c.QgsProcessingParameterString("AREA", "Brief area", "", optional=True),
            "Optional: the area covered, e.g. 'West End, Westminster' (cover and page headers).",
            960,
        ),
        (
            c.QgsProcessingParameterNumber(
                "TOP_N",
                "Number of blocks to brief",
                c.QgsProcessingParameterNumber.Integer,
                10,
                minValue=1,
                maxValue=200,
            ),
            "The top N blocks of the first window get a page each.",
            1020,
        ),
    ]


def build_model():
    """The model, built with the public API; Hot Blocking's provider must be registered."""
    import qgis.core as c
    from qgis.PyQt.QtCore import QPointF, QSizeF

    registry = c.QgsApplication.processingRegistry()
    missing = [
        a
        for a in ("buildblocks", "joinincidents", "computerisk", "taskingbrief")
        if registry.algorithmById(f"hotblocking:{a}") is None
    ]
    if missing:
        raise RuntimeError(f"Hot Blocking algorithms not registered: {missing}")

    model = c.QgsProcessingModelAlgorithm(MODEL_NAME, MODEL_GROUP, "hotblocking")
    inputs = model_inputs(c)
    # A model keeps its inputs' help in its help content, by parameter name (as the
    # modeller's "Edit Model Help" does); loading the model gives each input its help.
    model.setHelpContent({**HELP, **{d.name(): help_text for d, help_text, _ in inputs}})
    for definition, help_text, y in inputs:
        definition.setHelp(help_text)
        component = c.QgsProcessingModelParameter(definition.name())
        component.setDescription(definition.description())
        component.setPosition(QPointF(INPUT_X, y))
        component.setSize(QSizeF(*INPUT_SIZE))
        model.addModelParameter(definition, component)
    model.setParameterOrder([d.name() for d, *_ in inputs])

    def param(name):
        return [c.QgsProcessingModelChildParameterSource.fromModelParameter(name)]

    def static(value):
        return [c.QgsProcessingModelChildParameterSource.fromStaticValue(value)]

    def output_of(child_id, name):
        return c.QgsProcessingModelChildParameterSource.fromChildOutput(child_id, name)

    def child(child_id, algorithm, description, position, sources, outputs):
        alg = c.QgsProcessingModelChildAlgorithm(f"hotblocking:{algorithm}")
        alg.setChildId(child_id)
        alg.setDescription(description)
        alg.setPosition(QPointF(*position))
        alg.setSize(QSizeF(*CHILD_SIZE))
        for name, value in sources.items():
            alg.addParameterSources(name, value)
        # As the modeller's child dialog does: every other input stored with its default.
        for definition in registry.algorithmById(f"hotblocking:{algorithm}").parameterDefinitions():
            if not definition.isDestination() and definition.name() not in sources:
                alg.addParameterSources(definition.name(), static(definition.defaultValue()))
        model_outputs = {}
        for name, child_output, (x, y) in outputs:
            output = c.QgsProcessingModelOutput(name, name)  # as the modeller makes them
            output.setChildId(child_id)
            output.setChildOutputName(child_output)
            output.setMandatory(True)
            output.setDefaultValue(c.QgsProcessing.TEMPORARY_OUTPUT)  # as the dialog offers
            output.setPosition(QPointF(x, y))
            output.setSize(QSizeF(*OUTPUT_SIZE))
            model_outputs[name] = output
        alg.setModelOutputs(model_outputs)
        model.addChildAlgorithm(alg)

    child(
        "buildblocks",
        "buildblocks",
        "Build blocks from road links",
        (CHILD_X, 90),
        {"INPUT": param("ROADS"), "MAX_LENGTH": param("MAX_LENGTH")},
        [("Blocks", "OUTPUT", (OUTPUT_X, 40))],
    )

    for child_id, label, layer, time, end, harm, words, y in SOURCES:
        sources = {
            "INCIDENTS": param(layer),
            "SOURCE": static(label),
            "BLOCKS": [output_of("buildblocks", "OUTPUT")],
            "MAX_DISTANCE": param("MAX_DISTANCE"),
            "TIME_FIELD": param(time),
        }
        if end:
            sources["END_TIME_FIELD"] = param(end)
        if harm:
            sources["WEIGHT_FIELD"] = param(harm)
        # Output names are unique in the model: the modeller labels an output by its name.
        outputs = [
            (f"Joined {words} incidents", "OUTPUT", (OUTPUT_X, y - 30)),
            (f"Unmatched {words} incidents", "UNMATCHED", (OUTPUT_X, y + 30)),
        ]
        child(
            child_id,
            "joinincidents",
            f"Join {words} incidents to blocks",
            (CHILD_X, y),
            sources,
            outputs,
        )

    child(
        "computerisk",
        "computerisk",
        "Compute hot-block risk by time window",
        (RISK_X, 480),
        {
            "BLOCKS": [output_of("buildblocks", "OUTPUT")],
            "INCIDENTS": [output_of(child_id, "OUTPUT") for child_id, *_ in SOURCES],
            "WINDOWS": param("WINDOWS"),
            "HOT_RULE": static(0),
            "HOT_VALUE": static(10.0),
        },
        [("Hot blocks", "OUTPUT", (FINAL_X, 480))],
    )

    child(
        "taskingbrief",
        "taskingbrief",
        "Patrol tasking brief (PDF)",
        (RISK_X, 930),
        {
            "HOTBLOCKS": [output_of("computerisk", "OUTPUT")],
            "CONTEXT": [output_of("buildblocks", "OUTPUT")],
            "WINDOWS": param("WINDOWS"),
            "TITLE": param("TITLE"),
            "AREA": param("AREA"),
            "TOP_N": param("TOP_N"),
        },
        [("Tasking brief", "OUTPUT", (FINAL_X, 930))],
    )

    problems = [
        f"{child_id}: {issue}"
        for child_id in model.childAlgorithms()
        for issue in model.validateChildAlgorithm(child_id)[1]
    ]
    if problems:
        raise RuntimeError("invalid model: " + "; ".join(problems))
    help_content = model.helpContent()  # outputs are listed in the help with their own help
    for definition in model.destinationParameterDefinitions():
        help_content[definition.name()] = definition.help()
    model.setHelpContent(help_content)
    return model


def model_xml(model) -> str:
    """The .model3 text: what ``toFile`` writes, with attributes in a fixed order.

    Qt writes XML attributes in hash order, which changes from run to run; ordering them
    (name, type, value) makes the file the same every time, so it diffs cleanly in git.
    """
    import xml.etree.ElementTree as ET

    from qgis.core import QgsXmlUtils
    from qgis.PyQt.QtXml import QDomDocument

    doc = QDomDocument("model")
    doc.appendChild(QgsXmlUtils.writeVariant(model.toVariant(), doc))
    root = ET.fromstring(doc.toString(2))
    order = {"name": 0, "type": 1, "value": 2}
    for element in root.iter():
        items = sorted(element.attrib.items(), key=lambda kv: (order.get(kv[0], 3), kv[0]))
        element.attrib.clear()
        element.attrib.update(items)
    ET.indent(root, "  ")
    return "<!DOCTYPE model>\n" + ET.tostring(root, encoding="unicode") + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(MODEL_FILE), help="where to write the .model3")
    args = parser.parse_args(argv)
    from standalone import start_qgis

    start_qgis()
    model = build_model()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(model_xml(model), encoding="utf-8")
    print(
        f"{model.displayName()!r}: {len(model.parameterDefinitions())} parameters, "
        f"{len(model.childAlgorithms())} steps, {len(model.outputDefinitions())} outputs "
        f"-> {out}"
    )
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # QGIS 3.22 may crash on interpreter exit after Processing runs
