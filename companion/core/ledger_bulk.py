"""The ledger's bulk write of redemptions (issue 18, item 5): many rows, one transaction.

:meth:`companion.core.ledger.Ledger.write_redemptions_bulk` checks the records and calls
these. The row-by-row write runs one ``INSERT`` per record from Python and a status move
where the id was known; here SQLite loops (``executemany``) over

* every row, ``INSERT OR IGNORE`` (a known id is not inserted twice; of two rows with one
  id the first wins, as row by row), in the order given: arrival order is about time
  order, so the table (a rowid table since schema 2) and its time and reward indexes
  are appended to; only the id's and the user's indexes take rows at random places;
* then, for a record that is not UNFULFILLED and whose id was known before the batch (or
  comes twice in it), an ``UPDATE`` guarded by ``status = 'UNFULFILLED'``: a known row
  waiting here moves on. A row the batch inserted already has its status, so its update
  would change nothing; the known ids are found first in one statement (``json_each``),
  since an update per historical row (most are FULFILLED or CANCELED) cost about 3
  microseconds each. Both writes together give what the row-by-row write gives, which a
  test checks row for row.

The page cache is raised to :data:`BULK_CACHE_KIB` for the call and put back after: a
million-row ledger is hundreds of MB, and the default 2 MB cache re-reads index pages
for nearly every row. Durability is the ledger's (WAL, ``synchronous=NORMAL``, see
:mod:`companion.core.ledger`): the batch is one commit, so a crash keeps all or none.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .ledger_rows import viewer_key
from .ledger_schema import ViewerIndex, sync_viewer_search, to_db_time

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from .records import RedemptionRecord

__all__ = ["BULK_CACHE_KIB", "bulk_rows", "insert_bulk"]

#: The page cache of a bulk write, in KiB (SQLite's default is 2,000 KiB).
BULK_CACHE_KIB = 65536

_INSERT = (
    "INSERT OR IGNORE INTO redemptions (redemption_id, broadcaster_id, reward_id, reward_title,"
    " reward_cost, reward_color, user_id, user_login, user_name, viewer_key, user_input,"
    " redeemed_at, status, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_MOVE = (
    "UPDATE redemptions SET status = ?, status_changed_at = ?"
    " WHERE redemption_id = ? AND status = 'UNFULFILLED'"
)

Row = tuple[str | int | None, ...]


def bulk_rows(
    batch: Sequence[RedemptionRecord], now: str
) -> tuple[list[Row], list[tuple[str, str, str]]]:
    """The insert parameters and the status moves of checked records."""
    return [
        (
            r.redemption_id,
            r.broadcaster_id,
            r.reward_id,
            r.reward_title,
            r.reward_cost,
            r.reward_color,
            r.user_id,
            r.user_login,
            r.user_name,
            viewer_key(r.user_login, r.user_name),
            r.user_input,
            to_db_time(r.redeemed_at),
            r.status,
            now,
        )
        for r in batch
    ], [(str(r.status), now, r.redemption_id) for r in batch if r.status != "UNFULFILLED"]


def _known_moves(
    conn: sqlite3.Connection, rows: list[Row], moves: list[tuple[str, str, str]]
) -> list[tuple[str, str, str]]:
    """The moves whose id is in the table already or comes more than once in ``rows``."""
    if not moves:
        return moves
    known = {
        str(row[0])
        for row in conn.execute(
            "SELECT redemption_id FROM redemptions"
            " WHERE redemption_id IN (SELECT value FROM json_each(?))",
            (json.dumps([move[2] for move in moves]),),
        )
    }
    seen: set[object] = set()
    for row in rows:
        if row[0] in seen:
            known.add(str(row[0]))
        seen.add(row[0])
    return [move for move in moves if move[2] in known]


def insert_bulk(
    conn: sqlite3.Connection,
    rows: list[Row],
    moves: list[tuple[str, str, str]],
    index: ViewerIndex,
) -> int:
    """Write ``rows`` and ``moves`` inside the caller's transaction; returns the new rows.

    With the viewers' trigram index (``index``), the batch's new viewers are added to it
    last, in one statement (see :mod:`companion.core.ledger_schema` for why not per row).
    """
    cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        moves = _known_moves(conn, rows, moves)
        new = conn.executemany(_INSERT, rows).rowcount
        conn.executemany(_MOVE, moves)
        if index is ViewerIndex.FTS:
            sync_viewer_search(conn)  # the batch's new viewers, in one statement
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")
    return new
