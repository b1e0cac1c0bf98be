"""Follows: FollowEvent, from Get Channel Followers and EventSub ``channel.follow`` (v2).

The seed's source (the old ``users/follows`` endpoint) no longer exists; Get Channel Followers
(``GET /channels/followers``, ``moderator:read:followers``) and the EventSub ``channel.follow``
notification are the current sources. The documented WebSocket example is version 1; version 2
carries the same event fields (it only changed the condition and scope).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from ..http import Route
from ..iterators import HTTPAwaitableAsyncIterator
from ._extra_common import EXTRA_SCOPES, Keyed, page_size, partial_user
from ._payload import Fields

if TYPE_CHECKING:
    from datetime import datetime

    from ..http import HTTPHandler
    from .users import PartialUser, User

__all__ = ["FollowEvent", "fetch_followers"]

_log = logging.getLogger(__name__)


class FollowEvent(Keyed):
    """A user following a channel.

    Fed by Get Channel Followers (``GET /channels/followers``) and EventSub ``channel.follow``
    v2; the seed's source, the old ``users/follows`` endpoint, no longer exists.

    Args:
        http: The HTTP handler.
        data: One Get Channel Followers item (``user_*``, ``followed_at``).
        from_: The follower, if already known (else read from ``data``).
        to: The channel followed (required for Helix items, which do not name it).

    Attributes:
        from_user: The follower.
        to_user: The channel followed.
        followed_at: When the follow happened.
    """

    __slots__ = ("followed_at", "from_user", "to_user")

    def __init__(
        self,
        http: HTTPHandler,
        data: Any,
        from_: User | PartialUser | None = None,
        to: User | PartialUser | None = None,
    ) -> None:
        f = Fields(data, "follow")
        self.from_user = from_ or partial_user(http, f, "user")
        self.to_user = to or partial_user(http, f, "broadcaster", eventsub=True)
        self.followed_at: datetime = f.time("followed_at")

    @classmethod
    def from_eventsub(cls, http: HTTPHandler, event: Any) -> Self:
        """Build from a ``channel.follow`` event (``payload.event``)."""
        f = Fields(event, "event")
        return cls(
            http,
            event,
            partial_user(http, f, "user"),
            partial_user(http, f, "broadcaster", eventsub=True),
        )

    def _key(self) -> Any:
        return (self.from_user.id, self.to_user.id, self.followed_at)

    def __repr__(self) -> str:
        return f"<FollowEvent from={self.from_user.id!r} to={self.to_user.id!r}>"


def fetch_followers(
    http: HTTPHandler,
    broadcaster: PartialUser,
    user_id: str | None = None,
    *,
    limit: int | None = None,
    page_size_: int | None = None,
    after: str | None = None,
) -> HTTPAwaitableAsyncIterator[FollowEvent]:
    """Get Channel Followers, most recent first (``user_id``: does this user follow?)."""
    name = "PartialUser.fetch_followers"
    route = Route(
        "GET",
        "channels/followers",
        params={"broadcaster_id": broadcaster.id, "user_id": user_id},
    )
    return HTTPAwaitableAsyncIterator(
        http,
        route,
        lambda item: FollowEvent(http, item, to=broadcaster),
        page_size=page_size("followers_page_size", page_size_),
        limit=limit,
        cursor=after,
        user=broadcaster,
        scopes=EXTRA_SCOPES[name],
        name=name,
    )
