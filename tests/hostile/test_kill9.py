"""kill -9 under concurrent writers: every acknowledged submission survives exactly once, and
retrying the unacknowledged ones with their idempotency keys after a restart creates nothing
twice (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from service.db import sync_url
from tests.hostile.processes import server_database
from tests.support import operation, report_input
from tests.test_served import start_server, stop

pytestmark = pytest.mark.slow

# Bounded on purpose: at most CLIENTS x PER_CLIENT submissions, over loopback only.
CLIENTS = 24
PER_CLIENT = 60
# The server is killed once this many submissions were acknowledged (or after KILL_WITHIN_S).
KILL_AFTER_ACKNOWLEDGED = 150
KILL_WITHIN_SECONDS = 15.0
# Every request goes to 127.0.0.1: lift the per-origin limits so none is refused for them.
LIFTED_LIMITS = {
    "SERVICE_ANONYMOUS_REQUESTS_PER_MINUTE": "1000000",
    "SERVICE_ANONYMOUS_SUBMISSIONS_PER_MINUTE": "1000000",
    "SERVICE_ANONYMOUS_COST_PER_MINUTE": "1000000000",
    "SERVICE_SECRET_KEYS": "k" * 32,
}


@dataclass
class Submission:
    variables: dict[str, Any]
    reference: str | None = None  # set once the server acknowledged it

    @property
    def key(self) -> str:
        key: str = self.variables["input"]["idempotencyKey"]
        return key


def submit(client: httpx.Client, submission: Submission) -> None:
    """Send it; record the reference if the server answered with one."""
    response = client.post(
        "/graphql", json={"query": operation("ReportCreate"), "variables": submission.variables}
    )
    if response.status_code == 200:
        report = response.json()["data"]["reportCreate"]["report"]
        submission.reference = report["reference"] if report else None


def writer(base: str, run: str, number: int, sent: list[Submission]) -> None:
    """One client: submissions one after the other until the server goes away."""
    with httpx.Client(base_url=base, timeout=10) as client:
        for n in range(PER_CLIENT):
            submission = Submission({"input": report_input(idempotencyKey=f"{run}-{number}-{n}")})
            sent.append(submission)
            try:
                submit(client, submission)
            except httpx.TransportError:  # killed: this one stays unacknowledged
                return


def kill_under_load(process: Any, sent: list[Submission]) -> None:
    deadline = time.monotonic() + KILL_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if sum(s.reference is not None for s in sent) >= KILL_AFTER_ACKNOWLEDGED:
            break
        time.sleep(0.02)
    process.kill()  # SIGKILL: no shutdown, no flush, transactions cut wherever they are
    process.wait()


def stored(database_url: str, run: str) -> tuple[dict[str, list[str]], Counter[str]]:
    """The references stored per idempotency key of this run, and the items' creation
    entries in the outbox (what webhooks and the index hear), per reference."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT idempotency_key, reference FROM item WHERE idempotency_key LIKE :p"),
                {"p": f"{run}-%"},
            ).all()
            created = connection.execute(
                text(
                    "SELECT item.reference FROM outbox JOIN item ON item.id = outbox.item_id "
                    "WHERE outbox.topic = 'item.created' AND item.idempotency_key LIKE :p"
                ),
                {"p": f"{run}-%"},
            ).all()
    finally:
        engine.dispose()
    by_key: dict[str, list[str]] = {}
    for key, reference in rows:
        by_key.setdefault(key, []).append(reference)
    return by_key, Counter(reference for (reference,) in created)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[dict[str, str]]:
    with server_database(tmp_path) as variables:
        yield variables


def test_kill_9_under_concurrent_writers_loses_and_duplicates_nothing(
    tmp_path: Path, database: dict[str, str]
) -> None:
    # given: a served instance and 24 clients submitting with idempotency keys
    data_dir = tmp_path / "data"
    settings = {**database, **LIFTED_LIMITS}
    database_url = database.get("SERVICE_DATABASE_URL", f"sqlite:///{data_dir / 'service.db'}")
    run = f"kill9-{uuid.uuid4().hex[:8]}"
    sent: list[Submission] = []
    process, base = start_server(data_dir, settings=settings)
    try:
        clients = [
            threading.Thread(target=writer, args=(base, run, number, sent))
            for number in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        # when: kill -9 in the middle of it, restart, retry what was not acknowledged
        kill_under_load(process, sent)
        for client in clients:
            client.join(timeout=30)
        acknowledged = {s.key: s.reference for s in sent if s.reference is not None}
        unacknowledged = [s for s in sent if s.reference is None]
        process, base = start_server(data_dir, settings=settings)
        with httpx.Client(base_url=base, timeout=10) as client:
            for submission in unacknowledged:
                submit(client, submission)
    finally:
        stop(process)
    # then: the kill cut submissions short, and every one of them now exists exactly once
    assert len(acknowledged) >= KILL_AFTER_ACKNOWLEDGED // 2
    assert unacknowledged, "the kill interrupted nothing: the test proved nothing"
    assert all(s.reference is not None for s in unacknowledged), "a retry was refused"
    by_key, created = stored(database_url, run)
    assert {
        key: len(references) for key, references in by_key.items() if len(references) != 1
    } == {}
    assert {s.key: by_key[s.key][0] for s in sent} == {s.key: s.reference for s in sent}
    assert all(by_key[key] == [reference] for key, reference in acknowledged.items())
    assert set(created.values()) == {1} and len(created) == len(sent)
