"""Benchmark: 10,000 redemptions pushed by the simulator reach the queue model and view.

Run with ``pytest -m bench tests/bench/bench_queue_ingest.py -s`` (named outside pytest's
``test_*.py`` pattern, so it only runs when named).

The whole app path runs on one qasync loop, as in the app: the simulator writes EventSub
notifications to a real WebSocket on loopback, the EventSub client parses them, LiveEvents
emits Qt signals, QueueService queues them and batches ledger writes (SQLite on its own
thread), and the queue panel (source model, filter proxy, table view, offscreen) follows.
The simulator shares the loop, so it redeems in small paced chunks (25 every 5 ms) rather
than all at once: its own work would otherwise be counted as the app's stall.

Figures:

* ``queue_ingest_throughput``: redemptions per second, first redeem to last row in the view.
* ``queue_ingest_worst_stall``: the longest gap between ticks of a 10 ms QTimer heartbeat on
  the UI thread, minus the 10 ms period (target < 50 ms).
* ``queue_ingest_memory_growth``: RSS after (queue full, ledger flushed) minus before (target
  < 60 MB).
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from companion.core.ledger import Ledger
from companion.services.queue_service import QueueService
from companion.ui.queue_model import QueueTableModel
from companion.ui.queue_panel import QueuePanel
from tests.helpers.queue_sim import SimChannel

pytestmark = [pytest.mark.bench, pytest.mark.qt_loop]

TOTAL = 10_000
CHUNK = 25
PERIOD = 0.005
HEARTBEAT_MS = 10
FREEZE = os.environ.get("QUEUE_BENCH_GC_FREEZE", "1") != "0"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def test_queue_ingest(qapp, qtbot, tmp_path) -> None:
    channel = SimChannel()
    await channel.start(eventsub=False)
    ledger = await Ledger.aopen(tmp_path / "ledger.sqlite3")
    try:
        live = await channel.start_live_events()
        service = QueueService(channel.broadcaster, ledger)
        service.connect_events(live)
        model = QueueTableModel(service.queue)
        panel = QueuePanel(service, model)
        qtbot.addWidget(panel)
        panel.resize(1000, 700)
        panel.show()
        rewards = [channel.create_reward(f"Bench {n}") for n in range(4)]
        await asyncio.sleep(0.2)
        gc.collect()
        if FREEZE:
            # What the app can do once started: move start-up objects out of the GC's
            # reach, so a full collection scans only what the stream created.
            gc.freeze()
        rss_before = rss_mb()

        gaps: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        heartbeat = QTimer()
        heartbeat.setInterval(HEARTBEAT_MS)
        heartbeat.timeout.connect(tick)
        heartbeat.start()

        started = time.perf_counter()
        made = 0
        while made < TOTAL:
            for _ in range(min(CHUNK, TOTAL - made)):
                channel.redeem(rewards[made % 4], viewer=made % 5, text=f"input {made}")
                made += 1
            await asyncio.sleep(PERIOD)
        pushed = time.perf_counter()
        while panel.proxy.rowCount() < TOTAL:
            if time.perf_counter() - started > 60:
                raise AssertionError(f"only {panel.proxy.rowCount()} rows after 60 s")
            await asyncio.sleep(0.005)
        arrived = time.perf_counter()
        heartbeat.stop()
        service._flush_ledger()
        await service.wait_idle()
        gc.collect()
        rss_after = rss_mb()

        assert len(service.queue) == TOTAL
        assert model.rowCount() == TOTAL
        assert ledger.query().total == TOTAL
        throughput = TOTAL / (arrived - started)
        stall_ms = max(0.0, max(gaps) * 1000 - HEARTBEAT_MS)
        growth = rss_after - rss_before
        print()
        print(f"queue_ingest_throughput: {throughput:.0f} redemptions/s")
        print(f"queue_ingest_worst_stall: {stall_ms:.1f} ms")
        print(f"queue_ingest_memory_growth: {growth:.1f} MB")
        print(
            f"(push took {pushed - started:.2f} s, last row {arrived - pushed:.3f} s later, "
            f"{len(gaps)} heartbeats, median gap {sorted(gaps)[len(gaps) // 2] * 1000:.1f} ms)"
        )
        assert stall_ms < 50
        assert growth < 60
        await service.shutdown()
    finally:
        gc.unfreeze()
        await ledger.aclose()
        await channel.stop()
