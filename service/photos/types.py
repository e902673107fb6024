"""GraphQL types of photos: the public view, the resident's, the handling body's."""

from __future__ import annotations

import enum

import strawberry
from strawberry.types import Info

from service.context import Context
from service.errors import N_
from service.photos.errors import PhotoErrorCode
from service.photos.models import Photo, PhotoStatus
from service.photos.rules import photo_path
from service.schema_support import described_enum

described_enum(
    PhotoStatus,
    name="PhotoStatus",
    description="Where a photo stands with moderation.",
    values={
        PhotoStatus.UPLOADED: "Received, not attached to an item yet.",
        PhotoStatus.PENDING: "Attached, awaiting review by the handling body (not public).",
        PhotoStatus.APPROVED: "Approved: public.",
        PhotoStatus.HIDDEN: "Hidden by moderation, with a reason (not public).",
    },
)
described_enum(
    PhotoErrorCode,
    name="PhotoErrorCode",
    description="Why a photo upload, attachment or moderation act was refused.",
    values={
        PhotoErrorCode.EMPTY_FILE: "The file is empty.",
        PhotoErrorCode.FILE_TOO_LARGE: "The file is larger than the limit (10 MB by default).",
        PhotoErrorCode.UNSUPPORTED_TYPE: "Not a JPEG, PNG, WebP or HEIC image (read from the "
        "bytes, whatever the name says).",
        PhotoErrorCode.TOO_MANY_PIXELS: "More pixels than the limit (a decompression bomb).",
        PhotoErrorCode.DAMAGED_FILE: "Truncated or damaged: it cannot be decoded.",
        PhotoErrorCode.INVALID_IDEMPOTENCY_KEY: "The idempotency key is not 8-100 safe characters.",
        PhotoErrorCode.IDEMPOTENCY_KEY_REUSED: "The key was used for other bytes.",
        PhotoErrorCode.UNKNOWN_UPLOAD: "No upload of this caller has this id, or it is "
        "already attached.",
        PhotoErrorCode.TOO_MANY_PHOTOS: "More photos than an item may have (3 by default).",
        PhotoErrorCode.NOT_FOUND: "No photo with this id in the caller's bodies.",
        PhotoErrorCode.INVALID_RECTANGLE: "The rectangle is not inside the photo.",
        PhotoErrorCode.INVALID_ROTATION: "Not 90, 180 or 270 degrees.",
        PhotoErrorCode.REASON_REQUIRED: "Hiding a photo needs a reason.",
        PhotoErrorCode.TEXT_TOO_LONG: "The reason is longer than 500 characters.",
        PhotoErrorCode.NOT_AUTHENTICATED: "This needs a staff session or access token.",
        PhotoErrorCode.FORBIDDEN: "The caller's role or scopes do not allow this.",
    },
)

STATUS_LABELS = {
    PhotoStatus.UPLOADED: N_("Received"),
    PhotoStatus.PENDING: N_("Awaiting review"),
    PhotoStatus.APPROVED: N_("Published"),
    PhotoStatus.HIDDEN: N_("Hidden by moderation"),
}
PUBLIC = frozenset({PhotoStatus.APPROVED})
ATTACHED = frozenset({PhotoStatus.PENDING, PhotoStatus.APPROVED, PhotoStatus.HIDDEN})


class Audience(enum.Enum):
    PUBLIC = "public"
    RESIDENT = "resident"
    STAFF = "staff"


def base_url(info: Info[Context, None]) -> str:
    """Where the photos are served from: SERVICE_PUBLIC_URL, else the request's own."""
    configured = info.context.settings.public_url
    if configured:
        return configured
    request = info.context.request
    return str(request.base_url).rstrip("/") if request is not None else ""


@strawberry.type(name="Photo", description="A photo of an item, without any metadata.")
class PhotoType:
    id: strawberry.ID = strawberry.field(description="The photo's random id.")
    url: str | None = strawberry.field(
        description="The photo (JPEG, longest side at most 2,048 px). Public views: the public "
        "copy. The resident's view: null until approved. Staff: the staff copy (needs the "
        "session or token)."
    )
    thumbnail_url: str | None = strawberry.field(
        description="A small copy for lists (longest side 480 px); null like `url`."
    )
    width: int = strawberry.field(description="Width of the full copy, in pixels.")
    height: int = strawberry.field(description="Height of the full copy, in pixels.")
    status: PhotoStatus = strawberry.field(
        description="Where it stands with moderation (public views: always APPROVED)."
    )
    status_label: str = strawberry.field(description="That status, in your language.")
    hidden_reason: str | None = strawberry.field(
        description="Why moderation hid it (the resident and staff only)."
    )

    @classmethod
    def from_row(cls, row: Photo, info: Info[Context, None], audience: Audience) -> PhotoType:
        status = PhotoStatus(row.status)
        staff = audience is Audience.STAFF
        shown = staff or status is PhotoStatus.APPROVED
        base = base_url(info)
        return cls(
            id=strawberry.ID(row.id),
            url=base + photo_path(row, small=False, staff=staff) if shown else None,
            thumbnail_url=base + photo_path(row, small=True, staff=staff) if shown else None,
            width=row.width,
            height=row.height,
            status=status,
            status_label=info.context.translator.gettext(STATUS_LABELS[status]),
            hidden_reason=row.hidden_reason if audience is not Audience.PUBLIC else None,
        )


async def item_photos(
    info: Info[Context, None], item_id: int, audience: Audience
) -> list[PhotoType]:
    """The photos of an item for an audience: the public sees approved photos only."""
    statuses = PUBLIC if audience is Audience.PUBLIC else ATTACHED
    rows = await info.context.photo_loader.load((item_id, statuses))
    return [PhotoType.from_row(row, info, audience) for row in rows]
