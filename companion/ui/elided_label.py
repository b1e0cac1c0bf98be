"""A one-line label that cuts long text with "…" instead of widening its window.

A plain ``QLabel`` asks its layout for the full width of its text; in a status bar, a long
message made the main window 2,802 px wide, and it never shrank back. This label asks for
little (:data:`MIN_WIDTH`), paints as much as fits, and shows the whole text as a tooltip
when it is cut. :meth:`text` stays the whole text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QPaintEvent, QResizeEvent

#: The least width the label asks its layout for (px).
MIN_WIDTH = 40
#: The most width the label asks for, however long its text (px).
MAX_HINT_WIDTH = 520


class ElidedLabel(QLabel):
    """A single-line label whose text is elided to its width (full text in the tooltip)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(False)
        self._update_tooltip()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tooltip()
        self.updateGeometry()

    def one_line(self) -> str:
        """The text as one line (line breaks and runs of spaces become one space)."""
        return " ".join(self.text().split())

    def shown_text(self) -> str:
        """What is painted at the current width."""
        return self.fontMetrics().elidedText(
            self.one_line(), Qt.TextElideMode.ElideRight, max(0, self.contentsRect().width())
        )

    def is_elided(self) -> bool:
        """True when the text does not fit and is cut."""
        return self.shown_text() != self.one_line()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), MIN_WIDTH), hint.height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(min(hint.width(), MAX_HINT_WIDTH), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tooltip()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment() | Qt.AlignmentFlag.AlignVCenter),
            self.palette(),
            self.isEnabled(),
            self.shown_text(),
            self.foregroundRole(),
        )
        painter.end()

    def _update_tooltip(self) -> None:
        self.setToolTip(self.one_line() if self.is_elided() else "")
