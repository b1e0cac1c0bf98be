"""Timestamps: the one parser every model uses.

Twitch sends RFC 3339 times. Helix usually sends whole seconds (``2020-07-01T18:37:32Z``)
or nanoseconds (``2021-04-28T16:03:06.320848689Z``); EventSub always sends nanoseconds,
which :meth:`datetime.fromisoformat` cannot hold, so the fraction is cut to microseconds.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["format_timestamp", "parse_optional_timestamp", "parse_timestamp"]

_log = logging.getLogger(__name__)

_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})\Z"
)


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp into an aware UTC :class:`datetime`.

    Fractions longer than microseconds are truncated (not rounded, so the result is never
    later than the instant Twitch meant).

    Args:
        value: For example ``"2020-07-15T17:16:03.17106713Z"``.

    Returns:
        The instant, with ``tzinfo=UTC``.

    Raises:
        ValueError: ``value`` is not an RFC 3339 date-time with a zone, or its instant is
            outside the years 1-9999 in UTC.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 string, got {type(value).__name__}")
    match = _RFC3339.match(value)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    naive = datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}")
    zone = match["zone"]
    if zone in ("Z", "z"):
        tz = UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(f"bad zone offset in {value!r}")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return naive.replace(tzinfo=tz).astimezone(UTC)
    except OverflowError:
        # e.g. 9999-12-31T23:59:59-01:00 is past the largest datetime once in UTC.
        raise ValueError(f"timestamp out of range: {value!r}") from None


def parse_optional_timestamp(value: str | None) -> datetime | None:
    """Parse a time that Twitch may leave out: ``None`` and ``""`` both mean "none".

    Twitch sends ``""`` for "no time" in several places (a permanent ban's ``expires_at``,
    Get Bits Leaderboard's ``date_range`` without ``started_at``, a schedule's vacation, a
    channel that has never run Shield Mode), ``null`` in others. Both read as None here, so
    every model reads optional times through this one function.

    Raises:
        ValueError: ``value`` is some other text that is not an RFC 3339 date-time.
    """
    if value is None or value == "":
        return None
    return parse_timestamp(value)


def format_timestamp(value: datetime) -> str:
    """Format an aware datetime as RFC 3339 in UTC with a ``Z`` (the form Helix sends)."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
