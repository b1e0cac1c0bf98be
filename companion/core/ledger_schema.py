"""The ledger's SQLite schema and its migrations, versioned by ``PRAGMA user_version``.

Every schema change appends a step to :data:`MIGRATIONS`; opening a database runs
the steps it lacks, each in its own transaction together with the version bump,
so a crash mid-migration leaves the previous version intact.

Timestamps are stored as fixed-width ISO 8601 UTC text
(``2026-11-27T20:00:00.000000+00:00``) so that text order is time order and
range queries can use the index.

Version 2 (issue 18, item 5) makes the history searchable by viewer at a busy channel's
scale: a rowid redemptions table, a ``viewers`` table kept in step by triggers, and an
FTS5 trigram index over the viewers (:func:`ensure_viewer_search`), which is an
accelerator outside the version: built at open when this SQLite can.

Nothing here holds a token or any other secret: tokens live in the OS keyring.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "LedgerSchemaError",
    "ViewerIndex",
    "check_version",
    "connect",
    "ensure_viewer_search",
    "from_db_time",
    "migrate",
    "sync_viewer_search",
    "to_db_time",
    "trigram_available",
    "viewer_index",
]

_log = logging.getLogger(__name__)


class LedgerSchemaError(RuntimeError):
    """The database was written by a newer app (its schema version is unknown here)."""


class ViewerIndex(Enum):
    """How a viewer search finds its viewers in an open ledger.

    Attributes:
        NONE: No viewers table (an older file opened read-only, or a newer app's file):
            every redemption's viewer_key is scanned.
        SCAN: The viewers table without its trigram index (no FTS5 trigram here, or a
            query shorter than a trigram): the distinct viewers are scanned.
        FTS: The viewers table and its FTS5 trigram index.
    """

    NONE = "none"
    SCAN = "scan"
    FTS = "fts"


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

# Version 2 (issue 18, item 5): history at a busy channel's scale.
#
# * redemptions becomes a rowid table (it was WITHOUT ROWID, clustered on Twitch's random
#   UUID redemption ids). New rows now append in time order instead of landing on a
#   random page of a table of hundreds of MB, and each secondary index holds the 8-byte
#   rowid instead of the 36-character id; the id is unique through its own index. The
#   step copies the rows in time order and rebuilds the same indexes under the same names.
# * viewers: the distinct viewers of the history, one row per (user_id, viewer_key) with
#   how many redemptions carry it, kept in step by triggers. A million redemptions come
#   from some tens of thousands of viewers, so a viewer search looks through this small
#   table (by its FTS5 trigram index, see ensure_viewer_search) and then reads only the
#   matching viewers' rows through redemptions_by_user, instead of scanning every row.
#   The count makes a search's total free and lets a deleted redemption drop its viewer.
# (INSERT OR IGNORE then UPDATE costs a third of an UPSERT's CPU per row here: measured
# on 100,000 inserts, 4 against 17 microseconds over a trigger that does nothing.)
_VIEWER_UPSERT = (
    "INSERT OR IGNORE INTO viewers (user_id, viewer_key, redemptions)"
    " VALUES (new.user_id, new.viewer_key, 0);"
    " UPDATE viewers SET redemptions = redemptions + 1"
    " WHERE user_id = new.user_id AND viewer_key = new.viewer_key;"
)
_VIEWER_RELEASE = (
    "UPDATE viewers SET redemptions = redemptions - 1"
    " WHERE user_id = old.user_id AND viewer_key = old.viewer_key;"
    " DELETE FROM viewers"
    " WHERE user_id = old.user_id AND viewer_key = old.viewer_key AND redemptions <= 0;"
)
_V2 = (
    """
    CREATE TABLE redemptions_v2 (
        redemption_id     TEXT PRIMARY KEY NOT NULL,
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
    )
    """,
    "INSERT INTO redemptions_v2 SELECT * FROM redemptions ORDER BY redeemed_at, redemption_id",
    "DROP TABLE redemptions",
    "ALTER TABLE redemptions_v2 RENAME TO redemptions",
    "CREATE INDEX redemptions_by_time ON redemptions (redeemed_at, redemption_id)",
    "CREATE INDEX redemptions_by_reward ON redemptions (reward_id, redeemed_at)",
    "CREATE INDEX redemptions_by_user ON redemptions (user_id)",
    """
    CREATE TABLE viewers (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id     TEXT NOT NULL,
        viewer_key  TEXT NOT NULL,
        redemptions INTEGER NOT NULL,
        UNIQUE (user_id, viewer_key)
    )
    """,
    "INSERT INTO viewers (user_id, viewer_key, redemptions)"
    " SELECT user_id, viewer_key, count(*) FROM redemptions GROUP BY user_id, viewer_key",
    f"CREATE TRIGGER redemptions_viewer_insert AFTER INSERT ON redemptions"
    f" BEGIN {_VIEWER_UPSERT} END",
    f"CREATE TRIGGER redemptions_viewer_delete AFTER DELETE ON redemptions"
    f" BEGIN {_VIEWER_RELEASE} END",
    f"CREATE TRIGGER redemptions_viewer_update AFTER UPDATE OF user_id, viewer_key"
    f" ON redemptions WHEN old.user_id IS NOT new.user_id OR old.viewer_key IS NOT new.viewer_key"
    f" BEGIN {_VIEWER_RELEASE} {_VIEWER_UPSERT} END",
)

#: Migration steps; step ``i`` (0-based) takes the schema from version ``i`` to ``i + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)

# The trigram index over viewers.viewer_key (SQLite >= 3.34 with FTS5). It is an
# accelerator, not part of a schema version: a SQLite without the trigram tokenizer still
# opens and writes a version-2 file (the search then scans the small viewers table), and
# the next open with one builds the index. viewer_key is case-folded by Python already,
# so the index is case-sensitive: it matches exactly the code points Python compares.
#
# Deletes and renames of viewers reach the index through triggers. New viewers do not:
# a trigger chain that can write an FTS5 table from the redemptions insert makes SQLite
# begin the FTS5 table (xBegin, a structure re-read) at every insert statement, which
# measured 24 -> 54 microseconds of CPU per redemption inserted (100,000 rows, 2 cores).
# So viewers get ids that are never reused (AUTOINCREMENT), the index holds every viewer
# up to viewers_indexed.id, and _SYNC adds the rest in one statement: at every writable
# open and after every bulk write. A search scans the few viewers past the mark itself
# (companion.core.ledger_search), so results never wait for a sync.
_SYNC = (
    "INSERT INTO viewers_fts (rowid, viewer_key) SELECT id, viewer_key FROM viewers"
    " WHERE id > (SELECT id FROM viewers_indexed) ORDER BY id",
    "UPDATE viewers_indexed SET id = (SELECT coalesce(max(viewers.id), viewers_indexed.id)"
    " FROM viewers)",
)
_INDEXED = "old.id <= (SELECT id FROM viewers_indexed)"
_FTS = (
    "CREATE VIRTUAL TABLE viewers_fts USING fts5(viewer_key, content='viewers',"
    " content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE TABLE viewers_indexed (id INTEGER NOT NULL)",
    "INSERT INTO viewers_indexed (id) VALUES (0)",
    f"CREATE TRIGGER viewers_fts_delete AFTER DELETE ON viewers WHEN {_INDEXED} BEGIN"
    " INSERT INTO viewers_fts (viewers_fts, rowid, viewer_key)"
    " VALUES ('delete', old.id, old.viewer_key); END",
    f"CREATE TRIGGER viewers_fts_update AFTER UPDATE OF viewer_key ON viewers WHEN {_INDEXED}"
    " BEGIN INSERT INTO viewers_fts (viewers_fts, rowid, viewer_key)"
    " VALUES ('delete', old.id, old.viewer_key);"
    " INSERT INTO viewers_fts (rowid, viewer_key) VALUES (new.id, new.viewer_key); END",
    *_SYNC,
)


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
        ensure_viewer_search(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def trigram_available(conn: sqlite3.Connection) -> bool:
    """True if this SQLite has FTS5 with the trigram tokenizer (3.34 and later)."""
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.trigram_probe USING fts5(x, tokenize='trigram')")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp.trigram_probe")
    return True


def _exists(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return row is not None


def sync_viewer_search(conn: sqlite3.Connection) -> None:
    """Add the viewers past the index's mark to it (inside the caller's write transaction)."""
    for statement in _SYNC:
        conn.execute(statement)


def ensure_viewer_search(conn: sqlite3.Connection) -> bool:
    """Build or bring up to date the viewers' trigram index if this SQLite can.

    The connection must be writable, in autocommit mode, with the schema up to date.
    Returns True if the index is there.
    """
    if _exists(conn, "viewers_fts"):
        conn.execute("BEGIN IMMEDIATE")
        try:
            sync_viewer_search(conn)
        except sqlite3.OperationalError as error:
            # Built by a SQLite with the trigram tokenizer, opened by one without: the
            # ledger still opens, and the search scans the viewers (viewer_index).
            conn.execute("ROLLBACK")
            _log.warning("ledger: viewer search index not usable here (%s)", error)
            return False
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return True
    if not trigram_available(conn):
        _log.warning(
            "ledger: SQLite %s has no FTS5 trigram tokenizer; the viewer search scans the"
            " distinct viewers instead of an index",
            sqlite3.sqlite_version,
        )
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _FTS:
            conn.execute(statement)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    _log.info("ledger: viewer search index built")
    return True


def viewer_index(conn: sqlite3.Connection) -> ViewerIndex:
    """What the viewer search of this open ledger can use (see :class:`ViewerIndex`).

    Only a file of exactly this app's schema version is searched through the viewers
    table: a newer app's side tables are not this version's to trust.
    """
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version != SCHEMA_VERSION or not _exists(conn, "viewers"):
        return ViewerIndex.NONE
    if not _exists(conn, "viewers_fts"):
        return ViewerIndex.SCAN
    try:
        conn.execute("SELECT rowid FROM viewers_fts LIMIT 0")
    except sqlite3.OperationalError as error:
        _log.warning("ledger: viewer search index unusable here (%s); scanning viewers", error)
        return ViewerIndex.SCAN
    return ViewerIndex.FTS


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
