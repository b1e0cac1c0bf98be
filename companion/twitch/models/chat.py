"""Chat: badges (ChatBadge, ChatBadgeVersion), settings (ChatSettings) and name colours."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..http import Route
from ._extra_common import CHAT_DELAY_VALUES, EXTRA_LIMITS, EXTRA_SCOPES, Keyed, partial_user
from ._payload import Fields, data_list, one_item

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..http import HTTPHandler
    from .users import BaseUser, PartialUser

__all__ = ["ChatBadge", "ChatBadgeVersion", "ChatSettings", "ChatterColor"]

_log = logging.getLogger(__name__)


class ChatBadgeVersion(Keyed):
    """One version of a chat badge.

    Attributes:
        id: The version id (for Bits, the tier).
        image_url_1x: 18 px image URL.
        image_url_2x: 36 px image URL.
        image_url_4x: 72 px image URL.
        title: The title.
        description: The description.
        click_action: What a click does, or None (documented as ``null`` when there is none).
        click_url: Where a click goes, or None.
    """

    __slots__ = (
        "click_action",
        "click_url",
        "description",
        "id",
        "image_url_1x",
        "image_url_2x",
        "image_url_4x",
        "title",
    )

    def __init__(self, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "version")
        self.id = f.id("id")
        self.image_url_1x = f.text("image_url_1x")
        self.image_url_2x = f.text("image_url_2x")
        self.image_url_4x = f.text("image_url_4x")
        self.title = f.text("title")
        self.description = f.text("description")
        self.click_action = f.opt_text("click_action")
        self.click_url = f.opt_text("click_url")

    def _key(self) -> Any:
        return self.id

    def __repr__(self) -> str:
        return f"<ChatBadgeVersion id={self.id!r} title={self.title!r}>"


class ChatBadge(Keyed):
    """A set of chat badges (Get Channel / Global Chat Badges).

    Attributes:
        set_id: The set (``bits``, ``subscriber``, ...).
        versions: The badges in this set.
    """

    __slots__ = ("set_id", "versions")

    def __init__(self, data: Any) -> None:
        f = Fields(data, "badge")
        self.set_id = f.id("set_id")
        self.versions = [ChatBadgeVersion(item) for item in f.items("versions")]

    def _key(self) -> Any:
        return self.set_id

    def __repr__(self) -> str:
        return f"<ChatBadge set_id={self.set_id!r} versions={len(self.versions)}>"


class ChatSettings(Keyed):
    """A channel's chat settings (Get / Update Chat Settings).

    Attributes:
        broadcaster: The channel (only the id is sent).
        emote_mode: Emote-only chat.
        follower_mode: Followers-only chat.
        follower_mode_duration: Minutes one must have followed; None when follower mode is off.
        slow_mode: Slow mode.
        slow_mode_wait_time: Seconds between messages; None when slow mode is off.
        subscriber_mode: Subscribers-only chat.
        unique_chat_mode: Unique messages only.
        moderator: The moderator whose token asked, if the answer says (id only).
        non_moderator_chat_delay: Whether messages are delayed; None unless a moderator asked.
        non_moderator_chat_delay_duration: The delay in seconds, or None.
    """

    __slots__ = (
        "broadcaster",
        "emote_mode",
        "follower_mode",
        "follower_mode_duration",
        "moderator",
        "non_moderator_chat_delay",
        "non_moderator_chat_delay_duration",
        "slow_mode",
        "slow_mode_wait_time",
        "subscriber_mode",
        "unique_chat_mode",
    )

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        from .users import PartialUser

        f = Fields(data, "chat_settings")
        self.broadcaster = PartialUser(http, f.id("broadcaster_id"))
        mod = f.opt_id("moderator_id")
        self.moderator = PartialUser(http, mod) if mod is not None else None
        self.emote_mode = f.flag("emote_mode")
        self.follower_mode = f.flag("follower_mode")
        self.follower_mode_duration = f.opt_integer("follower_mode_duration")
        self.slow_mode = f.flag("slow_mode")
        self.slow_mode_wait_time = f.opt_integer("slow_mode_wait_time")
        self.subscriber_mode = f.flag("subscriber_mode")
        self.unique_chat_mode = f.flag("unique_chat_mode")
        self.non_moderator_chat_delay = f.opt_flag("non_moderator_chat_delay")
        self.non_moderator_chat_delay_duration = f.opt_integer("non_moderator_chat_delay_duration")

    def _key(self) -> Any:
        return self.broadcaster.id

    def __repr__(self) -> str:
        return (
            f"<ChatSettings broadcaster={self.broadcaster.id!r} slow_mode={self.slow_mode} "
            f"follower_mode={self.follower_mode}>"
        )


class ChatterColor(Keyed):
    """The colour of a user's name in chat (Get User Chat Color).

    Attributes:
        user: The chatter.
        color: Hex colour, or None when the user never picked one (Twitch sends ``""``).
    """

    __slots__ = ("color", "user")

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = Fields(data, "chatter_color")
        self.user = partial_user(http, f, "user")
        self.color = f.opt_text("color")

    def _key(self) -> Any:
        return self.user.id

    def __repr__(self) -> str:
        return f"<ChatterColor user={self.user.id!r} color={self.color!r}>"


# -- requests --------------------------------------------------------------------------------


async def fetch_chat_badges(
    http: HTTPHandler, broadcaster: PartialUser | None, *, target: BaseUser | None = None
) -> list[ChatBadge]:
    """Get Channel Chat Badges (``broadcaster``) or Get Global Chat Badges (None)."""
    if broadcaster is not None:
        name = "PartialUser.fetch_chat_badges"
        route = Route("GET", "chat/badges", params={"broadcaster_id": broadcaster.id})
        user: BaseUser | None = broadcaster
    else:
        name = "Client.fetch_global_chat_badges"
        route = Route("GET", "chat/badges/global")
        user = target
    body = await http.request(route, user=user, scopes=EXTRA_SCOPES[name], name=name)
    return [ChatBadge(item.data) for item in data_list(body, "badges")]


def _one_settings(http: HTTPHandler, body: object) -> ChatSettings:
    return ChatSettings(http, one_item(body, "chat settings object").data)


async def fetch_chat_settings(
    http: HTTPHandler, broadcaster: PartialUser, moderator: BaseUser | None = None
) -> ChatSettings:
    """Get Chat Settings (a ``moderator`` also gets the non-moderator delay fields)."""
    name = "PartialUser.fetch_chat_settings"
    route = Route(
        "GET",
        "chat/settings",
        params={
            "broadcaster_id": broadcaster.id,
            "moderator_id": moderator.id if moderator else None,
        },
    )
    body = await http.request(
        route, user=moderator or broadcaster, scopes=EXTRA_SCOPES[name], name=name
    )
    return _one_settings(http, body)


async def update_chat_settings(
    http: HTTPHandler,
    broadcaster: PartialUser,
    moderator: BaseUser | None = None,
    *,
    emote_mode: bool | None = None,
    follower_mode: bool | None = None,
    follower_mode_duration: int | None = None,
    non_moderator_chat_delay: bool | None = None,
    non_moderator_chat_delay_duration: int | None = None,
    slow_mode: bool | None = None,
    slow_mode_wait_time: int | None = None,
    subscriber_mode: bool | None = None,
    unique_chat_mode: bool | None = None,
) -> ChatSettings:
    """Update Chat Settings; only the arguments given are sent.

    A duration given without its mode switches the mode on (Twitch requires the mode field
    with its value).

    Raises:
        LimitError: A duration is outside Twitch's documented range.
        ValueError: A duration is given with its mode set to False.
    """
    if slow_mode_wait_time is not None:
        EXTRA_LIMITS["slow_mode_wait_time"].check(slow_mode_wait_time)
        if slow_mode is False:
            raise ValueError("slow_mode_wait_time needs slow_mode on")
        slow_mode = True
    if follower_mode_duration is not None:
        EXTRA_LIMITS["follower_mode_duration"].check(follower_mode_duration)
        if follower_mode is False:
            raise ValueError("follower_mode_duration needs follower_mode on")
        follower_mode = True
    if non_moderator_chat_delay_duration is not None:
        if non_moderator_chat_delay_duration not in CHAT_DELAY_VALUES:
            raise ValueError(
                f"non_moderator_chat_delay_duration must be one of {CHAT_DELAY_VALUES}"
            )
        if non_moderator_chat_delay is False:
            raise ValueError("non_moderator_chat_delay_duration needs non_moderator_chat_delay on")
        non_moderator_chat_delay = True
    given = {
        "emote_mode": emote_mode,
        "follower_mode": follower_mode,
        "follower_mode_duration": follower_mode_duration,
        "non_moderator_chat_delay": non_moderator_chat_delay,
        "non_moderator_chat_delay_duration": non_moderator_chat_delay_duration,
        "slow_mode": slow_mode,
        "slow_mode_wait_time": slow_mode_wait_time,
        "subscriber_mode": subscriber_mode,
        "unique_chat_mode": unique_chat_mode,
    }
    body = {key: value for key, value in given.items() if value is not None}
    mod = moderator or broadcaster
    name = "PartialUser.update_chat_settings"
    route = Route(
        "PATCH",
        "chat/settings",
        params={"broadcaster_id": broadcaster.id, "moderator_id": mod.id},
        json=body,
    )
    answer = await http.request(route, user=mod, scopes=EXTRA_SCOPES[name], name=name)
    return _one_settings(http, answer)


async def fetch_chatters_colors(
    http: HTTPHandler, user_ids: Sequence[str], *, target: BaseUser | None = None
) -> list[ChatterColor]:
    """Get User Chat Color for 1-100 users (unknown ids are left out by Twitch)."""
    EXTRA_LIMITS["chat_color_user_ids"].check(user_ids)
    name = "Client.fetch_chatters_colors"
    route = Route("GET", "chat/color", params={"user_id": [str(u) for u in user_ids]})
    body = await http.request(route, user=target, scopes=EXTRA_SCOPES[name], name=name)
    return [ChatterColor(http, item.data) for item in data_list(body, "colors")]
