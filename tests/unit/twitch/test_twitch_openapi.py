"""Every public method sends what helix-openapi.json describes: a documented path and method,
only documented query parameters (the required ones present), and a JSON body that
validates against the endpoint's request schema."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
from aiohttp import web

from companion.twitch.models import (
    CustomReward,
    CustomRewardRedemption,
    Extension,
    ExtensionBuilder,
)
from companion.twitch.scopes import ENDPOINTS
from tests.helpers.reference import REFERENCE
from tests.helpers.twitch_recording import USER_ID

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from companion.twitch import Client
    from tests.helpers.twitch_fakeserver import FakeTwitch, Recorded, TokenInfo

OPENAPI = json.loads((REFERENCE / "helix-openapi.json").read_text(encoding="utf-8"))

# (method, path) -> the documented response the fake answers with (None: 204).
RESPONSES: dict[tuple[str, str], str | None] = {
    ("GET", "/users"): "get_users.response.json",
    ("GET", "/streams"): "get_streams.response.json",
    ("GET", "/channels"): "get_channel_information.response.json",
    ("GET", "/channel_points/custom_rewards"): "get_custom_reward.response.json",
    ("POST", "/channel_points/custom_rewards"): "create_custom_rewards.response.json",
    ("PATCH", "/channel_points/custom_rewards"): "update_custom_reward.response.json",
    ("DELETE", "/channel_points/custom_rewards"): None,
    (
        "GET",
        "/channel_points/custom_rewards/redemptions",
    ): "get_custom_reward_redemption.by_id.response.json",
    (
        "PATCH",
        "/channel_points/custom_rewards/redemptions",
    ): "update_redemption_status.response.json",
    ("GET", "/predictions"): "get_predictions.response.json",
    ("POST", "/predictions"): "create_prediction.response.json",
    ("PATCH", "/predictions"): "end_prediction.response.json",
    ("GET", "/polls"): "get_polls.response.json",
    ("POST", "/polls"): "create_poll.response.json",
    ("PATCH", "/polls"): "end_poll.response.json",
    ("GET", "/goals"): "get_creator_goals.response.json",
    ("GET", "/users/extensions/list"): "get_user_extensions.response.json",
    ("GET", "/users/extensions"): "get_user_active_extensions.response.json",
    ("PUT", "/users/extensions"): "update_user_extensions.response.json",
}


async def documented_answer(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
    name = RESPONSES[(rec.method, rec.path.removeprefix("/helix"))]
    if name is None:
        return web.Response(status=204)
    return web.json_response(json.loads((REFERENCE / "helix" / name).read_text("utf-8")))


def reward(client: Client) -> CustomReward:
    data = json.loads((REFERENCE / "helix/get_custom_reward.response.json").read_text("utf-8"))
    return CustomReward(client.http, data["data"][0], client.create_user(USER_ID))


def redemption(client: Client) -> CustomRewardRedemption:
    path = REFERENCE / "helix/get_custom_reward_redemption.response.json"
    return CustomRewardRedemption(client.http, json.loads(path.read_text("utf-8"))["data"][0])


# One call per public method, with every optional argument that changes what is sent.
CALLS: dict[str, Callable[[Client], Awaitable[Any]]] = {
    "Client.fetch_users": lambda c: c.fetch_users(
        ids=["1"], logins=["a"], target=c.create_user(USER_ID)
    ),
    "Client.fetch_streams": lambda c: c.fetch_streams(
        user_ids=["1"], user_logins=["a"], limit=1, target=c.create_user(USER_ID)
    ).flatten(),
    "Client.fetch_channels": lambda c: c.fetch_channels(["1", "2"], target=c.create_user(USER_ID)),
    "PartialUser.fetch_channel_info": lambda c: c.create_user(USER_ID).fetch_channel_info(),
    "PartialUser.get_custom_rewards": lambda c: c.create_user(USER_ID).get_custom_rewards(
        only_manageable=True, ids=["a", "b"]
    ),
    "PartialUser.create_custom_reward": lambda c: c.create_user(USER_ID).create_custom_reward(
        "t",
        5,
        prompt="p",
        enabled=False,
        background_color="#9147FF",
        input_required=True,
        max_per_stream=3,
        max_per_user_per_stream=1,
        global_cooldown=60,
        redemptions_skip_queue=True,
    ),
    "CustomReward.edit": lambda c: reward(c).edit(
        title="t",
        prompt="p",
        cost=3,
        background_color="#FFFFFF",
        enabled=True,
        input_required=False,
        max_per_stream_enabled=True,
        max_per_stream=2,
        max_per_user_per_stream_enabled=True,
        max_per_user_per_stream=1,
        global_cooldown_enabled=True,
        global_cooldown=120,
        paused=True,
        redemptions_skip_queue=False,
    ),
    "CustomReward.delete": lambda c: reward(c).delete(),
    "CustomReward.get_redemptions": lambda c: (
        reward(c).get_redemptions("CANCELLED", "NEWEST", limit=1).flatten()
    ),
    "PartialUser.get_redemptions": lambda c: (
        c.create_user(USER_ID).get_redemptions("r", None, ids=["x"], after="cursor").flatten()
    ),
    "PartialUser.update_redemptions": lambda c: c.create_user(USER_ID).update_redemptions(
        "r", ["x", "y"], "CANCELLED"
    ),
    "CustomRewardRedemption.fulfill": lambda c: redemption(c).fulfill(),
    "CustomRewardRedemption.refund": lambda c: redemption(c).refund(),
    "PartialUser.get_predictions": lambda c: (
        c.create_user(USER_ID).get_predictions(["p"], limit=1).flatten()
    ),
    "PartialUser.create_prediction": lambda c: c.create_user(USER_ID).create_prediction(
        "Will it work?", ["Yes", "No", "Maybe"], 30
    ),
    "PartialUser.end_prediction": lambda c: c.create_user(USER_ID).end_prediction(
        "p", "RESOLVED", "o"
    ),
    "PartialUser.get_polls": lambda c: c.create_user(USER_ID).get_polls(["p"], limit=1).flatten(),
    "PartialUser.create_poll": lambda c: c.create_user(USER_ID).create_poll(
        "Which?", ["A", "B"], 15, 10
    ),
    "PartialUser.end_poll": lambda c: c.create_user(USER_ID).end_poll("p", "ARCHIVED"),
    "PartialUser.get_goals": lambda c: c.create_user(USER_ID).get_goals(),
    "PartialUser.fetch_extensions": lambda c: c.create_user(USER_ID).fetch_extensions(),
    "PartialUser.fetch_active_extensions": lambda c: c.create_user(
        USER_ID
    ).fetch_active_extensions(),
    "PartialUser.update_extensions": lambda c: c.create_user(USER_ID).update_extensions(
        ExtensionBuilder(
            panels=[Extension.create("a", "1.0")],
            overlays=[Extension({"active": False})],
            components=[Extension.create("c", "2.0", x=1, y=2)],
        )
    ),
}


def test_every_public_method_is_exercised() -> None:
    assert set(CALLS) == set(ENDPOINTS)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = OPENAPI
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _validator(schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    # $refs point at "#/components/...": resolve them against the OpenAPI document.
    return jsonschema.Draft7Validator({**schema, "components": OPENAPI["components"]})


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
async def test_requests_follow_the_openapi_description(
    fake: FakeTwitch, client: Client, name: str
) -> None:
    fake.helix_handler = documented_answer
    await CALLS[name](client)
    assert fake.helix, "the call sent nothing"
    for rec in fake.helix:
        path = rec.path.removeprefix("/helix")
        method = rec.method.lower()
        assert f"{rec.method} {path}" == ENDPOINTS[name]
        operation = OPENAPI["paths"][path][method]
        params = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        sent = {key for key, _value in rec.query}
        assert sent <= set(params), f"undocumented query parameters {sent - set(params)}"
        required = {key for key, p in params.items() if p.get("required")}
        assert required <= sent, f"missing required parameters {required - sent}"
        for key, value in rec.query:
            kind = params[key]["schema"].get("type")
            if kind == "integer":
                int(value)
            elif kind == "boolean":
                assert value in ("true", "false")
        body = operation.get("requestBody")
        if body is None:
            assert rec.json is None
        else:
            schema = body["content"]["application/json"]["schema"]
            errors = [e.message for e in _validator(schema).iter_errors(rec.json)]
            assert errors == []
            # The schemas allow extra keys; a misspelt key must still fail here.
            properties = _resolve(schema).get("properties", {})
            assert set(rec.json) <= set(properties), set(rec.json) - set(properties)
