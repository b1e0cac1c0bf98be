"""Settle what a hard stop left open in the ledger, against Helix (issue 20, item 13).

Part of the queue service's re-read (the first re-read is at start): the ledger's rows
still UNFULFILLED and its actions still PENDING or SENDING are looked up on Twitch by id
(Get Custom Reward Redemption, 50 ids per call: SOURCES.md) and settled. The decisions
themselves live in :mod:`companion.core.ledger_settle`; this module does the I/O.

Only this app's rewards can be read (403 otherwise), so only their rows are settled;
rows of other rewards stay as EventSub left them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from companion.core.ledger import NOT_ON_TWITCH_NOTE
from companion.core.ledger_settle import SettleSummary, settle_action
from companion.core.queue import MAX_IDS_PER_CALL
from companion.core.records import normalize_status
from companion.twitch.errors import NotFound, TwitchError

if TYPE_CHECKING:
    from companion.core.ledger import Ledger
    from companion.core.ledger_writer import LedgerWriter
    from companion.core.queue import RedemptionQueue
    from companion.core.records import RedemptionStatus
    from companion.twitch.models.users import PartialUser

__all__ = ["SETTLED_NOTE", "settle_ledger"]

_log = logging.getLogger(__name__)

SETTLED_NOTE = "status read back from Twitch"


async def settle_ledger(
    broadcaster: PartialUser,
    ledger: Ledger,
    writer: LedgerWriter,
    *,
    readable: set[str],
    unfulfilled: set[str],
    live: RedemptionQueue,
) -> SettleSummary:
    """Settle the ledger's open rows and unfinished actions from Twitch's word.

    Args:
        broadcaster: The channel.
        ledger: Read from directly (reads wait for earlier writes on its worker).
        writer: Every write goes through it, in order.
        readable: The rewards this app may read redemptions of.
        unfulfilled: Ids the re-read just listed as UNFULFILLED.
        live: This run's queue: its rows and live actions are not leftovers.

    Returns:
        What was settled, for the streamer's notice.
    """
    await writer.wait_idle()  # what this run has seen is in the ledger before it is read
    open_rows = await ledger.aopen_redemptions(broadcaster.id)
    running = {action.action_id for action in live.live_actions()}
    actions = [a for a in await ledger.aunfinished_actions() if a.action_id not in running]
    reward_of = dict(open_rows)
    in_actions = {rid for action in actions for rid in action.redemption_ids}
    if in_actions - reward_of.keys():
        reward_of.update(await ledger.areward_ids_of(in_actions - reward_of.keys()))
    statuses: dict[str, RedemptionStatus | None] = dict.fromkeys(
        unfulfilled & reward_of.keys(), "UNFULFILLED"
    )
    to_ask: dict[str, list[str]] = {}
    for rid, reward_id in reward_of.items():
        # Rows in the queue are live (waiting, or in this run's actions): not leftovers.
        if reward_id in readable and rid not in statuses and rid not in live:
            to_ask.setdefault(reward_id, []).append(rid)
    complete = await _ask_statuses(broadcaster, to_ask, statuses)
    moved = [
        (rid, status)
        for rid, status in statuses.items()
        if rid in open_rows and status in ("FULFILLED", "CANCELED")
    ]
    gone = [rid for rid, status in statuses.items() if rid in open_rows and status is None]
    summary = SettleSummary(moved=len(moved))
    if complete:
        # Every id that could be asked about was (an id of a reward this app cannot read
        # stays unknown). After a failed read the actions wait for the next re-read.
        now = datetime.now(UTC)
        for action in actions:
            final = settle_action(action, statuses, now)
            writer.write_action(final)
            summary = replace(
                summary,
                actions=summary.actions + 1,
                done=summary.done + len(final.done),
                back_in_queue=summary.back_in_queue
                + sum(1 for rid in final.redemption_ids if statuses.get(rid) == "UNFULFILLED"),
            )
    # After the actions, so a done id keeps the action that changed it as its handler.
    writer.write_status(moved, SETTLED_NOTE)
    writer.write_note(gone, NOT_ON_TWITCH_NOTE)
    if moved or gone or actions:
        _log.info(
            "ledger settled from Twitch: %d statuses read back, %d no longer listed,"
            " %d unfinished actions (%s)",
            len(moved),
            len(gone),
            len(actions),
            "settled" if complete else "left for the next re-read",
        )
    return summary


async def _ask_statuses(
    broadcaster: PartialUser,
    to_ask: dict[str, list[str]],
    statuses: dict[str, RedemptionStatus | None],
) -> bool:
    """Get Custom Reward Redemption by id, 50 ids per call; fills ``statuses``.

    An id Twitch does not return gets None. Returns False if a call failed (its ids stay
    out of ``statuses``).
    """
    complete = True
    for reward_id, ids in to_ask.items():
        for start in range(0, len(ids), MAX_IDS_PER_CALL):
            chunk = ids[start : start + MAX_IDS_PER_CALL]
            try:
                found = await broadcaster.get_redemptions(reward_id, None, ids=chunk)
            except NotFound:
                found = []  # Twitch's 404: none of them is listed any more
            except (TwitchError, OSError, TimeoutError) as exc:
                _log.warning("could not read %d redemptions back from Twitch: %s", len(chunk), exc)
                complete = False
                continue
            statuses.update(dict.fromkeys(chunk))
            for redemption in found:
                if redemption.id in statuses and redemption.status != "UNKNOWN":
                    statuses[redemption.id] = normalize_status(redemption.status)
    return complete
