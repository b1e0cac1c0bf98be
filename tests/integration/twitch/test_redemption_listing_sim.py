"""Paging redemptions through the simulator: one broadcaster and one reward object per
listing, every value as the simulator sent it, one request per page of 50."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from companion.sim import SimConfig
from companion.twitch.models import PartialCustomReward, PartialUser
from tests.integration.twitch.sim_env import Setup, sim_setup

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from companion.twitch.models import CustomRewardRedemption

REDEMPTIONS_PATH = "/helix/channel_points/custom_rewards/redemptions"


@pytest.fixture
async def env() -> AsyncIterator[Setup]:
    async for setup in sim_setup(SimConfig(demo=True, seed=23)):
        yield setup


async def test_pagination_shares_the_broadcaster_and_reward_across_pages(env: Setup) -> None:
    reward = await env.user.create_custom_reward("Shared parts", 25, prompt="Why?")
    viewers = env.viewers()
    sent = [
        env.sim.state.redeem(env.caster_id, reward.id, viewers[n % len(viewers)], f"input {n}")
        for n in range(120)
    ]
    env.traffic.log.clear()

    # Through the user (no parent reward): the reward is a PartialCustomReward.
    read: list[CustomRewardRedemption] = [
        r async for r in env.user.get_redemptions(reward.id, "UNFULFILLED")
    ]
    assert env.traffic.count("GET", REDEMPTIONS_PATH) == 3  # 50 + 50 + 20
    assert [r.id for r in read] == [s["id"] for s in sent]
    broadcaster, shared_reward = read[0].broadcaster, read[0].reward
    assert all(r.broadcaster is broadcaster for r in read)  # across all three pages
    assert all(r.reward is shared_reward for r in read)
    assert type(broadcaster) is PartialUser
    assert type(shared_reward) is PartialCustomReward
    caster = env.sim.state.users[env.caster_id]
    assert (broadcaster.id, broadcaster.login, broadcaster.name) == (
        env.caster_id,
        caster["login"],
        caster["display_name"],
    )
    assert (shared_reward.id, shared_reward.title, shared_reward.prompt, shared_reward.cost) == (
        reward.id,
        "Shared parts",
        "Why?",
        25,
    )
    # Each item's own values, as the simulator sent them; one viewer object per item.
    for r, s in zip(read, sent, strict=True):
        assert (r.user.id, r.user.login, r.user.name) == (
            s["user_id"],
            s["user_login"],
            s["user_name"],
        )
        assert (r.input, r.status) == (s["user_input"], "UNFULFILLED")
    assert len({id(r.user) for r in read}) == 120

    # A second listing builds its own (equal) objects: nothing is shared between listings.
    again = await env.user.get_redemptions(reward.id, "UNFULFILLED", limit=1)
    assert again[0].broadcaster is not broadcaster
    assert again[0].broadcaster == broadcaster and again[0].broadcaster.login == broadcaster.login

    # Read-only, so no item can change what another item shows.
    with pytest.raises(AttributeError):
        broadcaster.name = "Someone else"  # type: ignore[misc]  # the point of the test
    with pytest.raises(AttributeError):
        shared_reward.title = "Another title"  # type: ignore[misc]  # the point of the test
    assert read[-1].broadcaster.name == caster["display_name"]
    assert read[-1].reward.title == "Shared parts"

    # Through the reward: every item's reward is that very CustomReward (the seed's rule).
    via_reward = await reward.get_redemptions("UNFULFILLED")
    assert len(via_reward) == 120
    assert all(r.reward is reward for r in via_reward)
    assert all(r.broadcaster is via_reward[0].broadcaster for r in via_reward)
