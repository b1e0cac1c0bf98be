"""Who issued a token, and where it may be sent.

A token belongs to the authority that issued it, named by that authority's OAuth base URL
(``https://id.twitch.tv/oauth2`` for Twitch, ``http://127.0.0.1:PORT/oauth2`` for a local
simulator). It may be sent only to that authority's own hosts: Twitch's tokens go to
``id.twitch.tv`` and ``api.twitch.tv`` over https and nowhere else; any other authority's
tokens go to the exact origin (scheme, host and port) of its OAuth URL.

Plain ``http``/``ws`` is refused unless the host is this machine (127.0.0.0/8, ``::1``,
``localhost``): a token on the wire in clear text to another machine is a token given away.

The client checks both rules *before* sending, and raises instead of sending:
:class:`~companion.twitch.errors.InsecureURL` for a plain-text URL to another machine,
:class:`~companion.twitch.errors.TokenAuthorityError` for a token on its way to a host that
did not issue it.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from yarl import URL

from .errors import InsecureURL, TokenAuthorityError

__all__ = [
    "TWITCH_AUTHORITY",
    "authority_key",
    "check_token_destination",
    "is_loopback_host",
    "may_receive_token",
    "require_secure_url",
]

#: The authority of every real Twitch token (the default OAuth base URL, normalised).
TWITCH_AUTHORITY: Final = "https://id.twitch.tv/oauth2"

#: Where Twitch's tokens are used: the OAuth host that issues them and the Helix host.
#: The EventSub WebSocket host is absent on purpose: no token is ever sent there
#: (subscriptions are made through Helix).
_TWITCH_TOKEN_HOSTS: Final = frozenset({"id.twitch.tv", "api.twitch.tv"})

_SECURE_SCHEMES: Final = frozenset({"https", "wss"})
_PLAIN_SCHEMES: Final = frozenset({"http", "ws"})
_DEFAULT_PORTS: Final = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and any loopback address (127.0.0.0/8, ``::1``)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def require_secure_url(url: str | URL, *, purpose: str = "Twitch") -> URL:
    """Parse ``url`` and refuse it unless it is https/wss, or http/ws to this machine.

    Args:
        url: The URL the client is about to use.
        purpose: What the URL is for, named in the error (e.g. ``"OAuth"``).

    Raises:
        InsecureURL: Not an absolute http(s)/ws(s) URL, or plain text to another machine.
    """
    parsed = url if isinstance(url, URL) else URL(url)
    scheme = (parsed.scheme or "").lower()
    host = parsed.host
    if scheme not in _SECURE_SCHEMES | _PLAIN_SCHEMES or not host:
        raise InsecureURL(
            f"the {purpose} URL must be an absolute https:// (or wss://) URL with a host; "
            f"got scheme {scheme or 'none'!r}"
        )
    if scheme in _PLAIN_SCHEMES and not is_loopback_host(host):
        raise InsecureURL(
            f"refusing plain {scheme}:// to {host} for the {purpose} URL: tokens would "
            "cross the network unencrypted. Use https://, or plain http only to this "
            "machine (127.0.0.1, ::1 or localhost)."
        )
    return parsed


def _origin(url: URL) -> tuple[str, str, int]:
    scheme = (url.scheme or "").lower()
    port = url.port if url.port is not None else _DEFAULT_PORTS.get(scheme, 0)
    return scheme, (url.host or "").lower(), port


def authority_key(oauth_url: str) -> str:
    """The canonical name of the authority whose OAuth base URL is ``oauth_url``.

    Scheme and host are lower-cased, a default port and a trailing slash dropped, so one
    authority has one key (the keyring stores tokens under it).

    Raises:
        InsecureURL: ``oauth_url`` is not a usable URL (see :func:`require_secure_url`).
    """
    parsed = require_secure_url(oauth_url, purpose="OAuth")
    scheme, host, port = _origin(parsed)
    shown_host = f"[{host}]" if ":" in host else host
    netloc = shown_host if port == _DEFAULT_PORTS[scheme] else f"{shown_host}:{port}"
    return f"{scheme}://{netloc}{parsed.path.rstrip('/')}"


def may_receive_token(authority: str, url: str | URL) -> bool:
    """Whether a token issued by ``authority`` may be sent to ``url``."""
    issuer = URL(authority)
    destination = url if isinstance(url, URL) else URL(url)
    scheme, host, port = _origin(destination)
    if authority == TWITCH_AUTHORITY:
        return scheme == "https" and host in _TWITCH_TOKEN_HOSTS and port == 443
    return (scheme, host, port) == _origin(issuer)


def check_token_destination(authority: str, url: str | URL) -> None:
    """Raise unless a token issued by ``authority`` may be sent to ``url``.

    Raises:
        InsecureURL: ``url`` is plain text to another machine.
        TokenAuthorityError: ``url`` is not one of ``authority``'s hosts.
    """
    destination = require_secure_url(url)
    if not may_receive_token(authority, destination):
        scheme, host, port = _origin(destination)
        raise TokenAuthorityError(
            f"refusing to send a token issued by {authority} to {scheme}://{host}:{port}: "
            "a token is only ever sent to the authority that issued it"
        )
