"""``/metrics``: Prometheus' text format, behind a token, counting what was sent (several
workers adding up), with no personal data or free text in it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.settings import PROJECT_ROOT, Settings
from tests.ops.support import sqlite_pass_only, wait_ready
from tests.support import graphql, operation, running_service, submit_report
from tests.test_served import free_port, stop

TOKEN = "m" * 40
AUTH = {"authorization": f"Bearer {TOKEN}"}
SENT = 100


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def operation_count(text: str, name: str, outcome: str = "ok") -> float:
    key = (("operation", name), ("outcome", outcome))
    return samples(text, "service_graphql_operations_total").get(key, 0.0)


@pytest.mark.anyio
async def test_metrics_count_operations_by_published_name_and_hold_no_personal_data(
    settings: Settings,
) -> None:
    settings = dataclasses.replace(settings, metrics_token=TOKEN)
    async with running_service(settings) as (_, client):
        # given
        before = (await client.get("/metrics", headers=AUTH)).text
        # when: 3 published Communes, a free query, and a report with an e-mail address
        for _ in range(3):
            await graphql(client, operation("Communes"), {})
        await client.post("/graphql", json={"query": "{ communes { code } }"})
        report = await submit_report(client, description="Call me at someone@example.org")
        response = await client.get("/metrics", headers=AUTH)
        refused = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"authorization": "Bearer nope"})
    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    assert operation_count(after, "Communes") - operation_count(before, "Communes") == 3
    assert operation_count(after, "other") - operation_count(before, "other") >= 1
    assert operation_count(after, "ReportCreate") - operation_count(before, "ReportCreate") == 1
    assert "someone@example.org" not in after
    assert report["report"]["reference"] not in after
    assert samples(after, "service_outbox_backlog")[(("consumer", "index"),)] >= 1
    assert refused.status_code == 401 and wrong.status_code == 401


@pytest.mark.anyio
async def test_metrics_are_off_without_a_token(settings: Settings) -> None:
    async with running_service(settings) as (_, client):
        response = await client.get("/metrics", headers=AUTH)
    assert response.status_code == 404


@sqlite_pass_only
@pytest.mark.slow
def test_two_workers_add_up_in_one_scrape(tmp_path: Path) -> None:
    # given: two workers
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    env.update(SERVICE_DATA_DIR=str(tmp_path), SERVICE_METRICS_TOKEN=TOKEN)
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--demo", "--workers", "2", "--port", str(port)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)

        # when: a small load, 8 clients sending 100 requests on new connections (spread over
        # the workers), scraped while it runs and after
        def send(_: int) -> int:
            body = {"query": operation("Communes")}
            return httpx.post(f"{base}/graphql", json=body, timeout=10).status_code

        with ThreadPoolExecutor(8) as pool:
            sent = pool.map(send, range(SENT))
            during = httpx.get(f"{base}/metrics", headers=AUTH, timeout=10).text
            statuses = list(sent)
        scrapes = [httpx.get(f"{base}/metrics", headers=AUTH, timeout=10).text for _ in range(4)]
    finally:
        stop(process)
    # then: whichever worker answers the scrape, it counts every request answered
    assert statuses.count(200) == SENT
    assert 0 <= operation_count(during, "Communes") <= SENT
    for text in scrapes:
        assert operation_count(text, "Communes") == SENT
