"""QueueTableModel and QueueFilterProxy: fine-grained updates, checked by qtmodeltester."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from companion.core.queue import RedemptionQueue
from companion.core.queue_events import RowState
from companion.ui.queue_model import (
    ID_ROLE,
    Column,
    QueueFilterProxy,
    QueueTableModel,
    format_age,
)
from tests.helpers.core_fakes import BASE_TIME, BROADCASTER_ID, RecordingSender, redemption
from tests.helpers.fake_clock import FakeScheduler


@pytest.fixture
def queue() -> RedemptionQueue:
    return RedemptionQueue(RecordingSender(), scheduler=FakeScheduler(), undo_window=5)


@pytest.fixture
def model(queue: RedemptionQueue, qapp) -> QueueTableModel:
    return QueueTableModel(queue, now=lambda: BASE_TIME + timedelta(seconds=125))


class Recorder:
    """Counts the model's structural signals."""

    def __init__(self, model: QueueTableModel) -> None:
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.changed: list[tuple[int, int]] = []
        self.resets = 0
        model.rowsInserted.connect(lambda _p, a, b: self.inserted.append((a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.removed.append((a, b)))
        model.dataChanged.connect(lambda a, b, _r=None: self.changed.append((a.row(), b.row())))
        model.modelReset.connect(self._reset)

    def _reset(self) -> None:
        self.resets += 1


def test_model_passes_qtmodeltester_through_every_kind_of_change(
    qtmodeltester, queue: RedemptionQueue, model: QueueTableModel
) -> None:
    qtmodeltester.check(model)
    queue.add_many([redemption(n, reward_id="a" if n % 2 else "b") for n in range(1, 21)])
    queue.add(redemption(0))  # older than all: inserted at the top
    queue.add(redemption(999, seconds=10.5))  # in the middle
    queue.fulfill(["r00003", "r00004", "r00005"])
    queue.mark_external("r00010", "FULFILLED")
    queue.reconcile(BROADCASTER_ID, ["a"], [redemption(n, reward_id="a") for n in (1, 3, 5)])
    queue.undo(queue.live_actions()[0].action_id)
    qtmodeltester.check(model)
    assert model.rowCount() == len(queue)


def test_events_map_to_row_signals_and_never_to_a_reset(
    queue: RedemptionQueue, model: QueueTableModel
) -> None:
    seen = Recorder(model)
    queue.add(redemption(5))
    queue.add(redemption(1))
    queue.add_many([redemption(n) for n in range(6, 106)])
    assert seen.inserted == [(0, 0), (0, 0), (2, 101)]
    queue.fulfill(["r00006", "r00007"])
    assert seen.changed == [(2, 3)]
    queue.mark_external("r00001", "CANCELED")
    assert seen.removed == [(0, 0)]
    assert seen.resets == 0
    assert model.rowCount() == 101


def test_display_roles(queue: RedemptionQueue, model: QueueTableModel) -> None:
    queue.add(redemption(5, user_name="AnaPlays", user_input="play the song"))
    assert model.data(model.index(0, Column.REWARD)) == "Title of reward-a"
    assert model.data(model.index(0, Column.VIEWER)) == "AnaPlays"
    assert model.data(model.index(0, Column.INPUT)) == "play the song"
    assert model.data(model.index(0, Column.AGE)) == "2m 00s"
    assert model.data(model.index(0, Column.STATUS)) == "Waiting"
    assert model.data(model.index(0, Column.REWARD), Qt.ItemDataRole.DecorationRole) == QColor(
        "#9147FF"
    )
    assert model.data(model.index(0, 0), ID_ROLE) == "r00005"
    queue.fulfill(["r00005"])
    assert model.data(model.index(0, Column.STATUS)) == "Pending (Ctrl+Z undoes)"
    assert model.headerData(Column.AGE, Qt.Orientation.Horizontal) == "Age"
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(QModelIndex()) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (60, "1m 00s"), (3599, "59m 59s"), (3600, "1h 00m"), (-4, "0s")],
)
def test_format_age(seconds: float, text: str) -> None:
    assert format_age(seconds) == text


def test_proxy_filters_by_reward_and_search(
    qtmodeltester, queue: RedemptionQueue, model: QueueTableModel
) -> None:
    proxy = QueueFilterProxy()
    proxy.setSourceModel(model)
    queue.add_many(
        [
            redemption(1, reward_id="a", user_login="ana_plays", user_name="AnaPlays"),
            redemption(2, reward_id="b", user_login="bytebard", user_input="Darude Sandstorm"),
            redemption(3, reward_id="a", user_login="cozy_carl", user_input="sandwich"),
        ]
    )
    qtmodeltester.check(proxy)
    proxy.set_reward_filter("a")
    assert proxy.redemption_ids(list(range(proxy.rowCount()))) == ["r00001", "r00003"]
    proxy.set_search("SAND")
    assert proxy.redemption_ids([0]) == ["r00003"]
    assert proxy.rowCount() == 1
    proxy.set_reward_filter(None)
    assert proxy.redemption_ids(list(range(proxy.rowCount()))) == ["r00002", "r00003"]
    proxy.set_search("anaplays")  # display name
    assert proxy.redemption_ids(list(range(proxy.rowCount()))) == ["r00001"]
    # A new matching row shows up in the filtered view at once.
    queue.add(redemption(4, user_login="anaplays2", user_name="AnaPlays2"))
    assert proxy.redemption_ids(list(range(proxy.rowCount()))) == ["r00001", "r00004"]
    qtmodeltester.check(proxy)


def test_row_state_role_follows_actions(queue: RedemptionQueue, model: QueueTableModel) -> None:
    queue.add(redemption(1))
    action = queue.refund(["r00001"])
    assert action is not None
    assert model.row_at(0).state is RowState.PENDING
    queue.undo(action.action_id)
    assert model.row_at(0).state is RowState.WAITING


def test_ten_thousand_rows_filter_quickly(queue: RedemptionQueue, model: QueueTableModel) -> None:
    import time

    proxy = QueueFilterProxy()
    proxy.setSourceModel(model)
    queue.add_many(
        [redemption(n, reward_id=f"r{n % 7}", user_login=f"v{n}") for n in range(10_000)]
    )
    assert proxy.rowCount() == 10_000
    started = time.perf_counter()
    proxy.set_search("v999")
    elapsed = time.perf_counter() - started
    assert proxy.rowCount() == 11  # v999, v9990..v9999
    assert elapsed < 0.5
