"""The TOTP second factor of local passwords (RFC 6238): enrolment, sign-in with a code, a
code never accepted twice, single-use recovery codes, a body's policy, the API's staffLogin."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import pyotp
import pytest

from service.context import Services
from service.staff import rules, second_factor
from service.staff.models import Role
from tests.web.support import csrf_token

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery staple"
EN = {"accept-language": "en"}


async def member(services: Services, body: str = "mairie-49007") -> str:
    email = f"totp-{uuid.uuid4().hex[:8]}@angers.fr"
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


async def sign_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    form = await client.get("/console/connexion", headers=EN)
    return await client.post(
        "/console/connexion",
        data={
            "email": email,
            "password": PASSWORD,
            "suite": "/console/jetons",
            "csrf_token": csrf_token(form.text),
        },
        headers=EN,
    )


def later(services: Services, steps: int) -> None:
    """Move the service's clock ``steps`` TOTP steps (30 s) on."""
    real = services.clock
    services.clock = lambda: real() + timedelta(seconds=30 * steps)


def code_at(secret: str, services: Services) -> str:
    return pyotp.TOTP(secret).at(services.clock())


async def enrol(client: httpx.AsyncClient, services: Services, path: str) -> tuple[str, list[str]]:
    """Enrol on ``path`` (the security page, or the sign-in's enrolment); returns the secret
    and the recovery codes shown."""
    page = await client.get(path, headers=EN)
    assert page.status_code == 200, page.text[:300]
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text)
    enrolment = re.search(r'name="enrolment" value="([^"]+)"', page.text)
    assert secret and enrolment
    plain = secret.group(1).replace(" ", "")
    done = await client.post(
        path,
        data={
            "enrolment": enrolment.group(1),
            "code": code_at(plain, services),
            "csrf_token": csrf_token(page.text[page.text.index('name="enrolment"') - 300 :]),
        },
        headers=EN,
    )
    assert done.status_code == 200, done.text[:500]
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.text)
    assert len(codes) == second_factor.RECOVERY_CODES
    return plain, codes


async def enrolled_member(
    client: httpx.AsyncClient, services: Services
) -> tuple[str, str, list[str]]:
    email = await member(services)
    assert (await sign_in(client, email)).headers["location"] == "/console/jetons"
    secret, codes = await enrol(client, services, "/console/securite")
    client.cookies.clear()
    return email, secret, codes


async def type_code(client: httpx.AsyncClient, code: str) -> httpx.Response:
    page = await client.get("/console/connexion/code", headers=EN)
    assert page.status_code == 200
    return await client.post(
        "/console/connexion/code",
        data={"code": code, "csrf_token": csrf_token(page.text)},
        headers=EN,
    )


async def test_an_enrolled_member_signs_in_with_password_then_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email, secret, _ = await enrolled_member(client, services)
    later(services, 2)
    # when
    first = await sign_in(client, email)
    # then: the password alone opens nothing yet
    assert first.status_code == 303 and first.headers["location"] == "/console/connexion/code"
    assert "alm_staff" not in first.cookies
    done = await type_code(client, code_at(secret, services))
    assert done.status_code == 303 and done.headers["location"] == "/console/jetons"
    assert (await client.get("/console/jetons", headers=EN)).status_code == 200


async def test_a_code_is_refused_the_second_time_within_its_window(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a code used once
    email, secret, _ = await enrolled_member(client, services)
    later(services, 2)
    code = code_at(secret, services)
    await sign_in(client, email)
    assert (await type_code(client, code)).status_code == 303
    client.cookies.clear()
    # when: the same code again, within the same 30 seconds
    await sign_in(client, email)
    again = await type_code(client, code)
    # then
    assert again.status_code == 400
    assert "already used" in again.text
    # and the code enrolment used is not good for a sign-in either
    assert second_factor.matching_step(secret, code, services.clock(), after=10**12) is None


async def test_a_wrong_code_is_refused(client: httpx.AsyncClient, services: Services) -> None:
    # given
    email, secret, _ = await enrolled_member(client, services)
    later(services, 2)
    right = code_at(secret, services)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    await sign_in(client, email)
    # when
    refused = await type_code(client, wrong)
    # then
    assert refused.status_code == 400
    assert "alm_staff" not in refused.cookies


async def test_a_recovery_code_signs_in_once(client: httpx.AsyncClient, services: Services) -> None:
    # given
    email, _, codes = await enrolled_member(client, services)
    await sign_in(client, email)
    # when
    first = await type_code(client, codes[3].upper())  # typed in capitals: the same code
    client.cookies.clear()
    await sign_in(client, email)
    second = await type_code(client, codes[3])
    # then
    assert first.status_code == 303
    assert second.status_code == 400


async def test_the_code_page_needs_a_right_password_first(client: httpx.AsyncClient) -> None:
    # when
    page = await client.get("/console/connexion/code", headers=EN)
    # then
    assert page.status_code == 303 and page.headers["location"].startswith("/console/connexion")


async def test_a_body_that_requires_a_second_factor_has_its_members_enrol_at_sign_in(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    body = "mairie-49015"
    async with services.db.writing() as session:
        await second_factor.set_required(session, body, True, 1, services.clock())
    email = await member(services, body)
    try:
        # when
        first = await sign_in(client, email)
        # then
        assert first.headers["location"] == "/console/connexion/facteur"
        await enrol(client, services, "/console/connexion/facteur")
        assert (await client.get("/console/jetons", headers=EN)).status_code == 200
    finally:
        async with services.db.writing() as session:
            await second_factor.set_required(session, body, False, 1, services.clock())


async def test_the_api_login_asks_for_the_code_of_an_enrolled_account(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    email, secret, _ = await enrolled_member(client, services)
    later(services, 2)
    document = (
        "mutation($e: String!, $p: String!, $c: String) { staffLogin(email: $e, password: $p,"
        " code: $c) { me { name } errors { code } } }"
    )

    async def login(code: str | None) -> dict[str, object]:
        client.cookies.clear()
        response = await client.post(
            "/graphql",
            json={"query": document, "variables": {"e": email, "p": PASSWORD, "c": code}},
        )
        return dict(response.json()["data"]["staffLogin"])

    # when
    without = await login(None)
    code = code_at(secret, services)
    right = await login(code)
    reused = await login(code)
    # then
    assert without["errors"] == [{"code": "SECOND_FACTOR_REQUIRED"}]
    assert right["errors"] == [] and right["me"] == {"name": "Dominique Agent"}
    assert reused["errors"] == [{"code": "SECOND_FACTOR_INVALID"}]


async def test_a_password_reset_link_also_removes_a_lost_second_factor(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: an enrolled member lost their phone; their administrator makes a reset link
    from sqlmodel import select

    from service.staff import accounts
    from service.staff.models import StaffUser
    from tests.console.support import new_staff

    email, _, _ = await enrolled_member(client, services)
    admin = rules.identity_of(await new_staff(services, "mairie-49007", Role.ADMIN), "session")
    async with services.db.writing() as session:
        user = (await session.exec(select(StaffUser).where(StaffUser.email == email))).one()
        assert user.id is not None
        link = await accounts.reset_password(
            session, admin, services.reference, user.id, services.clock()
        )
    # when: the member sets a new password with it
    async with services.db.writing() as session:
        await accounts.accept_invitation(session, link.token, PASSWORD, services.clock())
    # then: the password alone signs in again, and the factor can be set up anew
    assert (await sign_in(client, email)).headers["location"] == "/console/jetons"
    async with services.db.reading() as session:
        assert await second_factor.factor_of(session, user.id) is None
        assert await second_factor.recovery_codes_left(session, user.id) == 0
