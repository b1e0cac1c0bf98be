"""Benchmarks of the core at stream scale (10,000 queued redemptions); prints figures.

Run with ``pytest -m bench tests/bench/test_core_bench.py -s``. Not part of the default run.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

import pytest

from companion.core.ledger import HistoryQuery, Ledger
from companion.core.queue import RedemptionQueue
from tests.helpers.core_fakes import RecordingSender, redemption
from tests.helpers.fake_clock import FakeScheduler

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.bench

ROWS = 10_000


def _ms(start: float) -> str:
    return f"{(time.perf_counter() - start) * 1e3:8.1f} ms"


async def test_queue_10k() -> None:
    records = [redemption(n, reward_id=f"reward-{n % 10}") for n in range(ROWS)]
    clock = FakeScheduler()
    queue = RedemptionQueue(RecordingSender(), scheduler=clock)
    start = time.perf_counter()
    for record in records:
        queue.add(record)
    print(f"\n10k in-order adds          {_ms(start)}")
    shuffled = records[:]
    random.Random(1).shuffle(shuffled)
    queue = RedemptionQueue(RecordingSender(), scheduler=clock)
    start = time.perf_counter()
    for record in shuffled:
        queue.add(record)
    print(f"10k shuffled adds          {_ms(start)}")
    start = time.perf_counter()
    for record in records:
        queue.index_of(record.redemption_id)
    print(f"10k index_of               {_ms(start)}")
    start = time.perf_counter()
    queue.refund_all()
    clock.advance(5.0)
    await queue.wait_idle()
    print(f"refund_all 10k (200 calls) {_ms(start)}")
    assert len(queue) == 0


def test_ledger_10k(tmp_path: Path) -> None:
    records = [redemption(n, reward_id=f"reward-{n % 10}") for n in range(ROWS)]
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        start = time.perf_counter()
        ledger.record_redemptions(records)
        print(f"\nledger insert 10k, 1 txn   {_ms(start)}")
        start = time.perf_counter()
        for n in range(0, ROWS, 100):
            ledger.record_redemptions(records[n : n + 100])
        print(f"ledger re-insert 100x100   {_ms(start)}")
        start = time.perf_counter()
        page = ledger.query(HistoryQuery(viewer="viewer4"), limit=50)
        print(f"viewer query page          {_ms(start)} ({page.total} matches)")
        start = time.perf_counter()
        count = ledger.export_csv(tmp_path / "export.csv")
        print(f"CSV export {count} rows     {_ms(start)}")
    finally:
        ledger.close()
