"""Queue bulk actions against the simulator: exactly the rows shown reach Twitch, and
another app's redemptions are marked and never sent (issue 16, items 2 and 4)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from companion.services.queue_service import FOREIGN_REASON, QueueService
from companion.services.rewards_service import RewardsService
from companion.ui.queue_model import FOREIGN_MARK, FOREIGN_STATUS, Column, QueueTableModel
from companion.ui.queue_panel import QueuePanel
from tests.helpers.qt_windows import show_active_async
from tests.helpers.queue_sim import OTHER_CLIENT_ID, SimChannel, until

pytestmark = pytest.mark.qt_loop

UPDATE_PATH = "/channel_points/custom_rewards/redemptions"


@pytest.fixture
def channel(sim_channel: SimChannel) -> SimChannel:
    return sim_channel


async def make_panel(service: QueueService, qtbot) -> QueuePanel:
    panel = QueuePanel(service, QueueTableModel(service.queue))
    qtbot.addWidget(panel)
    panel.resize(1000, 520)
    await show_active_async(panel)
    return panel


async def test_fulfil_shown_sends_only_the_searched_rows(channel: SimChannel, qtbot) -> None:
    service = QueueService(channel.broadcaster, None, undo_seconds=0.2)
    service.connect_events(channel.events)
    panel = await make_panel(service, qtbot)
    song = channel.create_reward("Song request", is_user_input_required=True)
    ids = [
        channel.redeem(song, viewer=n % 5, text="lofi beats" if n % 5 == 0 else f"rock {n}")
        for n in range(54)
    ]
    lofi = {i for n, i in enumerate(ids) if n % 5 == 0}
    assert len(lofi) == 11
    await until(lambda: panel.proxy.rowCount() == 54)
    panel.search.setText("LOFI")
    assert panel.proxy.rowCount() == 11
    assert panel.fulfill_shown_button.text() == "Fulfil 11 shown"
    panel.fulfill_shown_button.click()
    await until(lambda: panel.proxy.rowCount() == 0)
    assert channel.counter.id_counts("PATCH", UPDATE_PATH) == [11]
    assert {i for i in ids if channel.status_of(i) == "FULFILLED"} == lofi
    assert sum(channel.status_of(i) == "UNFULFILLED" for i in ids) == 43
    assert len(service.queue) == 43
    await service.shutdown()


async def test_other_apps_redemptions_are_marked_and_never_sent(channel: SimChannel, qtbot) -> None:
    service = QueueService(channel.broadcaster, None, undo_seconds=0.2)
    service.connect_events(channel.events)
    rewards = RewardsService(channel.broadcaster, service)
    hydrate = channel.create_reward("Hydrate")
    song = channel.create_reward("Song request")
    other = channel.create_reward("Other app's raffle", client_id=OTHER_CLIENT_ID)
    await rewards.load()
    assert service.is_foreign(other) and not service.is_foreign(hydrate)
    panel = await make_panel(service, qtbot)
    ours = [channel.redeem(hydrate, viewer=n) for n in range(3)]
    ours += [channel.redeem(song, viewer=n) for n in range(2)]
    theirs = [channel.redeem(other, viewer=n) for n in range(4)]
    await until(lambda: panel.proxy.rowCount() == 9)
    await until(lambda: not panel._counts_timer.isActive())

    # Marked in the row: the reward cell, the status column, the tooltip.
    foreign_rows = [
        r for r in range(9) if panel.proxy.index(r, Column.REWARD).data().startswith(FOREIGN_MARK)
    ]
    assert len(foreign_rows) == 4
    first = foreign_rows[0]
    assert panel.proxy.index(first, Column.STATUS).data() == FOREIGN_STATUS
    assert panel.proxy.index(first, Column.VIEWER).data(Qt.ItemDataRole.ToolTipRole) == (
        FOREIGN_REASON
    )

    # F and R are disabled on them, with the reason; the F key says it and does nothing.
    panel.select_rows(first, first)
    assert not panel.fulfill_button.isEnabled()
    assert not panel.refund_button.isEnabled()
    assert panel.fulfill_button.toolTip() == FOREIGN_REASON
    panel.table.setFocus()
    QTest.keyClick(panel.table, Qt.Key.Key_F)
    assert service.queue.live_actions() == []
    assert panel.status_label.text() == f"Cannot fulfil the selection. {FOREIGN_REASON}"

    # Bulk actions leave them out and say why; two rewards of ours: two presses.
    assert panel.refund_shown_button.text() == "Refund 5 shown"
    assert "4 shown redemption(s) left out" in panel.refund_shown_button.toolTip()
    panel.refund_shown_button.click()
    assert panel.refund_shown_button.text() == "Press again to refund 5"
    panel.refund_shown_button.click()
    await until(lambda: len(service.queue) == 4)
    assert sorted(channel.counter.id_counts("PATCH", UPDATE_PATH)) == [2, 3]
    assert {channel.status_of(i) for i in ours} == {"CANCELED"}
    assert {channel.status_of(i) for i in theirs} == {"UNFULFILLED"}
    assert set(service.queue.ids()) == set(theirs)
    await until(lambda: panel.status_label.text() == "Refunded 5")
    await rewards.shutdown()
    await service.shutdown()


async def test_rewards_made_after_start_are_marked_by_their_owner(channel: SimChannel) -> None:
    service = QueueService(channel.broadcaster, None, undo_seconds=0.2)
    rewards = RewardsService(channel.broadcaster, service)
    rewards.connect_events(channel.events)
    await rewards.load()
    changes: list[None] = []
    service.ownership_changed.connect(lambda: changes.append(None))
    # Another app's reward arrives by EventSub: marked once Helix says it is not ours.
    other = channel.create_reward("Raffle", client_id=OTHER_CLIENT_ID)
    await until(lambda: service.is_foreign(other))
    # This app's own new reward is never marked, not even while its owner is asked.
    mine = await rewards.create(title="Posture check", cost=50)
    await until(lambda: not rewards._owner_unknown)
    assert not service.is_foreign(mine.id)
    assert len(changes) == 1
    await rewards.shutdown()
    await service.shutdown()
