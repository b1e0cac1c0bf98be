"""The ledger history: every redemption seen and what became of it, searchable, exportable.

Search by viewer (login or display name), filter by reward, export the same search to
CSV (the ledger writes it atomically, formula-safe). A search reads the newest
:data:`PAGE` rows and its total; scrolling to the end reads the next page (Qt's
``canFetchMore``/``fetchMore``), so a search in a million-row history costs one page of
rows, not thousands (issue 18, item 5). The file dialog is opened with
``QFileDialog.open()`` (never ``exec()``), and the path field can be typed into
directly, so nothing blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
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

from companion.core.bidi import isolate
from companion.core.ledger import HistoryQuery
from companion.services.messages import explain_error

from .sorting import SortKey, casefolded, sort_rows

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Sequence

    from PySide6.QtGui import QShowEvent

    from companion.core.ledger import HistoryRow, Ledger
    from companion.services.rewards_service import RewardsService

__all__ = ["HistoryModel", "HistoryView"]

_log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex

_HEADERS = ("Redeemed", "Reward", "Viewer", "Input", "Status", "Changed", "Note")
_STATUS_WORDS = {"UNFULFILLED": "Waiting", "FULFILLED": "Fulfilled", "CANCELED": "Refunded"}
_SEARCH_DELAY_MS = 250
#: Rows a search reads at once: a screenful many times over, and few enough that building
#: them stays far below a keystroke's search delay (about 5-9 microseconds a row).
PAGE = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_REDEEMED = 0


def _sort_key(column: int) -> Callable[[HistoryRow], SortKey]:
    """How a column sorts (times as times, text case-insensitively; ties by redemption)."""

    def key(row: HistoryRow) -> SortKey:
        record = row.record
        tie = (record.redeemed_at, record.redemption_id)
        values: dict[int, SortKey] = {
            _REDEEMED: tie,
            1: (casefolded(record.reward_title), *tie),
            2: (casefolded(record.user_name), *tie),
            3: (casefolded(record.user_input), *tie),
            4: (_STATUS_WORDS.get(record.status, record.status), *tie),
            5: (row.status_changed_at or _EPOCH, *tie),
            6: (casefolded(row.note), *tie),
        }
        return values.get(column, tie)

    return key


def _local(stamp: datetime | None) -> str:
    return "" if stamp is None else stamp.astimezone().strftime("%Y-%m-%d %H:%M:%S")


class HistoryModel(QAbstractTableModel):
    """The rows of one search (replaced as a whole per search, grown a page at a time).

    Sorted by a header click (:meth:`sort`); a new search keeps the chosen order. While
    fewer rows are loaded than the search matched, the view's scrolling to the end asks
    for more (:attr:`wants_more`); :meth:`add_entries` adds them.

    Signals:
        wants_more(): the view scrolled to the end and more rows match.
    """

    wants_more = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entries: list[HistoryRow] = []
        self.total = 0
        self.fetching = False
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def __repr__(self) -> str:
        return f"HistoryModel(rows={len(self.entries)}, total={self.total})"

    def set_entries(self, entries: Sequence[HistoryRow], total: int | None = None) -> None:
        """Show a new search result (``total``: how many match in all)."""
        self.beginResetModel()
        self.fetching = False
        self.entries = list(entries)
        self.total = len(self.entries) if total is None else total
        if self._sort is not None:
            column, order = self._sort
            descending = order == Qt.SortOrder.DescendingOrder
            self.entries.sort(key=_sort_key(column), reverse=descending)
        self.endResetModel()

    def add_entries(self, entries: Sequence[HistoryRow]) -> None:
        """Add the next page of the same search (rows already shown are skipped).

        Rows redeemed since the search shift the pages by as many rows; the skip keeps a
        row from showing twice.
        """
        shown = {row.record.redemption_id for row in self.entries}
        fresh = [row for row in entries if row.record.redemption_id not in shown]
        if not fresh:
            return
        start = len(self.entries)
        self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
        self.entries.extend(fresh)
        self.endInsertRows()
        if self._sort is not None:
            sort_rows(self, self.entries, _sort_key(self._sort[0]), self._sort[1])

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and not self.fetching and len(self.entries) < self.total

    def fetchMore(self, parent: _Index) -> None:
        if self.canFetchMore(parent):
            self.fetching = True
            self.wants_more.emit()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (the view calls this on a header click)."""
        if not 0 <= column < len(_HEADERS):
            return
        self._sort = (column, order)
        sort_rows(self, self.entries, _sort_key(column), order)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  # Qt's signature
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(_HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        if role == Qt.ItemDataRole.InitialSortOrderRole and section in (_REDEEMED, 5):
            return Qt.SortOrder.DescendingOrder  # times: the newest first
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.entries):
            return None
        row = self.entries[index.row()]
        record = row.record
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return _local(record.redeemed_at)
            # Viewer text in its own direction (Arabic, Hebrew), whatever the table's.
            if column == 1:
                return isolate(record.reward_title)
            if column == 2:
                return isolate(record.user_name)
            if column == 3:
                return isolate(record.user_input)
            if column == 4:
                return _STATUS_WORDS.get(record.status, record.status)
            if column == 5:
                return _local(row.status_changed_at)
            if column == 6:
                return row.note or ("by this app" if row.handled_by else "")
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 2:
                return f"{record.user_name} ({record.user_login})"
            if column == 3 and record.user_input:
                return record.user_input
        return None


class HistoryView(QWidget):
    """Search the ledger and export it.

    Signals:
        searched(int): a search finished with this many rows.
        loaded(int): another page was read; this many rows are shown now.
        exported(str): a CSV was written to this path.

    Args:
        ledger: Where the services write.
        parent: Qt parent.
    """

    searched = Signal(int)
    loaded = Signal(int)
    exported = Signal(str)

    def __init__(self, ledger: Ledger, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ledger = ledger
        self.model = HistoryModel(self)
        self._tasks: set[asyncio.Task[None]] = set()
        self._rewards: dict[str, str] = {}
        self._shown = HistoryQuery()

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
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 170), (1, 160), (2, 130), (4, 90), (5, 170), (6, 170)):
            self.table.setColumnWidth(column, width)
        # Sorted by a header click; it starts as the ledger reads: the newest first.
        header.setSortIndicator(_REDEEMED, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.empty_label = QLabel("Nothing in the history yet.")
        self.empty_label.setWordWrap(True)
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
        self.model.wants_more.connect(self.load_more)
        self.viewer_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.reward_combo.currentIndexChanged.connect(lambda _index: self.search())
        self.refresh_button.clicked.connect(self.search)
        self.browse_button.clicked.connect(self.browse)
        self.export_button.clicked.connect(self.export)
        self.path_edit.textChanged.connect(self._update_export)
        self.dialog: QFileDialog | None = None
        self._show_empty(True)
        self._update_export()

    def showEvent(self, event: QShowEvent) -> None:
        # The ledger grows while the view is hidden: read it again when it shows.
        super().showEvent(event)
        self.search()

    # ------------------------------------------------------------------ rewards filter

    def follow_rewards(self, service: RewardsService) -> None:
        """Keep the reward filter in step with the rewards service's list."""

        def refresh(*_args: object) -> None:
            self.set_rewards({r.id: r.title for r in service.rewards.values()})

        service.rewards_loaded.connect(refresh)
        service.reward_changed.connect(refresh)
        refresh()

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
            if task.get_name() in ("history-search", "history-more"):
                task.cancel()
        self._start(self._search(), "history-search")

    def load_more(self) -> None:
        """Read the next page of the search shown (the model asks when scrolled to the end)."""
        self._start(self._more(self._shown), "history-more")

    def _start(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_event_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def query(self) -> HistoryQuery:
        """The search the fields describe."""
        return HistoryQuery(
            viewer=self.viewer_edit.text().strip() or None,
            reward_id=self.reward_combo.currentData() or None,
        )

    async def _search(self) -> None:
        query = self.query()
        try:
            page = await self.ledger.aquery(query, limit=PAGE)
        except Exception as exc:
            _log.warning("history search failed: %r", exc)
            self.status_label.setText(f"Could not read the history. {explain_error(exc).then}")
            return
        rows = page.rows
        known = {
            r.record.reward_id: r.record.reward_title
            for r in rows
            if r.record.reward_id not in self._rewards
        }
        if known and query.reward_id is None:
            self.set_rewards(known)
        self._shown = query
        self.model.set_entries(rows, page.total)
        self._show_empty(not rows)
        self._say_shown()
        self._update_export()
        self.searched.emit(page.total)

    async def _more(self, query: HistoryQuery) -> None:
        try:
            page = await self.ledger.aquery(query, limit=PAGE, offset=len(self.model.entries))
        except Exception as exc:
            _log.warning("history page failed: %r", exc)
            self.status_label.setText(f"Could not read the history. {explain_error(exc).then}")
            return
        finally:
            self.model.fetching = False
        self.model.add_entries(page.rows)
        self._say_shown()
        self.loaded.emit(len(self.model.entries))

    def _say_shown(self) -> None:
        total, loaded = self.model.total, len(self.model.entries)
        shown = f"{total} redemption{'' if total == 1 else 's'}"
        if total > loaded:
            shown += f" (the newest {loaded} shown, more as you scroll; the export has them all)"
        self.status_label.setText(shown)

    def _show_empty(self, empty: bool) -> None:
        self.table.setVisible(not empty)
        self.empty_label.setVisible(empty)
        filtered = bool(self.viewer_edit.text().strip() or self.reward_combo.currentData())
        self.empty_label.setText(
            "No redemption matches this search."
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

    def export(self) -> None:
        """Write the current search to the CSV path in the field (off the UI thread)."""
        text = self.path_edit.text().strip()
        if not text:
            return
        path = Path(text).expanduser()
        if path.suffix.lower() != ".csv":
            path = path.with_suffix(".csv")
        task = asyncio.get_event_loop().create_task(
            self._export(path, self.query()), name="history-export"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _export(self, path: Path, query: HistoryQuery) -> None:
        self.export_button.setEnabled(False)
        try:
            count = await self.ledger.aexport_csv(path, query)
        except OSError as exc:
            _log.warning("export to %s failed: %r", path, exc)
            self.status_label.setText(f"Could not write {path}. {explain_error(exc).then}")
            return
        finally:
            self._update_export()
        self.status_label.setText(f"Exported {count} redemption(s) to {path}")
        self.exported.emit(str(path))
