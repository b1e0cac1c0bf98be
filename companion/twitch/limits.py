"""The one table of documented Helix limits.

Every number here comes from ``twitch-reference/SOURCES.md`` (the section named in
``source``). Client methods check their arguments against this table before sending, and
the UI's forms use the same records, so a form and the client can never disagree.

Use a record directly (``LIMITS["reward_title"].check(text)`` or
``REWARD_TITLE.check(text)``) or the small helpers (``check_reward_title(text)``).
Strings and sequences are measured by length, numbers by value.
"""

from __future__ import annotations

import logging
from collections.abc import Sized
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

from .errors import LimitError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "LIMITS",
    "Limit",
    "LimitError",
    "check_poll_choices",
    "check_prediction_outcomes",
    "check_reward_cost",
    "check_reward_prompt",
    "check_reward_title",
]

_log = logging.getLogger(__name__)

_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class Limit:
    """One documented bound.

    Attributes:
        name: Key in :data:`LIMITS`.
        label: What is measured, for messages (``"reward title"``).
        kind: ``"length"`` (characters), ``"count"`` (items) or ``"value"`` (a number).
        minimum: Smallest allowed value, or None when Twitch documents none.
        maximum: Largest allowed value, or None when Twitch documents none.
        source: The SOURCES.md section the numbers come from.
        default: Twitch's default, where documented (page sizes).
    """

    name: str
    label: str
    kind: Literal["length", "count", "value"]
    minimum: int | None
    maximum: int | None
    source: str
    default: int | None = None

    def measure(self, value: object) -> int:
        """Return the number this limit bounds: a length, an item count or the value."""
        if self.kind == "value":
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{self.label} must be an int, not {type(value).__name__}")
            return value
        if not isinstance(value, Sized):
            raise TypeError(f"{self.label} must have a length, not {type(value).__name__}")
        return len(value)

    def check(self, value: _V) -> _V:
        """Return ``value`` unchanged if it is within bounds.

        Raises:
            LimitError: The value breaks the bound; the message names the limit.
            TypeError: The value cannot be measured (wrong type).
        """
        measured = self.measure(value)
        unit = {"length": " characters", "count": " items", "value": ""}[self.kind]
        if self.minimum is not None and measured < self.minimum:
            raise LimitError(
                self.name,
                self.minimum,
                measured,
                f"{self.label} is {measured}{unit}; Twitch needs at least {self.minimum}"
                f" (limit {self.name!r})",
            )
        if self.maximum is not None and measured > self.maximum:
            raise LimitError(
                self.name,
                self.maximum,
                measured,
                f"{self.label} is {measured}{unit}; Twitch allows at most {self.maximum}"
                f" (limit {self.name!r})",
            )
        return value

    def ok(self, value: object) -> bool:
        """True if :meth:`check` would pass (for forms that colour a field)."""
        try:
            self.check(value)
        except (LimitError, TypeError):
            return False
        return True


_CREATE_REWARD = "Create Custom Rewards"
_UPDATE_REWARD = "Update Custom Reward"
_GET_REWARD = "Get Custom Reward"
_GET_REDEMPTION = "Get Custom Reward Redemption"
_UPDATE_REDEMPTION = "Update Redemption Status"
_CREATE_PREDICTION = "Create Prediction"
_GET_PREDICTIONS = "Get Predictions"
_CREATE_POLL = "Create Poll"
_GET_POLLS = "Get Polls"

_TABLE: tuple[Limit, ...] = (
    # Channel points. Title "required, 1-45 chars"; cost "min 1" (no maximum documented).
    Limit("reward_title", "reward title", "length", 1, 45, _CREATE_REWARD),
    Limit("reward_prompt", "reward prompt", "length", 0, 200, _CREATE_REWARD),
    Limit("reward_cost", "reward cost", "value", 1, None, _CREATE_REWARD),
    Limit("reward_max_per_stream", "max redemptions per stream", "value", 1, None, _CREATE_REWARD),
    Limit(
        "reward_max_per_user_per_stream",
        "max redemptions per user per stream",
        "value",
        1,
        None,
        _CREATE_REWARD,
    ),
    # Create documents only "min 1"; Update's 400 list adds the maximum of 604800 (7 days).
    Limit("reward_global_cooldown", "global cooldown (s)", "value", 1, 604_800, _UPDATE_REWARD),
    Limit("rewards_per_channel", "rewards in a channel", "count", 0, 50, _GET_REWARD),
    Limit("reward_ids_per_call", "reward ids per request", "count", 0, 50, _GET_REWARD),
    Limit(
        "redemption_ids_per_call", "redemption ids per request", "count", 1, 50, _UPDATE_REDEMPTION
    ),
    Limit("redemptions_page_size", "redemptions per page", "value", 1, 50, _GET_REDEMPTION, 20),
    # Predictions. A title "<= 45"; a minimum is not documented, but the field is required.
    Limit("prediction_title", "prediction title", "length", 1, 45, _CREATE_PREDICTION),
    Limit("prediction_outcomes", "prediction outcomes", "count", 2, 10, _CREATE_PREDICTION),
    Limit("prediction_outcome_title", "outcome title", "length", 1, 25, _CREATE_PREDICTION),
    Limit("prediction_window", "prediction window (s)", "value", 30, 1800, _CREATE_PREDICTION),
    Limit(
        "prediction_ids_per_call", "prediction ids per request", "count", 0, 25, _GET_PREDICTIONS
    ),
    Limit("predictions_page_size", "predictions per page", "value", 1, 25, _GET_PREDICTIONS, 20),
    # Polls.
    Limit("poll_title", "poll title", "length", 1, 60, _CREATE_POLL),
    Limit("poll_choices", "poll choices", "count", 2, 5, _CREATE_POLL),
    Limit("poll_choice_title", "choice title", "length", 1, 25, _CREATE_POLL),
    Limit("poll_duration", "poll duration (s)", "value", 15, 1800, _CREATE_POLL),
    Limit(
        "poll_channel_points_per_vote",
        "channel points per vote",
        "value",
        1,
        1_000_000,
        _CREATE_POLL,
    ),
    Limit("poll_ids_per_call", "poll ids per request", "count", 0, 20, _GET_POLLS),
    Limit("polls_page_size", "polls per page", "value", 1, 20, _GET_POLLS, 20),
    # Users, streams, channels: "id + login <= 100"; the other filters <= 100 each.
    Limit("user_ids_per_call", "user ids and logins per request", "count", 0, 100, "Get Users"),
    Limit("stream_filters_per_call", "stream filter values", "count", 0, 100, "Get Streams"),
    Limit("streams_page_size", "streams per page", "value", 1, 100, "Get Streams", 20),
    Limit("channel_ids_per_call", "broadcaster ids", "count", 1, 100, "Get Channel Information"),
)

#: Every documented limit by name.
LIMITS: Mapping[str, Limit] = {limit.name: limit for limit in _TABLE}

REWARD_TITLE = LIMITS["reward_title"]
REWARD_PROMPT = LIMITS["reward_prompt"]
REWARD_COST = LIMITS["reward_cost"]
REWARD_MAX_PER_STREAM = LIMITS["reward_max_per_stream"]
REWARD_MAX_PER_USER_PER_STREAM = LIMITS["reward_max_per_user_per_stream"]
REWARD_GLOBAL_COOLDOWN = LIMITS["reward_global_cooldown"]
REWARDS_PER_CHANNEL = LIMITS["rewards_per_channel"]
REWARD_IDS_PER_CALL = LIMITS["reward_ids_per_call"]
REDEMPTION_IDS_PER_CALL = LIMITS["redemption_ids_per_call"]
REDEMPTIONS_PAGE_SIZE = LIMITS["redemptions_page_size"]
PREDICTION_TITLE = LIMITS["prediction_title"]
PREDICTION_OUTCOMES = LIMITS["prediction_outcomes"]
PREDICTION_OUTCOME_TITLE = LIMITS["prediction_outcome_title"]
PREDICTION_WINDOW = LIMITS["prediction_window"]
PREDICTION_IDS_PER_CALL = LIMITS["prediction_ids_per_call"]
PREDICTIONS_PAGE_SIZE = LIMITS["predictions_page_size"]
POLL_TITLE = LIMITS["poll_title"]
POLL_CHOICES = LIMITS["poll_choices"]
POLL_CHOICE_TITLE = LIMITS["poll_choice_title"]
POLL_DURATION = LIMITS["poll_duration"]
POLL_CHANNEL_POINTS_PER_VOTE = LIMITS["poll_channel_points_per_vote"]
POLL_IDS_PER_CALL = LIMITS["poll_ids_per_call"]
POLLS_PAGE_SIZE = LIMITS["polls_page_size"]
USER_IDS_PER_CALL = LIMITS["user_ids_per_call"]
STREAM_FILTERS_PER_CALL = LIMITS["stream_filters_per_call"]
STREAMS_PAGE_SIZE = LIMITS["streams_page_size"]
CHANNEL_IDS_PER_CALL = LIMITS["channel_ids_per_call"]


def check_reward_title(title: str) -> str:
    """Check a reward title (1-45 characters)."""
    return REWARD_TITLE.check(title)


def check_reward_prompt(prompt: str) -> str:
    """Check a reward prompt (at most 200 characters)."""
    return REWARD_PROMPT.check(prompt)


def check_reward_cost(cost: int) -> int:
    """Check a reward cost (at least 1)."""
    return REWARD_COST.check(cost)


def check_prediction_outcomes(titles: Sequence[str]) -> Sequence[str]:
    """Check the outcome count (2-10) and every outcome title (1-25 characters)."""
    PREDICTION_OUTCOMES.check(titles)
    for title in titles:
        PREDICTION_OUTCOME_TITLE.check(title)
    return titles


def check_poll_choices(titles: Sequence[str]) -> Sequence[str]:
    """Check the choice count (2-5) and every choice title (1-25 characters)."""
    POLL_CHOICES.check(titles)
    for title in titles:
        POLL_CHOICE_TITLE.check(title)
    return titles
