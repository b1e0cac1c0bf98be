"""Hostile-input drills on EventSub: a server of our own that answers badly.

Each drill runs the real :class:`EventSubClient` (HTTP handler, subscriber, socket reader)
over loopback against :class:`HostileServer` and asserts what the client did: which
connections it opened and closed, what it subscribed, which events it delivered, and the
states it reported. Faults (issue 20, items 7-9; outcomes listed in docs/reliability.md):

* a ``session_reconnect`` whose ``reconnect_url`` is not Twitch's EventSub host nor the
  configured simulator's own host is refused (a protocol error) and a fresh session follows
  on the configured URL; nothing is read from the other host;
* a ``session_reconnect`` storm: the first three hops within 10 s are followed at once, later
  ones after a growing delay;
* a welcome's ``keepalive_timeout_seconds`` out of Twitch's 10-600 s is clamped into it, and
  one that is not a number is a protocol error: the socket is closed and the next attempt
  waits its backoff;
* messages that do not parse are logged and dropped while the session stays live;
* a frame over the 1 MiB cap is refused at its header: the socket closes with 1009 and a
  fresh session (with its Helix re-read) follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from yarl import URL

from companion.twitch.eventsub import (
    ConnectionState,
    ConnectionStatus,
    EventSubClient,
    EventSubEvent,
    ResyncInfo,
    Revocation,
)
from companion.twitch.eventsub_socket import open_socket
from tests.drills.harness import until
from tests.helpers.hostile_server import (
    REDEMPTION_ADD,
    HostileServer,
    WsConnection,
    eventsub_for,
    handler_for,
    keepalive,
    now_rfc3339,
    reconnect,
    redemption,
    welcome,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop

MiB = 1024 * 1024


@dataclass
class Watch:
    """One EventSub client and everything its consumers heard."""

    client: EventSubClient
    events: list[EventSubEvent | Revocation] = field(default_factory=list)
    states: list[ConnectionStatus] = field(default_factory=list)
    resyncs: list[ResyncInfo] = field(default_factory=list)

    def delivered(self) -> list[str]:
        """Ids of the redemptions delivered, in order."""
        return [str(e.payload.get("id")) for e in self.events if isinstance(e, EventSubEvent)]

    def reconnecting(self) -> list[ConnectionStatus]:
        """The "waiting to reconnect" statuses (the ones that carry ``retry_in``)."""
        return [
            s
            for s in self.states
            if s.state is ConnectionState.RECONNECTING and s.retry_in is not None
        ]


@contextlib.asynccontextmanager
async def watched(server: HostileServer, **options: Any) -> AsyncIterator[Watch]:
    http = handler_for(server)
    client = eventsub_for(http, **options)
    watch = Watch(client)
    client.on_resync = watch.resyncs.append
    client.add_state_listener(watch.states.append)
    client.add_listener(watch.events.append)
    try:
        await client.start()
        yield watch
    finally:
        await client.close()
        await http.close()


def subscribed(server: HostileServer, count: int) -> Any:
    return lambda: len(server.subscriptions) >= count


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


# -- item 7: reconnect_url -------------------------------------------------------------------


@pytest.fixture
async def evil() -> AsyncIterator[HostileServer]:
    """Another loopback server that would inject two redemptions into whoever connects."""
    server = await HostileServer().start()

    async def inject(conn: WsConnection) -> None:
        await conn.send(welcome(conn.session_id))
        await conn.send(redemption("evil-1"))
        await conn.send(redemption("evil-2"))

    server.ws_script = inject
    try:
        yield server
    finally:
        await server.stop()


REFUSED_URLS = {
    "another loopback port": "ws://127.0.0.1:{evil}/ws/evil",
    "plain http": "http://127.0.0.1:{evil}/ws/evil",
    "another name for loopback": "ws://localhost:{port}/ws?via=localhost",
    "credentials in the url": "ws://user:secret@127.0.0.1:{port}/ws?via=userinfo",
    "wss to the simulator's port": "wss://127.0.0.1:{port}/ws?via=wss",
}


@pytest.mark.parametrize("template", REFUSED_URLS.values(), ids=REFUSED_URLS.keys())
async def test_reconnect_url_off_twitch_is_refused_for_a_fresh_session(
    hostile: HostileServer,
    evil: HostileServer,
    template: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = template.format(evil=evil.port, port=hostile.port)

    async def script(conn: WsConnection) -> None:
        await conn.send(welcome(conn.session_id))
        await hostile.until(subscribed(hostile, conn.index + 1))
        await conn.send(redemption(f"good-{conn.index}"))
        if conn.index == 0:
            await conn.send(reconnect(conn.session_id, url))

    hostile.ws_script = script
    caplog.set_level(logging.INFO, logger="companion.twitch")
    async with watched(hostile) as watch:
        await until(lambda: watch.delivered() == ["good-0", "good-1"], what="both sessions")
        assert evil.connections == []
        assert [c.path for c in hostile.connections] == ["/ws", "/ws"]
        assert hostile.connections[0].closed_by_client
        assert len(hostile.subscriptions) == 2  # a fresh session subscribes again
        assert watch.client.sessions_started == 2
        [first, fresh] = watch.resyncs
        assert first.first and not fresh.first
        assert fresh.reason is not None
        assert "reconnect_url" in fresh.reason and "refused" in fresh.reason
        assert [s.attempt for s in watch.reconnecting()] == [1]
        assert watch.client.status.state is ConnectionState.LIVE
    # The refusal is logged once, without the URL's credentials.
    refusals = [r for r in caplog.records if r.getMessage().startswith("refused the reconnect")]
    assert len(refusals) == 1 and refusals[0].levelno == logging.WARNING
    assert "secret" not in caplog.text


async def test_session_reconnect_storm_backs_off_after_three_hops(
    hostile: HostileServer,
) -> None:
    storm = 5  # reconnects sent; then the server is calm

    async def script(conn: WsConnection) -> None:
        await conn.send(welcome(conn.session_id))
        if conn.index == 0:
            await hostile.until(subscribed(hostile, 1))
        if conn.index < storm:
            hop = f"{hostile.eventsub_url}?hop={conn.index + 1}"
            await conn.send(reconnect(conn.session_id, hop))

    hostile.ws_script = script
    base = 0.2
    async with watched(hostile, reconnect_base_delay=base, reconnect_max_delay=1.0) as watch:
        await hostile.until(lambda: len(hostile.connections) == storm + 1)
        await until(lambda: watch.client.session_id == f"hostile-session-{storm}")
        opened = [c.opened_at for c in hostile.connections]
        # Hops 4 and 5 came within 10 s of three others: each waited a jittered backoff
        # (at least half of base * 2**n) before connecting; sleeps never end early.
        assert opened[4] - opened[3] >= base / 2
        assert opened[5] - opened[4] >= base
        assert watch.client.hops == storm
        assert watch.client.hops_delayed == 2
        assert [c.path for c in hostile.connections] == ["/ws"] + [
            f"/ws?hop={n}" for n in range(1, storm + 1)
        ]
        # Every hop moved the subscriptions: nothing was subscribed again, nothing re-read.
        assert len(hostile.subscriptions) == 1
        assert watch.client.sessions_started == 1
        assert len(watch.resyncs) == 1
        await hostile.until(lambda: all(c.closed_by_client for c in hostile.connections[:storm]))
        assert watch.reconnecting() == []


# -- item 8: keepalive_timeout_seconds -------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [(1e12, 600.0), (601, 600.0), (600, 600.0), (30, 30.0), (10, 10.0), (1, 10.0), (-5, 10.0)],
)
async def test_welcome_keepalive_is_clamped_to_twitchs_range(
    hostile: HostileServer, sent: float, kept: float
) -> None:
    async def script(conn: WsConnection) -> None:
        await conn.send(welcome(conn.session_id, keepalive=sent))

    hostile.ws_script = script
    async with aiohttp.ClientSession() as session:
        sock = await open_socket(session, URL(hostile.eventsub_url), reconnect=False)
        try:
            assert sock.keepalive == kept
        finally:
            await sock.close()


# value -> what the reason names (NaN and Infinity make the whole welcome not JSON).
NONSENSE: dict[str, tuple[Any, str]] = {
    "text": ("abc", "keepalive_timeout_seconds is str, not a number"),
    "numeric text": ("30", "keepalive_timeout_seconds is str, not a number"),
    "NaN": (float("nan"), "not JSON: NaN is not JSON"),
    "Infinity": (float("inf"), "not JSON: Infinity is not JSON"),
    "boolean": (True, "keepalive_timeout_seconds is bool, not a number"),
    "list": ([30], "keepalive_timeout_seconds is list, not a number"),
}


@pytest.mark.parametrize(("value", "named"), NONSENSE.values(), ids=NONSENSE.keys())
async def test_welcome_keepalive_nonsense_is_a_protocol_error(
    hostile: HostileServer, value: Any, named: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def script(conn: WsConnection) -> None:
        # json.dumps writes NaN and Infinity as the bare words Python's parser accepts.
        await conn.send(welcome(conn.session_id, keepalive=value if conn.index < 2 else 10))

    hostile.ws_script = script
    async with watched(hostile) as watch:
        await watch.client.wait_live(5)
        assert len(hostile.connections) == 3
        await hostile.until(lambda: hostile.connections[1].closed_at is not None)
        # Both bad sockets were closed by the client, not left open.
        assert [c.closed_by_client for c in hostile.connections[:2]] == [True, True]
        assert hostile.connections[2].closed_at is None
        # Each retry waited its backoff (no tight loop), and said why.
        waits = watch.reconnecting()
        assert [s.attempt for s in waits] == [1, 2]
        assert all(s.retry_in is not None and s.retry_in > 0 for s in waits)
        assert [s.reason for s in waits] == [f"protocol error: malformed welcome ({named})"] * 2
        assert len(hostile.subscriptions) == 1  # only the good session subscribed
        assert watch.client.sessions_started == 1
    assert errors_logged(caplog) == []


# -- item 9: messages that do not parse ------------------------------------------------------


def notification_text(message_id: str, *, payload: Any = None, **changes: Any) -> str:
    """A redemption notification with its payload, or fields of its envelope, replaced."""
    message = redemption(message_id)
    if payload is not None:
        message["payload"] = payload
    for key, value in changes.items():
        where, name = key.split("__")
        message[where][name] = value
    return json.dumps(message)


BAD_MESSAGES: dict[str, str | bytes] = {
    "not JSON": "not json at all",
    "a JSON array": "[1, 2, 3]",
    "metadata as text": '{"metadata": "x", "payload": {}}',
    "no message_type": '{"metadata": {}, "payload": {}}',
    "payload as text": notification_text("bad-1", payload="a string"),
    "event as text": notification_text("bad-2", payload__event="a string"),
    "subscription as a list": notification_text("bad-3", payload__subscription=[1]),
    "message_id as an object": notification_text("bad-4", metadata__message_id={"a": 1}),
    "timestamp in year 9999": notification_text(
        "bad-5", metadata__message_timestamp="9999-12-31T23:59:59.999999999Z"
    ),
    "timestamp past year 9999": notification_text(
        "bad-6", metadata__message_timestamp="9999-12-31T23:59:59.999999999-01:00"
    ),
    "timestamp before year 1": notification_text(
        "bad-7", metadata__message_timestamp="0001-01-01T00:00:00+01:00"
    ),
    "timestamp not a time": notification_text("bad-8", metadata__message_timestamp="soon"),
    "nested 100000 deep": "[" * 100_000 + "]" * 100_000,
    "reconnect with payload as text": json.dumps(
        {
            "metadata": {
                "message_id": "bad-9",
                "message_type": "session_reconnect",
                "message_timestamp": now_rfc3339(),
            },
            "payload": "x",
        }
    ),
    "revocation with payload as text": json.dumps(
        {
            "metadata": {
                "message_id": "bad-10",
                "message_type": "revocation",
                "message_timestamp": now_rfc3339(),
                "subscription_type": REDEMPTION_ADD,
                "subscription_version": "1",
            },
            "payload": "x",
        }
    ),
    "a binary frame": b'{"metadata": {}}',
}


async def test_bad_messages_are_dropped_and_the_session_stays_live(
    hostile: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    async def script(conn: WsConnection) -> None:
        await conn.send(welcome(conn.session_id))
        await hostile.until(subscribed(hostile, 1))
        await conn.send(redemption("good-1"))
        for bad in BAD_MESSAGES.values():
            if isinstance(bad, bytes):
                await conn.ws.send_bytes(bad)
            else:
                await conn.send(bad)
        await conn.send(redemption("good-2"))
        await conn.send(keepalive())

    hostile.ws_script = script
    caplog.set_level(logging.INFO, logger="companion.twitch")
    async with watched(hostile) as watch:
        await until(lambda: "good-2" in watch.delivered(), what="the message after the bad ones")
        assert watch.delivered() == ["good-1", "good-2"]
        assert watch.client.malformed_dropped == len(BAD_MESSAGES)
        assert len(hostile.connections) == 1
        assert hostile.connections[0].closed_at is None
        assert watch.client.sessions_started == 1
        assert watch.reconnecting() == []
        assert [s.state for s in watch.states] == [ConnectionState.CONNECTING, ConnectionState.LIVE]
    dropped = [r for r in caplog.records if r.getMessage().startswith("dropped an EventSub")]
    assert len(dropped) == len(BAD_MESSAGES)
    assert all(r.levelno == logging.WARNING for r in dropped)
    assert hostile.access_token not in caplog.text
    assert errors_logged(caplog) == []


async def test_a_flood_of_bad_messages_does_not_keep_a_session_alive(
    hostile: HostileServer,
) -> None:
    # Garbage for longer than keepalive + margin, as fast as the socket takes it: the
    # reader hands buffered frames on in slices and its one keepalive timer must still
    # end the session (dropped frames are not traffic).
    async def script(conn: WsConnection) -> None:
        await conn.send(welcome(conn.session_id))
        await hostile.until(subscribed(hostile, 1))
        if len(hostile.connections) > 1:
            return  # the fresh session after the loss stays quiet and live
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline and conn.closed_at is None:
            for _ in range(50):
                await conn.send("not json")
            await asyncio.sleep(0.001)

    hostile.ws_script = script
    async with watched(hostile, keepalive_margin=0.5) as watch:
        started = time.monotonic()
        await until(lambda: len(hostile.connections) == 2, timeout=20, what="a fresh session")
        lost = [s for s in watch.states if s.state is ConnectionState.RECONNECTING]
        assert lost[0].reason == "no message for 10s (keepalive timeout)"
        assert 10 <= time.monotonic() - started < 14
        assert watch.client.malformed_dropped > 1000
        assert watch.delivered() == []


async def test_welcome_from_year_9999_does_not_move_the_clock(hostile: HostileServer) -> None:
    async def script(conn: WsConnection) -> None:
        message = welcome(conn.session_id)
        message["metadata"]["message_timestamp"] = "9999-12-31T23:59:59.999999999Z"
        await conn.send(message)
        await hostile.until(subscribed(hostile, 1))
        await asyncio.sleep(0.05)  # a later message must not find the clock past year 9999
        await conn.send(redemption("good-1"))
        await conn.send(redemption("good-2"))

    hostile.ws_script = script
    async with watched(hostile) as watch:
        await until(lambda: watch.delivered() == ["good-1", "good-2"], what="both events")
        assert watch.client.stale_dropped == 0
        assert watch.client.sessions_started == 1
        assert watch.reconnecting() == []


def sized_notification(message_id: str, size: int) -> str:
    """A redemption notification of exactly ``size`` bytes (the padding is its user input)."""
    base = json.dumps(redemption(message_id, user_input=""))
    text = json.dumps(redemption(message_id, user_input="x" * (size - len(base))))
    assert len(text.encode()) == size
    return text


@pytest.mark.parametrize("oversize", [MiB + 1, 8 * MiB], ids=["1 MiB + 1 byte", "8 MiB"])
async def test_frame_over_the_cap_is_refused_and_a_fresh_session_follows(
    hostile: HostileServer, oversize: int
) -> None:
    async def script(conn: WsConnection) -> None:
        await conn.send(welcome(conn.session_id))
        await hostile.until(subscribed(hostile, conn.index + 1))
        if conn.index == 0:
            await conn.send(sized_notification("at-the-cap", MiB))
            await conn.send(sized_notification("over-the-cap", oversize))
        else:
            await conn.send(redemption("after"))

    hostile.ws_script = script
    async with watched(hostile) as watch:
        await until(lambda: "after" in watch.delivered(), what="the fresh session's event")
        assert watch.delivered() == ["at-the-cap", "after"]
        assert len(hostile.connections) == 2
        assert hostile.connections[0].client_close_code == 1009  # "message too big"
        assert watch.client.sessions_started == 2
        [_, fresh] = watch.resyncs
        assert fresh.reason is not None and "1 MiB" in fresh.reason
