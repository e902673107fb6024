"""Tables of the trends: daily roll-ups, duration histograms, and what each item contributes.

Nothing here names a person: items are counted by day, kind, subject, commune, channel, body
and status. The per-item state is what makes the roll-ups exact under changes: an item that
changes is taken out of the roll-ups as it was counted and put back as it is now."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Text
from sqlmodel import Field, SQLModel, UniqueConstraint

# One roll-up row: the items submitted on ``day`` that share these dimensions.
ROLLUP_KEY = ("day", "kind", "subject", "commune_code", "channel", "body_code", "status")
ROLLUP_COUNTERS = (
    "created",
    "acknowledged",
    "resolved",
    "closed",
    "resolved_7d",
    "resolved_30d",
    "unrouted",
    "delivery_failed",
    "feedback_count",
    "feedback_fixed",
    "rating_count",
    "rating_sum",
)
DURATION_KEY = ("day", "kind", "subject", "commune_code", "body_code", "measure", "bin")


class TrendsDaily(SQLModel, table=True):
    """Items submitted on one day (Angers time) with the same dimensions, and their outcomes."""

    __tablename__ = "trends_daily"
    __table_args__ = (UniqueConstraint(*ROLLUP_KEY, name="uq_trends_daily_cell"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    kind: str = Field(max_length=20)
    # The category of a report or a question, the service of a service request; "" if none.
    subject: str = Field(max_length=60)
    commune_code: str = Field(max_length=5)
    channel: str = Field(max_length=20)  # api clients are counted together as "api"
    body_code: str = Field(max_length=64)
    status: str = Field(max_length=20)
    created: int = 0
    acknowledged: int = 0
    resolved: int = 0
    closed: int = 0
    resolved_7d: int = 0  # resolved within 7 days of submission
    resolved_30d: int = 0
    unrouted: int = 0
    delivery_failed: int = 0
    feedback_count: int = 0  # residents who said whether it was fixed
    feedback_fixed: int = 0
    rating_count: int = 0
    rating_sum: int = 0


class TrendsDuration(SQLModel, table=True):
    """How many items of one roll-up cell took a duration falling in one histogram bin."""

    __tablename__ = "trends_duration"
    __table_args__ = (UniqueConstraint(*DURATION_KEY, name="uq_trends_duration_cell"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    kind: str = Field(max_length=20)
    subject: str = Field(max_length=60)
    commune_code: str = Field(max_length=5)
    body_code: str = Field(max_length=64)
    measure: str = Field(max_length=12)  # "acknowledge" or "resolve"
    bin: int  # see service.trends.bins
    count: int = 0


class TrendsItemState(SQLModel, table=True):
    """What one item contributes to the roll-ups now (its cell, flags and duration bins)."""

    __tablename__ = "trends_item_state"

    item_id: int = Field(primary_key=True)
    day: date
    kind: str = Field(max_length=20)
    subject: str = Field(max_length=60)
    commune_code: str = Field(max_length=5)
    channel: str = Field(max_length=20)
    body_code: str = Field(max_length=64)
    status: str = Field(max_length=20)
    # The ROLLUP_COUNTERS this item adds, in order, as a space-separated list of integers.
    counters: str = Field(max_length=100)
    acknowledge_bin: int | None = None
    resolve_bin: int | None = None


class TrendsPosition(SQLModel, table=True):
    """How far the roll-ups have applied the outbox (one row, ``name`` "rollup")."""

    __tablename__ = "trends_position"

    name: str = Field(primary_key=True, max_length=20)
    position: int = 0


# Slices: the same counters pre-summed per day and per month, for all communes ("*") and per
# commune, along one dimension at a time. Trends of a period read a few hundred of them (whole
# months, then the days at the edges) instead of every roll-up cell.
SLICE_KEY = ("dimension", "commune_code", "grain", "start", "value")
SLICE_COUNTERS = (*ROLLUP_COUNTERS, "assisted")
SLICE_HISTOGRAM_KEY = (*SLICE_KEY, "measure")


class TrendsSlice(SQLModel, table=True):
    """Items of one day or month (``grain`` "d" or "m", from ``start``) with one value of one
    dimension (``dimension`` "*" and ``value`` "*": all of them), in one commune or all ("*")."""

    __tablename__ = "trends_slice"
    __table_args__ = (UniqueConstraint(*SLICE_KEY, name="uq_trends_slice_cell"),)

    id: int | None = Field(default=None, primary_key=True)
    dimension: str = Field(max_length=20)  # a roll-up column, "service", or "*"
    commune_code: str = Field(max_length=5)
    grain: str = Field(max_length=1)
    start: date
    value: str = Field(max_length=64)
    created: int = 0
    acknowledged: int = 0
    resolved: int = 0
    closed: int = 0
    resolved_7d: int = 0
    resolved_30d: int = 0
    unrouted: int = 0
    delivery_failed: int = 0
    feedback_count: int = 0
    feedback_fixed: int = 0
    rating_count: int = 0
    rating_sum: int = 0
    assisted: int = 0  # submitted by an agent (counter, phone, letter)


class TrendsSliceHistogram(SQLModel, table=True):
    """The duration histogram of a slice for one measure, packed in one row (see
    ``service.trends.histograms``): a year by category reads one row per category and measure,
    not one per histogram bin."""

    __tablename__ = "trends_slice_histogram"
    __table_args__ = (
        UniqueConstraint(*SLICE_HISTOGRAM_KEY, name="uq_trends_slice_histogram_cell"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dimension: str = Field(max_length=20)
    commune_code: str = Field(max_length=5)
    grain: str = Field(max_length=1)
    start: date
    value: str = Field(max_length=64)
    measure: str = Field(max_length=12)
    bins: str = Field(sa_type=Text)  # "bin:count" pairs, bins ascending, space-separated
    count: int = 0  # items in the histogram (the sum of its counts)


# Scoped slices: the same sums within one kind, one category or service, or one body
# (``scope`` "kind", "subject" or "body_code", ``scope_value`` its code), per month and year
# only: a scoped period reads its whole months here and its edge days from the roll-ups.
SCOPES = ("kind", "subject", "body_code")
SCOPED_SLICE_KEY = ("scope", "scope_value", *SLICE_KEY)
SCOPED_SLICE_HISTOGRAM_KEY = ("scope", "scope_value", *SLICE_HISTOGRAM_KEY)


class TrendsScopedSlice(SQLModel, table=True):
    """A slice (see ``TrendsSlice``) of the items of one kind, subject or body."""

    __tablename__ = "trends_scoped_slice"
    __table_args__ = (UniqueConstraint(*SCOPED_SLICE_KEY, name="uq_trends_scoped_slice_cell"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=20)
    scope_value: str = Field(max_length=64)
    dimension: str = Field(max_length=20)
    commune_code: str = Field(max_length=5)
    grain: str = Field(max_length=1)
    start: date
    value: str = Field(max_length=64)
    created: int = 0
    acknowledged: int = 0
    resolved: int = 0
    closed: int = 0
    resolved_7d: int = 0
    resolved_30d: int = 0
    unrouted: int = 0
    delivery_failed: int = 0
    feedback_count: int = 0
    feedback_fixed: int = 0
    rating_count: int = 0
    rating_sum: int = 0
    assisted: int = 0


class TrendsScopedSliceHistogram(SQLModel, table=True):
    """The packed duration histogram of a scoped slice for one measure."""

    __tablename__ = "trends_scoped_slice_histogram"
    __table_args__ = (
        UniqueConstraint(*SCOPED_SLICE_HISTOGRAM_KEY, name="uq_trends_scoped_slice_histogram_cell"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=20)
    scope_value: str = Field(max_length=64)
    dimension: str = Field(max_length=20)
    commune_code: str = Field(max_length=5)
    grain: str = Field(max_length=1)
    start: date
    value: str = Field(max_length=64)
    measure: str = Field(max_length=12)
    bins: str = Field(sa_type=Text)
    count: int = 0
