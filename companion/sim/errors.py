"""The error the simulator's state raises when a request breaks a documented rule."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

_log = logging.getLogger(__name__)


class SimError(Exception):
    """A rule violation, turned into Twitch's error body by the HTTP layer.

    Raised before any state is changed, so a failed request leaves the state untouched.

    Attributes:
        status: The HTTP status code.
        message: The human-readable ``message`` of Twitch's error body.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        """Twitch's Helix error body: ``{"error": reason phrase, "status", "message"}``."""
        return helix_error_body(self.status, self.message)


def helix_error_body(status: int, message: str) -> dict[str, Any]:
    """Build Helix's generic error body (helix/error.*.json shape)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"error": phrase, "status": status, "message": message}


def bad_request(message: str) -> SimError:
    """A 400 with ``message``."""
    return SimError(400, message)


def not_found(message: str) -> SimError:
    """A 404 with ``message``."""
    return SimError(404, message)
