"""Replay every documented Helix and OAuth example against the simulator.

For each example: send the documented request body (where there is one), then check that the
served body has the documented keys and JSON types, listing the documented quirks explicitly,
and (for Helix) that it validates against helix-openapi.json's response schema.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from companion.sim import Simulator
from tests.integration.sim.fidelity import load, schema_errors, shape_diff
from tests.integration.sim.sim_api import (
    CLIENT_ID,
    CONF_CLIENT_ID,
    CONF_SECRET,
    Caster,
    Reply,
)

REWARDS = "/channel_points/custom_rewards"
REDEMPTIONS = "/channel_points/custom_rewards/redemptions"

Scenario = Callable[[Simulator, Caster], Awaitable[Reply]]


@dataclass
class Case:
    """One documented example and how to reproduce it."""

    example: str
    run: Scenario
    status: int = 200
    openapi: tuple[str, str] | None = None  # (path, method) whose schema applies
    quirks: list[tuple[str, str, Any]] = field(default_factory=list)


async def _reward(sim: Simulator, caster: Caster, **body: Any) -> dict[str, Any]:
    body.setdefault("title", "game analysis")
    body.setdefault("cost", 50000)
    return sim.state.create_reward(caster.id, CLIENT_ID, body)


# -- scenarios ------------------------------------------------------------------------------


async def get_users(sim: Simulator, caster: Caster) -> Reply:
    return await caster.helix("GET", "/users", params={"id": caster.id})


async def get_rewards(sim: Simulator, caster: Caster) -> Reply:
    await _reward(sim, caster)
    return await caster.helix("GET", REWARDS, params={"broadcaster_id": caster.id})


async def get_rewards_manageable(sim: Simulator, caster: Caster) -> Reply:
    await _reward(sim, caster)
    return await caster.helix(
        "GET", REWARDS, params={"broadcaster_id": caster.id, "only_manageable_rewards": "true"}
    )


async def get_reward_by_id(sim: Simulator, caster: Caster) -> Reply:
    reward = await _reward(sim, caster)
    return await caster.helix(
        "GET", REWARDS, params={"broadcaster_id": caster.id, "id": reward["id"]}
    )


async def create_reward(sim: Simulator, caster: Caster) -> Reply:
    return await caster.helix(
        "POST",
        REWARDS,
        params={"broadcaster_id": caster.id},
        json_body=load("helix/create_custom_rewards.request.json"),
    )


async def _update(sim: Simulator, caster: Caster, request: str) -> Reply:
    # The documented responses show a live stream's count (60) and a max-per-stream setting.
    sim.state.set_stream_live(caster.id, True)
    reward = await _reward(sim, caster, is_max_per_stream_enabled=True, max_per_stream=60)
    return await caster.helix(
        "PATCH",
        REWARDS,
        params={"broadcaster_id": caster.id, "id": reward["id"]},
        json_body=load(request),
    )


async def update_reward(sim: Simulator, caster: Caster) -> Reply:
    return await _update(sim, caster, "helix/update_custom_reward.request.json")


async def update_reward_title(sim: Simulator, caster: Caster) -> Reply:
    return await _update(sim, caster, "helix/update_custom_reward.title.request.json")


async def _canceled(sim: Simulator, caster: Caster, n: int) -> tuple[str, list[str]]:
    reward = await _reward(sim, caster)
    reds = [sim.state.redeem(caster.id, reward["id"], caster.id)["id"] for _ in range(n)]
    sim.state.update_redemptions(caster.id, CLIENT_ID, reward["id"], reds, "CANCELED")
    return reward["id"], reds


async def get_redemptions(sim: Simulator, caster: Caster) -> Reply:
    reward_id, _ = await _canceled(sim, caster, 2)
    return await caster.helix(
        "GET",
        REDEMPTIONS,
        params={
            "broadcaster_id": caster.id,
            "reward_id": reward_id,
            "status": "CANCELED",
            "first": "1",
        },
    )


async def get_redemption_by_id(sim: Simulator, caster: Caster) -> Reply:
    reward_id, reds = await _canceled(sim, caster, 1)
    return await caster.helix(
        "GET",
        REDEMPTIONS,
        params={"broadcaster_id": caster.id, "reward_id": reward_id, "id": reds[0]},
    )


async def update_redemption(sim: Simulator, caster: Caster) -> Reply:
    reward = await _reward(sim, caster)
    red = sim.state.redeem(caster.id, reward["id"], caster.id)
    return await caster.helix(
        "PATCH",
        REDEMPTIONS,
        params={"broadcaster_id": caster.id, "reward_id": reward["id"], "id": red["id"]},
        json_body=load("helix/update_redemption_status.request.json"),
    )


def _with_broadcaster(name: str, caster: Caster) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(load(name))
    body["broadcaster_id"] = caster.id
    return body


async def create_prediction(sim: Simulator, caster: Caster) -> Reply:
    return await caster.helix(
        "POST",
        "/predictions",
        json_body=_with_broadcaster("helix/create_prediction.request.json", caster),
    )


async def get_predictions(sim: Simulator, caster: Caster) -> Reply:
    await create_prediction(sim, caster)
    return await caster.helix("GET", "/predictions", params={"broadcaster_id": caster.id})


async def end_prediction(sim: Simulator, caster: Caster) -> Reply:
    created = (await create_prediction(sim, caster)).body["data"][0]
    body = _with_broadcaster("helix/end_prediction.request.json", caster)
    body["id"] = created["id"]
    body["winning_outcome_id"] = created["outcomes"][0]["id"]
    # The documented response has locked_at set: lock first, then resolve.
    sim.state.end_prediction(caster.id, {"id": created["id"], "status": "LOCKED"})
    return await caster.helix("PATCH", "/predictions", json_body=body)


async def create_poll(sim: Simulator, caster: Caster) -> Reply:
    return await caster.helix(
        "POST", "/polls", json_body=_with_broadcaster("helix/create_poll.request.json", caster)
    )


async def get_polls(sim: Simulator, caster: Caster) -> Reply:
    await create_poll(sim, caster)
    return await caster.helix("GET", "/polls", params={"broadcaster_id": caster.id})


async def end_poll(sim: Simulator, caster: Caster) -> Reply:
    created = (await create_poll(sim, caster)).body["data"][0]
    body = _with_broadcaster("helix/end_poll.request.json", caster)
    body["id"] = created["id"]
    return await caster.helix("PATCH", "/polls", json_body=body)


async def get_goals(sim: Simulator, caster: Caster) -> Reply:
    sim.state.create_goal(caster.id, "follower", "Follow goal for Helix testing", 30000, 27062)
    return await caster.helix("GET", "/goals", params={"broadcaster_id": caster.id})


def _install_documented_extensions(sim: Simulator, caster: Caster) -> None:
    for ext in load("helix/get_user_extensions.response.json")["data"]:
        sim.state.install_extension(caster.id, ext)
    # The active-extensions example also uses one extension the list example does not show.
    sim.state.install_extension(
        caster.id,
        {
            "id": "naty2zwfp7vecaivuve8ef1hohh6bo",
            "version": "1.0.9",
            "name": "Streamlabs Stream Schedule & Countdown",
            "type": ["panel"],
        },
    )


async def get_user_extensions(sim: Simulator, caster: Caster) -> Reply:
    for ext in load("helix/get_user_extensions.response.json")["data"]:
        sim.state.install_extension(caster.id, ext)
    return await caster.helix("GET", "/users/extensions/list")


async def update_user_extensions(sim: Simulator, caster: Caster) -> Reply:
    _install_documented_extensions(sim, caster)
    return await caster.helix(
        "PUT", "/users/extensions", json_body=load("helix/update_user_extensions.request.json")
    )


async def get_active_extensions(sim: Simulator, caster: Caster) -> Reply:
    await update_user_extensions(sim, caster)
    return await caster.helix("GET", "/users/extensions", params={"user_id": caster.id})


async def get_streams(sim: Simulator, caster: Caster) -> Reply:
    sim.state.set_channel_info(caster.id, tags=["English"], game_id="32982", game_name="GTA V")
    sim.state.set_stream_live(caster.id, True, viewer_count=10)
    other = sim.state.create_user("other")
    sim.state.set_channel_info(other["id"], tags=["Español"])
    sim.state.set_stream_live(other["id"], True, viewer_count=5)
    return await caster.helix("GET", "/streams", params={"first": "1"})


async def get_streams_by_login(sim: Simulator, caster: Caster) -> Reply:
    sim.state.set_channel_info(caster.id, tags=["English"])
    sim.state.set_stream_live(caster.id, True, viewer_count=10)
    return await caster.helix(
        "GET", "/streams", params=[("user_login", "caster"), ("user_login", "nobody")]
    )


async def get_channels(sim: Simulator, caster: Caster) -> Reply:
    sim.state.set_channel_info(
        caster.id,
        tags=["DevsInTheKnow"],
        content_classification_labels=["Gambling"],
        game_id="509670",
        game_name="Science & Technology",
    )
    return await caster.helix("GET", "/channels", params={"broadcaster_id": caster.id})


async def helix_400(sim: Simulator, caster: Caster) -> Reply:
    return await caster.helix(
        "POST", REWARDS, params={"broadcaster_id": caster.id}, json_body={"cost": 1}
    )


async def device(sim: Simulator, caster: Caster) -> Reply:
    return await caster.api.call(
        "POST", "/oauth2/device", data={"client_id": CLIENT_ID, "scopes": "channel:read:polls"}
    )


async def device_token(sim: Simulator, caster: Caster) -> Reply:
    started = (await device(sim, caster)).body
    sim.state.approve_device(started["user_code"], caster.id)
    return await caster.api.call(
        "POST",
        "/oauth2/token",
        data={
            "client_id": CLIENT_ID,
            "device_code": started["device_code"],
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        },
    )


async def device_pending(sim: Simulator, caster: Caster) -> Reply:
    started = (await device(sim, caster)).body
    return await caster.api.call(
        "POST",
        "/oauth2/token",
        data={
            "client_id": CLIENT_ID,
            "device_code": started["device_code"],
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        },
    )


async def device_invalid(sim: Simulator, caster: Caster) -> Reply:
    return await caster.api.call(
        "POST",
        "/oauth2/token",
        data={
            "client_id": CLIENT_ID,
            "device_code": "spent",
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        },
    )


async def refresh(sim: Simulator, caster: Caster) -> Reply:
    return await caster.api.call(
        "POST",
        "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": caster.refresh,
            "client_id": CLIENT_ID,
        },
    )


async def refresh_reused(sim: Simulator, caster: Caster) -> Reply:
    await refresh(sim, caster)
    return await refresh(sim, caster)


async def validate(sim: Simulator, caster: Caster) -> Reply:
    return await caster.api.call(
        "GET", "/oauth2/validate", headers={"Authorization": f"OAuth {caster.token}"}
    )


async def validate_401(sim: Simulator, caster: Caster) -> Reply:
    return await caster.api.call("GET", "/oauth2/validate", headers={"Authorization": "OAuth x"})


async def revoke_400(sim: Simulator, caster: Caster) -> Reply:
    return await caster.api.call(
        "POST", "/oauth2/revoke", data={"client_id": CLIENT_ID, "token": "not-a-token"}
    )


async def revoke_404(sim: Simulator, caster: Caster) -> Reply:
    return await caster.api.call(
        "POST", "/oauth2/revoke", data={"client_id": "nope", "token": caster.token}
    )


async def client_credentials(sim: Simulator, caster: Caster) -> Reply:
    return await caster.api.call(
        "POST",
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CONF_CLIENT_ID,
            "client_secret": CONF_SECRET,
        },
    )


NO_LOGIN = [("extra", "$.data[].broadcaster_login", None)]

CASES: dict[str, Case] = {
    "get_users": Case("helix/get_users.response.json", get_users, openapi=("/users", "get")),
    "get_custom_reward": Case(
        "helix/get_custom_reward.response.json", get_rewards, openapi=(REWARDS, "get")
    ),
    # Documented quirk: examples 2 and 3 lack broadcaster_login (the field table has it).
    "get_custom_reward.only_manageable": Case(
        "helix/get_custom_reward.only_manageable.response.json",
        get_rewards_manageable,
        openapi=(REWARDS, "get"),
        quirks=NO_LOGIN,
    ),
    "get_custom_reward.by_id": Case(
        "helix/get_custom_reward.by_id.response.json",
        get_reward_by_id,
        openapi=(REWARDS, "get"),
        quirks=NO_LOGIN,
    ),
    "create_custom_rewards": Case(
        "helix/create_custom_rewards.response.json", create_reward, openapi=(REWARDS, "post")
    ),
    "update_custom_reward": Case(
        "helix/update_custom_reward.response.json", update_reward, openapi=(REWARDS, "patch")
    ),
    "update_custom_reward.title": Case(
        "helix/update_custom_reward.title.response.json",
        update_reward_title,
        openapi=(REWARDS, "patch"),
    ),
    "get_custom_reward_redemption": Case(
        "helix/get_custom_reward_redemption.response.json",
        get_redemptions,
        openapi=(REDEMPTIONS, "get"),
    ),
    # Documented quirk: the by-id example lacks user_login (and has no pagination, like ours).
    "get_custom_reward_redemption.by_id": Case(
        "helix/get_custom_reward_redemption.by_id.response.json",
        get_redemption_by_id,
        openapi=(REDEMPTIONS, "get"),
        quirks=[("extra", "$.data[].user_login", None)],
    ),
    "update_redemption_status": Case(
        "helix/update_redemption_status.response.json",
        update_redemption,
        openapi=(REDEMPTIONS, "patch"),
    ),
    "create_prediction": Case(
        "helix/create_prediction.response.json", create_prediction, openapi=("/predictions", "post")
    ),
    "get_predictions": Case(
        "helix/get_predictions.response.json", get_predictions, openapi=("/predictions", "get")
    ),
    "end_prediction": Case(
        "helix/end_prediction.response.json", end_prediction, openapi=("/predictions", "patch")
    ),
    # Documented quirk: the poll examples omit ended_at, which the table says is null while
    # ACTIVE; we send it.
    "create_poll": Case(
        "helix/create_poll.response.json",
        create_poll,
        openapi=("/polls", "post"),
        quirks=[("extra", "$.data[].ended_at", None)],
    ),
    "get_polls": Case(
        "helix/get_polls.response.json",
        get_polls,
        openapi=("/polls", "get"),
        quirks=[("extra", "$.data[].ended_at", None)],
    ),
    "end_poll": Case("helix/end_poll.response.json", end_poll, openapi=("/polls", "patch")),
    "get_creator_goals": Case(
        "helix/get_creator_goals.response.json", get_goals, openapi=("/goals", "get")
    ),
    "get_user_extensions": Case(
        "helix/get_user_extensions.response.json",
        get_user_extensions,
        openapi=("/users/extensions/list", "get"),
    ),
    "get_user_active_extensions": Case(
        "helix/get_user_active_extensions.response.json",
        get_active_extensions,
        openapi=("/users/extensions", "get"),
    ),
    "update_user_extensions": Case(
        "helix/update_user_extensions.response.json",
        update_user_extensions,
        openapi=("/users/extensions", "put"),
    ),
    "get_streams": Case(
        "helix/get_streams.response.json", get_streams, openapi=("/streams", "get")
    ),
    "get_streams.by_login": Case(
        "helix/get_streams.by_login.response.json",
        get_streams_by_login,
        openapi=("/streams", "get"),
    ),
    "get_channel_information": Case(
        "helix/get_channel_information.response.json", get_channels, openapi=("/channels", "get")
    ),
    "error.400": Case("helix/error.ban_user_already_banned.400.json", helix_400, status=400),
    "oauth.device": Case("oauth/device.response.json", device),
    # No concrete device-code token example exists; the authorization-code one is the
    # documented token-response shape.
    "oauth.token": Case("oauth/token.authorization_code.response.json", device_token),
    # Documented quirk: the refresh example has no expires_in; we send it (see oauth_state).
    "oauth.refresh": Case(
        "oauth/token.refresh.response.json",
        refresh,
        quirks=[("extra", "$.expires_in", None)],
    ),
    "oauth.refresh.400": Case(
        "oauth/token.refresh.error_400_invalid_refresh_token.json", refresh_reused, status=400
    ),
    "oauth.validate": Case("oauth/validate.response.json", validate),
    "oauth.validate.401": Case("oauth/validate.error_401.json", validate_401, status=401),
    "oauth.revoke.400": Case("oauth/revoke.error_400_invalid_token.json", revoke_400, status=400),
    "oauth.revoke.404": Case(
        "oauth/revoke.error_404_client_does_not_exist.json", revoke_404, status=404
    ),
    "oauth.device.pending": Case(
        "oauth/secondary/token.device_code.error_authorization_pending.json",
        device_pending,
        status=400,
    ),
    "oauth.device.invalid": Case(
        "oauth/secondary/token.device_code.error_invalid_device_code.json",
        device_invalid,
        status=400,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_documented_example_shape(sim: Simulator, caster: Caster, name: str) -> None:
    case = CASES[name]
    reply = await case.run(sim, caster)
    assert reply.status == case.status, reply.body
    assert shape_diff(reply.body, load(case.example)) == case.quirks


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.openapi is not None))
async def test_served_body_matches_openapi_schema(
    sim: Simulator, caster: Caster, name: str
) -> None:
    case = CASES[name]
    assert case.openapi is not None
    reply = await case.run(sim, caster)
    assert schema_errors(reply.body, *case.openapi) == []


async def test_client_credentials_shape(sim: Simulator, caster: Caster) -> None:
    # No documented app-token example; the documented token fields minus refresh/scope.
    reply = await client_credentials(sim, caster)
    assert shape_diff(reply.body, load("oauth/token.authorization_code.response.json")) == [
        ("missing", "$.refresh_token", None),
        ("missing", "$.scope", None),
        ("missing", "$.scope[]", None),
    ]


async def test_update_user_extensions_equals_documented_response(
    sim: Simulator, caster: Caster
) -> None:
    reply = await update_user_extensions(sim, caster)
    assert reply.body == load("helix/update_user_extensions.response.json")
    again = await caster.helix("GET", "/users/extensions")
    assert again.body == load("helix/get_user_active_extensions.response.json")


async def test_ratelimit_headers_match_documented_example(caster: Caster) -> None:
    documented = load("helix/ratelimit_headers.example.json")
    reply = await caster.helix("GET", "/users")
    for name, value in documented.items():
        assert reply.headers[name].isdigit() and value.isdigit()
    assert reply.headers["Ratelimit-Limit"] == documented["Ratelimit-Limit"]
    assert reply.headers["Ratelimit-Remaining"] == documented["Ratelimit-Remaining"]


async def test_documented_list_order_of_rewards_is_by_id(sim: Simulator, caster: Caster) -> None:
    # "Response list is in ascending order by id."
    for i in range(5):
        await _reward(sim, caster, title=f"t{i}")
    reply = await caster.helix("GET", REWARDS, params={"broadcaster_id": caster.id})
    ids = [r["id"] for r in reply.body["data"]]
    assert ids == sorted(ids)
