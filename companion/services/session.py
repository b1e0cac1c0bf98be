"""Who is signed in: the client, the broadcaster's PartialUser, and the account list.

Signals:
    signed_in(object): a :class:`~companion.twitch.models.users.User` is now active.
    signed_out(str): the active user was signed out (the reason, for the status bar).
    ratelimit_changed(int, int): remaining and limit of the active user's Helix budget.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal

from companion.services.base import Service
from companion.twitch.errors import InvalidToken
from companion.twitch.tokens import Token

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from companion.auth.handler import KeyringTokenHandler
    from companion.twitch.client import Client
    from companion.twitch.http import HTTPHandler
    from companion.twitch.models.users import PartialUser, User
    from companion.twitch.oauth import TokenResponse
    from companion.twitch.ratelimit import RateLimitStatus

_log = logging.getLogger(__name__)


class TwitchSession(Service):
    """Owns the signed-in state on top of one :class:`Client`.

    Args:
        client: The Twitch client (one HTTP session for the whole app).
        handler: The keyring token handler the client was built with.
    """

    signed_in = Signal(object)
    signed_out = Signal(str)
    ratelimit_changed = Signal(int, int)

    def __init__(
        self, client: Client, handler: KeyringTokenHandler, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.handler = handler
        self.user: User | None = None
        self.broadcaster: PartialUser | None = None
        self.scopes: frozenset[str] = frozenset()
        client.http.add_ratelimit_listener(self._on_ratelimit)
        handler.add_signed_out_listener(self._on_handler_signed_out)

    @property
    def http(self) -> HTTPHandler:
        return self.client.http

    @property
    def user_id(self) -> str | None:
        return self.user.id if self.user is not None else None

    async def activate(self, user_id: str) -> User:
        """Make ``user_id`` (whose token is in the store) the active account.

        Raises:
            InvalidToken: No usable token for the user (sign-in needed).
        """
        target = self.client.create_user(user_id)
        users = await self.client.fetch_users(ids=[user_id], target=target)
        if not users:
            raise InvalidToken(f"Twitch knows no user {user_id}")
        user = users[0]
        token = await self.client.http.user_token(target)
        self.scopes = token.scopes or frozenset()
        self.user = user
        self.broadcaster = self.client.create_user(user.id, user.login, user.display_name)
        _log.info("signed in as %s (%s)", user.login, user.id)
        self.signed_in.emit(user)
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
        self.client.http.forget_user(token.user_id)
        return await self.activate(token.user_id)

    async def sign_out(self) -> None:
        """Revoke and forget the active user's token; the app keeps running signed out."""
        if self.user is None:
            return
        user_id = self.user.id
        session = await self.client.http.get_session()
        await self.handler.sign_out(user_id, session, oauth_url=self.client.http.oauth_url)
        self.client.http.forget_user(user_id)

    def _on_handler_signed_out(self, user_id: str) -> None:
        if self.user is not None and self.user.id == user_id:
            login = self.user.login
            self.user = None
            self.broadcaster = None
            self.scopes = frozenset()
            self.signed_out.emit(f"{login} is signed out")

    def _on_ratelimit(self, status: RateLimitStatus) -> None:
        if self.user is None or status.key == self.user.id:
            self.ratelimit_changed.emit(status.remaining, status.limit)
