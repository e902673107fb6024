"""« My access tokens »: create one (its secret shown this once), list them, revoke one —
with the same rules as ``staffAccessTokenCreate`` and ``staffAccessTokenRevoke``; and « My
e-mail digest », turned on or off for oneself only (``meMailDigestSet``)."""

from __future__ import annotations

from starlette.responses import Response

from service.errors import N_, DomainError, ValidationFailed
from service.inputs import id_number
from service.items.rules import as_utc
from service.mail import staff_digest
from service.staff import rules
from service.staff.models import StaffUser
from service.web.console.auth import StaffPage, expired, posted_form, render, require_staff
from service.web.forms import Form, field_errors
from service.web.rendering import Endpoint, Web

PATH = "/console/jetons"
DIGEST_PATH = PATH + "/resume"
CREATE, REVOKE = "console-token-create", "console-token-revoke"
DIGEST = "console-mail-digest"
FIELDS = {"name": "name", "scopes": "scopes"}
SCOPE_LABELS = {
    "items:read": N_("items:read – read the queue and the items of my bodies"),
    "items:write": N_("items:write – act on them (acknowledge, answer, assign...)"),
    "staff:read": N_("staff:read – read the audit log (administrators)"),
    "staff:write": N_("staff:write – manage the staff accounts of my bodies (administrators)"),
}


async def _render(
    web: Web,
    staff: StaffPage,
    *,
    status: int = 200,
    form: Form | None = None,
    errors: dict[str, str] | None = None,
    secret: str | None = None,
) -> Response:
    async with web.services.db.reading() as session:
        tokens = await rules.access_tokens_of(session, staff.identity.staff_id)
        account = await session.get(StaffUser, staff.identity.staff_id)
    return render(
        web,
        staff,
        "console/tokens.html",
        status=status,
        nav="tokens",
        tokens=tokens,
        scopes_labelled=[
            (scope, staff.page.gettext(SCOPE_LABELS[scope])) for scope in sorted(rules.TOKEN_SCOPES)
        ],
        as_utc=as_utc,
        chosen=form.all("scopes") if form else [],
        values=dict(form.as_mapping()) if form else {},
        errors=errors or {},
        secret=secret,
        revoked=staff.request.query_params.get("fait") == "revocation",
        digest=bool(account and account.mail_digest),
        digest_saved=staff.request.query_params.get("fait") == "resume",
    )


def tokens_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        return await _render(web, staff)

    return require_staff(web, endpoint)


def create_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, CREATE)
        if form is None:
            return expired(web, staff, PATH)
        services = web.services
        try:
            async with services.db.writing() as session:
                _, secret = await rules.create_access_token(
                    session,
                    staff.identity.staff_id,
                    form.get("name"),
                    form.all("scopes"),
                    services.clock(),
                )
        except ValidationFailed as failed:
            errors = field_errors(failed.errors, staff.page.translator, FIELDS)
            return await _render(web, staff, status=400, form=form, errors=errors)
        # The secret is shown in this answer only (never in a URL, never stored in clear).
        return await _render(web, staff, secret=secret)

    return require_staff(web, endpoint)


def revoke_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, REVOKE)
        if form is None:
            return expired(web, staff, PATH)
        services = web.services
        token_id = id_number(form.get("id"))
        try:
            async with services.db.writing() as session:
                await rules.revoke_access_token(
                    session, staff.identity.staff_id, token_id, services.clock()
                )
        except DomainError as error:
            errors = {"": staff.page.translator.gettext(error.message, **error.params)}
            return await _render(web, staff, status=404, errors=errors)
        return web.redirect(staff.page, staff.page.url(PATH, fait="revocation"), private=True)

    return require_staff(web, endpoint)


def digest_post(web: Web) -> Endpoint:
    """« My e-mail digest »: the signed-in agent's own setting, nobody else's."""

    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, DIGEST)
        if form is None:
            return expired(web, staff, PATH)
        try:
            async with web.services.db.writing() as session:
                await staff_digest.set_digest(
                    session, staff.identity.staff_id, form.get("digest") == "on"
                )
        except DomainError as error:
            errors = {"": staff.page.translator.gettext(error.message, **error.params)}
            return await _render(web, staff, status=403, errors=errors)
        return web.redirect(staff.page, staff.page.url(PATH, fait="resume"), private=True)

    return require_staff(web, endpoint)
