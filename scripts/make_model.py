"""Build the shipped graphical models in models/:

* hot_blocking_roads_incidents_to_brief.model3: ambulance, A&E and police (three sources);
* hot_blocking_one_source_to_brief.model3 and hot_blocking_two_sources_to_brief.model3: any
  one or two incident layers, each with its own label, time fields, harm field and filter.

A QGIS 3.22 model cannot skip a step whose input was left empty: a conditional branch skips
the step, and every step after it (the risk and the brief) with it, without an error. So
each number of sources has its own model, and no source is ever given twice to fill a slot
(computerisk refuses joined layers that hold the same incidents).

Each model chains the provider's algorithms as scripts/demo.py does: road links -> blocks ->
incidents joined to blocks -> risk per block per time window -> tasking brief PDF. Each is
made with the public model API (QgsProcessingModelAlgorithm and friends), so it opens,
edits and runs in the graphical modeller like a hand-drawn one; this script is its source of
truth. Run it after changing an algorithm's parameters:

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
# Models for fewer sources: number of sources -> (name, file)
FEWER_SOURCES = {
    1: (
        "Hot Blocking: roads + one incident source to brief",
        ROOT / "models" / "hot_blocking_one_source_to_brief.model3",
    ),
    2: (
        "Hot Blocking: roads + two incident sources to brief",
        ROOT / "models" / "hot_blocking_two_sources_to_brief.model3",
    ),
}
DEFAULT_TIMEZONE = "Europe/London"  # hotblocking.constants.DEFAULT_TIMEZONE
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
        "model. With one or two sources, use the models 'roads + one incident source to "
        "brief' or 'roads + two incident sources to brief': never give one layer as two "
        "sources (its incidents would count twice; the risk step refuses it). Distances are "
        "in the road layer's units, which must be projected (metres, e.g. EPSG:27700). "
        "Times are wall clock of the time zone (default Europe/London)."
    ),
    "ALG_CREATOR": "Hot Blocking",
    "ALG_HELP_CREATOR": "Hot Blocking",
    "SHORT_DESCRIPTION": (
        "Road links and ambulance, A&E and police incidents to blocks, hot blocks by time "
        "window and a patrol tasking brief (PDF), in one run."
    ),
}


TEXT_TIME = (
    "DateTime, Date or text: ISO 8601, UK day-first (never month-first), a date or a month "
    "such as 2018-07"
)


def model_inputs(c):
    """The three-source model's inputs in toolbox order: (definition, help, y)."""
    return _laid_out(head_inputs(c) + named_source_inputs(c) + tail_inputs(c))


def sources_model_inputs(c, count: int):
    """The inputs of the model for ``count`` generic sources, in toolbox order."""
    sources = [item for k in range(1, count + 1) for item in generic_source_inputs(c, k, count)]
    return _laid_out(head_inputs(c) + sources + tail_inputs(c))


def _laid_out(inputs):
    """Inputs one under the other in the modeller, in toolbox order."""
    return [
        (definition, help_text, 60 + 60 * i) for i, (definition, help_text) in enumerate(inputs)
    ]


def head_inputs(c):
    """Roads and joining: (definition, help)."""
    line = [c.QgsProcessing.TypeVectorLine]
    return [
        (
            c.QgsProcessingParameterFeatureSource("ROADS", "Road links", line),
            "Road lines in any CRS: OS Open Roads, MasterMap Highways RoadLink, an OSM extract "
            "(file.osm.pbf|layername=lines) or any line layer.",
        ),
        (
            c.QgsProcessingParameterDistance(
                "MAX_LENGTH", "Maximum block length", 100.0, "ROADS", minValue=0.0
            ),
            "Pieces longer than this are cut into equal parts no longer than it (road layer "
            "units; metres for a layer in degrees). 0 keeps them whole.",
        ),
        (
            c.QgsProcessingParameterExpression(
                "EXCLUDE", "Exclude links where", parentLayerParameterName="ROADS", optional=True
            ),
            "Road links for which this expression is true are left out of the blocks, e.g. "
            "\"road_classification\" = 'Motorway'. Empty: every link.",
        ),
        (
            c.QgsProcessingParameterDistance(
                "MAX_DISTANCE", "Maximum distance to a block", 50.0, "ROADS", minValue=0.0
            ),
            "Incidents farther than this from every block are not joined (reason: beyond max "
            "distance), for every source. In the blocks' units (metres when the roads were in "
            "degrees); 0 = no limit.",
        ),
    ]


def tail_inputs(c):
    """Risk and brief: (definition, help)."""
    return [
        (
            c.QgsProcessingParameterString("WINDOWS", "Time windows", DEFAULT_WINDOWS),
            "Windows separated by ';': [LABEL=]DAYS HH:MM-HH:MM, or LABEL=all for the whole "
            "period at any time of day (records known only by date or month count only "
            "there), e.g. 'Fri/Sat nights=Fri-Sat 22:00-04:00; Lunch=weekdays 11:00-15:00'. "
            "The brief covers the first window.",
        ),
        (
            c.QgsProcessingParameterDistance(
                "BANDWIDTH", "Network smoothing bandwidth", 0.0, "ROADS", minValue=0.0
            ),
            "Spread each block's risk over blocks within this network distance, with a "
            "triangular kernel that conserves the total. In the blocks' units (metres when the "
            "roads were in degrees). 0 = off.",
        ),
        (
            c.QgsProcessingParameterString(
                "TIMEZONE", "Time zone of the records", DEFAULT_TIMEZONE
            ),
            "The IANA time zone the records' wall clock belongs to (e.g. Europe/London, "
            "America/Phoenix), for every step: reading times, windows, profiles and the brief.",
        ),
        (
            c.QgsProcessingParameterString("TITLE", "Brief title", DEFAULT_TITLE),
            "The brief's title (cover).",
        ),
        (
            c.QgsProcessingParameterString("AREA", "Brief area", "", optional=True),
            "Optional: the area covered, e.g. 'West End, Westminster' (cover and page headers).",
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
        ),
        (
            c.QgsProcessingParameterMultipleLayers(
                "CONTEXT",
                "Brief context layers (drawn beneath)",
                c.QgsProcessing.TypeMapLayer,
                optional=True,
            ),
            "Layers drawn in grey under the blocks on the brief's maps, e.g. buildings or a "
            "basemap, beside the blocks themselves (always drawn).",
        ),
    ]


def generic_source_inputs(c, k: int, count: int):
    """One generic source's inputs: (definition, help). ``k`` counts from 1."""
    suffix = f"_{k}" if count > 1 else ""
    words = f" {k}" if count > 1 else ""
    field = c.QgsProcessingParameterField
    layer = f"INCIDENTS{suffix}"
    return [
        (
            c.QgsProcessingParameterFeatureSource(
                layer, f"Incidents{words}", [c.QgsProcessing.TypeVectorPoint]
            ),
            "Incident points of one source (ambulance call-outs, geocoded A&E records, "
            "police crimes, a data.police.uk CSV added as a delimited-text layer...).",
        ),
        (
            c.QgsProcessingParameterString(
                f"SOURCE{suffix}", f"Incidents{words}: source label", "", optional=True
            ),
            "The source's name in the outputs and the brief, e.g. police. Empty: the layer's "
            "name. Give each source its own label.",
        ),
        (
            field(f"TIME{suffix}", f"Incidents{words}: time field",
                  parentLayerParameterName=layer, optional=True),
            f"When it happened, or the start of a from/to range ({TEXT_TIME}). Empty: "
            "detected (a from/to pair is a range; the log says which fields were used).",
        ),
        (
            field(f"END_TIME{suffix}", f"Incidents{words}: end time field",
                  parentLayerParameterName=layer, optional=True),
            "Optional end of a from/to range (e.g. committed_to), counted aoristically.",
        ),
        (
            field(f"HARM{suffix}", f"Incidents{words}: harm weight field",
                  parentLayerParameterName=layer, type=field.Numeric, optional=True),
            "Optional harm weight per incident (e.g. Cambridge Crime Harm Index days): the hot "
            "blocks' harm column and the brief's harm figures.",
        ),
        (
            c.QgsProcessingParameterExpression(
                f"FILTER{suffix}", f"Incidents{words}: only where",
                parentLayerParameterName=layer, optional=True,
            ),
            "Optional: only incidents for which this expression is true are read, e.g. "
            "\"Crime type\" = 'Violence and sexual offences'. The log counts the others.",
        ),
    ]  # fmt: skip


def named_source_inputs(c):
    """The three-source model's ambulance, A&E and police inputs: (definition, help)."""
    source = c.QgsProcessingParameterFeatureSource
    field = c.QgsProcessingParameterField
    point = [c.QgsProcessing.TypeVectorPoint]
    text_time = TEXT_TIME
    return [
        (
            source("AMBULANCE", "Ambulance call-outs", point),
            "Ambulance call-out points for assault.",
        ),
        (
            field("AMBULANCE_TIME", "Ambulance: time field", parentLayerParameterName="AMBULANCE"),
            f"When the call happened ({text_time}).",
        ),
        (
            source("AE", "A&E assaults (ISTV)", point),
            "Geocoded A&E assault records (Cardiff Model / ISTV data).",
        ),
        (
            field("AE_TIME", "A&E: time field", parentLayerParameterName="AE"),
            f"When the assault happened ({text_time}).",
        ),
        (source("POLICE", "Police crimes", point), "Recorded violent crimes (points)."),
        (
            field("POLICE_TIME", "Police: committed from field", parentLayerParameterName="POLICE"),
            f"When the crime happened, or the start of its committed from/to range ({text_time}).",
        ),
        (
            field(
                "POLICE_END_TIME",
                "Police: committed to field",
                parentLayerParameterName="POLICE",
                optional=True,
            ),
            "Optional end of the committed from/to range, counted aoristically. Empty: instants.",
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
        ),
    ]


def named_joins():
    """The three-source model's join steps: (child id, parameter sources by kind, words, y).

    Kinds: layer, label (static), time, end, harm (model inputs, None when absent)."""
    return [
        (child_id, {"layer": layer, "label": label, "time": time, "end": end, "harm": harm},
         words, y)
        for child_id, label, layer, time, end, harm, words, y in SOURCES
    ]  # fmt: skip


def generic_joins(count: int):
    """The joins of the model for ``count`` generic sources (see :func:`named_joins`)."""
    joins = []
    for k in range(1, count + 1):
        suffix = f"_{k}" if count > 1 else ""
        kinds = {
            "layer": f"INCIDENTS{suffix}",
            "label_input": f"SOURCE{suffix}",
            "time": f"TIME{suffix}",
            "end": f"END_TIME{suffix}",
            "harm": f"HARM{suffix}",
            "filter": f"FILTER{suffix}",
        }
        words = f"incidents {k}" if count > 1 else "incidents"
        joins.append((f"join_{k}" if count > 1 else "join", kinds, words, 300 + 240 * (k - 1)))
    return joins


def build_model():
    """The three-source model (ambulance, A&E, police); Hot Blocking's provider must be
    registered."""
    import qgis.core as c

    return _assemble(
        MODEL_NAME, HELP, model_inputs(c), named_joins(), lambda words: f"{words} incidents"
    )


def build_sources_model(count: int):
    """The model for one or two generic incident sources."""
    import qgis.core as c

    sources = "one incident source" if count == 1 else "two incident sources"
    help_content = {
        **HELP,
        "ALG_DESC": (
            f"The whole Hot Blocking pipeline in one run, for {sources}: road links are cut "
            "into blocks; the incidents are joined to their nearest block; risk is computed "
            "per block per time window; and a patrol tasking brief (PDF) is made for the "
            "first window.\n\n"
            "Each incident layer is given once, with its own label, time fields, harm field "
            'and filter (e.g. a data.police.uk CSV: time field Month, filter "Crime type" '
            "= 'Violence and sexual offences', windows 'Whole period=all'). Every step is one "
            "of the Hot Blocking algorithms, with their defaults for everything not asked for "
            "here (hot blocks = top 10 per window). For ambulance, A&E and police together "
            "use the model 'roads + incidents to brief'.\n\n"
            "Distances are in the road layer's units, which must be projected (metres, e.g. "
            "EPSG:27700). Times are wall clock of the time zone (default Europe/London)."
        ),
        "SHORT_DESCRIPTION": (
            f"Road links and {sources} to blocks, hot blocks by time window and a patrol "
            "tasking brief (PDF), in one run."
        ),
    }
    return _assemble(
        FEWER_SOURCES[count][0],
        help_content,
        sources_model_inputs(c, count),
        generic_joins(count),
        lambda words: words,
    )


def _assemble(name, help_content, inputs, joins, output_words):
    """A model from its inputs and join steps: blocks, joins, risk, brief."""
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

    model = c.QgsProcessingModelAlgorithm(name, MODEL_GROUP, "hotblocking")
    # A model keeps its inputs' help in its help content, by parameter name (as the
    # modeller's "Edit Model Help" does); loading the model gives each input its help.
    model.setHelpContent({**help_content, **{d.name(): h for d, h, _ in inputs}})
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
        {"INPUT": param("ROADS"), "MAX_LENGTH": param("MAX_LENGTH"), "EXCLUDE": param("EXCLUDE")},
        [("Blocks", "OUTPUT", (OUTPUT_X, 40))],
    )

    for child_id, kinds, words, y in joins:
        sources = {
            "INCIDENTS": param(kinds["layer"]),
            "SOURCE": static(kinds["label"]) if "label" in kinds else param(kinds["label_input"]),
            "BLOCKS": [output_of("buildblocks", "OUTPUT")],
            "MAX_DISTANCE": param("MAX_DISTANCE"),
            "TIMEZONE": param("TIMEZONE"),
        }
        for kind, parameter in (
            ("time", "TIME_FIELD"),
            ("end", "END_TIME_FIELD"),
            ("harm", "WEIGHT_FIELD"),
            ("filter", "FILTER"),
        ):
            if kinds.get(kind):
                sources[parameter] = param(kinds[kind])
        # Output names are unique in the model: the modeller labels an output by its name.
        outputs = [
            (f"Joined {output_words(words)}", "OUTPUT", (OUTPUT_X, y - 30)),
            (f"Unmatched {output_words(words)}", "UNMATCHED", (OUTPUT_X, y + 30)),
        ]
        child(
            child_id,
            "joinincidents",
            f"Join {output_words(words)} to blocks",
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
            "INCIDENTS": [output_of(child_id, "OUTPUT") for child_id, *_ in joins],
            "WINDOWS": param("WINDOWS"),
            "HOT_RULE": static(0),
            "HOT_VALUE": static(10.0),
            "BANDWIDTH": param("BANDWIDTH"),
            "TIMEZONE": param("TIMEZONE"),
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
            "CONTEXT": [output_of("buildblocks", "OUTPUT")] + param("CONTEXT"),
            "WINDOWS": param("WINDOWS"),
            "TITLE": param("TITLE"),
            "AREA": param("AREA"),
            "TOP_N": param("TOP_N"),
            "TIMEZONE": param("TIMEZONE"),
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


def all_models() -> dict:
    """Every shipped model by its file."""
    return {
        MODEL_FILE: build_model(),
        **{path: build_sources_model(count) for count, (_, path) in FEWER_SOURCES.items()},
    }


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
    parser.add_argument(
        "--out", default="", help="a folder for the .model3 files (default models/)"
    )
    args = parser.parse_args(argv)
    from standalone import start_qgis

    start_qgis()
    for path, model in all_models().items():
        out = Path(args.out) / path.name if args.out else path
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
