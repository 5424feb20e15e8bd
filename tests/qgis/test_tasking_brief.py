"""hotblocking:taskingbrief: the PDF brief, read back with poppler (pdfinfo, pdftotext).

Two inputs: the demo pipeline on the bundled sample data (built once per session), and a
tiny hand-made computerisk-like layer whose numbers are chosen to test small-number
suppression exactly.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from hb_layers import write_gpkg
from hb_sample import WINDOWS, run_alg, run_sample_pipeline
from osgeo import ogr
from qgis.core import (
    QgsProcessingException,
    QgsProject,
    QgsVectorLayer,
)


@pytest.fixture(scope="session")
def brief(plugin):
    def _brief(**parameters):
        return run_alg("hotblocking:taskingbrief", parameters)

    return _brief


@pytest.fixture(scope="session")
def demo_hot_blocks(plugin, tmp_path_factory):
    """Blocks, joined incidents and computerisk output of the sample data (as `make demo`)."""
    return run_sample_pipeline(tmp_path_factory.mktemp("brief_demo"))


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def pdf_text(path, page=None, layout=False) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run(
        [*args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def top_names(hot_uri, window, n):
    layer = QgsVectorLayer(hot_uri, "hot", "ogr")
    rows = [
        (
            f["rank"],
            -f["incidents"],
            f["block_id"],
            f["name"] if isinstance(f["name"], str) else f["description"],
            f["description"],
        )
        for f in layer.getFeatures()
        if f["window"] == window and f["incidents"] > 0
    ]
    return [name for *_, name, _ in sorted(rows)[:n]], [d for *_, d in sorted(rows)[:n]]


# --- the demo brief --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_brief(brief, demo_hot_blocks, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief") / "brief.pdf"
    result = brief(
        HOTBLOCKS=demo_hot_blocks["hot"],
        WINDOW="Fri/Sat nights",
        WINDOWS=WINDOWS,
        TOP_N=10,
        CONTEXT=[demo_hot_blocks["blocks"]],
        AREA="Sample city centre",
        PREPARED_BY="Analyst A",
        OUTPUT=str(out),
    )
    return result, out


def test_demo_brief_has_a_cover_and_a_page_per_block(demo_brief):
    result, path = demo_brief
    assert result["OUTPUT"] == str(path) and path.exists()
    assert pdf_pages(path) == 11 == result["PAGE_COUNT"]


def test_cover_names_the_top_streets_as_selectable_text(demo_brief, demo_hot_blocks):
    _, path = demo_brief
    cover = pdf_text(path, page=1)
    assert "Violence reduction patrol brief" in cover and "Sample city centre" in cover
    assert "Fri/Sat nights" in cover and "Fri and Sat, 22:00 to 04:00 next day" in cover
    names, descriptions = top_names(demo_hot_blocks["hot"], "Fri/Sat nights", 10)
    assert names and all(name in cover for name in names)
    # each block page is headed by the block's description ("X between A and B")
    for page, words in enumerate(descriptions[:3], start=2):
        assert " between " in words and words in pdf_text(path, page=page).replace("\n", " ")


def test_every_page_carries_marking_page_number_version_and_period(demo_brief):
    from hotblocking_under_test.plugin_metadata import plugin_version

    _, path = demo_brief
    for page in range(1, 12):
        text = pdf_text(path, page=page)
        assert text.count("OFFICIAL-SENSITIVE") == 2, page  # top and bottom
        assert f"Page {page} of 11" in text
        assert f"Hot Blocking {plugin_version()}" in text
        assert "Data: 3 Jan 2025 to 28 Dec 2025" in text


def test_block_pages_explain_why_and_when(demo_brief):
    _, path = demo_brief
    page = pdf_text(path, page=2)
    for words in (
        "Why it is hot",
        "When to go",
        "Patrol plan: 3 visits of 15 minutes",
        "far more than its length predicts",
        "Officer notes",
        "Peak hours:",
    ):
        assert words.lower() in page.lower(), words
    visits = re.findall(r"\d\.\s+((?:Fri|Sat|Sun) \d\d:\d\d-\d\d:\d\d)", page)
    assert len(visits) == 3


def test_the_brief_is_set_in_the_machines_default_font(demo_brief):
    # No family named in the layout: the fonts embedded are the default font's faces (here
    # DejaVu Sans regular, bold, oblique), never a substitute such as a TeX or serif font.
    from qgis.PyQt.QtGui import QFont, QFontInfo

    _, path = demo_brief
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    embedded = {line.split()[0].split("+")[-1] for line in listing if line.strip()}
    family = QFontInfo(QFont()).family().replace(" ", "")
    assert embedded and all(name.startswith(family) for name in embedded), embedded


def test_no_layer_reaches_the_project_instance(brief, demo_hot_blocks, tmp_path):
    before = set(QgsProject.instance().mapLayers())
    brief(
        HOTBLOCKS=demo_hot_blocks["hot"], WINDOWS=WINDOWS, TOP_N=1, OUTPUT=str(tmp_path / "b.pdf")
    )
    assert set(QgsProject.instance().mapLayers()) == before


def test_unknown_window_is_a_clear_error(brief, demo_hot_blocks, tmp_path):
    with pytest.raises(
        QgsProcessingException,
        match=r"Window 'Sunday brunch' is not in the hot blocks "
        r"layer; its windows are: 'Fri/Sat nights', 'Weekday lunch'",
    ):
        brief(
            HOTBLOCKS=demo_hot_blocks["hot"],
            WINDOW="Sunday brunch",
            WINDOWS=WINDOWS,
            OUTPUT=str(tmp_path / "x.pdf"),
        )
    assert not (tmp_path / "x.pdf").exists()


def test_window_hours_come_from_the_layer_or_must_match(brief, demo_hot_blocks, tmp_path):
    # computerisk stores each window's days and hours (window_spec): no WINDOWS needed
    result = brief(HOTBLOCKS=demo_hot_blocks["hot"], TOP_N=1, OUTPUT=str(tmp_path / "ok.pdf"))
    assert result["PAGE_COUNT"] == 2
    with pytest.raises(QgsProcessingException, match="layer was computed with"):
        brief(
            HOTBLOCKS=demo_hot_blocks["hot"],
            WINDOWS="Fri/Sat nights=Mon 09:00-10:00",
            OUTPUT=str(tmp_path / "x.pdf"),
        )


# --- a tiny hand-made layer: exact suppression -----------------------------------------------

FIELDS = [
    ("block_id", "str"),
    ("link_id", "str"),
    ("name", "str"),
    ("window", "str"),
    ("window_spec", "str"),
    ("incidents", "real"),
    ("n_ambulance", "real"),
    ("n_a_e", "real"),
    ("n_police", "real"),
    ("harm", "real"),
    ("risk", "real"),
    ("rank", "int"),
    ("expected", "real"),
    ("p_value", "real"),
    ("q_value", "real"),
    ("hot", "int"),
    ("peak", "str"),
    ("profile", "str"),
    ("first_seen", "datetime"),
    ("last_seen", "datetime"),
    ("trend", "real"),
    ("sources", "str"),
]
NIGHT = "Fri-Sat 22:00-04:00"  # an unlabelled window: its label is its spec


def profile(cells):
    values = ["0"] * 168
    for index, value in cells.items():
        values[index] = str(value)
    return ",".join(values)


def row(block, name, rank, amb, ae, police, total, harm, cells, p=1e-6, q=1e-5):
    return {
        "block_id": block,
        "link_id": block.split(":")[0],
        "name": name,
        "window": NIGHT,
        "window_spec": NIGHT,
        "incidents": total,
        "n_ambulance": amb,
        "n_a_e": ae,
        "n_police": police,
        "harm": harm,
        "risk": total,
        "rank": rank,
        "expected": 2.0,
        "p_value": p,
        "q_value": q,
        "hot": 1,
        "peak": "Fri 23:00-24:00",
        "profile": profile(cells),
        "first_seen": "2025/01/03 23:10:00",
        "last_seen": "2025/12/27 01:40:00",
        "trend": 1.02,
        "sources": "ambulance=n_ambulance;A&E=n_a_e;police=n_police",
    }


@pytest.fixture()
def tiny_hot_blocks(tmp_path):
    fri23, sat01 = 4 * 24 + 23, 5 * 24 + 1
    rows = [
        # 150 = 56 + 37 + 57: with MIN_COUNT_SHOWN 50, 37 is hidden and 56 withheld with it
        (
            "LINESTRING (0 0, 100 0)",
            row("Brook St:1", "Brook Street", 1, 56, 37, 57, 150, 4821, {fri23: 100, sat01: 50}),
        ),
        # a block whose total is below 50: harm, chart and peak withheld
        (
            "LINESTRING (100 0, 200 0)",
            row("Brook St:2", "Brook Street", 2, 9, 6, 5, 20, 611, {fri23: 20}, p=0.2, q=0.4),
        ),
        ("LINESTRING (0 0, 0 120)", row("Mill Ln:1", "Mill Lane", 3, 0, 0, 0, 0, 0, {})),
    ]
    return write_gpkg(tmp_path / "hot.gpkg", "hot_blocks", ogr.wkbLineString, rows, FIELDS)


def test_small_counts_print_as_less_than_n(brief, tiny_hot_blocks, tmp_path):
    out = tmp_path / "suppressed.pdf"
    result = brief(HOTBLOCKS=tiny_hot_blocks, MIN_COUNT_SHOWN=50, TOP_N=10, OUTPUT=str(out))
    assert result["PAGE_COUNT"] == pdf_pages(out) == 3  # Mill Lane has no incident: no page
    cover = pdf_text(out, page=1, layout=True)
    (line,) = [ln for ln in cover.splitlines() if "Brook St:1" in ln]
    cells = (
        line.split()
    )  # ... Ambulance, A&E, Police (field order), Total, Harm, "Fri", "23:00-24:00"
    assert cells[-7:-2] == ["*", "<50", "57", "150", "4,821"]
    assert "37" not in cells and "56" not in cells and "150" in cells
    (line,) = [ln for ln in cover.splitlines() if "Brook St:2" in ln]
    assert line.split().count("<50") == 4 and "withheld" in line
    for raw in ("9", "6", "20", "611"):
        assert raw not in line.split()
    page2 = " ".join(pdf_text(out, page=2).split())
    assert "Ambulance *, A&E <50, Police 57" in page2 and "A&E 37" not in page2
    page3 = " ".join(pdf_text(out, page=3).split())
    assert "<50 incidents in this window" in page3
    assert "Hour-of-week pattern withheld" in page3 and "611" not in page3
    assert "Small numbers: <50 = fewer than 50" in pdf_text(out, page=1)
    assert "Window: Fri and Sat, 22:00 to 04:00 next day." in page2  # unlabelled: words only


def test_suppression_off_prints_every_count(brief, tiny_hot_blocks, tmp_path):
    out = tmp_path / "internal.pdf"
    brief(HOTBLOCKS=tiny_hot_blocks, OUTPUT=str(out))
    cover = pdf_text(out, page=1, layout=True)
    (line,) = [ln for ln in cover.splitlines() if "Brook St:1" in ln]
    assert line.split()[-7:-2] == ["56", "37", "57", "150", "4,821"]
    assert "<" not in cover.replace("<1", "")


def test_patrol_plans_are_reproducible_for_a_seed(brief, tiny_hot_blocks, tmp_path):
    def plan(seed, name):
        out = tmp_path / f"{name}.pdf"
        brief(HOTBLOCKS=tiny_hot_blocks, SEED=seed, VISITS=4, VISIT_MINUTES=12, OUTPUT=str(out))
        return re.findall(r"\d\.\s+((?:Fri|Sat|Sun) \d\d:\d\d-\d\d:\d\d)", pdf_text(out, page=2))

    first, again, other = plan(7, "a"), plan(7, "b"), plan(8, "c")
    assert len(first) == 4 and first == again and first != other


def test_visits_that_cannot_fit_are_refused(brief, tiny_hot_blocks, tmp_path):
    with pytest.raises(
        QgsProcessingException, match="Patrol plan: 13 visits of 60 minutes cannot fit"
    ):
        brief(
            HOTBLOCKS=tiny_hot_blocks, VISITS=13, VISIT_MINUTES=60, OUTPUT=str(tmp_path / "x.pdf")
        )
