"""The rewards panel: the channel's rewards, live, with create/edit/pause/enable/delete,
adopting other apps' rewards, and reward sets.

Confirmations (delete, adopt) are an inline strip above the table, not a modal dialog:
the streamer is live and must never be trapped in a dialog. Keys: Ctrl+N new reward,
Enter edit, Del delete, Ctrl+E enable/disable, Ctrl+Shift+P pause/resume.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from companion.core.bidi import isolate
from companion.services.base import describe_error
from companion.services.rewards_service import MAX_REWARDS, READ_ONLY_REASON

from .reward_form import RewardForm
from .rewards_model import RewardsTableModel
from .rewards_table import RewardsTable

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from companion.services.rewards_service import RewardsService
    from companion.twitch.models.channel_points import CustomReward

__all__ = ["REWARDS_HINT", "ConfirmStrip", "RewardsPanel"]

_log = logging.getLogger(__name__)

REWARDS_HINT = (
    "Ctrl+N new  ·  Enter edit  ·  Ctrl+E enable/disable  ·  Ctrl+Shift+P pause/resume  ·  "
    "Del delete"
)


_DISABLED_SECONDARY = 'QPushButton[secondary="true"]:disabled { color: #9a9aa8; }'


class ConfirmStrip(QFrame):
    """An inline question with up to three answers (never modal)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("confirmStrip")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.primary = QPushButton()
        self.alternative = QPushButton()
        self.alternative.setProperty("secondary", True)
        self.cancel = QPushButton("Cancel")
        self.cancel.setProperty("secondary", True)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.alternative)
        layout.addWidget(self.primary)
        layout.addWidget(self.cancel)
        self._actions: dict[str, Callable[[], None]] = {}
        self.primary.clicked.connect(lambda: self._answer("primary"))
        self.alternative.clicked.connect(lambda: self._answer("alternative"))
        self.cancel.clicked.connect(lambda: self._answer("cancel"))
        self.hide()

    def ask(
        self,
        text: str,
        primary: tuple[str, Callable[[], None]],
        alternative: tuple[str, Callable[[], None]] | None = None,
    ) -> None:
        """Show the question; the chosen answer's callback runs, then the strip hides."""
        self.label.setText(text)
        self.primary.setText(primary[0])
        self._actions = {"primary": primary[1]}
        if alternative is not None:
            self.alternative.setText(alternative[0])
            self._actions["alternative"] = alternative[1]
        self.alternative.setVisible(alternative is not None)
        self.show()
        self.primary.setFocus()

    def _answer(self, which: str) -> None:
        self.hide()
        action = self._actions.pop(which, None)
        self._actions.clear()
        if action is not None:
            action()


class RewardsPanel(QWidget):
    """The rewards tab.

    Args:
        service: The rewards service.
        parent: Qt parent.
    """

    def __init__(self, service: RewardsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.model = RewardsTableModel(service, parent=self)

        # -- top bar: meter and actions
        self.meter_label = QLabel()
        self.meter = QProgressBar()
        self.meter.setRange(0, MAX_REWARDS)
        self.meter.setTextVisible(False)
        self.meter.setFixedWidth(140)
        self.new_button = QPushButton("New reward")
        self.edit_button = QPushButton("Edit")
        self.edit_button.setProperty("secondary", True)
        self.enable_button = QPushButton("Disable")
        self.enable_button.setProperty("secondary", True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setProperty("secondary", True)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setProperty("secondary", True)
        self.adopt_button = QPushButton("Adopt…")
        self.adopt_button.setProperty("secondary", True)
        self.adopt_button.setToolTip(
            "Copy another app's reward so this app can manage it (the original stays; "
            "Twitch lets only its creator disable it)"
        )
        top = QHBoxLayout()
        top.addWidget(self.meter_label)
        top.addWidget(self.meter)
        top.addStretch(1)
        for button in (
            self.new_button,
            self.edit_button,
            self.enable_button,
            self.pause_button,
            self.delete_button,
            self.adopt_button,
        ):
            top.addWidget(button)

        # -- reward sets
        self.sets_combo = QComboBox()
        self.sets_combo.setMinimumContentsLength(16)
        self.sets_combo.setPlaceholderText("No reward sets yet")
        self.apply_set_button = QPushButton("Switch to set")
        self.apply_set_button.setProperty("secondary", True)
        self.set_name_edit = QLineEdit()
        self.set_name_edit.setPlaceholderText("Set name, e.g. Elden Ring")
        self.save_set_button = QPushButton("Save selected as set")
        self.save_set_button.setProperty("secondary", True)
        self.disable_set_button = QPushButton("Disable set")
        self.disable_set_button.setProperty("secondary", True)
        self.disable_set_button.setToolTip("Turn off every reward of the set in one go")
        self.delete_set_button = QPushButton("Delete set")
        self.delete_set_button.setProperty("secondary", True)
        sets_row = QHBoxLayout()
        sets_row.addWidget(QLabel("Reward sets:"))
        sets_row.addWidget(self.sets_combo)
        sets_row.addWidget(self.apply_set_button)
        sets_row.addWidget(self.disable_set_button)
        sets_row.addWidget(self.delete_set_button)
        sets_row.addSpacing(16)
        sets_row.addWidget(self.set_name_edit, 1)
        sets_row.addWidget(self.save_set_button)

        self.confirm = ConfirmStrip()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # -- table and form
        self.table = RewardsTable(self.model)
        self.empty_label = QLabel(
            "No rewards yet. Create one with “New reward” (Ctrl+N); it will be managed here."
        )
        self.empty_label.setProperty("role", "empty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty_label, 1)
        self.form = RewardForm()
        # The form keeps its natural height and scrolls in a short window.
        self.form_area = QScrollArea()
        self.form_area.setWidget(self.form)
        self.form_area.setWidgetResizable(True)
        self.form_area.setFrameShape(QFrame.Shape.NoFrame)
        self.form_area.setMaximumWidth(540)
        self.form_area.setMinimumWidth(380)
        self.form_area.hide()
        self.form.showing.connect(self.form_area.setVisible)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.form_area)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        self.hint_label = QLabel(REWARDS_HINT)
        self.hint_label.setStyleSheet("color: #7a7a88; font-size: 9pt;")

        # The theme styles a disabled secondary button like an enabled one; grey it here.
        self.setStyleSheet(_DISABLED_SECONDARY)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addLayout(sets_row)
        layout.addWidget(self.confirm)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(self.hint_label)

        # -- wiring
        self.new_button.clicked.connect(self.start_create)
        self.edit_button.clicked.connect(self.start_edit)
        self.enable_button.clicked.connect(self.toggle_enabled)
        self.pause_button.clicked.connect(self.toggle_paused)
        self.delete_button.clicked.connect(self.ask_delete)
        self.adopt_button.clicked.connect(self.ask_adopt)
        self.apply_set_button.clicked.connect(self.apply_set)
        self.disable_set_button.clicked.connect(self.disable_set)
        self.save_set_button.clicked.connect(self.save_set)
        self.delete_set_button.clicked.connect(self.delete_set)
        self.set_name_edit.textChanged.connect(self._update_buttons)
        self.form.submitted.connect(self._form_submitted)
        self.form.cancelled.connect(lambda: self._close_form(None))
        self.table.doubleClicked.connect(lambda _index: self.start_edit())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        for signal in (self.model.modelReset, self.model.rowsInserted, self.model.rowsRemoved):
            signal.connect(self._refresh)
        self.model.dataChanged.connect(self._update_buttons)
        service.notice.connect(self.show_status)
        if service.queue_service is not None:
            service.queue_service.counts_changed.connect(self.model.waiting_changed)
        service.error.connect(self.show_error)
        for keys, slot in (
            ("Ctrl+N", self.start_create),
            ("Return", self.start_edit),
            ("Delete", self.ask_delete),
            ("Ctrl+E", self.toggle_enabled),
            ("Ctrl+Shift+P", self.toggle_paused),
        ):
            shortcut = QShortcut(QKeySequence(keys), self.table if keys == "Return" else self)
            shortcut.setContext(
                Qt.ShortcutContext.WidgetShortcut
                if keys == "Return"
                else Qt.ShortcutContext.WidgetWithChildrenShortcut
            )
            shortcut.activated.connect(slot)
        self._refresh()

    # ------------------------------------------------------------------ state

    def _refresh(self) -> None:
        count = self.service.count
        self.meter_label.setText(f"{count} / {MAX_REWARDS} rewards")
        self.meter.setValue(count)
        has_rows = self.model.rowCount() > 0
        self.table.setVisible(has_rows)
        self.empty_label.setVisible(not has_rows)
        if not self.service.loaded and self.service.broadcaster is None:
            self.empty_label.setText("Sign in to see and manage your channel's rewards.")
        else:
            self.empty_label.setText(
                "No rewards yet. Create one with “New reward” (Ctrl+N); it will be managed here."
            )
        self._refresh_sets()
        self._update_buttons()

    def _refresh_sets(self) -> None:
        sets = self.service.reward_sets
        names = sets.names() if sets is not None else []
        current = self.sets_combo.currentText()
        self.sets_combo.clear()
        for name in names:
            ids = sets.get(name) if sets is not None else ()
            self.sets_combo.addItem(f"{name} ({len(ids)})", name)
        if current:
            position = self.sets_combo.findText(current)
            if position >= 0:
                self.sets_combo.setCurrentIndex(position)

    def selected_rewards(self) -> list[CustomReward]:
        """The selected rewards, in table order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [r for r in (self.model.reward_at(row) for row in rows) if r is not None]

    def current_reward(self) -> CustomReward | None:
        """The one selected reward (the first if several)."""
        chosen = self.selected_rewards()
        return chosen[0] if chosen else None

    def select_reward(self, reward_id: str) -> None:
        """Select a reward's row."""
        row = self.model.row_of(reward_id)
        if row >= 0:
            # Not selectRow(): it toggles when Ctrl is held (Ctrl+Enter just saved).
            index = self.model.index(row, 0)
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            self.table.selectionModel().setCurrentIndex(index, flags)
            self.table.scrollTo(index)

    def _update_buttons(self) -> None:
        reward = self.current_reward()
        managed = reward is not None and self.service.is_manageable(reward.id)
        can_create = self.service.can_create and self.service.broadcaster is not None
        self.new_button.setEnabled(can_create)
        self.new_button.setToolTip(
            ""
            if self.service.can_create
            else f"Twitch allows {MAX_REWARDS} rewards per channel; delete one to create another."
        )
        self.edit_button.setEnabled(reward is not None)
        self.edit_button.setText("Edit" if managed or reward is None else "View")
        self.enable_button.setEnabled(managed)
        self.pause_button.setEnabled(managed)
        self.delete_button.setEnabled(managed)
        self.adopt_button.setEnabled(reward is not None and not managed and can_create)
        if reward is not None:
            self.enable_button.setText("Disable" if reward.enabled else "Enable")
            self.pause_button.setText("Resume" if reward.paused else "Pause")
        sets_ok = self.service.reward_sets is not None
        self.apply_set_button.setEnabled(sets_ok and self.sets_combo.count() > 0)
        self.disable_set_button.setEnabled(sets_ok and self.sets_combo.count() > 0)
        self.delete_set_button.setEnabled(sets_ok and self.sets_combo.count() > 0)
        self.save_set_button.setEnabled(
            sets_ok and bool(self.set_name_edit.text().strip()) and bool(self.selected_rewards())
        )
        if reward is not None and not managed:
            self.show_status(self.service.read_only_reason(reward.id) or "")
        elif self.status_label.text() == READ_ONLY_REASON:
            self.show_status("")  # the reason was about the row selected before

    def show_status(self, text: str) -> None:
        """Tell the streamer what happened."""
        self.status_label.setStyleSheet("")
        self.status_label.setText(text)

    def show_error(self, text: str) -> None:
        """Show a failure (red, stays until the next message)."""
        self.status_label.setStyleSheet("color: #d93025; font-weight: bold;")
        self.status_label.setText(text)

    def _run(self, coro: Coroutine[Any, Any, Any], name: str, done: str | None = None) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception as exc:
                _log.info("%s failed: %s", name, exc)
                self.show_error(describe_error(exc))
            else:
                if done:
                    self.show_status(done)

        self.service.spawn(guarded(), name=name)

    # ------------------------------------------------------------------ actions

    def start_create(self) -> None:
        """Open the form for a new reward."""
        if not self.service.can_create:
            self.show_error(
                f"The channel has {MAX_REWARDS} rewards, Twitch's maximum; delete one first."
            )
            return
        self.form.start_create(self.service.titles())
        self.form.show()

    def start_edit(self) -> None:
        """Open the form on the selected reward (read-only if another app owns it)."""
        reward = self.current_reward()
        if reward is None:
            return
        self.form.start_edit(
            reward, self.service.titles(), self.service.read_only_reason(reward.id)
        )
        self.form.show()

    def _form_submitted(self, values: dict[str, Any]) -> None:
        reward = self.form.reward
        self.form.set_busy(True)

        async def save() -> None:
            try:
                if reward is None:
                    saved = await self.service.create(**values)
                    self.show_status(f"Created “{isolate(saved.title)}”.")
                else:
                    saved = await self.service.edit(reward.id, **values)
                    self.show_status(f"Saved “{isolate(saved.title)}”.")
                self._close_form(saved.id)
            except Exception as exc:
                _log.info("saving a reward failed: %s", exc)
                self.show_error(describe_error(exc))
            finally:
                self.form.set_busy(False)

        self.service.spawn(save(), name="rewards-save")

    def _close_form(self, reward_id: str | None) -> None:
        """Hide the form and give the keys back to the table, on the reward just saved.

        The form had the focus; hidden, it would leave it nowhere in the panel, and the
        panel's keys (Ctrl+E, Ctrl+Shift+P, Del) would do nothing until a click.
        """
        if reward_id is not None:
            self.select_reward(reward_id)
        self.form.hide()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def toggle_enabled(self) -> None:
        """Enable or disable the selected rewards this app manages."""
        for reward in self.selected_rewards():
            if self.service.is_manageable(reward.id):
                word = "Enabled" if not reward.enabled else "Disabled"
                self._run(
                    self.service.set_enabled(reward.id, not reward.enabled),
                    f"rewards-enable-{reward.id}",
                    f"{word} “{isolate(reward.title)}”.",
                )

    def toggle_paused(self) -> None:
        """Pause or resume the selected rewards this app manages."""
        for reward in self.selected_rewards():
            if self.service.is_manageable(reward.id):
                word = "Paused" if not reward.paused else "Resumed"
                self._run(
                    self.service.set_paused(reward.id, not reward.paused),
                    f"rewards-pause-{reward.id}",
                    f"{word} “{isolate(reward.title)}”.",
                )

    def ask_delete(self) -> None:
        """Confirm, then delete the selected reward (offering refunds first)."""
        reward = self.current_reward()
        if reward is None or not self.service.is_manageable(reward.id):
            return
        waiting = self.service.waiting_count(reward.id)
        if waiting:
            self.confirm.ask(
                f"“{isolate(reward.title)}” has {waiting} waiting redemption(s). If it is deleted, "
                "Twitch marks them fulfilled and nobody gets their points back.",
                (
                    f"Refund {waiting}, then delete",
                    lambda: self._run(
                        self.service.delete(reward.id, refund_first=True), "rewards-delete"
                    ),
                ),
                (
                    "Delete without refunds",
                    lambda: self._run(
                        self.service.delete(reward.id, refund_first=False), "rewards-delete"
                    ),
                ),
            )
        else:
            self.confirm.ask(
                f"Delete “{isolate(reward.title)}”? This cannot be undone.",
                ("Delete", lambda: self._run(self.service.delete(reward.id), "rewards-delete")),
            )

    def ask_adopt(self) -> None:
        """Confirm, then copy another app's reward under this app."""
        reward = self.current_reward()
        if reward is None or self.service.is_manageable(reward.id):
            return
        self.confirm.ask(
            f"Adopt “{isolate(reward.title)}”? A copy is created and managed here. Twitch lets "
            "only the app that created the original change it, so this app will try to disable it; "
            "if Twitch refuses, you will be told to disable it in the Twitch dashboard.",
            ("Create the copy", lambda: self._run(self.service.adopt(reward.id), "rewards-adopt")),
        )

    def apply_set(self) -> None:
        """Switch the channel to the chosen reward set."""
        name = self.sets_combo.currentData()
        if name:
            self._run(self.service.apply_set(str(name)), "rewards-apply-set")

    def disable_set(self) -> None:
        """Turn off every reward of the chosen set."""
        name = self.sets_combo.currentData()
        if name:
            self._run(self.service.disable_set(str(name)), "rewards-disable-set")

    def save_set(self) -> None:
        """Save the selected rewards (this app's) as a named set."""
        sets = self.service.reward_sets
        name = self.set_name_edit.text().strip()
        chosen = [r.id for r in self.selected_rewards() if self.service.is_manageable(r.id)]
        if sets is None or not name:
            return
        if not chosen:
            self.show_error("Select rewards this app manages to put them in a set.")
            return
        try:
            sets.save_set(name, chosen)
        except (ValueError, OSError) as exc:
            _log.info("saving the reward set failed: %r", exc)
            self.show_error(describe_error(exc))
            return
        self.set_name_edit.clear()
        self._refresh_sets()
        self.sets_combo.setCurrentIndex(self.sets_combo.findData(name))
        self.show_status(f"Saved reward set “{isolate(name)}” with {len(chosen)} reward(s).")

    def delete_set(self) -> None:
        """Delete the chosen reward set (the rewards stay)."""
        sets = self.service.reward_sets
        name = self.sets_combo.currentData()
        if sets is not None and name and sets.delete_set(str(name)):
            self._refresh_sets()
            self._update_buttons()
            self.show_status(f"Deleted reward set “{isolate(name)}” (its rewards are unchanged).")
