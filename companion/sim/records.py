"""In-memory records behind the simulator's state (not served directly)."""

from __future__ import annotations

import bisect
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class ClientRecord:
    """A registered OAuth client; ``secret`` None means a public client."""

    client_id: str
    secret: str | None


@dataclass(slots=True, eq=False)
class RefreshRecord:
    """A refresh token; public clients' ones are single use."""

    token: str
    client_id: str
    user_id: str
    scopes: frozenset[str]
    used: bool = False
    revoked: bool = False

    def __repr__(self) -> str:
        return f"RefreshRecord(client_id={self.client_id!r}, user_id={self.user_id!r})"


@dataclass(slots=True, eq=False)
class DeviceCodeRecord:
    """One pending device-code authorization."""

    device_code: str
    user_code: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float
    status: str = "pending"  # pending | approved | denied | spent
    user_id: str | None = None
    last_poll: float | None = None
    #: The poll interval this code is held to; RFC 8628: each ``slow_down`` adds 5 s.
    interval: float = 5.0

    def __repr__(self) -> str:
        return f"DeviceCodeRecord(client_id={self.client_id!r}, status={self.status!r})"


@dataclass(slots=True, eq=False)
class RedemptionRecord:
    """A redemption; ``data`` is its Helix shape (kept current).

    Its JSON text is cached: encoding a 50-item page was most of a Get Custom Reward
    Redemption request's cost. Whoever changes ``data`` calls :meth:`changed`.
    """

    id: str
    seq: int
    reward_id: str
    data: dict[str, Any]
    _json: str | None = field(default=None, repr=False)
    #: ``redeemed_at`` as an epoch time: Helix shows whole seconds, EventSub nanoseconds.
    redeemed_epoch: float = 0.0

    @property
    def status(self) -> str:
        """The Helix status (UNFULFILLED, FULFILLED, CANCELED)."""
        return str(self.data["status"])

    def json_text(self) -> str:
        """``data`` as compact JSON (non-ASCII kept), encoded once per change."""
        if self._json is None:
            self._json = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return self._json

    def changed(self) -> None:
        """Forget the cached JSON after ``data`` changed."""
        self._json = None


class StatusIndex:
    """Redemptions of one reward in one status, ordered by redemption order (``seq``).

    Lookups, inserts, removals and page starts are O(log n) (plus a C-level memmove), so
    listing a page of a busy reward's queue does not walk the whole queue.
    """

    __slots__ = ("by_seq", "seqs")

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.by_seq: dict[int, RedemptionRecord] = {}

    def __repr__(self) -> str:
        return f"StatusIndex(len={len(self.seqs)})"

    def __len__(self) -> int:
        return len(self.seqs)

    def add(self, rec: RedemptionRecord) -> None:
        """Insert keeping ``seq`` order (appending is the common case)."""
        if not self.seqs or rec.seq > self.seqs[-1]:
            self.seqs.append(rec.seq)
        else:
            bisect.insort(self.seqs, rec.seq)
        self.by_seq[rec.seq] = rec

    def remove(self, rec: RedemptionRecord) -> None:
        """Remove ``rec`` (must be present)."""
        i = bisect.bisect_left(self.seqs, rec.seq)
        del self.seqs[i]
        del self.by_seq[rec.seq]

    def page(
        self, *, newest_first: bool, after_seq: int | None, limit: int
    ) -> list[RedemptionRecord]:
        """Up to ``limit`` records strictly after ``after_seq`` in the chosen order."""
        seqs = self.seqs
        if newest_first:
            end = len(seqs) if after_seq is None else bisect.bisect_left(seqs, after_seq)
            start = max(0, end - limit)
            return [self.by_seq[s] for s in reversed(seqs[start:end])]
        start = 0 if after_seq is None else bisect.bisect_right(seqs, after_seq)
        return [self.by_seq[s] for s in seqs[start : start + limit]]

    def __iter__(self) -> Iterator[RedemptionRecord]:
        return (self.by_seq[s] for s in self.seqs)


@dataclass(slots=True, eq=False)
class RewardRecord:
    """A custom reward; ``data`` is its stored Helix shape (without the live fields)."""

    id: str
    broadcaster_id: str
    client_id: str
    data: dict[str, Any]
    by_status: dict[str, StatusIndex] = field(
        default_factory=lambda: {s: StatusIndex() for s in ("UNFULFILLED", "FULFILLED", "CANCELED")}
    )
    redeemed_this_stream: int = 0
    per_user_this_stream: dict[str, int] = field(default_factory=dict)
    cooldown_until: float = 0.0

    def __repr__(self) -> str:
        return f"RewardRecord(id={self.id!r}, title={self.data.get('title')!r})"


@dataclass(slots=True, eq=False)
class PredictionRecord:
    """A prediction; ``data`` is its Helix shape, ``bets`` maps user id to (outcome, points)."""

    id: str
    seq: int
    data: dict[str, Any]
    locks_at: float
    bets: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class PollRecord:
    """A poll; ``data`` is its Helix shape."""

    id: str
    seq: int
    data: dict[str, Any]
    ends_at: float


@dataclass(slots=True, eq=False)
class ChannelRecord:
    """Everything that belongs to one broadcaster."""

    broadcaster_id: str
    info: dict[str, Any]
    rewards: dict[str, RewardRecord] = field(default_factory=dict)
    reward_titles: dict[str, str] = field(default_factory=dict)  # title -> reward id
    predictions: dict[str, PredictionRecord] = field(default_factory=dict)
    running_prediction: str | None = None
    polls: dict[str, PollRecord] = field(default_factory=dict)
    active_poll: str | None = None
    goals: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Goal id -> its start as an epoch time (Helix's ``created_at`` has whole seconds only).
    goal_started: dict[str, float] = field(default_factory=dict)
    stream: dict[str, Any] | None = None
    extensions: dict[str, dict[str, Any]] = field(default_factory=dict)  # installed, by id
    active_extensions: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {
            "panel": {str(i): {"active": False} for i in range(1, 4)},
            "overlay": {"1": {"active": False}},
            "component": {str(i): {"active": False} for i in range(1, 3)},
        }
    )

    def __repr__(self) -> str:
        return f"ChannelRecord(broadcaster_id={self.broadcaster_id!r})"
