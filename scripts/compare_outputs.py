"""Are the outputs on the sample data the same as another commit's? Cell by cell.

Runs the sample pipeline (``tools/sample_pipeline.py``) and computerisk with every option
switched on (smoothing, merging, harm, decay, period, the other hot rules) and the tasking
brief, then compares every table of every GeoPackage written (every column of every row,
geometry bytes included; floats exactly, NULL equal only to NULL), the text of the briefs
(the generation time masked) and the algorithms' output numbers.

    python scripts/compare_outputs.py against COMMIT    # a temporary git worktree of COMMIT
    python scripts/compare_outputs.py run OUT [--plugin FOLDER]
    python scripts/compare_outputs.py compare REFERENCE NEW [--new-field NAME ...]

Fields the newer code adds (declared new fields, such as ``sources``) are listed with
``--new-field``; ``against`` allows the fields :data:`NEW_FIELDS` names. Exit status 0 when
everything matches.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NEW_FIELDS = ("sources",)  # added to the hot-blocks layer by issue 9 (source labels)
GENERATED = re.compile(r"Generated \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d")
OPTIONS = {  # computerisk with every option on
    "SOURCE_WEIGHTS": "ambulance=1; A&E=2; police=0.5",
    "USE_HARM": True,
    "HALF_LIFE_DAYS": 90,
    "BANDWIDTH": 150,
    "MERGE_MINUTES": 30,
    "MAX_SPAN_HOURS": 3,
    "PERIOD_START": "2025-02-01",
    "PERIOD_END": "2025-11-30",
    "HOT_RULE": 1,
    "HOT_VALUE": 0.05,
}


def run(out: Path, plugin_root: Path) -> None:
    """Every output into ``out`` with the plugin in ``plugin_root``; results.json alongside."""
    from standalone import run as run_alg
    from standalone import start_qgis

    from tools import sample_pipeline as sample

    start_qgis(plugin_root)
    out.mkdir(parents=True, exist_ok=True)
    results = sample.run_pipeline(run_alg, out)
    blocks, joined = results["blocks"]["OUTPUT"], [j["OUTPUT"] for j in results["joins"]]
    windows = sample.WINDOWS + "; all=daily 00:00-24:00"
    results["risk_profiles"] = run_alg(
        "hotblocking:computerisk",
        sample.risk_parameters(
            blocks, joined, out / "risk_default.gpkg", PROFILES=str(out / "profiles.gpkg")
        ),
    )
    results["risk_options"] = run_alg(
        "hotblocking:computerisk",
        sample.risk_parameters(
            blocks,
            joined,
            out / "risk_options.gpkg",
            PROFILES=str(out / "profiles_options.gpkg"),
            **{**OPTIONS, "WINDOWS": windows},
        ),
    )
    results["risk_significance"] = run_alg(
        "hotblocking:computerisk",
        sample.risk_parameters(
            blocks,
            joined,
            out / "risk_significance.gpkg",
            HOT_RULE=2,
            HOT_VALUE=0.05,
            BANDWIDTH=300,
        ),
    )
    for name, more in (("brief", {}), ("brief_suppressed", {"MIN_COUNT_SHOWN": 8, "SEED": 7})):
        results[name] = run_alg(
            "hotblocking:taskingbrief",
            {
                "HOTBLOCKS": results["risk"]["OUTPUT"],
                "WINDOW": sample.BRIEF_WINDOW,
                "TOP_N": 10,
                "CONTEXT": [sample.layer_uri(sample.ROADS_LAYER)],
                "AREA": "Sample city centre",
                "OUTPUT": str(out / f"{name}.pdf"),
                **more,
            },
        )
    text = json.dumps(results, indent=1, sort_keys=True, default=str).replace(str(out), "OUT")
    (out / "results.json").write_text(text)


def tables(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table of a GeoPackage listed in gpkg_contents: (columns, rows by rowid)."""
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")]
        out = {}
        for name in names:
            if name == "layer_styles":  # holds the time it was written
                continue
            cursor = db.execute(f'SELECT * FROM "{name}" ORDER BY rowid')
            out[name] = ([d[0] for d in cursor.description], cursor.fetchall())
        return out


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def compare_gpkg(reference: Path, new: Path, new_fields: set[str]) -> list[str]:
    problems = []
    ref_tables, new_tables = tables(reference), tables(new)
    if sorted(ref_tables) != sorted(new_tables):
        return [f"{new.name}: tables {sorted(new_tables)}, expected {sorted(ref_tables)}"]
    for name, (ref_columns, ref_rows) in ref_tables.items():
        new_columns, new_rows = new_tables[name]
        keep = [i for i, c in enumerate(new_columns) if c not in new_fields]
        added = [c for c in new_columns if c in new_fields]
        if [new_columns[i] for i in keep] != ref_columns:
            problems.append(f"{new.name}:{name}: columns {new_columns}, expected {ref_columns}")
            continue
        if len(new_rows) != len(ref_rows):
            problems.append(f"{new.name}:{name}: {len(new_rows)} rows, expected {len(ref_rows)}")
            continue
        cells = 0
        for row_number, (ref_row, new_row) in enumerate(zip(ref_rows, new_rows), start=1):
            for column, ref_value in zip(ref_columns, ref_row):
                new_value = new_row[new_columns.index(column)]
                cells += 1
                if not same(ref_value, new_value):
                    problems.append(
                        f"{new.name}:{name}: row {row_number} {column}: {new_value!r}, "
                        f"expected {ref_value!r}"
                    )
                    if len(problems) > 20:
                        return problems
        print(
            f"  {new.name}:{name}: {len(ref_rows)} rows x {len(ref_columns)} columns = {cells} "
            f"cells identical" + (f" (+ new fields {added})" if added else "")
        )
    return problems


def pdf_text(path: Path) -> str:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return GENERATED.sub("Generated (time)", text)


def compare(reference: Path, new: Path, new_fields: set[str]) -> list[str]:
    problems = []
    ref_files = sorted(p.name for p in reference.iterdir() if p.suffix in (".gpkg", ".pdf"))
    new_files = sorted(p.name for p in new.iterdir() if p.suffix in (".gpkg", ".pdf"))
    if ref_files != new_files:
        problems.append(f"files {new_files}, expected {ref_files}")
    for name in ref_files:
        if name not in new_files:
            continue
        if name.endswith(".gpkg"):
            problems += compare_gpkg(reference / name, new / name, new_fields)
        elif pdf_text(reference / name) != pdf_text(new / name):
            problems.append(f"{name}: the brief's text differs")
        else:
            print(f"  {name}: text identical")
    ref_results = json.loads((reference / "results.json").read_text())
    new_results = json.loads((new / "results.json").read_text())
    if ref_results != new_results:
        problems.append("results.json (output numbers) differ")
    else:
        print("  results.json: output numbers identical")
    return problems


def against(commit: str, keep: Path | None, new_fields: set[str]) -> int:
    work = Path(keep or tempfile.mkdtemp(prefix="hb-compare-"))
    tree = work / "reference-tree"
    git = ["git", "-C", str(ROOT), "worktree"]
    subprocess.run([*git, "add", "--detach", str(tree), commit], check=True)
    try:
        for out, plugin in ((work / "reference", tree), (work / "new", ROOT)):
            subprocess.run(
                [sys.executable, __file__, "run", str(out), "--plugin", str(plugin)], check=True
            )
    finally:
        subprocess.run([*git, "remove", "--force", str(tree)], check=False)
    return report(compare(work / "reference", work / "new", new_fields))


def report(problems: list[str]) -> int:
    for problem in problems:
        print("DIFFERENT:", problem)
    print("outputs identical" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run")
    p_run.add_argument("out", type=Path)
    p_run.add_argument("--plugin", type=Path, default=ROOT)
    p_cmp = sub.add_parser("compare")
    p_cmp.add_argument("reference", type=Path)
    p_cmp.add_argument("new", type=Path)
    p_cmp.add_argument("--new-field", action="append", default=[])
    p_against = sub.add_parser("against")
    p_against.add_argument("commit")
    p_against.add_argument("--keep", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args.out.resolve(), args.plugin.resolve())
        return 0
    if args.command == "compare":
        return report(compare(args.reference, args.new, set(args.new_field)))
    return against(args.commit, args.keep, set(NEW_FIELDS))


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # QGIS 3.22 may crash on interpreter exit after Processing runs
