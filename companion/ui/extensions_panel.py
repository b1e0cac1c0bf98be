"""The extension slot board: three panel slots, the overlay slot, two component slots.

Each slot offers the installed extensions that ``can_activate`` for its type. The board
is applied in one update; afterwards it shows what Twitch actually kept, and says where
that differs from what was asked. An extension placed under several types is flagged
before sending, because Twitch's last write wins.

Keys: Ctrl+Return applies, F5 reloads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from companion.services.extensions_service import (
    SLOTS,
    Placement,
    Plan,
    Slot,
    candidates,
    conflicts,
)

if TYPE_CHECKING:
    from companion.services.extensions_service import ExtensionsService
    from companion.twitch.models.extensions import MaybeActiveExtension

_KIND_TITLES = {"panel": "Panel", "overlay": "Video overlay", "component": "Video component"}

# The reference gives no range for component x/y (only int32); keep it to a sane,
# non-negative board size and let Twitch be the judge of placement.
_COORD_MAX = 8000


_Index = QModelIndex | QPersistentModelIndex


class InstalledExtensionsModel(QAbstractTableModel):
    """The installed extensions: name, version, where they fit, and whether they are ready."""

    HEADERS = ("Extension", "Version", "Fits in", "Ready to activate")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[MaybeActiveExtension] = []

    def set_extensions(self, extensions: list[MaybeActiveExtension]) -> None:
        self.beginResetModel()
        self._rows = list(extensions)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        ext = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                ext.name,
                ext.version,
                ", ".join(ext.types),
                "Yes" if ext.can_activate else "No: configure it on Twitch first",
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return ext.id
        return None


class SlotRow:
    """The widgets of one slot: a chooser, and x/y for components."""

    def __init__(self, slot: Slot) -> None:
        self.slot = slot
        self._choices: dict[str, tuple[str, str, str]] = {}
        self.combo = QComboBox()
        self.combo.setMinimumWidth(280)
        self.x = QSpinBox()
        self.y = QSpinBox()
        for spin, name in ((self.x, "x"), (self.y, "y")):
            spin.setRange(0, _COORD_MAX)
            spin.setPrefix(f"{name} ")
            spin.setVisible(slot[0] == "component")

    def _add(self, ext_id: str, version: str, name: str) -> None:
        # Item data is a plain string key: Qt compares it reliably in findData.
        key = f"{ext_id}@{version}"
        self._choices[key] = (ext_id, version, name)
        self.combo.addItem(f"{name or ext_id} {version}", key)

    def fill(self, options: list[MaybeActiveExtension], placed: Placement | None) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        self._choices.clear()
        self.combo.addItem("(empty)", "")
        for ext in options:
            self._add(ext.id, ext.version, ext.name)
        if placed is not None:
            index = self.combo.findData(f"{placed.id}@{placed.version}")
            if index < 0:  # active but not offered (e.g. can_activate false): still show it
                self._add(placed.id, placed.version, placed.name)
                index = self.combo.count() - 1
            self.combo.setCurrentIndex(index)
            self.x.setValue(placed.x or 0)
            self.y.setValue(placed.y or 0)
        self.combo.blockSignals(False)

    def placement(self) -> Placement | None:
        choice = self._choices.get(str(self.combo.currentData() or ""))
        if choice is None:
            return None
        ext_id, version, name = choice
        if self.slot[0] == "component":
            return Placement(ext_id, version, name, self.x.value(), self.y.value())
        return Placement(ext_id, version, name)


class ExtensionsPanel(QWidget):
    """The slot board over an :class:`ExtensionsService`."""

    def __init__(self, service: ExtensionsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        layout = QVBoxLayout(self)
        title = QLabel("Extensions")
        title.setProperty("role", "title")
        layout.addWidget(title)
        grid = QGridLayout()
        self.rows: dict[Slot, SlotRow] = {}
        for line, slot in enumerate(SLOTS):
            row = SlotRow(slot)
            self.rows[slot] = row
            grid.addWidget(QLabel(f"{_KIND_TITLES[slot[0]]} {slot[1]}"), line, 0)
            grid.addWidget(row.combo, line, 1)
            grid.addWidget(row.x, line, 2)
            grid.addWidget(row.y, line, 3)
            row.combo.currentIndexChanged.connect(self._update_warnings)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.warning_label = QLabel()
        self.warning_label.setProperty("role", "error")
        self.warning_label.setWordWrap(True)
        layout.addWidget(self.warning_label)
        installed_title = QLabel("Installed")
        installed_title.setProperty("role", "title")
        self.installed_model = InstalledExtensionsModel(self)
        self.installed_view = QTableView()
        self.installed_view.setModel(self.installed_model)
        self.installed_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.installed_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.installed_view.verticalHeader().hide()
        self.installed_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.installed_view.horizontalHeader().setStretchLastSection(True)
        self.status_label = QLabel("Sign in to see your extensions.")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        buttons = QHBoxLayout()
        self.apply_button = QPushButton("Apply to Twitch (Ctrl+Enter)")
        self.apply_button.clicked.connect(self.apply)
        self.reload_button = QPushButton("Reload (F5)")
        self.reload_button.setProperty("secondary", True)
        self.reload_button.clicked.connect(service.refresh)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.reload_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(installed_title)
        layout.addWidget(self.installed_view, 1)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.apply)
        QShortcut(QKeySequence("F5"), self, service.refresh)
        service.loaded.connect(self.show_board)
        service.applied.connect(self._on_applied)
        service.error.connect(self._on_error)
        service.busy_changed.connect(self._on_busy)

    def show_board(self, installed: list[MaybeActiveExtension], plan: Plan) -> None:
        self.installed_model.set_extensions(installed)
        for slot, row in self.rows.items():
            row.fill(candidates(installed, slot[0]), plan.get(slot))
        usable = sum(1 for ext in installed if ext.can_activate)
        self.status_label.setText(
            f"{len(installed)} extensions installed, {usable} ready to activate. "
            "This is what Twitch reports as active now."
        )
        self._update_warnings()

    def plan(self) -> Plan:
        return {slot: row.placement() for slot, row in self.rows.items()}

    def apply(self) -> None:
        self.status_label.setText("Sending the board to Twitch…")
        self.service.apply(self.plan())

    def _update_warnings(self) -> None:
        self.warning_label.setText("\n".join(conflicts(self.plan())))

    def _on_applied(self, messages: list[str]) -> None:
        if messages:
            self.status_label.setText(
                "Applied. Twitch kept something else:\n" + "\n".join(messages)
            )
        else:
            self.status_label.setText("Applied. Twitch kept exactly this board.")

    def _on_error(self, text: str) -> None:
        self.status_label.setText(f"Could not update extensions: {text}")

    def _on_busy(self, busy: bool) -> None:
        self.apply_button.setEnabled(not busy)
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)
