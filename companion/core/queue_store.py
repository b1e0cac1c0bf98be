"""The ordered row store under the redemption queue, and its change events.

Rows are kept sorted by (redeemed_at, redemption_id); a dict finds a row by id in
O(1), and each reward keeps its own sorted key list so per-reward counts and
filters never scan the whole queue. Every change is announced as an exact
index event (see :mod:`companion.core.queue_events`).

Complexity with n rows: lookup by id O(1); an in-order arrival is an append
(amortised O(1)); an out-of-order one is a binary search plus a list insert (a
memmove of n pointers, microseconds at n = 10,000).
"""

from __future__ import annotations

import bisect
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .queue_events import (
    AddOutcome,
    QueueEvent,
    QueueRow,
    RowsChanged,
    RowsInserted,
    RowsRemoved,
    RowState,
)
from .recent_ids import RecentIds

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from .records import RedemptionRecord
    from .scheduling import Scheduler

__all__ = ["QueueStore"]

_log = logging.getLogger(__name__)

# Ids handled this session are remembered so a late duplicate add stays a no-op.
# The cap bounds memory in a marathon stream; past it the oldest ids are forgotten
# (a forgotten id that comes back UNFULFILLED would be re-read from Helix anyway).
_HANDLED_CAP = 200_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

_Key = tuple[int, str]


def row_key(record: RedemptionRecord) -> _Key:
    """The sort key of a record: (integer microseconds since the epoch, id)."""
    # Integer microseconds, not a float timestamp: a double cannot tell apart every
    # microsecond of a 2020s epoch time, and ties must still order the same way.
    return ((record.redeemed_at - _EPOCH) // _MICROSECOND, record.redemption_id)


def index_runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Group sorted indices into inclusive (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


class QueueStore:
    """Redemption rows, oldest first, exactly once, with index events.

    Args:
        scheduler: Supplies arrival times (see :meth:`now`).
    """

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._keys: list[_Key] = []
        self._rows: dict[str, QueueRow] = {}
        self._by_reward: dict[str, list[_Key]] = {}
        # Rows in an action (pending or sending), per reward: the waiting counts the
        # panel shows a few times a second are then O(rewards), not a scan of every row.
        self._busy_by_reward: dict[str, int] = {}
        self._handled = RecentIds(_HANDLED_CAP)
        self._before: list[Callable[[QueueEvent], None]] = []
        self._after: list[Callable[[QueueEvent], None]] = []

    def _row_removed(self, row: QueueRow) -> None:
        """Hook: a row left the store (subclasses drop it from their actions)."""

    # ------------------------------------------------------------------ observers

    def subscribe(
        self,
        after: Callable[[QueueEvent], None],
        before: Callable[[QueueEvent], None] | None = None,
    ) -> Callable[[], None]:
        """Listen to row events; returns a function that unsubscribes.

        ``before`` gets structural events (insert/remove) while the old rows are
        still in place; ``after`` gets every event once the change is made.
        """
        self._after.append(after)
        if before is not None:
            self._before.append(before)

        def unsubscribe() -> None:
            if after in self._after:
                self._after.remove(after)
            if before is not None and before in self._before:
                self._before.remove(before)

        return unsubscribe

    def _emit(self, listeners: list[Callable[[QueueEvent], None]], event: QueueEvent) -> None:
        for listener in tuple(listeners):
            # A broken view must not leave the queue half-updated: log and go on.
            try:
                listener(event)
            except Exception:
                _log.exception("queue listener failed on %r", event)

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, redemption_id: object) -> bool:
        return redemption_id in self._rows

    def row(self, index: int) -> QueueRow:
        """The row at ``index`` (0 is the oldest)."""
        return self._rows[self._keys[index][1]]

    def rows(self) -> list[QueueRow]:
        """Every row, oldest first."""
        return [self._rows[key[1]] for key in self._keys]

    def get(self, redemption_id: str) -> QueueRow | None:
        """The row of a redemption, or None if it is not queued."""
        return self._rows.get(redemption_id)

    def index_of(self, redemption_id: str) -> int:
        """The row index of a queued redemption (O(log n)).

        Raises:
            KeyError: The redemption is not queued.
        """
        return bisect.bisect_left(self._keys, self._rows[redemption_id].key)

    def ids(self) -> list[str]:
        """Every queued redemption id, oldest first."""
        return [key[1] for key in self._keys]

    def rows_for_reward(self, reward_id: str) -> list[QueueRow]:
        """The rows of one reward, oldest first."""
        return [self._rows[key[1]] for key in self._by_reward.get(reward_id, ())]

    def count_for_reward(self, reward_id: str) -> int:
        """How many rows one reward has queued (O(1))."""
        return len(self._by_reward.get(reward_id, ()))

    def counts_by_reward(self) -> dict[str, int]:
        """Queued rows per reward id (rewards with none are left out)."""
        return {reward_id: len(keys) for reward_id, keys in self._by_reward.items()}

    def waiting_by_reward(self) -> dict[str, int]:
        """Rows waiting (in no action) per reward id; rewards with none are left out.

        O(rewards): kept in step by every insert, removal and state change.
        """
        busy = self._busy_by_reward
        counts = {
            reward_id: len(keys) - busy.get(reward_id, 0)
            for reward_id, keys in self._by_reward.items()
        }
        return {reward_id: count for reward_id, count in counts.items() if count}

    def handled_count(self) -> int:
        """How many handled ids are remembered (at most ``_HANDLED_CAP``; the soak test
        reads it: each entry holds one reference to ``None``)."""
        return len(self._handled)

    def is_handled(self, redemption_id: str) -> bool:
        """True if the redemption was fulfilled or refunded (here or elsewhere)."""
        return redemption_id in self._handled

    # ------------------------------------------------------------------ adding

    def add(self, record: RedemptionRecord) -> AddOutcome:
        """Queue one redemption unless it is known; says what happened."""
        outcome = self._classify(record)
        if outcome is AddOutcome.ADDED:
            self._insert_one(record)
        return outcome

    def add_many(self, records: Iterable[RedemptionRecord]) -> list[AddOutcome]:
        """Queue many redemptions; one outcome per record, in the given order.

        New records go in as blocks: every run of them that falls between the same two
        queued rows is one insert event (a burst that arrives in order, the usual case, is
        one appended block), so a view relayouts once per run, not once per row.
        """
        outcomes: list[AddOutcome] = []
        fresh: dict[str, RedemptionRecord] = {}
        for record in records:
            if record.redemption_id in fresh:
                outcomes.append(AddOutcome.DUPLICATE)
                continue
            outcome = self._classify(record)
            outcomes.append(outcome)
            if outcome is AddOutcome.ADDED:
                fresh[record.redemption_id] = record
        ordered = sorted(((row_key(r), r) for r in fresh.values()), key=lambda pair: pair[0])
        keys = self._keys
        start = 0
        while start < len(ordered):
            index = bisect.bisect_left(keys, ordered[start][0])
            end = len(ordered)
            if index < len(keys):
                # The run ends at the first record that sorts after the row now at index.
                end = bisect.bisect_left(ordered, keys[index], start, key=lambda pair: pair[0])
            self._insert_block(index, ordered[start:end])
            start = end
        return outcomes

    def _classify(self, record: RedemptionRecord) -> AddOutcome:
        existing = self._rows.get(record.redemption_id)
        if existing is not None:
            if existing.state is RowState.WAITING:
                return AddOutcome.DUPLICATE
            return AddOutcome.PENDING
        if record.redemption_id in self._handled:
            return AddOutcome.ALREADY_HANDLED
        if record.status != "UNFULFILLED":
            self._remember_handled(record.redemption_id)
            return AddOutcome.NOT_UNFULFILLED
        return AddOutcome.ADDED

    def _insert_one(self, record: RedemptionRecord) -> None:
        key = row_key(record)
        keys = self._keys
        index = len(keys) if not keys or key > keys[-1] else bisect.bisect_left(keys, key)
        event = RowsInserted(index, index)
        self._emit(self._before, event)
        keys.insert(index, key)
        self._rows[record.redemption_id] = QueueRow(record, self._scheduler.time(), key)
        reward_keys = self._by_reward.setdefault(record.reward_id, [])
        if not reward_keys or key > reward_keys[-1]:
            reward_keys.append(key)
        else:
            bisect.insort(reward_keys, key)
        self._emit(self._after, event)

    def _insert_block(self, index: int, block: list[tuple[_Key, RedemptionRecord]]) -> None:
        """Insert sorted records that all belong at ``index`` as one event."""
        event = RowsInserted(index, index + len(block) - 1)
        self._emit(self._before, event)
        arrived = self._scheduler.time()
        self._keys[index:index] = [key for key, _ in block]
        rows = self._rows
        by_reward = self._by_reward
        for key, record in block:
            rows[record.redemption_id] = QueueRow(record, arrived, key)
            reward_keys = by_reward.setdefault(record.reward_id, [])
            if not reward_keys or key > reward_keys[-1]:
                reward_keys.append(key)
            else:
                bisect.insort(reward_keys, key)
        self._emit(self._after, event)

    def _remember_handled(self, redemption_id: str) -> None:
        self._handled.add(redemption_id)

    # ------------------------------------------------------------------ removing

    def _remove(self, redemption_ids: Iterable[str], *, handled: bool = True) -> list[str]:
        """Remove queued rows (unknown ids are skipped); returns the removed ids, oldest first.

        Every removed id is dropped from any live action and, if ``handled``,
        remembered as handled.
        """
        indexed: list[tuple[int, str]] = []
        for redemption_id in set(redemption_ids):
            row = self._rows.get(redemption_id)
            if row is None:
                continue
            indexed.append((bisect.bisect_left(self._keys, row.key), redemption_id))
        if not indexed:
            return []
        indexed.sort()
        runs = index_runs([index for index, _ in indexed])
        ids_at = dict(indexed)
        # Highest run first, so each event's indices are valid when it is applied.
        for first, last in reversed(runs):
            run_ids = tuple(ids_at[index] for index in range(first, last + 1))
            event = RowsRemoved(first, last, run_ids)
            self._emit(self._before, event)
            del self._keys[first : last + 1]
            for redemption_id in run_ids:
                row = self._rows.pop(redemption_id)
                self._drop_from_reward(row)
                if row.state is not RowState.WAITING:
                    self._count_busy(row.reward_id, -1)
                if handled:
                    self._remember_handled(redemption_id)
                self._row_removed(row)
            self._emit(self._after, event)
        return [redemption_id for _, redemption_id in indexed]

    def _drop_from_reward(self, row: QueueRow) -> None:
        reward_keys = self._by_reward[row.reward_id]
        del reward_keys[bisect.bisect_left(reward_keys, row.key)]
        if not reward_keys:
            del self._by_reward[row.reward_id]

    def _count_busy(self, reward_id: str, delta: int) -> None:
        busy = self._busy_by_reward.get(reward_id, 0) + delta
        if busy:
            self._busy_by_reward[reward_id] = busy
        else:
            self._busy_by_reward.pop(reward_id, None)

    def now(self) -> float:
        """The scheduler's time (pass it as ``read_started`` to :meth:`reconcile`)."""
        return self._scheduler.time()

    # ------------------------------------------------------------------ row changes

    def _set_rows(self, changes: dict[str, QueueRow]) -> None:
        """Replace rows and announce the changed index ranges."""
        if not changes:
            return
        indices = []
        for redemption_id, row in changes.items():
            old = self._rows.get(redemption_id)
            was_waiting = old is None or old.state is RowState.WAITING
            if was_waiting is not (row.state is RowState.WAITING):
                self._count_busy(row.reward_id, -1 if row.state is RowState.WAITING else 1)
            self._rows[redemption_id] = row
            indices.append(bisect.bisect_left(self._keys, row.key))
        indices.sort()
        for first, last in index_runs(indices):
            self._emit(self._after, RowsChanged(first, last))
