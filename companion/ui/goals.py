"""The goals panel and the optional always-on-top goal strip.

Both show the same :class:`GoalsModel`; each row is painted as a progress bar by
:class:`GoalBarDelegate`, readable at a glance from across the room.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from .bars import BarLayout, bar_layout, numbers_width, paint_bar
from .theme import BAR_FILLS

if TYPE_CHECKING:
    from PySide6.QtGui import QFont, QPainter

    from companion.twitch.models.goals import Goal
    from companion.ui.settings import AppSettings

#: Where goals are created: Twitch's API has no endpoint for it.
DASHBOARD_GOALS_URL = "https://dashboard.twitch.tv/stream-manager"

GOAL_TYPE_NAMES = {
    "follower": "Followers",
    "subscription": "Subscription points",
    "subscription_count": "Subscriptions",
    "new_subscription": "New subscription points",
    "new_subscription_count": "New subscriptions",
    "new_bit": "Bits",
    "new_cheerer": "New cheerers",
}

GoalRole = Qt.ItemDataRole.UserRole + 1
FractionRole = Qt.ItemDataRole.UserRole + 2
NumbersRole = Qt.ItemDataRole.UserRole + 3
TitleRole = Qt.ItemDataRole.UserRole + 4

_Index = QModelIndex | QPersistentModelIndex


def goal_title(goal: Goal) -> str:
    kind = GOAL_TYPE_NAMES.get(goal.type, goal.type)
    return f"{goal.description} ({kind})" if goal.description else kind


def goal_fraction(goal: Goal) -> float:
    if goal.target_amount <= 0:
        return 1.0
    return max(0.0, min(1.0, goal.current_amount / goal.target_amount))


class GoalsModel(QAbstractListModel):
    """One row per goal; display text, the Goal itself, and its 0..1 progress."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._goals: list[Goal] = []

    def set_goals(self, goals: list[Goal]) -> None:
        """Replace the rows, changing in place when only amounts moved (no flicker)."""
        if [g.id for g in goals] == [g.id for g in self._goals]:
            self._goals = list(goals)
            if goals:
                self.dataChanged.emit(self.index(0), self.index(len(goals) - 1))
            return
        self.beginResetModel()
        self._goals = list(goals)
        self.endResetModel()

    def goal(self, row: int) -> Goal:
        return self._goals[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._goals)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._goals):
            return None
        goal = self._goals[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{goal_title(goal)}: {goal.current_amount} / {goal.target_amount}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{goal_title(goal)}, started {goal.created_at:%Y-%m-%d %H:%M}"
        if role == GoalRole:
            return goal
        if role == FractionRole:
            return goal_fraction(goal)
        if role == NumbersRole:
            return f"{goal.current_amount:,} / {goal.target_amount:,}"
        if role == TitleRole:
            return goal_title(goal)
        return None


class GoalBarDelegate(QStyledItemDelegate):
    """Paints a goal as a labelled progress bar, its numbers whole at the right."""

    NUMBERS_ROLE = NumbersRole

    def __init__(self, bar_height: int = 34, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar_height = bar_height

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> Any:
        # No width of its own: the whole display text would make the row wider than a
        # narrow strip, and the view would cut the row's right end (the numbers) off.
        return QSize(0, self.bar_height + 10)

    def layout(self, rect: QRect, font: QFont, index: _Index) -> BarLayout:
        """Where the bar and its numbers go in a row's ``rect``."""
        model = index.model()
        column = (str(model.index(r, 0).data(NumbersRole) or "") for r in range(model.rowCount()))
        return bar_layout(rect.adjusted(4, 5, -4, -5), numbers_width(font, column))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        paint_bar(
            painter,
            self.layout(option.rect, option.font, index),
            fraction=float(index.data(FractionRole) or 0.0),
            fill=BAR_FILLS["GOAL"],
            palette=option.palette,
            font=option.font,
            title=str(index.data(TitleRole) or ""),
            numbers=str(index.data(NumbersRole) or ""),
        )


def _goal_view(model: GoalsModel, bar_height: int) -> QListView:
    view = QListView()
    view.setModel(model)
    view.setItemDelegate(GoalBarDelegate(bar_height, view))
    view.setSelectionMode(QListView.SelectionMode.NoSelection)
    view.setUniformItemSizes(True)
    return view


class GoalsPanel(QWidget):
    """Every creator goal as a progress bar, with where to create one."""

    def __init__(self, model: GoalsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        title = QLabel("Creator goals")
        title.setProperty("role", "title")
        layout.addWidget(title)
        self.view = _goal_view(model, 40)
        layout.addWidget(self.view, 1)
        self.empty_label = QLabel("No active goals.")
        self.empty_label.setProperty("role", "empty")
        layout.addWidget(self.empty_label)
        hint = QLabel(
            "Goals are created and edited on Twitch (the API cannot): "
            f'<a href="{DASHBOARD_GOALS_URL}">open the Creator Dashboard</a>.'
        )
        hint.setOpenExternalLinks(True)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.strip_button = QPushButton("Show goal strip (always on top)")
        self.strip_button.setProperty("secondary", True)
        layout.addWidget(self.strip_button)
        model.modelReset.connect(self._update_empty)
        model.rowsInserted.connect(self._update_empty)
        self._update_empty()

    def _update_empty(self) -> None:
        self.empty_label.setVisible(self.model.rowCount() == 0)


class GoalStrip(QWidget):
    """A small always-on-top window with the goal bars, to keep over a game or OBS."""

    def __init__(self, model: GoalsModel, settings: AppSettings | None = None) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle("Goals")
        self.settings = settings
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.view = _goal_view(model, 28)
        layout.addWidget(self.view)
        self.resize(360, 120)
        if settings is not None:
            geometry = settings.window_geometry("goal_strip")
            if geometry is not None:
                self.restoreGeometry(geometry)
            self.setWindowOpacity(settings.window_opacity("goal_strip", 0.9))

    def toggle(self) -> None:
        self.setVisible(not self.isVisible())

    def hideEvent(self, event: Any) -> None:
        if self.settings is not None:
            self.settings.set_window_geometry("goal_strip", self.saveGeometry())
        super().hideEvent(event)
