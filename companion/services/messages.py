"""Every error a person sees, in their words: one table from exception class to sentence.

The window never shows ``str(exc)``: a class name, a module path, the repr of a connection
key or a snake_case code means nothing to a streamer. :func:`explain` walks the error's
classes, most specific first, through :data:`ERROR_TABLE` and returns what happened and
what to do next. The raw detail goes to the log (the code that catches an error logs it;
nothing here hides it from the log).

EventSub revocation reasons (``authorization_revoked`` and the other statuses Twitch
sends) have their own table, :data:`REVOCATION_TABLE`; the signed-out states of an
account have theirs in :mod:`companion.auth.signout`.

No Qt here: services and the composition root use it, and ``ui/`` imports it from here
(``ui/`` may not import ``aiohttp``, whose errors this table names).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import aiohttp

from companion.auth.token_store import KeyringUnavailable
from companion.core.errors import UserError
from companion.twitch.errors import (
    AccessDenied,
    APIUnavailable,
    AuthorizationPending,
    DeviceCodeExpired,
    HTTPException,
    InvalidToken,
    LimitError,
    MissingScope,
    NetworkError,
    OAuthError,
    PayloadError,
    RefreshFailure,
    SlowDown,
    TwitchError,
)
from companion.twitch.limits import LIMITS

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ERROR_TABLE",
    "LAZY_ERROR_TABLE",
    "REVOCATION_TABLE",
    "Explanation",
    "explain",
    "explain_limit",
    "explain_revocation",
]


@dataclass(frozen=True, slots=True)
class Explanation:
    """What happened and what to do next, each one sentence.

    Attributes:
        what: What happened, in the streamer's words.
        then: What to do next (empty only for a :class:`UserError`, whose author wrote
            the whole message).
    """

    what: str
    then: str

    def __str__(self) -> str:
        return f"{self.what} {self.then}".strip()


#: A table entry: a fixed explanation, or one built from the error's attributes.
Rule = Explanation | Callable[[BaseException], Explanation]

_NETWORK = Explanation(
    "Twitch could not be reached.", "Check your internet connection, then try again."
)
_TIMEOUT = Explanation(
    "Twitch took too long to answer.", "Check your internet connection, then try again."
)
_SIGNED_OUT = Explanation(
    "You are signed out of Twitch.", "Sign in again (Account → Sign in), then try once more."
)
_NO_KEYRING = Explanation(
    "No keyring (the system's password store) was found, so your Twitch sign-in cannot be saved.",
    "Start GNOME Keyring or KWallet and sign in again, or keep the sign-in for this run only.",
)
_KEYRING_LOCKED = Explanation(
    "Your keyring is locked, so your Twitch sign-in cannot be read or saved.",
    "Unlock it when your desktop asks, then sign in again.",
)
_UNEXPECTED = Explanation(
    "Something unexpected went wrong.",
    "The details are in the log; if it keeps happening, please report it.",
)


def _user_error(error: BaseException) -> Explanation:
    return Explanation(str(error), "")


def _network_error(error: BaseException) -> Explanation:
    # The client wraps what aiohttp raised; a timeout deserves its own sentence.
    return _TIMEOUT if isinstance(error.__cause__, TimeoutError) else _NETWORK


def _client_error(error: BaseException) -> Explanation:
    if isinstance(error, TimeoutError):
        return _TIMEOUT
    return Explanation(
        "The connection to Twitch broke off.", "Try again; the app reconnects by itself."
    )


def _http_error(error: BaseException) -> Explanation:
    status = error.status if isinstance(error, HTTPException) else 0
    if status == 400:
        return Explanation(
            "Twitch did not accept these values.", "Check what you entered and try again."
        )
    if status == 401:
        # Also a 401 whose token Twitch still accepts (a missing scope, another channel's
        # id): the app cannot repair that by itself, a new sign-in with every scope can.
        return Explanation(
            "Twitch refused this request for the signed-in account.",
            "Sign in again and allow everything Streamer Companion asks for.",
        )
    if status == 403:
        return Explanation(
            "Twitch does not allow this app to do that on your channel.",
            "Only the app that created a reward can change it, and some features need an "
            "Affiliate or Partner channel; change it in the Twitch dashboard instead.",
        )
    if status == 404:
        return Explanation(
            "Twitch could not find it any more; it may have been removed elsewhere.",
            "Refresh the panel to see what is there now.",
        )
    if status == 409:
        return Explanation(
            "Twitch reports a conflicting change.", "Refresh the panel and try again."
        )
    if status == 429:
        return Explanation("Twitch asked the app to slow down.", "Wait a minute, then try again.")
    if status >= 500:
        return Explanation("Twitch is having trouble right now.", "Try again in a few minutes.")
    return Explanation(
        "Twitch refused the request.",
        "Try again; if it keeps happening, the details are in the log.",
    )


def _refresh_failure(error: BaseException) -> Explanation:
    if isinstance(error, RefreshFailure) and error.refused:
        return Explanation(
            "Twitch would not renew your sign-in.", "Sign in again (Account → Sign in)."
        )
    return Explanation(
        "Your sign-in could not be renewed because Twitch did not answer.",
        "Check your internet connection; the app tries again with the next request.",
    )


def _oauth_error(error: BaseException) -> Explanation:
    if isinstance(error, AccessDenied):
        return Explanation(
            "The sign-in was declined on Twitch.", "Start the sign-in again if that was a mistake."
        )
    if isinstance(error, DeviceCodeExpired):
        return Explanation(
            "The sign-in code expired before it was approved.",
            "Get a new code and enter it on Twitch.",
        )
    if isinstance(error, AuthorizationPending | SlowDown):
        return Explanation(
            "Twitch is still waiting for you to approve the sign-in.",
            "Enter the code on Twitch's activation page.",
        )
    status = error.status if isinstance(error, OAuthError) else 0
    message = error.message if isinstance(error, OAuthError) else ""
    if status == 0:
        return _NETWORK
    if "client" in message.lower():
        # Twitch's "invalid client" and "client does not exist": the client id is wrong.
        return Explanation(
            "Twitch does not recognise this app's client id.",
            "Check the Twitch client id in Settings, then sign in again.",
        )
    return Explanation(
        "Twitch's sign-in service refused the request.",
        "Try signing in again; the details are in the log.",
    )


def _keyring_unavailable(error: BaseException) -> Explanation:
    cause = error.__cause__
    # keyring is imported only once a token store uses it: if it is not, no cause is its.
    keyring_errors = sys.modules.get("keyring.errors")
    if keyring_errors is not None and isinstance(cause, keyring_errors.KeyringError):
        return explain_error(cause)
    return _NO_KEYRING


def _split_unit(label: str) -> tuple[str, bool]:
    """``"poll duration (s)"`` -> ``("poll duration", True)`` (counted in seconds)."""
    if label.endswith(" (s)"):
        return label.removesuffix(" (s)"), True
    return label, False


def _number(value: int, seconds: bool) -> str:
    if not seconds:
        return f"{value:,}"
    return f"{value:,} second" if value == 1 else f"{value:,} seconds"


def explain_limit(error: LimitError) -> Explanation:
    """A broken Helix limit in words, from the limit table (never the limit's key)."""
    limit = LIMITS.get(error.limit)
    if limit is None:
        return Explanation(
            "That goes beyond one of Twitch's limits, so nothing was sent.",
            "Make it smaller and try again.",
        )
    too_many = limit.maximum is not None and error.value > limit.maximum
    bound, value = error.bound, error.value
    if limit.kind == "length":
        noun = "character" if bound == 1 else "characters"
        if too_many:
            return Explanation(
                f"The {limit.label} is {value} characters long; Twitch allows at most {bound}.",
                "Shorten it.",
            )
        if value == 0:
            return Explanation(
                f"The {limit.label} is empty; Twitch needs at least {bound} {noun}.",
                "Fill it in.",
            )
        return Explanation(
            f"The {limit.label} is {value} characters long; Twitch needs at least {bound}.",
            "Make it longer.",
        )
    if limit.kind == "count":
        verb = "is" if value == 1 else "are"
        if too_many:
            return Explanation(
                f"Twitch allows at most {bound} {limit.label}; there {verb} {value}.",
                "Remove some.",
            )
        return Explanation(
            f"Twitch needs at least {bound} {limit.label}; there {verb} {value}.", "Add more."
        )
    label, seconds = _split_unit(limit.label)
    shown, limit_shown = _number(value, seconds), _number(bound, seconds)
    if too_many:
        return Explanation(
            f"The {label} is {shown}; Twitch allows at most {limit_shown}.",
            "Choose a smaller number.",
        )
    return Explanation(
        f"The {label} is {shown}; Twitch needs at least {limit_shown}.",
        "Choose a larger number.",
    )


def _limit_error(error: BaseException) -> Explanation:
    assert isinstance(error, LimitError)
    return explain_limit(error)


#: Exception class -> what the streamer reads. :func:`explain` uses the entry of the most
#: specific class in the error's MRO, so a subclass without an entry gets its parent's.
ERROR_TABLE: Final[Mapping[type[BaseException], Rule]] = {
    # Sentences written for people on purpose.
    UserError: _user_error,
    # Arguments checked against Twitch's documented limits before sending.
    LimitError: _limit_error,
    # Sign-in and tokens.
    InvalidToken: _SIGNED_OUT,
    RefreshFailure: _refresh_failure,
    MissingScope: Explanation(
        "Your Twitch sign-in does not include permission for this.",
        "Sign in again (Account → Sign in) and allow what Streamer Companion asks for.",
    ),
    APIUnavailable: Explanation(
        "This kind of sign-in cannot be used for that request.",
        "Sign in again from the Account menu.",
    ),
    OAuthError: _oauth_error,
    # Helix answers (400, 401, 403, 404, 409, 429, 5xx and the rest, by status).
    HTTPException: _http_error,
    PayloadError: Explanation(
        "Twitch sent an answer the app could not read.",
        "Try again, and report it if it keeps happening; the details are in the log.",
    ),
    NetworkError: _network_error,
    TwitchError: Explanation(
        "Something went wrong while talking to Twitch.", "Try again; the details are in the log."
    ),
    # The network below the client (aiohttp, sockets).
    aiohttp.ClientConnectorError: _NETWORK,
    aiohttp.ServerTimeoutError: _TIMEOUT,
    aiohttp.ClientError: _client_error,
    TimeoutError: _TIMEOUT,
    ConnectionError: _NETWORK,
    # The keyring (the OS password store that keeps tokens); its own errors are in
    # LAZY_ERROR_TABLE.
    KeyringUnavailable: _keyring_unavailable,
    # Files and the ledger.
    sqlite3.Error: Explanation(
        "The redemption history could not be read or saved.",
        "Check that the disk has free space; the details are in the log.",
    ),
    PermissionError: Explanation(
        "Streamer Companion was not allowed to read or write one of its files.",
        "Check the permissions of its data folder; the log names the file.",
    ),
    OSError: Explanation(
        "A file or network operation failed.",
        "Check your connection and free disk space; the details are in the log.",
    ),
    # Anything else is a bug: say so plainly, never with the class name.
    Exception: _UNEXPECTED,
}


def _overlay_port_in_use(error: BaseException) -> Explanation:
    port = getattr(error, "port", None)
    which = f"Port {port}" if isinstance(port, int) else "The overlay port"
    return Explanation(
        f"{which} is already used by another program (or another copy of Streamer "
        "Companion), so the overlays for OBS are not served.",
        "Choose another port in the Overlays tab and paste the new URLs into OBS, or close "
        "the other program.",
    )


#: Errors of modules the app imports only when it needs them (the overlay web server
#: loads after the main window's first paint; the keyring once a token store uses it, never
#: in the demo), by ``module.QualName``: naming them here must not import them at start.
#: :func:`explain_error` reads this table with :data:`ERROR_TABLE`, class by class.
LAZY_ERROR_TABLE: Final[Mapping[str, Rule]] = {
    "keyring.errors.NoKeyringError": _NO_KEYRING,
    "keyring.errors.KeyringLocked": _KEYRING_LOCKED,
    "keyring.errors.InitError": Explanation(
        "The keyring could not be opened.",
        "Make sure your password store (GNOME Keyring, KWallet) is running, then sign in again.",
    ),
    "keyring.errors.PasswordSetError": Explanation(
        "The keyring refused to save your Twitch sign-in.",
        "Unlock or repair your keyring, then sign in again.",
    ),
    "keyring.errors.PasswordDeleteError": Explanation(
        "The keyring refused to forget your Twitch sign-in.",
        "Remove the Streamer Companion entry with your keyring manager.",
    ),
    "keyring.errors.KeyringError": Explanation(
        "The keyring did not work.", "Unlock or restart your password store, then sign in again."
    ),
    "companion.overlay.server.OverlayPortInUse": _overlay_port_in_use,
    "companion.overlay.server.OverlayServerError": Explanation(
        "The overlays for OBS could not be served.",
        "Choose another port in the Overlays tab, or restart the app; the details are in the log.",
    ),
}


def explain_error(error: BaseException) -> Explanation:
    """What happened and what to do next, for ``error`` (see :data:`ERROR_TABLE`)."""
    for cls in type(error).__mro__:
        rule = ERROR_TABLE.get(cls) or LAZY_ERROR_TABLE.get(f"{cls.__module__}.{cls.__qualname__}")
        if rule is not None:
            return rule if isinstance(rule, Explanation) else rule(error)
    return _UNEXPECTED


def explain(error: BaseException) -> str:
    """``error`` as one or two sentences for a widget; log the error itself separately."""
    return str(explain_error(error))


#: EventSub revocation statuses (``payload.subscription.status``) in words. Twitch documents
#: ``user_removed``, ``authorization_revoked`` and ``version_removed`` for revocations; the
#: others are subscription statuses it may also send (EVENTSUB_RULES.md lists them).
REVOCATION_TABLE: Final[Mapping[str, Explanation]] = {
    "authorization_revoked": Explanation(
        "Twitch says Streamer Companion may no longer use this account.",
        "Sign in again to continue.",
    ),
    "user_removed": Explanation(
        "The Twitch account no longer exists, so its live events stopped.",
        "Sign in with another account.",
    ),
    "version_removed": Explanation(
        "Twitch retired a kind of live event this version of Streamer Companion uses.",
        "Update Streamer Companion to get those events back.",
    ),
    "notification_failures_exceeded": Explanation(
        "Twitch stopped sending live events because too many deliveries failed.",
        "Restart Streamer Companion to reconnect.",
    ),
    "moderator_removed": Explanation(
        "You are no longer a moderator there, so those live events stopped.",
        "Ask the broadcaster to make you a moderator again.",
    ),
    "chat_user_banned": Explanation(
        "The account was banned from that chat, so its chat events stopped.",
        "They come back only if the ban is lifted.",
    ),
    "beta_maintenance": Explanation(
        "Twitch paused a kind of live event for maintenance.",
        "It comes back by itself; restart the app later if it does not.",
    ),
}

_UNKNOWN_REVOCATION = Explanation(
    "Twitch stopped some live events.",
    "Restart Streamer Companion to reconnect; the details are in the log.",
)


def explain_revocation(status: str) -> str:
    """A revocation status (``authorization_revoked``...) as sentences for a notice."""
    return str(REVOCATION_TABLE.get(status, _UNKNOWN_REVOCATION))
