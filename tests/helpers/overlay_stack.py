"""The app's overlay stack, for real: the demo simulator, the app's own panel set and main
window, signed in with live EventSub, the overlay server on a free loopback port, and
WebSocket clients that stand in for the pages a browser source would load.

Nothing is stubbed: redemptions, goals, predictions and polls are made in the simulator,
travel over EventSub to the app's services, through ``OverlayService`` to the hub, and
out of the real ``OverlayServer`` to an aiohttp WebSocket client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import TYPE_CHECKING, Any

import aiohttp

from companion.app_menus import PANEL_TITLES
from companion.app_panels import PanelSet
from companion.services.live_events import LiveEvents
from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator
from companion.twitch.client import Client
from companion.twitch.tokens import SimpleTokenHandler
from companion.ui.main_window import MainWindow
from companion.ui.settings import AppSettings
from companion.ui.tray import TrayIcon

if TYPE_CHECKING:
    from collections.abc import Callable

    from companion.services.overlay_service import OverlayService
    from companion.twitch.models.users import PartialUser
    from companion.ui.overlays_panel import OverlaysPanel

SCOPES = [
    "channel:manage:redemptions",
    "channel:manage:predictions",
    "channel:manage:polls",
    "channel:read:goals",
    "user:edit:broadcast",
]


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Await until ``predicate()`` is true (Qt keeps running on the qasync loop)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


class PageClient:
    """One overlay page's WebSocket, as a browser source would open it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message the server sends (fails after ``timeout``)."""
        message = await self.ws.receive(timeout=timeout)
        assert message.type is aiohttp.WSMsgType.TEXT, message
        data: dict[str, Any] = json.loads(message.data)
        self.received.append(data)
        return data

    async def next_where(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0
    ) -> dict[str, Any]:
        """The first message from now on for which ``predicate`` holds."""
        async with asyncio.timeout(timeout):
            while True:
                data = await self.next(timeout=timeout)
                if predicate(data):
                    return data

    async def close(self) -> None:
        await self.ws.close()


class OverlayStack:
    """The running stack (see the module docs); ``start`` it, ``stop`` it after."""

    def __init__(self, *, port: int | None = None) -> None:
        self.sim = Simulator(SimConfig(demo=True, seed=19, device_poll_interval=0.05))
        self.settings = AppSettings()
        self.settings.overlay_port = port if port is not None else free_port()
        self.notices: list[str] = []
        self.live = LiveEvents(
            reconnect_base_delay=0.01, reconnect_max_delay=0.05, handoff_quiet_seconds=0.05
        )
        self.panels = PanelSet(self.settings, None, self.notices.append)
        self.pages = self.panels.build()
        self.window = MainWindow([(title, self.pages[key]) for key, title in PANEL_TITLES])
        self.tray = TrayIcon()
        self.tray.notifications_enabled = False
        self.panels.wire(self.live, self.window, self.tray)
        self.window.notice_bar.label.setText("")
        self.session = aiohttp.ClientSession()
        self.client: Client | None = None
        self.broadcaster: PartialUser | None = None
        self.page_clients: list[PageClient] = []

    @property
    def service(self) -> OverlayService:
        return self.panels.overlays

    @property
    def panel(self) -> OverlaysPanel:
        from companion.ui.overlays_panel import OverlaysPanel

        panel = self.pages["overlays"]
        assert isinstance(panel, OverlaysPanel)
        return panel

    @property
    def broadcaster_id(self) -> str:
        assert self.sim.demo_broadcaster_id is not None
        return self.sim.demo_broadcaster_id

    async def start(self, *, sign_in: bool = True) -> OverlayStack:
        """Show the window (its first paint starts the overlay server) and sign in."""
        await self.sim.start(port=0)
        self.window.show()
        await until(lambda: bool(self.service.pages) and self.service.state != "starting")
        if sign_in:
            issued = self.sim.state.issue_user_token(DEMO_CLIENT_ID, self.broadcaster_id, SCOPES)
            self.client = Client(
                SimpleTokenHandler(issued["access_token"], DEMO_CLIENT_ID, issued["refresh_token"]),
                helix_url=self.sim.helix_url,
                oauth_url=self.sim.oauth_url,
                eventsub_url=self.sim.eventsub_url,
                retry_base_delay=0.01,
            )
            self.broadcaster = self.client.create_user(self.broadcaster_id, "democaster")
            await self.live.start(self.client.http, self.broadcaster)
            assert self.live.client is not None
            await self.live.client.wait_live(timeout=5)
            self.panels.set_broadcaster(self.broadcaster)
            for service in self.panels.services:
                await service.wait_idle()  # type: ignore[attr-defined]  # every one is a Service
        return self

    async def open_page(self, page: str) -> PageClient:
        """Connect to ``page``'s WebSocket as its browser source would (snapshot read)."""
        ws = await self.session.ws_connect(
            f"http://127.0.0.1:{self.service.port}/overlay/ws?page={page}"
        )
        client = PageClient(ws)
        self.page_clients.append(client)
        first = await client.next()
        assert first["type"] == "snapshot" and first["page"] == page, first
        return client

    def reward_id(self, title: str) -> str:
        rewards = self.sim.state.channel(self.broadcaster_id).rewards
        return next(rid for rid, rec in rewards.items() if rec.data["title"] == title)

    def viewer_id(self, login: str) -> str:
        return next(uid for uid, user in self.sim.state.users.items() if user["login"] == login)

    def redeem(self, title: str, viewer: str, text: str = "") -> str:
        """A viewer redeems a reward in the simulator; returns the redemption id."""
        made = self.sim.state.redeem(
            self.broadcaster_id, self.reward_id(title), self.viewer_id(viewer), text
        )
        return str(made["id"])

    async def stop(self) -> None:
        for client in self.page_clients:
            with contextlib.suppress(Exception):
                await client.close()
        await self.panels.shutdown()
        await self.live.shutdown()
        if self.client is not None:
            await self.client.close()
        await self.session.close()
        await self.sim.stop()
        self.window.hide()
        self.tray.hide()
        self.window.deleteLater()
