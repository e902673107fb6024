"""What every page sends for its safety: a strict Content-Security-Policy, no referrer, and
CSRF tokens for every form (anonymous forms too).

CSRF: a signed double submit. The browser holds a random value in an HttpOnly, SameSite=Lax
cookie; each form carries that value signed with the service's secret keys (itsdangerous, one
salt per form purpose, keys oldest first: the newest signs, all verify) and dated. A post is
accepted when the form's token unsigns, within its age, to the cookie's value for that purpose.
Another site can make a browser send the cookie, but cannot read a page to learn the token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from itsdangerous import BadSignature

from service.signing import ShortURLSafeTimedSerializer

CSRF_COOKIE = "alm_csrf"
CSRF_FIELD = "csrf_token"
# A form left open this long must be reloaded (a resident may read a sign, then write).
CSRF_MAX_AGE_SECONDS = 24 * 3600


def tiles_origin(tiles_url: str) -> str | None:
    """``https://host`` of a tile URL template, for the CSP; None without tiles."""
    if not tiles_url:
        return None
    parts = urlsplit(tiles_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy(tiles_url: str) -> str:
    """Nothing but our own files: no inline script or style, no frames, no other site but
    the configured map tiles (images only)."""
    images = " ".join(filter(None, ("'self'", tiles_origin(tiles_url))))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def page_headers(tiles_url: str, *, private: bool) -> dict[str, str]:
    """The headers of every page; ``private`` for a page showing a tracking token (or made
    for one person, like a form with its CSRF token): never stored by any cache."""
    return {
        "Content-Security-Policy": content_security_policy(tiles_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        # Other pages hold a CSRF token of this browser's: no shared cache either.
        "Cache-Control": "no-store" if private else "private, no-cache",
    }


class FormTokens:
    """CSRF tokens of the pages' forms: one serializer per purpose (its own salt)."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._keys = list(secret_keys)
        self._serializers: dict[str, ShortURLSafeTimedSerializer] = {}

    def _serializer(self, purpose: str) -> ShortURLSafeTimedSerializer:
        if purpose not in self._serializers:
            self._serializers[purpose] = ShortURLSafeTimedSerializer(
                self._keys, salt=f"web-form-csrf:{purpose}"
            )
        return self._serializers[purpose]

    @staticmethod
    def new_cookie_value() -> str:
        return secrets.token_urlsafe(32)

    def issue(self, cookie_value: str, purpose: str) -> str:
        return str(self._serializer(purpose).dumps(cookie_value))

    def verify(self, cookie_value: str | None, token: str | None, purpose: str) -> bool:
        """True when ``token`` was issued for this cookie and purpose, and is not too old."""
        if not cookie_value or not token:
            return False
        try:
            signed = self._serializer(purpose).loads(token, max_age=CSRF_MAX_AGE_SECONDS)
        except BadSignature:  # also SignatureExpired, its subclass
            return False
        return isinstance(signed, str) and hmac.compare_digest(signed, cookie_value)
