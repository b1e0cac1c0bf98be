"""The poll form at every limit, the models on documented payloads, and the service's
merge of EventSub payloads without vote counts (no network: the service is not signed in)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from PySide6.QtCore import Qt

from companion.services.polls_service import PollsService
from companion.twitch import SimpleTokenHandler
from companion.twitch.http import HTTPHandler
from companion.twitch.models.polls import Poll
from companion.twitch.models.users import PartialUser
from companion.ui.polls_panel import PollsPanel, choice_rows
from tests.helpers.reference import REFERENCE

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

HTTP = HTTPHandler(SimpleTokenHandler("unused", "client"))


def reference(kind: str, name: str) -> Any:
    data = json.loads((REFERENCE / kind / name).read_text(encoding="utf-8"))
    return data["data"][0] if kind == "helix" else data["event"]


def _active(service: PollsService) -> object:
    """The running one (a call, so mypy does not narrow it between steps)."""
    return service.active


@pytest.fixture
def panel(qtbot: QtBot) -> PollsPanel:
    widget = PollsPanel(PollsService())
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.mark.parametrize(
    ("title", "choices", "duration", "points", "broken"),
    [
        ("t" * 60, ["a", "b"], "15", None, None),
        (
            "t" * 61,
            ["a", "b"],
            "15",
            None,
            "The poll title is 61 characters long; Twitch allows at most 60. Shorten it.",
        ),
        (
            "   ",
            ["a", "b"],
            "15",
            None,
            "The poll title is empty; Twitch needs at least 1 character. Fill it in.",
        ),
        ("t", ["a"], "15", None, "Twitch needs at least 2 poll choices; there is 1. Add more."),
        ("t", list("abcde"), "1800", None, None),
        (
            "t",
            list("abcdef"),
            "1800",
            None,
            "Twitch allows at most 5 poll choices; there are 6. Remove some.",
        ),
        ("t", ["a", "c" * 25], "60", None, None),
        (
            "t",
            ["a", "c" * 26],
            "60",
            None,
            "Choice 2: The choice title is 26 characters long; Twitch allows at most 25. "
            "Shorten it.",
        ),
        (
            "t",
            ["a", "b"],
            "14",
            None,
            "The poll duration is 14 seconds; Twitch needs at least 15 seconds. "
            "Choose a larger number.",
        ),
        (
            "t",
            ["a", "b"],
            "1801",
            None,
            "The poll duration is 1,801 seconds; Twitch allows at most 1,800 seconds. "
            "Choose a smaller number.",
        ),
        ("t", ["a", "b"], "60", "1", None),
        ("t", ["a", "b"], "60", "1,000,000", None),
        (
            "t",
            ["a", "b"],
            "60",
            "0",
            "The channel points per vote is 0; Twitch needs at least 1. Choose a larger number.",
        ),
        (
            "t",
            ["a", "b"],
            "60",
            "1000001",
            "The channel points per vote is 1,000,001; Twitch allows at most 1,000,000. "
            "Choose a smaller number.",
        ),
    ],
)
def test_form_limits_just_inside_and_outside(
    panel: PollsPanel,
    title: str,
    choices: list[str],
    duration: str,
    points: str | None,
    broken: str | None,
) -> None:
    form = panel.form
    form.title_edit.setText(title)
    form.choices_edit.setPlainText("\n".join(choices))
    form.duration_edit.setText(duration)
    form.points_check.setChecked(points is not None)
    if points is not None:
        form.points_edit.setText(points)
    problems = {name: text for name, text in form.problems().items() if text}
    assert panel.create_button.isEnabled() is (broken is None)
    if broken is None:
        assert problems == {}
    else:
        [message] = problems.values()
        assert message == broken  # a sentence: no limit key, no class name
        [field] = [f for f in form.fields.values() if f.error]
        assert field.label.text() == message


def test_points_field_only_counts_when_on(panel: PollsPanel) -> None:
    form = panel.form
    form.fill("Q", ["a", "b"], 60, None)
    form.points_edit.setText("not a number")
    assert panel.create_button.isEnabled() and not form.points_edit.isEnabled()
    assert form.values() == ("Q", ["a", "b"], 60, None)
    form.points_check.setChecked(True)
    assert form.problems()["points"] == "Type the points per vote as a whole number."
    assert not panel.create_button.isEnabled()
    assert form.fields["points"].label.text() == "Type the points per vote as a whole number."
    form.points_check.setChecked(False)
    assert form.fields["points"].label.text().startswith("When on, viewers can buy extra votes")
    assert "E end" in panel.keys_label.text()


def test_models_on_documented_payloads(panel: PollsPanel, qtmodeltester: Any) -> None:
    ended = Poll(HTTP, reference("helix", "end_poll.response.json"))
    listed = Poll(HTTP, reference("helix", "get_polls.response.json"))
    panel.history_model.set_items([ended, listed])
    qtmodeltester.check(panel.history_model)
    assert panel.history_model.headerData(2, Qt.Orientation.Horizontal) == "Winner"
    assert panel.history_model.index(0, 1).data() == "Ended early (result shown)"
    panel.model.set_rows(choice_rows(listed))
    qtmodeltester.check(panel.model)
    assert panel.model.rowCount() == len(listed.choices)


def test_begin_payload_without_votes_keeps_counts(panel: PollsPanel) -> None:
    service = panel.service
    service.broadcaster = PartialUser(HTTP, "1337", login="cool_user")
    progress = Poll.from_eventsub(HTTP, reference("eventsub", "channel.poll.progress.payload.json"))
    service.on_poll_event("progress", progress)
    before = [row.value for row in panel.model.rows()]
    assert before == [c.votes or 0 for c in progress.choices]
    # A late begin (EventSub may deliver it after progress) has no counts: keep them.
    begin = Poll.from_eventsub(HTTP, reference("eventsub", "channel.poll.begin.payload.json"))
    assert all(choice.votes is None for choice in begin.choices)
    service.on_poll_event("begin", begin)
    assert [row.value for row in panel.model.rows()] == before
    assert panel.end_button.isEnabled()
    end = Poll.from_eventsub(HTTP, reference("eventsub", "channel.poll.end.payload.json"))
    service.on_poll_event("end", end)
    assert service.active is None and panel.empty_label.isVisibleTo(panel)
    assert [p.id for p in service.history] == [end.id]
    # A late progress for an ended poll does not bring it back.
    service.on_poll_event("progress", progress)
    assert service.active is None


def test_a_stale_read_does_not_bring_an_ended_poll_back(panel: PollsPanel) -> None:
    service = panel.service
    ended = Poll(HTTP, reference("helix", "end_poll.response.json"))
    service.broadcaster = PartialUser(HTTP, ended.broadcaster.id)
    stale = Poll(HTTP, reference("helix", "end_poll.response.json"))
    stale.status = "ACTIVE"
    service.on_poll_event("progress", stale)
    assert service.active is not None
    service.on_poll_event("end", ended)
    service.apply_read([stale])
    assert _active(service) is None
    assert [(p.id, p.status) for p in service.history] == [(ended.id, "TERMINATED")]
