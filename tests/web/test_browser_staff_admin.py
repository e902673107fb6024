"""Staff accounts, supervision and assisted submission in a real Chromium, against the shared
served instance: an administrator invites an agent, the agent sets a password from the link
and signs in; the administrator deactivates the agent, whose open session stops at its next
click; an agent reports for a resident on the phone and gets the receipt; axe-core finds no
violation on these pages in French and in Arabic."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import shown
from tests.web.test_browser_console import accessible, new_staff, report, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]
NEW_PASSWORD = "une phrase de passe assez longue"


def test_an_admin_invites_an_agent_who_sets_a_password_signs_in_and_is_then_deactivated(
    page: Any, browser: Any, served: str, served_data_dir: Path, axe_source: str
) -> None:
    # given: an administrator of Angers, signed in
    admin = new_staff(served_data_dir, "mairie-49007", "admin", "Alex Martin")
    sign_in(page, admin)
    page.get_by_role("link", name="Comptes des agents").click()
    # when: they invite an agent
    email = f"camille.{served_data_dir.name}@angers.fr".lower()
    page.get_by_label("Nom", exact=True).fill("Camille Durand")
    page.get_by_label("Adresse e-mail professionnelle").fill(email)
    page.get_by_role("group", name="Rôle").get_by_label("Agent", exact=True).check()
    page.get_by_role("button", name="Créer le compte et son lien").click()
    # then: the link is shown once
    link = page.locator(".secret").inner_text().strip()
    assert "/console/invitation?token=" in link
    accessible(page, axe_source, "staff-invited-fr")
    # when: the agent opens the link in their own browser and chooses a password
    context = browser.new_context(base_url=served, locale="fr-FR")
    agent = context.new_page()
    try:
        agent.goto(link)
        assert shown(agent.get_by_text("Camille Durand"))
        accessible(agent, axe_source, "set-password-fr")
        agent.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
        agent.get_by_label("Le même mot de passe, à nouveau").fill(NEW_PASSWORD)
        agent.get_by_role("button", name="Définir mon mot de passe").click()
        agent.wait_for_url(re.compile(r"/console/connexion"))
        agent.get_by_label("Adresse e-mail professionnelle").fill(email)
        agent.get_by_label("Mot de passe").fill(NEW_PASSWORD)
        agent.get_by_role("button", name="Se connecter").click()
        # then: signed in, at the queue
        agent.wait_for_url(re.compile(r"/console$"))
        assert shown(agent.get_by_text("Camille Durand").first)
        # when: the administrator deactivates the account
        page.goto("/console/equipe")
        page.get_by_role("button", name="Désactiver Camille Durand").click()
        assert shown(page.get_by_role("status").first)
        # then: the agent's open session stops at the next click
        agent.get_by_role("link", name="Carte", exact=True).click()
        agent.wait_for_url(re.compile(r"/console/connexion"))
    finally:
        context.close()
    assert page.errors == []


def test_an_agent_reports_for_a_resident_on_the_phone_and_prints_the_receipt(
    page: Any, served_data_dir: Path, axe_source: str
) -> None:
    # given
    agent = new_staff(served_data_dir, "mairie-49007", "agent", "Dominique Petit")
    sign_in(page, agent)
    page.get_by_role("link", name="Pour un habitant").click()
    page.get_by_role("link", name="Signaler un problème pour un habitant").click()
    # when: without a map (none in tests), the commune and the address, as on the phone
    page.get_by_role("group", name="Comment l'habitant vous a-t-il contacté ?").get_by_label(
        "Au téléphone"
    ).check()
    page.get_by_label("La langue de l'habitant").select_option("ar")
    page.locator("input[name=category][value=graffiti]").check()
    page.get_by_label("Commune", exact=True).select_option("49007")
    page.get_by_label("Adresse ou repère").fill("12 rue Plantagenêt")
    page.get_by_label("Décrivez le problème").fill("Tags sur la façade, signalés par téléphone.")
    page.locator("button[data-submit]").click()
    if page.locator("input[name=nearby_seen]").count():  # « already reported nearby? »
        page.locator("button[data-submit]").click()
    # then: the receipt, in the resident's language
    page.wait_for_url(re.compile(r"/console/guichet/recu"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert re.match(r"ALM-\d{4}-\d{6}", page.locator(".reference").inner_text())
    assert page.locator(".short-code").inner_text().strip()
    accessible(page, axe_source, "receipt-ar")
    assert page.errors == []


def test_the_supervision_and_accounts_pages_are_accessible_in_french_and_in_arabic(
    page: Any, served: str, served_data_dir: Path, axe_source: str
) -> None:
    # given: an administrator (supervision too), an item
    admin = new_staff(served_data_dir, "mairie-49007", "admin", "Noa Bernard")
    report(served, "Graffiti sur le kiosque.")
    for language in ("fr", "ar"):
        page.context.clear_cookies()
        sign_in(page, admin, language)
        for path, state in (
            ("/console/retards", "escalations"),
            ("/console/journal", "audit"),
            ("/console/journal?action=logged_in", "audit-filtered"),
            ("/console/equipe", "staff"),
            ("/console/guichet", "assisted"),
            ("/console/guichet/signalement", "assisted-report"),
            ("/console/guichet/demandes/information_request", "assisted-request"),
            ("/console/invitation?token=not-a-link", "invitation-invalid"),
            ("/console?overdue=1&order=due_soonest", "queue-overdue"),
        ):
            page.goto(path)
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("lang") == language
            accessible(page, axe_source, f"{state}-{language}")
        # a form's errors: an invitation without a name nor an address
        page.goto("/console/equipe")
        page.locator("form[action^='/console/equipe'] button[type=submit]").first.click()
        assert shown(page.locator("#field-email-error"))
        accessible(page, axe_source, f"staff-errors-{language}")
        # the assisted report sent without its channel
        page.goto("/console/guichet/signalement")
        page.locator("button[data-submit]").click()
        assert shown(page.locator("#field-channel-error"))
        accessible(page, axe_source, f"assisted-errors-{language}")
    assert page.errors == []
