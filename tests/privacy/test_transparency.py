"""The annual transparency report counts what really happened in the year, and nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from service.context import Services
from service.privacy.transparency import transparency_report
from service.settings import PROJECT_ROOT, Settings
from service.staff.models import Role
from tests.privacy.helpers import report_with_contact
from tests.sensors.support import create_sensor
from tests.sensors.support import staff as sensor_staff
from tests.sensors.test_opinions import give
from tests.support import data_of, operation, staff, submit_report

pytestmark = pytest.mark.anyio


async def test_the_report_equals_what_happened_in_the_year(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given: two reports with a contact (2 consents each), one without; staff read one
    # contact; one resident asks for a copy, the other erases; a sensor and an opinion
    client, services = fresh_client, fresh_services
    first, first_token = await report_with_contact(client)
    _, second_token = await report_with_contact(client)
    await submit_report(client)
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.call("ItemContact", {"reference": first})
    await data_of(client, operation("MyDataExport"), {"token": first_token})
    await data_of(client, operation("MyDataErase"), {"token": second_token})
    slug = (await create_sensor(await sensor_staff(services, client, "alm", Role.ADMIN)))["slug"]
    assert (await give(client, slug))["errors"] == []
    year = services.clock().year
    # when
    async with services.db.reading() as session:
        report = await transparency_report(session, year)
        last_year = await transparency_report(session, year - 1)
    # then
    assert report == {
        "year": year,
        "itemsByKind": {"report": 3},
        "itemsByChannel": {"app": 3},
        "contactsCollected": 2,
        "contactsDeleted": 1,
        "consentsGiven": 4,
        "consentsWithdrawn": 2,
        "contactReads": 1,
        "exports": 1,
        "erasures": 1,
        "sensorsRegistered": 1,
        "opinionsReceived": 1,
        "flagsReceived": 0,
        "publicTextsHiddenOrEdited": 0,
    }
    assert last_year["itemsByKind"] == {} and last_year["contactsCollected"] == 0


async def test_the_report_counts_flags_and_the_texts_moderation_withheld(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given a report flagged by three devices, then hidden by its body's staff
    client, services = fresh_client, fresh_services
    reference = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    for n in range(3):
        flagged = await data_of(
            client,
            operation("ItemFlag"),
            {"reference": reference, "reason": "SPAM", "deviceKey": f"device-tr-{n:04d}"},
        )
        assert flagged["itemFlag"]["counted"] is True
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    hidden = await agent.data(
        "ItemModerate", {"reference": reference, "action": "HIDE", "reason": "Publicité."}
    )
    assert hidden["itemModerate"]["errors"] == []
    # when
    async with services.db.reading() as session:
        report = await transparency_report(session, services.clock().year)
    # then
    assert report["flagsReceived"] == 3
    assert report["publicTextsHiddenOrEdited"] == 1


def test_the_command_prints_the_report_in_the_chosen_language(fresh_settings: Settings) -> None:
    # given
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    env["SERVICE_DATABASE_URL"] = fresh_settings.resolved_database_url
    env["SERVICE_DATA_DIR"] = str(fresh_settings.data_dir)

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "service", "transparency-report", "--year", "2026", *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    # when
    french, english, as_json = run(), run("--locale", "en"), run("--format", "json")
    # then
    assert french.startswith("# Rapport de transparence 2026")
    assert english.startswith("# Transparency report 2026")
    assert json.loads(as_json)["year"] == 2026
