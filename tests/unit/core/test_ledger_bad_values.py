"""One value SQLite cannot hold costs its own row only (issue 20, item 11)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from companion.core.ledger import Ledger, WriteResult
from companion.core.records import ActionKind, ActionRecord, ActionState
from tests.helpers.core_fakes import redemption

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SEEN_AT = datetime(2026, 11, 27, 21, 0, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger(tmp_path / "ledger.sqlite3", wall_clock=lambda: SEEN_AT)
    yield opened
    opened.close()


def stored_ids(ledger: Ledger) -> list[str]:
    return sorted(row.record.redemption_id for row in ledger.query(limit=1000).rows)


def test_a_cost_too_large_for_sqlite_loses_only_its_own_row(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    # The audit's case: reward.cost = 10**30 made SQLite raise "Python int too large" and
    # the whole batch, two good rows with it, was rolled back.
    huge = replace(redemption(2), reward_cost=10**30)
    with caplog.at_level(logging.WARNING, logger="companion.core.ledger"):
        assert ledger.record_redemptions([redemption(1), huge, redemption(3)]) == 2
    assert stored_ids(ledger) == ["r00001", "r00003"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "companion.core.ledger"]
    assert warnings == [
        "ledger: redemption r00002 not stored: reward_cost "
        "1000000000000000000000000000000 is out of the range the history can store"
    ]


def test_write_redemptions_names_every_rejected_row(ledger: Ledger) -> None:
    batch = [
        redemption(1),
        replace(redemption(2), reward_cost=-(2**64)),
        replace(redemption(3), user_name="\ud800"),  # a lone surrogate from JSON "\ud800"
        replace(redemption(4), user_login=None),  # type: ignore[arg-type]  # a field a server left out
        replace(redemption(5), reward_cost=2**63 - 1),  # SQLite's largest INTEGER is fine
        redemption(6),
    ]
    result = ledger.write_redemptions(batch)
    assert result == WriteResult(
        new=3,
        rejected=(
            (
                "r00002",
                "reward_cost -18446744073709551616 is out of the range the history can store",
            ),
            ("r00003", "user_name is not valid Unicode (it holds a lone surrogate)"),
            ("r00004", "user_login is NoneType, not text"),
        ),
    )
    assert stored_ids(ledger) == ["r00001", "r00005", "r00006"]
    row = ledger.get("r00005")
    assert row is not None and row.record.reward_cost == 2**63 - 1


def test_status_note_and_action_skip_or_clean_what_cannot_be_stored(ledger: Ledger) -> None:
    ledger.record_redemptions([redemption(1), redemption(2)])
    # A bad id in an update is skipped; the good ones in the same call move.
    assert ledger.record_status([("\udfff", "FULFILLED"), ("r00001", "FULFILLED")]) == 1
    # Notes and error texts are informative: a damaged character is replaced, not refused.
    assert ledger.record_note(["r00002", "\ud800x"], "from \ud83d") == 1
    row = ledger.get("r00002")
    assert row is not None and row.note == "from \ufffd"
    action = ActionRecord(
        action_id="act-1",
        kind=ActionKind.REFUND,
        redemption_ids=("r00002", "\ud800"),
        reward_ids=("reward-a",),
        created_at=SEEN_AT,
        state=ActionState.PARTIAL,
        finished_at=SEEN_AT,
        done=("r00002",),
        failed=(("\ud800", "HTTP 400: bad \udc00 id"),),
        calls=1,
    )
    ledger.record_action(action)
    stored = ledger.action("act-1")
    assert stored is not None
    assert stored.redemption_ids == ("r00002",)
    assert stored.done == ("r00002",)
    assert stored.failed == ()
    row = ledger.get("r00002")
    assert row is not None and row.record.status == "CANCELED"
