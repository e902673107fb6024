"""Moderation in the console over HTTP: the queue of held and flagged texts of my bodies, one
item's decision form calling the rule ``itemModerate`` calls, its refusals beside its fields,
and another body's item « not found »."""

from __future__ import annotations

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.console.support import new_item, signed_in
from tests.support import data_of, operation

pytestmark = pytest.mark.anyio

STATION = (47.4644, -0.5566)  # away from the town hall, where other tests gather reports
INSULT = "Tags partout, espèce de connard de voisin."


async def public_description(client: httpx.AsyncClient, reference: str) -> str:
    data = await data_of(client, operation("Report"), {"reference": reference}, language="en")
    return str(data["report"]["description"])


async def test_a_held_text_is_listed_then_released_from_the_console(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given a held report of my body, and its public view
    agent = await signed_in(services, client)
    reference = await new_item(client, description=INSULT, point=STATION)
    assert await public_description(client, reference) == "Hidden by moderation."
    # when I open the moderation queue and the item's decision form
    listed = await agent.get("/console/moderation")
    form = await agent.get(f"/console/moderation/{reference}")
    # then both show it, with the resident's text whole
    assert listed.status_code == 200 and reference in listed.text
    assert "Held: a listed word" in listed.text
    assert form.status_code == 200 and "espèce de connard" in form.text
    assert 'href="/console/moderation"' in listed.text  # the menu's entry

    # when I release it with a reason
    done = await agent.post(
        f"/console/moderation/{reference}",
        "console-moderation",
        {"action": "release", "reason": "Relu : critique, pas une insulte visée."},
    )

    # then I am back on the list with what was done, and the public reads the text
    assert done.status_code == 303
    assert done.headers["location"].startswith("/console/moderation?fait=release")
    assert await public_description(client, reference) == INSULT
    assert reference not in (await agent.get("/console/moderation")).text


async def test_an_edit_needs_its_text_and_a_reason_shown_beside_their_fields(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given a held report
    agent = await signed_in(services, client)
    reference = await new_item(client, description=INSULT, point=STATION)
    # when I choose to publish a rewritten text without writing it nor a reason
    refused = await agent.post(
        f"/console/moderation/{reference}", "console-moderation", {"action": "edit"}
    )
    nothing = await agent.post(f"/console/moderation/{reference}", "console-moderation", {})
    # then the form comes back with the errors beside their fields; nothing changed
    assert refused.status_code == 400
    assert 'id="field-reason-error"' in refused.text
    assert 'id="field-public_text-error"' in refused.text
    assert nothing.status_code == 400 and 'id="field-action-error"' in nothing.text
    assert await public_description(client, reference) == "Hidden by moderation."

    # when I give both
    edited = await agent.post(
        f"/console/moderation/{reference}",
        "console-moderation",
        {"action": "edit", "public_text": "Tags partout.", "reason": "Insulte retirée."},
    )
    # then the public reads the edit
    assert edited.status_code == 303
    assert await public_description(client, reference) == "Tags partout."


async def test_moderation_pages_are_the_handling_bodys_and_not_the_councils(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given a held report of Angers
    reference = await new_item(client, description=INSULT, point=STATION)
    other = await signed_in(services, client, "mairie-49246")
    council = await signed_in(services, client, "alm", Role.COUNCIL)
    # when others open or post the decision
    other_form = await other.get(f"/console/moderation/{reference}")
    other_post = await other.post(
        f"/console/moderation/{reference}",
        "console-moderation",
        {"action": "release", "reason": "x"},
    )
    council_list = await council.get("/console/moderation")
    # then another body's item does not exist for them; council members are refused
    assert other_form.status_code == 404 and other_post.status_code == 404
    assert reference not in (await other.get("/console/moderation")).text
    assert council_list.status_code == 403
    assert await public_description(client, reference) == "Hidden by moderation."


async def test_an_expired_form_changes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given a held report and a form posted without its token
    agent = await signed_in(services, client)
    reference = await new_item(client, description=INSULT, point=STATION)
    # when
    response = await client.post(
        f"/console/moderation/{reference}",
        data={"action": "release", "reason": "x", "csrf_token": "forged"},
        headers=agent._headers(),
    )
    # then
    assert response.status_code == 403
    assert await public_description(client, reference) == "Hidden by moderation."
