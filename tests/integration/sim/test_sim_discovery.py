"""``GET /_sim/info``: the simulator says what it is, to anyone, and changes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp

from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator

if TYPE_CHECKING:
    from typing import Any


async def get_info(session: aiohttp.ClientSession, sim: Simulator) -> tuple[int, Any]:
    async with session.get(f"{sim.base_url}/_sim/info") as response:
        return response.status, await response.json()


async def test_demo_simulator_names_its_demo_client_and_urls() -> None:
    async with Simulator(SimConfig(demo=True, seed=3)) as sim, aiohttp.ClientSession() as session:
        users_before = len(sim.state.users)
        clients_before = dict(sim.state.clients)
        sim.faults.fail_next(3, 500)  # never applied to /_sim
        status, body = await get_info(session, sim)
        assert status == 200
        assert body == {
            "data": {
                "simulator": "companion.sim",
                "demo_client_id": DEMO_CLIENT_ID,
                "demo_broadcaster_id": sim.demo_broadcaster_id,
                "base_url": sim.base_url,
                "oauth_url": sim.oauth_url,
                "helix_url": sim.helix_url,
                "eventsub_url": sim.eventsub_url,
                "control_url": sim.control_url,
            }
        }
        # No token was needed, and nothing changed (the fault is still pending, unused).
        assert len(sim.state.users) == users_before
        assert sim.state.clients == clients_before
        assert sim.faults.snapshot()["pending"][0]["remaining"] == 3
        async with session.post(f"{sim.base_url}/_sim/info", json={}) as response:
            assert response.status == 405  # read-only


async def test_simulator_without_demo_has_no_demo_client() -> None:
    async with Simulator(SimConfig(seed=3)) as sim, aiohttp.ClientSession() as session:
        status, body = await get_info(session, sim)
    assert status == 200
    assert body["data"]["demo_client_id"] is None
    assert body["data"]["demo_broadcaster_id"] is None
    assert body["data"]["oauth_url"] == f"{sim.base_url}/oauth2"
