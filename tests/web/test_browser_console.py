"""The staff console in a real Chromium, against the shared served instance: a morning of
triage in Angers (sign in, filter the queue, open an item, acknowledge, read the contact,
answer from a template in English for an English-speaking resident, re-route as a
supervisor, mark a duplicate, reject), the resident's follow page, an Avrillé agent who sees
none of it, a deactivated agent stopped at the next click; axe-core on every console page in
French and Arabic, and an action done with the keyboard alone.

Staff accounts are made with the service's own command (``staff create``); deactivating one
is a write in the served database (the accounts' pages come with another issue).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from service.settings import PROJECT_ROOT, Settings
from tests.photos.files import jpeg_with_gps
from tests.support import ANGERS_TOWN_HALL, operation
from tests.web.support import shown
from tests.web.test_browser import axe_violations, shoot
from tests.web.test_browser_journeys import focus_is_visible, tab_to

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PASSWORD = "correct horse battery staple"
CONTACT = {
    "name": "Sam Resident",
    "email": "sam.resident@example.org",
    "followUpConsent": True,
    "consentTextVersion": "web-2026-06",
}


def database(data_dir: Path) -> str:
    return Settings(data_dir=data_dir).resolved_database_url.split("///", 1)[1]


def new_staff(data_dir: Path, body: str, role: str, name: str) -> str:
    """A staff account made by the service's own command; its e-mail."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@{body}.fr"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    environment["SERVICE_DATA_DIR"] = str(data_dir)
    subprocess.run(
        [sys.executable, "-m", "service", "staff", "create", "--email", email, "--name", name]
        + ["--body", body, "--role", role, "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
    )
    return email


def api_session(served: str, email: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=served)
    login = client.post(
        "/graphql",
        json={
            "query": operation("StaffLogin"),
            "variables": {"email": email, "password": PASSWORD},
        },
    ).json()
    return client, login["data"]["staffLogin"]["me"]["csrfToken"]


def save_templates(served: str, supervisor: str) -> None:
    """The body's answer template « works-planned » in French and in English."""
    client, csrf = api_session(served, supervisor)
    try:
        for language, title, text in (
            ("fr", "Travaux programmés", "Des travaux sont programmés ({reference})."),
            ("en", "Works planned", "Works are planned for this ({reference})."),
        ):
            body = client.post(
                "/graphql",
                json={
                    "query": operation("AnswerTemplateSave"),
                    "variables": {
                        "input": {
                            "code": "works-planned",
                            "language": language,
                            "title": title,
                            "text": text,
                        }
                    },
                },
                headers={"x-csrf-token": csrf},
            ).json()
            assert not body["data"]["answerTemplateSave"]["errors"], body
    finally:
        client.close()


def report(served: str, description: str, language: str = "fr", **extra: Any) -> dict[str, Any]:
    latitude, longitude = extra.pop("point", ANGERS_TOWN_HALL)
    variables = {
        "input": {
            "categoryCode": "graffiti",
            "latitude": latitude,
            "longitude": longitude,
            "description": description,
            "idempotencyKey": f"console-{uuid.uuid4()}",
            "channel": "WEB",
            **extra,
        }
    }
    body = httpx.post(
        f"{served}/graphql",
        json={"query": operation("ReportCreate"), "variables": variables},
        headers={"accept-language": language},
    ).json()
    created: dict[str, Any] = body["data"]["reportCreate"]
    assert not created["errors"], created
    return created


def uploaded_photo(served: str) -> str:
    """A phone's photo sent to the upload endpoint: its upload id."""
    sent = httpx.post(
        f"{served}/media/uploads",
        content=jpeg_with_gps(),
        headers={"content-type": "image/jpeg", "idempotency-key": f"photo-{uuid.uuid4()}"},
    )
    assert sent.status_code == 201, sent.text
    upload_id: str = sent.json()["uploadId"]
    return upload_id


def accessible(page: Any, axe_source: str, state: str) -> None:
    assert axe_violations(page, axe_source) == [], state
    shoot(page, f"console-{state}")


def sign_in(page: Any, email: str, language: str = "fr") -> None:
    page.goto(f"/console?lang={language}")
    page.wait_for_url(re.compile(r"/console/connexion"))
    if language == "fr":
        page.get_by_label("Adresse e-mail professionnelle").fill(email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
    else:
        page.locator("input[name=email]").fill(email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form.narrow button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console(\?.*)?$"))


def contact_reads(data_dir: Path, reference: str) -> int:
    with sqlite3.connect(database(data_dir)) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM contact_access JOIN item ON item.id = contact_access.item_id "
            "WHERE item.reference = ?",
            (reference,),
        ).fetchone()
    return int(count)


def test_a_morning_of_triage_in_angers(
    browser: Any, page: Any, axe_source: str, served: str, served_data_dir: Path
) -> None:
    # given: Angers' agent and supervisor, an Avrillé agent, the body's templates, reports
    agent = new_staff(served_data_dir, "mairie-49007", "agent", "Claude Martin")
    supervisor = new_staff(served_data_dir, "mairie-49007", "supervisor", "Dominique Roux")
    avrille = new_staff(served_data_dir, "mairie-49015", "agent", "Alex Petit")
    save_templates(served, supervisor)
    english = report(served, "Graffiti on the school wall, please call me.", "en", contact=CONTACT)
    reference = english["report"]["reference"]
    twin = report(served, "Tags sur le mur de l'école, encore.")["report"]["reference"]
    wrong = report(served, "Tag sur une voiture garée dans ma cour.")["report"]["reference"]
    noisy = report(served, "Des tags, et surtout du bruit toute la nuit.")["report"]["reference"]

    # when: the agent signs in and filters the queue
    sign_in(page, agent)
    accessible(page, axe_source, "queue-fr")
    page.get_by_label("Catégorie").select_option("graffiti")
    page.locator("input[name=status][value=submitted]").check()
    page.get_by_label("Trier").select_option("newest_first")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url(re.compile(r"category=graffiti"))
    accessible(page, axe_source, "queue-filtered-fr")
    for listed in (reference, twin, wrong, noisy):
        assert shown(page.get_by_role("link", name=listed))

    # then: the item, acknowledged
    page.get_by_role("link", name=reference).click()
    page.wait_for_url(re.compile(rf"/console/dossiers/{reference}"))
    assert shown(page.get_by_text("Graffiti on the school wall, please call me."))
    accessible(page, axe_source, "item-fr")
    page.get_by_role("button", name="Prendre en compte le dossier").click()
    assert shown(page.get_by_role("status").filter(has_text="pris en compte"))

    # the contact: asked, confirmed, shown, logged
    page.get_by_role("link", name="Lire les coordonnées").click()
    accessible(page, axe_source, "contact-confirm-fr")
    assert "sam.resident@example.org" not in page.content()
    page.get_by_role("button", name="Oui, lire les coordonnées").click()
    assert shown(page.get_by_text("sam.resident@example.org"))
    accessible(page, axe_source, "contact-read-fr")
    assert contact_reads(served_data_dir, reference) == 1
    page.get_by_role("link", name="Retour au dossier").click()

    # an answer from the template: in English, the resident's language
    page.get_by_label("Statut", exact=True).select_option("in_progress")
    page.get_by_label("Ou une réponse publique tirée d’un modèle").select_option("works-planned")
    page.get_by_label("Note interne").fill("Équipe propreté mardi matin.")
    page.get_by_role("button", name="Enregistrer").click()
    assert shown(page.get_by_text(f"Works are planned for this ({reference})."))
    assert shown(page.get_by_text("Équipe propreté mardi matin."))
    accessible(page, axe_source, "item-answered-fr")

    # a duplicate: the original among the items nearby, then closed
    page.goto(f"/console/dossiers/{twin}")
    page.get_by_label("Référence de l’original").fill(reference)
    page.get_by_role("button", name="Clore comme doublon").click()
    assert shown(page.get_by_role("status").filter(has_text="doublon"))
    accessible(page, axe_source, "item-duplicate-fr")

    # a rejection with its reason
    page.goto(f"/console/dossiers/{wrong}")
    page.get_by_label("Motif, pour l’habitant").fill("Une cour privée n'est pas l'espace public.")
    page.get_by_role("button", name="Rejeter le dossier").click()
    assert shown(page.get_by_role("status").filter(has_text="rejeté"))

    # the supervisor re-routes the noise report to its right category
    second = browser.new_context(base_url=served, locale="fr-FR")
    boss = second.new_page()
    sign_in(boss, supervisor)
    boss.goto(f"/console/dossiers/{noisy}")
    form = boss.locator("form[action*='/reacheminement']")
    form.get_by_label("Catégorie").select_option("noise")
    boss.get_by_role("button", name="Réorienter").click()
    assert shown(boss.get_by_role("status").filter(has_text="réorienté"))
    assert shown(boss.get_by_text("Bruit ou autre nuisance").first)
    accessible(boss, axe_source, "item-rerouted-fr")
    second.close()

    # the resident's follow page shows the public parts, never the note
    follow = browser.new_context(base_url=served, locale="en-GB")
    resident = follow.new_page()
    resident.goto(f"/suivi?jeton={english['trackingToken']}")
    assert shown(resident.get_by_text(f"Works are planned for this ({reference})."))
    assert "Équipe propreté" not in resident.content()
    follow.close()

    # Avrillé's agent sees none of it, and its URL is « not found »
    third = browser.new_context(base_url=served, locale="fr-FR")
    neighbour = third.new_page()
    sign_in(neighbour, avrille)
    queue = neighbour.content()
    for hidden in (reference, twin, wrong, noisy):
        assert hidden not in queue
    response = neighbour.goto(f"/console/dossiers/{reference}")
    assert response is not None and response.status == 404
    assert shown(neighbour.get_by_role("heading", name="Indisponible"))
    assert "Graffiti on the school wall" not in neighbour.content()
    third.close()
    assert page.errors == []


def test_a_deactivated_agent_is_stopped_at_the_next_click(
    page: Any, served: str, served_data_dir: Path
) -> None:
    # given: an agent at work
    email = new_staff(served_data_dir, "mairie-49007", "agent", "Camille Leroy")
    sign_in(page, email)
    # when: an administrator deactivates the account
    with sqlite3.connect(database(served_data_dir)) as connection:
        connection.execute("UPDATE staff_user SET active = 0 WHERE email = ?", (email,))
    page.get_by_role("link", name="Carte", exact=True).click()
    # then
    page.wait_for_url(re.compile(r"/console/connexion"))
    assert shown(page.get_by_role("heading", name="Connexion à la console des agents"))


def test_every_console_page_is_accessible_in_french_and_in_arabic(
    page: Any, axe_source: str, served: str, served_data_dir: Path
) -> None:
    # given
    supervisor = new_staff(served_data_dir, "mairie-49007", "supervisor", "Noor Haddad")
    photo = uploaded_photo(served)
    created = report(served, "Graffiti sur l'abribus.", contact=CONTACT, photoUploadIds=[photo])
    reference = created["report"]["reference"]
    for language in ("fr", "ar"):
        page.context.clear_cookies()
        page.goto(f"/console/connexion?lang={language}")
        accessible(page, axe_source, f"sign-in-{language}")
        sign_in(page, supervisor, language)
        # when / then: every page, in its states
        for path, state in (
            ("/console", "queue"),
            ("/console?status=submitted&status=acknowledged&order=most_supported", "queue-f"),
            ("/console/carte", "map"),
            (f"/console/dossiers/{reference}", "item"),
            (f"/console/dossiers/{reference}?original=graffiti", "item-search"),
            (f"/console/dossiers/{reference}/contact", "contact"),
            (f"/console/dossiers/{reference}/photos/{photo}", "photo"),
            ("/console/jetons", "tokens"),
            ("/console/dossiers/ALM-1999-000001", "not-found"),
        ):
            page.goto(path)
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("lang") == language
            assert page.locator("html").get_attribute("dir") == (
                "rtl" if language == "ar" else "ltr"
            )
            accessible(page, axe_source, f"{state}-{language}")
        # a form's errors, and a new token's secret shown once
        page.goto(f"/console/dossiers/{reference}")
        page.locator("form[action*='/rejet'] button").click()
        assert shown(page.locator("#field-reason-error"))
        accessible(page, axe_source, f"item-errors-{language}")
        page.goto(f"/console/dossiers/{reference}/photos/{photo}")
        page.locator("form[action$='/masquage'] button").click()
        assert shown(page.locator("#field-reason-error"))
        accessible(page, axe_source, f"photo-errors-{language}")
        page.goto("/console/jetons")
        page.locator("input[name=name]").fill(f"script {language}")
        page.locator("input[name=scopes][value='items:read']").check()
        page.locator("form[action^='/console/jetons'] button[type=submit]").first.click()
        assert page.locator(".secret").inner_text().startswith("alm_pat_")
        accessible(page, axe_source, f"token-created-{language}")
    assert page.errors == []


def test_acknowledging_with_the_keyboard_alone(
    page: Any, served: str, served_data_dir: Path
) -> None:
    # given
    agent = new_staff(served_data_dir, "mairie-49007", "agent", "Sacha Morel")
    reference = report(served, "Tags au clavier.")["report"]["reference"]
    sign_in(page, agent)
    # when: Tab to the reference field, type, Enter; Tab to the button, Enter
    tab_to(page, "input[name=reference]")
    assert focus_is_visible(page)
    page.keyboard.type(reference)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/console/dossiers/{reference}"))
    tab_to(page, "form[action*='/prise-en-charge'] button")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    # then
    page.wait_for_url(re.compile(r"fait=prise-en-charge"))
    assert parse_qs(urlsplit(page.url).query)["fait"] == ["prise-en-charge"]
    assert shown(page.get_by_role("status").filter(has_text="pris en compte"))


def test_a_new_item_appears_in_the_open_queue_without_reloading(
    page: Any, axe_source: str, served: str, served_data_dir: Path
) -> None:
    # given: the queue open, newest first; the page's clock under the test's control
    agent = new_staff(served_data_dir, "mairie-49007", "agent", "Lou Garnier")
    page.clock.install()
    sign_in(page, agent)
    page.goto("/console?order=newest_first&lang=fr")
    # when: a resident reports meanwhile, and the queue's next look comes
    reference = report(served, "Nouveau tag pendant que la file est ouverte.")["report"][
        "reference"
    ]
    page.clock.run_for(16_000)
    # then: its row is on top of the table, announced, without a reload
    first_row = page.locator("tbody[data-live-rows] tr.new-row").first
    first_row.get_by_role("link", name=reference).wait_for()
    assert shown(page.get_by_role("status").filter(has_text="Nouveaux dossiers arrivés : 1."))
    accessible(page, axe_source, "queue-live-fr")
    assert page.errors == []
