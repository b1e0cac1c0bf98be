"""The ledger history: every redemption seen and every action taken, searchable, exportable.

Search by viewer (login or display name), filter by reward, export what is shown to
CSV. The file dialog is opened with ``QFileDialog.open()`` (never ``exec()``), and the
path field can be typed into directly, so nothing blocks the event loop.
"""

from __future__ import annotations

import asyncio
import csv
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from companion.services.queue_ledger import LedgerEntry, QueueLedger

__all__ = ["CSV_HEADER", "HistoryModel", "HistoryView", "write_csv"]

_log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex

_HEADERS = ("When", "What", "Reward", "Viewer", "Input", "Detail")
CSV_HEADER = (
    "time_utc",
    "event",
    "reward_id",
    "reward_title",
    "user_login",
    "user_name",
    "user_input",
    "redemption_id",
    "detail",
)
_SEARCH_DELAY_MS = 250
_LIMIT = 5000


def write_csv(path: Path, entries: Sequence[LedgerEntry]) -> int:
    """Write entries to ``path`` as UTF-8 CSV with a header; returns the row count."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for entry in entries:
            writer.writerow(
                (
                    entry.at.isoformat(),
                    entry.kind.value,
                    entry.reward_id,
                    entry.reward_title,
                    entry.user_login,
                    entry.user_name,
                    entry.user_input or "",
                    entry.redemption_id,
                    entry.detail or "",
                )
            )
    return len(entries)


class HistoryModel(QAbstractTableModel):
    """The rows of one search (replaced as a whole per search, never per entry)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entries: list[LedgerEntry] = []

    def __repr__(self) -> str:
        return f"HistoryModel(rows={len(self.entries)})"

    def set_entries(self, entries: Sequence[LedgerEntry]) -> None:
        """Show a new search result."""
        self.beginResetModel()
        self.entries = list(entries)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  # Qt's signature
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(_HEADERS)
        ):
            return _HEADERS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.entries):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == 0:
                return entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            if column == 1:
                return entry.kind.value.capitalize()
            if column == 2:
                return entry.reward_title
            if column == 3:
                return entry.user_name
            if column == 4:
                return entry.user_input or ""
            if column == 5:
                return entry.detail or ""
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return f"{entry.user_name} ({entry.user_login})"
        return None


class HistoryView(QWidget):
    """Search the ledger and export it.

    Signals:
        searched(int): a search finished with this many rows.
        exported(str): a CSV was written to this path.

    Args:
        ledger: Where the services write.
        parent: Qt parent.
    """

    searched = Signal(int)
    exported = Signal(str)

    def __init__(self, ledger: QueueLedger, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ledger = ledger
        self.model = HistoryModel(self)
        self._tasks: set[asyncio.Task[None]] = set()
        self._rewards: dict[str, str] = {}

        self.viewer_edit = QLineEdit()
        self.viewer_edit.setPlaceholderText("Viewer (login or display name)")
        self.viewer_edit.setClearButtonEnabled(True)
        self.reward_combo = QComboBox()
        self.reward_combo.addItem("All rewards", "")
        self.reward_combo.setMinimumContentsLength(18)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setProperty("secondary", True)
        search_row = QHBoxLayout()
        search_row.addWidget(self.viewer_edit, 2)
        search_row.addWidget(self.reward_combo, 1)
        search_row.addWidget(self.refresh_button)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 150), (1, 130), (2, 160), (3, 130), (5, 160)):
            self.table.setColumnWidth(column, width)
        self.empty_label = QLabel("Nothing in the history yet.")
        self.empty_label.setProperty("role", "empty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("CSV file to write, e.g. ~/redemptions.csv")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setProperty("secondary", True)
        self.export_button = QPushButton("Export CSV")
        export_row = QHBoxLayout()
        export_row.addWidget(self.path_edit, 1)
        export_row.addWidget(self.browse_button)
        export_row.addWidget(self.export_button)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(search_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addLayout(export_row)
        layout.addWidget(self.status_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(_SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.search)
        self.viewer_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.reward_combo.currentIndexChanged.connect(lambda _index: self.search())
        self.refresh_button.clicked.connect(self.search)
        self.browse_button.clicked.connect(self.browse)
        self.export_button.clicked.connect(self.export)
        self.path_edit.textChanged.connect(self._update_export)
        self.dialog: QFileDialog | None = None
        self._show_empty(True)
        self._update_export()

    # ------------------------------------------------------------------ rewards filter

    def set_rewards(self, rewards: dict[str, str]) -> None:
        """Reward id -> title for the filter (the rewards service's list, plus past ones)."""
        self._rewards.update(rewards)
        current = self.reward_combo.currentData()
        blocked = self.reward_combo.blockSignals(True)
        try:
            self.reward_combo.clear()
            self.reward_combo.addItem("All rewards", "")
            for reward_id, title in sorted(self._rewards.items(), key=lambda kv: kv[1].lower()):
                self.reward_combo.addItem(title, reward_id)
            self.reward_combo.setCurrentIndex(max(0, self.reward_combo.findData(current)))
        finally:
            self.reward_combo.blockSignals(blocked)

    # ------------------------------------------------------------------ search

    def search(self) -> None:
        """Run the search now (the latest search wins)."""
        for task in list(self._tasks):
            task.cancel()
        task = asyncio.get_event_loop().create_task(self._search(), name="history-search")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _search(self) -> None:
        viewer = self.viewer_edit.text().strip() or None
        reward_id = self.reward_combo.currentData() or None
        try:
            entries = await self.ledger.search(viewer=viewer, reward_id=reward_id, limit=_LIMIT)
        except Exception as exc:
            _log.warning("history search failed: %s", exc)
            self.status_label.setText(f"Could not read the history: {exc}")
            return
        known = {e.reward_id: e.reward_title for e in entries if e.reward_id not in self._rewards}
        if known and reward_id is None:
            self.set_rewards(known)
        self.model.set_entries(entries)
        self._show_empty(not entries)
        shown = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
        if len(entries) >= _LIMIT:
            shown += f" (the newest {_LIMIT}; narrow the search to see older ones)"
        self.status_label.setText(shown)
        self._update_export()
        self.searched.emit(len(entries))

    def _show_empty(self, empty: bool) -> None:
        self.table.setVisible(not empty)
        self.empty_label.setVisible(empty)
        filtered = bool(self.viewer_edit.text().strip() or self.reward_combo.currentData())
        self.empty_label.setText(
            "No entry matches this search."
            if filtered
            else "Nothing in the history yet. Redemptions and actions are recorded here."
        )

    # ------------------------------------------------------------------ export

    def _update_export(self) -> None:
        self.export_button.setEnabled(
            bool(self.path_edit.text().strip()) and bool(self.model.entries)
        )

    def browse(self) -> None:
        """Pick the CSV path with a non-blocking file dialog."""
        dialog = QFileDialog(self, "Export history as CSV")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(self.path_edit.setText)
        self.dialog = dialog
        dialog.open()

    def export(self) -> Path | None:
        """Write the shown rows to the path in the field; returns the path written."""
        text = self.path_edit.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        if path.suffix.lower() != ".csv":
            path = path.with_suffix(".csv")
        try:
            count = write_csv(path, self.model.entries)
        except OSError as exc:
            self.status_label.setText(f"Could not write {path}: {exc.strerror or exc}")
            return None
        self.status_label.setText(f"Exported {count} row(s) to {path}")
        self.exported.emit(str(path))
        return path
