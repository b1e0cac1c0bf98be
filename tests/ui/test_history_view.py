"""The ledger history: per-viewer search, reward filter, CSV export without blocking."""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from PySide6.QtWidgets import QFileDialog

from companion.core.ledger import CSV_COLUMNS, Ledger
from companion.ui.history_view import HistoryView
from tests.helpers.core_fakes import BASE_TIME, redemption

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def ledger(tmp_path) -> Iterator[Ledger]:
    store = Ledger(tmp_path / "ledger.sqlite3", wall_clock=lambda: BASE_TIME + timedelta(hours=1))
    store.record_redemptions(
        [
            redemption(1, reward_id="hyd", user_login="ana_plays", user_name="AnaPlays"),
            redemption(
                2,
                reward_id="song",
                user_login="bytebard",
                user_name="ByteBard",
                user_input="=Sandstorm, Darude",
            ),
            redemption(3, reward_id="hyd", user_login="ana_plays", user_name="AnaPlays"),
            redemption(4, reward_id="song", user_login="cozy_carl", user_name="cozy_carl"),
        ]
    )
    store.record_status([("r00001", "FULFILLED")], note="handled elsewhere")
    store.record_status([("r00002", "CANCELED")])
    yield store
    store.close()


@pytest.fixture
def view(ledger: Ledger, qtbot, qloop) -> HistoryView:
    widget = HistoryView(ledger)
    qtbot.addWidget(widget)
    return widget


def search(view: HistoryView, qtbot) -> int:
    with qtbot.waitSignal(view.searched, timeout=2000) as blocker:
        view.search()
    return int(blocker.args[0])


def test_empty_history_says_so(qtbot, qloop, tmp_path) -> None:
    store = Ledger(tmp_path / "empty.sqlite3")
    view = HistoryView(store)
    qtbot.addWidget(view)
    assert search(view, qtbot) == 0
    assert "Nothing in the history yet" in view.empty_label.text()
    assert not view.export_button.isEnabled()
    store.close()


def test_newest_first_and_filters(view: HistoryView, qtbot) -> None:
    assert search(view, qtbot) == 4
    ids = [row.record.redemption_id for row in view.model.entries]
    assert ids == ["r00004", "r00003", "r00002", "r00001"]
    assert [view.model.index(r, 4).data() for r in range(4)] == [
        "Waiting",
        "Waiting",
        "Refunded",
        "Fulfilled",
    ]
    assert view.model.index(3, 6).data() == "handled elsewhere"
    assert view.status_label.text() == "4 redemptions"
    # Rewards seen in the history fill the filter.
    titles = [view.reward_combo.itemText(i) for i in range(view.reward_combo.count())]
    assert titles == ["All rewards", "Title of hyd", "Title of song"]
    with qtbot.waitSignal(view.searched, timeout=2000) as blocker:
        view.viewer_edit.setText("ANAP")  # display name or login, any case; debounced
    assert blocker.args == [2]
    assert {row.record.user_login for row in view.model.entries} == {"ana_plays"}
    with qtbot.waitSignal(view.searched, timeout=2000):
        view.viewer_edit.clear()
    with qtbot.waitSignal(view.searched, timeout=2000):
        view.reward_combo.setCurrentIndex(view.reward_combo.findData("song"))
    assert [row.record.redemption_id for row in view.model.entries] == ["r00004", "r00002"]
    with qtbot.waitSignal(view.searched, timeout=2000):
        view.viewer_edit.setText("nobody")
    assert "No redemption matches" in view.empty_label.text()


def test_csv_export_of_the_current_search(view: HistoryView, qtbot, tmp_path) -> None:
    search(view, qtbot)
    with qtbot.waitSignal(view.searched, timeout=2000):
        view.reward_combo.setCurrentIndex(view.reward_combo.findData("song"))
    view.path_edit.setText(str(tmp_path / "out"))
    assert view.export_button.isEnabled()
    with qtbot.waitSignal(view.exported, timeout=2000) as blocker:
        view.export_button.click()
    written = tmp_path / "out.csv"
    assert blocker.args == [str(written)]
    with written.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(r["redemption_id"], r["status"]) for r in rows] == [
        ("r00002", "CANCELED"),
        ("r00004", "UNFULFILLED"),
    ]
    assert rows[0]["user_input"] == "'=Sandstorm, Darude"  # a viewer's text never runs
    assert view.status_label.text() == f"Exported 2 redemption(s) to {written}"


def test_export_to_a_bad_path_says_why(view: HistoryView, qtbot, tmp_path) -> None:
    search(view, qtbot)
    view.path_edit.setText(str(tmp_path / "missing" / "dir" / "x.csv"))
    view.export()
    qtbot.waitUntil(lambda: view.status_label.text().startswith("Could not write"), timeout=2000)


def test_file_dialog_does_not_block(view: HistoryView, tmp_path) -> None:
    view.browse()  # returns at once: the dialog is open()ed, not exec()ed
    dialog = view.dialog
    assert isinstance(dialog, QFileDialog)
    assert dialog.isVisible()
    assert dialog.acceptMode() is QFileDialog.AcceptMode.AcceptSave
    dialog.fileSelected.emit(str(tmp_path / "picked.csv"))
    assert view.path_edit.text() == str(tmp_path / "picked.csv")
    dialog.reject()


def test_reward_filter_follows_the_rewards_service(view: HistoryView) -> None:
    from companion.services.rewards_service import RewardsService
    from companion.twitch.models.channel_points import CustomReward
    from tests.helpers.queue_sim import reward_payload

    rewards = RewardsService(None)
    view.follow_rewards(rewards)
    reward = CustomReward(None, reward_payload(id="new1", title="Posture check"))  # type: ignore[arg-type]
    rewards.rewards[reward.id] = reward
    rewards.reward_changed.emit(reward)
    assert view.reward_combo.findData("new1") >= 0
    assert view.reward_combo.itemText(view.reward_combo.findData("new1")) == "Posture check"
