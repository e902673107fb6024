"""Personal data held by the other kinds of items: a service request's answers and an
opinion's comment follow the same rights and retention as a report's free text."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.items import rules as items
from service.items.lifecycle import Status
from service.privacy.retention import purge
from service.sensors.models import SensorOpinion
from service.service_requests.models import ServiceRequestDetail
from service.staff.models import Role
from tests.privacy.helpers import finish
from tests.sensors.support import create_sensor, staff
from tests.sensors.test_opinions import give
from tests.service_requests.support import bulky_waste_input, request_service
from tests.support import data_of, operation

pytestmark = pytest.mark.anyio

GATE_CODE = "Digicode 4521B, rez-de-chaussée"


async def answers_of(services: Services, reference: str) -> dict[str, object]:
    async with services.db.reading() as session:
        item = await items.get_by_reference(session, reference)
        assert item is not None
        detail = await session.get(ServiceRequestDetail, item.id)
    assert detail is not None
    answers: dict[str, object] = json.loads(detail.answers)
    return answers


async def test_a_service_requests_answers_are_exported_and_erased(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a bulky-waste pickup whose access notes hold a gate code
    payload = await request_service(client, bulky_waste_input())
    reference = payload["serviceRequest"]["reference"]
    token = payload["trackingToken"]
    # when
    exported = await data_of(client, operation("MyDataExport"), {"token": token})
    await data_of(client, operation("MyDataErase"), {"token": token})
    # then: the export held the answers; erasure removed them, the request stays
    document = json.loads(exported["myDataExport"]["document"])
    assert document["item"]["service"] == "bulky_waste_pickup"
    assert document["item"]["answers"]["access_notes"] == GATE_CODE
    assert await answers_of(services, reference) == {}


async def test_the_purge_redacts_answers_and_opinion_comments_after_five_years(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given: a closed service request, and an opinion with a comment, both at t0
    services = fresh_services
    t0 = services.clock()
    payload = await request_service(fresh_client, bulky_waste_input())
    reference = payload["serviceRequest"]["reference"]
    await finish(services, reference, Status.CLOSED, t0)
    agent = await staff(services, fresh_client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(agent))["slug"]
    given = await give(fresh_client, slug, comment="Je passe tous les jours, Camille M.")
    assert given["errors"] == []
    periods = services.retention_periods
    boundary = t0 + timedelta(days=periods.free_text_days)
    # when
    early = await purge(services.db, periods, boundary - timedelta(days=1), dry_run=True)
    done = await purge(services.db, periods, boundary + timedelta(days=1))
    # then
    assert (early["free_texts"], early["opinion_comments"]) == (0, 0)
    assert (done["free_texts"], done["opinion_comments"]) == (1, 1)
    assert await answers_of(services, reference) == {}
    async with services.db.reading() as session:
        opinion = (await session.exec(select(SensorOpinion))).one()
    assert opinion.comment is None
    assert opinion.acceptance == 4  # the anonymous opinion still counts
