"""Report a problem without JavaScript: the form, its errors, "already reported nearby?",
« me too », and exactly one report per submission."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.items.models import Item
from service.privacy.models import Consent
from tests.support import ANGERS_TOWN_HALL, submit_report
from tests.web.journeys import (
    errors_by_field,
    open_form,
    post_form,
    send_report,
    tied_to_a_field,
    token_in,
    valid_report,
)
from tests.web.support import LANGUAGES, assert_secure_page, inline_code

pytestmark = pytest.mark.anyio


async def items_with_key(services: Services, key: str) -> list[Item]:
    async with services.db.reading() as session:
        return list((await session.exec(select(Item).where(Item.idempotency_key == key))).all())


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_report_form_speaks_the_readers_language(
    client: httpx.AsyncClient, language: str
) -> None:
    # when
    response = await client.get(f"/signaler?lang={language}")
    # then
    assert response.status_code == 200
    _, html = inline_code(response.text)
    assert html["lang"] == language
    assert html["dir"] == ("rtl" if language == "ar" else "ltr")
    assert_secure_page(response)
    assert 'name="category"' in response.text
    assert 'name="commune"' in response.text


async def test_a_category_label_is_escaped_once(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/signaler?lang=fr")
    # then: « Fuite d'eau » reads as written, not « Fuite d&#39;eau »
    assert "Fuite d&#39;eau" in response.text
    assert "&amp;#39;" not in response.text


async def test_a_report_pinned_on_the_map_makes_one_item_and_a_confirmation(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    _, fields = await open_form(client, "/signaler?lang=en")
    # when
    sent = await post_form(client, "/signaler?lang=en", {**fields, **valid_report()})
    confirmation = await client.get(sent.headers["location"])
    # then
    assert sent.status_code == 303
    found = await items_with_key(services, fields["idempotency_key"])
    assert len(found) == 1
    item = found[0]
    assert item.channel == "web" and item.language == "en" and item.commune_code == "49007"
    assert confirmation.status_code == 200
    assert item.reference in confirmation.text
    assert "/suivi?jeton=" in confirmation.text
    assert "<svg" in confirmation.text  # the QR code, made on the server
    assert services.tracking_tokens.short_code(item) in confirmation.text
    assert confirmation.headers["cache-control"] == "no-store"
    assert confirmation.headers["referrer-policy"] == "no-referrer"


async def test_without_a_map_the_report_is_placed_at_the_commune_with_its_address(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: no pin, the commune from the list and the address typed
    _, fields = await open_form(client, "/signaler")
    report = valid_report(latitude="", longitude="", commune="49246", address="Place du marché")
    # when
    sent = await post_form(client, "/signaler", {**fields, **report})
    # then
    assert sent.status_code == 303
    (item,) = await items_with_key(services, fields["idempotency_key"])
    assert (item.latitude, item.longitude) == (None, None)
    assert item.commune_code == "49246"
    assert item.address_text == "Place du marché"


async def test_the_same_form_posted_twice_makes_one_item(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    _, fields = await open_form(client, "/signaler")
    form = {**fields, **valid_report()}
    # when
    first = await post_form(client, "/signaler", form)
    second = await post_form(client, "/signaler", form)
    # then
    assert first.status_code == second.status_code == 303
    assert token_in(first.headers["location"]) == token_in(second.headers["location"])
    assert len(await items_with_key(services, fields["idempotency_key"])) == 1


async def test_a_wrong_form_shows_each_error_beside_its_field_in_the_readers_language(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: no category, no place, no description, a contact without consent
    _, fields = await open_form(client, "/signaler?lang=de")
    wrong = valid_report(
        category="", latitude="", longitude="", description=" ", contact_email="jo@example.org"
    )
    # when
    response = await post_form(client, "/signaler?lang=de", {**fields, **wrong})
    # then
    assert response.status_code == 400
    shown = errors_by_field(response.text)
    assert set(shown) == {"category", "commune", "address", "description", "consent_follow_up"}
    assert shown["description"] == "Bitte schreiben Sie ein paar Worte."
    assert all(tied_to_a_field(response.text, name) for name in shown)
    assert 'class="error-summary"' in response.text
    assert 'href="#field-description"' in response.text
    assert "jo@example.org" in response.text  # what was typed is kept
    assert await items_with_key(services, fields["idempotency_key"]) == []


async def test_a_place_outside_alm_is_refused_beside_the_place(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await send_report(client, "en", latitude="47.351", longitude="-0.762")
    # then
    assert response.status_code == 400
    assert errors_by_field(response.text) == {
        "place": "This place is outside the 29 communes of Angers Loire Métropole."
    }


async def test_a_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    _, fields = await open_form(client, "/signaler")
    fields["csrf_token"] = "forged"
    # when
    response = await post_form(client, "/signaler", {**fields, **valid_report()})
    # then
    assert response.status_code == 403
    assert await items_with_key(services, fields["idempotency_key"]) == []


async def test_a_report_already_made_nearby_is_shown_before_sending_and_can_be_supported(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given: an open pothole report at the town hall
    existing = await submit_report(fresh_client, point=ANGERS_TOWN_HALL)
    reference = existing["report"]["reference"]
    _, fields = await open_form(fresh_client, "/signaler?lang=en")
    form = {**fields, **valid_report(nearby_seen="")}
    # when: the resident sends theirs
    shown = await post_form(fresh_client, "/signaler?lang=en", form)
    # then: it is not sent yet; the open report is shown with « me too »
    assert shown.status_code == 200
    assert "Already reported nearby?" in shown.text
    assert f'name="reference" value="{reference}"' in shown.text
    assert await items_with_key(fresh_services, fields["idempotency_key"]) == []
    # when: they say « me too » instead, twice
    supported = await post_form(
        fresh_client, "/signaler/soutien?lang=en", {**form, "reference": reference}
    )
    again = await post_form(
        fresh_client, "/signaler/soutien?lang=en", {**form, "reference": reference}
    )
    # then: counted once for this browser
    assert supported.status_code == again.status_code == 200
    assert "1 person supports this" in supported.text
    assert "counted once" in again.text
    assert await items_with_key(fresh_services, fields["idempotency_key"]) == []


async def test_a_resident_may_still_send_theirs_after_seeing_the_reports_nearby(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given
    await submit_report(fresh_client, point=ANGERS_TOWN_HALL)
    _, fields = await open_form(fresh_client, "/signaler")
    shown = await post_form(fresh_client, "/signaler", {**fields, **valid_report(nearby_seen="")})
    assert 'name="nearby_seen" value="1"' in shown.text
    # when: « no, mine is different »
    sent = await post_form(fresh_client, "/signaler", {**fields, **valid_report(nearby_seen="1")})
    # then
    assert sent.status_code == 303
    assert len(await items_with_key(fresh_services, fields["idempotency_key"])) == 1


async def test_a_consented_contact_is_stored_with_the_consent_texts_version(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    _, fields = await open_form(client, "/signaler")
    contact = {"contact_email": "jo@example.org", "consent_follow_up": "1", "consent_survey": "1"}
    # when
    sent = await post_form(client, "/signaler", {**fields, **valid_report(**contact)})
    # then
    assert sent.status_code == 303
    (item,) = await items_with_key(services, fields["idempotency_key"])
    async with services.db.reading() as session:
        consents = (await session.exec(select(Consent).where(Consent.item_id == item.id))).all()
    assert {c.purpose for c in consents} == {"follow_up_contact", "satisfaction_survey"}
    assert {c.text_version for c in consents} == {"web-2026-06"}


async def test_the_consent_texts_version_is_the_servers_not_the_browsers(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a form claiming another version of the texts read
    html, fields = await open_form(client, "/signaler")
    contact = {"contact_email": "jo@example.org", "consent_follow_up": "1"}
    forged = {**fields, **valid_report(**contact), "consent_text_version": "forged-1999"}
    # when
    sent = await post_form(client, "/signaler", forged)
    # then
    assert 'name="consent_text_version"' not in html
    assert sent.status_code == 303
    (item,) = await items_with_key(services, fields["idempotency_key"])
    async with services.db.reading() as session:
        consents = (await session.exec(select(Consent).where(Consent.item_id == item.id))).all()
    assert {c.text_version for c in consents} == {"web-2026-06"}


class SubmitButtons(HTMLParser):
    """The submit buttons each form owns, in tree order: a button's ``form`` attribute names
    its form, else it is the enclosing form's (what Enter in a field presses is the first)."""

    def __init__(self) -> None:
        super().__init__()
        self.enclosing: list[str] = []
        self.owned: dict[str, list[dict[str, str | None]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "form":
            form_id = names.get("id") or ("report" if "data-report-form" in names else "?")
            self.enclosing.append(form_id)
        elif tag == "button" and names.get("type", "submit") == "submit":
            owner = names.get("form") or (self.enclosing[-1] if self.enclosing else "")
            self.owned.setdefault(owner, []).append(names)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.enclosing:
            self.enclosing.pop()


async def test_enter_in_the_report_form_sends_the_report_not_me_too(
    fresh_client: httpx.AsyncClient,
) -> None:
    # given: a report already made nearby, shown with « me too »
    await submit_report(fresh_client, point=ANGERS_TOWN_HALL)
    _, fields = await open_form(fresh_client, "/signaler?lang=en")
    # when
    shown = await post_form(
        fresh_client, "/signaler?lang=en", {**fields, **valid_report(nearby_seen="")}
    )
    buttons = SubmitButtons()
    buttons.feed(shown.text)
    # then: the report form's default button is its own; « me too » posts the support form
    assert "Already reported nearby?" in shown.text
    assert "data-submit" in buttons.owned["report"][0]
    assert len(buttons.owned["report"]) == 1
    assert [b["name"] for b in buttons.owned["support-form"]] == ["reference"]
    assert 'id="support-form" method="post" action="/signaler/soutien?lang=en"' in shown.text
