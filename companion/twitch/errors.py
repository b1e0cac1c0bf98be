"""The exception tree of the Twitch client.

Every error the client raises on purpose derives from :class:`TwitchError`, except
:class:`LimitError`, which is a :class:`ValueError` (an argument broke a documented
Helix limit before anything was sent) and also a :class:`TwitchError` so one ``except``
can catch everything the client raises.

Tree::

    TwitchError
    ├── HTTPException(status, route, body, message)
    │   ├── BadRequest        400
    │   ├── Unauthorized      401
    │   ├── Forbidden         403
    │   ├── NotFound          404
    │   ├── Conflict          409
    │   ├── RateLimited       429
    │   └── ServerError       5xx
    ├── NetworkError          no response: connection refused/reset, timeout (after retries)
    ├── InvalidToken          a token Twitch no longer accepts and nobody could replace
    ├── RefreshFailure        a refresh that did not give a new token
    ├── MissingScope          the token lacks every scope a method accepts (raised before sending)
    ├── APIUnavailable        the token handler cannot make API calls (IRCTokenHandler)
    ├── TokenAuthorityError   a token on its way to a host that did not issue it (not sent)
    ├── InsecureURL (also ValueError)  plain http/ws to another machine (nothing sent)
    ├── PayloadError          a body from Twitch that does not have the documented shape
    ├── OAuthError            an id.twitch.tv error during sign-in (device code flow, revoke)
    │   ├── AuthorizationPending
    │   ├── SlowDown
    │   ├── DeviceCodeExpired
    │   └── AccessDenied
    └── LimitError (also ValueError)
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .http import Route

__all__ = [
    "APIUnavailable",
    "AccessDenied",
    "AuthorizationPending",
    "BadRequest",
    "Conflict",
    "DeviceCodeExpired",
    "Forbidden",
    "HTTPException",
    "InsecureURL",
    "InvalidToken",
    "LimitError",
    "MissingScope",
    "NetworkError",
    "NotFound",
    "OAuthError",
    "PayloadError",
    "RateLimited",
    "RefreshFailure",
    "ServerError",
    "SlowDown",
    "TokenAuthorityError",
    "TwitchError",
    "Unauthorized",
]

_log = logging.getLogger(__name__)


class TwitchError(Exception):
    """Base class of every error raised by :mod:`companion.twitch`."""


class HTTPException(TwitchError):
    """Helix answered with a status that is not a success.

    Attributes:
        status: The HTTP status code.
        route: The route that was requested (method and URL, never a token).
        body: The decoded JSON body when there was one, else the raw text (may be empty).
        message: Twitch's ``message`` field when the body had one, else the reason phrase.
    """

    def __init__(self, status: int, route: Route | None, body: Any, message: str) -> None:
        self.status = status
        self.route = route
        self.body = body
        self.message = message
        where = f" on {route}" if route is not None else ""
        super().__init__(f"{status}{where}: {message}")


class BadRequest(HTTPException):
    """400: Twitch refused the request's content (its message says why)."""


class Unauthorized(HTTPException):
    """401: the token was refused even after the one allowed refresh and retry."""


class Forbidden(HTTPException):
    """403: e.g. the reward belongs to another app, or the channel is not affiliate/partner."""


class NotFound(HTTPException):
    """404: the reward, redemption, prediction, poll or extension does not exist."""


class Conflict(HTTPException):
    """409: a conflicting update (Twitch documents it for a few endpoints)."""


class RateLimited(HTTPException):
    """429 that persisted after waiting for the bucket to reset within the bounded tries."""


class ServerError(HTTPException):
    """5xx that persisted, or a write that could not be retried safely."""


_STATUS_CLASSES: dict[int, type[HTTPException]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}


def exception_for_status(status: int) -> type[HTTPException]:
    """Return the :class:`HTTPException` subclass that stands for ``status``."""
    if status >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status, HTTPException)


class NetworkError(TwitchError):
    """No response arrived (connection refused or reset, timeout), after any safe retries.

    Attributes:
        route: The route that was requested.
    """

    def __init__(self, route: Route | None, message: str) -> None:
        self.route = route
        where = f"{route}: " if route is not None else ""
        super().__init__(f"{where}{message}")


class InvalidToken(TwitchError):
    """A token Twitch does not accept (validation said 401) and no replacement was given."""


class RefreshFailure(TwitchError):
    """Refreshing a user token did not produce a new token.

    Attributes:
        refused: True when Twitch refused the refresh token itself (HTTP 400 "Invalid
            refresh token"): only a new sign-in helps. False for network errors and 5xx,
            where the same refresh token stays usable and a later try may succeed.
        status: The HTTP status when there was a response, else None.
    """

    def __init__(self, message: str, *, refused: bool, status: int | None = None) -> None:
        self.refused = refused
        self.status = status
        super().__init__(message)


class MissingScope(TwitchError):
    """The token lacks every scope the method accepts; raised before any request is sent.

    Attributes:
        scopes: The scopes the method accepts (any one is enough).
        method: The public method (``"PartialUser.create_custom_reward"``) or route asked for.
    """

    def __init__(self, scopes: Iterable[str], method: str) -> None:
        self.scopes = tuple(scopes)
        self.method = method
        wanted = " or ".join(repr(s) for s in self.scopes)
        super().__init__(f"{method} needs the scope {wanted}; the signed-in token does not have it")


class APIUnavailable(TwitchError):
    """The token handler in use cannot make Helix calls (for example :class:`IRCTokenHandler`)."""


class PayloadError(TwitchError):
    """A body that does not have the shape Twitch documents.

    Attributes:
        field: Dotted path of the offending field (``"outcomes[1].users"``), or ``""``.
    """

    def __init__(self, message: str, *, field: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class OAuthError(TwitchError):
    """id.twitch.tv answered a sign-in request with an error.

    Attributes:
        status: The HTTP status (0 when no response arrived).
        message: Twitch's ``message`` (or RFC 8628 ``error``) text.
    """

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}" if status else message)


class AuthorizationPending(OAuthError):
    """The user has not yet entered the code: poll again after the interval."""


class SlowDown(OAuthError):
    """RFC 8628 ``slow_down``: poll less often (Twitch documents no body; kept for safety)."""


class DeviceCodeExpired(OAuthError):
    """The device code expired or was already used ("invalid device code"): start again."""


class AccessDenied(OAuthError):
    """The user declined the authorization."""


class LimitError(ValueError, TwitchError):
    """An argument breaks a documented Helix limit; nothing was sent.

    Attributes:
        limit: The name of the limit in :data:`companion.twitch.limits.LIMITS`.
        bound: The bound that was broken (the minimum or maximum).
        value: The measured value (a length, count or number).
    """

    def __init__(self, limit: str, bound: int, value: int, message: str) -> None:
        self.limit = limit
        self.bound = bound
        self.value = value
        super().__init__(message)


class TokenAuthorityError(TwitchError):
    """A token was about to go to a host other than the authority that issued it.

    Raised before anything is sent (see :mod:`companion.twitch.authority`): a token issued
    by id.twitch.tv never reaches a simulator, and a simulator's token never reaches Twitch.
    """


class InsecureURL(ValueError, TwitchError):
    """A URL the client would send a secret to over plain http/ws to another machine (or a
    URL that is not absolute http(s)/ws(s) at all). Raised before anything is sent."""
