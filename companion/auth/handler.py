"""The app's token handler: tokens in the OS keyring, re-login through an injected prompt.

:class:`KeyringTokenHandler` is the seed's ``BaseTokenHandler`` for a desktop app with a
public (device code) client: no client secret, refresh with the client id alone, and
refresh tokens that work once. So :meth:`event_token_refreshed` writes the rotated
refresh token to the keyring *before* the HTTP layer uses the new access token (the HTTP
handler awaits this hook first).

When a token dies for good (a refused refresh reaches :meth:`event_token_expired`; an
EventSub revocation or the hourly validation reaches :meth:`relogin_needed`), the account is
reported lost at once (lost listeners: the window shows it signed out before any dialog),
then the ``relogin`` prompt the UI injected is awaited, once per user however many
requests and events ask. A new token for the same user restores the account (restored
listeners); None means the user declined: the user is signed out (signed-out listeners)
and further requests for that user raise ``InvalidToken`` instead of prompting again.

When the app quits, :meth:`KeyringTokenHandler.close` stops all prompting: an open prompt's
waiters get "no token" at once (so no request, refresh or shutdown step waits for a person),
and the account is neither signed out nor its stored token deleted: quitting is not
declining, and the next start asks again.

Tokens belong to one authority (the OAuth base URL that issued them; see
:mod:`companion.twitch.authority`): the handler stores and looks them up under its own
authority only, stamps every token it hands out with it, and refuses to store a token that
another authority issued.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from companion.auth.signout import PROMPT_TEXT, SignOutCause
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
        self._signed_out_listeners: list[Callable[[str, SignOutCause], None]] = []
        self._lost_listeners: list[Callable[[str, SignOutCause], None]] = []
        self._restored_listeners: list[Callable[[str], None]] = []
        self._relogins: dict[str, asyncio.Task[Token | None]] = {}
        self._closing = False

    # -- seed hooks --------------------------------------------------------------

    def get_client_credentials(self) -> tuple[str, str | None]:
        # A public client has no secret; refresh works with the client id alone.
        return self.client_id, None

    async def get_user_token(self, user: BaseUser, scopes: tuple[str, ...]) -> Token:
        user_id = str(user.id)
        if user_id in self._signed_out:
            raise InvalidToken(f"user {user_id} is signed out; sign in again")
        pending = self._relogins.get(user_id)
        if pending is not None:
            # The stored token is dead: wait for the sign-in the streamer is being asked for.
            replacement = await asyncio.shield(pending)
            if replacement is None:
                raise InvalidToken(f"user {user_id} is signed out; sign in again")
            return replacement
        stored = await self.store.load(self.authority, user_id)
        if stored is not None:
            return Token(
                stored.access_token,
                stored.refresh_token,
                user_id=user_id,
                authority=self.authority,
            )
        token = await self._prompt(user_id, PROMPT_TEXT[None])
        if token is None:
            raise InvalidToken(f"user {user_id} is not signed in")
        return token

    async def event_token_refreshed(self, old: Token, new: Token) -> None:
        """Store the new pair before anyone uses it (a public client's refresh token works once).

        Raises:
            InvalidToken: The user signed out while the refresh was on its way (a request
                in flight at the sign-out got a 401 and refreshed): the pair is not kept,
                and the client revokes it rather than use it.
        """
        user_id = new.user_id or old.user_id
        if user_id is None:
            _log.warning("refreshed a token whose user is unknown; not stored")
            return
        if user_id in self._signed_out:
            _log.info("user %s signed out while a token refresh was on its way; not kept", user_id)
            raise InvalidToken(f"user {user_id} signed out; the refreshed token is not kept")
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
        return await self.relogin_needed(user_id, SignOutCause.EXPIRED)

    def close(self) -> None:
        """The app is quitting: prompt no more; who waits for a prompt gets no token.

        The UI closes its dialog too (which ends the open prompt at once); this makes sure
        nothing opens a new one meanwhile and that the end of the prompt is not taken for
        the streamer's "no".
        """
        self._closing = True

    async def relogin_needed(self, user_id: str, cause: SignOutCause) -> Token | None:
        """The user's token is dead for ``cause``: report it, then ask for a new sign-in.

        Lost listeners are called at once, before the prompt opens. One prompt per user:
        later callers (more requests, more revocation messages) wait for the same one.

        Returns:
            The new token, or None if the user declined (they are then signed out).
        """
        if user_id in self._signed_out or self._closing:
            return None
        task = self._relogins.get(user_id)
        if task is None:
            _log.info("the sign-in of user %s is lost (%s); asking again", user_id, cause.value)
            self._notify(self._lost_listeners, user_id, cause)
            task = asyncio.get_running_loop().create_task(
                self._relogin(user_id, cause), name=f"relogin-{user_id}"
            )
            self._relogins[user_id] = task
            task.add_done_callback(lambda done: self._relogin_done(user_id, done))
        # shield: a cancelled request must not close the prompt everyone else waits for.
        return await asyncio.shield(task)

    def relogin_pending(self, user_id: str) -> bool:
        """True while the re-login prompt for ``user_id`` is open."""
        return user_id in self._relogins

    async def _relogin(self, user_id: str, cause: SignOutCause) -> Token | None:
        try:
            token = await self._prompt(user_id, PROMPT_TEXT[cause])
        except Exception:
            _log.exception("the re-login prompt for user %s failed", user_id)
            token = None
        if token is None and self._closing:
            # Quitting is not declining: nothing is deleted or signed out (the next start
            # finds the dead token and asks again).
            _log.info("the re-login prompt of user %s closed: the app is quitting", user_id)
            return None
        if token is None:
            # The stored token can never work again: do not keep a dead secret around.
            try:
                await self.store.delete(self.authority, user_id)
            except Exception:
                _log.exception("could not delete the dead token of user %s", user_id)
            # Without a prompt (none injected) the original cause stands; else they declined.
            self._sign_out_locally(
                user_id, cause if self.relogin is None else SignOutCause.DECLINED
            )
            return None
        for callback in list(self._restored_listeners):
            try:
                callback(user_id)
            except Exception:
                _log.exception("restored listener failed")
        return token

    def _relogin_done(self, user_id: str, task: asyncio.Task[Token | None]) -> None:
        if self._relogins.get(user_id) is task:
            del self._relogins[user_id]

    # -- accounts ----------------------------------------------------------------

    def add_signed_out_listener(self, callback: Callable[[str, SignOutCause], None]) -> None:
        """Call ``callback(user_id, cause)`` when a user ends up signed out."""
        self._signed_out_listeners.append(callback)

    def add_lost_listener(self, callback: Callable[[str, SignOutCause], None]) -> None:
        """Call ``callback(user_id, cause)`` when a token dies, before the prompt opens."""
        self._lost_listeners.append(callback)

    def add_restored_listener(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(user_id)`` when the re-login prompt brought a new token."""
        self._restored_listeners.append(callback)

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
        self._sign_out_locally(user_id, SignOutCause.USER)

    async def _prompt(self, user_id: str, reason: str) -> Token | None:
        if self.relogin is None or self._closing:
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

    def _sign_out_locally(self, user_id: str, cause: SignOutCause) -> None:
        self._signed_out.add(user_id)
        self._notify(self._signed_out_listeners, user_id, cause)

    @staticmethod
    def _notify(
        listeners: list[Callable[[str, SignOutCause], None]], user_id: str, cause: SignOutCause
    ) -> None:
        for callback in list(listeners):
            try:
                callback(user_id, cause)
            except Exception:
                _log.exception("account listener failed")
