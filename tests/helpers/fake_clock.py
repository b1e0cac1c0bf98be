"""A fake clock and timer for code that takes a ``Scheduler`` (companion.core.scheduling),
and fake epoch time for code that takes ``clock=``/``sleep=`` (the rate-limit bucket).

Time only moves when a test calls :meth:`FakeScheduler.advance`; callbacks that fall
due run in due order, inside that call, on the caller's thread and loop.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class FakeTimerHandle:
    """One scheduled callback; ``cancel()`` stops it from running."""

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False
        self.ran = False

    def cancel(self) -> None:
        self.cancelled = True

    def __repr__(self) -> str:
        return f"FakeTimerHandle(when={self.when}, cancelled={self.cancelled}, ran={self.ran})"


class FakeScheduler:
    """A monotonic clock that starts at ``start`` and a heap of timers."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, FakeTimerHandle]] = []
        self._order = itertools.count()
        self.scheduled: list[FakeTimerHandle] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> FakeTimerHandle:
        handle = FakeTimerHandle(self.now + max(0.0, delay), callback)
        heapq.heappush(self._heap, (handle.when, next(self._order), handle))
        self.scheduled.append(handle)
        return handle

    def advance(self, seconds: float) -> int:
        """Move time forward and run every callback that falls due; returns how many ran."""
        target = self.now + seconds
        ran = 0
        while self._heap and self._heap[0][0] <= target:
            when, _, handle = heapq.heappop(self._heap)
            self.now = max(self.now, when)
            if handle.cancelled:
                continue
            handle.ran = True
            handle.callback()
            ran += 1
        self.now = target
        return ran

    def pending(self) -> int:
        """How many timers are scheduled and neither ran nor were cancelled."""
        return sum(1 for _, _, handle in self._heap if not handle.cancelled)


class FakeEpoch:
    """Epoch seconds and an ``asyncio.sleep`` stand-in for code that waits on wall time
    (the rate-limit bucket's ``clock=`` and ``sleep=``).

    Each sleep is recorded and moves the clock forward by its length. With ``hold=True``
    a sleep does not return until :meth:`release` (a request "still sleeping").
    """

    def __init__(self, start: float, *, hold: bool = False) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._released = asyncio.Event()
        if not hold:
            self._released.set()

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await self._released.wait()
        self.now += seconds
        await asyncio.sleep(0)

    def release(self) -> None:
        """Let every held sleep (and every later one) return."""
        self._released.set()


class VirtualEpoch:
    """Epoch seconds and an ``asyncio.sleep`` stand-in on which concurrent sleepers wake in
    order of their deadlines, as on a real clock (unlike :class:`FakeEpoch`, where each
    sleep moves the clock by its own length).

    Time moves only inside :meth:`run`: whenever every task is blocked, the clock jumps to
    the earliest deadline and that sleeper wakes.
    """

    def __init__(self, start: float) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self.now + max(0.0, seconds), next(self._order), wake))
        await wake

    async def settle(self) -> None:
        """Let every task run until it blocks (a few loop turns)."""
        for _ in range(20):
            await asyncio.sleep(0)

    async def run_until(self, done: Callable[[], bool], *, limit: float = 3600.0) -> None:
        """Advance time, deadline by deadline, until ``done()`` (at most ``limit`` seconds).

        Raises:
            AssertionError: Nothing sleeps any more and ``done()`` is still false, or
                ``limit`` passed.
        """
        end = self.now + limit
        await self.settle()
        while not done():
            while self._heap and self._heap[0][2].done():
                heapq.heappop(self._heap)  # a sleep that was cancelled: no deadline
            if not self._heap:
                raise AssertionError("nothing is sleeping, and the condition is not met")
            when, _, wake = heapq.heappop(self._heap)
            if when > end:
                raise AssertionError(f"not done within {limit} s of virtual time")
            self.now = max(self.now, when)
            if not wake.done():
                wake.set_result(None)
            await self.settle()
