"""Settle what a hard stop left open in the ledger, from Twitch's word (issue 20, item 13).

After ``kill -9`` (or a power cut) in the middle of a bulk fulfil, the ledger holds an
action still PENDING or SENDING and rows still UNFULFILLED that Twitch may already have
fulfilled: the calls went out, their answers never reached the ledger. Twitch is the
truth about a redemption's status, so at start (every Helix re-read of the queue, of
which the start is the first) the queue service asks Twitch for the status of each open
row by id and hands the answers to :func:`settle_action`, which decides what became of
each id of an unfinished action:

* Twitch says the action's own status and the action was being sent: **done** (its call
  went through; no other app can change this app's redemptions except the dashboard, and
  the reference gives no way to tell the two apart, so the likelier one is recorded);
* Twitch says FULFILLED or CANCELED otherwise: **already handled** elsewhere;
* Twitch says UNFULFILLED: **failed**, "not sent" (the undo window was still open) or "not
  applied" (the stop came first); the row is back in the queue for the streamer to act on;
* Twitch no longer lists it (handled redemptions are kept "only a few days", SOURCES.md):
  **already handled**, status unknown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .records import ActionRecord, ActionState

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from .records import RedemptionStatus

__all__ = ["NOT_APPLIED", "NOT_SENT", "UNKNOWN", "SettleSummary", "settle_action"]

_log = logging.getLogger(__name__)

NOT_SENT = "not sent: the app stopped while the undo window was open"
NOT_APPLIED = "not applied: the app stopped while sending"
UNKNOWN = "status unknown: Twitch could not be asked about this redemption"


@dataclass(frozen=True, slots=True)
class SettleSummary:
    """What one settling pass did, for the one notice the streamer gets.

    Attributes:
        moved: Ledger rows whose status was read back (FULFILLED or CANCELED on Twitch).
        actions: Unfinished actions settled.
        done: Ids those actions changed.
        back_in_queue: Ids of those actions still UNFULFILLED on Twitch.
    """

    moved: int = 0
    actions: int = 0
    done: int = 0
    back_in_queue: int = 0

    def text(self) -> str | None:
        """One sentence for the streamer, or None if nothing needed settling."""
        if not self.actions:
            return None
        parts = [
            f"{self.actions} action(s) cut short when the app last stopped were settled"
            f" from Twitch: {self.done} redemption(s) done"
        ]
        if self.back_in_queue:
            parts.append(f"{self.back_in_queue} not done and back in the queue")
        return "; ".join(parts) + "."


def settle_action(
    action: ActionRecord,
    statuses: Mapping[str, RedemptionStatus | None],
    finished_at: datetime,
) -> ActionRecord:
    """The final snapshot of an action the app stopped before settling.

    Args:
        action: The stored PENDING or SENDING snapshot.
        statuses: Twitch's status per id; None for an id Twitch no longer lists. An id
            missing from the mapping could not be asked about.
        finished_at: When it was settled.
    """
    sent = action.state is ActionState.SENDING
    done: list[str] = []
    already: list[str] = []
    failed: list[tuple[str, str]] = []
    for rid in action.redemption_ids:
        if rid not in statuses:
            failed.append((rid, UNKNOWN))
            continue
        status = statuses[rid]
        if status == "UNFULFILLED":
            failed.append((rid, NOT_APPLIED if sent else NOT_SENT))
        elif status == action.target_status and sent:
            done.append(rid)
        else:
            already.append(rid)
    state = ActionState.outcome(failed=bool(failed), settled=bool(done or already))
    _log.info(
        "action %s settled from Twitch after a stop: %d done, %d handled elsewhere, %d not",
        action.action_id,
        len(done),
        len(already),
        len(failed),
    )
    return replace(
        action,
        state=state,
        finished_at=finished_at,
        done=tuple(done),
        already_handled=tuple(already),
        failed=tuple(failed),
    )
