"""The exception tree of the Twitch client.

Every error the client raises on purpose derives from :class:`TwitchError`, except
:class:`LimitError`, which is a :class:`ValueError` (an argument broke a documented
Helix limit before anything was sent) and also a :class:`TwitchError` so one ``except``
can catch everything the client raises.

Tree::

    TwitchError
    ├── HTTPException(status, route, body, message)
    │   ├── BadRequest        400
    │   ├── Unauthorized      401 (token_valid: was the token itself still good?)
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
    """401: Helix refused the request, and a refresh could not or need not help.

    Helix answers 401 for a dead token but also for a missing scope and for a
    ``broadcaster_id`` that is not the token's user. So on a 401 the client asks Twitch
    (``GET /oauth2/validate``) whether the token itself is still valid: if it is, the 401 is
    about this request and is raised at once, the token kept and not refreshed; if it is not,
    the token is refreshed and the request retried once, and this is raised only if the retry
    meets a 401 again.

    Attributes:
        token_valid: True: Twitch says the token is valid, so the 401 is about the request
            (``message`` says why) and the token was kept. False: the token was refused even
            after the one refresh and retry. None: unknown (an app token, or the validation
            could not be done); the token was kept.
        required_scopes: The scopes the endpoint accepts according to the client's scope
            table (any one is enough); ``()`` when the table has none for it.
        token_scopes: The token's scopes from Twitch's validate answer (sorted), or None
            when unknown.
    """

    def __init__(
        self,
        status: int,
        route: Route | None,
        body: Any,
        message: str,
        *,
        token_valid: bool | None = None,
        required_scopes: Iterable[str] = (),
        token_scopes: Iterable[str] | None = None,
    ) -> None:
        self.token_valid = token_valid
        self.required_scopes = tuple(required_scopes)
        self.token_scopes = None if token_scopes is None else tuple(sorted(token_scopes))
        super().__init__(status, route, body, message)

    @property
    def missing_scope(self) -> bool:
        """True if Twitch says the token is valid but it has none of the endpoint's scopes.

        Decided from the validate answer and the scope table, not from ``message``: Twitch
        asks clients not to depend on its message strings.
        """
        return (
            self.token_valid is True
            and bool(self.required_scopes)
            and self.token_scopes is not None
            and set(self.token_scopes).isdisjoint(self.required_scopes)
        )

    def __str__(self) -> str:
        text = super().__str__()
        if not self.missing_scope:
            return text
        wanted = " or ".join(repr(s) for s in self.required_scopes)
        has = ", ".join(repr(s) for s in self.token_scopes or ()) or "no scopes"
        return f"{text} (the endpoint accepts {wanted}; the token has {has})"


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
