"""Ordered ledger writes that outlive a full disk (issue 20, items 11 and 12).

Every write the app makes to the ledger goes through one :class:`LedgerWriter`, which
applies them one after another, in the order they were asked for, on the ledger's
worker thread. When the database refuses a write as a whole (a full disk, a read-only
or damaged file: ``sqlite3.OperationalError``/``DatabaseError``, or an ``OSError``):

* the write and every later one are **kept in memory, in order**, up to ``max_kept``
  rows. Past that bound newer writes are dropped (and counted), so the kept part stays
  an ordered prefix: a status never lands before the redemption it moves, and an
  action snapshot that is dropped only leaves its action unfinished, which the next
  start settles against Twitch;
* the first kept write is **retried with backoff** (1 s, 2 s, 4 s ... capped at 60 s),
  never once per new write, so a broken disk costs one attempt per backoff step, not a
  burst of identical errors;
* the streamer is **told once, in words** through ``notify`` (the queue service shows it
  as a notice): when saving stops, and again when it works again. The log gets one
  error line per episode, not one per attempt.

Rows the ledger cannot store at all (a value out of SQLite's range, see
:mod:`companion.core.ledger_checks`) are left out by the ledger itself while the good
rows of their batch are written; the writer tells the streamer about them, at most
once a minute.

Everything here runs on the event loop's thread; no Qt.
"""

from __future__ import annotations

import asyncio
import collections
import errno
import logging
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .ledger import WriteResult
from .scheduling import AsyncioScheduler

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from .ledger import Ledger
    from .records import ActionRecord, RedemptionRecord
    from .scheduling import Scheduler, TimerHandle

__all__ = ["DEFAULT_MAX_KEPT", "LedgerWriter", "describe_storage_error"]

_log = logging.getLogger(__name__)

#: Rows kept in memory while the ledger cannot be written. A redemption record is well
#: under 1 KB in memory, so the bound is tens of MB at most: hours of a busy channel.
DEFAULT_MAX_KEPT = 50_000
#: At most one "could not be stored" notice per this many seconds; the rest are summed.
REJECT_NOTICE_EVERY = 60.0


def describe_storage_error(error: BaseException) -> str:
    """Plain words for why the database refused a write."""
    code = getattr(error, "sqlite_errorcode", None)
    base = code & 0xFF if isinstance(code, int) else None
    os_errno = getattr(error, "errno", None)
    if base == sqlite3.SQLITE_FULL or os_errno == errno.ENOSPC:
        return "the disk is full"
    if base == sqlite3.SQLITE_READONLY or os_errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "the file is read-only"
    if base in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return "the file is damaged"
    if base in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return "another program is holding the file"
    if base == sqlite3.SQLITE_IOERR or isinstance(error, OSError):
        return "the disk reported an error"
    return str(error) or type(error).__name__


def _is_storage_error(error: BaseException) -> bool:
    """True if the database refused the write as a whole (worth keeping and retrying)."""
    if isinstance(error, OSError):
        return True
    return isinstance(error, sqlite3.DatabaseError) and not isinstance(
        error, (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.NotSupportedError)
    )


@dataclass(slots=True)
class _Write:
    """One write waiting its turn."""

    what: str
    rows: int
    run: Callable[[], Awaitable[Any]]


class LedgerWriter:
    """Applies ledger writes in order; keeps and retries them while the disk refuses.

    Args:
        ledger: The ledger written to.
        notify: Shows one sentence to the streamer (a non-modal notice).
        scheduler: Clock and timer for the retry backoff (tests pass a fake).
        max_kept: Most rows kept in memory while writes fail.
        first_retry: Seconds before the first retry; doubles each time.
        max_retry: Longest wait between two retries.
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        notify: Callable[[str], None] | None = None,
        scheduler: Scheduler | None = None,
        max_kept: int = DEFAULT_MAX_KEPT,
        first_retry: float = 1.0,
        max_retry: float = 60.0,
    ) -> None:
        if max_kept < 1 or first_retry <= 0 or max_retry < first_retry:
            raise ValueError("max_kept >= 1 and 0 < first_retry <= max_retry are required")
        self.ledger = ledger
        self._notify = notify or (lambda _text: None)
        self._scheduler = scheduler or AsyncioScheduler()
        self._max_kept = max_kept
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._writes: collections.deque[_Write] = collections.deque()
        self._kept_rows = 0
        self._task: asyncio.Task[None] | None = None
        self._retry: TimerHandle | None = None
        self._closed = False
        # The current episode of refused writes (None while writes succeed).
        self._failing_reason: str | None = None
        self._last_error = ""
        self._attempts = 0
        self._written_while_failing = 0
        self.dropped = 0  # rows not kept because the bound was reached (this run)
        self._dropped_told = False
        # Rows the ledger could not store at all, waiting to be told.
        self.rejected = 0  # this run, in total
        self._untold: list[tuple[str, str]] = []
        self._last_reject_notice: float | None = None
        self._reject_timer: TimerHandle | None = None

    def __repr__(self) -> str:
        state = f"failing: {self._failing_reason}" if self._failing_reason else "ok"
        return f"LedgerWriter({len(self._writes)} writes, {self._kept_rows} rows, {state})"

    # ------------------------------------------------------------------ state

    @property
    def failing(self) -> bool:
        """True while the ledger refuses writes (rows are being kept)."""
        return self._failing_reason is not None

    @property
    def attempts(self) -> int:
        """Refused attempts in the current episode (0 while writes succeed)."""
        return self._attempts

    @property
    def kept(self) -> int:
        """Rows waiting to be written (in flight or kept)."""
        return self._kept_rows

    # ------------------------------------------------------------------ writes

    def write_redemptions(self, records: Sequence[RedemptionRecord]) -> None:
        """Remember redemptions (:meth:`Ledger.write_redemptions_bulk`).

        The bulk write stores what the row-by-row write stores, with the same
        :class:`WriteResult`, in one ``executemany`` instead of a statement per row
        (see :mod:`companion.core.ledger_bulk`).
        """
        batch = list(records)
        if batch:
            self._submit(
                _Write(
                    "redemptions", len(batch), lambda: self.ledger.awrite_redemptions_bulk(batch)
                )
            )

    def write_status(self, updates: Sequence[tuple[str, str]], note: str | None) -> None:
        """Move statuses (:meth:`Ledger.record_status`)."""
        batch = list(updates)
        if batch:
            self._submit(
                _Write("statuses", len(batch), lambda: self.ledger.arecord_status(batch, note=note))
            )

    def write_note(self, redemption_ids: Sequence[str], note: str) -> None:
        """Attach a note (:meth:`Ledger.record_note`)."""
        batch = list(redemption_ids)
        if batch:
            self._submit(_Write("notes", len(batch), lambda: self.ledger.arecord_note(batch, note)))

    def write_action(self, action: ActionRecord) -> None:
        """Store an action snapshot (:meth:`Ledger.record_action`)."""
        self._submit(_Write("action", 1, lambda: self.ledger.arecord_action(action)))

    def _submit(self, write: _Write) -> None:
        if self._closed:
            _log.warning("ledger: %d %s not written: the writer is closed", write.rows, write.what)
            return
        if self.failing and self._kept_rows + write.rows > self._max_kept:
            self.dropped += write.rows
            if not self._dropped_told:
                self._dropped_told = True
                _log.error(
                    "ledger: %d rows kept in memory, the most it keeps; newer rows are dropped",
                    self._kept_rows,
                )
                self._notify(
                    f"The redemption history is holding {self._kept_rows:,} unsaved rows, as"
                    " many as it keeps; newer ones are not kept until it can be saved again."
                )
            return
        self._writes.append(write)
        self._kept_rows += write.rows
        self._kick()

    # ------------------------------------------------------------------ the loop

    def _kick(self) -> None:
        if self._retry is not None or (self._task is not None and not self._task.done()):
            return  # a retry is due later, or the loop is already running
        if not self._writes:
            return
        self._task = asyncio.get_running_loop().create_task(self._drain(), name="ledger-writer")

    def _cancel_retry(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None

    def _retry_due(self) -> None:
        self._retry = None
        self._kick()

    async def _drain(self) -> None:
        while self._writes:
            write = self._writes[0]
            try:
                result = await write.run()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if isinstance(error, sqlite3.ProgrammingError):
                    self._abandon(f"the ledger is closed ({error})")
                    return
                if _is_storage_error(error):
                    self._refused(error)
                    return
                # Not the disk: this one write is wrong in itself. Keeping it would block
                # every later write for ever, so it is dropped, loudly.
                _log.error("ledger: %s write dropped", write.what, exc_info=error)
                self._notify(f"A change to the redemption history could not be saved: {error}")
                self._done(write)
                continue
            self._done(write)
            if isinstance(result, WriteResult) and result.rejected:
                self._rejected(result.rejected)
        if self.failing:
            self._recovered()

    def _done(self, write: _Write) -> None:
        self._writes.popleft()
        self._kept_rows -= write.rows
        if self.failing:
            self._written_while_failing += write.rows

    def _refused(self, error: BaseException) -> None:
        reason = describe_storage_error(error)
        text = f"{type(error).__name__}: {error}"
        self._attempts += 1
        if self._failing_reason is None:
            self._failing_reason = reason
            self._written_while_failing = 0
            _log.error(
                "ledger: cannot write %s (%s); %d rows kept in memory, retrying with backoff",
                self.ledger.path.name,
                text,
                self._kept_rows,
            )
            self._notify(
                f"The redemption history cannot be saved: {reason} ({self.ledger.path})."
                " New rows are kept in memory and saved as soon as it works again;"
                " closing the app before then loses them."
            )
        elif text != self._last_error:
            _log.warning("ledger: still cannot write (%s)", text)
        else:
            _log.debug("ledger: attempt %d refused again (%s)", self._attempts, text)
        self._last_error = text
        delay = min(self._max_retry, self._first_retry * 2 ** min(self._attempts - 1, 30))
        self._retry = self._scheduler.call_later(delay, self._retry_due)

    def _recovered(self) -> None:
        written = self._written_while_failing
        _log.info(
            "ledger: writable again after %d refused attempts; %d kept rows written",
            self._attempts,
            written,
        )
        text = f"The redemption history is saved again ({written:,} kept rows written)."
        if self.dropped:
            text += f" {self.dropped:,} rows were not kept meanwhile and are missing from it."
        self._notify(text)
        self._failing_reason = None
        self._last_error = ""
        self._attempts = 0
        self._dropped_told = False

    def _abandon(self, why: str) -> None:
        lost = self._kept_rows
        _log.error("ledger: %d rows not written: %s", lost, why)
        self._writes.clear()
        self._kept_rows = 0

    # ------------------------------------------------------------------ rejected rows

    def _rejected(self, rows: tuple[tuple[str, str], ...]) -> None:
        self.rejected += len(rows)
        self._untold.extend(rows)
        now = self._scheduler.time()
        last = self._last_reject_notice
        if last is None or now - last >= REJECT_NOTICE_EVERY:
            self._tell_rejected()
        elif self._reject_timer is None:
            self._reject_timer = self._scheduler.call_later(
                last + REJECT_NOTICE_EVERY - now, self._tell_rejected
            )

    def _tell_rejected(self) -> None:
        self._reject_timer = None
        rows, self._untold = self._untold, []
        if not rows:
            return
        self._last_reject_notice = self._scheduler.time()
        first_id, first_reason = rows[0]
        if len(rows) == 1:
            text = (
                f"A redemption could not be saved to the history: {first_reason}"
                f" (id {first_id}). Only the history lacks it; Twitch still has it."
            )
        else:
            text = (
                f"{len(rows)} redemptions could not be saved to the history; the first:"
                f" {first_reason} (id {first_id}). Their ids are in the log; only the"
                " history lacks them."
            )
        self._notify(text)

    # ------------------------------------------------------------------ waiting

    async def wait_idle(self) -> None:
        """Wait until every write asked for so far is written, or kept for a retry."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self) -> int:
        """Write what is kept (one last attempt, whatever the backoff), then stop.

        Returns:
            How many rows could not be written (they are lost; the log says how many).
        """
        await self.wait_idle()
        if self._reject_timer is not None:
            self._reject_timer.cancel()
        self._tell_rejected()
        self._cancel_retry()
        if self._writes:
            self._task = asyncio.get_running_loop().create_task(
                self._drain(), name="ledger-writer-last"
            )
            await self.wait_idle()
            self._cancel_retry()
        self._closed = True
        lost = self._kept_rows
        if lost:
            _log.error("ledger: %d rows could not be written before the app stopped", lost)
        return lost
