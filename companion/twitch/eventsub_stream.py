"""Event streams: every consumer of the EventSub client gets its own ordered buffer.

A stream buffers from the moment it is made (not from its first ``__anext__``), so nothing
slips through between ``client.events()`` and the ``async for``. Streams are held weakly: a
consumer that drops its stream stops costing memory without having to close it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .eventsub_messages import EventSubEvent, Revocation

__all__ = ["EventStream", "Fanout"]

_log = logging.getLogger(__name__)

#: A backlog past this many events is logged once per stream (a consumer that stopped reading).
BACKLOG_WARNING: Final = 50_000


class EventStream:
    """An async iterator over events; ends when the client fails or closes.

    Use ``async for event in stream``; :meth:`close` stops it early.
    """

    __slots__ = ("__weakref__", "_buffer", "_ended", "_fanout", "_wakeup", "_warned")

    def __init__(self, fanout: Fanout) -> None:
        self._buffer: deque[EventSubEvent | Revocation] = deque()
        self._wakeup = asyncio.Event()
        self._ended = False
        self._warned = False
        self._fanout = fanout

    def __repr__(self) -> str:
        return f"<EventStream pending={len(self._buffer)} ended={self._ended}>"

    def __len__(self) -> int:
        """Events waiting to be read."""
        return len(self._buffer)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> EventSubEvent | Revocation:
        buffer = self._buffer
        while not buffer:
            if self._ended:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        return buffer.popleft()

    def close(self) -> None:
        """Stop receiving; what is buffered is still returned, then iteration ends."""
        self._fanout.detach(self)
        self._end()

    def _push(self, event: EventSubEvent | Revocation) -> None:
        buffer = self._buffer
        buffer.append(event)
        if len(buffer) == 1:
            self._wakeup.set()
        elif len(buffer) > BACKLOG_WARNING and not self._warned:
            self._warned = True
            _log.warning("an EventSub consumer is %d events behind", len(buffer))

    def _end(self) -> None:
        self._ended = True
        self._wakeup.set()


class Fanout:
    """Hands every event to every live stream, in order."""

    __slots__ = ("_ended", "_refs", "_streams")

    def __init__(self) -> None:
        self._streams: weakref.WeakSet[EventStream] = weakref.WeakSet()
        # What put() walks: iterating a WeakSet costs an iteration guard and a generator
        # per event (about a tenth of a redemption's parse cost). A stream dropped without
        # close() leaves a dead reference here until the set of streams next changes.
        self._refs: tuple[weakref.ref[EventStream], ...] = ()
        self._ended = False

    def __repr__(self) -> str:
        return f"<Fanout streams={len(self._streams)}>"

    def stream(self) -> EventStream:
        """A new stream that receives every event from now on."""
        stream = EventStream(self)
        if self._ended:
            stream._end()
        else:
            self._streams.add(stream)
            self._refresh()
        return stream

    def detach(self, stream: EventStream) -> None:
        """Stop feeding ``stream``."""
        self._streams.discard(stream)
        self._refresh()

    def _refresh(self) -> None:
        self._refs = tuple(weakref.ref(stream) for stream in self._streams)

    def put(self, event: EventSubEvent | Revocation) -> None:
        """Deliver ``event`` to every stream."""
        for ref in self._refs:
            stream = ref()
            if stream is not None:
                stream._push(event)

    def end(self) -> None:
        """End every stream (they still yield what they buffered)."""
        self._ended = True
        for stream in list(self._streams):
            stream._end()
        self._streams = weakref.WeakSet()
        self._refs = ()
