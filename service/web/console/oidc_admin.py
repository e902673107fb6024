"""« Sign-in providers » (administrators): the OpenID providers that serve one's bodies, who
may sign in through them for the first time (pre-authorisations: a person's e-mail, or a
rule on a claim), and the accounts linked to them. Every operation is
``service.staff.oidc_accounts``'s, audited there.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from starlette.responses import Response

from service.errors import DomainError, ValidationFailed
from service.inputs import id_number
from service.staff import accounts, oidc_accounts
from service.staff.models import Role, StaffOidcLink, StaffUser
from service.staff.types import ROLE_LABELS
from service.web.console.auth import StaffPage, expired, posted_form, refused, render, require_staff
from service.web.console.oidc import redirect_uri
from service.web.forms import Form, field_errors
from service.web.rendering import Endpoint, Web

PATH = "/console/equipe/connexion"
WITHDRAW = PATH + "/retrait"
UNLINK = PATH + "/dissociation"
ADD, WITHDRAW_PURPOSE, UNLINK_PURPOSE = (
    "console-oidc-preauthorise",
    "console-oidc-withdraw",
    "console-oidc-unlink",
)
FIELDS = {"provider": "provider", "email": "email", "claim": "claim"}


async def _render(
    web: Web,
    staff: StaffPage,
    *,
    status: int = 200,
    form: Form | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    services = web.services
    reference = services.reference
    bodies = accounts.administered_bodies(staff.identity, reference)
    providers = [
        c.provider
        for c in services.oidc_clients.clients.values()
        if set(c.provider.bodies) & bodies
    ]
    async with services.db.reading() as session:
        rules_found = await oidc_accounts.preauthorisations(session, staff.identity, reference)
        statement = (
            select(StaffOidcLink, StaffUser)
            .join(StaffUser, StaffUser.id == StaffOidcLink.staff_id)  # type: ignore[arg-type]
            .where(col(StaffUser.body_code).in_(sorted(bodies)))
            .order_by(col(StaffUser.name))
        )
        links = list((await session.exec(statement)).all())
    page = staff.page
    values: dict[str, Any] = dict(form.as_mapping()) if form else {"role": Role.AGENT.value}
    return render(
        web,
        staff,
        "console/oidc_admin.html",
        status=status,
        nav="providers",
        providers=providers,
        provider_names={
            c.provider.id: c.provider.name for c in services.oidc_clients.clients.values()
        },
        redirect_uris={p.id: redirect_uri(page, p.id) for p in providers},
        body_names={code: reference.bodies[code].name for code in reference.bodies},
        provider_options=[(p.id, p.name) for p in providers],
        body_options=[(b.code, b.name) for b in reference.bodies_in_order() if b.code in bodies],
        role_options=[(r.value, str(page.gettext(ROLE_LABELS[r]))) for r in Role],
        label_of_role=lambda value: page.gettext(ROLE_LABELS[Role(value)]),
        preauthorisations=rules_found,
        links=links,
        values=values,
        errors=errors or {},
        done=staff.request.query_params.get("fait"),
    )


def admin_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        try:
            accounts.administered_bodies(staff.identity, web.services.reference)
        except DomainError as error:
            return refused(web, staff, error)
        return await _render(web, staff)

    return require_staff(web, endpoint)


def preauthorise_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, ADD)
        if form is None:
            return expired(web, staff, PATH)
        services = web.services
        try:
            role = Role(form.get("role"))
        except ValueError:
            role = Role.AGENT
        providers = {k: c.provider for k, c in services.oidc_clients.clients.items()}
        try:
            if form.refused:
                raise ValidationFailed(list(form.refused))
            async with services.db.writing() as session:
                await oidc_accounts.preauthorise(
                    session,
                    staff.identity,
                    services.reference,
                    providers,
                    provider_id=form.get("provider"),
                    body_code=form.get("body"),
                    role=role,
                    email=form.get("email"),
                    claim=form.get("claim"),
                    claim_value=form.get("claim_value"),
                    now=services.clock(),
                )
        except ValidationFailed as failure:
            errors = field_errors(failure.errors, staff.page.translator, FIELDS)
            return await _render(web, staff, status=400, form=form, errors=errors)
        except DomainError as error:
            return refused(web, staff, error)
        return web.redirect(staff.page, staff.page.url(PATH, fait="ajout"), private=True)

    return require_staff(web, endpoint)


def _by_id(web: Web, purpose: str, operation: Any) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, purpose)
        if form is None:
            return expired(web, staff, PATH)
        services = web.services
        try:
            async with services.db.writing() as session:
                await operation(
                    session,
                    staff.identity,
                    services.reference,
                    id_number(form.get("id")),
                    services.clock(),
                )
        except DomainError as error:
            return refused(web, staff, error)
        return web.redirect(staff.page, staff.page.url(PATH, fait="retrait"), private=True)

    return require_staff(web, endpoint)


def withdraw_post(web: Web) -> Endpoint:
    return _by_id(web, WITHDRAW_PURPOSE, oidc_accounts.withdraw)


def unlink_post(web: Web) -> Endpoint:
    return _by_id(web, UNLINK_PURPOSE, oidc_accounts.unlink)
