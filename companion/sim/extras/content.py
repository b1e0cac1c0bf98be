"""Content endpoints: clips, videos, stream markers, games and the stream schedule."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from ..errors import SimError, bad_request, not_found
from ..http_common import json_ok, parse_bool, query_one, read_json_object, require_token
from .common import ids_param, page, paged, parse_time, store_of, time_text

if TYPE_CHECKING:
    from .store import ExtrasStore

_log = logging.getLogger(__name__)

MARKER_DESCRIPTION_MAX: Final = 140
DELETE_VIDEOS_MAX: Final = 5
GAMES_LOOKUPS_MAX: Final = 100
SCHEDULE_FIRST_MAX: Final = 25
VIDEO_TYPES: Final = ("all", "archive", "highlight", "upload")
VIDEO_PERIODS: Final = {"all": None, "day": 86_400.0, "week": 604_800.0, "month": 2_592_000.0}
VIDEO_SORTS: Final = ("time", "trending", "views")
CLIP_WINDOW: Final = 7 * 86_400.0  # "the start date plus one week"


# -- clips -----------------------------------------------------------------------------------


def _clip_out(clip: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in clip.items() if not k.startswith("_")}
    out["created_at"] = time_text(clip["_created"])
    return out


async def get_clips(request: web.Request) -> web.Response:
    """``GET /helix/clips`` by exactly one of ``broadcaster_id``, ``game_id``, ``id``."""
    require_token(request, user_token=False)
    store = store_of(request)
    ids = ids_param(request, "id")
    broadcaster = query_one(request, "broadcaster_id")
    game = query_one(request, "game_id")
    given = [x for x in (ids, broadcaster, game) if x]
    if not given:
        raise bad_request("The id or game_id or broadcaster_id query parameter is required.")
    if len(given) > 1:
        raise bad_request(
            "The id, game_id, and broadcaster_id query parameters are mutually exclusive;"
            " you may specify only one of them."
        )
    if ids:
        clips = [store.clips[i] for i in ids if i in store.clips]
    else:
        if game and game not in store.games:
            raise not_found("The ID in game_id was not found.")
        if broadcaster:
            store.channel(broadcaster)
        clips = [
            c
            for c in store.clips.values()
            if (broadcaster and c["broadcaster_id"] == broadcaster)
            or (game and c["game_id"] == game)
        ]
        clips.sort(key=lambda c: (-int(c["view_count"]), c["id"]))
        start_raw = query_one(request, "started_at")
        end_raw = query_one(request, "ended_at")
        if start_raw:
            start = parse_time(start_raw, "started_at")
            end = parse_time(end_raw, "ended_at") if end_raw else start + CLIP_WINDOW
            clips = [c for c in clips if start <= c["_created"] <= end]
    if "is_featured" in request.query:
        featured = parse_bool(request, "is_featured")
        clips = [c for c in clips if c["is_featured"] is featured]
    rows, cursor = page(request, clips, f"clips:{broadcaster or game or ''}")
    return json_ok(paged([_clip_out(c) for c in rows], cursor))


# -- videos ----------------------------------------------------------------------------------


def _video_out(store: ExtrasStore, video: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in video.items() if not k.startswith("_")}
    out.update(store.user_triple(video["user_id"], "user"))
    out["created_at"] = time_text(video["_created"])
    out["published_at"] = time_text(video["_created"])
    return out


def _choice(request: web.Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.query.get(name, default)
    if value not in allowed:
        raise bad_request(f"The value in the {name} query parameter is not valid.")
    return value


async def get_videos(request: web.Request) -> web.Response:
    """``GET /helix/videos`` by exactly one of ``id``, ``user_id``, ``game_id``."""
    require_token(request, user_token=False)
    store = store_of(request)
    ids = ids_param(request, "id")
    user_id = query_one(request, "user_id")
    game = query_one(request, "game_id")
    given = [x for x in (ids, user_id, game) if x]
    if not given:
        raise bad_request(
            "The request must specify either the id or user_id or game_id query parameter."
        )
    if len(given) > 1:
        raise bad_request(
            "The id, user_id, and game_id query parameters are mutually exclusive;"
            " you must specify only one of them."
        )
    kind = _choice(request, "type", VIDEO_TYPES, "all")
    period = _choice(request, "period", tuple(VIDEO_PERIODS), "all")
    sort = _choice(request, "sort", VIDEO_SORTS, "time")
    if ids:
        videos = [store.videos[i] for i in ids if i in store.videos]
        if not videos:
            # "Returned only if all the IDs were not found"
            raise not_found("The ID in the id query parameter was not found.")
        return json_ok(paged([_video_out(store, v) for v in videos], None))
    if game and game not in store.games:
        raise bad_request("The ID in the game_id query parameter is not valid.")
    if user_id:
        store.user(user_id)
    videos = [
        v
        for v in store.videos.values()
        if (user_id and v["user_id"] == user_id) or (game and v["_game_id"] == game)
    ]
    if kind != "all":
        videos = [v for v in videos if v["type"] == kind]
    span = VIDEO_PERIODS[period]
    if span is not None:
        videos = [v for v in videos if v["_created"] >= store.now() - span]
    language = query_one(request, "language")
    if language:
        videos = [v for v in videos if v["language"] == language.lower()]
    if sort == "views":
        videos.sort(key=lambda v: (-int(v["view_count"]), v["id"]))
    else:
        # "trending" needs viewing history the simulator does not keep: newest first.
        videos.sort(key=lambda v: (-float(v["_created"]), v["id"]))
    rows, cursor = page(request, videos, f"videos:{user_id or game}")
    return json_ok(paged([_video_out(store, v) for v in rows], cursor))


async def delete_videos(request: web.Request) -> web.Response:
    """``DELETE /helix/videos``: all or nothing, unknown ids ignored."""
    rec = require_token(request, scopes_any=("channel:manage:videos",))
    raw = [v for v in request.query.getall("id", []) if v]
    if not raw:
        raise bad_request("The id query parameter is required.")
    if len(raw) > DELETE_VIDEOS_MAX:
        raise bad_request("The request exceeded the number of allowed id query parameters.")
    store = store_of(request)
    known = [i for i in dict.fromkeys(raw) if i in store.videos]
    if any(store.videos[i]["user_id"] != rec.user_id for i in known):
        # "If the user doesn't have permission to delete one of the videos in the list,
        # none of the videos are deleted."
        raise SimError(401, "The caller is not authorized to delete the specified video.")
    for vid in known:
        del store.videos[vid]
    return json_ok({"data": known})


# -- markers ---------------------------------------------------------------------------------


async def create_marker(request: web.Request) -> web.Response:
    """``POST /helix/streams/markers`` on the live stream of ``user_id``."""
    rec = require_token(request, scopes_any=("channel:manage:broadcast",))
    body = await read_json_object(request)
    user_id = body.get("user_id")
    if not isinstance(user_id, str) or not user_id:
        raise bad_request("The user_id field is required.")
    description = body.get("description", "")
    if not isinstance(description, str):
        raise bad_request("The description field must be a string.")
    if len(description) > MARKER_DESCRIPTION_MAX:
        raise bad_request("The length of the string in the description field is too long.")
    store = store_of(request)
    if user_id not in store.state.users:
        raise not_found("The ID in the user_id field is not valid.")
    if user_id != rec.user_id:
        # Editors may mark too; the simulator keeps no editor lists.
        raise SimError(
            403,
            "The user in the access token is not authorized to create video markers for the"
            " user in the user_id field.",
        )
    stream = store.state.channel(user_id).stream
    if stream is None:
        raise not_found("The user in the user_id field is not streaming live.")
    now = store.now()
    position = int(now - parse_time(str(stream["started_at"]), "started_at"))
    ch = store.channel(user_id)
    marker = {
        "id": store.token_id(32).lower(),
        "_created": now,
        "description": description,
        "position_seconds": max(0, position),
        "_video_id": store.archive_of(user_id, stream),
    }
    ch.markers.append(marker)
    out = {k: v for k, v in marker.items() if not k.startswith("_")}
    out["created_at"] = time_text(now)
    return json_ok({"data": [out]})


async def get_markers(request: web.Request) -> web.Response:
    """``GET /helix/streams/markers`` of the user's latest video, or of ``video_id``."""
    rec = require_token(request, scopes_any=("user:read:broadcast", "channel:manage:broadcast"))
    user_id = query_one(request, "user_id")
    video_id = query_one(request, "video_id")
    if bool(user_id) == bool(video_id):
        raise bad_request(
            "The request must specify either the user_id or video_id query parameter, but not both."
        )
    store = store_of(request)
    owner = user_id or ""
    if video_id:
        owners = [
            b
            for b, ch in store.channels.items()
            if any(m["_video_id"] == video_id for m in ch.markers)
        ]
        video = store.videos.get(video_id)
        owner = owners[0] if owners else (video["user_id"] if video else "")
        if not owner:
            raise not_found("The video was not found.")
    if owner != rec.user_id:
        raise SimError(
            403, "The user in the access token is not authorized to get the video's markers."
        )
    markers = store.channel(owner).markers
    if not video_id:
        if not markers:
            raise not_found(
                "The user specified in the user_id query parameter doesn't have videos."
            )
        video_id = markers[-1]["_video_id"]
    chosen = [m for m in markers if m["_video_id"] == video_id]
    rows, cursor = page(request, chosen, f"markers:{video_id}")
    listed = [
        {
            "id": m["id"],
            "created_at": time_text(m["_created"]),
            "description": m["description"],
            "position_seconds": m["position_seconds"],
            "url": f"https://twitch.tv/{store.state.users[owner]['login']}/manager/highlighter/{video_id}?t={m['position_seconds']}s",
        }
        for m in rows
    ]
    group = {
        **store.user_triple(owner, "user"),
        "videos": [{"video_id": video_id, "markers": listed}],
    }
    return json_ok(paged([group], cursor))


# -- games -----------------------------------------------------------------------------------


async def get_games(request: web.Request) -> web.Response:
    """``GET /helix/games`` by ``id``, ``name`` and ``igdb_id`` (100 in all)."""
    require_token(request, user_token=False)
    ids = [v for v in request.query.getall("id", []) if v]
    names = [v for v in request.query.getall("name", []) if v]
    igdb = [v for v in request.query.getall("igdb_id", []) if v]
    if not ids and not names and not igdb:
        raise bad_request("The request must specify the id or name or igdb_id query parameter.")
    if len(ids) + len(names) + len(igdb) > GAMES_LOOKUPS_MAX:
        raise bad_request(
            "The combined number of game IDs (id and igdb_id) and game names that you specify"
            " in the request must not exceed 100."
        )
    store = store_of(request)
    found = [
        g
        for g in store.games.values()
        if g["id"] in ids or g["name"] in names or (g["igdb_id"] and g["igdb_id"] in igdb)
    ]
    return json_ok({"data": found})


# -- schedule --------------------------------------------------------------------------------


def _segment_out(store: ExtrasStore, seg: dict[str, Any]) -> dict[str, Any]:
    category = seg["_category"]
    return {
        "id": seg["id"],
        "start_time": time_text(seg["_start"]),
        "end_time": time_text(seg["_end"]),
        "title": seg["title"],
        "canceled_until": time_text(seg["_canceled"]) if seg["_canceled"] else None,
        "category": (
            {"id": category, "name": store.games[category]["name"]}
            if category in store.games
            else None
        ),
        "is_recurring": seg["is_recurring"],
    }


async def get_schedule(request: web.Request) -> web.Response:
    """``GET /helix/schedule`` (pagination inside ``data``, as the schema places it)."""
    require_token(request, user_token=False)
    broadcaster = query_one(request, "broadcaster_id")
    store = store_of(request)
    if not broadcaster:
        raise bad_request("The broadcaster_id query parameter is required.")
    if broadcaster not in store.state.users:
        raise bad_request("The ID in the broadcaster_id query parameter is not valid.")
    ch = store.channel(broadcaster)
    if not ch.schedule_created:
        raise not_found("The broadcaster has not created a streaming schedule.")
    ids = ids_param(request, "id")
    start_raw = query_one(request, "start_time")
    start = parse_time(start_raw, "start_time") if start_raw else store.now()
    if ids:
        segments = [s for s in ch.segments if s["id"] in ids]
    else:
        segments = [s for s in ch.segments if s["_end"] > start]
    rows, cursor = page(request, segments, f"schedule:{broadcaster}", maximum=SCHEDULE_FIRST_MAX)
    vacation = None
    if ch.vacation is not None:
        vacation = {"start_time": time_text(ch.vacation[0]), "end_time": time_text(ch.vacation[1])}
    data = {
        "segments": [_segment_out(store, s) for s in rows],
        **store.user_triple(broadcaster, "broadcaster"),
        "vacation": vacation,
        "pagination": {"cursor": cursor} if cursor else {},
    }
    return json_ok({"data": data})


def routes() -> list[web.RouteDef]:
    """The content routes."""
    return [
        web.get("/helix/clips", get_clips),
        web.get("/helix/videos", get_videos),
        web.delete("/helix/videos", delete_videos),
        web.post("/helix/streams/markers", create_marker),
        web.get("/helix/streams/markers", get_markers),
        web.get("/helix/games", get_games),
        web.get("/helix/schedule", get_schedule),
    ]
