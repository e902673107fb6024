"""Staff sign in through a real OpenID Provider (oidc-provider, run by node on 127.0.0.1):
the whole authorization code flow over HTTP, and each way it must fail."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.staff import accounts, oidc_accounts, rules
from service.staff.models import AuditEntry, Role, StaffOidcLink, StaffUser
from service.staff.oidc_settings import parse_oidc_providers
from service.staff.rules import StaffIdentity
from tests.console.support import new_staff
from tests.oidc.conftest import ACCOUNTS
from tests.oidc.support import Journey, LocalProvider, signing_key
from tests.support import running_service

pytestmark = pytest.mark.anyio
START = "/console/connexion/oidc/test?" + urlencode(
    {"corps": "mairie-49007", "suite": "/console/jetons"}
)


async def admin_of_angers(services: Services) -> StaffIdentity:
    admin = await new_staff(services, "mairie-49007", Role.ADMIN, "Admin")
    return rules.identity_of(admin, "session")


async def preauthorise(services: Services, role: Role = Role.SUPERVISOR, **rule: str) -> None:
    admin = await admin_of_angers(services)
    providers = {k: c.provider for k, c in services.oidc_clients.clients.items()}
    async with services.db.writing() as session:
        await oidc_accounts.preauthorise(
            session,
            admin,
            services.reference,
            providers,
            provider_id="test",
            body_code="mairie-49007",
            role=role,
            now=services.clock(),
            **rule,
        )


async def account(services: Services, email: str) -> StaffUser | None:
    async with services.db.reading() as session:
        return (await session.exec(select(StaffUser).where(StaffUser.email == email))).first()


def signed_in_page(response: httpx.Response) -> bool:
    return response.status_code == 200 and "My access tokens" in response.text


async def test_a_pre_authorised_person_signs_in_with_the_role_the_administrator_chose(
    oidc_running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given
    services, client = oidc_running
    await preauthorise(services, Role.SUPERVISOR, email="Anne.Oidc@angers.fr")
    journey = Journey(client, "sub-anne")
    # when
    started = time.perf_counter()
    page = await journey.go(START)
    elapsed = time.perf_counter() - started
    # then
    assert signed_in_page(page), page.text[:500]
    print(f"sign-in round trip against the local provider: {elapsed * 1000:.0f} ms")
    user = await account(services, "anne.oidc@angers.fr")
    assert user is not None and user.role == Role.SUPERVISOR.value
    assert user.body_code == "mairie-49007" and user.password_hash == "!"
    async with services.db.reading() as session:
        links = (
            await session.exec(select(StaffOidcLink).where(StaffOidcLink.staff_id == user.id))
        ).all()
        actions = [
            e.action
            for e in (
                await session.exec(select(AuditEntry).where(AuditEntry.staff_id == user.id))
            ).all()
        ]
    assert [(link.provider, link.subject) for link in links] == [("test", "sub-anne")]
    assert actions == ["oidc_linked", "logged_in"]
    assert "alm_oidc" not in journey.service_cookies  # each departure is good for one return
    # and a second sign-in finds the same account by its link
    started = time.perf_counter()
    again = await Journey(client, "sub-anne").go(START)
    print(f"warm sign-in round trip: {(time.perf_counter() - started) * 1000:.0f} ms")
    assert signed_in_page(again)
    async with services.db.reading() as session:
        count = len(
            (
                await session.exec(
                    select(StaffUser).where(StaffUser.email == "anne.oidc@angers.fr")
                )
            ).all()
        )
    assert count == 1


async def test_signing_out_ends_the_local_session(
    oidc_running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given
    services, client = oidc_running
    await preauthorise(services, Role.AGENT, email="jules.oidc@angers.fr")
    journey = Journey(client, "sub-jules")
    assert signed_in_page(await journey.go(START))
    page = await journey.service_get("/console/jetons")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    cookie = "; ".join(f"{k}={v}" for k, v in journey.service_cookies.items())
    # when
    client.cookies.clear()
    out = await client.post(
        "/console/deconnexion", data={"csrf_token": token}, headers={"cookie": cookie}
    )
    # then
    assert out.status_code == 303
    client.cookies.clear()
    after = await client.get("/console/jetons", headers={"cookie": cookie})
    assert after.status_code == 303  # the old cookie opens nothing any more


async def test_a_wrong_state_is_refused(oidc_running: tuple[Services, httpx.AsyncClient]) -> None:
    # given
    services, client = oidc_running
    await preauthorise(services, email="bruno.oidc@angers.fr")
    journey = Journey(client, "sub-bruno")
    await journey.go(START, stop_at_callback=True)
    parts = urlsplit(journey.callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    # when
    forged = await journey.service_get(f"{parts.path}?{urlencode(query | {'state': 'forged'})}")
    # then
    assert forged.status_code == 403
    assert "could not be checked" in forged.text
    assert await account(services, "bruno.oidc@angers.fr") is None


async def test_a_return_without_its_departure_cookie_is_refused(
    oidc_running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given: a code and state lured into another browser (login CSRF)
    services, client = oidc_running
    await preauthorise(services, email="kim.oidc@angers.fr")
    journey = Journey(client, "sub-kim")
    await journey.go(START, stop_at_callback=True)
    # when
    victim = await Journey(client, "nobody").service_get(journey.callback)
    # then
    assert victim.status_code == 403, (victim.headers, journey.callback)
    assert await account(services, "kim.oidc@angers.fr") is None


async def test_a_replayed_code_is_refused(oidc_running: tuple[Services, httpx.AsyncClient]) -> None:
    # given: a completed sign-in, and its callback with its departure cookie kept
    services, client = oidc_running
    await preauthorise(services, email="eve.oidc@angers.fr")
    journey = Journey(client, "sub-eve")
    await journey.go(START, stop_at_callback=True)
    departure = dict(journey.service_cookies)
    assert signed_in_page(await journey.go(journey.callback))
    # when
    replay = Journey(client, "sub-eve", service_cookies=departure)
    again = await replay.service_get(journey.callback)
    # then
    assert again.status_code == 403
    assert "alm_staff" not in replay.service_cookies


async def test_an_expired_id_token_is_refused(
    oidc_running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given: the token is checked two hours after it was made (it lives one hour)
    services, client = oidc_running
    await preauthorise(services, email="fred.oidc@angers.fr")
    journey = Journey(client, "sub-fred")
    await journey.go(START, stop_at_callback=True)
    real = services.clock
    services.clock = lambda: real() + timedelta(hours=2)
    # when
    late = await journey.service_get(journey.callback)
    # then
    assert late.status_code == 403
    assert await account(services, "fred.oidc@angers.fr") is None


async def test_an_unknown_subject_not_pre_authorised_is_refused(
    oidc_running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given: someone else is pre-authorised; hugo is not
    services, client = oidc_running
    await preauthorise(services, email="someone.else@angers.fr")
    # when
    page = await Journey(client, "sub-hugo").go(START)
    # then
    assert page.status_code == 403
    assert "no administrator of this body has authorised you" in page.text
    assert await account(services, "hugo.oidc@angers.fr") is None


async def test_an_unverified_email_is_not_enough(
    oidc_running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given
    services, client = oidc_running
    await preauthorise(services, email="dora.oidc@angers.fr")
    # when
    page = await Journey(client, "sub-dora").go(START)
    # then
    assert page.status_code == 403
    assert await account(services, "dora.oidc@angers.fr") is None


async def test_a_deactivated_account_is_refused_whatever_the_provider_says(
    oidc_running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given: gaby signed in once, then an administrator deactivated her
    services, client = oidc_running
    await preauthorise(services, email="gaby.oidc@angers.fr")
    first = Journey(client, "sub-gaby")
    assert signed_in_page(await first.go(START))
    user = await account(services, "gaby.oidc@angers.fr")
    assert user is not None and user.id is not None
    admin = await admin_of_angers(services)
    async with services.db.writing() as session:
        await accounts.deactivate(session, admin, services.reference, user.id, services.clock())
    # then: her open session stops at once...
    assert (await first.service_get("/console/jetons")).status_code == 303
    # ...and the provider's word opens nothing
    page = await Journey(client, "sub-gaby").go(START)
    assert page.status_code == 403
    async with services.db.reading() as session:
        refused = (
            await session.exec(
                select(AuditEntry).where(
                    AuditEntry.staff_id == user.id, AuditEntry.action == "sign_in_refused"
                )
            )
        ).all()
    assert len(refused) == 1


async def test_a_claim_rule_makes_the_account_but_never_links_an_existing_one(
    oidc_running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given: a rule on the groups claim; ines already has a local account by that e-mail
    services, client = oidc_running
    await preauthorise(services, Role.AGENT, claim="groups", claim_value="signalements-angers")
    async with services.db.writing() as session:
        await rules.create_staff(
            session,
            email="ines.local@angers.fr",
            name="Inès",
            body_code="mairie-49007",
            role=Role.ADMIN,
            password="a local password of hers",
            now=services.clock(),
        )
    # when
    chloe = await Journey(client, "sub-chloe").go(START)
    ines = await Journey(client, "sub-ines").go(START)
    # then
    assert signed_in_page(chloe)
    made = await account(services, "chloe.oidc@angers.fr")
    assert made is not None and made.role == Role.AGENT.value
    assert ines.status_code == 403  # an e-mail alone never hands over an account
    async with services.db.reading() as session:
        links = (
            await session.exec(select(StaffOidcLink).where(StaffOidcLink.subject == "sub-ines"))
        ).all()
    assert links == []


async def test_a_token_signed_with_a_rotated_key_is_accepted_and_an_unknown_key_refused(
    settings: Any,
) -> None:
    # given: a provider of its own, whose keys we rotate
    provider = LocalProvider("test", ACCOUNTS, [signing_key("old")])
    provider.start()
    try:
        providers = parse_oidc_providers(
            provider.settings_entry(["mairie-49007"]), development=True
        )
        from dataclasses import replace

        async with running_service(replace(settings, oidc_providers=providers)) as (
            services,
            client,
        ):
            await preauthorise(services, email="anne.oidc@angers.fr")
            assert signed_in_page(await Journey(client, "sub-anne").go(START))
            # when: the provider now signs with a new key and no longer publishes the old
            provider.restart([signing_key("new")])
            oidc = services.oidc_clients.clients["test"]
            later = time.monotonic() + 60  # the keys were fetched a minute ago
            oidc.monotonic = lambda: later
            rotated = await Journey(client, "sub-anne").go(START)
            # then
            assert signed_in_page(rotated)
            assert [key.kid for key in oidc._keys.keys] == ["new"]  # type: ignore[union-attr]
            # and a token signed by a key it does not publish verifies nothing
            from joserfc import jwt
            from joserfc.jwk import RSAKey

            forged_key = RSAKey.generate_key(2048, parameters={"kid": "new"})
            now = int(services.clock().timestamp())
            claims = {
                "iss": provider.issuer,
                "aud": "signalements-test",
                "sub": "sub-anne",
                "iat": now,
                "exp": now + 300,
                "nonce": "n",
            }
            forged = jwt.encode({"alg": "RS256", "kid": "new"}, claims, forged_key)
            from service.staff.oidc import OidcFailure

            with pytest.raises(OidcFailure, match="signature"):
                await oidc.verified_claims(forged, nonce="n", now=services.clock())
    finally:
        provider.stop()
