"""The client core against the real simulator over loopback.

Every request the client makes is counted through an aiohttp trace on the session the
client is given, so the tests assert exactly what went over the wire.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from companion.sim import DEMO_CLIENT_ID, SimConfig
from companion.twitch import (
    Client,
    Forbidden,
    InvalidToken,
    LimitError,
    NetworkError,
    NotFound,
    PayloadError,
    RefreshFailure,
    ServerError,
    SimpleTokenHandler,
    oauth,
)
from companion.twitch.models import Extension, ExtensionBuilder
from companion.twitch.scopes import APP_SCOPES
from tests.integration.twitch.sim_env import Setup, sim_setup

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def env() -> AsyncIterator[Setup]:
    async for setup in sim_setup(SimConfig(demo=True, seed=11, device_poll_interval=0.05)):
        yield setup


async def test_rewards_crud(env: Setup) -> None:
    user = env.user
    created = await user.create_custom_reward(
        "Stretch break", 150, prompt="Stand up!", global_cooldown=120
    )
    assert (created.title, created.cost, created.prompt) == ("Stretch break", 150, "Stand up!")
    assert created.global_cooldown == (True, 120)
    mine = await user.get_custom_rewards(only_manageable=True)
    every = await user.get_custom_rewards()
    assert created.id in {r.id for r in mine}
    assert len(every) == len(mine) + 1  # the demo channel has one reward of another app
    (other,) = [r for r in every if r not in mine]
    assert other.title == "Highlight my message"

    edited = await created.edit(title="Stretch!", cost=200, paused=True)
    assert edited is created
    assert (created.title, created.cost, created.paused) == ("Stretch!", 200, True)
    (fetched,) = await user.get_custom_rewards(ids=[created.id])
    assert (fetched.title, fetched.cost, fetched.paused) == ("Stretch!", 200, True)

    with pytest.raises(Forbidden) as caught:
        await other.edit(cost=1)
    assert caught.value.status == 403
    with pytest.raises(LimitError, match="reward_title"):
        await created.edit(title="x" * 46)

    await created.delete()
    with pytest.raises(NotFound):
        await user.get_custom_rewards(ids=[created.id])
    assert [(m, s) for m, _p, s in env.traffic.helix()] == [
        ("POST", 200),
        ("GET", 200),
        ("GET", 200),
        ("PATCH", 200),
        ("GET", 200),
        ("PATCH", 403),
        ("DELETE", 204),
        ("GET", 404),
    ]


async def test_redemptions_fulfil_and_refund_in_batches(env: Setup) -> None:
    reward = await env.user.create_custom_reward("Queue test", 10)
    viewers = env.viewers()
    for i in range(120):
        env.sim.state.redeem(env.caster_id, reward.id, viewers[i % len(viewers)])
    env.traffic.log.clear()

    pending = await reward.get_redemptions("UNFULFILLED")
    assert len(pending) == 120
    assert len({r.id for r in pending}) == 120
    assert all(r.reward is reward for r in pending)
    assert len(env.traffic.helix("GET")) == 3  # 50 + 50 + 20

    ids = [r.id for r in pending]
    fulfilled = await env.user.update_redemptions(reward.id, ids[:110], "FULFILLED")
    refunded = await env.user.update_redemptions(reward.id, ids[110:], "CANCELLED")
    assert len(env.traffic.helix("PATCH")) == 4  # 50 + 50 + 10, then 10
    assert {r.status for r in fulfilled} == {"FULFILLED"}
    assert [r.id for r in fulfilled] == ids[:110]
    assert {r.status for r in refunded} == {"CANCELED"}

    assert await reward.get_redemptions("UNFULFILLED") == []
    assert len(await reward.get_redemptions("FULFILLED")) == 110
    assert len(await reward.get_redemptions("CANCELLED")) == 10

    env.sim.state.redeem(env.caster_id, reward.id, viewers[0])
    (one,) = await reward.get_redemptions("UNFULFILLED")
    assert (await one.fulfill()).status == "FULFILLED"
    with pytest.raises(NotFound):
        await one.refund()  # only UNFULFILLED redemptions can change


async def test_prediction_lifecycle(env: Setup) -> None:
    user = env.user
    prediction = await user.create_prediction("Will we win?", ["Yes", "No"], 60)
    assert prediction.status == "ACTIVE"
    assert [o.color for o in prediction.outcomes] == ["BLUE", "PINK"]
    yes, no = prediction.outcomes
    viewers = env.viewers()
    env.sim.state.predict(prediction.id, viewers[0], yes.id, 300)
    env.sim.state.predict(prediction.id, viewers[1], no.id, 100)
    (listed, *_older) = await user.get_predictions()
    assert listed.id == prediction.id
    assert [o.channel_points for o in listed.outcomes] == [300, 100]

    locked = await user.end_prediction(prediction.id, "LOCKED")
    assert locked.status == "LOCKED"
    assert locked.locked_at is not None
    resolved = await user.end_prediction(prediction.id, "RESOLVED", yes.id)
    assert resolved.status == "RESOLVED"
    assert resolved.winning_outcome_id == yes.id
    (winner,) = resolved.outcomes[0].top_predictors
    assert (winner.user.id, winner.channel_points_used, winner.channel_points_won) == (
        viewers[0],
        300,
        400,
    )

    second = await user.create_prediction("Another?", ["A", "B", "C"], 30)
    canceled = await user.end_prediction(second.id, "CANCELLED")
    assert canceled.status == "CANCELED"
    statuses = [p.status for p in await user.get_predictions(ids=[prediction.id, second.id])]
    assert sorted(statuses) == ["CANCELED", "RESOLVED"]


async def test_poll_lifecycle(env: Setup) -> None:
    user = env.user
    poll = await user.create_poll("Heads or Tails?", ["Heads", "Tails"], 300, 100)
    assert (poll.status, poll.duration, poll.channel_points_per_vote) == ("ACTIVE", 300, 100)
    heads, tails = poll.choices
    env.sim.state.vote(poll.id, heads.id, 3)
    env.sim.state.vote(poll.id, tails.id, 1)
    (listed,) = await user.get_polls(ids=[poll.id])
    assert [c.votes for c in listed.choices] == [3, 1]
    ended = await user.end_poll(poll.id, "TERMINATED")
    assert ended.status == "TERMINATED"
    assert ended.ended_at is not None
    assert [c.votes for c in ended.choices] == [3, 1]


async def test_goals_and_channel(env: Setup) -> None:
    (goal,) = await env.user.get_goals()
    assert (goal.type, goal.description) == ("follower", "Road to 1,000 followers")
    assert (goal.current_amount, goal.target_amount) == (640, 1000)
    info = await env.user.fetch_channel_info()
    assert info.title == "Cozy building stream, come hang out"
    (me,) = await env.client.fetch_users(ids=[env.caster_id], target=env.user)
    assert (me.login, me.broadcaster_type) == ("democaster", "partner")
    streams = await env.client.fetch_streams(user_ids=[env.caster_id], target=env.user)
    assert [(s.user.id, s.viewer_count) for s in streams] == [(env.caster_id, 42)]


async def test_extensions(env: Setup) -> None:
    installed = await env.user.fetch_extensions()
    assert [e.name for e in installed] == [
        "Stream Schedule",
        "Alert Box",
        "Mini Poll",
        "Needs Configuration",
    ]
    assert [e.can_activate for e in installed] == [True, True, True, False]
    active = await env.user.fetch_active_extensions()
    assert active["panel"]["1"].name == "Stream Schedule"
    assert active["overlay"]["1"].name == "Alert Box"
    mini_poll = installed[2]
    builder = ExtensionBuilder(
        panels=[active["panel"]["1"], Extension.create(mini_poll.id, mini_poll.version)],
        components=[Extension.create(mini_poll.id, mini_poll.version, x=10, y=20)],
    )
    updated = await env.user.update_extensions(builder)
    # Mini Poll was put in a panel and a component: "the last write wins" (SOURCES.md).
    assert [e.id for e in updated["panel"].values() if e.active] == [active["panel"]["1"].id]
    # The builder had no overlays, so none were sent and the overlay slot is unchanged.
    assert updated["overlay"]["1"].id == active["overlay"]["1"].id
    component = updated["component"]["1"]
    assert (component.id, component.x, component.y) == (mini_poll.id, 10, 20)
    again = await env.user.fetch_active_extensions()
    assert again["component"]["1"].x == 10


async def test_token_refresh_rotates_once_for_many_requests(env: Setup) -> None:
    await env.user.get_goals()
    first = env.handler.token
    env.sim.state.expire_token(first.access_token)
    env.traffic.log.clear()
    results = await asyncio.gather(*(env.user.get_goals() for _ in range(50)))
    assert all(len(goals) == 1 for goals in results)
    assert env.traffic.count("POST", "/oauth2/token") == 1
    assert env.handler.stored == [env.handler.token.refresh_token]
    assert env.handler.token.refresh_token != first.refresh_token
    # Device-code refresh tokens are single use: the old one is now refused.
    assert first.refresh_token is not None
    with pytest.raises(RefreshFailure) as caught:
        await oauth.refresh_token(
            env.session,
            client_id=DEMO_CLIENT_ID,
            refresh_token=first.refresh_token,
            oauth_url=env.sim.oauth_url,
        )
    assert caught.value.refused is True
    # The stored (rotated) refresh token keeps working for the next expiry.
    env.sim.state.expire_token(env.handler.token.access_token)
    assert len(await env.user.get_goals()) == 1
    assert len(env.handler.stored) == 2


async def test_device_flow_signs_in(env: Setup) -> None:
    flow = await env.client.device_flow(DEMO_CLIENT_ID, APP_SCOPES)
    code = await flow.start()
    env.sim.state.approve_device(code.user_code, env.caster_id)
    token = await flow.wait(timeout=10)
    assert token.refresh_token is not None
    assert set(token.scopes or ()) == set(APP_SCOPES)
    info = await oauth.validate_token(env.session, token.access_token, oauth_url=env.sim.oauth_url)
    assert (info.user_id, info.login, info.client_id) == (
        env.caster_id,
        "democaster",
        DEMO_CLIENT_ID,
    )
    handler = SimpleTokenHandler(token.access_token, DEMO_CLIENT_ID, token.refresh_token)
    async with Client(
        handler, helix_url=env.sim.helix_url, oauth_url=env.sim.oauth_url
    ) as signed_in:
        goals = await signed_in.create_user(env.caster_id).get_goals()
    assert len(goals) == 1


@pytest.fixture
async def tight() -> AsyncIterator[Setup]:
    config = SimConfig(demo=True, seed=3, ratelimit_points=10, ratelimit_window=2.0)
    async for setup in sim_setup(config):
        yield setup


async def test_rate_limiter_waits_instead_of_earning_429(tight: Setup) -> None:
    await tight.user.get_goals()  # learn the budget
    results = await asyncio.gather(*(tight.user.get_goals() for _ in range(24)))
    assert len(results) == 24
    statuses = [status for _m, _p, status in tight.traffic.helix()]
    assert statuses == [200] * 25
    assert tight.client.ratelimit is not None
    assert tight.client.ratelimit.limit == 10


# -- faults ------------------------------------------------------------------------------------


async def test_503_on_a_write_is_retried_once(env: Setup) -> None:
    env.sim.faults.fail_next(1, 503, prefix="/helix/channel_points")
    reward = await env.user.create_custom_reward("After a 503", 10)
    assert reward.title == "After a 503"
    assert [(m, s) for m, _p, s in env.traffic.helix()] == [("POST", 503), ("POST", 200)]


async def test_500_on_a_write_is_not_retried(env: Setup) -> None:
    env.sim.faults.fail_next(1, 500, prefix="/helix/channel_points")
    with pytest.raises(ServerError):
        await env.user.create_custom_reward("Never twice", 10)
    assert [(m, s) for m, _p, s in env.traffic.helix()] == [("POST", 500)]
    titles = [r.title for r in await env.user.get_custom_rewards()]
    assert "Never twice" not in titles


async def test_dropped_connection_is_retried_for_reads_only(env: Setup) -> None:
    env.sim.faults.reset_next(1, prefix="/helix/goals")
    (goal,) = await env.user.get_goals()
    assert goal.target_amount == 1000
    env.sim.faults.reset_next(1, prefix="/helix/polls")
    with pytest.raises(NetworkError):
        await env.user.create_poll("Dropped?", ["Yes", "No"], 60)
    # The read was answered in the end (aiohttp itself re-sends an idempotent request once
    # when a kept-alive connection drops, before our retry loop sees anything); the write
    # went out once and was not repeated, since its fate is unknown.
    assert [(m, p, s) for m, p, s in env.traffic.helix()] == [
        ("GET", "/helix/goals", 200),
        ("POST", "/helix/polls", 0),
    ]
    # The simulator drops the connection before handling it, and nothing was re-sent.
    assert env.sim.state.channels[env.caster_id].active_poll is None


async def test_injected_429_waits_and_retries(env: Setup) -> None:
    env.sim.faults.throttle_next(1, prefix="/helix/goals")
    (goal,) = await env.user.get_goals()
    assert goal.current_amount == 640
    assert [s for _m, _p, s in env.traffic.helix()] == [429, 200]


async def test_malformed_body_is_retried_on_reads_then_a_payload_error(env: Setup) -> None:
    # A cut answer to a read is retried like a 5xx ...
    env.sim.faults.malform_next(1, prefix="/helix/goals")
    (goal,) = await env.user.get_goals()
    assert goal.current_amount == 640
    assert [s for _m, _p, s in env.traffic.helix()] == [200, 200]
    # ... and one on every try (five) is a PayloadError.
    env.traffic.log.clear()
    env.sim.faults.malform_next(5, prefix="/helix/goals")
    with pytest.raises(PayloadError, match="the 200 answer is not JSON"):
        await env.user.get_goals()
    assert [s for _m, _p, s in env.traffic.helix()] == [200] * 5
    # A cut answer to a write is reported at once: it may have been applied.
    env.traffic.log.clear()
    env.sim.faults.malform_next(1, prefix="/helix/channel_points")
    with pytest.raises(PayloadError, match="may have been applied"):
        await env.user.create_custom_reward("Cut answer", 10)
    assert [(m, s) for m, _p, s in env.traffic.helix()] == [("POST", 200)]


async def test_revoked_token_is_refreshed_once_and_retried(env: Setup) -> None:
    await env.user.get_goals()
    env.sim.faults.revoke_next(1, prefix="/helix/goals")
    env.traffic.log.clear()
    (goal,) = await env.user.get_goals()
    assert goal.type == "follower"
    assert [s for _m, _p, s in env.traffic.helix()] == [401, 200]
    assert env.traffic.count("POST", "/oauth2/token") == 1
    assert len(env.handler.stored) == 1


async def test_revoked_grant_ends_in_invalid_token(env: Setup) -> None:
    await env.user.get_goals()
    env.sim.state.revoke_user_tokens(DEMO_CLIENT_ID, env.caster_id)
    env.traffic.log.clear()
    with pytest.raises(InvalidToken):
        await env.user.get_goals()
    # One 401, one refused refresh, no retry without a token.
    assert [s for _m, _p, s in env.traffic.helix()] == [401]
    assert env.traffic.count("POST", "/oauth2/token") == 1
