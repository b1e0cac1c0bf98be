"""Where tokens live: the OS keyring, or (only if the user says so) this run's memory.

Nothing here writes a file. When no usable keyring exists, :class:`KeyringTokenStore`
raises :class:`KeyringUnavailable` with a plain explanation; the app then asks the
user whether to keep tokens for this run only (:class:`SessionTokenStore`). It never
falls back to a plaintext file on its own.

A keyring that exists but refuses to store a sign-in (a locked Secret Service whose unlock
prompt was dismissed, a Keychain error) raises :class:`KeyringRefused`. The store then asks
the same question through the ``keep_in_memory`` callback the app gives it (issue 20, item
14): if the streamer agrees, that sign-in and every later save of this run (refreshed
tokens) are kept in memory only; if not, the save fails as before.

Tokens are kept per (authority, account): the authority is the OAuth base URL that issued
them (``https://id.twitch.tv/oauth2`` for Twitch, a simulator's own URL otherwise), so
pointing the app at a simulator can never find, and so never send, a real account's tokens.
Keyring entries written before tokens were keyed by authority were all made for Twitch;
the first load for Twitch moves such an entry to its new key.

Keyring calls can block (Secret Service is a D-Bus round trip, and may show an
unlock prompt that nobody answers), so the async methods run them on one worker thread, a
daemon: a call stuck on that prompt must not keep the process alive after Quit (issue 20,
item 4), and a ``ThreadPoolExecutor``'s workers are joined when the interpreter exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from companion.core.logsetup import register_secret
from companion.twitch.authority import TWITCH_AUTHORITY, authority_key

# keyring is imported where it is used: with it come importlib_metadata and its entry-point
# scan, ~1.4 MiB and ~18 ms that a run which keeps no token in it (the demo, a smoke test)
# never needs (issue 18, start-up).

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import keyring.backend

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

SERVICE_NAME = "streamer-companion"

# Backends that cannot keep a secret: the "fail" backend (no keyring at all) and
# the "null" backend (silently stores nothing).
_UNUSABLE_BACKENDS = ("keyring.backends.fail.Keyring", "keyring.backends.null.Keyring")


class _DaemonWorker(Executor):
    """Runs submitted calls one after another on one daemon thread (started at first use).

    ``shutdown`` never waits for a call in progress: that call may be waiting for a person.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._calls: queue.SimpleQueue[
            tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None
        ] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._shut_down = False

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        if kwargs:
            raise TypeError("keyword arguments are not supported")
        future: Future[_T] = Future()
        with self._lock:
            if self._shut_down:
                raise RuntimeError("the keyring worker is shut down")
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
                self._thread.start()
            self._calls.put((future, fn, args))
        return future

    def _work(self) -> None:
        while (item := self._calls.get()) is not None:
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args)
            except BaseException as error:
                future.set_exception(error)
            else:
                future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking calls; calls not started yet are cancelled. Never waits for the
        call in progress (``wait`` is accepted for the Executor interface and ignored)."""
        del wait, cancel_futures
        with self._lock:
            if self._shut_down:
                return
            self._shut_down = True
        while True:
            try:
                item = self._calls.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].cancel()
        self._calls.put(None)


class KeyringUnavailable(RuntimeError):
    """No usable OS keyring: the message says what is missing and what to do."""


class KeyringRefused(KeyringUnavailable):
    """The keyring is there but refused to store the tokens.

    ``__cause__`` is the keyring's own error (``KeyringLocked``, ``PasswordSetError``,
    ``InitError`` ...), which says why in words (see ``services.messages``).
    """


def _refusals() -> tuple[type[BaseException], ...]:
    """What a backend's ``set_password`` raises when it will not store a secret.

    keyring's own errors; on Linux also SecretStorage's and D-Bus's, which the Secret
    Service backend lets through from ``create_item`` (a collection locked after the
    unlock check, a dismissed prompt); an OSError is a D-Bus socket that went away.
    """
    import keyring.errors

    kinds: list[type[BaseException]] = [keyring.errors.KeyringError, OSError]
    with contextlib.suppress(ImportError):
        from secretstorage.exceptions import SecretStorageException

        kinds.append(SecretStorageException)
    with contextlib.suppress(ImportError):
        from jeepney.wrappers import DBusErrorResponse  # type: ignore[import-untyped]  # untyped

        kinds.append(DBusErrorResponse)
    return tuple(kinds)


@dataclass(frozen=True, slots=True)
class StoredTokens:
    """A user's tokens as kept in the keyring. ``repr`` never shows them."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    scopes: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "scopes": list(self.scopes),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> StoredTokens:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise ValueError("stored token entry is not in the expected form")
        refresh = data.get("refresh_token")
        scopes = data.get("scopes") or []
        return cls(
            access_token=data["access_token"],
            refresh_token=refresh if isinstance(refresh, str) else None,
            scopes=tuple(str(scope) for scope in scopes),
        )


class TokenStore(Protocol):
    """Load, save and delete one user's tokens, keyed by (authority, Twitch user id).

    ``authority`` is the issuing OAuth base URL (see :mod:`companion.twitch.authority`).
    """

    @property
    def persistent(self) -> bool:
        """True when tokens outlive this run."""
        ...

    async def load(self, authority: str, user_id: str) -> StoredTokens | None: ...

    async def save(self, authority: str, user_id: str, tokens: StoredTokens) -> None: ...

    async def delete(self, authority: str, user_id: str) -> None: ...


def account_key(authority: str, user_id: str) -> str:
    """The keyring user name of one account's tokens at one authority."""
    return f"twitch-user:{user_id}@{authority_key(authority)}"


def legacy_account_key(user_id: str) -> str:
    """The keyring user name versions before per-authority keys used (always Twitch's)."""
    return f"twitch-user:{user_id}"


def backend_name(backend: keyring.backend.KeyringBackend | None = None) -> str:
    """The dotted class name of the active (or given) keyring backend."""
    import keyring

    backend = backend or keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def check_keyring_usable() -> None:
    """Raise :class:`KeyringUnavailable` unless the active keyring can keep a secret."""
    import keyring

    backend = keyring.get_keyring()
    name = backend_name(backend)
    if name in _UNUSABLE_BACKENDS:
        raise KeyringUnavailable(
            "No usable keyring was found on this system (Python keyring backend: "
            f"{name}). Start a Secret Service such as GNOME Keyring or KWallet and sign in "
            "again, or keep your tokens for this run only."
        )
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        raise KeyringUnavailable(
            "No usable keyring was found on this system (no keyring backend is available). "
            "Start a Secret Service such as GNOME Keyring or KWallet, or keep your tokens "
            "for this run only."
        )


class KeyringTokenStore:
    """Tokens in the OS keyring (Secret Service, Windows Credential Manager, macOS Keychain).

    Args:
        service: The keyring service name entries are filed under.
        keep_in_memory: Asked (once, however many saves wait) when the keyring refuses to
            store tokens: True if the streamer agrees to keep them for this run only. None
            means nobody can be asked, and a refused save fails.
    """

    def __init__(
        self,
        service: str = SERVICE_NAME,
        *,
        keep_in_memory: Callable[[KeyringRefused], Awaitable[bool]] | None = None,
    ) -> None:
        check_keyring_usable()
        self._service = service
        self._executor = _DaemonWorker("keyring")
        self.keep_in_memory = keep_in_memory
        # Set once the streamer chose "this run only" after a refusal.
        self._memory: SessionTokenStore | None = None
        self._asking: asyncio.Future[bool] | None = None

    @property
    def persistent(self) -> bool:
        """False once the streamer chose to keep this run's sign-ins in memory."""
        return self._memory is None

    async def _run(self, func: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    def _get(self, username: str) -> str | None:
        import keyring.errors

        try:
            return keyring.get_password(self._service, username)
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(f"The keyring refused to read the tokens: {error}") from error

    def load_sync(self, authority: str, user_id: str) -> StoredTokens | None:
        """Read a user's tokens at ``authority`` (blocking; :meth:`load` runs it on a thread).

        For Twitch, an entry under the key older versions used is moved to the new key.
        """
        text = self._get(account_key(authority, user_id))
        if text is None and authority_key(authority) == TWITCH_AUTHORITY:
            text = self._migrate_legacy(user_id)
        if text is None:
            return None
        try:
            tokens = StoredTokens.from_json(text)
        except ValueError:
            _log.warning("ignoring an unreadable keyring entry for user %s", user_id)
            return None
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        return tokens

    def _migrate_legacy(self, user_id: str) -> str | None:
        """Move a pre-authority entry (made for Twitch) to Twitch's key; its text, or None."""
        import keyring.errors

        legacy = legacy_account_key(user_id)
        text = self._get(legacy)
        if text is None:
            return None
        try:
            keyring.set_password(self._service, account_key(TWITCH_AUTHORITY, user_id), text)
        except keyring.errors.KeyringError as error:
            # Still usable from the old key this run; the move is tried again next time.
            _log.warning("could not move the keyring entry of user %s: %s", user_id, error)
            return text
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(self._service, legacy)
        _log.info("moved the keyring entry of user %s to its id.twitch.tv key", user_id)
        return text

    def save_sync(self, authority: str, user_id: str, tokens: StoredTokens) -> None:
        """Write a user's tokens at ``authority`` (blocking)."""
        import keyring.errors

        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        try:
            keyring.set_password(self._service, account_key(authority, user_id), tokens.to_json())
        except _refusals() as error:
            _log.warning("the keyring refused to store the tokens of user %s: %r", user_id, error)
            cause = (
                error
                if isinstance(error, keyring.errors.KeyringError)
                else keyring.errors.PasswordSetError(str(error) or type(error).__name__)
            )
            raise KeyringRefused(f"The keyring refused to store the tokens: {error}") from cause

    def delete_sync(self, authority: str, user_id: str) -> None:
        """Remove a user's tokens at ``authority`` (blocking); missing entries are fine."""
        import keyring.errors

        usernames = [account_key(authority, user_id)]
        if authority_key(authority) == TWITCH_AUTHORITY:
            usernames.append(legacy_account_key(user_id))  # never left behind unmigrated
        for username in usernames:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(self._service, username)

    async def load(self, authority: str, user_id: str) -> StoredTokens | None:
        if self._memory is not None:
            kept = await self._memory.load(authority, user_id)
            if kept is not None:
                return kept
        return await self._run(self.load_sync, authority, user_id)

    async def save(self, authority: str, user_id: str, tokens: StoredTokens) -> None:
        """Store in the keyring; after a refusal, in memory if the streamer agrees.

        Raises:
            KeyringRefused: The keyring refused and the streamer did not agree (or could
                not be asked).
        """
        if self._memory is None:
            try:
                await self._run(self.save_sync, authority, user_id, tokens)
                return
            except KeyringRefused as error:
                if not await self._agree_to_memory(error):
                    raise
        assert self._memory is not None
        await self._memory.save(authority, user_id, tokens)

    async def _agree_to_memory(self, error: KeyringRefused) -> bool:
        if self._memory is not None:
            return True
        if self.keep_in_memory is None:
            return False
        asking = self._asking
        if asking is None or asking.done():
            asking = asyncio.ensure_future(self.keep_in_memory(error))
            self._asking = asking
        # shield: one cancelled save must not withdraw the question the others wait on.
        agreed = await asyncio.shield(asking)
        if agreed and self._memory is None:
            _log.info("the keyring refused the tokens; kept in memory for this run (user's choice)")
            self._memory = SessionTokenStore()
        return agreed

    async def delete(self, authority: str, user_id: str) -> None:
        if self._memory is None:
            await self._run(self.delete_sync, authority, user_id)
            return
        await self._memory.delete(authority, user_id)
        try:
            await self._run(self.delete_sync, authority, user_id)
        except _refusals() as error:
            # The tokens were in memory; an older entry stays until the keyring unlocks.
            _log.warning("could not delete the keyring entry of user %s: %r", user_id, error)

    def close(self) -> None:
        """Stop the worker thread; a call still waiting for the keyring is left behind."""
        self._executor.shutdown()


class SessionTokenStore:
    """Tokens kept in memory for this run only, when the user chose that over no keyring."""

    persistent = False

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], StoredTokens] = {}

    async def load(self, authority: str, user_id: str) -> StoredTokens | None:
        return self._tokens.get((authority_key(authority), user_id))

    async def save(self, authority: str, user_id: str, tokens: StoredTokens) -> None:
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        self._tokens[(authority_key(authority), user_id)] = tokens

    async def delete(self, authority: str, user_id: str) -> None:
        self._tokens.pop((authority_key(authority), user_id), None)


class UnavailableTokenStore:
    """Stands in while no keyring exists and the user has not chosen "this run only".

    Loading finds nothing; saving refuses with the keyring's explanation, so a sign-in
    cannot silently end up somewhere the user did not agree to.
    """

    persistent = False

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def load(self, authority: str, user_id: str) -> StoredTokens | None:
        return None

    async def save(self, authority: str, user_id: str, tokens: StoredTokens) -> None:
        raise KeyringUnavailable(self.reason)

    async def delete(self, authority: str, user_id: str) -> None:
        return None
