"""Tokens and token handlers (the seed's ``BaseToken``, ``Token`` and handlers).

A :class:`BaseTokenHandler` is how the app hands tokens to the HTTP layer; the HTTP layer
(:class:`~companion.twitch.http.HTTPHandler`) owns caching, the hourly validation, and the
single-flight refresh. Handler hooks may be plain functions or coroutines.

Where the seed is wrong about Twitch, these classes do what Twitch needs:

* The seed says no refresh happens without a client secret. Device code (public) clients
  refresh with the client id alone, so a refresh is attempted whenever there is a refresh
  token; the secret is sent only if one is configured.
* The seed spells the redemption status ``CANCELLED``; Twitch wants ``CANCELED``. Methods
  accept both and send ``CANCELED`` (see :mod:`companion.twitch.models.channel_points`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import aiohttp

from . import oauth
from ._util import backoff_delay, maybe_await
from .authority import authority_key, check_token_destination
from .errors import APIUnavailable, InvalidToken, OAuthError, RefreshFailure

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from .http import HTTPHandler
    from .models.users import BaseUser

__all__ = [
    "VALIDATE_EVERY",
    "BaseToken",
    "BaseTokenHandler",
    "IRCTokenHandler",
    "SimpleTokenHandler",
    "Token",
]

_log = logging.getLogger(__name__)

#: Seconds between validations: Twitch requires validating "on an hourly basis".
VALIDATE_EVERY = 3600.0


class BaseToken:
    """An access token used as is, without validation (app tokens).

    ``x == y`` and ``x != y`` compare access tokens, ``hash(x)`` hashes it and ``str(x)``
    returns it (as the seed specifies; never log ``str(token)``). ``repr`` hides it.

    Args:
        access_token: The access token.
        authority: The OAuth base URL of the authority that issued it (see
            :mod:`companion.twitch.authority`). None: bound to the authority of the first
            client that uses it, and from then on sent nowhere else.

    Attributes:
        authority: The issuing authority's key, once known.
    """

    __slots__ = ("access_token", "authority")

    def __init__(self, access_token: str, *, authority: str | None = None) -> None:
        self.access_token = access_token
        self.authority = authority_key(authority) if authority is not None else None

    def check_destination(self, url: str, *, issuer: str) -> None:
        """Refuse, before anything is sent, to send this token to ``url``.

        Args:
            url: Where the token is about to go.
            issuer: The OAuth base URL of the client sending it; a token that names no
                authority is bound to this one from now on.

        Raises:
            TokenAuthorityError: ``url`` does not belong to the token's authority.
            InsecureURL: ``url`` is plain http to another machine.
        """
        if self.authority is None:
            self.authority = authority_key(issuer)
        check_token_destination(self.authority, url)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseToken):
            return NotImplemented
        return self.access_token == other.access_token

    def __hash__(self) -> int:
        return hash(self.access_token)

    def __str__(self) -> str:
        return self.access_token

    def __repr__(self) -> str:
        return f"<{type(self).__name__} ***>"

    async def get(
        self, http: HTTPHandler, handler: BaseTokenHandler, session: aiohttp.ClientSession
    ) -> str:
        """Return the access token (a BaseToken is never validated)."""
        return self.access_token


class Token(BaseToken):
    """A user OAuth token that validates itself at first use and then hourly.

    Args:
        access_token: The access token.
        refresh_token: The refresh token, if any (needed for automatic refresh).
        user_id: Whose token this is, if already known (validation fills it in otherwise).
        authority: The OAuth base URL of the issuer (see :class:`BaseToken`).

    Attributes:
        refresh_token: The refresh token, or None.
        user_id: The user's id once known.
        login: The user's login once validated.
        client_id: The app the token belongs to, once validated.
    """

    __slots__ = (
        "_expires_at",
        "_invalid",
        "_scopes",
        "_validate_lock",
        "_validated_at",
        "client_id",
        "login",
        "refresh_token",
        "user_id",
    )

    def __init__(
        self,
        access_token: str,
        refresh_token: str | None = None,
        *,
        user_id: str | None = None,
        authority: str | None = None,
    ) -> None:
        super().__init__(access_token, authority=authority)
        self.refresh_token = refresh_token
        self.user_id = user_id
        self.login: str | None = None
        self.client_id: str | None = None
        self._scopes: frozenset[str] | None = None
        self._validated_at: float | None = None
        self._expires_at: float | None = None
        self._invalid = False
        self._validate_lock: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return f"<Token *** user_id={self.user_id!r} validated={self._validated_at is not None}>"

    @property
    def scopes(self) -> frozenset[str] | None:
        """The validated scopes, or None before the first validation."""
        return self._scopes

    @property
    def invalid(self) -> bool:
        """True once Twitch said this token is not valid (it will not be sent again)."""
        return self._invalid

    @property
    def expired(self) -> bool:
        """True if the last validation's ``expires_in`` has run out (refresh before use)."""
        return self._expires_at is not None and time.monotonic() >= self._expires_at

    def has_scope(self, scope: str) -> bool | None:
        """Whether the token carries ``scope``; None if it was never validated."""
        if self._scopes is None:
            return None
        return scope in self._scopes

    def needs_validation(self) -> bool:
        """True at first use and once an hour has passed since the last validation."""
        return self._validated_at is None or (
            time.monotonic() - self._validated_at >= VALIDATE_EVERY
        )

    async def validate(
        self, http: HTTPHandler, handler: BaseTokenHandler, session: aiohttp.ClientSession
    ) -> None:
        """Validate now (``GET /oauth2/validate``), caching scopes, user and expiry.

        Raises:
            InvalidToken: Twitch says the token is not valid.
            OAuthError: Validation could not be done (5xx); the token's state is unknown.
            TokenAuthorityError: ``http`` talks to another authority (nothing was sent).
        """
        self.check_destination(f"{http.oauth_url}/validate", issuer=http.oauth_url)
        try:
            info = await oauth.validate_token(session, self.access_token, oauth_url=http.oauth_url)
        except InvalidToken:
            self._invalid = True
            raise
        self._scopes = frozenset(info.scopes)
        if info.user_id is not None:
            self.user_id = info.user_id
        self.login = info.login
        self.client_id = info.client_id
        now = time.monotonic()
        self._validated_at = now
        # expires_in 0 is used for tokens that do not expire; only a positive value counts.
        self._expires_at = now + info.expires_in if info.expires_in > 0 else None

    async def get(
        self, http: HTTPHandler, handler: BaseTokenHandler, session: aiohttp.ClientSession
    ) -> str:
        """Validate if due (first use, then hourly) and return the access token.

        Concurrent callers share one validation. If validation itself cannot be done (a 5xx
        or network error), the token is used anyway and validation is tried again next time:
        Helix will say 401 if the token really is bad.

        Raises:
            InvalidToken: Twitch says the token is not valid, or it is known to be expired.
        """
        if self._invalid:
            raise InvalidToken("the token was refused by Twitch")
        if self.needs_validation():
            if self._validate_lock is None:
                self._validate_lock = asyncio.Lock()
            async with self._validate_lock:
                if self._invalid:
                    raise InvalidToken("the token was refused by Twitch")
                if self.needs_validation():
                    try:
                        await self.validate(http, handler, session)
                    except (OAuthError, aiohttp.ClientError, TimeoutError) as exc:
                        _log.warning("token validation could not be done (%s); using it", exc)
        if self.expired:
            raise InvalidToken("the token has expired")
        return self.access_token

    async def refreshed(
        self,
        handler: BaseTokenHandler,
        session: aiohttp.ClientSession,
        *,
        oauth_url: str = oauth.DEFAULT_OAUTH_URL,
        attempts: int = 4,
        retry_base_delay: float = 0.5,
    ) -> Token:
        """Refresh and return a new :class:`Token`; this one is left untouched.

        Network errors and 5xx are retried with jittered backoff (up to ``attempts`` tries);
        a refusal (400, dead refresh token) is not retried.

        Raises:
            InvalidToken: There is no refresh token.
            RefreshFailure: The refresh failed (see :attr:`RefreshFailure.refused`).
            TokenAuthorityError: ``oauth_url`` is another authority's (nothing was sent).
        """
        if self.refresh_token is None:
            raise InvalidToken("the token expired and there is no refresh token")
        self.check_destination(f"{oauth_url}/token", issuer=oauth_url)
        client_id, secret = await maybe_await(handler.get_client_credentials())
        for attempt in range(attempts):
            try:
                response = await oauth.refresh_token(
                    session,
                    client_id=client_id,
                    refresh_token=self.refresh_token,
                    client_secret=secret,
                    oauth_url=oauth_url,
                )
            except RefreshFailure as exc:
                if exc.refused or attempt == attempts - 1:
                    raise
                delay = backoff_delay(attempt, retry_base_delay)
                _log.info("refresh failed (%s); retrying in %.2fs", exc, delay)
                await asyncio.sleep(delay)
            else:
                new = Token(
                    response.access_token,
                    response.refresh_token or self.refresh_token,
                    user_id=self.user_id,
                    authority=self.authority,
                )
                return new
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def refresh(
        self,
        handler: BaseTokenHandler,
        session: aiohttp.ClientSession,
        *,
        oauth_url: str = oauth.DEFAULT_OAUTH_URL,
    ) -> str:
        """Refresh this token in place and return the new access token (seed API).

        Prefer letting :class:`HTTPHandler` refresh: it does so once per user, and awaits
        ``event_token_refreshed`` before the new token is used. This method does neither.

        Raises:
            InvalidToken: There is no refresh token.
            RefreshFailure: The refresh failed.
        """
        new = await self.refreshed(handler, session, oauth_url=oauth_url)
        self.access_token = new.access_token
        self.refresh_token = new.refresh_token
        self._scopes = None
        self._validated_at = None
        self._expires_at = None
        self._invalid = False
        return self.access_token


class BaseTokenHandler:
    """Where the client gets its credentials and tokens; subclass and override.

    Every hook may be a plain method or a coroutine method.
    """

    def get_client_credentials(self) -> tuple[str, str | None] | Awaitable[tuple[str, str | None]]:
        """Return ``(client_id, client_secret or None)``. The client id is required."""
        raise NotImplementedError

    def get_client_token(self) -> BaseToken | Awaitable[BaseToken]:
        """Return an app token. If not overridden, one is made with the client credentials
        (which needs a client secret)."""
        raise NotImplementedError

    def get_user_token(self, user: BaseUser, scopes: tuple[str, ...]) -> Token | Awaitable[Token]:
        """Return the token for ``user``; the request needs any one of ``scopes``."""
        raise NotImplementedError

    def get_irc_token(self, shard_id: int) -> Token | Awaitable[Token]:
        """Return a token with the ``chat:login`` scope for IRC shard ``shard_id``."""
        raise NotImplementedError

    def event_token_expired(self, token: Token) -> Token | Awaitable[Token | None] | None:
        """A token expired and could not be refreshed: return a replacement, or None to make
        the client call :meth:`get_user_token` (which typically asks the user to sign in)."""
        return None

    def event_token_refreshed(self, old: Token, new: Token) -> Awaitable[None] | None:
        """A user token was refreshed. Awaited before ``new`` is used, so store
        ``new.refresh_token`` here (device code refresh tokens are single use)."""
        return None


class SimpleTokenHandler(BaseTokenHandler):
    """One user token for every request; an optional app token for app requests.

    Args:
        access_token: The user access token.
        client_id: The app's client id.
        refresh_token: The refresh token (enables automatic refresh).
        client_token: An app token for requests without a user; the user token otherwise.
        client_secret: The client secret (not needed for device code apps).

    Attributes:
        user_token: The current user token (replaced after each refresh).
        client_token: The app token, if one was given.
        client_secret: The client secret, if given.
    """

    def __init__(
        self,
        access_token: str,
        client_id: str,
        refresh_token: str | None = None,
        client_token: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        self.user_token = Token(access_token, refresh_token)
        self.client_id = client_id
        self.client_token = client_token
        self.client_secret = client_secret

    def get_client_credentials(self) -> tuple[str, str | None]:
        return self.client_id, self.client_secret

    def get_client_token(self) -> BaseToken:
        if self.client_token is not None:
            return BaseToken(self.client_token)
        return self.user_token

    def get_user_token(self, user: BaseUser, scopes: tuple[str, ...]) -> Token:
        return self.user_token

    def get_irc_token(self, shard_id: int) -> Token:
        return self.user_token

    def event_token_refreshed(self, old: Token, new: Token) -> None:
        self.user_token = new


class IRCTokenHandler(BaseTokenHandler):
    """A token for IRC only: every API call is refused with :class:`APIUnavailable`.

    Args:
        access_token: A token with ``chat:login``.
    """

    def __init__(self, access_token: str) -> None:
        self._token = Token(access_token)

    def _refuse(self) -> APIUnavailable:
        return APIUnavailable(
            "IRCTokenHandler is for IRC connections only and cannot make API calls; "
            "use SimpleTokenHandler or a BaseTokenHandler subclass"
        )

    def get_client_credentials(self) -> tuple[str, str | None]:
        raise self._refuse()

    def get_client_token(self) -> BaseToken:
        raise self._refuse()

    def get_user_token(self, user: BaseUser, scopes: tuple[str, ...]) -> Token:
        raise self._refuse()

    def get_irc_token(self, shard_id: int) -> Token:
        return self._token
