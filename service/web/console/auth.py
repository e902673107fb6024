"""Signing in and out of the console, and ``require_staff``, the guard of every console route.

The console's session is the API's: the same accounts, ``staff.rules.log_in`` with the same
login throttle (the API's keys, so a guesser gets no second allowance here), the same signed
``alm_staff`` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS). Every request looks the
session up again (``identity_for_session``): a session revoked or an account deactivated
stops at its next click, sent back to the sign-in page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.errors import DomainError, ValidationFailed
from service.staff import rules
from service.staff.rules import SESSION_COOKIE, StaffIdentity
from service.staff.types import ROLE_LABELS
from service.web.console.nav import entries_for
from service.web.forms import Form, field_errors, read_form
from service.web.limits import origin_address
from service.web.rendering import Endpoint, Page, Web

HOME = "/console"
SIGN_IN = "/console/connexion"
SIGN_OUT = "/console/deconnexion"
NEXT = "suite"  # the page to open after signing in (a console path only)
SIGN_IN_PURPOSE = "console-sign-in"
SIGN_OUT_PURPOSE = "console-sign-out"


@dataclass
class StaffPage:
    """A console request: its page (language, CSRF) and who is signed in."""

    page: Page
    identity: StaffIdentity

    @property
    def request(self) -> Request:
        return self.page.request


StaffEndpoint = Callable[[StaffPage], Awaitable[Response]]


async def signed_in(web: Web, request: Request) -> StaffIdentity | None:
    """The staff member of this browser's session, if it still opens anything."""
    caller = await web.services.caller_from_cookie(request.cookies.get(SESSION_COOKIE))
    identity = caller.staff  # read as the API reads it (``Services.caller_from_cookie``)
    # A session opens the console; an access token (for scripts) never does.
    return identity if identity is not None and identity.via == "session" else None


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console page of ours, never another site."""
    if value and value.startswith(HOME) and not value.startswith("//") and "\\" not in value:
        return value
    return HOME


def require_staff(web: Web, endpoint: StaffEndpoint) -> Endpoint:
    """``endpoint`` for signed-in staff only: anyone else is sent to the sign-in page, which
    brings them back here afterwards."""

    async def guarded(request: Request) -> Response:
        page = web.page(request)
        identity = await signed_in(web, request)
        if identity is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if request.method != "GET":
                here = HOME
            target = f"{SIGN_IN}?{urlencode({NEXT: here})}"
            response = RedirectResponse(target, status_code=303, headers=web.headers(page, True))
            page.set_cookies(response)
            return response
        return await endpoint(StaffPage(page, identity))

    return guarded


def render(
    web: Web, staff: StaffPage | Page, template: str, *, status: int = 200, **values: Any
) -> Response:
    """A console page: private (never stored by a cache), with the menu of the signed-in
    staff member's role."""
    if isinstance(staff, StaffPage):
        page, identity = staff.page, staff.identity
    else:
        page, identity = staff, None
    values.setdefault("nav", None)
    return web.render(
        page,
        template,
        status=status,
        private=True,
        me=identity,
        role_label=page.gettext(ROLE_LABELS[identity.role]) if identity else "",
        body_name=web.services.reference.bodies[identity.body_code].name if identity else "",
        menu=entries_for(identity.role) if identity else [],
        **values,
    )


def refused(web: Web, staff: StaffPage, error: DomainError) -> Response:
    """A refusal of the rules as a page: NOT_FOUND is 404 (an item of another body does not
    exist for this one), anything else (FORBIDDEN) 403."""
    status = 404 if error.code.value == "NOT_FOUND" else 403
    message = staff.page.translator.gettext(error.message, **error.params)
    return render(web, staff, "console/refused.html", status=status, message=message)


async def posted_form(web: Web, staff: StaffPage | Page, purpose: str) -> Form | None:
    """The posted form when its CSRF token holds, else None."""
    page = staff.page if isinstance(staff, StaffPage) else staff
    form = await read_form(page.request)
    if form is None or not page.csrf_valid(form.as_mapping(), purpose):
        return None
    return form


def expired(web: Web, staff: StaffPage | Page, back: str) -> Response:
    return render(web, staff, "console/expired.html", status=403, back=back)


def sign_in_page(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        if await signed_in(web, request) is not None:
            return web.redirect(page, safe_next(request.query_params.get(NEXT)), private=True)
        signed_out = request.query_params.get("fait") == "deconnexion"
        return render(
            web,
            page,
            "console/sign_in.html",
            values={NEXT: safe_next(request.query_params.get(NEXT))},
            signed_out=signed_out,
            **providers_offered(web, request.query_params.get("corps", "")),
        )

    return endpoint


def providers_offered(web: Web, body: str) -> dict[str, Any]:
    """The sign-in page's choice of organisation: the bodies some provider serves, and the
    providers of the body chosen (``?corps=``)."""
    clients = web.services.oidc_clients
    bodies = web.services.reference.bodies
    served = sorted(
        {code for c in clients.clients.values() for code in c.provider.bodies if code in bodies},
        key=lambda code: bodies[code].name,
    )
    return {
        "provider_bodies": [(code, bodies[code].name) for code in served],
        "chosen_body": body if body in served else "",
        "providers": clients.for_body(body) if body in served else [],
    }


def sign_in_post(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        form = await posted_form(web, page, SIGN_IN_PURPOSE)
        if form is None:
            return expired(web, page, SIGN_IN)
        services = web.services
        email, password = form.get("email"), form.get("password")
        origin_key, account_key = rules.login_keys(
            services.secret_keys[-1], origin_address(request), email
        )
        try:
            async with services.db.writing() as session:
                user = await rules.check_password(
                    session,
                    services.login_throttle,
                    email=email,
                    password=password,
                    origin_key=origin_key,
                    account_key=account_key,
                )
                step = await rules.second_factor_step(session, user)
                if step is None:
                    services.login_throttle.succeeded(account_key, origin_key)
                    token = rules.open_session(session, user, services.clock())
        except (DomainError, ValidationFailed) as refusal:
            found = refusal.errors if isinstance(refusal, ValidationFailed) else [refusal]
            errors = field_errors(found, page.translator, {"password": "password"})
            return render(
                web,
                page,
                "console/sign_in.html",
                status=400,
                values={"email": email, NEXT: safe_next(form.get(NEXT))},
                errors=errors,
                signed_out=False,
                **providers_offered(web, ""),
            )
        if step is not None:  # the password was right: the second factor's page next
            assert user.id is not None
            return second_factor_pending(web, page, user.id, step, safe_next(form.get(NEXT)))
        response = web.redirect(page, safe_next(form.get(NEXT)), private=True)
        set_session_cookie(web, page, response, token)
        return response

    return endpoint


PENDING_COOKIE = "alm_2fa"
PENDING_PATH = "/console/connexion"
PENDING_SECONDS = 300
CODE_PAGE = "/console/connexion/code"
ENROL_PAGE = "/console/connexion/facteur"


def pending_tokens(web: Web) -> URLSafeTimedSerializer:
    """Signs the cookie of a sign-in whose password was right and whose second factor is
    still to come: 5 minutes, for that account only."""
    return URLSafeTimedSerializer(list(web.services.secret_keys), salt="console-second-factor")


def second_factor_pending(web: Web, page: Page, staff_id: int, step: str, after: str) -> Response:
    target = CODE_PAGE if step == "verify" else ENROL_PAGE
    response = web.redirect(page, page.url(target), private=True)
    response.set_cookie(
        PENDING_COOKIE,
        pending_tokens(web).dumps({"staff": staff_id, "step": step, "next": after}),
        max_age=PENDING_SECONDS,
        path=PENDING_PATH,
        httponly=True,
        samesite="lax",
        secure=page.secure_cookies,
    )
    return response


def pending_sign_in(web: Web, request: Request, step: str) -> dict[str, Any] | None:
    try:
        pending = pending_tokens(web).loads(
            request.cookies.get(PENDING_COOKIE, ""), max_age=PENDING_SECONDS
        )
    except BadSignature:
        return None
    return pending if isinstance(pending, dict) and pending.get("step") == step else None


def set_session_cookie(web: Web, page: Page, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        web.services.session_cookies.sign(token).decode(),
        max_age=int(rules.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=page.secure_cookies,
        path="/",
    )


def sign_out_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, SIGN_OUT_PURPOSE)
        if form is None:
            return expired(web, staff, HOME)
        services = web.services
        async with services.db.writing() as session:
            await rules.log_out(session, staff.identity, services.clock())
        page = staff.page
        response = web.redirect(page, page.url(SIGN_IN, fait="deconnexion"), private=True)
        response.delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=page.secure_cookies
        )
        return response

    return require_staff(web, endpoint)
