"""« Staff accounts » (administrators): the accounts of the bodies one administers, invite a
member, change a role, reset a password, deactivate — and the page where a member sets their
password from the link. Every operation is ``service.staff.accounts``'s, as the mutations'.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from service.errors import DomainError, ValidationFailed
from service.inputs import id_number
from service.items.rules import as_utc
from service.reference import ReferenceData
from service.staff import accounts
from service.staff.models import Role, StaffUser
from service.staff.rules import StaffIdentity
from service.staff.types import ROLE_LABELS
from service.web.console.auth import (
    SIGN_IN,
    StaffPage,
    expired,
    posted_form,
    refused,
    render,
    require_staff,
)
from service.web.forms import Form, field_errors
from service.web.rendering import Endpoint, Page, Web

PATH = "/console/equipe"
ROLE_PATH = PATH + "/role"
DEACTIVATE_PATH = PATH + "/desactivation"
RESET_PATH = PATH + "/reinitialisation"
INVITE, ROLE, DEACTIVATE, RESET = (
    "console-staff-invite",
    "console-staff-role",
    "console-staff-deactivate",
    "console-staff-reset",
)
SET_PASSWORD = "console-set-password"
PASSWORD_FIELDS = {"password": "password", "confirmation": "confirmation"}
FIELDS = {"email": "email", "name": "name", "bodyCode": "body", "password": "password"}


def _role_options(page: Page) -> list[tuple[str, str]]:
    return [(role.value, str(page.gettext(ROLE_LABELS[role]))) for role in Role]


async def _render(
    web: Web,
    staff: StaffPage,
    *,
    status: int = 200,
    form: Form | None = None,
    errors: dict[str, str] | None = None,
    invitation: accounts.Invitation | None = None,
    done: str | None = None,
) -> Response:
    # Shown to administrators only: the callers checked it (the page, or the operation).
    bodies = accounts.administered_bodies(staff.identity, web.services.reference)
    async with web.services.db.reading() as session:
        members = await accounts.staff_directory(session, bodies, include_inactive=True)
    reference = web.services.reference
    body_options = [(b.code, b.name) for b in reference.bodies_in_order() if b.code in bodies]
    link = None
    if invitation is not None:
        link = staff.page.absolute(
            f"{accounts.INVITATION_PATH}?{urlencode({'token': invitation.token})}"
        )
    return render(
        web,
        staff,
        "console/staff_accounts.html",
        status=status,
        nav="staff",
        members=members,
        body_names={code: reference.bodies[code].name for code in bodies},
        body_options=body_options,
        role_options=_role_options(staff.page),
        label_of_role=lambda value: staff.page.gettext(ROLE_LABELS[Role(value)]),
        as_utc=as_utc,
        values=dict(form.as_mapping()) if form else {"role": Role.AGENT.value},
        errors=errors or {},
        invitation=invitation,
        link=link,
        done=done or staff.request.query_params.get("fait"),
    )


def accounts_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        try:
            accounts.administered_bodies(staff.identity, web.services.reference)
        except DomainError as error:
            return refused(web, staff, error)
        return await _render(web, staff)

    return require_staff(web, endpoint)


def invite_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, INVITE)
        if form is None:
            return expired(web, staff, PATH)
        services = web.services
        try:
            role = Role(form.get("role"))
        except ValueError:
            role = Role.AGENT
        try:
            if form.refused:
                raise ValidationFailed(list(form.refused))
            async with services.db.writing() as session:
                invitation = await accounts.invite(
                    session,
                    staff.identity,
                    services.reference,
                    email=form.get("email"),
                    name=form.get("name"),
                    body_code=form.get("body"),
                    role=role,
                    now=services.clock(),
                )
        except ValidationFailed as failed:
            errors = field_errors(failed.errors, staff.page.translator, FIELDS)
            return await _render(web, staff, status=400, form=form, errors=errors)
        except DomainError as error:
            if error.code.value in ("FORBIDDEN", "NOT_AUTHENTICATED"):
                return refused(web, staff, error)
            errors = field_errors([error], staff.page.translator, FIELDS)
            return await _render(web, staff, status=400, form=form, errors=errors)
        # The link is shown in this answer only (never in a redirect's URL, never stored).
        return await _render(web, staff, invitation=invitation, done="invitation")

    return require_staff(web, endpoint)


Operation = Callable[
    [AsyncSession, StaffIdentity, ReferenceData, int], Awaitable[StaffUser | accounts.Invitation]
]


def _member_post(web: Web, purpose: str, done: str, operation: Operation) -> Endpoint:
    """A form on one member's row: the operation, then the page (with a link for a reset)."""

    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, purpose)
        if form is None:
            return expired(web, staff, PATH)
        services = web.services
        try:
            async with services.db.writing() as session:
                outcome = await operation(
                    session, staff.identity, services.reference, id_number(form.get("id"))
                )
        except DomainError as error:
            if error.code.value in ("FORBIDDEN", "NOT_FOUND", "NOT_AUTHENTICATED"):
                return refused(web, staff, error)
            errors = {"": staff.page.translator.gettext(error.message, **error.params)}
            return await _render(web, staff, status=400, errors=errors)
        if isinstance(outcome, accounts.Invitation):
            return await _render(web, staff, invitation=outcome, done=done)
        return web.redirect(staff.page, staff.page.url(PATH, fait=done), private=True)

    return require_staff(web, endpoint)


def role_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, ROLE)
        if form is None:
            return expired(web, staff, PATH)
        services = web.services
        try:
            role = Role(form.get("role"))
            async with services.db.writing() as session:
                await accounts.change_role(
                    session,
                    staff.identity,
                    services.reference,
                    id_number(form.get("id")),
                    role,
                    services.clock(),
                )
        except ValueError:
            return expired(web, staff, PATH)
        except DomainError as error:
            if error.code.value in ("FORBIDDEN", "NOT_FOUND", "NOT_AUTHENTICATED"):
                return refused(web, staff, error)
            errors = {"": staff.page.translator.gettext(error.message, **error.params)}
            return await _render(web, staff, status=400, errors=errors)
        return web.redirect(staff.page, staff.page.url(PATH, fait="role"), private=True)

    return require_staff(web, endpoint)


def deactivate_post(web: Web) -> Endpoint:
    clock = web.services.clock
    return _member_post(
        web,
        DEACTIVATE,
        "desactivation",
        lambda s, who, ref, staff_id: accounts.deactivate(s, who, ref, staff_id, clock()),
    )


def reset_post(web: Web) -> Endpoint:
    clock = web.services.clock
    return _member_post(
        web,
        RESET,
        "reinitialisation",
        lambda s, who, ref, staff_id: accounts.reset_password(s, who, ref, staff_id, clock()),
    )


def _invitation_render(
    web: Web,
    page: Page,
    token: str,
    *,
    status: int = 200,
    member: StaffUser | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        web,
        page,
        "console/set_password.html",
        status=status,
        token=token,
        member=member,
        errors=errors or {},
        minimum=accounts.MIN_PASSWORD_LENGTH,
    )


def invitation_page(web: Web) -> Endpoint:
    """The link's page (no sign-in): who it is for, and the password form; or why not."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        token = request.query_params.get("token", "")
        services = web.services
        try:
            async with services.db.reading() as session:
                _, member = await accounts.invitation_member(session, token, services.clock())
        except DomainError as error:
            message = page.translator.gettext(error.message, **error.params)
            return _invitation_render(web, page, "", status=404, errors={"": message})
        return _invitation_render(web, page, token, member=member)

    return endpoint


def invitation_post(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        form = await posted_form(web, page, SET_PASSWORD)
        if form is None:
            return expired(web, page, SIGN_IN)
        token, services = form.get("token"), web.services
        password, confirmation = form.get("password"), form.get("confirmation")
        try:
            async with services.db.reading() as session:
                _, member = await accounts.invitation_member(session, token, services.clock())
            problems = accounts.password_errors(password)
            if password != confirmation:
                problems.append(accounts.passwords_differ())
            if problems:
                errors = field_errors(problems, page.translator, PASSWORD_FIELDS)
                return _invitation_render(
                    web, page, token, status=400, member=member, errors=errors
                )
            async with services.db.writing() as session:
                await accounts.accept_invitation(session, token, password, services.clock())
        except DomainError as error:  # unknown, used, replaced or expired: the same answer
            message = page.translator.gettext(error.message, **error.params)
            return _invitation_render(web, page, "", status=404, errors={"": message})
        return web.redirect(page, page.url(SIGN_IN, fait="mot-de-passe"), private=True)

    return endpoint
