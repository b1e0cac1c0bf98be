"""The EventSub WebSocket client against the simulator over loopback.

Every test ends with exact counts: what was made in the simulator is what the client
delivered, once each.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from companion.sim import SimConfig, Simulator
from companion.twitch.errors import LimitError
from companion.twitch.eventsub import (
    ConnectionState,
    ConnectionStatus,
    EventSubClient,
    EventSubEvent,
    ResyncInfo,
    Revocation,
)
from companion.twitch.eventsub_messages import APP_SUBSCRIPTION_TYPES, app_subscriptions
from companion.twitch.http import HTTPHandler
from companion.twitch.models.channel_points import CustomRewardRedemption
from companion.twitch.models.users import PartialUser
from companion.twitch.tokens import SimpleTokenHandler

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

CLIENT_ID = "eventsubclienttest00000000001"
SCOPES = (
    "channel:read:redemptions",
    "channel:manage:redemptions",
    "channel:read:predictions",
    "channel:manage:predictions",
    "channel:read:polls",
    "channel:manage:polls",
    "channel:read:goals",
)
REDEMPTION_ADD = "channel.channel_points_custom_reward_redemption.add"
VIEWERS = 20


class Channel:
    """A broadcaster with one reward, a few viewers, and a client core handler."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        state = sim.state
        state.register_client(CLIENT_ID, None)
        self.caster_id = str(state.create_user("caster", "Caster", "affiliate")["id"])
        self.viewers = [
            str(state.create_user(f"viewer{i}", f"Viewer{i}", "")["id"]) for i in range(VIEWERS)
        ]
        self.reward_id = str(
            state.create_reward(self.caster_id, CLIENT_ID, {"title": "Hydrate", "cost": 10})["id"]
        )
        token = state.issue_user_token(CLIENT_ID, self.caster_id, SCOPES)
        self.http = HTTPHandler(
            SimpleTokenHandler(token["access_token"], CLIENT_ID, token["refresh_token"]),
            helix_url=sim.helix_url,
            oauth_url=sim.oauth_url,
            eventsub_url=sim.eventsub_url,
        )
        self.user = PartialUser(self.http, self.caster_id, login="caster")

    def redeem(self, count: int) -> list[str]:
        """``count`` redemptions now; their ids, in order."""
        state = self.sim.state
        ids = []
        for i in range(count):
            viewer = self.viewers[i % VIEWERS]
            ids.append(str(state.redeem(self.caster_id, self.reward_id, viewer)["id"]))
        return ids

    def client(self, **kwargs: Any) -> EventSubClient:
        return EventSubClient(self.http, self.user, **kwargs)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(SimConfig(seed=11, tick_interval=0.05))
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


class Collector:
    """Reads a client's event stream into lists until told to stop."""

    def __init__(self, client: EventSubClient) -> None:
        self.events: list[EventSubEvent] = []
        self.revocations: list[Revocation] = []
        self.statuses: list[ConnectionStatus] = []
        self._stream = client.events()
        client.add_state_listener(self.statuses.append)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        async for event in self._stream:
            if isinstance(event, Revocation):
                self.revocations.append(event)
            else:
                self.events.append(event)

    def redemption_ids(self, *, resync: bool | None = None) -> list[str]:
        return [
            e.model.id
            for e in self.events
            if e.subscription_type == REDEMPTION_ADD and (resync is None or e.resync == resync)
        ]

    def states(self) -> list[ConnectionState]:
        return [s.state for s in self.statuses]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; {len(self.events)} events so far")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._stream.close()
        await self._task


@pytest.fixture
async def live(channel: Channel) -> AsyncIterator[tuple[EventSubClient, Collector]]:
    client = channel.client(reconnect_base_delay=0.05, reconnect_max_delay=0.2)
    collector = Collector(client)
    await client.start()
    try:
        await client.wait_live(5)
        yield client, collector
    finally:
        await client.close()
        await collector.stop()


async def test_subscribes_to_everything_the_app_needs(
    sim: Simulator, channel: Channel, live: tuple[EventSubClient, Collector]
) -> None:
    client, collector = live
    assert sim.hub is not None
    subs = [s for s in sim.hub.registry.all() if s.enabled]
    assert sorted(s.type for s in subs) == sorted(APP_SUBSCRIPTION_TYPES)
    assert {s.session_id for s in subs} == {client.session_id}
    assert set(client.subscription_ids) == set(APP_SUBSCRIPTION_TYPES)
    assert client.total_cost == 0
    assert client.max_total_cost == 10
    assert collector.states() == [ConnectionState.CONNECTING, ConnectionState.LIVE]


async def test_burst_of_10000_redemptions_arrives_complete_and_once(
    channel: Channel, live: tuple[EventSubClient, Collector]
) -> None:
    client, collector = live
    made = channel.redeem(10_000)

    await collector.wait(lambda: len(collector.events) >= 10_000, timeout=30)
    await asyncio.sleep(0.2)  # anything extra (a duplicate) would show up now

    ids = collector.redemption_ids()
    assert len(ids) == 10_000
    assert ids == made  # complete, once each, and in order on one socket
    assert all(isinstance(e.model, CustomRewardRedemption) for e in collector.events)
    assert client.duplicates_dropped == 0
    assert collector.states() == [ConnectionState.CONNECTING, ConnectionState.LIVE]


async def test_session_reconnect_mid_burst_loses_and_duplicates_nothing(
    sim: Simulator, channel: Channel
) -> None:
    resyncs: list[ResyncInfo] = []
    client = channel.client(on_resync=resyncs.append)
    collector = Collector(client)
    await client.start()
    try:
        await client.wait_live(5)
        assert sim.hub is not None
        first_session = client.session_id
        made = channel.redeem(1000)
        await asyncio.sleep(0.01)
        assert await sim.hub.force_reconnect() == 1
        # Queued on the old socket behind the reconnect message: most of it is still in
        # flight there when the new welcome arrives.
        made += channel.redeem(3000)
        for _ in range(10):
            await asyncio.sleep(0.005)
            made += channel.redeem(100)  # goes to whichever socket holds the session now

        await collector.wait(lambda: len(collector.events) >= 5000, timeout=20)
        await asyncio.sleep(client.handoff_quiet_seconds + 0.3)  # any duplicate shows up now

        ids = collector.redemption_ids()
        assert len(ids) == 5000
        assert Counter(ids) == Counter(made)
        carriers = Counter(e.subscription["transport"]["session_id"] for e in collector.events)
        assert set(carriers) == {first_session, client.session_id}  # the burst spanned both
        # Moved, not resubscribed: one fresh session, one resync (the first), never lost.
        assert client.session_id != first_session
        assert client.sessions_started == 1
        assert [r.first for r in resyncs] == [True]
        # Live throughout; the second LIVE only announces the new session id.
        assert collector.states() == [
            ConnectionState.CONNECTING,
            ConnectionState.LIVE,
            ConnectionState.LIVE,
        ]
        assert [s.session_id for s in collector.statuses] == [
            None,
            first_session,
            client.session_id,
        ]
        subs = [s for s in sim.hub.registry.all() if s.enabled]
        assert len(subs) == len(APP_SUBSCRIPTION_TYPES)
        assert {s.session_id for s in subs} == {client.session_id}
        assert sim.hub.session_ids == [client.session_id]  # the old socket is closed
    finally:
        await client.close()
        await collector.stop()


@pytest.mark.parametrize("close_code", [None, 4000, 4006])
async def test_lost_socket_is_reconciled_through_helix(
    sim: Simulator, channel: Channel, close_code: int | None
) -> None:
    resyncs: list[ResyncInfo] = []
    client = channel.client(
        on_resync=resyncs.append,
        standard_resync=True,
        reconnect_base_delay=0.05,
        reconnect_max_delay=0.2,
    )
    collector = Collector(client)
    await client.start()
    try:
        await client.wait_live(5)
        await collector.wait(lambda: len(resyncs) == 1)
        before = channel.redeem(50)
        await collector.wait(lambda: len(collector.redemption_ids(resync=False)) == 50)
        assert sim.hub is not None
        first_session = client.session_id

        assert await sim.hub.drop_connections(close_code) == 1
        # Made while nobody listens (no await in between: the client cannot be back yet).
        missed = channel.redeem(30)

        await collector.wait(lambda: len(resyncs) == 2)
        await collector.wait(lambda: len(collector.redemption_ids(resync=True)) == 80)
        await asyncio.sleep(0.2)

        assert collector.redemption_ids(resync=False) == before  # no replay, no duplicate
        # The snapshot holds every UNFULFILLED redemption once: the 50 seen live, the 30 missed.
        assert Counter(collector.redemption_ids(resync=True)) == Counter(before + missed)
        assert set(collector.redemption_ids()) == set(before + missed)
        info = resyncs[1]
        assert not info.first
        assert info.session_id == client.session_id != first_session
        assert client.sessions_started == 2
        states = collector.states()
        assert states[:2] == [ConnectionState.CONNECTING, ConnectionState.LIVE]
        assert states[-1] is ConnectionState.LIVE
        assert ConnectionState.RECONNECTING in states
        lost = next(s for s in collector.statuses if s.state is ConnectionState.RECONNECTING)
        assert lost.close_code == close_code
        # Resubscribed on the new session.
        subs = [s for s in sim.hub.registry.all() if s.enabled]
        assert sorted(s.type for s in subs) == sorted(APP_SUBSCRIPTION_TYPES)
        assert {s.session_id for s in subs} == {client.session_id}
        reward_events = [
            e
            for e in collector.events
            if e.resync and e.subscription_type.endswith("reward.update")
        ]
        assert [e.model.id for e in reward_events] == [channel.reward_id, channel.reward_id]
    finally:
        await client.close()
        await collector.stop()


async def test_resent_messages_are_delivered_once(
    sim: Simulator, channel: Channel, live: tuple[EventSubClient, Collector]
) -> None:
    client, collector = live
    made = channel.redeem(100)
    await collector.wait(lambda: len(collector.events) == 100)
    assert sim.hub is not None

    assert sim.hub.resend_last(100) == 100
    marker = channel.redeem(1)  # sent after the resends: once it is here, they are too
    await collector.wait(lambda: len(collector.events) >= 101)
    await asyncio.sleep(0.1)

    assert collector.redemption_ids() == made + marker
    assert client.duplicates_dropped == 100


async def test_revocation_is_reported_and_fails_the_connection(
    sim: Simulator, channel: Channel, live: tuple[EventSubClient, Collector]
) -> None:
    client, collector = live
    sim.state.revoke_user_tokens(CLIENT_ID, channel.caster_id)

    await collector.wait(lambda: client.status.state is ConnectionState.FAILED)
    await asyncio.wait_for(collector._task, 5)  # the stream ended with the failure

    assert len(collector.revocations) == len(APP_SUBSCRIPTION_TYPES)
    assert {r.status for r in collector.revocations} == {"authorization_revoked"}
    assert sorted(r.subscription_type for r in collector.revocations) == sorted(
        APP_SUBSCRIPTION_TYPES
    )
    assert client.status.reason == "every subscription was revoked (authorization_revoked)"
    assert collector.states()[-1] is ConnectionState.FAILED


async def test_unused_connection_4003_reconnects_at_once(sim: Simulator, channel: Channel) -> None:
    hub = sim.hub
    assert hub is not None
    hub.welcome_window_seconds = 0.0  # closes before any subscription can be made
    client = channel.client(reconnect_base_delay=5.0)  # a backoff would show in the timing

    def restore_window(status: ConnectionStatus) -> None:
        if status.close_code == 4003:  # called before the next connection is opened
            hub.welcome_window_seconds = None

    client.add_state_listener(restore_window)
    collector = Collector(client)
    started = time.monotonic()
    await client.start()
    try:
        await client.wait_live(5)
        assert time.monotonic() - started < 2.0
        retries = [s for s in collector.statuses if s.retry_in is not None]
        assert [(s.close_code, s.retry_in) for s in retries] == [(4003, 0.0)]
        assert client.sessions_started == 1
    finally:
        await client.close()
        await collector.stop()


async def test_keepalive_silence_triggers_reconnect_within_timeout_and_margin(
    sim: Simulator, channel: Channel
) -> None:
    assert sim.hub is not None
    client = channel.client(keepalive_timeout=10, keepalive_margin=1.0, reconnect_base_delay=0.05)
    collector = Collector(client)
    await client.start()
    try:
        await client.wait_live(5)
        silenced_at = time.monotonic()
        sim.hub.silence_keepalive(30)  # the welcome was the last message

        await collector.wait(lambda: ConnectionState.RECONNECTING in collector.states(), timeout=15)
        elapsed = time.monotonic() - silenced_at
        assert 9.5 <= elapsed <= 10 + 1.0 + 0.5
        lost = next(s for s in collector.statuses if s.state is ConnectionState.RECONNECTING)
        assert lost.reason == "no message for 11s (keepalive timeout)"
        await client.wait_live(5)
        assert client.sessions_started == 2
    finally:
        await client.close()
        await collector.stop()


async def test_close_is_idempotent_and_leaves_no_task(channel: Channel) -> None:
    client = channel.client()
    stream = client.events()
    await client.start()
    await client.wait_live(5)
    await client.close()
    await client.close()

    assert client.status.state is ConnectionState.CLOSED
    assert [e async for e in stream] == []
    mine = [
        t
        for t in asyncio.all_tasks()
        if "companion/twitch/" in t.get_coro().cr_code.co_filename  # type: ignore[union-attr]
    ]
    assert mine == []


async def test_invalid_reconnect_url_4007_falls_back_to_a_fresh_session(
    sim: Simulator, channel: Channel
) -> None:
    hub = sim.hub
    assert hub is not None
    resyncs: list[ResyncInfo] = []
    client = channel.client(on_resync=resyncs.append, reconnect_base_delay=5.0)
    collector = Collector(client)
    await client.start()
    try:
        await client.wait_live(5)
        first_session = client.session_id
        assert await hub.force_reconnect() == 1
        # Spoil the reconnect URL before the client can use it (the simulator then answers
        # it with 4007, as Twitch does for an invalid one).
        for pending in hub._reconnects.values():
            pending.used = True

        await collector.wait(lambda: len(resyncs) == 2, timeout=5)
        made = channel.redeem(5)
        await collector.wait(lambda: len(collector.events) == 5)

        lost = next(s for s in collector.statuses if s.state is ConnectionState.RECONNECTING)
        assert lost.close_code == 4007
        assert lost.reason == (
            "session_reconnect failed: the reconnect URL closed before the welcome (code 4007)"
        )
        retries = [s for s in collector.statuses if s.retry_in is not None]
        assert [(s.close_code, s.retry_in) for s in retries] == [(4007, 0.0)]
        assert resyncs[1].first is False
        assert resyncs[1].reason == lost.reason
        assert client.session_id not in (None, first_session)
        assert client.sessions_started == 2
        assert collector.redemption_ids() == made
    finally:
        await client.close()
        await collector.stop()


async def test_missing_scopes_leave_the_rest_subscribed(sim: Simulator, channel: Channel) -> None:
    token = sim.state.issue_user_token(CLIENT_ID, channel.caster_id, ["channel:read:redemptions"])
    http = HTTPHandler(
        SimpleTokenHandler(token["access_token"], CLIENT_ID, token["refresh_token"]),
        helix_url=sim.helix_url,
        oauth_url=sim.oauth_url,
        eventsub_url=sim.eventsub_url,
    )
    client = EventSubClient(http, PartialUser(http, channel.caster_id))
    try:
        await client.start()
        await client.wait_live(5)

        engagement = ("channel.prediction", "channel.poll", "channel.goal")
        problems = client.status.problems
        assert [p.split(":")[0] for p in problems] == [
            t for t in APP_SUBSCRIPTION_TYPES if t.startswith(engagement)
        ]
        assert problems[-1] == (
            "channel.goal.end: EventSub.subscribe needs the scope 'channel:read:goals'; "
            "the signed-in token does not have it"
        )
        assert sorted(client.subscription_ids) == sorted(
            t for t in APP_SUBSCRIPTION_TYPES if not t.startswith(engagement)
        )
        assert client.status.state is ConnectionState.LIVE
    finally:
        await client.close()
        await http.close()


async def test_a_dead_authorization_fails_with_sign_in_needed(
    sim: Simulator, channel: Channel
) -> None:
    sim.state.revoke_user_tokens(CLIENT_ID, channel.caster_id)
    client = channel.client()
    stream = client.events()
    await client.start()
    try:
        with pytest.raises(RuntimeError, match="sign-in needed"):
            await client.wait_live(5)
        assert client.status.state is ConnectionState.FAILED
        assert client.status.reason is not None
        assert client.status.reason.startswith("sign-in needed")
        assert [e async for e in stream] == []  # the stream ended with the failure
    finally:
        await client.close()


async def test_at_most_three_connections_per_user(channel: Channel) -> None:
    groups = [APP_SUBSCRIPTION_TYPES[i::3] for i in range(3)]
    clients = [
        channel.client(
            subscriptions=[s for s in app_subscriptions(channel.caster_id) if s.type in g]
        )
        for g in groups
    ]
    extra = channel.client()
    try:
        for client in clients:
            await client.start()
        with pytest.raises(LimitError, match="already has 3 EventSub connections"):
            await extra.start()
        await clients[0].close()
        await extra.start()  # a slot is free again
        await asyncio.gather(*(c.wait_live(5) for c in [*clients[1:], extra]))
    finally:
        for client in [*clients, extra]:
            await client.close()


async def test_listeners_get_every_event_in_order(
    channel: Channel, live: tuple[EventSubClient, Collector]
) -> None:
    client, collector = live
    seen: list[str] = []
    awaited: list[str] = []

    async def slow(event: EventSubEvent | Revocation) -> None:
        await asyncio.sleep(0)
        awaited.append(event.message_id)

    client.add_listener(lambda event: seen.append(event.message_id))
    client.add_listener(slow)
    channel.redeem(200)
    await collector.wait(lambda: len(seen) == 200 and len(awaited) == 200)

    assert seen == awaited == [e.message_id for e in collector.events]


async def test_subscribe_retries_a_transient_failure_within_the_window(
    sim: Simulator, channel: Channel
) -> None:
    sim.faults.fail_next(2, 500, prefix="/helix/eventsub/subscriptions")
    client = channel.client()
    collector = Collector(client)
    await client.start()
    try:
        await client.wait_live(5)
        assert sorted(client.subscription_ids) == sorted(APP_SUBSCRIPTION_TYPES)
        assert client.status.problems == ()
        assert collector.states() == [ConnectionState.CONNECTING, ConnectionState.LIVE]
    finally:
        await client.close()
        await collector.stop()


async def test_an_expired_token_is_refreshed_by_the_request_loop(
    sim: Simulator, channel: Channel
) -> None:
    handler = channel.http.token_handler
    assert isinstance(handler, SimpleTokenHandler)
    before = handler.user_token
    sim.faults.revoke_next(1, prefix="/helix/eventsub/subscriptions")
    client = channel.client()
    try:
        await client.start()
        await client.wait_live(5)
        assert sorted(client.subscription_ids) == sorted(APP_SUBSCRIPTION_TYPES)
        assert handler.user_token is not before  # refreshed once, then used for the rest
    finally:
        await client.close()


async def test_pings_are_answered_and_do_not_count_as_traffic(
    sim: Simulator, channel: Channel
) -> None:
    assert sim.hub is not None
    sim.hub.ping_interval_seconds = 0.05  # a missing pong would be 4002
    client = channel.client()
    collector = Collector(client)
    await client.start()
    try:
        await client.wait_live(5)
        await asyncio.sleep(0.4)  # several pings
        made = channel.redeem(3)
        await collector.wait(lambda: len(collector.events) == 3)
        assert collector.redemption_ids() == made
        assert collector.states() == [ConnectionState.CONNECTING, ConnectionState.LIVE]
    finally:
        await client.close()
        await collector.stop()


async def test_a_second_connection_for_the_same_events_is_refused(
    channel: Channel, live: tuple[EventSubClient, Collector]
) -> None:
    second = channel.client(subscriptions=app_subscriptions(channel.caster_id)[:2])
    try:
        await second.start()
        with pytest.raises(RuntimeError, match="no EventSub subscription could be created"):
            await second.wait_live(5)
        assert second.status.reason == (
            "no EventSub subscription could be created: "
            "channel.channel_points_custom_reward_redemption.add: 409 already subscribed on "
            "another connection; "
            "channel.channel_points_custom_reward_redemption.update: 409 already subscribed on "
            "another connection"
        )
        assert live[0].status.state is ConnectionState.LIVE
    finally:
        await second.close()


async def test_engagement_events_live_and_reconciled_after_a_drop(
    sim: Simulator, channel: Channel
) -> None:
    state = sim.state
    caster = channel.caster_id
    resyncs: list[ResyncInfo] = []
    client = channel.client(
        on_resync=resyncs.append, standard_resync=True, reconnect_base_delay=0.05
    )
    collector = Collector(client)
    await client.start()
    try:
        await client.wait_live(5)
        await collector.wait(lambda: len(resyncs) == 1)
        prediction = state.create_prediction(
            caster,
            {
                "title": "Win?",
                "outcomes": [{"title": "yes"}, {"title": "no"}],
                "prediction_window": 60,
            },
        )
        poll = state.create_poll(
            caster, {"title": "Map?", "choices": [{"title": "a"}, {"title": "b"}], "duration": 60}
        )
        goal = state.create_goal(caster, "follower", "Followers", 100, 10)
        state.set_stream_live(caster, True)
        await collector.wait(lambda: len([e for e in collector.events if not e.resync]) == 4)
        live = [
            (e.subscription_type, type(e.model).__name__) for e in collector.events if not e.resync
        ]
        assert live == [
            ("channel.prediction.begin", "Prediction"),
            ("channel.poll.begin", "Poll"),
            ("channel.goal.begin", "Goal"),
            ("stream.online", "NoneType"),  # no model in the client core: raw payload only
        ]
        assert collector.events[-1].payload["broadcaster_user_id"] == caster

        assert sim.hub is not None
        await sim.hub.drop_connections(4005)
        state.end_prediction(caster, {"id": prediction["id"], "status": "LOCKED"})
        state.goal_progress(goal["id"], 5)
        await collector.wait(lambda: len(resyncs) == 2)
        await asyncio.sleep(0.1)

        after = [e for e in collector.events if e.resync][1:]  # [0]: the first session's reward
        assert [(e.subscription_type, e.model.id) for e in after] == [
            ("channel.channel_points_custom_reward.update", channel.reward_id),
            ("channel.prediction.lock", prediction["id"]),
            ("channel.poll.progress", poll["id"]),
            ("channel.goal.progress", goal["id"]),
        ]
        assert after[1].model.status == "LOCKED"
        assert after[3].model.current_amount == 15
        assert all(e.message_id.startswith("resync-") for e in after)
    finally:
        await client.close()
        await collector.stop()
