"""Moderation and search, on both engines: a text withheld by moderation (hidden, held, or
the item rejected) is found by no public search, and staff still find it."""

from __future__ import annotations

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.search.test_relevance import search
from tests.support import staff, submit_report

pytestmark = pytest.mark.anyio


async def test_a_hidden_text_is_found_by_no_public_search_and_by_staff(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given a public report found by a word of its text
    word = "zinzolinmoderation"
    reference = (
        await submit_report(
            search_client,
            categoryCode="graffiti",
            description=f"Graffiti {word} sur le portail du square.",
        )
    )["report"]["reference"]
    await search_services.search_indexer.catch_up()
    assert [h["reference"] for h in (await search(search_client, word))["hits"]] == [reference]
    agent = await staff(search_services, search_client, "mairie-49007", Role.AGENT)

    # when staff hide it
    hidden = await agent.data(
        "ItemModerate", {"reference": reference, "action": "HIDE", "reason": "Charte"}
    )
    assert hidden["itemModerate"]["errors"] == []
    await search_services.search_indexer.catch_up()

    # then no public search finds it, staff still do
    assert (await search(search_client, word))["totalCount"] == 0
    staff_result = await agent.data("Search", {"query": word})
    assert [h["reference"] for h in staff_result["search"]["hits"]] == [reference]

    # when staff release it, the public finds it again
    await agent.data(
        "ItemModerate", {"reference": reference, "action": "RELEASE", "reason": "Relu"}
    )
    await search_services.search_indexer.catch_up()
    assert [h["reference"] for h in (await search(search_client, word))["hits"]] == [reference]


async def test_held_and_rejected_texts_are_found_by_no_public_search(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given a held report and a report then rejected
    held_word, rejected_word = "amarantheld", "vermillonrejet"
    await submit_report(
        search_client,
        categoryCode="graffiti",
        description=f"Tag {held_word} signé par un connard du quartier.",
    )
    rejected = (
        await submit_report(
            search_client, categoryCode="graffiti", description=f"Tag {rejected_word} ici."
        )
    )["report"]["reference"]
    agent = await staff(search_services, search_client, "mairie-49007", Role.AGENT)
    await agent.data("ItemReject", {"reference": rejected, "reason": "Doublon."})
    # when the index has caught up
    await search_services.search_indexer.catch_up()
    # then neither is found publicly; staff find both
    for word in (held_word, rejected_word):
        assert (await search(search_client, word))["totalCount"] == 0, word
        assert (await agent.data("Search", {"query": word}))["search"]["totalCount"] == 1, word
