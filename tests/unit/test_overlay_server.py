"""The overlay server over loopback: start/stop, port in use, Host and Origin checks,
only its own files, the user CSS, and the live WebSocket."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

import aiohttp
import pytest

from companion.overlay.hub import OverlayHub
from companion.overlay.model import OverlayGoal
from companion.overlay.server import (
    PAGES,
    OverlayPortInUse,
    OverlayServer,
    OverlayServerError,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[OverlayServer]:
    overlay = OverlayServer(OverlayHub(), port=0, css_path=tmp_path / "overlays.css")
    await overlay.start()
    yield overlay
    await overlay.stop()


async def _raw_get(port: int, target: str, host: str | None = None) -> tuple[int, bytes]:
    """One HTTP/1.1 request written by hand, so the path and Host go out unchanged."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"GET {target} HTTP/1.1\r\n"
    if host is not None:
        head += f"Host: {host}\r\n"
    writer.write((head + "Connection: close\r\n\r\n").encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    await writer.wait_closed()
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


async def test_serves_every_page_with_strict_headers(server: OverlayServer) -> None:
    async with aiohttp.ClientSession() as session:
        for page in PAGES:
            async with session.get(server.page_url(page.name)) as response:
                body = await response.text()
                assert response.status == 200
                assert response.content_type == "text/html"
                assert f'data-page="{page.name}"' in body
                assert "/overlay/user.css" in body
                csp = response.headers["Content-Security-Policy"]
                assert "script-src 'self'" in csp
                assert (
                    f"connect-src ws://127.0.0.1:{server.port} ws://localhost:{server.port}" in csp
                )
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                assert "Server" not in response.headers
                assert "Set-Cookie" not in response.headers
        async with session.get(f"http://localhost:{server.port}/overlay/static/overlay.js") as r:
            assert r.status == 200
            assert r.content_type == "text/javascript"


async def test_binds_loopback_only_and_reports_its_port(server: OverlayServer) -> None:
    assert server.running
    assert server.port > 0
    assert server._runner is not None
    assert server._runner.addresses == [("127.0.0.1", server.port)]
    assert server.page_url("goals") == f"http://127.0.0.1:{server.port}/overlay/goals"
    assert (
        server.page_url("poll", {"result_seconds": "5", "color": "#ff0000", "accent": ""})
        == f"http://127.0.0.1:{server.port}/overlay/poll?result_seconds=5&color=%23ff0000"
    )
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    for address in addresses - {"127.0.0.1", "127.0.1.1", "::1"}:
        with pytest.raises(OSError):
            socket.create_connection((address, server.port), timeout=1).close()


def test_page_url_refuses_unknown_pages_and_options() -> None:
    overlay = OverlayServer(OverlayHub(), port=7480)
    with pytest.raises(ValueError, match="unknown overlay page 'chat'"):
        overlay.page_url("chat")
    with pytest.raises(ValueError, match="the goals page has no option 'result_seconds'"):
        overlay.page_url("goals", {"result_seconds": "3"})
    with pytest.raises(ValueError, match=r"overlay port must be 0\.\.65535, got 70000"):
        OverlayServer(OverlayHub(), port=70000)


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",  # DNS rebinding: a foreign name resolved to 127.0.0.1
        "127.0.0.1",  # no port
        "127.0.0.1:1",  # another port
        "localhost.evil.example:{port}",
        "0.0.0.0:{port}",
        None,  # no Host at all: aiohttp's parser refuses it (400) before we see it
    ],
)
async def test_foreign_host_is_refused(server: OverlayServer, host: str | None) -> None:
    header = host.format(port=server.port) if host is not None else None
    status, body = await _raw_get(server.port, "/overlay/goals", header)
    assert status == (421 if host is not None else 400)
    assert b"goals" not in body


async def test_localhost_host_in_any_case_is_served(server: OverlayServer) -> None:
    status, _ = await _raw_get(server.port, "/overlay/goals", f"LocalHost:{server.port}")
    assert status == 200


@pytest.mark.parametrize(
    "target",
    [
        "/overlay/static/../server.py",
        "/overlay/static/..%2fserver.py",
        "/overlay/static/%2e%2e/server.py",
        "/overlay/static/%2e%2e%2f%2e%2e%2fhub.py",
        "/overlay/static/%2E%2E%2Fmodel.py",
        "/overlay/static//etc/passwd",
        "/overlay/static/%2fetc%2fpasswd",
        "//etc/passwd",
        "/overlay/../companion/overlay/server.py",
        "/overlay/%2e%2e%2fserver.py",
        "/overlay/static/server.py",
        "/overlay/static/__init__.py",
        "/overlay/static/",
        "/overlay/chat",
        "/overlay/user.css/../server.py",
        "/",
    ],
)
async def test_serves_nothing_but_its_own_files(server: OverlayServer, target: str) -> None:
    status, body = await _raw_get(server.port, target, f"127.0.0.1:{server.port}")
    assert status == 404
    assert b"import" not in body
    assert b"root:" not in body


async def test_user_css_is_served_and_missing_means_empty(
    server: OverlayServer, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{server.port}/overlay/user.css"
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 200
            assert response.content_type == "text/css"
            assert await response.read() == b""
        (tmp_path / "overlays.css").write_text(".goal { color: red; }\n", encoding="utf-8")
        async with session.get(url) as response:
            assert await response.text() == ".goal { color: red; }\n"


async def test_user_css_defaults_to_the_data_folder(scratch_data_dir: Path) -> None:
    overlay = OverlayServer(OverlayHub(), port=0)
    assert overlay.css_path == scratch_data_dir / "overlays.css"


async def test_port_in_use_names_the_port_and_what_to_do(server: OverlayServer) -> None:
    second = OverlayServer(OverlayHub(), port=server.port)
    with pytest.raises(OverlayPortInUse) as caught:
        await second.start()
    message = str(caught.value)
    assert f"Port {server.port} on 127.0.0.1 is already in use" in message
    assert "choose another overlay port in the Overlays tab" in message
    assert caught.value.port == server.port
    assert isinstance(caught.value, OverlayServerError)
    assert not second.running
    await second.stop()  # nothing to stop: still fine


async def test_websocket_snapshot_then_updates(server: OverlayServer) -> None:
    hub = server.hub
    hub.set_goals([OverlayGoal("g1", "follower", "Road", 1, 10)])
    url = f"ws://127.0.0.1:{server.port}/overlay/ws?page=goals"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        first = await ws.receive_json(timeout=5)
        assert first["type"] == "snapshot"
        assert first["goals"][0]["current"] == 1
        assert [(s.page, s.remote_port) for s in hub.connected_sources()] == [
            ("goals", ws._response.connection.transport.get_extra_info("sockname")[1])  # type: ignore[union-attr]
        ]
        hub.set_goals([OverlayGoal("g1", "follower", "Road", 2, 10)])
        second = await ws.receive_json(timeout=5)
        assert second["goals"][0]["current"] == 2
    for _ in range(100):
        if not hub.connected_sources():
            break
        await asyncio.sleep(0.01)
    assert hub.connected_sources() == []


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1:{port}"]
)
async def test_websocket_from_a_foreign_origin_is_refused(
    server: OverlayServer, origin: str
) -> None:
    url = f"ws://127.0.0.1:{server.port}/overlay/ws?page=alerts"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await session.ws_connect(url, origin=origin.format(port=server.port))
    assert caught.value.status == 403
    assert server.hub.connected_sources() == []


async def test_websocket_from_its_own_origin_and_bad_page(server: OverlayServer) -> None:
    base = f"ws://127.0.0.1:{server.port}/overlay/ws"
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(
            f"{base}?page=alerts", origin=f"http://localhost:{server.port}"
        ) as ws:
            assert (await ws.receive_json(timeout=5))["page"] == "alerts"
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await session.ws_connect(f"{base}?page=secrets")
        assert caught.value.status == 400


async def test_stop_closes_pages_and_start_again_serves(server: OverlayServer) -> None:
    port = server.port
    url = f"ws://127.0.0.1:{port}/overlay/ws?page=queue"
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url)
        await ws.receive_json(timeout=5)
        await server.stop()
        assert not server.running
        closing = await ws.receive(timeout=5)
        assert closing.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
        await ws.close()
        assert server.hub.connected_sources() == []
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"http://127.0.0.1:{port}/overlay/queue")
        await server.stop()  # idempotent
        restarted = OverlayServer(server.hub, port=port)
        await restarted.start()
        try:
            async with session.get(restarted.page_url("queue")) as response:
                assert response.status == 200
        finally:
            await restarted.stop()


class StuckSocket:
    """A page's socket whose browser reads nothing: every send waits for ever."""

    def __init__(self) -> None:
        self.closed = False
        self.sent: list[str] = []
        self.close_codes: list[int] = []

    async def send_str(self, text: str) -> None:
        self.sent.append(text)
        await asyncio.Event().wait()

    async def close(self, *, code: int, message: bytes = b"") -> bool:
        self.close_codes.append(code)
        self.closed = True
        return True


async def test_a_page_that_reads_nothing_is_closed_not_buffered_for_ever(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from aiohttp import WSCloseCode

    from companion.overlay.server import SEND_BACKLOG_LIMIT, _PageConnection

    socket_ = StuckSocket()
    connection = _PageConnection(socket_)  # type: ignore[arg-type]
    for number in range(SEND_BACKLOG_LIMIT + 5):
        connection.send_text(str(number))
    for _ in range(3):
        await asyncio.sleep(0)
    assert socket_.close_codes == [WSCloseCode.TRY_AGAIN_LATER]
    # The backlog was dropped, not kept or sent; the page gets a fresh snapshot when it
    # reconnects, and nothing more goes to this socket.
    assert socket_.sent == []
    connection.send_text("late")
    await asyncio.sleep(0)
    assert socket_.sent == []
    assert "overlay page reads nothing" in caplog.text
    await connection.aclose()


async def test_websocket_to_a_foreign_host_is_refused(server: OverlayServer) -> None:
    url = f"ws://127.0.0.1:{server.port}/overlay/ws?page=goals"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await session.ws_connect(url, headers={"Host": f"rebound.example:{server.port}"})
    assert caught.value.status == 421
    assert server.hub.connected_sources() == []
