"""The history search's SQL: which rows a :class:`HistoryQuery` matches and how to read them fast.

A viewer search (issue 18, item 5) is a substring of the viewer's case-folded login or
display name (``viewer_key``). Scanning a million redemptions for it took up to a second,
so a search first finds the matching *viewers* in the small ``viewers`` table (one row per
user id and viewer_key, a few tens of thousands in a busy channel's years), through its
FTS5 trigram index (``viewers_fts``) for a query of three characters or more, by scanning
that table for a shorter one (a trigram index cannot answer one or two characters; the
distinct viewers are few enough to scan in a few milliseconds, and a scan keeps the
meaning: still a substring, not a prefix). Their redemption counts give how many rows
match, and then one of two reads:

* **narrow** (few matching rows): the matching viewers' rows through
  ``redemptions_by_user``, sorted; each row's own viewer_key is checked again, since a
  user id may have had other names.
* **broad** (a large share of all rows, e.g. one letter): the newest rows in time order
  through ``redemptions_by_time`` until the page is full: most rows match, so few are
  read past.

Without another filter the total is the viewers' count, exact because the triggers keep it
in step; with one (reward, date, status) the rows are counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .ledger_rows import ITEM_COLUMNS, HistoryPage, HistoryQuery, history_row
from .ledger_schema import ViewerIndex

if TYPE_CHECKING:
    import sqlite3

__all__ = ["TRIGRAM", "SearchPlan", "explain_search", "plan_search", "read_page"]

#: Characters in a trigram: shorter queries cannot use the trigram index.
TRIGRAM = 3

# At or below this many matching rows the narrow read wins whatever the page size.
_NARROW_ALWAYS = 4096
# A row read through redemptions_by_user (an index probe, a table lookup, a sort) costs
# about this many rows of an ordered scan; measured on the 1M-row benchmark ledger.
_LOOKUP_COST = 3


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """The statements' parts for one history query.

    Attributes:
        source: The FROM clause's table (with an ``INDEXED BY`` for the narrow read).
        where: The ``WHERE`` clause, or ``""``.
        params: Its parameters.
        total: How many rows match, when known without counting them.
        steps: The statements run to choose the read, with their parameters (for EXPLAIN).
    """

    source: str
    where: str
    params: list[object]
    total: int | None
    steps: tuple[tuple[str, tuple[object, ...]], ...] = ()


def _fts_phrase(needle: str) -> str:
    # One FTS5 string: every character literal (% and _ too), a double quote doubled.
    return '"' + needle.replace('"', '""') + '"'


def _viewers_matching(
    index: ViewerIndex, needle: str, columns: str
) -> tuple[str, tuple[object, ...]]:
    """``SELECT {columns}`` of the viewers whose viewer_key holds ``needle``."""
    if index is ViewerIndex.FTS and len(needle) >= TRIGRAM:
        # A trigram phrase matches exactly the keys holding the needle as a substring.
        # Viewers added since the index's last sync (ledger_schema._SYNC) are scanned.
        return (
            f"SELECT {columns} FROM viewers_fts"
            " JOIN viewers ON viewers.id = viewers_fts.rowid WHERE viewers_fts MATCH ?"
            f" UNION ALL SELECT {columns} FROM viewers"
            " WHERE viewers.id > (SELECT id FROM viewers_indexed)"
            " AND instr(viewers.viewer_key, ?) > 0",
            (_fts_phrase(needle), needle),
        )
    return (f"SELECT {columns} FROM viewers WHERE instr(viewers.viewer_key, ?) > 0", (needle,))


def plan_search(
    conn: sqlite3.Connection, query: HistoryQuery, *, index: ViewerIndex, window: int | None
) -> SearchPlan:
    """How to read ``query``'s rows.

    Args:
        conn: The ledger's connection, inside a read transaction.
        query: The filter.
        index: What the file's viewer search can use.
        window: Rows the caller reads from the top (limit + offset); None for all of them.
    """
    where, params = query.where(with_viewer=index is ViewerIndex.NONE)
    needle = query.viewer.casefold() if query.viewer else ""
    if not needle or index is ViewerIndex.NONE:
        return SearchPlan("redemptions", where, params, None)
    viewers_sql, viewers_params = _viewers_matching(
        index, needle, "viewers.user_id, viewers.redemptions"
    )
    found = conn.execute(viewers_sql, viewers_params).fetchall()
    steps: tuple[tuple[str, tuple[object, ...]], ...] = ((viewers_sql, viewers_params),)
    if not found:
        return SearchPlan("redemptions", " WHERE 0", [], 0, steps)
    matched = sum(int(row[1]) for row in found)
    others = " AND " + where.removeprefix(" WHERE ") if where else ""
    total = None if params else int(matched)
    narrow = matched <= _NARROW_ALWAYS
    if not narrow:
        all_sql = "SELECT coalesce(sum(redemptions), 0) FROM viewers"
        steps += ((all_sql, ()),)
        all_rows = int(conn.execute(all_sql).fetchone()[0])
        # The broad read scans about window * all / matched rows (all of them for an
        # export or a count under another filter); the narrow one reads the matches.
        scanned = all_rows if window is None or params else window * all_rows / matched
        narrow = _LOOKUP_COST * matched <= scanned
    if narrow:
        # The viewers found are handed over as one JSON array rather than matched again
        # inside the statement (a second scan of the viewers for a short query, 8 ms of
        # 18 at 400,000 rows); their user ids then drive redemptions_by_user.
        users = json.dumps(sorted({str(row[0]) for row in found}))
        return SearchPlan(
            "redemptions INDEXED BY redemptions_by_user",
            " WHERE user_id IN (SELECT value FROM json_each(?))"
            f" AND instr(viewer_key, ?) > 0{others}",
            [users, needle, *params],
            total,
            steps,
        )
    return SearchPlan(
        "redemptions", f" WHERE instr(viewer_key, ?) > 0{others}", [needle, *params], total, steps
    )


def _page_sql(plan: SearchPlan, newest_first: bool) -> str:
    order = "DESC" if newest_first else "ASC"
    return (
        f"SELECT {ITEM_COLUMNS} FROM {plan.source}{plan.where}"
        f" ORDER BY redeemed_at {order}, redemption_id {order} LIMIT ? OFFSET ?"
    )


def read_page(
    conn: sqlite3.Connection,
    query: HistoryQuery,
    *,
    index: ViewerIndex,
    limit: int,
    offset: int,
    newest_first: bool,
) -> HistoryPage:
    """One page of ``query``'s rows and the total (inside a read transaction)."""
    plan = plan_search(conn, query, index=index, window=limit + offset)
    total = plan.total
    if total is None:
        count_sql = f"SELECT count(*) FROM {plan.source}{plan.where}"
        total = int(conn.execute(count_sql, plan.params).fetchone()[0])
    if offset >= total:
        return HistoryPage((), total, offset)
    rows = conn.execute(_page_sql(plan, newest_first), [*plan.params, limit, offset]).fetchall()
    return HistoryPage(tuple(history_row(row) for row in rows), total, offset)


def explain_search(
    conn: sqlite3.Connection, query: HistoryQuery, *, index: ViewerIndex, limit: int
) -> list[str]:
    """SQLite's query plan (``EXPLAIN QUERY PLAN`` details) of every statement
    :func:`read_page` runs for ``query``, one line per plan step."""
    plan = plan_search(conn, query, index=index, window=limit)
    statements = [*plan.steps]
    if plan.total is None:
        statements.append((f"SELECT count(*) FROM {plan.source}{plan.where}", tuple(plan.params)))
    if plan.total != 0:  # no row matches: the page is not read
        statements.append((_page_sql(plan, True), (*plan.params, limit, 0)))
    lines: list[str] = []
    for sql, params in statements:
        lines.extend(str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    return lines
