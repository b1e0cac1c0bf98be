"""The ledger writer on a real SQLite file that is full, read-only or damaged (issue 20, item 12).

Time is a fake scheduler's, so every retry and its backoff is exact; the database and its
errors are real (see tests/helpers/ledger_faults.py for how each fault is made).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from companion.core.ledger import Ledger
from companion.core.ledger_writer import LedgerWriter
from companion.core.records import ActionKind, ActionRecord, ActionState
from tests.helpers.core_fakes import redemption
from tests.helpers.fake_clock import FakeScheduler
from tests.helpers.ledger_faults import (
    damage_redemptions_table,
    fill_disk,
    free_disk,
    make_read_only,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from companion.core.records import RedemptionRecord

SEEN_AT = datetime(2026, 11, 27, 21, 0, 0, tzinfo=UTC)
WRITER_LOG = "companion.core.ledger_writer"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger(tmp_path / "ledger.sqlite3", wall_clock=lambda: SEEN_AT)
    yield opened
    opened.close()


def big(first: int, count: int) -> list[RedemptionRecord]:
    """Rows large enough that every batch needs new pages (so a full file refuses it)."""
    return [redemption(n, user_input="x" * 3000) for n in range(first, first + count)]


def stored(ledger: Ledger) -> dict[str, str]:
    return {row.record.redemption_id: row.record.status for row in ledger.query(limit=10**5).rows}


def writer_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == WRITER_LOG and r.levelno >= logging.WARNING
    ]


async def test_full_disk_keeps_rows_in_order_retries_with_backoff_and_tells_once(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeScheduler()
    told: list[str] = []
    writer = LedgerWriter(ledger, notify=told.append, scheduler=clock)
    writer.write_redemptions(big(0, 5))
    await writer.wait_idle()
    assert len(stored(ledger)) == 5
    fill_disk(ledger)

    # A burst while the disk is full: 30 writes, one refused attempt, one notice.
    for start in range(5, 305, 10):
        writer.write_redemptions(big(start, 10))
    writer.write_status([("r00001", "FULFILLED"), ("r00300", "CANCELED")], "handled elsewhere")
    action = ActionRecord(
        "act-1",
        ActionKind.FULFILL,
        ("r00002",),
        ("reward-a",),
        SEEN_AT,
        ActionState.DONE,
        finished_at=SEEN_AT,
        done=("r00002",),
        calls=1,
    )
    writer.write_action(action)
    await writer.wait_idle()
    assert writer.failing
    assert writer.kept == 300 + 2 + 1
    assert writer.attempts == 1
    assert told == [
        "The redemption history cannot be saved: the disk is full"
        f" ({ledger.path}). New rows are kept in memory and saved as soon as it works"
        " again; closing the app before then loses them."
    ]
    assert len(stored(ledger)) == 5

    # Retries come 1, 2, 4, 8 s apart, never once per write.
    for wait, attempts in ((0.99, 1), (0.01, 2), (1.99, 2), (0.01, 3), (4, 4), (8, 5)):
        clock.advance(wait)
        await writer.wait_idle()
        assert writer.attempts == attempts
    assert len(told) == 1
    assert writer_errors(caplog) == [
        "ledger: cannot write ledger.sqlite3 (OperationalError: database or disk is full);"
        " 303 rows kept in memory, retrying with backoff"
    ]

    # Space returns: the next retry writes everything, in order, and says so once.
    free_disk(ledger)
    clock.advance(16)
    await writer.wait_idle()
    assert not writer.failing
    assert writer.kept == 0
    rows = stored(ledger)
    assert len(rows) == 305
    assert rows["r00001"] == "FULFILLED"
    assert rows["r00002"] == "FULFILLED"  # the action's snapshot, written after its rows
    assert rows["r00300"] == "CANCELED"  # the status landed after the row it moves
    assert told[1:] == ["The redemption history is saved again (303 kept rows written)."]
    assert ledger.integrity_check() == "ok"


async def test_kept_rows_are_bounded_and_the_overflow_is_counted(ledger: Ledger) -> None:
    clock = FakeScheduler()
    told: list[str] = []
    writer = LedgerWriter(ledger, notify=told.append, scheduler=clock, max_kept=25)
    fill_disk(ledger)
    for start in range(0, 50, 10):
        writer.write_redemptions(big(start, 10))
        await writer.wait_idle()
    # 10 + 10 fit under 25; the third batch would pass it, so it and later ones are dropped.
    assert (writer.kept, writer.dropped) == (20, 30)
    assert told[1:] == [
        "The redemption history is holding 20 unsaved rows, as many as it keeps;"
        " newer ones are not kept until it can be saved again."
    ]
    free_disk(ledger)
    clock.advance(1)
    await writer.wait_idle()
    assert sorted(stored(ledger)) == [f"r{n:05d}" for n in range(20)]
    assert told[2:] == [
        "The redemption history is saved again (20 kept rows written). 30 rows were not"
        " kept meanwhile and are missing from it."
    ]


async def test_read_only_file_is_one_notice_and_a_few_attempts_not_a_burst(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeScheduler()
    told: list[str] = []
    writer = LedgerWriter(ledger, notify=told.append, scheduler=clock)
    make_read_only(ledger)
    for second in range(10):
        writer.write_redemptions([redemption(second)])
        await writer.wait_idle()
        clock.advance(1)
        await writer.wait_idle()
    # Attempts at 0, 1, 3 and 7 s: four in ten seconds, one error line, one notice.
    assert writer.attempts == 4
    assert len(told) == 1 and "the file is read-only" in told[0]
    assert len(writer_errors(caplog)) == 1
    make_read_only(ledger, False)
    clock.advance(8)
    await writer.wait_idle()
    assert sorted(stored(ledger)) == [f"r{n:05d}" for n in range(10)]


async def test_damaged_file_is_one_notice_and_backoff(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    first = Ledger(path)
    first.record_redemptions(big(0, 20))
    first.close()
    damage_redemptions_table(path)
    ledger = Ledger(path)
    try:
        clock = FakeScheduler()
        told: list[str] = []
        writer = LedgerWriter(ledger, notify=told.append, scheduler=clock)
        for n in range(20, 27):
            writer.write_redemptions([redemption(n)])
        await writer.wait_idle()
        for wait in (1, 2, 4):
            clock.advance(wait)
            await writer.wait_idle()
        assert writer.attempts == 4
        assert writer.kept == 7
        assert len(told) == 1 and "the file is damaged" in told[0]
        assert await writer.close() == 7  # one last attempt; the loss is counted and logged
    finally:
        ledger.close()


async def test_rejected_rows_are_told_at_most_once_a_minute(ledger: Ledger) -> None:
    clock = FakeScheduler()
    told: list[str] = []
    writer = LedgerWriter(ledger, notify=told.append, scheduler=clock)
    huge = redemption(2)
    object.__setattr__(huge, "reward_cost", 10**30)
    writer.write_redemptions([redemption(1), huge, redemption(3)])
    await writer.wait_idle()
    assert sorted(stored(ledger)) == ["r00001", "r00003"]
    assert told == [
        "A redemption could not be saved to the history: reward_cost"
        " 1000000000000000000000000000000 is out of the range the history can store"
        " (id r00002). Only the history lacks it; Twitch still has it."
    ]
    for n in (10, 11):
        bad = redemption(n)
        object.__setattr__(bad, "user_name", "\ud800")
        writer.write_redemptions([bad])
        await writer.wait_idle()
    assert len(told) == 1
    clock.advance(60)
    assert told[1:] == [
        "2 redemptions could not be saved to the history; the first: user_name is not"
        " valid Unicode (it holds a lone surrogate) (id r00010). Their ids are in the log;"
        " only the history lacks them."
    ]
    assert writer.rejected == 3
