"""Benchmark: read 10,000 UNFULFILLED redemptions through Helix pagination, ours and peers'.

Run with ``.venv/bin/python tests/bench/run.py`` (all benchmarks) or
``pytest -m bench tests/bench/bench_pagination.py -s``. Not part of the default run.

The same job, in the same run, against the same simulator (one reward, 10,000 waiting
redemptions, the rate limit out of the way):

* ours: ``PartialUser.get_redemptions(reward_id, "UNFULFILLED")`` iterated to the end;
* ``twitchAPI`` (``Twitch(..., base_url=, auth_base_url=)``: both are constructor
  arguments, so it is pointed at the simulator as documented) with
  ``get_custom_reward_redemption(..., first=50)``;
* ``twitchio`` 3: it has no base-URL argument; its URLs come from the class constants
  ``twitchio.http.Route.BASE`` and ``Route.ID_BASE``, which are set to the simulator's for
  the measurement and restored after. ``CustomReward.fetch_redemptions(first=50)``.

Each library's iteration is timed (set-up and sign-in excluded), in wall time and in the
process's CPU time (the simulator runs in this process too: both sides of every request);
requests are counted at the simulator. Every library's loop does the same with what it is
given: the headline counts the items and drops them, as a page-through does; the ``kept``
figures append every item to one list, as the app's queue does, so each library also pays
for its objects staying alive (the garbage collector walks them). Until 2026-12-06 ours
kept the list while the peers counted, which charged ours alone 13-57 ms of collection.
Median of three interleaved rounds. The figure is our time over the fastest peer's
(below 1: we are faster).

Each run's garbage collection is also reported (``..._kept_gc``: CPU time inside the
collector, from ``gc.callbacks``, and how many of the collections were full ones). A full
collection walks the whole heap and comes once the objects that survived into the oldest
generation since the last one reach a quarter of it, so which run it lands in depends on what
every earlier run left behind, not only on the run itself: in a process holding a large heap
one library's kept figure can carry a collection of all of it while another's carries none.
"""

from __future__ import annotations

import gc
import importlib.util
import statistics
import time
from typing import TYPE_CHECKING, Any

import pytest

from companion.sim import SimConfig
from companion.twitch import Client, SimpleTokenHandler
from tests.drills.harness import REDEMPTIONS_PATH, CountingSimulator

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    #: Runs one library's page-through: ``run(keep)`` returns how many items it read,
    #: keeping them all in a list when ``keep`` is set.
    Run = Callable[[bool], Awaitable[int]]

pytestmark = [
    pytest.mark.bench,
    # Third-party code may use APIs that warn; the measurement is not about them.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

TOTAL = 10_000
ROUNDS = 3
CLIENT_ID = "paginationbench00000000000001"
CLIENT_SECRET = "paginationbenchsecret0000000001"
SCOPES = ["channel:read:redemptions", "channel:manage:redemptions"]


class World:
    def __init__(self) -> None:
        self.sim = CountingSimulator(SimConfig(seed=21, ratelimit_points=100_000_000))
        self.broadcaster_id = ""
        self.reward_id = ""

    async def start(self) -> None:
        await self.sim.start(port=0)
        state = self.sim.state
        state.register_client(CLIENT_ID, CLIENT_SECRET)
        self.broadcaster_id = str(state.create_user("pagecaster", "PageCaster", "partner")["id"])
        viewers = [str(state.create_user(f"pv{n}", f"PV{n}", "")["id"]) for n in range(25)]
        body = {"title": "Bench", "cost": 1}
        self.reward_id = str(state.create_reward(self.broadcaster_id, CLIENT_ID, body)["id"])
        for n in range(TOTAL):
            state.redeem(self.broadcaster_id, self.reward_id, viewers[n % len(viewers)])

    def token(self) -> dict[str, Any]:
        return dict(self.sim.state.issue_user_token(CLIENT_ID, self.broadcaster_id, SCOPES))

    def pages(self) -> int:
        return len(self.sim.arrivals("GET", REDEMPTIONS_PATH))


async def read_ours(world: World) -> Run:
    issued = world.token()
    client = Client(
        SimpleTokenHandler(issued["access_token"], CLIENT_ID, issued["refresh_token"]),
        helix_url=world.sim.helix_url,
        oauth_url=world.sim.oauth_url,
        eventsub_url=world.sim.eventsub_url,
    )
    user = client.create_user(world.broadcaster_id)
    await client.fetch_users(ids=[world.broadcaster_id], target=user)  # sign-in's validate

    async def run(keep: bool) -> int:
        try:
            kept: list[object] = []
            count = 0
            async for redemption in user.get_redemptions(world.reward_id, "UNFULFILLED"):
                count += 1
                if keep:
                    kept.append(redemption)
            return count
        finally:
            await client.close()

    return run


async def read_twitchapi(world: World) -> Run:
    from twitchAPI.twitch import Twitch
    from twitchAPI.type import AuthScope, CustomRewardRedemptionStatus

    issued = world.token()
    twitch = Twitch(
        CLIENT_ID,
        authenticate_app=False,
        base_url=world.sim.helix_url + "/",
        auth_base_url=world.sim.oauth_url + "/",
    )
    await twitch.set_user_authentication(
        issued["access_token"],
        [AuthScope.CHANNEL_READ_REDEMPTIONS, AuthScope.CHANNEL_MANAGE_REDEMPTIONS],
        issued["refresh_token"],
    )

    async def run(keep: bool) -> int:
        try:
            kept: list[object] = []
            count = 0
            async for redemption in twitch.get_custom_reward_redemption(
                world.broadcaster_id,
                world.reward_id,
                status=CustomRewardRedemptionStatus.UNFULFILLED,
                first=50,
            ):
                count += 1
                if keep:
                    kept.append(redemption)
            return count
        finally:
            await twitch.close()  # type: ignore[no-untyped-call]  # twitchAPI's

    return run


async def read_twitchio(world: World) -> Run:
    import twitchio
    from twitchio.http import Route

    saved = (Route.BASE, Route.ID_BASE)
    Route.BASE = world.sim.helix_url + "/"
    Route.ID_BASE = world.sim.base_url + "/"
    issued = world.token()
    client = twitchio.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    await client.login(load_tokens=False, save_tokens=False)
    await client.add_token(issued["access_token"], issued["refresh_token"])
    user = client.create_partialuser(world.broadcaster_id)
    [reward] = await user.fetch_custom_rewards(ids=[world.reward_id])

    async def run(keep: bool) -> int:
        try:
            kept: list[object] = []
            count = 0
            async for redemption in reward.fetch_redemptions(status="UNFULFILLED", first=50):
                count += 1
                if keep:
                    kept.append(redemption)
            return count
        finally:
            await client.close()
            Route.BASE, Route.ID_BASE = saved

    return run


PEERS = {"twitchAPI": read_twitchapi, "twitchio": read_twitchio}
# The peers come from the ``bench`` extra; one that is not installed is reported, not run.
READERS = {"ours": read_ours} | {
    name: reader for name, reader in PEERS.items() if importlib.util.find_spec(name)
}


async def test_pagination_10k() -> None:
    world = World()
    await world.start()
    modes = {"": False, "_kept": True}
    # (figure name, e.g. "twitchio_kept") -> wall and CPU seconds of each round
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    requests: dict[str, int] = {}
    # (generation, CPU seconds) of each collection during the run being timed
    collections: list[tuple[int, float]] = []
    gc_cpu: dict[str, list[float]] = {}
    full: dict[str, list[int]] = {}
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.process_time()
        else:
            collections.append((info["generation"], time.process_time() - gc_started[0]))

    try:
        for _ in range(ROUNDS):
            for suffix, keep in modes.items():
                for name, prepare in READERS.items():
                    run = await prepare(world)
                    before = world.pages()
                    # Every library starts from a collected heap: otherwise the full
                    # collection the previous runs' garbage is due lands in whichever run
                    # crosses the threshold (133 ms with run.py's large heap), a lottery
                    # that once made ours 1.06x. Each run's own collections still count.
                    gc.collect()
                    collections.clear()
                    gc.callbacks.append(on_gc)
                    started, started_cpu = time.perf_counter(), time.process_time()
                    try:
                        count = await run(keep)
                    finally:
                        gc.callbacks.remove(on_gc)
                    wall.setdefault(name + suffix, []).append(time.perf_counter() - started)
                    cpu.setdefault(name + suffix, []).append(time.process_time() - started_cpu)
                    gc_cpu.setdefault(name + suffix, []).append(sum(t for _g, t in collections))
                    full.setdefault(name + suffix, []).append(
                        sum(1 for g, _t in collections if g == 2)
                    )
                    requests[name] = world.pages() - before
                    assert count == TOTAL, f"{name} read {count}"
    finally:
        await world.sim.stop()

    print()
    for name in PEERS.keys() - READERS.keys():
        print(f"({name} is not installed: pip install -e '.[bench]')")
    medians = {key: statistics.median(values) for key, values in wall.items()}
    cpu_medians = {key: statistics.median(values) for key, values in cpu.items()}
    for name in READERS:
        print(f"pagination_{name}_time: {medians[name]:.3f} s")
        print(f"pagination_{name}_cpu: {cpu_medians[name]:.3f} s")
        print(f"pagination_{name}_requests: {requests[name]} requests")
        print(f"pagination_{name}_kept_time: {medians[name + '_kept']:.3f} s")
        print(f"pagination_{name}_kept_cpu: {cpu_medians[name + '_kept']:.3f} s")
        kept_gc = gc_cpu[name + "_kept"]
        print(
            f"pagination_{name}_kept_gc: {statistics.median(kept_gc):.3f} s "
            f"(rounds {', '.join(f'{t:.3f}' for t in kept_gc)}; "
            f"full collections {', '.join(map(str, full[name + '_kept']))})"
        )
    for suffix in modes:
        for figures, label in ((medians, ""), (cpu_medians, "_cpu")):
            peers = [figures[name + suffix] for name in READERS if name != "ours"]
            if peers:
                ratio = figures["ours" + suffix] / min(peers)
                print(f"pagination_ours{suffix}_over_fastest_peer{label}: {ratio:.2f} x")
    # Pages of 50, the most Get Custom Reward Redemption allows: 200 pages, one more
    # request would only confirm an empty end.
    assert requests["ours"] == TOTAL // 50
