"""twitchio (3.3) against the simulator: Helix, OAuth and EventSub as the panels use them.

twitchio 3 has no base-URL argument: its URLs are the class constants ``Route.BASE`` and
``Route.ID_BASE`` (``twitchio/http.py``) and the module constant ``WSS``
(``twitchio/eventsub/websockets.py``); each test points them at the simulator and puts
them back. It logs in as twitchio does (client credentials for its app token, then
``add_token`` validates the user token). A call that fails because of twitchio itself is a
``test_defect_*`` that proves it; each is listed, with the line of twitchio's source, in
docs/conformance.md.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.conftest import CLIENT_ID, CLIENT_SECRET, World, require
from tests.conformance.scenarios import PANEL_TYPES, STEPS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import twitchio

PUBLIC_CLIENT_ID = "conformancepublicclient0000001"

#: twitchio's dispatch name of each panel type (``event_<name>`` listeners).
EVENT_NAMES = {
    "channel.channel_points_custom_reward.add": "custom_reward_add",
    "channel.channel_points_custom_reward.update": "custom_reward_update",
    "channel.channel_points_custom_reward.remove": "custom_reward_remove",
    "channel.channel_points_custom_reward_redemption.add": "custom_redemption_add",
    "channel.channel_points_custom_reward_redemption.update": "custom_redemption_update",
    "channel.prediction.begin": "prediction_begin",
    "channel.prediction.progress": "prediction_progress",
    "channel.prediction.lock": "prediction_lock",
    "channel.prediction.end": "prediction_end",
    "channel.poll.begin": "poll_begin",
    "channel.poll.progress": "poll_progress",
    "channel.poll.end": "poll_end",
    "channel.goal.begin": "goal_begin",
    "channel.goal.progress": "goal_progress",
    "channel.goal.end": "goal_end",
    "stream.online": "stream_online",
    "stream.offline": "stream_offline",
}


@pytest.fixture
def pointed_at_sim(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    require("twitchio")
    from twitchio.eventsub import websockets
    from twitchio.http import Route

    monkeypatch.setattr(Route, "BASE", world.sim.helix_url + "/")
    monkeypatch.setattr(Route, "ID_BASE", world.sim.base_url + "/")
    monkeypatch.setattr(websockets, "WSS", world.sim.eventsub_url)


@pytest.fixture
async def client(world: World, pointed_at_sim: None) -> AsyncIterator[twitchio.Client]:
    import twitchio

    tio = twitchio.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    await tio.login(load_tokens=False, save_tokens=False)
    await tio.add_token(world.token["access_token"], world.token["refresh_token"])
    yield tio
    await tio.close()


def _me(client: twitchio.Client, world: World) -> twitchio.PartialUser:
    return client.create_partialuser(world.broadcaster_id)


# -- users ------------------------------------------------------------------------------------


async def test_fetch_users(client: twitchio.Client, world: World) -> None:
    users = await client.fetch_users(ids=[world.broadcaster_id], logins=["viewer0"])
    assert sorted((u.id, u.name, u.display_name) for u in users) == sorted(
        [(world.broadcaster_id, "caster", "Caster"), (world.viewers[0], "viewer0", "Viewer0")]
    )
    (me,) = await client.fetch_users(ids=[world.broadcaster_id], token_for=world.broadcaster_id)
    assert me.email is not None


# -- rewards ----------------------------------------------------------------------------------


async def test_custom_rewards_crud(client: twitchio.Client, world: World) -> None:
    me = _me(client, world)
    reward = await me.create_custom_reward(
        "Hydrate", 100, prompt="Drink water", background_color="#9147FF", global_cooldown=120
    )
    assert (reward.title, reward.cost, reward.prompt) == ("Hydrate", 100, "Drink water")
    other = await me.create_custom_reward("Stretch", 20)
    listed = await me.fetch_custom_rewards()
    assert sorted(r.id for r in listed) == sorted([reward.id, other.id])
    (by_id,) = await me.fetch_custom_rewards(ids=[reward.id], manageable=True)
    assert by_id.id == reward.id
    updated = await reward.update(title="Hydrate!", cost=250, paused=True)
    assert (updated.title, updated.cost) == ("Hydrate!", 250)
    await other.delete()
    stored = await world.call(world.state.get_rewards, world.broadcaster_id, CLIENT_ID, [], False)
    assert [(r["id"], r["title"], r["cost"], r["is_paused"]) for r in stored] == [
        (reward.id, "Hydrate!", 250, True)
    ]


# -- redemptions ------------------------------------------------------------------------------


async def test_redemptions_paged_over_100_and_updated(
    client: twitchio.Client, world: World
) -> None:
    me = _me(client, world)
    reward = await me.create_custom_reward("Song request", 10)
    made = [
        (
            await world.call(
                world.state.redeem, world.broadcaster_id, reward.id, world.viewers[n % 5]
            )
        )["id"]
        for n in range(130)
    ]
    read = [r async for r in reward.fetch_redemptions(status="UNFULFILLED", first=50)]
    assert [r.id for r in read] == made
    newest = [
        r async for r in reward.fetch_redemptions(status="UNFULFILLED", sort="NEWEST", first=50)
    ]
    assert [r.id for r in newest] == made[::-1]
    refunded = await read[0].refund()
    assert (refunded.id, refunded.status) == (made[0], "CANCELED")
    left = [r.id async for r in reward.fetch_redemptions(status="UNFULFILLED", first=50)]
    assert left == made[1:]


async def test_defect_redemption_fulfill_sends_the_broadcaster_id(
    client: twitchio.Client, world: World
) -> None:
    # CustomRewardRedemption.fulfill() sends id=<broadcaster id> where refund() sends the
    # redemption's id, and passes token_for=self (the redemption, not a user), so twitchio
    # falls back to its app token. Update Redemption Status needs the broadcaster's user
    # token: 401, and the redemption stays UNFULFILLED.
    from urllib.parse import parse_qs, urlsplit

    import twitchio

    me = _me(client, world)
    reward = await me.create_custom_reward("Hug", 5)
    made = await world.call(world.state.redeem, world.broadcaster_id, reward.id, world.viewers[0])
    (redemption,) = [r async for r in reward.fetch_redemptions(status="UNFULFILLED")]
    assert redemption.id == made["id"]
    with pytest.raises(twitchio.HTTPException) as caught:
        await redemption.fulfill()
    assert caught.value.status == 401
    assert (
        caught.value.extra["message"]
        == "The Authorization header must specify a user access token."
    )
    sent = parse_qs(urlsplit(caught.value.route.url).query)
    assert sent["id"] == [world.broadcaster_id]
    stored = await world.call(world.state.redemptions.get, made["id"])
    assert stored.status == "UNFULFILLED"
    # refund() addresses the same redemption correctly.
    refunded = await redemption.refund()
    assert (refunded.id, refunded.status) == (made["id"], "CANCELED")


# -- predictions, polls, goals ----------------------------------------------------------------


async def test_predictions(client: twitchio.Client, world: World) -> None:
    me = _me(client, world)
    made = await me.create_prediction(title="Win?", outcomes=["Yes", "No"], prediction_window=60)
    yes, no = made.outcomes
    assert (made.status, yes.title, no.title) == ("ACTIVE", "Yes", "No")
    await world.call(world.state.predict, made.id, world.viewers[0], yes.id, 300)
    (read,) = [p async for p in me.fetch_predictions(ids=[made.id])]
    assert [(o.users, o.channel_points) for o in read.outcomes] == [(1, 300), (0, 0)]
    locked = await read.end_prediction(status="LOCKED")
    assert locked.status == "LOCKED"
    resolved = await me.end_prediction(id=made.id, status="RESOLVED", winning_outcome_id=yes.id)
    assert (resolved.status, resolved.winning_outcome_id) == ("RESOLVED", yes.id)
    listed = [p.id async for p in me.fetch_predictions(first=25)]
    assert listed == [made.id]


async def test_polls(client: twitchio.Client, world: World) -> None:
    me = _me(client, world)
    made = await me.create_poll(
        title="Next game?",
        choices=["Chess", "Go"],
        duration=60,
        channel_points_voting_enabled=True,
        channel_points_per_vote=10,
    )
    assert (made.status, [c.title for c in made.choices]) == ("ACTIVE", ["Chess", "Go"])
    await world.call(world.state.vote, made.id, made.choices[0].id, 2)
    (read,) = [p async for p in me.fetch_polls(ids=[made.id])]
    assert [c.votes for c in read.choices] == [2, 0]
    ended = await read.end_poll(status="TERMINATED")
    assert ended.status == "TERMINATED"


async def test_goals(client: twitchio.Client, world: World) -> None:
    goal = await world.call(
        world.state.create_goal, world.broadcaster_id, "follower", "Fans", 50, 12
    )
    (read,) = await _me(client, world).fetch_goals()
    assert (read.id, read.type, read.current_amount, read.target_amount) == (
        goal["id"],
        "follower",
        12,
        50,
    )


# -- extensions, moderators, emotes -----------------------------------------------------------

EXTENSION = {"id": "confpanel00000000000000000001", "version": "1.0.0", "name": "Schedule",
             "type": ["panel"]}  # fmt: skip


async def test_extensions(client: twitchio.Client, world: World) -> None:
    await world.call(world.state.install_extension, world.broadcaster_id, dict(EXTENSION))
    (installed,) = await client.fetch_extensions(token_for=world.broadcaster_id)
    assert (installed.id, installed.name) == (EXTENSION["id"], "Schedule")
    active = await _me(client, world).fetch_active_extensions(token_for=world.broadcaster_id)
    assert [p.active for p in active.panels] == [False, False, False]
    active.panels[0].active = True
    active.panels[0].id = EXTENSION["id"]
    active.panels[0].version = EXTENSION["version"]
    written = await client.update_extensions(user_extensions=active, token_for=world.broadcaster_id)
    assert (written.panels[0].active, written.panels[0].id) == (True, EXTENSION["id"])


async def test_moderators_and_emotes(client: twitchio.Client, world: World) -> None:
    from companion.sim.extras import extras_store

    store = extras_store(world.state)
    await world.call(store.add_moderator, world.broadcaster_id, world.viewers[2])
    await world.call(store.add_channel_emote, world.broadcaster_id, "casterHi")
    me = _me(client, world)
    mods = [m async for m in me.fetch_moderators()]
    assert [(m.id, m.name) for m in mods] == [(world.viewers[2], "viewer2")]
    (emote,) = await me.fetch_channel_emotes()
    assert (emote.name, emote.tier, emote.type) == ("casterHi", "1000", "subscriptions")
    globals_ = await client.fetch_emotes()
    assert globals_[0].name == "TwitchUnity"


# -- OAuth: the device flow -------------------------------------------------------------------


async def test_device_code_flow(world: World, pointed_at_sim: None) -> None:
    import twitchio

    await world.call(world.state.register_client, PUBLIC_CLIENT_ID)
    scopes = twitchio.Scopes(["channel:read:polls"])
    tio = twitchio.Client(client_id=PUBLIC_CLIENT_ID, scopes=scopes)
    try:
        started = await tio.login_dcf(load_token=False, save_token=False, scopes=scopes)
        assert started is not None
        assert started["interval"] == 1
        await world.call(world.state.approve_device, started["user_code"], world.viewers[3])
        await asyncio.wait_for(
            tio.start_dcf(
                device_code=started["device_code"],
                interval=started["interval"],
                scopes=scopes,
                block=False,
            ),
            10,
        )
        assert world.viewers[3] in tio.tokens
    finally:
        await tio.close()


# -- EventSub ---------------------------------------------------------------------------------


def _subscription(type_name: str, broadcaster_id: str) -> Any:
    from twitchio import eventsub

    classes = {
        "channel.channel_points_custom_reward.add": eventsub.ChannelPointsRewardAddSubscription,
        "channel.channel_points_custom_reward.update": (
            eventsub.ChannelPointsRewardUpdateSubscription
        ),
        "channel.channel_points_custom_reward.remove": (
            eventsub.ChannelPointsRewardRemoveSubscription
        ),
        "channel.channel_points_custom_reward_redemption.add": (
            eventsub.ChannelPointsRedeemAddSubscription
        ),
        "channel.channel_points_custom_reward_redemption.update": (
            eventsub.ChannelPointsRedeemUpdateSubscription
        ),
        "channel.prediction.begin": eventsub.ChannelPredictionBeginSubscription,
        "channel.prediction.progress": eventsub.ChannelPredictionProgressSubscription,
        "channel.prediction.lock": eventsub.ChannelPredictionLockSubscription,
        "channel.prediction.end": eventsub.ChannelPredictionEndSubscription,
        "channel.poll.begin": eventsub.ChannelPollBeginSubscription,
        "channel.poll.progress": eventsub.ChannelPollProgressSubscription,
        "channel.poll.end": eventsub.ChannelPollEndSubscription,
        "channel.goal.begin": eventsub.GoalBeginSubscription,
        "channel.goal.progress": eventsub.GoalProgressSubscription,
        "channel.goal.end": eventsub.GoalEndSubscription,
        "stream.online": eventsub.StreamOnlineSubscription,
        "stream.offline": eventsub.StreamOfflineSubscription,
        "channel.hype_train.begin": eventsub.HypeTrainBeginSubscription,
        "channel.hype_train.progress": eventsub.HypeTrainProgressSubscription,
        "channel.hype_train.end": eventsub.HypeTrainEndSubscription,
    }
    return classes[type_name](broadcaster_user_id=broadcaster_id)


class Collector:
    """twitchio's listeners put what they get here, tagged with the panel type."""

    def __init__(self, client: twitchio.Client, names: dict[str, str]) -> None:
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        for type_name, name in names.items():
            client.add_listener(self._listener(type_name), event=f"event_{name}")

    def _listener(self, type_name: str) -> Any:
        async def on_event(payload: Any) -> None:
            await self.events.put((type_name, payload))

        return on_event

    async def next(self, timeout: float = 5.0) -> tuple[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)


def _check(type_name: str, e: Any, ctx: dict[str, Any], world: World) -> None:
    """What twitchio parsed equals the change the simulator made."""
    assert e.broadcaster.id == world.broadcaster_id
    short = type_name.removeprefix("channel.")
    if short == "channel_points_custom_reward.add":
        assert (e.id, e.title, e.cost) == (ctx["reward"]["id"], "Hydrate", 100)
    elif short == "channel_points_custom_reward.update":
        assert (e.id, e.cost) == (ctx["reward"]["id"], 150)
    elif short == "channel_points_custom_reward.remove":
        assert e.id == ctx["removed_reward_id"]
    elif short == "channel_points_custom_reward_redemption.add":
        assert (e.id, e.status, e.user.id, e.reward.id) == (
            ctx["redemption"]["id"], "unfulfilled", world.viewers[0], ctx["reward"]["id"]
        )  # fmt: skip
    elif short == "channel_points_custom_reward_redemption.update":
        assert (e.id, e.status) == (ctx["redemption"]["id"], "fulfilled")
    elif short.startswith("prediction."):
        assert e.id == ctx["prediction"]["id"]
        if short == "prediction.end":
            assert e.status == "resolved"
            assert e.winning_outcome.id == ctx["prediction"]["outcomes"][0]["id"]
    elif short.startswith("poll."):
        assert e.id == ctx["poll"]["id"]
        if short == "poll.end":
            assert e.status == "terminated"
    elif short.startswith("goal."):
        assert e.id == ctx["goal"]["id"]
        if short == "goal.progress":
            assert e.current_amount == 4
    else:
        assert type_name == "stream.online"
        assert (e.id, e.type) == (ctx["stream_id"], "live")


async def _subscribe_all(client: twitchio.Client, world: World, types: Any) -> None:
    for type_name in types:
        await client.subscribe_websocket(
            _subscription(type_name, world.broadcaster_id), token_for=world.broadcaster_id
        )


async def _sessions(world: World) -> set[tuple[str, bool]]:
    subs = await world.call(lambda: list(world.sim.hub.registry.all()))
    return {(s.session_id, s.enabled) for s in subs}


#: Every panel type but stream.offline, which twitchio cannot parse (see its defect test).
PANEL_STEPS = [step for step in STEPS if step[0] != "stream.offline"]


async def test_eventsub_every_panel_type_then_a_forced_reconnect(
    client: twitchio.Client, world: World
) -> None:
    collector = Collector(client, EVENT_NAMES)
    await _subscribe_all(client, world, PANEL_TYPES)
    subs = await world.call(lambda: list(world.sim.hub.registry.all()))
    assert sorted(s.type for s in subs) == sorted(PANEL_TYPES)
    # twitchio sends reward_id "" for the reward types: every reward (item 1 of issue 17).
    conditions = {s.type: s.condition for s in subs}
    assert conditions["channel.channel_points_custom_reward_redemption.add"] == {
        "broadcaster_user_id": world.broadcaster_id,
        "reward_id": "",
    }

    ctx: dict[str, Any] = {}
    for type_name, step in PANEL_STEPS:
        await step(world, ctx)
        got_type, event = await collector.next()
        assert got_type == type_name
        _check(type_name, event, ctx, world)

    (before,) = await _sessions(world)
    moved = asyncio.run_coroutine_threadsafe(world.sim.hub.force_reconnect(), world.st._loop)
    assert await asyncio.wrap_future(moved) == 1
    for _ in range(200):
        now = await _sessions(world)
        if len(now) == 1 and now != {before}:
            break
        await asyncio.sleep(0.02)
    (after,) = await _sessions(world)
    assert after[0] != before[0] and after[1] is True
    ctx = {}
    # A reward made and changed (the stream is still live from the first pass).
    for type_name, step in PANEL_STEPS[1:3]:
        await step(world, ctx)
        got_type, event = await collector.next()
        assert got_type == type_name
        _check(type_name, event, ctx, world)
    await asyncio.sleep(0.2)
    assert collector.events.empty()  # nothing twice


async def test_defect_stream_offline_model_requires_an_id(
    client: twitchio.Client, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # twitchio's StreamOffline reads payload["id"]; Twitch's stream.offline event has no id
    # (only the broadcaster), so the notification is dropped with a logged KeyError.
    collector = Collector(client, {"stream.offline": "stream_offline"})
    await _subscribe_all(client, world, ["stream.offline"])
    await world.call(world.state.set_stream_live, world.broadcaster_id, True)
    with caplog.at_level(logging.CRITICAL, logger="twitchio.eventsub.websockets"):
        await world.call(world.state.set_stream_live, world.broadcaster_id, False)
        with pytest.raises(TimeoutError):
            await collector.next(timeout=1.0)
    failures = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], KeyError)]
    assert len(failures) == 1
    assert failures[0].exc_info[1].args == ("id",)  # type: ignore[index]


async def test_hype_train_version_2(client: twitchio.Client, world: World) -> None:
    # twitchio subscribes to version 2 of the hype-train types.
    from companion.sim.extras import extras_store

    names = {
        "channel.hype_train.begin": "hype_train",
        "channel.hype_train.progress": "hype_train_progress",
        "channel.hype_train.end": "hype_train_end",
    }
    collector = Collector(client, names)
    await _subscribe_all(client, world, names)
    subs = await world.call(lambda: list(world.sim.hub.registry.all()))
    assert {(s.type, s.version) for s in subs} == {(t, "2") for t in names}
    store = extras_store(world.state)
    b, fan = world.broadcaster_id, world.viewers[1]
    await world.call(store.start_hype_train, b, [(fan, "bits", 300)])
    got_type, begin = await collector.next()
    assert got_type == "channel.hype_train.begin"
    assert (begin.level, begin.total, begin.type, begin.shared_train) == (1, 300, "regular", False)
    assert (begin.all_time_high_level, begin.all_time_high_total) == (1, 300)
    assert [(c.user.id, c.type, c.total) for c in begin.top_contributions] == [(fan, "bits", 300)]
    await world.call(store.contribute_hype_train, b, fan, "subscription", 500)
    got_type, progress = await collector.next()
    assert (got_type, progress.total, progress.progress) == (
        "channel.hype_train.progress",
        800,
        800,
    )
    await world.call(store.end_hype_train, b)
    got_type, end = await collector.next()
    assert (got_type, end.id, end.total) == ("channel.hype_train.end", begin.id, 800)
    assert end.cooldown_until > end.ended_at
