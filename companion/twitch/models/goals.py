"""Creator goals.

Helix calls the follower goal type ``follower``; EventSub calls it ``follow`` (and adds
``new_bit`` and ``new_cheerer``). Models hold the Helix spelling. Helix's ``created_at`` is
EventSub's ``started_at``; only the EventSub end event has ``is_achieved`` and ``ended_at``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from ..http import Route
from ..scopes import SCOPES
from . import users
from ._payload import Fields, data_list

if TYPE_CHECKING:
    from datetime import datetime

    from ..http import HTTPHandler

__all__ = ["Goal"]

_log = logging.getLogger(__name__)

_EVENTSUB_TYPES = {"follow": "follower"}


class Goal:
    """A creator goal.

    Attributes:
        id: The goal id.
        broadcaster: The channel.
        type: ``follower``, ``subscription``, ``subscription_count``, ``new_subscription``,
            ``new_subscription_count`` (EventSub adds ``new_bit``, ``new_cheerer``).
        description: The text the broadcaster wrote, or None.
        current_amount: Progress so far.
        target_amount: The target.
        created_at: When the goal started.
        is_achieved: Whether it was reached (EventSub end event only), else None.
        ended_at: When it ended (EventSub end event only), else None.
    """

    __slots__ = (
        "_http",
        "broadcaster",
        "created_at",
        "current_amount",
        "description",
        "ended_at",
        "id",
        "is_achieved",
        "target_amount",
        "type",
    )

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        self._http = http
        f = Fields(data, "goal")
        self._read_common(f, eventsub=False)
        self.created_at: datetime = f.time("created_at")
        self.is_achieved: bool | None = None
        self.ended_at: datetime | None = None

    @classmethod
    def from_eventsub(cls, http: HTTPHandler, event: Any) -> Self:
        """Build from a ``channel.goal.begin/progress/end`` event."""
        goal = cls.__new__(cls)
        goal._http = http
        f = Fields(event, "event")
        goal._read_common(f, eventsub=True)
        goal.type = _EVENTSUB_TYPES.get(goal.type, goal.type)
        goal.created_at = f.time("started_at")
        goal.is_achieved = f.opt_flag("is_achieved")
        goal.ended_at = f.opt_time("ended_at")
        return goal

    def _read_common(self, f: Fields, *, eventsub: bool) -> None:
        self.id = f.id("id")
        self.broadcaster = users.PartialUser.from_fields(
            self._http, f, "broadcaster", eventsub=eventsub
        )
        self.type = f.text("type")
        self.description = f.opt_text("description")
        self.current_amount = f.integer("current_amount")
        self.target_amount = f.integer("target_amount")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Goal):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return (
            f"<Goal id={self.id!r} type={self.type!r} {self.current_amount}/{self.target_amount}>"
        )


async def get_goals(http: HTTPHandler, user: users.PartialUser) -> list[Goal]:
    """Get Creator Goals."""
    name = "PartialUser.get_goals"
    route = Route("GET", "goals", params={"broadcaster_id": user.id})
    data = await http.request(route, user=user, scopes=SCOPES[name], name=name)
    return [Goal(http, item.data) for item in data_list(data, "response")]
