"""The redemption queue service: EventSub in, Helix out, every step into the ledger.

It owns the core :class:`RedemptionQueue` (the single source of truth the Qt models
observe) and connects it to Twitch:

* ``redemption_added`` from the live-events source queues the redemption (exactly
  once: the core queue ignores repeats); ``redemption_updated`` removes a redemption
  handled elsewhere, silently (no error for a row someone else fulfilled);
* ``resynced`` (and :meth:`reload`) re-reads every UNFULFILLED redemption of the
  rewards this app manages through Helix and reconciles the queue, because EventSub
  does not replay what happened while the socket was down;
* fulfil and refund go through the core queue's undo window, then out through
  ``PartialUser.update_redemptions``, per reward in calls of at most 50 ids;
* every ledger write goes through one :class:`LedgerWriter`, in order: rows the disk
  refuses are kept and retried, and the streamer is told once (``notice``);
* each re-read (the first is at start) also settles what a hard stop left open in the
  ledger: rows still UNFULFILLED there and actions still PENDING or SENDING are looked up
  on Twitch by id, 50 per call (:mod:`companion.core.ledger_settle`).
* while the account's sign-in is lost (:meth:`hold`), actions whose window closes wait:
  :meth:`release` sends them after the re-login, or reports them as not sent (they go
  back to the queue with :data:`NOT_SENT_SIGNED_OUT`) when the streamer stays signed out.

Signals:
    action_changed(object): an :class:`ActionRecord` snapshot (pending, undone, sending, done...).
    action_finished(str): a one-line summary of a settled action, for the panel's status line.
    reconciled(object): the :class:`ReconcileDiff` of a Helix re-read.
    counts_changed(): rows came or went (at most every 200 ms; waiting counts elsewhere).
    handled_elsewhere(int): this many waiting rows were fulfilled or refunded by someone
        else (another app, the Twitch dashboard); one signal per burst, not one per row.
    notice(str): one sentence about the redemption history for the streamer (it cannot be
        saved, it is saved again, a row could not be stored, a stop's leftovers were
        settled); shown as a non-modal notice, never once per row.
    ownership_changed(): the set of rewards made by another app changed (views re-mark rows).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from companion.core.ledger_writer import LedgerWriter
from companion.core.queue import RedemptionQueue
from companion.core.queue_events import AddOutcome, RowsChanged
from companion.core.records import (
    ActionKind,
    ActionRecord,
    ActionState,
    BatchOutcome,
    RedemptionRecord,
    is_hex_color,
    normalize_status,
)
from companion.twitch.errors import Forbidden, NotFound, TwitchError

from .base import Service, describe_error
from .ledger_settling import settle_ledger

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from companion.core.ledger import Ledger
    from companion.core.queue_events import QueueEvent, ReconcileDiff
    from companion.core.records import RedemptionStatus
    from companion.core.scheduling import Scheduler
    from companion.twitch.models.channel_points import CustomReward, CustomRewardRedemption
    from companion.twitch.models.users import PartialUser

__all__ = ["FOREIGN_REASON", "QueueService", "RedemptionEvents", "record_from_redemption"]

_log = logging.getLogger(__name__)

# Ledger writes are batched: a burst of 10,000 EventSub adds becomes a few appends.
_LEDGER_FLUSH_MS = 200
#: New redemptions wait at most this long to be queued together (see on_redemption_added).
INGEST_BATCH_MS = 100
#: The name of the task that reads the queue through Helix (the latest read wins).
RECONCILE_TASK = "queue-reconcile"

FORBIDDEN_TEXT = "Twitch refused: only the app that created this reward can change its redemptions"

#: Why a row of another app's reward cannot be fulfilled or refunded from here.
FOREIGN_REASON = (
    "Made by another app: only the app that created a reward can fulfil or refund its "
    "redemptions (Twitch answers 403). Use that app or the Twitch dashboard."
)

#: Why an action held while signed out was not sent (its rows wait in the queue again).
NOT_SENT_SIGNED_OUT = "not sent because you were signed out of Twitch; sign in and try again"


class RedemptionEvents(Protocol):
    """The part of ``LiveEvents`` this service listens to (Qt signals)."""

    redemption_added: Any
    redemption_updated: Any
    resynced: Any


def record_from_redemption(
    redemption: CustomRewardRedemption, color: str | None = None
) -> RedemptionRecord:
    """The core's record of a client redemption (EventSub or Helix).

    Args:
        redemption: The client's model.
        color: The reward's background colour if known (redemption payloads lack it).
            A colour not spelled ``#RRGGBB`` is left out: it is cosmetic, and must not
            cost the redemption.

    Raises:
        ValueError: The redemption has no id or no reward id (nothing could be done with it).
    """
    user = redemption.user
    login = user.login or user.id
    status = redemption.status if redemption.status != "UNKNOWN" else "UNFULFILLED"
    return RedemptionRecord(
        redemption_id=redemption.id,
        broadcaster_id=redemption.broadcaster.id,
        reward_id=redemption.reward.id,
        reward_title=redemption.reward.title,
        reward_cost=redemption.reward.cost,
        reward_color=color if is_hex_color(color) else None,
        user_id=user.id,
        user_login=login,
        user_name=user.name or login,
        user_input=redemption.input,
        redeemed_at=redemption.redeemed_at,
        status=normalize_status(status),
    )


def _record_or_none(
    redemption: CustomRewardRedemption, color: str | None
) -> RedemptionRecord | None:
    """:func:`record_from_redemption`, or None (logged with the id) for an unusable one."""
    try:
        return record_from_redemption(redemption, color)
    except ValueError as exc:
        # One unusable redemption must not cost its batch (a burst, a whole re-read).
        _log.warning("redemption %r ignored: %s", redemption.id, exc)
        return None


class QueueService(Service):
    """Feeds the core redemption queue from Twitch and sends the streamer's actions.

    Args:
        broadcaster: The signed-in channel (``TwitchSession.broadcaster``), or None until
            sign-in (see :meth:`set_broadcaster`).
        ledger: The SQLite ledger: every redemption seen and every action snapshot.
        undo_seconds: The undo window (settings ``undo_seconds``).
        scheduler: Clock and timer for the undo window (tests pass a fake).
        parent: Qt parent.
    """

    action_changed = Signal(object)
    action_finished = Signal(str)
    reconciled = Signal(object)
    counts_changed = Signal()
    handled_elsewhere = Signal(int)
    notice = Signal(str)
    ownership_changed = Signal()

    def __init__(
        self,
        broadcaster: PartialUser | None,
        ledger: Ledger | None = None,
        *,
        undo_seconds: float = 5.0,
        scheduler: Scheduler | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._broadcaster = broadcaster
        self._ledger = ledger
        self._writer = (
            LedgerWriter(ledger, notify=self.notice.emit, scheduler=scheduler)
            if ledger is not None
            else None
        )
        self.queue = RedemptionQueue(self._send, scheduler=scheduler, undo_window=undo_seconds)
        self.queue.subscribe_actions(self._on_action)
        self._colors: dict[str, str] = {}
        self._foreign: frozenset[str] = frozenset()
        self._pending_actions: list[str] = []  # undo stack: newest last
        self._in_actions: set[str] = set()  # ids in a sending action whose ledger entry is due
        self._echoed_status: dict[str, str] = {}  # EventSub's word on ids in such an action
        self._seen_buffer: list[RedemptionRecord] = []
        self._incoming: list[RedemptionRecord] = []
        self._ingest_timer = QTimer(self)
        self._ingest_timer.setSingleShot(True)
        self._ingest_timer.setInterval(INGEST_BATCH_MS)
        self._ingest_timer.timeout.connect(self.drain_incoming)
        self._ledger_timer = QTimer(self)
        self._ledger_timer.setSingleShot(True)
        self._ledger_timer.setInterval(_LEDGER_FLUSH_MS)
        self._ledger_timer.timeout.connect(self._flush_ledger)
        self.requests_sent = 0  # update_redemptions calls made (status bar, tests)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(_LEDGER_FLUSH_MS)
        self._counts_timer.timeout.connect(self.counts_changed.emit)
        self.queue.subscribe(self._on_queue_event)
        self._elsewhere = 0
        self._elsewhere_timer = QTimer(self)
        self._elsewhere_timer.setSingleShot(True)
        self._elsewhere_timer.setInterval(_LEDGER_FLUSH_MS)
        self._elsewhere_timer.timeout.connect(self._report_elsewhere)
        self._hold: asyncio.Future[bool] | None = None
        self._waiting = 0  # calls waiting for the hold to end

    def __repr__(self) -> str:
        return f"QueueService(rows={len(self.queue)}, broadcaster={self._broadcaster!r})"

    # ------------------------------------------------------------------ wiring

    @property
    def broadcaster(self) -> PartialUser | None:
        """The channel whose queue this is."""
        return self._broadcaster

    def set_broadcaster(self, broadcaster: PartialUser | None) -> None:
        """Switch channel (sign-in / sign-out). A new channel re-reads its queue.

        Signing out (or switching) empties the queue: pending actions are undone, so
        nothing is sent for a channel the app no longer speaks for.
        """
        if self._broadcaster is not None and (
            broadcaster is None or broadcaster.id != self._broadcaster.id
        ):
            self._incoming.clear()
            self.queue.clear()
        self._broadcaster = broadcaster
        if broadcaster is not None:
            self.reload()

    def connect_events(self, events: RedemptionEvents, *, resync: bool = True) -> None:
        """Listen to ``LiveEvents`` (or any object with the same signals).

        Args:
            events: The live-events source.
            resync: Also re-read Helix on ``resynced`` (pass False when the app already
                connects ``resynced`` to :meth:`refresh`).
        """
        events.redemption_added.connect(self.on_redemption_added)
        events.redemption_updated.connect(self.on_redemption_updated)
        if resync:
            events.resynced.connect(self.reload)

    def set_undo_seconds(self, seconds: float) -> None:
        """Change the undo window for actions started from now on."""
        self.queue.undo_window = max(0.0, seconds)

    def set_reward_colors(self, rewards: Iterable[CustomReward]) -> None:
        """Remember reward colours (redemption payloads do not carry them)."""
        for reward in rewards:
            if reward.background_color:
                self._colors[reward.id] = reward.background_color

    def reward_color(self, reward_id: str) -> str | None:
        """The reward's background colour, if known."""
        return self._colors.get(reward_id)

    def set_foreign_rewards(self, reward_ids: Iterable[str]) -> None:
        """Name the rewards another app created (``RewardsService`` knows, from Helix).

        Their redemptions stay in the queue, marked, but no action here includes them:
        Twitch would refuse each call with 403 once the undo window closed.
        """
        foreign = frozenset(reward_ids)
        if foreign != self._foreign:
            self._foreign = foreign
            self.ownership_changed.emit()

    def is_foreign(self, reward_id: str) -> bool:
        """True if another app created the reward (this app cannot change its redemptions)."""
        return reward_id in self._foreign

    def split_foreign(self, redemption_ids: Iterable[str]) -> tuple[list[str], list[str]]:
        """Queued ids as (this app's, another app's); ids not queued are dropped."""
        ours: list[str] = []
        theirs: list[str] = []
        for redemption_id in redemption_ids:
            row = self.queue.get(redemption_id)
            if row is not None:
                (theirs if row.reward_id in self._foreign else ours).append(redemption_id)
        return ours, theirs

    def _on_queue_event(self, event: QueueEvent) -> None:
        if not isinstance(event, RowsChanged) and not self._counts_timer.isActive():
            self._counts_timer.start()

    # ------------------------------------------------------------------ incoming

    def on_redemption_added(self, redemption: CustomRewardRedemption) -> None:
        """EventSub ``redemption.add`` (at least once, any order).

        Adds are gathered for up to 100 ms and queued together: a burst becomes one
        block insert instead of one per row. Every insert makes a table view relayout
        and repaint its whole viewport (measured: 6-11 ms with the filter proxy,
        whatever the row count), so at hundreds of redemptions a second, inserting
        one by one would spend the UI thread on repaints.
        """
        if self._broadcaster is not None and redemption.broadcaster.id != self._broadcaster.id:
            return
        record = _record_or_none(redemption, self._colors.get(redemption.reward.id))
        if record is None:
            return
        self._incoming.append(record)
        if not self._ingest_timer.isActive():
            self._ingest_timer.start()

    def drain_incoming(self) -> None:
        """Queue every gathered add now (also before anything that needs them queued)."""
        self._ingest_timer.stop()
        if not self._incoming:
            return
        records, self._incoming = self._incoming, []
        outcomes = self.queue.add_many(records)
        # NOT_UNFULFILLED: a skip-queue reward, FULFILLED on arrival; seen all the same.
        self._remember_seen(
            [
                record
                for record, outcome in zip(records, outcomes, strict=True)
                if outcome in (AddOutcome.ADDED, AddOutcome.NOT_UNFULFILLED)
            ]
        )

    def on_redemption_updated(self, redemption: CustomRewardRedemption) -> None:
        """EventSub ``redemption.update``: fulfilled or refunded (here or elsewhere)."""
        self.drain_incoming()  # an update may follow its own add within one loop turn
        if redemption.status not in ("FULFILLED", "CANCELED"):
            # EventSub may say "unknown"; a row only leaves on a status Twitch documents.
            _log.info("redemption %s updated to %s; kept", redemption.id, redemption.status)
            return
        removed = self.queue.mark_external(redemption.id, redemption.status)
        if redemption.id in self._in_actions:
            # Most likely the echo of our own call (the action's final ledger entry says
            # what happened). But it may be someone else's fulfil racing ours: then our
            # call finds the row "already handled", and this status is the only word on
            # what happened to it, so it is kept for when the action settles.
            self._echoed_status[redemption.id] = redemption.status
            return
        # The ledger learns the new status (or the whole redemption, if it was never seen).
        record = _record_or_none(redemption, self._colors.get(redemption.reward.id))
        if record is not None:
            self._remember_seen([record])
        if removed:
            self._write_note([redemption.id], "handled elsewhere")
            self._count_elsewhere(1)

    def reward_deleted(self, reward_id: str) -> int:
        """A reward was deleted: Twitch marked its UNFULFILLED redemptions FULFILLED.

        The reference does not say whether Twitch also sends ``redemption.update`` for
        each of them, so their rows are removed here (a later update is a no-op).
        Rows inside a pending or sending action are left to that action (its call
        gets Twitch's 404 and counts them as handled elsewhere).

        Returns:
            How many rows left the queue.
        """
        gone = [
            row.redemption_id
            for row in self.queue.rows_for_reward(reward_id)
            if row.action_id is None
        ]
        removed = [i for i in gone if self.queue.mark_external(i, "FULFILLED")]
        self._write_status([(i, "FULFILLED") for i in removed], "reward deleted")
        return len(removed)

    def _count_elsewhere(self, count: int) -> None:
        self._elsewhere += count
        if not self._elsewhere_timer.isActive():
            self._elsewhere_timer.start()

    def _report_elsewhere(self) -> None:
        count, self._elsewhere = self._elsewhere, 0
        if count:
            self.handled_elsewhere.emit(count)

    def refresh(self) -> None:
        """The app's ``ChannelService`` name for :meth:`reload`."""
        self.reload()

    def reload(self) -> None:
        """Re-read the UNFULFILLED redemptions through Helix and reconcile (latest wins)."""
        if self._broadcaster is None:
            return
        self.spawn(self.reconcile(), name=RECONCILE_TASK, latest_wins=True)

    async def wait_read(self, timeout: float) -> bool:
        """Wait, at most ``timeout`` seconds, for the read of the queue now running (if any).

        Returns:
            True if no read is running any more (it finished, failed or was replaced).
        """
        task = self._latest.get(RECONCILE_TASK)
        if task is None:
            return True
        done, _pending = await asyncio.wait({task}, timeout=timeout)
        return bool(done)

    async def reconcile(self) -> ReconcileDiff | None:
        """Read every UNFULFILLED redemption of the manageable rewards and reconcile.

        Only this app's rewards can be read (403 otherwise), so only they are reconciled;
        rows of other rewards are left as EventSub delivered them.
        """
        broadcaster = self._broadcaster
        if broadcaster is None:
            return None
        self.drain_incoming()
        started = self.queue.now()
        rewards = await broadcaster.get_custom_rewards(only_manageable=True)
        self.set_reward_colors(rewards)
        records: list[RedemptionRecord] = []
        for reward in rewards:
            color = reward.background_color
            async for redemption in reward.get_redemptions("UNFULFILLED", "OLDEST"):
                if (record := _record_or_none(redemption, color)) is not None:
                    records.append(record)
        diff = self.queue.reconcile(
            broadcaster.id, [r.id for r in rewards], records, read_started=started
        )
        by_id = {r.redemption_id: r for r in records}
        self._remember_seen([by_id[i] for i in diff.added])
        if diff.removed:
            # Helix no longer lists them as UNFULFILLED; the settling below reads their status.
            self._write_note(list(diff.removed), "handled elsewhere (found on reconnect)")
            self._count_elsewhere(len(diff.removed))
        if self._ledger is not None:
            assert self._writer is not None
            self._flush_ledger()  # rows seen so far reach the ledger before it is read
            summary = await settle_ledger(
                broadcaster,
                self._ledger,
                self._writer,
                readable={r.id for r in rewards},
                unfulfilled=set(by_id),
                live=self.queue,
            )
            if (text := summary.text()) is not None:
                self.notice.emit(text)
        self.reconciled.emit(diff)
        return diff

    # ------------------------------------------------------------------ sign-in lost

    @property
    def held(self) -> bool:
        """True while actions wait for a re-login instead of being sent."""
        return self._hold is not None

    def hold(self) -> None:
        """The sign-in is lost: from now on, actions whose undo window closes wait.

        Rows stay in the queue; nothing is sent with a token Twitch no longer accepts.
        """
        if self._hold is None:
            self._hold = asyncio.get_event_loop().create_future()
            _log.info("queue actions held until the streamer signs in again")

    def release(self, *, send: bool) -> int:
        """End a :meth:`hold`: send what waited (``send``), or report it as not sent.

        Returns:
            How many calls were waiting.
        """
        hold, self._hold = self._hold, None
        waiting, self._waiting = self._waiting, 0
        if hold is not None and not hold.done():
            _log.info("%d held queue calls %s", waiting, "go out" if send else "are not sent")
            hold.set_result(send)
        return waiting

    # ------------------------------------------------------------------ actions

    # Rows of another app's rewards are left out of every action (see set_foreign_rewards).

    def fulfill(self, redemption_ids: Iterable[str]) -> ActionRecord | None:
        """Fulfil the given waiting rows after the undo window."""
        return self.queue.fulfill(self.split_foreign(redemption_ids)[0])

    def refund(self, redemption_ids: Iterable[str]) -> ActionRecord | None:
        """Refund the given waiting rows after the undo window."""
        return self.queue.refund(self.split_foreign(redemption_ids)[0])

    def fulfill_reward(self, reward_id: str) -> ActionRecord | None:
        """Fulfil every waiting row of one reward."""
        return None if self.is_foreign(reward_id) else self.queue.fulfill_reward(reward_id)

    def refund_reward(self, reward_id: str) -> ActionRecord | None:
        """Refund every waiting row of one reward."""
        return None if self.is_foreign(reward_id) else self.queue.refund_reward(reward_id)

    def fulfill_all(self) -> ActionRecord | None:
        """Fulfil every waiting row."""
        return self.fulfill(self.queue.ids())

    def refund_all(self) -> ActionRecord | None:
        """Refund every waiting row."""
        if not self._foreign:
            return self.queue.refund_all()  # the fast path (10,000 rows: one pass)
        return self.refund(self.queue.ids())

    def undo_last(self) -> ActionRecord | None:
        """Undo the newest action whose window is still open; returns it, or None."""
        while self._pending_actions:
            action_id = self._pending_actions.pop()
            record = self.queue.action(action_id)
            if self.queue.undo(action_id):
                return record
        return None

    @property
    def can_undo(self) -> bool:
        """True while some action's undo window is open."""
        return any(
            (rec := self.queue.action(i)) is not None and rec.state is ActionState.PENDING
            for i in self._pending_actions
        )

    async def refund_now(self, reward_id: str) -> int:
        """Refund every waiting row of one reward at once (before a delete); returns the count.

        No undo window: the streamer confirmed "refund, then delete" already.
        """
        broadcaster = self._broadcaster
        if broadcaster is None:
            return 0
        rows = [r for r in self.queue.rows_for_reward(reward_id) if r.action_id is None]
        if not rows:
            return 0
        ids = [r.redemption_id for r in rows]
        self.requests_sent += -(-len(ids) // 50)
        done = await broadcaster.update_redemptions(reward_id, ids, "CANCELED")
        done_ids = [r.id for r in done]
        for redemption_id in done_ids:
            self.queue.mark_external(redemption_id, "CANCELED")
        self._write_status([(i, "CANCELED") for i in done_ids], "refunded before delete")
        return len(done_ids)

    async def _send(
        self, reward_id: str, ids: tuple[str, ...], status: RedemptionStatus
    ) -> BatchOutcome:
        """The core queue's sender: one Update Redemption Status call (<= 50 ids)."""
        hold = self._hold
        if hold is not None:
            self._waiting += 1
            # shield: one waiting call being cancelled (shutdown) must not end the hold.
            if not await asyncio.shield(hold):
                return BatchOutcome.all_failed(ids, NOT_SENT_SIGNED_OUT)
        broadcaster = self._broadcaster
        if broadcaster is None:
            return BatchOutcome.all_failed(ids, "not signed in")
        self.requests_sent += 1
        try:
            if status == "FULFILLED":
                changed = await broadcaster.update_redemptions(reward_id, ids, "FULFILLED")
            else:
                changed = await broadcaster.update_redemptions(reward_id, ids, "CANCELED")
        except NotFound:
            # Twitch's 404: none of them is UNFULFILLED any more (handled elsewhere).
            return BatchOutcome.all_already_handled(ids)
        except Forbidden:
            return BatchOutcome.all_failed(ids, FORBIDDEN_TEXT)
        except (TwitchError, OSError, TimeoutError) as exc:
            _log.warning("updating %d redemptions of %s failed: %r", len(ids), reward_id, exc)
            return BatchOutcome.all_failed(ids, describe_error(exc))
        done = frozenset(r.id for r in changed) & frozenset(ids)
        # Reference silence: Update Redemption Status documents 404 when nothing qualifies,
        # not what a partly-qualifying call returns. Twitch only changes UNFULFILLED ids, so
        # an id missing from a 200 answer was no longer UNFULFILLED: handled elsewhere.
        return BatchOutcome(done=done, already_handled=frozenset(ids) - done)

    def _on_action(self, record: ActionRecord) -> None:
        if record.state is ActionState.PENDING:
            self._pending_actions.append(record.action_id)
        elif record.action_id in self._pending_actions:
            self._pending_actions.remove(record.action_id)
        if record.state is ActionState.SENDING:
            self._in_actions.update(record.redemption_ids)
        self.action_changed.emit(record)
        self._write_action(record)
        if record.state.finished:
            self._in_actions.difference_update(record.redemption_ids)
            elsewhere = [
                (rid, self._echoed_status[rid])
                for rid in record.already_handled
                if rid in self._echoed_status
            ]
            for rid in record.redemption_ids:
                self._echoed_status.pop(rid, None)
            self._write_status(elsewhere, "handled elsewhere")
            self.action_finished.emit(summarize(record))

    # ------------------------------------------------------------------ ledger

    def _remember_seen(self, records: Sequence[RedemptionRecord]) -> None:
        """Batch new redemptions for the ledger (a burst becomes one transaction)."""
        if not records or self._ledger is None:
            return
        self._seen_buffer.extend(records)
        if not self._ledger_timer.isActive():
            self._ledger_timer.start()

    def _flush_ledger(self) -> None:
        """Write the batched redemptions now (before anything that refers to them)."""
        self._ledger_timer.stop()
        if not self._seen_buffer or self._ledger is None:
            return
        batch, self._seen_buffer = self._seen_buffer, []
        assert self._writer is not None
        self._writer.write_redemptions(batch)

    def _write_status(self, updates: Sequence[tuple[str, str]], note: str | None) -> None:
        if self._writer is None or not updates:
            return
        self._flush_ledger()  # the writer applies writes in the order they are asked for
        self._writer.write_status(updates, note)

    def _write_note(self, redemption_ids: list[str], note: str) -> None:
        if self._writer is None or not redemption_ids:
            return
        self._flush_ledger()
        self._writer.write_note(redemption_ids, note)

    def _write_action(self, record: ActionRecord) -> None:
        if self._writer is None:
            return
        self._flush_ledger()
        self._writer.write_action(record)

    @property
    def ledger_writer(self) -> LedgerWriter | None:
        """The writer every ledger write goes through (None without a ledger)."""
        return self._writer

    async def wait_idle(self) -> None:
        """Wait for this service's tasks and for the ledger writes asked for so far."""
        await super().wait_idle()
        if self._writer is not None:
            self._flush_ledger()
            await self._writer.wait_idle()
            await super().wait_idle()

    async def shutdown(self) -> None:
        """Send what is still in an undo window, write the ledger, then stop.

        Actions held for a re-login that never came are recorded as not sent. A
        reconcile still reading Twitch is cancelled, not waited for: shutdown runs under a
        deadline, and the next start reconciles again.
        """
        for task in list(self._tasks):
            task.cancel()
        self.release(send=False)
        self.drain_incoming()
        await self.queue.flush()
        self._flush_ledger()
        await self.wait_idle()
        if self._writer is not None:
            await self._writer.close()
        for timer in (
            self._ingest_timer,
            self._ledger_timer,
            self._counts_timer,
            self._elsewhere_timer,
        ):
            timer.stop()
        await super().shutdown()


def summarize(record: ActionRecord) -> str:
    """One line about a settled action, for the status line."""
    verb = "Fulfilled" if record.kind is ActionKind.FULFILL else "Refunded"
    if record.state is ActionState.UNDONE:
        return f"Undone: nothing was sent for {len(record.redemption_ids)} redemption(s)"
    parts = [f"{verb} {len(record.done)}"]
    if record.already_handled:
        parts.append(f"{len(record.already_handled)} were already handled elsewhere")
    if record.failed:
        first_error = record.failed[0][1]
        parts.append(f"{len(record.failed)} failed and stay in the queue ({first_error})")
    return "; ".join(parts)
