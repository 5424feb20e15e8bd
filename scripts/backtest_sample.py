"""`make backtest`: the figures of README's "Is the map any good?", reproduced.

Runs the sample pipeline (blocks, the three joins) and hotblocking:evaluate twice with the
settings of tools/sample_pipeline.py (every baseline, computerisk's merging rules and harm, a
grid of bandwidths and half-lives): rolling origins (each month from three before it), then
one split (nine months train, three test). Prints the tables README quotes, as Markdown.
Outputs in --out (default out/backtest): rolling.gpkg/.png/.pdf and split.gpkg/.png/.pdf.
With --docs the rolling chart is also copied to docs/backtest_sample.png.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
from pathlib import Path

import pandas as pd
from standalone import ROOT, run, start_qgis

from tools import sample_pipeline as sample

LEVELS = ("1%", "5%", "10%")
ALL = "all origins"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="out/backtest")
    parser.add_argument("--docs", action="store_true", help="copy the chart into docs/")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    start_qgis()
    steps = _joins(out)
    for name, split in (("rolling", None), ("split", sample.BACKTEST_SPLIT)):
        result = run(
            "hotblocking:evaluate",
            sample.backtest_parameters(
                steps["blocks"],
                steps["joined"],
                out / f"{name}.gpkg",
                SPLIT_DATE=split,
                CHART=str(out / f"{name}.png"),
                REPORT=str(out / f"{name}.pdf"),
            ),
        )
        with sqlite3.connect(out / f"{name}.gpkg") as db:
            table = pd.read_sql("SELECT * FROM evaluation", db)
        print(f"### {name}\n\n" + report(table, result) + "\n")
    if args.docs:
        shutil.copyfile(out / "rolling.png", ROOT / "docs" / "backtest_sample.png")
    return 0


def _joins(out: Path) -> dict:
    """buildblocks and the three joins of the sample pipeline (computerisk is not needed)."""
    blocks = run("hotblocking:buildblocks", sample.buildblocks_parameters(out / "blocks.gpkg"))
    joined = [
        run(
            "hotblocking:joinincidents",
            sample.join_parameters(
                source,
                blocks["OUTPUT"],
                out / f"joined_{source.layer}.gpkg",
                out / f"unmatched_{source.layer}.gpkg",
            ),
        )["OUTPUT"]
        for source in sample.SOURCES
    ]
    return {"blocks": blocks["OUTPUT"], "joined": joined}


def report(table: pd.DataFrame, result: dict) -> str:
    """The README tables: per window, methods at 1, 5 and 10%; the grid at the search level."""
    summary = table[table["origin"] == ALL]
    origins = table.loc[table["origin"] != ALL, "origin"]
    lines = [f"{origins.nunique()} test period(s) from {origins.min()}.", ""]
    grid = summary["method"].str.startswith("search: ")
    for window, rows in summary[~grid].groupby("window", sort=False):
        lines += [f"#### {window}", "", _method_table(rows), ""]
    level = f"{sample.BACKTEST_SEARCH_LEVEL}%"
    for window, rows in summary[grid & (summary["level"] == level)].groupby("window", sort=False):
        lines += [f"#### Search grid, {window}, at {level}", "", _grid_table(rows), ""]
    lines.append(
        f"Best (first window, at {level}): {result['BEST_METHOD']} - hit rate "
        f"{_pct(result['BEST_HIT_RATE'])} ({_pct(result['BEST_HIT_RATE_LOW'])}-"
        f"{_pct(result['BEST_HIT_RATE_HIGH'])}), gain {_points(result['BEST_GAIN'])} "
        f"({_points(result['BEST_GAIN_LOW'])} to {_points(result['BEST_GAIN_HIGH'])})"
    )
    return "\n".join(lines)


def _method_table(rows: pd.DataFrame) -> str:
    head = "| method | " + " | ".join(f"hit rate {lv} | PAI {lv}" for lv in LEVELS) + " | gain 5% |"
    lines = [head, "|---" * (2 * len(LEVELS) + 2) + "|"]
    for method, group in rows.groupby("method", sort=False):
        by_level = group.set_index("level")
        cells = []
        for level in LEVELS:
            row = by_level.loc[level]
            cells += [
                f"{_pct(row['hit_rate'])} ({_pct(row['hit_rate_low'])}-"
                f"{_pct(row['hit_rate_high'])})",
                f"{row['pai']:.1f}",
            ]
        five = by_level.loc["5%"]
        gain = (
            f"{_points(five['gain'])} ({_points(five['gain_low'])} to "
            f"{_points(five['gain_high'])})"
        )
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {gain} |")
    return "\n".join(lines)


def _grid_table(rows: pd.DataFrame) -> str:
    settings = rows["method"].str.extract(r"BANDWIDTH=([\d.]+), HALF_LIFE_DAYS=([\d.]+)")
    rows = rows.assign(bandwidth=settings[0].astype(float), half_life=settings[1].astype(float))
    half_lives = sorted(rows["half_life"].unique())
    lines = [
        "| bandwidth (m) | " + " | ".join(f"half-life {h:g} d" for h in half_lives) + " |",
        "|---" * (len(half_lives) + 1) + "|",
    ]
    for bandwidth, group in rows.groupby("bandwidth"):
        by_half_life = group.set_index("half_life")
        cells = [
            f"{_pct(by_half_life.loc[h, 'hit_rate'])} ({_points(by_half_life.loc[h, 'gain'])})"
            for h in half_lives
        ]
        lines.append(f"| {bandwidth:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _pct(value) -> str:
    return "-" if value is None or value != value else f"{100 * value:.1f}%"


def _points(value) -> str:
    return "-" if value is None or value != value else f"{round(100 * value, 1) + 0.0:+.1f}"


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    import os

    os._exit(code)  # QGIS 3.22 may crash on interpreter exit after Processing runs
