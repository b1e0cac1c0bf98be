"""Which ``session_reconnect`` the EventSub client follows, and how often.

[HWE] says to open the ``reconnect_url`` "as is" and at once. A server can put anything in
it, though, and whatever answers there is read as Twitch (its "events" would enter the queue
and the ledger). So the URL is followed only when it is:

* ``wss://`` on Twitch's EventSub host (:data:`TWITCH_EVENTSUB_HOST`, any port), or
* the configured EventSub URL's own scheme, host and port, when that is a loopback address
  (the simulator in demo mode and tests; it sends reconnect URLs to itself).

Anything else (another host or port, ``ws://`` or ``http://`` to Twitch, credentials in the
URL, not a URL) is a protocol error: logged, and the client starts a fresh session on the
configured URL as after any lost session.

Real reconnects are rare (maintenance). A storm of them is throttled by :class:`HopLimiter`:
the first :data:`FREE_HOPS` within :data:`HOP_WINDOW_SECONDS` go at once, later ones wait a
growing, jittered delay first (the old socket is read meanwhile, so nothing is lost).
"""

from __future__ import annotations

import ipaddress
import logging
from collections import deque
from typing import TYPE_CHECKING, Final

from yarl import URL

from ._util import backoff_delay

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "FREE_HOPS",
    "HOP_WINDOW_SECONDS",
    "MAX_HOP_DELAY_SECONDS",
    "TWITCH_EVENTSUB_HOST",
    "HopLimiter",
    "reconnect_url_refusal",
]

_log = logging.getLogger(__name__)

#: [HWE] "URL: wss://eventsub.wss.twitch.tv/ws"; the documented reconnect example is on the
#: same host ("wss://eventsub.wss.twitch.tv?...").
TWITCH_EVENTSUB_HOST: Final = "eventsub.wss.twitch.tv"
#: Hops allowed at once within the window (the issue's rule: back off after 3 in 10 s).
FREE_HOPS: Final = 3
HOP_WINDOW_SECONDS: Final = 10.0
#: [HWE] a client has 30 s after ``session_reconnect`` before Twitch closes the old socket
#: (4004); a delayed hop still has ten of them left for its handshake and welcome.
MAX_HOP_DELAY_SECONDS: Final = 20.0


def _origin(url: URL) -> str:
    host = url.host or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{url.scheme}://{host}:{url.port}"


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reconnect_url_refusal(url: str, configured: URL) -> str | None:
    """Why ``url`` must not be followed, or None when it may be.

    Args:
        url: The ``reconnect_url`` as Twitch sent it.
        configured: The EventSub URL the client was configured with.

    Returns:
        A reason for the log and the status (it names the URL's scheme, host and port only,
        never its path, query or credentials).
    """
    try:
        target = URL(url, encoded=True)
    except (ValueError, TypeError):
        return "it is not a URL"
    if not target.absolute or not target.host:
        return "it is not an absolute URL"
    if target.user is not None or target.password is not None:
        return "it carries credentials"
    host = target.host.lower()
    if target.scheme == "wss" and host == TWITCH_EVENTSUB_HOST:
        return None
    same_origin = (target.scheme, host, target.port) == (
        configured.scheme,
        (configured.host or "").lower(),
        configured.port,
    )
    if same_origin and _is_loopback(configured.host):
        return None
    return (
        f"{_origin(target)} is neither Twitch's EventSub host (wss://{TWITCH_EVENTSUB_HOST}) "
        f"nor the configured {_origin(configured)}"
    )


class HopLimiter:
    """Counts ``session_reconnect`` hops and says how long the next one must wait.

    Args:
        base_delay: Base of the jittered exponential delay past the free hops.
        max_delay: Its cap (never above :data:`MAX_HOP_DELAY_SECONDS`).
        clock: Monotonic seconds (the loop's clock).

    Attributes:
        delayed: Hops that had to wait.
    """

    __slots__ = ("_clock", "_starts", "base_delay", "delayed", "max_delay")

    def __init__(self, base_delay: float, max_delay: float, clock: Callable[[], float]) -> None:
        self.base_delay = base_delay
        self.max_delay = min(max_delay, MAX_HOP_DELAY_SECONDS)
        self._clock = clock
        self._starts: deque[float] = deque()
        self.delayed = 0

    def __repr__(self) -> str:
        return f"<HopLimiter recent={len(self._starts)} delayed={self.delayed}>"

    def next_delay(self) -> float:
        """Record a hop starting now; the seconds it must wait first (0 for a free one)."""
        now = self._clock()
        starts = self._starts
        while starts and now - starts[0] > HOP_WINDOW_SECONDS:
            starts.popleft()
        recent = len(starts)
        starts.append(now)
        if recent < FREE_HOPS:
            return 0.0
        self.delayed += 1
        delay = backoff_delay(recent - FREE_HOPS, self.base_delay, self.max_delay)
        _log.warning(
            "session_reconnect storm: %d hops within %.0f s; the next waits %.2f s",
            recent,
            HOP_WINDOW_SECONDS,
            delay,
        )
        return delay
