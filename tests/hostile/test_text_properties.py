"""A property of the whole API: whatever Unicode a caller puts in any text argument of any
mutation (NUL, other controls, lone surrogates, any script, thousands of characters), the
answer is accepted or a typed error, never INTERNAL_ERROR, never a 5xx.

The arguments are read from the schema itself (every String and ID, however deep in input
objects and lists), so a new mutation is covered the day it is added. Each is tried by an
anonymous caller, a staff member in a session and an API client, around a valid value so the
text reaches the rules and the database. Four fixed texts (what broke the service) are tried
on every argument, then ``TEXT_FUZZ_EXAMPLES`` drawn ones per argument and caller (3 by
default, the same on every run; above 10 they are random, for a long run).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.app import create_app
from service.context import Services
from service.schema import build_schema
from service.settings import Settings
from service.staff import rules as staff_rules
from service.staff.models import Role
from tests import support
from tests.hostile.support import a_sensor
from tests.integrations.clients import client_key
from tests.sensors.support import sensor_input
from tests.service_requests.support import bulky_waste_input

pytestmark = pytest.mark.anyio

EXAMPLES = int(os.environ.get("TEXT_FUZZ_EXAMPLES", "3"))
SCHEMA = build_schema(Settings())._schema
TEXT_SCALARS = ("String", "ID")
PASSWORD = "correct horse battery staple"
CONTACT = {
    "name": "Camille Martin",
    "email": "camille@example.org",
    "phone": "06 12 34 56 78",
    "followUpConsent": True,
    "consentTextVersion": "2026-01",
}

Step = str | int  # a field name, or 0 for a list's element
Path_ = tuple[Step, ...]


def text_paths(type_: GraphQLInputType, depth: int = 0) -> list[Path_]:
    """Every String or ID position inside an argument's type (lists: their first element)."""
    if isinstance(type_, GraphQLNonNull):
        return text_paths(type_.of_type, depth)
    if isinstance(type_, GraphQLList):
        return [(0, *p) for p in text_paths(type_.of_type, depth)]
    if isinstance(type_, GraphQLInputObjectType) and depth < 5:
        return [(n, *p) for n, f in type_.fields.items() for p in text_paths(f.type, depth + 1)]
    if isinstance(type_, GraphQLScalarType) and type_.name in TEXT_SCALARS:
        return [()]
    return []


@dataclass(frozen=True)
class Target:
    mutation: str
    argument: str
    path: Path_

    def __str__(self) -> str:
        steps = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in self.path)
        return f"{self.mutation}.{self.argument}{steps}"


TARGETS = [
    Target(name, argument, path)
    for name, mutation in SCHEMA.mutation_type.fields.items()  # type: ignore[union-attr]
    for argument, definition in mutation.args.items()
    for path in text_paths(definition.type)
]

CHARACTERS = st.one_of(
    st.characters(codec=None),  # any code point but surrogates
    st.characters(max_codepoint=0x1F),  # C0 controls
    st.characters(categories=["Cs"]),  # lone surrogates
)
TEXTS = st.one_of(
    st.text(CHARACTERS, max_size=30),
    st.text(CHARACTERS, min_size=200, max_size=6000),  # past every column's length
    st.sampled_from(["", " ", "\x00", "\ud800", "-1", "9" * 40, "ALM-2026-000001", "é" * 400]),
)


@dataclass
class World:
    """What the valid values around a fuzzed text point at."""

    reference: str
    other_reference: str
    token: str
    slug: str
    staff_id: int
    hints: dict[str, Callable[[], Any]] = field(default_factory=dict)


def _unique(prefix: str) -> Callable[[], str]:
    return lambda: f"{prefix}-{uuid.uuid4().hex[:16]}"


def hints_for(world: World) -> dict[str, Callable[[], Any]]:
    """Valid values by argument or field name, so a request gets past the first check."""
    return {
        "reference": lambda: world.reference,
        "originalReference": lambda: world.other_reference,
        "token": lambda: world.token,
        "slug": lambda: world.slug,
        "sensorSlug": lambda: world.slug,
        "staffId": lambda: str(world.staff_id),
        "idempotencyKey": _unique("key"),
        "deviceKey": _unique("device"),
        "email": lambda: "someone@angers.fr",
        "password": lambda: PASSWORD,
        "categoryCode": lambda: "pothole",
        "serviceCode": lambda: "tree_pruning",
        "bodyCode": lambda: "alm-voirie",
        "accountableBodyCode": lambda: "alm-voirie",
        "commune": lambda: "49007",
        "language": lambda: "fr",
        "answerLanguage": lambda: "fr",
        "latitude": lambda: support.ANGERS_TOWN_HALL[0],
        "longitude": lambda: support.ANGERS_TOWN_HALL[1],
        "name": _unique("fuzz"),
        "code": _unique("fuzz"),
        "url": lambda: "https://example.org/hook",
        "scopes": lambda: ["items:read"],
        "text": lambda: "Merci, c'est noté.",
        "description": lambda: "Un nid-de-poule profond.",
        "title": lambda: "Réparé",
        "consentTextVersion": lambda: "2026-01",
        "followUpConsent": lambda: True,
    }


# Whole valid inputs for the richest mutations, so each of their texts reaches storage.
BASES: dict[str, Callable[[World], dict[str, Any]]] = {
    "reportCreate": lambda w: {"input": support.report_input(contact=CONTACT, addressText="1 rue")},
    "assistedReportCreate": lambda w: {
        "input": {**support.report_input(contact=CONTACT), "channel": "COUNTER"}
    },
    "serviceRequestCreate": lambda w: {"input": bulky_waste_input(contact=CONTACT)},
    "assistedServiceRequestCreate": lambda w: {
        "input": {**bulky_waste_input(contact=CONTACT), "channel": "PHONE"}
    },
    "sensorCreate": lambda w: {"input": sensor_input()},
    "sensorUpdate": lambda w: {"input": {"slug": w.slug, "name": "Capteur", "hosting": "OVH"}},
    "itemTransition": lambda w: {"reference": w.reference, "status": "IN_PROGRESS"},
}


SCALAR_BASES: dict[str, Any] = {
    "String": "fuzz",
    "ID": "fuzz",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Date": datetime.now(UTC).date().isoformat(),
    "DateTime": datetime.now(UTC).isoformat(),
}


def base_value(type_: GraphQLInputType, name: str, hints: dict[str, Callable[[], Any]]) -> Any:
    """A valid-looking value: a hint for the name, else the simplest value of the type (input
    objects with their required fields only)."""
    if name in hints and not isinstance(get_named_type(type_), GraphQLEnumType):
        return hints[name]()
    if isinstance(type_, GraphQLNonNull):
        return base_value(type_.of_type, name, hints)
    if isinstance(type_, GraphQLList):
        return [base_value(type_.of_type, name, hints)]
    if isinstance(type_, GraphQLInputObjectType):
        return {
            n: base_value(f.type, n, hints)
            for n, f in type_.fields.items()
            if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
        }
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    return SCALAR_BASES[getattr(type_, "name", "String")]


def put(value: Any, type_: GraphQLInputType, path: Path_, text: str, hints: Any) -> Any:
    """``value`` with ``text`` at ``path``, creating what lies on the way."""
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if not path:
        return text
    step, rest = path[0], path[1:]
    if isinstance(type_, GraphQLList):
        items = list(value) if isinstance(value, list) and value else [None]
        current = items[0] if items[0] is not None else base_value(type_.of_type, "", hints)
        items[0] = put(current, type_.of_type, rest, text, hints)
        return items
    assert isinstance(type_, GraphQLInputObjectType) and isinstance(step, str)
    fields = dict(value) if isinstance(value, dict) else base_value(type_, "", hints)
    inner = type_.fields[step].type
    current = fields.get(step)
    if current is None and rest:
        current = base_value(inner, step, hints)
    fields[step] = put(current, inner, rest, text, hints)
    return fields


def document(name: str, mutation: GraphQLField, arguments: list[str]) -> str:
    declared = ", ".join(f"${a}: {mutation.args[a].type}" for a in arguments)
    passed = ", ".join(f"{a}: ${a}" for a in arguments)
    returned = get_named_type(mutation.type)
    selection = ""
    if isinstance(returned, GraphQLObjectType):
        selection = "{ __typename errors { code } }" if "errors" in returned.fields else ""
        selection = selection or "{ __typename }"
    head = f"({declared})" if declared else ""
    call = f"({passed})" if passed else ""
    return f"mutation Fuzz{head} {{ {name}{call} {selection} }}"


def request_for(target: Target, text: str, world: World) -> dict[str, Any]:
    mutation = SCHEMA.mutation_type.fields[target.mutation]  # type: ignore[union-attr]
    variables = BASES[target.mutation](world) if target.mutation in BASES else {}
    for name, argument in mutation.args.items():
        required = isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
        if name not in variables and (required or name in world.hints):
            variables[name] = base_value(argument.type, name, world.hints)
    definition = mutation.args[target.argument]
    variables[target.argument] = put(
        variables.get(target.argument), definition.type, target.path, text, world.hints
    )
    return {"query": document(target.mutation, mutation, list(variables)), "variables": variables}


@dataclass
class Caller:
    client: httpx.AsyncClient
    headers: dict[str, str]

    async def post(self, body: dict[str, Any]) -> httpx.Response:
        # json.dumps escapes lone surrogates (\ud800): the body is JSON a client can send.
        return await self.client.post(
            "/graphql", content=json.dumps(body).encode("ascii"), headers=self.headers
        )


@dataclass
class Fuzz:
    world: World
    callers: dict[str, Caller]


def _headers(**more: str) -> dict[str, str]:
    return {"content-type": "application/json", "accept-language": "fr", **more}


async def _staff_session(services: Services, client: httpx.AsyncClient) -> Caller:
    email = f"{uuid.uuid4().hex[:10]}@angers.fr"
    async with services.db.writing() as session:
        user = await staff_rules.create_staff(
            session,
            email=email,
            name="Fuzz",
            body_code="alm",
            role=Role.ADMIN,
            password=PASSWORD,
            now=services.clock(),
        )
    response = await client.post(
        "/graphql",
        json={
            "query": support.operation("StaffLogin"),
            "variables": {"email": email, "password": PASSWORD},
        },
    )
    csrf = response.json()["data"]["staffLogin"]["me"]["csrfToken"]
    assert user.id is not None
    return Caller(client, _headers(**{"x-csrf-token": csrf}))


@pytest.fixture(scope="module")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A database of its own: the fuzz creates hundreds of items and sensors that tests
    reading lists of the shared database must not see."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with support.throwaway_database(os.environ.get("TEST_DATABASE_URL"), folder) as url:
        settings = Settings(
            database_url=url,
            data_dir=folder,
            secret_keys=("k" * 32,),
            client_requests_per_minute=1_000_000,
            client_submissions_per_minute=1_000_000,
            client_cost_per_minute=1_000_000_000,
            **support.ONE_ORIGIN_LIMITS,
        )
        support.prepare_database(settings)
        yield settings


@pytest.fixture(scope="module")
async def fuzz(fuzz_settings: Settings) -> AsyncIterator[Fuzz]:
    settings = fuzz_settings
    async with support.running_service(settings) as (services, anonymous):
        app = create_app(settings, services)
        staff_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        async with staff_client:
            pothole = await support.submit_report(anonymous)
            other = await support.submit_report(anonymous)
            roads = await support.staff(services, anonymous, "alm-voirie", Role.AGENT)
            staff = await _staff_session(services, staff_client)
            world = World(
                reference=pothole["report"]["reference"],
                other_reference=other["report"]["reference"],
                token=pothole["trackingToken"],
                slug=await a_sensor(anonymous, services),
                staff_id=roads.staff_id,
            )
            world.hints = hints_for(world)
            key = await client_key(services)
            callers = {
                "anonymous": Caller(anonymous, _headers()),
                "staff": staff,
                "client": Caller(anonymous, _headers(authorization=f"Bearer {key}")),
            }
            yield Fuzz(world, callers)


def assert_typed(response: httpx.Response, target: Target, text: str) -> None:
    assert response.status_code < 500, (str(target), repr(text), response.text)
    body = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code and code != "INTERNAL_ERROR", (str(target), repr(text[:80]), body)


@pytest.mark.parametrize("caller", ["anonymous", "staff", "client"])
@pytest.mark.parametrize("target", TARGETS, ids=str)
@settings(
    max_examples=EXAMPLES,
    derandomize=EXAMPLES <= 10,  # the same examples on every CI run; a long run explores
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=TEXTS, around=st.booleans())
# Hypothesis starts from the simplest texts: what broke the service is tried on every argument.
@example(text="\x00", around=True)
@example(text="\ud800", around=False)
@example(text="\x1b[2J\x7f", around=True)
@example(text="\u00e9" * 5000, around=False)
async def test_no_text_in_any_mutation_argument_is_an_internal_error(
    fuzz: Fuzz, target: Target, caller: str, text: str, around: bool
) -> None:
    # given: the text alone, or inside a valid value
    written = f"Valeur {text} valide" if around else text
    body = request_for(target, written, fuzz.world)
    # when
    response = await fuzz.callers[caller].post(body)
    # then
    if os.environ.get("FUZZ_DIAG"):
        b = response.json()
        top = [e.get("extensions", {}).get("code") for e in b.get("errors") or []]
        d = (b.get("data") or {}).get(target.mutation) if isinstance(b.get("data"), dict) else None
        pay = [e["code"] for e in d.get("errors", [])] if isinstance(d, dict) else None
        print("DIAG", caller, target, response.status_code, top, pay)
    assert_typed(response, target, written)
