"""Constants the plugin needs before any analysis runs, defined once (standard library only).

QGIS imports every algorithm's module when it starts, to list the toolbox; constants that
parameters show as defaults live here so that listing never imports numpy, pandas, scipy
or shapely. The modules that use them re-export them (``windows.DEFAULT_WINDOWS``). The
schema and the wordings take their time units from here too.

Hot Blocking's week starts on Monday (ISO 8601): day 0 is Monday, hour-of-week 0 is Monday
00:00-01:00 and minute-of-week 0 is Monday 00:00. Incident times are wall-clock readings of
the analysis time zone, Europe/London by default (:mod:`hotblocking.clock` holds its rules).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

DEFAULT_WINDOWS = "Fri-Sat 22:00-04:00"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS_PER_DAY = 24
HOURS_PER_WEEK = 7 * HOURS_PER_DAY
MINUTES_PER_DAY = 60 * HOURS_PER_DAY
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
MS_PER_SECOND = 1000
MS_PER_MINUTE = 60 * MS_PER_SECOND
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = HOURS_PER_DAY * MS_PER_HOUR

DEFAULT_TIMEZONE = "Europe/London"
LONDON = ZoneInfo(DEFAULT_TIMEZONE)
"""The default zone as a :class:`zoneinfo.ZoneInfo`."""
