"""Client-side view of Twitch's token bucket, fed by the ``Ratelimit-*`` headers.

Twitch keeps one bucket per client id per user (and one for app tokens). Each response
says how many points are left (``Ratelimit-Remaining``) and when the bucket is full again
(``Ratelimit-Reset``, a Unix epoch time). The bucket here counts requests in flight against
the last known budget and, once it is empty, holds new requests until the reset instead of
letting them earn a 429.

Headers come from the network, so they are read defensively (SOURCES.md, "Generic Helix
error body, rate limits, 429": the bucket refills "within 1 minute"):

* a reset is believed at most one minute ahead (:data:`RESET_WINDOW_SECONDS`): a later one
  is clamped to it, so no wait on the bucket is longer than Twitch's own window;
* headers that cannot be a budget (not integers, a negative count, more left than the limit,
  a reset more than a day from our clock) count as absent: the answer is used, the budget
  stays as it was;
* nobody sleeps holding a lock: each waiting request sleeps on its own and looks at the
  bucket again when it wakes, so one sleeping request never holds up another.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

__all__ = [
    "MAX_CLOCK_SKEW_SECONDS",
    "RESET_WINDOW_SECONDS",
    "RateLimitBucket",
    "RateLimitStatus",
    "parse_ratelimit_headers",
]

_log = logging.getLogger(__name__)

#: SOURCES.md: "if the bucket runs out within 1 minute the request returns 429", limits are
#: "per minute": the bucket is full again within a minute, so no reset is believed further
#: away than this, and one request never waits longer than this on the bucket in total.
RESET_WINDOW_SECONDS: Final = 60.0
#: A reset further than this from our clock is not a time on a clock we share with Twitch
#: (the reference is silent on skew; a day covers a system clock set to local time in any
#: time zone, up to 14 h off): the headers count as absent.
MAX_CLOCK_SKEW_SECONDS: Final = 86_400.0
#: Digits in a plausible header value (an epoch time has 10 until the year 2286).
_MAX_DIGITS: Final = 12
#: How often a request looks again at a bucket that was refilled here and spent before any
#: response told its next reset (one is usually in flight and arrives within this).
_RECHECK_SECONDS: Final = 0.1


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """The latest budget Twitch reported, for the status bar.

    Attributes:
        key: Whose bucket: a user id, or ``"app"`` for app-token requests.
        limit: ``Ratelimit-Limit`` (800 in Twitch's example).
        remaining: ``Ratelimit-Remaining``.
        reset: ``Ratelimit-Reset`` as an aware UTC datetime (clamped to the window).
    """

    key: str
    limit: int
    remaining: int
    reset: datetime


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    text = value.strip()
    digits = text.removeprefix("-")
    # Plain ASCII digits only: no "1e20", "NaN", "٣" or a 5000-digit number.
    if not digits or len(digits) > _MAX_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    return int(text)


def parse_ratelimit_headers(
    headers: Mapping[str, str], now: float
) -> tuple[int, int, float] | None:
    """``(limit, remaining, reset)`` from a response's headers, or None if unusable.

    ``reset`` is clamped to at most :data:`RESET_WINDOW_SECONDS` after ``now``.

    Args:
        headers: The response headers.
        now: Epoch seconds on our clock.
    """
    limit = _header_int(headers, "Ratelimit-Limit")
    remaining = _header_int(headers, "Ratelimit-Remaining")
    reset = _header_int(headers, "Ratelimit-Reset")
    if limit is None or remaining is None or reset is None:
        return None
    if limit <= 0 or not 0 <= remaining <= limit:
        return None
    if abs(reset - now) > MAX_CLOCK_SKEW_SECONDS:
        return None
    return limit, remaining, min(float(reset), now + RESET_WINDOW_SECONDS)


class RateLimitBucket:
    """One bucket (one user, or the app).

    Args:
        key: Whose bucket it is.
        clock: Epoch seconds (``time.time``); tests may pass their own.
        sleep: ``asyncio.sleep``; tests may pass their own. Every wait on rate-limit time,
            after a 429 too, goes through it.
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
        #: When the last refill happened (our clock), or None.
        self.refilled_at: float | None = None
        self._clock = clock
        self._sleep = sleep
        self._warned = False

    def __repr__(self) -> str:
        return f"<RateLimitBucket {self.key} remaining={self.remaining} limit={self.limit}>"

    def seconds_to_reset(self) -> float:
        """Seconds until the reported reset (0 when unknown or past)."""
        if self.reset is None:
            return 0.0
        return max(0.0, self.reset - self._clock())

    @property
    def empty(self) -> bool:
        """True when the last known budget is spent."""
        return self.remaining is not None and self.remaining <= 0

    async def acquire(self, max_wait: float = RESET_WINDOW_SECONDS) -> tuple[int, float]:
        """Take one point, first waiting for the reset if the bucket is empty.

        Args:
            max_wait: The longest this call may wait (the request's remaining allowance);
                past it the point is taken anyway and Twitch has the last word.

        Returns:
            The bucket's generation (pass it back to :meth:`update` with the response) and
            the seconds waited.
        """
        waited = 0.0
        while self.empty:
            to_reset = self._seconds_to_next_refill()
            if to_reset <= 0:
                self._refilled()
                break
            wait = min(to_reset, max_wait - waited)
            if wait <= 0:
                # This request may wait no longer: it goes out and Twitch has the last word
                # (a 429 is handled like any other). The bucket stays empty for the others.
                return self.generation, waited
            _log.info("rate limit bucket %s is empty; waiting %.2fs", self.key, wait)
            await self._sleep(wait)
            waited += wait
            # Requests that woke first may have refilled it, and responses to requests in
            # flight may have moved the reset (never past the window): look again.
        if self.remaining is not None:
            self.remaining -= 1
        return self.generation, waited

    def _seconds_to_next_refill(self) -> float:
        if self.reset is not None or self.refilled_at is None:
            return self.seconds_to_reset()
        # Refilled here and spent again before any response of the new round told its reset:
        # look again shortly (a response in flight sets it); Twitch's bucket is full again
        # one window after it last was, at the latest.
        latest = self.refilled_at + RESET_WINDOW_SECONDS - self._clock()
        return max(0.0, min(_RECHECK_SECONDS, latest)) if latest > 0 else 0.0

    async def wait_for_reset(
        self, *, at_least: float = 0.0, at_most: float = RESET_WINDOW_SECONDS
    ) -> float:
        """Sleep until the reset (bounded by ``at_least`` and ``at_most``), then refill.

        Used after a 429 (and by EventSub before subscribing on a low budget). Only the
        caller sleeps: other requests go on looking at the bucket themselves.

        Returns:
            The seconds waited.
        """
        wait = max(0.0, min(max(self.seconds_to_reset(), at_least), at_most))
        if wait > 0:
            await self._sleep(wait)
        if self.empty and self.seconds_to_reset() <= 0:
            self._refilled()
        return wait

    async def backoff(self, seconds: float) -> float:
        """Sleep ``seconds`` on this bucket's clock without touching its state (a 429 that
        told nothing about the bucket)."""
        if seconds > 0:
            await self._sleep(seconds)
        return max(0.0, seconds)

    def _refilled(self) -> None:
        # The bucket is full at the reset instant. Responses to requests sent before now
        # describe the old bucket, so they no longer lower the count (see update()).
        self.remaining = self.limit
        self.reset = None
        self.refilled_at = self._clock()
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

    def update(
        self, headers: Mapping[str, str], generation: int | None = None
    ) -> RateLimitStatus | None:
        """Read the ``Ratelimit-*`` headers of a response.

        The count here only goes down between refills: a response reports the budget when
        Twitch handled it, before the requests still in flight, so a higher number than the
        local count is stale. Responses to requests sent before the last refill
        (``generation`` older than the bucket's) do not change the count at all.

        Returns:
            The reported budget (its reset clamped to the window), or None when the headers
            were absent or could not be a budget (the bucket is then left as it was).
        """
        now = self._clock()
        parsed = parse_ratelimit_headers(headers, now)
        if parsed is None:
            if "Ratelimit-Reset" in headers or "Ratelimit-Remaining" in headers:
                self._warn_once(headers)
            return None
        limit, remaining, reset = parsed
        if generation is None or generation >= self.generation:
            self.limit = limit
            self.remaining = remaining if self.remaining is None else min(self.remaining, remaining)
            # The latest reset wins: every request in flight pushes the full-again time later.
            self.reset = reset if self.reset is None else max(self.reset, reset)
        return RateLimitStatus(
            key=self.key,
            limit=limit,
            remaining=remaining,
            reset=datetime.fromtimestamp(reset, tz=UTC),
        )

    def _warn_once(self, headers: Mapping[str, str]) -> None:
        # Once per bucket: a server that always sends nonsense must not flood the log.
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        _log.log(
            level,
            "ignoring Ratelimit headers that cannot be a budget: limit=%.20r remaining=%.20r "
            "reset=%.20r",
            headers.get("Ratelimit-Limit"),
            headers.get("Ratelimit-Remaining"),
            headers.get("Ratelimit-Reset"),
        )
