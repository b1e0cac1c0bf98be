"""The main window shell under pytest-qt."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLabel, QTableView

from companion.ui.main_window import EmptyPanel, MainWindow, PanelPlaceholder, watch_first_rows
from companion.ui.theme import ThemeChoice, apply_theme


def make_window(qtbot) -> MainWindow:
    panels = [(name, EmptyPanel(name, f"{name} empty")) for name in ("A", "B", "C")]
    window = MainWindow(panels)
    qtbot.addWidget(window)
    return window


def test_first_paint_is_signalled_once(qtbot) -> None:
    window = make_window(qtbot)
    with qtbot.waitSignal(window.first_painted, timeout=3000):
        window.show()
    received: list[bool] = []
    window.first_painted.connect(lambda: received.append(True))
    window.update()
    qtbot.wait(50)
    assert received == []


def test_ctrl_number_switches_panels(qtbot) -> None:
    window = make_window(qtbot)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 2
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0


def test_close_reports_instead_of_closing(qtbot) -> None:
    window = make_window(qtbot)
    window.show()
    with qtbot.waitSignal(window.close_requested, timeout=1000):
        window.close()
    assert window.isVisible()


def test_notice_is_non_modal_and_times_out(qtbot) -> None:
    window = make_window(qtbot)
    window.show()
    window.show_notice("Twitch answered 503; retrying", timeout_ms=50)
    assert window.notice_bar.isVisible()
    assert window.notice_bar.label.text() == "Twitch answered 503; retrying"
    qtbot.waitUntil(lambda: not window.notice_bar.isVisible(), timeout=2000)


def test_status_bar_shows_state(qtbot) -> None:
    window = make_window(qtbot)
    window.set_account("Signed in as democaster")
    window.set_eventsub_state("live", "Live events: connected")
    window.set_ratelimit(799, 800)
    assert window.account_label.text() == "Signed in as democaster"
    assert window.eventsub_label.property("state") == "live"
    assert window.ratelimit_label.text() == "API budget 799/800"


def test_both_themes_load(qapp) -> None:
    for choice in (ThemeChoice.LIGHT, ThemeChoice.DARK):
        assert apply_theme(qapp, choice) is choice
        assert qapp.property("companionTheme") == choice.value
        assert "QTableView" in qapp.styleSheet()
    from PySide6.QtGui import QPalette

    assert qapp.palette().color(QPalette.ColorRole.Link).name() == "#bf94ff"
    qapp.setStyleSheet("")
    qapp.setPalette(QPalette())


def test_empty_panel_says_why(qtbot) -> None:
    panel = EmptyPanel("Rewards", "Not signed in")
    qtbot.addWidget(panel)
    labels = [label.text() for label in panel.findChildren(QLabel)]
    assert labels == ["Rewards", "Not signed in"]


def test_notice_with_action_runs_it_once_and_hides(qtbot) -> None:
    window = make_window(qtbot)
    window.show()
    ran: list[bool] = []
    window.show_notice("No keyring", timeout_ms=0, action=("Use memory", lambda: ran.append(True)))
    assert window.notice_bar.action_button.isVisible()
    assert window.notice_bar.action_button.text() == "Use memory"
    window.notice_bar.action_button.click()
    assert ran == [True]
    assert not window.notice_bar.isVisible()
    window.show_notice("plain")
    assert not window.notice_bar.action_button.isVisible()


def test_long_texts_never_change_the_window_size(qtbot) -> None:
    window = make_window(qtbot)
    window.resize(1100, 720)
    window.show()
    qtbot.waitExposed(window)
    before = window.size()
    raw = "could not connect: ClientConnectorError(ConnectionKey(host='127.0.0.1', port=9)) "
    long_error = ("Live events: " + raw * 30)[:2000]
    unbroken = "x" * 2000
    window.set_eventsub_state("down", long_error)
    window.set_account(unbroken)
    window.set_ratelimit(799, 800)
    window.show_notice(unbroken, timeout_ms=0)
    qtbot.wait(50)
    assert window.size() == before
    assert window.minimumSizeHint().width() < before.width()
    # The labels keep the whole text (and show it as a tooltip), but paint what fits.
    assert window.eventsub_label.text() == long_error
    assert window.eventsub_label.is_elided()
    assert window.eventsub_label.toolTip() == long_error.strip()
    assert window.eventsub_label.shown_text().endswith("…")
    assert window.account_label.is_elided()
    status = window.statusBar()
    assert status.geometry().right() <= window.width()
    # A long notice is cut to a few lines; its tooltip has all of it.
    notice = window.notice_bar.label
    assert len(notice.text()) <= 281 and notice.text().endswith("…")
    assert notice.toolTip() == unbroken
    assert notice.height() <= notice.maximumHeight()
    words = ("Twitch said something long " * 80)[:2000]
    window.show_notice(words, timeout_ms=0)
    qtbot.wait(50)
    assert window.size() == before
    assert notice.text().endswith("long…") or notice.text().endswith("…")
    # Short texts are shown whole, without a tooltip.
    window.set_eventsub_state("live", "Live events: connected")
    qtbot.wait(20)
    assert not window.eventsub_label.is_elided()
    assert window.eventsub_label.toolTip() == ""
    assert window.size() == before


def test_signed_out_bar_disables_twitch_panels_only(qtbot) -> None:
    window = make_window(qtbot)
    offline = window.tabs.widget(1)
    window.offline_panels.add(offline)
    window.set_ratelimit(700, 800)
    window.show()
    window.set_signed_out("Sam is signed out. Sign in to continue.")
    assert window.sign_in_bar.isVisibleTo(window)
    assert window.sign_in_bar.label.text() == "Sam is signed out. Sign in to continue."
    assert window.disabled_panels() == ["A", "C"]
    assert window.ratelimit_label.text() == ""
    with qtbot.waitSignal(window.sign_in_requested, timeout=1000):
        window.sign_in_bar.sign_in_button.click()
    window.set_signed_out(None)
    assert not window.sign_in_bar.isVisibleTo(window)
    assert window.disabled_panels() == []


def test_the_panels_replace_the_placeholders_in_place(qtbot) -> None:
    """The window first paints with placeholders; the panels go in without the open tab,
    a tab's title or whether it is shown changing, and without a tab change signal."""
    window = MainWindow([(name, PanelPlaceholder()) for name in ("A", "B", "C", "D")])
    qtbot.addWidget(window)
    window.tabs.setTabVisible(1, False)
    window.open_tab(["a", "b", "c", "d"], "c")
    assert window.tabs.currentIndex() == 2
    with qtbot.waitSignal(window.first_painted, timeout=3000):
        window.show()
    changes: list[int] = []
    window.tabs.currentChanged.connect(changes.append)
    panels = [EmptyPanel(name, f"{name} empty") for name in ("A", "B", "C", "D")]
    window.set_pages(panels)
    assert [window.tabs.widget(i) for i in range(4)] == panels
    assert [window.tabs.tabText(i) for i in range(4)] == ["A", "B", "C", "D"]
    assert [window.tabs.isTabVisible(i) for i in range(4)] == [True, False, True, True]
    assert window.tabs.currentIndex() == 2
    assert window.tabs.currentWidget() is panels[2]
    assert changes == []
    assert window.updatesEnabled()
    assert panels[2].isVisible()


def test_open_tab_falls_back_to_the_queue_when_the_last_tab_is_hidden(qtbot) -> None:
    window = MainWindow([(name, PanelPlaceholder()) for name in ("Rewards", "Queue", "Polls")])
    qtbot.addWidget(window)
    keys = ["rewards", "queue", "polls"]
    window.tabs.setTabVisible(2, False)
    window.open_tab(keys, "polls")
    assert window.tabs.currentIndex() == 1
    window.tabs.setCurrentIndex(0)
    window.open_tab(keys, "no-such-panel")
    assert window.tabs.currentIndex() == 1


def test_first_rows_are_logged_once_after_the_view_paints(qtbot, caplog) -> None:
    """The start-up benchmark's "first usable" moment: the first paint of the queue's view
    with rows in it, logged once (later rows log nothing)."""
    model = QStandardItemModel(0, 1)
    view = QTableView()
    view.setModel(model)
    qtbot.addWidget(view)
    view.show()
    caplog.set_level(logging.INFO, logger="companion.ui.main_window")
    watch_first_rows(model, view.viewport())
    qtbot.wait(50)
    assert [r.message for r in caplog.records if "queue first shows" in r.message] == []
    model.appendRow([QStandardItem("one")])
    model.appendRow([QStandardItem("two")])
    qtbot.waitUntil(
        lambda: any("queue first shows" in r.message for r in caplog.records), timeout=3000
    )
    model.appendRow([QStandardItem("three")])
    view.viewport().update()
    qtbot.wait(100)
    logged = [r.message for r in caplog.records if "queue first shows" in r.message]
    assert len(logged) == 1
    assert logged[0].startswith("queue first shows 2 waiting redemptions (")
