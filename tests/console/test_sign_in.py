"""Signing in and out of the console: the API's accounts, sessions and throttle; cookies
HttpOnly, SameSite=Lax; every console page behind ``require_staff``."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.staff import rules
from service.staff.models import AuditEntry, Role, StaffUser
from service.staff.throttle import MAX_FAILURES_PER_PAIR
from tests.console.support import Browser, signed_in
from tests.web.support import assert_secure_page, csrf_token

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery staple"


async def agent_with_password(services: Services) -> str:
    email = f"agent-{uuid.uuid4().hex[:8]}@angers.fr"
    async with services.db.writing() as session:
        await rules.create_staff(
            session,
            email=email,
            name="Dominique Agent",
            body_code="mairie-49007",
            role=Role.AGENT,
            password=PASSWORD,
            now=services.clock(),
        )
    return email


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = await client.get("/console/connexion", headers={"accept-language": "en"})
    return await client.post(
        "/console/connexion",
        data={
            "email": email,
            "password": password,
            "suite": "/console/jetons",
            "csrf_token": csrf_token(form.text),
        },
        headers={"accept-language": "en"},
    )


async def test_an_anonymous_visit_of_a_console_page_is_sent_to_the_sign_in_page(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await client.get("/console/jetons")
    # then
    assert response.status_code == 303
    assert response.headers["location"] == "/console/connexion?suite=%2Fconsole%2Fjetons"
    form = await client.get(response.headers["location"], headers={"accept-language": "en"})
    assert form.status_code == 200
    assert_secure_page(form)
    assert form.headers["cache-control"] == "no-store"
    assert "Sign in to the staff console" in form.text


async def test_signing_in_opens_the_console_with_a_safe_session_cookie(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await agent_with_password(services)
    # when
    response = await sign_in(client, email, PASSWORD)
    # then
    assert response.status_code == 303
    assert response.headers["location"] == "/console/jetons"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("alm_staff="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; over HTTPS it is Secure
    page = await client.get("/console/jetons", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "Dominique Agent" in page.text


async def test_a_wrong_password_says_so_without_telling_which_and_is_throttled_like_the_api(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await agent_with_password(services)
    # when
    refusals = [
        await sign_in(client, email, "wrong password!!") for _ in range(MAX_FAILURES_PER_PAIR)
    ]
    blocked = await sign_in(client, email, PASSWORD)
    # then
    assert refusals[0].status_code == 400
    assert "The e-mail address or the password is not right." in refusals[0].text
    assert blocked.status_code == 400
    assert "Too many failed attempts" in blocked.text
    # the API counts in the same buckets: it refuses this origin too
    api = await client.post(
        "/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { staffLogin(email: $e, password: $p) "
            "{ errors { code } } }",
            "variables": {"e": email, "p": PASSWORD},
        },
    )
    assert api.json()["data"]["staffLogin"]["errors"] == [{"code": "TOO_MANY_ATTEMPTS"}]


async def test_a_form_without_its_csrf_token_signs_nobody_in(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await agent_with_password(services)
    # when
    response = await client.post("/console/connexion", data={"email": email, "password": PASSWORD})
    # then
    assert response.status_code == 403
    assert "alm_staff" not in response.headers.get("set-cookie", "")


async def test_signing_out_ends_the_session_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    browser = await signed_in(services, client)
    session_cookie = dict(browser.cookies)
    # when
    response = await browser.post("/console/deconnexion", "console-sign-out", {})
    # then
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/connexion")
    replay = Browser(services, client, browser.staff_id, session_cookie)
    assert (await replay.get("/console/jetons")).status_code == 303
    async with services.db.reading() as session:
        actions = (
            await session.exec(
                select(AuditEntry.action).where(AuditEntry.staff_id == browser.staff_id)
            )
        ).all()
    assert "logged_out" in actions


async def test_a_deactivated_account_stops_at_its_next_click(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    browser = await signed_in(services, client)
    assert (await browser.get("/console/jetons")).status_code == 200
    # when
    async with services.db.writing() as session:
        user = await session.get(StaffUser, browser.staff_id)
        assert user is not None
        user.active = False
        session.add(user)
    # then
    response = await browser.get("/console/jetons")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/connexion")


async def test_after_signing_in_the_console_never_sends_one_to_another_site(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email = await agent_with_password(services)
    form = await client.get("/console/connexion")
    # when
    response = await client.post(
        "/console/connexion",
        data={
            "email": email,
            "password": PASSWORD,
            "suite": "//evil.example/console",
            "csrf_token": csrf_token(form.text),
        },
    )
    # then
    assert response.headers["location"] == "/console"


async def test_every_console_page_is_sent_with_the_pages_safety_headers(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    browser = await signed_in(services, client)
    # when
    pages = [await browser.get(path) for path in ("/console", "/console/carte", "/console/jetons")]
    # then
    for response in pages:
        assert response.status_code == 200
        assert_secure_page(response)  # strict CSP, nothing inline, no referrer
        assert response.headers["cache-control"] == "no-store"
        assert 'name="robots" content="noindex, nofollow"' in response.text
