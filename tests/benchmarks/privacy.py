"""Cost of personal-data protection (not a test: timings have no place in the test suite).

Run from the project root: `python -m tests.benchmarks.privacy [--items N]`. Prints the cost
of sealing and opening one contact (AES-GCM + two HMAC digests), and the purge throughput on a
throwaway SQLite database holding N finished items with a contact and free text.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.db import Database
from service.items.models import Item, ItemEvent
from service.privacy.crypto import FieldCipher
from service.privacy.models import Consent, Contact
from service.privacy.retention import RetentionPeriods, count_due, purge
from service.privacy.rules import ContactDetails, open_contact, seal_contact
from service.settings import Settings
from tests.support import prepare_database

T0 = datetime(2020, 1, 1, tzinfo=UTC)
DETAILS = ContactDetails("Camille Martin", "camille.martin@example.org", "+33612345678")


def measure_cipher(rounds: int = 20_000) -> dict[str, float]:
    cipher = FieldCipher([b"a" * 32, b"b" * 32])
    row = Contact(item_id=1, created_at=T0)
    start = time.perf_counter()
    for _ in range(rounds):
        seal_contact(row, DETAILS, cipher)
    sealed = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(rounds):
        open_contact(row, cipher)
    opened = time.perf_counter() - start
    return {"seal_us": sealed / rounds * 1e6, "open_us": opened / rounds * 1e6}


async def seed(db: Database, count: int) -> None:
    cipher = FieldCipher([b"a" * 32])
    async with db.writing() as session:
        for n in range(count):
            item = Item(
                reference=f"ALM-2020-{n + 1:06d}", kind="report", status="closed",
                commune_code="49007", category_code="pothole", body_code="alm-voirie",
                competence="metropole", routing_reason="bench", delivery_state="triage",
                description="Nid-de-poule devant le 12, appelez-moi au 06 12 34 56 78",
                public_description="Nid-de-poule devant le 12, appelez-moi au […]",
                address_text="12 rue Lenepveu", channel="app", language="fr",
                idempotency_scope="bench", idempotency_key=f"bench-{n}",
                request_fingerprint="0" * 64, token_nonce="n" * 16, created_at=T0,
                updated_at=T0, closed_at=T0,
            )  # fmt: skip
            session.add(item)
            await session.flush()
            assert item.id is not None
            row = Contact(item_id=item.id, created_at=T0)
            seal_contact(row, DETAILS, cipher)
            session.add(row)
            session.add(Consent(item_id=item.id, purpose="follow_up_contact", text_version="1",
                                channel="app", given_at=T0))  # fmt: skip
            session.add(ItemEvent(item_id=item.id, kind="information_added", audience="resident",
                                  actor="resident", text="Toujours là", created_at=T0))  # fmt: skip


async def measure_purge(folder: Path, count: int) -> dict[str, float]:
    settings = Settings(data_dir=folder)
    db = Database(settings.resolved_database_url)
    try:
        await seed(db, count)
        periods = RetentionPeriods()
        now = T0 + timedelta(days=periods.free_text_days + 1)
        start = time.perf_counter()
        async with db.reading() as session:
            planned = await count_due(session, periods, now)
        dry = time.perf_counter() - start
        start = time.perf_counter()
        done = await purge(db, periods, now)
        real = time.perf_counter() - start
    finally:
        await db.dispose()
    assert planned == done, (planned, done)
    return {
        "items": float(count),
        "dry_run_ms": dry * 1000,
        "purge_s": real,
        "items_per_second": count / real,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5_000)
    args = parser.parse_args()
    cipher = measure_cipher()
    print(f"seal one contact: {cipher['seal_us']:.1f} µs; open one: {cipher['open_us']:.1f} µs")
    with tempfile.TemporaryDirectory() as folder:
        prepare_database(Settings(data_dir=Path(folder)))
        result = asyncio.run(measure_purge(Path(folder), args.items))
    print(
        f"purge of {int(result['items'])} finished items (contact + free text): "
        f"{result['purge_s']:.2f} s ({result['items_per_second']:.0f} items/s); "
        f"dry run {result['dry_run_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
