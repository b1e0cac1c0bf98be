"""``/helix/*``: the Helix endpoints the app uses, with Twitch's documented rules."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from .channel_state import STREAMS_FIRST_DEFAULT, STREAMS_FIRST_MAX
from .engagement import FIRST_DEFAULT, POLLS_FIRST_MAX, PREDICTIONS_FIRST_MAX
from .errors import SimError, bad_request
from .http_common import (
    STATE_KEY,
    json_ok,
    page_body,
    parse_bool,
    parse_first,
    query_all,
    query_one,
    raw_json_ok,
    read_json_object,
    require_broadcaster,
    require_token,
)
from .rewards import REDEMPTIONS_FIRST_DEFAULT, REDEMPTIONS_FIRST_MAX

if TYPE_CHECKING:
    from .events import EventSubHubProtocol

_log = logging.getLogger(__name__)

HUB_KEY: web.AppKey[EventSubHubProtocol | None] = web.AppKey("sim_hub", object)  # type: ignore[arg-type]
# ^ a Protocol union is only a type tag here; AppKey needs a runtime class for its second argument.

READ_REDEMPTIONS = ("channel:read:redemptions", "channel:manage:redemptions")
MANAGE_REDEMPTIONS = ("channel:manage:redemptions",)


# -- users ----------------------------------------------------------------------------------


async def get_users(request: web.Request) -> web.Response:
    """``GET /helix/users`` (app or user token)."""
    rec = require_token(request, user_token=False)
    state = request.app[STATE_KEY]
    data = state.get_users(
        query_all(request, "id"),
        query_all(request, "login"),
        rec.user_id,
        "user:read:email" in rec.scopes,
    )
    return json_ok({"data": data})


# -- custom rewards -------------------------------------------------------------------------


async def get_rewards(request: web.Request) -> web.Response:
    """``GET /helix/channel_points/custom_rewards``."""
    rec = require_token(request, scopes_any=READ_REDEMPTIONS)
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    data = request.app[STATE_KEY].get_rewards(
        broadcaster,
        rec.client_id,
        query_all(request, "id"),
        parse_bool(request, "only_manageable_rewards"),
    )
    return json_ok({"data": data})


async def create_reward(request: web.Request) -> web.Response:
    """``POST /helix/channel_points/custom_rewards?broadcaster_id=``."""
    rec = require_token(request, scopes_any=MANAGE_REDEMPTIONS)
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    body = await read_json_object(request)
    data = request.app[STATE_KEY].create_reward(broadcaster, rec.client_id, body)
    return json_ok({"data": [data]})


async def update_reward(request: web.Request) -> web.Response:
    """``PATCH /helix/channel_points/custom_rewards?broadcaster_id=&id=``."""
    rec = require_token(request, scopes_any=MANAGE_REDEMPTIONS)
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    reward_id = query_one(request, "id", required=True)
    assert reward_id is not None
    body = await read_json_object(request)
    data = request.app[STATE_KEY].update_reward(broadcaster, rec.client_id, reward_id, body)
    return json_ok({"data": [data]})


async def delete_reward(request: web.Request) -> web.Response:
    """``DELETE /helix/channel_points/custom_rewards?broadcaster_id=&id=``: 204."""
    rec = require_token(request, scopes_any=MANAGE_REDEMPTIONS)
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    reward_id = query_one(request, "id", required=True)
    assert reward_id is not None
    request.app[STATE_KEY].delete_reward(broadcaster, rec.client_id, reward_id)
    return web.Response(status=204)


# -- redemptions ----------------------------------------------------------------------------


async def get_redemptions(request: web.Request) -> web.Response:
    """``GET /helix/channel_points/custom_rewards/redemptions``."""
    rec = require_token(request, scopes_any=READ_REDEMPTIONS)
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    reward_id = query_one(request, "reward_id", required=True)
    assert reward_id is not None
    ids = query_all(request, "id")
    page, cursor = request.app[STATE_KEY].redemption_page(
        broadcaster,
        rec.client_id,
        reward_id,
        status=query_one(request, "status"),
        ids=ids,
        sort=query_one(request, "sort") or "OLDEST",
        after=query_one(request, "after"),
        first=parse_first(request, REDEMPTIONS_FIRST_DEFAULT, REDEMPTIONS_FIRST_MAX),
    )
    # The records' cached JSON is spliced in: the same bytes json_ok(page_body(...)) makes.
    items = ",".join(record.json_text() for record in page)
    if ids:
        # Documented by-id example has no pagination object.
        return raw_json_ok('{"data":[' + items + "]}")
    pagination = json.dumps({"cursor": cursor} if cursor else {}, separators=(",", ":"))
    return raw_json_ok('{"data":[' + items + '],"pagination":' + pagination + "}")


async def update_redemptions(request: web.Request) -> web.Response:
    """``PATCH /helix/channel_points/custom_rewards/redemptions?id=&broadcaster_id=&reward_id=``."""
    rec = require_token(request, scopes_any=MANAGE_REDEMPTIONS)
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    reward_id = query_one(request, "reward_id", required=True)
    assert reward_id is not None
    ids = query_all(request, "id")
    if not ids:
        raise bad_request("The id query parameter is required.")
    body = await read_json_object(request)
    data = request.app[STATE_KEY].update_redemptions(
        broadcaster, rec.client_id, reward_id, ids, body.get("status")
    )
    return json_ok({"data": data})


# -- predictions and polls ------------------------------------------------------------------


async def get_predictions(request: web.Request) -> web.Response:
    """``GET /helix/predictions``."""
    rec = require_token(
        request, scopes_any=("channel:read:predictions", "channel:manage:predictions")
    )
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    data, cursor = request.app[STATE_KEY].get_predictions(
        broadcaster,
        query_all(request, "id"),
        query_one(request, "after"),
        parse_first(request, FIRST_DEFAULT, PREDICTIONS_FIRST_MAX),
    )
    return json_ok(page_body(data, cursor))


async def create_prediction(request: web.Request) -> web.Response:
    """``POST /helix/predictions`` (JSON body with broadcaster_id)."""
    rec = require_token(request, scopes_any=("channel:manage:predictions",))
    body = await read_json_object(request)
    broadcaster = require_broadcaster(rec, body.get("broadcaster_id"))
    data = request.app[STATE_KEY].create_prediction(broadcaster, body)
    return json_ok({"data": [data]})


async def end_prediction(request: web.Request) -> web.Response:
    """``PATCH /helix/predictions``."""
    rec = require_token(request, scopes_any=("channel:manage:predictions",))
    body = await read_json_object(request)
    broadcaster = require_broadcaster(rec, body.get("broadcaster_id"))
    data = request.app[STATE_KEY].end_prediction(broadcaster, body)
    return json_ok({"data": [data]})


async def get_polls(request: web.Request) -> web.Response:
    """``GET /helix/polls``."""
    rec = require_token(request, scopes_any=("channel:read:polls", "channel:manage:polls"))
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    data, cursor = request.app[STATE_KEY].get_polls(
        broadcaster,
        query_all(request, "id"),
        query_one(request, "after"),
        parse_first(request, FIRST_DEFAULT, POLLS_FIRST_MAX),
    )
    return json_ok(page_body(data, cursor))


async def create_poll(request: web.Request) -> web.Response:
    """``POST /helix/polls``."""
    rec = require_token(request, scopes_any=("channel:manage:polls",))
    body = await read_json_object(request)
    broadcaster = require_broadcaster(rec, body.get("broadcaster_id"))
    data = request.app[STATE_KEY].create_poll(broadcaster, body)
    return json_ok({"data": [data]})


async def end_poll(request: web.Request) -> web.Response:
    """``PATCH /helix/polls``."""
    rec = require_token(request, scopes_any=("channel:manage:polls",))
    body = await read_json_object(request)
    broadcaster = require_broadcaster(rec, body.get("broadcaster_id"))
    data = request.app[STATE_KEY].end_poll(broadcaster, body)
    return json_ok({"data": [data]})


# -- goals, extensions, streams, channels ---------------------------------------------------


async def get_goals(request: web.Request) -> web.Response:
    """``GET /helix/goals?broadcaster_id=``."""
    rec = require_token(request, scopes_any=("channel:read:goals",))
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    return json_ok({"data": request.app[STATE_KEY].get_goals(broadcaster)})


async def list_extensions(request: web.Request) -> web.Response:
    """``GET /helix/users/extensions/list``."""
    rec = require_token(request, scopes_any=("user:read:broadcast", "user:edit:broadcast"))
    assert rec.user_id is not None
    include_inactive = "user:edit:broadcast" in rec.scopes
    data = request.app[STATE_KEY].get_user_extensions(rec.user_id, include_inactive)
    return json_ok({"data": data})


async def get_active_extensions(request: web.Request) -> web.Response:
    """``GET /helix/users/extensions`` (app token needs ``user_id``)."""
    rec = require_token(request, user_token=False)
    user_id = query_one(request, "user_id") or rec.user_id
    if user_id is None:
        raise bad_request("The user_id query parameter is required if you specify an app token.")
    state = request.app[STATE_KEY]
    if user_id not in state.channels:
        raise bad_request("The user_id query parameter is not valid.")
    return json_ok({"data": state.get_active_extensions(user_id)})


async def update_extensions(request: web.Request) -> web.Response:
    """``PUT /helix/users/extensions``."""
    rec = require_token(request, scopes_any=("user:edit:broadcast",))
    assert rec.user_id is not None
    body = await read_json_object(request)
    if "data" not in body:
        raise bad_request("The JSON payload is malformed.")
    data = request.app[STATE_KEY].update_active_extensions(rec.user_id, body["data"])
    return json_ok({"data": data})


async def get_streams(request: web.Request) -> web.Response:
    """``GET /helix/streams``."""
    require_token(request, user_token=False)
    data, cursor = request.app[STATE_KEY].get_streams(
        user_ids=query_all(request, "user_id"),
        user_logins=query_all(request, "user_login"),
        game_ids=query_all(request, "game_id"),
        languages=query_all(request, "language"),
        type_=query_one(request, "type") or "all",
        first=parse_first(request, STREAMS_FIRST_DEFAULT, STREAMS_FIRST_MAX),
        after=query_one(request, "after"),
        before=query_one(request, "before"),
    )
    return json_ok(page_body(data, cursor))


async def get_channels(request: web.Request) -> web.Response:
    """``GET /helix/channels?broadcaster_id=`` (1-100 ids)."""
    require_token(request, user_token=False)
    data = request.app[STATE_KEY].get_channels(query_all(request, "broadcaster_id"))
    return json_ok({"data": data})


# -- EventSub subscriptions (delegated to the hub) ------------------------------------------


def _hub(request: web.Request) -> EventSubHubProtocol:
    hub = request.app[HUB_KEY]
    if hub is None:
        raise SimError(503, "EventSub is not available in this simulator build.")
    return hub


async def create_subscription(request: web.Request) -> web.Response:
    """``POST /helix/eventsub/subscriptions``: 202 from the hub on success."""
    rec = require_token(request, user_token=False)
    body = await read_json_object(request)
    status, payload = await _hub(request).create_subscription(rec, body)
    return json_ok(payload, status=status)


async def list_subscriptions(request: web.Request) -> web.Response:
    """``GET /helix/eventsub/subscriptions``."""
    rec = require_token(request, user_token=False)
    status, payload = _hub(request).list_subscriptions(rec, request.query)
    return json_ok(payload, status=status)


async def delete_subscription(request: web.Request) -> web.Response:
    """``DELETE /helix/eventsub/subscriptions?id=``: 204 on success."""
    rec = require_token(request, user_token=False)
    sub_id = query_one(request, "id", required=True)
    assert sub_id is not None
    status, payload = _hub(request).delete_subscription(rec, sub_id)
    if payload is None:
        return web.Response(status=status)
    return json_ok(payload, status=status)


def routes() -> list[web.RouteDef]:
    """Every Helix route."""
    rewards = "/helix/channel_points/custom_rewards"
    return [
        web.get("/helix/users", get_users),
        web.get(rewards, get_rewards),
        web.post(rewards, create_reward),
        web.patch(rewards, update_reward),
        web.delete(rewards, delete_reward),
        web.get(f"{rewards}/redemptions", get_redemptions),
        web.patch(f"{rewards}/redemptions", update_redemptions),
        web.get("/helix/predictions", get_predictions),
        web.post("/helix/predictions", create_prediction),
        web.patch("/helix/predictions", end_prediction),
        web.get("/helix/polls", get_polls),
        web.post("/helix/polls", create_poll),
        web.patch("/helix/polls", end_poll),
        web.get("/helix/goals", get_goals),
        web.get("/helix/users/extensions/list", list_extensions),
        web.get("/helix/users/extensions", get_active_extensions),
        web.put("/helix/users/extensions", update_extensions),
        web.get("/helix/streams", get_streams),
        web.get("/helix/channels", get_channels),
        web.post("/helix/eventsub/subscriptions", create_subscription),
        web.get("/helix/eventsub/subscriptions", list_subscriptions),
        web.delete("/helix/eventsub/subscriptions", delete_subscription),
    ]
