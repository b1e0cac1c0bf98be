"""The app's event loop: qasync's Qt-driven asyncio loop, with timers that keep their word.

Three things here exist because a stream lasts hours:

* :class:`CompanionEventLoop` runs delayed callbacks on Qt *precise* timers. qasync starts
  every timer with Qt's default *coarse* type, which may fire up to 5 % early, so
  ``asyncio.sleep(2)`` returned after 1.90 s (measured with PySide6 6.10 and 6.12): an undo
  window ended early, a wait for ``Ratelimit-Reset`` could wake before the bucket refilled.
  It also counts the callbacks it schedules, the unit the soak test measures a stream in.
* It watches sockets with pooled notifiers (:class:`_NotifierPool`), one per file
  descriptor number, connected once. qasync makes a ``QSocketNotifier`` per watch and
  connects its ``activated`` signal each time; with PySide6 6.10 each such notifier leaves
  about three references to ``None`` behind when it is destroyed (held by no Python
  object), so every TCP connection raised ``None``'s count for good: +3,300 over the
  8-hour soak with OBS's overlay sources reconnecting.
* :func:`binding_refcount_defect` is a fast self-check for the PySide6 defect of issue 14
  (6.12.0 drops a reference to ``None`` or ``True`` on nearly every call that returns
  nothing or a bool, so CPython 3.11 frees ``None`` and aborts after ~11 minutes of
  qasync ticks). ``pyproject.toml`` keeps such releases out; this catches an install that
  bypassed the pin (a distribution's package, a hand-made venv) before it ruins a stream.
"""

from __future__ import annotations

import asyncio
import gc
import math
import sys
from typing import TYPE_CHECKING, Any

import qasync
from PySide6.QtCore import QObject, QSocketNotifier, Qt, QTimerEvent, Signal

if TYPE_CHECKING:
    import contextvars
    from collections.abc import Callable


class _PreciseTimers(QObject):
    """Runs asyncio timer handles after their delay on Qt precise timers (never early)."""

    def __init__(self) -> None:
        super().__init__()
        self._handles: dict[int, asyncio.TimerHandle] = {}
        # Keyed by id(handle), not the handle: TimerHandles compare equal (and hash alike)
        # when their deadline, callback and arguments are equal, so two calls of
        # call_later(d, f) within one clock tick would share one key and one would be lost.
        # A handle stays alive in _handles while its id is a key here, so ids cannot clash.
        self._timer_ids: dict[int, int] = {}
        self._stopped = False

    def add(self, handle: asyncio.TimerHandle, delay: float) -> asyncio.TimerHandle:
        # Round up: truncating 2.0004 s to 2000 ms would also be early.
        milliseconds = math.ceil(max(0.0, delay) * 1000)
        timer_id = self.startTimer(milliseconds, Qt.TimerType.PreciseTimer)
        self._handles[timer_id] = handle
        self._timer_ids[id(handle)] = timer_id
        return handle

    def discard(self, handle: asyncio.TimerHandle) -> None:
        """Forget a cancelled handle now, not when its (maybe distant) deadline comes.

        aiohttp arms a timeout per request and cancels it when the answer arrives; kept
        until their deadlines, those handles would pile up for minutes.
        """
        timer_id = self._timer_ids.pop(id(handle), None)
        if timer_id is not None:
            del self._handles[timer_id]
            self.killTimer(timer_id)

    def timerEvent(self, event: QTimerEvent) -> None:
        timer_id = event.timerId()
        self.killTimer(timer_id)
        handle = self._handles.pop(timer_id, None)
        if handle is None:
            return
        del self._timer_ids[id(handle)]
        if self._stopped or handle.cancelled():
            return
        handle._run()  # what every asyncio loop does with a due handle

    def pending(self) -> int:
        return len(self._handles)

    def stop(self) -> None:
        self._stopped = True
        for timer_id in list(self._handles):
            self.killTimer(timer_id)
        self._handles.clear()
        self._timer_ids.clear()


class _Slot:
    """The watch a pooled notifier reports to now (None while the number is not watched)."""

    __slots__ = ("watch",)

    def __init__(self) -> None:
        self.watch: _Watch | None = None

    def fire(self) -> None:
        watch = self.watch
        if watch is not None:
            watch.ready()


class _NotifierPool:
    """One ``QSocketNotifier`` per (fd number, kind), kept for the loop's life.

    qasync made a notifier per watch and connected its ``activated`` signal each time;
    with PySide6 6.10 a notifier that had a connection leaves about three references to
    ``None`` behind when it is destroyed (held by no Python object), so every TCP
    connection raised ``None``'s count for good. Here a number's notifier is made and
    connected once, switched off while unwatched, and reused by the next socket that gets
    the same number: the pool is as large as the most file descriptors open at once.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[int, QSocketNotifier.Type], tuple[QSocketNotifier, _Slot]] = {}

    def attach(self, number: int, kind: QSocketNotifier.Type, watch: _Watch) -> QSocketNotifier:
        """The notifier for ``number``, now reporting to ``watch`` (not yet enabled)."""
        entry = self._entries.get((number, kind))
        if entry is None:
            notifier = QSocketNotifier(number, kind)
            notifier.setEnabled(False)
            slot = _Slot()
            # The "int" overload, as qasync uses: the QSocketDescriptor one converts its
            # argument on every readiness and costs twice as much.
            signal = notifier.activated["int"]  # type: ignore[index]  # stubs lack overloads
            signal.connect(lambda *_args: slot.fire())
            entry = self._entries[(number, kind)] = (notifier, slot)
        entry[1].watch = watch
        return entry[0]

    def detach(self, number: int, kind: QSocketNotifier.Type, watch: _Watch) -> None:
        """Switch the notifier off if it still reports to ``watch``."""
        entry = self._entries.get((number, kind))
        if entry is not None and entry[1].watch is watch:
            entry[0].setEnabled(False)
            entry[1].watch = None

    def __len__(self) -> int:
        return len(self._entries)

    def close(self) -> None:
        for notifier, slot in self._entries.values():
            notifier.setEnabled(False)
            slot.watch = None
        self._entries.clear()


class _Watch:
    """One watched socket: its callback, reported to by its number's pooled notifier.

    On readiness the notifier is switched off and the callback scheduled with
    ``call_soon`` (so it runs as an asyncio handle: errors go to the loop's exception
    handler); after the callback it is switched back on unless the watch was removed or
    replaced meanwhile (qasync's semantics).
    """

    __slots__ = ("_args", "_callback", "_fd", "_kind", "_loop", "_number", "_watched", "notifier")

    def __init__(
        self,
        loop: CompanionEventLoop,
        watched: dict[Any, _Watch],
        fd: Any,
        kind: QSocketNotifier.Type,
        callback: Callable[..., object],
        args: tuple[Any, ...],
    ) -> None:
        self._loop = loop
        self._watched = watched
        self._fd = fd
        self._kind = kind
        self._callback = callback
        self._args = args
        self._number = fd if isinstance(fd, int) else int(fd.fileno())
        self.notifier = loop._notifiers.attach(self._number, kind, self)
        self.notifier.setEnabled(True)

    def ready(self) -> None:
        # Off until the callback has run: Qt reports the same readiness on every pass
        # of its event loop until the socket is read (or written).
        self.notifier.setEnabled(False)
        if self._watched.get(self._fd) is self:
            self._loop.call_soon(self._run)

    def stop(self) -> None:
        self._loop._notifiers.detach(self._number, self._kind, self)

    def _run(self) -> None:
        if self._watched.get(self._fd) is not self:
            return  # removed or replaced between the readiness and this turn
        try:
            self._callback(*self._args)
        finally:
            # The callback may have removed or replaced this watch.
            if self._watched.get(self._fd) is self:
                self.notifier.setEnabled(True)


class CompanionEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync is untyped
    """qasync's loop with precise delayed callbacks and a count of scheduled callbacks.

    ``call_soon`` (delay 0) keeps qasync's own zero timers; real delays get an
    :class:`asyncio.TimerHandle` on a precise timer, dropped as soon as it is cancelled.
    ``callbacks_scheduled`` counts both. Sockets are watched by :class:`_Watch` objects,
    kept by fd in qasync's ``_read_notifiers``/``_write_notifiers`` dicts, on notifiers
    from the loop's :class:`_NotifierPool`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before qasync's __init__: asyncio's, inside it, already watches its self-pipe.
        self._notifiers = _NotifierPool()
        super().__init__(*args, **kwargs)
        self._precise = _PreciseTimers()
        self.callbacks_scheduled = 0

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        self.callbacks_scheduled += 1
        result: asyncio.Handle = super()._add_callback(handle, delay)
        return result

    def call_later(
        self,
        delay: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        if delay <= 0:
            result: asyncio.Handle = super().call_later(delay, callback, *args, context=context)
            return result
        if asyncio.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with call_later")
        if not callable(callback):
            raise TypeError(f"callback must be callable: {type(callback).__name__}")
        self.callbacks_scheduled += 1
        handle = asyncio.TimerHandle(self.time() + delay, callback, args, self, context)
        return self._precise.add(handle, delay)

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        self._precise.discard(handle)

    def pending_timers(self) -> int:
        """Delayed callbacks waiting for their time (the soak test watches this stay flat)."""
        return self._precise.pending()

    def _watch(
        self,
        watched: dict[Any, _Watch],
        fd: Any,
        kind: QSocketNotifier.Type,
        callback: Callable[..., object],
        args: tuple[Any, ...],
    ) -> None:
        self._check_closed()
        replaced = watched.pop(fd, None)
        if replaced is not None:
            replaced.stop()
        watched[fd] = _Watch(self, watched, fd, kind, callback, args)

    @staticmethod
    def _unwatch(watched: dict[Any, _Watch] | None, fd: Any) -> bool:
        watch = watched.pop(fd, None) if watched is not None else None
        if watch is None:
            return False
        watch.stop()
        return True

    def _add_reader(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        self._watch(self._read_notifiers, fd, QSocketNotifier.Type.Read, callback, args)

    def _add_writer(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        self._watch(self._write_notifiers, fd, QSocketNotifier.Type.Write, callback, args)

    def _remove_reader(self, fd: Any) -> bool:
        return self._unwatch(self._read_notifiers, fd)

    def _remove_writer(self, fd: Any) -> bool:
        return self._unwatch(self._write_notifiers, fd)

    def close(self) -> None:
        self._precise.stop()
        if not self.is_running() and not self.is_closed():
            # qasync's close expects its own notifiers in these dicts (it disconnects each
            # one's signal): drop our watches and notifiers first (asyncio's close then
            # finds its self-pipe's reader gone, which it allows).
            for watched in (self._read_notifiers, self._write_notifiers):
                for fd in list(watched):
                    self._unwatch(watched, fd)
            self._notifiers.close()
        super().close()


def run(main: Callable[[], Any]) -> Any:
    """Run the coroutine ``main()`` returns on a new :class:`CompanionEventLoop`."""
    with asyncio.Runner(loop_factory=CompanionEventLoop) as runner:
        return runner.run(main())


class _Probe(QObject):
    """A QObject whose calls return nothing or a bool, as qasync's and the panels' do."""

    fired = Signal(object)

    def timerEvent(self, event: QTimerEvent) -> None:
        del event


def _refcounts() -> tuple[int, int, int]:
    gc.collect()
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def binding_refcount_defect(calls: int = 256) -> str | None:
    """Describe a reference leak of ``None``/``True``/``False`` in the Qt binding, or None.

    Makes ``calls`` rounds of ``startTimer``/``killTimer``, a signal emission and a
    ``setObjectName`` (each returns nothing or a bool through the binding) and compares
    the reference counts before and after. A sound binding changes them by 0; the
    defective one drops one per call. Takes about 13 ms, nearly all of it the two full
    garbage collections that keep freed cycles out of the comparison.
    """
    probe = _Probe()
    probe.fired.connect(lambda _value: None)

    def round_trip() -> None:
        probe.killTimer(probe.startTimer(60_000))
        probe.fired.emit(None)
        probe.setObjectName("probe")

    for _ in range(8):  # warm up caches so they do not count as drift
        round_trip()
    before = _refcounts()
    for _ in range(calls):
        round_trip()
    after = _refcounts()
    probe.deleteLater()
    drops = {
        name: b - a
        for name, b, a in zip(("None", "True", "False"), before, after, strict=True)
        if b - a > calls // 4
    }
    if not drops:
        return None
    lost = ", ".join(f"{name} lost {count}" for name, count in drops.items())
    return f"{calls} calls into the Qt binding dropped references ({lost})"
