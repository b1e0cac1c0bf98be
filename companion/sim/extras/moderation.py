"""``/helix/moderation/*``: banned users, ban, unban, moderators and AutoMod checks."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from ..errors import SimError, bad_request
from ..http_common import json_ok, query_one, read_json_object, require_broadcaster, require_token
from .common import ids_param, page, paged, require_moderator, store_of, time_text
from .records import BanRecord

if TYPE_CHECKING:
    from .store import ExtrasStore

_log = logging.getLogger(__name__)

READ_BANS: Final = ("moderation:read", "moderator:manage:banned_users")
READ_MODERATORS: Final = ("moderation:read", "channel:manage:moderators")
MANAGE_BANS: Final = ("moderator:manage:banned_users",)
REASON_MAX: Final = 500
TIMEOUT_MAX: Final = 1_209_600  # 2 weeks
AUTOMOD_MAX: Final = 100
#: Check AutoMod Status: checks per minute by account type (the hourly cap is not modelled).
AUTOMOD_PER_MINUTE: Final = {"": 5, "affiliate": 10, "partner": 30}


def _drop_expired(store: ExtrasStore, broadcaster_id: str) -> dict[str, BanRecord]:
    bans = store.channel(broadcaster_id).bans
    now = store.now()
    for user_id in [u for u, b in bans.items() if b.expires_at is not None and b.expires_at <= now]:
        del bans[user_id]
    return bans


def _ban_item(store: ExtrasStore, ban: BanRecord) -> dict[str, Any]:
    return {
        **store.user_triple(ban.user_id, "user"),
        "expires_at": time_text(ban.expires_at),
        "created_at": time_text(ban.created_at),
        "reason": ban.reason,
        **store.user_triple(ban.moderator_id, "moderator"),
    }


async def get_banned(request: web.Request) -> web.Response:
    """``GET /helix/moderation/banned``: newest first, or in the order of ``user_id``."""
    rec = require_token(request, scopes_any=READ_BANS)
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    store = store_of(request)
    bans = _drop_expired(store, broadcaster)
    wanted = ids_param(request, "user_id")
    if wanted:
        chosen = [bans[u] for u in wanted if u in bans]
    else:
        chosen = sorted(bans.values(), key=lambda b: b.created_at, reverse=True)
    rows, cursor = page(request, chosen, f"banned:{broadcaster}")
    return json_ok(paged([_ban_item(store, b) for b in rows], cursor))


async def get_moderators(request: web.Request) -> web.Response:
    """``GET /helix/moderation/moderators``: ``user_id`` (up to 100) filters; ``first`` 1-100.

    Listed in the order they became moderators, or in the order of ``user_id``; the reference
    gives no order. The broadcaster is not listed (they are not one of their moderators).
    """
    rec = require_token(request, scopes_any=READ_MODERATORS)
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    store = store_of(request)
    moderators = store.channel(broadcaster).moderators
    wanted = ids_param(request, "user_id")
    chosen = [u for u in wanted if u in moderators] if wanted else list(moderators)
    rows, cursor = page(request, chosen, f"moderators:{broadcaster}")
    return json_ok(paged([store.user_triple(u, "user") for u in rows], cursor))


async def ban_user(request: web.Request) -> web.Response:
    """``POST /helix/moderation/bans``."""
    rec = require_token(request, scopes_any=MANAGE_BANS)
    store = store_of(request)
    broadcaster, moderator = require_moderator(
        store, rec, query_one(request, "broadcaster_id"), query_one(request, "moderator_id")
    )
    body = await read_json_object(request)
    data = body.get("data")
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("user_id"), str)
        or not data["user_id"]
    ):
        raise bad_request("The user_id field is required.")
    user_id: str = data["user_id"]
    reason = data.get("reason", "")
    if not isinstance(reason, str):
        raise bad_request("The reason field must be a string.")
    if len(reason) > REASON_MAX:
        raise bad_request("The text in the reason field is too long.")
    duration = data.get("duration")
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not 1 <= duration <= TIMEOUT_MAX
    ):
        raise bad_request("The value in the duration field is not valid.")
    if user_id not in store.state.users or user_id in (broadcaster, moderator):
        raise bad_request("The user specified in the user_id field may not be banned.")
    bans = _drop_expired(store, broadcaster)
    current = bans.get(user_id)
    if current is not None and current.expires_at is None:
        # helix/error.ban_user_already_banned.400.json: the same answer for a ban or a timeout.
        raise bad_request("user is already banned")
    now = store.now()
    ban = BanRecord(user_id, moderator, now, now + duration if duration else None, reason)
    bans[user_id] = ban
    store.banned(broadcaster, ban)
    item = {
        "broadcaster_id": broadcaster,
        "moderator_id": moderator,
        "user_id": user_id,
        "created_at": time_text(ban.created_at),
        "end_time": time_text(ban.expires_at) if ban.expires_at is not None else None,
    }
    return json_ok({"data": [item]})


async def unban_user(request: web.Request) -> web.Response:
    """``DELETE /helix/moderation/bans``: 204."""
    rec = require_token(request, scopes_any=MANAGE_BANS)
    store = store_of(request)
    broadcaster, moderator = require_moderator(
        store, rec, query_one(request, "broadcaster_id"), query_one(request, "moderator_id")
    )
    user_id = query_one(request, "user_id", required=True)
    assert user_id is not None  # required=True raised otherwise
    bans = _drop_expired(store, broadcaster)
    if user_id not in bans:
        # helix/error.unban_user_not_banned.400.json
        raise bad_request("user is not banned")
    del bans[user_id]
    store.unbanned(broadcaster, user_id, moderator)
    return web.Response(status=204)


async def check_automod(request: web.Request) -> web.Response:
    """``POST /helix/moderation/enforcements/status``.

    A message is held (``is_permitted: false``) when it contains one of the channel's blocked
    terms, case-insensitively: the simulator's stand-in for AutoMod's judgement.
    """
    rec = require_token(request, scopes_any=("moderation:read",))
    broadcaster = query_one(request, "broadcaster_id")
    if not broadcaster:
        raise bad_request("The broadcaster_id query parameter is required.")
    if broadcaster != rec.user_id:
        # Documented under 403 for this endpoint (401 elsewhere).
        raise SimError(
            403, "The ID in broadcaster_id must match the user ID in the user access token."
        )
    store = store_of(request)
    ch = store.channel(broadcaster)
    body = await read_json_object(request)
    messages = body.get("data")
    if not isinstance(messages, list) or not messages:
        raise bad_request(
            "The data field is required and the list must contain one or more messages to check."
        )
    if len(messages) > AUTOMOD_MAX:
        raise bad_request(f"The data field may contain at most {AUTOMOD_MAX} messages.")
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("msg_id"), str):
            raise bad_request("The msg_id field is required.")
        if not isinstance(message.get("msg_text"), str):
            raise bad_request("The msg_text field is required.")
    now = store.now()
    ch.automod_checks = [t for t in ch.automod_checks if t > now - 60]
    kind = store.state.users[broadcaster].get("broadcaster_type", "")
    allowed = AUTOMOD_PER_MINUTE.get(kind, AUTOMOD_PER_MINUTE[""])
    # The reference does not say whether a "check" is a request or a message; counting
    # requests lets the documented 100-message request through on every account type.
    if len(ch.automod_checks) >= allowed:
        raise SimError(
            429, "The broadcaster exceeded the number of chat message checks that they may make."
        )
    ch.automod_checks.append(now)
    terms = [t.lower() for t in ch.blocked_terms]
    out = [
        {
            "msg_id": m["msg_id"],
            "is_permitted": not any(term in m["msg_text"].lower() for term in terms),
        }
        for m in messages
    ]
    return json_ok({"data": out})


def routes() -> list[web.RouteDef]:
    """The moderation routes."""
    return [
        web.get("/helix/moderation/banned", get_banned),
        web.get("/helix/moderation/moderators", get_moderators),
        web.post("/helix/moderation/bans", ban_user),
        web.delete("/helix/moderation/bans", unban_user),
        web.post("/helix/moderation/enforcements/status", check_automod),
    ]
