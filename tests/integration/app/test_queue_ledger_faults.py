"""The queue service's ledger under bad values, a full disk and a reconnect (issue 20, 11-13).

Real stack: the simulator over loopback, EventSub into the queue service, a real SQLite
ledger file. The disk is made full with ``PRAGMA max_page_count`` (SQLITE_FULL, the code a
full disk gives; see tests/helpers/ledger_faults.py).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import pytest

from companion.core.ledger import Ledger
from companion.services.ledger_settling import SETTLED_NOTE
from companion.services.queue_service import QueueService
from tests.helpers.ledger_faults import fill_disk, free_disk
from tests.helpers.queue_sim import CLIENT_ID, SimChannel, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

pytestmark = pytest.mark.qt_loop


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    store = await Ledger.aopen(tmp_path / "ledger.sqlite3")
    try:
        yield store
    finally:
        await store.aclose()


@pytest.fixture
async def channel(qapp: object) -> AsyncIterator[SimChannel]:
    ch = SimChannel()
    await ch.start()
    try:
        yield ch
    finally:
        await ch.stop()


class Heard:
    """What the service told the streamer."""

    def __init__(self, service: QueueService) -> None:
        self.notices: list[str] = []
        self.errors: list[str] = []
        service.notice.connect(self.notices.append)
        service.error.connect(self.errors.append)


def in_ledger(ledger: Ledger) -> dict[str, str]:
    return {r.record.redemption_id: r.record.status for r in ledger.query(limit=10**5).rows}


async def test_a_reward_cost_sqlite_cannot_hold_costs_only_its_own_row(
    channel: SimChannel, ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    service = QueueService(channel.broadcaster, ledger, undo_seconds=0.2)
    service.connect_events(channel.events)
    heard = Heard(service)
    hydrate = channel.create_reward("Hydrate")
    broken = channel.create_reward("Broken")
    # A broken (or hostile) server: the reward's cost is far beyond any 64-bit integer.
    channel.sim.state.channels[channel.broadcaster_id].rewards[broken].data["cost"] = 10**30
    first = channel.redeem(hydrate, viewer=0)
    bad = channel.redeem(broken, viewer=1)
    last = channel.redeem(hydrate, viewer=2)
    await until(lambda: len(service.queue) == 3)  # the queue shows all three
    await service.wait_idle()
    assert in_ledger(ledger) == {first: "UNFULFILLED", last: "UNFULFILLED"}
    assert heard.notices == [
        "A redemption could not be saved to the history: reward_cost"
        " 1000000000000000000000000000000 is out of the range the history can store"
        f" (id {bad}). Only the history lacks it; Twitch still has it."
    ]
    assert heard.errors == []
    assert [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and bad in r.getMessage()
    ] == [
        f"ledger: redemption {bad} not stored: reward_cost 1000000000000000000000000000000"
        " is out of the range the history can store"
    ]
    # It is still a redemption the streamer can act on.
    summaries: list[str] = []
    service.action_finished.connect(summaries.append)
    service.fulfill([bad])
    await until(lambda: bool(summaries))
    assert summaries == ["Fulfilled 1"]
    assert channel.status_of(bad) == "FULFILLED"
    await service.shutdown()


async def test_rows_arriving_on_a_full_disk_are_kept_and_written_when_space_returns(
    channel: SimChannel, ledger: Ledger
) -> None:
    service = QueueService(channel.broadcaster, ledger, undo_seconds=0.05)
    service.connect_events(channel.events)
    heard = Heard(service)
    reward = channel.create_reward("Hydrate")
    await service.wait_idle()
    fill_disk(ledger)
    ids = [channel.redeem(reward, viewer=n % 5, text="x" * 2000) for n in range(20)]
    await until(lambda: len(service.queue) == 20)
    # A fulfil while the disk is full: it goes out to Twitch; its ledger entry waits.
    summaries: list[str] = []
    service.action_finished.connect(summaries.append)
    service.fulfill(ids[:5])
    await until(lambda: bool(summaries))
    assert summaries == ["Fulfilled 5"]
    await service.wait_idle()
    writer = service.ledger_writer
    assert writer is not None and writer.failing
    assert in_ledger(ledger) == {}
    assert len(heard.notices) == 1
    assert heard.notices[0].startswith("The redemption history cannot be saved: the disk is full (")
    assert heard.errors == []

    free_disk(ledger)
    await until(lambda: not writer.failing, timeout=10)  # the retry (1 s, then 2 s ...)
    await service.wait_idle()
    stored = in_ledger(ledger)
    assert stored == {i: ("FULFILLED" if i in ids[:5] else "UNFULFILLED") for i in ids}
    # Kept: the 20 redemptions, the action's three snapshots (pending, sending, done) and,
    # for each of the 5 whose EventSub echo came after the action settled, that update.
    [recovered] = heard.notices[1:]
    match = re.fullmatch(
        r"The redemption history is saved again \((\d+) kept rows written\)\.", recovered
    )
    assert match is not None and 23 <= int(match[1]) <= 28, recovered
    assert heard.errors == []
    await service.shutdown()


async def test_a_reconnect_reads_back_the_status_of_rows_handled_while_away(
    channel: SimChannel, ledger: Ledger
) -> None:
    service = QueueService(channel.broadcaster, ledger, undo_seconds=0.05)
    service.connect_events(channel.events)
    heard = Heard(service)
    reward = channel.create_reward("Hydrate")
    ids = [channel.redeem(reward, viewer=n) for n in range(4)]
    await until(lambda: len(service.queue) == 4)
    await service.wait_idle()
    await channel.events.drop()
    # While the socket is down: one fulfilled, one refunded on the dashboard.
    channel.fulfil_elsewhere(reward, [ids[0]])
    channel.sim.state.update_redemptions(
        channel.broadcaster_id, CLIENT_ID, reward, [ids[1]], "CANCELED"
    )
    await service.reconcile()
    await service.wait_idle()
    rows = {r.record.redemption_id: r for r in ledger.query(limit=10).rows}
    assert [(rows[i].record.status, rows[i].note) for i in ids] == [
        ("FULFILLED", SETTLED_NOTE),
        ("CANCELED", SETTLED_NOTE),
        ("UNFULFILLED", None),
        ("UNFULFILLED", None),
    ]
    assert set(service.queue.ids()) == set(ids[2:])
    assert heard.notices == []  # no action was cut short: nothing to tell
    assert heard.errors == []
    await service.shutdown()
