"""Mid-stream ergonomics of the queue panel (issue 16, items 1-3).

Bulk actions act on exactly the rows shown and say how many; over more than one reward
they ask for a second press naming the count; after an action the next waiting row is
selected, so F, F, F works through the queue in order.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from companion.core.queue_events import RowState
from companion.services.queue_service import QueueService
from companion.ui.queue_model import QueueTableModel
from companion.ui.queue_panel import QueuePanel
from companion.ui.theme import DANGER_COLORS, ThemeChoice, apply_theme
from tests.helpers.core_fakes import redemption
from tests.helpers.fake_clock import FakeScheduler
from tests.helpers.qt_windows import show_active


@pytest.fixture
def service(qapp) -> QueueService:
    # No broadcaster and a fake clock: every undo window stays open, nothing is sent.
    return QueueService(None, None, undo_seconds=5, scheduler=FakeScheduler())


@pytest.fixture
def panel(service: QueueService, qtbot) -> QueuePanel:
    widget = QueuePanel(service, QueueTableModel(service.queue))
    qtbot.addWidget(widget)
    widget.resize(1000, 500)
    show_active(widget, qtbot)
    return widget


def pending(service: QueueService) -> list[str]:
    return [row.redemption_id for row in service.queue.rows() if row.state is RowState.PENDING]


def settle(panel: QueuePanel, qtbot) -> None:
    """Wait for the debounced counts (filter list and bulk labels) to catch up."""
    qtbot.waitUntil(lambda: not panel._counts_timer.isActive(), timeout=2000)


# ---------------------------------------------------------------- item 1: two presses


def test_bulk_over_two_rewards_needs_a_second_press_naming_the_count(
    panel: QueuePanel, service: QueueService, qtbot
) -> None:
    service.queue.add_many(
        [redemption(n, reward_id="song" if n <= 20 else "hydrate") for n in range(1, 28)]
    )
    settle(panel, qtbot)
    assert panel.refund_shown_button.text() == "Refund 27 shown"
    panel.refund_shown_button.click()
    # Armed, not sent: the button names the count, nothing is pending.
    assert panel.refund_shown_button.text() == "Press again to refund 27"
    assert service.queue.live_actions() == []
    assert pending(service) == []
    panel.refund_shown_button.click()
    [action] = service.queue.live_actions()
    assert action.kind.name == "REFUND"
    assert len(action.redemption_ids) == 27
    assert panel.refund_shown_button.text() == "Refund 0 shown"


def test_escape_and_a_changed_view_disarm_the_second_press(
    panel: QueuePanel, service: QueueService, qtbot
) -> None:
    service.queue.add_many(
        [redemption(n, reward_id="song" if n % 2 else "hydrate") for n in range(1, 11)]
    )
    settle(panel, qtbot)
    panel.fulfill_shown_button.click()
    assert panel.fulfill_shown_button.text() == "Press again to fulfil 10"
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Escape)
    assert panel.fulfill_shown_button.text() == "Fulfil 10 shown"
    panel.fulfill_shown_button.click()
    panel.search.setText("viewer3")  # the rows named are no longer the rows shown
    assert panel.fulfill_shown_button.text() == "Fulfil 1 shown"
    panel.fulfill_shown_button.click()  # one reward shown now: one press acts
    assert service.queue.live_actions()[0].redemption_ids == ("r00003",)


def test_one_reward_bulk_acts_on_the_first_press(
    panel: QueuePanel, service: QueueService, qtbot
) -> None:
    service.queue.add_many(
        [redemption(n, reward_id="song" if n <= 4 else "hydrate") for n in range(1, 13)]
    )
    settle(panel, qtbot)
    panel.set_reward_filter("song")
    assert panel.fulfill_shown_button.text() == "Fulfil 4 shown"
    panel.fulfill_shown_button.click()
    assert sorted(pending(service)) == ["r00001", "r00002", "r00003", "r00004"]


@pytest.mark.parametrize("theme", [ThemeChoice.LIGHT, ThemeChoice.DARK])
def test_bulk_buttons_paint_in_the_themes_danger_colour(
    qapp, panel: QueuePanel, service: QueueService, qtbot, theme: ThemeChoice
) -> None:
    apply_theme(qapp, theme)
    try:
        service.queue.add_many([redemption(n) for n in range(1, 4)])
        settle(panel, qtbot)
        qapp.processEvents()
        for button in (panel.fulfill_shown_button, panel.refund_shown_button):
            assert button.isEnabled()
            image = button.grab().toImage()
            # A pixel inside the rounded button, left of its text.
            color = QColor(image.pixel(6, image.height() // 2))
            assert color.name() == DANGER_COLORS[theme].lower()
        # The row buttons keep the ordinary look.
        image = panel.fulfill_button.grab().toImage()
        assert QColor(image.pixel(6, image.height() // 2)).name() != DANGER_COLORS[theme].lower()
    finally:
        qapp.setStyleSheet("")


# ---------------------------------------------------------------- item 2: what is shown


def test_bulk_acts_on_the_search_results_only(
    panel: QueuePanel, service: QueueService, qtbot
) -> None:
    service.queue.add_many(
        [
            redemption(n, reward_id="song", user_input="lofi" if n % 5 == 0 else "rock")
            for n in range(1, 55)
        ]
    )
    settle(panel, qtbot)
    panel.set_reward_filter("song")
    assert panel.fulfill_shown_button.text() == "Fulfil 54 shown"
    panel.search.setText("lofi")
    assert panel.proxy.rowCount() == 10
    assert panel.fulfill_shown_button.text() == "Fulfil 10 shown"
    assert panel.refund_shown_button.text() == "Refund 10 shown"
    panel.fulfill_shown_button.click()
    [action] = service.queue.live_actions()
    assert len(action.redemption_ids) == 10
    assert all(int(i[1:]) % 5 == 0 for i in action.redemption_ids)
    # Pending rows are no longer waiting: the label counts what a press would act on.
    settle(panel, qtbot)
    assert panel.fulfill_shown_button.text() == "Fulfil 0 shown"
    assert not panel.fulfill_shown_button.isEnabled()


def test_bulk_with_the_reward_filter_leaves_other_rewards(
    panel: QueuePanel, service: QueueService, qtbot
) -> None:
    service.queue.add_many(
        [redemption(n, reward_id="song" if n % 3 else "hydrate") for n in range(1, 13)]
    )
    settle(panel, qtbot)
    panel.set_reward_filter("hydrate")
    panel.refund_shown_button.click()
    [action] = service.queue.live_actions()
    assert set(action.reward_ids) == {"hydrate"}
    assert len(action.redemption_ids) == 4


# ---------------------------------------------------------------- item 3: keyboard flow


def test_first_down_selects_the_oldest_row(panel: QueuePanel, service: QueueService, qtbot) -> None:
    service.queue.add_many([redemption(n) for n in range(1, 6)])
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert panel.selected_ids() == ["r00001"]
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert panel.selected_ids() == ["r00002"]


def test_f_f_f_fulfils_three_rows_in_order(panel: QueuePanel, service: QueueService, qtbot) -> None:
    service.queue.add_many([redemption(n) for n in range(1, 6)])
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    for _ in range(3):
        qtbot.keyClick(panel.table, Qt.Key.Key_F)
    actions = service.queue.live_actions()
    assert [a.redemption_ids for a in actions] == [("r00001",), ("r00002",), ("r00003",)]
    assert panel.selected_ids() == ["r00004"]
    # R continues the same way, and the selection follows the table's focus.
    qtbot.keyClick(panel.table, Qt.Key.Key_R)
    assert service.queue.live_actions()[-1].kind.name == "REFUND"
    assert panel.selected_ids() == ["r00005"]


def test_after_an_action_the_next_waiting_row_below_then_above_is_selected(
    panel: QueuePanel, service: QueueService, qtbot
) -> None:
    service.queue.add_many([redemption(n) for n in range(1, 6)])
    panel.select_rows(3, 4)  # the two newest
    panel.fulfill_selected()
    # Nothing waits below them: the oldest waiting row above is next.
    assert panel.selected_ids() == ["r00001"]
    panel.select_rows(0, 2)
    panel.refund_selected()
    # Nothing waits at all: no selection, and F says so instead of acting.
    assert panel.selected_ids() == []
    panel.fulfill_selected()
    assert panel.status_label.text().startswith("Nothing to fulfil")


def test_button_press_also_moves_to_the_next_row(
    panel: QueuePanel, service: QueueService, qtbot
) -> None:
    service.queue.add_many([redemption(n) for n in range(1, 4)])
    panel.select_rows(0, 0)
    panel.fulfill_button.click()
    assert panel.selected_ids() == ["r00002"]
    assert panel.fulfill_button.isEnabled()
