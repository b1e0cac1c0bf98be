"""The ledger's row types and their (de)serialisation: history rows, queries, CSV.

Split from :mod:`companion.core.ledger` by role: this module turns SQLite rows into
records and records into CSV; the ledger owns the connection, threads and writes.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .ledger_schema import from_db_time, to_db_time
from .records import ActionKind, ActionRecord, ActionState, RedemptionRecord, normalize_status

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator
    from datetime import datetime

    from .records import RedemptionStatus

__all__ = [
    "CSV_COLUMNS",
    "ITEM_COLUMNS",
    "HistoryPage",
    "HistoryQuery",
    "HistoryRow",
    "csv_rows",
    "history_row",
    "load_action",
    "neutralize_cell",
    "open_rows",
    "readable_columns",
    "reward_ids_of",
    "unfinished_actions",
    "viewer_key",
    "write_csv_atomically",
]

_log = logging.getLogger(__name__)

ITEM_COLUMNS = (
    "redemption_id, broadcaster_id, reward_id, reward_title, reward_cost, reward_color, "
    "user_id, user_login, user_name, user_input, redeemed_at, status, "
    "first_seen_at, status_changed_at, handled_by, note"
)

#: The CSV header, in column order.
CSV_COLUMNS = (
    "redeemed_at",
    "redemption_id",
    "status",
    "reward_id",
    "reward_title",
    "reward_cost",
    "user_id",
    "user_login",
    "user_name",
    "user_input",
    "first_seen_at",
    "status_changed_at",
    "handled_by",
    "note",
)

# A cell starting with one of these is a formula to a spreadsheet (OWASP's CSV injection
# list). Viewers choose user_input and display names, and a hostile or broken server can put
# anything in a login or an id, so every text cell is checked, not only the free-text ones.
# Spreadsheets skip leading blanks and line breaks before deciding that a cell is a formula,
# so the check looks past them. The full-width forms are defensive: some spreadsheet
# front ends normalise them to ASCII (no reference we hold says which).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def readable_columns(conn: sqlite3.Connection) -> None:
    """Check that the history and the export can read this database (a newer schema's).

    A later schema may add tables and columns; it may not drop or rename what this version
    reads (the history page, its search and the CSV export).

    Raises:
        sqlite3.OperationalError: A table or column this version reads is missing.
    """
    conn.execute(f"SELECT {ITEM_COLUMNS}, viewer_key FROM redemptions LIMIT 0")
    conn.execute(f"SELECT {', '.join(CSV_COLUMNS)} FROM redemptions LIMIT 0")


def viewer_key(login: str, name: str) -> str:
    """The text a viewer search looks in: login and display name, case-folded."""
    # casefold() is Unicode-aware, unlike SQLite's ASCII-only LIKE; the separator
    # keeps a search from matching across the end of the login into the name.
    return f"{login.casefold()}\x1f{name.casefold()}"


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """A filter over the redemption history; every field left None matches all.

    Attributes:
        viewer: Substring of the viewer's login or display name, case-insensitive.
        reward_id: One reward.
        since: Redeemed at or after (aware).
        until: Redeemed before (aware).
        status: One status.
    """

    viewer: str | None = None
    reward_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: RedemptionStatus | None = None

    def where(self, *, with_viewer: bool = True) -> tuple[str, list[object]]:
        """The SQL ``WHERE`` clause (or ``""``) and its parameters.

        Args:
            with_viewer: Include the viewer filter as a scan of every row's viewer_key
                (False: the caller finds the viewers itself, see
                :mod:`companion.core.ledger_search`).
        """
        clauses: list[str] = []
        params: list[object] = []
        if self.viewer and with_viewer:
            clauses.append("instr(viewer_key, ?) > 0")
            params.append(self.viewer.casefold())
        if self.reward_id is not None:
            clauses.append("reward_id = ?")
            params.append(self.reward_id)
        if self.since is not None:
            clauses.append("redeemed_at >= ?")
            params.append(to_db_time(self.since))
        if self.until is not None:
            clauses.append("redeemed_at < ?")
            params.append(to_db_time(self.until))
        if self.status is not None:
            clauses.append("status = ?")
            params.append(self.status)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One redemption from the ledger with what the ledger knows about it.

    Attributes:
        record: The redemption, with its last known status.
        first_seen_at: When the app first saw it.
        status_changed_at: When its status last changed, or None.
        handled_by: The action that fulfilled or refunded it, or None.
        note: E.g. "handled elsewhere", or None.
    """

    record: RedemptionRecord
    first_seen_at: datetime
    status_changed_at: datetime | None
    handled_by: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of a history query.

    Attributes:
        rows: The rows, newest first unless asked otherwise.
        total: How many rows match the whole query.
        offset: Index of the first row within the whole result.
    """

    rows: tuple[HistoryRow, ...]
    total: int
    offset: int


def load_action(conn: sqlite3.Connection, action_id: str) -> ActionRecord | None:
    """Rebuild a stored action and its per-id outcomes, or None if unknown."""
    row = conn.execute(
        "SELECT action_id, kind, state, reward_ids, created_at, sent_at, finished_at, calls"
        " FROM actions WHERE action_id = ?",
        (action_id,),
    ).fetchone()
    if row is None:
        return None
    items = conn.execute(
        "SELECT redemption_id, outcome, error FROM action_items WHERE action_id = ?"
        " ORDER BY position",
        (action_id,),
    ).fetchall()
    return ActionRecord(
        action_id=row[0],
        kind=ActionKind[row[1]],
        redemption_ids=tuple(item[0] for item in items),
        reward_ids=tuple(json.loads(row[3])),
        created_at=from_db_time(row[4]),
        state=ActionState(row[2]),
        sent_at=from_db_time(row[5]) if row[5] else None,
        finished_at=from_db_time(row[6]) if row[6] else None,
        done=tuple(item[0] for item in items if item[1] == "DONE"),
        already_handled=tuple(item[0] for item in items if item[1] == "ALREADY_HANDLED"),
        failed=tuple((item[0], item[2] or "") for item in items if item[1] == "FAILED"),
        calls=int(row[7]),
    )


def open_rows(conn: sqlite3.Connection, broadcaster_id: str, skip_note: str) -> dict[str, str]:
    """Redemption id -> reward id of a channel's UNFULFILLED rows not noted ``skip_note``."""
    rows = conn.execute(
        "SELECT redemption_id, reward_id FROM redemptions"
        " WHERE broadcaster_id = ? AND status = 'UNFULFILLED' AND note IS NOT ?"
        " ORDER BY redeemed_at, redemption_id",
        (broadcaster_id, skip_note),
    ).fetchall()
    return {str(row[0]): str(row[1]) for row in rows}


def unfinished_actions(conn: sqlite3.Connection) -> list[ActionRecord]:
    """Stored actions still PENDING or SENDING, oldest first."""
    ids = conn.execute(
        "SELECT action_id FROM actions WHERE state IN ('PENDING', 'SENDING')"
        " ORDER BY created_at, action_id"
    ).fetchall()
    loaded = (load_action(conn, str(row[0])) for row in ids)
    return [action for action in loaded if action is not None]


def reward_ids_of(conn: sqlite3.Connection, redemption_ids: list[str]) -> dict[str, str]:
    """Redemption id -> reward id, for the given ids the table holds."""
    found: dict[str, str] = {}
    # SQLite caps bound parameters per statement; 500 stays far below every build's cap.
    for start in range(0, len(redemption_ids), 500):
        chunk = redemption_ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT redemption_id, reward_id FROM redemptions WHERE redemption_id IN ({marks})",
            chunk,
        ).fetchall()
        found.update((str(row[0]), str(row[1])) for row in rows)
    return found


def history_row(row: tuple[object, ...]) -> HistoryRow:
    """Build a history row from a ``SELECT {ITEM_COLUMNS}`` result row."""
    (rid, broadcaster, reward, title, cost, color, uid, login, name, text, redeemed) = row[:11]
    status, first_seen, changed, handled_by, note = row[11:]
    record = RedemptionRecord(
        redemption_id=str(rid),
        broadcaster_id=str(broadcaster),
        reward_id=str(reward),
        reward_title=str(title),
        reward_cost=int(str(cost)),
        reward_color=str(color) if color is not None else None,
        user_id=str(uid),
        user_login=str(login),
        user_name=str(name),
        user_input=str(text) if text is not None else None,
        redeemed_at=from_db_time(str(redeemed)),
        status=normalize_status(str(status)),
    )
    return HistoryRow(
        record=record,
        first_seen_at=from_db_time(str(first_seen)),
        status_changed_at=from_db_time(str(changed)) if changed is not None else None,
        handled_by=str(handled_by) if handled_by is not None else None,
        note=str(note) if note is not None else None,
    )


def neutralize_cell(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would run it as a formula.

    Tab and CR count as formula starts themselves; any other leading whitespace (spaces,
    line feeds, Unicode spaces) is looked past, since spreadsheets skip it too.
    """
    if text.startswith(_FORMULA_STARTS) or text.lstrip().startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def csv_rows(cursor: sqlite3.Cursor) -> Iterator[list[str]]:
    """CSV cells of a ``SELECT {CSV_COLUMNS}`` cursor, fetched in chunks, formula-safe."""
    while batch := cursor.fetchmany(500):
        for row in batch:
            # Integers (reward_cost) are written as numbers; every text cell is checked.
            yield [
                ""
                if value is None
                else neutralize_cell(value)
                if isinstance(value, str)
                else str(value)
                for value in row
            ]


def write_csv_atomically(target: Path, rows: Iterator[list[str]]) -> int:
    """Write a header and ``rows`` to a temp file, then replace ``target``; returns the count."""
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    temp = Path(temp_name)
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(CSV_COLUMNS)
            for cells in rows:
                writer.writerow(cells)
                count += 1
            stream.flush()
            os.fsync(stream.fileno())
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count
