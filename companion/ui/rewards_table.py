"""The rewards table view: every column as wide as its contents, and the title the rest.

Ten columns of flags and numbers keep the width their header and cells need; the title
takes whatever is left, but never less than its longest title needs (up to
:data:`TITLE_MAX_WIDTH`). When the form beside it narrows the table, the other columns
scroll sideways instead of the titles being cut to "Song re…".

The widths are measured here, not by ``ResizeToContents``: with sorting on, Qt makes
every header section room for a sort arrow, which pushed the last columns of a 1,180 px
window out of view. Only the sorted column gets that room.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView

from .rewards_model import RewardColumn

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from .rewards_model import RewardsTableModel

__all__ = ["TITLE_MAX_WIDTH", "RewardsTable"]

#: The most the title column asks for to show its longest title (45 characters fit).
TITLE_MAX_WIDTH = 360
_TITLE_MIN_WIDTH = 120
#: A header's padding in the themes (6 px a side) and its 1 px border, and 1 px of air.
_HEADER_PADDING = 14
#: Room for the sort arrow in the sorted column's header.
_ARROW_ROOM = 18


class RewardsTable(QTableView):
    """The table over :class:`RewardsTableModel`, sortable by a header click.

    Args:
        model: The rewards model.
        parent: Qt parent.
    """

    def __init__(self, model: RewardsTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(26)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(48)
        # A header click sorts; the third click returns to Twitch's order.
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self.setMinimumWidth(420)
        # Widths settle after Qt measured the contents: fit once per burst of changes.
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_title)
        header.sortIndicatorChanged.connect(self._fit_timer.start)
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.dataChanged):
            signal.connect(self._fit_timer.start)

    def viewportEvent(self, event: QEvent) -> bool:
        handled = super().viewportEvent(event)
        if event.type() == QEvent.Type.Resize:
            self.fit_title()  # now, so the first paint at the new width is right
        return handled

    def title_needs(self) -> int:
        """Width the longest title needs: its text, the colour swatch and the margins."""
        model = self.model()
        metrics = self.fontMetrics()
        style = self.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1
        icon = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, self)
        widest = max(
            (
                metrics.horizontalAdvance(str(model.index(row, RewardColumn.TITLE).data() or ""))
                for row in range(model.rowCount())
            ),
            default=0,
        )
        # Text, swatch and the style's margins either side of both, plus a little air.
        return min(TITLE_MAX_WIDTH, max(_TITLE_MIN_WIDTH, widest + icon + 4 * margin + 6))

    def column_needs(self, column: int) -> int:
        """Width a column needs: its widest cell, or its (bold) header, whichever is wider."""
        header = self.horizontalHeader()
        font = QFont(header.font())
        font.setBold(True)  # the themes' headers are bold
        text = str(self.model().headerData(column, Qt.Orientation.Horizontal) or "")
        needs = QFontMetrics(font).horizontalAdvance(text) + _HEADER_PADDING
        if header.sortIndicatorSection() == column:
            needs += _ARROW_ROOM
        return max(needs, self.sizeHintForColumn(column))

    def fit_title(self) -> None:
        """Size every column to its contents and give the title what is left (at least
        what its longest title needs)."""
        others = 0
        for column in range(RewardColumn.COUNT):
            if column == RewardColumn.TITLE or self.isColumnHidden(column):
                continue
            width = self.column_needs(column)
            if width != self.columnWidth(column):
                self.setColumnWidth(column, width)
            others += width
        width = max(self.title_needs(), self.viewport().width() - others)
        if width != self.columnWidth(RewardColumn.TITLE):
            self.setColumnWidth(RewardColumn.TITLE, width)
