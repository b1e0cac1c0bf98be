"""Channel points predictions: the running one kept live, past ones as history.

Helix is read at sign-in and after every EventSub resync; ``channel.prediction.*``
events move the running prediction in between. EventSub progress payloads may leave out
``users``/``channel_points`` for an outcome (Twitch's own example does), and lock events
carry neither ``locks_at`` nor the window, so each event is merged over what is known.

Twitch's rules (SOURCES.md, Create/End Prediction) are exposed as functions the panel uses
to explain why an action is off: one prediction at a time (ACTIVE or LOCKED), lock only
from ACTIVE, resolve or cancel from ACTIVE or LOCKED, and an automatic cancel 24 h after
the window closes.

Signals:
    active_changed(object): the running prediction (ACTIVE or LOCKED) or None.
    history_changed(list): ended predictions (``Prediction``), most recent first.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from companion.core.bidi import isolate
from companion.core.errors import UserError
from companion.services.running_item import RunningItemService

if TYPE_CHECKING:
    from collections.abc import Sequence

    from companion.twitch.models.predictions import Prediction
    from companion.twitch.models.users import PartialUser

__all__ = [
    "AUTO_CANCEL_AFTER",
    "AUTO_CANCEL_WARNING",
    "HISTORY_SIZE",
    "PredictionsService",
    "auto_cancel_at",
    "create_blocked_reason",
    "lock_blocked_reason",
    "locks_at",
    "resolve_blocked_reason",
]

_log = logging.getLogger(__name__)

#: SOURCES.md (End Prediction): 24 h after the window closes Twitch cancels by itself.
AUTO_CANCEL_AFTER = timedelta(hours=24)
#: Our choice: warn during the last hour before that automatic cancel.
AUTO_CANCEL_WARNING = timedelta(hours=1)
#: How many past predictions the history shows (one Get Predictions page, at most 25).
HISTORY_SIZE = 25

RUNNING = frozenset({"ACTIVE", "LOCKED"})


def locks_at(prediction: Prediction) -> datetime | None:
    """When betting closes: EventSub's ``locks_at`` or Helix's start plus window."""
    if prediction.locks_at is not None:
        return prediction.locks_at
    if prediction.prediction_window is None:
        return None
    return prediction.created_at + timedelta(seconds=prediction.prediction_window)


def auto_cancel_at(prediction: Prediction) -> datetime | None:
    """When Twitch will cancel an unresolved prediction by itself.

    The reference says "24 h after the window closes" and is silent about a prediction
    locked by hand before its window ends; we count from the earlier of the two so the
    warning can only come early, never late.
    """
    window_end = locks_at(prediction)
    candidates = [t for t in (window_end, prediction.locked_at) if t is not None]
    if not candidates:
        return None
    return min(candidates) + AUTO_CANCEL_AFTER


def create_blocked_reason(active: Prediction | None) -> str | None:
    """Why a new prediction cannot start now (None: it can)."""
    if active is None:
        return None
    state = "taking bets" if active.status == "ACTIVE" else "locked, waiting for a result"
    title = isolate(active.title)
    return f"One prediction at a time: “{title}” is {state}. Resolve or cancel it first."


def lock_blocked_reason(active: Prediction | None) -> str | None:
    """Why the running prediction cannot be locked (None: it can)."""
    if active is None:
        return "No prediction is running."
    if active.status != "ACTIVE":
        return "Only a prediction that is taking bets (ACTIVE) can be locked."
    return None


def resolve_blocked_reason(active: Prediction | None) -> str | None:
    """Why the running prediction cannot be resolved or cancelled (None: it can)."""
    if active is None:
        return "No prediction is running."
    if active.status not in RUNNING:
        return "Only an ACTIVE or LOCKED prediction can be resolved or cancelled."
    return None


def _merge(new: Prediction, old: Prediction) -> Prediction:
    """Fill what an EventSub payload left out from what we knew (same prediction)."""
    if new.locks_at is None:
        new.locks_at = old.locks_at
    if new.prediction_window is None:
        new.prediction_window = old.prediction_window
    if new.locked_at is None:
        new.locked_at = old.locked_at
    previous = {outcome.id: outcome for outcome in old.outcomes}
    for outcome in new.outcomes:
        before = previous.get(outcome.id)
        if before is None:
            continue
        if outcome.users is None:
            outcome.users = before.users
        if outcome.channel_points is None:
            outcome.channel_points = before.channel_points
    return new


class PredictionsService(RunningItemService["Prediction"]):
    """The broadcaster's running prediction and recent history, with the actions."""

    SINGULAR = "prediction"
    PLURAL = "predictions"
    RUNNING = RUNNING
    HISTORY_SIZE = HISTORY_SIZE

    async def _read(self, broadcaster: PartialUser) -> list[Prediction]:
        return await broadcaster.get_predictions(limit=HISTORY_SIZE)

    def _merge(self, new: Prediction, old: Prediction) -> Prediction:
        return _merge(new, old)

    def _started(self, item: Prediction) -> datetime:
        return item.created_at

    def on_prediction_event(self, kind: str, prediction: Prediction) -> None:
        """Apply a ``channel.prediction.*`` event (connect to ``LiveEvents.prediction_event``)."""
        if kind == "lock":
            prediction.status = "LOCKED"
        self.on_event(kind, prediction)

    # -- actions ---------------------------------------------------------------------------

    def create(self, title: str, outcomes: Sequence[str], window_seconds: int) -> None:
        """Start a prediction (checked against limits.py by the client before sending)."""
        if self.creating:
            return  # a second Ctrl+Enter while the first request is in flight
        self.spawn(self.create_now(title, outcomes, window_seconds), name="prediction create")

    async def create_now(
        self, title: str, outcomes: Sequence[str], window_seconds: int
    ) -> Prediction:
        broadcaster = self._require_broadcaster()
        reason = create_blocked_reason(self.active)
        if reason is not None:
            raise UserError(reason)
        created = await broadcaster.create_prediction(title, list(outcomes), window_seconds)
        return self._created(created)

    def lock(self) -> None:
        """Stop taking bets now (ACTIVE only)."""
        self.spawn(self.lock_now(), name="prediction lock")

    async def lock_now(self) -> Prediction:
        broadcaster = self._require_broadcaster()
        reason = lock_blocked_reason(self.active)
        if reason is not None or self.active is None:
            raise UserError(reason)
        locked = await broadcaster.end_prediction(self.active.id, "LOCKED")
        self._apply_response(locked)
        return locked

    def resolve(self, outcome_id: str) -> None:
        """Pay out to ``outcome_id`` (ACTIVE or LOCKED)."""
        self.spawn(self.resolve_now(outcome_id), name="prediction resolve")

    async def resolve_now(self, outcome_id: str) -> Prediction:
        broadcaster = self._require_broadcaster()
        reason = resolve_blocked_reason(self.active)
        if reason is not None or self.active is None:
            raise UserError(reason)
        resolved = await broadcaster.end_prediction(self.active.id, "RESOLVED", outcome_id)
        self._apply_response(resolved)
        return resolved

    def cancel(self) -> None:
        """Cancel and refund every bet (ACTIVE or LOCKED)."""
        self.spawn(self.cancel_now(), name="prediction cancel")

    async def cancel_now(self) -> Prediction:
        broadcaster = self._require_broadcaster()
        reason = resolve_blocked_reason(self.active)
        if reason is not None or self.active is None:
            raise UserError(reason)
        canceled = await broadcaster.end_prediction(self.active.id, "CANCELED")
        self._apply_response(canceled)
        return canceled


def now_utc() -> datetime:
    """The wall clock, timezone-aware (panels take it as their default clock)."""
    return datetime.now(UTC)
