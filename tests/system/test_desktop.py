"""Debian's desktop QGIS (/usr/bin/qgis under xvfb, its own python3), as an analyst starts it.

- After `make install`: the plugin is active and the sample pipeline, the brief and the
  shipped model run in it, with no dependency notice.
- "Install from ZIP" (QGIS's own Plugin Manager code) into a fresh profile whose Python lacks
  shapely 2 and has a too-old pandas (a stand-in on PYTHONPATH): the plugin stays loaded and
  names both packages once, with the commands, in the message log, the message bar and the
  Plugin Manager ("This plugin requires a missing module"); its tools are listed and refuse
  with the same message; no Python traceback reaches the user.

Both desktops run side by side. The message log is captured from start-up by
scripts/desktop_startup.py (PYQGIS_STARTUP), as `make desktop` does.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hb_system import ROOT, TIMEOUT, Home, make

SCRIPT = ROOT / "tests" / "helpers" / "hb_desktop_run.py"
QUIET_START = """
[core]
NewsFeed\\httpsfeedqgisorg\\disabled=true

[qgis]
checkVersion=false

[app]
plugin_installer\\checkOnStart=false
"""


def start_quietly(home: Home) -> None:
    """No news feed, version check or repository fetch at start (a headless first run)."""
    ini = home.profile / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True, exist_ok=True)
    with ini.open("a", encoding="utf-8") as settings:
        settings.write(QUIET_START)


def run_desktop(home: Home, scenario: str, work: Path, **extra_env: str) -> dict:
    start_quietly(home)
    (work / "out").mkdir(parents=True, exist_ok=True)
    env = home.env(
        PYQGIS_STARTUP=str(ROOT / "scripts" / "desktop_startup.py"),
        HB_QGIS_LOG=str(work / "messages.log"),
        HB_RESULT=str(work / "result.json"),
        HB_SCENARIO=scenario,
        HB_HELPERS=str(ROOT / "tests" / "helpers"),
        HB_SAMPLE=str(ROOT / "sample_data" / "hotblocking_sample.gpkg"),
        HB_OUT=str(work / "out"),
        **extra_env,
    )
    del env["QT_QPA_PLATFORM"]  # a real X server (Xvfb), as on a desktop
    command = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "/usr/bin/qgis"]
    command += ["--nologo", "--code", str(SCRIPT)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    result_file = work / "result.json"
    assert (
        result_file.exists()
    ), f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    result = json.loads(result_file.read_text())
    assert "error" not in result, result["error"]
    result["log"] = parse_log(work / "messages.log")
    return result


def parse_log(path: Path) -> list[tuple[str, str, str]]:
    """(level, tag, text) per message-log entry (scripts/desktop_startup.py's format)."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("\t") and entries:
            level, tag, text = entries[-1]
            entries[-1] = (level, tag, text + "\n" + line[1:])
        elif line.count("\t") >= 2:
            level, tag, text = line.split("\t", 2)
            entries.append((level, tag, text))
    return entries


def fake_old_pandas(folder: Path) -> Path:
    """A pandas 1.0.0 stand-in: metadata says 1.0.0; importing it fails loudly."""
    (folder / "pandas").mkdir(parents=True)
    (folder / "pandas" / "__init__.py").write_text("raise ImportError('the test stand-in')\n")
    info = folder / "pandas-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pandas\nVersion: 1.0.0\n")
    return folder


@pytest.fixture(scope="module")
def desktops(installed_home, tmp_path_factory):
    zip_path = tmp_path_factory.mktemp("desktop_package") / "hotblocking.zip"
    done = make("package", Home(zip_path.parent), f"ZIP={zip_path}")
    assert done.returncode == 0, done.stderr
    fresh = Home(tmp_path_factory.mktemp("desktop_zip_home"))
    fake = fake_old_pandas(tmp_path_factory.mktemp("old_pandas"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        healthy = pool.submit(
            run_desktop, installed_home, "pipeline", tmp_path_factory.mktemp("desktop_pipeline")
        )
        broken = pool.submit(
            run_desktop,
            fresh,
            "zip",
            tmp_path_factory.mktemp("desktop_zip"),
            HB_ZIP=str(zip_path),
            PYTHONPATH=str(fake),
        )
        return {
            "healthy": healthy.result(),
            "broken": broken.result(),
            "installed_plugin": installed_home.plugin_dir,
        }


def python_errors(log):
    return [entry for entry in log if entry[1] == "Python error"]


def test_installed_plugin_runs_the_pipeline_brief_and_model_on_the_desktop(desktops):
    result = desktops["healthy"]
    assert result["active"]
    assert not [m for m in result["message_bar"] if m["title"] == "Hot Blocking"]
    assert not [e for e in result["log"] if e[1] == "Hot Blocking" and e[0] == "CRITICAL"]
    assert python_errors(result["log"]) == []
    files = result["module_files"]  # Debian's own packages, and shapely 2 from the plugin
    assert files["pandas"].startswith("/usr/lib/python3/dist-packages/")
    assert files["shapely"].startswith(str(desktops["installed_plugin"] / "libs"))
    assert result["brief_pages"] == 11
    outputs = result["model_outputs"]
    assert any(v.endswith(".pdf") and Path(v).stat().st_size > 0 for v in outputs.values())
    assert len([v for v in outputs.values() if ".gpkg" in v]) == 8  # blocks, 6 joins, hot blocks


def test_zip_install_without_packages_names_them_once_everywhere(desktops):
    result = desktops["broken"]
    ours = [e for e in result["log"] if e[1] == "Hot Blocking"]
    assert len(ours) == 1 and ours[0][0] == "CRITICAL"
    message = ours[0][2]
    headline = message.split("\n")[0]
    assert headline.startswith("Hot Blocking cannot run: pandas 1.0.0 is too old")
    assert "; shapely is missing (needs 2.0 or newer)" in headline
    assert "-m pip install --no-deps" in message and "shapely==" in message

    assert result["active"]  # the plugin stays loaded
    bar = [m for m in result["message_bar"] if m["title"] == "Hot Blocking"]
    assert bar == [{"title": "Hot Blocking", "text": headline, "level": 2}]  # Qgis.Critical
    for key in ("plugin_manager", "plugin_manager_after_rescan"):
        entry = result[key]
        assert entry["error"] == "dependent", key  # "This plugin requires a missing module"
        assert entry["error_details"].startswith(headline.replace("'", "&#x27;")), key
        assert "<br/>" in entry["error_details"]

    assert "hotblocking:buildblocks" in result["algorithms"] and len(result["algorithms"]) >= 6
    assert all(value == [False, message] for value in result["can_execute"].values())
    assert message in result["run"]
    assert python_errors(result["log"]) == []  # no traceback dialog
