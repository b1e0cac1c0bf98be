"""The fault-drill harness: the app's services in demo mode against a counting simulator.

One :class:`Drill` is what the app builds after a demo sign-in, minus the widgets:
``Client`` + ``KeyringTokenHandler`` (tokens in a this-run-only store, as in demo mode) +
``TwitchSession`` + ``LiveEvents`` + ``QueueService`` on a real SQLite ``Ledger``, wired
the way ``companion/app.py`` and ``app_panels.py`` wire the panel services (sign-in points
the queue at the channel and starts live events; a lost sign-in holds the queue's actions
and stops live events; a sign-out releases what was held as not sent and keeps the rows;
a withdrawn authorization reaches the session; ``resynced`` calls ``refresh``).

The simulator is the demo one, with two extra aiohttp middlewares of our own that log every
Helix request twice: when it *arrives* (outermost, before any fault) and when it *reaches a
route* (innermost, after the fault switches and the rate limit). A PATCH that reached the
route with a 2xx answer is an action Twitch applied: counting those per redemption id is
how a drill proves that no action went out twice.

:meth:`Drill.check` compares the simulator's own redemptions with the queue and the ledger
and returns the figures the drills assert exactly.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from companion.auth.handler import KeyringTokenHandler
from companion.auth.token_store import SessionTokenStore
from companion.core.ledger import Ledger
from companion.core.scopes import PANEL_SCOPES, scopes_for
from companion.services.live_events import LiveEvents
from companion.services.queue_service import QueueService
from companion.services.session import TwitchSession
from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator
from companion.twitch.client import Client
from companion.twitch.tokens import Token

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

REDEMPTIONS_PATH = "/channel_points/custom_rewards/redemptions"
REWARDS_PATH = "/channel_points/custom_rewards"
SCOPES = scopes_for(PANEL_SCOPES)

# The demo rewards a drill redeems by hand: both go to the queue and are this app's own, so
# Helix can read them back after a drop (see docs/benchmarks.md, "What the drills prove").
HYDRATE = "Hydrate!"
SONG = "Song request"

# What ``session.account_lost`` / ``session.signed_out`` say (cause | banner), and the row
# error of an action that met a signed-out account.
REVOKED = (
    "revoked | Twitch says Streamer Companion may no longer use DemoCaster's account. Sign "
    "in again to continue; your queue and anything you were typing are kept."
)
EXPIRED = (
    "expired | Twitch no longer accepts DemoCaster's sign-in and would not renew it. Sign in "
    "again to continue; your queue and anything you were typing are kept."
)
NOT_SENT = "You are signed out of Twitch. Sign in again (Account → Sign in), then try once more."


@dataclass
class Hit:
    """One Helix request as the simulator saw it."""

    method: str
    path: str  # under /helix
    ids: tuple[str, ...]
    status: int = 0  # 0: no answer (connection reset)


class CountingSimulator(Simulator):
    """The simulator plus a request log at the door and at the route."""

    def __init__(self, config: SimConfig) -> None:
        super().__init__(config)
        self.arrived: list[Hit] = []
        self.reached: list[Hit] = []

    def build_app(self) -> web.Application:
        app = super().build_app()
        # Before the app is frozen at start-up: first = outermost, last = innermost.
        app.middlewares.insert(0, self._log_arrival)
        app.middlewares.append(self._log_route)
        return app

    @staticmethod
    def _hit(request: web.Request) -> Hit | None:
        if not request.path.startswith("/helix/"):
            return None
        ids = tuple(request.query.getall("id", []))
        return Hit(request.method, request.path.removeprefix("/helix"), ids)

    @web.middleware
    async def _log_arrival(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        hit = self._hit(request)
        if hit is not None:
            self.arrived.append(hit)
        response = await handler(request)
        if hit is not None:
            hit.status = response.status
        return response

    @web.middleware
    async def _log_route(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        hit = self._hit(request)
        if hit is not None:
            self.reached.append(hit)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if hit is not None:
                hit.status = exc.status
            raise
        if hit is not None:
            hit.status = response.status
        return response

    # -- what the drills count -------------------------------------------------------------

    def arrivals(self, method: str, path: str = REDEMPTIONS_PATH) -> list[Hit]:
        return [h for h in self.arrived if h.method == method and h.path == path]

    def routed(self, method: str, path: str = REDEMPTIONS_PATH) -> list[Hit]:
        return [h for h in self.reached if h.method == method and h.path == path]

    def applied_patches(self) -> collections.Counter[str]:
        """Redemption id -> how many PATCHes carrying it were applied (2xx at the route)."""
        counts: collections.Counter[str] = collections.Counter()
        for hit in self.routed("PATCH"):
            if 200 <= hit.status < 300:
                counts.update(hit.ids)
        return counts


@dataclass
class Told:
    """Every user-facing signal a drill's services emitted: (source.signal, text)."""

    lines: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            self.lines.append((name, " | ".join(str(a) for a in args)))

        return record

    def texts(self, name: str) -> list[str]:
        return [text for source, text in self.lines if source == name]

    def any(self, name: str, needle: str) -> bool:
        return any(needle in text for text in self.texts(name))


@dataclass
class Figures:
    """What :meth:`Drill.check` measured."""

    made: int  # redemptions the simulator holds for the channel
    queued: int
    in_ledger: int
    handled_at_sim: int  # FULFILLED or CANCELED at the simulator
    patched_once: int  # ids carried by exactly one applied PATCH


async def until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    """Await until ``predicate()`` holds (Qt runs meanwhile on the qasync loop)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"not reached within {timeout} s: {what or predicate}")
        await asyncio.sleep(0.01)


class Drill:
    """The demo channel, signed in, with the queue service live on EventSub and a ledger."""

    def __init__(self, tmp_path: Path, *, seed: int = 5, **live_options: Any) -> None:
        self.sim = CountingSimulator(SimConfig(demo=True, seed=seed, tick_interval=0.05))
        self.tmp_path = tmp_path
        self.told = Told()
        self._live_options: dict[str, Any] = {
            "reconnect_base_delay": 0.01,
            "reconnect_max_delay": 0.05,
            "handoff_quiet_seconds": 0.05,
            **live_options,
        }
        self.store = SessionTokenStore()
        self.handler: KeyringTokenHandler  # once the simulator's port (its authority) is known
        self.client: Client
        self.session: TwitchSession
        self.live: LiveEvents
        self.queue: QueueService
        self.ledger: Ledger
        self.broadcaster_id = ""
        self.rewards: dict[str, str] = {}
        self.tokens: dict[str, Any] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._viewer = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> Drill:
        await self.sim.start(port=0)
        assert self.sim.demo_broadcaster_id is not None
        self.broadcaster_id = self.sim.demo_broadcaster_id
        self.rewards = {
            str(r["title"]): str(r["id"])
            for r in self.sim.state.get_rewards(self.broadcaster_id, DEMO_CLIENT_ID, [], True)
        }
        self.handler = KeyringTokenHandler(DEMO_CLIENT_ID, self.store, authority=self.sim.oauth_url)
        self.client = Client(
            self.handler,
            helix_url=self.sim.helix_url,
            oauth_url=self.sim.oauth_url,
            eventsub_url=self.sim.eventsub_url,
            retry_base_delay=0.01,
        )
        self.session = TwitchSession(self.client, self.handler)
        self.live = LiveEvents(**self._live_options)
        self.ledger = await Ledger.aopen(self.tmp_path / "ledger.sqlite3")
        self.queue = QueueService(None, self.ledger, undo_seconds=0.05)
        # As companion/app_panels.py: resync goes through the ChannelService refresh().
        self.queue.connect_events(self.live, resync=False)
        self.live.resynced.connect(self.queue.refresh)
        told = self.told
        self.session.signed_in.connect(self._on_signed_in)
        self.session.account_lost.connect(self._on_account_lost)
        self.session.signed_out.connect(self._on_signed_out)
        self.live.authorization_revoked.connect(self.session.authorization_revoked)
        for signal, name in (
            (self.session.account_lost, "session.account_lost"),
            (self.session.signed_out, "session.signed_out"),
        ):
            record = told.add(name)
            signal.connect(lambda state, record=record: record(state.cause.value, state.banner))
        self.session.error.connect(told.add("session.error"))
        self.live.state_changed.connect(told.add("live.state_changed"))
        self.live.error.connect(told.add("live.error"))
        self.live.revoked.connect(told.add("live.revoked"))
        self.live.resynced.connect(told.add("live.resynced"))
        self.queue.error.connect(told.add("queue.error"))
        self.queue.action_finished.connect(told.add("queue.action_finished"))
        await self.sign_in()
        return self

    async def sign_in(self) -> None:
        """What a finished device-code sign-in leaves: a stored token, then activate."""
        issued = self.sim.state.issue_user_token(DEMO_CLIENT_ID, self.broadcaster_id, SCOPES)
        self.tokens = dict(issued)
        token = Token(issued["access_token"], issued["refresh_token"], user_id=self.broadcaster_id)
        await self.handler.remember(self.broadcaster_id, token, tuple(SCOPES))
        self.client.http.forget_user(self.broadcaster_id)
        await self.session.activate(self.broadcaster_id)
        await self.wait_live()
        await self.queue.wait_idle()  # the sign-in reload (Helix read of the queue)

    async def wait_live(self, timeout: float = 5.0) -> None:
        await until(lambda: self.live.client is not None, timeout, "live events started")
        assert self.live.client is not None
        await self.live.client.wait_live(timeout)

    def _on_signed_in(self, _user: object) -> None:
        # As CompanionApp._on_signed_in: services get the channel, live events start.
        broadcaster = self.session.broadcaster
        self.queue.set_broadcaster(broadcaster)
        if broadcaster is not None:
            self._spawn(self.live.start(self.session.http, broadcaster))

    def _on_account_lost(self, _lost: object) -> None:
        # As CompanionApp._on_account_lost: actions wait for the re-login, rows stay.
        self.queue.hold()
        self._spawn(self.live.stop())

    def _on_signed_out(self, _gone: object) -> None:
        # As CompanionApp._on_signed_out: what waited is reported as not sent; rows stay.
        self.queue.release(send=False)
        self._spawn(self.live.stop())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._background, return_exceptions=True)
            await self.queue.shutdown()
        await self.live.shutdown()
        await self.session.shutdown()
        await self.client.close()
        await self.ledger.aclose()
        await self.sim.stop()

    # -- the script ------------------------------------------------------------------------

    def redeem(self, count: int, title: str = HYDRATE) -> list[str]:
        """Viewers redeem one of the app's queue rewards ``count`` times."""
        reward = self.rewards[title]
        viewers = [u for u in self.sim.state.users if u != self.broadcaster_id]
        out = []
        for _ in range(count):
            viewer = viewers[self._viewer % len(viewers)]
            self._viewer += 1
            text = "Daft Punk - One More Time" if title == SONG else ""
            red = self.sim.state.redeem(self.broadcaster_id, reward, viewer, text)
            out.append(str(red["id"]))
        return out

    def burst(self, count: int) -> list[str]:
        """Random redemptions of any redeemable reward (another app's, skip-queue ones too)."""
        made = self.sim.state.redeem_many(self.broadcaster_id, count)
        assert isinstance(made, list)
        return [str(r["id"]) for r in made]

    def sim_redemptions(self) -> dict[str, str]:
        """Redemption id -> status, as the simulator holds them for the channel."""
        return {
            rid: rec.status
            for rid, rec in self.sim.state.redemptions.items()
            if rec.data["broadcaster_id"] == self.broadcaster_id
        }

    async def delivered(self, ids: list[str], timeout: float = 5.0) -> None:
        """Wait until every id is queued (or, if not UNFULFILLED at the simulator, seen)."""
        statuses = self.sim_redemptions()

        def arrived() -> bool:
            queued = set(self.queue.queue.ids())
            return all(
                i in queued or (statuses[i] != "UNFULFILLED" and self.queue.queue.is_handled(i))
                for i in ids
            )

        await until(arrived, timeout, f"{len(ids)} redemptions delivered")

    async def act(self, start: Callable[[], Any], timeout: float = 10.0) -> str:
        """Start an action through the queue service and wait for its summary line."""
        before = len(self.told.texts("queue.action_finished"))
        record = start()
        assert record is not None, "the action had no waiting row"
        await until(
            lambda: len(self.told.texts("queue.action_finished")) > before, timeout, "action"
        )
        return self.told.texts("queue.action_finished")[before]

    async def settle(self) -> None:
        """Let the batched ledger writes (200 ms) and every service task finish."""
        await asyncio.sleep(0.3)
        await self.queue.wait_idle()
        await self.queue.wait_idle()

    async def reload(self) -> None:
        """What ``resynced`` asks for: a Helix re-read of the queue, awaited."""
        self.queue.reload()
        await self.queue.wait_idle()

    # -- the checks ------------------------------------------------------------------------

    def check(self) -> Figures:
        """Every redemption the simulator made is in the queue or the ledger exactly once,
        with the simulator's status, and no redemption was in two applied PATCHes."""
        sim = self.sim_redemptions()
        queued = list(self.queue.queue.ids())
        page = self.ledger.query(limit=100_000)
        ledger = {row.record.redemption_id: row.record.status for row in page.rows}
        assert len(queued) == len(set(queued)), "a redemption is queued twice"
        assert page.total == len(ledger)
        assert set(queued) | set(ledger) == set(sim), (
            f"missing: {sorted(set(sim) - set(queued) - set(ledger))}, "
            f"unknown: {sorted((set(queued) | set(ledger)) - set(sim))}"
        )
        for rid in queued:
            assert sim[rid] == "UNFULFILLED", f"{rid} is queued but {sim[rid]} at the simulator"
        wrong = {rid: (st, sim[rid]) for rid, st in ledger.items() if st != sim[rid]}
        assert not wrong, f"ledger status differs from the simulator's: {wrong}"
        patched = self.sim.applied_patches()
        twice = {rid: n for rid, n in patched.items() if n > 1}
        assert not twice, f"sent twice: {twice}"
        handled = [rid for rid, st in sim.items() if st != "UNFULFILLED"]
        return Figures(
            made=len(sim),
            queued=len(queued),
            in_ledger=len(ledger),
            handled_at_sim=len(handled),
            patched_once=sum(1 for n in patched.values() if n == 1),
        )


async def spend_refresh_token(sim: Simulator, refresh_token: str) -> int:
    """Another device uses the refresh token first (device-flow refresh tokens work once)."""
    async with (
        aiohttp.ClientSession() as raw,
        raw.post(
            sim.oauth_url + "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": DEMO_CLIENT_ID,
            },
        ) as resp,
    ):
        await resp.read()
        return resp.status
