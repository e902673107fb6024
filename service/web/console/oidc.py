"""Signing in to the console through an OpenID provider (service.staff.oidc).

``/console/connexion/oidc/<provider>?corps=<body>`` sends the browser to the provider with a
fresh ``state``, ``nonce`` and PKCE verifier, which it carries back in a signed cookie
(``alm_oidc``: 10 minutes, HttpOnly, SameSite=Lax so that the provider's redirect brings it,
limited to these paths); ``…/retour`` checks them, has the ID token checked, and opens the
same session as a password does (service.staff.oidc_accounts). The cookie is deleted on the
way back, whatever happens: each departure is good for one return.

A link starts the flow, not a form: the console's CSP (``form-action 'self'``) forbids a form
whose answer leads to another site.
"""

from __future__ import annotations

import json
import logging

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.errors import DomainError
from service.staff import oidc_accounts, rules
from service.staff.oidc import OidcClient, OidcFailure
from service.staff.rules import SESSION_COOKIE
from service.web.console.auth import NEXT, SIGN_IN, render, safe_next
from service.web.rendering import Endpoint, Page, Web

logger = logging.getLogger(__name__)
PATH = "/console/connexion/oidc/{provider}"
RETURN = PATH + "/retour"
COOKIE = "alm_oidc"
COOKIE_PATH = "/console/connexion/oidc"
PENDING_SECONDS = 600
BODY = "corps"


def _pending(web: Web) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(list(web.services.secret_keys), salt="console-oidc-pending")


def redirect_uri(page: Page, provider_id: str) -> str:
    """The address to register with the provider (under SERVICE_PUBLIC_URL when set)."""
    return page.absolute(RETURN.format(provider=provider_id))


def _client(web: Web, request: Request) -> OidcClient | None:
    return web.services.oidc_clients.clients.get(request.path_params["provider"])


def _failed(web: Web, page: Page, error: DomainError, status: int = 403) -> Response:
    message = page.translator.gettext(error.message, **error.params)
    response = render(web, page, "console/sign_in_refused.html", status=status, message=message)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")
    return response


def depart(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        client = _client(web, request)
        body = request.query_params.get(BODY, "")
        if client is None or body not in client.provider.bodies:
            return web.redirect(page, SIGN_IN, private=True)
        try:
            departure = await client.begin(redirect_uri(page, client.provider.id))
        except OidcFailure as failure:
            logger.warning("oidc provider %s: %s", client.provider.id, failure.reason)
            return _failed(web, page, oidc_accounts.provider_refused(), status=502)
        pending = {
            "provider": client.provider.id,
            "body": body,
            "state": departure.state,
            "nonce": departure.nonce,
            "verifier": departure.verifier,
            "next": safe_next(request.query_params.get(NEXT)),
        }
        response = RedirectResponse(departure.url, status_code=303, headers=web.headers(page, True))
        response.set_cookie(
            COOKIE,
            _pending(web).dumps(json.dumps(pending)),
            max_age=PENDING_SECONDS,
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=page.secure_cookies,
        )
        page.set_cookies(response)
        return response

    return endpoint


def come_back(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        services = web.services
        client = _client(web, request)
        try:
            pending = json.loads(
                _pending(web).loads(request.cookies.get(COOKIE, ""), max_age=PENDING_SECONDS)
            )
        except BadSignature:
            pending = None
        if client is None or pending is None or pending["provider"] != client.provider.id:
            logger.info("oidc return without its departure (expired, forged or replayed)")
            return _failed(web, page, oidc_accounts.provider_refused())
        query = request.query_params
        try:
            if query.get("error"):
                raise OidcFailure(f"provider said {query.get('error')!r}")
            claims = await client.complete(
                code=query.get("code", ""),
                state=query.get("state", ""),
                expected_state=pending["state"],
                nonce=pending["nonce"],
                verifier=pending["verifier"],
                redirect_uri=redirect_uri(page, client.provider.id),
                now=services.clock(),
                issuer=query.get("iss"),
            )
        except OidcFailure as failure:
            logger.warning("oidc sign-in refused (%s): %s", client.provider.id, failure.reason)
            return _failed(web, page, oidc_accounts.provider_refused())
        try:
            async with services.db.writing() as session:
                _, token = await oidc_accounts.sign_in(
                    session, client.provider, pending["body"], claims, services.clock()
                )
        except DomainError as refusal:
            if isinstance(refusal, oidc_accounts.AccountRefused):
                async with services.db.writing() as session:
                    oidc_accounts.audit_refusal(session, refusal, client.provider, services.clock())
            return _failed(web, page, refusal)
        response = web.redirect(page, pending["next"], private=True)
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")
        response.set_cookie(
            SESSION_COOKIE,
            services.session_cookies.sign(token).decode(),
            max_age=int(rules.SESSION_LIFETIME.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=page.secure_cookies,
            path="/",
        )
        return response

    return endpoint
