"""Desktop notifications for new redemptions: one per redemption, a summary per burst,
and nothing when switched off."""

from __future__ import annotations

import json

import pytest

from companion.app_panels import PanelSet
from companion.twitch.http import HTTPHandler
from companion.twitch.models.channel_points import CustomRewardRedemption
from companion.twitch.tokens import SimpleTokenHandler
from companion.ui.settings import AppSettings
from companion.ui.tray import TrayIcon
from tests.helpers.reference import REFERENCE

EXAMPLE = (
    REFERENCE / "eventsub" / "channel.channel_points_custom_reward_redemption.add.payload.json"
)


class RecordingTray(TrayIcon):
    """A tray that shows every notification (offscreen has no real tray) and records it."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[str, str]] = []

    def notify(self, title: str, message: str) -> bool:
        if not self.notifications_enabled:
            return False
        self.shown.append((title, message))
        return True


@pytest.fixture
def redemption() -> CustomRewardRedemption:
    event = json.loads(EXAMPLE.read_text(encoding="utf-8"))["event"]
    http = HTTPHandler(SimpleTokenHandler("x" * 30, "client"))
    return CustomRewardRedemption.from_eventsub(http, event)


def test_one_then_a_summary_then_off(qtbot, scratch_data_dir, redemption, monkeypatch) -> None:
    panels = PanelSet(AppSettings(), None, lambda text: None)
    tray = RecordingTray()
    panels._tray = tray
    clock = [100.0]
    monkeypatch.setattr("companion.app_panels.time.monotonic", lambda: clock[0])
    panels._notify_redemption(redemption)
    viewer = redemption.user.name
    title = redemption.reward.title
    assert tray.shown == [("New redemption", f"{viewer} redeemed {title}: {redemption.input}")]
    for _ in range(4):
        clock[0] += 1
        panels._notify_redemption(redemption)
    assert len(tray.shown) == 1  # a burst is not a flood
    clock[0] += 10
    panels._notify_redemption(redemption)
    assert tray.shown[-1] == (
        "New redemption",
        f"5 new redemptions, the latest {title} by {viewer}",
    )
    tray.notifications_enabled = False
    clock[0] += 60
    panels._notify_redemption(redemption)
    assert len(tray.shown) == 2


def test_skip_queue_redemptions_are_not_notified(qtbot, scratch_data_dir, monkeypatch) -> None:
    """A skip-queue reward's redemption arrives FULFILLED: nothing to do, nothing to say."""
    event = json.loads(EXAMPLE.read_text(encoding="utf-8"))["event"]
    http = HTTPHandler(SimpleTokenHandler("x" * 30, "client"))
    done = CustomRewardRedemption.from_eventsub(http, {**event, "status": "fulfilled"})
    waiting = CustomRewardRedemption.from_eventsub(http, event)
    panels = PanelSet(AppSettings(), None, lambda text: None)
    tray = RecordingTray()
    panels._tray = tray
    clock = [100.0]
    monkeypatch.setattr("companion.app_panels.time.monotonic", lambda: clock[0])
    panels._notify_redemption(done)
    assert tray.shown == []
    clock[0] += 60
    panels._notify_redemption(waiting)
    # The skipped one is not counted into the next notification either.
    assert tray.shown == [
        ("New redemption", f"{waiting.user.name} redeemed {waiting.reward.title}: {waiting.input}")
    ]
