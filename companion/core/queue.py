"""The redemption queue: every UNFULFILLED redemption, oldest first, exactly once.

This is the single source of truth for waiting redemptions. EventSub adds arrive
at least once and out of order, and a reconnect re-reads Helix, so every way in
is idempotent: an id that is queued, in an action, or already handled is a no-op
that says so.

Fulfil and refund actions do not go out at once: their rows turn PENDING for an
undo window (5 s by default). :meth:`RedemptionQueue.undo` inside the window puts
them back and nothing is sent. When the window closes the action is sent through
the injected async sender, per reward in batches of at most 50 ids (Update
Redemption Status takes up to 50 ids, all of one reward: SOURCES.md), so the
number of calls is the minimum. Per id, success removes the row, "already handled"
(Twitch's 404) removes it and says so once, and any failure keeps the row with the
error on it: a failed action never loses a row, and no action is ever sent twice.

The row storage, ordering and change events live in
:mod:`companion.core.queue_store`; this module adds the actions and reconciliation.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .queue_events import AddOutcome, QueueRow, ReconcileDiff, RowState
from .queue_store import QueueStore
from .records import ActionKind, ActionRecord, ActionState, BatchOutcome, RedemptionStatus
from .scheduling import AsyncioScheduler, Scheduler, TimerHandle

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .records import RedemptionRecord

__all__ = ["DEFAULT_UNDO_WINDOW", "MAX_IDS_PER_CALL", "RedemptionQueue", "Sender"]

_log = logging.getLogger(__name__)

#: Update Redemption Status accepts at most 50 ids per call (SOURCES.md).
MAX_IDS_PER_CALL = 50
DEFAULT_UNDO_WINDOW = 5.0

#: ``await send(reward_id, redemption_ids, status)``: at most 50 ids, all of one reward.
Sender = Callable[[str, tuple[str, ...], RedemptionStatus], Awaitable[BatchOutcome]]


#: A row's error when the sender itself raised (a bug, or an error it did not expect).
SENDER_FAILED = "not sent: something unexpected went wrong (the details are in the log)"


class _Action:
    """The mutable bookkeeping behind one live (pending or sending) action."""

    __slots__ = ("handle", "ids", "record", "task")

    def __init__(self, record: ActionRecord, ids: Iterable[str]) -> None:
        self.record = record
        # An insertion-ordered set: rows leave one by one, and 10,000 list.remove()
        # calls would make a refund-all quadratic.
        self.ids: dict[str, None] = dict.fromkeys(ids)
        self.handle: TimerHandle | None = None
        self.task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"_Action({self.record.action_id!r}, {self.record.state.value}, {len(self.ids)} ids)"


class RedemptionQueue(QueueStore):
    """Waiting redemptions, oldest first, with undoable batched actions.

    Args:
        sender: ``await sender(reward_id, ids, status)`` changes the status of at most
            ``batch_size`` redemptions of one reward and reports per id.
        scheduler: Clock and timer for undo windows (default: the running asyncio loop).
        undo_window: Seconds an action stays undoable before it is sent.
        batch_size: Most ids per sender call (Twitch's limit is 50).
        wall_clock: Aware "now" for action timestamps.
        id_factory: Makes action ids (default: random UUID hex).

    Not thread-safe: use it from the event loop's thread only (the UI thread under
    qasync), like every other object the loop drives.
    """

    def __init__(
        self,
        sender: Sender,
        *,
        scheduler: Scheduler | None = None,
        undo_window: float = DEFAULT_UNDO_WINDOW,
        batch_size: int = MAX_IDS_PER_CALL,
        wall_clock: Callable[[], datetime] | None = None,
        id_factory: Callable[[], str] | None = None,
    ) -> None:
        if undo_window < 0:
            raise ValueError("undo_window must be >= 0")
        if not 1 <= batch_size <= MAX_IDS_PER_CALL:
            raise ValueError(f"batch_size must be 1..{MAX_IDS_PER_CALL}")
        super().__init__(scheduler or AsyncioScheduler())
        self._scheduler: Scheduler
        self._sender = sender
        self.undo_window = undo_window
        self._batch_size = batch_size
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self._id_factory = id_factory or (lambda: uuid.uuid4().hex)
        self._actions: dict[str, _Action] = {}
        # Rows clear() dropped while their action's call was in flight: that call's own
        # result, not "handled elsewhere", is what their action reports.
        self._cleared_in_flight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._action_listeners: list[Callable[[ActionRecord], None]] = []

    def __repr__(self) -> str:
        return f"RedemptionQueue(rows={len(self._keys)}, live_actions={len(self._actions)})"

    def subscribe_actions(self, listener: Callable[[ActionRecord], None]) -> Callable[[], None]:
        """Listen to action snapshots (created, undone, sending, finished)."""
        self._action_listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._action_listeners:
                self._action_listeners.remove(listener)

        return unsubscribe

    def _emit_action(self, record: ActionRecord) -> None:
        for listener in tuple(self._action_listeners):
            try:
                listener(record)
            except Exception:
                _log.exception("action listener failed on %s", record.action_id)

    def action(self, action_id: str) -> ActionRecord | None:
        """The latest snapshot of a live (pending or sending) action, or None."""
        live = self._actions.get(action_id)
        return live.record if live else None

    def live_actions(self) -> list[ActionRecord]:
        """Snapshots of every pending or sending action, oldest first."""
        return [live.record for live in self._actions.values()]

    def _row_removed(self, row: QueueRow) -> None:
        # A row handled elsewhere while in an action is simply not sent.
        live = self._actions.get(row.action_id) if row.action_id is not None else None
        if live is not None:
            live.ids.pop(row.redemption_id, None)

    def mark_external(self, redemption_id: str, status: str) -> bool:
        """Apply an EventSub ``redemption.update``: the redemption was handled elsewhere.

        The row leaves the queue without an error (also when it sits in a pending
        action: it is simply not sent). The id is remembered, so a late duplicate
        ``redemption.add`` stays a no-op.

        Returns:
            True if a row was removed.
        """
        if status.upper() == "UNFULFILLED":
            # An update never moves a redemption back to UNFULFILLED; nothing to do.
            return False
        removed = self._remove([redemption_id])
        self._remember_handled(redemption_id)
        return bool(removed)

    def clear(self) -> int:
        """Empty the queue (sign-out, or a switch to another channel); returns the row count.

        Pending actions are undone, so nothing is sent for them. Rows are not
        remembered as handled: signing in to the same channel again re-reads them.
        Calls already in flight finish; their results no longer touch any row.
        """
        for live in list(self._actions.values()):
            if live.record.state is ActionState.PENDING:
                self.undo(live.record.action_id)
        self._cleared_in_flight.update(
            row.redemption_id for row in self.rows() if row.action_id is not None
        )
        removed = self._remove(self.ids(), handled=False)
        if removed:
            _log.info("queue cleared (%d rows)", len(removed))
        return len(removed)

    def reconcile(
        self,
        broadcaster_id: str,
        reward_ids: Iterable[str],
        unfulfilled_now: Iterable[RedemptionRecord],
        *,
        read_started: float | None = None,
    ) -> ReconcileDiff:
        """Bring the queue in line with a fresh Helix read after a reconnect.

        Args:
            broadcaster_id: The channel that was read.
            reward_ids: The rewards that were read; rows of other rewards are left alone.
            unfulfilled_now: Every UNFULFILLED redemption of those rewards.
            read_started: :meth:`now` when the read began. Rows that arrived after it
                are kept even if the read does not list them: they are newer than
                the read, not handled. None keeps nothing that is unlisted.

        Returns:
            The ids added and the ids removed as handled elsewhere.
        """
        scope = set(reward_ids)
        listed: dict[str, RedemptionRecord] = {}
        for record in unfulfilled_now:
            if record.broadcaster_id != broadcaster_id or record.reward_id not in scope:
                _log.debug("reconcile: %s is outside the read's scope", record.redemption_id)
                continue
            if record.status != "UNFULFILLED":
                continue
            listed[record.redemption_id] = record
        outcomes = self.add_many(listed.values())
        added = [
            record.redemption_id
            for record, outcome in zip(listed.values(), outcomes, strict=True)
            if outcome is AddOutcome.ADDED
        ]
        stale: list[str] = []
        for reward_id in scope:
            for key in self._by_reward.get(reward_id, ()):
                row = self._rows[key[1]]
                if row.record.broadcaster_id != broadcaster_id or key[1] in listed:
                    continue
                if read_started is not None and row.arrived > read_started:
                    continue
                stale.append(key[1])
        removed = self._remove(stale)
        if added or removed:
            _log.info(
                "reconcile: %d redemptions added, %d handled elsewhere", len(added), len(removed)
            )
        added.sort(key=lambda redemption_id: self._rows[redemption_id].key)
        return ReconcileDiff(tuple(added), tuple(removed))

    # ------------------------------------------------------------------ actions

    def fulfill(self, redemption_ids: Iterable[str]) -> ActionRecord | None:
        """Start an undoable fulfil of the given waiting rows (others are skipped).

        Returns:
            The pending action, or None if no given id was waiting.
        """
        return self._start(ActionKind.FULFILL, redemption_ids)

    def refund(self, redemption_ids: Iterable[str]) -> ActionRecord | None:
        """Start an undoable refund (CANCELED) of the given waiting rows."""
        return self._start(ActionKind.REFUND, redemption_ids)

    def fulfill_reward(self, reward_id: str) -> ActionRecord | None:
        """Start an undoable fulfil of every waiting row of one reward."""
        return self._start(ActionKind.FULFILL, self._waiting_ids(reward_id))

    def refund_reward(self, reward_id: str) -> ActionRecord | None:
        """Start an undoable refund of every waiting row of one reward."""
        return self._start(ActionKind.REFUND, self._waiting_ids(reward_id))

    def refund_all(self) -> ActionRecord | None:
        """Start an undoable refund of every waiting row."""
        return self._start(ActionKind.REFUND, self._waiting_ids(None))

    def _waiting_ids(self, reward_id: str | None) -> list[str]:
        keys = self._keys if reward_id is None else self._by_reward.get(reward_id, [])
        return [key[1] for key in keys if self._rows[key[1]].state is RowState.WAITING]

    def _start(self, kind: ActionKind, redemption_ids: Iterable[str]) -> ActionRecord | None:
        chosen: dict[str, QueueRow] = {}
        for redemption_id in redemption_ids:
            row = self._rows.get(redemption_id)
            if row is not None and row.state is RowState.WAITING:
                chosen[redemption_id] = row
        if not chosen:
            return None
        ordered = sorted(chosen.values(), key=lambda row: row.key)
        ids = [row.redemption_id for row in ordered]
        reward_ids = tuple(dict.fromkeys(row.reward_id for row in ordered))
        action_id = self._id_factory()
        record = ActionRecord(
            action_id=action_id,
            kind=kind,
            redemption_ids=tuple(ids),
            reward_ids=reward_ids,
            created_at=self._wall_clock(),
        )
        live = _Action(record, ids)
        self._actions[action_id] = live
        self._set_rows(
            {row.redemption_id: row.moved(RowState.PENDING, action_id, None) for row in ordered}
        )
        live.handle = self._scheduler.call_later(
            self.undo_window, lambda: self._window_closed(action_id)
        )
        _log.info("%s of %d redemptions pending (%s)", kind.name.lower(), len(ids), action_id)
        self._emit_action(record)
        return record

    def undo(self, action_id: str) -> bool:
        """Call off a pending action: its rows wait again and nothing is sent.

        Returns:
            True if the action was pending; False once its window has closed.
        """
        live = self._actions.get(action_id)
        if live is None or live.record.state is not ActionState.PENDING:
            return False
        if live.handle is not None:
            live.handle.cancel()
        del self._actions[action_id]
        self._release(action_id, dict.fromkeys(live.ids))
        live.record = replace(
            live.record,
            state=ActionState.UNDONE,
            redemption_ids=tuple(live.ids),
            finished_at=self._wall_clock(),
        )
        _log.info("action %s undone", action_id)
        self._emit_action(live.record)
        return True

    def _release(self, action_id: str, errors: dict[str, str | None]) -> None:
        """Put rows of an action back to WAITING, each with its error (or None)."""
        changes = {}
        for redemption_id, error in errors.items():
            row = self._rows.get(redemption_id)
            if row is not None and row.action_id == action_id:
                changes[redemption_id] = row.moved(RowState.WAITING, None, error)
        self._set_rows(changes)

    def _window_closed(self, action_id: str) -> None:
        live = self._actions.get(action_id)
        if live is None or live.record.state is not ActionState.PENDING:
            return  # undone, or already sent by flush(): never send twice
        live.handle = None
        live.record = replace(
            live.record,
            state=ActionState.SENDING,
            redemption_ids=tuple(live.ids),
            sent_at=self._wall_clock(),
        )
        sending = (self._rows[redemption_id] for redemption_id in live.ids)
        self._set_rows(
            {row.redemption_id: row.moved(RowState.SENDING, row.action_id, None) for row in sending}
        )
        self._emit_action(live.record)
        task = asyncio.get_running_loop().create_task(
            self._send_action(live), name=f"redemption-action-{action_id}"
        )
        live.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _batches(self, live: _Action) -> list[tuple[str, list[str]]]:
        """The calls to make: per reward (first-seen order), chunks of ``batch_size`` ids."""
        per_reward: dict[str, list[str]] = {}
        for redemption_id in live.ids:
            per_reward.setdefault(self._rows[redemption_id].reward_id, []).append(redemption_id)
        size = self._batch_size
        return [
            (reward_id, ids[start : start + size])
            for reward_id, ids in per_reward.items()
            for start in range(0, len(ids), size)
        ]

    async def _send_action(self, live: _Action) -> None:
        action_id = live.record.action_id
        status = live.record.target_status
        done: list[str] = []
        already: list[str] = []
        failed: dict[str, str] = {}
        calls = 0
        batches = self._batches(live)
        # Whatever ends this task early, rows still in the action go back to the queue
        # with this text: a failed or interrupted action never loses a row.
        interrupted = "not sent: the action stopped unexpectedly"
        try:
            for reward_id, planned in batches:
                # Rows handled elsewhere while earlier batches were in flight are skipped.
                batch = tuple(i for i in planned if self._owns(i, action_id))
                if not batch:
                    continue
                calls += 1
                try:
                    outcome = await self._sender(reward_id, batch, status)
                except asyncio.CancelledError:
                    # Shutdown mid-call: whether Twitch applied this call is unknown, so
                    # the rows stay; the next reconcile settles them.
                    interrupted = "not confirmed: the app stopped while sending"
                    raise
                except Exception as exc:
                    _log.warning(
                        "%s of %d redemptions of reward %s failed: %r",
                        status,
                        len(batch),
                        reward_id,
                        exc,
                    )
                    # The raw error is in the log line above; the row shows a sentence.
                    outcome = BatchOutcome.all_failed(batch, SENDER_FAILED)
                self._apply(action_id, reward_id, batch, outcome, done, already, failed)
        finally:
            self._actions.pop(action_id, None)
            leftover: dict[str, str | None] = {
                i: interrupted for i in live.ids if self._owns(i, action_id)
            }
            if leftover:
                failed.update(dict.fromkeys(leftover, interrupted))
                self._release(action_id, leftover)
            state = ActionState.outcome(failed=bool(failed), settled=bool(done or already))
            live.record = replace(
                live.record,
                state=state,
                finished_at=self._wall_clock(),
                done=tuple(done),
                already_handled=tuple(already),
                failed=tuple(failed.items()),
                calls=calls,
            )
            self._emit_action(live.record)

    def _owns(self, redemption_id: str, action_id: str) -> bool:
        row = self._rows.get(redemption_id)
        return row is not None and row.action_id == action_id

    def _apply(
        self,
        action_id: str,
        reward_id: str,
        batch: tuple[str, ...],
        outcome: BatchOutcome,
        done: list[str],
        already: list[str],
        failed: dict[str, str],
    ) -> None:
        """Settle one call's rows: remove the done and already-handled, flag the failed."""
        to_remove: list[str] = []
        errors: dict[str, str | None] = {}
        already_here = 0
        for redemption_id in batch:
            cleared = redemption_id in self._cleared_in_flight
            self._cleared_in_flight.discard(redemption_id)
            if redemption_id in outcome.done:
                done.append(redemption_id)
                to_remove.append(redemption_id)
            elif cleared and redemption_id not in outcome.already_handled:
                # Sign-out emptied the queue mid-call; the row is gone, but the call failed
                # and nothing was handled, so say that (re-reading brings the row back).
                failed[redemption_id] = outcome.failed.get(
                    redemption_id, "no result reported for this redemption"
                )
            elif redemption_id in outcome.already_handled or not self._owns(
                redemption_id, action_id
            ):
                # Also a row that left while the call was in flight: EventSub's update
                # for it (often caused by this very call) removed it first.
                already.append(redemption_id)
                to_remove.append(redemption_id)
                already_here += 1
            else:
                error = outcome.failed.get(redemption_id, "no result reported for this redemption")
                failed[redemption_id] = error
                errors[redemption_id] = error
        if already_here:
            # One line per call, not one per id: 50 stale rows are not 50 errors.
            _log.info(
                "%d of %d redemptions of reward %s were already handled elsewhere",
                already_here,
                len(batch),
                reward_id,
            )
        self._remove(to_remove)
        self._release(action_id, errors)

    async def flush(self) -> None:
        """Close every open undo window now and wait until every action is settled.

        The app calls this on shutdown, so a streamer's last click is not lost.
        """
        for action_id, live in list(self._actions.items()):
            if live.record.state is ActionState.PENDING:
                if live.handle is not None:
                    live.handle.cancel()
                self._window_closed(action_id)
        await self.wait_idle()

    async def wait_idle(self) -> None:
        """Wait until no action is being sent (pending undo windows are not waited for)."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
