"""The queue panel against the simulator: select 120 rows of one reward, press F."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from companion.services.queue_service import QueueService
from companion.ui.queue_model import QueueTableModel
from companion.ui.queue_panel import QueuePanel
from tests.helpers.queue_sim import SimChannel, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop

UPDATE_PATH = "/channel_points/custom_rewards/redemptions"


@pytest.fixture
async def channel(qapp) -> AsyncIterator[SimChannel]:
    ch = SimChannel()
    await ch.start()
    try:
        yield ch
    finally:
        await ch.stop()


async def test_120_selected_rows_go_out_as_3_requests_and_undo_sends_nothing(
    channel: SimChannel, qtbot
) -> None:
    service = QueueService(channel.broadcaster, None, undo_seconds=0.3)
    service.connect_events(channel.events)
    panel = QueuePanel(service, QueueTableModel(service.queue))
    qtbot.addWidget(panel)
    panel.show()
    handle = panel.windowHandle()
    assert handle is not None
    handle.requestActivate()
    await until(panel.isActiveWindow)
    song = channel.create_reward("Song request", is_user_input_required=True)
    hydrate = channel.create_reward("Hydrate")
    songs = [channel.redeem(song, viewer=n % 5, text=f"song {n}") for n in range(120)]
    waters = [channel.redeem(hydrate, viewer=n) for n in range(3)]
    await until(lambda: panel.proxy.rowCount() == 123)
    await until(lambda: panel.reward_filter.findData(song) >= 0)
    assert panel.reward_filter.itemText(panel.reward_filter.findData(song)) == (
        "Song request (120)"
    )
    panel.set_reward_filter(song)
    assert panel.proxy.rowCount() == 120
    panel.table.setFocus()
    # First try: F then Ctrl+Z inside the window; nothing may reach Twitch.
    QTest.keyClick(panel.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(panel.table, Qt.Key.Key_F)
    assert len(service.queue.live_actions()) == 1
    QTest.keyClick(panel.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    await asyncio.sleep(0.5)
    assert channel.counter.count("PATCH", UPDATE_PATH) == 0
    # Second try: F and let the window close.
    QTest.keyClick(panel.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(panel.selected_ids()) == 120
    QTest.keyClick(panel.table, Qt.Key.Key_F)
    await until(lambda: panel.proxy.rowCount() == 0)
    assert channel.counter.id_counts("PATCH", UPDATE_PATH) == [50, 50, 20]
    assert {channel.status_of(i) for i in songs} == {"FULFILLED"}
    assert {channel.status_of(i) for i in waters} == {"UNFULFILLED"}
    assert set(service.queue.ids()) == set(waters)
    await until(lambda: panel.status_label.text() == "Fulfilled 120")
    assert "This reward has nothing waiting." in panel.empty_label.text()
    await service.shutdown()
