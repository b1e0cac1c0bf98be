"""Redemption pages are served from cached JSON: the bytes equal a fresh encoding,
also after a status change and with non-ASCII input."""

from __future__ import annotations

import json

import aiohttp

from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator


async def test_cached_pages_equal_fresh_encoding() -> None:
    sim = Simulator(SimConfig(demo=True, seed=11))
    await sim.start(port=0)
    try:
        state = sim.state
        bid = sim.demo_broadcaster_id
        token = state.issue_user_token(DEMO_CLIENT_ID, bid, ["channel:manage:redemptions"])
        headers = {"Authorization": f"Bearer {token['access_token']}", "Client-Id": DEMO_CLIENT_ID}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(
                f"{sim.helix_url}/channel_points/custom_rewards",
                params={"broadcaster_id": bid, "only_manageable_rewards": "true"},
            ) as response:
                rewards = (await response.json())["data"]
            song = next(r for r in rewards if r["is_user_input_required"])
            reward_id = song["id"]
            viewer = state.user_ids_by_login["bytebard"]
            for text in ("Sigur Rós - Hoppípolla", "ok", "日本語のリクエスト"):
                state.redeem(bid, reward_id, viewer, text)
            params = {
                "broadcaster_id": bid,
                "reward_id": reward_id,
                "status": "UNFULFILLED",
                "first": "2",
            }
            url = f"{sim.helix_url}/channel_points/custom_rewards/redemptions"

            async def page_bytes(query: dict[str, str]) -> bytes:
                async with http.get(url, params=query) as response:
                    assert response.status == 200
                    return await response.read()

            first = await page_bytes(params)
            data, cursor = state.get_redemptions(
                bid,
                DEMO_CLIENT_ID,
                reward_id,
                status="UNFULFILLED",
                ids=[],
                sort="OLDEST",
                after=None,
                first=2,
            )
            fresh = {"data": data, "pagination": {"cursor": cursor} if cursor else {}}
            assert first == json.dumps(fresh, ensure_ascii=False, separators=(",", ":")).encode()
            assert "Sigur Rós - Hoppípolla" in first.decode()

            # A status change must not serve a stale cached body.
            target = data[0]["id"]
            state.update_redemptions(bid, DEMO_CLIENT_ID, reward_id, [target], "FULFILLED")
            by_id = await page_bytes({"broadcaster_id": bid, "reward_id": reward_id, "id": target})
            assert json.loads(by_id)["data"][0]["status"] == "FULFILLED"
            assert b'"pagination"' not in by_id
    finally:
        await sim.stop()
