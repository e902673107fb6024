"""Where to get help, in a real Chromium: from the follow page of a report to the places of
its commune open now, with JavaScript and without, in French and in Arabic (right to left);
axe-core finds no WCAG 2.0/2.1 A or AA violation in each state."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.help_places.hours import parse_hours
from service.i18n.catalogs import load_translations
from service.settings import PROJECT_ROOT, SUPPORTED_LOCALES
from tests.web.support import shown
from tests.web.test_browser_console import new_staff, sign_in
from tests.web.test_browser_journeys import accessible, fill_report_without_a_pin, send_and_confirm

pytestmark = [pytest.mark.slow, pytest.mark.browser]
TRANSLATIONS = load_translations(PROJECT_ROOT / "locales", SUPPORTED_LOCALES)
AVRILLE = "49015"


def open_now_in_avrille() -> list[str]:
    """The example places of Avrillé open now, by their hours (as the page must find them)."""
    places = json.loads((PROJECT_ROOT / "fixtures/demo/help_places.json").read_text())["places"]
    now = datetime.now(UTC)
    return sorted(
        p["name"]
        for p in places
        if p["body"] == f"mairie-{AVRILLE}" and parse_hours(p["hours"]).is_open(now)
    )


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_places_open_now_are_found_from_the_follow_page(
    page: Any, axe_source: str, language: str
) -> None:
    _ = TRANSLATIONS[language].gettext
    # given: a report in Avrillé
    page.goto("/signaler")
    fill_report_without_a_pin(page, "Lampadaire éteint, aide dans le navigateur.")
    token = send_and_confirm(page)
    assert shown(page.get_by_role("heading", name="Besoin d'aide pour cela ?"))
    # when: the follow page
    page.goto(f"/suivi?jeton={token}&lang={language}")
    # then: it says where to get help
    assert shown(page.get_by_role("heading", name=_("Need help with this?")))
    accessible(page, axe_source, f"help-follow-{language}")
    # when: the resident follows the link, then asks for the places open now
    page.get_by_role("link", name=_("Where to get help near you")).click()
    assert shown(page.get_by_role("heading", level=1))
    assert f"commune={AVRILLE}" in page.url
    accessible(page, axe_source, f"help-directory-{language}")
    page.get_by_label(_("Open now only")).check()
    page.get_by_role("button", name=_("Show the places")).click()
    page.wait_for_url(lambda url: "ouvert=1" in url)
    # then: exactly the places open now, each saying so
    assert shown(page.locator("main h2").first)
    listed = sorted(page.locator(".help-place h3").all_inner_texts())
    assert listed == open_now_in_avrille()
    if not listed:
        assert shown(
            page.get_by_text(
                _("No place matches. Try another commune, or without « open now »."), exact=False
            )
        )
    accessible(page, axe_source, f"help-open-now-{language}")


def test_the_directory_works_without_javascript(browser: Any, served: str, axe_source: str) -> None:
    # given: a browser with JavaScript off
    context = browser.new_context(base_url=served, locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        # when: the filters are sent as a plain form
        page.goto("/aide-numerique")
        page.get_by_label("Commune").select_option(label="Avrillé")
        page.get_by_label("Ce dont vous avez besoin").select_option(
            label="Impression et numérisation"
        )
        page.get_by_role("button", name="Afficher les lieux").click()
        page.wait_for_url(lambda url: "offre=printing" in url)
        # then
        names = page.locator(".help-place h3").all_inner_texts()
        assert names and all("Avrillé" in name for name in names)
    finally:
        context.close()


def test_the_map_shows_the_places_of_the_commune_and_leads_to_the_list(
    page: Any, axe_source: str
) -> None:
    # given
    page.goto(f"/aide-numerique?commune={AVRILLE}")
    map_region = page.get_by_role(
        "region", name="Carte des lieux d'aide (la liste donne les mêmes lieux)"
    )
    # when: the map has drawn the commune and its places
    assert shown(map_region)
    page.wait_for_selector("#map .leaflet-overlay-pane path.leaflet-interactive >> nth=1")
    markers = page.locator("#map path.leaflet-interactive")
    listed = page.locator(".help-place h3").all_inner_texts()
    # then: one marker per place listed, plus the commune's outline; axe finds nothing
    assert markers.count() == len(listed) + 1
    accessible(page, axe_source, "help-map")
    # when: a marker is opened
    markers.last.click(force=True)
    link = page.locator(".leaflet-popup-content a")
    assert shown(link)
    # then: its link leads to the place in the list
    assert link.inner_text() in listed
    href = link.get_attribute("href") or ""
    assert f"commune={AVRILLE}" in href and "#lieu-" in href


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_an_agent_keeps_a_help_place_from_the_console(
    page: Any, served_data_dir: Path, axe_source: str, language: str
) -> None:
    _ = TRANSLATIONS[language].gettext
    # given: an agent of Avrillé, signed in
    agent = new_staff(served_data_dir, f"mairie-{AVRILLE}", "agent", f"Agent {language}")
    sign_in(page, agent, language)
    page.goto(f"/console/lieux-aide?lang={language}")
    assert shown(page.get_by_role("heading", level=1, name=_("Help places")))
    accessible(page, axe_source, f"console-help-places-{language}")
    # when: they open one of their places and save it with hours it cannot read
    page.locator("main table a").first.click()
    assert shown(page.get_by_label(_("Opening hours")))
    accessible(page, axe_source, f"console-help-place-form-{language}")
    page.get_by_label(_("Opening hours")).fill("du lundi au vendredi")
    page.get_by_role("button", name=_("Save the place")).click()
    # then: the error summary says why, and the page stays accessible
    assert shown(page.locator(".error-summary, [role=alert]").first)
    accessible(page, axe_source, f"console-help-place-error-{language}")
