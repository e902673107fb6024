"""Charts inlined in a page: the same pictures as ``charts.render``, drawn lean.

A standalone SVG file must carry everything (colours, fonts, a white background, its title
drawn, every value in its description and tooltips). Inlined beside its table, a chart needs
none of that: the page's stylesheet gives the colours and fonts (classes, no repeated
attributes), the section's heading is its visible title, and the table gives every value, so
the description says what the chart shows and points to the table. Horizontal bars print
their values, so they need no grid. Coordinates are whole pixels. A dashboard page of seven
charts went from ~28 KB of SVG to about a third of it.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from service.trends.charts import HEIGHT, WIDTH, Chart, _shorten, nice_ticks


def _n(value: float) -> str:
    return str(round(value))


def right_edge(chart: Chart) -> str:
    """The text-anchor that puts a text's right edge at x: its end left to right, its start
    right to left (the SVG carries ``direction="rtl"``, which turns start and end)."""
    return "start" if chart.rtl else "end"


def _text(parent: ET.Element, x: float, y: float, content: str, **attributes: str) -> None:
    element = ET.SubElement(parent, "text", {"x": _n(x), "y": _n(y), **attributes})
    element.text = content


def render_inline(chart: Chart, ident: str) -> str:
    """The chart as an ``<svg>`` element for an HTML page whose stylesheet styles ``.chart``
    (the HTML parser puts it in the SVG namespace: no ``xmlns`` needed)."""
    columns = chart.vertical
    height = HEIGHT - 60 if columns else 10 + 26 * max(1, len(chart.bars)) + 36
    if chart.note:
        height += 18
    root = ET.Element(
        "svg",
        {
            "viewBox": f"0 0 {WIDTH} {height}",
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
        },
    )
    if chart.rtl:
        root.set("direction", "rtl")
    title = ET.SubElement(root, "title", {"id": f"{ident}-title"})
    title.text = f"{chart.title} — {chart.subtitle}"
    desc = ET.SubElement(root, "desc", {"id": f"{ident}-desc"})
    desc.text = chart.description
    if columns:
        _columns(root, chart, height)
    else:
        _bars(root, chart, height)
    if chart.note:
        _text(root, WIDTH / 2, height - 6, chart.note, **{"class": "note"})
    return ET.tostring(root, encoding="unicode")


def _maximum(chart: Chart) -> float:
    return max((b.value for b in chart.bars if b.value is not None), default=0.0)


def _columns(root: ET.Element, chart: Chart, height: int) -> None:
    left, right, top, bottom = 80.0, WIDTH - 30.0, 14.0, height - 95.0
    ticks = nice_ticks(_maximum(chart), whole=chart.whole)
    scale = (bottom - top) / ticks[-1]
    grid = " ".join(f"M{_n(left)} {_n(bottom - t * scale)}H{_n(right)}" for t in ticks)
    ET.SubElement(root, "path", {"class": "grid", "d": grid})
    ET.SubElement(
        root, "path", {"class": "axis", "d": f"M{_n(left)} {_n(top)}V{_n(bottom)}H{_n(right)}"}
    )
    for tick in ticks:
        _text(
            root,
            left - 8,
            bottom - tick * scale + 4,
            chart.number(tick),
            **{"class": right_edge(chart)},
        )
    count = max(1, len(chart.bars))
    slot = (right - left) / count
    every = max(1, math.ceil(count / 12))  # at most about 12 date labels
    for index, bar in enumerate(chart.bars):
        x = left + index * slot + slot * 0.15
        width = slot * 0.7
        group = ET.SubElement(root, "g")  # columns print no value: a tooltip gives it
        ET.SubElement(group, "title").text = bar.tooltip
        if bar.value is None:
            ET.SubElement(group, "rect", {"class": "withheld", "x": _n(x), "y": _n(bottom - 12),
                                          "width": _n(width), "height": "12"})  # fmt: skip
            _text(group, x + width / 2, bottom - 16, "—", **{"class": "middle"})
        else:
            size = bar.value * scale
            ET.SubElement(group, "rect", {"class": "bar", "x": _n(x), "y": _n(bottom - size),
                                          "width": _n(width), "height": _n(size)})  # fmt: skip
        if index % every == 0:
            cx, cy = x + width / 2, bottom + 14
            turned = f"rotate(-40 {_n(cx)} {_n(cy)})"
            _text(
                group,
                cx,
                cy,
                bar.label,
                **{"class": f"{right_edge(chart)} small", "transform": turned},
            )
    _text(root, (left + right) / 2, height - 24, chart.category_label, **{"class": "middle bold"})
    middle = (top + bottom) / 2
    _text(root, 18, middle, chart.axis_label,
          **{"class": "middle bold", "transform": f"rotate(-90 18 {_n(middle)})"})  # fmt: skip


def _bars(root: ET.Element, chart: Chart, height: int) -> None:
    label_width = 210.0
    left, right, top = label_width + 10, WIDTH - 70.0, 10.0
    if chart.rtl:  # names on the right, bars growing to the left
        left, right = 70.0, WIDTH - label_width - 10
    ticks = nice_ticks(_maximum(chart), whole=chart.whole)
    scale = (right - left) / ticks[-1]
    origin = right if chart.rtl else left
    direction = -1 if chart.rtl else 1
    bottom = top + 26 * max(1, len(chart.bars))
    ET.SubElement(root, "path", {"class": "axis", "d": f"M{_n(origin)} {_n(top)}V{_n(bottom)}"})
    # Names stand beside the axis, values past the bar's end: in either direction a name's
    # anchor is its end and a value's its start (``direction`` mirrors both).
    name_anchor, value_anchor = "end", "start"
    for index, bar in enumerate(chart.bars):
        y = top + index * 26 + 4
        group = ET.SubElement(root, "g")  # a bar: its name, its rectangle, its value
        _text(group, origin - direction * 8, y + 13, _shorten(bar.label), **{"class": name_anchor})
        length = 0.0 if bar.value is None else bar.value * scale
        if bar.value is None:
            x = origin - 12 if chart.rtl else origin
            ET.SubElement(group, "rect", {"class": "withheld", "x": _n(x), "y": _n(y),
                                          "width": "12", "height": "18"})  # fmt: skip
            length = 12
        else:
            x = origin - length if chart.rtl else origin
            ET.SubElement(group, "rect", {"class": "bar", "x": _n(x), "y": _n(y),
                                          "width": _n(length), "height": "18"})  # fmt: skip
        _text(group, origin + direction * (length + 6), y + 13, bar.value_label,
              **{"class": value_anchor})  # fmt: skip
    _text(root, (left + right) / 2, bottom + 26, chart.axis_label, **{"class": "middle bold"})
