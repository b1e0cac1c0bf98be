"""One EventSub WebSocket connection: its outbound queue, writer, keepalive and ping timers.

Everything a session sends goes through one FIFO queue drained by one writer task, so the order
on the wire is the order the hub decided (welcome before notifications, a revocation after the
notifications that preceded it). The hub enqueues synchronously from the state's listener; no
state change ever waits on a socket.

Message shapes follow ``twitch-reference/eventsub/ws.*.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any, Final

from aiohttp import WSCloseCode

from companion.sim.eventsub_payloads import now_rfc3339_ns
from companion.sim.text import valid_unicode

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiohttp import web

_log = logging.getLogger(__name__)

#: Close reasons from the [HWE] close-code table (clients must match on the number only).
CLOSE_REASONS: Final[dict[int, str]] = {
    4000: "internal server error",
    4001: "client sent inbound traffic",
    4002: "client failed ping-pong",
    4003: "connection unused",
    4004: "reconnect grace time expired",
    4005: "network timeout",
    4006: "network error",
    4007: "invalid reconnect",
}

#: The subscription status a session's subscriptions get when it closes with a code
#: ([REF] Get EventSub Subscriptions status list).
CLOSE_STATUS: Final[dict[int, str]] = {
    4000: "websocket_internal_error",
    4001: "websocket_received_inbound_traffic",
    4002: "websocket_failed_ping_pong",
    4003: "websocket_connection_unused",
    4004: "websocket_failed_to_reconnect",
    4005: "websocket_network_timeout",
    4006: "websocket_network_error",
}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def new_message_id() -> str:
    """A fresh ``metadata.message_id`` (a UUID, as in every documented example)."""
    return str(uuid.uuid4())


def new_session_id() -> str:
    """A fresh opaque session id (the documented ones are 28 URL-safe characters)."""
    return secrets.token_urlsafe(21)


def welcome_message(session_id: str, connected_at: str, keepalive_seconds: int) -> str:
    """``session_welcome`` (``ws.session_welcome.json``)."""
    return _dumps(
        {
            "metadata": {
                "message_id": new_message_id(),
                "message_type": "session_welcome",
                "message_timestamp": now_rfc3339_ns(),
            },
            "payload": {
                "session": {
                    "id": session_id,
                    "status": "connected",
                    "connected_at": connected_at,
                    "keepalive_timeout_seconds": keepalive_seconds,
                    "reconnect_url": None,
                }
            },
        }
    )


def keepalive_message() -> str:
    """``session_keepalive`` (``ws.session_keepalive.json``)."""
    return (
        '{"metadata":{"message_id":"'
        + new_message_id()
        + '","message_type":"session_keepalive","message_timestamp":"'
        + now_rfc3339_ns()
        + '"},"payload":{}}'
    )


def reconnect_message(session_id: str, connected_at: str, reconnect_url: str) -> str:
    """``session_reconnect`` (``ws.session_reconnect.json``: keepalive null, reconnecting)."""
    return _dumps(
        {
            "metadata": {
                "message_id": new_message_id(),
                "message_type": "session_reconnect",
                "message_timestamp": now_rfc3339_ns(),
            },
            "payload": {
                "session": {
                    "id": session_id,
                    "status": "reconnecting",
                    "keepalive_timeout_seconds": None,
                    "reconnect_url": reconnect_url,
                    "connected_at": connected_at,
                }
            },
        }
    )


def notification_message(
    subscription_type: str, version: str, subscription_json: str, event_json: str
) -> str:
    """A ``notification`` envelope from pre-serialised parts (one string build per delivery)."""
    return (
        '{"metadata":{"message_id":"'
        + new_message_id()
        + '","message_type":"notification","message_timestamp":"'
        + now_rfc3339_ns()
        + '","subscription_type":"'
        + subscription_type
        + '","subscription_version":"'
        + version
        + '"},"payload":{"subscription":'
        + subscription_json
        + ',"event":'
        + event_json
        + "}}"
    )


def revocation_message(subscription_type: str, version: str, subscription_json: str) -> str:
    """A ``revocation`` message (``ws.revocation.json``: subscription only, no event)."""
    return (
        '{"metadata":{"message_id":"'
        + new_message_id()
        + '","message_type":"revocation","message_timestamp":"'
        + now_rfc3339_ns()
        + '","subscription_type":"'
        + subscription_type
        + '","subscription_version":"'
        + version
        + '"},"payload":{"subscription":'
        + subscription_json
        + "}}"
    )


class Session:
    """One EventSub WebSocket session.

    Attributes:
        id: The session id sent in the welcome and used as ``transport.session_id``.
        ws: The server side of the socket.
        connected_at: When the socket connected (EventSub timestamp).
        keepalive_seconds: The ``keepalive_timeout_seconds`` announced in the welcome.
        live: True from the welcome until the socket closes.
        subscribed: True once any subscription was created on (or handed to) the session.
        reconnect_token: The token of the reconnect URL sent to this session, if any.
        handed_off: True once a reconnected successor has taken the subscriptions.
        close_status: The status its subscriptions get when it ends (None: client closed).
        last_sent: Loop time of the last message written (drives keepalives).
    """

    __slots__ = (
        "_loop",
        "_on_overflow",
        "_out",
        "_pong_due",
        "_tasks",
        "_timers",
        "_transport",
        "_wake",
        "close_status",
        "connected_at",
        "handed_off",
        "id",
        "keepalive_seconds",
        "last_sent",
        "live",
        "max_pending",
        "reconnect_token",
        "subscribed",
        "ws",
    )

    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport | None,
        keepalive_seconds: int,
        *,
        max_pending: int,
        on_overflow: Callable[[Session], None],
    ) -> None:
        self.id = new_session_id()
        self.ws = ws
        self._transport = transport
        self.connected_at = now_rfc3339_ns()
        self.keepalive_seconds = keepalive_seconds
        self.live = False
        self.subscribed = False
        self.reconnect_token: str | None = None
        self.handed_off = False
        self.close_status: str | None = None
        self._loop = asyncio.get_running_loop()
        self.last_sent = self._loop.time()
        self.max_pending = max_pending
        self._on_overflow = on_overflow
        self._out: deque[str] = deque()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: list[asyncio.TimerHandle] = []
        self._pong_due = False

    def __repr__(self) -> str:
        return f"Session(id={self.id!r}, live={self.live}, handed_off={self.handed_off})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Session) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    # ---------------------------------------------------------------- sending

    def send(self, text: str) -> bool:
        """Queues one message; returns False when the session no longer takes messages."""
        if not self.live:
            return False
        out = self._out
        out.append(text)
        if len(out) == 1:
            self._wake.set()
        elif len(out) > self.max_pending:
            # A client that does not read: Twitch would time out writing to it. Stop taking
            # messages at once so the close is scheduled only once.
            self.live = False
            self._on_overflow(self)
            return False
        return True

    @property
    def pending(self) -> int:
        """Messages queued and not yet written."""
        return len(self._out)

    def start(self, keepalive_interval: float, silenced_until: Callable[[], float]) -> None:
        """Marks the session live and starts its writer and keepalive tasks.

        Args:
            keepalive_interval: Seconds of silence after which a keepalive is sent.
            silenced_until: Returns the loop time until which keepalives are held back.
        """
        self.live = True
        self._spawn(self._write_loop(), "writer")
        self._spawn(self._keepalive_loop(keepalive_interval, silenced_until), "keepalive")

    def start_pings(self, interval: float, on_timeout: Callable[[Session], None]) -> None:
        """Sends a Ping every ``interval`` s; calls ``on_timeout`` if a Pong is still owed."""
        self._spawn(self._ping_loop(interval, on_timeout), "ping")

    def pong_received(self) -> None:
        """Records the client's Pong."""
        self._pong_due = False

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        """A timer that is cancelled when the session stops."""
        handle = self._loop.call_later(delay, callback)
        self._timers.append(handle)
        return handle

    def _spawn(self, coro: Any, name: str) -> None:
        task: asyncio.Task[None] = self._loop.create_task(coro, name=f"eventsub-{name}-{self.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write_loop(self) -> None:
        out = self._out
        wake = self._wake
        ws = self.ws
        loop = self._loop
        try:
            while True:
                if not out:
                    wake.clear()
                    await wake.wait()
                    continue
                text = out.popleft()
                try:
                    await ws.send_str(text)
                except UnicodeEncodeError:
                    # Stored text with a lone surrogate: send U+FFFD rather than lose the socket.
                    await ws.send_str(valid_unicode(text))
                self.last_sent = loop.time()
        except (ConnectionError, RuntimeError) as exc:
            # The peer went away mid-write; the handler's reader sees the close and cleans up.
            _log.debug("session %s writer stopped: %r", self.id, exc)

    async def _keepalive_loop(self, interval: float, silenced_until: Callable[[], float]) -> None:
        loop = self._loop
        while True:
            now = loop.time()
            held = silenced_until()
            if held > now:
                await asyncio.sleep(held - now)
                continue
            due = self.last_sent + interval
            if due > now:
                await asyncio.sleep(due - now)
                continue
            if self._out:
                # Messages are waiting to be written; they will reset the timer.
                await asyncio.sleep(min(interval, 0.05))
                continue
            self.last_sent = now
            self.send(keepalive_message())

    async def _ping_loop(self, interval: float, on_timeout: Callable[[Session], None]) -> None:
        while True:
            await asyncio.sleep(interval)
            if self._pong_due:
                on_timeout(self)
                return
            self._pong_due = True
            try:
                await self.ws.ping()
            except (ConnectionError, RuntimeError):
                return

    # ---------------------------------------------------------------- stopping

    def stop(self) -> None:
        """Stops taking messages and cancels the session's tasks and timers (idempotent)."""
        self.live = False
        self._out.clear()
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()

    async def close(self, code: int, status: str | None) -> None:
        """Closes the socket with a code; its subscriptions will get ``status``.

        Args:
            code: A WebSocket close code (Twitch's 4000-4007 or a standard one).
            status: The subscription status for the hub's cleanup; None keeps the default.
        """
        if status is not None and self.close_status is None:
            self.close_status = status
        self.stop()
        reason = CLOSE_REASONS.get(code, "")
        with contextlib.suppress(ConnectionError, RuntimeError, asyncio.TimeoutError):
            await self.ws.close(code=code, message=reason.encode())

    def abort(self, status: str) -> None:
        """Drops the TCP connection without a close frame."""
        if self.close_status is None:
            self.close_status = status
        self.stop()
        if self._transport is not None:
            self._transport.abort()
        else:  # pragma: no cover - aiohttp always exposes the transport before prepare()
            self._spawn(self.close(WSCloseCode.ABNORMAL_CLOSURE, status), "abort")
