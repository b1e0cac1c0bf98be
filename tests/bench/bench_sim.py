"""Benchmark of the simulator itself: is it fast enough never to be a benchmark's bottleneck?

Run with ``pytest -m bench tests/bench/bench_sim.py -s`` (not part of the default run). The
target (issue 3): at least 2,000 Helix requests/s and 10,000 EventSub notifications/s on one
core. Results and method: ``docs/simulator-performance.md``.

The simulator runs as ``python -m companion.sim`` in its own process pinned to one core; the
load runs in other processes pinned to the other core (``wrk`` when installed, else a Python
aiohttp client, which needs more CPU per request, so its wall-clock figure may be its own). The
server's CPU seconds come from the scheduler (``/proc/PID/task/*/schedstat``), so each
figure is given twice:

* ``..._per_s_wall``: served per wall-clock second. On a shared machine this also measures
  whoever else runs on the simulator's core (``..._runqueue_wait`` says how long the
  simulator was runnable but not running).
* ``..._per_cpu_s``: served per CPU second of the simulator process, i.e. per core.

Only sanity is asserted (every Helix answer 2xx: wrk counts non-2xx, the Python client
non-200; every notification exactly once), never timing.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from tests.bench._sim_load import (
    Channel,
    LoadResult,
    SimProcess,
    WsReader,
    calibrate,
    cpu_model,
    loadavg,
    make_channel,
    pick_cores,
    run_python_load,
    run_wrk,
    wrk_path,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.bench

CLIENT_ID = "simbench00000000000000000001"
QUEUE_DEPTH = 10_000
WINDOW_S = 5.0
WINDOWS = 3
WARMUP_S = 1.0
CONNECTIONS = 32
BURST = 20_000
SIM_CORE, LOAD_CORE = pick_cores()


@pytest.fixture
def sim() -> Iterator[SimProcess]:
    """A fresh simulator process on its own core."""
    process = SimProcess(SIM_CORE)
    try:
        yield process
    finally:
        process.stop()


def _machine_line() -> str:
    cores = "unpinned (one CPU)" if SIM_CORE is None else f"sim on {SIM_CORE}, load on {LOAD_CORE}"
    usable = len(os.sched_getaffinity(0))
    return (
        f"sim machine: {os.cpu_count()} x {cpu_model()} ({usable} usable); {cores}; "
        f"load average {loadavg()}"
    )


def _helix_load(url: str, channel: Channel, seconds: float) -> LoadResult:
    # SIM_BENCH_LOAD=python forces the Python client (to compare, or where wrk is missing).
    if wrk_path() is not None and os.environ.get("SIM_BENCH_LOAD") != "python":
        return run_wrk(url, channel, seconds, CONNECTIONS, LOAD_CORE)
    return run_python_load(url, channel, seconds, CONNECTIONS, LOAD_CORE)


def _measure_helix(sim: SimProcess, channel: Channel, name: str, path: str) -> None:
    url = sim.base_url + path
    warm = _helix_load(url, channel, WARMUP_S)
    assert (warm.not_ok, warm.socket_errors) == (0, 0)
    walls: list[float] = []
    per_cpu: list[float] = []
    cpu_total = tick_total = wall_total = wait_total = 0.0
    speeds: list[float] = []
    for _ in range(WINDOWS):
        speeds.append(calibrate(SIM_CORE))
        cpu0, tick0, wait0 = sim.cpu_seconds(), sim.tick_cpu_seconds(), sim.wait_seconds()
        result = _helix_load(url, channel, WINDOW_S)
        cpu = sim.cpu_seconds() - cpu0
        tick_total += sim.tick_cpu_seconds() - tick0
        wait_total += sim.wait_seconds() - wait0
        assert result.requests > 0
        assert result.not_ok == 0, f"{result.not_ok} answers were not 2xx"
        assert result.socket_errors == 0
        walls.append(result.requests / result.seconds)
        per_cpu.append(result.requests / cpu)
        cpu_total += cpu
        wall_total += result.seconds
    # The median of the windows; min and max show how much a shared machine moved it.
    prefix = f"sim_helix_{name}"
    print(f"{prefix}_requests_per_s_wall: {statistics.median(walls):.0f} req/s")
    print(f"{prefix}_requests_per_cpu_s: {statistics.median(per_cpu):.0f} req/cpu-s")
    print(f"{prefix}_requests_per_cpu_s_min: {min(per_cpu):.0f} req/cpu-s")
    print(f"{prefix}_requests_per_cpu_s_max: {max(per_cpu):.0f} req/cpu-s")
    print(f"{prefix}_server_cpu_share: {cpu_total / wall_total:.2f} core")
    print(f"{prefix}_server_cpu_s: {cpu_total:.2f} cpu-s")
    print(f"{prefix}_server_tick_cpu_s: {tick_total:.2f} cpu-s")
    print(f"{prefix}_runqueue_wait: {wait_total:.2f} s")
    print(f"{prefix}_load_generator: {result.tool}")
    # Several values: not in the one-figure "name: value unit" form that run.py collects.
    print(f"{prefix} windows (req/cpu-s): {' '.join(f'{x:.0f}' for x in per_cpu)}")
    print(f"{prefix} core speed (json-pages/cpu-s): {' '.join(f'{x:.0f}' for x in speeds)}")


def test_sim_helix_throughput(sim: SimProcess) -> None:
    print(f"\n{_machine_line()}")
    channel = make_channel(sim, CLIENT_ID)
    made = sim.control(
        "/redemptions/many", {"broadcaster_id": channel.broadcaster_id, "count": QUEUE_DEPTH}
    )
    assert made["count"] == QUEUE_DEPTH

    users = "/helix/users"
    status, body = sim.request("GET", users, headers=channel.headers)
    assert status == 200
    assert [u["id"] for u in body["data"]] == [channel.broadcaster_id]

    page = (
        "/helix/channel_points/custom_rewards/redemptions"
        f"?broadcaster_id={channel.broadcaster_id}&reward_id={channel.reward_id}"
        "&status=UNFULFILLED&first=50"
    )
    status, body = sim.request("GET", page, headers=channel.headers)
    assert status == 200
    assert len(body["data"]) == 50
    assert {r["status"] for r in body["data"]} == {"UNFULFILLED"}
    assert body["pagination"]["cursor"]

    _measure_helix(sim, channel, "users", users)
    _measure_helix(sim, channel, "redemptions", page)
    print(f"sim after: load average {loadavg()}")


def test_sim_eventsub_throughput(sim: SimProcess) -> None:
    print(f"\n{_machine_line()}")
    channel = make_channel(sim, CLIENT_ID)
    reader = WsReader(sim.eventsub_url, BURST, timeout=90.0, core=LOAD_CORE)
    try:
        status, body = sim.request(
            "POST",
            "/helix/eventsub/subscriptions",
            {
                "type": "channel.channel_points_custom_reward_redemption.add",
                "version": "1",
                "condition": {"broadcaster_user_id": channel.broadcaster_id},
                "transport": {"method": "websocket", "session_id": reader.session_id},
            },
            channel.headers,
        )
        assert status == 202, body

        cpu0, tick0, wait0 = sim.cpu_seconds(), sim.tick_cpu_seconds(), sim.wait_seconds()
        start = time.monotonic()
        # One control call makes all the redemptions; each becomes one notification, built
        # and queued synchronously by the hub, then written by the session's writer task.
        made = sim.control(
            "/redemptions/many", {"broadcaster_id": channel.broadcaster_id, "count": BURST}
        )
        # The writer interleaves with the control answer, so this is no clean phase split.
        answered = time.monotonic()
        result = reader.result(timeout=120.0)
        cpu = sim.cpu_seconds() - cpu0
        tick = sim.tick_cpu_seconds() - tick0
        wait = sim.wait_seconds() - wait0
    finally:
        reader.kill()

    assert made["count"] == BURST
    assert result.notifications == BURST
    assert result.late == 0, "more notifications than redemptions"
    assert result.message_ids == BURST, "a message id came twice"
    counts = Counter(result.event_ids)
    assert len(counts) == BURST and max(counts.values()) == 1, "a redemption came twice"
    assert set(counts) == set(made["ids"])
    assert set(result.other_types) <= {"session_welcome", "session_keepalive"}

    wall = result.last_at - start
    speed = calibrate(SIM_CORE)
    print(f"sim_eventsub_notifications_per_s: {BURST / wall:.0f} notifications/s")
    print(f"sim_eventsub_notifications_per_cpu_s: {BURST / cpu:.0f} notifications/cpu-s")
    print(f"sim_eventsub_control_answer_s: {answered - start:.2f} s")
    print(f"sim_eventsub_server_cpu_share: {cpu / wall:.2f} core")
    print(f"sim_eventsub_server_cpu_s: {cpu:.2f} cpu-s")
    print(f"sim_eventsub_server_tick_cpu_s: {tick:.2f} cpu-s")
    print(f"sim_eventsub_runqueue_wait: {wait:.2f} s")
    print(f"sim_eventsub_core_speed: {speed:.0f} json-pages/cpu-s")
    print(f"sim_eventsub_reader_cpu: {result.cpu_seconds:.2f} cpu-s")
    print(f"sim after: load average {loadavg()}")
