"""The prediction form at every limit, the models on documented payloads, and the
service's merge of partial EventSub payloads (no network: the service is not signed in)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from companion.core.templates import PredictionTemplate, TemplateStore
from companion.services.predictions_service import (
    PredictionsService,
    auto_cancel_at,
    create_blocked_reason,
    locks_at,
)
from companion.twitch import SimpleTokenHandler
from companion.twitch.http import HTTPHandler
from companion.twitch.limits import LIMITS
from companion.twitch.models.predictions import Prediction
from companion.twitch.models.users import PartialUser
from companion.ui.outcome_bars import PressAgain, format_span, key_for
from companion.ui.predictions_panel import PredictionsPanel, outcome_rows
from tests.helpers.reference import REFERENCE

if TYPE_CHECKING:
    from pathlib import Path

    from pytestqt.qtbot import QtBot

HTTP = HTTPHandler(SimpleTokenHandler("unused", "client"))


def _check(name: str, value: object) -> None:
    LIMITS[name].check(value)


def helix(name: str) -> Any:
    return json.loads((REFERENCE / "helix" / name).read_text(encoding="utf-8"))["data"][0]


def eventsub(name: str) -> Any:
    return json.loads((REFERENCE / "eventsub" / name).read_text(encoding="utf-8"))["event"]


def _active(service: PredictionsService) -> object:
    """The running one (a call, so mypy does not narrow it between steps)."""
    return service.active


@pytest.fixture
def panel(qtbot: QtBot) -> PredictionsPanel:
    widget = PredictionsPanel(PredictionsService())
    qtbot.addWidget(widget)
    widget.show()
    return widget


def fill(panel: PredictionsPanel, title: str, outcomes: list[str], window: str) -> None:
    # A fresh field shows its rule; typing then deleting turns an empty title into an error.
    assert not panel.form.fields["title"].error
    panel.form.title_edit.setText("draft")
    panel.form.title_edit.setText(title)
    panel.form.outcomes_edit.setPlainText("\n".join(outcomes))
    panel.form.window_edit.setText(window)


@pytest.mark.parametrize(
    ("title", "outcomes", "window", "broken"),
    [
        ("t" * 45, ["a", "b"], "30", None),
        (
            "t" * 46,
            ["a", "b"],
            "30",
            "The prediction title is 46 characters long; Twitch allows at most 45. Shorten it.",
        ),
        (
            "",
            ["a", "b"],
            "30",
            "The prediction title is empty; Twitch needs at least 1 character. Fill it in.",
        ),
        ("t", ["a"], "30", "Twitch needs at least 2 prediction outcomes; there is 1. Add more."),
        ("t", [str(n) for n in range(10)], "1800", None),
        (
            "t",
            [str(n) for n in range(11)],
            "1800",
            "Twitch allows at most 10 prediction outcomes; there are 11. Remove some.",
        ),
        ("t", ["a", "o" * 25], "30", None),
        (
            "t",
            ["a", "o" * 26],
            "30",
            "Outcome 2: The outcome title is 26 characters long; Twitch allows at most 25. "
            "Shorten it.",
        ),
        (
            "t",
            ["a", "b"],
            "29",
            "The prediction window is 29 seconds; Twitch needs at least 30 seconds. "
            "Choose a larger number.",
        ),
        (
            "t",
            ["a", "b"],
            "1801",
            "The prediction window is 1,801 seconds; Twitch allows at most 1,800 seconds. "
            "Choose a smaller number.",
        ),
        ("t", ["a", "b"], "1,800", None),
    ],
)
def test_form_limits_just_inside_and_outside(
    panel: PredictionsPanel, title: str, outcomes: list[str], window: str, broken: str | None
) -> None:
    fill(panel, title, outcomes, window)
    problems = {name: text for name, text in panel.form.problems().items() if text}
    assert panel.create_button.isEnabled() is (broken is None)
    if broken is None:
        assert problems == {}
        # Each field keeps explaining its rule while it is fine.
        assert panel.form.fields["window"].label.text().startswith("Seconds viewers can bet: 30")
    else:
        [message] = problems.values()
        assert message == broken  # a sentence: no limit key, no class name
        [field] = [f for f in panel.form.fields.values() if f.error]
        assert field.label.text() == message


def test_form_messages_in_words(panel: PredictionsPanel) -> None:
    fill(panel, "t" * 46, ["ok", "o" * 26], "abc")
    problems = panel.form.problems()
    assert problems["title"] == (
        "The prediction title is 46 characters long; Twitch allows at most 45. Shorten it."
    )
    assert problems["outcomes"] == (
        "Outcome 2: The outcome title is 26 characters long; Twitch allows at most 25. Shorten it."
    )
    assert problems["window"] == "Type the window in whole seconds."
    assert panel.form.title_count.text() == "46/45"
    assert "Keys:" in panel.keys_label.text() and "1-9" in panel.keys_label.text()


def test_bars_and_history_models_on_documented_payloads(
    panel: PredictionsPanel, qtmodeltester: Any
) -> None:
    resolved = Prediction(HTTP, helix("end_prediction.response.json"))
    panel.history_model.set_items([resolved])
    qtmodeltester.check(panel.history_model)
    assert panel.history_model.index(0, 1).data() == "Won: yes"
    assert panel.history_model.headerData(1, Qt.Orientation.Horizontal) == "Result"
    rows = outcome_rows(resolved)
    assert [(r.key, r.winner) for r in rows] == [("1", True), ("2", False)]
    panel.model.set_rows(rows)
    qtmodeltester.check(panel.model)
    assert panel.model.index(0).data() == "1  yes ✓: 0 pts · 0 viewers (0%)"
    assert [key_for(n) for n in (0, 8, 9, 10)] == ["1", "9", "0", ""]


def test_auto_cancel_counts_from_the_earlier_of_lock_and_window() -> None:
    resolved = Prediction(HTTP, helix("end_prediction.response.json"))
    window_end = locks_at(resolved)
    assert window_end == resolved.created_at + timedelta(seconds=120)
    assert resolved.locked_at is not None and resolved.locked_at < window_end
    assert auto_cancel_at(resolved) == resolved.locked_at + timedelta(hours=24)
    assert format_span(timedelta(hours=1, minutes=5, seconds=9)) == "1:05:09"
    assert format_span(timedelta(seconds=-3)) == "0:00"


def test_progress_payload_without_counts_keeps_what_was_known(panel: PredictionsPanel) -> None:
    service = panel.service
    # Signed in as the example's broadcaster without a request (no network in this test).
    service.broadcaster = PartialUser(HTTP, "1337", login="cool_user")
    begin = Prediction.from_eventsub(HTTP, eventsub("channel.prediction.progress.payload.json"))
    for outcome in begin.outcomes:
        outcome.users, outcome.channel_points = 4, 900
    service.on_prediction_event("begin", begin)
    progress = Prediction.from_eventsub(
        HTTP, eventsub("channel.prediction.progress.payload.twitch_api_corrected.json")
    )
    assert progress.outcomes[1].users is None
    service.on_prediction_event("progress", progress)
    assert [row.value for row in panel.model.rows()] == [15000, 900]
    assert panel.model.row(1).numbers == "900 pts · 4 viewers"
    assert panel.model.row(0).detail == "Top: Cool_User 500, Coolest_User 200"
    assert "One prediction at a time" in (create_blocked_reason(service.active) or "")
    # Another channel's event is ignored.
    other = Prediction.from_eventsub(HTTP, eventsub("channel.prediction.progress.payload.json"))
    other.broadcaster = PartialUser(HTTP, "999")
    other.title = "Not ours"
    service.on_prediction_event("progress", other)
    assert panel.active_title.text() == progress.title


def test_press_again_forgets_after_its_timeout(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    ran: list[str] = []
    confirm = PressAgain(label, timeout_ms=30)
    assert confirm.press("c", "Press C again", lambda: ran.append("c")) is False
    assert label.text() == "Press C again" and not label.isHidden()
    qtbot.waitUntil(lambda: confirm.pending is None, timeout=2000)
    assert label.isHidden()
    assert confirm.press("c", "Press C again", lambda: ran.append("c")) is False
    assert confirm.press("c", "Press C again", lambda: ran.append("c")) is True
    assert ran == ["c"] and confirm.pending is None


def test_templates_of_the_current_game_come_first(qtbot: QtBot, tmp_path: Path) -> None:
    store = TemplateStore(tmp_path, _check)
    for name in ("Hades: escape", "Elden Ring: boss", "Elden Ring: deaths"):
        store.save_prediction(PredictionTemplate(name, "Q?", ("a", "b"), 60))
    panel = PredictionsPanel(PredictionsService(), store)
    qtbot.addWidget(panel)
    bar = panel.template_bar
    assert bar.combo.currentText() == "Hades: escape"
    panel.set_game("elden ring")
    names = [bar.combo.itemText(i) for i in range(bar.combo.count())]
    assert names == ["Elden Ring: boss", "Elden Ring: deaths", "Hades: escape"]
    assert bar.combo.currentText() == "Elden Ring: boss"
    assert bar.name_edit.placeholderText() == "Template name, e.g. “elden ring: boss”"
    panel.set_game(None)
    assert bar.name_edit.placeholderText() == "Template name, e.g. “Elden Ring: boss”"


def test_a_stale_read_does_not_bring_an_ended_prediction_back(panel: PredictionsPanel) -> None:
    service = panel.service
    service.broadcaster = PartialUser(HTTP, "141981764", login="twitchdev")
    resolved = Prediction(HTTP, helix("end_prediction.response.json"))
    stale = Prediction(HTTP, helix("end_prediction.response.json"))
    stale.status, stale.winning_outcome_id = "LOCKED", None
    service.on_prediction_event("lock", stale)
    assert service.active is not None
    service.on_prediction_event("end", resolved)
    # A Get Predictions sent before the end, answered after it.
    service.apply_read([stale])
    assert _active(service) is None
    assert [(p.id, p.status) for p in service.history] == [(resolved.id, "RESOLVED")]
    assert panel.history_model.index(0, 1).data() == "Won: yes"
