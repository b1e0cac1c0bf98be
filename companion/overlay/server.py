"""The overlay web server: the pages, their files, the user CSS and one WebSocket per page.

It runs on the app's asyncio loop (aiohttp's server), bound to 127.0.0.1 only, and
answers only requests addressed to ``127.0.0.1:<port>`` or ``localhost:<port>``: a web
page elsewhere that points a DNS name at 127.0.0.1 (DNS rebinding) gets 421, and a
WebSocket upgrade from a foreign ``Origin`` gets 403. It serves only the files packaged
in ``companion/overlay/static/`` (read into memory at start; a request path is looked
up by name, never joined to a folder) plus the user CSS file. No response carries a
token or anything a page does not show on stream.

Routes:
    ``/overlay/<page>`` a page (``goals``, ``prediction``, ``poll``, ``alerts``, ``queue``)
    ``/overlay/static/<file>`` the pages' shared script and style sheet
    ``/overlay/user.css`` the user's ``overlays.css`` from the data folder (empty if none)
    ``/overlay/ws?page=<page>`` the page's live updates (see :mod:`companion.overlay.hub`)
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import WSCloseCode, WSMsgType, web

from companion.core.paths import data_dir_path
from companion.overlay.hub import PAGE_NAMES

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from companion.overlay.hub import OverlayHub

_log = logging.getLogger(__name__)

DEFAULT_PORT = 7480
BIND_HOST = "127.0.0.1"
USER_CSS_NAME = "overlays.css"
STATIC_DIR = Path(__file__).resolve().parent / "static"

# A user style sheet is a few kilobytes; a bigger file is a mistake (or not CSS at all)
# and is cut rather than read whole on the app's loop.
USER_CSS_MAX_BYTES = 256 * 1024
# Messages waiting for one page before the server gives up on it: a page that reads
# nothing for this long is closed and, once it reconnects, gets a fresh snapshot.
SEND_BACKLOG_LIMIT = 256
# aiohttp waits this long for open requests when the server stops, and a page's socket
# this long for the page to answer its close.
SHUTDOWN_TIMEOUT_S = 1.0
CLOSE_TIMEOUT_S = 1.0

_CONTENT_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


@dataclass(frozen=True, slots=True)
class PageOption:
    """One URL option of a page.

    Attributes:
        name: The query parameter.
        label: A short label for the Overlays panel.
        kind: ``"number"``, ``"color"`` (``#rgb``/``#rrggbb``/``#rrggbbaa`` or a CSS
            colour name) or ``"list"`` (comma-separated ids or titles).
        default: The value the page uses when the option is absent (``""``: none).
        description: One sentence for a tooltip.
    """

    name: str
    label: str
    kind: str
    default: str
    description: str


@dataclass(frozen=True, slots=True)
class OverlayPage:
    """One overlay page a streamer adds as a browser source."""

    name: str
    title: str
    description: str
    options: tuple[PageOption, ...]


_STYLE_OPTIONS = (
    PageOption("font_size", "Font size", "number", "28", "Text size in pixels."),
    PageOption("color", "Text colour", "color", "#ffffff", "Colour of the text."),
    PageOption("accent", "Accent colour", "color", "#9146ff", "Colour of bars and highlights."),
    PageOption(
        "background", "Panel colour", "color", "#000000a0", "Colour behind the text and bars."
    ),
)
_RESULT_OPTION = PageOption(
    "result_seconds",
    "Show result for (s)",
    "number",
    "15",
    "Seconds the result stays on screen after it ends (0: hide at once).",
)
_REWARDS_OPTION = PageOption(
    "rewards",
    "Rewards",
    "list",
    "",
    "Comma-separated reward ids or titles to show (empty: all).",
)

PAGES: tuple[OverlayPage, ...] = (
    OverlayPage(
        "goals",
        "Goals",
        "Each active creator goal as a bar with current and target.",
        (
            *_STYLE_OPTIONS,
            PageOption(
                "goals",
                "Goals",
                "list",
                "",
                "Comma-separated goal ids or types (follower, subscription, ...); empty: all.",
            ),
        ),
    ),
    OverlayPage(
        "prediction",
        "Prediction",
        "The running prediction live, then its result for a while.",
        (*_STYLE_OPTIONS, _RESULT_OPTION),
    ),
    OverlayPage(
        "poll",
        "Poll",
        "The running poll live, then its result for a while.",
        (*_STYLE_OPTIONS, _RESULT_OPTION),
    ),
    OverlayPage(
        "alerts",
        "Redemption alerts",
        "One alert per redemption (viewer, reward, input), one after another.",
        (*_STYLE_OPTIONS, _REWARDS_OPTION),
    ),
    OverlayPage(
        "queue",
        "Queue ticker",
        "A compact line of the redemptions waiting in the queue.",
        (
            *_STYLE_OPTIONS,
            _REWARDS_OPTION,
            PageOption("max", "Items shown", "number", "5", "How many waiting redemptions."),
        ),
    ),
)
assert tuple(page.name for page in PAGES) == PAGE_NAMES  # one list of pages, two views


class OverlayServerError(Exception):
    """The overlay server could not start; ``str()`` is a sentence for the user."""


class OverlayPortInUse(OverlayServerError):
    """The overlay port is taken by another program (or another copy of the app)."""

    def __init__(self, port: int) -> None:
        super().__init__(
            f"Port {port} on 127.0.0.1 is already in use by another program, so the "
            "overlays cannot start. Close that program (or the other copy of Streamer "
            "Companion), or choose another overlay port in the Overlays tab."
        )
        self.port = port


def _load_static_files() -> dict[str, tuple[bytes, str]]:
    """Every packaged page file by name, with its content type (read once per start)."""
    files: dict[str, tuple[bytes, str]] = {}
    for path in sorted(STATIC_DIR.iterdir()):
        content_type = _CONTENT_TYPES.get(path.suffix)
        if path.is_file() and content_type is not None:
            files[path.name] = (path.read_bytes(), content_type)
    missing = [f"{page}.html" for page in PAGE_NAMES if f"{page}.html" not in files]
    if missing:
        raise OverlayServerError(
            f"The overlay page files are missing ({', '.join(missing)}): reinstall the app."
        )
    return files


async def _without_server_header(request: web.Request, response: web.StreamResponse) -> None:
    # A stream's pages need not tell anyone which Python and aiohttp the app runs.
    response.headers.pop("Server", None)


class _PageConnection:
    """One page's WebSocket as an :class:`~companion.overlay.hub.OverlaySink`.

    The hub calls :meth:`send_text` synchronously; a writer task sends in order.
    """

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws
        self._backlog: deque[str] = deque()
        self._wake = asyncio.Event()
        self._closed = False
        self._closing: asyncio.Task[bool] | None = None
        self._writer = asyncio.get_running_loop().create_task(
            self._write(), name="overlay-page-writer"
        )

    def send_text(self, text: str) -> None:
        if self._closed:
            return
        if len(self._backlog) >= SEND_BACKLOG_LIMIT:
            _log.warning("overlay page reads nothing; closing it so it reconnects afresh")
            self._closed = True
            self._backlog.clear()
            # Kept referenced until done (a bare task could be collected mid-close).
            self._closing = asyncio.get_running_loop().create_task(
                self._ws.close(code=WSCloseCode.TRY_AGAIN_LATER), name="overlay-page-close"
            )
            return
        self._backlog.append(text)
        self._wake.set()

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._backlog and not self._ws.closed:
                try:
                    await self._ws.send_str(self._backlog.popleft())
                except ConnectionError:
                    return

    async def aclose(self) -> None:
        self._closed = True
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        if self._closing is not None:
            await self._closing


class OverlayServer:
    """Serves the overlay pages on ``127.0.0.1:port`` from the app's asyncio loop.

    Args:
        hub: The state the pages show.
        port: The TCP port (``0`` picks a free one, for tests).
        css_path: The user style sheet; defaults to ``overlays.css`` in the data folder.
    """

    def __init__(
        self, hub: OverlayHub, *, port: int = DEFAULT_PORT, css_path: Path | None = None
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"overlay port must be 0..65535, got {port}")
        self._hub = hub
        self._port = port
        self._bound_port: int | None = None
        self._css_path = css_path
        self._runner: web.AppRunner | None = None
        self._files: dict[str, tuple[bytes, str]] = {}
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def hub(self) -> OverlayHub:
        """The hub whose state this server's pages show."""
        return self._hub

    @property
    def port(self) -> int:
        """The port served on (the bound one while running, else the configured one)."""
        return self._bound_port if self._bound_port is not None else self._port

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._runner is not None

    @property
    def css_path(self) -> Path:
        """The user style sheet's path (it need not exist)."""
        return self._css_path if self._css_path is not None else data_dir_path() / USER_CSS_NAME

    def page_url(self, page: str, options: Mapping[str, str] | None = None) -> str:
        """The URL a streamer pastes into a browser source.

        Raises:
            ValueError: ``page`` or an option name is not one of the page's.
        """
        spec = next((candidate for candidate in PAGES if candidate.name == page), None)
        if spec is None:
            raise ValueError(
                f"unknown overlay page {page!r}; the pages are {', '.join(PAGE_NAMES)}"
            )
        query: dict[str, str] = {}
        known = {option.name for option in spec.options}
        for name, value in (options or {}).items():
            if name not in known:
                raise ValueError(f"the {page} page has no option {name!r}")
            if value != "":
                query[name] = value
        url = f"http://{BIND_HOST}:{self.port}/overlay/{page}"
        return f"{url}?{urlencode(query)}" if query else url

    async def start(self) -> None:
        """Listen on 127.0.0.1:port (does nothing if already running).

        Raises:
            OverlayPortInUse: The port is taken.
            OverlayServerError: Any other reason the port cannot be opened.
        """
        if self._runner is not None:
            return
        self._files = _load_static_files()
        app = web.Application(middlewares=[self._guard])
        app.on_response_prepare.append(_without_server_header)
        app.router.add_get("/overlay/ws", self._websocket)
        app.router.add_get("/overlay/user.css", self._user_css)
        app.router.add_get("/overlay/static/{name}", self._static)
        app.router.add_get("/overlay/{page}", self._page)
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S
        )
        await runner.setup()
        site = web.TCPSite(runner, BIND_HOST, self._port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            if exc.errno == errno.EADDRINUSE:
                raise OverlayPortInUse(self._port) from exc
            raise OverlayServerError(
                f"The overlays cannot listen on 127.0.0.1 port {self._port} ({exc.strerror}). "
                "Choose another overlay port in the Overlays tab."
            ) from exc
        # The port actually bound (port 0 asks the OS for a free one).
        self._bound_port = int(runner.addresses[0][1])
        self._runner = runner
        _log.info("overlay server listening on %s:%d", BIND_HOST, self._bound_port)

    async def stop(self) -> None:
        """Close every page's socket and stop listening (idempotent).

        The pages clear themselves when their socket closes and keep trying to
        reconnect, so nothing stale stays on stream.
        """
        runner, self._runner = self._runner, None
        if runner is None:
            return
        # All at once, each waiting at most CLOSE_TIMEOUT_S for the page's reply: a hung
        # browser must not hold up the app's shutdown.
        await asyncio.gather(
            *(
                ws.close(code=WSCloseCode.GOING_AWAY, message=b"overlay server stopping")
                for ws in list(self._sockets)
            ),
            return_exceptions=True,
        )
        await runner.cleanup()
        self._bound_port = None
        _log.info("overlay server stopped")

    # --- request handling -------------------------------------------------------

    def _allowed_hosts(self) -> frozenset[str]:
        return frozenset({f"127.0.0.1:{self.port}", f"localhost:{self.port}"})

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        # request.host falls back to this machine's name when the header is absent;
        # read the header itself so a missing Host is refused too.
        host = request.headers.get("Host", "").lower()
        if host not in self._allowed_hosts():
            return web.Response(
                status=421, text="This overlay server answers only 127.0.0.1 and localhost.\n"
            )
        response = await handler(request)
        if not isinstance(response, web.WebSocketResponse):
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Content-Security-Policy"] = self._csp()
        return response

    def _csp(self) -> str:
        # No inline script or style attribute, no fetch beyond this server: even a
        # rendering bug could not load or run anything from elsewhere.
        port = self.port
        return (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src ws://127.0.0.1:{port} ws://localhost:{port}; "
            "base-uri 'none'; form-action 'none'"
        )

    async def _page(self, request: web.Request) -> web.Response:
        name = request.match_info["page"]
        if name not in PAGE_NAMES:
            raise web.HTTPNotFound()
        return self._file_response(f"{name}.html")

    async def _static(self, request: web.Request) -> web.Response:
        return self._file_response(request.match_info["name"])

    def _file_response(self, name: str) -> web.Response:
        entry = self._files.get(name)
        if entry is None:
            raise web.HTTPNotFound()
        body, content_type = entry
        return web.Response(body=body, content_type=content_type, charset="utf-8")

    async def _user_css(self, request: web.Request) -> web.Response:
        try:
            with self.css_path.open("rb") as handle:
                body = handle.read(USER_CSS_MAX_BYTES)
        except FileNotFoundError:
            body = b""
        except OSError as exc:
            _log.warning("overlay user CSS not readable (%s); serving none", exc.strerror)
            body = b""
        return web.Response(body=body, content_type="text/css", charset="utf-8")

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower() not in {
            f"http://{host}" for host in self._allowed_hosts()
        }:
            raise web.HTTPForbidden(text="WebSocket from a foreign origin refused.\n")
        page = request.query.get("page", "")
        if page not in PAGE_NAMES:
            raise web.HTTPBadRequest(text=f"unknown overlay page; the pages are {PAGE_NAMES}\n")
        ws = web.WebSocketResponse(timeout=CLOSE_TIMEOUT_S, heartbeat=10.0, max_msg_size=4096)
        await ws.prepare(request)
        self._sockets.add(ws)
        connection = _PageConnection(ws)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        remote_port = int(peer[1]) if isinstance(peer, tuple) and len(peer) >= 2 else None
        source_id = self._hub.attach(page, connection, remote_port=remote_port)
        try:
            async for message in ws:
                # Pages send nothing; anything else is ignored (an error ends the loop).
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            self._hub.detach(source_id)
            self._sockets.discard(ws)
            await connection.aclose()
        return ws
