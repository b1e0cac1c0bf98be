"""Hype trains: HypeTrainEvent and HypeTrainContribution.

Sources: Get Hype Train Status (``GET /hypetrain/status``, its ``current`` object) and the
EventSub ``channel.hype_train.begin/progress/end`` events. The seed's source (the old Get
Hype Train Events endpoint) no longer exists.

The reference has no EventSub hype-train example, so :meth:`HypeTrainEvent.from_eventsub`
reads the fields the Helix ``current`` object shares with the events (same names) and treats
the event-only ones (``last_contribution``, ``ended_at``, ``cooldown_ends_at``) as optional.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from ..http import Route
from ._extra_common import EXTRA_SCOPES, Keyed, partial_user
from ._payload import Fields, one_item

if TYPE_CHECKING:
    from datetime import datetime

    from ..http import HTTPHandler
    from .users import PartialUser

__all__ = ["HypeTrainContribution", "HypeTrainEvent", "fetch_hype_train"]

_log = logging.getLogger(__name__)


class HypeTrainContribution(Keyed):
    """A contribution (the top ones, or the last one).

    Attributes:
        total: Points; for ``bits`` the Bits, for ``subscription`` 500/1000/2500 per tier 1/2/3.
        type: ``bits``, ``subscription`` or ``other``.
        user: The contributor.
    """

    __slots__ = ("total", "type", "user")

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "contribution")
        self.user = partial_user(http, f, "user")
        self.type = f.text("type")
        self.total = f.integer("total")

    def _key(self) -> Any:
        return (self.user.id, self.type, self.total)

    def __repr__(self) -> str:
        return (
            f"<HypeTrainContribution user={self.user.id!r} type={self.type!r} total={self.total}>"
        )


class HypeTrainEvent(Keyed):
    """A hype train's state.

    Fed by Get Hype Train Status (``GET /hypetrain/status``, its ``current``) and EventSub
    ``channel.hype_train.begin/progress/end``; the seed's source, the old Get Hype Train
    Events endpoint, no longer exists.

    Attributes:
        id: The train id.
        broadcaster: The channel.
        level: Current level.
        total: Points so far.
        progress: Points in the current level (None on ``end`` events).
        goal: Points needed for the next level (None on ``end`` events).
        top_contributions: The top contributors.
        last_contribution: The latest contribution (EventSub begin/progress), else None.
        started_at: When it started.
        expiry: When it expires (None once ended).
        ended_at: When it ended (``end`` events), else None.
        cooldown_end_time: When another train may start (``end`` events), else None.
        timestamp: When this state was reported: the notification time for EventSub, None for
            Get Hype Train Status (the endpoint sends no time).
        type: ``treasure``, ``golden_kappa`` or ``regular`` when sent, else None.
        is_shared_train: Whether the train is shared between channels.
    """

    __slots__ = (
        "broadcaster",
        "cooldown_end_time",
        "ended_at",
        "expiry",
        "goal",
        "id",
        "is_shared_train",
        "last_contribution",
        "level",
        "progress",
        "started_at",
        "timestamp",
        "top_contributions",
        "total",
        "type",
    )

    def __init__(self, http: HTTPHandler, data: Any, *, timestamp: datetime | None = None) -> None:
        f = Fields(data, "hype_train")
        self.id = f.id("id")
        self.broadcaster: PartialUser = partial_user(http, f, "broadcaster", eventsub=True)
        self.level = f.integer("level")
        self.total = f.integer("total")
        self.progress = f.opt_integer("progress")
        self.goal = f.opt_integer("goal")
        self.top_contributions = [
            HypeTrainContribution(http, item)
            for item in f.items("top_contributions", required=False)
        ]
        last = f.opt_obj("last_contribution")
        self.last_contribution = HypeTrainContribution(http, last) if last is not None else None
        self.started_at: datetime = f.time("started_at")
        self.expiry = f.opt_time("expires_at")
        self.ended_at = f.opt_time("ended_at")
        self.cooldown_end_time = f.opt_time("cooldown_ends_at")
        self.type = f.opt_text("type")
        shared = f.opt_flag("is_shared_train")
        self.is_shared_train = bool(shared) or bool(
            f.items("shared_train_participants", required=False)
        )
        self.timestamp = timestamp

    @classmethod
    def from_eventsub(
        cls, http: HTTPHandler, event: Any, *, timestamp: datetime | None = None
    ) -> Self:
        """Build from a ``channel.hype_train.*`` event (``payload.event``)."""
        return cls(http, event, timestamp=timestamp)

    def _key(self) -> Any:
        return (self.id, self.level, self.total, self.ended_at)

    def __repr__(self) -> str:
        return f"<HypeTrainEvent id={self.id!r} level={self.level} total={self.total}>"


async def fetch_hype_train(http: HTTPHandler, broadcaster: PartialUser) -> HypeTrainEvent | None:
    """Get Hype Train Status: the current train, or None when none is running."""
    name = "PartialUser.fetch_hype_train"
    route = Route("GET", "hypetrain/status", params={"broadcaster_id": broadcaster.id})
    body = await http.request(route, user=broadcaster, scopes=EXTRA_SCOPES[name], name=name)
    # One status object always comes back; `current` is null when no train is running.
    current = one_item(body, "hype train status").opt_obj("current")
    return HypeTrainEvent(http, current.data) if current is not None else None
