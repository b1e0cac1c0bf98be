"""Renders the queue, pinned, rewards and history screens in both themes.

Each screen is grabbed offscreen; the test fails on any Qt warning while building or
painting them (qt_log_level_fail). With ``COMPANION_SCREENSHOTS=<folder>`` the PNGs are
written there (``docs/screenshots`` holds the committed ones).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from companion.core.ledger import Ledger
from companion.services.queue_service import QueueService
from companion.services.rewards_service import RewardsService
from companion.twitch.models.channel_points import CustomReward
from companion.twitch.models.users import PartialUser
from companion.ui.history_view import HistoryView
from companion.ui.pinned_window import PinnedQueueWindow
from companion.ui.queue_model import QueueTableModel
from companion.ui.queue_panel import QueuePanel
from companion.ui.rewards_panel import RewardsPanel
from companion.ui.settings import AppSettings
from companion.ui.theme import ThemeChoice, apply_theme
from tests.helpers.core_fakes import BASE_TIME, redemption
from tests.helpers.fake_clock import FakeScheduler

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

REWARDS = {
    "hyd": ("Hydrate!", "#1F69FF", 100),
    "song": ("Song request", "#9147FF", 500),
    "shout": ("Shout-out", "#E91916", 1000),
    "game": ("Pick the next game", "#00C8AF", 2000),
}
VIEWERS = ["AnaPlays", "ByteBard", "cozy_carl", "DeeVee", "EliLurks", "FrostByte"]
INPUTS = [None, "Darude - Sandstorm", None, "lofi hip hop beats to study to, the long one", None]


def records():
    out = []
    for n in range(1, 15):
        reward = ["hyd", "song", "shout", "game"][n % 4]
        title, color, cost = REWARDS[reward]
        rec = redemption(
            n,
            reward_id=reward,
            seconds=n * 37,
            user_login=VIEWERS[n % 6].lower(),
            user_name=VIEWERS[n % 6],
            user_input=INPUTS[n % 5] if reward == "song" else None,
        )
        out.append(replace(rec, reward_title=title, reward_color=color, reward_cost=cost))
    return out


def reward_payload(reward_id: str, **over) -> dict:
    title, color, cost = REWARDS.get(reward_id, ("Highlight my message", "#FF6905", 300))
    base = {
        "broadcaster_id": "1337",
        "broadcaster_login": "democaster",
        "broadcaster_name": "DemoCaster",
        "id": reward_id,
        "title": title,
        "prompt": "",
        "cost": cost,
        "image": None,
        "default_image": None,
        "background_color": color,
        "is_enabled": True,
        "is_user_input_required": False,
        "max_per_stream_setting": {"is_enabled": False, "max_per_stream": 0},
        "max_per_user_per_stream_setting": {"is_enabled": False, "max_per_user_per_stream": 0},
        "global_cooldown_setting": {"is_enabled": False, "global_cooldown_seconds": 0},
        "is_paused": False,
        "is_in_stock": True,
        "should_redemptions_skip_request_queue": False,
        "redemptions_redeemed_current_stream": 4,
        "cooldown_expires_at": None,
    }
    base.update(over)
    return base


def out_dir(tmp_path: Path) -> Path:
    target = os.environ.get("COMPANION_SCREENSHOTS")
    return Path(target) if target else tmp_path


def grab(widget: QWidget, path: Path) -> None:
    widget.show()
    QApplication.processEvents()  # layout requests are posted events
    widget.repaint()
    image = widget.grab()
    assert not image.isNull()
    assert image.save(str(path))


@pytest.mark.parametrize("theme", [ThemeChoice.LIGHT, ThemeChoice.DARK])
def test_screens(qapp, qtbot, qloop, tmp_path, theme: ThemeChoice) -> None:
    folder = out_dir(tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    apply_theme(qapp, theme)
    name = theme.value
    try:
        # -- queue: a few pending, one failed
        service = QueueService(None, None, undo_seconds=5, scheduler=FakeScheduler())
        service.queue.add_many(records())
        # One redemption of a reward another app made: marked, left out of actions.
        raffle = redemption(15, reward_id="raffle", seconds=500, user_login="deevee")
        service.queue.add(
            replace(
                raffle, reward_title="Raffle ticket", reward_color="#FF6905", user_name="DeeVee"
            )
        )
        service.set_foreign_rewards({"raffle"})
        model = QueueTableModel(service.queue, now=lambda: BASE_TIME + timedelta(minutes=9))
        panel = QueuePanel(service, model)
        qtbot.addWidget(panel)
        panel.resize(1000, 560)
        service.fulfill(["r00002", "r00003"])
        row = service.queue.get("r00005")
        assert row is not None
        service.queue._set_rows(
            {"r00005": replace(row, error="Twitch refused (403): only the creating app")}
        )
        panel.refresh_reward_filter()
        panel.show_status("Fulfil 2 redemption(s) in 5 s. Ctrl+Z to undo.")
        grab(panel, folder / f"queue-{name}.png")

        empty_service = QueueService(None, None)
        empty = QueuePanel(empty_service, QueueTableModel(empty_service.queue))
        qtbot.addWidget(empty)
        empty.resize(800, 360)
        grab(empty, folder / f"queue-empty-{name}.png")

        settings = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
        pinned = PinnedQueueWindow(service, model, settings)
        qtbot.addWidget(pinned)
        # The size the pinned window is made for: beside a game (issue 16).
        pinned.resize(340, 260)
        pinned.view.select_rows(3, 3)
        pinned.view.show_status("Fulfil 2 redemption(s) in 5 s.", "Fulfil 2 in 5 s · Ctrl+Z")
        grab(pinned, folder / f"pinned-340-{name}.png")

        # -- rewards: ours and another app's, one selected in the form
        # A broadcaster that never sends anything: the screens only need it to exist.
        rewards = RewardsService(PartialUser(None, "1337"), service)  # type: ignore[arg-type]
        for reward_id, extra in (
            ("hyd", {}),
            ("song", {"is_user_input_required": True, "prompt": "Artist and song title"}),
            (
                "shout",
                {"global_cooldown_setting": {"is_enabled": True, "global_cooldown_seconds": 60}},
            ),
            (
                "game",
                {
                    "max_per_stream_setting": {"is_enabled": True, "max_per_stream": 3},
                    "is_paused": True,
                },
            ),
            ("other", {}),
        ):
            reward = CustomReward(None, reward_payload(reward_id, **extra))  # type: ignore[arg-type]
            rewards.rewards[reward.id] = reward
            if reward_id != "other":
                rewards.manageable.add(reward.id)
        rewards.loaded = True
        rewards_panel = RewardsPanel(rewards)
        qtbot.addWidget(rewards_panel)
        rewards.rewards_loaded.emit()
        rewards_panel.resize(1280, 620)
        rewards_panel.select_reward("song")
        rewards_panel.start_edit()
        rewards_panel.form.cost_edit.setText("0")
        grab(rewards_panel, folder / f"rewards-{name}.png")
        rewards_panel.select_reward("other")
        rewards_panel.form.hide()
        grab(rewards_panel, folder / f"rewards-readonly-{name}.png")
        rewards_panel.select_reward("song")
        rewards_panel.ask_delete()
        assert "4 waiting redemption(s)" in rewards_panel.confirm.label.text()
        grab(rewards_panel, folder / f"rewards-delete-{name}.png")
        rewards_panel.confirm.cancel.click()

        # -- history
        ledger = Ledger(tmp_path / f"ledger-{name}.sqlite3")
        ledger.record_redemptions(records())
        ledger.record_status([("r00001", "FULFILLED"), ("r00004", "CANCELED")])
        ledger.record_status([("r00006", "FULFILLED")], note="handled elsewhere")
        history = HistoryView(ledger)
        qtbot.addWidget(history)
        history.resize(1100, 520)
        with qtbot.waitSignal(history.searched, timeout=2000):
            history.search()
        history.path_edit.setText("~/redemptions.csv")
        grab(history, folder / f"history-{name}.png")
        ledger.close()
    finally:
        qapp.setStyleSheet("")
