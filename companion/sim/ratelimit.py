"""Helix's token-bucket rate limiter, as Twitch documents it.

Documented (SOURCES.md, "Generic Helix error body, rate limits, 429"): a token bucket per
client id per user for user tokens and one for app tokens; a request costs its endpoint's
points (default 1, the only value served here); an empty bucket answers 429; limits are
per minute; ``Ratelimit-Limit`` is the bucket's size (800 in the example, "the rate at which
points are added" in an older copy), ``Ratelimit-Remaining`` the points left,
``Ratelimit-Reset`` the Unix time when the bucket is full again.

The reference is silent on how the points come back within the minute and on rounding.
Here the bucket refills continuously (``points`` over ``window`` seconds, the older copy's
"rate at which points are added"), ``Ratelimit-Remaining`` is the whole points left (rounded
down) and ``Ratelimit-Reset`` the first whole second at which the bucket is full (rounded
up: "when the bucket is full again", never before). This module is written from the
reference alone, not from the client.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class Bucket:
    """One bucket: ``tokens`` points left at time ``stamp``."""

    tokens: float
    stamp: float


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of taking points from a bucket, with the values of the headers."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        """``Ratelimit-Limit``, ``Ratelimit-Remaining``, ``Ratelimit-Reset`` (epoch seconds)."""
        return {
            "Ratelimit-Limit": str(self.limit),
            "Ratelimit-Remaining": str(self.remaining),
            "Ratelimit-Reset": str(self.reset),
        }


class RateLimiter:
    """Token buckets keyed per (client id, user id) for user tokens, per client id for app
    tokens (documented: separate buckets; user limits are per client ID per user).

    A bucket holds ``points`` and refills continuously, completely in ``window`` seconds.

    Args:
        points: Bucket size (``Ratelimit-Limit``).
        window: Seconds for an empty bucket to fill.
        clock: Epoch-seconds clock.
    """

    def __init__(self, points: int, window: float, clock: Callable[[], float] = time.time) -> None:
        self.points = points
        self.window = window
        self._rate = points / window
        self._clock = clock
        self._buckets: dict[tuple[str, str | None], Bucket] = {}

    def __repr__(self) -> str:
        return (
            f"RateLimiter(points={self.points}, window={self.window}, buckets={len(self._buckets)})"
        )

    def take(self, key: tuple[str, str | None], cost: int = 1) -> RateDecision:
        """Take ``cost`` points from the bucket of ``key`` if it has them."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(float(self.points), now)
        else:
            bucket.tokens = min(self.points, bucket.tokens + (now - bucket.stamp) * self._rate)
            bucket.stamp = now
        allowed = bucket.tokens >= cost
        if allowed:
            bucket.tokens -= cost
        return self._decision(allowed, bucket, now)

    def peek(self, key: tuple[str, str | None]) -> RateDecision:
        """The current header values of ``key`` without taking points."""
        now = self._clock()
        bucket = self._buckets.get(key) or Bucket(float(self.points), now)
        tokens = min(self.points, bucket.tokens + (now - bucket.stamp) * self._rate)
        return self._decision(True, Bucket(tokens, now), now)

    def drain(self, key: tuple[str, str | None]) -> None:
        """Empty the bucket of ``key`` (used by the 429 fault)."""
        self._buckets[key] = Bucket(0.0, self._clock())

    def _decision(self, allowed: bool, bucket: Bucket, now: float) -> RateDecision:
        missing = self.points - bucket.tokens
        reset = math.ceil(now + missing / self._rate) if missing > 0 else math.ceil(now)
        return RateDecision(allowed, self.points, int(bucket.tokens), reset)

    def reset(self) -> None:
        """Forget every bucket (all full again)."""
        self._buckets.clear()
