"""The predictions tab: the running prediction as live bars, the form, templates, history.

Left: the running prediction (outcome bars moved by EventSub, countdown to the lock, the
warning before Twitch's automatic cancel), its actions and the history. Right: the form,
checked against ``companion/twitch/limits.py`` as the streamer types
(:class:`~companion.ui.engagement_forms.PredictionForm`), and templates.

Keyboard (shown on the panel as :data:`PREDICTION_KEYS`): with the bars focused
(Ctrl+B), 1-9 and 0 pick the winner (press the same key twice), L locks, C cancels and
refunds (twice), Enter resolves the selected bar (twice), Esc forgets a half-done
confirmation. Anywhere in the panel: Ctrl+N new, Ctrl+Enter start, Ctrl+S save template.
No dialogs: confirmations and errors are lines on the panel.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from companion.core.bidi import isolate
from companion.core.templates import PredictionTemplate, TemplateInvalid
from companion.services.predictions_service import (
    AUTO_CANCEL_WARNING,
    auto_cancel_at,
    create_blocked_reason,
    lock_blocked_reason,
    locks_at,
    now_utc,
    resolve_blocked_reason,
)
from companion.ui.engagement_forms import PredictionForm
from companion.ui.outcome_bars import (
    BAR_COLORS,
    BarRow,
    HistoryTableModel,
    KeyFilter,
    OutcomeBarDelegate,
    OutcomeBarsModel,
    PressAgain,
    format_span,
    key_for,
)
from companion.ui.templates_ui import TemplateBar

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from companion.core.templates import TemplateStore
    from companion.services.predictions_service import PredictionsService
    from companion.twitch.models.predictions import Prediction, PredictionOutcome

__all__ = [
    "PREDICTION_KEYS",
    "PredictionForm",
    "PredictionsPanel",
    "outcome_rows",
    "prediction_history_model",
]

_log = logging.getLogger(__name__)

PREDICTION_KEYS = (
    "Keys: Ctrl+B bars · 1-9, 0 pick the winner (press twice) · Enter resolve selected (twice)"
    " · L lock · C cancel and refund (twice) · Esc forget · Ctrl+N new · Ctrl+Enter start"
    " · Ctrl+S save template"
)


def _top(outcome: PredictionOutcome, count: int = 3) -> str:
    if not outcome.top_predictors:
        return ""
    names = []
    for predictor in outcome.top_predictors[:count]:
        name = predictor.user.name or predictor.user.login or predictor.user.id
        won = predictor.channel_points_won
        names.append(
            f"{name} {predictor.channel_points_used:,}" + (f" → won {won:,}" if won else "")
        )
    return "Top: " + ", ".join(names)


def outcome_rows(prediction: Prediction) -> list[BarRow]:
    """The bars of a prediction: channel points per outcome, viewers, top predictors."""
    rows = []
    for position, outcome in enumerate(prediction.outcomes):
        points = outcome.channel_points or 0
        users = outcome.users or 0
        rows.append(
            BarRow(
                id=outcome.id,
                key=key_for(position),
                title=outcome.title,
                value=points,
                numbers=f"{points:,} pts · {users:,} {'viewer' if users == 1 else 'viewers'}",
                detail=_top(outcome),
                color=BAR_COLORS.get(outcome.color, BAR_COLORS["BLUE"]),
                winner=outcome.id == prediction.winning_outcome_id,
            )
        )
    return rows


def _result(prediction: Prediction) -> str:
    if prediction.status == "RESOLVED":
        winner = next(
            (o for o in prediction.outcomes if o.id == prediction.winning_outcome_id), None
        )
        return f"Won: {winner.title}" if winner else "Resolved"
    if prediction.status == "CANCELED":
        return "Cancelled (refunded)"
    return prediction.status.title()


def _breakdown(prediction: Prediction) -> str:
    """Every outcome's points and viewers, the winner marked (the history's tooltip)."""
    lines = [prediction.title]
    for outcome in prediction.outcomes:
        mark = " ✓" if outcome.id == prediction.winning_outcome_id else ""
        lines.append(
            f"{outcome.title}{mark}: {outcome.channel_points or 0:,} pts,"
            f" {outcome.users or 0:,} viewers"
        )
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def prediction_history_model(parent: QObject | None = None) -> HistoryTableModel[Prediction]:
    """The history table: title, result, points, viewers, end time."""
    model: HistoryTableModel[Prediction] = HistoryTableModel(
        [
            ("Prediction", lambda p: p.title),
            ("Result", _result),
            ("Points", lambda p: f"{sum(o.channel_points or 0 for o in p.outcomes):,}"),
            ("Viewers", lambda p: f"{sum(o.users or 0 for o in p.outcomes):,}"),
            ("Ended", lambda p: _when(p.ended_at)),
        ],
        parent,
        tooltip=_breakdown,
    )
    return model


class PredictionsPanel(QWidget):
    """The predictions tab.

    Args:
        service: The predictions service.
        templates: Where templates are saved (None: the template row is hidden).
        clock: The time now, timezone-aware (tests move it).
        parent: Qt parent.
    """

    def __init__(
        self,
        service: PredictionsService,
        templates: TemplateStore | None = None,
        clock: Callable[[], datetime] = now_utc,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.templates = templates
        self.clock = clock
        self.model = OutcomeBarsModel(self)
        self.history_model = prediction_history_model(self)
        self._shown: Prediction | None = None

        heading = QLabel("Predictions")
        heading.setProperty("role", "title")
        self.error_label = QLabel()
        self.error_label.setProperty("role", "error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.warning_label = QLabel()
        self.warning_label.setProperty("role", "notice")
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()

        # -- the running prediction
        self.active_title = QLabel()
        self.active_title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.active_title.setWordWrap(True)
        self.status_label = QLabel()
        self.totals_label = QLabel()
        self.bars = QListView()
        self.bars.setModel(self.model)
        self.bars.setItemDelegate(OutcomeBarDelegate(self.bars))
        self.bars.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.bars.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.bars.setMinimumHeight(150)
        self.bars.installEventFilter(KeyFilter(self._bar_key, self))
        self.bars.doubleClicked.connect(lambda index: self._press_resolve(index.row()))
        self.empty_label = QLabel("No prediction running. Start one from the form.")
        self.empty_label.setProperty("role", "empty")
        self.confirm_label = QLabel()
        self.confirm_label.setProperty("role", "notice")
        self.confirm_label.setWordWrap(True)
        self.confirm = PressAgain(self.confirm_label, parent=self)
        self.lock_button = QPushButton("Lock (L)")
        self.resolve_button = QPushButton("Resolve selected (Enter)")
        self.cancel_button = QPushButton("Cancel and refund (C)")
        self.cancel_button.setProperty("secondary", True)
        self.action_reason = QLabel()
        self.action_reason.setWordWrap(True)
        self.action_reason.setProperty("role", "hint")
        actions = QHBoxLayout()
        actions.addWidget(self.lock_button)
        actions.addWidget(self.resolve_button)
        actions.addWidget(self.cancel_button)
        actions.addStretch(1)

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
        left.addWidget(self.active_title)
        left.addWidget(self.status_label)
        left.addWidget(self.bars, 2)
        left.addWidget(self.empty_label)
        left.addWidget(self.totals_label)
        left.addWidget(self.confirm_label)
        left.addLayout(actions)
        left.addWidget(self.action_reason)
        left.addWidget(history_heading)
        left.addWidget(self.history, 1)

        # -- the form
        form_heading = QLabel("New prediction")
        form_heading.setStyleSheet("font-weight: bold;")
        self.form = PredictionForm()
        self.create_reason = QLabel()
        self.create_reason.setProperty("role", "notice")
        self.create_reason.setWordWrap(True)
        self.create_button = QPushButton("Start prediction (Ctrl+Enter)")
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
        self.keys_label = QLabel(PREDICTION_KEYS)
        self.keys_label.setWordWrap(True)
        self.keys_label.setStyleSheet("color: palette(placeholder-text); font-size: 9pt;")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.error_label)
        layout.addWidget(self.warning_label)
        layout.addLayout(columns, 1)
        layout.addWidget(self.keys_label)

        self.lock_button.clicked.connect(self.lock)
        self.resolve_button.clicked.connect(self._resolve_selected)
        self.cancel_button.clicked.connect(self.press_cancel)
        self.create_button.clicked.connect(self.start)
        self.form.title_edit.textChanged.connect(self._update_actions)
        self.form.outcomes_edit.textChanged.connect(self._update_actions)
        self.form.window_edit.textChanged.connect(self._update_actions)
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

    # -- showing -----------------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        """Show a failure on the panel (cleared by the next successful change)."""
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def show_active(self, prediction: Prediction | None) -> None:
        if prediction is None or self._shown is None or prediction.id != self._shown.id:
            self.confirm.clear()
        self._shown = prediction
        if prediction is None:
            self.model.set_rows([])
            self.active_title.setText("")
            self.totals_label.setText("")
        else:
            self.model.set_rows(outcome_rows(prediction))
            self.active_title.setText(prediction.title)
            points = sum(o.channel_points or 0 for o in prediction.outcomes)
            users = sum(o.users or 0 for o in prediction.outcomes)
            self.totals_label.setText(f"{points:,} channel points from {users:,} viewers")
        running = prediction is not None
        for widget in (self.active_title, self.status_label, self.bars, self.totals_label):
            widget.setVisible(running)
        self.empty_label.setVisible(not running)
        self._update_actions()
        self.update_clock()

    def update_clock(self) -> None:
        """Countdown to the lock, time left to resolve, and the auto-cancel warning."""
        prediction = self.service.active
        now = self.clock()
        warning = ""
        if prediction is None:
            self.status_label.setText("")
        elif prediction.status == "ACTIVE":
            lock_time = locks_at(prediction)
            left = f" · locks in {format_span(lock_time - now)}" if lock_time else ""
            self.status_label.setText(f"Taking bets{left}")
        else:
            cancel_time = auto_cancel_at(prediction)
            if cancel_time is None:
                self.status_label.setText("Locked · pick the winner")
            else:
                remaining = cancel_time - now
                self.status_label.setText(
                    f"Locked · pick the winner within {format_span(remaining)}"
                )
                if remaining <= AUTO_CANCEL_WARNING:
                    warning = (
                        f"Twitch cancels “{isolate(prediction.title)}” and refunds every bet in"
                        f" {format_span(remaining)} unless you pick the winner."
                    )
        self.warning_label.setText(warning)
        self.warning_label.setVisible(bool(warning))

    def _update_actions(self) -> None:
        active = self.service.active
        lock_reason = lock_blocked_reason(active)
        end_reason = resolve_blocked_reason(active)
        self.lock_button.setEnabled(lock_reason is None)
        self.resolve_button.setEnabled(end_reason is None)
        self.cancel_button.setEnabled(end_reason is None)
        if active is not None and lock_reason is not None:
            self.action_reason.setText(f"Lock is off. {lock_reason}")
        else:
            self.action_reason.setText("")
        self.action_reason.setVisible(bool(self.action_reason.text()))
        blocked = create_blocked_reason(active)
        self.create_reason.setText(blocked or "")
        self.create_reason.setVisible(blocked is not None)
        valid = self.form.validate()
        self.create_button.setEnabled(blocked is None and valid)
        self.create_button.setToolTip(blocked or ("" if valid else "Fix the form first."))

    # -- actions -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the prediction in the form (if valid and none is running)."""
        self._update_actions()
        if not self.create_button.isEnabled():
            return
        title, outcomes, window = self.form.values()
        assert window is not None  # the form is valid
        self.show_error("")
        self.service.create(title, outcomes, window)

    def lock(self) -> None:
        if lock_blocked_reason(self.service.active) is None:
            self.show_error("")
            self.confirm.clear()
            self.service.lock()

    def press_cancel(self) -> None:
        """First press asks, the second cancels and refunds."""
        active = self.service.active
        if active is None or resolve_blocked_reason(active) is not None:
            return
        self.confirm.press(
            "cancel",
            f"Press C (or the button) again to cancel “{isolate(active.title)}” and refund every"
            " bet. Esc keeps it.",
            self._cancel_now,
        )

    def _cancel_now(self) -> None:
        self.show_error("")
        self.service.cancel()

    def _press_resolve(self, position: int) -> None:
        active = self.service.active
        if active is None or resolve_blocked_reason(active) is not None:
            return
        if not 0 <= position < len(active.outcomes):
            return
        outcome = active.outcomes[position]
        key = key_for(position) or "Enter"
        self.bars.setCurrentIndex(self.model.index(position))
        self.confirm.press(
            f"resolve:{outcome.id}",
            f"Press {key} again to pay out “{isolate(outcome.title)}” as the winner. Esc keeps"
            " it open.",
            lambda: self._resolve_now(outcome.id),
        )

    def _resolve_now(self, outcome_id: str) -> None:
        self.show_error("")
        self.service.resolve(outcome_id)

    def _resolve_selected(self) -> None:
        index = self.bars.currentIndex()
        if index.isValid():
            self._press_resolve(index.row())
        else:
            self.show_error("Select the winning outcome first (or press its number).")

    def _bar_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if Qt.Key.Key_0 <= key <= Qt.Key.Key_9:
            digit = key - Qt.Key.Key_0
            self._press_resolve(9 if digit == 0 else digit - 1)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._resolve_selected()
            return True
        if key == Qt.Key.Key_L:
            self.lock()
            return True
        if key == Qt.Key.Key_C:
            self.press_cancel()
            return True
        if key == Qt.Key.Key_Escape:
            self.confirm.clear()
            return True
        return False

    # -- templates ---------------------------------------------------------------------------

    def set_game(self, game: str | None) -> None:
        """The channel's current game: its templates ("<game>: ...") are offered first."""
        self.template_bar.set_game(game)

    def _reload_templates(self, current: str | None = None) -> None:
        if self.templates is not None:
            names = [t.name for t in self.templates.predictions()]
            self.template_bar.set_names(names, current)

    def apply_template(self, name: str) -> None:
        template = self.templates.prediction(name) if self.templates else None
        if template is None:
            self.template_bar.show_message(f"No template named “{isolate(name)}”.", error=True)
            return
        self.form.fill(template.title, list(template.outcomes), template.window_seconds)
        self.template_bar.show_message(f"Applied “{isolate(template.name)}”.")

    def save_template(self, name: str) -> None:
        if self.templates is None:
            return
        title, outcomes, window = self.form.values()
        template = PredictionTemplate(name, title, tuple(outcomes), window or 0)
        try:
            self.templates.save_prediction(template)
        except TemplateInvalid as exc:
            self.template_bar.show_message("Not saved: " + "; ".join(exc.problems), error=True)
            return
        self._reload_templates(name)
        self.template_bar.show_message(f"Saved “{isolate(name)}”.")

    def delete_template(self, name: str) -> None:
        if self.templates is not None and self.templates.delete_prediction(name):
            self._reload_templates()
            self.template_bar.show_message(f"Deleted “{isolate(name)}”.")
