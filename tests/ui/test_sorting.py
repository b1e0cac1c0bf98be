"""Clicking a column header sorts the queue, history and rewards tables (issue 16, item 6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from companion.core.ledger import Ledger
from companion.services.queue_service import QueueService
from companion.services.rewards_service import RewardsService
from companion.twitch.models.channel_points import CustomReward
from companion.twitch.models.users import PartialUser
from companion.ui.history_view import HistoryView
from companion.ui.queue_model import Column, QueueTableModel
from companion.ui.queue_panel import QueuePanel
from companion.ui.rewards_model import RewardColumn
from companion.ui.rewards_panel import RewardsPanel
from tests.helpers.core_fakes import BASE_TIME, redemption
from tests.helpers.fake_clock import FakeScheduler
from tests.helpers.queue_sim import reward_payload

if TYPE_CHECKING:
    from collections.abc import Iterator

    from PySide6.QtWidgets import QTableView

VIEWERS = ["delta", "Alpha", "charlie", "bravo", "echo"]
REWARDS = ["Song", "hydrate", "Zen", "Art", "hydrate"]


def click_header(table: QTableView, column: int) -> None:
    header = table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    QTest.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
    )


def column_texts(table: QTableView, column: int) -> list[str]:
    model = table.model()
    return [str(model.index(row, column).data()) for row in range(model.rowCount())]


# ---------------------------------------------------------------- queue


@pytest.fixture
def queue_panel(qtbot, qapp) -> QueuePanel:
    service = QueueService(None, None, undo_seconds=5, scheduler=FakeScheduler())
    records = [
        replace(
            redemption(n + 1, reward_id=REWARDS[n].lower(), user_login=VIEWERS[n].lower()),
            user_name=VIEWERS[n],
            reward_title=REWARDS[n],
        )
        for n in range(5)
    ]
    service.queue.add_many(records)
    model = QueueTableModel(service.queue, now=lambda: BASE_TIME + timedelta(minutes=1))
    panel = QueuePanel(service, model)
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_queue_sorts_by_viewer_reward_and_age(queue_panel: QueuePanel, qtbot) -> None:
    table = queue_panel.table
    # Unsorted at first: oldest first, as the queue is.
    assert column_texts(table, Column.VIEWER) == VIEWERS
    click_header(table, Column.VIEWER)
    assert column_texts(table, Column.VIEWER) == ["Alpha", "bravo", "charlie", "delta", "echo"]
    click_header(table, Column.VIEWER)
    assert column_texts(table, Column.VIEWER) == ["echo", "delta", "charlie", "bravo", "Alpha"]
    click_header(table, Column.REWARD)
    # Ties keep the queue's order (oldest first): the two hydrates are rows 2 and 5.
    assert column_texts(table, Column.REWARD) == ["Art", "hydrate", "hydrate", "Song", "Zen"]
    assert queue_panel.proxy.redemption_ids([1, 2]) == ["r00002", "r00005"]
    click_header(table, Column.AGE)  # first click: the oldest on top
    assert column_texts(table, Column.AGE) == ["59s", "58s", "57s", "56s", "55s"]
    click_header(table, Column.AGE)
    assert column_texts(table, Column.AGE) == ["55s", "56s", "57s", "58s", "59s"]
    # Keys follow the view's order: F on the top row, then the next row down is selected.
    queue_panel.select_rows(0, 0)
    queue_panel.fulfill_selected()
    assert queue_panel.service.queue.live_actions()[0].redemption_ids == ("r00005",)
    assert queue_panel.selected_ids() == ["r00004"]


def test_a_sorted_queue_places_new_rows_by_the_sort(queue_panel: QueuePanel) -> None:
    click_header(queue_panel.table, Column.VIEWER)
    new = replace(redemption(9, reward_id="art", user_login="cat"), user_name="Cat")
    queue_panel.service.queue.add(new)
    assert column_texts(queue_panel.table, Column.VIEWER) == [
        "Alpha",
        "bravo",
        "Cat",
        "charlie",
        "delta",
        "echo",
    ]


# ---------------------------------------------------------------- history


@pytest.fixture
def ledger(tmp_path) -> Iterator[Ledger]:
    store = Ledger(tmp_path / "ledger.sqlite3", wall_clock=lambda: BASE_TIME + timedelta(hours=1))
    store.record_redemptions(
        [
            replace(
                redemption(n + 1, reward_id=REWARDS[n].lower(), user_login=VIEWERS[n].lower()),
                user_name=VIEWERS[n],
                reward_title=REWARDS[n],
            )
            for n in range(5)
        ]
    )
    yield store
    store.close()


def test_history_sorts_by_redeemed_reward_and_viewer(ledger: Ledger, qtbot, qloop) -> None:
    view = HistoryView(ledger)
    qtbot.addWidget(view)
    view.resize(1000, 400)
    with qtbot.waitSignal(view.searched, timeout=2000):
        view.show()
    table = view.table
    assert column_texts(table, 2) == VIEWERS[::-1]  # newest first, as the ledger reads
    click_header(table, 2)
    assert column_texts(table, 2) == ["Alpha", "bravo", "charlie", "delta", "echo"]
    click_header(table, 1)
    assert column_texts(table, 1) == ["Art", "hydrate", "hydrate", "Song", "Zen"]
    click_header(table, 0)  # the first click on "Redeemed": newest first again
    assert column_texts(table, 2) == VIEWERS[::-1]
    click_header(table, 0)
    assert column_texts(table, 2) == VIEWERS
    # A new search keeps the chosen order.
    with qtbot.waitSignal(view.searched, timeout=2000):
        view.search()
    assert column_texts(table, 2) == VIEWERS


# ---------------------------------------------------------------- rewards


def test_rewards_sort_by_title_and_cost(qtbot, qapp) -> None:
    service = RewardsService(PartialUser(None, "1"))  # type: ignore[arg-type]  # never sends
    for reward_id, title, cost in (("r1", "Song", 500), ("r2", "art", 50), ("r3", "Hydrate", 100)):
        reward = CustomReward(None, reward_payload(id=reward_id, title=title, cost=cost))  # type: ignore[arg-type]
        service.rewards[reward.id] = reward
        service.manageable.add(reward.id)
    panel = RewardsPanel(service)
    qtbot.addWidget(panel)
    service.rewards_loaded.emit()
    panel.resize(1200, 500)
    panel.show()
    qtbot.waitExposed(panel)
    table = panel.table
    click_header(table, RewardColumn.TITLE)
    assert column_texts(table, RewardColumn.TITLE) == ["art", "Hydrate", "Song"]
    click_header(table, RewardColumn.COST)
    assert column_texts(table, RewardColumn.COST) == ["50", "100", "500"]
    click_header(table, RewardColumn.COST)
    assert column_texts(table, RewardColumn.COST) == ["500", "100", "50"]
    # Selecting by id still finds the right row after sorting.
    panel.select_reward("r3")
    assert [r.id for r in panel.selected_rewards()] == ["r3"]
