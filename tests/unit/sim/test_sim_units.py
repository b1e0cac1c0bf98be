"""Unit tests of the simulator's building blocks: rate limiter, ids, cursors, indexes, faults."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from companion.sim.config import SimConfig
from companion.sim.faults import Faults
from companion.sim.ids import IdFactory, decode_cursor, encode_cursor, rfc3339
from companion.sim.ratelimit import RateLimiter
from companion.sim.records import RedemptionRecord, StatusIndex
from companion.sim.state import SimState

if TYPE_CHECKING:
    from companion.sim.events import DomainEvent


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_bucket_takes_refills_and_reports_reset() -> None:
    clock = FakeClock()
    limiter = RateLimiter(800, 60.0, clock)
    key = ("client", "user")
    first = limiter.take(key)
    assert (first.allowed, first.limit, first.remaining) == (True, 800, 799)
    for _ in range(799):
        limiter.take(key)
    empty = limiter.take(key)
    assert (empty.allowed, empty.remaining) == (False, 0)
    assert empty.reset == 1_000_060
    assert empty.headers() == {
        "Ratelimit-Limit": "800",
        "Ratelimit-Remaining": "0",
        "Ratelimit-Reset": "1000060",
    }
    clock.now += 30  # half the window: 400 points back
    assert limiter.take(key).remaining == 399
    assert limiter.take(("client", None)).remaining == 799  # app bucket is separate


def test_bucket_reports_whole_points_left_and_the_whole_second_it_is_full() -> None:
    clock = FakeClock()
    limiter = RateLimiter(800, 60.0, clock)
    key = ("client", "user")
    for _ in range(800):
        limiter.take(key)
    # 0.1 s later 1.33 points are back: one is taken, 0.33 left is "0" (whole points), and
    # the bucket is full 59.975 s later, so the reset is the next whole second after that.
    clock.now += 0.1
    taken = limiter.take(key)
    assert (taken.allowed, taken.remaining, taken.reset) == (True, 0, 1_000_061)
    # 0.02 s later 0.6 points: not one whole point, a 429 that takes nothing.
    clock.now += 0.02
    refused = limiter.take(key)
    assert (refused.allowed, refused.remaining, refused.reset) == (False, 0, 1_000_061)
    clock.now += 0.06  # 1.4 points
    assert limiter.take(key).allowed


def test_ids_are_deterministic_per_seed() -> None:
    a, b = IdFactory(5), IdFactory(5)
    assert [a.uuid(), a.token(), a.user_code()] == [b.uuid(), b.token(), b.user_code()]
    assert IdFactory(6).uuid() != IdFactory(5).uuid()
    ids = IdFactory(1)
    assert ids.numeric() == "100000001" and ids.numeric() == "100000002"
    assert len(ids.goal_id()) == 27


def test_cursor_round_trip_and_garbage() -> None:
    cursor = encode_cursor({"s": 12, "o": "OLDEST"})
    assert decode_cursor(cursor) == {"s": 12, "o": "OLDEST"}
    assert decode_cursor("!!!") is None
    assert decode_cursor(encode_cursor({"s": 1})[:-4]) is None  # truncated JSON
    assert decode_cursor(encode_cursor([1])) is None  # type: ignore[arg-type]


def test_rfc3339() -> None:
    assert rfc3339(0) == "1970-01-01T00:00:00Z"
    assert rfc3339(1.5, nanos=True) == "1970-01-01T00:00:01.500000000Z"


def _rec(seq: int) -> RedemptionRecord:
    return RedemptionRecord(f"r{seq}", seq, "reward", {"status": "UNFULFILLED"})


def test_status_index_pages_both_ways() -> None:
    index = StatusIndex()
    for seq in (1, 2, 3, 5, 4):
        index.add(_rec(seq))
    assert index.seqs == [1, 2, 3, 4, 5]
    assert [r.seq for r in index.page(newest_first=False, after_seq=None, limit=2)] == [1, 2]
    assert [r.seq for r in index.page(newest_first=False, after_seq=2, limit=2)] == [3, 4]
    assert [r.seq for r in index.page(newest_first=True, after_seq=None, limit=2)] == [5, 4]
    assert [r.seq for r in index.page(newest_first=True, after_seq=4, limit=9)] == [3, 2, 1]
    index.remove(index.by_seq[3])
    assert index.seqs == [1, 2, 4, 5] and len(index) == 4


def test_faults_consume_in_order_and_scope_by_prefix() -> None:
    faults = Faults(SimState(SimConfig()))
    faults.fail_next(1, 500, prefix="/helix/polls")
    faults.throttle_next(2)
    taken = faults.take("/helix/users")
    assert taken is not None and taken.kind == "throttle"
    taken = faults.take("/helix/polls")
    assert taken is not None and (taken.kind, taken.status) == ("status", 500)
    taken = faults.take("/helix/polls")
    assert taken is not None and taken.kind == "throttle"
    assert faults.take("/helix/polls") is None
    with pytest.raises(ValueError):
        faults.fail_next(1, 404)
    with pytest.raises(ValueError):
        faults.reset_next(0)
    with pytest.raises(ValueError):
        faults.malform_next(1, prefix="helix")


def test_failed_validation_leaves_state_untouched() -> None:
    from companion.sim import SimError

    state = SimState(SimConfig(seed=1))
    state.register_client("c")
    user = state.create_user("u")
    before = dict(state.channels[user["id"]].rewards)
    with pytest.raises(SimError):
        state.create_reward(user["id"], "c", {"title": "x" * 46, "cost": 1})
    assert state.channels[user["id"]].rewards == before
    seen: list[DomainEvent] = []
    state.add_listener(seen.append)
    with pytest.raises(SimError):
        state.create_prediction(user["id"], {"title": "t", "outcomes": [], "prediction_window": 60})
    assert seen == []


def test_listener_errors_do_not_break_state() -> None:
    state = SimState(SimConfig(seed=1))
    state.register_client("c")
    user = state.create_user("u")

    def boom(event: object) -> None:
        raise RuntimeError("listener bug")

    seen: list[DomainEvent] = []
    state.add_listener(boom)
    state.add_listener(seen.append)
    state.create_reward(user["id"], "c", {"title": "ok", "cost": 1})
    assert [e.kind for e in seen] == ["reward.add"]
    state.remove_listener(boom)
    state.remove_listener(boom)
