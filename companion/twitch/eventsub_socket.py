"""One EventSub WebSocket: open it, read its welcome, read it until it ends.

The socket is only ever read: [HWE] "If you send a message to the server, except for Pong
messages, the server closes the connection" (4001). aiohttp answers Pings itself
(``autoping``) and sends no Pings of its own (no ``heartbeat``).

What a server sends is checked before it is used: a welcome without the documented shape, or
whose ``keepalive_timeout_seconds`` is not a number, is a protocol error (the socket is
closed; the client reconnects after its backoff); a number outside Twitch's 10-600 s is
clamped into it; a frame over :data:`MAX_MESSAGE_BYTES` is refused at its header.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import aiohttp

from .eventsub_envelope import MalformedMessage, parse_envelope
from .eventsub_filter import welcome_time
from .eventsub_status import SessionLost

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from yarl import URL

__all__ = [
    "MAX_MESSAGE_BYTES",
    "WELCOME_TIMEOUT_SECONDS",
    "Socket",
    "keepalive_seconds",
    "open_socket",
]

_log = logging.getLogger(__name__)

#: How long to wait for the welcome after the handshake (the reference gives no figure).
WELCOME_TIMEOUT_SECONDS: Final = 10.0
#: [WSR] the welcome's ``keepalive_timeout_seconds``; 10 is Twitch's default when it is absent.
_DEFAULT_KEEPALIVE: Final = 10.0
#: [HWE] "Valid values are whole integers between 10 and 600".
KEEPALIVE_RANGE: Final = (10.0, 600.0)
#: The largest message read. Twitch documents no maximum (the reference is silent); its
#: messages are a few kilobytes (the largest documented example, a prediction with ten
#: outcomes of top predictors, is far below 64 KiB). aiohttp refuses a bigger frame from its
#: header, before buffering any of it, and closes the socket with 1009 (its reader cannot
#: skip a frame and go on), so the client starts a fresh session.
MAX_MESSAGE_BYTES: Final = 1024 * 1024
_MESSAGE_TOO_BIG: Final = 1009
#: The longest stretch :meth:`Socket.read` hands buffered frames on before it lets the
#: event loop run (a 5 ms slice keeps the UI's worst stall far below 50 ms in a burst).
READ_SLICE_SECONDS: Final = 0.005

_CLOSED_TYPES: Final = frozenset(
    {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED}
)


@dataclass(slots=True, eq=False)
class Socket:
    """An open EventSub socket and what its welcome said.

    Attributes:
        ws: The aiohttp WebSocket.
        session_id: The session id (``transport.session_id`` when subscribing).
        keepalive: The negotiated ``keepalive_timeout_seconds`` (within 10-600).
        welcomed_at: Twitch's time in the welcome (for message ages); None if it had none.
        last_seen: Loop time of the last message (the keepalive watchdog's reference).
        draining: After a handoff: read until quiet, then stop.
        reconnecting: A ``session_reconnect`` for this socket is being handled.
        dropped: Malformed messages dropped on this socket.
        reader: The task reading it.
    """

    ws: aiohttp.ClientWebSocketResponse
    session_id: str
    keepalive: float
    welcomed_at: datetime | None
    last_seen: float
    draining: bool = False
    reconnecting: bool = False
    dropped: int = 0
    reader: asyncio.Task[None] | None = field(default=None, repr=False)

    async def close(self) -> None:
        """Close the socket (a no-op when already closed); never raises."""
        if not self.ws.closed:
            with contextlib.suppress(Exception):
                await self.ws.close()

    async def read(
        self, on_text: Callable[[Socket, str | bytes], bool], margin: float, quiet: float
    ) -> SessionLost | None:
        """Hand every data frame to ``on_text`` until the socket ends.

        Args:
            on_text: Called inline with each text (str) or binary (bytes) frame; must not
                block; returns False for a message it dropped as malformed, which does not
                count as traffic for the keepalive watchdog (garbage cannot keep a dead
                session looking alive).
            margin: Seconds of silence tolerated past ``keepalive``.
            quiet: While draining, the silence after which reading stops.

        Returns:
            Why the session is lost, or None when a draining socket ended (expected).
        """
        ws = self.ws
        loop = asyncio.get_running_loop()
        limit = self.keepalive + margin
        watchdog = _Watchdog(self, loop, limit, quiet)
        slice_started = loop.time()
        try:
            while True:
                try:
                    msg = await watchdog.receive(ws)
                except TimeoutError:
                    return self._silent(limit)
                kind = msg.type
                if kind is aiohttp.WSMsgType.TEXT or kind is aiohttp.WSMsgType.BINARY:
                    arrived = loop.time()
                    if on_text(self, msg.data):
                        self.last_seen = arrived
                    if arrived - slice_started > READ_SLICE_SECONDS:
                        # Frames already buffered come back without a suspension: a burst
                        # of thousands would hold the UI thread for as long as they take.
                        # The loop (paints, timers, the app's other tasks) runs in between.
                        try:
                            await watchdog.pause()
                        except TimeoutError:  # only malformed frames for the whole limit
                            return self._silent(limit)
                        slice_started = loop.time()
                elif kind in _CLOSED_TYPES:
                    if self.draining:
                        return None
                    code = msg.data if kind is aiohttp.WSMsgType.CLOSE else ws.close_code
                    if code is None or code == aiohttp.WSCloseCode.ABNORMAL_CLOSURE:
                        # 1006 is aiohttp's word for "no close frame": a drop, not Twitch's.
                        return SessionLost("the connection dropped (no close frame)")
                    return SessionLost(f"Twitch closed the socket (code {int(code)})", int(code))
                elif kind is aiohttp.WSMsgType.ERROR:
                    if self.draining:
                        return None
                    error = msg.data if isinstance(msg.data, BaseException) else ws.exception()
                    if getattr(error, "code", None) == _MESSAGE_TOO_BIG:
                        cap = MAX_MESSAGE_BYTES // (1024 * 1024)
                        _log.warning("EventSub sent a message over the %d MiB cap: %s", cap, error)
                        return SessionLost(
                            f"protocol error: a message over the {cap} MiB cap (closed with 1009)"
                        )
                    return SessionLost(f"socket error: {error!r}")
                else:
                    _log.debug("ignoring a %s frame", kind)
        finally:
            watchdog.stop()

    def _silent(self, limit: float) -> SessionLost | None:
        """What the read ends with when its deadline passed."""
        if self.draining:
            return None
        # [HWE] no event or keepalive for keepalive_timeout_seconds: assume it is lost.
        return SessionLost(f"no message for {limit:.0f}s (keepalive timeout)")


class _Watchdog:
    """The read timeout of :meth:`Socket.read`, armed once per silence, not once per frame.

    ``ws.receive(timeout=...)`` starts and cancels a loop timer for every frame; under the
    Qt loop each is a Qt timer, a measurable share of a redemption's cost in a burst. This
    keeps one timer: when it fires it re-arms for the current deadline if traffic moved it,
    and only cancels the pending read when the deadline has really passed (as
    ``asyncio.timeout`` does, the cancellation becomes a :class:`TimeoutError`).

    The deadline is the keepalive rule (``last_seen`` + keepalive + margin) or, once the
    socket drains after a handoff, ``quiet`` seconds after the last frame of any kind.
    """

    __slots__ = (
        "_expired",
        "_handle",
        "_last_frame",
        "_limit",
        "_loop",
        "_quiet",
        "_sock",
        "_task",
    )

    def __init__(
        self, sock: Socket, loop: asyncio.AbstractEventLoop, limit: float, quiet: float
    ) -> None:
        self._sock = sock
        self._loop = loop
        self._limit = limit
        self._quiet = quiet
        self._task = asyncio.current_task()
        self._last_frame = loop.time()
        self._expired = False
        self._handle: asyncio.TimerHandle | None = None

    def _deadline(self) -> float:
        sock = self._sock
        if sock.draining:
            return max(self._last_frame, sock.last_seen) + self._quiet
        return sock.last_seen + self._limit

    def _fire(self) -> None:
        self._handle = None
        deadline = self._deadline()
        if self._loop.time() < deadline:
            self._handle = self._loop.call_at(deadline, self._fire)
            return
        self._expired = True
        if self._task is not None:
            self._task.cancel()

    async def receive(self, ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
        """``ws.receive()`` under the deadline; raises TimeoutError when it passed."""
        if self._handle is None:
            self._handle = self._loop.call_at(self._deadline(), self._fire)
        try:
            msg = await ws.receive()
        except asyncio.CancelledError:
            self._raise_if_expired()
            raise
        self._last_frame = self._loop.time()
        return msg

    async def pause(self) -> None:
        """Give the loop one turn (the deadline still holds)."""
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            self._raise_if_expired()
            raise

    def _raise_if_expired(self) -> None:
        # Ours only if no one else cancelled the task too (asyncio.timeout's own rule).
        if self._expired and self._task is not None and self._task.uncancel() == 0:
            self._expired = False
            raise TimeoutError

    def stop(self) -> None:
        """Disarm (the read ended)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def keepalive_seconds(value: object) -> float:
    """A welcome's ``keepalive_timeout_seconds`` as the seconds to use.

    Absent or null: Twitch's default (10). A number: clamped into 10-600, as Twitch itself
    does with a numeric value outside the range ([HWE] "Specifying an invalid, but numeric
    value will return the nearest acceptable value").

    Raises:
        MalformedMessage: Not a number (text, a boolean, a list...), or NaN or infinite.
    """
    if value is None:
        return _DEFAULT_KEEPALIVE
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedMessage(
            f"keepalive_timeout_seconds is {type(value).__name__}, not a number",
            kind="session_welcome",
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise MalformedMessage(f"keepalive_timeout_seconds is {value}", kind="session_welcome")
    low, high = KEEPALIVE_RANGE
    if not low <= value <= high:
        _log.warning("keepalive_timeout_seconds %.20r is outside 10-600; using the nearest", value)
    return float(min(max(value, low), high))


async def open_socket(session: aiohttp.ClientSession, url: URL, *, reconnect: bool) -> Socket:
    """Open a socket to ``url`` and read its welcome.

    Raises:
        SessionLost: The handshake failed, the socket closed first (e.g. 4007 for a bad
            reconnect URL), no welcome came in time, or the welcome was malformed (a
            protocol error; the socket is closed).
    """
    try:
        ws = await session.ws_connect(
            url,
            autoping=True,  # Pongs are the one thing Twitch lets a client send.
            heartbeat=None,  # our own Pings would be inbound traffic (4001)
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
            # aiohttp refuses a frame of max_msg_size bytes or more: one more byte than
            # the cap lets a message of exactly the cap through.
            max_msg_size=MAX_MESSAGE_BYTES + 1,
        )
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise SessionLost(f"could not connect: {exc!r}") from exc
    try:
        msg = await ws.receive(timeout=WELCOME_TIMEOUT_SECONDS)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            code = ws.close_code
            what = "the reconnect URL" if reconnect else "the socket"
            raise SessionLost(f"{what} closed before the welcome (code {code})", code)
        try:
            envelope = parse_envelope(msg.data)
            if envelope.kind != "session_welcome":
                raise SessionLost(f"expected session_welcome, got {envelope.kind!r:.40}")
            session_info = envelope.payload.get("session")
            if not isinstance(session_info, dict):
                raise MalformedMessage("payload.session is not an object", kind=envelope.kind)
            session_id = session_info.get("id")
            if not isinstance(session_id, str) or not session_id:
                raise MalformedMessage("no session id", kind=envelope.kind)
            keepalive = keepalive_seconds(session_info.get("keepalive_timeout_seconds"))
        except MalformedMessage as exc:
            _log.warning("EventSub welcome refused: %s", exc.reason)
            raise SessionLost(f"protocol error: malformed welcome ({exc.reason})") from None
    except TimeoutError:
        await ws.close()
        raise SessionLost("no welcome message") from None
    except BaseException:
        await ws.close()
        raise
    return Socket(
        ws,
        session_id,
        keepalive,
        welcome_time(envelope.metadata),
        asyncio.get_running_loop().time(),
    )
