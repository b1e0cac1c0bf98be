"""Delivery rules of EventSub messages: drop Twitch's resends and stale (or impossible) ones.

[WSR] "Twitch sends messages at least once ... If Twitch resends the message, the message ID
will be the same": ids are remembered for ten minutes (bounded). Message ages are measured on
Twitch's clock as seen here (synced at each welcome), so a wrong local clock does not matter.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from .eventsub_envelope import MalformedMessage
from .timeutil import parse_timestamp

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "DEDUP_MAX_ENTRIES",
    "DEDUP_WINDOW_SECONDS",
    "MAX_MESSAGE_AGE_SECONDS",
    "MAX_SERVER_CLOCK_OFFSET",
    "MessageFilter",
    "MessageWindow",
    "ServerClock",
    "message_time",
    "welcome_time",
]

_log = logging.getLogger(__name__)

#: At least ten minutes of message ids are remembered (the brief's window; Twitch is silent
#: on how late a resend can come).
DEDUP_WINDOW_SECONDS: Final = 600.0
#: Messages older than this (by ``message_timestamp``) are dropped as replays; messages
#: stamped this far *ahead* of Twitch's clock are malformed (a year-9999 time).
MAX_MESSAGE_AGE_SECONDS: Final = 600.0
#: A welcome time further than this from our clock is not a clock at all (year 9999): the
#: server clock is not moved to it. The reference is silent; ten years keeps a badly set
#: local clock working.
MAX_SERVER_CLOCK_OFFSET: Final = timedelta(days=3653)
#: Hard cap on remembered ids, so a flood cannot grow memory without bound. At 100 000 ids the
#: ten-minute window holds up to ~166 messages a second, far beyond one channel's traffic.
DEDUP_MAX_ENTRIES: Final = 100_000


class MessageWindow:
    """Remembers recent message ids to drop Twitch's resends (bounded, time-windowed).

    Ids are kept in arrival order with their arrival time, so expiry pops from the front.

    Args:
        window: Seconds an id is remembered.
        max_entries: Hard cap; past it the oldest ids go first (the window then shrinks,
            which is logged once).
        clock: Monotonic seconds (injectable for tests).
    """

    __slots__ = ("_clock", "_ids", "_warned", "max_entries", "window")

    def __init__(
        self,
        window: float = DEDUP_WINDOW_SECONDS,
        max_entries: int = DEDUP_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.max_entries = max_entries
        self._clock = clock
        self._ids: OrderedDict[str, float] = OrderedDict()
        self._warned = False

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"<MessageWindow ids={len(self._ids)} window={self.window}s>"

    def seen(self, message_id: str) -> bool:
        """True if ``message_id`` arrived within the window; otherwise records it."""
        now = self._clock()
        ids = self._ids
        if message_id in ids:
            return True
        cutoff = now - self.window
        while ids:
            oldest = next(iter(ids.values()))
            if oldest >= cutoff:
                break
            ids.popitem(last=False)
        if len(ids) >= self.max_entries:
            if not self._warned:
                self._warned = True
                _log.warning(
                    "more than %d EventSub messages within %.0fs: the duplicate window shrinks",
                    self.max_entries,
                    self.window,
                )
            ids.popitem(last=False)
        ids[message_id] = now
        return False


class ServerClock:
    """Twitch's clock as seen from here, so message ages do not depend on the local clock.

    The offset is taken from each welcome's ``message_timestamp`` (network delay makes it
    slightly late, which only makes messages look younger).
    """

    __slots__ = ("offset",)

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def sync(self, server_time: datetime | None) -> None:
        """Record the server's time at this instant (None, or an absurd time: no change)."""
        if server_time is None:
            return
        offset = server_time - datetime.now(UTC)
        if abs(offset) > MAX_SERVER_CLOCK_OFFSET:
            _log.warning("ignoring an EventSub welcome time %s from our clock", offset)
            return
        self.offset = offset

    def now(self) -> datetime:
        """The server's current time, estimated."""
        return datetime.now(UTC) + self.offset


class MessageFilter:
    """Lets each message through once: drops resends (same id) and messages over 10 minutes old.

    Args:
        clock: Twitch's clock as seen here (ages do not depend on the local clock).
        window: The duplicate window (at least ten minutes).

    Attributes:
        duplicates: Messages dropped as resends.
        stale: Messages dropped as too old.
    """

    __slots__ = ("_clock", "_window", "duplicates", "stale")

    def __init__(self, clock: ServerClock, window: MessageWindow | None = None) -> None:
        self._clock = clock
        self._window = window if window is not None else MessageWindow()
        self.duplicates = 0
        self.stale = 0

    def __repr__(self) -> str:
        return f"<MessageFilter duplicates={self.duplicates} stale={self.stale}>"

    def accept(self, metadata: Mapping[str, Any]) -> datetime | None:
        """The message's time if it is new and fresh; None for a resend or a stale one.

        Raises:
            MalformedMessage: No ``message_id``, or a ``message_timestamp`` that is not a
                time, or is more than ten minutes ahead of Twitch's clock.
        """
        message_id = metadata.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise MalformedMessage("no message_id")
        raw = metadata.get("message_timestamp")
        try:
            if not isinstance(raw, str):
                raise ValueError("missing")
            sent = parse_timestamp(raw)
        except ValueError as exc:
            raise MalformedMessage(f"message_timestamp: {exc}", message_id=message_id) from None
        age = (self._clock.now() - sent).total_seconds()
        if age < -MAX_MESSAGE_AGE_SECONDS:
            raise MalformedMessage(
                f"message_timestamp is {-age:.0f} s ahead of Twitch's clock",
                message_id=message_id,
            )
        if age > MAX_MESSAGE_AGE_SECONDS:
            self.stale += 1
            _log.info("dropping EventSub message %s: older than 10 minutes", message_id)
            return None
        if self._window.seen(message_id):
            self.duplicates += 1
            return None
        return sent


def message_time(metadata: Mapping[str, Any]) -> datetime:
    """``metadata.message_timestamp``; a missing or bad one counts as "now" (logged)."""
    sent = welcome_time(metadata)
    return sent if sent is not None else datetime.now(UTC)


def welcome_time(metadata: Mapping[str, Any]) -> datetime | None:
    """``metadata.message_timestamp``, or None when missing or not a time (logged)."""
    raw = metadata.get("message_timestamp")
    try:
        return parse_timestamp(raw)  # type: ignore[arg-type]  # checked by the parser
    except ValueError:
        _log.warning("EventSub message without a valid timestamp: %.64r", raw)
        return None
