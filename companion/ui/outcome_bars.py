"""Pieces the predictions and polls panels share.

* :class:`OutcomeBarsModel` and :class:`OutcomeBarDelegate`: one live bar per outcome or
  choice, with its key (1-9, 0), share, numbers and a detail line (top predictors).
* :class:`HistoryTableModel`: a read-only table of past predictions or polls.
* :class:`LimitField`: an input's help line, which names Twitch's limit and turns into
  the error the moment the value breaks it.
* :class:`PressAgain`: the non-modal confirmation ("press again to confirm").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from companion.services.messages import explain
from companion.twitch.errors import LimitError

from .bars import BarLayout, bar_layout, numbers_width, paint_bar
from .theme import BAR_FILLS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import timedelta

    from companion.twitch.limits import Limit

__all__ = [
    "BAR_COLORS",
    "BarRow",
    "HistoryTableModel",
    "KeyFilter",
    "LimitField",
    "OutcomeBarDelegate",
    "OutcomeBarsModel",
    "PressAgain",
    "format_span",
    "key_for",
    "parse_int",
]

_log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex
_T = TypeVar("_T")

#: Twitch's prediction colours (darkened for white text: see theme.BAR_FILLS), and ours
#: for poll choices.
BAR_COLORS = {name: BAR_FILLS[name] for name in ("BLUE", "PINK", "POLL")}

FractionRole = Qt.ItemDataRole.UserRole + 1
ColorRole = Qt.ItemDataRole.UserRole + 2
DetailRole = Qt.ItemDataRole.UserRole + 3
KeyRole = Qt.ItemDataRole.UserRole + 4
WinnerRole = Qt.ItemDataRole.UserRole + 5
IdRole = Qt.ItemDataRole.UserRole + 6
NumbersRole = Qt.ItemDataRole.UserRole + 7
TitleRole = Qt.ItemDataRole.UserRole + 8


def key_for(position: int) -> str:
    """The key of the outcome at ``position`` (0-based): 1-9, then 0 for the tenth."""
    return str((position + 1) % 10) if position < 10 else ""


def parse_int(text: str) -> int | None:
    """A whole number typed by a person (``1,000`` and ``1_000`` allowed), else None."""
    stripped = text.strip().replace(",", "").replace("_", "")
    if not stripped or not stripped.lstrip("-").isdigit():
        return None
    return int(stripped)


def format_span(span: timedelta) -> str:
    """``1:05:09``, ``4:09`` or ``0:07``; negative spans read as ``0:00``."""
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True, slots=True)
class BarRow:
    """One bar.

    Attributes:
        id: The outcome or choice id.
        key: The key that picks it ("1".."9", "0"), or "" for none.
        title: Its title.
        value: What the bar measures (channel points, votes).
        numbers: The numbers as text ("1,500 points · 3 viewers").
        detail: A second line (top predictors), may be empty.
        color: A ``#rrggbb`` colour.
        winner: Whether it won.
    """

    id: str
    key: str
    title: str
    value: int
    numbers: str
    detail: str = ""
    color: str = BAR_COLORS["POLL"]
    winner: bool = False


class OutcomeBarsModel(QAbstractListModel):
    """One row per outcome; the share of the total is the bar's length."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[BarRow] = []
        self._total = 0

    def set_rows(self, rows: Sequence[BarRow]) -> None:
        """Replace the rows; same ids in the same order change in place (no flicker)."""
        rows = list(rows)
        same = [r.id for r in rows] == [r.id for r in self._rows]
        if not same:
            self.beginResetModel()
        self._rows = rows
        self._total = sum(max(0, r.value) for r in rows)
        if not same:
            self.endResetModel()
        elif rows:
            self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))

    def row(self, position: int) -> BarRow:
        return self._rows[position]

    def rows(self) -> list[BarRow]:
        return list(self._rows)

    def fraction(self, position: int) -> float:
        if self._total <= 0:
            return 0.0
        return max(0, self._rows[position].value) / self._total

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        share = round(self.fraction(index.row()) * 100)
        if role == Qt.ItemDataRole.DisplayRole:
            key = f"{row.key}  " if row.key else ""
            won = " ✓" if row.winner else ""
            return f"{key}{row.title}{won}: {row.numbers} ({share}%)"
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.detail or None
        if role == FractionRole:
            return self.fraction(index.row())
        if role == ColorRole:
            return row.color
        if role == DetailRole:
            return row.detail
        if role == KeyRole:
            return row.key
        if role == WinnerRole:
            return row.winner
        if role == IdRole:
            return row.id
        if role == TitleRole:
            return row.title
        if role == NumbersRole:
            return f"{row.numbers} · {share}%"
        return None


class OutcomeBarDelegate(QStyledItemDelegate):
    """Paints a row as a bar: key and title inside, numbers right of it, detail under."""

    BAR_HEIGHT = 30
    DETAIL_HEIGHT = 18
    NUMBERS_ROLE = NumbersRole

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> Any:
        # No width of its own (the view's width is the row's): a long title must not
        # widen the row past the view and push the numbers out of sight.
        detail = self.DETAIL_HEIGHT if index.data(DetailRole) else 0
        return QSize(0, self.BAR_HEIGHT + detail + 10)

    def layout(self, rect: QRect, font: QFont, index: _Index) -> BarLayout:
        """Where the bar and its numbers go in a row's ``rect``."""
        outer = rect.adjusted(4, 5, -4, -5)
        row = QRect(outer.left(), outer.top(), outer.width(), self.BAR_HEIGHT)
        model = index.model()
        column = (str(model.index(r, 0).data(NumbersRole) or "") for r in range(model.rowCount()))
        return bar_layout(row, numbers_width(font, column))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        winner = bool(index.data(WinnerRole))
        palette = option.palette
        layout = self.layout(option.rect, option.font, index)
        bar = layout.bar
        paint_bar(
            painter,
            layout,
            fraction=float(index.data(FractionRole) or 0.0),
            fill=str(index.data(ColorRole) or BAR_COLORS["POLL"]),
            palette=palette,
            font=option.font,
            title=str(index.data(TitleRole) or "") + ("  ✓ winner" if winner else ""),
            numbers=str(index.data(NumbersRole) or ""),
            key=str(index.data(KeyRole) or ""),
        )
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if option.state & QStyle.StateFlag.State_Selected:
            # The row Enter would resolve: outlined in the theme's highlight colour.
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRoundedRect(bar.adjusted(-2, -2, 2, 2), 7, 7)
        if winner:
            painter.setPen(QColor("#00c853"))
            painter.drawRoundedRect(bar.adjusted(1, 1, -1, -1), 6, 6)
        detail = str(index.data(DetailRole) or "")
        if detail:
            small = QFont(option.font)
            small.setPointSizeF(max(6.0, option.font.pointSizeF() * 0.85))
            painter.setFont(small)
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            detail_rect = QRect(
                bar.left() + 10, bar.bottom() + 2, bar.width() - 20, self.DETAIL_HEIGHT
            )
            painter.drawText(
                detail_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, detail
            )
        painter.restore()


class HistoryTableModel(QAbstractTableModel, Generic[_T]):
    """Past predictions or polls, one column per ``(header, text_of_item)``."""

    def __init__(
        self,
        columns: Sequence[tuple[str, Callable[[_T], str]]],
        parent: QObject | None = None,
        tooltip: Callable[[_T], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._tooltip = tooltip
        self._items: list[_T] = []

    def set_items(self, items: Sequence[_T]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def item(self, row: int) -> _T:
        return self._items[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        if not 0 <= index.column() < len(self._columns):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[index.column()][1](item)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item) if self._tooltip else self._columns[index.column()][1](item)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            return self._columns[section][0]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._items):
            return str(section + 1)
        return None


def limit_problem(limit: Limit, value: object) -> str | None:
    """What is wrong if ``value`` breaks the limit (a sentence), else None."""
    try:
        limit.check(value)
    except LimitError as exc:
        return explain(exc)
    except TypeError:
        return f"The {limit.label} must be a whole number."
    return None


class LimitField:
    """The line under an input: Twitch's rule, or the error once the value breaks it."""

    def __init__(self, help_text: str) -> None:
        self.help_text = help_text
        self.label = QLabel(help_text)
        self.label.setWordWrap(True)
        self.error: str | None = None
        # A field nobody has typed in yet shows its rule, not an error (the form's
        # button stays off all the same).
        self.touched = False
        self._paint()

    def show(self, error: str | None, typed: str = "x") -> None:
        """Show ``error`` (None: the rule) once something has been ``typed`` in the field."""
        self.touched = self.touched or bool(typed)
        self.error = error if self.touched else None
        self.label.setText(self.error or self.help_text)
        self._paint()

    def _paint(self) -> None:
        self.label.setStyleSheet(
            "color: #d93025; font-weight: bold; font-size: 9pt;"
            if self.error
            else "color: palette(placeholder-text); font-size: 9pt;"
        )


class KeyFilter(QObject):
    """Hands key presses on a widget (the bars view) to ``handler``; True eats the key."""

    def __init__(self, handler: Callable[[QKeyEvent], bool], parent: QObject) -> None:
        super().__init__(parent)
        self._handler = handler

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._handler(event)
        return False


class PressAgain:
    """A confirmation that needs no dialog: the same key (or button) twice in a row.

    The first press arms the action and shows ``question`` in ``label``; the same key
    again within ``timeout_ms`` runs it; any other key re-arms for that one; Esc or the
    timeout forgets it.
    """

    def __init__(
        self, label: QLabel, timeout_ms: int = 6000, parent: QWidget | None = None
    ) -> None:
        self.label = label
        self.pending: str | None = None
        self._action: Callable[[], None] | None = None
        self._timer = QTimer(parent)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self.clear)
        label.hide()

    def press(self, key: str, question: str, action: Callable[[], None]) -> bool:
        """Arm ``key`` or, if it is armed, run it. True when the action ran."""
        if self.pending == key and self._action is not None:
            run = self._action
            self.clear()
            run()
            return True
        self.pending = key
        self._action = action
        self.label.setText(question)
        self.label.show()
        self._timer.start()
        return False

    def clear(self) -> None:
        self.pending = None
        self._action = None
        self._timer.stop()
        self.label.hide()
        self.label.clear()
