"""Help renders intact: QGIS shows help as HTML, where text after a '<' can vanish.

The algorithm dialog shows ``shortHelpString`` as HTML paragraphs, a parameter's help is its
HTML tooltip, the toolbox tooltip carries ``shortDescription``, and a model's help is the HTML
QGIS builds from its help content. Each is rendered here the way QGIS 3.22 renders it (the
real AlgorithmDialog's help panel; ``toolTip()`` through a QTextDocument) and the words shown
must be exactly the words written. ``qgis_process help`` prints the same texts raw, so the
texts avoid '<' (and escapes such as ``&lt;``) altogether rather than escaping it.
"""

from __future__ import annotations

import html

import pytest
from hb_plugin import ALGORITHM_NAMES
from qgis.core import QgsApplication
from qgis.PyQt.QtGui import QTextDocument

MODEL_ID = "hotblocking:Hot Blocking: roads + incidents to brief"
MODEL_IDS = {
    MODEL_ID,
    "hotblocking:Hot Blocking: roads + one incident source to brief",
    "hotblocking:Hot Blocking: roads + two incident sources to brief",
}


def words(text: str) -> str:
    return " ".join(text.split())


def rendered(markup: str) -> str:
    """What a Qt rich-text widget shows for ``markup``, as plain words."""
    document = QTextDocument()
    document.setHtml(markup)
    return words(document.toPlainText())


def algorithms():
    return QgsApplication.processingRegistry().providerById("hotblocking").algorithms()


def dialog_help(algorithm) -> str:
    """The text of the real algorithm dialog's help panel."""
    from qgis.PyQt.QtWidgets import QTextBrowser

    from processing.gui.AlgorithmDialog import AlgorithmDialog

    dialog = AlgorithmDialog(algorithm.create(), parent=None)
    try:
        return words(dialog.findChild(QTextBrowser, "textShortHelp").toPlainText())
    finally:
        dialog.deleteLater()


def own_texts(algorithm) -> dict[str, str]:
    """Every help text the plugin wrote for ``algorithm``, by where it is shown."""
    texts = {"shortDescription": algorithm.shortDescription()}
    if algorithm.id() in MODEL_IDS:
        texts.update({f"help content {k}": str(v) for k, v in algorithm.helpContent().items()})
    else:
        texts["shortHelpString"] = algorithm.shortHelpString()
    for parameter in algorithm.parameterDefinitions():
        texts[f"{parameter.name()} help"] = parameter.help()
    return texts


def test_every_algorithm_and_the_model_is_checked(plugin):
    ids = {a.id() for a in algorithms()}
    assert len(ids) == len(ALGORITHM_NAMES) + len(MODEL_IDS) and MODEL_IDS <= ids


@pytest.mark.parametrize(
    "name",
    ALGORITHM_NAMES,
)
def test_the_dialog_help_shows_every_word_of_shorthelpstring(plugin, dialog_iface, name):
    algorithm = QgsApplication.processingRegistry().algorithmById(f"hotblocking:{name}")
    written = words(algorithm.displayName() + " " + html.unescape(algorithm.shortHelpString()))
    assert dialog_help(algorithm) == written


@pytest.mark.parametrize("model_id", sorted(MODEL_IDS))
def test_the_models_dialog_help_shows_its_description_and_every_input(
    plugin, dialog_iface, model_id
):
    model = QgsApplication.processingRegistry().algorithmById(model_id)
    shown = dialog_help(model)
    content = model.helpContent()
    assert words(content["ALG_DESC"]) in shown
    for parameter in model.parameterDefinitions():
        assert words(parameter.description()) in shown, parameter.name()
        assert words(content[parameter.name()]) in shown, parameter.name()


@pytest.mark.parametrize("index", range(len(ALGORITHM_NAMES) + len(MODEL_IDS)))
def test_parameter_tooltips_and_toolbox_text_render_whole(plugin, index):
    algorithm = sorted(algorithms(), key=lambda a: a.id())[index]
    for parameter in algorithm.parameterDefinitions():
        shown = rendered(parameter.toolTip())  # the dialog's tooltip on the parameter
        assert words(parameter.description()) in shown, parameter.name()
        assert words(parameter.help()) in shown, (algorithm.id(), parameter.name())
    # the toolbox's tooltip: <p><b>name</b></p><p>short description</p>...
    assert words(algorithm.shortDescription()) in rendered(f"<p>{algorithm.shortDescription()}</p>")


@pytest.mark.parametrize("index", range(len(ALGORITHM_NAMES) + len(MODEL_IDS)))
def test_help_texts_hold_no_markup_that_qgis_process_would_print_raw(plugin, index):
    algorithm = sorted(algorithms(), key=lambda a: a.id())[index]
    for where, text in own_texts(algorithm).items():
        assert text.strip(), (algorithm.id(), where)
        assert "<" not in text and "&lt;" not in text, (algorithm.id(), where, text)


def test_the_check_catches_what_vanished(plugin):
    # The texts this test was written for: in QGIS 3.22 they rendered cut short.
    assert rendered("<p>block_id = '<link id>:<part>', part 1</p>") == "block_id = '"
    assert rendered("<p>prints as '<N'; when one</p>") == "prints as '"
