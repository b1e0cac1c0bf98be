"""``python -m companion.sim`` runs standalone, prints its URLs and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp

from companion.sim import control_headers


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
        for _ in range(7):
            raw = await asyncio.wait_for(proc.stdout.readline(), 20)
            name, _, value = raw.decode().strip().partition(" ")
            lines[name] = value.strip()
        assert lines["base"].startswith("http://127.0.0.1:")
        assert lines["eventsub"].startswith("ws://127.0.0.1:") and lines["eventsub"].endswith("/ws")
        assert "broadcaster_id=" in lines["demo"]
        token = lines["token"]
        assert len(token) >= 32
        async with aiohttp.ClientSession() as session:
            async with session.get(lines["control"] + "/info") as resp:
                info = await resp.json()  # discovery stays open: it changes nothing
            users = lines["control"] + "/users"
            body = b'{"login": "cli_user"}'
            # What a web page could send cross-site: no token, a simple content type.
            async with session.post(
                users, data=body, headers={"Content-Type": "text/plain"}
            ) as resp:
                assert resp.status == 401
            async with session.post(users, params={"login": "cli_user"}) as resp:
                assert resp.status == 401
            async with session.post(
                users, data=body, headers={**control_headers(token), "Content-Type": "text/plain"}
            ) as resp:
                assert resp.status == 415
            async with session.post(
                users, params={"login": "cli_user"}, headers=control_headers(token)
            ) as resp:
                assert resp.status == 400
            async with session.post(users, data=body, headers=control_headers(token)) as resp:
                assert resp.status == 200
                assert (await resp.json())["data"]["login"] == "cli_user"
        assert info["data"]["base_url"] == lines["base"]
        assert info["data"]["demo_broadcaster_id"] == lines["demo"].split("broadcaster_id=")[1]
        assert token not in str(info)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 20)
    assert rc == 0
