"""Pure parts of the EventSub hub: timestamps, keepalive clamp, Helix -> EventSub mapping."""

from __future__ import annotations

import json
from typing import Any

import pytest

from companion.sim.events import EVENT_KINDS
from companion.sim.eventsub import clamp_keepalive
from companion.sim.eventsub_payloads import (
    KIND_TO_TYPE,
    SUBSCRIPTION_TYPES,
    build_event,
    format_rfc3339_ns,
    parse_rfc3339_ns,
    reward_id_of,
)
from companion.sim.eventsub_session import (
    keepalive_message,
    notification_message,
    reconnect_message,
    revocation_message,
    welcome_message,
)
from tests.helpers.reference import REFERENCE

HELIX = REFERENCE / "helix"


def _helix(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HELIX / name).read_text(encoding="utf-8"))["data"][0]
    return data


def _no_users(user_id: str) -> tuple[str, str] | None:
    return None


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (1_563_210_963_171_067_130, "2019-07-15T17:16:03.17106713Z"),
        (1_573_899_072_634_234_626, "2019-11-16T10:11:12.634234626Z"),
        # A whole second keeps one digit: every documented EventSub time has a fraction.
        (1_629_134_543_000_000_000, "2021-08-16T17:22:23.0Z"),
        (1_629_134_543_000_000_001, "2021-08-16T17:22:23.000000001Z"),
    ],
)
def test_timestamps_use_nanoseconds_without_trailing_zeros(ns: int, text: str) -> None:
    assert format_rfc3339_ns(ns) == text
    assert parse_rfc3339_ns(text) == ns


def test_parse_accepts_offsets_and_rejects_garbage() -> None:
    assert parse_rfc3339_ns("2021-08-16T19:22:23+02:00") == 1_629_134_543_000_000_000
    with pytest.raises(ValueError):
        parse_rfc3339_ns("2021-08-16T17:22:23.1234567890Z")
    with pytest.raises(ValueError):
        parse_rfc3339_ns("yesterday")


@pytest.mark.parametrize(
    ("raw", "value"),
    [(None, 10), ("10", 10), ("9", 10), ("0", 10), ("601", 600), ("30.6", 31), ("abc", None)],
)
def test_clamp_keepalive(raw: str | None, value: int | None) -> None:
    assert clamp_keepalive(raw) == value


def test_every_state_kind_but_revocation_has_a_type() -> None:
    assert set(KIND_TO_TYPE) == EVENT_KINDS - {"authorization.revoked"}
    assert set(KIND_TO_TYPE.values()) == set(SUBSCRIPTION_TYPES)


def test_reward_mapping_from_helix_fixture() -> None:
    reward = _helix("create_custom_rewards.response.json")
    event = build_event("reward.add", reward, "274637212", _no_users)
    assert event["broadcaster_user_id"] == "274637212"
    assert event["broadcaster_user_login"] == "torpedo09"
    assert event["max_per_stream"] == {"is_enabled": False, "value": 0}
    assert event["max_per_user_per_stream"] == {"is_enabled": False, "value": 0}
    assert event["global_cooldown"] == {"is_enabled": False, "seconds": 0}
    assert event["image"] is None
    assert event["default_image"]["url_4x"].endswith("default-4.png")
    assert "max_per_stream_setting" not in event
    assert reward_id_of("reward.add", reward) == reward["id"]


def test_redemption_mapping_from_helix_fixture() -> None:
    redemption = _helix("get_custom_reward_redemption.response.json")
    event = build_event("redemption.update", redemption, "274637212", _no_users)
    assert event["status"] == "canceled"
    assert event["reward"] == redemption["reward"]
    assert event["redeemed_at"] == "2020-07-01T18:37:32Z"
    assert reward_id_of("redemption.update", redemption) == redemption["reward"]["id"]


def test_prediction_mapping_from_helix_fixture() -> None:
    prediction = _helix("get_predictions.response.json")
    begin = build_event("prediction.begin", prediction, "55696719", _no_users)
    assert [o["color"] for o in begin["outcomes"]] == ["blue", "pink"]
    assert set(begin["outcomes"][0]) == {"id", "title", "color"}
    assert begin["started_at"] == "2021-04-28T16:03:06.320848689Z"
    assert begin["locks_at"] == "2021-04-28T16:13:06.320848689Z"
    progress = build_event("prediction.progress", prediction, "55696719", _no_users)
    assert progress["outcomes"][0]["top_predictors"] == []  # Helix null -> empty list
    ended = build_event("prediction.end", _helix("end_prediction.response.json"), "1", _no_users)
    assert ended["status"] == "resolved"
    assert ended["ended_at"] == "2021-04-28T21:54:24.026833954Z"


def test_poll_mapping_from_helix_fixture() -> None:
    poll = _helix("end_poll.response.json")
    begin = build_event("poll.begin", poll, "141981764", _no_users)
    assert begin["choices"] == [{"id": c["id"], "title": c["title"]} for c in poll["choices"]]
    assert begin["ends_at"] == "2021-03-19T06:38:33.871278372Z"
    assert begin["channel_points_voting"] == {"is_enabled": True, "amount_per_vote": 100}
    end = build_event("poll.end", poll, "141981764", _no_users)
    assert end["status"] == "terminated"
    assert end["ended_at"] == poll["ended_at"]


def test_goal_mapping_from_helix_fixture() -> None:
    goal = _helix("get_creator_goals.response.json")
    progress = build_event("goal.progress", goal, "141981764", _no_users)
    assert progress["type"] == "follow"
    assert progress["started_at"] == "2021-08-16T17:22:23Z"
    end = build_event("goal.end", goal, "141981764", _no_users)
    assert end["is_achieved"] is False
    assert "is_achieved" not in progress


def test_missing_names_come_from_the_user_lookup() -> None:
    event = build_event(
        "stream.offline", {"broadcaster_id": "42"}, "42", lambda uid: ("login42", "Name42")
    )
    assert event == {
        "broadcaster_user_id": "42",
        "broadcaster_user_login": "login42",
        "broadcaster_user_name": "Name42",
    }


def test_unknown_kind_raises() -> None:
    with pytest.raises(KeyError):
        build_event("follow.add", {}, "1", _no_users)


def test_messages_are_valid_json_with_documented_metadata() -> None:
    welcome = json.loads(welcome_message("sid", "2023-07-19T14:56:51.616329898Z", 10))
    keepalive = json.loads(keepalive_message())
    reconnect = json.loads(reconnect_message("sid", "2023-07-19T14:56:51Z", "ws://x/ws?r=1"))
    note = json.loads(notification_message("stream.offline", "1", '{"id":"s"}', '{"a":"\u2019"}'))
    revoked = json.loads(revocation_message("stream.offline", "1", '{"id":"s"}'))

    assert welcome["metadata"]["message_type"] == "session_welcome"
    assert keepalive["payload"] == {}
    assert reconnect["payload"]["session"]["keepalive_timeout_seconds"] is None
    assert note["payload"] == {"subscription": {"id": "s"}, "event": {"a": "\u2019"}}
    assert note["metadata"]["subscription_type"] == "stream.offline"
    assert revoked["payload"] == {"subscription": {"id": "s"}}
    assert note["metadata"]["message_id"] != revoked["metadata"]["message_id"]
