"""Every documented limit (SOURCES.md), one value just inside and one just outside.

Inside: the request succeeds. Outside: 400 with Twitch's error body, and the state is
exactly as before.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from companion.sim import Simulator
from tests.integration.sim.sim_api import CLIENT_ID, Caster, Reply

if TYPE_CHECKING:
    from companion.sim.events import DomainEvent

REWARDS = "/channel_points/custom_rewards"
REDEMPTIONS = "/channel_points/custom_rewards/redemptions"

Send = Callable[[Simulator, Caster, Any], Awaitable[Reply]]

_SETUP: weakref.WeakKeyDictionary[Simulator, dict[str, Any]] = weakref.WeakKeyDictionary()


def once(sim: Simulator, key: str, make: Callable[[], Any]) -> Any:
    """Run a sender's setup once per simulator, so a sender can be called twice."""
    done = _SETUP.setdefault(sim, {})
    if key not in done:
        done[key] = make()
    return done[key]


def snapshot(sim: Simulator, caster: Caster) -> Any:
    """Everything a Helix request could have changed on the caster's channel."""
    ch = sim.state.channels[caster.id]
    return copy.deepcopy(
        {
            "rewards": {k: r.data for k, r in ch.rewards.items()},
            "titles": ch.reward_titles,
            "redemptions": {k: r.data for k, r in sim.state.redemptions.items()},
            "predictions": {k: p.data for k, p in ch.predictions.items()},
            "polls": {k: p.data for k, p in ch.polls.items()},
            "running": (ch.running_prediction, ch.active_poll),
        }
    )


@dataclass
class Limit:
    send: Send
    inside: Any
    outside: Any


# -- senders --------------------------------------------------------------------------------


def create_reward_with(**extra: Any) -> Send:
    """Create Custom Rewards with one field set to the value under test."""
    (field,) = [k for k, v in extra.items() if v is ...]
    fixed = {k: v for k, v in extra.items() if v is not ...}

    async def send(sim: Simulator, caster: Caster, value: Any) -> Reply:
        body = {"title": "Limit test", "cost": 10, **fixed, field: value}
        return await caster.helix(
            "POST", REWARDS, params={"broadcaster_id": caster.id}, json_body=body
        )

    return send


def update_reward_with(**extra: Any) -> Send:
    (field,) = [k for k, v in extra.items() if v is ...]
    fixed = {k: v for k, v in extra.items() if v is not ...}

    async def send(sim: Simulator, caster: Caster, value: Any) -> Reply:
        reward = once(
            sim,
            "existing",
            lambda: sim.state.create_reward(caster.id, CLIENT_ID, {"title": "Existing", "cost": 1}),
        )
        return await caster.helix(
            "PATCH",
            REWARDS,
            params={"broadcaster_id": caster.id, "id": reward["id"]},
            json_body={**fixed, field: value},
        )

    return send


def prediction_with(field: str) -> Send:
    async def send(sim: Simulator, caster: Caster, value: Any) -> Reply:
        body: dict[str, Any] = {
            "broadcaster_id": caster.id,
            "title": "Will it work?",
            "outcomes": [{"title": "Yes"}, {"title": "No"}],
            "prediction_window": 120,
        }
        body[field] = value
        return await caster.helix("POST", "/predictions", json_body=body)

    return send


def poll_with(field: str, **fixed: Any) -> Send:
    async def send(sim: Simulator, caster: Caster, value: Any) -> Reply:
        body: dict[str, Any] = {
            "broadcaster_id": caster.id,
            "title": "Heads or Tails?",
            "choices": [{"title": "Heads"}, {"title": "Tails"}],
            "duration": 60,
            **fixed,
        }
        body[field] = value
        return await caster.helix("POST", "/polls", json_body=body)

    return send


def outcomes(n: int, title_len: int = 3) -> list[dict[str, str]]:
    return [{"title": f"{i}".rjust(title_len, "o")} for i in range(n)]


def choices(n: int, title_len: int = 3) -> list[dict[str, str]]:
    return outcomes(n, title_len)


async def get_rewards_ids(sim: Simulator, caster: Caster, n: int) -> Reply:
    real = once(
        sim,
        "real",
        lambda: sim.state.create_reward(caster.id, CLIENT_ID, {"title": "Real", "cost": 1})["id"],
    )
    ids = [real] + [f"missing-{i}" for i in range(n - 1)]
    return await caster.helix(
        "GET", REWARDS, params=[("broadcaster_id", caster.id)] + [("id", i) for i in ids]
    )


async def _reward_with_redemption(sim: Simulator, caster: Caster) -> tuple[str, str]:
    def make() -> tuple[str, str]:
        reward = sim.state.create_reward(caster.id, CLIENT_ID, {"title": "Queue", "cost": 1})
        red = sim.state.redeem(caster.id, reward["id"], caster.id)
        return reward["id"], red["id"]

    result: tuple[str, str] = once(sim, "queue", make)
    return result


async def get_redemptions_first(sim: Simulator, caster: Caster, first: int) -> Reply:
    reward_id, _ = await _reward_with_redemption(sim, caster)
    return await caster.helix(
        "GET",
        REDEMPTIONS,
        params={
            "broadcaster_id": caster.id,
            "reward_id": reward_id,
            "status": "UNFULFILLED",
            "first": str(first),
        },
    )


async def get_redemptions_ids(sim: Simulator, caster: Caster, n: int) -> Reply:
    reward_id, red_id = await _reward_with_redemption(sim, caster)
    ids = [red_id] + [f"missing-{i}" for i in range(n - 1)]
    return await caster.helix(
        "GET",
        REDEMPTIONS,
        params=[("broadcaster_id", caster.id), ("reward_id", reward_id)] + [("id", i) for i in ids],
    )


async def get_predictions_ids(sim: Simulator, caster: Caster, n: int) -> Reply:
    ids = [f"p{i}" for i in range(n)]
    return await caster.helix(
        "GET", "/predictions", params=[("broadcaster_id", caster.id)] + [("id", i) for i in ids]
    )


async def get_predictions_first(sim: Simulator, caster: Caster, first: int) -> Reply:
    return await caster.helix(
        "GET", "/predictions", params={"broadcaster_id": caster.id, "first": str(first)}
    )


async def get_polls_ids(sim: Simulator, caster: Caster, n: int) -> Reply:
    real = once(
        sim,
        "poll",
        lambda: sim.state.create_poll(
            caster.id,
            {"title": "Real", "choices": [{"title": "a"}, {"title": "b"}], "duration": 60},
        )["id"],
    )
    ids = [real] + [f"missing-{i}" for i in range(n - 1)]
    return await caster.helix(
        "GET", "/polls", params=[("broadcaster_id", caster.id)] + [("id", i) for i in ids]
    )


async def get_polls_first(sim: Simulator, caster: Caster, first: int) -> Reply:
    return await caster.helix(
        "GET", "/polls", params={"broadcaster_id": caster.id, "first": str(first)}
    )


async def get_users_total(sim: Simulator, caster: Caster, n: int) -> Reply:
    half = n // 2
    params = [("id", str(i)) for i in range(half)] + [("login", f"u{i}") for i in range(n - half)]
    return await caster.helix("GET", "/users", params=params)


async def get_streams_user_ids(sim: Simulator, caster: Caster, n: int) -> Reply:
    return await caster.helix("GET", "/streams", params=[("user_id", str(i)) for i in range(n)])


async def get_streams_first(sim: Simulator, caster: Caster, first: int) -> Reply:
    return await caster.helix("GET", "/streams", params={"first": str(first)})


async def get_channels_ids(sim: Simulator, caster: Caster, n: int) -> Reply:
    ids = [caster.id] + [str(i) for i in range(n - 1)]
    return await caster.helix("GET", "/channels", params=[("broadcaster_id", i) for i in ids])


LIMITS: dict[str, Limit] = {
    # Create Custom Rewards
    "reward.title.max": Limit(create_reward_with(title=...), "x" * 45, "x" * 46),
    "reward.title.min": Limit(create_reward_with(title=...), "x", ""),
    "reward.cost.min": Limit(create_reward_with(cost=...), 1, 0),
    "reward.prompt.max": Limit(create_reward_with(prompt=...), "p" * 200, "p" * 201),
    "reward.max_per_stream.min": Limit(
        create_reward_with(is_max_per_stream_enabled=True, max_per_stream=...), 1, 0
    ),
    "reward.max_per_user_per_stream.min": Limit(
        create_reward_with(is_max_per_user_per_stream_enabled=True, max_per_user_per_stream=...),
        1,
        0,
    ),
    "reward.global_cooldown.min": Limit(
        create_reward_with(is_global_cooldown_enabled=True, global_cooldown_seconds=...), 1, 0
    ),
    "reward.global_cooldown.max": Limit(
        create_reward_with(is_global_cooldown_enabled=True, global_cooldown_seconds=...),
        604800,
        604801,
    ),
    "reward.background_color": Limit(create_reward_with(background_color=...), "#9147FF", "9147FF"),
    # Update Custom Reward: same limits
    "update.title.max": Limit(update_reward_with(title=...), "y" * 45, "y" * 46),
    "update.title.min": Limit(update_reward_with(title=...), "y", ""),
    "update.cost.min": Limit(update_reward_with(cost=...), 1, 0),
    "update.prompt.max": Limit(update_reward_with(prompt=...), "p" * 200, "p" * 201),
    "update.max_per_stream.min": Limit(
        update_reward_with(is_max_per_stream_enabled=True, max_per_stream=...), 1, 0
    ),
    "update.max_per_user_per_stream.min": Limit(
        update_reward_with(is_max_per_user_per_stream_enabled=True, max_per_user_per_stream=...),
        1,
        0,
    ),
    "update.global_cooldown.min": Limit(
        update_reward_with(is_global_cooldown_enabled=True, global_cooldown_seconds=...), 1, 0
    ),
    "update.global_cooldown.max": Limit(
        update_reward_with(is_global_cooldown_enabled=True, global_cooldown_seconds=...),
        604800,
        604801,
    ),
    # Get Custom Reward / Redemptions
    "get_rewards.ids": Limit(get_rewards_ids, 50, 51),
    "get_redemptions.first.max": Limit(get_redemptions_first, 50, 51),
    "get_redemptions.first.min": Limit(get_redemptions_first, 1, 0),
    "get_redemptions.ids": Limit(get_redemptions_ids, 50, 51),
    # Create Prediction / Get Predictions
    "prediction.title.max": Limit(prediction_with("title"), "t" * 45, "t" * 46),
    "prediction.outcomes.min": Limit(prediction_with("outcomes"), outcomes(2), outcomes(1)),
    "prediction.outcomes.max": Limit(prediction_with("outcomes"), outcomes(10), outcomes(11)),
    "prediction.outcome_title.max": Limit(
        prediction_with("outcomes"), outcomes(2, 25), outcomes(2, 26)
    ),
    "prediction.window.min": Limit(prediction_with("prediction_window"), 30, 29),
    "prediction.window.max": Limit(prediction_with("prediction_window"), 1800, 1801),
    "get_predictions.ids": Limit(get_predictions_ids, 25, 26),
    "get_predictions.first.max": Limit(get_predictions_first, 25, 26),
    "get_predictions.first.min": Limit(get_predictions_first, 1, 0),
    # Create Poll / Get Polls
    "poll.title.max": Limit(poll_with("title"), "t" * 60, "t" * 61),
    "poll.choices.min": Limit(poll_with("choices"), choices(2), choices(1)),
    "poll.choices.max": Limit(poll_with("choices"), choices(5), choices(6)),
    "poll.choice_title.max": Limit(poll_with("choices"), choices(2, 25), choices(2, 26)),
    "poll.duration.min": Limit(poll_with("duration"), 15, 14),
    "poll.duration.max": Limit(poll_with("duration"), 1800, 1801),
    "poll.points_per_vote.min": Limit(
        poll_with("channel_points_per_vote", channel_points_voting_enabled=True), 1, 0
    ),
    "poll.points_per_vote.max": Limit(
        poll_with("channel_points_per_vote", channel_points_voting_enabled=True),
        1_000_000,
        1_000_001,
    ),
    "get_polls.ids": Limit(get_polls_ids, 20, 21),
    "get_polls.first.max": Limit(get_polls_first, 20, 21),
    "get_polls.first.min": Limit(get_polls_first, 1, 0),
    # Users, streams, channels
    "get_users.id_plus_login": Limit(get_users_total, 100, 101),
    "get_streams.user_id": Limit(get_streams_user_ids, 100, 101),
    "get_streams.first.max": Limit(get_streams_first, 100, 101),
    "get_streams.first.min": Limit(get_streams_first, 1, 0),
    "get_channels.broadcaster_id": Limit(get_channels_ids, 100, 101),
}


@pytest.mark.parametrize("name", sorted(LIMITS))
async def test_just_inside_is_accepted(sim: Simulator, caster: Caster, name: str) -> None:
    reply = await LIMITS[name].send(sim, caster, LIMITS[name].inside)
    assert reply.status == 200, reply.body


@pytest.mark.parametrize("name", sorted(LIMITS))
async def test_just_outside_is_400_and_changes_nothing(
    sim: Simulator, caster: Caster, name: str
) -> None:
    limit = LIMITS[name]
    first = await limit.send(sim, caster, limit.outside)  # also runs the sender's setup once
    assert first.status == 400, first.body
    before = snapshot(sim, caster)
    events: list[DomainEvent] = []
    sim.state.add_listener(events.append)
    reply = await limit.send(sim, caster, limit.outside)
    assert reply.status == 400, reply.body
    assert set(reply.body) == {"error", "status", "message"}
    assert (reply.body["error"], reply.body["status"]) == ("Bad Request", 400)
    assert isinstance(reply.body["message"], str) and reply.body["message"]
    assert snapshot(sim, caster) == before
    assert events == []


async def test_fifty_rewards_per_channel(sim: Simulator, caster: Caster) -> None:
    for i in range(49):
        sim.state.create_reward(caster.id, CLIENT_ID, {"title": f"r{i}", "cost": 1})
    fiftieth = await caster.helix(
        "POST", REWARDS, params={"broadcaster_id": caster.id}, json_body={"title": "r49", "cost": 1}
    )
    assert fiftieth.status == 200
    before = snapshot(sim, caster)
    fifty_first = await caster.helix(
        "POST", REWARDS, params={"broadcaster_id": caster.id}, json_body={"title": "r50", "cost": 1}
    )
    assert fifty_first.status == 400
    assert fifty_first.body["error"] == "Bad Request"
    assert snapshot(sim, caster) == before


async def test_titles_are_unique(sim: Simulator, caster: Caster) -> None:
    sim.state.create_reward(caster.id, CLIENT_ID, {"title": "Same", "cost": 1})
    other = sim.state.create_reward(caster.id, CLIENT_ID, {"title": "Other", "cost": 1})
    before = snapshot(sim, caster)
    dup = await caster.helix(
        "POST",
        REWARDS,
        params={"broadcaster_id": caster.id},
        json_body={"title": "Same", "cost": 1},
    )
    assert dup.status == 400
    rename = await caster.helix(
        "PATCH",
        REWARDS,
        params={"broadcaster_id": caster.id, "id": other["id"]},
        json_body={"title": "Same"},
    )
    assert rename.status == 400
    assert snapshot(sim, caster) == before
    # Renaming a reward to its own title is not a clash.
    same = await caster.helix(
        "PATCH",
        REWARDS,
        params={"broadcaster_id": caster.id, "id": other["id"]},
        json_body={"title": "Other"},
    )
    assert same.status == 200


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"title": 5, "cost": 1}',
        b'{"title": "ok", "cost": "1"}',
        b'{"title": "ok", "cost": true}',
        b'{"title": "ok", "cost": 1, "is_enabled": "yes"}',
    ],
)
async def test_malformed_reward_bodies(sim: Simulator, caster: Caster, body: bytes) -> None:
    reply = await caster.helix(
        "POST",
        REWARDS,
        params={"broadcaster_id": caster.id},
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 400
    assert sim.state.channels[caster.id].rewards == {}
