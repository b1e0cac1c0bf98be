"""The whole app in demo mode serves the overlays: started after the first paint, fed by
the simulator's own viewer traffic, and closed within the shutdown budget on quit."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from typing import Any

import aiohttp
import keyring
import pytest

from companion.app import SHUTDOWN_BUDGET, CompanionApp, parse_args
from tests.helpers.memory_keyring import MemoryKeyring

pytestmark = pytest.mark.qt_loop


async def until(predicate: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_demo_traffic_reaches_the_alerts_page_and_quit_closes_it(qapp) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    port = int(os.environ["COMPANION_OVERLAY_PORT"])  # tests/conftest.py: a free one
    app = CompanionApp(qapp, parse_args(["--demo"]))
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: app.window is not None)
        assert app.window is not None and app.panels is not None
        overlays = app.panels.overlays
        await until(lambda: overlays.state == "running")
        assert overlays.port == port
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"http://127.0.0.1:{port}/overlay/ws?page=alerts")
            snapshot = json.loads((await ws.receive(timeout=5)).data)
            assert snapshot["type"] == "snapshot"
            # The demo's viewers redeem by themselves (0.4 a second).
            async with asyncio.timeout(20):
                while True:
                    message = json.loads((await ws.receive()).data)
                    if message["type"] == "alert":
                        break
            alert = message["alert"]
            assert alert["test"] is False
            assert alert["duration_ms"] == 6000
            assert alert["viewer"] and alert["reward_title"]
            loop = asyncio.get_running_loop()
            began = loop.time()
            app.request_quit(0)
            closed = await ws.receive(timeout=SHUTDOWN_BUDGET)
            assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), closed
            assert await asyncio.wait_for(runner, timeout=10) == 0
            assert loop.time() - began < SHUTDOWN_BUDGET
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if not runner.done():
            app.request_quit(0)
            await asyncio.wait_for(runner, timeout=10)
        keyring.set_keyring(previous)


async def test_a_taken_port_is_a_notice_in_the_window_and_the_app_runs_on(
    qapp, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = int(squatter.getsockname()[1])
        monkeypatch.setenv("COMPANION_OVERLAY_PORT", str(taken))
        app = CompanionApp(qapp, parse_args(["--demo"]))
        runner = asyncio.get_running_loop().create_task(app.run())
        try:
            await until(
                lambda: app.panels is not None and app.panels.overlays.state == "port_taken"
            )
            assert app.window is not None
            notice = app.window.notice_bar
            assert notice.isVisible()
            assert notice.label.text() == (
                f"Port {taken} is already used by another program (or another copy of "
                "Streamer Companion), so the overlays for OBS are not served. Choose another "
                "port in the Overlays tab and paste the new URLs into OBS, or close the other "
                "program."
            )
            # Not a dialog, and the rest of the app runs on: the demo signs in.
            assert app.start_dialog is None
            await until(lambda: app.session is not None and app.session.user is not None)
            assert not runner.done()
        finally:
            app.request_quit(0)
            assert await asyncio.wait_for(runner, timeout=10) == 0
            keyring.set_keyring(previous)


async def test_a_smoke_test_claims_no_overlay_port(qapp) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        app = CompanionApp(qapp, parse_args(["--smoke-test"]))
        assert await asyncio.wait_for(app.run(), timeout=10) == 0
        assert app.panels is not None and app.window is not None
        assert app.window._painted  # it did paint, and quit on that
        assert app.panels.overlays.server is None
        assert app.panels.overlays.state == "off"
    finally:
        keyring.set_keyring(previous)
