"""The Helix EventSub routes and the /_sim/eventsub controls, wired to the real hub."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import aiohttp

from tests.integration.sim.sim_api import CLIENT_ID, Api, Caster

if TYPE_CHECKING:
    from companion.sim import Simulator

REDEMPTION_ADD = "channel.channel_points_custom_reward_redemption.add"


async def _recv(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=3)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def _subscribe(caster: Caster, session_id: str) -> Any:
    return await caster.helix(
        "POST",
        "/eventsub/subscriptions",
        json_body={
            "type": REDEMPTION_ADD,
            "version": "1",
            "condition": {"broadcaster_user_id": caster.id},
            "transport": {"method": "websocket", "session_id": session_id},
        },
    )


async def test_subscribe_over_helix_and_receive_a_redemption(
    sim: Simulator, session: aiohttp.ClientSession, caster: Caster
) -> None:
    assert sim.hub is not None
    reward = sim.state.create_reward(caster.id, CLIENT_ID, {"title": "Hydrate", "cost": 1})
    async with session.ws_connect(sim.eventsub_url) as ws:
        welcome = await _recv(ws)
        session_id = welcome["payload"]["session"]["id"]
        created = await _subscribe(caster, session_id)
        assert created.status == 202, created.body
        assert created.body["data"][0]["type"] == REDEMPTION_ADD
        assert "Ratelimit-Remaining" in created.headers
        listed = await caster.helix("GET", "/eventsub/subscriptions")
        assert listed.status == 200
        assert [s["id"] for s in listed.body["data"]] == [created.body["data"][0]["id"]]
        red = sim.state.redeem(caster.id, reward["id"], caster.id, "")
        note = await _recv(ws)
        assert note["metadata"]["message_type"] == "notification"
        assert note["payload"]["event"]["id"] == red["id"]
        deleted = await caster.helix(
            "DELETE", "/eventsub/subscriptions", params={"id": created.body["data"][0]["id"]}
        )
        assert (deleted.status, deleted.text) == (204, "")


async def test_subscription_routes_need_auth(caster: Caster) -> None:
    reply = await caster.helix("POST", "/eventsub/subscriptions", token="bogus", json_body={})
    assert reply.status == 401
    no_id = await caster.helix("DELETE", "/eventsub/subscriptions")
    assert no_id.status == 400


async def test_ws_controls_over_http(
    sim: Simulator, session: aiohttp.ClientSession, api: Api, caster: Caster
) -> None:
    reward = sim.state.create_reward(caster.id, CLIENT_ID, {"title": "Hydrate", "cost": 1})
    async with session.ws_connect(sim.eventsub_url) as ws:
        welcome = await _recv(ws)
        assert (await _subscribe(caster, welcome["payload"]["session"]["id"])).status == 202
        sim.state.redeem(caster.id, reward["id"], caster.id)
        first = await _recv(ws)
        resent = await api.call("POST", "/_sim/eventsub/resend", json_body={"n": 1})
        assert resent.body == {"data": {"messages": 1}}
        dup = await _recv(ws)
        assert dup["metadata"]["message_id"] == first["metadata"]["message_id"]
        silenced = await api.call("POST", "/_sim/eventsub/silence", json_body={"seconds": 0.5})
        assert silenced.status == 200
        reconnect = await api.call("POST", "/_sim/eventsub/reconnect")
        assert reconnect.body == {"data": {"sockets": 1}}
        msg = await _recv(ws)
        assert msg["metadata"]["message_type"] == "session_reconnect"
        # Read while the hub closes: the close handshake needs the client's answer.
        dropped, closing = await asyncio.gather(
            api.call("POST", "/_sim/eventsub/drop", json_body={"close_code": 4000}),
            ws.receive(timeout=3),
        )
        assert dropped.body == {"data": {"sockets": 1}}
        assert closing.type == aiohttp.WSMsgType.CLOSE
        assert closing.data == 4000
