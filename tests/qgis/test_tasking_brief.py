"""hotblocking:taskingbrief: the PDF brief, read back with poppler (pdfinfo, pdftotext).

Two kinds of input: the demo pipeline on the bundled sample data (built once per session),
and small hand-made computerisk-like layers whose numbers are chosen so that every expected
text is known in advance: small-number suppression (attacked by tests/helpers/hb_attacker.py),
which blocks are listed (ties, smoothing), trend and significance wording, the whole-week
chart, whole-period windows with month-only records, time zones.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from hb_attacker import PrintedSection, recovered
from hb_feedback import Log
from hb_layers import write_gpkg
from hb_sample import WINDOWS, run_alg, run_sample_pipeline
from osgeo import ogr
from qgis.core import (
    QgsProcessingContext,
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


# --- hand-made layers: exact expectations -----------------------------------------------------

FIELDS = [
    ("block_id", "str"),
    ("link_id", "str"),
    ("name", "str"),
    ("window", "str"),
    ("window_spec", "str"),
    ("incidents", "real"),
    ("events", "real"),
    ("n_ambulance", "real"),
    ("n_a_e", "real"),
    ("n_police", "real"),
    ("harm", "real"),
    ("risk", "real"),
    ("rank", "int"),
    ("expected", "real"),
    ("p_value", "real"),
    ("q_value", "real"),
    ("hot", "bool"),
    ("peak", "str"),
    ("profile", "str"),
    ("first_seen", "datetime"),
    ("last_seen", "datetime"),
    ("trend", "real"),
    ("trend_p", "real"),
    ("trend_word", "str"),
    ("pattern", "str"),
    ("sources", "str"),
]
NIGHT = "Fri-Sat 22:00-04:00"  # an unlabelled window: its label is its spec
FRI_21, FRI_23, SAT_01 = 4 * 24 + 21, 4 * 24 + 23, 5 * 24 + 1


def profile(cells):
    values = ["0"] * 168
    for index, value in cells.items():
        values[index] = str(value)
    return ",".join(values)


def row(block, name, rank, amb, ae, police, total, harm, cells, p=1e-6, q=1e-5, **more):
    values = {
        "block_id": block,
        "link_id": block.split(":")[0],
        "name": name,
        "window": NIGHT,
        "window_spec": NIGHT,
        "incidents": total,
        "events": total,
        "n_ambulance": amb,
        "n_a_e": ae,
        "n_police": police,
        "harm": harm,
        "risk": total,
        "rank": rank,
        "expected": 2.0,
        "p_value": p,
        "q_value": q,
        "hot": 1 if total else 0,
        "peak": "Fri 23:00-24:00",
        "profile": profile(cells),
        "first_seen": "2025/01/03 23:10:00",
        "last_seen": "2025/12/27 01:40:00",
        "trend": 1.02,
        "trend_p": 0.6,
        "trend_word": "no clear trend",
        "pattern": "persistent",
        "sources": "ambulance=n_ambulance;A&E=n_a_e;police=n_police",
    }
    values.update(more)
    return values


def line_at(x):
    return f"LINESTRING ({100 * x} 0, {100 * x + 100} 0)"


@pytest.fixture()
def tiny_hot_blocks(tmp_path):
    rows = [
        # 150 = 56 + 37 + 57: with MIN_COUNT_SHOWN 50, 37 is hidden
        (
            "LINESTRING (0 0, 100 0)",
            row("Brook St:1", "Brook Street", 1, 56, 37, 57, 150, 4821, {FRI_23: 100, SAT_01: 50}),
        ),
        # a block whose total is below 50: harm, chart and peak withheld
        (
            "LINESTRING (100 0, 200 0)",
            row("Brook St:2", "Brook Street", 2, 9, 6, 5, 20, 611, {FRI_23: 20}, p=0.2, q=0.4),
        ),
        ("LINESTRING (0 0, 0 120)", row("Mill Ln:1", "Mill Lane", 3, 0, 0, 0, 0, 0, {})),
    ]
    return write_gpkg(tmp_path / "hot.gpkg", "hot_blocks", ogr.wkbLineString, rows, FIELDS)


def words(text) -> str:
    """pdftotext's text with every run of whitespace as one space (lines re-joined)."""
    return " ".join(text.split())


def cover_cells(cover, block_id):
    """The table cells of one cover row after the section id: sources..., total, harm, peak."""
    (line,) = [ln for ln in cover.splitlines() if block_id in ln]
    return line.split(block_id, 1)[1].split()


def test_small_counts_print_as_less_than_n(brief, tiny_hot_blocks, tmp_path):
    out = tmp_path / "suppressed.pdf"
    result = brief(HOTBLOCKS=tiny_hot_blocks, MIN_COUNT_SHOWN=50, TOP_N=10, OUTPUT=str(out))
    assert result["PAGE_COUNT"] == pdf_pages(out) == 3  # Mill Lane is not hot: no page
    cover = pdf_text(out, page=1, layout=True)
    first = cover_cells(cover, "Brook St:1")
    assert first[1] == "<50" and "37" not in first  # ambulance, A&E, police, total, harm...
    second = cover_cells(cover, "Brook St:2")
    assert second[:4] == ["<50"] * 4 and "withheld" in second
    for raw in ("9", "6", "20", "611"):
        assert raw not in second
    page2 = words(pdf_text(out, page=2))
    assert "A&E <50" in page2 and "A&E 37" not in page2
    page3 = words(pdf_text(out, page=3))
    assert "<50 incidents in this window" in page3
    assert "Hour-of-week pattern withheld" in page3 and "611" not in page3
    assert "Small numbers: <50 = fewer than 50" in words(pdf_text(out, page=1))
    assert "Window: Fri and Sat, 22:00 to 04:00 next day." in page2  # unlabelled: words only


def printed_section(cover, block_ids, min_shown, all_listed=False):
    """What the cover printed, for the reader in hb_attacker: the table rows and the facts
    line 'Incidents in window: N in total (by source: Ambulance a, A&E b, Police c)'."""
    rows, totals = [], []
    for block_id in block_ids:
        cells = cover_cells(cover, block_id)
        rows.append(cells[:3])
        totals.append(cells[3])
    facts = re.search(
        r"(\S+) in total \(by source: Ambulance (\S+), A&E (\S+), Police (\S+)\)", words(cover)
    )
    return PrintedSection(
        rows=rows,
        totals=totals,
        area_sources=list(facts.group(2, 3, 4)),
        area_total=facts.group(1),
        min_shown=min_shown,
        all_listed=all_listed,
    )


def test_no_suppressed_count_can_be_worked_out_from_the_printed_ones(
    brief, tiny_hot_blocks, tmp_path
):
    # The reader (tests/helpers/hb_attacker.py, integer and linear programming) knows every
    # sum between the printed figures: rows, columns, the area's totals. With only primary
    # suppression the area's police total 62 minus the printed 57 gave Brook St:2's 5 away.
    out = tmp_path / "suppressed.pdf"
    brief(HOTBLOCKS=tiny_hot_blocks, MIN_COUNT_SHOWN=50, OUTPUT=str(out))
    section = printed_section(pdf_text(out, page=1, layout=True), ["Brook St:1", "Brook St:2"], 50)
    truth = {
        "row0:src1": 37.0,
        "row1:src0": 9.0,
        "row1:src1": 6.0,
        "row1:src2": 5.0,
        "row1:total": 20.0,
        "area:src1": 43.0,
    }
    assert recovered(section, truth) == []
    assert "*" in section.area_sources + section.rows[0] + section.totals


def test_suppression_off_prints_every_count(brief, tiny_hot_blocks, tmp_path):
    out = tmp_path / "internal.pdf"
    brief(HOTBLOCKS=tiny_hot_blocks, OUTPUT=str(out))
    cover = pdf_text(out, page=1, layout=True)
    assert cover_cells(cover, "Brook St:1")[:5] == ["56", "37", "57", "150", "4,821"]
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
            HOTBLOCKS=tiny_hot_blocks,
            VISITS=13,
            VISIT_MINUTES=60,
            OUTPUT=str(out := tmp_path / "x.pdf"),
        )
    assert not out.exists()


# --- the brief lists what the layer calls hot ---------------------------------------------------


@pytest.fixture()
def smoothed_hot_blocks(tmp_path):
    """Window 'night': blocks ranked 1..8 by smoothed risk, 1..7 hot; B (rank 2) and F
    (rank 6) have no incident of their own (their risk came from neighbours). Window
    'ties': two blocks share rank 2, the last place of a 2-block brief."""
    spec = {"window": "night", "window_spec": "night=Fri,Sat 22:00-04:00"}
    night = [
        ("A", 1, 30, 30.0),
        ("B", 2, 0, 25.0),
        ("C", 3, 20, 20.0),
        ("D", 4, 18, 18.0),
        ("E", 5, 15, 15.0),
        ("F", 6, 0, 14.0),
        ("G", 7, 12, 12.0),
        ("H", 8, 3, 3.0),
    ]
    rows = []
    for x, (letter, rank, total, risk) in enumerate(night):
        cells = {FRI_23: total} if total else {}
        values = row(f"{letter}:1", f"{letter} Street", rank, total, 0, 0, total, total, cells)
        values.update(spec, risk=risk, hot=1 if rank <= 7 else 0)
        rows.append((line_at(x), values))
    ties = {"window": "ties", "window_spec": "ties=Fri,Sat 22:00-04:00"}
    for x, (letter, rank, total) in enumerate((("A", 1, 30), ("C", 2, 20), ("D", 2, 20))):
        values = row(f"{letter}:1", f"{letter} Street", rank, total, 0, 0, total, total, {})
        values.update(ties, profile=profile({FRI_23: total}))
        rows.append((line_at(x * 2 if letter != "C" else 2), values))
    return write_gpkg(tmp_path / "smoothed.gpkg", "hot_blocks", ogr.wkbLineString, rows, FIELDS)


def test_top_n_lists_the_layers_hot_blocks_in_rank_order(brief, smoothed_hot_blocks, tmp_path):
    # The old brief's "top 5" was ranks 1, 3, 4, 5, 7 (blocks without incidents skipped)
    out = tmp_path / "top5.pdf"
    result = brief(HOTBLOCKS=smoothed_hot_blocks, WINDOW="night", TOP_N=5, OUTPUT=str(out))
    assert result["PAGE_COUNT"] == 6
    cover = pdf_text(out, page=1, layout=True)
    ranks = [
        int(ln.split()[0]) for ln in cover.splitlines() if re.match(r"\s*\d+ [A-H] Street", ln)
    ]
    assert ranks == [1, 2, 3, 4, 5]
    (b_line,) = [ln for ln in cover.splitlines() if "B Street" in ln]
    assert "B Street †" in b_line
    text = words(pdf_text(out, page=1))
    assert (
        "The layer calls 7 blocks hot in this window; the 5 ranked highest are listed (blocks "
        "to brief: 5), the other 2 are on the layer." in text
    )
    assert "† Next to hot streets: hot in the layer through network smoothing" in text
    b_page = words(pdf_text(out, page=3))
    assert "B Street" in b_page and "next to hot streets" in b_page
    assert (
        "Next to hot streets: hot through the streets around it (network smoothing), with 0 "
        "incidents of its own in this window." in b_page
    )
    assert "not tested: no incident of its own in this window" in b_page


def test_ties_at_the_cut_are_all_listed(brief, smoothed_hot_blocks, tmp_path):
    out = tmp_path / "ties.pdf"
    result = brief(HOTBLOCKS=smoothed_hot_blocks, WINDOW="ties", TOP_N=2, OUTPUT=str(out))
    assert result["PAGE_COUNT"] == 4  # cover + 3 blocks: C and D share rank 2
    text = words(pdf_text(out, page=1))
    assert (
        "2 blocks share rank 2, the last place listed: all of them are listed, so 3 blocks "
        "rather than 2." in text
    )
    assert "C Street" in text and "D Street" in text
    assert "2a" in text and "2b" in text


def test_several_windows_in_one_brief_a_section_each(brief, smoothed_hot_blocks, tmp_path):
    out = tmp_path / "two.pdf"
    result = brief(HOTBLOCKS=smoothed_hot_blocks, WINDOW="night; ties", TOP_N=2, OUTPUT=str(out))
    # night: cover + 2 blocks; ties: cover + 3 blocks (the tie at the cut)
    assert result["PAGE_COUNT"] == pdf_pages(out) == 7
    assert "Section 1 of 2: night" in words(pdf_text(out, page=1))
    section_two = words(pdf_text(out, page=4))
    assert "Section 2 of 2: ties" in section_two and "Page 4 of 7" in section_two
    assert "D Street" in words(pdf_text(out, page=7))
    every = brief(HOTBLOCKS=smoothed_hot_blocks, WINDOW="*", TOP_N=2, OUTPUT=str(out))
    assert every["PAGE_COUNT"] == 7


def test_trend_and_significance_words_are_withheld_below_the_minimum(
    brief, tiny_hot_blocks, tmp_path
):
    # Brook St:2 has 20 records but 4 events; computerisk withheld its trend (NULL) although
    # its ratio trend is 0.05: the old brief printed "falling (0.05)"
    layer = QgsVectorLayer(tiny_hot_blocks, "tiny", "ogr")
    layer.startEditing()
    for feature in layer.getFeatures():
        if feature["block_id"] == "Brook St:2":
            for name, value in (("events", 4.0), ("trend", 0.05), ("trend_word", None)):
                layer.changeAttributeValue(feature.id(), layer.fields().indexOf(name), value)
            layer.changeAttributeValue(feature.id(), layer.fields().indexOf("pattern"), None)
        else:
            layer.changeAttributeValue(feature.id(), layer.fields().indexOf("trend_word"), "rising")
            layer.changeAttributeValue(feature.id(), layer.fields().indexOf("trend_p"), 0.012)
    assert layer.commitChanges()
    out = tmp_path / "trend.pdf"
    brief(HOTBLOCKS=tiny_hot_blocks, OUTPUT=str(out))
    few = words(pdf_text(out, page=3))
    assert "Trend: not given: too few incidents to tell." in few
    assert "not tested: too few incidents of its own (under 5) to tell" in few
    assert "falling" not in few and "0.05" not in few and "Pattern:" not in few
    many = words(pdf_text(out, page=2))
    assert (
        "Trend: rising (Mann-Kendall p = 0.012: with no real change, a trend this clear comes "
        "about 1 time in 83)." in many
    )
    assert "Pattern: persistent: hot in almost every period." in many
    assert "q < 0.001): very unlikely to be chance, even allowing for every block tested" in many


# --- the whole week on the chart -------------------------------------------------------------


def cell_colour(pdf, page, day, hour, tmp_path):
    """The colour at the middle of an hour-of-week chart cell on a block page, read from the
    page rendered at 150 dpi. Where the chart sits: brief_layout's block page (chart top 140.5
    mm from the page top, 12 mm margin, 8 mm day column, cells 4.4 mm tall, 0.12 mm grid)."""
    from qgis.PyQt.QtGui import QImage

    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), str(pdf),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    (png,) = tmp_path.glob("page*.png")
    image = QImage(str(png))
    png.unlink()
    grid, row = 0.12, 4.4
    hour_w = (210 - 24 - 8 - 25 * grid) / 24
    x = 12 + grid + 8 + grid + hour * (hour_w + grid) + hour_w / 2
    y = 140.5 + grid + row + grid + day * (row + grid) + row / 2
    return image.pixelColor(round(x / 25.4 * 150), round(y / 25.4 * 150))


def test_the_chart_shows_the_whole_week_with_the_window_outlined(brief, tmp_path):
    # 40 incidents at Fri 21:00-22:00, just before the window, 10 at Fri 23:00
    values = row("Brook St:1", "Brook Street", 1, 50, 0, 0, 50, 50, {FRI_21: 40, FRI_23: 10})
    layer = write_gpkg(
        tmp_path / "week.gpkg", "hot_blocks", ogr.wkbLineString, [(line_at(0), values)], FIELDS
    )
    out = tmp_path / "week.pdf"
    brief(HOTBLOCKS=layer, OUTPUT=str(out))
    page = words(pdf_text(out, page=2))
    assert "the whole week, hour by hour, Fri-Sat 22:00-04:00 outlined" in page
    assert (
        "Busier just outside the window: Fri 21:00-22:00 has more incidents than any hour "
        "inside it (see the chart)." in page
    )
    outside = cell_colour(out, 2, 4, 21, tmp_path)  # the busiest hour: darkest grey
    inside = cell_colour(out, 2, 4, 23, tmp_path)  # 10 of 40: lightest grey
    empty = cell_colour(out, 2, 2, 12, tmp_path)  # Wed noon: white
    assert outside.lightness() < 80, outside.name()
    assert 180 < inside.lightness() < 250, inside.name()
    assert empty.lightness() > 250, empty.name()


# --- whole-period windows, month-only records, police.uk -------------------------------------


@pytest.fixture()
def police_months(tmp_path):
    """A layer with a whole-period window 'all time' (A: 12 month-only records; B: 8 of
    which 3 month-only) and a night window (B's 5 timed records)."""
    month = {"first_seen": "2018/07/01 00:00:00", "last_seen": "2018/09/01 00:00:00"}
    whole = {"window": "all time", "window_spec": "all time=all", "peak": ""}
    rows = [
        (line_at(0), row("A:1", "Alpha Road", 1, 0, 0, 12, 12, 12, {}, **whole, **month)),
        (
            line_at(1),
            row(
                "B:1",
                "Beta Road",
                2,
                5,
                0,
                3,
                8,
                8,
                {FRI_23: 4, SAT_01: 1},
                **whole,
                first_seen="2018/07/14 23:10:00",
                last_seen="2018/09/20 01:15:00",
            ),
        ),  # fmt: skip
        (
            line_at(1),
            row(
                "B:1",
                "Beta Road",
                1,
                5,
                0,
                0,
                5,
                5,
                {FRI_23: 4, SAT_01: 1},
                window="night",
                window_spec="night=Fri,Sat 22:00-04:00",
                first_seen="2018/07/14 23:10:00",
                last_seen="2018/09/20 01:15:00",
            ),
        ),  # fmt: skip
        (
            line_at(0),
            row(
                "A:1",
                "Alpha Road",
                2,
                0,
                0,
                0,
                0,
                0,
                {},
                window="night",
                window_spec="night=Fri,Sat 22:00-04:00",
            ),
        ),  # fmt: skip
    ]
    return write_gpkg(tmp_path / "months.gpkg", "hot_blocks", ogr.wkbLineString, rows, FIELDS)


def test_an_all_window_brief_prints_no_unknowable_hours_and_says_why(
    plugin, police_months, tmp_path
):
    import processing

    out = tmp_path / "months.pdf"
    log = Log()
    result = processing.run(
        "hotblocking:taskingbrief",
        {"HOTBLOCKS": police_months, "WINDOW": "all time; night", "OUTPUT": str(out)},
        context=QgsProcessingContext(),
        feedback=log,
    )
    assert result["PAGE_COUNT"] == 5  # all time: cover + A + B; night: cover + B
    cover = words(pdf_text(out, page=1))
    assert "Jul 2018 to Sep 2018" in cover  # months, not "1 Jul 2018 to 1 Sep 2018"
    assert (
        "15 of the 20 records counted here have no time of day (a date or month only, or a "
        "from/to range too long to place)" in cover
    )
    assert "data.police.uk locations are anonymised" in cover
    for page, untimed, total in ((2, 12, 12), (3, 3, 8)):
        text = words(pdf_text(out, page=page))
        assert (
            f"No hour-of-week chart or peak hours: {untimed} of its {total} incidents have no "
            "time of day (a date or month only), so when they happened is not known." in text
        )
        assert "Peak hours:" not in text
        assert "When incidents happen here: not known" in text
    night = words(pdf_text(out, page=4))
    assert (
        "15 records have no time of day (a date or month only; counted in the layer's "
        "whole-period window 'all time'): they count in no time-of-day window, so not in this "
        "one." in night
    )
    assert "Peak hours: Fri 23:00-24:00 (busiest)" in words(pdf_text(out, page=5))
    assert any(
        "Records without a time of day (a date or month only): 15, from the layer's "
        "whole-period window 'all time'" in line
        for line in log.lines
    )


def test_the_police_uk_caveat_when_asked(brief, tiny_hot_blocks, tmp_path):
    caveat = "data.police.uk locations are anonymised"
    brief(HOTBLOCKS=tiny_hot_blocks, OUTPUT=str(tmp_path / "no.pdf"))
    assert caveat not in words(pdf_text(tmp_path / "no.pdf", page=1))
    brief(HOTBLOCKS=tiny_hot_blocks, POLICE_UK_NOTE=True, OUTPUT=str(tmp_path / "yes.pdf"))
    assert caveat in words(pdf_text(tmp_path / "yes.pdf", page=1))


def test_times_are_in_the_time_zone_asked(brief, tiny_hot_blocks, tmp_path):
    out = tmp_path / "helsinki.pdf"
    brief(HOTBLOCKS=tiny_hot_blocks, TIMEZONE="Europe/Helsinki", OUTPUT=str(out))
    assert "(times: Europe/Helsinki local time)" in words(pdf_text(out, page=1))
    page = words(pdf_text(out, page=2))
    assert "Patrol plan: 3 visits of 15 minutes this week (Europe/Helsinki time)" in page
    assert re.search(r"Generated \d\d \w{3} \d{4} \d\d:\d\d EES?T", page)
    with pytest.raises(QgsProcessingException, match="Unknown time zone 'Mars/Olympus'"):
        brief(HOTBLOCKS=tiny_hot_blocks, TIMEZONE="Mars/Olympus", OUTPUT=str(out))


def test_no_hot_block_is_a_clear_error(brief, tmp_path):
    values = row("Brook St:1", "Brook Street", 1, 3, 0, 0, 3, 3, {FRI_23: 3}, hot=0)
    layer = write_gpkg(
        tmp_path / "cold.gpkg", "hot_blocks", ogr.wkbLineString, [(line_at(0), values)], FIELDS
    )
    with pytest.raises(QgsProcessingException, match="The layer calls no block hot in window"):
        brief(HOTBLOCKS=layer, OUTPUT=str(tmp_path / "x.pdf"))
