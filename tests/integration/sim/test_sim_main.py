"""``python -m companion.sim`` runs standalone, prints its URLs and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp


async def test_module_runs_and_prints_urls() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "companion.sim",
        "--port",
        "0",
        "--demo",
        "--seed",
        "3",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        lines = {}
        for _ in range(6):
            raw = await asyncio.wait_for(proc.stdout.readline(), 20)
            name, _, value = raw.decode().strip().partition(" ")
            lines[name] = value.strip()
        assert lines["base"].startswith("http://127.0.0.1:")
        assert lines["eventsub"].startswith("ws://127.0.0.1:") and lines["eventsub"].endswith("/ws")
        assert "broadcaster_id=" in lines["demo"]
        async with (
            aiohttp.ClientSession() as session,
            session.get(lines["control"] + "/info") as resp,
        ):
            info = await resp.json()
        assert info["data"]["base_url"] == lines["base"]
        assert info["data"]["demo_broadcaster_id"] == lines["demo"].split("broadcaster_id=")[1]
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 20)
    assert rc == 0
