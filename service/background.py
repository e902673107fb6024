"""Background loops (deliveries, mail, purge, search indexer, trends, webhooks), supervised.

Each loop catches the failures of one round itself and tries again at its next poll. What
escapes a loop (a bug, a client that cannot be built, the index that cannot be opened) would
otherwise end its task silently: the loop would stop for good while the service kept
answering. ``Loops`` runs each one again after a pause that doubles up to a cap, logs the
exception's type only (its message and traceback may quote personal data: the traceback is
logged at debug level), and says how each loop is doing for ``/readyz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

logger = logging.getLogger(__name__)

# The first pause before a failed loop runs again, doubled at each failure in a row up to the
# cap; a loop that ran this long without failing starts again from the first pause.
FIRST_PAUSE_SECONDS = 1.0
PAUSE_CAP_SECONDS = 300.0
HEALTHY_AFTER_SECONDS = 60.0

LoopState = Literal["ok", "restarting", "stopped"]


@dataclass
class LoopHealth:
    """``ok`` (running), ``restarting`` (failed, waiting to run again), ``stopped`` (done)."""

    state: LoopState = "ok"
    restarts: int = 0
    last_error: str | None = None  # the exception's type name, never its message

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {"state": self.state, "restarts": self.restarts}
        if self.last_error is not None:
            shown["lastError"] = self.last_error
        return shown


class Loops:
    """Starts named loops, runs again the ones that fail, and waits for all on shutdown."""

    def __init__(
        self,
        *,
        first_pause_seconds: float = FIRST_PAUSE_SECONDS,
        pause_cap_seconds: float = PAUSE_CAP_SECONDS,
        healthy_after_seconds: float = HEALTHY_AFTER_SECONDS,
    ) -> None:
        # Set on shutdown: every loop watches it and finishes its round.
        self.stop = asyncio.Event()
        self.first_pause_seconds = first_pause_seconds
        self.pause_cap_seconds = pause_cap_seconds
        self.healthy_after_seconds = healthy_after_seconds
        self._health: dict[str, LoopHealth] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Run ``loop()`` (a new call at each restart, watching ``self.stop``) until
        ``stop_all``."""
        if name in self._health:
            raise ValueError(f"a loop named {name!r} is already running")
        self._health[name] = LoopHealth()
        self._tasks.append(asyncio.create_task(self._supervise(name, loop), name=name))

    def health(self) -> dict[str, dict[str, object]]:
        """Each loop's state, its restarts so far, and the type of its last failure."""
        return {name: health.as_json() for name, health in self._health.items()}

    async def stop_all(self) -> None:
        """Set ``stop`` and wait for every loop to finish its round in progress."""
        self.stop.set()
        await asyncio.gather(*self._tasks)

    async def _supervise(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        health = self._health[name]
        pause = self.first_pause_seconds
        while not self.stop.is_set():
            health.state = "ok"
            started = time.monotonic()
            try:
                await loop()
            except Exception as error:  # whatever it was, the loop must run again
                if time.monotonic() - started >= self.healthy_after_seconds:
                    pause = self.first_pause_seconds
                health.state, health.restarts = "restarting", health.restarts + 1
                health.last_error = type(error).__name__
                logger.error(
                    "background loop %s failed (%s): runs again in %g s (restart %d)",
                    name,
                    type(error).__name__,
                    pause,
                    health.restarts,
                )
                logger.debug("background loop %s failure", name, exc_info=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), pause)
                pause = min(pause * 2, self.pause_cap_seconds)
                continue
            break  # a loop that returns is done (they return when stop is set)
        health.state = "stopped"
