"""Fault drills on the EventSub WebSocket: a dropped socket, a forced ``session_reconnect``
with repeated deliveries, and keepalive silence.

Twitch replays nothing after a lost session, so what was redeemed while the socket was down
must come back through the Helix re-read that ``resynced`` starts; a clean
``session_reconnect`` hands the subscriptions over and needs no re-read. Repeated messages
(same ``message_id``) must not queue a redemption twice.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from companion.sim.eventsub import EventSubHub
from tests.drills.harness import HYDRATE, SONG, Drill, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from companion.core.queue_events import ReconcileDiff

pytestmark = pytest.mark.qt_loop


def diffs(drill: Drill) -> list[ReconcileDiff]:
    found: list[ReconcileDiff] = []
    drill.queue.reconciled.connect(found.append)
    return found


@pytest.mark.parametrize("close_code", [None, 4000])
async def test_dropped_websocket_is_reconnected_and_the_gap_read_back(
    drill: Drill, close_code: int | None
) -> None:
    reconciled = diffs(drill)
    before = drill.burst(20)
    await drill.delivered(before)
    assert drill.sim.hub is not None
    sessions = drill.live.client.sessions_started if drill.live.client else 0

    # None: the TCP connection is aborted; 4000: Twitch's "internal server error" close.
    assert await drill.sim.hub.drop_connections(close_code) == 1
    missed = drill.redeem(7) + drill.redeem(3, SONG)  # while nobody listens
    await until(lambda: len(reconciled) == 1, what="the re-read after the reconnect")
    assert drill.live.client is not None
    assert drill.live.client.sessions_started == sessions + 1
    assert set(reconciled[0].added) == set(missed)
    assert reconciled[0].removed == ()
    states = [text.split(" | ")[0] for text in drill.told.texts("live.state_changed")]
    assert states[-2:] == ["reconnecting", "live"]
    assert drill.told.texts("live.resynced") == [""]

    # Live again: new redemptions flow, and the first action after the gap goes out once.
    after = drill.redeem(4)
    await drill.delivered(after)
    hydrate = [r.redemption_id for r in drill.queue.queue.rows_for_reward(drill.rewards[HYDRATE])]
    summary = await drill.act(lambda: drill.queue.fulfill_reward(drill.rewards[HYDRATE]))
    assert summary == f"Fulfilled {len(hydrate)}"

    await drill.settle()
    figures = drill.check()
    assert figures.made == 3 + 20 + 10 + 4
    assert figures.patched_once == len(hydrate)
    assert len(drill.sim.arrivals("PATCH")) == 1


async def test_forced_session_reconnect_and_repeated_messages(drill: Drill) -> None:
    reconciled = diffs(drill)
    assert drill.sim.hub is not None and drill.live.client is not None
    first = drill.redeem(10)
    await drill.delivered(first)
    sessions = drill.live.client.sessions_started
    old_session = drill.live.client.session_id

    assert await drill.sim.hub.force_reconnect() == 1
    during = drill.redeem(10, SONG)  # on the old socket until the new welcome
    await until(
        lambda: drill.live.client is not None and drill.live.client.session_id != old_session,
        what="the handoff to the reconnect URL",
    )
    assert drill.live.client is not None
    later = drill.redeem(5)
    await drill.delivered(during + later)

    # At-least-once delivery: the last 25 notifications again, with their message ids.
    assert drill.sim.hub.resend_last(25) == 25
    await drill.settle()
    assert len(drill.queue.queue) == 3 + 10 + 10 + 5
    assert reconciled == []  # a clean handoff needs no Helix re-read
    assert drill.told.texts("live.resynced") == []
    assert drill.live.client.sessions_started == sessions  # a handoff, not a new session
    states = [text.split(" | ")[0] for text in drill.told.texts("live.state_changed")]
    assert "down" not in states
    assert drill.live.client.duplicates_dropped == 25

    summary = await drill.act(lambda: drill.queue.refund(during))
    assert summary == "Refunded 10"
    await drill.settle()
    figures = drill.check()
    assert figures.made == 28
    assert figures.patched_once == 10
    assert figures.handled_at_sim == 10


@pytest.fixture
async def quiet_drill(qapp: Any, tmp_path: Path) -> AsyncIterator[Drill]:
    # The shortest keepalive Twitch allows (10 s) and a short margin; the simulator sends
    # keepalives every second so only the silence fault can starve the watchdog.
    harness = Drill(tmp_path, keepalive_timeout=10, keepalive_margin=0.5)
    assert isinstance(harness.sim.hub, EventSubHub)
    harness.sim.hub.keepalive_interval_seconds = 1.0
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def test_keepalive_silence_counts_as_a_dead_socket(quiet_drill: Drill) -> None:
    drill = quiet_drill
    reconciled = diffs(drill)
    assert drill.sim.hub is not None and drill.live.client is not None
    sessions = drill.live.client.sessions_started
    drill.sim.hub.silence_keepalive(12)
    silenced = time.monotonic()
    first = drill.redeem(6)  # notifications still flow; the silence starts after them
    await drill.delivered(first)

    await until(lambda: len(reconciled) == 1, timeout=14, what="the reconnect after silence")
    elapsed = time.monotonic() - silenced
    assert 10.0 <= elapsed <= 13.5  # 10 s keepalive + 0.5 s margin + reconnect and re-read
    assert drill.live.client is not None
    assert drill.live.client.sessions_started == sessions + 1
    # The reason (a keepalive timeout) is in the log; the status bar says what it means.
    assert "reconnecting | Live events: connection lost, reconnecting…" in drill.told.texts(
        "live.state_changed"
    )
    assert reconciled[0].added == ()  # nothing was lost, only feared lost

    later = drill.redeem(4, SONG)
    await drill.delivered(later)
    summary = await drill.act(lambda: drill.queue.fulfill(first))
    assert summary == "Fulfilled 6"
    await drill.settle()
    figures = drill.check()
    assert figures.made == 3 + 6 + 4
    assert figures.patched_once == 6
