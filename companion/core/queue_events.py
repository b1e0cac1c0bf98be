"""What the redemption queue tells its observers, and what its calls report.

Structural events carry row indices so a Qt item model can map them one to one:
:class:`RowsInserted` to ``beginInsertRows``/``endInsertRows``,
:class:`RowsRemoved` to ``beginRemoveRows``/``endRemoveRows`` and
:class:`RowsChanged` to ``dataChanged``. Each structural event is announced
twice: to ``before`` listeners while the queue still has its old rows, then to
``after`` listeners once the change is made; exactly one change happens between
the two calls. Row changes are only announced after.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import RedemptionRecord

__all__ = [
    "AddOutcome",
    "QueueEvent",
    "QueueRow",
    "ReconcileDiff",
    "RowState",
    "RowsChanged",
    "RowsInserted",
    "RowsRemoved",
]


class RowState(enum.Enum):
    """A queued row's state."""

    WAITING = "WAITING"  # nobody acted on it yet (or the last action failed: see error)
    PENDING = "PENDING"  # in an action whose undo window is open
    SENDING = "SENDING"  # the undo window closed and its call is in flight


class AddOutcome(enum.Enum):
    """What :meth:`RedemptionQueue.add` did with a record."""

    ADDED = "ADDED"
    DUPLICATE = "DUPLICATE"  # already queued and waiting
    PENDING = "PENDING"  # already queued and in an action
    ALREADY_HANDLED = "ALREADY_HANDLED"  # fulfilled or refunded before (here or elsewhere)
    NOT_UNFULFILLED = "NOT_UNFULFILLED"  # the record itself is FULFILLED or CANCELED


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One waiting redemption and what is happening to it.

    Attributes:
        record: The redemption.
        state: Waiting, pending in an undo window, or being sent.
        action_id: The action the row is in, or None when waiting.
        error: Why the last action on this row failed, or None.
        arrived: Scheduler time when the row was queued (for reconciliation).
        key: The row's sort key, (microseconds since the epoch, id), kept so it is
            computed once per row rather than on every lookup.
    """

    record: RedemptionRecord
    arrived: float
    key: tuple[int, str]
    state: RowState = RowState.WAITING
    action_id: str | None = None
    error: str | None = None

    def moved(self, state: RowState, action_id: str | None, error: str | None) -> QueueRow:
        """A copy in another state (cheaper than ``dataclasses.replace``, which matters
        when a refund-all moves 10,000 rows)."""
        return QueueRow(self.record, self.arrived, self.key, state, action_id, error)

    @property
    def redemption_id(self) -> str:
        """The redemption's id."""
        return self.record.redemption_id

    @property
    def reward_id(self) -> str:
        """The reward's id."""
        return self.record.reward_id


@dataclass(frozen=True, slots=True)
class RowsInserted:
    """Rows ``first..last`` (inclusive) were inserted."""

    first: int
    last: int


@dataclass(frozen=True, slots=True)
class RowsRemoved:
    """Rows ``first..last`` (inclusive, indices before the removal) were removed."""

    first: int
    last: int
    redemption_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RowsChanged:
    """Rows ``first..last`` (inclusive) changed state, action or error."""

    first: int
    last: int


QueueEvent = RowsInserted | RowsRemoved | RowsChanged


@dataclass(frozen=True, slots=True)
class ReconcileDiff:
    """What a reconciliation changed.

    Attributes:
        added: Ids that were missing and are now queued, oldest first.
        removed: Ids that Twitch no longer lists as UNFULFILLED (handled elsewhere).
    """

    added: tuple[str, ...]
    removed: tuple[str, ...]
