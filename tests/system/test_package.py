"""`make package`: the ZIP a user installs with "Install from ZIP", and what it does in plain QGIS.

The ZIP holds the plugin's files only. Installed into a fresh private profile, Debian's
qgis_process.bin (whose python3 has no shapely 2) loads it, lists its tools, and refuses to
run them with the dependency message; the pip command that message gives, run as printed,
makes the same algorithm run. (The same ZIP installed through QGIS's own Plugin Manager code
on the desktop is in test_desktop.py.)
"""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
import zipfile
from pathlib import Path

import pytest
from hb_system import ROOT, Home, make, pip_cache, qgis_process, run_json

SAMPLE = ROOT / "sample_data" / "hotblocking_sample.gpkg"
TOP_LEVEL_FILES = {
    "__init__.py",
    "plugin.py",
    "plugin_dependencies.py",
    "plugin_metadata.py",
    "resources.py",
    "metadata.txt",
    "README.md",
}
FOLDERS = {"hotblocking", "processing", "ui", "styles", "models", "icons"}
NEVER = re.compile(
    r"(^|/)(tests|bench|scripts|docs|sample_data|tools|libs|\.venv|\.ci|__pycache__)/"
    r"|\.pyc$|symbology-style\.db$|make_styles\.py$|requirements.*\.txt$|Makefile$"
    r"|ruff\.toml$|pytest\.ini$|\.gitignore$|\.qrc$"
)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("package") / "hotblocking.zip"
    done = make("package", Home(out.parent), f"ZIP={out}")
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def metadata_of(package: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    with zipfile.ZipFile(package) as archive:
        parser.read_string(archive.read("hotblocking/metadata.txt").decode("utf-8"))
    return parser["general"]


def test_the_zip_holds_the_plugin_and_nothing_else(package):
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
    assert all(name.startswith("hotblocking/") for name in names)
    inside = [name.removeprefix("hotblocking/") for name in names]
    assert {n for n in inside if "/" not in n} == TOP_LEVEL_FILES | (
        {"LICENSE"} if (ROOT / "LICENSE").exists() else set()
    )
    assert {n.split("/")[0] for n in inside if "/" in n} == FOLDERS
    assert [n for n in inside if NEVER.search(n)] == []
    for folder in ("hotblocking", "processing", "ui"):  # every module of the code
        expected = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*.py")}
        assert expected <= set(inside), expected - set(inside)
    for pattern in ("styles/*.qml", "models/*.model3"):
        expected = {str(p.relative_to(ROOT)) for p in ROOT.glob(pattern)}
        assert expected and expected <= set(inside)
    assert metadata_of(package)["icon"] in inside
    print(f"\n{package.name}: {package.stat().st_size / 1024:.0f} KiB, {len(names)} files")


def github_anchor(heading: str) -> str:
    """GitHub's id for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_metadata_is_complete_and_its_help_link_is_the_shipped_readme_section(package):
    metadata = metadata_of(package)
    for key in (
        "name",
        "qgisMinimumVersion",
        "description",
        "about",
        "version",
        "author",
        "email",
        "repository",
        "tracker",
        "homepage",
        "changelog",
        "category",
        "tags",
        "icon",
    ):
        assert metadata.get(key, "").strip(), key
    assert metadata["hasProcessingProvider"] == "yes"
    assert metadata["changelog"].startswith(metadata["version"])
    with zipfile.ZipFile(package) as archive:
        readme = archive.read("hotblocking/README.md").decode("utf-8")
    anchors = {
        github_anchor(line.lstrip("#")) for line in readme.splitlines() if line.startswith("#")
    }
    page, _, anchor = metadata["homepage"].partition("#")
    assert page.endswith("README.md") and anchor in anchors


@pytest.fixture(scope="module")
def zip_home(package, tmp_path_factory) -> Home:
    """A fresh profile with the ZIP unpacked into its plugins folder and the plugin enabled,
    as QGIS's "Install from ZIP" leaves it."""
    home = Home(tmp_path_factory.mktemp("zip_home"))
    plugins = home.plugin_dir.parent
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(package) as archive:
        archive.extractall(plugins)
    ini = home.profile / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("[PythonPlugins]\nhotblocking=true\n")
    return home


def debian_has_shapely_2() -> bool:
    code = "import shapely, sys; sys.exit(0 if int(shapely.__version__.split('.')[0]) >= 2 else 1)"
    return subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True).returncode == 0


def test_zip_install_refuses_then_runs_after_the_printed_command(zip_home, tmp_path, sample_truth):
    if debian_has_shapely_2():
        pytest.skip("this machine's /usr/bin/python3 already has shapely 2: nothing to refuse")
    blocks = ["--", f"INPUT={SAMPLE}|layername=road_link", "MAX_LENGTH=100"]

    listing = qgis_process(zip_home, "list", cwd=tmp_path)
    assert "\thotblocking:buildblocks\t" in listing.stdout  # loaded, tools listed
    refused = qgis_process(
        zip_home, "run", "hotblocking:buildblocks", *blocks, "OUTPUT=refused.gpkg", cwd=tmp_path
    )
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and not (tmp_path / "refused.gpkg").exists()
    assert "Hot Blocking cannot run: shapely" in said and "Traceback" not in said
    [command] = {line.strip() for line in said.splitlines() if " -m pip install " in line}
    assert f"--target {zip_home.plugin_dir / 'libs'} " in command

    installed = subprocess.run(
        shlex.split(command), env=zip_home.env(**pip_cache()), capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    answer = run_json(
        zip_home, "hotblocking:buildblocks", [*blocks[1:], "OUTPUT=blocks.gpkg"], tmp_path
    )
    assert answer["results"]["BLOCK_COUNT"] == sample_truth.blocks
    assert "Hot Blocking cannot run" not in answer["stderr"]
