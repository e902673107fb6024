"""Triage: each body's queue holds its items only; actions are audited and reach the
resident's and the public's views as they should; refusals are typed errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.staff.models import AuditEntry, Role
from tests.support import PONTS_DE_CE_TOWN_HALL, Staff, data_of, operation, staff, submit_report

pytestmark = pytest.mark.anyio


async def queue_references(member: Staff, **variables: Any) -> list[str]:
    # Newest first: the page holds what this test just made, whatever earlier tests left.
    variables = {"first": 100, "order": "NEWEST_FIRST", **variables}
    data = (await member.call("TriageQueue", variables))["data"]
    return [edge["node"]["reference"] for edge in data["triageQueue"]["edges"]]


async def test_each_body_sees_its_own_items_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: graffiti in Angers (its town hall) and in Les Ponts-de-Cé; a pothole (ALM roads)
    angers = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    ponts = (await submit_report(client, categoryCode="graffiti", point=PONTS_DE_CE_TOWN_HALL))[
        "report"
    ]["reference"]
    pothole = (await submit_report(client))["report"]["reference"]
    agent_a = await staff(services, client, "mairie-49007", Role.AGENT)
    agent_b = await staff(services, client, "mairie-49246", Role.AGENT)
    alm = await staff(services, client, "alm", Role.AGENT)
    # when
    seen_a, seen_b, seen_alm = (
        await queue_references(agent_a),
        await queue_references(agent_b),
        await queue_references(alm),
    )
    # then
    assert angers in seen_a and ponts not in seen_a and pothole not in seen_a
    assert ponts in seen_b and angers not in seen_b
    assert pothole in seen_alm and angers not in seen_alm  # ALM covers its directorates
    # and commune B cannot act on commune A's item: for B it does not exist
    refused = (await agent_b.call("ItemAcknowledge", {"reference": angers}))["data"]
    assert [e["code"] for e in refused["itemAcknowledge"]["errors"]] == ["NOT_FOUND"]


async def test_an_answer_reaches_resident_and_public_a_note_stays_with_staff(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    payload = await submit_report(client, categoryCode="graffiti")
    reference, token = payload["report"]["reference"], payload["trackingToken"]
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    # when
    await agent.call("ItemAcknowledge", {"reference": reference})
    result = await agent.call(
        "ItemTransition",
        {
            "reference": reference,
            "status": "RESOLVED",
            "publicAnswer": "Tags effacés ce matin.",
            "privateNote": "Équipe nettoyage n°3.",
        },
    )
    # then: staff see both
    texts = [h["text"] for h in result["data"]["itemTransition"]["item"]["history"]]
    assert "Tags effacés ce matin." in texts and "Équipe nettoyage n°3." in texts
    # the public and the resident see the answer, never the note
    public = await data_of(client, operation("Report"), {"reference": reference})
    tracked = await data_of(client, operation("Tracked"), {"token": token})
    for history in (public["report"]["history"], tracked["tracked"]["item"]["history"]):
        texts = [h["text"] for h in history]
        assert "Tags effacés ce matin." in texts
        assert "Équipe nettoyage n°3." not in texts
    # and the audit log has every action, with who did it
    async with services.db.reading() as session:
        entries = (
            await session.exec(select(AuditEntry).where(AuditEntry.staff_id == agent.staff_id))
        ).all()
    assert [(e.action, e.detail) for e in entries] == [
        ("status_changed", "submitted -> acknowledged"),
        ("status_changed", "acknowledged -> resolved"),
        ("noted", None),  # the private note is an action of its own
    ]


async def test_a_rejection_needs_a_reason_the_resident_reads(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    payload = await submit_report(client, categoryCode="graffiti")
    reference = payload["report"]["reference"]
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    # when
    empty = await agent.call("ItemReject", {"reference": reference, "reason": "  "})
    done = await agent.call(
        "ItemReject",
        {
            "reference": reference,
            "reason": "Ce mur est une propriété privée.",
        },
    )
    # then
    assert [e["code"] for e in empty["data"]["itemReject"]["errors"]] == ["TEXT_REQUIRED"]
    assert done["data"]["itemReject"]["item"]["status"] == "REJECTED"
    tracked = await data_of(client, operation("Tracked"), {"token": payload["trackingToken"]})
    assert tracked["tracked"]["item"]["history"][-1]["text"] == "Ce mur est une propriété privée."


async def test_an_invalid_transition_is_a_typed_error(
    client: httpx.AsyncClient, services: Services
) -> None:
    reference = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    await agent.call("ItemTransition", {"reference": reference, "status": "CLOSED"})
    again = await agent.call("ItemTransition", {"reference": reference, "status": "IN_PROGRESS"})
    assert [e["code"] for e in again["data"]["itemTransition"]["errors"]] == ["INVALID_TRANSITION"]


async def test_agents_take_items_supervisors_assign_them(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    reference = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    colleague = await staff(services, client, "mairie-49007", Role.AGENT)
    supervisor = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    elsewhere = await staff(services, client, "mairie-49246", Role.AGENT)
    # when / then: an agent takes it, but may not hand it to a colleague
    taken = await agent.call("ItemAssign", {"reference": reference, "staffId": agent.staff_id})
    assert taken["data"]["itemAssign"]["item"]["assignedTo"] == str(agent.staff_id)
    handed = await agent.call("ItemAssign", {"reference": reference, "staffId": colleague.staff_id})
    assert [e["code"] for e in handed["data"]["itemAssign"]["errors"]] == ["FORBIDDEN"]
    # a supervisor assigns within the body, not to another commune's agent
    moved = await supervisor.call(
        "ItemAssign", {"reference": reference, "staffId": colleague.staff_id}
    )
    assert moved["data"]["itemAssign"]["item"]["assignedTo"] == str(colleague.staff_id)
    outside = await supervisor.call(
        "ItemAssign", {"reference": reference, "staffId": elsewhere.staff_id}
    )
    assert [e["code"] for e in outside["data"]["itemAssign"]["errors"]] == ["NOT_FOUND"]
    # and every assignment is in the staff history
    history = await supervisor.call("TriageQueue", {"filter": {"assigned": "ANYONE"}})
    assert history["data"]["triageQueue"]["totalCount"] >= 1
    # and the queue filters by assignment
    assert reference in await queue_references(colleague, filter={"assigned": "ME"})
    assert reference not in await queue_references(colleague, filter={"assigned": "UNASSIGNED"})


async def test_the_queue_counts_statuses_and_sorts_by_support(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a body with three items, one much supported
    body_point = (47.42528, -0.52417)  # Les Ponts-de-Cé
    refs = [
        (await submit_report(client, categoryCode="noise", point=body_point))["report"]["reference"]
        for _ in range(3)
    ]
    for device in ("device-a-0001", "device-b-0002"):
        await data_of(
            client, operation("ReportSupport"), {"reference": refs[1], "deviceKey": device}
        )
    agent = await staff(services, client, "mairie-49246", Role.AGENT)
    await agent.call("ItemAcknowledge", {"reference": refs[2]})
    # when
    data = (
        await agent.call(
            "TriageQueue",
            {
                "filter": {"category": "noise"},
                "order": "MOST_SUPPORTED",
                "first": 1,
            },
        )
    )["data"]["triageQueue"]
    # then
    counts = {c["status"]: c["count"] for c in data["countsByStatus"]}
    assert counts["ACKNOWLEDGED"] >= 1 and counts["SUBMITTED"] >= 2
    assert data["edges"][0]["node"]["reference"] == refs[1]
    assert data["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    ("body", "role", "scopes", "code"),
    [
        ("alm", Role.COUNCIL, ("items:read", "items:write"), "FORBIDDEN"),
        ("mairie-49007", Role.AGENT, ("staff:read",), "FORBIDDEN"),
    ],
)
async def test_council_members_and_narrow_tokens_are_refused_with_a_typed_error(
    client: httpx.AsyncClient,
    services: Services,
    body: str,
    role: Role,
    scopes: tuple[str, ...],
    code: str,
) -> None:
    member = await staff(services, client, body, role, scopes)
    result = await member.call("TriageQueue")
    assert result["data"] == {"triageQueue": None}
    assert [e["extensions"]["code"] for e in result["errors"]] == [code]


async def test_anonymous_callers_are_asked_to_log_in(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": operation("TriageQueue")}, headers={"accept-language": "fr"}
    )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert error["message"] == "Veuillez d'abord vous connecter avec un compte agent."


async def test_a_supervisor_reroutes_and_the_new_body_takes_over(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: graffiti reported in Angers that is really a damaged road sign
    reference = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    supervisor = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    roads = await staff(services, client, "alm", Role.AGENT)
    # when: an agent may not, the supervisor may
    refused = await agent.call("ItemReroute", {"reference": reference, "categoryCode": "road_sign"})
    moved = await supervisor.call(
        "ItemReroute", {"reference": reference, "categoryCode": "road_sign"}
    )
    # then
    assert [e["code"] for e in refused["data"]["itemReroute"]["errors"]] == ["FORBIDDEN"]
    item = moved["data"]["itemReroute"]["item"]
    assert item["handlingBody"]["code"] == "alm-voirie"
    assert item["category"]["code"] == "road_sign"
    assert reference in await queue_references(roads)
    assert reference not in await queue_references(supervisor)
    public = await data_of(client, operation("Report"), {"reference": reference})
    assert public["report"]["history"][-1]["kind"] == "REROUTED"


async def test_moving_the_pin_outside_alm_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    reference = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    supervisor = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    result = await supervisor.call(
        "ItemReroute", {"reference": reference, "latitude": 47.351, "longitude": -0.762}
    )
    assert [e["code"] for e in result["data"]["itemReroute"]["errors"]] == ["OUTSIDE_ALM"]


async def test_admins_read_their_bodies_audit_log_and_nobody_elses(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: actions in Angers
    reference = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    await agent.call("ItemAcknowledge", {"reference": reference})
    scopes = ("items:read", "items:write", "staff:read")
    admin_a = await staff(services, client, "mairie-49007", Role.ADMIN, scopes)
    admin_b = await staff(services, client, "mairie-49246", Role.ADMIN, scopes)
    # when
    seen_a = (await admin_a.call("AuditLog", {"reference": reference}))["data"]["auditLog"]
    seen_b = (await admin_b.call("AuditLog", {"reference": reference}))["data"]["auditLog"]
    by_agent = await agent.call("AuditLog", {"reference": reference})
    # then
    assert [(e["action"], e["reference"]) for e in seen_a["entries"]] == [
        ("status_changed", reference)
    ]
    assert seen_b["entries"] == []
    assert [e["extensions"]["code"] for e in by_agent["errors"]] == ["FORBIDDEN"]


async def test_a_duplicate_hands_its_supports_and_its_resident_to_the_original(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: the same graffiti reported twice; one device supported both, one only the copy
    original = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    copy = await submit_report(client, categoryCode="graffiti")
    for reference, device in (
        (original, "device-both-1"),
        (copy["report"]["reference"], "device-both-1"),
        (copy["report"]["reference"], "device-copy-2"),
    ):
        await data_of(
            client, operation("ReportSupport"), {"reference": reference, "deviceKey": device}
        )
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    # when
    result = await agent.call(
        "ItemMarkDuplicate",
        {
            "reference": copy["report"]["reference"],
            "originalReference": original,
        },
    )
    # then: the copy is closed, the original counts each device once
    assert result["data"]["itemMarkDuplicate"]["item"]["status"] == "DUPLICATE"
    public = await data_of(client, operation("Report"), {"reference": original})
    assert public["report"]["supportCount"] == 2
    assert public["report"]["history"][-1]["kind"] == "MERGED"
    # and the copy's resident is told where to follow it
    tracked = await data_of(client, operation("Tracked"), {"token": copy["trackingToken"]})
    assert tracked["tracked"]["item"]["duplicateOf"] == original


async def test_a_resolved_item_is_not_rerouted_until_reopened(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a resolved item
    reference = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    supervisor = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    resolved = await supervisor.call(
        "ItemTransition", {"reference": reference, "status": "RESOLVED"}
    )
    assert resolved["data"]["itemTransition"]["errors"] == []
    # when
    refused = await supervisor.call(
        "ItemReroute", {"reference": reference, "categoryCode": "road_sign"}
    )
    await supervisor.call("ItemTransition", {"reference": reference, "status": "IN_PROGRESS"})
    moved = await supervisor.call(
        "ItemReroute", {"reference": reference, "categoryCode": "road_sign"}
    )
    # then: refused while resolved (never resolved under a new body), accepted once reopened
    errors = refused["data"]["itemReroute"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_TRANSITION", "reference")]
    assert moved["data"]["itemReroute"]["errors"] == []
    assert moved["data"]["itemReroute"]["item"]["handlingBody"]["code"] == "alm-voirie"
