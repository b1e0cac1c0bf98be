"""Fixtures for app-level integration tests: a running simulator, an in-memory keyring,
and a signed-in channel with live events (services are tested through these)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import keyring
import pytest

from companion.services.live_events import LiveEvents
from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator
from companion.twitch.client import Client
from companion.twitch.tokens import SimpleTokenHandler
from tests.helpers.memory_keyring import MemoryKeyring

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from companion.twitch.models.users import PartialUser

ALL_SCOPES = [
    "channel:manage:redemptions",
    "channel:manage:predictions",
    "channel:manage:polls",
    "channel:read:goals",
    "user:edit:broadcast",
]


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Await until ``predicate()`` is true (fails the test after ``timeout``)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
async def demo_sim() -> AsyncIterator[Simulator]:
    sim = Simulator(SimConfig(demo=True, seed=7, device_poll_interval=0.05))
    await sim.start(port=0)
    try:
        yield sim
    finally:
        await sim.stop()


@dataclass
class LiveChannel:
    sim: Simulator
    client: Client
    broadcaster: PartialUser
    live: LiveEvents


@pytest.fixture
async def live_channel(demo_sim: Simulator, qapp) -> AsyncIterator[LiveChannel]:
    """The demo broadcaster signed in (every panel scope) with EventSub live."""
    broadcaster_id = demo_sim.demo_broadcaster_id
    issued = demo_sim.state.issue_user_token(DEMO_CLIENT_ID, broadcaster_id, ALL_SCOPES)
    handler = SimpleTokenHandler(issued["access_token"], DEMO_CLIENT_ID, issued["refresh_token"])
    client = Client(
        handler,
        helix_url=demo_sim.helix_url,
        oauth_url=demo_sim.oauth_url,
        eventsub_url=demo_sim.eventsub_url,
        retry_base_delay=0.01,
    )
    broadcaster = client.create_user(broadcaster_id, "democaster")
    live = LiveEvents(
        reconnect_base_delay=0.01, reconnect_max_delay=0.05, handoff_quiet_seconds=0.05
    )
    await live.start(client.http, broadcaster)
    assert live.client is not None
    await live.client.wait_live(timeout=5)
    try:
        yield LiveChannel(demo_sim, client, broadcaster, live)
    finally:
        await live.shutdown()
        await client.close()
