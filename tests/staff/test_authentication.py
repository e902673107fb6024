"""Staff authentication: login and logout, session cookies, CSRF, personal access tokens,
throttling — and messages that never say whether the e-mail or the password was wrong."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.settings import Settings
from service.staff import rules
from service.staff.models import AccessToken, AuditEntry, Role, StaffUser
from tests.support import graphql, operation, running_service

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery staple"


async def new_agent(services: Services, body: str = "mairie-49007") -> str:
    email = f"agent-{uuid.uuid4().hex[:8]}@angers.fr"
    async with services.db.writing() as session:
        await rules.create_staff(
            session,
            email=email,
            name="Dominique Agent",
            body_code=body,
            role=Role.AGENT,
            password=PASSWORD,
            now=services.clock(),
        )
    return email


async def call(
    client: httpx.AsyncClient, name: str, variables: dict[str, Any] | None = None, **headers: str
) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": operation(name), "variables": variables},
        headers={
            "accept": "application/graphql-response+json",
            "accept-language": "en",
            **{k.replace("_", "-"): v for k, v in headers.items()},
        },
    )


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await call(client, "StaffLogin", {"email": email, "password": password})
    payload: dict[str, Any] = response.json()["data"]["staffLogin"]
    return payload


async def me(client: httpx.AsyncClient, **headers: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = (await call(client, "Me", **headers)).json()["data"]["me"]
    return result


async def test_anonymous_callers_are_nobody(client: httpx.AsyncClient) -> None:
    assert await me(client) is None


async def test_login_sets_an_httponly_lax_session_cookie_and_opens_the_session(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await new_agent(services)
    # when
    response = await call(client, "StaffLogin", {"email": email.upper(), "password": PASSWORD})
    # then
    payload = response.json()["data"]["staffLogin"]
    assert payload["errors"] == []
    assert payload["me"]["role"] == "AGENT"
    assert payload["me"]["body"]["code"] == "mairie-49007"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("alm_staff=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test
    signed_in = await me(client)
    assert signed_in is not None
    assert signed_in["signedInWith"] == "session"
    assert signed_in["csrfToken"] == payload["me"]["csrfToken"]


async def test_the_cookie_is_secure_over_https(settings: Settings) -> None:
    async with running_service(settings) as (services, client):
        email = await new_agent(services)
        https = httpx.AsyncClient(transport=client._transport, base_url="https://testserver")
        async with https:
            response = await call(https, "StaffLogin", {"email": email, "password": PASSWORD})
    assert "Secure" in response.headers["set-cookie"]


async def test_a_wrong_email_and_a_wrong_password_get_the_same_answer(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await new_agent(services)
    # when
    wrong_password = await log_in(client, email, "not the password")
    unknown_email = await log_in(client, "nobody@angers.fr", PASSWORD)
    # then
    assert (
        wrong_password
        == unknown_email
        == {
            "me": None,
            "errors": [
                {
                    "field": "password",
                    "code": "INVALID_CREDENTIALS",
                    "message": "The e-mail address or the password is not right.",
                }
            ],
        }
    )


async def test_after_5_failures_even_the_right_password_waits(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await new_agent(services)
    for _ in range(5):
        await log_in(client, email, "guess")
    # when
    payload = await log_in(client, email)
    # then
    assert [e["code"] for e in payload["errors"]] == ["TOO_MANY_ATTEMPTS"]


async def test_logout_ends_the_session_at_once_even_for_a_copied_cookie(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await new_agent(services)
    login = await log_in(client, email)
    copied = client.cookies.get("alm_staff")
    # when
    await call(client, "StaffLogout", x_csrf_token=login["me"]["csrfToken"])
    # then
    client.cookies.set("alm_staff", copied)
    assert await me(client) is None
    # and both ends of the session are in the audit log
    async with services.db.reading() as session:
        user = (await session.exec(select(StaffUser).where(StaffUser.email == email))).one()
        actions = (
            await session.exec(select(AuditEntry.action).where(AuditEntry.staff_id == user.id))
        ).all()
    assert list(actions) == ["logged_in", "logged_out"]


async def test_a_cookie_mutation_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await new_agent(services)
    login = await log_in(client, email)
    variables = {"name": "export script", "scopes": ["items:read"]}
    # when
    refused = await call(client, "AccessTokenCreate", variables)
    forged = await call(client, "AccessTokenCreate", variables, x_csrf_token="forged")
    allowed = await call(
        client, "AccessTokenCreate", variables, x_csrf_token=login["me"]["csrfToken"]
    )
    # then
    assert refused.status_code == forged.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    assert allowed.json()["data"]["staffAccessTokenCreate"]["errors"] == []


async def test_a_forged_or_expired_cookie_opens_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await new_agent(services)
    await log_in(client, email)
    real = client.cookies.get("alm_staff")
    # when / then: tampered with
    client.cookies.set("alm_staff", real[:-3] + "xyz")
    assert await me(client) is None
    # when / then: 9 hours later
    client.cookies.set("alm_staff", real)
    real_clock = services.clock
    services.clock = lambda: real_clock() + timedelta(hours=9)
    assert await me(client) is None
    services.clock = real_clock
    assert await me(client) is not None


async def test_an_access_token_is_shown_once_stored_hashed_and_revocable(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await new_agent(services)
    csrf = (await log_in(client, email))["me"]["csrfToken"]
    created = (
        await call(
            client,
            "AccessTokenCreate",
            {"name": "nightly export", "scopes": ["items:read"]},
            x_csrf_token=csrf,
        )
    ).json()["data"]["staffAccessTokenCreate"]
    secret = created["secret"]
    client.cookies.clear()
    # when: a script uses it
    as_script = await me(client, authorization=f"Bearer {secret}")
    # then
    assert as_script is not None
    assert (as_script["signedInWith"], as_script["csrfToken"]) == ("token", None)
    async with services.db.reading() as session:
        stored = (await session.exec(select(AccessToken))).all()
    assert all(secret not in (t.token_hash, t.name) for t in stored)
    # when: revoked (by the script itself: tokens need no CSRF header)
    await call(
        client,
        "AccessTokenRevoke",
        {"id": created["accessToken"]["id"]},
        authorization=f"Bearer {secret}",
    )
    after = await call(client, "Me", authorization=f"Bearer {secret}")
    # then: at once, with a clear 401
    assert after.status_code == 401
    assert after.json()["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"


async def test_unknown_scopes_are_refused(client: httpx.AsyncClient, services: Services) -> None:
    email = await new_agent(services)
    csrf = (await log_in(client, email))["me"]["csrfToken"]
    payload = (
        await call(
            client,
            "AccessTokenCreate",
            {"name": "x", "scopes": ["admin:everything"]},
            x_csrf_token=csrf,
        )
    ).json()["data"]["staffAccessTokenCreate"]
    assert [e["code"] for e in payload["errors"]] == ["INVALID_SCOPE"]
    assert payload["secret"] is None


async def test_passwords_are_stored_as_scrypt_hashes(services: Services) -> None:
    email = await new_agent(services)
    async with services.db.reading() as session:
        user = (await session.exec(select(StaffUser).where(StaffUser.email == email))).one()
    assert user.password_hash.startswith("scrypt$32768$8$1$")
    assert PASSWORD not in user.password_hash


async def test_staff_answers_never_come_from_or_go_to_the_public_cache(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a staff member asks a public question twice
    email = await new_agent(services)
    await log_in(client, email)
    hits = services.response_cache.hits
    # when
    for _ in range(2):
        await graphql(client, operation("Reports"), {"first": 1})
    # then
    assert services.response_cache.hits == hits


async def test_the_cli_creates_the_first_admin_who_can_log_in(
    settings: Settings, tmp_path: Any
) -> None:
    import os
    import subprocess
    import sys

    from service.settings import PROJECT_ROOT

    # given
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    env["SERVICE_DATABASE_URL"] = settings.resolved_database_url
    email = f"admin-{uuid.uuid4().hex[:6]}@angers.fr"
    # when
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "staff",
            "create",
            "--email",
            email,
            "--name",
            "Camille Admin",
            "--body",
            "alm",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    # then
    assert result.returncode == 0, result.stderr
    async with running_service(replace(settings)) as (_, client):
        payload = await log_in(client, email)
    assert payload["me"]["role"] == "ADMIN"
