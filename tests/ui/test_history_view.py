"""The ledger history: per-viewer search, reward filter, CSV export without blocking."""

from __future__ import annotations

import csv
import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QFileDialog

from companion.core.ledger import CSV_COLUMNS, Ledger
from companion.ui.history_view import PAGE, HistoryView
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


@pytest.fixture
def big(tmp_path, qtbot, qloop) -> Iterator[tuple[HistoryView, Ledger]]:
    store = Ledger(tmp_path / "big.sqlite3", wall_clock=lambda: BASE_TIME + timedelta(days=1))
    logins = ("ana_plays", "bytebard", "cozy_carl", "zoë_ok", "100%_fan")
    store.write_redemptions_bulk(
        redemption(n, user_login=logins[n % 5], user_name=logins[n % 5].upper())
        for n in range(1, 1301)
    )
    widget = HistoryView(store)
    widget.resize(900, 500)
    qtbot.addWidget(widget)
    yield widget, store
    store.close()


def _like_scan(store: Ledger, needle: str) -> list[str]:
    """The ids a scan of every row finds, newest first (what the search must return)."""
    conn = sqlite3.connect(store.path)
    try:
        escaped = needle.casefold().replace("%", "\\%").replace("_", "\\_")
        rows = conn.execute(
            "SELECT redemption_id FROM redemptions WHERE viewer_key LIKE ? ESCAPE '\\'"
            " ORDER BY redeemed_at DESC, redemption_id DESC",
            (f"%{escaped}%",),
        ).fetchall()
    finally:
        conn.close()
    return [str(row[0]) for row in rows]


def test_the_viewer_search_goes_through_the_trigram_index(big, qtbot) -> None:
    view, store = big
    with qtbot.waitSignal(view.searched, timeout=5000) as blocker:
        view.viewer_edit.setText("ZOË_O")
    want = _like_scan(store, "zoë_o")
    assert blocker.args == [len(want)] == [260]
    assert [row.record.redemption_id for row in view.model.entries] == want
    plan = store.explain(view.query(), limit=PAGE)
    assert any("viewers_fts VIRTUAL TABLE" in line for line in plan), plan
    assert not any(line.startswith("SCAN redemptions") for line in plan), plan
    # LIKE's own wildcards are plain characters to the search.
    with qtbot.waitSignal(view.searched, timeout=5000) as blocker:
        view.viewer_edit.setText("0%_")
    assert blocker.args == [260]
    assert [row.record.redemption_id for row in view.model.entries] == _like_scan(store, "0%_")


def test_a_long_result_loads_a_page_at_a_time_as_it_scrolls(big, qtbot) -> None:
    view, store = big
    assert search(view, qtbot) == 1300
    assert len(view.model.entries) == PAGE
    assert view.status_label.text() == (
        f"1300 redemptions (the newest {PAGE} shown, more as you scroll; the export has them all)"
    )
    with qtbot.waitSignal(view.loaded, timeout=5000) as blocker:
        view.table.scrollToBottom()
    assert blocker.args == [2 * PAGE]
    # A row redeemed meanwhile shifts the pages by one: no row shows twice.
    store.write_redemptions_bulk([redemption(5000, user_login="late")])
    with qtbot.waitSignal(view.loaded, timeout=5000) as blocker:
        view.table.scrollToBottom()
    assert blocker.args == [1300]
    assert not view.model.canFetchMore(QModelIndex())
    ids = [row.record.redemption_id for row in view.model.entries]
    assert ids == [f"r{n:05d}" for n in range(1300, 0, -1)]
    assert view.status_label.text() == "1300 redemptions"
