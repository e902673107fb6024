"""The directory in GraphQL: public questions (near, commune, offers, open at), and staff
keeping their own places — a commune's staff only theirs, ALM's administrators all."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from service.context import Services
from service.help_places.demo import load_demo_help_places
from service.staff.models import Role
from tests.support import ANGERS_TOWN_HALL, PONTS_DE_CE_TOWN_HALL, data_of, operation, staff

pytestmark = pytest.mark.anyio
WEEKDAYS_9_TO_5 = json.dumps(
    {"week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}
)


@pytest.fixture
async def demo(services: Services) -> Services:
    await load_demo_help_places(
        services.db, services.reference, services.settings.fixtures_dir, services.clock()
    )
    return services


def place_input(**overrides: Any) -> dict[str, Any]:
    return {
        "slug": f"test-{uuid.uuid4().hex[:8]}",
        "name": "Point numérique du centre social",
        "kind": "SOCIAL_CENTRE",
        "address": "1 rue de l'Essai, 49130 Les Ponts-de-Cé",
        "latitude": PONTS_DE_CE_TOWN_HALL[0],
        "longitude": PONTS_DE_CE_TOWN_HALL[1],
        "hours": WEEKDAYS_9_TO_5,
        "offers": ["FREE_COMPUTER", "DIGITAL_MEDIATOR"],
        "languages": ["fr", "ar"],
        "phone": "02 61 91 99 01",
        **overrides,
    }


async def test_every_commune_has_example_places(demo: Services, client: httpx.AsyncClient) -> None:
    # when
    data = await data_of(client, operation("HelpPlaces"), {"first": 100})
    # then
    places = data["helpPlaces"]["places"]
    assert data["helpPlaces"]["errors"] == []
    assert {p["communeCode"] for p in places if p["isExample"]} == set(demo.reference.communes)
    assert all("(exemple)" in p["name"] for p in places if p["isExample"])


async def test_places_near_a_point_come_nearest_first_with_their_distance(
    demo: Services, client: httpx.AsyncClient
) -> None:
    # when
    near = {"latitude": ANGERS_TOWN_HALL[0], "longitude": ANGERS_TOWN_HALL[1]}
    data = await data_of(client, operation("HelpPlaces"), {"near": near, "radiusMeters": 3000})
    # then
    distances = [p["distanceMeters"] for p in data["helpPlaces"]["places"]]
    assert distances and distances == sorted(distances)
    assert max(distances) <= 3000


async def test_places_of_a_commune_offering_something_open_at_a_time(
    demo: Services, client: httpx.AsyncClient
) -> None:
    # when: Angers, a free computer, on a Monday at 10:00 in Angers, then on a Sunday (a
    # time without its offset is one of Angers)
    variables = {"commune": "49007", "offers": ["FREE_COMPUTER"]}
    monday = await data_of(
        client, operation("HelpPlaces"), {**variables, "openAt": "2027-01-04T10:00:00+01:00"}
    )
    sunday = await data_of(
        client, operation("HelpPlaces"), {**variables, "openAt": "2027-01-03T10:00:00"}
    )
    # then
    found = monday["helpPlaces"]["places"]
    assert found and all(p["communeCode"] == "49007" for p in found)
    assert all("FREE_COMPUTER" in p["offers"] for p in found)
    assert sunday["helpPlaces"]["places"] == []


async def test_a_question_about_an_unknown_commune_is_refused(client: httpx.AsyncClient) -> None:
    data = await data_of(client, operation("HelpPlaces"), {"commune": "75056"})
    errors = data["helpPlaces"]["errors"]
    assert len(errors) == 1 and errors[0]["code"] == "UNKNOWN_COMMUNE"


async def test_hours_are_read_in_the_callers_language(
    demo: Services, client: httpx.AsyncClient
) -> None:
    # when
    query = '{ helpPlace(slug: "exemple-mairie-49007") { week { label text } kindLabel } }'
    data = await data_of(client, query, language="en")
    # then
    place = data["helpPlace"]
    assert place["kindLabel"] == "Town hall"
    # CLDR's interval: narrow spaces, and the shared « PM » said once
    expected = "8:30\u202fAM\u2009–\u200912:00\u202fPM, 1:30\u2009–\u20095:30\u202fPM"
    assert place["week"][0] == {"label": "Mon", "text": expected}
    assert place["week"][6]["text"] == "Closed"


async def test_a_communes_agent_keeps_their_places_and_the_commune_follows_the_point(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    agent = await staff(services, client, "mairie-49246", Role.AGENT)
    # when
    saved = await agent.data("HelpPlaceSave", {"input": place_input()})
    # then
    payload = saved["helpPlaceSave"]
    assert payload["errors"] == []
    assert payload["place"]["communeCode"] == "49246"
    assert payload["place"]["keptBy"] == "mairie-49246"
    assert payload["place"]["isExample"] is False


async def test_another_communes_staff_may_not_change_nor_delete_a_place(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    owner = await staff(services, client, "mairie-49246", Role.SUPERVISOR)
    other = await staff(services, client, "mairie-49007", Role.ADMIN)
    entry = place_input()
    await owner.data("HelpPlaceSave", {"input": entry})
    # when
    changed = await other.data("HelpPlaceSave", {"input": {**entry, "name": "Pris"}})
    deleted = await other.data("HelpPlaceDelete", {"slug": entry["slug"]})
    named = await other.data(
        "HelpPlaceSave", {"input": {**place_input(), "keptBy": "mairie-49246"}}
    )
    # then
    for errors in (
        changed["helpPlaceSave"]["errors"],
        deleted["helpPlaceDelete"]["errors"],
        named["helpPlaceSave"]["errors"],
    ):
        assert len(errors) == 1 and errors[0]["code"] == "FORBIDDEN"


async def test_alms_administrators_keep_every_place(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    owner = await staff(services, client, "mairie-49246", Role.AGENT)
    admin = await staff(services, client, "alm", Role.ADMIN)
    entry = place_input()
    await owner.data("HelpPlaceSave", {"input": entry})
    # when
    changed = await admin.data("HelpPlaceSave", {"input": {**entry, "name": "Renommé"}})
    # then: the keeper stays the commune
    assert changed["helpPlaceSave"]["errors"] == []
    assert changed["helpPlaceSave"]["place"]["keptBy"] == "mairie-49246"
    # when
    deleted = await admin.data("HelpPlaceDelete", {"slug": entry["slug"]})
    # then
    assert deleted["helpPlaceDelete"]["errors"] == []
    gone = await data_of(client, operation("HelpPlace"), {"slug": entry["slug"]})
    assert gone["helpPlace"] is None


async def test_council_members_and_anonymous_callers_keep_nothing(
    services: Services, client: httpx.AsyncClient
) -> None:
    council = await staff(services, client, "alm", Role.COUNCIL)
    refused = await council.data("HelpPlaceSave", {"input": place_input()})
    assert [e["code"] for e in refused["helpPlaceSave"]["errors"]] == ["FORBIDDEN"]
    anonymous = await data_of(client, operation("HelpPlaceSave"), {"input": place_input()})
    assert [e["code"] for e in anonymous["helpPlaceSave"]["errors"]] == ["NOT_AUTHENTICATED"]


async def test_an_entry_is_refused_with_every_reason(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    agent = await staff(services, client, "mairie-49246", Role.AGENT)
    entry = place_input(
        slug="Not A Slug",
        name="",
        latitude=47.351,
        longitude=-0.762,  # Chalonnes, outside ALM
        hours='{"week": {"mon": [["18:00", "09:00"]]}}',
        email="not-an-address",
    )
    # when
    refused = await agent.data("HelpPlaceSave", {"input": entry})
    # then
    codes = {(e["field"], e["code"]) for e in refused["helpPlaceSave"]["errors"]}
    assert codes == {
        ("slug", "INVALID_SLUG"),
        ("name", "TEXT_REQUIRED"),
        ("latitude", "OUTSIDE_ALM"),
        ("hours", "INVALID_HOURS"),
        ("email", "INVALID_CONTACT"),
    }
