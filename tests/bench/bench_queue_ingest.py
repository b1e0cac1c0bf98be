"""Benchmark: 10,000 redemptions pushed by the simulator reach the queue model and view.

Run with ``pytest -m bench tests/bench/bench_queue_ingest.py -s`` (named outside pytest's
``test_*.py`` pattern, so it only runs when named).

The simulator runs in its own process (``python -m companion.sim``), as Twitch would be:
its CPU and memory are not the app's. It is driven through its control API
(``POST /_sim/redemptions/many`` with a rate). Everything the app does runs here on one
qasync loop: the EventSub client reads the WebSocket and builds models, LiveEvents emits
Qt signals, QueueService gathers them per loop turn into the core queue and batches the
ledger writes (SQLite on the ledger's own thread), and the queue panel (source model,
filter proxy, table view, offscreen) follows.

Figures:

* ``queue_ingest_throughput``: redemptions per second, from the request that starts the
  push to the last row in the view.
* ``queue_ingest_worst_stall``: the longest gap between ticks of a 10 ms QTimer heartbeat
  on the UI thread, minus the 10 ms period (target < 50 ms).
* ``queue_ingest_worst_stall_cpu``: the most CPU the UI thread spent between two ticks of
  that heartbeat: the same stall without the time a loaded machine preempted the process.
* ``queue_ingest_memory_growth``: RSS of this process after (queue full, ledger flushed)
  minus before (target < 60 MB).
* ``queue_ingest_cpu_per_redemption``: CPU time of this process (the app: UI thread,
  ledger thread, everything) per redemption: the app's share.
* ``queue_ingest_ui_thread_cpu_per_redemption``: the part of it spent on the UI thread.
* ``queue_ingest_sim_cpu_per_redemption``: CPU time of the simulator's process per
  redemption (from ``/proc``): the simulator's share, which the app does not pay.
* ``queue_ingest_idle_worst_stall``: the heartbeat's worst gap over 2 s with no traffic,
  measured just before: on a shared machine this floor can itself exceed 50 ms.

``QUEUE_BENCH_RATE`` sets the push rate (default 10,000/s, so that the asked rate is not
what caps the 5,000/s target; far above any real channel); ``QUEUE_BENCH_GC_FREEZE=1``
calls ``gc.freeze()`` after start-up, as an app may do. ``QUEUE_BENCH_PROFILE=FILE``
profiles the ingest window of the UI thread (cProfile on thread CPU time) and
``QUEUE_BENCH_SIM_PROFILE=FILE`` the whole simulator process; see docs/benchmarks.md for
the stage breakdown they give.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PySide6.QtCore import QTimer

from companion.core.ledger import Ledger
from companion.services.live_events import LiveEvents
from companion.services.queue_service import QueueService
from companion.sim import control_headers
from companion.twitch import Client, SimpleTokenHandler
from companion.ui.queue_model import QueueTableModel
from companion.ui.queue_panel import QueuePanel

pytestmark = [pytest.mark.bench, pytest.mark.qt_loop]

TOTAL = 10_000
RATE = float(os.environ.get("QUEUE_BENCH_RATE", "10000"))
FREEZE = os.environ.get("QUEUE_BENCH_GC_FREEZE", "0") == "1"
PROFILE = os.environ.get("QUEUE_BENCH_PROFILE", "")
SIM_PROFILE = os.environ.get("QUEUE_BENCH_SIM_PROFILE", "")
HEARTBEAT_MS = 10
CLIENT_ID = "queuebenchclient0000000000001"
SCOPES = ["channel:read:redemptions", "channel:manage:redemptions"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class SimProcess:
    """``python -m companion.sim`` on a free loopback port, driven by its control API."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.base = ""
        self.token = ""
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        profile = ["-m", "cProfile", "-o", SIM_PROFILE] if SIM_PROFILE else []
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *profile,
            "-m",
            "companion.sim",
            "--port",
            "0",
            "--seed",
            "5",
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        async with asyncio.timeout(20):
            while not (self.base and self.token):
                line = (await self.proc.stdout.readline()).decode()
                if not line:
                    raise RuntimeError("the simulator exited")
                if line.startswith("base"):
                    self.base = line.split()[1]
                elif line.startswith("token"):
                    self.token = line.split()[1]
        self.http = aiohttp.ClientSession()

    def cpu_seconds(self) -> float:
        """CPU time (user + system, all threads) the simulator's process has used so far."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15 of proc(5); here 0-based after the name.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def control(self, path: str, **body: Any) -> Any:
        assert self.http is not None
        async with self.http.post(
            f"{self.base}/_sim/{path}", json=body, headers=control_headers(self.token)
        ) as resp:
            payload = await resp.json()
            assert resp.status == 200, payload
            return payload["data"]

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await self.proc.wait()
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()


async def test_queue_ingest(qapp, qtbot, tmp_path) -> None:
    sim = SimProcess()
    await sim.start()
    ledger = await Ledger.aopen(tmp_path / "ledger.sqlite3")
    client: Client | None = None
    live: LiveEvents | None = None
    try:
        caster = await sim.control("users", login="benchcaster", broadcaster_type="affiliate")
        for n in range(5):
            await sim.control("users", login=f"benchviewer{n}", broadcaster_type="")
        await sim.control("clients", client_id=CLIENT_ID)
        token = await sim.control(
            "tokens/user", client_id=CLIENT_ID, user_id=caster["id"], scopes=SCOPES
        )
        client = Client(
            SimpleTokenHandler(token["access_token"], CLIENT_ID),
            helix_url=f"{sim.base}/helix",
            oauth_url=f"{sim.base}/oauth2",
            eventsub_url="ws" + sim.base.removeprefix("http") + "/ws",
        )
        broadcaster = client.create_user(caster["id"], "benchcaster")
        for n in range(4):
            await broadcaster.create_custom_reward(f"Bench {n}", 1)
        live = LiveEvents()
        await live.start(client.http, broadcaster)
        assert live.client is not None
        await live.client.wait_live(timeout=10)
        service = QueueService(broadcaster, ledger)
        service.connect_events(live)
        model = QueueTableModel(service.queue)
        panel = QueuePanel(service, model)
        qtbot.addWidget(panel)
        panel.resize(1000, 700)
        panel.show()
        await asyncio.sleep(0.3)
        gc.collect()
        if FREEZE:
            gc.freeze()
        rss_before = rss_mb()

        gaps: list[float] = []
        last = [time.perf_counter()]

        cpu_gaps: list[float] = []
        last_cpu = [time.thread_time()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now
            cpu_now = time.thread_time()
            cpu_gaps.append(cpu_now - last_cpu[0])
            last_cpu[0] = cpu_now

        heartbeat = QTimer()
        heartbeat.setInterval(HEARTBEAT_MS)
        heartbeat.timeout.connect(tick)
        # The same heartbeat with nothing to do: the machine's own noise floor.
        last[0] = time.perf_counter()
        heartbeat.start()
        await asyncio.sleep(2)
        heartbeat.stop()
        idle_ms = max(0.0, max(gaps) * 1000 - HEARTBEAT_MS)
        gaps.clear()
        cpu_gaps.clear()
        started = time.perf_counter()
        cpu_started = time.process_time()
        ui_cpu_started = time.thread_time()
        sim_cpu_started = sim.cpu_seconds()
        profiler = cProfile.Profile(time.thread_time) if PROFILE else None
        if profiler is not None:
            profiler.enable()
        last[0] = started
        last_cpu[0] = time.thread_time()
        heartbeat.start()
        await sim.control("redemptions/many", broadcaster_id=caster["id"], count=TOTAL, rate=RATE)
        while panel.proxy.rowCount() < TOTAL:
            if time.perf_counter() - started > 90:
                raise AssertionError(f"only {panel.proxy.rowCount()} rows after 90 s")
            await asyncio.sleep(0.005)
        arrived = time.perf_counter()
        cpu_used = time.process_time() - cpu_started
        ui_cpu_used = time.thread_time() - ui_cpu_started
        sim_cpu_used = sim.cpu_seconds() - sim_cpu_started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(PROFILE)
        heartbeat.stop()
        service.drain_incoming()
        service._flush_ledger()
        await service.wait_idle()
        gc.collect()
        rss_after = rss_mb()

        assert len(service.queue) == TOTAL
        assert model.rowCount() == TOTAL
        assert ledger.query().total == TOTAL
        throughput = TOTAL / (arrived - started)
        stall_ms = max(0.0, max(gaps) * 1000 - HEARTBEAT_MS)
        cpu_stall_ms = max(cpu_gaps) * 1000
        growth = rss_after - rss_before
        ordered = sorted(gaps)
        print()
        print(f"queue_ingest_throughput: {throughput:.0f} redemptions/s")
        print(f"queue_ingest_worst_stall: {stall_ms:.1f} ms")
        # The UI thread's own CPU between two heartbeats: the longest stretch of work that
        # did not let the loop run, whatever else the machine was doing (a loaded machine
        # preempts this process, which the wall-clock stall above counts as a stall).
        print(f"queue_ingest_worst_stall_cpu: {cpu_stall_ms:.1f} ms")
        print(f"queue_ingest_idle_worst_stall: {idle_ms:.1f} ms (no traffic: the noise floor)")
        print(f"queue_ingest_memory_growth: {growth:.1f} MB")
        # CPU of this process (all threads) per redemption: steadier than the stall on a
        # shared machine, and what decides how much the UI thread has left.
        print(f"queue_ingest_cpu_per_redemption: {cpu_used / TOTAL * 1e6:.0f} us")
        print(f"queue_ingest_ui_thread_cpu_per_redemption: {ui_cpu_used / TOTAL * 1e6:.0f} us")
        print(f"queue_ingest_sim_cpu_per_redemption: {sim_cpu_used / TOTAL * 1e6:.0f} us")
        print(
            f"(rate asked {RATE:.0f}/s, gc.freeze {'on' if FREEZE else 'off'}, "
            f"{len(gaps)} heartbeats, median gap {ordered[len(ordered) // 2] * 1000:.1f} ms, "
            f"99th percentile {ordered[int(len(ordered) * 0.99)] * 1000:.1f} ms)"
        )
        # The stall is measured on a shared machine: an idle qasync heartbeat here already
        # sees gaps of 20-30 ms under load, so the verdict is printed, not asserted.
        verdict = "met" if stall_ms < 50 else "MISSED"
        print(f"queue_ingest_targets: stall < 50 ms {verdict}; growth < 60 MB", end=" ")
        print("met" if growth < 60 else "MISSED")
        await service.shutdown()
        assert growth < 60, "memory growth above the 60 MB target"
    finally:
        gc.unfreeze()
        if live is not None:
            await live.shutdown()
        if client is not None:
            await client.close()
        await ledger.aclose()
        await sim.stop()
