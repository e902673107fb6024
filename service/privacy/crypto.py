"""Encryption at rest of personal fields, and keyed hashes to find equal values.

AES-256-GCM (the ``cryptography`` package): authenticated, so a tampered or swapped value is
refused rather than misread. Each value is stored as ``<key id>:<base64(nonce | ciphertext)>``;
the associated data names the column, so a value copied into another column does not decrypt.
Keys are listed oldest first: the newest encrypts, every one decrypts (rotation). Equality
lookups (is this e-mail already known?) compare HMAC-SHA256 digests computed with a key derived
from each encryption key, never plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12


class UndecryptableValue(ValueError):
    """A value whose key is no longer configured, or which was altered."""


def derive_key(secret: str | bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived (HKDF-SHA256) from a configured secret."""
    material = secret.encode() if isinstance(secret, str) else secret
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()
    ).derive(material)


def decode_key(raw: str) -> bytes:
    """A key as configured: 32 bytes in URL-safe base64 (``secrets.token_urlsafe(32)`` is not:
    use ``base64.urlsafe_b64encode(os.urandom(32))``)."""
    try:
        key = base64.urlsafe_b64decode(raw.strip() + "=" * (-len(raw.strip()) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("an encryption key must be URL-safe base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"an encryption key must decode to {KEY_BYTES} bytes, not {len(key)}")
    return key


def key_id(key: bytes) -> str:
    """A short public name for a key: says which key encrypted a value, reveals nothing."""
    return hashlib.sha256(b"key-id:" + key).hexdigest()[:8]


class FieldCipher:
    """Encrypts and decrypts column values with a rotating list of keys (oldest first)."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._ciphers = {key_id(key): AESGCM(key) for key in keys}
        self._lookup_keys = [derive_key(key, "lookup-hash") for key in keys]
        self.current_key_id = key_id(keys[-1])
        self._current = self._ciphers[self.current_key_id]
        # Oldest first, as configured (what the database records, see service.instance).
        self.key_ids = [key_id(key) for key in keys]

    def encrypt(self, value: str | None, column: str) -> str | None:
        if value is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, value.encode(), column.encode())
        return f"{self.current_key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str | None, column: str) -> str | None:
        if stored is None:
            return None
        kid, _, body = stored.partition(":")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise UndecryptableValue(f"no configured key has the id {kid!r}")
        try:
            raw = base64.b64decode(body, validate=True)
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], column.encode()).decode()
        except (binascii.Error, InvalidTag, UnicodeDecodeError):
            raise UndecryptableValue(f"a value of {column} does not decrypt") from None

    def knows(self, kid: str) -> bool:
        """Whether one of the configured keys has this id (it can decrypt its values)."""
        return kid in self._ciphers

    def key_of(self, stored: str | None) -> str | None:
        return stored.partition(":")[0] if stored else None

    def lookup_hash(self, value: str, purpose: str) -> str:
        """The digest stored next to an encrypted value, made with the newest key."""
        return _digest(self._lookup_keys[-1], purpose, value)

    def lookup_hashes(self, value: str, purpose: str) -> list[str]:
        """The digests the value may be stored under, one per key (rows written before a
        rotation keep the digest of their key until they are re-encrypted)."""
        return [_digest(key, purpose, value) for key in self._lookup_keys]


def _digest(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def cipher_for(encryption_keys: tuple[str, ...], secret_keys: tuple[str, ...]) -> FieldCipher:
    """The cipher of a configuration: the explicit encryption keys, or else keys derived from
    the secret keys (each secret key gives one, in the same order, so rotating the secret keys
    rotates these too)."""
    if encryption_keys:
        return FieldCipher([decode_key(raw) for raw in encryption_keys])
    if not secret_keys:
        raise ValueError("no SERVICE_ENCRYPTION_KEYS and no SERVICE_SECRET_KEYS to derive from")
    return FieldCipher([derive_key(secret, "personal-data-encryption") for secret in secret_keys])
