"""The queue table repaints for what is on screen, not for rows added below it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtGui import QPaintEvent

from companion.services.queue_service import QueueService
from companion.ui.queue_model import ID_ROLE, Column, QueueTableModel
from companion.ui.queue_panel import QueuePanel
from tests.helpers.core_fakes import redemption
from tests.helpers.fake_clock import FakeScheduler

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


class PaintCounter(QObject):
    """Counts paint events of one widget."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0
        self.rects: list[QRect] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QPaintEvent):
            self.paints += 1
            self.rects.append(event.rect())
        return False


@pytest.fixture
def panel(qtbot) -> QueuePanel:
    service = QueueService(None, None, scheduler=FakeScheduler())
    widget = QueuePanel(service, QueueTableModel(service.queue))
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def settle(app: QApplication) -> None:
    for _ in range(3):
        app.processEvents()


def test_rows_added_below_the_view_grow_the_scroll_range_without_a_repaint(
    panel: QueuePanel, qapp: QApplication
) -> None:
    queue = panel.service.queue
    queue.add_many([redemption(n) for n in range(1000, 1100)])
    settle(qapp)
    table = panel.table
    bar = table.verticalScrollBar()
    maximum = bar.maximum()
    visible = table.rowAt(table.viewport().height() - 1) + 1
    assert 0 < visible < 100
    counter = PaintCounter()
    table.viewport().installEventFilter(counter)

    # Newer redemptions go after the last row: off screen.
    for block in range(5):
        queue.add_many([redemption(2000 + 50 * block + n) for n in range(50)])
        settle(qapp)
    assert counter.paints == 0
    assert panel.proxy.rowCount() == 350
    assert bar.maximum() == maximum + 250 * table.verticalHeader().defaultSectionSize()

    # An older one lands at the top, on screen: the view repaints it.
    queue.add(redemption(1))
    settle(qapp)
    assert counter.paints >= 1
    assert panel.proxy.index(0, 0).data(ID_ROLE) == "r00001"

    # A removal is a full relayout too (rows on screen move up).
    painted = counter.paints
    queue.mark_external("r00001", "FULFILLED")
    settle(qapp)
    assert counter.paints > painted
    assert panel.proxy.index(0, 0).data(ID_ROLE) == "r01000"


def test_the_age_timer_repaints_the_age_column_only(panel: QueuePanel, qapp: QApplication) -> None:
    panel.service.queue.add_many([redemption(n) for n in range(1, 200)])
    settle(qapp)
    table = panel.table
    counter = PaintCounter()
    table.viewport().installEventFilter(counter)
    table._age_timer.timeout.emit()  # what the 1 s timer does
    settle(qapp)
    left = table.columnViewportPosition(Column.AGE)
    assert counter.rects == [
        QRect(left, 0, table.columnWidth(Column.AGE), table.viewport().height())
    ]
