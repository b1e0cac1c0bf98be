"""Every EventSub notification type, driven by real state changes, against Twitch's examples.

Each ``twitch-reference/eventsub/*.payload*.json`` file is replayed: the matching state change
is made in the simulator, the notification is read off the socket, and its ``payload`` must
have exactly the example's keys (recursively) and JSON types. Types may also be any type that
another example of the same family shows at the same path (one example has
``cooldown_expires_at: null``, another a string; the doc examples have integer user ids that
the corrected copies spell as strings).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.helpers.eventsub_ws import (
    CLIENT_ID,
    EVENTSUB_REFERENCE,
    EventSubHarness,
    collect_types,
    load_reference,
    shape_mismatches,
)

PAYLOAD_FILES = sorted(p.name for p in EVENTSUB_REFERENCE.glob("*.payload*.json"))


def _type_of(file_name: str) -> str:
    return file_name.split(".payload", 1)[0]


def _family(type_name: str) -> str:
    return type_name.rsplit(".", 1)[0]


def _family_types() -> dict[str, dict[str, set[str]]]:
    families: dict[str, dict[str, set[str]]] = {}
    for name in PAYLOAD_FILES:
        collect_types(load_reference(name), "", families.setdefault(_family(_type_of(name)), {}))
    return families


FAMILY_TYPES = _family_types()
#: Where the reference is silent and the simulator's Helix data legitimately differs.
EXTRA_TYPES: dict[str, dict[str, set[str]]] = {
    # Helix serves `image: null` for a reward without a custom image; the EventSub examples all
    # show an uploaded image. The simulator passes null through.
    "channel.channel_points_custom_reward": {".event.image": {"null"}},
}


# ---------------------------------------------------------------------------- scenarios

Trigger = Callable[[], Any]


async def _setup(sim: EventSubHarness, type_name: str) -> tuple[dict[str, str], Trigger]:
    """Prepares state for ``type_name``; returns the reward id (if any) and the trigger."""
    state, b, viewer = sim.state, sim.broadcaster_id, sim.viewer_id
    ctx: dict[str, str] = {}
    short = type_name.removeprefix("channel.")

    if short == "channel_points_custom_reward.add":
        return ctx, lambda: sim.create_reward("Cool Reward", prompt="reward prompt")
    if short.startswith("channel_points_custom_reward."):
        reward = sim.create_reward("Cool Reward", prompt="reward prompt")
        ctx["reward_id"] = reward["id"]
        if short.endswith("update"):
            return ctx, lambda: state.update_reward(
                b,
                CLIENT_ID,
                reward["id"],
                {"is_global_cooldown_enabled": True, "global_cooldown_seconds": 60},
            )
        return ctx, lambda: state.delete_reward(b, CLIENT_ID, reward["id"])
    if short.startswith("channel_points_custom_reward_redemption."):
        reward = sim.create_reward("title", prompt="reward prompt", is_user_input_required=True)
        ctx["reward_id"] = reward["id"]
        if short.endswith("add"):
            return ctx, lambda: state.redeem(b, reward["id"], viewer, "pogchamp")
        red = state.redeem(b, reward["id"], viewer, "pogchamp")
        return ctx, lambda: state.update_redemptions(
            b, CLIENT_ID, reward["id"], [red["id"]], "FULFILLED"
        )
    if short.startswith("prediction."):
        body = {
            "title": "Aren't shoes just really hard socks?",
            "outcomes": [{"title": "Yeah!"}, {"title": "No!"}],
            "prediction_window": 300,
        }
        if short == "prediction.begin":
            return ctx, lambda: state.create_prediction(b, body)
        pred = state.create_prediction(b, body)
        yeah, no = (o["id"] for o in pred["outcomes"])
        if short == "prediction.progress":
            return ctx, lambda: state.predict(pred["id"], viewer, yeah, 500)
        state.predict(pred["id"], viewer, yeah, 500)
        state.predict(pred["id"], b, no, 200)
        if short == "prediction.lock":
            return ctx, lambda: state.end_prediction(b, {"id": pred["id"], "status": "LOCKED"})
        return ctx, lambda: state.end_prediction(
            b, {"id": pred["id"], "status": "RESOLVED", "winning_outcome_id": yeah}
        )
    if short.startswith("poll."):
        body = {
            "title": "Heads or Tails?",
            "choices": [{"title": "Yeah!"}, {"title": "No!"}, {"title": "Maybe!"}],
            "duration": 60,
            "channel_points_voting_enabled": True,
            "channel_points_per_vote": 10,
        }
        if short == "poll.begin":
            return ctx, lambda: state.create_poll(b, body)
        poll = state.create_poll(b, body)
        first = poll["choices"][0]["id"]
        if short == "poll.progress":
            return ctx, lambda: state.vote(poll["id"], first, 3)
        state.vote(poll["id"], first, 3)
        return ctx, lambda: state.end_poll(b, {"id": poll["id"], "status": "TERMINATED"})
    if short.startswith("goal."):
        if short == "goal.begin":
            return ctx, lambda: state.create_goal(b, "subscription", "Help me get partner!", 220)
        goal = state.create_goal(b, "subscription", "Help me get partner!", 220, 100)
        if short == "goal.progress":
            return ctx, lambda: state.goal_progress(goal["id"], 20)
        return ctx, lambda: state.end_goal(goal["id"])
    raise AssertionError(f"no scenario for {type_name}")


async def _notification_for(
    sim: EventSubHarness, type_name: str, condition_keys: set[str]
) -> tuple[str, dict[str, Any]]:
    ctx, trigger = await _setup(sim, type_name)
    peer, session_id = await sim.connect_welcomed()
    condition = {"broadcaster_user_id": sim.broadcaster_id}
    if "reward_id" in condition_keys:
        condition["reward_id"] = ctx["reward_id"]
    status, body = await sim.subscribe(session_id, type_name, condition)
    assert status == 202, body
    result = trigger()
    if isinstance(result, Awaitable):
        await result
    return session_id, await peer.recv_notification()


@pytest.fixture
async def sim() -> AsyncIterator[EventSubHarness]:
    async with EventSubHarness() as harness:
        harness.hub.welcome_window_seconds = 30
        yield harness


@pytest.mark.parametrize("file_name", PAYLOAD_FILES)
async def test_payload_matches_documented_example(sim: EventSubHarness, file_name: str) -> None:
    example = load_reference(file_name)
    type_name = _type_of(file_name)
    session_id, message = await _notification_for(
        sim, type_name, set(example["subscription"]["condition"])
    )

    metadata = message["metadata"]
    follow = load_reference("ws.notification.channel_follow.json")
    assert set(metadata) == set(follow["metadata"])
    assert metadata["message_type"] == "notification"
    assert metadata["subscription_type"] == type_name
    assert metadata["subscription_version"] == "1"

    # Over WebSocket the transport is {method, session_id} (the examples show a webhook).
    documented = dict(example)
    documented["subscription"] = {
        **example["subscription"],
        "transport": follow["payload"]["subscription"]["transport"],
    }
    allowed = {**FAMILY_TYPES[_family(type_name)]}
    for path, types in EXTRA_TYPES.get(_family(type_name), {}).items():
        allowed[path] = allowed.get(path, set()) | types
    assert shape_mismatches(message["payload"], documented, allowed) == []

    subscription = message["payload"]["subscription"]
    assert subscription["transport"] == {"method": "websocket", "session_id": session_id}
    assert subscription["status"] == "enabled"
    assert subscription["type"] == type_name
    assert message["payload"]["event"]["broadcaster_user_id"] == sim.broadcaster_id
    assert message["payload"]["event"]["broadcaster_user_login"] == "caster"
    assert message["payload"]["event"]["broadcaster_user_name"] == "Caster"


async def _event(sim: EventSubHarness, type_name: str) -> dict[str, Any]:
    _, message = await _notification_for(sim, type_name, set())
    event: dict[str, Any] = message["payload"]["event"]
    return event


async def test_redemption_event_values(sim: EventSubHarness) -> None:
    event = await _event(sim, "channel.channel_points_custom_reward_redemption.add")
    assert event["status"] == "unfulfilled"
    assert event["user_id"] == sim.viewer_id
    assert event["user_login"] == "viewer"
    assert event["user_name"] == "Viewer_One"
    assert event["user_input"] == "pogchamp"
    assert event["reward"]["title"] == "title"
    assert event["reward"]["cost"] == 100
    assert event["reward"]["prompt"] == "reward prompt"


async def test_redemption_update_is_lower_case(sim: EventSubHarness) -> None:
    event = await _event(sim, "channel.channel_points_custom_reward_redemption.update")
    assert event["status"] == "fulfilled"


async def test_reward_update_uses_eventsub_spellings(sim: EventSubHarness) -> None:
    event = await _event(sim, "channel.channel_points_custom_reward.update")
    assert event["global_cooldown"] == {"is_enabled": True, "seconds": 60}
    assert event["max_per_stream"] == {"is_enabled": False, "value": 0}
    assert event["max_per_user_per_stream"] == {"is_enabled": False, "value": 0}
    assert "global_cooldown_setting" not in event


async def test_prediction_values(sim: EventSubHarness) -> None:
    begin = await _event(sim, "channel.prediction.begin")
    assert [o["color"] for o in begin["outcomes"]] == ["blue", "pink"]
    assert [o["title"] for o in begin["outcomes"]] == ["Yeah!", "No!"]
    # locks_at = started_at + prediction_window (300 s).
    from companion.sim.eventsub_payloads import parse_rfc3339_ns

    window = parse_rfc3339_ns(begin["locks_at"]) - parse_rfc3339_ns(begin["started_at"])
    assert window == 300 * 1_000_000_000


async def test_prediction_end_values(sim: EventSubHarness) -> None:
    end = await _event(sim, "channel.prediction.end")
    assert end["status"] == "resolved"
    winner = next(o for o in end["outcomes"] if o["id"] == end["winning_outcome_id"])
    assert winner["title"] == "Yeah!"
    assert winner["top_predictors"][0]["user_id"] == sim.viewer_id
    assert winner["top_predictors"][0]["channel_points_used"] == 500
    assert winner["top_predictors"][0]["channel_points_won"] == 700


async def test_prediction_progress_has_null_points_won(sim: EventSubHarness) -> None:
    progress = await _event(sim, "channel.prediction.progress")
    predictors = [p for o in progress["outcomes"] for p in o["top_predictors"]]
    assert [p["channel_points_won"] for p in predictors] == [None]
    assert progress["outcomes"][0]["users"] == 1
    assert progress["outcomes"][0]["channel_points"] == 500


async def test_poll_values(sim: EventSubHarness) -> None:
    end = await _event(sim, "channel.poll.end")
    assert end["status"] == "terminated"
    assert end["choices"][0]["votes"] == 3
    assert end["channel_points_voting"] == {"is_enabled": True, "amount_per_vote": 10}
    assert end["bits_voting"] == {"is_enabled": False, "amount_per_vote": 0}


async def test_goal_end_values(sim: EventSubHarness) -> None:
    end = await _event(sim, "channel.goal.end")
    assert end["type"] == "subscription"
    assert end["current_amount"] == 100
    assert end["target_amount"] == 220
    assert end["is_achieved"] is False


async def test_follower_goal_is_spelled_follow(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, "channel.goal.begin"))[0] == 202
    sim.state.create_goal(sim.broadcaster_id, "follower", "Follow goal", 30)
    message = await peer.recv_notification()
    assert message["payload"]["event"]["type"] == "follow"


async def test_stream_online_and_offline(sim: EventSubHarness) -> None:
    # No documented example exists for these two in twitch-reference; the keys are those of
    # the EventSub reference's Stream Online/Offline event tables.
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, "stream.online"))[0] == 202
    assert (await sim.subscribe(session_id, "stream.offline"))[0] == 202
    stream = sim.state.set_stream_live(sim.broadcaster_id, True)
    assert stream is not None
    online = await peer.recv_notification()
    sim.state.set_stream_live(sim.broadcaster_id, False)
    offline = await peer.recv_notification()

    assert online["metadata"]["subscription_type"] == "stream.online"
    event = dict(online["payload"]["event"])
    started_at = event.pop("started_at")
    assert event == {
        "id": stream["id"],
        "broadcaster_user_id": sim.broadcaster_id,
        "broadcaster_user_login": "caster",
        "broadcaster_user_name": "Caster",
        "type": "live",
    }
    # The same instant: Helix in whole seconds, EventSub with its nanoseconds.
    assert stream["started_at"].endswith("Z") and len(stream["started_at"]) == 20
    assert started_at.startswith(stream["started_at"][:-1] + ".")
    assert offline["metadata"]["subscription_type"] == "stream.offline"
    assert offline["payload"]["event"] == {
        "broadcaster_user_id": sim.broadcaster_id,
        "broadcaster_user_login": "caster",
        "broadcaster_user_name": "Caster",
    }


async def test_reward_id_condition_filters(sim: EventSubHarness) -> None:
    wanted = sim.create_reward("Wanted")
    other = sim.create_reward("Other")
    peer, session_id = await sim.connect_welcomed()
    status, _ = await sim.subscribe(
        session_id,
        "channel.channel_points_custom_reward_redemption.add",
        {"broadcaster_user_id": sim.broadcaster_id, "reward_id": wanted["id"]},
    )
    assert status == 202
    sim.state.redeem(sim.broadcaster_id, other["id"], sim.viewer_id)
    sim.state.redeem(sim.broadcaster_id, wanted["id"], sim.viewer_id)
    message = await peer.recv_notification()
    assert message["payload"]["event"]["reward"]["id"] == wanted["id"]
    await peer.expect_silence(0.2)


async def test_other_channels_events_are_not_delivered(sim: EventSubHarness) -> None:
    other_id = str(sim.state.create_user("othercaster", "OtherCaster", "partner")["id"])
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, "channel.goal.begin"))[0] == 202
    sim.state.create_goal(other_id, "follower", "not ours", 10)
    await peer.expect_silence(0.2)
