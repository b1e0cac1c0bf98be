"""What becomes of each id of an action a hard stop cut short (issue 20, item 13)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from companion.core.ledger_settle import (
    NOT_APPLIED,
    NOT_SENT,
    UNKNOWN,
    SettleSummary,
    settle_action,
)
from companion.core.records import ActionKind, ActionRecord, ActionState

if TYPE_CHECKING:
    from companion.core.records import RedemptionStatus

AT = datetime(2026, 11, 27, 21, 0, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)


def action(state: ActionState, kind: ActionKind = ActionKind.REFUND) -> ActionRecord:
    return ActionRecord(
        "act-1", kind, ("a", "b", "c", "d", "e"), ("reward-a",), AT, state, sent_at=AT, calls=2
    )


def test_a_sending_action_is_settled_id_by_id() -> None:
    statuses: dict[str, RedemptionStatus | None] = {
        "a": "CANCELED",
        "b": "FULFILLED",
        "c": "UNFULFILLED",
        "d": None,
    }
    final = settle_action(action(ActionState.SENDING), statuses, LATER)
    assert final.state is ActionState.PARTIAL
    assert final.finished_at == LATER
    assert final.done == ("a",)  # the refund's own status: its call went through
    assert final.already_handled == ("b", "d")  # another status, or no longer listed
    assert final.failed == (("c", NOT_APPLIED), ("e", UNKNOWN))
    assert (final.action_id, final.calls, final.sent_at) == ("act-1", 2, AT)


def test_a_pending_action_sent_nothing() -> None:
    statuses: dict[str, RedemptionStatus | None] = dict.fromkeys("abcde", "UNFULFILLED")
    final = settle_action(action(ActionState.PENDING), statuses, LATER)
    assert final.state is ActionState.FAILED
    assert final.failed == tuple((rid, NOT_SENT) for rid in "abcde")
    # Refunded elsewhere while the window was open: not this app's doing.
    statuses = dict.fromkeys("abcde", "CANCELED")
    final = settle_action(action(ActionState.PENDING), statuses, LATER)
    assert (final.state, final.done, final.already_handled) == (
        ActionState.DONE,
        (),
        tuple("abcde"),
    )


def test_the_summary_says_nothing_when_no_action_was_cut_short() -> None:
    assert SettleSummary(moved=7).text() is None
    assert SettleSummary(actions=2, done=60, back_in_queue=0).text() == (
        "2 action(s) cut short when the app last stopped were settled from Twitch:"
        " 60 redemption(s) done."
    )
