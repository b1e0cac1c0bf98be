"""The app's event loop runs every delayed callback exactly once, at or after its time."""

from __future__ import annotations

import asyncio

import pytest

from companion.qtloop import CompanionEventLoop


@pytest.mark.qt_loop
async def test_equal_timer_handles_each_run_once() -> None:
    # asyncio.TimerHandle compares equal (and hashes alike) when deadline, callback and
    # arguments are equal; two such handles once shared one bookkeeping key, and one of
    # them was lost with a KeyError in timerEvent (seen in the refcount probe).
    loop = asyncio.get_running_loop()
    assert isinstance(loop, CompanionEventLoop)
    ran: list[str] = []
    when = loop.time() + 0.02
    first = asyncio.TimerHandle(when, ran.append, ("tick",), loop, None)
    second = asyncio.TimerHandle(when, ran.append, ("tick",), loop, None)
    assert first == second and first is not second
    loop._precise.add(first, 0.02)
    loop._precise.add(second, 0.02)
    assert loop.pending_timers() >= 2
    await asyncio.sleep(0.2)
    assert ran == ["tick", "tick"]


@pytest.mark.qt_loop
async def test_cancelling_one_of_two_equal_handles_keeps_the_other() -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, CompanionEventLoop)
    before = loop.pending_timers()
    ran: list[str] = []
    when = loop.time() + 0.02
    first = asyncio.TimerHandle(when, ran.append, ("tick",), loop, None)
    second = asyncio.TimerHandle(when, ran.append, ("tick",), loop, None)
    loop._precise.add(first, 0.02)
    loop._precise.add(second, 0.02)
    first.cancel()  # the loop drops a cancelled handle at once
    assert loop.pending_timers() == before + 1
    await asyncio.sleep(0.2)
    assert ran == ["tick"]
    assert loop.pending_timers() == before
