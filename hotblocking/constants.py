"""Constants the plugin needs before any analysis runs (standard library only).

QGIS imports every algorithm's module when it starts, to list the toolbox; constants that
parameters show as defaults live here so that listing never imports numpy, pandas, scipy
or shapely. The modules that use them re-export them (``windows.DEFAULT_WINDOWS``).
"""

from __future__ import annotations

DEFAULT_WINDOWS = "Fri-Sat 22:00-04:00"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
