"""The predictions and polls tabs are one widget layer (issue 16, code item), as their
services are one RunningItemService: the same parts, the same keys, the same templates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from companion.app_panels import check_limit
from companion.core.templates import TemplateStore
from companion.services.polls_service import PollsService
from companion.services.predictions_service import PredictionsService
from companion.ui.polls_panel import PollsPanel
from companion.ui.predictions_panel import PredictionsPanel
from companion.ui.running_item_panel import RunningItemPanel
from tests.helpers.qt_windows import show_active

if TYPE_CHECKING:
    from pathlib import Path


def fill(panel: RunningItemPanel, title: str) -> None:
    """A valid form of either kind."""
    if isinstance(panel, PredictionsPanel):
        panel.form.fill(title, ["Yes", "No"], 120)
    else:
        assert isinstance(panel, PollsPanel)
        panel.form.fill(title, ["Yes", "No"], 60, None)


@pytest.fixture(params=["predictions", "polls"])
def panel(request, qtbot, tmp_path: Path) -> RunningItemPanel:
    store = TemplateStore(tmp_path, check_limit)
    widget: RunningItemPanel
    if request.param == "predictions":
        widget = PredictionsPanel(PredictionsService(), store)
    else:
        widget = PollsPanel(PollsService(), store)
    qtbot.addWidget(widget)
    widget.resize(1000, 640)
    show_active(widget, qtbot)
    return widget


def test_both_tabs_are_the_shared_layer() -> None:
    assert issubclass(PredictionsPanel, RunningItemPanel)
    assert issubclass(PollsPanel, RunningItemPanel)


def test_the_same_parts_and_empty_state(panel: RunningItemPanel) -> None:
    assert panel.empty_label.isVisible()
    for part in (panel.bars, panel.active_title, panel.totals_label, panel.confirm_label):
        assert not part.isVisible()
    assert panel.keys_label.text() == panel.KEYS
    assert panel.create_button.text() == panel.START_TEXT
    assert not panel.create_button.isEnabled()  # an empty form cannot start
    assert panel.template_bar.isVisible()
    panel.show_error("Twitch said no.")
    assert panel.error_label.isVisible()
    panel.show_error("")
    assert not panel.error_label.isVisible()


def test_the_same_keys(panel: RunningItemPanel, qtbot) -> None:
    qtbot.keyClick(panel, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is panel.form.title_edit
    # Esc on the bars forgets a half-done confirmation (the bars' own keys go through the
    # same filter; they show while something runs, see the predictions and polls tests).
    panel.confirm.press("x", "Press X again.", lambda: None)
    assert panel.confirm_label.isVisibleTo(panel)
    qtbot.keyClick(panel.bars, Qt.Key.Key_Escape)
    assert panel.confirm.pending is None
    assert not panel.confirm_label.isVisibleTo(panel)


def test_the_same_template_round_trip(panel: RunningItemPanel, qtbot) -> None:
    fill(panel, "Boss down this try?")
    assert panel.create_button.isEnabled()
    panel.template_bar.name_edit.setText("Elden Ring: boss")
    qtbot.keyClick(panel.form.title_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert panel.template_bar.message.text() == "Saved “Elden Ring: boss”."
    panel.form.title_edit.setText("something else")
    panel.apply_template("Elden Ring: boss")
    assert panel.form.title_edit.text() == "Boss down this try?"
    assert panel.template_bar.message.text() == "Applied “Elden Ring: boss”."
    panel.delete_template("Elden Ring: boss")
    assert panel.template_bar.message.text() == "Deleted “Elden Ring: boss”."
    panel.apply_template("Elden Ring: boss")
    assert panel.template_bar.message.text() == "No template named “Elden Ring: boss”."
