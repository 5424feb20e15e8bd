"""The tasking brief as a QGIS print layout: A4 portrait, a cover and one page per block.

Every page carries the protective marking (bold, top and bottom), "Page x of y", the
generation time, the plugin version and the data period. Text items are plain labels and a
manual table, so a PDF exported with text render format "always text" has selectable,
searchable text (checked with pdftotext in the tests).
"""

from __future__ import annotations

from qgis.core import QgsLayoutItemPage, QgsLayoutUtils, QgsPrintLayout

from ..hotblocking.brief_content import BriefContent
from .brief_chart import add_hour_chart, chart_height
from .brief_items import PageItems, font, line_height, shorten_to, wrap
from .brief_maps import (
    add_locator,
    add_map,
    add_scale_bar,
    block_extent,
)

PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 12.0
BODY_W = PAGE_W - 2 * MARGIN
BODY_TOP, BODY_BOTTOM = 17.0, 279.0
ROW_H = 5.6  # table row height in mm (8 pt text + margins)
KOPER = (
    "Stay 10-15 minutes each visit: be seen, speak to staff and people about, then move on "
    "(longer stays add little; Koper curve). Keep to these times: they are random so that "
    "visits cannot be predicted."
)


COVER_FACTS_BOTTOM = 64.0  # where the facts box usually ends (title, area, 5 facts)
COVER_MAP_MIN_H = 95.0
KEY_H = 8.0  # the key line (and scale bar) under a map
CONTINUED_ROWS = int((BODY_BOTTOM - BODY_TOP - 10.0) // ROW_H) - 1


def table_height(rows: int) -> float:
    return (rows + 1) * ROW_H + 1.0


def page_plan(content: BriefContent) -> tuple[list[list[int]], float]:
    """Table rows (indices into content.blocks) on the cover and on continuation pages.

    The cover holds as many rows as fit under an overview map at least COVER_MAP_MIN_H tall;
    the rest continue on extra table pages before the block pages.
    """
    notes_h = _notes_height(content)
    n = len(content.blocks)
    room = BODY_BOTTOM - notes_h - 3.0 - COVER_FACTS_BOTTOM - 3.0 - COVER_MAP_MIN_H - KEY_H
    first = max(int((room - 1.0) // ROW_H) - 1, 1)
    chunks = [list(range(min(n, first)))]
    start = first
    while start < n:
        chunks.append(list(range(start, min(n, start + CONTINUED_ROWS))))
        start += CONTINUED_ROWS
    return chunks, notes_h


def _notes_height(content: BriefContent) -> float:
    f = font(6.5)
    lines = sum(len(wrap(f, note, BODY_W)) for note in content.notes)
    return lines * line_height(f) + 1.0


def build_layout(project, sections, crs, feedback=None) -> QgsPrintLayout:
    """The whole brief: per window section (``sections``: (BriefContent, BriefMapLayers)),
    a cover (+ table continuation pages) then one page per listed block."""
    layout = QgsPrintLayout(project)
    layout.setName(sections[0][0].options.title)
    plans = [page_plan(content) for content, _ in sections]
    total_pages = sum(
        len(chunks) + len(content.blocks) for (content, _), (chunks, _) in zip(sections, plans)
    )
    for _ in range(total_pages):
        page = QgsLayoutItemPage(layout)
        page.setPageSize("A4", QgsLayoutItemPage.Portrait)
        layout.pageCollection().addPage(page)
    blocks_done, blocks_all = 0, max(sum(len(c.blocks) for c, _ in sections), 1)
    first_page = 0
    for (content, layers), (chunks, notes_h) in zip(sections, plans):
        _cover(layout, first_page, content, layers, crs, chunks[0], notes_h, total_pages)
        for i, rows in enumerate(chunks[1:], start=1):
            items = PageItems(layout, first_page + i)
            _furniture(items, content, first_page + i + 1, total_pages)
            items.text(
                f"Hot blocks listed: {len(content.blocks)} (continued)",
                MARGIN,
                BODY_TOP,
                BODY_W,
                font(12, bold=True),
            )
            _table(items, content, rows, BODY_TOP + 8.0)
        for j, block in enumerate(content.blocks):
            index = first_page + len(chunks) + j
            _block_page(
                layout,
                PageItems(layout, index),
                content,
                block,
                layers,
                crs,
                index + 1,
                total_pages,
            )
            blocks_done += 1
            if feedback is not None:
                if feedback.isCanceled():
                    return layout
                feedback.setProgress(80.0 * blocks_done / blocks_all)  # export: the rest
        first_page += len(chunks) + len(content.blocks)
    return layout


def _item_id(content: BriefContent, name: str) -> str:
    """Layout item ids: as before for the first section, numbered for the others."""
    return name if content.section == 1 else f"{name}_section{content.section}"


def _furniture(items: PageItems, content: BriefContent, number: int, total: int) -> None:
    o = content.options
    marking = o.marking.strip()
    if marking:
        items.text(marking, MARGIN, 4.5, BODY_W, font(10, bold=True), align="center", h=5)
        items.text(marking, MARGIN, 288.0, BODY_W, font(10, bold=True), align="center", h=5)
    head = " · ".join(t for t in (o.title, o.area) if t)
    small = font(7)
    right_w = min(QgsLayoutUtils.textWidthMM(small, content.window_title) + 1.0, BODY_W * 0.6)
    items.text(head, MARGIN, 10.2, BODY_W - right_w - 3.0, small, color="#404040", h=3.6)
    items.text(
        content.window_title,
        PAGE_W - MARGIN - right_w,
        10.2,
        right_w,
        small,
        color="#404040",
        align="right",
        h=3.6,
    )
    items.rule(MARGIN, 14.2, PAGE_W - MARGIN, 14.2, width=0.3)
    items.rule(MARGIN, 281.3, PAGE_W - MARGIN, 281.3, width=0.3)
    small = font(6.5)
    items.text(f"Page {number} of {total}", MARGIN, 282.4, 30, small, h=3.4)
    items.text(
        f"Generated {o.generated:%d %b %Y %H:%M %Z} · Hot Blocking {o.version}",
        MARGIN + 30,
        282.4,
        BODY_W - 60 - 30,
        small,
        align="center",
        h=3.4,
    )
    items.text(
        f"Data: {content.period}", PAGE_W - MARGIN - 90, 282.4, 90, small, align="right", h=3.4
    )


def _cover(layout, page, content, layers, crs, rows, notes_h, total_pages) -> None:
    o = content.options
    items = PageItems(layout, page)
    _furniture(items, content, page + 1, total_pages)
    y = BODY_TOP + 1.0
    y += items.text(o.title, MARGIN, y, BODY_W, font(19, bold=True)) + 0.5
    if o.area:
        y += items.text(o.area, MARGIN, y, BODY_W, font(12)) + 0.5
    if content.sections > 1:
        y += (
            items.text(
                f"Section {content.section} of {content.sections}: {content.window.label}",
                MARGIN,
                y,
                BODY_W,
                font(12, bold=True),
            )
            + 0.5
        )
    facts = [
        ("Time window", content.window_title),
        ("Data period", f"{content.period} (times: {o.timezone} local time)"),
        ("Incidents in window", _sources_text(content)),
        ("Hot blocks", _hot_text(content)),
    ]
    if o.prepared_by:
        facts.append(("Prepared by", f"{o.prepared_by}, {o.generated:%d %b %Y}"))
    box_y = y + 1.5
    label_f, value_f = font(8, bold=True), font(8)
    lh = line_height(value_f)
    value_x, value_w = MARGIN + 36, BODY_W - 38
    wrapped = [(k, wrap(value_f, v, value_w)) for k, v in facts]
    box_h = sum(len(v) for _, v in wrapped) * lh + (len(wrapped) - 1) * 0.9 + 3.2
    items.rect(MARGIN, box_y, BODY_W, box_h, fill="#f1f1f1", stroke=None)
    yy = box_y + 1.6
    for key, lines in wrapped:
        items.text(key, MARGIN + 2.0, yy, 33, label_f)
        items.text("\n".join(lines), value_x, yy, value_w, value_f)
        yy += len(lines) * lh + 0.9
    table_y = BODY_BOTTOM - notes_h - 3.0 - table_height(len(rows))
    map_y = box_y + box_h + 3.0
    map_h = table_y - KEY_H - map_y
    area = layers.extent()
    area.grow(max(area.width(), area.height()) * 0.03)
    focus = layers.top_extent() if content.blocks else area
    zoomed = focus.width() < 0.6 * area.width() or focus.height() < 0.6 * area.height()
    overview = add_map(
        layout,
        page,
        MARGIN,
        map_y,
        BODY_W,
        map_h,
        layers.overview_layers(),
        focus if zoomed else area,
        crs,
        item_id=_item_id(content, "overview"),
    )
    if zoomed:  # a locator of the whole area in the top left corner
        lh_ = min(map_h * 0.42, 44.0)
        lw_ = min(max(lh_ * area.width() / max(area.height(), 1e-9), 18.0), 60.0)
        add_locator(
            layout, page, MARGIN, map_y, lw_, lh_, layers.locator_layers(), area, crs, overview
        )
    keys = [
        ("#a50f15", 1.4, f"the {len(content.blocks)} hot blocks listed, numbered by rank"),
        ("#8c8c8c", 0.5, "other streets"),
    ]
    if zoomed:
        keys.append((None, 0, "inset: whole area, box = this map"))
    _map_key(items, map_y + map_h, keys)
    add_scale_bar(layout, page, PAGE_W - MARGIN, map_y + map_h + 0.8, overview)
    _table(items, content, rows, table_y)
    f = font(6.5)
    ny = BODY_BOTTOM - notes_h
    for note in content.notes:
        ny += (
            items.text("\n".join(wrap(f, note, BODY_W)), MARGIN, ny, BODY_W, f, color="#303030")
            - 0.8
        )


def _map_key(items: PageItems, y: float, keys) -> None:
    """The key line under a map: (colour, line width mm, text) entries from the left."""
    x, f = MARGIN, font(6.5)
    for colour, width, text in keys:
        if colour:
            items.rect(x, y + 2.5 - width / 2, 7, width, fill=colour, stroke=None)
            x += 8.5
        w = QgsLayoutUtils.textWidthMM(f, text) + 1.0
        items.text(text, x, y + 0.9, w, f, h=3.2)
        x += w + 5.0


def _hot_text(content: BriefContent) -> str:
    listed = len(content.blocks)
    called = (
        f"the layer calls {content.hot_count} of its {content.block_count:,} street sections hot"
    )
    if listed == content.hot_count:
        return f"{listed} listed in rank order: {called}"
    return f"{listed} listed in rank order ({called}; see the notes)"


def _sources_text(content: BriefContent) -> str:
    parts = [f"{label} {count}" for label, count in content.sources]
    text = f"{content.area_total} in total"
    if parts:
        text += " (by source: " + ", ".join(parts) + ")"
    return text


def _table(items: PageItems, content: BriefContent, rows, y: float) -> None:
    sources = [label for label, _ in content.sources]
    headings = ["Rank", "Street", "Section", *sources, "Total", "Harm", "Peak hour"]
    numeric = {0, *range(3, 3 + len(sources) + 2)}
    aligns = ["right" if i in numeric else "left" for i in range(len(headings))]
    header, body = font(7.5, bold=True), font(7.5)
    fit = [max(QgsLayoutUtils.textWidthMM(header, h) + 0.8, 10.5) for h in headings]
    fit[-2] = max(fit[-2], 13.0)  # harm runs to 5 digits
    fixed = [fit[0], *fit[3:-1], 24.0]
    margins = 2 * 1.0 * len(headings) + 0.15 * (len(headings) + 1)
    free = max(BODY_W - margins - sum(fixed), 40.0)
    widths = [fit[0], free * 0.45, free * 0.55, *fit[3:-1], 24.0]
    table_rows = []
    for i in rows:
        b = content.blocks[i]
        mark = " †" if b.neighbour else ""
        street = shorten_to(body, b.name, widths[1] - QgsLayoutUtils.textWidthMM(body, mark))
        table_rows.append([b.label, street + mark, b.block_id, *b.counts, b.total, b.harm, b.peak])
    items.table(
        MARGIN,
        y,
        headings,
        table_rows,
        widths,
        body=body,
        header=header,
        aligns=aligns,
        margin=1.0,
        grid=0.15,
        row_height=ROW_H,
        header_height=ROW_H,
        header_background="#d9d9d9",
        band="#f1f1f1",
    )


def _block_page(layout, items: PageItems, content, block, layers, crs, number, total) -> None:
    _furniture(items, content, number, total)
    y = BODY_TOP + 1.0
    items.rect(MARGIN, y, 11.5, 11.5, fill="#000000", stroke=None, radius=1.2)
    items.text(
        block.label,
        MARGIN,
        y,
        11.5,
        font(15 if len(block.label) < 3 else 11, bold=True),
        align="center",
        color="#ffffff",
        h=11.5,
        valign="middle",
    )
    words = block.description or block.name
    size = next(
        (
            s
            for s in (16, 14, 12)
            if QgsLayoutUtils.textWidthMM(font(s, bold=True), words) <= BODY_W - 14.5
        ),
        11,
    )
    title = shorten_to(font(size, bold=True), words, BODY_W - 14.5)
    items.text(title, MARGIN + 14.5, y - 0.6, BODY_W - 14.5, font(size, bold=True), h=7.4)
    tied = (
        f", tied with {block.ties} other{'s' if block.ties > 1 else ''} briefed"
        if block.ties
        else ""
    )
    neighbour = " · next to hot streets" if block.neighbour else ""
    items.text(
        f"Section {block.block_id}  ·  {content.window.label}: rank {block.rank} of "
        f"{content.block_count:,} street sections{tied}{neighbour}",
        MARGIN + 14.5,
        y + 7.4,
        BODY_W - 14.5,
        font(8),
        color="#303030",
        h=4.0,
    )
    map_y, map_h = y + 14.5, 94.0
    item = add_map(
        layout,
        items.page,
        MARGIN,
        map_y,
        BODY_W,
        map_h,
        layers.block_layers(block.order),
        block_extent(layers.top_geometry(block.order), layers.block_width),
        crs,
        item_id=_item_id(content, f"block_{block.order}"),
    )
    _map_key(
        items,
        map_y + map_h,
        [
            ("#000000", 1.7, "this block"),
            ("#a50f15", 1.2, "other top blocks (rank)"),
            ("#8c8c8c", 0.5, "other streets"),
        ],
    )
    add_scale_bar(layout, items.page, PAGE_W - MARGIN, map_y + map_h + 0.8, item)
    y = map_y + map_h + KEY_H + 1.0
    heading = font(9.5, bold=True)
    outlined = "" if content.window.whole_period else f", {content.window.label} outlined"
    items.text(
        "When incidents happen here"
        + (": not known" if block.hours_unknown else f": the whole week, hour by hour{outlined}"),
        MARGIN,
        y,
        BODY_W,
        heading,
    )
    y += 5.0
    add_hour_chart(
        items,
        MARGIN,
        y,
        BODY_W,
        block.grid,
        content.window.hour_mask().reshape(7, 24),
        withheld=block.chart_note,
    )
    y += chart_height() + 2.5
    col_w = (BODY_W - 6.0) / 2
    left = _column(items, MARGIN, y, col_w, "Why it is hot", block.why)
    right = _column(items, MARGIN + col_w + 6.0, y, col_w, "When to go", block.when)
    right = _plan(items, MARGIN + col_w + 6.0, right, col_w, content, block)
    _notes_box(items, max(left, right) + 3.0)


def _column(items: PageItems, x, y, w, title, bullets) -> float:
    """A heading and bullet points (two text items: bullets and their wrapped text)."""
    y += items.text(title, x, y, w, font(10, bold=True)) + 0.6
    body = font(8)
    marks, lines = [], []
    for text in bullets:
        wrapped = wrap(body, text, w - 3.5)
        marks += ["•"] + [""] * (len(wrapped) - 1)
        lines += wrapped
    items.text("\n".join(marks), x, y, 3.0, body)
    return y + items.text("\n".join(lines), x + 3.5, y, w - 3.5, body)


def _plan(items: PageItems, x, y, w, content, block) -> float:
    o = content.options
    body, bold = font(8), font(8, bold=True)
    y += 1.2
    title = (
        f"Patrol plan: {len(block.plan)} visits of {o.visit_minutes} minutes this week "
        f"({o.timezone} time)"
    )
    y += items.text("\n".join(wrap(bold, title, w)), x, y, w, bold) + 0.6
    if block.plan:
        visits = "\n".join(f"{i}.  {visit}" for i, visit in enumerate(block.plan, start=1))
        items.text(visits, x + 3.5, y, 38, body)
        y += (
            items.text(
                "\n".join(["done at ____:____"] * len(block.plan)),
                x + 42,
                y,
                w - 42,
                body,
                color="#404040",
            )
            + 0.8
        )
    small = font(7, italic=True)
    y += items.text("\n".join(wrap(small, KOPER, w)), x, y, w, small, color="#303030")
    return y


def _notes_box(items: PageItems, y: float) -> None:
    """A ruled box for the officer's notes, down to the footer (one table item)."""
    bottom = BODY_BOTTOM - 1.0
    y = min(y, bottom - 22.0)
    header_h = 6.2  # 8 pt bold + margins (estimate: the header row follows its font)
    n = max(int((bottom - y - header_h) // 7.0), 2)
    row_h = min((bottom - y - header_h) / n, 9.0)
    items.table(
        MARGIN,
        y,
        ["Officer notes (time, what was seen, stops, intelligence submitted)"],
        [[""] for _ in range(n)],
        [BODY_W - 2 * 1.2 - 2 * 0.25],
        body=font(8),
        header=font(8, bold=True),
        margin=1.2,
        grid=0.25,
        grid_color="#8c8c8c",
        row_height=row_h,
        header_height=header_h,
        vertical_grid=True,
        header_background="#e6e6e6",
    )
