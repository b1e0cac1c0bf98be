"""Ingest batching through the real stack: simulator -> EventSub client -> LiveEvents ->
QueueService -> core queue -> Qt model -> SQLite ledger, with exact counts.

The ledger's own statements are counted (SQLite's trace callback on its connection), so
"one transaction" means one ``BEGIN IMMEDIATE ... COMMIT`` seen by SQLite, and the Qt
model's ``rowsInserted`` ranges are what a view would have relaid out.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

from companion.core.ledger import Ledger
from companion.services.queue_service import QueueService
from companion.ui.queue_model import QueueTableModel
from tests.helpers.queue_sim import SimChannel, until

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import AsyncIterator
    from pathlib import Path

    from PySide6.QtCore import QModelIndex

    from companion.twitch.models.channel_points import CustomRewardRedemption

pytestmark = pytest.mark.qt_loop

_INSERT = "INSERT OR IGNORE INTO redemptions"


class LedgerTrace:
    """Every statement the ledger's connection runs, grouped into its transactions."""

    def __init__(self, ledger: Ledger) -> None:
        self.statements: list[str] = []
        # The ledger's connection is private; tracing it is the only way to see what SQLite
        # was really asked to do (the callback runs on the ledger's worker thread).
        connection: sqlite3.Connection = ledger._conn
        connection.set_trace_callback(self.statements.append)

    def insert_transactions(self) -> list[int]:
        """How many redemption inserts each write transaction made, in order."""
        counts: list[int] = []
        current: set[str] | None = None
        for statement in self.statements:
            if statement.startswith("BEGIN IMMEDIATE"):
                current = set()
            elif statement.startswith(_INSERT) and current is not None:
                # The trace repeats an insert's expanded SQL (its values included) for each
                # step of the viewers trigger it fires: distinct texts are distinct rows.
                current.add(statement)
            elif statement.startswith("COMMIT") and current is not None:
                if current:
                    counts.append(len(current))
                current = None
        return counts


class Inserts:
    """The Qt model's ``rowsInserted`` ranges."""

    def __init__(self, model: QueueTableModel) -> None:
        self.ranges: list[tuple[int, int]] = []
        model.rowsInserted.connect(self._inserted)

    def _inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        assert not parent.isValid()
        self.ranges.append((first, last))


def queue_order(redemptions: list[CustomRewardRedemption]) -> list[str]:
    """The order the queue must show: oldest first, the id breaking ties."""
    return [r.id for r in sorted(redemptions, key=lambda r: (r.redeemed_at, r.id))]


def ledger_ids(ledger: Ledger) -> list[str]:
    return [row[0] for row in ledger._conn.execute("SELECT redemption_id FROM redemptions")]


@pytest.fixture
async def channel(qapp) -> AsyncIterator[SimChannel]:
    ch = SimChannel()
    await ch.start(eventsub=False)
    try:
        yield ch
    finally:
        await ch.stop()


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    opened = await Ledger.aopen(tmp_path / "ledger.sqlite3")
    try:
        yield opened
    finally:
        await opened.aclose()


async def test_a_burst_in_one_loop_turn_is_one_insert_range_and_one_transaction(
    channel: SimChannel, ledger: Ledger
) -> None:
    live = await channel.start_live_events()
    for title in ("Hydrate", "Song", "Stretch"):
        channel.create_reward(title)
    # 300 real redemptions, read off the simulator's socket by the real client.
    seen: list[CustomRewardRedemption] = []
    live.redemption_added.connect(seen.append)
    channel.sim.state.redeem_many(channel.broadcaster_id, 300)
    await until(lambda: len(seen) == 300, timeout=10)
    live.redemption_added.disconnect(seen.append)

    service = QueueService(channel.broadcaster, ledger)
    service.connect_events(live)
    model = QueueTableModel(service.queue)
    inserts = Inserts(model)
    trace = LedgerTrace(ledger)
    # One loop turn: the 300 out of order, 40 of them twice (EventSub is at least once).
    burst: list[Any] = [*seen, *random.Random(7).sample(seen, 40)]
    random.Random(8).shuffle(burst)
    for redemption in burst:
        live.redemption_added.emit(redemption)
    assert inserts.ranges == []  # gathered, not inserted one by one
    await until(lambda: len(service.queue) == 300)
    await service.wait_idle()

    assert inserts.ranges == [(0, 299)]
    assert trace.insert_transactions() == [300]
    assert service.queue.ids() == queue_order(seen)
    assert sorted(ledger_ids(ledger)) == sorted(r.id for r in seen)
    await service.shutdown()


async def test_a_socket_burst_with_resends_is_queued_and_stored_exactly_once_in_order(
    channel: SimChannel, ledger: Ledger
) -> None:
    live = await channel.start_live_events()
    for title in ("Hydrate", "Song"):
        channel.create_reward(title)
    service = QueueService(channel.broadcaster, ledger)
    service.connect_events(live)
    model = QueueTableModel(service.queue)
    inserts = Inserts(model)
    trace = LedgerTrace(ledger)
    seen: list[CustomRewardRedemption] = []
    live.redemption_added.connect(seen.append)

    channel.sim.state.redeem_many(channel.broadcaster_id, 500)
    hub = channel.sim.hub
    assert hub is not None
    assert hub.resend_last(60) == 60  # the same messages again (same message ids)
    channel.sim.state.redeem_many(channel.broadcaster_id, 200)
    await until(lambda: len(service.queue) == 700, timeout=15)
    await service.wait_idle()

    # The resent messages were dropped by the client: 700 deliveries, 700 rows.
    assert len(seen) == 700
    assert service.queue.ids() == queue_order(seen)
    # Each batch is one appended range; together they tile the queue exactly once.
    assert inserts.ranges[0][0] == 0
    assert all(b[0] == a[1] + 1 for a, b in zip(inserts.ranges, inserts.ranges[1:], strict=False))
    assert inserts.ranges[-1][1] == 699
    # Every redemption was inserted into the ledger exactly once, in batches (far fewer
    # transactions than rows), and is there exactly once.
    batches = trace.insert_transactions()
    assert sum(batches) == 700
    assert len(batches) <= len(inserts.ranges)
    stored = ledger_ids(ledger)
    assert len(stored) == 700
    assert set(stored) == {r.id for r in seen}

    # A late duplicate of a queued one (a new message id, the same redemption) is a no-op.
    ranges_before, statements_before = len(inserts.ranges), len(trace.statements)
    live.redemption_added.emit(seen[10])
    service.drain_incoming()
    await service.wait_idle()
    assert len(service.queue) == 700
    assert len(inserts.ranges) == ranges_before
    assert len(trace.statements) == statements_before
    await service.shutdown()
