"""The tray icon's count, menu and notification switch."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from companion.ui.theme import ThemeChoice, apply_theme, palette_for
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


def test_notifications_respect_the_switch_without_a_tray(qtbot) -> None:
    tray = TrayIcon()
    tray.show()
    # Offscreen has no system tray: the icon is not shown, the app's own toast is.
    assert tray.available is False
    assert tray.notify("New redemption", "viewer1 redeemed Hydrate") is True
    tray.toast.hide()
    tray.notifications_enabled = False
    assert tray.notify("New redemption", "x") is False
    assert not tray.toast.isVisible()


@pytest.mark.parametrize("theme", [ThemeChoice.LIGHT, ThemeChoice.DARK])
def test_notification_follows_the_theme(qtbot, qapp, theme: ThemeChoice) -> None:
    apply_theme(qapp, theme)
    try:
        tray = TrayIcon()
        # Shown without a system tray too (offscreen has none), and never takes the focus.
        assert tray.notify("New redemption", "AnaPlays redeemed Hydrate!") is True
        toast = tray.toast
        qtbot.waitExposed(toast)
        assert toast.isVisible()
        assert toast.title_label.text() == "New redemption"
        assert toast.message_label.text() == "AnaPlays redeemed Hydrate!"
        assert toast.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        image = toast.grab().toImage()
        background = QColor(image.pixel(image.width() - 4, image.height() // 2)).name()
        expected = palette_for(theme).color(palette_for(theme).ColorRole.AlternateBase).name()
        assert background == expected
        QApplication.processEvents()
        assert QApplication.activeWindow() is not toast
        toast.hide()
    finally:
        qapp.setStyleSheet("")
