"""GraphQL types of reports: what the public may read, and what a submission answers."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from service.context import Context
from service.items.lifecycle import Status
from service.items.models import Item
from service.items.rules import Audience
from service.items.types import (
    AssistedChannel,
    ContactInput,
    HistoryEntry,
    ItemView,
    PageInfo,
    ResidentChannel,
    public_text,
)
from service.moderation import rules as moderation
from service.reports.errors import ReportErrorCode
from service.schema_support import described_enum

described_enum(
    ReportErrorCode,
    name="ReportErrorCode",
    description="Why a report submission or a support was refused.",
    values={
        ReportErrorCode.UNKNOWN_CATEGORY: "No category has this code.",
        ReportErrorCode.OUTSIDE_ALM: "The point is outside the 29 communes of ALM.",
        ReportErrorCode.LOCATION_REQUIRED: "Neither a point nor a commune with an address "
        "(the residents' web form without a map).",
        ReportErrorCode.UNKNOWN_COMMUNE: "No commune of ALM has this INSEE code (web form).",
        ReportErrorCode.LATITUDE_OUT_OF_RANGE: "The latitude is not between -90 and 90.",
        ReportErrorCode.LONGITUDE_OUT_OF_RANGE: "The longitude is not between -180 and 180.",
        ReportErrorCode.TEXT_REQUIRED: "A required text is empty.",
        ReportErrorCode.TEXT_TOO_LONG: "A text is longer than its limit.",
        ReportErrorCode.INVALID_IDEMPOTENCY_KEY: "The idempotency key is not 8-100 safe "
        "characters.",
        ReportErrorCode.IDEMPOTENCY_KEY_REUSED: "The key was used for a different submission.",
        ReportErrorCode.INVALID_EMAIL: "The e-mail address is not valid.",
        ReportErrorCode.INVALID_PHONE: "The phone number is not valid.",
        ReportErrorCode.CONTACT_INCOMPLETE: "A contact needs an e-mail address or a phone.",
        ReportErrorCode.CONSENT_REQUIRED: "A contact needs the resident's explicit consent.",
        ReportErrorCode.NAME_TOO_LONG: "The contact name is too long.",
        ReportErrorCode.NOT_FOUND: "No report has this reference.",
        ReportErrorCode.INVALID_DEVICE_KEY: "The device key is not 8-100 safe characters.",
        ReportErrorCode.RADIUS_OUT_OF_RANGE: "The radius is not between 1 and 2,000 metres.",
        ReportErrorCode.NOT_AUTHENTICATED: "This needs a staff session or access token.",
        ReportErrorCode.FORBIDDEN: "The caller's role or scopes do not allow this.",
        ReportErrorCode.UNKNOWN_UPLOAD: "A photo upload id is unknown to this caller, or "
        "already attached to another item.",
        ReportErrorCode.TOO_MANY_PHOTOS: "More photos than an item may have (3 by default).",
        ReportErrorCode.UNKNOWN_HELP_PLACE: "No help place of the directory has this slug.",
    },
)


@strawberry.type(description="Why a report submission or a support was refused.")
class ReportError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: ReportErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(name="Report", description="A problem reported in public space (public view).")
class ReportType(ItemView):
    description: str = strawberry.field(
        description="What the resident wrote, personal data masked (e-mail addresses, phone "
        "numbers, number plates, IBANs, social-security and card numbers, names after a "
        "civility); « Hidden by moderation. » in the caller's language when `textWithheld`."
    )
    address_text: str | None = strawberry.field(
        description="The address given, masked alike; null when `textWithheld`."
    )

    @classmethod
    def from_row(cls, row: Item, info: Info[Context, None]) -> ReportType:
        return cls(
            **ItemView.common(row, info.context.translator),
            description=public_text(row, info.context.translator),
            address_text=moderation.public_address(row),
        )

    @strawberry.field(description="Its public history, oldest first.")
    async def history(self, info: Info[Context, None]) -> list[HistoryEntry]:
        return await self._history(info, frozenset({Audience.PUBLIC}), public=True)


@strawberry.type(description="A report in a list, with its cursor.")
class ReportEdge:
    cursor: str = strawberry.field(description="Where this report stands in the list.")
    node: ReportType = strawberry.field(description="The report.")


@strawberry.type(description="A page of reports, newest first.")
class ReportConnection:
    edges: list[ReportEdge] = strawberry.field(description="The reports of this page.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="How many reports match the filter.")


@strawberry.type(description="A report near a point, with its distance.")
class NearbyReport:
    report: ReportType = strawberry.field(description="The report.")
    distance_meters: int = strawberry.field(description="Distance from the point, in metres.")


@strawberry.type(description="Reports near a point, or why the question was refused.")
class NearbyReportsResult:
    reports: list[NearbyReport] = strawberry.field(
        description="Open reports first, then the nearest; at most 20."
    )
    errors: list[ReportError] = strawberry.field(description="Empty unless the input is invalid.")


@strawberry.input(description="Filters of the public list of reports; all optional.")
class ReportFilterInput:
    commune: strawberry.ID | None = strawberry.field(default=None, description="INSEE code.")
    category: strawberry.ID | None = strawberry.field(default=None, description="Category code.")
    status: list[Status] | None = strawberry.field(default=None, description="Any of these.")
    since: datetime | None = strawberry.field(default=None, description="Received from then on.")
    bbox: BoundingBoxInput | None = strawberry.field(
        default=None, description="Only reports whose pin lies in this box."
    )


@strawberry.input(description="A box on the map, in degrees (WGS 84).")
class BoundingBoxInput:
    south: float = strawberry.field(description="Southern latitude.")
    west: float = strawberry.field(description="Western longitude.")
    north: float = strawberry.field(description="Northern latitude.")
    east: float = strawberry.field(description="Eastern longitude.")


@strawberry.input(description="What every report submission carries.")
class ReportFieldsInput:
    category_code: strawberry.ID = strawberry.field(description="From `categories`.")
    latitude: float = strawberry.field(description="Latitude of the problem (WGS 84).")
    longitude: float = strawberry.field(description="Longitude of the problem (WGS 84).")
    description: str = strawberry.field(description="What is wrong, up to 4,000 characters.")
    idempotency_key: str = strawberry.field(
        description="Made by the client for this submission; a retry with it returns the same "
        "report instead of a second one. 8-100 letters, digits or . _ : -"
    )
    address_text: str | None = strawberry.field(
        default=None, description="The address, if known, up to 300 characters."
    )
    contact: ContactInput | None = strawberry.field(
        default=None, description="Only if the resident wants to be contacted."
    )
    photo_upload_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Ids returned by `POST /media/uploads` (at most 3 by default), in order. "
        "Photos are public only once the handling body approved them.",
    )


@strawberry.input(description="A new report from a resident.")
class ReportCreateInput(ReportFieldsInput):
    channel: ResidentChannel = strawberry.field(
        default=ResidentChannel.WEB, description="Where it was sent from."
    )


@strawberry.input(description="A report an agent enters for a resident (staff only).")
class AssistedReportCreateInput(ReportFieldsInput):
    channel: AssistedChannel = strawberry.field(
        default=AssistedChannel.COUNTER, description="How the resident reached the agent."
    )
    help_place: str | None = strawberry.field(
        default=None,
        description="The slug of the help place (`helpPlaces`) the agent works at, if any: "
        "counted, k-anonymously, in the open data on the use of help places.",
    )


@strawberry.type(description="The result of an assisted submission.")
class AssistedReportCreatePayload:
    report: ReportType | None = strawberry.field(description="The report; null on errors.")
    tracking_token: str | None = strawberry.field(
        description="The full tracking token (for an e-mail or a QR code)."
    )
    short_code: str | None = strawberry.field(
        description="A short code to read out or write down (e.g. K7PM-3XQD); with the "
        "reference, it opens the report like the token (`trackedByCode`)."
    )
    errors: list[ReportError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of a report submission.")
class ReportCreatePayload:
    report: ReportType | None = strawberry.field(description="The report; null on errors.")
    tracking_token: str | None = strawberry.field(
        description="Keep it: with it the resident follows the report without an account. "
        "The same for a retried submission."
    )
    errors: list[ReportError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of a « me too ».")
class ReportSupportPayload:
    report: ReportType | None = strawberry.field(description="The report, with its new count.")
    counted: bool = strawberry.field(
        description="False when this device had already supported it (counted once)."
    )
    errors: list[ReportError] = strawberry.field(description="Empty on success.")
