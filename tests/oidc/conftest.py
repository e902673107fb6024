"""The OpenID provider (node, oidc-provider) for the module's tests, and the service
configured to use it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import httpx
import pytest

from service.context import Services
from service.settings import Settings
from service.staff.oidc_settings import parse_oidc_providers
from tests.oidc.support import LocalProvider, signing_key
from tests.support import running_service

ACCOUNTS = {
    "sub-anne": {"email": "anne.oidc@angers.fr", "email_verified": True, "name": "Anne Oidc"},
    "sub-bruno": {"email": "bruno.oidc@angers.fr", "email_verified": True, "name": "Bruno"},
    "sub-chloe": {
        "email": "chloe.oidc@angers.fr",
        "email_verified": True,
        "name": "Chloé",
        "groups": ["signalements-angers"],
    },
    "sub-dora": {"email": "dora.oidc@angers.fr", "email_verified": False, "name": "Dora"},
    "sub-eve": {"email": "eve.oidc@angers.fr", "email_verified": True, "name": "Eve"},
    "sub-fred": {"email": "fred.oidc@angers.fr", "email_verified": True, "name": "Fred"},
    "sub-gaby": {"email": "gaby.oidc@angers.fr", "email_verified": True, "name": "Gaby"},
    "sub-hugo": {"email": "hugo.oidc@angers.fr", "email_verified": True, "name": "Hugo"},
    "sub-ines": {
        "email": "ines.local@angers.fr",
        "email_verified": True,
        "name": "Inès",
        "groups": ["signalements-angers"],
    },
    "sub-jules": {"email": "jules.oidc@angers.fr", "email_verified": True, "name": "Jules"},
    "sub-kim": {"email": "kim.oidc@angers.fr", "email_verified": True, "name": "Kim"},
}
BODIES = ["mairie-49007"]


@pytest.fixture(scope="module")
def local_provider() -> Iterator[LocalProvider]:
    provider = LocalProvider("test", ACCOUNTS, [signing_key("key-1")])
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
async def oidc_running(
    settings: Settings, local_provider: LocalProvider
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    providers = parse_oidc_providers(local_provider.settings_entry(BODIES), development=True)
    async with running_service(replace(settings, oidc_providers=providers)) as pair:
        yield pair
