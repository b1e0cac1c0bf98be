"""The EventSub WebSocket client against the simulator over loopback.

Every test ends with exact counts: what was made in the simulator is what the client
delivered, once each.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest

from companion.sim import SimConfig, Simulator
from companion.twitch.eventsub import (
    ConnectionState,
    ConnectionStatus,
    EventSubClient,
    EventSubEvent,
    Revocation,
)
from companion.twitch.eventsub_messages import APP_SUBSCRIPTION_TYPES
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
