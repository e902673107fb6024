"""The council dashboard: the indicators of ``trends`` as charts and tables, for anyone (the
open-data subset) and, signed in, for council members and staff (every indicator).

The numbers come from ``service.trends.indicators``, as the ``trends`` query's do: the same
suppression (k = 5), the same access rule. Each chart is drawn from the very rows of the table
beside it, inlined in the page so that it speaks the page's language and direction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from service.errors import N_, DomainError
from service.i18n.translator import Translator
from service.items.lifecycle import KIND_LABELS
from service.trends import labels, rules
from service.trends.anonymity import K
from service.trends.charts import Bar, Chart
from service.trends.endpoints import TOP_BARS, make_bar, make_chart, today_in_angers
from service.trends.indicators import Indicators, not_public
from service.trends.inline_charts import render_inline
from service.trends.types import (
    TrendsBreakdown,
    TrendsDimension,
    TrendsResolutionRow,
    TrendsSensorGrouping,
    TrendsSensorRow,
)
from service.web.console.auth import SIGN_IN, signed_in
from service.web.rendering import Endpoint, Page, Web

CUSTOM = "custom"
# Whole periods offered by the picker: this year and the two before, by year, quarter, month.
YEARS_OFFERED = 3


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def _quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * quarter - 2, 1)


def _month_end(start: date) -> date:
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def whole_period(value: str) -> tuple[date, date] | None:
    """``2026`` (a year), ``2026-T2`` (a quarter), ``2026-03`` (a month); None otherwise."""
    try:
        if len(value) == 4 and value.isascii() and value.isdigit():
            year = int(value)
            return date(year, 1, 1), date(year, 12, 31)
        if len(value) == 7 and value[4:6] == "-T" and value[6] in "1234":
            start = _quarter_start(int(value[:4]), int(value[6]))
            return start, _month_end(start.replace(month=start.month + 2))
        if len(value) == 7 and value[4] == "-" and value.replace("-", "").isdigit():
            start = date(int(value[:4]), int(value[5:]), 1)
            return start, _month_end(start)
    except ValueError:
        return None
    return None


def period_choices(today: date, translator: Translator) -> list[tuple[str, list[Choice]]]:
    """The picker's groups: years, quarters, months (newest first)."""
    years, quarters, months = [], [], []
    for year in range(today.year, today.year - YEARS_OFFERED, -1):
        years.append(Choice(str(year), str(year)))
        for quarter in range(4, 0, -1):
            if _quarter_start(year, quarter) <= today:
                label = translator.gettext(
                    N_("Quarter %(number)s of %(year)s"), number=quarter, year=year
                )
                quarters.append(Choice(f"{year}-T{quarter}", label))
        for month in range(12, 0, -1):
            start = date(year, month, 1)
            if start <= today:
                months.append(
                    Choice(
                        f"{year}-{month:02d}",
                        labels.bucket(start, rules.Granularity.MONTH, translator),
                    )  # fmt: skip
                )
    return [
        (translator.gettext(N_("Years")), years),
        (translator.gettext(N_("Quarters")), quarters),
        (translator.gettext(N_("Months")), months),
    ]


def granularity_for(start: date, end: date) -> rules.Granularity:
    """Months for a quarter or longer, days for a month or less, weeks between."""
    days = (end - start).days + 1
    if days > 92:
        return rules.Granularity.MONTH
    return rules.Granularity.DAY if days <= 31 else rules.Granularity.WEEK


@dataclass
class Form:
    """What the reader asked for, and what was wrong with it."""

    period: str
    start: str = ""
    end: str = ""
    commune: str = ""
    kind: str = ""
    category: str = ""
    body: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def read_form(request: Request, today: date) -> Form:
    query = request.query_params
    return Form(
        period=query.get("periode") or str(today.year),
        start=query.get("du", ""),
        end=query.get("au", ""),
        commune=query.get("commune", ""),
        kind=query.get("type", ""),
        category=query.get("categorie", ""),
        body=query.get("organisme", ""),
    )


def checked_dates(form: Form, page: Page) -> tuple[date, date] | None:
    """The period asked for, or None with the form's errors filled in."""
    if form.period == CUSTOM:
        found: list[date] = []
        for name, value in (("du", form.start), ("au", form.end)):
            try:
                found.append(date.fromisoformat(value))
            except ValueError:
                form.errors[name] = str(page.gettext(N_("Give the date as YYYY-MM-DD.")))
        return (found[0], found[1]) if len(found) == 2 else None
    whole = whole_period(form.period)
    if whole is None:
        form.errors["periode"] = str(page.gettext(N_("Choose a period in the list.")))
    return whole


FIELD_NAMES = {"start": "du", "end": "au", "to": "au", "granularity": "periode"}


@dataclass
class Figure:
    """One indicator: its chart (inlined SVG), its table rows, its open-data CSV."""

    ident: str
    title: str
    chart: Markup | None
    csv: str | None


def _inline(chart: Chart, ident: str) -> Markup:
    return Markup(render_inline(chart, ident))


def breakdown_chart(
    ident: str,
    title: str,
    categories: str,
    found: TrendsBreakdown,
    period: rules.Period,
    page: Page,
) -> Markup:
    """The bars of a breakdown's rows, as the table shows them (largest first, 12 at most)."""
    translator = page.translator
    bars = [
        make_bar(row.label, row.count.value, row.count.label, translator)
        for row in found.rows
        if row.count.value != 0
    ][:TOP_BARS]
    chart = make_chart(
        translator,
        period,
        title=title,
        axis=translator.gettext(N_("Items")),
        categories=categories,
        bars=bars,
        vertical=False,
        total=None if found.total.suppressed else found.total.label,
        listed=False,
    )
    return _inline(chart, ident)


def change(now: int | None, before: int | None, page: Page) -> str:
    """The change from the previous period, as a signed percentage (a dash when unknown)."""
    if now is None or before is None or before == 0:
        return "—"
    ratio = (now - before) / before
    sign = "+" if ratio > 0 else ""
    return sign + labels.share(ratio, page.translator)


def dashboard(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        services = web.services
        full = await signed_in(web, request) is not None  # the console's session
        today = today_in_angers()
        form = read_form(request, today)
        reference = services.reference
        translator = page.translator
        dates = checked_dates(form, page)
        period = None
        if dates is not None:
            try:
                period = rules.checked_period(dates[0], dates[1], granularity_for(*dates))
            except DomainError as error:
                name = FIELD_NAMES.get(error.field or "", "periode")
                form.errors[name] = translator.gettext(error.message, **error.params)
        for name, value, known in (
            ("commune", form.commune, reference.communes),
            ("type", form.kind, {k.value for k in KIND_LABELS}),
            ("categorie", form.category, {*reference.categories, *reference.services.services}),
            ("organisme", form.body, reference.bodies),
        ):
            if value and value not in known:
                form.errors[name] = str(page.gettext(N_("Choose a value in the list.")))
        if form.body and not full:  # by body: council members and staff only, as in the API
            form.errors[""] = translator.gettext(not_public().message)
        values: dict[str, Any] = {
            "form": form,
            "full": full,
            "k": K,
            "periods": period_choices(today, translator),
            "communes": [(c.code, c.name) for c in reference.communes_by_name()],
            "kinds": [(k.value, translator.gettext(label)) for k, label in KIND_LABELS.items()],
            "categories": sorted(
                [(c, labels.subject(c, translator, reference)) for c in reference.categories]
                + [
                    (s, labels.subject(s, translator, reference))
                    for s in reference.services.services
                ],  # fmt: skip
                key=lambda pair: pair[1].casefold(),
            ),
            "bodies": [(b.code, b.name) for b in reference.bodies_in_order()] if full else [],
            "change": lambda now, before: change(now, before, page),
            "sign_in": SIGN_IN,
        }
        if form.errors or period is None:
            return web.render(
                page, "dashboard.html", status=400, nav="dashboard", private=full,
                errors=form.errors, figures=None, **values,
            )  # fmt: skip
        scope = rules.Scope(
            kind=form.kind or None,
            commune_code=form.commune or None,
            subject=form.category or None,
            body_code=form.body or None,
        )
        indicators = Indicators(services.db, translator, reference, period, scope, full)
        figures = await _figures(indicators, page)
        return web.render(
            page, "dashboard.html", nav="dashboard", private=full, figures=figures,
            period=period, **values,
        )  # fmt: skip

    return endpoint


async def _figures(indicators: Indicators, page: Page) -> dict[str, Any]:
    """Every indicator the reader may see, with its chart."""
    translator = page.translator
    gettext = translator.gettext
    series = await indicators.series()
    period = indicators.period
    series_bars: list[Bar] = [
        make_bar(
            labels.bucket(max(point.start, period.start), period.granularity, translator),
            point.count.value,
            point.count.label,
            translator,
        )
        for point in series
    ]
    shown_total = sum(p.count.value or 0 for p in series)
    unit = {
        rules.Granularity.DAY: N_("Day"),
        rules.Granularity.WEEK: N_("Week"),
        rules.Granularity.MONTH: N_("Month"),
    }[period.granularity]
    series_chart = make_chart(
        translator,
        period,
        title=gettext(N_("Items submitted")),
        axis=gettext(N_("Items")),
        categories=gettext(unit),
        bars=series_bars,
        vertical=True,
        total=None if any(p.count.suppressed for p in series) else labels.count(shown_total,
                                                                                 translator),
        listed=False,
    )  # fmt: skip
    breakdowns: list[tuple[str, TrendsDimension, str, str, str | None]] = [
        ("kind", TrendsDimension.KIND, N_("Items by kind"), N_("Kind"), "items-by-kind"),
        ("category", TrendsDimension.CATEGORY, N_("Items by category or service"),
         N_("Category"), "items-by-category"),
        ("commune", TrendsDimension.COMMUNE, N_("Items by commune"), N_("Commune"),
         "items-by-commune"),
        ("status", TrendsDimension.STATUS, N_("Items by status"), N_("Status"), None),
    ]  # fmt: skip
    if indicators.full:
        breakdowns += [
            ("channel", TrendsDimension.CHANNEL, N_("Items by channel"), N_("Channel"), None),
            ("body", TrendsDimension.BODY, N_("Items by handling body"), N_("Body"), None),
        ]
    tables = []
    every = await indicators.breakdowns([dimension for _, dimension, *_ in breakdowns])
    for ident, dimension, title, categories, dataset in breakdowns:
        found = every[dimension]
        tables.append(
            {
                "ident": ident,
                "title": gettext(title),
                "column": gettext(categories),
                "data": found,
                "chart": breakdown_chart(
                    ident, gettext(title), gettext(categories), found, period, page
                ),
                "csv": dataset,
            }
        )
    resolution = await indicators.resolution(TrendsDimension.CATEGORY)
    by_body = await indicators.resolution(TrendsDimension.BODY) if indicators.full else None
    sensors = await indicators.sensors(TrendsSensorGrouping.SENSOR)
    return {
        "series": series,
        "series_chart": _inline(series_chart, "series"),
        "total": next((t["data"] for t in tables if t["ident"] == "kind"), None),
        "breakdowns": tables,
        "resolution": resolution,
        "resolution_chart": _resolution_chart(resolution, period, page),
        "resolution_by_body": by_body,
        "satisfaction": await indicators.satisfaction(),
        "service_requests": await indicators.service_requests(),
        "routing": await indicators.routing() if indicators.full else None,
        "sensors": sensors,
        "sensors_chart": _sensors_chart(sensors, period, page),
        "year": period.start.year,
    }


def _resolution_chart(rows: list[TrendsResolutionRow], period: rules.Period, page: Page) -> Markup:
    translator = page.translator
    bars = []
    for row in rows[:TOP_BARS]:
        hours = row.median_to_resolve.hours
        days = None if hours is None else round(hours / 24, 1)
        label = "—" if days is None else translator.number(days)
        bars.append(make_bar(row.label, days, label, translator))
    chart = make_chart(
        translator,
        period,
        title=translator.gettext(N_("Median time to resolve, by category")),
        axis=translator.gettext(N_("Days")),
        categories=translator.gettext(N_("Category")),
        bars=bars,
        vertical=False,
        whole=False,
        listed=False,
    )
    return _inline(chart, "resolution")


def _sensors_chart(rows: list[TrendsSensorRow], period: rules.Period, page: Page) -> Markup:
    translator = page.translator
    bars = [
        make_bar(row.label, row.mean_acceptance.value, row.mean_acceptance.label, translator)
        for row in rows[:TOP_BARS]
    ]
    chart = make_chart(
        translator,
        period,
        title=translator.gettext(N_("Mean acceptance of sensors (1 to 5)")),
        axis=translator.gettext(N_("Acceptance")),
        categories=translator.gettext(N_("Sensor")),
        bars=bars,
        vertical=False,
        whole=False,
        listed=False,
    )
    return _inline(chart, "sensors")
