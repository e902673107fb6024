"""Measuring the need: an assisted submission carries the help place it was made at
(GraphQL and the console's counter), and the open data count items per place and channel,
k-anonymously (cells of 1 to 4 withheld with complementary cells, never shown as 0)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import Counter

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.help_places import use
from service.help_places.demo import load_demo_help_places
from service.help_places.models import HelpPlace, ItemHelpPlace
from service.i18n.translator import LOCAL_TIMEZONE
from service.items.models import Item
from service.staff.models import Role
from service.trends import rollup
from service.trends.anonymity import K
from service.trends.opendata import DATASETS
from tests.console.support import signed_in
from tests.help_places.test_help_place_api import place_input
from tests.service_requests.test_assisted import assisted_input
from tests.support import ANGERS_TOWN_HALL, report_input, staff

pytestmark = pytest.mark.anyio


@pytest.fixture
async def demo(services: Services) -> Services:
    await load_demo_help_places(
        services.db, services.reference, services.settings.fixtures_dir, services.clock()
    )
    return services


async def new_places(services: Services, client: httpx.AsyncClient, count: int) -> list[HelpPlace]:
    """Places of Les Ponts-de-Cé of this test only (the database outlives a test)."""
    keeper = await staff(services, client, "mairie-49246", Role.AGENT)
    slugs = []
    for _ in range(count):
        entry = place_input()
        saved = await keeper.data("HelpPlaceSave", {"input": entry})
        assert saved["helpPlaceSave"]["errors"] == []
        slugs.append(entry["slug"])
    async with services.db.reading() as session:
        found = {p.slug: p for p in await use.all_places(session)}
    return [found[slug] for slug in slugs]


async def place_of(services: Services, reference: str) -> HelpPlace | None:
    async with services.db.reading() as session:
        item = (await session.exec(select(Item).where(Item.reference == reference))).one()
        assert item.id is not None
        return await use.place_of_item(session, item.id)


def assisted(channel: str, help_place: str | None) -> dict[str, object]:
    values = report_input(categoryCode="light_out")
    values.update(channel=channel, helpPlace=help_place, idempotencyKey=f"k-{uuid.uuid4()}")
    return {"input": values}


async def usage_rows(client: httpx.AsyncClient, services: Services) -> list[dict[str, str]]:
    await rollup.apply_outbox(services.db)
    year = services.clock().astimezone(LOCAL_TIMEZONE).year
    response = await client.get(f"/opendata/items-by-help-place.csv?year={year}")
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert all(list(r) == [c.name for c in DATASETS["items-by-help-place"].columns] for r in rows)
    return rows


async def test_an_assisted_report_carries_its_help_place_and_an_unknown_one_is_refused(
    demo: Services, client: httpx.AsyncClient
) -> None:
    # given
    agent = await staff(demo, client, "mairie-49007", Role.AGENT)
    place = (await new_places(demo, client, 1))[0]
    # when
    made = (await agent.call("AssistedReportCreate", assisted("COUNTER", place.slug)))["data"]
    unknown = (await agent.call("AssistedReportCreate", assisted("COUNTER", "nowhere-at-all")))[
        "data"
    ]
    # then
    assert made["assistedReportCreate"]["errors"] == []
    reference = made["assistedReportCreate"]["report"]["reference"]
    errors = unknown["assistedReportCreate"]["errors"]
    assert len(errors) == 1 and errors[0]["code"] == "UNKNOWN_HELP_PLACE"
    assert unknown["assistedReportCreate"]["report"] is None
    at = await place_of(demo, reference)
    assert at is not None and at.slug == place.slug
    async with demo.db.reading() as session:
        rows = (
            await session.exec(select(ItemHelpPlace).where(ItemHelpPlace.place_id == place.id))
        ).all()
    assert len(rows) == 1  # the refused one stored nothing


async def test_an_assisted_service_request_carries_its_help_place(
    demo: Services, client: httpx.AsyncClient
) -> None:
    # given
    agent = await staff(demo, client, "mairie-49007", Role.AGENT)
    place = (await new_places(demo, client, 1))[0]
    values = {**assisted_input(), "helpPlace": place.slug}
    # when
    payload = (await agent.call("AssistedServiceRequestCreate", {"input": values}))["data"]
    # then
    created = payload["assistedServiceRequestCreate"]
    assert created["errors"] == [], created
    at = await place_of(demo, created["serviceRequest"]["reference"])
    assert at is not None and at.slug == place.slug


async def test_items_per_place_and_channel_are_k_anonymous(
    fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given, in a database of its own: at place A 7 at the counter and 1 letter; at place B 6
    # at the counter and 2 on the phone; 5 at the counter with no place named
    services, client = fresh_services, fresh_client
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    a, b = await new_places(services, client, 2)
    wanted = Counter(
        {(a.slug, "COUNTER"): 7, (a.slug, "LETTER"): 1, (b.slug, "COUNTER"): 6,
         (b.slug, "PHONE"): 2, (None, "COUNTER"): 5}
    )  # fmt: skip
    for (slug, channel), count in wanted.items():
        for _ in range(count):
            payload = (await agent.call("AssistedReportCreate", assisted(channel, slug)))["data"]
            assert payload["assistedReportCreate"]["errors"] == []
    # when
    rows = await usage_rows(client, services)
    # then: the two small cells (1 and 2) are withheld, and so is the smallest other (the 5
    # made at no place), so that the withheld cells count at least K together: none can be
    # found again from the year's total of assisted items. Withheld is empty, never 0.
    cells = {(r["help_place"], r["channel"]): r for r in rows}
    assert set(cells) == {(a.slug, "counter"), (a.slug, "letter"), (b.slug, "counter"),
                          (b.slug, "phone"), ("", "counter")}  # fmt: skip
    withheld = {key for key, row in cells.items() if row["suppressed"] == "true"}
    assert withheld == {(a.slug, "letter"), (b.slug, "phone"), ("", "counter")}
    assert all(cells[key]["items"] == "" for key in withheld)
    assert cells[(a.slug, "counter")]["items"] == "7"
    assert cells[(b.slug, "counter")]["items"] == "6"
    assert sum(wanted[(k[0] or None, k[1].upper())] for k in withheld) >= K
    assert {cells[(a.slug, "counter")]["commune"], cells[("", "counter")]["commune"]} == {
        "49246",
        "49007",
    }


async def test_a_place_leaving_the_directory_keeps_its_items_counted(
    demo: Services, client: httpx.AsyncClient
) -> None:
    # given
    agent = await staff(demo, client, "mairie-49007", Role.AGENT)
    place = (await new_places(demo, client, 1))[0]
    made = await agent.call("AssistedReportCreate", assisted("COUNTER", place.slug))
    reference = made["data"]["assistedReportCreate"]["report"]["reference"]
    keeper = await staff(demo, client, place.body_code, Role.ADMIN)
    # when
    deleted = (await keeper.call("HelpPlaceDelete", {"slug": place.slug}))["data"]
    assert deleted["helpPlaceDelete"]["errors"] == []
    # then
    rows = await usage_rows(client, demo)
    assert place.slug not in {r["help_place"] for r in rows}
    gone = await place_of(demo, reference)
    assert gone is None
    async with demo.db.reading() as session:
        item = (await session.exec(select(Item).where(Item.reference == reference))).one()
        kept = await session.get(ItemHelpPlace, item.id)
    assert kept is not None and kept.place_id is None  # still counted, under ""


async def test_the_counter_form_offers_the_places_and_records_the_one_chosen(
    demo: Services, client: httpx.AsyncClient
) -> None:
    # given
    agent = await signed_in(demo, client)
    place = (await new_places(demo, client, 1))[0]
    form = await agent.get("/console/guichet/signalement")
    assert form.status_code == 200 and f'value="{place.slug}"' in form.text
    values = {
        "category": "graffiti",
        "latitude": str(ANGERS_TOWN_HALL[0]),
        "longitude": str(ANGERS_TOWN_HALL[1]),
        "description": "Tags sur le mur de l'école, signalés au guichet.",
        "idempotency_key": f"assisted-{agent.staff_id}",
        "resident_language": "fr",
        "nearby_seen": "1",
        "channel": "counter",
    }
    # when
    refused = await agent.post(
        "/console/guichet/signalement",
        "console-assisted-report",
        {**values, "help_place": "nowhere-at-all"},
    )
    sent = await agent.post(
        "/console/guichet/signalement",
        "console-assisted-report",
        {**values, "help_place": place.slug},
    )
    # then
    assert refused.status_code == 400
    assert re.search("This help place is not in the directory", refused.text)
    assert sent.status_code == 303, sent.text
    async with demo.db.reading() as session:
        rows = (
            await session.exec(select(ItemHelpPlace).where(ItemHelpPlace.place_id == place.id))
        ).all()
    assert len(rows) == 1
