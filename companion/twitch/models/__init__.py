"""Models of the Twitch client, one module per area."""

from __future__ import annotations

from .channel_points import CustomReward, CustomRewardRedemption, PartialCustomReward, RewardImage
from .extensions import (
    ActiveExtension,
    ActiveExtensions,
    Extension,
    ExtensionBuilder,
    MaybeActiveExtension,
)
from .goals import Goal
from .polls import Poll, PollChoice
from .predictions import Prediction, PredictionOutcome, Predictor
from .streams import ChannelInfo, Stream
from .users import BaseUser, PartialUser, User

__all__ = [
    "ActiveExtension",
    "ActiveExtensions",
    "BaseUser",
    "ChannelInfo",
    "CustomReward",
    "CustomRewardRedemption",
    "Extension",
    "ExtensionBuilder",
    "Goal",
    "MaybeActiveExtension",
    "PartialCustomReward",
    "PartialUser",
    "Poll",
    "PollChoice",
    "Prediction",
    "PredictionOutcome",
    "Predictor",
    "RewardImage",
    "Stream",
    "User",
]
