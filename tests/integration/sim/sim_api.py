"""A small typed client for the simulator, used by the simulator's integration tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from companion.sim import SimConfig, Simulator

if TYPE_CHECKING:
    from collections.abc import Mapping

    import aiohttp

ALL_SCOPES = (
    "channel:read:redemptions",
    "channel:manage:redemptions",
    "channel:read:predictions",
    "channel:manage:predictions",
    "channel:read:polls",
    "channel:manage:polls",
    "channel:read:goals",
    "user:read:broadcast",
    "user:edit:broadcast",
    "user:read:email",
)
CLIENT_ID = "testclient0000000000000000001"
OTHER_CLIENT_ID = "testclient0000000000000000002"
CONF_CLIENT_ID = "testconfidential0000000000003"
CONF_SECRET = "s3cret-s3cret"


@dataclass
class Reply:
    """One HTTP answer: status, parsed JSON (None if no/invalid body), raw text, headers."""

    status: int
    body: Any
    text: str
    headers: Mapping[str, str]


class Api:
    """Sends requests to the simulator with a token and client id."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        client_id: str | None = None,
        params: Any = None,
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        if client_id is not None:
            hdrs["Client-Id"] = client_id
        async with self.session.request(
            method, self.base + path, params=params, json=json_body, data=data, headers=hdrs
        ) as resp:
            text = await resp.text()
            try:
                body = json.loads(text) if text else None
            except ValueError:
                body = None
            return Reply(resp.status, body, text, dict(resp.headers))


@dataclass
class Caster:
    """A broadcaster with a user token of CLIENT_ID holding ALL_SCOPES."""

    id: str
    login: str
    token: str
    refresh: str
    api: Api

    async def helix(self, method: str, path: str, **kw: Any) -> Reply:
        kw.setdefault("token", self.token)
        kw.setdefault("client_id", CLIENT_ID)
        return await self.api.call(method, "/helix" + path, **kw)


def make_config(**overrides: Any) -> SimConfig:
    base: dict[str, Any] = {"seed": 7, "device_poll_interval": 0.2, "tick_interval": 0.05}
    base.update(overrides)
    return SimConfig(**base)


def other_app_token(sim: Simulator, caster: Caster) -> str:
    """A token of OTHER_CLIENT_ID for the same broadcaster."""
    return str(sim.state.issue_user_token(OTHER_CLIENT_ID, caster.id, ALL_SCOPES)["access_token"])
