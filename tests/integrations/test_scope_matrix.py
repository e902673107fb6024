"""The authorization matrix of the residents' and integrators' public fields: `myItems`,
`consentTexts` and `changes`, asked by every kind of caller. A key never reads less than
no key: what anonymous callers read, a key that reads public data reads too."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from service.context import Services
from tests.integrations.clients import call, client_key

pytestmark = pytest.mark.anyio
OK, SCOPE = "ok", "INSUFFICIENT_SCOPE"

DOCUMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "myItems": (
        "query($k: String!, $p: String!) { myItems(deviceKey: $k, proof: $p) "
        "{ items { reference } errors { code } } }",
        {"k": "device-matrix-1", "p": secrets.token_urlsafe(24)},
    ),
    "consentTexts": ("{ consentTexts { version } }", {}),
    "changes": ("{ changes(first: 1) { hasMore } }", {}),
}
# caller -> (the key's scopes, or None for no key) and the outcome of each field
MATRIX: dict[str, tuple[tuple[str, ...] | None, dict[str, str]]] = {
    "anonymous": (None, dict.fromkeys(DOCUMENTS, OK)),
    "default key": (
        ("public:read", "items:write", "items:follow"),
        dict.fromkeys(DOCUMENTS, OK),
    ),
    "public reader": (("public:read",), {"myItems": SCOPE, "consentTexts": OK, "changes": OK}),
    "open-data reader": (
        ("opendata:read",),
        {"myItems": SCOPE, "consentTexts": SCOPE, "changes": OK},
    ),
    "follower": (("items:follow",), {"myItems": OK, "consentTexts": SCOPE, "changes": SCOPE}),
    "webhooks only": (("webhooks:manage",), dict.fromkeys(DOCUMENTS, SCOPE)),
}


def outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    data = next(iter(body["data"].values()))
    if isinstance(data, dict) and data.get("errors"):
        return str(data["errors"][0]["code"])
    return OK


@pytest.mark.parametrize("who", list(MATRIX))
async def test_each_caller_reads_what_its_scopes_open(
    client: httpx.AsyncClient, services: Services, who: str
) -> None:
    # given
    scopes, expected = MATRIX[who]
    key = await client_key(services, scopes) if scopes is not None else None
    # when
    results = {}
    for field, (document, variables) in DOCUMENTS.items():
        response = await call(client, key, {"query": document, "variables": variables})
        results[field] = outcome(response.json())
    # then
    assert results == expected
