"""Streams and channel information (minimal: what the app's header shows)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..http import Route
from ..scopes import SCOPES
from . import users
from ._payload import Fields, data_list

if TYPE_CHECKING:
    from datetime import datetime

    from ..http import HTTPHandler

__all__ = ["ChannelInfo", "Stream"]

_log = logging.getLogger(__name__)


class Stream:
    """A live stream (Get Streams).

    Attributes:
        id: The stream id.
        user: The broadcaster.
        game_id: Category id, or None.
        game_name: Category name, or None.
        type: ``live`` (or None on error, as Twitch documents ``""``).
        title: The stream title.
        viewer_count: Viewers now.
        started_at: When the stream went live.
        language: ISO 639-1 code, or None.
        thumbnail_url: Template URL with ``{width}``/``{height}``.
        tags: Tags.
    """

    __slots__ = (
        "game_id",
        "game_name",
        "id",
        "language",
        "started_at",
        "tags",
        "thumbnail_url",
        "title",
        "type",
        "user",
        "viewer_count",
    )

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = Fields(data, "stream")
        self.id = f.id("id")
        self.user = users.PartialUser.from_fields(http, f, "user")
        self.game_id = f.opt_id("game_id")
        self.game_name = f.opt_text("game_name")
        self.type = f.opt_text("type")
        self.title = f.text("title")
        self.viewer_count = f.integer("viewer_count")
        self.started_at: datetime = f.time("started_at")
        self.language = f.opt_text("language")
        self.thumbnail_url = f.opt_text("thumbnail_url")
        self.tags = f.texts("tags")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stream):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Stream id={self.id!r} user={self.user.id!r} viewers={self.viewer_count}>"


class ChannelInfo:
    """A channel's information (Get Channel Information).

    Attributes:
        user: The broadcaster.
        language: Broadcast language, or None.
        game_id: Category id, or None.
        game_name: Category name, or None.
        title: Stream title.
        delay: Broadcast delay in seconds.
        tags: Tags.
        classification_labels: Content classification labels.
        is_branded_content: Whether the channel marks branded content.
    """

    __slots__ = (
        "classification_labels",
        "delay",
        "game_id",
        "game_name",
        "is_branded_content",
        "language",
        "tags",
        "title",
        "user",
    )

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = Fields(data, "channel")
        self.user = users.PartialUser.from_fields(http, f, "broadcaster")
        self.language = f.opt_text("broadcaster_language")
        self.game_id = f.opt_id("game_id")
        self.game_name = f.opt_text("game_name")
        self.title = f.text("title")
        self.delay = f.opt_integer("delay") or 0
        self.tags = f.texts("tags")
        self.classification_labels = f.texts("content_classification_labels")
        self.is_branded_content = bool(f.opt_flag("is_branded_content", False))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChannelInfo):
            return NotImplemented
        return self.user.id == other.user.id

    def __hash__(self) -> int:
        return hash(self.user.id)

    def __repr__(self) -> str:
        return f"<ChannelInfo user={self.user.id!r} title={self.title!r}>"


async def fetch_channel_info(http: HTTPHandler, user: users.PartialUser) -> ChannelInfo:
    """Get Channel Information for one broadcaster, with the user's token.

    Raises:
        NotFound: Twitch returned no channel for the id.
    """
    name = "PartialUser.fetch_channel_info"
    route = Route("GET", "channels", params={"broadcaster_id": user.id})
    data = await http.request(route, user=user, scopes=SCOPES[name], name=name)
    items = data_list(data, "response")
    if not items:
        raise NotFound(404, route, data, f"no channel with id {user.id}")
    return ChannelInfo(http, items[0])
