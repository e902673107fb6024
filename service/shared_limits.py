"""Limits shared by every worker and host: rate limits, cost budgets and opinion throttles
(one token bucket, RateLimiter; OpinionThrottle is a use of it) and login throttles
(LoginThrottle, failures in a sliding window) counted in Redis (or Valkey) when
``SERVICE_REDIS_URL`` is set, so that N workers or hosts do not mean N times a limit.

Same algorithms and keys as the in-process classes they extend (their docstrings explain
them), computed inside Redis by small Lua scripts (one round trip per check, atomic across
processes, with the server's clock so hosts' clocks need not agree). Only keyed hashes are
stored, each with an expiry no longer than its window: never an address or an e-mail.

Network origins are pseudonymised with a random key kept in Redis and replaced every
rotation period (``SET NX EX``): every process computes the same pseudonym, and after
rotation nothing links a stored count to an address.

When Redis cannot be reached, a process counts in its own memory (the in-process
behaviour, a looser bound) and logs it, at most once a minute: a broken Redis never stops
residents from reporting.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import redis

from service.integrations.ratelimit import WINDOW_SECONDS, RateLimiter
from service.sensors.opinions import OpinionThrottle
from service.staff import throttle as login

logger = logging.getLogger("service.limits")

PREFIX = "alm:"
SOCKET_TIMEOUT_SECONDS = 0.5
COMPLAIN_EVERY_SECONDS = 60.0

# GCRA over every key, all or none: KEYS the buckets; ARGV window, cost, then one interval
# (window / limit) per key. Returns "0" or the seconds to wait (the longest).
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window, cost = tonumber(ARGV[1]), tonumber(ARGV[2])
local news, wait = {}, 0
for i = 1, #KEYS do
  local arrival = tonumber(redis.call('GET', KEYS[i]) or now)
  if arrival < now then arrival = now end
  news[i] = arrival + cost * tonumber(ARGV[i + 2])
  if news[i] - now - window > wait then wait = news[i] - now - window end
end
if wait > 0 then return tostring(wait) end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], tostring(news[i]), 'PX', math.ceil((news[i] - now) * 1000) + 1)
end
return '0'
"""

# Sliding-window failures: KEYS pair, origin, account; ARGV window, then the three limits
# (pair, origin, account under attack, pair under attack). Returns 1 if blocked.
_BLOCKED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cutoff = now - tonumber(ARGV[1])
local counts = {}
for i = 1, 3 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', cutoff)
  counts[i] = redis.call('ZCARD', KEYS[i])
end
if counts[1] >= tonumber(ARGV[2]) or counts[2] >= tonumber(ARGV[3]) then return 1 end
if counts[3] >= tonumber(ARGV[4]) and counts[1] >= tonumber(ARGV[5]) then return 1 end
return 0
"""

# A failure recorded in the three counters; ARGV window, how many to keep.
_FAILED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local member = t[1] .. '.' .. t[2] .. '.' .. redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], 60)
for i = 1, 3 do
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -tonumber(ARGV[2]) - 1)
  redis.call('EXPIRE', KEYS[i], math.ceil(tonumber(ARGV[1])))
end
return 1
"""

T = TypeVar("T")


class SharedStore:
    """One Redis connection pool and the scripts, for the three limiters of a process."""

    def __init__(self, url: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.client: redis.Redis = redis.Redis.from_url(
            url, socket_timeout=SOCKET_TIMEOUT_SECONDS, socket_connect_timeout=1.0
        )
        self.gcra = self.client.register_script(_GCRA)
        self.blocked = self.client.register_script(_BLOCKED)
        self.failed = self.client.register_script(_FAILED)
        self.monotonic = monotonic
        self._complained = float("-inf")

    def run(self, call: Callable[[], T], fallback: Callable[[], T]) -> T:
        """``call`` against Redis; ``fallback`` (in-process counting) when it fails."""
        try:
            return call()
        except redis.RedisError as error:
            now = self.monotonic()
            if now - self._complained >= COMPLAIN_EVERY_SECONDS:
                self._complained = now
                logger.warning(
                    "shared limits unavailable (%s): counting in this process only",
                    type(error).__name__,
                )
            return fallback()

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False


@dataclass
class SharedRateLimiter(RateLimiter):
    store: SharedStore | None = None
    _shared_key: bytes | None = None
    _shared_until: float = float("-inf")

    def origin(self, address: str) -> str:
        store = self.store
        if store is None:
            return super().origin(address)

        def shared() -> str:
            now = self.monotonic()
            if self._shared_key is None or now >= self._shared_until:
                name = PREFIX + "origin-key"
                seconds = max(1, int(self.rotation_seconds))
                store.client.set(name, secrets.token_hex(32), nx=True, ex=seconds)
                raw: Any = store.client.get(name)
                ttl: Any = store.client.ttl(name)
                if raw is None:
                    raise redis.RedisError("the origin key vanished")
                self._shared_key = bytes.fromhex(raw.decode())
                self._shared_until = now + max(1, min(int(ttl), 60))
            self._origin_key = self._shared_key
            self._rotated_at = now  # the shared key rotates in Redis, not here
            return RateLimiter.origin(self, address)

        return store.run(shared, lambda: RateLimiter.origin(self, address))

    def hit(self, key: str, per_minute: int, cost: int = 1) -> float:
        store = self.store
        if store is None:
            return super().hit(key, per_minute, cost)

        def shared() -> float:
            interval = WINDOW_SECONDS / per_minute
            answer: Any = store.gcra(
                keys=[PREFIX + "rate:" + key], args=[WINDOW_SECONDS, cost, repr(interval)]
            )
            return float(answer)

        return store.run(shared, lambda: RateLimiter.hit(self, key, per_minute, cost))


@dataclass
class SharedLoginThrottle(login.LoginThrottle):
    store: SharedStore | None = None

    @staticmethod
    def _keys(account_key: str, origin_key: str) -> list[str]:
        base = PREFIX + "login:"
        return [
            f"{base}pair:{account_key}:{origin_key}",
            f"{base}origin:{origin_key}",
            f"{base}account:{account_key}",
        ]

    def blocked(self, account_key: str, origin_key: str) -> bool:
        store = self.store
        if store is None:
            return super().blocked(account_key, origin_key)
        args = [
            login.WINDOW_SECONDS,
            login.MAX_FAILURES_PER_PAIR,
            login.MAX_FAILURES_PER_ORIGIN,
            login.ACCOUNT_UNDER_ATTACK,
            login.MAX_FAILURES_PER_PAIR_UNDER_ATTACK,
        ]
        keys = self._keys(account_key, origin_key)
        return store.run(
            lambda: bool(store.blocked(keys=keys, args=args)),
            lambda: login.LoginThrottle.blocked(self, account_key, origin_key),
        )

    def failed(self, account_key: str, origin_key: str) -> None:
        store = self.store
        if store is None:
            return super().failed(account_key, origin_key)
        keys = [*self._keys(account_key, origin_key), PREFIX + "login:sequence"]
        args = [login.WINDOW_SECONDS, login.KEPT_PER_COUNTER]
        store.run(
            lambda: store.failed(keys=keys, args=args),
            lambda: login.LoginThrottle.failed(self, account_key, origin_key),
        )
        return None

    def succeeded(self, account_key: str, origin_key: str) -> None:
        store = self.store
        if store is None:
            return super().succeeded(account_key, origin_key)
        pair = self._keys(account_key, origin_key)[0]
        store.run(
            lambda: store.client.delete(pair),
            lambda: login.LoginThrottle.succeeded(self, account_key, origin_key),
        )
        return None


@dataclass
class SharedOpinionThrottle(OpinionThrottle):
    store: SharedStore | None = field(default=None)

    def allow(self, device_key: str, origin_key: str | None) -> bool:
        store = self.store
        if store is None:
            return super().allow(device_key, origin_key)
        limits = self.limits(device_key, origin_key)
        keys = [PREFIX + "opinions:" + key for key, _ in limits]
        args = [self.window_seconds, 1] + [repr(self.window_seconds / n) for _, n in limits]
        return store.run(
            lambda: float(store.gcra(keys=keys, args=args)) == 0.0,
            lambda: OpinionThrottle.allow(self, device_key, origin_key),
        )
