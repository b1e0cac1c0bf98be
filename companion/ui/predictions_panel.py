"""The predictions tab: the running prediction as live bars, the form, templates, history.

Left: the running prediction (outcome bars moved by EventSub, countdown to the lock, the
warning before Twitch's automatic cancel), its actions and the history. Right: the form,
checked against ``companion/twitch/limits.py`` as the streamer types
(:class:`~companion.ui.engagement_forms.PredictionForm`), and templates. The layout and
what it shares with the polls tab are :class:`~companion.ui.running_item_panel.RunningItemPanel`.

Keyboard (shown on the panel as :data:`PREDICTION_KEYS`): with the bars focused
(Ctrl+B), 1-9 and 0 pick the winner (press the same key twice), L locks, C cancels and
refunds (twice), Enter resolves the selected bar (twice), Esc forgets a half-done
confirmation. Anywhere in the panel: Ctrl+N new, Ctrl+Enter start, Ctrl+S save template.
No dialogs: confirmations and errors are lines on the panel.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QPushButton, QWidget

from companion.core.bidi import isolate
from companion.core.templates import PredictionTemplate
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
from companion.ui.outcome_bars import BAR_COLORS, BarRow, HistoryTableModel, format_span, key_for
from companion.ui.running_item_panel import RunningItemPanel

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


class PredictionsPanel(RunningItemPanel["Prediction", PredictionTemplate]):
    """The predictions tab (see :class:`RunningItemPanel` for what every such tab shows).

    Args:
        service: The predictions service.
        templates: Where templates are saved (None: the template row is hidden).
        clock: The time now, timezone-aware (tests move it).
        parent: Qt parent.
    """

    TITLE = "Predictions"
    FORM_TITLE = "New prediction"
    START_TEXT = "Start prediction (Ctrl+Enter)"
    EMPTY_TEXT = "No prediction running. Start one from the form."
    KEYS = PREDICTION_KEYS
    # The selected bar is the winner Enter resolves.
    BAR_SELECTION = QAbstractItemView.SelectionMode.SingleSelection

    service: PredictionsService
    form: PredictionForm

    def __init__(
        self,
        service: PredictionsService,
        templates: TemplateStore | None = None,
        clock: Callable[[], datetime] = now_utc,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(service, templates, clock, parent)
        self.bars.doubleClicked.connect(lambda index: self._press_resolve(index.row()))

    # -- the parts of the tab ------------------------------------------------------------------

    def _history_model(self) -> HistoryTableModel[Prediction]:
        return prediction_history_model(self)

    def _make_form(self) -> PredictionForm:
        return PredictionForm()

    def _form_changed_signals(self) -> list[Any]:
        form = self.form
        return [
            form.title_edit.textChanged,
            form.outcomes_edit.textChanged,
            form.window_edit.textChanged,
        ]

    def _action_buttons(self) -> list[QPushButton]:
        self.lock_button = QPushButton("Lock (L)")
        self.resolve_button = QPushButton("Resolve selected (Enter)")
        self.cancel_button = QPushButton("Cancel and refund (C)")
        self.cancel_button.setProperty("secondary", True)
        self.lock_button.clicked.connect(self.lock)
        self.resolve_button.clicked.connect(self._resolve_selected)
        self.cancel_button.clicked.connect(self.press_cancel)
        return [self.lock_button, self.resolve_button, self.cancel_button]

    def _rows(self, item: Prediction) -> list[BarRow]:
        return outcome_rows(item)

    def _totals(self, item: Prediction) -> str:
        points = sum(o.channel_points or 0 for o in item.outcomes)
        users = sum(o.users or 0 for o in item.outcomes)
        return f"{points:,} channel points from {users:,} viewers"

    def _status(self, item: Prediction, now: datetime) -> tuple[str, str]:
        """Countdown to the lock, time left to resolve, and the auto-cancel warning."""
        if item.status == "ACTIVE":
            lock_time = locks_at(item)
            left = f" · locks in {format_span(lock_time - now)}" if lock_time else ""
            return f"Taking bets{left}", ""
        cancel_time = auto_cancel_at(item)
        if cancel_time is None:
            return "Locked · pick the winner", ""
        remaining = cancel_time - now
        warning = ""
        if remaining <= AUTO_CANCEL_WARNING:
            warning = (
                f"Twitch cancels “{isolate(item.title)}” and refunds every bet in"
                f" {format_span(remaining)} unless you pick the winner."
            )
        return f"Locked · pick the winner within {format_span(remaining)}", warning

    def _create_blocked(self, active: Prediction | None) -> str | None:
        return create_blocked_reason(active)

    def _update_item_actions(self, active: Prediction | None) -> None:
        lock_reason = lock_blocked_reason(active)
        end_reason = resolve_blocked_reason(active)
        self.lock_button.setEnabled(lock_reason is None)
        self.resolve_button.setEnabled(end_reason is None)
        self.cancel_button.setEnabled(end_reason is None)
        if active is not None and lock_reason is not None:
            self.action_reason.setText(f"Lock is off. {lock_reason}")
        else:
            self.action_reason.setText("")

    def _create(self) -> None:
        title, outcomes, window = self.form.values()
        assert window is not None  # the form is valid
        self.service.create(title, outcomes, window)

    # -- the prediction's actions ----------------------------------------------------------------

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

    def _item_key(self, key: int) -> bool:
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
        return False

    # -- templates -----------------------------------------------------------------------------

    def _template_names(self, store: TemplateStore) -> list[str]:
        return [t.name for t in store.predictions()]

    def _find_template(self, store: TemplateStore, name: str) -> PredictionTemplate | None:
        return store.prediction(name)

    def _fill_form(self, template: PredictionTemplate) -> None:
        self.form.fill(template.title, list(template.outcomes), template.window_seconds)

    def _template_from_form(self, name: str) -> PredictionTemplate:
        title, outcomes, window = self.form.values()
        return PredictionTemplate(name, title, tuple(outcomes), window or 0)

    def _store_template(self, store: TemplateStore, template: PredictionTemplate) -> None:
        store.save_prediction(template)

    def _remove_template(self, store: TemplateStore, name: str) -> bool:
        return store.delete_prediction(name)
