"""HTTPHandler: the one request loop every Helix call goes through.

What it does, in order, for each request:

1. Finds the token (the user's, or the app's), validating it at first use and hourly, and
   checks the scopes the method needs *before* sending (:class:`MissingScope`), and that
   the token's issuer owns the Helix host (:class:`TokenAuthorityError`, see
   :mod:`.authority`).
2. Takes a point from the user's rate-limit bucket, waiting in line for it to refill if it
   is spent (before the first answer tells the budget, one request goes alone).
3. Sends with ``Client-Id`` and ``Authorization: Bearer`` through one reused session, with
   at most ``max_concurrency`` requests in flight.
4. Reads at most 4 MiB of the answer (:mod:`.body`; big ones are decoded off the loop), all
   tries together within ``timeout`` seconds of network time.
5. Reacts to the status: 401 -> ask Twitch whether the token is still valid (one
   single-flight ``GET /oauth2/validate``): valid -> :class:`Unauthorized` with Twitch's
   message, the token kept; invalid -> one single-flight refresh and one retry; 429 -> wait
   until ``Ratelimit-Reset`` (at most one minute per request in all) and retry; 5xx, or a
   2xx that is not JSON -> jittered backoff and retry for GETs, for writes only on 503
   (once, as Twitch advises) or when the request provably never left; anything else -> the
   matching :class:`HTTPException`.

The refresh is single-flight per user: however many requests meet the expired token, one
refresh runs, everyone waits on it, and ``event_token_refreshed`` is awaited before the new
access token is used (device code refresh tokens are single use, so the new one must be
stored first).

A 401 is not always about the token: Helix also answers 401 for a missing scope and for a
``broadcaster_id`` that is not the token's user, where a refresh cannot help. The token's
fate is decided by ``/oauth2/validate`` instead, once per burst of 401s
(:mod:`.token_checks`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import aiohttp

from . import oauth
from ._util import backoff_delay, maybe_await
from .authority import authority_key, require_secure_url
from .body import read_answer
from .errors import (
    APIUnavailable,
    InvalidToken,
    MissingScope,
    NetworkError,
    PayloadError,
    RefreshFailure,
    TwitchError,
    Unauthorized,
    exception_for_status,
)
from .ratelimit import RESET_WINDOW_SECONDS, RateLimitBucket, RateLimitStatus
from .scopes import ENDPOINT_SCOPES
from .token_checks import TokenChecks
from .tokens import BaseToken, BaseTokenHandler, IRCTokenHandler, Token

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from .models.users import BaseUser

__all__ = [
    "DEFAULT_EVENTSUB_URL",
    "DEFAULT_HELIX_URL",
    "HTTPHandler",
    "ParamValue",
    "Route",
]

_log = logging.getLogger(__name__)

DEFAULT_HELIX_URL: Final = "https://api.twitch.tv/helix"
DEFAULT_EVENTSUB_URL: Final = "wss://eventsub.wss.twitch.tv/ws"

#: A query parameter: a scalar, or an iterable repeated as ``key=a&key=b`` (Twitch's way).
ParamValue: TypeAlias = "str | int | bool | Iterable[str | int] | None"

_APP_KEY: Final = "app"
#: The longest one read may wait for the next bytes of an answer, and one connect may take
#: (the reference gives no figure; Helix answers within a second when it is well).
SOCK_READ_SECONDS: Final = 10.0
#: ``Ratelimit-Reset`` has whole-second resolution: with less than this left of a request's
#: rate-limit allowance, no later reset can be reached, so a further 429 is final.
_MIN_RATELIMIT_ALLOWANCE: Final = 1.0

# Errors raised before a single byte of the request was written: retrying is always safe.
_NEVER_SENT: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
)


def _param_text(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Route:
    """One Helix request: method, path, query and JSON body.

    Args:
        method: ``GET``, ``POST``, ``PATCH``, ``PUT`` or ``DELETE``.
        path: Path under the Helix base URL, e.g. ``"channel_points/custom_rewards"``.
        params: Query parameters; None values are dropped, iterables repeat the key.
        json: The JSON body, if any.
    """

    __slots__ = ("json", "method", "params", "path")

    def __init__(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue] | None = None,
        json: Any = None,
    ) -> None:
        self.method = method.upper()
        self.path = path.strip("/")
        self.params: list[tuple[str, str]] = []
        for key, value in (params or {}).items():
            self.params.extend((key, text) for text in self._texts(value))
        self.json = json

    @staticmethod
    def _texts(value: ParamValue) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str | int | bool):
            return [_param_text(value)]
        return [_param_text(item) for item in value]

    def replace_params(self, **params: ParamValue) -> Route:
        """Return a copy with the named parameters replaced (pagination's ``after``/``first``)."""
        clone = Route(self.method, self.path, json=self.json)
        clone.params = [(k, v) for k, v in self.params if k not in params]
        for key, value in params.items():
            clone.params.extend((key, text) for text in self._texts(value))
        return clone

    def param(self, key: str) -> list[str]:
        """All values of query parameter ``key``."""
        return [v for k, v in self.params if k == key]

    @property
    def retries_safely(self) -> bool:
        """True for reads, which may be repeated after a 5xx or a lost connection."""
        return self.method in ("GET", "HEAD")

    def url(self, base: str) -> str:
        """The URL under ``base`` (the query is passed separately so keys can repeat)."""
        return f"{base.rstrip('/')}/{self.path}"

    def __str__(self) -> str:
        return f"{self.method} /{self.path}"

    def __repr__(self) -> str:
        return f"<Route {self.method} /{self.path} params={self.params!r}>"


class HTTPHandler:
    """Owns the session, tokens, rate-limit buckets and the request loop.

    Args:
        token_handler: Where tokens come from.
        session: A session to use; if None one is created on first use and closed by
            :meth:`close` (a given session is never closed here).
        helix_url: Helix base URL (the simulator's in demo mode and tests).
        oauth_url: OAuth base URL (``.../oauth2``).
        eventsub_url: EventSub WebSocket URL (used by the EventSub client).
        max_concurrency: Requests in flight at once.
        max_tries: Tries per request (first send included).
        retry_base_delay: Base of the jittered exponential backoff, seconds.
        timeout: Seconds of network time one request may take, all its tries together (an
            endless slow answer fails within it); waits for the rate limit, backoffs and
            token refreshes are not counted.
        on_ratelimit: Called with every new :class:`RateLimitStatus` (e.g. a status bar).
        bucket_factory: Makes the rate-limit bucket of a key (tests pass buckets on fake
            time); default :class:`RateLimitBucket`.

    Attributes:
        ratelimit: The latest budget reported by Twitch, or None before the first response.
        authority: The key of the OAuth authority this handler talks to; its tokens are the
            only ones it sends (see :mod:`.authority`).

    Raises:
        InsecureURL: A URL is plain http/ws to another machine (checked here, before any
            request can be made).
    """

    def __init__(
        self,
        token_handler: BaseTokenHandler,
        *,
        session: aiohttp.ClientSession | None = None,
        helix_url: str = DEFAULT_HELIX_URL,
        oauth_url: str = oauth.DEFAULT_OAUTH_URL,
        eventsub_url: str = DEFAULT_EVENTSUB_URL,
        max_concurrency: int = 16,
        max_tries: int = 5,
        retry_base_delay: float = 0.5,
        timeout: float = 30.0,
        on_ratelimit: Callable[[RateLimitStatus], None] | None = None,
        bucket_factory: Callable[[str], RateLimitBucket] = RateLimitBucket,
    ) -> None:
        if max_tries < 2:
            raise ValueError("max_tries must allow the one retry after a refresh (>= 2)")
        require_secure_url(helix_url, purpose="Helix")
        require_secure_url(eventsub_url, purpose="EventSub")
        self.authority = authority_key(oauth_url)
        self.token_handler = token_handler
        self.helix_url = helix_url.rstrip("/")
        self.oauth_url = oauth_url.rstrip("/")
        self.eventsub_url = eventsub_url
        self.max_tries = max_tries
        self.retry_base_delay = retry_base_delay
        self.timeout = timeout
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._bucket_factory = bucket_factory
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._client_id: str | None = None
        self._app_token: BaseToken | None = None
        self._app_token_lock = asyncio.Lock()
        self._user_tokens: dict[str, Token] = {}
        self._token_locks: dict[str, asyncio.Lock] = {}
        self._refreshing: dict[str, asyncio.Task[Token]] = {}
        self._token_checks = TokenChecks(self)
        self._buckets: dict[str, RateLimitBucket] = {}
        self._listeners: list[Callable[[RateLimitStatus], None]] = []
        if on_ratelimit is not None:
            self._listeners.append(on_ratelimit)
        self.ratelimit: RateLimitStatus | None = None

    # -- session ---------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    async def get_session(self) -> aiohttp.ClientSession:
        """The one session, created on first use inside the running loop."""
        if self._closed:
            raise RuntimeError("the HTTP handler is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        """Close the session if it was created here; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        pending: list[asyncio.Task[Any]] = list(self._refreshing.values())
        pending += self._token_checks.running()
        for task in pending:
            task.cancel()
        # Let the cancelled refreshes and checks finish unwinding before the session goes away.
        await asyncio.gather(*pending, return_exceptions=True)
        if self._owns_session and self._session is not None:
            await self._session.close()

    # -- rate-limit budget -----------------------------------------------------------

    def add_ratelimit_listener(self, callback: Callable[[RateLimitStatus], None]) -> None:
        """Call ``callback`` with every budget update (a plain function, called inline)."""
        self._listeners.append(callback)

    def remove_ratelimit_listener(self, callback: Callable[[RateLimitStatus], None]) -> None:
        """Stop calling ``callback``."""
        self._listeners.remove(callback)

    def ratelimit_for(self, user_id: str | None) -> RateLimitStatus | None:
        """The last budget of one user's bucket (None: the app bucket)."""
        bucket = self._buckets.get(user_id or _APP_KEY)
        if bucket is None:
            return None
        return bucket.status()

    def bucket(self, key: str) -> RateLimitBucket:
        """The rate-limit bucket for ``key`` (a user id, or ``"app"``)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = self._bucket_factory(key)
        return bucket

    def _publish(self, status: RateLimitStatus) -> None:
        self.ratelimit = status
        for callback in list(self._listeners):
            try:
                callback(status)
            except Exception:
                _log.exception("rate-limit listener failed")

    # -- tokens ----------------------------------------------------------------------

    async def client_id(self) -> str:
        """The app's client id from the token handler (asked once)."""
        if isinstance(self.token_handler, IRCTokenHandler):
            raise APIUnavailable(
                "IRCTokenHandler is for IRC connections only and cannot make API calls; "
                "use SimpleTokenHandler or a BaseTokenHandler subclass"
            )
        if self._client_id is None:
            client_id, _secret = await maybe_await(self.token_handler.get_client_credentials())
            self._client_id = client_id
        return self._client_id

    def forget_client_id(self) -> None:
        """Ask the token handler for the client id again (it was changed in settings)."""
        self._client_id = None
        self._app_token = None

    async def app_token(self) -> BaseToken:
        """The app token: the handler's, or one made with the client credentials."""
        async with self._app_token_lock:
            if self._app_token is not None:
                return self._app_token
            try:
                token = await maybe_await(self.token_handler.get_client_token())
            except NotImplementedError:
                client_id, secret = await maybe_await(self.token_handler.get_client_credentials())
                if not secret:
                    raise APIUnavailable(
                        "this request needs an app token, but the token handler gives none and "
                        "there is no client secret to make one; pass a user (target)"
                    ) from None
                response = await oauth.client_credentials_token(
                    await self.get_session(),
                    client_id=client_id,
                    client_secret=secret,
                    oauth_url=self.oauth_url,
                )
                token = BaseToken(response.access_token, authority=self.oauth_url)
            self._app_token = token
            return token

    async def user_token(self, user: BaseUser, scopes: tuple[str, ...] = ()) -> Token:
        """The cached token of ``user``; asks the handler once (single-flight per user)."""
        key = str(user.id)
        token = self._user_tokens.get(key)
        if token is not None:
            return token
        lock = self._token_locks.setdefault(key, asyncio.Lock())
        async with lock:
            token = self._user_tokens.get(key)
            if token is None:
                token = await maybe_await(self.token_handler.get_user_token(user, scopes))
                if not isinstance(token, Token):
                    raise TypeError("get_user_token must return a Token")
                self._user_tokens[key] = token
            return token

    def use_user_token(self, token: Token) -> None:
        """Use ``token`` for its user from now on instead of asking the handler for one.

        For a token the caller has just validated and stored (a new sign-in): the handler
        would give a fresh copy of it, which its first request validates once more.

        Raises:
            ValueError: The token's user is not known (it was never validated).
        """
        if token.user_id is None:
            raise ValueError("use_user_token needs a validated token (its user is unknown)")
        self._user_tokens[str(token.user_id)] = token

    def forget_user(self, user_id: str) -> None:
        """Drop the cached token of a user (after sign-out); the handler is asked again."""
        self._user_tokens.pop(str(user_id), None)

    async def _usable_user_token(
        self, user: BaseUser, scopes: tuple[str, ...], name: str
    ) -> tuple[Token, str]:
        session = await self.get_session()
        token = await self.user_token(user, scopes)
        try:
            access = await token.get(self, self.token_handler, session)
        except InvalidToken:
            token = await self.refresh_user(user, token, scopes)
            access = await token.get(self, self.token_handler, session)
        if scopes and token.scopes is not None and not any(token.has_scope(s) for s in scopes):
            raise MissingScope(scopes, name)
        return token, access

    async def refresh_user(
        self, user: BaseUser, failed: Token, scopes: tuple[str, ...] = ()
    ) -> Token:
        """Replace ``failed`` with a working token, once per user however many callers ask.

        Callers whose token was already replaced get the replacement without a new refresh.

        Raises:
            InvalidToken: Nobody could provide a working token (sign-in needed).
            RefreshFailure: The refresh could not reach Twitch (network, 5xx); the old token
                stays, so a later request tries again.
        """
        key = str(user.id)
        current = self._user_tokens.get(key)
        if current is not None and current is not failed and not current.invalid:
            return current
        task = self._refreshing.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(
                self._replace_token(key, user, failed, scopes), name=f"twitch-refresh-{key}"
            )
            self._refreshing[key] = task
            task.add_done_callback(lambda done: self._refresh_done(key, done))
        # shield: one caller being cancelled must not cancel the refresh everyone awaits.
        return await asyncio.shield(task)

    def _refresh_done(self, key: str, task: asyncio.Task[Token]) -> None:
        if self._refreshing.get(key) is task:
            del self._refreshing[key]
        if not task.cancelled() and task.exception() is not None:
            # Retrieved here so a refresh whose waiters were all cancelled is not reported
            # as "exception never retrieved"; the waiters still receive it.
            _log.info("token refresh for user %s failed: %s", key, task.exception())

    async def _replace_token(
        self, key: str, user: BaseUser, failed: Token, scopes: tuple[str, ...]
    ) -> Token:
        session = await self.get_session()
        try:
            new = await failed.refreshed(
                self.token_handler,
                session,
                oauth_url=self.oauth_url,
                retry_base_delay=self.retry_base_delay,
            )
        except RefreshFailure as exc:
            if not exc.refused:
                raise
            _log.info("Twitch refused the refresh token of user %s", key)
        except InvalidToken:
            _log.info("user %s has no refresh token", key)
        else:
            # Awaited before anyone uses the new token: the new refresh token must be stored
            # first, since the old one is now spent.
            try:
                await maybe_await(self.token_handler.event_token_refreshed(failed, new))
            except InvalidToken:
                # The handler will not keep it (its user signed out meanwhile): nothing
                # uses it, and its issuer is asked to revoke it rather than leave a live
                # pair that nobody holds.
                await self._revoke_quietly(new, session)
                raise
            self._user_tokens[key] = new
            return new
        # From here the old token is dead for good: forget it whatever happens, so the next
        # request asks the handler afresh (after a new sign-in it has a new token).
        self._user_tokens.pop(key, None)
        replacement = await maybe_await(self.token_handler.event_token_expired(failed))
        if replacement is None:
            replacement = await maybe_await(self.token_handler.get_user_token(user, scopes))
        if replacement is None or replacement is failed or replacement == failed:
            raise InvalidToken(f"the token of user {key} expired and could not be replaced")
        self._user_tokens[key] = replacement
        return replacement

    async def _revoke_quietly(self, token: Token, session: aiohttp.ClientSession) -> None:
        """Revoke ``token`` at its own authority; a failure is logged, not raised."""
        try:
            token.check_destination(f"{self.oauth_url}/revoke", issuer=self.oauth_url)
            await oauth.revoke_token(
                session,
                client_id=await self.client_id(),
                token=token.access_token,
                oauth_url=self.oauth_url,
            )
        except (TwitchError, aiohttp.ClientError, OSError) as error:
            _log.warning("could not revoke a token that is not kept: %s", error)

    # -- the request loop ------------------------------------------------------------

    async def request(
        self,
        route: Route,
        *,
        user: BaseUser | None = None,
        scopes: Sequence[str] = (),
        name: str | None = None,
    ) -> Any:
        """Send ``route`` and return the decoded JSON body (None for 204).

        Args:
            route: What to send.
            user: Whose token to use; None for the app token.
            scopes: Scopes the endpoint accepts (any one suffices); checked before sending.
            name: The public method's name, for error messages.

        Raises:
            MissingScope: The token lacks all of ``scopes`` (nothing was sent).
            TokenAuthorityError: The token was issued by another authority than the one
                this handler talks to (nothing was sent).
            HTTPException: Twitch answered with an error (see the subclasses).
            NetworkError: No response arrived after the retries that were safe, or none
                within ``timeout`` seconds.
            PayloadError: A success answer that is over 4 MiB, or not JSON (after the
                retries a GET gets).
            InvalidToken, RefreshFailure, APIUnavailable: Token problems.
        """
        client_id = await self.client_id()
        session = await self.get_session()
        label = name or str(route)
        wanted = tuple(scopes)
        refreshed = False
        retried_503 = False
        attempt = 0
        loop = asyncio.get_running_loop()
        spent = 0.0  # network time of all tries, against self.timeout
        limited_for = 0.0  # time waited after 429s, against one window
        while True:
            attempt += 1
            token: BaseToken
            if user is not None:
                token, access = await self._usable_user_token(user, wanted, label)
                key = str(user.id)
            else:
                token = await self.app_token()
                access = await token.get(self, self.token_handler, session)
                key = _APP_KEY
            url = route.url(self.helix_url)
            # Before a point is taken or a byte sent: this token goes only to its issuer.
            token.check_destination(url, issuer=self.oauth_url)
            bucket = self.bucket(key)
            # Waiting in line for the bucket is not capped: the line moves at the refill rate
            # (never slower than a bucket per window), and a burst larger than the bucket (a bulk
            # action over thousands of rows) must wait its turn rather than fail. Only waits
            # after 429s count against the one-window allowance below.
            ticket, _waited = await bucket.acquire(math.inf)
            # Taken before the concurrency slot: a request queued behind a burst of 401s
            # shares that burst's token check (token_checks._Check.answers).
            issued_at = time.monotonic()
            headers = {"Client-Id": client_id, "Authorization": f"Bearer {access}"}
            left = self.timeout - spent
            if left <= 0:
                bucket.release(ticket)
                raise NetworkError(route, f"no complete answer within {self.timeout:g} s")
            try:
                async with self._semaphore:
                    started = loop.time()
                    try:
                        async with session.request(
                            route.method,
                            url,
                            params=route.params,
                            json=route.json,
                            headers=headers,
                            # Given per request so a shared session's own timeouts do not
                            # apply: this try gets what is left of the request's budget.
                            timeout=aiohttp.ClientTimeout(
                                total=left,
                                sock_connect=min(left, SOCK_READ_SECONDS),
                                sock_read=min(left, SOCK_READ_SECONDS),
                            ),
                        ) as response:
                            status = response.status
                            status_info = bucket.update(
                                response.headers, ticket, refused=status == 429
                            )
                            answer = await read_answer(response)
                    finally:
                        spent += loop.time() - started
            except (aiohttp.ClientError, TimeoutError) as exc:
                never_sent = isinstance(exc, _NEVER_SENT)
                if never_sent:
                    bucket.release(ticket)
                if isinstance(exc, TimeoutError) and not isinstance(
                    exc, aiohttp.ServerTimeoutError
                ):
                    # aiohttp's total timeout (its connect and read timeouts are
                    # ServerTimeoutError): this try had the rest of the budget and used it,
                    # whatever the loop's clock measured (timers may fire a little early).
                    spent = max(spent, self.timeout)
                if spent >= self.timeout:
                    raise NetworkError(
                        route, f"no complete answer within {self.timeout:g} s: {exc!r}"
                    ) from exc
                if attempt < self.max_tries and (route.retries_safely or never_sent):
                    delay = backoff_delay(attempt - 1, self.retry_base_delay)
                    _log.info("%s: %r; retrying in %.2fs", route, exc, delay)
                    await asyncio.sleep(delay)
                    continue
                raise NetworkError(route, f"no response: {exc!r}") from exc
            finally:
                # Answered, failed or cancelled: a cold start's first request is over, so
                # the next one may go if it told no budget.
                bucket.settle(ticket)
            if status_info is not None:
                self._publish(status_info)
            body, message = answer.body, answer.message

            if 200 <= status < 300:
                if answer.problem is None:
                    return body
                if (
                    answer.retryable
                    and route.retries_safely
                    and attempt < self.max_tries
                    and spent < self.timeout
                ):
                    # A cut or garbled answer to a read is treated like a 5xx.
                    delay = backoff_delay(attempt - 1, self.retry_base_delay)
                    _log.info("%s: %d %s; retrying in %.2fs", route, status, answer.problem, delay)
                    await asyncio.sleep(delay)
                    continue
                applied = "" if route.retries_safely else "; the request may have been applied"
                raise PayloadError(f"{route}: the {status} answer {answer.problem}{applied}")
            if status == 401 and isinstance(token, Token) and user is not None:
                # Not every 401 is about the token (see token_checks): ask Twitch first.
                valid = await self._token_checks.verdict(key, token, issued_at)
                if valid is False and not refreshed:
                    refreshed = True
                    _log.info("%s: 401, the token of user %s is not valid; refreshing", route, key)
                    await self.refresh_user(user, token, wanted)
                    continue
                raise Unauthorized(
                    status,
                    route,
                    body,
                    message,
                    token_valid=valid,
                    required_scopes=wanted or ENDPOINT_SCOPES.get(str(route), ()),
                    token_scopes=token.scopes,
                )
            # Twitch: some 429s are "unrelated to the general rate limit bucket" (e.g. too
            # many EventSub subscriptions); with points left in the bucket, waiting cannot
            # help, so those are raised with Twitch's message at once.
            bucket_empty = status_info is None or status_info.remaining <= 0
            allowance = RESET_WINDOW_SECONDS - limited_for
            if (
                status == 429
                and bucket_empty
                and attempt < self.max_tries
                and allowance > _MIN_RATELIMIT_ALLOWANCE
            ):
                # Twitch: "use the Ratelimit-Reset header to learn how long you must wait".
                # Without a usable one (or with one already past) a jittered backoff keeps
                # the retries apart; either way only this request sleeps.
                floor = backoff_delay(attempt - 1, self.retry_base_delay, RESET_WINDOW_SECONDS)
                if status_info is None:
                    waited = await bucket.backoff(min(floor, allowance))
                else:
                    waited = await bucket.wait_for_reset(at_least=floor, at_most=allowance)
                limited_for += waited
                _log.warning("%s: 429, waited %.2fs before retrying", route, waited)
                continue
            if (
                status >= 500
                and attempt < self.max_tries
                and spent < self.timeout
                and (route.retries_safely or (status == 503 and not retried_503))
            ):
                retried_503 = retried_503 or status == 503
                delay = backoff_delay(attempt - 1, self.retry_base_delay)
                _log.info("%s: %d; retrying in %.2fs", route, status, delay)
                await asyncio.sleep(delay)
                continue
            raise exception_for_status(status)(status, route, body, message)
