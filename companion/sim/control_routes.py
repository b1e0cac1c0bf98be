"""``/_sim/*``: the HTTP face of the Python control surface (see docs/simulator.md)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import SimError

if TYPE_CHECKING:
    from .server import Simulator

_log = logging.getLogger(__name__)

ControlHandler = Callable[["Simulator", dict[str, Any]], Awaitable[Any]]


def _sim(request: web.Request) -> Simulator:
    from .server import SIM_KEY

    return request.app[SIM_KEY]


def _endpoint(fn: ControlHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap a control handler: JSON in, JSON out, errors as ``{"status", "message"}``."""

    async def handle(request: web.Request) -> web.Response:
        body: dict[str, Any] = {}
        if request.can_read_body:
            try:
                parsed = json.loads(await request.read() or b"{}")
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                return _error(400, "body must be a JSON object")
            body = parsed
        body.update({k: v for k, v in request.query.items() if k not in body})
        try:
            result = await fn(_sim(request), body)
        except SimError as exc:
            return _error(exc.status, exc.message)
        except KeyError as exc:
            return _error(400, f"missing field {exc}")
        except (ValueError, TypeError) as exc:
            return _error(400, str(exc))
        except RuntimeError as exc:
            return _error(409, str(exc))
        return web.json_response({"data": result})

    return handle


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": message}, status=status)


def _hub(sim: Simulator) -> Any:
    if sim.hub is None:
        raise RuntimeError("EventSub is not available in this simulator build")
    return sim.hub


async def _create_user(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.create_user(
        b["login"], b.get("display_name"), b.get("broadcaster_type", "affiliate")
    )


async def _register_client(sim: Simulator, b: dict[str, Any]) -> Any:
    sim.state.register_client(b["client_id"], b.get("client_secret"))
    return {"client_id": b["client_id"]}


async def _user_token(sim: Simulator, b: dict[str, Any]) -> Any:
    scopes = b.get("scopes", [])
    if isinstance(scopes, str):
        scopes = scopes.split()
    return sim.state.issue_user_token(b["client_id"], b["user_id"], scopes, b.get("expires_in"))


async def _app_token(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.issue_app_token(b["client_id"])


async def _approve(sim: Simulator, b: dict[str, Any]) -> Any:
    sim.state.approve_device(b["user_code"], b["user_id"])
    return {"user_code": b["user_code"], "status": "approved"}


async def _deny(sim: Simulator, b: dict[str, Any]) -> Any:
    sim.state.deny_device(b["user_code"])
    return {"user_code": b["user_code"], "status": "denied"}


async def _revoke_user(sim: Simulator, b: dict[str, Any]) -> Any:
    sim.state.revoke_user_tokens(b["client_id"], b["user_id"])
    return {"client_id": b["client_id"], "user_id": b["user_id"]}


async def _expire(sim: Simulator, b: dict[str, Any]) -> Any:
    sim.state.expire_token(b["access_token"])
    return {}


async def _redeem(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.redeem(
        b["broadcaster_id"], b["reward_id"], b["user_id"], b.get("user_input", "")
    )


async def _redeem_many(sim: Simulator, b: dict[str, Any]) -> Any:
    rate = b.get("rate")
    result = sim.state.redeem_many(
        b["broadcaster_id"], int(b["count"]), float(rate) if rate is not None else None
    )
    if isinstance(result, list):
        return {"count": len(result), "ids": [r["id"] for r in result]}
    # Paced: the task runs on; answer at once.
    return {"scheduled": int(b["count"]), "rate": float(rate or 0)}


async def _predict(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.predict(b["prediction_id"], b["user_id"], b["outcome_id"], int(b["points"]))


async def _vote(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.vote(b["poll_id"], b["choice_id"], int(b.get("votes", 1)))


async def _create_goal(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.create_goal(
        b["broadcaster_id"],
        b.get("type", "follower"),
        b.get("description", ""),
        int(b.get("target_amount", 100)),
        int(b.get("current_amount", 0)),
    )


async def _goal_progress(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.goal_progress(b["goal_id"], int(b["amount"]))


async def _end_goal(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.end_goal(b["goal_id"])


async def _stream(sim: Simulator, b: dict[str, Any]) -> Any:
    live = b["live"]
    if isinstance(live, str):
        live = live.lower() == "true"
    return sim.state.set_stream_live(
        b["broadcaster_id"], bool(live), viewer_count=int(b.get("viewer_count", 0))
    )


async def _channel_info(sim: Simulator, b: dict[str, Any]) -> Any:
    fields = {k: v for k, v in b.items() if k != "broadcaster_id"}
    return sim.state.set_channel_info(b["broadcaster_id"], **fields)


async def _install_extension(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.state.install_extension(b["user_id"], b["extension"])


async def _get_faults(sim: Simulator, b: dict[str, Any]) -> Any:
    return sim.faults.snapshot()


async def _set_faults(sim: Simulator, b: dict[str, Any]) -> Any:
    """One switch per call: ``{"kind": "latency"|"status"|"throttle"|"reset"|"malformed"|
    "revoke"|"revoke_tokens"|"clear", "n", "status", "seconds", "prefix", "client_id"}``."""
    kind = b["kind"]
    prefix = b.get("prefix")
    n = int(b.get("n", 1))
    f = sim.faults
    if kind == "latency":
        f.set_latency(float(b["seconds"]), prefix)
    elif kind == "status":
        f.fail_next(n, int(b.get("status", 503)), prefix)
    elif kind == "throttle":
        f.throttle_next(n, prefix)
    elif kind == "reset":
        f.reset_next(n, prefix)
    elif kind == "malformed":
        f.malform_next(n, prefix)
    elif kind == "revoke":
        f.revoke_next(n, prefix)
    elif kind == "revoke_tokens":
        return {"revoked": f.revoke_tokens(b.get("client_id"))}
    elif kind == "clear":
        f.clear()
    else:
        raise ValueError(f"unknown fault kind {kind!r}")
    return f.snapshot()


async def _clear_faults(sim: Simulator, b: dict[str, Any]) -> Any:
    sim.faults.clear()
    return sim.faults.snapshot()


async def _ws_reconnect(sim: Simulator, b: dict[str, Any]) -> Any:
    return {"sockets": await _hub(sim).force_reconnect()}


async def _ws_drop(sim: Simulator, b: dict[str, Any]) -> Any:
    code = b.get("close_code")
    return {"sockets": await _hub(sim).drop_connections(int(code) if code is not None else None)}


async def _ws_silence(sim: Simulator, b: dict[str, Any]) -> Any:
    _hub(sim).silence_keepalive(float(b["seconds"]))
    return {"seconds": float(b["seconds"])}


async def _ws_resend(sim: Simulator, b: dict[str, Any]) -> Any:
    return {"messages": _hub(sim).resend_last(int(b.get("n", 1)))}


async def _ratelimit_reset(sim: Simulator, b: dict[str, Any]) -> Any:
    sim.limiter.reset()
    return {}


def routes() -> list[web.RouteDef]:
    """The control API routes."""
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
    return [web.route(method, path, _endpoint(fn)) for method, path, fn in table]
