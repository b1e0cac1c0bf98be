"""Configuration of the Twitch simulator."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

_log = logging.getLogger(__name__)

#: A public client (no secret) registered when the simulator runs with ``demo=True``.
DEMO_CLIENT_ID: Final[str] = "companiondemo0sim0client000001"

#: The client that created the one demo reward our app may not manage.
OTHER_APP_CLIENT_ID: Final[str] = "someotherapp0sim0client000002"

#: The demo broadcaster's login.
DEMO_BROADCASTER_LOGIN: Final[str] = "democaster"


@dataclass(slots=True)
class SimConfig:
    """Knobs of a `Simulator`.

    Attributes:
        access_token_ttl: Lifetime in seconds of user access tokens.
        app_token_ttl: Lifetime in seconds of app access tokens (client credentials).
        device_code_ttl: Lifetime in seconds of a device code.
        device_poll_interval: The ``interval`` (seconds) a device-flow client should wait
            between polls; a faster poll of a code still pending gets ``slow_down`` (and
            that code's interval grows by 5 s, RFC 8628), an approved code's token is
            served on the next poll whenever it comes.
        ratelimit_points: Size of each Helix rate-limit bucket (``Ratelimit-Limit``).
        ratelimit_window: Seconds an empty bucket takes to fill completely.
        demo: Seed the demo channel, its viewers, rewards, goal and extensions.
        traffic_rate: Redemptions per second generated on the demo channel (0 = none).
        seed: Seed of the id generator (deterministic ids); None = random.
        auto_approve_login: When set, device codes are approved for this user on the first poll
            (lets the app's demo mode log in without a browser).
        tick_interval: Seconds between checks of timers (prediction windows, poll durations).
        settled_redemption_retention: Seconds a FULFILLED or CANCELED redemption stays
            readable after it was settled. SOURCES.md says Twitch returns them "for only a
            few days" and gives no exact figure; three days is our reading. The soak test
            shortens it, as it compresses a stream's hours into minutes.
    """

    access_token_ttl: int = 14400
    app_token_ttl: int = 5_184_000
    device_code_ttl: float = 1800
    device_poll_interval: float = 5
    ratelimit_points: int = 800
    ratelimit_window: float = 60.0
    demo: bool = False
    traffic_rate: float = 0.0
    seed: int | None = None
    auto_approve_login: str | None = None
    tick_interval: float = 0.25
    settled_redemption_retention: float = 3 * 86_400.0
