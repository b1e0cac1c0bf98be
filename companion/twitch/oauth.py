"""id.twitch.tv: device code sign-in, refresh, validate, revoke, app tokens.

Plain async functions over an :class:`aiohttp.ClientSession` plus :class:`DeviceFlow`, which
the app's sign-in dialog drives (start, show the code, wait, cancel). Every function takes
``oauth_url`` so tests and demo mode can point it at the simulator.

All request bodies are form-encoded (``application/x-www-form-urlencoded``), as Twitch
documents. Tokens never reach a log line or a ``repr``, and never travel in plain http to
another machine: every function refuses such an ``oauth_url`` before sending
(:class:`~companion.twitch.errors.InsecureURL`). Which authority a token may go to is
checked by its caller (:meth:`~companion.twitch.tokens.BaseToken.check_destination`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from .authority import require_secure_url
from .errors import (
    AccessDenied,
    AuthorizationPending,
    DeviceCodeExpired,
    InvalidToken,
    OAuthError,
    RefreshFailure,
    SlowDown,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

__all__ = [
    "DEFAULT_OAUTH_URL",
    "DEVICE_GRANT_TYPE",
    "DeviceCode",
    "DeviceFlow",
    "TokenResponse",
    "ValidateResponse",
    "client_credentials_token",
    "poll_device_token",
    "refresh_token",
    "revoke_token",
    "start_device_flow",
    "validate_token",
]

_log = logging.getLogger(__name__)

DEFAULT_OAUTH_URL = "https://id.twitch.tv/oauth2"

#: twitchdev/issues#952: the device grant must use the RFC 8628 URN (older docs said
#: ``device_code``).
DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True, slots=True)
class DeviceCode:
    """The answer to ``POST /oauth2/device``: what the sign-in dialog shows.

    Attributes:
        device_code: Secret code the app polls with (never shown to the user).
        user_code: The code the user types at ``verification_uri``.
        verification_uri: Where the user goes (Twitch's includes the code already).
        expires_in: Seconds the device code stays valid (1800 in Twitch's example).
        interval: Seconds to wait between polls.
    """

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    expires_in: int
    interval: int


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful ``POST /oauth2/token`` (device code, refresh, client credentials).

    Attributes:
        access_token: The new access token.
        refresh_token: The new refresh token (public-client refresh tokens are single use:
            store it before using ``access_token``). None for app tokens.
        scopes: Granted scopes, or None when the body had no ``scope``.
        expires_in: Seconds until expiry, or None (Twitch's refresh example has none).
        token_type: ``"bearer"``.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    scopes: tuple[str, ...] | None
    expires_in: int | None
    token_type: str


@dataclass(frozen=True, slots=True)
class ValidateResponse:
    """A successful ``GET /oauth2/validate``.

    Attributes:
        client_id: The app the token belongs to.
        login: The user's login, None for app tokens.
        user_id: The user's id, None for app tokens.
        scopes: The scopes the token carries.
        expires_in: Seconds until the token expires (0 may mean "never" for old tokens).
    """

    client_id: str
    login: str | None
    user_id: str | None
    scopes: tuple[str, ...]
    expires_in: int


def _endpoint(oauth_url: str, name: str) -> str:
    """``oauth_url/name``, refused unless the transport is safe for a secret."""
    require_secure_url(oauth_url, purpose="OAuth")
    return f"{oauth_url}/{name}"


async def _read(response: aiohttp.ClientResponse) -> tuple[Any, str]:
    """Return (decoded JSON or None, Twitch's message) for any response."""
    text = await response.text()
    try:
        body: Any = await response.json(content_type=None) if text else None
    except ValueError:
        body = None
    message = response.reason or ""
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                message = value
                break
    return body, message


def _token_response(body: Any) -> TokenResponse:
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise OAuthError(200, "token response has no access_token")
    scope = body.get("scope")
    scopes: tuple[str, ...] | None
    if isinstance(scope, list):
        scopes = tuple(s for s in scope if isinstance(s, str))
    elif isinstance(scope, str):
        # RFC 6749 uses a space-separated string; Twitch documents a list. Accept both.
        scopes = tuple(scope.split())
    else:
        scopes = None
    refresh = body.get("refresh_token")
    expires = body.get("expires_in")
    return TokenResponse(
        access_token=body["access_token"],
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        scopes=scopes,
        expires_in=expires if isinstance(expires, int) and not isinstance(expires, bool) else None,
        token_type=str(body.get("token_type", "bearer")),
    )


async def start_device_flow(
    session: aiohttp.ClientSession,
    client_id: str,
    scopes: Iterable[str],
    *,
    oauth_url: str = DEFAULT_OAUTH_URL,
) -> DeviceCode:
    """Ask Twitch for a device code (``POST /oauth2/device``, public client, no secret).

    Raises:
        OAuthError: Twitch refused (unknown client id, bad scopes).
    """
    form = {"client_id": client_id, "scopes": " ".join(scopes)}
    async with session.post(_endpoint(oauth_url, "device"), data=form) as response:
        body, message = await _read(response)
        if response.status != 200 or not isinstance(body, dict):
            raise OAuthError(response.status, message)
    try:
        return DeviceCode(
            device_code=str(body["device_code"]),
            user_code=str(body["user_code"]),
            verification_uri=str(body["verification_uri"]),
            expires_in=int(body["expires_in"]),
            interval=max(1, int(body.get("interval", 5))),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise OAuthError(200, f"malformed device code response: {exc}") from exc


def _device_error(status: int, body: Any, message: str) -> OAuthError:
    # Twitch's body is {"status": 400, "message": "authorization_pending"} (twitchdev#975);
    # RFC 8628 servers send {"error": "authorization_pending"}. Look at both.
    words = {message.lower()}
    if isinstance(body, dict):
        words.update(str(body.get(k, "")).lower() for k in ("message", "error"))
    if "authorization_pending" in words:
        return AuthorizationPending(status, "authorization_pending")
    if "slow_down" in words:
        return SlowDown(status, "slow_down")
    if "access_denied" in words:
        return AccessDenied(status, "access_denied")
    if words & {"invalid device code", "expired_token", "invalid_grant"}:
        return DeviceCodeExpired(status, message)
    return OAuthError(status, message)


async def poll_device_token(
    session: aiohttp.ClientSession,
    client_id: str,
    device_code: str,
    scopes: Iterable[str] = (),
    *,
    oauth_url: str = DEFAULT_OAUTH_URL,
) -> TokenResponse:
    """Poll once for the token of a device code.

    Raises:
        AuthorizationPending: The user has not finished yet.
        SlowDown: Poll less often.
        DeviceCodeExpired: The code expired or was used; start again.
        AccessDenied: The user declined.
        OAuthError: Any other refusal.
    """
    form = {"client_id": client_id, "device_code": device_code, "grant_type": DEVICE_GRANT_TYPE}
    scope_text = " ".join(scopes)
    if scope_text:
        form["scopes"] = scope_text
    async with session.post(_endpoint(oauth_url, "token"), data=form) as response:
        body, message = await _read(response)
        if response.status != 200:
            raise _device_error(response.status, body, message)
    return _token_response(body)


class DeviceFlow:
    """The device code sign-in, as the sign-in dialog drives it.

    Usage::

        flow = DeviceFlow(session, client_id, scopes)
        code = await flow.start()          # show code.user_code and code.verification_uri
        token = await flow.wait()          # cancel the task to abort

    Attributes:
        code: The device code after :meth:`start`, else None.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        scopes: Iterable[str],
        *,
        oauth_url: str = DEFAULT_OAUTH_URL,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self._client_id = client_id
        self._scopes = tuple(scopes)
        self._oauth_url = oauth_url
        self._sleep = sleep
        self.code: DeviceCode | None = None
        self._interval = 5.0

    async def start(self) -> DeviceCode:
        """Request a device code; call again to get a fresh one after expiry."""
        self.code = await start_device_flow(
            self._session, self._client_id, self._scopes, oauth_url=self._oauth_url
        )
        self._interval = float(self.code.interval)
        return self.code

    async def poll(self) -> TokenResponse | None:
        """Poll once: the token, or None while the user has not finished.

        Raises:
            DeviceCodeExpired, AccessDenied, OAuthError: The flow cannot finish.
        """
        if self.code is None:
            raise RuntimeError("call start() first")
        try:
            return await poll_device_token(
                self._session,
                self._client_id,
                self.code.device_code,
                self._scopes,
                oauth_url=self._oauth_url,
            )
        except AuthorizationPending:
            return None
        except SlowDown:
            # RFC 8628 section 3.5: add 5 seconds to the interval on slow_down.
            self._interval += 5
            return None

    async def wait(self, *, timeout: float | None = None) -> TokenResponse:
        """Poll at the server's interval until the user finishes or the code expires.

        Args:
            timeout: Give up after this many seconds (default: the code's ``expires_in``).

        Raises:
            DeviceCodeExpired: The code expired before the user finished.
        """
        if self.code is None:
            await self.start()
        assert self.code is not None  # set by start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout if timeout is not None else self.code.expires_in)
        while True:
            token = await self.poll()
            if token is not None:
                return token
            if loop.time() + self._interval > deadline:
                raise DeviceCodeExpired(0, "the device code expired before sign-in finished")
            await self._sleep(self._interval)


async def refresh_token(
    session: aiohttp.ClientSession,
    *,
    client_id: str,
    refresh_token: str,
    client_secret: str | None = None,
    oauth_url: str = DEFAULT_OAUTH_URL,
) -> TokenResponse:
    """Exchange a refresh token for a new token pair (``grant_type=refresh_token``).

    Public (device code) clients have no secret and refresh with the client id alone; the
    seed says refreshing needs a secret, which is not true for them. The secret is sent
    only when there is one.

    Raises:
        RefreshFailure: ``refused=True`` for 400/401 (the refresh token is dead);
            ``refused=False`` for network errors and 5xx (try again later).
    """
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    if client_secret:
        form["client_secret"] = client_secret
    try:
        async with session.post(_endpoint(oauth_url, "token"), data=form) as response:
            body, message = await _read(response)
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise RefreshFailure(f"refresh did not reach Twitch: {exc!r}", refused=False) from exc
    if status == 200:
        try:
            return _token_response(body)
        except OAuthError as exc:
            raise RefreshFailure(str(exc), refused=False, status=status) from exc
    refused = 400 <= status < 500 and status != 429
    raise RefreshFailure(f"refresh failed ({status}): {message}", refused=refused, status=status)


async def validate_token(
    session: aiohttp.ClientSession,
    access_token: str,
    *,
    oauth_url: str = DEFAULT_OAUTH_URL,
) -> ValidateResponse:
    """Validate a token (``GET /oauth2/validate``); Twitch requires it at start and hourly.

    Raises:
        InvalidToken: 401, the token is not valid (expired or revoked).
        OAuthError: Any other failure (5xx): the token's state is unknown.
    """
    headers = {"Authorization": f"OAuth {access_token}"}
    async with session.get(_endpoint(oauth_url, "validate"), headers=headers) as response:
        body, message = await _read(response)
        if response.status == 401:
            raise InvalidToken(f"Twitch says the token is not valid: {message}")
        if response.status != 200 or not isinstance(body, dict):
            raise OAuthError(response.status, message)
    scopes = body.get("scopes")
    expires = body.get("expires_in", 0)
    login = body.get("login")
    user_id = body.get("user_id")
    return ValidateResponse(
        client_id=str(body.get("client_id", "")),
        login=login if isinstance(login, str) and login else None,
        user_id=str(user_id) if isinstance(user_id, str | int) and user_id != "" else None,
        scopes=tuple(s for s in scopes if isinstance(s, str)) if isinstance(scopes, list) else (),
        expires_in=expires if isinstance(expires, int) and not isinstance(expires, bool) else 0,
    )


async def revoke_token(
    session: aiohttp.ClientSession,
    *,
    client_id: str,
    token: str,
    oauth_url: str = DEFAULT_OAUTH_URL,
) -> None:
    """Revoke an access token (``POST /oauth2/revoke``); success is 200 with no body.

    Raises:
        OAuthError: 400 (the token is not valid) or 404 (the client id does not exist).
    """
    form = {"client_id": client_id, "token": token}
    async with session.post(_endpoint(oauth_url, "revoke"), data=form) as response:
        _body, message = await _read(response)
        if response.status != 200:
            raise OAuthError(response.status, message)


async def client_credentials_token(
    session: aiohttp.ClientSession,
    *,
    client_id: str,
    client_secret: str,
    oauth_url: str = DEFAULT_OAUTH_URL,
) -> TokenResponse:
    """Get an app access token (``grant_type=client_credentials``; needs the secret).

    Raises:
        OAuthError: Twitch refused the credentials.
    """
    form = {
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "client_credentials",
    }
    async with session.post(_endpoint(oauth_url, "token"), data=form) as response:
        body, message = await _read(response)
        if response.status != 200:
            raise OAuthError(response.status, message)
    return _token_response(body)
