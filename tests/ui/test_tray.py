"""The tray icon's count, menu and notification switch."""

from __future__ import annotations

from companion.ui.tray import TrayIcon


def test_count_in_tooltip(qtbot) -> None:
    tray = TrayIcon()
    assert tray.tooltip == "Streamer Companion: 0 redemptions waiting"
    tray.set_queue_count(1)
    assert tray.tooltip == "Streamer Companion: 1 redemption waiting"
    tray.set_queue_count(12)
    assert tray.queue_count == 12
    assert tray.tooltip == "Streamer Companion: 12 redemptions waiting"


def test_menu_actions_emit(qtbot) -> None:
    tray = TrayIcon()
    with qtbot.waitSignal(tray.toggle_pinned_requested, timeout=1000):
        tray.pinned_action.trigger()
    with qtbot.waitSignal(tray.show_window_requested, timeout=1000):
        tray.show_action.trigger()
    with qtbot.waitSignal(tray.quit_requested, timeout=1000):
        tray.quit_action.trigger()


def test_notifications_respect_the_switch_and_the_platform(qtbot) -> None:
    tray = TrayIcon()
    tray.show()
    # Offscreen has no system tray: nothing is shown, and nothing breaks.
    assert tray.available is False
    assert tray.notify("New redemption", "viewer1 redeemed Hydrate") is False
    tray.notifications_enabled = False
    assert tray.notify("New redemption", "x") is False
