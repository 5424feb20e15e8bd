"""qgis_process on a checkout: scripts/hb-process, with the command lines the README shows.

scripts/hb-process runs QGIS's qgis_process.bin with a private profile in which this checkout is
the enabled plugin. QGIS 3.22's qgis_process has ``--json``: results are read from it. Each run
happens in a scratch folder holding a link to sample_data/ and an empty out/, so the command
lines are exactly those of the README, run from the repo root.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hb_json import json_answer
from hb_plugin import ALGORITHM_NAMES

ROOT = Path(__file__).resolve().parents[2]
HB_PROCESS = ROOT / "scripts" / "hb-process"
MODEL_ID = "hotblocking:Hot Blocking: roads + incidents to brief"
FEWER_SOURCE_MODELS = {
    "hotblocking:Hot Blocking: roads + one incident source to brief",
    "hotblocking:Hot Blocking: roads + two incident sources to brief",
}
ALGORITHMS = list(ALGORITHM_NAMES)
SAMPLE = "sample_data/hotblocking_sample.gpkg"
WINDOWS = "Fri/Sat nights=Fri-Sat 22:00-04:00; Weekday lunch=weekdays 11:00-15:00"

# The README's command lines (after `scripts/hb-process --json`), in order.
BUILD = f"""run hotblocking:buildblocks -- \
    INPUT="{SAMPLE}|layername=road_link" MAX_LENGTH=100 OUTPUT=out/blocks.gpkg"""
JOINS = [
    f"""run hotblocking:joinincidents -- \
    INCIDENTS="{SAMPLE}|layername=ambulance" SOURCE=ambulance \
    BLOCKS=out/blocks.gpkg MAX_DISTANCE=50 TIME_FIELD=call_time \
    OUTPUT=out/joined_ambulance.gpkg UNMATCHED=out/unmatched_ambulance.gpkg""",
    f"""run hotblocking:joinincidents -- \
    INCIDENTS="{SAMPLE}|layername=ae_istv" SOURCE="A&E" \
    BLOCKS=out/blocks.gpkg MAX_DISTANCE=50 TIME_FIELD=assault_datetime \
    OUTPUT=out/joined_ae.gpkg UNMATCHED=out/unmatched_ae.gpkg""",
    f"""run hotblocking:joinincidents -- \
    INCIDENTS="{SAMPLE}|layername=police" SOURCE=police \
    BLOCKS=out/blocks.gpkg MAX_DISTANCE=50 TIME_FIELD=committed_from \
    END_TIME_FIELD=committed_to WEIGHT_FIELD=harm_days \
    OUTPUT=out/joined_police.gpkg UNMATCHED=out/unmatched_police.gpkg""",
]
RISK = f"""run hotblocking:computerisk -- \
    BLOCKS=out/blocks.gpkg INCIDENTS=out/joined_ambulance.gpkg \
    INCIDENTS=out/joined_ae.gpkg INCIDENTS=out/joined_police.gpkg \
    WINDOWS="{WINDOWS}" \
    HOT_RULE=0 HOT_VALUE=10 OUTPUT=out/hot_blocks.gpkg"""
BRIEF = """run hotblocking:taskingbrief -- \
    HOTBLOCKS=out/hot_blocks.gpkg WINDOW="Fri/Sat nights" TOP_N=10 \
    CONTEXT=out/blocks.gpkg AREA="Sample city centre" OUTPUT=out/brief_fri_sat_nights.pdf"""
EVALUATE = """run hotblocking:evaluate -- \
    BLOCKS=out/blocks.gpkg INCIDENTS=out/joined_ambulance.gpkg \
    INCIDENTS=out/joined_ae.gpkg INCIDENTS=out/joined_police.gpkg \
    WINDOWS="Fri/Sat nights=Fri-Sat 22:00-04:00" SPLIT_DATE=2025-10-01 \
    CONFIGURATIONS="shipped:; smoothed: BANDWIDTH=100" BASELINES=0 BASELINES=2 \
    OUTPUT=out/evaluation.gpkg CHART=out/evaluation.png REPORT=out/evaluation.pdf"""
MODEL = f"""run "{MODEL_ID}" -- \
    ROADS="{SAMPLE}|layername=road_link" \
    AMBULANCE="{SAMPLE}|layername=ambulance" AMBULANCE_TIME=call_time \
    AE="{SAMPLE}|layername=ae_istv" AE_TIME=assault_datetime \
    POLICE="{SAMPLE}|layername=police" POLICE_TIME=committed_from \
    POLICE_END_TIME=committed_to POLICE_HARM=harm_days \
    WINDOWS="{WINDOWS}" AREA="Sample city centre" \
    "buildblocks:Blocks=out/model/blocks.gpkg" \
    "join_ambulance:Joined ambulance incidents=out/model/joined_ambulance.gpkg" \
    "join_ambulance:Unmatched ambulance incidents=out/model/unmatched_ambulance.gpkg" \
    "join_ae:Joined A&E incidents=out/model/joined_ae.gpkg" \
    "join_ae:Unmatched A&E incidents=out/model/unmatched_ae.gpkg" \
    "join_police:Joined police incidents=out/model/joined_police.gpkg" \
    "join_police:Unmatched police incidents=out/model/unmatched_police.gpkg" \
    "computerisk:Hot blocks=out/model/hot_blocks.gpkg" \
    "taskingbrief:Tasking brief=out/model/brief.pdf\""""


def hb_process(*args, cwd, json_output=False):
    command = [str(HB_PROCESS), *(["--json"] if json_output else []), *args]
    env = {k: v for k, v in os.environ.items() if k != "QGIS_CUSTOM_CONFIG_PATH"}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def run_line(line: str, cwd: Path) -> dict:
    """One README command line, through --json; its results once every output file exists.

    QGIS 3.22's qgis_process can crash on exit after Processing runs: a non-zero exit after a
    complete JSON answer whose outputs all exist is accepted, with a warning.
    """
    done = hb_process(*shlex.split(line), cwd=cwd, json_output=True)
    try:
        answer = json_answer(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"no JSON from `{line}` (exit {done.returncode}):\n{done.stdout[-2000:]}\n"
            f"{done.stderr[-2000:]}"
        )
    results = answer["results"]
    files = [
        str(v).split("|")[0]
        for v in results.values()
        if isinstance(v, str) and str(v).split("|")[0].endswith((".gpkg", ".pdf"))
    ]
    assert files and all((cwd / f).exists() for f in files), (line, results)
    if done.returncode != 0:
        warnings.warn(f"qgis_process exited {done.returncode} after a complete run: {line}")
    return answer


@pytest.fixture(scope="module")
def checkout_dir(tmp_path_factory):
    """Where the README's relative paths hold: sample_data/ (a link) and an empty out/."""
    folder = tmp_path_factory.mktemp("repo_root")
    (folder / "sample_data").symlink_to(ROOT / "sample_data")
    (folder / "out").mkdir()
    # The first call sets up the private profile; later calls may then run side by side.
    listing = hb_process("list", cwd=folder)
    assert listing.returncode == 0, listing.stderr[-2000:]
    return folder, listing.stdout


@pytest.fixture(scope="module")
def pipeline(checkout_dir):
    """buildblocks, the three joins (side by side), computerisk and taskingbrief; and the
    model run at the same time."""
    folder, _ = checkout_dir
    (folder / "out" / "model").mkdir()
    with ThreadPoolExecutor(max_workers=4) as pool:
        model = pool.submit(run_line, MODEL, folder)
        blocks = run_line(BUILD, folder)
        joins = list(pool.map(lambda line: run_line(line, folder), JOINS))
        risk = run_line(RISK, folder)
        brief = run_line(BRIEF, folder)
        evaluate = run_line(EVALUATE, folder)
        return {
            "evaluate": evaluate,
            "blocks": blocks,
            "joins": joins,
            "risk": risk,
            "brief": brief,
            "model": model.result(),
            "folder": folder,
        }


def test_list_shows_the_algorithms_and_the_model(checkout_dir):
    _, listing = checkout_dir
    ids = {
        line.split("\t")[1] for line in listing.splitlines() if line.startswith("\thotblocking:")
    }
    assert {f"hotblocking:{name}" for name in ALGORITHMS} | {MODEL_ID} | FEWER_SOURCE_MODELS == ids
    assert f"\t{MODEL_ID}\tHot Blocking: roads + incidents to brief" in listing


def test_json_list_names_the_provider_and_the_model(checkout_dir):
    folder, _ = checkout_dir
    done = hb_process("list", cwd=folder, json_output=True)
    provider = json_answer(done.stdout)["providers"]["hotblocking"]
    assert provider["name"] == "Hot Blocking" and provider["is_active"]
    assert provider["supported_output_vector_extensions"] == [
        "gpkg",
        "shp",
        "geojson",
        "fgb",
        "csv",
        "sqlite",
    ]
    assert provider["supports_non_file_based_output"]  # PostGIS tables, memory layers
    model = provider["algorithms"][MODEL_ID]
    assert (
        model["group"] == "Hot Blocking"
        and model["name"] == "Hot Blocking: roads + incidents to brief"
    )


def test_help_describes_joinincidents(checkout_dir):
    folder, _ = checkout_dir
    done = hb_process("help", "hotblocking:joinincidents", cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]
    text = done.stdout
    assert text.startswith("Join incidents to blocks (hotblocking:joinincidents)")
    for name in (
        "INCIDENTS",
        "SOURCE",
        "BLOCKS",
        "MAX_DISTANCE",
        "TIME_FIELD",
        "END_TIME_FIELD",
        "TIME_FORMAT",
        "WEIGHT_FIELD",
        "FILTER",
        "TIMEZONE",
        "EARLIEST_DATE",
        "OUTPUT",
        "UNMATCHED",
    ):
        assert f"\n{name}: " in text, name
    assert "Joined + unmatched = read, always" in text
    for output in ("READ_COUNT", "MATCHED_COUNT", "UNMATCHED_COUNT", "FILTERED_OUT_COUNT"):
        assert f"{output}: " in text


def test_help_of_the_model_lists_its_outputs(checkout_dir):
    folder, _ = checkout_dir
    text = hb_process("help", MODEL_ID, cwd=folder).stdout
    for name in (
        "ROADS",
        "AMBULANCE_TIME",
        "POLICE_HARM",
        "TOP_N",
        "buildblocks:Blocks",
        "join_police:Unmatched police incidents",
        "computerisk:Hot blocks",
        "taskingbrief:Tasking brief",
    ):
        assert f"\n{name}: " in text, name


def test_buildblocks(pipeline, sample_truth):
    answer = pipeline["blocks"]
    results = answer["results"]
    assert (results["BLOCK_COUNT"], results["LINK_COUNT"], results["SKIPPED_COUNT"]) == (
        sample_truth.blocks,
        sample_truth.links,
        0,
    )
    assert results["OUTPUT"] == "out/blocks.gpkg|layername=blocks"
    assert answer["algorithm_details"]["id"] == "hotblocking:buildblocks"
    assert answer["inputs"]["MAX_LENGTH"] == "100"  # qgis_process passes text


@pytest.mark.parametrize(
    ("index", "source", "layer"),
    [(0, "ambulance", "ambulance"), (1, "A&E", "ae_istv"), (2, "police", "police")],
)
def test_joinincidents(pipeline, sample_truth, index, source, layer):
    read, joined = sample_truth.read[layer], sample_truth.joined[layer]
    results = pipeline["joins"][index]["results"]
    assert (results["READ_COUNT"], results["MATCHED_COUNT"], results["UNMATCHED_COUNT"]) == (
        read,
        joined,
        read - joined,
    )
    assert pipeline["joins"][index]["inputs"]["SOURCE"] == source


def test_computerisk_takes_three_incident_layers(pipeline, sample_truth):
    answer = pipeline["risk"]
    assert answer["inputs"]["INCIDENTS"] == [
        "out/joined_ambulance.gpkg",
        "out/joined_ae.gpkg",
        "out/joined_police.gpkg",
    ]
    results = answer["results"]
    assert results["INCIDENTS_USED"] == sum(sample_truth.joined.values())
    assert (results["BLOCKS_WITH_ANY"], results["HOT_BLOCKS"]) == (489, 20)  # top 10, two windows
    assert results["OUTPUT"] == "out/hot_blocks.gpkg|layername=hot_blocks"


def test_taskingbrief(pipeline):
    results = pipeline["brief"]["results"]
    assert results == {"OUTPUT": "out/brief_fri_sat_nights.pdf", "PAGE_COUNT": 11}


def test_evaluate_backtests_the_joined_sources(pipeline):
    answer = pipeline["evaluate"]
    results, folder = answer["results"], pipeline["folder"]
    assert answer["inputs"]["BASELINES"] == ["0", "2"]
    assert results["ORIGINS"] == 1 and results["BEST_WINDOW"] == "Fri/Sat nights"
    assert results["BEST_METHOD"] in ("shipped", "smoothed")
    assert 0 < results["BEST_HIT_RATE_LOW"] <= results["BEST_HIT_RATE"] <= 1
    assert results["OUTPUT"] == "out/evaluation.gpkg|layername=evaluation"
    from qgis.core import QgsVectorLayer

    table = QgsVectorLayer(str(folder / results["OUTPUT"]), "evaluation", "ogr")
    # plain counts, random, shipped, smoothed x (1, 2, 5, 10, 20% and top 10) x (test, mean)
    assert table.featureCount() == 4 * 6 * 2
    assert (folder / results["CHART"]).stat().st_size > 10_000
    assert (folder / results["REPORT"]).read_bytes().startswith(b"%PDF")


def test_the_model_from_qgis_process_matches_the_steps(pipeline, sample_truth):
    results = pipeline["model"]["results"]
    folder = pipeline["folder"]
    assert results["taskingbrief:Tasking brief"] == "out/model/brief.pdf"
    assert results["computerisk:Hot blocks"] == "out/model/hot_blocks.gpkg|layername=hot_blocks"
    from qgis.core import QgsVectorLayer

    def count(uri):
        return QgsVectorLayer(str(folder / uri), "l", "ogr").featureCount()

    assert count(results["buildblocks:Blocks"]) == sample_truth.blocks
    assert count(results["computerisk:Hot blocks"]) == sample_truth.blocks * 2
    for child, label, layer in (
        ("join_ambulance", "ambulance", "ambulance"),
        ("join_ae", "A&E", "ae_istv"),
        ("join_police", "police", "police"),
    ):
        joined = count(results[f"{child}:Joined {label} incidents"])
        unmatched = count(results[f"{child}:Unmatched {label} incidents"])
        assert joined == sample_truth.joined[layer]
        assert unmatched == sample_truth.unmatched(layer)
