"""A staff member's browser on the console, through the real app: their session cookie (made
as ``log_in`` makes it, without hashing a password each time), the CSRF cookie, forms posted
with the token the page would carry."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from service.context import Services
from service.staff import rules
from service.staff.models import Role, StaffSession, StaffUser
from service.web.security import CSRF_COOKIE, FormTokens
from tests.support import submit_report

CONTACT = {
    "name": "Camille Habitant",
    "email": "camille@example.org",
    "followUpConsent": True,
    "consentTextVersion": "2026-01",
}


@dataclass
class Browser:
    services: Services
    client: httpx.AsyncClient
    staff_id: int
    cookies: dict[str, str] = field(default_factory=dict)
    language: str = "en"

    def _headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"cookie": cookie, "accept-language": self.language} if cookie else {}

    def _keep(self, response: httpx.Response) -> None:
        for name, value in response.cookies.items():
            self.cookies[name] = value

    async def get(self, path: str, **params: str) -> httpx.Response:
        # (httpx drops a path's own query string when given params, even empty ones)
        response = await self.client.get(path, params=params or None, headers=self._headers())
        self._keep(response)
        return response

    async def post(self, path: str, purpose: str, data: dict[str, Any]) -> httpx.Response:
        """Post a form as the page's form would: with the CSRF token of its purpose."""
        self.cookies.setdefault(CSRF_COOKIE, FormTokens.new_cookie_value())
        token = FormTokens(self.services.secret_keys).issue(self.cookies[CSRF_COOKIE], purpose)
        response = await self.client.post(
            path, data={**data, "csrf_token": token}, headers=self._headers()
        )
        self._keep(response)
        return response


async def new_staff(
    services: Services, body: str = "mairie-49007", role: Role = Role.AGENT, name: str = "Agent"
) -> StaffUser:
    async with services.db.writing() as session:
        user = StaffUser(
            email=f"{uuid.uuid4().hex[:10]}@angers.fr",
            name=name,
            body_code=body,
            role=role.value,
            password_hash="!",  # signs in by session below: no password to hash
            created_at=services.clock(),
        )
        session.add(user)
        await session.flush()
    return user


async def signed_in(
    services: Services,
    client: httpx.AsyncClient,
    body: str = "mairie-49007",
    role: Role = Role.AGENT,
    name: str = "Agent",
) -> Browser:
    """A browser with an open console session of a new staff member of ``body``."""
    user = await new_staff(services, body, role, name)
    token = secrets.token_urlsafe(32)
    now = services.clock()
    assert user.id is not None
    async with services.db.writing() as session:
        session.add(
            StaffSession(
                token_hash=rules.token_hash(token),
                staff_id=user.id,
                created_at=now,
                expires_at=now + timedelta(hours=8),
            )
        )
    cookie = services.session_cookies.sign(token).decode()
    return Browser(services, client, user.id, {rules.SESSION_COOKIE: cookie})


async def new_item(client: httpx.AsyncClient, **overrides: Any) -> str:
    """A report of Angers (graffiti at the town hall: the commune's) with a consented
    contact."""
    payload = await submit_report(
        client, **{"contact": CONTACT, "categoryCode": "graffiti", **overrides}
    )
    assert payload["errors"] == [], payload
    return str(payload["report"]["reference"])


def form_purposes(html: str) -> list[str]:
    return re.findall(r'<form method="post" action="([^"?]+)', html)


async def provider_made(services: Services, body: str, role: Role) -> tuple[StaffUser, str]:
    """An account made as an OpenID provider's first sign-in makes it (an administrator's
    pre-authorisation, then ``oidc_accounts.sign_in`` with verified claims), and the session
    token that sign-in opened."""
    from service.staff import oidc_accounts
    from service.staff.models import StaffOidcPreauthorisation
    from service.staff.oidc_settings import OidcProvider

    provider = OidcProvider(
        id="matrix",
        name="Matrix",
        issuer="https://idp.example",
        client_id="c",
        client_secret="s",
        bodies=(body,),
    )
    admin = await new_staff(services, body, Role.ADMIN, "Admin")
    assert admin.id is not None
    email = f"{uuid.uuid4().hex[:10]}@angers.fr"
    now = services.clock()
    async with services.db.writing() as session:
        session.add(
            StaffOidcPreauthorisation(
                provider="matrix",
                body_code=body,
                role=role.value,
                email=email,
                created_by_id=admin.id,
                created_at=now,
            )
        )
        await session.flush()
        claims = {"sub": uuid.uuid4().hex, "email": email, "email_verified": True, "name": "P"}
        user, token = await oidc_accounts.sign_in(session, provider, body, claims, now)
    return user, token


async def provider_signed_in(
    services: Services, client: httpx.AsyncClient, body: str, role: Role
) -> Browser:
    """A browser signed in by an OpenID provider (see ``provider_made``)."""
    user, token = await provider_made(services, body, role)
    assert user.id is not None
    cookie = services.session_cookies.sign(token).decode()
    return Browser(services, client, user.id, {rules.SESSION_COOKIE: cookie})
