"""Follow my item (``/suivi``) without an account: by the tracking link (``?jeton=``) or by
reference and short code; the confirmation after a submission (``/suivi/confirmation``);
and what the token allows: add information, say whether it is fixed (and reopen it), download
or erase one's data, withdraw consent.

Every action opens the item with ``TrackingTokens.item_for`` and calls the rules the
GraphQL resolvers call (``tracking.rules``, ``privacy.rights``, ``privacy.rules``). The token
travels in query strings and posted forms only, never in a path; every page that holds it is
sent with ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from service.errors import N_, DomainError, ValidationFailed
from service.inputs import number
from service.items import rules as items
from service.items.lifecycle import KIND_LABELS, Status
from service.items.models import EventKind, Item, ItemKind, LocationPrecision, location_precision
from service.items.types import HistoryEntry, status_label
from service.photos.models import PhotoStatus
from service.photos.rules import photo_path
from service.photos.types import STATUS_LABELS as PHOTO_STATUS_LABELS
from service.privacy import rights
from service.privacy import rules as privacy
from service.privacy.models import ConsentPurpose
from service.service_requests import rules as service_requests
from service.tracking import rules as tracking
from service.web import help_pages, qr
from service.web.follow_reads import FollowRows, read_followed
from service.web.forms import Form, choice_required, field_errors
from service.web.limits import over_limit
from service.web.rendering import Endpoint, Page, Web
from service.web.residents import posted

TOKEN = "jeton"  # the query-string and form name of the tracking token
# What each line of the history says happened, for the resident.
EVENT_LABELS = {
    EventKind.CREATED: N_("Received"),
    EventKind.STATUS_CHANGED: N_("Status changed"),
    EventKind.PUBLIC_ANSWER: N_("Answer from the handling body"),
    EventKind.REROUTED: N_("Sent to another department"),
    EventKind.MERGED: N_("Merged with another item"),
    EventKind.INFORMATION_ADDED: N_("Information you added"),
    EventKind.FEEDBACK: N_("Your opinion"),
    EventKind.MODERATED: N_("Moderation changed what the public reads of your text"),
}
# What was just done, shown once after the redirect (``?fait=``).
DONE = {
    "information": N_("Your information was added."),
    "avis": N_("Thank you: your opinion was recorded."),
    "consentement": N_("Your consent was withdrawn."),
    "effacement": N_("Your data was erased. The report stays, without anything about you."),
}
PURPOSE_TITLES = rights.PURPOSE_TITLES


@dataclass(frozen=True)
class HistoryLine:
    label: str
    entry: HistoryEntry


@dataclass(frozen=True)
class Followed:
    """The resident's own view of their item, as the page shows it."""

    item: Item
    token: str
    kind: str
    subject: str
    commune: str
    status: str
    created: str
    at_commune_only: bool
    history: list[HistoryLine]
    answers: list[tuple[str, str]]
    consents: list[tuple[str, str]]
    can_give_feedback: bool
    can_reopen: bool


def token_of(request: Request, form: Form | None = None) -> str:
    return (form.get(TOKEN) if form else request.query_params.get(TOKEN, "")).strip()


async def subject_and_answers(
    web: Web, page: Page, session: AsyncSession, item: Item
) -> tuple[str, list[tuple[str, str]]]:
    """What the item is about (its category or service) and, for a service request, the
    answers given, labelled in the reader's language."""
    reference = web.services.reference
    if item.kind != ItemKind.SERVICE_REQUEST.value:
        category = reference.categories.get(item.category_code or "")
        return (str(page.gettext(category.label)) if category else ""), []
    assert item.id is not None
    detail = (await service_requests.details_of(session, [item.id])).get(item.id)
    service = reference.services.services.get(detail.service_code) if detail else None
    if detail is None or service is None:
        return "", []
    gettext = page.translator.gettext
    shown = [
        (gettext(given.question.label), ", ".join(given.labels(gettext)))
        for given in service_requests.given_answers(service, detail, public=False)
    ]
    return gettext(service.label), shown


async def followed(web: Web, page: Page, session: AsyncSession, rows: FollowRows) -> Followed:
    item = rows.item
    subject, answers = await subject_and_answers(web, page, session, item)
    now = web.services.clock()
    return Followed(
        item=item,
        token=web.services.tracking_tokens.issue(item),
        kind=str(page.gettext(KIND_LABELS[ItemKind(item.kind)])),
        subject=subject,
        commune=web.services.reference.communes[item.commune_code].name,
        status=status_label(Status(item.status), page.translator),
        created=page.datetime(items.as_utc(item.created_at)),
        at_commune_only=location_precision(item) is LocationPrecision.COMMUNE,
        history=[
            HistoryLine(
                str(page.gettext(EVENT_LABELS.get(EventKind(e.kind), N_("Status changed")))),
                HistoryEntry.from_row(e, page.translator, public=False),
            )
            for e in rows.events
        ],
        answers=answers,
        consents=[
            (p.value, str(page.gettext(PURPOSE_TITLES[p.value])))
            for p in sorted(rows.consents, key=lambda p: p.value)
        ],
        can_give_feedback=tracking.may_give_feedback(item),
        can_reopen=tracking.may_reopen(item, now),
    )


async def open_item(web: Web, token: str) -> Item:
    """The token's item, or the DomainError saying why it opens nothing."""
    services = web.services
    async with services.db.reading() as session:
        return await services.tracking_tokens.item_for(session, token, services.clock())


def render_start(
    web: Web, page: Page, *, form: Form | None = None, errors: dict[str, str], status: int = 200
) -> Response:
    values = dict(form.as_mapping()) if form else {}
    return web.render(
        page,
        "residents/follow_start.html",
        status=status,
        private=True,
        nav=None,
        values=values,
        errors=errors,
    )


async def render_followed(
    web: Web,
    page: Page,
    token: str,
    *,
    form: Form | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The follow page, or the start page with the reason when the token opens nothing; after
    a refused action, with what the resident had typed and ticked."""
    services = web.services
    async with services.db.reading() as session:  # one session: the item and its page
        try:
            rows = await read_followed(session, services.tracking_tokens, token, services.clock())
        except DomainError as error:
            return render_start(web, page, errors=shown(page, [error]), status=404)
        view = await followed(web, page, session, rows)
    done = DONE.get(page.request.query_params.get("fait", ""))
    return web.render(
        page,
        "residents/follow.html",
        status=status,
        private=True,
        nav=None,
        view=view,
        photos=[
            {
                "status": page.gettext(PHOTO_STATUS_LABELS[PhotoStatus(photo.status)]),
                "reason": photo.hidden_reason,
                "thumbnail": photo_path(photo, small=True, staff=False)
                if photo.status == PhotoStatus.APPROVED.value
                else None,
            }
            for photo in rows.photos
        ],
        done=page.gettext(done) if done else None,
        help_places=await help_pages.open_now(web, page, rows.item.commune_code),
        errors=errors or {},
        values={**form.as_mapping(), "purpose": form.all("purpose")} if form else {},
    )


def follow_page(web: Web) -> Endpoint:
    """``/suivi?jeton=…`` shows the item; ``/suivi`` alone asks for the reference and code."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        token = token_of(request)
        if not token:
            return render_start(web, page, errors={})
        if limited := over_limit(web, request, submission=False):
            return render_start(web, page, errors=shown(page, [limited]), status=429)
        return await render_followed(web, page, token)

    return endpoint


def shown(page: Page, errors: list[DomainError]) -> dict[str, str]:
    return field_errors(errors, page.translator, {"reference": "reference", "token": "code"})


def follow_by_code(web: Web) -> Endpoint:
    """The reference and short code an agent gave (``trackedByCode``): then the tracking link."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        form = await posted(web, request, page, "follow", back="/suivi")
        if isinstance(form, Response):
            return form
        if form.refused:
            refused = shown(page, [*form.refused])
            return render_start(web, page, form=form, errors=refused, status=400)
        if limited := over_limit(web, request, submission=False):
            return render_start(web, page, form=form, errors=shown(page, [limited]), status=429)
        services = web.services
        try:
            async with services.db.reading() as session:
                item = await services.tracking_tokens.item_for_code(
                    session, form.get("reference"), form.get("code"), services.clock()
                )
        except DomainError as error:
            return render_start(web, page, form=form, errors=shown(page, [error]), status=400)
        token = services.tracking_tokens.issue(item)
        return web.redirect(page, page.url("/suivi", jeton=token), private=True)

    return endpoint


def confirmation_page(web: Web) -> Endpoint:
    """After a submission: the reference, the tracking link and its QR code, the short code."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        try:
            item = await open_item(web, token_of(request))
        except DomainError as error:
            return render_start(web, page, errors=shown(page, [error]), status=404)
        tokens = web.services.tracking_tokens
        link = page.absolute(f"/suivi?{TOKEN}={tokens.issue(item)}")
        return web.render(
            page,
            "residents/confirmation.html",
            private=True,
            nav=None,
            errors={},
            item=item,
            kind=page.gettext(KIND_LABELS[ItemKind(item.kind)]),
            link=link,
            follow_url=page.url("/suivi", jeton=tokens.issue(item)),
            qr_code=qr.svg(link, str(page.gettext("QR code of the tracking link"))),
            short_code=tokens.short_code(item),
            help_places=await help_pages.open_now(web, page, item.commune_code),
        )

    return endpoint


Change = Callable[[AsyncSession, Item, datetime], Awaitable[Any] | None]


async def change_item(web: Web, token: str, change: Change) -> Item:
    """Open the token's item in a write transaction and apply ``change`` (the rules')."""
    services = web.services
    now = services.clock()
    async with services.db.writing() as session:
        item = await services.tracking_tokens.item_for(session, token, now)
        result = change(session, item, now)
        if result is not None:
            await result
    services.response_cache.invalidate()
    return item


def tracked_action(
    web: Web,
    purpose: str,
    done: str,
    prepare: Callable[[Form], tuple[list[DomainError], Change | None]],
    fields: dict[str, str],
) -> Endpoint:
    """A form of the follow page: check it, apply the change, back to the page with a notice;
    a refusal shows the page again with the errors beside their fields."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        form = await posted(web, request, page, purpose, back="/suivi")
        if isinstance(form, Response):
            return form
        token = token_of(request, form)
        errors, change = prepare(form)
        errors = [*form.refused, *errors]
        if not errors and (limited := over_limit(web, request, submission=False)):
            errors = [limited]
        if not errors and change is not None:
            try:
                await change_item(web, token, change)
            except ValidationFailed as failed:
                errors = failed.errors
            except DomainError as error:
                errors = [error]
        if errors:
            refused = field_errors(errors, page.translator, fields)
            return await render_followed(web, page, token, form=form, errors=refused, status=400)
        return web.redirect(page, page.url("/suivi", jeton=token, fait=done), private=True)

    return endpoint


def add_information(web: Web) -> Endpoint:
    def prepare(form: Form) -> tuple[list[DomainError], Change | None]:
        text = form.get("information")
        return [], lambda session, item, now: tracking.add_information(session, item, text, now)

    return tracked_action(web, "information", "information", prepare, {"text": "information"})


def give_feedback(web: Web) -> Endpoint:
    def prepare(form: Form) -> tuple[list[DomainError], Change | None]:
        fixed = form.get("fixed")
        errors: list[DomainError] = [] if fixed in ("yes", "no") else [choice_required("fixed")]
        comment = form.get("comment") or None
        raw_rating = form.get("satisfaction")
        # Not a number is refused as the API's Int type would, with the rules' message.
        rating = number(raw_rating) if raw_rating else None
        if raw_rating and rating is None:
            errors.append(tracking.invalid_rating())

        def change(session: AsyncSession, item: Item, now: datetime) -> None:
            tracking.give_feedback(
                session,
                item,
                fixed=fixed == "yes",
                rating=rating,
                comment=comment,
                reopen=bool(form.get("reopen")),
                now=now,
            )

        return errors, change

    fields = {"fixed": "fixed", "satisfaction": "satisfaction", "comment": "comment"}
    return tracked_action(web, "feedback", "avis", prepare, {**fields, "reopen": "reopen"})


def withdraw_consent(web: Web) -> Endpoint:
    def prepare(form: Form) -> tuple[list[DomainError], Change | None]:
        known = {p.value: p for p in ConsentPurpose}
        chosen = [known[v] for v in form.all("purpose") if v in known]
        if not chosen:
            return [choice_required("purpose")], None

        async def change(session: AsyncSession, item: Item, now: datetime) -> None:
            assert item.id is not None
            await privacy.withdraw_consents(session, item.id, chosen, now)

        return [], change

    return tracked_action(web, "consent", "consentement", prepare, {"purpose": "purpose"})


def erase_data(web: Web) -> Endpoint:
    """Erasure is asked for twice: the first post shows what will go, the second erases."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        form = await posted(web, request, page, "erase", back="/suivi")
        if isinstance(form, Response):
            return form
        token = token_of(request, form)
        if form.refused:
            return render_start(web, page, errors=shown(page, [*form.refused]), status=400)
        if not form.get("confirm"):
            try:
                item = await open_item(web, token)
            except DomainError as error:
                return render_start(web, page, errors=shown(page, [error]), status=404)
            return web.render(
                page,
                "residents/erase.html",
                private=True,
                nav=None,
                errors={},
                token=token,
                reference=item.reference,
            )
        if limited := over_limit(web, request, submission=False):
            return render_start(web, page, errors=shown(page, [limited]), status=429)
        try:
            await change_item(
                web,
                token,
                functools.partial(rights.erase_my_data, photos=web.services.photo_store),
            )
        except DomainError as error:
            return render_start(web, page, errors=shown(page, [error]), status=404)
        return web.redirect(page, page.url("/suivi", jeton=token, fait="effacement"), private=True)

    return endpoint


def export_data(web: Web) -> Endpoint:
    """A copy of everything held (``myDataExport``): a JSON file to keep, with its summary."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        form = await posted(web, request, page, "export", back="/suivi")
        if isinstance(form, Response):
            return form
        if form.refused:
            return render_start(web, page, errors=shown(page, [*form.refused]), status=400)
        if limited := over_limit(web, request, submission=False):
            return render_start(web, page, errors=shown(page, [limited]), status=429)
        services = web.services
        now = services.clock()
        try:
            async with services.db.writing() as session:
                item = await services.tracking_tokens.item_for(
                    session, token_of(request, form), now
                )
                document = await rights.export_my_data(
                    session, item, services.contact_cipher, services.retention_periods, now
                )
        except DomainError as error:
            return render_start(web, page, errors=shown(page, [error]), status=404)
        document["summary"] = rights.export_summary(document, page.translator)
        body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        headers = web.headers(page, private=True)
        headers["Content-Disposition"] = f'attachment; filename="{item.reference}.json"'
        return Response(body, media_type="application/json; charset=utf-8", headers=headers)

    return endpoint
