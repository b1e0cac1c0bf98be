"""Clips (Get Clips)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..errors import PayloadError
from ..http import Route
from ..iterators import HTTPAwaitableAsyncIterator
from ..timeutil import format_timestamp
from ._extra_common import EXTRA_LIMITS, EXTRA_SCOPES, Keyed, page_size, partial_user
from ._payload import Fields

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ..http import HTTPHandler
    from .users import BaseUser

__all__ = ["Clip", "fetch_clips", "read_number"]

_log = logging.getLogger(__name__)


def read_number(f: Fields, key: str) -> float:
    """A required JSON number (integer or fraction; booleans refused)."""
    value = f.data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        where = f"{f.path}.{key}" if f.path else key
        raise PayloadError(f"expected a number, got {type(value).__name__}", field=where)
    return float(value)


class Clip(Keyed):
    """A clip.

    Attributes:
        id: The clip id.
        url: The clip's URL.
        embed_url: URL for an iframe.
        broadcaster: The channel it was clipped from (id and display name).
        creator: Who clipped it (id and display name).
        video_id: The VOD it came from, or None when unavailable (Twitch sends ``""``).
        game_id: The category, or None.
        language: ISO 639-1 code (or ``other``), or None.
        title: The title.
        view_count: Views.
        created_at: When it was clipped.
        thumbnail_url: Thumbnail URL.
        duration: Length in seconds (0.1 s precision).
        vod_offset: Offset in the VOD in seconds, or None.
        is_featured: Whether it is featured (False if the field is absent).
    """

    __slots__ = (
        "broadcaster",
        "created_at",
        "creator",
        "duration",
        "embed_url",
        "game_id",
        "id",
        "is_featured",
        "language",
        "thumbnail_url",
        "title",
        "url",
        "video_id",
        "view_count",
        "vod_offset",
    )

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = Fields(data, "clip")
        self.id = f.id("id")
        self.url = f.text("url")
        self.embed_url = f.text("embed_url")
        self.broadcaster = partial_user(http, f, "broadcaster")
        self.creator = partial_user(http, f, "creator")
        self.video_id = f.opt_id("video_id")
        self.game_id = f.opt_id("game_id")
        self.language = f.opt_text("language")
        self.title = f.text("title")
        self.view_count = f.integer("view_count")
        self.created_at: datetime = f.time("created_at")
        self.thumbnail_url = f.text("thumbnail_url")
        self.duration = read_number(f, "duration")
        self.vod_offset = f.opt_integer("vod_offset")
        self.is_featured = bool(f.opt_flag("is_featured", False))

    def _key(self) -> Any:
        return self.id

    def __repr__(self) -> str:
        return f"<Clip id={self.id!r} title={self.title!r} views={self.view_count}>"


def fetch_clips(
    http: HTTPHandler,
    *,
    broadcaster_id: str | None = None,
    game_id: str | None = None,
    ids: Sequence[str] | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    is_featured: bool | None = None,
    limit: int | None = None,
    page_size_: int | None = None,
    user: BaseUser | None = None,
    name: str = "Client.fetch_clips",
) -> HTTPAwaitableAsyncIterator[Clip]:
    """Get Clips by exactly one of ``broadcaster_id``, ``game_id`` and ``ids`` (<= 100)."""
    chosen = [x for x in (broadcaster_id, game_id, ids) if x is not None]
    if len(chosen) != 1:
        raise ValueError("give exactly one of broadcaster_id, game_id and ids")
    if ids is not None:
        EXTRA_LIMITS["clip_ids"].check(ids)
    route = Route(
        "GET",
        "clips",
        params={
            "broadcaster_id": broadcaster_id,
            "game_id": game_id,
            "id": list(ids or ()),
            "started_at": format_timestamp(started_at) if started_at else None,
            "ended_at": format_timestamp(ended_at) if ended_at else None,
            "is_featured": is_featured,
        },
    )
    return HTTPAwaitableAsyncIterator(
        http,
        route,
        lambda item: Clip(http, item),
        page_size=page_size("clips_page_size", page_size_),
        limit=limit,
        user=user,
        scopes=EXTRA_SCOPES[name],
        name=name,
    )
