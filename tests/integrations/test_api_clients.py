"""API clients: created by ALM admins (GraphQL or command line) with scopes, shown once,
revocable at once; their submissions carry their channel; scopes are checked on every
operation clients use."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from graphql import OperationType

from service.context import Services
from service.field_access import AccessTable
from service.integrations import access
from service.items import rules as items
from service.schema import build_schema
from service.settings import PROJECT_ROOT, Settings
from service.staff.models import Role
from tests.integrations.clients import ALL_SCOPES, call, client_key
from tests.staff.test_authorization_matrix import token_for
from tests.support import OPERATIONS_DIR, operation, report_input

pytestmark = pytest.mark.anyio


async def admin_headers(services: Services, body: str = "alm") -> dict[str, str]:
    return {"authorization": f"Bearer {await token_for(services, body, Role.ADMIN)}"}


async def test_an_alm_admin_creates_a_client_whose_key_is_shown_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    headers = await admin_headers(services)
    name = f"vivre-{uuid.uuid4().hex[:6]}"
    # when
    created = await client.post(
        "/graphql",
        json={
            "query": operation("ApiClientCreate"),
            "variables": {"input": {"name": name, "scopes": ["PUBLIC_READ", "ITEMS_WRITE"]}},
        },
        headers=headers,
    )
    listed = await client.post("/graphql", json={"query": operation("ApiClients")}, headers=headers)
    # then
    payload = created.json()["data"]["apiClientCreate"]
    assert payload["errors"] == []
    assert payload["key"].startswith("alm_api_")
    assert payload["apiClient"]["channel"] == f"api:{name}"
    assert payload["apiClient"]["scopes"] == ["PUBLIC_READ", "ITEMS_WRITE"]
    row = next(c for c in listed.json()["data"]["apiClients"] if c["name"] == name)
    assert payload["key"] not in listed.text
    assert payload["key"].startswith(row["keyPrefix"])


@pytest.mark.parametrize("body, role", [("mairie-49007", Role.ADMIN), ("alm", Role.SUPERVISOR)])
async def test_only_alm_admins_create_clients(
    client: httpx.AsyncClient, services: Services, body: str, role: Role
) -> None:
    # given
    headers = {"authorization": f"Bearer {await token_for(services, body, role)}"}
    # when
    response = await client.post(
        "/graphql",
        json={
            "query": operation("ApiClientCreate"),
            "variables": {"input": {"name": "sneaky", "scopes": ["PUBLIC_READ"]}},
        },
        headers=headers,
    )
    # then
    errors = response.json()["data"]["apiClientCreate"]["errors"]
    assert len(errors) == 1
    assert errors[0]["code"] == "FORBIDDEN"


async def test_a_bad_name_and_a_taken_name_are_typed_errors_in_the_callers_language(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    headers = {**await admin_headers(services), "accept-language": "fr"}
    name = f"taken-{uuid.uuid4().hex[:6]}"
    await client_key(services, name=name)
    # when
    bad = await client.post(
        "/graphql",
        json={
            "query": operation("ApiClientCreate"),
            "variables": {"input": {"name": "Vivre à Angers", "scopes": ["PUBLIC_READ"]}},
        },
        headers=headers,
    )
    taken = await client.post(
        "/graphql",
        json={
            "query": operation("ApiClientCreate"),
            "variables": {"input": {"name": name, "scopes": ["PUBLIC_READ"]}},
        },
        headers=headers,
    )
    # then
    bad_errors = bad.json()["data"]["apiClientCreate"]["errors"]
    assert [e["code"] for e in bad_errors] == ["INVALID_NAME"]
    assert "minuscules" in bad_errors[0]["message"]
    taken_errors = taken.json()["data"]["apiClientCreate"]["errors"]
    assert len(taken_errors) == 1
    assert taken_errors[0]["code"] == "NAME_TAKEN"


async def test_a_clients_reports_carry_its_channel_and_retries_return_the_same_item(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    name = f"vivre-{uuid.uuid4().hex[:6]}"
    key = await client_key(services, ("items:write",), name=name)
    body = {"query": operation("ReportCreate"), "variables": {"input": report_input()}}
    # when
    first = await call(client, key, body)
    again = await call(client, key, body)
    # then
    reference = first.json()["data"]["reportCreate"]["report"]["reference"]
    assert again.json()["data"]["reportCreate"]["report"]["reference"] == reference
    async with services.db.reading() as session:
        item = await items.get_by_reference(session, reference)
    assert item is not None
    assert item.channel == f"api:{name}"


async def test_the_same_idempotency_key_from_two_clients_makes_two_items(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    body = {"query": operation("ReportCreate"), "variables": {"input": report_input()}}
    one, other = await client_key(services), await client_key(services)
    # when
    first = await call(client, one, body)
    second = await call(client, other, body)
    # then
    references = {r.json()["data"]["reportCreate"]["report"]["reference"] for r in (first, second)}
    assert len(references) == 2


async def test_a_revoked_client_is_refused_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    name = f"gone-{uuid.uuid4().hex[:6]}"
    key = await client_key(services, name=name)
    assert (await call(client, key, {"query": operation("Categories")})).status_code == 200
    # when
    revoked = await client.post(
        "/graphql",
        json={"query": operation("ApiClientRevoke"), "variables": {"name": name}},
        headers=await admin_headers(services),
    )
    refused = await call(client, key, {"query": operation("Categories")}, language="de")
    # then
    assert revoked.json()["data"]["apiClientRevoke"]["apiClient"]["revokedAt"]
    assert refused.status_code == 401
    errors = refused.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert "API-Schlüssel" in errors[0]["message"]


async def test_a_client_without_the_scope_is_refused_before_anything_runs(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a reader, not a writer
    key = await client_key(services, ("public:read",))
    body = {"query": operation("ReportCreate"), "variables": {"input": report_input()}}
    # when
    refused = await call(client, key, body, language="fr")
    allowed = await call(client, key, {"query": operation("Categories")})
    # then
    assert refused.status_code == 403
    errors = refused.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "INSUFFICIENT_SCOPE"
    assert "reportCreate" in errors[0]["message"]
    assert allowed.status_code == 200
    assert allowed.json()["data"]["categories"]


def published_operations() -> list[str]:
    return sorted(path.stem for path in OPERATIONS_DIR.glob("*.graphql"))


@pytest.mark.parametrize("name", published_operations())
async def test_every_published_operation_needs_its_scope(
    client: httpx.AsyncClient, services: Services, name: str
) -> None:
    # given: a client holding every scope but those that open this operation (or all of them,
    # when no scope opens it: staff work, the audit log, client management)
    document = operation(name)
    fields = access.root_fields(document, None)
    assert fields is not None
    table = AccessTable.of(build_schema(Settings()))
    needed = set().union(*(table.scopes_of(f) for f in fields))
    key = await client_key(services, tuple(s for s in ALL_SCOPES if s not in needed))
    parsed = access.parsed(document)
    assert parsed is not None
    operation_type = access.selected_operation(parsed, None)
    assert operation_type is not None
    # when: sent with no variables (refusal comes before validation)
    response = await call(client, key, {"query": document})
    # then
    assert response.status_code == 403, (name, operation_type.operation is OperationType.QUERY)
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "INSUFFICIENT_SCOPE"


def test_the_command_line_creates_a_client_with_scopes_and_refuses_unknown_ones(
    tmp_path: Path,
) -> None:
    # given
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    env["SERVICE_DATA_DIR"] = str(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "service", *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
        )

    assert run("migrate").returncode == 0
    # when
    create = ("api-client", "create", "--name", "opendata-bot", "--scopes")
    refused = run(*create, "opendata:read,everything")
    created = run(*create, "opendata:read,public:read")
    # then
    assert refused.returncode != 0
    assert "everything" in refused.stderr
    assert created.returncode == 0, created.stderr
    assert "with scopes opendata:read public:read" in created.stdout
    assert created.stdout.strip().splitlines()[-1].startswith("alm_api_")
