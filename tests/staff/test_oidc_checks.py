"""The ID token checks of service.staff.oidc, one by one, against a provider faked with
httpx.MockTransport (the whole flow against a real provider is in tests/oidc)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from service.settings import Settings, SettingsError
from service.staff.oidc import OidcClient, OidcFailure
from service.staff.oidc_settings import OidcProvider

pytestmark = pytest.mark.anyio
ISSUER = "https://idp.example"
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
PROVIDER = OidcProvider(
    id="angers",
    name="Angers",
    issuer=ISSUER,
    client_id="signalements",
    client_secret="s" * 32,
    bodies=("mairie-49007",),
)


def metadata(issuer: str = ISSUER) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{ISSUER}/auth",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
    }


def client(issuer: str = ISSUER) -> OidcClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=metadata(issuer))
        if request.url.path == "/jwks":
            return httpx.Response(200, json={"keys": [KEY.as_dict(private=False)]})
        return httpx.Response(404)

    transport = httpx.MockTransport(answer)
    return OidcClient(PROVIDER, http=lambda: httpx.AsyncClient(transport=transport))


def claims(**changes: Any) -> dict[str, Any]:
    now = int(NOW.timestamp())
    base = {
        "iss": ISSUER,
        "aud": "signalements",
        "sub": "agent-1",
        "iat": now,
        "exp": now + 300,
        "nonce": "the-nonce",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict[str, Any], header: dict[str, Any] | None = None, key: Any = KEY) -> str:
    return jwt.encode(header or {"alg": "RS256", "kid": "k1"}, payload, key)


async def test_a_right_token_gives_its_claims() -> None:
    found = await client().verified_claims(signed(claims()), nonce="the-nonce", now=NOW)
    assert found["sub"] == "agent-1"


@pytest.mark.parametrize(
    ("why", "payload"),
    [
        ("another issuer", claims(iss="https://evil.example")),
        ("another audience", claims(aud="another-client")),
        ("another nonce", claims(nonce="replayed")),
        ("no nonce", claims(nonce=None)),
        ("expired", claims(exp=int(NOW.timestamp()) - 120)),
        ("no subject", claims(sub=None)),
        ("several audiences, azp not ours", claims(aud=["signalements", "x"], azp="x")),
    ],
)
async def test_a_token_with_wrong_claims_is_refused(why: str, payload: dict[str, Any]) -> None:
    with pytest.raises(OidcFailure):
        await client().verified_claims(signed(payload), nonce="the-nonce", now=NOW)


async def test_an_hmac_signature_made_with_the_client_secret_is_refused() -> None:
    token = signed(claims(), {"alg": "HS256"}, OctKey.import_key("s" * 32))
    with pytest.raises(OidcFailure, match="algorithm"):
        await client().verified_claims(token, nonce="the-nonce", now=NOW)


async def test_an_unsigned_token_is_refused() -> None:
    import base64

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    token = f"{part({'alg': 'none'})}.{part(claims())}."
    with pytest.raises(OidcFailure):
        await client().verified_claims(token, nonce="the-nonce", now=NOW)


async def test_a_discovery_document_of_another_issuer_is_refused() -> None:
    with pytest.raises(OidcFailure, match="another issuer"):
        await client("https://evil.example").begin("https://x/retour")


async def test_the_departure_carries_pkce_state_and_nonce() -> None:
    departure = await client().begin("https://signaler.example/retour")
    assert "code_challenge_method=S256" in departure.url
    assert f"state={departure.state}" in departure.url
    assert f"nonce={departure.nonce}" in departure.url
    assert departure.verifier not in departure.url  # only its hash leaves


async def test_a_wrong_state_is_refused_before_any_request() -> None:
    with pytest.raises(OidcFailure, match="state"):
        await client().complete(
            code="c",
            state="forged",
            expected_state="the-state",
            nonce="n",
            verifier="v",
            redirect_uri="https://x/retour",
            now=NOW,
        )


def test_providers_are_read_from_the_environment_and_checked() -> None:
    entry = {
        "id": "angers",
        "name": "Angers",
        "issuer": "https://idp.angers.fr",
        "client_id": "c",
        "client_secret": "s",
        "bodies": ["mairie-49007"],
    }
    settings = Settings.from_environ({"SERVICE_OIDC_PROVIDERS": json.dumps([entry])})
    assert settings.oidc_providers[0].scopes == ("openid", "email", "profile")
    for wrong in (
        {**entry, "issuer": "http://idp.angers.fr"},  # plain http off this machine
        {**entry, "bodies": []},
        {**entry, "scopes": ["email"]},
        {**entry, "id": "Angers!"},
    ):
        with pytest.raises(SettingsError):
            Settings.from_environ({"SERVICE_OIDC_PROVIDERS": json.dumps([wrong])})


async def test_an_authorization_response_of_another_issuer_is_refused() -> None:
    with pytest.raises(OidcFailure, match="another issuer"):
        await client().complete(
            code="c",
            state="s",
            expected_state="s",
            nonce="n",
            verifier="v",
            redirect_uri="https://x/retour",
            now=NOW,
            issuer="https://evil.example",
        )


async def test_an_account_made_by_a_provider_never_opens_with_a_password(
    services: Any,
) -> None:
    # given
    from service.errors import DomainError
    from service.staff import rules
    from service.staff.models import Role
    from service.staff.throttle import LoginThrottle
    from tests.console.support import provider_made

    user, _ = await provider_made(services, "mairie-49007", Role.AGENT)
    # when / then
    for password in ("!", "", "anything at all"):
        async with services.db.reading() as session:
            with pytest.raises(DomainError) as refusal:
                await rules.check_password(
                    session,
                    LoginThrottle(),
                    email=user.email,
                    password=password,
                    origin_key="o",
                    account_key="a",
                )
        assert refusal.value.code.value == "INVALID_CREDENTIALS"
