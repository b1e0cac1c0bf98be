"""The polls tab: the active poll as live bars, the form, templates, history.

Left: the active poll (votes per choice, moved by EventSub, with a countdown to its end),
its two ways to end early and the history. Right: the form, checked against
``companion/twitch/limits.py`` as the streamer types
(:class:`~companion.ui.engagement_forms.PollForm`), and templates. The layout and what
it shares with the predictions tab are :class:`~companion.ui.running_item_panel.RunningItemPanel`.

Keyboard (shown on the panel as :data:`POLL_KEYS`): with the bars focused (Ctrl+B),
E ends the poll and keeps the result on screen (press twice), A ends and hides it
(archive, twice), Esc forgets a half-done confirmation. Anywhere in the panel: Ctrl+N new,
Ctrl+Enter start, Ctrl+S save template. No dialogs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QPushButton, QWidget

from companion.core.bidi import isolate
from companion.core.templates import PollTemplate
from companion.services.polls_service import create_blocked_reason, ends_at
from companion.services.predictions_service import now_utc
from companion.ui.engagement_forms import PollForm
from companion.ui.outcome_bars import BAR_COLORS, BarRow, HistoryTableModel, format_span
from companion.ui.running_item_panel import RunningItemPanel

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


class PollsPanel(RunningItemPanel["Poll", PollTemplate]):
    """The polls tab (see :class:`RunningItemPanel` for what every such tab shows).

    Args:
        service: The polls service.
        templates: Where templates are saved (None: the template row is hidden).
        clock: The time now, timezone-aware (tests move it).
        parent: Qt parent.
    """

    TITLE = "Polls"
    FORM_TITLE = "New poll"
    START_TEXT = "Start poll (Ctrl+Enter)"
    EMPTY_TEXT = "No poll running. Start one from the form."
    KEYS = POLL_KEYS

    service: PollsService
    form: PollForm

    def __init__(
        self,
        service: PollsService,
        templates: TemplateStore | None = None,
        clock: Callable[[], datetime] = now_utc,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(service, templates, clock, parent)

    # -- the parts of the tab ------------------------------------------------------------------

    def _history_model(self) -> HistoryTableModel[Poll]:
        return poll_history_model(self)

    def _make_form(self) -> PollForm:
        return PollForm()

    def _form_changed_signals(self) -> list[Any]:
        form = self.form
        return [
            form.title_edit.textChanged,
            form.choices_edit.textChanged,
            form.duration_edit.textChanged,
            form.points_edit.textChanged,
            form.points_check.toggled,
        ]

    def _action_buttons(self) -> list[QPushButton]:
        self.end_button = QPushButton("End, keep result shown (E)")
        self.archive_button = QPushButton("End and hide (A)")
        self.archive_button.setProperty("secondary", True)
        self.end_button.clicked.connect(lambda: self.press_end("TERMINATED"))
        self.archive_button.clicked.connect(lambda: self.press_end("ARCHIVED"))
        return [self.end_button, self.archive_button]

    def _rows(self, item: Poll) -> list[BarRow]:
        return choice_rows(item)

    def _totals(self, item: Poll) -> str:
        votes = sum(c.votes or 0 for c in item.choices)
        points = (
            f" · extra votes cost {item.channel_points_per_vote:,} channel points"
            if item.channel_points_voting_enabled
            else ""
        )
        return f"{votes:,} {'vote' if votes == 1 else 'votes'}{points}"

    def _status(self, item: Poll, now: datetime) -> tuple[str, str]:
        end = ends_at(item)
        left = f" · ends in {format_span(end - now)}" if end else ""
        return f"Voting{left}", ""

    def _create_blocked(self, active: Poll | None) -> str | None:
        return create_blocked_reason(active)

    def _update_item_actions(self, active: Poll | None) -> None:
        self.end_button.setEnabled(active is not None)
        self.archive_button.setEnabled(active is not None)

    def _create(self) -> None:
        title, choices, duration, points = self.form.values()
        assert duration is not None  # the form is valid
        self.service.create(title, choices, duration, points)

    # -- the poll's actions ----------------------------------------------------------------------

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

    def _item_key(self, key: int) -> bool:
        if key == Qt.Key.Key_E:
            self.press_end("TERMINATED")
            return True
        if key == Qt.Key.Key_A:
            self.press_end("ARCHIVED")
            return True
        return False

    # -- templates -----------------------------------------------------------------------------

    def _template_names(self, store: TemplateStore) -> list[str]:
        return [t.name for t in store.polls()]

    def _find_template(self, store: TemplateStore, name: str) -> PollTemplate | None:
        return store.poll(name)

    def _fill_form(self, template: PollTemplate) -> None:
        self.form.fill(
            template.title,
            list(template.choices),
            template.duration_seconds,
            template.channel_points_per_vote,
        )

    def _template_from_form(self, name: str) -> PollTemplate:
        title, choices, duration, points = self.form.values()
        if self.form.points_check.isChecked() and points is None:
            points = 0  # typed but not a number: reported as outside the limit
        return PollTemplate(name, title, tuple(choices), duration or 0, points)

    def _store_template(self, store: TemplateStore, template: PollTemplate) -> None:
        store.save_poll(template)

    def _remove_template(self, store: TemplateStore, name: str) -> bool:
        return store.delete_poll(name)
