"""A Helix redemption read by its fast path equals the same item read through Fields.

``CustomRewardRedemption(http, item)`` reads plain items in one function
(``_read_plain``) and hands everything else to the general reader (``_read`` over
:class:`Fields`). Here both readers get the documented item, the simulator's, and those
items with any one field (or two) deleted, nulled or replaced by a value of another type or
form; the model built (or the PayloadError raised: message and field) must be the same.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.twitch import SimpleTokenHandler
from companion.twitch.errors import PayloadError
from companion.twitch.http import HTTPHandler
from companion.twitch.models import CustomReward, CustomRewardRedemption, PartialCustomReward
from companion.twitch.models._payload import Fields
from tests.helpers.reference import REFERENCE

if TYPE_CHECKING:
    from companion.twitch.models.users import PartialUser

HTTP = HTTPHandler(SimpleTokenHandler("unused", "client"))

DOCUMENTED: dict[str, Any] = json.loads(
    (REFERENCE / "helix/get_custom_reward_redemption.response.json").read_text("utf-8")
)["data"][0]
# What the simulator sends (ids of its own kind, a viewer's input, whole seconds).
SIMULATED: dict[str, Any] = {
    "broadcaster_id": "100000001",
    "broadcaster_login": "pagecaster",
    "broadcaster_name": "PageCaster",
    "id": "d7e11b1b-7aa6-440d-8800-7596a28f5b37",
    "user_id": "100000002",
    "user_login": "pv0",
    "user_name": "PV0",
    "user_input": "play the song",
    "status": "UNFULFILLED",
    "redeemed_at": "2026-12-06T05:09:54.123456789Z",
    "reward": {
        "id": "6b0404f2-b094-40b8-ab01-a1c12a3a2107",
        "title": "Bench",
        "prompt": None,
        "cost": 1,
    },
}
FIELDS = [key for key in SIMULATED if key != "reward"]
REWARD_FIELDS = ["id", "title", "prompt", "cost"]

ODD_VALUES: list[Any] = [
    None,
    "",
    "x",
    "cancelled",
    0,
    12345,
    -1,
    True,
    1.5,
    [],
    {},
    {"id": "r"},
    "2020-07-01T18:37:32Z",
    "2020-07-01T20:37:32+02:00",
    "2020-07-01t18:37:32z",
    "2020-02-30T18:37:32Z",
    "2020-07-01T18:37:32",
]
odd_values = st.sampled_from(ODD_VALUES)
PATHS = FIELDS + [f"reward.{k}" for k in REWARD_FIELDS] + ["reward"]


def _general(payload: Any, parent: CustomReward | None = None) -> CustomRewardRedemption:
    redemption = CustomRewardRedemption.__new__(CustomRewardRedemption)
    redemption._http = HTTP
    redemption._read(Fields(payload, "redemption"), parent, eventsub=False)
    return redemption


def _user(user: PartialUser) -> tuple[Any, ...]:
    return type(user), user.id, user.login, user.name, user._http


def _snapshot(read: Any) -> tuple[Any, ...]:
    """Everything a model holds, with types (so "" vs None and str vs int show)."""
    try:
        r = read()
    except PayloadError as exc:
        return ("refused", str(exc), exc.field)
    reward = r.reward
    return (
        type(r.id),
        r.id,
        _user(r.broadcaster),
        _user(r.user),
        r.input,
        r.status,
        r.redeemed_at,
        r.redeemed_at.tzinfo is UTC,
        type(reward),
        reward.id,
        reward.title,
        reward.prompt,
        reward.cost,
        type(reward.cost),
        r._http,
    )


def _same(payload: Any, parent: CustomReward | None = None) -> tuple[Any, ...]:
    fast = _snapshot(lambda: CustomRewardRedemption(HTTP, payload, parent))
    general = _snapshot(lambda: _general(payload, parent))
    assert fast == general
    return fast


@pytest.mark.parametrize("item", [DOCUMENTED, SIMULATED], ids=["documented", "simulator"])
def test_plain_items_take_the_fast_path_and_read_the_same(item: dict[str, Any]) -> None:
    probe = CustomRewardRedemption.__new__(CustomRewardRedemption)
    probe._http = HTTP
    assert probe._read_plain(copy.deepcopy(item), None) is True  # not a vacuous comparison
    snapshot = _same(copy.deepcopy(item))
    assert snapshot[0] is str
    assert snapshot[8] is PartialCustomReward


def test_fast_path_values() -> None:
    r = CustomRewardRedemption(HTTP, copy.deepcopy(DOCUMENTED))
    assert (r.id, r.status, r.input) == ("17fa2df1-ad76-4804-bfa5-a40ef63efe63", "CANCELED", None)
    assert (r.broadcaster.id, r.broadcaster.login, r.user.name) == (
        "274637212",
        "torpedo09",
        "torpedo09",
    )
    assert r.redeemed_at == datetime(2020, 7, 1, 18, 37, 32, tzinfo=UTC)
    assert (r.reward.id, r.reward.title, r.reward.prompt, r.reward.cost) == (
        "92af127c-7326-4483-a52b-b0da0be61c01",
        "game analysis",
        None,
        50000,
    )
    s = CustomRewardRedemption(HTTP, copy.deepcopy(SIMULATED))
    assert s.redeemed_at == datetime(2026, 12, 6, 5, 9, 54, 123456, tzinfo=UTC)
    assert s.input == "play the song"


def test_the_parent_reward_is_kept_when_its_id_matches() -> None:
    reward_item = json.loads(
        (REFERENCE / "helix/get_custom_reward.response.json").read_text("utf-8")
    )["data"][0]
    parent = CustomReward(HTTP, reward_item)
    item = copy.deepcopy(SIMULATED)
    item["reward"]["id"] = parent.id
    assert CustomRewardRedemption(HTTP, item, parent).reward is parent
    assert _same(item, parent)[8] is CustomReward
    other = copy.deepcopy(SIMULATED)
    assert isinstance(CustomRewardRedemption(HTTP, other, parent).reward, PartialCustomReward)
    assert _same(other, parent)[8] is PartialCustomReward


def _changed(base: dict[str, Any], changes: list[tuple[str, str, Any]]) -> dict[str, Any]:
    payload = copy.deepcopy(base)
    for path, op, value in changes:
        parent: Any = payload
        key = path
        if path.startswith("reward."):
            parent, key = payload.get("reward"), path.removeprefix("reward.")
            if not isinstance(parent, dict):
                continue
        if op == "delete":
            parent.pop(key, None)
        else:
            parent[key] = copy.deepcopy(value)
    return payload


@pytest.mark.parametrize("path", PATHS)
def test_every_field_deleted_or_replaced_by_every_odd_value(path: str) -> None:
    for base in (DOCUMENTED, SIMULATED):
        _same(_changed(base, [(path, "delete", None)]))
        for value in ODD_VALUES:
            _same(_changed(base, [(path, "replace", value)]))


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from([DOCUMENTED, SIMULATED]),
    changes=st.lists(
        st.tuples(
            st.sampled_from(PATHS),
            st.sampled_from(["delete", "replace"]),
            odd_values,
        ),
        min_size=1,
        max_size=2,
    ),
)
def test_any_changed_item_reads_the_same_both_ways(
    base: dict[str, Any], changes: list[tuple[str, str, Any]]
) -> None:
    _same(_changed(base, changes))


@pytest.mark.parametrize("payload", [None, [], "x", 5])
def test_an_item_that_is_not_an_object_is_refused(payload: Any) -> None:
    with pytest.raises(PayloadError, match="expected an object"):
        CustomRewardRedemption(HTTP, payload)
