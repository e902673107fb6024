"""Logs carry item references and counts, never the contact values a resident gave."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest

from service.context import Services
from service.items.lifecycle import Status
from service.privacy.retention import purge
from service.staff.models import Role
from tests.privacy.helpers import PERSONAL_VALUES, finish, report_with_contact
from tests.staff.test_triage import staff
from tests.support import data_of, operation

pytestmark = pytest.mark.anyio


async def test_a_full_scenario_logs_no_personal_data(
    fresh_client: httpx.AsyncClient, fresh_services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    caplog.set_level(logging.DEBUG)
    services, client = fresh_services, fresh_client
    # when: submit, staff read, export, withdraw, close, purge, erase
    reference, token = await report_with_contact(client)
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.call("ItemContact", {"reference": reference})
    await data_of(client, operation("MyDataExport"), {"token": token})
    share = ["SHARE_WITH_OPERATOR"]
    await data_of(client, operation("ConsentWithdraw"), {"token": token, "purposes": share})
    now = services.clock()
    await finish(services, reference, Status.CLOSED, now)
    await purge(services.db, services.retention_periods, now + timedelta(days=31))
    second, second_token = await report_with_contact(client)
    await data_of(client, operation("MyDataErase"), {"token": second_token})
    # then
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"export of {reference}" in logged and f"erasure of {second}" in logged
    assert "purge: 1 contacts" in logged
    for value in (*PERSONAL_VALUES, "camille.martin", "612345678"):
        assert value.lower() not in logged.lower()
