"""EventSub subscriptions: the registry and the Create/Get/Delete Helix logic.

The subscription record itself is `companion.sim.eventsub_subscription.Subscription`.

Rules come from ``twitch-reference/EVENTSUB_RULES.md`` ("Subscription limits", apply per
``(client_id, user_id)``) and the Create/Get/Delete EventSub Subscription sections of
``helix-openapi.json``. Where the reference is silent the choice is marked in a comment.

The registry keeps a routing index ``(type, broadcaster_user_id) -> {sub_id: Subscription}`` of
enabled subscriptions only, so a state change costs one dict lookup, never a scan.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import itertools
import json
import logging
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

from companion.sim.eventsub_payloads import (
    SUBSCRIPTION_TYPES,
    SubscriptionType,
    now_rfc3339_ns,
    subscription_type,
)
from companion.sim.eventsub_subscription import Subscription

if TYPE_CHECKING:
    from companion.sim.events import AccessTokenRecord

_log = logging.getLogger(__name__)

#: [HWE] limits, per (client id, user id).
MAX_TOTAL_COST: Final = 10
MAX_ENABLED_PER_CONNECTION: Final = 300
MAX_CONNECTIONS_PER_USER: Final = 3
#: "There is a limit of 3 subscriptions with the same type and condition values" (per client).
MAX_SAME_TYPE_AND_CONDITION: Final = 3
#: Get EventSub Subscriptions: "The number of subscriptions returned per page is undetermined."
DEFAULT_PAGE_SIZE: Final = 100
#: Disabled subscriptions kept for Get EventSub Subscriptions; older ones are forgotten so a
#: long demo run with many drops does not grow without bound (Twitch also drops them later;
#: how much later is not documented).
MAX_DISABLED_KEPT: Final = 1000

#: Every status Get EventSub Subscriptions accepts as a filter ([REF]).
KNOWN_STATUSES: Final[frozenset[str]] = frozenset(
    {
        "enabled",
        "webhook_callback_verification_pending",
        "webhook_callback_verification_failed",
        "notification_failures_exceeded",
        "authorization_revoked",
        "moderator_removed",
        "user_removed",
        "chat_user_banned",
        "version_removed",
        "beta_maintenance",
        "websocket_disconnected",
        "websocket_failed_ping_pong",
        "websocket_received_inbound_traffic",
        "websocket_connection_unused",
        "websocket_internal_error",
        "websocket_network_timeout",
        "websocket_network_error",
        "websocket_failed_to_reconnect",
    }
)

RouteKey = tuple[str, str]


def error_body(status: int, message: str) -> tuple[int, dict[str, Any]]:
    """Helix's generic error body ``{"error", "status", "message"}``."""
    return status, {"error": HTTPStatus(status).phrase, "status": status, "message": message}


class _Rejected(Exception):
    """A create request Twitch would refuse: the Helix status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SubscriptionRegistry:
    """All subscriptions, the routing index and the Helix create/list/delete rules.

    Args:
        session_connected_at: Returns the ``connected_at`` of a live session that may take
            subscriptions, or None when no such session exists.
        user_exists: Whether a user id names a user of the simulated Twitch.
        may_moderate: ``(broadcaster_id, user_id)``: whether the user may act as the
            channel's moderator (types authorized by a moderator, e.g. ``channel.follow``
            v2); default: only the broadcaster.
    """

    def __init__(
        self,
        session_connected_at: Callable[[str], str | None],
        user_exists: Callable[[str], bool],
        may_moderate: Callable[[str, str], bool] | None = None,
    ) -> None:
        self._session_connected_at = session_connected_at
        self._user_exists = user_exists
        self._may_moderate = may_moderate or (lambda broadcaster, user: broadcaster == user)
        self._subs: dict[str, Subscription] = {}  # insertion order = oldest first
        self._routes: dict[RouteKey, dict[str, Subscription]] = {}
        self._by_session: dict[str, dict[str, Subscription]] = {}
        self._disabled: deque[str] = deque()
        self._seqs = itertools.count(1)
        self.page_size = DEFAULT_PAGE_SIZE

    # ---------------------------------------------------------------- lookups for delivery

    def route(self, type_: str, broadcaster_id: str) -> dict[str, Subscription] | None:
        """Enabled subscriptions for a type and channel (the same dict object; do not mutate)."""
        return self._routes.get((type_, broadcaster_id))

    def get(self, sub_id: str) -> Subscription | None:
        """A subscription by id, enabled or not."""
        return self._subs.get(sub_id)

    def enabled_on(self, session_id: str) -> list[Subscription]:
        """The enabled subscriptions delivering to a session (a copy)."""
        return list(self._by_session.get(session_id, {}).values())

    def enabled_count(self, session_id: str) -> int:
        """How many enabled subscriptions deliver to a session."""
        return len(self._by_session.get(session_id, ()))

    def all(self) -> Iterator[Subscription]:
        """Every subscription, oldest first."""
        return iter(list(self._subs.values()))

    # ---------------------------------------------------------------- state changes

    def _index(self, sub: Subscription) -> None:
        self._routes.setdefault((sub.type, sub.broadcaster_id), {})[sub.id] = sub
        self._by_session.setdefault(sub.session_id, {})[sub.id] = sub

    def _unindex(self, sub: Subscription) -> None:
        key = (sub.type, sub.broadcaster_id)
        routed = self._routes.get(key)
        if routed is not None:
            routed.pop(sub.id, None)
            if not routed:
                del self._routes[key]
        on_session = self._by_session.get(sub.session_id)
        if on_session is not None:
            on_session.pop(sub.id, None)
            if not on_session:
                del self._by_session[sub.session_id]

    def disable(self, sub: Subscription, status: str, *, disconnected: bool = True) -> None:
        """Stops a subscription; it stays listed with its reason.

        Args:
            sub: An enabled subscription.
            status: The reason, e.g. ``websocket_disconnected``.
            disconnected: Stamp the transport's ``disconnected_at`` (a session went away).
        """
        if not sub.enabled:
            return
        self._unindex(sub)
        sub.status = status
        if disconnected:
            sub.disconnected_at = now_rfc3339_ns()
        sub.touch()
        self._disabled.append(sub.id)
        while len(self._disabled) > MAX_DISABLED_KEPT:
            old = self._subs.get(self._disabled.popleft())
            if old is not None and not old.enabled:
                del self._subs[old.id]

    def disable_session(self, session_id: str, status: str) -> int:
        """Disables every enabled subscription of a session; returns how many."""
        subs = self.enabled_on(session_id)
        for sub in subs:
            self.disable(sub, status)
        return len(subs)

    def move_session(self, old_id: str, new_id: str, connected_at: str) -> int:
        """Hands a session's enabled subscriptions to its reconnected successor.

        Returns:
            How many subscriptions moved.
        """
        subs = self.enabled_on(old_id)
        for sub in subs:
            self._unindex(sub)
            sub.session_id = new_id
            sub.connected_at = connected_at
            sub.touch()
            self._index(sub)
        return len(subs)

    def remove(self, sub: Subscription) -> None:
        """Forgets a subscription entirely (Delete EventSub Subscription)."""
        self._unindex(sub)
        self._subs.pop(sub.id, None)

    # ---------------------------------------------------------------- Helix: create

    def _owned(self, client_id: str, user_id: str) -> list[Subscription]:
        return [s for s in self._subs.values() if s.client_id == client_id and s.user_id == user_id]

    def _totals(self, client_id: str, user_id: str) -> tuple[int, int]:
        owned = self._owned(client_id, user_id)
        return len(owned), sum(s.cost for s in owned if s.enabled)

    def create(
        self, token: AccessTokenRecord, body: Any
    ) -> tuple[int, dict[str, Any], Subscription | None]:
        """Create EventSub Subscription for the WebSocket transport.

        Args:
            token: The authenticated (valid) access token of the request.
            body: The parsed JSON request body.

        Returns:
            ``(status, response body, the new subscription or None)``.
        """
        try:
            sub = self._admit(token, body)
        except _Rejected as rejected:
            return (*error_body(rejected.status, rejected.message), None)
        sub.seq = next(self._seqs)
        self._subs[sub.id] = sub
        self._index(sub)
        total, total_cost = self._totals(sub.client_id, sub.user_id)
        _log.debug("subscription %s created on session %s", sub.type, sub.session_id)
        response = {
            "data": [sub.to_dict()],
            "total": total,
            "total_cost": total_cost,
            "max_total_cost": MAX_TOTAL_COST,
        }
        return 202, response, sub

    def _admit(self, token: AccessTokenRecord, body: Any) -> Subscription:
        """Validates a create request in Twitch's documented order; raises `_Rejected`."""
        if not isinstance(body, Mapping):
            raise _Rejected(400, "The request body must be a JSON object.")
        type_, version = body.get("type"), body.get("version")
        condition, transport = body.get("condition"), body.get("transport")
        if not isinstance(type_, str) or not type_:
            raise _Rejected(400, "The type field is required.")
        if not isinstance(version, str) or not version:
            raise _Rejected(400, "The version field is required.")
        if not isinstance(condition, Mapping):
            raise _Rejected(400, "The condition field is required.")
        if not isinstance(transport, Mapping) or not isinstance(transport.get("method"), str):
            raise _Rejected(400, "The transport field is required.")
        method = transport["method"]
        if method not in ("webhook", "websocket", "conduit"):
            raise _Rejected(400, "The value specified in the method field is not valid.")
        if method != "websocket":
            if token.user_id is not None:
                raise _Rejected(401, f"The {method} transport requires an app access token.")
            # The simulator delivers over WebSocket only; Twitch itself would accept these.
            raise _Rejected(400, f"The simulator does not deliver the {method} transport.")
        user_id = token.user_id
        if user_id is None:
            raise _Rejected(401, "The websocket transport requires a user access token.")
        session_id = transport.get("session_id")
        if not isinstance(session_id, str) or not session_id:
            raise _Rejected(
                400, "The session_id field is required if you specify the WebSocket transport."
            )

        sub_type = subscription_type(type_, version)
        if sub_type is None:
            raise _Rejected(400, "The combination of subscription type and version is not valid.")
        clean = self._condition(sub_type, condition)
        broadcaster_id = clean["broadcaster_user_id"]
        if sub_type.needs_authorization:
            if not (sub_type.scopes & token.scopes):
                raise _Rejected(403, "The access token is missing the required scopes.")
            # The scoped channel types need the broadcaster's own authorization; the reference
            # does not give the status for another user's token, 403 is Twitch's usual answer.
            # Moderator-authorized types (channel.follow v2) need the token of the condition's
            # moderator, who must moderate the channel (or be its broadcaster).
            authorizer = clean[sub_type.authorized_by]
            if authorizer != user_id:
                raise _Rejected(403, "The broadcaster has not authorized this subscription.")
            if authorizer != broadcaster_id and not self._may_moderate(broadcaster_id, authorizer):
                raise _Rejected(403, "The moderator is not one of the broadcaster's moderators.")
        connected_at = self._session_connected_at(session_id)
        if connected_at is None:
            raise _Rejected(400, "The session_id is not valid.")

        self._check_limits(token.client_id, user_id, type_, version, clean, session_id)
        # Cost: user-authorized types cost 0; the stream types "take a user in their condition
        # but do not require that user to authorize" and cost 1 unless that user has authorized
        # the client. We treat "the token's own user" as that authorization.
        cost = 0 if sub_type.needs_authorization or broadcaster_id == user_id else 1
        owned_cost = sum(s.cost for s in self._owned(token.client_id, user_id) if s.enabled)
        if owned_cost + cost > MAX_TOTAL_COST:
            raise _Rejected(429, f"The total cost would exceed max_total_cost {MAX_TOTAL_COST}.")
        return Subscription(
            type_=type_,
            version=version,
            condition=clean,
            cost=cost,
            client_id=token.client_id,
            user_id=user_id,
            session_id=session_id,
            connected_at=connected_at,
        )

    def _condition(
        self, sub_type: SubscriptionType, condition: Mapping[str, Any]
    ) -> dict[str, str]:
        required = {"broadcaster_user_id"} | sub_type.required_condition
        allowed = required | sub_type.optional_condition
        clean: dict[str, str] = {}
        for key, value in condition.items():
            if key not in allowed:
                raise _Rejected(400, f"The condition field {key} is not valid.")
            # An optional field sent as "" (twitchio sends `reward_id: ""` for the reward and
            # redemption types) means "not given": every reward. The reference documents
            # reward_id as optional and says nothing of an empty one; Twitch accepts it, and
            # the condition is echoed back as sent.
            optional_empty = key in sub_type.optional_condition and value == ""
            if not isinstance(value, str) or not (value or optional_empty):
                raise _Rejected(400, f"The condition field {key} must be a non-empty string.")
            clean[key] = value
        if not required <= clean.keys():
            raise _Rejected(400, "The condition object is missing one or more required fields.")
        for key in sorted(required):
            if key.endswith("_user_id") and not self._user_exists(clean[key]):
                raise _Rejected(400, "The user specified in the condition object does not exist.")
        return clean

    def _check_limits(
        self,
        client_id: str,
        user_id: str,
        type_: str,
        version: str,
        condition: dict[str, str],
        session_id: str,
    ) -> None:
        wanted = _effective(condition)
        same = [
            s
            for s in self._routes.get((type_, condition["broadcaster_user_id"]), {}).values()
            if s.client_id == client_id
            and s.version == version
            and _effective(s.condition) == wanted
        ]
        # Reference: 409 "A subscription already exists for the specified event type and
        # condition combination". We apply it per (client, user), across that user's sessions.
        if any(s.user_id == user_id for s in same):
            raise _Rejected(
                409,
                "A subscription already exists for the specified event type and condition "
                "combination.",
            )
        if len(same) >= MAX_SAME_TYPE_AND_CONDITION:
            raise _Rejected(
                429,
                "The request exceeds the number of subscriptions that you may create with the "
                "same combination of type and condition values.",
            )
        # The reference names no status for the connection and per-connection limits; 429 is
        # the status it uses for the other subscription-count limit, so the same here.
        if self.enabled_count(session_id) >= MAX_ENABLED_PER_CONNECTION:
            raise _Rejected(
                429,
                f"The WebSocket session already has {MAX_ENABLED_PER_CONNECTION} enabled "
                "subscriptions.",
            )
        sessions = {s.session_id for s in self._owned(client_id, user_id) if s.enabled}
        if session_id not in sessions and len(sessions) >= MAX_CONNECTIONS_PER_USER:
            raise _Rejected(
                429,
                f"The user already has {MAX_CONNECTIONS_PER_USER} WebSocket connections with "
                "enabled subscriptions.",
            )

    # ---------------------------------------------------------------- Helix: list / delete

    def list(
        self, token: AccessTokenRecord, query: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """Get EventSub Subscriptions.

        Args:
            token: The authenticated token; a user token sees the WebSocket subscriptions its
                client created for its user.
            query: Query parameters (``status``, ``type``, ``user_id``, ``subscription_id``,
                ``after``).

        Returns:
            ``(status, body)``.
        """
        filters = [key for key in ("status", "type", "user_id", "subscription_id") if key in query]
        if len(filters) > 1:
            return error_body(400, "The request may specify only one filter query parameter.")
        status = query.get("status")
        if status is not None and status not in KNOWN_STATUSES:
            return error_body(400, "The value in the status query parameter is not valid.")
        type_ = query.get("type")
        # Only the types the simulator serves are accepted; any other type cannot match anyway.
        if type_ is not None and type_ not in SUBSCRIPTION_TYPES:
            return error_body(400, "The value in the type query parameter is not valid.")
        after_seq = 0
        after = query.get("after")
        if after is not None:
            decoded = _decode_cursor(after)
            if decoded is None:
                return error_body(
                    400, "The cursor specified in the after query parameter is not valid."
                )
            after_seq = decoded

        # App tokens own webhook/conduit subscriptions only, which the simulator does not keep.
        owned = [] if token.user_id is None else self._owned(token.client_id, token.user_id)
        matching = [s for s in owned if _matches(s, query)]
        # The cursor holds the creation number of the last subscription served, not an offset:
        # a client that deletes what it has read while paging (twitchAPI's unsubscribe_all)
        # still sees every remaining subscription exactly once. `_subs` keeps creation order.
        start = bisect.bisect_right([s.seq for s in matching], after_seq)
        page = matching[start : start + self.page_size]
        pagination: dict[str, str] = {}
        if page and start + len(page) < len(matching):
            pagination["cursor"] = _encode_cursor(page[-1].seq)
        return 200, {
            "data": [s.to_dict() for s in page],
            "total": len(owned),
            "total_cost": sum(s.cost for s in owned if s.enabled),
            "max_total_cost": MAX_TOTAL_COST,
            "pagination": pagination,
        }

    def delete(self, token: AccessTokenRecord, sub_id: str) -> tuple[int, dict[str, Any] | None]:
        """Delete EventSub Subscription: 204, 400 without an id, 404 if not the caller's."""
        if not sub_id:
            return error_body(400, "The id query parameter is required.")
        sub = self._subs.get(sub_id)
        if sub is None or sub.client_id != token.client_id or sub.user_id != token.user_id:
            return error_body(404, "The subscription was not found.")
        self.remove(sub)
        return 204, None


def _effective(condition: Mapping[str, str]) -> dict[str, str]:
    """The condition as it filters: an empty optional field is the same as an absent one."""
    return {key: value for key, value in condition.items() if value}


def _matches(sub: Subscription, query: Mapping[str, str]) -> bool:
    if "status" in query:
        return sub.status == query["status"]
    if "type" in query:
        return sub.type == query["type"]
    if "user_id" in query:
        return query["user_id"] in sub.condition.values()
    if "subscription_id" in query:
        return sub.id == query["subscription_id"]
    return True


def _encode_cursor(after_seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"s": after_seq}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    after_seq = value.get("s") if isinstance(value, dict) else None
    if isinstance(after_seq, bool) or not isinstance(after_seq, int) or after_seq < 0:
        return None
    return after_seq
