"""The widget layer the predictions and polls tabs share, as their services share
:class:`~companion.services.running_item.RunningItemService`.

Left: the running item as live bars (with its title, status line, totals, an inline
"press again" confirmation and the item's own action buttons), then the history. Right:
the item's form, why a new one cannot start now, the start button and the templates.
Under both: the keys. A subclass supplies only what differs: the form, the bars'
rows, the status line, its action buttons and keys, and how templates map to its form.

Keyboard anywhere in the tab: Ctrl+N new (cursor in the form's title), Ctrl+Enter start,
Ctrl+B the bars (where the item's own keys work), Ctrl+S save the form as a template.
No dialogs: confirmations and errors are lines on the panel.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from companion.core.bidi import isolate
from companion.core.templates import TemplateInvalid

from .outcome_bars import KeyFilter, OutcomeBarDelegate, OutcomeBarsModel, PressAgain
from .templates_ui import TemplateBar

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from PySide6.QtGui import QKeyEvent

    from companion.core.templates import TemplateStore
    from companion.services.running_item import RunningItemService

    from .outcome_bars import BarRow, HistoryTableModel

__all__ = ["ItemForm", "RunningItemPanel"]

_log = logging.getLogger(__name__)


class _Item(Protocol):
    id: str
    title: str
    status: str


class ItemForm(Protocol):
    """What the panel needs of a prediction or poll form."""

    title_edit: QLineEdit

    def validate(self) -> bool: ...


ItemT = TypeVar("ItemT", bound=_Item)
TemplateT = TypeVar("TemplateT")


class RunningItemPanel(QWidget, Generic[ItemT, TemplateT]):
    """A tab for one running item (a prediction or a poll) and its history.

    Class attributes (a subclass sets them):
        TITLE: The tab's heading ("Predictions").
        FORM_TITLE: The form's heading ("New prediction").
        START_TEXT: The start button's text.
        EMPTY_TEXT: What shows while nothing runs.
        KEYS: The keys line under the panel.
        BAR_SELECTION: How the bars select (a prediction's winner is a selected bar).

    Args:
        service: The item's service.
        templates: Where templates are saved (None: the template row is hidden).
        clock: The time now, timezone-aware (tests move it).
        parent: Qt parent.
    """

    TITLE: ClassVar[str]
    FORM_TITLE: ClassVar[str]
    START_TEXT: ClassVar[str]
    EMPTY_TEXT: ClassVar[str]
    KEYS: ClassVar[str]
    BAR_SELECTION: ClassVar[QAbstractItemView.SelectionMode] = (
        QAbstractItemView.SelectionMode.NoSelection
    )

    def __init__(
        self,
        service: RunningItemService[Any],
        templates: TemplateStore | None,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.templates = templates
        self.clock = clock
        self.model = OutcomeBarsModel(self)
        self.history_model = self._history_model()
        self._shown: ItemT | None = None

        heading = QLabel(self.TITLE)
        heading.setProperty("role", "title")
        self.error_label = self._line("error")
        self.warning_label = self._line("notice")

        # -- the running item
        self.active_title = QLabel()
        self.active_title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.active_title.setWordWrap(True)
        self.status_label = QLabel()
        self.totals_label = QLabel()
        self.bars = QListView()
        self.bars.setModel(self.model)
        self.bars.setItemDelegate(OutcomeBarDelegate(self.bars))
        self.bars.setSelectionMode(self.BAR_SELECTION)
        self.bars.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.bars.setMinimumHeight(150)
        self.bars.installEventFilter(KeyFilter(self._key, self))
        self.empty_label = QLabel(self.EMPTY_TEXT)
        self.empty_label.setProperty("role", "empty")
        self.confirm_label = self._line("notice")
        self.confirm = PressAgain(self.confirm_label, parent=self)
        actions = QHBoxLayout()
        for button in self._action_buttons():
            actions.addWidget(button)
        actions.addStretch(1)
        self.action_reason = self._line("hint")

        history_heading = QLabel("History")
        history_heading.setStyleSheet("font-weight: bold;")
        self.history = QTableView()
        self.history.setModel(self.history_model)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.verticalHeader().hide()
        header = self.history.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.history.setAlternatingRowColors(True)

        left = QVBoxLayout()
        for widget, stretch in (
            (self.active_title, 0),
            (self.status_label, 0),
            (self.bars, 2),
            (self.empty_label, 0),
            (self.totals_label, 0),
            (self.confirm_label, 0),
        ):
            left.addWidget(widget, stretch)
        left.addLayout(actions)
        left.addWidget(self.action_reason)
        left.addWidget(history_heading)
        left.addWidget(self.history, 1)

        # -- the form
        form_heading = QLabel(self.FORM_TITLE)
        form_heading.setStyleSheet("font-weight: bold;")
        self.form = self._make_form()
        self.create_reason = self._line("notice")
        self.create_button = QPushButton(self.START_TEXT)
        self.template_bar = TemplateBar()
        self.template_bar.setVisible(templates is not None)
        right = QVBoxLayout()
        right.addWidget(form_heading)
        right.addWidget(self.form)
        right.addWidget(self.create_reason)
        right.addWidget(self.create_button)
        right.addSpacing(8)
        right.addWidget(self.template_bar)
        right.addStretch(1)
        right_box = QWidget()
        right_box.setLayout(right)
        right_box.setMaximumWidth(460)

        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addWidget(right_box, 2)
        self.keys_label = QLabel(self.KEYS)
        self.keys_label.setWordWrap(True)
        self.keys_label.setStyleSheet("color: palette(placeholder-text); font-size: 9pt;")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.error_label)
        layout.addWidget(self.warning_label)
        layout.addLayout(columns, 1)
        layout.addWidget(self.keys_label)

        # -- wiring
        self.create_button.clicked.connect(self.start)
        for signal in self._form_changed_signals():
            signal.connect(self._update_actions)
        self.template_bar.apply_requested.connect(self.apply_template)
        self.template_bar.save_requested.connect(self.save_template)
        self.template_bar.delete_requested.connect(self.delete_template)
        for keys, slot in (
            ("Ctrl+Return", self.start),
            ("Ctrl+Enter", self.start),
            ("Ctrl+N", self.form.title_edit.setFocus),
            ("Ctrl+B", self.bars.setFocus),
            ("Ctrl+S", lambda: self.save_template(self.template_bar.name_edit.text().strip())),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        service.active_changed.connect(self.show_active)
        service.history_changed.connect(self.history_model.set_items)
        service.error.connect(self.show_error)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.update_clock)
        self._tick.start()
        self._reload_templates()
        self.history_model.set_items(service.history)
        self.show_active(service.active)

    @staticmethod
    def _line(role: str) -> QLabel:
        """A hidden, word-wrapped line of the panel (an error, a notice, a hint)."""
        label = QLabel()
        label.setProperty("role", role)
        label.setWordWrap(True)
        label.hide()
        return label

    # -- what a subclass provides --------------------------------------------------------------

    def _history_model(self) -> HistoryTableModel[ItemT]:
        raise NotImplementedError

    def _make_form(self) -> Any:
        """The item's form (an :class:`ItemForm`)."""
        raise NotImplementedError

    def _form_changed_signals(self) -> list[Any]:
        """The form's signals after which the start button is re-checked."""
        raise NotImplementedError

    def _action_buttons(self) -> list[QPushButton]:
        """The running item's buttons, in order (created and wired by the subclass)."""
        raise NotImplementedError

    def _rows(self, item: ItemT) -> list[BarRow]:
        raise NotImplementedError

    def _totals(self, item: ItemT) -> str:
        raise NotImplementedError

    def _status(self, item: ItemT, now: datetime) -> tuple[str, str]:
        """The status line of the running item, and a warning ("" for none)."""
        raise NotImplementedError

    def _create_blocked(self, active: ItemT | None) -> str | None:
        raise NotImplementedError

    def _update_item_actions(self, active: ItemT | None) -> None:
        """Enable the running item's buttons (and say why one is off)."""
        raise NotImplementedError

    def _create(self) -> None:
        """Start an item from the (valid) form through the service."""
        raise NotImplementedError

    def _item_key(self, key: int) -> bool:
        """A key pressed on the bars (no modifier); True when it was the item's."""
        raise NotImplementedError

    def _template_names(self, store: TemplateStore) -> list[str]:
        raise NotImplementedError

    def _find_template(self, store: TemplateStore, name: str) -> TemplateT | None:
        raise NotImplementedError

    def _fill_form(self, template: TemplateT) -> None:
        raise NotImplementedError

    def _template_from_form(self, name: str) -> TemplateT:
        raise NotImplementedError

    def _store_template(self, store: TemplateStore, template: TemplateT) -> None:
        raise NotImplementedError

    def _remove_template(self, store: TemplateStore, name: str) -> bool:
        raise NotImplementedError

    # -- showing -------------------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        """Show a failure on the panel (cleared by the next action)."""
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def show_active(self, item: ItemT | None) -> None:
        """Show the running item (None: nothing runs)."""
        if item is None or self._shown is None or item.id != self._shown.id:
            self.confirm.clear()
        self._shown = item
        self.model.set_rows(self._rows(item) if item is not None else [])
        self.active_title.setText(item.title if item is not None else "")
        self.totals_label.setText(self._totals(item) if item is not None else "")
        running = item is not None
        for widget in (self.active_title, self.status_label, self.bars, self.totals_label):
            widget.setVisible(running)
        self.empty_label.setVisible(not running)
        self._update_actions()
        self.update_clock()

    def update_clock(self) -> None:
        """The running item's countdown (every second), and its warning if any."""
        item = self.service.active
        status, warning = self._status(item, self.clock()) if item is not None else ("", "")
        self.status_label.setText(status)
        self.warning_label.setText(warning)
        self.warning_label.setVisible(bool(warning))

    def _update_actions(self) -> None:
        active = self.service.active
        self._update_item_actions(active)
        self.action_reason.setVisible(bool(self.action_reason.text()))
        blocked = self._create_blocked(active)
        self.create_reason.setText(blocked or "")
        self.create_reason.setVisible(blocked is not None)
        valid = self.form.validate()
        self.create_button.setEnabled(blocked is None and valid)
        self.create_button.setToolTip(blocked or ("" if valid else "Fix the form first."))

    # -- actions -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the item in the form (if valid and none is running)."""
        self._update_actions()
        if not self.create_button.isEnabled():
            return
        self.show_error("")
        self._create()

    def _key(self, event: QKeyEvent) -> bool:
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if event.key() == Qt.Key.Key_Escape:
            self.confirm.clear()
            return True
        return self._item_key(event.key())

    # -- templates -----------------------------------------------------------------------------

    def set_game(self, game: str | None) -> None:
        """The channel's current game: its templates ("<game>: ...") are offered first."""
        self.template_bar.set_game(game)

    def _reload_templates(self, current: str | None = None) -> None:
        if self.templates is not None:
            self.template_bar.set_names(self._template_names(self.templates), current)

    def apply_template(self, name: str) -> None:
        """Fill the form from a saved template."""
        template = self._find_template(self.templates, name) if self.templates else None
        if template is None:
            self.template_bar.show_message(f"No template named “{isolate(name)}”.", error=True)
            return
        self._fill_form(template)
        self.template_bar.show_message(f"Applied “{isolate(name)}”.")

    def save_template(self, name: str) -> None:
        """Save the form as a template (its problems are shown, nothing is saved)."""
        if self.templates is None:
            return
        try:
            self._store_template(self.templates, self._template_from_form(name))
        except TemplateInvalid as exc:
            self.template_bar.show_message("Not saved: " + "; ".join(exc.problems), error=True)
            return
        self._reload_templates(name)
        self.template_bar.show_message(f"Saved “{isolate(name)}”.")

    def delete_template(self, name: str) -> None:
        """Delete a saved template."""
        if self.templates is not None and self._remove_template(self.templates, name):
            self._reload_templates()
            self.template_bar.show_message(f"Deleted “{isolate(name)}”.")
