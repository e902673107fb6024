"""Password hashing with scrypt (memory-hard, in the standard library: no native dependency).

Stored as ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` so parameters can be raised later while old
hashes still verify. n=2**15, r=8 costs 32 MiB and about 100 ms per hash here: expensive for
an attacker with a stolen table, affordable for a login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**15, 8, 1
KEY_LENGTH = 32
MAX_MEMORY = 64 * 1024 * 1024


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=N, r=R, p=P, maxmem=MAX_MEMORY, dklen=KEY_LENGTH
    )
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check; a malformed stored hash verifies nothing."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=MAX_MEMORY,
            dklen=len(_unb64(expected)),
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest, _unb64(expected))


# Verified against when the e-mail is unknown, so that a wrong e-mail takes as long as a wrong
# password: the timing does not reveal which accounts exist.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
