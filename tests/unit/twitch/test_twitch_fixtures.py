"""Every documented Helix and EventSub example parses into its model with the right values."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from companion.twitch import SimpleTokenHandler
from companion.twitch.errors import HTTPException
from companion.twitch.http import HTTPHandler
from companion.twitch.models import (
    ChannelInfo,
    CustomReward,
    CustomRewardRedemption,
    Goal,
    MaybeActiveExtension,
    PartialUser,
    Poll,
    Prediction,
    Stream,
    User,
)
from companion.twitch.models.extensions import parse_active_extensions
from tests.helpers.reference import REFERENCE

if TYPE_CHECKING:
    from pathlib import Path

HELIX = REFERENCE / "helix"
EVENTSUB = REFERENCE / "eventsub"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def helix(name: str) -> Any:
    return load(HELIX / name)


def event(name: str) -> Any:
    return load(EVENTSUB / name)["event"]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def http() -> HTTPHandler:
    return HTTPHandler(SimpleTokenHandler("unused", "client"))


# Every response example must be claimed by a test below (so a new fixture cannot be missed).
HELIX_RESPONSES = {
    "create_custom_rewards.response.json",
    "create_poll.response.json",
    "create_prediction.response.json",
    "end_poll.response.json",
    "end_prediction.response.json",
    "get_channel_information.response.json",
    "get_creator_goals.response.json",
    "get_custom_reward.by_id.response.json",
    "get_custom_reward.only_manageable.response.json",
    "get_custom_reward.response.json",
    "get_custom_reward_redemption.by_id.response.json",
    "get_custom_reward_redemption.response.json",
    "get_polls.response.json",
    "get_predictions.response.json",
    "get_streams.by_login.response.json",
    "get_streams.response.json",
    "get_user_active_extensions.response.json",
    "get_user_extensions.response.json",
    "get_users.response.json",
    "update_custom_reward.response.json",
    "update_custom_reward.title.response.json",
    "update_redemption_status.response.json",
    "update_user_extensions.response.json",
}


def test_every_helix_response_example_is_covered() -> None:
    assert {p.name for p in HELIX.glob("*.response.json")} == HELIX_RESPONSES


# -- channel points ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "get_custom_reward.response.json",
        "get_custom_reward.only_manageable.response.json",
        "get_custom_reward.by_id.response.json",
    ],
)
def test_get_custom_reward_examples(http: HTTPHandler, name: str) -> None:
    (data,) = helix(name)["data"]
    reward = CustomReward(http, data)
    assert reward.id == "92af127c-7326-4483-a52b-b0da0be61c01"
    assert reward.broadcaster.id == "274637212"
    assert reward.broadcaster.name == "torpedo09"
    # The only_manageable and by_id examples lack broadcaster_login.
    expected_login = "torpedo09" if name == "get_custom_reward.response.json" else None
    assert reward.broadcaster.login == expected_login
    assert reward.title == "game analysis"
    assert reward.prompt is None  # "" becomes None
    assert reward.cost == 50000
    assert reward.background_color == "#00E5CB"
    assert reward.enabled is True
    assert reward.input_required is False
    assert reward.max_per_stream == (False, 0)
    assert reward.max_per_user_stream == (False, 0)
    assert reward.global_cooldown == (False, 0)
    assert reward.paused is False
    assert reward.in_stock is True
    assert reward.redemptions_skip_queue is False
    assert reward.redemptions_current_stream is None
    assert reward.cooldown_until is None
    assert reward.custom_image is None
    assert reward.image is not None
    assert reward.image.url_4x == "https://static-cdn.jtvnw.net/custom-reward-images/default-4.png"


def test_create_custom_rewards_example(http: HTTPHandler) -> None:
    reward = CustomReward(http, helix("create_custom_rewards.response.json")["data"][0])
    assert reward.id == "afaa7e34-6b17-49f0-a19a-d1e76eaaf673"
    assert reward.title == "game analysis 1v1"
    assert reward.cost == 50000


def test_update_custom_reward_examples(http: HTTPHandler) -> None:
    disabled = CustomReward(http, helix("update_custom_reward.response.json")["data"][0])
    assert disabled.enabled is False
    assert disabled.cost == 30000
    assert disabled.title == "game analysis 2v2"
    assert disabled.max_per_stream == (True, 60)
    assert disabled.in_stock is False
    retitled = CustomReward(http, helix("update_custom_reward.title.response.json")["data"][0])
    assert retitled.title == "game analysis 2v2"
    assert retitled.background_color is None  # documented as ""
    assert retitled.redemptions_skip_queue is True
    assert retitled.redemptions_current_stream == 60


@pytest.mark.parametrize(
    "name",
    [
        "get_custom_reward_redemption.response.json",
        "get_custom_reward_redemption.by_id.response.json",
        "update_redemption_status.response.json",
    ],
)
def test_redemption_examples(http: HTTPHandler, name: str) -> None:
    redemption = CustomRewardRedemption(http, helix(name)["data"][0])
    assert redemption.id == "17fa2df1-ad76-4804-bfa5-a40ef63efe63"
    assert redemption.status == "CANCELED"
    assert redemption.user.id == "274637212"
    assert redemption.user.name == "torpedo09"
    # The by_id example lacks user_login.
    assert redemption.user.login == (None if "by_id" in name else "torpedo09")
    assert redemption.input is None
    assert redemption.redeemed_at == utc(2020, 7, 1, 18, 37, 32)
    assert redemption.reward.id == "92af127c-7326-4483-a52b-b0da0be61c01"
    assert redemption.reward.title == "game analysis"
    assert redemption.reward.cost == 50000
    assert redemption.broadcaster.id == "274637212"


def test_redemption_keeps_its_parent_reward(http: HTTPHandler) -> None:
    reward = CustomReward(http, helix("get_custom_reward.response.json")["data"][0])
    data = helix("get_custom_reward_redemption.response.json")["data"][0]
    assert CustomRewardRedemption(http, data, reward).reward is reward


# -- predictions, polls, goals -------------------------------------------------------------


def test_get_predictions_example(http: HTTPHandler) -> None:
    prediction = Prediction(http, helix("get_predictions.response.json")["data"][0])
    assert prediction.id == "d6676d5c-c86e-44d2-bfc4-100fb48f0656"
    assert prediction.broadcaster.id == "55696719"
    assert prediction.user.login == "twitchdev"
    assert prediction.title == "Will there be any leaks today?"
    assert prediction.status == "ACTIVE"
    assert prediction.winning_outcome_id is None
    assert prediction.prediction_window == 600
    assert prediction.created_at == utc(2021, 4, 28, 16, 3, 6, 320848)
    assert prediction.ended_at is None
    assert prediction.locked_at is None
    assert [(o.title, o.color, o.users, o.channel_points) for o in prediction.outcomes] == [
        ("Yes", "BLUE", 0, 0),
        ("No", "PINK", 0, 0),
    ]
    assert prediction.outcomes[0].top_predictors == []


def test_create_and_end_prediction_examples(http: HTTPHandler) -> None:
    created = Prediction(http, helix("create_prediction.response.json")["data"][0])
    assert created.title == "Any leeks in the stream?"
    assert created.prediction_window == 120
    assert [o.title for o in created.outcomes] == ["Yes, give it time.", "Definitely not."]
    ended = Prediction(http, helix("end_prediction.response.json")["data"][0])
    assert ended.status == "RESOLVED"
    assert ended.winning_outcome_id == "73085848-a94d-4040-9d21-2cb7a89374b7"
    assert ended.locked_at == utc(2021, 4, 28, 21, 48, 34, 636685)
    assert ended.ended_at == utc(2021, 4, 28, 21, 54, 24, 26833)


@pytest.mark.parametrize("name", ["get_polls.response.json", "create_poll.response.json"])
def test_poll_examples(http: HTTPHandler, name: str) -> None:
    poll = Poll(http, helix(name)["data"][0])
    assert poll.id == "ed961efd-8a3f-4cf5-a9d0-e616c590cd2a"
    assert poll.title == "Heads or Tails?"
    assert poll.status == "ACTIVE"
    assert poll.duration == 1800
    assert poll.started_at == utc(2021, 3, 19, 6, 8, 33, 871278)
    assert poll.ended_at is None  # the examples omit it
    assert [(c.title, c.votes, c.channel_points_votes, c.bits_votes) for c in poll.choices] == [
        ("Heads", 0, 0, 0),
        ("Tails", 0, 0, 0),
    ]
    enabled = name == "create_poll.response.json"
    assert poll.channel_points_voting_enabled is enabled
    assert poll.channel_points_per_vote == (100 if enabled else 0)
    assert poll.bits_voting_enabled is False


def test_end_poll_example(http: HTTPHandler) -> None:
    poll = Poll(http, helix("end_poll.response.json")["data"][0])
    assert poll.status == "TERMINATED"
    assert poll.ended_at == utc(2021, 3, 19, 6, 11, 26, 746889)


def test_goals_example(http: HTTPHandler) -> None:
    goal = Goal(http, helix("get_creator_goals.response.json")["data"][0])
    assert goal.id == "1woowvbkiNv8BRxEWSqmQz6Zk92"
    assert goal.type == "follower"
    assert goal.description == "Follow goal for Helix testing"
    assert (goal.current_amount, goal.target_amount) == (27062, 30000)
    assert goal.created_at == utc(2021, 8, 16, 17, 22, 23)
    assert goal.broadcaster.name == "TwitchDev"


# -- extensions, users, streams, channels --------------------------------------------------


def test_user_extensions_example() -> None:
    extensions = [
        MaybeActiveExtension(x) for x in helix("get_user_extensions.response.json")["data"]
    ]
    assert [e.name for e in extensions] == [
        "Streamlabs Leaderboard",
        "Prime Subscription and Loot Reminder",
        "TopClip",
        "Streamlabs",
        "Dev Experience Test",
    ]
    assert extensions[4].types == ["component", "mobile", "panel", "overlay"]
    assert extensions[2].version == "1.1.0"
    assert all(e.can_activate for e in extensions)


@pytest.mark.parametrize(
    "name", ["get_user_active_extensions.response.json", "update_user_extensions.response.json"]
)
def test_active_extensions_examples(name: str) -> None:
    active = parse_active_extensions(helix(name))
    assert sorted(active) == ["component", "overlay", "panel"]
    assert [e.name for e in active["panel"].values()] == [
        "TopClip",
        "Streamlabs Leaderboard",
        "Streamlabs Stream Schedule & Countdown",
    ]
    assert list(active["panel"]) == ["1", "2", "3"]
    assert active["overlay"]["1"].id == "zfh2irvx2jb4s60f02jq0ajm8vwgka"
    component = active["component"]["1"]
    assert (component.id, component.x, component.y, component.active) == (
        "lqnf3zxk0rv0g7gq92mtmnirjz2cjj",
        0,
        0,
        True,
    )
    empty = active["component"]["2"]
    assert (empty.active, empty.id, empty.version) == (False, None, None)


def test_users_example(http: HTTPHandler) -> None:
    user = User(http, helix("get_users.response.json")["data"][0])
    assert (user.id, user.login, user.display_name) == ("141981764", "twitchdev", "TwitchDev")
    assert user.type is None  # ""
    assert user.broadcaster_type == "partner"
    assert user.email == "not-real@email.com"
    assert user.created_at == utc(2016, 12, 14, 20, 32, 28)
    assert isinstance(user, PartialUser)


def test_streams_examples(http: HTTPHandler) -> None:
    stream = Stream(http, helix("get_streams.response.json")["data"][0])
    assert stream.id == "123456789"
    assert (stream.user.id, stream.user.login) == ("98765", "sandysanderman")
    assert stream.game_name == "Little Nightmares"
    assert stream.viewer_count == 78365
    assert stream.tags == ["Español"]
    assert stream.started_at == utc(2021, 3, 10, 15, 4, 21)
    by_login = Stream(http, helix("get_streams.by_login.response.json")["data"][0])
    assert (by_login.user.login, by_login.viewer_count) == ("afro", 1490)


def test_channel_information_example(http: HTTPHandler) -> None:
    info = ChannelInfo(http, helix("get_channel_information.response.json")["data"][0])
    assert info.user.id == "141981764"
    assert info.title == "TwitchDev Monthly Update // May 6, 2021"
    assert info.game_name == "Science & Technology"
    assert info.delay == 0
    assert info.tags == ["DevsInTheKnow"]
    assert info.classification_labels == ["Gambling", "DrugsIntoxication", "MatureGame"]
    assert info.is_branded_content is False


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("error.ban_user_already_banned.400.json", "user is already banned"),
        ("error.unban_user_not_banned.400.json", "user is not banned"),
    ],
)
def test_error_examples_have_the_three_documented_keys(name: str, message: str) -> None:
    body = helix(name)
    assert body == {"error": "Bad Request", "status": 400, "message": message}
    err = HTTPException(body["status"], None, body, body["message"])
    assert str(err) == f"400: {message}"


# -- EventSub payloads ---------------------------------------------------------------------

EVENTSUB_CHANNEL_PAYLOADS = sorted(p.name for p in EVENTSUB.glob("channel.*.payload*.json"))


def test_every_eventsub_channel_payload_is_covered() -> None:
    covered = {
        *REWARD_EVENTS,
        *REDEMPTION_EVENTS,
        *PREDICTION_EVENTS,
        *POLL_EVENTS,
        *GOAL_EVENTS,
    }
    assert covered == set(EVENTSUB_CHANNEL_PAYLOADS)


REWARD_EVENTS = [
    "channel.channel_points_custom_reward.add.payload.json",
    "channel.channel_points_custom_reward.update.payload.json",
    "channel.channel_points_custom_reward.remove.payload.json",
    "channel.channel_points_custom_reward.remove.payload.twitch_api_corrected.json",
]


@pytest.mark.parametrize("name", REWARD_EVENTS)
def test_reward_events(http: HTTPHandler, name: str) -> None:
    reward = CustomReward.from_eventsub(http, event(name))
    assert reward.id == "9001"
    assert (reward.broadcaster.id, reward.broadcaster.login) == ("1337", "cool_user")
    assert reward.title == "Cool Reward"
    assert reward.cost == 100
    assert reward.prompt == "reward prompt"
    assert reward.input_required is True
    assert reward.max_per_stream == (True, 1000)
    assert reward.max_per_user_stream == (True, 1000)
    assert reward.global_cooldown == (True, 1000)
    assert reward.background_color == "#FA1ED2"
    assert reward.image is not None
    assert reward.image.url_1x == "https://static-cdn.jtvnw.net/image-1.png"
    if ".add." not in name:  # update and remove carry the live counters
        assert reward.redemptions_current_stream == 123
        micros = 634234 if ".update." in name else 123000
        assert reward.cooldown_until == utc(2019, 11, 16, 10, 11, 12, micros)
    else:
        assert reward.redemptions_current_stream is None
        assert reward.cooldown_until is None


REDEMPTION_EVENTS = {
    "channel.channel_points_custom_reward_redemption.add.payload.json": "UNFULFILLED",
    "channel.channel_points_custom_reward_redemption.update.payload.json": "FULFILLED",
}


@pytest.mark.parametrize(("name", "status"), sorted(REDEMPTION_EVENTS.items()))
def test_redemption_events(http: HTTPHandler, name: str, status: str) -> None:
    redemption = CustomRewardRedemption.from_eventsub(http, event(name))
    assert redemption.id == "17fa2df1-ad76-4804-bfa5-a40ef63efe63"
    assert redemption.status == status  # lower-case in EventSub, Helix spelling here
    assert redemption.broadcaster.id == "1337"
    assert (redemption.user.id, redemption.user.login) == ("9001", "cooler_user")
    assert redemption.input == "pogchamp"
    assert redemption.reward.id == "92af127c-7326-4483-a52b-b0da0be61c01"
    assert redemption.reward.cost == 100
    assert redemption.redeemed_at == utc(2020, 7, 15, 17, 16, 3, 171067)


PREDICTION_EVENTS = {
    "channel.prediction.begin.payload.json": "ACTIVE",
    "channel.prediction.progress.payload.json": "ACTIVE",
    "channel.prediction.progress.payload.twitch_api_corrected.json": "ACTIVE",
    "channel.prediction.lock.payload.json": "LOCKED",
    "channel.prediction.lock.payload.twitch_api_corrected.json": "LOCKED",
    "channel.prediction.end.payload.json": "RESOLVED",
    "channel.prediction.end.payload.twitch_api_corrected.json": "RESOLVED",
}


@pytest.mark.parametrize(("name", "status"), sorted(PREDICTION_EVENTS.items()))
def test_prediction_events(http: HTTPHandler, name: str, status: str) -> None:
    prediction = Prediction.from_eventsub(http, event(name))
    assert prediction.id == "1243456"
    assert prediction.status == status
    assert prediction.title == "Aren\u2019t shoes just really hard socks?"
    assert prediction.created_at == utc(2020, 7, 15, 17, 16, 3, 171067)
    assert [o.color for o in prediction.outcomes] == ["BLUE", "PINK"]
    if ".begin." in name or ".progress." in name:
        assert prediction.prediction_window == 300
        assert prediction.locks_at == utc(2020, 7, 15, 17, 21, 3, 171067)
    if ".progress." in name:
        first, second = prediction.outcomes
        assert (first.users, first.channel_points) == (10, 15000)
        assert (second.users, second.channel_points) == (None, None)  # omitted in the example
        # The docs example has an integer user_id (twitchdev/issues#390): read as text.
        assert second.top_predictors[0].user.id == "12345"
        assert second.top_predictors[0].channel_points_used == 5000
    if ".lock." in name:
        assert prediction.locked_at == utc(2020, 7, 15, 17, 21, 3, 171067)
    if ".end." in name:
        assert prediction.winning_outcome_id == "12345"
        assert prediction.ended_at == utc(2020, 7, 15, 17, 16, 11, 171067)
        winners = prediction.outcomes[0].top_predictors
        assert [(p.user.login, p.channel_points_won) for p in winners] == [
            ("cool_user", 10000),
            ("coolest_user", 5000),
        ]
        assert [p.user.id for p in prediction.outcomes[1].top_predictors] == ["12345", "1337"]
        assert prediction.outcomes[1].top_predictors[0].channel_points_won is None


POLL_EVENTS = {
    "channel.poll.begin.payload.json": "ACTIVE",
    "channel.poll.progress.payload.json": "ACTIVE",
    "channel.poll.end.payload.json": "COMPLETED",
}


@pytest.mark.parametrize(("name", "status"), sorted(POLL_EVENTS.items()))
def test_poll_events(http: HTTPHandler, name: str, status: str) -> None:
    poll = Poll.from_eventsub(http, event(name))
    assert poll.id == "1243456"
    assert poll.status == status
    assert poll.broadcaster.name == "Cool_User"
    assert [c.id for c in poll.choices] == ["123", "124", "125"]
    assert poll.channel_points_voting_enabled is True
    assert poll.channel_points_per_vote == 10
    assert (poll.bits_voting_enabled, poll.bits_per_vote) == (True, 10)
    if ".begin." in name:
        assert [c.votes for c in poll.choices] == [None, None, None]
        assert poll.duration == 5
    if ".progress." in name:
        assert [c.votes for c in poll.choices] == [12, 14, 7]
    if ".end." in name:
        assert [c.votes for c in poll.choices] == [120, 140, 80]
        assert [c.title for c in poll.choices] == ["Blue", "Yellow", "Green"]
        assert poll.ended_at == utc(2020, 7, 15, 17, 16, 11, 171067)
        assert poll.duration is None  # the end event does not say what was configured


GOAL_EVENTS = {
    "channel.goal.begin.payload.json": (100, None),
    "channel.goal.progress.payload.json": (120, None),
    "channel.goal.end.payload.json": (180, False),
}


@pytest.mark.parametrize(("name", "expected"), sorted(GOAL_EVENTS.items()))
def test_goal_events(http: HTTPHandler, name: str, expected: tuple[int, bool | None]) -> None:
    goal = Goal.from_eventsub(http, event(name))
    assert goal.type == "subscription"
    assert goal.description == "Help me get partner!"
    assert (goal.current_amount, goal.is_achieved) == expected
    assert goal.target_amount == 220
    assert goal.created_at == utc(2021, 7, 15, 17, 16, 3, 171067)
    assert goal.broadcaster.id == "141981764"
    if ".end." in name:
        assert goal.ended_at == utc(2020, 7, 16, 17, 16, 3, 171067)


def test_eventsub_follow_goal_reads_as_helix_follower(http: HTTPHandler) -> None:
    data = {**event("channel.goal.begin.payload.json"), "type": "follow"}
    assert Goal.from_eventsub(http, data).type == "follower"
