"""Request helpers shared by the simulator's route modules."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import SimError, bad_request, helix_error_body
from .state import SimState
from .text import has_lone_surrogate, utf8

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .events import AccessTokenRecord

_log = logging.getLogger(__name__)

STATE_KEY: web.AppKey[SimState] = web.AppKey("sim_state", SimState)


def bearer_token(request: web.Request, *, allow_oauth_prefix: bool = False) -> str | None:
    """The token of ``Authorization: Bearer <t>`` (also ``OAuth <t>`` for /oauth2/validate)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" or (allow_oauth_prefix and scheme == "oauth"):
        value = value.strip()
        return value or None
    return None


def error_response(status: int, message: str, **headers: str) -> web.Response:
    """Helix's error body ``{"error", "status", "message"}``."""
    return web.json_response(helix_error_body(status, message), status=status, headers=headers)


def json_ok(payload: Any, status: int = 200) -> web.Response:
    """A JSON response (non-ASCII kept as is, as Twitch sends it)."""
    # utf8(): a stored lone surrogate must not turn every later answer into a 500.
    return web.Response(
        body=utf8(json.dumps(payload, ensure_ascii=False, separators=(",", ":"))),
        status=status,
        content_type="application/json",
    )


def raw_json_ok(text: str, status: int = 200) -> web.Response:
    """A response whose JSON text was assembled already (from cached fragments)."""
    return web.Response(body=utf8(text), status=status, content_type="application/json")


def require_token(
    request: web.Request,
    *,
    scopes_any: Iterable[str] = (),
    user_token: bool = True,
) -> AccessTokenRecord:
    """Apply Helix's documented 401 rules and return the caller's token.

    Order: Authorization header present, token valid (known, not expired, not revoked),
    ``Client-Id`` header matching the token's client, a user token where one is required,
    and at least one of ``scopes_any``. Twitch documents the cases but says not to depend
    on the message strings; ours paraphrase the docs.

    Raises:
        SimError: 401.
    """
    token = bearer_token(request)
    if token is None:
        raise SimError(401, "The Authorization header is required and must be a Bearer token.")
    state = request.app[STATE_KEY]
    rec = state.lookup_access_token(token)
    if rec is None or not rec.valid:
        raise SimError(401, "Invalid OAuth token")
    client_id = request.headers.get("Client-Id")
    if client_id is None:
        raise SimError(401, "The Client-Id header is required.")
    if client_id != rec.client_id:
        raise SimError(401, "Client ID and OAuth token do not match")
    if user_token and rec.user_id is None:
        raise SimError(401, "The Authorization header must specify a user access token.")
    wanted = tuple(scopes_any)
    if wanted and rec.scopes.isdisjoint(wanted):
        raise SimError(401, f"Missing scope: {' or '.join(wanted)}")
    return rec


def require_broadcaster(rec: AccessTokenRecord, broadcaster_id: Any) -> str:
    """``broadcaster_id`` is required and must be the token's user.

    The reference documents 401 for a mismatch on predictions, polls and goals and is silent
    for rewards and redemptions; we answer 401 everywhere.
    """
    if not isinstance(broadcaster_id, str) or not broadcaster_id:
        raise bad_request("The broadcaster_id query parameter is required.")
    if broadcaster_id != rec.user_id:
        raise SimError(401, "The ID in broadcaster_id must match the user ID in the access token.")
    return broadcaster_id


def query_one(request: web.Request, name: str, *, required: bool = False) -> str | None:
    """A single query parameter (the first if repeated)."""
    value = request.query.get(name)
    if required and not value:
        raise bad_request(f"The {name} query parameter is required.")
    return value


def query_all(request: web.Request, name: str) -> list[str]:
    """Every value of a repeatable query parameter (empty values dropped)."""
    return [v for v in request.query.getall(name, []) if v]


def parse_first(request: web.Request, default: int, maximum: int) -> int:
    """The ``first`` page size: an integer from 1 to ``maximum``."""
    raw = request.query.get("first")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise bad_request(f"The first query parameter must be an integer from 1 to {maximum}.")
    return value


def parse_bool(request: web.Request, name: str) -> bool:
    """A ``true``/``false`` query parameter (missing = false)."""
    raw = request.query.get(name)
    if raw is None or raw.lower() == "false":
        return False
    if raw.lower() == "true":
        return True
    raise bad_request(f"The {name} query parameter must be true or false.")


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The JSON object body of a request.

    Raises:
        SimError: 400 "The JSON payload is malformed." (Update User Extensions' wording).
    """
    raw = await request.read()
    try:
        body = json.loads(raw, parse_constant=_no_constant) if raw else None
    except ValueError:
        body = None
    # NaN/Infinity are not JSON (RFC 8259) and a lone surrogate is not Unicode: Twitch's
    # parser refuses both (reference silent on the wording; we use the one it documents).
    if not isinstance(body, dict) or _has_bad_text(body):
        raise bad_request("The JSON payload is malformed.")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_bad_text(value: Any) -> bool:
    """True if a parsed JSON value holds a lone surrogate anywhere (keys included)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def page_body(data: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    """``{"data": [...], "pagination": {"cursor"?}}``."""
    return {"data": data, "pagination": {"cursor": cursor} if cursor else {}}
