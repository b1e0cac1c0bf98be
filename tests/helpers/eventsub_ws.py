"""Test peers for the simulator's EventSub WebSocket: a raw socket reader and a harness.

`EventSubPeer` is a deliberately dumb WebSocket reader (not our client): it hands over every
message as parsed JSON so tests can assert the exact wire traffic.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from tests.helpers.reference import REFERENCE

EVENTSUB_REFERENCE = REFERENCE / "eventsub"


class PeerClosed(Exception):
    """The server closed the socket while a message was expected."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"socket closed with code {code}")
        self.code = code


class EventSubPeer:
    """One raw EventSub WebSocket connection."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []
        self.arrival: list[float] = []

    @classmethod
    async def connect(cls, http: aiohttp.ClientSession, url: str) -> EventSubPeer:
        ws = await http.ws_connect(url, autoping=True)
        return cls(ws)

    async def recv(self, timeout: float = 2.0) -> dict[str, Any]:
        """The next message as JSON; raises `PeerClosed` on a close."""
        # A deadline, not aiohttp's per-read timeout: control frames restart the latter.
        async with asyncio.timeout(timeout):
            msg = await self.ws.receive()
        if msg.type is aiohttp.WSMsgType.TEXT:
            data: dict[str, Any] = json.loads(msg.data)
            self.received.append(data)
            self.arrival.append(time.monotonic())
            return data
        if msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSING,
            aiohttp.WSMsgType.CLOSED,
        ):
            raise PeerClosed(self.ws.close_code)
        raise AssertionError(f"unexpected frame {msg.type!r}")

    async def recv_notification(self, timeout: float = 2.0) -> dict[str, Any]:
        """The next message that is not a keepalive."""
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.recv(max(0.01, deadline - time.monotonic()))
            if msg["metadata"]["message_type"] != "session_keepalive":
                return msg

    async def welcome(self, timeout: float = 2.0) -> dict[str, Any]:
        """Reads the welcome and returns it."""
        msg = await self.recv(timeout)
        assert msg["metadata"]["message_type"] == "session_welcome", msg
        return msg

    async def expect_close(self, timeout: float = 2.0) -> int | None:
        """Reads until the server closes; returns the close code. Fails on any message."""
        try:
            msg = await self.recv(timeout)
        except PeerClosed as closed:
            return closed.code
        raise AssertionError(f"expected a close, got {msg['metadata']['message_type']}")

    async def expect_silence(self, seconds: float) -> None:
        """Asserts no message arrives within ``seconds``."""
        try:
            async with asyncio.timeout(seconds):
                msg = await self.ws.receive()
        except TimeoutError:
            return
        raise AssertionError(f"expected silence, got {msg.type!r} {msg.data!r}")

    async def close(self) -> None:
        await self.ws.close()


def load_reference(name: str) -> Any:
    """A twitch-reference EventSub example, parsed."""
    return json.loads((EVENTSUB_REFERENCE / name).read_text(encoding="utf-8"))


def json_type(value: Any) -> str:
    """The JSON type name of a value (bool before int: bool is an int in Python)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(type(value))


def collect_types(value: Any, path: str, out: dict[str, set[str]]) -> None:
    """Records the JSON type of every path in ``value`` (list items share ``path[]``)."""
    out.setdefault(path, set()).add(json_type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            collect_types(item, f"{path}.{key}", out)
    elif isinstance(value, list):
        for item in value:
            collect_types(item, f"{path}[]", out)


def collect_keys(value: Any, path: str, out: dict[str, set[str]]) -> None:
    """Records the key set of every object path (union over list items)."""
    if isinstance(value, dict):
        out.setdefault(path, set()).update(value)
        for key, item in value.items():
            collect_keys(item, f"{path}.{key}", out)
    elif isinstance(value, list):
        for item in value:
            collect_keys(item, f"{path}[]", out)


def shape_mismatches(
    ours: Any,
    example: Any,
    allowed_types: dict[str, set[str]],
    path: str = "",
) -> list[str]:
    """Differences in keys (exact, per object) and JSON types between ``ours`` and ``example``.

    Args:
        ours: What the simulator sent.
        example: The documented example.
        allowed_types: Extra accepted JSON types per path (e.g. the union over a family of
            examples, where one shows null and another a string).
        path: Path prefix for messages.

    Returns:
        Human-readable mismatches; empty when the shapes agree.
    """
    example_keys: dict[str, set[str]] = {}
    collect_keys(example, path, example_keys)
    example_types: dict[str, set[str]] = {}
    collect_types(example, path, example_types)
    our_keys: dict[str, set[str]] = {}
    collect_keys(ours, path, our_keys)
    our_types: dict[str, set[str]] = {}
    collect_types(ours, path, our_types)
    problems: list[str] = []
    for key_path, keys in example_keys.items():
        if key_path in our_keys and our_keys[key_path] != keys:
            problems.append(
                f"{key_path or '<root>'}: keys {sorted(our_keys[key_path])} != {sorted(keys)}"
            )
    for key_path, keys in our_keys.items():
        if key_path not in example_keys and keys:
            problems.append(f"{key_path}: object not in the example")
    for type_path, types in our_types.items():
        accepted = example_types.get(type_path, set()) | allowed_types.get(type_path, set())
        if not accepted:
            continue  # e.g. an empty list in the example: nothing to compare against
        if not types <= accepted:
            problems.append(f"{type_path}: {sorted(types)} not in {sorted(accepted)}")
    return problems


async def wait_for(predicate: Any, timeout: float = 2.0, interval: float = 0.01) -> None:
    """Polls ``predicate()`` until it is true (for server-side state that settles async)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(interval)


# ------------------------------------------------------------------------------------------
# Harness: the real simulator state + the hub on loopback
# ------------------------------------------------------------------------------------------

ALL_READ_SCOPES = frozenset(
    {
        "channel:read:redemptions",
        "channel:manage:redemptions",
        "channel:read:predictions",
        "channel:manage:predictions",
        "channel:read:polls",
        "channel:manage:polls",
        "channel:read:goals",
    }
)

CLIENT_ID = "eventsubtestclient000000000001"


class EventSubHarness:
    """The whole simulator on 127.0.0.1 with a partner broadcaster, a viewer and a user token.

    Subscriptions go through the simulator's Helix route (``POST /helix/eventsub/
    subscriptions``) exactly as a client would send them.

    Attributes:
        sim: The running `Simulator`.
        state: Its `SimState`.
        hub: Its `EventSubHub` (the code under test).
        http: An aiohttp client session for Helix calls and the peers.
        broadcaster_id: A partner broadcaster.
        viewer_id: A viewer of that channel.
        token: The broadcaster's user token record (every read scope).
    """

    def __init__(self) -> None:
        from companion.sim import SimConfig, Simulator
        from companion.sim.eventsub import EventSubHub

        self.sim = Simulator(SimConfig(seed=7))
        self.state = self.sim.state
        hub = self.sim.hub
        assert isinstance(hub, EventSubHub)
        self.hub = hub
        self.state.register_client(CLIENT_ID)
        self.broadcaster_id = str(self.state.create_user("caster", "Caster", "partner")["id"])
        self.viewer_id = str(self.state.create_user("viewer", "Viewer_One", "")["id"])
        self.http: aiohttp.ClientSession | None = None
        self.peers: list[EventSubPeer] = []
        self.token = self.user_token(self.broadcaster_id, ALL_READ_SCOPES)

    @property
    def ws_url(self) -> str:
        return self.sim.eventsub_url

    def user_token(self, user_id: str, scopes: frozenset[str], client_id: str = CLIENT_ID) -> Any:
        """Issues a user token and returns its `AccessTokenRecord`."""
        if client_id not in self.state.clients:
            self.state.register_client(client_id)
        issued = self.state.issue_user_token(client_id, user_id, scopes)
        return self.state.lookup_access_token(issued["access_token"])

    def app_token(self, client_id: str = CLIENT_ID) -> Any:
        """Issues an app token and returns its `AccessTokenRecord`."""
        issued = self.state.issue_app_token(client_id)
        return self.state.lookup_access_token(issued["access_token"])

    async def start(self) -> None:
        await self.sim.start(port=0)
        self.http = aiohttp.ClientSession()

    async def stop(self) -> None:
        for peer in self.peers:
            if not peer.ws.closed:
                await peer.close()
        if self.http is not None:
            await self.http.close()
        await self.sim.stop()

    async def __aenter__(self) -> EventSubHarness:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def connect(self, query: str = "", url: str | None = None) -> EventSubPeer:
        """Opens a raw peer on ``/ws`` (or ``url``)."""
        assert self.http is not None
        peer = await EventSubPeer.connect(self.http, url or self.ws_url + query)
        self.peers.append(peer)
        return peer

    async def connect_welcomed(self, query: str = "") -> tuple[EventSubPeer, str]:
        """Opens a peer and reads its welcome; returns the peer and the session id."""
        peer = await self.connect(query)
        welcome = await peer.welcome()
        return peer, str(welcome["payload"]["session"]["id"])

    async def helix(
        self,
        method: str,
        path: str,
        *,
        token: Any = None,
        json_body: Any = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One Helix request with a Bearer token and its Client-Id; returns (status, JSON)."""
        assert self.http is not None
        rec = token or self.token
        headers = {"Authorization": f"Bearer {rec.token}", "Client-Id": rec.client_id}
        async with self.http.request(
            method, f"{self.sim.helix_url}{path}", headers=headers, json=json_body, params=params
        ) as resp:
            body = await resp.json() if resp.content_length != 0 and resp.status != 204 else None
            return resp.status, body

    async def subscribe(
        self,
        session_id: str,
        type_: str,
        condition: dict[str, str] | None = None,
        *,
        token: Any = None,
        version: str = "1",
    ) -> tuple[int, dict[str, Any]]:
        """Create EventSub Subscription on the WebSocket transport, over Helix."""
        body = {
            "type": type_,
            "version": version,
            "condition": condition or {"broadcaster_user_id": self.broadcaster_id},
            "transport": {"method": "websocket", "session_id": session_id},
        }
        status, payload = await self.helix(
            "POST", "/eventsub/subscriptions", token=token, json_body=body
        )
        return status, payload

    def create_reward(self, title: str = "Hydrate", **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"title": title, "cost": 100, **extra}
        reward: dict[str, Any] = self.state.create_reward(self.broadcaster_id, CLIENT_ID, body)
        return reward
