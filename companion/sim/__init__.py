"""A Twitch simulator: OAuth, Helix and EventSub WebSocket on 127.0.0.1, all state in memory.

It is written from Twitch's reference (``/work/shared/twitch-reference``) and never imports
``companion.twitch``: it is an independent second reading, so one misreading cannot hide
another. See ``docs/simulator.md``.
"""

from __future__ import annotations

from .config import DEMO_BROADCASTER_LOGIN, DEMO_CLIENT_ID, OTHER_APP_CLIENT_ID, SimConfig
from .control_routes import CONTROL_TOKEN_HEADER, control_headers
from .errors import SimError
from .events import AccessTokenRecord, DomainEvent, EventSubHubProtocol
from .faults import Faults
from .server import Simulator
from .state import SimState

__all__ = [
    "CONTROL_TOKEN_HEADER",
    "DEMO_BROADCASTER_LOGIN",
    "DEMO_CLIENT_ID",
    "OTHER_APP_CLIENT_ID",
    "AccessTokenRecord",
    "DomainEvent",
    "EventSubHubProtocol",
    "Faults",
    "SimConfig",
    "SimError",
    "SimState",
    "Simulator",
    "control_headers",
]
