"""`Simulator`: the aiohttp application that behaves like Twitch on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import math
import secrets
import socket
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import control_routes, discovery, helix_routes, oauth_routes
from .config import SimConfig
from .demo import seed_demo, traffic_loop
from .errors import SimError
from .faults import Faults, PendingFault
from .http_common import STATE_KEY, bearer_token, error_response
from .ratelimit import RateLimiter
from .state import SimState

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .events import AccessTokenRecord, EventSubHubProtocol

_log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SIM_KEY: web.AppKey[Simulator] = web.AppKey("simulator", object)  # type: ignore[arg-type]
# ^ Simulator is defined below; AppKey only uses its second argument as a type tag.


def _optional_module(name: str) -> Any:
    """Import a part of the simulator that is developed separately, or None if it is absent."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        _log.warning("%s is missing: its routes are disabled", name)
        return None


def _make_hub(state: SimState, url_factory: Callable[[], str]) -> EventSubHubProtocol | None:
    """Build the EventSub hub (``companion.sim.eventsub``)."""
    module = _optional_module("companion.sim.eventsub")
    if module is None:
        return None
    hub: EventSubHubProtocol = module.EventSubHub(state, base_ws_url_factory=url_factory)
    return hub


class Simulator:
    """Twitch's OAuth, Helix and EventSub WebSocket, simulated in memory on loopback.

    Args:
        config: The knobs; defaults to `SimConfig()`.

    Attributes:
        state: The in-memory world and its Python control surface.
        faults: The HTTP fault switches.
        hub: The EventSub hub (None only while its module does not exist).
        limiter: The Helix rate limiter.
        demo_broadcaster_id: The demo channel's user id when ``config.demo`` (else None).
        control_token: This run's control token: every state-changing ``/_sim`` request must
            carry it (see :func:`companion.sim.control_headers`). Made fresh for each
            simulator, so a web page cannot guess it.
    """

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.state = SimState(self.config)
        self.faults = Faults(self.state)
        self.limiter = RateLimiter(self.config.ratelimit_points, self.config.ratelimit_window)
        self.hub = _make_hub(self.state, lambda: self.eventsub_url)
        self.demo_broadcaster_id: str | None = None
        self.control_token = secrets.token_urlsafe(24)
        if self.config.demo:
            self.demo_broadcaster_id = seed_demo(self.state)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopped = False

    def __repr__(self) -> str:
        where = self.base_url if self._port is not None else "not started"
        return f"Simulator({where})"

    # -- URLs --------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (after `start`)."""
        if self._port is None:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def helix_url(self) -> str:
        """Base of the Helix API."""
        return f"{self.base_url}/helix"

    @property
    def oauth_url(self) -> str:
        """Base of the OAuth endpoints (``/device``, ``/token``, ``/validate``, ``/revoke``)."""
        return f"{self.base_url}/oauth2"

    @property
    def eventsub_url(self) -> str:
        """The EventSub WebSocket URL."""
        return "ws" + self.base_url.removeprefix("http") + "/ws"

    @property
    def control_url(self) -> str:
        """Base of the HTTP control API."""
        return f"{self.base_url}/_sim"

    # -- lifecycle ---------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The aiohttp application (routes and middleware), without starting a server."""
        app = web.Application(middlewares=[self._middleware], client_max_size=1024**2)
        app[STATE_KEY] = self.state
        app[helix_routes.HUB_KEY] = self.hub
        app[SIM_KEY] = self
        app.add_routes(oauth_routes.routes())
        app.add_routes(helix_routes.routes())
        extras = _optional_module("companion.sim.extras")
        if extras is not None:
            # The minor Helix endpoints (moderation, chat, Bits, ...), built separately.
            extras.install_extra_routes(app, self.state)
        app.add_routes(discovery.routes())
        app.add_routes(control_routes.routes())
        if self.hub is not None:
            app.add_routes(self.hub.routes())
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind to ``host:port`` (loopback only; port 0 picks a free port) and serve.

        Raises:
            ValueError: ``host`` is not a loopback address.
            RuntimeError: Already started.
        """
        if host not in LOOPBACK_HOSTS:
            raise ValueError("the simulator binds loopback addresses only")
        if self._runner is not None:
            raise RuntimeError("the simulator is already started")
        host = "127.0.0.1" if host == "localhost" else host
        self._stopped = False
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        self._host = host
        self._port = int(sock.getsockname()[1])
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._spawn(self._tick_loop(), "sim-ticker")
        if self.config.demo and self.config.traffic_rate > 0 and self.demo_broadcaster_id:
            self._spawn(
                traffic_loop(self.state, self.demo_broadcaster_id, self.config.traffic_rate),
                "sim-traffic",
            )
        _log.info("simulator listening on %s", self.base_url)

    async def stop(self) -> None:
        """Stop serving and close every socket. Safe to call more than once."""
        if self._stopped or self._runner is None:
            self._stopped = True
            return
        self._stopped = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.hub is not None:
            await self.hub.close()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.tick_interval)
            try:
                self.state.tick()
            except Exception:
                _log.exception("simulator tick failed")

    # -- the request pipeline ----------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Faults, rate limit, error bodies and ``Ratelimit-*`` headers around every route."""
        path = request.path
        if path.startswith(("/_sim", "/ws")):
            return await handler(request)
        delay = self.faults.latency_for(path)
        if delay:
            await asyncio.sleep(delay)
        fault = self.faults.take(path)
        if fault is not None and fault.kind == "reset":
            _reset_connection(request)
            # The peer sees the connection drop; nothing is sent.
            raise asyncio.CancelledError
        helix = path.startswith("/helix/")
        token = bearer_token(request, allow_oauth_prefix=not helix)
        rec = self.state.lookup_access_token(token) if token else None
        if fault is not None and fault.kind == "revoke" and rec is not None:
            rec.revoked = True
        headers: dict[str, str] = {}
        if helix:
            decision = self.limiter.take(_bucket_key(rec, request.headers.get("Client-Id")))
            headers = decision.headers()
            if fault is not None and fault.kind == "throttle":
                # An injected 429 leaves the real bucket alone; the reset is a second away.
                now = self.state.now()
                headers["Ratelimit-Remaining"] = "0"
                headers["Ratelimit-Reset"] = str(math.ceil(now) + 1)
                return error_response(429, "Too Many Requests", **headers)
            if not decision.allowed:
                # Twitch documents no 429 body; we use the generic error shape.
                return error_response(429, "Too Many Requests", **headers)
        elif fault is not None and fault.kind == "throttle":
            return error_response(429, "Too Many Requests")
        response = await self._handle(request, handler, fault, helix)
        if fault is not None and fault.kind == "malformed":
            response = _malform(response)
        response.headers.update(headers)
        return response

    async def _handle(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        fault: PendingFault | None,
        helix: bool,
    ) -> web.StreamResponse:
        if fault is not None and fault.kind == "status":
            return error_response(fault.status, "Injected fault")
        try:
            return await handler(request)
        except SimError as exc:
            return error_response(exc.status, exc.message)
        except web.HTTPException as exc:
            if helix and exc.status >= 400:
                return error_response(exc.status, exc.reason)
            raise


def _bucket_key(rec: AccessTokenRecord | None, client_header: str | None) -> tuple[str, str | None]:
    """User tokens: per (client, user); app tokens: per client; bad tokens: per Client-Id."""
    if rec is not None:
        return (rec.client_id, rec.user_id)
    return (f"unauthenticated:{client_header or ''}", None)


def _reset_connection(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        # abort() drops the socket at once (no FIN-wait for buffered data): a reset to the peer.
        transport.abort()


def _malform(response: web.StreamResponse) -> web.StreamResponse:
    """Cut a JSON body in half so it no longer parses; bodiless answers get ``{``."""
    body = response.body if isinstance(response, web.Response) else None
    raw = bytes(body) if isinstance(body, (bytes, bytearray)) else b""
    cut = raw[: max(1, len(raw) // 2)] if raw else b"{"
    status = 200 if response.status == 204 else response.status
    return web.Response(body=cut, status=status, content_type="application/json")


__all__ = ["SimConfig", "Simulator"]
