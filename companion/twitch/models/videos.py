"""Videos (Get Videos, Delete Videos)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from ..errors import PayloadError
from ..http import Route
from ..iterators import HTTPAwaitableAsyncIterator
from ._extra_common import EXTRA_LIMITS, EXTRA_SCOPES, Keyed, page_size, partial_user
from ._payload import Fields

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from ..http import HTTPHandler, ParamValue
    from .users import BaseUser, PartialUser, User

__all__ = ["MutedSegment", "Video", "delete_videos", "fetch_videos"]

_log = logging.getLogger(__name__)

#: "You can delete a maximum of 5 videos per request" (Delete Videos, helix-openapi.json).
DELETE_BATCH = EXTRA_LIMITS["delete_video_ids"].maximum or 5


class _LookupRoute(Route):
    """A Get Videos by id route: Twitch takes ``first``/``after`` only with ``user_id`` or
    ``game_id``, so the paginator's page parameters are left out."""

    __slots__ = ()

    def replace_params(self, **params: ParamValue) -> Route:
        params.pop("first", None)
        params.pop("after", None)
        return super().replace_params(**params)


class MutedSegment(Keyed):
    """A stretch muted by Twitch's audio recognition.

    Attributes:
        offset: Seconds from the start of the video.
        duration: Length in seconds.
    """

    __slots__ = ("duration", "offset")

    def __init__(self, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "muted_segment")
        self.duration = f.integer("duration")
        self.offset = f.integer("offset")

    def _key(self) -> Any:
        return (self.offset, self.duration)

    def __repr__(self) -> str:
        return f"<MutedSegment offset={self.offset} duration={self.duration}>"


class Video(Keyed):
    """A video.

    Attributes:
        id: The video id.
        stream_id: The stream it archives (``archive`` videos), else None.
        user: The owner.
        title: The title.
        description: The description, or None.
        created_at: When it was created.
        published_at: When it was published.
        url: Its URL.
        thumbnail_url: Template URL with ``%{width}``/``%{height}``.
        viewable: Always ``public`` per Twitch.
        view_count: Views.
        language: ISO 639-1 code, or None.
        type: ``archive``, ``highlight`` or ``upload``.
        duration: ISO 8601-ish length such as ``3m21s``.
        muted_segments: Muted stretches (empty when none).
    """

    __slots__ = (
        "_http",
        "created_at",
        "description",
        "duration",
        "id",
        "language",
        "muted_segments",
        "published_at",
        "stream_id",
        "thumbnail_url",
        "title",
        "type",
        "url",
        "user",
        "view_count",
        "viewable",
    )

    def __init__(
        self, http: HTTPHandler, data: Any, user: PartialUser | User | None = None
    ) -> None:
        self._http = http
        f = Fields(data, "video")
        self.id = f.id("id")
        self.stream_id = f.opt_id("stream_id")
        self.user = user or partial_user(http, f, "user")
        self.title = f.text("title")
        self.description = f.opt_text("description")
        self.created_at: datetime = f.time("created_at")
        self.published_at: datetime = f.time("published_at")
        self.url = f.text("url")
        self.thumbnail_url = f.text("thumbnail_url")
        self.viewable = f.text("viewable")
        self.view_count = f.integer("view_count")
        self.language = f.opt_text("language")
        self.type = f.text("type")
        self.duration = f.text("duration")
        self.muted_segments = [
            MutedSegment(item) for item in f.items("muted_segments", required=False)
        ]

    async def delete(self, owner: BaseUser | None = None) -> None:
        """Delete this video (``owner``: whose token; default the video's user).

        Needs ``channel:manage:videos``.
        """
        await delete_videos(self._http, [self.id], owner or self.user, name="Video.delete")

    def _key(self) -> Any:
        return self.id

    def __repr__(self) -> str:
        return f"<Video id={self.id!r} type={self.type!r} title={self.title!r}>"


async def delete_videos(
    http: HTTPHandler,
    ids: Iterable[str],
    owner: BaseUser,
    *,
    name: str = "Client.delete_videos",
) -> list[str]:
    """Delete any number of videos, at most 5 ids per request; returns the ids deleted.

    Requests go one after another, so a failure stops the rest: the ids deleted before it
    are gone, the exception says which request failed.
    """
    wanted = list(dict.fromkeys(str(i) for i in ids))
    deleted: list[str] = []
    for start in range(0, len(wanted), DELETE_BATCH):
        batch = wanted[start : start + DELETE_BATCH]
        route = Route("DELETE", "videos", params={"id": batch})
        body = await http.request(route, user=owner, scopes=EXTRA_SCOPES[name], name=name)
        # The answer lists the ids deleted (unknown ids are ignored by Twitch, not listed).
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise PayloadError("expected a 'data' list of video ids", field="data")
        deleted.extend(str(x) for x in data if isinstance(x, str | int))
    return deleted


def fetch_videos(
    http: HTTPHandler,
    *,
    ids: Iterable[str] | None = None,
    user_id: str | None = None,
    game_id: str | None = None,
    language: str | None = None,
    period: Literal["all", "day", "month", "week"] | None = None,
    sort: Literal["time", "trending", "views"] | None = None,
    type: Literal["all", "archive", "highlight", "upload"] | None = None,
    limit: int | None = None,
    page_size_: int | None = None,
    user: BaseUser | None = None,
    name: str = "Client.fetch_videos",
) -> HTTPAwaitableAsyncIterator[Video]:
    """Get Videos by exactly one of ``ids`` (<= 100), ``user_id`` and ``game_id``."""
    id_list = list(ids) if ids is not None else None
    chosen = [x for x in (id_list, user_id, game_id) if x is not None]
    if len(chosen) != 1:
        raise ValueError("give exactly one of ids, user_id and game_id")
    if id_list is not None:
        EXTRA_LIMITS["video_ids"].check(id_list)
    route = (_LookupRoute if id_list is not None else Route)(
        "GET",
        "videos",
        params={
            "id": id_list or [],
            "user_id": user_id,
            "game_id": game_id,
            "language": language,
            "period": period,
            "sort": sort,
            "type": type,
        },
    )
    size = page_size("videos_page_size", page_size_)
    return HTTPAwaitableAsyncIterator(
        http,
        route,
        lambda item: Video(http, item),
        page_size=size,
        limit=limit,
        user=user,
        scopes=EXTRA_SCOPES[name],
        name=name,
    )
