"""Faults of the ledger's database file, made for real on a real SQLite file.

A full disk: SQLite answers ``SQLITE_FULL`` ("database or disk is full") both when the
file system says ENOSPC (``os_unix.c`` maps it) and when the file reaches the
connection's ``PRAGMA max_page_count``. The second is what these helpers use: it is the
same error code on the same code path in the app, and it needs no root, no mount and no
loop device, so it runs the same on a laptop and in a CI container. "Space returns" is
raising the limit again.

A read-only file: root ignores file modes, so ``chmod`` cannot make one in a root CI
container; ``PRAGMA query_only`` makes SQLite refuse writes with ``SQLITE_READONLY``, the
code a read-only file gives.

A damaged file: a page of the redemptions table overwritten on disk, so SQLite itself
finds it malformed (``SQLITE_CORRUPT``).

The pragmas go through the ledger's own connection (under its lock): a pragma is per
connection, and the app writes through that one.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from companion.core.ledger import Ledger

#: max_page_count's "no limit" (SQLite's own default in 3.40).
UNLIMITED_PAGES = 4294967294


def _pragma(ledger: Ledger, statement: str) -> int:
    with ledger._lock:
        row = ledger._conn.execute(statement).fetchone()
    return int(row[0]) if row else 0


def fill_disk(ledger: Ledger) -> int:
    """Let the database grow no more (the next write needing a new page fails); returns pages."""
    pages = _pragma(ledger, "PRAGMA page_count")
    return _pragma(ledger, f"PRAGMA max_page_count = {pages}")


def free_disk(ledger: Ledger) -> None:
    """Space returns."""
    _pragma(ledger, f"PRAGMA max_page_count = {UNLIMITED_PAGES}")


def make_read_only(ledger: Ledger, read_only: bool = True) -> None:
    """Writes are refused with SQLITE_READONLY (or allowed again)."""
    _pragma(ledger, f"PRAGMA query_only = {int(read_only)}")


def damage_redemptions_table(path: Path) -> None:
    """Overwrite the redemptions table's root page in a closed ledger file."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = int(
            conn.execute(
                "SELECT rootpage FROM sqlite_master WHERE name = 'redemptions'"
            ).fetchone()[0]
        )
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()
    with path.open("r+b") as stream:
        stream.seek((root - 1) * page_size)
        stream.write(b"\xff" * page_size)
