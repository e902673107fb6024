"""Trusted documents: the published operations by their sha256; clients (or anonymous
traffic) held to them are refused anything else."""

from __future__ import annotations

import dataclasses
import hashlib

import httpx
import pytest

from service.context import Services
from service.settings import Settings
from tests.integrations.clients import call, client_key
from tests.support import OPERATIONS_DIR, operation, running_service

pytestmark = pytest.mark.anyio

ARBITRARY = "{ reports(first: 100) { edges { node { reference description } } } }"


def published_id(name: str) -> str:
    body = (OPERATIONS_DIR / f"{name}.graphql").read_bytes()
    return "sha256:" + hashlib.sha256(body).hexdigest()


async def test_the_manifest_publishes_every_operation_with_the_sha256_of_its_text(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await client.get("/graphql/documents.json")
    again = await client.get(
        "/graphql/documents.json", headers={"if-none-match": response.headers["etag"]}
    )
    # then
    documents = {d["name"]: d for d in response.json()["documents"]}
    assert set(documents) == {p.stem for p in OPERATIONS_DIR.glob("*.graphql")}
    assert documents["ReportCreate"]["id"] == published_id("ReportCreate")
    assert documents["ReportCreate"]["body"] == operation("ReportCreate")
    assert again.status_code == 304


async def test_a_trusted_documents_only_client_runs_published_operations_and_nothing_else(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    key = await client_key(services, trusted_documents_only=True)
    # when
    arbitrary = await call(client, key, {"query": ARBITRARY}, language="es")
    by_id = await call(client, key, {"documentId": published_id("Categories")})
    by_text = await call(client, key, {"query": operation("Categories")})
    # then
    assert arbitrary.status_code == 403
    errors = arbitrary.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "TRUSTED_DOCUMENTS_ONLY"
    assert "publicadas" in errors[0]["message"]
    assert by_id.status_code == 200
    assert by_id.json()["data"]["categories"]
    assert by_text.json() == by_id.json()


async def test_an_unknown_document_id_is_a_typed_error(
    client: httpx.AsyncClient, services: Services
) -> None:
    # when
    response = await call(client, None, {"documentId": "sha256:" + "0" * 64})
    # then
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "DOCUMENT_NOT_FOUND"


async def test_anonymous_traffic_can_be_held_to_trusted_documents_and_use_get(
    settings: Settings,
) -> None:
    # given
    restricted = dataclasses.replace(settings, anonymous_trusted_documents_only=True)
    async with running_service(restricted) as (services, client):
        free_client = await client_key(services)
        # when
        arbitrary = await call(client, None, {"query": ARBITRARY})
        by_get = await client.get("/graphql", params={"documentId": published_id("Communes")})
        a_client = await call(client, free_client, {"query": "{ categories { code } }"})
    # then
    assert arbitrary.status_code == 403
    assert by_get.status_code == 200
    assert len(by_get.json()["data"]["communes"]) == 29
    assert a_client.status_code == 200  # the setting is for anonymous traffic only
