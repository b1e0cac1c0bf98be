"""The app's loop watches sockets without leaking references to ``None``.

qasync watches each socket with a new ``QSocketNotifier`` whose ``activated`` signal is
connected to a lambda, and disconnects it when the socket is no longer watched. With
PySide6 6.10 every such notifier leaves about three references to ``None`` behind once it
is gone (a connect, an emission and a disconnect on a QObject that is then destroyed; no
Python object holds them, so only ``sys.getrefcount`` sees them). Every TCP connection
watches its socket at least once, so the 8-hour soak's overlay sources (five reconnected
every 20 s) grew ``None`` by about 3,300. The loop now keeps one notifier per descriptor
number, connected once and reused by every socket that gets that number.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import sys
import warnings

import pytest

from companion.qtloop import CompanionEventLoop

CONNECTIONS = 200


def none_refs() -> int:
    gc.collect()
    return sys.getrefcount(None)


async def echo_round_trips(count: int) -> None:
    """``count`` loopback TCP connections, each one request and answer, then closed."""

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        for number in range(count):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"line {number}\n".encode())
            assert await reader.readline() == f"line {number}\n".encode()
            writer.close()
            await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.qt_loop
async def test_connections_leave_the_reference_count_of_none_alone() -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, CompanionEventLoop)
    await echo_round_trips(10)  # first-use caches (codecs, asyncio internals) settle here
    # The loop's own self-pipe is watched all along.
    watched = (set(loop._read_notifiers), set(loop._write_notifiers))
    pooled = len(loop._notifiers)
    before = none_refs()
    await echo_round_trips(CONNECTIONS)
    await asyncio.sleep(0.05)  # the last closes' callbacks
    growth = none_refs() - before
    # Before the fix: +1,300 to +1,450 for these 200 connections (each watched on both
    # ends). Some slack for a stray first-use cache; a leak per connection is far above it.
    assert growth <= 10, f"None gained {growth} references over {CONNECTIONS} connections"
    assert (set(loop._read_notifiers), set(loop._write_notifiers)) == watched
    # One notifier per descriptor number and kind, reused: each connection's two sockets
    # get the numbers the previous one freed.
    assert len(loop._notifiers) == pooled


@pytest.mark.qt_loop
async def test_readers_and_writers_run_once_per_readiness_and_stop_when_removed() -> None:
    loop = asyncio.get_running_loop()
    watched = (set(loop._read_notifiers), set(loop._write_notifiers))
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    theirs.setblocking(False)
    got: list[bytes] = []
    readable = asyncio.Event()

    def on_readable() -> None:
        got.append(ours.recv(100))
        readable.set()

    try:
        loop.add_reader(ours.fileno(), on_readable)
        for chunk in (b"one", b"two"):
            readable.clear()
            theirs.send(chunk)
            await asyncio.wait_for(readable.wait(), 2)
        assert got == [b"one", b"two"]
        assert loop.remove_reader(ours.fileno()) is True
        assert loop.remove_reader(ours.fileno()) is False
        theirs.send(b"unheard")
        await asyncio.sleep(0.05)
        assert got == [b"one", b"two"]

        # A new reader for the same socket replaces the old one.
        first: list[str] = []
        loop.add_reader(ours.fileno(), first.append, "first")
        loop.add_reader(ours.fileno(), on_readable)
        readable.clear()
        await asyncio.wait_for(readable.wait(), 2)
        assert first == []
        assert got == [b"one", b"two", b"unheard"]
        assert loop.remove_reader(ours.fileno()) is True

        writable = asyncio.Event()
        writes: list[int] = []

        def on_writable() -> None:
            writes.append(ours.send(b"w"))
            loop.remove_writer(ours.fileno())
            writable.set()

        loop.add_writer(ours.fileno(), on_writable)
        await asyncio.wait_for(writable.wait(), 2)
        await asyncio.sleep(0.05)
        assert writes == [1]
        assert theirs.recv(10) == b"w"
        assert (set(loop._read_notifiers), set(loop._write_notifiers)) == watched
    finally:
        loop.remove_reader(ours.fileno())
        loop.remove_writer(ours.fileno())
        ours.close()
        theirs.close()


@pytest.mark.qt_loop
async def test_a_reader_that_raises_goes_to_the_loop_and_keeps_watching() -> None:
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    errors: list[str] = []
    calls: list[bytes] = []
    called = asyncio.Event()
    loop.set_exception_handler(lambda _loop, context: errors.append(str(context["exception"])))

    def on_readable() -> None:
        calls.append(ours.recv(100))
        called.set()
        if len(calls) == 1:
            raise RuntimeError("reader broke")

    try:
        loop.add_reader(ours.fileno(), on_readable)
        theirs.send(b"a")
        await asyncio.wait_for(called.wait(), 2)
        called.clear()
        theirs.send(b"b")
        await asyncio.wait_for(called.wait(), 2)
        assert calls == [b"a", b"b"]
        assert errors == ["reader broke"]
    finally:
        loop.set_exception_handler(None)
        loop.remove_reader(ours.fileno())
        ours.close()
        theirs.close()


def test_closing_the_loop_with_a_socket_still_watched_is_quiet(qapp: object) -> None:
    loop = CompanionEventLoop(qapp)
    ours, theirs = socket.socketpair()
    try:
        loop.add_reader(ours.fileno(), lambda: None)
        loop.add_writer(ours.fileno(), lambda: None)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loop.close()
        assert loop.is_closed()
    finally:
        ours.close()
        theirs.close()
