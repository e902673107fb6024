"""Following one's item with the tracking token: read, add information, give feedback,
reopen; and the clear errors of forged, revoked, rotated-out or expired tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from service.context import Services
from service.items import rules as items
from service.items.lifecycle import Status
from service.settings import Settings
from tests.support import data_of, operation, running_service, submit_report

pytestmark = pytest.mark.anyio


async def tracked(client: httpx.AsyncClient, token: str, language: str = "en") -> dict[str, Any]:
    data = await data_of(client, operation("Tracked"), {"token": token}, language=language)
    result: dict[str, Any] = data["tracked"]
    return result


async def set_status(services: Services, reference: str, status: Status) -> None:
    """What staff will do through their own API (next stage), done here with the rules."""
    async with services.db.writing() as session:
        item = await items.get_by_reference(session, reference)
        assert item is not None
        items.change_status(
            session,
            item,
            status,
            actor="staff:test",
            now=services.clock(),
            public_text="Réparé ce matin." if status is Status.RESOLVED else None,
        )


async def test_the_token_opens_the_item_with_its_own_words(client: httpx.AsyncClient) -> None:
    # given: the description holds a phone number, masked for the public only
    payload = await submit_report(client, description="Appelez-moi au 06 12 34 56 78 svp")
    # when
    result = await tracked(client, payload["trackingToken"])
    # then
    assert result["errors"] == []
    item = result["item"]
    assert item["reference"] == payload["report"]["reference"]
    assert item["description"] == "Appelez-moi au 06 12 34 56 78 svp"
    assert item["canGiveFeedback"] is False
    assert [h["kind"] for h in item["history"]] == ["CREATED"]


@pytest.mark.parametrize(
    "token",
    ["", "not-a-token", "eyJpIjoxLCJuIjoiMDAwMDAwMDAwMDAwMDAwMCJ9.forgedsignature"],
)
async def test_a_forged_token_opens_nothing(client: httpx.AsyncClient, token: str) -> None:
    # when
    result = await tracked(client, token)
    # then
    assert result["item"] is None
    assert [e["code"] for e in result["errors"]] == ["TOKEN_INVALID"]
    assert result["errors"][0]["message"].startswith("This tracking code is not valid")


async def test_keys_rotate_old_tokens_keep_working_until_their_key_is_dropped(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given: a token signed with the current key
    token = (await submit_report(client))["trackingToken"]
    new_key = "n" * 32

    async def read_with(keys: tuple[str, ...]) -> dict[str, Any]:
        rotated = Settings(
            database_url=settings.database_url, data_dir=settings.data_dir, secret_keys=keys
        )
        async with running_service(rotated) as (_, other):
            return await tracked(other, token)

    # when: a new key is added (it signs), then the old one is dropped
    rotated = await read_with((*settings.secret_keys, new_key))
    dropped = await read_with((new_key,))
    # then
    assert rotated["errors"] == []
    assert [e["code"] for e in dropped["errors"]] == ["TOKEN_INVALID"]


async def test_information_added_is_seen_by_the_resident_not_the_public(
    client: httpx.AsyncClient,
) -> None:
    # given
    payload = await submit_report(client)
    token, reference = payload["trackingToken"], payload["report"]["reference"]
    # when
    data = await data_of(
        client,
        operation("TrackedAddInformation"),
        {"token": token, "text": "Le trou fait 30 cm, 12 rue des Lices."},
    )
    # then
    history = data["trackedAddInformation"]["item"]["history"]
    assert history[-1] == {
        "kind": "INFORMATION_ADDED",
        "text": "Le trou fait 30 cm, 12 rue des Lices.",
    }
    public = await data_of(client, operation("Report"), {"reference": reference})
    assert [h["kind"] for h in public["report"]["history"]] == ["CREATED"]


async def test_feedback_waits_for_resolution(client: httpx.AsyncClient) -> None:
    # given
    token = (await submit_report(client))["trackingToken"]
    # when
    data = await data_of(client, operation("TrackedFeedback"), {"token": token, "fixed": True})
    # then
    assert [e["code"] for e in data["trackedFeedback"]["errors"]] == ["FEEDBACK_NOT_ALLOWED"]


async def test_after_resolution_the_resident_sees_the_answer_and_rates_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    payload = await submit_report(client)
    token, reference = payload["trackingToken"], payload["report"]["reference"]
    await set_status(services, reference, Status.RESOLVED)
    # when
    before = await tracked(client, token, language="fr")
    data = await data_of(
        client,
        operation("TrackedFeedback"),
        {"token": token, "fixed": True, "satisfaction": 5, "comment": "Merci !"},
    )
    # then
    last = before["item"]["history"][-1]
    assert (last["status"], last["statusLabel"], last["text"]) == (
        "RESOLVED",
        "Résolu",
        "Réparé ce matin.",
    )
    assert before["item"]["canGiveFeedback"] is True
    item = data["trackedFeedback"]["item"]
    assert (item["feedbackFixed"], item["feedbackRating"], item["status"]) == (
        True,
        5,
        "RESOLVED",
    )


async def test_not_fixed_reopens_within_30_days_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: two resolved reports
    first, second = await submit_report(client), await submit_report(client)
    for payload in (first, second):
        await set_status(services, payload["report"]["reference"], Status.RESOLVED)
    # when: one is reopened at once, the other 31 days later
    reopened = await data_of(
        client,
        operation("TrackedFeedback"),
        {"token": first["trackingToken"], "fixed": False, "reopen": True},
    )
    real_clock = services.clock
    services.clock = lambda: real_clock() + timedelta(days=31)
    late = await data_of(
        client,
        operation("TrackedFeedback"),
        {"token": second["trackingToken"], "fixed": False, "reopen": True},
    )
    services.clock = real_clock
    # then
    assert reopened["trackedFeedback"]["item"]["status"] == "ACKNOWLEDGED"
    assert [e["code"] for e in late["trackedFeedback"]["errors"]] == ["REOPEN_NOT_ALLOWED"]


async def test_a_rating_outside_1_to_5_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    payload = await submit_report(client)
    await set_status(services, payload["report"]["reference"], Status.RESOLVED)
    data = await data_of(
        client,
        operation("TrackedFeedback"),
        {"token": payload["trackingToken"], "fixed": True, "satisfaction": 6},
    )
    assert [e["code"] for e in data["trackedFeedback"]["errors"]] == ["INVALID_RATING"]


async def test_a_token_expires_a_year_after_the_item_was_closed(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    payload = await submit_report(client)
    await set_status(services, payload["report"]["reference"], Status.CLOSED)
    real_clock = services.clock
    # when
    services.clock = lambda: real_clock() + timedelta(days=364)
    still = await tracked(client, payload["trackingToken"])
    services.clock = lambda: real_clock() + timedelta(days=366)
    expired = await tracked(client, payload["trackingToken"])
    services.clock = real_clock
    # then
    assert still["errors"] == []
    assert [e["code"] for e in expired["errors"]] == ["TOKEN_EXPIRED"]


async def test_an_empty_information_and_a_long_comment_are_refused_by_the_rules(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    token = (await submit_report(client))["trackingToken"]
    # when
    empty = await data_of(
        client, operation("TrackedAddInformation"), {"token": token, "text": "  "}
    )
    long = await data_of(
        client,
        operation("TrackedFeedback"),
        {"token": token, "fixed": True, "comment": "x" * 2001},
    )
    # then
    assert [e["code"] for e in empty["trackedAddInformation"]["errors"]] == ["TEXT_REQUIRED"]
    assert [e["code"] for e in long["trackedFeedback"]["errors"]] == ["TEXT_TOO_LONG"]
