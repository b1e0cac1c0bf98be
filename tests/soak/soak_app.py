"""Soak the real app: ``companion --demo`` run through ``companion.app.main`` for hours' worth
of event-loop callbacks, with viewers redeeming, predictions and polls running and queue
actions taken, then check it is still whole.

Run by ``tests/soak/test_soak.py`` (short, in CI) and by hand for the full stream::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/soak/soak_app.py --hours 8

``--hours H`` converts a stream's length into callbacks with the demo's normal traffic
rate (``--measure-baseline`` measures callbacks per second at that rate), then compresses
time by raising the viewers' redemption rate until that many callbacks have run.

The driver acts as a streamer and viewers would: viewers redeem (the simulator's own
demo traffic plus ``--traffic-rate``), vote in polls and bet on predictions; the streamer
fulfils and refunds through the queue panel's actions (inside the undo window), runs a
prediction (create, lock, resolve) and a poll (create, end) in turn; OBS holds one browser
source per overlay page open (a WebSocket client on each page's live socket) and reconnects
them all every ``--overlay-reconnect-every`` seconds, as switching scenes does.

It writes a JSON report (``--report``): samples over time (RSS, refcounts of None/True/
False, callbacks, pending timers, queue length, tasks), and the final checks: every
redemption the simulator made is in the queue or the ledger exactly once, and no row is
left in an undo window or in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

if TYPE_CHECKING:
    from companion.app import CompanionApp

#: Callbacks per second of the real app at the demo's normal traffic (0.4 redemptions/s,
#: a queue action every 10 s, a prediction and a poll each minute), measured with
#: ``--measure-baseline 180`` on 2026-12-06 (3,999 callbacks in 181.2 s). Turns ``--hours``
#: into a callback count: 8 hours = 636,480 callbacks.
BASELINE_CALLBACKS_PER_SECOND = 22.1


@dataclass
class Tally:
    redeemed_by_driver: int = 0
    fulfil_actions: int = 0
    refund_actions: int = 0
    predictions_resolved: int = 0
    polls_ended: int = 0
    bets: int = 0
    votes: int = 0
    dashboard_fulfils: int = 0
    overlay_connects: int = 0
    overlay_messages: dict[str, int] = field(default_factory=dict)
    overlay_alerts: int = 0
    driver_errors: list[str] = field(default_factory=list)


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def refcounts() -> list[int]:
    gc.collect()
    return [sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)]


async def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        # Coarse on purpose: the driver's own polling counts as loop callbacks too.
        await asyncio.sleep(0.25)


class Driver:
    """Drives one app run; its ``__call__`` is passed to ``companion.app.main``."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tally = Tally()
        self.samples: list[dict[str, Any]] = []
        self.result: dict[str, Any] = {}
        self.rng = random.Random(14)
        # Imported before the app starts, so its own module does not count as growth.
        self._census_tool: Any = None
        self._census: dict[str, Any] | None = None
        if args.census is not None:
            from tests.soak import census

            self._census_tool = census

    async def __call__(self, app: CompanionApp) -> None:
        try:
            await self._run(app)
        except BaseException as error:
            # Said in the report (and the app logs the failed task) rather than lost.
            self.result = {"driver_error": repr(error)}
            raise
        finally:
            app.request_quit(0)

    # -- set-up --------------------------------------------------------------------

    async def _run(self, app: CompanionApp) -> None:
        live_states: list[str] = []
        app.live.state_changed.connect(lambda state, _text: live_states.append(state))
        await wait_for(
            lambda: app.session is not None and app.session.user is not None, 30, "the demo sign-in"
        )
        await wait_for(lambda: "live" in live_states, 30, "live events")
        assert app.sim is not None and app.panels is not None
        # Time is compressed, so is Twitch's "few days" of settled redemptions.
        app.sim.state.config.settled_redemption_retention = self.args.retention
        made = self.args.made_file.open("a", encoding="utf-8")
        self._made_file = made

        def remember(event: Any) -> None:
            if event.kind in ("redemption.add", "redemption.update"):
                made.write(f"{event.record['id']} {event.record['status']}\n")

        app.sim.state.add_listener(remember)
        loop = asyncio.get_running_loop()
        start = time.monotonic()
        if self.args.measure_baseline:
            target = None
            deadline = start + self.args.measure_baseline
        else:
            per_second = self.args.baseline_rate or BASELINE_CALLBACKS_PER_SECOND
            target = int(self.args.hours * 3600 * per_second)
            deadline = start + self.args.max_seconds
        workers = [
            loop.create_task(self._viewers(app), name="soak viewers"),
            loop.create_task(self._streamer_queue(app), name="soak queue"),
            loop.create_task(self._predictions(app), name="soak predictions"),
            loop.create_task(self._polls(app), name="soak polls"),
            loop.create_task(self._dashboard(app), name="soak dashboard"),
            loop.create_task(self._overlay_sources(app), name="soak overlay sources"),
        ]
        base_callbacks = loop.callbacks_scheduled  # type: ignore[attr-defined]
        warm_until = start + self.args.warmup_seconds
        warm: dict[str, Any] | None = None
        try:
            while True:
                await asyncio.sleep(self.args.sample_every)
                now = time.monotonic()
                sample = self._sample(app, now - start, loop.callbacks_scheduled - base_callbacks)  # type: ignore[attr-defined]
                self.samples.append(sample)
                if warm is None and now >= warm_until:
                    warm = sample
                    self._start_census()
                done = target is not None and sample["callbacks"] >= target
                if done or now >= deadline:
                    # With the overlay sources and viewers still at it: the steady state.
                    self._end_census()
                    break
                for worker in workers:
                    if worker.done() and worker.exception() is not None:
                        raise worker.exception()  # type: ignore[misc]
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        elapsed = time.monotonic() - start
        callbacks = loop.callbacks_scheduled - base_callbacks  # type: ignore[attr-defined]
        after_warm = [s for s in self.samples if warm is not None and s["t"] >= warm["t"]]
        steady = {
            "max_rss_kib": max((s["rss_kib"] for s in after_warm), default=None),
            "min_refcounts": [min(s["refcounts"][i] for s in after_warm) for i in range(3)]
            if after_warm
            else None,
            "max_pending_timers": max((s["pending_timers"] for s in after_warm), default=None),
            "max_tasks": max((s["tasks"] for s in after_warm), default=None),
            "max_overlay_sources": max((s["overlay_sources"] for s in after_warm), default=None),
            # None's references beyond the handled-id and alerted-id sets': what nothing
            # explains.
            "max_unexplained_none_growth": max(
                (
                    (s["refcounts"][0] - warm["refcounts"][0])
                    - (s["handled_ids"] - warm["handled_ids"])
                    - (s["alerted_ids"] - warm["alerted_ids"])
                    for s in after_warm
                ),
                default=None,
            )
            if warm is not None
            else None,
        }
        settle = await self._settle(app)
        self.result = {
            "seconds": round(elapsed, 1),
            "callbacks": callbacks,
            "callbacks_per_second": round(callbacks / elapsed, 1),
            "target_callbacks": target,
            "equivalent_stream_hours": round(
                callbacks / (self.args.baseline_rate or BASELINE_CALLBACKS_PER_SECOND) / 3600, 2
            ),
            "warm": warm,
            "after_warmup": steady,
            "final": self.samples[-1] if self.samples else None,
            "samples": self.samples[:: max(1, len(self.samples) // 60)],
            "tally": self.tally.__dict__,
            **settle,
        }

    def _start_census(self) -> None:
        """At warm-up: who holds None now (``--census``), and trace allocations from
        here on (``--tracemalloc``)."""
        if self._census_tool is not None:
            self._census = self._census_tool.take()
        if self.args.tracemalloc:
            import tracemalloc

            tracemalloc.start(self.args.tracemalloc)

    def _end_census(self) -> None:
        """At the end of the run: what grew since warm-up, written to ``--census``."""
        if self.args.census is None:
            return
        out: dict[str, Any] = {}
        if self.args.tracemalloc:
            import tracemalloc

            snapshot = tracemalloc.take_snapshot()
            tracemalloc.stop()
            stats = snapshot.statistics("traceback")
            out["tracemalloc_top"] = [
                {
                    "kib": round(stat.size / 1024, 1),
                    "count": stat.count,
                    "where": stat.traceback.format()[-2 * self.args.tracemalloc :],
                }
                for stat in stats[:20]
            ]
            out["tracemalloc_total_kib"] = round(sum(s.size for s in stats) / 1024, 1)
            del snapshot, stats
        if self._census is not None:
            out["none"] = self._census_tool.diff(self._census)
            self._census = None
        self.args.census.write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")

    def _sample(self, app: CompanionApp, elapsed: float, callbacks: int) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        assert app.panels is not None
        return {
            "t": round(elapsed, 1),
            "callbacks": callbacks,
            "rss_kib": rss_kib(),
            "refcounts": refcounts(),
            "pending_timers": loop.pending_timers(),  # type: ignore[attr-defined]
            "tasks": len(asyncio.all_tasks()),
            "queue": len(app.panels.queue.queue),
            # Each remembered handled id holds one reference to None (a bounded set).
            "handled_ids": app.panels.queue.queue.handled_count(),
            "overlay_sources": len(app.panels.overlays.connected_sources()),
            # Each id the overlay service remembers as alerted also holds one (bounded).
            "alerted_ids": app.panels.overlays.alerted_count(),
            "redeemed": self.tally.redeemed_by_driver,
        }

    # -- people --------------------------------------------------------------------

    async def _viewers(self, app: CompanionApp) -> None:
        """Viewers redeem at ``--traffic-rate`` on top of the demo's own traffic."""
        assert app.sim is not None and app.sim.demo_broadcaster_id is not None
        rate = self.args.traffic_rate
        if rate <= 0:
            return
        state, channel = app.sim.state, app.sim.demo_broadcaster_id
        tick = 0.1
        owed = 0.0
        while True:
            await asyncio.sleep(tick)
            owed += rate * tick
            while owed >= 1:
                owed -= 1
                if state.redeem_random(channel) is not None:
                    self.tally.redeemed_by_driver += 1

    async def _overlay_sources(self, app: CompanionApp) -> None:
        """OBS's browser sources: one live socket per overlay page, all reconnected every
        ``--overlay-reconnect-every`` seconds (a scene switch), every message counted."""
        import aiohttp

        from companion.overlay.hub import PAGE_NAMES

        assert app.panels is not None
        overlays = app.panels.overlays
        await wait_for(lambda: overlays.state == "running", 30, "the overlay server")
        messages = self.tally.overlay_messages

        async def read(page: str, socket: aiohttp.ClientWebSocketResponse) -> None:
            async for message in socket:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                messages[page] = messages.get(page, 0) + 1
                if json.loads(message.data).get("type") == "alert":
                    self.tally.overlay_alerts += 1

        async with aiohttp.ClientSession() as session:
            while True:
                sockets = [
                    (
                        page,
                        await session.ws_connect(
                            f"http://127.0.0.1:{overlays.port}/overlay/ws?page={page}"
                        ),
                    )
                    for page in PAGE_NAMES
                ]
                self.tally.overlay_connects += len(sockets)
                readers = [asyncio.create_task(read(page, ws)) for page, ws in sockets]
                try:
                    await asyncio.sleep(self.args.overlay_reconnect_every)
                finally:
                    for _page, socket in sockets:
                        await socket.close()
                    await asyncio.gather(*readers, return_exceptions=True)

    async def _streamer_queue(self, app: CompanionApp) -> None:
        """Fulfil and refund the oldest waiting rows, as selecting them and pressing F or R
        does (the queue service's calls behind those keys), keeping about ten waiting."""
        from companion.core.queue_events import RowState
        from companion.sim import DEMO_CLIENT_ID

        assert app.panels is not None and app.sim is not None
        service = app.panels.queue
        rewards = app.sim.state.channels[app.sim.demo_broadcaster_id or ""].rewards
        ours = {rid for rid, rec in rewards.items() if rec.client_id == DEMO_CLIENT_ID}
        fulfil = True
        while True:
            await asyncio.sleep(self.args.action_every)
            waiting = [
                row.record.redemption_id
                for row in service.queue.rows()
                if row.state is RowState.WAITING
                and row.error is None
                and row.record.reward_id in ours
            ]
            if len(waiting) <= 10:
                continue
            chosen = waiting[: len(waiting) - 10]
            if fulfil:
                service.fulfill(chosen)
                self.tally.fulfil_actions += 1
            else:
                service.refund(chosen)
                self.tally.refund_actions += 1
            fulfil = not fulfil

    async def _dashboard(self, app: CompanionApp) -> None:
        """The streamer settles the other app's redemptions on Twitch's dashboard (only
        that app may, so the queue cannot), as they would mid-stream."""
        from companion.sim import DEMO_CLIENT_ID

        assert app.sim is not None and app.sim.demo_broadcaster_id is not None
        state, channel = app.sim.state, app.sim.demo_broadcaster_id
        while True:
            await asyncio.sleep(2.0)
            for reward in list(state.channels[channel].rewards.values()):
                if reward.client_id == DEMO_CLIENT_ID:
                    continue
                ids = [red.id for red in reward.by_status["UNFULFILLED"]]
                for start in range(0, len(ids), 50):
                    state.update_redemptions(
                        channel, reward.client_id, reward.id, ids[start : start + 50], "FULFILLED"
                    )
                    self.tally.dashboard_fulfils += len(ids[start : start + 50])

    def _viewer_ids(self, app: CompanionApp) -> list[str]:
        assert app.sim is not None
        channel = app.sim.demo_broadcaster_id
        return [uid for uid in app.sim.state.users if uid != channel]

    async def _predictions(self, app: CompanionApp) -> None:
        """Create a prediction, let viewers bet, lock it, resolve it; again and again."""
        assert app.panels is not None and app.sim is not None
        service = app.panels.predictions
        round_number = 0
        while True:
            round_number += 1
            await wait_for(lambda: service.active is None, 30, "no running prediction")
            service.create(f"Soak round {round_number}: boss first try?", ["Yes", "No"], 120)
            await wait_for(lambda: service.active is not None, 15, "the prediction to start")
            active = service.active
            assert active is not None
            viewers = self._viewer_ids(app)
            self.rng.shuffle(viewers)
            for index, viewer in enumerate(viewers[:6]):
                outcome = active.outcomes[index % len(active.outcomes)].id
                app.sim.state.predict(active.id, viewer, outcome, 10 + index)
                self.tally.bets += 1
                await asyncio.sleep(0.2)
            service.lock()
            await wait_for(
                lambda: service.active is not None and service.active.status == "LOCKED",
                15,
                "the lock",
            )
            await asyncio.sleep(self.args.engagement_pause)
            service.resolve(active.outcomes[round_number % 2].id)
            await wait_for(lambda: service.active is None, 15, "the resolution")
            self.tally.predictions_resolved += 1
            await asyncio.sleep(self.args.engagement_pause)

    async def _polls(self, app: CompanionApp) -> None:
        """Create a poll, let viewers vote, end it early; again and again."""
        assert app.panels is not None and app.sim is not None
        service = app.panels.polls
        round_number = 0
        while True:
            round_number += 1
            await wait_for(lambda: service.active is None, 30, "no running poll")
            service.create(f"Soak poll {round_number}: next map?", ["Dust", "Mirage", "Nuke"], 60)
            await wait_for(lambda: service.active is not None, 15, "the poll to start")
            active = service.active
            assert active is not None
            for index in range(8):
                app.sim.state.vote(active.id, active.choices[index % 3].id)
                self.tally.votes += 1
                await asyncio.sleep(0.2)
            await asyncio.sleep(self.args.engagement_pause)
            service.end("TERMINATED")
            await wait_for(lambda: service.active is None, 15, "the poll to end")
            self.tally.polls_ended += 1
            await asyncio.sleep(self.args.engagement_pause)

    # -- the end -------------------------------------------------------------------

    async def _settle(self, app: CompanionApp) -> dict[str, Any]:
        """Stop the viewers, let every action finish, and take the simulator's truth."""
        from companion.core.queue_events import RowState

        assert app.sim is not None and app.panels is not None
        for task in asyncio.all_tasks():
            if task.get_name() == "sim-traffic":
                task.cancel()
        queue = app.panels.queue.queue
        sim_redemptions = app.sim.state.redemptions

        def settled() -> bool:
            busy = any(row.state is not RowState.WAITING for row in queue.rows())
            waiting_in_sim = {
                rid for rid, rec in sim_redemptions.items() if rec.status == "UNFULFILLED"
            }
            return not busy and waiting_in_sim <= set(queue.ids())

        await wait_for(settled, 60, "queue actions to finish and the queue to catch up")
        await asyncio.sleep(1.0)  # the ledger writes on the next loop turns
        ids = queue.ids()
        self._made_file.close()
        return {
            "queue_ids": ids,
            "queue_states": sorted({row.state.value for row in queue.rows()}),
        }


def ledger_rows(data_dir: Path) -> dict[str, str]:
    with sqlite3.connect(data_dir / "ledger.sqlite3") as conn:
        return dict(conn.execute("SELECT redemption_id, status FROM redemptions"))


def log_errors(data_dir: Path) -> list[str]:
    errors = []
    for path in sorted((data_dir / "logs").glob("companion.log*")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if " ERROR " in line or " CRITICAL " in line:
                errors.append(line)
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=8.0, help="stream length to simulate")
    parser.add_argument(
        "--baseline-rate",
        type=float,
        default=None,
        help="callbacks/s at the demo's normal traffic (default: measured figure)",
    )
    parser.add_argument(
        "--measure-baseline",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="run at the demo's normal traffic for SECONDS and report callbacks/s",
    )
    parser.add_argument(
        "--traffic-rate",
        type=float,
        default=30.0,
        help="extra redemptions per second by the soak's viewers",
    )
    parser.add_argument("--action-every", type=float, default=0.25)
    parser.add_argument("--engagement-pause", type=float, default=2.0)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    parser.add_argument("--warmup-seconds", type=float, default=30.0)
    parser.add_argument("--sample-every", type=float, default=2.0)
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument(
        "--overlay-reconnect-every",
        type=float,
        default=20.0,
        help="seconds the soak's browser sources stay connected before reconnecting",
    )
    parser.add_argument(
        "--retention",
        type=float,
        default=30.0,
        help="seconds the simulator keeps settled redemptions (compressed time)",
    )
    parser.add_argument(
        "--census",
        type=Path,
        default=None,
        help="write who gained references to None (and --tracemalloc's top) after warm-up",
    )
    parser.add_argument(
        "--tracemalloc",
        type=int,
        default=0,
        metavar="FRAMES",
        help="trace allocations from warm-up on, keeping FRAMES frames (with --census)",
    )
    args = parser.parse_args()
    if args.measure_baseline:
        args.traffic_rate = 0.0  # the demo's own 0.4/s only
        args.action_every = 10.0
        args.engagement_pause = 30.0

    data = Path(os.environ.setdefault("COMPANION_DATA_DIR", "/tmp/companion-soak"))
    data.mkdir(parents=True, exist_ok=True)
    args.made_file = data / "soak-redemptions.txt"
    args.made_file.unlink(missing_ok=True)
    from companion.app import main as app_main

    driver = Driver(args)
    started = time.monotonic()
    code = app_main(["--demo"], driver=driver)
    wall = time.monotonic() - started

    report: dict[str, Any] = {"exit_code": code, "wall_seconds": round(wall, 1), **driver.result}
    sim_status: dict[str, str] = {}  # every redemption the simulator made: its last status
    if args.made_file.exists():
        with args.made_file.open(encoding="utf-8") as made:
            for line in made:
                redemption_id, status = line.split()
                sim_status[redemption_id] = status
    queue_ids: list[str] = report.pop("queue_ids", [])
    ledger = ledger_rows(data)
    in_queue = set(queue_ids)
    report["checks"] = {
        "redemptions_made": len(sim_status),
        "in_ledger": len(ledger),
        "in_queue": len(queue_ids),
        "queue_duplicates": len(queue_ids) - len(in_queue),
        "missing": sorted(set(sim_status) - set(ledger) - in_queue)[:20],
        "unknown": sorted((set(ledger) | in_queue) - set(sim_status))[:20],
        "status_mismatch": sorted(
            rid for rid, status in sim_status.items() if rid in ledger and ledger[rid] != status
        )[:20],
        "waiting_not_in_queue": sorted(
            rid
            for rid, status in sim_status.items()
            if status == "UNFULFILLED" and rid not in in_queue
        )[:20],
        "log_errors": log_errors(data)[:20],
    }
    text = json.dumps(report, indent=1)
    if args.report is not None:
        args.report.write_text(text, encoding="utf-8")
    summary = {
        k: report.get(k)
        for k in (
            "exit_code",
            "seconds",
            "callbacks",
            "callbacks_per_second",
            "equivalent_stream_hours",
        )
    }
    print(json.dumps(summary), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
