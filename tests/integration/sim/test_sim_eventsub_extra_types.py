"""The simulator's EventSub types fed by the extras (bans, moderators, follows, subs, hype trains).

Every type is subscribed to over Helix with a user token, the change is made through the
extras control surface (or the Helix moderation routes), and the one notification read off a
raw socket must have exactly the keys and JSON types of the neutral fixture
``tests/fixtures/eventsub/<type>.not_documented.json`` (not a documented example: the
reference has none for these types) and the values of the change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from companion.sim.errors import SimError
from companion.sim.eventsub_extra_types import EXTRA_KIND_TO_TYPE, EXTRA_SUBSCRIPTION_TYPES
from companion.sim.eventsub_payloads import (
    KIND_TO_TYPE,
    SUBSCRIPTION_TYPES,
    SUBSCRIPTION_VERSIONS,
)
from companion.sim.extras import ExtrasStore, extras_store
from tests.helpers.eventsub_ws import EventSubHarness, EventSubPeer, shape_mismatches

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "eventsub"
#: The version each fixture shows (the first one listed; the hype-train types also have 2).
VERSIONS: dict[str, str] = {}
for _type in EXTRA_SUBSCRIPTION_TYPES:
    VERSIONS.setdefault(_type.name, _type.version)
HYPE_TRAIN_TYPES = [f"channel.hype_train.{kind}" for kind in ("begin", "progress", "end")]
SCOPES = {
    "channel.ban": "channel:moderate",
    "channel.unban": "channel:moderate",
    "channel.moderator.add": "moderation:read",
    "channel.moderator.remove": "moderation:read",
    "channel.follow": "moderator:read:followers",
    "channel.subscribe": "channel:read:subscriptions",
    "channel.subscription.gift": "channel:read:subscriptions",
    "channel.subscription.message": "channel:read:subscriptions",
    "channel.hype_train.begin": "channel:read:hype_train",
    "channel.hype_train.progress": "channel:read:hype_train",
    "channel.hype_train.end": "channel:read:hype_train",
}
#: Where one fixture cannot show both: the values a field takes in other cases.
NULLABLE: dict[str, set[str]] = {
    ".event.ends_at": {"null"},  # permanent ban
    ".event.streak_months": {"null"},  # streak not shared
    ".event.user_id": {"null"},  # anonymous gift
    ".event.user_login": {"null"},
    ".event.user_name": {"null"},
    ".event.cumulative_total": {"null"},
    ".event.last_contribution": {"null"},
}


def fixture(type_name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (FIXTURES / f"{type_name}.not_documented.json").read_text(encoding="utf-8")
    )
    return data


class Channel:
    """The harness's broadcaster and viewer, plus a moderator and a fan, and the extras."""

    def __init__(self, sim: EventSubHarness) -> None:
        self.sim = sim
        self.b = sim.broadcaster_id
        self.viewer = sim.viewer_id
        self.mod = str(sim.state.create_user("modder", "Modder", "")["id"])
        self.fan = str(sim.state.create_user("fan", "Fan_Two", "")["id"])
        self.store: ExtrasStore = extras_store(sim.state)
        self.store.add_moderator(self.b, self.mod)

    async def listen(self, type_name: str) -> EventSubPeer:
        """A peer subscribed (with the right token) to ``type_name`` only."""
        peer, session = await self.sim.connect_welcomed()
        condition = {"broadcaster_user_id": self.b}
        token = self.sim.user_token(self.b, frozenset({SCOPES[type_name]}))
        if type_name == "channel.follow":
            condition["moderator_user_id"] = self.mod
            token = self.sim.user_token(self.mod, frozenset({SCOPES[type_name]}))
        status, body = await self.sim.subscribe(
            session, type_name, condition, token=token, version=VERSIONS[type_name]
        )
        assert status == 202, body
        assert body["data"][0]["cost"] == 0
        assert body["data"][0]["condition"] == condition
        return peer


@pytest.fixture
async def channel() -> AsyncIterator[Channel]:
    async with EventSubHarness() as sim:
        yield Channel(sim)


def _prepare(ch: Channel, type_name: str) -> Callable[[], Any]:
    """Sets the channel up for ``type_name``; returns the change that fires it."""
    s, b = ch.store, ch.b
    if type_name == "channel.ban":
        return lambda: s.ban(b, ch.viewer, ch.mod, "Spam links", duration=600)
    if type_name == "channel.unban":
        s.ban(b, ch.viewer, ch.mod, "Spam links")
        return lambda: s.unban(b, ch.viewer, ch.mod)
    if type_name == "channel.moderator.add":
        return lambda: s.add_moderator(b, ch.viewer)
    if type_name == "channel.moderator.remove":
        s.add_moderator(b, ch.viewer)
        return lambda: s.remove_moderator(b, ch.viewer)
    if type_name == "channel.follow":
        return lambda: s.add_follower(b, ch.viewer)
    if type_name == "channel.subscribe":
        return lambda: s.add_subscription(b, ch.viewer, "1000")
    if type_name == "channel.subscription.gift":
        return lambda: s.gift_subscriptions(b, ch.viewer, [ch.fan, ch.mod], "2000")
    if type_name == "channel.subscription.message":
        s.add_subscription(b, ch.viewer, "1000")
        return lambda: s.resub_message(b, ch.viewer, "Six months", 6, streak_months=4)
    train = [(ch.viewer, "bits", 250), (ch.fan, "subscription", 100)]
    if type_name == "channel.hype_train.begin":
        return lambda: s.start_hype_train(b, train)
    s.start_hype_train(b, train)
    if type_name == "channel.hype_train.progress":
        return lambda: s.contribute_hype_train(b, ch.viewer, "bits", 1100)
    return lambda: s.end_hype_train(b)


def _expected(ch: Channel, type_name: str) -> dict[str, Any]:
    """The event values the change must produce (besides the names and times)."""
    viewer = {"user_id": ch.viewer, "user_login": "viewer", "user_name": "Viewer_One"}
    caster = {"broadcaster_user_id": ch.b, "broadcaster_user_login": "caster"}
    mod = {"moderator_user_id": ch.mod, "moderator_user_login": "modder"}
    tops = [
        {"user_id": ch.viewer, "type": "bits", "total": 250},
        {"user_id": ch.fan, "type": "subscription", "total": 100},
    ]
    by_type: dict[str, dict[str, Any]] = {
        "channel.ban": {**viewer, **caster, **mod, "reason": "Spam links", "is_permanent": False},
        "channel.unban": {**viewer, **caster, **mod},
        "channel.moderator.add": {**viewer, **caster},
        "channel.moderator.remove": {**viewer, **caster},
        "channel.follow": {**viewer, **caster},
        "channel.subscribe": {**viewer, **caster, "tier": "1000", "is_gift": False},
        "channel.subscription.gift": {
            **viewer,
            **caster,
            "total": 2,
            "tier": "2000",
            "cumulative_total": 2,
            "is_anonymous": False,
        },
        "channel.subscription.message": {
            **viewer,
            **caster,
            "tier": "1000",
            "message": {"text": "Six months", "emotes": []},
            "cumulative_months": 6,
            "streak_months": 4,
            "duration_months": 1,
        },
        "channel.hype_train.begin": {
            **caster,
            "level": 1,
            "total": 350,
            "progress": 350,
            "goal": 1000,
            "top_contributions": tops,
            "last_contribution": tops[1],
        },
        "channel.hype_train.progress": {
            **caster,
            "level": 2,
            "total": 1450,
            "progress": 450,
            "goal": 1000,
            "top_contributions": [{**tops[0], "total": 1350}, tops[1]],
            "last_contribution": {"user_id": ch.viewer, "type": "bits", "total": 1100},
        },
        "channel.hype_train.end": {
            **caster,
            "level": 1,
            "total": 350,
            "top_contributions": tops,
        },
    }
    return by_type[type_name]


def _subset(actual: Any, wanted: Any) -> bool:
    """``wanted``'s keys (recursively, lists item by item) have these values in ``actual``."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            k in actual and _subset(actual[k], v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(_subset(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return bool(actual == wanted)


def test_types_and_kinds_are_registered() -> None:
    assert len(EXTRA_SUBSCRIPTION_TYPES) == 14
    for sub_type in EXTRA_SUBSCRIPTION_TYPES:
        assert SUBSCRIPTION_VERSIONS[(sub_type.name, sub_type.version)] is sub_type
        assert SUBSCRIPTION_TYPES[sub_type.name].version == VERSIONS[sub_type.name]
        assert sub_type.scopes == {SCOPES[sub_type.name]}
    assert sorted(t.version for t in EXTRA_SUBSCRIPTION_TYPES if "hype" in t.name) == [
        "1",
        "1",
        "1",
        "2",
        "2",
        "2",
    ]
    assert {k: KIND_TO_TYPE[k] for k in EXTRA_KIND_TO_TYPE} == EXTRA_KIND_TO_TYPE
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(
        f"{t}.not_documented.json" for t in SCOPES
    )


@pytest.mark.parametrize("type_name", sorted(SCOPES))
async def test_each_type_delivers_one_notification_shaped_like_its_fixture(
    channel: Channel, type_name: str
) -> None:
    fire = _prepare(channel, type_name)
    peer = await channel.listen(type_name)

    fire()
    message = await peer.recv_notification()
    await peer.expect_silence(0.15)

    example = fixture(type_name)
    assert message["metadata"]["message_type"] == "notification"
    assert message["metadata"]["subscription_type"] == type_name
    assert message["metadata"]["subscription_version"] == VERSIONS[type_name]
    assert shape_mismatches(message["payload"], example["payload"], NULLABLE) == []
    assert shape_mismatches(message["metadata"], example["metadata"], {}) == []
    event = message["payload"]["event"]
    assert _subset(event, _expected(channel, type_name)), event


async def test_permanent_ban_and_anonymous_gift_send_their_nulls(channel: Channel) -> None:
    bans = await channel.listen("channel.ban")
    gifts = await channel.listen("channel.subscription.gift")

    channel.store.ban(channel.b, channel.viewer, channel.mod)
    channel.store.gift_subscriptions(channel.b, channel.fan, [channel.viewer], anonymous=True)

    ban = (await bans.recv_notification())["payload"]["event"]
    gift = (await gifts.recv_notification())["payload"]["event"]
    assert (ban["is_permanent"], ban["ends_at"], ban["reason"]) == (True, None, "")
    example = fixture("channel.ban")["payload"]["event"]
    assert shape_mismatches(ban, example, {".ends_at": {"null"}}) == []
    assert (gift["user_id"], gift["user_login"], gift["user_name"]) == (None, None, None)
    assert (gift["is_anonymous"], gift["cumulative_total"], gift["total"]) == (True, None, 1)


async def test_helix_ban_and_unban_routes_notify(channel: Channel) -> None:
    peer, session = await channel.sim.connect_welcomed()
    caster = channel.sim.user_token(
        channel.b, frozenset({"channel:moderate", "moderator:manage:banned_users"})
    )
    for type_name in ("channel.ban", "channel.unban"):
        status, _ = await channel.sim.subscribe(session, type_name, token=caster)
        assert status == 202
    params = {"broadcaster_id": channel.b, "moderator_id": channel.b}
    body = {"data": {"user_id": channel.viewer, "reason": "no", "duration": 60}}
    status, _ = await channel.sim.helix(
        "POST", "/moderation/bans", token=caster, params=params, json_body=body
    )
    assert status == 200
    status, _ = await channel.sim.helix(
        "DELETE", "/moderation/bans", token=caster, params={**params, "user_id": channel.viewer}
    )
    assert status == 204

    first = await peer.recv_notification()
    second = await peer.recv_notification()
    await peer.expect_silence(0.15)
    assert [first["metadata"]["subscription_type"], second["metadata"]["subscription_type"]] == [
        "channel.ban",
        "channel.unban",
    ]
    assert first["payload"]["event"]["moderator_user_id"] == channel.b
    assert first["payload"]["event"]["is_permanent"] is False
    assert second["payload"]["event"]["user_id"] == channel.viewer


@pytest.mark.parametrize("type_name", sorted(SCOPES))
async def test_a_token_without_the_scope_gets_403(channel: Channel, type_name: str) -> None:
    _peer, session = await channel.sim.connect_welcomed()
    condition = {"broadcaster_user_id": channel.b}
    if type_name == "channel.follow":
        condition["moderator_user_id"] = channel.b
    # Every other scope of this family, but not the one the type needs.
    others = frozenset(SCOPES.values()) - {SCOPES[type_name]}
    token = channel.sim.user_token(channel.b, others)

    status, body = await channel.sim.subscribe(
        session, type_name, condition, token=token, version=VERSIONS[type_name]
    )

    assert (status, body["status"]) == (403, 403)
    assert channel.sim.hub.registry.enabled_count(session) == 0


async def test_follow_v2_condition_and_moderator_rules(channel: Channel) -> None:
    _peer, session = await channel.sim.connect_welcomed()
    scope = frozenset({"moderator:read:followers"})
    mod_token = channel.sim.user_token(channel.mod, scope)
    viewer_token = channel.sim.user_token(channel.viewer, scope)
    both = {"broadcaster_user_id": channel.b, "moderator_user_id": channel.mod}

    async def status_of(condition: dict[str, str], token: Any, version: str = "2") -> int:
        status, _ = await channel.sim.subscribe(
            session, "channel.follow", condition, token=token, version=version
        )
        return status

    # Version 1 is not served; the moderator is a required condition key.
    assert await status_of(both, mod_token, version="1") == 400
    assert await status_of({"broadcaster_user_id": channel.b}, mod_token) == 400
    assert await status_of({**both, "moderator_user_id": "999999999"}, mod_token) == 400
    # The token must be the condition's moderator, and that user must moderate the channel.
    assert await status_of(both, viewer_token) == 403
    not_a_mod = {**both, "moderator_user_id": channel.viewer}
    assert await status_of(not_a_mod, viewer_token) == 403
    assert await status_of(both, mod_token) == 202
    # The broadcaster may name themself as the moderator.
    caster_token = channel.sim.user_token(channel.b, scope)
    assert await status_of({**both, "moderator_user_id": channel.b}, caster_token) == 202
    assert channel.sim.hub.registry.enabled_count(session) == 2


async def test_control_surface_refuses_impossible_changes(channel: Channel) -> None:
    s = channel.store
    with pytest.raises(SimError):
        s.remove_moderator(channel.b, channel.viewer)
    with pytest.raises(SimError):
        s.unban(channel.b, channel.viewer, channel.mod)
    with pytest.raises(SimError):
        s.resub_message(channel.b, channel.viewer, "hi", 2)
    with pytest.raises(SimError):
        s.contribute_hype_train(channel.b, channel.viewer, "bits", 10)
    with pytest.raises(SimError):
        s.end_hype_train(channel.b)
    with pytest.raises(SimError):
        s.gift_subscriptions(channel.b, channel.viewer, [])
    # A second follow by the same user, or a second add of a moderator, is no new event.
    peer = await channel.listen("channel.follow")
    s.add_follower(channel.b, channel.viewer)
    s.add_follower(channel.b, channel.viewer)
    s.add_moderator(channel.b, channel.mod)
    await peer.recv_notification()
    await peer.expect_silence(0.15)


#: Version 2 of the hype-train events. No example in twitch-reference; the names are those of
#: Get Hype Train Status's `current` (helix-openapi.json) plus Twitch's EventSub reference
#: (see companion/sim/eventsub_extra_types.py).
HYPE_V2_KEYS = {
    "channel.hype_train.begin": {
        "id", "broadcaster_user_id", "broadcaster_user_login", "broadcaster_user_name",
        "total", "progress", "goal", "top_contributions", "level", "all_time_high_level",
        "all_time_high_total", "shared_train_participants", "started_at", "expires_at",
        "type", "is_shared_train",
    },
    "channel.hype_train.progress": {
        "id", "broadcaster_user_id", "broadcaster_user_login", "broadcaster_user_name",
        "total", "progress", "goal", "top_contributions", "level",
        "shared_train_participants", "started_at", "expires_at", "type", "is_shared_train",
    },
    "channel.hype_train.end": {
        "id", "broadcaster_user_id", "broadcaster_user_login", "broadcaster_user_name",
        "total", "top_contributions", "level", "shared_train_participants", "started_at",
        "ended_at", "cooldown_ends_at", "type", "is_shared_train",
    },
}  # fmt: skip


@pytest.mark.parametrize("type_name", HYPE_TRAIN_TYPES)
async def test_hype_train_v2_beside_v1(channel: Channel, type_name: str) -> None:
    fire = _prepare(channel, type_name)
    scope = frozenset({"channel:read:hype_train"})
    token = channel.sim.user_token(channel.b, scope)
    peers = {}
    for version in ("1", "2"):
        peer, session = await channel.sim.connect_welcomed()
        status, body = await channel.sim.subscribe(session, type_name, token=token, version=version)
        assert status == 202, body
        assert body["data"][0]["version"] == version
        peers[version] = peer

    fire()
    v1 = await peers["1"].recv_notification()
    v2 = await peers["2"].recv_notification()
    for peer in peers.values():
        await peer.expect_silence(0.1)

    assert v1["metadata"]["subscription_version"] == "1"
    assert shape_mismatches(v1["payload"], fixture(type_name)["payload"], NULLABLE) == []
    assert v2["metadata"]["subscription_version"] == "2"
    assert v2["payload"]["subscription"]["version"] == "2"
    event = v2["payload"]["event"]
    assert set(event) == HYPE_V2_KEYS[type_name]
    old = v1["payload"]["event"]
    # The same train, in both spellings; v2 adds the train's type and sharing.
    for key in HYPE_V2_KEYS[type_name] & set(old):
        assert event[key] == old[key], key
    assert (event["type"], event["is_shared_train"]) == ("regular", False)
    assert event["shared_train_participants"] is None
    expected = _expected(channel, type_name)
    expected.pop("last_contribution", None)
    assert _subset(event, expected), event
    if type_name == "channel.hype_train.begin":
        # The first train of the channel is its own all-time high.
        assert (event["all_time_high_level"], event["all_time_high_total"]) == (1, 350)


async def test_hype_train_v2_all_time_high_is_the_channels_record(channel: Channel) -> None:
    s, b = channel.store, channel.b
    s.start_hype_train(b, [(channel.viewer, "bits", 2500)], level=3)
    s.end_hype_train(b)
    peer, session = await channel.sim.connect_welcomed()
    token = channel.sim.user_token(b, frozenset({"channel:read:hype_train"}))
    status, _ = await channel.sim.subscribe(
        session, "channel.hype_train.begin", token=token, version="2"
    )
    assert status == 202
    s.start_hype_train(b, [(channel.fan, "bits", 100)])
    event = (await peer.recv_notification())["payload"]["event"]
    assert (event["level"], event["total"]) == (1, 100)
    assert (event["all_time_high_level"], event["all_time_high_total"]) == (3, 2500)


async def test_hype_train_v3_is_not_served(channel: Channel) -> None:
    _peer, session = await channel.sim.connect_welcomed()
    token = channel.sim.user_token(channel.b, frozenset({"channel:read:hype_train"}))
    status, _ = await channel.sim.subscribe(
        session, "channel.hype_train.begin", token=token, version="3"
    )
    assert status == 400
