"""Sorting small table models in place (the rewards and history tables).

Models of a few thousand rows at most sort their own row list on a header click, so
the panels keep mapping rows straight to their items (no proxy in between). Selection
and every other persistent index follow their rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QAbstractItemModel, Qt

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["SortKey", "casefolded", "sort_rows"]

T = TypeVar("T")

#: A column's sort key for one row (tuples of comparable values; never None inside).
SortKey = tuple[Any, ...]


def casefolded(text: str | None) -> str:
    """Text as compared for sorting: case-insensitive, None as empty."""
    return (text or "").casefold()


def sort_rows(
    model: QAbstractItemModel,
    rows: list[T],
    key: Callable[[T], SortKey],
    order: Qt.SortOrder,
) -> None:
    """Reorder ``rows`` (the model's own list) by ``key``; ties keep their order.

    Emits ``layoutAboutToBeChanged``/``layoutChanged`` and moves every persistent index
    (the selection, the current row) with its row. (PySide's signals take no arguments
    here, so views are not given the vertical-sort hint; they relayout all the same.)
    """
    model.layoutAboutToBeChanged.emit()
    descending = order == Qt.SortOrder.DescendingOrder
    # sorted(reverse=True) keeps ties in their original order too (it is stable).
    positions = sorted(range(len(rows)), key=lambda i: key(rows[i]), reverse=descending)
    new_row = {old: new for new, old in enumerate(positions)}
    rows[:] = [rows[i] for i in positions]
    before = model.persistentIndexList()
    after = [model.index(new_row[index.row()], index.column()) for index in before]
    model.changePersistentIndexList(before, after)
    model.layoutChanged.emit()
