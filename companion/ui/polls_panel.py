"""The polls tab: the active poll as live bars, the form, templates, history.

Left: the active poll (votes per choice, moved by EventSub, with a countdown to its end),
its two ways to end early and the history. Right: the form, checked against
``companion/twitch/limits.py`` as the streamer types
(:class:`~companion.ui.engagement_forms.PollForm`), and templates.

Keyboard (shown on the panel as :data:`POLL_KEYS`): with the bars focused (Ctrl+B),
E ends the poll and keeps the result on screen (press twice), A ends and hides it
(archive, twice), Esc forgets a half-done confirmation. Anywhere in the panel: Ctrl+N new,
Ctrl+Enter start, Ctrl+S save template. No dialogs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

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
from companion.core.templates import PollTemplate, TemplateInvalid
from companion.services.polls_service import create_blocked_reason, ends_at
from companion.services.predictions_service import now_utc
from companion.ui.engagement_forms import PollForm
from companion.ui.outcome_bars import (
    BAR_COLORS,
    BarRow,
    HistoryTableModel,
    KeyFilter,
    OutcomeBarDelegate,
    OutcomeBarsModel,
    PressAgain,
    format_span,
)
from companion.ui.templates_ui import TemplateBar

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from companion.core.templates import TemplateStore
    from companion.services.polls_service import PollsService
    from companion.twitch.models.polls import Poll

__all__ = ["POLL_KEYS", "PollForm", "PollsPanel", "choice_rows", "poll_history_model"]

_log = logging.getLogger(__name__)

POLL_KEYS = (
    "Keys: Ctrl+B bars · E end and keep the result shown (twice) · A end and hide (archive,"
    " twice) · Esc forget · Ctrl+N new · Ctrl+Enter start · Ctrl+S save template"
)

STATUS_NAMES = {
    "ACTIVE": "Running",
    "COMPLETED": "Completed",
    "TERMINATED": "Ended early (result shown)",
    "ARCHIVED": "Archived (hidden)",
    "MODERATED": "Removed by moderation",
    "INVALID": "Invalid",
}


def choice_rows(poll: Poll) -> list[BarRow]:
    """The bars of a poll: votes per choice (and how many were bought with points)."""
    rows = []
    for choice in poll.choices:
        votes = choice.votes or 0
        numbers = f"{votes:,} {'vote' if votes == 1 else 'votes'}"
        if poll.channel_points_voting_enabled and choice.channel_points_votes:
            numbers += f" ({choice.channel_points_votes:,} with points)"
        rows.append(BarRow(choice.id, "", choice.title, votes, numbers, "", BAR_COLORS["POLL"]))
    return rows


def _winner(poll: Poll) -> str:
    votes = [(choice.votes or 0, choice.title) for choice in poll.choices]
    best = max((count for count, _ in votes), default=0)
    if best == 0:
        return "No votes"
    titles = [title for count, title in votes if count == best]
    return f"{' / '.join(titles)} ({best:,})"


def _breakdown(poll: Poll) -> str:
    """Every choice's votes (the history's tooltip)."""
    lines = [poll.title]
    lines += [f"{choice.title}: {choice.votes or 0:,} votes" for choice in poll.choices]
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def poll_history_model(parent: QObject | None = None) -> HistoryTableModel[Poll]:
    """The history table: title, how it ended, the winner, total votes, end time."""
    model: HistoryTableModel[Poll] = HistoryTableModel(
        [
            ("Poll", lambda p: p.title),
            ("Status", lambda p: STATUS_NAMES.get(p.status, p.status.title())),
            ("Winner", _winner),
            ("Votes", lambda p: f"{sum(c.votes or 0 for c in p.choices):,}"),
            ("Ended", lambda p: _when(p.ended_at)),
        ],
        parent,
        tooltip=_breakdown,
    )
    return model


class PollsPanel(QWidget):
    """The polls tab.

    Args:
        service: The polls service.
        templates: Where templates are saved (None: the template row is hidden).
        clock: The time now, timezone-aware (tests move it).
        parent: Qt parent.
    """

    def __init__(
        self,
        service: PollsService,
        templates: TemplateStore | None = None,
        clock: Callable[[], datetime] = now_utc,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.templates = templates
        self.clock = clock
        self.model = OutcomeBarsModel(self)
        self.history_model = poll_history_model(self)
        self._shown: Poll | None = None

        heading = QLabel("Polls")
        heading.setProperty("role", "title")
        self.error_label = QLabel()
        self.error_label.setProperty("role", "error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.active_title = QLabel()
        self.active_title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.active_title.setWordWrap(True)
        self.status_label = QLabel()
        self.totals_label = QLabel()
        self.bars = QListView()
        self.bars.setModel(self.model)
        self.bars.setItemDelegate(OutcomeBarDelegate(self.bars))
        self.bars.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.bars.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.bars.setMinimumHeight(150)
        self.bars.installEventFilter(KeyFilter(self._bar_key, self))
        self.empty_label = QLabel("No poll running. Start one from the form.")
        self.empty_label.setProperty("role", "empty")
        self.confirm_label = QLabel()
        self.confirm_label.setProperty("role", "notice")
        self.confirm_label.setWordWrap(True)
        self.confirm = PressAgain(self.confirm_label, parent=self)
        self.end_button = QPushButton("End, keep result shown (E)")
        self.archive_button = QPushButton("End and hide (A)")
        self.archive_button.setProperty("secondary", True)
        actions = QHBoxLayout()
        actions.addWidget(self.end_button)
        actions.addWidget(self.archive_button)
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
        left.addWidget(history_heading)
        left.addWidget(self.history, 1)

        form_heading = QLabel("New poll")
        form_heading.setStyleSheet("font-weight: bold;")
        self.form = PollForm()
        self.create_reason = QLabel()
        self.create_reason.setProperty("role", "notice")
        self.create_reason.setWordWrap(True)
        self.create_button = QPushButton("Start poll (Ctrl+Enter)")
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
        self.keys_label = QLabel(POLL_KEYS)
        self.keys_label.setWordWrap(True)
        self.keys_label.setStyleSheet("color: palette(placeholder-text); font-size: 9pt;")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.error_label)
        layout.addLayout(columns, 1)
        layout.addWidget(self.keys_label)

        self.end_button.clicked.connect(lambda: self.press_end("TERMINATED"))
        self.archive_button.clicked.connect(lambda: self.press_end("ARCHIVED"))
        self.create_button.clicked.connect(self.start)
        for signal in (
            self.form.title_edit.textChanged,
            self.form.choices_edit.textChanged,
            self.form.duration_edit.textChanged,
            self.form.points_edit.textChanged,
            self.form.points_check.toggled,
        ):
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

    # -- showing -----------------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        """Show a failure on the panel (cleared by the next action)."""
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def show_active(self, poll: Poll | None) -> None:
        if poll is None or self._shown is None or poll.id != self._shown.id:
            self.confirm.clear()
        self._shown = poll
        if poll is None:
            self.model.set_rows([])
            self.active_title.setText("")
            self.totals_label.setText("")
        else:
            self.model.set_rows(choice_rows(poll))
            self.active_title.setText(poll.title)
            votes = sum(c.votes or 0 for c in poll.choices)
            points = (
                f" · extra votes cost {poll.channel_points_per_vote:,} channel points"
                if poll.channel_points_voting_enabled
                else ""
            )
            self.totals_label.setText(f"{votes:,} {'vote' if votes == 1 else 'votes'}{points}")
        running = poll is not None
        for widget in (self.active_title, self.status_label, self.bars, self.totals_label):
            widget.setVisible(running)
        self.empty_label.setVisible(not running)
        self._update_actions()
        self.update_clock()

    def update_clock(self) -> None:
        """The countdown to the poll's end."""
        poll = self.service.active
        if poll is None:
            self.status_label.setText("")
            return
        end = ends_at(poll)
        left = f" · ends in {format_span(end - self.clock())}" if end else ""
        self.status_label.setText(f"Voting{left}")

    def _update_actions(self) -> None:
        active = self.service.active
        self.end_button.setEnabled(active is not None)
        self.archive_button.setEnabled(active is not None)
        blocked = create_blocked_reason(active)
        self.create_reason.setText(blocked or "")
        self.create_reason.setVisible(blocked is not None)
        valid = self.form.validate()
        self.create_button.setEnabled(blocked is None and valid)
        self.create_button.setToolTip(blocked or ("" if valid else "Fix the form first."))

    # -- actions -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the poll in the form (if valid and none is running)."""
        self._update_actions()
        if not self.create_button.isEnabled():
            return
        title, choices, duration, points = self.form.values()
        assert duration is not None  # the form is valid
        self.show_error("")
        self.service.create(title, choices, duration, points)

    def press_end(self, status: Literal["TERMINATED", "ARCHIVED"]) -> None:
        """First press asks, the second ends the poll (TERMINATED or ARCHIVED)."""
        active = self.service.active
        if active is None:
            return
        if status == "TERMINATED":
            question = (
                f"Press E (or the button) again to end “{isolate(active.title)}” now; viewers keep"
                " seeing the result. Esc keeps it running."
            )
        else:
            question = (
                f"Press A (or the button) again to end “{isolate(active.title)}” now and hide it"
                " from viewers. Esc keeps it running."
            )
        self.confirm.press(status, question, lambda: self._end_now(status))

    def _end_now(self, status: Literal["TERMINATED", "ARCHIVED"]) -> None:
        self.show_error("")
        self.service.end(status)

    def _bar_key(self, event: QKeyEvent) -> bool:
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        key = event.key()
        if key == Qt.Key.Key_E:
            self.press_end("TERMINATED")
            return True
        if key == Qt.Key.Key_A:
            self.press_end("ARCHIVED")
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
            names = [t.name for t in self.templates.polls()]
            self.template_bar.set_names(names, current)

    def apply_template(self, name: str) -> None:
        template = self.templates.poll(name) if self.templates else None
        if template is None:
            self.template_bar.show_message(f"No template named “{isolate(name)}”.", error=True)
            return
        self.form.fill(
            template.title,
            list(template.choices),
            template.duration_seconds,
            template.channel_points_per_vote,
        )
        self.template_bar.show_message(f"Applied “{isolate(template.name)}”.")

    def save_template(self, name: str) -> None:
        if self.templates is None:
            return
        title, choices, duration, points = self.form.values()
        if self.form.points_check.isChecked() and points is None:
            points = 0  # typed but not a number: reported as outside the limit
        template = PollTemplate(name, title, tuple(choices), duration or 0, points)
        try:
            self.templates.save_poll(template)
        except TemplateInvalid as exc:
            self.template_bar.show_message("Not saved: " + "; ".join(exc.problems), error=True)
            return
        self._reload_templates(name)
        self.template_bar.show_message(f"Saved “{isolate(name)}”.")

    def delete_template(self, name: str) -> None:
        if self.templates is not None and self.templates.delete_poll(name):
            self._reload_templates()
            self.template_bar.show_message(f"Deleted “{isolate(name)}”.")
