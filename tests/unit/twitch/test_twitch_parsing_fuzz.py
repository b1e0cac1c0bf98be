"""Parsers never crash: missing, null, extra and wrongly-typed fields give a model or a
PayloadError, never anything else. Plus timestamps and the limits table."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion.twitch import SimpleTokenHandler, limits
from companion.twitch.errors import LimitError, PayloadError
from companion.twitch.http import HTTPHandler
from companion.twitch.models import (
    ChannelInfo,
    CustomReward,
    CustomRewardRedemption,
    Goal,
    MaybeActiveExtension,
    Poll,
    Prediction,
    Stream,
    User,
)
from companion.twitch.models.extensions import parse_active_extensions
from companion.twitch.timeutil import format_timestamp, parse_timestamp
from tests.helpers.reference import REFERENCE

if TYPE_CHECKING:
    from collections.abc import Callable

HTTP = HTTPHandler(SimpleTokenHandler("unused", "client"))


def _load(path: str) -> Any:
    return json.loads((REFERENCE / path).read_text(encoding="utf-8"))


def _helix_item(name: str) -> Any:
    return _load(f"helix/{name}")["data"][0]


def _event(name: str) -> Any:
    return _load(f"eventsub/{name}")["event"]


# (parser, a documented payload it accepts)
CASES: dict[str, tuple[Callable[[Any], object], Any]] = {
    "reward": (lambda d: CustomReward(HTTP, d), _helix_item("get_custom_reward.response.json")),
    "reward_event": (
        lambda d: CustomReward.from_eventsub(HTTP, d),
        _event("channel.channel_points_custom_reward.update.payload.json"),
    ),
    "redemption": (
        lambda d: CustomRewardRedemption(HTTP, d),
        _helix_item("get_custom_reward_redemption.response.json"),
    ),
    "redemption_event": (
        lambda d: CustomRewardRedemption.from_eventsub(HTTP, d),
        _event("channel.channel_points_custom_reward_redemption.add.payload.json"),
    ),
    "prediction": (lambda d: Prediction(HTTP, d), _helix_item("end_prediction.response.json")),
    "prediction_event": (
        lambda d: Prediction.from_eventsub(HTTP, d),
        _event("channel.prediction.end.payload.json"),
    ),
    "poll": (lambda d: Poll(HTTP, d), _helix_item("end_poll.response.json")),
    "poll_event": (lambda d: Poll.from_eventsub(HTTP, d), _event("channel.poll.end.payload.json")),
    "goal": (lambda d: Goal(HTTP, d), _helix_item("get_creator_goals.response.json")),
    "goal_event": (lambda d: Goal.from_eventsub(HTTP, d), _event("channel.goal.end.payload.json")),
    "user": (lambda d: User(HTTP, d), _helix_item("get_users.response.json")),
    "stream": (lambda d: Stream(HTTP, d), _helix_item("get_streams.response.json")),
    "channel": (
        lambda d: ChannelInfo(HTTP, d),
        _helix_item("get_channel_information.response.json"),
    ),
    "extension": (MaybeActiveExtension, _helix_item("get_user_extensions.response.json")),
    "active_extensions": (
        parse_active_extensions,
        _load("helix/get_user_active_extensions.response.json"),
    ),
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "2021-13-40T99:99:99Z", "2020-07-15T17:16:03.17106713Z", "ACTIVE"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found.extend(_paths(item, (*prefix, index)))
    return found


def _apply(payload: Any, path: tuple[Any, ...], op: str, value: Any) -> None:
    parent = payload
    try:
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if op == "delete":
            del parent[last]
        elif op == "null":
            parent[last] = None
        elif op == "replace":
            parent[last] = value
        elif op == "extra" and isinstance(parent, dict):
            parent[f"extra_{last}"] = value
    except (KeyError, IndexError, TypeError):
        pass  # an earlier mutation removed this path


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_payloads_give_a_model_or_payload_error(case: str, data: st.DataObject) -> None:
    parse, original = CASES[case]
    payload = copy.deepcopy(original)
    paths = _paths(payload)
    mutations = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(paths),
                st.sampled_from(["delete", "null", "replace", "extra"]),
                json_values,
            ),
            min_size=1,
            max_size=4,
        )
    )
    for path, op, value in mutations:
        _apply(payload, path, op, value)
    with contextlib.suppress(PayloadError):
        parse(payload)


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=30, deadline=None)
@given(payload=json_values)
def test_arbitrary_json_gives_a_model_or_payload_error(case: str, payload: Any) -> None:
    parse, _original = CASES[case]
    with contextlib.suppress(PayloadError):
        parse(payload)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_unmutated_payload_parses(case: str) -> None:
    parse, original = CASES[case]
    assert parse(copy.deepcopy(original)) is not None


def test_missing_required_field_names_the_field() -> None:
    data = _helix_item("end_prediction.response.json")
    del data["outcomes"][1]["title"]
    with pytest.raises(PayloadError) as caught:
        Prediction(HTTP, data)
    assert caught.value.field == "prediction.outcomes[1].title"


def test_boolean_is_not_an_integer() -> None:
    data = _helix_item("get_custom_reward.response.json")
    data["cost"] = True
    with pytest.raises(PayloadError, match=r"reward\.cost: expected an integer, got bool"):
        CustomReward(HTTP, data)


# -- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-07-01T18:37:32Z", datetime(2020, 7, 1, 18, 37, 32, tzinfo=UTC)),
        ("2020-07-15T17:16:03.17106713Z", datetime(2020, 7, 15, 17, 16, 3, 171067, tzinfo=UTC)),
        ("2021-04-28T16:03:06.320848689Z", datetime(2021, 4, 28, 16, 3, 6, 320848, tzinfo=UTC)),
        ("2019-11-16T10:11:12.1Z", datetime(2019, 11, 16, 10, 11, 12, 100000, tzinfo=UTC)),
        ("2021-03-19T08:08:33+02:00", datetime(2021, 3, 19, 6, 8, 33, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text", ["", "2020-07-01", "2020-07-01T18:37:32", "2020-13-01T00:00:00Z", "x"]
)
def test_parse_timestamp_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_timestamp(text)


@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
        ),
    ),
    nanos=st.integers(min_value=0, max_value=999),
)
def test_timestamps_round_trip_and_nanoseconds_truncate(moment: datetime, nanos: int) -> None:
    text = format_timestamp(moment)
    assert parse_timestamp(text) == moment
    with_nanos = text.replace("Z", "").split(".")[0] + f".{moment.microsecond:06d}{nanos:03d}Z"
    assert parse_timestamp(with_nanos) == moment


# -- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "ok", "too_small", "too_big"),
    [
        (limits.REWARD_TITLE, "x" * 45, "", "x" * 46),
        (limits.REWARD_COST, 1, 0, None),
        (limits.REWARD_PROMPT, "x" * 200, None, "x" * 201),
        (limits.REWARD_GLOBAL_COOLDOWN, 604_800, 0, 604_801),
        (limits.PREDICTION_TITLE, "x" * 45, "", "x" * 46),
        (limits.PREDICTION_OUTCOMES, ["a", "b"], ["a"], ["a"] * 11),
        (limits.PREDICTION_OUTCOME_TITLE, "x" * 25, "", "x" * 26),
        (limits.PREDICTION_WINDOW, 30, 29, 1801),
        (limits.POLL_TITLE, "x" * 60, "", "x" * 61),
        (limits.POLL_CHOICES, ["a"] * 5, ["a"], ["a"] * 6),
        (limits.POLL_CHOICE_TITLE, "x" * 25, "", "x" * 26),
        (limits.POLL_DURATION, 1800, 14, 1801),
        (limits.POLL_CHANNEL_POINTS_PER_VOTE, 1_000_000, 0, 1_000_001),
        (limits.REDEMPTION_IDS_PER_CALL, ["a"] * 50, [], ["a"] * 51),
        (limits.REWARDS_PER_CHANNEL, ["r"] * 50, None, ["r"] * 51),
        (limits.USER_IDS_PER_CALL, ["u"] * 100, None, ["u"] * 101),
    ],
)
def test_limit_bounds(limit: limits.Limit, ok: Any, too_small: Any, too_big: Any) -> None:
    assert limit.check(ok) is ok
    assert limit.ok(ok)
    for bad, bound in ((too_small, limit.minimum), (too_big, limit.maximum)):
        if bad is None:
            continue
        with pytest.raises(LimitError) as caught:
            limit.check(bad)
        assert isinstance(caught.value, ValueError)
        assert (caught.value.limit, caught.value.bound) == (limit.name, bound)
        assert limit.name in str(caught.value)
        assert not limit.ok(bad)


def test_limit_table_is_one_table_with_sources() -> None:
    assert all(name == lim.name for name, lim in limits.LIMITS.items())
    assert all(lim.source for lim in limits.LIMITS.values())
    assert limits.LIMITS["redemptions_page_size"].default == 20
    assert limits.check_reward_title("ok") == "ok"
    with pytest.raises(LimitError, match="prediction_outcome_title"):
        limits.check_prediction_outcomes(["fine", "x" * 26])
    with pytest.raises(TypeError):
        limits.REWARD_COST.check(True)
