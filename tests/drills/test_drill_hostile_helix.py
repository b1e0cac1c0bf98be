"""Hostile-input drills on Helix bodies: answers too big, too deep, too slow or not JSON.

The real request loop (:class:`HTTPHandler`) against :class:`HostileServer` over loopback.
Faults (issue 20, item 10; outcomes in docs/reliability.md):

* a 50 MiB answer (declared or streamed) is refused after at most the 4 MiB cap was read;
* a large answer is parsed in a worker thread, a small one inline;
* nesting deeper than the parser allows is a :class:`PayloadError`, not a RecursionError;
* an endless slow body fails within the request's time budget, without retries past it;
* a malformed JSON answer to a GET is retried like a 5xx; to a write it is reported at once
  (the write may have been applied).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from companion.twitch import body as body_module
from companion.twitch.errors import NetworkError, PayloadError
from companion.twitch.http import Route
from companion.twitch.models.users import PartialUser
from tests.helpers.hostile_server import USER_ID, HelixHit, HostileServer, handler_for

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from companion.twitch.http import HTTPHandler

pytestmark = pytest.mark.qt_loop

MiB = 1024 * 1024
GOALS = Route("GET", "goals", params={"broadcaster_id": USER_ID})
CREATE = Route("POST", "channel_points/custom_rewards", json={"title": "t", "cost": 1})


@contextlib.asynccontextmanager
async def handler(server: HostileServer, **options: Any) -> AsyncIterator[HTTPHandler]:
    http = handler_for(server, **options)
    try:
        yield http
    finally:
        await http.close()


class Streamed:
    """A handler that streams ``total`` bytes of one JSON string and counts what it wrote."""

    def __init__(self, total: int, *, declare_length: bool) -> None:
        self.total = total
        self.declare_length = declare_length
        self.written = 0

    async def __call__(self, request: web.Request, hit: HelixHit) -> web.StreamResponse:
        head, tail = b'{"data": ["', b'"]}'
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        if self.declare_length:
            response.content_length = self.total
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"x" * MiB
        try:
            await response.write(head)
            self.written = len(head)
            while self.written + len(chunk) + len(tail) <= self.total:
                await response.write(chunk)
                self.written += len(chunk)
            await response.write(b"x" * (self.total - self.written - len(tail)) + tail)
            self.written = self.total
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client stopped reading: what it took is counted
        return response


@pytest.mark.parametrize("declare_length", [True, False], ids=["Content-Length", "chunked"])
async def test_50_mib_answer_is_refused_after_at_most_the_cap(
    hostile: HostileServer, declare_length: bool
) -> None:
    stream = Streamed(50 * MiB, declare_length=declare_length)
    hostile.helix_script = stream
    async with handler(hostile) as http:
        with pytest.raises(PayloadError) as caught:
            await http.request(GOALS, user=PartialUser(http, USER_ID))
    assert "over the 4 MiB cap" in str(caught.value)
    assert len(hostile.hits("/goals")) == 1  # not retried: a second try is as big
    # The client stopped reading early: at most the cap plus the sockets' buffers went out.
    await hostile.until(lambda: stream.written < 50 * MiB)
    assert stream.written < 25 * MiB


async def test_large_answer_is_parsed_off_the_event_loop(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = 400_000
    large = b'{"data": [' + b",".join([b"0"] * items) + b"]}"
    small = b'{"data": [0, 0, 0]}'

    async def answer(request: web.Request, hit: HelixHit) -> web.StreamResponse:
        text = large if len(hostile.helix) == 1 else small
        return web.Response(body=text, content_type="application/json")

    decoded: list[tuple[int, bool]] = []
    decode = body_module.decode_json

    def recording(raw: bytes, **options: Any) -> Any:
        decoded.append((len(raw), threading.current_thread() is threading.main_thread()))
        return decode(raw, **options)

    monkeypatch.setattr(body_module, "decode_json", recording)
    hostile.helix_script = answer
    async with handler(hostile) as http:
        user = PartialUser(http, USER_ID)
        body = await http.request(GOALS, user=user)
        assert len(body["data"]) == items
        assert await http.request(GOALS, user=user) == {"data": [0, 0, 0]}
    # The 0.8 MB answer was decoded in a worker thread, the small one on the loop's thread.
    assert decoded == [(len(large), False), (len(small), True)]


async def test_nesting_deeper_than_the_parser_allows_is_a_payload_error(
    hostile: HostileServer,
) -> None:
    depth = 200_000
    deep = b'{"data": ' + b"[" * depth + b"]" * depth + b"}"

    async def answer(request: web.Request, hit: HelixHit) -> web.StreamResponse:
        return web.Response(body=deep, content_type="application/json")

    hostile.helix_script = answer
    async with handler(hostile) as http:
        with pytest.raises(PayloadError) as caught:
            await http.request(GOALS, user=PartialUser(http, USER_ID))
    assert "not JSON" in str(caught.value)
    assert len(hostile.hits("/goals")) == 5  # a GET: retried like a 5xx, max_tries in all


async def test_endless_slow_body_fails_within_the_time_budget(hostile: HostileServer) -> None:
    async def trickle(request: web.Request, hit: HelixHit) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.write(b'{"data": ["')
            while True:  # a byte every 0.1 s, for ever: no read ever waits long
                await asyncio.sleep(0.1)
                await response.write(b"x")
        return response

    hostile.helix_script = trickle
    async with handler(hostile, timeout=1.5) as http:
        with pytest.raises(NetworkError) as caught:
            await http.request(GOALS, user=PartialUser(http, USER_ID))
    # The first try used up the request's whole budget: no retry was started past it.
    assert len(hostile.hits("/goals")) == 1
    assert "1.5 s" in str(caught.value)


def cut_json(request: web.Request, hit: HelixHit) -> web.Response:
    return web.Response(body=b'{"data": [{"id": "1"', content_type="application/json")


async def test_malformed_json_is_retried_on_reads_and_reported_on_writes(
    hostile: HostileServer,
) -> None:
    async def answer(request: web.Request, hit: HelixHit) -> web.StreamResponse:
        if hit.path == "/goals" and len(hostile.hits("/goals")) <= 2:
            return cut_json(request, hit)
        if hit.path == "/goals":
            return web.json_response({"data": [{"id": "1"}]})
        return cut_json(request, hit)

    hostile.helix_script = answer
    async with handler(hostile) as http:
        user = PartialUser(http, USER_ID)
        # A read: two cut answers, then a good one.
        assert await http.request(GOALS, user=user) == {"data": [{"id": "1"}]}
        assert len(hostile.hits("/goals")) == 3
        # A write: the cut answer may stand for an applied change, so it is not resent.
        with pytest.raises(PayloadError) as caught:
            await http.request(CREATE, user=user)
        assert "may have been applied" in str(caught.value)
        assert len(hostile.hits("/channel_points/custom_rewards")) == 1


async def test_malformed_json_on_every_try_is_a_payload_error(hostile: HostileServer) -> None:
    async def answer(request: web.Request, hit: HelixHit) -> web.StreamResponse:
        return cut_json(request, hit)

    hostile.helix_script = answer
    async with handler(hostile) as http:
        with pytest.raises(PayloadError) as caught:
            await http.request(GOALS, user=PartialUser(http, USER_ID))
    assert str(caught.value).startswith("GET /goals: the 200 answer is not JSON")
    assert len(hostile.hits("/goals")) == 5
