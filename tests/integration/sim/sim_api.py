"""A small typed client for the simulator, used by the simulator's integration tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from companion.sim import SimConfig, Simulator, control_headers

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

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        *,
        check_schemas: bool = True,
        control_token: str | None = None,
    ) -> None:
        self.session = session
        self.base = base
        # State-changing /_sim requests carry the run's control token (and JSON).
        self.control_token = control_token
        # Every Helix answer is checked against helix-openapi.json (success) or Twitch's
        # error body (failure), in every test that goes through this client.
        self.check_schemas = check_schemas

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
        if self.control_token is not None and path.startswith("/_sim/") and method != "GET":
            hdrs = {**control_headers(self.control_token), **hdrs}
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
            reply = Reply(resp.status, body, text, dict(resp.headers))
        if self.check_schemas and path.startswith("/helix/"):
            check_helix_reply(method, path.removeprefix("/helix"), reply)
        return reply


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


def check_helix_reply(method: str, path: str, reply: Reply) -> None:
    """Assert a Helix answer has the documented shape: the OpenAPI response schema of
    ``method path`` for a success, ``{"error", "status", "message"}`` for a failure."""
    from tests.integration.sim.fidelity import openapi, schema_errors

    if reply.status >= 400:
        if reply.body is None:  # injected faults (malformed, reset) have no parsable body
            return
        assert set(reply.body) == {"error", "status", "message"}, reply.body
        assert reply.body["status"] == reply.status
        return
    operation = openapi()["paths"].get(path, {}).get(method.lower())
    if operation is None or reply.body is None:
        return
    if str(reply.status) not in operation["responses"]:
        raise AssertionError(f"{method} {path} answered {reply.status}, not a documented status")
    content = operation["responses"][str(reply.status)].get("content")
    if content is None:
        return
    errors = schema_errors(reply.body, path, method, reply.status)
    assert errors == [], f"{method} {path}: {errors}"
