"""Stream markers (Create Stream Marker, Get Stream Markers)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..http import Route
from ._extra_common import EXTRA_LIMITS, EXTRA_SCOPES, Keyed, page_size, partial_user
from ._payload import Fields, data_list, one_item

if TYPE_CHECKING:
    from datetime import datetime

    from ..http import HTTPHandler
    from .users import PartialUser

__all__ = ["Marker", "create_marker", "fetch_markers"]

_log = logging.getLogger(__name__)


class Marker(Keyed):
    """A stream marker.

    Attributes:
        id: The marker id (the documented Create example sends an integer; read as text).
        created_at: When it was created.
        description: The description, or None.
        position: Seconds from the start of the stream.
        url: Link into Twitch Highlighter (Get Stream Markers only), else None.
        video_id: The video holding it (Get Stream Markers only), else None.
        user: Who created it (Get Stream Markers only), else None.
    """

    __slots__ = ("created_at", "description", "id", "position", "url", "user", "video_id")

    def __init__(
        self,
        data: Any,
        *,
        video_id: str | None = None,
        user: PartialUser | None = None,
    ) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "marker")
        self.id = f.id("id")
        self.created_at: datetime = f.time("created_at")
        self.description = f.opt_text("description")
        self.position = f.integer("position_seconds")
        # The documented Get Stream Markers example spells the key "URL"; the schema "url".
        self.url = f.opt_text("url") or f.opt_text("URL")
        self.video_id = video_id
        self.user = user

    def _key(self) -> Any:
        return self.id

    def __repr__(self) -> str:
        return f"<Marker id={self.id!r} position={self.position}>"


async def create_marker(
    http: HTTPHandler, broadcaster: PartialUser, description: str | None = None
) -> Marker:
    """Create Stream Marker on the live stream (description <= 140 characters)."""
    if description is not None:
        EXTRA_LIMITS["marker_description"].check(description)
    body: dict[str, str] = {"user_id": broadcaster.id}
    if description is not None:
        body["description"] = description
    name = "PartialUser.create_marker"
    route = Route("POST", "streams/markers", json=body)
    answer = await http.request(route, user=broadcaster, scopes=EXTRA_SCOPES[name], name=name)
    return Marker(one_item(answer, "marker"))


def _markers_of(http: HTTPHandler, group: Fields) -> list[Marker]:
    user = partial_user(http, group, "user")
    out: list[Marker] = []
    for video in group.items("videos"):
        video_id = video.id("video_id")
        out.extend(Marker(m, video_id=video_id, user=user) for m in video.items("markers"))
    return out


async def fetch_markers(
    http: HTTPHandler,
    broadcaster: PartialUser,
    video_id: str | None = None,
    *,
    page_size_: int | None = None,
    max_pages: int = 10,
) -> list[Marker]:
    """Get Stream Markers of the latest video of ``broadcaster``, or of ``video_id``.

    Twitch groups markers by user and video; the list here is flat (each marker says its
    video and user). At most ``max_pages`` pages are read.
    """
    name = "PartialUser.fetch_markers"
    params = {"video_id": video_id} if video_id else {"user_id": broadcaster.id}
    route = Route("GET", "streams/markers", params=params)
    size = page_size("markers_page_size", page_size_)
    cursor: str | None = None
    out: list[Marker] = []
    for _ in range(max_pages):
        page = route.replace_params(first=size, after=cursor)
        body = await http.request(page, user=broadcaster, scopes=EXTRA_SCOPES[name], name=name)
        for group in data_list(body, "markers"):
            out.extend(_markers_of(http, group))
        pagination = Fields(body, "").opt_obj("pagination")
        cursor = pagination.opt_text("cursor") if pagination is not None else None
        if cursor is None:
            break
    return out
