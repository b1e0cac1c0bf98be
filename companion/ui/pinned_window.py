"""The pinned queue: a small always-on-top window over the game, same queue, same keys.

It shows the one shared :class:`QueueTableModel` through its own filter proxy, so it
and the main panel are always in sync, and remembers its size, position and opacity
in the settings (``windows/pinned/...``). The lead wires the tray's toggle to
:meth:`PinnedQueueWindow.toggle`; :func:`install_toggle_shortcut` adds Ctrl+P to a window.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QGuiApplication,
    QHideEvent,
    QKeySequence,
    QMoveEvent,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from .queue_panel import QueueView

if TYPE_CHECKING:
    from companion.services.queue_service import QueueService

    from .queue_model import QueueTableModel
    from .queue_panel import QueuePanel
    from .settings import AppSettings

__all__ = [
    "PINNED_WINDOW_NAME",
    "TOGGLE_SHORTCUT",
    "PinnedQueueWindow",
    "attach_pinned",
    "install_toggle_shortcut",
]

_log = logging.getLogger(__name__)

PINNED_WINDOW_NAME = "pinned"
TOGGLE_SHORTCUT = "Ctrl+P"
_DEFAULT_OPACITY = 0.95


class PinnedQueueWindow(QWidget):
    """A compact, always-on-top window showing the queue.

    Signals:
        visibility_changed(bool): shown or hidden (the tray menu's check mark).

    Args:
        service: The queue service.
        model: The shared source model (the main panel's).
        settings: Where geometry and opacity persist.
        frameless: Drop the title bar (drag by the header strip then is up to the WM).
    """

    visibility_changed = Signal(bool)

    def __init__(
        self,
        service: QueueService,
        model: QueueTableModel,
        settings: AppSettings,
        *,
        frameless: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        flags = Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint
        if frameless:
            flags |= Qt.WindowType.FramelessWindowHint
        self.setWindowFlags(flags)
        self.setWindowTitle("Redemption queue (pinned)")
        self.setMinimumSize(320, 220)
        self._settings = settings
        self.opacity = _DEFAULT_OPACITY

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.view = QueueView(service, model, compact=True)
        layout.addWidget(self.view, 1)

        strip = QHBoxLayout()
        strip.setContentsMargins(6, 0, 6, 4)
        self.opacity_label = QLabel("Opacity")
        self.opacity_label.setStyleSheet("font-size: 9pt;")
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(20, 100)
        self.opacity_slider.setToolTip("Window opacity (saved)")
        strip.addWidget(self.opacity_label)
        strip.addWidget(self.opacity_slider, 1)
        layout.addLayout(strip)

        opacity = settings.window_opacity(PINNED_WINDOW_NAME, _DEFAULT_OPACITY)
        self.opacity_slider.setValue(round(opacity * 100))
        self._apply_opacity(opacity)
        self.opacity_slider.valueChanged.connect(self._opacity_changed)

        geometry = settings.window_geometry(PINNED_WINDOW_NAME)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(460, 360)

        # Moves and resizes are saved shortly after they stop, so a crash or a quit
        # while the window is open still keeps its place.
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(500)
        self._save_timer.timeout.connect(self.save_geometry)

        close = QShortcut(QKeySequence(TOGGLE_SHORTCUT), self)
        close.setContext(Qt.ShortcutContext.WindowShortcut)
        close.activated.connect(self.toggle)

    def __repr__(self) -> str:
        return f"PinnedQueueWindow(visible={self.isVisible()})"

    def _apply_opacity(self, opacity: float) -> None:
        self.opacity = opacity
        # The offscreen platform (tests, screenshots) has no compositor and warns on every
        # call; the value is still saved and shown on the slider.
        if QGuiApplication.platformName() != "offscreen":
            self.setWindowOpacity(opacity)

    def _opacity_changed(self, value: int) -> None:
        opacity = value / 100
        self._apply_opacity(opacity)
        self._settings.set_window_opacity(PINNED_WINDOW_NAME, opacity)

    def save_geometry(self) -> None:
        """Persist size and position now."""
        self._settings.set_window_geometry(PINNED_WINDOW_NAME, self.saveGeometry())
        self._settings.sync()

    def toggle(self) -> None:
        """Show (raised, on top) or hide."""
        if self.isVisible():
            self.hide()
        else:
            self.show()
            if QGuiApplication.platformName() != "offscreen":  # it warns there; no stacking
                self.raise_()
            self.activateWindow()
        self.visibility_changed.emit(self.isVisible())

    def moveEvent(self, event: QMoveEvent) -> None:
        super().moveEvent(event)
        if self.isVisible():
            self._save_timer.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.isVisible():
            self._save_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.save_geometry()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing only hides: the tray and Ctrl+P bring it back with the same geometry.
        self.save_geometry()
        event.ignore()
        self.hide()
        self.visibility_changed.emit(False)


def install_toggle_shortcut(host: QWidget, window: PinnedQueueWindow) -> QShortcut:
    """Ctrl+P in ``host`` (the main window) toggles the pinned queue."""
    shortcut = QShortcut(QKeySequence(TOGGLE_SHORTCUT), host)
    shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
    shortcut.activated.connect(window.toggle)
    return shortcut


def attach_pinned(host: QWidget, panel: QueuePanel, window: PinnedQueueWindow) -> QShortcut:
    """Wire the pinned window into the app: Ctrl+P in ``host`` and the panel's button."""
    panel.pin_requested.connect(window.toggle)
    return install_toggle_shortcut(host, window)
