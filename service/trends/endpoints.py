"""HTTP endpoints of the public trends: open-data files and SVG charts.

Both serve the public subset only (what anonymous callers of ``trends`` read), k-anonymous,
and are cacheable: each process keeps recent renderings and an ETag derived from the bytes,
checked against the roll-ups' version with one cheap statement.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from service.compressed import etag_matches
from service.context import Services
from service.errors import N_, DomainError
from service.i18n.negotiation import negotiate
from service.i18n.translator import LOCAL_TIMEZONE, Translator
from service.inputs import fields_refusal, number
from service.reference import ReferenceData
from service.settings import SUPPORTED_LOCALES
from service.trends import catalogue, labels, opendata, rules
from service.trends.anonymity import K, is_small, suppressed_cells
from service.trends.bins import percentile
from service.trends.charts import Bar, Chart, render
from service.trends.errors import TrendsErrorCode

CACHE_CONTROL = "public, max-age=300"
CACHE_ENTRIES = 256
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
SVG = "image/svg+xml"
RTL = frozenset({"ar"})


@dataclass(frozen=True)
class Rendered:
    version: tuple[int, str]
    body: bytes
    etag: str


class RenderCache:
    """Recent renderings per request key, valid while the roll-ups' version holds."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, ...], Rendered] = {}

    async def get(
        self,
        services: Services,
        key: tuple[str, ...],
        build: Callable[[], Awaitable[bytes]],
    ) -> Rendered:
        async with services.db.reading() as session:
            version = await rules.rollup_version(session)
        cached = self.entries.get(key)
        if cached is not None and cached.version == version:
            return cached
        body = await build()
        fresh = Rendered(version, body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        if len(self.entries) >= CACHE_ENTRIES:
            self.entries.clear()
        self.entries[key] = fresh
        return fresh


def _locale(request: Request, services: Services) -> str:
    return negotiate(
        request.headers.get("accept-language"),
        SUPPORTED_LOCALES,
        services.settings.default_locale,
        explicit=request.query_params.get("locale") or request.query_params.get("lang"),
    )


def _respond(request: Request, rendered: Rendered, media_type: str, locale: str) -> Response:
    headers = {
        "ETag": rendered.etag,
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Language",
        "Content-Language": locale,
        "Access-Control-Allow-Origin": "*",  # open data: any site may load it
    }
    if etag_matches(request.headers.get("if-none-match"), rendered.etag):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type=media_type, headers=headers)


def _bad(translator: Translator, status: int, message: str, **params: object) -> Response:
    return PlainTextResponse(translator.gettext(message, **params), status_code=status)


def _refused_texts(request: Request, translator: Translator) -> Response | None:
    """The text rule of every door (``service.inputs``), on the path and the query."""
    fields = [*request.path_params.items(), *request.query_params.multi_items()]
    refusal = fields_refusal(fields)
    if refusal is None:
        return None
    return PlainTextResponse(refusal.describe(translator), status_code=400)


def today_in_angers() -> date:
    return datetime.now(LOCAL_TIMEZONE).date()


def opendata_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    cache = RenderCache()

    async def serve(request: Request) -> Response:
        locale = _locale(request, services)
        translator = services.translator(locale)
        if (refused := _refused_texts(request, translator)) is not None:
            return refused
        name, fmt = request.path_params["dataset"], request.path_params["format"]
        dataset = opendata.DATASETS.get(name)
        if dataset is None or fmt not in MEDIA_TYPES:
            return _bad(
                translator,
                404,
                N_("Unknown dataset. Datasets: %(names)s (.csv or .json)."),
                names=", ".join(opendata.DATASETS),
            )
        raw_year = request.query_params.get("year") or str(today_in_angers().year)
        year = number(raw_year) if len(raw_year) == 4 else None
        if year is None:  # ASCII digits only: "²⁰²⁶" passes isdigit() but not int()
            return _bad(translator, 400, N_("Give the year as four digits, e.g. 2026."))
        if not rules.FIRST_DAY.year <= year <= rules.LAST_DAY.year:
            return _bad(
                translator,
                400,
                N_("Please choose a date between %(first)s and %(last)s."),
                first=rules.FIRST_DAY,
                last=rules.LAST_DAY,
            )

        async def build() -> bytes:
            async with services.db.reading() as session:
                rows = await dataset.build(session, year, translator, services.reference)
            if fmt == "csv":
                return opendata.as_csv(dataset, rows)
            return opendata.as_json(dataset, year, locale, rows)

        rendered = await cache.get(services, (name, fmt, str(year), locale), build)
        return _respond(request, rendered, MEDIA_TYPES[fmt], locale)

    return serve


def catalogue_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    """``/opendata/catalog.jsonld``: the DCAT-AP catalogue harvesters read."""

    async def serve(request: Request) -> Response:
        base = services.settings.public_url or str(request.base_url).rstrip("/")
        year = today_in_angers().year
        document = catalogue.dcat_catalogue(base, [year, year - 1], services.translator)
        body = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
        headers = {"Cache-Control": CACHE_CONTROL, "Access-Control-Allow-Origin": "*"}
        return Response(body, media_type="application/ld+json", headers=headers)

    return serve


def table_schema_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    """``/opendata/<dataset>.schema.json``: the Table Schema of a dataset's CSV."""

    async def serve(request: Request) -> Response:
        translator = services.translator(_locale(request, services))
        dataset = opendata.DATASETS.get(request.path_params["dataset"])
        if dataset is None:
            return _bad(
                translator,
                404,
                N_("Unknown dataset. Datasets: %(names)s (.csv or .json)."),
                names=", ".join(opendata.DATASETS),
            )
        body = json.dumps(catalogue.table_schema(dataset), ensure_ascii=False, indent=1)
        headers = {"Cache-Control": CACHE_CONTROL, "Access-Control-Allow-Origin": "*"}
        return Response(body.encode("utf-8"), media_type="application/json", headers=headers)

    return serve


# --- charts ------------------------------------------------------------------------------

ChartBuilder = Callable[
    [Services, rules.Period, rules.Scope, Translator, ReferenceData], Awaitable[Chart]
]


def make_chart(
    translator: Translator,
    period: rules.Period,
    *,
    title: str,
    axis: str,
    categories: str,
    bars: list[Bar],
    vertical: bool,
    total: str | None = None,
    whole: bool = True,
    listed: bool = True,
) -> Chart:
    """A chart and its description in words; ``listed`` false when a table beside it gives
    every value (a page), so that the description does not repeat them all."""
    subtitle = translator.gettext(
        N_("%(start)s to %(end)s"),
        start=labels.bucket(period.start, rules.Granularity.DAY, translator),
        end=labels.bucket(period.end, rules.Granularity.DAY, translator),
    )
    shown = [b for b in bars if b.value is not None]
    words = [f"{title}, {subtitle}."]
    if not bars:
        words.append(translator.gettext(N_("No data to show for this period.")))
    elif not shown:
        # Items exist, but every value is withheld (a few small cells, and the others hidden
        # with them): saying « no data » would be false.
        words.append(
            translator.gettext(N_("Every value is withheld: too few items are behind them."))
        )
        if total is not None:
            words.append(translator.gettext(N_("Total: %(value)s."), value=total))
    else:
        top = max(shown, key=lambda b: b.value or 0)
        words.append(
            translator.gettext(
                N_("Highest: %(label)s (%(value)s)."), label=top.label, value=top.value_label
            )
        )
        if total is not None:
            words.append(translator.gettext(N_("Total: %(value)s."), value=total))
        if listed:
            words.append("; ".join(b.tooltip for b in bars[:40]) + ("…" if len(bars) > 40 else "."))
        else:
            words.append(translator.gettext(N_("Every value is in the table below.")))
    withheld = any(b.value is None for b in bars)
    note = (
        translator.gettext(
            # Also the cells hidden with a small one (complementary suppression): a withheld
            # 19 is not « fewer than 5 ». The same words as the dashboard's tables.
            N_(
                "A dash marks a value withheld: fewer than %(k)s items are behind it, or it "
                "would let someone work such a number out. It is never a zero."
            ),
            k=K,
        )
        if withheld
        else None
    )
    if note:
        words.append(note)
    return Chart(
        title=title,
        subtitle=subtitle,
        description=" ".join(words),
        axis_label=axis,
        category_label=categories,
        bars=bars,
        vertical=vertical,
        note=note,
        language=translator.locale,
        rtl=translator.locale in RTL,
        number=translator.number,
        whole=whole,
    )


def make_bar(label: str, value: float | None, value_label: str, translator: Translator) -> Bar:
    return Bar(
        label=label,
        value=value,
        value_label=value_label,
        tooltip=translator.gettext(N_("%(label)s: %(value)s"), label=label, value=value_label),
    )


async def _items_chart(
    services: Services,
    period: rules.Period,
    scope: rules.Scope,
    translator: Translator,
    reference: ReferenceData,
) -> Chart:
    async with services.db.reading() as session:
        found = await rules.series(session, period, scope)
    starts = list(found)
    hidden = suppressed_cells([found[s] for s in starts])
    bars = [
        make_bar(
            # a week begun before the period is labelled from the period's first day
            labels.bucket(max(start, period.start), period.granularity, translator),
            None if hide else found[start],
            "—" if hide else labels.count(found[start], translator),
            translator,
        )
        for start, hide in zip(starts, hidden, strict=True)
    ]
    total = sum(found.values())
    unit = {
        rules.Granularity.DAY: N_("Day"),
        rules.Granularity.WEEK: N_("Week"),
        rules.Granularity.MONTH: N_("Month"),
    }[period.granularity]
    return make_chart(
        translator,
        period,
        title=translator.gettext(N_("Items submitted")),
        axis=translator.gettext(N_("Items")),
        categories=translator.gettext(unit),
        bars=bars,
        vertical=True,
        total=None if is_small(total) else labels.count(total, translator),
    )


TOP_BARS = 12


def _breakdown_chart(dimension: rules.Dimension, title: str, categories: str) -> ChartBuilder:
    async def build(
        services: Services,
        period: rules.Period,
        scope: rules.Scope,
        translator: Translator,
        reference: ReferenceData,
    ) -> Chart:
        async with services.db.reading() as session:
            found = await rules.breakdown(session, period, scope, dimension)
        keys = sorted(found.current, key=lambda k: (-found.current[k], k))
        counts = [found.current[k] for k in keys]
        hidden = suppressed_cells(counts)
        bars = [
            make_bar(
                labels.dimension_value(dimension, key, translator, reference),
                None if hide else count,
                "—" if hide else labels.count(count, translator),
                translator,
            )
            for key, count, hide in zip(keys, counts, hidden, strict=True)
            if count
        ][:TOP_BARS]
        total = sum(counts)
        return make_chart(
            translator,
            period,
            title=translator.gettext(title),
            axis=translator.gettext(N_("Items")),
            categories=translator.gettext(categories),
            bars=bars,
            vertical=False,
            total=None if is_small(total) else labels.count(total, translator),
        )

    return build


async def _resolution_chart(
    services: Services,
    period: rules.Period,
    scope: rules.Scope,
    translator: Translator,
    reference: ReferenceData,
) -> Chart:
    async with services.db.reading() as session:
        found = await rules.resolution(session, period, scope, rules.Dimension.CATEGORY)
    keys = sorted(found, key=lambda k: (-found[k].created, k))
    hidden = suppressed_cells([found[k].created for k in keys])
    bars = []
    for key, hide in zip(keys, hidden, strict=True):
        bins = found[key].resolve_bins
        seconds = None if hide or sum(bins.values()) < K else percentile(bins.items(), 0.5)
        days = None if seconds is None else round(seconds / 86400, 1)
        bars.append(
            make_bar(
                labels.subject(key, translator, reference),
                days,
                "—" if days is None else translator.number(days),
                translator,
            )
        )
    return make_chart(
        translator,
        period,
        title=translator.gettext(N_("Median time to resolve, by category")),
        axis=translator.gettext(N_("Days")),
        categories=translator.gettext(N_("Category")),
        bars=bars[:TOP_BARS],
        vertical=False,
        whole=False,
    )


async def _acceptance_chart(
    services: Services,
    period: rules.Period,
    scope: rules.Scope,
    translator: Translator,
    reference: ReferenceData,
) -> Chart:
    async with services.db.reading() as session:
        found = await rules.sensor_opinions(session, period, scope, rules.SensorGrouping.SENSOR)
    keys = sorted(found, key=lambda k: (-found[k].count, k))
    hidden = suppressed_cells([found[k].count for k in keys])
    bars = []
    for key, hide in zip(keys, hidden, strict=True):
        row = found[key]
        mean = None if hide or row.count < K else round(row.acceptance_sum / row.count, 2)
        bars.append(
            make_bar(key, mean, "—" if mean is None else labels.mean(mean, translator), translator)
        )
    return make_chart(
        translator,
        period,
        title=translator.gettext(N_("Mean acceptance of sensors (1 to 5)")),
        axis=translator.gettext(N_("Acceptance")),
        categories=translator.gettext(N_("Sensor")),
        bars=bars[:TOP_BARS],
        vertical=False,
        whole=False,
    )


CHARTS: dict[str, ChartBuilder] = {
    "items": _items_chart,
    "items-by-kind": _breakdown_chart(rules.Dimension.KIND, N_("Items by kind"), N_("Kind")),
    "items-by-category": _breakdown_chart(
        rules.Dimension.CATEGORY, N_("Items by category or service"), N_("Category")
    ),
    "items-by-commune": _breakdown_chart(
        rules.Dimension.COMMUNE, N_("Items by commune"), N_("Commune")
    ),
    "items-by-status": _breakdown_chart(
        rules.Dimension.STATUS, N_("Items by status"), N_("Status")
    ),
    "resolution-by-category": _resolution_chart,
    "sensor-acceptance": _acceptance_chart,
}


def _period(request: Request) -> rules.Period:
    """The period from ``start``, ``end`` and ``granularity`` (default: the last 12 months)."""
    query = request.query_params
    try:
        end = date.fromisoformat(query["end"]) if query.get("end") else today_in_angers()
        # max(): a year before an end in year 1 does not exist; checked_period refuses that end.
        start = (
            date.fromisoformat(query["start"])
            if query.get("start")
            else (max(end, rules.FIRST_DAY) - timedelta(days=364)).replace(day=1)
        )
        granularity = rules.Granularity(query.get("granularity", "month").lower())
    except ValueError:
        raise DomainError(
            TrendsErrorCode.INVALID_PERIOD,
            N_("Give start and end as YYYY-MM-DD and granularity as day, week or month."),
        ) from None
    return rules.checked_period(start, end, granularity)


def chart_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    cache = RenderCache()

    async def serve(request: Request) -> Response:
        locale = _locale(request, services)
        translator = services.translator(locale)
        if (refused := _refused_texts(request, translator)) is not None:
            return refused
        name = request.path_params["name"]
        builder = CHARTS.get(name)
        if builder is None:
            return _bad(
                translator, 404, N_("Unknown chart. Charts: %(names)s."), names=", ".join(CHARTS)
            )
        try:
            period = _period(request)
        except DomainError as error:
            return _bad(translator, 400, error.message, **error.params)
        query = request.query_params
        scope = rules.Scope(
            kind=query.get("kind") or None,
            commune_code=query.get("commune") or None,
            subject=query.get("category") or None,
        )
        key = (name, locale, period.start.isoformat(), period.end.isoformat(),
               period.granularity.value, str(scope.kind), str(scope.commune_code),
               str(scope.subject))  # fmt: skip

        async def build() -> bytes:
            chart = await builder(services, period, scope, translator, services.reference)
            return render(chart)

        rendered = await cache.get(services, key, build)
        return _respond(request, rendered, SVG, locale)

    return serve
