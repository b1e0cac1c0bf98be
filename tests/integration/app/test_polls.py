"""Polls against the real simulator: form, live bars, end (TERMINATED) and archive
(ARCHIVED) with confirmation, one-at-a-time, templates, history and resync."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from companion.core.templates import TemplateStore
from companion.services.polls_service import PollsService, ends_at
from companion.twitch.limits import LIMITS
from companion.ui.polls_panel import PollsPanel
from tests.integration.app.conftest import LiveChannel, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from pytestqt.qtbot import QtBot

    from companion.twitch.models.polls import Poll

pytestmark = pytest.mark.qt_loop


def _check(name: str, value: object) -> None:
    LIMITS[name].check(value)


def _pending(panel: PollsPanel) -> str | None:
    """The armed confirmation (a call, so mypy does not narrow it between key presses)."""
    return panel.confirm.pending


class Setup:
    def __init__(self, channel: LiveChannel, panel: PollsPanel, bodies: list[Any]) -> None:
        self.channel = channel
        self.sim = channel.sim
        self.panel = panel
        self.service = panel.service
        self.bodies = bodies

    @property
    def broadcaster_id(self) -> str:
        broadcaster_id = self.sim.demo_broadcaster_id
        assert broadcaster_id is not None
        return broadcaster_id

    def active(self) -> Poll | None:
        """The service's active poll (a call, so mypy does not narrow it)."""
        return self.service.active

    def sim_poll(self, poll_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self.sim.state.channel(self.broadcaster_id).polls[poll_id].data
        return data


@pytest.fixture
async def setup(
    live_channel: LiveChannel, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Setup]:
    state = live_channel.sim.state
    bodies: list[Any] = []
    # What the simulator's Helix routes received (the state sees every valid request body).
    for method in ("create_poll", "end_poll"):
        original = getattr(state, method)

        def recorder(broadcaster_id: str, body: Any, _original: Any = original) -> Any:
            bodies.append(dict(body))
            return _original(broadcaster_id, body)

        monkeypatch.setattr(state, method, recorder)
    service = PollsService()
    live_channel.live.poll_event.connect(service.on_poll_event)
    live_channel.live.resynced.connect(service.refresh)
    panel = PollsPanel(service, TemplateStore(tmp_path, _check))
    qtbot.addWidget(panel)
    panel.resize(1100, 720)
    panel.show()
    service.set_broadcaster(live_channel.broadcaster)
    await service.wait_idle()
    yield Setup(live_channel, panel, bodies)
    await service.shutdown()


async def test_create_from_form_and_bars_follow_votes(setup: Setup, qtmodeltester: Any) -> None:
    panel, service, state = setup.panel, setup.service, setup.sim.state
    assert panel.empty_label.isVisibleTo(panel) and not panel.end_button.isEnabled()
    panel.form.title_edit.setText("Which boss next?")
    panel.form.choices_edit.setPlainText("Margit\nGodrick\n\nRennala\n")
    panel.form.duration_edit.setText("120")
    panel.form.points_check.setChecked(True)
    panel.form.points_edit.setText("1,000")
    assert panel.create_button.isEnabled()
    QTest.keyClick(panel.form.title_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await service.wait_idle()
    assert setup.bodies == [
        {
            "broadcaster_id": setup.broadcaster_id,
            "title": "Which boss next?",
            "choices": [{"title": "Margit"}, {"title": "Godrick"}, {"title": "Rennala"}],
            "duration": 120,
            "channel_points_voting_enabled": True,
            "channel_points_per_vote": 1000,
        }
    ]
    active = service.active
    assert active is not None
    assert setup.sim_poll(active.id)["status"] == "ACTIVE"
    assert [row.title for row in panel.model.rows()] == ["Margit", "Godrick", "Rennala"]
    qtmodeltester.check(panel.model)
    assert not panel.create_button.isEnabled()
    assert "One poll at a time" in panel.create_reason.text()
    with pytest.raises(ValueError, match="One poll at a time"):
        await service.create_now("Another", ["a", "b"], 60)

    margit, godrick, _rennala = active.choices
    state.vote(active.id, godrick.id, 7)
    state.vote(active.id, margit.id, 3)
    await until(lambda: panel.model.row(0).value == 3)
    assert [row.value for row in panel.model.rows()] == [3, 7, 0]
    assert panel.model.row(1).numbers == "7 votes (7 with points)"
    assert panel.model.row(2).numbers == "0 votes"
    assert panel.model.fraction(1) == pytest.approx(0.7)
    assert panel.model.index(1).data() == "Godrick: 7 votes (7 with points) (70%)"
    assert panel.totals_label.text() == "10 votes · extra votes cost 1,000 channel points"
    qtmodeltester.check(panel.model)

    end = ends_at(active)
    assert end == active.started_at + timedelta(seconds=120)
    panel.clock = lambda: end - timedelta(seconds=75)
    panel.update_clock()
    assert panel.status_label.text() == "Voting · ends in 1:15"


async def test_end_keeps_it_visible_after_a_second_press(setup: Setup) -> None:
    panel, service, state = setup.panel, setup.service, setup.sim.state
    created = await service.create_now("Snack?", ["Chips", "Fruit"], 60)
    state.vote(created.id, created.choices[1].id, 2)
    await until(lambda: panel.model.rowCount() == 2 and panel.model.row(1).value == 2)
    panel.bars.setFocus()
    QTest.keyClick(panel.bars, Qt.Key.Key_E)
    assert panel.confirm_label.text().startswith("Press E (or the button) again to end “Snack?”")
    await service.wait_idle()
    assert setup.sim_poll(created.id)["status"] == "ACTIVE"
    QTest.keyClick(panel.bars, Qt.Key.Key_E)
    await service.wait_idle()
    assert setup.bodies[-1] == {
        "broadcaster_id": setup.broadcaster_id,
        "id": created.id,
        "status": "TERMINATED",
    }
    assert setup.sim_poll(created.id)["status"] == "TERMINATED"
    assert setup.active() is None
    assert panel.empty_label.isVisibleTo(panel)
    row = [panel.history_model.index(0, c).data() for c in range(4)]
    assert row == ["Snack?", "Ended early (result shown)", "Fruit (2)", "2"]


async def test_archive_hides_and_escape_forgets(setup: Setup) -> None:
    panel, service = setup.panel, setup.service
    created = await service.create_now("Hide me", ["a", "b"], 30)
    await until(lambda: panel.model.rowCount() == 2)
    QTest.keyClick(panel.bars, Qt.Key.Key_A)
    assert _pending(panel) == "ARCHIVED"
    QTest.keyClick(panel.bars, Qt.Key.Key_Escape)
    assert _pending(panel) is None and not panel.confirm_label.isVisibleTo(panel)
    # A then E: the second key arms E instead of running A.
    QTest.keyClick(panel.bars, Qt.Key.Key_A)
    QTest.keyClick(panel.bars, Qt.Key.Key_E)
    await service.wait_idle()
    assert setup.sim_poll(created.id)["status"] == "ACTIVE"
    assert _pending(panel) == "TERMINATED"
    panel.archive_button.click()
    panel.archive_button.click()
    await service.wait_idle()
    assert setup.bodies[-1]["status"] == "ARCHIVED"
    assert setup.sim_poll(created.id)["status"] == "ARCHIVED"
    assert panel.history_model.index(0, 1).data() == "Archived (hidden)"
    assert panel.history_model.index(0, 2).data() == "No votes"


async def test_refusal_shows_on_the_panel(setup: Setup) -> None:
    panel, service, sim = setup.panel, setup.service, setup.sim
    await service.create_now("Fails to end", ["a", "b"], 60)
    sim.faults.fail_next(1, 500, prefix="/helix/polls")
    panel.press_end("TERMINATED")
    panel.press_end("TERMINATED")
    await service.wait_idle()
    assert panel.error_label.isVisibleTo(panel)
    assert panel.error_label.text() == (
        "Twitch is having trouble right now. Try again in a few minutes."
    )
    assert setup.active() is not None


async def test_templates_save_reload_apply_and_start(setup: Setup, tmp_path: Path) -> None:
    panel, service = setup.panel, setup.service
    panel.form.fill("Next game?", ["Hades", "Celeste"], 300, 50)
    panel.template_bar.name_edit.setText("Friday picks")
    panel.template_bar.save_button.click()
    assert panel.template_bar.message.text() == "Saved “Friday picks”."
    panel.form.points_edit.setText("1000001")
    panel.template_bar.name_edit.setText("Too dear")
    panel.template_bar.save_button.click()
    assert "poll_channel_points_per_vote" in panel.template_bar.message.text()
    reloaded = TemplateStore(tmp_path, _check)
    [template] = reloaded.polls()
    assert (template.name, template.choices, template.channel_points_per_vote) == (
        "Friday picks",
        ("Hades", "Celeste"),
        50,
    )
    other = PollsPanel(service, reloaded)
    other.template_bar.apply_button.click()
    assert other.form.values() == ("Next game?", ["Hades", "Celeste"], 300, 50)
    other.start()
    await service.wait_idle()
    assert setup.bodies[-1] == {
        "broadcaster_id": setup.broadcaster_id,
        "title": "Next game?",
        "choices": [{"title": "Hades"}, {"title": "Celeste"}],
        "duration": 300,
        "channel_points_voting_enabled": True,
        "channel_points_per_vote": 50,
    }
    other.template_bar.delete_button.click()
    assert TemplateStore(tmp_path, _check).polls() == []
    other.deleteLater()


async def test_history_from_helix_and_resync_after_a_drop(setup: Setup) -> None:
    panel, service, sim = setup.panel, setup.service, setup.sim
    state, broadcaster_id = sim.state, setup.broadcaster_id
    hub = sim.hub
    assert hub is not None
    old = state.create_poll(
        broadcaster_id,
        {"title": "Old", "choices": [{"title": "x"}, {"title": "y"}], "duration": 15},
    )
    state.vote(old["id"], old["choices"][0]["id"], 4)
    state.end_poll(broadcaster_id, {"id": old["id"], "status": "TERMINATED"})
    live = await service.create_now("Live", ["p", "q"], 60)
    await until(lambda: [p.id for p in service.history] == [old["id"]])

    resyncs: list[bool] = []
    setup.channel.live.resynced.connect(lambda: resyncs.append(True))
    assert await hub.drop_connections(4006) == 1
    # While the socket is down: votes and the end; EventSub will not replay them.
    state.vote(live.id, live.choices[1].id, 9)
    state.end_poll(broadcaster_id, {"id": live.id, "status": "ARCHIVED"})
    await until(lambda: resyncs == [True])
    await until(lambda: setup.active() is None and len(service.history) == 2)
    await service.wait_idle()
    assert [p.id for p in service.history] == [live.id, old["id"]]
    assert [panel.history_model.index(0, c).data() for c in range(4)] == [
        "Live",
        "Archived (hidden)",
        "q (9)",
        "9",
    ]
    assert panel.history_model.index(1, 2).data() == "x (4)"
    assert panel.empty_label.isVisibleTo(panel)
