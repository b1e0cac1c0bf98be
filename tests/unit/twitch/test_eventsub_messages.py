"""EventSub message handling without sockets: Twitch's documented examples in, typed events out."""

from __future__ import annotations

import gc
import json
from datetime import timedelta
from typing import Any

import pytest

from companion.twitch.errors import LimitError
from companion.twitch.eventsub import EventSubClient
from companion.twitch.eventsub_envelope import MalformedMessage
from companion.twitch.eventsub_messages import (
    APP_SUBSCRIPTION_TYPES,
    EventSubEvent,
    MessageFilter,
    MessageWindow,
    ServerClock,
    SubscriptionSpec,
    app_subscriptions,
    message_time,
    model_factory,
    parse_notification,
    parse_revocation,
    scopes_for,
)
from companion.twitch.eventsub_stream import Fanout
from companion.twitch.http import HTTPHandler
from companion.twitch.models.channel_points import CustomReward, CustomRewardRedemption
from companion.twitch.models.goals import Goal
from companion.twitch.models.polls import Poll
from companion.twitch.models.predictions import Prediction
from companion.twitch.models.users import BaseUser
from companion.twitch.timeutil import parse_timestamp
from companion.twitch.tokens import SimpleTokenHandler
from tests.helpers.reference import REFERENCE

REFERENCE = REFERENCE / "eventsub"


def load(name: str) -> Any:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


def envelope(payload: Any, message_id: str = "m-1") -> dict[str, Any]:
    """A documented ``channel.*.payload.json`` wrapped as a WebSocket notification."""
    sub = payload["subscription"]
    return {
        "metadata": {
            "message_id": message_id,
            "message_type": "notification",
            "message_timestamp": "2023-07-19T10:11:12.634234626Z",
            "subscription_type": sub["type"],
            "subscription_version": sub["version"],
        },
        "payload": payload,
    }


@pytest.fixture
def http() -> HTTPHandler:
    return HTTPHandler(SimpleTokenHandler("not-a-token", "not-a-client"))


# -- parsing ---------------------------------------------------------------------------------

MODEL_CASES = [
    ("channel.channel_points_custom_reward.add.payload.json", CustomReward, None),
    ("channel.channel_points_custom_reward.update.payload.json", CustomReward, None),
    ("channel.channel_points_custom_reward.remove.payload.json", CustomReward, None),
    (
        "channel.channel_points_custom_reward_redemption.add.payload.json",
        CustomRewardRedemption,
        "UNFULFILLED",
    ),
    (
        "channel.channel_points_custom_reward_redemption.update.payload.json",
        CustomRewardRedemption,
        "FULFILLED",
    ),
    ("channel.prediction.begin.payload.json", Prediction, "ACTIVE"),
    ("channel.prediction.progress.payload.twitch_api_corrected.json", Prediction, "ACTIVE"),
    ("channel.prediction.lock.payload.twitch_api_corrected.json", Prediction, "LOCKED"),
    ("channel.prediction.end.payload.twitch_api_corrected.json", Prediction, "RESOLVED"),
    ("channel.poll.begin.payload.json", Poll, "ACTIVE"),
    ("channel.poll.progress.payload.json", Poll, "ACTIVE"),
    ("channel.poll.end.payload.json", Poll, "COMPLETED"),
    ("channel.goal.begin.payload.json", Goal, None),
    ("channel.goal.progress.payload.json", Goal, None),
    ("channel.goal.end.payload.json", Goal, None),
]


@pytest.mark.parametrize(("name", "model_type", "status"), MODEL_CASES)
def test_documented_notifications_become_core_models(
    http: HTTPHandler, name: str, model_type: type, status: str | None
) -> None:
    message = envelope(load(name))
    metadata = message["metadata"]

    event = parse_notification(http, metadata, message["payload"], message_time(metadata))

    assert type(event.model) is model_type
    assert event.parse_error is None
    assert event.model.id == str(message["payload"]["event"]["id"])
    if status is not None:
        assert event.model.status == status
    assert event.subscription_type == metadata["subscription_type"]
    assert event.subscription_version == "1"
    assert event.message_id == "m-1"
    assert event.message_timestamp == parse_timestamp("2023-07-19T10:11:12.634234Z")
    assert event.payload is message["payload"]["event"]
    assert event.subscription is message["payload"]["subscription"]
    assert event.resync is False


def test_documented_follow_notification_parses_and_types_without_a_model_have_none(
    http: HTTPHandler,
) -> None:
    from companion.twitch.models.follows import FollowEvent

    message = load("ws.notification.channel_follow.json")
    metadata = message["metadata"]

    event = parse_notification(http, metadata, message["payload"], message_time(metadata))

    # channel.follow is routed to FollowEvent (the v1 example's event fields are v2's too).
    assert isinstance(event.model, FollowEvent)
    assert (event.model.from_user.id, event.model.to_user.id) == ("1337", "12826")
    assert event.model.followed_at == parse_timestamp("2023-07-15T18:16:11.17106713Z")
    assert event.parse_error is None
    assert event.payload == message["payload"]["event"]
    assert event.message_id == "befa7b53-d79d-478f-86b9-120f112b044e"
    assert model_factory("stream.online") is None
    assert model_factory("stream.offline") is None


def test_a_payload_the_model_rejects_is_still_delivered(http: HTTPHandler) -> None:
    payload = load("channel.channel_points_custom_reward_redemption.add.payload.json")
    del payload["event"]["reward"]
    message = envelope(payload)

    event = parse_notification(
        http, message["metadata"], payload, message_time(message["metadata"])
    )

    assert event.model is None
    assert event.parse_error is not None
    assert "reward" in event.parse_error
    assert event.payload is payload["event"]


def test_documented_revocation(http: HTTPHandler) -> None:
    message = load("ws.revocation.json")
    metadata = message["metadata"]

    revocation = parse_revocation(metadata, message["payload"], message_time(metadata))

    assert revocation.status == "authorization_revoked"
    assert revocation.subscription_type == "channel.follow"
    assert revocation.subscription_version == "1"
    assert revocation.message_id == "84c1e79a-2a4b-4c13-ba0b-4312293e9308"
    assert revocation.subscription["id"] == "f1c2a387-161a-49f9-a165-0f21d7a4e1c4"


# -- subscriptions ---------------------------------------------------------------------------


def test_subscription_body_matches_the_documented_websocket_request() -> None:
    spec = SubscriptionSpec("user.update", "1", {"user_id": "1234"})

    assert spec.body("AQoQexAWVYKSTIu4ec_2VAxyuhAB") == load(
        "create_subscription.websocket.request.json"
    )


def test_app_subscriptions_cover_every_panel() -> None:
    specs = app_subscriptions("1337")

    assert [s.type for s in specs] == list(APP_SUBSCRIPTION_TYPES)
    assert len(specs) == 17
    assert {s.version for s in specs} == {"1"}
    assert all(dict(s.condition) == {"broadcaster_user_id": "1337"} for s in specs)
    assert specs[0].type == "channel.channel_points_custom_reward_redemption.add"
    assert scopes_for(specs[0].type) == ("channel:read:redemptions", "channel:manage:redemptions")
    assert scopes_for("channel.goal.end") == ("channel:read:goals",)
    assert scopes_for("stream.online") == ()


def test_more_than_300_subscriptions_are_refused_before_connecting(http: HTTPHandler) -> None:
    specs = [
        SubscriptionSpec("channel.poll.begin", "1", {"broadcaster_user_id": str(i)})
        for i in range(301)
    ]

    with pytest.raises(LimitError) as caught:
        EventSubClient(http, BaseUser("1"), specs)

    assert caught.value.bound == 300
    assert caught.value.value == 301
    assert len(EventSubClient(http, BaseUser("1"), specs[:300]).subscriptions) == 300
    with pytest.raises(ValueError, match="nothing to subscribe"):
        EventSubClient(http, BaseUser("1"), [])
    with pytest.raises(ValueError, match="10-600"):
        EventSubClient(http, BaseUser("1"), keepalive_timeout=9)
    with pytest.raises(ValueError, match="10-600"):
        EventSubClient(http, BaseUser("1"), keepalive_timeout=601)


# -- at-least-once delivery ------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_remembers_ids_for_its_span_only() -> None:
    clock = FakeClock()
    window = MessageWindow(window=600, clock=clock)

    assert window.seen("a") is False
    clock.now += 599
    assert window.seen("a") is True
    assert window.seen("b") is False
    clock.now += 2  # "a" is now 601 s old, "b" 2 s
    assert window.seen("c") is False
    assert len(window) == 2  # "a" expired
    assert window.seen("a") is False
    assert window.seen("b") is True


def test_window_is_bounded() -> None:
    window = MessageWindow(window=600, max_entries=100, clock=FakeClock())

    for i in range(250):
        assert window.seen(f"id-{i}") is False

    assert len(window) == 100
    assert window.seen("id-249") is True
    assert window.seen("id-150") is True
    assert window.seen("id-149") is False  # evicted, oldest first


def test_filter_drops_resends_and_messages_older_than_ten_minutes() -> None:
    metadata = load("ws.notification.channel_follow.json")["metadata"]
    sent = parse_timestamp(metadata["message_timestamp"])
    clock = ServerClock()
    flt = MessageFilter(clock)

    clock.sync(sent + timedelta(seconds=599))  # Twitch's clock, whatever ours says
    assert flt.accept(metadata) == sent
    assert flt.accept(metadata) is None
    assert (flt.duplicates, flt.stale) == (1, 0)

    clock.sync(sent + timedelta(seconds=601))
    other = {**metadata, "message_id": "another"}
    assert flt.accept(other) is None
    assert (flt.duplicates, flt.stale) == (1, 1)
    assert (flt.duplicates, flt.stale) == (1, 1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"message_id": ""}, r"no message_id$"),
        ({"message_timestamp": None}, r"message_timestamp: missing$"),
        ({"message_timestamp": "soon"}, r"message_timestamp: not an RFC 3339 timestamp: 'soon'$"),
        (
            {"message_timestamp": "9999-12-31T23:59:59.9Z"},
            r"message_timestamp is \d{12} s ahead of Twitch's clock$",  # ~8000 years
        ),
        (
            {"message_timestamp": "9999-12-31T23:59:59-01:00"},
            r"message_timestamp: timestamp out of range: '9999-12-31T23:59:59-01:00'$",
        ),
    ],
)
def test_filter_refuses_messages_without_an_id_or_a_plausible_time(
    change: dict[str, Any], reason: str
) -> None:
    metadata = {**load("ws.notification.channel_follow.json")["metadata"], **change}
    clock = ServerClock()
    clock.sync(parse_timestamp("2022-11-16T10:11:12Z"))
    flt = MessageFilter(clock)
    with pytest.raises(MalformedMessage, match=reason):
        flt.accept(metadata)
    assert (flt.duplicates, flt.stale) == (0, 0)


def test_server_clock_ignores_a_welcome_from_year_9999() -> None:
    clock = ServerClock()
    clock.sync(parse_timestamp("2022-11-16T10:11:12Z"))
    offset = clock.offset
    clock.sync(parse_timestamp("9999-12-31T23:59:59Z"))
    clock.sync(None)
    assert clock.offset == offset


# -- streams ---------------------------------------------------------------------------------


def make_event(n: int) -> EventSubEvent:
    return EventSubEvent("t", "1", f"id-{n}", parse_timestamp("2024-01-01T00:00:00Z"), None, {})


async def test_streams_buffer_from_creation_and_end_after_their_backlog() -> None:
    fanout = Fanout()
    early = fanout.stream()
    fanout.put(make_event(1))
    late = fanout.stream()
    fanout.put(make_event(2))
    fanout.end()

    assert [e.message_id async for e in early] == ["id-1", "id-2"]
    assert [e.message_id async for e in late] == ["id-2"]
    assert [e async for e in fanout.stream()] == []


async def test_a_closed_or_dropped_stream_stops_receiving() -> None:
    fanout = Fanout()
    closed = fanout.stream()
    dropped = fanout.stream()
    kept = fanout.stream()
    closed.close()
    del dropped
    gc.collect()

    fanout.put(make_event(1))

    assert len(closed) == 0
    assert len(kept) == 1
    assert "streams=1" in repr(fanout)
