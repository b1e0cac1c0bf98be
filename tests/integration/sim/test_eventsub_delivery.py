"""Delivery guarantees: order under a burst, at-least-once resend, revocation."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from tests.helpers.eventsub_ws import (
    CLIENT_ID,
    EventSubHarness,
    load_reference,
    shape_mismatches,
    wait_for,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

REDEMPTION_ADD = "channel.channel_points_custom_reward_redemption.add"
BURST = 10_000


@pytest.fixture
async def sim() -> AsyncIterator[EventSubHarness]:
    async with EventSubHarness() as harness:
        harness.hub.welcome_window_seconds = 30
        harness.hub.keepalive_interval_seconds = 30
        yield harness


async def test_burst_of_10000_redemptions_in_order(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202
    reward = sim.create_reward()

    started = time.perf_counter()
    sent = [
        sim.state.redeem(sim.broadcaster_id, reward["id"], sim.viewer_id)["id"]
        for _ in range(BURST)
    ]
    received = []
    message_ids = set()
    for _ in range(BURST):
        message = await peer.recv(5.0)
        assert message["metadata"]["message_type"] == "notification"
        received.append(message["payload"]["event"]["id"])
        message_ids.add(message["metadata"]["message_id"])
    elapsed = time.perf_counter() - started

    assert len(received) == BURST
    assert received == sent
    assert len(message_ids) == BURST
    await peer.expect_silence(0.2)
    # State, hub, socket and this reader share one process (about 1 s on an idle machine;
    # the hub alone dispatches over 20k/s). The bound only catches pathological slowness
    # (an O(n^2) queue, a per-message sleep) without flaking on a busy CI machine.
    assert elapsed < 15.0, f"{BURST} notifications took {elapsed:.2f}s"


async def test_resend_last_keeps_message_ids(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202
    reward = sim.create_reward()
    for _ in range(3):
        sim.state.redeem(sim.broadcaster_id, reward["id"], sim.viewer_id)
    originals = [await peer.recv() for _ in range(3)]

    assert sim.hub.resend_last(2) == 2
    again = [await peer.recv() for _ in range(2)]
    assert again == originals[1:]  # same message ids, same bytes
    await peer.expect_silence(0.2)
    assert sim.hub.resend_last(0) == 0


async def test_resend_follows_a_reconnect(sim: EventSubHarness) -> None:
    old, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202
    reward = sim.create_reward()
    sim.state.redeem(sim.broadcaster_id, reward["id"], sim.viewer_id)
    original = await old.recv()
    await sim.hub.force_reconnect()
    url = (await old.recv())["payload"]["session"]["reconnect_url"]
    new = await sim.connect(url=url)
    await new.welcome()
    await old.close()

    assert sim.hub.resend_last(1) == 1
    again = await new.recv()
    assert again["metadata"]["message_id"] == original["metadata"]["message_id"]


async def test_revocation_then_silence(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    status, body = await sim.subscribe(session_id, REDEMPTION_ADD)
    assert status == 202
    sub_id = body["data"][0]["id"]
    reward = sim.create_reward()

    sim.state.revoke_user_tokens(CLIENT_ID, sim.broadcaster_id)
    message = await peer.recv()

    assert shape_mismatches(message, load_reference("ws.revocation.json"), {}) == []
    assert message["metadata"]["message_type"] == "revocation"
    assert message["metadata"]["subscription_type"] == REDEMPTION_ADD
    subscription = message["payload"]["subscription"]
    assert subscription["id"] == sub_id
    assert subscription["status"] == "authorization_revoked"
    assert "event" not in message["payload"]

    sim.state.redeem(sim.broadcaster_id, reward["id"], sim.viewer_id)
    await peer.expect_silence(0.2)
    (sub,) = list(sim.hub.registry.all())
    assert sub.status == "authorization_revoked"
    # Revocation is not a disconnect: the socket stays open.
    assert not peer.ws.closed


async def test_revocation_touches_only_that_users_subscriptions(sim: EventSubHarness) -> None:
    other_id = str(sim.state.create_user("other", "Other", "partner")["id"])
    other_token = sim.user_token(other_id, frozenset({"channel:read:goals"}))
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, "channel.goal.begin"))[0] == 202
    status, _ = await sim.subscribe(
        session_id, "channel.goal.begin", {"broadcaster_user_id": other_id}, token=other_token
    )
    assert status == 202

    sim.state.revoke_user_tokens(CLIENT_ID, other_id)
    revoked = await peer.recv()
    assert revoked["payload"]["subscription"]["condition"] == {"broadcaster_user_id": other_id}
    sim.state.create_goal(sim.broadcaster_id, "follower", "still here", 10)
    still = await peer.recv()
    assert still["metadata"]["message_type"] == "notification"
    await wait_for(lambda: sim.hub.registry.enabled_count(session_id) == 1)
