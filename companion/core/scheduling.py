"""The clock and timer the redemption queue runs its undo windows on.

The queue never reads the time or starts a timer itself: it asks a
:class:`Scheduler`. The app passes :class:`AsyncioScheduler` (which works on the
qasync loop too, since qasync implements ``call_later``); tests pass a fake whose
time only moves when the test says so, so an undo window is exact and instant.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["AsyncioScheduler", "Scheduler", "TimerHandle"]

_log = logging.getLogger(__name__)


class TimerHandle(Protocol):
    """A scheduled callback that can be called off."""

    def cancel(self) -> None:
        """Stop the callback from running; a no-op once it ran."""


class Scheduler(Protocol):
    """A monotonic clock and a one-shot timer."""

    def time(self) -> float:
        """Monotonic seconds (only differences mean anything)."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` once, ``delay`` seconds from now, on the event loop."""


class AsyncioScheduler:
    """The real scheduler: the running event loop's ``call_later``.

    The loop is looked up at each call, so the scheduler can be built before the
    loop runs (the app builds its core objects first, then starts qasync).
    """

    def time(self) -> float:
        """``time.monotonic()``, the clock asyncio's default loops use as well."""
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Schedule ``callback`` on the running loop."""
        loop = asyncio.get_running_loop()
        return loop.call_later(max(0.0, delay), callback)
