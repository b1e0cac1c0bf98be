"""One EventSub subscription on a WebSocket transport (the registry's record).

Kept apart from `companion.sim.eventsub_subscriptions` (the registry and the Helix rules),
which re-exports it.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from companion.sim.eventsub_payloads import now_rfc3339_ns

_log = logging.getLogger(__name__)


class Subscription:
    """One EventSub subscription on a WebSocket transport.

    Attributes:
        id: Subscription id (a UUID, as in the documented examples).
        type: Subscription type name.
        version: Type version.
        condition: The condition object as given (string values).
        created_at: Creation time, EventSub timestamp.
        cost: 0 or 1 (see `SubscriptionRegistry.create`).
        client_id: Client of the token that created it.
        user_id: User of the token that created it.
        status: ``enabled`` or the reason it stopped.
        session_id: The WebSocket session it delivers to.
        connected_at: When that session connected.
        disconnected_at: When the session went away, for disabled subscriptions.
        reward_filter: The condition's ``reward_id``, if any.
        seq: Creation order in the registry (what Get EventSub Subscriptions' cursors hold).
    """

    __slots__ = (
        "_json",
        "client_id",
        "condition",
        "connected_at",
        "cost",
        "created_at",
        "disconnected_at",
        "id",
        "reward_filter",
        "seq",
        "session_id",
        "status",
        "type",
        "user_id",
        "version",
    )

    def __init__(
        self,
        *,
        type_: str,
        version: str,
        condition: dict[str, str],
        cost: int,
        client_id: str,
        user_id: str,
        session_id: str,
        connected_at: str,
    ) -> None:
        self.id = str(uuid.uuid4())
        self.type = type_
        self.version = version
        self.condition = condition
        self.created_at = now_rfc3339_ns()
        self.cost = cost
        self.client_id = client_id
        self.user_id = user_id
        self.status = "enabled"
        self.session_id = session_id
        self.connected_at = connected_at
        self.disconnected_at: str | None = None
        # An empty reward_id means every reward, as an absent one does (see `_condition`).
        self.reward_filter = condition.get("reward_id") or None
        self._json: str | None = None
        self.seq = 0

    @property
    def broadcaster_id(self) -> str:
        """The condition's broadcaster."""
        return self.condition["broadcaster_user_id"]

    @property
    def enabled(self) -> bool:
        """True while the subscription delivers events."""
        return self.status == "enabled"

    def to_dict(self) -> dict[str, Any]:
        """The subscription object as Helix and EventSub payloads show it."""
        transport: dict[str, Any] = {
            "method": "websocket",
            "session_id": self.session_id,
            "connected_at": self.connected_at,
        }
        if self.disconnected_at is not None:
            transport["disconnected_at"] = self.disconnected_at
        return {
            "id": self.id,
            "status": self.status,
            "type": self.type,
            "version": self.version,
            "condition": dict(self.condition),
            "created_at": self.created_at,
            "transport": transport,
            "cost": self.cost,
        }

    def payload_json(self) -> str:
        """The ``payload.subscription`` object of a message, serialised once and cached.

        The documented WebSocket notification shows the transport as ``method`` and
        ``session_id`` only (``connected_at`` is a Helix-response field).
        """
        if self._json is None:
            self._json = json.dumps(
                {
                    "id": self.id,
                    "status": self.status,
                    "type": self.type,
                    "version": self.version,
                    "cost": self.cost,
                    "condition": self.condition,
                    "transport": {"method": "websocket", "session_id": self.session_id},
                    "created_at": self.created_at,
                },
                separators=(",", ":"),
                ensure_ascii=False,
            )
        return self._json

    def touch(self) -> None:
        """Drops the cached JSON after a change."""
        self._json = None

    def __repr__(self) -> str:
        return (
            f"Subscription(id={self.id!r}, type={self.type!r}, status={self.status!r}, "
            f"session_id={self.session_id!r})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Subscription) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)
