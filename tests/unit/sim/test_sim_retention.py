"""Settled redemptions leave the simulator after the retention window, as on Twitch.

SOURCES.md: canceled and fulfilled redemptions "are returned for only a few days". The
simulator keeps them ``SimConfig.settled_redemption_retention`` seconds (three days by
default); the soak test shortens the window as it compresses a stream into minutes.
"""

from __future__ import annotations

import pytest

from companion.sim import DEMO_CLIENT_ID, SimConfig
from companion.sim.demo import seed_demo
from companion.sim.errors import SimError
from companion.sim.state import SimState


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_settled_redemptions_expire_and_waiting_ones_stay() -> None:
    assert SimConfig().settled_redemption_retention == 3 * 86_400
    state = SimState(SimConfig(settled_redemption_retention=60.0))
    clock = Clock()
    state.now = clock  # type: ignore[method-assign]
    channel = seed_demo(state)
    reward_id = next(
        rid
        for rid, rec in state.channels[channel].rewards.items()
        if rec.client_id == DEMO_CLIENT_ID
        and not rec.data["should_redemptions_skip_request_queue"]
        and not rec.data["is_user_input_required"]
        and not rec.data["global_cooldown_setting"]["is_enabled"]
    )
    viewer = next(uid for uid in state.users if uid != channel)
    seeded = set(state.redemptions)
    made = [state.redeem(channel, reward_id, viewer)["id"] for _ in range(3)]
    state.update_redemptions(channel, DEMO_CLIENT_ID, reward_id, made[:1], "FULFILLED")
    clock.now += 30
    state.update_redemptions(channel, DEMO_CLIENT_ID, reward_id, made[1:2], "CANCELED")

    clock.now += 31  # the fulfilled one is 61 s settled, the canceled one 31 s
    state.tick()
    assert made[0] not in state.redemptions
    assert {made[1], made[2]} <= set(state.redemptions)
    with pytest.raises(SimError) as gone:
        state.get_redemptions(
            channel,
            DEMO_CLIENT_ID,
            reward_id,
            status=None,
            ids=[made[0]],
            sort="OLDEST",
            after=None,
            first=20,
        )
    assert gone.value.status == 404

    clock.now += 30
    assert state.drop_expired_redemptions() == 1
    # The waiting one stays however old it is; so do the demo's seeded waiting ones.
    clock.now += 10 * 86_400
    state.tick()
    assert set(state.redemptions) == seeded | {made[2]}
    page, _ = state.get_redemptions(
        channel,
        DEMO_CLIENT_ID,
        reward_id,
        status="UNFULFILLED",
        ids=[],
        sort="OLDEST",
        after=None,
        first=50,
    )
    assert made[2] in [item["id"] for item in page]
    fulfilled, _ = state.get_redemptions(
        channel,
        DEMO_CLIENT_ID,
        reward_id,
        status="FULFILLED",
        ids=[],
        sort="OLDEST",
        after=None,
        first=50,
    )
    assert fulfilled == []
