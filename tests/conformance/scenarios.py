"""One state change per panel EventSub type, made in the simulator, in an order that works.

The panel types are the ones the app itself subscribes to
(``companion.twitch.eventsub_messages.APP_SUBSCRIPTION_TYPES``): rewards, redemptions,
predictions, polls, goals and the stream going on and off line. Each step makes exactly one
notification of its type (deleting a reward with waiting redemptions would also update them,
so the reward is deleted once its one redemption is fulfilled).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from companion.twitch.eventsub_messages import APP_SUBSCRIPTION_TYPES
from tests.conformance.conftest import CLIENT_ID

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.conformance.conftest import World

PANEL_TYPES: tuple[str, ...] = APP_SUBSCRIPTION_TYPES

Step = tuple[str, "Callable[[World, dict[str, Any]], Awaitable[None]]"]


async def _online(w: World, ctx: dict[str, Any]) -> None:
    stream = await w.call(w.state.set_stream_live, w.broadcaster_id, True, viewer_count=7)
    ctx["stream_id"] = stream["id"]


async def _reward_add(w: World, ctx: dict[str, Any]) -> None:
    body = {"title": "Hydrate", "cost": 100, "prompt": "Drink some water"}
    ctx["reward"] = await w.call(w.state.create_reward, w.broadcaster_id, CLIENT_ID, body)


async def _reward_update(w: World, ctx: dict[str, Any]) -> None:
    await w.call(
        w.state.update_reward, w.broadcaster_id, CLIENT_ID, ctx["reward"]["id"], {"cost": 150}
    )


async def _redemption_add(w: World, ctx: dict[str, Any]) -> None:
    ctx["redemption"] = await w.call(
        w.state.redeem, w.broadcaster_id, ctx["reward"]["id"], w.viewers[0]
    )


async def _redemption_update(w: World, ctx: dict[str, Any]) -> None:
    await w.call(
        w.state.update_redemptions,
        w.broadcaster_id,
        CLIENT_ID,
        ctx["reward"]["id"],
        [ctx["redemption"]["id"]],
        "FULFILLED",
    )


async def _reward_remove(w: World, ctx: dict[str, Any]) -> None:
    # Its one redemption is FULFILLED by now, so deleting it updates no redemption.
    ctx["removed_reward_id"] = ctx["reward"]["id"]
    await w.call(w.state.delete_reward, w.broadcaster_id, CLIENT_ID, ctx["reward"]["id"])


async def _prediction_begin(w: World, ctx: dict[str, Any]) -> None:
    body = {
        "title": "Win?",
        "outcomes": [{"title": "Yes"}, {"title": "No"}],
        "prediction_window": 60,
    }
    ctx["prediction"] = await w.call(w.state.create_prediction, w.broadcaster_id, body)


async def _prediction_progress(w: World, ctx: dict[str, Any]) -> None:
    yes = ctx["prediction"]["outcomes"][0]["id"]
    await w.call(w.state.predict, ctx["prediction"]["id"], w.viewers[1], yes, 250)


async def _prediction_lock(w: World, ctx: dict[str, Any]) -> None:
    body = {"id": ctx["prediction"]["id"], "status": "LOCKED"}
    await w.call(w.state.end_prediction, w.broadcaster_id, body)


async def _prediction_end(w: World, ctx: dict[str, Any]) -> None:
    yes = ctx["prediction"]["outcomes"][0]["id"]
    body = {"id": ctx["prediction"]["id"], "status": "RESOLVED", "winning_outcome_id": yes}
    await w.call(w.state.end_prediction, w.broadcaster_id, body)


async def _poll_begin(w: World, ctx: dict[str, Any]) -> None:
    body = {"title": "Next game?", "choices": [{"title": "Chess"}, {"title": "Go"}], "duration": 60}
    ctx["poll"] = await w.call(w.state.create_poll, w.broadcaster_id, body)


async def _poll_progress(w: World, ctx: dict[str, Any]) -> None:
    await w.call(w.state.vote, ctx["poll"]["id"], ctx["poll"]["choices"][1]["id"], 3)


async def _poll_end(w: World, ctx: dict[str, Any]) -> None:
    body = {"id": ctx["poll"]["id"], "status": "TERMINATED"}
    await w.call(w.state.end_poll, w.broadcaster_id, body)


async def _goal_begin(w: World, ctx: dict[str, Any]) -> None:
    ctx["goal"] = await w.call(w.state.create_goal, w.broadcaster_id, "follower", "Followers", 10)


async def _goal_progress(w: World, ctx: dict[str, Any]) -> None:
    await w.call(w.state.goal_progress, ctx["goal"]["id"], 4)


async def _goal_end(w: World, ctx: dict[str, Any]) -> None:
    await w.call(w.state.end_goal, ctx["goal"]["id"])


async def _offline(w: World, ctx: dict[str, Any]) -> None:
    await w.call(w.state.set_stream_live, w.broadcaster_id, False)


_REDEMPTION = "channel.channel_points_custom_reward_redemption"
_REWARD = "channel.channel_points_custom_reward"

#: The panel types in an order whose changes each make one notification.
STEPS: tuple[Step, ...] = (
    ("stream.online", _online),
    (f"{_REWARD}.add", _reward_add),
    (f"{_REWARD}.update", _reward_update),
    (f"{_REDEMPTION}.add", _redemption_add),
    (f"{_REDEMPTION}.update", _redemption_update),
    (f"{_REWARD}.remove", _reward_remove),
    ("channel.prediction.begin", _prediction_begin),
    ("channel.prediction.progress", _prediction_progress),
    ("channel.prediction.lock", _prediction_lock),
    ("channel.prediction.end", _prediction_end),
    ("channel.poll.begin", _poll_begin),
    ("channel.poll.progress", _poll_progress),
    ("channel.poll.end", _poll_end),
    ("channel.goal.begin", _goal_begin),
    ("channel.goal.progress", _goal_progress),
    ("channel.goal.end", _goal_end),
    ("stream.offline", _offline),
)

assert sorted(t for t, _ in STEPS) == sorted(PANEL_TYPES), "a panel type has no step"
