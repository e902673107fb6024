"""Open-data datasets of the public trends: one table each, k-anonymous, with a schema.

Each dataset covers one calendar year (Angers days). Counts of 1 to 4 items are withheld
(empty in CSV, null in JSON, ``suppressed`` true), with the complementary cells of the same
month, so that the published monthly totals (``items-by-month``) reveal none of them. Shares,
means and durations are withheld under the same rules as in the ``trends`` query.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_
from service.i18n.translator import Translator
from service.reference import ReferenceData
from service.trends import help_place_use, labels, rules
from service.trends.anonymity import K, share_suppressed, suppressed_cells
from service.trends.bins import percentile
from service.trends.item_rows import item_rows


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "string", "integer", "number", "boolean", "date" (Table Schema types)
    description: str


Rows = list[dict[str, Any]]
Builder = Callable[[AsyncSession, int, Translator, ReferenceData], Awaitable[Rows]]


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str  # an English msgid: the catalogue page shows it translated
    columns: tuple[Column, ...]
    build: Builder
    title: str = ""  # an English msgid
    # How often it changes (DCAT-AP frequency vocabulary): the roll-ups follow every change.
    frequency: str = "DAILY"


def _year(year: int) -> rules.Period:
    return rules.Period(date(year, 1, 1), date(year, 12, 31), rules.Granularity.MONTH)


def _share(part: int, whole: int) -> float | None:
    return None if share_suppressed(part, whole) else round(part / whole, 4)


def _mean(total: int, count: int) -> float | None:
    return None if count < K else round(total / count, 3)


def _hours(bins: dict[int, int], fraction: float) -> float | None:
    if sum(bins.values()) < K:
        return None
    seconds = percentile(bins.items(), fraction)
    return None if seconds is None else round(seconds / 3600, 2)


MONTH = Column("month", "date", "First day of the month (Angers time) the items were submitted.")
SUPPRESSED = Column(
    "suppressed",
    "boolean",
    f"True when the counts of the row are withheld (fewer than {K} "
    "items, or needed to protect such a row).",
)


def _monthly_breakdown(dimension: rules.Dimension) -> Builder:
    async def build(
        session: AsyncSession, year: int, translator: Translator, reference: ReferenceData
    ) -> Rows:
        period = _year(year)
        found = await rules.per_bucket(session, period, rules.Scope(), dimension)
        rows: Rows = []
        for month in period.buckets():
            keys = sorted(k for m, k in found if m == month)
            counts = [found[(month, k)][0] for k in keys]
            for key, count, hide in zip(keys, counts, suppressed_cells(counts), strict=True):
                rows.append(
                    {
                        "month": month.isoformat(),
                        "code": key,
                        "label": labels.dimension_value(dimension, key, translator, reference),
                        "items": None if hide else count,
                        "suppressed": hide,
                    }
                )
        return rows

    return build


async def _items_by_month(
    session: AsyncSession, year: int, translator: Translator, reference: ReferenceData
) -> Rows:
    period = _year(year)
    columns = ("created", "acknowledged", "resolved", "feedback_count", "feedback_fixed",
               "rating_count", "rating_sum", "assisted")  # fmt: skip
    found = await rules.per_bucket(session, period, rules.Scope(), None, columns)
    rows: Rows = []
    for month in period.buckets():
        created, acknowledged, resolved, answers, fixed, ratings, rating_sum, assisted = found.get(
            (month, ""), [0] * len(columns)
        )
        small = 0 < created < K
        rows.append(
            {
                "month": month.isoformat(),
                "items": None if small else created,
                "acknowledged_share": _share(acknowledged, created),
                "resolved_share": _share(resolved, created),
                "assisted_share": _share(assisted, created),
                "fixed_rate": _share(fixed, answers),
                "mean_rating": _mean(rating_sum, ratings),
                "suppressed": small,
            }
        )
    return rows


async def _resolution_by_category(
    session: AsyncSession, year: int, translator: Translator, reference: ReferenceData
) -> Rows:
    found = await rules.resolution(session, _year(year), rules.Scope(), rules.Dimension.CATEGORY)
    keys = sorted(found)
    hidden = suppressed_cells([found[k].created for k in keys])
    rows: Rows = []
    for key, hide in zip(keys, hidden, strict=True):
        row = rules.Resolution(created=found[key].created) if hide else found[key]
        rows.append(
            {
                "year": year,
                "code": key,
                "label": labels.subject(key, translator, reference),
                "items": None if hide else row.created,
                "median_hours_to_acknowledge": _hours(row.acknowledge_bins, 0.5),
                "p90_hours_to_acknowledge": _hours(row.acknowledge_bins, 0.9),
                "median_hours_to_resolve": _hours(row.resolve_bins, 0.5),
                "p90_hours_to_resolve": _hours(row.resolve_bins, 0.9),
                "resolved_within_7_days_share": None
                if hide
                else _share(row.resolved_7d, row.created),
                "resolved_within_30_days_share": None
                if hide
                else _share(row.resolved_30d, row.created),
                "suppressed": hide,
            }
        )
    return rows


async def _sensor_opinions(
    session: AsyncSession, year: int, translator: Translator, reference: ReferenceData
) -> Rows:
    found = await rules.sensor_opinions(
        session, _year(year), rules.Scope(), rules.SensorGrouping.SENSOR
    )
    keys = sorted(found)
    hidden = suppressed_cells([found[k].count for k in keys])
    return [
        {
            "year": year,
            "sensor": key,
            "opinions": None if hide else found[key].count,
            "mean_acceptance": None if hide else _mean(found[key].acceptance_sum, found[key].count),
            "understood_share": None if hide else _share(found[key].understood, found[key].count),
            "suppressed": hide,
        }
        for key, hide in zip(keys, hidden, strict=True)
    ]


async def _items(
    session: AsyncSession, year: int, translator: Translator, reference: ReferenceData
) -> Rows:
    return await item_rows(session, year, reference)


CODE_LABEL = (
    Column("code", "string", "The code of the value (INSEE code, category or service code)."),
    Column("label", "string", "Its name, in the language asked for (French by default)."),
)
ITEMS = Column("items", "integer", "Items submitted (empty when withheld).")

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "items-by-month",
            N_(
                "Items submitted per month, with the shares acknowledged, resolved and "
                "submitted through an agent, and residents' satisfaction."
            ),
            (
                MONTH,
                ITEMS,
                Column("acknowledged_share", "number", "Share acknowledged so far (0 to 1)."),
                Column("resolved_share", "number", "Share resolved so far (0 to 1)."),
                Column(
                    "assisted_share",
                    "number",
                    "Share submitted by an agent (counter, phone, letter).",
                ),
                Column(
                    "fixed_rate", "number", "Share of answering residents who said it was fixed."
                ),
                Column("mean_rating", "number", "Mean rating given by residents (1 to 5)."),
                SUPPRESSED,
            ),
            _items_by_month,
            title=N_("Items per month"),
        ),
        Dataset(
            "items-by-commune",
            N_("Items submitted per month and commune."),
            (MONTH, *CODE_LABEL, ITEMS, SUPPRESSED),
            _monthly_breakdown(rules.Dimension.COMMUNE),
            title=N_("Items per month and commune"),
        ),
        Dataset(
            "items-by-category",
            N_(
                "Items submitted per month and category (reports, questions) or service "
                "(service requests)."
            ),
            (MONTH, *CODE_LABEL, ITEMS, SUPPRESSED),
            _monthly_breakdown(rules.Dimension.CATEGORY),
            title=N_("Items per month and category"),
        ),
        Dataset(
            "items-by-kind",
            N_("Items submitted per month and kind (report, service request, question)."),
            (MONTH, *CODE_LABEL, ITEMS, SUPPRESSED),
            _monthly_breakdown(rules.Dimension.KIND),
            title=N_("Items per month and kind"),
        ),
        Dataset(
            "resolution-by-category",
            N_(
                "Times to acknowledge and to resolve the items submitted in the year, per "
                "category (nearest-rank percentiles read from log-scale histograms: within "
                "2.2 %)."
            ),
            (
                Column("year", "integer", "The year the items were submitted."),
                *CODE_LABEL,
                ITEMS,
                Column("median_hours_to_acknowledge", "number", "Median hours to acknowledge."),
                Column("p90_hours_to_acknowledge", "number", "90th percentile, hours."),
                Column("median_hours_to_resolve", "number", "Median hours to resolve."),
                Column("p90_hours_to_resolve", "number", "90th percentile, hours."),
                Column("resolved_within_7_days_share", "number", "Share resolved within 7 days."),
                Column("resolved_within_30_days_share", "number", "Share resolved within 30 days."),
                SUPPRESSED,
            ),
            _resolution_by_category,
            title=N_("Times to resolve, per category"),
        ),
        Dataset(
            "sensor-opinions",
            N_("Residents' opinions on sensors given (or last changed) in the year."),
            (
                Column("year", "integer", "The year."),
                Column("sensor", "string", "The sensor's slug (as on its sign)."),
                Column("opinions", "integer", "Opinions (empty when withheld)."),
                Column("mean_acceptance", "number", "Mean acceptance, 1 (not at all) to 5."),
                Column("understood_share", "number", "Share who said the sign made it clear."),
                SUPPRESSED,
            ),
            _sensor_opinions,
            title=N_("Opinions on sensors"),
        ),
        Dataset(
            "items",
            N_(
                "One row per public report and public service request submitted in the year: "
                "reference, kind, category or service, commune, status and dates. No text, no "
                "person; places as grid cells of at least 5 items (a smaller cell is merged "
                "with its neighbours), or none."
            ),
            (
                Column("reference", "string", "The item's public reference (ALM-2026-004217)."),
                Column("kind", "string", "report or service_request."),
                Column("category", "string", "Category code (reports) or service code."),
                Column("commune", "string", "INSEE code of the commune."),
                Column("status", "string", "Status now (submitted, acknowledged, resolved...)."),
                Column("submitted_on", "date", "Day of submission (Angers time)."),
                Column("acknowledged_on", "date", "Day of acknowledgement, if any."),
                Column("resolved_on", "date", "Day of resolution, if any."),
                Column("cell_latitude", "number", "Latitude of the centre of the grid cell."),
                Column("cell_longitude", "number", "Longitude of the centre of the grid cell."),
                Column("cell_size_degrees", "number", "Side of the grid cell, in degrees."),
            ),
            _items,
            title=N_("Reports and service requests, item by item"),
        ),
        Dataset(
            "items-by-help-place",
            N_(
                "Items an agent submitted for a resident (at a counter, on the phone, from a "
                "letter) in the year, per help place of the directory and channel, so that the "
                "communes can size the help they fund."
            ),
            (
                Column("year", "integer", "The year the items were submitted."),
                Column(
                    "help_place",
                    "string",
                    "The place's slug (as in /help-places.geojson); empty when the agent "
                    "named none, or the place left the directory.",
                ),
                Column("commune", "string", "INSEE code of the place's commune (else the item's)."),
                Column("commune_name", "string", "The commune's name."),
                Column("channel", "string", "counter, phone or letter."),
                ITEMS,
                SUPPRESSED,
            ),
            help_place_use.items_by_help_place,
            title=N_("Items submitted through an agent, per help place"),
        ),
    )
}


def schema_of(dataset: Dataset) -> list[dict[str, str]]:
    return [{"name": c.name, "type": c.type, "description": c.description} for c in dataset.columns]


def as_csv(dataset: Dataset, rows: Rows) -> bytes:
    """UTF-8 CSV with a header; withheld values are empty; decimals with a dot."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = [c.name for c in dataset.columns]
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if row[n] is None else _plain(row[n]) for n in names])
    return out.getvalue().encode("utf-8")


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_json(dataset: Dataset, year: int, locale: str, rows: Rows) -> bytes:
    document = {
        "dataset": dataset.name,
        "description": dataset.description,
        "year": year,
        "language": locale,
        "k_anonymity": K,
        "schema": {"fields": schema_of(dataset)},
        "rows": rows,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
