"""The residents' journeys in a real Chromium: a report with a pin clicked on the map, the
same report with JavaScript off, the follow page with a staff answer and the resident's
feedback, export and erasure, a report written offline and replayed once online (exactly one
item), a service request with a wrong answer then a right one, and a report sent with the
keyboard alone. axe-core finds no WCAG 2.0/2.1 A or AA violation in each state, in fr and ar.
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
from tests.support import operation
from tests.web.support import shown
from tests.web.test_browser import axe_violations, shoot

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PASSWORD = "correct horse battery staple"


def items_with_key(data_dir: Path, key: str) -> int:
    """How many items the served instance holds under this idempotency key."""
    url = Settings(data_dir=data_dir).resolved_database_url
    path = url.split("///", 1)[1]
    with sqlite3.connect(path) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM item WHERE idempotency_key = ?", (key,)
        ).fetchone()
    return int(count)


def accessible(page: Any, axe_source: str, state: str) -> None:
    assert axe_violations(page, axe_source) == [], state
    shoot(page, state)


def accessible_without_javascript(
    browser: Any, served: str, no_js_page: Any, axe_source: str, state: str
) -> None:
    """axe-core on a page as a browser with JavaScript off shows it.

    axe is a script: it cannot run in that browser. The page's HTML as it rendered there is
    served again, at the same address (so its styles and images load alike), to a browser
    with JavaScript on, its scripts removed: what is laid out and checked is the page
    without JavaScript. The screenshot is the JavaScript-less browser's own."""
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", no_js_page.content(), flags=re.S)
    url = no_js_page.url
    context = browser.new_context(base_url=served, locale="fr-FR")
    try:
        checker = context.new_page()
        checker.route(
            url, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8")
        )
        checker.goto(url)
        checker.wait_for_load_state("networkidle")
        assert checker.locator("script").count() == 0
        assert axe_violations(checker, axe_source) == [], state
    finally:
        context.close()
    shoot(no_js_page, state)


def fill_report_without_a_pin(page: Any, description: str) -> None:
    page.get_by_label("Nid-de-poule").check()
    page.get_by_label("Commune", exact=True).select_option(label="Avrillé")
    page.get_by_label("Adresse ou repère").fill("Devant la mairie")
    page.get_by_label("Décrivez le problème").fill(description)


def send_and_confirm(page: Any) -> str:
    """Send the form (past "already reported nearby?" if it shows); the confirmation's token."""
    page.locator("button[data-submit]").click()
    thanks = page.get_by_role("heading", name="Envoyé : merci")
    different = page.get_by_role(
        "button", name="Non, le mien est différent : envoyer mon signalement"
    )
    # Whichever page comes (the address changes before the page is drawn: wait for either).
    thanks.or_(different).first.wait_for(state="visible", timeout=30_000)
    if different.is_visible():
        different.click()
        page.wait_for_url(re.compile(r"/suivi/confirmation\?"))
    assert shown(thanks)
    return parse_qs(urlsplit(page.url).query)["jeton"][0]


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_report_with_a_pin_on_the_map(page: Any, axe_source: str, language: str) -> None:
    # given
    page.goto(f"/signaler?lang={language}")
    page.wait_for_selector("#report-map .leaflet-overlay-pane path")
    accessible(page, axe_source, f"report-map-{language}")
    # when: a category, a click on the map, a description
    page.locator("input[name=category][value=light_out]").check()
    page.locator("#report-map").click()
    status = page.locator("[data-pin-status]")
    page.wait_for_function("document.querySelector('[data-latitude]').value !== ''")
    assert status.inner_text().strip()  # the pin fell in a commune, not outside ALM
    assert "field-error" not in (status.get_attribute("class") or "")
    accessible(page, axe_source, f"report-pinned-{language}")
    page.locator("textarea[name=description]").fill("Lampadaire éteint depuis trois jours.")
    page.locator("button[data-submit]").click()
    page.wait_for_url(re.compile(r"/suivi/confirmation\?"))
    # then
    assert re.search(r"ALM-\d{4}-\d{6}", page.locator("main").inner_text())
    assert page.locator("svg.qr-code").count() == 1
    accessible(page, axe_source, f"confirmation-{language}")
    assert page.errors == []


def test_the_same_report_without_javascript(browser: Any, served: str, axe_source: str) -> None:
    # given: a browser with JavaScript off
    context = browser.new_context(base_url=served, locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto("/signaler")
    accessible_without_javascript(browser, served, page, axe_source, "report-no-js-fr")
    # when: the commune from the list and the address typed (no map without JavaScript)
    assert page.locator("[data-map-picker]").is_hidden()
    fill_report_without_a_pin(page, "Trou dans la chaussée, sans JavaScript.")
    token = send_and_confirm(page)
    # then
    assert token
    assert page.locator(".short-code").inner_text().count("-") == 1
    accessible_without_javascript(browser, served, page, axe_source, "confirmation-no-js-fr")
    page.goto(page.url + "&lang=ar")
    accessible_without_javascript(browser, served, page, axe_source, "confirmation-no-js-ar")
    page.goto("/signaler?lang=ar")
    accessible_without_javascript(browser, served, page, axe_source, "report-no-js-ar")
    context.close()


def test_a_wrong_form_shows_its_errors_beside_the_fields(page: Any, axe_source: str) -> None:
    for language in ("fr", "ar"):
        # when: sent empty
        page.goto(f"/signaler?lang={language}")
        page.locator("button[data-submit]").click()
        page.wait_for_load_state("networkidle")
        # then: the summary takes the focus; each error is tied to its field
        summary = page.locator("[data-error-summary]")
        assert shown(summary)
        assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
        description = page.locator("#field-description")
        assert "field-description-error" in description.get_attribute("aria-describedby")
        accessible(page, axe_source, f"report-errors-{language}")


def staff_answers(data_dir: Path, served: str, reference: str, answer: str) -> None:
    """An agent of the roads directorate, made with the service's own command, answers and
    resolves the report through the API, as from the staff console."""
    email = f"agent-{uuid.uuid4().hex[:8]}@angers.fr"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    environment["SERVICE_DATA_DIR"] = str(data_dir)
    subprocess.run(
        [sys.executable, "-m", "service", "staff", "create", "--email", email, "--name", "Agent"]
        + ["--body", "alm-voirie", "--role", "agent", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
    )
    with httpx.Client(base_url=served) as client:
        login = client.post(
            "/graphql",
            json={
                "query": operation("StaffLogin"),
                "variables": {"email": email, "password": PASSWORD},
            },
        ).json()
        csrf = login["data"]["staffLogin"]["me"]["csrfToken"]
        for status, text in (("ACKNOWLEDGED", None), ("RESOLVED", answer)):
            body = client.post(
                "/graphql",
                json={
                    "query": operation("ItemTransition"),
                    "variables": {"reference": reference, "status": status, "publicAnswer": text},
                },
                headers={"x-csrf-token": csrf},
            ).json()
            assert "errors" not in body and not body["data"]["itemTransition"]["errors"], body


def test_the_follow_page_with_a_staff_answer_feedback_export_and_erasure(
    page: Any, axe_source: str, served: str, served_data_dir: Path
) -> None:
    # given: a report, answered and resolved by staff
    page.goto("/signaler")
    fill_report_without_a_pin(page, "Nid-de-poule, suivi dans le navigateur.")
    page.get_by_label("Adresse e-mail").fill("jo@example.org")
    page.get_by_label(re.compile("^J'accepte que le service")).check()
    token = send_and_confirm(page)
    reference = re.search(r"ALM-\d{4}-\d{6}", page.locator("main").inner_text()).group(0)
    staff_answers(served_data_dir, served, reference, "Rebouché ce matin.")
    for language in ("fr", "ar"):
        # when
        page.goto(f"/suivi?jeton={token}&lang={language}")
        # then: the answer of staff is there
        assert "Rebouché ce matin." in page.locator("main").inner_text()
        accessible(page, axe_source, f"follow-answered-{language}")
    # when: it was fixed, 5 out of 5
    page.goto(f"/suivi?jeton={token}&lang=fr")
    page.get_by_role("group", name="Est-ce réglé ?").get_by_label("Oui").check()
    page.get_by_role("group", name=re.compile("^Êtes-vous satisfait")).get_by_label(
        "5 – très"
    ).check()
    page.get_by_role("button", name="Envoyer mon avis").click()
    # then
    assert "Merci : votre avis a été enregistré." in page.get_by_role("status").inner_text()
    accessible(page, axe_source, "follow-feedback-fr")
    # when: a copy of my data
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger mes données").click()
    # then
    assert "jo@example.org" in Path(download.value.path()).read_text(encoding="utf-8")
    # when: erased, after a confirmation
    page.get_by_role("button", name="Effacer mes données").click()
    accessible(page, axe_source, "erase-confirm-fr")
    page.get_by_role("button", name="Oui, effacer mes données").click()
    # then
    assert "Vos données ont été effacées." in page.get_by_role("status").inner_text()
    assert page.errors == []


def test_a_report_written_offline_is_sent_once_the_network_is_back(
    page: Any, served_data_dir: Path
) -> None:
    # given: the form open, then the network gone
    page.goto("/signaler")
    fill_report_without_a_pin(page, "Écrit hors ligne, envoyé au retour du réseau.")
    key = page.locator("[data-idempotency-key]").input_value()
    assert key.startswith("dev-")  # made on the device
    page.context.set_offline(True)
    # when
    page.locator("button[data-submit]").click()
    # then: kept on the device
    assert "hors ligne" in page.locator("[data-offline-notice]").inner_text()
    assert page.evaluate("JSON.parse(localStorage.getItem('alm-report-outbox')).length") == 1
    assert items_with_key(served_data_dir, key) == 0
    # when: the network is back
    page.context.set_offline(False)
    page.wait_for_function(
        "document.querySelector('[data-offline-notice]').textContent.includes('envoyé')"
    )
    # and a late retry of the same draft races it
    retry = page.evaluate(
        """async () => {
             const form = document.querySelector('[data-report-form]');
             const body = new URLSearchParams(new FormData(form));
             body.append('nearby_seen', '1');
             const answer = await fetch(form.action, {method: 'POST', body});
             return answer.url;
           }"""
    )
    # then: exactly one report, the same for both
    assert items_with_key(served_data_dir, key) == 1
    link = page.locator("[data-offline-notice] a").get_attribute("href")
    assert parse_qs(urlsplit(link).query)["jeton"] == parse_qs(urlsplit(retry).query)["jeton"]
    assert page.evaluate("JSON.parse(localStorage.getItem('alm-report-outbox')).length") == 0


def test_a_refused_offline_report_is_kept_and_put_back_in_the_form(
    page: Any, served_data_dir: Path
) -> None:
    # given: a draft kept on this device, written with a token since expired, and without a
    # description (the server will refuse it)
    page.goto("/signaler")
    key = f"dev-{uuid.uuid4()}"
    draft = {
        "action": page.evaluate("document.querySelector('[data-report-form]').action"),
        "key": key,
        "fields": [
            ["csrf_token", "expired"],
            ["idempotency_key", key],
            ["category", "pothole"],
            ["commune", "49007"],
            ["address", "Rue du brouillon refusé"],
            ["description", ""],
            ["nearby_seen", "1"],
        ],
    }
    page.evaluate("d => localStorage.setItem('alm-report-outbox', JSON.stringify([d]))", draft)
    # when: the form is opened again, online (the draft is replayed and refused)
    page.reload()
    page.locator("[data-offline-notice]", has_text="formulaire").wait_for()
    # then: the draft is kept, its fields are back in the form
    assert page.evaluate("JSON.parse(localStorage.getItem('alm-report-outbox')).length") == 1
    assert page.get_by_label("Adresse ou repère").input_value() == "Rue du brouillon refusé"
    assert page.get_by_label("Nid-de-poule").is_checked()
    assert page.locator("[data-idempotency-key]").input_value() == key
    assert items_with_key(served_data_dir, key) == 0
    # when: the resident completes it and sends it
    page.get_by_label("Décrivez le problème").fill("Complété après le refus.")
    token = send_and_confirm(page)
    # then: one report, and the draft is gone
    assert token
    assert items_with_key(served_data_dir, key) == 1
    assert (
        page.evaluate("JSON.parse(localStorage.getItem('alm-report-outbox') || '[]').length") == 0
    )
    assert page.errors == []


def test_a_refused_offline_report_does_not_block_the_ones_written_after_it(
    page: Any, served_data_dir: Path
) -> None:
    # given: two drafts kept on this device, the first without a description (refused)
    page.goto("/signaler")
    action = page.evaluate("document.querySelector('[data-report-form]').action")
    refused, fine = f"dev-{uuid.uuid4()}", f"dev-{uuid.uuid4()}"

    def draft(key: str, address: str, description: str) -> dict[str, Any]:
        fields = [
            ["csrf_token", "expired"],
            ["idempotency_key", key],
            ["category", "pothole"],
            ["commune", "49007"],
            ["address", address],
            ["description", description],
            ["nearby_seen", "1"],
        ]
        return {"action": action, "key": key, "fields": fields}

    drafts = [
        draft(refused, "Rue du brouillon à corriger", ""),
        draft(fine, "Rue du brouillon correct", "Trou profond devant le numéro 3."),
    ]
    page.evaluate("d => localStorage.setItem('alm-report-outbox', JSON.stringify(d))", drafts)
    # when: the form is opened again, online
    page.reload()
    page.locator("[data-offline-notice] a").wait_for()
    # then: the second is sent; the first is set aside, back in the form, and said so
    assert items_with_key(served_data_dir, fine) == 1
    assert items_with_key(served_data_dir, refused) == 0
    notice = page.locator("[data-offline-notice]").inner_text()
    assert "formulaire" in notice and "envoyé" in notice
    assert page.get_by_label("Adresse ou repère").input_value() == "Rue du brouillon à corriger"
    kept = page.evaluate("JSON.parse(localStorage.getItem('alm-report-outbox'))")
    assert [(d["key"], d.get("refused")) for d in kept] == [(refused, True)]
    # when: opened again later, the set-aside draft is not sent again but put back
    page.reload()
    page.locator("[data-offline-notice]", has_text="formulaire").wait_for()
    assert page.get_by_label("Adresse ou repère").input_value() == "Rue du brouillon à corriger"
    assert items_with_key(served_data_dir, refused) == 0
    assert page.errors == []


def test_a_service_request_with_a_wrong_answer_then_a_right_one(page: Any, axe_source: str) -> None:
    # given
    page.goto("/demandes?commune=49007")
    accessible(page, axe_source, "services-fr")
    page.get_by_role("link", name="Composteur individuel").click()
    # when: a garden of 0 m² (below the minimum)
    page.get_by_role("group", name="Taille du composteur").get_by_label("400 litres").check()
    page.get_by_label(re.compile("^Surface du jardin")).fill("0")
    page.get_by_role("group", name=re.compile("^Participer")).get_by_label("Oui").check()
    page.get_by_label("Commune", exact=True).select_option(label="Angers")
    page.get_by_label("Adresse", exact=True).fill("12 rue Plantagenêt")
    page.get_by_role("button", name="Envoyer ma demande").click()
    # then
    error = page.locator("#field-answer_garden_area_m2-error")
    assert "entre 1 et 100\u202f000" in error.inner_text()  # French digit grouping (babel)
    accessible(page, axe_source, "service-request-errors-fr")
    # when: corrected
    page.get_by_label(re.compile("^Surface du jardin")).fill("50")
    page.get_by_role("button", name="Envoyer ma demande").click()
    # then
    page.wait_for_url(re.compile(r"/suivi/confirmation\?"))
    assert shown(page.get_by_role("heading", name="Envoyé : merci"))


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the focus is on ``selector`` (as a keyboard user moves)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def focus_is_visible(page: Any) -> bool:
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.boxShadow]; }"
    )
    return style[0] != "none" or style[1] != "none"


def test_a_report_sent_with_the_keyboard_alone(page: Any, served_data_dir: Path) -> None:
    # given
    page.goto("/signaler")
    key = page.locator("[data-idempotency-key]").input_value()
    # when: Tab, Space, typing and Enter only
    tab_to(page, "input[name=category]")
    assert focus_is_visible(page)
    page.keyboard.press("Space")
    tab_to(page, "select[name=commune]")
    assert focus_is_visible(page)
    page.keyboard.type("Avrillé")
    tab_to(page, "input[name=address]")
    page.keyboard.type("Devant la mairie")
    tab_to(page, "textarea[name=description]")
    page.keyboard.type("Signalé au clavier seulement.")
    tab_to(page, "button[data-submit]")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    # The script posts it, then goes to the confirmation (or shows the form again): wait for
    # one of them ("networkidle" is already reached before the post).
    sent = page.get_by_role("heading", name="Envoyé : merci")
    sent.or_(page.locator("#similar-title")).wait_for()
    if "/suivi/confirmation" not in page.url:  # "already reported nearby?": mine is different
        tab_to(page, "button[data-submit]")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/suivi/confirmation\?"))
    # then
    assert shown(page.get_by_role("heading", name="Envoyé : merci"))
    assert items_with_key(served_data_dir, key) == 1
