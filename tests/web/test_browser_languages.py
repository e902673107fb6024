"""Every page walked in the five languages, and axe-core (WCAG 2.0/2.1 A and AA) in French
and Arabic on the states the other browser tests walk in French only: the report without
JavaScript, the follow page's feedback, reopening, export and erasure, the sensor page's
opinion and question, a service request wrong then right, an offline report sent once the
network is back. Fields are found by their names here (as a script would), the labels
being in each language; the French tests find them by label."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import shown
from tests.web.test_browser import PAGES, SENSOR, axe_violations, shoot
from tests.web.test_browser_journeys import items_with_key, staff_answers

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SERVICE = "compost_bin"
# The pages test_browser.py walks with axe (fr, ar) and these: every page of the site.
EVERY_PAGE = {
    **PAGES,
    "services": "/demandes?commune=49007",
    "service-form": f"/demandes/{SERVICE}",
    "follow-start": "/suivi",
}
MORE_LANGUAGES = ("en", "es", "de")
REFERENCE = re.compile(r"ALM-\d{4}-\d{6}")


def accessible(page: Any, axe_source: str, state: str) -> None:
    assert axe_violations(page, axe_source) == [], state
    shoot(page, state)


@pytest.mark.parametrize("name", EVERY_PAGE)
def test_each_page_in_each_language_with_its_direction_and_switcher(
    page: Any, axe_source: str, name: str
) -> None:
    languages = MORE_LANGUAGES if name in PAGES else ("fr", "ar", *MORE_LANGUAGES)
    for language in languages:
        # when
        page.goto(f"{EVERY_PAGE[name]}{'&' if '?' in EVERY_PAGE[name] else '?'}lang={language}")
        page.wait_for_load_state("networkidle")
        # then: its language and direction, a heading, the switcher saying which is current
        html = page.locator("html")
        assert html.get_attribute("lang") == language, (name, language)
        assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        assert shown(page.locator("h1").first)
        current = page.locator("nav.languages a[aria-current=true]")
        assert current.get_attribute("hreflang") == language
        if language in ("fr", "ar"):  # the others' pages are checked by test_browser.py
            accessible(page, axe_source, f"{name}-{language}")
    assert page.errors == []


def fill_report_by_name(page: Any, description: str) -> None:
    page.locator("input[name=category][value=pothole]").check()
    page.locator("select[name=commune]").select_option("49015")  # Avrillé
    page.locator("input[name=address]").fill("Devant la mairie")
    page.locator("textarea[name=description]").fill(description)


def send_report(page: Any) -> str:
    """Send the form (past "already reported nearby?"); the reference on the confirmation."""
    page.locator("button[data-submit]").click()
    page.wait_for_load_state("networkidle")
    if "/suivi/confirmation" not in page.url:
        page.locator("#similar-title").wait_for()
        page.locator("button[data-submit]").click()
        page.wait_for_url(re.compile(r"/suivi/confirmation\?"))
    found = REFERENCE.search(page.locator("main").inner_text())
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_report_without_javascript_in_french_and_in_arabic(
    browser: Any, served: str, language: str
) -> None:
    # given: a browser with JavaScript off. axe-core cannot run there (its checks are a
    # script, and wait on timers the page no longer runs): the same states with scripts
    # are checked by the other tests, these are photographed.
    context = browser.new_context(base_url=served, locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"/signaler?lang={language}")
    assert page.locator("[data-map-picker]").is_hidden()
    shoot(page, f"report-no-js-{language}")
    # when: sent empty, then filled
    page.locator("button[data-submit]").click()
    # then: the errors, beside their fields
    assert shown(page.locator("#field-description-error"))
    assert "field-description-error" in (
        page.locator("#field-description").get_attribute("aria-describedby") or ""
    )
    shoot(page, f"report-no-js-errors-{language}")
    fill_report_by_name(page, "Trou dans la chaussée, sans JavaScript.")
    reference = send_report(page)
    # then
    assert reference
    assert page.locator("svg.qr-code").count() == 1
    shoot(page, f"confirmation-no-js-{language}")
    context.close()


def follow_link(page: Any) -> str:
    href = page.locator("main a[href*='/suivi?jeton=']").first.get_attribute("href")
    assert href
    return str(href)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_follow_page_reopen_export_and_erasure_are_accessible(
    page: Any, axe_source: str, served: str, served_data_dir: Path, language: str
) -> None:
    # given: a report with a contact, answered and resolved by staff
    page.goto(f"/signaler?lang={language}")
    fill_report_by_name(page, f"Nid-de-poule à rouvrir ({language}).")
    page.locator("input[name=contact_email]").fill("jo@example.org")
    page.locator("input[name=consent_follow_up]").check()
    reference = send_report(page)
    follow = follow_link(page)
    staff_answers(served_data_dir, served, reference, "Rebouché ce matin.")
    page.goto(follow)
    assert "Rebouché ce matin." in page.locator("main").inner_text()
    # when: not fixed, reopened
    page.locator("input[name=fixed][value=no]").check()
    page.locator("input[name=satisfaction][value='2']").check()
    page.locator("#field-reopen").check()
    page.locator("form[action*='/suivi/avis'] button[type=submit]").click()
    # then: said so, and the report is open again (no more feedback form)
    assert shown(page.get_by_role("status"))
    assert page.locator("form[action*='/suivi/avis']").count() == 0
    accessible(page, axe_source, f"follow-reopened-{language}")
    # when: a copy of my data
    with page.expect_download() as download:
        page.locator("form[action*='/suivi/export'] button").click()
    # then
    assert "jo@example.org" in Path(download.value.path()).read_text(encoding="utf-8")
    # when: erased, after a confirmation
    page.locator("form[action*='/suivi/effacement'] button").click()
    accessible(page, axe_source, f"erase-confirm-{language}")
    page.locator("main form button[type=submit]").first.click()
    # then
    assert shown(page.get_by_role("status"))
    assert "jo@example.org" not in page.content()
    accessible(page, axe_source, f"erased-{language}")
    assert page.errors == []


@pytest.mark.parametrize("language", ["ar"])  # French: test_browser.py, by the labels
def test_the_sensor_page_opinion_and_question_are_accessible(
    page: Any, axe_source: str, language: str
) -> None:
    # given: the sensor's page, as its sign's QR code opens it
    page.goto(f"/capteurs/{SENSOR}?lang={language}")
    # when: an opinion
    page.locator("input[name=acceptance][value='4']").check()
    page.locator("input[name=understood][value=partly]").check()
    page.locator("input[name=concerns][value=privacy]").check()
    page.locator("form[action*='/avis'] button[type=submit]").click()
    # then
    assert shown(page.locator("#merci"))
    accessible(page, axe_source, f"sensor-opinion-{language}")
    # when: a question, empty first
    page.locator("form[action*='/question'] button[type=submit]").click()
    # then
    assert page.locator("#field-question").get_attribute("aria-invalid") == "true"
    accessible(page, axe_source, f"sensor-question-error-{language}")
    # when: written
    page.locator("#field-question").fill("من يمكنه قراءة بيانات هذا المستشعر؟")
    page.locator("form[action*='/question'] button[type=submit]").click()
    # then
    assert REFERENCE.search(page.get_by_role("status").inner_text())
    accessible(page, axe_source, f"question-sent-{language}")
    assert page.errors == []


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_service_request_wrong_then_right_is_accessible(
    page: Any, axe_source: str, language: str
) -> None:
    # given
    page.goto(f"/demandes/{SERVICE}?lang={language}")
    # when: a garden of 0 m² (below the minimum)
    page.locator("input[name=answer_composter_size][value=small]").check()
    page.locator("input[name=answer_garden_area_m2]").fill("0")
    page.locator("input[name=answer_training][value=yes]").check()
    page.locator("select[name=commune]").select_option("49007")
    page.locator("input[name=address]").fill("12 rue Plantagenêt")
    page.locator("main form button[type=submit]").last.click()
    # then
    assert shown(page.locator("#field-answer_garden_area_m2-error"))
    accessible(page, axe_source, f"service-request-errors-{language}")
    # when: corrected
    page.locator("input[name=answer_garden_area_m2]").fill("50")
    page.locator("main form button[type=submit]").last.click()
    # then
    page.wait_for_url(re.compile(r"/suivi/confirmation\?"))
    assert REFERENCE.search(page.locator("main").inner_text())
    accessible(page, axe_source, f"service-request-sent-{language}")
    assert page.errors == []


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_an_offline_report_and_its_sending_are_accessible(
    page: Any, axe_source: str, served_data_dir: Path, language: str
) -> None:
    # given: the form filled, then the network gone
    page.goto(f"/signaler?lang={language}")
    fill_report_by_name(page, f"Écrit hors ligne ({language}).")
    key = page.locator("[data-idempotency-key]").input_value()
    page.context.set_offline(True)
    # when
    page.locator("button[data-submit]").click()
    # then: kept on the device, and said so
    assert shown(page.locator("[data-offline-notice]"))
    accessible(page, axe_source, f"report-offline-{language}")
    # when: the network is back
    page.context.set_offline(False)
    page.locator("[data-offline-notice] a").wait_for()
    # then: sent once
    assert items_with_key(served_data_dir, key) == 1
    accessible(page, axe_source, f"report-offline-sent-{language}")
    assert page.errors == []
