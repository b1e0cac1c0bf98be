"""``/_sim/*``: the HTTP face of the Python control surface (see docs/simulator.md).

The control API changes the simulator's world, so a web page in the tester's browser must
not be able to drive it (issue 20, item 15). Every route that changes anything needs:

* the run's **control token** in the ``Sim-Control-Token`` header: made at start
  (:attr:`Simulator.control_token`), printed by ``python -m companion.sim``, passed by
  in-process users through :func:`control_headers`. A cross-site page cannot know it, and a
  custom header cannot be sent cross-site without a CORS preflight, which we never grant;
* ``Content-Type: application/json``: no form post or ``text/plain`` "simple request";
* its parameters in a JSON object body, never in the query string.

GET routes change nothing and stay open (discovery: ``GET /_sim/info``).

Input is checked here, at the boundary, before the state sees it: types, finite numbers in
range, text that is valid Unicode. A bad request is a 400 with Twitch's error body
(``{"error", "status", "message"}``) and changes nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .errors import SimError, helix_error_body
from .text import has_lone_surrogate

if TYPE_CHECKING:
    from .server import Simulator

_log = logging.getLogger(__name__)

#: The header that carries the run's control token.
CONTROL_TOKEN_HEADER: Final = "Sim-Control-Token"

ControlHandler = Callable[["Simulator", dict[str, Any]], Awaitable[Any]]

# Twitch documents no login rule in the reference; its sign-up form allows letters, digits
# and underscores, 4 to 25 of them. Shorter logins are allowed here: tests use "ctl".
_LOGIN = re.compile(r"^[A-Za-z0-9_]{1,25}$")
_MAX_TEXT = 10_000
_INT32 = 2**31 - 1


def control_headers(token: str) -> dict[str, str]:
    """The headers a control API request needs (the token and the JSON content type)."""
    return {CONTROL_TOKEN_HEADER: token, "Content-Type": "application/json"}


class BadInput(ValueError):
    """A control request's field is missing or wrong (a 400 naming the field)."""


def _sim(request: web.Request) -> Simulator:
    from .server import SIM_KEY

    return request.app[SIM_KEY]


def _error(status: int, message: str) -> web.Response:
    return web.json_response(helix_error_body(status, message), status=status)


def _refusal(request: web.Request) -> web.Response | None:
    """Why a state-changing request is refused (401/415/400), or None to go on."""
    sent = request.headers.get(CONTROL_TOKEN_HEADER, "")
    if not hmac.compare_digest(sent.encode(), _sim(request).control_token.encode()):
        return _error(
            401,
            f"The {CONTROL_TOKEN_HEADER} header must carry this run's control token"
            " (printed by python -m companion.sim; Simulator.control_token in process).",
        )
    if request.content_type != "application/json":
        return _error(415, "The control API takes Content-Type: application/json only.")
    if request.query:
        return _error(400, "The control API takes its parameters in a JSON body, not the query.")
    return None


def _no_constant(name: str) -> Any:
    raise BadInput(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInput(f"the number {text} is out of range")
    return value


async def _read_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        parsed = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except BadInput:
        raise
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise BadInput("The body must be a JSON object.")
    _check_text(parsed)
    return parsed


def _check_text(value: Any) -> None:
    """Every string (keys too) must be valid Unicode: UTF-8 cannot store a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                raise BadInput("Text in the body must be valid Unicode (a lone surrogate is not).")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _endpoint(
    fn: ControlHandler, *, changes_state: bool
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap a control handler: checks, JSON in, JSON out, errors as Twitch's error body."""

    async def handle(request: web.Request) -> web.Response:
        body: dict[str, Any] = {}
        if changes_state:
            refused = _refusal(request)
            if refused is not None:
                return refused
        try:
            if changes_state:
                body = await _read_body(request)
            result = await fn(_sim(request), body)
        except SimError as exc:
            return _error(exc.status, exc.message)
        except (ValueError, TypeError) as exc:
            # BadInput, and the state's own ValueErrors ("login is taken", "unknown code").
            return _error(400, str(exc))
        except RuntimeError as exc:
            return _error(409, str(exc))
        return web.json_response({"data": result})

    return handle


# -- field readers: one clear 400 per wrong field ---------------------------------------------


def _text(b: dict[str, Any], key: str, *, max_len: int = _MAX_TEXT) -> str:
    if key not in b:
        raise BadInput(f"missing field {key!r}")
    value = b[key]
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise BadInput(f"{key} must be text of 1 to {max_len} characters")
    return value


def _opt_text(b: dict[str, Any], key: str, default: str | None = None) -> str | None:
    if b.get(key) is None:
        return default
    value = b[key]
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise BadInput(f"{key} must be text of at most {_MAX_TEXT} characters")
    return value


def _int(b: dict[str, Any], key: str, low: int, high: int, default: int | None = None) -> int:
    if b.get(key) is None:
        if default is None:
            raise BadInput(f"missing field {key!r}")
        return default
    value = b[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadInput(f"{key} must be an integer from {low} to {high}")
    return value


def _number(b: dict[str, Any], key: str, low: float, high: float) -> float:
    if key not in b:
        raise BadInput(f"missing field {key!r}")
    value = b[key]
    # Range first: math.isfinite() of an integer past a float's range raises OverflowError.
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not low <= value <= high
        or not math.isfinite(value)
    ):
        raise BadInput(f"{key} must be a finite number from {low:g} to {high:g}")
    return float(value)


def _bool(b: dict[str, Any], key: str) -> bool:
    if key not in b:
        raise BadInput(f"missing field {key!r}")
    value = b[key]
    if not isinstance(value, bool):
        raise BadInput(f"{key} must be true or false")
    return value


def _hub(sim: Simulator) -> Any:
    if sim.hub is None:
        raise RuntimeError("EventSub is not available in this simulator build")
    return sim.hub


async def _create_user(sim: Simulator, b: dict[str, Any]) -> Any:
    login = _text(b, "login", max_len=25)
    if not _LOGIN.match(login):
        raise BadInput("login must be 1 to 25 letters, digits or underscores")
    return sim.state.create_user(
        login,
        _opt_text(b, "display_name"),
        _opt_text(b, "broadcaster_type", "affiliate") or "",
    )


async def _register_client(sim: Simulator, b: dict[str, Any]) -> Any:
    client_id = _text(b, "client_id", max_len=100)
    sim.state.register_client(client_id, _opt_text(b, "client_secret"))
    return {"client_id": client_id}


async def _user_token(sim: Simulator, b: dict[str, Any]) -> Any:
    scopes = b.get("scopes", [])
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list) or not all(isinstance(x, str) for x in scopes):
        raise BadInput("scopes must be a list of text or space-separated text")
    expires_in = _int(b, "expires_in", 1, _INT32, 0) or None
    return sim.state.issue_user_token(
        _text(b, "client_id"), _text(b, "user_id"), scopes, expires_in
    )


async def _app_token(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.issue_app_token(_text(b, "client_id"))


async def _approve(sim: Simulator, b: dict[str, Any]) -> Any:
    code = _text(b, "user_code")
    sim.state.approve_device(code, _text(b, "user_id"))
    return {"user_code": code, "status": "approved"}


async def _deny(sim: Simulator, b: dict[str, Any]) -> Any:
    code = _text(b, "user_code")
    sim.state.deny_device(code)
    return {"user_code": code, "status": "denied"}


async def _revoke_user(sim: Simulator, b: dict[str, Any]) -> Any:
    client_id, user_id = _text(b, "client_id"), _text(b, "user_id")
    sim.state.revoke_user_tokens(client_id, user_id)
    return {"client_id": client_id, "user_id": user_id}


async def _expire(sim: Simulator, b: dict[str, Any]) -> Any:
    sim.state.expire_token(_text(b, "access_token"))
    return {}


async def _redeem(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.redeem(
        _text(b, "broadcaster_id"),
        _text(b, "reward_id"),
        _text(b, "user_id"),
        _opt_text(b, "user_input", "") or "",
    )


async def _redeem_many(sim: Simulator, b: dict[str, Any]) -> Any:
    count = _int(b, "count", 1, 1_000_000)
    rate = _number(b, "rate", 0.001, 100_000) if b.get("rate") is not None else None
    result = sim.state.redeem_many(_text(b, "broadcaster_id"), count, rate)
    if isinstance(result, list):
        return {"count": len(result), "ids": [r["id"] for r in result]}
    # Paced: the task runs on; answer at once.
    return {"scheduled": count, "rate": rate}


async def _predict(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.predict(
        _text(b, "prediction_id"),
        _text(b, "user_id"),
        _text(b, "outcome_id"),
        _int(b, "points", 1, _INT32),
    )


async def _vote(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.vote(
        _text(b, "poll_id"), _text(b, "choice_id"), _int(b, "votes", 1, _INT32, 1)
    )


async def _create_goal(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.create_goal(
        _text(b, "broadcaster_id"),
        _opt_text(b, "type", "follower") or "",
        _opt_text(b, "description", "") or "",
        _int(b, "target_amount", 1, _INT32, 100),
        _int(b, "current_amount", 0, _INT32, 0),
    )


async def _goal_progress(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.goal_progress(_text(b, "goal_id"), _int(b, "amount", -_INT32, _INT32))


async def _end_goal(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.end_goal(_text(b, "goal_id"))


async def _stream(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.set_stream_live(
        _text(b, "broadcaster_id"),
        _bool(b, "live"),
        viewer_count=_int(b, "viewer_count", 0, _INT32, 0),
    )


async def _channel_info(sim: Simulator, b: dict[str, Any]) -> Any:
    broadcaster_id = _text(b, "broadcaster_id")
    current = sim.state.channel(broadcaster_id).info
    fields = {k: v for k, v in b.items() if k != "broadcaster_id"}
    for name, value in fields.items():
        if name not in current:
            continue  # the state names the unknown field
        kind = type(current[name])
        if isinstance(current[name], list):
            ok = isinstance(value, list) and all(isinstance(x, str) for x in value)
        else:
            ok = type(value) is kind
        if not ok:
            raise BadInput(f"{name} must be {kind.__name__}, like the field it replaces")
    return sim.state.set_channel_info(broadcaster_id, **fields)


async def _install_extension(sim: Simulator, b: dict[str, Any]) -> Any:
    extension = b.get("extension")
    if not isinstance(extension, dict):
        raise BadInput("extension must be an object with id, version, name and type")
    return sim.state.install_extension(_text(b, "user_id"), extension)


async def _get_faults(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.faults.snapshot()


async def _set_faults(sim: Simulator, b: dict[str, Any]) -> Any:
    """One switch per call: ``{"kind": "latency"|"status"|"throttle"|"reset"|"malformed"|
    "revoke"|"revoke_tokens"|"clear", "n", "status", "seconds", "prefix", "client_id"}``."""
    kind = _text(b, "kind", max_len=20)
    prefix = _opt_text(b, "prefix")
    n = _int(b, "n", 1, 1_000_000, 1)
    f = sim.faults
    if kind == "latency":
        f.set_latency(_number(b, "seconds", 0, 600), prefix)
    elif kind == "status":
        f.fail_next(n, _int(b, "status", 100, 599, 503), prefix)
    elif kind == "throttle":
        f.throttle_next(n, prefix)
    elif kind == "reset":
        f.reset_next(n, prefix)
    elif kind == "malformed":
        f.malform_next(n, prefix)
    elif kind == "revoke":
        f.revoke_next(n, prefix)
    elif kind == "revoke_tokens":
        return {"revoked": f.revoke_tokens(_opt_text(b, "client_id"))}
    elif kind == "clear":
        f.clear()
    else:
        raise BadInput(f"unknown fault kind {kind!r}")
    return f.snapshot()


async def _clear_faults(sim: Simulator, b: dict[str, Any]) -> Any:
    sim.faults.clear()
    return sim.faults.snapshot()


async def _ws_reconnect(sim: Simulator, b: dict[str, Any]) -> Any:
    return {"sockets": await _hub(sim).force_reconnect()}


async def _ws_drop(sim: Simulator, b: dict[str, Any]) -> Any:
    # WebSocket close codes an application may send: 1000 and 3000-4999 (RFC 6455 7.4).
    code = _int(b, "close_code", 1000, 4999) if b.get("close_code") is not None else None
    return {"sockets": await _hub(sim).drop_connections(code)}


async def _ws_silence(sim: Simulator, b: dict[str, Any]) -> Any:
    seconds = _number(b, "seconds", 0, 3600)
    _hub(sim).silence_keepalive(seconds)
    return {"seconds": seconds}


async def _ws_resend(sim: Simulator, b: dict[str, Any]) -> Any:
    return {"messages": _hub(sim).resend_last(_int(b, "n", 1, 100_000, 1))}


async def _ratelimit_reset(sim: Simulator, b: dict[str, Any]) -> Any:
    sim.limiter.reset()
    return {}


def routes() -> list[web.RouteDef]:
    """The control API routes (GETs change nothing and need no token)."""
    table: list[tuple[str, str, ControlHandler]] = [
        ("POST", "/_sim/users", _create_user),
        ("POST", "/_sim/clients", _register_client),
        ("POST", "/_sim/tokens/user", _user_token),
        ("POST", "/_sim/tokens/app", _app_token),
        ("POST", "/_sim/tokens/revoke_user", _revoke_user),
        ("POST", "/_sim/tokens/expire", _expire),
        ("POST", "/_sim/device/approve", _approve),
        ("POST", "/_sim/device/deny", _deny),
        ("POST", "/_sim/redemptions", _redeem),
        ("POST", "/_sim/redemptions/many", _redeem_many),
        ("POST", "/_sim/predictions/predict", _predict),
        ("POST", "/_sim/polls/vote", _vote),
        ("POST", "/_sim/goals", _create_goal),
        ("POST", "/_sim/goals/progress", _goal_progress),
        ("POST", "/_sim/goals/end", _end_goal),
        ("POST", "/_sim/streams", _stream),
        ("POST", "/_sim/channels", _channel_info),
        ("POST", "/_sim/extensions", _install_extension),
        ("GET", "/_sim/faults", _get_faults),
        ("POST", "/_sim/faults", _set_faults),
        ("DELETE", "/_sim/faults", _clear_faults),
        ("POST", "/_sim/ratelimit/reset", _ratelimit_reset),
        ("POST", "/_sim/eventsub/reconnect", _ws_reconnect),
        ("POST", "/_sim/eventsub/drop", _ws_drop),
        ("POST", "/_sim/eventsub/silence", _ws_silence),
        ("POST", "/_sim/eventsub/resend", _ws_resend),
    ]
    return [
        web.route(method, path, _endpoint(fn, changes_state=method != "GET"))
        for method, path, fn in table
    ]
