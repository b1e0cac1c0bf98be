"""Client-side view of Twitch's token bucket, fed by the ``Ratelimit-*`` headers.

Twitch keeps one bucket per client id per user (and one for app tokens). Each response
says how many points are left (``Ratelimit-Remaining``) and when the bucket is full again
(``Ratelimit-Reset``, a Unix epoch time). SOURCES.md ("Generic Helix error body, rate
limits, 429") documents a token bucket whose limits are "per minute"; it is silent on how
the points come back within the minute. This bucket assumes the least it can: it keeps a
*lower bound* of the points Twitch holds for new requests and sends a request as soon as
that bound reaches one point, so a spent bucket is used as it refills instead of in bursts
a full minute apart, without a 429:

* the bound is rebuilt from each answer: ``Ratelimit-Remaining`` (whole points left, so at
  most what Twitch holds), minus every request sent after the answered one (still in flight
  or answered out of order: they may not be counted yet);
* it grows at a refill rate no faster than the headers prove: an answer that says ``m``
  points are missing and the bucket is full at ``Reset`` shows at least ``m - 1`` points come
  back between sending it and ``Reset`` (the count is whole points, the reset a whole second
  not before the bucket is full, as "when the bucket is full again" reads); and never slower
  than a full bucket per minute, the documented window (a reading up to 10 % faster than
  that is taken for our clock running ahead of Twitch's, and ignored);
* at ``Reset`` the bucket is full (documented), less what was sent since;
* on a cold start, with no budget known, one request goes and the others wait for its
  answer (its headers set the pace) instead of bursting into an unknown budget.

Headers come from the network, so they are read defensively (SOURCES.md: the bucket refills
"within 1 minute"):

* a reset is believed at most one minute ahead (:data:`RESET_WINDOW_SECONDS`): a later one
  is clamped to it, so no wait on the bucket is longer than Twitch's own window;
* headers that cannot be a budget (not integers, a negative count, more left than the limit,
  a reset more than a day from our clock) count as absent: the answer is used, the budget
  stays as it was;
* nobody sleeps holding a lock: each waiting request sleeps on its own until the bound
  covers it and those ahead of it in line, and looks at the bucket again when it wakes, so
  one sleeping request never holds up another.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

__all__ = [
    "MAX_CLOCK_SKEW_SECONDS",
    "RESET_WINDOW_SECONDS",
    "RateLimitBucket",
    "RateLimitStatus",
    "Ticket",
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
#: ``Ratelimit-Reset`` is a whole second: a refill rate is never read from less than this
#: between sending a request and its reset (a reset a moment away says little about speed).
_RESET_RESOLUTION_SECONDS: Final = 1.0
#: A waiting request counts a bound this close below a whole point as the point (float
#: arithmetic on a wake-up computed for exactly that point).
_EPSILON_POINTS: Final = 1e-6
#: Sleeping requests are woken to look again when answers show a refill faster than this
#: factor of the one their wake-up was computed with. Smaller gains need no wake-up: each
#: sleeps half its wait and looks again (see acquire), which is never past its turn unless
#: the refill is twice as fast as it assumed.
_KICK_RATE_GAIN: Final = 1.5
#: A refill rate read from the headers is used only if it is more than this factor above the
#: documented minute's (``limit`` points per 60 s): 10 % is a clock 5.4 s ahead of Twitch's.
_SKEW_MARGIN: Final = 1.1
#: A request that will wait longer than this looks again halfway (see acquire).
_LOOK_AGAIN_SECONDS: Final = 0.25
#: The shortest look-again for a request whose point is due but not yet covered (the bound
#: is capped at a full bucket while answers for requests in flight are still coming).
_MIN_NAP_SECONDS: Final = 0.01


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


class Ticket(NamedTuple):
    """One point taken from a bucket: pass it back with the answer (or when it never left).

    Attributes:
        seq: The point's number in the bucket (1, 2, ... in the order taken).
        at: When it was taken (the bucket's clock), no later than Twitch saw the request.
    """

    seq: int
    at: float


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
        #: ``Ratelimit-Limit`` of the latest answer that set the bound, or None.
        self.limit: int | None = None
        #: ``Ratelimit-Reset`` of that answer (clamped to the window), or None.
        self.reset: float | None = None
        self._clock = clock
        self._sleep = sleep
        self._warned = False
        # The bound: ``min(limit, base + rate * (now - base_at))`` points, or ``limit`` from
        # ``full_at`` on, less the points taken after ticket ``base_seq`` (``taken - base_seq
        # - returned``). Rebuilt from the newest answer, and rolled forward whenever the
        # bucket is full again (see _roll).
        self._base = 0.0
        self._base_at = 0.0
        self._base_seq = 0
        self._full_at = math.inf
        self._returned = 0
        self._taken = 0
        self._last_take_at = -math.inf
        #: Refill rate in points per second, a lower bound (see the module docstring).
        self._rate = 0.0
        # Requests waiting for points, in the order they came.
        self._line: deque[object] = deque()
        # Cold start: the one request out before any budget is known, and where the others
        # wait for its answer.
        self._probe: int | None = None
        self._unpaced = False
        self._gate = asyncio.Event()
        # Set (and replaced) to wake the sleepers in line when the refill proves faster
        # than the slowest rate one of them went to sleep with.
        self._kick = asyncio.Event()
        self._slept_rate = math.inf

    def __repr__(self) -> str:
        return f"<RateLimitBucket {self.key} remaining={self.remaining} limit={self.limit}>"

    # -- the bound ---------------------------------------------------------------------

    @property
    def remaining(self) -> int | None:
        """Whole points Twitch surely holds for new requests now (None while unknown)."""
        if self.limit is None:
            return None
        return max(0, math.floor(self._available(self._clock()) + _EPSILON_POINTS))

    @property
    def empty(self) -> bool:
        """True when the budget is known and not one point is surely left."""
        return self.limit is not None and self._available(self._clock()) < 1 - _EPSILON_POINTS

    def seconds_to_reset(self) -> float:
        """Seconds until the reported reset (0 when unknown or past)."""
        if self.reset is None:
            return 0.0
        return max(0.0, self.reset - self._clock())

    def _spent(self) -> int:
        return self._taken - self._base_seq - self._returned

    def _roll(self, now: float) -> None:
        # Once the bound says the bucket is full again, restart it from there: full then,
        # less what was sent before (every later send rolls first), so points sent after it
        # was full count as refilling again instead of as missing for ever.
        if self.limit is None:
            return
        full = self._full_at
        if self._rate > 0:
            full = min(full, self._base_at + (self.limit - self._base) / self._rate)
        if now >= full:
            self._base = float(self.limit - self._spent())
            # Refilling from the last send on, not from ``full``: a send after it (known
            # only now, e.g. a reset already past when it arrived) took from a full bucket.
            self._base_at = max(full, self._last_take_at)
            self._base_seq = self._taken
            self._returned = 0
            self._full_at = math.inf

    def _available(self, now: float) -> float:
        assert self.limit is not None
        self._roll(now)
        refilled = self._base + self._rate * max(0.0, now - self._base_at)
        return min(float(self.limit), refilled) - self._spent()

    def _seconds_until(self, need: int, now: float) -> float:
        """Seconds until the bound reaches ``need`` points (with nothing else taken)."""
        assert self.limit is not None
        target = need + self._spent()  # what base + rate * t must reach
        if self._rate <= 0:
            return max(0.0, self._full_at - now) if target <= self.limit else math.inf
        at = self._base_at + (target - self._base) / self._rate
        if target <= self.limit:
            at = min(at, self._full_at)
        # More than a full bucket ahead: the line moves at the refill rate and answers
        # rebuild the bound on the way; this is when it comes round (it looks again then).
        return max(0.0, at - now)

    # -- taking points -----------------------------------------------------------------

    def _take(self, now: float) -> Ticket:
        self._taken += 1
        self._last_take_at = now
        return Ticket(self._taken, now)

    async def acquire(self, max_wait: float = RESET_WINDOW_SECONDS) -> tuple[Ticket, float]:
        """Take one point, first waiting (in line) until the bound covers it.

        Before any budget is known, one request goes and the others wait for its answer.

        Args:
            max_wait: The longest this call may sleep on the bucket (the request's remaining
                allowance); past it the point is taken anyway and Twitch has the last word.

        Returns:
            The ticket (pass it back to :meth:`update` with the answer, to :meth:`release`
            if the request never left, and to :meth:`settle` when it is over) and the
            seconds waited.
        """
        started = self._clock()
        while self.limit is None and not self._unpaced:
            if self._probe is None:
                ticket = self._take(self._clock())
                self._probe = ticket.seq
                return ticket, self._clock() - started
            # Not a sleep on rate-limit time: the first answer is awaited, whenever it comes.
            await self._gate.wait()
        if self.limit is None or (not self._line and not self.empty):
            return self._take(self._clock()), self._clock() - started
        place = object()
        self._line.append(place)
        try:
            while True:
                now = self._clock()
                waited = now - started
                need = self._line.index(place) + 1  # our point and one each ahead of us
                if self._available(now) >= need - _EPSILON_POINTS:
                    break
                allowance = max_wait - waited
                if allowance <= 0:
                    # This request may wait no longer: it goes out and Twitch has the last
                    # word (a 429 is handled like any other).
                    break
                until = self._seconds_until(need, now)
                # Far back in line, look again halfway: answers meanwhile may show a faster
                # refill than this wake-up was computed with (gains too small to wake the
                # whole line for), and the line then moves up sooner.
                if until > _LOOK_AGAIN_SECONDS:
                    until = max(until / 2, _LOOK_AGAIN_SECONDS)
                wait = min(max(until, _MIN_NAP_SECONDS), allowance)
                _log.debug("rate limit bucket %s: %d in line; waiting %.3fs", self.key, need, wait)
                await self._nap(wait)
        except BaseException:
            # Cancelled (or failed) while in line: those behind it are a place nearer the
            # front than their wake-ups assumed.
            self._line.remove(place)
            if self._line:
                self._wake_line()
            raise
        self._line.remove(place)
        now = self._clock()
        return self._take(now), now - started

    async def _nap(self, seconds: float) -> None:
        # Sleep on the bucket's clock, or less when answers show a faster refill.
        self._slept_rate = min(self._slept_rate, self._rate)
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        kicked = asyncio.ensure_future(self._kick.wait())
        try:
            await asyncio.wait((sleeper, kicked), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, kicked):
                task.cancel()
            await asyncio.gather(sleeper, kicked, return_exceptions=True)

    def _wake_line(self) -> None:
        self._slept_rate = math.inf
        self._kick.set()
        self._kick = asyncio.Event()

    def _open_gate(self) -> None:
        self._probe = None
        self._gate.set()
        self._gate = asyncio.Event()

    def release(self, ticket: Ticket | None = None) -> None:
        """Give a point back: the request never reached Twitch."""
        if ticket is None:
            return
        if ticket.seq > self._base_seq:
            self._returned += 1
        self.settle(ticket)

    def settle(self, ticket: Ticket) -> None:
        """The request of ``ticket`` is over (answered or not); idempotent.

        If it was the cold start's one request and no budget came of it, the next waiting
        request goes in its place.
        """
        if self._probe == ticket.seq:
            self._open_gate()

    async def wait_for_points(self, need: int, *, at_most: float = RESET_WINDOW_SECONDS) -> float:
        """Sleep until the bound covers ``need`` points (at most ``at_most`` seconds).

        For a caller about to send ``need`` requests in a hurry (EventSub's subscriptions
        within the welcome window): it waits for just those points as they refill, not for
        the whole bucket's reset. Takes nothing; the requests still go through
        :meth:`acquire`. An unknown budget waits nothing (the first answer sets the pace).

        Returns:
            The seconds waited.
        """
        if self.limit is None:
            return 0.0
        need = min(need, self.limit)
        started = self._clock()
        while True:
            now = self._clock()
            waited = now - started
            if self._available(now) >= need - _EPSILON_POINTS or waited >= at_most:
                return waited
            # A microsecond past the computed moment: epoch seconds are floats with a
            # resolution of about 2.4e-7 s, which at 800 points a minute is a few millionths
            # of a point short; this lands past it instead of a nap later.
            until = self._seconds_until(need, now) + 1e-6
            await self._sleep(min(until, at_most - waited))

    # -- waits after a 429 ---------------------------------------------------------------

    async def wait_for_reset(
        self, *, at_least: float = 0.0, at_most: float = RESET_WINDOW_SECONDS
    ) -> float:
        """Sleep until the reset (bounded by ``at_least`` and ``at_most``).

        Used after a 429 (and by EventSub before subscribing on a low budget). Only the
        caller sleeps: other requests go on looking at the bucket themselves. The refill
        rate learned from answers is forgotten (a 429 shows the bound was wrong, e.g.
        another program spends the same bucket): the documented minute paces until answers
        show more.

        Returns:
            The seconds waited.
        """
        if self.limit is not None:
            self._rate = self.limit / RESET_WINDOW_SECONDS
        wait = max(0.0, min(max(self.seconds_to_reset(), at_least), at_most))
        if wait > 0:
            await self._sleep(wait)
        return wait

    async def backoff(self, seconds: float) -> float:
        """Sleep ``seconds`` on this bucket's clock without touching its state (a 429 that
        told nothing about the bucket)."""
        if seconds > 0:
            await self._sleep(seconds)
        return max(0.0, seconds)

    # -- answers -------------------------------------------------------------------------

    def status(self) -> RateLimitStatus | None:
        """The budget as last reported (its count kept up to date here), or None."""
        remaining = self.remaining
        if self.limit is None or remaining is None or self.reset is None:
            return None
        return RateLimitStatus(
            key=self.key,
            limit=self.limit,
            remaining=remaining,
            reset=datetime.fromtimestamp(self.reset, tz=UTC),
        )

    def update(
        self, headers: Mapping[str, str], ticket: Ticket | None = None, *, refused: bool = False
    ) -> RateLimitStatus | None:
        """Read the ``Ratelimit-*`` headers of the answer to ``ticket``'s request.

        The answer of the newest request so far rebuilds the bound (an older one arriving
        late tells less); every answer but a refusal may raise the refill rate. Without
        ``ticket`` the answer counts as one to the newest request, sent now.

        Args:
            headers: The answer's headers.
            ticket: The ticket :meth:`acquire` gave for the request.
            refused: A 429: its budget counts, but no refill rate is read from it (Twitch
                also answers 429 "for reasons unrelated to the general rate limit bucket",
                and a bucket that refused the request is no evidence of a fast refill).

        Returns:
            The reported budget (its reset clamped to the window), or None when the headers
            were absent or could not be a budget (the bucket is then left as it was).
        """
        now = self._clock()
        parsed = parse_ratelimit_headers(headers, now)
        if parsed is None:
            if "Ratelimit-Reset" in headers or "Ratelimit-Remaining" in headers:
                self._warn_once(headers)
            if self.limit is None and ticket is not None and self._probe == ticket.seq:
                # The server tells no budget: there is nothing to pace by (as before any
                # budget is known), so the waiting requests go.
                self._unpaced = True
                self._open_gate()
            return None
        limit, remaining, reset = parsed
        seq, sent_at = ticket if ticket is not None else (self._taken, now)
        if limit != self.limit:
            # A new (or resized) bucket: start from the documented minute and this answer.
            self.limit = limit
            self._rate = limit / RESET_WINDOW_SECONDS
            self._base_seq = -1
        missing = limit - remaining
        span = max(reset - sent_at, _RESET_RESOLUTION_SECONDS)
        if missing >= 2 and reset > sent_at and not refused:
            rate = (missing - 1) / span
            # Near the documented minute, a faster reading is our clock running ahead of
            # Twitch's (the reset is Twitch's time; the reference says nothing of skew):
            # trusting it would spend points a little before they are back.
            if rate > self._rate and rate > limit / RESET_WINDOW_SECONDS * _SKEW_MARGIN:
                self._rate = rate
                if self._line and rate > self._slept_rate * _KICK_RATE_GAIN:
                    self._wake_line()
        if seq >= self._base_seq:
            self._base = float(remaining)
            self._base_at = now
            self._base_seq = seq
            self._returned = 0
            self._full_at = reset
            self.reset = reset
        if self._probe is not None and self._probe == seq:
            self._open_gate()
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
