"""Identifier and timestamp helpers (deterministic when seeded)."""

from __future__ import annotations

import base64
import json
import logging
import random
import string
import uuid
from datetime import UTC, datetime
from typing import Any

_log = logging.getLogger(__name__)

_TOKEN_ALPHABET = string.ascii_lowercase + string.digits
_GOAL_ALPHABET = string.ascii_letters + string.digits
_USER_CODE_ALPHABET = string.ascii_uppercase


class IdFactory:
    """Makes every id the simulator hands out.

    Args:
        seed: Seed for the generator; the same seed gives the same sequence of ids.
    """

    __slots__ = ("_next_numeric", "_rng")

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        # Numeric ids (users, streams) count up so tests can predict them.
        self._next_numeric = 100_000_000

    def __repr__(self) -> str:
        return f"IdFactory(next_numeric={self._next_numeric})"

    def numeric(self) -> str:
        """A numeric string id (users, streams), as Twitch's are."""
        self._next_numeric += 1
        return str(self._next_numeric)

    def uuid(self) -> str:
        """A UUID4-shaped id (rewards, redemptions, predictions, polls, subscriptions)."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def token(self, length: int = 30) -> str:
        """An opaque lower-case token (access tokens are 30 characters at Twitch)."""
        return "".join(self._rng.choices(_TOKEN_ALPHABET, k=length))

    def goal_id(self) -> str:
        """A 27-character mixed-case id, like the documented goal id."""
        return "".join(self._rng.choices(_GOAL_ALPHABET, k=27))

    def user_code(self) -> str:
        """An 8-letter upper-case device user code (as device.response.json)."""
        return "".join(self._rng.choices(_USER_CODE_ALPHABET, k=8))

    def choice(self, seq: list[Any]) -> Any:
        """Pick one element (used by the traffic generator, deterministic when seeded)."""
        return self._rng.choice(seq)


def rfc3339(epoch: float, *, nanos: bool = False) -> str:
    """Format an epoch time as RFC3339 UTC.

    Args:
        epoch: Seconds since the epoch.
        nanos: Add a 9-digit fraction (predictions and polls are documented with one).
    """
    dt = datetime.fromtimestamp(epoch, tz=UTC)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        frac = round((epoch - int(epoch)) * 1e9) % 1_000_000_000
        return f"{base}.{frac:09d}Z"
    return f"{base}Z"


def encode_cursor(payload: dict[str, Any]) -> str:
    """Make an opaque pagination cursor (base64 of JSON, like Twitch's look)."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any] | None:
    """Read a cursor made by `encode_cursor`; None when it is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
