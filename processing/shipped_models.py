"""The graphical models shipped in ``models/``, and an editable copy in the user's models.

The provider lists the shipped models under Hot Blocking, read-only: QGIS 3.22 offers "Edit
Model" only for models of its own Models provider (and the project's). So the desktop action
Plugins > Hot Blocking > "Copy the model into my models" copies them into the folder that
provider reads and the modeller saves to, and refreshes it: the copy appears in the
Processing Toolbox under Models > Hot Blocking and opens in the graphical modeller.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from qgis.core import QgsApplication, QgsSettings

MODELS = Path(__file__).resolve().parent.parent / "models"
# Processing's "Models folder(s)" setting (';'-separated); the modeller saves into the first.
MODELS_FOLDER_SETTING = "Processing/Configuration/MODELS_FOLDER"


def shipped_models() -> list[Path]:
    return sorted(MODELS.glob("*.model3"))


def with_metre_widgets(model) -> None:
    """The model's distance inputs get the algorithms' metre-default widget (units.py).

    The .model3 files cannot name the widget: its dotted path holds the folder the plugin
    was installed under. So it is set on the loaded model; a copy in the user's models
    folder (edited or not) has QGIS's own widget: the number is in the layer's units (100 on
    a feet layer is 100 ft) and the log warns when that differs from the metre default."""
    from .units import metre_widget

    for definition in model.parameterDefinitions():
        if definition.type() == "distance":
            metre_widget(definition)


def user_models_folder() -> Path:
    """Where QGIS's Models provider reads models and the modeller saves them: the first of
    Processing's models folders, by default ``<profile>/processing/models``."""
    configured = QgsSettings().value(MODELS_FOLDER_SETTING, "") or ""
    folders = [f.strip() for f in str(configured).split(";") if f.strip()]
    if folders:
        return Path(folders[0])
    return Path(QgsApplication.qgisSettingsDirPath()) / "processing" / "models"


def existing_copies(folder: Path | None = None) -> list[Path]:
    """Shipped models already present in the user's models folder (a copy would replace)."""
    folder = folder or user_models_folder()
    return [folder / model.name for model in shipped_models() if (folder / model.name).exists()]


def copy_to_user_models(folder: Path | None = None) -> list[Path]:
    """Copy every shipped model into the user's models folder (replacing earlier copies) and
    refresh QGIS's Models provider so the toolbox lists them. Returns the copies' paths."""
    folder = folder or user_models_folder()
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for model in shipped_models():
        target = folder / model.name
        shutil.copyfile(model, target)
        copies.append(target)
    provider = QgsApplication.processingRegistry().providerById("model")
    if provider is not None:
        provider.refreshAlgorithms()
    return copies
