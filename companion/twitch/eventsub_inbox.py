"""What the EventSub client does with each frame it reads: the message side of a session.

Every frame goes through :meth:`Inbox.handle`: its envelope is checked
(:mod:`.eventsub_envelope`), resends and stale messages are filtered out, notifications and
revocations become events for the consumers, and a ``session_reconnect`` is handed back to
the client. A frame that does not have the documented shape is logged (what is wrong, never
its content) and dropped; the session goes on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from .eventsub_envelope import Envelope, MalformedMessage, parse_envelope
from .eventsub_filter import MessageFilter, ServerClock
from .eventsub_messages import parse_notification, parse_revocation

if TYPE_CHECKING:
    from collections.abc import Callable

    from .eventsub_messages import Revocation
    from .eventsub_socket import Socket
    from .eventsub_stream import Fanout
    from .http import HTTPHandler

__all__ = ["DROPS_LOGGED", "Inbox"]

_log = logging.getLogger(__name__)

#: Dropped messages logged at WARNING per socket; past it, DEBUG (a flood must not fill the
#: log); :attr:`Inbox.malformed_dropped` still counts them all.
DROPS_LOGGED: Final = 20


class Inbox:
    """Turns frames into events for one EventSub client.

    Args:
        http: The handler the models keep.
        fanout: Where events go.
        on_reconnect: Called with the socket and the ``payload.session`` object of a
            ``session_reconnect`` (it may raise :class:`MalformedMessage`).
        on_revocation: Called with each new :class:`Revocation`, after the consumers got it.

    Attributes:
        clock: Twitch's clock as seen here (synced at each welcome).
        filter: Drops resends and messages over ten minutes old.
        malformed_dropped: Messages dropped for not having the documented shape.
    """

    def __init__(
        self,
        http: HTTPHandler,
        fanout: Fanout,
        on_reconnect: Callable[[Socket, dict[str, Any]], None],
        on_revocation: Callable[[Revocation], None],
    ) -> None:
        self.http = http
        self.clock = ServerClock()
        self.filter = MessageFilter(self.clock)
        self.malformed_dropped = 0
        self._fanout = fanout
        self._on_reconnect = on_reconnect
        self._on_revocation = on_revocation

    def __repr__(self) -> str:
        return f"<Inbox {self.filter!r} malformed={self.malformed_dropped}>"

    def handle(self, sock: Socket, frame: str | bytes) -> bool:
        """Handle one frame read from ``sock``; False when it was dropped as malformed."""
        try:
            envelope = parse_envelope(frame)
        except MalformedMessage as exc:
            self._dropped(sock, exc.kind, exc.message_id, exc.reason)
            return False
        try:
            self._dispatch(sock, envelope)
        except MalformedMessage as exc:
            self._dropped(sock, envelope.kind, envelope.message_id, exc.reason)
            return False
        except Exception:
            # A message of the right shape that our handling still fails on is our bug:
            # logged with its traceback, and only that message is lost.
            _log.exception("EventSub: handling a message failed; it is dropped")
            self.malformed_dropped += 1
            return False
        return True

    def _dropped(self, sock: Socket, kind: str, message_id: str, reason: str) -> None:
        self.malformed_dropped += 1
        sock.dropped += 1
        # The reason names what is wrong; the message itself is never quoted (EventSub
        # carries no tokens, but a log is no place for whatever a server sent).
        level = logging.WARNING if sock.dropped <= DROPS_LOGGED else logging.DEBUG
        _log.log(
            level,
            "dropped an EventSub message (%s, id %.80r): %s",
            kind or "unknown type",
            message_id,
            reason,
        )
        if sock.dropped == DROPS_LOGGED:
            _log.warning("further malformed EventSub messages on this session are not logged")

    def _dispatch(self, sock: Socket, envelope: Envelope) -> None:
        kind = envelope.kind
        if kind == "notification":
            sent = self.filter.accept(envelope.metadata)
            if sent is not None:
                self._fanout.put(
                    parse_notification(self.http, envelope.metadata, envelope.payload, sent)
                )
        elif kind == "session_keepalive":
            pass
        elif kind == "session_reconnect":
            session = envelope.payload.get("session")
            if not isinstance(session, dict):
                raise MalformedMessage("payload.session is not an object")
            self._on_reconnect(sock, session)
        elif kind == "revocation":
            sent = self.filter.accept(envelope.metadata)
            if sent is not None:
                revocation = parse_revocation(envelope.metadata, envelope.payload, sent)
                self._fanout.put(revocation)
                self._on_revocation(revocation)
        else:
            _log.info("ignoring EventSub message type %.40r", kind)
