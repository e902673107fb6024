"""What the residents' journeys' tests share: opening a form, posting it as a browser without
JavaScript would, reading a page's fields and errors."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.support import ANGERS_TOWN_HALL
from tests.web.support import csrf_token, hidden


def valid_report(**overrides: Any) -> dict[str, str]:
    """A pothole pinned in front of Angers town hall (what the map's script would send)."""
    latitude, longitude = ANGERS_TOWN_HALL
    fields = {
        "category": "pothole",
        "latitude": str(latitude),
        "longitude": str(longitude),
        "commune": "",
        "address": "",
        "description": "Nid-de-poule profond devant la mairie.",
        "nearby_seen": "1",
    }
    fields.update(overrides)
    return fields


async def open_form(client: httpx.AsyncClient, url: str) -> tuple[str, dict[str, str]]:
    """The form page and its hidden fields (CSRF token, idempotency key)."""
    page = await client.get(url)
    assert page.status_code == 200, page.text
    hidden_fields = {"csrf_token": csrf_token(page.text)}
    if 'name="idempotency_key"' in page.text:
        hidden_fields["idempotency_key"] = hidden(page.text, "idempotency_key")
    return page.text, hidden_fields


async def post_form(
    client: httpx.AsyncClient, url: str, fields: dict[str, str] | list[tuple[str, str]]
) -> httpx.Response:
    pairs = list(fields.items()) if isinstance(fields, dict) else fields
    return await client.post(
        url,
        content=urlencode(pairs),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


async def send_report(
    client: httpx.AsyncClient, language: str = "fr", **overrides: str
) -> httpx.Response:
    """Open the report form and send it; the answer (a 303 to the confirmation on success)."""
    _, fields = await open_form(client, f"/signaler?lang={language}")
    url = f"/signaler?lang={language}"
    return await post_form(client, url, {**fields, **valid_report(**overrides)})


def token_in(location: str) -> str:
    """The tracking token of a redirect's query string (never of its path)."""
    parts = urlsplit(location)
    assert "jeton" not in parts.path
    return parse_qs(parts.query)["jeton"][0]


def errors_by_field(html: str) -> dict[str, str]:
    """The messages shown beside fields: field id -> text."""
    found = re.findall(r'<p class="field-error" id="field-([\w-]+)-error">(.*?)</p>', html, re.S)
    visible = [
        (name, re.sub(r'<span class="visually-hidden">.*?</span>', "", text))
        for name, text in found
    ]
    return {name: unescape(re.sub(r"<[^>]+>", "", text)).strip() for name, text in visible}


def tied_to_a_field(html: str, name: str) -> bool:
    """Whether a control (or its fieldset) points at the field's error by aria-describedby."""
    return re.search(rf'aria-describedby="[^"]*field-{name}-error', html) is not None
