"""A small scripted Twitch on loopback, for counting exactly what the client sends.

Not a simulator: it knows tokens (validate, refresh, device flow) and records every request;
Helix answers come from a handler each test installs. The real simulator is exercised in
``tests/integration/twitch``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CLIENT_ID = "fakeclientid0000000000000000"


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    json: Any
    form: dict[str, str]
    authorization: str | None
    client_id: str | None
    at: float

    def param(self, key: str) -> list[str]:
        return [v for k, v in self.query if k == key]


@dataclass
class TokenInfo:
    user_id: str
    login: str
    scopes: list[str]
    expires_in: int = 14000


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    reasons = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    body = {"error": reasons.get(status, "Error"), "status": status, "message": message}
    return web.json_response(body, status=status, headers=headers)


@dataclass
class FakeTwitch:
    """The fake: Helix under ``/helix``, OAuth under ``/oauth2``."""

    helix: list[Recorded] = field(default_factory=list)
    oauth: list[Recorded] = field(default_factory=list)
    tokens: dict[str, TokenInfo] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[str, TokenInfo]] = field(default_factory=dict)
    # Each refresh pops one behaviour: "ok", "refuse" (400), "500"; empty means "ok".
    refresh_script: list[str] = field(default_factory=list)
    refresh_delay: float = 0.0
    device_script: list[str] = field(default_factory=list)
    helix_handler: Any = None
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/helix/{tail:.*}", self._helix)
        app.router.add_get("/oauth2/validate", self._validate)
        app.router.add_post("/oauth2/token", self._token)
        app.router.add_post("/oauth2/device", self._device)
        app.router.add_post("/oauth2/revoke", self._revoke)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def helix_url(self) -> str:
        return f"{self.base_url}/helix"

    @property
    def oauth_url(self) -> str:
        return f"{self.base_url}/oauth2"

    # -- tokens ----------------------------------------------------------------------------

    def issue(self, user_id: str, scopes: list[str], *, login: str = "streamer") -> tuple[str, str]:
        n = next(self._counter)
        access, refresh = f"access{n:04d}", f"refresh{n:04d}"
        info = TokenInfo(user_id, login, list(scopes))
        self.tokens[access] = info
        self.refresh_tokens[refresh] = (access, info)
        return access, refresh

    def expire(self, access: str) -> None:
        """The access token stops working (as after its expiry)."""
        self.tokens.pop(access, None)

    @property
    def refresh_calls(self) -> int:
        return sum(1 for r in self.oauth if r.form.get("grant_type") == "refresh_token")

    @property
    def validate_calls(self) -> int:
        return sum(1 for r in self.oauth if r.path == "/oauth2/validate")

    # -- handlers --------------------------------------------------------------------------

    async def _record(self, request: web.Request, into: list[Recorded]) -> Recorded:
        raw = await request.read()
        body: Any = None
        form: dict[str, str] = {}
        if raw and request.content_type == "application/json":
            body = json.loads(raw)
        elif raw:
            form = {k: str(v) for k, v in (await request.post()).items()}
        rec = Recorded(
            method=request.method,
            path=request.path,
            query=list(request.query.items()),
            json=body,
            form=form,
            authorization=request.headers.get("Authorization"),
            client_id=request.headers.get("Client-Id"),
            at=time.monotonic(),
        )
        into.append(rec)
        return rec

    async def _helix(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request, self.helix)
        auth = rec.authorization or ""
        info = self.tokens.get(auth.removeprefix("Bearer "))
        if info is None or rec.client_id != CLIENT_ID:
            return error(401, "Invalid OAuth token")
        if self.helix_handler is None:
            return web.json_response({"data": []})
        response: web.StreamResponse = await self.helix_handler(request, rec, info)
        return response

    async def _validate(self, request: web.Request) -> web.Response:
        rec = await self._record(request, self.oauth)
        info = self.tokens.get((rec.authorization or "").removeprefix("OAuth "))
        if info is None:
            return web.json_response({"status": 401, "message": "invalid access token"}, status=401)
        return web.json_response(
            {
                "client_id": CLIENT_ID,
                "login": info.login,
                "scopes": info.scopes,
                "user_id": info.user_id,
                "expires_in": info.expires_in,
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        rec = await self._record(request, self.oauth)
        grant = rec.form.get("grant_type")
        if grant == "refresh_token":
            if self.refresh_delay:
                await asyncio.sleep(self.refresh_delay)
            behaviour = self.refresh_script.pop(0) if self.refresh_script else "ok"
            if behaviour == "500":
                return web.json_response({"status": 500, "message": "oops"}, status=500)
            entry = self.refresh_tokens.pop(rec.form.get("refresh_token", ""), None)
            if behaviour == "refuse" or entry is None:
                return error(400, "Invalid refresh token")
            old_access, old = entry
            self.tokens.pop(old_access, None)
            access, refresh = self.issue(old.user_id, old.scopes, login=old.login)
            return web.json_response(
                {
                    "access_token": access,
                    "refresh_token": refresh,
                    "scope": old.scopes,
                    "token_type": "bearer",
                }
            )
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            behaviour = self.device_script.pop(0) if self.device_script else "ok"
            if behaviour == "pending":
                return web.json_response(
                    {"status": 400, "message": "authorization_pending"}, status=400
                )
            if behaviour == "invalid":
                return web.json_response(
                    {"status": 400, "message": "invalid device code"}, status=400
                )
            scopes = rec.form.get("scopes", "").split()
            access, refresh = self.issue("141981764", scopes)
            return web.json_response(
                {
                    "access_token": access,
                    "expires_in": 14124,
                    "refresh_token": refresh,
                    "scope": scopes,
                    "token_type": "bearer",
                }
            )
        return error(400, "unsupported grant")

    async def _device(self, request: web.Request) -> web.Response:
        await self._record(request, self.oauth)
        return web.json_response(
            {
                "device_code": "ike3GM8QIdYZs43KdrWPIO36LofILoCyFEzjlQ91",
                "expires_in": 1800,
                "interval": 1,
                "user_code": "ABCDEFGH",
                "verification_uri": "https://www.twitch.tv/activate?public=true&device-code=ABCDEFGH",
            }
        )

    async def _revoke(self, request: web.Request) -> web.Response:
        rec = await self._record(request, self.oauth)
        if rec.form.get("client_id") != CLIENT_ID:
            return web.json_response(
                {"status": 404, "message": "client does not exist"}, status=404
            )
        if self.tokens.pop(rec.form.get("token", ""), None) is None:
            return web.json_response({"status": 400, "message": "Invalid token"}, status=400)
        return web.Response(status=200)
