"""Domain events and the records shared between the simulator's state and its EventSub hub.

The simulator's state (`companion.sim.state.SimState`) calls every registered listener
synchronously with a `DomainEvent` after each change. The EventSub hub turns those into
WebSocket notifications. This module has no dependency on the rest of the simulator so that
both sides can import it without cycles.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from aiohttp import web

_log = logging.getLogger(__name__)

#: Every kind a `DomainEvent` can carry.
EVENT_KINDS: Final[frozenset[str]] = frozenset(
    {
        "reward.add",
        "reward.update",
        "reward.remove",
        "redemption.add",
        "redemption.update",
        "prediction.begin",
        "prediction.progress",
        "prediction.lock",
        "prediction.end",
        "poll.begin",
        "poll.progress",
        "poll.end",
        "goal.begin",
        "goal.progress",
        "goal.end",
        "stream.online",
        "stream.offline",
        "authorization.revoked",
        # Emitted by the extras store (companion.sim.eventsub_extra_types maps them).
        "ban.add",
        "ban.remove",
        "moderator.add",
        "moderator.remove",
        "follow.add",
        "subscription.add",
        "subscription.gift",
        "subscription.message",
        "hype_train.begin",
        "hype_train.progress",
        "hype_train.end",
    }
)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One change of simulator state, as Helix would serve the changed object right now.

    Attributes:
        kind: One of `EVENT_KINDS`, e.g. ``"redemption.update"``.
        broadcaster_id: The channel the change belongs to ("" for ``authorization.revoked``
            the record carries the user instead).
        record: The Helix-shaped object after the change (a redemption, reward, prediction,
            poll, goal or stream); ``{"client_id", "user_id"}`` for ``authorization.revoked``.
        previous: The Helix-shaped object before the change, or None for creations.
        exact_times: The record's times that Helix rounds to whole seconds (the Helix
            examples of redemptions, goals, streams and reward cooldowns show whole
            seconds), to the nanosecond as EventSub sends them, by the record's field name.
            The hub lays them over ``record`` before it builds the EventSub event.
    """

    kind: str
    broadcaster_id: str
    record: dict[str, Any]
    previous: dict[str, Any] | None = None
    exact_times: Mapping[str, str] = field(default_factory=dict)


#: A state listener; called synchronously, must not raise (exceptions are logged and dropped).
Listener = Callable[[DomainEvent], None]


@dataclass(slots=True, eq=False)
class AccessTokenRecord:
    """An access token the simulator issued.

    Attributes:
        token: The opaque token string (never log it).
        client_id: The client the token was issued to.
        user_id: The user who authorized it; None for app access tokens.
        scopes: The granted scopes.
        expires_at: Epoch seconds after which the token is invalid.
        revoked: True once revoked (by /oauth2/revoke, a fault or the control surface).
        refresh_token: The refresh token issued alongside it, if any.
    """

    token: str
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    expires_at: float
    revoked: bool = False
    refresh_token: str | None = None
    issued_at: float = field(default_factory=time.time)

    @property
    def expired(self) -> bool:
        """True when the token's lifetime has run out (revocation is tracked separately)."""
        return time.time() >= self.expires_at

    @property
    def valid(self) -> bool:
        """True when the token is neither expired nor revoked."""
        return not self.revoked and not self.expired

    @property
    def is_app_token(self) -> bool:
        """True for an app access token (client credentials)."""
        return self.user_id is None

    def __repr__(self) -> str:
        # Never include the token value itself.
        return (
            f"AccessTokenRecord(client_id={self.client_id!r}, user_id={self.user_id!r}, "
            f"scopes={sorted(self.scopes)!r}, revoked={self.revoked})"
        )


class EventSubHubProtocol(Protocol):
    """What the simulator's HTTP layer needs from the EventSub hub (`companion.sim.eventsub`).

    The Helix routes ``/helix/eventsub/subscriptions`` authenticate and rate-limit the request,
    then delegate here. Each ``(status, body)`` pair is sent as JSON (``None`` body = no body).
    """

    def routes(self) -> list[web.RouteDef]:
        """The hub's own routes (at least ``GET /ws``)."""
        ...

    async def create_subscription(
        self, token: AccessTokenRecord, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Handle ``POST /helix/eventsub/subscriptions`` for an authenticated token."""
        ...

    def list_subscriptions(
        self, token: AccessTokenRecord, query: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """Handle ``GET /helix/eventsub/subscriptions``."""
        ...

    def delete_subscription(
        self, token: AccessTokenRecord, sub_id: str
    ) -> tuple[int, dict[str, Any] | None]:
        """Handle ``DELETE /helix/eventsub/subscriptions?id=``."""
        ...

    async def force_reconnect(self) -> int:
        """Send ``session_reconnect`` to every socket; returns how many were told."""
        ...

    async def drop_connections(self, close_code: int | None) -> int:
        """Close every socket (with ``close_code``, or abruptly when None); returns the count."""
        ...

    def silence_keepalive(self, seconds: float) -> None:
        """Stop sending keepalives (and notifications) for ``seconds``."""
        ...

    def resend_last(self, n: int) -> int:
        """Send the last ``n`` notifications again with the same message ids; returns the count."""
        ...

    async def close(self) -> None:
        """Close every socket and stop background tasks."""
        ...
