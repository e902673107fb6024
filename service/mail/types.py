"""GraphQL types of the subscriptions to new reports by area."""

from __future__ import annotations

import strawberry

from service.mail.models import MailSubscription
from service.mail.subscriptions import SubscriptionErrorCode
from service.schema_support import described_enum

described_enum(
    SubscriptionErrorCode,
    name="SubscriptionErrorCode",
    description="Why a subscription to new reports was refused.",
    values={
        SubscriptionErrorCode.INVALID_EMAIL: "The e-mail address does not look valid.",
        SubscriptionErrorCode.AREA_REQUIRED: "No commune, category or point was given.",
        SubscriptionErrorCode.UNKNOWN_COMMUNE: "No commune has this code.",
        SubscriptionErrorCode.UNKNOWN_CATEGORY: "No category has this code.",
        SubscriptionErrorCode.INVALID_RADIUS: "The point or its radius is out of bounds.",
        SubscriptionErrorCode.UNKNOWN_REPORT: "No report has this reference.",
    },
)


@strawberry.input(
    description="What to hear of: new reports in a commune, of a category, or "
    "around a point (any combination narrows it)."
)
class SubscriptionCreateInput:
    email: str = strawberry.field(
        description="Where to send the confirmation link, then the digests. Kept encrypted, "
        "deleted with the subscription."
    )
    commune_code: str | None = strawberry.field(
        default=None, description="INSEE code of a commune."
    )
    category_code: str | None = strawberry.field(default=None, description="A category code.")
    latitude: float | None = strawberry.field(default=None, description="A point's latitude.")
    longitude: float | None = strawberry.field(default=None, description="Its longitude.")
    radius_meters: int | None = strawberry.field(
        default=None, description="Around the point, from 50 to 2,000 metres."
    )
    reference: str | None = strawberry.field(
        default=None,
        description="Follow one report instead of an area (anyone's, e.g. after « me too »): "
        "its public changes, at most once a day. The area fields are then ignored.",
    )


@strawberry.type(description="A subscription to new reports, as its subscriber may see it.")
class AreaSubscription:
    commune_code: str | None = strawberry.field(description="The commune, if one was chosen.")
    category_code: str | None = strawberry.field(description="The category, if one was chosen.")
    radius_meters: int | None = strawberry.field(description="The radius, around a point.")
    follows_a_report: bool = strawberry.field(
        description="True when it follows one report rather than an area."
    )
    confirmed: bool = strawberry.field(
        description="False until the link sent by e-mail is followed (double opt-in): nothing "
        "but that link is sent before."
    )

    @classmethod
    def from_row(cls, row: MailSubscription) -> AreaSubscription:
        return cls(
            commune_code=row.commune_code,
            category_code=row.category_code,
            radius_meters=row.radius_meters,
            follows_a_report=row.item_id is not None,
            confirmed=row.confirmed_at is not None,
        )


@strawberry.type(description="Why a subscription was refused.")
class SubscriptionError:
    field: str | None = strawberry.field(description="The input at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: SubscriptionErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(description="The subscription, waiting for its confirmation.")
class SubscriptionCreatePayload:
    subscription: AreaSubscription | None = strawberry.field(
        description="The subscription, unconfirmed; null when refused."
    )
    errors: list[SubscriptionError] = strawberry.field(description="Empty on success.")
