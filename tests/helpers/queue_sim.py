"""A simulated channel for the queue and rewards tests: the real Simulator on loopback,
our Twitch client signed in as its broadcaster, and a small EventSub bridge.

`SimEventBridge` stands in for the lead's ``LiveEvents`` until it lands: it opens a real
EventSub WebSocket to the simulator, subscribes over Helix, and turns notifications into
the same Qt signals (``redemption_added(object)`` ... ``resynced()``) carrying the client's
models (``CustomRewardRedemption.from_eventsub`` / ``CustomReward.from_eventsub``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

import aiohttp
from PySide6.QtCore import QObject, Signal

from companion.sim import SimConfig, Simulator
from companion.twitch import Client, SimpleTokenHandler
from companion.twitch.models.channel_points import CustomReward, CustomRewardRedemption

if TYPE_CHECKING:
    from companion.services.live_events import LiveEvents
    from companion.twitch.models.users import PartialUser

CLIENT_ID = "queuetestclient00000000000001"
OTHER_CLIENT_ID = "queuetestother000000000000002"
SCOPES = ("channel:read:redemptions", "channel:manage:redemptions")

_REDEMPTION_ADD = "channel.channel_points_custom_reward_redemption.add"
_REDEMPTION_UPDATE = "channel.channel_points_custom_reward_redemption.update"
_REWARD_ADD = "channel.channel_points_custom_reward.add"
_REWARD_UPDATE = "channel.channel_points_custom_reward.update"
_REWARD_REMOVE = "channel.channel_points_custom_reward.remove"
TYPES = (_REDEMPTION_ADD, _REDEMPTION_UPDATE, _REWARD_ADD, _REWARD_UPDATE, _REWARD_REMOVE)


class RequestCounter:
    """Counts HTTP requests per (method, path) as they leave our client (aiohttp trace)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._started)

    async def _started(self, session: Any, context: Any, params: Any) -> None:
        ids = params.url.query.getall("id", [])
        self.calls.append((params.method, params.url.path, len(ids)))

    def count(self, method: str, path_end: str) -> int:
        return sum(1 for m, p, _ in self.calls if m == method and p.endswith(path_end))

    def id_counts(self, method: str, path_end: str) -> list[int]:
        return [n for m, p, n in self.calls if m == method and p.endswith(path_end)]


class SimEventBridge(QObject):
    """EventSub over the simulator's WebSocket, re-emitted as LiveEvents-style signals."""

    redemption_added = Signal(object)
    redemption_updated = Signal(object)
    reward_added = Signal(object)
    reward_updated = Signal(object)
    reward_removed = Signal(object)
    resynced = Signal()
    state_changed = Signal(str, str)

    def __init__(self, channel: SimChannel) -> None:
        super().__init__()
        self.channel = channel
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.task: asyncio.Task[None] | None = None
        self.received = 0

    async def connect(self) -> None:
        ch = self.channel
        self.ws = await ch.raw.ws_connect(ch.sim.eventsub_url)
        welcome = json.loads((await self.ws.receive(timeout=5)).data)
        session_id = welcome["payload"]["session"]["id"]
        for type_ in TYPES:
            body = {
                "type": type_,
                "version": "1",
                "condition": {"broadcaster_user_id": ch.broadcaster_id},
                "transport": {"method": "websocket", "session_id": session_id},
            }
            async with ch.raw.post(
                ch.sim.helix_url + "/eventsub/subscriptions",
                json=body,
                headers={"Authorization": f"Bearer {ch.token}", "Client-Id": CLIENT_ID},
            ) as resp:
                assert resp.status == 202, await resp.text()
        self.task = asyncio.get_running_loop().create_task(self._read(self.ws))
        self.state_changed.emit("live", "Live events: on")

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        http = self.channel.client.http
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            if data["metadata"]["message_type"] != "notification":
                continue
            self.received += 1
            type_ = data["payload"]["subscription"]["type"]
            event = data["payload"]["event"]
            if type_ == _REDEMPTION_ADD:
                self.redemption_added.emit(CustomRewardRedemption.from_eventsub(http, event))
            elif type_ == _REDEMPTION_UPDATE:
                self.redemption_updated.emit(CustomRewardRedemption.from_eventsub(http, event))
            elif type_ == _REWARD_ADD:
                self.reward_added.emit(CustomReward.from_eventsub(http, event))
            elif type_ == _REWARD_UPDATE:
                self.reward_updated.emit(CustomReward.from_eventsub(http, event))
            elif type_ == _REWARD_REMOVE:
                self.reward_removed.emit(CustomReward.from_eventsub(http, event))

    async def drop(self) -> None:
        """Lose the socket (events in between are not replayed, as on Twitch)."""
        self.state_changed.emit("reconnecting", "Live events: reconnecting")
        await self.close()

    async def reconnect(self) -> None:
        """Connect again and announce ``resynced`` (services re-read Helix)."""
        await self.connect()
        self.resynced.emit()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.ws = None
        self.task = None


class SimChannel:
    """The simulator, an affiliate broadcaster signed in with our client, and a bridge."""

    def __init__(self) -> None:
        self.sim = Simulator(SimConfig(seed=11, tick_interval=0.05))
        self.counter = RequestCounter()
        self.raw: aiohttp.ClientSession
        self.session: aiohttp.ClientSession
        self.client: Client
        self.broadcaster: PartialUser
        self.broadcaster_id = ""
        self.token = ""
        self.viewers: list[str] = []
        self.events = SimEventBridge(self)
        self.live: LiveEvents | None = None

    async def start(self, *, eventsub: bool = True) -> SimChannel:
        await self.sim.start(port=0)
        state = self.sim.state
        state.register_client(CLIENT_ID, None)
        state.register_client(OTHER_CLIENT_ID, None)
        self.broadcaster_id = str(state.create_user("caster", "Caster", "affiliate")["id"])
        self.viewers = [
            str(state.create_user(f"viewer{n}", f"Viewer{n}", "")["id"]) for n in range(5)
        ]
        self.token = state.issue_user_token(CLIENT_ID, self.broadcaster_id, SCOPES)["access_token"]
        self.raw = aiohttp.ClientSession()
        self.session = aiohttp.ClientSession(trace_configs=[self.counter.trace])
        self.client = Client(
            SimpleTokenHandler(self.token, CLIENT_ID),
            session=self.session,
            helix_url=self.sim.helix_url,
            oauth_url=self.sim.oauth_url,
            eventsub_url=self.sim.eventsub_url,
            retry_base_delay=0.01,
        )
        self.broadcaster = self.client.create_user(self.broadcaster_id, "caster", "Caster")
        if eventsub:
            await self.events.connect()
        return self

    async def start_live_events(self) -> LiveEvents:
        """The app's real ``LiveEvents`` on this channel, connected (instead of the bridge)."""
        from companion.services.live_events import LiveEvents

        live = LiveEvents(
            reconnect_base_delay=0.01, reconnect_max_delay=0.05, handoff_quiet_seconds=0.05
        )
        await live.start(self.client.http, self.broadcaster)
        assert live.client is not None
        await live.client.wait_live(timeout=5)
        self.live = live
        return live

    async def stop(self) -> None:
        if self.live is not None:
            await self.live.shutdown()
        await self.events.close()
        await self.client.close()
        await self.session.close()
        await self.raw.close()
        await self.sim.stop()

    def create_reward(self, title: str, *, client_id: str = CLIENT_ID, **extra: Any) -> str:
        body: dict[str, Any] = {"title": title, "cost": extra.pop("cost", 100), **extra}
        return str(self.sim.state.create_reward(self.broadcaster_id, client_id, body)["id"])

    def redeem(self, reward_id: str, viewer: int = 0, text: str = "") -> str:
        red = self.sim.state.redeem(self.broadcaster_id, reward_id, self.viewers[viewer], text)
        return str(red["id"])

    def fulfil_elsewhere(self, reward_id: str, redemption_ids: list[str]) -> None:
        """Another tool (the Twitch dashboard) fulfils redemptions."""
        self.sim.state.update_redemptions(
            self.broadcaster_id, CLIENT_ID, reward_id, redemption_ids, "FULFILLED"
        )

    def status_of(self, redemption_id: str) -> str:
        return str(self.sim.state.redemptions[redemption_id].status)


async def until(predicate: Any, timeout: float = 5.0) -> None:
    """Await until ``predicate()`` is true (Qt keeps running on the qasync loop)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def reward_payload(**over: Any) -> dict[str, Any]:
    """A Get Custom Reward item (Helix shape), for models built without a request."""
    base = {
        "broadcaster_id": "1",
        "broadcaster_login": "c",
        "broadcaster_name": "C",
        "id": "rw1",
        "title": "Hydrate!",
        "prompt": "",
        "cost": 100,
        "image": None,
        "default_image": None,
        "background_color": "#1F69FF",
        "is_enabled": True,
        "is_user_input_required": False,
        "max_per_stream_setting": {"is_enabled": False, "max_per_stream": 0},
        "max_per_user_per_stream_setting": {"is_enabled": False, "max_per_user_per_stream": 0},
        "global_cooldown_setting": {"is_enabled": True, "global_cooldown_seconds": 60},
        "is_paused": False,
        "is_in_stock": True,
        "should_redemptions_skip_request_queue": False,
        "redemptions_redeemed_current_stream": None,
        "cooldown_expires_at": None,
    }
    base.update(over)
    return base
