"""The pinned queue window: on top, in sync with the main panel, remembers its place."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWidget

from companion.core.queue_events import RowState
from companion.services.queue_service import QueueService
from companion.ui.pinned_window import PinnedQueueWindow, install_toggle_shortcut
from companion.ui.queue_model import QueueTableModel
from companion.ui.queue_panel import QueuePanel
from companion.ui.settings import AppSettings
from tests.helpers.core_fakes import redemption
from tests.helpers.fake_clock import FakeScheduler


@pytest.fixture
def settings(tmp_path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def service(qapp) -> QueueService:
    return QueueService(None, None, undo_seconds=5, scheduler=FakeScheduler())


@pytest.fixture
def model(service: QueueService) -> QueueTableModel:
    return QueueTableModel(service.queue)


def activate(widget: QWidget, qtbot) -> None:
    """Show and activate a window (shortcuts only fire in the active window)."""
    widget.show()
    qtbot.waitExposed(widget)
    handle = widget.windowHandle()
    assert handle is not None
    handle.requestActivate()
    qtbot.waitUntil(widget.isActiveWindow, timeout=2000)


def make_pinned(service, model, settings, qtbot, **kw) -> PinnedQueueWindow:
    window = PinnedQueueWindow(service, model, settings, **kw)
    qtbot.addWidget(window)
    return window


def test_stays_on_top(service, model, settings, qtbot) -> None:
    window = make_pinned(service, model, settings, qtbot)
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert window.isWindow()
    frameless = make_pinned(service, model, settings, qtbot, frameless=True)
    assert frameless.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert frameless.windowFlags() & Qt.WindowType.WindowStaysOnTopHint


def test_in_sync_with_the_main_panel(service, model, settings, qtbot) -> None:
    panel = QueuePanel(service, model)
    qtbot.addWidget(panel)
    window = make_pinned(service, model, settings, qtbot)
    assert window.view.proxy is not panel.proxy
    assert window.view.proxy.sourceModel() is panel.proxy.sourceModel()
    service.queue.add_many([redemption(n) for n in range(1, 6)])
    assert window.view.proxy.rowCount() == panel.proxy.rowCount() == 5
    # An action from the pinned window shows on the main panel's rows at once.
    window.view.select_rows(0, 2)
    window.view.fulfill_selected()
    pending = [panel.proxy.index(r, 4).data() for r in range(5)]
    assert pending.count("Pending (Ctrl+Z undoes)") == 3
    panel.undo()
    assert {row.state for row in service.queue.rows()} == {RowState.WAITING}
    # Filters are per view.
    window.view.search.setText("viewer1")
    assert window.view.proxy.rowCount() == 1
    assert panel.proxy.rowCount() == 5
    service.queue.mark_external("r00001", "FULFILLED")
    assert window.view.proxy.rowCount() == 0
    assert panel.proxy.rowCount() == 4


def test_keyboard_in_the_pinned_window(service, model, settings, qtbot) -> None:
    window = make_pinned(service, model, settings, qtbot)
    activate(window, qtbot)
    service.queue.add_many([redemption(n) for n in range(1, 4)])
    window.view.table.setFocus()
    qtbot.keyClick(window.view.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.view.table, Qt.Key.Key_R)
    [action] = service.queue.live_actions()
    assert action.kind.name == "REFUND" and len(action.redemption_ids) == 3
    assert "Ctrl+Z" in window.view.hint_label.text()


def test_remembers_geometry_and_opacity(service, model, settings, qtbot) -> None:
    window = make_pinned(service, model, settings, qtbot)
    window.show()
    qtbot.waitExposed(window)
    window.resize(400, 300)
    window.move(120, 80)
    window.opacity_slider.setValue(70)
    assert window.opacity == pytest.approx(0.7)
    window.close()  # closing only hides, and saves
    assert not window.isVisible()
    again = make_pinned(service, model, settings, qtbot)
    assert again.size().width() == 400 and again.size().height() == 300
    assert again.opacity_slider.value() == 70
    assert settings.window_opacity("pinned") == pytest.approx(0.7)


def test_ctrl_p_toggles(service, model, settings, qtbot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    window = make_pinned(service, model, settings, qtbot)
    install_toggle_shortcut(host, window)
    activate(host, qtbot)
    toggles: list[bool] = []
    window.visibility_changed.connect(toggles.append)
    qtbot.keyClick(host, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert window.isVisible()
    window.toggle()
    assert not window.isVisible()
    assert toggles == [True, False]


def test_panel_button_and_ctrl_p_through_attach(service, model, settings, qtbot) -> None:
    from companion.ui.pinned_window import attach_pinned

    panel = QueuePanel(service, model)
    qtbot.addWidget(panel)
    window = make_pinned(service, model, settings, qtbot)
    attach_pinned(panel, panel, window)
    panel.pin_button.click()
    assert window.isVisible()
    panel.pin_button.click()
    assert not window.isVisible()
    activate(panel, qtbot)
    qtbot.keyClick(panel.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert window.isVisible()


def test_a_move_is_saved_without_closing(service, model, settings, qtbot) -> None:
    window = make_pinned(service, model, settings, qtbot)
    window.show()
    qtbot.waitExposed(window)
    window.resize(333, 244)
    qtbot.waitUntil(lambda: settings.window_geometry("pinned") is not None, timeout=2000)
    again = make_pinned(service, model, settings, qtbot)
    assert (again.width(), again.height()) == (333, 244)


def test_signed_out_disables_the_keys_and_says_why(service, model, settings, qtbot) -> None:
    window = make_pinned(service, model, settings, qtbot)
    activate(window, qtbot)
    service.queue.add_many([redemption(n) for n in range(1, 4)])
    window.view.select_rows(0, 0)
    window.view.table.setFocus()  # where F and R act
    status = "Not signed in: DemoCaster's sign-in expired"
    reason = "Twitch no longer accepts DemoCaster's sign-in. Sign in again to continue."
    window.set_signed_out(status, reason)
    assert window.signed_out_bar.isVisibleTo(window)
    assert window.signed_out_label.text() == status
    assert window.signed_out_bar.toolTip() == reason
    assert window.view.toolTip() == reason
    assert not window.view.isEnabled()
    assert not window.view.fulfill_button.isEnabled()
    # F and R in the pinned window do nothing while signed out.
    for widget in (window.view.table, window):
        qtbot.keyClick(widget, Qt.Key.Key_F)
        qtbot.keyClick(widget, Qt.Key.Key_R)
    assert service.queue.live_actions() == []
    assert {row.state for row in service.queue.rows()} == {RowState.WAITING}
    requests: list[bool] = []
    window.sign_in_requested.connect(lambda: requests.append(True))
    window.sign_in_button.click()
    assert requests == [True]

    # Signed in again: the line goes, the keys act.
    window.set_signed_out(None)
    assert not window.signed_out_bar.isVisibleTo(window)
    assert window.signed_out_bar.toolTip() == ""
    assert window.view.toolTip() == ""
    assert window.view.isEnabled()
    window.view.select_rows(0, 0)
    window.view.table.setFocus()
    qtbot.keyClick(window.view.table, Qt.Key.Key_F)
    [action] = service.queue.live_actions()
    assert action.kind.name == "FULFILL" and len(action.redemption_ids) == 1
