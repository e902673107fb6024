"""The HTTP scenarios: which GraphQL request each one sends, and what counts as a success."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
HTTP_SCENARIOS = ("trivial", "communes", "communeAt")
IN_PROCESS_SCENARIOS = ("commune_lookup",)
ALL_SCENARIOS = HTTP_SCENARIOS + IN_PROCESS_SCENARIOS
# Points are drawn in this box (the area around Angers Loire Métropole), so some fall outside
# every commune: the null answer is part of the real workload of a map click.
LONGITUDE_RANGE = (-0.75, -0.38)
LATITUDE_RANGE = (47.38, 47.60)

RequestMaker = Callable[[], bytes]


def request_maker(scenario: str, port: int, seed: int) -> RequestMaker:
    """A function returning the next raw HTTP/1.1 request of `scenario`, ready to write."""
    if scenario == "trivial":
        return _constant(port, {"query": "{ __typename }"})
    if scenario == "communes":
        return _constant(port, {"query": _operation("Communes"), "operationName": "Communes"})
    if scenario == "communeAt":
        return _commune_at(port, random.Random(seed))
    raise ValueError(f"unknown HTTP scenario {scenario!r}")


def is_success(scenario: str, payload: Any) -> bool:
    """A 200 with data and no GraphQL error (and, for communeAt, no domain error either)."""
    if not isinstance(payload, dict) or "errors" in payload or not payload.get("data"):
        return False
    if scenario == "communeAt":
        return not payload["data"]["communeAt"]["errors"]
    return True


def _operation(name: str) -> str:
    # The documents the clients really send, not a copy that could drift from them.
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


def _request(port: int, body: bytes) -> bytes:
    head = (
        "POST /graphql HTTP/1.1\r\n"
        f"host: 127.0.0.1:{port}\r\n"
        "content-type: application/json\r\n"
        "accept: application/graphql-response+json\r\n"
        f"content-length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


def _constant(port: int, payload: dict[str, Any]) -> RequestMaker:
    request = _request(port, json.dumps(payload).encode())
    return lambda: request


def _commune_at(port: int, rng: random.Random) -> RequestMaker:
    # Only the variables change: the document is encoded once, the point appended per request
    # (a different point each time, so no cache anywhere can serve a repeated answer).
    document = json.dumps(_operation("CommuneAt"))
    prefix = f'{{"operationName":"CommuneAt","query":{document},"variables":'
    min_lon, max_lon = LONGITUDE_RANGE
    min_lat, max_lat = LATITUDE_RANGE

    def make() -> bytes:
        latitude = rng.uniform(min_lat, max_lat)
        longitude = rng.uniform(min_lon, max_lon)
        body = f'{prefix}{{"latitude":{latitude!r},"longitude":{longitude!r}}}}}'
        return _request(port, body.encode())

    return make
