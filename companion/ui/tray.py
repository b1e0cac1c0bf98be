"""The system tray icon: queue count at a glance, quick toggles, desktop notifications.

On systems without a tray (some Linux desktops, offscreen test runs) the icon is not
shown; everything it offers is also reachable from the main window.

Signals:
    show_window_requested: the user clicked the icon or chose "Show Companion".
    toggle_pinned_requested: the user chose "Pinned queue".
    quit_requested: the user chose "Quit".
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from companion.core.paths import resources_dir

from .toast import Toast


class TrayIcon(QObject):
    """Owns the QSystemTrayIcon and its menu."""

    show_window_requested = Signal()
    toggle_pinned_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.notifications_enabled = True
        self.queue_count = 0
        self.signed_out_note: str | None = None
        self._icon = QSystemTrayIcon(QIcon(str(resources_dir() / "icons" / "companion.svg")), self)
        self._menu = QMenu()
        self.show_action = QAction("Show Companion", self._menu)
        self.show_action.triggered.connect(self.show_window_requested.emit)
        self.pinned_action = QAction("Pinned queue", self._menu)
        self.pinned_action.triggered.connect(self.toggle_pinned_requested.emit)
        self.quit_action = QAction("Quit", self._menu)
        self.quit_action.triggered.connect(self.quit_requested.emit)
        for action in (self.show_action, self.pinned_action, self.quit_action):
            self._menu.addAction(action)
        self._icon.setContextMenu(self._menu)
        self._icon.activated.connect(self._on_activated)
        self.toast = Toast()
        self.toast.clicked.connect(self.show_window_requested.emit)
        self.set_queue_count(0)

    def show(self) -> None:
        if self.available:
            self._icon.show()

    def hide(self) -> None:
        self._icon.hide()
        self.toast.hide()

    @property
    def tooltip(self) -> str:
        return self._icon.toolTip()

    def set_queue_count(self, count: int) -> None:
        """Show how many redemptions wait, in the tooltip."""
        self.queue_count = count
        self._update_tooltip()

    def set_signed_out(self, note: str | None) -> None:
        """Say in the tooltip that nobody is signed in (``note``), or stop saying it (None)."""
        self.signed_out_note = note
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        count = self.queue_count
        noun = "redemption" if count == 1 else "redemptions"
        waiting = f"{count} {noun} waiting"
        if self.signed_out_note is None:
            self._icon.setToolTip(f"Streamer Companion: {waiting}")
        else:
            self._icon.setToolTip(f"Streamer Companion: {self.signed_out_note}\n{waiting}")

    def notify(self, title: str, message: str) -> bool:
        """Show a desktop notification if enabled; returns whether it was shown.

        The app's own :class:`Toast`, not ``QSystemTrayIcon.showMessage``: that one may be
        Qt's balloon, which ignores the theme, and needs a system tray some desktops lack.
        """
        if not self.notifications_enabled:
            return False
        self.toast.show_message(title, message)
        return True

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_window_requested.emit()
