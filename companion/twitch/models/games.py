"""Games and categories (Get Games)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..http import Route
from ._extra_common import EXTRA_LIMITS, EXTRA_SCOPES, Keyed
from ._payload import Fields, data_list

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..http import HTTPHandler
    from .users import BaseUser

__all__ = ["Game", "fetch_games"]

_log = logging.getLogger(__name__)


class Game(Keyed):
    """A game or category.

    Attributes:
        id: The category id.
        name: Its name.
        box_art_url: Template URL with a ``{width}x{height}`` placeholder.
        igdb_id: The IGDB id, or None (Twitch sends ``""`` when it has none).
    """

    __slots__ = ("box_art_url", "id", "igdb_id", "name")

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = Fields(data, "game")
        self.id = f.id("id")
        self.name = f.text("name")
        self.box_art_url = f.text("box_art_url")
        self.igdb_id = f.opt_id("igdb_id")

    def art_url(self, width: int, height: int) -> str:
        """The box art URL at ``width`` x ``height`` pixels.

        Raises:
            ValueError: A size is not a positive integer.
        """
        for size in (width, height):
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise ValueError("width and height must be positive integers")
        return self.box_art_url.replace("{width}", str(width)).replace("{height}", str(height))

    def _key(self) -> Any:
        return self.id

    def __repr__(self) -> str:
        return f"<Game id={self.id!r} name={self.name!r}>"


async def fetch_games(
    http: HTTPHandler,
    ids: Sequence[str] = (),
    names: Sequence[str] = (),
    igdb_ids: Sequence[str] = (),
    *,
    target: BaseUser | None = None,
) -> list[Game]:
    """Get Games by ids, exact names and IGDB ids (1-100 of them in all)."""
    EXTRA_LIMITS["game_lookups"].check([*ids, *names, *igdb_ids])
    name = "Client.fetch_games"
    route = Route(
        "GET",
        "games",
        params={"id": list(ids), "name": list(names), "igdb_id": list(igdb_ids)},
    )
    body = await http.request(route, user=target, scopes=EXTRA_SCOPES[name], name=name)
    return [Game(http, item.data) for item in data_list(body, "games")]
