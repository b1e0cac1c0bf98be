"""EventSub types fed by the simulator's extras: bans, moderators, follows, subs, hype trains.

`companion.sim.extras` keeps bans, moderators, followers, subscriptions and hype trains and
emits a `DomainEvent` for each change (kinds in `EXTRA_KIND_TO_TYPE`). This module turns those
into EventSub events and registers the types with `companion.sim.eventsub_payloads` (its
subscription table, kind table and event builders), so the hub delivers them like the core
types. It is imported at the end of ``eventsub_payloads``, so the tables are complete whichever
module is imported first.

The twitch-reference holds NO example payload for any of these types (only ``channel.follow``
v1, whose event fields v2 keeps). The fields below are those of Twitch's EventSub reference
field tables as known to the author, not a documented example; the tests hold simulator and
client to one neutral fixture per type (``tests/fixtures/eventsub/*.not_documented.json``).

Versions, scopes and conditions (Twitch's subscription-types table):

* ``channel.ban`` / ``channel.unban`` v1: ``channel:moderate``; the broadcaster authorizes.
* ``channel.moderator.add`` / ``.remove`` v1: ``moderation:read``; the broadcaster authorizes.
* ``channel.follow`` v2: ``moderator:read:followers``; condition ``broadcaster_user_id`` and
  ``moderator_user_id`` (both required); the token's user must be that moderator, and the
  moderator the broadcaster or one of their moderators.
* ``channel.subscribe``, ``channel.subscription.gift``, ``channel.subscription.message`` v1:
  ``channel:read:subscriptions``.
* ``channel.hype_train.begin/progress/end`` v1 and v2: ``channel:read:hype_train``. Our
  client subscribes to v1 (its ``HypeTrainEvent`` reads ``last_contribution``, a v1 field);
  current third-party clients (twitchio 3) subscribe to v2, which drops ``last_contribution``
  and adds the train's ``type``, ``is_shared_train`` and ``shared_train_participants``
  (begin also ``all_time_high_level`` and ``all_time_high_total``).

Where the v2 fields come from, and where the reference is silent:

* twitch-reference has no EventSub hype-train page. The one hype-train object it has is Get
  Hype Train Status's ``current`` (helix-openapi.json, example "golden_kappa"): it names
  ``type`` (``regular``, ``golden_kappa``, ``treasure``), ``shared_train_participants``
  (``broadcaster_user_id/login/name``) and the ``started_at``/``expires_at`` pair; v2 events
  use the same names. ``is_shared_train`` and the begin event's ``all_time_high_*`` fields
  are from Twitch's EventSub reference page (dev.twitch.tv/docs/eventsub/reference/
  hype-train), which is not in twitch-reference.
* Not shared, ``shared_train_participants`` is null (as our Get Hype Train Status serves
  it); the status example shows only a shared train.
* ``all_time_high_level``/``_total`` are the channel's record including the train that just
  began (the simulator notes the record before it tells anyone); the reference does not say
  whether the current train counts. Before any train they are the train's own values.
* The simulator runs only ``regular`` trains, never shared ones.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

import companion.sim.eventsub_payloads as _payloads
from companion.sim.eventsub_payloads import (
    EventBuilder,
    SubscriptionType,
    UserLookup,
    format_rfc3339_ns,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

_log = logging.getLogger(__name__)

_BANS = frozenset({"channel:moderate"})
_MODERATORS = frozenset({"moderation:read"})
_FOLLOWERS = frozenset({"moderator:read:followers"})
_SUBS = frozenset({"channel:read:subscriptions"})
_HYPE = frozenset({"channel:read:hype_train"})
_MODERATOR_KEY = frozenset({"moderator_user_id"})

#: The subscription types this module adds to the simulator's table.
EXTRA_SUBSCRIPTION_TYPES: Final[tuple[SubscriptionType, ...]] = (
    SubscriptionType("channel.ban", "1", _BANS),
    SubscriptionType("channel.unban", "1", _BANS),
    SubscriptionType("channel.moderator.add", "1", _MODERATORS),
    SubscriptionType("channel.moderator.remove", "1", _MODERATORS),
    SubscriptionType(
        "channel.follow",
        "2",
        _FOLLOWERS,
        required_condition=_MODERATOR_KEY,
        authorized_by="moderator_user_id",
    ),
    SubscriptionType("channel.subscribe", "1", _SUBS),
    SubscriptionType("channel.subscription.gift", "1", _SUBS),
    SubscriptionType("channel.subscription.message", "1", _SUBS),
    SubscriptionType("channel.hype_train.begin", "1", _HYPE),
    SubscriptionType("channel.hype_train.progress", "1", _HYPE),
    SubscriptionType("channel.hype_train.end", "1", _HYPE),
    SubscriptionType("channel.hype_train.begin", "2", _HYPE),
    SubscriptionType("channel.hype_train.progress", "2", _HYPE),
    SubscriptionType("channel.hype_train.end", "2", _HYPE),
)

#: DomainEvent kind (emitted by `companion.sim.extras.store.ExtrasStore`) -> EventSub type.
EXTRA_KIND_TO_TYPE: Final[dict[str, str]] = {
    "ban.add": "channel.ban",
    "ban.remove": "channel.unban",
    "moderator.add": "channel.moderator.add",
    "moderator.remove": "channel.moderator.remove",
    "follow.add": "channel.follow",
    "subscription.add": "channel.subscribe",
    "subscription.gift": "channel.subscription.gift",
    "subscription.message": "channel.subscription.message",
    "hype_train.begin": "channel.hype_train.begin",
    "hype_train.progress": "channel.hype_train.progress",
    "hype_train.end": "channel.hype_train.end",
}


def _stamp(epoch: Any) -> str | None:
    """Epoch seconds as an EventSub timestamp; None stays None."""
    if not isinstance(epoch, int | float):
        return None
    return format_rfc3339_ns(round(epoch * 1_000_000_000))


def _who(user_id: Any, users: UserLookup, prefix: str) -> dict[str, Any]:
    """``{prefix}_id/_login/_name``; all null when ``user_id`` is None (anonymous gifts)."""
    if user_id is None:
        return {f"{prefix}_id": None, f"{prefix}_login": None, f"{prefix}_name": None}
    uid = str(user_id)
    found = users(uid)
    if found is None:
        # The extras validate every user before emitting; an unknown id is a state bug.
        _log.warning("no user %s for an EventSub event", uid)
        found = (uid, uid)
    return {f"{prefix}_id": uid, f"{prefix}_login": found[0], f"{prefix}_name": found[1]}


def _ban_event(
    kind: str, record: Mapping[str, Any], broadcaster_id: str, users: UserLookup, version: str
) -> dict[str, Any]:
    event = _who(record["user_id"], users, "user")
    event.update(_who(broadcaster_id, users, "broadcaster_user"))
    event.update(_who(record["moderator_id"], users, "moderator_user"))
    if kind == "ban.remove":
        return event
    ends_at = record.get("ends_at")
    event["reason"] = record.get("reason", "")
    event["banned_at"] = _stamp(record["banned_at"])
    event["ends_at"] = _stamp(ends_at)
    event["is_permanent"] = ends_at is None
    return event


def _moderator_event(
    kind: str, record: Mapping[str, Any], broadcaster_id: str, users: UserLookup, version: str
) -> dict[str, Any]:
    event = _who(broadcaster_id, users, "broadcaster_user")
    event.update(_who(record["user_id"], users, "user"))
    return event


def _follow_event(
    kind: str, record: Mapping[str, Any], broadcaster_id: str, users: UserLookup, version: str
) -> dict[str, Any]:
    # The same fields as the documented v1 example (ws.notification.channel_follow.json).
    event = _who(record["user_id"], users, "user")
    event.update(_who(broadcaster_id, users, "broadcaster_user"))
    event["followed_at"] = _stamp(record["followed_at"])
    return event


def _subscription_event(
    kind: str, record: Mapping[str, Any], broadcaster_id: str, users: UserLookup, version: str
) -> dict[str, Any]:
    event = _who(record.get("user_id"), users, "user")
    event.update(_who(broadcaster_id, users, "broadcaster_user"))
    event["tier"] = record["tier"]
    if kind == "subscription.add":
        event["is_gift"] = bool(record.get("is_gift"))
    elif kind == "subscription.gift":
        event["total"] = record["total"]
        event["cumulative_total"] = record.get("cumulative_total")
        event["is_anonymous"] = bool(record.get("is_anonymous"))
    else:
        # The resub text; emote positions are not modelled (the simulator's texts have none).
        event["message"] = {"text": record.get("text", ""), "emotes": []}
        event["cumulative_months"] = record["cumulative_months"]
        event["streak_months"] = record.get("streak_months")
        event["duration_months"] = record.get("duration_months", 1)
    return event


def _contribution(item: Any, users: UserLookup) -> dict[str, Any]:
    user_id, kind, total = item
    out = _who(user_id, users, "user")
    out["type"] = kind
    out["total"] = total
    return out


def _hype_train_event(
    kind: str, record: Mapping[str, Any], broadcaster_id: str, users: UserLookup, version: str
) -> dict[str, Any]:
    if version == "2":
        return _hype_train_event_v2(kind, record, broadcaster_id, users)
    event: dict[str, Any] = {"id": record["id"]}
    event.update(_who(broadcaster_id, users, "broadcaster_user"))
    event["level"] = record["level"]
    event["total"] = record["total"]
    if kind != "hype_train.end":
        event["progress"] = record["progress"]
        event["goal"] = record["goal"]
    event["top_contributions"] = [
        _contribution(item, users) for item in record.get("top_contributions") or ()
    ]
    if kind != "hype_train.end":
        last = record.get("last_contribution")
        event["last_contribution"] = _contribution(last, users) if last else None
    event["started_at"] = _stamp(record["started_at"])
    if kind == "hype_train.end":
        event["ended_at"] = _stamp(record["ended_at"])
        event["cooldown_ends_at"] = _stamp(record["cooldown_ends_at"])
    else:
        event["expires_at"] = _stamp(record["expires_at"])
    return event


def _hype_train_event_v2(
    kind: str, record: Mapping[str, Any], broadcaster_id: str, users: UserLookup
) -> dict[str, Any]:
    """Version 2: no ``last_contribution``; the train's type and sharing (see the module doc)."""
    event: dict[str, Any] = {"id": record["id"]}
    event.update(_who(broadcaster_id, users, "broadcaster_user"))
    event["total"] = record["total"]
    if kind != "hype_train.end":
        event["progress"] = record["progress"]
        event["goal"] = record["goal"]
    event["top_contributions"] = [
        _contribution(item, users) for item in record.get("top_contributions") or ()
    ]
    event["level"] = record["level"]
    if kind == "hype_train.begin":
        high_level, high_total = record.get("all_time_high") or (record["level"], record["total"])
        event["all_time_high_level"] = high_level
        event["all_time_high_total"] = high_total
    event["shared_train_participants"] = None
    event["started_at"] = _stamp(record["started_at"])
    if kind == "hype_train.end":
        event["ended_at"] = _stamp(record["ended_at"])
        event["cooldown_ends_at"] = _stamp(record["cooldown_ends_at"])
    else:
        event["expires_at"] = _stamp(record["expires_at"])
    event["type"] = record.get("type", "regular")
    event["is_shared_train"] = False
    return event


_BUILDERS: Final[dict[str, EventBuilder]] = {
    "ban": _ban_event,
    "moderator": _moderator_event,
    "follow": _follow_event,
    "subscription": _subscription_event,
    "hype_train": _hype_train_event,
}


def build_extra_event(
    kind: str,
    record: Mapping[str, Any],
    broadcaster_id: str,
    users: UserLookup,
    version: str = "1",
) -> dict[str, Any]:
    """The EventSub ``event`` object for one of `EXTRA_KIND_TO_TYPE`'s kinds.

    Args:
        kind: e.g. ``"ban.add"``.
        record: What the extras store emitted (ids, tiers, totals, epoch-second times).
        broadcaster_id: The channel.
        users: Looks up ``(login, display_name)`` by user id.
        version: The subscription's version (hype trains differ between 1 and 2).

    Raises:
        KeyError: Not one of this module's kinds.
    """
    if kind not in EXTRA_KIND_TO_TYPE:
        raise KeyError(kind)
    return _BUILDERS[kind.split(".", 1)[0]](kind, record, broadcaster_id, users, version)


def may_moderate(state: Any, broadcaster_id: str, user_id: str) -> bool:
    """Whether ``user_id`` is the broadcaster or one of their moderators (the extras know).

    Never creates the extras store: a simulator without one has no moderators.
    """
    if user_id == broadcaster_id:
        return True
    # At call time: the extras package imports the HTTP layer, which must not load before
    # the EventSub tables do.
    from companion.sim.extras.store import find_extras_store

    store = find_extras_store(state)
    channel = store.channels.get(broadcaster_id) if store is not None else None
    return channel is not None and user_id in channel.moderators


def _register() -> None:
    for sub_type in EXTRA_SUBSCRIPTION_TYPES:
        _payloads.SUBSCRIPTION_TYPES.setdefault(sub_type.name, sub_type)
        _payloads.SUBSCRIPTION_VERSIONS.setdefault((sub_type.name, sub_type.version), sub_type)
    for kind, type_name in EXTRA_KIND_TO_TYPE.items():
        _payloads.KIND_TO_TYPE.setdefault(kind, type_name)
        _payloads.EXTRA_BUILDERS.setdefault(kind, build_extra_event)


_register()
