"""Test setup shared by every suite: Qt offscreen, a scratch data folder, and event loops.

Two kinds of asyncio tests run here (see ../shared/PLATFORM_NOTES.md for the traps):

* Plain ``async def`` tests (client, simulator, core) run on a fresh asyncio loop each.
* ``async def`` tests marked ``qt_loop`` run on a qasync loop, so Qt signals, timers
  and widgets work while the test awaits. Never call ``qtbot.wait*`` inside them: await.
* Sync pytest-qt tests that need asyncio (``asyncSlot``, aiohttp) take the ``qloop``
  fixture: one session-wide qasync loop marked as already running while qtbot spins Qt.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
from typing import TYPE_CHECKING, Any

import pytest

# Must be set before Qt is imported anywhere.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


def _qasync_loop() -> asyncio.AbstractEventLoop:
    from PySide6.QtWidgets import QApplication

    from companion.qtloop import CompanionEventLoop

    app = QApplication.instance() or QApplication([])
    # Closing a test's last window must not quit the app: qasync's loop would stop with
    # "Event loop stopped before Future completed" (the app sets the same in main()).
    app.setQuitOnLastWindowClosed(False)
    # The app's own loop class (precise timers), not qasync's plain one.
    loop: asyncio.AbstractEventLoop = CompanionEventLoop(app)
    return loop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Give ``qt_loop`` tests a qasync loop and every other async test a plain one."""
    if item.get_closest_marker("qt_loop") is not None:
        return {"qasync": _qasync_loop}
    return {"asyncio": asyncio.new_event_loop}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """After a ``qt_loop`` test (its loop closed), collect garbage on the main thread.

    A closed qasync loop keeps QObjects with timers in reference cycles. If the cyclic
    collector first runs in a worker thread (a JSON decode or SQLite call allocating there),
    it destroys them on that thread and Qt warns "Timers cannot be stopped from another
    thread", failing whichever test happens to be running then.
    """
    result = yield
    if item.get_closest_marker("qt_loop") is not None:
        gc.collect()
    return result


@pytest.fixture(autouse=True)
def scratch_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app's data folder (logs, ledger, settings) at a per-test folder, and its
    overlay server at a free port (7480 may be a running copy's: its "port taken"
    notice would replace the notice a test reads)."""
    data = tmp_path / "appdata"
    data.mkdir()
    monkeypatch.setenv("COMPANION_DATA_DIR", str(data))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("COMPANION_OVERLAY_PORT", str(probe.getsockname()[1]))
    return data


@pytest.fixture(scope="session")
def _session_qloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    from companion.qtloop import CompanionEventLoop

    loop: asyncio.AbstractEventLoop = CompanionEventLoop(qapp, already_running=True)
    yield loop
    # Do NOT stop() it: that calls QApplication.exit() outside exec() and breaks
    # every later qtbot.wait*. Leftover tasks are cancelled per test in `qloop`.


@pytest.fixture
def qloop(
    _session_qloop: asyncio.AbstractEventLoop, qapp: Any
) -> Iterator[asyncio.AbstractEventLoop]:
    """The qasync loop for sync pytest-qt tests, current while the test runs."""
    asyncio.set_event_loop(_session_qloop)
    asyncio.events._set_running_loop(_session_qloop)
    yield _session_qloop
    pending = [task for task in asyncio.all_tasks(_session_qloop) if not task.done()]
    for task in pending:
        task.cancel()
    deadline = 200
    while pending and deadline > 0:
        qapp.processEvents()
        pending = [task for task in pending if not task.done()]
        deadline -= 1
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
