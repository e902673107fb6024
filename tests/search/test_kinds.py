"""Other kinds of items in the index: a service request at a home is found by its handling
body's staff (answers included) and never by the public; a public one is found by anyone."""

from __future__ import annotations

import random
import uuid

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.search.test_consistency import word
from tests.search.test_relevance import search
from tests.service_requests.support import bulky_waste_input, request_service, tree_pruning_input
from tests.staff.test_triage import staff

pytestmark = pytest.mark.anyio


async def test_a_home_request_is_found_by_its_body_only_a_public_one_by_anyone(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: a bulky-waste pickup at home (gate code in an answer) and a tree in the street
    marker = word(random.Random(uuid.uuid4().int))
    home = await request_service(
        search_client,
        bulky_waste_input(
            description=f"Canapé {marker}",
            answers=[
                {"code": "items", "values": ["furniture"]},
                {"code": "volume_m3", "value": "2"},
                {"code": "preferred_date", "value": bulky_waste_input()["answers"][2]["value"]},
                {"code": "access_notes", "value": f"Digicode {marker}"},
            ],
        ),
    )
    street = await request_service(
        search_client, tree_pruning_input(description=f"Branches basses {marker}")
    )
    assert home["errors"] == [] and street["errors"] == []
    await search_services.search_indexer.catch_up()
    body = home["serviceRequest"]["handlingBody"]["code"]
    agent = await staff(search_services, search_client, body, Role.AGENT)
    # when
    public = await search(search_client, marker)
    staff_result = (await agent.call("Search", {"query": marker}))["data"]["search"]
    # then
    public_refs = {hit["reference"] for hit in public["hits"]}
    staff_refs = {hit["reference"] for hit in staff_result["hits"]}
    assert public_refs == {street["serviceRequest"]["reference"]}
    assert home["serviceRequest"]["reference"] in staff_refs
    assert "Digicode" not in str(public)
