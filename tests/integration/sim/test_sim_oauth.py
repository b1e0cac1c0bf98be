"""OAuth on the simulator: device flow, refresh rotation, client credentials, validate, revoke."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from companion.sim import SimConfig, Simulator
from tests.integration.sim.sim_api import (
    CLIENT_ID,
    CONF_CLIENT_ID,
    CONF_SECRET,
    OTHER_CLIENT_ID,
    Api,
    Caster,
    Reply,
    make_config,
)

if TYPE_CHECKING:
    import aiohttp

    from companion.sim.events import DomainEvent

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


async def _start_device(
    api: Api, scopes: str = "channel:read:polls user:read:email"
) -> dict[str, Any]:
    reply = await api.call(
        "POST", "/oauth2/device", data={"client_id": CLIENT_ID, "scopes": scopes}
    )
    assert reply.status == 200
    body: dict[str, Any] = reply.body
    return body


async def _poll(api: Api, device_code: str, client_id: str = CLIENT_ID) -> Reply:
    return await api.call(
        "POST",
        "/oauth2/token",
        data={"client_id": client_id, "device_code": device_code, "grant_type": DEVICE_GRANT},
    )


async def test_device_code_response_shape(sim: Simulator, api: Api) -> None:
    body = await _start_device(api)
    assert set(body) == {"device_code", "expires_in", "interval", "user_code", "verification_uri"}
    assert body["expires_in"] == 1800
    assert len(body["user_code"]) == 8 and body["user_code"].isupper()
    assert body["verification_uri"].endswith(
        f"/activate?public=true&device-code={body['user_code']}"
    )


async def test_device_flow_pending_slow_down_then_approved(sim: Simulator, api: Api) -> None:
    user = sim.state.create_user("viewer")
    body = await _start_device(api)
    first = await _poll(api, body["device_code"])
    assert (first.status, first.body) == (400, {"status": 400, "message": "authorization_pending"})
    too_fast = await _poll(api, body["device_code"])
    assert (too_fast.status, too_fast.body) == (400, {"status": 400, "message": "slow_down"})
    sim.state.approve_device(body["user_code"], user["id"])
    await asyncio.sleep(0.2)
    ok = await _poll(api, body["device_code"])
    assert ok.status == 200
    assert set(ok.body) == {"access_token", "expires_in", "refresh_token", "scope", "token_type"}
    assert ok.body["scope"] == ["channel:read:polls", "user:read:email"]
    assert ok.body["token_type"] == "bearer"
    rec = sim.state.lookup_access_token(ok.body["access_token"])
    assert rec is not None and rec.user_id == user["id"] and rec.client_id == CLIENT_ID
    # The code is spent.
    await asyncio.sleep(0.2)
    again = await _poll(api, body["device_code"])
    assert (again.status, again.body) == (400, {"status": 400, "message": "invalid device code"})


class _Clock:
    """The simulator's clock, moved by hand (the device flow's intervals are seconds long)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_fast_poller_gets_its_token_once_approved(
    session: aiohttp.ClientSession,
) -> None:
    # A client polling every 10 ms against a 5 s interval: told to slow down while the user
    # has not answered, and served on its very next poll once the user has approved.
    sim = Simulator(make_config(device_poll_interval=5))
    await sim.start()
    try:
        sim.state.register_client(CLIENT_ID)
        user = sim.state.create_user("viewer")
        api = Api(session, sim.base_url)
        body = await _start_device(api)
        assert body["interval"] == 5
        answers = []
        for _ in range(5):
            answers.append((await _poll(api, body["device_code"])).body["message"])
            await asyncio.sleep(0.01)
        assert answers == ["authorization_pending"] + ["slow_down"] * 4
        sim.state.approve_device(body["user_code"], user["id"])
        ok = await _poll(api, body["device_code"])
        assert ok.status == 200
        rec = sim.state.lookup_access_token(ok.body["access_token"])
        assert rec is not None and rec.user_id == user["id"]
    finally:
        await sim.stop()


async def test_slow_down_grows_the_interval_by_five_seconds(
    session: aiohttp.ClientSession,
) -> None:
    # RFC 8628 3.5: after slow_down the interval is 5 s longer "for this and all subsequent
    # requests"; a client that then waits the longer interval is answered normally.
    sim = Simulator(make_config(device_poll_interval=5))
    clock = _Clock()
    sim.state.now = clock  # type: ignore[method-assign]
    await sim.start()
    try:
        sim.state.register_client(CLIENT_ID)
        api = Api(session, sim.base_url)
        body = await _start_device(api)
        code = body["device_code"]

        async def poll_after(seconds: float) -> str:
            clock.now += seconds
            message: str = (await _poll(api, code)).body["message"]
            return message

        assert await poll_after(0) == "authorization_pending"
        assert await poll_after(5) == "authorization_pending"  # exactly the interval
        assert await poll_after(1) == "slow_down"  # interval now 10 s
        assert await poll_after(5) == "slow_down"  # 5 s is too soon now; 15 s
        assert await poll_after(15) == "authorization_pending"
        assert await poll_after(14) == "authorization_pending"  # within the 10 % tolerance
        assert await poll_after(10) == "slow_down"  # 20 s
        assert sim.state.device_codes[code].interval == 20
    finally:
        await sim.stop()


async def test_device_flow_denied(sim: Simulator, api: Api) -> None:
    body = await _start_device(api)
    sim.state.deny_device(body["user_code"])
    reply = await _poll(api, body["device_code"])
    assert (reply.status, reply.body) == (400, {"status": 400, "message": "access_denied"})


async def test_device_flow_expired(session: aiohttp.ClientSession) -> None:
    sim = Simulator(make_config(device_code_ttl=0.1))
    await sim.start()
    try:
        sim.state.register_client(CLIENT_ID)
        api = Api(session, sim.base_url)
        body = await _start_device(api)
        await asyncio.sleep(0.15)
        reply = await _poll(api, body["device_code"])
        assert (reply.status, reply.body) == (400, {"status": 400, "message": "expired_token"})
    finally:
        await sim.stop()


async def test_device_flow_unknown_code_and_wrong_client(sim: Simulator, api: Api) -> None:
    body = await _start_device(api)
    assert (await _poll(api, "nope")).body == {"status": 400, "message": "invalid device code"}
    wrong = await _poll(api, body["device_code"], client_id=OTHER_CLIENT_ID)
    assert wrong.body == {"status": 400, "message": "invalid device code"}


async def test_device_flow_unknown_client(api: Api) -> None:
    reply = await api.call("POST", "/oauth2/device", data={"client_id": "who", "scopes": ""})
    assert (reply.status, reply.body) == (400, {"status": 400, "message": "invalid client"})


async def test_auto_approve_for_demo_login(session: aiohttp.ClientSession) -> None:
    sim = Simulator(SimConfig(demo=True, device_poll_interval=0.1, auto_approve_login="democaster"))
    await sim.start()
    try:
        from companion.sim import DEMO_CLIENT_ID

        api = Api(session, sim.base_url)
        started = await api.call(
            "POST", "/oauth2/device", data={"client_id": DEMO_CLIENT_ID, "scopes": "bits:read"}
        )
        reply = await _poll(api, started.body["device_code"], client_id=DEMO_CLIENT_ID)
        assert reply.status == 200
        rec = sim.state.lookup_access_token(reply.body["access_token"])
        assert rec is not None and rec.user_id == sim.demo_broadcaster_id
    finally:
        await sim.stop()


async def test_public_refresh_rotates_and_rejects_reuse(
    sim: Simulator, api: Api, caster: Caster
) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": caster.refresh, "client_id": CLIENT_ID}
    first = await api.call("POST", "/oauth2/token", data=form)
    assert first.status == 200
    assert first.body["refresh_token"] != caster.refresh
    assert first.body["access_token"] != caster.token
    assert first.body["token_type"] == "bearer"
    reuse = await api.call("POST", "/oauth2/token", data=form)
    assert reuse.status == 400
    assert reuse.body == {"error": "Bad Request", "status": 400, "message": "Invalid refresh token"}
    chained = await api.call(
        "POST", "/oauth2/token", data={**form, "refresh_token": first.body["refresh_token"]}
    )
    assert chained.status == 200


async def test_confidential_refresh_keeps_token_and_needs_secret(sim: Simulator, api: Api) -> None:
    user = sim.state.create_user("conf")
    tok = sim.state.issue_user_token(CONF_CLIENT_ID, user["id"], ["user:read:email"])
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tok["refresh_token"],
        "client_id": CONF_CLIENT_ID,
        "client_secret": CONF_SECRET,
    }
    for _ in range(2):
        reply = await api.call("POST", "/oauth2/token", data=form)
        assert reply.status == 200
        assert reply.body["refresh_token"] == tok["refresh_token"]
    bad = await api.call("POST", "/oauth2/token", data={**form, "client_secret": "wrong"})
    assert bad.status == 400


async def test_client_credentials(sim: Simulator, api: Api) -> None:
    ok = await api.call(
        "POST",
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CONF_CLIENT_ID,
            "client_secret": CONF_SECRET,
        },
    )
    assert ok.status == 200
    assert set(ok.body) == {"access_token", "expires_in", "token_type"}
    rec = sim.state.lookup_access_token(ok.body["access_token"])
    assert rec is not None and rec.user_id is None and rec.scopes == frozenset()
    public = await api.call(
        "POST", "/oauth2/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID}
    )
    assert public.status == 400


async def test_unknown_grant_type(api: Api) -> None:
    reply = await api.call(
        "POST", "/oauth2/token", data={"grant_type": "password", "client_id": CLIENT_ID}
    )
    assert (reply.status, reply.body) == (400, {"status": 400, "message": "unsupported grant type"})


async def test_validate_user_token(sim: Simulator, api: Api, caster: Caster) -> None:
    reply = await api.call(
        "GET", "/oauth2/validate", headers={"Authorization": f"OAuth {caster.token}"}
    )
    assert reply.status == 200
    assert list(reply.body) == ["client_id", "login", "scopes", "user_id", "expires_in"]
    assert reply.body["client_id"] == CLIENT_ID
    assert reply.body["login"] == "caster"
    assert reply.body["user_id"] == caster.id
    assert 14390 <= reply.body["expires_in"] <= 14400
    bearer = await api.call("GET", "/oauth2/validate", token=caster.token)
    assert bearer.status == 200


async def test_validate_app_token_has_null_user(sim: Simulator, api: Api) -> None:
    tok = sim.state.issue_app_token(CONF_CLIENT_ID)
    reply = await api.call("GET", "/oauth2/validate", token=tok["access_token"])
    assert reply.status == 200
    assert reply.body["login"] is None and reply.body["user_id"] is None


async def test_validate_rejects_expired_revoked_unknown(
    sim: Simulator, api: Api, caster: Caster
) -> None:
    expected = {"status": 401, "message": "invalid access token"}
    unknown = await api.call("GET", "/oauth2/validate", token="nope")
    assert (unknown.status, unknown.body) == (401, expected)
    sim.state.expire_token(caster.token)
    expired = await api.call("GET", "/oauth2/validate", token=caster.token)
    assert (expired.status, expired.body) == (401, expected)
    missing = await api.call("GET", "/oauth2/validate")
    assert missing.status == 401


async def test_revoke(sim: Simulator, api: Api, caster: Caster) -> None:
    ok = await api.call(
        "POST", "/oauth2/revoke", data={"client_id": CLIENT_ID, "token": caster.token}
    )
    assert (ok.status, ok.text) == (200, "")
    rec = sim.state.lookup_access_token(caster.token)
    assert rec is not None and rec.revoked
    after = await caster.helix("GET", "/users")
    assert after.status == 401
    bad_token = await api.call(
        "POST", "/oauth2/revoke", data={"client_id": CLIENT_ID, "token": "x"}
    )
    assert (bad_token.status, bad_token.body) == (400, {"status": 400, "message": "Invalid token"})
    no_client = await api.call("POST", "/oauth2/revoke", data={"client_id": "ghost", "token": "x"})
    assert (no_client.status, no_client.body) == (
        404,
        {"status": 404, "message": "client does not exist"},
    )


async def test_revoke_user_tokens_emits_event(sim: Simulator, caster: Caster) -> None:
    seen: list[DomainEvent] = []
    sim.state.add_listener(seen.append)
    sim.state.revoke_user_tokens(CLIENT_ID, caster.id)
    assert [(e.kind, e.record) for e in seen] == [
        ("authorization.revoked", {"client_id": CLIENT_ID, "user_id": caster.id})
    ]
    reply = await caster.helix("GET", "/users")
    assert reply.status == 401
    refresh = await caster.api.call(
        "POST",
        "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": caster.refresh,
            "client_id": CLIENT_ID,
        },
    )
    assert refresh.status == 400
