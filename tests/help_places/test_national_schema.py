"""The national schema of the places of digital mediation: an export that validates against
its Table Schema (frictionless), an import where valid rows go in and invalid rows are
reported with their line and reason, and OpenStreetMap opening hours both ways."""

from __future__ import annotations

import csv
import io
import json
import uuid

import httpx
import pytest
from frictionless import Resource, Schema

from service.context import Services
from service.errors import DomainError
from service.help_places.demo import load_demo_help_places
from service.help_places.hours import parse_hours
from service.help_places.national import COLUMNS, TABLE_SCHEMA
from service.help_places.osm_hours import from_osm, to_osm
from service.staff.models import Role
from tests.support import data_of, operation, staff

pytestmark = pytest.mark.anyio


def test_osm_hours_round_trip_and_refuse_what_they_do_not_read() -> None:
    # given
    hours = parse_hours(
        {
            "week": {d: [["09:00", "12:00"], ["14:00", "18:30"]] for d in ("mon", "tue", "wed")}
            | {"sat": [["08:30", "12:00"]]},
            "exceptions": [{"date": "2026-12-24", "periods": [["09:00", "11:00"]]}],
        }
    )
    # when
    text = to_osm(hours)
    # then
    assert text == "Mo-We 09:00-12:00,14:00-18:30; Sa 08:30-12:00; PH off; 2026 Dec 24 09:00-11:00"
    assert from_osm(text) == hours
    assert (
        from_osm("Mo-Fr 09:00-12:00; Su off").week[4]
        == parse_hours({"week": {"fri": [["09:00", "12:00"]]}}).week[4]
    )
    with pytest.raises(DomainError) as refused:
        from_osm("Mo-Fr 09:00-12:00; week 1-20 Sa 10:00-12:00")
    assert refused.value.code.name == "INVALID_HOURS"


async def test_the_export_validates_against_the_national_table_schema(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    await load_demo_help_places(
        services.db, services.reference, services.settings.fixtures_dir, services.clock()
    )
    # when
    response = await client.get("/help-places.csv")
    schema = (await client.get("/help-places.schema.json")).json()
    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) >= 29 and list(rows[0]) == COLUMNS
    assert rows[0]["telephone"].startswith("+33")
    report = Resource(
        data=[COLUMNS, *[[row[c] for c in COLUMNS] for row in rows]], schema=Schema(schema)
    ).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert schema == json.loads(json.dumps(TABLE_SCHEMA))


def national_csv(*rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return out.getvalue()


def national_row(identifier: str, **overrides: str) -> dict[str, str]:
    return {
        "id": identifier,
        "pivot": "00000000000000",
        "nom": "Espace numérique de test",
        "commune": "Trélazé",
        "code_postal": "49800",
        "code_insee": "49353",
        "adresse": "1 rue de l'Essai",
        "latitude": "47.4461",
        "longitude": "-0.4660",
        "typologie": "BIB",
        "telephone": "+33261919902",
        "horaires": "Tu-Sa 10:00-12:30,14:00-18:00; PH off",
        "date_maj": "2026-11-30",
        "services": "Aide aux démarches administratives;Accès internet et matériel informatique",
        "prise_en_charge_specifique": "Handicaps moteurs",
        **overrides,
    }


async def test_an_import_takes_the_valid_rows_and_reports_the_others_by_line(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    agent = await staff(services, client, "mairie-49353", Role.AGENT)
    prefix = uuid.uuid4().hex[:6]
    text = national_csv(
        national_row(f"{prefix}-bib"),
        national_row(f"{prefix}-nowhere", latitude="", longitude=""),  # no point: line 3
        national_row(f"{prefix}-hours", horaires="Mo-Fr sunrise-sunset"),  # line 4
        national_row(f"{prefix}-away", latitude="47.351", longitude="-0.762"),  # line 5
        national_row(f"{prefix}-asso", typologie="ASSO", nom="Association de test"),
    )
    # when
    imported = (await agent.data("HelpPlacesImport", {"csv": text}))["helpPlacesImport"]
    # then
    assert imported["errors"] == []
    assert (imported["added"], imported["updated"]) == (2, 0)
    assert [(p["line"], p["field"]) for p in imported["problems"]] == [
        (3, "latitude"),
        (4, "hours"),
        (5, "latitude"),
    ]
    assert "outside the 29 communes" in imported["problems"][2]["message"]
    place = await data_of(client, operation("HelpPlace"), {"slug": f"{prefix}-bib"})
    assert place["helpPlace"]["kind"] == "LIBRARY"
    assert place["helpPlace"]["keptBy"] == "mairie-49353"
    assert place["helpPlace"]["communeCode"] == "49353"
    # when: the same file again replaces, adds nothing
    again = (await agent.data("HelpPlacesImport", {"csv": text}))["helpPlacesImport"]
    assert (again["added"], again["updated"]) == (0, 2)


async def test_an_import_never_takes_another_bodys_places(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given: a place of Trélazé
    owner = await staff(services, client, "mairie-49353", Role.AGENT)
    other = await staff(services, client, "mairie-49007", Role.AGENT)
    identifier = f"{uuid.uuid4().hex[:6]}-kept"
    await owner.data("HelpPlacesImport", {"csv": national_csv(national_row(identifier))})
    # when: Angers' agent imports a file naming it, and a file without the needed columns
    taken = (await other.data("HelpPlacesImport", {"csv": national_csv(national_row(identifier))}))[
        "helpPlacesImport"
    ]
    broken = (await other.data("HelpPlacesImport", {"csv": "nom;adresse\nA;B\n"}))[
        "helpPlacesImport"
    ]
    # then
    assert taken["added"] == taken["updated"] == 0
    assert [p["line"] for p in taken["problems"]] == [2]
    assert broken["added"] == 0 and broken["problems"][0]["line"] == 1
