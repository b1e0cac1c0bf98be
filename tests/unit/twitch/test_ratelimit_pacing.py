"""Pacing of the client's rate-limit bucket on virtual time: exact send times and counts.

The bucket spends points as they come back instead of waiting for a full bucket, keeps
what it believes a lower bound of Twitch's (answers count the requests still in flight),
and on a cold start sends one request until its answer tells the budget. Every sleep runs
on :class:`VirtualEpoch`, where concurrent sleepers wake in deadline order.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from companion.twitch.ratelimit import RESET_WINDOW_SECONDS, RateLimitBucket, Ticket
from tests.helpers.fake_clock import VirtualEpoch

NOW = 1_800_000_000.0


def budget(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "Ratelimit-Limit": str(limit),
        "Ratelimit-Remaining": str(remaining),
        "Ratelimit-Reset": str(int(reset)),
    }


class Sends:
    """Requests taking points from one bucket at once; records when each got its point."""

    def __init__(self, bucket: RateLimitBucket, epoch: VirtualEpoch) -> None:
        self.bucket = bucket
        self.epoch = epoch
        self.at: list[float] = []
        self.tickets: list[Ticket] = []
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, count: int) -> None:
        async def one() -> None:
            ticket, _ = await self.bucket.acquire(math.inf)
            self.at.append(self.epoch.now - NOW)
            self.tickets.append(ticket)

        loop = asyncio.get_running_loop()
        self.tasks += [loop.create_task(one()) for _ in range(count)]

    async def finish(self) -> list[float]:
        await self.epoch.run_until(lambda: all(task.done() for task in self.tasks))
        await asyncio.gather(*self.tasks)
        return self.at


@pytest.fixture
def epoch() -> VirtualEpoch:
    return VirtualEpoch(NOW)


@pytest.fixture
def bucket(epoch: VirtualEpoch) -> RateLimitBucket:
    return RateLimitBucket("u", clock=epoch.time, sleep=epoch.sleep)


def approx(values: list[float]) -> Any:
    # Epoch seconds near 1.8e9 are floats with a resolution of about 2.4e-7 s.
    return pytest.approx(values, abs=1e-6)


async def test_a_spent_bucket_sends_each_point_as_it_refills(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    # Empty, full in 60 s: the documented minute, 1 point a second for a 60-point bucket.
    bucket.update(budget(60, 0, NOW + 60))
    sends = Sends(bucket, epoch)
    sends.start(5)
    # Before: all five waited for the full bucket and went at 60 s.
    assert await sends.finish() == approx([1.0, 2.0, 3.0, 4.0, 5.0])
    assert [t.seq for t in sends.tickets] == [1, 2, 3, 4, 5]
    # All five fell asleep at once (nobody sleeps for another), each first for half its
    # wait (it looks again halfway in case answers show a faster refill).
    assert epoch.sleeps[:5] == approx([0.5, 1.0, 1.5, 2.0, 2.5])


async def test_points_left_go_at_once_then_the_rest_at_the_refill_rate(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    bucket.update(budget(60, 3, NOW + 57))
    sends = Sends(bucket, epoch)
    sends.start(6)
    assert await sends.finish() == approx([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])


async def test_the_refill_rate_is_read_from_the_headers(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    # 10 of 11 points missing and full in 5 s: at least 9 come back in 5 s (the count is
    # whole points), 1.8 a second, faster than the documented minute (11 / 60 s).
    bucket.update(budget(11, 1, NOW + 5))
    sends = Sends(bucket, epoch)
    sends.start(4)
    assert await sends.finish() == approx([0.0, 1 / 1.8, 2 / 1.8, 3 / 1.8])


async def test_answers_count_the_requests_still_in_flight(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    bucket.update(budget(60, 5, NOW + 55))
    sends = Sends(bucket, epoch)
    sends.start(5)
    assert await sends.finish() == approx([0.0] * 5)
    first = sends.tickets[0]
    # The answer to the first says 4 left: the other four were not counted by Twitch yet,
    # so none is left for a new request (reading "4 left" would send four into a 429).
    status = bucket.update(budget(60, 4, NOW + 56), first)
    assert status is not None and status.remaining == 4
    assert bucket.remaining == 0
    sends.start(2)
    assert (await sends.finish())[5:] == approx([1.0, 2.0])
    # The newest answer rebuilds the bound; an older one arriving late does not.
    bucket.update(budget(60, 0, NOW + 62), sends.tickets[-1])
    bucket.update(budget(60, 60, NOW + 3), sends.tickets[1])
    assert bucket.remaining == 0


async def test_cold_start_sends_one_request_until_its_answer_sets_the_pace(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    sends = Sends(bucket, epoch)
    sends.start(4)
    await epoch.settle()
    # One goes; the other three wait for its answer, not on the clock.
    assert sends.at == [0.0]
    assert epoch.sleeps == []
    # Its answer: 60 points, 2 left (after it), full in 58 s: 1 point a second.
    bucket.update(budget(60, 2, NOW + 58), sends.tickets[0])
    assert await sends.finish() == approx([0.0, 0.0, 0.0, 1.0])
    assert [t.seq for t in sends.tickets] == [1, 2, 3, 4]


async def test_cold_start_without_an_answer_lets_the_next_request_go_alone(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    sends = Sends(bucket, epoch)
    sends.start(3)
    await epoch.settle()
    assert len(sends.at) == 1
    # It never left (a refused connection): the next goes, alone again.
    bucket.release(sends.tickets[0])
    await epoch.settle()
    assert len(sends.at) == 2
    # That one failed after leaving (a timeout): settled without an answer, the next goes.
    bucket.settle(sends.tickets[1])
    bucket.settle(sends.tickets[1])  # idempotent
    await epoch.settle()
    assert len(sends.at) == 3
    assert epoch.sleeps == []
    await sends.finish()


async def test_cold_start_answered_without_a_budget_paces_nothing(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    sends = Sends(bucket, epoch)
    sends.start(5)
    await epoch.settle()
    assert len(sends.at) == 1
    assert bucket.update({}, sends.tickets[0]) is None
    # The server tells no budget: nothing to pace by, the others go.
    assert await sends.finish() == [0.0] * 5
    assert bucket.status() is None


async def test_waiters_wake_early_when_answers_show_a_faster_refill(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    # The probe's answer (1 point spent) proves no rate: the documented minute, 1/s.
    bucket.update(budget(60, 59, NOW + 1))
    sends = Sends(bucket, epoch)
    sends.start(62)
    await epoch.settle()
    assert len(sends.at) == 59
    assert epoch.sleeps == approx([0.5, 1.0, 1.5])  # halfway to 1, 2 and 3 s
    # The newest answer: empty, full in 6 s: at least 59 come back in 6 s.
    bucket.update(budget(60, 0, NOW + 6), sends.tickets[-1])
    assert (await sends.finish())[59:] == approx([6 / 59, 12 / 59, 18 / 59])


async def test_at_the_reset_the_bucket_is_full_less_what_was_sent_since(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    # 20 of 30 missing, full in 10 s: at least 19 points in 10 s, 1.9 a second.
    bucket.update(budget(30, 10, NOW + 10))
    sends = Sends(bucket, epoch)
    sends.start(10)
    assert await sends.finish() == approx([0.0] * 10)
    epoch.now += 10  # the reset: full again, nothing answered since
    assert bucket.remaining == 30 - 10
    sends.start(21)
    times = await sends.finish()
    assert times[10:30] == approx([10.0] * 20)
    # The 21st: the bucket was full at 10 s and refills at 1.9 a second from the last send.
    assert times[30] == pytest.approx(10 + 1 / 1.9)


async def test_a_429_forgets_the_learned_rate(bucket: RateLimitBucket, epoch: VirtualEpoch) -> None:
    bucket.update(budget(60, 0, NOW + 6))  # at least 59 in 6 s
    assert bucket.status() is not None
    waited = await asyncio.wait_for(_wait_for_reset(bucket, epoch), 5)
    assert waited == 6.0
    # Full at the reset; once spent, the refill is the documented minute again (1/s).
    sends = Sends(bucket, epoch)
    sends.start(61)
    times = await sends.finish()
    assert times[:60] == approx([6.0] * 60)
    assert times[60] == pytest.approx(6.0 + RESET_WINDOW_SECONDS / 60)


async def _wait_for_reset(bucket: RateLimitBucket, epoch: VirtualEpoch) -> float:
    task = asyncio.get_running_loop().create_task(bucket.wait_for_reset())
    await epoch.run_until(task.done)
    return await task


async def test_a_request_with_a_small_allowance_goes_when_it_runs_out(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    bucket.update(budget(60, 0, NOW + 60))
    task = asyncio.get_running_loop().create_task(bucket.acquire(max_wait=0.25))
    await epoch.run_until(task.done)
    ticket, waited = await task
    assert (ticket.seq, waited) == (1, 0.25)
    # A cancelled waiter leaves the line: the next one is first in it.
    sends = Sends(bucket, epoch)
    sends.start(2)
    await epoch.settle()
    sends.tasks[0].cancel()
    await asyncio.gather(sends.tasks[0], return_exceptions=True)
    sends.tasks = sends.tasks[1:]
    # Point 1 of the refill went to the impatient request; this one gets point 2.
    assert await sends.finish() == approx([2.0])


async def test_a_429_teaches_no_refill_rate(bucket: RateLimitBucket, epoch: VirtualEpoch) -> None:
    # As an answer, "empty, full in 30 s" would prove 59 points in 30 s (1.97 a second); a
    # 429 may be "unrelated to the general rate limit bucket" and proves nothing of it.
    bucket.update(budget(60, 0, NOW + 30), refused=True)
    sends = Sends(bucket, epoch)
    sends.start(2)
    # The documented minute: 1 point a second.
    assert await sends.finish() == approx([1.0, 2.0])


async def test_a_rate_a_little_above_the_documented_minute_is_clock_skew(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    # "Empty, full in 57 s" on our clock reads as 59 points in 57 s, 3.5 % above 60 points a
    # minute: our clock is ahead of Twitch's (3 s here); the documented minute paces.
    bucket.update(budget(60, 0, NOW + 57))
    sends = Sends(bucket, epoch)
    sends.start(2)
    assert await sends.finish() == approx([1.0, 2.0])


async def test_waiting_for_a_few_points_waits_for_their_refill_not_the_reset(
    bucket: RateLimitBucket, epoch: VirtualEpoch
) -> None:
    """EventSub's prepare() needs a point per subscription: with 2 of 800 left and the
    reset 55 s away, 5 points are 3 points of refill away (at the documented 800 a minute,
    one answer proves no faster), not 55 s."""
    assert await _wait_for_points(bucket, epoch, 5) == 0.0  # budget unknown: no wait
    bucket.update(budget(800, 2, NOW + 55))  # at least 798 points in 55 s
    waited = await _wait_for_points(bucket, epoch, 5)
    assert waited == pytest.approx(3 / (800 / RESET_WINDOW_SECONDS), abs=1e-5)
    assert bucket.remaining == 5
    assert await _wait_for_points(bucket, epoch, 5) == 0.0  # nothing taken: still there
    # More than the bucket holds waits for the full bucket: the reported reset.
    assert await _wait_for_points(bucket, epoch, 900) == pytest.approx(55 - waited, abs=1e-5)
    assert await _wait_for_points(bucket, epoch, 900) == 0.0
    assert [t.seq for t in [(await bucket.acquire())[0]]] == [1]  # the points are untouched


async def _wait_for_points(bucket: RateLimitBucket, epoch: VirtualEpoch, need: int) -> float:
    task = asyncio.get_running_loop().create_task(bucket.wait_for_points(need))
    await epoch.run_until(task.done)
    return await task
