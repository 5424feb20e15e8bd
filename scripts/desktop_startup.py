"""PYQGIS_STARTUP script of scripts/desktop.sh: writes QGIS's message log to a file.

QGIS runs this file in its Python as soon as Python starts, before plugins load, so every
message that reaches the *Log Messages* panel (plugin load errors, Python tracebacks under
the "Python error" tag, Processing warnings...) also lands in ``$HB_QGIS_LOG``, one entry per
message: ``LEVEL<TAB>tag<TAB>text``, continuation lines indented by a tab. It is run with
``exec`` in QGIS's ``__main__``, so its names start with ``_hb_``.
"""

import os as _hb_os
import sys as _hb_sys

from qgis.core import Qgis as _hb_Qgis
from qgis.core import QgsApplication as _hb_QgsApplication

_hb_log_path = _hb_os.environ.get("HB_QGIS_LOG")
_hb_levels = {
    _hb_Qgis.Info: "INFO",
    _hb_Qgis.Warning: "WARNING",
    _hb_Qgis.Critical: "CRITICAL",
    _hb_Qgis.Success: "SUCCESS",
}


def _hb_log_message(message, tag, level):
    text = str(message).rstrip().replace("\n", "\n\t")
    with open(_hb_log_path, "a", encoding="utf-8") as log:
        log.write(f"{_hb_levels.get(level, 'NONE')}\t{tag}\t{text}\n")


# QGIS 3.22 executes PYQGIS_STARTUP twice when it is an absolute path: connect once.
if _hb_log_path and not getattr(_hb_sys, "_hb_qgis_log_connected", False):
    _hb_sys._hb_qgis_log_connected = True
    _hb_QgsApplication.messageLog().messageReceived.connect(_hb_log_message)
