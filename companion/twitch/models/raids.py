"""Raids (Start a raid, Cancel a raid)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..http import Route
from ._extra_common import EXTRA_SCOPES, Keyed
from ._payload import Fields, one_item

if TYPE_CHECKING:
    from datetime import datetime

    from ..http import HTTPHandler
    from .users import PartialUser

__all__ = ["Raid", "cancel_raid", "start_raid"]

_log = logging.getLogger(__name__)


class Raid(Keyed):
    """A pending raid.

    Attributes:
        created_at: When the raid was requested.
        is_mature: Deprecated by Twitch (always false); kept as read, False if absent.
    """

    __slots__ = ("created_at", "is_mature")

    def __init__(self, data: Any) -> None:
        f = Fields(data, "raid")
        self.created_at: datetime = f.time("created_at")
        self.is_mature = bool(f.opt_flag("is_mature", False))

    def _key(self) -> Any:
        return self.created_at

    def __repr__(self) -> str:
        return f"<Raid created_at={self.created_at}>"


async def start_raid(http: HTTPHandler, broadcaster: PartialUser, to_broadcaster_id: str) -> Raid:
    """Start a raid from ``broadcaster`` to ``to_broadcaster_id``."""
    name = "PartialUser.start_raid"
    route = Route(
        "POST",
        "raids",
        params={"from_broadcaster_id": broadcaster.id, "to_broadcaster_id": to_broadcaster_id},
    )
    body = await http.request(route, user=broadcaster, scopes=EXTRA_SCOPES[name], name=name)
    return Raid(one_item(body, "raid").data)


async def cancel_raid(http: HTTPHandler, broadcaster: PartialUser) -> None:
    """Cancel the pending raid (404 :class:`NotFound` when there is none)."""
    name = "PartialUser.cancel_raid"
    route = Route("DELETE", "raids", params={"broadcaster_id": broadcaster.id})
    await http.request(route, user=broadcaster, scopes=EXTRA_SCOPES[name], name=name)
