"""itsdangerous serializers for the short values we sign (tracking tokens, CSRF tokens),
without the compression attempt and with signing made cheap.

itsdangerous's URL-safe serializers zlib-compress every payload and keep the compressed form
only when it is shorter. Ours (an id and a 16-hex-digit nonce, a 43-character random cookie
value) never are, so the attempt only costs time (about half of each signature). The tokens
made are byte for byte those of ``URLSafeSerializer`` / ``URLSafeTimedSerializer``, and
``loads`` still reads a compressed token (``.`` prefix), so nothing issued before is refused.

Signing itself (a page carries up to five CSRF tokens and a tracking token): itsdangerous
builds a new signer for every ``dumps`` and ``loads``, derives its key anew each time, and
computes HMAC-SHA1 by handing Python's ``hmac`` module a digest *callable*, which sends it
down its pure-Python path. Ours keep one signer per salt, derive each key once, and compute
the same HMAC-SHA1 with hashlib's one-shot C function (``hmac.digest``): the same bytes,
about a third of the time.
"""

from __future__ import annotations

import hmac
from typing import Any

from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer
from itsdangerous.signer import Signer, SigningAlgorithm
from itsdangerous.timed import TimestampSigner


def _uncompressed(serializer: Serializer[Any], obj: Any) -> bytes:
    # The plain JSON (Serializer's), base64'd as the URL-safe mixin does when it does not
    # compress.
    return base64_encode(Serializer.dump_payload(serializer, obj))


class HmacSha1(SigningAlgorithm):
    """itsdangerous's default algorithm (HMAC with SHA-1), in C."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, "sha1")


HMAC_SHA1 = HmacSha1()


class _QuickKeys:
    """A signer's derived keys, computed once per secret key (the salt is fixed)."""

    _derived: dict[bytes | None, bytes]

    def _set_up(self, signer: Signer, algorithm_given: bool, digest_given: bool) -> None:
        self._derived = {}
        if not algorithm_given and not digest_given:  # the default: HMAC-SHA1
            signer.algorithm = HMAC_SHA1

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = secret_key.encode() if isinstance(secret_key, str) else secret_key
        found = self._derived.get(key)
        if found is None:
            found = self._derived[key] = super().derive_key(secret_key)  # type: ignore[misc]
        return found


class QuickSigner(_QuickKeys, Signer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_up(self, "algorithm" in kwargs, "digest_method" in kwargs)


class QuickTimestampSigner(_QuickKeys, TimestampSigner):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_up(self, "algorithm" in kwargs, "digest_method" in kwargs)


class _OneSignerPerSalt:
    """``make_signer`` builds each salt's signer once (a signer holds nothing that changes)."""

    _signers: dict[str | bytes | None, Signer]

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        signers: dict[str | bytes | None, Signer] = self.__dict__.setdefault("_signers", {})
        found = signers.get(salt)
        if found is None:
            found = signers[salt] = super().make_signer(salt)  # type: ignore[misc]
        return found


class ShortURLSafeSerializer(_OneSignerPerSalt, URLSafeSerializer):
    default_signer = QuickSigner

    def dump_payload(self, obj: Any) -> bytes:
        return _uncompressed(self, obj)


class ShortURLSafeTimedSerializer(_OneSignerPerSalt, URLSafeTimedSerializer):
    default_signer = QuickTimestampSigner

    def dump_payload(self, obj: Any) -> bytes:
        return _uncompressed(self, obj)
