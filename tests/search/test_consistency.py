"""The index follows the database: facets equal its counts, status changes and redactions
reach it, public results never carry private text, and a killed indexer loses nothing."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, text
from sqlmodel import col, select

from service.context import Services
from service.items.models import Item
from service.outbox import rules as outbox
from service.outbox.models import OutboxEntry
from service.search.factory import open_engine
from service.search.indexer import IndexerLock, rebuild, run_search_indexer
from service.search.interface import SearchEngine
from service.settings import PROJECT_ROOT, Settings
from service.staff.models import Role
from tests.search.test_relevance import search
from tests.staff.test_triage import staff
from tests.support import submit_report

pytestmark = pytest.mark.anyio

WORDS = (
    "lampadaire trottoir poubelle banc arbre fuite voirie chaussée feu tricolore passage "
    "piéton caniveau éclairage abribus déchets bruit école marché place rue avenue"
).split()


def word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(4))


async def test_no_public_result_ever_carries_private_text(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: reports with e-mails and phones in their text, private notes with secret words,
    # a resident's private addition, and public answers quoting contact details
    rng = random.Random(20261129)
    agent = await staff(search_services, search_client, "alm", Role.SUPERVISOR)
    secrets: list[str] = []
    for _ in range(12):
        email = f"{word(rng)}.{word(rng)}@example.org"
        phone = f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} 42"
        secret = word(rng)
        text = " ".join(rng.sample(WORDS, 5)) + f" contact {email} ou {phone}"
        created = await submit_report(search_client, description=text)
        reference = created["report"]["reference"]
        note = f"{secret} {' '.join(rng.sample(WORDS, 3))} rappeler au {phone}"
        answered = await agent.call(
            "ItemAnswer",
            {
                "reference": reference,
                "publicAnswer": f"{rng.choice(WORDS)} vu, écrivez à {email}",
                "privateNote": note,
            },
        )
        assert answered["data"]["itemAnswer"]["errors"] == []
        secrets += [email, email.split("@")[0], phone, phone.replace(" ", ""), secret]
    await search_services.search_indexer.catch_up()
    private = re.compile("|".join(re.escape(s) for s in secrets), re.IGNORECASE)
    queries = secrets + WORDS + [" ".join(rng.sample(WORDS, 2)) for _ in range(20)]
    # when
    results = [await search(search_client, q) for q in queries]
    # then
    for query, result in zip(queries, results, strict=True):
        if query in secrets and "@" not in query and " " not in query and not query.isdigit():
            assert result["totalCount"] == 0, query  # a private note's word finds nothing
        for hit in result["hits"]:
            assert not private.search(str(hit)), (query, hit)
    # and staff find the note
    staff_result = await agent.call("Search", {"query": secrets[4]})
    assert staff_result["data"]["search"]["totalCount"] == 1


async def test_facet_counts_equal_the_database_counts(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: every item of Angers carries the commune's name in its place field
    await search_services.search_indexer.catch_up()
    # when
    result = await search(search_client, "Angers", first=100)
    # then
    async with search_services.db.reading() as session:
        rows = (
            await session.exec(
                select(Item.status, Item.category_code, func.count())
                .where(Item.commune_code == "49007")
                .group_by(col(Item.status), col(Item.category_code))
            )
        ).all()
    by_status: dict[str, int] = {}
    by_category: dict[str, int] = {}
    for status, category, count in rows:
        by_status[status.upper()] = by_status.get(status.upper(), 0) + count
        by_category[category] = by_category.get(category, 0) + count
    facets = result["facets"]
    assert result["totalCount"] == sum(by_status.values())
    assert {f["value"]: f["count"] for f in facets["statuses"]} == {
        k.lower(): v for k, v in by_status.items()
    }
    assert {f["value"]: f["count"] for f in facets["categories"]} == by_category
    assert {f["value"]: f["count"] for f in facets["communes"]} == {"49007": result["totalCount"]}


async def test_status_changes_and_redactions_reach_the_index(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given
    marker = word(random.Random(uuid.uuid4().int))
    created = await submit_report(search_client, description=f"Banc cassé {marker} square")
    reference = created["report"]["reference"]
    agent = await staff(search_services, search_client, "alm", Role.SUPERVISOR)
    await search_services.search_indexer.catch_up()
    assert (await search(search_client, marker))["hits"][0]["status"] == "SUBMITTED"
    # when: staff acknowledge it
    await agent.call("ItemTransition", {"reference": reference, "status": "ACKNOWLEDGED"})
    await search_services.search_indexer.catch_up()
    # then
    hit = (await search(search_client, marker))["hits"][0]
    assert (hit["status"], hit["statusLabel"]) == ("ACKNOWLEDGED", "Pris en compte")
    # when: the text is redacted (erasure), with its outbox entry
    async with search_services.db.writing() as session:
        item = (await session.exec(select(Item).where(Item.reference == reference))).one()
        item.description = item.public_description = "[texte effacé]"
        session.add(item)
        outbox.append(session, "item.redacted", item_id=item.id, now=search_services.clock())
    await search_services.search_indexer.catch_up()
    # then
    assert (await search(search_client, marker))["totalCount"] == 0
    assert (await agent.call("Search", {"query": marker}))["data"]["search"]["totalCount"] == 0


async def test_an_entry_that_commits_after_a_later_one_is_still_applied(
    search_services: Services, search_client: httpx.AsyncClient
) -> None:
    # given: the indexer has read past an id whose transaction had not committed yet
    # (PostgreSQL hands out ids at insert time, not at commit)
    marker = word(random.Random(uuid.uuid4().int))
    created = await submit_report(search_client, description=f"Grille d'arbre {marker}")
    indexer = search_services.search_indexer
    await indexer.catch_up()
    async with search_services.db.reading() as session:
        last = (await session.exec(select(func.max(col(OutboxEntry.id))))).one()
    assert last is not None
    async with search_services.db.writing() as session:
        session.add(
            OutboxEntry(
                id=last + 50, topic="test.gap", payload="{}", created_at=search_services.clock()
            )
        )
        if not search_services.settings.is_sqlite:  # later ids must not take the gap's
            await session.exec(  # type: ignore[call-overload]
                text("SELECT setval(pg_get_serial_sequence('outbox', 'id'), :last)"),
                params={"last": last + 50},
            )
    await indexer.catch_up()
    assert search_services.search_engine.position() == last + 50
    # when: the earlier transaction commits, changing the item
    async with search_services.db.writing() as session:
        item = (
            await session.exec(select(Item).where(Item.reference == created["report"]["reference"]))
        ).one()
        item.status = "acknowledged"
        session.add(item)
        session.add(
            OutboxEntry(
                id=last + 25,
                topic="item.status_changed",
                item_id=item.id,
                payload="{}",
                created_at=search_services.clock(),
            )
        )
    await indexer.catch_up()
    # then
    assert (await search(search_client, marker))["hits"][0]["status"] == "ACKNOWLEDGED"


async def test_a_search_sees_an_item_within_two_seconds_of_its_commit(
    search_services: Services, search_client: httpx.AsyncClient, tmp_path: Path
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
    try:
        marker = word(random.Random(uuid.uuid4().int))
        # when
        await submit_report(search_client, description=f"Abribus vandalisé {marker}")
        committed = time.monotonic()
        found = 0
        while not found and time.monotonic() - committed < 2.0:
            found = (await search(search_client, marker))["totalCount"]
            await asyncio.sleep(0.05)
        # then
        assert found == 1
    finally:
        stop.set()
        await worker


def _environment(settings: Settings, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SERVICE_DATABASE_URL": settings.resolved_database_url,
        "SERVICE_DATA_DIR": str(data_dir),
        "SERVICE_SEARCH_BATCH_SIZE": "3",
        "SERVICE_SEARCH_ENGINE": settings.search_engine,
    }


def _stored(engine: SearchEngine) -> dict[str, Any]:
    return {
        key: {k: v for k, v in fields.items() if k != "meta"}
        for key, fields in engine.stored_documents().items()
    }


async def test_a_killed_indexer_resumes_and_its_index_equals_a_rebuild(
    search_services: Services, search_settings: Settings, tmp_path: Path
) -> None:
    # given: an indexer process working through the outbox in small batches
    crashing_dir = tmp_path / "crashing"
    environment = _environment(search_settings, crashing_dir)
    command = [sys.executable, "-m", "service", "index"]
    process = subprocess.Popen(command, env=environment, cwd=PROJECT_ROOT)
    engine = open_engine(search_settings.search_engine, crashing_dir / "search")
    try:
        deadline = time.monotonic() + 60
        while engine.position() == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        # when: it is killed in the middle of its work
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stopped_at = engine.position()
        async with search_services.db.reading() as session:
            last = (await session.exec(select(func.max(col(Item.id))))).one()
        assert last is not None
        # and restarted until it has read the outbox
        subprocess.run([*command, "--once"], env=environment, cwd=PROJECT_ROOT, check=True)
        # then: its index equals one rebuilt from the database
        fresh = open_engine(search_settings.search_engine, tmp_path / "fresh")
        await rebuild(fresh, search_services.db, search_services.search_build_context())
        assert 0 < stopped_at
        assert engine.position() == fresh.position()
        assert _stored(engine) == _stored(fresh)
        assert engine.document_count() == fresh.document_count() > 0
        fresh.close()
    finally:
        if process.poll() is None:
            process.kill()
        engine.close()


def test_reindex_rebuilds_the_index_with_a_progress_bar(
    search_settings: Settings, tmp_path: Path
) -> None:
    # when (the module's earlier tests filled the database)
    done = subprocess.run(
        [sys.executable, "-m", "service", "reindex"],
        env=_environment(search_settings, tmp_path),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    # then
    assert "100%" in done.stderr and "items" in done.stderr
    assert re.search(r"indexed \d+ items", done.stdout)
    engine = open_engine(search_settings.search_engine, tmp_path / "search")
    try:
        assert engine.document_count() > 10
        assert engine.position() > 0
    finally:
        engine.close()
