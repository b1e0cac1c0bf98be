"""QueueService wired to the app's real LiveEvents (EventSub client) and the simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from companion.services.queue_service import QueueService
from companion.ui.queue_model import QueueTableModel
from companion.ui.queue_panel import QueuePanel
from tests.helpers.queue_sim import SimChannel, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop


@pytest.fixture
async def channel(qapp) -> AsyncIterator[SimChannel]:
    ch = SimChannel()
    await ch.start(eventsub=False)
    try:
        yield ch
    finally:
        await ch.stop()


async def test_live_events_feed_the_queue_and_a_drop_is_reconciled(
    channel: SimChannel, qtbot
) -> None:
    live = await channel.start_live_events()
    service = QueueService(channel.broadcaster, None, undo_seconds=0.05)
    service.connect_events(live)
    panel = QueuePanel(service, QueueTableModel(service.queue))
    qtbot.addWidget(panel)
    reward = channel.create_reward("Hydrate")
    first = [channel.redeem(reward, viewer=n, text=f"hi {n}") for n in range(5)]
    await until(lambda: panel.proxy.rowCount() == 5)
    assert set(service.queue.ids()) == set(first)
    # The socket drops; while it is down one is fulfilled elsewhere and two arrive.
    diffs = []
    service.reconciled.connect(diffs.append)
    assert channel.sim.hub is not None
    assert await channel.sim.hub.drop_connections(4006) == 1
    channel.fulfil_elsewhere(reward, [first[0]])
    missed = [channel.redeem(reward, viewer=n) for n in (1, 2)]
    await until(lambda: bool(diffs), timeout=10)
    await until(lambda: panel.proxy.rowCount() == 6)
    assert set(service.queue.ids()) == set(first[1:]) | set(missed)
    # Fulfil every row shown from the panel (one reward: one press): one call.
    panel.fulfill_shown()
    await until(lambda: panel.proxy.rowCount() == 0)
    assert channel.counter.id_counts("PATCH", "/channel_points/custom_rewards/redemptions") == [6]
    assert {channel.status_of(i) for i in first[1:] + missed} == {"FULFILLED"}
    await service.shutdown()
