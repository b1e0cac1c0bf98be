"""Records: validation at the boundary, id-based equality, status spelling."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from companion.core.records import ActionKind, ActionState, normalize_status
from tests.helpers.core_fakes import redemption


def test_equality_and_hash_follow_the_id() -> None:
    waiting = redemption(1)
    done = waiting.with_status("FULFILLED")
    assert waiting == done
    assert len({waiting, done, redemption(2)}) == 2
    assert waiting.as_tuple() != done.as_tuple()
    assert repr(waiting) == (
        "RedemptionRecord(redemption_id='r00001', reward_id='reward-a', "
        "user_login='viewer1', status='UNFULFILLED')"
    )


def test_twitch_empty_input_becomes_none() -> None:
    assert redemption(1, user_input="").user_input is None
    assert redemption(1, user_input="hi").user_input == "hi"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"redeemed_at": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"status": "DONE"}, "unknown redemption status"),
        ({"reward_color": "purple"}, "#RRGGBB"),
        ({"redemption_id": ""}, "redemption_id"),
        ({"reward_id": ""}, "reward_id"),
    ],
)
def test_bad_records_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(redemption(1), **change)  # type: ignore[arg-type]  # deliberately wrong values


def test_any_timezone_is_accepted() -> None:
    plus_two = timezone(timedelta(hours=2))
    record = replace(redemption(1), redeemed_at=datetime(2026, 1, 1, 12, tzinfo=plus_two))
    assert record.redeemed_at.utcoffset() == timedelta(hours=2)


def test_status_spellings() -> None:
    assert [normalize_status(s) for s in ("unfulfilled", "Fulfilled", "CANCELED")] == [
        "UNFULFILLED",
        "FULFILLED",
        "CANCELED",
    ]
    with pytest.raises(ValueError, match="unknown"):
        normalize_status("cancelled")
    assert ActionKind.REFUND.target_status == "CANCELED"
    assert ActionKind.FULFILL.target_status == "FULFILLED"
    assert [s.finished for s in ActionState] == [False, True, False, True, True, True]
