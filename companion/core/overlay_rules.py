"""The overlay settings' rules: the port the overlay server may use and the alert rules.

No Qt: the settings (``ui/settings.py``) store these values and the overlay service
(``services/overlay_service.py``) applies them; both check them here, with sentences that
name the limit a value broke.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from companion.core.errors import UserError

__all__ = [
    "DEFAULT_ALERT_SECONDS",
    "DEFAULT_OVERLAY_PORT",
    "MAX_ALERT_SECONDS",
    "MAX_OVERLAY_PORT",
    "MIN_ALERT_SECONDS",
    "MIN_OVERLAY_PORT",
    "AlertRule",
    "check_alert_seconds",
    "check_overlay_port",
    "finite_number",
]

#: The overlay server's port when none was chosen (``companion.overlay.server.DEFAULT_PORT``,
#: repeated here so that reading the settings does not import the web server).
DEFAULT_OVERLAY_PORT = 7480
#: Ports below 1024 are privileged (an unprivileged app cannot bind them on Linux/macOS).
MIN_OVERLAY_PORT = 1024
MAX_OVERLAY_PORT = 65535
#: How long a redemption alert stays on stream unless its reward says otherwise.
DEFAULT_ALERT_SECONDS = 6.0
#: An alert shorter than a second cannot be read; one longer than a minute holds up every
#: alert queued behind it (the page shows them one at a time).
MIN_ALERT_SECONDS = 1.0
MAX_ALERT_SECONDS = 60.0


def finite_number(value: object) -> float | None:
    """A finite number from a setting (INI files hold numbers as text) or a text field, or
    None (a bool, other types, text that is no number, inf and nan)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _not_a(value: object, kind: str) -> str:
    """Why ``value`` is not a number, as the end of a sentence."""
    text = value.strip() if isinstance(value, str) else "" if value is None else str(value)
    if not text:
        return "nothing was given"
    return f"“{text[:20]}” is not {kind}"


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One reward's redemption alert: shown or not, and for how many seconds."""

    enabled: bool = True
    seconds: float = DEFAULT_ALERT_SECONDS


def check_overlay_port(value: object) -> int:
    """A port the overlay server may listen on.

    Raises:
        UserError: ``value`` is not a whole number from 1024 to 65535; the message says
            which limit it broke.
    """
    number = finite_number(value)
    if number is None or not number.is_integer():
        raise UserError(
            f"The overlay port must be a whole number from {MIN_OVERLAY_PORT} to "
            f"{MAX_OVERLAY_PORT}; {_not_a(value, 'a whole number')}."
        )
    port = int(number)
    if port < MIN_OVERLAY_PORT:
        raise UserError(
            f"The overlay port must be at least {MIN_OVERLAY_PORT} (lower ports are reserved "
            f"for the system); {port} is too low."
        )
    if port > MAX_OVERLAY_PORT:
        raise UserError(
            f"The overlay port must be at most {MAX_OVERLAY_PORT}, the highest port there "
            f"is; {port} is too high."
        )
    return port


def check_alert_seconds(value: object) -> float:
    """How long an alert stays on screen, in seconds.

    Raises:
        UserError: ``value`` is not a number from 1 to 60; the message says which limit.
    """
    number = finite_number(value)
    if number is None:
        raise UserError(
            f"An alert's duration must be a number of seconds from {MIN_ALERT_SECONDS:g} "
            f"to {MAX_ALERT_SECONDS:g}; {_not_a(value, 'a number')}."
        )
    if number < MIN_ALERT_SECONDS:
        raise UserError(
            f"An alert must stay at least {MIN_ALERT_SECONDS:g} s to be read; "
            f"{number:g} s is too short."
        )
    if number > MAX_ALERT_SECONDS:
        raise UserError(
            f"An alert may stay at most {MAX_ALERT_SECONDS:g} s (alerts behind it wait); "
            f"{number:g} s is too long."
        )
    return number
