"""Keys that cannot be mixed up: the database records the ids of the keys it holds data under
(tracking tokens and cookies signed with the secret keys; contacts and webhook secrets
encrypted with the encryption keys), and a start with keys that cannot verify or decrypt
what it holds is refused with one line saying what to do.

A key's id is a short digest of a key derived from it (never the key, nor anything that
helps find it); the encryption keys' ids are those already written in front of every
encrypted value.

- First start with keys: their ids are recorded.
- A new key added (rotation, step one: listed newest last): recorded too, accepted at once.
- A recorded key missing: refused, since what it signed or encrypted no longer verifies or
  decrypts. After retiring a key on purpose (``rekey`` has re-encrypted everything with the
  newest key, and the tracking tokens it signed may stop working), ``python -m service keys
  accept`` records the configured keys as the ones the database is held under.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from service.privacy.crypto import cipher_for, derive_key
from service.settings import Settings


@dataclass(frozen=True)
class KeyIds:
    signing: tuple[str, ...]
    encryption: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.signing and not self.encryption


class KeysMismatch(RuntimeError):
    """The configured keys cannot verify or decrypt what the database holds."""


def signing_key_id(secret: str) -> str:
    return hashlib.sha256(b"signing-key-id:" + derive_key(secret, "key-id")).hexdigest()[:8]


def configured_key_ids(settings: Settings) -> KeyIds:
    """The ids of the configured keys; empty in development without keys (random keys that
    live as long as the process: nothing to protect across starts)."""
    if not settings.secret_keys and not settings.encryption_keys:
        return KeyIds((), ())
    signing = tuple(signing_key_id(secret) for secret in settings.secret_keys)
    cipher = cipher_for(settings.encryption_keys, settings.secret_keys)
    return KeyIds(signing, tuple(cipher.key_ids))


def parse_ids(raw: str) -> tuple[str, ...]:
    return tuple(part for part in raw.split(",") if part)


def join_ids(ids: tuple[str, ...]) -> str:
    return ",".join(ids)


def merged(recorded: KeyIds, configured: KeyIds) -> KeyIds:
    """The ids to record once ``configured`` was accepted: the recorded ones, then the new."""
    return KeyIds(
        recorded.signing + tuple(k for k in configured.signing if k not in recorded.signing),
        recorded.encryption
        + tuple(k for k in configured.encryption if k not in recorded.encryption),
    )


def check(recorded: KeyIds, configured: KeyIds, where: str) -> None:
    """Raise KeysMismatch (one line) when a recorded key is not configured."""
    missing_signing = [k for k in recorded.signing if k not in configured.signing]
    missing_encryption = [k for k in recorded.encryption if k not in configured.encryption]
    if not (missing_signing or missing_encryption):
        return
    parts = []
    if missing_signing:
        parts.append(f"secret keys {', '.join(missing_signing)} (SERVICE_SECRET_KEYS)")
    if missing_encryption:
        parts.append(
            f"encryption keys {', '.join(missing_encryption)} "
            "(SERVICE_ENCRYPTION_KEYS, or derived from SERVICE_SECRET_KEYS)"
        )
    raise KeysMismatch(
        f"the database {where} holds data under {' and '.join(parts)}, which are not "
        "configured: start with the keys it was started with (README, Deployment: keys), "
        "or, if they were retired on purpose, run `python -m service keys accept`"
    )
