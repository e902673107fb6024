"""Login throttling: failed attempts are counted per (origin, account) pair and per origin,
so that guessing is slowed down without letting anyone lock a staff member out.

Why pairs: counted per account alone, five wrong passwords sent by anyone locked the account
for everyone for 15 minutes — a denial of service on the people who must work. Counted per
pair, an origin that guesses at an account waits, and the account's owner, from an origin
that has not failed, logs in.

- **Pair**: 5 failures of one origin at one account within 15 minutes, and that origin waits
  before trying that account again.
- **Origin**: 20 failures of one origin within 15 minutes, whatever the accounts, and that
  origin waits for every account (one origin spraying many accounts).
- **Backstop, one account under a distributed attack**: when an account has collected 20
  failures within 15 minutes from all origins together, each origin gets a single failure at
  it instead of five: an origin that has failed at it once waits, an origin that has not
  failed still goes through (and its right password logs in). A guesser spread over many
  addresses thus gets one guess per address and per 15 minutes, not five; the account is
  never closed to an origin that has not failed. Nothing stricter is possible without
  locking out the owner too, since each of the guesser's addresses is new at its first try:
  the rest of the defence is the password (12+ characters, scrypt).
- A right password clears its pair's failures, not the account's or the origin's: the owner
  logging in in the middle of an attack does not give the guessers a fresh allowance.

IPv6 origins count per /64 (see ``service.origins``): one subscriber usually has a whole
/64, and would otherwise have 2^64 fresh origins. Kept in the process's memory, keyed by
keyed hashes (never an address or an e-mail in clear). With N worker processes an attacker
gets at most N times the allowance before every process refuses them: a documented
approximation, still a hard bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_PAIR = 5
MAX_FAILURES_PER_ORIGIN = 20
# The backstop: an account with this many recent failures (all origins) is under attack...
ACCOUNT_UNDER_ATTACK = 20
# ...and then an origin may fail at it this many times only.
MAX_FAILURES_PER_PAIR_UNDER_ATTACK = 1
KEPT_PER_COUNTER = max(MAX_FAILURES_PER_PAIR, MAX_FAILURES_PER_ORIGIN, ACCOUNT_UNDER_ATTACK)
# Past this many counters, the expired ones are dropped (guessers spread over many addresses).
SWEEP_ABOVE = 50_000

Key = tuple[str, ...]


@dataclass
class LoginThrottle:
    monotonic: Callable[[], float] = time.monotonic
    _failures: dict[Key, list[float]] = field(default_factory=dict)

    def blocked(self, account_key: str, origin_key: str) -> bool:
        """Whether this origin must wait before trying this account (checked before the
        password, so a waiting origin learns nothing about it)."""
        pair = len(self._recent(("pair", account_key, origin_key)))
        if pair >= MAX_FAILURES_PER_PAIR:
            return True
        if len(self._recent(("origin", origin_key))) >= MAX_FAILURES_PER_ORIGIN:
            return True
        under_attack = len(self._recent(("account", account_key))) >= ACCOUNT_UNDER_ATTACK
        return under_attack and pair >= MAX_FAILURES_PER_PAIR_UNDER_ATTACK

    def failed(self, account_key: str, origin_key: str) -> None:
        now = self.monotonic()
        if len(self._failures) > SWEEP_ABOVE:
            self._sweep(now)
        for key in (
            ("pair", account_key, origin_key),
            ("origin", origin_key),
            ("account", account_key),
        ):
            times = self._failures.setdefault(key, [])
            times.append(now)
            del times[:-KEPT_PER_COUNTER]  # the newest are enough to compare with any limit

    def succeeded(self, account_key: str, origin_key: str) -> None:
        self._failures.pop(("pair", account_key, origin_key), None)

    def _recent(self, key: Key) -> list[float]:
        cutoff = self.monotonic() - WINDOW_SECONDS
        recent = [t for t in self._failures.get(key, []) if t > cutoff]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return recent

    def _sweep(self, now: float) -> None:
        cutoff = now - WINDOW_SECONDS
        self._failures = {
            key: times for key, times in self._failures.items() if times and times[-1] > cutoff
        }
