"""The EventSub WebSocket client: one connection, its subscriptions, and its recovery.

Rules followed (``twitch-reference/EVENTSUB_RULES.md``):

* Connect to :attr:`HTTPHandler.eventsub_url` (optionally ``?keepalive_timeout_seconds=N``),
  read the welcome, and create every subscription through Helix with the user's token within
  the 10-second window. The socket is only read, never written (anything but a Pong is 4001).
* Keepalive: no message for ``keepalive_timeout_seconds`` + a margin means a dead socket.
* ``session_reconnect``: the new URL is opened as is while the old socket is still read; after
  the new welcome the old socket is drained until it goes quiet, then closed. Subscriptions
  move with the session, so nothing is resubscribed and no reconciliation runs. Only URLs on
  Twitch's EventSub host (or the configured simulator's own) are followed, and a storm of
  reconnects is slowed down (:mod:`.eventsub_reconnect`).
* Any other loss (close codes 4000-4007, a drop, a keepalive timeout): a fresh session after
  a capped, jittered backoff, every subscription created again, then reconciliation (Twitch
  does not replay what was missed) through :attr:`EventSubClient.on_resync`.
* At-least-once delivery: message ids are remembered for ten minutes; older messages drop.
* A message that does not have the documented shape is logged and dropped whole; the session
  goes on (:mod:`.eventsub_envelope`).

Events come out of :meth:`EventSubClient.events` (an async iterator; each call gets every
event) or listeners added with :meth:`EventSubClient.add_listener`. The connection state is
:attr:`EventSubClient.status`, and listeners added with
:meth:`EventSubClient.add_state_listener` hear every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from yarl import URL

from ._util import backoff_delay, maybe_await
from .errors import LimitError
from .eventsub_envelope import MalformedMessage
from .eventsub_inbox import Inbox
from .eventsub_messages import (
    MAX_CONNECTIONS_PER_USER,
    MAX_SUBSCRIPTIONS_PER_CONNECTION,
    EventSubEvent,
    Revocation,
    SubscriptionSpec,
    app_subscriptions,
)
from .eventsub_reconnect import HopLimiter, reconnect_url_refusal
from .eventsub_socket import Socket, open_socket
from .eventsub_status import (
    ConnectionState,
    ConnectionStatus,
    FatalError,
    ResyncInfo,
    SessionLost,
)
from .eventsub_stream import EventStream, Fanout
from .eventsub_subscribe import WELCOME_WINDOW_SECONDS, Subscriber

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from .http import HTTPHandler
    from .models.users import BaseUser

__all__ = [
    "ConnectionState",
    "ConnectionStatus",
    "EventSubClient",
    "EventSubEvent",
    "ResyncInfo",
    "Revocation",
    "SubscriptionSpec",
    "app_subscriptions",
]

_log = logging.getLogger(__name__)

#: A session that stayed up this long resets the backoff (a flapping server does not).
STABLE_SESSION_SECONDS: Final = 60.0
#: Close codes after which the next attempt goes out at once instead of after a backoff.
_RETRY_AT_ONCE: Final = frozenset({4003, 4004, 4007})

#: Live clients per (HTTP handler, user): Twitch allows 3 WebSocket connections per token.
_live_clients: weakref.WeakKeyDictionary[HTTPHandler, dict[str, int]] = weakref.WeakKeyDictionary()


class EventSubClient:
    """One EventSub WebSocket connection for one user token.

    Args:
        http: The client core's handler: its session, tokens and request loop are used.
        user: Whose token subscribes (the broadcaster, for the app's subscriptions).
        subscriptions: What to subscribe to; default :func:`app_subscriptions` on ``user``.
        keepalive_timeout: ``keepalive_timeout_seconds`` to ask for (10-600); None: Twitch's.
        keepalive_margin: Extra seconds of silence tolerated before the socket counts as dead.
        on_resync: Awaited after every fresh session is subscribed (not after a
            ``session_reconnect`` handoff): fetch what may have been missed.
        standard_resync: Before ``on_resync``, read rewards, UNFULFILLED redemptions, the
            active prediction and poll, and goals through Helix and deliver them as events
            with ``resync=True`` (see :mod:`.eventsub_resync`).
        url: The WebSocket URL; default ``http.eventsub_url``.
        reconnect_base_delay: Base of the jittered exponential backoff, seconds.
        reconnect_max_delay: Cap of that backoff.
        handoff_quiet_seconds: After a reconnect's new welcome, the old socket is read until
            it stays silent this long (its last events may still be in flight), then closed.

    Raises:
        LimitError: More than 300 subscriptions (Twitch's cap per connection).

    Example::

        client = EventSubClient(http, broadcaster, standard_resync=True)
        client.add_state_listener(status_bar.show)
        events = client.events()
        await client.start()
        async for event in events:
            if isinstance(event, Revocation):
                ...  # event.status says why; the status bar already shows it
            elif isinstance(event.model, CustomRewardRedemption):
                queue.add(event.model)  # event.resync: read back after a lost session
        await client.close()
    """

    def __init__(
        self,
        http: HTTPHandler,
        user: BaseUser,
        subscriptions: Sequence[SubscriptionSpec] | None = None,
        *,
        keepalive_timeout: int | None = None,
        keepalive_margin: float = 3.0,
        on_resync: Callable[[ResyncInfo], Awaitable[None] | None] | None = None,
        standard_resync: bool = False,
        url: str | None = None,
        reconnect_base_delay: float = 1.0,
        reconnect_max_delay: float = 60.0,
        handoff_quiet_seconds: float = 0.5,
    ) -> None:
        specs = list(subscriptions) if subscriptions is not None else app_subscriptions(user.id)
        if len(specs) > MAX_SUBSCRIPTIONS_PER_CONNECTION:
            raise LimitError(
                "eventsub_subscriptions_per_connection",
                MAX_SUBSCRIPTIONS_PER_CONNECTION,
                len(specs),
                f"{len(specs)} subscriptions exceed Twitch's "
                f"{MAX_SUBSCRIPTIONS_PER_CONNECTION} per WebSocket connection",
            )
        if not specs:
            raise ValueError("nothing to subscribe to: Twitch closes an unused socket (4003)")
        if keepalive_timeout is not None and not 10 <= keepalive_timeout <= 600:
            # [HWE] "Valid values are whole integers between 10 and 600".
            raise ValueError(f"keepalive_timeout must be 10-600 seconds, not {keepalive_timeout}")
        self.http = http
        self.user = user
        self.subscriptions = specs
        self.keepalive_timeout = keepalive_timeout
        self.keepalive_margin = keepalive_margin
        self.on_resync = on_resync
        self.standard_resync = standard_resync
        self._url = url
        self.reconnect_base_delay = reconnect_base_delay
        self.reconnect_max_delay = reconnect_max_delay
        self.handoff_quiet_seconds = handoff_quiet_seconds
        self._status = ConnectionStatus(ConnectionState.IDLE)
        self._state_listeners: list[Callable[[ConnectionStatus], None]] = []
        self._fanout = Fanout()
        self._inbox = Inbox(http, self._fanout, self._on_reconnect, self._on_revocation)
        self._current: Socket | None = None
        self._sockets: set[Socket] = set()
        self._lost: asyncio.Future[SessionLost] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self._closed = False
        self._counted = False
        self._live_event = asyncio.Event()
        self.revocations: list[Revocation] = []
        self._subscriber = Subscriber(http, user, specs)
        self._hop_limiter = HopLimiter(reconnect_base_delay, reconnect_max_delay, time.monotonic)
        self.sessions_started = 0
        #: ``session_reconnect`` handoffs completed.
        self.hops = 0

    def __repr__(self) -> str:
        return f"<EventSubClient user={self.user.id!r} state={self._status.state.value}>"

    # -- public surface --------------------------------------------------------------------

    @property
    def status(self) -> ConnectionStatus:
        """The current connection status."""
        return self._status

    @property
    def session_id(self) -> str | None:
        """The live session's id, or None."""
        return self._current.session_id if self._current is not None else None

    @property
    def duplicates_dropped(self) -> int:
        """Resent messages dropped (same ``message_id`` within the window)."""
        return self._inbox.filter.duplicates

    @property
    def stale_dropped(self) -> int:
        """Messages dropped for being older than ten minutes."""
        return self._inbox.filter.stale

    @property
    def malformed_dropped(self) -> int:
        """Messages dropped for not having the documented shape (logged, never quoted)."""
        return self._inbox.malformed_dropped

    @property
    def hops_delayed(self) -> int:
        """``session_reconnect`` hops that waited (more than 3 within 10 s)."""
        return self._hop_limiter.delayed

    @property
    def keepalive_seconds(self) -> float | None:
        """The live session's ``keepalive_timeout_seconds`` (clamped to 10-600), or None."""
        return self._current.keepalive if self._current is not None else None

    @property
    def subscription_ids(self) -> dict[str, str]:
        """Type -> id of each subscription created on the latest fresh session."""
        return self._subscriber.subscription_ids

    @property
    def total_cost(self) -> int | None:
        """``total_cost`` Twitch reported for this user's subscriptions (None before any)."""
        return self._subscriber.total_cost

    @property
    def max_total_cost(self) -> int | None:
        """``max_total_cost`` Twitch reported (None before any subscription)."""
        return self._subscriber.max_total_cost

    def add_state_listener(self, callback: Callable[[ConnectionStatus], None]) -> None:
        """Call ``callback`` (a plain function, inline) with every new status."""
        self._state_listeners.append(callback)

    def remove_state_listener(self, callback: Callable[[ConnectionStatus], None]) -> None:
        """Stop calling ``callback``."""
        self._state_listeners.remove(callback)

    def events(self) -> EventStream:
        """An async iterator over every event from now on (notifications, revocations, resync).

        Each call makes an independent stream; it ends when the client fails or closes.
        """
        return self._fanout.stream()

    def add_listener(
        self, callback: Callable[[EventSubEvent | Revocation], Awaitable[None] | None]
    ) -> None:
        """Call ``callback`` with every event, in order, from a task of its own.

        A slow callback delays only itself, never the socket. Exceptions are logged.
        """
        stream = self._fanout.stream()
        self._spawn(self._run_listener(stream, callback), f"eventsub-listener-{id(callback)}")

    async def start(self) -> None:
        """Start connecting in the background (returns at once; see :meth:`wait_live`).

        Raises:
            LimitError: This user already has 3 live EventSub connections through ``http``.
            RuntimeError: Already started or closed.
        """
        if self._closed:
            raise RuntimeError("the EventSub client is closed")
        if self._supervisor is not None:
            raise RuntimeError("the EventSub client is already started")
        counts = _live_clients.setdefault(self.http, {})
        used = counts.get(self.user.id, 0)
        if used >= MAX_CONNECTIONS_PER_USER:
            raise LimitError(
                "eventsub_connections_per_user",
                MAX_CONNECTIONS_PER_USER,
                used + 1,
                f"user {self.user.id} already has {used} EventSub connections "
                f"(Twitch allows {MAX_CONNECTIONS_PER_USER})",
            )
        counts[self.user.id] = used + 1
        self._counted = True
        self._supervisor = asyncio.get_running_loop().create_task(
            self._supervise(), name=f"eventsub-{self.user.id}"
        )

    async def wait_live(self, timeout: float | None = None) -> None:
        """Wait until a session is live (subscribed).

        Raises:
            TimeoutError: Not live within ``timeout``.
            RuntimeError: The client failed or was closed first.
        """
        async with asyncio.timeout(timeout):
            await self._live_event.wait()
        if self._status.state is not ConnectionState.LIVE:
            raise RuntimeError(f"EventSub is {self._status.state.value}: {self._status.reason}")

    async def close(self) -> None:
        """Close the sockets and stop every task (awaited); safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        tasks = [t for t in (self._supervisor, self._resync_task) if t is not None]
        tasks += list(self._tasks)
        tasks += [s.reader for s in self._sockets if s.reader is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sock in list(self._sockets):
            await self._close_socket(sock)
        self._release_count()
        self._set_status(ConnectionStatus(ConnectionState.CLOSED, reason="closed"))
        self._fanout.end()
        self._live_event.set()

    async def __aenter__(self) -> EventSubClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- state -------------------------------------------------------------------------------

    def _set_status(self, status: ConnectionStatus) -> None:
        if status == self._status:
            return
        self._status = status
        if status.state is ConnectionState.LIVE or status.state is ConnectionState.FAILED:
            self._live_event.set()
        else:
            self._live_event.clear()
        _log.info(
            "EventSub %s%s", status.state.value, f": {status.reason}" if status.reason else ""
        )
        for callback in list(self._state_listeners):
            try:
                callback(status)
            except Exception:
                _log.exception("EventSub state listener failed")

    def _release_count(self) -> None:
        if self._counted:
            self._counted = False
            counts = _live_clients.get(self.http, {})
            counts[self.user.id] = max(0, counts.get(self.user.id, 1) - 1)

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run_listener(
        self,
        stream: EventStream,
        callback: Callable[[EventSubEvent | Revocation], Awaitable[None] | None],
    ) -> None:
        async for event in stream:
            try:
                await maybe_await(callback(event))
            except Exception:
                _log.exception("EventSub listener %r failed on %r", callback, event)

    # -- the supervisor ----------------------------------------------------------------------

    async def _supervise(self) -> None:
        """Fresh sessions, one after another, until closed or failed."""
        loop = asyncio.get_running_loop()
        attempt = 0
        reason: str | None = None
        code: int | None = None
        problems: tuple[str, ...] = ()
        while True:
            if self.http.closed:
                self._fail("the HTTP handler was closed", code)
                return
            state = ConnectionState.CONNECTING if reason is None else ConnectionState.RECONNECTING
            self._set_status(ConnectionStatus(state, reason, code, attempt=attempt))
            started = loop.time()
            try:
                sock = await self._open_fresh()
                try:
                    problems = await self._subscriber.subscribe_all(
                        sock.session_id, self._lost_reason
                    )
                except BaseException:
                    await self._drop_socket(sock)
                    raise
                self._set_status(
                    ConnectionStatus(
                        ConnectionState.LIVE,
                        None,
                        code,
                        session_id=sock.session_id,
                        problems=problems + self._revocation_notes(),
                    )
                )
                self._start_resync(ResyncInfo(self.sessions_started == 0, reason, sock.session_id))
                self.sessions_started += 1
                lost = await self._wait_lost()
            except FatalError as exc:
                self._fail(str(exc), code)
                return
            except SessionLost as exc:
                lost = exc
            except Exception as exc:  # a bug must not stop the client for good
                _log.exception("EventSub session failed unexpectedly")
                lost = SessionLost(f"unexpected error: {exc!r}")
            reason, code = lost.reason, lost.code
            await self._teardown()
            if code == 4001:
                # The server only accepts Pongs; we send nothing else, so this is our bug.
                _log.error("BUG: Twitch closed EventSub with 4001 (client sent inbound traffic)")
            elif code == 4003:
                _log.warning(
                    "EventSub closed with 4003 (connection unused): subscriptions were not "
                    "created within %.0fs of the welcome; reconnecting at once",
                    WELCOME_WINDOW_SECONDS,
                )
            if loop.time() - started >= STABLE_SESSION_SECONDS:
                attempt = 0
            delay = 0.0
            if not (code in _RETRY_AT_ONCE and attempt == 0):
                delay = backoff_delay(attempt, self.reconnect_base_delay, self.reconnect_max_delay)
            attempt += 1
            self._set_status(
                ConnectionStatus(
                    ConnectionState.RECONNECTING,
                    reason,
                    code,
                    attempt=attempt,
                    retry_in=delay,
                    problems=problems + self._revocation_notes(),
                )
            )
            if delay > 0:
                await asyncio.sleep(delay)

    def _fail(self, reason: str, code: int | None) -> None:
        _log.error("EventSub failed: %s", reason)
        self._set_status(ConnectionStatus(ConnectionState.FAILED, reason, code))
        self._release_count()
        self._fanout.end()
        self._spawn(self._teardown(), "eventsub-teardown")

    def _revocation_notes(self) -> tuple[str, ...]:
        return tuple(f"{r.subscription_type} revoked: {r.status}" for r in self.revocations)

    async def _wait_lost(self) -> SessionLost:
        assert self._lost is not None
        return await self._lost

    async def _teardown(self) -> None:
        """Stop every socket of the ended session chain."""
        if self._resync_task is not None and not self._resync_task.done():
            # Its requests are for a session that is gone; the next session resyncs anew.
            self._resync_task.cancel()
        for sock in list(self._sockets):
            await self._drop_socket(sock)
        self._current = None

    async def _drop_socket(self, sock: Socket) -> None:
        reader = sock.reader
        if reader is not None and reader is not asyncio.current_task() and not reader.done():
            reader.cancel()
            # wait(), not `await reader`: a cancellation of *this* task must still propagate.
            await asyncio.wait([reader])
        await self._close_socket(sock)

    async def _close_socket(self, sock: Socket) -> None:
        self._sockets.discard(sock)
        if not sock.ws.closed:
            with contextlib.suppress(Exception):
                await sock.ws.close()

    # -- connecting --------------------------------------------------------------------------

    def _configured_url(self) -> URL:
        return URL(self._url or self.http.eventsub_url)

    def _fresh_url(self) -> URL:
        url = self._configured_url()
        if self.keepalive_timeout is not None:
            url = url.update_query(keepalive_timeout_seconds=str(self.keepalive_timeout))
        return url

    async def _connect(self, url: URL, *, reconnect: bool) -> Socket:
        sock = await open_socket(await self.http.get_session(), url, reconnect=reconnect)
        self._inbox.clock.sync(sock.welcomed_at)
        self._sockets.add(sock)
        return sock

    def _lost_reason(self) -> SessionLost | None:
        lost = self._lost
        return lost.result() if lost is not None and lost.done() else None

    async def _open_fresh(self) -> Socket:
        await self._subscriber.prepare()
        sock = await self._connect(self._fresh_url(), reconnect=False)
        self._install(sock)
        return sock

    def _install(self, sock: Socket) -> None:
        """Make ``sock`` the current socket and start reading it."""
        if self._current is None or self._lost is None or self._lost.done():
            self._lost = asyncio.get_running_loop().create_future()
        self._current = sock
        sock.reader = asyncio.get_running_loop().create_task(
            self._read(sock), name=f"eventsub-read-{sock.session_id}"
        )

    # -- reading -----------------------------------------------------------------------------

    async def _read(self, sock: Socket) -> None:
        """Read one socket until it ends; report the end if it was the current socket."""
        try:
            lost = await sock.read(
                self._inbox.handle, self.keepalive_margin, self.handoff_quiet_seconds
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _log.exception("EventSub reader failed")
            lost = SessionLost(f"reader failed: {exc!r}")
        await self._close_socket(sock)
        if lost is None:
            return  # a drained old socket after a handoff
        if sock is self._current and self._lost is not None and not self._lost.done():
            self._lost.set_result(lost)

    def _on_revocation(self, revocation: Revocation) -> None:
        _log.warning("Twitch revoked %s: %s", revocation.subscription_type, revocation.status)
        self.revocations.append(revocation)
        self._set_status(
            replace(
                self._status,
                problems=tuple(dict.fromkeys(self._status.problems + self._revocation_notes())),
            )
        )
        revoked = {r.subscription_type for r in self.revocations}
        created = set(self.subscription_ids) or {spec.type for spec in self.subscriptions}
        if created <= revoked:
            self._fail(f"every subscription was revoked ({revocation.status})", None)
            if self._supervisor is not None:
                self._supervisor.cancel()

    # -- session_reconnect -------------------------------------------------------------------

    def _on_reconnect(self, sock: Socket, session: dict[str, Any]) -> None:
        url = session.get("reconnect_url")
        if not isinstance(url, str) or not url:
            raise MalformedMessage("no reconnect_url")
        if sock is not self._current or sock.reconnecting:
            _log.warning("ignoring an unexpected session_reconnect")
            return
        configured = self._configured_url()
        refusal = reconnect_url_refusal(url, configured)
        if refusal is not None:
            # Whatever answers there would be read as Twitch: never connect. A fresh
            # session on the configured URL follows, as after any lost session.
            _log.warning(
                "refused the reconnect_url of a session_reconnect (%s); a fresh session follows",
                refusal,
            )
            if self._lost is not None and not self._lost.done():
                self._lost.set_result(
                    SessionLost(f"protocol error: refused the reconnect_url ({refusal})")
                )
            return
        sock.reconnecting = True
        delay = self._hop_limiter.next_delay()
        self._spawn(self._hand_off(sock, url, delay), f"eventsub-handoff-{sock.session_id}")

    async def _hand_off(self, old: Socket, url: str, delay: float = 0.0) -> None:
        """Move to the reconnect URL; the old socket is read until the new welcome."""
        if delay > 0:
            await asyncio.sleep(delay)  # the old socket is still read meanwhile
            if self._closed or old is not self._current:
                return
        try:
            # "Use the reconnect URL as is; do not modify it": no re-encoding by yarl.
            new = await self._connect(URL(url, encoded=True), reconnect=True)
        except SessionLost as exc:
            _log.warning("session_reconnect failed: %s", exc.reason)
            if old is self._current and self._lost is not None and not self._lost.done():
                self._lost.set_result(
                    SessionLost(f"session_reconnect failed: {exc.reason}", exc.code)
                )
            return
        if self._closed or old is not self._current:
            await self._close_socket(new)
            return
        old.draining = True
        self._install(new)
        # Nudge the old reader so it notices it is draining (its wait may be a long one).
        old.last_seen = asyncio.get_running_loop().time()
        if old.reader is not None and not old.reader.done():
            self._spawn(self._drain_later(old), f"eventsub-drain-{old.session_id}")
        self.hops += 1
        self._set_status(replace(self._status, session_id=new.session_id))
        _log.info("EventSub moved from session %s to %s", old.session_id, new.session_id)

    async def _drain_later(self, old: Socket) -> None:
        """Close the old socket once it has been quiet (the reader stops on its own then)."""
        loop = asyncio.get_running_loop()
        while old.reader is not None and not old.reader.done():
            quiet_for = loop.time() - old.last_seen
            if quiet_for >= self.handoff_quiet_seconds:
                break
            await asyncio.sleep(self.handoff_quiet_seconds - quiet_for)
        await self._drop_socket(old)

    # -- reconciliation ----------------------------------------------------------------------

    def _start_resync(self, info: ResyncInfo) -> None:
        if not self.standard_resync and self.on_resync is None:
            return
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_task.cancel()
        self._resync_task = asyncio.get_running_loop().create_task(
            self._resync(info), name=f"eventsub-resync-{info.session_id}"
        )

    async def _resync(self, info: ResyncInfo) -> None:
        try:
            if self.standard_resync:
                from .eventsub_resync import standard_resync
                from .models.users import PartialUser

                user = self.user
                broadcaster = (
                    user if isinstance(user, PartialUser) else PartialUser(self.http, user.id)
                )
                async for event in standard_resync(broadcaster):
                    self._fanout.put(event)
            if self.on_resync is not None:
                await maybe_await(self.on_resync(info))
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("EventSub reconciliation failed")
