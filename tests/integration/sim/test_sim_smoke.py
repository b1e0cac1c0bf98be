"""The simulator starts, answers on loopback, and stops cleanly."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator
from tests.integration.sim.sim_api import Api, Caster

if TYPE_CHECKING:
    import aiohttp


async def test_urls_point_at_loopback(sim: Simulator) -> None:
    assert sim.base_url == f"http://127.0.0.1:{sim.port}"
    assert sim.helix_url == sim.base_url + "/helix"
    assert sim.oauth_url == sim.base_url + "/oauth2"
    assert sim.eventsub_url == f"ws://127.0.0.1:{sim.port}/ws"
    assert sim.control_url == sim.base_url + "/_sim"


async def test_get_users_for_token_user(caster: Caster) -> None:
    reply = await caster.helix("GET", "/users")
    assert reply.status == 200
    assert [u["login"] for u in reply.body["data"]] == ["caster"]
    assert reply.headers["Ratelimit-Limit"] == "800"
    assert reply.headers["Ratelimit-Remaining"] == "799"


async def test_stop_is_idempotent() -> None:
    sim = Simulator(SimConfig())
    await sim.start()
    await sim.stop()
    await sim.stop()


async def test_non_loopback_host_is_refused() -> None:
    sim = Simulator(SimConfig())
    try:
        await sim.start(host="0.0.0.0")
    except ValueError:
        pass
    else:  # pragma: no cover - the assertion below reports it
        await sim.stop()
        raise AssertionError("bound a non-loopback address")


async def test_demo_channel_is_seeded(session: aiohttp.ClientSession) -> None:
    sim = Simulator(SimConfig(demo=True, seed=1))
    await sim.start()
    try:
        bid = sim.demo_broadcaster_id
        assert bid is not None
        ch = sim.state.channels[bid]
        assert len(ch.rewards) == 7
        assert sum(r.client_id == DEMO_CLIENT_ID for r in ch.rewards.values()) == 6
        assert len(ch.goals) == 1
        assert ch.running_prediction is None
        api = Api(session, sim.base_url)
        tok = sim.state.issue_user_token(DEMO_CLIENT_ID, bid, ["channel:read:redemptions"])
        reply = await api.call(
            "GET",
            "/helix/channel_points/custom_rewards",
            token=tok["access_token"],
            client_id=DEMO_CLIENT_ID,
            params={"broadcaster_id": bid, "only_manageable_rewards": "true"},
        )
        assert reply.status == 200
        assert len(reply.body["data"]) == 6
    finally:
        await sim.stop()


async def test_demo_traffic_generates_redemptions() -> None:
    sim = Simulator(SimConfig(demo=True, seed=2, traffic_rate=100.0))
    before = len(sim.state.redemptions)
    await sim.start()
    try:
        await asyncio.sleep(0.3)
        assert len(sim.state.redemptions) > before + 5
    finally:
        await sim.stop()
    settled = len(sim.state.redemptions)
    await asyncio.sleep(0.1)
    assert len(sim.state.redemptions) == settled  # the generator stopped with the simulator


async def test_restart_after_stop() -> None:
    sim = Simulator(SimConfig())
    await sim.start()
    await sim.stop()
    await sim.start()
    assert sim._runner is not None
    await sim.stop()
    assert sim._runner is None
