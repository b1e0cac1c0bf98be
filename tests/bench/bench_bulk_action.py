"""Benchmark: clear 1,000 waiting redemptions of three rewards in one action.

Run with ``.venv/bin/python tests/bench/run.py`` (all benchmarks) or
``pytest -m bench tests/bench/bench_bulk_action.py -s``. Not part of the default run.

The app's path: ``QueueService`` (core queue, undo window 0, SQLite ledger) fed by a Helix
read of the queue, then "refund all" goes out through ``PartialUser.update_redemptions``
to the simulator. Update Redemption Status takes at most 50 ids of one reward per call,
so 334 + 333 + 333 redemptions need at least 7 + 7 + 7 = 21 calls. Requests are counted
at the simulator; the wall time runs from the click to the action's summary line.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from companion.core.ledger import Ledger
from companion.services.queue_service import QueueService
from companion.sim import SimConfig
from companion.twitch import Client, SimpleTokenHandler
from tests.drills.harness import CountingSimulator, until

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.bench, pytest.mark.qt_loop]

CLIENT_ID = "bulkactionbench00000000000001"
TOTAL = 1_000
REWARDS = 3
MINIMUM_CALLS = sum(-(-n // 50) for n in (334, 333, 333))


async def test_clear_1000_of_3_rewards(qapp: Any, tmp_path: Path) -> None:
    sim = CountingSimulator(SimConfig(seed=31))
    await sim.start(port=0)
    state = sim.state
    state.register_client(CLIENT_ID, None)
    caster = str(state.create_user("bulkcaster", "BulkCaster", "affiliate")["id"])
    viewers = [str(state.create_user(f"bv{n}", f"BV{n}", "")["id"]) for n in range(10)]
    rewards = [
        str(state.create_reward(caster, CLIENT_ID, {"title": f"Bulk {n}", "cost": 10})["id"])
        for n in range(REWARDS)
    ]
    for n in range(TOTAL):
        state.redeem(caster, rewards[n % REWARDS], viewers[n % len(viewers)])
    issued = state.issue_user_token(CLIENT_ID, caster, ["channel:manage:redemptions"])
    client = Client(
        SimpleTokenHandler(issued["access_token"], CLIENT_ID, issued["refresh_token"]),
        helix_url=sim.helix_url,
        oauth_url=sim.oauth_url,
        eventsub_url=sim.eventsub_url,
    )
    ledger = await Ledger.aopen(tmp_path / "ledger.sqlite3")
    service = QueueService(client.create_user(caster, "bulkcaster"), ledger, undo_seconds=0)
    summaries: list[str] = []
    service.action_finished.connect(summaries.append)
    try:
        diff = await service.reconcile()
        assert diff is not None and len(diff.added) == TOTAL
        await service.wait_idle()
        before = len(sim.arrivals("PATCH"))

        started = time.perf_counter()
        assert service.refund_all() is not None
        await until(lambda: summaries != [], timeout=60)
        elapsed = time.perf_counter() - started

        calls = len(sim.arrivals("PATCH")) - before
        assert summaries == [f"Refunded {TOTAL}"]
        assert len(service.queue) == 0
        assert sum(1 for r in state.redemptions.values() if r.status == "CANCELED") == TOTAL
        print()
        print(f"bulk_clear_1000_requests: {calls} requests (minimum {MINIMUM_CALLS})")
        print(f"bulk_clear_1000_time: {elapsed:.3f} s")
        assert calls == MINIMUM_CALLS
        await service.shutdown()
    finally:
        await ledger.aclose()
        await client.close()
        await sim.stop()
