"""Every sentence a person can be shown about an error: walk the tables and read them.

Each entry of the message table is rendered for real exceptions (a real aiohttp connection
error from a closed loopback port, every documented limit broken both ways, every HTTP
status class), and each revocation reason and signed-out state too. No text may carry a
class name, a module path, a snake_case code or the raw detail of the exception; each one
says what to do next.
"""

from __future__ import annotations

import builtins
import inspect
import re
import socket
import sqlite3
from typing import Any

import aiohttp
import keyring.errors
import pytest

import companion.twitch.errors as twitch_errors
from companion.auth.signout import PROMPT_TEXT, SIGNED_OUT_TABLE, SignedOut, SignOutCause
from companion.auth.token_store import KeyringUnavailable
from companion.core.errors import UserError
from companion.core.templates import TemplateInvalid
from companion.services.live_events import status_text
from companion.services.messages import (
    ERROR_TABLE,
    LAZY_ERROR_TABLE,
    REVOCATION_TABLE,
    explain,
    explain_error,
    explain_revocation,
)
from companion.twitch.eventsub_status import ConnectionState, ConnectionStatus
from companion.twitch.http import Route
from companion.twitch.limits import LIMITS

#: What a raw message looks like: it must never show through (except a UserError's).
RAW = "RAWDETAIL keyring.backends.fail.Keyring (limit 'reward_title') ConnectionKey(host=x)"

CLASS_LIKE = re.compile(r"\b[A-Z][a-z0-9]+[A-Z]\w*")  # CamelCase: ClientConnectorError
DOTTED = re.compile(r"\b[A-Za-z_]\w*\.[A-Za-z_]\w*")  # module.path (a sentence ends ". ")
SNAKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")  # reward_title, authorization_revoked


def every_exception_class_name() -> set[str]:
    """Names of the exception classes a message could leak."""
    names: set[str] = set()
    modules = [twitch_errors, keyring.errors, aiohttp, builtins, sqlite3]
    for module in modules:
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException):
                names.add(value.__name__)
    names.update(cls.__name__ for cls in ERROR_TABLE)
    names.update(
        cls.__name__ for cls in (KeyringUnavailable, UserError, TemplateInvalid, SignedOut)
    )
    return names


CLASS_NAMES = every_exception_class_name()


def assert_readable(text: str, *, raw_allowed: bool = False) -> None:
    assert text, "empty message"
    assert text[0].isupper(), text
    assert text.endswith((".", "…")), text
    for name in CLASS_NAMES:
        assert not re.search(rf"\b{re.escape(name)}\b", text), (name, text)
    assert not CLASS_LIKE.search(text), text
    assert not DOTTED.search(text), text
    assert not SNAKE.search(text), text
    if not raw_allowed:
        assert "RAWDETAIL" not in text, text


def real_connector_error() -> aiohttp.ClientConnectorError:
    """What aiohttp raises for a refused connection (a closed loopback port)."""
    import asyncio

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused

        async def connect() -> aiohttp.ClientConnectorError:
            async with aiohttp.ClientSession() as http:
                try:
                    await http.get(f"http://127.0.0.1:{port}/helix/users")
                except aiohttp.ClientConnectorError as exc:
                    return exc
            raise AssertionError("the closed port answered")

        return asyncio.run(connect())


def with_cause(error: BaseException, cause: BaseException) -> BaseException:
    error.__cause__ = cause
    return error


def limit_errors() -> list[BaseException]:
    """Every documented limit, broken below its minimum and above its maximum."""
    out: list[BaseException] = []
    for limit in LIMITS.values():
        values: list[Any] = []
        if limit.minimum is not None and limit.minimum > 0:
            values.append(
                "x" * (limit.minimum - 1)
                if limit.kind == "length"
                else ["x"] * (limit.minimum - 1)
                if limit.kind == "count"
                else limit.minimum - 1
            )
        if limit.maximum is not None:
            values.append(
                "x" * (limit.maximum + 1)
                if limit.kind == "length"
                else ["x"] * (limit.maximum + 1)
                if limit.kind == "count"
                else limit.maximum + 1
            )
        for value in values:
            with pytest.raises(twitch_errors.LimitError) as caught:
                limit.check(value)
            out.append(caught.value)
    out.append(twitch_errors.LimitError("eventsub_subscriptions_per_connection", 300, 301, RAW))
    return out


def samples() -> dict[type[BaseException], list[BaseException]]:
    route = Route("PATCH", "channel_points/custom_rewards/redemptions")
    statuses = [400, 401, 403, 404, 409, 422, 429, 500, 503]
    return {
        UserError: [UserError("Sign in to manage rewards."), TemplateInvalid(["A", "B."])],
        twitch_errors.LimitError: limit_errors(),
        twitch_errors.InvalidToken: [twitch_errors.InvalidToken(RAW)],
        twitch_errors.RefreshFailure: [
            twitch_errors.RefreshFailure(RAW, refused=True, status=400),
            twitch_errors.RefreshFailure(RAW, refused=False),
        ],
        twitch_errors.MissingScope: [
            twitch_errors.MissingScope(["channel:manage:redemptions"], "PartialUser.x")
        ],
        twitch_errors.APIUnavailable: [twitch_errors.APIUnavailable(RAW)],
        twitch_errors.OAuthError: [
            twitch_errors.OAuthError(0, RAW),
            twitch_errors.OAuthError(400, "invalid client"),
            twitch_errors.OAuthError(400, RAW),
            twitch_errors.AccessDenied(400, RAW),
            twitch_errors.DeviceCodeExpired(400, RAW),
            twitch_errors.AuthorizationPending(400, RAW),
            twitch_errors.SlowDown(400, RAW),
        ],
        twitch_errors.HTTPException: [
            twitch_errors.exception_for_status(status)(status, route, {"message": RAW}, RAW)
            for status in statuses
        ]
        + [twitch_errors.HTTPException(status, None, None, RAW) for status in statuses],
        twitch_errors.PayloadError: [twitch_errors.PayloadError(RAW, field="data[0].id")],
        twitch_errors.NetworkError: [
            twitch_errors.NetworkError(route, RAW),
            with_cause(twitch_errors.NetworkError(route, RAW), TimeoutError(RAW)),
        ],
        twitch_errors.TwitchError: [twitch_errors.TwitchError(RAW)],
        aiohttp.ClientConnectorError: [real_connector_error()],
        aiohttp.ServerTimeoutError: [aiohttp.ServerTimeoutError(RAW)],
        aiohttp.ClientError: [aiohttp.ClientPayloadError(RAW), aiohttp.ClientError(RAW)],
        TimeoutError: [TimeoutError(RAW)],
        ConnectionError: [ConnectionResetError(104, RAW)],
        KeyringUnavailable: [
            KeyringUnavailable(RAW),
            with_cause(KeyringUnavailable(RAW), keyring.errors.KeyringLocked(RAW)),
            with_cause(KeyringUnavailable(RAW), keyring.errors.PasswordSetError(RAW)),
        ],
        keyring.errors.NoKeyringError: [keyring.errors.NoKeyringError(RAW)],
        keyring.errors.KeyringLocked: [keyring.errors.KeyringLocked(RAW)],
        keyring.errors.InitError: [keyring.errors.InitError(RAW)],
        keyring.errors.PasswordSetError: [keyring.errors.PasswordSetError(RAW)],
        keyring.errors.PasswordDeleteError: [keyring.errors.PasswordDeleteError(RAW)],
        keyring.errors.KeyringError: [keyring.errors.KeyringError(RAW)],
        sqlite3.Error: [sqlite3.OperationalError(RAW), sqlite3.DatabaseError(RAW)],
        PermissionError: [PermissionError(13, RAW, "/home/x/ledger.sqlite3")],
        OSError: [OSError(28, RAW)],
        Exception: [ValueError(RAW), KeyError("reward_id"), RuntimeError(RAW)],
    }


SAMPLES = samples()


def keyring_entries() -> set[type[BaseException]]:
    """The keyring's errors in the lazy table (the overlay server's are read in
    tests/ui/test_overlays_messages.py)."""
    named = {
        name.rpartition(".")[2] for name in LAZY_ERROR_TABLE if name.startswith("keyring.errors.")
    }
    return {getattr(keyring.errors, name) for name in named}


def test_every_table_entry_has_samples() -> None:
    # A new entry without samples here would go unread.
    assert set(SAMPLES) == set(ERROR_TABLE) | keyring_entries()
    assert len(keyring_entries()) == 6


def test_a_keyring_error_reads_the_same_named_lazily() -> None:
    """Its entries are named, so that naming them does not import the keyring; what a
    streamer reads is as specific as before (not the generic keyring sentence)."""
    assert explain(keyring.errors.KeyringLocked(RAW)) == (
        "Your keyring is locked, so your Twitch sign-in cannot be read or saved. "
        + explain_error(keyring.errors.KeyringLocked(RAW)).then
    )
    locked = explain_error(keyring.errors.KeyringLocked(RAW))
    generic = explain_error(keyring.errors.KeyringError(RAW))
    assert locked != generic
    refused = with_cause(KeyringUnavailable(RAW), keyring.errors.PasswordSetError(RAW))
    assert explain_error(refused) == explain_error(keyring.errors.PasswordSetError(RAW))


@pytest.mark.parametrize(
    ("error"),
    [error for errors in SAMPLES.values() for error in errors],
    ids=lambda error: type(error).__name__,
)
def test_each_error_reads_as_sentences_with_a_next_step(error: BaseException) -> None:
    explanation = explain_error(error)
    text = explain(error)
    is_user_error = isinstance(error, UserError)
    assert_readable(text, raw_allowed=is_user_error)
    if is_user_error:
        assert text == str(error)
    else:
        assert explanation.then, f"no next step for {type(error).__name__}: {text}"
        assert_readable(explanation.then)


def test_specific_sentences() -> None:
    connector = SAMPLES[aiohttp.ClientConnectorError][0]
    assert explain(connector) == (
        "Twitch could not be reached. Check your internet connection, then try again."
    )
    assert explain(twitch_errors.LimitError("reward_title", 45, 46, RAW)) == (
        "The reward title is 46 characters long; Twitch allows at most 45. Shorten it."
    )
    assert explain(keyring.errors.NoKeyringError(RAW)).startswith("No keyring")
    # The most specific class wins: a 404 is not "Twitch refused the request".
    assert explain(twitch_errors.NotFound(404, None, None, RAW)).startswith(
        "Twitch could not find it any more"
    )
    assert explain(KeyboardInterrupt()) == explain(RuntimeError(RAW))


@pytest.mark.parametrize(
    "status",
    [*REVOCATION_TABLE, "websocket_disconnected", "something_new"],
)
def test_revocation_reasons_read_as_sentences(status: str) -> None:
    text = explain_revocation(status)
    assert_readable(text)
    assert status not in text


@pytest.mark.parametrize("cause", list(SignOutCause))
def test_signed_out_states_read_as_sentences(cause: SignOutCause) -> None:
    state = SignedOut("1", "Sam", cause)
    assert set(SIGNED_OUT_TABLE) == set(SignOutCause)
    assert state.status.startswith("Not signed in")
    assert_readable(state.banner)
    assert "Sam" in state.banner
    assert_readable(PROMPT_TEXT[cause])
    assert_readable(state.status + ".")


@pytest.mark.parametrize(
    "status",
    [
        ConnectionStatus(ConnectionState.CONNECTING),
        ConnectionStatus(
            ConnectionState.RECONNECTING,
            reason=f"could not connect: {SAMPLES[aiohttp.ClientConnectorError][0]!r}",
            retry_in=3.0,
        ),
        ConnectionStatus(
            ConnectionState.LIVE, problems=("channel.poll.begin revoked: version_removed",)
        ),
        ConnectionStatus(
            ConnectionState.FAILED, reason="every subscription was revoked (authorization_revoked)"
        ),
        ConnectionStatus(ConnectionState.CLOSED, reason="closed"),
    ],
    ids=lambda status: status.state.value,
)
def test_live_events_status_never_shows_the_raw_reason(status: ConnectionStatus) -> None:
    _state, text = status_text(status)
    assert_readable(text + ".")
    assert "ConnectionKey" not in text


def test_reconnecting_says_when() -> None:
    lost = ConnectionStatus(ConnectionState.RECONNECTING, reason=RAW, retry_in=3.0)
    assert status_text(lost) == (
        "reconnecting",
        "Live events: connection lost, reconnecting in 3 s…",
    )


@pytest.mark.parametrize(
    "bad",
    [
        "Network problem: ClientConnectorError(ConnectionKey(host='127.0.0.1')).",
        "Reward title is 46 characters; Twitch allows at most 45 (limit 'reward_title').",
        "No usable keyring (Python keyring backend: keyring.backends.fail.Keyring).",
        "Twitch stopped sending events (authorization_revoked).",
        "ledger write: RuntimeError: lost the thread.",
    ],
)
def test_the_checks_catch_what_the_issue_saw(bad: str) -> None:
    with pytest.raises(AssertionError):
        assert_readable(bad)
