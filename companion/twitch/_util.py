"""Small helpers shared inside :mod:`companion.twitch` (not public API)."""

from __future__ import annotations

import inspect
import logging
import random
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable

_log = logging.getLogger(__name__)

T = TypeVar("T")


async def maybe_await(value: T | Awaitable[T]) -> T:
    """Await ``value`` if it is awaitable, else return it (hooks may be plain or async)."""
    if inspect.isawaitable(value):
        return await value
    return value


def backoff_delay(attempt: int, base: float, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter: a random delay in [base*2^attempt/2, base*2^attempt].

    Jitter keeps many clients (or many requests of one client) from retrying in lockstep.
    """
    ceiling = min(cap, base * (2**attempt))
    return random.uniform(ceiling / 2, ceiling)  # jitter, not cryptography
