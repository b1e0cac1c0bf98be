"""The rules of :mod:`companion.twitch.authority`: loopback, plain http, authority keys and
which hosts may receive a token."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from companion.twitch import authority
from companion.twitch.authority import (
    TWITCH_AUTHORITY,
    authority_key,
    check_token_destination,
    is_loopback_host,
    may_receive_token,
    require_secure_url,
)
from companion.twitch.errors import InsecureURL, TokenAuthorityError, TwitchError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

SIM = "http://127.0.0.1:8080/oauth2"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),  # all of 127.0.0.0/8
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("128.0.0.1", False),
        ("10.0.0.1", False),
        ("192.168.1.2", False),
        ("::ffff:7f00:1", False),  # v4-mapped: not treated as loopback
        ("localhost.example.com", False),
        ("id.twitch.tv", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    "url",
    [
        "https://id.twitch.tv/oauth2",
        "wss://eventsub.wss.twitch.tv/ws",
        "http://127.0.0.1:8080",
        "http://127.9.9.9:8080/oauth2",
        "http://[::1]:8080/helix",
        "http://localhost:8080",
        "ws://127.0.0.1:8080/ws",
        "https://192.0.2.10/helix",  # TLS to another machine is fine
    ],
)
def test_safe_urls_pass(url: str) -> None:
    assert require_secure_url(url).host is not None


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://192.0.2.10:8080", "192.0.2.10"),
        ("http://twitch.example", "twitch.example"),
        ("ws://192.0.2.10/ws", "192.0.2.10"),
        ("http://10.0.0.5/oauth2", "10.0.0.5"),
    ],
)
def test_plain_text_to_another_machine_is_refused(url: str, host: str) -> None:
    with pytest.raises(InsecureURL) as caught:
        require_secure_url(url, purpose="OAuth")
    message = str(caught.value)
    assert message.startswith(f"refusing plain {url.split(':')[0]}:// to {host} for the OAuth URL")
    assert "127.0.0.1, ::1 or localhost" in message
    # One except clause catches everything the client raises, and bad input is a ValueError.
    assert isinstance(caught.value, TwitchError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "127.0.0.1:8080", "/oauth2", "https://"])
def test_not_a_usable_url_is_refused(url: str) -> None:
    with pytest.raises(InsecureURL, match="must be an absolute https://"):
        require_secure_url(url)


def test_authority_keys_are_canonical() -> None:
    assert authority_key("https://id.twitch.tv/oauth2") == TWITCH_AUTHORITY
    assert authority_key("HTTPS://ID.Twitch.TV:443/oauth2/") == TWITCH_AUTHORITY
    assert authority_key("http://127.0.0.1:8080/oauth2/") == SIM
    assert authority_key("http://localhost:80/oauth2") == "http://localhost/oauth2"
    assert authority_key("http://[::1]:8080/oauth2") == "http://[::1]:8080/oauth2"
    with pytest.raises(InsecureURL):
        authority_key("http://192.0.2.10/oauth2")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://id.twitch.tv/oauth2/validate", True),
        ("https://api.twitch.tv/helix/users", True),
        ("https://api.twitch.tv:443/helix/users", True),
        ("http://api.twitch.tv/helix/users", False),  # never in clear text
        ("https://api.twitch.tv:8443/helix/users", False),
        ("https://eventsub.wss.twitch.tv/ws", False),  # no token is ever sent there
        ("https://api.twitch.tv.example.com/helix", False),
        ("http://127.0.0.1:8080/oauth2/validate", False),
    ],
)
def test_twitch_tokens_go_to_twitch_only(url: str, allowed: bool) -> None:
    assert may_receive_token(TWITCH_AUTHORITY, url) is allowed


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8080/oauth2/token", True),
        ("http://127.0.0.1:8080/helix/users", True),
        ("http://127.0.0.1:8081/helix/users", False),  # another simulator
        ("http://localhost:8080/helix/users", False),  # same machine, another origin
        ("https://127.0.0.1:8080/helix/users", False),
        ("https://api.twitch.tv/helix/users", False),
        ("https://id.twitch.tv/oauth2/token", False),
    ],
)
def test_a_simulators_tokens_go_to_that_simulator_only(url: str, allowed: bool) -> None:
    assert may_receive_token(SIM, url) is allowed


def test_check_names_the_issuer_and_the_refused_host() -> None:
    check_token_destination(SIM, "http://127.0.0.1:8080/helix/users")
    with pytest.raises(TokenAuthorityError) as caught:
        check_token_destination(TWITCH_AUTHORITY, "http://127.0.0.1:8080/oauth2/validate")
    assert str(caught.value) == (
        "refusing to send a token issued by https://id.twitch.tv/oauth2 to "
        "http://127.0.0.1:8080: a token is only ever sent to the authority that issued it"
    )
    with pytest.raises(InsecureURL):
        check_token_destination("http://127.0.0.1:80/oauth2", "http://192.0.2.10/oauth2/token")


# -- the remembered answers -------------------------------------------------------------

AUTHORITIES = [
    TWITCH_AUTHORITY,
    SIM,
    "http://[::1]:8080/oauth2",
    "http://localhost:8080/oauth2",
    "https://twitch.example/oauth2",
]
#: URLs that try to look like a token's rightful destination, and plain ones to prime with.
HOSTILE_URLS = [
    # the rightful ones, and their plain neighbours
    "https://api.twitch.tv/helix/users",
    "https://id.twitch.tv/oauth2/validate",
    "https://api.twitch.tv",
    "https://api.twitch.tv?x=1",
    "https://api.twitch.tv#frag",
    "http://127.0.0.1:8080/helix/users?after=abc",
    "http://127.0.0.1:8080",
    "http://[::1]:8080/helix",
    "http://localhost:8080/helix",
    "https://twitch.example/helix",
    # userinfo
    "https://api.twitch.tv@evil.example/helix",
    "https://api.twitch.tv:443@evil.example/helix",
    "https://evil.example@api.twitch.tv/helix",
    "https://user:pw@api.twitch.tv/helix",
    "http://127.0.0.1:8080@evil.example/helix",
    "http://evil.example@127.0.0.1:8080/helix",
    # ports
    "https://api.twitch.tv:443/helix",
    "https://api.twitch.tv:8443/helix",
    "https://api.twitch.tv:0/helix",
    "https://api.twitch.tv:99999/helix",
    "https://api.twitch.tv:/helix",
    "http://127.0.0.1:80/helix",
    "http://127.0.0.1:08080/helix",
    "http://127.0.0.1:8081/helix",
    # case
    "HTTPS://API.TWITCH.TV/helix",
    "https://API.Twitch.tv/helix",
    "HTTP://127.0.0.1:8080/helix",
    "http://LOCALHOST:8080/helix",
    # IDN and look-alikes
    "https://\u0430pi.twitch.tv/helix",  # a Cyrillic "a"
    "https://xn--pi-7kc.twitch.tv/helix",
    "https://api.twitch\u3002tv/helix",  # an ideographic full stop
    "https://api.twitch.tv\uff0fhelix",  # a full-width solidus
    "https://api\uff0etwitch.tv/helix",  # a full-width full stop
    # trailing dots and odd hosts
    "https://api.twitch.tv./helix",
    "https://api.twitch.tv../helix",
    "http://127.0.0.1.:8080/helix",
    "http://127.0.0.01:8080/helix",
    "http://0x7f.0.0.1:8080/helix",
    "https://api.twitch.tv.evil.example/helix",
    "https://api-twitch.tv/helix",
    # http vs https, ws vs wss
    "http://api.twitch.tv/helix",
    "ws://api.twitch.tv/helix",
    "wss://api.twitch.tv/helix",
    "https://127.0.0.1:8080/helix",
    "ws://127.0.0.1:8080/ws",
    # separators, escapes, spaces and control characters
    "https://api.twitch.tv\\@evil.example/helix",
    "https://evil.example\\@api.twitch.tv/helix",
    "https://evil.example#@api.twitch.tv/helix",
    "https://evil.example?@api.twitch.tv/helix",
    "https://api%2Etwitch.tv/helix",
    "https://api.twitch.tv%2F@evil.example/helix",
    "https://api.twitch.tv\t@evil.example/helix",
    "https://api.twitch.tv\n.evil.example/helix",
    " https://api.twitch.tv/helix",
    "https://api.twitch.tv /helix",
    "https:/api.twitch.tv/helix",
    "//api.twitch.tv/helix",
    "api.twitch.tv/helix",
    "https://",
    "",
]


def _outcome(call: Callable[[], object]) -> tuple[object, ...]:
    try:
        return ("answered", call())
    except Exception as exc:
        return ("raised", type(exc), str(exc))


@pytest.fixture
def empty_memory() -> Iterator[None]:
    authority._granted_may_receive.clear()
    authority._granted_checked.clear()
    yield
    authority._granted_may_receive.clear()
    authority._granted_checked.clear()


@pytest.mark.usefixtures("empty_memory")
@pytest.mark.parametrize("issuer", AUTHORITIES)
def test_remembered_answers_are_the_full_checks_answers(issuer: str) -> None:
    """Over hostile URLs: asked cold, asked again (remembered), and asked after every plain
    URL was granted first, each function answers (or raises) exactly as the full check."""
    for url in HOSTILE_URLS:
        want_may = _outcome(lambda url=url: authority._may_receive_token(issuer, url))
        want_check = _outcome(lambda url=url: authority._check_token_destination(issuer, url))
        for _ in range(2):
            assert _outcome(lambda url=url: may_receive_token(issuer, url)) == want_may, url
            assert _outcome(lambda url=url: check_token_destination(issuer, url)) == want_check
    granted_before = (set(authority._granted_may_receive), set(authority._granted_checked))
    for url in HOSTILE_URLS:  # now with every grant remembered
        want_may = _outcome(lambda url=url: authority._may_receive_token(issuer, url))
        want_check = _outcome(lambda url=url: authority._check_token_destination(issuer, url))
        assert _outcome(lambda url=url: may_receive_token(issuer, url)) == want_may, url
        assert _outcome(lambda url=url: check_token_destination(issuer, url)) == want_check
    assert (set(authority._granted_may_receive), set(authority._granted_checked)) == granted_before


@pytest.mark.usefixtures("empty_memory")
def test_only_plain_grants_are_remembered() -> None:
    check_token_destination(SIM, "http://127.0.0.1:8080/helix/users?after=1")
    check_token_destination(SIM, "http://127.0.0.1:8080/oauth2/validate")
    assert authority._granted_checked == {(SIM, "http://127.0.0.1:8080")}
    check_token_destination(TWITCH_AUTHORITY, "HTTPS://API.TWITCH.TV/helix")  # granted, not plain
    with pytest.raises(TokenAuthorityError):
        check_token_destination(TWITCH_AUTHORITY, "http://127.0.0.1:8080/helix")
    with pytest.raises(InsecureURL):
        check_token_destination("http://127.0.0.1:80/oauth2", "http://192.0.2.10/oauth2/token")
    assert authority._granted_checked == {(SIM, "http://127.0.0.1:8080")}
    # may_receive_token's grants are its own: it does not check for plain text to another
    # machine, so its grant must never pass check_token_destination.
    assert may_receive_token("http://192.0.2.10/oauth2", "http://192.0.2.10/helix") is True
    assert authority._granted_may_receive == {("http://192.0.2.10/oauth2", "http://192.0.2.10")}
    with pytest.raises(InsecureURL):
        check_token_destination("http://192.0.2.10/oauth2", "http://192.0.2.10/helix")


@pytest.mark.usefixtures("empty_memory")
def test_the_memory_is_bounded() -> None:
    for port in range(1000, 1000 + 3 * authority._MEMORY_SIZE):
        issuer = f"http://127.0.0.1:{port}/oauth2"
        check_token_destination(issuer, f"http://127.0.0.1:{port}/helix")
        assert len(authority._granted_checked) <= authority._MEMORY_SIZE
    assert (issuer, f"http://127.0.0.1:{port}") in authority._granted_checked
