"""Channel-wide endpoints: Bits, Cheermotes, teams, followers, subscriptions, hype train, raids."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from ..errors import SimError, bad_request, not_found
from ..http_common import json_ok, query_one, require_broadcaster, require_token
from .common import ids_param, page, paged, parse_time, store_of, time_text

if TYPE_CHECKING:
    from .store import ExtrasStore

_log = logging.getLogger(__name__)

LEADERBOARD_COUNT: Final = (1, 100, 10)  # min, max, default
PERIODS: Final = ("day", "week", "month", "year", "all")
#: "uses the PST time zone": a fixed UTC-8 (the reference does not mention daylight time).
PST: Final = timezone(timedelta(hours=-8))
TIER_POINTS: Final = {"1000": 1, "2000": 2, "3000": 6}
RAID_WINDOW: Final = 600.0
RAIDS_PER_WINDOW: Final = 10


# -- bits ------------------------------------------------------------------------------------


def _window(period: str, started_at: float) -> tuple[float, float]:
    day = datetime.fromtimestamp(started_at, PST).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        start, end = day, day + timedelta(days=1)
    elif period == "week":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    elif period == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    else:
        start = day.replace(month=1, day=1)
        end = start.replace(year=start.year + 1)
    return start.timestamp(), end.timestamp()


async def get_bits_leaderboard(request: web.Request) -> web.Response:
    """``GET /helix/bits/leaderboard`` for the token's broadcaster."""
    rec = require_token(request, scopes_any=("bits:read",))
    assert rec.user_id is not None
    low, high, default = LEADERBOARD_COUNT
    raw = request.query.get("count")
    try:
        count = default if raw is None else int(raw)
    except ValueError:
        count = 0
    if not low <= count <= high:
        raise bad_request(
            "The value in the count query parameter is outside the range of allowed values."
        )
    period = request.query.get("period", "all")
    if period not in PERIODS:
        raise bad_request("The time period specified in the period query parameter is not valid.")
    raw_start = request.query.get("started_at")
    if period != "all" and not raw_start:
        raise bad_request("The started_at query parameter is required if period is not set to all.")
    store = store_of(request)
    ch = store.channel(rec.user_id)
    window: tuple[float, float] | None = None
    if raw_start and period != "all":
        window = _window(period, parse_time(raw_start, "started_at"))
    scores: dict[str, int] = {}
    for user_id, bits, when in ch.cheers:
        if window is None or window[0] <= when < window[1]:
            scores[user_id] = scores.get(user_id, 0) + bits
    ranked = sorted(scores.items(), key=lambda s: (-s[1], s[0]))
    start = 0
    wanted = request.query.get("user_id")
    if wanted:
        ids = [u for u, _ in ranked]
        if wanted in ids:
            # "the response may include users ranked above and below the specified user"
            start = max(0, min(ids.index(wanted) - count // 2, len(ids) - count))
    chosen = ranked[start : start + count]
    data = [
        {**store.user_triple(uid, "user"), "rank": start + i + 1, "score": score}
        for i, (uid, score) in enumerate(chosen)
    ]
    date_range = {"started_at": "", "ended_at": ""}
    if window is not None:
        date_range = {"started_at": time_text(window[0]), "ended_at": time_text(window[1])}
    return json_ok({"data": data, "date_range": date_range, "total": len(data)})


def _cheermote_out(mote: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in mote.items() if not k.startswith("_")}
    out["last_updated"] = time_text(mote["_updated"])
    return out


async def get_cheermotes(request: web.Request) -> web.Response:
    """``GET /helix/bits/cheermotes``: global ones, plus the broadcaster's if asked."""
    require_token(request, user_token=False)
    store = store_of(request)
    motes = list(store.global_cheermotes)
    broadcaster = query_one(request, "broadcaster_id")
    if broadcaster:
        motes.extend(store.channel(broadcaster).cheermotes)
    motes.sort(key=lambda m: int(m["order"]))
    return json_ok({"data": [_cheermote_out(m) for m in motes]})


# -- teams -----------------------------------------------------------------------------------


def _team_fields(team: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in team.items() if not k.startswith("_")}
    out["created_at"] = time_text(team["_created"])
    out["updated_at"] = time_text(team["_updated"])
    return out


async def get_channel_teams(request: web.Request) -> web.Response:
    """``GET /helix/teams/channel``."""
    require_token(request, user_token=False)
    broadcaster = query_one(request, "broadcaster_id")
    if not broadcaster:
        raise bad_request("The broadcaster_id query parameter is missing or invalid.")
    store = store_of(request)
    if broadcaster not in store.state.users:
        raise not_found("The broadcaster was not found.")
    data = [
        {**store.user_triple(broadcaster, "broadcaster"), **_team_fields(team)}
        for tid, team in store.teams.items()
        if broadcaster in store.team_members[tid]
    ]
    return json_ok({"data": data})


async def get_teams(request: web.Request) -> web.Response:
    """``GET /helix/teams`` by ``name`` or ``id`` (exactly one)."""
    require_token(request, user_token=False)
    name = query_one(request, "name")
    team_id = query_one(request, "id")
    if bool(name) == bool(team_id):
        raise bad_request("Specify either the name or id query parameter but not both.")
    store = store_of(request)
    found = [
        tid
        for tid, team in store.teams.items()
        if (team_id and tid == team_id) or (name and team["team_name"] == name)
    ]
    if not found:
        raise not_found("The specified team was not found.")
    tid = found[0]
    users = [store.user_triple(uid, "user") for uid in store.team_members[tid]]
    return json_ok({"data": [{"users": users, **_team_fields(store.teams[tid])}]})


# -- followers, subscriptions ----------------------------------------------------------------


async def get_followers(request: web.Request) -> web.Response:
    """``GET /helix/channels/followers`` (the broadcaster or one of their moderators)."""
    rec = require_token(request, scopes_any=("moderator:read:followers",))
    broadcaster = query_one(request, "broadcaster_id", required=True)
    assert broadcaster is not None and rec.user_id is not None
    store = store_of(request)
    ch = store.channel(broadcaster)
    if not store.is_moderator(broadcaster, rec.user_id):
        raise SimError(
            401,
            "The ID in the broadcaster_id query parameter must match the user ID in the access"
            " token or the user must be a moderator for the specified broadcaster.",
        )
    follows = ch.followers
    wanted = query_one(request, "user_id")
    if wanted:
        follows = [f for f in follows if f[0] == wanted]
    rows, cursor = page(request, follows, f"followers:{broadcaster}")
    data = [{**store.user_triple(uid, "user"), "followed_at": time_text(at)} for uid, at in rows]
    body = paged(data, cursor)
    body["total"] = len(ch.followers)
    return json_ok(body)


def _sub_item(store: ExtrasStore, broadcaster: str, sub: dict[str, Any]) -> dict[str, Any]:
    gifter = sub["gifter_id"]
    gift = (
        store.user_triple(gifter, "gifter")
        if gifter
        else {"gifter_id": "", "gifter_login": "", "gifter_name": ""}
    )
    login = store.state.users[broadcaster]["login"]
    return {
        **store.user_triple(broadcaster, "broadcaster"),
        **gift,
        "is_gift": bool(gifter),
        "plan_name": f"Channel Subscription ({login})",
        "tier": sub["tier"],
        **store.user_triple(sub["user_id"], "user"),
    }


async def get_subscriptions(request: web.Request) -> web.Response:
    """``GET /helix/subscriptions``."""
    rec = require_token(request, scopes_any=("channel:read:subscriptions",))
    broadcaster = require_broadcaster(rec, query_one(request, "broadcaster_id"))
    store = store_of(request)
    subs = store.channel(broadcaster).subscriptions
    wanted = ids_param(request, "user_id")
    if wanted and request.query.get("after"):
        raise bad_request("Do not specify the after query parameter with user_id.")
    chosen = [s for u in wanted for s in subs if s["user_id"] == u] if wanted else subs
    rows, cursor = page(request, chosen, f"subs:{broadcaster}")
    body = paged([_sub_item(store, broadcaster, s) for s in rows], cursor)
    body["total"] = len(subs)
    body["points"] = sum(TIER_POINTS.get(s["tier"], 1) for s in subs)
    return json_ok(body)


# -- hype train ------------------------------------------------------------------------------


async def get_hype_train(request: web.Request) -> web.Response:
    """``GET /helix/hypetrain/status`` (``current`` null when no train is running)."""
    rec = require_token(request, scopes_any=("channel:read:hype_train",))
    broadcaster = query_one(request, "broadcaster_id")
    if not broadcaster or broadcaster not in store_of(request).state.users:
        raise bad_request("The ID in the broadcaster_id query parameter is not valid.")
    # The reference lists no broadcaster/token mismatch answer here; the scope is the
    # broadcaster's own (channel:read:hype_train), so we answer 401 as for its siblings.
    require_broadcaster(rec, broadcaster)
    store = store_of(request)
    ch = store.channel(broadcaster)
    train = ch.hype_train
    current: dict[str, Any] | None = None
    if train is not None and train.expires_at > store.now():
        per_type: dict[tuple[str, str], int] = {}
        for user_id, kind, total in train.contributions:
            per_type[(user_id, kind)] = per_type.get((user_id, kind), 0) + total
        tops = sorted(per_type.items(), key=lambda c: -c[1])[:2]
        current = {
            "id": train.id,
            **store.user_triple(broadcaster, "broadcaster_user"),
            "level": train.level,
            "total": train.total,
            "progress": train.progress,
            "goal": train.goal,
            "top_contributions": [
                {**store.user_triple(uid, "user"), "type": kind, "total": total}
                for (uid, kind), total in tops
            ],
            "shared_train_participants": None,
            "started_at": time_text(train.started_at),
            "expires_at": time_text(train.expires_at),
            "type": train.train_type,
        }
    record = None
    if ch.hype_record is not None:
        level, total, at = ch.hype_record
        record = {"level": level, "total": total, "achieved_at": time_text(at)}
    item = {"current": current, "all_time_high": record, "shared_all_time_high": None}
    return json_ok({"data": [item]})


# -- raids -----------------------------------------------------------------------------------


def _raid_budget(store: ExtrasStore, broadcaster: str) -> None:
    ch = store.channel(broadcaster)
    now = store.now()
    ch.raid_requests = [t for t in ch.raid_requests if t > now - RAID_WINDOW]
    if len(ch.raid_requests) >= RAIDS_PER_WINDOW:
        raise SimError(
            429,
            "The broadcaster exceeded the number of raid requests that they may make. The limit"
            " is 10 requests within a 10-minute window.",
        )
    ch.raid_requests.append(now)


async def start_raid(request: web.Request) -> web.Response:
    """``POST /helix/raids``."""
    rec = require_token(request, scopes_any=("channel:manage:raids",))
    store = store_of(request)
    source = query_one(request, "from_broadcaster_id")
    target = query_one(request, "to_broadcaster_id")
    if not source or source not in store.state.users:
        raise bad_request("The ID in the from_broadcaster_id query parameter is not valid.")
    if source != rec.user_id:
        raise SimError(
            401,
            "The ID in from_broadcaster_id must match the user ID found in the request's"
            " OAuth token.",
        )
    if not target:
        raise bad_request("The ID in the to_broadcaster_id query parameter is not valid.")
    if target == source:
        raise bad_request(
            "The IDs in from_broadcaster_id and to_broadcaster_id cannot be the same ID."
        )
    if target not in store.state.users:
        raise not_found("The targeted channel was not found.")
    _raid_budget(store, source)
    ch = store.channel(source)
    if ch.pending_raid is not None:
        raise SimError(409, "The broadcaster is already in the process of raiding another channel.")
    ch.pending_raid = {"to": target, "created_at": store.now()}
    return json_ok({"data": [{"created_at": time_text(store.now()), "is_mature": False}]})


async def cancel_raid(request: web.Request) -> web.Response:
    """``DELETE /helix/raids``: 204."""
    rec = require_token(request, scopes_any=("channel:manage:raids",))
    store = store_of(request)
    broadcaster = query_one(request, "broadcaster_id")
    if not broadcaster or broadcaster not in store.state.users:
        raise bad_request("The ID in the broadcaster_id query parameter is not valid.")
    require_broadcaster(rec, broadcaster)
    _raid_budget(store, broadcaster)
    ch = store.channel(broadcaster)
    if ch.pending_raid is None:
        raise not_found("The broadcaster doesn't have a pending raid to cancel.")
    ch.pending_raid = None
    return web.Response(status=204)


def routes() -> list[web.RouteDef]:
    """The channel routes."""
    return [
        web.get("/helix/bits/leaderboard", get_bits_leaderboard),
        web.get("/helix/bits/cheermotes", get_cheermotes),
        web.get("/helix/teams/channel", get_channel_teams),
        web.get("/helix/teams", get_teams),
        web.get("/helix/channels/followers", get_followers),
        web.get("/helix/subscriptions", get_subscriptions),
        web.get("/helix/hypetrain/status", get_hype_train),
        web.post("/helix/raids", start_raid),
        web.delete("/helix/raids", cancel_raid),
    ]
