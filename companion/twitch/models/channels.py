"""Twitch Teams: the teams a channel belongs to (ChannelTeams) and a team (Team).

``ChannelInfo`` and ``Stream`` live in :mod:`.streams` (the core's module); not repeated here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..http import Route
from ._extra_common import EXTRA_SCOPES, Keyed, partial_user
from ._payload import Fields, data_list

if TYPE_CHECKING:
    from datetime import datetime

    from ..http import HTTPHandler
    from .users import BaseUser, PartialUser

__all__ = ["ChannelTeams", "Team"]

_log = logging.getLogger(__name__)


class _TeamBase(Keyed):
    __slots__ = (
        "background_image_url",
        "banner",
        "created_at",
        "display_name",
        "id",
        "info",
        "name",
        "thumbnail_url",
        "updated_at",
    )

    def _read_team(self, f: Fields) -> None:
        self.id = f.id("id")
        self.name = f.text("team_name")
        self.display_name = f.text("team_display_name")
        # The documented example sends null for both although the schema says string.
        self.background_image_url = f.opt_text("background_image_url")
        self.banner = f.opt_text("banner")
        self.info = f.opt_text("info")
        self.thumbnail_url = f.opt_text("thumbnail_url")
        self.created_at: datetime = f.time("created_at")
        self.updated_at: datetime = f.time("updated_at")

    def _key(self) -> Any:
        return self.id


class ChannelTeams(_TeamBase):
    """A team the broadcaster is a member of (Get Channel Teams).

    Attributes:
        broadcaster: The member channel.
        id: The team id.
        name: The team's name (``livecoders``).
        display_name: Its display name.
        background_image_url: Background image URL, or None.
        banner: Banner URL, or None.
        info: Description (may hold HTML), or None.
        thumbnail_url: Logo thumbnail URL, or None.
        created_at: When the team was created.
        updated_at: When the team was last updated.
    """

    __slots__ = ("broadcaster",)

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = Fields(data, "team")
        self.broadcaster = partial_user(http, f, "broadcaster")
        self._read_team(f)

    def __repr__(self) -> str:
        return (
            f"<ChannelTeams id={self.id!r} name={self.name!r} broadcaster={self.broadcaster.id!r}>"
        )


class Team(_TeamBase):
    """A Twitch Team with its members (Get Teams).

    Attributes:
        users: The members.
        id, name, display_name, background_image_url, banner, info, thumbnail_url,
        created_at, updated_at: As on :class:`ChannelTeams`.
    """

    __slots__ = ("users",)

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = Fields(data, "team")
        self.users = [partial_user(http, member, "user") for member in f.items("users")]
        self._read_team(f)

    def __repr__(self) -> str:
        return f"<Team id={self.id!r} name={self.name!r} users={len(self.users)}>"


async def fetch_channel_teams(http: HTTPHandler, broadcaster: PartialUser) -> list[ChannelTeams]:
    """Get Channel Teams."""
    name = "PartialUser.fetch_channel_teams"
    route = Route("GET", "teams/channel", params={"broadcaster_id": broadcaster.id})
    body = await http.request(route, user=broadcaster, scopes=EXTRA_SCOPES[name], name=name)
    return [ChannelTeams(http, item.data) for item in data_list(body, "teams")]


async def fetch_team(
    http: HTTPHandler,
    *,
    name: str | None = None,
    team_id: str | None = None,
    target: BaseUser | None = None,
) -> Team | None:
    """Get Teams by ``name`` or ``team_id`` (exactly one); None if the answer is empty."""
    if (name is None) == (team_id is None):
        raise ValueError("give exactly one of name and team_id")
    method = "Client.fetch_teams"
    route = Route("GET", "teams", params={"name": name, "id": team_id})
    body = await http.request(route, user=target, scopes=EXTRA_SCOPES[method], name=method)
    rows = data_list(body, "teams")
    return Team(http, rows[0].data) if rows else None
