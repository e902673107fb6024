"""The HTTP scenarios: which GraphQL request each one sends, and what counts as a success."""

from __future__ import annotations

import itertools
import json
import os
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
# The order is the order of the round robin: reportsPage comes after reportCreate, so that in
# each round it reads a table reportCreate has just grown, as a live service would.
HTTP_SCENARIOS = (
    "trivial",
    "communes",
    "communeAt",
    "reportCreate",
    "reportsPage",
    "nearbyReports",
    "sensorOpinionCreate",
    "sensorsGeojson",
    "serviceRequestCreate",
    "sensorPage",
)
IN_PROCESS_SCENARIOS = ("commune_lookup",)
ALL_SCENARIOS = HTTP_SCENARIOS + IN_PROCESS_SCENARIOS
# Points are drawn in this box (the area around Angers Loire Métropole), so some fall outside
# every commune: the null answer is part of the real workload of a map click.
LONGITUDE_RANGE = (-0.75, -0.38)
LATITUDE_RANGE = (47.38, 47.60)
# A box wholly inside the commune of Angers (checked on a 101 × 101 grid with the locator):
# reports placed here are always accepted and always routed the same way.
ANGERS_LATITUDE_RANGE = (47.455, 47.485)
ANGERS_LONGITUDE_RANGE = (-0.575, -0.535)
# Two metropolitan categories (routed to a directorate) and two communal ones (to the mairie),
# so submissions exercise both branches of the routing.
CREATE_CATEGORIES = ("pothole", "graffiti", "light_out", "water_leak")
REPORTS_PAGE_SIZE = 20
NEARBY_CATEGORY = "pothole"
NEARBY_RADIUS_M = 250
# An example sensor of `serve --demo` (fixtures/demo/sensors.json).
OPINION_SENSOR = "exemple-fraternite-parking-01"
FRENCH_DESCRIPTIONS = (
    "Nid-de-poule profond au milieu de la chaussée, dangereux pour les vélos.",
    "Le lampadaire devant le numéro 12 ne s'allume plus depuis trois jours.",
    "Tags sur le mur de l'école, côté rue, refaits ce week-end.",
    "Fuite d'eau sur le trottoir, une flaque se forme même quand il ne pleut pas.",
    "La plaque d'égout est descellée et bouge au passage des voitures.",
    "Un grand trou s'est formé devant l'arrêt de bus, les piétons l'évitent par la route.",
    "L'éclairage du passage piéton clignote toute la nuit.",
    "Graffiti injurieux sur l'abribus, à nettoyer rapidement s'il vous plaît.",
)

RequestMaker = Callable[[], bytes]


def request_maker(scenario: str, port: int, seed: int) -> RequestMaker:
    """A function returning the next raw HTTP/1.1 request of `scenario`, ready to write."""
    if scenario == "trivial":
        return _constant(port, {"query": "{ __typename }"})
    if scenario == "communes":
        return _constant(port, {"query": _operation("Communes"), "operationName": "Communes"})
    if scenario == "communeAt":
        return _commune_at(port, random.Random(seed))
    if scenario == "reportCreate":
        return _report_create(port, random.Random(seed), seed)
    if scenario == "reportsPage":
        # Always the first page: what the public list and the map show on opening.
        page = {
            "query": _operation("Reports"),
            "operationName": "Reports",
            "variables": {"first": REPORTS_PAGE_SIZE},
        }
        return _constant(port, page)
    if scenario == "nearbyReports":
        return _nearby_reports(port, random.Random(seed))
    if scenario == "sensorOpinionCreate":
        return _sensor_opinion_create(port, random.Random(seed), seed)
    if scenario == "serviceRequestCreate":
        return _service_request_create(port, random.Random(seed), seed)
    if scenario == "sensorsGeojson":
        request = f"GET /sensors.geojson HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n\r\n".encode("ascii")
        return lambda: request
    if scenario == "sensorPage":
        # The page a sign's QR code opens, in Arabic: DTPR texts from ALM's translations.
        page = {
            "query": _operation("Sensor"),
            "operationName": "Sensor",
            "variables": {"slug": OPINION_SENSOR},
            "extensions": {"locale": "ar"},
        }
        return _constant(port, page)
    raise ValueError(f"unknown HTTP scenario {scenario!r}")


def is_success(scenario: str, payload: Any) -> bool:
    """A 200 with data and no GraphQL error, and for payloads with domain errors, none of them."""
    if scenario == "sensorsGeojson":
        return isinstance(payload, dict) and payload.get("type") == "FeatureCollection"
    if not isinstance(payload, dict) or "errors" in payload or not payload.get("data"):
        return False
    data = payload["data"]
    if scenario == "communeAt":
        return not data["communeAt"]["errors"]
    if scenario == "reportCreate":
        # Exactly an empty list: a missing or null `errors` is as wrong as a non-empty one.
        created = data["reportCreate"]
        return bool(created["errors"] == [] and created["report"] is not None)
    if scenario == "reportsPage":
        # A page with nothing in it would measure an empty table: the database is seeded first.
        return bool(data["reports"]["edges"])
    if scenario == "nearbyReports":
        return bool(data["nearbyReports"]["errors"] == [])
    if scenario == "sensorOpinionCreate":
        return bool(data["sensorOpinionCreate"]["errors"] == [])
    if scenario == "serviceRequestCreate":
        created = data["serviceRequestCreate"]
        return bool(created["errors"] == [] and created["serviceRequest"] is not None)
    if scenario == "sensorPage":
        sensor = data["sensor"]
        return bool(sensor and sensor["dtpr"] and sensor["dtprTranslationNote"])
    return True


def random_angers_point(rng: random.Random) -> tuple[float, float]:
    """(latitude, longitude) uniformly in the box inside Angers."""
    return rng.uniform(*ANGERS_LATITUDE_RANGE), rng.uniform(*ANGERS_LONGITUDE_RANGE)


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


def _report_create(port: int, rng: random.Random, seed: int) -> RequestMaker:
    document = json.dumps(_operation("ReportCreate"))
    prefix = f'{{"operationName":"ReportCreate","query":{document},"variables":'
    counter = itertools.count(1)
    # Unique across clients (the seed differs per client and slice) and across runs against the
    # same database (the pid): a reused key would be answered as a replay, not a new report.
    key_prefix = f"bench-{os.getpid()}-{seed}"

    def make() -> bytes:
        latitude, longitude = random_angers_point(rng)
        variables = {
            "input": {
                "categoryCode": rng.choice(CREATE_CATEGORIES),
                "latitude": latitude,
                "longitude": longitude,
                "description": rng.choice(FRENCH_DESCRIPTIONS),
                "idempotencyKey": f"{key_prefix}-{next(counter)}",
                "channel": "APP",
            }
        }
        return _request(port, f"{prefix}{json.dumps(variables)}}}".encode())

    return make


def _nearby_reports(port: int, rng: random.Random) -> RequestMaker:
    document = json.dumps(_operation("NearbyReports"))
    prefix = f'{{"operationName":"NearbyReports","query":{document},"variables":'

    def make() -> bytes:
        latitude, longitude = random_angers_point(rng)
        variables = {
            "latitude": latitude,
            "longitude": longitude,
            "radiusMeters": NEARBY_RADIUS_M,
            "categoryCode": NEARBY_CATEGORY,
        }
        return _request(port, f"{prefix}{json.dumps(variables)}}}".encode())

    return make


def _sensor_opinion_create(port: int, rng: random.Random, seed: int) -> RequestMaker:
    document = json.dumps(_operation("SensorOpinionCreate"))
    prefix = f'{{"operationName":"SensorOpinionCreate","query":{document},"variables":'
    counter = itertools.count(1)
    key_prefix = f"bench-{os.getpid()}-{seed}"

    def make() -> bytes:
        # A new device one time in four, else one of 1,000 devices changing its mind: the mix
        # of inserts and replacements a sign with a QR code would see.
        number = next(counter)
        device = (
            f"{key_prefix}-{number}"
            if number % 4 == 0
            else f"bench-device-{rng.randrange(1000):04d}"
        )
        variables = {
            "input": {
                "sensorSlug": OPINION_SENSOR,
                "acceptance": rng.randint(1, 5),
                "understood": rng.choice(("YES", "PARTLY", "NO")),
                "concerns": rng.sample(["PRIVACY", "COST", "USEFULNESS"], rng.randint(0, 2)),
                "deviceKey": device,
                "idempotencyKey": f"{key_prefix}-{number}",
            }
        }
        return _request(port, f"{prefix}{json.dumps(variables)}}}".encode())

    return make


def _service_request_create(port: int, rng: random.Random, seed: int) -> RequestMaker:
    """A bulky-waste pickup at an Angers address: four typed answers checked, a home-address
    request stored with its details (the heaviest service of the fixtures)."""
    document = json.dumps(_operation("ServiceRequestCreate"))
    prefix = f'{{"operationName":"ServiceRequestCreate","query":{document},"variables":'
    counter = itertools.count(1)
    key_prefix = f"bench-sr-{os.getpid()}-{seed}"
    pickup_day = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()

    def make() -> bytes:
        variables = {
            "input": {
                "serviceCode": "bulky_waste_pickup",
                "commune": "49007",
                "addressText": f"{rng.randint(1, 120)} rue Lenepveu",
                "answers": [
                    {"code": "items", "values": rng.sample(["furniture", "mattress", "other"], 2)},
                    {"code": "volume_m3", "value": str(rng.choice([1, 1.5, 2, 3]))},
                    {"code": "preferred_date", "value": pickup_day},
                    {"code": "access_notes", "value": "Devant le portail"},
                ],
                "idempotencyKey": f"{key_prefix}-{next(counter)}",
                "channel": "APP",
            }
        }
        return _request(port, f"{prefix}{json.dumps(variables)}}}".encode())

    return make


def page_request(path: str, language: str, port: int, cookie: str = "") -> RequestMaker:
    """A GET of one of the residents' pages, as a first visit makes it: no cookie (so a page
    with forms issues its CSRF cookie every time), the language from Accept-Language. With
    ``cookie`` (a staff console's session), sent as it is."""
    head = (
        f"GET {path} HTTP/1.1\r\n"
        f"host: 127.0.0.1:{port}\r\n"
        "accept: text/html\r\n"
        f"accept-language: {language}\r\n" + (f"cookie: {cookie}\r\n" if cookie else "") + "\r\n"
    )
    request = head.encode("ascii")
    return lambda: request


def is_page(body: bytes) -> bool:
    """A whole page rendered (the 200 is checked apart): a template error would cut it short."""
    return body.lstrip().lower().startswith(b"<!doctype html") and body.rstrip().endswith(
        b"</html>"
    )
