"""The council dashboard in a real Chromium: anonymous and as a council member signed in, a
change of period and scope, tables and charts with the numbers of ``trends``, a CSV
downloaded, axe-core finding no violation in French and in Arabic."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.settings import PROJECT_ROOT
from tests.support import operation
from tests.web.test_browser import axe_violations, shoot

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct horse battery staple"


def trends(page: Any, year: int, commune: str | None, by: str) -> dict[str, Any]:
    """The ``trends`` query the dashboard must agree with, from the same browser."""
    response = page.request.post(
        "/graphql",
        data={
            "query": operation("Trends"),
            "variables": {
                "period": {
                    "start": f"{year}-01-01",
                    "end": f"{year}-12-31",
                    "granularity": "MONTH",
                },
                "scope": {"communeCode": commune},
                "by": by,
            },
        },
        headers={"accept-language": "fr"},
    )
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"]["trends"])


def table_rows(page: Any, table: str) -> dict[str, str]:
    """Each body row of a table: its header cell and its first number (as a reader sees it)."""
    found = {}
    for row in page.locator(f"#{table} tbody tr").all():
        found[row.locator("th").inner_text().strip()] = row.locator("td").first.inner_text()
    return found


def test_an_anonymous_reader_changes_period_and_scope_and_reads_the_numbers_of_trends(
    page: Any, axe_source: str
) -> None:
    # given
    year = date.today().year
    page.goto("/tableau-de-bord?lang=fr")
    assert axe_violations(page, axe_source) == []
    # when the reader picks this year and Angers
    page.get_by_label("Période", exact=True).select_option(str(year))
    page.get_by_label("Commune", exact=True).select_option(label="Angers")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher").click()
    # then
    assert "commune=49007" in page.url and f"periode={year}" in page.url
    assert axe_violations(page, axe_source) == []
    shoot(page, "dashboard-fr")
    expected = trends(page, year, "49007", "KIND")
    shown = table_rows(page, "table-kind")
    # each bar of the chart: its name and the value it prints
    chart = page.locator("svg[aria-labelledby='kind-title kind-desc'] g").evaluate_all(
        "bars => bars.map(g => [...g.querySelectorAll('text')].map(t => t.textContent))"
    )
    for row in expected["breakdown"]["rows"]:
        cell = shown[row["label"]]
        if row["count"]["suppressed"]:
            assert "—" in cell and "Retenu" in cell
        else:
            assert cell == row["count"]["label"]
            assert [row["label"], row["count"]["label"]] in chart
    series = table_rows(page, "table-series")
    assert list(series) == [p["label"] for p in expected["series"]]
    # and the figure's open data downloads
    with page.expect_download() as download:
        page.get_by_role(
            "link", name=f"Télécharger les données ouvertes de {year} (CSV)"
        ).first.click()
    assert Path(download.value.path()).read_text(encoding="utf-8").startswith("month,items")
    assert page.errors == []


def test_the_dashboard_in_arabic_reads_right_to_left_without_violation(
    page: Any, axe_source: str
) -> None:
    # when
    page.goto("/tableau-de-bord?lang=ar")
    # then
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("svg[direction='rtl']").count() >= 1
    assert axe_violations(page, axe_source) == []
    shoot(page, "dashboard-ar")
    assert page.errors == []


def test_a_council_member_signed_in_sees_every_indicator(
    page: Any, axe_source: str, served_data_dir: Path
) -> None:
    # given a council member, made with the service's own command, signed in
    email = f"elu-{uuid.uuid4().hex[:8]}@angers.fr"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    environment["SERVICE_DATA_DIR"] = str(served_data_dir)
    subprocess.run(
        [sys.executable, "-m", "service", "staff", "create", "--email", email, "--name", "Élu"]
        + ["--body", "alm", "--role", "council", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
    )
    login = page.request.post(
        "/graphql",
        data={
            "query": operation("StaffLogin"),
            "variables": {"email": email, "password": PASSWORD},
        },
    ).json()
    assert login["data"]["staffLogin"]["errors"] == []
    # when
    page.goto("/tableau-de-bord?lang=fr")
    # then
    assert page.get_by_role("heading", name="Éléments par organisme chargé du traitement").count()
    assert page.get_by_label("Organisme", exact=True).count() == 1
    assert axe_violations(page, axe_source) == []
    shoot(page, "dashboard-council-fr")
    assert page.errors == []
