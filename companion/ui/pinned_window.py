"""The pinned queue: a small always-on-top window over the game, same queue, same keys.

It shows the one shared :class:`QueueTableModel` through its own filter proxy, so it
and the main panel are always in sync, and remembers its size, position, opacity and
reward filter in the settings (``windows/pinned/...``). Made to sit beside a game: at
340x260 it shows 8 rows of reward, viewer and age (the input on hover), and keeps its
opacity and the key list in a "⋯" menu rather than in rows of their own. While nobody is
signed in (:meth:`PinnedQueueWindow.set_signed_out`) its queue is disabled like the main
window's panels, with the reason on one line above it. The lead wires
the tray's toggle to :meth:`PinnedQueueWindow.toggle`; :func:`install_toggle_shortcut`
adds Ctrl+P to a window.
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
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from .elided_label import ElidedLabel
from .queue_panel import QueueView

if TYPE_CHECKING:
    from companion.services.queue_service import QueueService

    from .queue_model import QueueTableModel
    from .queue_panel import QueuePanel
    from .settings import AppSettings

__all__ = [
    "DEFAULT_SIZE",
    "KEY_LINES",
    "PINNED_WINDOW_NAME",
    "TOGGLE_SHORTCUT",
    "PinnedQueueWindow",
    "attach_pinned",
    "install_toggle_shortcut",
]

_log = logging.getLogger(__name__)

PINNED_WINDOW_NAME = "pinned"
TOGGLE_SHORTCUT = "Ctrl+P"
#: The keys, as the menu lists them (the window has no room for a legend).
KEY_LINES = (
    "F fulfil  ·  R refund  ·  Ctrl+Z undo",
    "Ctrl+A select all  ·  Ctrl+F search  ·  Esc clear",
    "↓ first row  ·  after F or R: the next row",
)
_DEFAULT_OPACITY = 0.95
#: The first size: small enough to sit beside a game (its layout is made for 340x260).
DEFAULT_SIZE = (340, 280)


class PinnedQueueWindow(QWidget):
    """A compact, always-on-top window showing the queue.

    Signals:
        visibility_changed(bool): shown or hidden (the tray menu's check mark).
        sign_in_requested(): the signed-out line's "Sign in…" button was pressed.

    Args:
        service: The queue service.
        model: The shared source model (the main panel's).
        settings: Where geometry and opacity persist.
        frameless: Drop the title bar (drag by the header strip then is up to the WM).
    """

    visibility_changed = Signal(bool)
    sign_in_requested = Signal()

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
        self.setMinimumSize(300, 200)
        self._settings = settings
        self.opacity = _DEFAULT_OPACITY

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        # -- signed out: one line saying why (the whole sentence in its tooltip), and a way
        # back; hidden while signed in
        self.signed_out_bar = QWidget()
        bar = QHBoxLayout(self.signed_out_bar)
        bar.setContentsMargins(6, 4, 4, 0)
        bar.setSpacing(4)
        self.signed_out_label = ElidedLabel()
        self.signed_out_label.setProperty("role", "notice")
        self.sign_in_button = QPushButton("Sign in…")
        self.sign_in_button.setProperty("compact", True)
        self.sign_in_button.clicked.connect(self.sign_in_requested.emit)
        bar.addWidget(self.signed_out_label, 1)
        bar.addWidget(self.sign_in_button)
        self.signed_out_bar.hide()
        layout.addWidget(self.signed_out_bar)
        self.view = QueueView(service, model, compact=True)
        layout.addWidget(self.view, 1)

        # -- the "⋯" menu: opacity, the keys, hide; nothing here costs a row of the queue
        self.menu = QMenu(self)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(20, 100)
        self.opacity_slider.setToolTip("Window opacity (saved)")
        self.opacity_slider.setMinimumWidth(140)
        strip = QWidget()
        row = QHBoxLayout(strip)
        row.setContentsMargins(10, 4, 10, 4)
        self.opacity_label = QLabel("Opacity")
        row.addWidget(self.opacity_label)
        row.addWidget(self.opacity_slider, 1)
        opacity_action = QWidgetAction(self.menu)
        opacity_action.setDefaultWidget(strip)
        self.menu.addAction(opacity_action)
        self.menu.addSeparator()
        for keys in KEY_LINES:
            self.menu.addAction(keys).setEnabled(False)
        self.menu.addSeparator()
        hide = self.menu.addAction(f"Hide ({TOGGLE_SHORTCUT})")
        hide.triggered.connect(self.toggle)
        self.menu_button = QToolButton()
        self.menu_button.setText("\u22ef")  # ⋯ midline horizontal ellipsis
        self.menu_button.setToolTip("Opacity and keys")
        self.menu_button.setAccessibleName("Pinned queue menu")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setMenu(self.menu)
        self.view.filter_row.addWidget(self.menu_button)

        opacity = settings.window_opacity(PINNED_WINDOW_NAME, _DEFAULT_OPACITY)
        self.opacity_slider.setValue(round(opacity * 100))
        self._apply_opacity(opacity)
        self.opacity_slider.valueChanged.connect(self._opacity_changed)

        remembered = settings.window_filter(PINNED_WINDOW_NAME)
        if remembered is not None:
            self.view.restore_reward_filter(*remembered)
        self.view.reward_filter_changed.connect(self._filter_changed)

        geometry = settings.window_geometry(PINNED_WINDOW_NAME)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)

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

    def set_signed_out(self, status: str | None, reason: str | None = None) -> None:
        """Disable the queue and say why (None: signed in again, enable it).

        The whole view is disabled, as the main window's queue panel is: F, R and Ctrl+Z,
        the buttons and the filters stop until the account is back; the rows stay. Ctrl+P
        and closing still hide the window.

        Args:
            status: The one line shown above the queue (the status bar's text).
            reason: The whole sentence, with what to do next: the line's tooltip.
        """
        signed_out = status is not None
        tooltip = (reason or status) if status is not None else ""
        self.signed_out_label.setText(status or "")
        self.signed_out_bar.setToolTip(tooltip)
        self.view.setToolTip(tooltip)
        self.signed_out_bar.setVisible(signed_out)
        self.view.setEnabled(not signed_out)

    def _apply_opacity(self, opacity: float) -> None:
        self.opacity = opacity
        # The offscreen platform (tests, screenshots) has no compositor and warns on every
        # call; the value is still saved and shown on the slider.
        if QGuiApplication.platformName() != "offscreen":
            self.setWindowOpacity(opacity)

    def _filter_changed(self, reward_id: str, title: str) -> None:
        self._settings.set_window_filter(PINNED_WINDOW_NAME, reward_id or None, title)

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
