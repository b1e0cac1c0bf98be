"""The prediction and poll forms: every field explained, checked as the streamer types.

Each field has a line under it that states Twitch's rule (from
``companion/twitch/limits.py``, the same records the client checks before sending) and
turns into the error, naming the limit, once the value breaks it. A field nobody has
typed in yet shows the rule rather than an error.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from companion.twitch import limits
from companion.ui.outcome_bars import LimitField, limit_problem, parse_int

__all__ = ["POLL_FIELD_HELP", "PREDICTION_FIELD_HELP", "PollForm", "PredictionForm"]

_log = logging.getLogger(__name__)

_TITLE, _OUTCOMES, _OUTCOME = (
    limits.PREDICTION_TITLE,
    limits.PREDICTION_OUTCOMES,
    limits.PREDICTION_OUTCOME_TITLE,
)
_WINDOW = limits.PREDICTION_WINDOW
PREDICTION_FIELD_HELP = {
    "title": f"The question, {_TITLE.minimum} to {_TITLE.maximum} characters (Twitch's limit).",
    "outcomes": f"One outcome per line: {_OUTCOMES.minimum} to {_OUTCOMES.maximum} outcomes of"
    f" at most {_OUTCOME.maximum} characters each. Two outcomes are blue and pink.",
    "window": f"Seconds viewers can bet: {_WINDOW.minimum} to {_WINDOW.maximum}"
    f" ({(_WINDOW.maximum or 0) // 60} min). It locks by itself when the time is up.",
}


_POLL_TITLE, _CHOICES, _CHOICE = limits.POLL_TITLE, limits.POLL_CHOICES, limits.POLL_CHOICE_TITLE
_DURATION, _POINTS = limits.POLL_DURATION, limits.POLL_CHANNEL_POINTS_PER_VOTE
POLL_FIELD_HELP = {
    "title": f"The question, {_POLL_TITLE.minimum} to {_POLL_TITLE.maximum} characters"
    " (Twitch's limit).",
    "choices": f"One choice per line: {_CHOICES.minimum} to {_CHOICES.maximum} choices of at"
    f" most {_CHOICE.maximum} characters each.",
    "duration": f"Seconds the poll runs: {_DURATION.minimum} to {_DURATION.maximum}"
    f" ({(_DURATION.maximum or 0) // 60} min). It ends by itself when the time is up.",
    "points": f"When on, viewers can buy extra votes: {_POINTS.minimum} to"
    f" {_POINTS.maximum:,} channel points per vote.",
}


def _lines(text: str) -> list[str]:
    """The non-empty lines of a text box, trimmed (one outcome or choice per line)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class PredictionForm(QWidget):
    """Title, outcomes (one per line), window: each explained and checked as you type."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Will we beat the boss this try?")
        self.title_count = QLabel()
        self.outcomes_edit = QPlainTextEdit()
        self.outcomes_edit.setPlaceholderText("Yes\nNo")
        self.outcomes_edit.setFixedHeight(96)
        self.outcomes_edit.setTabChangesFocus(True)
        self.window_edit = QLineEdit("120")
        self.fields = {name: LimitField(text) for name, text in PREDICTION_FIELD_HELP.items()}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title_edit, 1)
        title_row.addWidget(self.title_count)
        title_label = QLabel("&Title")
        title_label.setBuddy(self.title_edit)
        layout.addRow(title_label, title_row)
        layout.addRow("", self.fields["title"].label)
        layout.addRow("&Outcomes", self.outcomes_edit)
        layout.addRow("", self.fields["outcomes"].label)
        layout.addRow("&Window (s)", self.window_edit)
        layout.addRow("", self.fields["window"].label)
        self.title_edit.textChanged.connect(self.validate)
        self.outcomes_edit.textChanged.connect(self.validate)
        self.window_edit.textChanged.connect(self.validate)
        self.validate()

    def values(self) -> tuple[str, list[str], int | None]:
        return (
            self.title_edit.text().strip(),
            _lines(self.outcomes_edit.toPlainText()),
            parse_int(self.window_edit.text()),
        )

    def problems(self) -> dict[str, str | None]:
        """Each field's problem (None when fine), in words naming Twitch's limit."""
        title, outcomes, window = self.values()
        outcome_problem = limit_problem(_OUTCOMES, outcomes)
        if outcome_problem is None:
            for line, outcome in enumerate(outcomes, start=1):
                problem = limit_problem(_OUTCOME, outcome)
                if problem is not None:
                    outcome_problem = f"Outcome {line}: {problem}"
                    break
        if window is None:
            window_problem: str | None = "Type the window in whole seconds."
        else:
            window_problem = limit_problem(_WINDOW, window)
        return {
            "title": limit_problem(_TITLE, title),
            "outcomes": outcome_problem,
            "window": window_problem,
        }

    def is_valid(self) -> bool:
        return not any(self.problems().values())

    def validate(self) -> bool:
        """Refresh every help line; True when the form can be sent."""
        problems = self.problems()
        typed = {
            "title": self.title_edit.text(),
            "outcomes": self.outcomes_edit.toPlainText(),
            "window": self.window_edit.text(),
        }
        for name, field in self.fields.items():
            field.show(problems[name], typed[name])
        self.title_count.setText(f"{len(self.title_edit.text().strip())}/{_TITLE.maximum}")
        return not any(problems.values())

    def fill(self, title: str, outcomes: list[str], window_seconds: int) -> None:
        self.title_edit.setText(title)
        self.outcomes_edit.setPlainText("\n".join(outcomes))
        self.window_edit.setText(str(window_seconds))


class PollForm(QWidget):
    """Title, choices (one per line), duration, channel points voting: checked as you type."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Which boss next?")
        self.title_count = QLabel()
        self.choices_edit = QPlainTextEdit()
        self.choices_edit.setPlaceholderText("Margit\nGodrick\nRennala")
        self.choices_edit.setFixedHeight(96)
        self.choices_edit.setTabChangesFocus(True)
        self.duration_edit = QLineEdit("60")
        self.points_check = QCheckBox("Extra votes for channel points")
        self.points_edit = QLineEdit("100")
        self.fields = {name: LimitField(text) for name, text in POLL_FIELD_HELP.items()}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title_edit, 1)
        title_row.addWidget(self.title_count)
        title_label = QLabel("&Title")
        title_label.setBuddy(self.title_edit)
        layout.addRow(title_label, title_row)
        layout.addRow("", self.fields["title"].label)
        layout.addRow("C&hoices", self.choices_edit)
        layout.addRow("", self.fields["choices"].label)
        layout.addRow("&Duration (s)", self.duration_edit)
        layout.addRow("", self.fields["duration"].label)
        points_row = QHBoxLayout()
        points_row.addWidget(self.points_check)
        points_row.addWidget(self.points_edit, 1)
        points_label = QLabel("&Points")
        points_label.setBuddy(self.points_check)
        layout.addRow(points_label, points_row)
        layout.addRow("", self.fields["points"].label)
        self.title_edit.textChanged.connect(self.validate)
        self.choices_edit.textChanged.connect(self.validate)
        self.duration_edit.textChanged.connect(self.validate)
        self.points_edit.textChanged.connect(self.validate)
        self.points_check.toggled.connect(self.validate)
        self.validate()

    def values(self) -> tuple[str, list[str], int | None, int | None]:
        """Title, choices, duration, points per vote (None when points voting is off)."""
        points = parse_int(self.points_edit.text()) if self.points_check.isChecked() else None
        return (
            self.title_edit.text().strip(),
            _lines(self.choices_edit.toPlainText()),
            parse_int(self.duration_edit.text()),
            points,
        )

    def problems(self) -> dict[str, str | None]:
        """Each field's problem (None when fine), in words naming Twitch's limit."""
        title, choices, duration, points = self.values()
        choice_problem = limit_problem(_CHOICES, choices)
        if choice_problem is None:
            for line, choice in enumerate(choices, start=1):
                problem = limit_problem(_CHOICE, choice)
                if problem is not None:
                    choice_problem = f"Choice {line}: {problem}"
                    break
        duration_problem = (
            "Type the duration in whole seconds."
            if duration is None
            else limit_problem(_DURATION, duration)
        )
        points_problem: str | None = None
        if self.points_check.isChecked():
            points_problem = (
                "Type the points per vote as a whole number."
                if points is None
                else limit_problem(_POINTS, points)
            )
        return {
            "title": limit_problem(_POLL_TITLE, title),
            "choices": choice_problem,
            "duration": duration_problem,
            "points": points_problem,
        }

    def validate(self) -> bool:
        """Refresh every help line; True when the form can be sent."""
        problems = self.problems()
        typed = {
            "title": self.title_edit.text(),
            "choices": self.choices_edit.toPlainText(),
            "duration": self.duration_edit.text(),
            "points": self.points_edit.text(),
        }
        for name, field in self.fields.items():
            field.show(problems[name], typed[name])
        self.points_edit.setEnabled(self.points_check.isChecked())
        self.title_count.setText(f"{len(self.title_edit.text().strip())}/{_POLL_TITLE.maximum}")
        return not any(problems.values())

    def fill(self, title: str, choices: list[str], duration: int, points: int | None) -> None:
        self.title_edit.setText(title)
        self.choices_edit.setPlainText("\n".join(choices))
        self.duration_edit.setText(str(duration))
        self.points_check.setChecked(points is not None)
        if points is not None:
            self.points_edit.setText(str(points))
