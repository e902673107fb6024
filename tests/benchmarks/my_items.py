"""`python -m tests.benchmarks.my_items [--reports N] [--devices D] [--requests R]`: the cost of
`myItems` against the trivial query, in one process (the app through httpx's ASGI transport,
no network), on a SQLite database of N reports with D devices keeping 20 items each.

Reports requests per second and the process's CPU milliseconds per request of `{ __typename }`,
`myItems` for a device keeping 20 items and for one keeping 200 (the maximum), and their
ratios to the trivial query. The rate limits of « my items » are lifted for the measure (a
device may list 10 times a minute); the limiter's own cost is one dictionary update.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from service.settings import Settings
from service.tracking import my_items
from tests.benchmarks.seed import insert_reports
from tests.support import ONE_ORIGIN_LIMITS, operation, prepare_database, running_service

TRIVIAL = "{ __typename }"


def seed_devices(db_path: Path, devices: int, per_device: int) -> list[tuple[str, str, int]]:
    """``devices`` devices keeping ``per_device`` random items each, and two measured ones
    (20 and 200 items); returns the measured ones' (key, proof, count)."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    try:
        ids = [row[0] for row in connection.execute("SELECT id FROM item")]
        rng = __import__("random").Random(7)
        rows = []
        for _ in range(devices):
            digest = my_items.device_hash(secrets.token_hex(8), secrets.token_urlsafe(24))
            rows += [
                (digest, item_id, "2026-01-01 00:00:00") for item_id in rng.sample(ids, per_device)
            ]
        measured = []
        for count in (20, my_items.MAX_ITEMS_PER_DEVICE):
            key, proof = "bench-" + secrets.token_hex(8), secrets.token_urlsafe(24)
            digest = my_items.device_hash(key, proof)
            rows += [(digest, i, "2026-01-01 00:00:00") for i in rng.sample(ids, count)]
            measured.append((key, proof, count))
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO device_item (device_hash, item_id, created_at) VALUES (?, ?, ?)", rows
        )
        connection.execute("COMMIT")
        plan = connection.execute(
            "EXPLAIN QUERY PLAN SELECT item.* FROM item JOIN device_item "
            "ON device_item.item_id = item.id WHERE device_item.device_hash = ? "
            "ORDER BY item.updated_at DESC, item.id DESC LIMIT 200",
            (rows[-1][0],),
        ).fetchall()
        print("plan:", "; ".join(str(step[-1]) for step in plan))
        return measured
    finally:
        connection.close()


async def measure(settings: Settings, body: dict[str, Any], requests: int) -> tuple[float, float]:
    """(requests per second, CPU ms per request) of ``body``, after a warm-up."""
    async with running_service(settings) as (_, client):
        for _ in range(50):
            response = await client.post("/graphql", json=body)
            assert response.status_code == 200, response.text
            assert "errors" not in response.json(), response.text
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(requests):
            await client.post("/graphql", json=body)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return requests / wall, 1000 * cpu / requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1_000)
    args = parser.parse_args()
    my_items.MY_ITEMS_PER_MINUTE = my_items.MY_ITEMS_PER_DEVICE_MINUTE = 10**9
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        url = f"sqlite:///{(data / 'service.db').as_posix()}"
        settings = Settings(
            database_url=url,
            data_dir=data,
            secret_keys=("k" * 32,),
            public_cache_seconds=0,
            **ONE_ORIGIN_LIMITS,
        )
        prepare_database(settings)
        insert_reports(data / "service.db", args.reports, seed=1)
        measured = seed_devices(data / "service.db", args.devices, 20)
        print(f"load average: {os.getloadavg()}")
        trivial_rate, trivial_cpu = asyncio.run(
            measure(settings, {"query": TRIVIAL}, args.requests)
        )
        print(f"trivial: {trivial_rate:,.0f} req/s, {trivial_cpu:.2f} CPU ms/request")
        for key, proof, count in measured:
            body = {"query": operation("MyItems"), "variables": {"deviceKey": key, "proof": proof}}
            rate, cpu = asyncio.run(measure(settings, body, args.requests))
            print(
                f"myItems ({count} items): {rate:,.0f} req/s = {rate / trivial_rate:.0%} of "
                f"trivial, {cpu:.2f} CPU ms/request"
            )
        print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
