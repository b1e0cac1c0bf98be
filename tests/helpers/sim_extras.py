"""A Simulator with the seed-extras routes, and a small raw caller that checks every answer.

``ExtrasSimulator`` adds :func:`install_extra_routes` to ``build_app`` (idempotent, so it
keeps working once ``Simulator.build_app`` calls it itself). ``RawCaller.call`` checks each
answer: 2xx bodies against the endpoint's response schema in ``helix-openapi.json``, errors
against Twitch's ``{"error", "status", "message"}`` body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

from companion.sim import SimConfig, Simulator
from companion.sim.extras import install_extra_routes
from companion.sim.extras.store import ExtrasStore, extras_store
from tests.helpers.openapi_extras import schema_errors

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import aiohttp

CLIENT_ID = "seedextrasclient00000000000001"
EVERY_SCOPE = (
    "moderation:read",
    "moderator:manage:banned_users",
    "bits:read",
    "moderator:read:chat_settings",
    "moderator:manage:chat_settings",
    "moderator:read:followers",
    "channel:read:subscriptions",
    "channel:read:hype_train",
    "channel:manage:broadcast",
    "user:read:broadcast",
    "channel:manage:raids",
    "channel:manage:videos",
)


#: The Helix operations served by ``companion.sim.extras`` (method, OpenAPI path).
EXTRA_OPERATIONS = frozenset(
    {
        ("GET", "/moderation/banned"),
        ("POST", "/moderation/bans"),
        ("DELETE", "/moderation/bans"),
        ("POST", "/moderation/enforcements/status"),
        ("GET", "/moderation/moderators"),
        ("GET", "/chat/emotes"),
        ("GET", "/chat/emotes/global"),
        ("GET", "/bits/leaderboard"),
        ("GET", "/bits/cheermotes"),
        ("GET", "/teams/channel"),
        ("GET", "/teams"),
        ("GET", "/chat/badges"),
        ("GET", "/chat/badges/global"),
        ("GET", "/chat/settings"),
        ("PATCH", "/chat/settings"),
        ("GET", "/chat/color"),
        ("GET", "/channels/followers"),
        ("GET", "/subscriptions"),
        ("GET", "/hypetrain/status"),
        ("POST", "/raids"),
        ("DELETE", "/raids"),
        ("GET", "/clips"),
        ("GET", "/videos"),
        ("DELETE", "/videos"),
        ("POST", "/streams/markers"),
        ("GET", "/streams/markers"),
        ("GET", "/games"),
        ("GET", "/schedule"),
    }
)


class ExtrasSimulator(Simulator):
    """The simulator with the extra Helix routes installed.

    Every successful answer of an extra route is also checked against its response schema
    as it is served (whoever the caller is); tests assert :attr:`violations` stays empty.

    Attributes:
        served: ``(method, path, status)`` of every extra-route answer that was checked.
        violations: Schema violations found, as readable lines.
    """

    def __init__(self, config: SimConfig | None = None) -> None:
        super().__init__(config)
        self.served: list[tuple[str, str, int]] = []
        self.violations: list[str] = []

    def build_app(self) -> web.Application:
        app = super().build_app()
        install_extra_routes(app, self.state)
        app.middlewares.append(self._check_schema)
        return app

    @web.middleware
    async def _check_schema(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        response = await handler(request)
        key = (request.method, request.path.removeprefix("/helix"))
        if key in EXTRA_OPERATIONS and isinstance(response, web.Response):
            self.served.append((*key, response.status))
            if response.status != 204:
                raw = response.body
                body = json.loads(bytes(raw)) if isinstance(raw, bytes | bytearray) else None
                errors = schema_errors(*key, body, str(response.status))
                self.violations.extend(f"{key[0]} {key[1]}: {e}" for e in errors)
        return response

    @property
    def extras(self) -> ExtrasStore:
        """The extras store of this simulator's state."""
        return extras_store(self.state)


def make_sim(*, demo: bool = False) -> ExtrasSimulator:
    """A seeded, quiet simulator (ticks slow, rate limit roomy)."""
    config = SimConfig(seed=7, demo=demo, ratelimit_points=10_000, tick_interval=5.0)
    sim = ExtrasSimulator(config)
    sim.state.register_client(CLIENT_ID, None)
    return sim


def token_for(sim: Simulator, user_id: str, scopes: tuple[str, ...] = EVERY_SCOPE) -> str:
    """A fresh user access token (never logged)."""
    return str(sim.state.issue_user_token(CLIENT_ID, user_id, scopes)["access_token"])


@dataclass
class Reply:
    """One answer: status and decoded JSON body (None for 204/empty)."""

    status: int
    body: Any


class RawCaller:
    """Sends Helix requests to the simulator and checks the shape of every answer.

    Attributes:
        checked: ``(method, path, status)`` of every answer whose body was validated.
    """

    def __init__(self, session: aiohttp.ClientSession, sim: Simulator) -> None:
        self.session = session
        self.sim = sim
        self.checked: list[tuple[str, str, int]] = []

    async def call(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        params: Any = None,
        body: Any = None,
        client_id: str = CLIENT_ID,
    ) -> Reply:
        headers = {"Client-Id": client_id}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(
            method,
            f"{self.sim.helix_url}{path}",
            params=params,
            data=None if body is None else json.dumps(body),
            headers=headers,
        ) as response:
            text = await response.text()
            status = response.status
        decoded = json.loads(text) if text else None
        if 200 <= status < 300:
            if status != 204:
                errors = schema_errors(method, path, decoded, str(status))
                assert errors == [], f"{method} {path} broke its schema: {errors}"
        else:
            assert isinstance(decoded, dict), text
            assert decoded == {
                "error": HTTPStatus(status).phrase,
                "status": status,
                "message": decoded["message"],
            }, decoded
            assert isinstance(decoded["message"], str)
            assert decoded["message"]
        self.checked.append((method, path, status))
        return Reply(status, decoded)
