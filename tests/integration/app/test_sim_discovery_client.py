"""The app's side of ``GET /_sim/info``: who is asked, and what counts as a simulator."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from companion.auth.sim_discovery import (
    DiscoveryError,
    SimInfo,
    discover_demo_client_id,
    discovery_url,
    fetch_sim_info,
)
from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.mark.parametrize(
    ("twitch_url", "expected"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/_sim/info"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/_sim/info"),
        ("http://localhost:8080", "http://localhost:8080/_sim/info"),
        ("http://[::1]:8080", "http://[::1]:8080/_sim/info"),
        # Never asked: no --twitch-url (Twitch itself), Twitch's hosts, any other machine.
        (None, None),
        ("", None),
        ("https://api.twitch.tv", None),
        ("https://id.twitch.tv", None),
        ("https://192.0.2.10:8080", None),
        ("ws://127.0.0.1:8080", None),
    ],
)
def test_only_a_url_on_this_machine_is_asked(twitch_url: str | None, expected: str | None) -> None:
    assert discovery_url(twitch_url) == expected


class Starts:
    def __init__(self) -> None:
        self.urls: list[str] = []
        self.config = aiohttp.TraceConfig()
        self.config.on_request_start.append(self._started)

    async def _started(
        self, session: object, context: object, params: aiohttp.TraceRequestStartParams
    ) -> None:
        self.urls.append(str(params.url))


async def test_fetch_from_a_demo_simulator() -> None:
    starts = Starts()
    async with (
        Simulator(SimConfig(demo=True, seed=3)) as sim,
        aiohttp.ClientSession(trace_configs=[starts.config]) as session,
    ):
        info = await fetch_sim_info(session, sim.base_url)
    assert info == SimInfo(
        url=f"{sim.base_url}/_sim/info",
        demo_client_id=DEMO_CLIENT_ID,
        oauth_url=sim.oauth_url,
        helix_url=sim.helix_url,
        eventsub_url=sim.eventsub_url,
    )
    assert starts.urls == [f"{sim.base_url}/_sim/info"]


async def test_another_machine_is_never_asked() -> None:
    starts = Starts()
    async with aiohttp.ClientSession(trace_configs=[starts.config]) as session:
        for url in ("https://api.twitch.tv", "https://192.0.2.10:8080"):
            with pytest.raises(DiscoveryError, match="only a simulator on this machine"):
                await fetch_sim_info(session, url)
    assert starts.urls == []


@pytest.fixture
async def impostor() -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback server that is not a simulator; records the paths it was asked for."""
    asked: list[str] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        asked.append(request.path_qs)
        if request.path == "/redirect/_sim/info":
            raise web.HTTPFound("/elsewhere")
        if request.path == "/other/_sim/info":
            return web.json_response({"data": {"simulator": "someone-else"}})
        if request.path == "/text/_sim/info":
            return web.Response(text="hello")
        if request.path == "/huge/_sim/info":
            return web.Response(body=b"{" + b" " * 70_000 + b"}")
        return web.json_response({"status": 404, "message": "Not Found"}, status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", asked
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("/missing", "answered 404, not a simulator's info"),
        ("/redirect", "answered 302, not a simulator's info"),  # not followed
        ("/other", "is not a Streamer Companion simulator"),
        ("/text", "did not answer with JSON"),
        ("/huge", "answered with more than 65536 bytes"),
    ],
)
async def test_a_server_that_is_not_a_simulator_is_not_believed(
    impostor: tuple[str, list[str]], prefix: str, message: str
) -> None:
    base, asked = impostor
    async with aiohttp.ClientSession() as session:
        with pytest.raises(DiscoveryError, match=message):
            await fetch_sim_info(session, base + prefix)
    assert asked == [f"{prefix}/_sim/info"]


async def test_nothing_listening_is_a_discovery_error() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(DiscoveryError, match="did not answer"):
            await fetch_sim_info(session, "http://127.0.0.1:1")


async def test_discovered_client_id_is_logged_and_its_absence_explained(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="companion.auth.sim_discovery")
    async with aiohttp.ClientSession() as session:
        async with Simulator(SimConfig(demo=True, seed=3)) as demo:
            assert await discover_demo_client_id(session, demo.base_url) == DEMO_CLIENT_ID
        async with Simulator(SimConfig(seed=3)) as bare:
            assert await discover_demo_client_id(session, bare.base_url) is None
        assert await discover_demo_client_id(session, "http://127.0.0.1:1") is None
    assert caplog.messages[0] == (
        "no Twitch client id is configured; using the simulator's demo client id "
        f"{DEMO_CLIENT_ID} from {demo.base_url}/_sim/info"
    )
    assert caplog.messages[1] == (
        f"the simulator at {bare.base_url}/_sim/info has no demo client (started without --demo)"
    )
    assert caplog.messages[2].startswith(
        "no client id is configured, and asking http://127.0.0.1:1/_sim/info failed: "
        "http://127.0.0.1:1/_sim/info did not answer (ClientConnectorError)"
    )
    assert len(caplog.messages) == 3
