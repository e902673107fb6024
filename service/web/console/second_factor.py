"""The console's pages of the second factor (service.staff.second_factor).

- ``/console/connexion/code``: after a right password, the code of the authenticator app (or
  a recovery code); the login throttle counts wrong codes as it counts wrong passwords.
- ``/console/connexion/facteur``: after a right password, when the body requires a second
  factor and the account has none yet: enrol, then the session opens.
- ``/console/securite``: a signed-in member sets up (or replaces) their second factor; an
  administrator chooses whether their bodies require one.

The secret being enrolled travels in the form, signed (15 minutes, for that account): it is
on the member's screen anyway, and nothing is stored until a right code proves the app has it.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from service.errors import DomainError
from service.staff import rules, second_factor
from service.staff.accounts import administered_bodies
from service.staff.models import BodySignInPolicy, Role, StaffUser
from service.staff.permissions import forbidden
from service.staff.rules import login_keys
from service.web.console.auth import (
    ENROL_PAGE,
    PENDING_COOKIE,
    PENDING_PATH,
    SIGN_IN,
    StaffPage,
    expired,
    pending_sign_in,
    posted_form,
    refused,
    render,
    require_staff,
    set_session_cookie,
)
from service.web.forms import field_errors
from service.web.limits import origin_address
from service.web.rendering import Endpoint, Page, Web

SECURITY = "/console/securite"
POLICY = "/console/securite/politique"
CODE_PURPOSE = "console-second-factor"
ENROL_PURPOSE = "console-second-factor-enrol"
POLICY_PURPOSE = "console-sign-in-policy"
ENROLMENT_SECONDS = 900


def _enrolments(web: Web) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(list(web.services.secret_keys), salt="second-factor-enrolment")


def _enrolment_values(web: Web, user: StaffUser) -> dict[str, Any]:
    secret = second_factor.new_secret()
    return {
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "uri": second_factor.provisioning_uri(secret, user.email),
        "enrolment": _enrolments(web).dumps({"staff": user.id, "secret": secret}),
    }


def _enrolled_secret(web: Web, token: str, staff_id: int) -> str | None:
    try:
        held = _enrolments(web).loads(token, max_age=ENROLMENT_SECONDS)
    except BadSignature:
        return None
    if not isinstance(held, dict) or held.get("staff") != staff_id:
        return None
    secret = held.get("secret")
    return secret if isinstance(secret, str) else None


def _signed_in_now(web: Web, page: Page, response: Response, token: str) -> Response:
    set_session_cookie(web, page, response, token)
    response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH, httponly=True, samesite="lax")
    return response


async def _pending_user(web: Web, request: Request, step: str) -> tuple[StaffUser, str] | None:
    pending = pending_sign_in(web, request, step)
    if pending is None:
        return None
    async with web.services.db.reading() as session:
        user = await session.get(StaffUser, pending["staff"])
    if user is None or not user.active:
        return None
    return user, str(pending["next"])


def code_page(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        if await _pending_user(web, request, "verify") is None:
            return web.redirect(page, page.url(SIGN_IN), private=True)
        return render(web, page, "console/second_factor_code.html", errors={})

    return endpoint


def code_post(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        form = await posted_form(web, page, CODE_PURPOSE)
        pending = await _pending_user(web, request, "verify")
        if form is None or pending is None:
            return expired(web, page, SIGN_IN)
        user, after = pending
        services = web.services
        throttle = services.login_throttle
        origin_key, account_key = login_keys(
            services.secret_keys[-1], origin_address(request), user.email
        )
        refusal = None
        if throttle.blocked(account_key, origin_key):
            refusal = rules.too_many_attempts()
        else:
            async with services.db.writing() as session:
                now = services.clock()
                if await second_factor.verify(
                    session, services.contact_cipher, user, form.get("code"), now
                ):
                    throttle.succeeded(account_key, origin_key)
                    token = rules.open_session(session, user, now)
                else:
                    throttle.failed(account_key, origin_key)
                    refusal = second_factor.invalid_code()
        if refusal is not None:
            refusal.field = "code"
            errors = field_errors([refusal], page.translator, {"code": "code"})
            return render(web, page, "console/second_factor_code.html", status=400, errors=errors)
        return _signed_in_now(web, page, web.redirect(page, after, private=True), token)

    return endpoint


def enrol_page(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        pending = await _pending_user(web, request, "enrol")
        if pending is None:
            return web.redirect(page, page.url(SIGN_IN), private=True)
        return render(
            web,
            page,
            "console/second_factor_enrol.html",
            errors={},
            action=ENROL_PAGE,
            required=True,
            **_enrolment_values(web, pending[0]),
        )

    return endpoint


def enrol_post(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        form = await posted_form(web, page, ENROL_PURPOSE)
        pending = await _pending_user(web, request, "enrol")
        if form is None or pending is None:
            return expired(web, page, SIGN_IN)
        user, after = pending
        response = await _enrol(web, page, user, form.get("enrolment"), form.get("code"))
        if isinstance(response, Response):
            return response
        codes, token = response
        shown = render(web, page, "console/recovery_codes.html", codes=codes, after=after)
        return _signed_in_now(web, page, shown, token or "")

    return endpoint


async def _enrol(
    web: Web, page: Page | StaffPage, user: StaffUser, enrolment: str, code: str
) -> Response | tuple[list[str], str | None]:
    """Enrol the signed secret; returns the recovery codes (and a new session's token when
    signing in), or the enrolment page again with the refusal."""
    services = web.services
    assert user.id is not None
    secret = _enrolled_secret(web, enrolment, user.id)
    plain = page.page if isinstance(page, StaffPage) else page
    if secret is None:
        return expired(web, page, SECURITY if isinstance(page, StaffPage) else SIGN_IN)
    try:
        async with services.db.writing() as session:
            now = services.clock()
            attached = await session.get(StaffUser, user.id)
            assert attached is not None
            codes = await second_factor.enrol(
                session, services.contact_cipher, attached, secret, code, now
            )
            token = (
                None if isinstance(page, StaffPage) else rules.open_session(session, attached, now)
            )
    except DomainError as refusal:
        errors = field_errors([refusal], plain.translator, {"code": "code"})
        return render(
            web,
            page,
            "console/second_factor_enrol.html",
            status=400,
            errors=errors,
            action=SECURITY if isinstance(page, StaffPage) else ENROL_PAGE,
            required=not isinstance(page, StaffPage),
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            uri=second_factor.provisioning_uri(secret, user.email),
            enrolment=enrolment,
        )
    return codes, token


async def _security_values(web: Web, staff: StaffPage) -> dict[str, Any]:
    services = web.services
    identity = staff.identity
    async with services.db.reading() as session:
        user = await session.get(StaffUser, identity.staff_id)
        assert user is not None
        factor = await second_factor.factor_of(session, identity.staff_id)
        left = await second_factor.recovery_codes_left(session, identity.staff_id)
        policies: list[tuple[str, str, bool]] = []
        if identity.role is Role.ADMIN:
            bodies = administered_bodies(identity, services.reference)
            for code in sorted(bodies, key=lambda c: services.reference.bodies[c].name):
                policy = await session.get(BodySignInPolicy, code)
                required = policy is not None and policy.second_factor_required
                policies.append((code, services.reference.bodies[code].name, required))
    return {
        "user": user,
        "enrolled": factor is not None,
        "codes_left": left,
        "policies": policies,
        "local_password": user.password_hash.startswith("scrypt$"),
    }


def security_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        values = await _security_values(web, staff)
        return render(
            web,
            staff,
            "console/security.html",
            errors={},
            action=SECURITY,
            required=False,
            **values,
            **_enrolment_values(web, values["user"]),
        )

    return require_staff(web, endpoint)


def security_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, ENROL_PURPOSE)
        if form is None:
            return expired(web, staff, SECURITY)
        values = await _security_values(web, staff)
        result = await _enrol(web, staff, values["user"], form.get("enrolment"), form.get("code"))
        if isinstance(result, Response):
            return result
        return render(web, staff, "console/recovery_codes.html", codes=result[0], after=SECURITY)

    return require_staff(web, endpoint)


def policy_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, POLICY_PURPOSE)
        if form is None:
            return expired(web, staff, SECURITY)
        services = web.services
        identity = staff.identity
        if identity.role is not Role.ADMIN:
            return refused(web, staff, forbidden())
        bodies = administered_bodies(identity, services.reference)
        required = set(form.all("required")) & bodies
        async with services.db.writing() as session:
            now = services.clock()
            for code in sorted(bodies):
                policy = await session.get(BodySignInPolicy, code)
                was = policy is not None and policy.second_factor_required
                if was != (code in required):
                    await second_factor.set_required(
                        session, code, code in required, identity.staff_id, now
                    )
        return web.redirect(staff.page, staff.page.url(SECURITY), private=True)

    return require_staff(web, endpoint)
