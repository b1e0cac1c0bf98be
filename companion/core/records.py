"""Plain records the core works on, decoupled from the Twitch client's models.

Services convert the client's models (Helix reads, EventSub notifications) into
these records; the queue, the ledger and the UI's item models only ever see them.
Keeping the core on its own records means a change in the client's models cannot
silently change what the ledger stores.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "ActionKind",
    "ActionRecord",
    "ActionState",
    "BatchOutcome",
    "RedemptionRecord",
    "RedemptionStatus",
    "is_hex_color",
    "normalize_status",
]

_log = logging.getLogger(__name__)

RedemptionStatus = Literal["UNFULFILLED", "FULFILLED", "CANCELED"]
_STATUSES: frozenset[str] = frozenset(get_args(RedemptionStatus))

# Twitch documents reward colours as hex like "#9147FF" (SOURCES.md, Create Custom Rewards).
_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def is_hex_color(text: str | None) -> bool:
    """True for a colour spelled ``#RRGGBB`` (the only spelling a record keeps)."""
    return text is not None and _HEX_COLOR.match(text) is not None


def normalize_status(status: str) -> RedemptionStatus:
    """Return a redemption status in Helix's upper-case spelling.

    Helix spells statuses upper case (``UNFULFILLED``) while the EventSub examples
    in twitch-reference spell them lower case (``unfulfilled``); both mean the same.

    Raises:
        ValueError: ``status`` is none of UNFULFILLED, FULFILLED, CANCELED.
    """
    upper = status.upper()
    if upper == "UNFULFILLED":
        return "UNFULFILLED"
    if upper == "FULFILLED":
        return "FULFILLED"
    if upper == "CANCELED":
        return "CANCELED"
    raise ValueError(f"unknown redemption status {status!r}")


@dataclass(frozen=True, slots=True, eq=False)
class RedemptionRecord:
    """One channel-points redemption as the core sees it.

    Equality and hashing use ``redemption_id`` only (the house rule for models):
    two snapshots of the same redemption with different statuses are the same
    redemption. Compare :meth:`as_tuple` to compare every field.

    Attributes:
        redemption_id: Twitch's redemption id.
        broadcaster_id: The channel's user id.
        reward_id: The reward's id.
        reward_title: The reward's title at redemption time.
        reward_cost: The reward's cost at redemption time.
        reward_color: The reward's background colour as ``#RRGGBB``, or None when unknown
            (redemption payloads do not carry it; services fill it from the reward).
        user_id: The viewer's user id.
        user_login: The viewer's login.
        user_name: The viewer's display name.
        user_input: What the viewer typed, or None (Twitch's ``""`` becomes None).
        redeemed_at: When the viewer redeemed, timezone-aware.
        status: UNFULFILLED, FULFILLED or CANCELED.
    """

    redemption_id: str
    broadcaster_id: str
    reward_id: str
    reward_title: str
    reward_cost: int
    reward_color: str | None
    user_id: str
    user_login: str
    user_name: str
    user_input: str | None
    redeemed_at: datetime
    status: RedemptionStatus = "UNFULFILLED"

    def __post_init__(self) -> None:
        if not self.redemption_id:
            raise ValueError("redemption_id must not be empty")
        if not self.reward_id:
            raise ValueError("reward_id must not be empty")
        if self.redeemed_at.tzinfo is None or self.redeemed_at.utcoffset() is None:
            raise ValueError("redeemed_at must be timezone-aware")
        if self.status not in _STATUSES:
            raise ValueError(f"unknown redemption status {self.status!r}")
        if self.reward_color is not None and not _HEX_COLOR.match(self.reward_color):
            raise ValueError(f"reward_color must be #RRGGBB or None, not {self.reward_color!r}")
        if self.user_input == "":
            # Twitch sends "" for "no input"; the core keeps one spelling of nothing.
            object.__setattr__(self, "user_input", None)

    def with_status(self, status: RedemptionStatus) -> RedemptionRecord:
        """Return a copy with another status."""
        return replace(self, status=status)

    def as_tuple(self) -> tuple[object, ...]:
        """Every field, in declaration order (for full comparisons)."""
        return (
            self.redemption_id,
            self.broadcaster_id,
            self.reward_id,
            self.reward_title,
            self.reward_cost,
            self.reward_color,
            self.user_id,
            self.user_login,
            self.user_name,
            self.user_input,
            self.redeemed_at,
            self.status,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RedemptionRecord):
            return NotImplemented
        return self.redemption_id == other.redemption_id

    def __hash__(self) -> int:
        return hash(self.redemption_id)

    def __repr__(self) -> str:
        return (
            f"RedemptionRecord(redemption_id={self.redemption_id!r}, "
            f"reward_id={self.reward_id!r}, user_login={self.user_login!r}, "
            f"status={self.status!r})"
        )


class ActionKind(enum.Enum):
    """What an action does to its redemptions, with the status it sends."""

    FULFILL = "FULFILLED"
    REFUND = "CANCELED"

    @property
    def target_status(self) -> RedemptionStatus:
        """The status sent to Twitch (CANCELED refunds the points)."""
        return "FULFILLED" if self is ActionKind.FULFILL else "CANCELED"


class ActionState(enum.Enum):
    """Where an action is in its life.

    PENDING (undo window open) -> UNDONE, or -> SENDING -> DONE | PARTIAL | FAILED.
    """

    PENDING = "PENDING"
    UNDONE = "UNDONE"
    SENDING = "SENDING"
    DONE = "DONE"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"

    @classmethod
    def outcome(cls, *, failed: bool, settled: bool) -> ActionState:
        """How a sent action ended: some ids failed, some settled (done or handled
        elsewhere), or both."""
        if failed:
            return cls.PARTIAL if settled else cls.FAILED
        return cls.DONE

    @property
    def finished(self) -> bool:
        """True once nothing more will happen to the action."""
        return self not in (ActionState.PENDING, ActionState.SENDING)


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What the sender reports for one call (one reward, at most 50 ids).

    Services build it from the HTTP result: ids in the response are ``done``; ids
    Twitch answers 404 for (no longer UNFULFILLED: handled by someone else) are
    ``already_handled``; anything else is ``failed`` with a short error text. An id
    the outcome does not mention is treated as failed, so a sender bug can never
    make a row disappear.

    Attributes:
        done: Ids whose status Twitch changed.
        already_handled: Ids that were no longer UNFULFILLED on Twitch.
        failed: Error text per id that was not changed.
    """

    done: frozenset[str] = frozenset()
    already_handled: frozenset[str] = frozenset()
    failed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def all_done(cls, ids: tuple[str, ...] | list[str]) -> BatchOutcome:
        """Every id succeeded."""
        return cls(done=frozenset(ids))

    @classmethod
    def all_already_handled(cls, ids: tuple[str, ...] | list[str]) -> BatchOutcome:
        """Twitch answered 404: every id was handled elsewhere."""
        return cls(already_handled=frozenset(ids))

    @classmethod
    def all_failed(cls, ids: tuple[str, ...] | list[str], error: str) -> BatchOutcome:
        """Every id failed with the same error (network, 403, 5xx...)."""
        return cls(failed=dict.fromkeys(ids, error))


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One fulfil/refund action the streamer took, as the ledger and the UI see it.

    Attributes:
        action_id: Unique id of the action (the undo handle).
        kind: Fulfil or refund.
        redemption_ids: The ids the action covers, oldest first. Ids handled elsewhere
            while the undo window was open are dropped from it.
        reward_ids: The rewards those ids belong to, in order of first appearance.
        created_at: When the streamer acted (aware, UTC).
        state: Where the action is in its life.
        sent_at: When the undo window closed and sending began, or None.
        finished_at: When the last result came back (or the undo), or None.
        done: Ids Twitch changed.
        already_handled: Ids Twitch said were no longer UNFULFILLED.
        failed: Error text per id that was not changed (the rows stay queued).
        calls: How many sender calls were made.
    """

    action_id: str
    kind: ActionKind
    redemption_ids: tuple[str, ...]
    reward_ids: tuple[str, ...]
    created_at: datetime
    state: ActionState = ActionState.PENDING
    sent_at: datetime | None = None
    finished_at: datetime | None = None
    done: tuple[str, ...] = ()
    already_handled: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    calls: int = 0

    @property
    def target_status(self) -> RedemptionStatus:
        """The status this action sends."""
        return self.kind.target_status
