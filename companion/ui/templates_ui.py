"""A row of template controls shared by the predictions and polls forms.

Pick a saved template and apply it to the form, save the form under a name (e.g. one
per game: "Elden Ring: boss"), or delete one. The panel owns the store and answers the
bar's signals; the bar only shows names and a message.

Signals:
    apply_requested(str): apply the named template to the form.
    save_requested(str): save the form under this name.
    delete_requested(str): delete the named template.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["TemplateBar"]

_log = logging.getLogger(__name__)


class TemplateBar(QWidget):
    """Template picker (apply, delete) and "save the form as" (name, save).

    Templates named after a game ("Elden Ring: boss") are listed first and picked while
    that game is set with :meth:`set_game` (the app passes the channel's current game).
    """

    apply_requested = Signal(str)
    save_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setPlaceholderText("No saved templates")
        self.combo.setMinimumWidth(160)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setProperty("secondary", True)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setProperty("secondary", True)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Template name, e.g. “Elden Ring: boss”")
        self.save_button = QPushButton("Save as template")
        self.save_button.setProperty("secondary", True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()

        pick = QHBoxLayout()
        pick.addWidget(QLabel("Template:"))
        pick.addWidget(self.combo, 1)
        pick.addWidget(self.apply_button)
        pick.addWidget(self.delete_button)
        save = QHBoxLayout()
        save.addWidget(self.name_edit, 1)
        save.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(pick)
        layout.addLayout(save)
        layout.addWidget(self.message)

        self.apply_button.clicked.connect(self._apply)
        self.delete_button.clicked.connect(self._delete)
        self.save_button.clicked.connect(self._save)
        self.name_edit.returnPressed.connect(self._save)
        self.set_names([])

    game: str | None = None

    def set_game(self, game: str | None) -> None:
        """The game being played: its templates ("<game>: ...") come first and are picked."""
        self.game = game.strip() if game and game.strip() else None
        example = f"{self.game}: boss" if self.game else "Elden Ring: boss"
        self.name_edit.setPlaceholderText(f"Template name, e.g. “{example}”")
        self.set_names([self.combo.itemText(i) for i in range(self.combo.count())])

    def _for_game(self, name: str) -> bool:
        return self.game is not None and name.casefold().startswith(self.game.casefold() + ":")

    def set_names(self, names: list[str], current: str | None = None) -> None:
        """Show these templates: the current game's first (``current`` selected if given)."""
        names = sorted(names, key=lambda name: not self._for_game(name))  # stable
        self.combo.clear()
        self.combo.addItems(names)
        if current is not None and current in names:
            self.combo.setCurrentIndex(names.index(current))
        elif names:
            self.combo.setCurrentIndex(0)
        has = bool(names)
        self.apply_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("role", "error" if error else "hint")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setVisible(bool(text))

    def _apply(self) -> None:
        if self.combo.currentText():
            self.apply_requested.emit(self.combo.currentText())

    def _delete(self) -> None:
        if self.combo.currentText():
            self.delete_requested.emit(self.combo.currentText())

    def _save(self) -> None:
        self.save_requested.emit(self.name_edit.text().strip())
