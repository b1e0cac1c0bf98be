"""The rewards table stays live mid-stream (issue 16, item 7): "this stream" counts and
cooldowns follow redemptions as they arrive, the keys work right after the form saves,
and the title column gets the spare width without ever being cut."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyle

from companion.services.queue_service import QueueService
from companion.services.rewards_service import RewardsService
from companion.twitch.models.channel_points import CustomReward
from companion.twitch.models.users import PartialUser
from companion.ui.reward_form import DEFAULT_COLOR
from companion.ui.rewards_model import RewardColumn
from companion.ui.rewards_panel import RewardsPanel
from companion.ui.theme import ThemeChoice, apply_theme
from tests.helpers.qt_windows import show_active_async
from tests.helpers.queue_sim import SimChannel, reward_payload, until

REWARDS_PATH = "/channel_points/custom_rewards"


@pytest.fixture
def channel(sim_channel: SimChannel) -> SimChannel:
    return sim_channel


@pytest.fixture
async def setup(channel: SimChannel, qtbot):
    queue = QueueService(channel.broadcaster, None, undo_seconds=0.05)
    queue.connect_events(channel.events)
    rewards = RewardsService(channel.broadcaster, queue)
    rewards.connect_events(channel.events)
    panel = RewardsPanel(rewards)
    qtbot.addWidget(panel)
    panel.resize(1280, 600)
    yield rewards, queue, panel
    await queue.shutdown()
    await rewards.shutdown()


def cell(panel: RewardsPanel, reward_id: str, column: int) -> str:
    return str(panel.model.index(panel.model.row_of(reward_id), column).data())


def reads(channel: SimChannel) -> int:
    return channel.counter.count("GET", REWARDS_PATH)


@pytest.mark.qt_loop
async def test_this_stream_and_cooldown_follow_redemptions(channel, setup) -> None:
    rewards, _queue, panel = setup
    channel.sim.state.set_stream_live(channel.broadcaster_id, True)
    hydrate = channel.create_reward("Hydrate")
    shout = channel.create_reward(
        "Shout-out", is_global_cooldown_enabled=True, global_cooldown_seconds=120
    )
    await rewards.load()
    assert cell(panel, hydrate, RewardColumn.THIS_STREAM) == "0"
    assert cell(panel, shout, RewardColumn.COOLDOWN_UNTIL) == "—"
    read_before = reads(channel)
    seen = []
    channel.events.redemption_added.connect(seen.append)
    for n in range(3):
        channel.redeem(hydrate, viewer=n)
    shout_id = channel.redeem(shout, viewer=4)
    await until(lambda: cell(panel, hydrate, RewardColumn.THIS_STREAM) == "3")
    await until(lambda: cell(panel, shout, RewardColumn.THIS_STREAM) == "1")
    # Twitch's cooldown starts at the redemption: the table says until when.
    [shout_redemption] = [r for r in seen if r.id == shout_id]
    ends = (shout_redemption.redeemed_at + timedelta(seconds=120)).astimezone()
    assert cell(panel, shout, RewardColumn.COOLDOWN_UNTIL) == ends.strftime("%H:%M:%S")
    # EventSub delivers at least once: a repeat is not counted twice.
    channel.events.redemption_added.emit(seen[0])
    assert cell(panel, hydrate, RewardColumn.THIS_STREAM) == "3"
    assert reads(channel) == read_before  # live from events, not re-read
    # A fresh read agrees with what the table counted.
    await rewards.load()
    assert cell(panel, hydrate, RewardColumn.THIS_STREAM) == "3"


@pytest.mark.qt_loop
async def test_offline_counts_stay_unknown(channel, setup) -> None:
    rewards, _queue, panel = setup
    hydrate = channel.create_reward("Hydrate")
    await rewards.load()
    channel.redeem(hydrate)
    await until(lambda: len(_queue.queue) == 1)
    # Twitch gives no count while offline; the table does not invent one.
    assert cell(panel, hydrate, RewardColumn.THIS_STREAM) == "—"


@pytest.mark.qt_loop
async def test_keys_work_right_after_the_form_saves(channel, setup, qtbot) -> None:
    rewards, _queue, panel = setup
    await rewards.load()
    await show_active_async(panel)
    QTest.keyClick(panel, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert panel.form.isVisibleTo(panel)
    QTest.keyClicks(panel.form.title_edit, "Posture check")
    panel.form.cost_edit.setText("50")
    QTest.keyClick(panel.form.cost_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await until(lambda: rewards.count == 1 and not panel.form.isVisibleTo(panel))
    [reward_id] = rewards.rewards
    sim_reward = channel.sim.state.channels[channel.broadcaster_id].rewards[reward_id]
    # The colour the form's swatch showed is the one Twitch saved (not Twitch's default).
    assert sim_reward.data["background_color"] == DEFAULT_COLOR
    # No click: the keys go to the table, where the new reward is selected.
    focus = QApplication.focusWidget()
    assert focus is panel.table
    assert [r.id for r in panel.selected_rewards()] == [reward_id]
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    QTest.keyClick(focus, Qt.Key.Key_P, modifiers)
    await until(lambda: sim_reward.data["is_paused"])
    QTest.keyClick(focus, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    await until(lambda: not sim_reward.data["is_enabled"])
    # The same after editing: Enter opens the form, Ctrl+Enter saves, Ctrl+E works again.
    QTest.keyClick(panel.table, Qt.Key.Key_Return)
    assert panel.form.isVisibleTo(panel)
    panel.form.cost_edit.setText("75")
    QTest.keyClick(panel.form.cost_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await until(lambda: sim_reward.data["cost"] == 75 and not panel.form.isVisibleTo(panel))
    assert QApplication.focusWidget() is panel.table
    assert [r.id for r in panel.selected_rewards()] == [reward_id]
    QTest.keyClick(panel.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    await until(lambda: sim_reward.data["is_enabled"])


TITLES = (
    "Pick the next game",
    "Hydrate!",
    "Highlight my message",
    "Emote-only minute",
    "Song request",
    "Posture check",
    "Shout-out",
)


def make_panel(qtbot) -> RewardsPanel:
    service = RewardsService(PartialUser(None, "1"))  # type: ignore[arg-type]  # never sends
    for n, title in enumerate(TITLES):
        payload = reward_payload(id=f"r{n}", title=title, cost=100 * (n + 1))
        reward = CustomReward(None, payload)  # type: ignore[arg-type]
        service.rewards[reward.id] = reward
        service.manageable.add(reward.id)
    panel = RewardsPanel(service)
    qtbot.addWidget(panel)
    service.rewards_loaded.emit()
    return panel


def title_room(panel: RewardsPanel) -> int:
    """The text width the title cell has (its width less the swatch and margins)."""
    table = panel.table
    style = table.style()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    icon = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, table)
    return table.columnWidth(RewardColumn.TITLE) - icon - 4 * margin


@pytest.fixture
def themed(qapp):
    """The app's light theme (its header padding is what squeezed the title)."""
    apply_theme(qapp, ThemeChoice.LIGHT)
    yield
    qapp.setStyleSheet("")


@pytest.mark.parametrize("width", [1168, 1500])  # the main window's tab at 1,180 px, and wider
def test_title_column_gets_the_spare_width(qtbot, themed, width: int) -> None:
    panel = make_panel(qtbot)
    panel.table.sortByColumn(RewardColumn.COST, Qt.SortOrder.AscendingOrder)  # an arrow shown
    panel.resize(width, 500)
    panel.show()
    qtbot.waitExposed(panel)
    QApplication.processEvents()
    table = panel.table
    others = sum(table.columnWidth(c) for c in range(RewardColumn.COUNT) if c != RewardColumn.TITLE)
    assert table.columnWidth(RewardColumn.TITLE) == table.viewport().width() - others
    assert not table.horizontalScrollBar().isVisible()


def test_title_is_never_cut_when_the_form_narrows_the_table(qtbot, themed) -> None:
    panel = make_panel(qtbot)
    panel.resize(1280, 620)
    panel.show()
    qtbot.waitExposed(panel)
    panel.select_reward("r0")
    panel.start_edit()
    QApplication.processEvents()
    metrics = panel.table.fontMetrics()
    widest = max(metrics.horizontalAdvance(t) for t in TITLES)
    assert widest <= title_room(panel)
    # The title stays in view; the other columns scroll.
    assert panel.table.horizontalHeader().sectionViewportPosition(RewardColumn.TITLE) == 0
