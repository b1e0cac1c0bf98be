"""The async Twitch client (no Qt here, ever).

Entry points: :class:`Client`, the token handlers, :mod:`.oauth` for sign-in, :mod:`.limits`
for the documented Helix limits and :mod:`.errors` for the exception tree.
"""

from __future__ import annotations

from .client import Client
from .errors import (
    APIUnavailable,
    BadRequest,
    Conflict,
    Forbidden,
    HTTPException,
    InvalidToken,
    LimitError,
    MissingScope,
    NetworkError,
    NotFound,
    PayloadError,
    RateLimited,
    RefreshFailure,
    ServerError,
    TwitchError,
    Unauthorized,
)
from .http import HTTPHandler, Route
from .iterators import HTTPAwaitableAsyncIterator
from .ratelimit import RateLimitStatus
from .timeutil import parse_timestamp
from .tokens import BaseToken, BaseTokenHandler, IRCTokenHandler, SimpleTokenHandler, Token

__all__ = [
    "APIUnavailable",
    "BadRequest",
    "BaseToken",
    "BaseTokenHandler",
    "Client",
    "Conflict",
    "Forbidden",
    "HTTPAwaitableAsyncIterator",
    "HTTPException",
    "HTTPHandler",
    "IRCTokenHandler",
    "InvalidToken",
    "LimitError",
    "MissingScope",
    "NetworkError",
    "NotFound",
    "PayloadError",
    "RateLimitStatus",
    "RateLimited",
    "RefreshFailure",
    "Route",
    "ServerError",
    "SimpleTokenHandler",
    "Token",
    "TwitchError",
    "Unauthorized",
    "parse_timestamp",
]
