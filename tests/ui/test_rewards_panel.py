"""The rewards panel against the real simulator: live table, meter, forms, confirmations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import Qt

from companion.core.reward_sets import RewardSets
from companion.services.queue_service import QueueService
from companion.services.rewards_service import READ_ONLY_REASON, RewardsService
from companion.ui.rewards_model import RewardColumn
from companion.ui.rewards_panel import RewardsPanel
from tests.helpers.queue_sim import OTHER_CLIENT_ID, SimChannel, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop


@pytest.fixture
async def channel(qapp) -> AsyncIterator[SimChannel]:
    ch = SimChannel()
    await ch.start()
    try:
        yield ch
    finally:
        await ch.stop()


@pytest.fixture
async def setup(channel: SimChannel, tmp_path, qtbot):
    queue = QueueService(channel.broadcaster, None, undo_seconds=0.05)
    queue.connect_events(channel.events)
    rewards = RewardsService(channel.broadcaster, queue, RewardSets(tmp_path))
    rewards.connect_events(channel.events)
    panel = RewardsPanel(rewards)
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    yield rewards, queue, panel
    await queue.shutdown()
    await rewards.shutdown()


def cell(panel: RewardsPanel, reward_id: str, column: int) -> str:
    row = panel.model.row_of(reward_id)
    return str(panel.model.index(row, column).data())


async def test_table_meter_and_read_only_rows(channel, setup, qtmodeltester) -> None:
    rewards, _queue, panel = setup
    mine = channel.create_reward(
        "Hydrate", cost=100, is_global_cooldown_enabled=True, global_cooldown_seconds=120
    )
    theirs = channel.create_reward("Highlight", client_id=OTHER_CLIENT_ID)
    assert "Sign in" not in panel.empty_label.text()
    await rewards.load()
    qtmodeltester.check(panel.model)
    assert panel.meter_label.text() == "2 / 50 rewards"
    assert cell(panel, mine, RewardColumn.COOLDOWN) == "2 min"
    assert cell(panel, mine, RewardColumn.MANAGED) == "Yes"
    assert cell(panel, theirs, RewardColumn.MANAGED) == "No (other app)"
    row = panel.model.row_of(theirs)
    assert panel.model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole) == READ_ONLY_REASON
    panel.select_reward(theirs)
    assert panel.status_label.text() == READ_ONLY_REASON
    assert panel.adopt_button.isEnabled() and not panel.delete_button.isEnabled()
    assert panel.edit_button.text() == "View"
    panel.select_reward(mine)
    assert not panel.adopt_button.isEnabled() and panel.delete_button.isEnabled()
    assert panel.status_label.text() == ""
    # Live: another app's change shows without a reload.
    channel.sim.state.update_reward(channel.broadcaster_id, OTHER_CLIENT_ID, theirs, {"cost": 7})
    await until(lambda: cell(panel, theirs, RewardColumn.COST) == "7")
    qtmodeltester.check(panel.model)


async def test_create_through_the_form(channel, setup) -> None:
    rewards, _queue, panel = setup
    await rewards.load()
    panel.start_create()
    assert panel.form.isVisibleTo(panel)
    panel.form.title_edit.setText("Posture check")
    panel.form.cost_edit.setText("50")
    panel.form.paused_check.setChecked(True)
    panel.form.save_button.click()
    await until(lambda: rewards.count == 1)
    await rewards.wait_idle()
    [reward] = rewards.rewards.values()
    data = channel.sim.state.channels[channel.broadcaster_id].rewards[reward.id].data
    assert (data["title"], data["cost"], data["is_paused"]) == ("Posture check", 50, True)
    assert panel.status_label.text() == "Created “Posture check”."
    assert not panel.form.isVisibleTo(panel)
    assert panel.meter_label.text() == "1 / 50 rewards"


async def test_create_is_disabled_at_fifty(channel, setup) -> None:
    rewards, _queue, panel = setup
    for n in range(50):
        channel.create_reward(f"Reward {n}")
    await rewards.load()
    assert panel.meter_label.text() == "50 / 50 rewards"
    assert not panel.new_button.isEnabled()
    assert "50 rewards per channel" in panel.new_button.toolTip()
    panel.start_create()
    assert not panel.form.isVisibleTo(panel)
    assert "Twitch's maximum" in panel.status_label.text()


async def test_delete_warns_and_offers_refunds_first(channel, setup) -> None:
    rewards, queue, panel = setup
    reward = channel.create_reward("Hydrate")
    await rewards.load()
    ids = [channel.redeem(reward, viewer=n) for n in range(2)]
    await until(lambda: len(queue.queue) == 2)
    await until(lambda: cell(panel, reward, RewardColumn.WAITING) == "2")
    panel.select_reward(reward)
    panel.ask_delete()
    assert panel.confirm.isVisibleTo(panel)
    text = panel.confirm.label.text()
    assert "2 waiting redemption(s)" in text and "marks them fulfilled" in text
    assert panel.confirm.primary.text() == "Refund 2, then delete"
    assert panel.confirm.alternative.text() == "Delete without refunds"
    panel.confirm.primary.click()
    await until(lambda: reward not in rewards.rewards)
    assert [channel.status_of(i) for i in ids] == ["CANCELED", "CANCELED"]
    assert "2 waiting redemption(s) were refunded first" in panel.status_label.text()


async def test_pause_enable_and_adopt_from_the_panel(channel, setup) -> None:
    rewards, _queue, panel = setup
    mine = channel.create_reward("Hydrate")
    theirs = channel.create_reward("Highlight", client_id=OTHER_CLIENT_ID)
    await rewards.load()
    panel.select_reward(mine)
    panel.pause_button.click()
    await until(lambda: rewards.rewards[mine].paused)
    assert cell(panel, mine, RewardColumn.PAUSED) == "Paused"
    panel.enable_button.click()
    await until(lambda: not rewards.rewards[mine].enabled)
    panel.select_reward(theirs)
    panel.ask_adopt()
    panel.confirm.primary.click()
    await until(lambda: rewards.count == 3)
    await rewards.wait_idle()
    assert "Twitch dashboard" in panel.status_label.text()


async def test_reward_sets_from_the_panel(channel, setup) -> None:
    rewards, _queue, panel = setup
    a = channel.create_reward("Elden: summon")
    b = channel.create_reward("Tetris: speed", is_enabled=False)
    await rewards.load()
    panel.select_reward(a)
    panel.set_name_edit.setText("Elden Ring")
    panel.save_set_button.click()
    panel.select_reward(b)
    panel.set_name_edit.setText("Tetris")
    panel.save_set_button.click()
    assert [panel.sets_combo.itemText(i) for i in range(panel.sets_combo.count())] == [
        "Elden Ring (1)",
        "Tetris (1)",
    ]
    assert panel.sets_combo.currentData() == "Tetris"
    panel.apply_set_button.click()
    await until(lambda: rewards.rewards[b].enabled and not rewards.rewards[a].enabled)
    assert "2 reward(s) changed" in panel.status_label.text()
    panel.disable_set_button.click()
    await until(lambda: not rewards.rewards[b].enabled)
    assert not rewards.rewards[a].enabled
    assert "1 reward(s) changed" in panel.status_label.text()
