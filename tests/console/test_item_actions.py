"""The queue and an item's page over HTTP: filters, counts, keyset pages, live rows, the map's
points; every action as a form, its refusals beside its fields; the contact read deliberately
and logged; another body's item « not found »."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.privacy.models import ContactAccess
from service.staff.models import AuditEntry, Role
from tests.console.support import new_item, signed_in
from tests.support import BEHUARD, PONTS_DE_CE_TOWN_HALL

pytestmark = pytest.mark.anyio


async def test_the_queue_shows_my_bodies_items_with_counts_and_filters(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    reference = await new_item(client, description="Lampadaire éteint depuis trois jours.")
    # when
    everything = await agent.get("/console", order="newest_first")
    submitted = await agent.get("/console", status="submitted", order="newest_first")
    resolved = await agent.get("/console", status="resolved", order="newest_first")
    # then
    assert everything.status_code == 200
    assert reference in everything.text
    assert "Lampadaire éteint" in everything.text
    assert re.search(r"Submitted \(\d+\)", everything.text)
    assert reference in submitted.text
    assert reference not in resolved.text
    assert 'name="status" type="checkbox" value="submitted" checked' in submitted.text


async def test_the_queue_pages_by_keyset_and_refuses_a_forged_cursor(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    for _ in range(3):
        await new_item(client)
    first = await agent.get("/console", order="newest_first", taille="2")
    # when
    found = re.search(r'href="(/console\?[^"]*apres=[^"]+)">Next page', first.text)
    assert found, "a queue with more items than a page links to the next page"
    second = await agent.get(found.group(1).replace("&amp;", "&"))
    forged = await agent.get("/console", apres="bm90LWEtY3Vyc29y")
    # then
    assert second.status_code == 200
    first_refs = set(re.findall(r'<th scope="row"><a [^>]+>([^<]+)', first.text))
    second_refs = set(re.findall(r'<th scope="row"><a [^>]+>([^<]+)', second.text))
    assert first_refs and second_refs and not first_refs & second_refs
    assert forged.status_code == 400


async def test_new_items_come_as_rows_for_the_live_queue(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    page = await agent.get("/console", order="newest_first")
    since = re.search(r'data-since="(\d+)"', page.text)
    assert since
    # when
    reference = await new_item(client)
    rows = await agent.get("/console/nouveaux", depuis=since.group(1))
    nothing_new = await agent.get("/console/nouveaux", depuis=str(10**9))
    # then
    assert rows.status_code == 200
    assert reference in rows.text and "<html" not in rows.text
    assert "ALM-" not in nothing_new.text


async def test_the_map_points_are_the_filtered_queue(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    reference = await new_item(client)
    # when
    page = await agent.get("/console/carte", order="newest_first")
    points = await agent.get("/console/carte.json", order="newest_first")
    # then
    assert page.status_code == 200
    assert 'id="queue-map"' in page.text
    found = {p["reference"]: p for p in points.json()}
    assert found[reference]["href"] == f"/console/dossiers/{reference}"


async def test_an_item_page_shows_the_staff_view_and_another_body_gets_not_found(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    avrille = await signed_in(services, client, body="mairie-49015")
    reference = await new_item(client, description="Trou dangereux, appelez-moi au 06 12 34 56 78")
    # when
    mine = await agent.get(f"/console/dossiers/{reference}")
    theirs = await avrille.get(f"/console/dossiers/{reference}")
    by_reference = await agent.get("/console/dossiers", reference=reference.lower())
    # then
    assert mine.status_code == 200
    assert "06 12 34 56 78" in mine.text  # staff read the full description, unmasked
    assert "Read the contact" in mine.text
    assert theirs.status_code == 404
    assert reference not in theirs.text.split("<main", 1)[1] or "no item" in theirs.text
    assert by_reference.headers["location"] == f"/console/dossiers/{reference}"


async def test_acknowledge_answer_from_a_template_in_the_residents_language_and_note(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    supervisor = await signed_in(services, client, role=Role.SUPERVISOR)
    agent = await signed_in(services, client)
    reference = await new_item(client, language="en")
    for language, text in (
        ("fr", "Travaux prévus ({reference})."),
        ("en", "Work is planned ({reference})."),
    ):
        saved = await client.post(
            "/graphql",
            json={
                "query": "mutation($i: AnswerTemplateSaveInput!) { answerTemplateSave(input: $i) "
                "{ errors { code } } }",
                "variables": {
                    "i": {
                        "code": "works-planned",
                        "language": language,
                        "title": "Travaux",
                        "text": text,
                    }
                },
            },
            headers={"authorization": f"Bearer {await _token(services, supervisor.staff_id)}"},
        )
        assert saved.json()["data"]["answerTemplateSave"]["errors"] == []
    base = f"/console/dossiers/{reference}"
    # when
    acknowledged = await agent.post(f"{base}/prise-en-charge", "console-item-prise-en-charge", {})
    answered = await agent.post(
        f"{base}/statut",
        "console-item-statut",
        {"status": "in_progress", "template": "works-planned", "note": "Équipe B lundi."},
    )
    page = await agent.get(base)
    # then
    assert acknowledged.status_code == 303
    assert answered.status_code == 303
    assert f"Work is planned ({reference})." in page.text
    assert "Équipe B lundi." in page.text and "staff only" in page.text
    tracked = await client.post(
        "/graphql",
        json={
            "query": "query($r: String!) { report(reference: $r) { status history { text } } }",
            "variables": {"r": reference},
        },
    )
    report = tracked.json()["data"]["report"]
    assert report["status"] == "IN_PROGRESS"
    texts = [h["text"] for h in report["history"]]
    assert f"Work is planned ({reference})." in texts
    assert "Équipe B lundi." not in texts  # the private note stays with staff


async def _token(services: Services, staff_id: int) -> str:
    from service.staff import rules

    async with services.db.writing() as session:
        _, token = await rules.create_access_token(
            session, staff_id, "t", ["items:read", "items:write"], services.clock()
        )
    return token


async def test_refusals_show_beside_their_fields(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    reference = await new_item(client)
    base = f"/console/dossiers/{reference}"
    # when
    both = await agent.post(
        f"{base}/statut", "console-item-statut", {"answer": "Merci", "template": "works-planned"}
    )
    empty_reason = await agent.post(f"{base}/rejet", "console-item-rejet", {"reason": " "})
    unknown_original = await agent.post(
        f"{base}/doublon", "console-item-doublon", {"original": "ALM-1999-000001"}
    )
    # then
    assert both.status_code == 400
    assert 'id="field-answer-error"' in both.text
    assert "Type an answer or choose a template, not both." in both.text
    assert empty_reason.status_code == 400 and 'id="field-reason-error"' in empty_reason.text
    assert unknown_original.status_code == 400
    assert 'id="field-original-error"' in unknown_original.text


async def test_an_agent_may_not_reroute_but_a_supervisor_may(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    supervisor = await signed_in(services, client, role=Role.SUPERVISOR)
    reference = await new_item(client)
    base = f"/console/dossiers/{reference}"
    form = {"category": "graffiti", "latitude": "", "longitude": "", "body": ""}
    # when
    refused = await agent.post(f"{base}/reacheminement", "console-item-reacheminement", form)
    outside = await supervisor.post(
        f"{base}/reacheminement",
        "console-item-reacheminement",
        {"category": "", "latitude": str(BEHUARD[0] + 5), "longitude": "-0.6", "body": ""},
    )
    moved = await supervisor.post(
        f"{base}/reacheminement",
        "console-item-reacheminement",
        {
            "category": "",
            "latitude": str(PONTS_DE_CE_TOWN_HALL[0]),
            "longitude": str(PONTS_DE_CE_TOWN_HALL[1]),
            "body": "",
        },
    )
    # then
    assert refused.status_code == 403
    assert outside.status_code == 400
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/console?fait=reacheminement&reference={reference}"
    back = await supervisor.get(moved.headers["location"])
    assert f"{reference} was re-routed to another body" in back.text
    assert (await supervisor.get(base)).status_code == 404  # now the Ponts-de-Cé's item


async def test_reading_the_contact_asks_first_then_shows_it_and_logs_the_read(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    reference = await new_item(client)
    base = f"/console/dossiers/{reference}/contact"
    # when
    confirmation = await agent.get(base)
    read = await agent.post(base, "console-contact-read", {})
    # then
    assert confirmation.status_code == 200
    assert "camille@example.org" not in confirmation.text
    assert "Your reading is logged" in confirmation.text
    assert read.status_code == 200
    assert "camille@example.org" in read.text and "Camille Habitant" in read.text
    assert read.headers["cache-control"] == "no-store"
    async with services.db.reading() as session:
        reads = (
            await session.exec(
                select(ContactAccess).where(ContactAccess.staff_id == agent.staff_id)
            )
        ).all()
        audit = (
            await session.exec(
                select(AuditEntry.action).where(AuditEntry.staff_id == agent.staff_id)
            )
        ).all()
    assert len(reads) == 1
    assert "contact_read" in audit


async def test_assign_to_me_then_a_supervisor_assigns_a_colleague(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client, name="Alex Agent")
    supervisor = await signed_in(services, client, role=Role.SUPERVISOR)
    reference = await new_item(client)
    base = f"/console/dossiers/{reference}"
    # when
    taken = await agent.post(f"{base}/attribution", "console-item-attribution", {"assignee": "me"})
    given_away = await agent.post(
        f"{base}/attribution", "console-item-attribution", {"assignee": str(supervisor.staff_id)}
    )
    reassigned = await supervisor.post(
        f"{base}/attribution", "console-item-attribution", {"assignee": str(agent.staff_id)}
    )
    mine = await agent.get("/console", assigned="me", order="newest_first")
    # then
    assert taken.status_code == 303
    assert given_away.status_code == 403  # agents take items for themselves only
    assert reassigned.status_code == 303
    assert reference in mine.text
    page = await supervisor.get(base)
    assert f'<option value="{agent.staff_id}"' in page.text


async def test_mark_duplicate_and_reject(client: httpx.AsyncClient, services: Services) -> None:
    # given
    agent = await signed_in(services, client)
    # A place of their own in Angers: the « nearby » list is capped, and other tests fill the
    # town hall's square with potholes.
    point = (47.479, -0.563)
    original = await new_item(client, point=point)
    duplicate = await new_item(client, point=point)
    other = await new_item(client, point=point)
    # when
    page = await agent.get(f"/console/dossiers/{duplicate}")
    merged = await agent.post(
        f"/console/dossiers/{duplicate}/doublon", "console-item-doublon", {"original": original}
    )
    rejected = await agent.post(
        f"/console/dossiers/{other}/rejet", "console-item-rejet", {"reason": "Domaine privé."}
    )
    # then
    assert original in page.text  # among the items nearby
    assert merged.status_code == 303
    assert rejected.status_code == 303
    assert "Duplicate" in (await agent.get(f"/console/dossiers/{duplicate}")).text
    assert "Domaine privé." in (await agent.get(f"/console/dossiers/{other}")).text


async def test_a_council_member_signed_in_sees_no_item(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    council = await signed_in(services, client, body="alm", role=Role.COUNCIL)
    # when
    queue = await council.get("/console")
    tokens = await council.get("/console/jetons")
    # then
    assert queue.status_code == 403
    assert tokens.status_code == 200
