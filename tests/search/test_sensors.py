"""Sensors of the public register in the search: found by their purpose, description and place
in French and the other languages, only when a search asks for them; opinion comments find
their sensor for its accountable body's staff only, and no longer once replaced or purged;
facets count sensors; the index built from the outbox equals a rebuild."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from service.context import Services
from service.privacy.retention import purge
from service.search.factory import open_engine
from service.search.indexer import IndexerLock, rebuild, run_search_indexer
from service.sensors.models import Sensor
from service.settings import PROJECT_ROOT, Settings
from service.staff.models import Role
from tests import support
from tests.search.test_consistency import _environment, _stored, word
from tests.search.test_relevance import search
from tests.sensors.support import RALLIEMENT, create_sensor, staff
from tests.sensors.test_opinions import give
from tests.support import data_of, operation, submit_report

pytestmark = pytest.mark.anyio

SENSORS = {"hitKinds": ["SENSOR"]}
EVERYTHING = {"hitKinds": ["REPORT", "SERVICE_REQUEST", "SENSOR_QUESTION", "SENSOR"]}


def marker() -> str:
    return word(random.Random(uuid.uuid4().int))


def slugs(result: dict[str, Any]) -> list[str]:
    return [m["slug"] for m in result["matches"] if m["__typename"] == "SensorSearchHit"]


async def find(
    client: httpx.AsyncClient, query: str, language: str = "fr", **variables: Any
) -> dict[str, Any]:
    """Run SearchMatches, the published operation that reads items and sensors."""
    data = await data_of(
        client, operation("SearchMatches"), {"query": query, **variables}, language=language
    )
    result: dict[str, Any] = data["search"]
    return result


async def find_sensors(
    client: httpx.AsyncClient, query: str, language: str = "fr", **variables: Any
) -> dict[str, Any]:
    return await find(client, query, language, filter=SENSORS, **variables)


async def staff_search(member: support.Staff, query: str) -> dict[str, Any]:
    data = await member.data("SearchMatches", {"query": query, "filter": SENSORS})
    result: dict[str, Any] = data["search"]
    return result


async def air_sensor(services: Services, client: httpx.AsyncClient, **overrides: Any) -> str:
    """An air-quality sensor near the schools of the Ralliement, as its body would write it."""
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    values: dict[str, Any] = {
        "name": "Station de mesure de la qualité de l'air",
        "description": "Mesure les particules fines et le dioxyde d'azote près des écoles, "
        "toutes les dix minutes.",
        "point": RALLIEMENT,
        "placeName": "Place du Ralliement",
        "dtpr": [
            {"category": "purpose", "element": "ecology"},
            {"category": "tech", "element": "air_quality"},
        ],
        **overrides,
    }
    sensor = await create_sensor(agent, **values)
    await services.search_indexer.catch_up()
    return str(sensor["slug"])


@pytest.mark.parametrize(
    ("language", "query"),
    [
        ("fr", "particule"),  # « particules » in the description, singular typed
        ("fr", "ecoles"),  # « écoles » typed without accent
        ("fr", "qualite de l'air"),  # its name and DTPR technology, elision and stop words
        ("fr", "ecologie"),  # the DTPR purpose label « Écologie »
        ("fr", "ralliement"),  # the place
        ("fr", "angers"),  # the commune
        ("en", "air quality"),  # DTPR's English label
        ("en", "ecology"),
        ("es", "calidad del aire"),  # ALM's Spanish translation of the label
        ("de", "Luftqualität"),  # and the German one
    ],
)
async def test_a_sensor_is_found_by_its_purpose_description_and_place_in_several_languages(
    search_services: Services, search_client: httpx.AsyncClient, language: str, query: str
) -> None:
    # given
    slug = await air_sensor(search_services, search_client)
    # when
    result = await find_sensors(search_client, query, language, first=50)
    # then
    assert slug in slugs(result), (query, slugs(result))
    hit = next(m for m in result["matches"] if m.get("slug") == slug)
    assert hit["hitKind"] == "SENSOR" and hit["sensorStatus"] == "ACTIVE"
    assert hit["sensor"]["name"] == "Station de mesure de la qualité de l'air"
    assert hit["sensor"]["accountableBody"]["code"] == "alm-voirie"
    assert hit["commune"]["code"] == "49007"
    # `hits` holds items only
    assert (await search(search_client, query, language, filter=SENSORS))["hits"] == []


async def test_words_of_the_description_are_highlighted(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given
    slug = await air_sensor(search_services, search_client)
    # when
    result = await find_sensors(search_client, "dioxyde azote", first=50)
    # then
    hit = next(m for m in result["matches"] if m.get("slug") == slug)
    fragment = hit["highlights"][0]
    assert fragment["field"] == "DESCRIPTION"
    marked = [fragment["text"][r["start"] : r["start"] + r["length"]] for r in fragment["matches"]]
    assert marked == ["dioxyde", "azote"]


async def test_searches_that_do_not_ask_for_sensors_find_items_only(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: a sensor and a report sharing a word
    shared = marker()
    slug = await air_sensor(search_services, search_client, description=f"Capteur {shared}")
    report = await submit_report(search_client, description=f"Poubelle {shared} renversée")
    await search_services.search_indexer.catch_up()
    # when: the published Search operation, as integrators run it today
    plain = await search(search_client, shared)
    reports = await search(search_client, shared, filter={"kinds": ["REPORT"]})
    # and searches that ask for sensors
    both = await search(search_client, shared, filter=EVERYTHING)
    matches = await find(search_client, shared, filter=EVERYTHING)
    none = await find(search_client, shared, filter={"kinds": ["REPORT"], "hitKinds": ["SENSOR"]})
    # then: searches written before sensors were indexed get what they always got
    for result in (plain, reports):
        assert result["totalCount"] == 1
        assert [h["reference"] for h in result["hits"]] == [report["report"]["reference"]]
    # sensors come in `matches`, items in both lists
    assert both["totalCount"] == matches["totalCount"] == 2
    assert [h["reference"] for h in both["hits"]] == [report["report"]["reference"]]
    assert slugs(matches) == [slug]
    assert {m["hitKind"] for m in matches["matches"]} == {"SENSOR", "REPORT"}
    assert none["totalCount"] == 0


async def test_a_sensor_created_then_edited_through_the_api_is_found_within_two_seconds(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: the indexer running as the app runs it
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_search_indexer(
            search_services.search_indexer,
            IndexerLock(search_services.settings.search_dir / "indexer.lock"),
            stop,
            search_services.settings.search_poll_seconds,
        )
    )
    agent = await staff(search_services, search_client, "alm-voirie", Role.AGENT)

    async def seen(query: str, expected: int) -> bool:
        since = time.monotonic()
        while time.monotonic() - since < 2.0:
            if (await find_sensors(search_client, query))["totalCount"] == expected:
                return True
            await asyncio.sleep(0.05)
        return False

    try:
        first, second = marker(), marker()
        # when: created
        slug = (await create_sensor(agent, description=f"Compteur de vélos {first}"))["slug"]
        # then
        assert await seen(first, 1)
        # when: its description changes and it is removed
        updated = await agent.data(
            "SensorUpdate",
            {"input": {"slug": slug, "description": f"Compteur {second}", "status": "REMOVED"}},
        )
        assert updated["sensorUpdate"]["errors"] == []
        # then: the new words find it, with its new status; the old ones no longer do
        assert await seen(second, 1)
        assert await seen(first, 0)
        hit = (await find_sensors(search_client, second))["matches"][0]
        assert (hit["sensorStatus"], hit["statusLabel"]) == ("REMOVED", "Retiré")
        # when: its body replies publicly
        reply = marker()
        replied = await agent.data(
            "SensorReplyPublish", {"slug": slug, "text": f"Merci, nous {reply} le boîtier."}
        )
        assert replied["sensorReplyPublish"]["errors"] == []
        # then: the reply finds it, as an answer
        assert await seen(reply, 1)
        fragment = (await find_sensors(search_client, reply))["matches"][0]["highlights"][0]
        assert fragment["field"] == "ANSWER"
    finally:
        stop.set()
        await worker


async def test_an_opinion_comment_finds_its_sensor_for_its_body_only_until_it_is_replaced(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: an opinion whose comment holds a word nothing else holds
    secret = marker()
    slug = await air_sensor(search_services, search_client)
    device = f"device-{uuid.uuid4().hex}"
    comment = f"Le boîtier fait un bruit de {secret} la nuit."
    given = await give(search_client, slug, device, comment=comment)
    assert given["errors"] == []
    await search_services.search_indexer.catch_up()
    accountable = await staff(search_services, search_client, "alm-voirie", Role.AGENT)
    elsewhere = await staff(search_services, search_client, "mairie-49015", Role.AGENT)
    # when
    public = await find_sensors(search_client, secret)
    everyone = await find_sensors(search_client, "particules dioxyde", first=50)
    mine = await staff_search(accountable, secret)
    theirs = await staff_search(elsewhere, secret)
    # then: comments are never published, so only the accountable body's staff find them
    assert public["totalCount"] == 0
    assert slug in slugs(everyone) and secret not in str(everyone)
    assert theirs["totalCount"] == 0
    assert slugs(mine) == [slug]
    fragment = mine["matches"][0]["highlights"][0]
    assert fragment["field"] == "STAFF" and secret in fragment["text"]
    # when: the same device gives its opinion again, without a comment
    again = await give(search_client, slug, device, comment=None)
    assert again["replaced"] is True
    await search_services.search_indexer.catch_up()
    # then: the erased comment can no longer be found, the sensor still can
    assert (await staff_search(accountable, secret))["totalCount"] == 0
    by_description = await staff_search(accountable, "dioxyde")
    hit = next(m for m in by_description["matches"] if m["slug"] == slug)
    assert hit["highlights"][0]["field"] == "DESCRIPTION"  # public text, not a staff one


async def test_no_public_search_ever_carries_an_opinion_comment(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: sensors with comments made of words of their own entries and secret words
    rng = random.Random(20261130)
    secrets: list[str] = []
    for _ in range(4):
        slug = await air_sensor(search_services, search_client)
        for _ in range(3):
            secret = word(rng)
            comment = f"{secret} particules école {word(rng)} 06 12 34 56 78"
            assert (await give(search_client, slug, comment=comment))["errors"] == []
            secrets.append(secret)
    await search_services.search_indexer.catch_up()
    queries = [*secrets, "particules", "école", "qualité air", "ralliement", "Angers"]
    # when
    results = [await find(search_client, q, filter=EVERYTHING, first=50) for q in queries]
    # then
    for query, result in zip(queries, results, strict=True):
        if query in secrets:
            assert result["totalCount"] == 0, query
        assert not any(secret in str(result) for secret in secrets), query
    # and the accountable body's staff find each of them
    accountable = await staff(search_services, search_client, "alm-voirie", Role.AGENT)
    for secret in secrets:
        assert (await staff_search(accountable, secret))["totalCount"] == 1, secret


async def test_a_purged_comment_can_no_longer_be_found(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: a comment found by the body's staff
    secret = marker()
    slug = await air_sensor(search_services, search_client)
    assert (await give(search_client, slug, comment=f"Trop de {secret} ici"))["errors"] == []
    await search_services.search_indexer.catch_up()
    accountable = await staff(search_services, search_client, "alm-voirie", Role.AGENT)
    assert slugs(await staff_search(accountable, secret)) == [slug]
    # when: its retention is over and the purge runs
    periods = search_services.retention_periods
    later = search_services.clock() + timedelta(days=periods.free_text_days + 1)
    done = await purge(search_services.db, periods, later)
    await search_services.search_indexer.catch_up()
    # then
    assert done["opinion_comments"] >= 1
    assert (await staff_search(accountable, secret))["totalCount"] == 0
    assert slug in slugs(await staff_search(accountable, "dioxyde"))


async def test_facets_count_sensors_with_a_translated_label(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: three sensors and a report sharing a word, one sensor planned
    shared = marker()
    for status in ("ACTIVE", "ACTIVE", "PLANNED"):
        await air_sensor(
            search_services, search_client, description=f"Sonde {shared}", status=status
        )
    await submit_report(search_client, description=f"Arbre {shared} tombé")
    await search_services.search_indexer.catch_up()
    # when
    french = await find(search_client, shared, filter=EVERYTHING)
    german = await find(search_client, shared, "de", filter=EVERYTHING)
    # then
    kinds = {f["value"]: (f["label"], f["count"]) for f in french["facets"]["kinds"]}
    assert kinds == {"sensor": ("Capteur", 3), "report": ("Signalement", 1)}
    statuses = {f["value"]: (f["label"], f["count"]) for f in french["facets"]["statuses"]}
    assert statuses["active"] == ("Actif", 2) and statuses["planned"][1] == 1
    assert statuses["submitted"][1] == 1
    assert {f["value"]: f["label"] for f in german["facets"]["kinds"]}["sensor"] == "Sensor"
    assert french["totalCount"] == 4
    assert sum(f["count"] for f in french["facets"]["communes"]) == 4


async def test_facet_counts_of_sensors_equal_the_register(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: every sensor of Angers has the commune's name in its place field
    await search_services.search_indexer.catch_up()
    # when
    result = await find_sensors(search_client, "Angers", first=100)
    # then
    async with search_services.db.reading() as session:
        rows = (
            await session.exec(
                select(Sensor.status, func.count())
                .where(Sensor.commune_code == "49007")
                .group_by(col(Sensor.status))
            )
        ).all()
    assert {f["value"]: f["count"] for f in result["facets"]["statuses"]} == dict(rows)
    assert result["totalCount"] == sum(n for _, n in rows) > 0


async def test_the_index_fed_by_the_outbox_equals_a_rebuild_with_sensors(
    search_services: Services, search_settings: Settings, tmp_path: Path
) -> None:
    # given: the earlier tests created, edited and replied to sensors, gave and purged comments
    await search_services.search_indexer.catch_up()
    async with search_services.db.reading() as session:
        sensors = (await session.exec(select(func.count()).select_from(Sensor))).one()
    assert sensors > 0
    # when: an indexer reads the whole outbox into an empty index, and another index is rebuilt
    replayed_dir = tmp_path / "replayed"
    subprocess.run(
        [sys.executable, "-m", "service", "index", "--once"],
        env=_environment(search_settings, replayed_dir),
        cwd=PROJECT_ROOT,
        check=True,
    )
    replayed = open_engine(search_settings.search_engine, replayed_dir / "search")
    fresh = open_engine(search_settings.search_engine, tmp_path / "fresh")
    try:
        count = await rebuild(fresh, search_services.db, search_services.search_build_context())
        # then: the three agree, sensors included
        stored = _stored(fresh)
        assert sum(1 for key in stored if key.startswith("sensor:")) == sensors
        assert count == len(stored)
        assert _stored(replayed) == stored
        assert _stored(search_services.search_engine) == stored
    finally:
        replayed.close()
        fresh.close()
