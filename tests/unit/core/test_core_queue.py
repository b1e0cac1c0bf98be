"""RedemptionQueue: exactly-once adds, ordering, undo windows, batching, results, reconcile."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from companion.core.queue import SENDER_FAILED, RedemptionQueue
from companion.core.queue_events import (
    AddOutcome,
    QueueEvent,
    RowsInserted,
    RowsRemoved,
    RowState,
)
from companion.core.records import ActionKind, ActionRecord, ActionState, BatchOutcome
from companion.core.scheduling import AsyncioScheduler
from tests.helpers.core_fakes import BROADCASTER_ID, RecordingSender, redemption
from tests.helpers.fake_clock import FakeScheduler


class MirrorModel:
    """Applies queue events the way a Qt model would, to prove they are exact.

    ``before`` checks each structural event against the rows still in place;
    ``after`` applies it to a private copy, which must then equal the queue.
    """

    def __init__(self, queue: RedemptionQueue) -> None:
        self.queue = queue
        self.ids: list[str] = queue.ids()
        self.changed: list[tuple[int, int]] = []
        self.events: list[QueueEvent] = []
        queue.subscribe(self.after, self.before)

    def before(self, event: QueueEvent) -> None:
        if isinstance(event, RowsRemoved):
            # Indices refer to the rows as they still are.
            assert self.queue.ids()[event.first : event.last + 1] == list(event.redemption_ids)
        elif isinstance(event, RowsInserted):
            assert 0 <= event.first <= len(self.queue)

    def after(self, event: QueueEvent) -> None:
        self.events.append(event)
        if isinstance(event, RowsInserted):
            current = self.queue.ids()
            self.ids[event.first : event.first] = current[event.first : event.last + 1]
        elif isinstance(event, RowsRemoved):
            assert self.ids[event.first : event.last + 1] == list(event.redemption_ids)
            del self.ids[event.first : event.last + 1]
        else:
            assert 0 <= event.first <= event.last < len(self.ids)
            self.changed.append((event.first, event.last))
        assert self.ids == self.queue.ids()


@pytest.fixture
def clock() -> FakeScheduler:
    return FakeScheduler()


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def queue(clock: FakeScheduler, sender: RecordingSender) -> RedemptionQueue:
    return RedemptionQueue(sender, scheduler=clock, undo_window=5.0)


async def close_window(queue: RedemptionQueue, clock: FakeScheduler, seconds: float = 5.0) -> None:
    clock.advance(seconds)
    await queue.wait_idle()


# ---------------------------------------------------------------------- adding


def test_same_id_twice_gives_one_row(queue: RedemptionQueue) -> None:
    assert queue.add(redemption(1)) is AddOutcome.ADDED
    assert queue.add(redemption(1)) is AddOutcome.DUPLICATE
    assert queue.add_many([redemption(1), redemption(2), redemption(2)]) == [
        AddOutcome.DUPLICATE,
        AddOutcome.ADDED,
        AddOutcome.DUPLICATE,
    ]
    assert queue.ids() == ["r00001", "r00002"]
    assert queue.count_for_reward("reward-a") == 2


def test_out_of_order_arrivals_end_oldest_first(queue: RedemptionQueue) -> None:
    mirror = MirrorModel(queue)
    for number in (5, 1, 4, 2, 3):
        queue.add(redemption(number))
    # Same second: the id breaks the tie, so the order never depends on arrival.
    queue.add(redemption(7, seconds=3))
    assert queue.ids() == ["r00001", "r00002", "r00003", "r00007", "r00004", "r00005"]
    assert [queue.index_of(i) for i in queue.ids()] == [0, 1, 2, 3, 4, 5]
    assert mirror.events == [
        RowsInserted(0, 0),
        RowsInserted(0, 0),
        RowsInserted(1, 1),
        RowsInserted(1, 1),
        RowsInserted(2, 2),
        RowsInserted(3, 3),
    ]


def test_add_many_appends_newer_rows_as_one_block(queue: RedemptionQueue) -> None:
    queue.add(redemption(10))
    mirror = MirrorModel(queue)
    outcomes = queue.add_many([redemption(n) for n in (13, 5, 11, 12)])
    assert outcomes == [AddOutcome.ADDED] * 4
    assert queue.ids() == ["r00005", "r00010", "r00011", "r00012", "r00013"]
    assert mirror.events == [RowsInserted(0, 0), RowsInserted(2, 4)]


def test_add_many_inserts_one_block_per_gap_between_queued_rows(queue: RedemptionQueue) -> None:
    queue.add_many([redemption(n) for n in (10, 20)])
    mirror = MirrorModel(queue)
    # Three runs: before 10, between 10 and 20, after 20; plus a duplicate in the burst.
    burst = [redemption(n) for n in (25, 3, 15, 1, 12, 2, 30, 15, 18)]
    outcomes = queue.add_many(burst)
    assert outcomes == [AddOutcome.ADDED] * 7 + [AddOutcome.DUPLICATE, AddOutcome.ADDED]
    assert queue.ids() == [f"r{n:05d}" for n in (1, 2, 3, 10, 12, 15, 18, 20, 25, 30)]
    assert mirror.events == [RowsInserted(0, 2), RowsInserted(4, 6), RowsInserted(8, 9)]
    assert queue.waiting_by_reward() == {"reward-a": 10}


def test_handled_and_not_unfulfilled_ids_are_not_queued(queue: RedemptionQueue) -> None:
    assert queue.add(redemption(1, status="FULFILLED")) is AddOutcome.NOT_UNFULFILLED
    assert queue.add(redemption(1)) is AddOutcome.ALREADY_HANDLED
    assert queue.mark_external("r00002", "CANCELED") is False  # update before the add
    assert queue.add(redemption(2)) is AddOutcome.ALREADY_HANDLED
    assert len(queue) == 0
    assert queue.is_handled("r00001")
    assert queue.is_handled("r00002")


async def test_id_in_a_pending_action_is_a_pending_no_op(
    queue: RedemptionQueue, sender: RecordingSender
) -> None:
    queue.add(redemption(1))
    action = queue.fulfill(["r00001"])
    assert action is not None
    assert queue.add(redemption(1)) is AddOutcome.PENDING
    # A second action cannot take a row that is already in one.
    assert queue.refund(["r00001"]) is None
    assert len(queue) == 1
    assert sender.calls == []


# ---------------------------------------------------------------------- undo window


async def test_undo_within_the_window_sends_nothing(
    queue: RedemptionQueue, clock: FakeScheduler, sender: RecordingSender
) -> None:
    queue.add_many([redemption(n) for n in range(1, 4)])
    mirror = MirrorModel(queue)
    action = queue.fulfill(["r00001", "r00003"])
    assert action is not None
    assert action.redemption_ids == ("r00001", "r00003")
    assert [row.state for row in queue.rows()] == [
        RowState.PENDING,
        RowState.WAITING,
        RowState.PENDING,
    ]
    clock.advance(4.9)
    assert queue.undo(action.action_id) is True
    await close_window(queue, clock, 10.0)
    assert len(sender.calls) == 0
    assert [row.state for row in queue.rows()] == [RowState.WAITING] * 3
    assert [row.action_id for row in queue.rows()] == [None, None, None]
    assert queue.undo(action.action_id) is False  # undo twice: nothing more to do
    assert mirror.changed == [(0, 0), (2, 2), (0, 0), (2, 2)]


async def test_after_the_window_the_action_is_sent_once_and_cannot_be_undone(
    queue: RedemptionQueue, clock: FakeScheduler, sender: RecordingSender
) -> None:
    queue.add_many([redemption(n) for n in range(1, 4)])
    snapshots: list[ActionRecord] = []
    queue.subscribe_actions(snapshots.append)
    action = queue.refund(["r00002"])
    assert action is not None
    clock.advance(4.99)
    assert sender.calls == []
    await close_window(queue, clock, 0.01)
    assert queue.undo(action.action_id) is False
    await queue.flush()
    await close_window(queue, clock, 60.0)
    assert [(c.reward_id, c.ids, c.status) for c in sender.calls] == [
        ("reward-a", ("r00002",), "CANCELED")
    ]
    assert queue.ids() == ["r00001", "r00003"]
    assert [s.state for s in snapshots] == [
        ActionState.PENDING,
        ActionState.SENDING,
        ActionState.DONE,
    ]
    assert snapshots[-1].done == ("r00002",)
    assert snapshots[-1].calls == 1
    assert snapshots[-1].kind is ActionKind.REFUND
    assert queue.action(action.action_id) is None  # settled actions are not live


async def test_undo_window_is_configurable(clock: FakeScheduler, sender: RecordingSender) -> None:
    queue = RedemptionQueue(sender, scheduler=clock, undo_window=30.0)
    queue.add(redemption(1))
    assert queue.fulfill(["r00001"]) is not None
    await close_window(queue, clock, 29.0)
    assert sender.calls == []
    await close_window(queue, clock, 1.0)
    assert sender.sizes == [1]


async def test_flush_sends_open_windows_now(
    queue: RedemptionQueue, clock: FakeScheduler, sender: RecordingSender
) -> None:
    queue.add_many([redemption(n) for n in range(1, 3)])
    queue.fulfill(["r00001"])
    queue.refund(["r00002"])
    await queue.flush()
    assert [(c.ids, c.status) for c in sender.calls] == [
        (("r00001",), "FULFILLED"),
        (("r00002",), "CANCELED"),
    ]
    assert len(queue) == 0
    assert clock.advance(10.0) == 0  # the cancelled timers never fire


async def test_real_asyncio_scheduler_closes_the_window(sender: RecordingSender) -> None:
    queue = RedemptionQueue(sender, scheduler=AsyncioScheduler(), undo_window=0.02)
    queue.add(redemption(1))
    queue.fulfill(["r00001"])
    await asyncio.sleep(0)
    assert sender.calls == []
    for _ in range(100):
        if sender.calls:
            break
        await asyncio.sleep(0.01)
    await queue.wait_idle()
    assert sender.sizes == [1]
    assert len(queue) == 0


# ---------------------------------------------------------------------- batching


async def test_120_ids_of_one_reward_take_3_calls(
    queue: RedemptionQueue, clock: FakeScheduler, sender: RecordingSender
) -> None:
    queue.add_many([redemption(n) for n in range(120)])
    action = queue.fulfill_reward("reward-a")
    assert action is not None
    await close_window(queue, clock)
    assert sender.sizes == [50, 50, 20]
    assert {call.reward_id for call in sender.calls} == {"reward-a"}
    sent = [i for call in sender.calls for i in call.ids]
    assert sent == [f"r{n:05d}" for n in range(120)]  # oldest first, each once
    assert len(queue) == 0
    assert queue.counts_by_reward() == {}


async def test_1000_ids_over_3_rewards_take_21_calls(
    queue: RedemptionQueue, clock: FakeScheduler, sender: RecordingSender
) -> None:
    rewards = ("reward-a", "reward-b", "reward-c")
    records = [redemption(n, reward_id=rewards[n % 3]) for n in range(1000)]
    random.Random(7).shuffle(records)
    queue.add_many(records)
    assert queue.counts_by_reward() == {"reward-a": 334, "reward-b": 333, "reward-c": 333}
    action = queue.refund_all()
    assert action is not None
    assert action.reward_ids == rewards
    await close_window(queue, clock)
    assert len(sender.calls) == 21
    assert sender.sizes == [50] * 6 + [34] + [50] * 6 + [33] + [50] * 6 + [33]
    for call in sender.calls:
        assert all(
            i in {r.redemption_id for r in records if r.reward_id == call.reward_id}
            for i in call.ids
        )
    sent = [i for call in sender.calls for i in call.ids]
    assert len(sent) == len(set(sent)) == 1000
    assert len(queue) == 0


# ---------------------------------------------------------------------- results


async def test_a_failed_call_keeps_every_row_with_its_error(
    queue: RedemptionQueue, clock: FakeScheduler
) -> None:
    def refuse(reward_id: str, ids: tuple[str, ...], status: str) -> BatchOutcome:
        raise ConnectionError("connection reset")

    sender = RecordingSender(responder=refuse)
    queue = RedemptionQueue(sender, scheduler=clock)
    queue.add_many([redemption(n) for n in range(3)])
    snapshots: list[ActionRecord] = []
    queue.subscribe_actions(snapshots.append)
    queue.fulfill(queue.ids())
    await close_window(queue, clock)
    assert len(queue) == 3
    assert [(row.state, row.error, row.action_id) for row in queue.rows()] == [
        (RowState.WAITING, SENDER_FAILED, None)
    ] * 3
    final = snapshots[-1]
    assert final.state is ActionState.FAILED
    assert dict(final.failed) == dict.fromkeys(queue.ids(), SENDER_FAILED)
    # Not sent again by itself; the streamer retries with a new action.
    await close_window(queue, clock, 60.0)
    assert len(sender.calls) == 1
    sender.responder = None
    retry = queue.fulfill(queue.ids())
    assert retry is not None
    assert retry.action_id != final.action_id
    assert all(row.error is None for row in queue.rows())  # a new attempt clears it
    await close_window(queue, clock)
    assert len(sender.calls) == 2
    assert len(queue) == 0


async def test_per_id_results_remove_done_flag_failed_and_drop_404s(
    clock: FakeScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    def mixed(reward_id: str, ids: tuple[str, ...], status: str) -> BatchOutcome:
        return BatchOutcome(
            done=frozenset(ids[:2]),
            already_handled=frozenset(ids[2:4]),
            failed={ids[4]: "403 Forbidden: reward not manageable by this app"},
            # ids[5] is not mentioned at all.
        )

    sender = RecordingSender(responder=mixed)
    queue = RedemptionQueue(sender, scheduler=clock)
    queue.add_many([redemption(n) for n in range(6)])
    mirror = MirrorModel(queue)
    snapshots: list[ActionRecord] = []
    queue.subscribe_actions(snapshots.append)
    queue.fulfill(queue.ids())
    with caplog.at_level(logging.INFO, logger="companion.core.queue"):
        await close_window(queue, clock)
    assert queue.ids() == ["r00004", "r00005"]
    assert [row.error for row in queue.rows()] == [
        "403 Forbidden: reward not manageable by this app",
        "no result reported for this redemption",
    ]
    final = snapshots[-1]
    assert final.state is ActionState.PARTIAL
    assert final.done == ("r00000", "r00001")
    assert final.already_handled == ("r00002", "r00003")
    already_lines = [r for r in caplog.records if "already handled elsewhere" in r.getMessage()]
    assert len(already_lines) == 1
    assert all(r.levelno < logging.WARNING for r in caplog.records)
    assert mirror.ids == queue.ids()


async def test_404_for_a_whole_call_removes_rows_as_handled_elsewhere(
    clock: FakeScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    sender = RecordingSender(responder=lambda r, ids, s: BatchOutcome.all_already_handled(ids))
    queue = RedemptionQueue(sender, scheduler=clock)
    queue.add_many([redemption(n) for n in range(120)])
    snapshots: list[ActionRecord] = []
    queue.subscribe_actions(snapshots.append)
    queue.refund_all()
    with caplog.at_level(logging.INFO, logger="companion.core.queue"):
        await close_window(queue, clock)
    assert len(queue) == 0
    assert snapshots[-1].state is ActionState.DONE
    assert len(snapshots[-1].already_handled) == 120
    assert snapshots[-1].failed == ()
    # One line per call (3 calls), not one per id, and none of them an error.
    assert len(caplog.records) == 3
    assert all(r.levelno == logging.INFO for r in caplog.records)
    assert all(queue.is_handled(f"r{n:05d}") for n in range(120))


async def test_row_handled_elsewhere_in_the_window_is_not_sent(
    queue: RedemptionQueue, clock: FakeScheduler, sender: RecordingSender
) -> None:
    queue.add_many([redemption(n) for n in range(3)])
    action = queue.fulfill(queue.ids())
    assert action is not None
    assert queue.mark_external("r00001", "fulfilled") is True
    await close_window(queue, clock)
    assert [call.ids for call in sender.calls] == [("r00000", "r00002")]
    assert len(queue) == 0


async def test_update_arriving_while_the_call_is_in_flight(
    clock: FakeScheduler,
) -> None:
    gate = asyncio.Event()
    sender = RecordingSender(gate=gate)
    queue = RedemptionQueue(sender, scheduler=clock)
    queue.add_many([redemption(n) for n in range(2)])
    snapshots: list[ActionRecord] = []
    queue.subscribe_actions(snapshots.append)
    queue.fulfill(queue.ids())
    clock.advance(5.0)
    await asyncio.sleep(0)
    assert queue.row(0).state is RowState.SENDING
    assert queue.undo(snapshots[0].action_id) is False
    # Our own call triggers EventSub's update; it may overtake the HTTP response.
    assert queue.mark_external("r00000", "FULFILLED") is True
    gate.set()
    await queue.wait_idle()
    assert len(queue) == 0
    assert snapshots[-1].state is ActionState.DONE
    assert snapshots[-1].done == ("r00000", "r00001")


async def test_shutdown_mid_call_keeps_rows(clock: FakeScheduler) -> None:
    sender = RecordingSender(gate=asyncio.Event())
    queue = RedemptionQueue(sender, scheduler=clock)
    queue.add_many([redemption(n) for n in range(60)])
    queue.fulfill_reward("reward-a")
    clock.advance(5.0)
    await asyncio.sleep(0)
    tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith("redemption-action-")]
    assert len(tasks) == 1
    tasks[0].cancel()
    await queue.wait_idle()
    assert len(queue) == 60
    assert {row.state for row in queue.rows()} == {RowState.WAITING}
    assert {row.error for row in queue.rows()} == {"not confirmed: the app stopped while sending"}
    assert sender.sizes == [50]


class SenderBug(BaseException):
    """Not an Exception: slips past the per-call error handling."""


async def test_an_action_that_dies_unexpectedly_keeps_its_rows(clock: FakeScheduler) -> None:
    def explode(reward_id: str, ids: tuple[str, ...], status: str) -> BatchOutcome:
        raise SenderBug

    queue = RedemptionQueue(RecordingSender(responder=explode), scheduler=clock)
    queue.add_many([redemption(n) for n in range(3)])
    snapshots: list[ActionRecord] = []
    queue.subscribe_actions(snapshots.append)
    queue.fulfill(queue.ids())
    await close_window(queue, clock)
    assert [(row.state, row.error) for row in queue.rows()] == [
        (RowState.WAITING, "not sent: the action stopped unexpectedly")
    ] * 3
    assert snapshots[-1].state is ActionState.FAILED
    assert queue.live_actions() == []


def test_a_failing_listener_does_not_break_the_queue(
    queue: RedemptionQueue, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: QueueEvent) -> None:
        raise RuntimeError("view bug")

    queue.subscribe(broken)
    mirror = MirrorModel(queue)
    with caplog.at_level(logging.ERROR, logger="companion.core.queue"):
        queue.add(redemption(1))
    assert queue.ids() == ["r00001"] == mirror.ids
    assert len(caplog.records) == 1


async def test_clear_undoes_pending_actions_and_forgets_rows(
    queue: RedemptionQueue, clock: FakeScheduler, sender: RecordingSender
) -> None:
    queue.add_many([redemption(n) for n in range(5)])
    queue.add(redemption(9, reward_id="reward-b"))
    snapshots: list[ActionRecord] = []
    queue.subscribe_actions(snapshots.append)
    queue.fulfill(["r00001", "r00002"])
    mirror = MirrorModel(queue)
    assert queue.clear() == 6
    assert mirror.events[-1] == RowsRemoved(0, 5, tuple(f"r0000{n}" for n in (0, 1, 2, 3, 4, 9)))
    assert len(queue) == 0
    assert queue.counts_by_reward() == {}
    assert snapshots[-1].state is ActionState.UNDONE
    await close_window(queue, clock)
    assert sender.calls == []
    # Not remembered as handled: the same channel's next read brings them back.
    assert queue.add(redemption(1)) is AddOutcome.ADDED
    assert queue.clear() == 1
    assert queue.clear() == 0


# ---------------------------------------------------------------------- reconcile


def test_reconcile_adds_missing_and_removes_handled_elsewhere(
    queue: RedemptionQueue, clock: FakeScheduler
) -> None:
    queue.add_many([redemption(n) for n in range(1, 6)])
    queue.add(redemption(6, reward_id="reward-b"))  # not part of the read
    queue.add(redemption(9, broadcaster_id="other"))  # another channel
    read_started = queue.now()
    clock.advance(1.0)
    queue.add(redemption(10))  # arrived over EventSub while the read was paging
    mirror = MirrorModel(queue)
    now = [redemption(n) for n in (2, 3, 5, 8, 7)] + [redemption(11, reward_id="reward-z")]
    diff = queue.reconcile(BROADCASTER_ID, ["reward-a"], now, read_started=read_started)
    assert diff.added == ("r00007", "r00008")
    assert diff.removed == ("r00001", "r00004")
    assert queue.ids() == [
        "r00002",
        "r00003",
        "r00005",
        "r00006",
        "r00007",
        "r00008",
        "r00009",
        "r00010",
    ]
    assert queue.add(redemption(1)) is AddOutcome.ALREADY_HANDLED
    assert mirror.ids == queue.ids()
    # A second identical read changes nothing.
    again = queue.reconcile(BROADCASTER_ID, ["reward-a"], now, read_started=read_started)
    assert (again.added, again.removed) == ((), ())


async def test_reconcile_drops_pending_rows_handled_elsewhere(
    queue: RedemptionQueue, clock: FakeScheduler, sender: RecordingSender
) -> None:
    queue.add_many([redemption(n) for n in range(4)])
    queue.fulfill(queue.ids())
    diff = queue.reconcile(BROADCASTER_ID, ["reward-a"], [redemption(0), redemption(3)])
    assert diff.removed == ("r00001", "r00002")
    await close_window(queue, clock)
    assert [call.ids for call in sender.calls] == [("r00000", "r00003")]


# ---------------------------------------------------------------------- scale


async def test_10000_rows(
    queue: RedemptionQueue, clock: FakeScheduler, sender: RecordingSender
) -> None:
    rewards = [f"reward-{i}" for i in range(10)]
    records = [redemption(n, reward_id=rewards[n % 10]) for n in range(10_000)]
    shuffled = records[:]
    random.Random(1).shuffle(shuffled)
    for record in shuffled[:5000]:
        queue.add(record)
    queue.add_many(shuffled[5000:])
    assert len(queue) == 10_000
    assert queue.ids() == [r.redemption_id for r in records]
    assert queue.counts_by_reward() == dict.fromkeys(rewards, 1000)
    assert queue.index_of("r09999") == 9999
    assert [row.redemption_id for row in queue.rows_for_reward("reward-3")][:2] == [
        "r00003",
        "r00013",
    ]
    assert queue.add_many(records) == [AddOutcome.DUPLICATE] * 10_000
    queue.fulfill_reward("reward-3")
    removed = queue.reconcile(
        BROADCASTER_ID, ["reward-4"], [r for r in records if r.reward_id == "reward-4"][:500]
    ).removed
    assert len(removed) == 500
    await close_window(queue, clock)
    assert len(sender.calls) == 20
    assert len(queue) == 8500
    assert queue.count_for_reward("reward-3") == 0
    assert queue.count_for_reward("reward-4") == 500
    action = queue.refund_all()
    assert action is not None
    assert len(action.redemption_ids) == 8500
    await close_window(queue, clock)
    assert len(sender.calls) == 20 + 8 * 20 + 10  # 1000 ids: 20 calls; 500 ids: 10 calls
    assert len(queue) == 0


# ---------------------------------------------------------------------- random walk


@pytest.mark.parametrize("seed", range(6))
async def test_random_operations_keep_every_invariant(seed: int) -> None:
    rng = random.Random(seed)
    clock = FakeScheduler()
    settled: set[str] = set()  # ids Twitch reported done or already handled

    def respond(reward_id: str, ids: tuple[str, ...], status: str) -> BatchOutcome:
        # Nothing settled is ever sent again.
        assert not settled & set(ids)
        if rng.random() < 0.15:
            raise ConnectionError("flaky network")
        done = frozenset(i for i in ids if rng.random() < 0.8)
        rest = [i for i in ids if i not in done]
        already = frozenset(i for i in rest if rng.random() < 0.5)
        failed = {i: "503" for i in rest if i not in already}
        settled.update(done | already)
        return BatchOutcome(done=done, already_handled=already, failed=failed)

    sender = RecordingSender(responder=respond)
    queue = RedemptionQueue(sender, scheduler=clock, undo_window=5.0, batch_size=7)
    mirror = MirrorModel(queue)
    actions: list[ActionRecord] = []
    queue.subscribe_actions(actions.append)
    rewards = ["reward-a", "reward-b", "reward-c"]
    for _ in range(400):
        op = rng.random()
        if op < 0.35:
            number = rng.randrange(300)
            queue.add(redemption(number, reward_id=rewards[number % 3], seconds=rng.randrange(50)))
        elif op < 0.45:
            numbers = [rng.randrange(300) for _ in range(rng.randrange(1, 12))]
            queue.add_many(
                [
                    redemption(n, reward_id=rewards[n % 3], seconds=rng.randrange(50))
                    for n in numbers
                ]
            )
        elif op < 0.55 and len(queue):
            queue.mark_external(rng.choice(queue.ids()), "FULFILLED")
        elif op < 0.7 and len(queue):
            picked = rng.sample(queue.ids(), k=min(len(queue), rng.randrange(1, 20)))
            (queue.fulfill if rng.random() < 0.5 else queue.refund)(picked)
        elif op < 0.75:
            queue.fulfill_reward(rng.choice(rewards))
        elif op < 0.8 and queue.live_actions():
            queue.undo(rng.choice(queue.live_actions()).action_id)
        elif op < 0.85 and len(queue):
            keep = [r.record for r in queue.rows() if rng.random() < 0.7]
            queue.reconcile(BROADCASTER_ID, rewards, keep)
        else:
            clock.advance(rng.uniform(0.5, 6.0))
            await asyncio.sleep(0)
        # Invariants after every step.
        assert mirror.ids == queue.ids()
        keys = [(row.record.redeemed_at, row.redemption_id) for row in queue.rows()]
        assert keys == sorted(keys)
        recount: dict[str, int] = {}
        waiting: dict[str, int] = {}
        for row in queue.rows():
            recount[row.reward_id] = recount.get(row.reward_id, 0) + 1
            if row.state is RowState.WAITING:
                waiting[row.reward_id] = waiting.get(row.reward_id, 0) + 1
            assert not queue.is_handled(row.redemption_id)
            assert row.redemption_id not in settled
            if row.state is RowState.WAITING:
                assert row.action_id is None
            else:
                assert row.action_id is not None
                assert queue.action(row.action_id) is not None
        assert queue.counts_by_reward() == recount
        assert queue.waiting_by_reward() == waiting
    await queue.flush()
    assert all(row.state is RowState.WAITING for row in queue.rows())
    assert queue.live_actions() == []
    assert all(len(call.ids) <= 7 for call in sender.calls)
    assert len(sender.calls) > 10
    finals = [a for a in actions if a.state.finished]
    assert len(finals) == len({a.action_id for a in actions})  # each action ends once
    for action in finals:
        outcomes = [*action.done, *action.already_handled, *(i for i, _ in action.failed)]
        assert len(outcomes) == len(set(outcomes))  # no id sent twice within an action
        assert set(outcomes) <= set(action.redemption_ids)
