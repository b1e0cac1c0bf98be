"""The Qt item model behind the rewards table, fed by :class:`RewardsService` signals.

At most 50 rows (Twitch's cap), so a full reload is a reset; single adds, changes and
removals are row inserts, ``dataChanged`` and row removals.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from companion.core.bidi import isolate

from .sorting import SortKey, casefolded, sort_rows

if TYPE_CHECKING:
    from collections.abc import Callable

    from companion.services.rewards_service import RewardsService
    from companion.twitch.models.channel_points import CustomReward

__all__ = ["REWARD_ID_ROLE", "RewardColumn", "RewardsTableModel", "describe_limits"]

_log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex

REWARD_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
_READ_ONLY_COLOR = QColor("#8a8a99")


class RewardColumn:
    """Column numbers of :class:`RewardsTableModel`."""

    TITLE = 0
    COST = 1
    ENABLED = 2
    PAUSED = 3
    COOLDOWN = 4
    LIMITS = 5
    SKIP_QUEUE = 6
    THIS_STREAM = 7
    COOLDOWN_UNTIL = 8
    WAITING = 9
    MANAGED = 10
    COUNT = 11


_HEADERS = (
    "Reward",
    "Cost",
    "Enabled",
    "Paused",
    "Cooldown",
    "Limits",
    "Skips queue",
    "This stream",
    "Cooldown until",
    "Waiting",
    "Managed here",
)


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def describe_limits(reward: CustomReward) -> str:
    """``3/stream · 1/viewer`` or an em dash."""
    parts = []
    if reward.max_per_stream[0]:
        parts.append(f"{reward.max_per_stream[1]}/stream")
    if reward.max_per_user_stream[0]:
        parts.append(f"{reward.max_per_user_stream[1]}/viewer")
    return " · ".join(parts) or "—"


class RewardsTableModel(QAbstractTableModel):
    """The channel's rewards, in the order Twitch lists them (by id), new ones last,
    until a header click sorts them (:meth:`sort`; kept as rewards come and change).

    Args:
        service: The rewards service whose signals drive this model.
        now: Wall clock for "cooldown until" (tests pass a fixed one).
        parent: Qt parent.
    """

    def __init__(
        self,
        service: RewardsService,
        *,
        now: Callable[[], datetime] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self._now = now or (lambda: datetime.now(UTC))
        self._ids: list[str] = list(service.rewards)
        self._sort: tuple[int, Qt.SortOrder] | None = None
        service.rewards_loaded.connect(self._reset)
        service.reward_changed.connect(self._changed)
        service.reward_removed.connect(self._removed)

    def __repr__(self) -> str:
        return f"RewardsTableModel(rows={len(self._ids)})"

    # ------------------------------------------------------------------ service signals

    def _reset(self) -> None:
        self.beginResetModel()
        self._ids = list(self.service.rewards)
        if self._sort is not None:
            column, order = self._sort
            descending = order == Qt.SortOrder.DescendingOrder
            self._ids.sort(key=self._sort_key(column), reverse=descending)
        self.endResetModel()

    def _changed(self, reward: CustomReward) -> None:
        if reward.id in self._ids:
            row = self._ids.index(reward.id)
            self.dataChanged.emit(self.index(row, 0), self.index(row, RewardColumn.COUNT - 1))
        else:
            row = len(self._ids)
            self.beginInsertRows(QModelIndex(), row, row)
            self._ids.append(reward.id)
            self.endInsertRows()
        self._resort()

    def _resort(self) -> None:
        if self._sort is not None:
            sort_rows(self, self._ids, self._sort_key(self._sort[0]), self._sort[1])

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (the view calls this on a header click)."""
        if not 0 <= column < RewardColumn.COUNT:
            return
        self._sort = (column, order)
        self._resort()

    def _sort_key(self, column: int) -> Callable[[str], SortKey]:
        """How a column sorts: numbers as numbers, text case-insensitively, "—" first."""
        rewards = self.service.rewards

        def key(reward_id: str) -> SortKey:
            reward = rewards.get(reward_id)
            if reward is None:
                return (0, "", reward_id)
            tie = (casefolded(reward.title), reward_id)
            value: Any
            if column == RewardColumn.COST:
                value = reward.cost
            elif column == RewardColumn.ENABLED:
                value = reward.enabled
            elif column == RewardColumn.PAUSED:
                value = reward.paused
            elif column == RewardColumn.COOLDOWN:
                enabled, seconds = reward.global_cooldown
                value = seconds if enabled else -1
            elif column == RewardColumn.LIMITS:
                value = describe_limits(reward)
            elif column == RewardColumn.SKIP_QUEUE:
                value = reward.redemptions_skip_queue
            elif column == RewardColumn.THIS_STREAM:
                count = self.service.stream_count(reward_id)
                value = -1 if count is None else count
            elif column == RewardColumn.COOLDOWN_UNTIL:
                until = self.service.cooldown_until(reward_id)
                value = until.timestamp() if until is not None else 0.0
            elif column == RewardColumn.WAITING:
                value = self.service.waiting_count(reward_id)
            elif column == RewardColumn.MANAGED:
                value = self.service.is_manageable(reward_id)
            else:
                return tie
            return (value, *tie)

        return key

    def _removed(self, reward_id: str) -> None:
        if reward_id not in self._ids:
            return
        row = self._ids.index(reward_id)
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._ids[row]
        self.endRemoveRows()

    def waiting_changed(self) -> None:
        """The queue changed: repaint the waiting counts."""
        if self._ids:
            self.dataChanged.emit(
                self.index(0, RewardColumn.WAITING),
                self.index(len(self._ids) - 1, RewardColumn.WAITING),
                [Qt.ItemDataRole.DisplayRole],
            )
            if self._sort is not None and self._sort[0] == RewardColumn.WAITING:
                self._resort()

    # ------------------------------------------------------------------ model API

    def reward_at(self, row: int) -> CustomReward | None:
        """The reward on a row (None if it vanished meanwhile)."""
        if 0 <= row < len(self._ids):
            return self.service.rewards.get(self._ids[row])
        return None

    def row_of(self, reward_id: str) -> int:
        """The row of a reward, or -1."""
        return self._ids.index(reward_id) if reward_id in self._ids else -1

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  # Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else RewardColumn.COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < RewardColumn.COUNT
        ):
            return _HEADERS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        reward = self.reward_at(index.row())
        if reward is None:
            return None
        column = index.column()
        managed = self.service.is_manageable(reward.id)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(reward, column, managed)
        if role == Qt.ItemDataRole.DecorationRole and column == RewardColumn.TITLE:
            return QColor(reward.background_color or "#9147FF")
        if role == Qt.ItemDataRole.ToolTipRole:
            if not managed:
                return self.service.read_only_reason(reward.id)
            if column == RewardColumn.TITLE and reward.prompt:
                return reward.prompt
            return None
        if role == Qt.ItemDataRole.ForegroundRole and not managed:
            return QBrush(_READ_ONLY_COLOR)
        if role == Qt.ItemDataRole.TextAlignmentRole and column != RewardColumn.TITLE:
            horizontal = (
                Qt.AlignmentFlag.AlignRight
                if column == RewardColumn.COST
                else Qt.AlignmentFlag.AlignHCenter
            )
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == REWARD_ID_ROLE:
            return reward.id
        return None

    def _display(self, reward: CustomReward, column: int, managed: bool) -> str | None:
        if column == RewardColumn.TITLE:
            return isolate(reward.title)  # its own direction (Arabic, Hebrew) in the row
        if column == RewardColumn.COST:
            return f"{reward.cost:,}"
        if column == RewardColumn.ENABLED:
            return "Yes" if reward.enabled else "No"
        if column == RewardColumn.PAUSED:
            return "Paused" if reward.paused else "—"
        if column == RewardColumn.COOLDOWN:
            enabled, seconds = reward.global_cooldown
            return _duration(seconds) if enabled else "—"
        if column == RewardColumn.LIMITS:
            return describe_limits(reward)
        if column == RewardColumn.SKIP_QUEUE:
            return "Yes" if reward.redemptions_skip_queue else "—"
        if column == RewardColumn.THIS_STREAM:
            count = self.service.stream_count(reward.id)
            return "—" if count is None else str(count)
        if column == RewardColumn.COOLDOWN_UNTIL:
            until = self.service.cooldown_until(reward.id)
            if until is None or until <= self._now():
                return "—"
            return until.astimezone().strftime("%H:%M:%S")
        if column == RewardColumn.WAITING:
            return str(self.service.waiting_count(reward.id))
        if column == RewardColumn.MANAGED:
            return "Yes" if managed else "No (other app)"
        return None
