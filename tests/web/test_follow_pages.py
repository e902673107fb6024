"""Follow my item without an account: by the tracking link or by reference and code; add
information, say whether it was fixed, download or erase my data, withdraw consent."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.items import rules as items
from service.items.lifecycle import Status
from service.items.models import EventKind, Item
from service.privacy.models import Consent, Contact
from service.staff.models import Role
from tests.support import staff
from tests.web.journeys import errors_by_field, open_form, post_form, send_report, token_in
from tests.web.support import LANGUAGES, assert_secure_page, csrf_token, inline_code

pytestmark = pytest.mark.anyio
CONTACT = {"contact_email": "jo@example.org", "consent_follow_up": "1", "consent_survey": "1"}


async def reported(client: httpx.AsyncClient, **overrides: str) -> str:
    """Send a report through the form; its tracking token."""
    sent = await send_report(client, **overrides)
    assert sent.status_code == 303, sent.text
    return token_in(sent.headers["location"])


async def item_of(services: Services, token: str) -> Item:
    async with services.db.reading() as session:
        return await services.tracking_tokens.item_for(session, token, services.clock())


async def act(client: httpx.AsyncClient, token: str, path: str, **fields: str) -> httpx.Response:
    """Post one of the follow page's forms, with the CSRF token that page gave."""
    page = await client.get(f"/suivi?jeton={token}&lang=en")
    form = page.text.split(f'action="{path}')[1]
    return await post_form(
        client, f"{path}?lang=en", {"csrf_token": csrf_token(form), "jeton": token, **fields}
    )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_follow_page_speaks_the_readers_language_and_keeps_the_token_private(
    client: httpx.AsyncClient, language: str
) -> None:
    # given
    token = await reported(client)
    # when
    response = await client.get(f"/suivi?jeton={token}&lang={language}")
    # then
    assert response.status_code == 200
    _, html = inline_code(response.text)
    assert (html["lang"], html["dir"]) == (language, "rtl" if language == "ar" else "ltr")
    assert_secure_page(response)
    assert response.headers["cache-control"] == "no-store"
    assert f"/suivi/{token}" not in response.text


async def test_the_reference_and_code_open_the_item_by_its_tracking_link(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    token = await reported(client)
    item = await item_of(services, token)
    _, fields = await open_form(client, "/suivi?lang=en")
    code = services.tracking_tokens.short_code(item).lower().replace("-", " ")
    # when
    opened = await post_form(
        client, "/suivi?lang=en", {**fields, "reference": item.reference, "code": code}
    )
    wrong = await post_form(
        client, "/suivi?lang=en", {**fields, "reference": item.reference, "code": "AAAA-AAAA"}
    )
    # then
    assert opened.status_code == 303
    assert token_in(opened.headers["location"]) == token
    assert opened.headers["cache-control"] == "no-store"
    assert wrong.status_code == 400
    assert errors_by_field(wrong.text) == {
        "code": "This tracking code is not valid. Check that it was copied whole."
    }


async def test_a_forged_link_opens_nothing(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/suivi?jeton=forged&lang=fr")
    # then
    assert response.status_code == 404
    assert errors_by_field(response.text) == {
        "code": "Ce code de suivi n'est pas valide. Vérifiez qu'il a été copié en entier."
    }


async def test_the_follow_page_shows_the_answer_of_staff(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: the roads directorate answers and resolves
    token = await reported(client)
    item = await item_of(services, token)
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.data("ItemTransition", {"reference": item.reference, "status": "ACKNOWLEDGED"})
    await agent.data(
        "ItemTransition",
        {"reference": item.reference, "status": "RESOLVED", "publicAnswer": "Rebouché ce matin."},
    )
    # when
    page = await client.get(f"/suivi?jeton={token}&lang=en")
    # then
    assert "Rebouché ce matin." in page.text
    assert "Resolved" in page.text
    assert "Was it fixed?" in page.text
    assert "Written in French." in page.text


async def test_information_added_lands_in_the_history(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    token = await reported(client)
    # when
    empty = await act(client, token, "/suivi/information", information="  ")
    added = await act(client, token, "/suivi/information", information="Il s'agrandit.")
    page = await client.get(added.headers["location"])
    # then
    assert empty.status_code == 400
    assert errors_by_field(empty.text) == {"information": "Please write a few words."}
    assert added.status_code == 303
    assert "Il s&#39;agrandit." in page.text
    assert "Your information was added." in page.text


async def test_the_resident_says_it_was_fixed_and_rates_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    token = await reported(client)
    await resolve(services, token)
    # when
    refused = await act(client, token, "/suivi/avis", fixed="yes", satisfaction="9")
    sent = await act(client, token, "/suivi/avis", fixed="yes", satisfaction="5", comment="Merci")
    # then
    assert refused.status_code == 400
    assert errors_by_field(refused.text) == {"satisfaction": "The rating goes from 1 to 5."}
    assert sent.status_code == 303
    item = await item_of(services, token)
    assert (item.feedback_fixed, item.feedback_rating) == (True, 5)


async def test_not_fixed_reopens_the_item(client: httpx.AsyncClient, services: Services) -> None:
    # given
    token = await reported(client)
    await resolve(services, token)
    # when
    sent = await act(client, token, "/suivi/avis", fixed="no", reopen="1")
    # then
    assert sent.status_code == 303
    assert (await item_of(services, token)).status == Status.ACKNOWLEDGED.value


async def test_the_resident_downloads_their_data(client: httpx.AsyncClient) -> None:
    # given
    token = await reported(client, **CONTACT)
    # when
    response = await act(client, token, "/suivi/export")
    # then
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store"
    document = json.loads(response.text)
    assert document["contact"]["email"] == "jo@example.org"
    assert "jo@example.org" in document["summary"]


async def test_the_resident_withdraws_a_consent(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    token = await reported(client, **CONTACT)
    item = await item_of(services, token)
    # when
    none_chosen = await act(client, token, "/suivi/consentement")
    sent = await act(client, token, "/suivi/consentement", purpose="satisfaction_survey")
    # then
    assert none_chosen.status_code == 400
    assert list(errors_by_field(none_chosen.text)) == ["purpose"]
    assert sent.status_code == 303
    async with services.db.reading() as session:
        active = (
            await session.exec(
                select(Consent.purpose).where(
                    Consent.item_id == item.id,
                    Consent.withdrawn_at == None,  # noqa: E711
                )
            )
        ).all()
    assert list(active) == ["follow_up_contact"]


async def test_erasure_asks_first_then_erases(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    token = await reported(client, **CONTACT)
    item = await item_of(services, token)
    # when: asked once, then confirmed
    asked = await act(client, token, "/suivi/effacement")
    confirmed = await post_form(
        client,
        "/suivi/effacement?lang=en",
        {"csrf_token": csrf_token(asked.text), "jeton": token, "confirm": "1"},
    )
    # then
    assert asked.status_code == 200
    assert "This cannot be undone." in asked.text
    assert confirmed.status_code == 303
    async with services.db.reading() as session:
        contact = (await session.exec(select(Contact).where(Contact.item_id == item.id))).first()
        erased = await session.get(Item, item.id)
    assert contact is None
    assert erased is not None and erased.description == ""


async def test_tokens_travel_in_query_strings_never_in_paths(
    client: httpx.AsyncClient,
) -> None:
    # given
    sent = await send_report(client)
    # when
    confirmation = await client.get(sent.headers["location"])
    # then
    assert sent.headers["location"].startswith("/suivi/confirmation?")
    token = token_in(sent.headers["location"])
    assert f"/{token}" not in confirmation.text
    assert f"jeton={token}" in confirmation.text
    assert confirmation.headers["referrer-policy"] == "no-referrer"


async def resolve(services: Services, token: str) -> None:
    """What staff do from their console, done with the rules."""
    async with services.db.writing() as session:
        item = await services.tracking_tokens.item_for(session, token, services.clock())
        for status in (Status.ACKNOWLEDGED, Status.RESOLVED):
            items.change_status(session, item, status, actor="staff:test", now=services.clock())


@pytest.mark.parametrize("satisfaction", ["²", "abc", "٣", "-1", "99999999999999999999"])
async def test_a_rating_that_is_not_a_number_is_refused_with_the_rules_message(
    client: httpx.AsyncClient, services: Services, satisfaction: str
) -> None:
    # given
    token = await reported(client)
    await resolve(services, token)
    # when
    refused = await act(client, token, "/suivi/avis", fixed="yes", satisfaction=satisfaction)
    # then
    assert refused.status_code == 400
    assert errors_by_field(refused.text) == {"satisfaction": "The rating goes from 1 to 5."}
    assert (await item_of(services, token)).feedback_fixed is None


async def test_a_refused_action_shows_the_page_again_with_what_was_typed(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    token = await reported(client)
    await resolve(services, token)
    # when: "was it fixed?" left unanswered
    refused = await act(client, token, "/suivi/avis", satisfaction="4", comment="Vite réparé")
    # then
    assert refused.status_code == 400
    assert set(errors_by_field(refused.text)) == {"fixed"}
    assert ">Vite réparé</textarea>" in refused.text
    assert re.search(r'name="satisfaction" type="radio" value="4" checked', refused.text)


async def test_a_revoked_link_and_an_expired_one_open_nothing_and_say_why(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: one link revoked (its item's nonce changed), one of an item closed a year ago
    revoked = await reported(client, description="Lampadaire éteint rue Saint-Aubin.")
    closed = await reported(client, description="Banc cassé square Mirault.")
    now = services.clock()
    async with services.db.writing() as session:
        item = await services.tracking_tokens.item_for(session, revoked, now)
        item.token_nonce = "0123456789abcdef"
        session.add(item)
        item = await services.tracking_tokens.item_for(session, closed, now)
        item.status, item.closed_at = Status.CLOSED.value, now
        session.add(item)
    real_clock = services.clock
    # when
    still = await client.get(f"/suivi?jeton={closed}&lang=en")
    services.clock = lambda: real_clock() + timedelta(days=366)
    try:
        expired = await client.get(f"/suivi?jeton={closed}&lang=en")
    finally:
        services.clock = real_clock
    gone = await client.get(f"/suivi?jeton={revoked}&lang=en")
    # then
    assert still.status_code == 200 and "Banc cassé square Mirault." in still.text
    assert expired.status_code == 404
    assert errors_by_field(expired.text) == {
        "code": "This tracking code has expired: the item was closed over a year ago."
    }
    assert gone.status_code == 404
    assert errors_by_field(gone.text) == {
        "code": "This tracking code is not valid. Check that it was copied whole."
    }
    for page in (expired, gone):
        assert "Lampadaire" not in page.text and "Banc cassé" not in page.text
        assert page.headers["cache-control"] == "no-store"


async def test_the_page_shows_the_residents_history_and_consents_in_force_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: staff answer publicly and write a note for themselves; the resident adds
    # information and withdraws one of their three consents
    token = await reported(client, **CONTACT, consent_share="1")
    item = await item_of(services, token)
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.data(
        "ItemTransition",
        {"reference": item.reference, "status": "ACKNOWLEDGED", "publicAnswer": "Vu, merci."},
    )
    async with services.db.writing() as session:
        opened = await services.tracking_tokens.item_for(session, token, services.clock())
        items.add_event(
            session,
            opened,
            EventKind.PRIVATE_NOTE,
            items.Audience.STAFF,
            actor="staff:test",
            now=services.clock(),
            text="Note interne : voir avec l'équipe du secteur nord.",
        )
    await act(client, token, "/suivi/information", information="Le trou s'élargit.")
    await act(client, token, "/suivi/consentement", purpose="satisfaction_survey")
    # when
    page = await client.get(f"/suivi?jeton={token}&lang=en")
    # then
    history = page.text.split('id="historique"')[1].split("</ol>")[0]
    assert "Vu, merci." in history
    assert "Le trou s&#39;élargit." in history
    assert "Note interne" not in page.text
    lines = re.findall(r"<li>", history)
    assert len(lines) == 3  # received, acknowledged with its answer, information: no note
    withdraw = page.text.split('action="/suivi/consentement')[1].split("</form>")[0]
    offered = re.findall(r'name="purpose" type="checkbox" value="([a-z_]+)"', withdraw)
    assert offered == ["follow_up_contact", "share_with_operator"]
