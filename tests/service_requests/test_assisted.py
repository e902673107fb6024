"""An agent requests a service for a resident without digital access; the resident follows
it with the reference and a short code. Only staff who work items may do it."""

from __future__ import annotations

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.service_requests.support import bulky_waste_input
from tests.staff.test_triage import staff
from tests.support import data_of, operation

pytestmark = pytest.mark.anyio


def assisted_input() -> dict[str, object]:
    values = bulky_waste_input()
    values["channel"] = "PHONE"
    return values


async def test_an_agent_requests_a_service_by_phone_and_hands_over_a_short_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    # when
    body = await agent.call("AssistedServiceRequestCreate", {"input": assisted_input()})
    # then
    payload = body["data"]["assistedServiceRequestCreate"]
    assert payload["errors"] == []
    reference = payload["serviceRequest"]["reference"]
    assert payload["serviceRequest"]["handlingBody"]["code"] == "alm-dechets"
    followed = await data_of(
        client, operation("TrackedByCode"), {"reference": reference, "code": payload["shortCode"]}
    )
    assert followed["trackedByCode"]["item"]["reference"] == reference


@pytest.mark.parametrize(
    ("role", "code"), [(None, "NOT_AUTHENTICATED"), (Role.COUNCIL, "FORBIDDEN")]
)
async def test_only_staff_working_items_may_request_for_a_resident(
    client: httpx.AsyncClient, services: Services, role: Role | None, code: str
) -> None:
    # when
    if role is None:
        data = await data_of(
            client, operation("AssistedServiceRequestCreate"), {"input": assisted_input()}
        )
    else:
        caller = await staff(services, client, "alm", role, scopes=("items:read",))
        data = (await caller.call("AssistedServiceRequestCreate", {"input": assisted_input()}))[
            "data"
        ]
    # then
    errors = data["assistedServiceRequestCreate"]["errors"]
    assert len(errors) == 1
    assert errors[0]["code"] == code
