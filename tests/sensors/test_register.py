"""The sensor register: staff of the accountable body (and ALM's administrators) create,
edit and remove sensors, every change in the audit log; the public reads them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.sensors.support import RALLIEMENT, create_sensor, sensor_input, staff, unique_slug
from tests.support import data_of, graphql, operation

pytestmark = pytest.mark.anyio


async def test_staff_of_the_accountable_body_create_a_sensor_the_public_reads(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: an agent of ALM's roads directorate
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    # when
    created = await create_sensor(agent)
    public = (await data_of(client, operation("Sensor"), {"slug": created["slug"]}, language="fr"))[
        "sensor"
    ]
    # then: the commune comes from the point, the DTPR sign is in French with its variables
    assert public["commune"] == {"code": "49007", "name": "Angers"}
    assert public["accountableBody"]["code"] == "alm-voirie"
    assert public["status"] == "ACTIVE" and public["statusLabel"] == "Actif"
    assert public["installedOn"] is not None  # active without a date: installed today
    assert public["isExample"] is False
    retention = next(e for e in public["dtpr"] if e["categoryId"] == "retention")
    assert retention["name"] == "Retenu 12 mois"
    assert "12 mois" in retention["description"] and "{{" not in retention["description"]
    assert [e["categoryId"] for e in public["dtpr"]] == [
        "purpose",
        "tech",
        "retention",
        "accountable",
    ]


async def test_an_edit_and_a_removal_are_audited_and_the_page_stays_public(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    admin = await staff(services, client, "alm", Role.ADMIN)
    slug = (await create_sensor(agent))["slug"]
    # when: renamed and moved, then removed
    edited = (
        await agent.data(
            "SensorUpdate",
            {
                "input": {
                    "slug": slug,
                    "name": "Capteur de places",
                    "latitude": RALLIEMENT[0],
                    "longitude": RALLIEMENT[1],
                    "placeName": "Place du Ralliement",
                }
            },
        )
    )["sensorUpdate"]
    removed = (await agent.data("SensorUpdate", {"input": {"slug": slug, "status": "REMOVED"}}))[
        "sensorUpdate"
    ]
    log = (await admin.data("AuditLog", {"first": 100}))["auditLog"]["entries"]
    on_map = await data_of(client, operation("Sensors"), {"first": 100})
    page = await data_of(client, operation("Sensor"), {"slug": slug})
    # then
    assert edited["errors"] == [] and edited["sensor"]["name"] == "Capteur de places"
    assert removed["errors"] == [] and removed["sensor"]["status"] == "REMOVED"
    assert removed["sensor"]["removedOn"] is not None
    mine = [e for e in log if e["detail"] and slug in e["detail"]]
    assert [e["action"] for e in mine] == ["sensor_updated", "sensor_updated", "sensor_created"]
    assert all(e["staffId"] == str(agent.staff_id) for e in mine)
    assert "name" in mine[1]["detail"] and "latitude" in mine[1]["detail"]
    assert "status" in mine[0]["detail"]
    assert slug not in [e["node"]["slug"] for e in on_map["sensors"]["edges"]]
    assert page["sensor"]["status"] == "REMOVED"


@pytest.mark.parametrize(
    ("body", "role", "code"),
    [
        (None, None, "NOT_AUTHENTICATED"),
        ("mairie-49007", Role.AGENT, "FORBIDDEN"),  # Angers' town hall: not accountable
        ("alm-voirie", Role.COUNCIL, "FORBIDDEN"),  # council members read trends only
    ],
)
async def test_only_the_accountable_body_or_alm_admins_manage_a_sensor(
    client: httpx.AsyncClient, services: Services, body: str | None, role: Role | None, code: str
) -> None:
    # given
    variables = {"input": sensor_input()}
    # when
    if body is None or role is None:
        response = await graphql(client, operation("SensorCreate"), variables)
        payload: dict[str, Any] = response.json()["data"]["sensorCreate"]
    else:
        member = await staff(services, client, body, role)
        payload = (await member.data("SensorCreate", variables))["sensorCreate"]
    # then
    assert payload["sensor"] is None
    assert len(payload["errors"]) == 1 and payload["errors"][0]["code"] == code


async def test_an_alm_admin_manages_any_sensor(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a sensor of Angers' town hall
    admin = await staff(services, client, "alm", Role.ADMIN)
    # when
    sensor = await create_sensor(admin, accountableBodyCode="mairie-49007")
    # then
    assert sensor["accountableBody"]["code"] == "mairie-49007"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"slug": "Not A Slug"}, "slug", "INVALID_SLUG"),
        ({"point": (47.351, -0.762)}, "latitude", "OUTSIDE_ALM"),
        ({"accountableBodyCode": "nobody"}, "accountableBodyCode", "UNKNOWN_BODY"),
        (
            {"dtpr": [{"category": "purpose", "element": "teleportation"}]},
            "dtpr.0",
            "UNKNOWN_DTPR_ELEMENT",
        ),
        (
            {"dtpr": [{"category": "tech", "element": "mobility"}]},
            "dtpr.0",
            "UNKNOWN_DTPR_ELEMENT",
        ),  # an id is unique only within its category
        (
            {"dtpr": [{"category": "retention", "element": "data_retained"}]},
            "dtpr.0.variables",
            "MISSING_VARIABLE",
        ),
        ({"openDataUrl": "javascript:alert(1)"}, "openDataUrl", "INVALID_URL"),
        (
            {"installedOn": "2025-01-01", "removedOn": "2024-01-01", "status": "REMOVED"},
            "installedOn",
            "INVALID_DATES",
        ),
        ({"name": " "}, "name", "TEXT_REQUIRED"),
    ],
)
async def test_bad_sensor_input_gets_one_typed_error(
    client: httpx.AsyncClient,
    services: Services,
    overrides: dict[str, Any],
    field: str,
    code: str,
) -> None:
    # given
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    # when
    payload = (await agent.data("SensorCreate", {"input": sensor_input(**overrides)}))[
        "sensorCreate"
    ]
    # then
    assert len(payload["errors"]) == 1, payload["errors"]
    assert payload["errors"][0]["code"] == code and payload["errors"][0]["field"] == field


async def test_a_slug_is_taken_once(client: httpx.AsyncClient, services: Services) -> None:
    # given
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(agent))["slug"]
    # when
    payload = (await agent.data("SensorCreate", {"input": sensor_input(slug=slug)}))["sensorCreate"]
    # then
    assert len(payload["errors"]) == 1 and payload["errors"][0]["code"] == "SLUG_TAKEN"


async def test_the_register_filters_by_purpose_tech_commune_and_distance(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a parking sensor on place de la Fraternité, an air station at le Ralliement
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    parking = (await create_sensor(agent))["slug"]
    air = (
        await create_sensor(
            agent,
            point=RALLIEMENT,
            dtpr=[
                {"category": "purpose", "element": "ecology"},
                {"category": "tech", "element": "air_quality"},
            ],
        )
    )["slug"]

    async def slugs(**filter_: Any) -> list[str]:
        data = await data_of(client, operation("Sensors"), {"filter": filter_, "first": 100})
        return [edge["node"]["slug"] for edge in data["sensors"]["edges"]]

    # when
    by_purpose = await slugs(purpose="ecology")
    by_tech = await slugs(tech="induction_loop")
    in_angers = await slugs(commune="49007")
    in_avrille = await slugs(commune="49015")
    near = await data_of(
        client,
        operation("Sensors"),
        {
            "filter": {
                "near": {
                    "latitude": RALLIEMENT[0],
                    "longitude": RALLIEMENT[1],
                    "radiusMeters": 5000,
                }
            },
            "first": 100,
        },
    )
    # then
    assert air in by_purpose and parking not in by_purpose
    assert parking in by_tech and air not in by_tech
    assert {air, parking} <= set(in_angers) and air not in in_avrille
    edges = near["sensors"]["edges"]
    order = [e["node"]["slug"] for e in edges]
    assert order.index(air) < order.index(parking)
    distances = [e["distanceMeters"] for e in edges]
    assert distances == sorted(distances) and distances[order.index(air)] == 0


async def test_pages_of_the_register_follow_each_other(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: three sensors in a place of their own
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    place = unique_slug("place")
    made = [(await create_sensor(agent, placeName=place))["slug"] for _ in range(3)]
    seen: list[str] = []
    after = None
    # when
    for _ in range(3):
        data = await data_of(
            client,
            operation("Sensors"),
            {"filter": {"placeName": place}, "first": 2, "after": after},
        )
        seen += [edge["node"]["slug"] for edge in data["sensors"]["edges"]]
        after = data["sensors"]["pageInfo"]["endCursor"]
        if not data["sensors"]["pageInfo"]["hasNextPage"]:
            break
    # then
    assert seen == made and data["sensors"]["totalCount"] == 3


async def test_a_radius_too_large_is_refused(client: httpx.AsyncClient) -> None:
    # when
    data = await data_of(
        client,
        operation("Sensors"),
        {"filter": {"near": {"latitude": 47.47, "longitude": -0.55, "radiusMeters": 50_000}}},
        language="en",
    )
    # then
    errors = data["sensors"]["errors"]
    assert len(errors) == 1 and errors[0]["code"] == "RADIUS_OUT_OF_RANGE"
    assert "5,000" in errors[0]["message"]  # the limit, as an English reader writes it


async def test_an_unknown_slug_reads_as_null(client: httpx.AsyncClient) -> None:
    # when
    data = await data_of(client, operation("Sensor"), {"slug": "no-such-sensor"})
    # then
    assert data["sensor"] is None


async def test_a_stranger_learns_nothing_from_validation(client: httpx.AsyncClient) -> None:
    # when: anonymous, with an invalid input
    response = await graphql(
        client, operation("SensorCreate"), {"input": sensor_input(slug="Bad Slug", name="")}
    )
    # then
    errors = response.json()["data"]["sensorCreate"]["errors"]
    assert len(errors) == 1 and errors[0]["code"] == "NOT_AUTHENTICATED"
