"""The EventSub-fed seed models end to end: simulator state -> EventSub socket -> our client.

`extra_subscriptions` is created through Helix with the broadcaster's user token; each change
is made through the simulator's extras control surface, and the client must deliver exactly
the events that change implies, each with the right seed class and values. The neutral
fixtures (``tests/fixtures/eventsub/*.not_documented.json``; the reference has no example
for these types) parse in the client, and what the simulator sends has their keys and types.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from companion.sim import SimConfig, Simulator
from companion.sim.eventsub import EventSubHub
from companion.sim.extras import ExtrasStore, extras_store
from companion.twitch.errors import HTTPException
from companion.twitch.eventsub import EventSubClient, EventSubEvent, Revocation
from companion.twitch.eventsub_messages import (
    APP_SUBSCRIPTION_TYPES,
    EXTRA_SUBSCRIPTION_TYPES,
    SubscriptionSpec,
    extra_subscriptions,
    message_time,
    parse_notification,
    scopes_for,
)
from companion.twitch.http import HTTPHandler, Route
from companion.twitch.models.follows import FollowEvent
from companion.twitch.models.hype_train import HypeTrainEvent
from companion.twitch.models.moderation import BanEvent, ModEvent, ModEventEnum
from companion.twitch.models.subscriptions import SubscriptionEvent
from companion.twitch.models.users import PartialUser
from companion.twitch.timeutil import parse_timestamp
from companion.twitch.tokens import SimpleTokenHandler
from tests.helpers.eventsub_ws import shape_mismatches

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

CLIENT_ID = "eventsubextratypes00000000001"
SCOPES = (
    "channel:moderate",
    "moderation:read",
    "moderator:read:followers",
    "channel:read:subscriptions",
    "channel:read:hype_train",
)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "eventsub"
TYPES = [name for name, _version in EXTRA_SUBSCRIPTION_TYPES]
#: Fields a single fixture shows with one JSON type but that may also be null.
NULLABLE: dict[str, set[str]] = {
    ".event.ends_at": {"null"},
    ".event.streak_months": {"null"},
    ".event.user_id": {"null"},
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
    """A broadcaster, a moderator and three viewers; a client handler with every extra scope."""

    def __init__(self, sim: Simulator, scopes: tuple[str, ...] = SCOPES) -> None:
        self.sim = sim
        state = sim.state
        state.register_client(CLIENT_ID, None)
        self.caster = str(state.create_user("caster", "Caster", "affiliate")["id"])
        self.viewer = str(state.create_user("viewer", "Viewer", "")["id"])
        self.fan = str(state.create_user("fan", "Fan", "")["id"])
        self.mod = str(state.create_user("modder", "Modder", "")["id"])
        self.other = str(state.create_user("other", "Other", "")["id"])
        self.store: ExtrasStore = extras_store(state)
        self.store.add_moderator(self.caster, self.mod)
        self.http = self.handler(self.caster, scopes)
        self.user = PartialUser(self.http, self.caster, login="caster")

    def handler(self, user_id: str, scopes: tuple[str, ...]) -> HTTPHandler:
        token = self.sim.state.issue_user_token(CLIENT_ID, user_id, scopes)
        return HTTPHandler(
            SimpleTokenHandler(token["access_token"], CLIENT_ID, token["refresh_token"]),
            helix_url=self.sim.helix_url,
            oauth_url=self.sim.oauth_url,
            eventsub_url=self.sim.eventsub_url,
        )


class Collector:
    """Reads a client's events into a list."""

    def __init__(self, client: EventSubClient) -> None:
        self.events: list[EventSubEvent] = []
        self.revocations: list[Revocation] = []
        self._stream = client.events()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        async for event in self._stream:
            if isinstance(event, Revocation):
                self.revocations.append(event)
            else:
                self.events.append(event)

    async def settle(self, count: int, linger: float = 0.2, timeout: float = 5.0) -> None:
        """Waits for ``count`` events, then ``linger`` seconds more (so an extra one shows)."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out with {len(self.events)} of {count} events")
            await asyncio.sleep(0.01)
        await asyncio.sleep(linger)

    async def stop(self) -> None:
        self._stream.close()
        await self._task


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(SimConfig(seed=13, tick_interval=0.05))
    await simulator.start(port=0)
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def channel(sim: Simulator) -> AsyncIterator[Channel]:
    ch = Channel(sim)
    try:
        yield ch
    finally:
        await ch.http.close()


@pytest.fixture
async def live(channel: Channel) -> AsyncIterator[tuple[EventSubClient, Collector]]:
    specs = extra_subscriptions(channel.caster, channel.caster)
    client = EventSubClient(channel.http, channel.user, specs)
    collector = Collector(client)
    await client.start()
    try:
        await client.wait_live(5)
        yield client, collector
    finally:
        await client.close()
        await collector.stop()


def test_extra_types_are_not_in_the_app_list_and_carry_their_scopes() -> None:
    assert not set(TYPES) & set(APP_SUBSCRIPTION_TYPES)
    assert {name: scopes_for(name) for name in TYPES} == {
        "channel.ban": ("channel:moderate",),
        "channel.unban": ("channel:moderate",),
        "channel.moderator.add": ("moderation:read",),
        "channel.moderator.remove": ("moderation:read",),
        "channel.follow": ("moderator:read:followers",),
        "channel.subscribe": ("channel:read:subscriptions",),
        "channel.subscription.gift": ("channel:read:subscriptions",),
        "channel.subscription.message": ("channel:read:subscriptions",),
        "channel.hype_train.begin": ("channel:read:hype_train",),
        "channel.hype_train.progress": ("channel:read:hype_train",),
        "channel.hype_train.end": ("channel:read:hype_train",),
    }
    specs = extra_subscriptions("10", "20")
    assert [(s.type, s.version) for s in specs] == list(EXTRA_SUBSCRIPTION_TYPES)
    follow = next(s for s in specs if s.type == "channel.follow")
    assert (follow.version, dict(follow.condition)) == (
        "2",
        {"broadcaster_user_id": "10", "moderator_user_id": "20"},
    )
    others = [dict(s.condition) for s in specs if s.type != "channel.follow"]
    assert others == [{"broadcaster_user_id": "10"}] * 10


async def test_client_subscribes_to_every_extra_type(
    sim: Simulator, live: tuple[EventSubClient, Collector]
) -> None:
    client, _collector = live
    hub = sim.hub
    assert isinstance(hub, EventSubHub)
    subs = [s for s in hub.registry.all() if s.enabled]
    assert sorted((s.type, s.version) for s in subs) == sorted(EXTRA_SUBSCRIPTION_TYPES)
    assert {s.session_id for s in subs} == {client.session_id}
    assert sorted(client.subscription_ids) == sorted(TYPES)
    assert client.total_cost == 0


def _near_now(value: datetime | None, seconds: float = 10.0) -> bool:
    return value is not None and abs(datetime.now(UTC) - value) < timedelta(seconds=seconds)


def _check_ban(ch: Channel, events: list[EventSubEvent]) -> None:
    (event,) = events
    ban = event.model
    assert isinstance(ban, BanEvent)
    assert (ban.broadcaster.id, ban.user.id, ban.moderator.id) == (ch.caster, ch.viewer, ch.mod)
    assert (ban.user.login, ban.moderator.login) == ("viewer", "modder")
    assert (ban.banned, ban.reason) == (True, "Spam links")
    assert ban.timestamp is not None and ban.expires_at is not None
    assert abs((ban.expires_at - ban.timestamp).total_seconds() - 600) < 0.01
    assert _near_now(ban.timestamp)


def _check_unban(ch: Channel, events: list[EventSubEvent]) -> None:
    (event,) = events
    ban = event.model
    assert isinstance(ban, BanEvent)
    assert (ban.broadcaster.id, ban.user.id, ban.moderator.id) == (ch.caster, ch.viewer, ch.mod)
    assert (ban.banned, ban.expires_at, ban.reason) == (False, None, None)
    assert ban.timestamp == event.message_timestamp


def _check_mod(which: ModEventEnum) -> Callable[[Channel, list[EventSubEvent]], None]:
    def check(ch: Channel, events: list[EventSubEvent]) -> None:
        (event,) = events
        mod = event.model
        assert isinstance(mod, ModEvent)
        assert (mod.type, mod.broadcaster.id, mod.user.id) == (which, ch.caster, ch.viewer)
        assert mod.timestamp == event.message_timestamp

    return check


def _check_follow(ch: Channel, events: list[EventSubEvent]) -> None:
    (event,) = events
    follow = event.model
    assert isinstance(follow, FollowEvent)
    assert (follow.from_user.id, follow.to_user.id) == (ch.viewer, ch.caster)
    assert (follow.from_user.login, follow.to_user.login) == ("viewer", "caster")
    assert _near_now(follow.followed_at)
    assert event.subscription["condition"] == {
        "broadcaster_user_id": ch.caster,
        "moderator_user_id": ch.caster,
    }


def _check_subscribe(ch: Channel, events: list[EventSubEvent]) -> None:
    (event,) = events
    sub = event.model
    assert isinstance(sub, SubscriptionEvent)
    assert (sub.type, sub.broadcaster.id, sub.tier) == ("channel.subscribe", ch.caster, "1000")
    assert sub.user is not None and sub.user.id == ch.viewer
    assert (sub.is_gift, sub.gifter, sub.total, sub.message) == (False, None, None, None)


def _check_gift(ch: Channel, events: list[EventSubEvent]) -> None:
    by_type = Counter(e.subscription_type for e in events)
    assert by_type == {"channel.subscription.gift": 1, "channel.subscribe": 3}
    (gift,) = [e.model for e in events if e.subscription_type == "channel.subscription.gift"]
    assert isinstance(gift, SubscriptionEvent)
    assert gift.gifter is not None and gift.gifter.id == ch.viewer
    assert (gift.user, gift.is_gift, gift.is_anonymous) == (None, True, False)
    assert (gift.total, gift.cumulative_total, gift.tier) == (3, 3, "2000")
    received = [e.model for e in events if e.subscription_type == "channel.subscribe"]
    assert all(isinstance(m, SubscriptionEvent) and m.is_gift for m in received)
    assert sorted(m.user.id for m in received) == sorted([ch.fan, ch.mod, ch.other])


def _check_message(ch: Channel, events: list[EventSubEvent]) -> None:
    (event,) = events
    sub = event.model
    assert isinstance(sub, SubscriptionEvent)
    assert sub.type == "channel.subscription.message"
    assert sub.user is not None and sub.user.id == ch.viewer
    assert (sub.message, sub.cumulative_months, sub.streak_months, sub.duration_months) == (
        "Six months",
        6,
        4,
        1,
    )
    assert (sub.tier, sub.is_gift) == ("1000", False)


def _tops(train: HypeTrainEvent) -> list[tuple[str, str, int]]:
    return [(c.user.id, c.type, c.total) for c in train.top_contributions]


def _check_hype(
    level: int, total: int, progress: int | None, *, ended: bool = False
) -> Callable[[Channel, list[EventSubEvent]], None]:
    def check(ch: Channel, events: list[EventSubEvent]) -> None:
        (event,) = events
        train = event.model
        assert isinstance(train, HypeTrainEvent)
        assert (train.broadcaster.id, train.level, train.total) == (ch.caster, level, total)
        assert train.progress == progress
        assert train.goal == (None if ended else 1000)
        assert train.timestamp == event.message_timestamp
        assert _near_now(train.started_at)
        if ended:
            assert (train.expiry, train.last_contribution) == (None, None)
            assert train.ended_at is not None and train.cooldown_end_time is not None
            assert train.cooldown_end_time - train.ended_at == timedelta(hours=1)
            assert _tops(train) == [(ch.viewer, "bits", 250), (ch.fan, "subscription", 100)]
            return
        assert train.ended_at is None and train.expiry is not None
        last = train.last_contribution
        assert last is not None
        if level == 1:
            assert _tops(train) == [(ch.viewer, "bits", 250), (ch.fan, "subscription", 100)]
            assert (last.user.id, last.type, last.total) == (ch.fan, "subscription", 100)
        else:
            assert _tops(train) == [(ch.viewer, "bits", 1350), (ch.fan, "subscription", 100)]
            assert (last.user.id, last.type, last.total) == (ch.viewer, "bits", 1100)

    return check


def _scenario(
    ch: Channel, type_name: str
) -> tuple[Callable[[], Any], int, Callable[[Channel, list[EventSubEvent]], None]]:
    """``(setup done; the change, how many events it makes, the check)`` for one type."""
    s, b = ch.store, ch.caster
    train = [(ch.viewer, "bits", 250), (ch.fan, "subscription", 100)]
    if type_name == "channel.ban":
        return lambda: s.ban(b, ch.viewer, ch.mod, "Spam links", duration=600), 1, _check_ban
    if type_name == "channel.unban":
        s.ban(b, ch.viewer, ch.mod, "Spam links")
        return lambda: s.unban(b, ch.viewer, ch.mod), 1, _check_unban
    if type_name == "channel.moderator.add":
        return lambda: s.add_moderator(b, ch.viewer), 1, _check_mod(ModEventEnum.moderator_added)
    if type_name == "channel.moderator.remove":
        s.add_moderator(b, ch.viewer)
        return (
            lambda: s.remove_moderator(b, ch.viewer),
            1,
            _check_mod(ModEventEnum.moderator_removed),
        )
    if type_name == "channel.follow":
        return lambda: s.add_follower(b, ch.viewer), 1, _check_follow
    if type_name == "channel.subscribe":
        return lambda: s.add_subscription(b, ch.viewer, "1000"), 1, _check_subscribe
    if type_name == "channel.subscription.gift":
        recipients = [ch.fan, ch.mod, ch.other]
        return lambda: s.gift_subscriptions(b, ch.viewer, recipients, "2000"), 4, _check_gift
    if type_name == "channel.subscription.message":
        s.add_subscription(b, ch.viewer, "1000")
        return (
            lambda: s.resub_message(b, ch.viewer, "Six months", 6, streak_months=4),
            1,
            _check_message,
        )
    if type_name == "channel.hype_train.begin":
        return lambda: s.start_hype_train(b, train), 1, _check_hype(1, 350, 350)
    s.start_hype_train(b, train)
    if type_name == "channel.hype_train.progress":
        return (
            lambda: s.contribute_hype_train(b, ch.viewer, "bits", 1100),
            1,
            _check_hype(2, 1450, 450),
        )
    return lambda: s.end_hype_train(b), 1, _check_hype(1, 350, None, ended=True)


@pytest.mark.parametrize("type_name", TYPES)
async def test_each_change_arrives_once_as_its_seed_model(channel: Channel, type_name: str) -> None:
    # Setup first (it may fire events of other types), then the client, then the change.
    fire, count, check = _scenario(channel, type_name)
    client = EventSubClient(
        channel.http, channel.user, extra_subscriptions(channel.caster, channel.caster)
    )
    collector = Collector(client)
    await client.start()
    try:
        await client.wait_live(5)
        fire()
        await collector.settle(count)
    finally:
        await client.close()
        await collector.stop()

    events = collector.events
    assert len(events) == count
    assert collector.revocations == []
    assert all(e.parse_error is None and not e.resync for e in events)
    check(channel, events)
    # What the simulator sent has the neutral fixture's keys and JSON types.
    example = fixture(type_name)["payload"]
    for event in events:
        sent = {"subscription": dict(event.subscription), "event": dict(event.payload)}
        assert shape_mismatches(sent, fixture(event.subscription_type)["payload"], NULLABLE) == []
    assert {e.subscription_version for e in events if e.subscription_type == type_name} == {
        example["subscription"]["version"]
    }


async def test_missing_scope_is_refused_with_403_at_subscribe(
    channel: Channel, live: tuple[EventSubClient, Collector]
) -> None:
    client, _collector = live
    session_id = client.session_id
    assert session_id is not None
    refused: dict[str, int] = {}
    for spec in extra_subscriptions(channel.caster, channel.caster):
        # Every extra scope but the one this type needs; scopes=() so our own pre-check lets
        # the request through and the simulator has to refuse it.
        scopes = tuple(s for s in SCOPES if s not in scopes_for(spec.type))
        http = channel.handler(channel.caster, scopes)
        try:
            route = Route("POST", "eventsub/subscriptions", json=spec.body(session_id))
            with pytest.raises(HTTPException) as caught:
                await http.request(route, user=channel.user, name="test.subscribe")
            refused[spec.type] = caught.value.status
        finally:
            await http.close()
    assert refused == dict.fromkeys(TYPES, 403)


async def test_follow_needs_a_moderator_token_for_the_condition(channel: Channel) -> None:
    moderator = PartialUser(channel.http, channel.mod, login="modder")
    http = channel.handler(channel.mod, ("moderator:read:followers",))
    viewer_http = channel.handler(channel.viewer, ("moderator:read:followers",))
    spec = SubscriptionSpec(
        "channel.follow",
        "2",
        {"broadcaster_user_id": channel.caster, "moderator_user_id": channel.mod},
    )
    as_viewer = SubscriptionSpec(
        "channel.follow",
        "2",
        {"broadcaster_user_id": channel.caster, "moderator_user_id": channel.viewer},
    )
    client = EventSubClient(http, moderator, [spec])
    collector = Collector(client)
    try:
        await client.start()
        await client.wait_live(5)
        session_id = client.session_id
        assert session_id is not None
        route = Route("POST", "eventsub/subscriptions", json=as_viewer.body(session_id))
        viewer = PartialUser(viewer_http, channel.viewer, login="viewer")
        with pytest.raises(HTTPException) as caught:
            await viewer_http.request(route, user=viewer, name="test.subscribe")
        assert caught.value.status == 403
        channel.store.add_follower(channel.caster, channel.fan)
        await collector.settle(1)
    finally:
        await client.close()
        await collector.stop()
        await http.close()
        await viewer_http.close()
    (event,) = collector.events
    assert isinstance(event.model, FollowEvent)
    assert (event.model.from_user.id, event.model.to_user.id) == (channel.fan, channel.caster)


def _parse_fixture(type_name: str) -> EventSubEvent:
    message = fixture(type_name)
    metadata = message["metadata"]
    # Parsing sends nothing: the handler is only kept by the models.
    http = HTTPHandler(SimpleTokenHandler("not-a-token", CLIENT_ID))
    return parse_notification(http, metadata, message["payload"], message_time(metadata))


@pytest.mark.parametrize("type_name", TYPES)
def test_each_neutral_fixture_parses_into_its_seed_model(type_name: str) -> None:
    event = _parse_fixture(type_name)
    model = event.model
    assert event.parse_error is None
    sent = parse_timestamp("2026-03-01T20:00:01.000000001Z")
    assert event.message_timestamp == sent
    expected_class = {
        "channel.ban": BanEvent,
        "channel.unban": BanEvent,
        "channel.moderator.add": ModEvent,
        "channel.moderator.remove": ModEvent,
        "channel.follow": FollowEvent,
        "channel.hype_train.begin": HypeTrainEvent,
        "channel.hype_train.progress": HypeTrainEvent,
        "channel.hype_train.end": HypeTrainEvent,
    }.get(type_name, SubscriptionEvent)
    assert type(model) is expected_class
    broadcaster = getattr(model, "to_user" if isinstance(model, FollowEvent) else "broadcaster")
    assert (broadcaster.id, broadcaster.login) == ("41000001", "fixture_caster")
    if isinstance(model, BanEvent):
        assert (model.user.id, model.moderator.id) == ("41000002", "41000003")
        assert model.banned is (type_name == "channel.ban")
        if model.banned:
            assert model.reason == "Spam links"
            assert model.expires_at == parse_timestamp("2026-03-01T20:10:00.5Z")
        else:
            assert model.timestamp == sent
    elif isinstance(model, ModEvent):
        assert (model.user.id, model.type.value, model.timestamp) == ("41000002", type_name, sent)
    elif isinstance(model, FollowEvent):
        assert model.from_user.id == "41000002"
        assert model.followed_at == parse_timestamp("2026-03-01T20:00:00.25Z")
    elif isinstance(model, SubscriptionEvent):
        assert model.type == type_name
        if type_name == "channel.subscription.gift":
            assert model.gifter is not None and model.gifter.id == "41000002"
            assert (model.user, model.total, model.cumulative_total) == (None, 3, 7)
        else:
            assert model.user is not None and model.user.id == "41000002"
        if type_name == "channel.subscription.message":
            assert (model.message, model.cumulative_months, model.streak_months) == (
                "Six months already",
                6,
                4,
            )
    else:
        assert isinstance(model, HypeTrainEvent)
        assert model.id == "fixtureHypeTrain0000000001"
        assert [c.total for c in model.top_contributions] == (
            [250, 100] if type_name.endswith("begin") else [1350, 100]
        )
        assert (model.ended_at is not None) is type_name.endswith("end")
        assert (model.last_contribution is None) is type_name.endswith("end")
