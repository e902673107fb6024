"""What schemathesis (CI's fuzz step, .ci/fuzz) and the probing around it found: inputs that
made the service answer INTERNAL_ERROR or a 5xx. Each now gets a typed answer, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.integrations.clients import call, client_key
from tests.support import operation, staff, submit_report

pytestmark = pytest.mark.anyio

# Ids that name no row: past PostgreSQL's INTEGER, past SQLite's 64 bits, and a character
# that str.isdigit() accepts but int() refuses.
IDS_OF_NO_ROW = ["3000000000", "99999999999999999999", "²"]


@pytest.mark.parametrize("id_", IDS_OF_NO_ROW)
async def test_a_staff_id_naming_no_row_finds_nothing(
    client: httpx.AsyncClient, services: Services, id_: str
) -> None:
    # given
    scopes = ("items:read", "items:write", "staff:read")
    admin = await staff(services, client, "alm", Role.ADMIN, scopes)
    report = (await submit_report(client))["report"]
    # when
    revoked = await admin.call("AccessTokenRevoke", {"id": id_})
    assigned = await admin.call("ItemAssign", {"reference": report["reference"], "staffId": id_})
    audit = await client.post(  # the published AuditLog operation does not filter by staff
        "/graphql",
        json={
            "query": "query($s: ID) { auditLog(staffId: $s) { entries { action } } }",
            "variables": {"s": id_},
        },
        headers={"authorization": f"Bearer {admin.token}"},
    )
    # then
    for payload in (revoked["data"]["staffAccessTokenRevoke"], assigned["data"]["itemAssign"]):
        assert len(payload["errors"]) == 1
        assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert audit.json() == {"data": {"auditLog": {"entries": []}}}


@pytest.mark.parametrize("id_", IDS_OF_NO_ROW)
async def test_a_webhook_id_naming_no_row_is_not_found(
    client: httpx.AsyncClient, services: Services, id_: str
) -> None:
    # given
    key = await client_key(services, ("webhooks:manage",))
    # when
    answers = [
        (await call(client, key, {"query": operation(name), "variables": variables})).json()
        for name, variables in (
            ("WebhookDelete", {"id": id_}),
            ("WebhookEnable", {"id": id_}),
            ("WebhookDeliveries", {"webhookId": id_}),
        )
    ]
    # then
    for field, answer in zip(("webhookDelete", "webhookEnable"), answers, strict=False):
        errors = answer["data"][field]["errors"]
        assert len(errors) == 1
        assert errors[0]["code"] == "NOT_FOUND"
    errors = answers[2]["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "period",
    [
        {"start": "9999-12-01", "end": "9999-12-31", "granularity": "DAY"},
        {"start": "0001-01-01", "end": "0001-01-20", "granularity": "DAY"},
    ],
)
async def test_a_trends_period_at_the_ends_of_the_calendar_is_refused(
    client: httpx.AsyncClient, period: dict[str, str]
) -> None:
    # when
    response = await client.post(
        "/graphql",
        json={
            "query": operation("Trends"),
            "variables": {"period": period, "by": "CATEGORY"},
        },
        headers={"accept-language": "en"},
    )
    # then
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "INVALID_PERIOD"
    assert errors[0]["message"] == (
        "Please choose a date between January 1, 1900 and December 31, 2999."
    )


@pytest.mark.parametrize(
    "query",
    [
        "end=0001-01-01",
        "start=9999-12-01&end=9999-12-31",
        "start=9999-12-01&end=9999-12-31&granularity=week",
    ],
)
async def test_a_chart_of_a_period_at_the_ends_of_the_calendar_is_a_bad_request(
    client: httpx.AsyncClient, query: str
) -> None:
    # when
    response = await client.get(f"/trends/charts/items.svg?{query}")
    # then
    assert response.status_code == 400


@pytest.mark.parametrize("year", ["²²²²", "0000", "0001", "9999"])
async def test_an_open_data_year_that_is_no_calendar_year_is_a_bad_request(
    client: httpx.AsyncClient, year: str
) -> None:
    # when
    response = await client.get("/opendata/items-by-month.json", params={"year": year})
    # then
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"start_date": "9999-12-31T00:00:00Z"},
        {"end_date": "0001-01-02T00:00:00Z"},
        {"start_date": "0001-01-01T00:00:00Z", "end_date": "0001-02-01T00:00:00Z"},
    ],
)
async def test_open311_dates_at_the_ends_of_the_calendar_are_a_bad_request(
    client: httpx.AsyncClient, query: dict[str, str]
) -> None:
    # when
    response = await client.get("/open311/v2/requests.json", params=query)
    # then
    assert response.status_code == 400
    errors = response.json()
    assert len(errors) == 1
    assert errors[0]["code"] == 400
