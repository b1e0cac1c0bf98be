"""The ordered ledger writer writes redemptions through the bulk path (issue 18, item 5).

The queue's writer used to call the row-by-row write per batch; it now calls
``Ledger.awrite_redemptions_bulk``. These tests hold the switch to what it promised: the same
ledger content (every column of every row, the viewers table and its ids, the trigram
index) as the row-by-row write given the same batches, the same ``WriteResult`` (new rows,
refused rows named), and refused batches kept in order and retried as before.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from companion.core import ledger_bulk
from companion.core.ledger import Ledger, WriteResult
from companion.core.ledger_writer import LedgerWriter
from tests.helpers.core_fakes import redemption
from tests.helpers.fake_clock import FakeScheduler
from tests.helpers.ledger_faults import fill_disk, free_disk

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from companion.core.records import RedemptionRecord

SEEN_AT = datetime(2026, 11, 27, 21, 0, 0, tzinfo=UTC)


def _viewer(n: int) -> dict[str, str]:
    # Some accented and other-script names, so the viewer keys are not all ASCII.
    names = ("Zoë", "配信", "Søren")
    if n % 7 == 0:
        return {"user_login": f"viewer{n % 100}", "user_name": names[n % 3] + str(n % 100)}
    return {}


def batches() -> list[list[RedemptionRecord]]:
    """Batches of every kind the writer sees, on both sides of the large-batch threshold."""
    big = ledger_bulk.LARGE_BATCH_ROWS + 100
    first = [redemption(n, user_input="x" * 500, **_viewer(n)) for n in range(big)]  # type: ignore[arg-type]
    small = [
        redemption(big, status="CANCELED"),
        redemption(big, status="UNFULFILLED"),  # twice in a batch: the first wins
        redemption(big + 1, user_login="bad\ud800"),  # refused, the rest written
        redemption(big + 2),
        redemption(big + 2, status="FULFILLED"),  # new, then moved on in the same batch
        first[3].with_status("FULFILLED"),  # known and waiting: moves on
    ]
    # Large, with known ids: the viewers are counted over the new rowids.
    mixed = [
        *(r.with_status("CANCELED") for r in first[10:60]),
        *(redemption(n, user_input="y" * 500, **_viewer(n)) for n in range(big + 3, 2 * big)),  # type: ignore[arg-type]
        redemption(big + 5, status="CANCELED"),  # repeated in the batch: moves it on
    ]
    late = [redemption(2 * big + n) for n in range(3)]
    return [first, small, mixed, late]


def content(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every redemption row and every viewer row (with its id), in a fixed order."""
    conn = sqlite3.connect(path)
    try:
        rows = list(conn.execute("SELECT * FROM redemptions ORDER BY redemption_id"))
        # In id order, without the ids: the trigger's INSERT OR IGNORE takes an AUTOINCREMENT
        # id per row, the bulk write one per viewer, so only their order is the same.
        viewers = list(
            conn.execute("SELECT 0, user_id, viewer_key, redemptions FROM viewers ORDER BY id")
        )
        conn.execute("INSERT INTO viewers_fts (viewers_fts) VALUES ('integrity-check')")
        return rows, viewers
    finally:
        conn.close()


def master(path: Path) -> list[tuple[object, ...]]:
    """Every index and trigger of the file, with its SQL."""
    conn = sqlite3.connect(path)
    try:
        return list(
            conn.execute(
                "SELECT type, name, sql FROM sqlite_master"
                " WHERE type IN ('index', 'trigger') ORDER BY name"
            )
        )
    finally:
        conn.close()


def row_by_row(path: Path, writes: Iterable[list[RedemptionRecord]]) -> list[WriteResult]:
    ledger = Ledger(path, wall_clock=lambda: SEEN_AT)
    try:
        return [ledger.write_redemptions(batch) for batch in writes]
    finally:
        ledger.close()


class Spy:
    """Counts the ledger's two redemption writes as the writer calls them."""

    def __init__(self, ledger: Ledger) -> None:
        self.bulk: list[WriteResult] = []
        self.row_by_row = 0
        real = ledger.awrite_redemptions_bulk

        async def bulk(records: Iterable[RedemptionRecord]) -> WriteResult:
            result = await real(records)
            self.bulk.append(result)
            return result

        async def one(records: Iterable[RedemptionRecord]) -> WriteResult:
            self.row_by_row += 1
            raise AssertionError("the writer took the row-by-row path")

        ledger.awrite_redemptions_bulk = bulk  # type: ignore[method-assign]
        ledger.awrite_redemptions = one  # type: ignore[method-assign]


async def test_the_writer_stores_through_the_bulk_path_what_row_by_row_stores(
    tmp_path: Path,
) -> None:
    writes = batches()
    want = row_by_row(tmp_path / "one.sqlite3", writes)
    ledger = Ledger(tmp_path / "writer.sqlite3", wall_clock=lambda: SEEN_AT)
    spy = Spy(ledger)
    writer = LedgerWriter(ledger, notify=lambda _text: None, scheduler=FakeScheduler())
    try:
        for batch in writes:
            writer.write_redemptions(batch)
        await writer.wait_idle()
        assert await writer.close() == 0
    finally:
        ledger.close()
    assert spy.bulk == want
    assert spy.row_by_row == 0
    assert [r.new for r in want] == [600, 2, 597, 3]
    assert want[1].rejected == (
        ("r00601", "user_login is not valid Unicode (it holds a lone surrogate)"),
    )
    assert writer.rejected == 1
    got, expected = content(tmp_path / "writer.sqlite3"), content(tmp_path / "one.sqlite3")
    assert got == expected
    rows = {row[0]: row[12] for row in got[0]}
    assert len(rows) == 1202
    assert (rows["r00003"], rows["r00010"], rows["r00600"], rows["r00602"]) == (
        "FULFILLED",
        "CANCELED",
        "CANCELED",
        "FULFILLED",
    )
    assert rows["r00605"] == "CANCELED"
    # One viewer row per distinct (user id, viewer key), counting exactly its rows.
    keys = [(row[6], row[9]) for row in got[0]]
    assert sorted((v[1], v[2], v[3]) for v in got[1]) == sorted(
        (uid, key, keys.count((uid, key))) for uid, key in set(keys)
    )
    assert len(got[1]) > 100  # the renamed viewers are viewers of their own


async def test_batches_the_disk_refuses_are_kept_in_order_and_retried_through_bulk(
    tmp_path: Path,
) -> None:
    writes = batches()
    want = row_by_row(tmp_path / "one.sqlite3", writes)
    ledger = Ledger(tmp_path / "writer.sqlite3", wall_clock=lambda: SEEN_AT)
    spy = Spy(ledger)
    clock = FakeScheduler()
    told: list[str] = []
    writer = LedgerWriter(ledger, notify=told.append, scheduler=clock)
    try:
        writer.write_redemptions(writes[0])
        await writer.wait_idle()
        fill_disk(ledger)
        for batch in writes[1:]:
            writer.write_redemptions(batch)
        await writer.wait_idle()
        assert writer.failing and writer.attempts == 1
        assert writer.kept == sum(len(batch) for batch in writes[1:])
        assert len(spy.bulk) == 1  # the refused attempt returned nothing
        clock.advance(1)  # a second refused attempt, no second notice
        await writer.wait_idle()
        assert writer.attempts == 2 and len(told) == 1
        free_disk(ledger)
        clock.advance(2)
        await writer.wait_idle()
        assert not writer.failing and writer.kept == 0
        assert told[-1] == (
            f"The redemption history is saved again ({writer_rows(writes[1:]):,} kept rows"
            " written)."
        )
    finally:
        await writer.close()
        ledger.close()
    assert spy.bulk == want  # each batch written once, in order, with its own result
    assert spy.row_by_row == 0
    assert content(tmp_path / "writer.sqlite3") == content(tmp_path / "one.sqlite3")


def writer_rows(writes: list[list[RedemptionRecord]]) -> int:
    return sum(len(batch) for batch in writes)


@pytest.mark.parametrize("rows", [1, ledger_bulk.LARGE_BATCH_ROWS])
def test_a_bulk_write_the_disk_refuses_changes_nothing(tmp_path: Path, rows: int) -> None:
    """A refused bulk write leaves no row, no viewer and the viewer trigger in place."""
    ledger = Ledger(tmp_path / "ledger.sqlite3", wall_clock=lambda: SEEN_AT)
    try:
        ledger.write_redemptions_bulk([redemption(100_000, user_input="z" * 3000)])
        before = content(ledger.path)
        definitions = master(ledger.path)
        fill_disk(ledger)
        with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
            ledger.write_redemptions_bulk(
                [redemption(n, user_input="x" * 3000) for n in range(rows)]
            )
        free_disk(ledger)
        assert content(ledger.path) == before
        # SQLite's CHECK on status, off for a large batch's call, is on again.
        assert ledger._conn.execute("PRAGMA ignore_check_constraints").fetchone()[0] == 0
        assert master(ledger.path) == definitions  # dropped indexes and trigger are back
        assert len(definitions) == 13
        # The trigger is back (the rollback restored it): a row-by-row write counts its viewer.
        ledger.write_redemptions([redemption(7)])
        viewers = dict(((uid, key), count) for _id, uid, key, count in content(ledger.path)[1])
        assert viewers[("9007", "viewer7\x1fviewer7")] == 1
    finally:
        ledger.close()
