"""The device cookie: a random key a browser keeps for a year, so that one device gives one
opinion on a sensor (a new one replaces it) and one « me too » per report. Never an
identifier of a person: the rules keep only a keyed hash of it."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from service.web.rendering import Page

DEVICE_COOKIE = "alm_device"
DEVICE_COOKIE_SECONDS = 365 * 24 * 3600


def device_key(request: Request) -> str:
    """The browser's device key, or a new one (kept by ``remember_device``)."""
    return request.cookies.get(DEVICE_COOKIE) or secrets.token_urlsafe(24)


def remember_device(response: Response, page: Page, device: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=DEVICE_COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=page.secure_cookies,
    )
