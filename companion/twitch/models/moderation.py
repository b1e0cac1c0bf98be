"""Moderation: AutoMod checks, bans (UserBan, BanEvent), moderators and their changes (ModEvent).

The seed's BanEvent and ModEvent were fed by Helix "events" endpoints that Twitch removed
(``moderation/banned/events``, ``moderation/moderators/events``). Here BanEvent comes from the
Ban User response and from the EventSub ``channel.ban``/``channel.unban`` events; ModEvent from
EventSub ``channel.moderator.add``/``channel.moderator.remove``.
"""

from __future__ import annotations

import enum
import logging
from typing import TYPE_CHECKING, Any, Self

from ..http import Route
from ..iterators import HTTPAwaitableAsyncIterator
from ._extra_common import EXTRA_LIMITS, EXTRA_SCOPES, Keyed, page_size, partial_user
from ._payload import Fields, data_list, one_item
from .users import PartialUser

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ..http import HTTPHandler
    from .users import BaseUser

__all__ = [
    "AutomodCheckMessage",
    "AutomodCheckResponse",
    "BanEvent",
    "ModEvent",
    "ModEventEnum",
    "UserBan",
]

_log = logging.getLogger(__name__)


class AutomodCheckMessage:
    """A message to run past AutoMod (Check AutoMod Status).

    Args:
        id: Your id for the message; the response carries it back.
        text: The message text.
        user: Who would send it. Kept for the seed's signature: the current endpoint only takes
            ``msg_id`` and ``msg_text`` (the old ``user_id`` field is gone), so it is not sent.
    """

    __slots__ = ("id", "text", "user")

    def __init__(self, id: str, text: str, user: PartialUser | int | str | None = None) -> None:
        self.id = id
        self.text = text
        self.user = user

    def to_payload(self) -> dict[str, str]:
        """The request item ``{"msg_id", "msg_text"}``."""
        return {"msg_id": self.id, "msg_text": self.text}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AutomodCheckMessage):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<AutomodCheckMessage id={self.id!r}>"


class AutomodCheckResponse(Keyed):
    """AutoMod's verdict on one message.

    Attributes:
        id: The ``msg_id`` you sent.
        permitted: True if Twitch would let the message through.
    """

    __slots__ = ("id", "permitted")

    def __init__(self, data: Any) -> None:
        f = Fields(data, "automod")
        self.id = f.text("msg_id")
        self.permitted = f.flag("is_permitted")

    def _key(self) -> Any:
        return self.id

    def __repr__(self) -> str:
        return f"<AutomodCheckResponse id={self.id!r} permitted={self.permitted}>"


class UserBan(PartialUser):
    """A banned user or one in a timeout (Get Banned Users); has every PartialUser method.

    Attributes:
        broadcaster: The channel.
        created_at: When the ban or timeout was placed.
        expires_at: When the timeout ends; None for a ban (Twitch sends ``""``).
        reason: The reason given, or None.
        moderator: Who banned the user.
    """

    __slots__ = ("broadcaster", "created_at", "expires_at", "moderator", "reason")

    def __init__(self, http: HTTPHandler, data: Any, broadcaster: PartialUser) -> None:
        f = Fields(data, "ban")
        super().__init__(
            http, f.id("user_id"), login=f.opt_text("user_login"), name=f.opt_text("user_name")
        )
        self.broadcaster = broadcaster
        self.created_at: datetime = f.time("created_at")
        self.expires_at = f.opt_time("expires_at")
        self.reason = f.opt_text("reason")
        self.moderator = partial_user(http, f, "moderator")

    def __repr__(self) -> str:
        return f"<UserBan id={self.id!r} login={self.login!r} expires_at={self.expires_at}>"

    async def delete(self, moderator: BaseUser | None = None) -> None:
        """Lift this ban or timeout (Unban User).

        Args:
            moderator: Whose token to use and send as ``moderator_id`` (default: the
                broadcaster, whose token fetched this ban).
        """
        await unban_user(self._http, self.broadcaster, self.id, moderator, name="UserBan.delete")


class BanEvent(Keyed):
    """A user banned, timed out or unbanned.

    Built from the Ban User response (``end_time`` is the timeout's end) or, with
    :meth:`from_eventsub`, from EventSub ``channel.ban`` / ``channel.unban``; the old Helix
    ban-events endpoint no longer exists.

    Attributes:
        broadcaster: The channel.
        user: The user banned or unbanned.
        moderator: Who did it.
        timestamp: When it happened (``created_at``/``banned_at``, or the message time for
            ``channel.unban``, which carries none); None if unknown.
        expires_at: When a timeout ends; None for a permanent ban or an unban.
        banned: False for an unban.
        reason: The reason, if any.
    """

    __slots__ = ("banned", "broadcaster", "expires_at", "moderator", "reason", "timestamp", "user")

    def __init__(
        self, http: HTTPHandler, data: Any, broadcaster: PartialUser | None = None
    ) -> None:
        f = Fields(data, "ban")
        self.broadcaster = broadcaster or partial_user(http, f, "broadcaster")
        self.user = partial_user(http, f, "user")
        self.moderator = partial_user(http, f, "moderator")
        self.timestamp: datetime | None = f.time("created_at")
        self.expires_at = f.opt_time("end_time")
        self.banned = True
        self.reason = f.opt_text("reason")

    @classmethod
    def from_eventsub(
        cls, http: HTTPHandler, event: Any, *, timestamp: datetime | None = None
    ) -> Self:
        """Build from a ``channel.ban`` or ``channel.unban`` event.

        Args:
            http: The HTTP handler.
            event: The ``payload.event`` object.
            timestamp: The notification's ``message_timestamp`` (used when the event has no
                ``banned_at``, as ``channel.unban`` has not).
        """
        f = Fields(event, "event")
        ban = cls.__new__(cls)
        ban.broadcaster = partial_user(http, f, "broadcaster", eventsub=True)
        ban.user = partial_user(http, f, "user", eventsub=True)
        ban.moderator = partial_user(http, f, "moderator", eventsub=True)
        ban.banned = f.has("banned_at") or f.has("is_permanent")
        ban.timestamp = f.opt_time("banned_at") or timestamp
        ban.expires_at = f.opt_time("ends_at")
        ban.reason = f.opt_text("reason")
        return ban

    def _key(self) -> Any:
        return (self.broadcaster.id, self.user.id, self.banned, self.timestamp)

    def __repr__(self) -> str:
        return f"<BanEvent user={self.user.id!r} banned={self.banned} expires_at={self.expires_at}>"


class ModEventEnum(enum.Enum):
    """What happened to the moderator."""

    moderator_added = "channel.moderator.add"
    moderator_removed = "channel.moderator.remove"


class ModEvent(Keyed):
    """A moderator added or removed, from EventSub ``channel.moderator.add``/``.remove``.

    The Helix add/remove endpoints answer 204 without a body, and the old moderator-events
    endpoint is gone, so the EventSub notification is the one source.

    Args:
        http: The HTTP handler.
        data: The ``payload.event`` object.
        broadcaster: The channel (read from the event if None).
        type: Which of the two subscription types delivered it.
        timestamp: The notification's ``message_timestamp``.

    Attributes:
        type: :class:`ModEventEnum`.
        timestamp: When it happened.
        broadcaster: The channel.
        user: The user added or removed as moderator.
    """

    __slots__ = ("broadcaster", "timestamp", "type", "user")

    def __init__(
        self,
        http: HTTPHandler,
        data: Any,
        broadcaster: PartialUser | None = None,
        *,
        type: ModEventEnum,  # the seed's attribute name
        timestamp: datetime,
    ) -> None:
        f = Fields(data, "event")
        self.broadcaster = broadcaster or partial_user(http, f, "broadcaster", eventsub=True)
        self.user = partial_user(http, f, "user", eventsub=True)
        self.type = type
        self.timestamp = timestamp

    @classmethod
    def from_notification(cls, http: HTTPHandler, message: Any) -> Self:
        """Build from a whole EventSub WebSocket notification message.

        Raises:
            PayloadError: Not a moderator add/remove notification, or a malformed one.
        """
        from ..errors import PayloadError

        f = Fields(message, "message")
        meta = f.obj("metadata")
        kind = meta.text("subscription_type")
        try:
            which = ModEventEnum(kind)
        except ValueError:
            raise PayloadError(f"not a moderator event: {kind!r}", field="metadata") from None
        return cls(
            http,
            f.obj("payload").obj("event").data,
            type=which,
            timestamp=meta.time("message_timestamp"),
        )

    def _key(self) -> Any:
        return (self.broadcaster.id, self.user.id, self.type, self.timestamp)

    def __repr__(self) -> str:
        return f"<ModEvent type={self.type.name} user={self.user.id!r}>"


# -- requests --------------------------------------------------------------------------------


def fetch_bans(
    http: HTTPHandler,
    broadcaster: PartialUser,
    user_ids: Sequence[str] | None = None,
    *,
    limit: int | None = None,
    page_size_: int | None = None,
    after: str | None = None,
) -> HTTPAwaitableAsyncIterator[UserBan]:
    """Get Banned Users (``user_ids``: at most 100)."""
    if user_ids is not None:
        EXTRA_LIMITS["banned_user_ids"].check(user_ids)
    name = "PartialUser.fetch_bans"
    route = Route(
        "GET",
        "moderation/banned",
        params={"broadcaster_id": broadcaster.id, "user_id": list(user_ids or ())},
    )
    return HTTPAwaitableAsyncIterator(
        http,
        route,
        lambda item: UserBan(http, item, broadcaster),
        page_size=page_size("banned_page_size", page_size_),
        limit=limit,
        cursor=after,
        user=broadcaster,
        scopes=EXTRA_SCOPES[name],
        name=name,
    )


def fetch_moderators(
    http: HTTPHandler,
    broadcaster: PartialUser,
    user_ids: Sequence[str] | None = None,
    *,
    limit: int | None = None,
    page_size_: int | None = None,
    after: str | None = None,
) -> HTTPAwaitableAsyncIterator[PartialUser]:
    """Get Moderators (``user_ids``: at most 100; only those who moderate come back).

    The seed has no moderator class (its ModEvent is a change); each moderator is a
    PartialUser, as ModEvent's ``user`` is.
    """
    if user_ids is not None:
        EXTRA_LIMITS["moderator_user_ids"].check(user_ids)
    name = "PartialUser.fetch_moderators"
    route = Route(
        "GET",
        "moderation/moderators",
        params={"broadcaster_id": broadcaster.id, "user_id": list(user_ids or ())},
    )
    return HTTPAwaitableAsyncIterator(
        http,
        route,
        lambda item: partial_user(http, Fields(item, "data[]"), "user"),
        page_size=page_size("moderators_page_size", page_size_),
        limit=limit,
        cursor=after,
        user=broadcaster,
        scopes=EXTRA_SCOPES[name],
        name=name,
    )


async def ban_user(
    http: HTTPHandler,
    broadcaster: PartialUser,
    user_id: str,
    *,
    reason: str | None = None,
    duration: int | None = None,
    moderator: BaseUser | None = None,
) -> BanEvent:
    """Ban User (``duration`` in seconds makes it a timeout, 1 s to 2 weeks)."""
    if reason is not None:
        EXTRA_LIMITS["ban_reason"].check(reason)
    if duration is not None:
        EXTRA_LIMITS["timeout_duration"].check(duration)
    mod = moderator or broadcaster
    item: dict[str, Any] = {"user_id": str(user_id)}
    if duration is not None:
        item["duration"] = duration
    if reason is not None:
        item["reason"] = reason
    name = "PartialUser.ban_user"
    route = Route(
        "POST",
        "moderation/bans",
        params={"broadcaster_id": broadcaster.id, "moderator_id": mod.id},
        json={"data": item},
    )
    body = await http.request(route, user=mod, scopes=EXTRA_SCOPES[name], name=name)
    return BanEvent(http, one_item(body, "ban").data, broadcaster)


async def unban_user(
    http: HTTPHandler,
    broadcaster: PartialUser,
    user_id: str,
    moderator: BaseUser | None = None,
    *,
    name: str = "PartialUser.unban_user",
) -> None:
    """Unban User (204)."""
    mod = moderator or broadcaster
    route = Route(
        "DELETE",
        "moderation/bans",
        params={"broadcaster_id": broadcaster.id, "moderator_id": mod.id, "user_id": user_id},
    )
    await http.request(route, user=mod, scopes=EXTRA_SCOPES[name], name=name)


async def check_automod_status(
    http: HTTPHandler, broadcaster: PartialUser, messages: Sequence[AutomodCheckMessage]
) -> list[AutomodCheckResponse]:
    """Check AutoMod Status for 1-100 messages."""
    EXTRA_LIMITS["automod_messages"].check(messages)
    name = "PartialUser.check_automod_status"
    route = Route(
        "POST",
        "moderation/enforcements/status",
        params={"broadcaster_id": broadcaster.id},
        json={"data": [m.to_payload() for m in messages]},
    )
    body = await http.request(route, user=broadcaster, scopes=EXTRA_SCOPES[name], name=name)
    return [AutomodCheckResponse(item.data) for item in data_list(body, "automod")]
