"""The JSON answer of a QGIS process, read past whatever QGIS printed around it."""

from __future__ import annotations

import json


def json_answer(stdout: str) -> dict:
    """The first JSON object in ``stdout``. QGIS may print lines of its own before it (e.g.
    "Auth db query exec() FAILED" when processes share a profile) or after it."""
    start = stdout.find("{")
    if start < 0:
        raise json.JSONDecodeError("no JSON object", stdout, 0)
    return json.JSONDecoder().raw_decode(stdout, start)[0]
