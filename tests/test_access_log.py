"""The access log says what was asked and how it went, never who asked or with what."""

from __future__ import annotations

import logging

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_the_access_log_holds_no_address_and_no_query_string(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a GET whose variables carry a resident's e-mail address
    query = "{ communeAt(latitude: 47.47, longitude: -0.55) { commune { name } } }"
    # when
    with caplog.at_level(logging.INFO, logger="service.access"):
        response = await client.get(
            "/graphql", params={"query": query, "variables": '{"e": "camille@example.org"}'}
        )
    # then
    assert response.status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "service.access"]
    assert len(lines) == 1 and lines[0].startswith("GET /graphql 200 ")
    assert "camille" not in lines[0] and "127.0.0.1" not in lines[0] and "?" not in lines[0]
