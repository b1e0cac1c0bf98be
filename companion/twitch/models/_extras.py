"""Methods for the seed's minor models, as mixins for PartialUser and Client.

``PartialUser`` and ``Client`` add these to their bases (``class PartialUser(BaseUser,
UserExtrasMixin)``, ``class Client(ClientExtrasMixin, ...)``). Each method is a one-liner over
its area module, which holds the request and the model. Scopes: :data:`EXTRA_SCOPES`.

The area modules are imported inside the methods, not at the top: :mod:`.users` imports this
module while it is being defined, and two area modules subclass :class:`.users.PartialUser`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal, cast

from ._extra_common import EXTRA_ENDPOINTS, EXTRA_LIMITS, EXTRA_SCOPES

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from ..http import HTTPHandler
    from ..iterators import HTTPAwaitableAsyncIterator
    from .bits import BitsLeaderboard, CheerEmote, LeaderboardPeriod
    from .channels import ChannelTeams, Team
    from .chat import ChatBadge, ChatSettings, ChatterColor
    from .clips import Clip
    from .follows import FollowEvent
    from .games import Game
    from .hype_train import HypeTrainEvent
    from .markers import Marker
    from .moderation import AutomodCheckMessage, AutomodCheckResponse, BanEvent, UserBan
    from .raids import Raid
    from .schedule import Schedule
    from .subscriptions import SubscriptionEvent
    from .users import BaseUser, PartialUser
    from .videos import Video

__all__ = [
    "EXTRA_ENDPOINTS",
    "EXTRA_LIMITS",
    "EXTRA_SCOPES",
    "ClientExtrasMixin",
    "UserExtrasMixin",
]

_log = logging.getLogger(__name__)


class UserExtrasMixin:
    """Channel methods for :class:`~companion.twitch.models.users.PartialUser`.

    Every method uses the user's own token (the broadcaster's), except where a ``moderator``
    is given: then that user's token, sent as ``moderator_id``.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        _http: HTTPHandler

        @property
        def id(self) -> str: ...

    def _me(self) -> PartialUser:
        # At run time this is always a PartialUser (the mixin is only used as its base).
        return cast("PartialUser", self)

    # -- moderation ----------------------------------------------------------------------

    def fetch_bans(
        self,
        user_ids: Sequence[str] | None = None,
        *,
        limit: int | None = None,
        page_size: int | None = None,
        after: str | None = None,
    ) -> HTTPAwaitableAsyncIterator[UserBan]:
        """Banned and timed-out users (``await`` for a list, ``async for`` to page)."""
        from . import moderation

        return moderation.fetch_bans(
            self._http, self._me(), user_ids, limit=limit, page_size_=page_size, after=after
        )

    def fetch_moderators(
        self,
        user_ids: Sequence[str] | None = None,
        *,
        limit: int | None = None,
        page_size: int | None = None,
        after: str | None = None,
    ) -> HTTPAwaitableAsyncIterator[PartialUser]:
        """The channel's moderators (``await`` for a list, ``async for`` to page)."""
        from . import moderation

        return moderation.fetch_moderators(
            self._http, self._me(), user_ids, limit=limit, page_size_=page_size, after=after
        )

    async def ban_user(
        self,
        user_id: str,
        reason: str | None = None,
        duration: int | None = None,
        *,
        moderator: BaseUser | None = None,
    ) -> BanEvent:
        """Ban ``user_id`` (or time them out for ``duration`` seconds)."""
        from . import moderation

        return await moderation.ban_user(
            self._http, self._me(), user_id, reason=reason, duration=duration, moderator=moderator
        )

    async def unban_user(self, user_id: str, *, moderator: BaseUser | None = None) -> None:
        """Lift a ban or timeout (:meth:`UserBan.delete` does the same for a fetched ban)."""
        from . import moderation

        await moderation.unban_user(self._http, self._me(), user_id, moderator)

    async def unban(self, user_id: str, *, moderator: BaseUser | None = None) -> None:
        """Alias of :meth:`unban_user`."""
        await self.unban_user(user_id, moderator=moderator)

    async def check_automod_status(
        self, messages: Sequence[AutomodCheckMessage]
    ) -> list[AutomodCheckResponse]:
        """Would AutoMod hold these 1-100 messages?"""
        from . import moderation

        return await moderation.check_automod_status(self._http, self._me(), messages)

    # -- bits, teams, chat ---------------------------------------------------------------

    async def fetch_bits_leaderboard(
        self,
        count: int = 10,
        period: LeaderboardPeriod = "all",
        started_at: datetime | None = None,
        user_id: str | None = None,
    ) -> BitsLeaderboard:
        """The channel's Bits leaderboard."""
        from . import bits

        return await bits.fetch_bits_leaderboard(
            self._http, self._me(), count, period, started_at, user_id
        )

    async def fetch_channel_teams(self) -> list[ChannelTeams]:
        """The Twitch Teams the channel belongs to."""
        from . import channels

        return await channels.fetch_channel_teams(self._http, self._me())

    async def fetch_chat_badges(self) -> list[ChatBadge]:
        """The channel's custom chat badges."""
        from . import chat

        return await chat.fetch_chat_badges(self._http, self._me())

    async def fetch_chat_settings(self, moderator: BaseUser | None = None) -> ChatSettings:
        """The channel's chat settings."""
        from . import chat

        return await chat.fetch_chat_settings(self._http, self._me(), moderator)

    async def update_chat_settings(
        self,
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
        """Change chat settings; only the arguments given are sent."""
        from . import chat

        return await chat.update_chat_settings(
            self._http,
            self._me(),
            moderator,
            emote_mode=emote_mode,
            follower_mode=follower_mode,
            follower_mode_duration=follower_mode_duration,
            non_moderator_chat_delay=non_moderator_chat_delay,
            non_moderator_chat_delay_duration=non_moderator_chat_delay_duration,
            slow_mode=slow_mode,
            slow_mode_wait_time=slow_mode_wait_time,
            subscriber_mode=subscriber_mode,
            unique_chat_mode=unique_chat_mode,
        )

    # -- followers, subscriptions, hype train --------------------------------------------

    def fetch_followers(
        self,
        user_id: str | None = None,
        *,
        limit: int | None = None,
        page_size: int | None = None,
        after: str | None = None,
    ) -> HTTPAwaitableAsyncIterator[FollowEvent]:
        """The channel's followers, most recent first."""
        from . import follows

        return follows.fetch_followers(
            self._http, self._me(), user_id, limit=limit, page_size_=page_size, after=after
        )

    def fetch_subscriptions(
        self,
        user_ids: Sequence[str] | None = None,
        *,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> HTTPAwaitableAsyncIterator[SubscriptionEvent]:
        """The channel's subscribers."""
        from . import subscriptions

        return subscriptions.fetch_subscriptions(
            self._http, self._me(), user_ids, limit=limit, page_size_=page_size
        )

    async def fetch_hype_train(self) -> HypeTrainEvent | None:
        """The running hype train, or None."""
        from . import hype_train

        return await hype_train.fetch_hype_train(self._http, self._me())

    # -- markers, raids, schedule --------------------------------------------------------

    async def create_marker(self, description: str | None = None) -> Marker:
        """Mark the current moment of the live stream."""
        from . import markers

        return await markers.create_marker(self._http, self._me(), description)

    async def fetch_markers(self, video_id: str | None = None) -> list[Marker]:
        """Markers of the latest video, or of ``video_id``."""
        from . import markers

        return await markers.fetch_markers(self._http, self._me(), video_id)

    async def start_raid(self, to_broadcaster_id: str) -> Raid:
        """Raid another channel."""
        from . import raids

        return await raids.start_raid(self._http, self._me(), to_broadcaster_id)

    async def cancel_raid(self) -> None:
        """Cancel the pending raid."""
        from . import raids

        await raids.cancel_raid(self._http, self._me())

    async def fetch_schedule(
        self,
        segment_ids: Sequence[str] | None = None,
        start_time: datetime | None = None,
        *,
        first: int | None = None,
        after: str | None = None,
    ) -> Schedule:
        """One page of the channel's stream schedule."""
        from . import schedule

        return await schedule.fetch_schedule(
            self._http, self._me(), segment_ids, start_time, first=first, after=after
        )

    # -- clips, videos -------------------------------------------------------------------

    def fetch_clips(
        self,
        *,
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
        is_featured: bool | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> HTTPAwaitableAsyncIterator[Clip]:
        """Clips of this channel, most viewed first."""
        from . import clips

        return clips.fetch_clips(
            self._http,
            broadcaster_id=self.id,
            started_at=started_at,
            ended_at=ended_at,
            is_featured=is_featured,
            limit=limit,
            page_size_=page_size,
            user=self._me(),
            name="PartialUser.fetch_clips",
        )

    def fetch_videos(
        self,
        *,
        period: Literal["all", "day", "month", "week"] | None = None,
        sort: Literal["time", "trending", "views"] | None = None,
        type: Literal["all", "archive", "highlight", "upload"] | None = None,
        language: str | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> HTTPAwaitableAsyncIterator[Video]:
        """This user's videos."""
        from . import videos

        return videos.fetch_videos(
            self._http,
            user_id=self.id,
            period=period,
            sort=sort,
            type=type,
            language=language,
            limit=limit,
            page_size_=page_size,
            user=self._me(),
            name="PartialUser.fetch_videos",
        )


class ClientExtrasMixin:
    """App-wide lookups for :class:`Client` (which has its HTTPHandler as ``http``).

    They use the app token unless ``target`` names a user whose token to use instead.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        http: HTTPHandler

    async def fetch_games(
        self,
        ids: Sequence[str] = (),
        names: Sequence[str] = (),
        igdb_ids: Sequence[str] = (),
        *,
        target: BaseUser | None = None,
    ) -> list[Game]:
        """Games and categories by id, exact name or IGDB id (1-100 in all)."""
        from . import games

        return await games.fetch_games(self.http, ids, names, igdb_ids, target=target)

    async def fetch_cheermotes(
        self, broadcaster_id: str | None = None, *, target: BaseUser | None = None
    ) -> list[CheerEmote]:
        """Global Cheermotes, plus a broadcaster's own."""
        from . import bits

        return await bits.fetch_cheermotes(self.http, broadcaster_id, target=target)

    async def fetch_global_chat_badges(self, *, target: BaseUser | None = None) -> list[ChatBadge]:
        """Twitch's global chat badges."""
        from . import chat

        return await chat.fetch_chat_badges(self.http, None, target=target)

    async def fetch_chatters_colors(
        self, user_ids: Sequence[str], *, target: BaseUser | None = None
    ) -> list[ChatterColor]:
        """Chat name colours of 1-100 users."""
        from . import chat

        return await chat.fetch_chatters_colors(self.http, user_ids, target=target)

    async def fetch_teams(
        self,
        name: str | None = None,
        team_id: str | None = None,
        *,
        target: BaseUser | None = None,
    ) -> Team | None:
        """One team by name or id (exactly one), with its members."""
        from . import channels

        return await channels.fetch_team(self.http, name=name, team_id=team_id, target=target)

    def fetch_clips(
        self,
        ids: Sequence[str] | None = None,
        game_id: str | None = None,
        *,
        broadcaster_id: str | None = None,
        limit: int | None = None,
        page_size: int | None = None,
        target: BaseUser | None = None,
    ) -> HTTPAwaitableAsyncIterator[Clip]:
        """Clips by ids (<= 100), by game, or by broadcaster (exactly one)."""
        from . import clips

        return clips.fetch_clips(
            self.http,
            ids=ids,
            game_id=game_id,
            broadcaster_id=broadcaster_id,
            limit=limit,
            page_size_=page_size,
            user=target,
        )

    def fetch_videos(
        self,
        ids: Sequence[str] | None = None,
        game_id: str | None = None,
        user_id: str | None = None,
        *,
        period: Literal["all", "day", "month", "week"] | None = None,
        sort: Literal["time", "trending", "views"] | None = None,
        type: Literal["all", "archive", "highlight", "upload"] | None = None,
        language: str | None = None,
        limit: int | None = None,
        page_size: int | None = None,
        target: BaseUser | None = None,
    ) -> HTTPAwaitableAsyncIterator[Video]:
        """Videos by ids (<= 100), by game, or by user (exactly one)."""
        from . import videos

        return videos.fetch_videos(
            self.http,
            ids=ids,
            game_id=game_id,
            user_id=user_id,
            period=period,
            sort=sort,
            type=type,
            language=language,
            limit=limit,
            page_size_=page_size,
            user=target,
        )

    async def delete_videos(self, ids: Iterable[str], target: BaseUser) -> list[str]:
        """Delete videos owned by ``target`` (5 ids per request); returns the ids deleted."""
        from . import videos

        return await videos.delete_videos(self.http, ids, target)
