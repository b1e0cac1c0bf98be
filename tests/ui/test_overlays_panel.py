"""The Overlays tab through the real stack (see tests/helpers/overlay_stack.py), driven by
keyboard: URLs and their options, the clipboard, the connected sources as a page comes
and goes, the port (taken, refused, changed), the alert rules and the test alert.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QSpinBox

from companion.core.overlay_rules import AlertRule
from companion.sim import DEMO_CLIENT_ID
from companion.ui.overlays_models import URL_ROLE, RewardAlertsModel
from companion.ui.overlays_panel import color_problem
from tests.helpers.overlay_stack import OverlayStack, free_port, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop


@pytest.fixture
async def stack(qapp) -> AsyncIterator[OverlayStack]:
    running = OverlayStack()
    try:
        await running.start()
        handle = running.window.windowHandle()
        assert handle is not None
        handle.requestActivate()
        await until(running.window.isActiveWindow)
        yield running
    finally:
        await running.stop()


def _ctrl(widget: object, key: Qt.Key) -> None:
    QTest.keyClick(widget, key, Qt.KeyboardModifier.ControlModifier)  # type: ignore[arg-type]


async def test_ctrl_8_opens_the_tab_with_every_page_and_its_url(
    stack: OverlayStack, qtmodeltester
) -> None:
    _ctrl(stack.window, Qt.Key.Key_8)
    assert stack.window.tabs.currentWidget() is stack.panel
    assert stack.window.tabs.tabText(stack.window.tabs.currentIndex()) == "Overlays"
    panel = stack.panel
    port = stack.service.port
    model = panel.pages_model
    qtmodeltester.check(model)
    rows = [(model.index(r).data(), model.index(r).data(URL_ROLE)) for r in range(model.rowCount())]
    assert rows == [
        ("Goals", f"http://127.0.0.1:{port}/overlay/goals"),
        ("Prediction", f"http://127.0.0.1:{port}/overlay/prediction"),
        ("Poll", f"http://127.0.0.1:{port}/overlay/poll"),
        ("Redemption alerts", f"http://127.0.0.1:{port}/overlay/alerts"),
        ("Queue ticker", f"http://127.0.0.1:{port}/overlay/queue"),
    ]
    assert panel.status_label.text() == (
        f"Overlay server running on http://127.0.0.1:{port}; browser sources can connect."
    )
    assert panel.status_label.property("state") == "live"
    # Signed out, the tab still works (its server needs no Twitch).
    stack.window.set_signed_out("Signed out.")
    assert panel.isEnabled()


async def test_options_rebuild_the_url_and_copy_puts_it_on_the_clipboard(
    stack: OverlayStack,
) -> None:
    _ctrl(stack.window, Qt.Key.Key_8)
    panel = stack.panel
    panel.select_page("goals")
    form = panel._forms["goals"]
    font = form.fields["font_size"]
    assert isinstance(font, QSpinBox)
    font.setValue(40)
    color = form.fields["color"]
    assert isinstance(color, QLineEdit)
    color.setText("#ff0000")
    goals = form.fields["goals"]
    assert isinstance(goals, QLineEdit)
    goals.setText("follower")
    port = stack.service.port
    expected = f"http://127.0.0.1:{port}/overlay/goals?" + urlencode(
        {"font_size": "40", "color": "#ff0000", "goals": "follower"}
    )
    assert panel.url_edit.text() == expected
    # A colour a page could not use is explained and leaves the URL as it was.
    color.setText("#ff00z")
    assert panel.problem_label.text() == (
        "Text colour: “#ff00z” is not a colour: use #rrggbb (or #rrggbbaa with transparency) "
        "or a colour name such as white."
    )
    assert panel.url_edit.text() == expected
    color.setText("#ff0000")
    assert panel.problem_label.isHidden()
    # Ctrl+C in the page list copies the selected page's URL.
    QGuiApplication.clipboard().clear()
    panel.pages_view.setFocus()
    await until(panel.pages_view.hasFocus)
    _ctrl(panel.pages_view, Qt.Key.Key_C)
    assert QGuiApplication.clipboard().text() == expected
    assert panel.feedback_label.text().startswith("Copied. In OBS: Sources → + → Browser")
    # The options are kept: the next start builds the same URL.
    assert stack.settings.overlay_page_options()["goals"] == {
        "color": "#ff0000",
        "font_size": "40",
        "goals": "follower",
    }
    # Another page keeps its own options (none here).
    panel.select_page("alerts")
    # A button's mnemonic clicks it after its press animation (Qt's animateClick).
    QTest.keyClick(panel, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    alerts_url = f"http://127.0.0.1:{port}/overlay/alerts"
    await until(lambda: QGuiApplication.clipboard().text() == alerts_url)


async def test_choose_fills_the_goals_and_rewards_lists(stack: OverlayStack) -> None:
    _ctrl(stack.window, Qt.Key.Key_8)
    panel = stack.panel
    port = stack.service.port
    [seeded] = stack.sim.state.get_goals(stack.broadcaster_id)
    goals_menu = panel._forms["goals"].choosers["goals"]
    goals_menu.aboutToShow.emit()
    [goal_action] = goals_menu.actions()
    assert goal_action.text() == "Road to 1,000 followers (follower)"
    assert not goal_action.isChecked()
    goal_action.trigger()
    panel.select_page("goals")
    assert panel.url_edit.text() == (
        f"http://127.0.0.1:{port}/overlay/goals?" + urlencode({"goals": seeded["id"]})
    )
    rewards_menu = panel._forms["alerts"].choosers["rewards"]
    rewards_menu.aboutToShow.emit()
    titles = [action.text() for action in rewards_menu.actions()]
    assert titles[:3] == ["Emote-only minute", "Highlight my message", "Hydrate!"]
    rewards_menu.actions()[2].trigger()  # Hydrate!
    rewards_menu.aboutToShow.emit()
    rewards_menu.actions()[6].trigger()  # Song request
    rewards_edit = panel._forms["alerts"].fields["rewards"]
    assert isinstance(rewards_edit, QLineEdit)
    assert rewards_edit.text() == "Hydrate!, Song request"
    rewards_menu.aboutToShow.emit()
    assert [a.isChecked() for a in rewards_menu.actions()].count(True) == 2
    rewards_menu.actions()[2].trigger()  # Hydrate! again: out of the list
    assert rewards_edit.text() == "Song request"
    panel.select_page("alerts")
    assert panel.url_edit.text() == (
        f"http://127.0.0.1:{port}/overlay/alerts?" + urlencode({"rewards": "Song request"})
    )


@pytest.mark.parametrize(
    ("text", "good"),
    [
        ("00ff00", True),
        ("#000000a0", True),
        ("#fff", True),
        ("White", True),
        ("#ff00z", False),
        ("notacolour", False),
        ("red;background:url(x)", False),
    ],
)
def test_the_colour_rule_is_the_pages_own(qapp, text: str, good: bool) -> None:
    assert (color_problem(text) is None) is good


async def test_connected_sources_follow_pages_that_come_and_go(
    stack: OverlayStack, qtmodeltester
) -> None:
    panel = stack.panel
    assert panel.sources_model.rowCount() == 0
    assert not panel.sources_empty.isHidden()
    page = await stack.open_page("alerts")
    await until(lambda: panel.sources_model.rowCount() == 1)
    qtmodeltester.check(panel.sources_model)
    local_port = page.ws.get_extra_info("sockname")[1]
    model = panel.sources_model
    assert model.index(0, 0).data() == "Redemption alerts"
    assert model.index(0, 2).data() == str(local_port)
    assert len(model.index(0, 1).data()) == len("12:34:56")
    assert panel.sources_empty.isHidden()
    queue = await stack.open_page("queue")
    await until(lambda: panel.sources_model.rowCount() == 2)
    assert model.index(1, 0).data() == "Queue ticker"
    await page.close()
    await until(lambda: panel.sources_model.rowCount() == 1)
    assert model.index(0, 0).data() == "Queue ticker"
    await queue.close()
    await until(lambda: panel.sources_model.rowCount() == 0)
    assert not panel.sources_empty.isHidden()


async def test_send_test_alert_reaches_the_connected_alerts_page(stack: OverlayStack) -> None:
    _ctrl(stack.window, Qt.Key.Key_8)
    panel = stack.panel
    # A button's mnemonic clicks it after its press animation (Qt's animateClick).
    QTest.keyClick(panel, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    await until(panel.feedback_label.text)
    assert panel.feedback_label.text() == (
        "Test alert sent, but no alerts page is connected: add the Redemption alerts URL to "
        "OBS first."
    )
    page = await stack.open_page("alerts")
    await until(lambda: panel.sources_model.rowCount() == 1)
    QTest.keyClick(panel, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    await until(lambda: panel.feedback_label.text().startswith("Test alert sent to"))
    assert panel.feedback_label.text() == "Test alert sent to 1 alerts source (5 s)."
    message = await page.next_where(lambda data: data["type"] == "alert")
    assert message["alert"]["test"] is True
    assert message["alert"]["reward_title"] == "Test alert"


async def test_a_bad_port_is_explained_and_a_good_one_moves_the_server(
    stack: OverlayStack,
) -> None:
    _ctrl(stack.window, Qt.Key.Key_8)
    panel = stack.panel
    before = stack.service.port
    QTest.keyClick(panel, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    await until(panel.port_edit.hasFocus)
    panel.port_edit.selectAll()
    QTest.keyClicks(panel.port_edit, "80")
    QTest.keyClick(panel.port_edit, Qt.Key.Key_Return)
    assert panel.problem_label.text() == (
        "The overlay port must be at least 1024 (lower ports are reserved for the system); "
        "80 is too low."
    )
    assert stack.service.port == before
    assert stack.settings.overlay_port == before
    assert stack.service.state == "running"
    fresh = free_port()
    panel.port_edit.selectAll()
    QTest.keyClicks(panel.port_edit, str(fresh))
    QTest.keyClick(panel.port_edit, Qt.Key.Key_Return)
    assert panel.problem_label.isHidden()
    await until(lambda: stack.service.state == "running" and stack.service.server.port == fresh)  # type: ignore[union-attr]
    assert panel.url_edit.text() == f"http://127.0.0.1:{fresh}/overlay/goals"
    assert panel.status_label.text() == (
        f"Overlay server running on http://127.0.0.1:{fresh}; browser sources can connect."
    )
    # Off and on again from the keyboard.
    QTest.keyClick(panel, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    await until(lambda: stack.service.state == "off")
    assert stack.settings.overlay_enabled is False
    assert panel.status_label.text() == (
        "Overlay server off: browser sources show nothing until you turn it on."
    )
    assert not panel.test_button.isEnabled()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        assert probe.connect_ex(("127.0.0.1", fresh)) != 0
    QTest.keyClick(panel, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    await until(lambda: stack.service.state == "running")


async def test_a_taken_port_shows_in_the_panel(qapp) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = int(squatter.getsockname()[1])
        stack = OverlayStack(port=taken)
        try:
            await stack.start(sign_in=False)
            panel = stack.panel
            assert panel.status_label.text() == (
                f"Overlay server off: port {taken} is taken by another program. Choose "
                "another port here, then paste the new URLs into OBS."
            )
            assert panel.status_label.property("state") == "down"
            assert panel.port_edit.text() == str(taken)
            assert not panel.test_button.isEnabled()
            # The notice bar is the app's: PanelSet.notify is the window's show_notice there.
            assert stack.notices[0].startswith(f"Port {taken} is already used by another")
        finally:
            await stack.stop()


async def test_alert_rules_by_keyboard(stack: OverlayStack, qtmodeltester) -> None:
    _ctrl(stack.window, Qt.Key.Key_8)
    panel = stack.panel
    model = panel.alerts_model
    qtmodeltester.check(model)
    titles = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert titles == [
        "Emote-only minute",
        "Highlight my message",
        "Hydrate!",
        "Pick the next game",
        "Posture check",
        "Shout-out",
        "Song request",
    ]
    row = titles.index("Hydrate!")
    hydrate = model.reward_id(row)
    assert model.index(row, RewardAlertsModel.ENABLED).data(Qt.ItemDataRole.CheckStateRole) == (
        Qt.CheckState.Checked
    )
    assert model.index(row, RewardAlertsModel.SECONDS).data() == "6 s"
    view = panel.alerts_view
    QTest.keyClick(panel, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    await until(view.hasFocus)
    view.setCurrentIndex(model.index(row, RewardAlertsModel.ENABLED))
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert stack.service.alert_rule(hydrate) == AlertRule(False, 6.0)
    assert stack.settings.alert_rule(hydrate) == AlertRule(False, 6.0)
    assert model.index(row, RewardAlertsModel.ENABLED).data() == "Off"
    # F2 edits the seconds; too long is refused with the limit, then a good value is kept.
    view.setCurrentIndex(model.index(row, RewardAlertsModel.SECONDS))
    for typed in ("90", "10"):
        QTest.keyClick(view, Qt.Key.Key_F2)
        editor = view.focusWidget()
        assert isinstance(editor, QLineEdit)
        editor.selectAll()
        QTest.keyClicks(editor, typed)
        # The view commits the editor's text once its Return has been handled.
        QTest.keyClick(editor, Qt.Key.Key_Return)
        if typed == "90":
            await until(panel.problem_label.text)
            assert panel.problem_label.text() == (
                "An alert may stay at most 60 s (alerts behind it wait); 90 s is too long."
            )
            assert stack.service.alert_rule(hydrate) == AlertRule(False, 6.0)
            await until(view.hasFocus)
    await until(lambda: stack.service.alert_rule(hydrate) == AlertRule(False, 10.0))
    assert stack.settings.alert_rule(hydrate) == AlertRule(False, 10.0)
    assert panel.problem_label.isHidden()
    assert model.index(row, RewardAlertsModel.SECONDS).data() == "10 s"
    # A reward created on Twitch appears (the rewards service's events move the model).
    stack.sim.state.create_reward(
        stack.broadcaster_id, DEMO_CLIENT_ID, {"title": "Aaa first", "cost": 10}
    )
    await until(lambda: model.index(0, 0).data() == "Aaa first")
    assert model.rowCount() == 8
    assert model.index(0, RewardAlertsModel.SECONDS).data() == "6 s"
