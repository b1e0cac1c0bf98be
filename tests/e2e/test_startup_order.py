"""The order of start-up's work (issue 18, first usable): the queue reads what waits
before live events subscribe and before the overlay server starts, and what changes
between that read and the subscriptions is read once live.

The whole app in demo mode, in process; the simulator's subscription registry is watched
(calls go through unchanged) to act at the moment the first subscription arrives.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import keyring
import pytest

from companion.app import CompanionApp, parse_args
from companion.services.overlay_service import OverlayService
from companion.sim import DEMO_CLIENT_ID, Simulator
from companion.sim.eventsub_subscriptions import SubscriptionRegistry
from tests.helpers.memory_keyring import MemoryKeyring

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.qt_loop

#: The demo channel's waiting redemptions at start (companion.sim.demo.seed_demo).
DEMO_WAITING = 3


async def until(predicate: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_queue_is_read_before_live_events_and_overlays_start_and_again_once_live(
    qapp, scratch_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    app = CompanionApp(qapp, parse_args(["--demo"]))
    # At the first subscription: what the queue holds, and one redemption made then, which
    # no EventSub session can deliver (nothing is subscribed yet).
    at_first_subscription: list[list[str]] = []
    made_meanwhile: list[str] = []
    create = SubscriptionRegistry.create

    def watched(self: SubscriptionRegistry, token: Any, body: Any) -> Any:
        if not at_first_subscription:
            assert app.panels is not None and app.sim is not None
            at_first_subscription.append(app.panels.queue.queue.ids())
            state, broadcaster = app.sim.state, app.sim.demo_broadcaster_id
            rewards = state.channel(broadcaster).rewards
            # A random reward. No test: one that skips the queue, or another app's (which
            # no app but its own can read through Helix; only EventSub tells of those).
            for _ in range(50):
                [made] = state.redeem_many(broadcaster, 1)
                ours = rewards[made["reward"]["id"]].client_id == DEMO_CLIENT_ID
                if made["status"] == "UNFULFILLED" and ours:
                    made_meanwhile.append(made["id"])
                    break
        return create(self, token, body)

    monkeypatch.setattr(SubscriptionRegistry, "create", watched)
    # What the queue holds when the overlay server is started.
    at_overlay_start: list[list[str]] = []
    start_overlays = OverlayService.start

    def start_watched(self: OverlayService) -> None:
        assert app.panels is not None
        at_overlay_start.append(app.panels.queue.queue.ids())
        start_overlays(self)

    monkeypatch.setattr(OverlayService, "start", start_watched)
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: app._live is not None and app._live.client is not None)
        await until(lambda: bool(app.live.client and app.live.client.subscription_ids))
        # The queue's read was in before live events subscribed: the seeded ones showed.
        [queued_then] = at_first_subscription
        assert len(queued_then) >= DEMO_WAITING
        assert len(made_meanwhile) == 1
        assert made_meanwhile[0] not in queued_then
        # Once live, the panels read again: the redemption nobody was told of is queued.
        assert app.panels is not None
        queue = app.panels.queue.queue
        await until(lambda: made_meanwhile[0] in queue.ids())
        assert set(queued_then) <= set(queue.ids())
        # The overlay server started once (after the queue's read: its import and start
        # came after the waiting redemptions), and it runs.
        assert len(at_overlay_start) == 1
        assert len(at_overlay_start[0]) >= DEMO_WAITING
        await until(lambda: app.panels is not None and app.panels.overlays.state == "running")
    finally:
        app.request_quit(0)
        assert await asyncio.wait_for(runner, timeout=10) == 0
        keyring.set_keyring(previous)


async def test_a_sign_out_while_the_queue_reads_starts_no_live_events(
    qapp, scratch_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Live events wait for the queue's read; a sign-in gone meanwhile connects nothing."""
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    start = Simulator.start

    async def slow_redemptions(self: Simulator, *args: Any, **kwargs: Any) -> None:
        await start(self, *args, **kwargs)
        # One read per reward (six): the queue's read takes about a second.
        self.faults.set_latency(0.15, prefix="/helix/channel_points/custom_rewards/redemptions")

    monkeypatch.setattr(Simulator, "start", slow_redemptions)
    app = CompanionApp(qapp, parse_args(["--demo"]))
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: app.session is not None and app.session.user is not None)
        assert app.panels is not None
        assert await app.panels.queue.wait_read(0.1) is False  # still reading
        await app.sign_out()
        assert app.session.user is None
        await app.panels.queue.wait_read(5.0)  # the read ends (it was not for this sign-out)
        await asyncio.sleep(0.3)
        assert app.live.client is None
        assert app.window is not None
        assert app.window.account_label.text() == "Not signed in"
    finally:
        app.request_quit(0)
        assert await asyncio.wait_for(runner, timeout=10) == 0
        keyring.set_keyring(previous)
