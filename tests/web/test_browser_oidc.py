"""Signing in to the console through an identity provider, in a real Chromium: an
administrator authorises a person on « Sign-in providers », who then signs in through a real
OpenID Provider (oidc-provider, tests/oidc) and lands in the console; axe-core on the pages
of the journey (sign-in with providers, providers, security, refusal)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.oidc.support import CLIENT_ID, CLIENT_SECRET, LocalProvider, free_port, signing_key
from tests.test_served import start_server, stop
from tests.web.support import shown
from tests.web.test_browser import axe_violations
from tests.web.test_browser_console import PASSWORD, new_staff

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ACCOUNTS = {
    "sub-lea": {"email": "lea.idp@angers.fr", "email_verified": True, "name": "Léa Idp"},
    "sub-stranger": {"email": "stranger@angers.fr", "email_verified": True, "name": "X"},
}


@pytest.fixture(scope="module")
def with_provider(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Any]:
    """A served instance whose console offers a real provider, and that provider."""
    data_dir: Path = tmp_path_factory.mktemp("oidc-pages")
    provider = LocalProvider("keycloak", ACCOUNTS, [signing_key("k1")], port=free_port())
    entry = [
        {
            "id": "keycloak",
            "name": "Keycloak d'Angers",
            "issuer": provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "bodies": ["mairie-49007"],
        }
    ]
    process, base = start_server(
        data_dir,
        settings={"SERVICE_MAP_TILES_URL": "", "SERVICE_OIDC_PROVIDERS": json.dumps(entry)},
    )
    provider.redirect_base = base
    try:
        provider.start()
        yield base, provider, data_dir
    finally:
        provider.stop()
        stop(process)


def tab(browser: Any, base: str, provider: LocalProvider) -> Any:
    context = browser.new_context(base_url=base, locale="fr-FR")
    allowed = (base, provider.issuer)
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(allowed) else route.abort(),
    )
    return context.new_page()


def no_violations(page: Any, axe_source: str) -> None:
    assert axe_violations(page, axe_source) == [], page.url


def test_an_authorised_agent_signs_in_through_the_identity_provider(
    browser: Any, with_provider: Any, axe_source: str
) -> None:
    base, provider, data_dir = with_provider
    # given: an administrator of Angers authorises Léa as a supervisor
    admin_email = new_staff(data_dir, "mairie-49007", "admin", "Alix Admin")
    admin = tab(browser, base, provider)
    admin.goto("/console/connexion")
    admin.locator("input[name=email]").fill(admin_email)
    admin.locator("input[name=password]").fill(PASSWORD)
    admin.get_by_role("button", name="Se connecter", exact=True).click()
    admin.goto("/console/equipe/connexion")
    assert shown(admin.get_by_role("heading", name="Fournisseurs de connexion"))
    no_violations(admin, axe_source)
    admin.get_by_label("L'adresse e-mail professionnelle d'une personne").fill("lea.idp@angers.fr")
    admin.get_by_label("Encadrant").check()
    admin.get_by_role("button", name="Autoriser", exact=True).click()
    assert shown(admin.get_by_role("status").filter(has_text="autorisation a été ajoutée"))
    admin.goto("/console/securite")
    no_violations(admin, axe_source)
    admin.context.close()
    # when: Léa chooses her body, then her organisation's provider
    lea = tab(browser, base, provider)
    lea.goto("/console/connexion")
    lea.get_by_label("Votre organisme").select_option("mairie-49007")
    lea.get_by_role("button", name="Afficher ses moyens de connexion").click()
    no_violations(lea, axe_source)
    started = time.perf_counter()
    lea.get_by_role("link", name="Se connecter avec Keycloak d'Angers").click()
    lea.locator("input[name=login]").fill("sub-lea")
    lea.locator("input[name=password]").fill("anything")
    lea.locator("button[type=submit]").click()
    consent = lea.locator("button[type=submit]")
    if "/interaction/" in lea.url:
        consent.click()
    # then: she is in the console, as the supervisor the administrator chose
    assert shown(lea.locator("h1"))
    assert lea.url.startswith(base + "/console")
    print(f"browser sign-in through the provider: {(time.perf_counter() - started) * 1000:.0f} ms")
    assert "Léa Idp" in lea.content()
    lea.context.close()
    # and someone nobody authorised is refused, on an accessible page
    stranger = tab(browser, base, provider)
    stranger.goto("/console/connexion/oidc/keycloak?corps=mairie-49007")
    stranger.locator("input[name=login]").fill("sub-stranger")
    stranger.locator("input[name=password]").fill("anything")
    stranger.locator("button[type=submit]").click()
    if "/interaction/" in stranger.url:
        stranger.locator("button[type=submit]").click()
    assert shown(stranger.get_by_role("heading", name="Connexion refusée"))
    no_violations(stranger, axe_source)
    stranger.context.close()
