"""EventSub WebSocket messages: the subscriptions the app needs, the event types.

Everything here is free of sockets so it can be tested with the example messages in
``twitch-reference/eventsub/``. The connection logic lives in :mod:`.eventsub`, the
delivery rules (resends, stale messages) in :mod:`.eventsub_filter`.
"""

from __future__ import annotations

import functools
import importlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypedDict

# Re-exported: the delivery rules lived here before they got a module of their own.
from .eventsub_filter import (
    DEDUP_MAX_ENTRIES,
    DEDUP_WINDOW_SECONDS,
    MAX_MESSAGE_AGE_SECONDS,
    MessageFilter,
    MessageWindow,
    ServerClock,
    message_time,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .http import HTTPHandler

__all__ = [
    "APP_SUBSCRIPTION_TYPES",
    "DEDUP_MAX_ENTRIES",
    "DEDUP_WINDOW_SECONDS",
    "EXTRA_SUBSCRIPTION_TYPES",
    "MAX_MESSAGE_AGE_SECONDS",
    "MAX_SUBSCRIPTIONS_PER_CONNECTION",
    "EventSubEvent",
    "MessageFilter",
    "MessageMetadata",
    "MessageWindow",
    "Revocation",
    "ServerClock",
    "SubscriptionSpec",
    "app_subscriptions",
    "build_model",
    "extra_subscriptions",
    "message_time",
    "model_factory",
    "scopes_for",
]

_log = logging.getLogger(__name__)

#: [HWE] "Max 300 enabled subscriptions per WebSocket connection".
MAX_SUBSCRIPTIONS_PER_CONNECTION: Final = 300
#: [HWE] "Max 3 WebSocket connections with enabled subscriptions" per (client id, user id).
MAX_CONNECTIONS_PER_USER: Final = 3

_REDEMPTION = "channel.channel_points_custom_reward_redemption"
_REWARD = "channel.channel_points_custom_reward"

#: What the app subscribes to, most important first (the first one is created alone, at
#: once, so the 10-second welcome window is met even when the rest is slow).
APP_SUBSCRIPTION_TYPES: Final[tuple[str, ...]] = (
    f"{_REDEMPTION}.add",
    f"{_REDEMPTION}.update",
    f"{_REWARD}.add",
    f"{_REWARD}.update",
    f"{_REWARD}.remove",
    "channel.prediction.begin",
    "channel.prediction.progress",
    "channel.prediction.lock",
    "channel.prediction.end",
    "channel.poll.begin",
    "channel.poll.progress",
    "channel.poll.end",
    "channel.goal.begin",
    "channel.goal.progress",
    "channel.goal.end",
    "stream.online",
    "stream.offline",
)

_READ_REDEMPTIONS = ("channel:read:redemptions", "channel:manage:redemptions")
_READ_PREDICTIONS = ("channel:read:predictions", "channel:manage:predictions")
_READ_POLLS = ("channel:read:polls", "channel:manage:polls")

#: Type prefix -> scopes that authorise it (any one), from the subscription-types reference.
_SCOPES_BY_PREFIX: Final[dict[str, tuple[str, ...]]] = {
    _REDEMPTION: _READ_REDEMPTIONS,
    _REWARD: _READ_REDEMPTIONS,
    "channel.prediction": _READ_PREDICTIONS,
    "channel.poll": _READ_POLLS,
    "channel.goal": ("channel:read:goals",),
    "stream": (),
    "channel.moderator": ("moderation:read",),
    "channel.subscription": ("channel:read:subscriptions",),
    "channel.hype_train": ("channel:read:hype_train",),
}

#: Types whose scope cannot be told from their prefix (``channel.ban`` -> ``channel``).
_SCOPES_BY_TYPE: Final[dict[str, tuple[str, ...]]] = {
    "channel.ban": ("channel:moderate",),
    "channel.unban": ("channel:moderate",),
    "channel.follow": ("moderator:read:followers",),
    "channel.subscribe": ("channel:read:subscriptions",),
}

#: The seed-model types fed by EventSub alone (bans, moderators, follows, subscriptions, hype
#: trains), with the version subscribed to. Not in the app's default list: their scopes are
#: not among the ones the app asks for. ``channel.follow`` is version 2 (condition with a
#: moderator); the hype-train types are version 1, the one ``HypeTrainEvent`` reads
#: (``last_contribution``).
EXTRA_SUBSCRIPTION_TYPES: Final[tuple[tuple[str, str], ...]] = (
    ("channel.ban", "1"),
    ("channel.unban", "1"),
    ("channel.moderator.add", "1"),
    ("channel.moderator.remove", "1"),
    ("channel.follow", "2"),
    ("channel.subscribe", "1"),
    ("channel.subscription.gift", "1"),
    ("channel.subscription.message", "1"),
    ("channel.hype_train.begin", "1"),
    ("channel.hype_train.progress", "1"),
    ("channel.hype_train.end", "1"),
)

#: Subscription type -> (module under ``companion.twitch.models``, class with ``from_eventsub``).
_MODELS: Final[dict[str, tuple[str, str]]] = {
    f"{_REDEMPTION}.add": ("channel_points", "CustomRewardRedemption"),
    f"{_REDEMPTION}.update": ("channel_points", "CustomRewardRedemption"),
    f"{_REWARD}.add": ("channel_points", "CustomReward"),
    f"{_REWARD}.update": ("channel_points", "CustomReward"),
    f"{_REWARD}.remove": ("channel_points", "CustomReward"),
    "channel.prediction.begin": ("predictions", "Prediction"),
    "channel.prediction.progress": ("predictions", "Prediction"),
    "channel.prediction.lock": ("predictions", "Prediction"),
    "channel.prediction.end": ("predictions", "Prediction"),
    "channel.poll.begin": ("polls", "Poll"),
    "channel.poll.progress": ("polls", "Poll"),
    "channel.poll.end": ("polls", "Poll"),
    "channel.goal.begin": ("goals", "Goal"),
    "channel.goal.progress": ("goals", "Goal"),
    "channel.goal.end": ("goals", "Goal"),
    # stream.online / stream.offline have no model in the client core: raw payload only.
    # The extra types' models need the type or the message time too: see _EXTRA_MODELS.
}


#: The status an event type implies, for models whose event carries none (begin/progress).
_IMPLIED_STATUS: Final[dict[str, str]] = {
    "channel.prediction.begin": "ACTIVE",
    "channel.prediction.progress": "ACTIVE",
    "channel.prediction.lock": "LOCKED",
    "channel.poll.begin": "ACTIVE",
    "channel.poll.progress": "ACTIVE",
}


def scopes_for(subscription_type: str) -> tuple[str, ...]:
    """Scopes that authorise ``subscription_type`` (any one); empty when none is needed."""
    exact = _SCOPES_BY_TYPE.get(subscription_type)
    if exact is not None:
        return exact
    prefix = subscription_type.rsplit(".", 1)[0]
    return _SCOPES_BY_PREFIX.get(prefix, ())


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """One subscription to create on every fresh session.

    Attributes:
        type: Subscription type, e.g. ``channel.poll.begin``.
        version: Type version.
        condition: The condition object (string values).
    """

    type: str
    version: str
    condition: Mapping[str, str]

    def body(self, session_id: str) -> dict[str, Any]:
        """The Create EventSub Subscription request body for a WebSocket session."""
        return {
            "type": self.type,
            "version": self.version,
            "condition": dict(self.condition),
            "transport": {"method": "websocket", "session_id": session_id},
        }


def app_subscriptions(broadcaster_id: str) -> list[SubscriptionSpec]:
    """The subscriptions the app needs on one channel (all version 1, condition on the channel)."""
    return [
        SubscriptionSpec(name, "1", {"broadcaster_user_id": str(broadcaster_id)})
        for name in APP_SUBSCRIPTION_TYPES
    ]


def extra_subscriptions(broadcaster_id: str, moderator_id: str) -> list[SubscriptionSpec]:
    """Subscriptions for the EventSub-fed seed models on one channel (`EXTRA_SUBSCRIPTION_TYPES`).

    Args:
        broadcaster_id: The channel.
        moderator_id: The user whose token subscribes to ``channel.follow`` v2: the
            broadcaster or one of their moderators. Every other type needs the broadcaster's
            own token, so pass the broadcaster here when one client creates them all.
    """
    specs = []
    for name, version in EXTRA_SUBSCRIPTION_TYPES:
        condition = {"broadcaster_user_id": str(broadcaster_id)}
        if name == "channel.follow":
            condition["moderator_user_id"] = str(moderator_id)
        specs.append(SubscriptionSpec(name, version, condition))
    return specs


class MessageMetadata(TypedDict, total=False):
    """The ``metadata`` object of a WebSocket message (the keys this client reads)."""

    message_id: str
    message_type: str
    message_timestamp: str
    subscription_type: str
    subscription_version: str


@dataclass(frozen=True, slots=True, eq=False)
class EventSubEvent:
    """A notification, parsed (or, with ``resync``, a state read back through Helix).

    Attributes:
        subscription_type: E.g. ``channel.channel_points_custom_reward_redemption.add``.
        subscription_version: The type version.
        message_id: Twitch's message id (``resync:...`` for reconciliation events).
        message_timestamp: When Twitch sent it (when it was fetched, for resync events).
        model: The client core's model (``CustomRewardRedemption``, ``CustomReward``,
            ``Prediction``, ``Poll``, ``Goal``; for the extra types ``BanEvent``,
            ``ModEvent``, ``FollowEvent``, ``SubscriptionEvent``, ``HypeTrainEvent``), or
            None when there is none for this type or it failed to parse (see
            ``parse_error``).
        payload: The raw ``event`` object (the Helix object for resync events).
        subscription: The raw ``subscription`` object (empty for resync events).
        resync: True when produced by reconciliation after a reconnect, not by Twitch.
        parse_error: Why ``model`` is None although a model exists for this type.
    """

    subscription_type: str
    subscription_version: str
    message_id: str
    message_timestamp: datetime
    model: Any
    payload: Mapping[str, Any]
    subscription: Mapping[str, Any] = field(default_factory=dict)
    resync: bool = False
    parse_error: str | None = None

    def __repr__(self) -> str:
        flag = " resync" if self.resync else ""
        return (
            f"<EventSubEvent {self.subscription_type} id={self.message_id!r}{flag} "
            f"model={self.model!r}>"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventSubEvent):
            return NotImplemented
        return self.message_id == other.message_id

    def __hash__(self) -> int:
        return hash(self.message_id)


@dataclass(frozen=True, slots=True, eq=False)
class Revocation:
    """Twitch revoked a subscription; no more events of this type will come for the user.

    Attributes:
        subscription_type: The revoked type.
        subscription_version: Its version.
        message_id: Twitch's message id.
        message_timestamp: When Twitch sent it.
        status: Why: ``authorization_revoked``, ``user_removed``, ``version_removed``, ...
        subscription: The raw ``subscription`` object.
    """

    subscription_type: str
    subscription_version: str
    message_id: str
    message_timestamp: datetime
    status: str
    subscription: Mapping[str, Any]

    def __repr__(self) -> str:
        return f"<Revocation {self.subscription_type} status={self.status!r}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Revocation):
            return NotImplemented
        return self.message_id == other.message_id

    def __hash__(self) -> int:
        return hash(self.message_id)


_factories: dict[str, Callable[[HTTPHandler, Any], Any] | None] = {}

if TYPE_CHECKING:
    #: A model builder for the extra types: ``(http, type, event, message time) -> model``.
    _ExtraFactory = Callable[[HTTPHandler, str, Any, datetime | None], Any]


def _ban_model(http: HTTPHandler, type_: str, event: Any, sent: datetime | None) -> Any:
    from .models.moderation import BanEvent

    # channel.unban carries no time of its own: the notification's time stands in.
    return BanEvent.from_eventsub(http, event, timestamp=sent)


def _mod_model(http: HTTPHandler, type_: str, event: Any, sent: datetime | None) -> Any:
    from .models.moderation import ModEvent, ModEventEnum

    # The event carries no time; the notification's is when it happened.
    when = sent if sent is not None else datetime.now(UTC)
    return ModEvent(http, event, type=ModEventEnum(type_), timestamp=when)


def _follow_model(http: HTTPHandler, type_: str, event: Any, sent: datetime | None) -> Any:
    from .models.follows import FollowEvent

    return FollowEvent.from_eventsub(http, event)


def _subscription_model(http: HTTPHandler, type_: str, event: Any, sent: datetime | None) -> Any:
    from .models.subscriptions import SubscriptionEvent

    return SubscriptionEvent.from_eventsub(http, type_, event)


def _hype_train_model(http: HTTPHandler, type_: str, event: Any, sent: datetime | None) -> Any:
    from .models.hype_train import HypeTrainEvent

    return HypeTrainEvent.from_eventsub(http, event, timestamp=sent)


#: The extra types' builders (their models need the type name or the message time).
_EXTRA_MODELS: Final[dict[str, _ExtraFactory]] = {
    "channel.ban": _ban_model,
    "channel.unban": _ban_model,
    "channel.moderator.add": _mod_model,
    "channel.moderator.remove": _mod_model,
    "channel.follow": _follow_model,
    "channel.subscribe": _subscription_model,
    "channel.subscription.gift": _subscription_model,
    "channel.subscription.message": _subscription_model,
    "channel.hype_train.begin": _hype_train_model,
    "channel.hype_train.progress": _hype_train_model,
    "channel.hype_train.end": _hype_train_model,
}


def model_factory(subscription_type: str) -> Callable[[HTTPHandler, Any], Any] | None:
    """The core's ``Model.from_eventsub`` for a type, or None if the core has none (yet).

    Looked up lazily and cached: the client core grows its models independently, and a
    missing one must only cost the typed model, never the event. For the extra types the
    factory takes ``timestamp=`` (the message time) as well.
    """
    if subscription_type in _factories:
        return _factories[subscription_type]
    found: Callable[[HTTPHandler, Any], Any] | None = None
    extra = _EXTRA_MODELS.get(subscription_type)
    if extra is not None:
        found = functools.partial(_call_extra, extra, subscription_type)
        _factories[subscription_type] = found
        return found
    target = _MODELS.get(subscription_type)
    if target is not None:
        module_name, class_name = target
        try:
            module = importlib.import_module(f"companion.twitch.models.{module_name}")
            method: Any = getattr(module, class_name).from_eventsub
            implied = _IMPLIED_STATUS.get(subscription_type)
            found = method if implied is None else functools.partial(method, status=implied)
        except (ImportError, AttributeError) as exc:
            _log.info(
                "no model for %s (%s.%s.from_eventsub: %r); events keep the raw payload",
                subscription_type,
                module_name,
                class_name,
                exc,
            )
    _factories[subscription_type] = found
    return found


def _call_extra(
    extra: _ExtraFactory,
    subscription_type: str,
    http: HTTPHandler,
    event: Any,
    *,
    timestamp: datetime | None = None,
) -> Any:
    return extra(http, subscription_type, event, timestamp)


def build_model(
    http: HTTPHandler, subscription_type: str, event: Any, timestamp: datetime | None = None
) -> tuple[Any, str | None]:
    """``(model, parse_error)`` for one event payload; a bad payload never raises.

    Args:
        http: The HTTP handler the model keeps.
        subscription_type: The notification's type.
        event: The ``payload.event`` object.
        timestamp: The notification's time (the extra types' models use it).
    """
    factory = model_factory(subscription_type)
    if factory is None:
        return None, None
    try:
        extra = _EXTRA_MODELS.get(subscription_type)
        if extra is not None:
            return extra(http, subscription_type, event, timestamp), None
        return factory(http, event), None
    except Exception as exc:  # a model bug or an unexpected payload must not kill the socket
        _log.warning("could not parse a %s event: %r", subscription_type, exc)
        return None, repr(exc)


def parse_notification(
    http: HTTPHandler, metadata: Mapping[str, Any], payload: Mapping[str, Any], sent: datetime
) -> EventSubEvent:
    """Turn a ``notification`` message into an :class:`EventSubEvent`."""
    subscription = payload.get("subscription") or {}
    sub_type = str(metadata.get("subscription_type") or subscription.get("type") or "")
    version = str(metadata.get("subscription_version") or subscription.get("version") or "")
    event = payload.get("event") or {}
    model, error = build_model(http, sub_type, event, sent)
    return EventSubEvent(
        subscription_type=sub_type,
        subscription_version=version,
        message_id=str(metadata.get("message_id", "")),
        message_timestamp=sent,
        model=model,
        payload=event,
        subscription=subscription,
        parse_error=error,
    )


def parse_revocation(
    metadata: Mapping[str, Any], payload: Mapping[str, Any], sent: datetime
) -> Revocation:
    """Turn a ``revocation`` message into a :class:`Revocation`."""
    subscription = payload.get("subscription") or {}
    return Revocation(
        subscription_type=str(metadata.get("subscription_type") or subscription.get("type", "")),
        subscription_version=str(
            metadata.get("subscription_version") or subscription.get("version", "")
        ),
        message_id=str(metadata.get("message_id", "")),
        message_timestamp=sent,
        status=str(subscription.get("status", "")),
        subscription=subscription,
    )
