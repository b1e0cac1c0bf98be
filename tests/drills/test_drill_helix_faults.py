"""Fault drills on Helix: 5xx bursts, 429 storms, 2 s latency, connection resets, cut JSON.

Each drill runs the demo channel's services (session, live events, queue service, ledger)
through a burst of redemptions and queue actions while the simulator misbehaves, then
checks with :meth:`Drill.check` that every redemption the simulator made is in the queue or
the ledger exactly once with the simulator's status, and that no redemption was in two
applied PATCHes. The request counts asserted are the ones the client's retry rules imply
(docs/client.md): GETs are retried, writes only once after a 503 or when nothing was sent.
"""

from __future__ import annotations

import math
import time

import pytest

from companion.core.queue_events import RowState
from tests.drills.harness import (
    HYDRATE,
    REDEMPTIONS_PATH,
    REWARDS_PATH,
    SONG,
    Drill,
    until,
)

pytestmark = pytest.mark.qt_loop

PATCH_PREFIX = "/helix" + REDEMPTIONS_PATH
READ_PREFIX = "/helix" + REWARDS_PATH  # the reconcile's reads (rewards, then redemptions)
#: A cut or malformed answer from Twitch, as the streamer reads it.
UNREADABLE = (
    "Twitch sent an answer the app could not read. Try again, and report it if it keeps "
    "happening; the details are in the log."
)


def waiting(drill: Drill, title: str) -> list[str]:
    return [
        r.redemption_id
        for r in drill.queue.queue.rows_for_reward(drill.rewards[title])
        if r.state is RowState.WAITING
    ]


def reconcile_reads(drill: Drill) -> int:
    """GETs one reconcile makes: the app's rewards, then one page per reward (< 50 each)."""
    return 1 + len(drill.rewards)


def skipped_queue(drill: Drill) -> int:
    """Redemptions FULFILLED on arrival (the skip-queue reward), never acted on."""
    posture = drill.rewards["Posture check"]
    return sum(1 for rec in drill.sim.state.redemptions.values() if rec.reward_id == posture)


async def test_5xx_bursts_on_writes_and_reads(drill: Drill) -> None:
    burst = drill.burst(30)
    extra = drill.redeem(60)
    await drill.delivered(burst + extra)
    hydrate = waiting(drill, HYDRATE)
    assert len(hydrate) > 50  # two calls: 50 + the rest

    # A 500 on a write is not retried (it may have been applied): the first call's 50 rows
    # stay in the queue with the error, the second call goes through.
    drill.sim.faults.fail_next(1, 500, prefix=PATCH_PREFIX)
    summary = await drill.act(lambda: drill.queue.fulfill_reward(drill.rewards[HYDRATE]))
    rest = len(hydrate) - 50
    assert summary == (
        f"Fulfilled {rest}; 50 failed and stay in the queue "
        "(Twitch is having trouble right now. Try again in a few minutes.)"
    )
    assert waiting(drill, HYDRATE) == hydrate[:50]
    assert drill.queue.queue.get(hydrate[0]).error is not None  # type: ignore[union-attr]
    assert len(drill.sim.arrivals("PATCH")) == 2
    assert len(drill.sim.routed("PATCH")) == 1

    # A 503 is retried once (Twitch's advice): the streamer's retry succeeds in one action.
    drill.sim.faults.fail_next(1, 503, prefix=PATCH_PREFIX)
    summary = await drill.act(lambda: drill.queue.fulfill_reward(drill.rewards[HYDRATE]))
    assert summary == "Fulfilled 50"
    assert len(drill.sim.arrivals("PATCH")) == 4
    assert len(drill.sim.routed("PATCH")) == 2

    # Reads ride out a burst of three 502s (a resync), and report a burst that outlasts
    # the client's five tries.
    before = len(drill.sim.arrivals("GET", REWARDS_PATH))
    drill.sim.faults.fail_next(3, 502, prefix=READ_PREFIX)
    await drill.reload()
    assert len(drill.sim.arrivals("GET", REWARDS_PATH)) == before + 4
    assert drill.told.texts("queue.error") == []

    drill.sim.faults.fail_next(5, 500, prefix=READ_PREFIX)
    await drill.reload()
    assert len(drill.sim.arrivals("GET", REWARDS_PATH)) == before + 9
    assert drill.told.texts("queue.error") == [
        "Twitch is having trouble right now. Try again in a few minutes."
    ]

    await drill.settle()
    figures = drill.check()
    assert figures.made == 3 + 30 + 60
    assert figures.patched_once == len(hydrate)
    assert figures.handled_at_sim == len(hydrate) + skipped_queue(drill)
    assert figures.queued == figures.made - figures.handled_at_sim


async def test_429_storm_waits_for_the_reset_then_gives_up_after_five_tries(
    drill: Drill,
) -> None:
    budget: list[tuple[int, int]] = []
    drill.session.ratelimit_changed.connect(lambda left, limit: budget.append((left, limit)))
    songs = drill.redeem(12, SONG)
    await drill.delivered(songs)

    # Five 429s in a row: the client waits for each Ratelimit-Reset (1-2 s away) and tries
    # again, four times; the fifth 429 exhausts its tries: the rows stay, with the error, and
    # the streamer's retry goes through.
    drill.sim.faults.throttle_next(5, prefix=PATCH_PREFIX)
    started = time.monotonic()
    summary = await drill.act(lambda: drill.queue.fulfill(songs), timeout=20)
    waited = time.monotonic() - started
    assert summary == (
        "Fulfilled 0; 12 failed and stay in the queue "
        "(Twitch asked the app to slow down. Wait a minute, then try again.)"
    )
    # Four waits of 1-2 s each (the injected reset), a little more when the real bucket's
    # reset, which the client keeps if it is later, is further away.
    assert 4 * 0.9 <= waited <= 4 * 3 + 2
    assert len(drill.sim.arrivals("PATCH")) == 5
    assert drill.sim.routed("PATCH") == []
    assert (0, 800) in budget  # the status bar showed the empty budget

    summary = await drill.act(lambda: drill.queue.fulfill(songs))
    assert summary == "Fulfilled 12"
    assert len(drill.sim.arrivals("PATCH")) == 5 + 1
    assert len(drill.sim.routed("PATCH")) == 1

    await drill.settle()
    figures = drill.check()
    assert figures.patched_once == 12
    assert figures.queued == 3  # the demo's three


async def test_2s_latency_spike_keeps_the_queue_live(drill: Drill) -> None:
    songs = drill.redeem(8, SONG)
    await drill.delivered(songs)
    drill.sim.faults.set_latency(2.0, prefix=PATCH_PREFIX)

    started = time.monotonic()
    record = drill.queue.fulfill(songs)
    assert record is not None
    await until(lambda: drill.queue.queue.get(songs[0]).state is RowState.SENDING)  # type: ignore[union-attr]
    # While the call hangs, EventSub keeps filling the queue.
    late = drill.redeem(5)
    await drill.delivered(late, timeout=1.5)
    # Still in flight when they were queued: the hanging call blocked nothing.
    assert all(drill.queue.queue.get(i).state is RowState.SENDING for i in songs)  # type: ignore[union-attr]

    await until(lambda: drill.told.texts("queue.action_finished") != [], timeout=5)
    assert time.monotonic() - started >= 2.0
    assert drill.told.texts("queue.action_finished") == ["Fulfilled 8"]
    drill.sim.faults.set_latency(0)
    assert len(drill.sim.arrivals("PATCH")) == 1

    await drill.settle()
    figures = drill.check()
    assert figures.patched_once == 8
    assert figures.queued == 3 + 5


async def test_connection_resets(drill: Drill) -> None:
    songs = drill.redeem(6, SONG)
    await drill.delivered(songs)

    # A write whose connection dies may have reached Twitch: it is not resent on its own.
    drill.sim.faults.reset_next(1, prefix=PATCH_PREFIX)
    summary = await drill.act(lambda: drill.queue.fulfill(songs))
    assert summary == (
        "Fulfilled 0; 6 failed and stay in the queue (Twitch could not be reached. Check your "
        "internet connection, then try again.)"
    )
    assert set(songs) <= set(waiting(drill, SONG))
    summary = await drill.act(lambda: drill.queue.fulfill(songs))
    assert summary == "Fulfilled 6"
    assert len(drill.sim.arrivals("PATCH")) == 2
    assert len(drill.sim.routed("PATCH")) == 1

    # Reads are retried through two resets.
    before = len(drill.sim.arrivals("GET", REWARDS_PATH))
    reads_before = len(drill.sim.arrivals("GET", REDEMPTIONS_PATH))
    drill.sim.faults.reset_next(2, prefix=READ_PREFIX)
    await drill.reload()
    assert len(drill.sim.arrivals("GET", REWARDS_PATH)) == before + 3
    assert len(drill.sim.arrivals("GET", REDEMPTIONS_PATH)) == reads_before + len(drill.rewards)
    assert drill.told.texts("queue.error") == []

    await drill.settle()
    figures = drill.check()
    assert figures.patched_once == 6
    assert figures.queued == 3


async def test_malformed_json(drill: Drill) -> None:
    songs = drill.redeem(5, SONG)
    await drill.delivered(songs)

    # The PATCH is applied but its answer is cut in half. The app cannot know the outcome
    # from the answer, so it does not resend; EventSub's update tells it what happened.
    drill.sim.faults.malform_next(1, prefix=PATCH_PREFIX)
    summary = await drill.act(lambda: drill.queue.fulfill(songs))
    assert summary in (
        # The answer was read before EventSub's updates arrived (they then remove the rows)
        f"Fulfilled 0; 5 failed and stay in the queue ({UNREADABLE})",
        # ... or after them.
        "Fulfilled 0; 5 were already handled elsewhere",
    ), summary
    await until(lambda: not any(drill.queue.queue.get(i) for i in songs), what="updates")
    assert len(drill.sim.arrivals("PATCH")) == 1

    # A cut answer on a resync read is retried like a 5xx: the resync works, nothing told.
    before = len(drill.sim.arrivals("GET", REWARDS_PATH))
    drill.sim.faults.malform_next(1, prefix=READ_PREFIX)
    await drill.reload()
    assert len(drill.sim.arrivals("GET", REWARDS_PATH)) == before + 2
    assert drill.told.texts("queue.error") == []
    late = drill.redeem(3)
    await drill.delivered(late)
    await drill.reload()
    assert drill.told.texts("queue.error") == []

    await drill.settle()
    figures = drill.check()
    assert figures.patched_once == 5
    assert figures.handled_at_sim == 5
    assert figures.queued == 3 + 3
    assert math.isclose(figures.in_ledger, figures.made)
