"""The app's token handler: tokens in the OS keyring, re-login through an injected prompt.

:class:`KeyringTokenHandler` is the seed's ``BaseTokenHandler`` for a desktop app with a
public (device code) client: no client secret, refresh with the client id alone, and
refresh tokens that work once. So :meth:`event_token_refreshed` writes the rotated
refresh token to the keyring *before* the HTTP layer uses the new access token (the HTTP
handler awaits this hook first).

When a token expires and cannot be refreshed, :meth:`event_token_expired` awaits the
``relogin`` prompt the UI injected (a sign-in dialog). It returns the new Token, or None
if the user cancelled: the user is then signed out (listeners are told, so the window
shows a signed-out state) and further requests for that user raise ``InvalidToken``
instead of prompting again and again.

Tokens belong to one authority (the OAuth base URL that issued them; see
:mod:`companion.twitch.authority`): the handler stores and looks them up under its own
authority only, stamps every token it hands out with it, and refuses to store a token that
another authority issued.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from companion.auth.token_store import StoredTokens
from companion.twitch import oauth
from companion.twitch.authority import authority_key, check_token_destination
from companion.twitch.errors import InvalidToken, OAuthError, TokenAuthorityError
from companion.twitch.tokens import BaseTokenHandler, Token

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import aiohttp

    from companion.auth.token_store import TokenStore
    from companion.twitch.models.users import BaseUser

_log = logging.getLogger(__name__)


class KeyringTokenHandler(BaseTokenHandler):
    """Tokens per Twitch user id at one authority, kept in a :class:`TokenStore`.

    Args:
        client_id: The app's public client id.
        store: Where tokens persist (``KeyringTokenStore``, or ``SessionTokenStore`` when
            the user chose "this run only").
        relogin: The re-login prompt, injected by the UI; None means "cannot prompt".
        authority: The OAuth base URL the client talks to (Twitch's, or a simulator's).
            Required: a wrong default would hand one authority's tokens to another.

    Attributes:
        authority: The normalised authority key tokens are stored and stamped with.
    """

    def __init__(
        self,
        client_id: str,
        store: TokenStore,
        relogin: Callable[[str, str], Awaitable[Token | None]] | None = None,
        *,
        authority: str,
    ) -> None:
        self.client_id = client_id
        self.authority = authority_key(authority)
        self.store = store
        self.relogin = relogin
        self._signed_out: set[str] = set()
        self._signed_out_listeners: list[Callable[[str], None]] = []

    # -- seed hooks --------------------------------------------------------------

    def get_client_credentials(self) -> tuple[str, str | None]:
        # A public client has no secret; refresh works with the client id alone.
        return self.client_id, None

    async def get_user_token(self, user: BaseUser, scopes: tuple[str, ...]) -> Token:
        user_id = str(user.id)
        if user_id in self._signed_out:
            raise InvalidToken(f"user {user_id} is signed out; sign in again")
        stored = await self.store.load(self.authority, user_id)
        if stored is not None:
            return Token(
                stored.access_token,
                stored.refresh_token,
                user_id=user_id,
                authority=self.authority,
            )
        token = await self._prompt(user_id, "sign-in needed")
        if token is None:
            raise InvalidToken(f"user {user_id} is not signed in")
        return token

    async def event_token_refreshed(self, old: Token, new: Token) -> None:
        user_id = new.user_id or old.user_id
        if user_id is None:
            _log.warning("refreshed a token whose user is unknown; not stored")
            return
        self._claim(new)
        scopes = tuple(sorted(old.scopes)) if old.scopes is not None else ()
        if not scopes:
            previous = await self.store.load(self.authority, user_id)
            scopes = previous.scopes if previous is not None else ()
        await self.store.save(
            self.authority, user_id, StoredTokens(new.access_token, new.refresh_token, scopes)
        )
        _log.info("stored the refreshed token of user %s", user_id)

    async def event_token_expired(self, token: Token) -> Token | None:
        user_id = token.user_id
        if user_id is None or user_id in self._signed_out:
            # Already declined once: do not nag the streamer with a dialog per request.
            return None
        _log.info("token of user %s expired and could not be refreshed", user_id)
        replacement = await self._prompt(user_id, "Your Twitch sign-in expired.")
        if replacement is None:
            self._sign_out_locally(user_id)
        return replacement

    # -- accounts ----------------------------------------------------------------

    def add_signed_out_listener(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(user_id)`` when a user ends up signed out."""
        self._signed_out_listeners.append(callback)

    def is_signed_out(self, user_id: str) -> bool:
        return user_id in self._signed_out

    async def remember(self, user_id: str, token: Token, scopes: tuple[str, ...]) -> None:
        """Store a freshly signed-in user's token (after the device flow).

        Raises:
            TokenAuthorityError: Another authority issued ``token`` (nothing is stored).
        """
        self._claim(token)
        self._signed_out.discard(user_id)
        await self.store.save(
            self.authority,
            user_id,
            StoredTokens(token.access_token, token.refresh_token, tuple(scopes)),
        )

    async def sign_out(
        self, user_id: str, session: aiohttp.ClientSession, *, oauth_url: str
    ) -> None:
        """Revoke the user's token at Twitch and delete it from the keyring.

        A revoke that fails (network, already invalid) still deletes the local copy: the
        user asked to be signed out here.

        Raises:
            TokenAuthorityError: ``oauth_url`` is not this handler's authority (nothing is
                sent, nothing deleted).
        """
        check_token_destination(self.authority, f"{oauth_url}/revoke")
        stored = await self.store.load(self.authority, user_id)
        if stored is not None:
            try:
                await oauth.revoke_token(
                    session,
                    client_id=self.client_id,
                    token=stored.access_token,
                    oauth_url=oauth_url,
                )
            except (OAuthError, OSError) as error:
                _log.warning("revoking the token of user %s failed: %s", user_id, error)
        await self.store.delete(self.authority, user_id)
        self._sign_out_locally(user_id)

    async def _prompt(self, user_id: str, reason: str) -> Token | None:
        if self.relogin is None:
            return None
        token = await self.relogin(user_id, reason)
        if token is None:
            return None
        token.user_id = token.user_id or user_id
        scopes = tuple(sorted(token.scopes)) if token.scopes is not None else ()
        await self.remember(user_id, token, scopes)
        return token

    def _claim(self, token: Token) -> None:
        """Stamp ``token`` with this handler's authority; refuse one another issued."""
        if token.authority is None:
            token.authority = self.authority
        elif token.authority != self.authority:
            raise TokenAuthorityError(
                f"a token issued by {token.authority} is not kept for {self.authority}"
            )

    def _sign_out_locally(self, user_id: str) -> None:
        self._signed_out.add(user_id)
        for callback in list(self._signed_out_listeners):
            try:
                callback(user_id)
            except Exception:
                _log.exception("signed-out listener failed")
