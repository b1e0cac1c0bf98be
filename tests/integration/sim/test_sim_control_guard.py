"""The control API refuses what a web page could send, and bad values (issue 20, item 15)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from companion.sim import CONTROL_TOKEN_HEADER, control_headers
from tests.integration.sim.sim_api import CLIENT_ID

if TYPE_CHECKING:
    import aiohttp

    from companion.sim import Simulator
    from tests.integration.sim.sim_api import Api, Caster


def twitch_error(status: int, message: str) -> dict[str, object]:
    phrases = {400: "Bad Request", 401: "Unauthorized", 415: "Unsupported Media Type"}
    return {"error": phrases[status], "status": status, "message": message}


NO_TOKEN = twitch_error(
    401,
    f"The {CONTROL_TOKEN_HEADER} header must carry this run's control token"
    " (printed by python -m companion.sim; Simulator.control_token in process).",
)


async def test_cross_site_shaped_requests_change_nothing(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    users = sim.control_url + "/users"
    before = len(sim.state.users)
    # A form post or fetch() with a "simple" content type: no preflight, so a page can send it.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        async with session.post(
            users, data=b'{"login": "evil"}', headers={"Content-Type": content_type}
        ) as resp:
            assert (resp.status, await resp.json()) == (401, NO_TOKEN)
    # A query-only POST (an <img> or a link cannot POST, but a form can).
    async with session.post(users, params={"login": "evil"}) as resp:
        assert (resp.status, await resp.json()) == (401, NO_TOKEN)
    # A wrong token, and the right token with the wrong content type or a query.
    async with session.post(
        users, json={"login": "evil"}, headers={CONTROL_TOKEN_HEADER: "guess"}
    ) as resp:
        assert resp.status == 401
    async with session.post(
        users,
        data=b'{"login": "evil"}',
        headers={**control_headers(sim.control_token), "Content-Type": "text/plain"},
    ) as resp:
        assert (resp.status, await resp.json()) == (
            415,
            twitch_error(415, "The control API takes Content-Type: application/json only."),
        )
    async with session.post(
        users, params={"login": "evil"}, headers=control_headers(sim.control_token)
    ) as resp:
        assert (resp.status, await resp.json()) == (
            400,
            twitch_error(
                400, "The control API takes its parameters in a JSON body, not the query."
            ),
        )
    async with session.delete(sim.control_url + "/faults") as resp:
        assert resp.status == 401
    assert len(sim.state.users) == before
    assert "evil" not in sim.state.user_ids_by_login
    # Discovery changes nothing and stays open.
    async with session.get(sim.control_url + "/info") as resp:
        assert resp.status == 200
        assert sim.control_token not in await resp.text()


async def test_each_simulator_has_its_own_token(sim: Simulator) -> None:
    from companion.sim import Simulator as Fresh

    assert len(sim.control_token) >= 32
    assert Fresh().control_token != sim.control_token


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/_sim/users", {"login": "\ud800"}, "Text in the body must be valid Unicode"),
        ("/_sim/users", {"login": "no spaces"}, "login must be 1 to 25 letters"),
        ("/_sim/users", {"login": []}, "login must be text of 1 to 25 characters"),
        ("/_sim/faults", {"kind": "latency", "seconds": math.nan}, "NaN is not JSON"),
        ("/_sim/faults", {"kind": "latency", "seconds": 1e999}, "Infinity is not JSON"),
        ("/_sim/faults", {"kind": "latency", "seconds": -1}, "seconds must be a finite number"),
        ("/_sim/eventsub/silence", {"seconds": math.inf}, "Infinity is not JSON"),
        ("/_sim/eventsub/silence", {"seconds": "5"}, "seconds must be a finite number"),
        ("/_sim/redemptions/many", {"broadcaster_id": "1", "count": 2**70}, "count must be"),
        ("/_sim/goals", {"broadcaster_id": "1", "current_amount": 1e308}, "current_amount"),
    ],
)
async def test_bad_values_are_400_and_change_nothing(
    sim: Simulator, api: Api, path: str, body: dict[str, object], message: str
) -> None:
    users, faults = len(sim.state.users), sim.faults.snapshot()
    reply = await api.call("POST", path, json_body=body)
    assert reply.status == 400, reply.text
    assert set(reply.body) == {"error", "status", "message"}
    assert message in reply.body["message"]
    assert (len(sim.state.users), sim.faults.snapshot()) == (users, faults)


async def test_non_finite_seconds_are_refused_by_the_python_surface_too(sim: Simulator) -> None:
    assert sim.hub is not None
    for bad in (math.nan, math.inf, -1.0):
        with pytest.raises(ValueError, match="finite"):
            sim.faults.set_latency(bad)
        with pytest.raises(ValueError, match="finite"):
            sim.hub.silence_keepalive(bad)
    assert sim.faults.latency == 0


async def test_a_stored_lone_surrogate_never_makes_helix_answer_500(
    sim: Simulator, caster: Caster
) -> None:
    # Stored through the Python surface, which takes what it is given.
    user = sim.state.create_user("\ud800", "Name \udfff")
    for _ in range(2):  # not once, not "for ever"
        reply = await caster.helix("GET", "/users", params={"id": [user["id"], caster.id]})
        assert reply.status == 200, reply.text
        assert [(u["login"], u["display_name"]) for u in reply.body["data"]] == [
            ("\ufffd", "Name \ufffd"),
            ("caster", "Caster"),
        ]
    # Through Helix, the same text is refused at the door.
    reward = await caster.helix(
        "POST",
        "/channel_points/custom_rewards",
        params={"broadcaster_id": caster.id},
        data=b'{"title": "\\ud800", "cost": 1}',
        headers={"Content-Type": "application/json"},
    )
    assert (reward.status, reward.body["message"]) == (400, "The JSON payload is malformed.")
    assert sim.state.get_rewards(caster.id, CLIENT_ID, [], False) == []
