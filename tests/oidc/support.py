"""A real OpenID Provider for the tests (``oidc-provider`` from npm, run by node on
127.0.0.1), and a browser that follows the whole flow through HTTP: the service through the
in-process client, the provider over the network, each with its own cookies."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey

HERE = Path(__file__).parent
CLIENT_ID = "signalements-test"
CLIENT_SECRET = "a-test-client-secret-of-forty-characters!"
SERVICE = "http://testserver"


def unavailable(reason: str) -> None:
    """Skip locally; in CI (CI=true) fail: these tests must never vanish silently."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the OpenID provider tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def signing_key(kid: str) -> dict[str, Any]:
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    return dict(key.as_dict(private=True))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalProvider:
    """``tests/oidc/provider.mjs`` in a node process: started, stopped, restarted (same
    issuer) with other keys."""

    provider_id: str
    accounts: dict[str, dict[str, Any]]
    keys: list[dict[str, Any]]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    redirect_base: str = SERVICE  # where the service is reached (its redirect URI's origin)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        node = shutil.which("node")
        if node is None:
            unavailable("node is not installed")
        if not (HERE / "node_modules" / "oidc-provider").is_dir():
            unavailable("oidc-provider is not installed (npm ci --prefix tests/oidc)")
        config = {
            "port": self.port,
            "issuer": self.issuer,
            "client": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [
                    f"{self.redirect_base}/console/connexion/oidc/{self.provider_id}/retour"
                ],
            },
            "keys": {"keys": self.keys},
            "accounts": self.accounts,
        }
        assert node is not None
        self.process = subprocess.Popen(
            [node, str(HERE / "provider.mjs"), json.dumps(config)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "NODE_ENV": "test"},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("listening"):
            self.stop()
            raise RuntimeError(f"the OpenID provider did not start: {line!r}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def restart(self, keys: list[dict[str, Any]]) -> None:
        self.stop()
        self.keys = keys
        self.start()

    def settings_entry(self, bodies: list[str], claims: list[str] | None = None) -> str:
        return json.dumps(
            [
                {
                    "id": self.provider_id,
                    "name": "Keycloak de test",
                    "issuer": self.issuer,
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "bodies": bodies,
                    "scopes": ["openid", "email", "profile", "groups"],
                    "claims": claims or ["groups"],
                }
            ]
        )


FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.S)
PROMPT = re.compile(r'name="prompt" value="(\w+)"')


@dataclass
class Journey:
    """A browser: the service's requests go through the app, the provider's over HTTP."""

    service: httpx.AsyncClient
    login: str  # the subject typed in the provider's login form
    provider_cookies: httpx.Cookies = field(default_factory=httpx.Cookies)
    service_cookies: dict[str, str] = field(default_factory=dict)
    callback: str = ""  # the last URL the provider sent the browser back to

    async def service_get(self, url: str) -> httpx.Response:
        return await self._service("GET", url)

    async def _service(self, method: str, url: str) -> httpx.Response:
        cookie = "; ".join(f"{k}={v}" for k, v in self.service_cookies.items())
        headers = {"accept-language": "en", **({"cookie": cookie} if cookie else {})}
        self.service.cookies.clear()  # the shared client's jar is no browser's: ours is ours
        response = await self.service.request(method, url, headers=headers)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or "expires=Thu, 01 Jan 1970" in header or not value:
                self.service_cookies.pop(name, None)
            else:
                self.service_cookies[name] = value
        return response

    async def go(self, url: str, *, stop_at_callback: bool = False) -> httpx.Response:
        """GET ``url`` and follow redirects, filling the provider's forms, until a page of
        the service answers without a redirect (or, with ``stop_at_callback``, until the
        provider sends the browser back: ``callback`` holds that URL, not yet opened)."""
        async with httpx.AsyncClient(cookies=self.provider_cookies, timeout=10) as provider:
            method, data = "GET", None
            for _ in range(20):
                if url.startswith(SERVICE) or url.startswith("/"):
                    if "/retour" in url:
                        self.callback = url
                        if stop_at_callback:
                            return httpx.Response(204)
                    response = await self._service(method, url)
                    if response.status_code in (302, 303):
                        url, method = urljoin(SERVICE + "/", response.headers["location"]), "GET"
                        continue
                    return response
                response = await provider.request(method, url, data=data)
                self.provider_cookies.update(provider.cookies)
                data = None
                if response.status_code in (302, 303):
                    url, method = urljoin(url, response.headers["location"]), "GET"
                    continue
                form, prompt = FORM.search(response.text), PROMPT.search(response.text)
                assert form and prompt, f"the provider answered {response.status_code}"
                parts = urlsplit(url)
                url = urljoin(f"{parts.scheme}://{parts.netloc}", form.group(1))
                method = "POST"
                data = {"prompt": prompt.group(1)}
                if prompt.group(1) == "login":
                    data |= {"login": self.login, "password": "anything"}
            raise AssertionError("too many redirects")
