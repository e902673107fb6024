"""Charts of the trends as standalone, accessible SVG: no script, no plotting library.

Built with xml.etree (well-formed by construction, text escaped). The picture carries
``role="img"``, a ``<title>`` and a ``<desc>`` that says in words what the chart shows (screen
readers read it), a ``<title>`` per bar (tooltips), axis labels in the reader's language and
babel-formatted numbers and dates. A withheld value (k-anonymity) is drawn as a dashed outline
with a dash, explained under the chart.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH, HEIGHT = 800, 450
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans Arabic', sans-serif"
BAR_COLOUR = "#1b5e8c"  # contrast 6.9:1 on white
AXIS_COLOUR = "#333333"
GRID_COLOUR = "#d9d9d9"
TEXT_COLOUR = "#1a1a1a"


@dataclass(frozen=True)
class Bar:
    label: str  # a date or a name, formatted for the reader
    value: float | None  # None: withheld
    value_label: str  # the value formatted for the reader, or a dash
    tooltip: str  # label and value, punctuated for the reader's language


@dataclass(frozen=True)
class Chart:
    title: str
    subtitle: str  # the period
    description: str  # the chart said in words
    axis_label: str  # what the values are ("Items", "Days")
    category_label: str  # what the bars are ("Month", "Commune")
    bars: list[Bar]
    vertical: bool  # columns over time; horizontal bars for names
    note: str | None  # the explanation of withheld values, when there are some
    language: str
    rtl: bool
    number: Callable[[float], str]  # formats tick values
    whole: bool = True  # counts: whole ticks


def nice_ticks(maximum: float, count: int = 5, *, whole: bool = False) -> list[float]:
    """Round tick values from 0 to at least ``maximum`` (1, 2, 2.5, 5 x 10^n steps; whole
    steps only for counts)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    if whole:
        step = max(1.0, step)
    ticks = [0.0]
    while ticks[-1] < maximum:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _text(parent: ET.Element, x: float, y: float, content: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(
        parent, "text", {"x": f"{x:.1f}", "y": f"{y:.1f}", "fill": TEXT_COLOUR, **attributes}
    )
    element.text = content
    return element


def render(chart: Chart, *, ident: str = "chart", standalone: bool = True) -> bytes:
    """The chart as a standalone SVG document (UTF-8 bytes, with an XML declaration), or
    (``standalone`` false) as an element to inline in a page, its ids made unique there by
    ``ident``."""
    ET.register_namespace("", SVG_NS)
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": str(WIDTH),
            "height": str(HEIGHT),
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "xml:lang": chart.language,
            "font-family": FONT,
            "font-size": "13",
        },
    )
    if chart.rtl:
        root.set("direction", "rtl")
    title = ET.SubElement(root, "title", {"id": f"{ident}-title"})
    title.text = f"{chart.title} — {chart.subtitle}"
    desc = ET.SubElement(root, "desc", {"id": f"{ident}-desc"})
    desc.text = chart.description
    ET.SubElement(root, "rect", {"width": "100%", "height": "100%", "fill": "#ffffff"})
    middle = WIDTH / 2
    _text(root, middle, 28, chart.title, **{"text-anchor": "middle", "font-size": "18",
                                             "font-weight": "bold"})  # fmt: skip
    _text(root, middle, 48, chart.subtitle, **{"text-anchor": "middle", "font-size": "13"})
    if chart.note:
        _text(root, middle, HEIGHT - 10, chart.note, **{"text-anchor": "middle", "font-size": "11"})
    plot = ET.SubElement(root, "g", {"aria-hidden": "false"})
    if chart.vertical:
        _columns(plot, chart)
    else:
        _bars(plot, chart)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=standalone)
    return body


def _maximum(chart: Chart) -> float:
    return max((b.value for b in chart.bars if b.value is not None), default=0.0)


def _format(chart: Chart, value: float) -> str:
    return chart.number(value)


def _columns(plot: ET.Element, chart: Chart) -> None:
    left, right, top, bottom = 80.0, WIDTH - 30.0, 70.0, HEIGHT - 95.0
    ticks = nice_ticks(_maximum(chart), whole=chart.whole)
    scale = (bottom - top) / ticks[-1]
    for tick in ticks:
        y = bottom - tick * scale
        ET.SubElement(plot, "line", {"x1": str(left), "x2": str(right), "y1": f"{y:.1f}",
                                     "y2": f"{y:.1f}", "stroke": GRID_COLOUR})  # fmt: skip
        # direction="rtl" turns start and end: the right edge of a text is its start there
        _text(plot, left - 8, y + 4, _format(chart, tick),
              **{"text-anchor": "start" if chart.rtl else "end"})  # fmt: skip
    ET.SubElement(plot, "line", {"x1": str(left), "x2": str(left), "y1": str(top),
                                 "y2": str(bottom), "stroke": AXIS_COLOUR})  # fmt: skip
    ET.SubElement(plot, "line", {"x1": str(left), "x2": str(right), "y1": str(bottom),
                                 "y2": str(bottom), "stroke": AXIS_COLOUR})  # fmt: skip
    count = max(1, len(chart.bars))
    slot = (right - left) / count
    every = max(1, math.ceil(count / 12))  # at most about 12 date labels
    for index, bar in enumerate(chart.bars):
        x = left + index * slot + slot * 0.15
        width = slot * 0.7
        group = ET.SubElement(plot, "g")
        tooltip = ET.SubElement(group, "title")
        tooltip.text = bar.tooltip
        if bar.value is None:
            ET.SubElement(group, "rect", {"x": f"{x:.1f}", "y": f"{bottom - 12:.1f}",
                                          "width": f"{width:.1f}", "height": "12",
                                          "fill": "none", "stroke": AXIS_COLOUR,
                                          "stroke-dasharray": "3 2"})  # fmt: skip
            _text(group, x + width / 2, bottom - 16, "—", **{"text-anchor": "middle"})
        else:
            height = bar.value * scale
            ET.SubElement(group, "rect", {"x": f"{x:.1f}", "y": f"{bottom - height:.1f}",
                                          "width": f"{width:.1f}", "height": f"{height:.1f}",
                                          "fill": BAR_COLOUR})  # fmt: skip
        if index % every == 0:
            cx, cy = x + width / 2, bottom + 14
            _text(group, cx, cy, bar.label, **{"text-anchor": "start" if chart.rtl else "end",
                  "font-size": "11",
                  "transform": f"rotate(-40 {cx:.1f} {cy:.1f})"})  # fmt: skip
    _text(plot, (left + right) / 2, HEIGHT - 28, chart.category_label,
          **{"text-anchor": "middle", "font-weight": "bold"})  # fmt: skip
    cy = (top + bottom) / 2
    _text(plot, 18, cy, chart.axis_label, **{"text-anchor": "middle", "font-weight": "bold",
          "transform": f"rotate(-90 18 {cy:.1f})"})  # fmt: skip


def _bars(plot: ET.Element, chart: Chart) -> None:
    label_width = 210.0
    left, right, top, bottom = label_width + 10, WIDTH - 70.0, 70.0, HEIGHT - 70.0
    if chart.rtl:  # names on the right, bars growing to the left
        left, right = 70.0, WIDTH - label_width - 10
    ticks = nice_ticks(_maximum(chart), whole=chart.whole)
    scale = (right - left) / ticks[-1]
    origin = right if chart.rtl else left
    direction = -1 if chart.rtl else 1
    for tick in ticks:
        x = origin + direction * tick * scale
        ET.SubElement(plot, "line", {"x1": f"{x:.1f}", "x2": f"{x:.1f}", "y1": str(top),
                                     "y2": str(bottom), "stroke": GRID_COLOUR})  # fmt: skip
        _text(plot, x, bottom + 16, _format(chart, tick), **{"text-anchor": "middle"})
    ET.SubElement(plot, "line", {"x1": f"{origin:.1f}", "x2": f"{origin:.1f}", "y1": str(top),
                                 "y2": str(bottom), "stroke": AXIS_COLOUR})  # fmt: skip
    count = max(1, len(chart.bars))
    slot = (bottom - top) / count
    for index, bar in enumerate(chart.bars):
        y = top + index * slot + slot * 0.15
        height = min(slot * 0.7, 28)
        group = ET.SubElement(plot, "g")
        tooltip = ET.SubElement(group, "title")
        tooltip.text = bar.tooltip
        name_x = origin - direction * 8
        _text(
            group, name_x, y + height / 2 + 4, _shorten(bar.label), **{"text-anchor": "end"}
        )  # fmt: skip  (mirrored by direction="rtl")
        length = 0.0 if bar.value is None else bar.value * scale
        x = origin if not chart.rtl else origin - length
        if bar.value is None:
            ET.SubElement(group, "rect", {"x": f"{origin - 12 if chart.rtl else origin:.1f}",
                                          "y": f"{y:.1f}", "width": "12",
                                          "height": f"{height:.1f}", "fill": "none",
                                          "stroke": AXIS_COLOUR,
                                          "stroke-dasharray": "3 2"})  # fmt: skip
            length = 12
        else:
            ET.SubElement(group, "rect", {"x": f"{x:.1f}", "y": f"{y:.1f}",
                                          "width": f"{length:.1f}", "height": f"{height:.1f}",
                                          "fill": BAR_COLOUR})  # fmt: skip
        value_x = origin + direction * (length + 6)
        _text(group, value_x, y + height / 2 + 4, bar.value_label,
              **{"text-anchor": "start"})  # fmt: skip
    _text(plot, (left + right) / 2, bottom + 36, chart.axis_label,
          **{"text-anchor": "middle", "font-weight": "bold"})  # fmt: skip


def _shorten(label: str, limit: int = 27) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
