"""Twitch's "nothing here" spellings: ``""`` for a time, and ``data: []`` for one object.

* A time Twitch leaves out is ``null`` in some answers and ``""`` in others (a permanent ban's
  ``expires_at``, Get Bits Leaderboard's ``date_range``, a schedule's vacation). Every
  optional time of every model reads both as None, through the one parser
  (``parse_optional_timestamp`` behind ``Fields.opt_time``); no model parses times itself.
* An answer that should carry one object (Create Poll, Update Redemption Status, Ban User,
  ...) and carries ``data: []`` raises ``PayloadError`` saying the list is empty (it used to
  say "got null"). Each is driven over loopback against a scripted server.
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from companion.twitch import Client, PayloadError, parse_timestamp
from companion.twitch.models import CustomReward, CustomRewardRedemption, Poll, Prediction
from companion.twitch.timeutil import parse_optional_timestamp
from tests.helpers.reference import REFERENCE
from tests.helpers.twitch_recording import USER_ID, RecordingHandler
from tests.unit.twitch.seed_extras_cases import CASES, HTTP

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from tests.helpers.twitch_fakeserver import FakeTwitch, Recorded, TokenInfo

MODELS = Path("companion/twitch/models")


def _helix(name: str) -> Any:
    return json.loads((REFERENCE / "helix" / name).read_text(encoding="utf-8"))


# -- the one parser ---------------------------------------------------------------------------


def test_the_one_parser_reads_empty_and_null_as_none() -> None:
    assert parse_optional_timestamp("") is None
    assert parse_optional_timestamp(None) is None
    text = "2020-07-15T17:16:03.17106713Z"
    assert parse_optional_timestamp(text) == parse_timestamp(text)
    with pytest.raises(ValueError, match="not an RFC 3339"):
        parse_optional_timestamp(" ")


def test_models_never_parse_times_themselves() -> None:
    # Every model reads times through Fields.time/opt_time (models/_payload.py), so "" and
    # nanoseconds are handled in one place.
    parsers = {"parse_timestamp", "parse_optional_timestamp", "fromisoformat", "strptime"}
    found = []
    for path in sorted(MODELS.glob("*.py")):
        if path.name == "_payload.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "attr", None) or getattr(node, "id", None)
            if name in parsers:
                found.append(f"{path.name}:{node.lineno} {name}")  # type: ignore[attr-defined]
    assert found == []


#: (what, parser, documented payload, where the time sits, how the model shows it)
OPTIONAL_TIMES: list[tuple[str, Callable[[Any], Any], Any, tuple[Any, ...], str]] = [
    ("UserBan.expires_at", *CASES["user_ban"], ("expires_at",), "expires_at"),
    ("BanEvent.expires_at", *CASES["ban_event"], ("end_time",), "expires_at"),
    (
        "BitsLeaderboard.started_at",
        *CASES["bits_leaderboard"],
        ("date_range", "started_at"),
        "started_at",
    ),
    (
        "BitsLeaderboard.ended_at",
        *CASES["bits_leaderboard"],
        ("date_range", "ended_at"),
        "ended_at",
    ),
    ("HypeTrainEvent.expiry", *CASES["hype_train"], ("expires_at",), "expiry"),
    (
        "ScheduleSegment.end_time",
        *CASES["schedule"],
        ("data", "segments", 0, "end_time"),
        "segments.0.end_time",
    ),
    (
        "ScheduleSegment.canceled_until",
        *CASES["schedule"],
        ("data", "segments", 0, "canceled_until"),
        "segments.0.canceled_until",
    ),
    (
        "ScheduleVacation.start_time",
        *CASES["schedule"],
        ("data", "vacation"),
        "vacation.start_time",
    ),
    (
        "CustomReward.cooldown_until",
        lambda d: CustomReward(HTTP, d),
        _helix("get_custom_reward.response.json")["data"][0],
        ("cooldown_expires_at",),
        "cooldown_until",
    ),
    (
        "Poll.ended_at",
        lambda d: Poll(HTTP, d),
        _helix("end_poll.response.json")["data"][0],
        ("ended_at",),
        "ended_at",
    ),
    (
        "Prediction.ended_at",
        lambda d: Prediction(HTTP, d),
        _helix("end_prediction.response.json")["data"][0],
        ("ended_at",),
        "ended_at",
    ),
    (
        "Prediction.locked_at",
        lambda d: Prediction(HTTP, d),
        _helix("end_prediction.response.json")["data"][0],
        ("locked_at",),
        "locked_at",
    ),
]

WHEN = "2021-03-02T16:00:00Z"


def _set(payload: Any, where: tuple[Any, ...], value: Any) -> Any:
    data = copy.deepcopy(payload)
    node = data
    for step in where[:-1]:
        node = node[step]
    if where[-1] == "vacation":
        # The vacation object itself: both of its times.
        node["vacation"] = {"start_time": value, "end_time": WHEN}
    else:
        node[where[-1]] = value
    return data


def _read(model: Any, attr: str) -> Any:
    for step in attr.split("."):
        model = model[int(step)] if step.isdigit() else getattr(model, step)
    return model


@pytest.mark.parametrize(
    ("parse", "payload", "where", "attr"),
    [pytest.param(*case[1:], id=case[0]) for case in OPTIONAL_TIMES],
)
@pytest.mark.parametrize("empty", ["", None])
def test_every_optional_time_reads_empty_as_none(
    parse: Callable[[Any], Any], payload: Any, where: tuple[Any, ...], attr: str, empty: Any
) -> None:
    present = _read(parse(_set(payload, where, WHEN)), attr)
    assert present == parse_timestamp(WHEN)
    assert _read(parse(_set(payload, where, empty)), attr) is None


def test_a_vacation_with_two_empty_times_is_no_vacation() -> None:
    parse, payload = CASES["schedule"]
    data = copy.deepcopy(payload)
    data["data"]["vacation"] = {"start_time": "", "end_time": ""}
    assert parse(data).vacation is None
    data["data"]["vacation"] = None
    assert parse(data).vacation is None
    data["data"]["vacation"] = {"start_time": WHEN, "end_time": "2021-03-09T16:00:00Z"}
    vacation = parse(data).vacation
    assert (vacation.start_time, vacation.end_time) == (
        parse_timestamp(WHEN),
        parse_timestamp("2021-03-09T16:00:00Z"),
    )


def test_a_time_of_the_wrong_type_is_still_refused() -> None:
    parse, payload = CASES["user_ban"]
    with pytest.raises(PayloadError) as caught:
        parse(_set(payload, ("expires_at",), 5))
    assert str(caught.value) == "ban.expires_at: expected a string, got int"
    assert caught.value.field == "ban.expires_at"


# -- one object expected, none sent ------------------------------------------------------------

EXTRA_SCOPES = [
    "channel:manage:redemptions",
    "channel:manage:predictions",
    "channel:manage:polls",
    "moderator:manage:banned_users",
    "moderator:read:chat_settings",
    "channel:manage:broadcast",
    "channel:manage:raids",
    "channel:read:hype_train",
]


@pytest.fixture
async def wide_client(fake: FakeTwitch) -> AsyncIterator[Client]:
    access, refresh = fake.issue(USER_ID, EXTRA_SCOPES, login="torpedo09")
    tw = Client(
        RecordingHandler(access, refresh),
        helix_url=fake.helix_url,
        oauth_url=fake.oauth_url,
        retry_base_delay=0.01,
    )
    yield tw
    await tw.close()


def _reward(client: Client) -> CustomReward:
    return CustomReward(client.http, _helix("get_custom_reward.response.json")["data"][0])


def _redemption(client: Client) -> CustomRewardRedemption:
    data = _helix("get_custom_reward_redemption.response.json")["data"][0]
    return CustomRewardRedemption(client.http, data)


#: what -> (the object's name in the message, the call, the path it sends to)
ONE_OBJECT_CALLS: dict[str, tuple[str, Callable[[Client], Awaitable[Any]], str]] = {
    "create_custom_reward": (
        "custom reward",
        lambda c: c.create_user(USER_ID).create_custom_reward("Hydrate", 100),
        "/helix/channel_points/custom_rewards",
    ),
    "CustomReward.edit": (
        "custom reward",
        lambda c: _reward(c).edit(cost=5),
        "/helix/channel_points/custom_rewards",
    ),
    "CustomRewardRedemption.fulfill": (
        "redemption",
        lambda c: _redemption(c).fulfill(),
        "/helix/channel_points/custom_rewards/redemptions",
    ),
    "create_prediction": (
        "prediction",
        lambda c: c.create_user(USER_ID).create_prediction("Win?", ["Yes", "No"], 60),
        "/helix/predictions",
    ),
    "end_prediction": (
        "prediction",
        lambda c: c.create_user(USER_ID).end_prediction("p1", "CANCELED"),
        "/helix/predictions",
    ),
    "create_poll": (
        "poll",
        lambda c: c.create_user(USER_ID).create_poll("Heads?", ["Yes", "No"], 60),
        "/helix/polls",
    ),
    "end_poll": (
        "poll",
        lambda c: c.create_user(USER_ID).end_poll("p1", "TERMINATED"),
        "/helix/polls",
    ),
    "ban_user": ("ban", lambda c: c.create_user(USER_ID).ban_user("42"), "/helix/moderation/bans"),
    "fetch_chat_settings": (
        "chat settings object",
        lambda c: c.create_user(USER_ID).fetch_chat_settings(),
        "/helix/chat/settings",
    ),
    "create_marker": (
        "marker",
        lambda c: c.create_user(USER_ID).create_marker("here"),
        "/helix/streams/markers",
    ),
    "start_raid": ("raid", lambda c: c.create_user(USER_ID).start_raid("42"), "/helix/raids"),
    "fetch_hype_train": (
        "hype train status",
        lambda c: c.create_user(USER_ID).fetch_hype_train(),
        "/helix/hypetrain/status",
    ),
}


@pytest.mark.parametrize("what", sorted(ONE_OBJECT_CALLS))
async def test_an_empty_data_list_says_so(fake: FakeTwitch, wide_client: Client, what: str) -> None:
    noun, call, path = ONE_OBJECT_CALLS[what]

    async def empty(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        return web.json_response({"data": []})

    fake.helix_handler = empty
    with pytest.raises(PayloadError) as caught:
        await call(wide_client)
    assert str(caught.value) == f"data: expected one {noun} in data, got an empty list"
    assert caught.value.field == "data"
    assert [r.path for r in fake.helix] == [path]  # sent once, not retried
