"""What every service shares: owned background tasks and non-modal error reporting.

A service is a QObject that owns asyncio tasks, calls ``twitch/`` and ``core/``, and
emits signals carrying model objects. It never creates widgets.

Signals:
    error(str): something the streamer should know went wrong (shown as a notice).
    busy_changed(bool): whether the service has requests in flight.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from companion.services.messages import explain

if TYPE_CHECKING:
    from collections.abc import Coroutine

_log = logging.getLogger(__name__)


def describe_error(error: BaseException) -> str:
    """What the streamer reads about ``error``: a sentence from the message table.

    Never ``str(error)``: the raw detail belongs in the log (see
    :mod:`companion.services.messages`).
    """
    return explain(error)


class Service(QObject):
    """Base class: keeps strong references to its tasks and cancels them on shutdown."""

    error = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._latest: dict[str, asyncio.Task[Any]] = {}
        self._shut_down = False

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, name: str, latest_wins: bool = False
    ) -> asyncio.Task[Any] | None:
        """Run ``coro`` as a named task owned by this service.

        With ``latest_wins`` a still-running task of the same name is cancelled first
        (a refresh that a newer refresh makes pointless). A failure is logged and
        reported through :attr:`error`; it never escapes to the event loop.

        After :meth:`shutdown` nothing new starts (a late timer must not leave a task that
        the stopped loop would never run): the coroutine is closed and None returned.
        """
        if self._shut_down:
            _log.debug("%s not started: %s is shut down", name, type(self).__name__)
            coro.close()
            return None
        if latest_wins:
            previous = self._latest.get(name)
            if previous is not None and not previous.done():
                previous.cancel()
        task = asyncio.get_event_loop().create_task(coro, name=name)
        was_busy = self.busy
        self._tasks.add(task)
        self._latest[name] = task
        task.add_done_callback(self._task_done)
        if not was_busy:
            self.busy_changed.emit(True)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if self._latest.get(task.get_name()) is task:
            del self._latest[task.get_name()]
        if not task.cancelled():
            error = task.exception()
            if error is not None:
                _log.warning("%s failed: %s", task.get_name(), error, exc_info=error)
                self.error.emit(describe_error(error))
        if not self._tasks:
            self.busy_changed.emit(False)

    async def wait_idle(self) -> None:
        """Wait until every task this service started has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def shutdown(self) -> None:
        """Cancel and await every task; refuse new ones from now on."""
        self._shut_down = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
