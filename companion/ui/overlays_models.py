"""The item models behind the Overlays panel: pages, connected sources, alerts per reward.

Each is a plain Qt model over what the overlay service knows, so the views stay views
(no widget per row) and pytest-qt's model tester can check them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from companion.core.errors import UserError

from .sorting import casefolded

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from companion.overlay.hub import ConnectedSource
    from companion.overlay.server import OverlayPage
    from companion.services.overlay_service import OverlayService
    from companion.services.rewards_service import RewardsService

__all__ = [
    "PAGE_NAME_ROLE",
    "URL_ROLE",
    "PagesModel",
    "RewardAlertsModel",
    "SourcesModel",
]

_log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex

PAGE_NAME_ROLE = int(Qt.ItemDataRole.UserRole) + 1
URL_ROLE = int(Qt.ItemDataRole.UserRole) + 2


class PagesModel(QAbstractListModel):
    """One row per overlay page: its title, and its URL with the options chosen for it.

    Args:
        url_for: The URL of a page by name (with that page's options).
        parent: Qt parent.
    """

    def __init__(self, url_for: Callable[[str], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._url_for = url_for
        self._pages: list[OverlayPage] = []

    def set_pages(self, pages: Sequence[OverlayPage]) -> None:
        """Replace the pages (once, when the server module is loaded)."""
        self.beginResetModel()
        self._pages = list(pages)
        self.endResetModel()

    def page(self, row: int) -> OverlayPage:
        return self._pages[row]

    def row_of(self, name: str) -> int:
        """The row of the page called ``name`` (-1: none)."""
        return next((row for row, page in enumerate(self._pages) if page.name == name), -1)

    def urls_changed(self) -> None:
        """Every URL may read differently now (a new port, options)."""
        if self._pages:
            self.dataChanged.emit(self.index(0), self.index(len(self._pages) - 1), [URL_ROLE])

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._pages)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._pages):
            return None
        page = self._pages[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return page.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return page.description
        if role == PAGE_NAME_ROLE:
            return page.name
        if role == URL_ROLE:
            return self._url_for(page.name)
        return None


_SOURCE_HEADERS = ("Page", "Connected since", "Browser port")


class SourcesModel(QAbstractTableModel):
    """The browser sources connected now: which page, since when, from which port.

    Args:
        titles: Page name -> title (rows of a page the panel does not know show its name).
        parent: Qt parent.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sources: list[ConnectedSource] = []
        self.titles: dict[str, str] = {}

    def set_sources(self, sources: Sequence[ConnectedSource]) -> None:
        """Replace the rows with the sources connected now."""
        self.beginResetModel()
        self._sources = list(sources)
        self.endResetModel()

    def source(self, row: int) -> ConnectedSource:
        return self._sources[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._sources)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(_SOURCE_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(_SOURCE_HEADERS)
        ):
            return _SOURCE_HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._sources):
            return None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        source = self._sources[index.row()]
        column = index.column()
        if column == 0:
            return self.titles.get(source.page, source.page)
        if column == 1:
            return datetime.fromtimestamp(source.connected_since).strftime("%H:%M:%S")
        if column == 2:
            return "—" if source.remote_port is None else str(source.remote_port)
        return None


_ALERT_HEADERS = ("Reward", "Alert", "Seconds")


class RewardAlertsModel(QAbstractTableModel):
    """Every reward of the channel with its alert rule: on/off (a check box, Space
    toggles it) and seconds (F2 edits; out of range is refused with a sentence).

    Signals:
        problem(str): an edit broke a limit (the sentence says which), or "" once an
            edit was taken.

    Args:
        rewards: The rewards service (rows follow its signals).
        overlays: The overlay service (reads and keeps the rules).
        parent: Qt parent.
    """

    problem = Signal(str)

    TITLE = 0
    ENABLED = 1
    SECONDS = 2

    def __init__(
        self, rewards: RewardsService, overlays: OverlayService, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.rewards = rewards
        self.overlays = overlays
        self._rows: list[tuple[str, str]] = []  # (reward id, title), by title
        self._reset()
        rewards.rewards_loaded.connect(self._reset)
        rewards.reward_changed.connect(self._reset)
        rewards.reward_removed.connect(self._reset)

    def _reset(self, *_: object) -> None:
        # At most 50 rewards (Twitch's cap): a reset is cheaper than bookkeeping.
        rows = sorted(
            ((reward.id, reward.title) for reward in self.rewards.rewards.values()),
            key=lambda row: (casefolded(row[1]), row[0]),
        )
        if rows == self._rows:
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def reward_id(self, row: int) -> str:
        return self._rows[row][0]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(_ALERT_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(_ALERT_HEADERS)
        ):
            return _ALERT_HEADERS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if not index.isValid():
            return base
        if index.column() == self.ENABLED:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        if index.column() == self.SECONDS:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        reward_id, title = self._rows[index.row()]
        rule = self.overlays.alert_rule(reward_id)
        column = index.column()
        if column == self.TITLE and role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return title
        if column == self.ENABLED:
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if rule.enabled else Qt.CheckState.Unchecked
            if role == Qt.ItemDataRole.DisplayRole:
                return "On" if rule.enabled else "Off"
        if column == self.SECONDS:
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{rule.seconds:g} s"
            if role == Qt.ItemDataRole.EditRole:
                return f"{rule.seconds:g}"
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return False
        reward_id = self._rows[index.row()][0]
        rule = self.overlays.alert_rule(reward_id)
        if index.column() == self.ENABLED and role == Qt.ItemDataRole.CheckStateRole:
            enabled = Qt.CheckState(value) == Qt.CheckState.Checked
            self.overlays.set_alert_rule(reward_id, enabled=enabled, seconds=rule.seconds)
        elif index.column() == self.SECONDS and role == Qt.ItemDataRole.EditRole:
            try:
                self.overlays.set_alert_rule(reward_id, enabled=rule.enabled, seconds=value)
            except UserError as refusal:
                self.problem.emit(str(refusal))
                return False
        else:
            return False
        self.problem.emit("")
        self.dataChanged.emit(index, index)
        return True
