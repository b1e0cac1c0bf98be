"""Benchmark: 2,000 Helix requests through an 800-point-per-minute bucket.

Run with ``.venv/bin/python tests/bench/run.py`` (all benchmarks) or
``pytest -m bench tests/bench/bench_ratelimit.py -s``. Not part of the default run; it takes
about two minutes, because the bucket is Twitch's real one (800 points, refilled over
60 s). ``BENCH_RL_POINTS`` / ``BENCH_RL_WINDOW`` / ``BENCH_RL_REQUESTS`` scale it for a
quick look (e.g. 80 points per 6 s keeps the refill rate with a tenth of the burst).

The client gets one request first, as at sign-in (it learns the budget from the
``Ratelimit-*`` headers), then all the others at once (``asyncio.gather``; the client keeps
16 in flight). With ``BENCH_RL_COLD=1`` all of them start at once on a client that knows no
budget yet (it sends one, and the first answer sets the pace). Figures: the 429s the
simulator answered (goal 0), the wall time over the bucket's theoretical minimum (a full
bucket serves ``points`` at once and then refills at ``points / window`` per second, so
``N`` requests need at least ``(N - points) / (points / window)`` seconds; goal <= 1.05x), and
the CPU time of the process (client and simulator) over the run.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from companion.sim import SimConfig
from companion.twitch import Client, SimpleTokenHandler
from tests.drills.harness import CountingSimulator

# Twitch's real bucket makes this a two-minute run; the suite's 120 s limit is too short.
pytestmark = [pytest.mark.bench, pytest.mark.timeout(400)]

CLIENT_ID = "ratelimitbench000000000000001"
POINTS = int(os.environ.get("BENCH_RL_POINTS", "800"))
WINDOW = float(os.environ.get("BENCH_RL_WINDOW", "60"))
REQUESTS = int(os.environ.get("BENCH_RL_REQUESTS", "2000"))
COLD = os.environ.get("BENCH_RL_COLD", "") == "1"


async def test_ratelimit_2000_requests() -> None:
    sim = CountingSimulator(SimConfig(seed=41, ratelimit_points=POINTS, ratelimit_window=WINDOW))
    await sim.start(port=0)
    state = sim.state
    state.register_client(CLIENT_ID, None)
    caster = str(state.create_user("ratecaster", "RateCaster", "affiliate")["id"])
    issued = state.issue_user_token(CLIENT_ID, caster, ["channel:read:redemptions"])
    client = Client(
        SimpleTokenHandler(issued["access_token"], CLIENT_ID, issued["refresh_token"]),
        helix_url=sim.helix_url,
        oauth_url=sim.oauth_url,
        eventsub_url=sim.eventsub_url,
        timeout=WINDOW * 3,
    )
    user = client.create_user(caster)
    try:
        started = time.perf_counter()
        cpu_started = time.process_time()
        if not COLD:
            await client.fetch_users(target=user)
        results = await asyncio.gather(
            *(client.fetch_users(target=user) for _ in range(REQUESTS - (0 if COLD else 1)))
        )
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        assert all(len(users) == 1 for users in results)
    finally:
        await client.close()
        await sim.stop()

    throttled = sum(1 for hit in sim.arrived if hit.status == 429)
    served = sum(1 for hit in sim.arrived if hit.status == 200)
    minimum = max(0.0, (REQUESTS - POINTS) / (POINTS / WINDOW))
    print()
    print(f"ratelimit_bucket: {POINTS} points per {WINDOW:g} s")
    print(f"ratelimit_start: {'cold (no budget known)' if COLD else 'after one request'}")
    print(f"ratelimit_429s: {throttled} responses")
    print(f"ratelimit_time: {elapsed:.1f} s")
    print(f"ratelimit_theoretical_minimum: {minimum:.1f} s")
    print(f"ratelimit_time_over_minimum: {elapsed / minimum if minimum else 0:.3f} x")
    print(f"ratelimit_cpu: {cpu:.1f} s")
    assert served == REQUESTS
