"""kill -9 in the middle of a bulk fulfil, then a restart (issue 20, item 13).

The app (a child process: the real queue service on a real ledger file) fulfils 200
redemptions, 50 per call, each call slowed to 0.3 s by the simulator; it is killed with
SIGKILL once two calls were applied. Twitch (the simulator, in this process) then holds
100 or 150 of them FULFILLED (a call already inside the server when the client died is
applied all the same, as on Twitch), while the ledger still says UNFULFILLED and the
action SENDING. A restart on the same ledger must settle both from Helix, without
sending any action again.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from companion.core.ledger import Ledger
from companion.core.ledger_settle import NOT_APPLIED
from companion.core.records import ActionKind, ActionState
from companion.services.ledger_settling import SETTLED_NOTE
from companion.services.queue_service import QueueService
from companion.sim import DEMO_CLIENT_ID, SimConfig
from companion.twitch.client import Client
from companion.twitch.tokens import SimpleTokenHandler
from tests.drills.harness import HYDRATE, SCOPES, CountingSimulator, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("kill_fulfil_child.py")
PATCH_PREFIX = "/helix/channel_points/custom_rewards/redemptions"
MADE = 200


@pytest.fixture
async def sim() -> AsyncIterator[CountingSimulator]:
    simulator = CountingSimulator(SimConfig(demo=True, seed=11, tick_interval=0.05))
    await simulator.start(port=0)
    try:
        yield simulator
    finally:
        await simulator.stop()


def app_statuses(sim: CountingSimulator, broadcaster_id: str) -> dict[str, str]:
    """Redemption id -> status at the simulator, for the rewards this app created."""
    ours = {str(r["id"]) for r in sim.state.get_rewards(broadcaster_id, DEMO_CLIENT_ID, [], True)}
    return {
        rid: rec.status
        for rid, rec in sim.state.redemptions.items()
        if rec.data["broadcaster_id"] == broadcaster_id and rec.reward_id in ours
    }


def ledger_statuses(ledger: Ledger) -> dict[str, str]:
    return {r.record.redemption_id: r.record.status for r in ledger.query(limit=10**5).rows}


async def run_and_kill(sim: CountingSimulator, path: Path, token: dict[str, Any]) -> int:
    """Start the child, let two fulfil calls through, SIGKILL it; returns the rows it had."""
    assert sim.demo_broadcaster_id is not None
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        str(path),
        sim.base_url,
        sim.demo_broadcaster_id,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        proc.stdin.write(json.dumps(token).encode() + b"\n")
        await proc.stdin.drain()
        proc.stdin.close()
        async with asyncio.timeout(60):
            line = (await proc.stdout.readline()).decode()
        assert line.startswith("READY "), (line, (await proc.stderr.read()).decode())
        rows = int(line.split()[1])
        sim.faults.set_latency(0.3, prefix=PATCH_PREFIX)

        def applied() -> int:
            return sum(1 for hit in sim.routed("PATCH") if 200 <= hit.status < 300)

        await until(lambda: applied() >= 2, timeout=30, what="two fulfil calls applied")
        proc.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(proc.wait(), 10) == -signal.SIGKILL
        # A call that was inside the simulator when the client died finishes there.
        await asyncio.sleep(0.6)
        sim.faults.set_latency(0)
        return rows
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_restart_settles_the_killed_bulk_fulfil_from_helix(
    sim: CountingSimulator, tmp_path: Path, qapp: Any
) -> None:
    broadcaster_id = sim.demo_broadcaster_id
    assert broadcaster_id is not None
    rewards = {
        str(r["title"]): str(r["id"])
        for r in sim.state.get_rewards(broadcaster_id, DEMO_CLIENT_ID, [], True)
    }
    viewers = [u for u in sim.state.users if u != broadcaster_id]
    for n in range(MADE):
        sim.state.redeem(broadcaster_id, rewards[HYDRATE], viewers[n % len(viewers)])
    waiting = {rid for rid, st in app_statuses(sim, broadcaster_id).items() if st == "UNFULFILLED"}
    path = tmp_path / "ledger.sqlite3"

    token = dict(sim.state.issue_user_token(DEMO_CLIENT_ID, broadcaster_id, SCOPES))
    rows = await run_and_kill(sim, path, token)
    assert rows == len(waiting) >= MADE

    # What the kill left: Twitch fulfilled 100 or 150; the ledger knows none of it.
    fulfilled = {rid for rid, st in app_statuses(sim, broadcaster_id).items() if st == "FULFILLED"}
    assert fulfilled <= waiting
    assert len(fulfilled) in (100, 150)
    # While the app is down, a moderator refunds one of the rest on the dashboard.
    refunded = sorted(waiting - fulfilled)[0]
    sim.state.update_redemptions(
        broadcaster_id,
        DEMO_CLIENT_ID,
        sim.state.redemptions[refunded].reward_id,
        [refunded],
        "CANCELED",
    )
    at_sim = app_statuses(sim, broadcaster_id)
    patches = len(sim.arrivals("PATCH"))
    ledger = Ledger(path)
    try:
        assert ledger.integrity_check() == "ok"
        before = ledger_statuses(ledger)
        assert {before[rid] for rid in waiting} == {"UNFULFILLED"}
        [stuck] = ledger.unfinished_actions()
        assert (stuck.kind, stuck.state) == (ActionKind.FULFILL, ActionState.SENDING)
        assert set(stuck.redemption_ids) == waiting
    finally:
        ledger.close()

    # The restart: the same ledger file, a fresh sign-in, the first re-read of the queue.
    issued = sim.state.issue_user_token(DEMO_CLIENT_ID, broadcaster_id, SCOPES)
    handler = SimpleTokenHandler(issued["access_token"], DEMO_CLIENT_ID, issued["refresh_token"])
    client = Client(
        handler, helix_url=sim.helix_url, oauth_url=sim.oauth_url, retry_base_delay=0.01
    )
    ledger = await Ledger.aopen(path)
    service = QueueService(client.create_user(broadcaster_id, "democaster"), ledger)
    told: list[str] = []
    service.notice.connect(told.append)
    errors: list[str] = []
    service.error.connect(errors.append)
    reads_before = len(sim.reached)
    try:
        await service.reconcile()
        await service.wait_idle()

        # The ledger now says what Twitch says, row by row, and nothing is left open.
        after = await ledger.aquery(limit=10**5)
        statuses = {r.record.redemption_id: r.record.status for r in after.rows}
        assert {rid: statuses[rid] for rid in waiting} == {rid: at_sim[rid] for rid in waiting}
        assert await ledger.aunfinished_actions() == []
        settled = [a for a in await ledger.arecent_actions() if a.action_id == stuck.action_id]
        assert len(settled) == 1
        action = settled[0]
        assert action.state is ActionState.PARTIAL
        assert set(action.done) == fulfilled
        assert action.already_handled == (refunded,)
        assert {rid for rid, _ in action.failed} == waiting - fulfilled - {refunded}
        assert {error for _, error in action.failed} == {NOT_APPLIED}
        rows_by_id = {row.record.redemption_id: row for row in after.rows}
        assert {rows_by_id[rid].handled_by for rid in fulfilled} == {action.action_id}
        assert (rows_by_id[refunded].handled_by, rows_by_id[refunded].note) == (None, SETTLED_NOTE)

        # The rest wait in the queue again; nothing was sent twice, or at all.
        assert set(service.queue.ids()) == waiting - fulfilled - {refunded}
        assert len(sim.arrivals("PATCH")) == patches
        assert max(sim.applied_patches().values()) == 1
        # The statuses were read by id, at most 50 per call, each fulfilled id once.
        by_id = [hit for hit in sim.reached[reads_before:] if hit.method == "GET" and hit.ids]
        assert all(len(hit.ids) <= 50 for hit in by_id)
        assert sorted(i for hit in by_id for i in hit.ids) == sorted(fulfilled | {refunded})
        assert told == [
            "1 action(s) cut short when the app last stopped were settled from Twitch:"
            f" {len(fulfilled)} redemption(s) done; {len(waiting) - len(fulfilled) - 1} not"
            " done and back in the queue."
        ]
        assert errors == []
    finally:
        await service.shutdown()
        await ledger.aclose()
        await client.close()
