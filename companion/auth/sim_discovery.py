"""Ask a local Twitch simulator what it is (``GET /_sim/info``), for its demo client id.

With ``--twitch-url`` pointing at a simulator and no client id configured, the app asks the
simulator instead of telling a newcomer to guess one. Only a URL on this machine is ever
asked: the simulator binds loopback only, so anything else (Twitch above all) cannot be one
and never receives the request.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from yarl import URL

from companion.twitch.authority import is_loopback_host

_log = logging.getLogger(__name__)

#: The discovery route, under the simulator's base URL.
INFO_PATH: Final = "/_sim/info"
#: What a Streamer Companion simulator names itself in its discovery answer.
SIMULATOR_NAME: Final = "companion.sim"
#: The answer is a few hundred bytes; anything far larger is not a simulator's.
_MAX_BODY: Final = 64 * 1024


class DiscoveryError(RuntimeError):
    """The URL is not a simulator's, or it did not answer as one (the message says which)."""


@dataclass(frozen=True, slots=True)
class SimInfo:
    """What a simulator says about itself.

    Attributes:
        url: Where the answer came from.
        demo_client_id: The public client its demo seed registered (None without ``--demo``).
        oauth_url: Its OAuth base URL.
        helix_url: Its Helix base URL.
        eventsub_url: Its EventSub WebSocket URL.
    """

    url: str
    demo_client_id: str | None
    oauth_url: str
    helix_url: str
    eventsub_url: str


def discovery_url(twitch_url: str | None) -> str | None:
    """The discovery URL for a ``--twitch-url``, or None when it must not be asked.

    Only an http(s) URL whose host is this machine can be a simulator; for Twitch's own
    URLs, any other host, or no ``--twitch-url`` at all the answer is None.
    """
    if not twitch_url:
        return None
    parsed = URL(twitch_url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None
    if not is_loopback_host(parsed.host):
        return None
    return f"{twitch_url.rstrip('/')}{INFO_PATH}"


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise DiscoveryError(f"the discovery answer has no {key}")
    return value


async def fetch_sim_info(
    session: aiohttp.ClientSession, twitch_url: str, *, timeout: float = 5.0
) -> SimInfo:
    """Ask the simulator at ``twitch_url`` what it is (one GET, no token, no redirects).

    Raises:
        DiscoveryError: ``twitch_url`` is not on this machine (nothing is sent), nothing
            answered, or the answer is not a simulator's.
    """
    url = discovery_url(twitch_url)
    if url is None:
        raise DiscoveryError("only a simulator on this machine is asked for a client id")
    try:
        async with session.get(
            url, timeout=aiohttp.ClientTimeout(total=timeout), allow_redirects=False
        ) as response:
            if response.status != 200:
                raise DiscoveryError(f"{url} answered {response.status}, not a simulator's info")
            raw = await response.content.read(_MAX_BODY + 1)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise DiscoveryError(f"{url} did not answer ({type(error).__name__})") from error
    if len(raw) > _MAX_BODY:
        raise DiscoveryError(f"{url} answered with more than {_MAX_BODY} bytes")
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise DiscoveryError(f"{url} did not answer with JSON") from error
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or data.get("simulator") != SIMULATOR_NAME:
        raise DiscoveryError(f"{url} is not a Streamer Companion simulator")
    client_id = data.get("demo_client_id")
    return SimInfo(
        url=url,
        demo_client_id=client_id if isinstance(client_id, str) and client_id else None,
        oauth_url=_text(data, "oauth_url"),
        helix_url=_text(data, "helix_url"),
        eventsub_url=_text(data, "eventsub_url"),
    )


async def discover_demo_client_id(session: aiohttp.ClientSession, twitch_url: str) -> str | None:
    """The demo client id of the simulator at ``twitch_url``, or None (the log says why).

    For the app when no client id is configured; logs the one it found, so the streamer
    can see where it came from.
    """
    url = discovery_url(twitch_url)
    try:
        info = await fetch_sim_info(session, twitch_url)
    except DiscoveryError as error:
        _log.warning("no client id is configured, and asking %s failed: %s", url, error)
        return None
    if info.demo_client_id is None:
        _log.warning("the simulator at %s has no demo client (started without --demo)", url)
        return None
    _log.info(
        "no Twitch client id is configured; using the simulator's demo client id %s from %s",
        info.demo_client_id,
        info.url,
    )
    return info.demo_client_id
