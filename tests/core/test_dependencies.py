"""The dependency check: versions read without importing, one message, per-platform commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hotblocking import dependencies
from hotblocking.dependencies import REQUIREMENTS, Problem, Requirement

ROOT = Path(__file__).resolve().parents[2]
BY_NAME = {r.name: r for r in REQUIREMENTS}


def fake_package(folder: Path, name: str, version: str, *, metadata_name: str | None = None):
    """A package that raises if imported, with its dist-info next to it."""
    (folder / name).mkdir(parents=True)
    (folder / name / "__init__.py").write_text(
        f"raise ImportError('{name} must not be imported')\n"
    )
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {metadata_name or name}\nVersion: {version}\n"
    )


@pytest.fixture()
def isolated_path(tmp_path, monkeypatch):
    """sys.path = a private folder + the standard library; no cached imports of the fakes."""
    folder = tmp_path / "site"
    folder.mkdir()
    stdlib = [p for p in sys.path if "site-packages" not in p and "dist-packages" not in p]
    monkeypatch.setattr(sys, "path", [str(folder), *stdlib])
    for name in ("hb_fake_a", "hb_fake_b", "hb_fake_c"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return folder


def requirement(name, minimum="2.0", debian=None):
    return Requirement(name, minimum, "2.0.7", debian)


@pytest.mark.parametrize(
    ("version", "minimum", "ok"),
    [
        ("2.0.7", "2.0", True),
        ("1.8.5", "2.0", False),
        ("1.5.3+dfsg", "1.5.3", True),
        ("1.5.2", "1.5.3", False),
        ("1.10.1", "1.10", True),
        ("1.9.3", "1.10", False),  # numerically, not as text
        ("2.0rc1", "2.0", True),
        ("1.24", "1.24.0", True),
    ],
)
def test_at_least_compares_release_numbers(version, minimum, ok):
    assert dependencies.at_least(version, minimum) is ok


def test_versions_come_from_metadata_without_importing(isolated_path):
    fake_package(isolated_path, "hb_fake_a", "2.0.7", metadata_name="HB-Fake_A")
    assert dependencies.installed_version("hb_fake_a") == "2.0.7"
    assert "hb_fake_a" not in sys.modules
    assert dependencies.installed_version("hb_fake_missing") is None


def test_the_copy_that_would_be_imported_is_the_one_checked(isolated_path, tmp_path):
    """An old copy later on the path (Debian's shapely 1.8.5) does not hide a new one first."""
    later = tmp_path / "later"
    fake_package(later, "hb_fake_a", "1.8.5")
    fake_package(isolated_path, "hb_fake_a", "2.0.7")
    sys.path.append(str(later))
    assert dependencies.installed_version("hb_fake_a") == "2.0.7"
    sys.path.remove(str(isolated_path))
    assert dependencies.installed_version("hb_fake_a") == "1.8.5"


def test_an_already_imported_module_is_what_counts(monkeypatch):
    module = type(sys)("hb_fake_b")
    module.__version__ = "1.8.5"
    monkeypatch.setitem(sys.modules, "hb_fake_b", module)
    assert dependencies.installed_version("hb_fake_b") == "1.8.5"


def test_private_folder_goes_first_once(tmp_path, monkeypatch):
    plugin = tmp_path / "plugin"
    monkeypatch.setattr(sys, "path", ["/somewhere"])
    dependencies.use_private_folder(str(plugin))  # no libs/ yet: nothing added
    assert sys.path == ["/somewhere"]
    (plugin / "libs").mkdir(parents=True)
    dependencies.use_private_folder(str(plugin))
    dependencies.use_private_folder(str(plugin))
    assert sys.path == [str(plugin / "libs"), "/somewhere"]


def test_find_problems_names_every_missing_and_old_package(isolated_path):
    fake_package(isolated_path, "hb_fake_a", "1.8.5")
    fake_package(isolated_path, "hb_fake_c", "3.1")
    wanted = [requirement("hb_fake_a"), requirement("hb_fake_b"), requirement("hb_fake_c")]
    problems = dependencies.find_problems(wanted)
    assert [(p.requirement.name, p.found) for p in problems] == [
        ("hb_fake_a", "1.8.5"),
        ("hb_fake_b", None),
    ]
    assert problems[0].describe() == "hb_fake_a 1.8.5 is too old (needs 2.0 or newer)"
    assert problems[1].describe() == "hb_fake_b is missing (needs 2.0 or newer)"


def problems_of(**found):
    return [Problem(BY_NAME[name], version) for name, version in found.items()]


def test_debian_message_apt_for_debian_packages_pip_target_for_shapely():
    problems = problems_of(pandas=None, scipy=None, shapely="1.8.5")
    message = dependencies.problem_message(
        problems, "/home/u/p/hotblocking", kind="debian", python="/usr/bin/python3", has_pip=False
    )
    lines = message.splitlines()
    assert lines[0] == (
        "Hot Blocking cannot run: pandas is missing (needs 1.5.3 or newer); scipy is missing "
        "(needs 1.10 or newer); shapely 1.8.5 is too old (needs 2.0 or newer). Its tools stay "
        "in the Processing toolbox but refuse to run until this is fixed."
    )
    assert "  sudo apt install python3-pandas python3-scipy python3-pip" in lines
    assert (
        "  /usr/bin/python3 -m pip install --no-deps --only-binary=:all: "
        "--target /home/u/p/hotblocking/libs shapely==2.0.7"
    ) in lines
    assert "make install" in message and lines[-1] == "then restart QGIS."
    assert len(message.split("Hot Blocking cannot run")) == 2  # one message


def test_debian_message_pip_for_a_system_package_that_is_too_old():
    """Ubuntu's older pandas: apt cannot help, pip into the private folder can."""
    message = dependencies.install_instructions(
        problems_of(pandas="1.3.5"), "/p/hb", kind="debian", python="/usr/bin/python3", has_pip=True
    )
    assert "apt" not in message
    assert "--target /p/hb/libs pandas==2.2.3 python-dateutil pytz tzdata" in message


def test_numpy_too_old_is_never_replaced_from_pip():
    message = dependencies.install_instructions(
        problems_of(numpy="1.17.4", shapely=None), "/p/hb", kind="debian", has_pip=True
    )
    assert "numpy==" not in message and "shapely==2.0.7" in message
    assert "numpy comes with QGIS" in message


def test_windows_message_uses_the_osgeo4w_shell_and_quotes_the_folder():
    folder = r"C:\Users\Ann Lee\AppData\Roaming\QGIS\QGIS3\profiles\default\python\plugins\hb"
    message = dependencies.install_instructions(
        problems_of(shapely=None, scipy=None), folder, kind="windows", has_pip=True
    )
    assert "OSGeo4W Shell" in message
    libs = dependencies.private_folder(folder)  # os.path.join: a backslash on Windows
    assert (
        f'  python -m pip install --no-deps --only-binary=:all: --target "{libs}" '
        "shapely==2.0.7 scipy==1.14.1"
    ) in message.splitlines()


def test_macos_message_uses_the_bundled_python():
    python = "/Applications/QGIS-LTR.app/Contents/MacOS/bin/python3"
    message = dependencies.install_instructions(
        problems_of(shapely=None), "/Users/a/hb", kind="macos", python=python, has_pip=True
    )
    assert message.startswith("On macOS, quit QGIS and run in a terminal:")
    assert f"{python} -m pip install" in message


def test_no_problems_no_message():
    assert dependencies.problem_message([], "/p") == ""


def test_tested_versions_are_the_venv_pins():
    """requirements.txt pins what the tests run with; the pip hints install the same."""
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    for requirement_ in REQUIREMENTS:
        assert pins[requirement_.name] == requirement_.tested
        assert dependencies.at_least(requirement_.tested, requirement_.minimum)


def test_the_check_is_standard_library_only():
    code = (
        "import sys; sys.path.insert(0, '.'); from hotblocking import dependencies as d; "
        "d.find_problems(); d.problem_message(d.find_problems(), '.'); "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('numpy', 'pandas', 'scipy', 'shapely', 'qgis', 'PyQt5', 'osgeo')]; "
        "assert not bad, bad"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
