"""kill -9 of the sending process mid-batch: after a restart every queued message arrives, and
a message that arrives twice does so under the same Message-ID (SQLite; PostgreSQL too when
TEST_DATABASE_URL is set)."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from service.db import sync_url
from tests.hostile.processes import server_database
from tests.mail.support import smtp_server
from tests.support import operation, report_input
from tests.test_served import start_server, stop

pytestmark = pytest.mark.slow

MESSAGES = 40
KILL_AFTER = 8  # messages the SMTP server accepted before the kill
# The server keeps each message, then answers after this long: the batch takes seconds, and
# the kill lands while the last message kept waits for its answer (sent again after restart).
SMTP_DELAY_SECONDS = 0.2


@pytest.fixture
def database(tmp_path: Path) -> Iterator[dict[str, str]]:
    with server_database(tmp_path) as variables:
        yield variables


def statuses(database_url: str) -> dict[str, int]:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT status, COUNT(*) FROM mail_message GROUP BY status")
            ).all()
    finally:
        engine.dispose()
    return {status: count for status, count in rows}


def test_kill_9_mid_batch_loses_no_message_and_repeats_none_under_another_message_id(
    tmp_path: Path, database: dict[str, str]
) -> None:
    with smtp_server() as inbox:
        # given: a served instance sending through the SMTP server, slowly
        inbox.delay = SMTP_DELAY_SECONDS
        data_dir = tmp_path / "data"
        database_url = database.get("SERVICE_DATABASE_URL", f"sqlite:///{data_dir / 'service.db'}")
        settings = {
            **database,
            "SERVICE_SECRET_KEYS": "k" * 32,
            "SERVICE_MAIL_SMTP_HOST": inbox.host,
            "SERVICE_MAIL_SMTP_PORT": str(inbox.port),
            "SERVICE_MAIL_SMTP_SECURITY": "none",
            "SERVICE_MAIL_CLAIM_SECONDS": "2",
            "SERVICE_DELIVERY_POLL_SECONDS": "0.2",
            "SERVICE_ANONYMOUS_SUBMISSIONS_PER_MINUTE": "100000",
            "SERVICE_ANONYMOUS_REQUESTS_PER_MINUTE": "100000",
        }
        run = uuid.uuid4().hex[:8]
        addresses = [f"kill9-{run}-{n}@example.org" for n in range(MESSAGES)]
        process, base = start_server(data_dir, settings=settings)
        try:
            with httpx.Client(base_url=base, timeout=10) as client:
                for email in addresses:
                    contact = {
                        "email": email,
                        "followUpConsent": True,
                        "consentTextVersion": "2026-01",
                    }
                    response = client.post(
                        "/graphql",
                        json={
                            "query": operation("ReportCreate"),
                            "variables": {"input": report_input(contact=contact)},
                        },
                    )
                    assert response.json()["data"]["reportCreate"]["errors"] == []
            # when: kill -9 once some messages went out, then restart
            deadline = time.monotonic() + 30
            while len(inbox.received) < KILL_AFTER and time.monotonic() < deadline:
                time.sleep(0.01)
            process.kill()
            process.wait()
            at_kill = len(inbox.received)
            process, base = start_server(data_dir, settings=settings)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if {r for m in inbox.received for r in m.recipients} >= set(addresses):
                    break
                time.sleep(0.2)
            time.sleep(1.0)  # a straggler sent twice would arrive now
        finally:
            stop(process)
        # then: the kill interrupted the batch, and every message arrived, under one id each
        assert KILL_AFTER <= at_kill < MESSAGES, "the kill interrupted nothing"
        ids: dict[str, set[str]] = defaultdict(set)
        for received in inbox.received:
            for recipient in received.recipients:
                ids[recipient].add(str(received.message["Message-ID"]))
        assert sorted(ids) == sorted(addresses)
        assert {email: len(found) for email, found in ids.items() if len(found) != 1} == {}
        assert len(set().union(*ids.values())) == MESSAGES
        assert statuses(database_url) == {"sent": MESSAGES}
        # the message kept but not answered before the kill was sent again, recognisably
        assert len(inbox.received) > MESSAGES
