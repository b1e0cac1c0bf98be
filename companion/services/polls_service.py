"""Polls: the active one kept live, past ones as history.

Helix is read at sign-in and after every EventSub resync; ``channel.poll.*`` events move
the active poll in between (EventSub begin payloads carry no vote counts, so a missing
count is taken from what was known). One poll may be active at a time; it ends by itself
after its duration (COMPLETED), or early: TERMINATED keeps the result on screen for
viewers, ARCHIVED ends it and hides it.

Signals:
    active_changed(object): the ACTIVE poll or None.
    history_changed(list): ended polls (``Poll``), most recent first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from companion.core.bidi import isolate
from companion.core.errors import UserError
from companion.services.running_item import RunningItemService

if TYPE_CHECKING:
    from collections.abc import Sequence

    from companion.twitch.models.polls import Poll
    from companion.twitch.models.users import PartialUser

__all__ = ["HISTORY_SIZE", "PollsService", "create_blocked_reason", "ends_at"]

_log = logging.getLogger(__name__)

#: How many past polls the history shows (one Get Polls page, at most 20).
HISTORY_SIZE = 20


def ends_at(poll: Poll) -> datetime | None:
    """When the poll ends by itself: EventSub's ``ends_at`` or start plus duration."""
    if poll.ends_at is not None:
        return poll.ends_at
    if poll.duration is None:
        return None
    return poll.started_at + timedelta(seconds=poll.duration)


def create_blocked_reason(active: Poll | None) -> str | None:
    """Why a new poll cannot start now (None: it can)."""
    if active is None:
        return None
    return f"One poll at a time: “{isolate(active.title)}” is running. End or archive it first."


def _merge(new: Poll, old: Poll) -> Poll:
    """Fill what an EventSub payload left out from what we knew (same poll)."""
    if new.ends_at is None:
        new.ends_at = old.ends_at
    if new.duration is None:
        new.duration = old.duration
    previous = {choice.id: choice for choice in old.choices}
    for choice in new.choices:
        before = previous.get(choice.id)
        if before is None:
            continue
        if choice.votes is None:
            choice.votes = before.votes
        if choice.channel_points_votes is None:
            choice.channel_points_votes = before.channel_points_votes
    return new


class PollsService(RunningItemService["Poll"]):
    """The broadcaster's active poll and recent history, with the actions."""

    SINGULAR = "poll"
    PLURAL = "polls"
    RUNNING = frozenset({"ACTIVE"})
    HISTORY_SIZE = HISTORY_SIZE

    async def _read(self, broadcaster: PartialUser) -> list[Poll]:
        return await broadcaster.get_polls(limit=HISTORY_SIZE)

    def _merge(self, new: Poll, old: Poll) -> Poll:
        return _merge(new, old)

    def _started(self, item: Poll) -> datetime:
        return item.started_at

    def on_poll_event(self, kind: str, poll: Poll) -> None:
        """Apply a ``channel.poll.*`` event (connect to ``LiveEvents.poll_event``)."""
        self.on_event(kind, poll)

    # -- actions ---------------------------------------------------------------------------

    def create(
        self,
        title: str,
        choices: Sequence[str],
        duration_seconds: int,
        channel_points_per_vote: int | None = None,
    ) -> None:
        """Start a poll (checked against limits.py by the client before sending)."""
        if self.creating:
            return  # a second Ctrl+Enter while the first request is in flight
        self.spawn(
            self.create_now(title, choices, duration_seconds, channel_points_per_vote),
            name="poll create",
        )

    async def create_now(
        self,
        title: str,
        choices: Sequence[str],
        duration_seconds: int,
        channel_points_per_vote: int | None = None,
    ) -> Poll:
        broadcaster = self._require_broadcaster()
        reason = create_blocked_reason(self.active)
        if reason is not None:
            raise UserError(reason)
        created = await broadcaster.create_poll(
            title, list(choices), duration_seconds, channel_points_per_vote
        )
        return self._created(created)

    def end(self, status: Literal["TERMINATED", "ARCHIVED"]) -> None:
        """End the active poll now: TERMINATED stays visible, ARCHIVED hides it."""
        self.spawn(self.end_now(status), name=f"poll {status.lower()}")

    async def end_now(self, status: Literal["TERMINATED", "ARCHIVED"]) -> Poll:
        broadcaster = self._require_broadcaster()
        if self.active is None:
            raise UserError("No poll is running.")
        ended = await broadcaster.end_poll(self.active.id, status)
        self._finish(ended)
        return ended
