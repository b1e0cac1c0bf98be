"""The reward form: create or edit a reward, checked against Twitch's limits as you type.

Every field shows what Twitch allows under it, and turns that line into an error (in
words, naming the limit) the moment the value breaks it; the Save button stays off
until everything is valid. The numbers come from ``companion/twitch/limits.py``, the
same table the client checks before sending, so the form and the client never disagree.
No dialogs: the form is a panel beside the rewards table.

Signals:
    submitted(dict): Save pressed on a valid form. For a new reward the keywords of
        ``RewardsService.create``; for an edit only the changed ``CustomReward.edit`` keywords.
    cancelled(): Cancel pressed.
    showing(bool): the form was shown or hidden (its container follows).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from companion.core.bidi import isolate
from companion.services.messages import explain
from companion.twitch import limits
from companion.twitch.errors import LimitError

from .durations import format_duration, in_words, parse_duration

if TYPE_CHECKING:
    from companion.twitch.limits import Limit
    from companion.twitch.models.channel_points import CustomReward

__all__ = ["DEFAULT_COLOR", "FIELD_HELP", "RewardForm", "format_duration", "parse_duration"]

_log = logging.getLogger(__name__)

_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_COOLDOWN_SHOWN_FROM = 60  # SOURCES.md: ">= 60 to show in the Twitch UX"
#: A new reward's colour, filled in and sent: Twitch documents no default colour, so the
#: form never leaves it to Twitch unless the streamer empties the field.
DEFAULT_COLOR = "#9147FF"
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}
_DURATION_PART = re.compile(
    # Longest spelling first: the regex takes the first alternative that matches.
    r"(\d+)\s*(hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b",
    re.IGNORECASE,
)

_T, _P, _C = limits.REWARD_TITLE, limits.REWARD_PROMPT, limits.REWARD_GLOBAL_COOLDOWN
FIELD_HELP = {
    "title": f"Required, {_T.minimum} to {_T.maximum} characters, unique among the channel's "
    "rewards.",
    "prompt": f"Optional, up to {_P.maximum} characters. Viewers see it when they redeem.",
    "cost": f"Channel points, at least {limits.REWARD_COST.minimum}. Twitch documents no maximum.",
    "background_color": "Hex colour like #9147FF, as the swatch shows it.",
    "max_per_stream": f"At least {limits.REWARD_MAX_PER_STREAM.minimum} when on. Counts every "
    "viewer's redemptions this stream.",
    "max_per_user_per_stream": f"At least {limits.REWARD_MAX_PER_USER_PER_STREAM.minimum} when "
    "on. Per viewer, per stream.",
    "global_cooldown": f"Seconds (90), minutes and seconds (1:30, 5m 30s) or hours (1h); "
    f"{_C.minimum} s to 7 days when on. Twitch shows it from {_COOLDOWN_SHOWN_FROM} s.",
}
#: The help line of an emptied colour field, by mode.
_NO_COLOR_NEW = "Empty: Twitch picks the colour (it documents no default)."
_NO_COLOR_EDIT = "Empty: the reward keeps its colour."
_COOLDOWN_FORMAT = "Cooldown: type seconds (90), minutes and seconds (1:30 or 1m 30s), or 1h."


def _parse_int(text: str) -> int | None:
    stripped = text.strip().replace(",", "").replace("_", "")
    if not stripped or not stripped.lstrip("-").isdigit():
        return None
    return int(stripped)


class _Field:
    """One input with its help line; the help line turns into the error."""

    def __init__(self, name: str, editor: QWidget) -> None:
        self.name = name
        self.editor = editor
        self.message = QLabel(FIELD_HELP.get(name, ""))
        self.message.setWordWrap(True)
        self.message.setProperty("role", "hint")
        self._set_style(error=False)

    def _set_style(self, *, error: bool) -> None:
        self.message.setStyleSheet(
            "color: #d93025; font-weight: bold; font-size: 9pt;"
            if error
            else "color: #7a7a88; font-size: 9pt;"
        )

    def show(self, error: str | None, note: str | None = None) -> None:
        if error:
            self.message.setText(error)
            self._set_style(error=True)
        else:
            help_text = FIELD_HELP.get(self.name, "")
            self.message.setText(f"{help_text} {note}".strip() if note else help_text)
            self._set_style(error=False)


class RewardForm(QWidget):
    """Create or edit one reward; validates every keystroke."""

    submitted = Signal(dict)
    cancelled = Signal()
    showing = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reward: CustomReward | None = None
        self._titles: set[str] = set()
        self._read_only = False
        # Fields of a new form not edited yet: their errors wait (an empty new form is not
        # an error yet), though Save stays off until they are valid.
        self._pristine: set[str] = set()

        self.heading = QLabel("New reward")
        self.heading.setProperty("role", "title")
        self.read_only_label = QLabel()
        self.read_only_label.setProperty("role", "notice")
        self.read_only_label.setWordWrap(True)
        self.read_only_label.hide()

        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Hydrate!")
        self.title_count = QLabel("0/45")
        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setPlaceholderText("What the viewer should type or expect")
        self.prompt_edit.setFixedHeight(64)
        self.prompt_count = QLabel("0/200")
        self.cost_edit = QLineEdit("100")
        self.color_edit = QLineEdit()
        self.color_edit.setPlaceholderText("#9147FF")
        self.color_swatch = QLabel()
        self.color_swatch.setFixedSize(22, 22)
        self.color_swatch.setToolTip("The colour that will be saved")
        self.enabled_check = QCheckBox("Enabled (viewers see it)")
        self.enabled_check.setChecked(True)
        self.paused_check = QCheckBox("Paused (seen, not redeemable)")
        self.input_check = QCheckBox("Viewer must type text")
        self.skip_check = QCheckBox("Skip the queue (fulfilled at once)")
        self.per_stream_check = QCheckBox("Limit per stream")
        self.per_stream_edit = QLineEdit()
        self.per_user_check = QCheckBox("Limit per viewer per stream")
        self.per_user_edit = QLineEdit()
        self.cooldown_check = QCheckBox("Global cooldown")
        self.cooldown_edit = QLineEdit()
        self.cooldown_edit.setPlaceholderText("e.g. 5m or 1:30")

        self.fields = {
            "title": _Field("title", self.title_edit),
            "prompt": _Field("prompt", self.prompt_edit),
            "cost": _Field("cost", self.cost_edit),
            "background_color": _Field("background_color", self.color_edit),
            "max_per_stream": _Field("max_per_stream", self.per_stream_edit),
            "max_per_user_per_stream": _Field("max_per_user_per_stream", self.per_user_edit),
            "global_cooldown": _Field("global_cooldown", self.cooldown_edit),
        }

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)

        def row(label: str, editor: QWidget, extra: QWidget | None, name: str) -> None:
            line = QHBoxLayout()
            line.addWidget(editor, 1)
            if extra is not None:
                line.addWidget(extra)
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addLayout(line)
            box.addWidget(self.fields[name].message)
            form.addRow(label, box)

        row("Title", self.title_edit, self.title_count, "title")
        row("Prompt", self.prompt_edit, self.prompt_count, "prompt")
        row("Cost", self.cost_edit, None, "cost")
        row("Colour", self.color_edit, self.color_swatch, "background_color")
        row("", self.per_stream_edit, None, "max_per_stream")
        form.setWidget(form.rowCount() - 1, QFormLayout.ItemRole.LabelRole, self.per_stream_check)
        row("", self.per_user_edit, None, "max_per_user_per_stream")
        form.setWidget(form.rowCount() - 1, QFormLayout.ItemRole.LabelRole, self.per_user_check)
        row("", self.cooldown_edit, None, "global_cooldown")
        form.setWidget(form.rowCount() - 1, QFormLayout.ItemRole.LabelRole, self.cooldown_check)

        flags = QVBoxLayout()
        for check in (self.enabled_check, self.paused_check, self.input_check, self.skip_check):
            flags.addWidget(check)

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.save_button = QPushButton("Create reward")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setProperty("secondary", True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary_label, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.heading)
        layout.addWidget(self.read_only_label)
        layout.addLayout(form)
        layout.addLayout(flags)
        layout.addStretch(1)
        layout.addLayout(buttons)

        for name, field in self.fields.items():
            editor = field.editor
            # Marked edited first, then validated: the error shows from this first change.
            if isinstance(editor, QLineEdit):
                editor.textChanged.connect(lambda _text, n=name: self._edited(n))
                editor.textChanged.connect(self.validate)
            elif isinstance(editor, QPlainTextEdit):
                editor.textChanged.connect(lambda n=name: self._edited(n))
                editor.textChanged.connect(self.validate)
        for check in (
            self.per_stream_check,
            self.per_user_check,
            self.cooldown_check,
            self.enabled_check,
            self.paused_check,
            self.input_check,
            self.skip_check,
        ):
            check.toggled.connect(self.validate)
        self.save_button.clicked.connect(self._save)
        self.cancel_button.clicked.connect(self.cancelled.emit)
        # Keyboard first: Ctrl+Enter saves (as it starts a prediction), Esc cancels.
        for keys, slot in (
            ("Ctrl+Return", self._save_if_enabled),
            ("Ctrl+Enter", self._save_if_enabled),
            ("Escape", self.cancelled.emit),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.save_button.setToolTip("Ctrl+Enter")
        self.cancel_button.setToolTip("Esc")
        self.validate()

    def setVisible(self, visible: bool) -> None:
        super().setVisible(visible)
        self.showing.emit(visible)

    # ------------------------------------------------------------------ modes

    @property
    def reward(self) -> CustomReward | None:
        """The reward being edited, or None for a new one."""
        return self._reward

    def start_create(self, titles_in_use: set[str]) -> None:
        """Empty the form for a new reward."""
        self._reward = None
        self._titles = set(titles_in_use)
        self._set_read_only(None)
        self.heading.setText("New reward")
        self.save_button.setText("Create reward")
        self.title_edit.clear()
        self.prompt_edit.clear()
        self.cost_edit.setText("100")
        self.color_edit.setText(DEFAULT_COLOR)
        for check in (self.paused_check, self.input_check, self.skip_check):
            check.setChecked(False)
        self.enabled_check.setChecked(True)
        for check, edit in self._limit_pairs():
            check.setChecked(False)
            edit.clear()
        self._pristine = set(self.fields)
        self.validate()
        self.title_edit.setFocus()

    def start_edit(
        self, reward: CustomReward, titles_in_use: set[str], read_only_reason: str | None
    ) -> None:
        """Fill the form from a reward (read-only with the reason if another app owns it)."""
        self._reward = reward
        self._pristine = set()
        self._titles = set(titles_in_use) - {reward.title}
        self.heading.setText(f"Edit “{isolate(reward.title)}”")
        self.save_button.setText("Save changes")
        self.title_edit.setText(reward.title)
        self.prompt_edit.setPlainText(reward.prompt or "")
        self.cost_edit.setText(str(reward.cost))
        self.color_edit.setText(reward.background_color or "")
        self.enabled_check.setChecked(reward.enabled)
        self.paused_check.setChecked(reward.paused)
        self.input_check.setChecked(reward.input_required)
        self.skip_check.setChecked(reward.redemptions_skip_queue)
        for (check, edit), (on, value) in zip(
            self._limit_pairs(),
            (reward.max_per_stream, reward.max_per_user_stream, reward.global_cooldown),
            strict=True,
        ):
            check.setChecked(on)
            shown = format_duration(value) if edit is self.cooldown_edit else str(value)
            edit.setText(shown if on or value else "")
        self._set_read_only(read_only_reason)
        self.validate()
        # The keys follow the form (Ctrl+Enter saves, Esc closes) from its first field.
        (self.cancel_button if self._read_only else self.title_edit).setFocus()

    def _limit_pairs(self) -> list[tuple[QCheckBox, QLineEdit]]:
        return [
            (self.per_stream_check, self.per_stream_edit),
            (self.per_user_check, self.per_user_edit),
            (self.cooldown_check, self.cooldown_edit),
        ]

    def _set_read_only(self, reason: str | None) -> None:
        self._read_only = reason is not None
        self.read_only_label.setText(reason or "")
        self.read_only_label.setVisible(reason is not None)
        for widget in self.findChildren(QWidget):
            if widget in (self.cancel_button, self.heading, self.read_only_label):
                continue
            if isinstance(widget, QLineEdit | QPlainTextEdit | QCheckBox):
                widget.setEnabled(not self._read_only)
        self.save_button.setVisible(not self._read_only)
        self.cancel_button.setText("Close" if self._read_only else "Cancel")

    # ------------------------------------------------------------------ validation

    def _limit_error(self, limit: Limit, value: object) -> str | None:
        try:
            limit.check(value)
        except LimitError as exc:
            return self._explain(limit, exc)
        return None

    @staticmethod
    def _explain(limit: Limit, exc: LimitError) -> str:
        # The message table's sentence: the value and the bound, never the limit's key.
        return explain(exc)

    def errors(self) -> dict[str, str]:
        """Every field that breaks a limit, with the reason (empty when valid)."""
        errors: dict[str, str] = {}
        title = self.title_edit.text()
        error = self._limit_error(limits.REWARD_TITLE, title)
        if error is None and title.casefold() in {t.casefold() for t in self._titles}:
            error = "Another reward already has this title; Twitch needs titles to be unique."
        if error:
            errors["title"] = error
        error = self._limit_error(limits.REWARD_PROMPT, self.prompt_edit.toPlainText())
        if error:
            errors["prompt"] = error
        error = self._number_error(self.cost_edit.text(), limits.REWARD_COST, "Cost")
        if error:
            errors["cost"] = error
        color = self.color_edit.text().strip()
        if color and not _HEX_COLOR.match(color):
            errors["background_color"] = "Colour must be # and six hex digits, like #9147FF."
        for name, (check, edit), limit in zip(
            ("max_per_stream", "max_per_user_per_stream", "global_cooldown"),
            self._limit_pairs(),
            (
                limits.REWARD_MAX_PER_STREAM,
                limits.REWARD_MAX_PER_USER_PER_STREAM,
                limits.REWARD_GLOBAL_COOLDOWN,
            ),
            strict=True,
        ):
            if check.isChecked():
                if edit is self.cooldown_edit:
                    error = self._cooldown_error(edit.text(), limit)
                else:
                    error = self._number_error(edit.text(), limit, check.text())
                if error:
                    errors[name] = error
        return errors

    def _number_error(self, text: str, limit: Limit, label: str) -> str | None:
        value = _parse_int(text)
        if value is None:
            return f"{label.split(' (')[0]}: type a whole number."
        return self._limit_error(limit, value)

    def _cooldown_error(self, text: str, limit: Limit) -> str | None:
        seconds = parse_duration(text)
        if seconds is None:
            return _COOLDOWN_FORMAT
        return self._limit_error(limit, seconds)

    @property
    def is_valid(self) -> bool:
        """True when no field breaks a limit."""
        return not self.errors()

    def validate(self) -> bool:
        """Refresh every message and the Save button; returns validity."""
        errors = self.errors()
        self.title_count.setText(f"{len(self.title_edit.text())}/{limits.REWARD_TITLE.maximum}")
        self.prompt_count.setText(
            f"{len(self.prompt_edit.toPlainText())}/{limits.REWARD_PROMPT.maximum}"
        )
        shown = {name: error for name, error in errors.items() if name not in self._pristine}
        for name, field in self.fields.items():
            note = None
            if name == "global_cooldown" and self.cooldown_check.isChecked():
                seconds = parse_duration(self.cooldown_edit.text())
                if seconds is not None:
                    note = f"= {in_words(seconds)}."
                    if 1 <= seconds < _COOLDOWN_SHOWN_FROM:
                        note += " Under 60 s works, but Twitch's own pages will not show it."
            if name == "background_color" and not self.color_edit.text().strip():
                note = _NO_COLOR_EDIT if self._reward is not None else _NO_COLOR_NEW
            field.show(shown.get(name), note)
        for check, edit in self._limit_pairs():
            edit.setEnabled(check.isChecked() and not self._read_only)
        self._paint_swatch()
        changes = self.changes() if self._reward is not None and not errors else None
        unchanged = changes is not None and not changes
        self.save_button.setEnabled(not errors and not self._read_only and not unchanged)
        if shown:
            self.summary_label.setText(f"{len(shown)} field(s) to fix before saving.")
        elif errors:
            self.summary_label.setText(
                "Give the reward a title to save it."
                if set(errors) == {"title"}
                else f"{len(errors)} field(s) to fill in before saving."
            )
        elif unchanged:
            self.summary_label.setText("No changes yet.")
        else:
            self.summary_label.setText("")
        return not errors

    def _paint_swatch(self) -> None:
        """Paint the colour that will be saved: the field's, or (edit, empty) the reward's.

        An emptied field of a new reward saves no colour (Twitch picks one it does not
        document), so the swatch shows none rather than a guess.
        """
        color = self.color_edit.text().strip()
        if not color and self._reward is not None:
            color = self._reward.background_color or ""
        empty = not _HEX_COLOR.match(color)
        self.color_swatch.setProperty("empty", empty)
        if empty:
            style = "background: transparent; border: 1px dashed #888; border-radius: 3px;"
        else:
            style = (
                f"background: {QColor(color).name()}; border: 1px solid #888; border-radius: 3px;"
            )
        self.color_swatch.setStyleSheet(style)

    def _edited(self, name: str) -> None:
        self._pristine.discard(name)

    # ------------------------------------------------------------------ values

    def values(self) -> dict[str, Any]:
        """Every field as ``RewardsService.create`` keywords (call only when valid)."""
        values: dict[str, Any] = {
            "title": self.title_edit.text(),
            "cost": _parse_int(self.cost_edit.text()),
            "prompt": self.prompt_edit.toPlainText() or None,
            "enabled": self.enabled_check.isChecked(),
            "background_color": self.color_edit.text().strip().upper() or None,
            "input_required": self.input_check.isChecked(),
            "redemptions_skip_queue": self.skip_check.isChecked(),
            "paused": self.paused_check.isChecked(),
        }
        for name, (check, edit) in zip(
            ("max_per_stream", "max_per_user_per_stream", "global_cooldown"),
            self._limit_pairs(),
            strict=True,
        ):
            parse = parse_duration if edit is self.cooldown_edit else _parse_int
            values[name] = parse(edit.text()) if check.isChecked() else None
        return values

    def changes(self) -> dict[str, Any]:
        """Only the changed fields, as ``CustomReward.edit`` keywords (edit mode)."""
        reward = self._reward
        if reward is None:
            return self.values()
        values = self.values()
        changes: dict[str, Any] = {}
        for key, current in (
            ("title", reward.title),
            ("cost", reward.cost),
            ("enabled", reward.enabled),
            ("input_required", reward.input_required),
            ("redemptions_skip_queue", reward.redemptions_skip_queue),
            ("paused", reward.paused),
        ):
            if values[key] != current:
                changes[key] = values[key]
        prompt = values["prompt"] or ""
        if prompt != (reward.prompt or ""):
            changes["prompt"] = prompt
        color = values["background_color"]
        if color is not None and color.upper() != (reward.background_color or "").upper():
            changes["background_color"] = color
        for (name, enabled_key), (on, current) in zip(
            (
                ("max_per_stream", "max_per_stream_enabled"),
                ("max_per_user_per_stream", "max_per_user_per_stream_enabled"),
                ("global_cooldown", "global_cooldown_enabled"),
            ),
            (reward.max_per_stream, reward.max_per_user_stream, reward.global_cooldown),
            strict=True,
        ):
            wanted = values[name]
            if (wanted is not None) != on:
                changes[enabled_key] = wanted is not None
            if wanted is not None and wanted != current:
                changes[name] = wanted
        return changes

    def _save_if_enabled(self) -> None:
        if self.save_button.isEnabled() and self.save_button.isVisible():
            self._save()

    def _save(self) -> None:
        if not self.validate() or self._read_only:
            return
        self.submitted.emit(self.changes() if self._reward is not None else self.values())

    def set_busy(self, busy: bool) -> None:
        """Disable Save while a request is in flight."""
        if busy:
            self.save_button.setEnabled(False)
            self.summary_label.setText("Saving...")
        else:
            self.validate()

    def focus_first_error(self) -> None:
        """Put the cursor in the first field that needs fixing."""
        errors = self.errors()
        for name, field in self.fields.items():
            if name in errors:
                field.editor.setFocus(Qt.FocusReason.OtherFocusReason)
                return
