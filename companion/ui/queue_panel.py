"""The redemption queue panel: filter, search, fulfil and refund from the keyboard.

The same :class:`QueueView` serves the main window's tab and the pinned window
(``compact=True``); each has its own filter proxy over the one shared
:class:`QueueTableModel`, so both always show the same queue.

Keys (active while focus is anywhere in the view, except while typing in a text field):
F fulfil the selected rows, R refund them, Ctrl+A select every shown row, Ctrl+Z undo
the last action while its window is open, Ctrl+F search, Esc clear the search.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from companion.core.records import ActionKind, ActionState

from .queue_model import Column, QueueFilterProxy, QueueTableModel

if TYPE_CHECKING:
    from companion.core.records import ActionRecord
    from companion.services.queue_service import QueueService

__all__ = ["HINT_TEXT", "QueuePanel", "QueueView"]

_log = logging.getLogger(__name__)

HINT_TEXT = (
    "F fulfil  ·  R refund  ·  Ctrl+A select all  ·  Ctrl+Z undo  ·  Ctrl+F search  ·  "
    "Ctrl+P pinned queue"
)
COMPACT_HINT_TEXT = "F fulfil · R refund · Ctrl+A all · Ctrl+Z undo"

_ALL = ""
_ROW_HEIGHT = 26
_COUNTS_DELAY_MS = 150


class QueueView(QWidget):
    """A filterable view of the queue with its actions and shortcuts.

    Args:
        service: The queue service (actions go through it).
        model: The shared source model.
        compact: The pinned window's layout (fewer columns and buttons).
        parent: Qt parent.
    """

    def __init__(
        self,
        service: QueueService,
        model: QueueTableModel,
        *,
        compact: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.model = model
        self.compact = compact
        self.proxy = QueueFilterProxy(self)
        self._titles: dict[str, str] = {}
        self.proxy.setSourceModel(model)

        # The theme styles a disabled secondary button like an enabled one; grey it here.
        self.setStyleSheet('QPushButton[secondary="true"]:disabled { color: #9a9aa8; }')
        layout = QVBoxLayout(self)
        margin = 4 if compact else 8
        layout.setContentsMargins(margin, margin, margin, margin)
        layout.setSpacing(6)

        # -- filter row
        filters = self.filter_row = QHBoxLayout()
        self.reward_filter = QComboBox()
        self.reward_filter.setMinimumContentsLength(18)
        self.reward_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.reward_filter.setToolTip("Show one reward's redemptions (with how many wait)")
        self.search = QLineEdit()
        self.search.setPlaceholderText(
            "Search (Ctrl+F)" if compact else "Search viewer or input (Ctrl+F)"
        )
        self.search.setClearButtonEnabled(True)
        filters.addWidget(self.reward_filter, 0 if compact else 1)
        filters.addWidget(self.search, 1 if compact else 2)
        layout.addLayout(filters)

        # -- the table, or the empty state
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        # Fixed heights: the view never measures 10,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(_ROW_HEIGHT)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.INPUT, QHeaderView.ResizeMode.Stretch)
        widths = {Column.REWARD: 180, Column.VIEWER: 130, Column.AGE: 70, Column.STATUS: 230}
        if compact:
            widths = {Column.REWARD: 130, Column.VIEWER: 100, Column.AGE: 60}
            self.table.setColumnHidden(Column.STATUS, True)
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)

        self.empty_label = QLabel()
        self.empty_label.setProperty("role", "empty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty_label)
        layout.addWidget(self.stack, 1)

        # -- actions
        actions = QHBoxLayout()
        self.fulfill_button = QPushButton("Fulfil (F)")
        self.refund_button = QPushButton("Refund (R)")
        self.refund_button.setProperty("secondary", True)
        self.undo_button = QPushButton("Undo (Ctrl+Z)")
        self.undo_button.setProperty("secondary", True)
        self.fulfill_reward_button = QPushButton("Fulfil all of reward")
        self.fulfill_reward_button.setProperty("secondary", True)
        self.refund_reward_button = QPushButton("Refund all of reward")
        self.refund_reward_button.setProperty("secondary", True)
        self.fulfill_all_button = QPushButton("Fulfil everything")
        self.fulfill_all_button.setProperty("secondary", True)
        self.refund_all_button = QPushButton("Refund everything")
        self.refund_all_button.setProperty("secondary", True)
        actions.addWidget(self.fulfill_button)
        actions.addWidget(self.refund_button)
        actions.addWidget(self.undo_button)
        actions.addStretch(1)
        if not compact:
            actions.addWidget(self.fulfill_reward_button)
            actions.addWidget(self.refund_reward_button)
            actions.addWidget(self.fulfill_all_button)
            actions.addWidget(self.refund_all_button)
        layout.addLayout(actions)

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint_label = QLabel(COMPACT_HINT_TEXT if compact else HINT_TEXT)
        self.hint_label.setProperty("role", "hint")
        # Readable on both themes' backgrounds (the QSS has no hint role).
        self.hint_label.setStyleSheet("color: #7a7a88; font-size: 9pt;")
        layout.addWidget(self.status_label)
        layout.addWidget(self.hint_label)
        self.status_label.hide()

        # -- wiring
        self.fulfill_button.clicked.connect(self.fulfill_selected)
        self.refund_button.clicked.connect(self.refund_selected)
        self.undo_button.clicked.connect(self.undo)
        self.fulfill_reward_button.clicked.connect(self.fulfill_reward)
        self.refund_reward_button.clicked.connect(self.refund_reward)
        self.fulfill_all_button.clicked.connect(self.fulfill_everything)
        self.refund_all_button.clicked.connect(self.refund_everything)
        self.reward_filter.currentIndexChanged.connect(self._reward_chosen)
        self.search.textChanged.connect(self.proxy.set_search)
        self.search.textChanged.connect(self._update_empty_state)
        self._shortcuts: list[QShortcut] = []
        for keys, slot in (
            ("F", self.fulfill_selected),
            ("R", self.refund_selected),
            ("Ctrl+A", self.select_all),
            ("Ctrl+Z", self.undo),
            ("Ctrl+F", self.focus_search),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            self._shortcuts.append(shortcut)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search)
        escape.setContext(Qt.ShortcutContext.WidgetShortcut)
        escape.activated.connect(self._clear_search)

        for signal in (
            model.rowsInserted,
            model.rowsRemoved,
            model.modelReset,
        ):
            signal.connect(self._schedule_counts)
        self.proxy.rowsInserted.connect(self._update_empty_state)
        self.proxy.rowsRemoved.connect(self._update_empty_state)
        self.proxy.modelReset.connect(self._update_empty_state)
        self.proxy.layoutChanged.connect(self._update_empty_state)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        service.action_changed.connect(self._on_action)
        service.action_finished.connect(self.show_status)
        service.handled_elsewhere.connect(self._handled_elsewhere)

        # Counts in the reward filter are rebuilt at most every 150 ms (bursts of adds).
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(_COUNTS_DELAY_MS)
        self._counts_timer.timeout.connect(self.refresh_reward_filter)
        # The age column is repainted, not re-announced: see queue_model.
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(1000)
        self._age_timer.timeout.connect(self.table.viewport().update)
        self._age_timer.start()

        self.refresh_reward_filter()
        self._update_empty_state()
        self._update_buttons()

    # ------------------------------------------------------------------ filters

    def refresh_reward_filter(self) -> None:
        """Rebuild the reward list with waiting counts, keeping the current choice."""
        queue = self.model.queue
        counts = queue.counts_by_reward()
        titles: dict[str, str] = {}
        for reward_id in counts:
            title = self._titles.get(reward_id)
            if title is None:
                # Once per reward: rows_for_reward builds a list of every row of it.
                rows = queue.rows_for_reward(reward_id)
                title = self._titles[reward_id] = rows[0].record.reward_title
            titles[reward_id] = title
        current = self.proxy.reward_id or _ALL
        blocked = self.reward_filter.blockSignals(True)
        try:
            self.reward_filter.clear()
            self.reward_filter.addItem(f"All rewards ({len(queue)})", _ALL)
            for reward_id in sorted(titles, key=lambda r: titles[r].lower()):
                self.reward_filter.addItem(f"{titles[reward_id]} ({counts[reward_id]})", reward_id)
            if current and current not in titles:
                # The chosen reward has nothing waiting now; keep it chosen, at zero.
                self.reward_filter.addItem(f"{self._chosen_title or 'Reward'} (0)", current)
            position = self.reward_filter.findData(current)
            self.reward_filter.setCurrentIndex(max(position, 0))
        finally:
            self.reward_filter.blockSignals(blocked)
        self._update_buttons()

    _chosen_title: str | None = None

    def _reward_chosen(self, index: int) -> None:
        reward_id = self.reward_filter.itemData(index) or None
        if reward_id:
            rows = self.model.queue.rows_for_reward(reward_id)
            self._chosen_title = rows[0].record.reward_title if rows else self._chosen_title
        self.proxy.set_reward_filter(reward_id)
        self._update_empty_state()
        self._update_buttons()

    def set_reward_filter(self, reward_id: str | None) -> None:
        """Choose a reward in the filter (None: all)."""
        position = self.reward_filter.findData(reward_id or _ALL)
        if position >= 0:
            self.reward_filter.setCurrentIndex(position)

    def _schedule_counts(self) -> None:
        if not self._counts_timer.isActive():
            self._counts_timer.start()

    def focus_search(self) -> None:
        """Put the cursor in the search field."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _clear_search(self) -> None:
        self.search.clear()
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _update_empty_state(self) -> None:
        if self.proxy.rowCount() > 0:
            self.stack.setCurrentWidget(self.table)
            return
        if len(self.model.queue) == 0:
            text = "Nothing waiting. New redemptions appear here as viewers redeem."
        elif self.search.text().strip():
            text = f"No waiting redemption matches “{self.search.text().strip()}”."
        else:
            text = "This reward has nothing waiting."
        self.empty_label.setText(text)
        self.stack.setCurrentWidget(self.empty_label)

    # ------------------------------------------------------------------ selection

    def selected_ids(self) -> list[str]:
        """Redemption ids of the selected rows, in view order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return self.proxy.redemption_ids(rows)

    def select_all(self) -> None:
        """Select every row the view shows."""
        self.table.selectAll()

    def select_rows(self, first: int, last: int) -> None:
        """Select proxy rows ``first..last`` (tests and keyboard helpers)."""
        selection = self.table.selectionModel()
        top = self.proxy.index(first, 0)
        bottom = self.proxy.index(last, Column.COUNT - 1)
        selection.select(
            QItemSelection(top, bottom),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def _update_buttons(self) -> None:
        has_selection = self.table.selectionModel().hasSelection()
        self.fulfill_button.setEnabled(has_selection)
        self.refund_button.setEnabled(has_selection)
        reward_id = self.proxy.reward_id
        reward_rows = bool(reward_id) and self.model.queue.count_for_reward(reward_id or "") > 0
        self.fulfill_reward_button.setEnabled(reward_rows)
        self.refund_reward_button.setEnabled(reward_rows)
        tip = "" if reward_id else "Choose a reward in the filter first"
        self.fulfill_reward_button.setToolTip(tip)
        self.refund_reward_button.setToolTip(tip)
        anything = len(self.model.queue) > 0
        self.fulfill_all_button.setEnabled(anything)
        self.refund_all_button.setEnabled(anything)
        self.undo_button.setEnabled(self.service.can_undo)

    # ------------------------------------------------------------------ actions

    def _started(self, record: ActionRecord | None, what: str) -> None:
        if record is None:
            self.show_status(f"Nothing to {what}: no waiting redemption is selected.")
            return
        seconds = self.service.queue.undo_window
        self.show_status(
            f"{what.capitalize()} {len(record.redemption_ids)} redemption(s) in "
            f"{seconds:g} s. Ctrl+Z to undo."
        )

    def fulfill_selected(self) -> None:
        """Fulfil the selected rows (after the undo window)."""
        self._started(self.service.fulfill(self.selected_ids()), "fulfil")

    def refund_selected(self) -> None:
        """Refund the selected rows (after the undo window)."""
        self._started(self.service.refund(self.selected_ids()), "refund")

    def fulfill_reward(self) -> None:
        """Fulfil every waiting row of the reward chosen in the filter."""
        if self.proxy.reward_id:
            self._started(self.service.fulfill_reward(self.proxy.reward_id), "fulfil")

    def refund_reward(self) -> None:
        """Refund every waiting row of the reward chosen in the filter."""
        if self.proxy.reward_id:
            self._started(self.service.refund_reward(self.proxy.reward_id), "refund")

    def fulfill_everything(self) -> None:
        """Fulfil every waiting row."""
        self._started(self.service.fulfill_all(), "fulfil")

    def refund_everything(self) -> None:
        """Refund every waiting row."""
        self._started(self.service.refund_all(), "refund")

    def undo(self) -> None:
        """Undo the last action whose window is open."""
        record = self.service.undo_last()
        if record is None:
            self.show_status("Nothing to undo: the last action was already sent.")

    def show_status(self, text: str) -> None:
        """Show one line under the table."""
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    def _handled_elsewhere(self, count: int) -> None:
        self.show_status(
            f"{count} redemption(s) were fulfilled or refunded elsewhere (another app or the "
            "Twitch dashboard) and left the queue."
        )

    def _on_action(self, record: ActionRecord) -> None:
        self._update_buttons()
        if record.state is ActionState.SENDING:
            verb = "Fulfilling" if record.kind is ActionKind.FULFILL else "Refunding"
            self.show_status(f"{verb} {len(record.redemption_ids)} redemption(s)...")


class QueuePanel(QueueView):
    """The queue tab of the main window.

    Signals:
        pin_requested(): the "Pinned queue" button was pressed (connect it to
            ``PinnedQueueWindow.toggle``; see ``pinned_window.attach_pinned``).
    """

    pin_requested = Signal()

    def __init__(
        self, service: QueueService, model: QueueTableModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, model, compact=False, parent=parent)
        self.pin_button = QPushButton("Pinned queue (Ctrl+P)")
        self.pin_button.setProperty("secondary", True)
        self.pin_button.setToolTip("A small always-on-top window with the same queue and keys")
        self.pin_button.clicked.connect(self.pin_requested.emit)
        self.filter_row.addWidget(self.pin_button)
