"""The per-channel records of the extras' state (kept apart so `live` and `store` share them)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["DEFAULT_CHAT_SETTINGS", "BanRecord", "ChannelExtras", "HypeTrainRecord"]

_log = logging.getLogger(__name__)

#: Chat settings of a new channel (Twitch's documented defaults for each field).
DEFAULT_CHAT_SETTINGS: Final[dict[str, Any]] = {
    "emote_mode": False,
    "follower_mode": False,
    "follower_mode_duration": None,
    "non_moderator_chat_delay": False,
    "non_moderator_chat_delay_duration": None,
    "slow_mode": False,
    "slow_mode_wait_time": None,
    "subscriber_mode": False,
    "unique_chat_mode": False,
}


@dataclass(slots=True)
class BanRecord:
    """A ban (``expires_at`` None) or a timeout."""

    user_id: str
    moderator_id: str
    created_at: float
    expires_at: float | None
    reason: str


@dataclass(slots=True)
class HypeTrainRecord:
    """The running hype train of a channel."""

    id: str
    level: int
    total: int
    progress: int
    goal: int
    started_at: float
    expires_at: float
    contributions: list[tuple[str, str, int]]  # (user_id, type, total)
    train_type: str = "regular"


@dataclass(slots=True)
class ChannelExtras:
    """What the extra endpoints keep per broadcaster."""

    #: The channel's moderators in the order they were added (Get Moderators lists them so;
    #: the reference does not give an order).
    moderators: dict[str, None] = field(default_factory=dict)
    bans: dict[str, BanRecord] = field(default_factory=dict)
    chat_settings: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_CHAT_SETTINGS))
    followers: list[tuple[str, float]] = field(default_factory=list)  # newest first
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    cheers: list[tuple[str, int, float]] = field(default_factory=list)  # (user, bits, when)
    hype_train: HypeTrainRecord | None = None
    hype_record: tuple[int, int, float] | None = None  # (level, total, achieved_at)
    markers: list[dict[str, Any]] = field(default_factory=list)
    pending_raid: dict[str, Any] | None = None
    raid_requests: list[float] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)
    schedule_created: bool = False
    vacation: tuple[float, float] | None = None
    badges: list[dict[str, Any]] = field(default_factory=list)
    cheermotes: list[dict[str, Any]] = field(default_factory=list)
    blocked_terms: set[str] = field(default_factory=set)
    automod_checks: list[float] = field(default_factory=list)
    gift_totals: dict[str, int] = field(default_factory=dict)  # gifter -> subs gifted ever
    emotes: list[dict[str, Any]] = field(default_factory=list)  # Get Channel Emotes items
