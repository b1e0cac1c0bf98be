"""The ledger's bulk write of redemptions (issue 18, item 5): many rows, one transaction.

:meth:`companion.core.ledger.Ledger.write_redemptions_bulk` calls these. The row-by-row
write runs one ``INSERT`` per record from Python and a status move where the id was
known; here:

* :func:`bulk_rows` checks and converts every record in one pass. The common record
  (text fields plain strings without a lone surrogate, a cost in SQLite's range, a
  ``datetime`` in UTC) passes a short test: all its text joined once, so one ``isascii()``
  (or one UTF-8 encode) covers every field. Anything else, or a value that test cannot
  vouch for, goes through :func:`companion.core.ledger_checks.redemption_problem`, the
  one place that says what is wrong, so the checks are exactly as strict as before and a
  bad row costs only itself. The redeemed time is formatted once (it was formatted by the
  check and again for the row: about 1 microsecond).
* SQLite loops (``executemany``, one prepared statement) over every row,
  ``INSERT OR IGNORE`` (a known id is not inserted twice; of two rows with one id the
  first wins, as row by row), in the order given: arrival order is about time order, so
  the rowid table and its time and reward indexes are appended to.
* Status moves: a record that is not UNFULFILLED moves a row still UNFULFILLED, guarded by
  ``status = 'UNFULFILLED'``. If every row was inserted, no id was known or repeated and
  each row already has its record's status, so there is nothing to move (most historical
  rows are FULFILLED or CANCELED: looking their ids up cost about 2 microseconds a row).
  Otherwise the moves of ids known before the batch (``rowid <= before``) or repeated in
  it are applied, which gives what the row-by-row write gives (a test checks it row for
  row).
* Viewer counts: for a batch of :data:`LARGE_BATCH_ROWS` or more, the per-row insert
  trigger that keeps ``viewers`` in step (two statements a row, about 5 microseconds) is
  dropped inside the transaction and its own stored SQL run again after; meanwhile the
  batch's viewers are counted once (in Python when every row was inserted, else by SQL
  over the new rowids) and applied in one UPSERT statement over the distinct viewers, in
  first-appearance order, so new viewers get their ids in the same order as row by row
  (the trigger's ``INSERT OR IGNORE`` also uses up an AUTOINCREMENT id per row; ids are
  never reused either way, only their order matters to the trigram index's mark). A
  rollback (any error) restores the trigger with everything else. Small batches
  (the app's writer, a few rows per event-loop turn) keep the trigger: dropping and
  recreating it costs more than it saves there.

* An import at least as large as the ledger it goes into (a first import, a migration)
  drops the table's secondary indexes inside the transaction and runs their own stored
  ``CREATE INDEX`` again after the rows are in: SQLite then builds each index once from
  sorted keys instead of inserting every row at a random place. Measured on an empty
  ledger, one call: 300,000 rows 45,455 -> 50,780 rows per CPU second; 1,000,000 rows
  50,916. The id's unique index stays (it is what ignores a known id); a rollback restores
  the dropped indexes with everything else. A smaller batch into a large ledger keeps
  them: rebuilding an index over every row would cost more than the batch's inserts.

* The table's CHECK on ``status`` (``status IN ('UNFULFILLED', 'FULFILLED', 'CANCELED')``)
  is not run by SQLite for a batch of :data:`LARGE_BATCH_ROWS` or more
  (``PRAGMA ignore_check_constraints`` for the call): SQLite builds the ``IN`` list's
  lookup table afresh at every execution of the statement, and ``executemany`` executes it
  once per row, which measured 3.2 microseconds a row of the 7.6 an insert costs without
  indexes (SQLite 3.40, in memory, 200,000 rows); the whole million went 15.6 -> 12.0 s of
  CPU in its insert statements. :func:`bulk_rows` checks the same rule on every row first
  (through :func:`companion.core.ledger_checks.redemption_problem` for anything its fast
  path does not vouch for), so a bad status is refused with its reason as before, and the
  pragma is put back (and with it every statement re-prepared: SQLite expires them when a
  flag pragma changes) before the call returns, whatever happens. Other writes keep the
  table's CHECK.

For a batch of :data:`LARGE_BATCH_ROWS` or more, the page cache is raised to
:data:`BULK_CACHE_KIB` for the call and put back after: a
million-row ledger is hundreds of MB, and the default 2 MB cache re-reads index pages
for nearly every row. Durability is the ledger's (WAL, ``synchronous=NORMAL``, see
:mod:`companion.core.ledger`): the batch is one commit, so a crash keeps all or none.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .ledger_checks import (
    REDEMPTION_STATUSES,
    SQLITE_INT_MAX,
    SQLITE_INT_MIN,
    redemption_problem,
    storable,
)
from .ledger_rows import viewer_key
from .ledger_schema import ViewerIndex, sync_viewer_search, to_db_time

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable

    from .records import RedemptionRecord

__all__ = ["BULK_CACHE_KIB", "LARGE_BATCH_ROWS", "Move", "Row", "bulk_rows", "insert_bulk"]

_log = logging.getLogger(__name__)

#: The page cache of a bulk write, in KiB (SQLite's default is 2,000 KiB).
BULK_CACHE_KIB = 65536
#: From this many rows a bulk write raises the page cache and counts viewers once instead
#: of by trigger per row (below it both cost more than they save).
LARGE_BATCH_ROWS = 500
#: The name of schema 2's trigger that counts a new redemption's viewer.
VIEWER_TRIGGER = "redemptions_viewer_insert"

_INSERT = (
    "INSERT OR IGNORE INTO redemptions (redemption_id, broadcaster_id, reward_id, reward_title,"
    " reward_cost, reward_color, user_id, user_login, user_name, viewer_key, user_input,"
    " redeemed_at, status, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_MOVE = (
    "UPDATE redemptions SET status = ?, status_changed_at = ?"
    " WHERE redemption_id = ? AND status = 'UNFULFILLED'"
)
# The viewers of a batch, counted once: one UPSERT per distinct viewer, in first-appearance
# order (a JSON array of [user_id, viewer_key, count] from Python when every row was new,
# else SQL's count over the new rowids). SQLite's upsert needs the WHERE to parse.
_COUNT_VIEWERS = (
    "INSERT INTO viewers (user_id, viewer_key, redemptions)"
    " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
    " json_extract(value, '$[2]') FROM json_each(?) WHERE true"
    " ON CONFLICT (user_id, viewer_key)"
    " DO UPDATE SET redemptions = redemptions + excluded.redemptions"
)
_COUNT_NEW_ROWS = (
    "INSERT INTO viewers (user_id, viewer_key, redemptions)"
    " SELECT user_id, viewer_key, count(*) FROM redemptions WHERE rowid > ?"
    " GROUP BY user_id, viewer_key ORDER BY min(rowid)"
    " ON CONFLICT (user_id, viewer_key)"
    " DO UPDATE SET redemptions = redemptions + excluded.redemptions"
)
# A rowid table gives a new row max(rowid) + 1 unless that would pass this; then a random
# free rowid, and "past the old last rowid" would not hold (the slow, exact paths are used).
_ROWID_MAX = 2**63 - 1

Row = tuple[str | int | None, ...]
#: ``(status, at, redemption_id)`` of a record that is not UNFULFILLED.
Move = tuple[str, str, str]


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bulk_rows(
    records: Iterable[RedemptionRecord], now: str
) -> tuple[list[Row], list[Move], list[tuple[str, str]]]:
    """Check and convert records: insert parameters, status moves, ``(id, reason)`` refused.

    A refused record is logged and left out; the others keep their order.
    """
    rows: list[Row] = []
    moves: list[Move] = []
    rejected: list[tuple[str, str]] = []
    days: dict[int, str] = {}  # a UTC day's ordinal -> its "YYYY-MM-DDT"
    for record in records:
        rid = record.redemption_id
        color = record.reward_color
        text = record.user_input
        cost = record.reward_cost
        at = record.redeemed_at
        status = record.status
        # Typed as one of the three, but a record can be forced; mypy takes the type's word.
        status_seen: object = status
        try:
            joined = "".join(
                (
                    rid,
                    record.broadcaster_id,
                    record.reward_id,
                    record.reward_title,
                    record.user_id,
                    record.user_login,
                    record.user_name,
                    "" if color is None else color,
                    "" if text is None else text,
                )
            )
        except TypeError:
            joined = None  # not all text: the full check names the field
        if (
            joined is not None
            and (joined.isascii() or _utf8(joined))
            and type(cost) is int
            and SQLITE_INT_MIN <= cost <= SQLITE_INT_MAX
            and type(at) is datetime
            and at.tzinfo is UTC
            and type(status_seen) is str
            and status_seen in REDEMPTION_STATUSES
        ):
            # = to_db_time(at) for UTC, in half its time (1.9 -> 1.0 us): the date part is
            # shared by the day's rows, and a naive time() skips the offset's formatting.
            # isoformat() without timespec is faster but leaves out a zero fraction, which
            # the fixed width needs.
            ordinal = at.toordinal()
            day = days.get(ordinal)
            if day is None:
                day = days[ordinal] = f"{at.date().isoformat()}T"
            clock = at.time().isoformat()
            if not at.microsecond:
                clock += ".000000"
            stamp = f"{day}{clock}+00:00"
        else:
            problem = redemption_problem(record)
            if problem is not None:
                bad = storable(str(rid))
                rejected.append((bad, problem))
                _log.warning("ledger: redemption %s not stored: %s", bad, problem)
                continue
            stamp = to_db_time(at)
        rows.append(
            (
                rid,
                record.broadcaster_id,
                record.reward_id,
                record.reward_title,
                cost,
                color,
                record.user_id,
                record.user_login,
                record.user_name,
                viewer_key(record.user_login, record.user_name),
                text,
                stamp,
                status,
                now,
            )
        )
        if status != "UNFULFILLED":
            moves.append((status, now, rid))
    return rows, moves, rejected


def _known_moves(
    conn: sqlite3.Connection, rows: list[Row], moves: list[Move], before: int
) -> list[Move]:
    """The moves whose id was in the table before the batch or comes more than once in it."""
    if not moves:
        return moves
    known = {
        str(row[0])
        for row in conn.execute(
            "SELECT redemption_id FROM redemptions"
            " WHERE redemption_id IN (SELECT value FROM json_each(?)) AND rowid <= ?",
            (json.dumps([move[2] for move in moves]), before),
        )
    }
    seen: set[object] = set()
    for row in rows:
        if row[0] in seen:
            known.add(str(row[0]))
        seen.add(row[0])
    return [move for move in moves if move[2] in known]


def _count_viewers(conn: sqlite3.Connection, rows: list[Row], new: int, before: int) -> None:
    """What the viewer trigger would have done for the batch's new rows, per viewer."""
    if new == len(rows):
        # Every row is new: count them here. A Counter keeps first-appearance order.
        tally = Counter((row[6], row[9]) for row in rows)
        counts = json.dumps([[uid, key, n] for (uid, key), n in tally.items()], ensure_ascii=False)
        conn.execute(_COUNT_VIEWERS, (counts,))
    else:
        conn.execute(_COUNT_NEW_ROWS, (before,))


def _secondary_indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """``(name, CREATE INDEX statement)`` of the redemptions table's own indexes."""
    return [
        (str(name), str(sql))
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = 'redemptions' AND sql IS NOT NULL"
        )
    ]


def insert_bulk(
    conn: sqlite3.Connection,
    rows: list[Row],
    moves: list[Move],
    index: ViewerIndex,
) -> int:
    """Write ``rows`` and ``moves`` inside the caller's write transaction; returns the new rows.

    With the viewers' trigram index (``index``), the batch's new viewers are added to it
    last, in one statement (see :mod:`companion.core.ledger_schema` for why not per row).
    """
    large = len(rows) >= LARGE_BATCH_ROWS
    cache = int(conn.execute("PRAGMA cache_size").fetchone()[0]) if large else None
    if large:
        conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        # Every row's status was checked by bulk_rows (the table's only CHECK); see the
        # module's docstring for what SQLite's own check costs per row.
        conn.execute("PRAGMA ignore_check_constraints = ON")
    try:
        before = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM redemptions").fetchone()[0])
        appends = before <= _ROWID_MAX - len(rows)
        trigger: str | None = None
        if appends and large:
            found = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                (VIEWER_TRIGGER,),
            ).fetchone()
            if found is not None:
                trigger = str(found[0])
                conn.execute(f"DROP TRIGGER {VIEWER_TRIGGER}")
        # An import into a ledger smaller than itself: build the secondary indexes once,
        # sorted, instead of inserting into them row by row (the id's unique index stays:
        # it is what ignores a known id).
        rebuild = _secondary_indexes(conn) if large and len(rows) >= before else []
        for name, _sql in rebuild:
            conn.execute(f'DROP INDEX "{name}"')
        new = conn.executemany(_INSERT, rows).rowcount
        for _name, sql in rebuild:
            conn.execute(sql)
        if trigger is not None:
            _count_viewers(conn, rows, new, before)
            conn.execute(trigger)
        if new < len(rows):
            conn.executemany(_MOVE, _known_moves(conn, rows, moves, before) if appends else moves)
        if index is ViewerIndex.FTS:
            sync_viewer_search(conn)  # the batch's new viewers, in one statement
    finally:
        if cache is not None:
            conn.execute("PRAGMA ignore_check_constraints = OFF")
            conn.execute(f"PRAGMA cache_size = {cache}")
    return new
