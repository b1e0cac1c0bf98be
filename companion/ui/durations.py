"""Durations as a streamer types them: ``90``, ``1:30``, ``5m``, ``2m 30s``, ``1h``.

Twitch takes a reward's global cooldown in seconds; nobody thinks of 5 minutes as 300.
"""

from __future__ import annotations

import re

__all__ = ["format_duration", "in_words", "parse_duration"]

_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}
_DURATION_PART = re.compile(
    # Longest spelling first: the regex takes the first alternative that matches.
    r"(\d+)\s*(hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b",
    re.IGNORECASE,
)


def parse_duration(text: str) -> int | None:
    """Seconds from ``90``, ``1:30``, ``1:00:05``, ``5m``, ``2m 30s``, ``1 h``; else None."""
    stripped = text.strip().lower()
    if not stripped:
        return None
    if (plain := stripped.replace(",", "").replace("_", "")).isdigit():
        return int(plain)
    if re.fullmatch(r"\d+(:\d{1,2}){1,2}", stripped):
        *larger, seconds = (int(part) for part in stripped.split(":"))
        if seconds > 59 or (len(larger) == 2 and larger[1] > 59):
            return None
        total = seconds
        for scale, value in zip((60, 3600), reversed(larger), strict=False):
            total += scale * value
        return total
    position, total = 0, 0
    for match in _DURATION_PART.finditer(stripped):
        if stripped[position : match.start()].strip(" ,"):
            return None  # something between the parts that is not a duration
        total += int(match.group(1)) * _UNIT_SECONDS[match.group(2)[0]]
        position = match.end()
    if position == 0 or stripped[position:].strip():
        return None
    return total


def format_duration(seconds: int) -> str:
    """``330`` -> ``5m 30s``; ``3600`` -> ``1h``; ``45`` -> ``45s`` (parse_duration reads it)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    units = ((hours, "h"), (minutes, "m"), (secs, "s"))
    return " ".join(f"{value}{unit}" for value, unit in units if value) or "0s"


def in_words(seconds: int) -> str:
    """``150`` -> ``2 min 30 s`` (the form's confirmation of what it read)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{value} {unit}" for value, unit in ((hours, "h"), (minutes, "min"), (secs, "s")) if value
    ]
    return " ".join(parts) or "0 s"
