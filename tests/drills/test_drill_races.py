"""Races the fault drills found: a fulfil on Twitch's dashboard racing ours, and a
sign-out while our call is in flight. The ledger must end with Twitch's status, and the
action's summary must not claim someone else handled what nobody handled."""

from __future__ import annotations

import pytest

from companion.sim import DEMO_CLIENT_ID
from tests.drills.harness import REVOKED, SONG, Drill, until

pytestmark = pytest.mark.qt_loop

PATCH_PATH = "/helix/channel_points/custom_rewards/redemptions"


async def test_dashboard_fulfil_racing_ours_leaves_the_ledger_right(drill: Drill) -> None:
    songs = drill.redeem(5, SONG)
    await drill.delivered(songs)
    drill.sim.faults.set_latency(0.5, prefix=PATCH_PATH)
    drill.queue.fulfill(songs)
    await until(lambda: drill.sim.arrivals("PATCH") != [], what="our PATCH on its way")
    # Meanwhile a moderator fulfils the same redemptions on the dashboard.
    drill.sim.state.update_redemptions(
        drill.broadcaster_id, DEMO_CLIENT_ID, drill.rewards[SONG], songs, "FULFILLED"
    )
    await until(lambda: drill.told.texts("queue.action_finished") != [], timeout=10)
    drill.sim.faults.clear()
    await drill.settle()
    figures = drill.check()  # the ledger holds FULFILLED, as the simulator does
    assert figures.made >= 5


async def test_sign_out_during_a_call_is_not_reported_as_handled_elsewhere(
    drill: Drill,
) -> None:
    songs = drill.redeem(6, SONG)
    await drill.delivered(songs)
    drill.sim.faults.set_latency(0.5, prefix=PATCH_PATH)
    drill.sim.state.revoke_user_tokens(DEMO_CLIENT_ID, drill.broadcaster_id)
    summary = await drill.act(lambda: drill.queue.fulfill(songs))
    drill.sim.faults.clear()
    assert "already handled elsewhere" not in summary
    assert summary.startswith("Fulfilled 0; 6 failed")
    assert drill.told.texts("session.signed_out") == [REVOKED]
    await drill.settle()
    drill.check()
