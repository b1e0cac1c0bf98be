"""A simulator that records every request it receives, headers and body included.

Tests use it to assert what reached the server, in order: the exact request sequence of a
sign-in, and that a secret (a token issued by another authority) never arrived at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from companion.sim import SimConfig, Simulator

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


@dataclass(frozen=True, slots=True)
class Received:
    """One request as the simulator saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def carries(self, secret: str) -> bool:
        """True when ``secret`` appears anywhere in the request (query, headers or body)."""
        text = " ".join([self.path, *self.headers.values()])
        return secret in text or secret.encode() in self.body


class RecordingSimulator(Simulator):
    """The simulator, with :attr:`received` listing every request before it is handled."""

    def __init__(self, config: SimConfig | None = None) -> None:
        super().__init__(config)
        self.received: list[Received] = []

    def build_app(self) -> web.Application:
        app = super().build_app()
        # First, so faults, rate limits and the routes themselves cannot hide a request.
        app.middlewares.insert(0, self._record)
        return app

    @web.middleware
    async def _record(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        index = len(self.received)
        self.received.append(Received(request.method, request.path_qs, dict(request.headers), b""))
        try:
            return await handler(request)
        finally:
            # Read after the route did: reading first would leave the route an empty body
            # (aiohttp's post() skips a payload already at its end). read() is cached.
            if request.body_exists:
                body = await request.read()
                self.received[index] = Received(
                    request.method, request.path_qs, dict(request.headers), body
                )

    def sequence(self) -> list[str]:
        """``"METHOD /path"`` of every request so far, in arrival order."""
        return [f"{r.method} {r.path.split('?')[0]}" for r in self.received]

    def carrying(self, secret: str) -> list[Received]:
        """The requests that carried ``secret``."""
        return [r for r in self.received if r.carries(secret)]
