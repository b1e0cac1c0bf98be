"""The queue panel: filters with counts, keyboard-first actions, undo, empty states."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from companion.core.queue_events import RowState
from companion.services.queue_service import QueueService
from companion.ui.queue_model import QueueTableModel
from companion.ui.queue_panel import HINT_TEXT, QueuePanel
from tests.helpers.core_fakes import redemption
from tests.helpers.fake_clock import FakeScheduler


@pytest.fixture
def clock() -> FakeScheduler:
    return FakeScheduler()


@pytest.fixture
def service(clock: FakeScheduler, qapp) -> QueueService:
    # No broadcaster: nothing can be sent, and the fake clock keeps every window open.
    return QueueService(None, None, undo_seconds=5, scheduler=clock)


@pytest.fixture
def panel(service: QueueService, qtbot) -> QueuePanel:
    model = QueueTableModel(service.queue)
    widget = QueuePanel(service, model)
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    qtbot.waitExposed(widget)
    handle = widget.windowHandle()
    assert handle is not None
    handle.requestActivate()  # shortcuts fire only in the active window
    qtbot.waitUntil(widget.isActiveWindow, timeout=2000)
    return widget


def fill(service: QueueService) -> None:
    service.queue.add_many(
        [redemption(n, reward_id="hydrate" if n % 3 else "song") for n in range(1, 13)]
    )


def states(service: QueueService) -> dict[str, RowState]:
    return {row.redemption_id: row.state for row in service.queue.rows()}


def test_empty_state_and_hint(panel: QueuePanel) -> None:
    assert panel.stack.currentWidget() is panel.empty_label
    assert "Nothing waiting" in panel.empty_label.text()
    assert panel.hint_label.text() == HINT_TEXT
    for key in ("F fulfil", "R refund", "Ctrl+A", "Ctrl+Z"):
        assert key in panel.hint_label.text()
    assert not panel.fulfill_button.isEnabled()


def test_reward_filter_lists_counts_and_filters(
    panel: QueuePanel, service: QueueService, qtbot
) -> None:
    fill(service)
    qtbot.waitUntil(lambda: panel.reward_filter.count() == 3, timeout=2000)
    items = [panel.reward_filter.itemText(i) for i in range(panel.reward_filter.count())]
    assert items == ["All rewards (12)", "Title of hydrate (8)", "Title of song (4)"]
    panel.set_reward_filter("song")
    assert panel.proxy.rowCount() == 4
    assert panel.fulfill_shown_button.isEnabled()
    assert panel.fulfill_shown_button.text() == "Fulfil 4 shown"
    service.queue.mark_external("r00003", "FULFILLED")
    qtbot.waitUntil(lambda: panel.reward_filter.itemText(2) == "Title of song (3)", timeout=2000)
    assert panel.reward_filter.currentData() == "song"
    assert panel.proxy.rowCount() == 3


def test_keyboard_fulfil_refund_select_all_and_undo(
    panel: QueuePanel, service: QueueService, qtbot
) -> None:
    fill(service)
    panel.table.setFocus()
    panel.select_rows(0, 1)
    qtbot.keyClick(panel.table, Qt.Key.Key_F)
    assert [s for s in states(service).values()].count(RowState.PENDING) == 2
    assert panel.status_label.text() == "Fulfil 2 redemption(s) in 5 s. Ctrl+Z to undo."
    assert panel.undo_button.isEnabled()
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert set(states(service).values()) == {RowState.WAITING}
    qtbot.keyClick(panel.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(panel.selected_ids()) == 12
    qtbot.keyClick(panel.table, Qt.Key.Key_R)
    [action] = service.queue.live_actions()
    assert action.kind.name == "REFUND"
    assert len(action.redemption_ids) == 12


def test_typing_in_search_does_not_trigger_f_or_r(
    panel: QueuePanel, service: QueueService, qtbot
) -> None:
    fill(service)
    panel.select_rows(0, 0)
    panel.search.setFocus()
    qtbot.keyClicks(panel.search, "fr")
    assert panel.search.text() == "fr"
    assert service.queue.live_actions() == []
    assert "No waiting redemption matches" in panel.empty_label.text()


def test_search_matches_viewer_and_input(panel: QueuePanel, service: QueueService, qtbot) -> None:
    service.queue.add_many(
        [
            redemption(1, user_login="ana_plays", user_input="lofi beats"),
            redemption(2, user_login="bytebard", user_input="Sandstorm"),
        ]
    )
    qtbot.keyClick(panel.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.search.hasFocus()
    qtbot.keyClicks(panel.search, "sand")
    assert panel.proxy.redemption_ids([0]) == ["r00002"]
    assert panel.proxy.rowCount() == 1


def test_bulk_buttons_act_on_the_reward_shown_then_on_everything(
    panel: QueuePanel, service: QueueService
) -> None:
    fill(service)
    panel.refresh_reward_filter()
    panel.set_reward_filter("song")
    panel.fulfill_shown_button.click()
    pending = [r for r in service.queue.rows() if r.state is RowState.PENDING]
    assert {r.reward_id for r in pending} == {"song"} and len(pending) == 4
    panel.set_reward_filter(None)
    # Every row shown waits except song's pending ones: one reward, so one press acts.
    assert panel.refund_shown_button.text() == "Refund 8 shown"
    panel.refund_shown_button.click()
    refunds = [a for a in service.queue.live_actions() if a.kind.name == "REFUND"]
    assert len(refunds[0].redemption_ids) == 8  # every row still waiting


def test_failed_row_shows_the_reason(panel: QueuePanel, service: QueueService) -> None:
    from dataclasses import replace

    fill(service)
    # A failed action leaves the row waiting with its error (see test_queue_service for
    # the real 403); here the row state is set the way the core queue sets it.
    queue = service.queue
    row = queue.get("r00001")
    assert row is not None
    queue._set_rows({"r00001": replace(row, error="Twitch refused (403)")})
    index = panel.proxy.index(0, 4)
    assert panel.proxy.data(index) == "Failed: Twitch refused (403)"
    assert "still waiting" in panel.proxy.data(index, Qt.ItemDataRole.ToolTipRole)
