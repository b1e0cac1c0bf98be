"""Documented payloads for the seed's minor models, and the parser that reads each.

Helix payloads are the ``examples`` of ``helix-openapi.json``. EventSub payloads for
``channel.follow`` come from ``eventsub/ws.notification.channel_follow.json``; the reference
has no example of ``channel.ban``, ``channel.unban``, ``channel.moderator.*``,
``channel.subscribe``, ``channel.subscription.*`` or ``channel.hype_train.*``, so those below
are built from the field names of Twitch's EventSub reference (marked "not a documented
example" for that reason).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from companion.twitch import SimpleTokenHandler
from companion.twitch.http import HTTPHandler
from companion.twitch.models.bits import BitsLeaderboard, CheerEmote
from companion.twitch.models.channels import ChannelTeams, Team
from companion.twitch.models.chat import ChatBadge, ChatSettings, ChatterColor
from companion.twitch.models.clips import Clip
from companion.twitch.models.follows import FollowEvent
from companion.twitch.models.games import Game
from companion.twitch.models.hype_train import HypeTrainEvent
from companion.twitch.models.markers import Marker
from companion.twitch.models.moderation import (
    AutomodCheckResponse,
    BanEvent,
    ModEvent,
    ModEventEnum,
    UserBan,
)
from companion.twitch.models.raids import Raid
from companion.twitch.models.schedule import Schedule
from companion.twitch.models.subscriptions import SubscriptionEvent
from companion.twitch.models.users import PartialUser
from companion.twitch.models.videos import Video
from tests.helpers.openapi_extras import examples
from tests.helpers.reference import REFERENCE

if TYPE_CHECKING:
    from collections.abc import Callable

HTTP = HTTPHandler(SimpleTokenHandler("unused", "client"))
CASTER = PartialUser(HTTP, "141981764", "twitchdev", "TwitchDev")
WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def first(method: str, path: str, name: str = "Example") -> Any:
    """``data[0]`` of a documented example."""
    return examples(method, path)[name]["data"][0]


def body(method: str, path: str, name: str = "Example") -> Any:
    """A whole documented example body."""
    return examples(method, path)[name]


def follow_notification() -> Any:
    """The documented ``channel.follow`` WebSocket notification."""
    path = REFERENCE / "eventsub/ws.notification.channel_follow.json"
    return json.loads(path.read_text(encoding="utf-8"))


# Not documented examples (see the module docstring).
BAN_EVENT = {
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "moderator_user_id": "1339",
    "moderator_user_login": "mod_user",
    "moderator_user_name": "Mod_User",
    "reason": "Offensive language",
    "banned_at": "2020-07-15T18:15:11.17106713Z",
    "ends_at": "2020-07-15T18:16:11.17106713Z",
    "is_permanent": False,
}
UNBAN_EVENT = {k: v for k, v in BAN_EVENT.items() if "_user" in k or k.startswith("user_")}
MOD_NOTIFICATION: dict[str, Any] = {
    "metadata": {
        "message_id": "00000000-0000-4000-8000-000000000001",
        "message_type": "notification",
        "message_timestamp": "2024-01-02T03:04:05.123456789Z",
        "subscription_type": "channel.moderator.add",
        "subscription_version": "1",
    },
    "payload": {
        "subscription": {"type": "channel.moderator.add", "version": "1"},
        "event": {
            "broadcaster_user_id": "1337",
            "broadcaster_user_login": "cool_user",
            "broadcaster_user_name": "Cool_User",
            "user_id": "1234",
            "user_login": "mod_user",
            "user_name": "Mod_User",
        },
    },
}
SUBSCRIBE_EVENT = {
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "tier": "1000",
    "is_gift": False,
}
GIFT_EVENT = {
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "total": 2,
    "tier": "1000",
    "cumulative_total": 284,
    "is_anonymous": False,
}
MESSAGE_EVENT = {
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "tier": "1000",
    "message": {
        "text": "Love the stream! FevziGG",
        "emotes": [{"begin": 23, "end": 30, "id": "302976485"}],
    },
    "cumulative_months": 15,
    "streak_months": 1,
    "duration_months": 6,
}
HYPE_END_EVENT = {
    "id": "1b0AsbInCHZW2SQFQkCzqN07Ib2",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "level": 2,
    "total": 137,
    "top_contributions": [
        {
            "user_id": "123",
            "user_login": "pogchamp",
            "user_name": "PogChamp",
            "type": "bits",
            "total": 50,
        }
    ],
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ended_at": "2020-07-15T17:16:11.17106713Z",
    "cooldown_ends_at": "2020-07-15T18:16:11.17106713Z",
}

#: name -> (parser, documented payload it accepts)
CASES: dict[str, tuple[Callable[[Any], object], Any]] = {
    "automod_response": (
        AutomodCheckResponse,
        first("POST", "/moderation/enforcements/status"),
    ),
    "user_ban": (lambda d: UserBan(HTTP, d, CASTER), first("GET", "/moderation/banned")),
    "ban_event": (lambda d: BanEvent(HTTP, d), first("POST", "/moderation/bans", "Example 2")),
    "ban_event_eventsub": (lambda d: BanEvent.from_eventsub(HTTP, d), BAN_EVENT),
    "unban_event_eventsub": (
        lambda d: BanEvent.from_eventsub(HTTP, d, timestamp=WHEN),
        UNBAN_EVENT,
    ),
    "mod_event": (
        lambda d: ModEvent(HTTP, d, type=ModEventEnum.moderator_added, timestamp=WHEN),
        MOD_NOTIFICATION["payload"]["event"],
    ),
    "mod_notification": (lambda d: ModEvent.from_notification(HTTP, d), MOD_NOTIFICATION),
    "bits_leaderboard": (lambda d: BitsLeaderboard(HTTP, d), body("GET", "/bits/leaderboard")),
    "cheermote": (lambda d: CheerEmote(HTTP, d), first("GET", "/bits/cheermotes")),
    "channel_teams": (lambda d: ChannelTeams(HTTP, d), first("GET", "/teams/channel")),
    "team": (lambda d: Team(HTTP, d), first("GET", "/teams")),
    "chat_badge": (ChatBadge, first("GET", "/chat/badges")),
    "global_chat_badge": (ChatBadge, first("GET", "/chat/badges/global")),
    "chat_settings": (lambda d: ChatSettings(HTTP, d), first("GET", "/chat/settings")),
    "chat_settings_update": (lambda d: ChatSettings(HTTP, d), first("PATCH", "/chat/settings")),
    "chatter_color": (lambda d: ChatterColor(HTTP, d), first("GET", "/chat/color")),
    "clip": (lambda d: Clip(HTTP, d), first("GET", "/clips", "Example 2")),
    "follow": (
        lambda d: FollowEvent(HTTP, d, to=CASTER),
        first("GET", "/channels/followers", "Example 1"),
    ),
    "follow_eventsub": (
        lambda d: FollowEvent.from_eventsub(HTTP, d),
        follow_notification()["payload"]["event"],
    ),
    "game": (lambda d: Game(HTTP, d), first("GET", "/games")),
    "hype_train": (
        lambda d: HypeTrainEvent(HTTP, d),
        first("GET", "/hypetrain/status")["current"],
    ),
    "hype_train_end_eventsub": (
        lambda d: HypeTrainEvent.from_eventsub(HTTP, d, timestamp=WHEN),
        HYPE_END_EVENT,
    ),
    "marker_created": (Marker, first("POST", "/streams/markers")),
    "marker_listed": (
        Marker,
        first("GET", "/streams/markers")["videos"][0]["markers"][0],
    ),
    "raid": (Raid, first("POST", "/raids")),
    "schedule": (lambda d: Schedule(HTTP, d), body("GET", "/schedule")),
    "subscription": (lambda d: SubscriptionEvent(HTTP, d), first("GET", "/subscriptions")),
    "subscribe_eventsub": (
        lambda d: SubscriptionEvent.from_eventsub(HTTP, "channel.subscribe", d),
        SUBSCRIBE_EVENT,
    ),
    "gift_eventsub": (
        lambda d: SubscriptionEvent.from_eventsub(HTTP, "channel.subscription.gift", d),
        GIFT_EVENT,
    ),
    "message_eventsub": (
        lambda d: SubscriptionEvent.from_eventsub(HTTP, "channel.subscription.message", d),
        MESSAGE_EVENT,
    ),
    "video": (lambda d: Video(HTTP, d), first("GET", "/videos")),
}
