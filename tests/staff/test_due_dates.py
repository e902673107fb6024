"""Due dates: each item is due its category's (or service's) target time after receipt, for its
body; the queue filters the overdue and sorts by due date; supervisors get an escalation list;
Open311 says when a request is expected."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from service.context import Services
from service.reference import ReferenceData
from service.routing import due
from service.routing.models import DueSubject
from service.staff.models import Role
from tests.support import PONTS_DE_CE_TOWN_HALL, Staff, staff, submit_report

pytestmark = pytest.mark.anyio


@contextmanager
def days_ago(services: Services, days: int) -> Iterator[None]:
    real_clock = services.clock
    services.clock = lambda: real_clock() - timedelta(days=days)
    try:
        yield
    finally:
        services.clock = real_clock


async def due_page(member: Staff, **variables: Any) -> dict[str, Any]:
    data = await member.data("TriageQueueDue", {"first": 100, **variables})
    page: dict[str, Any] = data["triageQueue"]
    return page


def test_a_body_target_overrides_alm_default_and_no_target_means_no_due_date() -> None:
    # given
    reference = ReferenceData(
        due_targets={
            ("category", "graffiti", ""): 240,
            ("category", "graffiti", "mairie-49007"): 120,
        }
    )
    received = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    # when
    angers = due.due_at(reference, DueSubject.CATEGORY, "graffiti", "mairie-49007", received)
    avrille = due.due_at(reference, DueSubject.CATEGORY, "graffiti", "mairie-49015", received)
    none = due.due_at(reference, DueSubject.SERVICE, "graffiti", "mairie-49007", received)
    # then
    assert angers == received + timedelta(hours=120)
    assert avrille == received + timedelta(hours=240)
    assert none is None


async def test_an_item_is_due_its_category_target_for_its_body(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: graffiti in Angers (its town hall's own target: 120 h) and in Les Ponts-de-Cé
    # (ALM's default: 240 h), as fixtures/routing/due_targets.csv sets them
    angers = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    ponts = (await submit_report(client, categoryCode="graffiti", point=PONTS_DE_CE_TOWN_HALL))[
        "report"
    ]["reference"]
    agent_a = await staff(services, client, "mairie-49007", Role.AGENT)
    agent_b = await staff(services, client, "mairie-49246", Role.AGENT)
    # when
    seen_a = {
        e["node"]["reference"]: e["node"]
        for e in (await due_page(agent_a, order="NEWEST_FIRST"))["edges"]
    }
    seen_b = {
        e["node"]["reference"]: e["node"]
        for e in (await due_page(agent_b, order="NEWEST_FIRST"))["edges"]
    }
    # then
    now = datetime.now(UTC)
    angers_due = datetime.fromisoformat(seen_a[angers]["dueAt"])
    ponts_due = datetime.fromisoformat(seen_b[ponts]["dueAt"])
    assert timedelta(hours=119) < angers_due - now <= timedelta(hours=120)
    assert timedelta(hours=239) < ponts_due - now <= timedelta(hours=240)
    assert seen_a[angers]["overdue"] is False


async def test_overdue_filter_keeps_open_items_past_due_and_due_soonest_sorts_them(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: two Angers graffiti received 30 and 10 days ago (target 5 days), one resolved,
    # and one received today
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    with days_ago(services, 30):
        oldest = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    with days_ago(services, 10):
        late = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
        done = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    fresh = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    await agent.data("ItemTransition", {"reference": done, "status": "RESOLVED"})
    # when
    overdue = await due_page(agent, filter={"overdue": True}, order="DUE_SOONEST")
    everything = await due_page(agent, order="DUE_SOONEST")
    # then
    overdue_refs = [e["node"]["reference"] for e in overdue["edges"]]
    assert oldest in overdue_refs and late in overdue_refs
    assert overdue_refs.index(oldest) < overdue_refs.index(late)  # the most overdue first
    assert done not in overdue_refs and fresh not in overdue_refs
    assert all(e["node"]["overdue"] for e in overdue["edges"])
    dues = [e["node"]["dueAt"] for e in everything["edges"] if e["node"]["dueAt"]]
    assert dues == sorted(dues)


async def test_due_soonest_pages_through_every_item_once(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given: items with several due dates, some equal, some without one (sensor-less kinds
    # aside, an item received before due dates existed has none: simulated by a service
    # request whose service has no target is not possible here, so all have one)
    agent = await staff(fresh_services, fresh_client, "mairie-49007", Role.AGENT)
    made = []
    for days in (3, 1, 3, 7, 0, 1):
        with days_ago(fresh_services, days):
            category = "graffiti" if days % 2 else "dog_fouling"
            made.append((await submit_report(fresh_client, categoryCode=category))["report"])
    # when: pages of two
    seen: list[str] = []
    after = None
    while True:
        page = await due_page(agent, order="DUE_SOONEST", first=2, after=after)
        seen += [e["node"]["reference"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then
    assert sorted(seen) == sorted(r["reference"] for r in made)
    everything = await due_page(agent, order="DUE_SOONEST", first=100)
    assert seen == [e["node"]["reference"] for e in everything["edges"]]


async def test_escalation_list_is_for_supervisors_and_holds_the_overdue(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    with days_ago(services, 20):
        late = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    supervisor = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    other = await staff(services, client, "mairie-49246", Role.SUPERVISOR)
    # when
    listed = (await supervisor.data("TriageEscalations", {"first": 100}))["triageEscalations"]
    refused = await agent.call("TriageEscalations", {"first": 100})
    elsewhere = (await other.data("TriageEscalations", {"first": 100}))["triageEscalations"]
    # then
    assert late in [e["node"]["reference"] for e in listed["edges"]]
    assert all(e["node"]["overdue"] for e in listed["edges"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert late not in [e["node"]["reference"] for e in elsewhere["edges"]]


async def test_rerouting_gives_the_new_category_target_from_receipt(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: graffiti in Angers (120 h), re-routed to obstructive parking (24 h)
    reference = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    supervisor = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    # when
    await supervisor.data(
        "ItemReroute", {"reference": reference, "categoryCode": "obstructive_parking"}
    )
    page = await due_page(supervisor, order="NEWEST_FIRST")
    # then
    node = next(e["node"] for e in page["edges"] if e["node"]["reference"] == reference)
    left = datetime.fromisoformat(node["dueAt"]) - datetime.now(UTC)
    assert timedelta(hours=23) < left <= timedelta(hours=24)


async def test_open311_expected_datetime_is_the_due_date(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    reference = (await submit_report(client, categoryCode="water_leak"))["report"]["reference"]
    # when
    response = await client.get(f"/open311/v2/requests/{reference}.json")
    # then
    assert response.status_code == 200, response.text
    record = response.json()[0]
    expected = datetime.fromisoformat(record["expected_datetime"])
    requested = datetime.fromisoformat(record["requested_datetime"])
    assert expected - requested == timedelta(hours=24)  # a water leak: 24 hours
