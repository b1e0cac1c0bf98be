"""The bulk write's one-pass checks (issue 18, item 5): a fast path for the common record
that vouches only for what the full check accepts, and the full check for everything else.

Each case is compared with :func:`redemption_problem`, the ledger's one statement of what
cannot be stored, and with :func:`to_db_time`, the stored time format.
"""

from __future__ import annotations

import enum
import random
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from companion.core.ledger import HistoryQuery, Ledger
from companion.core.ledger_bulk import LARGE_BATCH_ROWS, bulk_rows
from companion.core.ledger_checks import redemption_problem
from companion.core.ledger_rows import viewer_key
from companion.core.ledger_schema import to_db_time
from tests.helpers.core_fakes import redemption

if TYPE_CHECKING:
    from pathlib import Path

    from companion.core.records import RedemptionRecord

NOW = "2026-12-06T06:00:00.000000+00:00"


class Cost(enum.IntEnum):
    HUNDRED = 100


class Text(str):
    """A str subclass: text all the same."""


GOOD = {
    "plain": redemption(1),
    "microseconds": replace(redemption(2), redeemed_at=datetime(2026, 1, 2, 3, 4, 5, 6, UTC)),
    "zero fraction": replace(redemption(3), redeemed_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    "other zone": replace(
        redemption(4),
        redeemed_at=datetime(2026, 1, 2, 3, 4, 5, 999999, timezone(timedelta(hours=-5))),
    ),
    "accented": redemption(5, user_login="zoë", user_name="Zoë 配信"),
    "emoji input": redemption(6, user_input="GG 😀"),
    "no colour or input": replace(redemption(7), reward_color=None, user_input=None),
    "largest cost": replace(redemption(8), reward_cost=2**63 - 1),
    "smallest cost": replace(redemption(9), reward_cost=-(2**63)),
    "int subclass cost": replace(redemption(10), reward_cost=Cost.HUNDRED),
    "str subclass": replace(redemption(11), user_name=Text("Named")),
    "surrogate pair as one character": redemption(12, user_input="\U0001f600"),
}


def forced(record: RedemptionRecord, **changes: object) -> RedemptionRecord:
    """``record`` with values its own constructor would refuse (the ledger checks anyway)."""
    copy = replace(record)
    for name, value in changes.items():
        object.__setattr__(copy, name, value)
    return copy


BAD = {
    "lone surrogate": replace(redemption(20), user_name="\ud800"),
    "two lone surrogates": replace(redemption(21), reward_title="\ud83d\ude00"),
    "surrogate in input": replace(redemption(22), user_input="ok \udfff"),
    "surrogate in colour": forced(redemption(23), reward_color="#\ud800"),
    "missing login": replace(redemption(24), user_login=None),
    "number as text": replace(redemption(25), reward_title=5),
    "number as input": replace(redemption(26), user_input=0),
    "cost too large": replace(redemption(27), reward_cost=2**63),
    "cost too small": replace(redemption(28), reward_cost=-(2**63) - 1),
    "cost as bool": replace(redemption(29), reward_cost=True),
    "cost as float": replace(redemption(30), reward_cost=100.0),
    "cost as text": replace(redemption(31), reward_cost="100"),
    "naive time": forced(redemption(32), redeemed_at=datetime(2026, 1, 2, 3, 4, 5)),
    "time as text": forced(redemption(33), redeemed_at="2026-01-02T03:04:05Z"),
    "unknown status": forced(redemption(35), status="DONE"),
    "lower-case status": forced(redemption(36), status="fulfilled"),
    "status as number": forced(redemption(37), status=1),
    "unstorable year": replace(
        redemption(34), redeemed_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    ),
}


def expected_row(record: RedemptionRecord) -> tuple[object, ...]:
    return (
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
        NOW,
    )


@pytest.mark.parametrize("label", list(GOOD))
def test_a_storable_record_becomes_exactly_its_row(label: str) -> None:
    record = GOOD[label]
    assert redemption_problem(record) is None
    rows, moves, rejected = bulk_rows([record], NOW)
    assert rows == [expected_row(record)]
    assert len(str(rows[0][11])) == 32  # fixed width: text order is time order
    assert (moves, rejected) == ([], [])


@pytest.mark.parametrize("label", list(BAD))
def test_an_unstorable_record_is_refused_with_the_full_checks_reason(label: str) -> None:
    record = BAD[label]
    reason = redemption_problem(record)
    assert reason is not None
    rows, moves, rejected = bulk_rows([redemption(1), record, redemption(2)], NOW)
    assert [row[0] for row in rows] == ["r00001", "r00002"]
    assert len(rejected) == 1 and rejected[0][1] == reason
    assert moves == []


def test_moves_are_the_records_that_are_not_waiting_in_order() -> None:
    batch = [
        redemption(1, status="FULFILLED"),
        redemption(2),
        replace(redemption(3, status="CANCELED"), user_name="\ud800"),  # refused: no move
        redemption(4, status="CANCELED"),
    ]
    rows, moves, rejected = bulk_rows(batch, NOW)
    assert [row[12] for row in rows] == ["FULFILLED", "UNFULFILLED", "CANCELED"]
    assert moves == [("FULFILLED", NOW, "r00001"), ("CANCELED", NOW, "r00004")]
    assert [rid for rid, _ in rejected] == ["r00003"]


def test_the_bulk_write_stores_every_good_record_as_the_row_by_row_write(tmp_path: Path) -> None:
    batch = [*GOOD.values(), *BAD.values()]
    seen = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)
    one = Ledger(tmp_path / "one.sqlite3", wall_clock=lambda: seen)
    bulk = Ledger(tmp_path / "bulk.sqlite3", wall_clock=lambda: seen)
    try:
        a, b = one.write_redemptions(batch), bulk.write_redemptions_bulk(batch)
        assert a == b
        assert (b.new, len(b.rejected)) == (len(GOOD), len(BAD))
        rows = [one.get(r.redemption_id) for r in GOOD.values()]
        assert rows == [bulk.get(r.redemption_id) for r in GOOD.values()]
        assert all(row is not None for row in rows)
    finally:
        one.close()
        bulk.close()


def schema(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return list(
            conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master"
                " WHERE type IN ('index', 'trigger') ORDER BY type, name"
            )
        )
    finally:
        conn.close()


def test_an_import_larger_than_the_ledger_rebuilds_its_indexes_once(tmp_path: Path) -> None:
    """The secondary indexes are dropped and built again after a large import (sorted, not
    row by row), and only when the import outnumbers the rows there; the schema after is
    exactly a fresh ledger's and every query still finds its rows through them."""
    fresh = Ledger(tmp_path / "fresh.sqlite3")
    fresh.close()
    ledger = Ledger(
        tmp_path / "ledger.sqlite3", wall_clock=lambda: datetime(2026, 12, 6, tzinfo=UTC)
    )
    statements: list[str] = []
    ledger._conn.set_trace_callback(statements.append)  # the statements SQLite ran
    try:
        big = LARGE_BATCH_ROWS
        assert (
            ledger.write_redemptions_bulk(
                [redemption(n, reward_id=f"reward-{n % 3}") for n in range(big)]
            ).new
            == big
        )
        dropped = [s for s in statements if s.startswith("DROP INDEX")]
        assert sorted(dropped) == [
            'DROP INDEX "redemptions_by_reward"',
            'DROP INDEX "redemptions_by_time"',
            'DROP INDEX "redemptions_by_user"',
        ]
        statements.clear()
        # Not larger than the ledger: the indexes take the rows as they come.
        assert (
            ledger.write_redemptions_bulk(
                [redemption(n, reward_id="reward-1") for n in range(big, 2 * big - 1)]
            ).new
            == big - 1
        )
        assert not [s for s in statements if s.startswith("DROP INDEX")]
        plan = " ".join(ledger.explain(HistoryQuery(reward_id="reward-1")))
        assert "redemptions_by_reward" in plan
        assert (
            ledger.query(HistoryQuery(reward_id="reward-1"), limit=1).total == 167 + big - 1
        )  # n % 3 == 1 below 500: 167
        assert ledger.integrity_check() == "ok"
    finally:
        ledger.close()
    assert schema(ledger.path) == schema(fresh.path)


def test_a_large_batch_refuses_a_bad_status_itself_and_the_tables_check_comes_back(
    tmp_path: Path,
) -> None:
    """A large batch runs without SQLite's CHECK on status (it costs 3 us a row), so the
    ledger's own check is what refuses a bad status: by its reason, the rest stored. After
    the call the table's CHECK holds again for every other write."""
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        good = [redemption(n, status="FULFILLED") for n in range(LARGE_BATCH_ROWS)]
        bad = forced(redemption(LARGE_BATCH_ROWS), status="DONE")
        result = ledger.write_redemptions_bulk([*good[:10], bad, *good[10:]])
        assert result.new == LARGE_BATCH_ROWS
        assert result.rejected == (
            (bad.redemption_id, "status 'DONE' is not one of UNFULFILLED, FULFILLED, CANCELED"),
        )
        assert ledger.get(bad.redemption_id) is None
        assert ledger.query(limit=1).total == LARGE_BATCH_ROWS
        conn = ledger._conn  # the table's own CHECK, straight through SQL
        assert conn.execute("PRAGMA ignore_check_constraints").fetchone()[0] == 0
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            conn.execute("UPDATE redemptions SET status = 'DONE' WHERE rowid = 1")
    finally:
        ledger.close()


def test_every_utc_time_in_a_batch_is_stored_as_to_db_time_writes_it() -> None:
    """The fast path formats a UTC time from a per-day prefix and a naive clock: over many
    times in one batch (days shared and not, midnight, zero and full fractions, the ends of
    datetime's range) it writes exactly what to_db_time writes."""
    rng = random.Random(18)
    start, span = datetime(2020, 2, 28, tzinfo=UTC), 5 * 366 * 86_400 * 10**6
    times = [start + timedelta(microseconds=rng.randrange(span)) for _ in range(3_000)]
    times += [moment.replace(microsecond=0) for moment in times[:500]]
    times += [moment.replace(hour=0, minute=0, second=0) for moment in times[:200]]
    times += [
        datetime(2024, 2, 29, 23, 59, 59, 999_999, UTC),
        datetime(2024, 3, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, UTC),
    ]
    batch = [replace(redemption(n), redeemed_at=moment) for n, moment in enumerate(times)]
    rows, _moves, rejected = bulk_rows(batch, NOW)
    assert rejected == []
    assert [row[11] for row in rows] == [to_db_time(moment) for moment in times]
