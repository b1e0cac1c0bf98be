"""A loopback Twitch that answers badly on purpose: the peer of the hostile-input drills.

Not the simulator (which answers as Twitch does) and not the scripted fake of the unit tests
(which only knows good answers): each drill installs the misbehaviour it wants.

* OAuth: ``/oauth2/validate`` accepts the one token :meth:`HostileServer.issue` gives out.
* Helix: ``/helix/eventsub/subscriptions`` answers 202 with the documented body; every other
  path goes to :attr:`HostileServer.helix_script` (default: ``{"data": []}``). Every request
  is recorded in :attr:`HostileServer.helix`.
* EventSub: a WebSocket at ``/ws`` (and any path below it). Each connection runs
  :attr:`HostileServer.ws_script` and is recorded as a :class:`WsConnection` (when it opened,
  and whether and when the *client* closed it).

The message builders start from Twitch's documented examples (``twitch-reference/eventsub``)
so only the field a drill breaks differs from what Twitch sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from companion.twitch.eventsub import EventSubClient, SubscriptionSpec
from companion.twitch.http import HTTPHandler
from companion.twitch.models.users import PartialUser
from companion.twitch.tokens import SimpleTokenHandler
from tests.helpers.reference import REFERENCE

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

CLIENT_ID = "hostileclient000000000000000"
USER_ID = "274637212"
SCOPES = [
    "channel:read:redemptions",
    "channel:manage:redemptions",
    "channel:read:predictions",
    "channel:read:polls",
    "channel:read:goals",
]
REDEMPTION_ADD = "channel.channel_points_custom_reward_redemption.add"

_EVENTSUB = REFERENCE / "eventsub"


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_EVENTSUB / name).read_text(encoding="utf-8"))
    return data


def now_rfc3339() -> str:
    """Now, as EventSub writes it (nanoseconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


_ids = itertools.count(1)


def welcome(session_id: str, keepalive: Any = 10) -> dict[str, Any]:
    """Twitch's documented welcome with this session id and ``keepalive_timeout_seconds``."""
    msg = _example("ws.session_welcome.json")
    msg["metadata"]["message_id"] = f"welcome-{next(_ids)}"
    msg["metadata"]["message_timestamp"] = now_rfc3339()
    msg["payload"]["session"]["id"] = session_id
    msg["payload"]["session"]["connected_at"] = now_rfc3339()
    msg["payload"]["session"]["keepalive_timeout_seconds"] = keepalive
    return msg


def reconnect(session_id: str, url: str) -> dict[str, Any]:
    """Twitch's documented ``session_reconnect`` pointing at ``url``."""
    msg = _example("ws.session_reconnect.json")
    msg["metadata"]["message_id"] = f"reconnect-{next(_ids)}"
    msg["metadata"]["message_timestamp"] = now_rfc3339()
    msg["payload"]["session"]["id"] = session_id
    msg["payload"]["session"]["reconnect_url"] = url
    return msg


def keepalive() -> dict[str, Any]:
    """Twitch's documented keepalive, stamped now."""
    msg = _example("ws.session_keepalive.json")
    msg["metadata"]["message_id"] = f"keepalive-{next(_ids)}"
    msg["metadata"]["message_timestamp"] = now_rfc3339()
    return msg


def redemption(redemption_id: str, *, user_input: str = "pogchamp") -> dict[str, Any]:
    """A ``notification`` carrying the documented redemption-add event for our channel."""
    payload = _example("channel.channel_points_custom_reward_redemption.add.payload.json")
    payload = copy.deepcopy(payload)
    payload["subscription"]["transport"] = {"method": "websocket", "session_id": "s"}
    payload["subscription"]["condition"]["broadcaster_user_id"] = USER_ID
    event = payload["event"]
    event["id"] = redemption_id
    event["broadcaster_user_id"] = USER_ID
    event["user_input"] = user_input
    return {
        "metadata": {
            "message_id": f"note-{redemption_id}",
            "message_type": "notification",
            "message_timestamp": now_rfc3339(),
            "subscription_type": REDEMPTION_ADD,
            "subscription_version": "1",
        },
        "payload": payload,
    }


@dataclass
class HelixHit:
    """One Helix request as the hostile server saw it."""

    method: str
    path: str  # under /helix
    at: float


@dataclass
class WsConnection:
    """One EventSub WebSocket connection as the hostile server saw it.

    Attributes:
        index: 0 for the first connection, then 1, 2, ...
        path: The request path (with its query), e.g. ``/ws?hop=2``.
        opened_at: Monotonic time of the handshake.
        closed_by_client: The client sent a close frame.
        client_close_code: The code of that close frame.
        closed_at: When the socket ended.
    """

    index: int
    path: str
    opened_at: float
    ws: web.WebSocketResponse = field(repr=False)
    closed_by_client: bool = False
    client_close_code: int | None = None
    closed_at: float | None = None

    @property
    def session_id(self) -> str:
        return f"hostile-session-{self.index}"

    async def send(self, message: dict[str, Any] | str) -> None:
        """Send a message (a dict as JSON, a str as is); a closed socket is ignored."""
        text = message if isinstance(message, str) else json.dumps(message)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.send_str(text)


if TYPE_CHECKING:
    WsScript = Callable[[WsConnection], Awaitable[None]]
    HelixScript = Callable[[web.Request, HelixHit], Awaitable[web.StreamResponse]]


async def welcome_only(conn: WsConnection) -> None:
    """The default EventSub script: a good welcome, then nothing."""
    await conn.send(welcome(conn.session_id))


class HostileServer:
    """The server; ``await start()``, set the scripts, ``await stop()``."""

    def __init__(self) -> None:
        self.helix: list[HelixHit] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.connections: list[WsConnection] = []
        self.helix_script: HelixScript | None = None
        self.ws_script: WsScript = welcome_only
        self.access_token = "hostile-access-0001"
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._changed = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> HostileServer:
        app = web.Application()
        app.router.add_get("/oauth2/validate", self._validate)
        app.router.add_post("/helix/eventsub/subscriptions", self._subscribe)
        app.router.add_route("*", "/helix/{tail:.*}", self._helix)
        app.router.add_get("/ws", self._websocket)
        app.router.add_get("/ws/{tail:.*}", self._websocket)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        for conn in self.connections:
            with contextlib.suppress(Exception):
                await conn.ws.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    @property
    def helix_url(self) -> str:
        return f"{self.base_url}/helix"

    @property
    def oauth_url(self) -> str:
        return f"{self.base_url}/oauth2"

    @property
    def eventsub_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    # -- waiting ---------------------------------------------------------------------------

    async def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds; re-checked whenever the server sees something."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await self._changed.wait()

    def _poke(self) -> None:
        self._changed.set()

    # -- OAuth and Helix -------------------------------------------------------------------

    async def _validate(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"OAuth {self.access_token}":
            return web.json_response({"status": 401, "message": "invalid access token"}, 401)
        return web.json_response(
            {
                "client_id": CLIENT_ID,
                "login": "torpedo09",
                "scopes": SCOPES,
                "user_id": USER_ID,
                "expires_in": 14000,
            }
        )

    async def _subscribe(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.subscriptions.append(body)
        self._poke()
        sub = {
            "id": f"sub-{len(self.subscriptions)}",
            "status": "enabled",
            "type": body["type"],
            "version": body["version"],
            "condition": body["condition"],
            "created_at": now_rfc3339(),
            "transport": body["transport"],
            "cost": 0,
        }
        total = len(self.subscriptions)
        body = {"data": [sub], "total": total, "total_cost": 0, "max_total_cost": 10}
        return web.json_response(body, status=202)

    async def _helix(self, request: web.Request) -> web.StreamResponse:
        hit = HelixHit(request.method, request.path.removeprefix("/helix"), time.monotonic())
        self.helix.append(hit)
        self._poke()
        if self.helix_script is None:
            return web.json_response({"data": []})
        return await self.helix_script(request, hit)

    def hits(self, path: str) -> list[HelixHit]:
        """The Helix requests to ``path`` (under /helix)."""
        return [h for h in self.helix if h.path == path]

    # -- EventSub --------------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        # No size limit here: drills send frames past the client's cap on purpose.
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = WsConnection(len(self.connections), request.path_qs, time.monotonic(), ws)
        self.connections.append(conn)
        self._poke()
        script = asyncio.get_running_loop().create_task(self.ws_script(conn))
        self._tasks.add(script)
        script.add_done_callback(self._tasks.discard)
        try:
            # Clients may only send Pongs (answered by aiohttp), so anything that comes out
            # of receive() is the end of the socket.
            msg = await ws.receive()
            if msg.type is aiohttp.WSMsgType.CLOSE:
                conn.closed_by_client = True
                conn.client_close_code = int(msg.data)
        finally:
            conn.closed_at = time.monotonic()
            script.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await script
            self._poke()
        return ws


def handler_for(server: HostileServer, **options: Any) -> HTTPHandler:
    """An HTTP handler signed in with the server's token, pointed at the server."""
    options.setdefault("retry_base_delay", 0.01)
    return HTTPHandler(
        SimpleTokenHandler(server.access_token, CLIENT_ID),
        helix_url=server.helix_url,
        oauth_url=server.oauth_url,
        eventsub_url=server.eventsub_url,
        **options,
    )


def eventsub_for(http: HTTPHandler, **options: Any) -> EventSubClient:
    """An EventSub client for the server's user with one subscription (redemptions)."""
    options.setdefault("reconnect_base_delay", 0.05)
    options.setdefault("reconnect_max_delay", 0.2)
    options.setdefault("handoff_quiet_seconds", 0.05)
    user = PartialUser(http, USER_ID, login="torpedo09")
    spec = SubscriptionSpec(REDEMPTION_ADD, "1", {"broadcaster_user_id": USER_ID})
    return EventSubClient(http, user, [spec], **options)
