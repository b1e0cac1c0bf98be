"""Shared pieces of the seed's "minor" models: their scope and endpoint tables, limits, helpers.

The core client keeps one scope table (:data:`companion.twitch.scopes.SCOPES`); the methods
added by :mod:`._extras` keep theirs here, in the same shape (public method -> scopes, any one
suffices), and pass them to :meth:`HTTPHandler.request` the same way, so the scope check
before sending works identically. Limits use the core's :class:`~companion.twitch.limits.Limit`
record; every number comes from the endpoint's parameter text in ``helix-openapi.json``.

Nothing here imports :mod:`.users`: :mod:`.users` imports :mod:`._extras`, which imports this.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from ..limits import Limit

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..http import HTTPHandler
    from . import users
    from ._payload import Fields

__all__ = ["EXTRA_ENDPOINTS", "EXTRA_LIMITS", "EXTRA_SCOPES", "Keyed", "partial_user"]

_log = logging.getLogger(__name__)

_BANS = ("moderator:manage:banned_users",)
_READ_BANS = ("moderation:read", "moderator:manage:banned_users")
_BROADCAST = ("channel:manage:broadcast",)
_RAIDS = ("channel:manage:raids",)

#: Public method -> scopes it accepts (any one suffices); () = any app or user token.
EXTRA_SCOPES: Final[dict[str, tuple[str, ...]]] = {
    "PartialUser.fetch_bans": _READ_BANS,
    "PartialUser.fetch_moderators": ("moderation:read", "channel:manage:moderators"),
    "PartialUser.ban_user": _BANS,
    "PartialUser.unban_user": _BANS,
    "UserBan.delete": _BANS,
    "PartialUser.check_automod_status": ("moderation:read",),
    "PartialUser.fetch_bits_leaderboard": ("bits:read",),
    "PartialUser.fetch_channel_teams": (),
    "PartialUser.fetch_chat_badges": (),
    "PartialUser.fetch_chat_settings": (),
    "PartialUser.update_chat_settings": ("moderator:manage:chat_settings",),
    "PartialUser.fetch_followers": ("moderator:read:followers",),
    "PartialUser.fetch_subscriptions": ("channel:read:subscriptions",),
    "PartialUser.fetch_hype_train": ("channel:read:hype_train",),
    # The 401 text says user:manage:broadcast; the security block says channel:manage:broadcast.
    "PartialUser.create_marker": _BROADCAST,
    "PartialUser.fetch_markers": ("user:read:broadcast", "channel:manage:broadcast"),
    "PartialUser.start_raid": _RAIDS,
    "PartialUser.cancel_raid": _RAIDS,
    "PartialUser.fetch_schedule": (),
    "PartialUser.fetch_clips": (),
    "PartialUser.fetch_videos": (),
    "Video.delete": ("channel:manage:videos",),
    "Client.fetch_games": (),
    "Client.fetch_cheermotes": (),
    "Client.fetch_global_chat_badges": (),
    "Client.fetch_chatters_colors": (),
    "Client.fetch_teams": (),
    "Client.fetch_clips": (),
    "Client.fetch_videos": (),
    "Client.delete_videos": ("channel:manage:videos",),
}

#: Public method -> "METHOD /path" of the Helix endpoint it calls.
EXTRA_ENDPOINTS: Final[dict[str, str]] = {
    "PartialUser.fetch_bans": "GET /moderation/banned",
    "PartialUser.fetch_moderators": "GET /moderation/moderators",
    "PartialUser.ban_user": "POST /moderation/bans",
    "PartialUser.unban_user": "DELETE /moderation/bans",
    "UserBan.delete": "DELETE /moderation/bans",
    "PartialUser.check_automod_status": "POST /moderation/enforcements/status",
    "PartialUser.fetch_bits_leaderboard": "GET /bits/leaderboard",
    "PartialUser.fetch_channel_teams": "GET /teams/channel",
    "PartialUser.fetch_chat_badges": "GET /chat/badges",
    "PartialUser.fetch_chat_settings": "GET /chat/settings",
    "PartialUser.update_chat_settings": "PATCH /chat/settings",
    "PartialUser.fetch_followers": "GET /channels/followers",
    "PartialUser.fetch_subscriptions": "GET /subscriptions",
    "PartialUser.fetch_hype_train": "GET /hypetrain/status",
    "PartialUser.create_marker": "POST /streams/markers",
    "PartialUser.fetch_markers": "GET /streams/markers",
    "PartialUser.start_raid": "POST /raids",
    "PartialUser.cancel_raid": "DELETE /raids",
    "PartialUser.fetch_schedule": "GET /schedule",
    "PartialUser.fetch_clips": "GET /clips",
    "PartialUser.fetch_videos": "GET /videos",
    "Video.delete": "DELETE /videos",
    "Client.fetch_games": "GET /games",
    "Client.fetch_cheermotes": "GET /bits/cheermotes",
    "Client.fetch_global_chat_badges": "GET /chat/badges/global",
    "Client.fetch_chatters_colors": "GET /chat/color",
    "Client.fetch_teams": "GET /teams",
    "Client.fetch_clips": "GET /clips",
    "Client.fetch_videos": "GET /videos",
    "Client.delete_videos": "DELETE /videos",
}

_O = "helix-openapi.json"
_TABLE: tuple[Limit, ...] = (
    Limit("ban_reason", "ban reason", "length", 0, 500, f"{_O} Ban User"),
    Limit("timeout_duration", "timeout (s)", "value", 1, 1_209_600, f"{_O} Ban User"),
    Limit("banned_user_ids", "banned user ids", "count", 0, 100, f"{_O} Get Banned Users"),
    Limit("banned_page_size", "bans per page", "value", 1, 100, f"{_O} Get Banned Users", 20),
    Limit("moderator_user_ids", "moderator ids", "count", 0, 100, f"{_O} Get Moderators"),
    Limit(
        "moderators_page_size", "moderators per page", "value", 1, 100, f"{_O} Get Moderators", 20
    ),
    Limit("automod_messages", "messages to check", "count", 1, 100, f"{_O} Check AutoMod Status"),
    Limit("bits_leaderboard_count", "leaders", "value", 1, 100, f"{_O} Get Bits Leaderboard", 10),
    Limit("chat_color_user_ids", "user ids", "count", 1, 100, f"{_O} Get User Chat Color"),
    Limit(
        "slow_mode_wait_time", "slow mode wait (s)", "value", 3, 120, f"{_O} Update Chat Settings"
    ),
    Limit(
        "follower_mode_duration",
        "follower mode duration (min)",
        "value",
        0,
        129_600,
        f"{_O} Update Chat Settings",
    ),
    Limit("clip_ids", "clip ids", "count", 0, 100, f"{_O} Get Clips"),
    Limit("clips_page_size", "clips per page", "value", 1, 100, f"{_O} Get Clips", 20),
    Limit("followers_page_size", "followers per page", "value", 1, 100, f"{_O} Get Followers", 20),
    Limit("game_lookups", "game ids, names and IGDB ids", "count", 1, 100, f"{_O} Get Games"),
    Limit("marker_description", "marker description", "length", 0, 140, f"{_O} Create Marker"),
    Limit("markers_page_size", "markers per page", "value", 1, 100, f"{_O} Get Stream Markers", 20),
    Limit("schedule_segment_ids", "segment ids", "count", 0, 100, f"{_O} Get Schedule"),
    Limit("schedule_page_size", "segments per page", "value", 1, 25, f"{_O} Get Schedule", 20),
    Limit("video_ids", "video ids", "count", 0, 100, f"{_O} Get Videos"),
    Limit("videos_page_size", "videos per page", "value", 1, 100, f"{_O} Get Videos", 20),
    # "You can delete a maximum of 5 videos per request."
    Limit("delete_video_ids", "video ids per delete", "count", 1, 5, f"{_O} Delete Videos"),
    Limit("subscriber_user_ids", "subscriber ids", "count", 0, 100, f"{_O} Get Subscriptions"),
    Limit(
        "subs_page_size", "subscriptions per page", "value", 1, 100, f"{_O} Get Subscriptions", 20
    ),
)

#: The extra endpoints' documented limits by name.
EXTRA_LIMITS: Final[Mapping[str, Limit]] = {limit.name: limit for limit in _TABLE}

#: Non-moderator chat delay: "Possible values are 2, 4, 6" (an enum, not a range).
CHAT_DELAY_VALUES: Final = (2, 4, 6)


def page_size(name: str, asked: int | None) -> int:
    """The page size to request: ``asked`` checked against limit ``name``, else its maximum."""
    limit = EXTRA_LIMITS[name]
    if asked is None:
        return limit.maximum or limit.default or 20
    return limit.check(asked)


def partial_user(
    http: HTTPHandler, fields: Fields, prefix: str, *, eventsub: bool = False
) -> users.PartialUser:
    """``<prefix>_id/_login/_name`` (or the EventSub ``<prefix>_user_*``) as a PartialUser.

    EventSub spells the acting user plainly (``user_id``), so ``"user"`` never gets the
    EventSub infix.
    """
    from . import users  # at call time: users imports the module that imports this one

    eventsub = eventsub and prefix != "user"
    return users.PartialUser.from_fields(http, fields, prefix, eventsub=eventsub)


def opt_partial_user(
    http: HTTPHandler, fields: Fields, prefix: str, *, eventsub: bool = False
) -> users.PartialUser | None:
    """Like :func:`partial_user`, but None when the id is missing, null or ``""``."""
    stem = f"{prefix}_user" if eventsub and prefix != "user" else prefix
    if fields.opt_id(f"{stem}_id") is None:
        return None
    return partial_user(http, fields, prefix, eventsub=eventsub)


class Keyed:
    """``==`` and ``hash`` on :meth:`_key` (the model's id, or what identifies it)."""

    __slots__ = ()

    def _key(self) -> Any:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Keyed)
        return bool(self._key() == other._key())

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))
