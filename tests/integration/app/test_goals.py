"""Goals: read through Helix, moved by EventSub, shown as bars (panel and strip)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from companion.services.goals_service import GoalsService
from companion.ui.goals import FractionRole, GoalsModel, GoalsPanel, GoalStrip
from tests.integration.app.conftest import LiveChannel, until


@pytest.mark.qt_loop
async def test_goals_follow_helix_and_eventsub(live_channel: LiveChannel, qtmodeltester) -> None:
    sim = live_channel.sim
    service = GoalsService()
    live_channel.live.goal_event.connect(service.on_goal_event)
    model = GoalsModel()
    service.goals_changed.connect(model.set_goals)
    ended: list[object] = []
    service.goal_ended.connect(ended.append)
    service.set_broadcaster(live_channel.broadcaster)
    await service.wait_idle()
    [seeded] = service.goals
    assert model.rowCount() == 1
    qtmodeltester.check(model)

    sim.state.goal_progress(seeded.id, 5)
    await until(lambda: service.goals[0].current_amount == seeded.current_amount + 5)
    fraction = model.index(0).data(FractionRole)
    assert fraction == pytest.approx((seeded.current_amount + 5) / seeded.target_amount)

    new = sim.state.create_goal(
        sim.demo_broadcaster_id,
        type="subscription_count",
        description="Sub goal",
        target_amount=10,
    )
    await until(lambda: len(service.goals) == 2)
    assert model.rowCount() == 2
    assert model.index(1).data(Qt.ItemDataRole.DisplayRole) == "Sub goal (Subscriptions): 0 / 10"
    qtmodeltester.check(model)

    sim.state.end_goal(new["id"])
    await until(lambda: len(service.goals) == 1)
    assert [goal.id for goal in ended] == [new["id"]]
    assert model.rowCount() == 1

    # After a lost connection the service re-reads Helix and lands on the same state.
    service.refresh()
    await service.wait_idle()
    assert [goal.id for goal in service.goals] == [seeded.id]


def test_panel_empty_state_and_strip_on_top(qtbot) -> None:
    model = GoalsModel()
    panel = GoalsPanel(model)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.empty_label.isVisible()
    strip = GoalStrip(model)
    qtbot.addWidget(strip)
    assert strip.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    strip.toggle()
    assert strip.isVisible()
    strip.toggle()
    assert not strip.isVisible()
