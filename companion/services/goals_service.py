"""Creator goals: read through Helix, moved along by EventSub.

Goals are read-only in Twitch's API (there is no create or update endpoint), so this
service only keeps the list current: a full read at sign-in and after every resync, and
``channel.goal.begin/progress/end`` events in between. Twitch notes that a Begin event
may arrive after Progress events, so every event is an upsert.

Signals:
    goals_changed(list): the current goals (a list of ``Goal``), after every change.
    goal_ended(object): a goal ended (``is_achieved`` tells whether it was reached).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal

from companion.services.base import Service

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from companion.twitch.models.goals import Goal
    from companion.twitch.models.users import PartialUser

_log = logging.getLogger(__name__)


class GoalsService(Service):
    """Keeps the broadcaster's goals, in the order Twitch lists them."""

    goals_changed = Signal(list)
    goal_ended = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.broadcaster: PartialUser | None = None
        self._goals: dict[str, Goal] = {}

    @property
    def goals(self) -> list[Goal]:
        return list(self._goals.values())

    def set_broadcaster(self, broadcaster: PartialUser | None) -> None:
        """Switch channel (None: signed out) and read its goals."""
        self.broadcaster = broadcaster
        self._goals.clear()
        self.goals_changed.emit(self.goals)
        if broadcaster is not None:
            self.refresh()

    def refresh(self) -> None:
        """Read every goal again (latest request wins)."""
        self.spawn(self.reload(), name="goals refresh", latest_wins=True)

    async def reload(self) -> list[Goal]:
        if self.broadcaster is None:
            return []
        goals = await self.broadcaster.get_goals()
        self._goals = {goal.id: goal for goal in goals}
        self.goals_changed.emit(self.goals)
        return self.goals

    def on_goal_event(self, kind: str, goal: Goal) -> None:
        """Apply a ``channel.goal.*`` event (connect to ``LiveEvents.goal_event``)."""
        if self.broadcaster is None or goal.broadcaster.id != self.broadcaster.id:
            return
        if kind == "end":
            self._goals.pop(goal.id, None)
            self.goal_ended.emit(goal)
        else:
            self._goals[goal.id] = goal
        self.goals_changed.emit(self.goals)
