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

from PySide6.QtCore import Signal

from companion.services.base import Service

if TYPE_CHECKING:
    from collections.abc import Sequence

    from PySide6.QtCore import QObject

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
    return f"One poll at a time: “{active.title}” is running. End or archive it first."


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


class PollsService(Service):
    """The broadcaster's active poll and recent history, with the actions."""

    active_changed = Signal(object)
    history_changed = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.broadcaster: PartialUser | None = None
        self.active: Poll | None = None
        self._history: list[Poll] = []
        # Ended ids: a late progress event must not bring an ended poll back.
        self._ended: set[str] = set()

    @property
    def history(self) -> list[Poll]:
        return list(self._history)

    # -- reading ---------------------------------------------------------------------------

    def set_broadcaster(self, broadcaster: PartialUser | None) -> None:
        """Switch channel (None: signed out) and read its polls."""
        self.broadcaster = broadcaster
        self._ended.clear()
        self._set_active(None)
        self._set_history([])
        if broadcaster is not None:
            self.refresh()

    def refresh(self) -> None:
        """Read the active poll and the history again (latest request wins)."""
        self.spawn(self.reload(), name="polls refresh", latest_wins=True)

    async def reload(self) -> None:
        """Get Polls (one page, most recent first): active one plus history."""
        if self.broadcaster is None:
            return
        polls = await self.broadcaster.get_polls(limit=HISTORY_SIZE)
        self.apply_read(polls)

    def apply_read(self, polls: list[Poll]) -> None:
        """Take a Get Polls page (most recent first) as the current state.

        A read can be older than what this service already saw (an End response or event
        landing while it was in flight): a poll known to have ended stays ended, and ended
        ones the read does not list yet stay in the history.
        """
        ended = [p for p in polls if p.status != "ACTIVE"]
        self._ended |= {p.id for p in ended}
        running = next((p for p in polls if p.status == "ACTIVE" and p.id not in self._ended), None)
        if running is not None and self.active is not None and self.active.id == running.id:
            running = _merge(running, self.active)
        history = {p.id: p for p in self._history}
        history.update({p.id: p for p in ended})
        newest_first = sorted(history.values(), key=lambda p: p.started_at, reverse=True)
        self._set_active(running)
        self._set_history(newest_first[:HISTORY_SIZE])

    def on_poll_event(self, kind: str, poll: Poll) -> None:
        """Apply a ``channel.poll.*`` event (connect to ``LiveEvents.poll_event``)."""
        if self.broadcaster is None or poll.broadcaster.id != self.broadcaster.id:
            return
        if poll.id in self._ended:
            return
        if kind == "end":
            self._finish(poll)
            return
        if self.active is not None and self.active.id == poll.id:
            poll = _merge(poll, self.active)
        self._set_active(poll)

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

    @property
    def creating(self) -> bool:
        """Whether a create request is in flight."""
        task = self._latest.get("poll create")
        return task is not None and not task.done()

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
            raise ValueError(reason)
        created = await broadcaster.create_poll(
            title, list(choices), duration_seconds, channel_points_per_vote
        )
        if self.active is None or self.active.id != created.id:
            self._set_active(created)
        return created

    def end(self, status: Literal["TERMINATED", "ARCHIVED"]) -> None:
        """End the active poll now: TERMINATED stays visible, ARCHIVED hides it."""
        self.spawn(self.end_now(status), name=f"poll {status.lower()}")

    async def end_now(self, status: Literal["TERMINATED", "ARCHIVED"]) -> Poll:
        broadcaster = self._require_broadcaster()
        if self.active is None:
            raise ValueError("No poll is running.")
        ended = await broadcaster.end_poll(self.active.id, status)
        self._finish(ended)
        return ended

    # -- internals -------------------------------------------------------------------------

    def _require_broadcaster(self) -> PartialUser:
        if self.broadcaster is None:
            raise ValueError("Sign in to run polls.")
        return self.broadcaster

    def _finish(self, poll: Poll) -> None:
        if self.active is not None and self.active.id == poll.id:
            poll = _merge(poll, self.active)
            self._set_active(None)
        if poll.id not in self._ended:
            self._ended.add(poll.id)
            self._set_history([poll, *self._history][:HISTORY_SIZE])

    def _set_active(self, poll: Poll | None) -> None:
        self.active = poll
        self.active_changed.emit(poll)

    def _set_history(self, history: list[Poll]) -> None:
        self._history = history
        self.history_changed.emit(self.history)
