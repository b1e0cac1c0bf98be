"""The bounded body reader (:func:`companion.twitch.body.read_answer`) over real sockets.

A raw asyncio server on 127.0.0.1 writes each answer byte for byte (a Content-Length that
lies, a chunked body cut short, gzip), and a real aiohttp session reads it. Covered: a
declared length read in one go, chunked and close-delimited bodies, gzip with and without a
length (the declared length is the compressed one), bodies cut short with and without a
length (a network error, which the request loop retries for reads), and the cap at, one
past and far past its size, declared and streamed.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import TYPE_CHECKING

import aiohttp
import pytest

from companion.twitch import body as body_module
from companion.twitch.body import MAX_BODY_BYTES, read_answer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from companion.twitch.body import Answer

CAP = 1000


class RawServer:
    """Answers every request on 127.0.0.1 with the bytes of :attr:`reply` and closes."""

    def __init__(self) -> None:
        self.reply = b""
        self.server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/helix/x"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(self.reply)
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def raw() -> AsyncIterator[RawServer]:
    server = RawServer()
    await server.start()
    yield server
    await server.stop()


def _reply(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = "\r\n".join([f"HTTP/1.1 {status}", "Content-Type: application/json", *headers])
    return head.encode() + b"\r\n\r\n" + body


def _chunked(body: bytes, size: int = 100) -> bytes:
    parts = [
        b"%x\r\n" % len(body[i : i + size]) + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def _json(size: int) -> bytes:
    """A JSON document of exactly ``size`` bytes (size >= 13)."""
    body = b'{"data":["' + b"x" * (size - 13) + b'"]}'
    assert len(body) == size
    return body


async def _read(raw: RawServer, reply: bytes, cap: int = CAP) -> Answer:
    raw.reply = reply
    async with (
        aiohttp.ClientSession() as session,
        session.get(raw.url, headers={"Connection": "close"}) as response,
    ):
        return await read_answer(response, cap=cap)


async def test_a_declared_length_is_read_whole(raw: RawServer) -> None:
    body = _json(CAP)  # exactly the cap: allowed
    answer = await _read(raw, _reply(body, f"Content-Length: {len(body)}"))
    assert answer.problem is None
    assert answer.body == {"data": ["x" * (CAP - 13)]}
    assert answer.message == "OK"


async def test_chunked_and_close_delimited_bodies(raw: RawServer) -> None:
    body = _json(CAP)
    chunked = await _read(raw, _reply(_chunked(body), "Transfer-Encoding: chunked"))
    assert chunked.body == {"data": ["x" * (CAP - 13)]}
    until_close = await _read(raw, _reply(body, "Connection: close"))
    assert until_close.body == {"data": ["x" * (CAP - 13)]}


async def test_gzip_with_a_length_reads_the_inflated_body(raw: RawServer) -> None:
    # The declared length is the compressed one (a few dozen bytes): reading only that many
    # inflated bytes would cut the body.
    body = _json(900)
    packed = gzip.compress(body)
    assert len(packed) < 100
    reply = _reply(packed, "Content-Encoding: gzip", f"Content-Length: {len(packed)}")
    answer = await _read(raw, reply)
    assert answer.problem is None
    assert answer.body == {"data": ["x" * 887]}


async def test_gzip_that_inflates_past_the_cap_is_refused(raw: RawServer) -> None:
    packed = gzip.compress(_json(CAP * 50))
    for framing in (f"Content-Length: {len(packed)}", "Connection: close"):
        answer = await _read(raw, _reply(packed, "Content-Encoding: gzip", framing))
        assert answer.body is None
        assert answer.problem is not None
        assert answer.problem.startswith(f"is over the {CAP} bytes cap (went past it;")
        assert answer.retryable is False


async def test_a_declared_length_past_the_cap_is_not_read(raw: RawServer) -> None:
    answer = await _read(raw, _reply(b"", f"Content-Length: {CAP + 1}"))
    assert answer.body is None
    assert (
        answer.problem == f"is over the {CAP} bytes cap (declares {CAP + 1} bytes; it was not read)"
    )
    huge = await _read(raw, _reply(b"", f"Content-Length: {50 * MAX_BODY_BYTES}"), MAX_BODY_BYTES)
    assert huge.problem == (
        f"is over the 4 MiB cap (declares {50 * MAX_BODY_BYTES} bytes; it was not read)"
    )


async def test_a_streamed_body_past_the_cap_is_refused(raw: RawServer) -> None:
    answer = await _read(raw, _reply(_chunked(_json(CAP + 1)), "Transfer-Encoding: chunked"))
    assert answer.body is None
    assert answer.problem is not None
    assert answer.problem.startswith(f"is over the {CAP} bytes cap (went past it; reading stopped")


@pytest.mark.parametrize("sent", [0, 40])
async def test_a_body_cut_short_of_its_length_is_a_network_error(raw: RawServer, sent: int) -> None:
    body = _json(100)
    with pytest.raises(aiohttp.ClientPayloadError):
        await _read(raw, _reply(body[:sent], "Content-Length: 100"))


async def test_a_chunked_body_cut_short_is_a_network_error(raw: RawServer) -> None:
    cut = _chunked(_json(500))[:-30]
    with pytest.raises(aiohttp.ClientPayloadError):
        await _read(raw, _reply(cut, "Transfer-Encoding: chunked"))


async def test_empty_and_no_content(raw: RawServer) -> None:
    empty = await _read(raw, _reply(b"", "Content-Length: 0"))
    assert (empty.body, empty.problem) == (None, None)
    none = await _read(raw, _reply(b"", "Content-Length: 0", status="204 No Content"))
    assert (none.body, none.problem, none.message) == (None, None, "No Content")


async def test_a_declared_body_that_is_not_json_is_reported(raw: RawServer) -> None:
    body = b'{"data": [NaN]}'
    answer = await _read(raw, _reply(body, f"Content-Length: {len(body)}"))
    assert answer.body == body.decode()
    assert answer.problem is not None
    assert answer.problem.startswith("is not JSON (")
    assert answer.retryable is True


async def test_twitch_message_is_taken_from_the_body(raw: RawServer) -> None:
    body = json.dumps({"error": "Bad Request", "status": 400, "message": "Missing id"}).encode()
    reply = _reply(body, f"Content-Length: {len(body)}", status="400 Bad Request")
    answer = await _read(raw, reply)
    assert answer.message == "Missing id"
    assert answer.body["status"] == 400


class _Protocol:
    """What aiohttp's StreamReader asks of its protocol (flow control), doing nothing."""

    _reading_paused = False

    def pause_reading(self, **_flags: object) -> None:
        pass

    def resume_reading(self, **_flags: object) -> None:
        pass


class _Response:
    """A response whose body stream is aiohttp's own StreamReader, fed by the test."""

    def __init__(self, content: aiohttp.StreamReader, length: int) -> None:
        self.content = content
        self.content_length = length
        self.headers: dict[str, str] = {}


async def test_a_stream_that_ends_short_without_an_error_is_a_network_error() -> None:
    # aiohttp's parser reports a cut body itself (the tests above); should a stream ever just
    # end short, the one-read path must still say so as a ClientError, which the request
    # loop handles, and not let asyncio's IncompleteReadError escape.
    content = aiohttp.StreamReader(_Protocol(), 2**16, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
    content.feed_data(b'{"data":')
    content.feed_eof()
    with pytest.raises(aiohttp.ClientPayloadError, match="ended after 8 of its 100 bytes"):
        await body_module._read_capped(_Response(content, 100), CAP)  # type: ignore[arg-type]
