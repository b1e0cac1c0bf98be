"""``/helix/chat/*``: badges, emotes, settings and name colours."""

from __future__ import annotations

import logging
from typing import Any, Final

from aiohttp import web

from ..errors import SimError, bad_request
from ..http_common import json_ok, query_one, read_json_object, require_token
from .common import ids_param, require_moderator, store_of
from .store import EMOTE_TEMPLATE

_log = logging.getLogger(__name__)

MANAGE_SETTINGS: Final = ("moderator:manage:chat_settings",)
READ_SETTINGS: Final = ("moderator:read:chat_settings", "moderator:manage:chat_settings")
SLOW_MODE_RANGE: Final = (3, 120)
SLOW_MODE_DEFAULT: Final = 30
FOLLOWER_RANGE: Final = (0, 129_600)
FOLLOWER_DEFAULT: Final = 0
DELAYS: Final = (2, 4, 6)
COLOR_IDS_MAX: Final = 100

_FLAGS: Final = (
    "emote_mode",
    "follower_mode",
    "non_moderator_chat_delay",
    "slow_mode",
    "subscriber_mode",
    "unique_chat_mode",
)


async def get_channel_badges(request: web.Request) -> web.Response:
    """``GET /helix/chat/badges`` (app or user token)."""
    require_token(request, user_token=False)
    broadcaster = query_one(request, "broadcaster_id", required=True)
    assert broadcaster is not None
    badges = store_of(request).channel(broadcaster).badges
    return json_ok({"data": badges})


async def get_channel_emotes(request: web.Request) -> web.Response:
    """``GET /helix/chat/emotes`` (app or user token).

    An id that names no user gets an empty list: the reference documents a 400 only for a
    missing ``broadcaster_id`` and says the list "is empty" for a broadcaster without custom
    emotes.
    """
    require_token(request, user_token=False)
    broadcaster = query_one(request, "broadcaster_id", required=True)
    assert broadcaster is not None
    store = store_of(request)
    ch = store.channels.get(broadcaster)
    emotes = ch.emotes if ch is not None else []
    return json_ok({"data": emotes, "template": EMOTE_TEMPLATE})


async def get_global_emotes(request: web.Request) -> web.Response:
    """``GET /helix/chat/emotes/global`` (app or user token; no parameters)."""
    require_token(request, user_token=False)
    return json_ok({"data": store_of(request).global_emotes, "template": EMOTE_TEMPLATE})


async def get_global_badges(request: web.Request) -> web.Response:
    """``GET /helix/chat/badges/global`` (app or user token)."""
    require_token(request, user_token=False)
    return json_ok({"data": store_of(request).global_badges})


def _settings_item(
    broadcaster: str, settings: dict[str, Any], moderator: str | None
) -> dict[str, Any]:
    item: dict[str, Any] = {"broadcaster_id": broadcaster}
    item.update(settings)
    if moderator is None:
        # Only a moderator's request sees the delay fields and their own id.
        del item["non_moderator_chat_delay"]
        del item["non_moderator_chat_delay_duration"]
    else:
        item["moderator_id"] = moderator
    return item


async def get_settings(request: web.Request) -> web.Response:
    """``GET /helix/chat/settings`` (app or user token; ``moderator_id`` adds the delay)."""
    rec = require_token(request, user_token=False)
    broadcaster = query_one(request, "broadcaster_id", required=True)
    assert broadcaster is not None
    store = store_of(request)
    ch = store.channel(broadcaster)
    moderator = query_one(request, "moderator_id")
    shown: str | None = None
    if moderator:
        if moderator != rec.user_id:
            raise SimError(
                401, "The ID in moderator_id must match the user ID in the access token."
            )
        if store.is_moderator(broadcaster, moderator) and not rec.scopes.isdisjoint(READ_SETTINGS):
            shown = moderator
    return json_ok({"data": [_settings_item(broadcaster, ch.chat_settings, shown)]})


def _int_in(body: dict[str, Any], key: str, low: int, high: int) -> int | None:
    if key not in body:
        return None
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_request(f"The {key} field must be an integer from {low} through {high}.")
    return value


def _apply_settings(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The settings after ``body``, following Update Chat Settings' rules (nothing changed on
    a 400)."""
    for key in body:
        if key not in current:
            raise bad_request(f"The {key} field is not a chat setting.")
    for key in _FLAGS:
        if key in body and not isinstance(body[key], bool):
            raise bad_request(f"The {key} field must be a boolean.")
    new = dict(current)
    for key in ("emote_mode", "subscriber_mode", "unique_chat_mode"):
        if key in body:
            new[key] = body[key]
    pairs = (
        ("slow_mode", "slow_mode_wait_time", SLOW_MODE_RANGE, SLOW_MODE_DEFAULT),
        ("follower_mode", "follower_mode_duration", FOLLOWER_RANGE, FOLLOWER_DEFAULT),
    )
    for flag, value_key, (low, high), default in pairs:
        value = _int_in(body, value_key, low, high)
        if value is not None and body.get(flag) is not True:
            raise bad_request(f"To set {value_key}, the {flag} field must be set to true.")
        if flag in body:
            new[flag] = body[flag]
            new[value_key] = (value if value is not None else default) if body[flag] else None
    delay = body.get("non_moderator_chat_delay_duration")
    if "non_moderator_chat_delay_duration" in body and (
        isinstance(delay, bool) or delay not in DELAYS
    ):
        raise bad_request("The non_moderator_chat_delay_duration field must be 2, 4 or 6.")
    if delay is not None and body.get("non_moderator_chat_delay") is not True:
        raise bad_request(
            "To set non_moderator_chat_delay_duration, non_moderator_chat_delay must be true."
        )
    if "non_moderator_chat_delay" in body:
        if body["non_moderator_chat_delay"] and delay is None:
            # The only one of the three with no documented default.
            raise bad_request(
                "If non_moderator_chat_delay is true, the non_moderator_chat_delay_duration"
                " field must be set to a valid value."
            )
        new["non_moderator_chat_delay"] = body["non_moderator_chat_delay"]
        new["non_moderator_chat_delay_duration"] = (
            delay if body["non_moderator_chat_delay"] else None
        )
    return new


async def update_settings(request: web.Request) -> web.Response:
    """``PATCH /helix/chat/settings``."""
    rec = require_token(request, scopes_any=MANAGE_SETTINGS)
    store = store_of(request)
    broadcaster, moderator = require_moderator(
        store, rec, query_one(request, "broadcaster_id"), query_one(request, "moderator_id")
    )
    body = await read_json_object(request)
    ch = store.channel(broadcaster)
    ch.chat_settings = _apply_settings(ch.chat_settings, body)
    return json_ok({"data": [_settings_item(broadcaster, ch.chat_settings, moderator)]})


async def get_colors(request: web.Request) -> web.Response:
    """``GET /helix/chat/color``: unknown and repeated ids are left out."""
    require_token(request, user_token=False)
    ids = ids_param(request, "user_id", COLOR_IDS_MAX)
    if not ids:
        raise bad_request("The user_id query parameter is required.")
    store = store_of(request)
    data = [
        {**store.user_triple(uid, "user"), "color": store.chat_colors.get(uid, "")}
        for uid in ids
        if uid in store.state.users
    ]
    return json_ok({"data": data})


def routes() -> list[web.RouteDef]:
    """The chat routes."""
    return [
        web.get("/helix/chat/badges", get_channel_badges),
        web.get("/helix/chat/badges/global", get_global_badges),
        web.get("/helix/chat/emotes", get_channel_emotes),
        web.get("/helix/chat/emotes/global", get_global_emotes),
        web.get("/helix/chat/settings", get_settings),
        web.patch("/helix/chat/settings", update_settings),
        web.get("/helix/chat/color", get_colors),
    ]
