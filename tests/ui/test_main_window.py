"""The main window shell under pytest-qt."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from companion.ui.main_window import EmptyPanel, MainWindow
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
