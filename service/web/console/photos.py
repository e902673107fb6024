"""An item's photos in the console: listed on the item's page, and one photo's page
(``/console/dossiers/<reference>/photos/<id>``) to publish, hide, turn or blur it.

Each form posts to ``/console/dossiers/<reference>/photos/<id>/<act>`` and calls the photo
rules the GraphQL mutations call (``photoApprove``, ``photoHide``, ``photoRotate``,
``photoBlur``), after the same permission check (``photo_in_scope``: staff of the bodies
handling the item; a photo elsewhere is « not found »), then comes back to the photo's page.
The page shows the staff copy (``/media/staff/``, whole) beside what the public sees.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from service.errors import N_, DomainError, ValidationFailed
from service.items.models import Item
from service.photos import rules
from service.photos.models import Photo, PhotoStatus
from service.staff.rules import StaffIdentity
from service.web.console.auth import StaffPage, expired, posted_form, refused, render, require_staff
from service.web.console.paths import PHOTO, item_path, photo_path
from service.web.forms import Form, field_errors
from service.web.rendering import Endpoint, Web

PATH = PHOTO
STATUS_LABELS = {
    PhotoStatus.UPLOADED: N_("Not attached yet"),
    PhotoStatus.PENDING: N_("Awaiting review: not public"),
    PhotoStatus.APPROVED: N_("Public"),
    PhotoStatus.HIDDEN: N_("Hidden from the public"),
}
DONE = {
    "publication": N_("The photo is public."),
    "masquage": N_("The photo is hidden from the public; the resident reads the reason."),
    "rotation": N_("The photo was turned."),
    "floutage": N_("The rectangle is blurred on the public copy."),
}
# The rules' field names → the form's (a bad rectangle is shown at its first field).
FIELDS = {"reason": "reason", "degrees": "degrees", "rectangle": "left"}
ROTATIONS = (
    ("90", N_("A quarter turn clockwise")),
    ("180", N_("A half turn")),
    ("270", N_("A quarter turn anticlockwise")),
)


@dataclass(frozen=True)
class PhotoView:
    """A photo as the console lists it."""

    id: str
    number: int
    status: str
    hidden_reason: str | None
    public_edited: bool
    small_url: str
    full_url: str
    public_url: str | None  # what the public is shown, once published
    page_url: str


async def item_photos(session: AsyncSession, staff: StaffPage, item: Item) -> list[PhotoView]:
    """The item's photos in every state but « not attached », in their order."""
    if item.id is None:
        return []
    shown = (PhotoStatus.PENDING, PhotoStatus.APPROVED, PhotoStatus.HIDDEN)
    photos = (await rules.photos_of(session, [item.id], shown))[item.id]
    return [_view(staff, item, photo, number) for number, photo in enumerate(photos, start=1)]


def _view(staff: StaffPage, item: Item, photo: Photo, number: int) -> PhotoView:
    page = staff.page
    approved = photo.status == PhotoStatus.APPROVED.value
    return PhotoView(
        id=photo.id,
        number=number,
        status=str(page.gettext(STATUS_LABELS[PhotoStatus(photo.status)])),
        hidden_reason=photo.hidden_reason,
        public_edited=photo.public_edited,
        small_url=rules.photo_path(photo, small=True, staff=True),
        full_url=rules.photo_path(photo, small=False, staff=True),
        public_url=rules.photo_path(photo, small=False, staff=False) if approved else None,
        page_url=page.url(photo_path(item.reference, photo.id)),
    )


async def _opened(
    web: Web, staff: StaffPage, reference: str, photo_id: str, session: AsyncSession
) -> tuple[Photo, Item, StaffIdentity]:
    """The photo of this item, if the caller may moderate it; else « not found »."""
    photo, item, identity = await rules.photo_in_scope(
        session, staff.identity, web.services.reference, photo_id
    )
    if item.reference != reference:
        raise rules.not_found()
    return photo, item, identity


async def _page(
    web: Web,
    staff: StaffPage,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: Form | None = None,
) -> Response:
    params = staff.request.path_params
    try:
        async with web.services.db.reading() as session:
            photo, item, _ = await _opened(
                web, staff, params["reference"], params["photo"], session
            )
            number = next(
                (
                    view.number
                    for view in await item_photos(session, staff, item)
                    if view.id == photo.id
                ),
                1,
            )
    except DomainError as error:
        return refused(web, staff, error)
    done = DONE.get(staff.request.query_params.get("fait", ""))
    return render(
        web,
        staff,
        "console/photo.html",
        status=status,
        nav="queue",
        item=item,
        photo=_view(staff, item, photo, number),
        approved=photo.status == PhotoStatus.APPROVED.value,
        hidden=photo.status == PhotoStatus.HIDDEN.value,
        rotations=[(value, staff.page.gettext(label)) for value, label in ROTATIONS],
        back=staff.page.url(item_path(item.reference)) + "#photos",
        action_url=lambda act: staff.page.url(f"{photo_path(item.reference, photo.id)}/{act}"),
        errors=errors or {},
        values=dict(form.as_mapping()) if form else {},
        done=staff.page.gettext(done) if done else None,
    )


def photo_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        return await _page(web, staff)

    return require_staff(web, endpoint)


# An act: the rules' call on the photo in scope, with what the form says.
Act = Callable[[AsyncSession, Photo, Item, StaffIdentity, Form, datetime], Awaitable[None]]


def _percent(form: Form, name: str) -> float:
    """A rectangle's edge typed in percent, as the fraction the rules take; anything
    unreadable becomes a value the rules' own rectangle check refuses, with its message."""
    try:
        return float(form.get(name).strip().replace(",", ".")) / 100
    except ValueError:
        return -1.0


def act_table(web: Web) -> dict[str, Act]:
    store = web.services.photo_store

    async def publish(
        s: AsyncSession, photo: Photo, item: Item, who: StaffIdentity, form: Form, now: datetime
    ) -> None:
        await rules.approve(s, photo, item, who, now)

    async def hide(
        s: AsyncSession, photo: Photo, item: Item, who: StaffIdentity, form: Form, now: datetime
    ) -> None:
        await rules.hide(s, photo, item, who, form.get("reason"), now)

    async def turn(
        s: AsyncSession, photo: Photo, item: Item, who: StaffIdentity, form: Form, now: datetime
    ) -> None:
        degrees = int(form.get("degrees")) if form.get("degrees").isdigit() else 0
        await rules.rotate(s, store, photo, item, who, degrees, now)

    async def blur(
        s: AsyncSession, photo: Photo, item: Item, who: StaffIdentity, form: Form, now: datetime
    ) -> None:
        box = tuple(_percent(form, name) for name in ("left", "top", "width", "height"))
        await rules.blur(s, store, photo, item, who, box, now)  # type: ignore[arg-type]

    return {"publication": publish, "masquage": hide, "rotation": turn, "floutage": blur}


def purpose(act: str) -> str:
    return f"console-photo-{act}"


def act_post(web: Web) -> Endpoint:
    table = act_table(web)

    async def endpoint(staff: StaffPage) -> Response:
        params = staff.request.path_params
        reference, photo_id, name = params["reference"], params["photo"], params["act"]
        act = table.get(name)
        if act is None:
            return refused(web, staff, rules.not_found())
        form = await posted_form(web, staff, purpose(name))
        if form is None:
            return expired(web, staff, photo_path(reference, photo_id))
        try:
            async with web.services.db.writing() as session:
                photo, item, who = await _opened(web, staff, reference, photo_id, session)
                await act(session, photo, item, who, form, web.services.clock())
        except ValidationFailed as failed:
            errors = field_errors(failed.errors, staff.page.translator, FIELDS)
            return await _page(web, staff, status=400, errors=errors, form=form)
        except DomainError as error:
            return refused(web, staff, error)
        web.services.response_cache.invalidate()  # the public pages show the photo or not
        target = staff.page.url(photo_path(reference, photo_id), fait=name)
        return web.redirect(staff.page, target, private=True)

    return require_staff(web, endpoint)
