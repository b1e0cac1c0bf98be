"""The ledger history: per-viewer search, reward filter, CSV export without blocking."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtWidgets import QFileDialog

from companion.services.queue_ledger import LedgerEntry, LedgerKind, MemoryLedger
from companion.ui.history_view import CSV_HEADER, HistoryView

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def entry(n: int, kind: LedgerKind, login: str, reward: str, text: str | None = None):
    return LedgerEntry(
        at=T0 + timedelta(seconds=n),
        kind=kind,
        redemption_id=f"red{n}",
        reward_id=reward,
        reward_title={"hyd": "Hydrate", "song": "Song request"}[reward],
        user_login=login,
        user_name=login.capitalize(),
        user_input=text,
        detail=None,
    )


@pytest.fixture
async def ledger() -> MemoryLedger:
    store = MemoryLedger()
    await store.append(
        [
            entry(1, LedgerKind.SEEN, "ana_plays", "hyd"),
            entry(2, LedgerKind.SEEN, "bytebard", "song", "Sandstorm, Darude"),
            entry(3, LedgerKind.FULFILLED, "ana_plays", "hyd"),
            entry(4, LedgerKind.REFUNDED, "bytebard", "song", "Sandstorm, Darude"),
        ]
    )
    return store


@pytest.fixture
def view(ledger: MemoryLedger, qtbot, qloop) -> HistoryView:
    widget = HistoryView(ledger)
    qtbot.addWidget(widget)
    return widget


def search(view: HistoryView, qtbot) -> int:
    with qtbot.waitSignal(view.searched, timeout=2000) as blocker:
        view.search()
    return int(blocker.args[0])


def test_empty_history_says_so(qtbot, qloop) -> None:
    view = HistoryView(MemoryLedger())
    qtbot.addWidget(view)
    assert search(view, qtbot) == 0
    assert "Nothing in the history yet" in view.empty_label.text()
    assert not view.export_button.isEnabled()


def test_newest_first_and_filters(view: HistoryView, qtbot) -> None:
    assert search(view, qtbot) == 4
    assert [e.redemption_id for e in view.model.entries] == ["red4", "red3", "red2", "red1"]
    assert view.model.index(0, 1).data() == "Refunded"
    # Reward ids seen in the history fill the filter.
    titles = [view.reward_combo.itemText(i) for i in range(view.reward_combo.count())]
    assert titles == ["All rewards", "Hydrate", "Song request"]
    view.viewer_edit.setText("ANA")
    with qtbot.waitSignal(view.searched, timeout=2000) as blocker:
        pass  # the debounce timer fires the search
    assert blocker.args == [2]
    assert {e.user_login for e in view.model.entries} == {"ana_plays"}
    view.viewer_edit.clear()
    with qtbot.waitSignal(view.searched, timeout=2000):
        view.reward_combo.setCurrentIndex(view.reward_combo.findData("song"))
    assert [e.redemption_id for e in view.model.entries] == ["red4", "red2"]
    view.viewer_edit.setText("nobody")
    with qtbot.waitSignal(view.searched, timeout=2000):
        pass
    assert "No entry matches" in view.empty_label.text()


def test_csv_export(view: HistoryView, qtbot, tmp_path) -> None:
    search(view, qtbot)
    view.path_edit.setText(str(tmp_path / "out"))
    assert view.export_button.isEnabled()
    with qtbot.waitSignal(view.exported) as blocker:
        view.export_button.click()
    written = tmp_path / "out.csv"
    assert blocker.args == [str(written)]
    with written.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_HEADER
    assert len(rows) == 5
    assert rows[1][1:8] == [
        "refunded",
        "song",
        "Song request",
        "bytebard",
        "Bytebard",
        "Sandstorm, Darude",
        "red4",
    ]
    assert view.status_label.text() == f"Exported 4 row(s) to {written}"


def test_export_to_a_bad_path_says_why(view: HistoryView, qtbot, tmp_path) -> None:
    search(view, qtbot)
    view.path_edit.setText(str(tmp_path / "missing" / "dir" / "x.csv"))
    assert view.export() is None
    assert view.status_label.text().startswith("Could not write")


def test_file_dialog_does_not_block(view: HistoryView, qtbot, tmp_path) -> None:
    view.browse()  # returns at once: the dialog is open()ed, not exec()ed
    dialog = view.dialog
    assert isinstance(dialog, QFileDialog)
    assert dialog.isVisible()
    assert dialog.acceptMode() is QFileDialog.AcceptMode.AcceptSave
    dialog.fileSelected.emit(str(tmp_path / "picked.csv"))
    assert view.path_edit.text() == str(tmp_path / "picked.csv")
    dialog.reject()
