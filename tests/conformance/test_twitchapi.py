"""twitchAPI (4.5) against the simulator: Helix, OAuth and EventSub as the panels use them.

twitchAPI takes ``base_url`` and ``auth_base_url`` in its constructor and
``connection_url``/``subscription_url`` in ``EventSubWebsocket``, so it is pointed at the
simulator as its own documentation says (no patching). Every assertion is on what came back
AND on the simulator's state afterwards. A call that fails because of twitchAPI itself is
a ``test_defect_*`` that proves the defect (and that the simulator answers Twitch's way);
each is listed, with the line of twitchAPI's source, in docs/conformance.md.
"""

from __future__ import annotations

import asyncio
import queue
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from tests.conformance.conftest import CLIENT_ID, SCOPES, World, require
from tests.conformance.scenarios import PANEL_TYPES, STEPS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from twitchAPI.twitch import Twitch


@pytest.fixture
async def twitch(world: World) -> AsyncIterator[Twitch]:
    require("twitchAPI")
    from twitchAPI.twitch import Twitch
    from twitchAPI.type import AuthScope

    tw = Twitch(
        CLIENT_ID,
        authenticate_app=False,
        base_url=world.sim.helix_url + "/",
        auth_base_url=world.sim.oauth_url + "/",
    )
    # Validates the token against the simulator's /oauth2/validate.
    await tw.set_user_authentication(
        world.token["access_token"], [AuthScope(s) for s in SCOPES], world.token["refresh_token"]
    )
    yield tw
    await tw.close()  # type: ignore[no-untyped-call]  # twitchAPI's


async def _all(gen: Any) -> list[Any]:
    return [item async for item in gen]


# -- users ------------------------------------------------------------------------------------


async def test_get_users(twitch: Twitch, world: World) -> None:
    by_both = await _all(twitch.get_users(user_ids=[world.broadcaster_id], logins=["viewer0"]))
    assert sorted((u.id, u.login, u.display_name) for u in by_both) == sorted(
        [(world.broadcaster_id, "caster", "Caster"), (world.viewers[0], "viewer0", "Viewer0")]
    )
    (me,) = await _all(twitch.get_users())
    assert (me.id, me.broadcaster_type) == (world.broadcaster_id, "partner")
    assert me.email is not None  # user:read:email, own user


# -- rewards ----------------------------------------------------------------------------------


async def test_custom_rewards_crud(twitch: Twitch, world: World) -> None:
    b = world.broadcaster_id
    reward = await twitch.create_custom_reward(
        b,
        "Hydrate",
        100,
        prompt="Drink water",
        background_color="#9147FF",
        is_global_cooldown_enabled=True,
        global_cooldown_seconds=120,
    )
    assert (reward.title, reward.cost, reward.prompt) == ("Hydrate", 100, "Drink water")
    assert reward.global_cooldown_setting.global_cooldown_seconds == 120
    other = await twitch.create_custom_reward(b, "Stretch", 20)
    listed = await twitch.get_custom_reward(b)
    assert sorted(r.id for r in listed) == sorted([reward.id, other.id])
    (by_id,) = await twitch.get_custom_reward(b, reward_id=reward.id, only_manageable_rewards=True)
    assert by_id.background_color == "#9147FF"

    updated = await twitch.update_custom_reward(b, reward.id, title="Hydrate!", cost=250)
    assert (updated.title, updated.cost) == ("Hydrate!", 250)
    await twitch.delete_custom_reward(b, other.id)

    stored = await world.call(world.state.get_rewards, b, CLIENT_ID, [], False)
    assert [(r["id"], r["title"], r["cost"]) for r in stored] == [(reward.id, "Hydrate!", 250)]


# -- redemptions ------------------------------------------------------------------------------


async def test_redemptions_paged_over_100_and_updated(twitch: Twitch, world: World) -> None:
    from twitchAPI.type import CustomRewardRedemptionStatus as Status
    from twitchAPI.type import SortOrder

    b = world.broadcaster_id
    reward = await twitch.create_custom_reward(b, "Song request", 10)
    made = [
        (await world.call(world.state.redeem, b, reward.id, world.viewers[n % 5]))["id"]
        for n in range(130)
    ]
    read = await _all(
        twitch.get_custom_reward_redemption(b, reward.id, status=Status.UNFULFILLED, first=50)
    )
    assert [r.id for r in read] == made  # oldest first, each once, across 3 pages
    newest = await _all(
        twitch.get_custom_reward_redemption(
            b, reward.id, status=Status.UNFULFILLED, sort=SortOrder.NEWEST, first=50
        )
    )
    assert [r.id for r in newest] == made[::-1]

    # twitchAPI returns the first redemption of the answer only (its return type is one
    # CustomRewardRedemption); the simulator's state shows all 50 were updated.
    done = await twitch.update_redemption_status(b, reward.id, made[:50], Status.FULFILLED)
    assert (done.id, done.status) == (made[0], Status.FULFILLED)
    refunded = await twitch.update_redemption_status(b, reward.id, made[50:60], Status.CANCELED)
    assert (refunded.id, refunded.status) == (made[50], Status.CANCELED)

    left = await _all(
        twitch.get_custom_reward_redemption(b, reward.id, status=Status.UNFULFILLED, first=50)
    )
    assert [r.id for r in left] == made[60:]
    fulfilled = await _all(
        twitch.get_custom_reward_redemption(b, reward.id, status=Status.FULFILLED, first=50)
    )
    assert sorted(r.id for r in fulfilled) == sorted(made[:50])


# -- predictions ------------------------------------------------------------------------------


async def test_predictions(twitch: Twitch, world: World) -> None:
    from twitchAPI.type import PredictionStatus

    b = world.broadcaster_id
    made = await twitch.create_prediction(b, "Win?", ["Yes", "No"], 60)
    yes, no = made.outcomes
    assert (made.status, yes.title, yes.color, no.color) == (
        PredictionStatus.ACTIVE,
        "Yes",
        "BLUE",
        "PINK",
    )
    await world.call(world.state.predict, made.id, world.viewers[0], yes.id, 300)
    await world.call(world.state.predict, made.id, world.viewers[1], no.id, 100)
    (read,) = await _all(twitch.get_predictions(b, prediction_ids=[made.id]))
    assert [(o.users, o.channel_points) for o in read.outcomes] == [(1, 300), (1, 100)]
    locked = await twitch.end_prediction(b, made.id, PredictionStatus.LOCKED)
    assert locked.status == PredictionStatus.LOCKED
    resolved = await twitch.end_prediction(b, made.id, PredictionStatus.RESOLVED, yes.id)
    assert (resolved.status, resolved.winning_outcome_id) == (PredictionStatus.RESOLVED, yes.id)
    listed = await _all(twitch.get_predictions(b, first=20))
    assert [p.id for p in listed] == [made.id]


async def test_defect_predictions_first_is_capped_at_20(twitch: Twitch, world: World) -> None:
    # Twitch allows first up to 25 on Get Predictions; twitchAPI refuses 21-25 before sending.
    with pytest.raises(ValueError, match="first must be in range 1 to 20"):
        await _all(twitch.get_predictions(world.broadcaster_id, first=25))
    # The simulator answers first=25 (and refuses 26), as Twitch documents.
    headers = {
        "Authorization": f"Bearer {world.token['access_token']}",
        "Client-Id": CLIENT_ID,
    }
    url = world.sim.helix_url + "/predictions"
    async with aiohttp.ClientSession() as session:
        for first, status in (("25", 200), ("26", 400)):
            params = {"broadcaster_id": world.broadcaster_id, "first": first}
            async with session.get(url, params=params, headers=headers) as answer:
                assert answer.status == status


# -- polls ------------------------------------------------------------------------------------


async def test_polls(twitch: Twitch, world: World) -> None:
    from twitchAPI.type import PollStatus

    b = world.broadcaster_id
    made = await twitch.create_poll(
        b, "Next game?", ["Chess", "Go", "Shogi"], 60, True, channel_points_per_vote=10
    )
    assert (made.status, [c.title for c in made.choices]) == (
        PollStatus.ACTIVE,
        ["Chess", "Go", "Shogi"],
    )
    await world.call(world.state.vote, made.id, made.choices[1].id, 4)
    (read,) = await _all(twitch.get_polls(b, poll_id=made.id))
    assert [c.votes for c in read.choices] == [0, 4, 0]
    assert read.channel_points_per_vote == 10
    ended = await twitch.end_poll(b, made.id, PollStatus.TERMINATED)
    assert ended.status == PollStatus.TERMINATED
    stored, _ = await world.call(world.state.get_polls, b, [made.id], None, 20)
    assert stored[0]["status"] == "TERMINATED"


async def test_defect_poll_channel_points_voting_enabled_is_misspelt(
    twitch: Twitch, world: World
) -> None:
    # twitchAPI's Poll declares `channel_point_voting_enabled`; Twitch (and the simulator)
    # send `channel_points_voting_enabled`, so twitchAPI never has the value.
    made = await twitch.create_poll(
        world.broadcaster_id, "Heads?", ["Heads", "Tails"], 60, True, channel_points_per_vote=5
    )
    raw, _ = await world.call(world.state.get_polls, world.broadcaster_id, [made.id], None, 20)
    assert raw[0]["channel_points_voting_enabled"] is True
    assert getattr(made, "channel_point_voting_enabled", None) is None
    assert not hasattr(made, "channel_points_voting_enabled")


# -- goals, extensions, moderators, emotes ----------------------------------------------------


async def test_creator_goals(twitch: Twitch, world: World) -> None:
    goal = await world.call(
        world.state.create_goal, world.broadcaster_id, "follower", "Fans", 50, 12
    )
    (read,) = await _all(twitch.get_creator_goals(world.broadcaster_id))
    assert (read.id, read.type, read.description, read.current_amount, read.target_amount) == (
        goal["id"],
        "follower",
        "Fans",
        12,
        50,
    )


EXTENSIONS = (
    {"id": "confpanel00000000000000000001", "version": "1.0.0", "name": "Schedule",
     "type": ["panel"]},
    {"id": "confoverlay000000000000000002", "version": "2.1.0", "name": "Alerts",
     "type": ["overlay"]},
)  # fmt: skip


async def test_extensions(twitch: Twitch, world: World) -> None:
    for ext in EXTENSIONS:
        await world.call(world.state.install_extension, world.broadcaster_id, dict(ext))
    installed = await twitch.get_user_extensions()
    assert sorted(e.id for e in installed) == sorted(e["id"] for e in EXTENSIONS)
    active = await twitch.get_user_active_extensions()
    assert not any(slot.active for slot in active.panel.values())
    active.panel["1"].active = True
    active.panel["1"].id = EXTENSIONS[0]["id"]
    active.panel["1"].version = EXTENSIONS[0]["version"]
    written = await twitch.update_user_extensions(active)
    assert (written.panel["1"].active, written.panel["1"].id) == (True, EXTENSIONS[0]["id"])
    again = await twitch.get_user_active_extensions(world.broadcaster_id)
    assert again.panel["1"].id == EXTENSIONS[0]["id"]


async def test_moderators_and_emotes(twitch: Twitch, world: World) -> None:
    from companion.sim.extras import extras_store

    store = extras_store(world.state)
    await world.call(store.add_moderator, world.broadcaster_id, world.viewers[2])
    await world.call(store.add_channel_emote, world.broadcaster_id, "casterHi")
    mods = await _all(twitch.get_moderators(world.broadcaster_id))
    assert [(m.user_id, m.user_login) for m in mods] == [(world.viewers[2], "viewer2")]
    channel = await twitch.get_channel_emotes(world.broadcaster_id)
    assert [(e.name, e.tier, e.emote_type) for e in channel.data] == [
        ("casterHi", "1000", "subscriptions")
    ]
    assert "{{id}}" in channel.template
    global_ = await twitch.get_global_emotes()
    assert [e.name for e in global_.data][:1] == ["TwitchUnity"]


# -- OAuth: the device flow -------------------------------------------------------------------


async def test_device_code_flow_polling_every_second(twitch: Twitch, world: World) -> None:
    # twitchAPI's CodeFlow polls every second whatever the interval (5 s here): it is told to
    # slow down while the user has not answered, and gets its token once they approve.
    from twitchAPI.oauth import CodeFlow
    from twitchAPI.type import AuthScope

    world.state.config.device_poll_interval = 5
    flow = CodeFlow(twitch, [AuthScope.CHANNEL_READ_POLLS], auth_base_url=world.sim.oauth_url + "/")
    user_code, url = await flow.get_code()
    assert url.endswith(f"device-code={user_code}")
    waiting = asyncio.ensure_future(flow.wait_for_auth_complete())
    await asyncio.sleep(1.5)
    assert not waiting.done()
    await world.call(world.state.approve_device, user_code, world.viewers[3])
    access, refresh = await asyncio.wait_for(waiting, 5)
    record = await world.call(world.state.lookup_access_token, access)
    assert (record.user_id, record.scopes) == (world.viewers[3], frozenset({"channel:read:polls"}))
    assert refresh


# -- EventSub ---------------------------------------------------------------------------------


async def _stop(eventsub: Any) -> None:
    """Stops twitchAPI's EventSub and closes the loop it leaves open.

    ``EventSubWebsocket._run_socket`` (twitchAPI/eventsub/websocket.py) makes a loop with
    ``asyncio.new_event_loop()`` and never closes it; under ``filterwarnings = error`` the
    ResourceWarning would fail the test. Not a Twitch-protocol matter, so not in the table.
    """
    await eventsub.stop()
    await asyncio.to_thread(eventsub._socket_thread.join, 5)
    eventsub._socket_loop.close()


class Collector:
    """Callbacks run on twitchAPI's socket thread; this hands their events to the test."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def callback(self, type_name: str) -> Any:
        async def on_event(event: Any) -> None:
            self.events.put((type_name, event))

        return on_event

    async def next(self, timeout: float = 5.0) -> tuple[str, Any]:
        return await asyncio.to_thread(self.events.get, True, timeout)

    def drained(self) -> list[tuple[str, Any]]:
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out


_LISTEN = {
    "channel.channel_points_custom_reward_redemption.add": (
        "listen_channel_points_custom_reward_redemption_add"
    ),
    "channel.channel_points_custom_reward_redemption.update": (
        "listen_channel_points_custom_reward_redemption_update"
    ),
    "channel.channel_points_custom_reward.add": "listen_channel_points_custom_reward_add",
    "channel.channel_points_custom_reward.update": "listen_channel_points_custom_reward_update",
    "channel.channel_points_custom_reward.remove": "listen_channel_points_custom_reward_remove",
    "channel.prediction.begin": "listen_channel_prediction_begin",
    "channel.prediction.progress": "listen_channel_prediction_progress",
    "channel.prediction.lock": "listen_channel_prediction_lock",
    "channel.prediction.end": "listen_channel_prediction_end",
    "channel.poll.begin": "listen_channel_poll_begin",
    "channel.poll.progress": "listen_channel_poll_progress",
    "channel.poll.end": "listen_channel_poll_end",
    "channel.goal.begin": "listen_goal_begin",
    "channel.goal.progress": "listen_goal_progress",
    "channel.goal.end": "listen_goal_end",
    "stream.online": "listen_stream_online",
    "stream.offline": "listen_stream_offline",
}


def _check(type_name: str, event: Any, ctx: dict[str, Any], world: World) -> None:
    """What twitchAPI parsed equals the change the simulator made."""
    e = event.event
    assert e.broadcaster_user_id == world.broadcaster_id
    short = type_name.removeprefix("channel.")
    if short == "channel_points_custom_reward.add":
        assert (e.id, e.title, e.cost, e.prompt) == (
            ctx["reward"]["id"],
            "Hydrate",
            100,
            "Drink some water",
        )
    elif short == "channel_points_custom_reward.update":
        assert (e.id, e.cost) == (ctx["reward"]["id"], 150)
    elif short == "channel_points_custom_reward.remove":
        assert e.id == ctx["removed_reward_id"]
    elif short == "channel_points_custom_reward_redemption.add":
        assert (e.id, e.status, e.user_id, e.reward.id) == (
            ctx["redemption"]["id"],
            "unfulfilled",
            world.viewers[0],
            ctx["reward"]["id"],
        )
    elif short == "channel_points_custom_reward_redemption.update":
        assert (e.id, e.status) == (ctx["redemption"]["id"], "fulfilled")
    elif short.startswith("prediction."):
        assert e.id == ctx["prediction"]["id"]
        if short == "prediction.progress":
            assert e.outcomes[0].channel_points == 250
        if short == "prediction.end":
            assert (e.status, e.winning_outcome_id) == (
                "resolved",
                ctx["prediction"]["outcomes"][0]["id"],
            )
    elif short.startswith("poll."):
        assert e.id == ctx["poll"]["id"]
        if short == "poll.progress":
            assert [c.votes for c in e.choices] == [0, 3]
        if short == "poll.end":
            assert e.status == "terminated"
    elif short.startswith("goal."):
        assert (e.id, e.type) == (ctx["goal"]["id"], "follow")
        if short == "goal.progress":
            assert e.current_amount == 4
    elif type_name == "stream.online":
        assert (e.id, e.type) == (ctx["stream_id"], "live")
    else:
        assert type_name == "stream.offline"


async def test_eventsub_every_panel_type_then_a_forced_reconnect(
    twitch: Twitch, world: World
) -> None:
    from twitchAPI.eventsub.websocket import EventSubWebsocket

    collector = Collector()
    eventsub = EventSubWebsocket(
        twitch,
        connection_url=world.sim.eventsub_url,
        subscription_url=world.sim.helix_url + "/",
    )
    eventsub.start()  # blocks until the welcome (the simulator runs on its own thread)
    try:
        for type_name in PANEL_TYPES:
            await getattr(eventsub, _LISTEN[type_name])(
                world.broadcaster_id, collector.callback(type_name)
            )
        subs = await world.call(lambda: list(world.sim.hub.registry.all()))
        assert sorted(s.type for s in subs) == sorted(PANEL_TYPES)
        assert {s.session_id for s in subs} == {eventsub.active_session.id}

        ctx: dict[str, Any] = {}
        for type_name, step in STEPS:
            await step(world, ctx)
            got_type, event = await collector.next()
            assert got_type == type_name
            _check(type_name, event, ctx, world)

        # Twitch's session_reconnect: twitchAPI moves to the new URL; the subscriptions come
        # along (same ids), and events keep arriving, once each.
        old_session = eventsub.active_session.id
        assert await world.st.call(lambda: None) is None
        moved = asyncio.run_coroutine_threadsafe(world.sim.hub.force_reconnect(), world.st._loop)
        assert await asyncio.wrap_future(moved) == 1
        for _ in range(200):
            if eventsub.active_session.id != old_session:
                break
            await asyncio.sleep(0.02)
        new_session = eventsub.active_session.id
        assert new_session != old_session
        subs = await world.call(lambda: list(world.sim.hub.registry.all()))
        assert {(s.session_id, s.enabled) for s in subs} == {(new_session, True)}
        ctx = {}
        # A reward made and changed after the move.
        for type_name, step in STEPS[1:3]:
            await step(world, ctx)
            got_type, event = await collector.next()
            assert got_type == type_name
            _check(type_name, event, ctx, world)
        await asyncio.sleep(0.2)
        assert collector.drained() == []  # nothing twice

        await eventsub.unsubscribe_all()
        left = await world.call(lambda: list(world.sim.hub.registry.all()))
        assert left == []
    finally:
        await _stop(eventsub)


async def test_unsubscribe_all_while_paging_removes_every_subscription(
    twitch: Twitch, world: World
) -> None:
    # twitchAPI's unsubscribe_all deletes each page before it asks for the next one; with
    # more than one page (100) every subscription must still go.
    from twitchAPI.eventsub.websocket import EventSubWebsocket

    eventsub = EventSubWebsocket(
        twitch, connection_url=world.sim.eventsub_url, subscription_url=world.sim.helix_url + "/"
    )
    eventsub.start()
    try:
        noop = Collector().callback("x")
        for n in range(119):
            await eventsub.listen_channel_points_custom_reward_redemption_add(
                world.broadcaster_id, noop, reward_id=f"reward-{n}"
            )
        assert len(await world.call(lambda: list(world.sim.hub.registry.all()))) == 119
        await eventsub.unsubscribe_all()
        assert await world.call(lambda: list(world.sim.hub.registry.all())) == []
    finally:
        await _stop(eventsub)
