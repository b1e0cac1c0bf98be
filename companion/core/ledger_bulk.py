"""The ledger's bulk write of redemptions (issue 18, item 5): many rows, one transaction.

:meth:`companion.core.ledger.Ledger.write_redemptions_bulk` checks the records and calls
these. The row-by-row write runs one ``INSERT`` per record from Python and a status move
where the id was known; here SQLite loops (``executemany``) over

every row as one ``INSERT ... ON CONFLICT (redemption_id) DO UPDATE``, in the order given:

* a new id is inserted. Arrival order is about time order, so the table (a rowid table
  since schema 2) and its time and reward indexes are appended to; only the id's and the
  user's indexes take rows at random places;
* a known id (also the second row of one id in the batch) is not inserted again; if the
  row is still UNFULFILLED here and the record says FULFILLED or CANCELED, it moves on,
  stamped now. This is what the row-by-row write does, which a test checks row for row.

New rows take rowids past the largest one, one each (no AUTOINCREMENT, never near the
64-bit end), so the largest rowid after minus before is how many were new; the upsert's
row count would also count the moves.

The page cache is raised to :data:`BULK_CACHE_KIB` (128 MiB) for the call and put back
after (SQLite frees the pages past the smaller size): the id's and the user's indexes of a
million-row ledger are about 70 MB and take rows at random places, so the default 2 MB
cache would read a page back from the file for nearly every row. The cache only grows
as pages are read; a small batch uses little of it. Durability is the ledger's (WAL, ``synchronous=NORMAL``, see
:mod:`companion.core.ledger`): the batch is one commit, so a crash keeps all or none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ledger_rows import viewer_key
from .ledger_schema import ViewerIndex, sync_viewer_search, to_db_time

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from .records import RedemptionRecord

__all__ = ["BULK_CACHE_KIB", "bulk_rows", "insert_bulk"]

#: The page cache of a bulk write, in KiB (SQLite's default is 2,000 KiB).
BULK_CACHE_KIB = 131072

_UPSERT = (
    "INSERT INTO redemptions (redemption_id, broadcaster_id, reward_id, reward_title,"
    " reward_cost, reward_color, user_id, user_login, user_name, viewer_key, user_input,"
    " redeemed_at, status, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (redemption_id) DO UPDATE SET status = excluded.status,"
    " status_changed_at = excluded.first_seen_at"
    " WHERE redemptions.status = 'UNFULFILLED' AND excluded.status <> 'UNFULFILLED'"
)
_LAST = "SELECT coalesce(max(rowid), 0) FROM redemptions"

Row = tuple[str | int | None, ...]


def bulk_rows(batch: Sequence[RedemptionRecord], now: str) -> list[Row]:
    """The upsert parameters of checked records."""
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
    ]


def insert_bulk(conn: sqlite3.Connection, rows: list[Row], index: ViewerIndex) -> int:
    """Write ``rows`` inside the caller's transaction; returns how many were new.

    With the viewers' trigram index (``index``), the batch's new viewers are added to it
    last, in one statement (see :mod:`companion.core.ledger_schema` for why not per row).
    """
    cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        before = int(conn.execute(_LAST).fetchone()[0])
        conn.executemany(_UPSERT, rows)
        new = int(conn.execute(_LAST).fetchone()[0]) - before
        if index is ViewerIndex.FTS:
            sync_viewer_search(conn)  # the batch's new viewers, in one statement
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")
    return new
