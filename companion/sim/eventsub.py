"""The simulator's EventSub WebSocket server (``GET /ws``) and subscription hub.

Written from ``twitch-reference/EVENTSUB_RULES.md`` and the example messages in
``twitch-reference/eventsub/``; it never imports the client (``companion.twitch``).

What it does:

* ``GET /ws[?keepalive_timeout_seconds=N]``: welcome, keepalives after each silent window,
  notifications, close codes 4001 (inbound data), 4002 (missed pong, when pings are on),
  4003 (no subscription within the welcome window), 4004 (reconnect grace expired),
  4007 (invalid reconnect URL); 4000/4005/4006 through `EventSubHub.drop_connections`.
* ``session_reconnect`` through `EventSubHub.force_reconnect`: the reconnect URL's session
  inherits the subscriptions; the old socket keeps receiving events until the new welcome has
  been queued, then everything goes to the new socket.
* State changes (`DomainEvent`) become notifications; each envelope is serialised once and
  routing is one dict lookup by ``(type, broadcaster_user_id)``.
* Delivery is at-least-once: `EventSubHub.resend_last` re-sends with the same message ids.

Knobs for tests (hub attributes): `welcome_window_seconds`, `keepalive_interval_seconds`,
`reconnect_grace_seconds`, `ping_interval_seconds`, `max_pending_messages`.

Choices where the reference is silent (each is also commented where it is made):

* A keepalive goes out once a session has been silent for ``keepalive_timeout_seconds``;
  clients should allow some slack on top of that window.
* A reconnected session gets a new session id; the moved subscriptions keep their ids and
  their ``transport.session_id`` becomes the new one. It keeps the old keepalive setting.
* If the client closes the old socket before using the reconnect URL, the subscriptions are
  held until the grace ends, then become ``websocket_failed_to_reconnect``.
* A reconnect URL works once; a reused, unknown or expired one gets 4007.
* A non-numeric ``keepalive_timeout_seconds`` is refused with HTTP 400 before the upgrade.
* An aborted TCP connection (``drop_connections(None)``) disables with
  ``websocket_network_error``; a client-initiated close with ``websocket_disconnected``.
* Revocation keeps the socket open; only the revoked subscriptions stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import secrets
from collections import deque
from typing import TYPE_CHECKING, Any, Final, Protocol

from aiohttp import WSCloseCode, WSMsgType, web
from yarl import URL

from companion.sim.eventsub_extra_types import may_moderate
from companion.sim.eventsub_payloads import KIND_TO_TYPE, build_event, reward_id_of
from companion.sim.eventsub_session import (
    CLOSE_STATUS,
    Session,
    notification_message,
    reconnect_message,
    revocation_message,
    welcome_message,
)
from companion.sim.eventsub_subscriptions import SubscriptionRegistry

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from companion.sim.events import AccessTokenRecord, DomainEvent, Listener

_log = logging.getLogger(__name__)

#: [HWE] "Valid values are whole integers between 10 and 600"; default 10.
KEEPALIVE_MIN: Final = 10
KEEPALIVE_MAX: Final = 600
KEEPALIVE_DEFAULT: Final = 10
#: [HWE] "you have 30 seconds to reconnect to the server and close the old connection".
RECONNECT_GRACE_SECONDS: Final = 30.0
#: How many recent notifications `resend_last` can reach back to.
HISTORY_SIZE: Final = 4096


class HubState(Protocol):
    """What the hub needs from the simulator's state."""

    @property
    def users(self) -> Mapping[str, Mapping[str, Any]]:
        """User id -> stored user (``login``, ``display_name``)."""
        ...

    def add_listener(self, fn: Listener) -> None:
        """Registers a synchronous listener for every `DomainEvent`."""
        ...

    def remove_listener(self, fn: Listener) -> None:
        """Unregisters a listener."""
        ...


def clamp_keepalive(raw: str | None) -> int | None:
    """Parses ``keepalive_timeout_seconds``; numeric values clamp to the nearest valid one.

    Args:
        raw: The query value, or None when absent.

    Returns:
        The seconds to use, or None when the value is not numeric (the reference does not say
        what Twitch does then; the simulator refuses the handshake with HTTP 400).
    """
    if raw is None:
        return KEEPALIVE_DEFAULT
    try:
        value = float(raw)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return max(KEEPALIVE_MIN, min(KEEPALIVE_MAX, round(value)))


class _Reconnect:
    """A pending ``session_reconnect``: the old session and its grace timer."""

    __slots__ = ("grace", "old", "used")

    def __init__(self, old: Session, grace: asyncio.TimerHandle) -> None:
        self.old = old
        self.grace = grace
        self.used = False


class EventSubHub:
    """EventSub over WebSocket for the simulator.

    Args:
        state: The simulator state; the hub registers itself as a listener.
        base_ws_url_factory: Returns the public URL of ``GET /ws`` (e.g.
            ``ws://127.0.0.1:PORT/ws``); reconnect URLs are built from it.

    Attributes:
        welcome_window_seconds: Seconds after the welcome to create a subscription before
            4003; None means the session's ``keepalive_timeout_seconds`` ([WSR]: "For a welcome
            message, this is the number of seconds that you have to subscribe").
        keepalive_interval_seconds: Silent seconds before a keepalive; None means the
            announced ``keepalive_timeout_seconds``. Tests shorten it; the welcome still
            announces the clamped value.
        reconnect_grace_seconds: Seconds after ``session_reconnect`` before 4004.
        ping_interval_seconds: When set, a Ping every N s and 4002 if the Pong is missing.
        max_pending_messages: A session with more unwritten messages is closed with 4005.
    """

    def __init__(self, state: HubState, *, base_ws_url_factory: Callable[[], str]) -> None:
        self._state = state
        self._base_ws_url_factory = base_ws_url_factory
        self.welcome_window_seconds: float | None = None
        self.keepalive_interval_seconds: float | None = None
        self.reconnect_grace_seconds: float = RECONNECT_GRACE_SECONDS
        self.ping_interval_seconds: float | None = None
        self.max_pending_messages: int = 100_000
        self._sessions: dict[str, Session] = {}  # live sessions by id
        self._reconnects: dict[str, _Reconnect] = {}  # reconnect token -> pending reconnect
        self._registry = SubscriptionRegistry(
            self._connected_at_of,
            self._user_exists,
            functools.partial(may_moderate, state),
        )
        self._history: deque[tuple[str, str]] = deque(maxlen=HISTORY_SIZE)
        self._silenced_until = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        state.add_listener(self._on_domain_event)

    def __repr__(self) -> str:
        return f"EventSubHub(sessions={len(self._sessions)})"

    # ---------------------------------------------------------------- introspection

    @property
    def registry(self) -> SubscriptionRegistry:
        """All subscriptions (for the control surface and tests)."""
        return self._registry

    @property
    def session_ids(self) -> list[str]:
        """Ids of the live sessions, oldest first."""
        return list(self._sessions)

    def _connected_at_of(self, session_id: str) -> str | None:
        session = self._sessions.get(session_id)
        if session is None or not session.live or session.handed_off:
            return None
        return session.connected_at

    def _user_exists(self, user_id: str) -> bool:
        return user_id in self._state.users

    def _user_names(self, user_id: str) -> tuple[str, str] | None:
        user = self._state.users.get(user_id)
        if user is None:
            return None
        return str(user.get("login", user_id)), str(user.get("display_name", user_id))

    def _keepalive_interval(self, session: Session) -> float:
        override = self.keepalive_interval_seconds
        return float(session.keepalive_seconds) if override is None else override

    def _spawn(self, coro: Any, name: str) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---------------------------------------------------------------- HTTP side

    def routes(self) -> list[web.RouteDef]:
        """``GET /ws``, the EventSub WebSocket endpoint."""
        return [web.get("/ws", self._handle_ws)]

    async def create_subscription(
        self, token: AccessTokenRecord, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Create EventSub Subscription (``POST /helix/eventsub/subscriptions``).

        Returns:
            ``(202, {"data", "total", "total_cost", "max_total_cost"})`` or a Helix error:
            400 (bad body, type/version, condition, session), 401 (app token), 403 (scope or
            another broadcaster), 409 (duplicate type+condition), 429 (a limit).
        """
        if token.revoked or token.expired:
            # The Helix layer authenticates first; kept for callers that do not.
            return 401, {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}
        status, response, sub = self._registry.create(token, body)
        if sub is not None:
            session = self._sessions.get(sub.session_id)
            if session is not None:
                session.subscribed = True
        return status, response

    def list_subscriptions(
        self, token: AccessTokenRecord, query: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """Get EventSub Subscriptions (filters status/type/user_id/subscription_id, ``after``)."""
        return self._registry.list(token, query)

    def delete_subscription(
        self, token: AccessTokenRecord, sub_id: str
    ) -> tuple[int, dict[str, Any] | None]:
        """Delete EventSub Subscription: 204, or 404 when it is not the caller's."""
        return self._registry.delete(token, sub_id)

    # ---------------------------------------------------------------- the socket

    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        reconnect_token = request.query.get("reconnect")
        keepalive = clamp_keepalive(request.query.get("keepalive_timeout_seconds"))
        if keepalive is None:
            raise web.HTTPBadRequest(text="keepalive_timeout_seconds must be a number")
        # Pings are answered by hand (autoping off) so that Pongs can be seen for 4002.
        # No compression: Twitch's reference does not mention it and it costs throughput.
        ws = web.WebSocketResponse(autoping=False, compress=False, timeout=2.0)
        transport = request.transport
        await ws.prepare(request)

        pending: _Reconnect | None = None
        if reconnect_token is not None:
            pending = self._reconnects.get(reconnect_token)
            if pending is None or pending.used or self._closed:
                await ws.close(code=4007, message=b"invalid reconnect")
                return ws
            pending.used = True
            keepalive = pending.old.keepalive_seconds
        if self._closed:
            await ws.close(code=WSCloseCode.GOING_AWAY)
            return ws

        session = Session(
            ws,
            transport,
            keepalive,
            max_pending=self.max_pending_messages,
            on_overflow=self._on_overflow,
        )
        self._sessions[session.id] = session
        session.start(self._keepalive_interval(session), lambda: self._silenced_until)
        session.send(welcome_message(session.id, session.connected_at, keepalive))
        if pending is not None:
            self._hand_off(pending, session)
        if not session.subscribed:
            window = self.welcome_window_seconds
            session.call_later(
                float(keepalive) if window is None else window,
                lambda: self._on_welcome_window_end(session),
            )
        if self.ping_interval_seconds is not None:
            session.start_pings(self.ping_interval_seconds, self._on_ping_timeout)
        _log.debug("eventsub session %s connected", session.id)
        try:
            await self._read(session)
        finally:
            self._on_session_end(session)
        return ws

    async def _read(self, session: Session) -> None:
        ws = session.ws
        while True:
            msg = await ws.receive()
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                # [HWE] "If you send a message to the server, except for Pong messages, the
                # server closes the connection" (4001).
                await session.close(4001, CLOSE_STATUS[4001])
                return
            if msg.type is WSMsgType.PING:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.pong(msg.data)
            elif msg.type is WSMsgType.PONG:
                session.pong_received()
            else:  # CLOSE, CLOSING, CLOSED, ERROR
                return

    def _on_session_end(self, session: Session) -> None:
        session.stop()
        self._sessions.pop(session.id, None)
        if session.handed_off:
            # Its subscriptions already live on the successor.
            pass
        elif self._reconnect_pending(session):
            # The client closed the old socket before using the reconnect URL: hold the
            # subscriptions for the rest of the grace period (the reference is silent here).
            pass
        else:
            status = session.close_status or "websocket_disconnected"
            count = self._registry.disable_session(session.id, status)
            if count:
                _log.debug("session %s ended: %d subscriptions %s", session.id, count, status)
        _log.debug("eventsub session %s closed", session.id)

    def _reconnect_pending(self, session: Session) -> bool:
        token = session.reconnect_token
        if token is None:
            return False
        pending = self._reconnects.get(token)
        return pending is not None and not pending.used

    def _on_welcome_window_end(self, session: Session) -> None:
        if session.live and not session.subscribed:
            self._spawn(session.close(4003, CLOSE_STATUS[4003]), "eventsub-4003")

    def _on_ping_timeout(self, session: Session) -> None:
        self._spawn(session.close(4002, CLOSE_STATUS[4002]), "eventsub-4002")

    def _on_overflow(self, session: Session) -> None:
        _log.warning("session %s fell %d messages behind", session.id, session.pending)
        self._spawn(session.close(4005, CLOSE_STATUS[4005]), "eventsub-4005")

    # ---------------------------------------------------------------- reconnect

    async def force_reconnect(self) -> int:
        """Sends ``session_reconnect`` to every live session that is not already moving.

        Returns:
            How many sessions were told.
        """
        count = 0
        grace = self.reconnect_grace_seconds
        loop = asyncio.get_running_loop()
        for session in list(self._sessions.values()):
            if not session.live or session.handed_off or self._reconnect_pending(session):
                continue
            token = secrets.token_urlsafe(24)
            base = URL(self._base_ws_url_factory())
            if base.path in ("", "/"):
                base = base.with_path("/ws")
            url = str(base.with_query({"reconnect": token}))
            handle = loop.call_later(grace, functools.partial(self._on_grace_end, token))
            self._reconnects[token] = _Reconnect(session, handle)
            session.reconnect_token = token
            session.send(reconnect_message(session.id, session.connected_at, url))
            count += 1
        return count

    def _hand_off(self, pending: _Reconnect, new: Session) -> None:
        old = pending.old
        moved = self._registry.move_session(old.id, new.id, new.connected_at)
        old.handed_off = True
        if moved or old.subscribed:
            new.subscribed = True
        _log.debug("session %s handed %d subscriptions to %s", old.id, moved, new.id)

    def _on_grace_end(self, token: str) -> None:
        pending = self._reconnects.pop(token, None)
        if pending is None:
            return
        old = pending.old
        if not pending.used:
            # Never reconnected: the subscriptions stop, whether or not the old socket is open.
            self._registry.disable_session(old.id, CLOSE_STATUS[4004])
        if old.live:
            # "Twitch sends the old connection a close frame with code 4004 if you connect to
            # the new socket but never disconnect from the old socket or you don't connect to
            # the new socket within the specified timeframe."
            self._spawn(old.close(4004, CLOSE_STATUS[4004]), "eventsub-4004")

    # ---------------------------------------------------------------- faults

    async def drop_connections(self, close_code: int | None) -> int:
        """Closes every live socket with ``close_code``, or aborts TCP when it is None.

        The sessions' subscriptions become disabled (no replay): the status follows the code
        (4000 internal error, 4005 network timeout, 4006 network error, ...); an abort counts
        as a network error.

        Returns:
            How many sockets were dropped.
        """
        sessions = [s for s in self._sessions.values() if s.live]
        if close_code is None:
            for session in sessions:
                session.abort(CLOSE_STATUS[4006])
        else:
            status = CLOSE_STATUS.get(close_code, "websocket_disconnected")
            await asyncio.gather(*(s.close(close_code, status) for s in sessions))
        return len(sessions)

    def silence_keepalive(self, seconds: float) -> None:
        """Holds back keepalives on every session for ``seconds``.

        Only keepalives: notifications still flow (a silent channel then looks like a dead
        socket to a client's keepalive watchdog, which is the point of the fault).
        """
        if not math.isfinite(seconds) or seconds < 0:
            # inf or NaN would silence every session for ever (or never end the max()).
            raise ValueError(f"seconds must be a finite number >= 0, not {seconds!r}")
        loop = asyncio.get_running_loop()
        self._silenced_until = max(self._silenced_until, loop.time() + seconds)

    def resend_last(self, n: int) -> int:
        """Delivers the last ``n`` notifications again, with the same message ids.

        Each goes to whichever live session now carries its subscription (a reconnect moves
        them); notifications of subscriptions that are gone are skipped.

        Returns:
            How many were queued again.
        """
        if n <= 0:
            return 0
        recent = list(self._history)[-n:]
        count = 0
        for sub_id, text in recent:
            sub = self._registry.get(sub_id)
            if sub is None or not sub.enabled:
                continue
            session = self._sessions.get(sub.session_id)
            if session is not None and session.send(text):
                count += 1
        return count

    async def close(self) -> None:
        """Closes every socket (1001 going away) and stops timers; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._state.remove_listener(self._on_domain_event)
        for pending in self._reconnects.values():
            pending.grace.cancel()
        self._reconnects.clear()
        sessions = list(self._sessions.values())
        await asyncio.gather(*(s.close(WSCloseCode.GOING_AWAY, None) for s in sessions))
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---------------------------------------------------------------- delivery

    def _on_domain_event(self, event: DomainEvent) -> None:
        if self._closed:
            return
        kind = event.kind
        if kind == "authorization.revoked":
            self._revoke(str(event.record.get("client_id")), str(event.record.get("user_id")))
            return
        type_name = KIND_TO_TYPE.get(kind)
        if type_name is None:
            return
        targets = self._registry.route(type_name, event.broadcaster_id)
        if not targets:
            return
        record = event.record
        if event.exact_times:
            # Helix rounds these times to whole seconds; EventSub sends nanoseconds.
            record = {**record, **event.exact_times}
        # One event per version actually subscribed to, serialised once (versions may differ).
        event_json_by_version: dict[str, str] = {}
        reward_id = reward_id_of(kind, record)
        sessions = self._sessions
        history = self._history
        # Nothing below changes the routing synchronously, so the live dict can be iterated.
        for sub in targets.values():
            if sub.reward_filter is not None and sub.reward_filter != reward_id:
                continue
            session = sessions.get(sub.session_id)
            if session is None:
                continue
            event_json = event_json_by_version.get(sub.version)
            if event_json is None:
                event_json = json.dumps(
                    build_event(kind, record, event.broadcaster_id, self._user_names, sub.version),
                    separators=(",", ":"),
                    ensure_ascii=False,
                )
                event_json_by_version[sub.version] = event_json
            text = notification_message(sub.type, sub.version, sub.payload_json(), event_json)
            if session.send(text):
                history.append((sub.id, text))

    def _revoke(self, client_id: str, user_id: str) -> None:
        """Revokes the enabled subscriptions a (client, user) authorization carried."""
        for sub in self._registry.all():
            if not sub.enabled or sub.client_id != client_id or sub.user_id != user_id:
                continue
            self._registry.disable(sub, "authorization_revoked", disconnected=False)
            session = self._sessions.get(sub.session_id)
            if session is not None:
                # "You'll receive this message once and then no longer receive messages for
                # the specified user and subscription type."
                session.send(revocation_message(sub.type, sub.version, sub.payload_json()))
