"""Hostile-input drills on the rate limit: ``Ratelimit-*`` headers no Twitch would send.

The real request loop (:class:`HTTPHandler`) talks to :class:`HostileServer` over loopback;
the rate-limit buckets run on :class:`FakeEpoch` time, so a wait of a minute is recorded,
not slept. Faults (issue 20, item 6; outcomes in docs/reliability.md):

* headers that cannot be a budget (``Ratelimit-Reset: 1e20``, negative, days away, text)
  are ignored as if absent: the answer is used, the budget stays unknown, nothing waits;
* a 429 whose reset is an hour away waits one minute (Twitch's bucket refills within one),
  and one request never waits more than that in total;
* a request waiting after a 429 does not hold up other requests of the same user;
* a 429 without a usable reset backs off (jittered) instead of retrying at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from companion.twitch.errors import RateLimited
from companion.twitch.http import HTTPHandler, Route
from companion.twitch.models.users import PartialUser
from companion.twitch.ratelimit import RESET_WINDOW_SECONDS, RateLimitBucket
from tests.helpers.fake_clock import FakeEpoch
from tests.helpers.hostile_server import USER_ID, HelixHit, HostileServer, handler_for

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop

GOALS = Route("GET", "goals", params={"broadcaster_id": USER_ID})
STREAMS = Route("GET", "streams", params={"user_id": USER_ID})


@contextlib.asynccontextmanager
async def fake_time_handler(
    server: HostileServer, epoch: FakeEpoch, **options: Any
) -> AsyncIterator[HTTPHandler]:
    http = handler_for(
        server,
        bucket_factory=lambda key: RateLimitBucket(key, clock=epoch.time, sleep=epoch.sleep),
        **options,
    )
    try:
        yield http
    finally:
        await http.close()


def budget(limit: Any, remaining: Any, reset: Any) -> dict[str, str]:
    return {
        "Ratelimit-Limit": str(limit),
        "Ratelimit-Remaining": str(remaining),
        "Ratelimit-Reset": str(reset),
    }


def ok(headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"data": [{"id": "1"}]}, headers=headers)


def too_many(headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": "Too Many Requests", "status": 429, "message": "Too Many Requests"}
    return web.json_response(body, status=429, headers=headers)


NOW = time.time()
ABSURD = {
    "reset 1e20": budget(800, 799, "1e20"),
    "reset 10**20": budget(800, 799, 10**20),
    "reset negative": budget(800, 799, -5),
    "reset ten days away": budget(800, 0, int(NOW) + 10 * 86_400),
    "reset not a number": budget(800, 799, "soon"),
    "reset NaN": budget(800, 0, "NaN"),
    "remaining negative": budget(800, -1, int(NOW) + 30),
    "remaining above limit": budget(800, 801, int(NOW) + 30),
    "limit zero": budget(0, 0, int(NOW) + 30),
    "limit text": budget("many", 0, int(NOW) + 30),
    "remaining a float": budget(800, "1e3", int(NOW) + 30),
}


@pytest.mark.parametrize("headers", ABSURD.values(), ids=ABSURD.keys())
async def test_absurd_ratelimit_headers_count_as_absent(
    hostile: HostileServer, headers: dict[str, str]
) -> None:
    epoch = FakeEpoch(NOW)

    async def answer(request: web.Request, hit: HelixHit) -> web.StreamResponse:
        return ok(headers)

    hostile.helix_script = answer
    async with fake_time_handler(hostile, epoch) as http:
        user = PartialUser(http, USER_ID)
        for _ in range(3):
            assert await http.request(GOALS, user=user) == {"data": [{"id": "1"}]}
        assert http.ratelimit is None
        assert http.ratelimit_for(USER_ID) is None
    assert len(hostile.hits("/goals")) == 3
    assert epoch.sleeps == []


async def test_429_with_a_reset_an_hour_away_waits_one_window_at_most(
    hostile: HostileServer,
) -> None:
    epoch = FakeEpoch(NOW)

    async def answer(request: web.Request, hit: HelixHit) -> web.StreamResponse:
        if hit.path == "/goals":  # this endpoint is "limited" for an hour, every time
            return too_many(budget(800, 0, int(epoch.now) + 3600))
        return ok(budget(800, 799, int(epoch.now) + 60))

    hostile.helix_script = answer
    async with fake_time_handler(hostile, epoch) as http:
        user = PartialUser(http, USER_ID)
        with pytest.raises(RateLimited):
            await http.request(GOALS, user=user)
        # One wait of one window, one retry, then the 429 is reported: not four hours.
        assert epoch.sleeps == [RESET_WINDOW_SECONDS]
        assert len(hostile.hits("/goals")) == 2
        status = http.ratelimit_for(USER_ID)
        assert status is not None and status.remaining == 0
        # Clamped to the window (a datetime holds microseconds: allow their rounding).
        assert status.reset.timestamp() <= epoch.now + RESET_WINDOW_SECONDS + 1e-6

        # Another endpoint of the same user: the bucket is empty, so it waits for the
        # (clamped) reset like Twitch's bucket asks, then goes out once.
        assert await http.request(STREAMS, user=user) == {"data": [{"id": "1"}]}
        assert len(epoch.sleeps) == 2
        assert 0 < epoch.sleeps[1] <= RESET_WINDOW_SECONDS
        assert len(hostile.hits("/streams")) == 1


async def test_a_request_waiting_after_a_429_does_not_hold_up_others(
    hostile: HostileServer,
) -> None:
    # Every wait on rate-limit time hangs until release(): a request "still sleeping".
    epoch = FakeEpoch(NOW, hold=True)

    async def answer(request: web.Request, hit: HelixHit) -> web.StreamResponse:
        goals = len(hostile.hits("/goals"))
        if hit.path == "/goals" and goals == 1:
            return ok(budget(800, 700, int(epoch.now) + 3600))
        if hit.path == "/goals" and goals == 2:
            return too_many()  # no Ratelimit-* headers at all: not the bucket's word
        return ok(budget(800, 690, int(epoch.now) + 50))

    hostile.helix_script = answer
    async with fake_time_handler(hostile, epoch) as http:
        user = PartialUser(http, USER_ID)
        await http.request(GOALS, user=user)
        limited = asyncio.get_running_loop().create_task(http.request(GOALS, user=user))
        try:
            await hostile.until(lambda: len(hostile.hits("/goals")) == 2)
            await hostile.until(lambda: len(epoch.sleeps) == 1)  # it sleeps after its 429
            async with asyncio.timeout(5):
                assert await http.request(STREAMS, user=user) == {"data": [{"id": "1"}]}
            assert not limited.done()
            epoch.release()
            async with asyncio.timeout(5):
                assert await limited == {"data": [{"id": "1"}]}
        finally:
            epoch.release()
            limited.cancel()
            await asyncio.gather(limited, return_exceptions=True)
        # Its one wait was its own short backoff, not a bucket-wide minute.
        [wait] = epoch.sleeps
        assert 0 < wait <= 0.01
        assert len(hostile.hits("/goals")) == 3  # 200, a headerless 429, then 200
        assert len(hostile.hits("/streams")) == 1


async def test_429_without_a_usable_reset_backs_off(hostile: HostileServer) -> None:
    epoch = FakeEpoch(NOW)

    async def answer(request: web.Request, hit: HelixHit) -> web.StreamResponse:
        return too_many(budget(800, 0, int(epoch.now) - 30))  # a reset already past

    hostile.helix_script = answer
    base = 0.2
    async with fake_time_handler(hostile, epoch, retry_base_delay=base) as http:
        with pytest.raises(RateLimited):
            await http.request(GOALS, user=PartialUser(http, USER_ID))
    assert len(hostile.hits("/goals")) == 5
    # Four jittered backoffs between the five tries, each in [base * 2**n / 2, base * 2**n]:
    # never a tight loop of retries.
    assert len(epoch.sleeps) == 4
    for n, wait in enumerate(epoch.sleeps):
        assert base * 2**n / 2 <= wait <= base * 2**n
