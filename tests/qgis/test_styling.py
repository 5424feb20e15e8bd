"""Styled outputs: loaded styled through post-processors, default styles inside GeoPackages,
hotblocking:stylehotblocks restyling, on a 10-block street with known risks.

The street: one 1 km link cut into ten 100 m blocks S:1..S:10. Friday-night incidents: 5 on
S:1, 3 on S:2, 1 on S:3 (percentiles 100, 90, 80; the seven empty blocks 70), and one Monday
lunchtime incident on S:10. Top 2 per window are hot.
"""

import importlib.util
import sqlite3
from pathlib import Path

import pytest
from hb_layers import write_gpkg
from hotblocking_under_test.processing.style_hot_blocks import STYLE_CHOICES
from osgeo import ogr
from qgis.core import (
    QgsExpressionContextUtils,
    QgsFeature,
    QgsGeometry,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsPalLayerSettings,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRenderContext,
    QgsSimpleMarkerSymbolLayerBase,
    QgsSingleSymbolRenderer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize

ROOT = Path(__file__).resolve().parents[2]
WINDOWS = "Fri/Sat nights=Fri-Sat 22:00-04:00; Lunch=weekdays 11:00-15:00"
FRIDAY = "2025-06-06T23:30:00"
MONDAY_LUNCH = "2025-06-09T12:00:00"


def _incidents(tmp):
    rows = []
    for block, count in ((1, 5), (2, 3), (3, 1)):
        rows += [
            (f"POINT ({block * 100 - 50} 5)", {"ref": f"b{block}-{i}", "t": FRIDAY})
            for i in range(count)
        ]
    rows.append(("POINT (950 5)", {"ref": "lunch", "t": MONDAY_LUNCH}))
    rows.append(("POINT (500 500)", {"ref": "far", "t": FRIDAY}))  # unmatched: 495 m away
    return write_gpkg(
        tmp / "incidents.gpkg", "ambulance", ogr.wkbPoint, rows, [("ref", "str"), ("t", "datetime")]
    )


@pytest.fixture()
def street(plugin, tmp_path):
    roads = write_gpkg(
        tmp_path / "roads.gpkg",
        "roads",
        ogr.wkbLineString,
        [("LINESTRING (0 0, 1000 0)", {"id": "S", "name": "High St"})],
        [("id", "str"), ("name", "str")],
    )
    return {"roads": roads, "incidents": _incidents(tmp_path), "dir": tmp_path}


@pytest.fixture()
def project(plugin):
    """QgsProject.instance(), with every layer a test loads removed afterwards."""
    instance = QgsProject.instance()
    before = set(instance.mapLayers())
    yield instance
    instance.removeMapLayers([i for i in instance.mapLayers() if i not in before])


def run_and_load(algorithm, parameters):
    import processing  # QGIS's, importable once the qgis_processing fixture ran

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    results = processing.runAndLoadResults(
        f"hotblocking:{algorithm}", parameters, feedback=QgsProcessingFeedback(), context=context
    )
    assert results is not None
    return results


def pipeline(street, load):
    """buildblocks -> joinincidents -> computerisk; returns their results."""
    import processing

    run = (
        run_and_load
        if load
        else (
            lambda alg, params: processing.run(
                f"hotblocking:{alg}",
                params,
                context=QgsProcessingContext(),
                feedback=QgsProcessingFeedback(),
            )
        )
    )
    d = street["dir"]
    blocks = run(
        "buildblocks",
        {
            "INPUT": street["roads"],
            "ID_FIELD": "id",
            "NAME_FIELD": "name",
            "MAX_LENGTH": 100,
            "OUTPUT": str(d / "blocks.gpkg"),
        },
    )
    joined = run(
        "joinincidents",
        {
            "INCIDENTS": street["incidents"],
            "SOURCE": "ambulance",
            "BLOCKS": blocks["OUTPUT"],
            "MAX_DISTANCE": 50,
            "TIME_FIELD": "t",
            "OUTPUT": str(d / "joined.gpkg"),
            "UNMATCHED": str(d / "unmatched.gpkg"),
        },
    )
    risk = run(
        "computerisk",
        {
            "BLOCKS": blocks["OUTPUT"],
            "INCIDENTS": [joined["OUTPUT"]],
            "WINDOWS": WINDOWS,
            "HOT_RULE": 0,
            "HOT_VALUE": 2,
            "MERGE_MINUTES": 0,  # the street's repeated records are meant as separate incidents
            "OUTPUT": str(d / "hot.gpkg"),
        },
    )
    return blocks, joined, risk


def loaded(project, path):
    layers = [
        lyr for lyr in project.mapLayers().values() if lyr.source().split("|")[0] == str(path)
    ]
    assert len(layers) == 1, [lyr.source() for lyr in project.mapLayers().values()]
    return layers[0]


def rendered(layer):
    """{window: {block_id: line width}} of the features the renderer draws."""
    context = QgsRenderContext()
    context.expressionContext().appendScopes(
        QgsExpressionContextUtils.globalProjectLayerScopes(layer)
    )
    renderer = layer.renderer().clone()
    renderer.startRender(context, layer.fields())
    drawn = {}
    for feature in layer.getFeatures():
        context.expressionContext().setFeature(feature)
        symbols = renderer.symbolsForFeature(feature, context)
        if symbols:
            assert len(symbols) == 1
            drawn.setdefault(feature["window"], {})[feature["block_id"]] = symbols[0].width()
    renderer.stopRender(context)
    return drawn


def label_texts(layer):
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setExtent(layer.extent().buffered(200))
    settings.setOutputSize(QSize(800, 300))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    return sorted(label.labelText for label in job.takeLabelingResults().allLabels())


def style_rows(path):
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT f_table_name, styleName, useAsDefault FROM layer_styles"
        ).fetchall()


def test_outputs_load_styled(street, project):
    pipeline(street, load=True)
    d = street["dir"]

    blocks = loaded(project, d / "blocks.gpkg")
    assert isinstance(blocks.renderer(), QgsSingleSymbolRenderer)
    symbol = blocks.renderer().symbol()
    assert (symbol.width(), symbol.color().name()) == (0.35, "#8c8c8c")
    assert blocks.labelsEnabled()
    street_names = blocks.labeling().settings()
    assert street_names.fieldName == "name" and street_names.placement == QgsPalLayerSettings.Line
    assert street_names.scaleVisibility and street_names.minimumScale == 10000

    hot = loaded(project, d / "hot.gpkg")
    assert hot.renderer().type() == "RuleRenderer" and hot.renderer().usingSymbolLevels()
    rules = hot.renderer().rootRule().children()
    assert [(r.symbol().width(), r.symbol().color().name()) for r in rules] == [
        (2.2, "#7f0000"),
        (1.5, "#d7301f"),
        (1.0, "#fc8d59"),
        (0.3, "#fdd49e"),
        (0.2, "#d9d9d9"),
    ]
    passes = [r.symbol().symbolLayer(0).renderingPass() for r in rules]
    assert passes == sorted(passes, reverse=True)  # top 1% drawn last, on top
    assert hot.labelsEnabled() and hot.labeling().type() == "rule-based"
    (label_rule,) = hot.labeling().rootRule().children()
    assert (
        label_rule.settings().fieldName == "rank" and label_rule.settings().format().font().bold()
    )
    assert label_rule.settings().format().buffer().enabled()
    # The first window only, by rule filter (no subset string); widths encode the class.
    assert hot.subsetString() == ""
    assert (
        QgsExpressionContextUtils.layerScope(hot).variable("hotblocking_window") == "Fri/Sat nights"
    )
    drawn = rendered(hot)
    assert list(drawn) == ["Fri/Sat nights"]
    widths = drawn["Fri/Sat nights"]
    assert (widths["S:1"], widths["S:2"], widths["S:3"]) == (2.2, 1.0, 0.3)
    assert {widths[f"S:{i}"] for i in range(4, 11)} == {0.2}
    assert label_texts(hot) == ["1", "2"]  # Lunch's rank-1 block S:10 is not labelled

    joined = loaded(project, d / "joined.gpkg")
    assert joined.renderer().type() == "categorizedSymbol"
    shapes = QgsSimpleMarkerSymbolLayerBase
    assert [
        (c.value(), c.symbol().symbolLayer(0).shape()) for c in joined.renderer().categories()
    ] == [
        ("ambulance", shapes.Triangle),
        ("A&E", shapes.Square),
        ("police", shapes.Diamond),
        ("", shapes.Circle),
    ]  # "" = all other sources
    assert {c.symbol().size() for c in joined.renderer().categories()} == {2.0}

    unmatched = loaded(project, d / "unmatched.gpkg")
    marker = unmatched.renderer().symbol().symbolLayer(0)
    assert marker.color().alpha() == 0 and marker.strokeColor().name() == "#e31a1c"
    assert '"reason"' in unmatched.mapTipTemplate()


def test_window_is_a_layer_variable(street, project):
    _, _, risk = pipeline(street, load=False)
    hot = QgsVectorLayer(risk["OUTPUT"], "hot", "ogr")
    QgsExpressionContextUtils.setLayerVariable(hot, "hotblocking_window", "Lunch")
    drawn = rendered(hot)
    assert list(drawn) == ["Lunch"] and drawn["Lunch"]["S:10"] == 2.2
    QgsExpressionContextUtils.setLayerVariables(hot, {})
    assert sorted(rendered(hot)) == ["Fri/Sat nights", "Lunch"]  # no variable: every window


def test_default_styles_are_written_into_the_geopackages(street):
    blocks, joined, risk = pipeline(street, load=False)  # nothing loads: files only
    d = street["dir"]
    assert style_rows(d / "hot.gpkg") == [("hot_blocks", "Hot blocks", 1)]
    assert style_rows(d / "blocks.gpkg") == [("blocks", "Blocks", 1)]
    assert style_rows(d / "joined.gpkg") == [("joined_incidents", "Joined incidents", 1)]
    assert style_rows(d / "unmatched.gpkg") == [("unmatched_incidents", "Unmatched incidents", 1)]

    fresh = QgsVectorLayer(risk["OUTPUT"], "dragged in", "ogr")  # as any project opens it
    assert fresh.renderer().type() == "RuleRenderer"
    assert (
        QgsExpressionContextUtils.layerScope(fresh).variable("hotblocking_window")
        == "Fri/Sat nights"
    )
    assert QgsVectorLayer(joined["OUTPUT"], "j", "ogr").renderer().type() == "categorizedSymbol"
    assert QgsVectorLayer(blocks["OUTPUT"], "b", "ogr").renderer().symbol().width() == 0.35

    pipeline(street, load=False)  # again into the same files: the row is replaced, no prompt
    assert style_rows(d / "hot.gpkg") == [("hot_blocks", "Hot blocks", 1)]


def test_post_processor_only_when_the_output_loads(plugin, tmp_path):
    styling = importlib.import_module("hotblocking_under_test.processing.styling")
    context = QgsProcessingContext()
    uri = f"{tmp_path / 'b.gpkg'}|layername=blocks"
    assert not styling.attach_style(context, uri, "blocks")
    assert context.layersToLoadOnCompletion() == {}

    context.addLayerToLoadOnCompletion(
        str(tmp_path / "b.gpkg"),
        QgsProcessingContext.LayerDetails("Blocks", QgsProject.instance(), "OUTPUT"),
    )
    gpkg_form = f"ogr:dbname='{tmp_path / 'h.gpkg'}' table=\"hot_blocks\" (geom)"
    context.addLayerToLoadOnCompletion(
        gpkg_form, QgsProcessingContext.LayerDetails("Hot", QgsProject.instance(), "OUTPUT")
    )
    assert styling.attach_style(context, uri, "blocks")
    assert styling.attach_style(
        context, f"{tmp_path / 'h.gpkg'}|layername=hot_blocks", "hot_blocks"
    )
    assert not styling.attach_style(context, f"{tmp_path / 'h.gpkg'}|layername=other", "hot_blocks")
    details = context.layersToLoadOnCompletion()
    assert details[str(tmp_path / "b.gpkg")].postProcessor().style == "blocks"
    assert details[gpkg_form].postProcessor().style == "hot_blocks"


@pytest.mark.parametrize(
    "fields, expected",
    [
        (
            [
                "fid",
                "block_id",
                "link_id",
                "name",
                "window",
                "incidents",
                "risk",
                "rank",
                "percentile",
                "hot",
            ],
            "hot_blocks",
        ),
        (["block_id", "link_id", "part", "name", "road_class", "length_m"], "blocks"),
        (
            ["ref", "incident_id", "source", "block_id", "snap_dist", "time_start"],
            "joined_incidents",
        ),
        (["ref", "incident_id", "source", "reason"], "unmatched_incidents"),
        (["block_id", "window", "day", "hour", "value"], None),  # the profiles table: no style
    ],
)
def test_detect_style(plugin, fields, expected):
    styling = importlib.import_module("hotblocking_under_test.processing.styling")
    assert styling.detect_style(fields) == expected


def _unstyled(uri):
    layer = QgsVectorLayer(uri, "plain", "ogr", QgsVectorLayer.LayerOptions(False, False))
    assert isinstance(layer.renderer(), QgsSingleSymbolRenderer)
    return layer


def test_stylehotblocks_restyles_a_project_layer(street, project, run):
    _, _, risk = pipeline(street, load=False)
    path = street["dir"] / "hot.gpkg"
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM layer_styles")
    layer = _unstyled(risk["OUTPUT"])
    project.addMapLayer(layer)
    context = QgsProcessingContext()
    context.setProject(project)
    result = run("stylehotblocks", {"INPUT": layer.id(), "SAVE_AS_DEFAULT": False}, context=context)
    assert result["OUTPUT"] == layer.id()
    assert layer.renderer().type() == "RuleRenderer" and layer.labelsEnabled()
    assert style_rows(path) == []  # not asked to save
    assert list(context.layersToLoadOnCompletion()) == []  # already in the project

    run("stylehotblocks", {"INPUT": layer.id(), "STYLE": 2}, context=context)  # 2 = hot blocks
    assert style_rows(path) == [("hot_blocks", "Hot blocks", 1)]


def test_stylehotblocks_loads_a_file_styled(street, project):
    blocks, _, _ = pipeline(street, load=False)
    run_and_load("stylehotblocks", {"INPUT": blocks["OUTPUT"], "SAVE_AS_DEFAULT": False})
    layer = loaded(project, street["dir"] / "blocks.gpkg")
    assert (
        layer.renderer().symbol().width() == 0.35
        and layer.labeling().settings().fieldName == "name"
    )


def test_stylehotblocks_refuses_other_layers(street, run):
    plain = _unstyled(street["roads"])
    feedback = QgsProcessingFeedback()
    with pytest.raises(QgsProcessingException):
        run("stylehotblocks", {"INPUT": plain}, feedback=feedback)
    assert "does not have the fields of a Hot Blocking output" in feedback.textLog()
    assert isinstance(plain.renderer(), QgsSingleSymbolRenderer)
    run("stylehotblocks", {"INPUT": plain, "STYLE": 1, "SAVE_AS_DEFAULT": False})  # by hand: blocks
    assert plain.renderer().symbol().width() == 0.35
    points = _unstyled(street["incidents"])
    feedback = QgsProcessingFeedback()
    with pytest.raises(QgsProcessingException):
        run("stylehotblocks", {"INPUT": points, "STYLE": 1}, feedback=feedback)
    assert "Could not apply the Blocks style" in feedback.textLog()


def test_qml_files_are_what_make_styles_builds(plugin):
    spec = importlib.util.spec_from_file_location("make_styles", ROOT / "styles" / "make_styles.py")
    make_styles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_styles)
    for name in make_styles.LAYERS:
        built = make_styles.build(name)
        from_file = QgsVectorLayer(built.source(), name, "memory")
        message, ok = from_file.loadNamedStyle(str(ROOT / "styles" / f"{name}.qml"))
        assert ok, message
        assert (
            from_file.renderer().dump() == built.renderer().dump()
        ), f"regenerate styles/{name}.qml"
        assert from_file.labelsEnabled() == built.labelsEnabled()
        assert from_file.mapTipTemplate() == built.mapTipTemplate()


# --- label fonts: none named, so no machine's substitute travels with the styles ----------------


def test_the_qml_files_name_no_font(plugin):
    from hb_fonts import ALLOWED_FAMILIES, font_families

    for path in sorted((ROOT / "styles").glob("*.qml")):
        text = path.read_text(encoding="utf-8")
        assert font_families(text) <= ALLOWED_FAMILIES, path.name
    assert "<text-style" in (ROOT / "styles" / "hot_blocks.qml").read_text(encoding="utf-8")


def test_saved_default_styles_and_projects_name_no_font(street, tmp_path):
    from hb_fonts import ALLOWED_FAMILIES, font_families

    blocks, _, risk = pipeline(street, load=False)
    with sqlite3.connect(street["dir"] / "hot.gpkg") as db:
        ((qml, sld),) = db.execute("SELECT styleQML, styleSLD FROM layer_styles").fetchall()
    assert "<text-style" in qml and font_families(qml + sld) <= ALLOWED_FAMILIES
    # QGIS itself writes the font it drew with into a project: the demo takes it out
    # (scripts/demo.py, checked in test_demo.py); a layer opened from the file is fine.
    layer = QgsVectorLayer(risk["OUTPUT"], "hot", "ogr")
    fmt = layer.labeling().rootRule().children()[0].settings().format()
    assert fmt.fontFound()


@pytest.mark.parametrize("style", ["blocks", "hot_blocks"])
def test_a_style_without_a_family_draws_in_the_default_font_without_a_warning(plugin, style):
    # What QGIS 3.22 does with the three choices, measured: no family -> the application's
    # font, no warning; a named family missing here -> a warning and a substitute; an empty
    # family -> no warning, but Qt's first font (not the default).
    from qgis.core import QgsReadWriteContext, QgsTextFormat
    from qgis.PyQt.QtGui import QFont, QFontInfo
    from qgis.PyQt.QtXml import QDomDocument

    def read(attribute):
        document = QDomDocument()
        document.setContent(f'<text-style fontSize="10"{attribute}/>')
        fmt, context = QgsTextFormat(), QgsReadWriteContext()
        fmt.readXml(document.documentElement(), context)
        messages = [m.message() for m in context.takeMessages()]
        return fmt, messages

    default = QFontInfo(QFont()).family()
    fmt, messages = read("")
    assert messages == [] and fmt.fontFound()
    assert QFontInfo(fmt.font()).family() == default
    _, messages = read(' fontFamily="No Such Font Family"')
    assert messages == ["Font “No Such Font Family” not available on system"]

    layer = QgsVectorLayer("LineString?field=name:string&field=window:string", "x", "memory")
    message, ok = layer.loadNamedStyle(str(ROOT / "styles" / f"{style}.qml"))
    assert ok, message
    labeling = layer.labeling()
    settings = (
        labeling.settings() if style == "blocks" else labeling.rootRule().children()[0].settings()
    )
    assert settings.format().fontFound()
    assert QFontInfo(settings.format().font()).family() == default


# --- emerging and persistent hot blocks: the pattern style ---------------------------------------

# Expected line widths per pattern class, as the style's legend promises (hot now widest).
PATTERN_WIDTHS = {
    "intensifying": 2.2,
    "persistent": 1.8,
    "new": 1.8,
    "consecutive": 1.5,
    "sporadic": 1.2,
    "diminishing": 1.2,
    "historical": 0.8,
    "no pattern": 0.3,
    None: 0.2,  # too few incidents for a trend
}


def _pattern_layer():
    layer = QgsVectorLayer(
        "LineString?crs=EPSG:27700&field=block_id:string&field=window:string"
        "&field=rank:integer&field=pattern:string&field=trend_word:string",
        "hot",
        "memory",
    )
    features = []
    for number, pattern in enumerate(PATTERN_WIDTHS):
        for window in ("Fri night", "Sat day"):
            feature = QgsFeature(layer.fields())
            feature.setAttributes([f"b{number}", window, number + 1, pattern, None])
            feature.setGeometry(
                QgsGeometry.fromWkt(f"LineString({number * 10} 0, {number * 10} 5)")
            )
            features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_pattern_style_draws_every_class_of_the_core_in_the_chosen_window(plugin, run):
    from hotblocking_under_test.hotblocking.emerging import PATTERNS

    assert set(PATTERN_WIDTHS) - {None} == set(PATTERNS)  # a new class needs a legend entry
    layer = _pattern_layer()
    styles = [label for _, label in STYLE_CHOICES]
    index = styles.index("Emerging and persistent hot blocks (pattern)")
    run("stylehotblocks", {"INPUT": layer, "STYLE": index, "SAVE_AS_DEFAULT": False})
    drawn = rendered(layer)
    assert list(drawn) == ["Fri night"]  # the first window only, as for hot blocks
    widths = {f"b{number}": width for number, width in enumerate(PATTERN_WIDTHS.values())}
    assert drawn["Fri night"] == pytest.approx(widths)
    QgsExpressionContextUtils.setLayerVariable(layer, "hotblocking_window", "Sat day")
    assert list(rendered(layer)) == ["Sat day"]
    assert layer.renderer().legendSymbolItems()[-1].label() == "Too few incidents for a trend"
