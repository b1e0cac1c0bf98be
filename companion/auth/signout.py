"""Why an account is signed out, and the words the window uses for each reason.

A token can die four ways while the app runs: Twitch revokes the EventSub subscriptions
with ``authorization_revoked``, a ``user.authorization.revoke`` notification arrives, the
hourly validation answers 401 and the refresh is refused, or a request's refresh is
refused. The first two are :attr:`SignOutCause.REVOKED`, the last two
:attr:`SignOutCause.EXPIRED`; either way the account is shown signed out at once and the
re-login prompt opens. :attr:`~SignOutCause.DECLINED` and :attr:`~SignOutCause.USER` are
the states after that prompt was closed, or after Account → Sign out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping


class SignOutCause(enum.Enum):
    """Why the account is signed out."""

    #: Twitch withdrew the authorization (EventSub ``revocation`` with
    #: ``authorization_revoked``, or a ``user.authorization.revoke`` notification).
    REVOKED = "revoked"
    #: Twitch no longer accepts the token and refused to renew it (validation answered
    #: 401 and the refresh was refused, or a request's refresh was refused).
    EXPIRED = "expired"
    #: The re-login prompt was closed without signing in (or the app could not prompt).
    DECLINED = "declined"
    #: The streamer chose Account → Sign out.
    USER = "user"


_KEPT = "your queue and anything you were typing are kept."

#: Cause -> (status bar text, banner text above the panels). ``{name}`` is the account.
SIGNED_OUT_TABLE: Final[Mapping[SignOutCause, tuple[str, str]]] = {
    SignOutCause.REVOKED: (
        "Not signed in: Twitch withdrew access to {name}",
        "Twitch says Streamer Companion may no longer use {name}'s account. Sign in again "
        f"to continue; {_KEPT}",
    ),
    SignOutCause.EXPIRED: (
        "Not signed in: {name}'s sign-in expired",
        "Twitch no longer accepts {name}'s sign-in and would not renew it. Sign in again to "
        f"continue; {_KEPT}",
    ),
    SignOutCause.DECLINED: (
        "Not signed in",
        "{name} is signed out. Sign in to continue; nothing is sent to Twitch until then.",
    ),
    SignOutCause.USER: ("Not signed in", "{name} is signed out. Sign in to continue."),
}

#: What the re-login prompt says first, per cause (None: a first sign-in for the account).
PROMPT_TEXT: Final[Mapping[SignOutCause | None, str]] = {
    SignOutCause.REVOKED: "Twitch says Streamer Companion may no longer use this account. "
    "Sign in again to continue.",
    SignOutCause.EXPIRED: "Your Twitch sign-in expired and Twitch would not renew it. "
    "Sign in again to continue.",
    SignOutCause.DECLINED: "Sign in to Twitch to continue.",
    SignOutCause.USER: "Sign in to Twitch to continue.",
    None: "Sign in to Twitch to continue.",
}


@dataclass(frozen=True, slots=True)
class SignedOut:
    """An account that is no longer signed in, and why.

    Attributes:
        user_id: The Twitch user id.
        name: What the window calls the account (display name, else login, else id).
        cause: Why.
    """

    user_id: str
    name: str
    cause: SignOutCause

    @property
    def status(self) -> str:
        """The status bar's text."""
        return SIGNED_OUT_TABLE[self.cause][0].format(name=self.name)

    @property
    def banner(self) -> str:
        """The sentence above the disabled panels, with what to do next."""
        return SIGNED_OUT_TABLE[self.cause][1].format(name=self.name)
