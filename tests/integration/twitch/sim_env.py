"""The Twitch client against the real simulator over loopback: the shared setup.

Every request the client makes is counted through an aiohttp trace on the session the
client is given (:class:`Traffic`), so tests assert exactly what went over the wire.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator
from companion.twitch import BaseTokenHandler, Client, Token
from companion.twitch.scopes import APP_SCOPES

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from companion.twitch.models import BaseUser, PartialUser

SCOPES = (
    *APP_SCOPES,
    "channel:read:redemptions",
    "user:read:broadcast",
)


@dataclass
class Traffic:
    """(method, path, status) of every request the client's session made (0: no answer)."""

    log: list[tuple[str, str, int]] = field(default_factory=list)

    def trace(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def on_end(
            session: aiohttp.ClientSession,
            ctx: Any,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            self.log.append((params.method, params.url.path, params.response.status))

        async def on_error(
            session: aiohttp.ClientSession,
            ctx: Any,
            params: aiohttp.TraceRequestExceptionParams,
        ) -> None:
            self.log.append((params.method, params.url.path, 0))  # no response

        config.on_request_end.append(on_end)
        config.on_request_exception.append(on_error)
        return config

    def helix(self, method: str | None = None) -> list[tuple[str, str, int]]:
        return [e for e in self.log if e[1].startswith("/helix") and method in (None, e[0])]

    def count(self, method: str, path: str) -> int:
        return sum(1 for e in self.log if e[0] == method and e[1] == path)


class StoringHandler(BaseTokenHandler):
    """Keeps one user's token and stores every refreshed refresh token (as the app must).

    Attributes:
        stored: Every refresh token ``event_token_refreshed`` was given, in order.
        expired: Every token ``event_token_expired`` was told about (it offers no replacement,
            as when the user has not signed in again yet).
    """

    def __init__(self, token: dict[str, Any]) -> None:
        self.token = Token(token["access_token"], token["refresh_token"])
        self.stored: list[str | None] = []
        self.expired: list[Token] = []

    def get_client_credentials(self) -> tuple[str, str | None]:
        return DEMO_CLIENT_ID, None

    def get_user_token(self, user: BaseUser, scopes: tuple[str, ...]) -> Token:
        return self.token

    async def event_token_refreshed(self, old: Token, new: Token) -> None:
        await asyncio.sleep(0.01)  # a keyring write
        self.stored.append(new.refresh_token)
        self.token = new

    def event_token_expired(self, token: Token) -> None:
        self.expired.append(token)


@dataclass
class Setup:
    sim: Simulator
    client: Client
    handler: StoringHandler
    traffic: Traffic
    user: PartialUser
    session: aiohttp.ClientSession

    @property
    def caster_id(self) -> str:
        assert self.sim.demo_broadcaster_id is not None
        return self.sim.demo_broadcaster_id

    def viewers(self) -> list[str]:
        return [
            uid
            for uid, user in self.sim.state.users.items()
            if uid != self.caster_id and user["broadcaster_type"] == ""
        ]


async def sim_setup(config: SimConfig, scopes: Iterable[str] = SCOPES) -> AsyncIterator[Setup]:
    """A started simulator and a client signed in as its demo broadcaster with ``scopes``."""
    sim = Simulator(config)
    await sim.start(port=0)
    traffic = Traffic()
    session = aiohttp.ClientSession(trace_configs=[traffic.trace()])
    try:
        assert sim.demo_broadcaster_id is not None
        token = sim.state.issue_user_token(DEMO_CLIENT_ID, sim.demo_broadcaster_id, scopes)
        handler = StoringHandler(token)
        client = Client(
            handler,
            session=session,
            helix_url=sim.helix_url,
            oauth_url=sim.oauth_url,
            eventsub_url=sim.eventsub_url,
            retry_base_delay=0.01,
        )
        user = client.create_user(sim.demo_broadcaster_id, login="democaster")
        yield Setup(sim, client, handler, traffic, user, session)
        await client.close()
    finally:
        await session.close()
        await sim.stop()
