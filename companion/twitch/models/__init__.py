"""Models of the Twitch client, one module per area.

Every model class is importable from here (and the seed's 44 classes also from
:mod:`companion.twitch` itself, as the seed has them at ``twitchio``'s top).
"""

from __future__ import annotations

from .bits import BitLeaderboardUser, BitsLeaderboard, CheerEmote, CheerEmoteTier
from .channel_points import CustomReward, CustomRewardRedemption, PartialCustomReward, RewardImage
from .channels import ChannelTeams, Team
from .chat import ChatBadge, ChatBadgeVersion, ChatSettings, ChatterColor
from .clips import Clip
from .extensions import (
    ActiveExtension,
    ActiveExtensions,
    Extension,
    ExtensionBuilder,
    MaybeActiveExtension,
)
from .follows import FollowEvent
from .games import Game
from .goals import Goal
from .hype_train import HypeTrainContribution, HypeTrainEvent
from .markers import Marker
from .moderation import (
    AutomodCheckMessage,
    AutomodCheckResponse,
    BanEvent,
    ModEvent,
    ModEventEnum,
    UserBan,
)
from .polls import Poll, PollChoice
from .predictions import Prediction, PredictionOutcome, Predictor
from .raids import Raid
from .schedule import Schedule, ScheduleCategory, ScheduleSegment, ScheduleVacation
from .streams import ChannelInfo, Stream
from .subscriptions import SubscriptionEvent
from .users import BaseUser, PartialUser, User
from .videos import MutedSegment, Video

__all__ = [
    "ActiveExtension",
    "ActiveExtensions",
    "AutomodCheckMessage",
    "AutomodCheckResponse",
    "BanEvent",
    "BaseUser",
    "BitLeaderboardUser",
    "BitsLeaderboard",
    "ChannelInfo",
    "ChannelTeams",
    "ChatBadge",
    "ChatBadgeVersion",
    "ChatSettings",
    "ChatterColor",
    "CheerEmote",
    "CheerEmoteTier",
    "Clip",
    "CustomReward",
    "CustomRewardRedemption",
    "Extension",
    "ExtensionBuilder",
    "FollowEvent",
    "Game",
    "Goal",
    "HypeTrainContribution",
    "HypeTrainEvent",
    "Marker",
    "MaybeActiveExtension",
    "ModEvent",
    "ModEventEnum",
    "MutedSegment",
    "PartialCustomReward",
    "PartialUser",
    "Poll",
    "PollChoice",
    "Prediction",
    "PredictionOutcome",
    "Predictor",
    "Raid",
    "RewardImage",
    "Schedule",
    "ScheduleCategory",
    "ScheduleSegment",
    "ScheduleVacation",
    "Stream",
    "SubscriptionEvent",
    "Team",
    "User",
    "UserBan",
    "Video",
]
