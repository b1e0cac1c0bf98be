"""``GET /_sim/info``: the simulator says what it is, so a client need not guess.

A client pointed at a simulator (the app's ``--twitch-url``) asks here for the demo client
id and the OAuth, Helix and EventSub URLs. The route is read-only: it needs no token and
changes nothing, so it stays open when the state-changing control routes are guarded. It
is the simulator's own route; Twitch has no such thing, and clients must never ask Twitch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .config import DEMO_CLIENT_ID

if TYPE_CHECKING:
    from .server import Simulator

INFO_PATH: Final = "/_sim/info"

#: What ``simulator`` says, so a client can tell this answer from any other server's.
SIMULATOR_NAME: Final = "companion.sim"


def describe(sim: Simulator) -> dict[str, Any]:
    """The discovery document of ``sim`` (the ``data`` of ``GET /_sim/info``).

    ``demo_client_id`` is the public client the demo seed registered, or None when the
    simulator runs without ``demo`` (then no client is registered until a test adds one).
    """
    demo_client = DEMO_CLIENT_ID if DEMO_CLIENT_ID in sim.state.clients else None
    return {
        "simulator": SIMULATOR_NAME,
        "demo_client_id": demo_client,
        "demo_broadcaster_id": sim.demo_broadcaster_id,
        "base_url": sim.base_url,
        "oauth_url": sim.oauth_url,
        "helix_url": sim.helix_url,
        "eventsub_url": sim.eventsub_url,
        "control_url": sim.control_url,
    }


async def _info(request: web.Request) -> web.Response:
    from .server import SIM_KEY

    return web.json_response({"data": describe(request.app[SIM_KEY])})


def routes() -> list[web.RouteDef]:
    """The discovery route."""
    return [web.get(INFO_PATH, _info)]
