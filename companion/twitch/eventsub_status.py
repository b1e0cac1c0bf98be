"""What the EventSub client tells its consumers about the connection, and its internal outcomes."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

__all__ = ["ConnectionState", "ConnectionStatus", "FatalError", "ResyncInfo", "SessionLost"]

_log = logging.getLogger(__name__)


class ConnectionState(enum.Enum):
    """Where the connection is, for a status bar."""

    IDLE = "idle"
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """A snapshot of the connection.

    Attributes:
        state: The state.
        reason: Why it is not live (or what went wrong last), for people.
        close_code: The last close code Twitch sent, if any.
        session_id: The live session's id.
        attempt: Consecutive failed attempts so far.
        retry_in: Seconds until the next attempt, while waiting to reconnect.
        problems: Subscriptions that could not be created, and revocations, as text.
    """

    state: ConnectionState
    reason: str | None = None
    close_code: int | None = None
    session_id: str | None = None
    attempt: int = 0
    retry_in: float | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResyncInfo:
    """Passed to ``on_resync`` after a fresh session was subscribed.

    Attributes:
        first: True for the client's first session (no events were missed, but the app may
            load its initial state here).
        reason: Why the previous session was lost (None for the first).
        session_id: The new session.
    """

    first: bool
    reason: str | None
    session_id: str


class SessionLost(Exception):
    """A session ended; the supervisor decides what comes next."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class FatalError(Exception):
    """Retrying cannot help (sign-in needed, nothing may be subscribed)."""
