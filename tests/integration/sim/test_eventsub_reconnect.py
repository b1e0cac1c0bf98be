"""``session_reconnect`` handoff, 4004 and 4007, against the running simulator."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from tests.helpers.eventsub_ws import (
    EventSubHarness,
    EventSubPeer,
    load_reference,
    shape_mismatches,
    wait_for,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

GOAL_PROGRESS = "channel.goal.progress"


@pytest.fixture
async def sim() -> AsyncIterator[EventSubHarness]:
    async with EventSubHarness() as harness:
        harness.hub.welcome_window_seconds = 30
        harness.hub.keepalive_interval_seconds = 30
        yield harness


async def _subscribed(sim: EventSubHarness) -> tuple[EventSubPeer, str, str]:
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, GOAL_PROGRESS))[0] == 202
    goal = sim.state.create_goal(sim.broadcaster_id, "follower", "reconnect goal", 10_000)
    return peer, session_id, goal["id"]


async def test_reconnect_message_matches_documented_example(sim: EventSubHarness) -> None:
    peer, session_id, _ = await _subscribed(sim)
    assert await sim.hub.force_reconnect() == 1
    message = await peer.recv()

    assert shape_mismatches(message, load_reference("ws.session_reconnect.json"), {}) == []
    session = message["payload"]["session"]
    assert session["id"] == session_id
    assert session["status"] == "reconnecting"
    assert session["keepalive_timeout_seconds"] is None
    assert session["reconnect_url"].startswith(sim.ws_url + "?")


async def test_handoff_old_socket_gets_events_until_new_welcome(sim: EventSubHarness) -> None:
    old, old_id, goal_id = await _subscribed(sim)
    await sim.hub.force_reconnect()
    reconnect_url = (await old.recv())["payload"]["session"]["reconnect_url"]

    # Before the new connection: the old socket still receives events.
    sim.state.goal_progress(goal_id, 1)
    before = await old.recv_notification()
    assert before["payload"]["event"]["current_amount"] == 1
    assert before["payload"]["subscription"]["transport"]["session_id"] == old_id

    new = await sim.connect(url=reconnect_url)
    welcome = await new.welcome()
    new_id = welcome["payload"]["session"]["id"]
    assert new_id != old_id
    assert welcome["payload"]["session"]["status"] == "connected"
    assert welcome["payload"]["session"]["reconnect_url"] is None

    # After the new welcome: events go to the new socket only.
    sim.state.goal_progress(goal_id, 1)
    after = await new.recv_notification()
    assert after["payload"]["event"]["current_amount"] == 2
    assert after["payload"]["subscription"]["transport"]["session_id"] == new_id
    await old.expect_silence(0.2)

    # The subscription itself moved: same id, still enabled, now on the new session.
    (sub,) = list(sim.hub.registry.all())
    assert sub.id == before["payload"]["subscription"]["id"]
    assert sub.id == after["payload"]["subscription"]["id"]
    assert (sub.status, sub.session_id) == ("enabled", new_id)

    # The client closes the old socket as told: no 4004, nothing disabled.
    await old.close()
    await wait_for(lambda: old_id not in sim.hub.session_ids)
    assert sub.enabled
    sim.state.goal_progress(goal_id, 1)
    assert (await new.recv_notification())["payload"]["event"]["current_amount"] == 3


async def test_reconnected_session_needs_no_new_subscription(sim: EventSubHarness) -> None:
    sim.hub.welcome_window_seconds = 0.2
    old, _, _ = await _subscribed(sim)
    await sim.hub.force_reconnect()
    url = (await old.recv())["payload"]["session"]["reconnect_url"]
    new = await sim.connect(url=url)
    await new.welcome()
    await old.close()
    # The inherited subscription counts: no 4003 on the new socket.
    await new.expect_silence(0.5)
    assert not new.ws.closed


async def test_old_socket_not_closed_gets_4004(sim: EventSubHarness) -> None:
    sim.hub.reconnect_grace_seconds = 0.3
    old, _, goal_id = await _subscribed(sim)
    await sim.hub.force_reconnect()
    url = (await old.recv())["payload"]["session"]["reconnect_url"]
    started = time.monotonic()
    new = await sim.connect(url=url)
    await new.welcome()

    assert await old.expect_close(2.0) == 4004
    assert 0.25 <= time.monotonic() - started <= 1.0
    # The subscriptions live on with the new socket.
    (sub,) = list(sim.hub.registry.all())
    assert sub.enabled
    sim.state.goal_progress(goal_id, 5)
    assert (await new.recv_notification())["payload"]["event"]["current_amount"] == 5


async def test_never_reconnecting_gets_4004_and_disables(sim: EventSubHarness) -> None:
    sim.hub.reconnect_grace_seconds = 0.3
    old, _, goal_id = await _subscribed(sim)
    await sim.hub.force_reconnect()
    url = (await old.recv())["payload"]["session"]["reconnect_url"]

    assert await old.expect_close(2.0) == 4004
    (sub,) = list(sim.hub.registry.all())
    assert sub.status == "websocket_failed_to_reconnect"
    # The URL is spent: using it late is an invalid reconnect.
    late = await sim.connect(url=url)
    assert await late.expect_close() == 4007
    sim.state.goal_progress(goal_id, 1)
    assert sim.hub.registry.route(GOAL_PROGRESS, sim.broadcaster_id) is None


async def test_closing_old_first_holds_subscriptions_for_the_grace(sim: EventSubHarness) -> None:
    sim.hub.reconnect_grace_seconds = 2.0
    old, _, goal_id = await _subscribed(sim)
    await sim.hub.force_reconnect()
    url = (await old.recv())["payload"]["session"]["reconnect_url"]
    await old.close()
    await wait_for(lambda: not sim.hub.session_ids)
    (sub,) = list(sim.hub.registry.all())
    assert sub.enabled

    new = await sim.connect(url=url)
    await new.welcome()
    sim.state.goal_progress(goal_id, 7)
    assert (await new.recv_notification())["payload"]["event"]["current_amount"] == 7


@pytest.mark.parametrize("query", ["?reconnect=forged", "?reconnect="])
async def test_invalid_reconnect_url_is_4007(sim: EventSubHarness, query: str) -> None:
    peer = await sim.connect(query)
    assert await peer.expect_close() == 4007


async def test_reconnect_url_works_once(sim: EventSubHarness) -> None:
    old, _, _ = await _subscribed(sim)
    await sim.hub.force_reconnect()
    url = (await old.recv())["payload"]["session"]["reconnect_url"]
    first = await sim.connect(url=url)
    await first.welcome()
    second = await sim.connect(url=url)
    assert await second.expect_close() == 4007


async def test_reconnect_keeps_the_keepalive_setting(sim: EventSubHarness) -> None:
    peer = await sim.connect("?keepalive_timeout_seconds=45")
    session_id = (await peer.welcome())["payload"]["session"]["id"]
    assert (await sim.subscribe(session_id, GOAL_PROGRESS))[0] == 202
    await sim.hub.force_reconnect()
    url = (await peer.recv())["payload"]["session"]["reconnect_url"]
    new = await sim.connect(url=url)
    welcome = await new.welcome()
    assert welcome["payload"]["session"]["keepalive_timeout_seconds"] == 45


async def test_force_reconnect_counts_live_sockets_once(sim: EventSubHarness) -> None:
    first, _, _ = await _subscribed(sim)
    _, second_id = await sim.connect_welcomed()
    assert (await sim.subscribe(second_id, "channel.goal.begin"))[0] == 202
    assert await sim.hub.force_reconnect() == 2
    # Sessions already told to move are not told again.
    assert await sim.hub.force_reconnect() == 0
    assert (await first.recv())["metadata"]["message_type"] == "session_reconnect"
