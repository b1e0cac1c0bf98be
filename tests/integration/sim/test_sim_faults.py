"""Rate limiting, fault switches (Python and /_sim), and the control API."""

from __future__ import annotations

import asyncio
import json
import math
import time

import aiohttp
import pytest

from companion.sim import Simulator
from tests.integration.sim.sim_api import ALL_SCOPES, CLIENT_ID, Api, Caster, make_config


async def test_bucket_empties_then_429_with_headers(session: aiohttp.ClientSession) -> None:
    sim = Simulator(make_config(ratelimit_points=5, ratelimit_window=60.0))
    await sim.start()
    try:
        sim.state.register_client(CLIENT_ID)
        user = sim.state.create_user("caster")
        tok = sim.state.issue_user_token(CLIENT_ID, user["id"], ALL_SCOPES)["access_token"]
        api = Api(session, sim.base_url)
        remaining = []
        for _ in range(5):
            reply = await api.call("GET", "/helix/users", token=tok, client_id=CLIENT_ID)
            assert reply.status == 200
            remaining.append(int(reply.headers["Ratelimit-Remaining"]))
        assert remaining == [4, 3, 2, 1, 0]
        before = time.time()
        limited = await api.call("GET", "/helix/users", token=tok, client_id=CLIENT_ID)
        assert limited.status == 429
        assert limited.body == {
            "error": "Too Many Requests",
            "status": 429,
            "message": "Too Many Requests",
        }
        assert limited.headers["Ratelimit-Limit"] == "5"
        assert limited.headers["Ratelimit-Remaining"] == "0"
        reset = int(limited.headers["Ratelimit-Reset"])
        # Empty bucket of 5 points refilling in 60 s: full again ~60 s from now.
        assert math.floor(before) + 58 <= reset <= math.ceil(time.time()) + 61
        # Another user of the same client has a bucket of its own.
        other = sim.state.create_user("other")
        tok2 = sim.state.issue_user_token(CLIENT_ID, other["id"], ALL_SCOPES)["access_token"]
        ok = await api.call("GET", "/helix/users", token=tok2, client_id=CLIENT_ID)
        assert ok.status == 200 and ok.headers["Ratelimit-Remaining"] == "4"
    finally:
        await sim.stop()


async def test_bucket_refills(session: aiohttp.ClientSession) -> None:
    sim = Simulator(make_config(ratelimit_points=2, ratelimit_window=0.2))
    await sim.start()
    try:
        sim.state.register_client(CLIENT_ID)
        user = sim.state.create_user("caster")
        tok = sim.state.issue_user_token(CLIENT_ID, user["id"], ALL_SCOPES)["access_token"]
        api = Api(session, sim.base_url)
        statuses = [
            (await api.call("GET", "/helix/users", token=tok, client_id=CLIENT_ID)).status
            for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        await asyncio.sleep(0.25)
        assert (await api.call("GET", "/helix/users", token=tok, client_id=CLIENT_ID)).status == 200
    finally:
        await sim.stop()


async def test_every_helix_response_has_ratelimit_headers(caster: Caster) -> None:
    for reply in (
        await caster.helix("GET", "/users"),
        await caster.helix("GET", "/users", token="bogus"),
        await caster.helix("GET", "/nope"),
    ):
        assert {"Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset"} <= set(reply.headers)
    missing = await caster.helix("GET", "/nope")
    assert missing.status == 404 and missing.body["status"] == 404


async def test_auth_failures_are_401(sim: Simulator, caster: Caster) -> None:
    no_auth = await caster.api.call("GET", "/helix/users", client_id=CLIENT_ID)
    assert no_auth.status == 401 and no_auth.body["error"] == "Unauthorized"
    no_client = await caster.api.call("GET", "/helix/users", token=caster.token)
    assert no_client.status == 401
    wrong_client = await caster.helix("GET", "/users", client_id="someoneelse")
    assert wrong_client.status == 401
    sim.state.expire_token(caster.token)
    expired = await caster.helix("GET", "/users")
    assert expired.status == 401


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_fail_next_n(sim: Simulator, caster: Caster, status: int) -> None:
    sim.faults.fail_next(2, status)
    got = [(await caster.helix("GET", "/users")).status for _ in range(3)]
    assert got == [status, status, 200]


async def test_throttle_next_n(sim: Simulator, caster: Caster) -> None:
    sim.faults.throttle_next(1)
    reply = await caster.helix("GET", "/users")
    assert reply.status == 429
    assert reply.headers["Ratelimit-Remaining"] == "0"
    assert int(reply.headers["Ratelimit-Reset"]) <= math.ceil(time.time()) + 1
    assert (await caster.helix("GET", "/users")).status == 200


async def test_connection_reset(sim: Simulator, caster: Caster) -> None:
    sim.faults.reset_next(1)
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    writer.write(b"GET /helix/users HTTP/1.1\r\nHost: sim\r\n\r\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 2) == b""  # closed, nothing sent
    writer.close()
    await writer.wait_closed()
    assert sim.faults.hits["reset"] == 1
    assert (await caster.helix("GET", "/users")).status == 200


async def test_connection_reset_seen_by_aiohttp_on_post(sim: Simulator, caster: Caster) -> None:
    # aiohttp's client retries idempotent requests once after a disconnect; a POST is not retried.
    sim.faults.reset_next(1, prefix="/helix/polls")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await caster.helix("POST", "/polls", json_body={"broadcaster_id": caster.id})
    assert sim.state.channels[caster.id].polls == {}


async def test_malformed_body(sim: Simulator, caster: Caster) -> None:
    sim.faults.malform_next(1)
    reply = await caster.helix("GET", "/users")
    assert reply.status == 200
    assert reply.body is None
    with pytest.raises(ValueError):
        json.loads(reply.text)
    assert (await caster.helix("GET", "/users")).body is not None


async def test_revoke_next_request_token(sim: Simulator, caster: Caster) -> None:
    sim.faults.revoke_next(1)
    reply = await caster.helix("GET", "/users")
    assert reply.status == 401
    rec = sim.state.lookup_access_token(caster.token)
    assert rec is not None and rec.revoked


async def test_revoke_all_tokens(sim: Simulator, caster: Caster) -> None:
    assert sim.faults.revoke_tokens() == 1
    assert (await caster.helix("GET", "/users")).status == 401


async def test_latency(sim: Simulator, caster: Caster) -> None:
    sim.faults.set_latency(0.2, prefix="/helix/users")
    start = time.monotonic()
    await caster.helix("GET", "/users")
    assert time.monotonic() - start >= 0.2
    start = time.monotonic()
    await caster.api.call("GET", "/oauth2/validate", token=caster.token)
    assert time.monotonic() - start < 0.2


async def test_faults_scoped_by_prefix(sim: Simulator, caster: Caster) -> None:
    sim.faults.fail_next(1, 500, prefix="/helix/polls")
    assert (await caster.helix("GET", "/users")).status == 200
    reply = await caster.helix("GET", "/polls", params={"broadcaster_id": caster.id})
    assert reply.status == 500


async def test_faults_over_control_api(sim: Simulator, api: Api, caster: Caster) -> None:
    reply = await api.call(
        "POST", "/_sim/faults", json_body={"kind": "status", "n": 1, "status": 502}
    )
    assert reply.status == 200
    assert reply.body["data"]["pending"] == [
        {"kind": "status", "remaining": 1, "status": 502, "prefix": None}
    ]
    assert (await caster.helix("GET", "/users")).status == 502
    await api.call("POST", "/_sim/faults", json_body={"kind": "throttle", "n": 3})
    cleared = await api.call("DELETE", "/_sim/faults")
    assert cleared.body["data"]["pending"] == []
    assert (await caster.helix("GET", "/users")).status == 200
    bad = await api.call("POST", "/_sim/faults", json_body={"kind": "meteor"})
    assert bad.status == 400
    bad_status = await api.call("POST", "/_sim/faults", json_body={"kind": "status", "status": 404})
    assert bad_status.status == 400
    revoked = await api.call("POST", "/_sim/faults", json_body={"kind": "revoke_tokens"})
    assert revoked.body["data"] == {"revoked": 1}


async def test_control_api_drives_state(sim: Simulator, api: Api) -> None:
    user = await api.call(
        "POST", "/_sim/users", json_body={"login": "ctl", "broadcaster_type": "partner"}
    )
    assert user.status == 200
    uid = user.body["data"]["id"]
    tok = await api.call(
        "POST",
        "/_sim/tokens/user",
        json_body={"client_id": CLIENT_ID, "user_id": uid, "scopes": "channel:manage:redemptions"},
    )
    assert tok.body["data"]["scope"] == ["channel:manage:redemptions"]
    reward = sim.state.create_reward(uid, CLIENT_ID, {"title": "t", "cost": 1})
    red = await api.call(
        "POST",
        "/_sim/redemptions",
        json_body={"broadcaster_id": uid, "reward_id": reward["id"], "user_id": uid},
    )
    assert red.body["data"]["status"] == "UNFULFILLED"
    many = await api.call(
        "POST", "/_sim/redemptions/many", json_body={"broadcaster_id": uid, "count": 4}
    )
    assert many.body["data"]["count"] == 4
    goal = await api.call(
        "POST", "/_sim/goals", json_body={"broadcaster_id": uid, "target_amount": 10}
    )
    gid = goal.body["data"]["id"]
    prog = await api.call("POST", "/_sim/goals/progress", json_body={"goal_id": gid, "amount": 4})
    assert prog.body["data"]["current_amount"] == 4
    live = await api.call("POST", "/_sim/streams", json_body={"broadcaster_id": uid, "live": True})
    assert live.body["data"]["type"] == "live"
    missing = await api.call("POST", "/_sim/redemptions", json_body={"broadcaster_id": uid})
    assert missing.status == 400
    unknown_reward = await api.call(
        "POST",
        "/_sim/redemptions",
        json_body={"broadcaster_id": uid, "reward_id": "x", "user_id": uid},
    )
    assert unknown_reward.status == 404
    info = await api.call("GET", "/_sim/info")
    assert info.body["data"]["helix_url"] == sim.helix_url


async def test_control_api_device_approval(sim: Simulator, api: Api) -> None:
    user = sim.state.create_user("dev")
    started = await api.call("POST", "/oauth2/device", data={"client_id": CLIENT_ID, "scopes": ""})
    code = started.body["user_code"]
    ok = await api.call(
        "POST", "/_sim/device/approve", json_body={"user_code": code, "user_id": user["id"]}
    )
    assert ok.status == 200
    twice = await api.call(
        "POST", "/_sim/device/approve", json_body={"user_code": code, "user_id": user["id"]}
    )
    assert twice.status == 400


async def test_control_api_is_never_faulted(sim: Simulator, api: Api) -> None:
    sim.faults.fail_next(5, 500)
    assert (await api.call("GET", "/_sim/info")).status == 200
    assert sim.faults.snapshot()["pending"][0]["remaining"] == 5


async def test_control_api_covers_the_rest_of_the_surface(sim: Simulator, api: Api) -> None:
    async def post(path: str, body: dict[str, object]) -> dict[str, object]:
        reply = await api.call("POST", path, json_body=body)
        assert reply.status == 200, (path, reply.body)
        data: dict[str, object] = reply.body["data"]
        return data

    await post("/_sim/clients", {"client_id": "conf2", "client_secret": "pw"})
    app_tok = await post("/_sim/tokens/app", {"client_id": "conf2"})
    assert sim.state.lookup_access_token(str(app_tok["access_token"])) is not None
    caster = await post("/_sim/users", {"login": "surface", "broadcaster_type": "partner"})
    viewer = await post("/_sim/users", {"login": "surface_viewer", "broadcaster_type": ""})
    cid, vid = str(caster["id"]), str(viewer["id"])
    tok = await post("/_sim/tokens/user", {"client_id": "conf2", "user_id": cid, "scopes": []})
    await post("/_sim/tokens/expire", {"access_token": tok["access_token"]})
    rec = sim.state.lookup_access_token(str(tok["access_token"]))
    assert rec is not None and rec.expired
    await post("/_sim/tokens/revoke_user", {"client_id": "conf2", "user_id": cid})
    pred = sim.state.create_prediction(
        cid, {"title": "t", "outcomes": [{"title": "a"}, {"title": "b"}], "prediction_window": 60}
    )
    bet = await post(
        "/_sim/predictions/predict",
        {
            "prediction_id": pred["id"],
            "user_id": vid,
            "outcome_id": pred["outcomes"][0]["id"],
            "points": 50,
        },
    )
    assert bet["outcomes"][0]["channel_points"] == 50  # type: ignore[index]
    poll = sim.state.create_poll(
        cid, {"title": "p", "choices": [{"title": "a"}, {"title": "b"}], "duration": 60}
    )
    voted = await post(
        "/_sim/polls/vote",
        {"poll_id": poll["id"], "choice_id": poll["choices"][1]["id"], "votes": 2},
    )
    assert voted["choices"][1]["votes"] == 2  # type: ignore[index]
    goal = sim.state.create_goal(cid)
    await post("/_sim/goals/end", {"goal_id": goal["id"]})
    assert sim.state.channels[cid].goals == {}
    ext = {"id": "e1", "version": "1", "name": "E", "type": ["panel"]}
    await post("/_sim/extensions", {"user_id": cid, "extension": ext})
    assert "e1" in sim.state.channels[cid].extensions
    info = await post("/_sim/channels", {"broadcaster_id": cid, "title": "New title"})
    assert info["title"] == "New title"
    started = await api.call("POST", "/oauth2/device", data={"client_id": "conf2", "scopes": ""})
    await post("/_sim/device/deny", {"user_code": started.body["user_code"]})
    await post("/_sim/ratelimit/reset", {})
    bad_field = await api.call(
        "POST", "/_sim/channels", json_body={"broadcaster_id": cid, "nope": 1}
    )
    assert bad_field.status == 400
