"""One EventSub WebSocket: open it, read its welcome, read it until it ends.

The socket is only ever read: [HWE] "If you send a message to the server, except for Pong
messages, the server closes the connection" (4001). aiohttp answers Pings itself
(``autoping``) and sends no Pings of its own (no ``heartbeat``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import aiohttp

from .eventsub_messages import message_time
from .eventsub_status import SessionLost

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from yarl import URL

__all__ = ["WELCOME_TIMEOUT_SECONDS", "Socket", "open_socket"]

_log = logging.getLogger(__name__)

#: How long to wait for the welcome after the handshake (the reference gives no figure).
WELCOME_TIMEOUT_SECONDS: Final = 10.0
#: [WSR] the welcome's ``keepalive_timeout_seconds``; 10 is Twitch's default when it is absent.
_DEFAULT_KEEPALIVE: Final = 10.0

_CLOSED_TYPES: Final = frozenset(
    {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED}
)


@dataclass(slots=True, eq=False)
class Socket:
    """An open EventSub socket and what its welcome said.

    Attributes:
        ws: The aiohttp WebSocket.
        session_id: The session id (``transport.session_id`` when subscribing).
        keepalive: The negotiated ``keepalive_timeout_seconds``.
        welcomed_at: Twitch's time in the welcome (for message ages).
        last_seen: Loop time of the last message (the keepalive watchdog's reference).
        draining: After a handoff: read until quiet, then stop.
        reconnecting: A ``session_reconnect`` for this socket is being handled.
        reader: The task reading it.
    """

    ws: aiohttp.ClientWebSocketResponse
    session_id: str
    keepalive: float
    welcomed_at: datetime
    last_seen: float
    draining: bool = False
    reconnecting: bool = False
    reader: asyncio.Task[None] | None = field(default=None, repr=False)

    async def close(self) -> None:
        """Close the socket (a no-op when already closed); never raises."""
        if not self.ws.closed:
            with contextlib.suppress(Exception):
                await self.ws.close()

    async def read(
        self, on_text: Callable[[Socket, str], None], margin: float, quiet: float
    ) -> SessionLost | None:
        """Hand every text message to ``on_text`` until the socket ends.

        Args:
            on_text: Called inline with each message (must not block).
            margin: Seconds of silence tolerated past ``keepalive``.
            quiet: While draining, the silence after which reading stops.

        Returns:
            Why the session is lost, or None when a draining socket ended (expected).
        """
        ws = self.ws
        loop = asyncio.get_running_loop()
        limit = self.keepalive + margin
        while True:
            timeout = quiet if self.draining else max(0.0, self.last_seen + limit - loop.time())
            try:
                msg = await ws.receive(timeout=timeout)
            except TimeoutError:
                if self.draining:
                    return None
                # [HWE] no event or keepalive for keepalive_timeout_seconds: assume it is lost.
                return SessionLost(f"no message for {limit:.0f}s (keepalive timeout)")
            kind = msg.type
            if kind is aiohttp.WSMsgType.TEXT:
                self.last_seen = loop.time()
                on_text(self, msg.data)
            elif kind in _CLOSED_TYPES:
                if self.draining:
                    return None
                code = msg.data if kind is aiohttp.WSMsgType.CLOSE else ws.close_code
                if code is None or code == aiohttp.WSCloseCode.ABNORMAL_CLOSURE:
                    # 1006 is aiohttp's word for "no close frame": a drop, not a Twitch code.
                    return SessionLost("the connection dropped (no close frame)")
                return SessionLost(f"Twitch closed the socket (code {int(code)})", int(code))
            elif kind is aiohttp.WSMsgType.ERROR:
                if self.draining:
                    return None
                return SessionLost(f"socket error: {ws.exception()!r}")
            else:
                _log.debug("ignoring a %s frame", kind)


async def open_socket(session: aiohttp.ClientSession, url: URL, *, reconnect: bool) -> Socket:
    """Open a socket to ``url`` and read its welcome.

    Raises:
        SessionLost: The handshake failed, the socket closed first (e.g. 4007 for a bad
            reconnect URL), or no welcome came in time.
    """
    try:
        ws = await session.ws_connect(
            url,
            autoping=True,  # Pongs are the one thing Twitch lets a client send.
            heartbeat=None,  # our own Pings would be inbound traffic (4001)
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
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
            data = json.loads(msg.data)
            metadata = data["metadata"]
            session_info = data["payload"]["session"]
            kind = metadata["message_type"]
        except (ValueError, KeyError, TypeError):
            raise SessionLost("the first message is not a welcome") from None
        if kind != "session_welcome" or not session_info.get("id"):
            raise SessionLost(f"expected session_welcome, got {kind!r}")
    except TimeoutError:
        await ws.close()
        raise SessionLost("no welcome message") from None
    except BaseException:
        await ws.close()
        raise
    keepalive = session_info.get("keepalive_timeout_seconds") or _DEFAULT_KEEPALIVE
    return Socket(
        ws,
        str(session_info["id"]),
        float(keepalive),
        message_time(metadata),
        asyncio.get_running_loop().time(),
    )
