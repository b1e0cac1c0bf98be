"""The two qasync recipes of conftest.py work: async tests on a qasync loop, and sync
qtbot tests driving ``asyncSlot``s on the session loop."""

from __future__ import annotations

import asyncio

import pytest
import qasync
from PySide6.QtCore import QObject, QTimer, Signal


class Pinger(QObject):
    done = Signal(str)

    @qasync.asyncSlot()
    async def ping(self) -> None:
        await asyncio.sleep(0.01)
        self.done.emit("pong")


@pytest.mark.qt_loop
async def test_async_test_runs_on_qasync_and_qt_timers_fire(qapp) -> None:
    assert isinstance(asyncio.get_running_loop(), qasync.QEventLoop)
    fired = asyncio.Event()
    QTimer.singleShot(10, fired.set)
    await asyncio.wait_for(fired.wait(), timeout=2)
    assert fired.is_set()


async def test_plain_async_test_gets_plain_loop() -> None:
    assert not isinstance(asyncio.get_running_loop(), qasync.QEventLoop)


def test_sync_qtbot_test_drives_async_slot(qtbot, qloop) -> None:
    pinger = Pinger()
    with qtbot.waitSignal(pinger.done, timeout=2000) as blocker:
        pinger.ping()
    assert blocker.args == ["pong"]
