"""Hostile inputs: texts no field has a use for (NUL and the other control characters, lone
surrogates), cursors and page sizes the service never gave, short codes that are not ours.
Each is a typed refusal on SQLite and PostgreSQL alike: never INTERNAL_ERROR, never a 5xx.

PostgreSQL refuses NUL in text: before the one input rule, these texts reached it and
answered INTERNAL_ERROR there, while SQLite stored them."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests import support
from tests.hostile.support import RawCaller, World, a_world, errors_of
from tests.integrations.clients import client_key
from tests.sensors.support import sensor_input, staff
from tests.service_requests.support import bulky_waste_input
from tests.support import report_input

pytestmark = pytest.mark.anyio

NUL = "\x00"
ESCAPE = "\x1b"
LONE_SURROGATE = "\ud800"


@dataclass(frozen=True)
class TextCase:
    """An operation, with a hostile text put in one of its arguments."""

    operation: str
    argument: str  # the argument path the refusal names
    variables: Callable[[World, str], dict[str, Any]]
    as_staff: bool = False


def _sensor_opinion(world: World, text: str, **fields: Any) -> dict[str, Any]:
    values = {
        "sensorSlug": world.slug,
        "acceptance": 4,
        "understood": "YES",
        "deviceKey": f"device-{uuid.uuid4().hex}",
        "idempotencyKey": f"key-{uuid.uuid4().hex}",
    }
    return {"input": {**values, **fields}}


def _question(world: World, text: str) -> dict[str, Any]:
    values = {"sensorSlug": world.slug, "question": text, "idempotencyKey": f"k-{uuid.uuid4()}"}
    return {"input": values}


def _answers_with(text: str) -> dict[str, Any]:
    values = bulky_waste_input()
    values["answers"][3] = {"code": "access_notes", "value": f"Digicode {text}"}
    return {"input": values}


TEXT_CASES = {
    "report description": TextCase(
        "ReportCreate",
        "reportCreate.input.description",
        lambda w, t: {"input": report_input(description=f"Trou {t} profond")},
    ),
    "report address": TextCase(
        "ReportCreate",
        "reportCreate.input.addressText",
        lambda w, t: {"input": report_input(addressText=f"1 rue{t} Lenepveu")},
    ),
    "report idempotency key": TextCase(
        "ReportCreate",
        "reportCreate.input.idempotencyKey",
        lambda w, t: {"input": report_input(idempotencyKey=f"key-{t}-{uuid.uuid4()}")},
    ),
    "service request answer": TextCase(
        "ServiceRequestCreate",
        "serviceRequestCreate.input.answers[3].value",
        lambda w, t: _answers_with(t),
    ),
    "service request description": TextCase(
        "ServiceRequestCreate",
        "serviceRequestCreate.input.description",
        lambda w, t: {"input": bulky_waste_input(description=f"Un canapé{t}")},
    ),
    "sensor opinion comment": TextCase(
        "SensorOpinionCreate",
        "sensorOpinionCreate.input.comment",
        lambda w, t: _sensor_opinion(w, t, comment=f"Utile {t}"),
    ),
    "sensor opinion device key": TextCase(
        "SensorOpinionCreate",
        "sensorOpinionCreate.input.deviceKey",
        lambda w, t: _sensor_opinion(w, t, deviceKey=f"device-{t}"),
    ),
    "sensor question": TextCase(
        "SensorQuestionCreate",
        "sensorQuestionCreate.input.question",
        lambda w, t: _question(w, f"Pourquoi {t} ?"),
    ),
    "staff login e-mail": TextCase(
        "StaffLogin",
        "staffLogin.email",
        lambda w, t: {"email": f"agent{t}@angers.fr", "password": "correct horse battery"},
    ),
    "report by reference": TextCase(
        "Report", "report.reference", lambda w, t: {"reference": f"{w.reference}{t}"}
    ),
    "report support": TextCase(
        "ReportSupport",
        "reportSupport.reference",
        lambda w, t: {"reference": f"{w.reference}{t}", "deviceKey": "device-1"},
    ),
    "reports filter": TextCase(
        "Reports", "reports.filter.commune", lambda w, t: {"filter": {"commune": f"49007{t}"}}
    ),
    "search words": TextCase("Search", "search.query", lambda w, t: {"query": f"nid{t}poule"}),
    "search filter": TextCase(
        "Search",
        "search.filter.category",
        lambda w, t: {"query": "trou", "filter": {"category": f"pothole{t}"}},
    ),
    "sensor by slug": TextCase("Sensor", "sensor.slug", lambda w, t: {"slug": f"{w.slug}{t}"}),
    "tracked by code": TextCase(
        "TrackedByCode",
        "trackedByCode.reference",
        lambda w, t: {"reference": f"{w.reference}{t}", "code": "AAAA-AAAA"},
    ),
    "tracked information": TextCase(
        "TrackedAddInformation",
        "trackedAddInformation.text",
        lambda w, t: {"token": w.token, "text": f"Encore là {t}"},
    ),
    "staff answer": TextCase(
        "ItemAnswer",
        "itemAnswer.publicAnswer",
        lambda w, t: {"reference": w.reference, "publicAnswer": f"Réparé {t}"},
        as_staff=True,
    ),
    "staff answer reference": TextCase(
        "ItemAnswer",
        "itemAnswer.reference",
        lambda w, t: {"reference": f"{w.reference}{t}", "privateNote": "vu"},
        as_staff=True,
    ),
}


@pytest.fixture
async def world(client: httpx.AsyncClient, services: Services) -> World:
    return await a_world(client, services)


def _refused_with_invalid_text(body: dict[str, Any], argument: str) -> None:
    errors = errors_of(body)
    assert len(errors) == 1, body
    assert errors[0]["extensions"]["code"] == "INVALID_TEXT", body
    assert errors[0]["extensions"]["argument"] == argument, body
    assert body.get("data") is None, body


@pytest.mark.parametrize("case", TEXT_CASES.values(), ids=TEXT_CASES.keys())
async def test_a_nul_in_any_text_is_a_typed_refusal(
    client: httpx.AsyncClient, world: World, case: TextCase
) -> None:
    # given
    caller = RawCaller(client, world.agent.token if case.as_staff else None)
    # when
    response = await caller.run(case.operation, case.variables(world, NUL))
    # then: refused before any resolver ran (PostgreSQL cannot store a NUL; SQLite could)
    assert response.status_code == 400, response.text
    _refused_with_invalid_text(response.json(), case.argument)


@pytest.mark.parametrize("text", [ESCAPE, "\x7f\x01", LONE_SURROGATE, "a\udfffb"])
@pytest.mark.parametrize("case", ["report description", "tracked information", "staff answer"])
async def test_other_control_characters_and_lone_surrogates_are_refused(
    client: httpx.AsyncClient, world: World, case: str, text: str
) -> None:
    # given
    chosen = TEXT_CASES[case]
    caller = RawCaller(client, world.agent.token if chosen.as_staff else None)
    # when: the body is JSON with \\u escapes, as a client that sends them would
    response = await caller.run(chosen.operation, chosen.variables(world, text))
    # then
    assert response.status_code == 400, response.text
    _refused_with_invalid_text(response.json(), chosen.argument)


async def test_tabs_line_breaks_and_any_language_are_accepted(client: httpx.AsyncClient) -> None:
    # given: what people really type, in the five languages and beyond
    text = "Trou profond\tdevant l'arrêt.\r\nΔρόμος — شارع — 道路 — 🚧 ß"
    # when
    response = await RawCaller(client).run(
        "ReportCreate", {"input": report_input(description=text)}
    )
    # then
    payload = response.json()["data"]["reportCreate"]
    assert payload["errors"] == []
    assert payload["report"]["reference"]


async def test_a_text_written_in_the_document_is_checked_too(client: httpx.AsyncClient) -> None:
    # given: the NUL as a GraphQL string escape, not in the variables
    query = '{ report(reference: "ALM-2026-\\u0000") { reference } }'
    # when
    response = await RawCaller(client).post({"query": query})
    # then
    assert response.status_code == 400, response.text
    _refused_with_invalid_text(response.json(), "report.reference")


async def test_the_refusal_is_in_the_callers_language(client: httpx.AsyncClient) -> None:
    # given
    case = TEXT_CASES["report description"]
    variables = case.variables(None, NUL)  # type: ignore[arg-type]
    # when
    answers = {
        language: (await RawCaller(client, language=language).run(case.operation, variables))
        for language in ("fr", "en", "es", "de", "ar")
    }
    # then: five different messages, each naming the argument
    messages = {language: errors_of(r.json())[0]["message"] for language, r in answers.items()}
    assert len(set(messages.values())) == 5, messages
    assert all("reportCreate.input.description" in m for m in messages.values()), messages
    assert all(r.headers["content-language"] == lang for lang, r in answers.items())


# --- REST --------------------------------------------------------------------------------

REST_CASES = {
    "open311 request by id": "/open311/v2/requests/ALM-2026-000001%00.json",
    "open311 request by id, xml": "/open311/v2/requests/ALM%1B.xml",
    "open311 requests filter": "/open311/v2/requests.json?service_request_id=ALM%00",
    "open311 service code filter": "/open311/v2/requests.json?service_code=pothole%00",
    "open311 service definition": "/open311/v2/services/bulky%00.json",
    "chart commune": "/trends/charts/items.svg?commune=49007%00",
    "chart category": "/trends/charts/items-by-kind.svg?category=pothole%00",
    "chart kind": "/trends/charts/items.svg?kind=report%00",
    "open data year": "/opendata/items-by-month.csv?year=2026%00",
    "sensor map": "/sensors.geojson?status=active%00",
}


@pytest.mark.parametrize("path", REST_CASES.values(), ids=REST_CASES.keys())
async def test_a_nul_in_a_rest_input_is_a_400(client: httpx.AsyncClient, path: str) -> None:
    # when
    response = await client.get(path, headers={"accept-language": "en"})
    # then
    assert response.status_code == 400, response.text
    assert "INVALID_TEXT" in response.text


async def test_a_nul_in_an_open311_form_is_a_400(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: an integrator's key
    key = await client_key(services)
    form = {
        "api_key": key,
        "service_code": "pothole",
        "lat": "47.4712",
        "long": "-0.5502",
        "description": "Trou\x00profond",
    }
    # when
    response = await client.post("/open311/v2/requests.json", data=form)
    # then
    assert response.status_code == 400, response.text
    assert response.json()[0]["code"] == 400
    assert "description" in response.json()[0]["description"]
    assert "INVALID_TEXT" in response.json()[0]["description"]


# --- cursors and page sizes ----------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@dataclass(frozen=True)
class PagedCase:
    operation: str
    variables: dict[str, Any]
    cursor: Callable[[int], str]  # a cursor of this list, well formed, holding this number
    cursor_argument: str = "after"
    staff_role: Role | None = None


PAGED = {
    "reports": PagedCase("Reports", {}, lambda n: _b64(f"report:{n}")),
    "sensors": PagedCase("Sensors", {}, lambda n: _b64(f"sensor-id:{n}")),
    "search": PagedCase("Search", {"query": "trou"}, lambda n: _b64(f"search:{n}")),
    "triage queue": PagedCase(
        "TriageQueue", {}, lambda n: _b64(f"q:{n}:{n}"), staff_role=Role.AGENT
    ),
    "audit log": PagedCase("AuditLog", {}, lambda n: _b64(f"audit:{n}"), staff_role=Role.ADMIN),
    "changes": PagedCase(  # a transaction id is a BIGINT: at its largest here
        "Changes", {}, lambda n: _b64(f"c1:{2**63 - 1}:{n}"), cursor_argument="since"
    ),
}
HUGE = 10**30
LARGEST = 2**31 - 1  # the largest INTEGER of PostgreSQL (ids, counts)
GARBAGE_CURSORS = ["garbage", "!!!", "é", _b64("report:-1"), _b64("report:12:13"), "A" * 5000]


async def _caller_for(case: PagedCase, client: httpx.AsyncClient, services: Services) -> RawCaller:
    if case.staff_role is None:
        return RawCaller(client)
    member = await staff(services, client, "mairie-49007", case.staff_role)
    return RawCaller(client, member.token)


def _refused_with(body: dict[str, Any], code: str) -> None:
    errors = errors_of(body)
    assert len(errors) == 1, body
    assert errors[0]["extensions"]["code"] == code, body


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
@pytest.mark.parametrize("case", PAGED.values(), ids=PAGED.keys())
async def test_a_cursor_the_service_never_gave_is_invalid_cursor(
    client: httpx.AsyncClient, services: Services, case: PagedCase, cursor: str
) -> None:
    # given
    caller = await _caller_for(case, client, services)
    # when
    response = await caller.run(case.operation, {**case.variables, case.cursor_argument: cursor})
    # then: never a silent restart from the first page
    _refused_with(response.json(), "INVALID_CURSOR")


@pytest.mark.parametrize("case", PAGED.values(), ids=PAGED.keys())
async def test_a_cursor_holding_a_huge_number_is_invalid_cursor(
    client: httpx.AsyncClient, services: Services, case: PagedCase
) -> None:
    # given
    caller = await _caller_for(case, client, services)
    # when
    response = await caller.run(
        case.operation, {**case.variables, case.cursor_argument: case.cursor(HUGE)}
    )
    # then: the number never reaches the database
    _refused_with(response.json(), "INVALID_CURSOR")


@pytest.mark.parametrize("case", PAGED.values(), ids=PAGED.keys())
async def test_the_largest_number_a_cursor_may_hold_reads_an_empty_page(
    client: httpx.AsyncClient, services: Services, case: PagedCase
) -> None:
    # given: a well-formed cursor past the last row, at the top of its column's integers
    caller = await _caller_for(case, client, services)
    variables = {**case.variables, case.cursor_argument: case.cursor(LARGEST)}
    # when
    response = await caller.run(case.operation, variables)
    # then: an answer (an empty page, or search's "too deep"), never a database error
    body = response.json()
    assert "errors" not in body, body


@pytest.mark.parametrize("first", [-1, 0])
@pytest.mark.parametrize("case", PAGED.values(), ids=PAGED.keys())
async def test_a_page_of_less_than_one_is_refused(
    client: httpx.AsyncClient, services: Services, case: PagedCase, first: int
) -> None:
    # given
    caller = await _caller_for(case, client, services)
    # when
    response = await caller.run(case.operation, {**case.variables, "first": first})
    # then
    _refused_with(response.json(), "INVALID_PAGE_SIZE")


async def test_a_sensors_questions_of_less_than_one_are_refused(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given: a sensor of its own (the register's lists are counted elsewhere)
    world = await a_world(fresh_client, fresh_services)
    query = (
        "query($slug: String!, $first: Int!) "
        "{ sensor(slug: $slug) { questions(first: $first) { reference } } }"
    )
    for first in (-1, 0):
        # when
        response = await RawCaller(fresh_client).post(
            {"query": query, "variables": {"slug": world.slug, "first": first}}
        )
        # then
        _refused_with(response.json(), "INVALID_PAGE_SIZE")


# --- tracking by short code ------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ÀÀÀÀ-ÀÀÀÀ", "K7PM-3XQ\u00dd", "٣٣٣٣-٣٣٣٣", "", "-" * 300])
async def test_a_malformed_short_code_is_answered_like_a_wrong_one(
    client: httpx.AsyncClient, world: World, code: str
) -> None:
    # when
    response = await RawCaller(client).run(
        "TrackedByCode", {"reference": world.reference, "code": code}
    )
    # then
    body = response.json()
    assert "errors" not in body, body
    errors = body["data"]["trackedByCode"]["errors"]
    assert [e["code"] for e in errors] == ["TOKEN_INVALID"]


# --- web pages -----------------------------------------------------------------------------

# A part of the path breaking the text rule, a cursor the list never gave: typed refusals
# (400, as the API's INVALID_TEXT and INVALID_CURSOR), never a 500.
WEB_PAGES = {
    "sensor page, NUL slug": ("/capteurs/parking%00", 400),
    "sensor sign, NUL slug": ("/capteurs/parking%00/panneau", 400),
    "sensor page, unknown slug": ("/capteurs/parking-" + "9" * 300, 404),
    "register, huge cursor": ("/capteurs?apres=" + "9" * 30, 400),
    "register, superscript cursor": ("/capteurs?apres=%C2%B2", 400),
}


@pytest.mark.parametrize(("path", "status"), WEB_PAGES.values(), ids=WEB_PAGES.keys())
async def test_a_hostile_address_of_a_page_is_never_a_500(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    # when
    response = await client.get(path)
    # then: an unknown sensor, or a refusal
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"acceptance": "4", "understood": "yes", "comment": "Utile\x00"}, "comment"),
        ({"acceptance": "\u00b2", "understood": "yes"}, "acceptance"),
    ],
    ids=["NUL in the comment", "superscript acceptance"],
)
async def test_a_hostile_opinion_form_is_refused_beside_its_field(
    client: httpx.AsyncClient, world: World, form: dict[str, str], field: str
) -> None:
    # given: the sensor's page, as a browser without scripts gets it
    page = (await client.get(f"/capteurs/{world.slug}")).text
    form_html = page.split(f'action="/capteurs/{world.slug}/avis"')[1]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_html)
    assert token is not None
    # when
    response = await client.post(
        f"/capteurs/{world.slug}/avis",
        data={"csrf_token": token.group(1), **form},
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    # then
    assert response.status_code == 400, response.text
    assert f'id="field-{field}-error"' in response.text


# --- numeric IDs -------------------------------------------------------------------------------

AUDIT_BY_STAFF = "query($staffId: ID) { auditLog(staffId: $staffId) { entries { action } } }"
ID_CASES = {
    "access token": ("AccessTokenRevoke", "id", "staff"),
    "assignee": ("ItemAssign", "staffId", "staff"),
    "webhook": ("WebhookDelete", "id", "client"),
    "webhook deliveries": ("WebhookDeliveries", "webhookId", "client"),
    "audit log by staff": (AUDIT_BY_STAFF, "staffId", "staff"),
}


ID_VALUES = [
    "2147483648",
    "9" * 20,
    "\u00b2",
    "-1",
    " 7",
]  # past INTEGER, past BIGINT, not ASCII...


@pytest.mark.parametrize(("operation", "argument", "who"), ID_CASES.values(), ids=ID_CASES.keys())
async def test_an_id_past_the_database_integers_names_nothing(
    client: httpx.AsyncClient,
    services: Services,
    world: World,
    operation: str,
    argument: str,
    who: str,
) -> None:
    # given
    if operation == AUDIT_BY_STAFF:
        admin = await staff(services, client, "mairie-49007", Role.ADMIN)
        caller, query = RawCaller(client, admin.token), operation
    else:
        token = world.agent.token if who == "staff" else await client_key(services)
        caller, query = RawCaller(client, token), support.operation(operation)
    for value in ID_VALUES:
        # when
        variables = {"reference": world.reference, argument: value}
        response = await caller.post({"query": query, "variables": variables})
        # then: not found (or nothing found), typed; never a database error
        assert response.status_code < 500, value
        codes = [e["extensions"]["code"] for e in errors_of(response.json())]
        assert "INTERNAL_ERROR" not in codes, (value, response.json())


# --- found by the property test ------------------------------------------------------------


async def test_a_dtpr_variable_the_element_does_not_name_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a sign whose retention element gets, beside its duration, a long made-up variable
    # (stored as JSON in a 1,000-character column: PostgreSQL refused it, SQLite kept it)
    roads = await staff(services, client, "alm-voirie", Role.AGENT)
    values = sensor_input()
    values["dtpr"][2]["variables"].append({"name": "é" * 2000, "value": "x"})
    # when
    body = await roads.call("SensorCreate", {"input": values})
    # then
    errors = body["data"]["sensorCreate"]["errors"]
    assert [e["code"] for e in errors] == ["UNKNOWN_DTPR_VARIABLE"], body
