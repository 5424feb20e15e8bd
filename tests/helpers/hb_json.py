"""The JSON answer of a QGIS process, read past whatever QGIS printed around it."""

from __future__ import annotations

import json
import re


def json_answer(stdout: str) -> dict:
    """The first JSON object that starts a line of ``stdout``. QGIS may print lines of its
    own before it (e.g. "Auth db query exec() FAILED" when processes share a profile, or
    text holding braces) or after it."""
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"(?m)^\s*\{", stdout)):
        try:
            return decoder.raw_decode(stdout, stdout.index("{", start))[0]
        except json.JSONDecodeError:
            continue
    raise json.JSONDecodeError("no JSON object starts a line", stdout, 0)
