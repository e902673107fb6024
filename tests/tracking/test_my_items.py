"""« My items » on a device: kept with the tracking token, listed by the device's two
secrets only, rate-limited, forgotten on erasure and at the end of retention."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.items.lifecycle import Status
from service.privacy import retention
from service.tracking import my_items
from service.tracking.models import DeviceItem
from tests.privacy.helpers import finish
from tests.support import data_of, operation, submit_report

pytestmark = pytest.mark.anyio


def device() -> dict[str, str]:
    return {"deviceKey": "app-" + secrets.token_urlsafe(16), "proof": secrets.token_urlsafe(24)}


async def keep(client: httpx.AsyncClient, secrets_: dict[str, str], token: str) -> dict[str, Any]:
    data = await data_of(client, operation("MyItemKeep"), {**secrets_, "token": token})
    result: dict[str, Any] = data["myItemKeep"]
    return result


async def listed(
    client: httpx.AsyncClient, secrets_: dict[str, str], language: str = "fr"
) -> dict[str, Any]:
    data = await data_of(client, operation("MyItems"), secrets_, language=language)
    result: dict[str, Any] = data["myItems"]
    return result


async def test_a_device_lists_the_items_it_kept(client: httpx.AsyncClient) -> None:
    # given: two reports kept by one device (the second twice: a retry)
    mine = device()
    first = await submit_report(client)
    second = await submit_report(client)
    assert (await keep(client, mine, first["trackingToken"]))["added"] is True
    assert (await keep(client, mine, second["trackingToken"]))["added"] is True
    again = await keep(client, mine, second["trackingToken"])
    # when
    result = await listed(client, mine)
    # then
    assert again["added"] is False and again["errors"] == []
    assert result["errors"] == []
    references = {i["reference"] for i in result["items"]}
    assert references == {first["report"]["reference"], second["report"]["reference"]}
    assert {i["statusLabel"] for i in result["items"]} == {"Transmis"}


async def test_another_device_or_a_wrong_proof_lists_nothing(client: httpx.AsyncClient) -> None:
    # given
    mine = device()
    report = await submit_report(client)
    await keep(client, mine, report["trackingToken"])
    # when: the same key with another proof, and another device
    wrong_proof = await listed(client, {**mine, "proof": secrets.token_urlsafe(24)})
    other = await listed(client, device())
    # then
    assert wrong_proof == {"items": [], "errors": []}
    assert other == {"items": [], "errors": []}


async def test_only_a_digest_of_the_secrets_is_stored(
    client: httpx.AsyncClient, services: Services
) -> None:
    mine = device()
    report = await submit_report(client)
    await keep(client, mine, report["trackingToken"])
    async with services.db.reading() as session:
        rows = (await session.exec(select(DeviceItem))).all()
    stored = " ".join(r.device_hash for r in rows)
    assert mine["deviceKey"] not in stored and mine["proof"] not in stored
    assert my_items.device_hash(mine["deviceKey"], mine["proof"]) in stored


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"deviceKey": "short"}, "deviceKey", "INVALID_DEVICE_KEY"),
        ({"proof": "too-short"}, "proof", "INVALID_PROOF"),
    ],
)
async def test_badly_made_secrets_are_refused(
    client: httpx.AsyncClient, values: dict[str, str], field: str, code: str
) -> None:
    result = await listed(client, {**device(), **values})
    assert len(result["errors"]) == 1
    assert result["errors"][0]["code"] == code and result["errors"][0]["field"] == field


async def test_keeping_needs_the_items_token(client: httpx.AsyncClient) -> None:
    result = await keep(client, device(), "not-a-token")
    assert result["item"] is None
    assert len(result["errors"]) == 1
    assert result["errors"][0]["code"] == "TOKEN_INVALID"


async def test_a_device_forgets_an_item(client: httpx.AsyncClient) -> None:
    mine = device()
    report = await submit_report(client)
    await keep(client, mine, report["trackingToken"])
    reference = report["report"]["reference"]
    variables = {**mine, "reference": reference}
    forgot = await data_of(client, operation("MyItemForget"), variables)
    again = await data_of(client, operation("MyItemForget"), variables)
    assert forgot["myItemForget"] == {"forgotten": True, "errors": []}
    assert again["myItemForget"]["forgotten"] is False
    assert (await listed(client, mine))["items"] == []


async def test_erasing_ones_data_forgets_the_item_on_every_device(
    client: httpx.AsyncClient,
) -> None:
    mine = device()
    report = await submit_report(client)
    await keep(client, mine, report["trackingToken"])
    await data_of(client, operation("MyDataErase"), {"token": report["trackingToken"]})
    assert (await listed(client, mine))["items"] == []


async def test_the_retention_purge_forgets_finished_items(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a kept item closed long ago (past the free-text period)
    mine = device()
    report = await submit_report(client)
    await keep(client, mine, report["trackingToken"])
    now = services.clock()
    periods = services.retention_periods
    await finish(services, report["report"]["reference"], Status.CLOSED, now)
    later = now + timedelta(days=periods.free_text_days + 1)
    # when
    await retention.purge(services.db, periods, later)
    # then
    assert (await listed(client, mine))["items"] == []


async def test_listing_is_rate_limited_per_device(client: httpx.AsyncClient) -> None:
    # given: a device calling more often than its limit
    mine = device()
    results = [await listed(client, mine) for _ in range(my_items.MY_ITEMS_PER_DEVICE_MINUTE + 1)]
    # then: the call over the limit is refused, with a message in French
    assert all(r["errors"] == [] for r in results[:-1])
    assert [e["code"] for e in results[-1]["errors"]] == ["TOO_MANY_REQUESTS"]
    assert "secondes" in results[-1]["errors"][0]["message"]
