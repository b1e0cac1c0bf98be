"""The redemption queue panel: filter, search, fulfil and refund from the keyboard.

The same :class:`QueueView` serves the main window's tab and the pinned window
(``compact=True``); each has its own filter proxy over the one shared
:class:`QueueTableModel`, so both always show the same queue.

Keys (active while focus is anywhere in the view, except while typing in a text field):
F fulfil the selected rows, R refund them, Ctrl+A select every shown row, Ctrl+Z undo
the last action while its window is open, Ctrl+F search, Esc clear the search (or forget
a half-done bulk action). After F or R the next waiting row is selected, so F, F, F
works down the queue; with nothing selected, the first Down selects the first row.

Bulk buttons act on exactly the waiting rows the filter and search show, and say how
many; over more than one reward they ask for a second press that names the count.
Rows of rewards another app created are marked and left out of every action: Twitch
lets only the creating app change them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from companion.core.bidi import isolate
from companion.core.queue_events import RowState
from companion.core.records import ActionKind, ActionState
from companion.services.queue_service import FOREIGN_REASON

from .elided_label import ElidedLabel
from .queue_bulk import BulkArming, ShownRows, bulk_tooltip, shown_counts, shown_rows, verb
from .queue_model import CompactQueueProxy, QueueFilterProxy, QueueTableModel
from .queue_table import QueueTable

if TYPE_CHECKING:
    from collections.abc import Collection

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
_COUNTS_DELAY_MS = 150


class QueueView(QWidget):
    """A filterable view of the queue with its actions and shortcuts.

    Signals:
        reward_filter_changed(str, str): the reward chosen in the filter (id and title;
            empty for every reward), for a window that remembers it.

    Args:
        service: The queue service (actions go through it).
        model: The shared source model.
        compact: The pinned window's layout (fewer columns and buttons).
        parent: Qt parent.
    """

    reward_filter_changed = Signal(str, str)

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
        self.proxy = CompactQueueProxy(self) if compact else QueueFilterProxy(self)
        self._titles: dict[str, str] = {}
        self.proxy.setSourceModel(model)

        # The theme styles a disabled secondary button like an enabled one; grey it here.
        # Compact buttons are smaller than the theme's, so the pinned window keeps its rows.
        self.setStyleSheet(
            'QPushButton[secondary="true"]:disabled { color: #9a9aa8; }\n'
            'QPushButton[compact="true"] { padding: 3px 9px; }\n'
            'QLineEdit[compact="true"], QComboBox[compact="true"] { padding: 1px 4px; }\n'
            # 9.5 pt: the three columns a glance needs fit 340 px without cutting names.
            'QTableView[compact="true"] { font-size: 9.5pt; }\n'
            'QLabel[compact="true"] { font-size: 9pt; }'
        )
        layout = QVBoxLayout(self)
        margin = 4 if compact else 8
        layout.setContentsMargins(margin, margin, margin, margin)
        layout.setSpacing(3 if compact else 6)

        # -- filter row
        filters = self.filter_row = QHBoxLayout()
        filters.setSpacing(4 if compact else 6)
        self.reward_filter = QComboBox()
        self.reward_filter.setMinimumContentsLength(6 if compact else 18)
        self.reward_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.reward_filter.setToolTip("Show one reward's redemptions (with how many wait)")
        self.search = QLineEdit()
        self.search.setPlaceholderText(
            "Search (Ctrl+F)" if compact else "Search viewer or input (Ctrl+F)"
        )
        self.search.setClearButtonEnabled(True)
        filters.addWidget(self.reward_filter, 1)
        filters.addWidget(self.search, 1 if compact else 2)
        layout.addLayout(filters)

        # -- the table, or the empty state
        self.table = QueueTable(self.proxy, compact=compact)

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
        actions.setSpacing(4 if compact else 6)
        self.fulfill_button = QPushButton("Fulfil" if compact else "Fulfil (F)")
        self.refund_button = QPushButton("Refund" if compact else "Refund (R)")
        self.refund_button.setProperty("secondary", True)
        self.undo_button = QPushButton("Undo" if compact else "Undo (Ctrl+Z)")
        self.undo_button.setProperty("secondary", True)
        for button, keys in (
            (self.fulfill_button, "F"),
            (self.refund_button, "R"),
            (self.undo_button, "Ctrl+Z"),
        ):
            button.setProperty("compact", compact)
            button.setToolTip(f"{button.text()} ({keys})")
        self._row_tips = {b: b.toolTip() for b in (self.fulfill_button, self.refund_button)}
        if compact:
            for widget in (self.reward_filter, self.search):
                widget.setProperty("compact", True)
        # Bulk actions cannot be taken back once their window closes: they look it.
        self.fulfill_shown_button = QPushButton()
        self.fulfill_shown_button.setProperty("danger", True)
        self.refund_shown_button = QPushButton()
        self.refund_shown_button.setProperty("danger", True)
        actions.addWidget(self.fulfill_button)
        actions.addWidget(self.refund_button)
        actions.addWidget(self.undo_button)
        # The status line: its own line under the buttons, or (compact) beside them, cut
        # to one line with the whole text as its tooltip.
        self.status_label: QLabel = ElidedLabel() if compact else QLabel()
        if compact:
            self.status_label.setProperty("compact", True)
            actions.addWidget(self.status_label, 1)
        else:
            actions.addStretch(1)
            actions.addWidget(self.fulfill_shown_button)
            actions.addWidget(self.refund_shown_button)
        layout.addLayout(actions)
        self.arming = BulkArming(parent=self)
        self.arming.disarmed.connect(self._disarmed)

        self.hint_label = QLabel(COMPACT_HINT_TEXT if compact else HINT_TEXT)
        self.hint_label.setProperty("role", "hint")
        # Readable on both themes' backgrounds (the QSS has no hint role).
        self.hint_label.setStyleSheet("color: #7a7a88; font-size: 9pt;")
        if compact:
            # The pinned window lists the keys in its menu; here they would cost a row.
            self.hint_label.hide()
        else:
            self.status_label.setWordWrap(True)
            self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(self.status_label)
            layout.addWidget(self.hint_label)
            self.status_label.hide()

        # -- wiring
        self.fulfill_button.clicked.connect(self.fulfill_selected)
        self.refund_button.clicked.connect(self.refund_selected)
        self.undo_button.clicked.connect(self.undo)
        self.fulfill_shown_button.clicked.connect(self.fulfill_shown)
        self.refund_shown_button.clicked.connect(self.refund_shown)
        self.reward_filter.currentIndexChanged.connect(self._reward_chosen)
        self.search.textChanged.connect(self.proxy.set_search)
        self.search.textChanged.connect(self._update_empty_state)
        self.search.textChanged.connect(self._view_changed)
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

        # Rows of another app's rewards are marked; the service knows which rewards.
        model.set_ownership(service.is_foreign)
        service.ownership_changed.connect(model.refresh_ownership)
        service.ownership_changed.connect(self._update_buttons)

        for signal in (
            model.rowsInserted,
            model.rowsRemoved,
            model.modelReset,
            model.dataChanged,  # rows turning pending change what a bulk action would do
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
                label = f"{isolate(titles[reward_id])} ({counts[reward_id]})"
                self.reward_filter.addItem(label, reward_id)
            if current and current not in titles:
                # The chosen reward has nothing waiting now; keep it chosen, at zero.
                self.reward_filter.addItem(
                    f"{isolate(self._chosen_title) or 'Reward'} (0)", current
                )
            position = self.reward_filter.findData(current)
            self.reward_filter.setCurrentIndex(max(position, 0))
        finally:
            self.reward_filter.blockSignals(blocked)
        self._update_buttons()
        self.refresh_bulk()

    _chosen_title: str | None = None

    def _reward_chosen(self, index: int) -> None:
        reward_id = self.reward_filter.itemData(index) or None
        if reward_id:
            rows = self.model.queue.rows_for_reward(reward_id)
            self._chosen_title = rows[0].record.reward_title if rows else self._chosen_title
        self.proxy.set_reward_filter(reward_id)
        self._update_empty_state()
        self._update_buttons()
        self._view_changed()
        self.reward_filter_changed.emit(reward_id or "", self._chosen_title or "")

    def restore_reward_filter(self, reward_id: str, title: str) -> None:
        """Filter to a remembered reward, even one with nothing waiting now (at zero)."""
        self._chosen_title = title or None
        self.proxy.set_reward_filter(reward_id or None)
        self.refresh_reward_filter()
        self._update_empty_state()

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
            text = f"No waiting redemption matches “{isolate(self.search.text().strip())}”."
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
        """Select view rows ``first..last`` (tests and keyboard helpers)."""
        self.table.select_rows(first, last)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Esc from the table or a button (the search field handles its own Esc).
        if event.key() == Qt.Key.Key_Escape and self.arming.armed is not None:
            self.disarm()
            event.accept()
            return
        super().keyPressEvent(event)

    def _update_buttons(self) -> None:
        ids = self.selected_ids() if self.table.selectionModel().hasSelection() else []
        ours, theirs = self.service.split_foreign(ids) if ids else ([], [])
        only_foreign = bool(theirs) and not ours
        for button in (self.fulfill_button, self.refund_button):
            button.setEnabled(bool(ours))
            button.setToolTip(FOREIGN_REASON if only_foreign else self._row_tips[button])
        self.undo_button.setEnabled(self.service.can_undo)

    # ------------------------------------------------------------------ bulk actions

    def shown_rows(self) -> ShownRows:
        """The waiting rows a bulk action would act on: exactly those shown."""
        return shown_rows(self.model.queue, self.proxy, self.service.is_foreign)

    def refresh_bulk(self) -> None:
        """Relabel the bulk buttons with what they would act on now."""
        if self.arming.armed is not None:
            return  # the armed button keeps naming the rows the streamer was asked about
        shown = shown_counts(self.model.queue, self.proxy, self.service.is_foreign)
        for kind in (ActionKind.FULFILL, ActionKind.REFUND):
            button = self._bulk_button(kind)
            button.setText(f"{verb(kind).capitalize()} {shown.count} shown")
            button.setEnabled(bool(shown.count))
            button.setToolTip(bulk_tooltip(kind, shown))

    def fulfill_shown(self) -> None:
        """Fulfil every waiting row shown (a second press when it spans rewards)."""
        self._bulk(ActionKind.FULFILL)

    def refund_shown(self) -> None:
        """Refund every waiting row shown (a second press when it spans rewards)."""
        self._bulk(ActionKind.REFUND)

    def _bulk(self, kind: ActionKind) -> None:
        armed = self.arming.take(kind)
        if armed is not None:
            self._act(kind, armed)
            return
        self.disarm()
        shown = self.shown_rows()
        if not shown.ids:
            self.show_status(f"Nothing to {verb(kind)}: no waiting redemption is shown.")
            return
        if not shown.needs_confirmation:
            self._act(kind, shown.ids)
            return
        self.arming.arm(kind, shown.ids)
        self._bulk_button(kind).setText(f"Press again to {verb(kind)} {len(shown.ids)}")
        self.show_status(
            f"Press again to {verb(kind)} {len(shown.ids)} redemption(s) of "
            f"{len(shown.rewards)} rewards. Esc cancels."
        )

    def _bulk_button(self, kind: ActionKind) -> QPushButton:
        if kind is ActionKind.FULFILL:
            return self.fulfill_shown_button
        return self.refund_shown_button

    def disarm(self) -> None:
        """Forget a bulk action waiting for its second press."""
        self.arming.disarm()

    def _disarmed(self) -> None:
        self.refresh_bulk()
        if self.status_label.text().startswith("Press again"):
            self.show_status("")

    def _view_changed(self) -> None:
        # The rows an armed action named are no longer the rows shown.
        self.disarm()
        self.refresh_bulk()

    # ------------------------------------------------------------------ actions

    def _act(self, kind: ActionKind, ids: Collection[str], last_row: int = -1) -> None:
        """Start ``kind`` on ``ids``, report it, and select the next waiting row."""
        ours, theirs = self.service.split_foreign(ids)
        if theirs and not ours:
            self.show_status(
                f"Cannot {verb(kind)} the selection. {FOREIGN_REASON}", "Another app's reward"
            )
            return
        if kind is ActionKind.FULFILL:
            record = self.service.fulfill(ours)
        else:
            record = self.service.refund(ours)
        if record is None:
            self.show_status(
                f"Nothing to {verb(kind)}: no waiting redemption is selected.",
                f"Nothing to {verb(kind)}",
            )
            return
        seconds = self.service.queue.undo_window
        text = (
            f"{verb(kind).capitalize()} {len(record.redemption_ids)} redemption(s) in "
            f"{seconds:g} s. Ctrl+Z to undo."
        )
        if theirs:
            text += f" {len(theirs)} of another app's reward(s) left out."
        short = f"{verb(kind).capitalize()} {len(record.redemption_ids)} in {seconds:g} s · Ctrl+Z"
        self.show_status(text, short)
        self.select_next_waiting(last_row)
        self.refresh_bulk()

    def select_next_waiting(self, after: int = -1) -> None:
        """Select the first waiting row of this app's below view row ``after``, else above.

        With none left, the selection is cleared (F then says there is nothing to do).
        """
        proxy = self.proxy
        count = proxy.rowCount()
        for view_row in [*range(after + 1, count), *range(min(after + 1, count))]:
            source = proxy.mapToSource(proxy.index(view_row, 0))
            row = self.model.row_at(source.row())
            if row.state is RowState.WAITING and not self.service.is_foreign(row.reward_id):
                self.select_rows(view_row, view_row)
                return
        self.table.selectionModel().clearSelection()

    def _act_on_selection(self, kind: ActionKind) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        self._act(kind, self.proxy.redemption_ids(rows), rows[-1] if rows else -1)

    def fulfill_selected(self) -> None:
        """Fulfil the selected rows (after the undo window)."""
        self._act_on_selection(ActionKind.FULFILL)

    def refund_selected(self) -> None:
        """Refund the selected rows (after the undo window)."""
        self._act_on_selection(ActionKind.REFUND)

    def undo(self) -> None:
        """Undo the last action whose window is open."""
        record = self.service.undo_last()
        if record is None:
            self.show_status(
                "Nothing to undo: the last action was already sent.", "Nothing to undo"
            )

    def show_status(self, text: str, short: str | None = None) -> None:
        """Show one line under the table.

        Compact, it sits beside the buttons: ``short`` is shown there (cut to fit), and
        ``text`` is its tooltip.
        """
        if self.compact and short is not None:
            self.status_label.setText(short)
            self.status_label.setToolTip(text)
            return
        self.status_label.setText(text)
        if not self.compact:
            self.status_label.setVisible(bool(text))

    def _handled_elsewhere(self, count: int) -> None:
        self.show_status(
            f"{count} redemption(s) were fulfilled or refunded elsewhere (another app or the "
            "Twitch dashboard) and left the queue.",
            f"{count} handled elsewhere",
        )

    def _on_action(self, record: ActionRecord) -> None:
        self._update_buttons()
        self._schedule_counts()
        if record.state is ActionState.SENDING:
            verb = "Fulfilling" if record.kind is ActionKind.FULFILL else "Refunding"
            count = len(record.redemption_ids)
            self.show_status(f"{verb} {count} redemption(s)...", f"{verb} {count}...")


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
