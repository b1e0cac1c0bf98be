"""EventSub WebSocket lifecycle against the simulator: welcome, keepalive, close codes."""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING

import pytest

from tests.helpers.eventsub_ws import (
    EventSubHarness,
    PeerClosed,
    load_reference,
    shape_mismatches,
    wait_for,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

NS_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
REDEMPTION_ADD = "channel.channel_points_custom_reward_redemption.add"


@pytest.fixture
async def sim() -> AsyncIterator[EventSubHarness]:
    async with EventSubHarness() as harness:
        yield harness


async def test_welcome_matches_documented_example(sim: EventSubHarness) -> None:
    peer = await sim.connect()
    welcome = await peer.welcome()

    assert (
        shape_mismatches(welcome, load_reference("ws.session_welcome.json"), {})
        == [
            # The example's reconnect_url is null, like ours; no other difference is allowed.
        ]
    )
    session = welcome["payload"]["session"]
    assert session["status"] == "connected"
    assert session["keepalive_timeout_seconds"] == 10
    assert session["reconnect_url"] is None
    assert session["id"] in sim.hub.session_ids
    assert NS_TIMESTAMP.match(welcome["metadata"]["message_timestamp"])
    assert NS_TIMESTAMP.match(session["connected_at"])


@pytest.mark.parametrize(
    ("requested", "announced"),
    [("3", 10), ("10", 10), ("42", 42), ("42.4", 42), ("600", 600), ("9000", 600), ("-5", 10)],
)
async def test_keepalive_timeout_is_clamped(
    sim: EventSubHarness, requested: str, announced: int
) -> None:
    peer = await sim.connect(f"?keepalive_timeout_seconds={requested}")
    welcome = await peer.welcome()
    assert welcome["payload"]["session"]["keepalive_timeout_seconds"] == announced


async def test_non_numeric_keepalive_is_refused(sim: EventSubHarness) -> None:
    assert sim.http is not None
    async with sim.http.get(sim.ws_url + "?keepalive_timeout_seconds=soon") as resp:
        assert resp.status == 400


async def test_keepalive_after_each_silent_window(sim: EventSubHarness) -> None:
    sim.hub.keepalive_interval_seconds = 0.3
    sim.hub.welcome_window_seconds = 30
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202
    reward = sim.create_reward()
    started = time.monotonic()

    first = await peer.recv(1.0)
    assert first["metadata"]["message_type"] == "session_keepalive"
    assert shape_mismatches(first, load_reference("ws.session_keepalive.json"), {}) == []
    assert 0.25 <= time.monotonic() - started <= 0.9

    # A notification resets the window: the next keepalive comes a full window after it.
    sim.state.redeem(sim.broadcaster_id, reward["id"], sim.viewer_id)
    note = await peer.recv(1.0)
    noted = time.monotonic()
    assert note["metadata"]["message_type"] == "notification"
    second = await peer.recv(1.0)
    assert second["metadata"]["message_type"] == "session_keepalive"
    assert 0.25 <= time.monotonic() - noted <= 0.9
    assert first["metadata"]["message_id"] != second["metadata"]["message_id"]


async def test_real_timing_at_the_documented_defaults(sim: EventSubHarness) -> None:
    # The one slow test (~10 s), with nothing shortened. Peer A asks for less than the minimum,
    # subscribes and times its first keepalive; peer B never subscribes and times its 4003
    # (the default window is the welcome's keepalive_timeout_seconds, 10 s).
    subscriber = await sim.connect("?keepalive_timeout_seconds=1")
    idle = await sim.connect()
    welcome = await subscriber.welcome()
    welcomed = time.monotonic()
    await idle.welcome()
    assert welcome["payload"]["session"]["keepalive_timeout_seconds"] == 10
    assert (await sim.subscribe(welcome["payload"]["session"]["id"], REDEMPTION_ADD))[0] == 202

    async def first_keepalive() -> float:
        keepalive = await subscriber.recv(12.0)
        assert keepalive["metadata"]["message_type"] == "session_keepalive"
        return time.monotonic() - welcomed

    async def unused_close() -> tuple[int | None, float]:
        code = await idle.expect_close(12.0)
        return code, time.monotonic() - welcomed

    keepalive_after, (code, closed_after) = await asyncio.gather(first_keepalive(), unused_close())
    assert 9.9 <= keepalive_after <= 11.0
    assert code == 4003
    assert 9.9 <= closed_after <= 11.0


async def test_silence_keepalive_holds_keepalives_only(sim: EventSubHarness) -> None:
    sim.hub.keepalive_interval_seconds = 0.2
    sim.hub.welcome_window_seconds = 30
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202
    reward = sim.create_reward()
    sim.hub.silence_keepalive(0.8)

    sim.state.redeem(sim.broadcaster_id, reward["id"], sim.viewer_id)
    note = await peer.recv(0.5)
    assert note["metadata"]["message_type"] == "notification"
    await peer.expect_silence(0.5)
    resumed = await peer.recv(1.0)
    assert resumed["metadata"]["message_type"] == "session_keepalive"


async def test_inbound_text_closes_with_4001(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202
    await peer.ws.send_str('{"hello":"server"}')

    assert await peer.expect_close() == 4001
    await wait_for(lambda: session_id not in sim.hub.session_ids)
    (sub,) = list(sim.hub.registry.all())
    assert sub.status == "websocket_received_inbound_traffic"
    assert sub.disconnected_at is not None


async def test_inbound_binary_closes_with_4001(sim: EventSubHarness) -> None:
    peer, _ = await sim.connect_welcomed()
    await peer.ws.send_bytes(b"\x00\x01")
    assert await peer.expect_close() == 4001


async def test_client_ping_is_answered_and_allowed(sim: EventSubHarness) -> None:
    sim.hub.welcome_window_seconds = 5
    peer, session_id = await sim.connect_welcomed()
    await peer.ws.ping(b"are you there")
    # aiohttp's client consumes the Pong itself; the socket must stay open and usable.
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202
    await peer.expect_silence(0.2)
    assert not peer.ws.closed


async def test_no_subscription_in_the_welcome_window_closes_with_4003(
    sim: EventSubHarness,
) -> None:
    sim.hub.welcome_window_seconds = 0.3
    peer = await sim.connect()
    await peer.welcome()
    started = time.monotonic()
    assert await peer.expect_close(2.0) == 4003
    assert 0.25 <= time.monotonic() - started <= 1.0


async def test_subscribing_in_time_keeps_the_socket(sim: EventSubHarness) -> None:
    sim.hub.welcome_window_seconds = 0.3
    sim.hub.keepalive_interval_seconds = 5
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202
    await peer.expect_silence(0.6)
    assert not peer.ws.closed


async def test_server_ping_without_pong_closes_with_4002(sim: EventSubHarness) -> None:
    sim.hub.ping_interval_seconds = 0.15
    sim.hub.welcome_window_seconds = 30
    sim.hub.keepalive_interval_seconds = 30
    assert sim.http is not None
    # autoping off: this peer never answers the server's Ping.
    ws = await sim.http.ws_connect(sim.ws_url, autoping=False)
    try:
        welcome = await ws.receive(timeout=1.0)
        assert welcome.type.name == "TEXT"
        ping = await ws.receive(timeout=1.0)
        assert ping.type.name == "PING"
        closing = await ws.receive(timeout=1.0)
        assert closing.type.name == "CLOSE"
        assert closing.data == 4002
    finally:
        await ws.close()


async def test_server_ping_answered_keeps_the_socket(sim: EventSubHarness) -> None:
    sim.hub.ping_interval_seconds = 0.1
    sim.hub.welcome_window_seconds = 30
    sim.hub.keepalive_interval_seconds = 30
    peer, _ = await sim.connect_welcomed()
    await peer.expect_silence(0.5)  # the client's autoping answers; pings are not messages
    assert not peer.ws.closed


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (4000, "websocket_internal_error"),
        (4005, "websocket_network_timeout"),
        (4006, "websocket_network_error"),
    ],
)
async def test_drop_with_code_disables_subscriptions(
    sim: EventSubHarness, code: int, status: str
) -> None:
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202

    assert await sim.hub.drop_connections(code) == 1
    assert await peer.expect_close() == code
    await wait_for(lambda: not sim.hub.session_ids)
    (sub,) = list(sim.hub.registry.all())
    assert sub.status == status
    # No replay: a redemption now goes nowhere and the subscription stays disabled.
    reward = sim.create_reward()
    sim.state.redeem(sim.broadcaster_id, reward["id"], sim.viewer_id)
    assert sim.hub.registry.route(REDEMPTION_ADD, sim.broadcaster_id) is None


async def test_drop_without_code_aborts_tcp(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202

    assert await sim.hub.drop_connections(None) == 1
    msg = await peer.ws.receive(timeout=2.0)
    assert msg.type.name in ("CLOSED", "ERROR", "CLOSE")
    assert peer.ws.close_code not in (4000, 4005, 4006)  # no close frame was sent
    await wait_for(lambda: not sim.hub.session_ids)
    (sub,) = list(sim.hub.registry.all())
    assert sub.status == "websocket_network_error"


async def test_client_close_disables_with_websocket_disconnected(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202
    await peer.close()
    await wait_for(lambda: not sim.hub.session_ids)
    (sub,) = list(sim.hub.registry.all())
    assert sub.status == "websocket_disconnected"
    assert sub.to_dict()["transport"]["disconnected_at"] == sub.disconnected_at


async def test_hub_close_is_idempotent_and_closes_sockets(sim: EventSubHarness) -> None:
    peer, _ = await sim.connect_welcomed()
    await sim.hub.close()
    await sim.hub.close()
    assert await peer.expect_close() == 1001
    await asyncio.sleep(0)


async def test_a_client_that_falls_behind_is_closed_with_4005(sim: EventSubHarness) -> None:
    sim.hub.max_pending_messages = 100
    peer, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202
    reward = sim.create_reward()
    # All 200 are queued synchronously, before the writer can drain any of them.
    for _ in range(200):
        sim.state.redeem(sim.broadcaster_id, reward["id"], sim.viewer_id)

    delivered = 0
    with pytest.raises(PeerClosed) as closed:
        while True:
            assert (await peer.recv())["metadata"]["message_type"] == "notification"
            delivered += 1
    assert closed.value.code == 4005
    # The writer may flush what was queued before the overflow, never the messages after it.
    assert delivered <= 101
    await wait_for(lambda: not sim.hub.session_ids)
    (sub,) = list(sim.hub.registry.all())
    assert sub.status == "websocket_network_timeout"
