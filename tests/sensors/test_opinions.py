"""Opinions: anonymous, one per device and sensor (a second replaces the first),
rate-limited; aggregates per sensor and per place with counts under 5 withheld."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.sensors.models import SensorOpinion
from service.sensors.opinions import OpinionThrottle
from service.settings import Settings, SettingsError
from service.staff.models import Role
from tests.sensors.support import create_sensor, staff, unique_slug
from tests.support import data_of, graphql, operation

pytestmark = pytest.mark.anyio


async def give(
    client: httpx.AsyncClient, slug: str, device: str | None = None, **overrides: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sensorSlug": slug,
        "acceptance": 4,
        "understood": "YES",
        "deviceKey": device or f"device-{uuid.uuid4().hex}",
        "idempotencyKey": f"key-{uuid.uuid4().hex}",
    }
    values.update(overrides)
    response = await graphql(
        client, operation("SensorOpinionCreate"), {"input": values}, language="en"
    )
    payload: dict[str, Any] = response.json()["data"]["sensorOpinionCreate"]
    return payload


async def a_sensor(client: httpx.AsyncClient, services: Services, **overrides: Any) -> str:
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    slug: str = (await create_sensor(agent, **overrides))["slug"]
    return slug


async def summary(client: httpx.AsyncClient, slug: str) -> dict[str, Any]:
    data = await data_of(client, operation("Sensor"), {"slug": slug})
    result: dict[str, Any] = data["sensor"]["opinions"]
    return result


async def test_a_second_opinion_from_a_device_replaces_the_first(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    slug = await a_sensor(client, services)
    # when
    first = await give(client, slug, "device-0001", acceptance=2, concerns=["PRIVACY"])
    second = await give(client, slug, "device-0001", acceptance=5, understood="PARTLY")
    # then
    assert first["errors"] == [] and first["replaced"] is False
    assert second["errors"] == [] and second["replaced"] is True
    assert second["opinion"]["acceptance"] == 5 and second["opinion"]["concerns"] == []
    async with services.db.reading() as session:
        rows = (await session.exec(select(SensorOpinion))).all()
    mine = [r for r in rows if r.acceptance == 5 and r.understood == "partly"]
    assert len(mine) >= 1
    # the device key itself is never stored, only a keyed hash
    assert all("device-0001" not in r.device_hash for r in rows)


async def test_aggregates_withhold_counts_under_five(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: 6 devices, one of which changes its mind; 3 say « yes », 2 « partly », 1 « no »
    slug = await a_sensor(client, services)
    given = [
        (5, "YES", ["USEFULNESS"]),
        (4, "YES", []),
        (4, "YES", ["PRIVACY"]),
        (4, "PARTLY", ["PRIVACY"]),
        (2, "PARTLY", ["PRIVACY", "COST"]),
        (1, "NO", ["PRIVACY", "SECURITY"]),
    ]
    for index, (acceptance, understood, concerns) in enumerate(given):
        await give(
            client,
            slug,
            f"device-{index:04d}",
            acceptance=acceptance,
            understood=understood,
            concerns=concerns,
        )
    await give(
        client, slug, "device-0000", acceptance=5, understood="YES", concerns=["USEFULNESS"]
    )  # the same again: still 6 opinions
    # when
    result = await summary(client, slug)
    # then
    assert result["opinions"] == {"count": 6, "fewerThanFive": False}
    assert result["meanAcceptance"] == round((5 + 4 + 4 + 4 + 2 + 1) / 6, 2)
    assert result["understoodRate"] == 0.5
    levels = {a["acceptance"]: a["opinions"] for a in result["acceptance"]}
    assert levels[4] == {"count": None, "fewerThanFive": True}  # 3 is withheld
    concerns = {c["concern"]: c["opinions"] for c in result["concerns"]}
    assert concerns["PRIVACY"] == {"count": None, "fewerThanFive": True}  # 4 is withheld
    assert concerns["COST"]["count"] is None


async def test_fewer_than_five_opinions_show_no_figure_at_all(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    slug = await a_sensor(client, services)
    for index in range(4):
        await give(client, slug, f"device-{index:04d}", acceptance=1, understood="NO")
    # when
    result = await summary(client, slug)
    # then
    assert result["opinions"] == {"count": None, "fewerThanFive": True}
    assert result["meanAcceptance"] is None and result["understoodRate"] is None
    assert all(a["opinions"]["count"] is None for a in result["acceptance"])


async def test_a_place_adds_up_its_sensors_and_periods_filter(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: two sensors of one place, 3 opinions each
    place = unique_slug("place")
    slugs = [await a_sensor(client, services, placeName=place) for _ in range(2)]
    for slug in slugs:
        for index in range(3):
            await give(client, slug, f"device-{index:04d}", acceptance=3)
    # when
    variables = {"placeName": place}
    now = await data_of(client, operation("SensorPlaceOpinions"), variables)
    later = await data_of(
        client, operation("SensorPlaceOpinions"), {**variables, "since": "2999-01-01T00:00:00Z"}
    )
    unknown = await data_of(client, operation("SensorPlaceOpinions"), {"placeName": "Nowhere"})
    # then
    place_view = now["sensorPlaceOpinions"]
    assert place_view["sensorCount"] == 2
    assert place_view["opinions"]["opinions"]["count"] == 6
    assert place_view["opinions"]["meanAcceptance"] == 3.0
    assert later["sensorPlaceOpinions"]["opinions"]["opinions"]["fewerThanFive"] is True
    assert unknown["sensorPlaceOpinions"] is None


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"acceptance": 6}, "acceptance", "INVALID_ACCEPTANCE"),
        ({"deviceKey": "short"}, "deviceKey", "INVALID_DEVICE_KEY"),
        ({"comment": "x" * 1001}, "comment", "TEXT_TOO_LONG"),
        ({"sensorSlug": "no-such-sensor"}, "slug", "NOT_FOUND"),
    ],
)
async def test_bad_opinions_get_one_typed_error(
    client: httpx.AsyncClient,
    services: Services,
    overrides: dict[str, Any],
    field: str,
    code: str,
) -> None:
    # given
    slug = await a_sensor(client, services)
    # when
    payload = await give(client, slug, **overrides)
    # then
    assert len(payload["errors"]) == 1 and payload["errors"][0]["code"] == code
    assert payload["errors"][0]["field"] == field and payload["opinion"] is None


async def test_a_removed_sensor_takes_no_opinion(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    slug = await a_sensor(client, services, status="REMOVED")
    # when
    payload = await give(client, slug)
    # then
    assert len(payload["errors"]) == 1 and payload["errors"][0]["code"] == "SENSOR_REMOVED"


async def test_a_device_sending_too_many_opinions_is_told_to_wait(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: 20 opinions from one device within the hour
    slug = await a_sensor(client, services)
    for _ in range(20):
        assert (await give(client, slug, "device-busy"))["errors"] == []
    # when
    refused = await give(client, slug, "device-busy")
    other = await give(client, slug, "device-calm")
    # then
    assert len(refused["errors"]) == 1 and refused["errors"][0]["code"] == "TOO_MANY_OPINIONS"
    assert "hour" in refused["errors"][0]["message"]
    assert other["errors"] == []


def test_the_throttle_forgets_after_an_hour() -> None:
    # given
    clock = [0.0]
    throttle = OpinionThrottle(per_device=2, per_origin=100, monotonic=lambda: clock[0])
    assert throttle.allow("d", "o") and throttle.allow("d", "o")
    # when
    refused = throttle.allow("d", "o")
    clock[0] = 3601.0
    allowed_again = throttle.allow("d", "o")
    # then
    assert refused is False and allowed_again is True


def test_a_shared_network_is_limited_too() -> None:
    # given
    throttle = OpinionThrottle(per_device=100, per_origin=3)
    for device in ("a", "b", "c"):
        assert throttle.allow(device, "square-wifi")
    # when / then
    assert throttle.allow("d", "square-wifi") is False
    assert throttle.allow("d", "home") is True


async def test_a_comment_is_never_public_and_kept_masked(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    slug = await a_sensor(client, services)
    # when
    await give(client, slug, "device-comment", comment="Écrivez-moi : jean@example.org")
    page = (await graphql(client, operation("Sensor"), {"slug": slug})).text
    # then
    assert "jean@example.org" not in page and "Écrivez" not in page
    async with services.db.reading() as session:
        comments = [r.comment for r in (await session.exec(select(SensorOpinion))).all()]
    assert "Écrivez-moi : […]" in comments


def test_the_limits_are_settings() -> None:
    # when
    settings = Settings.from_environ(
        {"SERVICE_OPINIONS_PER_DEVICE_HOUR": "3", "SERVICE_OPINIONS_PER_ORIGIN_HOUR": "50"}
    )
    # then
    assert (settings.opinions_per_device_hour, settings.opinions_per_origin_hour) == (3, 50)
    with pytest.raises(SettingsError, match="SERVICE_OPINIONS_PER_DEVICE_HOUR"):
        Settings.from_environ({"SERVICE_OPINIONS_PER_DEVICE_HOUR": "0"})


async def test_concurrent_opinions_of_one_device_leave_one_row(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    slug = await a_sensor(client, services)
    # when: the app retries 10 times at once (a flaky network), with different answers
    results = await asyncio.gather(
        *(give(client, slug, "device-flaky", acceptance=1 + n % 5) for n in range(10))
    )
    # then
    assert all(r["errors"] == [] for r in results)
    assert sum(1 for r in results if not r["replaced"]) == 1
    assert (await summary(client, slug))["opinions"]["fewerThanFive"] is True
    async with services.db.reading() as session:
        rows = (await session.exec(select(SensorOpinion))).all()
    counted = {(r.sensor_id, r.device_hash) for r in rows}
    assert len(counted) == len(rows)  # never two opinions of one device on one sensor
