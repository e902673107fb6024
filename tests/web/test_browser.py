"""The pages in a real Chromium: axe-core finds no WCAG 2.0/2.1 A or AA violation on each
page in French and in Arabic; a resident opens a sensor from its sign's QR code and gives an
opinion and asks a question; the opinion form is sent with the keyboard alone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import SCREENSHOTS
from tests.web.support import shown

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SENSOR = "exemple-fraternite-parking-01"
PAGES = {
    "home": "/",
    "sensors": "/capteurs",
    "sensor": f"/capteurs/{SENSOR}",
    "sign": f"/capteurs/{SENSOR}/panneau",
    "accessibility": "/accessibilite",
    "personal-data": "/donnees-personnelles",
    "report": "/signaler",
}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any, axe_source: str) -> list[str]:
    """Run axe-core in the page (evaluated, not injected: the page's CSP stays strict)."""
    page.evaluate(axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
    ]


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("name", PAGES)
def test_each_page_has_no_accessibility_violation_in_french_and_in_arabic(
    page: Any, axe_source: str, name: str
) -> None:
    for language in ("fr", "ar"):
        # when
        page.goto(f"{PAGES[name]}?lang={language}")
        page.wait_for_load_state("networkidle")
        # then
        assert page.locator("html").get_attribute("lang") == language
        assert axe_violations(page, axe_source) == [], (name, language)
        shoot(page, f"{name}-{language}")
    assert page.errors == []


def test_a_resident_opens_a_sensor_from_its_qr_code_gives_an_opinion_and_asks_a_question(
    page: Any, axe_source: str
) -> None:
    # given: the address the printed sign's QR code holds
    page.goto(f"/capteurs/{SENSOR}/panneau")
    address = page.locator(".sheet-url").first.inner_text()  # beside the QR code (then: help)
    # when: scanned, the sign opens the sensor's page
    page.goto(address)
    acceptance = page.get_by_role("group", name="Acceptez-vous ce capteur ?")
    acceptance.get_by_label("4 – largement").check()
    page.get_by_role("group", name="Le panneau vous a-t-il aidé à le comprendre ?").get_by_label(
        "En partie"
    ).check()
    page.get_by_label("Vie privée, données personnelles").check()
    page.get_by_role("button", name="Envoyer mon avis").click()
    # then
    thanks = page.get_by_role("status")
    assert "Merci : votre avis a été enregistré." in thanks.inner_text()
    assert axe_violations(page, axe_source) == []
    # when: a question, left empty first
    page.get_by_role("button", name="Envoyer ma question").click()
    # then: the error is beside the field, linked from the summary
    assert page.get_by_role("alert").get_by_role("link", name="Veuillez écrire quelques mots.")
    assert page.get_by_label("Votre question").get_attribute("aria-invalid") == "true"
    assert axe_violations(page, axe_source) == []
    shoot(page, "sensor-question-error-fr")
    # when: written
    page.get_by_label("Votre question").fill("Qui peut lire les données de ce capteur ?")
    page.get_by_role("button", name="Envoyer ma question").click()
    # then
    assert shown(page.get_by_role("heading", name="Votre question a été envoyée"))
    assert re.search(r"ALM-\d{4}-\d{6}", page.get_by_role("status").inner_text())
    assert shown(page.get_by_role("img", name="QR code du lien de suivi"))
    assert axe_violations(page, axe_source) == []
    shoot(page, "question-sent-fr")
    assert page.errors == []


def focused(page: Any) -> dict[str, str]:
    return page.evaluate(
        """() => {
          const e = document.activeElement, s = getComputedStyle(e);
          return {id: e.id, tag: e.tagName, text: e.textContent.trim(),
                  outline: s.outlineStyle, shadow: s.boxShadow};
        }"""
    )


def tab_to(page: Any, matches: Any, limit: int = 80) -> dict[str, str]:
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return now
    raise AssertionError("never reached by Tab")


def test_the_opinion_form_is_sent_with_the_keyboard_alone_with_a_visible_focus(
    page: Any,
) -> None:
    # given
    page.goto(f"/capteurs/{SENSOR}")
    # when: Tab to the first question, arrows to choose, Tab on, Space, Tab to the button
    acceptance = tab_to(page, lambda f: f["id"] == "field-acceptance")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    understood = tab_to(page, lambda f: f["id"] == "field-understood")
    page.keyboard.press("Space")
    button = tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Envoyer mon avis")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    # then: every stop showed its focus, and the opinion was taken
    for stop in (acceptance, understood, button):
        assert stop["outline"] != "none" or stop["shadow"] != "none", stop
    assert "Merci : votre avis a été enregistré." in page.get_by_role("status").inner_text()
    assert page.errors == []
