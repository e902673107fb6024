"""Every person reads the service in their language: real operations driven with
Accept-Language (or an explicit locale) in each of the five languages, plural forms included."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from service.context import Services
from service.items.models import Item
from service.settings import SUPPORTED_LOCALES
from service.staff.models import Role
from tests.sensors.support import create_sensor, staff
from tests.support import data_of, graphql, operation, report_input, submit_report

pytestmark = pytest.mark.anyio

# What each language must read (checked by a speaker of each; not the msgid, not French).
LATITUDE_ERROR = {
    "fr": "La latitude doit être un nombre compris entre -90 et 90 degrés.",
    "en": "The latitude must be a number between -90 and 90 degrees.",
    "es": "La latitud debe ser un número entre -90 y 90 grados.",
    "de": "Der Breitengrad muss eine Zahl zwischen -90 und 90 Grad sein.",
    "ar": "يجب أن يكون خط العرض عددًا بين \u200e-90 و90 درجة.",
}
POTHOLE = {
    "fr": "Nid-de-poule",
    "en": "Pothole",
    "es": "Bache",
    "de": "Schlagloch",
    "ar": "حفرة في الطريق",
}
SUBMITTED = {
    "fr": "Transmis",
    "en": "Submitted",
    "es": "Enviado",
    "de": "Eingereicht",
    "ar": "تم الإرسال",
}
REPORT = {"fr": "Signalement", "en": "Report", "es": "Incidencia", "de": "Meldung", "ar": "بلاغ"}
# Support labels for 0, 1, 2, 5, 11 and 100 supporters: French says "0 personne" in the
# singular, Arabic has six forms.
SUPPORTS = (0, 1, 2, 5, 11, 100)
SUPPORT_LABELS = {
    "fr": [
        "0 personne soutient cette demande",
        "1 personne soutient cette demande",
        "2 personnes soutiennent cette demande",
        "5 personnes soutiennent cette demande",
        "11 personnes soutiennent cette demande",
        "100 personnes soutiennent cette demande",
    ],
    "en": [
        "0 people support this",
        "1 person supports this",
        "2 people support this",
        "5 people support this",
        "11 people support this",
        "100 people support this",
    ],
    "es": [
        "0 personas apoyan esto",
        "1 persona apoya esto",
        "2 personas apoyan esto",
        "5 personas apoyan esto",
        "11 personas apoyan esto",
        "100 personas apoyan esto",
    ],
    "de": [
        "0 Personen unterstützen dies",
        "1 Person unterstützt dies",
        "2 Personen unterstützen dies",
        "5 Personen unterstützen dies",
        "11 Personen unterstützen dies",
        "100 Personen unterstützen dies",
    ],
    "ar": [
        "لا أحد يدعم هذا بعد",
        "شخص واحد يدعم هذا",
        "شخصان يدعمان هذا",
        "5 أشخاص يدعمون هذا",
        "11 شخصًا يدعمون هذا",
        "100 شخص يدعمون هذا",
    ],
}
# 16:05 UTC on 29 November 2026 is 17:05 in Angers, written each language's way.
RECEIVED = datetime(2026, 11, 29, 16, 5, tzinfo=UTC)
RECEIVED_LABEL = {
    "fr": "29 nov. 2026, 17:05",
    "en": "Nov 29, 2026, 5:05\u202fPM",
    "es": "29 nov 2026, 17:05",
    "de": "29.11.2026, 17:05",
    "ar": "29\u200f/11\u200f/2026، 5:05 م",
}
# A sensor's DTPR sign: the induction loop of a parking sensor. French and English are
# DTPR's own texts, Spanish, German and Arabic ALM's translation (so the sign says it is not
# official); the retention of 12 months keeps the value the staff typed.
INDUCTION_LOOP = {
    "fr": (
        "Boucle d'induction magnétique",
        "Une boucle d'induction magnétique utilise un aimant mobile pour générer un courant "
        "électrique dans un fil à proximité.",
    ),
    "en": (
        "Induction Loop",
        "An induction loop uses a moving magnet to generate an electric current in a nearby wire.",
    ),
    "es": (
        "Lazo de inducción",
        "Un lazo de inducción utiliza un imán en movimiento para generar una corriente "
        "eléctrica en un cable cercano.",
    ),
    "de": (
        "Induktionsschleife",
        "Eine Induktionsschleife nutzt einen bewegten Magneten, um in einem nahe gelegenen "
        "Draht einen elektrischen Strom zu erzeugen.",
    ),
    "ar": (
        "حلقة حثية",
        "تستخدم الحلقة الحثية مغناطيسًا متحركًا لتوليد تيار كهربائي في سلك قريب.",
    ),
}
TECHNOLOGY = {
    "fr": "Technologie",
    "en": "Technology",
    "es": "Tecnología",
    "de": "Technologie",
    "ar": "التقنية",
}
RETAINED = {
    "fr": "Retenu 12 mois",
    "en": "Retained 12 mois",
    "es": "Conservados 12 mois",
    "de": "Aufbewahrt: 12 mois",
    "ar": "محفوظة لمدة 12 mois",
}
UNOFFICIAL = {
    "fr": None,
    "en": None,
    "es": "Traducción no oficial de la taxonomía DTPR realizada por Angers Loire Métropole "
    "(CC BY 4.0).",
    "de": "Inoffizielle Übersetzung der DTPR-Taxonomie durch Angers Loire Métropole (CC BY 4.0).",
    "ar": "ترجمة غير رسمية لتصنيف DTPR أعدّتها Angers Loire Métropole \u200f(CC BY 4.0).",
}


@pytest.mark.parametrize("language", SUPPORTED_LOCALES)
async def test_a_refused_report_is_explained_in_the_callers_language(
    client: httpx.AsyncClient, language: str
) -> None:
    # when
    response = await graphql(
        client,
        operation("ReportCreate"),
        {"input": report_input(point=(123.0, -0.55))},
        language=f"{language}-XX;q=0.9, *;q=0.1",
    )
    # then
    errors = response.json()["data"]["reportCreate"]["errors"]
    assert len(errors) == 1 and errors[0]["code"] == "LATITUDE_OUT_OF_RANGE"
    assert errors[0]["message"] == LATITUDE_ERROR[language]
    assert response.headers["content-language"] == language


@pytest.mark.parametrize("language", SUPPORTED_LOCALES)
async def test_categories_and_a_tracked_item_read_in_the_callers_language(
    client: httpx.AsyncClient, language: str
) -> None:
    # given
    token = (await submit_report(client, language=language))["trackingToken"]
    # when
    categories = await data_of(client, operation("Categories"), language=language)
    tracked = await data_of(client, operation("Tracked"), {"token": token}, language=language)
    # then
    labels = {
        c["code"]: c["label"] for g in categories["categories"]["groups"] for c in g["categories"]
    }
    assert labels["pothole"] == POTHOLE[language]
    assert tracked["tracked"]["item"]["statusLabel"] == SUBMITTED[language]


@pytest.mark.parametrize("language", SUPPORTED_LOCALES)
async def test_a_sensors_dtpr_sign_reads_in_the_callers_language(
    client: httpx.AsyncClient, services: Services, language: str
) -> None:
    # given: a parking sensor on an induction loop, its data kept 12 months
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(agent))["slug"]
    # when: a passer-by scans its sign
    response = await graphql(
        client, operation("Sensor"), {"slug": slug}, language=f"{language};q=0.9, fr;q=0.5"
    )
    # then: in their language, not English, not French (except for those who asked for them)
    sensor = response.json()["data"]["sensor"]
    entries = {e["elementId"]: e for e in sensor["dtpr"]}
    loop = entries["induction_loop"]
    name, description = INDUCTION_LOOP[language]
    assert loop["name"] == name and loop["description"].startswith(description)
    assert loop["categoryName"] == TECHNOLOGY[language]
    assert entries["data_retained"]["name"] == RETAINED[language]
    for other in set(SUPPORTED_LOCALES) - {language}:
        assert loop["name"] != INDUCTION_LOOP[other][0]
        assert not loop["description"].startswith(INDUCTION_LOOP[other][1])
    assert {(e["language"], e["isFallback"]) for e in sensor["dtpr"]} == {(language, False)}
    official = language in ("fr", "en")
    assert {e["translation"] for e in sensor["dtpr"]} == {"OFFICIAL" if official else "ADAPTED"}
    assert sensor["dtprTranslationNote"] == UNOFFICIAL[language]
    assert response.headers["content-language"] == language


@pytest.mark.parametrize("language", SUPPORTED_LOCALES)
async def test_support_counts_and_dates_follow_each_languages_rules(
    client: httpx.AsyncClient, services: Services, language: str
) -> None:
    # given: a report received on 29 November 2026 at 16:05 UTC
    payload = await submit_report(client)
    reference, token = payload["report"]["reference"], payload["trackingToken"]
    labels: list[str] = []
    for count in SUPPORTS:
        async with services.db.writing() as session:
            await session.exec(  # type: ignore[call-overload]
                update(Item)
                .where(col(Item.reference) == reference)
                .values(support_count=count, created_at=RECEIVED)
            )
        # when: read with an explicit locale, which wins over Accept-Language
        item = await tracked_item(client, token, language)
        labels.append(item["supportLabel"])
    # then
    assert labels == SUPPORT_LABELS[language]
    assert item["kindLabel"] == REPORT[language]
    assert item["createdAtLabel"] == RECEIVED_LABEL[language]


async def tracked_item(client: httpx.AsyncClient, token: str, locale: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={
            "query": operation("Tracked"),
            "variables": {"token": token},
            "extensions": {"locale": locale},
        },
        headers={"accept-language": "fr"},
    )
    assert response.headers["content-language"] == locale
    item: dict[str, Any] = response.json()["data"]["tracked"]["item"]
    return item


SUPERVISOR = {
    "fr": "Encadrant",
    "en": "Supervisor",
    "es": "Supervisor",
    "de": "Teamleitung",
    "ar": "مشرف",
}


@pytest.mark.parametrize("language", SUPPORTED_LOCALES)
async def test_a_staff_member_reads_their_role_in_their_language(
    client: httpx.AsyncClient, services: Services, language: str
) -> None:
    # given
    member = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    # when
    response = await client.post(
        "/graphql",
        json={"query": operation("Me")},
        headers={"authorization": f"Bearer {member.token}", "accept-language": language},
    )
    # then
    me = response.json()["data"]["me"]
    assert (me["role"], me["roleLabel"]) == ("SUPERVISOR", SUPERVISOR[language])
