"""Charts inlined in the dashboard: the same bars as the standalone SVG, drawn lean (classes
instead of repeated colours and fonts), each bar's name and value readable, withheld drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from service.i18n.catalogs import load_translations
from service.i18n.translator import Translator
from service.settings import PROJECT_ROOT, SUPPORTED_LOCALES
from service.trends import rules
from service.trends.charts import render
from service.trends.endpoints import make_bar, make_chart
from service.trends.inline_charts import render_inline

PERIOD = rules.Period(date(2026, 1, 1), date(2026, 12, 31), rules.Granularity.MONTH)


@pytest.fixture(scope="module")
def translations() -> dict[str, object]:
    return dict(load_translations(PROJECT_ROOT / "locales", SUPPORTED_LOCALES))


@pytest.fixture
def translator_fr(translations: dict[str, object]) -> Translator:
    return Translator("fr", translations["fr"])  # type: ignore[arg-type]


@pytest.fixture
def translator_ar(translations: dict[str, object]) -> Translator:
    return Translator("ar", translations["ar"])  # type: ignore[arg-type]


def chart(translator: Translator, vertical: bool, listed: bool = False) -> object:
    bars = [
        make_bar("Nid-de-poule", 2890, "2 890", translator),
        make_bar("Tags et graffitis", 404, "404", translator),
        make_bar("Bruit", None, "—", translator),
    ]
    return make_chart(
        translator, PERIOD, title="Demandes", axis="Demandes", categories="Catégorie",
        bars=bars, vertical=vertical, listed=listed,
    )  # fmt: skip


def test_each_bar_prints_its_name_and_value_and_a_withheld_one_is_drawn(
    translator_fr: Translator,
) -> None:
    # when
    svg = render_inline(chart(translator_fr, vertical=False), "category")  # type: ignore[arg-type]
    # then
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "category-title category-desc"
    bars = [[t.text for t in g.iter("text")] for g in root.iter("g")]
    assert bars == [["Nid-de-poule", "2 890"], ["Tags et graffitis", "404"], ["Bruit", "—"]]
    assert [r.get("class") for r in root.iter("rect")] == ["bar", "bar", "withheld"]
    desc = root.find("desc")
    assert desc is not None and desc.text is not None
    assert "Toutes les valeurs sont dans le tableau ci-dessous." in desc.text
    assert "404" not in desc.text  # the table beside the chart lists every value


def test_inline_charts_leave_colours_and_fonts_to_the_stylesheet(
    translator_fr: Translator,
) -> None:
    for vertical in (True, False):
        # when
        lean = render_inline(chart(translator_fr, vertical), "c")  # type: ignore[arg-type]
        full = render(chart(translator_fr, vertical, listed=True), ident="c", standalone=False)  # type: ignore[arg-type]
        # then
        assert "fill=" not in lean and "font-family" not in lean and "stroke=" not in lean
        assert len(lean.encode()) < len(full) * 0.6


def test_columns_keep_a_tooltip_per_column_and_arabic_reads_right_to_left(
    translator_fr: Translator, translator_ar: Translator
) -> None:
    # when
    columns = ET.fromstring(render_inline(chart(translator_fr, vertical=True), "s"))  # type: ignore[arg-type]
    arabic = ET.fromstring(render_inline(chart(translator_ar, vertical=False), "a"))  # type: ignore[arg-type]
    # then: columns print no value, so each says it in its tooltip
    tooltips = [g.findtext("title") for g in columns.iter("g")]
    assert len(tooltips) == 3 and all(
        t and ("2 890" in t or "404" in t or "—" in t) for t in tooltips
    )
    assert arabic.get("direction") == "rtl"
    # direction="rtl" turns start and end: names end beside the axis, values start past the bar
    texts = [list(g.iter("text")) for g in arabic.iter("g")]
    assert {(name.get("class"), value.get("class")) for name, value in texts} == {("end", "start")}
