"""What the ledger can store, checked per row before a write (issue 20, item 11).

A redemption comes from Twitch (or from whatever answers at the configured URL). Twitch
documents no maximum reward cost, and JSON can carry a lone UTF-16 surrogate (``"\\ud800"``)
that no UTF-8 database can hold. Such a value is legal for the queue, which only shows it,
but SQLite refuses it (``OverflowError: Python int too large to convert to SQLite INTEGER``,
``UnicodeEncodeError``), and one refused parameter used to roll back its whole batch. The
ledger checks every row first, writes the good ones and names the bad ones.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from .ledger_schema import to_db_time

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .records import ActionRecord, RedemptionRecord

__all__ = [
    "REDEMPTION_STATUSES",
    "SQLITE_INT_MAX",
    "SQLITE_INT_MIN",
    "action_problem",
    "redemption_problem",
    "split_storable",
    "storable",
    "storable_action",
]

_log = logging.getLogger(__name__)

#: SQLite's INTEGER is a signed 64-bit number.
SQLITE_INT_MAX = 2**63 - 1
SQLITE_INT_MIN = -(2**63)

_SURROGATE = re.compile("[\ud800-\udfff]")

#: The statuses the redemptions table's CHECK allows (Helix's spelling).
REDEMPTION_STATUSES = frozenset({"UNFULFILLED", "FULFILLED", "CANCELED"})

_TEXT_FIELDS = (
    "redemption_id",
    "broadcaster_id",
    "reward_id",
    "reward_title",
    "user_id",
    "user_login",
    "user_name",
)


def _text_problem(name: str, value: object, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        return f"{name} is {type(value).__name__}, not text"
    if value.isascii():
        return None  # no surrogate; isascii() is a flag read, encode() copies the text
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{name} is not valid Unicode (it holds a lone surrogate)"
    return None


def _time_problem(name: str, value: object) -> str | None:
    if not isinstance(value, datetime):
        return f"{name} is {type(value).__name__}, not a time"
    try:
        to_db_time(value)
    except (ValueError, OverflowError) as exc:
        return f"{name} {value!r} cannot be stored ({exc})"
    return None


def redemption_problem(record: RedemptionRecord) -> str | None:
    """Why ``record`` cannot be stored, in words, or None if it can."""
    for name in _TEXT_FIELDS:
        problem = _text_problem(name, getattr(record, name))
        if problem:
            return problem
    for name in ("reward_color", "user_input"):
        problem = _text_problem(name, getattr(record, name), optional=True)
        if problem:
            return problem
    cost = record.reward_cost
    if isinstance(cost, bool) or not isinstance(cost, int):
        return f"reward_cost is {type(cost).__name__}, not an integer"
    if not SQLITE_INT_MIN <= cost <= SQLITE_INT_MAX:
        # Twitch documents only "min 1"; the bound is SQLite's, so say so plainly.
        return f"reward_cost {cost} is out of the range the history can store"
    status = record.status
    if not isinstance(status, str) or status not in REDEMPTION_STATUSES:
        # The record's constructor refuses these; the bulk write relies on this check, not
        # on the table's CHECK (see companion.core.ledger_bulk), so it is made here too.
        return f"status {status!r} is not one of UNFULFILLED, FULFILLED, CANCELED"
    return _time_problem("redeemed_at", record.redeemed_at)


def split_storable(
    records: Iterable[RedemptionRecord],
) -> tuple[list[RedemptionRecord], list[tuple[str, str]]]:
    """The records SQLite can hold, and ``(redemption_id, reason)`` of the others (logged)."""
    good: list[RedemptionRecord] = []
    rejected: list[tuple[str, str]] = []
    for record in records:
        problem = redemption_problem(record)
        if problem is None:
            good.append(record)
            continue
        rid = storable(str(record.redemption_id))
        rejected.append((rid, problem))
        _log.warning("ledger: redemption %s not stored: %s", rid, problem)
    return good, rejected


def action_problem(action: ActionRecord) -> str | None:
    """Why an action snapshot cannot be stored at all, or None.

    Only its own id and times can make a snapshot unstorable; a redemption id that cannot
    be stored is dropped from it by :func:`storable_action`, and error texts are cleaned.
    """
    problem = _text_problem("action_id", action.action_id)
    if problem:
        return problem
    for name in ("created_at", "sent_at", "finished_at"):
        value = getattr(action, name)
        if value is not None and (problem := _time_problem(name, value)):
            return problem
    return None


def storable_action(action: ActionRecord) -> tuple[ActionRecord, tuple[str, ...]]:
    """The snapshot without the redemption ids SQLite cannot hold, and those ids (cleaned)."""

    def good(value: object) -> bool:
        return _text_problem("id", value) is None

    dropped = tuple(
        storable(str(rid)) for rid in (*action.redemption_ids, *action.reward_ids) if not good(rid)
    )
    if not dropped:
        return action, ()
    cleaned = replace(
        action,
        redemption_ids=tuple(filter(good, action.redemption_ids)),
        reward_ids=tuple(filter(good, action.reward_ids)),
        done=tuple(filter(good, action.done)),
        already_handled=tuple(filter(good, action.already_handled)),
        failed=tuple((rid, error) for rid, error in action.failed if good(rid)),
    )
    return cleaned, dropped


def storable(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (for notes and error texts).

    Free text is informative only, so a damaged character is replaced rather than the
    whole note refused.
    """
    # A Python str never pairs surrogates itself, so every surrogate code point is lone.
    return _SURROGATE.sub("\ufffd", text)
