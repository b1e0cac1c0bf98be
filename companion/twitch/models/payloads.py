"""The shapes of what the client sends and receives, as TypedDicts.

Request bodies are built as these types, so a misspelt key is a type error. Response
payloads are described here for readers and for code that builds test data; the models
read them through :class:`~companion.twitch.models._payload.Fields`, which checks every
field at run time (a payload from the network is never trusted to match its type).
Field names and optionality follow ``twitch-reference`` (Helix reference tables and the
documented examples).
"""

from __future__ import annotations

import logging
from typing import Literal, NotRequired, TypedDict

__all__ = [
    "CreatePollBody",
    "CreatePredictionBody",
    "CreateRewardBody",
    "EndPollBody",
    "EndPredictionBody",
    "EventSubGoalEvent",
    "EventSubRedemptionEvent",
    "HelixGoal",
    "HelixPoll",
    "HelixPollChoice",
    "HelixPrediction",
    "HelixPredictionOutcome",
    "HelixPredictor",
    "HelixRedemption",
    "HelixReward",
    "RewardImagePayload",
    "UpdateRedemptionBody",
    "UpdateRewardBody",
]

_log = logging.getLogger(__name__)

# -- request bodies --------------------------------------------------------------------------


class CreateRewardBody(TypedDict):
    """Create Custom Rewards (only ``title`` and ``cost`` are required)."""

    title: str
    cost: int
    prompt: NotRequired[str]
    is_enabled: NotRequired[bool]
    background_color: NotRequired[str]
    is_user_input_required: NotRequired[bool]
    is_max_per_stream_enabled: NotRequired[bool]
    max_per_stream: NotRequired[int]
    is_max_per_user_per_stream_enabled: NotRequired[bool]
    max_per_user_per_stream: NotRequired[int]
    is_global_cooldown_enabled: NotRequired[bool]
    global_cooldown_seconds: NotRequired[int]
    should_redemptions_skip_request_queue: NotRequired[bool]


class UpdateRewardBody(TypedDict, total=False):
    """Update Custom Reward: only the fields being changed."""

    title: str
    prompt: str
    cost: int
    background_color: str
    is_enabled: bool
    is_user_input_required: bool
    is_max_per_stream_enabled: bool
    max_per_stream: int
    is_max_per_user_per_stream_enabled: bool
    max_per_user_per_stream: int
    is_global_cooldown_enabled: bool
    global_cooldown_seconds: int
    is_paused: bool
    should_redemptions_skip_request_queue: bool


class UpdateRedemptionBody(TypedDict):
    """Update Redemption Status."""

    status: Literal["FULFILLED", "CANCELED"]


class _Title(TypedDict):
    title: str


class CreatePredictionBody(TypedDict):
    """Create Prediction."""

    broadcaster_id: str
    title: str
    outcomes: list[_Title]
    prediction_window: int


class EndPredictionBody(TypedDict):
    """End Prediction (``winning_outcome_id`` only when RESOLVED)."""

    broadcaster_id: str
    id: str
    status: Literal["RESOLVED", "CANCELED", "LOCKED"]
    winning_outcome_id: NotRequired[str]


class CreatePollBody(TypedDict):
    """Create Poll."""

    broadcaster_id: str
    title: str
    choices: list[_Title]
    duration: int
    channel_points_voting_enabled: NotRequired[bool]
    channel_points_per_vote: NotRequired[int]


class EndPollBody(TypedDict):
    """End Poll."""

    broadcaster_id: str
    id: str
    status: Literal["TERMINATED", "ARCHIVED"]


# -- Helix responses -------------------------------------------------------------------------


class RewardImagePayload(TypedDict):
    url_1x: str
    url_2x: str
    url_4x: str


class _MaxPerStream(TypedDict):
    is_enabled: bool
    max_per_stream: int


class _MaxPerUser(TypedDict):
    is_enabled: bool
    max_per_user_per_stream: int


class _Cooldown(TypedDict):
    is_enabled: bool
    global_cooldown_seconds: int


class HelixReward(TypedDict):
    """One item of Get/Create/Update Custom Reward (``broadcaster_login`` is missing in
    two documented examples)."""

    broadcaster_id: str
    broadcaster_login: NotRequired[str]
    broadcaster_name: str
    id: str
    title: str
    prompt: str
    cost: int
    image: RewardImagePayload | None
    default_image: RewardImagePayload
    background_color: str
    is_enabled: bool
    is_user_input_required: bool
    max_per_stream_setting: _MaxPerStream
    max_per_user_per_stream_setting: _MaxPerUser
    global_cooldown_setting: _Cooldown
    is_paused: bool
    is_in_stock: bool
    should_redemptions_skip_request_queue: bool
    redemptions_redeemed_current_stream: int | None
    cooldown_expires_at: str | None


class _RedemptionReward(TypedDict):
    id: str
    title: str
    prompt: str
    cost: int


class HelixRedemption(TypedDict):
    """One item of Get Custom Reward Redemption / Update Redemption Status."""

    broadcaster_id: str
    broadcaster_login: str
    broadcaster_name: str
    id: str
    user_id: str
    user_login: NotRequired[str]
    user_name: str
    user_input: str
    status: Literal["UNFULFILLED", "FULFILLED", "CANCELED"]
    redeemed_at: str
    reward: _RedemptionReward


class HelixPredictor(TypedDict):
    user_id: str
    user_login: str
    user_name: str
    channel_points_used: int
    channel_points_won: int | None


class HelixPredictionOutcome(TypedDict):
    id: str
    title: str
    users: int
    channel_points: int
    top_predictors: list[HelixPredictor] | None
    color: Literal["BLUE", "PINK"]


class HelixPrediction(TypedDict):
    """One item of Get/Create/End Prediction."""

    id: str
    broadcaster_id: str
    broadcaster_login: str
    broadcaster_name: str
    title: str
    winning_outcome_id: str | None
    outcomes: list[HelixPredictionOutcome]
    prediction_window: int
    status: Literal["ACTIVE", "CANCELED", "LOCKED", "RESOLVED"]
    created_at: str
    ended_at: str | None
    locked_at: str | None


class HelixPollChoice(TypedDict):
    id: str
    title: str
    votes: int
    channel_points_votes: int
    bits_votes: int


class HelixPoll(TypedDict):
    """One item of Get/Create/End Poll (the examples omit ``ended_at`` while ACTIVE)."""

    id: str
    broadcaster_id: str
    broadcaster_login: str
    broadcaster_name: str
    title: str
    choices: list[HelixPollChoice]
    bits_voting_enabled: bool
    bits_per_vote: int
    channel_points_voting_enabled: bool
    channel_points_per_vote: int
    status: str
    duration: int
    started_at: str
    ended_at: NotRequired[str | None]


class HelixGoal(TypedDict):
    """One item of Get Creator Goals."""

    id: str
    broadcaster_id: str
    broadcaster_login: str
    broadcaster_name: str
    type: str
    description: str
    current_amount: int
    target_amount: int
    created_at: str


# -- EventSub events (the notification's ``event`` object) -----------------------------------


class EventSubRedemptionEvent(TypedDict):
    """``channel.channel_points_custom_reward_redemption.add/update``."""

    id: str
    broadcaster_user_id: str
    broadcaster_user_login: str
    broadcaster_user_name: str
    user_id: str
    user_login: str
    user_name: str
    user_input: str
    status: Literal["unknown", "unfulfilled", "fulfilled", "canceled"]
    reward: _RedemptionReward
    redeemed_at: str


class EventSubGoalEvent(TypedDict):
    """``channel.goal.begin/progress/end`` (only end has ``is_achieved``/``ended_at``)."""

    id: str
    broadcaster_user_id: str
    broadcaster_user_login: str
    broadcaster_user_name: str
    type: str
    description: str
    current_amount: int
    target_amount: int
    started_at: str
    is_achieved: NotRequired[bool]
    ended_at: NotRequired[str]
