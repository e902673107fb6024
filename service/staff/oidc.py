"""OpenID Connect, the relying party's side: the authorization code flow with PKCE, ``state``
and ``nonce``, and a checked ID token.

- **Discovery**: the provider's ``/.well-known/openid-configuration`` is read (and validated
  by authlib's ``OpenIDProviderMetadata``; its ``issuer`` must be the configured one), kept an
  hour.
- **Leaving**: ``begin`` makes a random ``state``, ``nonce`` and PKCE verifier (S256); the
  browser carries them back in a signed, short-lived cookie (service.web.console.oidc), never
  in the database.
- **Coming back**: ``complete`` compares ``state`` in constant time, exchanges the code at the
  token endpoint (the client's secret, the PKCE verifier; a code used twice is refused by the
  provider), then checks the ID token: its signature by a key of the provider's JWKS (an
  asymmetric algorithm the provider announces, never ``none`` nor HMAC), ``iss``, ``aud``
  (and ``azp`` when there are several audiences), ``exp`` and ``iat`` (one minute of leeway),
  ``sub``, and the ``nonce``.
- **Key rotation**: the JWKS is kept until a token names a key id it lacks; the JWKS is then
  fetched again (at most once every ``jwks_refresh_seconds``, so forged key ids cannot make us
  hammer the provider). A key the provider no longer publishes verifies nothing.

Everything that fails is ``OidcFailure``, with a reason for the logs (never shown as is).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from service.staff.oidc_settings import OidcProvider

# Asymmetric algorithms only: an HMAC one would make the client secret a signing key.
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})
METADATA_SECONDS = 3600.0
LEEWAY_SECONDS = 60
HTTP_TIMEOUT = 10.0


class OidcFailure(Exception):
    """A sign-in through a provider that cannot be trusted; ``reason`` is for the logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Departure:
    """What the browser carries to the provider and back (signed), and where it goes."""

    state: str
    nonce: str
    verifier: str
    url: str


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class OidcClient:
    """One provider's client; one per process, shared by requests (caches inside)."""

    provider: OidcProvider
    http: Callable[[], httpx.AsyncClient] = lambda: httpx.AsyncClient(timeout=HTTP_TIMEOUT)
    monotonic: Callable[[], float] = time.monotonic
    jwks_refresh_seconds: float = 10.0
    _metadata: dict[str, Any] | None = None
    _metadata_at: float = 0.0
    _keys: KeySet | None = None
    _keys_at: float = field(default=float("-inf"))

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self.http() as client:
                response = await client.get(url, headers={"accept": "application/json"})
        except httpx.HTTPError as error:
            raise OidcFailure(f"unreachable: {type(error).__name__}") from error
        if response.status_code != 200:
            raise OidcFailure(f"{url} answered {response.status_code}")
        document = response.json()
        if not isinstance(document, dict):
            raise OidcFailure(f"{url} is not a JSON object")
        return document

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, validated; fetched again after an hour."""
        now = self.monotonic()
        if self._metadata is None or now - self._metadata_at > METADATA_SECONDS:
            document = await self._get_json(self.provider.discovery_url)
            try:
                OpenIDProviderMetadata(document).validate()
            except ValueError as error:
                raise OidcFailure(f"discovery document: {error}") from error
            if document.get("issuer") != self.provider.issuer:
                raise OidcFailure("discovery document of another issuer")
            self._metadata, self._metadata_at = document, now
        return self._metadata

    async def _key_set(self, kid: str | None) -> KeySet:
        """The provider's keys, fetched again when they lack ``kid`` (a rotation)."""
        known = self._keys is not None and (
            kid is None or any(key.kid == kid for key in self._keys.keys)
        )
        if self._keys is None or (
            not known and self.monotonic() - self._keys_at >= self.jwks_refresh_seconds
        ):
            metadata = await self.metadata()
            document = await self._get_json(str(metadata["jwks_uri"]))
            try:
                self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError) as error:
                raise OidcFailure(f"JWKS: {error}") from error
            self._keys_at = self.monotonic()
        return self._keys

    async def begin(self, redirect_uri: str) -> Departure:
        """Where to send the browser, with fresh ``state``, ``nonce`` and PKCE verifier."""
        metadata = await self.metadata()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)  # 64 characters (RFC 7636: 43 to 128)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.provider.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(self.provider.scopes),
                "state": state,
                "nonce": nonce,
                "code_challenge": _s256(verifier),
                "code_challenge_method": "S256",
            }
        )
        endpoint = str(metadata["authorization_endpoint"])
        separator = "&" if "?" in endpoint else "?"
        return Departure(state, nonce, verifier, f"{endpoint}{separator}{query}")

    async def complete(
        self,
        *,
        code: str,
        state: str,
        expected_state: str,
        nonce: str,
        verifier: str,
        redirect_uri: str,
        now: datetime,
        issuer: str | None = None,
    ) -> dict[str, Any]:
        """The ID token's claims once everything holds, else ``OidcFailure``. ``issuer`` is
        the authorization response's ``iss`` (RFC 9207), checked when the provider sends it:
        a code another provider issued is never sent to this one's token endpoint."""
        if not state or not hmac.compare_digest(state.encode(), expected_state.encode()):
            raise OidcFailure("state differs")
        if issuer is not None and issuer != self.provider.issuer:
            raise OidcFailure("authorization response of another issuer")
        if not code:
            raise OidcFailure("no code")
        metadata = await self.metadata()
        try:
            async with self.http() as client:
                response = await client.post(
                    str(metadata["token_endpoint"]),
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": redirect_uri,
                        "code_verifier": verifier,
                    },
                    auth=(self.provider.client_id, self.provider.client_secret),
                    headers={"accept": "application/json"},
                )
        except httpx.HTTPError as error:
            raise OidcFailure(f"token endpoint unreachable: {type(error).__name__}") from error
        if response.status_code != 200:
            raise OidcFailure(f"token endpoint answered {response.status_code}")
        id_token = response.json().get("id_token")
        if not isinstance(id_token, str):
            raise OidcFailure("no ID token")
        return await self.verified_claims(id_token, nonce=nonce, now=now)

    async def verified_claims(self, id_token: str, *, nonce: str, now: datetime) -> dict[str, Any]:
        """Check an ID token's signature and claims (section 3.1.3.7 of OpenID Connect)."""
        metadata = await self.metadata()
        announced = set(metadata.get("id_token_signing_alg_values_supported", ["RS256"]))
        algorithms = sorted(ALGORITHMS & announced)
        try:
            header = jws.extract_compact(id_token.encode("ascii")).headers()
        except (JoseError, ValueError, UnicodeError) as error:
            raise OidcFailure(f"malformed ID token: {error}") from error
        if header.get("alg") not in algorithms:
            raise OidcFailure(f"algorithm {header.get('alg')!r} refused")
        keys = await self._key_set(header.get("kid"))
        try:
            token = jwt.decode(id_token, keys, algorithms=algorithms)
        except (JoseError, ValueError) as error:
            raise OidcFailure(f"signature: {type(error).__name__}") from error
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.provider.issuer},
            aud={"essential": True, "value": self.provider.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise OidcFailure(f"claims: {type(error).__name__} {error}") from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.provider.client_id:
            raise OidcFailure("several audiences and azp is not ours")
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise OidcFailure("empty subject")
        return claims


@dataclass
class OidcClients:
    """The configured providers' clients, by provider id."""

    clients: dict[str, OidcClient]

    @classmethod
    def of(cls, providers: tuple[OidcProvider, ...]) -> OidcClients:
        return cls({provider.id: OidcClient(provider) for provider in providers})

    def for_body(self, body_code: str) -> list[OidcProvider]:
        """The providers that may sign in staff of this body."""
        return [c.provider for c in self.clients.values() if body_code in c.provider.bodies]
