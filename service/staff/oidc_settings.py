"""The OpenID providers staff may sign in through (``SERVICE_OIDC_PROVIDERS``).

The setting holds a JSON list, or the path of a file holding it (kept owner-only: it carries
client secrets). Each provider::

    {"id": "angers", "name": "Ville d'Angers", "issuer": "https://idp.angers.fr/realms/agents",
     "client_id": "signalements", "client_secret": "…", "bodies": ["mairie-49007"],
     "scopes": ["openid", "email", "profile"], "claims": ["groups"]}

- ``issuer``: the discovery document is read at ``<issuer>/.well-known/openid-configuration``
  and the ID token's ``iss`` must equal it;
- ``bodies``: the bodies whose staff it may sign in (a person's account is of one of them);
- ``claims``: the claims an administrator may write pre-authorisation rules on (e.g.
  ``groups``); none by default (then only named people, by e-mail, are pre-authorised).
Roles never come from the provider: an administrator chooses them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class OidcProvider:
    """One OpenID provider and the bodies it may sign people into."""

    id: str
    name: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    bodies: tuple[str, ...]
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    claims: tuple[str, ...] = ()

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def _strings(entry: dict[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = entry.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"provider {entry.get('id')!r}: {key} must be a list of strings")
    return tuple(value)


def _provider(entry: Any, development: bool) -> OidcProvider:
    if not isinstance(entry, dict):
        raise ValueError("each provider must be a JSON object")
    for key in ("id", "name", "issuer", "client_id", "client_secret"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ValueError(f"provider {entry.get('id')!r}: {key} is missing")
    if not PROVIDER_ID.match(entry["id"]):
        raise ValueError(f"provider id {entry['id']!r}: lower-case letters, digits, dashes")
    issuer = urlsplit(entry["issuer"])
    local = issuer.hostname in ("127.0.0.1", "localhost", "::1")
    if issuer.scheme != "https" and not (development and local and issuer.scheme == "http"):
        raise ValueError(f"provider {entry['id']!r}: the issuer must be an https URL")
    bodies = _strings(entry, "bodies", ())
    if not bodies:
        raise ValueError(f"provider {entry['id']!r}: bodies must name at least one body")
    scopes = _strings(entry, "scopes", ("openid", "email", "profile"))
    if "openid" not in scopes:
        raise ValueError(f"provider {entry['id']!r}: scopes must include openid")
    return OidcProvider(
        id=entry["id"],
        name=entry["name"].strip(),
        issuer=entry["issuer"],
        client_id=entry["client_id"],
        client_secret=entry["client_secret"],
        bodies=bodies,
        scopes=scopes,
        claims=_strings(entry, "claims", ()),
    )


def parse_oidc_providers(value: str, *, development: bool) -> tuple[OidcProvider, ...]:
    """The providers of the setting's value (JSON, or a file's path); raises ValueError.
    Plain-http issuers on this machine are allowed in development only (tests, demos)."""
    text = value.strip()
    if not text:
        return ()
    if not text.startswith("["):
        text = Path(text).read_text(encoding="utf-8")
    entries = json.loads(text)
    if not isinstance(entries, list):
        raise ValueError("a JSON list of providers is expected")
    providers = tuple(_provider(entry, development) for entry in entries)
    ids = [provider.id for provider in providers]
    if len(set(ids)) != len(ids):
        raise ValueError("two providers have the same id")
    return providers
