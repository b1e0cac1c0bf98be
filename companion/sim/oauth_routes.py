"""``/oauth2/*``: device code, token (device, refresh, client credentials), validate, revoke.

Bodies are form-encoded as at id.twitch.tv. Error bodies are ``{"status", "message"}``
(plus ``"error"`` where the reference shows it, i.e. the refresh failure).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from .errors import SimError
from .http_common import STATE_KEY, bearer_token, json_ok

_log = logging.getLogger(__name__)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _oauth_error(exc: SimError) -> web.Response:
    body: dict[str, Any] = {"status": exc.status, "message": exc.message}
    if exc.message == "Invalid refresh token":
        # oauth/token.refresh.error_400_invalid_refresh_token.json carries "error" too.
        body = {"error": "Bad Request", **body}
    return json_ok(body, status=exc.status)


async def _form(request: web.Request) -> dict[str, str]:
    # Twitch also accepts the parameters in the query string; so do we.
    form = dict(request.query)
    if request.can_read_body:
        posted = await request.post()
        form.update({k: v for k, v in posted.items() if isinstance(v, str)})
    return form


async def device(request: web.Request) -> web.Response:
    """``POST /oauth2/device`` (form: client_id, scopes)."""
    form = await _form(request)
    state = request.app[STATE_KEY]
    client_id = form.get("client_id", "")
    try:
        rec = state.start_device_flow(client_id, form.get("scopes", "").split())
    except SimError as exc:
        return _oauth_error(exc)
    base = f"{request.scheme}://{request.host}"
    return json_ok(
        {
            "device_code": rec.device_code,
            "expires_in": int(state.config.device_code_ttl),
            "interval": max(1, round(state.config.device_poll_interval)),
            "user_code": rec.user_code,
            "verification_uri": f"{base}/activate?public=true&device-code={rec.user_code}",
        }
    )


async def token(request: web.Request) -> web.Response:
    """``POST /oauth2/token`` for the device, refresh_token and client_credentials grants."""
    form = await _form(request)
    state = request.app[STATE_KEY]
    grant = form.get("grant_type", "")
    client_id = form.get("client_id", "")
    try:
        if grant == DEVICE_GRANT:
            body = state.poll_device(client_id, form.get("device_code", ""))
        elif grant == "refresh_token":
            body = state.refresh(
                client_id, form.get("refresh_token", ""), form.get("client_secret")
            )
        elif grant == "client_credentials":
            body = state.client_credentials(client_id, form.get("client_secret"))
        else:
            # Not documented; authorization_code needs a browser redirect we do not simulate.
            raise SimError(400, "unsupported grant type")
    except SimError as exc:
        return _oauth_error(exc)
    return json_ok(body)


async def validate(request: web.Request) -> web.Response:
    """``GET /oauth2/validate`` with ``Authorization: OAuth <t>`` (or Bearer)."""
    access = bearer_token(request, allow_oauth_prefix=True)
    try:
        if access is None:
            raise SimError(401, "missing authorization token")
        return json_ok(request.app[STATE_KEY].validate(access))
    except SimError as exc:
        return _oauth_error(exc)


async def revoke(request: web.Request) -> web.Response:
    """``POST /oauth2/revoke`` (form: client_id, token): 200 with no body on success."""
    form = await _form(request)
    try:
        request.app[STATE_KEY].revoke(form.get("client_id", ""), form.get("token", ""))
    except SimError as exc:
        return _oauth_error(exc)
    return web.Response(status=200)


async def activate_page(request: web.Request) -> web.Response:
    """``GET /activate``: a tiny page to approve a device code by login (manual demos)."""
    code = request.query.get("device-code", "")
    html = (
        "<!doctype html><title>Simulator: activate</title>"
        "<form method=post action=/activate>"
        f"<p>Code <input name=user_code value='{_escape(code)}'></p>"
        "<p>Login <input name=login value=democaster></p>"
        "<button name=decision value=approve>Authorize</button> "
        "<button name=decision value=deny>Decline</button></form>"
    )
    return web.Response(text=html, content_type="text/html")


async def activate_submit(request: web.Request) -> web.Response:
    """``POST /activate`` (form: user_code, login, decision)."""
    form = await request.post()
    state = request.app[STATE_KEY]
    user_code = str(form.get("user_code", ""))
    try:
        if form.get("decision") == "deny":
            state.deny_device(user_code)
            return web.Response(text="Declined.")
        user_id = state.user_ids_by_login.get(str(form.get("login", "")).lower())
        if user_id is None:
            return web.Response(status=400, text="Unknown login.")
        state.approve_device(user_code, user_id)
    except ValueError as exc:
        return web.Response(status=400, text=str(exc))
    return web.Response(text="Authorized. You may return to the app.")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&#39;")


def routes() -> list[web.RouteDef]:
    """The OAuth routes."""
    return [
        web.post("/oauth2/device", device),
        web.post("/oauth2/token", token),
        web.get("/oauth2/validate", validate),
        web.post("/oauth2/revoke", revoke),
        web.get("/activate", activate_page),
        web.post("/activate", activate_submit),
    ]
