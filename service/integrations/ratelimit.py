"""Rate limits per API client and per anonymous network origin, without storing addresses.

A generic cell rate algorithm (GCRA, a token bucket kept as one number per key): a limit
of L a minute lets a caller send L at once, then one every 60/L seconds; a refused call
learns exactly when the next one will pass (``Retry-After``). O(1) per call, one float per
active key.

Network origins are counted under an HMAC of the address with a random key that lives only
in this process's memory and is replaced every ``rotation_seconds`` (the counts go with it):
no address, and nothing that can be linked back to one after rotation, is ever written.

Several workers: each process counts what it sees. With N workers behind a load balancer a
caller is admitted at most N x L a minute in the worst case (requests spread evenly), and at
least L (requests pinned to one worker); set the limits with that bound in mind (e.g.
limit / N for a hard cluster-wide ceiling). The database is not touched, so limits cost no
write per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from service.origins import origin_of

WINDOW_SECONDS = 60.0
MAX_KEYS = 200_000


def submission_key(caller_key: str) -> str:
    """The bucket counting a caller's submissions (an API client's key, or a network origin's
    pseudonym): the API and the residents' pages count in the same one."""
    return caller_key + ":s"


def request_key(caller_key: str) -> str:
    """The bucket counting all of a caller's requests (the API's, and the pages' actions on a
    tracked item)."""
    return caller_key + ":r"


@dataclass
class RateLimiter:
    rotation_seconds: float = 86_400.0
    monotonic: Callable[[], float] = time.monotonic
    _arrivals: dict[str, float] = field(default_factory=dict)  # key -> theoretical arrival
    _origin_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _rotated_at: float | None = None

    def origin(self, address: str) -> str:
        """The pseudonym of a network address's origin (an IPv6 address counts by its /64,
        ``origin_of``) for the current rotation period."""
        now = self.monotonic()
        if self._rotated_at is None:
            self._rotated_at = now
        elif now - self._rotated_at >= self.rotation_seconds:
            self._origin_key = secrets.token_bytes(32)
            self._rotated_at = now
            self._arrivals = {k: v for k, v in self._arrivals.items() if not k.startswith("o:")}
        origin = origin_of(address).encode()
        digest = hmac.new(self._origin_key, origin, hashlib.sha256).hexdigest()
        return "o:" + digest[:32]

    def hit(self, key: str, per_minute: int, cost: int = 1) -> float:
        """Count ``cost`` units for ``key``; 0.0 if admitted, else the seconds to wait
        (nothing is counted for a refused call)."""
        return self.hit_all([(key, per_minute)], WINDOW_SECONDS, cost)

    def hit_all(
        self, limits: Sequence[tuple[str, int]], window_seconds: float, cost: int = 1
    ) -> float:
        """Count ``cost`` units for every key, each admitting its limit per
        ``window_seconds``: all or none. 0.0 if admitted, else the longest wait."""
        now = self.monotonic()
        arrivals = []
        for key, limit in limits:
            arrival = max(self._arrivals.get(key, now), now)
            arrivals.append(arrival + cost * (window_seconds / limit))
        wait = max(new_arrival - now - window_seconds for new_arrival in arrivals)
        if wait > 0:
            return wait
        if len(self._arrivals) >= MAX_KEYS:  # forget keys whose bucket is full again
            self._arrivals = {k: v for k, v in self._arrivals.items() if v > now}
        for (key, _), new_arrival in zip(limits, arrivals, strict=True):
            self._arrivals[key] = new_arrival
        return 0.0
