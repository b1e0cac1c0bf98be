"""The rules of :mod:`companion.twitch.authority`: loopback, plain http, authority keys and
which hosts may receive a token."""

from __future__ import annotations

import pytest

from companion.twitch.authority import (
    TWITCH_AUTHORITY,
    authority_key,
    check_token_destination,
    is_loopback_host,
    may_receive_token,
    require_secure_url,
)
from companion.twitch.errors import InsecureURL, TokenAuthorityError, TwitchError

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
