"""The end-to-end pipeline under Debian's own python equals the venv's.

Debian's /usr/bin/python3 with only what `make install` adds to Debian's own packages (numpy
1.24, pandas 1.5.3, scipy 1.10 from apt; shapely 2 in the plugin's libs/), against the venv's
pinned packages (pandas 2.2, scipy 1.14...): the same hot_blocks, i.e. identical counts, ranks
and hot flags, and floats within 1e-9. Both run as separate processes, side by side.
"""

from __future__ import annotations

import json
import math
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from hb_system import DEBIAN_PYTHON, ROOT, TIMEOUT

SCRIPT = ROOT / "tests" / "helpers" / "hb_pipeline_process.py"
TOLERANCE = 1e-9


def run_pipeline(python, plugins_dir, env, out) -> dict:
    done = subprocess.run(
        [python, str(SCRIPT), str(plugins_dir), "hotblocking", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    answer = out / "answer.json"
    assert done.returncode == 0 and answer.exists(), (done.stdout + done.stderr)[-3000:]
    return json.loads(answer.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def both(installed_home, tmp_path_factory):
    checkout = tmp_path_factory.mktemp("venv_plugins")
    (checkout / "hotblocking").symlink_to(ROOT)
    debian_out = tmp_path_factory.mktemp("debian_out")
    venv_out = tmp_path_factory.mktemp("venv_out")
    env = installed_home.env()
    with ThreadPoolExecutor(max_workers=2) as pool:
        debian = pool.submit(
            run_pipeline, DEBIAN_PYTHON, installed_home.plugin_dir.parent, env, debian_out
        )
        venv = pool.submit(run_pipeline, str(ROOT / ".venv/bin/python"), checkout, env, venv_out)
        return {"debian": debian.result(), "venv": venv.result(), "home": installed_home}


def test_each_side_ran_with_the_packages_it_should(both):
    debian, venv = both["debian"]["versions"], both["venv"]["versions"]
    libs = str(both["home"].plugin_dir / "libs")
    for name in ("numpy", "pandas", "scipy"):
        assert debian[name]["file"].startswith("/usr/lib/python3/dist-packages/"), debian[name]
    assert debian["shapely"]["file"].startswith(libs)
    assert debian["pandas"]["version"].startswith("1.5.")
    assert venv["pandas"]["version"] == "2.2.3"
    assert all(".venv" in venv[name]["file"] for name in ("pandas", "scipy", "shapely"))


def differences(debian_rows, venv_rows) -> list[str]:
    def key(row):
        return (row["window"], row["block_id"])

    found = []
    debian_by = {key(r): r for r in debian_rows}
    venv_by = {key(r): r for r in venv_rows}
    if set(debian_by) != set(venv_by):
        found.append(f"rows differ: {sorted(set(debian_by) ^ set(venv_by))[:10]}")
    for k in sorted(set(debian_by) & set(venv_by)):
        a, b = debian_by[k], venv_by[k]
        if set(a) != set(b):
            found.append(f"{k}: fields {sorted(set(a) ^ set(b))}")
            continue
        for field in a:
            x, y = a[field], b[field]
            if isinstance(x, float) and isinstance(y, float):
                same = (math.isnan(x) and math.isnan(y)) or math.isclose(
                    x, y, rel_tol=TOLERANCE, abs_tol=TOLERANCE
                )
            else:
                same = x == y
            if not same:
                found.append(f"{k} {field}: debian {x!r} venv {y!r}")
    return found


def test_hot_blocks_are_the_same(both, sample_truth):
    debian, venv = both["debian"]["hot_blocks"], both["venv"]["hot_blocks"]
    assert len(debian) == len(venv) == sample_truth.blocks * 2
    found = differences(debian, venv)
    by_field = Counter(line.split(") ", 1)[-1].split(":")[0] for line in found)
    assert not found, (
        f"{len(found)} differences, by field {dict(by_field)}; first ones:\n"
        + "\n".join(found[:20])
    )
