"""Who is signed in: the client, the broadcaster's PartialUser, and the account list.

A signed-in account can be lost while the app runs (see :mod:`companion.auth.signout`):
Twitch revokes the authorization (:meth:`TwitchSession.authorization_revoked`, fed by the
live events), the hourly validation finds the token dead and the refresh is refused
(:meth:`TwitchSession.validate_now`), or a request's refresh is refused (the keyring
handler sees that). In every case :attr:`account_lost` is emitted at once and the handler
opens the re-login prompt; a new token for the same account re-activates it
(:attr:`signed_in` again), a declined prompt ends in :attr:`signed_out`.

Signals:
    signed_in(object): a :class:`~companion.twitch.models.users.User` is now active.
    account_lost(object): a :class:`~companion.auth.signout.SignedOut`: the active
        account's token died; the re-login prompt is opening and the app keeps the
        streamer's work for it.
    signed_out(object): a :class:`~companion.auth.signout.SignedOut`: the account is
        signed out (the streamer asked, or declined to sign in again).
    ratelimit_changed(int, int): remaining and limit of the active user's Helix budget.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp
from PySide6.QtCore import Signal

from companion.auth.signout import SignedOut, SignOutCause
from companion.services.base import Service
from companion.twitch.errors import InvalidToken, OAuthError, RefreshFailure
from companion.twitch.tokens import VALIDATE_EVERY, Token

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from companion.auth.handler import KeyringTokenHandler
    from companion.twitch.client import Client
    from companion.twitch.http import HTTPHandler
    from companion.twitch.models.users import PartialUser, User
    from companion.twitch.oauth import TokenResponse
    from companion.twitch.ratelimit import RateLimitStatus

_log = logging.getLogger(__name__)


def display_name(user: User) -> str:
    """What the window calls an account."""
    return user.display_name or user.login or user.id


class TwitchSession(Service):
    """Owns the signed-in state on top of one :class:`Client`.

    Args:
        client: The Twitch client (one HTTP session for the whole app).
        handler: The keyring token handler the client was built with.
        validate_every: Seconds between token validations while signed in; Twitch asks
            apps to validate "when it starts and on an hourly basis thereafter" (the first
            request after activation validates, then this timer does).
    """

    signed_in = Signal(object)
    account_lost = Signal(object)
    signed_out = Signal(object)
    ratelimit_changed = Signal(int, int)

    def __init__(
        self,
        client: Client,
        handler: KeyringTokenHandler,
        parent: QObject | None = None,
        *,
        validate_every: float = VALIDATE_EVERY,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.handler = handler
        self.validate_every = validate_every
        self.user: User | None = None
        self.broadcaster: PartialUser | None = None
        self.scopes: frozenset[str] = frozenset()
        #: The account whose token died while the re-login prompt is open.
        self.lost: User | None = None
        # (user id, name) while activate() waits for its first answer from Twitch: a token
        # found dead then (at start-up) is lost like an active account's.
        self._activating: tuple[str, str] | None = None
        self.validations = 0
        client.http.add_ratelimit_listener(self._on_ratelimit)
        handler.add_signed_out_listener(self._on_handler_signed_out)
        handler.add_lost_listener(self._on_lost)
        handler.add_restored_listener(self._on_restored)

    @property
    def http(self) -> HTTPHandler:
        return self.client.http

    @property
    def user_id(self) -> str | None:
        return self.user.id if self.user is not None else None

    async def activate(self, user_id: str, *, name: str | None = None) -> User:
        """Make ``user_id`` (whose token is in the store) the active account.

        If the stored token turns out dead (validation 401, refresh refused) while nobody
        is signed in, as at start-up, the account is reported like one lost while active:
        :attr:`account_lost` at once (the re-login prompt opens), then :attr:`signed_in`
        with the new token or :attr:`signed_out` if the prompt is declined.

        Args:
            user_id: The account.
            name: What to call it before Twitch has answered (the remembered login).

        Raises:
            InvalidToken: No usable token for the user (sign-in needed or declined).
        """
        target = self.client.create_user(user_id)
        activating = (user_id, name or user_id)
        self._activating = activating
        try:
            # The first request validates the token (Token.get): the start-up validation.
            users = await self.client.fetch_users(ids=[user_id], target=target)
        finally:
            if self._activating is activating:
                self._activating = None
        if not users:
            raise InvalidToken(f"Twitch knows no user {user_id}")
        user = users[0]
        token = await self.client.http.user_token(target)
        self.scopes = token.scopes or frozenset()
        self.user = user
        self.lost = None
        self.broadcaster = self.client.create_user(user.id, user.login, user.display_name)
        _log.info("signed in as %s (%s)", user.login, user.id)
        self.signed_in.emit(user)
        self.spawn(self._validate_hourly(user.id), name="token validation", latest_wins=True)
        return user

    async def sign_in_with(self, response: TokenResponse) -> User:
        """Finish a device-code sign-in: find whose token it is, store it, activate."""
        # Issued by the OAuth URL this client talks to: bound to that authority for good.
        token = Token(response.access_token, response.refresh_token, authority=self.http.oauth_url)
        session = await self.client.http.get_session()
        await token.validate(self.client.http, self.handler, session)
        if token.user_id is None:
            raise InvalidToken("Twitch returned a token without a user")
        scopes = tuple(sorted(token.scopes or ()))
        await self.handler.remember(token.user_id, token, scopes)
        # The requests use this validated token itself (replacing any cached one): a copy
        # from the store would be validated again by activate()'s first request.
        self.client.http.use_user_token(token)
        return await self.activate(token.user_id)

    async def sign_out(self) -> None:
        """Revoke and forget the active user's token; the app keeps running signed out."""
        user = self.user or self.lost
        if user is None:
            return
        session = await self.client.http.get_session()
        await self.handler.sign_out(user.id, session, oauth_url=self.client.http.oauth_url)
        self.client.http.forget_user(user.id)

    # -- losing the token ----------------------------------------------------------

    def authorization_revoked(self, user_id: str, client_id: str | None = None) -> None:
        """Twitch withdrew ``user_id``'s authorization of this app (EventSub told us).

        Args:
            user_id: Whose authorization.
            client_id: The app it was withdrawn from, when the message says (a
                ``user.authorization.revoke`` notification does; a revocation does not).
        """
        user = self.user
        if user is None or user.id != user_id or self.handler.relogin_pending(user_id):
            return
        if client_id is not None and client_id != self.handler.client_id:
            _log.info("ignoring an authorization revoke for another client id")
            return
        self.spawn(self._relogin(user_id, SignOutCause.REVOKED), name="re-login", latest_wins=True)

    async def validate_now(self) -> bool:
        """Validate the active token now (``GET /oauth2/validate``).

        A 401 tries one refresh (the token may just have expired, e.g. after the computer
        slept); a refused refresh loses the account (prompt, see the module docs).

        Returns:
            True if the account is still signed in afterwards.
        """
        user = self.user
        if user is None:
            return False
        http = self.client.http
        target = self.client.create_user(user.id)
        token = await http.user_token(target)
        self.validations += 1
        try:
            await token.validate(http, self.handler, await http.get_session())
        except InvalidToken:
            _log.info("validation: Twitch no longer accepts the token of %s; renewing", user.id)
            try:
                await http.refresh_user(target, token)
            except (InvalidToken, RefreshFailure) as exc:
                _log.info("after a failed validation, no new token for %s: %s", user.id, exc)
                return False
        except (OAuthError, aiohttp.ClientError, TimeoutError) as exc:
            # Unknown, not invalid: Helix says 401 if the token really is dead.
            _log.warning("token validation could not be done (%s); trying again later", exc)
        return self.user is not None

    async def _validate_hourly(self, user_id: str) -> None:
        while self.user is not None and self.user.id == user_id:
            await asyncio.sleep(self.validate_every)
            if self.user is None or self.user.id != user_id:
                return
            await self.validate_now()

    async def _relogin(self, user_id: str, cause: SignOutCause) -> None:
        # Drop the cached token first: requests from now on wait for the prompt.
        self.client.http.forget_user(user_id)
        await self.handler.relogin_needed(user_id, cause)

    def _activating_name(self, user_id: str) -> str | None:
        """The name of ``user_id`` if it is being activated while nobody is signed in."""
        pending = self._activating
        if self.user is None and pending is not None and pending[0] == user_id:
            return pending[1]
        return None

    def _on_lost(self, user_id: str, cause: SignOutCause) -> None:
        user = self.user
        if user is None and (name := self._activating_name(user_id)) is not None:
            self.account_lost.emit(SignedOut(user_id, name, cause))
            return
        if user is None or user.id != user_id:
            return
        self.lost = user
        self.user = None
        self.broadcaster = None
        self.scopes = frozenset()
        self.account_lost.emit(SignedOut(user.id, display_name(user), cause))

    def _on_restored(self, user_id: str) -> None:
        if self.lost is None or self.lost.id != user_id:
            return
        # The handler stored the new token; the client must not keep using the dead one.
        self.client.http.forget_user(user_id)
        self.spawn(self.activate(user_id), name="re-activate")

    def _on_handler_signed_out(self, user_id: str, cause: SignOutCause) -> None:
        if self.lost is None and (name := self._activating_name(user_id)) is not None:
            self.scopes = frozenset()
            self.signed_out.emit(SignedOut(user_id, name, cause))
            return
        user = self.user if self.user is not None and self.user.id == user_id else self.lost
        if user is None or user.id != user_id:
            return
        self.user = None
        self.lost = None
        self.broadcaster = None
        self.scopes = frozenset()
        self.signed_out.emit(SignedOut(user.id, display_name(user), cause))

    def _on_ratelimit(self, status: RateLimitStatus) -> None:
        if self.user is None or status.key == self.user.id:
            self.ratelimit_changed.emit(status.remaining, status.limit)
