"""`make install` itself: where it installs, what it leaves alone, and running it again."""

from __future__ import annotations

import importlib.util
import os

import pytest
from hb_system import ROOT, make

spec = importlib.util.spec_from_file_location("install_plugin", ROOT / "scripts/install_plugin.py")
install_plugin = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install_plugin)

USER_INI = """[core]
NewsFeed\\\\httpsfeedqgisorg\\\\disabled=true

[PythonPlugins]
db_manager=true
hotblocking=false

[qgis]
checkVersion=false
"""


def test_enable_plugin_changes_only_its_own_line(tmp_path):
    ini = tmp_path / "QGIS3.ini"
    ini.write_text(USER_INI)
    install_plugin.enable_plugin(ini, "hotblocking")
    assert ini.read_text() == USER_INI.replace("hotblocking=false", "hotblocking=true")


def test_enable_plugin_adds_the_section_or_the_line(tmp_path):
    ini = tmp_path / "new" / "QGIS3.ini"
    install_plugin.enable_plugin(ini, "hotblocking")
    assert ini.read_text() == "[PythonPlugins]\nhotblocking=true\n"
    ini.write_text("[PythonPlugins]\ndb_manager=true\n[qgis]\nx=1\n")
    install_plugin.enable_plugin(ini, "hotblocking")
    assert ini.read_text() == "[PythonPlugins]\nhotblocking=true\ndb_manager=true\n[qgis]\nx=1\n"


@pytest.mark.parametrize(
    ("env", "profiles_ini", "expected"),
    [
        ({"HOME": "/h"}, None, "/h/.local/share/QGIS/QGIS3/profiles/default"),
        ({"HOME": "/h", "XDG_DATA_HOME": "/x"}, None, "/x/QGIS/QGIS3/profiles/default"),
        ({"HOME": "/h", "QGIS_PROFILE": "work"}, None, "/h/.local/share/QGIS/QGIS3/profiles/work"),
        (
            {"QGIS_CUSTOM_CONFIG_PATH": "{tmp}"},
            "[core]\ndefaultProfile=analyst\n",
            "{tmp}/profiles/analyst",
        ),
    ],
)
def test_the_profile_is_found_as_qgis_finds_it(tmp_path, monkeypatch, env, profiles_ini, expected):
    for key in ("HOME", "XDG_DATA_HOME", "QGIS_PROFILE", "QGIS_CUSTOM_CONFIG_PATH"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(tmp=tmp_path))
    if profiles_ini:
        (tmp_path / "profiles").mkdir()
        (tmp_path / "profiles" / "profiles.ini").write_text(profiles_ini)
    assert str(install_plugin.profile_dir(None)) == expected.format(tmp=tmp_path)


def test_running_it_again_keeps_the_users_settings_and_the_wheel(installed_home):
    ini = installed_home.profile / "QGIS" / "QGIS3.ini"
    before = ini.read_text()
    ini.write_text(before + "\n[custom]\nmine=1\n")
    shapely = next((installed_home.plugin_dir / "libs").glob("shapely-*.dist-info"))
    stray = installed_home.plugin_dir / "processing" / "old_module.py"
    stray.write_text("")
    done = make("install", installed_home)
    assert done.returncode == 0, done.stderr
    assert "Installing shapely" not in done.stdout  # the right wheel is already there
    assert shapely.exists()
    assert not stray.exists()  # files of an older version do not linger
    assert "[custom]\nmine=1" in ini.read_text() and "hotblocking=true" in ini.read_text()
    assert not os.path.islink(installed_home.plugin_dir)
