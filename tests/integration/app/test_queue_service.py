"""QueueService against the real simulator over loopback (EventSub in, Helix out)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from companion.core.ledger import HistoryQuery, Ledger
from companion.core.queue_events import RowState
from companion.core.records import ActionState
from companion.services.queue_service import FORBIDDEN_TEXT, QueueService
from tests.helpers.queue_sim import OTHER_CLIENT_ID, SimChannel, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop

UPDATE_PATH = "/channel_points/custom_rewards/redemptions"


@pytest.fixture
async def ledger(tmp_path) -> AsyncIterator[Ledger]:
    store = await Ledger.aopen(tmp_path / "ledger.sqlite3")
    try:
        yield store
    finally:
        await store.aclose()


@pytest.fixture
async def channel(qapp) -> AsyncIterator[SimChannel]:
    ch = SimChannel()
    await ch.start()
    try:
        yield ch
    finally:
        await ch.stop()


def make_service(channel: SimChannel, ledger: Ledger | None, undo: float = 0.2) -> QueueService:
    service = QueueService(channel.broadcaster, ledger, undo_seconds=undo)
    service.connect_events(channel.events)
    return service


async def test_redemptions_made_in_the_simulator_appear_oldest_first(
    channel: SimChannel, ledger: Ledger
) -> None:
    service = make_service(channel, ledger)
    reward = channel.create_reward("Hydrate", background_color="#1F69FF")
    ids = [channel.redeem(reward, viewer=n % 5, text=f"msg {n}") for n in range(7)]
    await until(lambda: len(service.queue) == 7)
    assert set(service.queue.ids()) == set(ids)
    rows = service.queue.rows()
    # Oldest first; equal timestamps are ordered by id.
    keys = [(r.record.redeemed_at, r.redemption_id) for r in rows]
    assert keys == sorted(keys)
    first = service.queue.get(ids[0])
    assert first is not None
    assert (first.record.user_login, first.record.user_input, first.record.reward_title) == (
        "viewer0",
        "msg 0",
        "Hydrate",
    )
    await until(lambda: ledger.query().total == 7, timeout=2)
    rows = ledger.query().rows
    assert {r.record.redemption_id for r in rows} == set(ids)
    assert {r.record.status for r in rows} == {"UNFULFILLED"}
    await service.shutdown()


async def test_undo_inside_the_window_sends_nothing(channel: SimChannel) -> None:
    service = make_service(channel, None, undo=0.3)
    reward = channel.create_reward("Hydrate")
    ids = [channel.redeem(reward, viewer=n) for n in range(3)]
    await until(lambda: len(service.queue) == 3)
    action = service.fulfill(ids[:2])
    assert action is not None
    assert [service.queue.get(i).state for i in ids] == [  # type: ignore[union-attr]
        RowState.PENDING,
        RowState.PENDING,
        RowState.WAITING,
    ]
    undone = service.undo_last()
    assert undone is not None and undone.action_id == action.action_id
    await asyncio.sleep(0.6)  # well past the window
    assert channel.counter.count("PATCH", UPDATE_PATH) == 0
    assert service.requests_sent == 0
    assert [channel.status_of(i) for i in ids] == ["UNFULFILLED"] * 3
    assert [service.queue.get(i).state for i in ids] == [RowState.WAITING] * 3  # type: ignore[union-attr]
    await service.shutdown()


async def test_120_redemptions_of_one_reward_go_out_in_exactly_3_requests(
    channel: SimChannel, ledger: Ledger
) -> None:
    service = make_service(channel, ledger, undo=0.05)
    reward = channel.create_reward("Hydrate")
    ids = [channel.redeem(reward, viewer=n % 5) for n in range(120)]
    await until(lambda: len(service.queue) == 120)
    finished = []
    service.action_changed.connect(lambda rec: finished.append(rec) if rec.state.finished else None)
    assert service.fulfill(ids) is not None
    await until(lambda: bool(finished))
    assert finished[0].state is ActionState.DONE
    assert finished[0].calls == 3
    assert channel.counter.id_counts("PATCH", UPDATE_PATH) == [50, 50, 20]
    assert len(service.queue) == 0
    assert {channel.status_of(i) for i in ids} == {"FULFILLED"}
    await service.wait_idle()
    fulfilled = ledger.query(HistoryQuery(status="FULFILLED"), limit=200).rows
    assert len(fulfilled) == 120
    assert {r.handled_by for r in fulfilled} == {finished[0].action_id}
    stored = ledger.action(finished[0].action_id)
    assert stored is not None and stored.state is ActionState.DONE and stored.calls == 3
    await service.shutdown()


async def test_fulfilled_elsewhere_leaves_quietly(channel: SimChannel, ledger: Ledger) -> None:
    service = make_service(channel, ledger, undo=0.3)
    errors: list[str] = []
    service.error.connect(errors.append)
    elsewhere: list[int] = []
    service.handled_elsewhere.connect(elsewhere.append)
    reward = channel.create_reward("Hydrate")
    ids = [channel.redeem(reward, viewer=n) for n in range(4)]
    await until(lambda: len(service.queue) == 4)
    # Two are in our pending action when the dashboard fulfils them: no error, not sent.
    action = service.refund(ids[:3])
    assert action is not None
    channel.fulfil_elsewhere(reward, [ids[0], ids[1], ids[3]])
    await until(lambda: len(service.queue) == 1)
    summaries: list[str] = []
    service.action_finished.connect(summaries.append)
    await until(lambda: bool(summaries))
    assert len(service.queue) == 0
    assert channel.status_of(ids[2]) == "CANCELED"
    assert [channel.status_of(i) for i in (ids[0], ids[1], ids[3])] == ["FULFILLED"] * 3
    assert channel.counter.id_counts("PATCH", UPDATE_PATH) == [1]
    assert summaries == ["Refunded 1"]
    assert errors == []
    await until(lambda: bool(elsewhere))
    assert elsewhere == [3]  # one notice for the burst
    await service.wait_idle()
    rows = {r.record.redemption_id: r for r in ledger.query().rows}
    assert [(rows[i].record.status, rows[i].note) for i in ids] == [
        ("FULFILLED", "handled elsewhere"),
        ("FULFILLED", "handled elsewhere"),
        ("CANCELED", None),
        ("FULFILLED", "handled elsewhere"),
    ]
    await service.shutdown()


async def test_stale_rows_sent_while_the_socket_was_down_count_as_handled(
    channel: SimChannel,
) -> None:
    service = make_service(channel, None, undo=0.05)
    reward = channel.create_reward("Hydrate")
    ids = [channel.redeem(reward, viewer=n) for n in range(3)]
    await until(lambda: len(service.queue) == 3)
    await channel.events.drop()
    channel.fulfil_elsewhere(reward, ids[:2])  # the queue does not hear about it
    summaries: list[str] = []
    service.action_finished.connect(summaries.append)
    service.fulfill(ids)
    await until(lambda: bool(summaries))
    assert summaries == ["Fulfilled 1; 2 were already handled elsewhere"]
    assert len(service.queue) == 0
    await service.shutdown()


async def test_403_keeps_the_row_with_the_reason(channel: SimChannel) -> None:
    service = make_service(channel, None, undo=0.05)
    foreign = channel.create_reward("Highlight", client_id=OTHER_CLIENT_ID)
    rid = channel.redeem(foreign)
    await until(lambda: len(service.queue) == 1)
    summaries: list[str] = []
    service.action_finished.connect(summaries.append)
    service.fulfill([rid])
    await until(lambda: bool(summaries))
    row = service.queue.get(rid)
    assert row is not None and row.state is RowState.WAITING
    assert row.error == FORBIDDEN_TEXT
    assert summaries == [f"Fulfilled 0; 1 failed and stay in the queue ({FORBIDDEN_TEXT})"]
    assert channel.status_of(rid) == "UNFULFILLED"
    await service.shutdown()


async def test_network_failure_keeps_rows(channel: SimChannel) -> None:
    service = make_service(channel, None, undo=0.05)
    reward = channel.create_reward("Hydrate")
    rid = channel.redeem(reward)
    await until(lambda: len(service.queue) == 1)
    channel.sim.faults.fail_next(3, 500, prefix="/helix" + UPDATE_PATH)
    summaries: list[str] = []
    service.action_finished.connect(summaries.append)
    service.fulfill([rid])
    await until(lambda: bool(summaries))
    row = service.queue.get(rid)
    assert row is not None
    assert row.error == "Twitch is having trouble right now. Try again in a few minutes."
    assert channel.status_of(rid) == "UNFULFILLED"
    await service.shutdown()


async def test_reconnect_reconciles_through_helix(channel: SimChannel) -> None:
    ledger = None
    service = make_service(channel, ledger)
    reward = channel.create_reward("Hydrate")
    foreign = channel.create_reward("Highlight", client_id=OTHER_CLIENT_ID)
    before = [channel.redeem(reward, viewer=n) for n in range(3)]
    foreign_id = channel.redeem(foreign)
    await until(lambda: len(service.queue) == 4)
    await channel.events.drop()
    channel.fulfil_elsewhere(reward, [before[0]])
    # Helix gives redeemed_at in whole seconds (as its documented example does), EventSub with
    # nanoseconds; within one second the two cannot be ordered. The missed redemption is
    # made in a later second than the ones EventSub delivered, so it must sort last.
    await asyncio.sleep(1.0 - time.time() % 1.0 + 0.01)
    missed = [channel.redeem(reward, viewer=4, text="while down")]
    diffs = []
    service.reconciled.connect(diffs.append)
    await channel.events.reconnect()
    await until(lambda: bool(diffs))
    assert diffs[0].added == tuple(missed)
    assert diffs[0].removed == (before[0],)
    # The other app's reward cannot be read (403), so its row is left as EventSub said.
    assert set(service.queue.ids()) == {before[1], before[2], foreign_id, missed[0]}
    assert service.queue.ids()[-1] == missed[0]
    await service.shutdown()


async def test_sign_out_empties_the_queue_and_sends_nothing(channel: SimChannel) -> None:
    service = make_service(channel, None, undo=0.2)
    reward = channel.create_reward("Hydrate")
    ids = [channel.redeem(reward, viewer=n) for n in range(3)]
    await until(lambda: len(service.queue) == 3)
    assert service.fulfill(ids[:2]) is not None
    service.set_broadcaster(None)
    assert len(service.queue) == 0
    await asyncio.sleep(0.4)
    assert channel.counter.count("PATCH", UPDATE_PATH) == 0
    assert [channel.status_of(i) for i in ids] == ["UNFULFILLED"] * 3
    # Signing in again re-reads the channel's waiting redemptions through Helix.
    service.set_broadcaster(channel.broadcaster)
    await service.wait_idle()
    assert set(service.queue.ids()) == set(ids)
    await service.shutdown()


async def test_an_update_with_an_unknown_status_keeps_the_row(channel: SimChannel) -> None:
    from companion.twitch.models.channel_points import CustomRewardRedemption

    service = make_service(channel, None)
    reward = channel.create_reward("Hydrate")
    rid = channel.redeem(reward, text="hello")
    await until(lambda: len(service.queue) == 1)
    event = {
        "id": rid,
        "broadcaster_user_id": channel.broadcaster_id,
        "broadcaster_user_login": "caster",
        "broadcaster_user_name": "Caster",
        "user_id": channel.viewers[0],
        "user_login": "viewer0",
        "user_name": "Viewer0",
        "user_input": "hello",
        "status": "unknown",
        "reward": {"id": reward, "title": "Hydrate", "cost": 100, "prompt": ""},
        "redeemed_at": "2026-11-27T20:00:00.123456789Z",
    }
    service.on_redemption_updated(CustomRewardRedemption.from_eventsub(channel.client.http, event))
    assert service.queue.ids() == [rid]
    event["status"] = "canceled"
    service.on_redemption_updated(CustomRewardRedemption.from_eventsub(channel.client.http, event))
    assert service.queue.ids() == []
    await service.shutdown()


async def test_wait_read_waits_for_the_running_read_and_no_longer_than_told(
    channel: SimChannel, ledger: Ledger
) -> None:
    """What live events wait for at sign-in (AccountsMixin._go_live), bounded."""
    reward = channel.create_reward("Hydrate")
    waiting = channel.redeem(reward, viewer=1, text="before")
    service = QueueService(channel.broadcaster, ledger, undo_seconds=0.2)
    assert await service.wait_read(0.01) is True  # nothing is being read
    # A slow Helix: the read takes 0.4 s; waiting 0.05 s of it comes back without it.
    channel.sim.faults.set_latency(0.4, prefix="/helix/channel_points")
    service.reload()
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await service.wait_read(0.05) is False
    assert 0.05 <= loop.time() - began < 0.3
    assert service.queue.ids() == []
    assert await service.wait_read(5.0) is True
    assert service.queue.ids() == [waiting]
    channel.sim.faults.set_latency(0.0)
    # A read that fails (a 500 that outlasts the retries) ends the wait too, reported.
    errors: list[str] = []
    service.error.connect(errors.append)
    channel.sim.faults.fail_next(10, 500, prefix="/helix/channel_points")
    service.reload()
    assert await service.wait_read(5.0) is True
    assert len(errors) == 1
    assert service.queue.ids() == [waiting]
    channel.sim.faults.clear()
    await service.shutdown()
