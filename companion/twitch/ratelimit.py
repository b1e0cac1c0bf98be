"""Client-side view of Twitch's token bucket, fed by the ``Ratelimit-*`` headers.

Twitch keeps one bucket per client id per user (and one for app tokens). Each response
says how many points are left (``Ratelimit-Remaining``) and when the bucket is full again
(``Ratelimit-Reset``, a Unix epoch time). The bucket here counts requests in flight against
the last known budget and, once it is empty, holds new requests until the reset instead of
letting them earn a 429.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

__all__ = ["MAX_RESET_WAIT", "RateLimitBucket", "RateLimitStatus"]

_log = logging.getLogger(__name__)

#: Twitch's bucket refills within a minute; a reset further away than this is treated as a
#: clock disagreement and capped, so a bad header cannot stall the app for hours.
MAX_RESET_WAIT = 65.0


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """The latest budget Twitch reported, for the status bar.

    Attributes:
        key: Whose bucket: a user id, or ``"app"`` for app-token requests.
        limit: ``Ratelimit-Limit`` (800 in Twitch's example).
        remaining: ``Ratelimit-Remaining``.
        reset: ``Ratelimit-Reset`` as an aware UTC datetime.
    """

    key: str
    limit: int
    remaining: int
    reset: datetime


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


class RateLimitBucket:
    """One bucket (one user, or the app).

    Args:
        key: Whose bucket it is.
        clock: Epoch seconds (``time.time``); tests may pass their own.
        sleep: ``asyncio.sleep``; tests may pass their own.
    """

    def __init__(
        self,
        key: str,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.key = key
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset: float | None = None
        #: Bumped at every refill, so late responses from before it are recognised.
        self.generation = 0
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    def _seconds_to_reset(self) -> float:
        if self.reset is None:
            return 0.0
        wait = self.reset - self._clock()
        if wait > MAX_RESET_WAIT:
            _log.warning("Ratelimit-Reset is %.0fs away; waiting %.0fs", wait, MAX_RESET_WAIT)
            return MAX_RESET_WAIT
        return max(0.0, wait)

    async def acquire(self) -> int:
        """Take one point, first waiting for the reset if the bucket is empty.

        Returns:
            The bucket's generation, to pass back to :meth:`update` with the response.
        """
        async with self._lock:
            if self.remaining is not None and self.remaining <= 0:
                await self._sleep_until_reset()
                self._refilled()
            if self.remaining is not None:
                self.remaining -= 1
            return self.generation

    async def _sleep_until_reset(self) -> float:
        # Responses to requests still in flight may move the reset later while we sleep
        # (each one spent a point), so look again after waking.
        total = 0.0
        wait = self._seconds_to_reset()
        while wait > 0 and total < MAX_RESET_WAIT:
            _log.info("rate limit bucket %s is empty; waiting %.2fs", self.key, wait)
            await self._sleep(wait)
            total += wait
            wait = self._seconds_to_reset()
        return total

    def _refilled(self) -> None:
        # The bucket is full at the reset instant. Responses to requests sent before now
        # describe the old bucket, so they no longer lower the count (see update()).
        self.remaining = self.limit
        self.reset = None
        self.generation += 1

    def status(self) -> RateLimitStatus | None:
        """The budget as last reported (and counted down locally), or None if unknown."""
        if self.limit is None or self.remaining is None or self.reset is None:
            return None
        return RateLimitStatus(
            key=self.key,
            limit=self.limit,
            remaining=max(0, self.remaining),
            reset=datetime.fromtimestamp(self.reset, tz=UTC),
        )

    def release(self) -> None:
        """Give a point back: the request never reached Twitch."""
        if self.remaining is not None and self.limit is not None:
            self.remaining = min(self.limit, self.remaining + 1)

    async def wait_for_reset(self) -> float:
        """After a 429: hold this bucket (and everyone using it) until the reset.

        Returns:
            The seconds waited.
        """
        async with self._lock:
            waited = await self._sleep_until_reset()
            self._refilled()
            return waited

    def update(
        self, headers: Mapping[str, str], generation: int | None = None
    ) -> RateLimitStatus | None:
        """Read the ``Ratelimit-*`` headers of a response.

        The count here only goes down between refills: a response reports the budget when
        Twitch handled it, before the requests still in flight, so a higher number than the
        local count is stale. Responses to requests sent before the last refill
        (``generation`` older than the bucket's) do not change the count at all.

        Returns:
            The reported budget, or None when the headers were absent.
        """
        limit = _header_int(headers, "Ratelimit-Limit")
        remaining = _header_int(headers, "Ratelimit-Remaining")
        reset = _header_int(headers, "Ratelimit-Reset")
        if limit is None or remaining is None or reset is None:
            return None
        if generation is None or generation >= self.generation:
            self.limit = limit
            self.remaining = remaining if self.remaining is None else min(self.remaining, remaining)
            # The latest reset wins: every request in flight pushes the full-again time later.
            self.reset = float(reset) if self.reset is None else max(self.reset, float(reset))
        return RateLimitStatus(
            key=self.key,
            limit=limit,
            remaining=remaining,
            reset=datetime.fromtimestamp(reset, tz=UTC),
        )
