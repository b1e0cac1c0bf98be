"""The Qt item models behind the redemption queue views.

:class:`QueueTableModel` mirrors the core :class:`RedemptionQueue` one to one: the
queue's fine-grained events map to ``beginInsertRows``/``endInsertRows``,
``beginRemoveRows``/``endRemoveRows`` and ``dataChanged``, never to a reset, so a
view with 10,000 rows keeps its selection and scroll position while rows come and go.
Every view (the main panel, the pinned window) puts its own
:class:`QueueFilterProxy` on the same source model.

The age column is computed when painted; views repaint it from a timer instead of
the model announcing 10,000 changes a second.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from companion.core.bidi import isolate
from companion.core.queue_events import RowsChanged, RowsInserted, RowsRemoved, RowState
from companion.services.queue_service import FOREIGN_REASON

if TYPE_CHECKING:
    from collections.abc import Callable

    from companion.core.queue import RedemptionQueue
    from companion.core.queue_events import QueueEvent, QueueRow
    from companion.core.records import RedemptionRecord

__all__ = [
    "FOREIGN_MARK",
    "INPUT_MARK",
    "Column",
    "CompactQueueProxy",
    "QueueFilterProxy",
    "QueueTableModel",
    "format_age",
]

_log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex

ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
REWARD_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 2
STATE_ROLE = int(Qt.ItemDataRole.UserRole) + 3
FOREIGN_ROLE = int(Qt.ItemDataRole.UserRole) + 4

#: Put before the reward of another app's redemption (the pinned window has no status column).
FOREIGN_MARK = "\u2298"  # ⊘ circled division slash: "not from here", in DejaVu Sans
#: After the viewer in the compact view when the redemption carries text (hover shows it).
INPUT_MARK = "\u270e"  # ✎ lower right pencil
FOREIGN_STATUS = "Another app's reward"

# Twitch's purple, for rewards whose colour is not known yet.
_FALLBACK_COLOR = "#9147FF"
_ERROR_COLOR = QColor("#d93025")
_PENDING_COLOR = QColor("#8a8a99")
_ITALIC = QFont()
_ITALIC.setItalic(True)


_ROLES = frozenset(
    {
        int(Qt.ItemDataRole.DisplayRole),
        int(Qt.ItemDataRole.DecorationRole),
        int(Qt.ItemDataRole.ToolTipRole),
        int(Qt.ItemDataRole.ForegroundRole),
        int(Qt.ItemDataRole.FontRole),
        ID_ROLE,
        REWARD_ID_ROLE,
        STATE_ROLE,
        FOREIGN_ROLE,
    }
)


class Column:
    """Column numbers of :class:`QueueTableModel`."""

    REWARD = 0
    VIEWER = 1
    INPUT = 2
    AGE = 3
    STATUS = 4
    COUNT = 5


_HEADERS = ("Reward", "Viewer", "Input", "Age", "Status")


def format_age(seconds: float) -> str:
    """A short age: ``12s``, ``4m 05s``, ``2h 03m``."""
    total = max(0, int(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _status_text(row: QueueRow) -> str:
    if row.state is RowState.PENDING:
        return "Pending (Ctrl+Z undoes)"
    if row.state is RowState.SENDING:
        return "Sending..."
    if row.error:
        return f"Failed: {row.error}"
    return "Waiting"


class QueueTableModel(QAbstractTableModel):
    """A table over the core redemption queue, updated from its events.

    Args:
        queue: The core queue (its observer events drive this model).
        reward_color: Looks up a reward's colour when the record does not carry one.
        now: Wall clock for the age column (tests pass a fixed one).
        parent: Qt parent.
    """

    def __init__(
        self,
        queue: RedemptionQueue,
        reward_color: Callable[[str], str | None] | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.queue = queue
        self._reward_color = reward_color or (lambda _reward_id: None)
        self._now = now or (lambda: datetime.now(UTC))
        self._colors: dict[str, QColor] = {}
        self._is_foreign: Callable[[str], bool] = lambda _reward_id: False
        # Qt asks rowCount() dozens of times per inserted row; answer from a plain int
        # that changes exactly when the queue announces a change.
        self._count = len(queue)
        self._unsubscribe = queue.subscribe(self._after, self._before)
        self._now_cache = (0.0, self._now())

    def __repr__(self) -> str:
        return f"QueueTableModel(rows={len(self.queue)})"

    def detach(self) -> None:
        """Stop listening to the queue (before the model is thrown away)."""
        self._unsubscribe()

    # ------------------------------------------------------------------ queue events

    def _before(self, event: QueueEvent) -> None:
        if isinstance(event, RowsInserted):
            self.beginInsertRows(QModelIndex(), event.first, event.last)
        elif isinstance(event, RowsRemoved):
            self.beginRemoveRows(QModelIndex(), event.first, event.last)

    def _after(self, event: QueueEvent) -> None:
        if isinstance(event, RowsInserted):
            self._count = len(self.queue)
            self.endInsertRows()
        elif isinstance(event, RowsRemoved):
            self._count = len(self.queue)
            self.endRemoveRows()
        elif isinstance(event, RowsChanged):
            self.dataChanged.emit(
                self.index(event.first, 0), self.index(event.last, Column.COUNT - 1)
            )

    def refresh_colors(self) -> None:
        """Reward colours changed (a reward was edited): repaint the reward column."""
        self._colors.clear()
        if len(self.queue):
            self.dataChanged.emit(
                self.index(0, Column.REWARD),
                self.index(len(self.queue) - 1, Column.REWARD),
                [Qt.ItemDataRole.DecorationRole],
            )

    def set_ownership(self, is_foreign: Callable[[str], bool]) -> None:
        """Say which rewards another app made (their rows are marked and greyed)."""
        self._is_foreign = is_foreign
        self.refresh_ownership()

    def refresh_ownership(self) -> None:
        """The set of other apps' rewards changed: repaint every row."""
        if len(self.queue):
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.queue) - 1, Column.COUNT - 1)
            )

    def is_foreign(self, reward_id: str) -> bool:
        """True if another app made the reward."""
        return self._is_foreign(reward_id)

    # ------------------------------------------------------------------ model API

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  # Qt's signature
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else Column.COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < Column.COUNT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        if role == Qt.ItemDataRole.InitialSortOrderRole and section == Column.AGE:
            return Qt.SortOrder.DescendingOrder  # the first click puts the oldest on top
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def row_at(self, row: int) -> QueueRow:
        """The queue row behind a model row."""
        return self.queue.row(row)

    def _color(self, reward_id: str, record_color: str | None) -> QColor:
        color = self._colors.get(reward_id)
        if color is None:
            color = QColor(record_color or self._reward_color(reward_id) or _FALLBACK_COLOR)
            self._colors[reward_id] = color
        return color

    def _current_time(self) -> datetime:
        # One clock read per paint burst rather than one per cell.
        stamp, value = self._now_cache
        tick = time.monotonic()
        if tick - stamp > 0.2:
            value = self._now()
            self._now_cache = (tick, value)
        return value

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # The view asks ~10 roles per cell per paint; most are answered here, first.
        if role not in _ROLES or not index.isValid() or not 0 <= index.row() < self._count:
            return None
        row = self.queue.row(index.row())
        record = row.record
        column = index.column()
        foreign = self._is_foreign(record.reward_id)
        if role == Qt.ItemDataRole.DisplayRole:
            # Viewer text in its own direction (Arabic, Hebrew), whatever the view's.
            if column == Column.REWARD:
                title = isolate(record.reward_title)
                return f"{FOREIGN_MARK} {title}" if foreign else title
            if column == Column.VIEWER:
                return isolate(record.user_name)
            if column == Column.INPUT:
                return isolate(record.user_input)
            if column == Column.AGE:
                age = (self._current_time() - record.redeemed_at).total_seconds()
                return format_age(age)
            if column == Column.STATUS:
                return FOREIGN_STATUS if foreign and not row.error else _status_text(row)
            return None
        if role == Qt.ItemDataRole.DecorationRole and column == Column.REWARD:
            return self._color(record.reward_id, record.reward_color)
        if role == Qt.ItemDataRole.FontRole and row.state is not RowState.WAITING:
            return _ITALIC
        if role == Qt.ItemDataRole.ToolTipRole:
            if foreign:
                return FOREIGN_REASON
            if row.error:
                return f"Last action failed: {row.error}. The redemption is still waiting."
            if column == Column.INPUT and record.user_input:
                return isolate(record.user_input)
            if column in (Column.REWARD, Column.VIEWER, Column.AGE):
                # Whole, whatever the column widths (the pinned window has no input column).
                title, name = isolate(record.reward_title), isolate(record.user_name)
                tip = f"{title} · {name} ({record.user_login})"
                return f"{tip}\n“{isolate(record.user_input)}”" if record.user_input else tip
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.error:
                return QBrush(_ERROR_COLOR)
            if row.state is not RowState.WAITING or foreign:
                return QBrush(_PENDING_COLOR)
            return None
        if role == ID_ROLE:
            return record.redemption_id
        if role == REWARD_ID_ROLE:
            return record.reward_id
        if role == STATE_ROLE:
            return row.state.value
        if role == FOREIGN_ROLE:
            return foreign
        return None


def _sort_key(row: QueueRow, column: int) -> tuple[Any, ...]:
    """How a column sorts; ties keep the queue's order (oldest first)."""
    record = row.record
    if column == Column.AGE:
        # By age: the smallest age (the newest redemption) is the least.
        return (-row.key[0], row.key[1])
    if column == Column.REWARD:
        return (record.reward_title.casefold(), row.key)
    if column == Column.VIEWER:
        return (record.user_name.casefold(), row.key)
    if column == Column.INPUT:
        return ((record.user_input or "").casefold(), row.key)
    if column == Column.STATUS:
        return (row.state.value, row.error or "", row.key)
    return (row.key,)


class QueueFilterProxy(QSortFilterProxyModel):
    """Filters the queue by reward and by a search over viewer and input.

    Reads the core queue directly (no ``data()`` round trip), so filtering 10,000 rows
    is a plain Python loop over records.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reward_id: str | None = None
        self._needle = ""

    @property
    def reward_id(self) -> str | None:
        """The reward shown, or None for every reward."""
        return self._reward_id

    def set_reward_filter(self, reward_id: str | None) -> None:
        """Show one reward's rows (None: all)."""
        if reward_id != self._reward_id:
            self.beginFilterChange()
            self._reward_id = reward_id
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_search(self, text: str) -> None:
        """Show rows whose viewer (login or name) or input contains ``text``."""
        needle = text.strip().lower()
        if needle != self._needle:
            self.beginFilterChange()
            self._needle = needle
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        source = self.sourceModel()
        if not isinstance(source, QueueTableModel) or source_parent.isValid():
            return True
        if not self._reward_id and not self._needle:
            return True
        return self.accepts(source.queue.row(source_row).record)

    @property
    def searching(self) -> bool:
        """True while a search text narrows the rows shown."""
        return bool(self._needle)

    @property
    def filtering(self) -> bool:
        """True while a reward or a search narrows the rows shown."""
        return bool(self._reward_id or self._needle)

    def accepts(self, record: RedemptionRecord) -> bool:
        """True if the filter shows ``record`` (the same test as ``filterAcceptsRow``)."""
        if self._reward_id and record.reward_id != self._reward_id:
            return False
        if self._needle:
            needle = self._needle
            return (
                needle in record.user_login.lower()
                or needle in record.user_name.lower()
                or (record.user_input is not None and needle in record.user_input.lower())
            )
        return True

    def lessThan(self, source_left: _Index, source_right: _Index) -> bool:
        # Sorted only after a header click (unsorted, the queue's own order is kept and
        # this is never called); reads the records directly, not data().
        source = self.sourceModel()
        if not isinstance(source, QueueTableModel):
            return super().lessThan(source_left, source_right)
        column = source_left.column()
        left = source.queue.row(source_left.row())
        right = source.queue.row(source_right.row())
        return _sort_key(left, column) < _sort_key(right, column)

    def redemption_ids(self, proxy_rows: list[int]) -> list[str]:
        """The redemption ids of proxy rows."""
        source = self.sourceModel()
        if not isinstance(source, QueueTableModel):
            return []
        ids = []
        for proxy_row in proxy_rows:
            source_index = self.mapToSource(self.index(proxy_row, 0))
            if source_index.isValid():
                ids.append(source.queue.row(source_index.row()).redemption_id)
        return ids


class CompactQueueProxy(QueueFilterProxy):
    """The pinned window's proxy: marks viewers whose redemption carries text (✎)."""

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = super().data(index, role)
        if (
            role == Qt.ItemDataRole.DisplayRole
            and index.column() == Column.VIEWER
            and isinstance(source := self.sourceModel(), QueueTableModel)
        ):
            source_index = self.mapToSource(index)
            if source_index.isValid() and source.row_at(source_index.row()).record.user_input:
                return f"{value} {INPUT_MARK}"
        return value
