"""The ledger's SQLite schema and its migrations, versioned by ``PRAGMA user_version``.

Every schema change appends a step to :data:`MIGRATIONS`; opening a database runs
the steps it lacks, each in its own transaction together with the version bump,
so a crash mid-migration leaves the previous version intact.

Timestamps are stored as fixed-width ISO 8601 UTC text
(``2026-11-27T20:00:00.000000+00:00``) so that text order is time order and
range queries can use the index.

Nothing here holds a token or any other secret: tokens live in the OS keyring.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "LedgerSchemaError",
    "check_version",
    "connect",
    "from_db_time",
    "migrate",
    "to_db_time",
]

_log = logging.getLogger(__name__)


class LedgerSchemaError(RuntimeError):
    """The database was written by a newer app (its schema version is unknown here)."""


_V1 = (
    """
    CREATE TABLE redemptions (
        redemption_id     TEXT PRIMARY KEY,
        broadcaster_id    TEXT NOT NULL,
        reward_id         TEXT NOT NULL,
        reward_title      TEXT NOT NULL,
        reward_cost       INTEGER NOT NULL,
        reward_color      TEXT,
        user_id           TEXT NOT NULL,
        user_login        TEXT NOT NULL,
        user_name         TEXT NOT NULL,
        viewer_key        TEXT NOT NULL,
        user_input        TEXT,
        redeemed_at       TEXT NOT NULL,
        status            TEXT NOT NULL
                          CHECK (status IN ('UNFULFILLED', 'FULFILLED', 'CANCELED')),
        first_seen_at     TEXT NOT NULL,
        status_changed_at TEXT,
        handled_by        TEXT,
        note              TEXT
    ) WITHOUT ROWID
    """,
    "CREATE INDEX redemptions_by_time ON redemptions (redeemed_at, redemption_id)",
    "CREATE INDEX redemptions_by_reward ON redemptions (reward_id, redeemed_at)",
    "CREATE INDEX redemptions_by_user ON redemptions (user_id)",
    """
    CREATE TABLE actions (
        action_id     TEXT PRIMARY KEY,
        kind          TEXT NOT NULL CHECK (kind IN ('FULFILL', 'REFUND')),
        target_status TEXT NOT NULL,
        state         TEXT NOT NULL,
        id_count      INTEGER NOT NULL,
        reward_ids    TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        sent_at       TEXT,
        finished_at   TEXT,
        calls         INTEGER NOT NULL DEFAULT 0,
        result        TEXT
    )
    """,
    "CREATE INDEX actions_by_time ON actions (created_at)",
    """
    CREATE TABLE action_items (
        action_id     TEXT NOT NULL REFERENCES actions (action_id) ON DELETE CASCADE,
        redemption_id TEXT NOT NULL,
        position      INTEGER NOT NULL,
        outcome       TEXT NOT NULL CHECK (
                          outcome IN ('PENDING', 'UNDONE', 'DONE', 'ALREADY_HANDLED', 'FAILED')
                      ),
        error         TEXT,
        PRIMARY KEY (action_id, redemption_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX action_items_by_redemption ON action_items (redemption_id)",
)

#: Migration steps; step ``i`` (0-based) takes the schema from version ``i`` to ``i + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


def check_version(conn: sqlite3.Connection) -> int:
    """The file's schema version (read only).

    Raises:
        LedgerSchemaError: The database is newer than this app.
    """
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise LedgerSchemaError(
            f"the ledger has schema version {found}; this app knows up to {SCHEMA_VERSION}"
        )
    return found


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION`; returns the version found before.

    The connection must be in autocommit mode (``isolation_level=None``).

    Raises:
        LedgerSchemaError: The database is newer than this app.
    """
    found = check_version(conn)
    for version in range(found, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            # user_version lives in the database header, so it commits with the step.
            conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        _log.info("ledger schema migrated to version %d", version + 1)
    return found


def connect(
    path: Path, *, synchronous: Literal["NORMAL", "FULL"] = "NORMAL", read_only: bool = False
) -> sqlite3.Connection:
    """Open the ledger file in autocommit mode (transactions are begun and ended explicitly).

    Writable: WAL journal, ``synchronous``, foreign keys, then :func:`migrate`. Read-only
    (a newer app's file, issue 20 item 3): a ``mode=ro`` connection that also refuses
    writes itself (``query_only``); the schema is left as it is, whatever its version.

    Raises:
        LedgerSchemaError: Writable, and the file was written by a newer app.
        sqlite3.Error: The file cannot be opened (or, read-only, does not exist).
    """
    if read_only:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            check_same_thread=False,
            isolation_level=None,
        )
    else:
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        if read_only:
            conn.execute("PRAGMA query_only=ON")
            return conn
        # Before anything changes the file (even its journal mode): a newer app's ledger
        # is not this version's to touch.
        check_version(conn)
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"could not enable WAL (journal_mode={mode})")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def to_db_time(moment: datetime) -> str:
    """Fixed-width ISO 8601 in UTC, so text order is time order.

    Raises:
        ValueError: ``moment`` is naive.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("ledger times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    """The aware UTC datetime of a stored timestamp."""
    return datetime.fromisoformat(text)
