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

Every request is checked, and parsing its URL cost about 13 us of the check. So answers are
remembered, keyed by the start of the URL up to its path, but only for a start in the one
plain form of :data:`_PLAIN_ORIGIN` (lower-case scheme and host, ASCII, no userinfo, no
escapes, no spaces, the host ending at ``/``, ``?``, ``#`` or the end). For such a start
every URL that begins with it has the same scheme, host and port (RFC 3986: the authority
ends at the first ``/``, ``?`` or ``#``), so the answer cannot differ; any other URL is
parsed and checked in full every time. Only grants are remembered (a refusal is re-checked
and worded afresh), the two functions keep separate memories, and each is bounded.
"""

from __future__ import annotations

import functools
import ipaddress
import re
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

#: The start of a URL whose answers may be remembered (see the module docstring): scheme,
#: ``://``, a host of lower-case ASCII letters, digits, dots and hyphens or a bracketed IPv6
#: address, an optional port of digits, then the end or ``/``, ``?`` or ``#`` (not part of
#: the match). ``re.ASCII`` keeps non-ASCII digits and letters out.
_PLAIN_ORIGIN: Final = re.compile(
    r"(?:https?|wss?)://(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?(?=[/?#]|\Z)", re.ASCII
)
#: At most this many remembered grants per memory; a full memory starts again empty (a
#: client talks to two or three origins, so this is only ever reached by odd callers).
_MEMORY_SIZE: Final = 64
#: (authority, URL start) pairs :func:`may_receive_token` granted.
_granted_may_receive: set[tuple[str, str]] = set()
#: (authority, URL start) pairs :func:`check_token_destination` passed.
_granted_checked: set[tuple[str, str]] = set()


def _memory_key(authority: str, url: str | URL) -> tuple[str, str] | None:
    if type(url) is not str:
        return None
    plain = _PLAIN_ORIGIN.match(url)
    return None if plain is None else (authority, plain.group())


def _remember(memory: set[tuple[str, str]], key: tuple[str, str]) -> None:
    if len(memory) >= _MEMORY_SIZE:
        memory.clear()
    memory.add(key)


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and any loopback address (127.0.0.0/8, ``::1``)."""
    return _is_loopback_host(host)


@functools.lru_cache(maxsize=256)
def _is_loopback_host(host: str) -> bool:
    # Remembered: a pure function of the text, and ipaddress's parse costs about 4 us.
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


@functools.lru_cache(maxsize=64)
def _issuer_origin(authority: str) -> tuple[str, str, int]:
    # Remembered: a pure function of the text (a client has one or two authorities).
    return _origin(URL(authority))


def may_receive_token(authority: str, url: str | URL) -> bool:
    """Whether a token issued by ``authority`` may be sent to ``url``.

    A grant for a URL in the plain form is remembered (see the module docstring).
    """
    key = _memory_key(authority, url)
    if key is not None and key in _granted_may_receive:
        return True
    allowed = _may_receive_token(authority, url)
    if allowed and key is not None:
        _remember(_granted_may_receive, key)
    return allowed


def _may_receive_token(authority: str, url: str | URL) -> bool:
    """:func:`may_receive_token` without the memory: the URL parsed and judged in full."""
    destination = url if isinstance(url, URL) else URL(url)
    scheme, host, port = _origin(destination)
    if authority == TWITCH_AUTHORITY:
        return scheme == "https" and host in _TWITCH_TOKEN_HOSTS and port == 443
    return (scheme, host, port) == _issuer_origin(authority)


def check_token_destination(authority: str, url: str | URL) -> None:
    """Raise unless a token issued by ``authority`` may be sent to ``url``.

    A pass for a URL in the plain form is remembered (see the module docstring); a refusal
    never is.

    Raises:
        InsecureURL: ``url`` is plain text to another machine.
        TokenAuthorityError: ``url`` is not one of ``authority``'s hosts.
    """
    key = _memory_key(authority, url)
    if key is not None and key in _granted_checked:
        return
    _check_token_destination(authority, url)
    if key is not None:
        _remember(_granted_checked, key)


def _check_token_destination(authority: str, url: str | URL) -> None:
    """:func:`check_token_destination` without the memory."""
    destination = require_secure_url(url)
    if not _may_receive_token(authority, destination):
        scheme, host, port = _origin(destination)
        raise TokenAuthorityError(
            f"refusing to send a token issued by {authority} to {scheme}://{host}:{port}: "
            "a token is only ever sent to the authority that issued it"
        )
