"""Moderation in the console: the queue of texts awaiting a decision
(``/console/moderation``) and one item's decision form (``/console/moderation/<reference>``).

The list reads ``moderation.rules.queue`` for the staff member's bodies; the form posts to
``moderation.rules.moderate`` — the function ``itemModerate`` calls, permission checks
inside — then goes back to the list (303) with what was done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from service.errors import N_, DomainError, ValidationFailed
from service.items import rules as items
from service.items.models import Item, Moderation
from service.moderation import rules
from service.moderation.models import FlagReason, ItemFlag
from service.moderation.rules import ModerationAction
from service.staff import actions
from service.staff.permissions import covered_bodies, require_item_work
from service.web.console.auth import StaffPage, expired, posted_form, refused, render, require_staff
from service.web.console.paths import item_path
from service.web.forms import field_errors
from service.web.rendering import Endpoint, Web

PATH = "/console/moderation"
ITEM = PATH + "/{reference}"
PURPOSE = "console-moderation"
PAGE_SIZE = 20
FIELDS = {"reason": "reason", "publicText": "public_text", "action": "action"}

STATE_LABELS = {
    Moderation.VISIBLE: N_("Public"),
    Moderation.HELD: N_("Held: a listed word"),
    Moderation.FLAGGED: N_("Withheld after flags"),
    Moderation.HIDDEN: N_("Hidden by staff"),
    Moderation.EDITED: N_("Public as edited by staff"),
}
REASON_LABELS = {
    FlagReason.PERSONAL_DATA: N_("Personal data"),
    FlagReason.OFFENSIVE: N_("Offensive"),
    FlagReason.SPAM: N_("Spam"),
    FlagReason.OTHER: N_("Other"),
}
ACTION_LABELS = {
    ModerationAction.RELEASE: N_("Publish the resident's text (personal data masked)"),
    ModerationAction.EDIT: N_("Publish a rewritten text instead"),
    ModerationAction.HIDE: N_("Hide the text from the public"),
    ModerationAction.DISMISS_FLAGS: N_("Dismiss the flags"),
}
DONE = {
    ModerationAction.RELEASE.value: N_("The text is public again."),
    ModerationAction.EDIT.value: N_("The rewritten text is public; the resident is told."),
    ModerationAction.HIDE.value: N_("The text is hidden from the public; the resident is told."),
    ModerationAction.DISMISS_FLAGS.value: N_("The flags are dismissed."),
}


@dataclass(frozen=True)
class Row:
    item: Item
    href: str
    state: str
    received: str
    flags: list[tuple[str, str | None]]  # (reason, comment)


def _flags(staff: StaffPage, flags: list[ItemFlag]) -> list[tuple[str, str | None]]:
    page = staff.page
    return [(str(page.gettext(REASON_LABELS[FlagReason(f.reason)])), f.comment) for f in flags]


def queue_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        page, services = staff.page, web.services
        try:
            identity = require_item_work(staff.identity, actions.READ)
            after = rules.queue_after(page.request.query_params.get("apres"))
        except DomainError as error:
            if error.code.value == "INVALID_CURSOR":
                message = page.gettext(error.message)
                return render(web, staff, "console/refused.html", status=400, message=message)
            return refused(web, staff, error)
        async with services.db.reading() as session:
            found, has_next = await rules.queue(
                session,
                covered_bodies(identity, services.reference),
                first=PAGE_SIZE,
                after_id=after,
            )
            flags = await rules.open_flags_of(session, [i.id for i in found if i.id])
        rows = [
            Row(
                item=item,
                href=page.url(ITEM.format(reference=item.reference)),
                state=str(page.gettext(STATE_LABELS[Moderation(item.moderation)])),
                received=page.datetime(items.as_utc(item.created_at)),
                flags=_flags(staff, flags.get(item.id or 0, [])),
            )
            for item in found
        ]
        done = DONE.get(page.request.query_params.get("fait", ""))
        next_link = (
            page.url(PATH, apres=rules.queue_cursor(found[-1].id or 0)) if has_next else None
        )
        return render(
            web,
            staff,
            "console/moderation.html",
            nav="moderation",
            rows=rows,
            done=page.gettext(done) if done else None,
            done_reference=page.request.query_params.get("reference"),
            next_link=next_link,
            first_link=page.url(PATH) if after else None,
        )

    return require_staff(web, endpoint)


async def _decision_page(
    web: Web,
    staff: StaffPage,
    reference: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    page = staff.page
    try:
        async with web.services.db.reading() as session:
            opened = await actions.open_item(
                session, staff.identity, reference, web.services.reference
            )
            assert opened.item.id is not None
            flags = (await rules.open_flags_of(session, [opened.item.id]))[opened.item.id]
    except DomainError as error:
        return refused(web, staff, error)
    item = opened.item
    return render(
        web,
        staff,
        "console/moderation_item.html",
        status=status,
        nav="moderation",
        item=item,
        state=page.gettext(STATE_LABELS[Moderation(item.moderation)]),
        withheld=rules.text_withheld(item),
        flags=_flags(staff, flags),
        errors=errors or {},
        values=values or {},
        action_options=[(a.value, page.gettext(label)) for a, label in ACTION_LABELS.items()],
        item_href=page.url(item_path(item.reference)),
        action_url=page.url(ITEM.format(reference=item.reference)),
    )


def decision_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        return await _decision_page(web, staff, staff.request.path_params["reference"])

    return require_staff(web, endpoint)


def decide_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        reference = staff.request.path_params["reference"]
        form = await posted_form(web, staff, PURPOSE)
        if form is None:
            return expired(web, staff, ITEM.format(reference=reference))
        values = dict(form.as_mapping())
        action = next((a for a in ModerationAction if a.value == form.get("action")), None)
        if action is None:
            message = N_("Choose what to do with the text.")
            errors = {"action": str(staff.page.gettext(message))}
            return await _decision_page(
                web, staff, reference, status=400, errors=errors, values=values
            )
        public_text = form.get("public_text") if action is ModerationAction.EDIT else None
        try:
            item = await rules.moderate(
                web.services.db,
                staff.identity,
                reference,
                web.services.reference,
                action,
                reason=form.get("reason"),
                new_public_text=public_text,
                now=web.services.clock(),
            )
        except ValidationFailed as failed:
            errors = field_errors(failed.errors, staff.page.translator, FIELDS)
            return await _decision_page(
                web, staff, reference, status=400, errors=errors, values=values
            )
        except DomainError as error:
            return refused(web, staff, error)
        web.services.response_cache.invalidate()  # the public views of the item changed
        target = staff.page.url(PATH, fait=action.value, reference=item.reference)
        return web.redirect(staff.page, target, private=True)

    return require_staff(web, endpoint)
