"""The app's own desktop notification: a small themed toast at a corner of the screen.

``QSystemTrayIcon.showMessage`` either goes to the desktop's notification service or,
without one, to a balloon Qt draws with a fixed light-yellow palette (it ignores the
app's theme, and looked broken in the dark theme). This toast follows the theme's style
sheet, needs no system tray, and never takes the focus from the game.

Signals:
    clicked(): the toast was clicked (the app brings its window forward).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QMouseEvent

__all__ = ["Toast"]

#: How long a toast stays (the tray balloon's time).
TOAST_MS = 4000
_WIDTH = 320
_MARGIN = 16


class Toast(QFrame):
    """A frameless, always-on-top note that hides itself after :data:`TOAST_MS`."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            parent,
            Qt.WindowType.ToolTip
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowDoesNotAcceptFocus,
        )
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setObjectName("toast")  # the themes style QFrame#toast
        self.setFixedWidth(_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(2)
        self.title_label = QLabel()
        self.title_label.setObjectName("toastTitle")
        self.message_label = QLabel()
        self.message_label.setObjectName("toastMessage")
        self.message_label.setWordWrap(True)
        for label in (self.title_label, self.message_label):
            label.setTextFormat(Qt.TextFormat.PlainText)  # viewer text is never markup
            layout.addWidget(label)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TOAST_MS)
        self._timer.timeout.connect(self.hide)

    def show_message(self, title: str, message: str) -> None:
        """Show (or replace) the note at the bottom-right of the screen."""
        self.title_label.setText(title)
        self.message_label.setText(message)
        self.adjustSize()
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            self.move(
                area.right() - self.width() - _MARGIN, area.bottom() - self.height() - _MARGIN
            )
        self.show()
        self._timer.start()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.hide()
        self.clicked.emit()
        event.accept()
