"""The extension slot board against the simulator: load, apply in one update, show what
Twitch kept, and flag an extension placed in several slot types."""

from __future__ import annotations

import pytest

from companion.services.extensions_service import (
    SLOTS,
    ExtensionsService,
    Placement,
    builder_for,
    conflicts,
)
from companion.ui.extensions_panel import ExtensionsPanel
from tests.integration.app.conftest import LiveChannel, until

SCHEDULE = Placement("demopanelschedule000000000001", "1.2.0", "Stream Schedule")
ALERTS = Placement("demooverlayalerts0000000000002", "2.0.1", "Alert Box")
POLL_AS_PANEL = Placement("democomponentpoll000000000003", "0.9.0", "Mini Poll")
POLL_AS_COMPONENT = Placement("democomponentpoll000000000003", "0.9.0", "Mini Poll", 20, 40)


def test_builder_sends_every_slot() -> None:
    plan = dict.fromkeys(SLOTS)
    plan[("panel", "2")] = SCHEDULE
    plan[("component", "1")] = POLL_AS_COMPONENT
    assert builder_for(plan).to_payload() == {
        "data": {
            "panel": {
                "1": {"active": False},
                "2": {"active": True, "id": SCHEDULE.id, "version": "1.2.0"},
                "3": {"active": False},
            },
            "overlay": {"1": {"active": False}},
            "component": {
                "1": {
                    "active": True,
                    "id": POLL_AS_COMPONENT.id,
                    "version": "0.9.0",
                    "x": 20,
                    "y": 40,
                },
                "2": {"active": False},
            },
        }
    }


def test_conflicts_name_the_extension() -> None:
    plan = dict.fromkeys(SLOTS)
    plan[("panel", "3")] = POLL_AS_PANEL
    plan[("component", "2")] = POLL_AS_COMPONENT
    assert conflicts(plan) == [
        "Mini Poll is placed as component and panel: Twitch keeps only the last one written "
        "(component, after overlay, after panel)."
    ]


@pytest.mark.qt_loop
async def test_board_loads_applies_and_reads_back(
    live_channel: LiveChannel, qtbot, qtmodeltester
) -> None:
    service = ExtensionsService()
    panel = ExtensionsPanel(service)
    qtbot.addWidget(panel)
    service.set_broadcaster(live_channel.broadcaster)
    await service.wait_idle()
    installed = panel.installed_model
    qtmodeltester.check(installed)
    assert installed.rowCount() == 4
    assert [installed.index(row, 0).data() for row in range(4)] == [
        "Stream Schedule",
        "Alert Box",
        "Mini Poll",
        "Needs Configuration",
    ]
    assert installed.index(3, 3).data() == "No: configure it on Twitch first"
    assert installed.index(1, 2).data() == "overlay, mobile"
    assert panel.plan() == {
        ("panel", "1"): SCHEDULE,
        ("panel", "2"): None,
        ("panel", "3"): None,
        ("overlay", "1"): ALERTS,
        ("component", "1"): None,
        ("component", "2"): None,
    }
    # Only activatable extensions of the slot's type are offered ("Needs Configuration" is not).
    combo = panel.rows[("panel", "2")].combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "(empty)",
        "Stream Schedule 1.2.0",
        "Mini Poll 0.9.0",
    ]
    component = panel.rows[("component", "1")]
    component.combo.setCurrentIndex(component.combo.findText("Mini Poll 0.9.0"))
    component.x.setValue(20)
    component.y.setValue(40)
    panel.rows[("overlay", "1")].combo.setCurrentIndex(0)
    assert panel.warning_label.text() == ""
    messages: list[list[str]] = []
    service.applied.connect(messages.append)
    panel.apply()
    await service.wait_idle()
    assert messages == [[]]
    assert panel.status_label.text() == "Applied. Twitch kept exactly this board."
    active = await live_channel.broadcaster.fetch_active_extensions()
    assert active["component"]["1"].id == POLL_AS_COMPONENT.id
    assert (active["component"]["1"].x, active["component"]["1"].y) == (20, 40)
    assert active["overlay"]["1"].active is False


@pytest.mark.qt_loop
async def test_last_write_wins_is_warned_and_reported(live_channel: LiveChannel, qtbot) -> None:
    service = ExtensionsService()
    panel = ExtensionsPanel(service)
    qtbot.addWidget(panel)
    service.set_broadcaster(live_channel.broadcaster)
    await service.wait_idle()
    panel3 = panel.rows[("panel", "3")]
    panel3.combo.setCurrentIndex(panel3.combo.findText("Mini Poll 0.9.0"))
    component = panel.rows[("component", "2")]
    component.combo.setCurrentIndex(component.combo.findText("Mini Poll 0.9.0"))
    assert "Mini Poll is placed as component and panel" in panel.warning_label.text()
    messages: list[list[str]] = []
    service.applied.connect(messages.append)
    panel.apply()
    await until(lambda: bool(messages))
    assert messages == [["panel 3: asked for Mini Poll, Twitch kept empty"]]
    assert panel.plan()[("panel", "3")] is None
    assert panel.plan()[("component", "2")] == Placement(
        POLL_AS_COMPONENT.id, "0.9.0", "Mini Poll", 0, 0
    )
