"""Predictions against the real simulator: form, live bars, lock, 1-9 resolve, cancel,
one-at-a-time, templates, history and the resync after a lost connection."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from companion.core.templates import TemplateStore
from companion.services.predictions_service import PredictionsService, locks_at
from companion.twitch.limits import LIMITS
from companion.ui.outcome_bars import BAR_COLORS
from companion.ui.predictions_panel import PredictionsPanel
from tests.integration.app.conftest import LiveChannel, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from pytestqt.qtbot import QtBot

    from companion.twitch.models.predictions import Prediction

pytestmark = pytest.mark.qt_loop


def _check(name: str, value: object) -> None:
    LIMITS[name].check(value)


class Setup:
    def __init__(self, channel: LiveChannel, panel: PredictionsPanel, bodies: list[Any]) -> None:
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

    def active(self) -> Prediction | None:
        """The service's running prediction (a call, so mypy does not narrow it)."""
        return self.service.active

    def viewer(self, login: str) -> str:
        return self.sim.state.user_ids_by_login[login]

    def sim_prediction(self, prediction_id: str) -> dict[str, Any]:
        channel = self.sim.state.channel(self.broadcaster_id)
        data: dict[str, Any] = channel.predictions[prediction_id].data
        return data


@pytest.fixture
async def setup(
    live_channel: LiveChannel, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Setup]:
    state = live_channel.sim.state
    bodies: list[Any] = []
    # What the simulator's Helix routes received (the state sees every valid request body).
    for method in ("create_prediction", "end_prediction"):
        original = getattr(state, method)

        def recorder(broadcaster_id: str, body: Any, _original: Any = original) -> Any:
            bodies.append(dict(body))
            return _original(broadcaster_id, body)

        monkeypatch.setattr(state, method, recorder)
    service = PredictionsService()
    live_channel.live.prediction_event.connect(service.on_prediction_event)
    live_channel.live.resynced.connect(service.refresh)
    panel = PredictionsPanel(service, TemplateStore(tmp_path, _check))
    qtbot.addWidget(panel)
    panel.resize(1100, 720)
    panel.show()
    service.set_broadcaster(live_channel.broadcaster)
    await service.wait_idle()
    yield Setup(live_channel, panel, bodies)
    await service.shutdown()


def _fill(panel: PredictionsPanel, title: str, outcomes: str, window: str) -> None:
    panel.form.title_edit.setText(title)
    panel.form.outcomes_edit.setPlainText(outcomes)
    panel.form.window_edit.setText(window)


async def test_create_from_form_and_bars_follow_bets(setup: Setup, qtmodeltester: Any) -> None:
    panel, service = setup.panel, setup.service
    assert panel.empty_label.isVisibleTo(panel)
    assert service.history == []
    _fill(panel, "Boss down this try?", "Yes\n\nNo  \n", "90")
    assert panel.create_button.isEnabled()
    QTest.keyClick(panel.form.title_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await service.wait_idle()
    assert setup.bodies == [
        {
            "broadcaster_id": setup.sim.demo_broadcaster_id,
            "title": "Boss down this try?",
            "outcomes": [{"title": "Yes"}, {"title": "No"}],
            "prediction_window": 90,
        }
    ]
    active = service.active
    assert active is not None and active.status == "ACTIVE"
    assert setup.sim_prediction(active.id)["status"] == "ACTIVE"
    assert panel.active_title.text() == "Boss down this try?"
    assert [row.title for row in panel.model.rows()] == ["Yes", "No"]
    assert [row.key for row in panel.model.rows()] == ["1", "2"]
    assert [row.color for row in panel.model.rows()] == [BAR_COLORS["BLUE"], BAR_COLORS["PINK"]]
    qtmodeltester.check(panel.model)

    # One prediction at a time: the form says why it is off.
    assert not panel.create_button.isEnabled()
    assert "One prediction at a time" in panel.create_reason.text()
    assert panel.create_reason.isVisibleTo(panel)
    with pytest.raises(ValueError, match="One prediction at a time"):
        await service.create_now("Another", ["a", "b"], 60)
    assert len(setup.bodies) == 1

    yes, no = active.outcomes
    state = setup.sim.state
    state.predict(active.id, setup.viewer("ana_plays"), yes.id, 500)
    state.predict(active.id, setup.viewer("bytebard"), yes.id, 250)
    state.predict(active.id, setup.viewer("cozy_carl"), no.id, 250)
    await until(lambda: panel.model.rowCount() == 2 and panel.model.row(1).value == 250)
    assert [row.value for row in panel.model.rows()] == [750, 250]
    assert panel.model.row(0).numbers == "750 pts · 2 viewers"
    assert panel.model.row(1).numbers == "250 pts · 1 viewer"
    assert panel.model.row(0).detail == "Top: AnaPlays 500, ByteBard 250"
    assert panel.model.fraction(0) == pytest.approx(0.75)
    assert panel.model.index(0).data() == "1  Yes: 750 pts · 2 viewers (75%)"
    assert panel.totals_label.text() == "1,000 channel points from 3 viewers"
    qtmodeltester.check(panel.model)


async def test_lock_then_resolve_with_number_keys(setup: Setup) -> None:
    panel, service, state = setup.panel, setup.service, setup.sim.state
    created = await service.create_now("Who wins?", ["Red", "Green", "Blue"], 300)
    state.predict(created.id, setup.viewer("ana_plays"), created.outcomes[1].id, 100)
    await until(lambda: panel.model.rowCount() == 3 and panel.model.row(1).value == 100)
    panel.bars.setFocus()
    QTest.keyClick(panel.bars, Qt.Key.Key_L)
    await service.wait_idle()
    assert setup.sim_prediction(created.id)["status"] == "LOCKED"
    assert service.active is not None and service.active.status == "LOCKED"
    assert not panel.lock_button.isEnabled()
    assert "Only a prediction that is taking bets" in panel.action_reason.text()
    # The lock kept the numbers EventSub had given (lock payloads are merged over them).
    assert panel.model.row(1).value == 100
    assert panel.status_label.text().startswith("Locked · pick the winner within 2")

    QTest.keyClick(panel.bars, Qt.Key.Key_2)
    assert panel.confirm.pending == f"resolve:{created.outcomes[1].id}"
    assert panel.confirm_label.text().startswith("Press 2 again to pay out “Green”")
    await service.wait_idle()
    assert len(setup.bodies) == 2  # create, lock: nothing sent on the first press
    QTest.keyClick(panel.bars, Qt.Key.Key_2)
    await service.wait_idle()
    assert setup.bodies[-1] == {
        "broadcaster_id": setup.sim.demo_broadcaster_id,
        "id": created.id,
        "status": "RESOLVED",
        "winning_outcome_id": created.outcomes[1].id,
    }
    ended = setup.sim_prediction(created.id)
    assert ended["status"] == "RESOLVED"
    assert ended["winning_outcome_id"] == created.outcomes[1].id
    assert setup.active() is None
    assert panel.history_model.rowCount() == 1
    assert panel.history_model.index(0, 1).data() == "Won: Green"
    assert panel.history_model.index(0, 2).data() == "100"
    assert panel.create_button.isEnabled() is False  # the empty form is not valid yet
    assert not panel.create_reason.isVisibleTo(panel)


async def test_cancel_needs_a_second_press(setup: Setup) -> None:
    panel, service = setup.panel, setup.service
    created = await service.create_now("Cancel me", ["a", "b"], 60)
    await until(lambda: panel.model.rowCount() == 2)
    QTest.keyClick(panel.bars, Qt.Key.Key_C)
    assert panel.confirm_label.isVisibleTo(panel)
    QTest.keyClick(panel.bars, Qt.Key.Key_Escape)
    assert not panel.confirm_label.isVisibleTo(panel)
    QTest.keyClick(panel.bars, Qt.Key.Key_C)
    await service.wait_idle()
    assert setup.sim_prediction(created.id)["status"] == "ACTIVE"
    # The button is the same confirmation as the key.
    panel.cancel_button.click()
    await service.wait_idle()
    assert setup.bodies[-1]["status"] == "CANCELED"
    assert setup.sim_prediction(created.id)["status"] == "CANCELED"
    assert panel.history_model.index(0, 1).data() == "Cancelled (refunded)"
    assert service.active is None and panel.empty_label.isVisibleTo(panel)


async def test_lock_rule_shown_and_errors_on_panel(setup: Setup) -> None:
    panel, service, sim = setup.panel, setup.service, setup.sim
    created = await service.create_now("Locked elsewhere", ["a", "b"], 60)
    # Locked on Twitch's side (another tool): the EventSub lock turns Lock off here.
    sim.state.end_prediction(setup.broadcaster_id, {"id": created.id, "status": "LOCKED"})
    await until(lambda: service.active is not None and service.active.status == "LOCKED")
    assert not panel.lock_button.isEnabled()
    assert panel.resolve_button.isEnabled() and panel.cancel_button.isEnabled()
    # A refusal from Twitch lands on the panel's error line, not in a dialog.
    sim.faults.fail_next(1, 500, prefix="/helix/predictions")
    panel.press_cancel()
    panel.press_cancel()
    await service.wait_idle()
    assert panel.error_label.isVisibleTo(panel)
    assert panel.error_label.text() == (
        "Twitch is having trouble right now. Try again in a few minutes."
    )
    assert service.active is not None


async def test_countdown_and_auto_cancel_warning(setup: Setup) -> None:
    panel, service = setup.panel, setup.service
    created = await service.create_now("Clocked", ["a", "b"], 120)
    await service.wait_idle()
    lock_time = locks_at(created)
    assert lock_time == created.created_at + timedelta(seconds=120)
    panel.clock = lambda: lock_time - timedelta(seconds=90)
    panel.update_clock()
    assert panel.status_label.text() == "Taking bets · locks in 1:30"
    assert not panel.warning_label.isVisibleTo(panel)
    await service.lock_now()
    locked = service.active
    assert locked is not None and locked.locked_at is not None
    deadline = min(lock_time, locked.locked_at) + timedelta(hours=24)
    panel.clock = lambda: deadline - timedelta(hours=2)
    panel.update_clock()
    assert panel.status_label.text() == "Locked · pick the winner within 2:00:00"
    assert not panel.warning_label.isVisibleTo(panel)
    panel.clock = lambda: deadline - timedelta(minutes=30)
    panel.update_clock()
    assert panel.warning_label.isVisibleTo(panel)
    assert panel.warning_label.text() == (
        "Twitch cancels “Clocked” and refunds every bet in 30:00 unless you pick the winner."
    )


async def test_templates_save_reload_apply_and_start(setup: Setup, tmp_path: Path) -> None:
    panel, service = setup.panel, setup.service
    _fill(panel, "Boss down?", "Yes\nNo\nCheese it", "600")
    panel.template_bar.name_edit.setText("Elden Ring: boss")
    panel.template_bar.save_button.click()
    assert panel.template_bar.message.text() == "Saved “Elden Ring: boss”."
    # An invalid form is not saved, and the message names the limit.
    panel.form.window_edit.setText("1801")
    panel.template_bar.name_edit.setText("Too long")
    panel.template_bar.save_button.click()
    assert "prediction_window" in panel.template_bar.message.text()
    reloaded = TemplateStore(tmp_path, _check)
    assert [t.name for t in reloaded.predictions()] == ["Elden Ring: boss"]
    assert reloaded.predictions()[0].outcomes == ("Yes", "No", "Cheese it")

    other = PredictionsPanel(service, reloaded)
    assert other.template_bar.combo.currentText() == "Elden Ring: boss"
    other.template_bar.apply_button.click()
    assert other.form.values() == ("Boss down?", ["Yes", "No", "Cheese it"], 600)
    other.start()
    await service.wait_idle()
    assert setup.bodies[-1]["outcomes"] == [
        {"title": "Yes"},
        {"title": "No"},
        {"title": "Cheese it"},
    ]
    assert setup.bodies[-1]["prediction_window"] == 600
    # Three outcomes: all blue, as documented.
    assert [row.color for row in panel.model.rows()] == [BAR_COLORS["BLUE"]] * 3
    other.template_bar.delete_button.click()
    assert TemplateStore(tmp_path, _check).predictions() == []
    other.deleteLater()


async def test_history_from_helix_and_resync_after_a_drop(setup: Setup) -> None:
    panel, service, sim = setup.panel, setup.service, setup.sim
    state, broadcaster_id = sim.state, setup.broadcaster_id
    hub = sim.hub
    assert hub is not None
    first = state.create_prediction(
        broadcaster_id,
        {"title": "Old one", "outcomes": [{"title": "x"}, {"title": "y"}], "prediction_window": 30},
    )
    state.end_prediction(broadcaster_id, {"id": first["id"], "status": "CANCELED"})
    second = await service.create_now("Live one", ["p", "q"], 60)
    await until(lambda: [p.id for p in service.history] == [first["id"]])

    resyncs: list[bool] = []
    setup.channel.live.resynced.connect(lambda: resyncs.append(True))
    assert await hub.drop_connections(4006) == 1
    # While the socket is down: a bet and the result; EventSub will not replay them.
    state.predict(second.id, setup.viewer("dee_vee"), second.outcomes[0].id, 40)
    state.end_prediction(
        broadcaster_id,
        {"id": second.id, "status": "RESOLVED", "winning_outcome_id": second.outcomes[0].id},
    )
    await until(lambda: resyncs == [True])
    await until(lambda: service.active is None and len(service.history) == 2)
    await service.wait_idle()
    assert [p.id for p in service.history] == [second.id, first["id"]]
    assert panel.history_model.index(0, 1).data() == "Won: p"
    assert panel.history_model.index(0, 2).data() == "40"
    assert panel.history_model.index(1, 1).data() == "Cancelled (refunded)"
    assert panel.empty_label.isVisibleTo(panel)
    assert panel.create_reason.isHidden()


async def test_tenth_outcome_is_key_0_and_resolve_works_from_active(setup: Setup) -> None:
    panel, service = setup.panel, setup.service
    titles = [f"Round {n}" for n in range(1, 11)]
    _fill(panel, "Which round?", "\n".join(titles), "1800")
    # A second Ctrl+Enter while the first request is in flight sends nothing more.
    panel.start()
    panel.start()
    await service.wait_idle()
    assert [body.get("title") for body in setup.bodies] == ["Which round?"]
    created = service.active
    assert created is not None and len(created.outcomes) == 10
    assert [row.key for row in panel.model.rows()] == [*"123456789", "0"]
    assert panel.model.rowCount() == 10
    # Straight from ACTIVE (Twitch allows it): 0 twice pays out the tenth outcome.
    QTest.keyClick(panel.bars, Qt.Key.Key_0)
    QTest.keyClick(panel.bars, Qt.Key.Key_0)
    await service.wait_idle()
    assert setup.bodies[-1]["winning_outcome_id"] == created.outcomes[9].id
    assert setup.sim_prediction(created.id)["status"] == "RESOLVED"
    tooltip = panel.history_model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip.splitlines()[0] == "Which round?"
    assert tooltip.splitlines()[10] == "Round 10 ✓: 0 pts, 0 viewers"
