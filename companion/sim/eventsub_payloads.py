"""EventSub subscription types and the Helix-record -> EventSub-event mapping.

The simulator's state describes every change with the object as Helix serves it (upper-case
statuses, ``*_setting`` objects, ``broadcaster_id``). EventSub spells the same facts differently
(lower-case statuses, ``max_per_stream{is_enabled,value}``, ``broadcaster_user_id``, goal type
``follow``). This module is the one place that translates, written from the documented example
payloads in ``twitch-reference/eventsub/*.payload.json`` and the field notes in ``SOURCES.md``.

It also holds the table of subscription types the simulator supports (name, version, scopes,
condition fields) and the RFC3339-with-nanoseconds timestamp helpers EventSub uses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

_log = logging.getLogger(__name__)

#: Looks a user id up; returns ``(login, display_name)`` or None when the user is unknown.
UserLookup = Callable[[str], "tuple[str, str] | None"]

_NS_PER_S: Final = 1_000_000_000


# --------------------------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------------------------

_last_second: list[Any] = [-1, ""]


def format_rfc3339_ns(ns: int) -> str:
    """Formats epoch nanoseconds the way EventSub does.

    The documented examples show fractions of 9 digits (``…12.634234626Z``) and of 8 digits
    (``…03.17106713Z``), i.e. nanosecond precision with trailing zeros dropped; that is what we
    produce. Every documented EventSub time has a fraction and EVENTSUB_RULES.md says they
    "use nanoseconds", so an exact whole second keeps one digit (``…12.0Z``); what Twitch
    sends then is not documented.

    Args:
        ns: Nanoseconds since the Unix epoch.

    Returns:
        ``YYYY-MM-DDTHH:MM:SS[.fffffffff]Z``.
    """
    seconds, frac = divmod(ns, _NS_PER_S)
    # A burst formats thousands of stamps inside the same second: cache the date part.
    if _last_second[0] != seconds:
        _last_second[0] = seconds
        _last_second[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    head: str = _last_second[1]
    return head + "." + (f"{frac:09d}".rstrip("0") or "0") + "Z"


def now_rfc3339_ns() -> str:
    """The current time in EventSub's timestamp format."""
    return format_rfc3339_ns(time.time_ns())


def parse_rfc3339_ns(value: str) -> int:
    """Parses an RFC3339 timestamp with 0-9 fractional digits into epoch nanoseconds.

    Args:
        value: e.g. ``2021-04-28T16:03:06.320848689Z`` or ``2021-08-16T17:22:23Z``.

    Returns:
        Nanoseconds since the Unix epoch.

    Raises:
        ValueError: The string is not an RFC3339 timestamp.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    frac_ns = 0
    dot = text.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        digits = text[dot + 1 : end]
        if not digits or len(digits) > 9:
            raise ValueError(f"bad fractional seconds in {value!r}")
        frac_ns = int(digits.ljust(9, "0"))
        text = text[:dot] + text[end:]
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp()) * _NS_PER_S + frac_ns


def _shift(value: Any, seconds: Any) -> str | None:
    """``value + seconds`` as an EventSub timestamp, or None when either is missing."""
    if not isinstance(value, str) or not isinstance(seconds, int | float):
        return None
    try:
        return format_rfc3339_ns(parse_rfc3339_ns(value) + int(seconds * _NS_PER_S))
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# Subscription types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionType:
    """One EventSub subscription type the simulator delivers.

    Attributes:
        name: e.g. ``channel.poll.begin``.
        version: The version (most of ours have only ``"1"``; the hype-train types have
            ``"1"`` and ``"2"``, one `SubscriptionType` each).
        scopes: The token needs ANY one of these; empty when the type needs no authorization.
        optional_condition: Condition keys allowed besides ``broadcaster_user_id``.
        required_condition: Condition keys required besides ``broadcaster_user_id``
            (``channel.follow`` v2's ``moderator_user_id``).
        authorized_by: The condition key naming the user whose token must create the
            subscription (the broadcaster, or for ``channel.follow`` v2 the moderator).
    """

    name: str
    version: str
    scopes: frozenset[str]
    optional_condition: frozenset[str] = frozenset()
    required_condition: frozenset[str] = frozenset()
    authorized_by: str = "broadcaster_user_id"

    @property
    def needs_authorization(self) -> bool:
        """True when the broadcaster must have authorized the client (a scoped type)."""
        return bool(self.scopes)


_REDEMPTIONS = frozenset({"channel:read:redemptions", "channel:manage:redemptions"})
_PREDICTIONS = frozenset({"channel:read:predictions", "channel:manage:predictions"})
_POLLS = frozenset({"channel:read:polls", "channel:manage:polls"})
_GOALS = frozenset({"channel:read:goals"})
_REWARD_ID = frozenset({"reward_id"})


def _types(*items: SubscriptionType) -> dict[str, SubscriptionType]:
    return {item.name: item for item in items}


#: Every subscription type the simulator supports, by name: its first version (scopes per
#: SOURCES.md; the stream types need no scope, as Twitch documents for stream.online/offline).
#: `SUBSCRIPTION_VERSIONS` has every version.
SUBSCRIPTION_TYPES: Final[dict[str, SubscriptionType]] = _types(
    SubscriptionType("channel.channel_points_custom_reward.add", "1", _REDEMPTIONS),
    SubscriptionType("channel.channel_points_custom_reward.update", "1", _REDEMPTIONS, _REWARD_ID),
    SubscriptionType("channel.channel_points_custom_reward.remove", "1", _REDEMPTIONS, _REWARD_ID),
    SubscriptionType(
        "channel.channel_points_custom_reward_redemption.add", "1", _REDEMPTIONS, _REWARD_ID
    ),
    SubscriptionType(
        "channel.channel_points_custom_reward_redemption.update", "1", _REDEMPTIONS, _REWARD_ID
    ),
    SubscriptionType("channel.prediction.begin", "1", _PREDICTIONS),
    SubscriptionType("channel.prediction.progress", "1", _PREDICTIONS),
    SubscriptionType("channel.prediction.lock", "1", _PREDICTIONS),
    SubscriptionType("channel.prediction.end", "1", _PREDICTIONS),
    SubscriptionType("channel.poll.begin", "1", _POLLS),
    SubscriptionType("channel.poll.progress", "1", _POLLS),
    SubscriptionType("channel.poll.end", "1", _POLLS),
    SubscriptionType("channel.goal.begin", "1", _GOALS),
    SubscriptionType("channel.goal.progress", "1", _GOALS),
    SubscriptionType("channel.goal.end", "1", _GOALS),
    SubscriptionType("stream.online", "1", frozenset()),
    SubscriptionType("stream.offline", "1", frozenset()),
)

#: Every ``(name, version)`` the simulator delivers.
SUBSCRIPTION_VERSIONS: Final[dict[tuple[str, str], SubscriptionType]] = {
    (item.name, item.version): item for item in SUBSCRIPTION_TYPES.values()
}


def subscription_type(name: str, version: str) -> SubscriptionType | None:
    """The type a Create EventSub Subscription request names, or None if we do not serve it."""
    return SUBSCRIPTION_VERSIONS.get((name, version))


#: DomainEvent kind -> EventSub subscription type name.
KIND_TO_TYPE: Final[dict[str, str]] = {
    "reward.add": "channel.channel_points_custom_reward.add",
    "reward.update": "channel.channel_points_custom_reward.update",
    "reward.remove": "channel.channel_points_custom_reward.remove",
    "redemption.add": "channel.channel_points_custom_reward_redemption.add",
    "redemption.update": "channel.channel_points_custom_reward_redemption.update",
    "prediction.begin": "channel.prediction.begin",
    "prediction.progress": "channel.prediction.progress",
    "prediction.lock": "channel.prediction.lock",
    "prediction.end": "channel.prediction.end",
    "poll.begin": "channel.poll.begin",
    "poll.progress": "channel.poll.progress",
    "poll.end": "channel.poll.end",
    "goal.begin": "channel.goal.begin",
    "goal.progress": "channel.goal.progress",
    "goal.end": "channel.goal.end",
    "stream.online": "stream.online",
    "stream.offline": "stream.offline",
}


def reward_id_of(kind: str, record: Mapping[str, Any]) -> str | None:
    """The reward id a ``reward_id`` condition is matched against, for reward kinds.

    Args:
        kind: The DomainEvent kind.
        record: The Helix-shaped record.

    Returns:
        The reward's id for reward and redemption kinds, else None.
    """
    if kind.startswith("reward."):
        value = record.get("id")
        return value if isinstance(value, str) else None
    if kind.startswith("redemption."):
        reward = record.get("reward")
        if isinstance(reward, Mapping):
            value = reward.get("id")
            return value if isinstance(value, str) else None
    return None


# --------------------------------------------------------------------------------------------
# Helix record -> EventSub event
# --------------------------------------------------------------------------------------------


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _broadcaster(
    record: Mapping[str, Any], broadcaster_id: str, users: UserLookup, prefix: str = "broadcaster"
) -> dict[str, Any]:
    """``broadcaster_user_id/login/name`` from a record's ``<prefix>_id/login/name`` fields."""
    user_id = record.get(f"{prefix}_id") or broadcaster_id
    login = record.get(f"{prefix}_login")
    name = record.get(f"{prefix}_name")
    if not isinstance(login, str) or not isinstance(name, str):
        found = users(str(user_id))
        if found is not None:
            login, name = found
        else:
            # The state always knows its users; an unknown id is a state bug, not a Twitch
            # behaviour, so fall back to the id rather than crash the dispatch.
            _log.warning("no user %s for an EventSub event", user_id)
            login = login if isinstance(login, str) else str(user_id)
            name = name if isinstance(name, str) else str(user_id)
    return {
        "broadcaster_user_id": str(user_id),
        "broadcaster_user_login": login,
        "broadcaster_user_name": name,
    }


def _image(value: Any) -> Any:
    # Helix serves `image: null` when the reward has no custom image; EventSub documents the
    # same object (url_1x/2x/4x) and, where there is none, the reference is silent: pass null.
    if isinstance(value, Mapping):
        return {key: value.get(key) for key in ("url_1x", "url_2x", "url_4x")}
    return None


def _reward_event(
    record: Mapping[str, Any], broadcaster_id: str, users: UserLookup
) -> dict[str, Any]:
    max_stream = record.get("max_per_stream_setting") or {}
    max_user = record.get("max_per_user_per_stream_setting") or {}
    cooldown = record.get("global_cooldown_setting") or {}
    event: dict[str, Any] = {"id": record.get("id")}
    event.update(_broadcaster(record, broadcaster_id, users))
    event.update(
        {
            "is_enabled": bool(record.get("is_enabled")),
            "is_paused": bool(record.get("is_paused")),
            "is_in_stock": bool(record.get("is_in_stock")),
            "title": record.get("title"),
            "cost": record.get("cost"),
            "prompt": record.get("prompt"),
            "is_user_input_required": bool(record.get("is_user_input_required")),
            "should_redemptions_skip_request_queue": bool(
                record.get("should_redemptions_skip_request_queue")
            ),
            "cooldown_expires_at": record.get("cooldown_expires_at"),
            "redemptions_redeemed_current_stream": record.get(
                "redemptions_redeemed_current_stream"
            ),
            "max_per_stream": {
                "is_enabled": bool(max_stream.get("is_enabled")),
                "value": max_stream.get("max_per_stream", 0),
            },
            "max_per_user_per_stream": {
                "is_enabled": bool(max_user.get("is_enabled")),
                "value": max_user.get("max_per_user_per_stream", 0),
            },
            "global_cooldown": {
                "is_enabled": bool(cooldown.get("is_enabled")),
                "seconds": cooldown.get("global_cooldown_seconds", 0),
            },
            "background_color": record.get("background_color"),
            "image": _image(record.get("image")),
            "default_image": _image(record.get("default_image")),
        }
    )
    return event


def _redemption_event(
    record: Mapping[str, Any], broadcaster_id: str, users: UserLookup
) -> dict[str, Any]:
    reward = record.get("reward") or {}
    event: dict[str, Any] = {"id": record.get("id")}
    event.update(_broadcaster(record, broadcaster_id, users))
    user_id = str(record.get("user_id", ""))
    login, name = record.get("user_login"), record.get("user_name")
    if not isinstance(login, str) or not isinstance(name, str):
        login, name = users(user_id) or (user_id, user_id)
    event.update(
        {
            "user_id": user_id,
            "user_login": login,
            "user_name": name,
            "user_input": record.get("user_input", ""),
            # Helix: UNFULFILLED/FULFILLED/CANCELED; EventSub: the same words in lower case.
            "status": _lower(record.get("status")),
            "reward": {
                "id": reward.get("id"),
                "title": reward.get("title"),
                "cost": reward.get("cost"),
                "prompt": reward.get("prompt"),
            },
            "redeemed_at": record.get("redeemed_at"),
        }
    )
    return event


def _predictor(entry: Mapping[str, Any], *, settled: bool) -> dict[str, Any]:
    return {
        "user_name": entry.get("user_name"),
        "user_login": entry.get("user_login"),
        "user_id": str(entry.get("user_id", "")),
        # The progress/lock examples always show null here; only end carries the result.
        "channel_points_won": entry.get("channel_points_won") if settled else None,
        "channel_points_used": entry.get("channel_points_used"),
    }


def _outcomes(record: Mapping[str, Any], *, full: bool, settled: bool) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for outcome in record.get("outcomes") or ():
        item: dict[str, Any] = {
            "id": outcome.get("id"),
            "title": outcome.get("title"),
            # Helix: BLUE/PINK; EventSub: blue/pink.
            "color": _lower(outcome.get("color")),
        }
        if full:
            item["users"] = outcome.get("users", 0)
            item["channel_points"] = outcome.get("channel_points", 0)
            item["top_predictors"] = [
                _predictor(entry, settled=settled) for entry in outcome.get("top_predictors") or ()
            ]
        result.append(item)
    return result


def _prediction_event(
    kind: str, record: Mapping[str, Any], broadcaster_id: str, users: UserLookup
) -> dict[str, Any]:
    event: dict[str, Any] = {"id": record.get("id")}
    event.update(_broadcaster(record, broadcaster_id, users))
    event["title"] = record.get("title")
    started_at = record.get("created_at")
    if kind == "prediction.end":
        event["winning_outcome_id"] = record.get("winning_outcome_id")
        event["outcomes"] = _outcomes(record, full=True, settled=True)
        # Helix: RESOLVED/CANCELED; EventSub: resolved/canceled.
        event["status"] = _lower(record.get("status"))
        event["started_at"] = started_at
        event["ended_at"] = record.get("ended_at") or now_rfc3339_ns()
        return event
    event["outcomes"] = _outcomes(record, full=kind != "prediction.begin", settled=False)
    event["started_at"] = started_at
    if kind == "prediction.lock":
        event["locked_at"] = record.get("locked_at") or now_rfc3339_ns()
    else:
        # Helix has no locks_at; it is the creation time plus the prediction window.
        event["locks_at"] = _shift(started_at, record.get("prediction_window"))
    return event


def _poll_event(
    kind: str, record: Mapping[str, Any], broadcaster_id: str, users: UserLookup
) -> dict[str, Any]:
    event: dict[str, Any] = {"id": record.get("id")}
    event.update(_broadcaster(record, broadcaster_id, users))
    event["title"] = record.get("title")
    choices: list[dict[str, Any]] = []
    for choice in record.get("choices") or ():
        item: dict[str, Any] = {"id": choice.get("id"), "title": choice.get("title")}
        if kind != "poll.begin":
            item["bits_votes"] = choice.get("bits_votes", 0)
            item["channel_points_votes"] = choice.get("channel_points_votes", 0)
            item["votes"] = choice.get("votes", 0)
        choices.append(item)
    event["choices"] = choices
    event["bits_voting"] = {
        "is_enabled": bool(record.get("bits_voting_enabled")),
        "amount_per_vote": record.get("bits_per_vote", 0),
    }
    event["channel_points_voting"] = {
        "is_enabled": bool(record.get("channel_points_voting_enabled")),
        "amount_per_vote": record.get("channel_points_per_vote", 0),
    }
    started_at = record.get("started_at")
    if kind == "poll.end":
        # Helix: COMPLETED/TERMINATED/ARCHIVED; EventSub: completed/terminated/archived.
        event["status"] = _lower(record.get("status"))
        event["started_at"] = started_at
        event["ended_at"] = record.get("ended_at") or now_rfc3339_ns()
    else:
        event["started_at"] = started_at
        # Helix has no ends_at; it is the start plus the duration.
        event["ends_at"] = _shift(started_at, record.get("duration"))
    return event


def _goal_event(
    kind: str, record: Mapping[str, Any], broadcaster_id: str, users: UserLookup
) -> dict[str, Any]:
    event: dict[str, Any] = {"id": record.get("id")}
    event.update(_broadcaster(record, broadcaster_id, users))
    goal_type = record.get("type")
    # SOURCES.md: Helix spells the follower goal `follower`, the EventSub table `follow`.
    event["type"] = "follow" if goal_type == "follower" else goal_type
    event["description"] = record.get("description")
    current = record.get("current_amount", 0)
    target = record.get("target_amount", 0)
    if kind == "goal.end":
        achieved = record.get("is_achieved")
        if not isinstance(achieved, bool):
            # Helix's goal object has no such field; a goal that reached its target is achieved.
            achieved = isinstance(current, int) and isinstance(target, int) and current >= target
        event["is_achieved"] = achieved
    event["current_amount"] = current
    event["target_amount"] = target
    # Helix calls the start `created_at`; EventSub calls it `started_at`.
    event["started_at"] = record.get("started_at") or record.get("created_at")
    if kind == "goal.end":
        event["ended_at"] = record.get("ended_at") or now_rfc3339_ns()
    return event


def _stream_event(
    kind: str, record: Mapping[str, Any], broadcaster_id: str, users: UserLookup
) -> dict[str, Any]:
    # The twitch-reference has no stream.online/offline example; these are the fields of the
    # EventSub reference's Stream Online/Offline events (id, type and started_at for online;
    # the broadcaster only for offline). Helix's stream object names the broadcaster `user_*`.
    prefix = "user" if "user_id" in record else "broadcaster"
    who = _broadcaster(record, broadcaster_id, users, prefix=prefix)
    if kind == "stream.offline":
        return who
    event: dict[str, Any] = {"id": str(record.get("id", ""))}
    event.update(who)
    event["type"] = record.get("type") or "live"
    event["started_at"] = record.get("started_at") or now_rfc3339_ns()
    return event


#: Builds an ``event`` object: ``(kind, record, broadcaster_id, users, version) -> event``.
EventBuilder = Callable[[str, Mapping[str, Any], str, UserLookup, str], dict[str, Any]]

#: Event builders for the kinds `companion.sim.eventsub_extra_types` registers (bans,
#: moderators, follows, subscriptions, hype trains), by kind.
EXTRA_BUILDERS: Final[dict[str, EventBuilder]] = {}


def build_event(
    kind: str,
    record: Mapping[str, Any],
    broadcaster_id: str,
    users: UserLookup,
    version: str = "1",
) -> dict[str, Any]:
    """Builds the EventSub ``event`` object for a DomainEvent.

    Args:
        kind: A DomainEvent kind with an entry in `KIND_TO_TYPE`.
        record: The Helix-shaped record after the change.
        broadcaster_id: The channel, used when the record lacks it.
        users: Looks up login/display name for ids the record does not name.
        version: The subscription's version (the event's fields may differ by version).

    Returns:
        The ``event`` object, with the keys and value types of the documented example.

    Raises:
        KeyError: ``kind`` has no EventSub type.
    """
    extra = EXTRA_BUILDERS.get(kind)
    if extra is not None:
        return extra(kind, record, broadcaster_id, users, version)
    area = kind.split(".", 1)[0]
    if area == "reward":
        return _reward_event(record, broadcaster_id, users)
    if area == "redemption":
        return _redemption_event(record, broadcaster_id, users)
    if area == "prediction":
        return _prediction_event(kind, record, broadcaster_id, users)
    if area == "poll":
        return _poll_event(kind, record, broadcaster_id, users)
    if area == "goal":
        return _goal_event(kind, record, broadcaster_id, users)
    if area == "stream":
        return _stream_event(kind, record, broadcaster_id, users)
    raise KeyError(kind)


# --------------------------------------------------------------------------------------------
# The types fed by the extras register themselves into SUBSCRIPTION_TYPES, KIND_TO_TYPE and
# EXTRA_BUILDERS; imported last so the tables above exist whichever module loads first.
# --------------------------------------------------------------------------------------------

from companion.sim import eventsub_extra_types as _extra_types  # noqa: E402, F401
