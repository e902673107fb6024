"""Integrators' webhooks: signed deliveries a receiver verifies as the README says, retries
with backoff, a delivery log for the client, disabling after persistent failure; nothing
private or personal is sent."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from service.context import Services, utc_now
from service.integrations import webhooks
from service.settings import Settings, SettingsError
from tests.integrations.clients import call, client_key
from tests.service_requests.support import request_service, tree_pruning_input
from tests.support import operation, running_service, submit_report

pytestmark = pytest.mark.anyio


def hook_url() -> str:
    """A URL of this test's own (the database is shared with other tests' webhooks)."""
    return f"https://receiver.example.org/alm-hook/{uuid.uuid4().hex}"


def verify(secret: str, headers: httpx.Headers, body: bytes, now: float) -> bool:
    """A receiver written from the README: HMAC-SHA256 over "<X-ALM-Timestamp>.<raw body>"
    with the signing secret, compared in constant time with X-ALM-Signature ("sha256=<hex>"),
    and a timestamp at most five minutes away (replay window)."""
    timestamp = headers["X-ALM-Timestamp"]
    expected = (
        "sha256="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    fresh = abs(now - int(timestamp)) <= 300
    return fresh and hmac.compare_digest(expected, headers["X-ALM-Signature"])


async def create_webhook(
    client: httpx.AsyncClient, key: str, kinds: list[str], url: str | None = None
) -> dict[str, Any]:
    response = await call(
        client,
        key,
        {
            "query": operation("WebhookCreate"),
            "variables": {"input": {"url": url or hook_url(), "eventTypes": kinds}},
        },
    )
    payload: dict[str, Any] = response.json()["data"]["webhookCreate"]
    return payload


async def run_round(services: Services, http: httpx.AsyncClient, at: Any = None) -> Any:
    now = at or utc_now()
    async with services.db.writing() as session:
        await webhooks.plan_webhook_deliveries(
            session, services.reference, now, postgres=not services.db.is_sqlite
        )
    return await webhooks.send_due_webhook_deliveries(services.db, http, services.settings, now)


async def test_a_receiver_verifies_signed_deliveries_of_public_changes_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: an integrator's webhook and a receiver that checks every signature
    key = await client_key(services, ("webhooks:manage",))
    url = hook_url()
    created = await create_webhook(client, key, ["CREATED"], url)
    secret = created["signingSecret"]
    received: list[dict[str, Any]] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        if str(request.url) != url:
            return httpx.Response(204)  # another test's webhook
        if not verify(secret, request.headers, request.content, time.time()):
            return httpx.Response(401)
        received.append(json.loads(request.content))
        return httpx.Response(204)

    report = await submit_report(client, description="Tag, appelez-moi au 06 11 22 33 44")
    home = await request_service(
        client, tree_pruning_input(atHomeAddress=True, addressText="12 rue Lenepveu")
    )
    # when
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        await run_round(services, http)
    log = await call(
        client,
        key,
        {
            "query": operation("WebhookDeliveries"),
            "variables": {"webhookId": created["webhook"]["id"]},
        },
    )
    # then
    assert [r["change"]["reference"] for r in received] == [report["report"]["reference"]]
    assert received[0]["event"] == "created"
    sent = json.dumps(received)
    assert "06 11" not in sent and "Tag" not in sent
    assert home["serviceRequest"]["reference"] not in sent
    entries = log.json()["data"]["webhookDeliveries"]
    assert [(e["status"], e["attempts"], e["eventType"]) for e in entries] == [
        ("delivered", 1, "CREATED")
    ]
    assert entries[0]["deliveryId"] == received[0]["deliveryId"]


async def test_a_forged_signature_or_an_old_timestamp_fails_the_readme_check() -> None:
    # given
    body = b'{"event":"created"}'
    now = time.time()
    timestamp = str(int(now))
    good = "sha256=" + hmac.new(b"s", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = httpx.Headers({"X-ALM-Timestamp": timestamp, "X-ALM-Signature": good})
    # then
    assert verify("s", headers, body, now)
    assert not verify("other", headers, body, now)
    assert not verify("s", headers, body + b" ", now)
    assert not verify("s", headers, body, now + 301)


async def test_failures_are_retried_with_backoff_then_the_webhook_is_disabled(
    settings: Settings,
) -> None:
    # given: a receiver that is down, and a webhook disabled after three failed attempts
    strict = dataclasses.replace(
        settings, webhook_failures_to_disable=3, delivery_backoff_seconds=30.0
    )
    async with running_service(strict) as (services, client):
        key = await client_key(services, ("webhooks:manage",))
        url = hook_url()
        created = await create_webhook(client, key, ["CREATED"], url)
        await submit_report(client)
        calls: list[str] = []

        def down(request: httpx.Request) -> httpx.Response:
            if str(request.url) != url:
                return httpx.Response(204)  # another test's webhook
            calls.append(request.headers["X-ALM-Delivery-Id"])
            return httpx.Response(503)

        start = utc_now()
        async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as http:
            # when: the first attempt fails, nothing is due 10 s later, then 30 s and 90 s later
            tried = []
            for seconds in (0, 10, 31, 92, 7200):
                await run_round(services, http, start + timedelta(seconds=seconds))
                tried.append(len(calls))
        listed = await call(client, key, {"query": operation("Webhooks")})
        enabled = await call(
            client,
            key,
            {"query": operation("WebhookEnable"), "variables": {"id": created["webhook"]["id"]}},
        )
    # then
    # tried at once, not 10 s later, after 30 s, after 60 s more; then disabled: not called
    assert tried == [1, 1, 2, 3, 3]
    assert len(set(calls)) == 1  # one delivery, the same id each time
    hook = listed.json()["data"]["webhooks"][0]
    assert hook["active"] is False
    assert "3 failed attempts" in hook["disabledReason"]
    assert "HTTP 503" in hook["disabledReason"]
    assert enabled.json()["data"]["webhookEnable"]["webhook"] == {
        "id": created["webhook"]["id"],
        "active": True,
        "failuresInARow": 0,
    }


async def test_webhook_urls_must_be_public_https_and_webhooks_stay_with_their_client(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    key = await client_key(services, ("webhooks:manage",))
    other = await client_key(services, ("webhooks:manage",))
    mine = await create_webhook(client, key, ["CREATED"])
    # when
    refused = [
        await create_webhook(client, key, ["CREATED"], url)
        for url in ("http://receiver.example.org/", "https://localhost/x", "https://10.0.0.8/x")
    ]
    stolen = await call(
        client,
        other,
        {"query": operation("WebhookDelete"), "variables": {"id": mine["webhook"]["id"]}},
    )
    # then
    for payload in refused:
        assert len(payload["errors"]) == 1
        assert payload["errors"][0]["code"] == "INVALID_URL"
    errors = stolen.json()["data"]["webhookDelete"]["errors"]
    assert len(errors) == 1
    assert errors[0]["code"] == "NOT_FOUND"


async def test_development_may_allow_webhooks_to_a_receiver_on_the_integrators_machine(
    settings: Settings,
) -> None:
    # given: development with the convenience on
    allowed = dataclasses.replace(settings, webhooks_allow_private=True)
    async with running_service(allowed) as (services, client):
        key = await client_key(services, ("webhooks:manage",))
        # when
        local = await create_webhook(client, key, ["CREATED"], "http://127.0.0.1:9000/hook")
        named = await create_webhook(client, key, ["CREATED"], "http://localhost:9000/hook")
    # then
    assert local["errors"] == [] and named["errors"] == []


def test_production_refuses_webhooks_to_private_addresses() -> None:
    # given
    production = Settings(
        environment="production", secret_keys=("p" * 40,), webhooks_allow_private=True
    )
    # when / then
    with pytest.raises(SettingsError, match="SERVICE_WEBHOOKS_ALLOW_PRIVATE"):
        production.check_startable()
