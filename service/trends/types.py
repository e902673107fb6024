"""GraphQL types of the trends: cells that are either a number or suppressed, with labels."""

from __future__ import annotations

import enum
from datetime import date

import strawberry

from service.i18n.translator import Translator
from service.trends import labels
from service.trends.anonymity import K, is_small, share_suppressed
from service.trends.bins import percentile


@strawberry.enum(description="How finely a series is cut.")
class TrendsGranularity(enum.Enum):
    DAY = strawberry.enum_value("day", description="One point per day.")
    WEEK = strawberry.enum_value("week", description="One point per week (from Monday).")
    MONTH = strawberry.enum_value("month", description="One point per calendar month.")


@strawberry.enum(description="What a breakdown groups items by.")
class TrendsDimension(enum.Enum):
    KIND = strawberry.enum_value("kind", description="Report, service request, question.")
    CATEGORY = strawberry.enum_value(
        "subject", description="Category of reports and questions, service of service requests."
    )
    COMMUNE = strawberry.enum_value("commune_code", description="The commune (INSEE code).")
    STATUS = strawberry.enum_value("status", description="The status items have now.")
    CHANNEL = strawberry.enum_value(
        "channel", description="How items reached the service (staff and council only)."
    )
    BODY = strawberry.enum_value(
        "body_code", description="The body handling the items (staff and council only)."
    )


@strawberry.enum(description="How sensor opinions are grouped.")
class TrendsSensorGrouping(enum.Enum):
    SENSOR = strawberry.enum_value("sensor", description="Per sensor (its slug).")
    PLACE = strawberry.enum_value("place", description="Per place name.")
    PURPOSE = strawberry.enum_value("purpose", description="Per DTPR purpose of the sensors.")


@strawberry.input(description="A period of Angers days, both ends included.")
class TrendsPeriodInput:
    start: date = strawberry.field(description="First day.")
    end: date = strawberry.field(description="Last day (at most about three years later).")
    granularity: TrendsGranularity = strawberry.field(
        default=TrendsGranularity.MONTH, description="How finely series are cut."
    )


@strawberry.input(description="Restrict every indicator to some items.")
class TrendsScopeInput:
    kind: str | None = strawberry.field(default=None, description="An item kind.")
    commune_code: str | None = strawberry.field(default=None, description="A commune.")
    category_code: str | None = strawberry.field(
        default=None, description="A category code or a service code."
    )
    body_code: str | None = strawberry.field(
        default=None, description="A handling body (staff and council only)."
    )


@strawberry.type(
    description=f"A number of items, or null when fewer than {K} items are behind it (or when "
    "it would let someone compute such a small number): then `suppressed` is true."
)
class TrendsCount:
    value: int | None = strawberry.field(description="The number, unless suppressed.")
    suppressed: bool = strawberry.field(description="True when the number is withheld.")
    label: str = strawberry.field(description="The number for people, or a dash.")

    @classmethod
    def of(cls, value: int, translator: Translator, *, hide: bool | None = None) -> TrendsCount:
        hidden = is_small(value) if hide is None else hide
        if hidden:
            return cls(value=None, suppressed=True, label="—")
        return cls(value=value, suppressed=False, label=labels.count(value, translator))


@strawberry.type(description="A share between 0 and 1, or null when suppressed.")
class TrendsShare:
    value: float | None = strawberry.field(description="The share (0.25 is a quarter).")
    suppressed: bool = strawberry.field(
        description="True when withheld: too few items, or it would reveal a group of fewer "
        f"than {K} items."
    )
    label: str = strawberry.field(description="The share as a percentage, for people.")

    @classmethod
    def of(cls, part: int, whole: int, translator: Translator) -> TrendsShare:
        if share_suppressed(part, whole):
            return cls(value=None, suppressed=True, label="—")
        value = part / whole
        return cls(value=value, suppressed=False, label=labels.share(value, translator))


@strawberry.type(description="A mean, or null when fewer than five values are behind it.")
class TrendsMean:
    value: float | None = strawberry.field(description="The mean.")
    suppressed: bool = strawberry.field(description="True when withheld.")
    label: str = strawberry.field(description="The mean for people.")

    @classmethod
    def of(cls, total: int, count: int, translator: Translator) -> TrendsMean:
        if count < K:
            return cls(value=None, suppressed=True, label="—")
        value = total / count
        return cls(value=value, suppressed=False, label=labels.mean(value, translator))


@strawberry.type(
    description="A duration read from a log-scale histogram (within 2.2 % of the exact "
    "value, or under a minute), or null when fewer than five items are behind it."
)
class TrendsDuration:
    hours: float | None = strawberry.field(description="The duration in hours.")
    suppressed: bool = strawberry.field(description="True when withheld.")
    label: str = strawberry.field(description="The duration for people (« 3 days »).")

    @classmethod
    def of(cls, bins: dict[int, int], fraction: float, translator: Translator) -> TrendsDuration:
        seconds = percentile(bins.items(), fraction) if sum(bins.values()) >= K else None
        if seconds is None:
            return cls(hours=None, suppressed=True, label="—")
        return cls(
            hours=seconds / 3600, suppressed=False, label=labels.duration(seconds, translator)
        )


@strawberry.type(description="One value of a breakdown, this period and the previous one.")
class TrendsBreakdownRow:
    key: str = strawberry.field(description="The code of the value (a commune's INSEE code...).")
    label: str = strawberry.field(description="Its name in the caller's language.")
    count: TrendsCount = strawberry.field(description="Items submitted in the period.")
    previous: TrendsCount = strawberry.field(description="Items submitted in the period before.")


@strawberry.type(description="Items of a period broken down by one dimension.")
class TrendsBreakdown:
    dimension: TrendsDimension = strawberry.field(description="What the rows group by.")
    total: TrendsCount = strawberry.field(description="All items of the period.")
    previous_total: TrendsCount = strawberry.field(description="All items of the period before.")
    rows: list[TrendsBreakdownRow] = strawberry.field(description="Largest first.")


@strawberry.type(description="One point of a series.")
class TrendsPoint:
    start: date = strawberry.field(description="First day of the day, week or month.")
    label: str = strawberry.field(description="The date for people.")
    count: TrendsCount = strawberry.field(description="Items submitted.")


@strawberry.type(description="How the items of one group, submitted in the period, were handled.")
class TrendsResolutionRow:
    key: str = strawberry.field(description="The code of the group (a body, a category...).")
    label: str = strawberry.field(description="Its name in the caller's language.")
    items: TrendsCount = strawberry.field(description="Items submitted in the period.")
    median_to_acknowledge: TrendsDuration = strawberry.field(
        description="Median time from submission to acknowledgement (acknowledged items)."
    )
    p90_to_acknowledge: TrendsDuration = strawberry.field(
        description="90th percentile of the time to acknowledge."
    )
    median_to_resolve: TrendsDuration = strawberry.field(
        description="Median time from submission to resolution (resolved items)."
    )
    p90_to_resolve: TrendsDuration = strawberry.field(
        description="90th percentile of the time to resolve."
    )
    resolved_within_7_days: TrendsShare = strawberry.field(
        description="Share of the items resolved within 7 days of submission."
    )
    resolved_within_30_days: TrendsShare = strawberry.field(
        description="Share of the items resolved within 30 days of submission."
    )


@strawberry.type(description="Items the service could not hand to their body.")
class TrendsRouting:
    items: TrendsCount = strawberry.field(description="Items submitted in the period.")
    unrouted_share: TrendsShare = strawberry.field(
        description="Share of them whose body has no route (kept in its triage queue)."
    )
    delivery_failed_share: TrendsShare = strawberry.field(
        description="Share of them whose delivery to the body failed for good."
    )


@strawberry.type(description="What residents said once their item was handled.")
class TrendsSatisfaction:
    answers: TrendsCount = strawberry.field(description="Residents who said if it was fixed.")
    fixed_rate: TrendsShare = strawberry.field(description="Share who said it was fixed.")
    ratings: TrendsCount = strawberry.field(description="Residents who gave a rating.")
    mean_rating: TrendsMean = strawberry.field(description="Mean rating, 1 to 5.")


@strawberry.type(description="Opinions on sensors of one group.")
class TrendsSensorRow:
    key: str = strawberry.field(description="The sensor's slug, the place or the purpose id.")
    label: str = strawberry.field(description="A name for people.")
    opinions: TrendsCount = strawberry.field(description="Opinions given in the period.")
    mean_acceptance: TrendsMean = strawberry.field(description="Mean acceptance, 1 to 5.")
    understood_rate: TrendsShare = strawberry.field(
        description="Share of opinions saying the sign made the sensor understood."
    )


@strawberry.type(description="Service requests of one service.")
class TrendsServiceRow:
    key: str = strawberry.field(description="The service code.")
    label: str = strawberry.field(description="The service's name.")
    requests: TrendsCount = strawberry.field(description="Requests submitted in the period.")
    assisted_share: TrendsShare = strawberry.field(
        description="Share submitted by an agent (counter, phone, letter)."
    )


@strawberry.type(description="Service requests, and how many came through an agent.")
class TrendsServiceRequests:
    total: TrendsCount = strawberry.field(description="Requests submitted in the period.")
    assisted_share: TrendsShare = strawberry.field(
        description="Share submitted by an agent for a resident (counter, phone, letter): "
        "the measure of digital inclusion."
    )
    rows: list[TrendsServiceRow] = strawberry.field(description="Per service, largest first.")
