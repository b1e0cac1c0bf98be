"""The ledger: every redemption seen and every action taken, in SQLite.

Durability choices:

* ``journal_mode=WAL``: readers (history views, exports) never block the writer,
  and a commit is one append to the WAL file.
* ``synchronous=NORMAL``: in WAL mode this keeps the database consistent after any
  crash and loses no committed transaction when the *process* dies (kill -9, a
  crash): a commit has reached the OS once ``COMMIT`` returns, which the kill drill
  in the tests checks. Only an OS crash or power cut can drop the last few commits.
  FULL would fsync on every commit for that last case; the ledger is a history,
  Twitch stays the truth about a redemption's status (a reconcile re-reads it), so
  the fsync per batch is not worth it on slow laptop disks. Pass
  ``synchronous="FULL"`` to choose otherwise.

Threading: every SQLite call runs under one lock; the ``a*`` coroutines run them on
the ledger's own single worker thread, so the UI thread never waits on the disk and
writes are applied in the order they were asked for. The plain methods do the same
work on the caller's thread (tests, scripts, the worker itself).

A ledger written by a newer version of the app (a schema version this one does not know)
is never migrated or written: :meth:`Ledger.__init__` raises
:class:`~companion.core.ledger_schema.LedgerSchemaError`, and the app may open it again with
``read_only=True`` (issue 20, item 3), which reads it through a read-only connection and
checks first that the columns this version reads are there.

Writes are batched: each call writes all its records in one transaction. Every row is
checked first (:mod:`companion.core.ledger_checks`): a row SQLite cannot hold is left out
and named in the log and in the :class:`WriteResult`, and the good rows of its batch are
written all the same. Errors of the database itself (a full disk, a read-only or damaged
file) still fail the whole call; :class:`companion.core.ledger_writer.LedgerWriter` keeps
such a batch and retries it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, ParamSpec, TypeVar

from .ledger_bulk import bulk_rows, insert_bulk
from .ledger_checks import (
    action_problem,
    redemption_problem,
    storable,
    storable_action,
)
from .ledger_rows import (
    CSV_COLUMNS,
    ITEM_COLUMNS,
    HistoryPage,
    HistoryQuery,
    HistoryRow,
    csv_rows,
    history_row,
    load_action,
    open_rows,
    readable_columns,
    reward_ids_of,
    unfinished_actions,
    viewer_key,
    write_csv_atomically,
)
from .ledger_schema import ViewerIndex, connect, to_db_time, viewer_index
from .ledger_search import explain_search, plan_search, read_page
from .records import ActionRecord, ActionState, normalize_status

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from .records import RedemptionRecord

__all__ = [
    "CSV_COLUMNS",
    "NOT_ON_TWITCH_NOTE",
    "HistoryPage",
    "HistoryQuery",
    "HistoryRow",
    "Ledger",
    "WriteResult",
]

_log = logging.getLogger(__name__)

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: The note on an UNFULFILLED row that Twitch no longer lists at all (it keeps handled
#: redemptions for only a few days, SOURCES.md): its final status is unknown, and rows
#: with this note are not looked up again at every start.
NOT_ON_TWITCH_NOTE = "not found on Twitch (handled; status unknown)"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one :meth:`Ledger.write_redemptions` call did.

    Attributes:
        new: Rows inserted (a known id is not inserted twice).
        rejected: ``(redemption_id, reason)`` of each row that cannot be stored.
    """

    new: int
    rejected: tuple[tuple[str, str], ...] = ()


class Ledger:
    """The redemption and action history in one SQLite file.

    Args:
        path: The database file (created if missing, unless ``read_only``).
        synchronous: ``"NORMAL"`` (default, see the module docs) or ``"FULL"``.
        wall_clock: Aware "now" for first-seen and status-change times.
        read_only: Open an existing file for reading only, whatever its schema version
            (a newer app's ledger): nothing is migrated and every write raises.

    Attributes:
        read_only: True if the ledger was opened for reading only.
        schema_version: The file's schema version (``PRAGMA user_version``).
        viewer_index: What a viewer search uses (the trigram index when there is one).

    Raises:
        LedgerSchemaError: The file was written by a newer app (and not ``read_only``).
        sqlite3.Error: The file cannot be opened, or (``read_only``) lacks the tables and
            columns this version reads.
    """

    def __init__(
        self,
        path: Path,
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        wall_clock: Callable[[], datetime] | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        self._closed = False
        self._conn = connect(self.path, synchronous=synchronous, read_only=read_only)
        try:
            self.schema_version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            if read_only:
                readable_columns(self._conn)
            self.viewer_index: ViewerIndex = viewer_index(self._conn)
        except BaseException:
            self._conn.close()
            self._executor.shutdown(wait=False)
            raise

    def __repr__(self) -> str:
        mode = ", read_only=True" if self.read_only else ""
        return f"Ledger({str(self.path)!r}{mode}, closed={self._closed})"

    @classmethod
    async def aopen(
        cls,
        path: Path,
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        wall_clock: Callable[[], datetime] | None = None,
        read_only: bool = False,
    ) -> Ledger:
        """Open a ledger off the event loop's thread (opening may migrate)."""
        return await asyncio.to_thread(
            functools.partial(
                cls, path, synchronous=synchronous, wall_clock=wall_clock, read_only=read_only
            )
        )

    # ------------------------------------------------------------------ plumbing

    async def _run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def _transaction(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("the ledger is closed")
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._conn)
                self._conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            return result

    def _rollback(self) -> None:
        # SQLite rolls a transaction back by itself after some errors (SQLITE_FULL,
        # SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY); a second ROLLBACK would then raise
        # "no transaction is active" and hide the error that matters.
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error as error:
                _log.warning("ledger: rollback failed: %s", error)

    def _read(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("the ledger is closed")
            # One read transaction: a count and its page see the same snapshot even if
            # another process writes the file meanwhile.
            self._conn.execute("BEGIN")
            try:
                return work(self._conn)
            finally:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the database and stop the worker thread; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._conn.close()
        self._executor.shutdown(wait=True)

    async def aclose(self) -> None:
        """Let queued writes finish on the worker, then close; idempotent."""
        if self._closed:
            return
        await self._run(lambda: None)  # every write asked for before this one is done
        await asyncio.to_thread(self.close)

    # ------------------------------------------------------------------ writes

    def record_redemptions(self, records: Iterable[RedemptionRecord]) -> int:
        """Remember redemptions; a known id is not inserted twice. Returns how many were new.

        A record that arrives FULFILLED or CANCELED for a row still UNFULFILLED moves
        it on; a status never moves back to UNFULFILLED. A record that cannot be stored is
        left out (see :meth:`write_redemptions`).
        """
        return self.write_redemptions(records).new

    def write_redemptions(self, records: Iterable[RedemptionRecord]) -> WriteResult:
        """:meth:`record_redemptions`, also naming every row that could not be stored."""
        batch: list[RedemptionRecord] = []
        rejected: list[tuple[str, str]] = []
        for record in records:
            problem = redemption_problem(record)
            if problem is None:
                batch.append(record)
                continue
            rid = storable(str(record.redemption_id))
            rejected.append((rid, problem))
            _log.warning("ledger: redemption %s not stored: %s", rid, problem)
        if not batch:
            return WriteResult(0, tuple(rejected))
        now = to_db_time(self._wall_clock())

        def work(conn: sqlite3.Connection) -> int:
            before = conn.total_changes
            new = 0
            for record in batch:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO redemptions (redemption_id, broadcaster_id,"
                    " reward_id, reward_title, reward_cost, reward_color, user_id, user_login,"
                    " user_name, viewer_key, user_input, redeemed_at, status, first_seen_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.redemption_id,
                        record.broadcaster_id,
                        record.reward_id,
                        record.reward_title,
                        record.reward_cost,
                        record.reward_color,
                        record.user_id,
                        record.user_login,
                        record.user_name,
                        viewer_key(record.user_login, record.user_name),
                        record.user_input,
                        to_db_time(record.redeemed_at),
                        record.status,
                        now,
                    ),
                )
                if cursor.rowcount == 1:
                    new += 1
                elif record.status != "UNFULFILLED":
                    self._move_status(conn, record.redemption_id, record.status, now, None, None)
            _log.debug("ledger: %d redemptions, %d new", conn.total_changes - before, new)
            return new

        return WriteResult(self._transaction(work), tuple(rejected))

    def write_redemptions_bulk(self, records: Iterable[RedemptionRecord]) -> WriteResult:
        """:meth:`write_redemptions` for many rows at once (an import, a history backfill).

        The same rows, statuses and checks, in one transaction, but SQLite loops over the
        rows (see :mod:`companion.core.ledger_bulk`). Durability is the ledger's usual.
        """
        rows, moves, rejected = bulk_rows(records, to_db_time(self._wall_clock()))
        if not rows:
            return WriteResult(0, tuple(rejected))
        return WriteResult(
            self._transaction(lambda conn: insert_bulk(conn, rows, moves, self.viewer_index)),
            tuple(rejected),
        )

    @staticmethod
    def _move_status(
        conn: sqlite3.Connection,
        redemption_id: str,
        status: str,
        at: str,
        action_id: str | None,
        note: str | None,
    ) -> bool:
        # Twitch only moves a redemption out of UNFULFILLED, once; repeats are no-ops.
        cursor = conn.execute(
            "UPDATE redemptions SET status = ?, status_changed_at = ?,"
            " handled_by = coalesce(?, handled_by), note = coalesce(?, note)"
            " WHERE redemption_id = ? AND status = 'UNFULFILLED'",
            (status, at, action_id, note, redemption_id),
        )
        return cursor.rowcount == 1

    def record_status(
        self,
        updates: Iterable[tuple[str, str]],
        *,
        note: str | None = None,
        at: datetime | None = None,
    ) -> int:
        """Apply ``(redemption_id, status)`` updates (EventSub's redemption.update).

        Unknown ids and rows already out of UNFULFILLED are left alone. Returns how
        many rows changed.
        """
        batch = [(rid, normalize_status(status)) for rid, status in updates if _storable_id(rid)]
        note = storable(note) if note is not None else None
        stamp = to_db_time(at or self._wall_clock())

        def work(conn: sqlite3.Connection) -> int:
            return sum(
                self._move_status(conn, rid, status, stamp, None, note)
                for rid, status in batch
                if status != "UNFULFILLED"
            )

        return self._transaction(work) if batch else 0

    def record_note(self, redemption_ids: Iterable[str], note: str) -> int:
        """Attach a note (e.g. "handled elsewhere") to known redemptions."""
        note = storable(note)
        batch = [(note, rid) for rid in redemption_ids if _storable_id(rid)]

        def work(conn: sqlite3.Connection) -> int:
            before = conn.total_changes
            conn.executemany("UPDATE redemptions SET note = ? WHERE redemption_id = ?", batch)
            return conn.total_changes - before

        return self._transaction(work) if batch else 0

    def record_action(self, action: ActionRecord) -> None:
        """Store an action snapshot (every state it passes through overwrites the last).

        The final snapshot also moves the redemptions it changed to the action's status.
        A snapshot whose own id or times SQLite cannot hold is left out and logged; a
        redemption id it cannot hold is dropped from the snapshot, and error texts are
        cleaned (see :mod:`companion.core.ledger_checks`).
        """
        problem = action_problem(action)
        if problem is not None:
            _log.warning("ledger: action %s not stored: %s", storable(action.action_id), problem)
            return
        action, dropped = storable_action(action)
        if dropped:
            _log.warning(
                "ledger: action %s stored without ids that are not valid text: %s",
                action.action_id,
                ", ".join(dropped),
            )
        unsettled = "UNDONE" if action.state is ActionState.UNDONE else "PENDING"
        outcome: dict[str, tuple[str, str | None]] = dict.fromkeys(
            action.redemption_ids, (unsettled, None)
        )
        outcome.update(dict.fromkeys(action.done, ("DONE", None)))
        outcome.update(dict.fromkeys(action.already_handled, ("ALREADY_HANDLED", None)))
        outcome.update({rid: ("FAILED", storable(error)) for rid, error in action.failed})
        result = json.dumps(
            {
                "done": len(action.done),
                "already_handled": len(action.already_handled),
                "failed": len(action.failed),
            }
        )
        finished = action.finished_at or self._wall_clock()

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO actions (action_id, kind, target_status, state, id_count,"
                " reward_ids, created_at, sent_at, finished_at, calls, result)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (action_id) DO UPDATE SET state = excluded.state,"
                " id_count = excluded.id_count, sent_at = excluded.sent_at,"
                " finished_at = excluded.finished_at, calls = excluded.calls,"
                " result = excluded.result",
                (
                    action.action_id,
                    action.kind.name,
                    action.target_status,
                    action.state.value,
                    len(outcome),
                    json.dumps(list(action.reward_ids)),
                    to_db_time(action.created_at),
                    to_db_time(action.sent_at) if action.sent_at else None,
                    to_db_time(action.finished_at) if action.finished_at else None,
                    action.calls,
                    result if action.state.finished else None,
                ),
            )
            # Ids dropped from the action (handled elsewhere in the window) go away too.
            conn.execute("DELETE FROM action_items WHERE action_id = ?", (action.action_id,))
            conn.executemany(
                "INSERT INTO action_items (action_id, redemption_id, position, outcome, error)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (action.action_id, rid, position, state, error)
                    for position, (rid, (state, error)) in enumerate(outcome.items())
                ],
            )
            stamp = to_db_time(finished)
            for rid in action.done:
                self._move_status(conn, rid, action.target_status, stamp, action.action_id, None)
            for rid in action.already_handled:
                conn.execute(
                    "UPDATE redemptions SET note = 'handled elsewhere'"
                    " WHERE redemption_id = ? AND status = 'UNFULFILLED'",
                    (rid,),
                )

        self._transaction(work)

    # ------------------------------------------------------------------ reads

    def query(
        self,
        query: HistoryQuery | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
        newest_first: bool = True,
    ) -> HistoryPage:
        """One page of the redemption history matching ``query``."""
        if limit < 1 or offset < 0:
            raise ValueError("limit must be >= 1 and offset >= 0")

        def work(conn: sqlite3.Connection) -> HistoryPage:
            return read_page(
                conn,
                query or HistoryQuery(),
                index=self.viewer_index,
                limit=limit,
                offset=offset,
                newest_first=newest_first,
            )

        return self._read(work)

    def explain(self, query: HistoryQuery | None = None, *, limit: int = 100) -> list[str]:
        """SQLite's plan for every statement :meth:`query` runs (``EXPLAIN QUERY PLAN``)."""
        return self._read(
            lambda conn: explain_search(
                conn, query or HistoryQuery(), index=self.viewer_index, limit=limit
            )
        )

    def get(self, redemption_id: str) -> HistoryRow | None:
        """One redemption by id, or None."""

        def work(conn: sqlite3.Connection) -> HistoryRow | None:
            row = conn.execute(
                f"SELECT {ITEM_COLUMNS} FROM redemptions WHERE redemption_id = ?",
                (redemption_id,),
            ).fetchone()
            return history_row(row) if row else None

        return self._read(work)

    def action(self, action_id: str) -> ActionRecord | None:
        """An action as last stored, or None."""
        return self._read(lambda conn: load_action(conn, action_id))

    def recent_actions(self, *, limit: int = 50, offset: int = 0) -> list[ActionRecord]:
        """Stored actions, newest first."""

        def work(conn: sqlite3.Connection) -> list[ActionRecord]:
            ids = conn.execute(
                "SELECT action_id FROM actions ORDER BY created_at DESC, action_id DESC"
                " LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            loaded = (load_action(conn, str(row[0])) for row in ids)
            return [action for action in loaded if action is not None]

        return self._read(work)

    def open_redemptions(self, broadcaster_id: str) -> dict[str, str]:
        """Redemption id -> reward id of the channel's rows still UNFULFILLED here.

        Rows already found missing on Twitch (:data:`NOT_ON_TWITCH_NOTE`) are left out.
        """
        return self._read(lambda conn: open_rows(conn, broadcaster_id, NOT_ON_TWITCH_NOTE))

    def unfinished_actions(self) -> list[ActionRecord]:
        """Stored actions still PENDING or SENDING (the app stopped before they settled)."""
        return self._read(unfinished_actions)

    def reward_ids_of(self, redemption_ids: Iterable[str]) -> dict[str, str]:
        """Redemption id -> reward id, for the given ids the ledger knows."""
        wanted = list(dict.fromkeys(redemption_ids))
        return self._read(lambda conn: reward_ids_of(conn, wanted)) if wanted else {}

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` verdict (``"ok"`` when sound)."""
        return self._read(lambda conn: str(conn.execute("PRAGMA integrity_check").fetchone()[0]))

    def export_csv(self, path: Path, query: HistoryQuery | None = None) -> int:
        """Write the matching history to ``path`` as CSV, oldest first; returns the row count.

        The file has a header row (:data:`CSV_COLUMNS`), ISO 8601 UTC timestamps and
        is written to a temporary file first, so a failed export never leaves half a
        file behind. Free-text cells a spreadsheet would run as a formula get a
        leading ``'``.
        """
        target = Path(path)

        def work(conn: sqlite3.Connection) -> int:
            plan = plan_search(conn, query or HistoryQuery(), index=self.viewer_index, window=None)
            cursor = conn.execute(
                f"SELECT {', '.join(CSV_COLUMNS)} FROM {plan.source}{plan.where}"
                " ORDER BY redeemed_at ASC, redemption_id ASC",
                plan.params,
            )
            return write_csv_atomically(target, csv_rows(cursor))

        count = self._read(work)
        _log.info("exported %d ledger rows to %s", count, target.name)
        return count

    # ------------------------------------------------------------------ async

    async def arecord_redemptions(self, records: Iterable[RedemptionRecord]) -> int:
        """:meth:`record_redemptions` on the ledger's worker thread."""
        return await self._run(self.record_redemptions, list(records))

    async def arecord_status(
        self, updates: Iterable[tuple[str, str]], *, note: str | None = None
    ) -> int:
        """:meth:`record_status` on the ledger's worker thread."""
        return await self._run(functools.partial(self.record_status, list(updates), note=note))

    async def arecord_note(self, redemption_ids: Iterable[str], note: str) -> int:
        """:meth:`record_note` on the ledger's worker thread."""
        return await self._run(self.record_note, list(redemption_ids), note)

    async def arecord_action(self, action: ActionRecord) -> None:
        """:meth:`record_action` on the ledger's worker thread."""
        await self._run(self.record_action, action)

    async def aquery(
        self,
        query: HistoryQuery | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
        newest_first: bool = True,
    ) -> HistoryPage:
        """:meth:`query` on the ledger's worker thread."""
        return await self._run(
            functools.partial(
                self.query, query, limit=limit, offset=offset, newest_first=newest_first
            )
        )

    async def arecent_actions(self, *, limit: int = 50, offset: int = 0) -> list[ActionRecord]:
        """:meth:`recent_actions` on the ledger's worker thread."""
        return await self._run(functools.partial(self.recent_actions, limit=limit, offset=offset))

    async def awrite_redemptions_bulk(self, records: Iterable[RedemptionRecord]) -> WriteResult:
        """:meth:`write_redemptions_bulk` on the ledger's worker thread."""
        return await self._run(self.write_redemptions_bulk, list(records))

    async def awrite_redemptions(self, records: Iterable[RedemptionRecord]) -> WriteResult:
        """:meth:`write_redemptions` on the ledger's worker thread."""
        return await self._run(self.write_redemptions, list(records))

    async def aopen_redemptions(self, broadcaster_id: str) -> dict[str, str]:
        """:meth:`open_redemptions` on the ledger's worker thread."""
        return await self._run(self.open_redemptions, broadcaster_id)

    async def aunfinished_actions(self) -> list[ActionRecord]:
        """:meth:`unfinished_actions` on the ledger's worker thread."""
        return await self._run(self.unfinished_actions)

    async def areward_ids_of(self, redemption_ids: Iterable[str]) -> dict[str, str]:
        """:meth:`reward_ids_of` on the ledger's worker thread."""
        return await self._run(self.reward_ids_of, list(redemption_ids))

    async def aexport_csv(self, path: Path, query: HistoryQuery | None = None) -> int:
        """:meth:`export_csv` on the ledger's worker thread."""
        return await self._run(self.export_csv, path, query)


def _storable_id(redemption_id: object) -> bool:
    """True if an id from an update can be stored; logs the one that cannot."""
    if isinstance(redemption_id, str) and storable(redemption_id) == redemption_id:
        return True
    _log.warning("ledger: update for redemption %r not stored: not valid text", redemption_id)
    return False
