"""Reconciliation after a lost EventSub session: Twitch does not replay missed events.

:func:`standard_resync` reads the channel's current state through Helix with the client
core's methods and turns it into :class:`EventSubEvent` objects marked ``resync=True``, shaped
like the notifications they stand in for, so a consumer handles both in one place:

* each reward this app manages -> ``channel.channel_points_custom_reward.update``;
* each of their UNFULFILLED redemptions, oldest first -> ``..._redemption.add``;
* the most recent prediction -> ``channel.prediction.progress`` (ACTIVE), ``.lock``
  (LOCKED) or ``.end`` (resolved or canceled);
* the most recent poll -> ``channel.poll.progress`` (ACTIVE) or ``.end``;
* each active goal -> ``channel.goal.progress``.

It is a snapshot: a redemption already delivered live comes again (with ``resync=True``);
consumers merge by the model's id. Each area is read on its own, so a missing scope or a
failing endpoint costs that area only (logged), never the rest.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from .errors import TwitchError
from .eventsub_messages import EventSubEvent

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .models.users import PartialUser

__all__ = ["standard_resync"]

_log = logging.getLogger(__name__)

_REWARD_UPDATE: Final = "channel.channel_points_custom_reward.update"
_REDEMPTION_ADD: Final = "channel.channel_points_custom_reward_redemption.add"


def resync_event(subscription_type: str, model: Any) -> EventSubEvent:
    """An event standing in for a missed notification (no Twitch message id: a fresh one)."""
    return EventSubEvent(
        subscription_type=subscription_type,
        subscription_version="1",
        message_id=f"resync-{uuid.uuid4()}",
        message_timestamp=datetime.now(UTC),
        model=model,
        # The core's models keep no raw Helix object; the model is the payload here.
        payload={},
        resync=True,
    )


def _prediction_type(status: str) -> str:
    if status == "ACTIVE":
        return "channel.prediction.progress"
    if status == "LOCKED":
        return "channel.prediction.lock"
    return "channel.prediction.end"


def _poll_type(status: str) -> str:
    return "channel.poll.progress" if status == "ACTIVE" else "channel.poll.end"


async def standard_resync(broadcaster: PartialUser) -> AsyncIterator[EventSubEvent]:
    """Yield the channel's current state as ``resync`` events (see the module docstring).

    Args:
        broadcaster: The channel, with the user token's HTTP handler behind it.
    """
    try:
        rewards = await broadcaster.get_custom_rewards(only_manageable=True)
    except TwitchError as exc:
        _log.warning("resync: rewards unavailable: %s", exc)
        rewards = []
    for reward in rewards:
        yield resync_event(_REWARD_UPDATE, reward)
    count = 0
    for reward in rewards:
        try:
            async for redemption in reward.get_redemptions("UNFULFILLED"):
                count += 1
                yield resync_event(_REDEMPTION_ADD, redemption)
        except TwitchError as exc:
            _log.warning("resync: redemptions of reward %s unavailable: %s", reward.id, exc)
    try:
        for prediction in await broadcaster.get_predictions(limit=1):
            yield resync_event(_prediction_type(prediction.status), prediction)
    except TwitchError as exc:
        _log.warning("resync: predictions unavailable: %s", exc)
    try:
        for poll in await broadcaster.get_polls(limit=1):
            yield resync_event(_poll_type(poll.status), poll)
    except TwitchError as exc:
        _log.warning("resync: polls unavailable: %s", exc)
    try:
        for goal in await broadcaster.get_goals():
            yield resync_event("channel.goal.progress", goal)
    except TwitchError as exc:
        _log.warning("resync: goals unavailable: %s", exc)
    _log.info("resync: %d rewards, %d UNFULFILLED redemptions", len(rewards), count)
