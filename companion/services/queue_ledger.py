"""What the queue and rewards services write to the ledger, and what the history view reads.

The SQLite ledger (``companion/core/ledger.py``) is owned elsewhere and may not have
landed yet; the services talk to this small protocol instead, so the app can pass the
SQLite ledger through an adapter, and tests (and a signed-out app) can pass
:class:`MemoryLedger`. Entries are plain records, one per thing that happened to a
redemption: seen, fulfilled, refunded, handled elsewhere, failed, undone.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

__all__ = ["LedgerEntry", "LedgerKind", "MemoryLedger", "QueueLedger"]

_log = logging.getLogger(__name__)


class LedgerKind(enum.Enum):
    """What happened to a redemption."""

    SEEN = "seen"  # it arrived (EventSub or a Helix reconcile)
    FULFILLED = "fulfilled"  # this app fulfilled it
    REFUNDED = "refunded"  # this app refunded it (CANCELED)
    HANDLED_ELSEWHERE = "handled elsewhere"  # another app, the dashboard, or a deletion
    FAILED = "failed"  # an action on it failed; the row stayed in the queue
    UNDONE = "undone"  # an action on it was undone inside the window


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One line of the ledger.

    Attributes:
        at: When it happened (aware, UTC).
        kind: What happened.
        redemption_id: The redemption.
        reward_id: Its reward.
        reward_title: The reward's title at the time.
        user_login: The viewer's login.
        user_name: The viewer's display name.
        user_input: What the viewer typed, or None.
        detail: An error text, the action id, or the status seen elsewhere.
    """

    at: datetime
    kind: LedgerKind
    redemption_id: str
    reward_id: str
    reward_title: str
    user_login: str
    user_name: str
    user_input: str | None = None
    detail: str | None = None


class QueueLedger(Protocol):
    """Where the services append entries and the history view searches them."""

    async def append(self, entries: Sequence[LedgerEntry]) -> None:
        """Store entries (one transaction for the lot)."""

    async def search(
        self, viewer: str | None = None, reward_id: str | None = None, limit: int = 1000
    ) -> list[LedgerEntry]:
        """Newest first; ``viewer`` matches login or display name (case-insensitive part)."""


class MemoryLedger:
    """An in-memory :class:`QueueLedger` (tests, and the app before sign-in)."""

    def __init__(self) -> None:
        self.entries: list[LedgerEntry] = []
        self.appends = 0

    def __repr__(self) -> str:
        return f"MemoryLedger(entries={len(self.entries)})"

    async def append(self, entries: Sequence[LedgerEntry]) -> None:
        """Store entries."""
        self.entries.extend(entries)
        self.appends += 1
        await asyncio.sleep(0)

    async def search(
        self, viewer: str | None = None, reward_id: str | None = None, limit: int = 1000
    ) -> list[LedgerEntry]:
        """Newest first, filtered."""
        needle = (viewer or "").strip().lower()
        out: list[LedgerEntry] = []
        for entry in reversed(self.entries):
            if reward_id is not None and entry.reward_id != reward_id:
                continue
            if (
                needle
                and needle not in entry.user_login.lower()
                and (needle not in entry.user_name.lower())
            ):
                continue
            out.append(entry)
            if len(out) >= limit:
                break
        return out
