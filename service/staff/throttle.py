"""Login throttling: a few failed attempts per account and per network origin, then a pause.

Kept in the process's memory, keyed by keyed hashes (never an address or an e-mail in clear).
With N worker processes an attacker gets at most N times the allowance before every process
refuses them: a documented approximation, still a hard bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ORIGIN = 20


@dataclass
class LoginThrottle:
    monotonic: Callable[[], float] = time.monotonic
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def _recent(self, key: str) -> list[float]:
        cutoff = self.monotonic() - WINDOW_SECONDS
        recent = [t for t in self._failures.get(key, []) if t > cutoff]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return recent

    def blocked(self, account_key: str, origin_key: str) -> bool:
        return (
            len(self._recent(account_key)) >= MAX_FAILURES_PER_ACCOUNT
            or len(self._recent(origin_key)) >= MAX_FAILURES_PER_ORIGIN
        )

    def failed(self, account_key: str, origin_key: str) -> None:
        now = self.monotonic()
        for key in (account_key, origin_key):
            self._failures.setdefault(key, []).append(now)

    def succeeded(self, account_key: str) -> None:
        self._failures.pop(account_key, None)
