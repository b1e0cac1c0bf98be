"""The queue's table view: fixed row heights, whole-row selection, a keyboard that starts
at the first row, and (compact) three columns fitted to the width.

The compact form is the pinned window's: reward, viewer and age only, no header, never
a horizontal scrollbar; the age column fits its widest text, the viewer takes about a
third of the rest and the reward the remainder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QRect,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView

from .queue_model import Column

if TYPE_CHECKING:
    from PySide6.QtCore import QSortFilterProxyModel
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QWidget

__all__ = ["QueueTable"]

ROW_HEIGHT = 26
COMPACT_ROW_HEIGHT = 22
#: The widest age the compact view makes room for (older rows show hours: "2h 03m").
WIDEST_AGE = "59m 59s"
_FULL_WIDTHS = {Column.REWARD: 180, Column.VIEWER: 130, Column.AGE: 70, Column.STATUS: 230}


class QueueTable(QTableView):
    """A table over a queue proxy.

    Args:
        proxy: The view's filter proxy (its rows are what the user sees).
        compact: The pinned window's three-column form.
        parent: Qt parent.
    """

    def __init__(
        self, proxy: QSortFilterProxyModel, *, compact: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        # Set before setModel(), which already lays the items out (see doItemsLayout).
        self._offscreen_inserts_only = False
        self._full_layout_due = False
        self.compact = compact
        self.setProperty("compact", compact)  # the view's style sheet sizes the font
        self.setModel(proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        # Fixed heights: the view never measures 10,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(COMPACT_ROW_HEIGHT if compact else ROW_HEIGHT)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        if compact:
            header.setVisible(False)
            self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            for column in (Column.INPUT, Column.STATUS):
                self.setColumnHidden(column, True)
            header.setSectionResizeMode(Column.REWARD, QHeaderView.ResizeMode.Stretch)
            header.setSectionResizeMode(Column.VIEWER, QHeaderView.ResizeMode.Fixed)
            header.setSectionResizeMode(Column.AGE, QHeaderView.ResizeMode.Fixed)
        else:
            header.setSectionResizeMode(Column.INPUT, QHeaderView.ResizeMode.Stretch)
            for column, width in _FULL_WIDTHS.items():
                self.setColumnWidth(column, width)
            # A header click sorts; the third click on a column returns to the queue's
            # own order (oldest first), which is also where it starts.
            header.setSortIndicatorClearable(True)
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            self.setSortingEnabled(True)
        # Rows added below the last visible row change nothing on screen but the scroll
        # bar; Qt would still relayout and repaint the whole viewport for each insert
        # (~14 ms at 10,000 rows offscreen), the main cost of a burst of redemptions.
        proxy.rowsInserted.connect(self._rows_inserted)
        for signal in (
            proxy.rowsRemoved,
            proxy.rowsMoved,
            proxy.layoutChanged,
            proxy.modelReset,
        ):
            signal.connect(self._full_layout)
        # The age column is repainted, not re-announced: see queue_model.
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(1000)
        self._age_timer.timeout.connect(self.repaint_ages)
        self._age_timer.start()

    def repaint_ages(self) -> None:
        """Repaint the age column only (the rest of a row does not change with time).

        A whole viewport costs ~14 ms of CPU offscreen; one column of five, a fraction.
        """
        viewport = self.viewport()
        left = self.columnViewportPosition(Column.AGE)
        if left < 0:  # scrolled out of sight, or hidden
            return
        viewport.update(QRect(left, 0, self.columnWidth(Column.AGE), viewport.height()))

    def _rows_inserted(self, parent: QModelIndex, first: int, _last: int) -> None:
        if parent.isValid():
            return
        bottom = self.rowAt(self.viewport().height() - 1)
        if bottom >= 0 and first > bottom:
            self._offscreen_inserts_only = True
        else:
            self._full_layout_due = True

    def _full_layout(self) -> None:
        self._full_layout_due = True

    def doItemsLayout(self) -> None:
        offscreen_only = self._offscreen_inserts_only and not self._full_layout_due
        self._offscreen_inserts_only = self._full_layout_due = False
        if offscreen_only:
            # What the base does, less its viewport-wide update(): the scroll range grows.
            self.updateGeometries()
            return
        super().doItemsLayout()

    def select_rows(self, first: int, last: int) -> None:
        """Select view rows ``first..last``; the arrows go on from ``last``."""
        model = self.model()
        selection = self.selectionModel()
        selection.select(
            QItemSelection(model.index(first, 0), model.index(last, Column.COUNT - 1)),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        selection.setCurrentIndex(model.index(last, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
        self.scrollTo(model.index(last, 0))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        rows = self.model().rowCount()
        if (
            event.modifiers() == Qt.KeyboardModifier.NoModifier
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up)
            and rows > 0
            and not self.selectionModel().hasSelection()
        ):
            # Qt puts the cursor on the first row on focus without selecting it, so its
            # first Down would select the second row: the oldest would be skipped.
            row = 0 if event.key() == Qt.Key.Key_Down else rows - 1
            self.select_rows(row, row)
            event.accept()
            return
        super().keyPressEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        # The viewport, not the table: it also narrows when the vertical scrollbar appears.
        if self.compact and event.type() == QEvent.Type.Resize:
            self.fit_compact_columns()
        return super().viewportEvent(event)

    def fit_compact_columns(self) -> None:
        """Share the viewport's width between age, viewer and reward (see the module)."""
        pad = 2 * (
            self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1
        )
        age = self.fontMetrics().horizontalAdvance(WIDEST_AGE) + pad + 2
        room = self.viewport().width() - age
        self.setColumnWidth(Column.AGE, age)
        self.setColumnWidth(Column.VIEWER, max(60, round(room * 0.36)))
