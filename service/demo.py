"""Example reports for `serve --demo`, submitted through the same rules as real ones."""

from __future__ import annotations

import csv
from datetime import datetime

from service.context import Services
from service.invariants import required_row
from service.items import rules as items
from service.items.lifecycle import Status
from service.reports import rules as reports

# How the example items reach their status: the path staff would take.
PATHS: dict[Status, list[Status]] = {
    Status.SUBMITTED: [],
    Status.ACKNOWLEDGED: [Status.ACKNOWLEDGED],
    Status.IN_PROGRESS: [Status.ACKNOWLEDGED, Status.IN_PROGRESS],
    Status.RESOLVED: [Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED],
    Status.REJECTED: [Status.REJECTED],
}


async def load_demo_reports(services: Services, now: datetime) -> int:
    """Submit the example reports of fixtures/demo (idempotent); returns how many are new."""
    path = services.settings.fixtures_dir / "demo" / "reports.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    created = 0
    for row in rows:
        submitted = await reports.submit_report(
            services.db,
            services.reference,
            reports.ReportRequest(
                category_code=row["category_code"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                address_text=row["address_text"],
                description=row["description"],
                idempotency_key=row["key"],
                channel="web",
                language="fr",
                contact=None,
            ),
            scope="demo",
            now=now,
        )
        if submitted.replayed:
            continue
        created += 1
        async with services.db.writing() as session:
            item = required_row(
                await items.get_by_reference(session, submitted.item.reference),
                "item",
                submitted.item.reference,
            )
            for status in PATHS[Status(row["status"])]:
                items.change_status(session, item, status, actor="demo", now=now)
    return created
